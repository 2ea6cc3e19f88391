import type { Command } from "commander";
import type { Deps, Run } from "../../deps.js";
import { act, examples } from "../shared.js";
import { showCart } from "./render.js";

async function runCartShow(r: Run): Promise<void> {
  showCart(r, (await (await r.client()).checkout.getUserCart({})).cart);
}

export function register(parent: Command, deps: Deps): void {
  parent.command("show").description("Show your cart").addHelpText("after", examples("ticketctl cart show")).action(act(deps, runCartShow));
}
