#!/usr/bin/env node
// `make stop`. Nothing is started by `make start` yet, so there is nothing to stop.
console.log("Nothing to stop: `make start` does not start any process yet.");
