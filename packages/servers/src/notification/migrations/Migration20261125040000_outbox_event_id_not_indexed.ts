import { Migration } from "@mikro-orm/migrations";

/**
 * The outbox's event ids need no unique index: they are random UUIDs made by the service, and consumers
 * deduplicate on them anyway. The index cost two btree insertions per event (at insert, and again when the relay
 * marks the row published), a tenth of the on-sale's index work.
 */
export class Migration20261125040000_outbox_event_id_not_indexed extends Migration {
  override up(): void {
    this.addSql(`alter table notification.outbox drop constraint outbox_event_id_key`);
  }
}
