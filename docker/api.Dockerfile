# GraphQL API: no models run here, so the plain Node image is enough.
FROM node:22.20.0-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
COPY prisma ./prisma
COPY prisma.config.ts tsconfig.json ./
COPY scripts ./scripts
COPY bin ./bin
COPY src ./src
COPY services ./services
COPY web ./web
COPY bench ./bench
COPY test ./test
RUN npm ci && npm prune --omit=dev

FROM node:22.20.0-bookworm-slim
WORKDIR /app
ARG BROWNIAN_CODE_VERSION=unknown
ENV NODE_ENV=production BROWNIAN_CODE_VERSION=${BROWNIAN_CODE_VERSION} HOST=0.0.0.0 PORT=4000
COPY --from=build /app /app
EXPOSE 4000
HEALTHCHECK CMD node -e "fetch('http://127.0.0.1:4000/healthz').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"
CMD ["node", "bin/brownian.js", "serve"]
