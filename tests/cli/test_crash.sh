#!/bin/sh
# Crash safety: an fzindex run is one LMDB write transaction, so killing it
# with SIGKILL at any moment leaves the index exactly as it was before the
# run (or, once it has committed, as after it): it opens, passes --check,
# answers every query as in one of those two states, and takes the next run.
# KILLS=N sets the number of random kills (default 6).
. "$(dirname "$0")/lib.sh"
KILLS=${KILLS:-6}

# ~16 MB of input: 16 files, each 20 copies of the sample with varied titles
# and numbers, so every copy adds new terms
make_big "$T/big" 16

# the reference states: BASE (the sample) and AFTER (the sample, then big/)
"$FZI" --db "$T/base" --quiet "$ROOT/corpus" || { echo "$0: cannot build the base index" >&2; exit 1; }
printf '%s\n' 井长制 治水 下城区 3卷1号 "16卷20号" "author:陆婷" "年度聚焦 OR 年1-1度聚焦" >"$T/queries"
# Entry ids depend on the order in which fzindex's threads finish files, so
# states are compared without ids and ranks (ties may swap), sorted.
noids() { sed 's/"rank":[0-9]*,//; s/"id":[0-9]*,//' | sort; }
state() { # DB OUT: what queries, --list and the statistics say about DB
    {
        "$FZS" --db "$1" --batch "$T/queries" --json --limit 0 --no-snippet | noids
        "$FZS" --db "$1" --batch "$T/queries" --count
        "$FZI" --db "$1" --list | awk '{ print $1, $2, $NF }'
    } >"$2" 2>&1
}
state "$T/base" "$T/state.before"
cp -r "$T/base" "$T/ref"
t0=$(date +%s.%N)
"$FZI" --db "$T/ref" --quiet "$T/big" || { echo "$0: the big run fails" >&2; exit 1; }
t1=$(date +%s.%N)
state "$T/ref" "$T/state.after"
check "the big run changes the answers" sh -c "! cmp -s '$T/state.before' '$T/state.after'"
check "the reference index is sound" status_is 0 "$FZI" --db "$T/ref" --check
RUN=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')

rnd() { od -An -N4 -tu4 /dev/urandom | tr -d ' '; }
before_n=0 after_n=0
# verify DESC DB: sound, and in the state before or after the big run
verify() {
    check "$1: index passes --check" status_is 0 "$FZI" --db "$2" --check
    state "$2" "$T/state.now"
    if cmp -s "$T/state.now" "$T/state.before"; then
        before_n=$((before_n + 1))
    elif cmp -s "$T/state.now" "$T/state.after"; then
        after_n=$((after_n + 1))
    else
        check "$1: answers as before or after the run" false
        diff "$T/state.before" "$T/state.now" | head -5 >&2
        return
    fi
    pass=$((pass + 1))
}

k=1
while [ $k -le "$KILLS" ]; do
    rm -rf "$T/db"
    cp -r "$T/base" "$T/db"
    # every other run writes postings in small batches (more writes before
    # the commit); the delay is a random share of a full run, every third
    # one near its end (the commit)
    mem=
    [ $((k % 2)) = 0 ] && mem="--mem 1M"
    lo=0.03 span=0.94
    [ $((k % 3)) = 0 ] && lo=0.85 span=0.5
    delay=$(awk -v r="$(rnd)" -v t="$RUN" -v lo=$lo -v span=$span \
        'BEGIN { printf "%.3f", t * (lo + span * r / 4294967296) }')
    "$FZI" --db "$T/db" --quiet $mem "$T/big" 2>"$T/run.err" &
    pid=$!
    sleep "$delay"
    kill -9 $pid 2>/dev/null
    wait $pid 2>/dev/null
    st=$?
    echo "kill $k after ${delay}s of ${RUN}s ${mem:-(default mem)}: exit status $st" >>"$T/log"
    verify "kill $k after ${delay}s" "$T/db"
    # the killed run's lock is not held: the next run completes
    if [ $k -le 2 ]; then
        check "kill $k: the next run completes" status_is 0 timeout 300 "$FZI" --db "$T/db" --quiet "$T/big"
        state "$T/db" "$T/state.now"
        check "kill $k: the next run gives the full state" cmp -s "$T/state.now" "$T/state.after"
    fi
    k=$((k + 1))
done
check "at least one kill landed before the commit" test $before_n -ge 1

# a kill during --remove of the big files
rm -rf "$T/db"
cp -r "$T/ref" "$T/db"
"$FZI" --db "$T/db" --quiet --remove "$T"/big/*.txt &
pid=$!
sleep "$(awk -v r="$(rnd)" -v t="$RUN" 'BEGIN { printf "%.3f", t * 0.5 * r / 4294967296 }')"
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
check "kill during --remove: passes --check" status_is 0 "$FZI" --db "$T/db" --check
state "$T/db" "$T/state.now"
check "kill during --remove: before or after the removal" \
    sh -c "cmp -s '$T/state.now' '$T/state.after' || cmp -s '$T/state.now' '$T/state.before'"

# kills during a merge of the delta (MERGING in common/store.c), which
# follows the update's commit in steps of their own: the index is sound and
# answers as after the update, whichever step the kill came after, and the
# next run finishes the merge before it writes anything else
merge_blocks() { "$FZI" --db "$1" --check 2>&1 | sed -n 's/.*(\([0-9]*\) of them in the delta tier).*/\1/p'; }
rm -rf "$T/m0"
cp -r "$T/base" "$T/m0"
FZINDEX_DELTA_SHARE=100000 "$FZI" --db "$T/m0" --quiet "$T/big" || { echo "$0: cannot build the delta" >&2; exit 1; }
MERGING="env FZINDEX_DELTA_SHARE=0 FZINDEX_MERGE_STEP=5"
SAMPLE=$ROOT/corpus/xiacheng-2017-annual-focus.txt
state "$T/m0" "$T/state.m0"
rm -rf "$T/m1"
cp -r "$T/m0" "$T/m1"
t0=$(date +%s.%N)
$MERGING "$FZI" --db "$T/m1" --quiet --remove "$SAMPLE" || { echo "$0: the merging run fails" >&2; exit 1; }
t1=$(date +%s.%N)
MRUN=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
state "$T/m1" "$T/state.m1"
check "merge: the reference run merged the delta" test "$(merge_blocks "$T/m1")" = 0
"$FZI" --db "$T/m1" --quiet --remove "$T/big/part16.txt"
state "$T/m1" "$T/state.m2"
under_way=0
for f in 0.2 0.4 0.6; do
    rm -rf "$T/db"
    cp -r "$T/m0" "$T/db"
    delay=$(awk -v t="$MRUN" -v f=$f 'BEGIN { printf "%.3f", t * f }')
    $MERGING "$FZI" --db "$T/db" --quiet --remove "$SAMPLE" 2>"$T/run.err" &
    pid=$!
    sleep "$delay"
    kill -9 $pid 2>/dev/null
    wait $pid 2>/dev/null
    check "merge: kill after ${delay}s of ${MRUN}s: passes --check" status_is 0 "$FZI" --db "$T/db" --check
    state "$T/db" "$T/state.now"
    if cmp -s "$T/state.now" "$T/state.m0"; then
        continue # before the update's commit
    fi
    check "merge: kill after ${delay}s: answers as after the update" cmp -s "$T/state.now" "$T/state.m1"
    n=$(merge_blocks "$T/db")
    [ "$n" -gt 0 ] && under_way=$((under_way + 1))
    echo "merge kill after ${delay}s of ${MRUN}s: $n delta blocks left" >>"$T/log"
    check "merge: kill after ${delay}s: the next run completes" status_is 0 "$FZI" --db "$T/db" --quiet --remove "$T/big/part16.txt"
    check "merge: kill after ${delay}s: the merge is finished" test "$(merge_blocks "$T/db")" = 0
    state "$T/db" "$T/state.now"
    check "merge: kill after ${delay}s: then answers as after both runs" cmp -s "$T/state.now" "$T/state.m2"
    check "merge: kill after ${delay}s: then sound" status_is 0 "$FZI" --db "$T/db" --check
done
check "merge: at least one kill landed between two steps of the merge" test $under_way -ge 1

# a kill during the very first run into a new index: the index is absent
# or empty (searches say so without crashing), and the next run works.
# The kill comes a third into such a run, timed on one first (a fresh
# build is faster than the update RUN timed: a third of RUN came after
# its commit in one CI run)
t0=$(date +%s.%N)
"$FZI" --db "$T/fresh" --quiet "$T/big" || { echo "$0: the fresh run fails" >&2; exit 1; }
t1=$(date +%s.%N)
FRESH=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
rm -rf "$T/fresh"
"$FZI" --db "$T/new" --quiet "$T/big" &
pid=$!
sleep "$(awk -v t="$FRESH" 'BEGIN { printf "%.3f", t / 3 }')"
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
"$FZS" --db "$T/new" 井长制 >/dev/null 2>"$T/err"
st=$?
check "kill during the first run: a search exits 1 or 2, no crash (got $st)" test "$st" = 1 -o "$st" = 2
check "kill during the first run: no sanitizer report" sh -c "! grep -q Sanitizer '$T/err'"
check "kill during the first run: the next run completes" status_is 0 "$FZI" --db "$T/new" --quiet "$ROOT/corpus"
check "kill during the first run: then sound" status_is 0 "$FZI" --db "$T/new" --check
state "$T/new" "$T/state.now"
check "kill during the first run: then answers as a fresh index" cmp -s "$T/state.now" "$T/state.before"

echo "crash: full run ${RUN}s (a fresh one ${FRESH}s); $KILLS kills: $before_n left the index as before, $after_n as after (+2 re-runs); $under_way of 3 kills during a merge of ${MRUN}s left it under way"
[ -n "$VERBOSE" ] && cat "$T/log"
finish crash
