/*
 * parse_build.c -- the record builder the readers share (see parse_int.h):
 * the section stack, the pending records and the attribution that credits
 * them, and the joining rules of parse.h.  Pending records' text lives in
 * two buffers: `store` for entries and sidebars (the open record's body is
 * always at its end, so it grows in place) and `caps` for captions (which
 * arrive while an entry is still open).
 */
#include "parse_int.h"

/* ---- building records ------------------------------------------------------------ */

/* Appends [s, e) of a heading to b without its typesetting spaces; a run
 * of spaces between two Latin letters or digits becomes one space. */
int parse_put_squeezed(fz_buf *b, const unsigned char *t, size_t s, size_t e)
{
    uint32_t prev = 0;
    bool gap = false;
    for (size_t i = s; i < e;) {
        int l;
        uint32_t c = cp_at(t, i, e, &l);
        if (is_space_cp(c)) {
            gap = true;
        } else {
            if (gap && is_alnum(prev) && is_alnum(c) && fz_buf_putc(b, ' '))
                return FZ_ENOMEM;
            gap = false;
            if (fz_buf_append(b, t + i, (size_t)l))
                return FZ_ENOMEM;
            prev = c;
        }
        i += (size_t)l;
    }
    return FZ_OK;
}

/*
 * Appends the trimmed line or piece [s, e) to the text that started at
 * b->p[start]: with one space between two ASCII letters/digits, with "\n"
 * after a sentence's end (。！？, or a closing quote after one) when the
 * new text does not continue it, and with nothing otherwise (a page break
 * inside a word or a sentence).
 */
int parse_join_append(fz_buf *b, size_t start, const unsigned char *t, size_t s, size_t e)
{
    if (s >= e)
        return FZ_OK;
    if (b->len > start) {
        const unsigned char *q = (const unsigned char *)b->p;
        size_t ps;
        uint32_t last = cp_before(q, start, b->len, &ps);
        int l;
        uint32_t first = cp_at(t, s, e, &l);
        bool final = is_final(last);
        if (!final && is_close_quote(last) && ps > start) {
            size_t ps2;
            final = is_final(cp_before(q, start, ps, &ps2));
        }
        int sep = 0;
        if (is_alnum(last) && is_alnum(first))
            sep = ' ';
        else if (final && !is_trailing_punct(first))
            sep = '\n';
        if (sep && fz_buf_putc(b, sep))
            return FZ_ENOMEM;
    }
    return fz_buf_append(b, t + s, e - s);
}

int parse_rec_new(parse_ctx *p, rec **r)
{
    if (p->nrec == p->caprec) {
        size_t cap = p->caprec ? p->caprec * 2 : 64;
        rec *nr = realloc(p->recs, cap * sizeof *nr);
        if (!nr)
            return FZ_ENOMEM;
        p->recs = nr;
        p->caprec = cap;
    }
    *r = &p->recs[p->nrec++];
    memset(*r, 0, sizeof **r);
    return FZ_OK;
}

/* Opens an entry or sidebar titled by title() of [s, e); its body follows
 * in store.  squeeze: remove typesetting spaces from the title. */
int parse_rec_open(parse_ctx *p, fz_kind kind, uint32_t no, const unsigned char *tt, size_t s,
                    size_t e, bool squeeze)
{
    rec *r;
    if (parse_rec_new(p, &r))
        return FZ_ENOMEM;
    r->kind = kind;
    r->line = no;
    r->title.off = p->store.len;
    if (squeeze ? parse_put_squeezed(&p->store, tt, s, e) : fz_buf_append(&p->store, tt + s, e - s))
        return FZ_ENOMEM;
    r->title.len = p->store.len - r->title.off;
    if (fz_buf_putc(&p->store, 0))
        return FZ_ENOMEM;
    r->body.off = p->store.len;
    p->cur = p->nrec - 1;
    p->open = true;
    return FZ_OK;
}

int parse_rec_close(parse_ctx *p)
{
    if (!p->open)
        return FZ_OK;
    rec *r = &p->recs[p->cur];
    r->body.len = p->store.len - r->body.off;
    p->open = false;
    return fz_buf_putc(&p->store, 0);
}

/* Emits the pending records in file order: captions with their credit,
 * the others with the current attribution (with_attr) or none. */
int parse_flush(parse_ctx *p, parse_emit_fn emit, void *ectx, bool with_attr)
{
    const char **sec = p->ptrs, **auth = p->ptrs + p->depth + 1;
    for (size_t i = 0; i < p->depth; i++)
        sec[i] = p->heads.p + p->stack[i].off;
    sec[p->depth] = NULL;
    for (size_t i = 0; i < p->nrec; i++) {
        const rec *r = &p->recs[i];
        parse_entry e;
        memset(&e, 0, sizeof e);
        e.line = r->line;
        e.kind = r->kind;
        e.section = sec;
        e.nsection = p->depth;
        if (r->kind == FZ_KIND_CAPTION) {
            e.title = "";
            e.title_len = 0;
            e.body = p->caps.p + r->body.off;
            for (size_t k = 0; k < r->nname; k++)
                auth[k] = p->caps.p + p->cnames[r->name0 + k].off;
            e.nauthors = r->nname;
        } else {
            e.title = p->store.p + r->title.off;
            e.title_len = r->title.len;
            e.body = p->store.p + r->body.off;
            if (r->nname) { /* its own credit: a signature, 某某曰 */
                for (size_t k = 0; k < r->nname; k++)
                    auth[k] = p->caps.p + p->cnames[r->name0 + k].off;
                e.nauthors = r->nname;
            } else if (with_attr) {
                for (size_t k = 0; k < p->nattn; k++)
                    auth[k] = p->names.p + p->attn[k].off;
                e.nauthors = p->nattn;
            }
        }
        e.body_len = r->body.len;
        auth[e.nauthors] = NULL;
        e.authors = auth;
        int rc = emit(ectx, &e);
        if (rc)
            return rc;
    }
    p->nrec = 0;
    p->store.len = 0;
    p->caps.len = 0;
    p->ncnames = 0;
    return FZ_OK;
}

/* Closes the headings of level >= level and opens [s, e) at level. */
int parse_heading_push(parse_ctx *p, int level, size_t s, size_t e)
{
    while (p->depth > 0 && p->stack[p->depth - 1].level >= level)
        p->heads.len = p->stack[--p->depth].off;
    size_t off = p->heads.len;
    if (parse_put_squeezed(&p->heads, p->t, s, e) || fz_buf_putc(&p->heads, 0))
        return FZ_ENOMEM;
    p->stack[p->depth].level = level;
    p->stack[p->depth].off = off;
    p->depth++;
    return FZ_OK;
}


int parse_cnames_reserve(parse_ctx *p, size_t k)
{
    return fz_grow(&p->cnames, &p->cncap, p->ncnames + k, sizeof *p->cnames, 64);
}

int parse_rec_credit(parse_ctx *p, size_t i, const unsigned char *t, size_t s, size_t e)
{
    if (parse_cnames_reserve(p, 1))
        return FZ_ENOMEM;
    span *nm = &p->cnames[p->ncnames];
    nm->off = p->caps.len;
    if (parse_put_squeezed(&p->caps, t, s, e))
        return FZ_ENOMEM;
    nm->len = p->caps.len - nm->off;
    if (fz_buf_putc(&p->caps, 0))
        return FZ_ENOMEM;
    p->recs[i].name0 = p->ncnames++;
    p->recs[i].nname = 1;
    return FZ_OK;
}
