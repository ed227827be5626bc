# Two commands matter (see README): `make run` and `make test`. Everything else is a building block.
SHELL := /bin/bash
.DEFAULT_GOAL := help

DATA_DIR ?= var
export DATA_DIR
export PYTHONPATH := $(CURDIR)
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 3
export RASA_CACHE_DIRECTORY := $(DATA_DIR)/cache/rasa
export ACTION_ENDPOINT_URL ?= http://127.0.0.1:5055/webhook

# the first interpreter that actually runs (a pyenv shim on PATH may exist and still refuse to run)
PY310 ?= $(firstword $(foreach p,$(wildcard $(HOME)/.pyenv/versions/3.10.*/bin/python3.10 /usr/bin/python3.10 /usr/local/bin/python3.10) python3.10,$(shell $(p) -c 'import sys; assert sys.version_info[:2] == (3, 10)' >/dev/null 2>&1 && echo $(p))))
PY311 ?= $(firstword $(foreach p,$(wildcard $(HOME)/.pyenv/versions/3.11.*/bin/python3.11) python3.11 python3,$(shell $(p) -c 'import sys; assert sys.version_info[:2] == (3, 11)' >/dev/null 2>&1 && echo $(p))))
RASA_VENV := .venvs/rasa
APP_VENV := .venvs/app
RASA := $(RASA_VENV)/bin/rasa
RASA_PY := $(RASA_VENV)/bin/python
APP_PY := $(APP_VENV)/bin/python
MODEL := $(DATA_DIR)/models/bot.tar.gz
KB_INDEX := $(DATA_DIR)/kb/current
KB_INPUTS := $(wildcard kb_index/faq/*.yml) kb_index/index.py kb_index/encoders.py kb_index/normalize.py \
	kb_index/features.py kb_index/reranker.py kb_index/terms.py kb_index/lexical.py
TRAINING_INPUTS := config.yml domain.yml $(wildcard common/pii.py common/zh_*.py) $(shell find nlu_data bot -type f \( -name '*.yml' -o -name '*.txt' -o -name '*.py' \) 2>/dev/null)

.PHONY: help setup browser run test lint train validate rasa actions bench exam clean kb-build kb-eval kb-search bench-kb bench-bridge bench-soak bench-mixed \
	bench-contention bench-cost postgres test-postgres cluster-servers cluster cluster-stop bench-cluster

help:
	@echo "make run   - install what is missing, train if needed, start Rasa (:5005) + action server (:5055)"
	@echo "make test  - install what is missing, train if needed, lint, run the whole test suite"
	@echo "make bench - bench/bot_latency.py: chosen pipeline vs default DIET+TED (slow, trains both)"

# ---- environments: a stamp file per venv, so a second run installs nothing
$(RASA_VENV)/.installed: requirements/rasa.txt requirements/rasa-constraints.txt
	@test -n "$(PY310)" || { echo "Python 3.10 not found (Rasa 3.6 needs it): set PY310=/path/to/python3.10"; exit 1; }
	@test -d $(RASA_VENV) || $(PY310) -m venv $(RASA_VENV)
	$(RASA_VENV)/bin/pip install -q -r requirements/rasa.txt -c requirements/rasa-constraints.txt
	@touch $@

$(APP_VENV)/.installed: requirements/app.txt requirements/app-constraints.txt
	@test -n "$(PY311)" || { echo "Python 3.11 not found: set PY311=/path/to/python3.11"; exit 1; }
	@test -d $(APP_VENV) || $(PY311) -m venv $(APP_VENV)
	$(APP_VENV)/bin/pip install -q torch==2.13.0 -c requirements/app-constraints.txt
	$(APP_VENV)/bin/pip install -q -r requirements/app.txt -c requirements/app-constraints.txt
	@touch $@

# Apache ECharts for the reports page (issue 15): the pinned npm tarball from the registry, checked against its
# sha256 (= the registry's sha512 integrity, q0yaFPgg...), unpacked into the git-ignored vendor/ and served by the
# bridge itself (no CDN at run time, no npm needed)
ECHARTS_VERSION := 6.1.0
ECHARTS_SHA256 := 681aff88cc1038c3fa941a3a53d1b177a52250b05335efc607d6105ae13be481
ECHARTS := vendor/echarts/echarts.esm.min.js
$(ECHARTS):
	@mkdir -p vendor/echarts
	curl -fsSL --retry 3 -o vendor/echarts/echarts-$(ECHARTS_VERSION).tgz \
		https://registry.npmjs.org/echarts/-/echarts-$(ECHARTS_VERSION).tgz
	echo "$(ECHARTS_SHA256)  vendor/echarts/echarts-$(ECHARTS_VERSION).tgz" | sha256sum -c --quiet
	tar -xzf vendor/echarts/echarts-$(ECHARTS_VERSION).tgz -O package/dist/echarts.esm.min.js > $@.tmp
	tar -xzf vendor/echarts/echarts-$(ECHARTS_VERSION).tgz -O package/LICENSE > vendor/echarts/LICENSE
	mv $@.tmp $@
	rm vendor/echarts/echarts-$(ECHARTS_VERSION).tgz

setup: $(RASA_VENV)/.installed $(APP_VENV)/.installed $(ECHARTS)

# headless Chromium for the browser tests (Debian packages; test tools cannot download browsers here)
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null && fc-list :lang=zh | grep -q . || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get install -y -q chromium chromium-driver fonts-wqy-microhei >/dev/null 2>&1 \
	  || { $$SUDO apt-get update -q >/dev/null 2>&1 && $$SUDO apt-get install -y -q chromium chromium-driver fonts-wqy-microhei >/dev/null; } \
	  || echo "warning: could not install chromium + chromium-driver; the browser test will be skipped"; }

# ---- model: retrained only when config, domain, NLU data or custom components change
$(MODEL): $(RASA_VENV)/.installed $(TRAINING_INPUTS)
	@mkdir -p $(DATA_DIR)/models $(DATA_DIR)/logs
	$(RASA) train --config config.yml --domain domain.yml --data nlu_data --out $(DATA_DIR)/models \
		--fixed-model-name bot --quiet

train: $(MODEL)

validate: $(RASA_VENV)/.installed
	$(RASA) data validate --config config.yml --domain domain.yml --data nlu_data --fail-on-warnings

# ---- run
run: setup $(MODEL) $(KB_INDEX)
	@scripts/run_services.sh

# each alone (two terminals): secrets from the environment, else the development file both share (scripts/run_services.sh)
rasa: $(MODEL)
	@eval "$$(scripts/run_services.sh env)" && set -x && $(RASA_PY) -m bot.serve --model $(MODEL) --enable-api \
		-i 127.0.0.1 -p 5005 --endpoints bot/endpoints.yml --credentials bot/credentials.yml

actions: $(APP_VENV)/.installed
	@eval "$$(scripts/run_services.sh env)" && set -x && $(APP_PY) -m actions.server

# PostgreSQL server binaries for tests/api/store/test_postgres_*.py (a throwaway server; Debian's package, installed
# only when missing and only where apt-get can; without them those tests are skipped, saying why)
postgres:
	@ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || command -v pg_ctl >/dev/null 2>&1 \
	  || { [ "$$(id -u)" = 0 ] && apt-get update -qq && apt-get install -y -qq postgresql >/dev/null; } \
	  || echo "no PostgreSQL server binaries: the PostgreSQL store tests will be skipped (apt-get install postgresql)"

# the cluster's servers (issue 17): PostgreSQL, Redis and HAProxy from Debian, installed only when missing and only
# as root where apt-get can; without them `make cluster` says what is missing and the cluster tests are skipped
cluster-servers: postgres
	@command -v redis-server >/dev/null && { command -v haproxy >/dev/null || test -x /usr/sbin/haproxy; } \
	  || { [ "$$(id -u)" = 0 ] && { apt-get install -y -qq redis-server haproxy >/dev/null 2>&1 \
	       || { apt-get update -qq && apt-get install -y -qq redis-server haproxy >/dev/null; }; }; } \
	  || echo "warning: no redis-server / haproxy (apt-get install redis-server haproxy): the cluster tests will be skipped"

# the multi-process deployment on this machine (scripts/cluster.py; README "Scale-out: the cluster"): PostgreSQL,
# Redis, CLUSTER_RASA Rasa workers, CLUSTER_ACTIONS action servers, CLUSTER_BRIDGES bridges behind HAProxy on
# CLUSTER_PORT (8000), supervised; Ctrl-C or `make cluster-stop` (another terminal) stops everything
cluster: setup cluster-servers $(MODEL) $(KB_INDEX)
	@$(APP_PY) scripts/cluster.py start

cluster-stop:
	@$(APP_PY) scripts/cluster.py stop

# the whole bridge API suite with DATABASE_URL on a throwaway PostgreSQL (a fresh database per test); deselected:
# the tests that open or corrupt the SQLite file itself
test-postgres: setup postgres
	$(APP_PY) -m pytest -q -p tests.api.store.postgres_everywhere tests/api --ignore=tests/api/store \
	  --deselect tests/api/compliance/test_compliance.py::test_the_audit_log_records_staff_actions_and_cannot_be_changed \
	  --deselect tests/api/compliance/test_retention.py::test_a_deletion_request_erases_the_customers_words_only \
	  --deselect tests/api/compliance/test_retention.py::test_retention_purge_erases_old_idle_conversations_only \
	  --deselect tests/api/test_faults.py::test_a_corrupt_database_file_is_a_start_up_error_naming_it

# ---- quality
lint: $(APP_VENV)/.installed
	$(APP_VENV)/bin/ruff check .
	$(APP_VENV)/bin/mypy actions api bench common kb_index tests/actions tests/common tests/api tests/e2e tests/kb_index tests/bench tests/security
	$(APP_VENV)/bin/mypy --python-executable $(RASA_PY) --python-version 3.10 bot tests/bot

test: setup browser postgres cluster-servers $(MODEL) $(KB_INDEX) lint
	$(APP_PY) -m pytest tests --ignore=tests/bot -q
	$(RASA_PY) -m pytest tests/bot -q

bench: setup
	$(APP_PY) bench/bot_latency.py

bench-bridge: setup $(MODEL) $(KB_INDEX)
	$(APP_PY) bench/bridge_load.py

bench-soak: setup $(MODEL) $(KB_INDEX)
	$(APP_PY) bench/soak.py

# issue 14: mixed traffic (intents, KB, forms, handoffs with simulated agents) through the bridge and straight to
# Rasa at 1/50/200 customers; KB latency beside busy processes, a rebuild, a second encoder, library defaults vs
# configured threads; where a message's CPU goes, stage by stage (run each alone on an otherwise idle machine)
bench-mixed: setup $(MODEL) $(KB_INDEX)
	$(APP_PY) bench/mixed_traffic.py

bench-contention: $(APP_VENV)/.installed $(KB_INDEX)
	$(APP_PY) bench/kb_contention.py

bench-cost: setup $(MODEL) $(KB_INDEX)
	$(APP_PY) bench/message_cost.py

# issue 17: the embedded single node vs the cluster at 50 and 200 customers, and the per-message cost of Redis and
# PostgreSQL against SQLite (bench/cluster_load.py; run alone on an otherwise idle machine)
bench-cluster: setup cluster-servers $(MODEL) $(KB_INDEX)
	$(APP_PY) bench/cluster_load.py

bench-kb: $(APP_VENV)/.installed
	$(APP_PY) bench/kb_eval.py

exam: setup
	$(APP_PY) ../shared/tools/exam.py --api http://127.0.0.1:8000

# ---- knowledge base: rebuilt when a source file or the indexing code changes (cached vectors are reused)
$(KB_INDEX): $(APP_VENV)/.installed $(KB_INPUTS)
	$(APP_PY) -m kb_index build

kb-build: $(APP_VENV)/.installed
	$(APP_PY) -m kb_index build

kb-search: $(APP_VENV)/.installed
	$(APP_PY) -m kb_index search "$(Q)"

# make kb-eval KB=../shared/eval/bank_faq_kb.tsv QUERIES=../shared/eval/bank_faq_queries_dev.tsv [OOD=...] [ENCODER=e5]
kb-eval: $(APP_VENV)/.installed
	@test -n "$(KB)" -a -n "$(QUERIES)" || { echo "usage: make kb-eval KB=kb.tsv QUERIES=queries.tsv [OOD=ood.txt]"; exit 2; }
	$(APP_PY) -m kb_index eval --kb "$(KB)" --queries "$(QUERIES)" $(if $(OOD),--ood "$(OOD)") $(if $(ENCODER),--encoder $(ENCODER))

clean:
	rm -rf $(DATA_DIR)
