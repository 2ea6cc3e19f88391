import type { ConnectRouter } from "@connectrpc/connect";
import { Code, ConnectError } from "@connectrpc/connect";
import { health } from "@ticketing/sdk/grpc";

const { Health, HealthCheckResponse_ServingStatus: Status } = health;
type Status = health.HealthCheckResponse_ServingStatus;

/**
 * Serving status of the process and of each service in it, as grpc.health.v1 and /readyz report it. Everything
 * starts NOT_SERVING; the process marks itself SERVING once its dependencies are up and NOT_SERVING again when it
 * drains. A service is also NOT_SERVING while one of its required dependencies (a Kafka consumer, say) is down,
 * and so is the process as a whole; they recover by themselves when the dependency does.
 */
export class HealthState {
  readonly #status = new Map<string, Status>();
  readonly #watchers = new Set<() => void>();
  /** Dependencies that are down, by the service that needs them. */
  readonly #down = new Map<string, Set<string>>();
  #started = false;

  constructor(services: readonly string[]) {
    this.#status.set("", Status.NOT_SERVING);
    for (const s of services) this.#status.set(s, Status.NOT_SERVING);
  }

  setServing(serving: boolean): void {
    this.#started = serving;
    this.#update();
  }

  /** Records whether `dependency` of `service` (a typeName) works. */
  setDependency(service: string, dependency: string, up: boolean): void {
    let down = this.#down.get(service);
    if (!down) this.#down.set(service, (down = new Set()));
    if (up) down.delete(dependency);
    else down.add(dependency);
    this.#update();
  }

  /** What is down right now, for the readiness probe's answer. */
  get problems(): string[] {
    return [...this.#down.entries()].flatMap(([service, deps]) => [...deps].map((d) => `${service}: ${d} down`));
  }

  #update(): void {
    let all = this.#started;
    for (const key of this.#status.keys()) {
      if (key === "") continue;
      const ok = this.#started && (this.#down.get(key)?.size ?? 0) === 0;
      if (!ok) all = false;
      this.#status.set(key, ok ? Status.SERVING : Status.NOT_SERVING);
    }
    this.#status.set("", all ? Status.SERVING : Status.NOT_SERVING);
    for (const wake of this.#watchers) wake();
  }

  get serving(): boolean {
    return this.#status.get("") === Status.SERVING;
  }

  status(service: string): Status | undefined {
    return this.#status.get(service);
  }

  routes(router: ConnectRouter): void {
    router.service(Health, {
      check: (req) => {
        const status = this.status(req.service);
        if (status === undefined) throw new ConnectError(`unknown service ${req.service}`, Code.NotFound);
        return { status };
      },
      watch: (req, ctx) => this.#watch(req.service, ctx.signal),
    });
  }

  async *#watch(service: string, signal: AbortSignal) {
    let last: Status | undefined;
    while (!signal.aborted) {
      const status = this.status(service) ?? Status.SERVICE_UNKNOWN;
      if (status !== last) {
        last = status;
        yield { status };
      }
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.#watchers.delete(wake);
          signal.removeEventListener("abort", wake);
          resolve();
        };
        this.#watchers.add(wake);
        signal.addEventListener("abort", wake, { once: true });
      });
    }
  }
}
