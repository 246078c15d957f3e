# One-shot weight fetcher: scripts/fetch_models.py (standard library only) fills /models
# from a mirror folder (DD_MODELS_MIRROR, mounted) or from the URLs pinned in the manifest,
# refusing any file whose SHA-256 differs. Used by compose's `models` service and the
# Kubernetes init Job.
FROM python:3.11.13-slim-bookworm
ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
WORKDIR /app
RUN useradd --create-home --uid 10001 --user-group dd \
    && mkdir -p /models \
    && chown dd:dd /models
COPY scripts/fetch_models.py scripts/fetch_models.py
COPY models/manifest.json models/manifest.json
USER 10001:10001
CMD ["python", "scripts/fetch_models.py", "--manifest", "models/manifest.json", "--models-dir", "/models"]
