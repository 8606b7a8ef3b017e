#!/bin/sh
# What fzindex promises about its inputs and its index (issue 13, index
# side): the index is no more readable than its sources; a file that
# became empty or binary loses its entries, --prune drops deleted files;
# --remove finds deleted files by relative path and takes directories;
# an unreadable named input exits 2 with the rest indexed, and what a
# directory walk skips is counted; -v gives entry counts, --progress its
# final state; an index inside the tree indexed is not read; a text file
# given as --db is not called an archive; no HOME, no default index.
. "$(dirname "$0")/lib.sh"
C=$ROOT/corpus/xiacheng-2017-annual-focus.txt
list() { "$FZI" --db "$1" --list 2>/dev/null; }
mode() { stat -c %a "$1"; }

# ---- 4: the index's mode follows its sources'
mkdir -p "$T/src"
cp "$C" "$T/src/public.txt"
cp "$C" "$T/src/secret.txt"
sed -i 's/【/【密/' "$T/src/secret.txt"
chmod 644 "$T/src/public.txt"
chmod 000 "$T/src/secret.txt"
check "private source: indexed" status_is 0 "$FZI" --db "$T/priv" "$T/src"
check "private source: says the index is made private" err_has "secret.txt is not readable.*mode 0600"
check "private source: data.mdb is 600" test "$(mode "$T/priv/data.mdb")" = 600
check "private source: its pack is 600" status_is 0 "$FZI" --db "$T/priv" --pack "$T/priv.fz"
check "private source: the pack is 600" test "$(mode "$T/priv.fz")" = 600
check "private index stays 600 when public files are added" status_is 0 "$FZI" --db "$T/priv" "$T/src/public.txt"
check "... still 600" test "$(mode "$T/priv/data.mdb")" = 600
check "merging a private index makes the target private" status_is 0 "$FZI" --db "$T/pub" "$T/src/public.txt"
check "... public before" test "$(mode "$T/pub/data.mdb")" = 644
check "... merge" status_is 0 "$FZI" --db "$T/pub" --merge "$T/priv"
check "... 600 after" test "$(mode "$T/pub/data.mdb")" = 600
chmod 640 "$T/src/secret.txt"
check "group-readable source: indexed" status_is 0 "$FZI" --db "$T/grp" "$T/src"
check "group-readable source: data.mdb is 640" test "$(mode "$T/grp/data.mdb")" = 640
chmod 644 "$T/src/secret.txt"
check "public sources: indexed" status_is 0 "$FZI" --db "$T/open" "$T/src"
check "public sources: no note" sh -c "! grep -q 'note' '$T/err'"
check "public sources: data.mdb is 644" test "$(mode "$T/open/data.mdb")" = 644

# ---- 5: a file that became empty or binary; --prune
mkdir -p "$T/d5/sub"
cp "$C" "$T/d5/a.txt"; cp "$C" "$T/d5/b.txt"; cp "$C" "$T/d5/sub/c.txt"; cp "$C" "$T/d5/d.txt"
sed -i 's/【/【乙/' "$T/d5/b.txt"; sed -i 's/【/【丙/' "$T/d5/sub/c.txt"; sed -i 's/【/【丁/' "$T/d5/d.txt"
"$FZI" --db "$T/db5" --quiet "$T/d5"
check "4 files indexed" test "$(list "$T/db5" | grep -c '\.txt$')" = 4
: >"$T/d5/a.txt"
check "emptied file indexed again: exit 0" status_is 0 "$FZI" --db "$T/db5" "$T/d5/a.txt"
check "... warns that its entries were removed" err_has "skipping.*a.txt: empty file; its 60 entries from before removed"
check "... it has no entries left" sh -c "! '$FZI' --db '$T/db5' --list | grep -q 'a.txt'"
check "... the summary counts it" err_has "1 file dropped"
head -c 3000 /dev/urandom >"$T/d5/b.txt"
check "file turned binary: exit 0" status_is 0 "$FZI" --db "$T/db5" "$T/d5"
check "... its entries are gone" sh -c "! '$FZI' --db '$T/db5' --list | grep -q 'b.txt'"
rm "$T/d5/sub/c.txt"
check "deleted file, no --prune: exit 0" status_is 0 "$FZI" --db "$T/db5" "$T/d5"
check "... its entries stay" sh -c "'$FZI' --db '$T/db5' --list | grep -q 'c.txt'"
check "deleted file, --prune: exit 0" status_is 0 "$FZI" --db "$T/db5" --prune "$T/d5"
check "... the summary counts it" err_has "1 file dropped"
check "... its entries are gone" sh -c "! '$FZI' --db '$T/db5' --list | grep -q 'c.txt'"
check "... others stay" sh -c "'$FZI' --db '$T/db5' --list | grep -q 'd.txt'"
check "... searches agree" status_is 1 "$FZS" --db "$T/db5" 'title:丙*'
check "... searches agree" status_is 0 "$FZS" --db "$T/db5" 'title:丁*' 
check "... the index passes --check" status_is 0 "$FZI" --db "$T/db5" --check
check "--prune with --remove is refused" status_is 2 "$FZI" --db "$T/db5" --prune --remove "$T/d5"

# ---- 6: --remove by relative path after deletion; --remove DIR
mkdir -p "$T/d6/x/y"
cp "$C" "$T/d6/a.txt"; cp "$C" "$T/d6/x/b.txt"; cp "$C" "$T/d6/x/y/c.txt"
"$FZI" --db "$T/db6" --quiet "$T/d6"
rm "$T/d6/a.txt"
check "--remove a deleted file by relative path" sh -c "cd '$T/d6' && '$FZI' --db '$T/db6' --remove a.txt 2>'$T/err'"
check "... it is gone" sh -c "! '$FZI' --db '$T/db6' --list | grep -q '/a.txt'"
rm -r "$T/d6/x/y"
check "--remove a deleted file in a deleted directory (./x/y/../y/c.txt)" \
    sh -c "cd '$T/d6' && '$FZI' --db '$T/db6' --remove ./x/y/../y/c.txt 2>'$T/err'"
check "... it is gone" sh -c "! '$FZI' --db '$T/db6' --list | grep -q '/c.txt'"
cp "$C" "$T/d6/x/d.txt"
"$FZI" --db "$T/db6" --quiet "$T/d6"
check "--remove DIR: exit 0" status_is 0 "$FZI" --db "$T/db6" --remove "$T/d6/x"
check "--remove DIR: counts its files" err_has "removed 2 files"
check "--remove DIR: none left" test -z "$(list "$T/db6" | grep '\.txt$')"
check "--remove DIR not in the index: exit 2" status_is 2 "$FZI" --db "$T/db6" --remove "$T/d6"
check "... says so" err_has "not in the index"

# ---- 7: unreadable named input: exit 2, the rest indexed; skips counted
mkdir -p "$T/d7/loop"
cp "$C" "$T/d7/a.txt"
ln -s .. "$T/d7/loop/up"
mkfifo "$T/d7/fifo"
ln -s missing "$T/d7/dangling"
check "a missing named file beside a good directory: exit 2" status_is 2 "$FZI" --db "$T/db7" "$T/nonesuch.txt" "$T/d7"
check "... names it" err_has "nonesuch.txt: No such file or directory"
check "... the rest is indexed" test "$(list "$T/db7" | grep -c '\.txt$')" = 1
check "... the summary counts the FIFO, the loop and the dangling link" err_has "3 files skipped"
mkdir "$T/d7b"
ln -s . "$T/d7b/self"
mkfifo "$T/d7b/fifo"
check "a directory of nothing indexable: exit 2" status_is 2 "$FZI" --db "$T/db7b" "$T/d7b"
check "... nothing indexed, 2 files skipped" err_has "nothing indexed: 2 files skipped"

# ---- 14: -v entry counts, --progress's final state
check "-v: exit 0" status_is 0 "$FZI" --db "$T/db14" -v "$C" "$T/src/public.txt"
check "-v: each file's entries" sh -c "grep -c ': UTF-8, 60 entries$' '$T/err' | grep -qx 2"
check "--progress, not a terminal: exit 0" status_is 0 "$FZI" --db "$T/db14" --progress --quiet "$C"
check "--progress: the final state" err_has "1/1 files, 0.1/0.1 MB.*done"

# ---- 15: an index inside the tree being indexed
mkdir -p "$T/d15"
cp "$C" "$T/d15/a.txt"
check "index inside the tree: first run" status_is 0 "$FZI" --db "$T/d15/idx" "$T/d15"
check "index inside the tree: second run exit 0" status_is 0 "$FZI" --db "$T/d15/idx" "$T/d15"
check "... no warning about its own files" sh -c "! grep -q 'mdb\|warning' '$T/err'"
check "... one file in the index" test "$(list "$T/d15/idx" | grep -c 'a.txt$')" = 1
check "... and nothing else" test "$(list "$T/d15/idx" | tail -n +2 | wc -l)" = 1

# ---- smaller: a text file as --db; no HOME
echo text >"$T/some.txt"
check "--db a text file: exit 2" status_is 2 "$FZI" --db "$T/some.txt" "$C"
check "--db a text file: not called an archive" sh -c "! grep -q 'archive' '$T/err'"
check "--db a text file: says it is a file" err_has "is a file, not an index directory"
"$FZI" --db "$T/open" --quiet --pack "$T/p.fz"
check "--db an archive: called one" status_is 2 "$FZI" --db "$T/p.fz" "$C"
check "--db an archive: says so" err_has "packed archive"
check "no HOME: fzindex refuses" sh -c "cd '$T' && env -u HOME -u FANGZHI_DB -u XDG_DATA_HOME '$FZI' '$C' 2>'$T/err'; [ \$? = 2 ]"
check "... naming HOME" err_has "HOME is not set"
check "no HOME: fzsearch refuses" sh -c "cd '$T' && env -u HOME -u FANGZHI_DB -u XDG_DATA_HOME '$FZS' 井 2>'$T/err'; [ \$? = 2 ]"
check "... naming HOME" err_has "HOME is not set"
check "no HOME: nothing made under ./.local" test ! -e "$T/.local"
finish indexside
