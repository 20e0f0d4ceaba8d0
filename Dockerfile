# semreg server image for docker-compose (PostgreSQL comes from its own container there).
# Stage 1 compiles dist/ with the dev dependencies; the image itself holds production dependencies only.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY . .
RUN node scripts/build.mjs

FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts skips `prepare` (the build, done above); `npm rebuild` then runs the dependencies' own
# install scripts (the embedded PostgreSQL binaries, used when DATABASE_URL is unset).
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts && npm rebuild
COPY --from=build /app/dist dist
COPY bin bin
COPY schemas schemas
ENV HOST=0.0.0.0 PORT=5000 DATA_DIR=/data NODE_ENV=production
EXPOSE 5000
CMD ["node", "dist/main.js"]
