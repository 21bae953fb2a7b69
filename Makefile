# One target per job a person has. Everything runs inside .venv, created on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
SCALE_STAMP := $(VENV)/.scale-stamp
# One thread per numerical library: on a 2-core machine, multi-threaded BLAS makes small fits
# (logistic regression, k-means) many times slower, and results stay the same.
export OMP_NUM_THREADS ?= 1
export OPENBLAS_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1

.PHONY: lab test playbook data check notebooks install scale clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing the course and its dependencies into $(VENV): a few minutes the first time; pip lists each package."
	$(BIN)/python -m pip install --progress-bar on -e .
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install the course into it

# The engines for big client data (DuckDB, PySpark; lesson 10): optional for a student, installed for the tests
# so that the parity tests of the engines run in CI.
$(SCALE_STAMP): $(STAMP)
	$(BIN)/python -m pip install --progress-bar on -e ".[scale]"
	touch $(SCALE_STAMP)

scale: $(SCALE_STAMP)  ## install the optional engines for big client data (DuckDB, PySpark)

lab: $(STAMP)  ## open JupyterLab at the repository root, on lesson 00 (data/README.md and helpers/ in reach)
	$(BIN)/jupyter lab --ServerApp.root_dir="$(CURDIR)" notebooks/00_start_here.ipynb

test: $(SCALE_STAMP)  ## unit tests (engine parity tests included), then every notebook re-executed under nbval
	$(BIN)/python -m pytest tests -q
	$(BIN)/python -m pytest --nbval-lax --nbval-current-env notebooks docs/lesson_template.ipynb -q

# make playbook [DATA=path/to/company.toml] [OUT=folder] [PARAMS='-p NAME VALUE ...']
DATA =
OUT = build
PARAMS =
playbook: $(STAMP)  ## run every lesson on DATA (default: the sample) and write course view, report and slides to OUT
	$(BIN)/python tools/playbook.py --out "$(OUT)" $(if $(DATA),--data "$(DATA)") $(PARAMS)

data: $(STAMP)  ## regenerate the sample data (byte-identical for the same seed)
	$(BIN)/python -m helpers.synth

check: $(STAMP)  ## what a company's data holds and what the health check finds: make check DATA=path/to/company.toml
	$(BIN)/python -m helpers.data check $(if $(DATA),"$(DATA)")

notebooks: $(STAMP)  ## re-execute the stored notebooks in place and refresh their navigation
	$(BIN)/python tools/navigation.py
	$(BIN)/python tools/run_notebooks.py

clean:
	rm -rf build $(VENV)
