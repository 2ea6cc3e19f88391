import { Migration } from "@mikro-orm/migrations";

/** How many buckets each ticket type's stock is split over, so a retried creation makes the same split. */
export class Migration20261125000000_stock_buckets extends Migration {
  override up(): void {
    this.addSql(`alter table event.ticket_type add column stock_buckets smallint not null default 1`);
    this.addSql(`alter table event.ticket_type add constraint ticket_type_stock_buckets_range check (stock_buckets between 1 and 64)`);
  }
}
