# Linkapp's image: the UI, the API and the short links on port 8000, with the frontend built in.
# compose.yaml runs two of these behind Caddy, with PostgreSQL and Redis. On its own (SQLite in
# the /data volume):
#   docker build --build-arg HOST_URL=https://go.example.com -t linkapp .
#   docker run --rm --env-file .env -v linkapp-data:/data linkapp alembic upgrade head
#   docker run -d --env-file .env -v linkapp-data:/data -p 8000:8000 linkapp

# Reflex 0.10 wants Node.js 22.22 or newer to build the frontend: the official image's newest 22.
FROM node:22-bookworm-slim AS node

FROM python:3.13-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    REFLEX_USE_SYSTEM_BUN=true \
    REFLEX_TELEMETRY_ENABLED=false \
    REFLEX_CHECK_LATEST_VERSION=false \
    NPM_CONFIG_REGISTRY=https://registry.npmjs.org \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false

COPY --from=node /usr/local/bin/node /usr/local/bin/node
COPY --from=node /usr/local/lib/node_modules /usr/local/lib/node_modules
# bun, which Reflex installs and bundles the frontend with, comes from the npm registry.
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
    && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
    && npm install --global bun@1.4.5 \
    && npm cache clean --force \
    && useradd --no-log-init --create-home --uid 10001 --user-group linkapp \
    && mkdir -p /app /data/spool \
    && chown -R 10001:10001 /app /data

WORKDIR /app

# Dependencies before the source: this layer is rebuilt only when pyproject.toml changes.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install --no-cache-dir -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY --chown=10001:10001 . .
# The package itself (the `linkapp` command); its dependencies are in already.
RUN pip install --no-cache-dir --no-deps . \
    && rm -rf build ./*.egg-info
USER 10001:10001

# Compile and build the frontend now, as a start does (`python -m linkapp.serve`), so that a start
# only checks that it is current. HOST_URL is baked into the pages (their websocket goes there):
# a start with another one, or with changed code, rebuilds first. The secrets are throwaway, and
# ALEMBIC_CONFIG points nowhere so that Reflex does not compare a database that is not there yet.
ARG HOST_URL=http://localhost:8000
ENV HOST_URL=${HOST_URL}
RUN ENV=development JWT_SECRET=image-build-only HASHID_SALT=image-build-only ALEMBIC_CONFIG=/nonexistent \
    python -m linkapp.serve --build-only

# SQLite (the default without DATABASE_URL) and the click spool live in the volume.
ENV ENV=production \
    PORT=8000 \
    DATABASE_URL=sqlite:////data/linkapp.db \
    SPOOL_DIR=/data/spool
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), timeout=4)"]
# Migrations are not run here: several instances would race. Run `alembic upgrade head` once
# first (compose.yaml's migrate service does).
CMD ["python", "-m", "linkapp.serve"]
