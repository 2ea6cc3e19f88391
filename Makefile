# Ticketing platform — developer entry points. `make help` lists them.
# Every target works on a fresh machine with only an old Node: `setup` brings Node 24 into .tools/node.

SHELL := /bin/bash
.DEFAULT_GOAL := help

export PATH := $(CURDIR)/.tools/node/bin:$(PATH)

STAMP := node_modules/.package-lock.json

.PHONY: storefront storefront-build storefront-e2e up down logs compose-check helm-check readme-check packed-install docs docs-check other-languages help setup gen gen-check lint schema-check migration migration-index lint-code lint-code-strict lint-deps lint-knip lint-dup breaking api-baseline build typecheck test test-unit db-start db-stop kafka-start kafka-stop bench bench-onsale faults replicas start stop clean

help: ## Show this help
	@echo "Usage: make <target>"
	@echo
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "} \
	  {name[NR] = $$1; text[NR] = $$2; if (length($$1) > width) width = length($$1)} \
	  END {format = "  \033[36m%-" width "s\033[0m  %s\n"; for (i = 1; i <= NR; i++) printf format, name[i], text[i]}'

setup: ## Install Node 24 if no Node >= 22.12 is found, then the locked dependencies (npm ci)
	@./scripts/ensure-node.sh >/dev/null
	npm ci --no-audit --no-fund

$(STAMP): package-lock.json
	@./scripts/ensure-node.sh >/dev/null
	npm ci --no-audit --no-fund

gen: $(STAMP) ## Regenerate the SDK's TypeScript from proto/ (buf generate, local plugin, no network)
	npx buf generate

gen-check: gen ## Regenerate and fail if the committed generated code differs
	@git diff --exit-code --stat -- packages/sdk/src/gen && test -z "$$(git status --porcelain -- packages/sdk/src/gen)" \
	  || { echo "generated code is stale or was edited by hand: run 'make gen' and commit"; git status --short -- packages/sdk/src/gen; exit 1; }

lint: $(STAMP) ## Lint the protos (buf lint, STANDARD)
	npx buf lint

# The code's own checks: layering and cycles (dependency-cruiser, .dependency-cruiser.cjs), unused files, exports and
# dependencies (knip, knip.config.ts), duplicated blocks (jscpd, .jscpd.json). No allowances: no layering violation,
# no unused code, at most DUP_MAX duplicated blocks — the two left are the launchers in packages/*/bin, which must
# run before anything is compiled and so cannot share a module across the two published packages.
DEPCRUISE_PATHS := packages/sdk/src packages/cli/src packages/cli/bin packages/servers/src packages/servers/bin scripts
DUP_MAX := 2

lint-code: $(STAMP) ## Code checks: layering and cycles, unused code, duplicated blocks (lint-deps, lint-knip, lint-dup; CI runs it)
	@status=0; \
	  $(MAKE) --no-print-directory lint-deps || status=1; \
	  $(MAKE) --no-print-directory lint-knip || status=1; \
	  $(MAKE) --no-print-directory lint-dup || status=1; \
	  exit $$status

lint-code-strict: ## lint-code (the same checks, kept as the name CI calls)
	@$(MAKE) --no-print-directory lint-code STRICT=1

lint-deps: $(STAMP) ## Layering and import cycles of packages/ (dependency-cruiser)
	npx depcruise --config .dependency-cruiser.cjs $(DEPCRUISE_PATHS)

lint-knip: $(STAMP) ## Unused files, exports and dependencies (knip)
	npx knip

lint-dup: $(STAMP) ## Duplicated blocks of six or more lines in packages/ (jscpd), at most DUP_MAX
	node scripts/check-duplicates.mjs --max $(DUP_MAX)

# The entities (packages/servers/src/*/entities.ts) are the one description of each service's tables; migrations are
# generated from them by MikroORM's migrator (packages/servers/src/schema-tool.ts, on a scratch database).
SCHEMA_TOOL := node packages/servers/dist/schema-tool.js

schema-check: build ## Fail when a service's entities and its migrations describe different schemas (CI runs it)
	@./scripts/postgres.sh start >/dev/null
	$(SCHEMA_TOOL) check

migration: build ## Generate the migration the entities call for: name=add_order_note [services="checkout"]; blank=<service> for hand-written SQL
	@test -n "$(name)" || { echo "usage: make migration name=<what_changed> [services=\"checkout booking\"] [blank=<service>]"; exit 2; }
	@./scripts/postgres.sh start >/dev/null
	$(SCHEMA_TOOL) $(if $(blank),blank $(name) $(blank),create $(name) $(services))

migration-index: build ## Regenerate each service's migrations/index.ts from the files of its migrations folder
	$(SCHEMA_TOOL) index

breaking: $(STAMP) ## Check proto/ for breaking changes against the released v1 API in api/v1.binpb
	npx buf breaking --against api/v1.binpb

api-baseline: $(STAMP) ## Refresh api/v1.binpb from proto/ — only on purpose, when releasing the API
	npx buf build --exclude-source-info -o api/v1.binpb

build: $(STAMP) ## Compile every package (tsc -b); then `npx ticketctl` and `npx ticketing-server` run them
	npx tsc -b

typecheck: $(STAMP) ## Type-check every package, tests included (tsc -b)
	npx tsc -b

test: $(STAMP) ## Run every test (builds, starts the local PostgreSQL and Kafka first); prints "N passed, N failed"
	@./scripts/postgres.sh start >/dev/null
	@./scripts/kafka.sh start >/dev/null
	npx tsc -b
	node scripts/run-tests.mjs

test-unit: $(STAMP) ## Run the tests that need no database (no *.integration.test.ts)
	node scripts/run-tests.mjs --exclude '**/*.integration.test.ts'

db-start: ## Start the local PostgreSQL (Debian cluster) with the ticketing role and database
	./scripts/postgres.sh start

db-stop: ## Stop the local PostgreSQL
	./scripts/postgres.sh stop

kafka-start: ## Start a local single-node Kafka on 127.0.0.1:9092 (jars fetched from Maven Central once)
	./scripts/kafka.sh start

kafka-stop: ## Stop the local Kafka
	./scripts/kafka.sh stop

bench: $(STAMP) ## Benchmarks that print figures: outbox → Kafka, paid → notified, check-ins at 100 gates, then the on-sale (bench-onsale)
	@./scripts/postgres.sh start >/dev/null
	@./scripts/kafka.sh start >/dev/null
	npx tsc -b
	node packages/servers/dist/bench/outbox-kafka.js
	node packages/servers/dist/bench/checkin.js
	@$(MAKE) --no-print-directory bench-onsale

# The on-sale load driver is Go (bench/driver, its own module): a client cheap enough on CPU that a 2-core machine
# measures the servers, not the client. Built only here, so nothing CI runs needs Go.
DRIVER := .tools/bin/onsale-driver

$(DRIVER): bench/driver/go.mod bench/driver/go.sum $(wildcard bench/driver/*.go)
	go -C bench/driver build -o $(CURDIR)/$(DRIVER) .

bench-onsale: $(STAMP) $(DRIVER) ## On-sale load (real PostgreSQL + Kafka): both topologies, naive comparator; ARGS="--scenarios allinone --repeat 1"
	@./scripts/postgres.sh start >/dev/null
	@./scripts/kafka.sh start >/dev/null
	npx tsc -b
	node packages/servers/dist/bench/onsale.js $(ARGS)

# The suite starts and stops a Kafka broker of its own (scripts/kafka.sh on a free port, data in .run/faults/kafka);
# the stop after it catches a broker left behind when the suite itself was killed.
faults: build ## Fault-injection suite: kill -9 / SIGSTOP / broker outage under load, invariants checked (~8 min); ARGS="--scenarios kill-booking"
	@./scripts/postgres.sh start >/dev/null
	@status=0; node packages/servers/dist/faults/run.js $(ARGS) || status=$$?; \
	  TICKETING_KAFKA_RUN_DIR=$(CURDIR)/.run/faults/kafka ./scripts/kafka.sh stop >/dev/null 2>&1; exit $$status

# Two processes of every service on the local PostgreSQL and Kafka (a namespace of its own), 500 buyers over both
# checkout replicas, one replica of each service killed mid-run; see packages/servers/src/faults/replicas.ts.
replicas: build ## Two replicas of every service, one of each killed mid on-sale: capacity sold exactly, nothing done twice (~3 min)
	@./scripts/postgres.sh start >/dev/null
	@./scripts/kafka.sh start >/dev/null
	node packages/servers/dist/faults/replicas.js $(ARGS)

start: $(STAMP) ## Start the platform (embedded mode; see README)
	@node scripts/start.mjs

storefront-build: build ## Build examples/storefront against the packed SDK (npm pack → install the tarball → check → vite build)
	./scripts/storefront.sh build

storefront: storefront-build ## Start the embedded platform and the example storefront; prints the storefront's URL
	@node scripts/storefront.mjs serve

storefront-e2e: storefront-build ## Browser tests of the storefront: headless Debian Chromium, phone viewport; screenshots in .run/storefront-e2e/
	@./scripts/ensure-chromium.sh
	node scripts/storefront.mjs e2e

stop: ## Stop what `make start` started
	node scripts/stop.mjs

COMPOSE_FILES := -f docker-compose.yml $(if $(DEV),-f docker-compose.dev.yml) $(if $(OBS),--profile observability)

up: ## Compose: build and start PostgreSQL, Kafka, migrations and the five services (DEV=1 adds debuggers + watch; OBS=1 adds Prometheus, Grafana, Jaeger and traces)
	$(if $(OBS),OTEL_EXPORTER_OTLP_ENDPOINT=http://otel-collector:4318) docker compose $(COMPOSE_FILES) up -d --build

down: ## Compose: stop and remove the containers (volumes are kept)
	docker compose $(COMPOSE_FILES) down

logs: ## Compose: follow the services' logs
	docker compose $(COMPOSE_FILES) logs -f --tail=100

docs: build ## Regenerate docs/cli.md (from ticketctl --help) and docs/api.md (from the proto comments)
	node scripts/gen-docs.mjs

docs-check: docs ## Regenerate the docs and fail if the committed ones differ
	@git diff --exit-code --stat -- docs/cli.md docs/api.md || { echo "docs are stale: run 'make docs' and commit"; exit 1; }

other-languages: build ## A Python client generated from proto/ and grpcurl call a running embedded server
	./scripts/other-languages.sh

compose-check: build ## Validate the Compose files and the observability profile (docker compose config; pinned images; known variables; scrape targets, rules, dashboard)
	./scripts/install-compose.sh >/dev/null
	K8S_VALIDATE=$$(./scripts/k8s-tools.sh --checker-only) node scripts/check-compose.mjs

# helm and the checker (deploy/validate, its own Go module) come from the Go module proxy through scripts/k8s-tools.sh:
# the first build of helm takes 5 to 8 minutes on two cores, later runs reuse ~/.cache/ticketing-tools.
helm-check: ## Helm chart: lint, render with default and production values, decode every object strictly into the k8s.io/api types
	./scripts/helm-check.sh

readme-check: ## Clone HEAD into a temp dir and run the README's quick start there, as written (about 2 min)
	node scripts/readme-check.mjs

packed-install: ## Pack sdk and cli, install the tarballs in an empty project, use them against a running server
	./scripts/packed-install.sh

clean: ## Remove build output (dist/, tsbuildinfo) and .run/
	rm -rf packages/*/dist packages/*/tsconfig.tsbuildinfo .run
