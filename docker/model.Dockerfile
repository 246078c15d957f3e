# One model service per image: SERVICE=image|audio|video picks the service and its own
# requirements file (requirements/image-$SERVICE.txt); nothing another service needs is
# installed. TORCH_VARIANT=cpu (default: PyTorch's CPU wheels, no CUDA) or xpu (Intel GPUs).
#   docker build -f docker/model.Dockerfile --build-arg SERVICE=audio -t deepfakedetective/audio .
# Build context: the repository root (.dockerignore keeps it to sources and requirements).
FROM python:3.11.13-slim-bookworm

ARG SERVICE
ARG TORCH_VARIANT=cpu
# Extra Debian packages, pinned by the caller (compose.xpu.yml: Intel GPU user-space driver).
ARG EXTRA_APT=""
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
WORKDIR /app

# tcmalloc keeps freed activations for reuse instead of unmapping them after every forward
# (AASIST: ~1.6-1.9x); preloaded below through LD_PRELOAD.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libtcmalloc-minimal4=2.10-1 ${EXTRA_APT} \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 --user-group dd

COPY requirements/ requirements/
# torch first, from PyTorch's own index for the variant (CPU wheels carry no CUDA); the
# second install then finds torch==X satisfied by X+cpu and never pulls CUDA from PyPI.
# -c lock.txt pins every transitive dependency to what the test suite ran with (a local
# version such as 2.14.1+cpu satisfies the lock's torch==2.14.1).
RUN test -n "$SERVICE" \
    && grep -E '^(torch|torchvision)==' "requirements/image-${SERVICE}.txt" > /tmp/torch.txt \
    && pip install --index-url "https://download.pytorch.org/whl/${TORCH_VARIANT}" -r /tmp/torch.txt \
    && pip install -r "requirements/image-${SERVICE}.txt" -c requirements/lock.txt \
    && if [ "$SERVICE" != audio ]; then pip install --no-deps -r requirements/nodeps.txt; fi \
    && rm /tmp/torch.txt

COPY libs/ libs/
COPY services/ services/
# Our own packages from the context (paths, not index names: nothing to pin).
# hadolint ignore=DL3013
RUN pkgs=(libs/contracts libs/evaluation libs/inference libs/mediaguard libs/service_kit "services/${SERVICE}"); \
    if [ "$SERVICE" != audio ]; then pkgs+=(libs/face); fi; \
    pip install --no-deps "${pkgs[@]}" \
    && rm -rf libs services

USER 10001:10001
# Weights: the named volume the one-shot `models` service fills, mounted read-only here.
# Allocator: tcmalloc preloaded (dd_inference.runtime does the same for `make run`).
ENV DD_MODULE=dd_${SERVICE} DD_MODELS_DIR=/models IMAGE_MODELS_DIR=/models AUDIO_MODELS_DIR=/models \
    VIDEO_MODELS_DIR=/models \
    LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4 \
    TF_CPP_MIN_LOG_LEVEL=2
# Health: compose and Kubernetes probe /healthz (alive) and /readyz (weights loaded).
CMD ["/bin/sh", "-c", "exec python -m \"$DD_MODULE\""]
