#!/usr/bin/env bash
# The MISP feed of `huntbrief export --format misp` (a fixture run) must load in PyMISP
# event by event, with a manifest listing every event and hashes.csv every attribute value.
# Installs the pinned PyMISP into a virtualenv under target/check-tools; skips with a
# message when python3 or the package is unavailable.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/python-venv.sh
python_venv misp "pymisp" "PyMISP"
export_dir=target/check-tools/export-misp
rm -rf "$export_dir"
cargo run --quiet --locked -p huntbrief --example export-fixture -- "$export_dir"
"$venv/bin/python" scripts/check-misp.py "$export_dir/misp"
