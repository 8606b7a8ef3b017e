/*
 * fzsearch -- searches a fangzhi index.
 *
 * Modes: the hits (terminal view, JSON Lines, CSV, TSV: out.c), the
 * concordance (--kwic: kwic.c), counts (--count), counts per group (--by:
 * group.c).  On a terminal the output goes through a pager (pager.c),
 * started just before the first byte of output, so that a bad query or a
 * search without hits never starts one.  When the pager quits early the
 * run stops quietly with the status the hits so far warrant.
 *
 * Exit status, as grep's: 0 something matched, 1 nothing matched, 2 error.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "../common/esc.h"
#include "../common/fz.h"
#include "../common/guard.h"
#include "../common/store.h"
#include "group.h"
#include "kwic.h"
#include "out.h"
#include "pager.h"
#include "query.h"
#include "search.h"
#include "serve.h"

#define PROG "fzsearch"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: fzsearch [--db DIR] [options] QUERY...\n"
            "       fzsearch [--db DIR] --batch FILE [options]\n"
            "       fzsearch [--db DIR] --show ID\n"
            "       fzsearch [--db DIR] --serve [[ADDR:]PORT]\n"
            "\n"
            "Finds the entries of an index that match QUERY, best first, each with\n"
            "its volume, section path, authors, file:line and a highlighted snippet;\n"
            "or a concordance of every occurrence (--kwic), counts (--count), or\n"
            "counts per section, author, file, kind, written form, volume, place or\n"
            "period (--by).\n"
            "\n"
            "query syntax:\n"
            "%s"
            "\n"
            "options:\n"
            "  -d, --db DIR          index directory or packed archive (default\n"
            "                        $FANGZHI_DB, else ~/.local/share/fangzhi/index)\n"
            "  -n, --limit N         hits to show (default 10; 0 = all); with --kwic and\n"
            "                        --by: the entries to cover (default all)\n"
            "      --offset N        skip the first N hits (the rest keep their ranks)\n"
            "  -j, --json            JSON Lines, one object per hit (per occurrence with\n"
            "                        --kwic, per group with --by)\n"
            "  -f, --format FMT      jsonl, csv or tsv: every hit (no limit unless --limit);\n"
            "                        CSV is RFC 4180 (quoted fields, CRLF line ends)\n"
            "      --fold LEVEL      variants (default): traditional, simplified, variant\n"
            "                        (峯/峰) and old printed forms (淸/清) all match; ts:\n"
            "                        traditional and simplified match, variants do not;\n"
            "                        none: only the exact forms\n"
            "      --sort ORDER      score (default) or source (file, then line); with\n"
            "                        --kwic also left (by the context before the match,\n"
            "                        read from the match leftwards) or right (by the\n"
            "                        context after it)\n"
            "  -c, --count           print the number of matching entries and occurrences\n"
            "                        (--json: one object; --format csv|tsv: a table)\n"
            "      --kwic            concordance: every occurrence on its own line, the\n"
            "                        context before it, the match and the context after\n"
            "                        it in aligned columns, then file:line and the title\n"
            "      --context N       characters of context on each side (only with --kwic;\n"
            "                        default 20)\n"
            "      --by GROUP        matching entries and occurrences per section (the\n"
            "                        full path), author, file, kind or form (the\n"
            "                        characters written at each match: 長安 vs 长安), most\n"
            "                        first, with a bar chart (always drawn in the plain\n"
            "                        output, on a terminal or not); or per volume, place,\n"
            "                        year, decade or century (in time order)\n"
            "      --batch FILE      run one query per line of FILE (- for stdin); blank\n"
            "                        lines are skipped; results carry the line number\n"
            "                        (\"query\" in JSON, a first column in CSV/TSV, a\n"
            "                        \"# N: query\" line in plain output); a failing line\n"
            "                        is reported and the rest still run\n"
            "      --timing          with --json: one {\"ms\",\"returned\"} per query (with\n"
            "                        --batch also \"query\")\n"
            "      --no-snippet      leave snippets out (faster exports)\n"
            "      --width N         snippet width in characters (default 80)\n"
            "      --show ID         print one whole entry\n"
            "      --serve [[ADDR:]PORT]\n"
            "                        the reading room: serve the index to a web browser\n"
            "                        (default 127.0.0.1:8080; port 0 picks a free one) until\n"
            "                        Ctrl-C; another address than loopback is warned about\n"
            "      --time-limit MS   with --serve: a search longer than MS milliseconds\n"
            "                        stops with a 'too broad' page (default 3000)\n"
            "      --color WHEN      auto (default), always or never; NO_COLOR is honoured\n"
            "      --no-pager        do not page: on a terminal the output goes through\n"
            "                        $FANGZHI_PAGER, else $PAGER, else 'less -FRX'\n"
            "  -h, --help            this help\n"
            "  -V, --version         program and index format versions\n"
            "\n"
            "examples:\n"
            "  fzsearch 井长制\n"
            "  fzsearch --db ~/fz '長安' --json\n"
            "  fzsearch 'author:陆婷 商圈' --format csv > hits.csv\n"
            "  fzsearch --kwic --sort left 跨贸小镇\n"
            "  fzsearch --by form --fold variants 長安\n"
            "  fzsearch --by section '城中村改造 -安置'\n"
            "  fzsearch --by century 'place:杭州 水利'\n"
            "  fzsearch --count '杭州 EXCEPT 杭州中心'\n"
            "  fzsearch --db ~/fz --serve          # then open http://127.0.0.1:8080/\n"
            "\n"
            "exit status: 0 a match was found, 1 no match, 2 error (a bad query names\n"
            "the column of the mistake).  With --batch: 2 when any line failed, else 0\n"
            "when any query matched, else 1.\n",
            query_help());
}

static double now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return tv.tv_sec * 1e3 + tv.tv_usec / 1e3;
}

static int parse_uint(const char *s, uint32_t *res)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || v > UINT32_MAX || s[0] == '-')
        return -1;
    *res = (uint32_t)v;
    return 0;
}

typedef enum { MODE_HITS, MODE_COUNT, MODE_KWIC, MODE_BY } run_mode;

/* Everything a query run needs. */
typedef struct {
    search *s;
    search_opts so;
    run_mode mode;
    out_format fmt;
    int json;           /* JSON output (--json, --format jsonl) */
    int color;
    int timing;
    out *o;
    kwic *kw;
    group *gr;
    size_t cols;        /* terminal width, for the --by bars */
    const char *pager;  /* pager command until it is started; NULL: none */
    const char *pager_cmd; /* the pager that was started, NULL: none */
    int broken;         /* the reader of stdout went away (EPIPE) */
    const char *batch;  /* --batch FILE, for messages; NULL: one query */
} app;

/* Called before anything is written to stdout: starts the pager the first
 * time (so that errors found before any output reach the terminal
 * directly, and a run without output starts no pager). */
static void begin_output(app *a)
{
    if (a->pager) {
        if (pager_start(a->pager) == 0)
            a->pager_cmd = a->pager;
        a->pager = NULL;
    }
}

/* One line to stderr: "fzsearch: ", for a --batch query "--batch FILE:LINE: ",
 * then text with its control characters escaped (messages quote queries,
 * which come from files too). */
static void complain(const app *a, uint32_t query_no, const char *text)
{
    fz_buf b = {0};
    const char *t = esc_text_str(&b, text, strlen(text));
    if (query_no)
        fprintf(stderr, PROG ": --batch %s:%u: %s\n", strcmp(a->batch, "-") ? a->batch : "stdin", query_no, t);
    else
        fprintf(stderr, PROG ": %s\n", t);
    fz_buf_free(&b);
}

/* The separator of --batch queries in the plain output: "# N: query". */
static void query_heading(app *a, const char *q, size_t qlen, uint32_t query_no)
{
    fz_buf b = {0};
    printf("%s# %u: %s%s\n", a->color ? OUT_C_DIM : "", query_no, esc_text_str(&b, q, qlen),
           a->color ? OUT_C_OFF : "");
    fz_buf_free(&b);
}

/* A failed write: remembers a reader that went away (the pager quit), which
 * is not an error. */
static int write_failed(app *a, int rc)
{
    if (rc == FZ_EIO && errno == EPIPE)
        a->broken = 1;
    return rc;
}

typedef struct {
    app *a;
    uint32_t query_no;
    const char *q;      /* the query, for the --batch heading */
    size_t qlen;
    int headed;         /* the heading is written */
} hit_ctx;

static int on_hit(void *p, const search_hit *h)
{
    hit_ctx *c = p;
    begin_output(c->a);
    if (c->query_no && c->a->fmt == OUT_TERM && !c->headed) {
        query_heading(c->a, c->q, c->qlen, c->query_no);
        c->headed = 1;
    }
    int rc = out_hit(c->a->o, h, c->query_no);
    return rc ? write_failed(c->a, rc) : 0;
}

static int on_kwic(void *p, const search_hit *h)
{
    hit_ctx *c = p;
    return kwic_add(c->a->kw, h);
}

static int on_group(void *p, const search_hit *h)
{
    hit_ctx *c = p;
    return group_add(c->a->gr, h);
}

static int on_show(void *p, const search_hit *h)
{
    app *a = p;
    begin_output(a);
    int rc = out_entry(a->o, h);
    return rc ? write_failed(a, rc) : 0;
}

/* Writes the counts of one query. */
static int print_counts(app *a, const search_counts *cnt, uint32_t query_no)
{
    unsigned long long e = cnt->entries, o = cnt->occurrences;
    begin_output(a);
    if (a->fmt == OUT_CSV || a->fmt == OUT_TSV) {
        fz_buf b = {0};
        char num[3][24];
        snprintf(num[0], sizeof num[0], "%u", query_no);
        snprintf(num[1], sizeof num[1], "%llu", e);
        snprintf(num[2], sizeof num[2], "%llu", o);
        for (int i = query_no ? 0 : 1; i < 3; i++)
            out_sv_field(&b, a->fmt, num[i], strlen(num[i]), i == 2);
        if (b.len)
            fwrite(b.p, 1, b.len, stdout);
        fz_buf_free(&b);
    } else if (a->json) {
        if (query_no)
            printf("{\"query\":%u,\"entries\":%llu,\"occurrences\":%llu}\n", query_no, e, o);
        else
            printf("{\"entries\":%llu,\"occurrences\":%llu}\n", e, o);
    } else if (query_no) {
        printf("%u\t%llu\t%llu\n", query_no, e, o);
    } else {
        printf("%llu entr%s, %llu occurrence%s\n", e, e == 1 ? "y" : "ies", o, o == 1 ? "" : "s");
    }
    return ferror(stdout) ? write_failed(a, FZ_EIO) : 0;
}

/* Runs one query; returns 0 matched, 1 none, 2 error, -1 for a blank
 * line of a batch (skipped). */
static int run_query(app *a, const char *q, size_t qlen, uint32_t query_no)
{
    char msg[512] = "";
    fz_arena *ar = fz_arena_create();
    if (!ar) {
        fprintf(stderr, PROG ": out of memory\n");
        return 2;
    }
    double t0 = now_ms();
    int err = 0;
    uint32_t col = 0;
    size_t bad = fz_utf8_check((const unsigned char *)q, qlen);
    if (bad < qlen) {
        uint32_t c = 1;
        for (size_t i = 0; i < bad; i++)
            c += ((unsigned char)q[i] & 0xC0) != 0x80;
        char line[160];
        snprintf(line, sizeof line, "bad query: not valid UTF-8 (at column %u): is the %s encoding UTF-8?", c,
                 query_no ? "file's" : "terminal's");
        complain(a, query_no, line);
        fz_arena_destroy(ar);
        return 2;
    }
    query_node *root = query_parse(q, qlen, ar, &err, &col, msg, sizeof msg);
    if (!root && query_no && err == FZ_EMPTY) {
        fz_arena_destroy(ar);
        return -1; /* a blank line of a batch */
    }
    if (!root) {
        char line[640];
        query_error_text(err, msg, col, line, sizeof line);
        complain(a, query_no, line);
        fz_arena_destroy(ar);
        return 2;
    }
    hit_ctx hc = {a, query_no, q, qlen, 0};
    search_hit_fn fn = a->mode == MODE_KWIC ? on_kwic : a->mode == MODE_BY ? on_group : on_hit;
    search_counts cnt = {0};
    int rc = search_run(a->s, root, &a->so, fn, &hc, &cnt, msg, sizeof msg);
    fz_arena_destroy(ar);
    if (rc && a->broken)
        return 0; /* the pager quit: stop quietly */
    if (rc) {
        complain(a, query_no, msg[0] ? msg : fz_strerror(rc));
        return 2;
    }
    int wrc = 0;
    if (a->mode == MODE_COUNT) {
        wrc = print_counts(a, &cnt, query_no);
    } else if (a->mode == MODE_KWIC && kwic_rows(a->kw)) {
        begin_output(a);
        if (query_no && a->fmt == OUT_TERM)
            query_heading(a, q, qlen, query_no);
        wrc = kwic_write(a->kw, stdout, a->fmt, a->color, query_no, 0);
    } else if (a->mode == MODE_BY && group_count(a->gr)) {
        begin_output(a);
        if (query_no && a->fmt == OUT_TERM)
            query_heading(a, q, qlen, query_no);
        wrc = group_write(a->gr, stdout, a->fmt, a->color, a->cols, query_no, 0);
    }
    if (wrc) {
        write_failed(a, wrc);
        if (a->broken)
            return 0;
        fprintf(stderr, PROG ": writing output: %s\n", wrc == FZ_EIO ? strerror(errno) : fz_strerror(wrc));
        return 2;
    }
    if (a->timing) {
        double ms = now_ms() - t0; /* parsing, searching and writing the output */
        begin_output(a);
        if (query_no)
            printf("{\"query\":%u,\"ms\":%.3f,\"returned\":%u}\n", query_no, ms, cnt.returned);
        else
            printf("{\"ms\":%.3f,\"returned\":%u}\n", ms, cnt.returned);
    }
    return cnt.entries ? 0 : 1;
}

/* Columns of the terminal on stdout, else $COLUMNS, else 80. */
static size_t term_cols(void)
{
    struct winsize ws;
    if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    const char *c = getenv("COLUMNS");
    uint32_t n;
    if (c && parse_uint(c, &n) == 0 && n > 0 && n < 10000)
        return n;
    return 80;
}

static int bad_value(const char *opt, const char *val, const char *want)
{
    fprintf(stderr, PROG ": %s: '%s' is not %s\n", opt, val, want);
    return 2;
}

/* --serve [SPEC]: the reading room (serve.c) until Ctrl-C.  nargs/args:
 * the words left after the options (the address when it was not given as
 * --serve=SPEC). */
static int serve_main(const char *db, const char *spec, int nargs, char **args, uint32_t time_limit, int other_mode)
{
    if (other_mode) {
        fprintf(stderr, PROG ": --serve serves the index: it takes no --kwic, --by, --count, --batch or --show\n");
        return 2;
    }
    if (nargs > 1 || (nargs == 1 && spec)) {
        fprintf(stderr, PROG ": --serve takes an address ([ADDR:]PORT), not a query\n");
        return 2;
    }
    if (nargs == 1)
        spec = args[0];
    serve_opts so = {0};
    char msg[1024] = "";
    if (serve_parse_addr(spec, &so, msg, sizeof msg)) {
        fprintf(stderr, PROG ": %s\n", msg);
        return 2;
    }
    so.time_limit_ms = time_limit;
    char dbbuf[PATH_MAX];
    if (!db && !(db = store_default_path(dbbuf, sizeof dbbuf))) {
        fprintf(stderr, PROG ": no index given: HOME is not set (give --db DIR, or set FANGZHI_DB)\n");
        return 2;
    }
    guard_install(PROG); /* a damaged index ends the server with a message, not a signal */
    guard_context(db);
    search *s;
    int rc = search_open(db, &s, msg, sizeof msg);
    if (rc) {
        fprintf(stderr, PROG ": %s\n", msg[0] ? msg : fz_strerror(rc));
        return 2;
    }
    search_warm(s); /* many queries: map the held pages meanwhile */
    rc = serve_run(s, db, &so, msg, sizeof msg);
    search_close(s);
    if (rc) {
        fprintf(stderr, PROG ": %s\n", msg[0] ? msg : fz_strerror(rc));
        return 2;
    }
    return 0;
}

int main(int argc, char **argv)
{
    enum { O_OFFSET = 256, O_FOLD, O_SORT, O_BATCH, O_TIMING, O_NOSNIP, O_WIDTH, O_SHOW, O_COLOR, O_KWIC,
           O_CONTEXT, O_BY, O_NOPAGER, O_SERVE, O_TIMELIMIT };
    static const struct option opts[] = {
        {"db", required_argument, 0, 'd'},       {"limit", required_argument, 0, 'n'},
        {"offset", required_argument, 0, O_OFFSET}, {"json", no_argument, 0, 'j'},
        {"format", required_argument, 0, 'f'},   {"fold", required_argument, 0, O_FOLD},
        {"sort", required_argument, 0, O_SORT},  {"count", no_argument, 0, 'c'},
        {"batch", required_argument, 0, O_BATCH}, {"timing", no_argument, 0, O_TIMING},
        {"no-snippet", no_argument, 0, O_NOSNIP}, {"width", required_argument, 0, O_WIDTH},
        {"show", required_argument, 0, O_SHOW},  {"color", required_argument, 0, O_COLOR},
        {"colour", required_argument, 0, O_COLOR}, {"kwic", no_argument, 0, O_KWIC},
        {"context", required_argument, 0, O_CONTEXT}, {"by", required_argument, 0, O_BY},
        {"no-pager", no_argument, 0, O_NOPAGER}, {"help", no_argument, 0, 'h'},
        {"serve", optional_argument, 0, O_SERVE}, {"time-limit", required_argument, 0, O_TIMELIMIT},
        {"version", no_argument, 0, 'V'},        {0, 0, 0, 0}};
    /* a query mallocs and frees arrays of up to a few MB (a frequent
     * term's blocks); above 128 KB glibc maps them apart and unmaps them at
     * free, so each query faulted them in afresh: kept in the heap instead,
     * and freed memory kept for the next query (HACKING.md, h22) */
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 128 << 20);
    const char *db = NULL, *batch = NULL, *show = NULL;
    app a = {0};
    a.so.fold = TOK_FOLD_VARIANTS;
    a.fmt = OUT_TERM;
    uint32_t limit = 10, width = 80, show_id = 0, context = KWIC_CONTEXT_DEFAULT;
    int limit_given = 0, snippets = 1, color = -1, kwic_mode = 0, count_mode = 0, no_pager = 0;
    int context_given = 0;
    int by_given = 0, serve = 0;
    const char *serve_spec = NULL;
    uint32_t time_limit = SERVE_TIME_LIMIT_MS;
    group_by by = GROUP_SECTION;
    kwic_order order = KWIC_ORDER_HITS;
    const char *sort_name = NULL;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "d:n:jf:chV", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'n':
            if (parse_uint(optarg, &limit))
                return bad_value("--limit", optarg, "a number");
            limit_given = 1;
            break;
        case O_OFFSET:
            if (parse_uint(optarg, &a.so.offset))
                return bad_value("--offset", optarg, "a number");
            break;
        case 'j': a.fmt = OUT_JSON; break;
        case 'f':
            if (!strcmp(optarg, "jsonl") || !strcmp(optarg, "json"))
                a.fmt = OUT_JSON;
            else if (!strcmp(optarg, "csv"))
                a.fmt = OUT_CSV;
            else if (!strcmp(optarg, "tsv"))
                a.fmt = OUT_TSV;
            else
                return bad_value("--format", optarg, "one of jsonl, csv, tsv");
            if (!limit_given)
                limit = 0;
            break;
        case O_FOLD:
            if (!strcmp(optarg, "none"))
                a.so.fold = TOK_FOLD_NONE;
            else if (!strcmp(optarg, "ts"))
                a.so.fold = TOK_FOLD_TS;
            else if (!strcmp(optarg, "variants"))
                a.so.fold = TOK_FOLD_VARIANTS;
            else
                return bad_value("--fold", optarg, "one of none, ts, variants");
            break;
        case O_SORT:
            sort_name = optarg;
            if (!strcmp(optarg, "score")) {
                a.so.sort = SEARCH_SORT_SCORE;
                order = KWIC_ORDER_HITS;
            } else if (!strcmp(optarg, "source")) {
                a.so.sort = SEARCH_SORT_SOURCE;
                order = KWIC_ORDER_HITS;
            } else if (!strcmp(optarg, "left")) {
                a.so.sort = SEARCH_SORT_SCORE;
                order = KWIC_ORDER_LEFT;
            } else if (!strcmp(optarg, "right")) {
                a.so.sort = SEARCH_SORT_SCORE;
                order = KWIC_ORDER_RIGHT;
            } else {
                return bad_value("--sort", optarg, "one of score, source, left, right");
            }
            break;
        case 'c': count_mode = 1; break;
        case O_BATCH: batch = optarg; break;
        case O_TIMING: a.timing = 1; break;
        case O_NOSNIP: snippets = 0; break;
        case O_WIDTH:
            if (parse_uint(optarg, &width) || width < 10 || width > 10000)
                return bad_value("--width", optarg, "a number from 10 to 10000");
            break;
        case O_SHOW:
            show = optarg;
            if (parse_uint(optarg, &show_id))
                return bad_value("--show", optarg, "an entry id");
            break;
        case O_COLOR:
            if (!strcmp(optarg, "auto"))
                color = -1;
            else if (!strcmp(optarg, "always"))
                color = 1;
            else if (!strcmp(optarg, "never"))
                color = 0;
            else
                return bad_value("--color", optarg, "one of auto, always, never");
            break;
        case O_KWIC: kwic_mode = 1; break;
        case O_CONTEXT:
            if (parse_uint(optarg, &context) || context > KWIC_CONTEXT_MAX)
                return bad_value("--context", optarg, "a number from 0 to 1000");
            context_given = 1;
            break;
        case O_BY:
            if (group_parse_by(optarg, &by))
                return bad_value("--by", optarg, "one of section, author, file, kind, form, volume, place, year, decade, century");
            by_given = 1;
            break;
        case O_NOPAGER: no_pager = 1; break;
        case O_SERVE:
            serve = 1;
            serve_spec = optarg;
            break;
        case O_TIMELIMIT:
            if (parse_uint(optarg, &time_limit) || time_limit < 1 || time_limit > 600000)
                return bad_value("--time-limit", optarg, "a number of milliseconds from 1 to 600000");
            break;
        case 'h': usage(stdout); return 0;
        case 'V': printf("fzsearch %s (index format %d)\n", FZ_VERSION, STORE_FORMAT); return 0;
        default: {
            /* the option as written: a long option by its long name */
            const char *arg = optind > 0 && optind <= argc ? argv[optind - 1] : "";
            fz_buf eb = {0};
            if (!strncmp(arg, "--", 2) && optopt)
                fprintf(stderr, PROG ": option '%s' needs a value (try 'fzsearch --help')\n",
                        esc_text_str(&eb, arg, strcspn(arg, "=")));
            else if (!strncmp(arg, "--", 2))
                fprintf(stderr, PROG ": unknown option '%s' (try 'fzsearch --help')\n",
                        esc_text_str(&eb, arg, strcspn(arg, "=")));
            else if (optopt > 0 && optopt < 128 && strchr("dnf", optopt))
                fprintf(stderr, PROG ": option '-%c' needs a value (try 'fzsearch --help')\n", optopt);
            else if (optopt > 32 && optopt < 127)
                fprintf(stderr, PROG ": unknown option '-%c' (try 'fzsearch --help')\n", optopt);
            else {
                char o2[2] = {'-', (char)optopt};
                fprintf(stderr, PROG ": unknown option '%s' (try 'fzsearch --help')\n", esc_text_str(&eb, o2, 2));
            }
            fz_buf_free(&eb);
            return 2;
        }
        }
    }
    if (kwic_mode + count_mode + by_given > 1) {
        fprintf(stderr, PROG ": --kwic, --by and --count do not go together: choose one\n");
        return 2;
    }
    if (order != KWIC_ORDER_HITS && !kwic_mode) {
        fprintf(stderr, PROG ": --sort %s orders a concordance: add --kwic\n", sort_name);
        return 2;
    }
    if (show && (kwic_mode || by_given || count_mode || batch)) {
        fprintf(stderr, PROG ": --show prints one entry: it takes no --kwic, --by, --count or --batch\n");
        return 2;
    }
    if (context_given && !kwic_mode) {
        fprintf(stderr, PROG ": --context sets the context of a concordance: add --kwic (snippets take --width)\n");
        return 2;
    }
    if (a.timing && a.fmt != OUT_JSON) {
        fprintf(stderr, PROG ": --timing writes one JSON object a query: add --json\n");
        return 2;
    }
    if (serve)
        return serve_main(db, serve_spec, argc - optind, argv + optind, time_limit,
                          kwic_mode || by_given || count_mode || batch || show);
    a.batch = batch;
    a.mode = kwic_mode ? MODE_KWIC : by_given ? MODE_BY : count_mode ? MODE_COUNT : MODE_HITS;
    a.json = a.fmt == OUT_JSON;
    if (color < 0) {
        const char *nc = getenv("NO_COLOR");
        color = isatty(STDOUT_FILENO) && !(nc && *nc);
    }
    a.color = a.fmt == OUT_TERM ? color : 0;
    a.cols = term_cols();
    if (!no_pager && isatty(STDOUT_FILENO))
        a.pager = pager_command();
    /* a concordance and group counts cover every hit unless --limit says */
    a.so.limit = a.mode == MODE_KWIC || a.mode == MODE_BY ? (limit_given ? limit : 0) : limit;
    a.so.count = a.mode == MODE_COUNT;
    /* counting by anything but the forms written needs no text */
    a.so.meta_only = a.mode == MODE_BY && by != GROUP_FORM;
    a.so.no_hits = a.mode == MODE_COUNT;
    char dbbuf[PATH_MAX];
    if (!db && !(db = store_default_path(dbbuf, sizeof dbbuf))) {
        fprintf(stderr, PROG ": no index given: HOME is not set (give --db DIR, or set FANGZHI_DB)\n");
        return 2;
    }
    /* a damaged or crafted index ends in a message and exit 2, not a signal */
    guard_install(PROG);
    guard_context(db);

    /* the query: the remaining words, joined by spaces */
    fz_buf q = {0};
    for (int i = optind; i < argc; i++) {
        if (i > optind)
            fz_buf_putc(&q, ' ');
        fz_buf_puts(&q, argv[i]);
    }
    size_t blank = 0;
    while (blank < q.len && (q.p[blank] == ' ' || q.p[blank] == '\t'))
        blank++;
    if (!batch && !show && optind < argc && blank == q.len) {
        fprintf(stderr, PROG ": empty query: give a word or phrase to search for\n");
        fz_buf_free(&q);
        return 2;
    }
    if (!batch && !show && q.len == 0) {
        fprintf(stderr, PROG ": no query given (usage: fzsearch [--db DIR] QUERY...)\n");
        fz_buf_free(&q);
        return 2;
    }
    if ((batch || show) && q.len) {
        fprintf(stderr, PROG ": give either %s or a query, not both\n", batch ? "--batch FILE" : "--show ID");
        fz_buf_free(&q);
        return 2;
    }

    char msg[1024] = "";
    int rc = search_open(db, &a.s, msg, sizeof msg);
    if (rc) {
        fprintf(stderr, PROG ": %s\n", msg[0] ? msg : fz_strerror(rc));
        fz_buf_free(&q);
        return 2;
    }
    a.o = out_create(stdout, a.fmt, a.color, snippets, width);
    if (a.mode == MODE_KWIC)
        a.kw = kwic_create(context, order);
    if (a.mode == MODE_BY)
        a.gr = group_create(by);
    int status = 1;
    if (!a.o || (a.mode == MODE_KWIC && !a.kw) || (a.mode == MODE_BY && !a.gr)) {
        fprintf(stderr, PROG ": out of memory\n");
        status = 2;
    } else if (show) {
        rc = search_show(a.s, show_id, on_show, &a, msg, sizeof msg);
        if (rc && !a.broken) {
            fprintf(stderr, PROG ": --show %u: %s\n", show_id, msg[0] ? msg : fz_strerror(rc));
            status = rc == FZ_ENOTFOUND ? 1 : 2;
        } else {
            status = 0;
        }
    } else {
        /* the CSV/TSV header row, once, before any query */
        if (a.fmt == OUT_CSV || a.fmt == OUT_TSV) {
            begin_output(&a);
            if (a.mode == MODE_COUNT) {
                fz_buf b = {0};
                if (batch)
                    out_sv_field(&b, a.fmt, "query", 5, 0);
                out_sv_field(&b, a.fmt, "entries", 7, 0);
                out_sv_field(&b, a.fmt, "occurrences", 11, 1);
                rc = fwrite(b.p, 1, b.len, stdout) == b.len ? 0 : FZ_EIO;
                fz_buf_free(&b);
            } else if (a.mode == MODE_KWIC)
                rc = kwic_write(a.kw, stdout, a.fmt, 0, batch ? 1 : 0, 1);
            else if (a.mode == MODE_BY)
                rc = group_write(a.gr, stdout, a.fmt, 0, a.cols, batch ? 1 : 0, 1);
            else
                rc = out_header(a.o, batch ? 1 : 0);
            if (rc)
                write_failed(&a, rc);
        }
        if (!batch) {
            status = a.broken ? 0 : run_query(&a, q.p, q.len, 0);
        } else {
            /* a large output buffer: a query's results are written while its
             * time is taken, and a slow reader must not count in it (the
             * buffer is flushed after each query) */
            static char outbuf[(size_t)1 << 22]; /* stdout's, until exit */
            search_warm(a.s); /* many queries: map the held pages meanwhile */
            if (!isatty(STDOUT_FILENO))
                setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
            FILE *f = strcmp(batch, "-") ? fopen(batch, "r") : stdin;
            struct stat st;
            fz_buf eb = {0};
            if (f && fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
                fclose(f);
                f = NULL;
                errno = EISDIR;
            }
            if (!f) {
                fprintf(stderr, PROG ": --batch %s: %s\n", esc_text_str(&eb, batch, strlen(batch)), strerror(errno));
                status = 2;
            } else {
                char *line = NULL;
                size_t cap = 0;
                ssize_t n;
                uint32_t no = 0;
                int any = 0, errs = 0;
                while (!a.broken && (n = getline(&line, &cap, f)) >= 0) {
                    no++;
                    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
                        line[--n] = 0;
                    char *qs = strrchr(line, '\t');
                    qs = qs ? qs + 1 : line;
                    int r = run_query(&a, qs, strlen(qs), no);
                    if (r == 0)
                        any = 1;
                    else if (r == 2)
                        errs++;
                    if (fflush(stdout))
                        write_failed(&a, FZ_EIO);
                }
                if (!a.broken && ferror(f)) {
                    fprintf(stderr, PROG ": --batch %s: reading line %u: %s\n", esc_text_str(&eb, batch, strlen(batch)),
                            no + 1, strerror(errno));
                    errs++;
                }
                free(line);
                if (f != stdin)
                    fclose(f);
                status = errs ? 2 : any ? 0 : 1;
            }
            fz_buf_free(&eb);
        }
    }
    if (fflush(stdout) && !a.broken && errno != EPIPE && status != 2) {
        fprintf(stderr, PROG ": writing output: %s\n", strerror(errno));
        status = 2;
    }
    int ps = pager_finish();
    if (ps && a.pager_cmd) {
        /* a pager the user quits exits 0; this one failed, and what was
         * written to it is lost */
        fz_buf eb = {0};
        fprintf(stderr,
                PROG ": the pager '%s' failed (exit status %d), so the output may be lost: "
                "use --no-pager or set FANGZHI_PAGER\n",
                esc_text_str(&eb, a.pager_cmd, strlen(a.pager_cmd)), ps);
        fz_buf_free(&eb);
        status = 2;
    }
    out_destroy(a.o);
    kwic_destroy(a.kw);
    group_destroy(a.gr);
    search_close(a.s);
    fz_buf_free(&q);
    return status;
}
