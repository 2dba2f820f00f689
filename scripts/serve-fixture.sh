# Sourced by check-taxii.sh and check-dashboard.sh (not run on its own): builds huntbrief,
# stores the fixture briefings in a fresh database and starts `huntbrief serve` on a free
# loopback port with a random password. Sets SERVE_URL, SERVE_USER and (exported)
# HUNTBRIEF_SERVE_PASSWORD. Everything it or the caller starts is listed in
# STARTED_PIDS and stopped by PID when the script exits.

STARTED_PIDS=()

stop_started() {
    local pid
    for pid in "${STARTED_PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${STARTED_PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
}
trap stop_started EXIT

# serve_fixture NAME: work files go to target/check-tools/NAME.
serve_fixture() {
    local name=$1
    local dir=target/check-tools/$name
    mkdir -p "$dir"
    cargo build --quiet --locked -p huntbrief
    cargo run --quiet --locked -p huntbrief --example export-fixture -- --db "$dir/fixture.db"
    # An empty config, so that the user's own (sources, [serve] settings) stays out.
    : >"$dir/config.toml"
    SERVE_USER=huntbrief
    HUNTBRIEF_SERVE_PASSWORD=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
    export HUNTBRIEF_SERVE_PASSWORD
    # Port 0: the kernel picks a free port and the server logs the address it got, so
    # there is no window in which another process can take a port we chose.
    env -u HUNTBRIEF_DATA target/debug/huntbrief serve --config "$dir/config.toml" \
        --db "$dir/fixture.db" --bind 127.0.0.1:0 2>"$dir/serve.log" &
    STARTED_PIDS+=($!)
    local server=$!
    SERVE_URL=
    local _
    for _ in $(seq 1 300); do
        SERVE_URL=$(sed -n 's|^huntbrief: serving on \(http://127\.0\.0\.1:[0-9]*\)/$|\1|p' "$dir/serve.log")
        [ -n "$SERVE_URL" ] && break
        if ! kill -0 "$server" 2>/dev/null; then
            echo "$name: huntbrief serve exited before listening:" >&2
            cat "$dir/serve.log" >&2
            return 1
        fi
        sleep 0.1
    done
    if [ -z "$SERVE_URL" ]; then
        echo "$name: huntbrief serve did not report an address in 30 s:" >&2
        cat "$dir/serve.log" >&2
        return 1
    fi
    # Health needs no credentials; the check scripts test that it answers 200.
    for _ in $(seq 1 100); do
        if python3 - "$SERVE_URL/api/health" <<'EOF' 2>/dev/null; then
import sys, urllib.request
sys.exit(0 if urllib.request.urlopen(sys.argv[1], timeout=2).status == 200 else 1)
EOF
            return 0
        fi
        sleep 0.1
    done
    echo "$name: $SERVE_URL/api/health did not answer 200 in 10 s" >&2
    return 1
}
