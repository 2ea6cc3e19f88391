import { Migration } from "@mikro-orm/migrations";

/**
 * The outbox's trace_context column: the W3C traceparent of the span that wrote the event, sent as a Kafka header so
 * consumers continue the trace (ADR 0011). Null while tracing is off.
 *
 * admission's schema first took this change under the name Migration20261126000000_outbox_trace_context, listed
 * after its later migrations; on a database that ran it then, the column is there and this one changes nothing.
 */
export class Migration20261207010000_outbox_trace_context extends Migration {
  override up(): void {
    this.addSql(`alter table admission.outbox add column if not exists trace_context text null`);
  }
}
