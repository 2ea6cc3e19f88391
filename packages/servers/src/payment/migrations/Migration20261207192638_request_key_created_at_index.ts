import { Migration } from '@mikro-orm/migrations';

export class Migration20261207192638_request_key_created_at_index extends Migration {

  override name = 'Migration20261207192638_request_key_created_at_index';

  override up(): void | Promise<void> {
    this.addSql(`create index "request_key_created_at_idx" on "payment"."request_key" ("created_at");`);
  }
}
