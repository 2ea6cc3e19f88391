# syntax=docker/dockerfile:1
# One image for every service: `docker run IMAGE event|booking|checkout|notification|all|migrate|token ...`.

ARG NODE_IMAGE=node:24.11-bookworm-slim

# ---- build: every dependency, generated code checked in, TypeScript compiled ------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.base.json tsconfig.json ./
COPY packages/sdk/package.json packages/sdk/
COPY packages/cli/package.json packages/cli/
COPY packages/servers/package.json packages/servers/
RUN npm ci --no-audit --no-fund
COPY packages packages
RUN npx tsc -b packages/servers

# ---- dev: sources mounted over /app, compiled in watch mode (docker-compose.dev.yml) ---------------------------
FROM build AS dev
ENV NODE_ENV=development
EXPOSE 50600 9229
ENTRYPOINT ["sh", "-c", "npx tsc -b packages/servers --watch --preserveWatchOutput & exec node --watch-path=packages/servers/dist --inspect=0.0.0.0:9229 packages/servers/dist/main.js \"$@\"", "--"]
CMD ["all", "--migrate"]

# ---- runtime: production dependencies of the servers only, compiled output, non-root ---------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    TICKETING_HOST=0.0.0.0
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/sdk/package.json packages/sdk/
COPY packages/servers/package.json packages/servers/
COPY packages/cli/package.json packages/cli/
RUN npm ci --omit=dev --no-audit --no-fund --workspace @ticketing/servers --workspace @ticketing/sdk \
    && npm cache clean --force
COPY --from=build /app/packages/sdk/dist packages/sdk/dist
COPY --from=build /app/packages/servers/dist packages/servers/dist
USER node
EXPOSE 50600 50610 50620 50630
# /readyz answers 200 once the process serves; compose sets TICKETING_PORT for every service.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.TICKETING_PORT||50600)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "packages/servers/dist/main.js"]
CMD ["all"]
