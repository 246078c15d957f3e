# One Dockerfile for every Python app; SERVICE picks which (gateway, fusion, image, audio,
# video). Build context: the repository root.
#   docker build -f docker/service.Dockerfile --build-arg SERVICE=image -t dd-image .
FROM python:3.11-slim AS runtime
ARG SERVICE
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /app
RUN useradd --create-home --uid 10001 dd

# tcmalloc: freed activations are reused instead of unmapped and faulted back in on every
# forward (AASIST ran ~1.9x faster with it); preloaded for the model services below.
RUN apt-get update && apt-get install -y --no-install-recommends libtcmalloc-minimal4 \
    && rm -rf /var/lib/apt/lists/*

COPY requirements/ requirements/
# Model services get torch from PyTorch's CPU index (no CUDA wheels in the image), and
# TensorFlow/OpenCV/PyAV; the gateway and fusion need neither.
RUN set -eux; \
    case "$SERVICE" in \
      image|video|audio) \
        pip install --index-url https://download.pytorch.org/whl/cpu -r requirements/torch.txt; \
        pip install -r requirements/base.txt -r requirements/ml.txt -r requirements/audio.txt; \
        pip install --no-deps -r requirements/nodeps.txt ;; \
      gateway) pip install -r requirements/gateway.txt ;; \
      fusion) pip install -r requirements/base.txt ;; \
      *) echo "unknown SERVICE=$SERVICE" >&2; exit 1 ;; \
    esac

COPY libs/ libs/
COPY services/ services/
COPY gateway/ gateway/
COPY fusion/ fusion/
RUN set -eux; \
    pkgs="libs/contracts libs/service_kit libs/inference"; \
    case "$SERVICE" in \
      image) pkgs="$pkgs libs/face services/image" ;; \
      video) pkgs="$pkgs libs/face services/video" ;; \
      audio) pkgs="$pkgs services/audio" ;; \
      gateway) pkgs="$pkgs gateway" ;; \
      fusion) pkgs="$pkgs fusion" ;; \
    esac; \
    pip install --no-deps $pkgs; \
    echo "dd_$SERVICE" > /app/module

USER dd
# Weights are mounted read-only at /models (filled by `make models` on the host).
ENV IMAGE_MODELS_DIR=/models AUDIO_MODELS_DIR=/models VIDEO_MODELS_DIR=/models
CMD ["sh", "-c", "case $(cat /app/module) in dd_image|dd_audio|dd_video) export LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4;; esac; exec python -m $(cat /app/module)"]
