import { Migration } from "@mikro-orm/migrations";

/** A paid order can be refunded: REFUNDED joins the known states. */
export class Migration20261207100000_refunded_orders extends Migration {
  override up(): void {
    this.addSql(`alter table checkout."order" drop constraint order_status_known`);
    this.addSql(`alter table checkout."order" add constraint order_status_known
      check (status in ('PLACING', 'PENDING_PAYMENT', 'PAID', 'CANCELLED', 'EXPIRED', 'FAILED', 'REFUNDED'))`);
  }
}
