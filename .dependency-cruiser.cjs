// The layering of packages/, checked by `make lint-deps` (dependency-cruiser). sdk is the ground floor; cli and
// servers stand on it side by side. Inside servers, platform/ is the floor the service folders stand on, each
// service keeps to its own folder, and a service's domain/ stays free of frameworks so it can be tested in memory.
// A service is any folder of packages/servers/src but these, so a new service is covered without a change here.
const NOT_SERVICES = ["platform", "testing", "bench", "faults"];
const SERVICE = `(?!(?:${NOT_SERVICES.join("|")})/)([^/]+)`;
const FRAMEWORK = ["@mikro-orm", "@connectrpc", "@platformatic/kafka", "kysely", "pino"];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      comment: "A cycle means neither module can be understood, tested or moved without the other.",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    {
      name: "no-unresolvable",
      comment: "An import this check cannot follow is an import it cannot judge.",
      severity: "error",
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: "sdk-stands-alone",
      comment: "The SDK is published on its own: it imports neither the CLI nor the servers.",
      severity: "error",
      from: { path: "^packages/sdk/" },
      to: { path: ["^packages/(cli|servers)/", "^@ticketing/(cli|servers)"] },
    },
    {
      name: "cli-knows-no-server-code",
      comment: "ticketctl talks to a deployment through the SDK only, never through the servers' modules.",
      severity: "error",
      from: { path: "^packages/cli/" },
      to: { path: ["^packages/servers/", "^@ticketing/servers"] },
    },
    {
      name: "servers-know-no-cli-code",
      severity: "error",
      from: { path: "^packages/servers/" },
      to: { path: ["^packages/cli/", "^@ticketing/cli"] },
    },
    {
      name: "platform-knows-no-service",
      comment: "platform/ is what every service stands on; the root that wires the services sits above them.",
      severity: "error",
      from: { path: "^packages/servers/src/platform/" },
      to: { path: `^packages/servers/src/${SERVICE}/` },
    },
    {
      name: "service-keeps-to-its-folder",
      comment: "Services talk through their APIs and events, never through each other's modules.",
      severity: "error",
      from: { path: `^packages/servers/src/${SERVICE}/` },
      to: { path: `^packages/servers/src/${SERVICE}/`, pathNot: "^packages/servers/src/$1/" },
    },
    {
      name: "domain-imports-no-framework",
      comment: "Domain code is plain TypeScript: the ORM, the RPC layer, the bus and the logger stay outside it.",
      severity: "error",
      from: { path: "^packages/servers/src/[^/]+/domain/" },
      to: { path: FRAMEWORK.map((name) => `(^|/)node_modules/${name}/`) },
    },
    {
      name: "domain-imports-no-node-builtin",
      severity: "error",
      from: { path: "^packages/servers/src/[^/]+/domain/" },
      to: { dependencyTypes: ["core"] },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    // Maps @ticketing/sdk to its sources (as vitest.config.ts does), so the check needs no build.
    tsConfig: { fileName: "tsconfig.lint.json" },
    // Subpath imports such as @bufbuild/protobuf/wkt exist only in their packages' "exports".
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["types", "import", "node", "default"],
      mainFields: ["types", "typings", "module", "main"],
    },
    baseline: { staleEntriesSeverity: "warn" },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
