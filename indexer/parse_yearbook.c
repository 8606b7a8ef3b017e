/*
 * parse_yearbook.c -- the yearbook reader (see parse.h for its rules):
 * 【】 entries, (author) lines, sidebars, photo captions, 编/章/节 and
 * plain headings.
 *
 * One forward pass over the lines.  Each line gets a class (blank, heading,
 * entry opener, attribution, sidebar opener, text); a short line that may be
 * a plain heading is decided by looking ahead along its chain of further
 * heading-like lines, and the answer is remembered for the whole chain so
 * that every line is looked at a bounded number of times.  Text lines are
 * taken a piece at a time (a run of non-blank text lines), which is what a
 * photo caption is.  Records wait in the builder's pending list
 * (parse_build.c) until the attribution that credits them, the next
 * heading or the end of the text.
 */
#include "parse_int.h"

enum { B_BLANK, B_NUMHEAD, B_ENTRY, B_ATTR, B_SIDEBAR, B_CAND, B_TEXT };

/* The class of a line without looking at other lines; B_CAND is a line that
 * is a plain heading if its chain says so.  A page number is B_BLANK (a
 * page break). */
static int base_class(const parse_ctx *p, const line *ln, int *level)
{
    const unsigned char *t = p->t;
    size_t s = ln->ts, e = ln->te;
    if (s == e || parse_page_number(t, s, e))
        return B_BLANK;
    if (starts_with(t, s, e, "【"))
        return B_ENTRY;
    int lv = parse_numbered_level(t, s, e);
    if (lv && parse_heading_like(t, s, e)) {
        *level = lv;
        return B_NUMHEAD;
    }
    if (parse_is_attribution(t, s, e, NULL, NULL))
        return B_ATTR;
    if (parse_sidebar_title(t, s, e, NULL, NULL))
        return B_SIDEBAR;
    if (parse_heading_like(t, s, e) && !parse_credit_at_end(t, s, e, NULL, NULL, NULL))
        return B_CAND;
    return B_TEXT;
}

/*
 * Whether the heading-like line ln is a plain heading: its next non-blank
 * line is an entry, a sidebar, a numbered heading or another plain heading,
 * possibly after one English title line.  Following the chain of
 * heading-like lines to its end decides every line of the chain at once, so
 * the answer is remembered for [ln, end of chain).
 */
static bool resolve_heading(parse_ctx *p, const line *ln)
{
    if (ln->s >= p->memo_lo && ln->s < p->memo_hi)
        return p->memo_res;
    size_t pos = ln->next, hi = p->n;
    uint32_t no = ln->no + 1;
    bool res = false, after_cand = true;
    line nx;
    while (line_at(p, pos, no, &nx)) {
        int lv;
        int b = base_class(p, &nx, &lv);
        pos = nx.next;
        no = nx.no + 1;
        if (b == B_BLANK)
            continue;
        if (b == B_ENTRY || b == B_SIDEBAR || b == B_NUMHEAD) {
            res = true;
            hi = nx.s;
            break;
        }
        if (b == B_CAND) {
            after_cand = true;
            continue;
        }
        if (after_cand && parse_is_english(p->t, nx.ts, nx.te)) {
            after_cand = false;
            continue;
        }
        hi = nx.s;
        break;
    }
    p->memo_lo = ln->s;
    p->memo_hi = hi;
    p->memo_res = res;
    return res;
}

enum { C_BLANK, C_HEAD, C_ENTRY, C_ATTR, C_SIDEBAR, C_TEXT };

static int classify(parse_ctx *p, const line *ln, int *level)
{
    switch (base_class(p, ln, level)) {
    case B_BLANK: return C_BLANK;
    case B_NUMHEAD: return C_HEAD;
    case B_ENTRY: return C_ENTRY;
    case B_ATTR: return C_ATTR;
    case B_SIDEBAR: return C_SIDEBAR;
    case B_CAND:
        *level = PLAIN_LEVEL;
        return resolve_heading(p, ln) ? C_HEAD : C_TEXT;
    default: return C_TEXT;
    }
}

/* An entry opener: 【title】 body; without 】 the title is the first
 * TITLE_MAX characters and the rest of the line starts the body. */
static int open_entry(parse_ctx *p, const line *ln)
{
    const unsigned char *t = p->t;
    size_t a = ln->ts + strlen("【"), e = ln->te;
    size_t close = e;
    for (size_t i = a; i + 3 <= e; i++) {
        const unsigned char *q = memchr(t + i, 0xE3, e - i);
        if (!q)
            break;
        i = (size_t)(q - t);
        if (i + 3 <= e && q[1] == 0x80 && q[2] == 0x91) { /* 】 */
            close = i;
            break;
        }
    }
    size_t ts = skip_spaces(t, a, close), te, bs;
    if (close < e) {
        te = trim_end(t, ts, close);
        bs = skip_spaces(t, close + 3, e);
    } else {
        size_t i = ts;
        for (int k = 0; i < e && k < TITLE_MAX; k++) {
            int l;
            cp_at(t, i, e, &l);
            i += (size_t)l;
        }
        te = trim_end(t, ts, i);
        bs = skip_spaces(t, i, e);
    }
    if (parse_rec_open(p, FZ_KIND_ENTRY, ln->no, t, ts, te, false))
        return FZ_ENOMEM;
    return fz_buf_append(&p->store, t + bs, e - bs);
}

/* A caption: the piece first..last whose last line ends in the credit at
 * open (names [ns, ne)). */
static int add_caption(parse_ctx *p, const line *first, const line *last, size_t open, size_t ns,
                       size_t ne)
{
    rec *r;
    if (parse_rec_new(p, &r))
        return FZ_ENOMEM;
    r->kind = FZ_KIND_CAPTION;
    r->line = first->no;
    r->body.off = p->caps.len;
    line ln = *first;
    for (;;) {
        bool is_last = ln.s == last->s;
        size_t e = is_last ? trim_end(p->t, ln.ts, open) : ln.te;
        if (parse_join_append(&p->caps, r->body.off, p->t, ln.ts, e))
            return FZ_ENOMEM;
        if (is_last || !line_at(p, ln.next, ln.no + 1, &ln))
            break;
    }
    r->body.len = p->caps.len - r->body.off;
    if (fz_buf_putc(&p->caps, 0))
        return FZ_ENOMEM;

    span nm[NAME_CHARS];
    int k = parse_names_split(p->t, ns, ne, &p->caps, nm);
    if (k < 0)
        return k;
    if (parse_cnames_reserve(p, (size_t)k))
        return FZ_ENOMEM;
    r->name0 = p->ncnames;
    r->nname = (size_t)k;
    memcpy(p->cnames + p->ncnames, nm, (size_t)k * sizeof nm[0]);
    p->ncnames += (size_t)k;
    return FZ_OK;
}

/*
 * A piece of text lines starting at first: a caption if its last line ends
 * in a credit (and it does not continue an entry's opening line), else more
 * body for the open record, or a new record titled by the innermost
 * heading.  Stores where the piece ends.
 */
static int text_piece(parse_ctx *p, const line *first, bool glued, size_t *pos, uint32_t *no)
{
    line last = *first, nx;
    size_t q = first->next;
    uint32_t qn = first->no + 1;
    while (line_at(p, q, qn, &nx)) {
        int lv;
        if (classify(p, &nx, &lv) != C_TEXT)
            break;
        last = nx;
        q = nx.next;
        qn = nx.no + 1;
    }
    *pos = last.next;
    *no = last.no + 1;

    size_t open, ns, ne;
    if (!glued && parse_credit_at_end(p->t, last.ts, last.te, &open, &ns, &ne) &&
        (first->s != last.s || trim_end(p->t, last.ts, open) > last.ts))
        return add_caption(p, first, &last, open, ns, ne);

    if (!p->open) {
        const unsigned char *h = (const unsigned char *)(p->heads.p ? p->heads.p : "");
        size_t hs = 0, he = 0;
        if (p->depth) {
            hs = p->stack[p->depth - 1].off;
            he = hs + strlen(p->heads.p + hs);
        }
        if (parse_rec_open(p, FZ_KIND_ENTRY, first->no, h, hs, he, false))
            return FZ_ENOMEM;
    }
    size_t start = p->recs[p->cur].body.off;
    line ln = *first;
    for (;;) {
        if (parse_join_append(&p->store, start, p->t, ln.ts, ln.te))
            return FZ_ENOMEM;
        if (ln.s == last.s || !line_at(p, ln.next, ln.no + 1, &ln))
            break;
    }
    return FZ_OK;
}


/* Reads the text from pos (line no) to its end. */
int parse_yearbook_read(parse_ctx *p, size_t pos, uint32_t no, parse_emit_fn emit, void *ectx)
{
    const unsigned char *t = p->t;
    bool glued = false; /* the previous line opened an entry or a sidebar */
    int rc = 0;
    line ln;
    while (line_at(p, pos, no, &ln)) {
        int level = 0;
        int c = classify(p, &ln, &level);
        pos = ln.next;
        no = ln.no + 1;
        switch (c) {
        case C_BLANK:
            break;
        case C_HEAD: {
            if ((rc = parse_rec_close(p)) || (rc = parse_flush(p, emit, ectx, false)))
                return rc;
            /* an English title line after a heading is dropped; it makes a
             * plain heading a chapter */
            line nx;
            size_t q = pos;
            uint32_t qn = no;
            bool have;
            while ((have = line_at(p, q, qn, &nx)) && nx.ts == nx.te) {
                q = nx.next;
                qn = nx.no + 1;
            }
            if (have && parse_is_english(t, nx.ts, nx.te)) {
                pos = nx.next;
                no = nx.no + 1;
                if (level == PLAIN_LEVEL)
                    level = CHAPTER_LEVEL;
            }
            if ((rc = parse_heading_push(p, level, ln.ts, ln.te)))
                return rc;
            break;
        }
        case C_ENTRY:
            if ((rc = parse_rec_close(p)) || (rc = open_entry(p, &ln)))
                return rc;
            break;
        case C_SIDEBAR: {
            size_t ts = 0, te = 0;
            parse_sidebar_title(t, ln.ts, ln.te, &ts, &te);
            if ((rc = parse_rec_close(p)) || (rc = parse_rec_open(p, FZ_KIND_SIDEBAR, ln.no, t, ts, te, true)))
                return rc;
            break;
        }
        case C_ATTR: {
            size_t ns = 0, ne = 0;
            parse_is_attribution(t, ln.ts, ln.te, &ns, &ne);
            if ((rc = parse_rec_close(p)))
                return rc;
            p->names.len = 0;
            int k = parse_names_split(t, ns, ne, &p->names, p->attn);
            if (k < 0)
                return k;
            p->nattn = (size_t)k;
            if ((rc = parse_flush(p, emit, ectx, true)))
                return rc;
            break;
        }
        default:
            if ((rc = text_piece(p, &ln, glued, &pos, &no)))
                return rc;
            break;
        }
        glued = c == C_ENTRY || c == C_SIDEBAR;
    }
    if ((rc = parse_rec_close(p)))
        return rc;
    return parse_flush(p, emit, ectx, false);
}

