# Two entry points for newcomers: `make demo` and `make test`. Both build .venv on first use from a
# Python >= 3.12 found by tools/find-python (python3.13, python3.12, python3, then pyenv versions).
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.negsim-installed
OUT    ?= runs/nato_russia_2022

.PHONY: demo test venv clean bench docs

$(STAMP): pyproject.toml
	@set -e; py=$$(tools/find-python); echo "Using $$py"; "$$py" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,fast,dashboard]'
	@touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/negsim run scenarios/nato_russia_2022.yaml --explain 5 --out $(OUT) --plot
	@echo "next: $(VENV)/bin/negsim whatif nato_russia_2022 --set 'linkage=[]'   (a what-if: Russia drops its package)"
	@echo "      $(VENV)/bin/negsim dashboard   (the page for students: open http://127.0.0.1:8765/ in a browser)"

test: $(STAMP)
	@tools/ensure-chromium
	$(PY) -m pytest -n 2 -q

docs: $(STAMP)
	$(VENV)/bin/negsim models --markdown > docs/models.md

bench: $(STAMP)
	$(PY) experiments/bench_eum.py

clean:
	rm -rf $(VENV) runs .pytest_cache .hypothesis
