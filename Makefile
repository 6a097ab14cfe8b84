# The README's two commands: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT := DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get
PORT ?= 5000
STRIPE_PORT ?= 8420
MAIL_PORT ?= 8425
export FLASK_APP := wsgi
# `make run` and `make test` are development; the app refuses to start unsafely otherwise.
export FUND_ENV ?= development

.PHONY: run test test-pg test-sqlite bench deps audit audit-refresh prod-local load fonts chromium postgres clean translations catalogues lint-imports bench-ledger bench-office

# Python packages: runtime plus the dev tools (localstripe, pytest …), reinstalled
# only when a requirements file changes.
$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q -r requirements-dev.txt
	touch $(STAMP)

deps: $(STAMP) translations

# Each package's catalogues (fund/<package>/translations/{ja,en}/LC_MESSAGES/messages.po)
# compiled to .mo; the compiled files are not committed.
translations: $(STAMP)
	@for dir in fund/*/translations; do \
	  [ -d "$$dir" ] || continue; \
	  $(BIN)/pybabel -q compile -d "$$dir" || exit 1; \
	done

# Extract each package's text into its catalogue and update ja and en (after changing text).
# Each package owns the text of its own code and of the templates listed here.
CATALOGUE_core := fund/core
CATALOGUE_donors := fund/donors
CATALOGUE_campaigns := fund/campaigns
CATALOGUE_office := fund/office
CATALOGUE_giving := fund/giving templates/email
CATALOGUE_receipts := fund/receipts/mail.py fund/receipts/interim.py templates/receipts/mail.txt
CATALOGUE_accounting := fund/accounting
CATALOGUE_ledger := fund/ledger
CATALOGUE_web := fund/web templates/base.html templates/error.html templates/public templates/office templates/accountant templates/donor
BABEL_KEYWORDS := -k _l -k lazy_gettext -k gettext_for:2
catalogues: $(STAMP)
	@for pkg in core donors campaigns giving receipts office accounting ledger web; do \
	  dir=fund/$$pkg/translations; mkdir -p $$dir; \
	  case $$pkg in core) src="$(CATALOGUE_core)";; donors) src="$(CATALOGUE_donors)";; campaigns) src="$(CATALOGUE_campaigns)";; office) src="$(CATALOGUE_office)";; giving) src="$(CATALOGUE_giving)";; \
	    receipts) src="$(CATALOGUE_receipts)";; accounting) src="$(CATALOGUE_accounting)";; ledger) src="$(CATALOGUE_ledger)";; \
	    web) src="$(CATALOGUE_web)";; esac; \
	  $(BIN)/pybabel -q extract -F babel.cfg $(BABEL_KEYWORDS) --no-location --sort-output \
	    --no-wrap -o $$dir/messages.pot $$src || exit 1; \
	  for lang in ja en; do \
	    if [ -f $$dir/$$lang/LC_MESSAGES/messages.po ]; then \
	      $(BIN)/pybabel -q update --no-wrap --no-fuzzy-matching --ignore-obsolete -i $$dir/messages.pot -d $$dir -l $$lang; \
	    else $(BIN)/pybabel -q init --no-wrap -i $$dir/messages.pot -d $$dir -l $$lang; fi; \
	  done; rm $$dir/messages.pot; \
	done

# The dependency rules of ARCHITECTURE.md, as import-linter contracts (.importlinter).
lint-imports: $(STAMP)
	$(BIN)/lint-imports --no-cache

# The Japanese receipt font (IPAex, Debian fonts-ipaexfont) and pdftotext.
# IPAmj明朝 (fonts-ipamj-mincho) prints names outside JIS X 0208 such as 𠮷.
fonts:
	@fc-list :lang=ja family | grep -qi ipaex || { \
	  echo "installing fonts-ipaexfont (Japanese receipt font)"; \
	  $(APT) install -y -q fonts-ipaexfont fontconfig || { $(APT) update -q && $(APT) install -y -q fonts-ipaexfont fontconfig; }; }
	@fc-list : family | grep -qi ipamj || { \
	  echo "installing fonts-ipamj-mincho (rare kanji in names, e.g. 𠮷)"; \
	  $(APT) install -y -q fonts-ipamj-mincho || { $(APT) update -q && $(APT) install -y -q fonts-ipamj-mincho; }; }

chromium:
	@test -x /usr/bin/chromium || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  $(APT) install -y -q chromium || { $(APT) update -q && $(APT) install -y -q chromium; }; }

postgres:
	@pg_isready -q -h 127.0.0.1 -p 5432 || $(SUDO) pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start

run: deps fonts
	$(BIN)/flask db upgrade
	$(BIN)/flask fund seed --demo-staff
	@set -e; \
	$(BIN)/python -m tests.support.localstripe_server --port $(STRIPE_PORT) \
	  --state instance/localstripe.pickle \
	  --webhook-url http://127.0.0.1:$(PORT)/webhooks/stripe \
	  --webhook-secret $${STRIPE_WEBHOOK_SECRET:-whsec_localstripe_dev} & LS=$$!; \
	$(BIN)/python -m tests.support.mail_catchall --port $(MAIL_PORT) --dir instance/mail & MC=$$!; \
	trap 'kill $$LS $$MC 2>/dev/null' EXIT INT TERM; \
	echo "localstripe (fake Stripe) on http://127.0.0.1:$(STRIPE_PORT)"; \
	echo ""; \
	echo "  QST Future Fund is running at http://127.0.0.1:$(PORT)/"; \
	echo "  office: http://127.0.0.1:$(PORT)/office/ (office@qst.example / demo-office)"; \
	echo "  mail the app sends: http://127.0.0.1:$(PORT)/office/mail/catch-all"; \
	echo ""; \
	STRIPE_API_BASE=$${STRIPE_API_BASE:-http://127.0.0.1:$(STRIPE_PORT)} \
	  PUBLIC_BASE_URL=$${PUBLIC_BASE_URL:-http://127.0.0.1:$(PORT)} \
	  MAIL_SERVER=$${MAIL_SERVER:-127.0.0.1} MAIL_PORT=$${MAIL_SMTP_PORT:-$(MAIL_PORT)} \
	  MAIL_CATCHALL_DIR=$${MAIL_CATCHALL_DIR:-$(CURDIR)/instance/mail} FUND_INLINE_BEAT=1 \
	  $(BIN)/flask run --host 127.0.0.1 --port $(PORT)

# Production shape on one machine: gunicorn (gunicorn.conf.py), a Celery worker with beat,
# PostgreSQL and Redis, localstripe for Stripe, all in production settings (FUND_ENV=production:
# a generated SECRET_KEY and webhook secret in instance/prod-local.env, never the built-in ones;
# receipts print 国税庁's 法人番号, the documented check-digit example, unless one is set).
PROD_DB ?= fund_local
PROD_PORT ?= 8000
PROD_PG ?= postgresql://postgres@127.0.0.1:5432
prod-local: deps fonts postgres
	@redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || { echo "Redis is not answering on 127.0.0.1:6379"; exit 1; }
	@mkdir -p instance; test -f instance/prod-local.env || { \
	  echo "SECRET_KEY=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(48))')"; \
	  echo "STRIPE_WEBHOOK_SECRET=whsec_$$($(BIN)/python -c 'import secrets; print(secrets.token_hex(24))')"; \
	} > instance/prod-local.env
	@psql "$(PROD_PG)/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname = '$(PROD_DB)'" | grep -q 1 \
	  || psql "$(PROD_PG)/postgres" -qc 'CREATE DATABASE "$(PROD_DB)"'
	@set -e; set -a; . instance/prod-local.env; set +a; \
	export FUND_ENV=production DATABASE_URL=$(PROD_PG)/$(PROD_DB) \
	  RECEIPT_ISSUER_CORPORATE_NUMBER=$${RECEIPT_ISSUER_CORPORATE_NUMBER:-7000012050002} \
	  CELERY_BROKER_URL=redis://127.0.0.1:6379/2 RATELIMIT_STORAGE_URL=redis://127.0.0.1:6379/3 \
	  STRIPE_API_BASE=http://127.0.0.1:$(STRIPE_PORT) PUBLIC_BASE_URL=http://127.0.0.1:$(PROD_PORT) \
	  BIND=127.0.0.1:$(PROD_PORT); \
	$(BIN)/flask db upgrade; $(BIN)/flask fund seed; \
	$(BIN)/python -m tests.support.localstripe_server --port $(STRIPE_PORT) \
	  --state instance/localstripe-prod.pickle \
	  --webhook-url http://127.0.0.1:$(PROD_PORT)/webhooks/stripe --webhook-secret $$STRIPE_WEBHOOK_SECRET & LS=$$!; \
	$(BIN)/celery -A fund.worker worker --beat --loglevel INFO --concurrency 1 \
	  --schedule instance/celerybeat-schedule & CW=$$!; \
	trap 'kill $$LS $$CW 2>/dev/null' EXIT INT TERM; \
	echo "web http://127.0.0.1:$(PROD_PORT)/ (gunicorn), worker+beat pid $$CW, localstripe :$(STRIPE_PORT)"; \
	echo "staff: $(BIN)/flask fund create-staff EMAIL --name N --role admin (with instance/prod-local.env)"; \
	$(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

test: deps fonts chromium postgres lint-imports audit test-pg test-sqlite

# pytest-xdist: TEST_WORKERS processes, each with its own database, localstripe, SMTP
# sink and live server (every port is a free one); a test file stays on one worker
# (--dist loadfile), so the two files that use a Redis database of their own (14, 15)
# never share it. TEST_WORKERS=0 runs the suite in one process.
TEST_WORKERS ?= 2
PYTEST := $(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadfile

test-pg:
	FUND_TEST_DB=postgresql $(PYTEST)

# The fast part again on SQLite: everything but the browser and PostgreSQL-only tests.
test-sqlite:
	FUND_TEST_DB=sqlite $(PYTEST) -m "not browser and not pg_only"

# Known vulnerabilities in the pinned (and installed) packages, from the committed
# advisory snapshot .ci/advisories.json: offline, the same answer everywhere.
audit: $(STAMP)
	$(BIN)/python .ci/audit.py check

# Rebuild the snapshot from a copy of github.com/pypa/advisory-database (a checkout or a bare
# git dir): `make audit-refresh FROM=/path/to/advisory-database`. Without FROM (online): add
# what OSV (or PyPI's JSON API) reports for each pinned and installed version. Then commit it.
audit-refresh: $(STAMP)
	$(BIN)/python .ci/audit.py refresh $(if $(FROM),--from $(FROM))

bench: deps fonts
	$(BIN)/python bench/receipts.py

# Ledger speed with 1,000,000 gifts in a throwaway PostgreSQL database (bench/ledger.py).
bench-ledger: deps postgres
	$(BIN)/python bench/ledger.py

# The office's pages and CSV export with 1,000,000 gifts and 200,000 donors (bench/office.py).
bench-office: deps postgres
	$(BIN)/python bench/office.py

# Throughput and latency under gunicorn on PostgreSQL with localstripe (bench/load.py).
load: deps fonts postgres
	$(BIN)/python bench/load.py

clean:
	rm -rf $(VENV) .pytest_cache
