#!/usr/bin/env bash
# Runs every check and test of npo: formatting, lints, and the whole test suite twice, against
# the embedded SQLite and against a real PostgreSQL server. Installs what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== tests on SQLite"
NPO_TEST_DB=sqlite cargo test --workspace --locked
echo "== tests on PostgreSQL"
NPO_TEST_DB=postgres cargo test --workspace --locked
