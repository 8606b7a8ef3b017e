#!/bin/sh
# usage: sh bench/setup.sh
#
# Installs what `make bench` and `make bench-scale` need on Debian 12 when it
# is missing: Debian's python3 (/usr/bin/python3, the one python3-xapian is
# built for), python3-xapian, sqlite3, hyperfine, ripgrep, icu-devtools
# (uconv), npm (to fetch the corpus package), time (/usr/bin/time -v) and a
# C compiler (for bench/fzgen.c). Each is looked for as the program (or
# module) it provides, so a node/npm installed some other way is used as is.
# As root it runs apt-get; otherwise it prints the command and fails.
set -e
need=""
want() { # PACKAGE TEST...
    p=$1
    shift
    "$@" >/dev/null 2>&1 || need="$need $p"
}
want python3 test -x /usr/bin/python3
want python3-xapian /usr/bin/python3 -c 'import xapian'
want sqlite3 command -v sqlite3
want hyperfine command -v hyperfine
want ripgrep command -v rg
want icu-devtools command -v uconv
want npm command -v npm
want time test -x /usr/bin/time
want gcc command -v cc
if [ -n "$need" ]; then
    echo "bench/setup.sh: installing:$need" >&2
    if [ "$(id -u)" != 0 ]; then
        echo "bench/setup.sh: run as root: apt-get install -y$need" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends $need >/dev/null
fi
/usr/bin/python3 -c 'import sqlite3, xapian' || {
    echo "bench/setup.sh: /usr/bin/python3 cannot import sqlite3 and xapian" >&2
    exit 1
}
for c in uconv hyperfine rg npm sqlite3 cc; do
    command -v "$c" >/dev/null || { echo "bench/setup.sh: $c not found" >&2; exit 1; }
done
