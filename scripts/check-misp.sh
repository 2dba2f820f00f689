#!/usr/bin/env bash
# The MISP feed of `huntbrief export --format misp` (a fixture run) must load in PyMISP
# event by event, with a manifest listing every event and hashes.csv every attribute value.
# Installs the pinned PyMISP into a virtualenv under target/check-tools; skips with a
# message when python3 or the package is unavailable.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/check-tools/misp-venv
if ! command -v python3 >/dev/null 2>&1; then
    echo "check-misp: SKIPPED: python3 is needed to run PyMISP"
    exit 0
fi
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import pymisp" 2>/dev/null; then
    if ! python3 -m venv "$venv" >/dev/null 2>&1 ||
        ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
            -r scripts/check-misp.requirements.txt >/dev/null 2>&1; then
        echo "check-misp: SKIPPED: could not install PyMISP (scripts/check-misp.requirements.txt)"
        exit 0
    fi
fi
export_dir=target/check-tools/export-misp
rm -rf "$export_dir"
cargo run --quiet --locked -p huntbrief --example export-fixture -- "$export_dir"
"$venv/bin/python" scripts/check-misp.py "$export_dir/misp"
