/**
 * What checkout knows of ticket types that booking reported sold out. A report is believed for `ttlMs`; after that
 * the first caller asks booking again (one read per ticket type per `ttlMs`, whatever the load) while every other
 * caller is still answered from memory. A sold-out ticket type thus costs no write and next to no reads.
 */
export class SoldOutMemory {
  readonly #entries = new Map<string, { until: number; asking?: Promise<boolean> | undefined }>();

  constructor(
    /** How many of the ticket type booking has available now. */
    private readonly available: (ticketId: string) => Promise<number>,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether to refuse the ticket type from memory; synchronous unless the memory is being refreshed. */
  isSoldOut(ticketId: string): boolean | Promise<boolean> {
    const entry = this.#entries.get(ticketId);
    if (!entry) return false;
    if (this.now() < entry.until) return true;
    // Until the one caller asking booking knows, everyone else keeps the last answer.
    if (entry.asking) return true;
    const asking = this.available(ticketId).then(
      (left) => {
        if (left > 0) {
          this.#entries.delete(ticketId);
          return false;
        }
        entry.until = this.now() + this.ttlMs;
        return true;
      },
      () => {
        entry.until = this.now() + this.ttlMs;
        return true;
      },
    );
    entry.asking = asking;
    void asking.finally(() => {
      entry.asking = undefined;
    });
    return asking;
  }

  /** Every ticket type in memory, whether its answer is still believed or due to be refreshed. */
  known(): string[] {
    return [...this.#entries.keys()];
  }

  /** Booking refused a hold with none of the ticket type left. */
  soldOut(ticketId: string): void {
    this.#entries.set(ticketId, { until: this.now() + this.ttlMs });
  }

  /** Units of the ticket type went back on sale (a release or an expiry). */
  returned(ticketId: string): void {
    this.#entries.delete(ticketId);
  }
}
