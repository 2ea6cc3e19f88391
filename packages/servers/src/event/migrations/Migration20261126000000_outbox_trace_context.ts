import { Migration } from "@mikro-orm/migrations";

/**
 * The outbox's trace_context column: the W3C traceparent of the span that wrote the event, sent as a Kafka header so
 * consumers continue the trace (ADR 0011). Null while tracing is off.
 */
export class Migration20261126000000_outbox_trace_context extends Migration {
  override up(): void {
    this.addSql(`alter table event.outbox add column trace_context text null`);
  }
}
