# syntax=docker/dockerfile:1
# realtime-svg: compiled in a build stage with every dependency, run with production ones only.
# The server supports Node.js 20 and later; the image uses the current LTS line.
ARG NODE_IMAGE=node:24-alpine

# The build stage runs on the builder's own platform: its output (JavaScript) is the same for every
# target, so a multi-platform build (amd64 + arm64) compiles once, natively, not under emulation.
FROM --platform=$BUILDPLATFORM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY handlers ./handlers
COPY runtime ./runtime
# The web UI's sources: `npm run build` bundles them into dist/ui (ui/build.ts).
COPY ui ./ui
RUN npm run build

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# No install scripts: nothing the server uses needs one. The cache mount keeps npm's cache out
# of the image.
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --ignore-scripts --no-audit --no-fund
COPY --from=build /app/dist ./dist
# The image's unprivileged "node" user, by number so Kubernetes can check runAsNonRoot.
USER 1000:1000
EXPOSE 8080
# Alpine images have no curl: Node's own fetch asks /health (which never touches Redis).
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Node itself as PID 1 (not npm), so SIGTERM reaches the server and it drains its streams.
CMD ["node", "dist/runtime/node/main.js"]
