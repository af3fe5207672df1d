# Two commands from a fresh clone: `make demo`, then `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint lab sample clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

sample: $(STAMP)
	$(BIN)/clientbook sample outputs/sample/raw --customers 3000 --seed 7
	$(BIN)/clientbook sample outputs/sample-zh/raw --customers 3000 --seed 7 --lang zh

demo: sample
	$(BIN)/clientbook run audits/demo.yaml
	$(BIN)/clientbook run audits/demo-zh.yaml
	@echo "Open: $(CURDIR)/outputs/demo/index.html (Chinese: outputs/demo-zh/index.html)"

test: $(STAMP)
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .

# As root (a container, a training VM), JupyterLab refuses to start without --allow-root.
lab: $(STAMP)
	$(BIN)/pip install --quiet -e '.[lab]'
	$(BIN)/clientbook sample outputs/sample/raw --customers 3000 --seed 7
	$(BIN)/jupyter lab playbooks/ $(if $(filter 0,$(shell id -u)),--allow-root)

clean:
	rm -rf outputs
