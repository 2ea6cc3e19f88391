import { Migration } from "@mikro-orm/migrations";

/** The payment that confirmed a booking, so checkout can complete an order from booking's side. */
export class Migration20261125010000_payment_reference extends Migration {
  override up(): void {
    this.addSql(`alter table booking.booking add column payment_reference text not null default ''`);
  }
}
