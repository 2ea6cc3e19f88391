import type { Noun } from "../shared.js";
import * as list from "./list.js";
import * as scan from "./scan.js";
import * as sync from "./sync.js";
import * as upload from "./upload.js";

export const checkin: Noun = { name: "checkin", description: "Scan ticket codes at a gate, online or offline", verbs: [scan, list, sync, upload] };
