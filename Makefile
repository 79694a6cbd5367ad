# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8080
export FUSE_DATABASE_URL ?= sqlite:///$(CURDIR)/fuse.db

.PHONY: run test install browser bench clean

install: $(VENV)/.installed

# Reinstall whenever the dependency list changes.
$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

run: install
	$(BIN)/fuse db upgrade
	$(BIN)/fuse user add demo --group admin --group finance
	$(BIN)/fuse deploy --name samples $(wildcard samples/*/*.bpmn samples/*/*.form samples/*/*.policy.json samples/*/*.joblib)
	@token=$$($(BIN)/fuse token create demo | awk 'END {print $$NF}'); \
	echo ""; \
	echo "Fuse is starting on http://$(HOST):$(PORT)/"; \
	echo "  API docs:   http://$(HOST):$(PORT)/api/docs"; \
	echo "  Demo token: $$token   (user 'demo', groups admin and finance)"; \
	echo "  Try:        curl -H 'Authorization: Bearer $$token' http://$(HOST):$(PORT)/api/v1/process-definitions"; \
	echo ""
	$(BIN)/fuse serve --host $(HOST) --port $(PORT)

test: install browser
	$(BIN)/python -m pytest

# The browser tests drive Debian's Chromium; as root we install it, otherwise they say why they skip.
browser:
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null; \
	  else echo "note: /usr/bin/chromium is missing (apt-get install chromium); browser tests will be skipped"; fi; }

bench: install
	$(BIN)/python bench/throughput.py

clean:
	rm -rf $(VENV) fuse.db *.egg-info
