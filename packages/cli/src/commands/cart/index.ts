import type { Noun } from "../shared.js";
import * as add from "./add.js";
import * as show from "./show.js";
import * as update from "./update.js";

export const cart: Noun = {
  name: "cart",
  description: "Your cart",
  verbs: [show, add, update],
};
