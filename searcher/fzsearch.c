/*
 * fzsearch -- searches a fangzhi index.
 *
 * Exit status, as grep's: 0 something matched, 1 nothing matched, 2 error.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "../common/fz.h"
#include "../common/store.h"
#include "out.h"
#include "query.h"
#include "search.h"

#define PROG "fzsearch"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: fzsearch [--db DIR] [options] QUERY...\n"
            "       fzsearch [--db DIR] --batch FILE [options]\n"
            "       fzsearch [--db DIR] --show ID\n"
            "\n"
            "Finds the entries of an index that match QUERY, best first, each with\n"
            "its section path, authors, file:line and a highlighted snippet.\n"
            "\n"
            "query syntax:\n"
            "  井长制              a run of characters is a phrase (井长 then 长制)\n"
            "  商圈 智慧           both terms (AND is implicit; the word AND works too)\n"
            "  商圈 OR 商场        either term\n"
            "  商圈 -武林          NOT: leave out entries with 武林 (also NOT 武林)\n"
            "  \"杭州 中心\"         a quoted phrase\n"
            "  (a OR b) c          grouping\n"
            "  井长制 NEAR/20 治水 both within 20 characters, either order\n"
            "  杭?府 杭□府         ? or □ stands for any one CJK character\n"
            "  杭州 EXCEPT 杭州府  occurrences of 杭州 not inside 杭州府\n"
            "  title:X author:X section:X file:X kind:entry|sidebar|caption\n"
            "                      restrict a term to a field\n"
            "  Precedence: field and NOT, then NEAR/EXCEPT, then AND, then OR.\n"
            "\n"
            "options:\n"
            "  -d, --db DIR          index directory or packed archive (default\n"
            "                        $FANGZHI_DB, else ~/.local/share/fangzhi/index)\n"
            "  -n, --limit N         hits to show (default 10; 0 = all)\n"
            "      --offset N        skip the first N hits\n"
            "  -j, --json            JSON Lines, one object per hit\n"
            "  -f, --format FMT      jsonl, csv or tsv: every hit (no limit unless --limit)\n"
            "      --fold LEVEL      variants (default): traditional, simplified and variant\n"
            "                        forms (峯/峰) all match; ts: traditional and simplified\n"
            "                        match, variants do not; none: only the exact forms\n"
            "      --sort ORDER      score (default) or source (file, then line)\n"
            "  -c, --count           print the number of matching entries and occurrences\n"
            "      --batch FILE      run one query per line of FILE (- for stdin)\n"
            "      --timing          with --batch --json: one {\"query\",\"ms\",\"returned\"} per query\n"
            "      --no-snippet      leave snippets out (faster exports)\n"
            "      --width N         snippet width in characters (default 80)\n"
            "      --show ID         print one whole entry\n"
            "      --color WHEN      auto (default), always or never; NO_COLOR is honoured\n"
            "  -h, --help            this help\n"
            "  -V, --version         program and index format versions\n"
            "\n"
            "examples:\n"
            "  fzsearch 井长制\n"
            "  fzsearch --db ~/fz '長安' --json\n"
            "  fzsearch 'author:陆婷 商圈' --format csv > hits.csv\n"
            "\n"
            "exit status: 0 a match was found, 1 no match, 2 error.\n");
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

typedef struct {
    out *o;
    uint32_t query_no;
    int err;
} hit_ctx;

static int on_hit(void *p, const search_hit *h)
{
    hit_ctx *c = p;
    return out_hit(c->o, h, c->query_no);
}

static int on_show(void *p, const search_hit *h)
{
    hit_ctx *c = p;
    return out_entry(c->o, h);
}

/* Runs one query; returns 0 matched, 1 none, 2 error. */
static int run_query(search *s, const char *q, size_t qlen, const search_opts *so, out *o, uint32_t query_no,
                     int count_mode, int timing, int json)
{
    char msg[512] = "";
    fz_arena *a = fz_arena_create();
    if (!a) {
        fprintf(stderr, PROG ": out of memory\n");
        return 2;
    }
    double t0 = now_ms();
    int err = 0;
    uint32_t col = 0;
    query_node *root = query_parse(q, qlen, a, &err, &col, msg, sizeof msg);
    if (!root) {
        if (query_no)
            fprintf(stderr, PROG ": query %u: %s (at column %u)\n", query_no, msg, col + 1);
        else if (err == FZ_EMPTY)
            fprintf(stderr, PROG ": empty query: give a word or phrase to search for\n");
        else
            fprintf(stderr, PROG ": bad query: %s (at column %u)\n", msg, col + 1);
        fz_arena_destroy(a);
        return 2;
    }
    hit_ctx hc = {o, query_no, 0};
    search_counts cnt = {0};
    int rc = search_run(s, root, so, on_hit, &hc, &cnt, msg, sizeof msg);
    double ms = now_ms() - t0;
    fz_arena_destroy(a);
    if (rc) {
        if (query_no)
            fprintf(stderr, PROG ": query %u: %s\n", query_no, msg[0] ? msg : fz_strerror(rc));
        else
            fprintf(stderr, PROG ": %s\n", msg[0] ? msg : fz_strerror(rc));
        return 2;
    }
    if (count_mode) {
        if (json) {
            if (query_no)
                printf("{\"query\":%u,\"entries\":%llu,\"occurrences\":%llu}\n", query_no,
                       (unsigned long long)cnt.entries, (unsigned long long)cnt.occurrences);
            else
                printf("{\"entries\":%llu,\"occurrences\":%llu}\n", (unsigned long long)cnt.entries,
                       (unsigned long long)cnt.occurrences);
        } else if (query_no) {
            printf("%u\t%llu\t%llu\n", query_no, (unsigned long long)cnt.entries,
                   (unsigned long long)cnt.occurrences);
        } else {
            printf("%llu entries, %llu occurrences\n", (unsigned long long)cnt.entries,
                   (unsigned long long)cnt.occurrences);
        }
    }
    if (timing && json)
        printf("{\"query\":%u,\"ms\":%.3f,\"returned\":%u}\n", query_no, ms, cnt.returned);
    return cnt.entries ? 0 : 1;
}

int main(int argc, char **argv)
{
    enum { O_OFFSET = 256, O_FOLD, O_SORT, O_BATCH, O_TIMING, O_NOSNIP, O_WIDTH, O_SHOW, O_COLOR };
    static const struct option opts[] = {
        {"db", required_argument, 0, 'd'},       {"limit", required_argument, 0, 'n'},
        {"offset", required_argument, 0, O_OFFSET}, {"json", no_argument, 0, 'j'},
        {"format", required_argument, 0, 'f'},   {"fold", required_argument, 0, O_FOLD},
        {"sort", required_argument, 0, O_SORT},  {"count", no_argument, 0, 'c'},
        {"batch", required_argument, 0, O_BATCH}, {"timing", no_argument, 0, O_TIMING},
        {"no-snippet", no_argument, 0, O_NOSNIP}, {"width", required_argument, 0, O_WIDTH},
        {"show", required_argument, 0, O_SHOW},  {"color", required_argument, 0, O_COLOR},
        {"colour", required_argument, 0, O_COLOR}, {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, 'V'},        {0, 0, 0, 0}};
    const char *db = NULL, *batch = NULL, *show = NULL;
    search_opts so = {0};
    so.fold = TOK_FOLD_VARIANTS;
    uint32_t limit = 10, width = 80, show_id = 0;
    int limit_given = 0, json = 0, count_mode = 0, timing = 0, snippets = 1, color = -1;
    out_format fmt = OUT_TERM;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "d:n:jf:chV", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'n':
            if (parse_uint(optarg, &limit)) {
                fprintf(stderr, PROG ": --limit: '%s' is not a number\n", optarg);
                return 2;
            }
            limit_given = 1;
            break;
        case O_OFFSET:
            if (parse_uint(optarg, &so.offset)) {
                fprintf(stderr, PROG ": --offset: '%s' is not a number\n", optarg);
                return 2;
            }
            break;
        case 'j': json = 1; fmt = OUT_JSON; break;
        case 'f':
            if (!strcmp(optarg, "jsonl") || !strcmp(optarg, "json"))
                fmt = OUT_JSON;
            else if (!strcmp(optarg, "csv"))
                fmt = OUT_CSV;
            else if (!strcmp(optarg, "tsv"))
                fmt = OUT_TSV;
            else {
                fprintf(stderr, PROG ": --format: '%s' is not one of jsonl, csv, tsv\n", optarg);
                return 2;
            }
            if (!limit_given)
                limit = 0;
            json = fmt == OUT_JSON;
            break;
        case O_FOLD:
            if (!strcmp(optarg, "none"))
                so.fold = TOK_FOLD_NONE;
            else if (!strcmp(optarg, "ts"))
                so.fold = TOK_FOLD_TS;
            else if (!strcmp(optarg, "variants"))
                so.fold = TOK_FOLD_VARIANTS;
            else {
                fprintf(stderr, PROG ": --fold: '%s' is not one of none, ts, variants\n", optarg);
                return 2;
            }
            break;
        case O_SORT:
            if (!strcmp(optarg, "score"))
                so.sort = SEARCH_SORT_SCORE;
            else if (!strcmp(optarg, "source"))
                so.sort = SEARCH_SORT_SOURCE;
            else {
                fprintf(stderr, PROG ": --sort: '%s' is not one of score, source\n", optarg);
                return 2;
            }
            break;
        case 'c': count_mode = 1; break;
        case O_BATCH: batch = optarg; break;
        case O_TIMING: timing = 1; break;
        case O_NOSNIP: snippets = 0; break;
        case O_WIDTH:
            if (parse_uint(optarg, &width) || width < 10 || width > 10000) {
                fprintf(stderr, PROG ": --width: '%s' is not a number from 10 to 10000\n", optarg);
                return 2;
            }
            break;
        case O_SHOW:
            show = optarg;
            if (parse_uint(optarg, &show_id)) {
                fprintf(stderr, PROG ": --show: '%s' is not an entry id\n", optarg);
                return 2;
            }
            break;
        case O_COLOR:
            if (!strcmp(optarg, "auto"))
                color = -1;
            else if (!strcmp(optarg, "always"))
                color = 1;
            else if (!strcmp(optarg, "never"))
                color = 0;
            else {
                fprintf(stderr, PROG ": --color: '%s' is not one of auto, always, never\n", optarg);
                return 2;
            }
            break;
        case 'h': usage(stdout); return 0;
        case 'V': printf("fzsearch %s (index format %d)\n", FZ_VERSION, STORE_FORMAT); return 0;
        default:
            if (optopt && c == '?' && !strchr("dnjfchV", optopt))
                fprintf(stderr, PROG ": unknown option '-%c' (try 'fzsearch --help')\n", optopt);
            else if (optopt)
                fprintf(stderr, PROG ": option '-%c' needs a value (try 'fzsearch --help')\n", optopt);
            else
                fprintf(stderr, PROG ": unknown option '%s' or missing value (try 'fzsearch --help')\n",
                        argv[optind - 1]);
            return 2;
        }
    }
    if (color < 0) {
        const char *nc = getenv("NO_COLOR");
        color = isatty(STDOUT_FILENO) && !(nc && *nc) && fmt == OUT_TERM;
    }
    if (fmt != OUT_TERM)
        color = 0;
    so.limit = limit;
    so.count = count_mode;
    so.no_hits = count_mode;
    char dbbuf[PATH_MAX];
    if (!db)
        db = default_db(dbbuf, sizeof dbbuf);

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
    if (batch && q.len) {
        fprintf(stderr, PROG ": give either --batch FILE or a query, not both\n");
        fz_buf_free(&q);
        return 2;
    }

    char msg[1024] = "";
    search *s = NULL;
    int rc = search_open(db, &s, msg, sizeof msg);
    if (rc) {
        fprintf(stderr, PROG ": %s\n", msg[0] ? msg : fz_strerror(rc));
        fz_buf_free(&q);
        return 2;
    }
    out *o = out_create(stdout, fmt, color, snippets, width);
    int status = 1;
    if (!o) {
        fprintf(stderr, PROG ": out of memory\n");
        status = 2;
    } else if (show) {
        hit_ctx hc = {o, 0, 0};
        rc = search_show(s, show_id, on_show, &hc, msg, sizeof msg);
        if (rc) {
            fprintf(stderr, PROG ": --show %u: %s\n", show_id, msg[0] ? msg : fz_strerror(rc));
            status = rc == FZ_ENOTFOUND ? 1 : 2;
        } else {
            status = 0;
        }
    } else if (batch) {
        FILE *f = strcmp(batch, "-") ? fopen(batch, "r") : stdin;
        if (!f) {
            fprintf(stderr, PROG ": --batch %s: %s\n", batch, strerror(errno));
            status = 2;
        } else {
            if (!count_mode)
                out_header(o);
            char *line = NULL;
            size_t cap = 0;
            ssize_t n;
            uint32_t no = 0;
            int any = 0, errs = 0;
            while ((n = getline(&line, &cap, f)) >= 0) {
                no++;
                while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
                    line[--n] = 0;
                char *qs = strrchr(line, '\t');
                qs = qs ? qs + 1 : line;
                int r = run_query(s, qs, strlen(qs), &so, o, no, count_mode, timing, json || count_mode);
                if (r == 0)
                    any = 1;
                else if (r == 2)
                    errs++;
                fflush(stdout);
            }
            free(line);
            if (f != stdin)
                fclose(f);
            status = errs ? 2 : any ? 0 : 1;
        }
    } else {
        if (!count_mode)
            out_header(o);
        status = run_query(s, q.p, q.len, &so, o, 0, count_mode, 0, json);
    }
    if (fflush(stdout) && status != 2) {
        fprintf(stderr, PROG ": writing output: %s\n", strerror(errno));
        status = 2;
    }
    out_destroy(o);
    search_close(s);
    fz_buf_free(&q);
    return status;
}
