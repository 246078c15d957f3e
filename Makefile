# DeepfakeDetective — one command to run the stack, one to test it.
#   make run    install what is missing, fetch models, start everything on loopback
#   make test   install what is missing, fetch models, run the whole test suite
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Weights are copied from a mirror folder when one is given (CI: ../shared/models);
# with no mirror, `make models` downloads them from the pinned URLs.
DD_MODELS_MIRROR ?= $(if $(wildcard ../shared/models/manifest.json ../shared/models/mesonet),$(abspath ../shared/models),)
export DD_MODELS_MIRROR
PYTEST_ARGS ?=

REQUIREMENTS := $(wildcard requirements/*.txt)
PYPROJECTS := $(wildcard libs/*/pyproject.toml services/*/pyproject.toml gateway/pyproject.toml fusion/pyproject.toml clients/*/pyproject.toml)
# The dashboard: installed from the committed lockfile, built into frontend/dist (which the
# gateway serves). Rebuilt when a source file is newer than the build.
WEB_STAMP := frontend/node_modules/.installed
WEB_SOURCES := $(shell find frontend/src frontend/public -type f 2>/dev/null) frontend/index.html frontend/vite.config.ts frontend/package.json frontend/openapi.json

.PHONY: help venv web models run test test-unit test-web lint typecheck bench openapi clean compose-config key-create key-list key-revoke

help:
	@echo "make run | test | models | lint | typecheck | bench | openapi | compose-config | clean"

venv: $(STAMP)

$(STAMP): $(REQUIREMENTS) $(PYPROJECTS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip setuptools wheel
	$(BIN)/pip install -q -r requirements/dev.txt -c requirements/lock.txt
	# facenet-pytorch pins an old torch in its metadata; it works with ours.
	$(BIN)/pip install -q --no-deps -r requirements/nodeps.txt
	$(BIN)/pip install -q --no-deps --no-build-isolation -r requirements/local.txt
	# The CUDA torch build pulls in triton (GPU kernels only). Its LLVM clashes with
	# TensorFlow's: importing it after TF segfaults. CPU inference never needs it.
	$(BIN)/pip uninstall -y -q triton || true
	touch $@

models:
	$(PYTHON) scripts/fetch_models.py

$(WEB_STAMP): frontend/package-lock.json
	cd frontend && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
	touch $@

frontend/dist/index.html: $(WEB_STAMP) $(WEB_SOURCES)
	cd frontend && npm run build

web: frontend/dist/index.html

# A weight file that cannot be fetched does not stop the stack: that service starts, says
# why on /readyz, and the gateway reports its modality as unavailable.
run: venv web
	$(PYTHON) scripts/fetch_models.py || echo "warning: some model weights are missing; those services will report not ready"
	$(BIN)/python scripts/run_stack.py

# The dashboard's checks and browser tests first, the Python suite last (its summary
# closes the run). The gateway's OpenAPI is compared with frontend/openapi.json first: a
# committed openapi.json or TypeScript client stale against the gateway fails the run.
test: venv models web
	$(BIN)/python scripts/export_openapi.py --check frontend/openapi.json
	$(MAKE) test-web
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-web: $(WEB_STAMP) frontend/dist/index.html
	cd frontend && npm run check:client && npm run lint && npm run typecheck && npm test
	cd frontend && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm run e2e

test-unit: venv
	$(BIN)/python -m pytest -m "not weights and not integration" $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv
	$(BIN)/mypy libs/contracts/dd_contracts libs/inference/dd_inference libs/mediaguard/dd_mediaguard libs/service_kit/dd_service_kit libs/face/dd_face libs/provenance/dd_provenance libs/evaluation/dd_eval clients/python/dfd fusion/dd_fusion gateway/dd_gateway services/image/dd_image services/audio/dd_audio services/video/dd_video

bench: venv models
	$(BIN)/python bench/image.py
	$(BIN)/python bench/audio.py
	$(BIN)/python bench/video.py
	$(BIN)/python bench/gateway.py
	$(BIN)/python bench/hostile.py --start

# API keys for the gateway (stored hashed; the key is shown once on creation).
key-create: venv
	$(BIN)/python -m dd_gateway.keys create $(NAME)

key-list: venv
	$(BIN)/python -m dd_gateway.keys list

key-revoke: venv
	$(BIN)/python -m dd_gateway.keys revoke $(KEY)

openapi: venv
	$(BIN)/python scripts/export_openapi.py frontend/openapi.json

compose-config: venv
	$(BIN)/docker-compose -f docker-compose.yml config -q

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache

# Evaluation corpus (offline: Debian/PyPI packages' media + TTS made here) -> data/eval/
.PHONY: eval-data
eval-data: venv
	command -v ffmpeg >/dev/null || (echo "needs ffmpeg espeak-ng flite festival: apt-get install -y ffmpeg espeak-ng flite festival festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts pocketsphinx-testdata alsa-utils opencv-doc" && exit 2)
	$(BIN)/python scripts/make_eval_data.py

# The Python client and the `dfd` command (clients/python; no ML packages). `make venv`
# installs it editable (requirements/local.txt); elsewhere: pip install ./clients/python
.PHONY: client-install client-test
client-install: venv
	$(BIN)/pip install -q --no-deps --no-build-isolation -e clients/python

client-test: client-install
	$(BIN)/python -m pytest tests/clients/python $(PYTEST_ARGS)

# The dashboard's API client (frontend/src/lib/api/schema.d.ts), generated from
# frontend/openapi.json (`make openapi` re-exports that from the gateway).
.PHONY: client
client:
	cd frontend && { test -d node_modules || PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci; } && npm run generate:client

# Each Docker image's Python environment, built without Docker the way its Dockerfile does
# (fresh venvs under /tmp/dd-image-envs), its service started from that venv alone and sent
# one real request; writes bench/results/image_envs.json. Installs several GB: run by
# hand, not part of `make test`. Some only: make image-envs IMAGE_ENVS="fusion audio"
.PHONY: image-envs
image-envs: venv
	$(BIN)/python scripts/check_image_envs.py $(IMAGE_ENVS)
