import { payment as pb } from "@ticketing/sdk";
import { randomBytes } from "node:crypto";
import type { ServiceModule } from "../platform/module.js";
import { paymentEntities } from "./entities.js";
import { admissionTickets, checkoutOrders } from "./gateways.js";
import { migrations } from "./migrations/index.js";
import { TestPsp } from "./providers/test-psp.js";
import { paymentRoutes } from "./routes.js";
import { PaymentService } from "./service.js";

/** Where the test provider posts its events on the RPC port. */
const TEST_WEBHOOK_PATH = "/webhooks/payments/test";

/** Payment intents through a provider (the built-in test PSP), its webhooks, and refunds. */
export const paymentModule: ServiceModule<"payment", PaymentService> = {
  name: "payment",
  descriptor: pb.PaymentService,
  schema: { schema: "payment", entities: paymentEntities, migrations },
  port: 50650,
  roles: { RefundOrder: ["admin"] },
  publishes: true,
  async start({ em, config, logger, embedded, client, serverUrl, onClose }) {
    const psp = await TestPsp.start({
      host: config.host,
      port: config.testPspPort,
      // The test PSP lives in this process; its secret is generated unless configured, and never leaves it.
      secret: config.paymentWebhookSecret ?? randomBytes(32).toString("base64url"),
      webhookUrl: () => config.paymentWebhookUrl ?? `${serverUrl()}${TEST_WEBHOOK_PATH}`,
      toleranceSeconds: config.webhookToleranceSeconds,
      logger: logger.child({ component: "test-psp" }),
    });
    onClose(() => psp.close());
    if (!embedded) logger.warn({ url: psp.url }, "payments go through the built-in test PSP: no real money moves");
    const service = new PaymentService(em, checkoutOrders(client("checkout")), psp, admissionTickets(client("admission")), config.corsOrigins, logger);
    return {
      api: service,
      routes: paymentRoutes(service),
      posts: { [TEST_WEBHOOK_PATH]: (body, header) => service.handleWebhook(body, header) },
    };
  },
};
