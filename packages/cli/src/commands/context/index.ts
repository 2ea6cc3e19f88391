import type { Noun } from "../shared.js";
import * as add from "./add.js";
import * as list from "./list.js";
import * as remove from "./remove.js";
import * as use from "./use.js";

export const context: Noun = {
  name: "context",
  description: "Saved connections to deployments",
  verbs: [add, use, list, remove],
};
