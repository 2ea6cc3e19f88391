import { Migration } from "@mikro-orm/migrations";

/** The idempotency keys of event's mutations, each bound to the hash of the request it first came with. */
export class Migration20261126000000_request_keys extends Migration {
  override up(): void {
    this.addSql(`create table event.request_key (
      caller text not null,
      method text not null,
      key text not null,
      request_hash text not null,
      created_at timestamptz not null default now(),
      primary key (caller, method, key)
    )`);
  }
}
