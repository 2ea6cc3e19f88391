import { booking as pb } from "@ticketing/sdk";
import type { ServiceModule } from "../platform/module.js";
import { outboxBookingEvents } from "./events.js";
import { bookingEntities } from "./entities.js";
import { migrations } from "./migrations/index.js";
import { bookingRoutes } from "./routes.js";
import { expiryJob } from "./scheduler.js";
import { BookingService } from "./service.js";

/** Stock and holds: called by checkout (and admins), expires due holds on a schedule. */
export const bookingModule: ServiceModule<"booking", BookingService> = {
  name: "booking",
  descriptor: pb.BookingService,
  schema: { schema: "booking", entities: bookingEntities, migrations },
  port: 50610,
  roles: {
    CreateBooking: ["service", "admin"],
    GetBookings: ["service", "admin"],
    ConfirmBookings: ["service", "admin"],
    ExpireBookings: ["admin"],
    DeleteOrderBookings: ["service", "admin"],
    CreateStock: ["service", "admin"],
    DeleteStock: ["service", "admin"],
  },
  publishes: true,
  async start({ em, config, logger, metrics, wakeOutbox }) {
    const service = new BookingService(em, outboxBookingEvents(wakeOutbox), config.holdTtlSeconds, config.holdStrategy);
    return {
      api: service,
      routes: bookingRoutes(service),
      jobs: [expiryJob(service, config.expiryCron, config.expiryBatchSize, logger.child({ job: "expiry" }), metrics)],
    };
  },
};
