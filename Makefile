.PHONY: test build release

## Run every test: Rust, the addon's runner, and the addon in Odoo 19 when `odoo` is on PATH.
test:
	./scripts/test.sh

## Build sync-cli and mock-api (debug).
build:
	cargo build --workspace --bins --locked

## Build sync-cli and mock-api (release).
release:
	cargo build --workspace --bins --release --locked
