#!/bin/sh
# Top-k shortcuts never change the answer.  On an index whose common terms
# fill many posting blocks (skip tables, block bounds), the best N of every
# query kind -- one character, a bigram, phrases of 4 and 6 characters, AND,
# OR, NOT, a field, a variant form -- are exactly the first N of the full
# ranking (--limit 0, which scores every match), ids and scores alike;
# --count agrees with the full set; fzindex --check finds the index sound.
. "$(dirname "$0")/lib.sh"
make_big "$T/big" 3
DB=$T/db
"$FZI" --db "$DB" --quiet "$T/big" || exit 1
check "the index is sound (skip tables included)" status_is 0 "$FZI" --check --db "$DB"
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
    full=$(wc -l <"$T/full")
    got=$("$FZS" --db "$DB" --count "$q" | sed 's/ entr.*//')
    check "'$q': --count equals the full set ($full)" test "$got" = "$full"
done
finish topk
