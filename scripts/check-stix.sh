#!/usr/bin/env bash
# The STIX bundles of `huntbrief export --format stix` (a fixture run) must pass the OASIS
# stix2-validator with no errors, and every pattern must parse (stix2-patterns).
# Installs the pinned validator into a virtualenv under target/check-tools; skips with a
# message when python3 or the packages are unavailable.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/python-venv.sh
python_venv stix "stix2validator, stix2patterns" "stix2-validator"
export_dir=target/check-tools/export
rm -rf "$export_dir"
cargo run --quiet --locked -p huntbrief --example export-fixture -- "$export_dir"
"$venv/bin/python" scripts/check-stix.py "$export_dir/stix"
