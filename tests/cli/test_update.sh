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
# ---- term packs (TERM PACKS in common/store.c): rare terms share pack
# records; an update takes a term that gains documents out of its pack,
# puts a new term into the pack before it, drops a removed file's
# documents from packs; --merge and --pack carry them.  After every step
# the index answers as a fresh build of the same files does, and is sound.
P=$T/packs
mkdir -p "$P/src"
printf '【甲】龜鶴遐齡之說\n一段正文，龜鶴並見，麟角。\n\n【乙】松柏長青\n正文二，松柏之茂。\n\n【戊】鳳毛\n正文五。\n' >"$P/src/a.txt"
printf '【丙】龜鶴之圖\n正文三，松柏，鳳毛。\n' >"$P/src/b.txt"
printf '【丁】麒麟獻瑞\n正文四，鳳毛麟角。\n' >"$P/src/c.txt"
PQ='龜鶴 松柏 正文 鳳毛 麟角 麒麟 鶴遐 之 龜鶴_OR_麒麟 title:鳳毛 鸞鳳 和鳴'
# same_as_fresh DESC FILES...: the index $P/db answers as a fresh build of FILES
same_as_fresh() {
    sf=$1
    shift
    rm -rf "$P/fresh"
    "$FZI" --db "$P/fresh" --quiet "$@" || { check "$sf: fresh build" false; return; }
    for q in $PQ; do
        q=$(echo "$q" | tr _ ' ')
        "$FZS" --db "$P/db" --json --no-snippet --limit 0 "$q" >"$P/a" 2>&1
        "$FZS" --db "$P/fresh" --json --no-snippet --limit 0 "$q" >"$P/b" 2>&1
        "$FZS" --db "$P/db" --count --json "$q" >>"$P/a" 2>&1
        "$FZS" --db "$P/fresh" --count --json "$q" >>"$P/b" 2>&1
        # entry ids differ (an update's ids follow the removed ones)
        sed -i 's/"id":[0-9]*,//' "$P/a" "$P/b"
        check "$sf: '$q' as a fresh build" cmp -s "$P/a" "$P/b"
    done
    check "$sf: --check" "$FZI" --db "$P/db" --check --quiet
}
packs_in() { # DB: the number of term packs --check counts
    "$FZI" --db "$1" --check 2>&1 | sed -n 's/.* terms in \([0-9]*\) term packs.*/\1/p'
}
check "packs: a first build" "$FZI" --db "$P/db" --quiet "$P/src/a.txt"
check "packs: the rare terms are in term packs" test "$(packs_in "$P/db")" -gt 0
same_as_fresh "packs: built" "$P/src/a.txt"
check "packs: add a file (packed terms gain documents)" "$FZI" --db "$P/db" --quiet "$P/src/b.txt"
same_as_fresh "packs: added" "$P/src/a.txt" "$P/src/b.txt"
check "packs: add a file of new terms" "$FZI" --db "$P/db" --quiet "$P/src/c.txt"
same_as_fresh "packs: new terms" "$P/src/a.txt" "$P/src/b.txt" "$P/src/c.txt"
check "packs: remove a file" "$FZI" --db "$P/db" --quiet --remove "$P/src/a.txt"
same_as_fresh "packs: removed" "$P/src/b.txt" "$P/src/c.txt"
printf '【丙】龜鶴之圖\n正文三改，松柏。\n\n【己】麟角\n新文。\n' >"$P/src/b.txt"
check "packs: change a file" "$FZI" --db "$P/db" --quiet "$P/src/b.txt"
same_as_fresh "packs: changed" "$P/src/b.txt" "$P/src/c.txt"
# a new term in 20 entries gets blocks, which must not fall inside the pack
# of the terms around it (鸞鳳 sorts among 鳳毛, 鶴遐, 麟角, 麒麟, 龜鶴)
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
    printf '【鸞鳳%s】\n鸞鳳和鳴，其%s。\n\n' "$i" "$i"
done >"$P/src/d.txt"
check "packs: add a file with a new frequent term" "$FZI" --db "$P/db" --quiet "$P/src/d.txt"
same_as_fresh "packs: new frequent term" "$P/src/b.txt" "$P/src/c.txt" "$P/src/d.txt"
# the same into an index of c.txt alone, whose text terms are one pack
mv "$P/db" "$P/db.keep"
"$FZI" --db "$P/db" --quiet "$P/src/c.txt"
check "packs: c.txt alone: one pack holds 麒麟 and 麟角" test "$(packs_in "$P/db")" -le 4
check "packs: a new frequent term inside a pack" "$FZI" --db "$P/db" --quiet "$P/src/d.txt"
same_as_fresh "packs: new frequent term inside a pack" "$P/src/c.txt" "$P/src/d.txt"
rm -rf "$P/db"
mv "$P/db.keep" "$P/db"
check "packs: --pack" "$FZI" --db "$P/db" --pack "$P/db.fz" --quiet
check "packs: the archive is sound" "$FZI" --db "$P/db.fz" --check --quiet
mv "$P/db" "$P/db.dir"
mv "$P/db.fz" "$P/db"
same_as_fresh "packs: archive" "$P/src/b.txt" "$P/src/c.txt" "$P/src/d.txt"
# the archive packs again the small terms that updates put in blocks, and
# so did the merge of their delta (the last update here merged it: MERGING
# in common/store.c lays the terms out as --pack does)
layout() { "$FZI" --db "$1" --check 2>&1 | sed -n 's/.* entries, \(.*\), [0-9]* postings$/\1/p'; }
check "packs: the updated index, its delta merged, has the blocks and packs of a fresh build" \
    sh -c 'test -n "$1" && test "$1" = "$2" || { echo "  updated: $1; fresh build: $2" >&2; false; }' sh \
    "$(layout "$P/db.dir")" "$(layout "$P/fresh")"
check "packs: its archive has the blocks and packs of a fresh build" \
    sh -c 'test -n "$1" && test "$1" = "$2" || { echo "  archive: $1; fresh build: $2" >&2; false; }' sh \
    "$(layout "$P/db")" "$(layout "$P/fresh")"
rm -rf "$P/db" "$P/m"
"$FZI" --db "$P/db" --quiet "$P/src/b.txt"
"$FZI" --db "$P/m" --quiet "$P/src/a.txt" "$P/src/c.txt"
check "packs: --merge" "$FZI" --db "$P/db" --merge "$P/m" --quiet
same_as_fresh "packs: merged" "$P/src/b.txt" "$P/src/a.txt" "$P/src/c.txt"
# every file indexed again (a run that removes and adds them all: the
# removed entries' postings stay in the main tree, dead, DEAD ENTRIES in
# common/store.c): its archive has the terms back in packs, not in blocks
# of their own
rm -rf "$P/db"
"$FZI" --db "$P/db" --quiet "$P/src"
sleep 1
touch "$P/src/"*
check "packs: every file again" "$FZI" --db "$P/db" --quiet "$P/src"
same_as_fresh "packs: every file again" "$P/src"
rm -f "$P/db.fz"
check "packs: every file again: --pack" "$FZI" --db "$P/db" --pack "$P/db.fz" --quiet
check "packs: every file again: its archive has as many terms packed as a fresh build" \
    test "$(layout "$P/db.fz" | sed 's/ in [0-9]* term packs//')" = "$(layout "$P/fresh" | sed 's/ in [0-9]* term packs//')"
# ---- the delta tier (DELTA TIER in common/store.c): an update writes its
# postings into "dpost", not into the main tree, so that a run touches few
# pages; searches read a term's main postings, then its delta ones; an
# update merges the delta into the main tree once it reaches a quarter of
# its pages (FZINDEX_DELTA_SHARE: 0 merges at every update, a large value
# never), --pack merges it into the archive.
D=$T/delta
mkdir -p "$D/u" "$D/src"
# small FILE N: the sample chapter with titles and years of its own (52 KB)
small() { awk -v n="$2" '{ gsub(/号/, "号" n "乙"); gsub(/年/, "年" n "丙"); print }' \
    "$ROOT/corpus/xiacheng-2017-annual-focus.txt" >"$1"; }
delta_blocks() { "$FZI" --db "$1" --check 2>&1 | sed -n 's/.*posting blocks (\([0-9]*\) of them in the delta tier).*/\1/p'; }
check "delta: a base index of 3 MB" "$FZI" --db "$D/db" --quiet "$T/base"
d0=$(stat -c %s "$D/db/data.mdb")
ok=1
for r in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
    small "$D/u/x.txt" "$r"
    "$FZI" --db "$D/db" --quiet "$D/u/x.txt" || ok=0
    small "$D/u/x.txt" "$((r + 100))"
    touch -d "+1 min" "$D/u/x.txt"
    "$FZI" --db "$D/db" --quiet "$D/u/x.txt" || ok=0
    "$FZI" --db "$D/db" --quiet --remove "$D/u/x.txt" || ok=0
done
d20=$(stat -c %s "$D/db/data.mdb")
check "delta: twenty add/change/remove runs succeed" [ "$ok" = 1 ]
# The first run copies the pages it touches once (the tails of the entry,
# length and file tables, the delta's pages, LMDB's free list: here 16%
# of this small index); the later ones reuse the pages the run before
# freed.  Runs that put their postings into the main tree touched a page
# per term of the 52 KB file and grew this index by 144%.  (Format 8: the
# base's twenty copies of one chapter compress against the text dictionary
# trained on them, 2.33 MB against format 7's 3.48; the twenty runs grow
# it by 672 KB, 29%, where format 7 grew by 709 KB, 20%.)
grow_ok() {
    [ $((d20 * 100)) -le $((d0 * 135)) ] ||
        { echo "  data.mdb $d0 bytes fresh, $d20 after twenty runs" >&2; return 1; }
}
check "delta: twenty runs grow data.mdb by at most 35%" grow_ok
check "delta: the index is sound after the runs" "$FZI" --db "$D/db" --check --quiet
# changing a file of the main tree leaves its old postings there, dead
# (DEAD ENTRIES in common/store.c), instead of rewriting its terms' blocks
cp "$T/base/part2.txt" "$D/u/"
rm -rf "$D/db"
"$FZI" --db "$D/db" --quiet "$T/base/part1.txt" "$D/u/part2.txt"
small "$D/u/part2.txt" 999
touch -d "+1 min" "$D/u/part2.txt"
d0=$(stat -c %s "$D/db/data.mdb")
check "delta: change a file of the main tree" "$FZI" --db "$D/db" --quiet "$D/u/part2.txt"
d1=$(stat -c %s "$D/db/data.mdb")
# Rewriting the removed file's terms' postings grew this 3.3 MB index by
# 65%; left dead, by 19% (the new text's delta and entries, and the
# copies of the pages the first update after a build touches).  (Format 8:
# 1.68 MB, the text against its dictionary, grown by 549 KB, 33%, where
# format 7's 2.43 MB grew by 578 KB, 24%.)
change_ok() {
    [ $((d1 * 100)) -le $((d0 * 140)) ] ||
        { echo "  data.mdb $d0 bytes before, $d1 after the change" >&2; return 1; }
}
check "delta: changing a file of the main tree grows data.mdb by at most 40%" change_ok
check "delta: sound after the change" "$FZI" --db "$D/db" --check --quiet
# answers after add, change and remove, with the delta kept apart, as a
# fresh build of the same files gives them
KEEP="env FZINDEX_DELTA_SHARE=100000"
cp "$ROOT/corpus/xiacheng-2017-annual-focus.txt" "$D/src/a.txt"
printf '【甲】龜鶴遐齡之說\n一段正文，龜鶴並見，麟角。\n\n【乙】松柏長青\n正文二，松柏之茂。\n' >"$D/src/b.txt"
small "$D/src/c.txt" 7
{ printf '【丙】龜鶴之圖\n正文三，松柏，鳳毛。\n\n'
  for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
      printf '【鸞鳳%s】\n鸞鳳和鳴，井长制其%s。\n\n' "$i" "$i"
  done; } >"$D/src/d.txt"
DQ='井长制 井 商圈_智慧 杭州_EXCEPT_杭州中心 号7乙 年7丙 龜鶴 松柏 鳳毛 麟角 鸞鳳 和鳴 title:鳳毛 鳳 "智慧_城市"~5 下城'
# delta_same DESC IDS FILES...: $D/db answers as a fresh build of FILES
# (IDS 1: entry ids too, FILES given in the order the index got them;
# 0: not, an update's ids follow the removed ones)
delta_same() {
    sf=$1 ids=$2
    shift 2
    rm -rf "$D/fresh"
    "$FZI" --db "$D/fresh" --quiet "$@" || { check "$sf: fresh build" false; return; }
    for q in $DQ; do
        q=$(echo "$q" | tr _ ' ')
        for d in db fresh; do
            { "$FZS" --db "$D/$d" --json --no-snippet --limit 10 "$q"
              "$FZS" --db "$D/$d" --json --no-snippet --limit 10 --fold ts "$q"
              "$FZS" --db "$D/$d" --count --json "$q"
              "$FZS" --db "$D/$d" --by file --json "$q"; } >"$D/$d.out" 2>&1
            [ "$ids" = 1 ] || sed -i 's/"id":[0-9]*,//' "$D/$d.out"
        done
        check "$sf: '$q' as a fresh build" cmp -s "$D/db.out" "$D/fresh.out"
    done
    check "$sf: --check" "$FZI" --db "$D/db" --check --quiet
}
rm -rf "$D/db"
check "delta: a first build" "$FZI" --db "$D/db" --quiet "$D/src/a.txt" "$D/src/b.txt"
check "delta: a first build has no delta" test "$(delta_blocks "$D/db")" = 0
check "delta: add two files" $KEEP "$FZI" --db "$D/db" --quiet "$D/src/c.txt" "$D/src/d.txt"
check "delta: their postings are in the delta" test "$(delta_blocks "$D/db")" -gt 0
delta_same "delta: added" 1 "$D/src/a.txt" "$D/src/b.txt" "$D/src/c.txt" "$D/src/d.txt"
printf '【丙】龜鶴之圖\n正文三改，松柏。\n\n【己】麟角\n新文，鳳毛。\n' >"$D/src/d.txt"
check "delta: change a file of the delta" $KEEP "$FZI" --db "$D/db" --quiet "$D/src/d.txt"
delta_same "delta: changed" 0 "$D/src/a.txt" "$D/src/b.txt" "$D/src/c.txt" "$D/src/d.txt"
check "delta: remove a file of the delta" $KEEP "$FZI" --db "$D/db" --quiet --remove "$D/src/c.txt"
delta_same "delta: removed from the delta" 0 "$D/src/a.txt" "$D/src/b.txt" "$D/src/d.txt"
check "delta: remove a file of the main tree" $KEEP "$FZI" --db "$D/db" --quiet --remove "$D/src/b.txt"
delta_same "delta: removed from the main tree" 0 "$D/src/a.txt" "$D/src/d.txt"
check "delta: still postings in the delta" test "$(delta_blocks "$D/db")" -gt 0
check "delta: --pack" "$FZI" --db "$D/db" --pack "$D/db.fz" --quiet
check "delta: the archive is sound" "$FZI" --db "$D/db.fz" --check --quiet
check "delta: the archive has no delta" test "$(delta_blocks "$D/db.fz")" = 0
check "delta: the archive has the blocks and packs of a fresh build" \
    sh -c 'test -n "$1" && test "$1" = "$2" || { echo "  archive: $1; fresh build: $2" >&2; false; }' sh \
    "$(layout "$D/db.fz")" "$(layout "$D/fresh")"
mv "$D/db" "$D/db.dir"
mv "$D/db.fz" "$D/db"
delta_same "delta: archive" 0 "$D/src/a.txt" "$D/src/d.txt"
rm -rf "$D/db"
mv "$D/db.dir" "$D/db"
# an update past the share merges the delta into the main tree
check "delta: add a file, merging" env FZINDEX_DELTA_SHARE=0 "$FZI" --db "$D/db" --quiet "$D/src/c.txt"
check "delta: merged, no delta left" test "$(delta_blocks "$D/db")" = 0
delta_same "delta: merged" 0 "$D/src/a.txt" "$D/src/d.txt" "$D/src/c.txt"
# ---- the merge in steps (MERGING in common/store.c): after the update's
# own transaction, each step a transaction of its own, rewriting a range of
# the main postings with the delta's terms in it as --pack writes them.
# FZINDEX_MERGE_STOP=k stops after k steps, as a run killed between two
# would: the index is sound and answers as before, and the next run
# finishes the merge before it writes (a removal of a file the merge has
# half moved takes all of its postings out); a finished merge leaves the
# blocks and packs of a fresh build, without the removed entries' postings.
MS="env FZINDEX_DELTA_SHARE=0 FZINDEX_MERGE_STEP=1"
postings() { "$FZI" --db "$1" --check 2>&1 | sed -n 's/.* \([0-9]*\) postings$/\1/p'; }
rm -rf "$D/db" "$D/keep"
"$FZI" --db "$D/db" --quiet "$D/src/a.txt" "$D/src/b.txt"
$KEEP "$FZI" --db "$D/db" --quiet "$D/src/c.txt"
$KEEP "$FZI" --db "$D/db" --quiet --remove "$D/src/b.txt"
cp -r "$D/db" "$D/keep"
$KEEP "$FZI" --db "$D/keep" --quiet "$D/src/d.txt"
check "merge steps: two steps, then stopped" $MS FZINDEX_MERGE_STOP=2 "$FZI" --db "$D/db" --quiet "$D/src/d.txt"
nk=$(delta_blocks "$D/keep") n2=$(delta_blocks "$D/db")
check "merge steps: under way, part of the delta moved ($n2 of $nk blocks left)" test "$n2" -gt 0 -a "$n2" -lt "$nk"
delta_same "merge steps: under way" 0 "$D/src/a.txt" "$D/src/c.txt" "$D/src/d.txt"
check "merge steps: the next run (removing a half-moved file)" $KEEP "$FZI" --db "$D/db" --quiet --remove "$D/src/c.txt"
check "merge steps: it finished the merge first" test "$(delta_blocks "$D/db")" = 0
delta_same "merge steps: finished, then removed" 0 "$D/src/a.txt" "$D/src/d.txt"
check "merge steps: a merge in steps" $MS "$FZI" --db "$D/db" --quiet "$D/src/c.txt"
delta_same "merge steps: merged" 0 "$D/src/a.txt" "$D/src/d.txt" "$D/src/c.txt"
check "merge steps: the blocks and packs of a fresh build" \
    sh -c 'test -n "$1" && test "$1" = "$2" || { echo "  merged: $1; fresh build: $2" >&2; false; }' sh \
    "$(layout "$D/db")" "$(layout "$D/fresh")"
check "merge steps: the removed entries' postings dropped" test "$(postings "$D/db")" = "$(postings "$D/fresh")"
# readers during a merge of many steps answer as before or as after it
rm -rf "$D/db" "$D/after"
"$FZI" --db "$D/db" --quiet "$T/base"
for i in 1 2 3 4 5 6; do small "$D/u/s$i.txt" "$i"; done
$KEEP "$FZI" --db "$D/db" --quiet "$D/u"
cp -r "$D/db" "$D/after"
$MS "$FZI" --db "$D/after" --quiet --remove "$D/u/s1.txt"
RQ=$(printf '%s\n' 井长制 号3乙 年5丙 下城 '"智慧 城市"~5')
answers() { printf '%s\n' "$RQ" | "$FZS" --db "$1" --batch - --count 2>&1; }
answers "$D/db" >"$D/before.out"
answers "$D/after" >"$D/after.out"
check "merge steps: the run changes the answers" sh -c "! cmp -s '$D/before.out' '$D/after.out'"
$MS "$FZI" --db "$D/db" --quiet --remove "$D/u/s1.txt" &
mpid=$!
reads=0 odd=0
# each query of the batch reads its own snapshot: each answers as before
# the run's commit or as after it
while kill -0 $mpid 2>/dev/null; do
    answers "$D/db" >"$D/now.out"
    n=$(paste "$D/now.out" "$D/before.out" "$D/after.out" |
        awk -F '\t' '!($1 == $4 && $2 == $5 && $3 == $6) && !($1 == $7 && $2 == $8 && $3 == $9) { n++ } END { print n + 0 }')
    [ "$(wc -l <"$D/now.out")" = "$(wc -l <"$D/before.out")" ] || n=1
    odd=$((odd + n))
    reads=$((reads + 1))
done
wait $mpid
check "merge steps: the merging run succeeds" [ $? = 0 ]
check "merge steps: $reads reads during it, each as before or after ($odd other)" test "$reads" -ge 1 -a "$odd" = 0
answers "$D/db" >"$D/now.out"
check "merge steps: then as after" cmp -s "$D/now.out" "$D/after.out"
check "merge steps: then sound" "$FZI" --db "$D/db" --check --quiet
# --merge from an index with a delta into one with a delta
rm -rf "$D/db" "$D/m"
"$FZI" --db "$D/db" --quiet "$D/src/a.txt"
$KEEP "$FZI" --db "$D/db" --quiet "$D/src/d.txt"
"$FZI" --db "$D/m" --quiet "$D/src/b.txt"
$KEEP "$FZI" --db "$D/m" --quiet "$D/src/c.txt"
check "delta: --merge" $KEEP "$FZI" --db "$D/db" --merge "$D/m" --quiet
delta_same "delta: merged from another index" 0 "$D/src/a.txt" "$D/src/d.txt" "$D/src/b.txt" "$D/src/c.txt"
finish test_update
