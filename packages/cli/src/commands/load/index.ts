import type { Noun } from "../shared.js";
import * as onsale from "./onsale.js";

export const load: Noun = { name: "load", description: "Load generators", verbs: [onsale] };
