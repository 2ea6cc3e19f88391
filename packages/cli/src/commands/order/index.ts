import type { Noun } from "../shared.js";
import * as cancel from "./cancel.js";
import * as get from "./get.js";
import * as list from "./list.js";
import * as pay from "./pay.js";
import * as place from "./place.js";
import * as watch from "./watch.js";

export const order: Noun = {
  name: "order",
  description: "Orders: place, pay, cancel, watch",
  verbs: [place, get, list, pay, cancel, watch],
};
