#!/bin/sh
# make valgrind: a representative set of end-to-end commands (index the
# sample and a few other files, search in every output format, --kwic,
# --by, --show, batches, errors, --check, --list, --remove, --merge, --pack
# and a search of the archive) under valgrind's memcheck with the normal
# build.  Every command must run without a memory error and without a
# definite leak.  Prints "valgrind: N passed, M failed".
cd "$(dirname "$0")/.." || exit 2
ROOT=$PWD
FZI=$ROOT/bin/fzindex
FZS=$ROOT/bin/fzsearch
command -v valgrind >/dev/null || { echo "valgrind: not installed (apt-get install valgrind)" >&2; exit 2; }
[ -x "$FZI" ] && [ -x "$FZS" ] || { echo "valgrind: build bin/ first (make)" >&2; exit 2; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 failn=0
# vg DESC STATUS CMD...: CMD exits with STATUS and valgrind reports nothing
vg() {
    desc=$1 want=$2
    shift 2
    valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
        --show-leak-kinds=definite --log-file="$T/vg.log" "$@" >"$T/out" 2>"$T/err"
    got=$?
    if [ "$got" = "$want" ] && [ ! -s "$T/vg.log" ]; then
        pass=$((pass + 1))
    else
        failn=$((failn + 1))
        echo "valgrind: FAILED: $desc: exit $got (wanted $want)" >&2
        head -n 40 "$T/vg.log" >&2
    fi
}
S=$ROOT/corpus/xiacheng-2017-annual-focus.txt
DB=$T/db
mkdir "$T/more"
printf '【井长制】林司后小区试行井长制。\n(陆 婷)\n' >"$T/more/a.txt"
iconv -f UTF-8 -t GB18030 "$S" >"$T/more/gb.txt"
printf '【坏字节】前文\377\376后文\n' >"$T/more/bad.txt"

vg "index the sample" 0 "$FZI" --db "$DB" "$ROOT/corpus"
if grep -q "Invalid argument\|Cannot allocate" "$T/err"; then
    # valgrind gives a program far less address space than Linux does
    echo "valgrind: the index cannot be mapped under valgrind ($(head -c 200 "$T/err")):" \
        "store_open must retry with a smaller LMDB map size" >&2
fi
vg "index more files (GB18030, invalid UTF-8)" 0 "$FZI" --db "$DB" --mem 1M "$T/more"
vg "index a file again (replaces it)" 0 "$FZI" --db "$DB" "$T/more/a.txt"
vg "search" 0 "$FZS" --db "$DB" --color never 井长制
vg "search --json" 0 "$FZS" --db "$DB" --json --limit 0 井长制
vg "search --format csv" 0 "$FZS" --db "$DB" --format csv 治水
vg "search --format tsv, source order" 0 "$FZS" --db "$DB" --format tsv --sort source 下城区
vg "search --count" 0 "$FZS" --db "$DB" --count 下城
vg "search --kwic" 0 "$FZS" --db "$DB" --kwic --no-pager 井长制
vg "search --kwic --sort left" 0 "$FZS" --db "$DB" --kwic --sort left --no-pager 治水
vg "search --by section" 0 "$FZS" --db "$DB" --by section --no-pager 治水
vg "search --by form" 0 "$FZS" --db "$DB" --by form --no-pager 长
vg "search --show" 0 "$FZS" --db "$DB" --show 3
vg "OR, NOT, author:" 0 "$FZS" --db "$DB" --json '(治水 OR 五水共治) -author:陆婷'
vg "NEAR" 0 "$FZS" --db "$DB" --json '井长制 NEAR/30 小区'
vg "EXCEPT" 0 "$FZS" --db "$DB" --json '下城 EXCEPT 下城区'
vg "wildcard" 0 "$FZS" --db "$DB" --json '杭?'
vg "title:, section:, kind:" 0 "$FZS" --db "$DB" --json 'title:治水 OR (section:年度聚焦 kind:entry 井长制)'
vg "traditional forms" 0 "$FZS" --db "$DB" --json 長慶
vg "--fold none" 1 "$FZS" --db "$DB" --fold none --json 長慶
printf '井长制\n治水 NEAR/5 剿劣\n(\nauthor:陆婷\n不存在的词语组合\n' >"$T/batch"
vg "batch with a bad query" 2 "$FZS" --db "$DB" --batch "$T/batch" --json --timing
vg "bad query" 2 "$FZS" --db "$DB" '"unbalanced'
vg "no match" 1 "$FZS" --db "$DB" 不存在的词语组合
vg "no index" 2 "$FZS" --db "$T/none" 井长制
vg "--check" 0 "$FZI" --db "$DB" --check
vg "--list" 0 "$FZI" --db "$DB" --list
vg "--remove" 0 "$FZI" --db "$DB" --remove "$T/more/gb.txt"
vg "--merge" 0 "$FZI" --db "$T/db2" --merge "$DB"
vg "--pack" 0 "$FZI" --db "$DB" --pack "$T/packed.fz"
vg "search the packed archive" 0 "$FZS" --db "$T/packed.fz" --json 井长制
vg "--check the packed archive" 0 "$FZI" --db "$T/packed.fz" --check
vg "nothing indexed" 2 "$FZI" --db "$DB" /dev/null
echo "valgrind: $pass passed, $failn failed"
[ "$failn" = 0 ]
