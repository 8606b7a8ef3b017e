/*
 * kwic.c -- the concordance (see kwic.h).
 */
#include "kwic.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "../common/esc.h"
#include "kind.h"
#include "snip.h"

/* One entry that has rows: what the rows print about it.  The strings are
 * offsets into kwic.str. */
typedef struct {
    uint32_t id, line;
    uint8_t kind;
    size_t file, file_len;
    size_t title, title_len;
    size_t secjson, secjson_len; /* the section path as a JSON array */
} kent;

/* One occurrence. */
typedef struct {
    uint32_t ent;      /* index into kwic.ents */
    uint32_t seq;      /* arrival order */
    uint32_t offset;   /* code points into the field */
    uint8_t field;     /* 0 title, 1 body */
    size_t left, left_len, match, match_len, right, right_len;
} krow;

struct kwic {
    size_t context;
    kwic_order order;
    kent *ents;
    size_t nents, capents;
    krow *rows;
    size_t nrows, caprows;
    fz_buf str;   /* every string of the rows and entries */
    fz_buf line;  /* one output line */
    fz_buf tmp;   /* a context escaped for the terminal */
};

kwic *kwic_create(size_t context, kwic_order order)
{
    kwic *k = calloc(1, sizeof *k);
    if (!k)
        return NULL;
    k->context = context;
    k->order = order;
    return k;
}

void kwic_destroy(kwic *k)
{
    if (!k)
        return;
    free(k->ents);
    free(k->rows);
    fz_buf_free(&k->str);
    fz_buf_free(&k->line);
    fz_buf_free(&k->tmp);
    free(k);
}

size_t kwic_rows(const kwic *k) { return k->nrows; }

static int is_cont(unsigned char c) { return (c & 0xC0) == 0x80; }

void kwic_bounds(const char *text, size_t len, size_t start, size_t end, size_t n, size_t *ls, size_t *re)
{
    if (start > len)
        start = len;
    if (end > len)
        end = len;
    if (end < start)
        end = start;
    size_t i = start;
    for (size_t c = 0; c < n && i > 0; c++) {
        i--;
        /* back over continuation bytes, but at most 3 (an invalid byte is
         * one character) */
        for (int k = 0; k < 3 && i > 0 && is_cont((unsigned char)text[i]); k++)
            i--;
    }
    *ls = i;
    i = end;
    for (size_t c = 0; c < n && i < len; c++) {
        uint32_t cp;
        int k = fz_utf8_decode((const unsigned char *)text + i, len - i, &cp);
        i += k > 0 ? (size_t)k : 1;
    }
    *re = i;
}

/* Decodes the code point that ends just before byte *i of s and moves *i
 * to its start; an invalid byte is returned as itself + 0x110000 so that
 * it still compares consistently. */
static uint32_t prev_cp(const char *s, size_t *i)
{
    size_t e = *i, b = e - 1;
    for (int k = 0; k < 3 && b > 0 && is_cont((unsigned char)s[b]); k++)
        b--;
    uint32_t cp;
    int n = fz_utf8_decode((const unsigned char *)s + b, e - b, &cp);
    if (n < 0 || (size_t)n != e - b) {
        *i = e - 1;
        return 0x110000u + (unsigned char)s[e - 1];
    }
    *i = b;
    return cp;
}

int kwic_cmp_left(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t i = alen, j = blen;
    while (i > 0 && j > 0) {
        uint32_t x = prev_cp(a, &i), y = prev_cp(b, &j);
        if (x != y)
            return x < y ? -1 : 1;
    }
    if (i == 0 && j == 0)
        return 0;
    return i == 0 ? -1 : 1;
}

/* Appends s[0..n) to b with line breaks and tabs as spaces. */
static int put_flat(fz_buf *b, const char *s, size_t n)
{
    if (fz_buf_reserve(b, n))
        return FZ_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        b->p[b->len++] = c == '\n' || c == '\r' || c == '\t' ? ' ' : c;
    }
    b->p[b->len] = 0;
    return 0;
}

int kwic_add(kwic *k, const search_hit *h)
{
    const store_entry *e = h->e;
    if (!h->nspans)
        return 0;
    if (k->nents == k->capents) {
        size_t cap = k->capents ? k->capents * 2 : 64;
        kent *p = realloc(k->ents, cap * sizeof *p);
        if (!p)
            return FZ_ENOMEM;
        k->ents = p;
        k->capents = cap;
    }
    if (fz_grow(&k->rows, &k->caprows, k->nrows + h->nspans, sizeof *k->rows, 256))
        return FZ_ENOMEM;
    fz_buf *s = &k->str;
    kent *t = &k->ents[k->nents];
    t->id = e->id;
    t->line = e->line;
    t->kind = e->kind;
    t->file = s->len;
    if (fz_buf_append(s, h->file, h->file_len))
        return FZ_ENOMEM;
    t->file_len = h->file_len;
    t->title = s->len;
    if (put_flat(s, e->title, e->title_len))
        return FZ_ENOMEM;
    t->title_len = e->title_len;
    t->secjson = s->len;
    if (fz_buf_putc(s, '['))
        return FZ_ENOMEM;
    for (size_t i = 0; i < e->nsection; i++)
        if ((i && fz_buf_putc(s, ',')) || out_json_str(s, e->section[i], e->section_len[i]))
            return FZ_ENOMEM;
    if (fz_buf_putc(s, ']'))
        return FZ_ENOMEM;
    t->secjson_len = s->len - t->secjson;
    uint32_t ent = (uint32_t)k->nents++;
    /* code points before each span, counted on from the last span of the
     * same field (spans come in order: linear in the entry's length) */
    size_t cpos[2] = {0, 0}, ccount[2] = {0, 0};
    for (size_t i = 0; i < h->nspans; i++) {
        const search_span *sp = &h->spans[i];
        const char *text = sp->field == 0 ? e->title : e->body;
        size_t len = sp->field == 0 ? e->title_len : e->body_len;
        if (sp->start > sp->end || sp->end > len)
            continue;
        size_t ls, re;
        kwic_bounds(text, len, sp->start, sp->end, k->context, &ls, &re);
        krow *r = &k->rows[k->nrows];
        r->ent = ent;
        r->seq = (uint32_t)k->nrows;
        r->field = sp->field;
        int f = sp->field ? 1 : 0;
        if (sp->start < cpos[f])
            cpos[f] = ccount[f] = 0;
        ccount[f] += snip_cplen(text + cpos[f], sp->start - cpos[f]);
        cpos[f] = sp->start;
        r->offset = (uint32_t)ccount[f];
        r->left = s->len;
        r->left_len = sp->start - ls;
        r->match = r->left + r->left_len;
        r->match_len = sp->end - sp->start;
        r->right = r->match + r->match_len;
        r->right_len = re - sp->end;
        if (put_flat(s, text + ls, re - ls))
            return FZ_ENOMEM;
        k->nrows++;
    }
    return 0;
}

static int cmp_bytes(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    int r = memcmp(a, b, n);
    if (r)
        return r < 0 ? -1 : 1;
    return alen < blen ? -1 : alen > blen;
}

/* qsort_r comparison: the order's key, then the match, then arrival. */
static int cmp_rows(const void *pa, const void *pb, void *arg)
{
    const kwic *k = arg;
    const krow *a = pa, *b = pb;
    const char *s = k->str.p;
    int r = 0;
    if (k->order == KWIC_ORDER_LEFT)
        r = kwic_cmp_left(s + a->left, a->left_len, s + b->left, b->left_len);
    else if (k->order == KWIC_ORDER_RIGHT)
        r = cmp_bytes(s + a->right, a->right_len, s + b->right, b->right_len);
    if (!r && k->order != KWIC_ORDER_HITS)
        r = cmp_bytes(s + a->match, a->match_len, s + b->match, b->match_len);
    if (!r)
        r = a->seq < b->seq ? -1 : a->seq > b->seq;
    return r;
}

static int pad(fz_buf *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (fz_buf_putc(b, ' '))
            return FZ_ENOMEM;
    return 0;
}

/* Display width of s[0..n) as the terminal shows it (controls escaped);
 * the escaped text is left in k->tmp. */
static size_t term_width(kwic *k, const char *s, size_t n)
{
    k->tmp.len = 0;
    if (esc_text_append(&k->tmp, s, n, 0))
        return 0;
    return out_text_width(k->tmp.p ? k->tmp.p : "", k->tmp.len);
}

/* Appends s[0..n) escaped and pads it to w columns, padding first when
 * right is set (a right-aligned column). */
static void put_col(kwic *k, fz_buf *b, const char *s, size_t n, size_t w, int right)
{
    size_t tw = term_width(k, s, n);
    if (right)
        pad(b, w - tw);
    fz_buf_append(b, k->tmp.p ? k->tmp.p : "", k->tmp.len);
    if (!right)
        pad(b, w - tw);
}

static int term_row(kwic *k, const krow *r, int color, size_t lw, size_t mw, size_t rw)
{
    const char *s = k->str.p;
    const kent *t = &k->ents[r->ent];
    fz_buf *b = &k->line;
    put_col(k, b, s + r->left, r->left_len, lw, 1);
    fz_buf_putc(b, ' ');
    if (color)
        fz_buf_puts(b, OUT_C_HL);
    esc_text_append(b, s + r->match, r->match_len, 0);
    if (color)
        fz_buf_puts(b, OUT_C_OFF);
    pad(b, mw - term_width(k, s + r->match, r->match_len));
    fz_buf_putc(b, ' ');
    put_col(k, b, s + r->right, r->right_len, rw, 0);
    fz_buf_puts(b, "  ");
    if (color)
        fz_buf_puts(b, OUT_C_PATH);
    out_path_put(b, s + t->file, t->file_len);
    fz_buf_printf(b, ":%u", t->line);
    if (color)
        fz_buf_puts(b, OUT_C_OFF);
    fz_buf_puts(b, "  ");
    if (t->title_len)
        esc_text_append(b, s + t->title, t->title_len, 0);
    else
        fz_buf_printf(b, "(%s)", fz_kind_name(t->kind));
    return fz_buf_putc(b, '\n');
}

static int json_row(kwic *k, const krow *r, uint32_t query_no)
{
    const char *s = k->str.p;
    const kent *t = &k->ents[r->ent];
    fz_buf *b = &k->line;
    fz_buf_putc(b, '{');
    if (query_no)
        fz_buf_printf(b, "\"query\":%u,", query_no);
    fz_buf_printf(b, "\"id\":%u,\"file\":", t->id);
    out_json_str(b, s + t->file, t->file_len);
    fz_buf_printf(b, ",\"line\":%u,\"title\":", t->line);
    out_json_str(b, s + t->title, t->title_len);
    fz_buf_puts(b, ",\"section\":");
    fz_buf_append(b, s + t->secjson, t->secjson_len);
    fz_buf_printf(b, ",\"kind\":\"%s\",\"field\":\"%s\",\"offset\":%u,\"left\":",
                  fz_kind_name(t->kind), r->field ? "body" : "title", r->offset);
    out_json_str(b, s + r->left, r->left_len);
    fz_buf_puts(b, ",\"match\":");
    out_json_str(b, s + r->match, r->match_len);
    fz_buf_puts(b, ",\"right\":");
    out_json_str(b, s + r->right, r->right_len);
    return fz_buf_puts(b, "}\n");
}

static int sv_row(kwic *k, const krow *r, out_format fmt, uint32_t query_no)
{
    const char *s = k->str.p;
    const kent *t = &k->ents[r->ent];
    fz_buf *b = &k->line;
    char num[32];
    if (query_no) {
        snprintf(num, sizeof num, "%u", query_no);
        out_sv_field(b, fmt, num, strlen(num), 0);
    }
    snprintf(num, sizeof num, "%u", t->id);
    out_sv_field(b, fmt, num, strlen(num), 0);
    out_sv_field(b, fmt, s + t->file, t->file_len, 0);
    snprintf(num, sizeof num, "%u", t->line);
    out_sv_field(b, fmt, num, strlen(num), 0);
    out_sv_field(b, fmt, s + t->title, t->title_len, 0);
    out_sv_field(b, fmt, r->field ? "body" : "title", r->field ? 4 : 5, 0);
    snprintf(num, sizeof num, "%u", r->offset);
    out_sv_field(b, fmt, num, strlen(num), 0);
    out_sv_field(b, fmt, s + r->left, r->left_len, 0);
    out_sv_field(b, fmt, s + r->match, r->match_len, 0);
    return out_sv_field(b, fmt, s + r->right, r->right_len, 1);
}

static int flush_line(kwic *k, FILE *f)
{
    fz_buf *b = &k->line;
    int rc = b->len && fwrite(b->p, 1, b->len, f) != b->len ? FZ_EIO : 0;
    b->len = 0;
    return rc;
}

int kwic_write(kwic *k, FILE *f, out_format fmt, int color, uint32_t query_no, int header)
{
    int rc = 0;
    k->line.len = 0;
    if (header && (fmt == OUT_CSV || fmt == OUT_TSV)) {
        static const char *const cols[] = {"query", "id", "file", "line", "title", "field",
                                           "offset", "left", "match", "right"};
        for (size_t i = query_no ? 0 : 1; i < 10; i++)
            out_sv_field(&k->line, fmt, cols[i], strlen(cols[i]), i == 9);
        rc = flush_line(k, f);
    }
    if (!rc)
        kwic_sort(k);
    size_t lw = 0, mw = 0, rw = 0;
    if (fmt == OUT_TERM) {
        const char *s = k->str.p;
        for (size_t i = 0; i < k->nrows; i++) {
            const krow *r = &k->rows[i];
            size_t w = term_width(k, s + r->left, r->left_len);
            lw = w > lw ? w : lw;
            w = term_width(k, s + r->match, r->match_len);
            mw = w > mw ? w : mw;
            w = term_width(k, s + r->right, r->right_len);
            rw = w > rw ? w : rw;
        }
    }
    for (size_t i = 0; i < k->nrows && !rc; i++) {
        const krow *r = &k->rows[i];
        switch (fmt) {
        case OUT_TERM: rc = term_row(k, r, color, lw, mw, rw); break;
        case OUT_JSON: rc = json_row(k, r, query_no); break;
        default: rc = sv_row(k, r, fmt, query_no); break;
        }
        if (!rc)
            rc = flush_line(k, f);
    }
    kwic_clear(k);
    return rc;
}

void kwic_sort(kwic *k)
{
    if (k->order != KWIC_ORDER_HITS && k->nrows > 1)
        qsort_r(k->rows, k->nrows, sizeof *k->rows, cmp_rows, k);
}

void kwic_row_get(const kwic *k, size_t i, kwic_row *v)
{
    const char *s = k->str.p;
    const krow *r = &k->rows[i];
    const kent *t = &k->ents[r->ent];
    v->id = t->id;
    v->line = t->line;
    v->kind = t->kind;
    v->field = r->field;
    v->file = s + t->file;
    v->file_len = t->file_len;
    v->title = s + t->title;
    v->title_len = t->title_len;
    v->left = s + r->left;
    v->left_len = r->left_len;
    v->match = s + r->match;
    v->match_len = r->match_len;
    v->right = s + r->right;
    v->right_len = r->right_len;
}

void kwic_clear(kwic *k)
{
    k->nrows = 0;
    k->nents = 0;
    k->str.len = 0;
    k->line.len = 0;
}
