# One target per job a person has. Everything runs inside .venv, created on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# One thread per numerical library: on a 2-core machine, multi-threaded BLAS makes small fits
# (logistic regression, k-means) many times slower, and results stay the same.
export OMP_NUM_THREADS ?= 1
export OPENBLAS_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1

.PHONY: lab test playbook data notebooks install clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e .
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install the course into it

lab: $(STAMP)  ## open JupyterLab on the course map
	$(BIN)/jupyter lab notebooks/00_start_here.ipynb

test: $(STAMP)  ## unit tests, then every notebook re-executed under nbval
	$(BIN)/python -m pytest tests -q
	$(BIN)/python -m pytest --nbval-lax --nbval-current-env notebooks -q

playbook: $(STAMP)  ## execute every notebook in order and write HTML pages under build/
	$(BIN)/python tools/playbook.py

data: $(STAMP)  ## regenerate the sample data (byte-identical for the same seed)
	$(BIN)/python -m helpers.synth

notebooks: $(STAMP)  ## re-execute the stored notebooks in place and refresh their navigation
	$(BIN)/python tools/navigation.py
	$(BIN)/python tools/run_notebooks.py

clean:
	rm -rf build $(VENV)
