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
