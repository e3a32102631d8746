# Ventas Digitales — the two set-up commands are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RUN_STAMP := $(VENV)/.run-installed
# One worker more than the 2 cores: several tests spend seconds waiting (a frozen moto, Chromium, the package
# build's subprocess), and a third worker fills that time (make test: 10.6 min with 3, 12.4 with 2, 2026-12-05).
PYTEST_WORKERS ?= 3

.PHONY: run demo reprocesar bench chaos test lint format unit integration app e2e browser navegador herramientas pr openapi clean package deploy audit

# Two install levels: what the local stage needs (make run), then the test and lint tools (make test).
$(RUN_STAMP): requirements.txt requirements-informes.txt requirements-run.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-run.txt
	@touch $(RUN_STAMP)

$(STAMP): $(RUN_STAMP) requirements-dev.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $(STAMP)

venv: $(STAMP)

## The whole system on the local stage (moto as AWS, chalice local, stream pump, schedules).
run: $(RUN_STAMP)
	$(BIN)/python -m localstage.run

## A year of realistic demo history in the RUNNING local stage (start `make run` first; README "Follow-up and reports").
demo: $(RUN_STAMP)
	$(BIN)/python -m localstage.demo

## Re-drive failed stream batches or inbound mails (docs/deploy.md, "Re-drive"): make reprocesar ARGS='flujo --simular'
## (local stage, `make run` running); make reprocesar ETAPA=prod ARGS='correo --desde 2026-12-05T08:00'.
ETAPA ?= local
ARGS ?= flujo --simular
reprocesar: $(RUN_STAMP)
	$(BIN)/python -m scripts.reprocesar --etapa $(ETAPA) $(ARGS)

## Benchmarks B1–B8 (not part of `make test`): in-process moto, ~8 min, rewrites docs/BENCHMARKS.md.
bench: $(STAMP)
	$(BIN)/python -m bench

## The full fault sweep (issue 19; not part of `make test`): every AWS call of every flow and every reaction failed
## each way (throttle, 500, reset, read timeout after applying, crash after the call); writes docs/RELIABILITY.md.
chaos: $(STAMP)
	rm -rf test-artifacts/caos
	VD_CAOS=1 $(BIN)/python -m pytest tests/e2e/test_barrido_fallas.py tests/e2e/test_barrido_reacciones.py -n $(PYTEST_WORKERS) -q; \
	  barrido=$$?; $(BIN)/python -m tests.e2e.informe_caos; informe=$$?; exit $$((barrido || informe))

## Lint, types and the whole test suite.
test: $(STAMP) lint navegador herramientas
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --timeout=300

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy app.py chalicelib localstage
	$(BIN)/bandit -q -r chalicelib app.py -ll

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit

integration: $(STAMP)
	$(BIN)/python -m pytest tests/contract tests/integration

app: $(STAMP)
	$(BIN)/python -m pytest tests/app

e2e: $(STAMP)
	$(BIN)/python -m pytest tests/e2e

## Debian's Chromium for the browser tests (idempotent), and the browser tests alone.
navegador:
	bash scripts/instalar-navegador.sh

## poppler-utils (pdftotext) to read back the generated PDFs in the tests (idempotent).
herramientas:
	bash scripts/instalar-herramientas.sh

browser: $(STAMP) navegador
	$(BIN)/python -m pytest tests/browser

openapi: $(STAMP)
	$(BIN)/python -m chalicelib.openapi > docs/openapi.json

## AWS stages (README "Deploy"): make package STAGE=prod (out/<stage>/: sam.json, deployment.zip, capa-informes.zip);
## make deploy STAGE=prod BUCKET_ARTEFACTOS=<bucket>.
STAGE ?= dev
REGION ?= us-east-1
OUT ?= out
BUCKET_ARTEFACTOS ?=
PARAMETROS ?=

package: $(STAMP)
	rm -rf vendor/templates $(OUT)/$(STAGE)
	mkdir -p vendor
	cp -R templates vendor/templates
	AWS_DEFAULT_REGION=$(REGION) $(BIN)/chalice package --stage $(STAGE) --merge-template infra/template.json $(OUT)/$(STAGE)
	$(BIN)/python scripts/podar_paquete.py $(OUT)/$(STAGE)/deployment.zip
	$(BIN)/python -m scripts.capa_informes --base $(OUT)/$(STAGE)/deployment.zip $(OUT)/$(STAGE)/capa-informes.zip

deploy: package
	@test -n "$(BUCKET_ARTEFACTOS)" || { echo "BUCKET_ARTEFACTOS=<S3 bucket for the code zip> is required"; exit 2; }
	@! grep -o 'REPLACE_[A-Z_]*' $(OUT)/$(STAGE)/sam.json | grep -v REPLACE_AT_PACKAGE | sort -u | grep . \
		|| { echo "Fill in the placeholders above in .chalice/config.json (stage $(STAGE))"; exit 2; }
	aws cloudformation package --region $(REGION) --template-file $(OUT)/$(STAGE)/sam.json --s3-bucket $(BUCKET_ARTEFACTOS) --s3-prefix ventas-digitales-$(STAGE) --output-template-file $(OUT)/$(STAGE)/packaged.yaml
	aws cloudformation deploy --region $(REGION) --template-file $(OUT)/$(STAGE)/packaged.yaml --stack-name ventas-digitales-$(STAGE) --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND --s3-bucket $(BUCKET_ARTEFACTOS) --s3-prefix ventas-digitales-$(STAGE) --parameter-overrides Stage=$(STAGE) $(PARAMETROS)

## Static security lint of the shipped code, and known vulnerabilities of requirements.txt (tolerates no network).
audit: $(STAMP)
	$(BIN)/bandit -q -r chalicelib app.py -ll
	$(BIN)/python scripts/pip_audit_ci.py

pr: lint test

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache vendor out .local-stage
