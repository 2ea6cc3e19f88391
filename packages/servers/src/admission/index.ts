import { admission as pb } from "@ticketing/sdk";
import type { Config } from "../platform/config.js";
import type { Em } from "../platform/db.js";
import type { Logger } from "../platform/logger.js";
import type { ServiceModule } from "../platform/module.js";
import { generateSigningKey, KeyRing } from "./codes.js";
import { admissionEntities } from "./entities.js";
import { consumeOrderEvents } from "./events.js";
import { migrations } from "./migrations/index.js";
import { outboxTicketEvents } from "./messages.js";
import { keptSigningKey } from "./repository.js";
import { admissionRoutes } from "./routes.js";
import { AdmissionService } from "./service.js";

/** Tickets and the door: issues signed codes for paid orders, checks them in, revokes them on refund. */
export const admissionModule: ServiceModule<"admission", AdmissionService> = {
  name: "admission",
  descriptor: pb.AdmissionService,
  schema: { schema: "admission", entities: admissionEntities, migrations },
  port: 50640,
  roles: {
    CheckIn: ["gate", "admin"],
    UploadOfflineScans: ["gate", "admin"],
    GetVerificationKeys: ["gate", "admin"],
    ListCheckIns: ["admin"],
    RevokeTicket: ["admin"],
    RevokeOrderTickets: ["service", "admin"],
  },
  publishes: true,
  async start({ em, config, logger, wakeOutbox }) {
    const service = new AdmissionService(em, await signingKeys(em, config, logger), outboxTicketEvents(wakeOutbox));
    return {
      api: service,
      routes: admissionRoutes(service),
      consumer: { name: "order-events consumer", subscribe: (bus, onStateChange) => consumeOrderEvents(bus, service, onStateChange) },
    };
  },
};

/**
 * The keys codes are signed and verified with: the configured signing key; without one, a key generated at first
 * start and kept in the admission schema (embedded mode: in its data dir), so codes survive restarts and every
 * replica signs alike.
 */
async function signingKeys(em: Em, config: Pick<Config, "ticketSigningKey" | "ticketVerificationKeys">, logger: Logger): Promise<KeyRing> {
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
  return keys;
}
