import { useQuery } from "@connectrpc/connect-query";
import { admission } from "@ticketing/sdk";
import { renderSVG } from "uqr";

/** The order's tickets, issued by the admission service shortly after payment, each with its signed code as a QR. */
export function Tickets({ orderId, expected }: { orderId: string; expected: number }) {
  const list = useQuery(admission.AdmissionService.method.listTickets, { orderId }, {
    refetchInterval: (query) => ((query.state.data?.tickets.length ?? 0) < expected ? 1000 : false),
  });
  const tickets = list.data?.tickets ?? [];
  if (tickets.length === 0) return <p role="status">Issuing your tickets…</p>;
  return (
    <section aria-labelledby="tickets-heading">
      <h2 id="tickets-heading">Your tickets</h2>
      <ul className="tickets">
        {tickets.map((t, i) => (
          <TicketCode key={t.id} ticket={t} number={i + 1} />
        ))}
      </ul>
    </section>
  );
}

function TicketCode({ ticket, number }: { ticket: admission.Ticket; number: number }) {
  const code = useQuery(admission.AdmissionService.method.getTicketCode, { ticketId: ticket.id });
  const revoked = ticket.status === admission.TicketStatus.REVOKED;
  return (
    <li className="ticket">
      <strong>
        Ticket {number}
        {revoked && " · revoked"}
      </strong>
      {code.data && !revoked && (
        <div role="img" aria-label={`QR code of ticket ${number}`} className="qr" dangerouslySetInnerHTML={{ __html: renderSVG(code.data.code) }} />
      )}
    </li>
  );
}
