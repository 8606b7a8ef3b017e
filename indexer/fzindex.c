/*
 * fzindex -- builds and maintains a fangzhi index.
 *
 * Exit status: 0 success; 2 error (bad usage, unreadable input, nothing
 * indexed, a damaged index); the index is left as it was on any error.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "../common/enc.h"
#include "../common/fold.h"
#include "../common/fz.h"
#include "../common/store.h"
#include "build.h"
#include "check.h"

#define PROG "fzindex"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: fzindex [--db DIR] [options] PATH...\n"
            "       fzindex [--db DIR] --remove PATH...\n"
            "       fzindex [--db DIR] --list | --check | --pack FILE\n"
            "\n"
            "Indexes gazetteer and yearbook text files (directories recursively) into\n"
            "one index. A file indexed again replaces its earlier entries.\n"
            "\n"
            "options:\n"
            "  -d, --db DIR         index directory (default $FANGZHI_DB, else\n"
            "                       ~/.local/share/fangzhi/index)\n"
            "  -e, --encoding NAME  read every file in this encoding (default: detect\n"
            "                       per file: UTF-8, UTF-16, GB18030, Big5)\n"
            "  -m, --mem SIZE       memory for gathering postings, e.g. 512M, 2G\n"
            "                       (default 1G); more is written to the index in batches\n"
            "      --remove         remove the given files' entries from the index\n"
            "      --list           list indexed files: entries, encoding, date\n"
            "      --check          check the index's integrity (exit 0 sound, 2 not)\n"
            "      --pack FILE      write a compacted single-file copy of the index\n"
            "  -q, --quiet          no summary line\n"
            "  -v, --verbose        one line per file (with its detected encoding)\n"
            "  -h, --help           this help\n"
            "  -V, --version        program and index format versions\n"
            "\n"
            "examples:\n"
            "  fzindex --db ~/fz corpus/\n"
            "  fzindex --db ~/fz --encoding GB18030 old-scans/\n"
            "  fzindex --db ~/fz --pack /media/disk/xiacheng.fz\n"
            "\n"
            "exit status: 0 success, 2 error (the index is left as it was).\n");
}

static const char *default_db(char *buf, size_t n)
{
    const char *e = getenv("FANGZHI_DB");
    if (e && *e)
        return e;
    const char *x = getenv("XDG_DATA_HOME");
    if (x && *x)
        snprintf(buf, n, "%s/fangzhi/index", x);
    else
        snprintf(buf, n, "%s/.local/share/fangzhi/index", getenv("HOME") ? getenv("HOME") : ".");
    return buf;
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

/* ---- collecting input files ---- */

typedef struct {
    char **paths;
    size_t n, cap;
    dev_t *vdev;
    ino_t *vino;
    size_t nv, vcap;
} file_list;

static int list_add(file_list *l, const char *p)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        char **np = realloc(l->paths, cap * sizeof *np);
        if (!np)
            return -1;
        l->paths = np;
        l->cap = cap;
    }
    if (!(l->paths[l->n] = strdup(p)))
        return -1;
    l->n++;
    return 0;
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

/* Adds a file, or a directory's files recursively (following links, each
 * directory once, so a symlink loop ends).  Hidden names are skipped. */
static int collect(file_list *l, const char *path, int top, int depth)
{
    struct stat st;
    if (stat(path, &st)) {
        if (top) {
            fprintf(stderr, PROG ": %s: %s\n", path, strerror(errno));
            return -1;
        }
        fprintf(stderr, PROG ": warning: skipping %s: %s\n", path, strerror(errno));
        return 0;
    }
    if (S_ISREG(st.st_mode)) {
        char real[PATH_MAX];
        if (!realpath(path, real))
            snprintf(real, sizeof real, "%s", path);
        return list_add(l, real);
    }
    if (!S_ISDIR(st.st_mode)) {
        if (top) {
            fprintf(stderr, PROG ": %s: not a regular file or directory\n", path);
            return -1;
        }
        return 0;
    }
    if (visited(l, &st) || depth > 64)
        return 0;
    DIR *d = opendir(path);
    if (!d) {
        fprintf(stderr, PROG ": %s %s: %s\n", top ? "" : "warning: skipping", path, strerror(errno));
        return top ? -1 : 0;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nn = realloc(names, cap * sizeof *nn);
            if (!nn)
                break;
            names = nn;
        }
        size_t len = strlen(path) + strlen(de->d_name) + 2;
        if (!(names[n] = malloc(len)))
            break;
        snprintf(names[n], len, "%s%s%s", path, path[strlen(path) - 1] == '/' ? "" : "/", de->d_name);
        n++;
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, cmp_str);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        if (!rc)
            rc = collect(l, names[i], 0, depth + 1);
        free(names[i]);
    }
    free(names);
    return rc;
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

/* A file that fits no encoding as a whole but is mostly valid UTF-8 (no
 * NUL bytes, at least as many valid multi-byte characters as bad bytes) is
 * read as UTF-8; its bad bytes are reported and skipped. */
static int mostly_utf8(const fz_buf *b, const char **enc)
{
    size_t good = 0, bad = 0;
    const unsigned char *p = (const unsigned char *)b->p;
    for (size_t i = 0; i < b->len;) {
        if (p[i] == 0)
            return 0;
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        uint32_t cp;
        int k = fz_utf8_decode(p + i, b->len - i, &cp);
        if (k < 0) {
            bad++;
            i++;
        } else {
            good++;
            i += (size_t)k;
        }
    }
    if (good < bad || good == 0)
        return 0;
    *enc = ENC_UTF8;
    return 1;
}

static double now(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return tv.tv_sec + tv.tv_usec / 1e6;
}

static uint64_t dir_size(const char *db)
{
    struct stat st;
    char p[PATH_MAX + 16];
    snprintf(p, sizeof p, "%s/data.mdb", db);
    if (stat(p, &st) == 0)
        return (uint64_t)st.st_size;
    return stat(db, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* ---- modes ---- */

static int do_list(const char *db)
{
    char msg[512] = "";
    store *s;
    int rc = store_open(db, STORE_READ, &s, msg, sizeof msg);
    if (rc) {
        fprintf(stderr, PROG ": %s\n", msg);
        return 2;
    }
    MDB_txn *txn;
    if ((rc = store_begin(s, 0, &txn, msg, sizeof msg))) {
        fprintf(stderr, PROG ": %s\n", msg);
        store_close(s);
        return 2;
    }
    MDB_cursor *cur;
    mdb_cursor_open(txn, store_dbi(s, STORE_DB_FILE), &cur);
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
            printf("%8u  %-10s  %-19s  %s\n", f.nentries, f.encoding, when, path);
        }
        r = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    store_close(s);
    return 0;
}

static int do_pack(const char *db, const char *file)
{
    char msg[512] = "";
    store *s;
    int rc = store_open(db, STORE_READ, &s, msg, sizeof msg);
    if (rc) {
        fprintf(stderr, PROG ": %s\n", msg);
        return 2;
    }
    rc = store_pack(s, file, msg, sizeof msg);
    store_close(s);
    if (rc) {
        fprintf(stderr, PROG ": packing: %s\n", msg);
        return 2;
    }
    struct stat st;
    stat(file, &st);
    fprintf(stderr, PROG ": packed %s into %s (%.1f MB)\n", db, file, st.st_size / 1e6);
    return 0;
}

static int do_check(const char *db, int quiet)
{
    char msg[512] = "";
    store *s;
    int rc = store_open(db, STORE_READ, &s, msg, sizeof msg);
    if (rc) {
        fprintf(stderr, PROG ": %s\n", msg);
        return 2;
    }
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
        fprintf(stderr, PROG ": %s is sound: %llu files, %llu entries, %llu posting blocks, %llu postings\n", db,
                r.files, r.entries, r.blocks, r.postings);
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, 0, 'd'},      {"encoding", required_argument, 0, 'e'},
        {"mem", required_argument, 0, 'm'},     {"remove", no_argument, 0, 'R'},
        {"list", no_argument, 0, 'L'},          {"check", no_argument, 0, 'C'},
        {"pack", required_argument, 0, 'P'},    {"quiet", no_argument, 0, 'q'},
        {"verbose", no_argument, 0, 'v'},       {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, 'V'},       {0, 0, 0, 0}};
    const char *db = NULL, *encoding = NULL, *pack = NULL;
    int quiet = 0, verbose = 0, remove_mode = 0, list_mode = 0, check_mode = 0;
    size_t mem = 0;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "d:e:m:qvhV", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'e': encoding = optarg; break;
        case 'm':
            if (parse_size(optarg, &mem)) {
                fprintf(stderr, PROG ": --mem: '%s' is not a size (e.g. 512M, 2G)\n", optarg);
                return 2;
            }
            break;
        case 'R': remove_mode = 1; break;
        case 'L': list_mode = 1; break;
        case 'C': check_mode = 1; break;
        case 'P': pack = optarg; break;
        case 'q': quiet = 1; break;
        case 'v': verbose = 1; break;
        case 'h': usage(stdout); return 0;
        case 'V':
            printf("fzindex %s (index format %d, %u traditional/simplified and %u variant mappings)\n",
                   FZ_VERSION, STORE_FORMAT, fold_ts_count(), fold_variant_count());
            return 0;
        default:
            if (optopt && c == '?' && !strchr("demqvhV", optopt))
                fprintf(stderr, PROG ": unknown option '-%c' (try 'fzindex --help')\n", optopt);
            else if (optopt)
                fprintf(stderr, PROG ": option '-%c' needs a value (try 'fzindex --help')\n", optopt);
            else
                fprintf(stderr, PROG ": unknown option '%s' or missing value (try 'fzindex --help')\n",
                        argv[optind - 1]);
            return 2;
        }
    }
    char dbbuf[PATH_MAX];
    if (!db)
        db = default_db(dbbuf, sizeof dbbuf);
    if (list_mode)
        return do_list(db);
    if (pack)
        return do_pack(db, pack);
    if (check_mode)
        return do_check(db, quiet);
    if (optind >= argc) {
        fprintf(stderr, PROG ": no files given (usage: fzindex --db DIR PATH...)\n");
        return 2;
    }

    file_list fl = {0};
    int rc = 0;
    for (int i = optind; i < argc && !rc; i++) {
        if (remove_mode) {
            char real[PATH_MAX];
            if (!realpath(argv[i], real))
                snprintf(real, sizeof real, "%s", argv[i]);
            rc = list_add(&fl, real);
        } else {
            rc = collect(&fl, argv[i], 1, 0);
        }
    }
    if (rc) {
        for (size_t i = 0; i < fl.n; i++)
            free(fl.paths[i]);
        free(fl.paths);
        free(fl.vdev);
        free(fl.vino);
        return 2;
    }
    /* each file once */
    qsort(fl.paths, fl.n, sizeof *fl.paths, cmp_str);
    size_t u = 0;
    for (size_t i = 0; i < fl.n; i++) {
        if (u && strcmp(fl.paths[u - 1], fl.paths[i]) == 0) {
            free(fl.paths[i]);
            continue;
        }
        fl.paths[u++] = fl.paths[i];
    }
    fl.n = u;

    if (!remove_mode)
        mkdirs(db); /* parents; store_open makes the directory itself */
    char msg[1024] = "";
    store *s = NULL;
    build *b = NULL;
    int status = 0;
    double t0 = now();
    uint64_t bytes = 0, entries = 0;
    size_t done = 0, skipped = 0;
    fz_buf raw = {0}, utf8 = {0};
    if ((rc = store_open(db, STORE_WRITE, &s, msg, sizeof msg))) {
        fprintf(stderr, PROG ": %s\n", msg);
        status = 2;
        goto out;
    }
    build_opts bo = {mem};
    if ((rc = build_create(s, &bo, &b, msg, sizeof msg))) {
        fprintf(stderr, PROG ": %s\n", msg[0] ? msg : fz_strerror(rc));
        status = 2;
        goto out;
    }
    for (size_t i = 0; i < fl.n; i++) {
        const char *path = fl.paths[i];
        msg[0] = 0;
        if (remove_mode) {
            uint32_t n = 0;
            rc = build_remove_file(b, path, &n, msg, sizeof msg);
            if (rc == FZ_ENOTFOUND) {
                fprintf(stderr, PROG ": %s: not in the index\n", path);
                status = 2;
                goto out;
            }
            if (rc)
                break;
            entries += n;
            done++;
            if (verbose)
                fprintf(stderr, PROG ": removed %s (%u entries)\n", path, n);
            continue;
        }
        struct stat st;
        if (read_file(path, &raw, &st)) {
            fprintf(stderr, PROG ": warning: skipping %s: %s\n", path, strerror(errno));
            skipped++;
            continue;
        }
        if (raw.len == 0) {
            fprintf(stderr, PROG ": warning: skipping %s: empty file\n", path);
            skipped++;
            continue;
        }
        const char *enc = encoding;
        if (!enc && enc_detect((const unsigned char *)raw.p, raw.len, &enc) && !mostly_utf8(&raw, &enc)) {
            fprintf(stderr, PROG ": warning: skipping %s: not text in a supported encoding "
                            "(UTF-8, UTF-16, GB18030, Big5)\n", path);
            skipped++;
            continue;
        }
        utf8.len = 0;
        size_t bad = (size_t)-1;
        char emsg[256] = "";
        if ((rc = enc_to_utf8(enc, (const unsigned char *)raw.p, raw.len, &utf8, &bad, emsg, sizeof emsg))) {
            if (rc == FZ_EINVAL) {
                fprintf(stderr, PROG ": --encoding: %s\n", emsg);
                status = 2;
                goto out;
            }
            fprintf(stderr, PROG ": warning: skipping %s: %s\n", path, emsg);
            skipped++;
            rc = 0;
            continue;
        }
        if (bad != (size_t)-1)
            fprintf(stderr, PROG ": warning: %s: invalid UTF-8 at byte offset %zu (skipped)\n", path, bad);
        uint32_t n = 0;
        rc = build_add_file(b, path, utf8.p ? utf8.p : "", utf8.len, (uint64_t)st.st_size, (int64_t)st.st_mtime,
                            enc, &n, msg, sizeof msg);
        if (rc)
            break;
        if (verbose)
            fprintf(stderr, PROG ": %s: %s, %u entries\n", path, enc, n);
        done++;
        entries += n;
        bytes += raw.len;
    }
    if (rc) {
        fprintf(stderr, PROG ": %s\n", msg[0] ? msg : fz_strerror(rc));
        status = 2;
        goto out;
    }
    if (!remove_mode && done == 0) {
        fprintf(stderr, PROG ": nothing indexed: %zu file%s skipped; the index is unchanged\n", skipped,
                skipped == 1 ? "" : "s");
        status = 2;
        goto out;
    }
    if ((rc = build_commit(b, msg, sizeof msg))) {
        fprintf(stderr, PROG ": %s\n", msg[0] ? msg : fz_strerror(rc));
        status = 2;
        goto out;
    }
    if (!quiet) {
        double dt = now() - t0;
        if (remove_mode)
            fprintf(stderr, PROG ": removed %zu file%s (%llu entries) in %.2f s\n", done, done == 1 ? "" : "s",
                    (unsigned long long)entries, dt);
        else
            fprintf(stderr,
                    PROG ": indexed %zu file%s, %llu entries, %.1f MB in %.2f s (%.1f MB/s); index %.1f MB%s\n",
                    done, done == 1 ? "" : "s", (unsigned long long)entries, bytes / 1e6, dt,
                    dt > 0 ? bytes / 1e6 / dt : 0.0, dir_size(db) / 1e6, "");
        if (skipped)
            fprintf(stderr, PROG ": %zu file%s skipped\n", skipped, skipped == 1 ? "" : "s");
    }
out:
    build_destroy(b);
    store_close(s);
    fz_buf_free(&raw);
    fz_buf_free(&utf8);
    for (size_t i = 0; i < fl.n; i++)
        free(fl.paths[i]);
    free(fl.paths);
    free(fl.vdev);
    free(fl.vino);
    return status;
}
