#!/usr/bin/env bash
# Every KQL query huntbrief emits (use-case library, IOC sweeps, the test corpus of
# articles, hostile artifact values) must parse with Microsoft's Kusto language service
# with no diagnostic, using only the tables and columns of data/hunts/kql-tables.toml.
# Installs @kusto/language-service-next with npm into target/check-tools; skips with a
# message when node/npm are missing or the package cannot be installed.
set -euo pipefail
cd "$(dirname "$0")/.."
KUSTO_VERSION=12.4.1
tools=target/check-tools/kusto
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "check-kql: SKIPPED: node and npm are needed to run Microsoft's Kusto parser"
    exit 0
fi
if [ ! -f "$tools/node_modules/@kusto/language-service-next/package.json" ] ||
    ! grep -q "\"$KUSTO_VERSION\"" "$tools/node_modules/@kusto/language-service-next/package.json"; then
    mkdir -p "$tools"
    if ! npm install --prefix "$tools" --no-audit --no-fund --no-save --silent \
        "@kusto/language-service-next@$KUSTO_VERSION" >/dev/null 2>&1; then
        echo "check-kql: SKIPPED: npm could not install @kusto/language-service-next@$KUSTO_VERSION"
        exit 0
    fi
fi
dump=target/check-tools/hunts.json
cargo run --quiet --locked -p huntbrief-core --example dump-hunts -- "$dump"
NODE_PATH="$tools/node_modules" node scripts/check-kql.js "$dump"
