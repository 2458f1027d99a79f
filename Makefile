# MotCua: the two commands of the contract are `make run` and `make test`.
.PHONY: run test bench demo clean help

PORT ?= 8000
VENV := .venv/bin

help:
	@echo "make run    set up and serve the demo on SQLite at http://127.0.0.1:$(PORT)"
	@echo "make test   install what is missing and run the whole suite (PostgreSQL, SQLite, Chromium)"
	@echo "make bench  run the benchmarks in bench/ against PostgreSQL"

run:
	@./scripts/run.sh $(PORT)

test:
	@./scripts/test.sh

bench:
	@./scripts/bench.sh

clean:
	rm -rf var .venv
