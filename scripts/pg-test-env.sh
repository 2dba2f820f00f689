# Sourced by scripts/test: finds the PostgreSQL server at 127.0.0.1:5432, or installs
# and starts one (Debian/Ubuntu as root: apt-get install postgresql, trust for local TCP
# connections), creates the database huntbrief_test and exports HUNTBRIEF_TEST_PG, so
# that the store, worker and server tests run on PostgreSQL as well as SQLite (each test
# in a schema of its own). Where none can be had, the PostgreSQL tests skip with a message.
# Set HUNTBRIEF_TEST_PG yourself to use another server.

hb_pg_up() {
    (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null
}

hb_pg_install() {
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
        echo "pg-test-env: no PostgreSQL at 127.0.0.1:5432 and cannot install one (needs root and apt-get)" >&2
        return 1
    fi
    echo "pg-test-env: installing PostgreSQL" >&2
    if ! command -v pg_ctlcluster >/dev/null; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null 2>&1 ||
            { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null; } ||
            return 1
    fi
    local ver
    ver=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -1)
    if [ -z "$ver" ]; then
        ver=$(ls /usr/lib/postgresql | sort -V | tail -1)
        pg_createcluster "$ver" main >/dev/null || return 1
    fi
    local hba="/etc/postgresql/$ver/main/pg_hba.conf"
    # The tests connect over TCP as postgres without a password: trust 127.0.0.1 only.
    grep -q "huntbrief tests" "$hba" || sed -i '1i host all all 127.0.0.1/32 trust # huntbrief tests' "$hba"
    pg_ctlcluster "$ver" main start 2>/dev/null || pg_ctlcluster "$ver" main reload
    for _ in $(seq 1 30); do hb_pg_up && return 0; sleep 1; done
    return 1
}

hb_pg_env() {
    if [ -n "${HUNTBRIEF_TEST_PG:-}" ]; then
        return 0
    fi
    hb_pg_up || hb_pg_install || return 0
    if ! command -v psql >/dev/null; then
        echo "pg-test-env: psql is missing; cannot create the test database" >&2
        return 0
    fi
    local admin="postgres://postgres@127.0.0.1:5432/postgres"
    if ! psql "$admin" -tAc "SELECT 1 FROM pg_database WHERE datname = 'huntbrief_test'" 2>/dev/null | grep -q 1; then
        psql "$admin" -q -c "CREATE DATABASE huntbrief_test" >/dev/null ||
            { echo "pg-test-env: cannot create the database huntbrief_test" >&2; return 0; }
    fi
    export HUNTBRIEF_TEST_PG="postgres://postgres@127.0.0.1:5432/huntbrief_test"
    echo "pg-test-env: PostgreSQL tests use $HUNTBRIEF_TEST_PG" >&2
}

hb_pg_env
