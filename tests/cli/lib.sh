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
# The reading room (fzsearch --serve), for test_serve.sh and test_corrupt.sh;
# the caller's EXIT trap kills $PID, so no server outlives the script.
# serve [OPTIONS...]: starts the server (on $SERVE_DB, else $T/db) in the
# background and waits for its URL (at most 30 s); sets PID and URL
serve() {
    rm -f "$T/serve.out" # not the last server's "serving" line
    "$FZS" --db "${SERVE_DB:-$T/db}" "$@" >"$T/serve.out" 2>"$T/serve.err" &
    PID=$!
    i=0
    URL=
    while [ $i -lt 300 ] && [ -z "$URL" ]; do
        URL=$(sed -n 's|^serving .* at \(http://[^ ]*\)/ .*|\1|p' "$T/serve.out" 2>/dev/null)
        [ -n "$URL" ] || sleep 0.1
        i=$((i + 1))
    done
    [ -n "$URL" ]
}
# get PATH: fetches URL PATH into $T/body, the status into $T/code
get() { curl -s -g -o "$T/body" -w '%{http_code}' "$URL$1" >"$T/code" 2>/dev/null; }
code_is() { [ "$(cat "$T/code")" = "$1" ] || { echo "  status $(cat "$T/code"), wanted $1" >&2; return 1; }; }
body_has() { grep -qF -- "$1" "$T/body" || { echo "  body lacks '$1'" >&2; return 1; }; }
# enc TEXT: TEXT percent-encoded for a URL
enc() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$1"; }
body_lacks() { ! grep -qF -- "$1" "$T/body" || { echo "  body has '$1'" >&2; return 1; }; }
# poke_build: compiles tests/cli/poke.c (raw LMDB edits that damage an
# index: poke DIR get|next|prev|put|del|dels|drop TABLE KEYHEX [VALHEX]) into $T/poke
poke_build() {
    [ -x "$T/poke" ] || ${CC:-cc} -std=c11 -O1 -o "$T/poke" "$ROOT/tests/cli/poke.c" -llmdb 2>"$T/cc.err" ||
        { cat "$T/cc.err" >&2; return 1; }
}
# damage_bytes SEED FILE: flips 1..64 random bytes past the two meta pages, or
# overwrites a random run of them with 0xFF or random bytes, or everything
# after the meta pages with 0xFF (seed % 8 == 0)
damage_bytes() {
    python3 - "$1" "$2" <<'EOF'
import random, sys
seed, path = int(sys.argv[1]), sys.argv[2]
r = random.Random(seed)
d = bytearray(open(path, "rb").read())
lo = 8192
if seed % 8 == 0:
    d[lo:] = b"\xff" * (len(d) - lo)
elif seed % 2:
    for _ in range(r.randint(1, 64)):
        d[r.randrange(lo, len(d))] ^= 1 << r.randrange(8)
else:
    n = r.randint(1, 4096)
    at = r.randrange(lo, len(d) - n)
    d[at:at + n] = b"\xff" * n if seed % 4 == 0 else bytes(r.randrange(256) for _ in range(n))
open(path, "wb").write(d)
EOF
}

# lmdb_report FILE: FILE (a program's stderr) holds LMDB's own sanitizer
# report on a damaged index: under ASan, its memcpy of a length read from
# a damaged page is stopped by the interceptor (the report's first frame
# past it is in liblmdb) before it faults, where a normal build faults and
# the guard exits 2.  The tests of damage allow that one.
lmdb_report() {
    grep -q 'ERROR: AddressSanitizer: memcpy-param-overlap' "$1" &&
        grep -A2 'ERROR: AddressSanitizer' "$1" | grep -q '#1 .*liblmdb\.so'
}
