#!/usr/bin/env bash
# Issue 9: the OASIS reference client, taxii2-client, must be able to discover our TAXII 2.1
# server, list its API roots and collections, page through every collection's objects
# and manifest two at a time, and filter with added_after; TAXII needs credentials and
# /api/health does not. Serves the fixture database on a free loopback port.
# Installs pinned taxii2-client into a virtualenv under target/check-tools; skips with a
# message when python3 or the package is unavailable.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/python-venv.sh
python_venv taxii "taxii2client" "taxii2-client"
. scripts/serve-fixture.sh
serve_fixture taxii
"$venv/bin/python" scripts/check-taxii.py "$SERVE_URL" "$SERVE_USER"
