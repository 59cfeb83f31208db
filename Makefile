# jobtracker: the two commands of the README, and helpers.
#   make test                      the whole test suite (what CI runs)
#   make crawl [QUERY=Rekognition] the main job: crawl www.amazon.jobs (or BASE_URL=...)
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

QUERY ?=
COUNTRIES ?=
CATEGORIES ?=
BASE_URL ?=
BASE_URLS ?=
MAX_PAGES ?=
OUTPUT ?= output/amazon_jobs-$(shell date -u +%Y%m%dT%H%M%SZ).jsonl
HOURLY_OUTPUT ?= output/amazon_hourly-$(shell date -u +%Y%m%dT%H%M%SZ).jsonl
SIM_PORT ?= 8080
MONGO_PORT ?= 27018

.PHONY: help venv test test-fast lint format crawl crawl-hourly demo sim mongo mongo-stop bench egg clean \
	system-packages test-system-packages

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 14

# Missing system packages are installed (as root on Debian) or named, before anything starts.
system-packages:
	@tools/system-packages venv

test-system-packages:
	@tools/system-packages test

$(STAMP): requirements.txt requirements-research.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.txt
	$(BIN)/pip install -q --no-deps -e .
	@# The checkout's test world (jobsim: simulator, MongoDB test server, demo) is importable
	@# from this venv too; it is not part of the package, the egg or the image.
	echo "$(CURDIR)" > "$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/jobtracker-checkout.pth"
	touch $@

venv: system-packages $(STAMP)  ## create .venv and install the pinned requirements

test: test-system-packages venv  ## run ruff and the whole test suite (starts its own simulator and MongoDB test server)
	$(BIN)/ruff check jobtracker jobsim tests bench
	$(BIN)/python -m pytest

test-fast: venv  ## the pure tests only (normalization, parsing, units, layers; no server): seconds
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/test_normalize_*.py \
	  tests/test_role_family_labels.py tests/test_parsing.py tests/test_partitions.py \
	  tests/test_architecture.py tests/test_hourly_units.py tests/test_research_units.py \
	  tests/test_schedule_units.py tests/test_plan_discovery.py

lint: venv  ## ruff lint and format check
	$(BIN)/ruff check jobtracker jobsim tests bench
	$(BIN)/ruff format --check jobtracker jobsim tests bench

format: venv  ## apply ruff's formatting and safe fixes
	$(BIN)/ruff format jobtracker jobsim tests bench
	$(BIN)/ruff check --fix jobtracker jobsim tests bench

crawl: venv  ## crawl amazon.jobs to JSON Lines (QUERY=, COUNTRIES=, CATEGORIES=, BASE_URL=, MAX_PAGES=, OUTPUT=)
	@mkdir -p $(dir $(OUTPUT))
	$(BIN)/scrapy crawl amazon_jobs \
	  $(if $(QUERY),-a query="$(QUERY)") \
	  $(if $(COUNTRIES),-a countries="$(COUNTRIES)") \
	  $(if $(CATEGORIES),-a categories="$(CATEGORIES)") \
	  $(if $(BASE_URL),-a base_url="$(BASE_URL)") \
	  $(if $(MAX_PAGES),-a max_pages="$(MAX_PAGES)") \
	  -O $(OUTPUT):jsonlines
	@echo "Postings written to $(OUTPUT)"

crawl-hourly: venv  ## crawl the hourly-jobs sites in Chromium (COUNTRIES=US,CA,UK,IE, BASE_URLS=US=URL,..., OUTPUT=)
	@mkdir -p $(dir $(HOURLY_OUTPUT))
	$(BIN)/scrapy crawl amazon_hourly \
	  $(if $(COUNTRIES),-a countries="$(COUNTRIES)") \
	  $(if $(BASE_URLS),-a base_urls="$(BASE_URLS)") \
	  $(if $(MAX_PAGES),-a max_pages="$(MAX_PAGES)") \
	  -O $(HOURLY_OUTPUT):jsonlines
	@echo "Postings written to $(HOURLY_OUTPUT)"

demo: venv  ## the whole product offline: simulator + MongoDB test server, 8 days, a trend and a plot
	$(BIN)/python -m jobsim demo

sim: venv  ## serve the simulated amazon.jobs on 127.0.0.1:$(SIM_PORT) (foreground; Ctrl-C stops)
	$(BIN)/python -m jobsim serve --port $(SIM_PORT)

mongo: venv  ## start the MongoDB test server in the background and print its MONGO_URI
	$(BIN)/python -m jobsim mongo start --port $(MONGO_PORT)

mongo-stop: venv  ## stop the MongoDB test server started by `make mongo`
	$(BIN)/python -m jobsim mongo stop

bench: venv  ## benchmark crawls, verify, research, role families on real titles, renormalize, publish, the archive backfill (prints figures)
	$(BIN)/python bench/bench_crawl.py
	$(BIN)/python bench/bench_hourly.py
	$(BIN)/python bench/bench_verify.py
	$(BIN)/python bench/bench_research.py
	$(BIN)/python bench/bench_role_families.py
	$(BIN)/python bench/bench_renormalize.py
	$(BIN)/python bench/bench_normalize.py
	$(BIN)/python bench/bench_archive_sim.py
	$(BIN)/python bench/bench_publish.py
	$(BIN)/python bench/bench_backfill.py

egg: venv  ## build the scrapyd egg (jobtracker package only) into dist/
	@# From a clean build folder: files left there by an older layout would go into the egg.
	rm -rf build
	$(BIN)/python setup.py -q bdist_egg -d dist

clean:  ## remove build output (keeps .venv)
	rm -rf build dist *.egg-info output var tools/mongo-test-server/target
