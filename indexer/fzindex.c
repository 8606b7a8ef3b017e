/*
 * fzindex -- builds and maintains a fangzhi index.
 *
 * Modes: index files (the default), --remove files, --merge other indexes,
 * --list, --check, --pack.  Indexing, removing and merging happen in one
 * write transaction: everything is committed at the end, or nothing.
 *
 * Progress: on a terminal (or with --progress) a status line on stderr is
 * redrawn in place, at most ten times a second, between files: a single
 * large file shows no progress while it is being indexed.
 *
 * Exit status: 0 success; 2 error (bad usage, nothing indexed, a damaged
 * index, a full disk); the index is left as it was on any error, except
 * that a named input that could not be read exits 2 after the rest is
 * indexed.  A fault reading an index and a full disk under the writable
 * map end the program through common/guard.h (one line, exit 2).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "../common/enc.h"
#include "../common/fold.h"
#include "../common/esc.h"
#include "../common/fz.h"
#include "../common/guard.h"
#include "../common/store.h"
#include "build.h"
#include "check.h"
#include "outline.h"
#include "export.h"

#define PROG "fzindex"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: fzindex [--db DIR] [options] [--catalog FILE.csv] PATH...\n"
            "       fzindex [--db DIR] --catalog FILE.csv\n"
            "       fzindex [--db DIR] --remove PATH...\n"
            "       fzindex [--db DIR] --merge INDEX...\n"
            "       fzindex [--db DIR] --list | --check | --pack FILE | --export FILE\n"
            "       fzindex --outline [--json] [--layout NAME] PATH...\n"
            "\n"
            "Indexes gazetteer and yearbook text files (directories recursively) into\n"
            "one index. A file indexed again replaces its earlier entries. Search\n"
            "with fzsearch. Each file's structure is read in one of three layouts:\n"
            "  yearbook    【title】 entries, headings, 资料 sidebars, photo captions,\n"
            "              attributions such as (陆婷)\n"
            "  classical   ●○ marked headings, 卷/门/目 (卷之一, 地理志, 山川), a 目录,\n"
            "              items (鼓楼 在县治东…), prefaces and their authors, 某某曰,\n"
            "              校注 notes; wrapped OCR lines, folios and running heads\n"
            "  paragraphs  every paragraph is an entry\n"
            "auto (the default) picks yearbook when 【title】 and (author) lines\n"
            "outnumber the classical evidence (marked headings, 卷 and 门 headings, a\n"
            "目录, a book title on the first line, wrapped lines with folios),\n"
            "classical when there is such evidence, yearbook for 第N编/章/节\n"
            "headings alone, else paragraphs. --outline shows the choice and why.\n"
            "\n"
            "options:\n"
            "  -d, --db DIR         index directory (default $FANGZHI_DB, else\n"
            "                       $XDG_DATA_HOME/fangzhi/index, else\n"
            "                       ~/.local/share/fangzhi/index)\n"
            "  -e, --encoding NAME  read every file in this encoding, e.g. GB18030, BIG5,\n"
            "                       UTF-16LE (default: detect per file: UTF-8, UTF-16,\n"
            "                       GB18030, Big5)\n"
            "  -m, --mem SIZE       memory for indexing, e.g. 512M, 2G (default 1/8 of\n"
            "                       RAM, 256M..2G); more is written in batches\n"
            "      --catalog FILE   a CSV with the header file,title,place,year, one row\n"
            "                       per file (matched by path or base name): its title\n"
            "                       becomes the volume's, place and year (negative BCE)\n"
            "                       are searchable (place: year:1700..1800) and\n"
            "                       groupable; alone, it updates an existing index\n"
            "      --remove         remove the given files' entries from the index (a\n"
            "                       directory: every file indexed under it)\n"
            "      --merge          add the entries of the given indexes (directories or\n"
            "                       packed archives) without reading their sources\n"
            "      --outline        parse the files without indexing and print the tree:\n"
            "                       volume, layout and why, headings with entry counts\n"
            "      --json           with --outline: the entries as JSON Lines (line,\n"
            "                       kind, section, title, authors, start of the text)\n"
            "      --layout NAME    auto, yearbook, classical or paragraphs (default\n"
            "                       auto: each file decides) for indexing or --outline\n"
            "      --list           list indexed files: entries, encoding, date\n"
            "      --check          check the index's integrity, and an archive's checksum\n"
            "                       (exit 0 sound, 2 not)\n"
            "      --pack FILE      write a compacted single-file copy of the index,\n"
            "                       searchable read-only: fzsearch --db FILE\n"
            "      --export FILE    write every entry as JSON Lines (- for stdout): id,\n"
            "                       file, volume, place, year, line, section, title,\n"
            "                       authors, kind, text; for other engines\n"
            "      --prune          also remove from the index the files under each\n"
            "                       DIRECTORY given that no longer exist there\n"
            "      --progress       show progress even when stderr is not a terminal\n"
            "      --no-progress    no progress line, even on a terminal\n"
            "  -q, --quiet          no progress (unless --progress) and no summary line\n"
            "  -v, --verbose        one line per file: its detected encoding and entries\n"
            "  -h, --help           this help\n"
            "  -V, --version        program and index format versions\n"
            "\n"
            "On a terminal, progress is shown on stderr: files and megabytes done,\n"
            "MB/s, entries and time left; a summary line ends every run.\n"
            "\n"
            "examples:\n"
            "  fzindex --db ~/fz 下城年鉴/\n"
            "  fzindex --db ~/fz --encoding GB18030 旧志扫描/\n"
            "  fzindex --outline 某某县志.txt    (check the structure before indexing)\n"
            "  fzindex --db ~/fz --catalog shelf.csv 旧志/\n"
            "  fzindex --db ~/fz --remove 下城年鉴/2017.txt\n"
            "  fzindex --db ~/fz --merge /mnt/colleague/index\n"
            "  fzindex --db ~/fz --pack /media/disk/xiacheng.fz\n"
            "  fzsearch --db ~/fz 井长制        (then search; fzsearch --help: the query syntax)\n"
            "\n"
            "exit status: 0 success, 2 error (the index is left as it was, or, when a\n"
            "named file could not be read, holds the others).\n");
}

static int mkdirs(const char *path)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = 0;
            if (mkdir(tmp, 0777) && errno != EEXIST)
                return -1;
            *p = '/';
        }
    }
    return 0;
}

static int parse_size(const char *s, size_t *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || v <= 0)
        return -1;
    switch (*end) {
    case 'k': case 'K': v *= 1024; end++; break;
    case 'm': case 'M': v *= 1024 * 1024; end++; break;
    case 'g': case 'G': v *= 1024.0 * 1024 * 1024; end++; break;
    case 0: break;
    default: return -1;
    }
    if (*end == 'B' || *end == 'b')
        end++;
    if (*end)
        return -1;
    *out = (size_t)v;
    return 0;
}

static double now(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return tv.tv_sec + tv.tv_usec / 1e6;
}

/* ---- progress ----
 * One status line on stderr.  On a terminal it is redrawn with \r and
 * ESC[K (clear to end of line) and cut to the terminal's width; forced onto
 * something else (--progress), or on a dumb terminal, it is redrawn with \r
 * and padded with spaces, and left standing with a newline at the end. */

typedef struct {
    int on;                 /* drawing at all */
    int tty;                /* stderr is a terminal that knows ESC[K (TERM is not dumb) */
    int shown;              /* a line is standing now */
    int drawn;              /* drawn at least once */
    int cols;               /* terminal width, 0 = unknown */
    size_t lastlen;         /* length of the last line drawn */
    double t0, last;        /* start, last draw */
    const char *unit;       /* "files", "indexes" */
    size_t done, total;     /* items */
    uint64_t bytes, total_bytes, entries;
} progress;

static void progress_init(progress *p, int on, const char *unit, size_t total, uint64_t total_bytes)
{
    memset(p, 0, sizeof *p);
    p->on = on;
    const char *term = getenv("TERM");
    p->tty = isatty(STDERR_FILENO) && !(term && strcmp(term, "dumb") == 0);
    p->unit = unit;
    p->total = total;
    p->total_bytes = total_bytes;
    p->t0 = now();
    struct winsize ws;
    if (p->tty && ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0)
        p->cols = ws.ws_col;
}

/* "1:02" or "1:02:03" */
static void fmt_duration(char *buf, size_t n, double secs)
{
    unsigned long s = secs < 0 ? 0 : (unsigned long)(secs + 0.5);
    if (s >= 3600)
        snprintf(buf, n, "%lu:%02lu:%02lu", s / 3600, s / 60 % 60, s % 60);
    else
        snprintf(buf, n, "%lu:%02lu", s / 60, s % 60);
}

/* Draws the line if the last draw was at least 0.1 s ago (or, with wait,
 * after sleeping out the rest of that tenth of a second).  phase, when not
 * NULL, replaces the time-left estimate. */
static void progress_draw(progress *p, const char *phase, int wait)
{
    if (!p->on)
        return;
    double t = now();
    if (p->drawn && t - p->last < 0.1) {
        if (!wait)
            return;
        double rest = 0.1 - (t - p->last);
        struct timespec ts = {0, (long)(rest * 1e9) + 1};
        nanosleep(&ts, NULL);
        t = now();
    }
    char line[320];
    size_t len = 0;
#define ADD(...) (len += (size_t)snprintf(line + len, len < sizeof line ? sizeof line - len : 0, __VA_ARGS__), \
                  len = len < sizeof line ? len : sizeof line - 1)
    double dt = t - p->t0;
    ADD(PROG ": %zu/%zu %s", p->done, p->total, p->unit);
    if (p->total_bytes)
        ADD(", %.1f/%.1f MB", p->bytes / 1e6, p->total_bytes / 1e6);
    if (dt > 0 && p->bytes)
        ADD(", %.1f MB/s", p->bytes / 1e6 / dt);
    if (p->entries) /* unknown (0) until worker threads write a batch */
        ADD(", %llu entries", (unsigned long long)p->entries);
    double frac = p->total_bytes ? (double)p->bytes / p->total_bytes
                                 : p->total ? (double)p->done / p->total : 0;
    if (phase) {
        ADD(", %s", phase);
    } else if (frac > 0 && frac < 1) {
        char d[32];
        fmt_duration(d, sizeof d, dt * (1 - frac) / frac);
        ADD(", %s left", d);
    } else if (frac >= 1) {
        ADD(", 0:00 left");
    } else {
        ADD(", -:-- left");
    }
#undef ADD
    if (p->cols > 1 && len > (size_t)p->cols - 1)
        len = (size_t)p->cols - 1; /* the line is ASCII: any cut is clean */
    char out[sizeof line + 16 + sizeof line];
    size_t o = 0;
    out[o++] = '\r';
    memcpy(out + o, line, len);
    o += len;
    if (p->tty) {
        memcpy(out + o, "\033[K", 3);
        o += 3;
    } else {
        for (size_t i = len; i < p->lastlen && o < sizeof out; i++)
            out[o++] = ' ';
    }
    fwrite(out, 1, o, stderr);
    fflush(stderr);
    p->lastlen = len;
    p->shown = p->drawn = 1;
    p->last = t;
}

/* Takes the line away before other output (a message, the summary). */
static void progress_clear(progress *p)
{
    if (!p->on || !p->shown)
        return;
    if (p->tty)
        fputs("\r\033[K", stderr);
    else
        fputc('\n', stderr);
    fflush(stderr);
    p->shown = 0;
    p->lastlen = 0;
}

/* ---- collecting input files ---- */

typedef struct {
    char *path;
    uint64_t size;
    unsigned mode;          /* st_mode */
    int named;              /* given on the command line */
} file_item;

typedef struct {
    file_item *items;
    size_t n, cap;
    uint64_t total;         /* sum of the sizes */
    dev_t *vdev;
    ino_t *vino;
    size_t nv, vcap;
    size_t skipped;         /* entries of directories not indexed: FIFOs, loops, unreadable ... */
    int failed;             /* a named path could not be read */
    struct stat own[3];     /* the index's directory, data.mdb, lock.mdb (st_nlink 0: none) */
} file_list;

static int list_add(file_list *l, const char *p, uint64_t size)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        file_item *ni = realloc(l->items, cap * sizeof *ni);
        if (!ni) {
            fprintf(stderr, PROG ": collecting files: out of memory\n");
            return -1;
        }
        l->items = ni;
        l->cap = cap;
    }
    if (!(l->items[l->n].path = strdup(p))) {
        fprintf(stderr, PROG ": collecting files: out of memory\n");
        return -1;
    }
    l->items[l->n].size = size;
    l->items[l->n].mode = 0644;
    l->items[l->n].named = 0;
    l->n++;
    return 0;
}

/* Records the index's own directory and files, which collect() skips
 * (an index inside the tree being indexed). */
static void list_own(file_list *l, const char *db)
{
    static const char *const names[] = {"", "/data.mdb", "/lock.mdb"};
    for (int i = 0; i < 3; i++) {
        char p[PATH_MAX + 16];
        snprintf(p, sizeof p, "%s%s", db, names[i]);
        if (stat(p, &l->own[i]))
            memset(&l->own[i], 0, sizeof l->own[i]);
    }
}

static int is_own(const file_list *l, const struct stat *st)
{
    for (int i = 0; i < 3; i++)
        if (l->own[i].st_nlink && l->own[i].st_dev == st->st_dev && l->own[i].st_ino == st->st_ino)
            return 1;
    return 0;
}

static void list_free(file_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->items[i].path);
    free(l->items);
    free(l->vdev);
    free(l->vino);
    memset(l, 0, sizeof *l);
}

static int visited(file_list *l, const struct stat *st)
{
    for (size_t i = 0; i < l->nv; i++)
        if (l->vdev[i] == st->st_dev && l->vino[i] == st->st_ino)
            return 1;
    if (l->nv == l->vcap) {
        size_t cap = l->vcap ? l->vcap * 2 : 64;
        dev_t *nd = realloc(l->vdev, cap * sizeof *nd);
        if (nd)
            l->vdev = nd;
        ino_t *ni = realloc(l->vino, cap * sizeof *ni);
        if (ni)
            l->vino = ni;
        if (!nd || !ni)
            return 1;
        l->vcap = cap;
    }
    l->vdev[l->nv] = st->st_dev;
    l->vino[l->nv] = st->st_ino;
    l->nv++;
    return 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int cmp_item(const void *a, const void *b)
{
    return strcmp(((const file_item *)a)->path, ((const file_item *)b)->path);
}

/* Adds a file, or a directory's files recursively (following links, each
 * directory once, so a symlink loop ends).  Hidden names are skipped, and
 * so is the index itself.  The size and mode of each file are recorded.
 * What cannot be read is reported: a named path (top) as an error (the
 * run goes on and exits 2: l->failed), anything found in a directory with
 * a warning, counted in l->skipped.  Returns -1 only when memory runs out. */
static int collect(file_list *l, const char *path, int top, int depth)
{
    struct stat st;
    const char *why = NULL;
    char whybuf[128];
    if (stat(path, &st)) {
        snprintf(whybuf, sizeof whybuf, "%s", strerror(errno));
        why = whybuf;
    } else if (is_own(l, &st)) {
        if (top) {
            fz_buf eb = {0};
            fprintf(stderr, PROG ": warning: skipping %s: it is the index being written (--db)\n",
                    esc_text_str(&eb, path, strlen(path)));
            fz_buf_free(&eb);
        }
        return 0;
    } else if (S_ISREG(st.st_mode)) {
        char real[PATH_MAX];
        if (!realpath(path, real))
            snprintf(real, sizeof real, "%s", path);
        if (list_add(l, real, (uint64_t)st.st_size))
            return -1;
        l->items[l->n - 1].mode = st.st_mode;
        l->items[l->n - 1].named = top;
        return 0;
    } else if (!S_ISDIR(st.st_mode)) {
        why = S_ISFIFO(st.st_mode) ? "a FIFO, not a regular file"
              : S_ISSOCK(st.st_mode) ? "a socket, not a regular file"
                                     : "a device, not a regular file";
    } else if (visited(l, &st) || depth > 64) {
        if (top)
            return 0; /* the same directory named twice */
        why = "a directory read already (a symbolic link loop)";
    }
    DIR *d = NULL;
    if (!why && !(d = opendir(path))) {
        snprintf(whybuf, sizeof whybuf, "%s", strerror(errno));
        why = whybuf;
    }
    if (why) {
        fz_buf eb = {0};
        fprintf(stderr, PROG ": %s%s: %s\n", top ? "" : "warning: skipping ", esc_text_str(&eb, path, strlen(path)),
                why);
        fz_buf_free(&eb);
        if (top)
            l->failed = 1;
        else
            l->skipped++;
        return 0;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    int rc = 0;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nn = realloc(names, cap * sizeof *nn);
            if (!nn) {
                rc = -1;
                break;
            }
            names = nn;
        }
        size_t len = strlen(path) + strlen(de->d_name) + 2;
        if (!(names[n] = malloc(len))) {
            rc = -1;
            break;
        }
        snprintf(names[n], len, "%s%s%s", path, path[strlen(path) - 1] == '/' ? "" : "/", de->d_name);
        n++;
    }
    closedir(d);
    if (rc)
        fprintf(stderr, PROG ": collecting files: out of memory\n");
    if (n)
        qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n; i++) {
        if (!rc)
            rc = collect(l, names[i], 0, depth + 1);
        free(names[i]);
    }
    free(names);
    return rc;
}

/* Sorts the list and drops repeated paths; sums the sizes. */
static void list_unique(file_list *l)
{
    if (l->n)
        qsort(l->items, l->n, sizeof *l->items, cmp_item);
    size_t u = 0;
    l->total = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (u && strcmp(l->items[u - 1].path, l->items[i].path) == 0) {
            l->items[u - 1].named |= l->items[i].named;
            free(l->items[i].path);
            continue;
        }
        l->items[u++] = l->items[i];
        l->total += l->items[i].size;
    }
    l->n = u;
}

static int read_file(const char *path, fz_buf *out, struct stat *st)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    if (fstat(fileno(f), st)) {
        fclose(f);
        return -1;
    }
    out->len = 0;
    if (fz_buf_reserve(out, (size_t)st->st_size + 1)) {
        fclose(f);
        errno = ENOMEM;
        return -1;
    }
    size_t n;
    while ((n = fread(out->p + out->len, 1, out->cap - out->len - 1, f)) > 0) {
        out->len += n;
        if (out->len + 1 == out->cap && fz_buf_reserve(out, 65536)) {
            fclose(f);
            errno = ENOMEM;
            return -1;
        }
    }
    int err = ferror(f);
    fclose(f);
    if (err) {
        errno = EIO;
        return -1;
    }
    out->p[out->len] = 0;
    return 0;
}

/* Size of an index: its data.mdb, or the file itself for an archive. */
static uint64_t index_size(const char *db)
{
    struct stat st;
    char p[PATH_MAX + 16];
    snprintf(p, sizeof p, "%s/data.mdb", db);
    if (stat(p, &st) == 0)
        return (uint64_t)st.st_size;
    return stat(db, &st) == 0 && S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
}

/* ---- read-only modes ---- */

static int open_read(const char *db, store **s)
{
    char msg[1024] = "";
    int rc = store_open(db, STORE_READ, s, msg, sizeof msg);
    if (rc) {
        fprintf(stderr, PROG ": %s\n", msg[0] ? msg : fz_strerror(rc));
        return 2;
    }
    return 0;
}

static int do_list(const char *db)
{
    char msg[512] = "";
    store *s;
    if (open_read(db, &s))
        return 2;
    MDB_txn *txn;
    int rc;
    if ((rc = store_begin(s, 0, &txn, msg, sizeof msg))) {
        fprintf(stderr, PROG ": listing %s: %s\n", db, msg);
        store_close(s);
        return 2;
    }
    MDB_cursor *cur;
    if ((rc = mdb_cursor_open(txn, store_dbi(s, STORE_DB_FILE), &cur))) {
        fprintf(stderr, PROG ": listing %s: %s\n", db, mdb_strerror(rc));
        mdb_txn_abort(txn);
        store_close(s);
        return 2;
    }
    MDB_val k, v;
    int r = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    printf("%8s  %-10s  %-19s  %s\n", "entries", "encoding", "indexed", "file");
    while (r == 0) {
        char path[PATH_MAX];
        size_t n = k.mv_size < sizeof path - 1 ? k.mv_size : sizeof path - 1;
        memcpy(path, k.mv_data, n);
        path[n] = 0;
        store_file f;
        if (store_file_get(s, txn, path, &f) == 0) {
            char when[32];
            time_t t = (time_t)f.indexed_at;
            strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", localtime(&t));
            fz_buf eb = {0};
            printf("%8u  %-10s  %-19s  %s\n", f.nentries, f.encoding, when, esc_text_str(&eb, path, n));
            fz_buf_free(&eb);
        }
        r = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    store_close(s);
    if (r != MDB_NOTFOUND) {
        fprintf(stderr, PROG ": listing %s: %s\n", db, mdb_strerror(r));
        return 2;
    }
    if (fflush(stdout)) {
        fprintf(stderr, PROG ": writing the list: %s\n", strerror(errno));
        return 2;
    }
    return 0;
}

/* --export: every entry once, in id order, as the JSON object of
 * fzsearch --show --json (out.c writes it), into a new file (never over an
 * existing one; a failed export leaves no file behind) or stdout. */
static int do_export(const char *db, const char *file, int quiet)
{
    store *s;
    if (open_read(db, &s))
        return 2;
    int to_stdout = !strcmp(file, "-");
    FILE *f = stdout;
    if (!to_stdout) {
        int fd = open(file, O_WRONLY | O_CREAT | O_EXCL, 0644);
        if (fd < 0 || !(f = fdopen(fd, "w"))) {
            fprintf(stderr, PROG ": exporting into %s: %s%s\n", file, strerror(errno),
                    errno == EEXIST ? " (give a new file name)" : "");
            if (fd >= 0)
                close(fd);
            store_close(s);
            return 2;
        }
    }
    char msg[512] = "";
    const char *why = NULL;
    uint64_t n = 0;
    int rc = export_entries(s, f, &n, msg, sizeof msg);
    if (rc)
        why = msg[0] ? msg : fz_strerror(rc);
    store_close(s);
    if (fflush(f) && !why)
        why = strerror(errno);
    if (!to_stdout && (fsync(fileno(f)) && errno != EINVAL && errno != EROFS) && !why)
        why = strerror(errno);
    if (!to_stdout && fclose(f) && !why)
        why = strerror(errno);
    if (why) {
        fprintf(stderr, PROG ": exporting %s into %s: %s\n", db, to_stdout ? "stdout" : file, why);
        if (!to_stdout)
            unlink(file);
        return 2;
    }
    if (!quiet && !to_stdout)
        fprintf(stderr, PROG ": exported %llu entries of %s into %s\n", (unsigned long long)n, db, file);
    return 0;
}

/* Packs into a new file (never over an existing one) with its checksum
 * (store_pack); a failed pack leaves no file behind. */
static int do_pack(const char *db, const char *file, int quiet)
{
    store *s;
    if (open_read(db, &s))
        return 2;
    char msg[1024] = "";
    int rc = store_pack(s, file, msg, sizeof msg);
    uint64_t size = store_size(s);
    store_close(s);
    if (rc) {
        fprintf(stderr, PROG ": %s\n", msg[0] ? msg : fz_strerror(rc));
        return 2;
    }
    struct stat st;
    if (!quiet)
        fprintf(stderr, PROG ": packed %s into %s (%.1f MB; index %.1f MB)\n", db, file,
                stat(file, &st) == 0 ? st.st_size / 1e6 : 0.0, size / 1e6);
    return 0;
}

static int do_check(const char *db, int quiet)
{
    char msg[1024] = "";
    store *s;
    struct stat st;
    /* an archive's checksum before LMDB reads any of it */
    int rc = stat(db, &st) == 0 && S_ISREG(st.st_mode) ? store_pack_verify(db, msg, sizeof msg) : 0;
    if (rc) {
        fprintf(stderr, PROG ": %s\n", msg);
        return 2;
    }
    if (open_read(db, &s))
        return 2;
    check_report r = {0};
    rc = check_index(s, stderr, 20, &r, msg, sizeof msg);
    store_close(s);
    if (rc == FZ_ECORRUPT) {
        fprintf(stderr, PROG ": %s: index is damaged: %llu problem%s found; re-index the sources\n", db,
                r.problems, r.problems == 1 ? "" : "s");
        return 2;
    }
    if (rc) {
        fprintf(stderr, PROG ": checking %s: %s\n", db, msg[0] ? msg : fz_strerror(rc));
        return 2;
    }
    if (!quiet)
        fprintf(stderr,
                PROG ": %s is sound: %llu files, %llu entries, %llu posting blocks (%llu of them in the delta tier), "
                     "%llu terms in %llu term packs, %llu postings\n",
                db, r.files, r.entries, r.blocks, r.delta_blocks, r.packed, r.packs, r.postings);
    return 0;
}

/* ---- writing modes ---- */

enum mode { M_INDEX, M_REMOVE, M_MERGE, M_LIST, M_CHECK, M_PACK, M_EXPORT, M_OUTLINE };
static const char *const mode_opt[] = {"", "--remove", "--merge", "--list", "--check", "--pack", "--export",
                                       "--outline"};

typedef struct {
    const char *db, *encoding;
    const char *catalog_file;  /* --catalog */
    const catalog *cat;        /* its rows, read before anything is indexed */
    enum mode mode;
    int quiet, verbose, progress; /* progress: -1 auto, 0 never, 1 always */
    size_t mem;
    file_list *prune;       /* --prune: the directories given (canonical); else NULL */
    parse_layout layout;    /* --layout */
    int json;               /* --json (with --outline) */
} run_opts;

/* Converts raw, the bytes of path, to UTF-8 in utf8, in the encoding of
 * --encoding or else the one detected (*encp).  Returns 0 (with a warning
 * when invalid UTF-8 was replaced), 1 for a bad --encoding (reported), or
 * -1 when the file is to be skipped, with the reason in why. */
static int decode_text(const run_opts *ro, progress *pg, const char *path, const fz_buf *raw, fz_buf *utf8,
                       const char **encp, char *why, size_t whylen)
{
    if (raw->len == 0) {
        snprintf(why, whylen, "empty file");
        return -1;
    }
    const char *enc = ro->encoding;
    if (!enc && enc_detect((const unsigned char *)raw->p, raw->len, &enc)) {
        snprintf(why, whylen, "not text in a supported encoding (UTF-8, UTF-16, GB18030, Big5)");
        return -1;
    }
    utf8->len = 0;
    size_t bad = (size_t)-1;
    why[0] = 0;
    int rc = enc_to_utf8(enc, (const unsigned char *)raw->p, raw->len, utf8, &bad, why, whylen);
    if (rc == FZ_EINVAL) {
        progress_clear(pg);
        fprintf(stderr, PROG ": --encoding: %s\n", why);
        return 1;
    }
    if (rc)
        return -1;
    if (bad != (size_t)-1) {
        fz_buf eb = {0};
        progress_clear(pg);
        fprintf(stderr, PROG ": warning: %s: invalid UTF-8 at byte offset %zu (skipped)\n",
                esc_text_str(&eb, path, strlen(path)), bad);
        fz_buf_free(&eb);
    }
    *encp = enc;
    return 0;
}

/* Warns that path is skipped, and why (the name escaped as in --list). */
static void warn_skip(progress *pg, const char *path, const char *why)
{
    fz_buf eb = {0};
    progress_clear(pg);
    fprintf(stderr, PROG ": warning: skipping %s: %s\n", esc_text_str(&eb, path, strlen(path)), why);
    fz_buf_free(&eb);
}

/* Reads path into raw and converts it to UTF-8 in utf8 (the encoding in
 * *enc).  Returns 0, -1 when the file is skipped (a warning is printed),
 * or 1 for a fatal error already reported. */
static int load_text(const run_opts *ro, progress *pg, const char *path, fz_buf *raw, fz_buf *utf8,
                     struct stat *st, const char **encp)
{
    char why[256];
    if (read_file(path, raw, st)) {
        warn_skip(pg, path, strerror(errno));
        return -1;
    }
    int rc = decode_text(ro, pg, path, raw, utf8, encp, why, sizeof why);
    if (rc < 0)
        warn_skip(pg, path, why);
    return rc;
}

/* A file that is skipped (read but empty, not text, not convertible):
 * the warning names why, and its entries from an earlier run, if any, are
 * removed, since the file as it is now has none.  Returns 0 or FZ_E*. */
static int skip_file(build *b, progress *pg, const char *path, const char *why, uint32_t *dropped, char *msg,
                     size_t msglen)
{
    uint32_t n = 0;
    int rc = build_remove_file(b, path, &n, msg, msglen);
    if (rc && rc != FZ_ENOTFOUND)
        return rc;
    if (rc == 0) {
        char full[512];
        snprintf(full, sizeof full, "%s; its %u entr%s from before removed", why, n, n == 1 ? "y" : "ies");
        warn_skip(pg, path, full);
    } else {
        warn_skip(pg, path, why);
    }
    *dropped = rc == 0;
    return FZ_OK;
}

/* Indexes one file into the build.  Returns 0 (indexed, or skipped:
 * *skipped set; *dropped when an earlier version's entries were removed;
 * *unreadable when it could not be read), 1 for a fatal error already
 * reported, or a negative FZ_E* code with msg. */
static int index_one(build *b, const run_opts *ro, progress *pg, const file_item *it, fz_buf *raw, fz_buf *utf8,
                     uint64_t *nbytes, int *skipped, uint32_t *dropped, int *unreadable, char *msg,
                     size_t msglen)
{
    const char *path = it->path;
    struct stat st;
    *skipped = 1;
    *dropped = 0;
    *unreadable = 0;
    if (read_file(path, raw, &st)) {
        /* its entries stay: what it holds now is unknown */
        fz_buf eb = {0};
        progress_clear(pg);
        fprintf(stderr, PROG ": %s%s: %s\n", it->named ? "" : "warning: skipping ",
                esc_text_str(&eb, path, strlen(path)), strerror(errno));
        fz_buf_free(&eb);
        *unreadable = 1;
        return 0;
    }
    *nbytes = raw->len;
    const char *enc = NULL;
    char why[256];
    int rc = decode_text(ro, pg, path, raw, utf8, &enc, why, sizeof why);
    if (rc > 0)
        return 1;
    if (rc < 0)
        return skip_file(b, pg, path, why, dropped, msg, msglen);
    rc = build_add_file(b, path, utf8->p ? utf8->p : "", utf8->len, (uint64_t)st.st_size, (int64_t)st.st_mtime,
                        enc, NULL, msg, msglen);
    if (rc)
        return rc;
    *skipped = 0;
    return 0;
}

/* fzindex --outline: what the parser makes of each file, nothing indexed.
 * 0, or 2 when a file could not be read or an error occurred. */
static int run_outline(const run_opts *ro, file_list *fl)
{
    fz_buf raw = {0}, utf8 = {0}, out = {0};
    progress pg;
    progress_init(&pg, 0, "files", fl->n, fl->total);
    int status = fl->failed ? 2 : 0; /* a named path could not be read (reported) */
    for (size_t i = 0; i < fl->n; i++) {
        struct stat st;
        const char *enc = NULL;
        int rc = load_text(ro, &pg, fl->items[i].path, &raw, &utf8, &st, &enc);
        if (rc) {
            status = 2;
            if (rc > 0)
                break;
            continue;
        }
        out.len = 0;
        if (!ro->json && i && fz_buf_putc(&out, '\n'))
            rc = FZ_ENOMEM;
        if (!rc)
            rc = outline_text(fl->items[i].path, utf8.p ? utf8.p : "", utf8.len, ro->layout, ro->json, &out);
        if (rc) {
            fprintf(stderr, PROG ": --outline: %s: %s\n", fl->items[i].path, fz_strerror(rc));
            status = 2;
            break;
        }
        if (out.len && fwrite(out.p, 1, out.len, stdout) != out.len) {
            fprintf(stderr, PROG ": --outline: writing the output: %s\n", strerror(errno));
            status = 2;
            break;
        }
    }
    fz_buf_free(&raw);
    fz_buf_free(&utf8);
    fz_buf_free(&out);
    if (fflush(stdout) && !status) {
        fprintf(stderr, PROG ": --outline: writing the output: %s\n", strerror(errno));
        status = 2;
    }
    return status;
}

static void catalog_warn(void *ctx, const catalog_row *row, uint32_t nfiles)
{
    if (nfiles == 0)
        fprintf(stderr, PROG ": warning: --catalog: %s: line %u: no indexed file matches '%s'\n", (const char *)ctx,
                row->line, row->file);
    else
        fprintf(stderr, PROG ": warning: --catalog: %s: line %u: '%s' matches %u indexed files; give more of "
                        "its path\n", (const char *)ctx, row->line, row->file, nfiles);
}

/* Reads and parses the --catalog file (in any encoding a source may be
 * in).  0, or 2 after a one-line message. */
static int read_catalog(const char *path, catalog **out)
{
    fz_buf raw = {0}, utf8 = {0};
    struct stat st;
    char msg[512] = "";
    int status = 2;
    const char *enc = NULL;
    if (read_file(path, &raw, &st)) {
        fprintf(stderr, PROG ": --catalog: %s: %s\n", path, strerror(errno));
    } else if (raw.len && enc_detect((const unsigned char *)raw.p, raw.len, &enc)) {
        fprintf(stderr, PROG ": --catalog: %s: not text in a supported encoding (UTF-8, UTF-16, GB18030, Big5)\n",
                path);
    } else if (raw.len && enc_to_utf8(enc, (const unsigned char *)raw.p, raw.len, &utf8, NULL, msg, sizeof msg)) {
        fprintf(stderr, PROG ": --catalog: %s: %s\n", path, msg);
    } else {
        int rc = catalog_parse(utf8.p ? utf8.p : "", utf8.len, out, msg, sizeof msg);
        if (rc)
            fprintf(stderr, PROG ": --catalog: %s: %s\n", path, msg[0] ? msg : fz_strerror(rc));
        else
            status = 0;
    }
    fz_buf_free(&raw);
    fz_buf_free(&utf8);
    return status;
}

/* -v: a line per file when its entries are written (build_opts.on_file). */
typedef struct {
    progress *pg;
    int verbose;
} file_report;

static void on_file(void *ctx, const char *path, const char *encoding, uint32_t nentries)
{
    file_report *fr = ctx;
    if (!fr->verbose)
        return;
    progress_clear(fr->pg);
    fz_buf eb = {0};
    fprintf(stderr, PROG ": %s: %s, %u entr%s\n", esc_text_str(&eb, path, strlen(path)), encoding, nentries,
            nentries == 1 ? "y" : "ies");
    fz_buf_free(&eb);
}

/* The indexed files under directory dir (paths starting with dir/), for
 * --remove DIR and --prune: a list the caller frees with list_free. */
static int files_under(store *s, const char *dir, file_list *out, char *msg, size_t msglen)
{
    MDB_txn *txn;
    int rc = store_begin(s, 0, &txn, msg, msglen);
    if (rc)
        return rc;
    char pre[PATH_MAX + 1];
    size_t n = strlen(dir);
    snprintf(pre, sizeof pre, "%s%s", dir, n && dir[n - 1] == '/' ? "" : "/");
    size_t pn = strlen(pre);
    MDB_cursor *cur;
    if ((rc = mdb_cursor_open(txn, store_dbi(s, STORE_DB_FILE), &cur))) {
        mdb_txn_abort(txn);
        return store_lmdb_err(rc, "listing the index", msg, msglen);
    }
    MDB_val k = {pn, pre}, v;
    int r = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    for (; r == 0 && k.mv_size >= pn && !memcmp(k.mv_data, pre, pn); r = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        char p[PATH_MAX];
        if (k.mv_size >= sizeof p)
            continue;
        memcpy(p, k.mv_data, k.mv_size);
        p[k.mv_size] = 0;
        if (list_add(out, p, 0)) {
            r = ENOMEM;
            break;
        }
    }
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    if (r && r != MDB_NOTFOUND)
        return store_lmdb_err(r, "listing the index", msg, msglen);
    return FZ_OK;
}

/* The absolute path --remove looks for: the canonical path of what
 * exists; for what does not (a file deleted since it was indexed), that
 * of its directory with its name, else the path made absolute against the
 * working directory lexically (., .. and repeated slashes resolved
 * without looking at the file system). */
static void resolve_path(const char *arg, char *out, size_t n)
{
    if (realpath(arg, out))
        return;
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", arg);
    size_t l = strlen(tmp);
    while (l > 1 && tmp[l - 1] == '/')
        tmp[--l] = 0;
    char *slash = strrchr(tmp, '/');
    const char *base = slash ? slash + 1 : tmp;
    char dir[PATH_MAX];
    if (strcmp(base, ".") && strcmp(base, "..") && *base &&
        realpath(slash ? (slash == tmp ? "/" : (*slash = 0, tmp)) : ".", dir)) {
        int w = snprintf(out, n, "%s%s%s", dir, strcmp(dir, "/") ? "/" : "", base);
        if (w >= 0 && (size_t)w < n)
            return;
    }
    /* lexically: cwd + arg, then each component */
    char full[2 * PATH_MAX + 2];
    char cwd[PATH_MAX];
    if (arg[0] == '/' || !getcwd(cwd, sizeof cwd))
        snprintf(full, sizeof full, "%s", arg);
    else
        snprintf(full, sizeof full, "%s/%s", cwd, arg);
    size_t o = 0;
    out[0] = 0;
    for (char *c = strtok(full, "/"); c; c = strtok(NULL, "/")) {
        if (!strcmp(c, "."))
            continue;
        if (!strcmp(c, "..")) {
            while (o > 0 && out[o - 1] != '/')
                o--;
            if (o > 0)
                o--;
            out[o] = 0;
            continue;
        }
        int w = snprintf(out + o, n - o, "/%s", c);
        if (w < 0 || (size_t)w >= n - o)
            break;
        o += (size_t)w;
    }
    if (o == 0)
        snprintf(out, n, "/");
}

/* Is other the index db itself (the same directory or file)? */
static int same_index(const char *db, const char *other)
{
    struct stat a, b;
    return stat(db, &a) == 0 && stat(other, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* The widest mode the index may have: none wider than its sources'
 * (PERMISSIONS in common/store.c).  *example names a source that made it
 * narrower. */
static unsigned sources_perm(const file_list *fl, const char **example)
{
    unsigned perm = 0644;
    *example = NULL;
    for (size_t i = 0; i < fl->n; i++) {
        unsigned p = perm & (0600 | (fl->items[i].mode & 0044));
        if (p != perm && !*example)
            *example = fl->items[i].path;
        perm = p;
    }
    return perm;
}

/* Is path gone (or no longer a regular file), so that --prune drops it?
 * A file that cannot be looked at (a directory without search permission)
 * is not gone. */
static int gone(const char *path)
{
    struct stat st;
    if (stat(path, &st))
        return errno == ENOENT || errno == ENOTDIR || errno == ELOOP;
    return !S_ISREG(st.st_mode);
}

/* Removes one file (or, for --remove, every file under a directory) in
 * the build; *nfiles and *nentries count what went.  FZ_ENOTFOUND when
 * there was nothing to remove. */
static int remove_path(build *b, store *s, const char *path, int dir_too, size_t *nfiles, uint64_t *nentries,
                       int verbose, char *msg, size_t msglen)
{
    uint32_t n = 0;
    int rc = build_remove_file(b, path, &n, msg, msglen);
    if (rc == 0) {
        ++*nfiles;
        *nentries += n;
        if (verbose) {
            fz_buf eb = {0};
            fprintf(stderr, PROG ": removed %s (%u entr%s)\n", esc_text_str(&eb, path, strlen(path)), n,
                    n == 1 ? "y" : "ies");
            fz_buf_free(&eb);
        }
        return 0;
    }
    if (rc != FZ_ENOTFOUND || !dir_too)
        return rc;
    file_list under = {0};
    if ((rc = files_under(s, path, &under, msg, msglen)) == 0 && under.n == 0)
        rc = FZ_ENOTFOUND;
    for (size_t i = 0; i < under.n && !rc; i++)
        if ((rc = remove_path(b, s, under.items[i].path, 0, nfiles, nentries, verbose, msg, msglen)) == FZ_ENOTFOUND)
            rc = 0; /* named twice */
    list_free(&under);
    return rc;
}

static int run_write(const run_opts *ro, file_list *fl)
{
    const char *db = ro->db;
    char msg[1024] = "";
    store *s = NULL;
    build *b = NULL;
    int status = fl->failed ? 2 : 0, rc = 0;
    double t0 = now();
    uint64_t bytes = 0, entries = 0, dropped_entries = 0, size = 0;
    size_t done = 0, skipped = fl->skipped, merged_files = 0, dropped = 0;
    fz_buf raw = {0}, utf8 = {0};
    file_list prune = {0};
    progress pg;
    int show = ro->progress > 0 || (ro->progress < 0 && !ro->quiet && isatty(STDERR_FILENO));
    progress_init(&pg, show && ro->mode != M_REMOVE, ro->mode == M_MERGE ? "indexes" : "files", fl->n,
                  fl->total);

    if (ro->mode == M_REMOVE) {
        if (index_size(db) == 0) { /* do not create one just to find it empty */
            fprintf(stderr, PROG ": --remove: no index at %s\n", db);
            return 2;
        }
    } else {
        mkdirs(db); /* parents; store_open makes the directory itself */
    }
    if (ro->mode == M_MERGE) {
        for (size_t i = 0; i < fl->n; i++) {
            const char *path = fl->items[i].path;
            struct stat st;
            if (same_index(db, path)) {
                fprintf(stderr, PROG ": --merge: %s is the index being written (--db)\n", path);
                return 2;
            }
            /* an archive's checksum first: LMDB trusts what it reads */
            if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && store_pack_verify(path, msg, sizeof msg)) {
                fprintf(stderr, PROG ": --merge: %s\n", msg);
                return 2;
            }
        }
    }
    /* the index is no more readable than its sources (or merged indexes) */
    const char *private_src = NULL;
    unsigned perm = ro->mode == M_REMOVE ? 0666 : sources_perm(fl, &private_src);
    if (private_src && !ro->quiet)
        fprintf(stderr, PROG ": note: %s is not readable by %s: the index is made mode %04o\n", private_src,
                perm & 0040 ? "others" : "the group or others", perm);
    guard_context(db);
    /* an index is 4 to 7 times its text: room for 8 (a sparse map) */
    if ((rc = store_open_write(db, 8 * (uint64_t)fl->total, perm, &s, msg, sizeof msg))) {
        fprintf(stderr, PROG ": %s\n", msg[0] ? msg : fz_strerror(rc));
        status = 2;
        goto out;
    }
    /* --prune: the files under the directories given that are gone */
    for (size_t d = 0; ro->prune && d < ro->prune->n && !rc; d++) {
        file_list under = {0};
        rc = files_under(s, ro->prune->items[d].path, &under, msg, sizeof msg);
        for (size_t i = 0; i < under.n && !rc; i++)
            if (gone(under.items[i].path))
                rc = list_add(&prune, under.items[i].path, 0) ? FZ_ENOMEM : 0;
        list_free(&under);
    }
    if (rc) {
        fprintf(stderr, PROG ": --prune: %s\n", msg[0] ? msg : fz_strerror(rc));
        status = 2;
        goto out;
    }
    file_report fr = {&pg, ro->verbose};
    build_opts bo = {.mem_limit = ro->mem,
                     .layout = ro->layout,
                     .input_bytes = fl->total,
                     .on_file = on_file,
                     .on_file_ctx = &fr};
    if ((rc = build_create(s, &bo, &b, msg, sizeof msg))) {
        fprintf(stderr, PROG ": %s\n", msg[0] ? msg : fz_strerror(rc));
        status = 2;
        goto out;
    }
    if (ro->cat)
        build_set_catalog(b, ro->cat, catalog_warn, (void *)ro->catalog_file);
    progress_draw(&pg, NULL, 0);
    for (size_t i = 0; i < fl->n; i++) {
        const char *path = fl->items[i].path;
        msg[0] = 0;
        if (ro->mode == M_REMOVE) {
            rc = remove_path(b, s, path, 1, &done, &entries, ro->verbose, msg, sizeof msg);
            if (rc == FZ_ENOTFOUND) {
                fprintf(stderr, PROG ": --remove: %s: not in the index\n", path);
                status = 2;
                goto out;
            }
            if (rc)
                break;
            continue;
        }
        if (ro->mode == M_MERGE) {
            store *o = NULL;
            char what[PATH_MAX + 16];
            snprintf(what, sizeof what, "--merge: %s", path);
            guard_context(what);
            if ((rc = store_open(path, STORE_READ, &o, msg, sizeof msg))) {
                progress_clear(&pg);
                fprintf(stderr, PROG ": --merge: %s\n", msg[0] ? msg : fz_strerror(rc));
                status = 2;
                goto out;
            }
            uint32_t nf = 0;
            uint64_t ne = 0;
            rc = build_merge(b, o, &nf, &ne, msg, sizeof msg);
            store_close(o);
            guard_context(db);
            if (rc) {
                progress_clear(&pg);
                fprintf(stderr, PROG ": --merge: %s: %s\n", path, msg[0] ? msg : fz_strerror(rc));
                status = 2;
                goto out;
            }
            if (ro->verbose) {
                progress_clear(&pg);
                fprintf(stderr, PROG ": merged %s: %u file%s, %llu entries\n", path, nf, nf == 1 ? "" : "s",
                        (unsigned long long)ne);
            }
            merged_files += nf;
            entries += ne;
            bytes += fl->items[i].size;
            done++;
        } else {
            uint64_t nb = 0;
            uint32_t drop = 0;
            int skip = 0, unreadable = 0;
            rc = index_one(b, ro, &pg, &fl->items[i], &raw, &utf8, &nb, &skip, &drop, &unreadable, msg,
                           sizeof msg);
            if (rc == 1) {
                status = 2;
                goto out;
            }
            if (rc)
                break;
            if (unreadable && fl->items[i].named)
                status = 2; /* a named input: an error, the rest is still indexed */
            else if (skip)
                skipped++;
            dropped += drop;
            if (!skip) {
                done++;
                bytes += nb;
            }
            pg.bytes += fl->items[i].size; /* as stat'ed, so the total is reached */
        }
        pg.done = i + 1;
        /* worker threads report their entries when they are written */
        pg.entries = entries > build_added(b) ? entries : build_added(b);
        if (ro->mode == M_MERGE)
            pg.bytes = bytes;
        progress_draw(&pg, NULL, 0);
    }
    for (size_t i = 0; !rc && i < prune.n; i++) {
        uint64_t before = dropped_entries;
        size_t nf = 0;
        rc = remove_path(b, s, prune.items[i].path, 0, &nf, &dropped_entries, 0, msg, sizeof msg);
        if (rc == FZ_ENOTFOUND) {
            rc = 0; /* gone from the index already in this run */
            continue;
        }
        if (!rc && ro->verbose) {
            progress_clear(&pg);
            fz_buf eb = {0};
            fprintf(stderr, PROG ": pruned %s (%llu entries)\n",
                    esc_text_str(&eb, prune.items[i].path, strlen(prune.items[i].path)),
                    (unsigned long long)(dropped_entries - before));
            fz_buf_free(&eb);
        }
        dropped += nf;
    }
    if (rc) {
        progress_clear(&pg);
        fprintf(stderr, PROG ": %s\n", msg[0] ? msg : fz_strerror(rc));
        status = 2;
        goto out;
    }
    if (ro->mode == M_INDEX && done == 0 && dropped == 0 && (fl->n || !ro->cat)) {
        progress_clear(&pg);
        if (fl->n || !fl->failed)
            fprintf(stderr, PROG ": nothing indexed: %zu file%s skipped; the index is unchanged\n", skipped,
                    skipped == 1 ? "" : "s");
        status = 2;
        goto out;
    }
    /* the last step can take a while on a large run: say what it is doing */
    if (now() - t0 >= 1.0)
        progress_draw(&pg, "writing the index", 1);
    if ((rc = build_commit(b, msg, sizeof msg))) {
        progress_clear(&pg);
        fprintf(stderr, PROG ": %s\n", msg[0] ? msg : fz_strerror(rc));
        status = 2;
        goto out;
    }
    if (ro->mode != M_REMOVE)
        entries = build_added(b); /* worker threads count their records */
    pg.entries = entries;
    progress_draw(&pg, "done", 1); /* the final state stays where it is not redrawn over */
    progress_clear(&pg);
    /* the index's real size: its pages, not the data file's length while
     * a writer (this one, or one that queued behind it) has it mapped */
    size = store_size(s);
    build_destroy(b);
    b = NULL;
    store_close(s);
    s = NULL;
    if (!ro->quiet) {
        double dt = now() - t0;
        char sk[160] = "";
        size_t l = 0;
        if (skipped)
            l += (size_t)snprintf(sk, sizeof sk, "; %zu file%s skipped", skipped, skipped == 1 ? "" : "s");
        if (dropped && l < sizeof sk)
            snprintf(sk + l, sizeof sk - l, "; %zu file%s dropped (%s)", dropped, dropped == 1 ? "" : "s",
                     prune.n ? "gone, empty or not text" : "empty or not text");
        if (ro->mode == M_REMOVE)
            fprintf(stderr, PROG ": removed %zu file%s (%llu entries) in %.2f s; index %.1f MB\n", done,
                    done == 1 ? "" : "s", (unsigned long long)entries, dt, size / 1e6);
        else if (ro->mode == M_MERGE)
            fprintf(stderr, PROG ": merged %zu index%s: %zu file%s, %llu entries in %.2f s; index %.1f MB\n",
                    done, done == 1 ? "" : "es", merged_files, merged_files == 1 ? "" : "s",
                    (unsigned long long)entries, dt, size / 1e6);
        else if (fl->n || dropped)
            fprintf(stderr,
                    PROG ": indexed %zu file%s, %llu entries, %.1f MB in %.2f s (%.1f MB/s); index %.1f MB%s\n",
                    done, done == 1 ? "" : "s", (unsigned long long)entries, bytes / 1e6, dt,
                    dt > 0 ? bytes / 1e6 / dt : 0.0, size / 1e6, sk);
        if (ro->cat)
            fprintf(stderr, PROG ": catalog %s: %zu row%s\n", ro->catalog_file, catalog_count(ro->cat),
                    catalog_count(ro->cat) == 1 ? "" : "s");
    }
out:
    progress_clear(&pg);
    build_destroy(b);
    store_close(s);
    list_free(&prune);
    fz_buf_free(&raw);
    fz_buf_free(&utf8);
    return status;
}

int main(int argc, char **argv)
{
    enum { O_REMOVE = 256, O_MERGE, O_LIST, O_CHECK, O_PACK, O_PROGRESS, O_NOPROGRESS, O_CATALOG, O_PRUNE, O_EXPORT,
           O_OUTLINE, O_JSON, O_LAYOUT };
    static const struct option opts[] = {
        {"db", required_argument, 0, 'd'},        {"encoding", required_argument, 0, 'e'},
        {"mem", required_argument, 0, 'm'},       {"remove", no_argument, 0, O_REMOVE},
        {"merge", no_argument, 0, O_MERGE},       {"list", no_argument, 0, O_LIST},
        {"check", no_argument, 0, O_CHECK},       {"pack", required_argument, 0, O_PACK},
        {"progress", no_argument, 0, O_PROGRESS}, {"no-progress", no_argument, 0, O_NOPROGRESS},
        {"prune", no_argument, 0, O_PRUNE},
        {"quiet", no_argument, 0, 'q'},           {"verbose", no_argument, 0, 'v'},
        {"help", no_argument, 0, 'h'},            {"version", no_argument, 0, 'V'},
        {"outline", no_argument, 0, O_OUTLINE},   {"json", no_argument, 0, O_JSON},
        {"layout", required_argument, 0, O_LAYOUT},
        {"catalog", required_argument, 0, O_CATALOG}, {"export", required_argument, 0, O_EXPORT},
        {0, 0, 0, 0}};
    run_opts ro = {0};
    ro.progress = -1;
    const char *pack = NULL, *export_to = NULL;
    int c, prune = 0;
    guard_install(PROG); /* a damaged index or a full disk ends in a message, not a signal */
    opterr = 0;
    while ((c = getopt_long(argc, argv, "d:e:m:qvhV", opts, NULL)) != -1) {
        enum mode m = M_INDEX;
        switch (c) {
        case 'd': ro.db = optarg; break;
        case 'e': ro.encoding = optarg; break;
        case 'm':
            if (parse_size(optarg, &ro.mem)) {
                fprintf(stderr, PROG ": --mem: '%s' is not a size (e.g. 512M, 2G)\n", optarg);
                return 2;
            }
            break;
        case O_REMOVE: m = M_REMOVE; break;
        case O_MERGE: m = M_MERGE; break;
        case O_LIST: m = M_LIST; break;
        case O_CHECK: m = M_CHECK; break;
        case O_PACK: m = M_PACK; pack = optarg; break;
        case O_EXPORT: m = M_EXPORT; export_to = optarg; break;
        case O_OUTLINE: m = M_OUTLINE; break;
        case O_JSON: ro.json = 1; break;
        case O_LAYOUT: {
            int l = parse_layout_lookup(optarg);
            if (l < 0) {
                fprintf(stderr, PROG ": --layout: '%s' is not one of auto, yearbook, classical, paragraphs\n",
                        optarg);
                return 2;
            }
            ro.layout = (parse_layout)l;
            break;
        }
        case O_PROGRESS: ro.progress = 1; break;
        case O_NOPROGRESS: ro.progress = 0; break;
        case O_CATALOG: ro.catalog_file = optarg; break;
        case O_PRUNE: prune = 1; break;
        case 'q': ro.quiet = 1; break;
        case 'v': ro.verbose = 1; break;
        case 'h': usage(stdout); return 0;
        case 'V':
            printf("fzindex %s (index format %d, %u traditional/simplified and %u variant mappings)\n",
                   FZ_VERSION, STORE_FORMAT, fold_ts_count(), fold_variant_count());
            return 0;
        default: {
            const char *arg = argv[optind - 1];
            if (!optopt)
                fprintf(stderr, PROG ": unknown option '%s' (try 'fzindex --help')\n", arg);
            else if (arg[0] == '-' && arg[1] == '-')
                fprintf(stderr, PROG ": option '%.*s' %s (try 'fzindex --help')\n", (int)strcspn(arg, "="), arg,
                        strchr(arg, '=') ? "takes no value" : "needs a value");
            else if (strchr("dem", optopt))
                fprintf(stderr, PROG ": option '-%c' needs a value (try 'fzindex --help')\n", optopt);
            else
                fprintf(stderr, PROG ": unknown option '-%c' (try 'fzindex --help')\n", optopt);
            return 2;
        }
        }
        if (m != M_INDEX) {
            if (ro.mode != M_INDEX && ro.mode != m) {
                fprintf(stderr, PROG ": %s and %s cannot be combined (try 'fzindex --help')\n", mode_opt[ro.mode],
                        mode_opt[m]);
                return 2;
            }
            ro.mode = m;
        }
    }
    if (ro.json && ro.mode != M_OUTLINE) {
        fprintf(stderr, PROG ": --json goes with --outline (try 'fzindex --help')\n");
        return 2;
    }
    if (ro.layout != PARSE_AUTO && ro.mode != M_INDEX && ro.mode != M_OUTLINE) {
        fprintf(stderr, PROG ": --layout goes with indexing or --outline, not %s\n", mode_opt[ro.mode]);
        return 2;
    }
    char dbbuf[PATH_MAX];
    if (!ro.db && ro.mode != M_OUTLINE && !(ro.db = store_default_path(dbbuf, sizeof dbbuf))) {
        fprintf(stderr, PROG ": no index given: HOME is not set (give --db DIR, or set FANGZHI_DB)\n");
        return 2;
    }
    if (prune && ro.mode != M_INDEX) {
        fprintf(stderr, PROG ": --prune applies to indexing, not to %s (try 'fzindex --help')\n", mode_opt[ro.mode]);
        return 2;
    }
    if (ro.catalog_file && ro.mode != M_INDEX) {
        fprintf(stderr, PROG ": --catalog and %s cannot be combined (try 'fzindex --help')\n", mode_opt[ro.mode]);
        return 2;
    }
    if (ro.db)
        guard_context(ro.db);
    if (ro.mode == M_LIST || ro.mode == M_CHECK || ro.mode == M_PACK || ro.mode == M_EXPORT) {
        if (optind < argc) {
            fprintf(stderr, PROG ": %s takes no file arguments ('%s'); the index is given with --db\n",
                    mode_opt[ro.mode], argv[optind]);
            return 2;
        }
        if (ro.mode == M_LIST)
            return do_list(ro.db);
        if (ro.mode == M_CHECK)
            return do_check(ro.db, ro.quiet);
        if (ro.mode == M_EXPORT)
            return do_export(ro.db, export_to, ro.quiet);
        return do_pack(ro.db, pack, ro.quiet);
    }
    if (optind >= argc && !ro.catalog_file) {
        if (ro.mode == M_MERGE)
            fprintf(stderr, PROG ": --merge: no index given (usage: fzindex --db DIR --merge INDEX...)\n");
        else if (ro.mode == M_REMOVE)
            fprintf(stderr, PROG ": --remove: no files given (usage: fzindex --db DIR --remove PATH...)\n");
        else if (ro.mode == M_OUTLINE)
            fprintf(stderr, PROG ": --outline: no files given (usage: fzindex --outline [--json] FILE...)\n");
        else
            fprintf(stderr, PROG ": no files given (usage: fzindex --db DIR PATH...)\n");
        return 2;
    }

    file_list fl = {0}, dirs = {0};
    int rc = 0;
    if (ro.mode == M_INDEX)
        list_own(&fl, ro.db);
    for (int i = optind; i < argc && !rc; i++) {
        if (ro.mode == M_INDEX || ro.mode == M_OUTLINE) {
            rc = collect(&fl, argv[i], 1, 0);
            struct stat st;
            char real[PATH_MAX];
            if (!rc && prune && stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode) && realpath(argv[i], real))
                rc = list_add(&dirs, real, 0);
        } else if (ro.mode == M_REMOVE) {
            char real[PATH_MAX];
            resolve_path(argv[i], real, sizeof real);
            rc = list_add(&fl, real, 0);
        } else {
            /* merge: the indexes in the order given, each once */
            int dup = 0;
            for (size_t j = 0; j < fl.n && !dup; j++)
                dup = same_index(fl.items[j].path, argv[i]);
            if (!dup && !(rc = list_add(&fl, argv[i], index_size(argv[i])))) {
                char dp[PATH_MAX + 16];
                struct stat st;
                snprintf(dp, sizeof dp, "%s/data.mdb", argv[i]);
                if (stat(dp, &st) == 0 || stat(argv[i], &st) == 0)
                    fl.items[fl.n - 1].mode = st.st_mode; /* the index is no wider than those merged */
            }
            fl.total += dup ? 0 : index_size(argv[i]);
        }
    }
    if (rc) {
        list_free(&fl);
        list_free(&dirs);
        return 2;
    }
    if (ro.mode != M_MERGE)
        list_unique(&fl); /* each file once */
    catalog *cat = NULL;
    if (ro.catalog_file) {
        /* a malformed catalog stops the run before anything is indexed */
        if (read_catalog(ro.catalog_file, &cat)) {
            list_free(&fl);
            return 2;
        }
        if (fl.n == 0 && index_size(ro.db) == 0) {
            fprintf(stderr, PROG ": --catalog: no index at %s (give the files to index too)\n", ro.db);
            catalog_destroy(cat);
            list_free(&fl);
            return 2;
        }
        ro.cat = cat;
    }
    ro.prune = prune ? &dirs : NULL;
    int status = ro.mode == M_OUTLINE ? run_outline(&ro, &fl) : run_write(&ro, &fl);
    catalog_destroy(cat);
    list_free(&fl);
    list_free(&dirs);
    return status;
}
