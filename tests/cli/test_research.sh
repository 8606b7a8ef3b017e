#!/bin/sh
# Research output modes on real text: the terminal view with and without
# colour, JSON Lines, CSV (round-tripped through Python's csv module), TSV,
# the concordance (--kwic), counts, groups (--by), the sort orders, option
# errors, and the pager under a pseudo-terminal.  Expected values were
# checked against corpus/xiacheng-2017-annual-focus.txt and the fixtures in
# tests/fixtures/research/.
. "$(dirname "$0")/lib.sh"
DB=$T/db
VDB=$T/vdb
QDB=$T/qdb
"$FZI" --db "$DB" --quiet "$ROOT/corpus" || exit 1
"$FZI" --db "$VDB" --quiet "$ROOT/tests/fixtures/research/variants.txt" || exit 1
"$FZI" --db "$QDB" --quiet "$ROOT/tests/fixtures/research/quotes.txt" || exit 1
ESC=$(printf '\033')
# py CODE ARGS...: runs a Python check; CODE sees the arguments in sys.argv
py() { code=$1; shift; python3 -c "$code" "$@"; }
# same FILE TEXT: the file holds exactly TEXT (and a newline)
same() { printf '%s\n' "$2" >"$T/want"; cmp -s "$1" "$T/want" || { echo "  got: $(cat "$1")" >&2; echo "  want: $2" >&2; return 1; }; }
# no_esc FILE / has_esc FILE: ANSI escapes absent / present
no_esc() { ! grep -q "$ESC" "$1"; }
has_esc() { grep -q "$ESC\[1;31m井长制$ESC\[0m" "$1"; }

# ---- the terminal view and colour -----------------------------------------
check "terminal: exit 0" status_is 0 "$FZS" --db "$DB" --color=never 井长制
check "terminal --color=never: no escapes" no_esc "$T/out"
check "terminal --color=never: match in brackets" out_has '“\[井长制\]”管理模式推开后'
check "terminal: rank and title" out_has '^  1\. 首创窨井“\[井长制\]”$'
check "terminal: section, author, file:line" \
    out_has '年度聚焦 › 下城区获得浙江省治水工作“大禹鼎” · 徐杭 · corpus/xiacheng-2017-annual-focus.txt:170'
check "terminal --color=always: the match in bold red" status_is 0 "$FZS" --db "$DB" --color=always 井长制
check "terminal --color=always: escapes" has_esc "$T/out"
check "NO_COLOR does not override --color=always" \
    sh -c 'NO_COLOR=1 "$1" --db "$2" --color=always 井长制 >"$3/o"; grep -q "$4" "$3/o"' sh "$FZS" "$DB" "$T" "$ESC"
check "not a terminal: no colour by default" status_is 0 "$FZS" --db "$DB" 井长制
check "not a terminal: no escapes" no_esc "$T/out"
if command -v script >/dev/null 2>&1; then
    # on a terminal colour is on by default, NO_COLOR turns it off
    script -qec "\"$FZS\" --db \"$DB\" --no-pager 井长制" /dev/null >"$T/tty.out"
    check "a terminal: colour by default" has_esc "$T/tty.out"
    NO_COLOR=1 script -qec "\"$FZS\" --db \"$DB\" --no-pager 井长制" /dev/null >"$T/tty.out"
    check "a terminal with NO_COLOR: no escapes" no_esc "$T/tty.out"
    check "a terminal with NO_COLOR: brackets" grep -q '\[井长制\]' "$T/tty.out"
fi

# ---- JSON Lines ------------------------------------------------------------
check "--json: exit 0" status_is 0 "$FZS" --db "$DB" --json 井长制
check "--json: two hits, exact fields of the first" py '
import json, sys
h = [json.loads(l) for l in open(sys.argv[1])]
assert len(h) == 2, h
f = h[0]
assert (f["rank"], f["line"], f["title"], f["authors"], f["kind"], f["matches"]) == \
    (1, 170, "首创窨井“井长制”", ["徐杭"], "entry", 4), f
assert f["section"] == ["年度聚焦", "下城区获得浙江省治水工作“大禹鼎”"], f
assert f["title_highlights"] == [[5, 8]], f
assert all(f["snippet"][s:e] == "井长制" for s, e in f["highlights"]), f
assert [x["line"] for x in h] == [170, 176]
' "$T/out"
check "--json limits to 10 hits" sh -c '"$1" --db "$2" --json 杭州 | wc -l | grep -qx 10' sh "$FZS" "$DB"
check "--format jsonl gives every hit" sh -c '"$1" --db "$2" --format jsonl 杭州 | wc -l | grep -qx 20' sh "$FZS" "$DB"

# ---- CSV and TSV -----------------------------------------------------------
# round trip: what Python's csv module reads back equals the JSON Lines of
# the same query (ids, titles, authors, sections, snippets and the rest)
roundtrip() {
    db=$1 fmt=$2 q=$3
    "$FZS" --db "$db" --format "$fmt" "$q" >"$T/sv" && "$FZS" --db "$db" --format jsonl "$q" >"$T/jl" &&
        py '
import csv, json, sys
fmt, sv, jl = sys.argv[1:4]
with open(sv, newline="", encoding="utf-8") as f:
    raw = f.read()
if fmt == "csv":
    # RFC 4180: CRLF after every record, including the last
    assert raw.endswith("\r\n") and raw.count("\r\n") >= 2, repr(raw[-20:])
    rows = list(csv.reader(raw.splitlines(keepends=True), strict=True))
else:
    assert "\r" not in raw
    rows = [l.split("\t") for l in raw.split("\n")[:-1]]
hits = [json.loads(l) for l in open(jl, encoding="utf-8")]
head = rows[0]
assert head == ["id", "file", "line", "section", "title", "authors", "kind", "score", "matches", "snippet",
                "volume", "place", "year"], head
assert len(rows) - 1 == len(hits) > 0, (len(rows), len(hits))
flat = (lambda s: s) if fmt == "csv" else (lambda s: s.replace("\t", " ").replace("\n", " ").replace("\r", " "))
for r, h in zip(rows[1:], hits):
    assert len(r) == 13, r
    d = dict(zip(head, r))
    want = {"id": str(h["id"]), "file": h["file"], "line": str(h["line"]),
            "section": " › ".join(h["section"]), "title": h["title"], "authors": "; ".join(h["authors"]),
            "kind": h["kind"], "score": "%.4f" % h["score"], "matches": str(h["matches"]),
            "snippet": h["snippet"], "volume": h["volume"], "place": h["place"] or "",
            "year": "" if h["year"] is None else str(h["year"])}
    for k, v in want.items():
        assert d[k] == flat(v), (k, d[k], v)
' "$fmt" "$T/sv" "$T/jl"
}
check "CSV round trip: 杭州 (20 hits, commas in snippets)" roundtrip "$DB" csv 杭州
check "CSV round trip: 跨贸小镇 (two authors, a caption)" roundtrip "$DB" csv 跨贸小镇
check "CSV round trip: quotes and a comma in the title, a tab and a line break in the body" roundtrip "$QDB" csv 违章
check "CSV quotes a field with quotes by doubling them" \
    sh -c '"$1" --db "$2" --format csv 违章 | grep -q "^0,[^,]*,3,杂录,\"\"\"三改一拆\"\", 成效\",王五,entry,"' sh "$FZS" "$QDB"
check "TSV round trip: 杭州" roundtrip "$DB" tsv 杭州
check "TSV round trip: the tab in the body becomes a space" roundtrip "$QDB" tsv 违章
check "TSV: one header and one row, thirteen fields each" \
    sh -c '"$1" --db "$2" --format tsv 违章 | awk -F"\t" "NF != 13 { bad = 1 } END { exit bad || NR != 2 }"' sh "$FZS" "$QDB"

# ---- the concordance ---------------------------------------------------------
check "--kwic: exit 0" status_is 0 "$FZS" --db "$DB" --kwic --color=never 井长制
check "--kwic: one line per occurrence (1 title + 3 + 1)" sh -c 'test "$(wc -l <"$1")" -eq 5' sh "$T/out"
check "--kwic: file:line and title on each line" \
    sh -c 'test "$(grep -c "corpus/xiacheng-2017-annual-focus.txt:170  首创窨井“井长制”$" "$1")" -eq 4' sh "$T/out"
# the match starts at the same display column on every line (CJK = 2)
cat >"$T/align.py" <<'EOF'
import sys, unicodedata
def width(s):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 0 if unicodedata.combining(c) else 1 for c in s)
match = sys.argv[2]
cols = set()
for line in open(sys.argv[1], encoding="utf-8"):
    at = line.index(" " + match + " ")
    cols.add(width(line[:at]))
assert len(cols) == 1, cols
EOF
check "--kwic: the matches line up" python3 "$T/align.py" "$T/out" 井长制
# a lone character keeps no positions in the index (format 7): its places
# come from the entry's text analysed again, and must be exactly its own
check "--kwic of one character: exit 0" status_is 0 "$FZS" --db "$DB" --kwic --color=never --limit 0 井
check "--kwic of one character: one line per occurrence (10 in 2 entries)" sh -c 'test "$(wc -l <"$1")" -eq 10' sh "$T/out"
check "--kwic of one character: the character at the centre of every line" python3 "$T/align.py" "$T/out" 井
check "--kwic --color=always: the match coloured" status_is 0 "$FZS" --db "$DB" --kwic --color=always 井长制
check "--kwic --color=always: escapes around the match" has_esc "$T/out"
check "--kwic covers every hit, not 10 entries (23 occurrences in 12 entries)" \
    sh -c 'test "$("$1" --db "$2" --kwic 跨贸小镇 | wc -l)" -eq 23' sh "$FZS" "$DB"
check "--kwic --limit 1: the occurrences of the best entry only" \
    sh -c 'test "$("$1" --db "$2" --kwic --limit 1 井长制 | wc -l)" -eq 4' sh "$FZS" "$DB"
check "--kwic --json: exit 0" status_is 0 "$FZS" --db "$DB" --kwic --json 井长制
check "--kwic --json: exact rows" py '
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
assert len(r) == 5, len(r)
for x in r:
    for k in ("id", "file", "line", "title", "left", "match", "right", "section", "kind", "field", "offset"):
        assert k in x, (k, x)
    assert x["match"] == "井长制", x
    assert len(x["left"]) <= 20 and len(x["right"]) <= 20, x
    assert "query" not in x
a, b = r[0], r[1]
assert (a["id"], a["line"], a["field"], a["offset"], a["left"], a["right"]) == \
    (44, 170, "title", 5, "首创窨井“", "”"), a
assert (b["field"], b["left"], b["right"]) == \
    ("body", "月,下城区林司后小区在全省首次推出窨井“", "”管理模式。具体由辖区小餐饮业主担任“井"), b
assert [x["line"] for x in r] == [170, 170, 170, 170, 176]
' "$T/out"
check "--kwic --context 3" py '
import json, subprocess, sys
out = subprocess.run([sys.argv[1], "--db", sys.argv[2], "--kwic", "--json", "--context", "3", "井长制"],
                     capture_output=True, text=True).stdout
r = [json.loads(l) for l in out.splitlines()]
assert [(x["left"], x["right"]) for x in r][:3] == [("窨井“", "”"), ("窨井“", "”管理"), ("断。“", "”管理")], r
' "$FZS" "$DB"
check "--kwic: a line break in the context shows as a space" py '
import json, subprocess, sys
out = subprocess.run([sys.argv[1], "--db", sys.argv[2], "--kwic", "--json", "无违建"],
                     capture_output=True, text=True).stdout
r = [json.loads(l) for l in out.splitlines()]
assert len(r) == 1 and r[0]["left"] == "全年拆除违章建筑3924处。 \"", r
' "$FZS" "$QDB"
check "--kwic: a tab in the context shows as a space" py '
import json, subprocess, sys
out = subprocess.run([sys.argv[1], "--db", sys.argv[2], "--kwic", "--json", "违章"],
                     capture_output=True, text=True).stdout
r = [json.loads(l) for l in out.splitlines()]
assert [x["left"] for x in r] == ["全年拆除", "处。 \"无违建\"街道创建成效明显,拆除 "], r
' "$FZS" "$QDB"
cat >"$T/order.py" <<'EOF'
import json, subprocess, sys
fz, db, order, q = sys.argv[1:5]
args = [fz, "--db", db, "--kwic", "--json", q] + (["--sort", order] if order != "score" else [])
r = [json.loads(l) for l in subprocess.run(args, capture_output=True, text=True).stdout.splitlines()]
assert len(r) == 23, len(r)
if order == "left":
    keys = [x["left"][::-1] for x in r]
elif order == "right":
    keys = [x["right"] for x in r]
elif order == "source":
    keys = [(x["line"], x["field"] == "body", x["offset"]) for x in r]
else:
    # entries in score order, each entry's occurrences together, title first, then by offset
    seen, keys = [], []
    for x in r:
        if not seen or seen[-1] != x["id"]:
            assert x["id"] not in seen, "entry split"
            seen.append(x["id"])
        keys.append(0)
    for a, b in zip(r, r[1:]):
        if a["id"] == b["id"]:
            assert (a["field"] == "body", a["offset"]) < (b["field"] == "body", b["offset"]), (a, b)
assert keys == sorted(keys), keys
# the sorts are real: they differ from each other
print(json.dumps([(x["line"], x["offset"]) for x in r]))
EOF
for o in left right source score; do
    check "--kwic --sort $o orders the concordance" sh -c 'python3 "$1" "$2" "$3" "$4" 跨贸小镇 >"$5/order.$4"' sh "$T/order.py" "$FZS" "$DB" "$o" "$T"
done
check "--kwic: left, right, source and score orders all differ" \
    sh -c 'test "$(cat "$1"/order.left "$1"/order.right "$1"/order.source "$1"/order.score | sort -u | wc -l)" -eq 4' sh "$T"
check "--kwic --sort left: the first rows (nearest character ',' sorts first)" py '
import json, subprocess, sys
out = subprocess.run([sys.argv[1], "--db", sys.argv[2], "--kwic", "--json", "--sort", "left", "跨贸小镇"],
                     capture_output=True, text=True).stdout
r = [json.loads(l) for l in out.splitlines()]
assert [x["left"][-3:] for x in r[:3]] == ["此前,", "同时,", "商圈、"], [x["left"][-3:] for x in r[:3]]
' "$FZS" "$DB"
check "--kwic --format csv: header and rows" \
    sh -c '"$1" --db "$2" --kwic --format csv 井长制 >"$3/k.csv" && head -1 "$3/k.csv" | grep -q "^id,file,line,title,field,offset,left,match,right" && test "$(wc -l <"$3/k.csv")" -eq 6' sh "$FZS" "$DB" "$T"
check "--kwic --format csv reads back with the same contexts as --json" py '
import csv, json, subprocess, sys
fz, db = sys.argv[1:3]
c = subprocess.run([fz, "--db", db, "--kwic", "--format", "csv", "违章"], capture_output=True, text=True).stdout
j = subprocess.run([fz, "--db", db, "--kwic", "--json", "违章"], capture_output=True, text=True).stdout
rows = list(csv.DictReader(c.splitlines(keepends=True)))
objs = [json.loads(l) for l in j.splitlines()]
assert [(r["left"], r["match"], r["right"], r["title"]) for r in rows] == \
    [(o["left"], o["match"], o["right"], o["title"]) for o in objs], (rows, objs)
' "$FZS" "$QDB"
printf '井长制\n留置针\n' >"$T/batch"
check "--kwic --batch --json: query numbers" py '
import json, subprocess, sys
out = subprocess.run([sys.argv[1], "--db", sys.argv[2], "--kwic", "--json", "--batch", sys.argv[3]],
                     capture_output=True, text=True).stdout
r = [json.loads(l) for l in out.splitlines()]
assert [x["query"] for x in r] == [1, 1, 1, 1, 1, 2, 2], [x["query"] for x in r]
assert {x["match"] for x in r if x["query"] == 2} == {"留置针"}
' "$FZS" "$DB" "$T/batch"

# ---- counts ----------------------------------------------------------------
check "--count: exit 0" status_is 0 "$FZS" --db "$DB" --count 井长制
check "--count: entries and occurrences" same "$T/out" "2 entries, 5 occurrences"
check "--count --json" sh -c '"$1" --db "$2" --count --json 井长制 >"$3/c"' sh "$FZS" "$DB" "$T"
check "--count --json: exact object" same "$T/c" '{"entries":2,"occurrences":5}'
check "--count: one entry, one occurrence (singular)" sh -c '"$1" --db "$2" --count 宣传片 >"$3/c"' sh "$FZS" "$DB" "$T"
check "--count: singular words" same "$T/c" "1 entry, 1 occurrence"
check "--count, no match: exit 1" status_is 1 "$FZS" --db "$DB" --count 不存在的词语组合
check "--count, no match: zeros" same "$T/out" "0 entries, 0 occurrences"
check "--count --batch: query, entries, occurrences" \
    sh -c '"$1" --db "$2" --count --batch "$3" >"$4/c"' sh "$FZS" "$DB" "$T/batch" "$T"
check "--count --batch: exact lines" same "$T/c" "$(printf '1\t2\t5\n2\t1\t2')"

check "--count --format csv" sh -c '"$1" --db "$2" --count --format csv 井长制 >"$3/c"' sh "$FZS" "$DB" "$T"
check "--count --format csv: header and row, CRLF" same "$T/c" "$(printf 'entries,occurrences\r\n2,5\r')"
check "--count --format tsv --batch" sh -c '"$1" --db "$2" --count --format tsv --batch "$3" >"$4/c"' sh "$FZS" "$DB" "$T/batch" "$T"
check "--count --format tsv --batch: exact" same "$T/c" "$(printf 'query\tentries\toccurrences\n1\t2\t5\n2\t1\t2')"

# ---- groups ------------------------------------------------------------------
by_json() { "$FZS" --db "$1" --by "$2" --json "$3" >"$T/by" && same "$T/by" "$4"; }
check "--by section --json" by_json "$DB" section 城中村改造 "$(printf '%s\n' \
    '{"group":"年度聚焦 › 城中村改造","entries":6,"occurrences":10}' \
    '{"group":"年度聚焦 › “三实三比”勇当排头兵主题活动","entries":3,"occurrences":3}' \
    '{"group":"年度聚焦 › 下城区获得浙江省治水工作“大禹鼎”","entries":1,"occurrences":1}' \
    '{"group":"年度聚焦 › 全域中央商务区建设","entries":1,"occurrences":1}')"
check "--by author --json: two authors of one entry count in both" by_json "$DB" author 跨贸小镇 "$(printf '%s\n' \
    '{"group":"陈波宇","entries":4,"occurrences":8}' \
    '{"group":"严建","entries":3,"occurrences":7}' \
    '{"group":"区跨贸小镇管委会","entries":2,"occurrences":5}' \
    '{"group":"区委办","entries":1,"occurrences":4}' \
    '{"group":"朱佳祺","entries":1,"occurrences":1}' \
    '{"group":"沈梦萍","entries":1,"occurrences":1}' \
    '{"group":"陆婷","entries":1,"occurrences":1}')"
check "--by author --json: entries without authors are (none)" by_json "$VDB" author 峰 \
    '{"group":"(none)","entries":2,"occurrences":8}'
check "--by file --json" by_json "$DB" file 井长制 \
    "{\"group\":\"$ROOT/corpus/xiacheng-2017-annual-focus.txt\",\"entries\":2,\"occurrences\":5}"
check "--by kind --json" by_json "$DB" kind 跨贸小镇 "$(printf '%s\n' \
    '{"group":"entry","entries":11,"occurrences":22}' '{"group":"caption","entries":1,"occurrences":1}')"
check "--by form --json: traditional and simplified forms of 長安" by_json "$VDB" form 長安 "$(printf '%s\n' \
    '{"group":"長安","entries":1,"occurrences":2}' '{"group":"长安","entries":1,"occurrences":2}')"
check "--by form --json: the variant 峯 and 峰" by_json "$VDB" form 峰 "$(printf '%s\n' \
    '{"group":"峯","entries":2,"occurrences":5}' '{"group":"峰","entries":2,"occurrences":3}')"
check "--by form --fold none: only the form asked for" sh -c '"$1" --db "$2" --by form --json --fold none 峰 >"$3/by"' sh "$FZS" "$VDB" "$T"
check "--by form --fold none: exact" same "$T/by" '{"group":"峰","entries":2,"occurrences":3}'
check "--by form --json: the wildcard's forms" by_json "$DB" form '第?批' "$(printf '%s\n' \
    '{"group":"第一批","entries":2,"occurrences":2}' '{"group":"第四批","entries":1,"occurrences":1}')"
check "--by section: occurrences add up to --count" py '
import json, subprocess, sys
fz, db = sys.argv[1:3]
g = [json.loads(l) for l in subprocess.run([fz, "--db", db, "--by", "section", "--json", "杭州"],
                                           capture_output=True, text=True).stdout.splitlines()]
c = json.loads(subprocess.run([fz, "--db", db, "--count", "--json", "杭州"], capture_output=True, text=True).stdout)
assert sum(x["entries"] for x in g) == c["entries"] == 20, (g, c)
assert sum(x["occurrences"] for x in g) == c["occurrences"] == 49, (g, c)
' "$FZS" "$DB"
check "--by kind: terminal table" sh -c 'COLUMNS=60 "$1" --db "$2" --by kind --color=never 跨贸小镇 >"$3/by"' sh "$FZS" "$DB" "$T"
check "--by kind: terminal table, exact" same "$T/by" "$(printf '%s\n' \
    'kind      entries  occurrences' \
    'entry          11           22  ███████████████████████████' \
    'caption         1            1  █▎' \
    '2 groups       12           23')"
check "--by section: the bars start at one display column" sh -c '
COLUMNS=100 "$1" --db "$2" --by section --color=never 杭州 >"$3/by" && python3 -c "
import sys, unicodedata
w = lambda s: sum(2 if unicodedata.east_asian_width(c) in \"WF\" else 1 for c in s)
cols = set()
for l in list(open(sys.argv[1], encoding=\"utf-8\"))[1:-1]:
    i = min(l.index(c) for c in \"█▉▊▋▌▍▎▏\" if c in l)
    cols.add(w(l[:i]))
    assert w(l.rstrip(\"\\n\")) <= 100, l
assert len(cols) == 1, cols
" "$3/by"' sh "$FZS" "$DB" "$T"
check "--by section: a long path is cut at its outer end" sh -c '
COLUMNS=60 "$1" --db "$2" --by section --color=never 治水 | grep -q "^…浙江省治水工作“大禹鼎”   *5  "' sh "$FZS" "$DB"
check "--by --format csv" sh -c '"$1" --db "$2" --by kind --format csv 跨贸小镇 >"$3/by"' sh "$FZS" "$DB" "$T"
check "--by --format csv: exact" same "$T/by" "$(printf 'group,entries,occurrences\r\nentry,11,22\r\ncaption,1,1\r')"
check "--by, no match: exit 1 and nothing printed" status_is 1 "$FZS" --db "$DB" --by section 不存在的词语组合
check "--by, no match: empty output" test ! -s "$T/out"

# ---- sort ------------------------------------------------------------------
check "--sort source: hits in reading order" sh -c '
"$1" --db "$2" --sort source --format jsonl 武林商圈 | python3 -c "
import json, sys
l = [json.loads(x)[\"line\"] for x in sys.stdin]
assert l == [23, 27, 32, 38, 42, 184, 190], l"' sh "$FZS" "$DB"

# ---- option errors -----------------------------------------------------------
check "--sort left without --kwic: exit 2" status_is 2 "$FZS" --db "$DB" --sort left 井长制
check "--sort left without --kwic: one line" one_line
check "--sort left without --kwic: says to add --kwic" err_has "add --kwic"
check "--kwic with --count: exit 2" status_is 2 "$FZS" --db "$DB" --kwic --count 井长制
check "--kwic with --count: one line" one_line
check "--by with a bad grouping: exit 2" status_is 2 "$FZS" --db "$DB" --by colour 井长制
check "--by with a bad grouping: lists the choices" err_has "section, author, file, kind, form"
check "--context too large: exit 2" status_is 2 "$FZS" --db "$DB" --kwic --context 5000 井长制
check "--sort with a bad order: exit 2" status_is 2 "$FZS" --db "$DB" --sort random 井长制
check "bad query with --kwic: exit 2, one line" status_is 2 "$FZS" --db "$DB" --kwic '商圈 (智慧'
check "bad query with --kwic: the column" err_has "(at column 4)"
check "--help lists the new options" sh -c '"$1" --help >"$2/help"' sh "$FZS" "$T"
for o in --kwic --context --by --no-pager "--sort ORDER" NEAR/ EXCEPT "title:" "exit status"; do
    check "--help mentions $o" grep -q -- "$o" "$T/help"
done

# ---- the pager ---------------------------------------------------------------
if command -v script >/dev/null 2>&1; then
    cat >"$T/pager.sh" <<EOF
#!/bin/sh
echo invoked >>"$T/pager.log"
cat >"$T/paged.txt"
EOF
    chmod +x "$T/pager.sh"
    # tty CMD: runs CMD (a shell command line) under a pseudo-terminal;
    # stderr of fzsearch goes to $T/tty.err, the status is kept
    tty() { rm -f "$T/pager.log" "$T/paged.txt"; script -qec "$1 2>\"$T/tty.err\"" /dev/null >"$T/tty.out"; }
    tty "PAGER=\"$T/pager.sh\" \"$FZS\" --db \"$DB\" 井长制"
    check "pager: used on a terminal" test -s "$T/pager.log"
    check "pager: gets the hits" grep -q '首创窨井' "$T/paged.txt"
    check "pager: colours kept" has_esc "$T/paged.txt"
    check "pager: started once" test "$(wc -l <"$T/pager.log")" -eq 1
    tty "PAGER=\"$T/pager.sh\" \"$FZS\" --db \"$DB\" --kwic 井长制"
    check "pager: --kwic paged too" grep -q '治水宣传发动' "$T/paged.txt"
    tty "PAGER=\"$T/pager.sh\" \"$FZS\" --db \"$DB\" --no-pager 井长制"
    check "pager: --no-pager turns it off" test ! -e "$T/pager.log"
    check "pager: --no-pager writes to the terminal" grep -q '首创窨井' "$T/tty.out"
    tty "PAGER=\"$T/pager.sh\" \"$FZS\" --db \"$DB\" 井长制 >\"$T/file.out\""
    check "pager: not when stdout is a file" test ! -e "$T/pager.log"
    check "pager: the file gets the hits, without colour" sh -c 'grep -q "首创窨井" "$1" && ! grep -q "$2" "$1"' sh "$T/file.out" "$ESC"
    tty "PAGER= \"$FZS\" --db \"$DB\" 井长制"
    check "pager: an empty PAGER means none" grep -q '首创窨井' "$T/tty.out"
    tty "PAGER=cat FANGZHI_PAGER=\"$T/pager.sh\" \"$FZS\" --db \"$DB\" 井长制"
    check "pager: FANGZHI_PAGER comes before PAGER" test -s "$T/pager.log"
    tty "PAGER=cat \"$FZS\" --db \"$DB\" --color=never 井长制"
    check "pager: PAGER=cat shows the hits" grep -q '首创窨井“\[井长制\]”' "$T/tty.out"
    tty "PAGER=\"$T/pager.sh\" \"$FZS\" --db \"$DB\" 不存在的词语组合"
    check "pager: not started when nothing is printed" test ! -e "$T/pager.log"
    tty "PAGER=\"$T/pager.sh\" \"$FZS\" --db \"$DB\" '商圈 (智慧'"
    check "pager: not started for a bad query" test ! -e "$T/pager.log"
    check "pager: the error reaches the terminal" grep -q 'at column 4' "$T/tty.err"
    # a pager that quits at once, before reading a large output: no error
    # message, and the exit status says hits were found
    for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do echo 下城区; done >"$T/big"
    check "pager quits early: exit status 0" script -qec "PAGER=true \"$FZS\" --db \"$DB\" --json --batch \"$T/big\" 2>\"$T/tty.err\"" /dev/null
    check "pager quits early: no error message" test ! -s "$T/tty.err"
    check "pager quits early (--kwic): exit status 0" script -qec "PAGER=true \"$FZS\" --db \"$DB\" --kwic --context 200 下城区 2>\"$T/tty.err\"" /dev/null
    check "pager quits early (--kwic): no error message" test ! -s "$T/tty.err"
    # a pager that fails (its command is not found) is an error, not exit 0
    check "failed pager: exit status 2" sh -c 'script -qec "PAGER=no-such-pager-fz \"$1\" --db \"$2\" 井长制 2>\"$3\"" /dev/null >/dev/null; script -qec "PAGER=no-such-pager-fz \"$1\" --db \"$2\" 井长制 2>/dev/null; exit \$?" /dev/null >/dev/null; test $? -eq 2' sh "$FZS" "$DB" "$T/tty.err"
    check "failed pager: says so" grep -q "the pager 'no-such-pager-fz' failed (exit status 127)" "$T/tty.err"
    check "no match on a terminal: exit status 1" sh -c '! script -qec "PAGER=true \"$1\" --db \"$2\" 不存在的词语组合" /dev/null >/dev/null; script -qec "PAGER=true \"$1\" --db \"$2\" 不存在的词语组合" /dev/null >/dev/null; test $? -eq 1' sh "$FZS" "$DB"
else
    echo "$0: script(1) not found: pager tests skipped" >&2
fi
# ---- --batch: query numbers, separators, blank and failing lines ----------
printf '井长制\n\n   \n商圈 (智慧\n9\t治水\n' >"$T/b2"
check "batch: a failing line makes exit 2" status_is 2 "$FZS" --db "$DB" -n 1 --no-snippet --batch "$T/b2"
check "batch: one message, for the failing line" one_line
check "batch: the message names file and line" err_has "--batch .*b2:4: bad query: .*(at column 4)"
check "batch: plain output heads each query" sh -c 'grep -q "^# 1: 井长制$" "$1" && grep -q "^# 5: 治水$" "$1"' sh "$T/out"
check "batch: the lines after the failing one ran" grep -q "\[治水\]宣传发动" "$T/out"
check "batch: blank lines are skipped, not run" sh -c '! grep -q "^# [23]:" "$1"' sh "$T/out"
check "batch --format csv: query column" py '
import csv, io, subprocess, sys
r = subprocess.run([sys.argv[1], "--db", sys.argv[2], "--format", "csv", "-n", "2", "--batch", sys.argv[3]],
                   capture_output=True, text=True)
assert r.returncode == 2, r.returncode
rows = list(csv.reader(io.StringIO(r.stdout, newline="")))
assert rows[0][:2] == ["query", "id"], rows[0]
assert [x[0] for x in rows[1:]] == ["1", "1", "5", "5"], rows
assert all(len(x) == len(rows[0]) for x in rows)
' "$FZS" "$DB" "$T/b2"
check "batch --kwic --format tsv: query column" py '
import subprocess, sys
r = subprocess.run([sys.argv[1], "--db", sys.argv[2], "--kwic", "--format", "tsv", "--batch", sys.argv[3]],
                   capture_output=True, text=True)
rows = [l.split("\t") for l in r.stdout.splitlines()]
assert rows[0][:3] == ["query", "id", "file"], rows[0]
assert {x[0] for x in rows[1:]} == {"1", "5"}, {x[0] for x in rows[1:]}
assert all(x[0] == "1" and x[8] == "井长制" or x[0] == "5" and x[8] == "治水" for x in rows[1:])
' "$FZS" "$DB" "$T/b2"
check "batch --by file --format csv: query column" py '
import subprocess, sys
r = subprocess.run([sys.argv[1], "--db", sys.argv[2], "--by", "kind", "--format", "csv", "--batch", sys.argv[3]],
                   capture_output=True, text=True)
assert r.stdout.splitlines()[0] == "query,group,entries,occurrences", r.stdout
assert [l.split(",")[0] for l in r.stdout.splitlines()[1:]] == ["1", "5"], r.stdout
' "$FZS" "$DB" "$T/b2"
printf '井长制\n\n' >"$T/b3"
check "batch: a trailing blank line is no error" status_is 0 "$FZS" --db "$DB" --count --batch "$T/b3"
check "batch: a trailing blank line: no message" test ! -s "$T/err"
check "batch DIR: exit 2" status_is 2 "$FZS" --db "$DB" --batch "$T"
check "batch DIR: one line" one_line
check "batch DIR: says it is a directory" err_has "Is a directory"
check "--timing --json without --batch: one timing record" sh -c '"$1" --db "$2" --json --timing --no-snippet 井长制 | tail -1 | grep -q "^{\"ms\":[0-9.]*,\"returned\":2}$"' sh "$FZS" "$DB"
# the bars of --by are drawn in the plain output, on a terminal or not
check "--by: bars when not on a terminal" sh -c '"$1" --db "$2" --by kind 井长制 | grep -q "█"' sh "$FZS" "$DB"

# ---- --offset: ranks are positions in the whole ranking --------------------
"$FZS" --db "$DB" --json -n 0 杭州 >"$T/all.json"
check "offset: json ranks 6 and 7 are the 6th and 7th hits" \
    sh -c '"$1" --db "$2" --json --offset 5 -n 2 杭州 | python3 -c "
import json, sys
got = [json.loads(l) for l in sys.stdin]
full = [json.loads(l) for l in open(sys.argv[1])]
assert [(h[\"rank\"], h[\"id\"]) for h in got] == [(h[\"rank\"], h[\"id\"]) for h in full[5:7]], got
assert [h[\"rank\"] for h in got] == [6, 7], got" "$3"' sh "$FZS" "$DB" "$T/all.json"
check "offset: the terminal numbers 6 and 7" \
    sh -c '"$1" --db "$2" --offset 5 -n 2 杭州 | grep -E "^ *[0-9]+\. " | cut -c1-4 | tr -d " " | tr "\n" " " | grep -qx "6. 7. "' sh "$FZS" "$DB"
check "offset: csv keeps the same hits" \
    sh -c 'test "$("$1" --db "$2" --format csv --offset 5 -n 2 杭州 | sed -n 2p | cut -d, -f1)" = "$(sed -n 6p "$3" | python3 -c "import json,sys; print(json.load(sys.stdin)[\"id\"])")"' sh "$FZS" "$DB" "$T/all.json"
# a huge --limit is "all", not "out of memory"
check "-n 2147483647: exit 0" status_is 0 "$FZS" --db "$DB" --json -n 2147483647 杭州
check "-n 2147483647: every hit" test "$(wc -l <"$T/out")" -eq "$(wc -l <"$T/all.json")"
check "-n 4294967295 --offset 4294967295: nothing to show, exit 0" status_is 0 "$FZS" --db "$DB" -n 4294967295 --offset 4294967295 杭州

# ---- field values that start with '/' work like the quoted forms ----------
C=$ROOT/corpus/xiacheng-2017-annual-focus.txt
"$FZS" --db "$DB" --count "file:\"$C\"" >"$T/fq"
check "file:/abs/path: counts as the quoted form" sh -c '"$1" --db "$2" --count "file:$3" | cmp -s - "$4"' sh "$FZS" "$DB" "$C" "$T/fq"
check "file:/abs/path: matches" sh -c '! grep -q "^0 entries" "$1"' sh "$T/fq"
"$FZS" --db "$DB" --json -n 0 'title:"/概况" 杭州' >"$T/tq"
check "title:/x: same hits as the quoted form" sh -c '"$1" --db "$2" --json -n 0 "title:/概况 杭州" | cmp -s - "$3"' sh "$FZS" "$DB" "$T/tq"

finish research
