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

REQUIREMENTS := requirements/base.txt requirements/torch.txt requirements/ml.txt requirements/audio.txt requirements/gateway.txt requirements/dev.txt requirements/lock.txt requirements/local.txt
PYPROJECTS := $(wildcard libs/*/pyproject.toml services/*/pyproject.toml gateway/pyproject.toml fusion/pyproject.toml)

.PHONY: help venv models run test test-unit lint typecheck bench openapi clean compose-config key-create key-list key-revoke

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

# A weight file that cannot be fetched does not stop the stack: that service starts, says
# why on /readyz, and the gateway reports its modality as unavailable.
run: venv
	$(PYTHON) scripts/fetch_models.py || echo "warning: some model weights are missing; those services will report not ready"
	$(BIN)/python scripts/run_stack.py

test: venv models
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-unit: venv
	$(BIN)/python -m pytest -m "not weights and not integration" $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv
	$(BIN)/mypy libs/contracts/dd_contracts libs/inference/dd_inference libs/service_kit/dd_service_kit libs/face/dd_face fusion/dd_fusion gateway/dd_gateway services/image/dd_image services/audio/dd_audio services/video/dd_video

bench: venv models
	$(BIN)/python bench/image.py
	$(BIN)/python bench/audio.py
	$(BIN)/python bench/video.py
	$(BIN)/python bench/gateway.py

# API keys for the gateway (stored hashed; the key is shown once on creation).
key-create: venv
	$(BIN)/python -m dd_gateway.keys create $(NAME)

key-list: venv
	$(BIN)/python -m dd_gateway.keys list

key-revoke: venv
	$(BIN)/python -m dd_gateway.keys revoke $(KEY)

openapi: venv
	$(BIN)/python scripts/export_openapi.py frontend/openapi.json

compose-config:
	docker-compose -f docker-compose.yml config -q

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
