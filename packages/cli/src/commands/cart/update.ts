import type { Command } from "commander";
import type { Deps, Run } from "../../deps.js";
import { wholeNumber } from "../../format.js";
import { act, examples } from "../shared.js";
import { showCart } from "./render.js";

async function runCartUpdate(r: Run, ticketId: string, quantity: string): Promise<void> {
  showCart(r, (await (await r.client()).checkout.updateCart({ ticketId, quantity: wholeNumber(quantity, "QUANTITY") })).cart);
}

export function register(parent: Command, deps: Deps): void {
  parent
    .command("update")
    .description("Set the quantity of one ticket type in your cart (0 removes it)")
    .argument("<ticket-id>", "the ticket type's id")
    .argument("<quantity>", "the new quantity: 0 (removes it) to 100")
    .addHelpText("after", examples("ticketctl cart update 0b7e… 4", "ticketctl cart update 0b7e… 0"))
    .action(act(deps, runCartUpdate));
}
