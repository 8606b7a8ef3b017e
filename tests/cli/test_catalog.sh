#!/bin/sh
# fzindex --catalog and what it gives a search: volume titles in hits (the
# attribution line, JSON, CSV), the volume:, place: and year: fields, the
# --by volume/place/year/decade/century groupings; a catalog given alone
# updates an index; re-indexing keeps a file's row, --remove drops it;
# packed archives and --merge keep the catalog; a malformed catalog is a
# one-line error naming its line and nothing is indexed.
. "$(dirname "$0")/lib.sh"
FX=$ROOT/tests/fixtures/catalog
mkdir -p "$T/shelf/vol2"
cp "$FX/renhe.txt" "$FX/qiantang.txt" "$FX/notes.txt" "$T/shelf/"
cd "$T" || exit 1
DB=$T/db
json() { "$FZS" --db "${2:-$DB}" --json -n 0 "$1"; }
# volume_of QUERY [DB]: the volumes of the hits, sorted, one per line
volumes() { json "$@" | python3 -c 'import json, sys; print("\n".join(sorted({json.loads(l)["volume"] for l in sys.stdin})))'; }
field() { json "$2" "${3:-$DB}" | python3 -c 'import json, sys; print(json.loads(sys.stdin.readline())[sys.argv[1]])' "$1"; }
count() { "$FZS" --db "${2:-$DB}" --count "$1" | sed 's/ entr.*//'; }

# --- without a catalog: the first line's book title, else the base name
check "index the shelf" status_is 0 "$FZI" --db "$DB" -q shelf
check "volume from the first line" test "$(field volume 孤山)" = 仁和县志
check "volume from the file name" test "$(field volume 游人)" = notes
check "no place without a catalog" test "$(field place 孤山)" = None
"$FZS" --db "$DB" --no-pager --color never 孤山 >"$T/term"
check "the attribution line names the volume" grep -q '^     《仁和县志》 · .*renhe.txt:' "$T/term"
"$FZS" --db "$DB" --no-pager --color never 游人 >"$T/term"
check "a volume that is only the file's name is not repeated" sh -c "! grep -q '《' '$T/term'"
check "volume:钱塘 finds 錢塘縣志 (folded)" test "$(volumes 'volume:钱塘')" = 錢塘縣志
check "volume: of a missing title finds nothing" status_is 1 "$FZS" --db "$DB" 'volume:西湖志'

# --- a malformed catalog: one line naming the line, nothing indexed
printf 'file,title,place,year\nrenhe.txt,仁和,杭州,1784\nqiantang.txt,"錢塘,杭州,1700\n' >bad.csv
before=$(idx_sum "$DB")
check "malformed catalog: exit 2" status_is 2 "$FZI" --db "$DB" --catalog bad.csv shelf
check "malformed catalog: one line" one_line
check "malformed catalog: names the file and line" err_has 'fzindex: --catalog: bad.csv: line 3: a quoted field is not closed'
check "malformed catalog: the index is unchanged" test "$(idx_sum "$DB")" = "$before"
check "malformed catalog: no new index is made" status_is 2 "$FZI" --db "$T/new" --catalog bad.csv shelf
check "malformed catalog: the new index does not exist" test ! -e "$T/new/data.mdb"
printf 'file,year\nrenhe.txt,乾隆四十九年\n' >bad2.csv
check "a bad year: exit 2" status_is 2 "$FZI" --db "$DB" --catalog bad2.csv
check "a bad year: one line naming it" err_has "line 2: year '乾隆四十九年' is not a whole number"
check "--catalog alone needs an index" status_is 2 "$FZI" --db "$T/none" --catalog "$FX/shelf.csv"
check "--catalog alone needs an index: one line" one_line
check "--catalog does not go with --remove" status_is 2 "$FZI" --db "$DB" --remove --catalog "$FX/shelf.csv" shelf/notes.txt

# --- a catalog given alone updates the index (CRLF, BOM-less, quoted title)
{ cat "$FX/shelf.csv"; printf 'missing.txt,无,,\r\n'; } >shelf.csv
check "catalog alone: exit 0" status_is 0 "$FZI" --db "$DB" --catalog shelf.csv
check "a row naming no indexed file is a warning with its line" \
    err_has "warning: --catalog: shelf.csv: line 5: no indexed file matches 'missing.txt'"
check "catalog title replaces the text's" test "$(field volume 孤山)" = '仁和县志 (乾隆本, 重刊)'
check "catalog place" test "$(field place 孤山)" = 杭州
check "catalog year" test "$(field year 孤山)" = 1784
check "an empty title keeps the text's" test "$(field volume 古蹟)" = 錢塘縣志
check "a BCE year" test "$(field year 游人)" = -205
"$FZS" --db "$DB" --no-pager --color never 孤山 >"$T/term"
check "the attribution line has title, place and year" grep -q '^     《仁和县志 (乾隆本, 重刊)》 杭州 1784 · ' "$T/term"
"$FZS" --db "$DB" --format csv 孤山 >"$T/csv"
check "CSV: volume, place, year columns" sh -c "head -1 '$T/csv' | grep -q ',snippet,volume,place,year'"
check "CSV: their values" grep -q ',"仁和县志 (乾隆本, 重刊)",杭州,1784' "$T/csv"
check "fzindex --check: sound with a catalog" status_is 0 "$FZI" --db "$DB" --check

# a catalog saved by a spreadsheet in GB18030 is read like a source file
printf 'file,place\nnotes.txt,長安\n' | iconv -f UTF-8 -t GB18030 >gb.csv
check "GB18030 catalog: exit 0" status_is 0 "$FZI" --db "$DB" --catalog gb.csv
check "GB18030 catalog: its place" test "$(field place 游人)" = 長安
check "GB18030 catalog: the row replaced the whole record" test "$(field year 游人)" = None
check "catalog alone again" status_is 0 "$FZI" --db "$DB" -q --catalog shelf.csv

# --- the fields
all=$(count 西湖)
check "year range: both ends included" test "$(count '西湖 year:1700..1784')" = 2
check "year range: open start" test "$(count '西湖 year:..1700')" = 2
check "exact year" test "$(volumes 'year:1700')" = 錢塘縣志
check "a range between editions: exit 1" status_is 1 "$FZS" --db "$DB" '西湖 year:1701..1783'
check "place:" test "$(count 'place:杭州 西湖')" = 2
check "NOT place: leaves the rest" test "$(count '西湖 -place:杭州')" = $((all - 2))
check "a reversed range is a query error" status_is 2 "$FZS" --db "$DB" 'year:1800..1700'
check "a reversed range: one line" one_line

# --- groupings: periods in time order, (none) last
"$FZS" --db "$DB" --no-pager --color never --by century 西湖 >"$T/by"
check "--by century: rows in time order" sh -c "awk 'NR>1 && !/groups/ {print \$1}' '$T/by' | tr '\n' ' ' | grep -qx -- '-300..-201 1700..1799 '"
"$FZS" --db "$DB" --no-pager --color never --by decade 西湖 >"$T/by"
check "--by decade" sh -c "awk 'NR>1 && !/groups/ {print \$1}' '$T/by' | tr '\n' ' ' | grep -qx -- '-210..-201 1700..1709 1780..1789 '"
"$FZS" --db "$DB" --json --by year 西湖 >"$T/by"
check "--by year --json: one object per year" test "$(grep -c '"group"' "$T/by")" = 3
check "--by year: 1784 counts renhe's entries" \
    grep -q "\"group\":\"1784\",\"entries\":$(count '西湖 year:1784')," "$T/by"
"$FZS" --db "$DB" --json --by place 西湖 >"$T/by"
check "--by place: (none) for a volume without one" grep -q '"group":"(none)"' "$T/by"
"$FZS" --db "$DB" --json --by volume 西湖 >"$T/by"
check "--by volume: the catalog title" grep -q '"group":"仁和县志 (乾隆本, 重刊)"' "$T/by"
check "--by with a bad group names the choices" status_is 2 "$FZS" --db "$DB" --by era 西湖
check "--by bad group: lists century" err_has century

# --- re-indexing a file keeps its row; --remove drops it
check "re-index renhe.txt" status_is 0 "$FZI" --db "$DB" -q shelf/renhe.txt
check "re-indexed: the catalog row stays" test "$(field year 孤山)" = 1784
check "--remove renhe.txt" status_is 0 "$FZI" --db "$DB" -q --remove shelf/renhe.txt
check "index it again" status_is 0 "$FZI" --db "$DB" -q shelf/renhe.txt
check "removed: its row went with it" test "$(field volume 孤山)" = 仁和县志
check "removed: no year" test "$(field year 孤山)" = None
check "--check: sound after remove and re-index" status_is 0 "$FZI" --db "$DB" --check

# --- a base name two files share is a warning; more of the path settles it
cp "$FX/renhe.txt" shelf/vol2/renhe.txt
printf 'file,year\nrenhe.txt,1784\n' >amb.csv
check "ambiguous base name: exit 0" status_is 0 "$FZI" --db "$DB" --catalog amb.csv shelf/vol2/renhe.txt
check "ambiguous base name: warned" err_has "line 2: 'renhe.txt' matches 2 indexed files; give more of its path"
check "ambiguous base name: no year stored" test "$(count 'year:1784')" = 0
printf 'file,year\nvol2/renhe.txt,1785\nrenhe.txt,1784\n' >amb2.csv
check "a longer path wins over the base name" status_is 0 "$FZI" --db "$DB" --catalog amb2.csv
check "vol2/renhe.txt has 1785" test "$(json year:1785 | grep -c 'vol2/renhe.txt')" -ge 1
check "the other renhe.txt has 1784" test "$(json year:1784 | grep -c 'shelf/renhe.txt')" -ge 1

# --- packed archives and --merge keep the catalog
check "pack" status_is 0 "$FZI" --db "$DB" -q --pack "$T/shelf.fz"
check "archive: year: works" test "$(count 'year:1785' "$T/shelf.fz")" = "$(count 'year:1785')"
check "archive: place and year in hits" test "$(field year 古蹟 "$T/shelf.fz")" = 1700
check "merge the archive into a new index" status_is 0 "$FZI" --db "$T/merged" -q --merge "$T/shelf.fz"
check "merged: the catalog came along" test "$(field volume 游人 "$T/merged")" = 读史札记
check "merged: --check sound" status_is 0 "$FZI" --db "$T/merged" --check
finish test_catalog
