#!/bin/sh
# Updates: successive runs that add, change and remove a 1 MB file reuse
# the pages earlier runs freed instead of growing data.mdb each time, and
# --pack of the updated index is as small as a pack of a fresh build of the
# same files (store.c, FREE PAGES and PACKED ARCHIVES).
. "$(dirname "$0")/lib.sh"

make_big "$T/base" 3
mkdir -p "$T/u"
size() { stat -c %s "$T/db/data.mdb"; }
# variant FILE N: the sample's copies with titles of their own (new terms)
variant() { awk -v n="$2" '{ gsub(/号/, "号" n "乙"); print }' "$T/base/part1.txt" >"$1"; }

check "a base index is built" "$FZI" --db "$T/db" --quiet "$T/base"
s0=$(size)
# nine runs: add a file, change it, remove it, three times over
ok=1
for r in 1 2 3 4 5 6 7 8 9; do
    case $((r % 3)) in
    1) variant "$T/u/f$r.txt" "$r"; "$FZI" --db "$T/db" --quiet "$T/u/f$r.txt" || ok=0 ;;
    2) variant "$T/u/f$((r - 1)).txt" "$r"; "$FZI" --db "$T/db" --quiet "$T/u/f$((r - 1)).txt" || ok=0 ;;
    0) "$FZI" --db "$T/db" --quiet --remove "$T/u/f$((r - 2)).txt" || ok=0; rm -f "$T/u/f$((r - 2)).txt" ;;
    esac
    [ "$r" = 1 ] && s1=$(size)
done
s9=$(size)
check "nine update runs succeed" [ "$ok" = 1 ]
# The first run needs a new copy of every page it touches (here most of
# the index); the later ones find the pages earlier runs freed.  Were only
# the pages freed two runs back reusable, they would grow it by more.
later_ok() {
    [ $((s9 - s1)) -lt $((s1 - s0)) ] ||
        { echo "  runs 2-9 grew data.mdb by $((s9 - s1)) bytes, run 1 by $((s1 - s0))" >&2; return 1; }
}
check "later update runs reuse freed pages: they grow data.mdb less than the first did" later_ok
check "the updated index is sound" "$FZI" --db "$T/db" --check --quiet

# the same files indexed afresh (the runs removed what they added): the
# same answers, and packs within 1% (the updates' half-full pages left out)
check "a fresh build of the same files" "$FZI" --db "$T/fresh" --quiet "$T/base"
check "the updated index packs" "$FZI" --db "$T/db" --pack "$T/upd.fz" --quiet
check "the fresh index packs" "$FZI" --db "$T/fresh" --pack "$T/fresh.fz" --quiet
pack_ok() {
    a=$(stat -c %s "$T/upd.fz") b=$(stat -c %s "$T/fresh.fz")
    [ $((a * 100)) -le $((b * 101)) ] || { echo "  pack of the updated index $a bytes, of a fresh build $b" >&2; return 1; }
}
check "the updated index packs within 1% of a fresh build's pack" pack_ok
check "the pack of the updated index is sound" "$FZI" --db "$T/upd.fz" --check --quiet
same_answers() {
    for q in 井长制 '3卷7号' '商圈 智慧' '杭州 EXCEPT 杭州中心' '7乙' '年2-5'; do
        "$FZS" --db "$T/upd.fz" --json --no-snippet --limit 0 "$q" >"$T/a" 2>&1
        "$FZS" --db "$T/fresh.fz" --json --no-snippet --limit 0 "$q" >"$T/b" 2>&1
        cmp -s "$T/a" "$T/b" || { echo "  $q: $(cat "$T/a") / $(cat "$T/b")" >&2; return 1; }
    done
}
check "the updated index answers as a fresh build does" same_answers
finish test_update
