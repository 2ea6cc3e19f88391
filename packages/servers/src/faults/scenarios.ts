// The faults, one per scenario. Each waits for the moment that makes it mean what its name says (PlaceOrders in
// flight, holds about to fall due), injects the fault, and brings the part back as a supervisor would: a killed
// process restarted at once with the same port and environment, a stopped one continued, the broker started again
// on its own data.
import { sleep, type Database } from "../bench/onsale-infra.js";
import type { Load } from "./load.js";
import type { Broker, Service, Services } from "./platform.js";

interface FaultContext {
  services: Services;
  broker: Broker;
  load: Load;
  db: Database;
}

export interface Fault {
  /** When the fault was injected (epoch ms). */
  at: number;
  /** When the faulty part was back: restarted and ready, continued, or the broker answering again. */
  repairedAt: number;
  /** What exactly happened, for the report. */
  note: string;
  /** Whether the fault landed where the scenario says it does (false: the report says why). */
  asSpecified: boolean;
}

export interface Scenario {
  slug: string;
  title: string;
  inject(ctx: FaultContext): Promise<Fault>;
}

/** Polls `ready` every 5 ms for up to `ms`; true once it held. */
async function waitFor(ready: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  for (const until = Date.now() + ms; Date.now() < until; await sleep(5)) {
    if (await ready()) return true;
  }
  return false;
}

function killAndRestart(service: Service, minPlacing: number): Scenario["inject"] {
  return async ({ services, load }) => {
    // Mid-PlaceOrder: orders are between their steps (PLACING written, holds asked for, answer not yet recorded).
    const asSpecified = await waitFor(() => load.inFlight("PlaceOrder") >= minPlacing, 10_000);
    const inFlight = load.inFlight("PlaceOrder");
    const at = Date.now();
    await services.kill(service);
    const killedIn = Date.now() - at;
    await services.restart(service);
    const repairedAt = Date.now();
    return {
      at,
      repairedAt,
      asSpecified,
      note: `SIGKILL ${service} with ${inFlight} PlaceOrder calls in flight (gone in ${killedIn} ms), restarted and ready after ${((repairedAt - at) / 1000).toFixed(1)} s`,
    };
  };
}

export const SCENARIOS: readonly Scenario[] = [
  { slug: "kill-booking", title: "kill -9 booking", inject: killAndRestart("booking", 1) },
  { slug: "kill-checkout", title: "kill -9 checkout mid-PlaceOrder", inject: killAndRestart("checkout", 3) },
  { slug: "kill-notification", title: "kill -9 notification", inject: killAndRestart("notification", 0) },
  {
    slug: "kill-broker",
    title: "kill -9 the Kafka broker for 15 s",
    inject: async ({ broker }) => {
      const at = Date.now();
      await broker.kill();
      await sleep(Math.max(0, at + 15_000 - Date.now()));
      const startedAt = Date.now();
      await broker.start();
      const repairedAt = Date.now();
      return {
        at,
        repairedAt,
        asSpecified: true,
        note: `SIGKILL the broker, down for ${((startedAt - at) / 1000).toFixed(1)} s, answering again ${((repairedAt - startedAt) / 1000).toFixed(1)} s after its restart`,
      };
    },
  },
  {
    slug: "stop-booking",
    title: "SIGSTOP booking for 10 s during sweeps",
    inject: async ({ services, db }) => {
      // During sweeps: holds fall due while booking is frozen, so the sweeper has work the moment it thaws.
      const due = async () =>
        Number(
          (
            await db.client.query<{ n: string }>(
              "select count(*) as n from booking.booking where status = 'HELD' and expires_at between now() and now() + interval '10 seconds'",
            )
          ).rows[0]?.n ?? 0,
        );
      const asSpecified = await waitFor(async () => (await due()) >= 5, 15_000);
      const dueHolds = await due();
      const at = Date.now();
      services.pause("booking");
      await sleep(10_000);
      services.resume("booking");
      const repairedAt = Date.now();
      return { at, repairedAt, asSpecified, note: `SIGSTOP booking with ${dueHolds} holds falling due within 10 s, SIGCONT after ${((repairedAt - at) / 1000).toFixed(1)} s` };
    },
  },
];
