# Fusion service: confidence-weighted logit mean; the service kit and nothing else.
#   docker build -f docker/fusion.Dockerfile -t deepfakedetective/fusion .
FROM python:3.11.13-slim-bookworm
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /app
RUN useradd --create-home --uid 10001 --user-group dd

COPY requirements/ requirements/
RUN pip install -r requirements/image-fusion.txt -c requirements/lock.txt

COPY libs/contracts libs/contracts
# dd_inference's calibration reader (dd_eval.calibration: numpy only, loaded lazily).
COPY libs/evaluation libs/evaluation
COPY libs/inference libs/inference
COPY libs/service_kit libs/service_kit
COPY fusion/ fusion/
# Our own packages from the context (paths, not index names: nothing to pin). A bare
# folder name without a slash is an index name to pip: hence ./fusion, ./gateway.
# hadolint ignore=DL3013
RUN pip install --no-deps libs/contracts libs/evaluation libs/inference libs/service_kit ./fusion \
    && rm -rf libs fusion

USER 10001:10001
ENV FUSION_HOST=0.0.0.0 FUSION_PORT=8004
EXPOSE 8004
CMD ["python", "-m", "dd_fusion"]
