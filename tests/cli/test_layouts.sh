#!/bin/sh
# Layouts end to end: fzindex --outline (the tree, --json, --layout, its
# errors), a classical fixture indexed and searched, and the no-join
# property over every fixture: for each pair of adjacent entries, each
# heading and the first entry under it, and each entry's title and its
# text, the phrase made of the last two characters of one and the first two
# of the next matches nothing (unless it is written inside one entry).
. "$(dirname "$0")/lib.sh"
L=$ROOT/tests/fixtures/parse/layouts
# same FILE TEXT: the file holds exactly TEXT (and a newline)
same() { printf '%s\n' "$2" >"$T/want"; cmp -s "$1" "$T/want" || { diff "$T/want" "$1" >&2; return 1; }; }

# ---- --outline --------------------------------------------------------------
cp "$L/markers.txt" "$T/markers.txt"
check "outline: exit 0" status_is 0 "$FZI" --outline "$T/markers.txt"
check "outline: the tree" same "$T/out" "$T/markers.txt
  volume: 某某州志
  layout: classical (6 marked headings, 2 卷, 0 门 and 0 目录 lines, a book title, 0 folios)
  6 entries in 4 sections; the largest has 18 characters (line 5)
  卷一舆地第一 · 4 entries
    疆域 · 1 entry
    津梁 · 3 entries: 广济桥, 通津渡, ■〈木若〉桥
  卷二食货第二 · 2 entries
    田赋 · 2 entries
      盐课 · 1 entry"
check "outline: nothing on stderr" sh -c '[ ! -s "$1/err" ]' sh "$T"
check "outline --json: exit 0" status_is 0 "$FZI" --outline --json "$T/markers.txt"
check "outline --json: one object per entry with every field" python3 -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 6, len(rows)
r = rows[1]
assert r["volume"] == "某某州志" and r["layout"] == "classical" and r["line"] == 7, r
assert r["kind"] == "entry" and r["section"] == ["卷一舆地第一", "津梁"], r
assert r["title"] == "广济桥" and r["authors"] == [] and r["text"] == "在州南门外，宋时建。", r
assert r["end"] == r["text"] and r["chars"] == 10, r
' "$T/out"
check "outline --json: the start and the end of a long text" python3 -c '
import json, subprocess, sys
rows = [json.loads(l) for l in subprocess.run([sys.argv[1], "--outline", "--json", sys.argv[2]],
                                              capture_output=True, text=True, check=True).stdout.splitlines()]
body = "州之有志旧矣，岁久板毁，士民病之。余莅任之明年，延邑人重修，阅八月而成。\n乾隆十年春三月，知州事张文礼书。"
r = rows[0]
assert r["text"] == body[:40] and r["end"] == body[-40:] and r["chars"] == len(body), r
assert r["authors"] == ["张文礼"] and r["title"] == "州志序", r
' "$FZI" "$L/preface_signed.txt"
check "outline --layout paragraphs: no headings" status_is 0 "$FZI" --outline --layout paragraphs "$T/markers.txt"
check "outline --layout paragraphs: says so" out_has '^  layout: paragraphs (set by --layout)$'
check "outline --layout paragraphs: every line an entry" out_has '^  (no heading) · 12 entries$'
printf '\n\n' >"$T/blank.txt"
check "outline --json of a file without entries: exit 0" status_is 0 "$FZI" --outline --json "$T/blank.txt"
check "…and no output" sh -c '[ ! -s "$1/out" ]' sh "$T"
check "outline of a directory: every file" status_is 0 "$FZI" --outline "$L"
check "outline of a directory: the OCR page" out_has 'ocr_page.txt$'
check "outline of a directory: its layout" out_has '^  layout: classical (.*3 folios, wrapped lines)$'
check "outline: the 59 entries and the caption of the sample" status_is 0 "$FZI" --outline "$ROOT/corpus/xiacheng-2017-annual-focus.txt"
check "outline: the sample is a yearbook" out_has '^  layout: yearbook (58 lines open with 【title】 and 16 are (author) lines)$'
check "outline: the sample's 60 records" out_has '^  60 entries in 11 sections'

# ---- errors -------------------------------------------------------------------
check "--layout bogus: exit 2" status_is 2 "$FZI" --outline --layout bogus "$T/markers.txt"
check "--layout bogus: one line" one_line
check "--layout bogus: names the choices" err_has "fzindex: --layout: 'bogus' is not one of auto, yearbook, classical, paragraphs"
check "--json without --outline: exit 2" status_is 2 "$FZI" --db "$T/db0" --json "$T/markers.txt"
check "--json without --outline: one line" one_line
check "--outline without files: exit 2" status_is 2 "$FZI" --outline
check "--outline without files: one line" one_line
check "--outline of a missing file: exit 2" status_is 2 "$FZI" --outline "$T/missing.txt"
check "--outline of a missing file: names it" err_has "missing.txt"
check "--outline with --list: exit 2" status_is 2 "$FZI" --outline --list
check "--layout with --list: exit 2" status_is 2 "$FZI" --db "$T/db0" --layout classical --list
check "--outline does not create an index" sh -c '[ ! -e "$1/db0" ]' sh "$T"

# ---- indexed and searched -------------------------------------------------------
check "index the layouts" "$FZI" --db "$T/db" --quiet "$L"
check "a 目 under its 门 and 卷" status_is 0 "$FZS" --db "$T/db" --json 守节四十年
check "…its section and title" python3 -c '
import json, sys
r = json.loads(open(sys.argv[1]).readline())
assert r["section"] == ["卷之二", "人物志", "列女传"] and r["title"] == "李氏", r
' "$T/out"
check "a signed preface is credited" status_is 0 "$FZS" --db "$T/db" --json 'author:张文礼'
check "…to its signer" out_has '"title":"州志序"'
check "the 目录 is kind toc" status_is 0 "$FZS" --db "$T/db" --json 'kind:toc 列女传'
check "a 校注 block is kind note" status_is 0 "$FZS" --db "$T/db" --json 'kind:note 元时'
check "a paragraph runs on across an OCR page break" status_is 0 "$FZS" --db "$T/db" 原因是外来人口
check "a folio is not text" status_is 1 "$FZS" --db "$T/db" 1204
check "a running head is not text" status_is 1 "$FZS" --db "$T/db" '"市志·人口"'
check "the book title is not text" status_is 1 "$FZS" --db "$T/db" 嘉庆本
check "indexing with --layout paragraphs: no 目录 record" "$FZI" --db "$T/dbp" --quiet --layout paragraphs "$L/toc.txt"
check "…so kind:toc finds nothing" status_is 1 "$FZS" --db "$T/dbp" 'kind:toc 列女传'

# ---- no joins ----------------------------------------------------------------------
# phrases FILE: one query per line, each "A" "B" pair's phrase, with the
# pair it came from after a tab in FILE.pairs
nojoin() {
    f=$1
    db=$T/nj.$(echo "$f" | md5sum | cut -c1-8)
    # (a fixture with invalid UTF-8 is warned about: not this test's business)
    "$FZI" --db "$db" --quiet "$f" 2>"$T/nj.err" || return 1
    "$FZI" --outline --json "$f" >"$T/nj.json" 2>"$T/nj.err" || return 1
    python3 - "$T/nj.json" "$T/nj.q" <<'PY' || return 1
import json, sys, unicodedata
rows = [json.loads(l) for l in open(sys.argv[1])]
def word(c):
    return unicodedata.category(c)[0] in "LN"
def tail(s):
    w = [c for c in s if word(c)]
    return "".join(w[-2:])
def head(s):
    w = [c for c in s if word(c)]
    return "".join(w[:2])
qs = []
prev = None
for r in rows:
    start = r["title"] + r["text"]
    if prev is not None:
        qs.append((tail(prev["title"] + prev["end"]), head(start)))
    if r["section"] and (prev is None or prev["section"] != r["section"]):
        qs.append((tail(r["section"][-1]), head(start)))
    if r["title"] and r["text"]:
        qs.append((tail(r["title"]), head(r["text"])))
    prev = r
with open(sys.argv[2], "w") as q, open(sys.argv[2] + ".pairs", "w") as p:
    for a, b in qs:
        if len(a) == 2 and len(b) == 2:
            q.write('"' + a + b + '"\n')
            p.write(a + "|" + b + "\n")
PY
    [ -s "$T/nj.q" ] || return 0
    "$FZS" --db "$db" --batch "$T/nj.q" --json --no-snippet >"$T/nj.hits" || [ $? = 1 ] || return 1
    # a hit is fine only where the phrase is written inside one entry
    python3 - "$T/nj.hits" "$T/nj.q" "$FZS" "$db" <<'PY'
import json, subprocess, sys
qs = [l.strip().strip('"') for l in open(sys.argv[2])]
bad = 0
for l in open(sys.argv[1]):
    h = json.loads(l)
    q = qs[h["query"] - 1]
    e = json.loads(subprocess.run([sys.argv[3], "--db", sys.argv[4], "--json", "--show", str(h["id"])],
                                  capture_output=True, text=True).stdout)
    flat = "".join(c for c in e["title"] + "\n" + e["text"] if not c.isspace())
    if q not in flat:
        print("  joined across entries: %s in %s:%s" % (q, h["file"], h["line"]), file=sys.stderr)
        bad += 1
sys.exit(1 if bad else 0)
PY
}
for f in "$L"/*.txt "$ROOT"/tests/fixtures/parse/*.txt "$ROOT"/tests/fixtures/layout/*.txt \
    "$ROOT"/tests/fixtures/research/*.txt "$ROOT/corpus/xiacheng-2017-annual-focus.txt"; do
    [ -s "$f" ] || continue
    check "no joins: $(basename "$f")" nojoin "$f"
done
finish test_layouts
