import type { Noun } from "../shared.js";
import * as get from "./get.js";
import * as list from "./list.js";
import * as show from "./show.js";

export const ticket: Noun = { name: "ticket", description: "Ticket types, and the tickets issued to buyers", verbs: [get, list, show] };
