import type { Noun } from "../shared.js";
import * as create from "./create.js";
import * as get from "./get.js";
import * as list from "./list.js";

export const event: Noun = {
  name: "event",
  description: "Events and their ticket types",
  verbs: [create, get, list],
};
