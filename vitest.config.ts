import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const sdkSrc = fileURLToPath(new URL("./packages/sdk/src/", import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run against the SDK's sources, so they need no build first.
    alias: [
      { find: /^@ticketing\/sdk$/, replacement: `${sdkSrc}index.ts` },
      { find: /^@ticketing\/sdk\/(web|grpc)$/, replacement: `${sdkSrc}$1.ts` },
    ],
  },
  test: {
    include: ["packages/*/src/**/*.test.{ts,tsx}"],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Integration files start servers, databases and Kafka consumers; two at a time keeps a 2-core machine from
    // starving the timing-sensitive ones (hold TTLs of a few seconds).
    maxWorkers: 2,
  },
});
