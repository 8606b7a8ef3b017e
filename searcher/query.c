/*
 * query.c -- the query language (see query.h for the grammar and rules).
 *
 * A lexer that produces one token at a time (with one token of lookahead)
 * feeds a recursive-descent parser, one function per precedence level.
 * Recursion happens only at '(' and is bounded by QUERY_MAX_DEPTH.  A final
 * pass over the simplified tree checks the NOT rules and counts nodes.
 */
#include "query.h"
#include "kind.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- tokens ---- */

typedef enum {
    T_EOF,
    T_ATOM,   /* a word or phrase, possibly with a field prefix */
    T_LPAREN,
    T_RPAREN,
    T_AND,
    T_OR,
    T_NOT,    /* the word NOT */
    T_MINUS,  /* a leading '-' */
    T_NEAR,
    T_EXCEPT
} tok_type;

typedef struct {
    tok_type type;
    uint32_t col;      /* column of the token's first character */
    size_t off, len;   /* the token's bytes in the query (for messages) */
    /* T_ATOM */
    query_field field;
    int quoted;
    size_t toff, tlen; /* the text's bytes in the query */
    /* T_NEAR */
    uint32_t distance;
} tok;

typedef struct {
    const unsigned char *q;
    size_t len;
    size_t i;      /* lexer position, bytes */
    uint32_t col;  /* lexer position, code points */
    int have_peek;
    tok peek;
    fz_arena *arena;
    int depth;     /* open parentheses */
    size_t nalloc; /* nodes allocated so far */
    int err;
    uint32_t err_col;
    char *msg;
    size_t msglen;
} parser;

/* At most this many nodes are ever allocated for a tree that ends within
 * QUERY_MAX_NODES: flattening discards at most one node per two kids that
 * stay, so allocated <= 1.5 * final. */
#define ALLOC_LIMIT (2 * (size_t)QUERY_MAX_NODES + 16)

static const char FIELD_LIST[] = "title author section file kind volume place year";

__attribute__((format(printf, 4, 5)))
static void fail(parser *p, int code, uint32_t col, const char *fmt, ...)
{
    if (p->err)
        return; /* keep the first mistake */
    p->err = code;
    p->err_col = col;
    if (p->msg && p->msglen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->msg, p->msglen, fmt, ap);
        va_end(ap);
        /* The message quotes the query, which may hold control
         * characters; it must stay one printable line. */
        for (char *c = p->msg; *c; c++)
            if ((unsigned char)*c < 0x20 || *c == 0x7F)
                *c = ' ';
    }
}

static void fail_nomem(parser *p)
{
    fail(p, FZ_ENOMEM, 0, "out of memory");
}

/* ---- characters ---- */

/* Decodes the code point at byte i (i < len).  An invalid byte is one
 * code point U+FFFD of one byte. */
static uint32_t cp_at(const parser *p, size_t i, size_t *nbytes)
{
    uint32_t cp;
    int k = fz_utf8_decode(p->q + i, p->len - i, &cp);
    *nbytes = k < 0 ? 1 : (size_t)k;
    return cp;
}

static int is_space(uint32_t cp)
{
    return cp <= 0x20 || cp == 0x7F || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
           cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

static int is_lparen(uint32_t cp) { return cp == '(' || cp == 0xFF08; }
static int is_rparen(uint32_t cp) { return cp == ')' || cp == 0xFF09; }
static int is_minus(uint32_t cp) { return cp == '-' || cp == 0xFF0D; }
static int is_wild(uint32_t cp) { return cp == '?' || cp == 0xFF1F || cp == 0x25A1; }

/* The closing quote for an opening quote, or 0 when cp opens none. */
static uint32_t quote_close(uint32_t cp)
{
    switch (cp) {
    case '"': return '"';
    case 0x201C: return 0x201D; /* “ ” */
    case 0x300C: return 0x300D; /* 「 」 */
    case 0x300E: return 0x300F; /* 『 』 */
    default: return 0;
    }
}

static uint32_t quote_open_of(uint32_t cp)
{
    switch (cp) {
    case 0x201D: return 0x201C;
    case 0x300D: return 0x300C;
    case 0x300F: return 0x300E;
    default: return 0;
    }
}

/* Characters that end a word. */
static int ends_word(uint32_t cp)
{
    return is_space(cp) || is_lparen(cp) || is_rparen(cp) || quote_close(cp) || quote_open_of(cp);
}

static int ascii_alpha(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

static int ascii_ieq(const unsigned char *s, size_t n, const char *lit)
{
    size_t m = strlen(lit);
    if (n != m)
        return 0;
    for (size_t k = 0; k < n; k++) {
        unsigned char c = s[k];
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c - 'A' + 'a');
        if (c != (unsigned char)lit[k])
            return 0;
    }
    return 1;
}

static int bytes_eq(const unsigned char *s, size_t n, const char *lit)
{
    return n == strlen(lit) && memcmp(s, lit, n) == 0;
}

/* 1 when [off, off+n) holds a code point other than wildcards and spaces. */
static int has_real_char(const parser *p, size_t off, size_t n)
{
    size_t i = off, end = off + n;
    while (i < end) {
        size_t k;
        uint32_t cp = cp_at(p, i, &k);
        if (!is_wild(cp) && !is_space(cp))
            return 1;
        i += k;
    }
    return 0;
}

/* Length to print of s[0..n) in a message: at most max bytes, cut at a
 * character boundary. */
static int clip(const unsigned char *s, size_t n, size_t max)
{
    if (n <= max)
        return (int)n;
    while (max > 0 && (s[max] & 0xC0) == 0x80)
        max--;
    return (int)max;
}

/* Writes the quote character cp as UTF-8 into buf (5 bytes). */
static const char *cp_str(uint32_t cp, char *buf)
{
    int n = fz_utf8_encode(cp, buf);
    buf[n] = 0;
    return buf;
}

/* ---- lexer ---- */

static const struct {
    const char *name;
    query_field field;
} FIELDS[] = {
    {"title", QF_TITLE}, {"author", QF_AUTHOR}, {"section", QF_SECTION},
    {"file", QF_FILE},   {"kind", QF_KIND},     {"volume", QF_VOLUME},
    {"place", QF_PLACE}, {"year", QF_YEAR},
};

/* Checks the text of an atom (wildcards, kind values).  0 or -1. */
static int check_atom(parser *p, tok *t, uint32_t tcol)
{
    if (!has_real_char(p, t->toff, t->tlen)) {
        fail(p, FZ_ESYNTAX, tcol, "a term needs at least one character besides ?");
        return -1;
    }
    if (t->field == QF_KIND) {
        if (fz_kind_lookup((const char *)p->q + t->toff, t->tlen) >= 0)
            return 0;
        fail(p, FZ_ESYNTAX, tcol, "kind must be one of %s, not '%.*s'", fz_kind_list(),
             clip(p->q + t->toff, t->tlen, 40), (const char *)p->q + t->toff);
        return -1;
    }
    int32_t lo, hi;
    if (t->field == QF_YEAR && query_year_range((const char *)p->q + t->toff, t->tlen, &lo, &hi)) {
        fail(p, FZ_ESYNTAX, tcol, "year must be a year or a range such as 1700..1800 (negative BCE), not '%.*s'",
             clip(p->q + t->toff, t->tlen, 40), (const char *)p->q + t->toff);
        return -1;
    }
    return 0;
}

int query_year_range(const char *text, size_t len, int32_t *lo, int32_t *hi)
{
    const char *dots = NULL;
    for (size_t i = 0; i + 1 < len && !dots; i++)
        if (text[i] == '.' && text[i + 1] == '.')
            dots = text + i;
    if (!dots) {
        if (fz_year_parse(text, len, lo))
            return -1;
        *hi = *lo;
        return 0;
    }
    size_t a = (size_t)(dots - text), b = len - a - 2;
    *lo = FZ_YEAR_MIN;
    *hi = FZ_YEAR_MAX;
    if (a == 0 && b == 0)
        return -1;
    if ((a && fz_year_parse(text, a, lo)) || (b && fz_year_parse(dots + 2, b, hi)))
        return -1;
    return *lo <= *hi ? 0 : -1;
}

/* Lexes a quoted phrase whose opening quote (code point open, nbytes
 * bytes) is at the lexer position.  Fills t's text fields. */
static int lex_phrase(parser *p, tok *t, uint32_t open, size_t nbytes)
{
    uint32_t close = quote_close(open);
    uint32_t qcol = p->col;
    size_t start = p->i + nbytes;
    size_t i = start;
    uint32_t col = p->col + 1;
    while (i < p->len) {
        size_t k;
        uint32_t cp = cp_at(p, i, &k);
        if (cp == close) {
            t->quoted = 1;
            t->toff = start;
            t->tlen = i - start;
            p->i = i + k;
            p->col = col + 1;
            int any = 0;
            for (size_t j = start; j < i && !any;) {
                size_t kk;
                any = !is_space(cp_at(p, j, &kk));
                j += kk;
            }
            if (!any) {
                fail(p, FZ_ESYNTAX, qcol, "empty quoted phrase");
                return -1;
            }
            return check_atom(p, t, qcol);
        }
        i += k;
        col++;
    }
    char a[5], b[5];
    fail(p, FZ_ESYNTAX, qcol, "unbalanced quote: the %s here has no closing %s",
         cp_str(open, a), cp_str(close, b));
    return -1;
}

/* Parses the distance of a NEAR word [s, s+n) (which starts with "NEAR").
 * Returns 0 and sets *d, or -1 after reporting. */
static int lex_near(parser *p, const unsigned char *s, size_t n, uint32_t col, uint32_t *d)
{
    size_t i = 4;
    const char *how = "NEAR needs a distance: write NEAR/N with N from 1 to 10000";
    if (i < n && s[i] == '/')
        i++;
    else if (i + 3 <= n && s[i] == 0xEF && s[i + 1] == 0xBC && s[i + 2] == 0x8F) /* ／ */
        i += 3;
    else {
        fail(p, FZ_ESYNTAX, col, "%s", how);
        return -1;
    }
    uint32_t v = 0;
    int digits = 0;
    while (i < n) {
        unsigned dig;
        if (s[i] >= '0' && s[i] <= '9') {
            dig = s[i] - '0';
            i++;
        } else if (i + 3 <= n && s[i] == 0xEF && s[i + 1] == 0xBC && s[i + 2] >= 0x90 &&
                   s[i + 2] <= 0x99) { /* ０..９ */
            dig = s[i + 2] - 0x90u;
            i += 3;
        } else {
            fail(p, FZ_ESYNTAX, col, "%s", how);
            return -1;
        }
        digits++;
        if (v <= QUERY_MAX_NEAR)
            v = v * 10 + dig;
    }
    if (!digits) {
        fail(p, FZ_ESYNTAX, col, "%s", how);
        return -1;
    }
    if (v < 1 || v > QUERY_MAX_NEAR) {
        fail(p, FZ_ESYNTAX, col, "'%.*s': the NEAR distance must be from 1 to %d",
             clip(s, n, 40), (const char *)s, QUERY_MAX_NEAR);
        return -1;
    }
    *d = v;
    return 0;
}

/* Lexes a word starting at the lexer position (which is not a space,
 * parenthesis, quote or leading '-'). */
static int lex_word(parser *p, tok *t)
{
    size_t start = p->i;
    uint32_t col0 = p->col;
    size_t i = start;
    uint32_t col = col0;
    /* field prefix: ASCII letters then ':' or '：' (followed by '/' only for
     * a known field name) */
    size_t colon = 0, after = 0; /* byte offsets; after == 0: no field */
    while (i < p->len && ascii_alpha(p->q[i]))
        i++;
    if (i > start && i < p->len) {
        if (p->q[i] == ':')
            colon = i, after = i + 1;
        else if (i + 3 <= p->len && p->q[i] == 0xEF && p->q[i + 1] == 0xBC && p->q[i + 2] == 0x9A)
            colon = i, after = i + 3;
        /* http://x is text; file:/abs/path and title:/x are fields */
        if (after && after < p->len && p->q[after] == '/') {
            int known = 0;
            for (size_t f = 0; f < sizeof FIELDS / sizeof FIELDS[0]; f++)
                known |= ascii_ieq(p->q + start, colon - start, FIELDS[f].name);
            if (!known)
                after = 0;
        }
    }
    i = start;
    /* scan the whole word */
    while (i < p->len) {
        size_t k;
        uint32_t cp = cp_at(p, i, &k);
        if (ends_word(cp))
            break;
        i += k;
        col++;
    }
    size_t end = i;
    const unsigned char *s = p->q + start;
    size_t n = end - start;
    t->off = start;
    t->len = n;
    t->col = col0;
    if (after) {
        size_t namelen = colon - start;
        int found = 0;
        for (size_t f = 0; f < sizeof FIELDS / sizeof FIELDS[0]; f++) {
            if (ascii_ieq(s, namelen, FIELDS[f].name)) {
                t->field = FIELDS[f].field;
                found = 1;
            }
        }
        if (!found) {
            fail(p, FZ_ESYNTAX, col0, "unknown field '%.*s' (fields: %s)",
                 clip(s, namelen, 40), (const char *)s, FIELD_LIST);
            return -1;
        }
        const char *fname = query_field_name(t->field);
        uint32_t vcol = col0 + (uint32_t)namelen + 1;
        t->type = T_ATOM;
        if (after < end) { /* the value is the rest of the word */
            t->toff = after;
            t->tlen = end - after;
            p->i = end;
            p->col = col;
            return check_atom(p, t, vcol);
        }
        /* the word ended at the colon: a phrase may follow directly */
        p->i = end;
        p->col = col;
        if (end < p->len) {
            size_t k;
            uint32_t cp = cp_at(p, end, &k);
            if (quote_close(cp)) {
                int r = lex_phrase(p, t, cp, k);
                t->len = p->i - start;
                return r;
            }
            if (is_lparen(cp)) {
                fail(p, FZ_ESYNTAX, vcol,
                     "field '%s' applies to one word or quoted phrase, not to a group", fname);
                return -1;
            }
        }
        fail(p, FZ_ESYNTAX, vcol, "field '%s' needs a value right after the colon", fname);
        return -1;
    }
    p->i = end;
    p->col = col;
    if (bytes_eq(s, n, "AND")) {
        t->type = T_AND;
        return 0;
    }
    if (bytes_eq(s, n, "OR")) {
        t->type = T_OR;
        return 0;
    }
    if (bytes_eq(s, n, "NOT")) {
        t->type = T_NOT;
        return 0;
    }
    if (bytes_eq(s, n, "EXCEPT")) {
        t->type = T_EXCEPT;
        return 0;
    }
    if (bytes_eq(s, n, "NEAR") || (n > 4 && memcmp(s, "NEAR/", 5) == 0) ||
        (n >= 7 && memcmp(s, "NEAR\xEF\xBC\x8F", 7) == 0)) {
        t->type = T_NEAR;
        return lex_near(p, s, n, col0, &t->distance);
    }
    t->type = T_ATOM;
    t->field = QF_DEFAULT;
    t->toff = start;
    t->tlen = n;
    return check_atom(p, t, col0);
}

/* Lexes the next token into t.  0 or -1 after reporting. */
static int lex(parser *p, tok *t)
{
    memset(t, 0, sizeof *t);
    while (p->i < p->len) {
        size_t k;
        uint32_t cp = cp_at(p, p->i, &k);
        if (!is_space(cp))
            break;
        p->i += k;
        p->col++;
    }
    t->col = p->col;
    t->off = p->i;
    if (p->i >= p->len) {
        t->type = T_EOF;
        return 0;
    }
    size_t k;
    uint32_t cp = cp_at(p, p->i, &k);
    t->len = k;
    if (is_lparen(cp) || is_rparen(cp)) {
        t->type = is_lparen(cp) ? T_LPAREN : T_RPAREN;
        p->i += k;
        p->col++;
        return 0;
    }
    if (quote_close(cp)) {
        t->type = T_ATOM;
        t->field = QF_DEFAULT;
        int r = lex_phrase(p, t, cp, k);
        t->len = p->i - t->off;
        return r;
    }
    if (quote_open_of(cp)) {
        char a[5], b[5];
        fail(p, FZ_ESYNTAX, p->col, "unbalanced quote: %s without an opening %s",
             cp_str(cp, a), cp_str(quote_open_of(cp), b));
        return -1;
    }
    if (is_minus(cp)) {
        size_t k2 = 0;
        uint32_t next = p->i + k < p->len ? cp_at(p, p->i + k, &k2) : ' ';
        if (is_space(next) || is_rparen(next) || quote_open_of(next)) {
            fail(p, FZ_ESYNTAX, p->col,
                 "'-' must be followed directly by the term to exclude");
            return -1;
        }
        t->type = T_MINUS;
        p->i += k;
        p->col++;
        return 0;
    }
    return lex_word(p, t);
}

static const tok *peek(parser *p)
{
    if (!p->have_peek) {
        if (lex(p, &p->peek) < 0)
            return NULL;
        p->have_peek = 1;
    }
    return &p->peek;
}

static void advance(parser *p) { p->have_peek = 0; }

/* ---- nodes ---- */

static query_node *new_node(parser *p, query_type type, uint32_t col)
{
    if (++p->nalloc > ALLOC_LIMIT) {
        fail(p, FZ_ESYNTAX, col, "query too large: more than %d nodes", QUERY_MAX_NODES);
        return NULL;
    }
    query_node *n = fz_arena_calloc(p->arena, sizeof *n);
    if (!n) {
        fail_nomem(p);
        return NULL;
    }
    n->type = type;
    n->col = col;
    return n;
}

typedef struct {
    query_node **v;
    size_t n, cap;
} kidlist;

static int kl_push(parser *p, kidlist *l, query_node *n)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 4;
        query_node **v = fz_arena_alloc(p->arena, cap * sizeof *v);
        if (!v) {
            fail_nomem(p);
            return -1;
        }
        if (l->n)
            memcpy(v, l->v, l->n * sizeof *v);
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = n;
    return 0;
}

/* Adds n to an AND or OR list, flattening a node of the same type. */
static int kl_add(parser *p, kidlist *l, query_node *n, query_type type)
{
    if (n->type != type)
        return kl_push(p, l, n);
    for (size_t k = 0; k < n->nkids; k++)
        if (kl_push(p, l, n->kids[k]) < 0)
            return -1;
    return 0;
}

/* The node for a finished list: its only element, or a new AND/OR. */
static query_node *kl_finish(parser *p, kidlist *l, query_type type)
{
    if (l->n == 1)
        return l->v[0];
    query_node *n = new_node(p, type, l->v[0]->col);
    if (!n)
        return NULL;
    n->kids = l->v;
    n->nkids = l->n;
    return n;
}

/* ---- parser ---- */

static query_node *parse_or(parser *p, const tok *need);

static int tok_len_for_msg(const parser *p, const tok *t) { return clip(p->q + t->off, t->len, 40); }

/* Reports a missing operand where t was found. */
static void missing_operand(parser *p, const tok *need, const tok *t)
{
    if (need) {
        fail(p, FZ_ESYNTAX, need->col, "'%.*s' needs a term after it", tok_len_for_msg(p, need),
             (const char *)p->q + need->off);
    } else if (t->type == T_RPAREN) {
        fail(p, FZ_ESYNTAX, t->col, "unbalanced parenthesis: ')' without an opening '('");
    } else if (t->type == T_EOF) {
        fail(p, FZ_ESYNTAX, t->col, "a term is missing here");
    } else {
        fail(p, FZ_ESYNTAX, t->col, "'%.*s' needs a term before it", tok_len_for_msg(p, t),
             (const char *)p->q + t->off);
    }
}

/* primary := atom | '(' or ')'.  need: the operator that requires this
 * operand (for messages), or NULL.  *start: column where it begins. */
static query_node *parse_primary(parser *p, const tok *need, uint32_t *start)
{
    const tok *t = peek(p);
    if (!t)
        return NULL;
    *start = t->col;
    if (t->type == T_ATOM) {
        query_node *n = new_node(p, QN_TEXT, t->col);
        if (!n)
            return NULL;
        n->field = t->field;
        n->quoted = t->quoted;
        if (t->field == QF_KIND) {
            /* canonical lower case */
            char lower[8];
            size_t m = t->tlen < sizeof lower ? t->tlen : sizeof lower - 1;
            for (size_t k = 0; k < m; k++) {
                unsigned char c = p->q[t->toff + k];
                lower[k] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
            }
            n->text = fz_arena_strndup(p->arena, lower, m);
            n->text_len = m;
        } else {
            n->text = fz_arena_strndup(p->arena, (const char *)p->q + t->toff, t->tlen);
            n->text_len = t->tlen;
            /* a NUL inside a quoted phrase is a space, as it is outside */
            for (size_t k = 0; n->text && k < n->text_len; k++)
                if (n->text[k] == 0)
                    ((char *)n->text)[k] = ' ';
        }
        if (!n->text) {
            fail_nomem(p);
            return NULL;
        }
        advance(p);
        return n;
    }
    if (t->type == T_LPAREN) {
        tok open = *t;
        if (p->depth >= QUERY_MAX_DEPTH) {
            fail(p, FZ_ESYNTAX, open.col, "parentheses nested more than %d deep",
                 QUERY_MAX_DEPTH);
            return NULL;
        }
        advance(p);
        t = peek(p);
        if (!t)
            return NULL;
        if (t->type == T_EOF) {
            fail(p, FZ_ESYNTAX, open.col, "unbalanced parenthesis: this '(' is never closed");
            return NULL;
        }
        if (t->type == T_RPAREN) {
            fail(p, FZ_ESYNTAX, open.col, "empty parentheses");
            return NULL;
        }
        p->depth++;
        query_node *n = parse_or(p, NULL);
        p->depth--;
        if (!n)
            return NULL;
        t = peek(p);
        if (!t)
            return NULL;
        if (t->type != T_RPAREN) {
            fail(p, FZ_ESYNTAX, open.col, "unbalanced parenthesis: this '(' is never closed");
            return NULL;
        }
        advance(p);
        return n;
    }
    if (t->type == T_NOT || t->type == T_MINUS) {
        fail(p, FZ_ESYNTAX, t->col, "double negation: remove one of the NOTs");
        return NULL;
    }
    missing_operand(p, need, t);
    return NULL;
}

/* unary := (NOT | -) primary | primary */
static query_node *parse_unary(parser *p, const tok *need, uint32_t *start)
{
    const tok *t = peek(p);
    if (!t)
        return NULL;
    if (t->type != T_NOT && t->type != T_MINUS)
        return parse_primary(p, need, start);
    tok op = *t;
    *start = op.col;
    advance(p);
    uint32_t kstart;
    query_node *kid = parse_primary(p, &op, &kstart);
    if (!kid)
        return NULL;
    query_node *n = new_node(p, QN_NOT, op.col);
    if (!n)
        return NULL;
    n->kids = fz_arena_alloc(p->arena, sizeof *n->kids);
    if (!n->kids) {
        fail_nomem(p);
        return NULL;
    }
    n->kids[0] = kid;
    n->nkids = 1;
    return n;
}

/* prox := unary [ (NEAR/N | EXCEPT) unary ] -- no chains */
static query_node *parse_prox(parser *p, const tok *need)
{
    uint32_t lstart;
    query_node *left = parse_unary(p, need, &lstart);
    if (!left)
        return NULL;
    const tok *t = peek(p);
    if (!t)
        return NULL;
    if (t->type != T_NEAR && t->type != T_EXCEPT)
        return left;
    tok op = *t;
    const char *opq = (const char *)p->q + op.off;
    if (left->type == QN_NEAR || left->type == QN_EXCEPT) {
        fail(p, FZ_ESYNTAX, op.col,
             "NEAR and EXCEPT cannot be chained or nested: each takes one word or phrase "
             "on each side; combine pairs with AND");
        return NULL;
    }
    if (left->type != QN_TEXT) {
        fail(p, FZ_ESYNTAX, lstart,
             "'%.*s' takes a word or quoted phrase on each side, not a group or a negation",
             tok_len_for_msg(p, &op), opq);
        return NULL;
    }
    advance(p);
    uint32_t rstart;
    query_node *right = parse_unary(p, &op, &rstart);
    if (!right)
        return NULL;
    if (right->type != QN_TEXT) {
        fail(p, FZ_ESYNTAX, rstart,
             "'%.*s' takes a word or quoted phrase on each side, not a group or a negation",
             tok_len_for_msg(p, &op), opq);
        return NULL;
    }
    t = peek(p);
    if (!t)
        return NULL;
    if (t->type == T_NEAR || t->type == T_EXCEPT) {
        fail(p, FZ_ESYNTAX, t->col,
             "NEAR and EXCEPT cannot be chained or nested: each takes one word or phrase "
             "on each side; combine pairs with AND");
        return NULL;
    }
    query_node *n = new_node(p, op.type == T_NEAR ? QN_NEAR : QN_EXCEPT, left->col);
    if (!n)
        return NULL;
    n->distance = op.type == T_NEAR ? op.distance : 0;
    n->kids = fz_arena_alloc(p->arena, 2 * sizeof *n->kids);
    if (!n->kids) {
        fail_nomem(p);
        return NULL;
    }
    n->kids[0] = left;
    n->kids[1] = right;
    n->nkids = 2;
    return n;
}

static int starts_operand(tok_type t)
{
    return t == T_ATOM || t == T_LPAREN || t == T_NOT || t == T_MINUS;
}

/* and := prox { [AND] prox } */
static query_node *parse_and(parser *p, const tok *need)
{
    kidlist l = {0};
    query_node *n = parse_prox(p, need);
    if (!n || kl_add(p, &l, n, QN_AND) < 0)
        return NULL;
    for (;;) {
        const tok *t = peek(p);
        if (!t)
            return NULL;
        if (t->type == T_AND) {
            tok op = *t;
            advance(p);
            n = parse_prox(p, &op);
        } else if (starts_operand(t->type)) {
            n = parse_prox(p, NULL);
        } else {
            break;
        }
        if (!n || kl_add(p, &l, n, QN_AND) < 0)
            return NULL;
    }
    return kl_finish(p, &l, QN_AND);
}

/* or := and { OR and } */
static query_node *parse_or(parser *p, const tok *need)
{
    kidlist l = {0};
    query_node *n = parse_and(p, need);
    if (!n || kl_add(p, &l, n, QN_OR) < 0)
        return NULL;
    for (;;) {
        const tok *t = peek(p);
        if (!t)
            return NULL;
        if (t->type != T_OR)
            break;
        tok op = *t;
        advance(p);
        n = parse_and(p, &op);
        if (!n || kl_add(p, &l, n, QN_OR) < 0)
            return NULL;
    }
    return kl_finish(p, &l, QN_OR);
}

/* The NOT rules and the node count, on the simplified tree.  parent is
 * NULL at the root.  0 or -1 after reporting. */
static int check_tree(parser *p, const query_node *n, const query_node *parent, size_t *count)
{
    if (++*count > QUERY_MAX_NODES) {
        fail(p, FZ_ESYNTAX, n->col, "query too large: more than %d nodes", QUERY_MAX_NODES);
        return -1;
    }
    if (n->type == QN_NOT) {
        if (!parent) {
            fail(p, FZ_ESYNTAX, n->col, "nothing to search for: add a term that is not negated");
            return -1;
        }
        if (parent->type == QN_OR) {
            fail(p, FZ_ESYNTAX, n->col,
                 "NOT inside OR would match almost everything: put the exclusion beside the "
                 "OR group, as in (a OR b) -c");
            return -1;
        }
        if (parent->type != QN_AND) {
            fail(p, FZ_ESYNTAX, n->col, "double negation: remove one of the NOTs");
            return -1;
        }
    }
    if (n->type == QN_AND) {
        size_t k = 0;
        while (k < n->nkids && n->kids[k]->type == QN_NOT)
            k++;
        if (k == n->nkids) {
            fail(p, FZ_ESYNTAX, n->col, "nothing to search for: add a term that is not negated");
            return -1;
        }
    }
    for (size_t k = 0; k < n->nkids; k++)
        if (check_tree(p, n->kids[k], n, count) < 0)
            return -1;
    return 0;
}

query_node *query_parse(const char *q, size_t len, fz_arena *arena, int *err,
                        uint32_t *err_col, char *msg, size_t msglen)
{
    parser p;
    memset(&p, 0, sizeof p);
    p.q = (const unsigned char *)q;
    p.len = len;
    p.arena = arena;
    p.msg = msg;
    p.msglen = msglen;
    if (msg && msglen)
        msg[0] = 0;
    query_node *root = NULL;
    if (!arena || (!q && len)) {
        fail(&p, FZ_EINVAL, 0, "no query or no arena");
        goto out;
    }
    const tok *t = peek(&p);
    if (!t)
        goto out;
    if (t->type == T_EOF) {
        fail(&p, FZ_EMPTY, 0, "empty query");
        goto out;
    }
    root = parse_or(&p, NULL);
    if (!root)
        goto out;
    t = peek(&p);
    if (!t) {
        root = NULL;
        goto out;
    }
    if (t->type != T_EOF) { /* only ')' can stop parse_or early */
        fail(&p, FZ_ESYNTAX, t->col, "unbalanced parenthesis: ')' without an opening '('");
        root = NULL;
        goto out;
    }
    size_t count = 0;
    if (check_tree(&p, root, NULL, &count) < 0)
        root = NULL;
out:
    if (err)
        *err = root ? 0 : p.err;
    if (err_col)
        *err_col = root ? 0 : p.err_col;
    return root;
}

/* ---- dump ---- */

static int dump_text(const query_node *n, fz_buf *out)
{
    const unsigned char *s = (const unsigned char *)n->text;
    size_t len = n->text_len, i = 0;
    int r = 0;
    while (i < len && !r) {
        unsigned char c = s[i];
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            r = fz_buf_append(out, e, 2);
            i++;
        } else if (c < 0x20 || c == 0x7F) {
            r = fz_buf_printf(out, "\\x%02x", c);
            i++;
        } else if (c < 0x80) {
            r = fz_buf_putc(out, c);
            i++;
        } else {
            uint32_t cp;
            int k = fz_utf8_decode(s + i, len - i, &cp);
            if (k < 0) {
                r = fz_buf_printf(out, "\\x%02x", c);
                i++;
            } else {
                r = fz_buf_append(out, s + i, (size_t)k);
                i += (size_t)k;
            }
        }
    }
    return r;
}

int query_dump(const query_node *n, fz_buf *out)
{
    if (!n || !out)
        return FZ_EINVAL;
    int r;
    switch (n->type) {
    case QN_TEXT:
        r = fz_buf_puts(out, "(TEXT ");
        if (!r && n->field != QF_DEFAULT)
            r = fz_buf_printf(out, "%s:", query_field_name(n->field));
        if (!r)
            r = fz_buf_putc(out, '"');
        if (!r)
            r = dump_text(n, out);
        if (!r)
            r = fz_buf_puts(out, n->quoted ? "\" quoted)" : "\")");
        return r ? FZ_ENOMEM : 0;
    case QN_AND: r = fz_buf_puts(out, "(AND"); break;
    case QN_OR: r = fz_buf_puts(out, "(OR"); break;
    case QN_NOT: r = fz_buf_puts(out, "(NOT"); break;
    case QN_NEAR: r = fz_buf_printf(out, "(NEAR/%u", (unsigned)n->distance); break;
    case QN_EXCEPT: r = fz_buf_puts(out, "(EXCEPT"); break;
    default: return FZ_EINVAL;
    }
    for (size_t k = 0; k < n->nkids && !r; k++) {
        r = fz_buf_putc(out, ' ');
        if (!r)
            r = query_dump(n->kids[k], out);
    }
    if (!r)
        r = fz_buf_putc(out, ')');
    return r == FZ_EINVAL ? FZ_EINVAL : r ? FZ_ENOMEM : 0;
}

const char *query_field_name(query_field f)
{
    switch (f) {
    case QF_TITLE: return "title";
    case QF_AUTHOR: return "author";
    case QF_SECTION: return "section";
    case QF_FILE: return "file";
    case QF_KIND: return "kind";
    case QF_VOLUME: return "volume";
    case QF_PLACE: return "place";
    case QF_YEAR: return "year";
    default: return "";
    }
}

const char *query_help(void)
{
    return "  井长制                  a run of characters is a phrase (井长 then 长制)\n"
           "  商圈 智慧               both terms (AND is implicit; the word AND works too)\n"
           "  商圈 OR 商场            either term\n"
           "  商圈 -武林              NOT: leave out entries with 武林 (also NOT 武林)\n"
           "  \"长木、草庵\"            a quoted phrase, punctuation included (also “...”)\n"
           "  (商圈 OR 丝绸城) -智慧  grouping\n"
           "  井长制 NEAR/20 治水     at most 20 characters between them (punctuation\n"
           "                        counts), either order\n"
           "  跨?小镇  跨□小镇        ? or □ stands for any one CJK character\n"
           "  杭州 EXCEPT 杭州中心    the occurrences of 杭州 not inside 杭州中心\n"
           "  title:X author:X section:X file:X kind:entry|sidebar|caption|toc|note\n"
           "                        restrict a term to a field: author:陆婷 商圈\n"
           "  volume:X place:X      the volumes whose title (or catalog place) has X\n"
           "  year:1750 year:1700..1800  the volumes of that year or range, ends\n"
           "                        included (fzindex --catalog; -205 is 205 BCE)\n"
           "  Precedence: field and NOT, then NEAR/EXCEPT, then AND, then OR.\n"
           "  Operators are recognised only in capitals; quote them to search for them.\n";
}

void query_error_text(int err, const char *msg, uint32_t err_col, char *out, size_t outlen)
{
    if (err == FZ_EMPTY)
        fz_msg(out, outlen, "empty query: give a word or phrase to search for");
    else
        fz_msg(out, outlen, "bad query: %s (at column %u)", msg, err_col + 1);
}
