# GPU worker: onnxruntime-node with its CUDA 12 execution provider on a CUDA 12 / cuDNN 9 runtime.
FROM nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04 AS base
RUN apt-get update && apt-get install -y --no-install-recommends curl ca-certificates \
    && curl -fsSL https://deb.nodesource.com/setup_22.x | bash - \
    && apt-get install -y --no-install-recommends nodejs=22.20.0-1nodesource1 \
    && rm -rf /var/lib/apt/lists/*

FROM base AS build
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
# .npmrc skips the CUDA download for offline development machines; the image wants it.
ENV ONNXRUNTIME_NODE_INSTALL=cuda12
RUN npm ci && npm prune --omit=dev

FROM base
WORKDIR /app
ARG BROWNIAN_CODE_VERSION=unknown
ENV NODE_ENV=production BROWNIAN_CODE_VERSION=${BROWNIAN_CODE_VERSION} BROWNIAN_DEVICE=cuda
COPY --from=build /app /app
CMD ["node", "bin/brownian.js", "worker"]
