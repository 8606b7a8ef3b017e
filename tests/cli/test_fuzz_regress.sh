#!/bin/sh
# Replays the fuzz targets' seed corpora and saved failing inputs
# (tests/fuzz/seeds/TARGET, tests/fuzz/regress/TARGET) without libFuzzer:
# each target is linked with tests/fuzz/driver.c and the library of the
# build under test (build-san/libfz.a under make test, with the sanitizers).
. "$(dirname "$0")/lib.sh"
B=$(cd "$FZBIN/.." && pwd)
[ "$FZBIN" = "$ROOT/bin" ] && B=$ROOT/build
LIB=$B/libfz.a
[ -f "$LIB" ] || { echo "$0: no $LIB (build first)" >&2; exit 1; }
san=
nm "$LIB" 2>/dev/null | grep -q __asan_ && san="-fsanitize=address,undefined -fno-sanitize-recover=all"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
F=$ROOT/tests/fuzz
for t in parse tok query enc store catalog req; do
    ${CC:-cc} -std=c11 -D_GNU_SOURCE -g -O1 $san -I"$ROOT/common" -I"$ROOT/indexer" -I"$ROOT/searcher" \
        $(pkg-config --cflags icu-uc icu-i18n lmdb libxxhash libzstd) "$F/fuzz_$t.c" "$F/driver.c" "$LIB" \
        $(pkg-config --libs icu-uc icu-i18n lmdb libxxhash libzstd libmicrohttpd) -lpthread -lm -o "$T/fuzz_$t" 2>"$T/cc.err"
    check "fuzz_$t builds with the driver" sh -c "[ -x '$T/fuzz_$t' ] || { cat '$T/cc.err' >&2; false; }"
    for set in seeds regress; do
        d=$F/$set/$t
        [ -d "$d" ] || continue
        n=$(ls "$d" | wc -l)
        check "fuzz_$t over $set/$t ($n inputs)" status_is 0 "$T/fuzz_$t" "$d"
        check "fuzz_$t over $set/$t: every input ran" out_has "^$n inputs"
    done
done
finish fuzz_regress
