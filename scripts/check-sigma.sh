#!/usr/bin/env bash
# Every Sigma rule huntbrief emits (use-case library, IOC sweeps, the test corpus,
# hostile artifact values, and the rule files of `huntbrief export --format sigma`) must validate against the Sigma JSON schemas in
# scripts/sigma-schema (detection rules and correlation rules), with formats checked.
# Installs pinned jsonschema and PyYAML into a virtualenv under target/check-tools;
# skips with a message when python3 or the packages are unavailable.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/python-venv.sh
python_venv sigma "jsonschema, yaml" "jsonschema and PyYAML"
dump=target/check-tools/hunts.json
mkdir -p target/check-tools
cargo run --quiet --locked -p huntbrief-core --example dump-hunts -- "$dump"
"$venv/bin/python" scripts/check-sigma.py "$dump" scripts/sigma-schema
# The exported rule files (with references and dates added) must stay valid too.
export_dir=target/check-tools/export-sigma
rm -rf "$export_dir"
cargo run --quiet --locked -p huntbrief --example export-fixture -- "$export_dir"
"$venv/bin/python" scripts/check-sigma.py "$export_dir/sigma" scripts/sigma-schema
