# TV-shopping contact center: `make run` and `make test` set everything up
# from nothing (system packages, venv, sao, the Asterisk root, PostgreSQL
# databases) and reuse what exists on the next run.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := var/state
# command:Debian package
SYSDEPS := debootstrap:debootstrap sipp:sip-tester espeak-ng:espeak-ng sox:sox \
	npm:npm ss:iproute2 unshare:util-linux runuser:util-linux chromium:chromium
# file:Debian package, for packages without a command (the browser suite's
# screenshots need a Chinese font)
SYSFILES := /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc:fonts-wqy-zenhei
CALLS ?= 10
RATE ?= 1

.PHONY: run test setup setup-test sysdeps venv module-tests integration-tests \
	simulate asterisk-start asterisk-stop clean distclean check-compose i18n bench

run: setup
	$(PY) -m tvcc.supervisor --instance run

test: setup-test
	$(PY) -m tvcc.testing

setup: sysdeps venv
	$(PY) -m tvcc.bootstrap --instance run

setup-test: sysdeps venv
	$(PY) -m tvcc.bootstrap --instance test

# System packages from Debian (root or sudo). Missing ones only.
sysdeps: $(STAMP)/sysdeps
$(STAMP)/sysdeps: Makefile
	@missing=""; \
	for dep in $(SYSDEPS); do command -v $${dep%%:*} >/dev/null 2>&1 || missing="$$missing $${dep#*:}"; done; \
	for dep in $(SYSFILES); do test -e $${dep%%:*} || missing="$$missing $${dep#*:}"; done; \
	if [ -n "$$missing" ]; then \
		echo "[setup] installing Debian packages:$$missing"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null; then SUDO=sudo; \
		else echo "[setup] ERROR: installing$$missing needs root (apt-get)." >&2; exit 1; fi; \
		$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing >/dev/null \
			|| { $$SUDO apt-get update -q >/dev/null && \
			     $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing >/dev/null; } \
			|| { echo "[setup] ERROR: apt-get could not install$$missing: check the network or the apt sources." >&2; exit 1; }; \
	fi
	@mkdir -p $(STAMP) && touch $@

venv: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "[setup] installing Python packages into $(VENV)"
	@mkdir -p var/log
	@{ $(PY) -m pip install --disable-pip-version-check --upgrade pip && \
	   $(PY) -m pip install --disable-pip-version-check -e ".[test]"; } \
	   > var/log/pip.log 2>&1 || { tail -20 var/log/pip.log; \
	   echo "[setup] ERROR: pip install failed (full log: var/log/pip.log)" >&2; exit 1; }
	@touch $@

module-tests: setup-test
	$(PY) -m tvcc.testing modules

integration-tests: setup-test
	$(PY) -m tvcc.testing integration

# Real calls through the real Asterisk of `make run` (see README).
simulate: venv
	$(PY) -m telephony.simulate --login --calls $(CALLS) --rate $(RATE) $(ARGS)

asterisk-start: setup
	$(PY) asterisk/runtime.py start -i run

asterisk-stop:
	$(PY) asterisk/runtime.py stop -i run

# Refresh modules/*/locale/zh_CN.po from the database and list what is
# untranslated (fails until everything is).
i18n: setup
	$(PY) -m tvcc.i18n export

check-compose:
	$(PY) -m tvcc.compose_check

clean:
	-$(PY) asterisk/runtime.py stop -i run
	-$(PY) asterisk/runtime.py stop -i test
	rm -rf var/log var/run var/state

distclean: clean
	rm -rf $(VENV) var
