#!/bin/sh
# The text dictionary (ENTRY BLOCKS in common/store.c): a run that indexes
# more than a megabyte of entry text (STORE_TDICT_MIN) trains a zstd
# dictionary on it, keeps it in the index and writes the entries' titles
# and bodies in groups of small frames with it.  Such an index answers as
# one of the same files without a dictionary (each file indexed in a run of
# its own, too little text to train on), after an update of a file too,
# and so do its --merge into a new index and its --pack; --check verifies
# the dictionary and every frame; a damaged dictionary is found by --check
# and fails a search that reads a hit's text with one line and exit 2.
. "$(dirname "$0")/lib.sh"
poke_build || exit 1
POKE=$T/poke
hx() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }
has_dict() { "$POKE" "$1" get meta "$(hx tdict)" >/dev/null 2>&1; }
# answers DB: the top 20 of a few queries, with snippets, as JSON
answers() {
    for q in 井长制 治水 "下城 街道" 年1-3 "2017年1-20"; do
        "$FZS" --db "$1" --json --limit 20 "$q" || [ $? = 1 ] || echo "exit $?"
    done | sed 's#"file":"[^"]*"#"file"#'
}

make_big "$T/src" 3
check "one run indexes three files" "$FZI" --db "$T/a" --quiet "$T/src"
ok=1
for f in 1 2 3; do "$FZI" --db "$T/b" --quiet "$T/src/part$f.txt" || ok=0; done
check "a run a file indexes them too" [ "$ok" = 1 ]
check "the one run trained a text dictionary" has_dict "$T/a"
check "a file a run, too little text: none" sh -c "! \"$POKE\" \"$T/b\" get meta $(hx tdict) >/dev/null 2>&1"
check "the index with a dictionary is sound" status_is 0 "$FZI" --db "$T/a" --check
answers "$T/b" >"$T/ans.b"
check "the index with a dictionary answers as the one without" [ "$(answers "$T/a" | md5sum)" = "$(md5sum <"$T/ans.b")" ]
check "answers are not empty" [ "$(grep -c '"rank"' "$T/ans.b")" -ge 40 ]
check "--export: the same entries" sh -c "\"$FZI\" --db \"$T/a\" --export - | md5sum >\"$T/ea\" && \"$FZI\" --db \"$T/b\" --export - | md5sum >\"$T/eb\" && cmp -s \"$T/ea\" \"$T/eb\""

# an update: the dictionary is kept and serves the new entries
dict_before=$("$POKE" "$T/a" get meta "$(hx tdict)")
awk '{ gsub(/号/, "号新"); print }' "$T/src/part2.txt" >"$T/p2" && mv "$T/p2" "$T/src/part2.txt"
check "an update of a file" "$FZI" --db "$T/a" --quiet "$T/src/part2.txt"
"$FZI" --db "$T/b" --quiet "$T/src/part2.txt"
check "the update keeps the dictionary" [ "$("$POKE" "$T/a" get meta "$(hx tdict)")" = "$dict_before" ]
check "updated: sound" status_is 0 "$FZI" --db "$T/a" --check
check "updated: answers as the index without" [ "$(answers "$T/a" | md5sum)" = "$(answers "$T/b" | md5sum)" ]

# --merge into a new index, --pack
check "--merge into a new index" "$FZI" --db "$T/m" --quiet --merge "$T/a"
check "the merged index has a dictionary" has_dict "$T/m"
check "merged: answers as the index merged" [ "$(answers "$T/m" | md5sum)" = "$(answers "$T/a" | md5sum)" ]
check "--pack" "$FZI" --db "$T/a" --quiet --pack "$T/a.fz"
check "packed: answers as the index packed" [ "$(answers "$T/a.fz" | md5sum)" = "$(answers "$T/a" | md5sum)" ]

# a damaged dictionary: zstd's dictionary magic number, then junk
cp -r "$T/a" "$T/d"
"$POKE" "$T/d" put meta "$(hx tdict)" 37a430ec6a756e6b6a756e6b
check "a damaged dictionary: --check exits 2" status_is 2 "$FZI" --db "$T/d" --check
check "--check names the dictionary" err_has "text dictionary"
check "a search reading text exits 2" status_is 2 "$FZS" --db "$T/d" 井长制
check "in one line" [ "$(wc -l <"$T/err")" -eq 1 ]
check "that says the index is damaged" err_has "damaged"
finish test_tdict
