import { event as pb } from "@ticketing/sdk";
import { everyJob, type ServiceModule } from "../platform/module.js";
import { eventEntities } from "./entities.js";
import { bookingStock } from "./gateways.js";
import { migrations } from "./migrations/index.js";
import { eventRoutes } from "./routes.js";
import { EventService } from "./service.js";

/** Events left CREATING this long (their creator gave up) are undone by the clean-up job. */
const ABANDONED_AFTER_MS = 10 * 60_000;

/** The catalogue: events and their ticket types, whose stock lives in booking. */
export const eventModule: ServiceModule<"event", EventService> = {
  name: "event",
  descriptor: pb.EventService,
  schema: { schema: "event", entities: eventEntities, migrations },
  port: 50600,
  roles: { CreateEvent: ["admin"] },
  publishes: false,
  async start({ em, logger, client }) {
    const service = new EventService(em, bookingStock(client("booking")), logger);
    return {
      api: service,
      routes: eventRoutes(service),
      jobs: [everyJob("abandoned-events", 60_000, () => service.cleanUpAbandoned(ABANDONED_AFTER_MS), logger)],
    };
  },
};
