#!/usr/bin/env bash
# Scores `huntbrief iocs --jsonl` on the shared IOC development cases with the shared
# scorer (policy "ioc": non-global addresses are not IOCs). The cases are not part of
# the project: when ../shared/eval is absent (a user's checkout) the script skips.
#
#   scripts/eval-iocs.sh                # table of per-type precision / recall / F1
#   scripts/eval-iocs.sh --by-source    # extra scorer options pass through
#   EVAL_MIN_F1=0.97 scripts/eval-iocs.sh   # also fail below that micro-F1 or on any
#                                           # must_not violation
set -euo pipefail
cd "$(dirname "$0")/.."
eval_dir=${HUNTBRIEF_EVAL_DIR:-../shared/eval}
if [[ ! -f "$eval_dir/ioc_score.py" || ! -f "$eval_dir/ioc-dev.jsonl" ]]; then
    echo "eval-iocs: no $eval_dir/ioc_score.py and ioc-dev.jsonl; skipped"
    exit 0
fi
cargo build --release --quiet -p huntbrief
bin="${CARGO_TARGET_DIR:-target}/release/huntbrief"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
python3 "$eval_dir/ioc_score.py" --cases "$eval_dir/ioc-dev.jsonl" \
    --cmd "$bin iocs --jsonl" --jsonl --policy ioc --out "$out" "$@"
if [[ -n "${EVAL_MIN_F1:-}" ]]; then
    python3 - "$out" "$EVAL_MIN_F1" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
f1 = r["per_type"]["ALL(micro)"]["f1"] or 0.0
bad = int(r["must_not_violations"].split("/")[0])
print(f"eval-iocs: micro-F1 {f1:.4f} (minimum {sys.argv[2]}), must_not violations {bad}")
sys.exit(0 if f1 >= float(sys.argv[2]) and bad == 0 else 1)
PY
fi
