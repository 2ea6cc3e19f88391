import { OUTBOX_TRACE_CONTEXT, outboxTraceContextMigration } from "../platform/outbox-entities.js";
import type { ServiceSchema } from "../platform/db.js";
import { checkoutEntities } from "./entities.js";
import { Migration20261124000000_initial } from "./migrations/Migration20261124000000_initial.js";
import { Migration20261125000000_one_round_trip_carts } from "./migrations/Migration20261125000000_one_round_trip_carts.js";
import { Migration20261125030000_place_from_cart } from "./migrations/Migration20261125030000_place_from_cart.js";
import { Migration20261125040000_outbox_event_id_not_indexed } from "./migrations/Migration20261125040000_outbox_event_id_not_indexed.js";
import { Migration20261126000000_request_keys } from "./migrations/Migration20261126000000_request_keys.js";

/** The checkout service's schema, entities and migrations, in order. */
export const checkoutSchema: ServiceSchema = {
  schema: "checkout",
  entities: checkoutEntities,
  migrations: [
    { name: "Migration20261124000000_initial", class: Migration20261124000000_initial },
    { name: "Migration20261125000000_one_round_trip_carts", class: Migration20261125000000_one_round_trip_carts },
    { name: "Migration20261125030000_place_from_cart", class: Migration20261125030000_place_from_cart },
    { name: "Migration20261125040000_outbox_event_id_not_indexed", class: Migration20261125040000_outbox_event_id_not_indexed },
    { name: "Migration20261126000000_request_keys", class: Migration20261126000000_request_keys },
    { name: OUTBOX_TRACE_CONTEXT, class: outboxTraceContextMigration("checkout") },
  ],
};
