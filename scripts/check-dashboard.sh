#!/usr/bin/env bash
# Issue 9: the dashboard in headless Chromium. Serves the fixture database on a free
# loopback port, then scripts/check-dashboard.py drives the browser over the Chrome
# DevTools Protocol: applies the severity filter through the form, checks the rows against
# /api/briefings, takes a screenshot (target/check-tools/dashboard.png) and checks that
# the briefing titled `<img src=x onerror=alert(1)>` shows as text.
# Installs Debian's chromium (as root) and pinned websockets into a virtualenv under
# target/check-tools; skips with a message when either cannot be had.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; } \
            >/dev/null 2>&1 || true
    fi
    if ! command -v chromium >/dev/null 2>&1; then
        echo "check-dashboard: SKIPPED: could not install Debian's chromium (needs root and apt-get)"
        exit 0
    fi
fi
. scripts/python-venv.sh
python_venv dashboard "websockets.sync.client" "websockets"
. scripts/serve-fixture.sh
serve_fixture dashboard
dir=target/check-tools/dashboard
profile=$dir/chromium-profile
rm -rf "$profile"
# Port 0: Chromium picks a free port and writes it to DevToolsActivePort in the profile.
# --no-sandbox because the checks run as root; the proxy that refuses every connection
# keeps the browser off the network (loopback bypasses proxies), with background
# networking off as well.
chromium --headless=new --no-sandbox --disable-gpu --remote-debugging-address=127.0.0.1 \
    --remote-debugging-port=0 --user-data-dir="$profile" --window-size=1280,900 \
    --no-first-run --no-default-browser-check --disable-extensions --disable-sync \
    --disable-background-networking --disable-component-update --disable-default-apps \
    --disable-domain-reliability --no-pings --metrics-recording-only \
    --proxy-server=http://127.0.0.1:9 about:blank >"$dir/chromium.log" 2>&1 &
STARTED_PIDS+=($!)
"$venv/bin/python" scripts/check-dashboard.py "$SERVE_URL" "$SERVE_USER" "$profile" \
    target/check-tools/dashboard.png
