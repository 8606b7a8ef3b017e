/*
 * outline.c -- fzindex --outline (see outline.h).  The tree is built as
 * the records arrive: a record's section path reuses the nodes of the
 * previous record's path as far as they agree and opens new nodes below,
 * so a heading that comes back later in the file is a node of its own
 * where it stands.
 */
#include "outline.h"

#include "esc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    size_t name;   /* offset of the heading's text in names */
    size_t path;   /* offset of the whole path (headings joined by 0x1F) */
    int depth;     /* 0 for a top heading */
    size_t total;  /* entries under it, deeper ones included */
    size_t direct; /* entries right under it */
    size_t titles[OUTLINE_TITLES];
    int ntitles;
} node;

typedef struct {
    const char *shown; /* the path as printed */
    parse_ctx *p;
    int json;
    fz_buf *out;
    fz_buf names; /* node names, paths and titles, NUL-terminated */
    node *nodes;
    size_t nnodes, cap;
    size_t cur[8]; /* the previous record's nodes, by depth */
    size_t ncur;   /* how many of cur are valid */
    size_t entries, largest;
    uint32_t largest_line;
} ol;

static size_t chars(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xC0) != 0x80;
    return c;
}

static int put_str(ol *o, const char *s, size_t n, size_t *off)
{
    *off = o->names.len;
    if (fz_buf_append(&o->names, s, n) || fz_buf_putc(&o->names, 0))
        return FZ_ENOMEM;
    return FZ_OK;
}

/* The node of depth d named s under the nodes cur[0..d). */
static int node_at(ol *o, const parse_entry *e, size_t d, size_t *idx)
{
    const char *s = e->section[d];
    if (d < o->ncur && strcmp(o->names.p + o->nodes[o->cur[d]].name, s) == 0) {
        *idx = o->cur[d];
        return FZ_OK;
    }
    if (fz_grow(&o->nodes, &o->cap, o->nnodes + 1, sizeof *o->nodes, 64))
        return FZ_ENOMEM;
    node *n = &o->nodes[o->nnodes];
    memset(n, 0, sizeof *n);
    n->depth = (int)d;
    if (put_str(o, s, strlen(s), &n->name))
        return FZ_ENOMEM;
    fz_buf key = {0};
    for (size_t k = 0; k <= d; k++)
        if ((k && fz_buf_putc(&key, 0x1F)) || fz_buf_puts(&key, e->section[k])) {
            fz_buf_free(&key);
            return FZ_ENOMEM;
        }
    int rc = put_str(o, key.p ? key.p : "", key.len, &o->nodes[o->nnodes].path);
    fz_buf_free(&key);
    if (rc)
        return rc;
    *idx = o->nnodes++;
    o->ncur = d; /* deeper nodes of the previous path no longer apply */
    return FZ_OK;
}

static int json_entry(ol *o, const parse_entry *e)
{
    fz_buf *b = o->out;
    int rc = fz_buf_puts(b, "{\"file\":") || fz_buf_json(b, o->shown, strlen(o->shown)) ||
             fz_buf_puts(b, ",\"volume\":");
    const char *v = parse_volume(o->p);
    rc = rc || fz_buf_json(b, v, strlen(v)) ||
         fz_buf_printf(b, ",\"layout\":\"%s\",\"line\":%u,\"kind\":\"%s\",\"section\":[",
                       parse_layout_name(parse_layout_chosen(o->p)), e->line, fz_kind_name(e->kind));
    for (size_t i = 0; i < e->nsection && !rc; i++)
        rc = (i && fz_buf_putc(b, ',')) || fz_buf_json(b, e->section[i], strlen(e->section[i]));
    rc = rc || fz_buf_puts(b, "],\"title\":") || fz_buf_json(b, e->title, e->title_len) ||
         fz_buf_puts(b, ",\"authors\":[");
    for (size_t i = 0; i < e->nauthors && !rc; i++)
        rc = (i && fz_buf_putc(b, ',')) || fz_buf_json(b, e->authors[i], strlen(e->authors[i]));
    size_t n = 0;
    for (size_t c = 0; n < e->body_len; n++) {
        if (((unsigned char)e->body[n] & 0xC0) != 0x80 && c++ == OUTLINE_TEXT)
            break;
    }
    size_t from = e->body_len; /* the last OUTLINE_TEXT characters */
    for (size_t c = 0; from > 0 && c < OUTLINE_TEXT;)
        c += ((unsigned char)e->body[--from] & 0xC0) != 0x80;
    rc = rc || fz_buf_puts(b, "],\"text\":") || fz_buf_json(b, e->body, n) ||
         fz_buf_puts(b, ",\"end\":") || fz_buf_json(b, e->body + from, e->body_len - from) ||
         fz_buf_printf(b, ",\"chars\":%zu}\n", chars(e->body, e->body_len));
    return rc ? FZ_ENOMEM : FZ_OK;
}

static int on_record(void *ctx, const parse_entry *e)
{
    ol *o = ctx;
    o->entries++;
    size_t c = chars(e->body, e->body_len);
    if (c > o->largest || o->entries == 1) {
        o->largest = c;
        o->largest_line = e->line;
    }
    if (o->json)
        return json_entry(o, e);
    /* a record under no heading hangs from a node of depth 0 named "" */
    static const char *const none[] = {"", NULL};
    parse_entry top = *e;
    if (!e->nsection) {
        top.section = none;
        top.nsection = 1;
    }
    size_t n = top.nsection < 8 ? top.nsection : 8, idx = 0;
    for (size_t d = 0; d < n; d++) {
        int rc = node_at(o, &top, d, &idx);
        if (rc)
            return rc;
        o->cur[d] = idx;
        o->nodes[idx].total++;
    }
    o->ncur = n;
    node *x = &o->nodes[idx];
    x->direct++;
    if (e->title_len && x->ntitles < OUTLINE_TITLES && put_str(o, e->title, e->title_len, &x->titles[x->ntitles++]))
        return FZ_ENOMEM;
    return FZ_OK;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Distinct section paths that hold entries. */
static size_t sections(const ol *o)
{
    if (!o->nnodes)
        return 0;
    const char **v = malloc(o->nnodes * sizeof *v);
    if (!v)
        return 0;
    size_t k = 0;
    for (size_t i = 0; i < o->nnodes; i++)
        if (o->nodes[i].direct)
            v[k++] = o->names.p + o->nodes[i].path;
    qsort(v, k, sizeof *v, cmp_str);
    size_t u = 0;
    for (size_t i = 0; i < k; i++)
        u += i == 0 || strcmp(v[i], v[i - 1]) != 0;
    free(v);
    return u;
}

static int tree(ol *o)
{
    fz_buf *b = o->out;
    const char *v = parse_volume(o->p);
    if (!*v)
        v = "(none)";
    /* file names, headings and titles come from the files: escaped as all
     * plain output is (common/esc.h) */
    int rc = esc_text_append(b, o->shown, strlen(o->shown), 0) || fz_buf_puts(b, "\n  volume: ") ||
             esc_text_append(b, v, strlen(v), 0) ||
             fz_buf_printf(b, "\n  layout: %s (%s)\n", parse_layout_name(parse_layout_chosen(o->p)),
                           parse_layout_why(o->p));
    rc = rc || fz_buf_printf(b, "  %zu entr%s in %zu section%s", o->entries, o->entries == 1 ? "y" : "ies",
                             sections(o), sections(o) == 1 ? "" : "s");
    if (o->entries)
        rc = rc || fz_buf_printf(b, "; the largest has %zu characters (line %u)", o->largest, o->largest_line);
    rc = rc || fz_buf_putc(b, '\n');
    for (size_t i = 0; i < o->nnodes && !rc; i++) {
        const node *n = &o->nodes[i];
        const char *name = o->names.p + n->name;
        if (!*name)
            name = "(no heading)";
        rc = fz_buf_printf(b, "  %*s", 2 * n->depth, "") || esc_text_append(b, name, strlen(name), 0) ||
             fz_buf_printf(b, " · %zu entr%s", n->total, n->total == 1 ? "y" : "ies");
        for (int k = 0; k < n->ntitles && !rc; k++) {
            const char *ti = o->names.p + n->titles[k];
            rc = fz_buf_puts(b, k ? ", " : ": ") || esc_text_append(b, ti, strlen(ti), 0);
        }
        if (!rc && n->direct > (size_t)n->ntitles && n->ntitles)
            rc = fz_buf_puts(b, ", …");
        rc = rc || fz_buf_putc(b, '\n');
    }
    return rc ? FZ_ENOMEM : FZ_OK;
}

int outline_text(const char *path, const char *text, size_t len, parse_layout layout, int json, fz_buf *out)
{
    if (!out || !path)
        return FZ_EINVAL;
    ol o;
    memset(&o, 0, sizeof o);
    char shown[4096];
    o.shown = fz_display_path(path, strlen(path), shown, sizeof shown);
    o.json = json;
    o.out = out;
    o.p = parse_create();
    if (!o.p)
        return FZ_ENOMEM;
    int rc = parse_set_layout(o.p, layout);
    if (!rc)
        rc = parse_text(o.p, text, len, on_record, &o);
    if (!rc && !json)
        rc = tree(&o);
    parse_destroy(o.p);
    fz_buf_free(&o.names);
    free(o.nodes);
    return rc;
}
