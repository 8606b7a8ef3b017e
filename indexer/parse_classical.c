/*
 * parse_classical.c -- the classical reader and the paragraphs reader (see
 * parse.h for the rules and parse_int.h for the seams).  Both walk the
 * line facts of parse_lines.c once; the paragraphs reader is this one with
 * headings, 目录s, items and prefaces turned off.
 *
 * A 目录 is read where one stands (a 目录 line, or a run of at least
 * TOC_MIN short lines whose first comes again right after it): it becomes one record of kind
 * toc, and its headings, with their nesting (indentation when the lines
 * are indented differently, else the levels of their words), are looked
 * for in the body.  Records are emitted as soon as they close: the
 * builder's pending list holds at most one of them.
 */
#include "parse_int.h"

enum {
    PLAIN_MAX = 16,  /* characters of an unmarked heading */
    TOC_MIN = 4,     /* lines of a 目录 without a title line */
    TOC_WIDTH = 24,  /* characters of a 目录 line */
    AUTHOR_MAX = 8,  /* characters of a preface's author line */
    LIST_NAME = 6,   /* characters of a line in a list that is its item's title */
    TOC_MAX = 4096,  /* headings learned from the 目录s of one file */
    TOC_HASH = 8192, /* slots of their hash table (twice TOC_MAX) */
    NO_LINE = (size_t)-1
};

enum { M_PARA, M_PREFACE, M_NOTE };

typedef struct {
    parse_ctx *p;
    parse_emit_fn emit;
    void *ectx;
    bool headings;
    int mode;
    bool author_slot;  /* a preface's author line may come next */
    int preface_level; /* the level of the open preface heading, 0 none */
    size_t pending;    /* the preface heading whose record has not opened */
    bool last_final;   /* the last text line ended a sentence */
    uint16_t last_width;
    bool started;      /* a heading or a record has been seen */
    uint8_t base_indent;
} rd;

/* The fact index of the next line after i that is not blank or a folio. */
static size_t next_line(const parse_ctx *p, size_t i)
{
    for (size_t j = i + 1; j < p->nfacts; j++)
        if (!p->facts[j].blank && !p->facts[j].folio && !p->facts[j].furniture)
            return j;
    return NO_LINE;
}

static size_t prev_line(const parse_ctx *p, size_t i)
{
    while (i-- > 0)
        if (!p->facts[i].blank && !p->facts[i].furniture)
            return i;
    return NO_LINE;
}

/* Puts the squeezed bare text of fact f (marker, spaces, trailing numerals
 * and bracketed notes removed) into p->scratch. */
static int bare_text(parse_ctx *p, const parse_fact *f)
{
    p->scratch.len = 0;
    size_t e = parse_bare_end(p->t, f->hs, f->ln.te);
    if (parse_put_squeezed(&p->scratch, p->t, f->hs, e) || fz_buf_putc(&p->scratch, 0))
        return FZ_ENOMEM;
    p->scratch.len--;
    return FZ_OK;
}

/* FNV-1a of a NUL-terminated string. */
static uint32_t hash_str(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* The slot of text in the 目录's hash table: where it is, or the empty
 * slot where it would go.  The table holds index + 1 of p->toc, 0 empty. */
static size_t toc_slot(const parse_ctx *p, const char *text)
{
    size_t m = TOC_HASH - 1, i = hash_str(text) & m;
    while (p->tochash[i] && strcmp(p->tocs.p + p->toc[p->tochash[i] - 1].off, text) != 0)
        i = (i + 1) & m;
    return i;
}

/* The level the 目录 gives the text in p->scratch, 0 when it lists none. */
static int toc_level(const parse_ctx *p)
{
    if (!p->ntoc || !p->tochash)
        return 0;
    uint32_t k = p->tochash[toc_slot(p, p->scratch.p ? p->scratch.p : "")];
    return k ? p->toc[k - 1].level : 0;
}

static bool short_head(const parse_fact *f) { return f->head && f->width <= PLAIN_MAX; }

/* A line that a marker, the 目录 or its words make a heading, and its
 * level (in that order of precedence). */
static int strong_level(parse_ctx *p, const parse_fact *f, int *rc)
{
    if (!f->head)
        return 0;
    if (f->marker)
        return f->level == 1 ? 1 : f->marker;
    if (p->ntoc && f->width <= TOC_WIDTH) { /* the 目录's nesting before the words' */
        if ((*rc = bare_text(p, f)))
            return 0;
        int l = toc_level(p);
        if (l)
            return l;
    }
    return f->level;
}

/* A running head: heading text beside a folio, with a middle dot inside
 * (某某市志·人口), repeating an open heading or the book's title, or coming
 * while a wrapped sentence is still open (midsentence: the page breaks
 * inside a paragraph, so no heading can stand there). */
static bool running_head(parse_ctx *p, size_t i, bool midsentence, int *rc)
{
    const parse_fact *f = &p->facts[i];
    if (!f->head || f->marker)
        return false;
    bool beside = false;
    for (size_t j = i; j-- > 0;) {
        if (p->facts[j].blank)
            continue;
        beside = p->facts[j].folio;
        break;
    }
    for (size_t j = i + 1; !beside && j < p->nfacts; j++) {
        if (p->facts[j].blank)
            continue;
        beside = p->facts[j].folio;
        break;
    }
    if (!beside)
        return false;
    if (midsentence)
        return true;
    const unsigned char *t = p->t;
    for (size_t k = f->hs; k + 2 <= f->ln.te; k++)
        if ((t[k] == 0xC2 && t[k + 1] == 0xB7) || (k + 3 <= f->ln.te && t[k] == 0xE3 && t[k + 1] == 0x83 && t[k + 2] == 0xBB))
            return k > f->hs;
    p->scratch.len = 0;
    if (parse_put_squeezed(&p->scratch, t, f->hs, f->ln.te) || fz_buf_putc(&p->scratch, 0)) {
        *rc = FZ_ENOMEM;
        return false;
    }
    if (p->vol.len && strcmp(p->scratch.p, p->vol.p) == 0)
        return true;
    for (size_t k = 0; k < p->depth; k++)
        if (strcmp(p->scratch.p, p->heads.p + p->stack[k].off) == 0)
            return true;
    return false;
}

/* Closes the open record and emits it. */
static int done(rd *r)
{
    int rc = parse_rec_close(r->p);
    if (!rc)
        rc = parse_flush(r->p, r->emit, r->ectx, false);
    return rc;
}

/* Opens a record of kind titled [s, e) of the text at line no. */
static int open_record(rd *r, fz_kind kind, uint32_t no, size_t s, size_t e)
{
    int rc = done(r);
    if (!rc)
        rc = parse_rec_open(r->p, kind, no, r->p->t, s, e, true);
    return rc;
}

/* Appends [s, e) to the open record: a new paragraph after "\n" (when the
 * record has text), a wrapped line's continuation by the joining rules. */
static int append(rd *r, size_t s, size_t e, bool continues)
{
    parse_ctx *p = r->p;
    size_t start = p->recs[p->cur].body.off;
    if (continues)
        return parse_join_append(&p->store, start, p->t, s, e);
    if (p->store.len > start && fz_buf_putc(&p->store, '\n'))
        return FZ_ENOMEM;
    return fz_buf_append(&p->store, p->t + s, e - s);
}

/*
 * Reads the 目录 starting at fact i (titled: fact i is its title line,
 * 目录; else fact i is its first item).  Items are the following short
 * heading-like lines; the 目录 ends before a line that is not one, before
 * a repeat of its first item (the body begins), before a second 目录, and
 * before a line that stands after a blank line with running text under it.
 * Without a title line it needs TOC_MIN items and must end at a repeat of
 * its first item (a list of the 目 of a 门, as 封域志 has; a list of
 * names is not repeated).  Returns the fact index after it, i when there
 * is none.
 */
static size_t read_toc(rd *r, size_t i, bool titled, int *rc)
{
    parse_ctx *p = r->p;
    const unsigned char *t = p->t;
    size_t first = titled ? next_line(p, i) : i, j = first, last = i;
    size_t item0 = p->ntoc;
    size_t first_off = 0;
    bool gap = false, repeat = false, marked = false;
    uint8_t ind[64];
    size_t nind = 0;
    while (j != NO_LINE && j < p->nfacts) {
        const parse_fact *f = &p->facts[j];
        if (f->blank || f->folio) {
            gap = true;
            j++;
            continue;
        }
        if (!f->head || f->width > TOC_WIDTH || (j != first && f->toc) || p->ntoc >= TOC_MAX)
            break;
        if (j != first && f->marker && !marked)
            break; /* a marked heading after unmarked items: the body */
        if ((*rc = bare_text(p, f)))
            return j;
        if (j == first)
            first_off = p->tocs.len;
        else if (strcmp(p->scratch.p, p->tocs.p + first_off) == 0) {
            repeat = true;
            break;
        }
        bool again = false; /* the first item of an earlier 目录: the body */
        for (size_t k = 0; j != first && k < p->ntoc0 && !again; k++)
            again = strcmp(p->scratch.p, p->tocs.p + p->toc0[k]) == 0;
        if (again) {
            repeat = true;
            break;
        }
        marked |= f->marker != 0;
        if (gap) {
            size_t nx = next_line(p, j);
            if (nx != NO_LINE && !p->facts[nx].head)
                break;
        }
        if (fz_grow(&p->toc, &p->toccap, p->ntoc + 1, sizeof *p->toc, 64)) {
            *rc = FZ_ENOMEM;
            return j;
        }
        p->toc[p->ntoc].off = p->tocs.len;
        p->toc[p->ntoc].level = f->marker ? f->marker : f->level ? f->level : 3;
        p->ntoc++;
        if (fz_buf_append(&p->tocs, p->scratch.p, p->scratch.len + 1)) {
            *rc = FZ_ENOMEM;
            return j;
        }
        bool seen = false;
        for (size_t k = 0; k < nind; k++)
            seen |= ind[k] == f->indent;
        if (!seen && nind < sizeof ind)
            ind[nind++] = f->indent;
        last = j;
        gap = false;
        j++;
    }
    if (p->ntoc == item0 || (!titled && (p->ntoc - item0 < TOC_MIN || !repeat))) {
        p->ntoc = item0;
        return i; /* not a 目录 after all */
    }
    if (nind > 1) { /* nested by indentation: the rank of each indent */
        for (size_t k = item0; k < p->ntoc; k++) {
            (void)k;
        }
        size_t k = item0;
        for (size_t q = first; q <= last && k < p->ntoc; q++) {
            const parse_fact *f = &p->facts[q];
            if (f->blank || f->folio)
                continue;
            int rank = 1;
            for (size_t m = 0; m < nind; m++)
                rank += ind[m] < f->indent;
            p->toc[k++].level = rank > 5 ? 5 : rank;
        }
    }
    if (p->ntoc0 < sizeof p->toc0 / sizeof *p->toc0)
        p->toc0[p->ntoc0++] = p->toc[item0].off;
    if (!p->tochash && !(p->tochash = calloc(TOC_HASH, sizeof *p->tochash))) {
        *rc = FZ_ENOMEM;
        return j;
    }
    if (item0 == 0)
        memset(p->tochash, 0, TOC_HASH * sizeof *p->tochash);
    for (size_t k = item0; k < p->ntoc; k++) { /* the first of equal items wins */
        size_t slot = toc_slot(p, p->tocs.p + p->toc[k].off);
        if (!p->tochash[slot])
            p->tochash[slot] = (uint32_t)k + 1;
    }
    /* the 目录 as one record; a preface heading right before it keeps no
     * record of its own (records go out in the order of their lines) */
    r->pending = NO_LINE;
    if (r->mode == M_PREFACE)
        r->mode = M_PARA;
    const parse_fact *tf = &p->facts[i];
    if (titled)
        *rc = open_record(r, FZ_KIND_TOC, tf->ln.no, tf->hs, tf->ln.te);
    else
        *rc = open_record(r, FZ_KIND_TOC, tf->ln.no, 0, 0);
    if (!*rc && !titled) { /* title 目录 */
        rec *x = &p->recs[p->cur];
        p->store.len = x->title.off;
        if (fz_buf_puts(&p->store, "目录") || fz_buf_putc(&p->store, 0))
            *rc = FZ_ENOMEM;
        x->title.len = strlen("目录");
        x->body.off = p->store.len;
    }
    for (size_t q = first; !*rc && q <= last; q++) {
        const parse_fact *f = &p->facts[q];
        if (!f->blank && !f->folio)
            *rc = append(r, f->hs, f->ln.te, false);
    }
    if (!*rc)
        *rc = done(r);
    r->started = true;
    (void)t;
    return last + 1;
}

/* A preface's author line: 2..AUTHOR_MAX letters (spaces may justify
 * them: 陈 某), no punctuation, not a heading by its words, followed by
 * running text. */
static bool author_line(const parse_ctx *p, size_t i)
{
    const parse_fact *f = &p->facts[i];
    if (!f->head || f->marker || f->level || f->width < 2 || f->width > AUTHOR_MAX)
        return false;
    size_t nx = next_line(p, i);
    return nx != NO_LINE && !p->facts[nx].head;
}

static int heading(rd *r, size_t i, int level)
{
    parse_ctx *p = r->p;
    const parse_fact *f = &p->facts[i];
    int rc = done(r);
    if (rc)
        return rc;
    r->started = true;
    r->last_final = true;
    r->pending = NO_LINE;
    if (f->note) { /* a 校注 block closes its section: a record, not a heading */
        r->mode = M_NOTE;
        return open_record(r, FZ_KIND_NOTE, f->ln.no, f->hs, f->ln.te);
    }
    if (level > 6)
        level = 6;
    if ((rc = parse_heading_push(p, level, f->hs, f->ln.te)))
        return rc;
    r->mode = M_PARA;
    if (r->preface_level && level <= r->preface_level)
        r->preface_level = 0;
    if (f->preface && !r->preface_level)
        r->preface_level = level;
    if (r->preface_level) { /* a preface, or a heading under one (○田九嘉): its
                               record opens with its first text */
        r->mode = M_PREFACE;
        r->author_slot = true;
        r->pending = i;
    }
    return FZ_OK;
}

/* A text line: continues the open record or starts one. */
static int text(rd *r, size_t i)
{
    parse_ctx *p = r->p;
    const parse_fact *f = &p->facts[i];
    const unsigned char *t = p->t;
    int rc;
    bool continues = p->open && p->wrapped && !f->noteitem &&
                     (!r->last_final || ((size_t)r->last_width + 1 >= p->colw && f->indent <= r->base_indent));
    r->started = true;
    if (r->mode == M_PREFACE && r->pending != NO_LINE) {
        const parse_fact *h = &p->facts[r->pending];
        r->pending = NO_LINE;
        if ((rc = open_record(r, FZ_KIND_ENTRY, h->ln.no, h->hs, h->ln.te)))
            return rc;
        continues = false;
    }
    if (r->mode == M_PREFACE && p->open) {
        if (r->author_slot && author_line(p, i)) {
            r->author_slot = false;
            return parse_rec_credit(p, p->cur, t, f->ln.ts, f->ln.te);
        }
        r->author_slot = false;
        if ((rc = append(r, f->ln.ts, f->ln.te, continues)))
            return rc;
        size_t ns, ne;
        if (parse_signature(t, f->ln.ts, f->ln.te, &ns, &ne))
            return parse_rec_credit(p, p->cur, t, ns, ne);
        return FZ_OK;
    }
    if (r->mode == M_NOTE && p->open)
        return append(r, f->ln.ts, f->ln.te, continues);
    if (continues)
        return append(r, f->ln.ts, f->ln.te, true);
    if (r->headings && f->says == 0 && f->name) {
        if ((rc = open_record(r, FZ_KIND_ENTRY, f->ln.no, f->hs, f->name_e)))
            return rc;
        return append(r, f->body_s, f->ln.te, false);
    }
    if (r->headings && f->head && !f->punct && f->width <= LIST_NAME && !f->says) {
        /* a name in a list: the item's title */
        return open_record(r, FZ_KIND_ENTRY, f->ln.no, f->hs, f->ln.te);
    }
    if ((rc = open_record(r, FZ_KIND_ENTRY, f->ln.no, 0, 0)))
        return rc;
    if ((rc = append(r, f->ln.ts, f->ln.te, false)))
        return rc;
    if (f->says == 1 && r->headings)
        return parse_rec_credit(p, p->cur, t, f->hs, f->says_e);
    return FZ_OK;
}

/* Whether the short heading-like line i stands alone as a heading: not in
 * a run of such lines (a list), and followed by running text or a heading
 * by its words, a marker or the 目录; in wrapped text not continuing a
 * sentence. */
static int plain_level(rd *r, size_t i, int *rc)
{
    parse_ctx *p = r->p;
    const parse_fact *f = &p->facts[i];
    if (!short_head(f) || f->name || f->says)
        return 0;
    if (p->wrapped && p->open && !r->last_final)
        return 0;
    size_t pv = prev_line(p, i);
    if (pv != NO_LINE && short_head(&p->facts[pv]) && !strong_level(p, &p->facts[pv], rc) &&
        !p->facts[pv].note)
        return 0; /* the line before was a list item */
    size_t nx = next_line(p, i);
    if (nx == NO_LINE)
        return 0;
    const parse_fact *n = &p->facts[nx];
    if (short_head(n) && !strong_level(p, n, rc) && !n->note)
        return 0;
    return 3;
}

int parse_classical_read(parse_ctx *p, bool headings, parse_emit_fn emit, void *ectx)
{
    rd r;
    memset(&r, 0, sizeof r);
    r.p = p;
    r.emit = emit;
    r.ectx = ectx;
    r.headings = headings;
    r.last_final = true;
    r.base_indent = 255;
    r.pending = NO_LINE;
    for (size_t i = 0; i < p->nfacts; i++) /* the usual indent of text */
        if (!p->facts[i].blank && !p->facts[i].folio && !p->facts[i].head && p->facts[i].indent < r.base_indent)
            r.base_indent = p->facts[i].indent;
    int rc = 0;
    for (size_t i = 0; i < p->nfacts && !rc; i++) {
        parse_fact *f = &p->facts[i];
        if (f->blank)
            continue;
        if (f->folio)
            continue;
        if (running_head(p, i, p->wrapped && p->open && !r.last_final, &rc)) {
            f->furniture = 1;
            continue;
        }
        if (rc)
            break;
        if (headings) {
            if (f->toc && f->head) {
                size_t nx = read_toc(&r, i, true, &rc);
                if (nx > i) {
                    i = nx - 1;
                    continue;
                }
            } else if (short_head(f) && !f->name && !f->says &&
                       (i == 0 || prev_line(p, i) == NO_LINE || !short_head(&p->facts[prev_line(p, i)]))) {
                size_t nx = read_toc(&r, i, false, &rc);
                if (nx > i) {
                    i = nx - 1;
                    continue;
                }
            }
            if (rc)
                break;
            int level = strong_level(p, f, &rc);
            if (!rc && !level && f->note && f->head)
                level = 1;
            if (!rc && !level && !(r.mode == M_PREFACE && r.author_slot))
                level = plain_level(&r, i, &rc);
            if (rc)
                break;
            if (level) {
                rc = heading(&r, i, level);
                continue;
            }
        }
        rc = text(&r, i);
        r.last_final = f->final;
        r.last_width = f->width;
    }
    if (!rc)
        rc = done(&r);
    return rc;
}
