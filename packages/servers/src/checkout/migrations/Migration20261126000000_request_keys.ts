import { Migration } from "@mikro-orm/migrations";
import { requestKeyDdl } from "../../platform/idempotency.js";

/** The idempotency keys of checkout's mutations, each bound to the hash of the request it first came with. */
export class Migration20261126000000_request_keys extends Migration {
  override up(): void {
    for (const ddl of requestKeyDdl("checkout")) this.addSql(ddl);
  }
}
