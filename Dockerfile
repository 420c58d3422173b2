# One image for the three services; the command picks the role: ingest, worker, console (or all).
FROM node:20-slim

WORKDIR /app

# Dependencies first, so a code change does not reinstall them. tsx (a runtime dependency) runs the
# TypeScript directly: there is no build step.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

COPY . .

USER node
ENV HOST=0.0.0.0
EXPOSE 8080 8081 8082

ENTRYPOINT ["node_modules/.bin/tsx", "bin/server.ts"]
CMD ["all"]
