# Production image: migrates the database, then serves UI, API and short links on port 8000.
FROM python:3.13-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    REFLEX_USE_SYSTEM_BUN=true \
    REFLEX_TELEMETRY_ENABLED=false \
    REFLEX_CHECK_LATEST_VERSION=false

# Reflex builds the frontend with bun; bun comes from the npm registry.
RUN apt-get update \
    && apt-get install -y --no-install-recommends nodejs npm unzip \
    && npm install --global bun \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY . .
RUN pip install --no-cache-dir . \
    && useradd --create-home --uid 10001 linkapp \
    && chown -R linkapp /app
USER linkapp

# Install the frontend's packages and compile it once at build time (secrets are throwaway here).
RUN ENV=development JWT_SECRET=build-only HASHID_SALT=build-only reflex export --frontend-only --no-zip \
    && rm -f .linkapp-secrets.json

ENV ENV=production PORT=8000
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz').status != 200)"
CMD ["sh", "-c", "alembic upgrade head && exec reflex run --env prod --single-port --frontend-port $PORT --backend-port $PORT --backend-host 0.0.0.0"]
