# Shared helpers for the command-line tests (sourced).  Each test script
# calls ok/fail through `check`, and ends with `finish NAME`, which prints
# "NAME: N passed, M failed".  FZBIN points at the programs under test.
: "${FZBIN:=$(cd "$(dirname "$0")/../.." && pwd)/bin}"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
FZI="$FZBIN/fzindex"
FZS="$FZBIN/fzsearch"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0
failn=0
# check DESCRIPTION COMMAND...: the command must succeed
check() {
    desc=$1
    shift
    if "$@"; then pass=$((pass + 1)); else failn=$((failn + 1)); echo "$0: FAILED: $desc" >&2; fi
}
# status_is N COMMAND...: the command exits with status N
status_is() {
    want=$1
    shift
    "$@" >"$T/out" 2>"$T/err"
    got=$?
    [ "$got" = "$want" ] || { echo "  exit $got, wanted $want; stderr: $(head -c 300 "$T/err")" >&2; return 1; }
}
# one_line: the last command's stderr is exactly one line
one_line() { [ "$(wc -l <"$T/err")" -eq 1 ]; }
err_has() { grep -q -- "$1" "$T/err" || { echo "  stderr lacks '$1': $(head -c 300 "$T/err")" >&2; return 1; }; }
out_has() { grep -q -- "$1" "$T/out" || { echo "  stdout lacks '$1'" >&2; return 1; }; }
finish() { echo "$1: $pass passed, $failn failed"; [ "$failn" = 0 ]; }
# idx_sum DIR: a checksum of the index's committed content (tests/cli/idxsum.c);
# the writer may have reused free pages in a transaction it then aborted, so
# "the index is unchanged" compares content, not the bytes of data.mdb
idx_sum() {
    [ -x "$T/idxsum" ] || ${CC:-cc} -std=c11 -O1 -o "$T/idxsum" "$ROOT/tests/cli/idxsum.c" -llmdb || return 1
    "$T/idxsum" "$1" | md5sum | cut -d' ' -f1
}
# make_big DIR N: N files of about 1 MB, each 20 copies of the sample with
# varied titles (【N卷C号…) and years (年N-C), so every copy adds new terms
make_big() {
    mkdir -p "$1"
    i=1
    while [ "$i" -le "$2" ]; do
        awk -v f="$i" 'BEGIN { for (c = 1; c <= 20; c++) {
                while ((getline l < ARGV[1]) > 0) {
                    if (l ~ /^【/) sub(/^【/, "【" f "卷" c "号", l)
                    gsub(/年/, "年" f "-" c, l)
                    print l
                }
                close(ARGV[1])
            } exit }' "$ROOT/corpus/xiacheng-2017-annual-focus.txt" >"$1/part$i.txt"
        i=$((i + 1))
    done
}
