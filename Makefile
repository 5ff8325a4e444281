# Voice: `make run` serves the site on 127.0.0.1:5000 with the job worker; `make test` passes every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app voice
PYBABEL := $(BIN)/pybabel
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
EXTRACT := $(PYBABEL) extract -F translations/babel.cfg -k _l -k N_ -k lazy_gettext \
	--no-location --sort-output --project=Voice --copyright-holder="Trondheim kommune" \
	--msgid-bugs-address=voice@trondheim.kommune.no

.PHONY: venv run test test-fast compile i18n migrate seed sample-data bench clean browser-deps

venv: $(STAMP)
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $@

# Build the .mo catalogs from the committed .po files (the .mo files are not committed).
compile: venv
	$(PYBABEL) compile --use-fuzzy -d translations 2>&1 | grep -v "^compiling" || true

# Extract every string, update all nine catalogs, compile. For developers and translators.
i18n: venv
	$(EXTRACT) -o translations/messages.pot .
	$(PYBABEL) update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete
	$(BIN)/python translations/fill_english.py
	$(PYBABEL) compile -d translations 2>&1 | grep -v "^compiling" || true

# On a developer's machine (make run): cookies over plain http, links to http://127.0.0.1:5000.
# Production sets VOICE_ENV=production (the default of the app itself) and PUBLIC_BASE_URL.
migrate seed run: export VOICE_ENV ?= development

migrate: compile
	$(FLASK) voice migrate

seed: migrate
	$(FLASK) voice seed

# The site (gunicorn, 2 workers) and the job worker (Huey) side by side, from the Procfile;
# Ctrl-C stops both. Mail goes to MAIL_SERVER:MAIL_PORT (default 127.0.0.1:25); when nothing
# listens there it waits in the outbox and the worker says so once.
run: seed
	$(FLASK) voice sample-data --if-empty
	@echo "Starting the site on http://127.0.0.1:5000 and the job worker (Ctrl-C stops both)..."
	$(BIN)/honcho start

browser-deps:
	./.ci/browser-deps

# The import contracts (pyproject.toml) first: a broken layer fails the build before any test runs.
test: compile browser-deps
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -n auto --dist worksteal

test-fast: compile
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -n auto --dist worksteal -m "not browser"

bench: compile
	$(BIN)/python bench/run_http.py

clean:
	rm -rf $(VENV) .pytest_cache translations/*/LC_MESSAGES/*.mo
