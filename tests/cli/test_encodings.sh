#!/bin/sh
# Encodings end to end: the sample converted to GB18030 (and UTF-16) gives
# exactly the entries, attributions and results of the UTF-8 original; a
# Big5 file of traditional text is found by a simplified query; a file in
# no supported encoding is skipped with a warning while the rest is
# indexed; --encoding overrides detection; --verbose names the encoding.
. "$(dirname "$0")/lib.sh"
S=$ROOT/corpus/xiacheng-2017-annual-focus.txt
mkdir "$T/u8" "$T/gb" "$T/u16" "$T/mix"
cp "$S" "$T/u8/sample.txt"
iconv -f UTF-8 -t GB18030 "$S" >"$T/gb/sample.txt"
{ printf '\377\376'; iconv -f UTF-8 -t UTF-16LE "$S"; } >"$T/u16/sample.txt"
"$FZI" -q --db "$T/db8" "$T/u8" || exit 1
check "GB18030 copy indexes" status_is 0 "$FZI" -v --db "$T/dbgb" "$T/gb"
check "--verbose names GB18030" err_has "GB18030"
check "UTF-16 copy indexes" status_is 0 "$FZI" -v --db "$T/db16" "$T/u16"
check "--verbose names UTF-16LE" err_has "UTF-16LE"

# Every hit of every query, all fields but the file name, must agree.
same_results() {
    for q in 井长制 宣传片 实施移动支付 2017年9月29日 "author:陆婷 商圈" "kind:sidebar" 大禹鼎 "section:城中村改造 -安置"; do
        "$FZS" --db "$1" --format jsonl "$q" >"$T/a.json" 2>/dev/null
        "$FZS" --db "$2" --format jsonl "$q" >"$T/b.json" 2>/dev/null
        python3 - "$T/a.json" "$T/b.json" <<'EOF' || return 1
import json, sys
def load(p):
    out = []
    for l in open(p, encoding="utf-8"):
        h = json.loads(l)
        h.pop("file")
        out.append(h)
    return out
a, b = load(sys.argv[1]), load(sys.argv[2])
if not a or a != b:
    print("results differ:", a[:1], b[:1], file=sys.stderr)
    sys.exit(1)
EOF
    done
}
check "GB18030: same entries, attributions, snippets and scores" same_results "$T/db8" "$T/dbgb"
check "UTF-16: same entries, attributions, snippets and scores" same_results "$T/db8" "$T/db16"
"$FZS" --db "$T/db8" --count --json kind:entry >"$T/c8"
"$FZS" --db "$T/dbgb" --count --json kind:entry >"$T/cgb"
check "GB18030: same number of records" cmp -s "$T/c8" "$T/cgb"

# Big5, traditional text, simplified query
cp "$ROOT/tests/fixtures/enc/big5.txt" "$T/mix/big5.txt"
check "Big5 file indexes" status_is 0 "$FZI" -v --db "$T/dbb5" "$T/mix/big5.txt"
check "--verbose names Big5" err_has "BIG5"
check "a simplified query finds the Big5 traditional text" status_is 0 "$FZS" --db "$T/dbb5" --json 刘延东调研下城区社区卫生服务工作
check "... in the traditional entry" out_has "劉延東調研下城區社區衛生服務工作"
check "... with the section in traditional characters" out_has "國家領導人在下城調研"

# a file in no supported encoding beside a good one
head -c 3000 /bin/ls >"$T/mix/blob.dat"
check "a bad file does not stop the run" status_is 0 "$FZI" --db "$T/dbmix" "$T/mix"
check "... the warning names it" err_has "blob.dat"
check "... the summary counts it" err_has "1 file skipped"
check "... the good file is searchable" status_is 0 "$FZS" --db "$T/dbmix" 刘延东

# --encoding overrides detection for every file
check "--encoding GB18030" status_is 0 "$FZI" --db "$T/dbov" --encoding GB18030 "$T/gb/sample.txt"
check "... finds the text" status_is 0 "$FZS" --db "$T/dbov" 井长制
check "--encoding with an unknown name" status_is 2 "$FZI" --db "$T/dbov2" --encoding NO-SUCH-CODE "$T/gb/sample.txt"
check "... one line" one_line
check "... names the encoding" err_has "NO-SUCH-CODE"
finish encodings
