#!/bin/sh
# Shared use of one index: searches while fzindex writes (each sees the
# index before or after the run, never a mix, and never fails); two fzindex
# runs at once (LMDB's writer lock makes one wait); many searches at once;
# and a read-only index searched by a user who cannot write it.
. "$(dirname "$0")/lib.sh"
S=$ROOT/corpus/xiacheng-2017-annual-focus.txt
make_big "$T/big" 12
"$FZI" --db "$T/base" --quiet "$ROOT/corpus" || { echo "$0: cannot build the base index" >&2; exit 1; }
cp -r "$T/base" "$T/ref"
"$FZI" --db "$T/ref" --quiet "$T/big" || { echo "$0: the big run fails" >&2; exit 1; }
# Entry ids depend on the order in which fzindex's threads finish files, so
# answers are compared without ids and ranks (ties may swap), sorted.
noids() { sed 's/"rank":[0-9]*,//; s/"id":[0-9]*,//' | sort; }
for q in 井长制 治水; do
    "$FZS" --db "$T/base" --json --limit 0 $q | noids >"$T/before.$q"
    "$FZS" --db "$T/ref" --json --limit 0 $q | noids >"$T/after.$q"
done
counts() { # DB: entry counts of a few queries and the file list, id-independent
    for q in 井长制 治水 下城区 3卷1号 12卷20号; do "$FZS" --db "$1" --count $q; done
    "$FZI" --db "$1" --list | awk '{ print $1, $2, $NF }'
}
counts "$T/ref" >"$T/counts.after"

# --- searches during an index run
cp -r "$T/base" "$T/db"
"$FZI" --db "$T/db" --quiet --mem 1M "$T/big" 2>"$T/w.err" &
pid=$!
n=0 bad=0 saw_before=0 saw_after=0
while kill -0 $pid 2>/dev/null || [ $n -lt 4 ]; do
    for q in 井长制 治水; do
        "$FZS" --db "$T/db" --json --limit 0 $q >"$T/now.raw" 2>"$T/now.err"
        st=$?
        noids <"$T/now.raw" >"$T/now"
        n=$((n + 1))
        if [ $st != 0 ]; then
            bad=$((bad + 1))
            echo "  search during the run: exit $st: $(head -c 200 "$T/now.err")" >&2
        elif cmp -s "$T/now" "$T/before.$q"; then
            saw_before=$((saw_before + 1))
        elif cmp -s "$T/now" "$T/after.$q"; then
            saw_after=$((saw_after + 1))
        else
            bad=$((bad + 1))
            echo "  search during the run: '$q' answered neither as before nor as after" >&2
        fi
    done
done
wait $pid
check "run with searches alongside completes" test $? = 0
check "$n searches during the run: all exit 0 with before/after answers" test $bad = 0
check "some searches ran before the commit" test $saw_before -gt 0
counts "$T/db" >"$T/counts.now"
check "after the run: the same answers as one run" cmp -s "$T/counts.now" "$T/counts.after"
check "after the run: sound" status_is 0 "$FZI" --db "$T/db" --check

# --- a reader that stays open while a run installs the index's first text
# dictionary (the base index has too little text to train one): its later
# queries read entries compressed with that dictionary
rm -rf "$T/db"
cp -r "$T/base" "$T/db"
mkfifo "$T/q"
"$FZS" --db "$T/db" --batch - --json --limit 0 <"$T/q" >"$T/long.out" 2>"$T/long.err" &
pl=$!
exec 3>"$T/q"
echo 井长制 >&3
i=0
while [ $i -lt 300 ] && ! grep -q '井长制' "$T/long.out" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
check "long reader: first answer before the run" grep -q '井长制' "$T/long.out"
check "long reader: the run completes" status_is 0 "$FZI" --db "$T/db" --quiet "$T/big"
echo 治水 >&3
exec 3>&-
wait $pl
check "long reader: exits 0 after the run" test $? = 0
check "long reader: no message" test ! -s "$T/long.err"
"$FZS" --db "$T/db" --json --limit 0 治水 >"$T/fresh.out"
check "long reader: its answer after the run is a new search's" \
    sh -c "sed -n 's/^{\"query\":2,/{/p' '$T/long.out' | cmp -s - '$T/fresh.out'"

# --- two fzindex runs at once on the same index
rm -rf "$T/db"
cp -r "$T/base" "$T/db"
"$FZI" --db "$T/db" --quiet "$T"/big/part[1-6].txt 2>"$T/a.err" &
pa=$!
"$FZI" --db "$T/db" --quiet "$T"/big/part[7-9].txt "$T"/big/part1[0-2].txt 2>"$T/b.err" &
pb=$!
wait $pa
sa=$?
wait $pb
sb=$?
if [ $sa = 0 ] && [ $sb = 0 ]; then
    pass=$((pass + 1))
    counts "$T/db" >"$T/counts.now"
    check "two runs at once: both files sets indexed" cmp -s "$T/counts.now" "$T/counts.after"
else
    # one may fail, but only with a one-line message about the other run
    for x in a b; do
        [ -s "$T/$x.err" ] && check "two runs at once: run $x says why in one line" \
            test "$(wc -l <"$T/$x.err")" = 1
    done
    check "two runs at once: at least one completes (exit $sa, $sb)" test $sa = 0 -o $sb = 0
fi
check "two runs at once: the index is sound" status_is 0 "$FZI" --db "$T/db" --check

# --- a writer that waits for another prints that it waits, then succeeds
# (a reader holding the index does not block the writer)
rm -rf "$T/db"
cp -r "$T/base" "$T/db"
"$FZI" --db "$T/db" --quiet --mem 1M "$T/big" &
pa=$!
sleep 0.1
check "second writer completes while the first runs" status_is 0 "$FZI" --db "$T/db" --quiet "$S"
wait $pa
check "first writer completes too" test $? = 0
check "after two writers: sound" status_is 0 "$FZI" --db "$T/db" --check

# --- many searches at once
rm -f "$T"/par.*
i=0
while [ $i -lt 16 ]; do
    ( "$FZS" --db "$T/ref" --json --limit 0 井长制 >"$T/par.$i" 2>&1; echo $? >"$T/par.$i.st" ) &
    i=$((i + 1))
done
wait
i=0 ok=0
while [ $i -lt 16 ]; do
    [ "$(cat "$T/par.$i.st")" = 0 ] && noids <"$T/par.$i" | cmp -s - "$T/after.井长制" && ok=$((ok + 1))
    i=$((i + 1))
done
check "16 searches at once: all exit 0 with the same answer ($ok)" test $ok = 16

# --- a read-only index, searched by a user who cannot write it (tests run
# as root, who can write anything, so the searches run as nobody)
asuser() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && asuser true 2>/dev/null && asuser test -x "$FZS"; then
    chmod 711 "$T"
    for kind in ro nolock rootlock; do
        rm -rf "$T/$kind"
        cp -r "$T/ref" "$T/$kind"
        case $kind in
        ro) chmod 444 "$T/$kind"/*.mdb; chmod 555 "$T/$kind" ;;       # nothing writable
        nolock) rm "$T/$kind/lock.mdb"; chmod 444 "$T/$kind/data.mdb"; chmod 555 "$T/$kind" ;; # no lock file, none can be made
        rootlock) chmod 644 "$T/$kind"/*.mdb; chmod 755 "$T/$kind" ;;  # the lock file is someone else's
        esac
        before=$(md5sum "$T/$kind/data.mdb")
        check "read-only ($kind): search as another user" status_is 0 asuser "$FZS" --db "$T/$kind" --json --limit 0 井长制
        check "read-only ($kind): same answers" sh -c "sed 's/\"rank\":[0-9]*,//; s/\"id\":[0-9]*,//' '$T/out' | sort | cmp -s - '$T/after.井长制'"
        check "read-only ($kind): no match exits 1" status_is 1 asuser "$FZS" --db "$T/$kind" 不存在的词语组合
        check "read-only ($kind): --check" status_is 0 asuser "$FZI" --db "$T/$kind" --check
        check "read-only ($kind): --list" status_is 0 asuser "$FZI" --db "$T/$kind" --list
        check "read-only ($kind): indexing fails" status_is 2 asuser "$FZI" --db "$T/$kind" "$S"
        check "read-only ($kind): indexing: one line" one_line
        check "read-only ($kind): indexing: says why" err_has "ermission\|read-only\|cannot"
        check "read-only ($kind): data.mdb unchanged" test "$(md5sum "$T/$kind/data.mdb")" = "$before"
    done
    chmod -R u+w "$T"
else
    echo "$0: skipping the read-only tests (needs root and setpriv)" >&2
fi
finish concurrency
