#!/bin/sh
# Builds every fuzz target (no fuzzing), so that a change of the sync-cli
# library that breaks one cannot go unnoticed. `make test` runs it; it needs a
# C++ compiler (libFuzzer is built from source) but not cargo-fuzz: the
# targets are built as ordinary binaries, without coverage instrumentation.
set -eu
cd "$(dirname "$0")"
exec cargo build --quiet --locked --bins
