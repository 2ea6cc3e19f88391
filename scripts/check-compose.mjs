#!/usr/bin/env node
// Checks the Compose files without a Docker engine: `docker compose config` must accept both (when the compose
// client is installed), every image is pinned, every TICKETING_* variable a service sets is one the servers read,
// every service gets what it needs to start, every service another waits on to be healthy has a health check, and
// published ports do not collide.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

const root = join(import.meta.dirname, "..");
const { VARIABLES, SERVICE_NAMES } = await import(join(root, "packages/servers/dist/platform/config.js"));
const problems = [];

const known = new Set(VARIABLES.map((v) => v.name));
for (const s of SERVICE_NAMES) {
  known.add(`TICKETING_${s.toUpperCase()}_URL`);
  known.add(`TICKETING_${s.toUpperCase()}_DATABASE_URL`);
}
const commands = new Set([...SERVICE_NAMES, "all", "migrate"]);

function composeConfig(files) {
  try {
    const args = ["compose", ...files.flatMap((f) => ["-f", f]), "config", "--format", "json"];
    const out = execFileSync("docker", args, {
      cwd: root,
      env: { ...process.env, TICKETING_JWT_SECRET: "compose-config-check-secret-0123456789" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    console.log(`docker compose config accepts ${files.join(" + ")}`);
    return JSON.parse(out.toString());
  } catch (err) {
    const stderr = err.stderr?.toString() ?? "";
    // No compose client (only the docker CLI, or nothing): fall back to reading the YAML.
    if (err.code === "ENOENT" || /unknown command|is not a docker command|unknown shorthand flag/.test(stderr)) return undefined;
    problems.push(`docker compose config rejected ${files.join(" + ")}: ${stderr.trim() || err.message}`);
    return null;
  }
}

/** ${VAR:-default} and ${VAR:?message} as compose interpolates them (VAR unset here unless exported). */
function interpolate(text) {
  return text.replace(/\$\{(\w+)(?::([-?])([^}]*))?\}/g, (_, name, op, arg) =>
    process.env[name] ?? (op === "-" ? arg : op === "?" ? "compose-config-check-secret-0123456789" : ""),
  );
}

function fromYaml(files) {
  // Without the compose client: merge the files the way compose does for the keys checked here.
  const docs = files.map((f) => parse(interpolate(readFileSync(join(root, f), "utf8")), { merge: true }));
  const services = {};
  for (const doc of docs) {
    for (const [name, svc] of Object.entries(doc.services ?? {})) {
      const before = services[name] ?? {};
      services[name] = { ...before, ...svc, environment: { ...(before.environment ?? {}), ...(svc.environment ?? {}) } };
    }
  }
  return { services };
}

/**
 * The Dockerfile stages whose image has a HEALTHCHECK: compose's `service_healthy` waits forever on a service that
 * has none, and a stage inherits the health check of the stage it is built FROM.
 */
function healthyStages() {
  const healthy = new Set();
  let stage;
  let last;
  for (const line of readFileSync(join(root, "Dockerfile"), "utf8").split("\n")) {
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) {
      stage = from[2] ?? `#${Math.random()}`;
      if (healthy.has(from[1])) healthy.add(stage);
      last = stage;
      continue;
    }
    const check = /^HEALTHCHECK\s+(\S+)/i.exec(line);
    if (check && stage) {
      if (check[1].toUpperCase() === "NONE") healthy.delete(stage);
      else healthy.add(stage);
    }
  }
  return { healthy, last };
}
const stages = healthyStages();

/**
 * Whether compose can ever see `svc` healthy: its own healthcheck, else the one of the Dockerfile stage its image is
 * built from (by itself, or by another service building the same image tag). An upstream image must say it here.
 */
function hasHealthcheck(svc, services) {
  if (svc.healthcheck) return !svc.healthcheck.disable && !(Array.isArray(svc.healthcheck.test) && svc.healthcheck.test[0] === "NONE");
  const build = svc.build ?? Object.values(services).find((other) => other.build && other.image === svc.image)?.build;
  if (build) return stages.healthy.has(build.target ?? stages.last);
  return false;
}

let usedClient = false;
for (const files of [["docker-compose.yml"], ["docker-compose.yml", "docker-compose.dev.yml"]]) {
  const viaClient = composeConfig(files);
  if (viaClient) usedClient = true;
  const config = viaClient ?? fromYaml(files);
  if (!config) continue;
  const published = new Map();
  for (const [name, svc] of Object.entries(config.services ?? {})) {
    const image = svc.image ?? "";
    if (!image || !/:[\w.-]+$/.test(image) || image.endsWith(":latest")) problems.push(`${files.join("+")}: ${name}: image "${image}" is not pinned to a tag`);
    const env = svc.environment ?? {};
    for (const key of Object.keys(env)) {
      if (key.startsWith("TICKETING_") && !known.has(key)) problems.push(`${files.join("+")}: ${name}: ${key} is not a variable the servers read`);
    }
    const command = Array.isArray(svc.command) ? svc.command : [];
    if (image.startsWith("ticketing/")) {
      if (!commands.has(command[0])) problems.push(`${name}: command ${JSON.stringify(command)} names no service`);
      const needs = command[0] === "migrate" ? ["TICKETING_DATABASE_URL"] : ["TICKETING_DATABASE_URL", "TICKETING_JWT_SECRET", "TICKETING_KAFKA_BROKERS", "TICKETING_PORT", "TICKETING_HOST"];
      for (const need of needs) if (!(need in env)) problems.push(`${files.join("+")}: ${name}: ${need} is not set`);
    }
    const dependsOn = Array.isArray(svc.depends_on) ? {} : (svc.depends_on ?? {});
    for (const [dependency, { condition } = {}] of Object.entries(dependsOn)) {
      const target = config.services?.[dependency];
      if (condition === "service_healthy" && target && !hasHealthcheck(target, config.services)) {
        problems.push(`${files.join("+")}: ${name} waits for ${dependency} to be healthy, but ${dependency} has no healthcheck (nor does its image's Dockerfile stage): it would wait forever`);
      }
    }
    for (const p of svc.ports ?? []) {
      const host = typeof p === "string" ? p.split(":")[0] : String(p.published);
      if (published.has(host)) problems.push(`${files.join("+")}: port ${host} published by ${published.get(host)} and ${name}`);
      published.set(host, name);
    }
  }
  console.log(`${files.join(" + ")}: ${Object.keys(config.services ?? {}).length} services checked`);
}
if (!usedClient) console.log("note: the docker compose client is not installed here; checked the YAML itself");
if (problems.length > 0) {
  console.error(problems.map((p) => `compose: ${p}`).join("\n"));
  process.exit(1);
}
