# semreg server image for docker-compose (PostgreSQL comes from its own container there).
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
ENV HOST=0.0.0.0 PORT=5000 DATA_DIR=/data
EXPOSE 5000
CMD ["node_modules/.bin/tsx", "src/main.ts"]
