import { createHmac } from "node:crypto";
import nodemailer from "nodemailer";
import type { Config } from "../platform/config.js";
import type { Logger } from "../platform/logger.js";

/** What a channel gets to deliver. */
export interface Outgoing {
  notificationId: string;
  sourceEventId: string;
  orderId: string;
  userId: string;
  eventType: string;
  subject: string;
  body: string;
  /** The order event as proto JSON, for machine consumers (webhook). */
  event: unknown;
}

/** A delivery that must not be retried (a retry cannot succeed). */
export class PermanentDeliveryError extends Error {
  override readonly name = "PermanentDeliveryError";
}

export interface Channel {
  readonly name: "LOG" | "WEBHOOK" | "EMAIL";
  /**
   * Delivery cannot fail (the log): the notification is stored as delivered and delivered at once, with no retry
   * queue, no lease and no delivery-log row.
   */
  readonly immediate?: boolean;
  /** Delivers or throws; the returned text goes to the delivery log. */
  deliver(n: Outgoing): Promise<string>;
  close?(): Promise<void>;
}

/** Writes the notification to the service log: the default, for development. */
function logChannel(logger: Logger): Channel {
  return {
    name: "LOG",
    immediate: true,
    async deliver(n) {
      logger.info({ notificationId: n.notificationId, orderId: n.orderId, userId: n.userId, subject: n.subject }, "notification");
      return "logged";
    },
  };
}

/** The signature header value: hex HMAC-SHA256 of the exact body bytes with the shared secret. */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

export const SIGNATURE_HEADER = "x-ticketing-signature";

/** POSTs JSON to a URL with an HMAC-SHA256 signature header; any non-2xx answer is a failed attempt. */
function webhookChannel(url: string, secret: string, timeoutMs = 5000): Channel {
  return {
    name: "WEBHOOK",
    async deliver(n) {
      const body = JSON.stringify({
        notificationId: n.notificationId,
        eventId: n.sourceEventId,
        type: n.eventType,
        orderId: n.orderId,
        userId: n.userId,
        subject: n.subject,
        body: n.body,
        event: n.event,
      });
      const res = await fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          [SIGNATURE_HEADER]: signBody(secret, body),
          "x-ticketing-event-id": n.sourceEventId,
        },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!res.ok) {
        const text = await res.text().catch(() => "");
        const message = `webhook answered ${res.status}${text ? `: ${text.slice(0, 200)}` : ""}`;
        if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) {
          throw new PermanentDeliveryError(message);
        }
        throw new Error(message);
      }
      return `HTTP ${res.status}`;
    },
  };
}

/** Sends the rendered template by e-mail over SMTP. The buyer's address is their user id when it is one. */
function emailChannel(smtpUrl: string, from: string): Channel {
  const transport = nodemailer.createTransport(smtpUrl);
  return {
    name: "EMAIL",
    async deliver(n) {
      if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(n.userId)) {
        throw new PermanentDeliveryError(`no e-mail address for user ${n.userId}`);
      }
      const info = await transport.sendMail({
        from,
        to: n.userId,
        subject: n.subject,
        text: n.body,
        headers: { "X-Ticketing-Event-Id": n.sourceEventId, "X-Ticketing-Order-Id": n.orderId },
      });
      return `accepted by SMTP: ${info.response ?? info.messageId}`;
    },
    async close() {
      transport.close();
    },
  };
}

/** The channel the configuration names (TICKETING_NOTIFY_CHANNEL). */
export function configuredChannel(config: Config, logger: Logger): Channel {
  switch (config.notifyChannel) {
    case "webhook":
      return webhookChannel(config.webhookUrl as string, config.webhookSecret as string);
    case "email":
      return emailChannel(config.smtpUrl as string, config.emailFrom);
    default:
      return logChannel(logger.child({ channel: "log" }));
  }
}
