#!/bin/sh
# Bad input to both programs: a one-line message naming the problem, exit
# status 2, and an existing index left exactly as it was.
. "$(dirname "$0")/lib.sh"
DB=$T/db
"$FZI" --db "$DB" --quiet "$ROOT/corpus" || exit 1
sum() { idx_sum "$DB"; }
# the writer maps a 1 GiB+ sparse file; closing cuts it to its content
check "data file as long as its content" test "$(stat -c %s "$DB/data.mdb")" -lt 4000000
before=$(sum)
"$FZS" --db "$DB" --json --limit 100 井长制 >"$T/before.json"

check "missing path" status_is 2 "$FZI" --db "$DB" "$T/no-such-file.txt"
check "missing path: one line" one_line
check "missing path: names it" err_has "no-such-file.txt"
mkdir "$T/bin"; head -c 4096 /bin/ls >"$T/bin/a.bin"; head -c 2000 /dev/zero >"$T/bin/b.bin"
check "directory of binary files" status_is 2 "$FZI" --db "$DB" "$T/bin"
check "binary files: says nothing indexed" err_has "nothing indexed"
: >"$T/empty.txt"
check "empty file" status_is 2 "$FZI" --db "$DB" "$T/empty.txt"
check "empty file: named" err_has "empty.txt"
check "unknown option (fzindex)" status_is 2 "$FZI" --frobnicate
check "unknown option: one line" one_line
check "unknown option (fzsearch)" status_is 2 "$FZS" --db "$DB" --frobnicate 井长制
check "unknown option: names it" err_has "frobnicate"
check "empty query" status_is 2 "$FZS" --db "$DB" ""
check "empty query: one line" one_line
check "empty query: says so" err_has "empty query"
check "no query" status_is 2 "$FZS" --db "$DB"
check "punctuation-only query" status_is 2 "$FZS" --db "$DB" "，。！"
check "punctuation-only query: one line" one_line
check "bad kind: value" status_is 2 "$FZS" --db "$DB" "kind:\"a
b\""
check "bad kind: one line even with a newline in the query" one_line
check "bad kind: names the field" err_has "kind must be"
check "bad --limit" status_is 2 "$FZS" --db "$DB" --limit abc 井长制
check "--limit without a value" status_is 2 "$FZS" --db "$DB" 井长制 --limit
check "--limit without a value: named as --limit" err_has "'--limit' needs a value"
check "--offset without a value: named" status_is 2 "$FZS" --db "$DB" 井长制 --offset
check "--offset without a value: named" err_has "'--offset' needs a value"
check "-n without a value: named as -n" status_is 2 "$FZS" --db "$DB" 井长制 -n
check "-n without a value: named as -n" err_has "'-n' needs a value"
check "--timing without --json" status_is 2 "$FZS" --db "$DB" --timing 井长制
check "--timing without --json: one line naming --json" sh -c 'test "$(wc -l <"$1")" -eq 1 && grep -q -- "--timing.*--json" "$1"' sh "$T/err"
check "--context without --kwic" status_is 2 "$FZS" --db "$DB" --context 5 井长制
check "--context without --kwic: one line naming --kwic" sh -c 'test "$(wc -l <"$1")" -eq 1 && grep -q -- "--context.*--kwic" "$1"' sh "$T/err"
check "invalid UTF-8 in a query" status_is 2 "$FZS" --db "$DB" "$(printf '井长\377制')"
check "invalid UTF-8 in a query: one line" one_line
check "invalid UTF-8 in a query: says so, with the column" err_has "not valid UTF-8 (at column 3)"
check "emoji-only query" status_is 2 "$FZS" --db "$DB" "$(printf '\360\237\230\200')"
check "emoji-only query: one line" one_line
check "emoji-only query: says emoji are not indexed" err_has "emoji and other symbols are not indexed"
check "punctuation-only query: still says punctuation" sh -c '"$1" --db "$2" "，。！" 2>&1 | grep -q "only punctuation"' sh "$FZS" "$DB"
check "no index" status_is 2 "$FZS" --db "$T/none" 井长制
check "no index: one line" one_line
check "no index: says how to build one" err_has "fzindex"
check "index untouched by failed runs" test "$(sum)" = "$before"
"$FZS" --db "$DB" --json --limit 100 井长制 >"$T/after.json"
check "results unchanged" cmp -s "$T/before.json" "$T/after.json"
# invalid UTF-8: a warning with the byte offset, the rest indexed
printf '【坏字节】前文\377\376后文井长制\n' >"$T/bad.txt"
check "invalid UTF-8 still indexes" status_is 0 "$FZI" --db "$T/db2" "$T/bad.txt"
check "invalid UTF-8: warning names the offset" err_has "offset"
check "invalid UTF-8: text after the bad bytes is found" status_is 0 "$FZS" --db "$T/db2" 后文井长制
check "no match exits 1" status_is 1 "$FZS" --db "$DB" 不存在的词语组合
finish badinput
