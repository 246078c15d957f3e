# Gateway + dashboard. Stage 1 builds the dashboard (frontend/dist) with Node; stage 2 is
# the Python gateway serving it (GATEWAY_STATIC_DIR). No model runtime in this image.
#   docker build -f docker/gateway.Dockerfile -t deepfakedetective/gateway .
FROM node:20.20.2-bookworm-slim AS dashboard
WORKDIR /frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build

FROM python:3.11.13-slim-bookworm
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /app
RUN useradd --create-home --uid 10001 --user-group dd \
    && mkdir -p /data /media \
    && chown dd:dd /data /media

COPY requirements/ requirements/
RUN pip install -r requirements/image-gateway.txt -c requirements/lock.txt

COPY libs/contracts libs/contracts
COPY libs/evaluation libs/evaluation
COPY libs/inference libs/inference
COPY libs/mediaguard libs/mediaguard
COPY libs/service_kit libs/service_kit
# Provenance runs in the gateway; the gateway applies fusion's provenance rules.
COPY libs/provenance libs/provenance
COPY fusion/ fusion/
COPY gateway/ gateway/
# Our own packages from the context (paths, not index names: nothing to pin). A bare
# folder name without a slash is an index name to pip: hence ./fusion, ./gateway.
# hadolint ignore=DL3013
RUN pip install --no-deps libs/contracts libs/evaluation libs/inference libs/mediaguard \
        libs/service_kit libs/provenance ./fusion ./gateway \
    && rm -rf libs fusion gateway
COPY --from=dashboard /frontend/dist /app/dashboard

USER 10001:10001
ENV GATEWAY_HOST=0.0.0.0 GATEWAY_PORT=8000 GATEWAY_DATA_DIR=/data \
    GATEWAY_STATIC_DIR=/app/dashboard
EXPOSE 8000
CMD ["python", "-m", "dd_gateway"]
