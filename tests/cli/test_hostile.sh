#!/bin/sh
# Hostile or broken input, each with bounded memory (peak RSS) and time:
# a 200 MB file, a single 50 MB line, 100,000 entries in one file, headings
# nested 50 deep, a 10,000-character query, queries of 1,000 terms, a file
# of NUL bytes, symlink loops.  FZ_QUICK=1 leaves out the 200 MB file.
# VERBOSE=1 prints the time and peak memory of every measured run.
. "$(dirname "$0")/lib.sh"
S=$ROOT/corpus/xiacheng-2017-annual-focus.txt

# peak OUT SECONDS CMD...: runs CMD, kills it after SECONDS, writes its peak
# RSS (KB) and wall time to OUT; exits with CMD's status (124 on timeout,
# 128+N on signal N)
cat >"$T/peak.c" <<'EOF'
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
static pid_t child;
static volatile sig_atomic_t timed_out;
static void on_alarm(int sig) { (void)sig; timed_out = 1; kill(child, SIGKILL); }
int main(int argc, char **argv)
{
    if (argc < 4)
        return 2;
    struct timeval t0, t1;
    gettimeofday(&t0, NULL);
    if ((child = fork()) == 0) {
        execvp(argv[3], argv + 3);
        _exit(127);
    }
    signal(SIGALRM, on_alarm);
    alarm((unsigned)atoi(argv[2]));
    int st;
    struct rusage ru;
    while (wait4(child, &st, 0, &ru) < 0)
        ;
    gettimeofday(&t1, NULL);
    FILE *f = fopen(argv[1], "w");
    if (f) {
        fprintf(f, "%ld %.2f\n", ru.ru_maxrss, (t1.tv_sec - t0.tv_sec) + (t1.tv_usec - t0.tv_usec) / 1e6);
        fclose(f);
    }
    if (timed_out)
        return 124;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
EOF
${CC:-cc} -O1 -o "$T/peak" "$T/peak.c" || { echo "$0: cannot build the measuring helper" >&2; exit 1; }
# LMDB 0.9.24 leaks its spill list (1 MB, once) after a write transaction
# large enough to spill pages; that is LMDB's, not ours
printf 'leak:mdb_midl_alloc\n' >"$T/lsan.supp"
export LSAN_OPTIONS="suppressions=$T/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

# run DESC STATUS MAXKB SECONDS CMD...: CMD exits with STATUS (a list like
# "0|1" allowed) within SECONDS and peaks below MAXKB
run() {
    desc=$1 want=$2 maxkb=$3 secs=$4
    shift 4
    "$T/peak" "$T/peak.out" "$secs" "$@" >"$T/out" 2>"$T/err"
    got=$?
    set -- $(cat "$T/peak.out" 2>/dev/null) 0 0
    [ -n "$VERBOSE" ] && echo "  $desc: exit $got, ${2}s, peak $(($1 / 1024)) MB" >&2
    case "|$want|" in
    *"|$got|"*) pass=$((pass + 1)) ;;
    *)
        failn=$((failn + 1))
        echo "$0: FAILED: $desc: exit $got (wanted $want); stderr: $(head -c 300 "$T/err")" >&2
        return
        ;;
    esac
    if [ "$1" -le "$maxkb" ]; then
        pass=$((pass + 1))
    else
        failn=$((failn + 1))
        echo "$0: FAILED: $desc: peak memory $1 KB > $maxkb KB" >&2
    fi
    if grep -q 'Sanitizer\|runtime error' "$T/err"; then
        failn=$((failn + 1))
        echo "$0: FAILED: $desc: sanitizer report: $(head -c 600 "$T/err")" >&2
    fi
}
MB=1024 # KB

# ---- a 200 MB file (4,000 copies of the sample)
if [ -z "$FZ_QUICK" ]; then
    i=0
    while [ $i -lt 100 ]; do cat "$S"; i=$((i + 1)); done >"$T/chunk"
    i=0
    while [ $i -lt 40 ]; do cat "$T/chunk"; i=$((i + 1)); done >"$T/f200.txt"
    rm "$T/chunk"
    run "200 MB file: indexed" 0 $((3000 * MB)) 300 "$FZI" --db "$T/db200" "$T/f200.txt"
    check "200 MB file: 240,000 entries" err_has "240000 entries"
    run "200 MB file: search" 0 $((400 * MB)) 60 "$FZS" --db "$T/db200" 井长制
    run "200 MB file: count" 0 $((400 * MB)) 60 "$FZS" --db "$T/db200" --count 井长制
    check "200 MB file: 8,000 entries with 井长制" out_has "^8000"
    run "200 MB file: --check" 0 $((1500 * MB)) 120 "$FZI" --db "$T/db200" --check
    rm -rf "$T/db200" "$T/f200.txt"
fi

# ---- a single 50 MB line (the sample's text without line ends)
tr -d '\n' <"$S" >"$T/oneline"
i=0
while [ $i -lt 1000 ]; do cat "$T/oneline"; i=$((i + 1)); done >"$T/line50.txt"
rm "$T/oneline"
run "50 MB line: indexed" 0 $((1600 * MB)) 200 "$FZI" --db "$T/dbline" "$T/line50.txt"
check "50 MB line: one entry" err_has "1 entries"
run "50 MB line: search with a snippet" 0 $((700 * MB)) 60 "$FZS" --db "$T/dbline" 井长制
run "50 MB line: json" 0 $((700 * MB)) 60 "$FZS" --db "$T/dbline" --json 井长制
run "50 MB line: phrase across the text" 0 $((700 * MB)) 60 "$FZS" --db "$T/dbline" --count 首创窨井
check "50 MB line: counted as one entry" out_has "^1"
run "50 MB line: --check" 0 $((700 * MB)) 100 "$FZI" --db "$T/dbline" --check
rm -rf "$T/dbline" "$T/line50.txt"

# ---- 100,000 entries in one file
awk 'BEGIN { for (i = 1; i <= 100000; i++) printf "【条目%d】第%d条，井长制试点。\n", i, i }' >"$T/many.txt"
run "100,000 entries: indexed" 0 $((600 * MB)) 120 "$FZI" --db "$T/dbmany" "$T/many.txt"
check "100,000 entries: all of them" err_has "100000 entries"
run "100,000 entries: count" 0 $((400 * MB)) 60 "$FZS" --db "$T/dbmany" --count 井长制
check "100,000 entries: all match" out_has "^100000"
run "100,000 entries: the last one" 0 $((400 * MB)) 60 "$FZS" --db "$T/dbmany" --count "title:条目100000"
run "100,000 entries: --check" 0 $((400 * MB)) 60 "$FZI" --db "$T/dbmany" --check
rm -rf "$T/dbmany" "$T/many.txt"

# ---- headings nested 50 deep, in every convention
{
    k=1
    while [ $k -le 50 ]; do
        printf '第%d编 第%d编名称\n第%d章 第%d章名称\n第%d节 第%d节名称\n' $k $k $k $k $k $k
        printf '小标题%d\n\n年度聚焦%d\nAnnual Focus\n\n' $k $k
        k=$((k + 1))
    done
    k=1
    while [ $k -le 50 ]; do printf '链式标题%d\n' $k; k=$((k + 1)); done
    printf '【深层条目】正文提到井长制。\n'
    k=1
    while [ $k -le 50 ]; do printf '资料 资料%d\n' $k; k=$((k + 1)); done
    printf '正文的最后一段井长制。\n(陆 婷)\n'
} >"$T/deep.txt"
run "50 nested headings: indexed" 0 $((300 * MB)) 60 "$FZI" --db "$T/dbdeep" "$T/deep.txt"
run "50 nested headings: search" 0 $((300 * MB)) 60 "$FZS" --db "$T/dbdeep" --json --limit 0 井长制
check "50 nested headings: sections at most 4 deep" \
    sh -c "! grep -q '\"section\":\[\"[^]]*\",\"[^]]*\",\"[^]]*\",\"[^]]*\",\"' '$T/out'"
check "50 nested headings: the deep entry found" out_has '"title":"深层条目"'
check "50 nested headings: --check" status_is 0 "$FZI" --db "$T/dbdeep" --check

# ---- queries against the sample
"$FZI" --db "$T/db" --quiet "$S" || exit 1
w=井长制治水 long=
i=0
while [ $i -lt 2000 ]; do long=$long$w; i=$((i + 1)); done # 10,000 characters
# (a query may be refused as too long, in one line)
refused_well() { [ "$got" != 2 ] || { one_line && err_has "too many"; }; }
run "10,000-character phrase" "0|1|2" $((400 * MB)) 60 "$FZS" --db "$T/db" "$long"
check "10,000-character phrase: answered or refused in one line" refused_well
run "10,000-character phrase, json" "0|1|2" $((400 * MB)) 60 "$FZS" --db "$T/db" --json "$long"
check "10,000-character phrase, json: answered or refused in one line" refused_well
# 10,000 characters of real text, punctuation and all (cut at a character)
text=$(tr -d '\n"“”「」『』()（）' <"$S" | head -c 30000 | iconv -f UTF-8 -t UTF-8 -c 2>/dev/null)
run "10,000 characters of running text" "0|1|2" $((400 * MB)) 60 "$FZS" --db "$T/db" "$text"
check "10,000 characters of running text: answered or refused in one line" refused_well
word=$(head -c 10000 /dev/zero | tr '\0' a)
run "10,000-letter word" 1 $((400 * MB)) 60 "$FZS" --db "$T/db" "$word"
terms=$(awk 'BEGIN { for (i = 1; i <= 1000; i++) printf "词%d ", i }')
run "1,000 terms (AND)" 1 $((400 * MB)) 60 "$FZS" --db "$T/db" "$terms"
terms=$(awk 'BEGIN { for (i = 1; i <= 1000; i++) printf "井长制 " }')
run "1,000 times the same term" 0 $((400 * MB)) 60 "$FZS" --db "$T/db" "$terms"
terms=$(awk 'BEGIN { printf "井长制"; for (i = 1; i <= 999; i++) printf " OR 词%d", i }')
run "1,000 terms (OR)" 0 $((400 * MB)) 60 "$FZS" --db "$T/db" --json "$terms"
terms=$(awk 'BEGIN { for (i = 1; i <= 1000; i++) printf "\"井长 制%d\" ", i }')
run "1,000 phrases" 1 $((400 * MB)) 60 "$FZS" --db "$T/db" "$terms"
terms=$(awk 'BEGIN { for (i = 1; i <= 1000; i++) printf "井? ", i }')
run "1,000 wildcard terms" "0|1" $((400 * MB)) 60 "$FZS" --db "$T/db" "$terms"
terms=$(awk 'BEGIN { for (i = 1; i <= 5000; i++) printf "词%d OR ", i; printf "井" }')
run "5,000 terms: too many nodes" 2 $((400 * MB)) 60 "$FZS" --db "$T/db" "$terms"
check "5,000 terms: one line" one_line
terms=$(awk 'BEGIN { for (i = 1; i <= 500; i++) printf "("; printf "井"; for (i = 1; i <= 500; i++) printf ")" }')
run "500 nested parentheses" 2 $((400 * MB)) 60 "$FZS" --db "$T/db" "$terms"
check "500 nested parentheses: one line" one_line
printf '%s\n' "$long" "$word" "$terms" 井长制 >"$T/batch"
run "a batch of long queries" 2 $((400 * MB)) 60 "$FZS" --db "$T/db" --batch "$T/batch" --json

# ---- a file of NUL bytes
head -c 1000000 /dev/zero >"$T/nul.txt"
run "1 MB of NUL bytes" 2 $((300 * MB)) 60 "$FZI" --db "$T/dbnul" "$T/nul.txt"
check "NUL bytes: nothing indexed" err_has "nothing indexed"
mkdir "$T/mixed"
cp "$T/nul.txt" "$T/mixed/a.txt"
cp "$S" "$T/mixed/b.txt"
run "NUL file beside a good one" 0 $((300 * MB)) 60 "$FZI" --db "$T/dbnul" "$T/mixed"
check "NUL file beside a good one: skipped by name" err_has "skipping.*a.txt"
check "NUL file beside a good one: the good one is found" status_is 0 "$FZS" --db "$T/dbnul" 井长制

# ---- symlink loops, a FIFO, a device
mkdir -p "$T/loop/sub"
cp "$S" "$T/loop/sub/a.txt"
ln -s .. "$T/loop/sub/up"
ln -s . "$T/loop/here"
ln -s self "$T/loop/self"
ln -s "$T/loop" "$T/loop/sub/abs"
ln -s sub/a.txt "$T/loop/alias.txt"
mkfifo "$T/loop/fifo"
run "symlink loops" 0 $((300 * MB)) 60 "$FZI" --db "$T/dbloop" "$T/loop"
check "symlink loops: the file indexed once" err_has "indexed 1 file, 60 entries"
check "symlink loops: the self-link named in a warning" err_has "self"
run "symlink loop as the argument" 2 $((300 * MB)) 60 "$FZI" --db "$T/dbloop2" "$T/loop/self"
check "symlink loop as the argument: one line" one_line
run "a device as the argument" 2 $((300 * MB)) 60 "$FZI" --db "$T/dbdev" /dev/zero
check "a device: one line" one_line
finish hostile
