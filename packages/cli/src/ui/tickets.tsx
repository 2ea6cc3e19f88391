import { ConnectError, admission as pb, toTicketingError, type TicketingClient } from "@ticketing/sdk";
import { Box, Text, useInput } from "ink";
import { useEffect, useState } from "react";
import { qrText } from "../qr.js";

interface Shown {
  ticket: pb.Ticket;
  code: string;
}

/** How long a paid order's tickets are waited for: they are issued from the order events, a moment after payment. */
const WAIT_MS = 30_000;
const POLL_MS = 500;

/**
 * The tickets of a paid order, one QR code at a time (←/→ for the others): what the buyer shows at the door. The
 * tickets are issued a moment after the payment, so they are polled for until they are there.
 */
export function PaidTickets({ client, orderId }: { client: TicketingClient; orderId: string }) {
  const [shown, setShown] = useState<Shown[]>();
  const [index, setIndex] = useState(0);
  const [problem, setProblem] = useState<string>();

  useEffect(() => {
    let stopped = false;
    (async () => {
      const until = Date.now() + WAIT_MS;
      for (;;) {
        const { tickets } = await client.admission.listTickets({ orderId });
        if (stopped) return;
        if (tickets.length > 0) {
          const sorted = [...tickets].sort((a, b) => a.number - b.number);
          const codes = await Promise.all(sorted.map((t) => client.admission.getTicketCode({ ticketId: t.id })));
          if (!stopped) setShown(sorted.map((ticket, i) => ({ ticket, code: codes[i]!.code })));
          return;
        }
        if (Date.now() > until) throw new Error("the tickets were not issued in time; see `ticketctl ticket list` later");
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
    })().catch((err: unknown) => {
      if (!stopped) setProblem(err instanceof ConnectError ? `${toTicketingError(err).codeName}: ${err.rawMessage}` : String((err as Error).message));
    });
    return () => {
      stopped = true;
    };
  }, [client, orderId]);

  useInput((_input, key) => {
    if (!shown) return;
    if (key.rightArrow) setIndex((i) => Math.min(shown.length - 1, i + 1));
    if (key.leftArrow) setIndex((i) => Math.max(0, i - 1));
  });

  if (problem) return <Text color="yellow">{problem}</Text>;
  if (!shown) return <Text>issuing your tickets…</Text>;
  const current = shown[index];
  if (!current) return <Text>no tickets</Text>;
  const { ticket, code } = current;
  return (
    <Box flexDirection="column">
      <Text bold color="green">
        ticket {index + 1} of {shown.length}: {ticket.ticketTypeName} #{ticket.number}
      </Text>
      <Text dimColor>{ticket.id} · show this code at the door{shown.length > 1 ? " · ←/→ other tickets" : ""}</Text>
      <Text>{qrText(code)}</Text>
    </Box>
  );
}
