#!/usr/bin/env bash
# The STIX bundles of `huntbrief export --format stix` (a fixture run) must pass the OASIS
# stix2-validator with no errors, and every pattern must parse (stix2-patterns).
# Installs the pinned validator into a virtualenv under target/check-tools; skips with a
# message when python3 or the packages are unavailable.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/check-tools/stix-venv
if ! command -v python3 >/dev/null 2>&1; then
    echo "check-stix: SKIPPED: python3 is needed to run stix2-validator"
    exit 0
fi
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import stix2validator, stix2patterns" 2>/dev/null; then
    if ! python3 -m venv "$venv" >/dev/null 2>&1 ||
        ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
            -r scripts/check-stix.requirements.txt >/dev/null 2>&1; then
        echo "check-stix: SKIPPED: could not install stix2-validator (scripts/check-stix.requirements.txt)"
        exit 0
    fi
fi
export_dir=target/check-tools/export
rm -rf "$export_dir"
cargo run --quiet --locked -p huntbrief --example export-fixture -- "$export_dir"
"$venv/bin/python" scripts/check-stix.py "$export_dir/stix"
