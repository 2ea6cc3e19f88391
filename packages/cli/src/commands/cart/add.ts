import type { Command } from "commander";
import type { Deps, Run } from "../../deps.js";
import { wholeNumber } from "../../format.js";
import { act, examples } from "../shared.js";
import { showCart } from "./render.js";

async function runCartAdd(r: Run, ticketId: string, quantity: string): Promise<void> {
  showCart(r, (await (await r.client()).checkout.addToCart({ ticketId, quantity: wholeNumber(quantity, "QUANTITY") })).cart);
}

export function register(parent: Command, deps: Deps): void {
  parent
    .command("add")
    .description("Add tickets of one type to your cart")
    .argument("<ticket-id>", "the ticket type's id (`ticketctl event get EVENT-ID` lists them)")
    .argument("<quantity>", "how many to add: 1 to 100")
    .addHelpText("after", examples("ticketctl cart add 0b7e… 2"))
    .action(act(deps, runCartAdd));
}
