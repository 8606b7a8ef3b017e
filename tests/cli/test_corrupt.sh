#!/bin/sh
# Damaged and foreign indexes: fzsearch and fzindex (--check, and indexing
# into them) print a one-line message saying what is wrong and what to do,
# exit 2, never crash, and never overwrite what is there.  Also: each kind
# of damage fzindex --check looks for is found and named.
. "$(dirname "$0")/lib.sh"
PID=
# a server this script started (searched, below) never outlives it
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$T"' EXIT
DB=$T/db
"$FZI" --db "$DB" --quiet "$ROOT/corpus" || { echo "$0: cannot build the test index" >&2; exit 1; }

# poke (tests/cli/poke.c): raw LMDB edits
poke_build || exit 1
POKE=$T/poke
hx() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }
sum() { md5sum "$1" | cut -d' ' -f1; }
fresh() { rm -rf "$1"; cp -r "$DB" "$1"; }
Q=井长制

# not_crashed: the last command ended with status 2, not by a signal
# (status > 128) or a sanitizer report
says() { grep -q -- "$1" "$T/err" || { echo "  stderr lacks '$1': $(head -c 300 "$T/err")" >&2; return 1; }; }
no_report() { ! grep -q 'Sanitizer\|runtime error' "$T/err" || { head -c 600 "$T/err" >&2; return 1; }; }
# both DESC PATH WORD: fzsearch and fzindex --check on PATH say WORD in one line, exit 2
both() {
    check "$1: fzsearch exits 2" status_is 2 "$FZS" --db "$2" $Q
    check "$1: fzsearch one line" one_line
    check "$1: fzsearch says '$3'" says "$3"
    check "$1: fzsearch no sanitizer report" no_report
    check "$1: --check exits 2" status_is 2 "$FZI" --db "$2" --check
    check "$1: --check one line" one_line
    check "$1: --check says '$3'" says "$3"
    check "$1: --check no sanitizer report" no_report
}

check "sound index passes --check" status_is 0 "$FZI" --db "$DB" --check
check "sound: says so" says "is sound: 1 files, 60 entries"
"$FZS" --db "$DB" --json --limit 100 $Q >"$T/good.json"

# --- a zero-length data.mdb, an empty directory
mkdir "$T/zero"; : >"$T/zero/data.mdb"
both "zero-length data.mdb" "$T/zero" "re-index"
mkdir "$T/emptydir"
both "empty directory" "$T/emptydir" "no index"

# --- truncated data.mdb (a copy cut short, a full disk): must not crash
sz=$(stat -c %s "$DB/data.mdb")
for cut in 4096 12288 $((sz / 2)); do
    fresh "$T/trunc"
    truncate -s "$cut" "$T/trunc/data.mdb"
    both "data.mdb truncated to $cut of $sz bytes" "$T/trunc" "re-index"
    before=$(sum "$T/trunc/data.mdb")
    check "truncated to $cut: indexing into it fails" status_is 2 "$FZI" --db "$T/trunc" "$ROOT/corpus"
    check "truncated to $cut: indexing leaves it as it was" test "$(sum "$T/trunc/data.mdb")" = "$before"
done

# --- foreign files, as DIR/data.mdb and as a single file
mkdir "$T/f"
head -c 100000 /dev/urandom >"$T/f/random"
cp "$ROOT/corpus/xiacheng-2017-annual-focus.txt" "$T/f/text"
# an SQLite file, written by hand: the 100-byte header and one empty page
{ printf 'SQLite format 3\000\020\000\001\001\000\100\040\040'; head -c 4080 /dev/zero; } >"$T/f/sqlite"
head -c 3000 /dev/urandom >"$T/f/small"
for kind in random text sqlite small; do
    mkdir "$T/f/$kind.d"
    cp "$T/f/$kind" "$T/f/$kind.d/data.mdb"
    before=$(sum "$T/f/$kind")
    both "$kind file as DIR/data.mdb" "$T/f/$kind.d" "not a fangzhi index"
    both "$kind file given as --db FILE" "$T/f/$kind" "fangzhi index"
    check "$kind: indexing into it fails" status_is 2 "$FZI" --db "$T/f/$kind.d" "$ROOT/corpus"
    check "$kind: indexing: one line" one_line
    check "$kind: indexing leaves it as it was" test "$(sum "$T/f/$kind.d/data.mdb")" = "$before"
    check "$kind: indexing into the file fails" status_is 2 "$FZI" --db "$T/f/$kind" "$ROOT/corpus"
    check "$kind: the file is left as it was" test "$(sum "$T/f/$kind")" = "$before"
done

# --- other format versions, missing or wrong header records
fresh "$T/old"; "$POKE" "$T/old" put meta "$(hx format)" 00
both "older format" "$T/old" "older.*re-index"
fresh "$T/new"; "$POKE" "$T/new" put meta "$(hx format)" "$(printf '%02x' $(($("$FZI" --version | sed -n 's/.*index format \([0-9]*\).*/\1/p') + 1)))"
both "newer format" "$T/new" "newer.*newer fangzhi"
before=$(sum "$T/new/data.mdb")
check "newer format: indexing into it fails" status_is 2 "$FZI" --db "$T/new" "$ROOT/corpus"
check "newer format: indexing says why" says "newer"
check "newer format: indexing leaves it as it was" test "$(sum "$T/new/data.mdb")" = "$before"
# a format 5 index (before term packs and entry blocks in two parts): the same one line
fresh "$T/v5"; "$POKE" "$T/v5" put meta "$(hx format)" 05
both "format 5 index" "$T/v5" "index format 5 is older than this fangzhi's format 8; re-index the sources"
# a format 6 index (entry text in the code by ranges, a "join" table, CJK
# unigrams with positions under 'b', no delta tier: no "dpost" or "dfix"
# table): the same one line
fresh "$T/v6"; "$POKE" "$T/v6" put meta "$(hx format)" 06 && "$POKE" "$T/v6" drop dpost 00 && "$POKE" "$T/v6" drop dfix 00
both "format 6 index" "$T/v6" "index format 6 is older than this fangzhi's format 8; re-index the sources"
# a format 7 index (entry text in one zstd frame a block, no text
# dictionary): the same one line
fresh "$T/v7"; "$POKE" "$T/v7" put meta "$(hx format)" 07
both "format 7 index" "$T/v7" "index format 7 is older than this fangzhi's format 8; re-index the sources"
# a format 4 index has no catalog table: still the format message
fresh "$T/v4"; "$POKE" "$T/v4" put meta "$(hx format)" 04 && "$POKE" "$T/v4" drop catalog 00
both "format 4 index (no catalog table)" "$T/v4" "index format 4 is older.*re-index"
fresh "$T/nofmt"; "$POKE" "$T/nofmt" del meta "$(hx format)"
both "no format record" "$T/nofmt" "re-index"
fresh "$T/magic"; "$POKE" "$T/magic" put meta "$(hx magic)" "$(hx sqlite)"
both "wrong magic" "$T/magic" "not a fangzhi index"
fresh "$T/nomagic"; "$POKE" "$T/nomagic" del meta "$(hx magic)"
both "no magic record" "$T/nomagic" "not a fangzhi index"

# --- a damaged posting block: bytes of its value overwritten in data.mdb
# The first block of the bigram 下城 (key 'b' 下城 0x00 first-id): in 57
# entries, it has blocks of its own (a rarer term is in a term pack).
set -- $("$POKE" "$DB" next post "62$(hx 下城)00")
key=$1 val=$2
check "found the posting block of 下城" test "${key%????????}" = "62$(hx 下城)00"
# overwrite DIR VALHEX WHAT: a fresh copy DIR of the index with the first
# 12 bytes of the value VALHEX overwritten in its data.mdb
overwrite() {
    fresh "$1"
    off=$(python3 -c 'import sys; d = open(sys.argv[1], "rb").read(); v = bytes.fromhex(sys.argv[2]); print(*[i for i in range(len(d)) if d.startswith(v, i)])' "$1/data.mdb" "$2")
    check "$3: its value occurs once in data.mdb" test "$(echo "$off" | wc -w)" = 1
    printf '\377\377\377\377\377\377\377\377\377\377\377\377' |
        dd of="$1/data.mdb" bs=1 seek="${off:-0}" conv=notrunc 2>/dev/null
}
# damaged DESC DIR QUERY OTHER NAMED: on the damaged index DIR, fzsearch
# QUERY fails with one line saying so, OTHER still works, --check says NAMED
damaged() {
    check "$1: fzsearch exits 2" status_is 2 "$FZS" --db "$2" "$3"
    check "$1: fzsearch one line" one_line
    check "$1: fzsearch says damaged" says "damaged"
    check "$1: fzsearch says to re-index" says "re-index"
    check "$1: other queries still work" status_is 0 "$FZS" --db "$2" "$4"
    check "$1: --check exits 2" status_is 2 "$FZI" --db "$2" --check
    check "$1: --check names it" says "$5"
}
overwrite "$T/flip" "$val" "damaged block"
damaged "damaged block" "$T/flip" 下城 治水 'post b:"下城" @[0-9]*: block does not decode'
check "damaged block: --check ends with one summary line" \
    sh -c "tail -n 1 '$T/err' | grep -q 'index is damaged: 1 problem found; re-index'"
# indexing more text with that term: either it refuses (one line, index as
# it was) or it leaves the damaged block alone, and --check still finds it
before=$(sum "$T/flip/data.mdb")
printf '【新条目】下城的推广\n' >"$T/more.txt"
"$FZI" --db "$T/flip" "$T/more.txt" >"$T/out" 2>"$T/err"
st=$?
if [ $st = 2 ]; then
    check "damaged block: refused indexing: one line" one_line
    check "damaged block: refused indexing leaves the index as it was" test "$(sum "$T/flip/data.mdb")" = "$before"
else
    check "damaged block: indexing more: exit 0 or 2, got $st" test $st = 0
    check "damaged block: still found after indexing more" status_is 2 "$FZI" --db "$T/flip" --check
    check "damaged block: still named" says 'post b:"下城" @[0-9]*: block does not decode'
fi
check "damaged block: indexing: no sanitizer report" no_report

# --- a damaged term pack (TERM PACKS in common/store.c): 井长, in two
# entries, is kept in the pack keyed by the first of its terms ('b', that
# term, 0x00: the last key before 'b' 井长 0x00)
set -- $("$POKE" "$DB" prev post "62$(hx 井长)00")
pkey=$1 pval=$2
check "found the term pack of 井长" sh -c 'case "$0" in 62*00) test ${#0} -lt 40 ;; *) false ;; esac' "$pkey"
check "井长 found before the damage" status_is 0 "$FZS" --db "$DB" 井长
overwrite "$T/pflip" "$pval" "damaged pack"
damaged "damaged pack" "$T/pflip" 井长 下城 'post b:".*" @0: term pack does not decode'
check "damaged pack: no sanitizer report" no_report

# --- what --check finds: each damage made through LMDB, so the tables
# stay readable and only fangzhi's own invariants break
first=$(printf '%d' "0x$(printf '%s' "$key" | tail -c 8)")
damage() { # DESC WORD POKE-ARGS...: damage a fresh copy, --check must name it
    desc=$1 word=$2
    shift 2
    fresh "$T/d"
    "$POKE" "$T/d" "$@" || { check "$desc: poke" false; return; }
    check "$desc: --check exits 2" status_is 2 "$FZI" --db "$T/d" --check
    check "$desc: --check says '$word'" says "$word"
    check "$desc: --check summary" says "index is damaged"
    check "$desc: no sanitizer report" no_report
}
bkey() { printf '62%s00%08x' "$(hx 下城)" "$1"; }
# Block values written by hand, following the layout in common/store.c
# (v ndocs, v last-first, v max_tf_title, v max_tf_body, v min_dl, then
# the streams of BLOCK STREAMS: id deltas (ndocs-1 values), tf_title,
# tf_body, positions, each run a mode byte (0..32: frame of reference of
# that width, v base, the bits; 0x40: varints)); they must follow it when
# it changes.  One document, 1 body position 100000 (far beyond any entry):
damage "position beyond the entry" "doc $first: position 100000 beyond" put post "$(bkey "$first")" 01000001000000000140a08d06
damage "frequency above block maximum" "above the block's maxima" put post "$(bkey "$first")" 0100000000000000010000
damage "documents out of order (an id delta 0)" "block does not decode" put post "$(bkey "$first")" 02000100000000000000010000
damage "document beyond the block's last" "block does not decode" put post "$(bkey "$first")" 02010100000002000000010000
damage "trailing bytes in block" "bytes left after the last document" put post "$(bkey "$first")" 010001000000010000000000
damage "posting of a missing entry" "doc 99999 has no entry" put post "$(bkey 99999)" 0100000100000000010000
damage "unknown field byte" "unknown field" put post "7a$(hx x)0000000000" 0100000100000000010000
damage "overlapping blocks" "overlaps" put post "$(bkey $((first + 1)))" 0100000100000000010000
# CJK unigrams (field 'u', WITHOUT POSITIONS in common/store.c): a block
# ends after its tf streams.  Positions under 'u', none under 'b', a 'u'
# term of two characters, frequencies the entry cannot hold:
ukey() { printf '75%s00%08x' "$(hx "$1")" "$2"; }
damage "unigram block with positions" "positions, but the field keeps none" put post "$(ukey 城 "$first")" 0100000100000000014003
damage "bigram block without positions" "no positions, but the field keeps them" put post "$(bkey "$first")" 010000010000000001
damage "unigram key of two characters" "not one CJK character" put post "$(ukey 下城 "$first")" 010000010000000001
damage "unigram frequency beyond the entry" "cannot fit in the entry's lengths" put post "$(ukey 城 "$first")" 010000a08d0600000000a08d06
# Term packs written by hand (TERM PACKS in common/store.c): per term v
# shared bytes, v suffix length, the suffix, v ndocs, v first id, the
# records (the first without id delta).  The pack of 井长 replaced by one
# term, its own first term (th), of one document, entry 0:
th=${pkey#62}
th=${th%00}
pt=$(printf '00%02x%s' $((${#th} / 2)) "$th")
damage "packed term: position beyond the entry" "doc 0: position 100000 beyond" put post "$pkey" "${pt}010002a08d06"
damage "packed terms not ascending" "does not decode (or does not ascend)" put post "$pkey" "${pt}0100020000$(printf '%02x' $((${#th} / 2)))${th}01000200"
damage "packed term of no documents" "term pack does not decode" put post "$pkey" "${pt}00000200"
damage "pack of another first term" "term pack does not decode" put post "$pkey" "0006$(hx 井长)01000200"
damage "a packed term with blocks too" "also in the pack before it" put post "62$(hx 井长)0000000000" 0100000100000000010000
damage "a term in two packs" "sorts inside the pack before it" put post "62$(hx 井长)00" "0006$(hx 井长)01000200"
# The delta tier (DELTA TIER in common/store.c): "dpost" holds blocks only,
# of ids from the base ("meta" "delta", a varint) on; "post" those below it
# searched DESC DIR QUERY WANT: fzsearch and the reading room on the
# damaged copy DIR.  WANT 2: the searcher reads what is damaged, so
# fzsearch QUERY exits 2 with one line, and the server's results page for
# QUERY is a 500 page with that line while it goes on answering (an
# entry page, 200) and stops cleanly on SIGTERM.  WANT same: damage only
# --check's full walk finds (the searcher does not read it): the sound
# index's answers, and the results page 200.  WANT 0: answers (what the
# damaged record says), the results page 200.
# Never a signal or a sanitizer report.
searched() {
    if [ "$4" = 2 ]; then
        check "$1: fzsearch exits 2" status_is 2 "$FZS" --db "$2" "$3"
        check "$1: fzsearch one line" one_line
        check "$1: fzsearch says so" says "index is damaged"
    else
        check "$1: fzsearch exits 0" status_is 0 "$FZS" --db "$2" --json --limit 100 "$3"
        [ "$4" = same ] &&
            check "$1: fzsearch answers as the sound index" sh -c "'$FZS' --db '$DB' --json --limit 100 '$3' | cmp -s - '$T/out'"
    fi
    check "$1: fzsearch no sanitizer report" no_report
    cp "$T/err" "$T/search.err"
    SERVE_DB=$2
    check "$1: the server starts" serve --serve 127.0.0.1:0
    SERVE_DB=
    get "/search?q=$(enc "$3")"
    if [ "$4" = 2 ]; then
        check "$1: the results page is a 500" code_is 500
        check "$1: the results page has the command line's message" body_has "$(cat "$T/search.err")"
    else
        check "$1: the results page is a 200" code_is 200
    fi
    get /entry/1
    check "$1: an entry page still reads" code_is 200
    kill -TERM "$PID"
    wait "$PID"
    check "$1: the server stops on SIGTERM: exit 0" [ $? = 0 ]
    PID=
    check "$1: the server says nothing on stderr" test ! -s "$T/serve.err"
}
damage "delta postings without a base" "has postings, but \"meta\" has no base" put dpost "$(bkey "$first")" 0100000100000000010000
searched "delta postings without a base" "$T/d" 下城 2
damage "main postings above the delta's base" "but the delta's base is 0" put meta "$(hx delta)" 00
searched "main postings above the delta's base" "$T/d" 下城 same
damage "a malformed delta base" "the delta's base record does not decode" put meta "$(hx delta)" ff
searched "a malformed delta base" "$T/d" 下城 2
damage "a term pack in the delta tier" "a term pack in the delta tier" put dpost "62$(hx 井长)00" "0006$(hx 井长)01000200"
searched "a term pack in the delta tier" "$T/d" $Q 2
fresh "$T/dpack"; "$POKE" "$T/dpack" put meta "$(hx delta)" 3c && "$POKE" "$T/dpack" put dpost "62$(hx 井长)00" "0006$(hx 井长)01000200"
searched "a term pack in the delta tier, with a base" "$T/dpack" $Q 2
# a merge of the delta under way (MERGING in common/store.c): meta "merge"
# holds the key of "post" where its next step goes on.  Without a delta
# tier, or not a key, --check names it; searches do not read it; a writer,
# which finishes a merge under way before anything else, refuses a record
# it cannot read and leaves the index as it was
damage "a merge under way without a delta" "a merge of the delta under way, but no delta's base" put meta "$(hx merge)" "62$(hx 下城)00"
searched "a merge under way without a delta" "$T/d" 下城 same
damage "a malformed merge record" "the record of the merge under way does not decode" put meta "$(hx merge)" 62
searched "a malformed merge record" "$T/d" 下城 same
before=$(sum "$T/d/data.mdb")
check "a malformed merge record: an update exits 2" status_is 2 "$FZI" --db "$T/d" --quiet "$ROOT/corpus/xiacheng-2017-annual-focus.txt"
check "a malformed merge record: one line" one_line
check "a malformed merge record: says what" says "reading the delta tier: index is damaged"
check "a malformed merge record: the index is left as it was" test "$(sum "$T/d/data.mdb")" = "$before"
# removed entries left in "post" (DEAD ENTRIES): meta "dead" (v n, then v
# gap, v count), "dfix" (key: field, term, 0x00; v dead documents).  An
# entry among the removed ones is skipped as the record says (finding it
# would cost a search a lookup per removed range): --check names it.
damage "an entry among the removed ones" "among the removed entries" put meta "$(hx dead)" 010001
searched "an entry among the removed ones" "$T/d" 下城 0
damage "a malformed removed entries' record" "removed entries' record does not decode" put meta "$(hx dead)" 0200
searched "a malformed removed entries' record" "$T/d" 下城 2
damage "a dead count of a term without dead documents" "documents of removed entries, \"dfix\" says 5" put dfix "62$(hx 下城)00" 05
searched "a dead count of a term without dead documents" "$T/d" 下城 same
# a dead count above the term's documents in "post", with a removed range
fresh "$T/dfix"; "$POKE" "$T/dfix" put meta "$(hx dead)" 01e80701 && "$POKE" "$T/dfix" put dfix "62$(hx 下城)00" 7f
searched "a dead count above the term's documents" "$T/dfix" 下城 2
# a removed range whose gap (a 10-byte varint, 2^64-1) wraps a 64-bit sum
# around: no longer taken for ranges out of order (tests/fuzz/regress/store/dead-gap-wraps)
damage "a removed range beyond 32 bits" "removed entries' record does not decode" put meta "$(hx dead)" 023c3cffffffffffffffffff0101
searched "a removed range beyond 32 bits" "$T/d" 下城 2
# Entry blocks (ENTRY BLOCKS in common/store.c): key the block's last id;
# v n, v the metadata's length, the metadata (v file, then per entry
# v zigzag line delta, v kind, v title_npos, v npos, v shared, and unless
# shared its sections and authors), v the join part's length and n join
# maps, each led by v length, v the text's raw
# length, its method, then the text: n titles and bodies, each led by v
# length.  meta1 FILE: one entry of file FILE at line 1 with no sections or
# authors; SAME: one more like it; JN1, JN2: the join parts of one and two
# entries without maps; TEXT1: an empty title and body.
ekey=$("$POKE" "$DB" next entry 00000000 | cut -d' ' -f1)
elast=$(printf '%d' "0x$ekey")
meta1() { printf '%02x02000000000000' "$1"; }
SAME=0000000001
JN1=0100
JN2=020000
TEXT1=020000
blk1() { printf '0108%s%s0300%s' "$(meta1 "$1")" "$JN1" "$TEXT1"; }
blk2() { printf '020d%s%s%s0600%s%s' "$(meta1 "$1")" "$SAME" "$JN2" "$TEXT1" "$TEXT1"; }
damage "entry block deleted" "has no entry" del entry "$ekey"
damage "entry block deleted: file range" "entries are missing" del entry "$ekey"
damage "entry block does not decode" "entry block $elast: does not decode" put entry "$ekey" ffffffffffffffffffffff
damage "entry block: unknown method" "entry block $elast: does not decode" put entry "$ekey" "0108$(meta1 0)${JN1}0302$TEXT1"
damage "entry block: raw length wrong" "entry block $elast: does not decode" put entry "$ekey" "0108$(meta1 0)${JN1}0400$TEXT1"
damage "entry block: bytes after the text" "entry block $elast: does not decode" put entry "$ekey" "$(blk1 0)00"
damage "entry block: text short of the count" "entry block $elast: does not decode" put entry "$ekey" "020d$(meta1 0)${SAME}${JN2}0300$TEXT1"
damage "entry block: metadata short of the count" "entry block $elast: does not decode" put entry "$ekey" "0208$(meta1 0)${JN2}0600$TEXT1$TEXT1"
damage "entry block: first entry shares lists" "entry block $elast: does not decode" put entry "$ekey" "0106000200000001${JN1}0300$TEXT1"
damage "entry block: line below 0" "entry block $elast: does not decode" put entry "$ekey" "01080003000000000000${JN1}0300$TEXT1"
damage "entry block: zstd data damaged" "entry block $elast: does not decode" put entry "$ekey" "0108$(meta1 0)${JN1}0a0128b52ffd000051000000"
damage "entry block: count reaches below id 0" "entry block 0: does not decode" put entry 00000000 "$(blk2 0)"
damage "entry block: a section does not decode" "entry $elast: does not decode" put entry "$ekey" "010c0002000000000103fed80000${JN1}0300$TEXT1"
damage "entry block: a title does not decode" "entry $elast: does not decode" put entry "$ekey" "0108$(meta1 0)${JN1}030002ffff"
damage "entry blocks overlap" "overlaps the block before it" put entry "$(printf '%08x' $((elast + 1)))" "$(blk2 0)"
damage "entry block of another file" "entry $((elast + 2))" put entry "$(printf '%08x' $((elast + 2)))" "$(blk1 1)"
# join parts: a map that joins beyond the entry's length (0), one that
# joins position 0, one that ends in a zero byte, one map too many, a map
# longer than its part
damage "join map beyond the entry" "entry $elast: its join map joins position 1, beyond its length 0" put entry "$ekey" "0108$(meta1 0)0201020300$TEXT1"
damage "join map of position 0" "entry $elast: its join map joins position 0" put entry "$ekey" "0108$(meta1 0)0201010300$TEXT1"
damage "join map ends in a zero byte" "entry $elast: its join map ends in a zero byte" put entry "$ekey" "0108$(meta1 0)030202000300$TEXT1"
damage "join part: a map too many" "entry block $elast: does not decode" put entry "$ekey" "0108$(meta1 0)0200000300$TEXT1"
damage "join part: a map past its end" "entry block $elast: does not decode" put entry "$ekey" "0108$(meta1 0)0205000300$TEXT1"
damage "kind list deleted" "in no kind list" dels post "6b"
damage "dlen changed" "dlen: entry 0 has length" put dlen 00000000 "$(printf '%08192d' 0)"
damage "dlen chunk short" "dlen: chunk 0 has 4 bytes" put dlen 00000000 01000000
damage "statistics: entries" "stats: 61 entries" put meta "$(hx stats)" "$(printf '3d%s' "$("$POKE" "$DB" get meta "$(hx stats)" | cut -c3-)")"
damage "statistics do not decode" "statistics record does not decode" put meta "$(hx stats)" ff
damage "fileid deleted" "no fileid record" del fileid 00000000
damage "file record deleted" "no file record" dels file 2f
# catalog rows (common/store.c: v len title, v len place, v flags [, v zigzag year])
damage "catalog row of a file not indexed" 'catalog "/nowhere.txt": no such file is indexed' \
    put catalog "$(hx /nowhere.txt)" 0000010a
cpath=$("$POKE" "$DB" next file 00 | cut -d' ' -f1)
damage "catalog row does not decode" "its record does not decode" put catalog "$cpath" 0000020a
damage "catalog year out of range" "its record does not decode" put catalog "$cpath" 000001ffff01
damage "catalog title not UTF-8" "its title or place is not UTF-8 text" put catalog "$cpath" 01ff0000
# a catalog title with ESC (an archive built elsewhere): shown escaped in
# the attribution line, exact in JSON
fresh "$T/esc"; "$POKE" "$T/esc" put catalog "$cpath" 041b5b324a0000
"$FZS" --db "$T/esc" --no-pager --color never $Q >"$T/out" 2>"$T/err"
check "catalog title with ESC: shown escaped" grep -qF '《\033[2J》' "$T/out"
check "catalog title with ESC: nothing raw" sh -c "! grep -q \"\$(printf '\\033')\" '$T/out'"
check "catalog title with ESC: JSON exact" sh -c '"$1" --db "$2" --json "$3" | head -1 | grep -qF "\"volume\":\"\\u001b[2J\""' sh "$FZS" "$T/esc" $Q
# an index whose ids are sparse (70,000 entries indexed, removed, others
# indexed after them): --check looks entries up another way there
awk 'BEGIN { for (i = 1; i <= 70000; i++) printf "【条目%d】第%d条。\n", i, i }' >"$T/many.txt"
"$FZI" --db "$T/sparse" --quiet "$T/many.txt" && "$FZI" --db "$T/sparse" --quiet --remove "$T/many.txt" &&
    "$FZI" --db "$T/sparse" --quiet "$ROOT/corpus"
check "sparse ids: sound" status_is 0 "$FZI" --db "$T/sparse" --check
check "sparse ids: 60 entries" says "60 entries"
"$POKE" "$T/sparse" del entry "$("$POKE" "$T/sparse" next entry "$(printf '%08x' 70005)" | cut -d' ' -f1)"
check "sparse ids: a deleted entry found" status_is 2 "$FZI" --db "$T/sparse" --check
check "sparse ids: named" says "doc 7[0-9]* has no entry"
# and the undamaged copy still passes
check "undamaged copy passes --check" status_is 0 "$FZI" --db "$DB" --check
"$FZS" --db "$DB" --json --limit 100 $Q >"$T/good2.json"
check "undamaged copy answers as before" cmp -s "$T/good.json" "$T/good2.json"
finish corrupt
