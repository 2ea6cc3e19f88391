import { Code, toTicketingError } from "@ticketing/sdk";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { ADMIN_DATABASE_URL, createEventWith, createTestDatabase, startTestPlatform } from "./testing/harness.js";

// No deadlocks by design: every statement that locks several stock rows (hold, confirm, release, expire) takes
// them in (ticket_id, bucket) order. 60 buyers with a fifth of their orders over two ticket types pay, cancel or
// abandon their orders while the sweeper expires the abandoned ones; PostgreSQL's own deadlock counter for the
// database must not move.

async function deadlocksOf(database: string): Promise<number> {
  const admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ deadlocks: string }>("select deadlocks from pg_stat_database where datname = $1", [database]);
    return Number(rows[0]?.deadlocks ?? 0);
  } finally {
    await admin.end();
  }
}

describe("mixed two-type orders under load", () => {
  it("60 buyers holding, paying, cancelling and expiring for 15 s: zero deadlocks", async () => {
    const db = await createTestDatabase();
    const name = new URL(db.url).pathname.slice(1);
    try {
      const t = await startTestPlatform({ db, env: { TICKETING_HOLD_TTL: "2s", TICKETING_EXPIRY_CRON: "* * * * * *" } });
      const before = await deadlocksOf(name);
      const counts = { placed: 0, twoTypes: 0, paid: 0, cancelled: 0, abandoned: 0, refused: 0 };
      try {
        const { ticketIds } = await createEventWith(t.admin, 100_000, { types: 4 });
        const until = Date.now() + 15_000;
        await Promise.all(
          Array.from({ length: 60 }, async (_, i) => {
            const buyer = t.customer(`mixed-${i}`);
            for (let n = 0; Date.now() < until; n++) {
              const first = ticketIds[(i + n) % 4]!;
              const lines = (i + n) % 5 === 0 ? [first, ticketIds[(i + n + 1 + (n % 3)) % 4]!] : [first];
              for (const ticketId of lines) await buyer.checkout.addToCart({ ticketId, quantity: 1 + (n % 3) });
              try {
                const { order } = await buyer.checkout.placeOrder({});
                counts.placed++;
                if (lines.length === 2) counts.twoTypes++;
                const fate = (i * 7 + n) % 4;
                if (fate < 2) {
                  await t.admin.checkout.markOrderAsPaid({ orderId: order!.id, paymentReference: `p-${order!.id}` });
                  counts.paid++;
                } else if (fate === 2) {
                  await buyer.checkout.cancelOrder({ orderId: order!.id });
                  counts.cancelled++;
                } else {
                  counts.abandoned++;
                }
              } catch (err) {
                // A late payment or cancel can lose to expiry; that is a refusal, never a deadlock.
                expect(toTicketingError(err).code, String(err)).toBe(Code.FailedPrecondition);
                counts.refused++;
              }
            }
          }),
        );
        const stocks = (await t.admin.bookings.getStocks({ pageSize: 10 })).stocks;
        for (const s of stocks) expect(s.total).toBe(s.available + s.held + s.sold);
      } finally {
        // Closing ends every connection, which makes PostgreSQL publish their statistics.
        await t.close();
      }
      await new Promise((r) => setTimeout(r, 500));
      const after = await deadlocksOf(name);
      console.log(
        `[deadlocks] 60 buyers, 15 s: ${counts.placed} orders (${counts.twoTypes} over two ticket types), ${counts.paid} paid, ` +
          `${counts.cancelled} cancelled, ${counts.abandoned} left to expire, ${counts.refused} refusals; ` +
          `pg_stat_database.deadlocks ${before} → ${after}`,
      );
      expect(counts.twoTypes).toBeGreaterThan(50);
      expect(after - before).toBe(0);
    } finally {
      await db.drop();
    }
  }, 120_000);
});
