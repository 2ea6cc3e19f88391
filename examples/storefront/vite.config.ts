import { defineConfig } from "vite";

// @ticketing/sdk resolves to node_modules only, where `make storefront-build` installs the tarball that
// `npm pack` made of packages/sdk (the "browser" export condition picks its browser entry).
export default defineConfig({
  build: {
    target: "es2022",
    sourcemap: false,
    chunkSizeWarningLimit: 600,
    rollupOptions: {
      // TanStack Query marks its modules "use client" for React Server Components; a client-only bundle ignores it.
      onwarn(warning, warn) {
        if (warning.code !== "MODULE_LEVEL_DIRECTIVE") warn(warning);
      },
    },
  },
  preview: { port: 5173 },
});
