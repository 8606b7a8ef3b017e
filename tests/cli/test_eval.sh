#!/bin/sh
# Ranking quality must not drop: MRR and nDCG@10 on the judged queries of
# tests/eval/queries.tsv stay at or above tests/eval/thresholds.
. "$(dirname "$0")/lib.sh"
check "MRR and nDCG@10 at or above tests/eval/thresholds" \
    sh -c 'python3 "$1/tests/eval/eval.py" --check >"$2/eval.out" 2>&1 || { grep -v " passed, " "$2/eval.out" >&2; exit 1; }' sh "$ROOT" "$T"
finish eval
