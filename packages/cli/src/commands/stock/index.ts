import type { Noun } from "../shared.js";
import * as create from "./create.js";
import * as get from "./get.js";
import * as list from "./list.js";
import * as remove from "./delete.js";

export const stock: Noun = {
  name: "stock",
  description: "Stock and availability (total / held / sold / available)",
  verbs: [create, list, get, remove],
};
