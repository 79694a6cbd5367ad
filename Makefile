# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8080
export FUSE_DATABASE_URL ?= sqlite:///$(CURDIR)/fuse.db

.PHONY: run demo test install bytecode browser bench vendor clean

install: $(VENV)/.installed

# Reinstall whenever the dependency list changes.
$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

# Where PYTHONDONTWRITEBYTECODE is set, every `fuse` process would compile the project's modules again (half a
# second each); compiled once here, they are read. Only changed files are compiled again.
bytecode:
	@$(BIN)/python -m compileall -q engine api bpmn forms migrations >/dev/null

# Each sample is its own deployment, of the files its README deploys: running this again deploys nothing new.
SAMPLES := $(patsubst samples/%/,%,$(wildcard samples/*/))
sample_files = $(wildcard $(addprefix samples/$(1)/,*.bpmn *.form *.policy.json *.onnx))

# The AI sample's CRM (its README starts one on port 8090) is the one host the demo may call, unless you say otherwise.
run: install bytecode demo
	FUSE_LOG_FORMAT=$${FUSE_LOG_FORMAT:-text} \
	FUSE_SETTING_CRM_URL=$${FUSE_SETTING_CRM_URL:-http://127.0.0.1:8090} \
	FUSE_OUTBOUND_ALLOW=$${FUSE_OUTBOUND_ALLOW-127.0.0.1:8090} \
	$(BIN)/fuse serve --host $(HOST) --port $(PORT)

# The database, the demo user, the samples, and a demo token that replaces the one the last run made.
demo:
	$(BIN)/fuse db upgrade
	$(BIN)/fuse user add demo --group admin --group finance
	$(foreach sample,$(SAMPLES),$(BIN)/fuse deploy --name $(sample) $(call sample_files,$(sample)) &&) true
	@token=$$($(BIN)/fuse token create demo --note "make run" --replace | awk 'END {print $$NF}'); \
	test -n "$$token" || exit 1; \
	echo ""; \
	echo "Fuse is starting on http://$(HOST):$(PORT)/"; \
	echo "  API docs:   http://$(HOST):$(PORT)/api/docs"; \
	echo "  Demo token: $$token   (user 'demo', groups admin and finance; the previous one is revoked)"; \
	echo "  Try:        curl -H 'Authorization: Bearer $$token' http://$(HOST):$(PORT)/api/v1/process-definitions"; \
	echo ""

test: install bytecode browser
	$(BIN)/python -m pytest

# The browser tests drive Debian's Chromium; as root we install it, otherwise they say why they skip.
browser:
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null; \
	  else echo "note: /usr/bin/chromium is missing (apt-get install chromium); browser tests will be skipped"; fi; }

# Every figure issue 15 sets a target for: throughput and latency, timers, and what an instance stores.
bench: install bytecode
	$(BIN)/python bench/throughput.py
	$(BIN)/python bench/timers.py
	$(BIN)/python bench/footprint.py

# The pages' browser libraries are committed under api/static/vendor, so installs need no npm. This refreshes
# them from the versions pinned in web/package-lock.json (bump the version in web/package.json first).
BPMN_JS := web/node_modules/bpmn-js
BPMN_JS_VENDOR := api/static/vendor/bpmn-js
vendor:
	cd web && npm ci --ignore-scripts --no-audit --no-fund
	rm -rf $(BPMN_JS_VENDOR) && mkdir -p $(BPMN_JS_VENDOR)
	cp $(BPMN_JS)/dist/bpmn-navigated-viewer.production.min.js $(BPMN_JS)/dist/assets/diagram-js.css \
	   $(BPMN_JS)/dist/assets/bpmn-js.css $(BPMN_JS)/LICENSE $(BPMN_JS_VENDOR)/

clean:
	rm -rf $(VENV) fuse.db *.egg-info
