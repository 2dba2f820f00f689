#!/bin/sh
# Issue 20's acceptance run, measured: `huntbrief run` (release build) over the hostile set
# of crates/huntbrief/tests/it/hostile.rs on 127.0.0.1, through /usr/bin/time -v. Prints
# the run's summary line, its wall time and peak RSS; fails if an assertion fails.
set -eu
cd "$(dirname "$0")/.."
HUNTBRIEF_TIME=1 cargo test --release -p huntbrief --test it hostile:: -- --nocapture 2>&1 |
    grep -E '^(summary:|Elapsed|Maximum resident)|^test |test result|panicked'
