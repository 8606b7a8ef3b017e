#!/bin/sh
# Top-k shortcuts never change the answer.  On an index whose common terms
# fill many posting blocks (skip tables, block bounds), the best N of every
# query kind -- one character, a bigram, phrases of 4 and 6 characters, AND,
# OR, NOT, a field, a variant form -- are exactly the first N of the full
# ranking (--limit 0, which scores every match), ids and scores alike;
# --count agrees with the full set; fzindex --check finds the index sound
# (skip tables and the recorded block impacts bound every document).  The
# same files indexed in many small batches (--mem 1M: run files, blocks
# joined from pieces) give a sound index and the same top 20.
. "$(dirname "$0")/lib.sh"
make_big "$T/big" 3
# and, indexed last, entries far shorter than the sample's that hold its
# common terms: their blocks' impacts exceed the earlier ones'
awk 'BEGIN { for (i = 1; i <= 400; i++) printf "【短条%d】 商圈智慧发展，下城区%s。\n\n", i, (i % 3 ? "" : "商圈") }' \
    >"$T/big/zz-short.txt"
DB=$T/db
"$FZI" --db "$DB" --quiet "$T/big" || exit 1
check "the index is sound (skip tables and impacts included)" status_is 0 "$FZI" --check --db "$DB"
DB2=$T/db2
"$FZI" --db "$DB2" --quiet --mem 1M "$T/big" || exit 1
check "built in small batches, the index is sound" status_is 0 "$FZI" --check --db "$DB2"
# rank LIMIT QUERY...: "id score" lines of the JSON hits
rank() {
    lim=$1
    shift
    "$FZS" --db "$DB" --json --no-snippet --limit "$lim" "$@" |
        python3 -c 'import sys, json
for l in sys.stdin:
    o = json.loads(l); print(o["id"], o["score"])'
}
for q in 区 的 下城 跨贸小镇 跨境电子商务 "商圈 智慧" "商圈 OR 智慧" "商圈 -智慧" "title:概况 商圈" 發展; do
    for n in 1 5 20; do
        rank "$n" "$q" >"$T/top"
        rank 0 "$q" >"$T/full"
        head -n "$n" "$T/full" >"$T/all"
        check "'$q' --limit $n: the first $n of the full ranking" cmp -s "$T/top" "$T/all"
    done
    check "'$q': found" test -s "$T/top"
    "$FZS" --db "$DB2" --json --no-snippet --limit 20 "$q" >"$T/j2"
    "$FZS" --db "$DB" --json --no-snippet --limit 20 "$q" >"$T/j1"
    check "'$q': the same top 20 when built in small batches" cmp -s "$T/j1" "$T/j2"
    full=$(wc -l <"$T/full")
    got=$("$FZS" --db "$DB" --count "$q" | sed 's/ entr.*//')
    check "'$q': --count equals the full set ($full)" test "$got" = "$full"
done
# An entry of length 0 (a text of □ and punctuation only, common in
# classical gazetteers where the print is lost) among 40 of one section:
# the recorded impact of its metadata fields' blocks must bound its score
# (it was computed as if its length were 1), so the index is sound and the
# best hit of a section query is the full ranking's first.
mkdir -p "$T/blank"
awk 'BEGIN { print "卷一 水师"; print ""; for (i = 1; i <= 40; i++) { if (i == 20) print "□□□：□□□□□（□□□□□）。"; else printf "第%d段所记水师防汛之事甚详，兹录于此以备考查。\n", i; print "" } }' \
    >"$T/blank/blank.txt"
DB=$T/dbblank
"$FZI" --db "$DB" --quiet "$T/blank" || exit 1
check "an entry of length 0: the index is sound" status_is 0 "$FZI" --check --db "$DB"
for n in 1 5; do
    rank "$n" section:水师 >"$T/top"
    rank 0 section:水师 >"$T/full"
    head -n "$n" "$T/full" >"$T/all"
    check "an entry of length 0: section:水师 --limit $n is the first $n of the full ranking" cmp -s "$T/top" "$T/all"
done
check "an entry of length 0: 40 hits" test "$(wc -l <"$T/full")" = 40
# Ties across blocks: 400 entries alike (one 山 each, the same length:
# the same score) over four posting blocks, then one with 山 twice in the
# last block, whose bound is the highest, so a lone term's top-k takes that
# block first.  The first block's bound equals the k-th best score then,
# and its lower ids must still win the ties: the best 5 are the full
# ranking's (the one with two, then the first four), not the last block's.
mkdir -p "$T/tie"
awk 'BEGIN { for (i = 1; i <= 400; i++) printf "【同分%d】 江山如画。\n\n", i; print "【同分末】 山外青山。" }' >"$T/tie/tie.txt"
DB=$T/dbtie
"$FZI" --db "$DB" --quiet "$T/tie" || exit 1
for n in 1 5 20; do
    rank "$n" 山 >"$T/top"
    rank 0 山 >"$T/full"
    head -n "$n" "$T/full" >"$T/all"
    check "ties across blocks: 山 --limit $n is the first $n of the full ranking" cmp -s "$T/top" "$T/all"
done
check "ties across blocks: 401 hits" test "$(wc -l <"$T/full")" = 401
finish topk
