#!/bin/sh
# Runs the libFuzzer targets built by `make fuzz` (build-fuzz/fuzz_*):
#   sh tests/fuzz/run.sh SECONDS [TARGET...]     (default: every target)
# one at a time, each for SECONDS, over a working corpus in
# build-fuzz/corpus/TARGET that starts from tests/fuzz/seeds/TARGET (the
# seeds themselves are not written to).  With FUZZ_RUNS=N in the
# environment each target instead runs N inputs from seed 1 over a corpus
# that starts empty besides the seeds: a fixed amount of work, though not
# always the same inputs (CI's run of b41b485 met a store input that runs
# here of the same binary did not), so keep what CI saves.  A crash, leak, timeout or
# out-of-memory input is saved as build-fuzz/artifacts/TARGET/*; keep it as
# tests/fuzz/regress/TARGET/NAME so tests/cli/test_fuzz_regress.sh replays
# it.  Prints one line per target with its executions, and exits non-zero
# when any target failed.
cd "$(dirname "$0")/../.." || exit 2
secs=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-parse tok query enc store catalog req}
status=0
for t in $targets; do
    bin=build-fuzz/fuzz_$t
    [ -x "$bin" ] || { echo "fuzz: $bin missing (make fuzz builds it)" >&2; status=2; continue; }
    corpus=build-fuzz/corpus/$t
    limit="-max_total_time=$secs"
    if [ -n "$FUZZ_RUNS" ]; then
        corpus=build-fuzz/fixed-corpus/$t
        rm -rf "$corpus"
        limit="-runs=$FUZZ_RUNS -seed=1"
    fi
    mkdir -p "$corpus" "build-fuzz/artifacts/$t"
    case $t in
    query) opts="-max_len=1024 -dict=tests/fuzz/query.dict" ;;
    parse) opts="-max_len=8192 -dict=tests/fuzz/parse.dict" ;;
    tok) opts="-max_len=4096" ;;
    req) opts="-max_len=9000" ;;
    *) opts="-max_len=8192" ;;
    esac
    log=build-fuzz/$t.log
    "$bin" $opts $limit -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="build-fuzz/artifacts/$t/" "$corpus" "tests/fuzz/seeds/$t" >"$log" 2>&1
    rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
    n=$(ls "$corpus" | wc -l)
    if [ $rc = 0 ]; then
        if [ -n "$FUZZ_RUNS" ]; then
            echo "fuzz $t: ${runs:-?} executions from seed 1, $cov, corpus $n"
        else
            echo "fuzz $t: ${runs:-?} executions in ${secs}s, $cov, corpus $n"
        fi
    else
        status=1
        echo "fuzz $t: FAILED (exit $rc) after ${runs:-?} executions; see $log and build-fuzz/artifacts/$t/"
        grep -m 3 'ERROR\|SUMMARY\|deadly signal\|Test unit written' "$log" | sed 's/^/  /'
    fi
done
exit $status
