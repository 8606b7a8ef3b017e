/*
 * out.c -- result formats (see out.h).
 */
#include "out.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/esc.h"
#include "kind.h"
#include "snip.h"

#define MAXHL 256
#define C_HL OUT_C_HL
#define C_TITLE OUT_C_TITLE
#define C_DIM OUT_C_DIM
#define C_PATH OUT_C_PATH
#define C_OFF OUT_C_OFF

struct out {
    FILE *f;
    out_format fmt;
    int color, snippets;
    size_t width;
    fz_buf line, snip, tmp;
    char cwd[PATH_MAX];
    size_t cwdlen;
};

out *out_create(FILE *f, out_format fmt, int color, int snippets, size_t width)
{
    out *o = calloc(1, sizeof *o);
    if (!o)
        return NULL;
    o->f = f;
    o->fmt = fmt;
    o->color = color;
    o->snippets = snippets;
    o->width = width ? width : 80;
    if (getcwd(o->cwd, sizeof o->cwd))
        o->cwdlen = strlen(o->cwd);
    return o;
}

void out_destroy(out *o)
{
    if (!o)
        return;
    fz_buf_free(&o->line);
    fz_buf_free(&o->snip);
    fz_buf_free(&o->tmp);
    free(o);
}

const char *out_display_path(const char *path, size_t len, char *buf, size_t bufsize)
{
    return fz_display_path(path, len, buf, bufsize);
}

int out_path_put(fz_buf *b, const char *path, size_t len)
{
    char pb[PATH_MAX];
    out_display_path(path, len, pb, sizeof pb);
    return esc_text_append(b, pb, strlen(pb), 0);
}

int out_json_str(fz_buf *b, const char *s, size_t n) { return fz_buf_json(b, s, n); }

/* Text with highlight ranges, for the terminal (controls escaped). */
static void put_marked(out *o, fz_buf *b, const char *s, size_t n, const snip_range *hl, int nhl)
{
    size_t at = 0;
    for (int i = 0; i < nhl; i++) {
        if (hl[i].start < at || hl[i].end > n)
            continue;
        esc_text_append(b, s + at, hl[i].start - at, 0);
        if (o->color)
            fz_buf_puts(b, C_HL);
        else
            fz_buf_puts(b, "[");
        esc_text_append(b, s + hl[i].start, hl[i].end - hl[i].start, 0);
        fz_buf_puts(b, o->color ? C_OFF : "]");
        at = hl[i].end;
    }
    esc_text_append(b, s + at, n - at, 0);
}

static void title_ranges(const search_hit *h, snip_range *hl, int *nhl)
{
    *nhl = 0;
    for (size_t i = 0; i < h->nspans && *nhl < MAXHL; i++)
        if (h->spans[i].field == 0) {
            hl[*nhl].start = h->spans[i].start;
            hl[*nhl].end = h->spans[i].end;
            (*nhl)++;
        }
}

static const char *kind_name(int k) { return fz_kind_name(k); }

/* The volume in the attribution line: 《title》 when the title came from
 * the text or the catalog (a title that is only the file's name is already
 * in the path at the end of the line), then the catalog's place and year.
 * Returns whether it wrote anything. */
static int put_volume(fz_buf *b, const store_volume *v)
{
    size_t len0 = b->len;
    if (v->source != STORE_VOL_FILENAME && v->title_len) {
        fz_buf_puts(b, "《");
        esc_text_append(b, v->title, v->title_len, 0);
        fz_buf_puts(b, "》");
    }
    if (v->place_len) {
        fz_buf_puts(b, b->len > len0 ? " " : "");
        esc_text_append(b, v->place, v->place_len, 0);
    }
    if (v->has_year)
        fz_buf_printf(b, "%s%d", b->len > len0 ? " " : "", (int)v->year);
    return b->len > len0;
}

static int term_hit(out *o, const search_hit *h)
{
    const store_entry *e = h->e;
    fz_buf *b = &o->line;
    b->len = 0;
    snip_range hl[MAXHL];
    int nhl;
    fz_buf_printf(b, "%3u. ", h->rank);
    if (o->color)
        fz_buf_puts(b, C_TITLE);
    if (e->kind == 1)
        fz_buf_puts(b, "[资料] ");
    if (e->title_len) {
        title_ranges(h, hl, &nhl);
        put_marked(o, b, e->title, e->title_len, hl, nhl);
    } else {
        fz_buf_printf(b, "(%s)", kind_name(e->kind));
    }
    if (o->color)
        fz_buf_puts(b, C_OFF);
    fz_buf_puts(b, "\n     ");
    if (o->color)
        fz_buf_puts(b, C_DIM);
    int vol = put_volume(b, &h->volume);
    if (vol && (e->nsection || e->nauthors))
        fz_buf_puts(b, " · ");
    for (size_t i = 0; i < e->nsection; i++) {
        if (i)
            fz_buf_puts(b, " › ");
        esc_text_append(b, e->section[i], e->section_len[i], 0);
    }
    if (e->nauthors) {
        fz_buf_puts(b, e->nsection ? " · " : "");
        for (size_t i = 0; i < e->nauthors; i++) {
            if (i)
                fz_buf_puts(b, "、");
            esc_text_append(b, e->authors[i], e->author_len[i], 0);
        }
    }
    if (o->color)
        fz_buf_puts(b, C_OFF);
    fz_buf_puts(b, vol || e->nsection || e->nauthors ? " · " : "");
    if (o->color)
        fz_buf_puts(b, C_PATH);
    out_path_put(b, h->file, h->file_len);
    fz_buf_printf(b, ":%u", e->line);
    if (o->color)
        fz_buf_puts(b, C_OFF);
    fz_buf_putc(b, '\n');
    if (o->snippets && e->body_len) {
        int n = snip_make(e->body, e->body_len, h->spans, h->nspans, 1, o->width, &o->snip, hl, MAXHL);
        if (n < 0)
            return n;
        fz_buf_puts(b, "     ");
        put_marked(o, b, o->snip.p, o->snip.len, hl, n);
        fz_buf_putc(b, '\n');
    }
    fz_buf_putc(b, '\n');
    return fwrite(b->p, 1, b->len, o->f) == b->len ? 0 : FZ_EIO;
}

/* "volume", "place" and "year" members, after a comma. */
static void json_volume(fz_buf *b, const store_volume *v)
{
    fz_buf_puts(b, ",\"volume\":");
    out_json_str(b, v->title, v->title_len);
    fz_buf_puts(b, ",\"place\":");
    if (v->place_len)
        out_json_str(b, v->place, v->place_len);
    else
        fz_buf_puts(b, "null");
    if (v->has_year)
        fz_buf_printf(b, ",\"year\":%d", (int)v->year);
    else
        fz_buf_puts(b, ",\"year\":null");
}

static void json_strs(fz_buf *b, const char *const *s, const size_t *len, size_t n)
{
    fz_buf_putc(b, '[');
    for (size_t i = 0; i < n; i++) {
        if (i)
            fz_buf_putc(b, ',');
        out_json_str(b, s[i], len[i]);
    }
    fz_buf_putc(b, ']');
}

/* The snippet of a hit and its highlights; when the body has no match but
 * the title has, the snippet is the body's beginning. */
static int hit_snippet(out *o, const search_hit *h, snip_range *hl)
{
    if (!o->snippets) {
        o->snip.len = 0;
        return 0;
    }
    const store_entry *e = h->e;
    return snip_make(e->body, e->body_len, h->spans, h->nspans, 1, o->width, &o->snip, hl, MAXHL);
}

/* [s,e] of a highlight, after a comma when comma is set */
static void json_range(fz_buf *b, int comma, size_t s, size_t e)
{
    fz_buf_puts(b, comma ? ",[" : "[");
    fz_buf_uint(b, s);
    fz_buf_putc(b, ',');
    fz_buf_uint(b, e);
    fz_buf_putc(b, ']');
}

static int json_hit(out *o, const search_hit *h, uint32_t query_no)
{
    const store_entry *e = h->e;
    fz_buf *b = &o->line;
    b->len = 0;
    snip_range hl[MAXHL];
    int nhl = hit_snippet(o, h, hl);
    if (nhl < 0)
        return nhl;
    fz_buf_putc(b, '{');
    if (query_no) {
        fz_buf_puts(b, "\"query\":");
        fz_buf_uint(b, query_no);
        fz_buf_putc(b, ',');
    }
    fz_buf_puts(b, "\"rank\":");
    fz_buf_uint(b, h->rank);
    fz_buf_puts(b, ",\"score\":");
    fz_buf_fixed4(b, h->score);
    fz_buf_puts(b, ",\"id\":");
    fz_buf_uint(b, e->id);
    fz_buf_puts(b, ",\"file\":");
    out_json_str(b, h->file, h->file_len);
    json_volume(b, &h->volume);
    fz_buf_puts(b, ",\"line\":");
    fz_buf_uint(b, e->line);
    fz_buf_puts(b, ",\"section\":");
    json_strs(b, e->section, e->section_len, e->nsection);
    fz_buf_puts(b, ",\"title\":");
    out_json_str(b, e->title, e->title_len);
    fz_buf_puts(b, ",\"authors\":");
    json_strs(b, e->authors, e->author_len, e->nauthors);
    fz_buf_puts(b, ",\"kind\":\"");
    fz_buf_puts(b, kind_name(e->kind));
    fz_buf_puts(b, "\",\"snippet\":");
    out_json_str(b, o->snip.p ? o->snip.p : "", o->snip.len);
    fz_buf_puts(b, ",\"highlights\":[");
    for (int i = 0; i < nhl; i++) {
        size_t s = snip_cplen(o->snip.p, hl[i].start);
        size_t n = snip_cplen(o->snip.p + hl[i].start, hl[i].end - hl[i].start);
        json_range(b, i > 0, s, s + n);
    }
    fz_buf_puts(b, "],\"title_highlights\":[");
    int first = 1;
    for (size_t i = 0; i < h->nspans; i++) {
        if (h->spans[i].field != 0)
            continue;
        size_t s = snip_cplen(e->title, h->spans[i].start);
        size_t n = snip_cplen(e->title + h->spans[i].start, h->spans[i].end - h->spans[i].start);
        json_range(b, !first, s, s + n);
        first = 0;
    }
    fz_buf_puts(b, "],\"matches\":");
    fz_buf_uint(b, h->occurrences);
    fz_buf_puts(b, "}\n");
    return fwrite(b->p, 1, b->len, o->f) == b->len ? 0 : FZ_EIO;
}

int out_sv_field(fz_buf *b, out_format fmt, const char *s, size_t n, int last)
{
    int rc = 0;
    if (fmt == OUT_CSV) {
        int quote = 0;
        for (size_t i = 0; i < n && !quote; i++)
            quote = s[i] == '"' || s[i] == ',' || s[i] == '\n' || s[i] == '\r';
        if (quote) {
            rc = fz_buf_putc(b, '"');
            for (size_t i = 0; i < n && !rc; i++) {
                if (s[i] == '"')
                    rc = fz_buf_putc(b, '"');
                if (!rc)
                    rc = fz_buf_putc(b, s[i]);
            }
            if (!rc)
                rc = fz_buf_putc(b, '"');
        } else {
            rc = fz_buf_append(b, s, n);
        }
        return rc ? rc : fz_buf_puts(b, last ? "\r\n" : ",");
    }
    for (size_t i = 0; i < n && !rc; i++)
        rc = fz_buf_putc(b, s[i] == '\t' || s[i] == '\n' || s[i] == '\r' ? ' ' : s[i]);
    return rc ? rc : fz_buf_puts(b, last ? "\n" : "\t");
}

size_t out_text_width(const char *s, size_t n)
{
    size_t w = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        int k = fz_utf8_decode((const unsigned char *)s + i, n - i, &cp);
        if (k < 0) {
            w++;
            i++;
            continue;
        }
        w += (size_t)fz_cp_width(cp);
        i += (size_t)k;
    }
    return w;
}

/* One CSV or TSV field of this output. */
static void sv_field(out *o, fz_buf *b, const char *s, size_t n, int last)
{
    out_sv_field(b, o->fmt, s, n, last);
}

int out_header(out *o, int query_col)
{
    if (o->fmt != OUT_CSV && o->fmt != OUT_TSV)
        return 0;
    static const char *const cols[] = {"query", "id",      "file",    "line",   "section", "title", "authors",
                                       "kind",  "score",   "matches", "snippet", "volume",  "place", "year"};
    fz_buf *b = &o->line;
    b->len = 0;
    size_t nc = sizeof cols / sizeof *cols;
    for (size_t i = query_col ? 0 : 1; i < nc; i++)
        sv_field(o, b, cols[i], strlen(cols[i]), i == nc - 1);
    return fwrite(b->p, 1, b->len, o->f) == b->len ? 0 : FZ_EIO;
}

static int sv_hit(out *o, const search_hit *h, uint32_t query_no)
{
    const store_entry *e = h->e;
    fz_buf *b = &o->line, *t = &o->tmp;
    b->len = 0;
    snip_range hl[MAXHL];
    if (hit_snippet(o, h, hl) < 0)
        return FZ_ENOMEM;
    char num[64];
    if (query_no) {
        snprintf(num, sizeof num, "%u", query_no);
        sv_field(o, b, num, strlen(num), 0);
    }
    snprintf(num, sizeof num, "%u", e->id);
    sv_field(o, b, num, strlen(num), 0);
    sv_field(o, b, h->file, h->file_len, 0);
    snprintf(num, sizeof num, "%u", e->line);
    sv_field(o, b, num, strlen(num), 0);
    t->len = 0;
    for (size_t i = 0; i < e->nsection; i++) {
        if (i)
            fz_buf_puts(t, " › ");
        fz_buf_append(t, e->section[i], e->section_len[i]);
    }
    sv_field(o, b, t->p ? t->p : "", t->len, 0);
    sv_field(o, b, e->title, e->title_len, 0);
    t->len = 0;
    for (size_t i = 0; i < e->nauthors; i++) {
        if (i)
            fz_buf_puts(t, "; ");
        fz_buf_append(t, e->authors[i], e->author_len[i]);
    }
    sv_field(o, b, t->p ? t->p : "", t->len, 0);
    const char *k = kind_name(e->kind);
    sv_field(o, b, k, strlen(k), 0);
    snprintf(num, sizeof num, "%.4f", h->score);
    sv_field(o, b, num, strlen(num), 0);
    snprintf(num, sizeof num, "%u", h->occurrences);
    sv_field(o, b, num, strlen(num), 0);
    sv_field(o, b, o->snip.p ? o->snip.p : "", o->snip.len, 0);
    sv_field(o, b, h->volume.title, h->volume.title_len, 0);
    sv_field(o, b, h->volume.place, h->volume.place_len, 0);
    if (h->volume.has_year)
        snprintf(num, sizeof num, "%d", (int)h->volume.year);
    else
        num[0] = 0;
    sv_field(o, b, num, strlen(num), 1);
    return fwrite(b->p, 1, b->len, o->f) == b->len ? 0 : FZ_EIO;
}

int out_hit(out *o, const search_hit *h, uint32_t query_no)
{
    switch (o->fmt) {
    case OUT_TERM: return term_hit(o, h);
    case OUT_JSON: return json_hit(o, h, query_no);
    default: return sv_hit(o, h, query_no);
    }
}

int out_entry(out *o, const search_hit *h)
{
    const store_entry *e = h->e;
    if (o->fmt == OUT_JSON) {
        fz_buf *b = &o->line;
        b->len = 0;
        fz_buf_printf(b, "{\"id\":%u,\"file\":", e->id);
        out_json_str(b, h->file, h->file_len);
        json_volume(b, &h->volume);
        fz_buf_printf(b, ",\"line\":%u,\"section\":", e->line);
        json_strs(b, e->section, e->section_len, e->nsection);
        fz_buf_puts(b, ",\"title\":");
        out_json_str(b, e->title, e->title_len);
        fz_buf_puts(b, ",\"authors\":");
        json_strs(b, e->authors, e->author_len, e->nauthors);
        fz_buf_printf(b, ",\"kind\":\"%s\",\"text\":", kind_name(e->kind));
        out_json_str(b, e->body, e->body_len);
        fz_buf_puts(b, "}\n");
        return fwrite(b->p, 1, b->len, o->f) == b->len ? 0 : FZ_EIO;
    }
    fz_buf *b = &o->line;
    b->len = 0;
    fz_buf_puts(b, o->color ? C_TITLE : "");
    esc_text_append(b, e->title, e->title_len, 0);
    fz_buf_printf(b, "%s\n", o->color ? C_OFF : "");
    if (put_volume(b, &h->volume))
        fz_buf_putc(b, '\n');
    for (size_t i = 0; i < e->nsection; i++) {
        fz_buf_puts(b, i ? " › " : "");
        esc_text_append(b, e->section[i], e->section_len[i], 0);
    }
    fz_buf_puts(b, e->nsection ? "\n" : "");
    if (e->nauthors) {
        fz_buf_putc(b, '(');
        for (size_t i = 0; i < e->nauthors; i++) {
            fz_buf_puts(b, i ? " " : "");
            esc_text_append(b, e->authors[i], e->author_len[i], 0);
        }
        fz_buf_puts(b, ")\n");
    }
    out_path_put(b, h->file, h->file_len);
    fz_buf_printf(b, ":%u · %s · id %u\n\n", e->line, kind_name(e->kind), e->id);
    esc_text_append(b, e->body, e->body_len, ESC_KEEP_LINES);
    if (fz_buf_putc(b, '\n'))
        return FZ_ENOMEM;
    return fwrite(b->p, 1, b->len, o->f) == b->len ? 0 : FZ_EIO;
}
