#!/bin/sh
# Installs what fangzhi needs to build and test on Debian 12, when it is
# missing.  As root it runs apt-get; otherwise it prints the command to run.
set -e
need=""
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
# Extra packages for one target may be named: sh tools/deps.sh clang valgrind
for p in build-essential pkg-config libicu-dev liblmdb-dev libxxhash-dev libzstd-dev libmicrohttpd-dev unicode-data opencc bzip2 \
         python3 man-db curl chromium chromium-driver python3-selenium fonts-noto-cjk "$@"; do
    have "$p" || need="$need $p"
done
[ -z "$need" ] && exit 0
echo "deps: installing:$need" >&2
if [ "$(id -u)" = 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends $need >/dev/null
else
    echo "deps: run as root: apt-get install -y$need" >&2
    exit 1
fi
