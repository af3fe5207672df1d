# Two commands from a fresh clone: `make demo`, then `make test`. Any target, in any order.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# JupyterLab gets its own environment: installed into .venv it slows every papermill
# import of a run (docs/developing.md, "Environments").
LAB_VENV := .venv-lab
LAB_STAMP := $(LAB_VENV)/.installed
LAB_PORT ?= 8888
LAB_ARGS ?=

.PHONY: demo test test-fast lint lab sample clean

$(STAMP): pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The demo's exports (audits/demo*.yaml read them here), copied from the sample cache
# (~/.cache/clientbook, one entry per package version and seed, built once).
sample: $(STAMP)
	$(BIN)/clientbook sample outputs/sample/raw --customers 3000 --seed 7
	$(BIN)/clientbook sample outputs/sample-zh/raw --customers 3000 --seed 7 --lang zh

demo: sample
	$(BIN)/clientbook run audits/demo.yaml
	$(BIN)/clientbook run audits/demo-zh.yaml
	@echo "Open: $(CURDIR)/outputs/demo/index.html (Chinese: outputs/demo-zh/index.html)"

# Every test, the slow ones (end to end, browser, sample, wheel) included: what CI runs.
test: $(STAMP)
	$(BIN)/pytest -q

# The quick loop while editing: everything not marked slow.
test-fast: $(STAMP)
	$(BIN)/pytest -q -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

$(LAB_STAMP): pyproject.toml setup.py
	$(PYTHON) -m venv $(LAB_VENV)
	$(LAB_VENV)/bin/pip install --quiet --upgrade pip
	$(LAB_VENV)/bin/pip install --quiet -e '.[lab]'
	touch $(LAB_STAMP)

# JupyterLab on playbooks/ (its own environment, .venv-lab), the sample client built first
# so every playbook runs at once with its defaults. As root (a container, a training VM),
# JupyterLab refuses to start without --allow-root. LAB_ARGS=--no-browser for a server.
lab: $(LAB_STAMP)
	$(LAB_VENV)/bin/python -c "from clientbook.present.playbook import sample_dataset as s; print('sample client:', s())"
	$(LAB_VENV)/bin/jupyter lab playbooks/ --ip=127.0.0.1 --port=$(LAB_PORT) $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

clean:
	rm -rf outputs
