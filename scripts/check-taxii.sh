#!/usr/bin/env bash
# Issue 9: the OASIS reference client, taxii2-client, must be able to discover our TAXII 2.1
# server, list its API roots and collections, page through every collection's objects
# and manifest two at a time, and filter with added_after; TAXII needs credentials and
# /api/health does not. Serves the fixture database on a free loopback port.
# Installs pinned taxii2-client into a virtualenv under target/check-tools; skips with a
# message when python3 or the package is unavailable.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/check-tools/taxii-venv
if ! command -v python3 >/dev/null 2>&1; then
    echo "check-taxii: SKIPPED: python3 is needed to run taxii2-client"
    exit 0
fi
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import taxii2client" 2>/dev/null; then
    if ! python3 -m venv "$venv" >/dev/null 2>&1 ||
        ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
            -r scripts/check-taxii.requirements.txt >/dev/null 2>&1; then
        echo "check-taxii: SKIPPED: could not install taxii2-client (scripts/check-taxii.requirements.txt)"
        exit 0
    fi
fi
. scripts/serve-fixture.sh
serve_fixture taxii
"$venv/bin/python" scripts/check-taxii.py "$SERVE_URL" "$SERVE_USER"
