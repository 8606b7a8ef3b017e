#!/bin/sh
# Runs every test: the unit tests and the end-to-end suites, against the
# sanitizer build (build-san/) when it exists, else the normal build.  Adds
# up the "N passed, M failed" lines and ends with the total.
cd "$(dirname "$0")/.." || exit 2
B=${BUILD:-build-san}
[ -d "$B/tests" ] || B=build
BIN=$B/bin
[ "$B" = build ] && BIN=bin
export FZBIN="$PWD/$BIN"
# ASan's leak checker and UBSan stop the test on the first error.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/tests/lsan.supp}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
log=$(mktemp)
status=0
for t in "$B"/tests/test_*; do
    [ -x "$t" ] || continue
    "$t" >>"$log" 2>&1 || { status=1; echo "FAILED: $t" >>"$log"; }
done
for s in tests/e2e.py tests/cli/*.sh; do
    [ -f "$s" ] || continue
    case "$s" in
    *.py) python3 "$s" >>"$log" 2>&1 || { status=1; echo "FAILED: $s" >>"$log"; } ;;
    *.sh) sh "$s" >>"$log" 2>&1 || { status=1; echo "FAILED: $s" >>"$log"; } ;;
    esac
done
grep -v ': [0-9]* passed, [0-9]* failed$' "$log" | grep -v '^$' | head -200
grep ': [0-9]* passed, [0-9]* failed$' "$log"
awk '/: [0-9]+ passed, [0-9]+ failed$/ { p += $(NF-3); f += $(NF-1) } END { printf "%d passed, %d failed\n", p, f }' "$log"
fail=$(awk '/: [0-9]+ passed, [0-9]+ failed$/ { f += $(NF-1) } END { print f + 0 }' "$log")
rm -f "$log"
[ "$status" = 0 ] && [ "$fail" = 0 ]
