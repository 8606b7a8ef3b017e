#!/bin/sh
# make install and make uninstall: the programs, the manual pages and bash
# completion land under DESTDIR/PREFIX (or PREFIX alone); the installed
# programs work from any directory, with the source tree out of sight;
# uninstall removes every file again.
. "$(dirname "$0")/lib.sh"
# a make of its own, not a part of the make that may be running the tests
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$ROOT" "$@" >"$T/make.out" 2>&1 ||
    { tail -5 "$T/make.out" >&2; return 1; }; }
FILES="bin/fzindex bin/fzsearch share/man/man1/fzindex.1 share/man/man1/fzsearch.1
share/bash-completion/completions/fzindex share/bash-completion/completions/fzsearch"
SYS_PATH=/usr/local/bin:/usr/bin:/bin

D=$T/dest
P=/usr/local
I=$D$P
check "make install DESTDIR= PREFIX=" mk install DESTDIR="$D" PREFIX="$P"
for f in $FILES; do
    check "installed $f" test -f "$I/$f"
done
check "fzindex executable" test -x "$I/bin/fzindex"
check "fzsearch executable" test -x "$I/bin/fzsearch"
check "manual pages not executable" test ! -x "$I/share/man/man1/fzsearch.1"
check "nothing outside DESTDIR/PREFIX" test "$(find "$D" -type f | wc -l)" = 6

# run from another directory, on a small index, by relative paths
mkdir -p "$T/elsewhere/docs"
cp "$ROOT/corpus/xiacheng-2017-annual-focus.txt" "$T/elsewhere/docs/"
cd "$T/elsewhere" || exit 2
E="env PATH=$I/bin:$SYS_PATH"
check "installed fzindex --version" status_is 0 $E fzindex --version
check "installed fzindex: index format" out_has "index format"
check "installed fzindex: a small index" status_is 0 $E fzindex --db idx --quiet docs
check "installed fzsearch: finds 井长制" status_is 0 $E fzsearch --db idx 井长制
check "installed fzsearch: hit shown" out_has "井长制"
check "installed fzsearch: the file, relative to here" out_has "docs/xiacheng-2017-annual-focus.txt"
check "installed fzsearch: exit 1 on no match" status_is 1 $E fzsearch --db idx 不存在的词语组合
check "installed fzindex: --pack" status_is 0 $E fzindex --db idx --pack shelf.fz
check "installed fzsearch: the archive" status_is 0 $E fzsearch --db shelf.fz 井长制
cd "$ROOT" || exit 2

# no path into the source tree in the programs' data (debugging information
# may name the sources; it is not used to run)
if command -v objcopy >/dev/null 2>&1; then
    for p in fzindex fzsearch; do
        for s in .rodata .data .data.rel.ro; do
            objcopy -O binary --only-section="$s" "$I/bin/$p" "$T/sec" 2>/dev/null || : >"$T/sec"
            check "$p $s: no path into the source tree" sh -c '! grep -qF "$0" "$1"' "$ROOT" "$T/sec"
        done
    done
fi
# with the source tree hidden under an empty tmpfs (a private mount
# namespace, as root, where permitted)
if [ "$(id -u)" = 0 ] && unshare -m sh -c "mount -t tmpfs none '$ROOT'" 2>/dev/null; then
    cat >"$T/hide.sh" <<'EOF'
mount -t tmpfs none "$ROOT" || exit 3
[ -e "$ROOT/Makefile" ] && exit 4
cd "$W" || exit 5
PATH="$BIN:/usr/bin:/bin" fzindex --db idx2 --quiet docs || exit 6
PATH="$BIN:/usr/bin:/bin" fzsearch --db idx2 井长制 >/dev/null || exit 7
PATH="$BIN:/usr/bin:/bin" fzsearch --db shelf.fz 商圈 >/dev/null || exit 8
EOF
    ROOT="$ROOT" W="$T/elsewhere" BIN="$I/bin" unshare -m sh "$T/hide.sh"
    check "source tree hidden: installed programs index and search (status $?)" test $? = 0
else
    echo "$0: note: cannot hide the source tree here (no mount namespace); skipped" >&2
fi

# the manual pages and completion are found where they were installed
if command -v man >/dev/null 2>&1; then
    check "man finds fzsearch(1) under PREFIX" sh -c 'MANPATH="$0" man -w fzsearch | grep -qF "$0"' "$I/share/man"
    check "man finds fzindex(1) under PREFIX" sh -c 'MANPATH="$0" man -w fzindex | grep -qF "$0"' "$I/share/man"
fi
if command -v bash >/dev/null 2>&1; then
    for p in fzindex fzsearch; do
        check "installed completion for $p loads" \
            bash -c '. "$0" && complete -p "$1" | grep -q "_$1"' "$I/share/bash-completion/completions/$p" "$p"
    done
fi

check "make uninstall DESTDIR= PREFIX=" mk uninstall DESTDIR="$D" PREFIX="$P"
for f in $FILES; do
    check "uninstalled $f" test ! -e "$I/$f"
done
check "no file left" test "$(find "$D" -type f | wc -l)" = 0

# PREFIX alone
P2=$T/prefix
check "make install PREFIX=" mk install PREFIX="$P2"
check "PREFIX: fzsearch" test -x "$P2/bin/fzsearch"
check "PREFIX: runs" status_is 0 env PATH="$P2/bin:$SYS_PATH" fzsearch --db "$T/elsewhere/idx" 井长制
check "make uninstall PREFIX=" mk uninstall PREFIX="$P2"
check "PREFIX: no file left" test "$(find "$P2" -type f | wc -l)" = 0
finish install
