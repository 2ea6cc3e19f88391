import type { Command } from "commander";
import { admission as pb } from "@ticketing/sdk";
import type { Deps, Run } from "../../deps.js";
import { enumName, time } from "../../format.js";
import { qrText } from "../../qr.js";
import { act, examples } from "../shared.js";

async function runTicketShow(r: Run, ticketId: string, opts: { qr?: boolean }): Promise<void> {
  const answer = await (await r.client()).admission.getTicketCode({ ticketId });
  const t = answer.ticket;
  r.out.message(pb.GetTicketCodeResponseSchema, answer, () => {
    const lines = t
      ? [
          `${r.out.strong(`${t.ticketTypeName} #${t.number}`)}  ${t.id}  ${enumName(pb.TicketStatus, t.status, "")}`,
          `event ${t.eventId}, order ${t.orderId}, issued ${time(t.issuedAt)}`,
        ]
      : [];
    lines.push(`code ${answer.code}`);
    if (opts.qr) lines.push("", qrText(answer.code));
    return lines.join("\n");
  });
}

export function register(parent: Command, deps: Deps): void {
  parent
    .command("show")
    .description("Show one of your tickets and its code; --qr draws the code to scan at the door")
    .argument("<ticket-id>", "the ticket's id (see `ticketctl ticket list`)")
    .option("--qr", "draw the code as a QR code")
    .addHelpText("after", examples("ticketctl ticket show 0192… --qr"))
    .action(act(deps, runTicketShow));
}
