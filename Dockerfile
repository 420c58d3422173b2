# One image for the three services; the command picks the role: ingest, worker, console (or all).
# Two stages: the first installs every dependency and compiles the TypeScript to dist/; the image that
# runs holds only the production dependencies, dist/ and the migrations, and runs plain node.

FROM node:20-slim AS build

WORKDIR /app

# Dependencies first, so a code change does not reinstall them. --ignore-scripts: `prepare` would run the
# build before the sources are here; it runs below instead.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund

COPY tsconfig.json tsconfig.build.json ./
COPY domain domain
COPY db db
COPY platform platform
COPY services services
COPY bin bin
RUN npm run build

FROM node:20-slim

WORKDIR /app

# --ignore-scripts: `prepare` (the build) needs TypeScript, a dev dependency, and dist/ comes from the
# build stage. The native modules (argon2, msgpackr-extract) load prebuilt binaries without install scripts.
# package.json stays in the image: it makes dist/*.js ES modules and marks the root that migrations/ is
# found from.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

COPY --from=build /app/dist dist
COPY migrations migrations

USER node
ENV HOST=0.0.0.0
# glibc keeps the 19 MB buffers of each argon2 password hash in its heap once freed (its mmap threshold
# grows to their size); a fixed threshold hands them back: about 80 MB less resident per service.
ENV MALLOC_MMAP_THRESHOLD_=131072
EXPOSE 8080 8081 8082

ENTRYPOINT ["node", "--enable-source-maps", "dist/bin/server.js"]
CMD ["all"]
