# Optional Intel variant of a model service: torch 2.8 + intel-extension-for-pytorch 2.8
# (IPEX pins torch exactly and its repository is archived upstream: no newer release will
# come; use it only where bench/accel.py shows it wins on your CPU). DD_ACCEL_IPEX=true
# makes dd_inference.accel call ipex.optimize; without IPEX importable it falls back.
#   docker build -f docker/ipex.Dockerfile --build-arg SERVICE=audio -t deepfakedetective/audio-ipex .
FROM python:3.11.13-slim-bookworm

ARG SERVICE
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
WORKDIR /app
RUN apt-get update \
    && apt-get install -y --no-install-recommends libtcmalloc-minimal4=2.10-1 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 --user-group dd

COPY requirements/ requirements/
# The service's requirements without its torch pins, then the IPEX-compatible torch pair.
RUN test -n "$SERVICE" \
    && grep -E '^(torch|torchvision)==' requirements/image-ipex.txt > /tmp/torch.txt \
    && pip install --index-url https://download.pytorch.org/whl/cpu -r /tmp/torch.txt \
    && pip install -r requirements/image-ipex.txt \
    && grep -vE '^(torch|torchvision)==' "requirements/image-${SERVICE}.txt" > /tmp/rest.txt \
    && pip install -r /tmp/rest.txt -c requirements/image-ipex.txt \
    && if [ "$SERVICE" != audio ]; then pip install --no-deps -r requirements/nodeps.txt; fi \
    && rm /tmp/rest.txt /tmp/torch.txt

COPY libs/ libs/
COPY services/ services/
# Our own packages from the context (paths, not index names: nothing to pin).
# hadolint ignore=DL3013
RUN pkgs=(libs/contracts libs/evaluation libs/inference libs/mediaguard libs/service_kit "services/${SERVICE}"); \
    if [ "$SERVICE" != audio ]; then pkgs+=(libs/face); fi; \
    pip install --no-deps "${pkgs[@]}" \
    && rm -rf libs services

USER 10001:10001
ENV DD_MODULE=dd_${SERVICE} DD_MODELS_DIR=/models IMAGE_MODELS_DIR=/models \
    AUDIO_MODELS_DIR=/models VIDEO_MODELS_DIR=/models DD_ACCEL_IPEX=true \
    LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4 \
    TF_CPP_MIN_LOG_LEVEL=2
CMD ["/bin/sh", "-c", "exec python -m \"$DD_MODULE\""]
