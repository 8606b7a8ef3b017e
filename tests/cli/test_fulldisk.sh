#!/bin/sh
# A full disk and an interrupted run.  Indexing 3.6 MB of text into a 2 MB
# tmpfs must end with "No space left on device" in one line and exit 2,
# leave the index as it was (content and length) and no sparse file or run
# file behind.  A run stopped with SIGINT or SIGTERM leaves data.mdb at its
# committed length, not the writer's 1 GB map, and summaries report the
# index's real size while another writer holds it.  The tmpfs part needs
# mount(8) (root, or a user namespace); where it cannot mount, it says so
# and skips.
. "$(dirname "$0")/lib.sh"
C=$ROOT/corpus/xiacheng-2017-annual-focus.txt
# 3.6 MB: 70 copies of the sample, each with its own years
awk 'BEGIN { for (c = 1; c <= 70; c++) { while ((getline l < ARGV[1]) > 0) { gsub(/年/, "年" c, l); print l }
             close(ARGV[1]) } exit }' "$C" >"$T/big.txt"
head -n 40 "$C" >"$T/small.txt"
M=$T/m
mkdir "$M"
if mount -t tmpfs -o size=2m tmpfs "$M" 2>"$T/mount.err"; then
    trap 'umount "$M" 2>/dev/null; rm -rf "$T"' EXIT
    "$FZI" --db "$M/db" --quiet "$T/small.txt" 2>/dev/null
    check "tmpfs: a small index fits" test -s "$M/db/data.mdb"
    sum=$(idx_sum "$M/db")
    len=$(stat -c %s "$M/db/data.mdb")
    for mem in "" 1M; do
        check "full disk${mem:+ (--mem $mem)}: exit 2" status_is 2 "$FZI" --db "$M/db" ${mem:+--mem $mem} "$T/big.txt"
        check "full disk${mem:+ (--mem $mem)}: one line" one_line
        check "full disk${mem:+ (--mem $mem)}: says No space left on device" err_has "No space left on device"
        check "full disk${mem:+ (--mem $mem)}: the index is unchanged" test "$(idx_sum "$M/db")" = "$sum"
        check "full disk${mem:+ (--mem $mem)}: data.mdb as long as before ($len)" \
            test "$(stat -c %s "$M/db/data.mdb")" = "$len"
        check "full disk${mem:+ (--mem $mem)}: no run file left" test -z "$(ls "$M/db" | grep -v '^data.mdb$\|^lock.mdb$')"
    done
    check "full disk: the index still passes --check" status_is 0 "$FZI" --db "$M/db" --check
    check "full disk, new index: exit 2" status_is 2 "$FZI" --db "$M/new" "$T/big.txt"
    check "full disk, new index: says No space left on device" err_has "No space left on device"
    check "full disk, new index: no long file left" test "$(stat -c %s "$M/new/data.mdb")" -lt 65536
    umount "$M"
else
    echo "$0: note: cannot mount a tmpfs here ($(head -c 200 "$T/mount.err")); full-disk checks skipped" >&2
fi

# wait_open DB LEN PID: until writer PID has DB open (data.mdb grows from
# LEN to the map's length), at most 10 s, or until it ends
wait_open() {
    n=0
    while [ "$(stat -c %s "$1/data.mdb")" = "$2" ] && [ $n -lt 200 ] && kill -0 "$3" 2>/dev/null; do
        sleep 0.05
        n=$((n + 1))
    done
}

# stopped by a signal while writing (SIGHUP, SIGTERM; SIGINT the same): data.mdb cut back, index unchanged
make_big "$T/many" 6
# (SIGINT is what a terminal sends; a background job of a script ignores
# it, and fzindex keeps an ignored signal ignored: SIGHUP stands in for it)
"$FZI" --db "$T/db" --quiet "$T/small.txt"
for sig in HUP TERM; do
    sum=$(idx_sum "$T/db")
    len=$(stat -c %s "$T/db/data.mdb")
    "$FZI" --db "$T/db" --quiet "$T/many" &
    pid=$!
    wait_open "$T/db" "$len" $pid
    kill -$sig $pid 2>/dev/null
    { wait $pid; } 2>/dev/null
    st=$?
    if [ $st -gt 128 ]; then
        check "SIG$sig: data.mdb cut back to $len bytes" test "$(stat -c %s "$T/db/data.mdb")" = "$len"
        check "SIG$sig: index unchanged" test "$(idx_sum "$T/db")" = "$sum"
    else
        echo "$0: note: the run ended (status $st) before SIG$sig reached it; not checked" >&2
    fi
done

# a summary while another writer has the file at its map's length: --pack
# reports the index's real size (its pages), not data.mdb's length
"$FZI" --db "$T/db2" --quiet "$T/small.txt"
len=$(stat -c %s "$T/db2/data.mdb")
"$FZI" --db "$T/db2" --quiet "$T/many" &
pid=$!
wait_open "$T/db2" "$len" $pid
if [ "$(stat -c %s "$T/db2/data.mdb")" -gt 100000000 ]; then
    check "pack beside a writer: exit 0" status_is 0 "$FZI" --db "$T/db2" --pack "$T/p.fz"
    check "pack beside a writer: the index's real size" err_has "; index 0\.[0-9] MB)"
else
    echo "$0: note: the writer ended before the pack; not checked" >&2
fi
wait $pid
check "after the writer: data.mdb cut back" test "$(stat -c %s "$T/db2/data.mdb")" -lt 100000000
finish fulldisk
