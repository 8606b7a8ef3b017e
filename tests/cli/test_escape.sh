#!/bin/sh
# Terminal injection: file names and entry text with control characters
# (ESC sequences that retitle or clear a terminal, BEL, a newline in a file
# name) never reach the plain output raw -- hits, --show, --kwic, --by file,
# --count's neighbours, fzindex -v and --list, also through merged and
# packed indexes -- while JSON and CSV keep the exact bytes.
. "$(dirname "$0")/lib.sh"
export LC_ALL=C.UTF-8
ESC=$(printf '\033')
BEL=$(printf '\007')
NL='
'
mkdir -p "$T/src"
BAD="$T/src/x${ESC}]0;PWNED${BEL}${ESC}[2J.txt"
NLF="$T/src/a${NL}b.txt"
# the title and text carry ESC sequences too, few enough to pass as text
{
    printf '【井长制试点%s[2J条目】\n' "$ESC"
    i=0
    while [ $i -lt 40 ]; do printf '井长制推行以来，全区治水成效明显，河道整洁。'; i=$((i + 1)); done
    printf '%s]0;PWNED%s井长制。\n' "$ESC" "$BEL"
} >"$BAD"
cp "$ROOT/corpus/xiacheng-2017-annual-focus.txt" "$NLF"
DB=$T/db
check "index hostile names" status_is 0 "$FZI" --db "$DB" -v "$T/src"
# raw_free CMD...: stdout and stderr of CMD hold no BEL and no ESC but
# those of the colours (ESC [ digits m)
raw_free() {
    "$@" >"$T/o" 2>"$T/e"
    ! grep -Eq "$BEL|$ESC[^[]|$ESC\[[0-9;]*([^0-9;m]|\$)" "$T/o" "$T/e" || { echo "  raw control in: $*" >&2; return 1; }
}
check "-v: no raw control" raw_free "$FZI" --db "$T/db2" -v "$T/src"
check "-v: the name escaped" grep -q 'x\\033]0;PWNED\\007\\033\[2J.txt' "$T/e"
check "-v: the newline escaped" grep -q 'a\\nb.txt' "$T/e"
check "--list: no raw control" raw_free "$FZI" --db "$DB" --list
check "--list: one row a file" test "$(wc -l <"$T/o")" -eq 3
check "--list: the name escaped" grep -q 'x\\033]0;PWNED\\007\\033\[2J.txt$' "$T/o"
check "--list: the newline escaped" grep -q 'a\\nb.txt$' "$T/o"
for mode in "" "--color=always" "--kwic" "--kwic --color=always" "--by file" "--by section" "--by form"; do
    # shellcheck disable=SC2086
    check "hits $mode: no raw control" raw_free "$FZS" --db "$DB" $mode 井长制
    [ "$mode" = "--by section" ] || [ "$mode" = "--by form" ] ||
        check "hits $mode: the name escaped" grep -q 'x\\033]0;PWNED\\007\\033\[2J.txt' "$T/o"
done
check "hits: the text escaped" raw_free "$FZS" --db "$DB" --width 2000 井长制
check "hits: title and text escaped" grep -q '试点\\033\[2J条目' "$T/o"
check "hits: text escaped" grep -q '\\033]0;PWNED\\007' "$T/o"
id=$("$FZS" --db "$DB" --json 井长制试点 | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["id"])')
check "--show: no raw control" raw_free "$FZS" --db "$DB" --show "$id"
check "--show: text escaped" grep -q '\\033]0;PWNED\\007' "$T/o"
check "--show: lines kept" test "$(wc -l <"$T/o")" -ge 4
# JSON and CSV: the exact bytes, properly quoted
check "json: exact name" sh -c '"$1" --db "$2" --json 井长制试点 | python3 -c "import json,sys; sys.exit(json.loads(sys.stdin.readline())[\"file\"] != sys.argv[1])" "$3"' \
    sh "$FZS" "$DB" "$BAD"
check "json: exact text" sh -c '"$1" --db "$2" --json --width 2000 井长制试点 | python3 -c "import json,sys; sys.exit(\"\\x1b]0;PWNED\\x07\" not in json.loads(sys.stdin.readline())[\"snippet\"])"' \
    sh "$FZS" "$DB"
check "csv: exact names" sh -c '"$1" --db "$2" --format csv 井长制 | python3 -c "
import csv,sys
files = {r[\"file\"] for r in csv.DictReader(sys.stdin)}
sys.exit(files != set(sys.argv[1:]))" "$3" "$4"' sh "$FZS" "$DB" "$BAD" "$NLF"
# through a merged index and a packed archive
check "merge" status_is 0 "$FZI" --db "$T/merged" --merge "$DB"
check "merged: hits escaped" raw_free "$FZS" --db "$T/merged" --kwic 井长制
check "merged: the name escaped" grep -q 'x\\033]0;PWNED' "$T/o"
check "merged: --list escaped" raw_free "$FZI" --db "$T/merged" --list
check "merged: --list one row a file" test "$(wc -l <"$T/o")" -eq 3
check "pack" status_is 0 "$FZI" --db "$DB" --pack "$T/a.fz"
check "packed: hits escaped" raw_free "$FZS" --db "$T/a.fz" --by file 井长制
check "packed: the name escaped" grep -q 'x\\033]0;PWNED' "$T/o"
check "packed: --show escaped" raw_free "$FZS" --db "$T/a.fz" --show "$id"
# the warnings of a run that skips files name them escaped too: an empty
# file, a FIFO and a file that is not text, each with ESC and BEL in its name
mkdir -p "$T/skip"
: >"$T/skip/e${ESC}]0;PWNED${BEL}.txt"
mkfifo "$T/skip/f${ESC}[2J" 2>/dev/null || : >"$T/skip/f${ESC}[2J.txt"
printf '\000\001\002\377\376' >"$T/skip/b${ESC}[2J.bin"
printf '井长制\n' >"$T/skip/ok.txt"
check "skipping warnings: no raw control" raw_free "$FZI" --db "$T/db3" "$T/skip"
check "skipping warnings: names escaped" grep -q 'e\\033]0;PWNED\\007.txt: empty file' "$T/e"
finish test_escape
