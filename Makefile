.PHONY: test test-entrypoint build release bench bench-fetch bench-odoo bench-profile bench-busy bench-notify bench-locations

## Run every test: Rust, the addon's runner, and the addon in Odoo 19 when `odoo` is on PATH.
test:
	./scripts/test.sh

## The Docker image's entrypoint against the Odoo 19 on PATH, without Docker (part of `test`).
test-entrypoint:
	./scripts/test_entrypoint.sh

## Build sync-cli and mock-api (debug).
build:
	cargo build --workspace --bins --locked

## Build sync-cli and mock-api (release).
release:
	cargo build --workspace --bins --release --locked

## Benchmarks (figures on stdout, details in bench/out/): sync-cli, then the scheduled sync in Odoo.
bench: bench-fetch bench-odoo

## sync-cli fetch against mock-api: wall time, Python thread pool baseline, peak memory.
bench-fetch:
	python3 bench/fetch.py

## The scheduled sync over 1,000 and 10,000 products in a throwaway Odoo database, then the listing mode (10,000 products; 100 changes among 100,000).
bench-odoo:
	python3 bench/odoo_sync.py

## Signed notifications, 10 a second for a minute, against an Odoo with one HTTP worker: answer times, delay to stock right.
bench-notify:
	python3 bench/notify.py

## Where one sync of 1,000 products (100 changed) spends its time, under cProfile.
bench-profile:
	python3 bench/odoo_sync.py --profile

## The scheduled sync of 3,000 products while a second Odoo process delivers stock continuously.
bench-busy:
	python3 bench/busy_warehouse.py

## The scheduled sync of 10,000 products in three mapped locations, 1,000 changed in one, against Odoo's own apply.
bench-locations:
	python3 bench/locations.py
