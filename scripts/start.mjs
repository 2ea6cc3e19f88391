#!/usr/bin/env node
// `make start` / `npm start`. The reference servers are not written yet: this says so plainly instead of pretending.
console.log(`The ticketing platform's servers are not implemented yet.

What exists today:
  - the v1 API contract in proto/ (make lint, make breaking)
  - the typed SDK @ticketing/sdk generated from it (packages/sdk)
  - its tests: make test

What this command will do once packages/servers lands: run the event, booking, checkout and notification
services in one process on an embedded PostgreSQL, print the address and an admin token, and write a
ready ticketctl context. Nothing was started.`);
