import { Cron } from "croner";
import type { Logger } from "../platform/logger.js";
import type { Metrics } from "../platform/metrics.js";
import type { Job } from "../platform/module.js";
import { inSpan } from "../platform/tracing.js";
import type { BookingService } from "./service.js";

/**
 * Expires due holds on a cron schedule. Each tick expires batches until a short one; several replicas can run it at
 * once (due holds are claimed with SKIP LOCKED), and `protect` stops one replica's ticks from overlapping.
 */
export function expiryJob(service: BookingService, pattern: string, batchSize: number, logger: Logger, metrics?: Metrics): Job {
  const sweep = async () => {
    metrics?.holdSweeps.inc();
    let total = 0;
    for (;;) {
      const expired = await service.expireDue(batchSize);
      total += expired.length;
      if (expired.length > 0) metrics?.holdsExpired.inc(expired.length);
      if (expired.length < batchSize) break;
    }
    if (total > 0) logger.info({ expired: total }, "expired due holds");
  };
  // Each sweep is the root of a trace (tracing on): the EXPIRED events it writes carry it to checkout and notification.
  return {
    name: "expiry",
    start() {
      const cron = new Cron(pattern, { protect: true, catch: (err) => logger.error({ err }, "expiry sweep failed") }, () =>
        inSpan("booking expire due holds", sweep),
      );
      return { stop: () => cron.stop() };
    },
  };
}
