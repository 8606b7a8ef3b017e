#!/bin/sh
# On the archive shelf: fzindex --pack writes a single-file archive that
# fzsearch opens read-only, also from read-only media and as a user who may
# not write there; a read-only index directory is searchable too; --merge
# adds indexes built elsewhere with the same scores as one index built from
# all the files; --list and --remove keep the index honest.
. "$(dirname "$0")/lib.sh"
DB=$T/db
"$FZI" --db "$DB" --quiet "$ROOT/corpus" || exit 1
md5() { md5sum "$1" | cut -d' ' -f1; }
# hits QUERY DB: "file:line score" of every hit, sorted (ids differ between
# indexes, so hits are matched by file and line)
hits() {
    "$FZS" --db "$2" --json --limit 1000 "$1" | awk '
    function val(key,   v) {
        if (!match($0, "\"" key "\":(\"[^\"]*\"|[0-9.]+)")) return "?"
        v = substr($0, RSTART + length(key) + 3, RLENGTH - length(key) - 3)
        gsub(/"/, "", v)
        return v
    }
    { printf "%s:%s %.4f\n", val("file"), val("line"), val("score") }' | sort
}
QUERIES="井长制 商圈 下城区 杭州 建设 智慧_OR_武林 author:陆婷 title:建设 建设_-武林 井长制_NEAR/30_治水"

# ---- pack ----
mkdir "$T/shelf"
A=$T/shelf/xiacheng.fz
check "pack" status_is 0 "$FZI" --db "$DB" --pack "$A"
check "pack: reports the size" err_has "packed .* ([0-9.]* MB"
check "pack: one line" one_line
check "pack: a single file" test -f "$A"
sum=$(md5 "$A")
check "pack over an existing file is refused" status_is 2 "$FZI" --db "$DB" --pack "$A"
check "pack over an existing file: one line" one_line
check "pack over an existing file: says it exists" err_has "exists"
check "pack over an existing file: file untouched" test "$(md5 "$A")" = "$sum"
check "pack of a missing index" status_is 2 "$FZI" --db "$T/none" --pack "$T/x.fz"
check "pack of a missing index: one line" one_line
check "pack of a missing index: no file left" test ! -e "$T/x.fz"
check "pack into a missing directory" status_is 2 "$FZI" --db "$DB" --pack "$T/no/such/dir/x.fz"
check "pack into a missing directory: fzindex: what: why" err_has "^fzindex: packing into .*: No such file"
check "indexing into an archive is refused" status_is 2 "$FZI" --db "$A" "$ROOT/corpus"
check "indexing into an archive: one line" one_line
check "indexing into an archive: says it is read-only" err_has "read-only"
check "indexing into an archive: archive untouched" test "$(md5 "$A")" = "$sum"

# ---- search the archive ----
check "fzsearch --db archive 井长制" status_is 0 "$FZS" --db "$A" 井长制
check "archive: hits" out_has "井长制"
for q in $QUERIES; do
    q=$(echo "$q" | tr _ ' ')
    hits "$q" "$DB" >"$T/d.hits"
    hits "$q" "$A" >"$T/a.hits"
    check "archive: '$q' as in the directory" sh -c 'test -s "$0" && cmp -s "$0" "$1"' "$T/d.hits" "$T/a.hits"
done
check "archive: --list" status_is 0 "$FZI" --db "$A" --list
check "archive: --list names the file" out_has "xiacheng-2017-annual-focus.txt"
check "archive: --check" status_is 0 "$FZI" --db "$A" --check
check "archive: untouched by searching" test "$(md5 "$A")" = "$sum"

# ---- read-only media ----
# 1. permissions: the archive, its directory, and an index directory whose
#    data.mdb and lock.mdb may not be written.  (As root, chmod does not
#    stop writing; a non-root user follows in 2.)
RO=$T/rodb
cp -r "$DB" "$RO"
rm -f "$A-lock"
chmod a-w "$A" "$T/shelf" "$RO/data.mdb" "$RO/lock.mdb" "$RO"
check "chmod a-w archive: search" status_is 0 "$FZS" --db "$A" 井长制
check "chmod a-w index directory: search" status_is 0 "$FZS" --db "$RO" 井长制
# 2. a user who may not write there
chmod 755 "$T"
if [ "$(id -u)" != 0 ]; then
    nobody() { "$@"; }
    how="as $(id -un)"
elif setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
    nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
    how="as nobody (setpriv)"
elif su nobody -s /bin/sh -c true 2>/dev/null; then
    nobody() { su nobody -s /bin/sh -c 'exec "$0" "$@"' "$@"; }
    how="as nobody (su)"
else
    how=""
fi
if [ -n "$how" ]; then
    # the programs and a text to index, where the other user can reach them
    # (the source tree may sit in a directory private to root)
    mkdir "$T/nbin" "$T/ntext"
    cp "$FZS" "$FZI" "$T/nbin/"
    cp "$ROOT/corpus/"*.txt "$T/ntext/"
    chmod -R a+rX "$T/nbin" "$T/ntext"
    FZS_=$FZS FZI_=$FZI FZS=$T/nbin/fzsearch FZI=$T/nbin/fzindex
    cannot_write() { ! nobody touch "$1/w" 2>/dev/null; }
    rm -f "$A-lock"
    check "$how: cannot write the shelf" cannot_write "$T/shelf"
    check "$how: cannot write the index directory" cannot_write "$RO"
    check "$how: search the archive" status_is 0 nobody "$FZS" --db "$A" 井长制
    check "$how: archive hits" out_has "井长制"
    check "$how: no lock file beside the archive" test ! -e "$A-lock"
    check "$how: search the read-only index directory" status_is 0 nobody "$FZS" --db "$RO" --json --limit 1000 商圈
    "$FZS" --db "$DB" --json --limit 1000 商圈 >"$T/want"
    check "$how: same hits as the writable index" cmp -s "$T/out" "$T/want"
    check "$how: --list the read-only index" status_is 0 nobody "$FZI" --db "$RO" --list
    check "$how: --check the archive" status_is 0 nobody "$FZI" --db "$A" --check
    check "$how: can read the text" nobody test -r "$T/ntext/xiacheng-2017-annual-focus.txt"
    check "$how: indexing into the read-only index fails" status_is 2 nobody "$FZI" --db "$RO" "$T/ntext"
    check "$how: indexing into it: one line" one_line
    check "$how: indexing into it: fzindex: what: why" err_has "^fzindex: .*$RO.*: Permission denied"
    FZS=$FZS_ FZI=$FZI_
else
    echo "$0: note: no way to run as another user here; read-only permissions tested as root only" >&2
fi
# 3. a read-only file system: a read-only bind mount in a private mount
#    namespace (needs root; gone when the namespace ends)
if [ "$(id -u)" = 0 ] && unshare -m sh -c "mount --bind '$T/shelf' '$T/shelf' && mount -o remount,bind,ro '$T/shelf'" 2>/dev/null; then
    chmod u+w "$T/shelf"
    mkdir "$T/shelf/idx"
    cp "$DB/data.mdb" "$T/shelf/idx/"     # an index directory without lock.mdb
    cp -r "$DB" "$T/shelf/idx2"           # and one with it
    rm -f "$A-lock"
    cat >"$T/ro.sh" <<'EOF'
set -e
mount --bind "$SHELF" "$SHELF"
mount -o remount,bind,ro "$SHELF"
if touch "$SHELF/w" 2>/dev/null; then echo writable; else echo read-only; fi >"$OUT/fs"
set +e
"$FZS" --db "$SHELF/xiacheng.fz" 井长制 >"$OUT/a.out" 2>"$OUT/a.err"; echo $? >"$OUT/a.rc"
"$FZS" --db "$SHELF/idx" 井长制 >"$OUT/i.out" 2>"$OUT/i.err"; echo $? >"$OUT/i.rc"
"$FZS" --db "$SHELF/idx2" 井长制 >"$OUT/j.out" 2>"$OUT/j.err"; echo $? >"$OUT/j.rc"
"$FZI" --db "$SHELF/idx2" --list >"$OUT/l.out" 2>"$OUT/l.err"; echo $? >"$OUT/l.rc"
"$FZI" --db "$SHELF/idx" "$CORPUS" >/dev/null 2>"$OUT/w.err"; echo $? >"$OUT/w.rc"
EOF
    mkdir "$T/res"
    SHELF="$T/shelf" OUT="$T/res" FZS="$FZS" FZI="$FZI" CORPUS="$ROOT/corpus" unshare -m sh "$T/ro.sh"
    check "ro mount: the file system is read-only" test "$(cat "$T/res/fs")" = read-only
    check "ro mount: search the archive" test "$(cat "$T/res/a.rc")" = 0
    check "ro mount: archive hits" grep -q 井长制 "$T/res/a.out"
    check "ro mount: search an index directory (no lock.mdb)" test "$(cat "$T/res/i.rc")" = 0
    check "ro mount: index directory hits" grep -q 井长制 "$T/res/i.out"
    check "ro mount: search an index directory with lock.mdb" test "$(cat "$T/res/j.rc")" = 0
    check "ro mount: its hits" grep -q 井长制 "$T/res/j.out"
    check "ro mount: --list it" test "$(cat "$T/res/l.rc")" = 0
    check "ro mount: indexing there fails" test "$(cat "$T/res/w.rc")" = 2
    check "ro mount: one line" test "$(wc -l <"$T/res/w.err")" = 1
    check "ro mount: nothing written" test ! -e "$T/shelf/idx/lock.mdb" -a ! -e "$A-lock"
else
    echo "$0: note: cannot mount read-only here; read-only file systems not tested" >&2
fi
chmod -R u+w "$T"

# ---- merge ----
# the corpus in two files, cut at the blank line after its middle
C=$ROOT/corpus/xiacheng-2017-annual-focus.txt
half=$(($(wc -l <"$C") / 2))
cut=$(awk -v h="$half" 'NR > h && /^[ \t\r]*$/ { print NR; exit }' "$C")
mkdir "$T/src"
head -n "$cut" "$C" >"$T/src/part1.txt"
tail -n +"$((cut + 1))" "$C" >"$T/src/part2.txt"
check "split: both parts have entries" sh -c 'grep -q "【" "$0" && grep -q "【" "$1"' "$T/src/part1.txt" "$T/src/part2.txt"
"$FZI" --db "$T/A" --quiet "$T/src/part1.txt" || exit 1
"$FZI" --db "$T/B" --quiet "$T/src/part2.txt" || exit 1
"$FZI" --db "$T/both" --quiet "$T/src/part1.txt" "$T/src/part2.txt" || exit 1
cp -r "$T/A" "$T/A2"
check "merge B into A" status_is 0 "$FZI" --db "$T/A" --merge "$T/B"
check "merge: one summary line" one_line
check "merge: summary counts" err_has "merged 1 index: 1 file, [0-9]* entries"
for q in $QUERIES; do
    q=$(echo "$q" | tr _ ' ')
    hits "$q" "$T/both" >"$T/both.hits"
    hits "$q" "$T/A" >"$T/a.hits"
    check "merge: '$q' scores as one index" sh -c 'test -s "$0" && cmp -s "$0" "$1" || { diff "$0" "$1" | head -5 >&2; false; }' "$T/both.hits" "$T/a.hits"
done
"$FZI" --db "$T/A" --list | tail -n +2 | awk '{ print $1, $NF }' >"$T/a.list"
"$FZI" --db "$T/both" --list | tail -n +2 | awk '{ print $1, $NF }' >"$T/both.list"
check "merge: --list as one index" cmp -s "$T/a.list" "$T/both.list"
check "merge: --check" status_is 0 "$FZI" --db "$T/A" --check
# from a packed archive, into a new index
"$FZI" --db "$T/B" --quiet --pack "$T/B.fz"
check "merge an archive" status_is 0 "$FZI" --db "$T/A2" --quiet --merge "$T/B.fz"
hits 商圈 "$T/A2" >"$T/a2.hits"
hits 商圈 "$T/both" >"$T/both.hits"
check "merge an archive: '商圈' scores as one index" cmp -s "$T/a2.hits" "$T/both.hits"
check "merge twice: replaces, no duplicates" status_is 0 "$FZI" --db "$T/A2" --quiet --merge "$T/B"
hits 商圈 "$T/A2" >"$T/a2.hits"
check "merge twice: same hits" cmp -s "$T/a2.hits" "$T/both.hits"
sa=$(idx_sum "$T/A")
check "merge a missing index" status_is 2 "$FZI" --db "$T/A" --merge "$T/B" "$T/none"
check "merge a missing index: one line" one_line
check "merge a missing index: names it" err_has "$T/none"
check "merge a missing index: index unchanged" test "$(idx_sum "$T/A")" = "$sa"
check "merge an index into itself" status_is 2 "$FZI" --db "$T/A" --merge "$T/A"
check "merge into itself: one line" one_line

# ---- list and remove ----
L=$T/L
iconv -f UTF-8 -t GB18030 "$T/src/part2.txt" >"$T/src/part2-gb.txt"
check "index two files" status_is 0 "$FZI" --db "$L" "$T/src/part1.txt" "$T/src/part2-gb.txt"
check "list" status_is 0 "$FZI" --db "$L" --list
check "list: header" out_has "entries.*encoding.*indexed.*file"
check "list: two files" test "$(tail -n +2 "$T/out" | wc -l)" = 2
check "list: part1, UTF-8" grep -qE "^ *[1-9][0-9]* +UTF-8 +[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8} +$T/src/part1.txt\$" "$T/out"
check "list: part2, GB18030" grep -qE "^ *[1-9][0-9]* +GB18030 +.* $T/src/part2-gb.txt\$" "$T/out"
n2=$(grep part2-gb "$T/out" | awk '{ print $1 }')
n1=$(grep part1 "$T/out" | awk '{ print $1 }')
# a word of part 2 only
w=$(hits 井长制 "$L" | grep -c part2-gb)
check "part 2 found" test "$w" -gt 0
hits 商圈 "$L" >"$T/l.before"
check "re-index part 2" status_is 0 "$FZI" --db "$L" "$T/src/part2-gb.txt"
hits 商圈 "$L" >"$T/l.after"
check "re-index: no duplicate hits" cmp -s "$T/l.before" "$T/l.after"
"$FZI" --db "$L" --list >"$T/out"
check "re-index: still two files" test "$(tail -n +2 "$T/out" | wc -l)" = 2
check "re-index: same entry count" test "$(grep part2-gb "$T/out" | awk '{ print $1 }')" = "$n2"
check "remove part 2 (relative path)" sh -c 'cd "$0" && "$1" --db "$2" --quiet --remove part2-gb.txt' "$T/src" "$FZI" "$L"
"$FZI" --db "$L" --list >"$T/out"
check "remove: one file listed" test "$(tail -n +2 "$T/out" | wc -l)" = 1
check "remove: part 1 stays" grep -q "^ *$n1 .*part1.txt" "$T/out"
check "remove: no hit from part 2" sh -c '! { "$0" --db "$1" --json --limit 0 商圈; "$0" --db "$1" --json --limit 0 井长制; } | grep -q part2-gb' "$FZS" "$L"
hits 商圈 "$L" | grep -c . >"$T/n"
check "remove: part 1's hits remain" test "$(cat "$T/n")" -gt 0
check "remove: --check" status_is 0 "$FZI" --db "$L" --check
check "remove it again" status_is 2 "$FZI" --db "$L" --remove "$T/src/part2-gb.txt"
check "remove it again: one line" one_line
check "remove it again: not in the index" err_has "not in the index"
check "remove the last file" status_is 0 "$FZI" --db "$L" --remove "$T/src/part1.txt"
check "remove: summary line" err_has "removed 1 file ([0-9]* entries)"
check "empty index: no match" status_is 1 "$FZS" --db "$L" 商圈
finish archive
