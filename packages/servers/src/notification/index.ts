import { notification as pb } from "@ticketing/sdk";
import type { ServiceModule } from "../platform/module.js";
import { configuredChannel } from "./channels.js";
import { notificationEntities } from "./entities.js";
import { consumeOrderEvents, orderEventJson } from "./events.js";
import { migrations } from "./migrations/index.js";
import { notificationRoutes } from "./routes.js";
import { NotificationService } from "./service.js";
import { pgNotificationStore } from "./store.js";

/** Tells buyers what happened to their orders: follows checkout's events, delivers through the configured channel. */
export const notificationModule: ServiceModule<"notification", NotificationService> = {
  name: "notification",
  descriptor: pb.NotificationService,
  schema: { schema: "notification", entities: notificationEntities, migrations },
  port: 50630,
  roles: {},
  publishes: false,
  async start({ em, config, logger }) {
    const service = new NotificationService(
      pgNotificationStore(em),
      configuredChannel(config, logger),
      logger,
      config.notifyMaxAttempts,
      orderEventJson,
    );
    return {
      api: service,
      routes: notificationRoutes(service),
      jobs: [
        {
          name: "delivery",
          start: () => {
            service.start();
            return { stop: () => service.stop() };
          },
        },
      ],
      consumer: { name: "order-events consumer", subscribe: (bus, onStateChange) => consumeOrderEvents(bus, service, onStateChange) },
    };
  },
};
