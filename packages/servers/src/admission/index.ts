import type { ConnectRouter } from "@connectrpc/connect";
import type { Bus, Subscription } from "../platform/bus.js";
import type { Config } from "../platform/config.js";
import type { Em, ServiceSchema } from "../platform/db.js";
import type { Logger } from "../platform/logger.js";
import { generateSigningKey, KeyRing } from "./codes.js";
import { admissionEntities } from "./entities.js";
import { consumeOrderEvents } from "./events.js";
import { migrations } from "./migrations/index.js";
import { outboxTicketEvents } from "./messages.js";
import { keptSigningKey } from "./repository.js";
import { admissionRoutes } from "./routes.js";
import { AdmissionService } from "./service.js";

/** The admission service's schema, entities and migrations, in order. */
export const admissionSchema: ServiceSchema = {
  schema: "admission",
  entities: admissionEntities,
  migrations,
};

/** The admission service as a process runs it: the use cases, their routes and the order-events consumer. */
export interface AdmissionModule {
  service: AdmissionService;
  routes: (router: ConnectRouter) => void;
  consume(bus: Bus, onStateChange?: (receiving: boolean) => void): Promise<Subscription>;
}

/**
 * Builds the admission service on its schema. Codes are signed with the configured key; without one, with a key
 * generated at first start and kept in the admission schema (embedded mode: in its data dir), so codes survive
 * restarts and every replica signs alike.
 */
export async function admissionModule(
  em: Em,
  config: Pick<Config, "ticketSigningKey" | "ticketVerificationKeys">,
  wake: () => void,
  logger: Logger,
): Promise<AdmissionModule> {
  let pem = config.ticketSigningKey;
  if (pem === undefined) {
    const candidate = generateSigningKey();
    pem = await keptSigningKey(em.fork(), { keyId: new KeyRing(candidate).signingKeyId, pem: candidate });
  }
  const keys = new KeyRing(pem, config.ticketVerificationKeys);
  logger.info(
    { signingKeyId: keys.signingKeyId, verificationKeyIds: keys.publicKeys().map((k) => k.keyId), keptInDatabase: config.ticketSigningKey === undefined },
    "ticket code keys loaded",
  );
  const service = new AdmissionService(em, keys, outboxTicketEvents(wake));
  return {
    service,
    routes: admissionRoutes(service),
    consume: (bus, onStateChange) => consumeOrderEvents(bus, service, onStateChange),
  };
}
