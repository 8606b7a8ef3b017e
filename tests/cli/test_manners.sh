#!/bin/sh
# At home in the terminal: --help and --version, the manual pages (no
# warnings from man, every option of --help documented), bash completion,
# the default index, and fzindex's progress line (on a terminal only, at
# most ten redraws a second, never with --quiet, forced with --progress).
. "$(dirname "$0")/lib.sh"
# man needs a UTF-8 locale for the Chinese examples; C.UTF-8 is always there
export LC_ALL=C.UTF-8
COMP="$ROOT/completion/fangzhi.bash"

# ---- --help and --version ----
for p in fzindex fzsearch; do
    prog="$FZBIN/$p"
    check "$p --help exits 0" status_is 0 "$prog" --help
    check "$p --help: usage on stdout" out_has "^usage: $p"
    check "$p --help: nothing on stderr" test ! -s "$T/err"
    check "$p --help: exit status" out_has "exit status"
    check "$p --help: examples" out_has "examples"
    check "$p --help: a Chinese example" grep -qP "^  $p .*\\p{Han}" "$T/out"
    cp "$T/out" "$T/help.$p"
    check "$p --version exits 0" status_is 0 "$prog" --version
    check "$p --version: program version" out_has "^$p [0-9][0-9.]*"
    check "$p --version: index format" out_has "index format [0-9]"
done
check "fzsearch --help: query syntax" grep -q "NEAR/20" "$T/help.fzsearch"
check "fzindex --help: points to the query syntax" grep -q "fzsearch --help" "$T/help.fzindex"

# ---- manual pages ----
if command -v man >/dev/null 2>&1; then
    for p in fzindex fzsearch; do
        page="$ROOT/man/$p.1"
        check "man page $p.1 exists" test -f "$page"
        man --warnings -l "$page" >"$T/man.$p" 2>"$T/err"
        check "man $p.1: renders" test -s "$T/man.$p"
        check "man $p.1: no warnings" test ! -s "$T/err"
        [ -s "$T/err" ] && head -5 "$T/err" >&2
        MANWIDTH=200 man -l "$page" 2>/dev/null >"$T/man.$p"
        for o in $(grep -o -- '--[a-z][a-z-]*' "$T/help.$p" | sort -u); do
            check "man $p.1 documents $o" grep -qE -- "$o([^a-z-]|\$)" "$T/man.$p"
        done
        for s in NAME SYNOPSIS DESCRIPTION OPTIONS 'EXIT STATUS' ENVIRONMENT EXAMPLES 'SEE ALSO'; do
            check "man $p.1 has $s" grep -q "^$s" "$T/man.$p"
        done
        if command -v lexgrog >/dev/null 2>&1; then
            check "man $p.1: whatis line" sh -c "lexgrog '$page' | grep -q '$p - '"
        fi
    done
else
    check "man is installed (tools/deps.sh installs man-db)" false
fi

# ---- bash completion ----
if command -v bash >/dev/null 2>&1; then
    check "completion: bash syntax" bash -n "$COMP"
    cat >"$T/comp.bash" <<'EOF'
. "$COMP"
PATH="$FZBIN:$PATH"
# comp PROG WORDS...: COMPREPLY for completing the last word, one a line
comp() {
    COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=()
    "_$1" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
    printf '%s\n' "${COMPREPLY[@]}"
}
"$@"
EOF
    cb() { COMP="$COMP" FZBIN="$FZBIN" bash "$T/comp.bash" "$@"; }
    for p in fzindex fzsearch; do
        cb comp "$p" -- >"$T/comp.$p"
        for o in $(grep -o -- '--[a-z][a-z-]*' "$T/help.$p" | sort -u); do
            check "completion offers $p $o" grep -qx -- "$o" "$T/comp.$p"
        done
    done
    cb comp fzsearch --by f >"$T/out"
    check "completion: fzsearch --by values" grep -qx form "$T/out"
    cb comp fzsearch --sort "" >"$T/out"
    check "completion: fzsearch --sort values" sh -c 'grep -qx score "$0" && grep -qx left "$0"' "$T/out"
    cb comp fzindex --encoding G >"$T/out"
    check "completion: fzindex --encoding values" grep -qx GB18030 "$T/out"
    mkdir -p "$T/cdir/sub" && : >"$T/cdir/file.txt"
    cb comp fzindex --db "$T/cdir/" >"$T/out"
    check "completion: fzindex --db offers directories" grep -qx "$T/cdir/sub" "$T/out"
    check "completion: fzindex --db offers no plain files" sh -c '! grep -q file.txt "$0"' "$T/out"
    cb comp fzindex "$T/cdir/f" >"$T/out"
    check "completion: fzindex PATH offers files" grep -qx "$T/cdir/file.txt" "$T/out"
fi

# ---- the default index ----
H=$T/home
mkdir -p "$H"
E="env -u FANGZHI_DB -u XDG_DATA_HOME HOME=$H"
check "default index: fzindex without --db" status_is 0 $E "$FZI" --quiet "$ROOT/corpus"
check "default index: under ~/.local/share/fangzhi/index" test -f "$H/.local/share/fangzhi/index/data.mdb"
check "default index: fzsearch without --db finds it" status_is 0 $E "$FZS" 井长制
check "default index: hits" out_has "井长制"
check "default index: fzindex --list without --db" status_is 0 $E "$FZI" --list
check "default index: --list names the file" out_has "xiacheng-2017-annual-focus.txt"
mkdir -p "$T/work" && cd "$T/work" || exit 2
check "default index: from another directory" status_is 0 $E "$FZS" 井长制
cd "$ROOT" || exit 2
check "XDG_DATA_HOME: fzindex" status_is 0 env -u FANGZHI_DB HOME="$H" XDG_DATA_HOME="$T/xdg" "$FZI" -q "$ROOT/corpus"
check "XDG_DATA_HOME: fangzhi/index under it" test -f "$T/xdg/fangzhi/index/data.mdb"
check "XDG_DATA_HOME: fzsearch" status_is 0 env -u FANGZHI_DB HOME="$T/nohome" XDG_DATA_HOME="$T/xdg" "$FZS" 井长制
check "FANGZHI_DB: fzindex" status_is 0 env HOME="$H" XDG_DATA_HOME="$T/xdg" FANGZHI_DB="$T/envdb" "$FZI" -q "$ROOT/corpus"
check "FANGZHI_DB: used before XDG_DATA_HOME and HOME" test -f "$T/envdb/data.mdb"
check "FANGZHI_DB: fzsearch" status_is 0 env HOME="$T/nohome" XDG_DATA_HOME="$T/noxdg" FANGZHI_DB="$T/envdb" "$FZS" 井长制
check "--db wins over FANGZHI_DB" status_is 2 env FANGZHI_DB="$T/envdb" "$FZS" --db "$T/nonesuch" 井长制
check "no default index: says how to build one" err_has "fzindex"
check "no default index: one line" one_line

# ---- progress ----
if command -v script >/dev/null 2>&1; then
    # on a terminal (a pseudo-terminal made by script): progress with \r
    script -qec "'$FZI' --db '$T/p1' '$ROOT/corpus'" /dev/null >"$T/tty" 2>&1
    check "progress on a terminal: exit 0" test $? = 0
    check "progress on a terminal: drawn with \\r" grep -q "$(printf '\r')fzindex: 0/1 files" "$T/tty"
    check "progress on a terminal: clear to end of line" grep -q "$(printf '\033')\[K" "$T/tty"
    check "progress on a terminal: megabytes of total" grep -q "0\.0/0\.1 MB" "$T/tty"
    check "progress on a terminal: time left" grep -q "MB, .* left" "$T/tty"
    check "progress on a terminal: summary" grep -q "fzindex: indexed 1 file, 60 entries" "$T/tty"
    # the summary is one line of its own after the cleared progress line
    tr '\r' '\n' <"$T/tty" | grep -c "indexed 1 file" >"$T/n"
    check "progress on a terminal: one summary line" test "$(cat "$T/n")" = 1
    # a narrow terminal: the line is cut to fit, so \r can redraw it
    script -qec "stty cols 40; '$FZI' --db '$T/p1n' '$ROOT/corpus'" /dev/null >"$T/tty" 2>&1
    tr '\r' '\n' <"$T/tty" | grep "files" | sed 's/\x1b\[K//' | awk '{ print length($0) }' | sort -n | tail -1 >"$T/n"
    check "progress on a 40-column terminal: at most 39 columns ($(cat "$T/n"))" test "$(cat "$T/n")" -le 39
    # a dumb terminal: no escape sequences, the line left standing
    script -qec "TERM=dumb '$FZI' --db '$T/p1d' '$ROOT/corpus'" /dev/null >"$T/tty" 2>&1
    check "progress on a dumb terminal: drawn" grep -q "$(printf '\r')fzindex: 0/1 files" "$T/tty"
    check "progress on a dumb terminal: no escapes" sh -c '! grep -q "$(printf "\033")" "$0"' "$T/tty"
    # stderr into a file, on a terminal otherwise: no progress, the summary
    script -qec "'$FZI' --db '$T/p2' '$ROOT/corpus' 2>'$T/file'" /dev/null >"$T/tty" 2>&1
    check "stderr to a file: no \\r" sh -c '! grep -q "$(printf "\r")" "$0"' "$T/file"
    check "stderr to a file: no progress" sh -c '! grep -q "files," "$0"' "$T/file"
    check "stderr to a file: one summary line" test "$(wc -l <"$T/file")" = 1
    check "stderr to a file: summary has files, entries, MB, seconds, index size" \
        grep -qE "indexed 1 file, 60 entries, [0-9.]+ MB in [0-9.]+ s .*index [0-9.]+ MB" "$T/file"
    # --quiet: nothing at all
    script -qec "'$FZI' --db '$T/p3' --quiet '$ROOT/corpus'" /dev/null >"$T/tty" 2>&1
    check "--quiet on a terminal: nothing" test ! -s "$T/tty"
    script -qec "'$FZI' --db '$T/p3b' --no-progress '$ROOT/corpus'" /dev/null >"$T/tty" 2>&1
    check "--no-progress on a terminal: no progress" sh -c '! grep -q "files," "$0"' "$T/tty"
    check "--no-progress on a terminal: the summary" grep -q "indexed 1 file" "$T/tty"
    # at most ten redraws a second: many small files, count the lines drawn
    mkdir "$T/many"
    i=0
    while [ $i -lt 60 ]; do
        printf '【条目%s】下城区井长制第%s条。\n' $i $i >"$T/many/$i.txt"
        i=$((i + 1))
    done
    t0=$(date +%s%N)
    script -qec "'$FZI' --db '$T/p4' '$T/many'" /dev/null >"$T/tty" 2>&1
    t1=$(date +%s%N)
    draws=$(tr '\r' '\n' <"$T/tty" | grep -c "files, ")
    limit=$(( (t1 - t0) / 100000000 + 2 ))
    check "progress: at most ten redraws a second ($draws in $(( (t1 - t0) / 1000000 )) ms)" test "$draws" -le "$limit"
    check "progress: 60 files counted" grep -q "/60 files" "$T/tty"
else
    check "script(1) is installed (util-linux)" false
fi
# not a terminal: nothing, unless --progress
check "no terminal: exit 0" status_is 0 "$FZI" --db "$T/p5" "$ROOT/corpus"
check "no terminal: no progress, one summary line" one_line
check "--progress without a terminal: exit 0" status_is 0 "$FZI" --db "$T/p6" --progress "$ROOT/corpus"
check "--progress without a terminal: drawn with \\r" grep -q "$(printf '\r')fzindex: 0/1 files" "$T/err"
check "--progress without a terminal: no terminal escapes" sh -c '! grep -q "$(printf "\033")" "$0"' "$T/err"
check "--progress without a terminal: the summary" err_has "indexed 1 file"
check "--quiet --progress: progress" status_is 0 "$FZI" --db "$T/p7" --quiet --progress "$ROOT/corpus"
check "--quiet --progress: no summary" sh -c '! grep -q "indexed" "$0"' "$T/err"
check "--quiet --progress: drawn" err_has "files,"

# ---- one-line messages, exit 2 ----
check "two modes at once" status_is 2 "$FZI" --db "$T/p5" --list --remove x
check "two modes: one line" one_line
check "two modes: names both" err_has "--list and --remove"
check "--list takes no files" status_is 2 "$FZI" --db "$T/p5" --list x
check "--list takes no files: one line" one_line
check "--pack without a value" status_is 2 "$FZI" --db "$T/p5" --pack
check "--pack without a value: says so" err_has "needs a value"
check "--merge without an index" status_is 2 "$FZI" --db "$T/p5" --merge
check "--merge without an index: one line" one_line
check "--remove with no index there" status_is 2 "$FZI" --db "$T/nothing" --remove "$ROOT/corpus/xiacheng-2017-annual-focus.txt"
check "--remove with no index there: creates none" test ! -e "$T/nothing"
finish manners
