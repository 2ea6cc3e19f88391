import type { Command } from "commander";
import { checkout as pb } from "@ticketing/sdk";
import type { Deps, Run } from "../../deps.js";
import { CliError, EXIT } from "../../errors.js";
import { money } from "../../format.js";
import { table } from "../../output.js";
import { act, examples } from "../shared.js";

/** The human-readable rendering used when --json is not given. */
export function renderCart(cart: pb.Cart | undefined): string {
  if (!cart || cart.items.length === 0) return "the cart is empty";
  return `${table(cart.items, [
    { header: "TICKET ID", value: (i) => i.ticketId },
    { header: "NAME", value: (i) => i.ticketName },
    { header: "QTY", value: (i) => String(i.quantity), align: "right" },
    { header: "UNIT PRICE", value: (i) => money(i.unitPrice), align: "right" },
  ])}\ntotal ${money(cart.total)}`;
}

const show = (r: Run, cart: pb.Cart | undefined) => r.out.message(pb.CartSchema, cart, () => renderCart(cart));

/** The server checks the range and names the field in its error; here only "is it a number". */
const quantity = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new CliError("QUANTITY must be a whole number", EXIT.usage);
  return n;
};

/** Runs `ticketctl cart show` with the given run context and arguments. */
export async function runCartShow(r: Run): Promise<void> {
  show(r, (await (await r.client()).checkout.getUserCart({})).cart);
}

/** Runs `ticketctl cart add` with the given run context and arguments. */
export async function runCartAdd(r: Run, ticketId: string, qty: string): Promise<void> {
  show(r, (await (await r.client()).checkout.addToCart({ ticketId, quantity: quantity(qty) })).cart);
}

/** Runs `ticketctl cart update` with the given run context and arguments. */
export async function runCartUpdate(r: Run, ticketId: string, qty: string): Promise<void> {
  show(r, (await (await r.client()).checkout.updateCart({ ticketId, quantity: quantity(qty) })).cart);
}

/** Registers the `ticketctl cart` command(s) on their parent. */
export function register(parent: Command, deps: Deps): void {
  parent.command("show").description("Show your cart").addHelpText("after", examples("ticketctl cart show")).action(act(deps, runCartShow));
  parent
    .command("add")
    .description("Add tickets of one type to your cart")
    .argument("<ticket-id>", "the ticket type's id (`ticketctl event get EVENT-ID` lists them)")
    .argument("<quantity>", "how many to add: 1 to 100")
    .addHelpText("after", examples("ticketctl cart add 0b7e… 2"))
    .action(act(deps, runCartAdd));
  parent
    .command("update")
    .description("Set the quantity of one ticket type in your cart (0 removes it)")
    .argument("<ticket-id>", "the ticket type's id")
    .argument("<quantity>", "the new quantity: 0 (removes it) to 100")
    .addHelpText("after", examples("ticketctl cart update 0b7e… 4", "ticketctl cart update 0b7e… 0"))
    .action(act(deps, runCartUpdate));
}
