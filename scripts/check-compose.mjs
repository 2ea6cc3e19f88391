#!/usr/bin/env node
// Checks the Compose files without a Docker engine: `docker compose config` must accept both (when the compose
// client is installed), every image is pinned, every TICKETING_* variable a service sets is one the servers read,
// every service gets what it needs to start, every service another waits on to be healthy has a health check, and
// published ports do not collide. The observability profile too: every file it mounts exists, Prometheus scrapes
// every service at its port, the collector and Grafana point at services that exist, the alert rules and dashboard
// queries parse (Prometheus's parser, in deploy/validate: K8S_VALIDATE names it), and every metric they use is one
// the servers export and docs/operations.md explains.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { parse } from "yaml";

const root = join(import.meta.dirname, "..");
const { VARIABLES } = await import(join(root, "packages/servers/dist/platform/config.js"));
const { SERVICE_NAMES } = await import(join(root, "packages/servers/dist/services.js"));
const problems = [];

const known = new Set(VARIABLES.map((v) => v.name));
for (const s of SERVICE_NAMES) {
  known.add(`TICKETING_${s.toUpperCase()}_URL`);
  known.add(`TICKETING_${s.toUpperCase()}_DATABASE_URL`);
}
const commands = new Set([...SERVICE_NAMES, "all", "migrate"]);

function composeConfig(files, profiles) {
  try {
    const args = ["compose", ...files.flatMap((f) => ["-f", f]), ...profiles.flatMap((p) => ["--profile", p]), "config", "--format", "json"];
    const out = execFileSync("docker", args, {
      cwd: root,
      env: { ...process.env, TICKETING_JWT_SECRET: "compose-config-check-secret-0123456789" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    console.log(`docker compose config accepts ${label(files, profiles)}`);
    return JSON.parse(out.toString());
  } catch (err) {
    const stderr = err.stderr?.toString() ?? "";
    // No compose client (only the docker CLI, or nothing): fall back to reading the YAML.
    if (err.code === "ENOENT" || /unknown command|is not a docker command|unknown shorthand flag/.test(stderr)) return undefined;
    problems.push(`docker compose config rejected ${label(files, profiles)}: ${stderr.trim() || err.message}`);
    return null;
  }
}

/** ${VAR:-default} and ${VAR:?message} as compose interpolates them (VAR unset here unless exported). */
function interpolate(text) {
  return text.replace(/\$\{(\w+)(?::([-?])([^}]*))?\}/g, (_, name, op, arg) =>
    process.env[name] ?? (op === "-" ? arg : op === "?" ? "compose-config-check-secret-0123456789" : ""),
  );
}

const label = (files, profiles) => files.join(" + ") + profiles.map((p) => ` (profile ${p})`).join("");

function fromYaml(files, profiles) {
  // Without the compose client: merge the files the way compose does for the keys checked here, and keep the
  // services of no profile or of an active one.
  const docs = files.map((f) => parse(interpolate(readFileSync(join(root, f), "utf8")), { merge: true }));
  const services = {};
  for (const doc of docs) {
    for (const [name, svc] of Object.entries(doc.services ?? {})) {
      const before = services[name] ?? {};
      services[name] = { ...before, ...svc, environment: { ...(before.environment ?? {}), ...(svc.environment ?? {}) } };
    }
  }
  for (const [name, svc] of Object.entries(services)) {
    if (svc.profiles && !svc.profiles.some((p) => profiles.includes(p))) delete services[name];
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


/** Bind mounts, as compose prints them (objects with absolute sources) or as written ("./a:/b:ro"). */
function bindMounts(svc) {
  const mounts = [];
  for (const v of svc.volumes ?? []) {
    if (typeof v === "string") {
      const [source, target] = v.split(":");
      if (source.startsWith(".") || source.startsWith("/")) mounts.push({ source: isAbsolute(source) ? source : join(root, source), target });
    } else if (v.type === "bind") {
      mounts.push({ source: isAbsolute(v.source) ? v.source : join(root, v.source), target: v.target });
    }
  }
  return mounts;
}

function checkMounts(where, config) {
  for (const [name, svc] of Object.entries(config.services ?? {})) {
    for (const m of bindMounts(svc)) {
      if (!existsSync(m.source)) problems.push(`${where}: ${name} mounts ${m.source}, which does not exist`);
    }
  }
}

/** The repository file a service mounts at `target`. */
function mounted(svc, target) {
  return bindMounts(svc).find((m) => m.target === target)?.source;
}

const hostOf = (address) => address.replace(/^\w+:\/\//, "").split(/[:/]/)[0];

function checkObservability(config) {
  const services = config.services ?? {};
  const where = "observability profile";
  for (const needed of ["otel-collector", "prometheus", "grafana", "jaeger"]) {
    if (!services[needed]) problems.push(`${where}: no ${needed} service`);
  }
  const ticketing = Object.entries(services).filter(([, svc]) => (svc.image ?? "").startsWith("ticketing/") && svc.command?.[0] !== "migrate");
  for (const [name, svc] of ticketing) {
    const endpoint = svc.environment?.OTEL_EXPORTER_OTLP_ENDPOINT;
    if (endpoint === undefined) problems.push(`${where}: ${name} is not given OTEL_EXPORTER_OTLP_ENDPOINT`);
  }

  // Prometheus: one target per service, at the port it listens on, and the rule files it loads are mounted.
  const prometheus = services.prometheus;
  const promFile = prometheus && mounted(prometheus, "/etc/prometheus/prometheus.yaml");
  if (promFile && existsSync(promFile)) {
    const prom = parse(readFileSync(promFile, "utf8"));
    const jobs = prom.scrape_configs ?? [];
    const targets = new Set(jobs.flatMap((j) => (j.static_configs ?? []).flatMap((c) => c.targets ?? [])));
    for (const [name, svc] of ticketing) {
      const target = `${name}:${svc.environment?.TICKETING_PORT}`;
      if (!targets.has(target)) problems.push(`${where}: Prometheus does not scrape ${target}`);
    }
    for (const target of targets) {
      if (!services[hostOf(target)]) problems.push(`${where}: Prometheus scrapes ${target}, which is no service`);
    }
    for (const job of jobs) {
      if ((job.metrics_path ?? "/metrics") !== "/metrics") problems.push(`${where}: job ${job.job_name} scrapes ${job.metrics_path}, the services serve /metrics`);
      if (!job.honor_labels) problems.push(`${where}: job ${job.job_name} must honor the services' own labels (service)`);
    }
    for (const file of prom.rule_files ?? []) {
      const source = mounted(prometheus, file);
      if (!source) problems.push(`${where}: Prometheus loads ${file}, which is not mounted`);
      else ruleFiles.add(source);
    }
  } else {
    problems.push(`${where}: Prometheus's configuration is not mounted from the repository`);
  }

  // The collector receives OTLP and exports to services that exist; every pipeline names defined components.
  const collector = services["otel-collector"];
  const collectorFile = collector && mounted(collector, "/etc/otelcol/config.yaml");
  if (collectorFile && existsSync(collectorFile)) {
    const otel = parse(readFileSync(collectorFile, "utf8"));
    if (!otel.receivers?.otlp) problems.push(`${where}: the collector has no otlp receiver`);
    for (const [id, exporter] of Object.entries(otel.exporters ?? {})) {
      if (exporter?.endpoint && !services[hostOf(exporter.endpoint)]) problems.push(`${where}: collector exporter ${id} sends to ${exporter.endpoint}, which is no service`);
    }
    for (const [id, pipeline] of Object.entries(otel.service?.pipelines ?? {})) {
      for (const kind of ["receivers", "processors", "exporters"]) {
        for (const component of pipeline[kind] ?? []) {
          if (!otel[kind] || !(component in otel[kind])) problems.push(`${where}: collector pipeline ${id} names ${kind.slice(0, -1)} ${component}, which is not defined`);
        }
      }
    }
  } else {
    problems.push(`${where}: the collector's configuration is not mounted from the repository`);
  }

  // Grafana: data sources point at services, the dashboards it provisions are mounted.
  const grafana = services.grafana;
  const datasources = grafana && mounted(grafana, "/etc/grafana/provisioning/datasources");
  if (datasources && existsSync(join(datasources, "datasources.yaml"))) {
    for (const ds of parse(readFileSync(join(datasources, "datasources.yaml"), "utf8")).datasources ?? []) {
      if (!services[hostOf(ds.url)]) problems.push(`${where}: Grafana data source ${ds.name} points at ${ds.url}, which is no service`);
    }
  } else {
    problems.push(`${where}: Grafana's data sources are not provisioned from the repository`);
  }
  for (const m of grafana ? bindMounts(grafana) : []) {
    if (m.target.endsWith(".json")) dashboards.add(m.source);
  }
  if (dashboards.size === 0) problems.push(`${where}: Grafana has no dashboard`);
}

const ruleFiles = new Set();
const dashboards = new Set();

/**
 * The alert rules and dashboards the observability profile loads: their PromQL parses (deploy/validate, with
 * Prometheus's parser), every metric they name is one the servers export, and docs/operations.md explains every
 * such metric and every alert.
 */
async function checkQueries() {
  const checker = process.env.K8S_VALIDATE;
  if (checker) {
    for (const [flag, files] of [["-rules", ruleFiles], ["-dashboard", dashboards]]) {
      for (const file of files) {
        try {
          execFileSync(checker, [flag, file], { stdio: ["ignore", "pipe", "pipe"] });
        } catch (err) {
          problems.push(`${file}: ${err.stderr?.toString().trim() || err.message}`);
        }
      }
    }
    console.log(`PromQL of ${ruleFiles.size} rule file(s) and ${dashboards.size} dashboard(s) parsed`);
  } else {
    console.log("note: K8S_VALIDATE is not set; the PromQL of the rules and dashboards was not parsed");
  }
  const used = new Map();
  const alerts = [];
  for (const file of ruleFiles) {
    for (const group of parse(readFileSync(file, "utf8")).groups ?? []) {
      for (const rule of group.rules ?? []) {
        if (rule.alert) alerts.push(rule.alert);
        for (const name of String(rule.expr).match(/\bticketing_\w+/g) ?? []) used.set(name, file);
      }
    }
  }
  for (const file of dashboards) {
    for (const name of readFileSync(file, "utf8").match(/\bticketing_\w+/g) ?? []) used.set(name, file);
  }
  const exported = await exportedMetrics();
  const operations = existsSync(join(root, "docs/operations.md")) ? readFileSync(join(root, "docs/operations.md"), "utf8") : "";
  for (const [series, file] of used) {
    const metric = series.replace(/_(bucket|sum|count)$/, "");
    if (exported && !exported.has(series) && !exported.has(metric)) problems.push(`${file}: ${series} is not a metric the servers export`);
    if (!operations.includes(metric) && !/^ticketing_(process|nodejs)_/.test(metric)) problems.push(`${file}: ${metric} is not explained in docs/operations.md`);
  }
  for (const alert of alerts) {
    if (!operations.includes(alert)) problems.push(`alert ${alert} is not explained in docs/operations.md`);
  }
  console.log(`${used.size} metrics and ${alerts.length} alerts used by the rules and dashboards checked${exported ? " against the servers' registry" : ""}`);
}

/** Names of the metrics the servers register (prom-client's registry), when the servers are built with one. */
async function exportedMetrics() {
  const module = join(root, "packages/servers/dist/platform/metrics.js");
  if (!existsSync(module)) return undefined;
  const { Metrics } = await import(module);
  const metrics = new Metrics();
  const names = new Set();
  for (const m of await metrics.registry.getMetricsAsJSON()) {
    names.add(m.name);
    for (const v of m.values ?? []) if (v.metricName) names.add(v.metricName);
  }
  return names;
}

let usedClient = false;
const setups = [
  { files: ["docker-compose.yml"], profiles: [] },
  { files: ["docker-compose.yml", "docker-compose.dev.yml"], profiles: [] },
  { files: ["docker-compose.yml"], profiles: ["observability"] },
];
for (const { files, profiles } of setups) {
  const viaClient = composeConfig(files, profiles);
  if (viaClient) usedClient = true;
  const config = viaClient ?? fromYaml(files, profiles);
  if (!config) continue;
  checkMounts(label(files, profiles), config);
  if (profiles.includes("observability")) checkObservability(config);
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
  console.log(`${label(files, profiles)}: ${Object.keys(config.services ?? {}).length} services checked`);
}
await checkQueries();
if (!usedClient) console.log("note: the docker compose client is not installed here; checked the YAML itself");
if (problems.length > 0) {
  console.error(problems.map((p) => `compose: ${p}`).join("\n"));
  process.exit(1);
}
