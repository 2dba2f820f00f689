# Sourced by the check scripts: a pinned Python virtualenv under target/check-tools.
# `python_venv CHECK IMPORTS WHAT` makes target/check-tools/CHECK-venv from
# scripts/check-CHECK.requirements.txt unless IMPORTS already import there, and sets
# $venv. Without python3 or the packages it says SKIPPED and ends the calling script, so
# the suite still passes on a machine that cannot have the tool.
python_venv() {
    local check=$1 imports=$2 what=$3
    venv=target/check-tools/$check-venv
    if ! command -v python3 >/dev/null 2>&1; then
        echo "check-$check: SKIPPED: python3 is needed to run $what"
        exit 0
    fi
    if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import $imports" 2>/dev/null; then
        if ! python3 -m venv "$venv" >/dev/null 2>&1 ||
            ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
                -r "scripts/check-$check.requirements.txt" >/dev/null 2>&1; then
            echo "check-$check: SKIPPED: could not install $what (scripts/check-$check.requirements.txt)"
            exit 0
        fi
    fi
}
