import type { KnipConfig } from "knip";

// Unused files, exports and dependencies, checked by `make lint-knip`. Entry points that knip cannot find by
// itself are named here: the launchers in bin/ load dist/main.js by a computed path, scripts/ load dist/ modules,
// and the benchmarks and the fault suite run as `node packages/servers/dist/<dir>/<file>.js`.

const config: KnipConfig = {
  ignoreBinaries: ["make"],
  // The example storefront is a project of its own (own package.json and lock, the SDK installed from its tarball).
  ignore: ["examples/**"],
  workspaces: {
    ".": {
      entry: ["scripts/**/*.mjs"],
      // Run by scripts/packed-install.sh and the Makefile through npx, which knip does not read.
      ignoreDependencies: ["@arethetypeswrong/cli", "publint", "jscpd"],
    },
    "packages/sdk": {},
    "packages/cli": {
      entry: ["src/main.ts", "src/program.ts"],
    },
    "packages/servers": {
      entry: ["src/main.ts", "src/schema-tool.ts", "src/platform/config.ts", "src/bench/*.ts", "src/faults/run.ts", "src/faults/replicas.ts"],
    },
  },
};

export default config;
