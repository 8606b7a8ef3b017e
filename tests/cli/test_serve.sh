#!/bin/sh
# The reading room (fzsearch --serve), as a browser and a script see it:
# the server starts on a free loopback port and prints its URL; pages and
# status codes checked with curl (200, 400 with the command line's message
# and the query kept in the box, 404, 405, 414); every string from the
# texts HTML-escaped (an entry whose title and body hold <script>, quotes,
# & and </mark>); the exports and the API equal fzsearch --format csv|jsonl
# and --json; a search past --time-limit gets the "too broad" page; load
# and abuse (tests/serve/abuse.py); a real browser (tests/serve/browser.py,
# screenshots under build/); SIGTERM and SIGINT stop it cleanly; a damaged
# index: refused at the start, or 500 pages, or one line and exit 2.
. "$(dirname "$0")/lib.sh"
PID=
# a server this script started never outlives it, however it ends
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$T"' EXIT
PY=/usr/bin/python3
export LC_ALL=C.UTF-8
command -v curl >/dev/null || { echo "$0: curl missing (tools/deps.sh installs it)" >&2; exit 1; }

mkdir -p "$T/src"
cp "$ROOT/corpus/xiacheng-2017-annual-focus.txt" "$T/src/"
# a hostile entry, after the sample (ids of the sample stay as they are)
printf '第一篇 测试\n\n【<script>alert("t")</script> & '"'"'q'"'"' </mark>危险字】 正文<script>alert(1)</script>，"双引号"与'"'"'单引号'"'"' & 符号</mark>，危险字在此。\n(张三)\n' \
    >"$T/src/zz-hostile.txt"
printf 'file,title,place,year\nxiacheng-2017-annual-focus.txt,下城年鉴,杭州,2017\n' >"$T/shelf.csv"
"$FZI" --db "$T/db" --quiet --catalog "$T/shelf.csv" "$T/src" || exit 1

Q=$(enc 井长制)

# the programs do not load libmicrohttpd (and GnuTLS's nine libraries) for
# a query: --serve opens it when it starts (searcher/httpd.h)
if command -v ldd >/dev/null; then
    check "fzsearch is not linked with libmicrohttpd" sh -c "! ldd '$FZS' | grep -q microhttpd"
    check "fzindex is not linked with libmicrohttpd" sh -c "! ldd '$FZI' | grep -q microhttpd"
fi

check "serve starts on a free loopback port" serve --serve 127.0.0.1:0
check "it prints its URL" grep -q '^serving .* at http://127\.0\.0\.1:[0-9]*/ ' "$T/serve.out"
check "no warning on loopback" test ! -s "$T/serve.err"

# ---- pages
get /
check "/: 200" code_is 200
check "/: lang=zh, UTF-8" sh -c "grep -q '<html lang=\"zh\">' '$T/body' && grep -q '<meta charset=\"utf-8\">' '$T/body'"
check "/: a search box" body_has '<input type="search" name="q"'
check "/: the fold levels" sh -c "grep -q 'value=\"variants\"' '$T/body' && grep -q 'value=\"ts\"' '$T/body' && grep -q 'value=\"none\"' '$T/body'"
check "/: links to /help" body_has 'href="/help"'
check "/: no script" body_lacks '<script'
check "/: nothing fetched from elsewhere" sh -c "! grep -qE '(src|href)=\"(https?:)?//' '$T/body'"
get /help
check "/help: 200" code_is 200
"$FZS" --help | sed -n '/^query syntax:/,/^$/p' | sed '1d;$d' >"$T/syntax"
check "/help: the query syntax of --help, line for line" $PY -c '
import html, sys
page = html.unescape(open(sys.argv[1], encoding="utf-8").read())
lines = [l for l in open(sys.argv[2], encoding="utf-8").read().splitlines() if l.strip()]
sys.exit(0 if len(lines) > 5 and all(l in page for l in lines) else 1)' "$T/body" "$T/syntax"
get /style.css
check "/style.css: 200" code_is 200
check "/style.css: a phone layout" body_has '@media (max-width:'
get "/search?q=$Q"
check "/search: 200" code_is 200
check "/search: the count" body_has '共 <b>2</b> 条'
check "/search: 首创窨井 first" sh -c "grep -o 'class=\"hit\">.*' '$T/body' | head -1 >/dev/null; grep -A1 '<li class=\"hit\">' '$T/body' | sed -n 2p | grep -q '首创窨井'"
check "/search: the title links to the entry" body_has "<a href=\"/entry/44?q=$Q\">"
check "/search: matches in <mark>" body_has '<mark>井长制</mark>'
check "/search: the section path narrows" grep -qF 'href="/search?q=%E4%BA%95%E9%95%BF%E5%88%B6%20section%3A%22%E5%B9%B4%E5%BA%A6%E8%81%9A%E7%84%A6%22"' "$T/body"
check "/search: the author narrows" grep -qF "author%3A%22$(enc 徐杭 | sed 's/%/%/g')%22" "$T/body"
check "/search: file:line" body_has 'xiacheng-2017-annual-focus.txt:170'
check "/search: the volume, as --json names it" body_has "《<a href=\"/search?q=$Q%20volume%3A%22$(enc 下城年鉴)%22\" class=\"vo\""
check "/search: place narrows" grep -qF "place%3A%22$(enc 杭州)%22" "$T/body"
check "/search: year narrows" grep -qF 'year%3A2017"' "$T/body"
get "/search?q=$Q%20year%3A2017"
check "/search: the year link finds the entry" body_has '共 <b>2</b> 条'
get "/search?q=$Q%20volume%3A%22$(enc 下城年鉴)%22"
check "/search: the volume link finds the entry" body_has '共 <b>2</b> 条'
get "/search?q=$Q"
check "/search: a volume bar in the side panel" body_has '<h3>卷册 <small>1</small></h3>'
check "/search: the side panel with bars" sh -c "grep -q '<aside class=\"facets\"' '$T/body' && grep -q 'class=\"bar\" style=\"width:100.0%\"' '$T/body'"
check "/search: a link to the concordance" body_has "href=\"/kwic?q=$Q\""
check "/search: the exports" sh -c "grep -qF 'href=\"/export.csv?q=$Q\"' '$T/body' && grep -qF 'href=\"/export.jsonl?q=$Q\"' '$T/body'"
check "/search: the query stays in the box" body_has 'value="井长制"'
get "/search?q=$(enc 下城区)"
check "/search: paging links" sh -c "grep -q 'rel=\"next\"' '$T/body' && grep -q 'page=2' '$T/body'"
n1=$(grep -c '<li class="hit">' "$T/body")
get "/search?q=$(enc 下城区)&page=2"
check "/search: page 2 starts at 11" body_has '<ol class="hits" start="11">'
check "/search: ten hits a page" [ "$n1" = 10 ]
get "/search?q=$(enc 長制)&fold=none"
check "/search?fold=none: the exact forms only" body_has '共 <b>0</b> 条'
get "/search?q=$(enc 長制)"
check "/search: folding by default" sh -c "! grep -qF '共 <b>0</b> 条' '$T/body'"
get "/kwic?q=$(enc 治水)&sort=left"
check "/kwic: 200" code_is 200
check "/kwic: aligned rows" sh -c "[ \$(grep -c '<td class=\"m\">' '$T/body') -gt 5 ]"
check "/kwic: each row links to its entry" sh -c "grep '<td class=\"m\">' '$T/body' | grep -q 'href=\"/entry/[0-9]*?q='"
"$FZS" --db "$T/db" --kwic --sort left --json 治水 | $PY -c '
import json, sys
for l in sys.stdin: print(json.loads(l)["left"][-3:])' >"$T/left.cli"
check "/kwic?sort=left: the order of --kwic --sort left" $PY -c '
import html, re, sys
page = open(sys.argv[1], encoding="utf-8").read()
got = [html.unescape(m)[-3:] for m in re.findall(r"<td class=\"l\"><span>(.*?)</span>", page)]
want = open(sys.argv[2], encoding="utf-8").read().splitlines()
sys.exit(0 if got == want and len(got) > 5 else 1)' "$T/body" "$T/left.cli"
get "/entry/44?q=$Q"
check "/entry: 200" code_is 200
check "/entry: the whole text" body_has '较好地营造“携手共管、长效治水”的浓厚氛围'
check "/entry: matches marked" sh -c "[ \$(grep -o '<mark>井长制</mark>' '$T/body' | wc -l) -ge 4 ]"
check "/entry: the attribution" body_has '（徐杭）'
check "/entry: previous and next of the same volume" sh -c "grep -qF 'href=\"/entry/43?q=$Q\"' '$T/body' && grep -qF 'href=\"/entry/45?q=$Q\"' '$T/body'"
check "/entry: a link to its section" body_has '本节全部条目'
get /entry/0
check "/entry/0: no previous link (the first entry)" sh -c "! grep -q 'rel=\"prev\"' '$T/body'"

# ---- exports and the API are the command line's output
get "/export.csv?q=$(enc 治水)"
check "/export.csv: 200" code_is 200
"$FZS" --db "$T/db" --format csv 治水 >"$T/cli.csv"
check "/export.csv: the same as --format csv" cmp -s "$T/body" "$T/cli.csv"
get "/export.jsonl?q=$(enc 下城区)"
"$FZS" --db "$T/db" --format jsonl 下城区 >"$T/cli.jsonl"
check "/export.jsonl: the same as --format jsonl" cmp -s "$T/body" "$T/cli.jsonl"
check "/export.jsonl: every hit" [ "$(wc -l <"$T/body")" -gt 10 ]
get "/api/search?q=$(enc 治水)&page=2"
"$FZS" --db "$T/db" --json --offset 10 治水 >"$T/cli.json"
check "/api/search: the same objects as --json" cmp -s "$T/body" "$T/cli.json"
curl -s -D "$T/headers" -o /dev/null "$URL/export.csv?q=$Q"
check "/export.csv: a download" grep -qi '^content-disposition: attachment; filename="fangzhi.csv"' "$T/headers"
check "/export.csv: text/csv" grep -qi '^content-type: text/csv' "$T/headers"

# ---- escaping: the hostile entry
get "/search?q=$(enc 危险字)"
check "escaping: no <script> from the text" body_lacks '<script'
check "escaping: <script> shown as text" body_has '&lt;script&gt;alert(&quot;t&quot;)&lt;/script&gt;'
check "escaping: &" body_has ' &amp; &#39;q&#39; '
check "escaping: </mark> from the text" body_has '&lt;/mark&gt;'
check "escaping: <mark> and </mark> pair up" sh -c "[ \$(grep -o '<mark>' '$T/body' | wc -l) = \$(grep -o '</mark>' '$T/body' | wc -l) ]"
check "escaping: the text's quotes" body_has '&quot;双引号&quot;与&#39;单引号&#39; &amp; 符号&lt;/mark&gt;，<mark>危险字</mark>'
hid=$("$FZS" --db "$T/db" --json 危险字 | $PY -c 'import json,sys; print(json.loads(sys.stdin.readline())["id"])')
get "/entry/$hid?q=$(enc 危险字)"
check "escaping: the entry page" sh -c "! grep -q '<script' '$T/body' && grep -qF '&lt;/mark&gt;，<mark>危险字</mark>在此' '$T/body'"
check "escaping: entry <title>" sh -c "grep -qF '<title>&lt;script&gt;' '$T/body'"
get "/search?q=$(enc '"><script>x</script>')"
check "escaping: the query in the box" body_has 'value="&quot;&gt;&lt;script&gt;x&lt;/script&gt;"'
check "escaping: the query nowhere raw" body_lacks '<script>x'

# ---- errors
get "/search?q=$(enc '"井长制')"
check "bad query: 400" code_is 400
msg=$("$FZS" --db "$T/db" '"井长制' 2>&1 >/dev/null)
check "bad query: the command line's message" $PY -c '
import html, sys
sys.exit(0 if sys.argv[2] in html.unescape(open(sys.argv[1], encoding="utf-8").read()) else 1)' "$T/body" "$msg"
check "bad query: kept in the box" body_has 'value="&quot;井长制"'
get "/search?q=$(enc '   ')&fold=ts"
check "empty query: 400" code_is 400
check "empty query: its message" body_has 'empty query'
get "/search?q=a&fold=bogus"
check "bad fold: 400" code_is 400
check "bad fold: names the parameter" body_has 'fold: not one of'
get "/search?q=a&page=0"
check "page 0: 400" code_is 400
get "/search?q=$(head -c 1100 /dev/zero | tr '\0' 'a')"
check "a query over 1 KB: 400" code_is 400
check "a query over 1 KB: says so" body_has 'query too long'
get "/search?q=%ff%fe"
check "a query not UTF-8: 400" code_is 400
get "/search?q=$(head -c 900 /dev/zero | tr '\0' 'a')&x=$(head -c 8000 /dev/zero | tr '\0' 'b')"
check "a URL over 8 KB: 414" code_is 414
get /entry/4000000
check "unknown entry: 404" code_is 404
get /entry/abc
check "bad entry id: 404" code_is 404
get /nothing/here
check "unknown path: 404" code_is 404
get /../../etc/passwd
check "no file from the disk" body_lacks 'root:'
get /data.mdb
check "not even the index file" code_is 404
check "405 for POST" sh -c "[ \$(curl -s -o /dev/null -w '%{http_code}' -X POST -d q=x '$URL/search') = 405 ]"
check "405 for PUT, with Allow" sh -c "curl -s -D - -o /dev/null -X PUT '$URL/' | grep -qi '^allow: GET, HEAD'"
check "HEAD: 200 without a body" sh -c "[ \$(curl -s -I -o '$T/head' -w '%{http_code}' '$URL/search?q=$Q') = 200 ] && ! grep -q '<html' '$T/head'"
curl -s -D "$T/headers" -o /dev/null "$URL/"
check "a CSP forbids scripts" grep -qi "^content-security-policy: default-src 'none'" "$T/headers"

# ---- load and abuse
check "load and abuse (abuse.py)" $PY "$ROOT/tests/serve/abuse.py" "${URL##*:}"
check "the server is still alive" kill -0 $PID

# ---- a real browser
mkdir -p "$ROOT/build"
check "the browser (browser.py)" $PY "$ROOT/tests/serve/browser.py" "$URL" "$ROOT/build"
check "the results page screenshot" test -s "$ROOT/build/serve-results.png"

# ---- stops cleanly
kill -TERM $PID
wait $PID
check "SIGTERM: exit 0" [ $? = 0 ]
check "SIGTERM: nothing on stderr" test ! -s "$T/serve.err"
# (a background job of sh ignores SIGINT: the server is started with it back)
rm -f "$T/serve.out"
"$PY" -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])' \
    "$FZS" --db "$T/db" --serve=127.0.0.1:0 >"$T/serve.out" 2>"$T/serve.err" &
PID=$!
i=0
while [ $i -lt 300 ] && ! grep -qs serving "$T/serve.out"; do sleep 0.1; i=$((i + 1)); done
kill -INT $PID
wait $PID
check "SIGINT: exit 0" [ $? = 0 ]

# ---- the time limit: a broad query on a larger index
make_big "$T/big" 6
"$FZI" --db "$T/bigdb" --quiet "$T/big"
SERVE_DB=$T/bigdb
check "serve the larger index with --time-limit 1" serve --serve 127.0.0.1:0 --time-limit 1
SERVE_DB=
get "/search?q=$(enc '区? OR 年? OR 的?')"
check "past the time limit: 503" code_is 503
check "past the time limit: the too-broad page" body_has 'too broad'
get "/export.csv?q=$(enc '区? OR 年? OR 的?')"
check "past the time limit: exports too" code_is 503
kill -TERM $PID; wait $PID

# ---- an updated index (DELTA TIER and DEAD ENTRIES in common/store.c):
# a.txt, b.txt and c.txt built, then b.txt changed and d.txt added in one
# update and c.txt removed in another, with no merge of the delta
# (FZINDEX_DELTA_SHARE), so that "dpost", meta "dead" and "dfix" are all
# in use.  The reading room's pages (results with their count, hits and
# side panel; the kwic view, the API, entry pages) and the command line's
# --by groupings are those of a fresh build of a.txt, b.txt and d.txt,
# but for the ids of the files indexed again: their entries, 60 a file,
# came after the 120 ids of b.txt and c.txt as first built (180 and on
# in the updated index, 60 and on in the fresh one).
poke_build || exit 1
hx() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }
# variant FILE N: the sample with titles and a place name of its own (new terms)
variant() { awk -v n="$2" '{ gsub(/号/, "号" n "乙"); gsub(/下城/, "下城" n); print }' "$ROOT/corpus/xiacheng-2017-annual-focus.txt" >"$1"; }
mkdir -p "$T/u"
cp "$ROOT/corpus/xiacheng-2017-annual-focus.txt" "$T/u/a.txt"
variant "$T/u/b.txt" 1
variant "$T/u/c.txt" 2
export FZINDEX_DELTA_SHARE=100000
"$FZI" --db "$T/udb" --quiet "$T/u" || exit 1
variant "$T/u/b.txt" 3
variant "$T/u/d.txt" 4
check "an update: b.txt changed, d.txt added" "$FZI" --db "$T/udb" --quiet "$T/u/b.txt" "$T/u/d.txt"
rm "$T/u/c.txt"
check "an update: c.txt removed" "$FZI" --db "$T/udb" --quiet --remove "$T/u/c.txt"
unset FZINDEX_DELTA_SHARE
has() { "$T/poke" "$T/udb" "$@" >/dev/null; }
check "an update: delta postings (\"dpost\")" has next dpost 00
check "an update: removed entries (meta \"dead\")" has get meta "$(hx dead)"
check "an update: their counts per term (\"dfix\")" has next dfix 00
check "an update: the index is sound" "$FZI" --db "$T/udb" --check --quiet
check "a fresh build of the same files" "$FZI" --db "$T/ufresh" --quiet "$T/u"
# pages DB DIR: the pages below from a server on DB, into DIR/1, DIR/2 ...
# (the entry pages last: 5 of a.txt, then of b.txt and d.txt as changed)
pages() {
    mkdir -p "$2"
    SERVE_DB=$1
    check "$2: the server starts" serve --serve 127.0.0.1:0
    SERVE_DB=
    n=0
    # 下城 is in every file; 下城1 and 下城2 only in the removed entries,
    # 下城3 in b.txt's new ones, 下城4 in d.txt's (all in the delta)
    for path in "/search?q=$(enc 下城)" "/search?q=$(enc 下城)&page=2" "/search?q=$(enc 下城)&sort=source" \
        "/search?q=$(enc 下城1)" "/search?q=$(enc '下城2 OR 下城4')" "/search?q=$(enc 下城3)&page=2" \
        "/search?q=$(enc '社区 -下城3')" "/search?q=$(enc 井长制)" "/kwic?q=$(enc 治水)" \
        "/api/search?q=$(enc 下城)&page=3" "/export.jsonl?q=$(enc 下城4)" "$3" "$4" "$5"; do
        n=$((n + 1))
        get "$path"
        check "$2: $path: 200" code_is 200
        mv "$T/body" "$2/$n"
    done
    kill -TERM $PID
    wait $PID
    PID=
}
pages "$T/udb" "$T/pu" /entry/5 /entry/185 /entry/245
pages "$T/ufresh" "$T/pf" /entry/5 /entry/65 /entry/125
# the updated index's ids as the fresh build's
fresh_ids() {
    $PY -c '
import re, sys
t = open(sys.argv[1], encoding="utf-8").read()
def f(m):
    i = int(m.group(2))
    return m.group(1) + str(i - 120 if i >= 180 else i)
sys.stdout.write(re.sub(r"(/entry/|\"id\": ?)(\d+)", f, t))' "$1"
}
same_page() { fresh_ids "$T/pu/$1" | cmp -s - "$T/pf/$1" || { fresh_ids "$T/pu/$1" | diff - "$T/pf/$1" | head -5 >&2; false; }; }
for n in 1 2 3 4 5 6 7 8 9 10 11 12 13 14; do
    check "updated as fresh: page $n the same" same_page $n
done
check "updated as fresh: 下城 finds the 180 entries of a, b and d" grep -q '180' "$T/pf/1"
check "updated as fresh: 下城1 (removed) finds nothing" sh -c "! grep -q 'href=\"/entry/' '$T/pf/4'"
SERVE_DB=$T/udb
check "updated: the server starts again" serve --serve 127.0.0.1:0
SERVE_DB=
get /entry/70
check "updated: a removed entry is not served" code_is 404
kill -TERM $PID
wait $PID
PID=
for by in section author file kind form; do
    "$FZS" --db "$T/ufresh" --by $by 下城 >"$T/by.fresh"
    check "updated as fresh: --by $by the same" sh -c "'$FZS' --db '$T/udb' --by $by 下城 | cmp -s - '$T/by.fresh'"
done

# ---- a server that stays up while fzindex adds to its index: its pages
# count the entries now in the index, and its searches rank them as a new
# process does (BM25's entry count and mean length of the newest snapshot)
rm -rf "$T/live"
cp -r "$T/db" "$T/live"
SERVE_DB=$T/live
check "live: the server starts" serve --serve 127.0.0.1:0
SERVE_DB=
nent() { "$FZI" --db "$T/live" --list | awk 'NR > 1 { n += $1 } END { print n }'; }
n0=$(nent)
get /
check "live: / counts the entries" body_has "本库收 $n0 条"
awk '{ gsub(/井长制/, "井长"); print }' "$ROOT/corpus/xiacheng-2017-annual-focus.txt" >"$T/live.txt"
check "live: fzindex adds a file meanwhile" status_is 0 "$FZI" --db "$T/live" --quiet "$T/live.txt"
n1=$(nent)
get /
check "live: / counts the added entries ($n0 -> $n1)" sh -c "[ '$n1' -gt '$n0' ] && grep -qF '本库收 $n1 条' '$T/body'"
"$FZS" --db "$T/live" --json 井长 >"$T/live.fresh"
get "/api/search?q=$(enc 井长)"
check "live: the API's hits and scores are a new process's" cmp -s "$T/body" "$T/live.fresh"
kill -TERM $PID
wait $PID
PID=

# ---- a damaged index (tests/cli/poke.c, lib.sh's damage_bytes): one that
# cannot be opened is refused at the start with one line and exit 2; a
# page whose read finds damage is a 500 with the command line's message,
# and the server goes on answering; damage LMDB itself trips on ends the
# server with one line and exit 2 (common/guard.h): never a signal, a
# sanitizer report or a hang
mkdir -p "$T/junk"
head -c 65536 /dev/urandom >"$T/junk/data.mdb"
check "not an index: exit 2 at the start" status_is 2 "$FZS" --db "$T/junk" --serve 127.0.0.1:0
check "not an index: one line" one_line
check "not an index: says so" err_has 'not a fangzhi index'
rm -rf "$T/dmg"
cp -r "$T/db" "$T/dmg"
"$T/poke" "$T/dmg" put meta "$(hx format)" 05
check "an older format: exit 2 at the start" status_is 2 "$FZS" --db "$T/dmg" --serve 127.0.0.1:0
check "an older format: one line, re-index" sh -c "[ \$(wc -l <'$T/err') = 1 ] && grep -q 're-index' '$T/err'"
rm -rf "$T/dmg"
cp -r "$T/db" "$T/dmg"
# the entry block holding entry 44 (首创窨井, a hit of 井长制) overwritten
"$T/poke" "$T/dmg" put entry "$("$T/poke" "$T/dmg" next entry 0000002c | cut -d' ' -f1)" ffffffffffffffff
SERVE_DB=$T/dmg
check "a damaged entry block: the server starts" serve --serve 127.0.0.1:0
SERVE_DB=
"$FZS" --db "$T/dmg" 井长制 >/dev/null 2>"$T/err"
for path in "/search?q=$Q" "/search?q=$Q&sort=source" "/entry/44" "/kwic?q=$Q" "/export.csv?q=$Q" "/api/search?q=$Q"; do
    get "$path"
    check "a damaged entry block: $path: 500" code_is 500
    check "a damaged entry block: $path: the command line's message" body_has "$(cat "$T/err")"
done
get /entry/1
check "a damaged entry block: another entry still reads" code_is 200
get /
check "a damaged entry block: the home page still answers" code_is 200
check "a damaged entry block: the server is still alive" kill -0 $PID
kill -TERM $PID
wait $PID
check "a damaged entry block: SIGTERM: exit 0" [ $? = 0 ]
check "a damaged entry block: nothing on stderr" test ! -s "$T/serve.err"
# damaged bytes (seeds of test_damage.sh): whatever the server does, it
# starts or says why not, answers every page with a status or ends with
# one line and exit 2, and stops on SIGTERM
bad=0
for seed in 1 2 3 4 5 6 7 8; do
    rm -rf "$T/dmg"
    cp -r "$T/db" "$T/dmg"
    rm -f "$T/dmg/lock.mdb"
    damage_bytes $seed "$T/dmg/data.mdb"
    rm -f "$T/serve.out"
    "$FZS" --db "$T/dmg" --serve 127.0.0.1:0 >"$T/serve.out" 2>"$T/serve.err" &
    PID=$!
    # a server that hangs is killed (status 137: counted below)
    (
        trap 'kill $! 2>/dev/null; exit 0' TERM
        sleep 120 &
        wait $!
        kill -KILL $PID 2>/dev/null
    ) &
    DOG=$!
    URL=
    while [ -z "$URL" ] && kill -0 $PID 2>/dev/null; do
        URL=$(sed -n 's|^serving .* at \(http://[^ ]*\)/ .*|\1|p' "$T/serve.out" 2>/dev/null)
        [ -n "$URL" ] || sleep 0.1
    done
    if [ -n "$URL" ]; then
        for path in / "/search?q=$Q" "/search?q=$(enc 城)&page=2" "/search?q=$(enc '区 OR 年')&sort=source" \
            "/kwic?q=$(enc 社区)" /entry/44 /entry/1 "/export.jsonl?q=$(enc 治水)"; do
            code=$(curl -s -g -o /dev/null --max-time 30 -w '%{http_code}' "$URL$path")
            case $code in
            200 | 400 | 404 | 500 | 503) ;;
            000)
                # no answer: the server must be ending (one line, exit 2),
                # which under ASan takes a moment
                n=0
                while [ $n -lt 100 ] && kill -0 $PID 2>/dev/null; do sleep 0.1; n=$((n + 1)); done
                kill -0 $PID 2>/dev/null && { echo "  seed $seed: $path: no answer" >&2; bad=$((bad + 1)); }
                break
                ;;
            *) echo "  seed $seed: $path: status $code" >&2; bad=$((bad + 1)) ;;
            esac
        done
        kill -TERM $PID 2>/dev/null
    fi
    wait $PID
    st=$?
    kill $DOG 2>/dev/null
    wait $DOG 2>/dev/null
    if ! lmdb_report "$T/serve.err"; then
        if [ $st != 0 ] && [ $st != 2 ]; then
            echo "  seed $seed: exit $st: $(head -c 300 "$T/serve.err")" >&2
            bad=$((bad + 1))
        elif grep -q 'Sanitizer\|runtime error' "$T/serve.err" || [ "$(wc -l <"$T/serve.err")" -gt 1 ] ||
            { [ $st = 2 ] && [ ! -s "$T/serve.err" ]; }; then
            echo "  seed $seed: exit $st, stderr: $(head -c 300 "$T/serve.err")" >&2
            bad=$((bad + 1))
        fi
    fi
done
PID=
check "damaged bytes: the server answered or ended with one line and exit 2 ($bad times not)" test $bad = 0

# ---- addresses
check "a bad port" status_is 2 "$FZS" --db "$T/db" --serve 127.0.0.1:99999
check "a bad port: one line" one_line
check "a bad address" status_is 2 "$FZS" --db "$T/db" --serve nosuchhost.invalid:0
check "--serve with a query" status_is 2 "$FZS" --db "$T/db" --serve 0 井长制
check "--serve with --kwic" status_is 2 "$FZS" --db "$T/db" --serve --kwic
rm -f "$T/serve.out"
"$FZS" --db "$T/db" --serve 0.0.0.0:0 >"$T/serve.out" 2>"$T/serve.err" &
PID=$!
i=0
while [ $i -lt 300 ] && ! grep -qs serving "$T/serve.out"; do sleep 0.1; i=$((i + 1)); done
kill -TERM $PID; wait $PID
check "another address: warned about" grep -q 'warning: .*not a loopback address' "$T/serve.err"
finish serve
