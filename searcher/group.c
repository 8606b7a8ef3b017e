/*
 * group.c -- counts per group and the bar chart (see group.h).
 */
#include "group.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "../common/esc.h"
#include "kind.h"

#define NONE "(none)"
#define LABEL_MIN 20 /* columns a name may always take before it is cut */

typedef struct {
    size_t name, name_len;   /* into group.str */
    uint64_t entries, occ;
    uint32_t last;           /* id + 1 of the last entry counted, 0 none */
    int dated;               /* year, decade, century: key is the first year */
    int32_t key;
} grp;

struct group {
    group_by by;
    grp *g;
    size_t n, cap;
    uint32_t *slot;          /* hash table: index + 1 into g, 0 empty */
    size_t nslot;            /* a power of two */
    fz_buf str, key, line;
    fz_buf lab; /* a name as the terminal shows it */
    uint64_t total_entries, total_occ;
};

static const char *const by_names[] = {"section", "author", "file",   "kind",   "form",
                                       "volume",  "place",  "year", "decade", "century"};
#define NBY (int)(sizeof by_names / sizeof *by_names)

int group_parse_by(const char *name, group_by *by)
{
    for (int i = 0; i < NBY; i++)
        if (!strcmp(name, by_names[i])) {
            *by = (group_by)i;
            return 0;
        }
    return -1;
}

const char *group_by_name(group_by by)
{
    return (unsigned)by < (unsigned)NBY ? by_names[by] : "";
}

group *group_create(group_by by)
{
    group *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->by = by;
    return g;
}

void group_destroy(group *g)
{
    if (!g)
        return;
    free(g->g);
    free(g->slot);
    fz_buf_free(&g->str);
    fz_buf_free(&g->key);
    fz_buf_free(&g->line);
    fz_buf_free(&g->lab);
    free(g);
}

size_t group_count(const group *g) { return g->n; }

static uint64_t hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h;
}

static int rehash(group *g)
{
    size_t ns = g->nslot ? g->nslot * 2 : 64;
    uint32_t *t = calloc(ns, sizeof *t);
    if (!t)
        return FZ_ENOMEM;
    for (size_t i = 0; i < g->n; i++) {
        size_t j = hash(g->str.p + g->g[i].name, g->g[i].name_len) & (ns - 1);
        while (t[j])
            j = (j + 1) & (ns - 1);
        t[j] = (uint32_t)(i + 1);
    }
    free(g->slot);
    g->slot = t;
    g->nslot = ns;
    return 0;
}

/* The group named s[0..n), created when new; NULL when out of memory. */
static grp *find(group *g, const char *s, size_t n)
{
    if ((g->n + 1) * 2 > g->nslot && rehash(g))
        return NULL;
    size_t j = hash(s, n) & (g->nslot - 1);
    while (g->slot[j]) {
        grp *x = &g->g[g->slot[j] - 1];
        if (x->name_len == n && memcmp(g->str.p + x->name, s, n) == 0)
            return x;
        j = (j + 1) & (g->nslot - 1);
    }
    if (g->n == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 32;
        grp *p = realloc(g->g, cap * sizeof *p);
        if (!p)
            return NULL;
        g->g = p;
        g->cap = cap;
    }
    grp *x = &g->g[g->n];
    x->name = g->str.len;
    x->name_len = n;
    x->entries = x->occ = 0;
    x->last = 0;
    x->dated = 0;
    x->key = 0;
    if (fz_buf_append(&g->str, s, n))
        return NULL;
    g->slot[j] = (uint32_t)++g->n;
    return x;
}

/* Counts entry id with occ occurrences in the group named s[0..n);
 * dated groups (year, decade, century) sort by key, their first year. */
static int count_key(group *g, const char *s, size_t n, uint32_t id, uint64_t occ, int dated, int32_t key)
{
    grp *x = find(g, s, n);
    if (!x)
        return FZ_ENOMEM;
    x->dated = dated;
    x->key = key;
    if (x->last != id + 1) {
        x->entries++;
        x->last = id + 1;
    }
    x->occ += occ;
    return 0;
}

static int count(group *g, const char *s, size_t n, uint32_t id, uint64_t occ)
{
    return count_key(g, s, n, id, occ, 0, 0);
}

/* The first year of the span of width years (1, 10, 100) holding y. */
static int32_t span_start(int32_t y, int32_t width)
{
    int32_t q = y / width;
    if (y % width < 0)
        q--; /* floor: -205 is in -210..-201 and -300..-201 */
    return q * width;
}

int group_add(group *g, const search_hit *h)
{
    const store_entry *e = h->e;
    uint64_t occ = h->occurrences ? h->occurrences : 1;
    fz_buf *k = &g->key;
    int rc = 0;
    g->total_entries++;
    switch (g->by) {
    case GROUP_SECTION:
        k->len = 0;
        for (size_t i = 0; i < e->nsection && !rc; i++)
            if (!(rc = i ? fz_buf_puts(k, " › ") : 0))
                rc = fz_buf_append(k, e->section[i], e->section_len[i]);
        if (rc)
            return rc;
        g->total_occ += occ;
        return e->nsection ? count(g, k->p, k->len, e->id, occ) : count(g, NONE, strlen(NONE), e->id, occ);
    case GROUP_AUTHOR:
        g->total_occ += occ;
        if (!e->nauthors)
            return count(g, NONE, strlen(NONE), e->id, occ);
        for (size_t i = 0; i < e->nauthors && !rc; i++) {
            /* an author named twice in one entry counts once */
            int dup = 0;
            for (size_t j = 0; j < i && !dup; j++)
                dup = e->author_len[j] == e->author_len[i] &&
                      memcmp(e->authors[j], e->authors[i], e->author_len[i]) == 0;
            if (!dup)
                rc = count(g, e->authors[i], e->author_len[i], e->id, occ);
        }
        return rc;
    case GROUP_FILE:
        g->total_occ += occ;
        return count(g, h->file, h->file_len, e->id, occ);
    case GROUP_KIND: {
        const char *kn = fz_kind_name(e->kind);
        g->total_occ += occ;
        return count(g, kn, strlen(kn), e->id, occ);
    }
    case GROUP_VOLUME:
        g->total_occ += occ;
        return count(g, h->volume.title, h->volume.title_len, e->id, occ);
    case GROUP_PLACE:
        g->total_occ += occ;
        if (!h->volume.place_len)
            return count(g, NONE, strlen(NONE), e->id, occ);
        return count(g, h->volume.place, h->volume.place_len, e->id, occ);
    case GROUP_YEAR:
    case GROUP_DECADE:
    case GROUP_CENTURY: {
        g->total_occ += occ;
        if (!h->volume.has_year)
            return count(g, NONE, strlen(NONE), e->id, occ);
        int32_t w = g->by == GROUP_YEAR ? 1 : g->by == GROUP_DECADE ? 10 : 100;
        int32_t y0 = span_start(h->volume.year, w);
        char name[32];
        if (w == 1)
            snprintf(name, sizeof name, "%d", (int)y0);
        else
            snprintf(name, sizeof name, "%d..%d", (int)y0, (int)(y0 + w - 1));
        return count_key(g, name, strlen(name), e->id, occ, 1, y0);
    }
    case GROUP_FORM:
        for (size_t i = 0; i < h->nspans && !rc; i++) {
            const search_span *sp = &h->spans[i];
            const char *text = sp->field == 0 ? e->title : e->body;
            size_t len = sp->field == 0 ? e->title_len : e->body_len;
            if (sp->start >= sp->end || sp->end > len)
                continue;
            k->len = 0;
            if ((rc = fz_buf_append(k, text + sp->start, sp->end - sp->start)))
                break;
            for (size_t j = 0; j < k->len; j++)
                if (k->p[j] == '\n' || k->p[j] == '\r' || k->p[j] == '\t')
                    k->p[j] = ' ';
            rc = count(g, k->p, k->len, e->id, 1);
            g->total_occ++;
        }
        return rc;
    }
    return FZ_EINVAL;
}

static int cmp_grp(const void *pa, const void *pb, void *arg)
{
    const group *g = arg;
    const grp *a = pa, *b = pb;
    if (a->dated != b->dated)
        return a->dated ? -1 : 1; /* (none) after the years */
    if (a->dated && a->key != b->key)
        return a->key < b->key ? -1 : 1;
    if (a->occ != b->occ)
        return a->occ > b->occ ? -1 : 1;
    if (a->entries != b->entries)
        return a->entries > b->entries ? -1 : 1;
    size_t n = a->name_len < b->name_len ? a->name_len : b->name_len;
    int r = memcmp(g->str.p + a->name, g->str.p + b->name, n);
    if (r)
        return r < 0 ? -1 : 1;
    return a->name_len < b->name_len ? -1 : a->name_len > b->name_len;
}

int group_bar(fz_buf *b, uint64_t value, uint64_t max, size_t cols)
{
    static const char *const part[] = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
    if (!max || !value || !cols)
        return 0;
    uint64_t eighths = (uint64_t)((long double)value * cols * 8 / max + 0.5L);
    if (eighths == 0)
        eighths = 1;
    if (eighths > cols * 8)
        eighths = cols * 8;
    int rc = 0;
    for (uint64_t i = 0; i < eighths / 8 && !rc; i++)
        rc = fz_buf_puts(b, "█");
    if (!rc && eighths % 8)
        rc = fz_buf_puts(b, part[eighths % 8]);
    return rc;
}

/* Byte length of the longest prefix of s[0..n) at most w columns wide. */
static size_t cut_to_width(const char *s, size_t n, size_t w)
{
    size_t i = 0, used = 0;
    while (i < n) {
        uint32_t cp;
        int k = fz_utf8_decode((const unsigned char *)s + i, n - i, &cp);
        size_t cw = k < 0 ? 1 : (size_t)fz_cp_width(cp);
        size_t step = k < 0 ? 1 : (size_t)k;
        if (used + cw > w)
            break;
        used += cw;
        i += step;
    }
    return i;
}

static int spaces(fz_buf *b, size_t n)
{
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++)
        rc = fz_buf_putc(b, ' ');
    return rc;
}

/* Byte offset of the shortest suffix of s[0..n) that leaves at most w
 * columns (for cutting a section path at its outer end). */
static size_t suffix_of_width(const char *s, size_t n, size_t w)
{
    size_t i = n, used = 0;
    while (i > 0) {
        size_t b = i - 1;
        for (int k = 0; k < 3 && b > 0 && ((unsigned char)s[b] & 0xC0) == 0x80; k++)
            b--;
        uint32_t cp;
        int k = fz_utf8_decode((const unsigned char *)s + b, i - b, &cp);
        size_t cw = 1;
        if (k < 0 || (size_t)k != i - b)
            b = i - 1;
        else
            cw = (size_t)fz_cp_width(cp);
        if (used + cw > w)
            break;
        used += cw;
        i = b;
    }
    return i;
}

/* Appends the name, cut to at most lw columns with "…" (at the start when
 * from_left: the end of a section path says more than its start), and pads
 * it to lw. */
static void put_label(fz_buf *b, const char *s, size_t n, size_t lw, int from_left)
{
    size_t w = out_text_width(s, n);
    if (w <= lw) {
        fz_buf_append(b, s, n);
        spaces(b, lw - w);
        return;
    }
    if (from_left) {
        size_t at = suffix_of_width(s, n, lw - 1);
        fz_buf_puts(b, "…");
        fz_buf_append(b, s + at, n - at);
        spaces(b, lw - 1 - out_text_width(s + at, n - at));
    } else {
        size_t cut = cut_to_width(s, n, lw - 1);
        fz_buf_append(b, s, cut);
        fz_buf_puts(b, "…");
        spaces(b, lw - 1 - out_text_width(s, cut));
    }
}

/* The name of group i as the terminal shows it (a file relative to the
 * working directory when below it; control characters escaped),
 * NUL-terminated in g->lab until the next call. */
static const char *label(group *g, size_t i)
{
    const char *s = g->str.p + g->g[i].name;
    size_t n = g->g[i].name_len;
    g->lab.len = 0;
    if (g->by == GROUP_FILE)
        out_path_put(&g->lab, s, n);
    else
        esc_text_append(&g->lab, s, n, 0);
    return fz_buf_putc(&g->lab, 0) ? "" : g->lab.p;
}

static int flush_line(group *g, FILE *f)
{
    fz_buf *b = &g->line;
    int rc = b->len && fwrite(b->p, 1, b->len, f) != b->len ? FZ_EIO : 0;
    b->len = 0;
    return rc;
}

static void reset(group *g)
{
    g->n = 0;
    g->str.len = 0;
    g->total_entries = g->total_occ = 0;
    if (g->slot)
        memset(g->slot, 0, g->nslot * sizeof *g->slot);
}

void group_sort(group *g)
{
    if (g->n > 1)
        qsort_r(g->g, g->n, sizeof *g->g, cmp_grp, g);
}

void group_item(const group *g, size_t i, const char **name, size_t *len, uint64_t *entries, uint64_t *occ)
{
    *name = g->str.p + g->g[i].name;
    *len = g->g[i].name_len;
    *entries = g->g[i].entries;
    *occ = g->g[i].occ;
}

void group_clear(group *g) { reset(g); }

int group_write(group *g, FILE *f, out_format fmt, int color, size_t width, uint32_t query_no, int header)
{
    fz_buf *b = &g->line;
    const char *s = g->str.p;
    int rc = 0;
    b->len = 0;
    group_sort(g);
    if (fmt == OUT_JSON) {
        for (size_t i = 0; i < g->n && !rc; i++) {
            if (query_no)
                fz_buf_printf(b, "{\"query\":%u,\"group\":", query_no);
            else
                fz_buf_puts(b, "{\"group\":");
            out_json_str(b, s + g->g[i].name, g->g[i].name_len);
            fz_buf_printf(b, ",\"entries\":%llu,\"occurrences\":%llu}\n", (unsigned long long)g->g[i].entries,
                          (unsigned long long)g->g[i].occ);
            rc = flush_line(g, f);
        }
        reset(g);
        return rc;
    }
    if (fmt == OUT_CSV || fmt == OUT_TSV) {
        if (header) {
            if (query_no)
                out_sv_field(b, fmt, "query", 5, 0);
            out_sv_field(b, fmt, "group", 5, 0);
            out_sv_field(b, fmt, "entries", 7, 0);
            out_sv_field(b, fmt, "occurrences", 11, 1);
            rc = flush_line(g, f);
        }
        for (size_t i = 0; i < g->n && !rc; i++) {
            char num[32];
            if (query_no) {
                snprintf(num, sizeof num, "%u", query_no);
                out_sv_field(b, fmt, num, strlen(num), 0);
            }
            out_sv_field(b, fmt, s + g->g[i].name, g->g[i].name_len, 0);
            snprintf(num, sizeof num, "%llu", (unsigned long long)g->g[i].entries);
            out_sv_field(b, fmt, num, strlen(num), 0);
            snprintf(num, sizeof num, "%llu", (unsigned long long)g->g[i].occ);
            out_sv_field(b, fmt, num, strlen(num), 1);
            rc = flush_line(g, f);
        }
        reset(g);
        return rc;
    }
    /* the terminal: name | entries | occurrences | bar */
    const char *head = group_by_name(g->by);
    char tl[64];
    snprintf(tl, sizeof tl, "%zu group%s", g->n, g->n == 1 ? "" : "s");
    size_t lw = out_text_width(head, strlen(head));
    if (strlen(tl) > lw)
        lw = strlen(tl);
    uint64_t maxocc = 0;
    for (size_t i = 0; i < g->n; i++) {
        const char *name = label(g, i);
        size_t w = out_text_width(name, strlen(name));
        if (w > lw)
            lw = w;
        if (g->g[i].occ > maxocc)
            maxocc = g->g[i].occ;
    }
    const size_t ew = 7, ow = 11; /* "entries", "occurrences" */
    if (width < 40)
        width = 40;
    /* names may take what the numbers and a bar of 12 columns leave */
    size_t lmax = width > 2 + ew + 2 + ow + 2 + 12 + LABEL_MIN ? width - (2 + ew + 2 + ow + 2 + 12) : LABEL_MIN;
    if (lw > lmax)
        lw = lmax;
    size_t used = lw + 2 + ew + 2 + ow + 2;
    size_t bw = width > used + 10 ? width - used - 1 : 10;
    if (color)
        fz_buf_puts(b, OUT_C_DIM);
    put_label(b, head, strlen(head), lw, 0);
    fz_buf_printf(b, "  %*s  %*s", (int)ew, "entries", (int)ow, "occurrences");
    if (color)
        fz_buf_puts(b, OUT_C_OFF);
    fz_buf_putc(b, '\n');
    rc = flush_line(g, f);
    for (size_t i = 0; i < g->n && !rc; i++) {
        const char *name = label(g, i);
        put_label(b, name, strlen(name), lw, g->by == GROUP_SECTION || g->by == GROUP_FILE);
        fz_buf_printf(b, "  %*llu  %*llu  ", (int)ew, (unsigned long long)g->g[i].entries, (int)ow,
                      (unsigned long long)g->g[i].occ);
        if (color)
            fz_buf_puts(b, OUT_C_PATH);
        group_bar(b, g->g[i].occ, maxocc, bw);
        if (color)
            fz_buf_puts(b, OUT_C_OFF);
        fz_buf_putc(b, '\n');
        rc = flush_line(g, f);
    }
    if (!rc) {
        if (color)
            fz_buf_puts(b, OUT_C_DIM);
        put_label(b, tl, strlen(tl), lw, 0);
        fz_buf_printf(b, "  %*llu  %*llu", (int)ew, (unsigned long long)g->total_entries, (int)ow,
                      (unsigned long long)g->total_occ);
        if (color)
            fz_buf_puts(b, OUT_C_OFF);
        fz_buf_putc(b, '\n');
        rc = flush_line(g, f);
    }
    reset(g);
    return rc;
}
