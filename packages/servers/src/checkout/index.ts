import { checkout as pb } from "@ticketing/sdk";
import { everyJob, type ServiceModule } from "../platform/module.js";
import { checkoutEntities } from "./entities.js";
import { consumeBookingEvents, outboxOrderEvents } from "./events.js";
import { bookingHolds, eventCatalogue } from "./gateways.js";
import { migrations } from "./migrations/index.js";
import { checkoutRoutes } from "./routes.js";
import { CheckoutService } from "./service.js";
import { pgOrderStore } from "./store.js";

/** How often checkout compares overdue orders with booking's holds, and how overdue an order must be. */
const RECONCILE_EVERY_MS = 10_000;
const RECONCILE_GRACE_MS = 15_000;
/** Orders still PLACING after this long (their placement died with a process) are failed and their holds released. */
const PLACING_TIMEOUT_MS = 120_000;

/** Carts and orders: holds stock through booking, follows booking's events, publishes the orders' own. */
export const checkoutModule: ServiceModule<"checkout", CheckoutService> = {
  name: "checkout",
  descriptor: pb.CheckoutService,
  schema: { schema: "checkout", entities: checkoutEntities, migrations },
  port: 50620,
  roles: {
    MarkOrderAsPaid: ["admin", "service"],
    MarkOrderAsRefunded: ["admin", "service"],
  },
  publishes: true,
  async start({ em, logger, metrics, client, wakeOutbox }) {
    const service = new CheckoutService(
      pgOrderStore(em),
      eventCatalogue(client("event")),
      bookingHolds(client("booking")),
      outboxOrderEvents(wakeOutbox),
      logger,
      metrics,
    );
    return {
      api: service,
      routes: checkoutRoutes(service),
      jobs: [
        everyJob("stale-placing", PLACING_TIMEOUT_MS / 4, () => service.recoverStalePlacing(PLACING_TIMEOUT_MS), logger),
        // Orders whose holds should have ended by now are compared with booking's holds: a missed event or a call
        // whose answer was lost never leaves an order pending for good.
        everyJob("reconcile", RECONCILE_EVERY_MS, () => service.reconcile(RECONCILE_GRACE_MS), logger),
      ],
      consumer: { name: "booking-events consumer", subscribe: (bus, onStateChange) => consumeBookingEvents(bus, service, onStateChange) },
    };
  },
};
