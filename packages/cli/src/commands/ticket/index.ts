import type { Noun } from "../shared.js";
import * as get from "./get.js";

export const ticket: Noun = { name: "ticket", description: "Ticket types", verbs: [get] };
