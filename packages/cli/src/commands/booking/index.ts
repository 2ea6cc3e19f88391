import type { Noun } from "../shared.js";
import * as expire from "./expire.js";
import * as list from "./list.js";
import * as release from "./release.js";

export const booking: Noun = {
  name: "booking",
  description: "Holds on stock (admin)",
  verbs: [list, expire, release],
};
