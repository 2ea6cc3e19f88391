import type { Noun } from "../shared.js";
import * as list from "./list.js";

export const notification: Noun = { name: "notification", description: "Notifications sent to buyers", verbs: [list] };
