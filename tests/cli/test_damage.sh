#!/bin/sh
# Damage fuzzing: random byte flips and overwrites of a real index and of a
# packed archive, from fixed seeds (reproducible).  Whatever the damage,
# fzsearch, fzindex --check, --list, --merge and --remove end with exit
# status 0, 1 or 2, never by a signal, a sanitizer report or a hang; a
# packed archive whose bytes changed fails --check and --merge on its
# checksum.  DAMAGE_N=... sets the number of damaged copies of each
# (seeds 1..N).
. "$(dirname "$0")/lib.sh"
N=${DAMAGE_N:-24}
DB=$T/db
C=$ROOT/corpus/xiacheng-2017-annual-focus.txt
"$FZI" --db "$DB" --quiet "$ROOT/corpus" || { echo "$0: cannot build the test index" >&2; exit 1; }
"$FZI" --db "$DB" --quiet --pack "$T/a.fz" || { echo "$0: cannot pack the test index" >&2; exit 1; }

# sane DESC CMD...: exit 0, 1 or 2 within 60 s, no sanitizer report but
# LMDB's own (lmdb_report in lib.sh).
sane() {
    desc=$1
    shift
    timeout 60 "$@" >"$T/out" 2>"$T/err"
    st=$?
    lmdb_report "$T/err" && return 0
    if [ $st -gt 2 ] || grep -q 'Sanitizer\|runtime error' "$T/err"; then
        echo "  $desc: exit $st: $(head -c 400 "$T/err")" >&2
        return 1
    fi
}

# seeds 1..N, and ones found to need more than the fault handler (114: an
# LMDB assertion on a damaged branch page, turned into exit 2 by its
# assert callback)
bad=0
for i in $(seq 1 "$N") 114; do
    rm -rf "$T/d" "$T/m"
    cp -r "$DB" "$T/d"
    rm -f "$T/d/lock.mdb"
    damage_bytes $i "$T/d/data.mdb"
    for q in 井长制 '"社区 治理"' '城*'; do
        sane "seed $i: fzsearch $q" "$FZS" --db "$T/d" --limit 50 "$q" || bad=$((bad + 1))
    done
    sane "seed $i: --check" "$FZI" --db "$T/d" --check || bad=$((bad + 1))
    sane "seed $i: --list" "$FZI" --db "$T/d" --list || bad=$((bad + 1))
    sane "seed $i: --merge it" "$FZI" --db "$T/m" --quiet --merge "$T/d" || bad=$((bad + 1))
    sane "seed $i: --remove" "$FZI" --db "$T/d" --quiet --remove "$C" || bad=$((bad + 1))
    sane "seed $i: index into it" "$FZI" --db "$T/d" --quiet "$C" || bad=$((bad + 1))
done
check "damaged indexes: every command ended with 0, 1 or 2 ($bad did not)" test $bad = 0

# the issue's repro: everything after the first two pages overwritten with 0xFF
rm -rf "$T/d"; cp -r "$DB" "$T/d"; damage_bytes 8 "$T/d/data.mdb"
check "0xFF after the meta pages: fzsearch exits 2" status_is 2 "$FZS" --db "$T/d" 井长制
check "0xFF after the meta pages: fzsearch one line" one_line
check "0xFF after the meta pages: fzsearch says re-index" err_has "damaged.*re-index"
check "0xFF after the meta pages: --check exits 2" status_is 2 "$FZI" --db "$T/d" --check
check "0xFF after the meta pages: --check says re-index" err_has "damaged.*re-index"

# packed archives: a checksum catches any change before LMDB reads it
check "sound archive passes --check" status_is 0 "$FZI" --db "$T/a.fz" --check
bad=0 caught=0
i=1
while [ $i -le "$N" ]; do
    rm -rf "$T/m"
    cp "$T/a.fz" "$T/p.fz"
    damage_bytes $((i + 1000)) "$T/p.fz"
    if cmp -s "$T/a.fz" "$T/p.fz"; then i=$((i + 1)); continue; fi
    sane "pack seed $i: fzsearch" "$FZS" --db "$T/p.fz" --limit 50 井长制 || bad=$((bad + 1))
    "$FZI" --db "$T/p.fz" --check >/dev/null 2>"$T/err"
    [ $? = 2 ] && grep -q 'checksum\|damaged' "$T/err" && caught=$((caught + 1))
    "$FZI" --db "$T/m" --quiet --merge "$T/p.fz" >/dev/null 2>"$T/err"
    [ $? = 2 ] && grep -q 'checksum\|damaged' "$T/err" && caught=$((caught + 1))
    [ -e "$T/m/data.mdb" ] && "$FZI" --db "$T/m" --list 2>/dev/null | grep -q xiacheng && bad=$((bad + 1))
    i=$((i + 1))
done
check "damaged archives: fzsearch ended with 0, 1 or 2, nothing merged ($bad failures)" test $bad = 0
check "damaged archives: --check and --merge refused all $N on the checksum ($caught of $((2 * N)))" \
    test $caught = $((2 * N))
# one flipped byte in the trailer, an archive cut short, one without a trailer
# (the byte's complement: the checksum covers the file records' indexing
# times, so it differs from run to run, and a fixed byte would be the one
# already there in one run of 256)
cp "$T/a.fz" "$T/t.fz"
at=$(($(stat -c %s "$T/t.fz") - 12))
was=$(od -An -tu1 -j "$at" -N1 "$T/t.fz" | tr -d ' ')
printf "\\$(printf %o $((255 - was)))" | dd of="$T/t.fz" bs=1 seek="$at" conv=notrunc 2>/dev/null
check "... the trailer's byte changed" sh -c '! cmp -s "$1" "$2"' sh "$T/a.fz" "$T/t.fz"
check "archive with a changed checksum: --check exits 2" status_is 2 "$FZI" --db "$T/t.fz" --check
check "... says the checksum does not match" err_has "checksum does not match"
head -c $(($(stat -c %s "$T/a.fz") - 24)) "$T/a.fz" >"$T/old.fz"
check "archive without a trailer (older pack): --check exits 2" status_is 2 "$FZI" --db "$T/old.fz" --check
check "... one line" one_line
check "... says to pack it again" err_has "no checksum.*pack it again"
check "... --merge refuses it" status_is 2 "$FZI" --db "$T/m2" --merge "$T/old.fz"
check "... fzsearch still reads it" status_is 0 "$FZS" --db "$T/old.fz" 井长制
finish damage
