#!/bin/sh
# fzindex --export FILE: every live entry once, its fields exact (the
# volume, place and year of the catalog included), valid
# JSON Lines; from a directory and from a packed archive; a removed file's
# entries are gone; never over an existing file; errors in one line.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
mkdir -p "$T/src"
cp "$ROOT/corpus/xiacheng-2017-annual-focus.txt" "$T/src/a.txt"
awk '{ gsub(/下城区/, "上城区"); print }' "$ROOT/corpus/xiacheng-2017-annual-focus.txt" >"$T/src/b.txt"
printf '第一篇 测试\n\n【引号"与\\反斜杠\t制表】 正文\001控制字符与"引号"。\n(张三 李四)\n' >"$T/src/c.txt"
printf 'file,title,place,year\na.txt,下城年鉴,杭州,2017\n' >"$T/shelf.csv"
"$FZI" --db "$T/db" --quiet --catalog "$T/shelf.csv" "$T/src" || exit 1
"$FZI" --db "$T/db" --quiet --remove "$T/src/b.txt"

check "export exits 0" status_is 0 "$FZI" --db "$T/db" --export "$T/all.jsonl"
check "export: a summary line" err_has "exported 61 entries"
"$FZI" --db "$T/db" --list | awk 'NR > 1 { n += $1 } END { print n }' >"$T/listed"
check "export: every entry once, each a JSON object with exactly the fields" $PY - "$T/all.jsonl" "$(cat "$T/listed")" <<'PYEOF'
import json, sys
path, listed = sys.argv[1], int(sys.argv[2])
keys = ["id", "file", "volume", "place", "year", "line", "section", "title", "authors", "kind", "text"]
ids = []
raw = open(path, "rb").read()
assert raw.endswith(b"\n"), "ends with a newline"
for line in raw.decode("utf-8").split("\n")[:-1]:
    o = json.loads(line)
    assert list(o) == keys, list(o)
    assert isinstance(o["id"], int) and isinstance(o["line"], int)
    assert all(isinstance(s, str) for s in o["section"] + o["authors"])
    assert o["kind"] in ("entry", "sidebar", "caption", "toc", "note")
    assert isinstance(o["volume"], str) and o["volume"]
    assert "b.txt" not in o["file"], "a removed file's entry"
    ids.append(o["id"])
assert len(ids) == listed == len(set(ids)), (len(ids), listed, len(set(ids)))
assert ids == sorted(ids)
PYEOF
check "export: fields exact against the sources" $PY - "$T/all.jsonl" <<'PYEOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
e = {r["id"]: r for r in rows}
r = next(r for r in rows if r["title"] == "首创窨井“井长制”")
assert r["line"] == 170 and r["file"].endswith("/a.txt"), r
assert r["section"] == ["年度聚焦", "下城区获得浙江省治水工作“大禹鼎”"], r["section"]
assert r["authors"] == ["徐杭"] and r["kind"] == "entry"
assert (r["volume"], r["place"], r["year"]) == ("下城年鉴", "杭州", 2017), r
assert r["text"].startswith("2017年5月,下城区林司后小区在全省首次推出窨井“井长制”管理模式") and r["text"].endswith("一条新路。"), r["text"]
# every entry's line holds its 【title】 and the beginning of its text
for r in rows:
    src = open(r["file"], encoding="utf-8").read().split("\n")
    line = src[r["line"] - 1]
    if r["kind"] == "entry" and r["title"]:
        assert "【" + r["title"] + "】" in line, (r["id"], line)
h = next(r for r in rows if r["file"].endswith("/c.txt"))
assert h["title"] == '引号"与\\反斜杠\t制表', h["title"]
assert h["authors"] == ["张三", "李四"], h["authors"]
assert (h["volume"], h["place"], h["year"]) == ("c", None, None), h
assert "\x01" in h["text"] or "控制字符" in h["text"]
PYEOF
id=$($PY -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["id"])' "$T/all.jsonl")
"$FZS" --db "$T/db" --show "$id" --json >"$T/show"
check "export: the object of fzsearch --show --json" sh -c "head -1 '$T/all.jsonl' | cmp -s - '$T/show'"
"$FZI" --db "$T/db" --quiet --pack "$T/pack.fz"
check "export from a packed archive" status_is 0 "$FZI" --db "$T/pack.fz" --quiet --export "$T/pack.jsonl"
check "export from a packed archive: the same" cmp -s "$T/all.jsonl" "$T/pack.jsonl"
check "export to stdout" sh -c "'$FZI' --db '$T/db' --export - | cmp -s - '$T/all.jsonl'"
cp "$T/all.jsonl" "$T/keep"
check "export never over an existing file" status_is 2 "$FZI" --db "$T/db" --export "$T/all.jsonl"
check "export over a file: one line" one_line
check "export over a file: says so" err_has "File exists"
check "export over a file: the file is untouched" cmp -s "$T/all.jsonl" "$T/keep"
check "export without an index" status_is 2 "$FZI" --db "$T/none" --export "$T/x.jsonl"
check "export without an index: one line" one_line
check "export without an index: no file left" test ! -e "$T/x.jsonl"
check "export into a missing directory" status_is 2 "$FZI" --db "$T/db" --export "$T/no/such/x.jsonl"
check "export with files given" status_is 2 "$FZI" --db "$T/db" --export "$T/y.jsonl" "$T/src/a.txt"
check "export with --pack" status_is 2 "$FZI" --db "$T/db" --export "$T/y.jsonl" --pack "$T/z"
finish export
