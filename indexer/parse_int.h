/*
 * parse_int.h -- private to the parser: what its files share.  Nothing
 * outside indexer/parse*.c includes it; the contract is parse.h.
 *
 * Which file does what (indexer/parse_*.c, after the design note in
 * docs/layouts.md):
 *
 *   parse.c           the API (parse.h), the book title (parse_volume), the
 *                     layout detector (facts -> layout) and its reason
 *   parse_lines.c     lines to facts: each line classified once, knowing
 *                     nothing of layouts (headings, numbered headings,
 *                     markers, 卷 and 门 words, folios, attributions,
 *                     signatures, 某某曰：, notes, 目录 lines); parse_facts_dump
 *                     prints the table for tests
 *   parse_build.c     the record builder every reader shares: the section
 *                     stack, the pending records and their attribution, the
 *                     joining rules (page breaks, wrapped lines)
 *   parse_yearbook.c  the yearbook reader (【】 entries, (author) lines,
 *                     sidebars, captions): the rules of parse.h
 *   parse_classical.c the classical reader (卷/门/目, markers, 目录, items,
 *                     prefaces, commentary, notes, OCR pages) and the
 *                     paragraphs reader (the same without headings)
 *
 * The character helpers are static inline here so that each file has its
 * own copy without a name of its own.
 */
#ifndef PARSE_INT_H
#define PARSE_INT_H

#include "fz.h"
#include "parse.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

enum {
    HEAD_MAX = 40,     /* non-space characters in a heading or sidebar title */
    NAME_CHARS = 40,   /* non-space characters in an attribution or credit */
    TITLE_MAX = 64,    /* characters of an entry title whose 】 is missing */
    ENGLISH_MAX = 120, /* bytes in an English title line */
    CREDIT_SCAN = 96,  /* characters searched back for a credit's "(" */
    ATTR_BYTES = 480,  /* bytes in an attribution line, spaces included */
    LEVELS = 6,        /* 编, 章, 节, plain heading, 一、, （一） */
    PLAIN_LEVEL = 4,
    CHAPTER_LEVEL = 2
};

typedef struct {
    size_t off, len;
} span;

/* A pending record.  title and body are offsets into store (entries and
 * sidebars) or caps (captions); a caption's credit names are
 * cnames[name0 .. name0 + nname). */
typedef struct {
    uint32_t line;
    fz_kind kind;
    span title, body;
    size_t name0, nname;
} rec;

struct parse_ctx {
    const unsigned char *t; /* the text being parsed */
    size_t n;

    fz_buf store; /* titles and bodies of pending entries and sidebars */
    fz_buf caps;  /* bodies and credit names of pending captions */
    fz_buf heads; /* texts of the open headings, NUL-terminated */
    fz_buf names; /* names of the attribution being applied */
    fz_buf vol;   /* the volume's title, NUL-terminated ("" when none) */

    rec *recs;
    size_t nrec, caprec;
    span *cnames;
    size_t ncnames, cncap;
    span attn[NAME_CHARS];
    size_t nattn;

    struct {
        int level;
        size_t off;
    } stack[LEVELS];
    size_t depth;

    /* headings, NULL, authors, NULL: handed to emit */
    const char *ptrs[LEVELS + 1 + NAME_CHARS + 1];

    /* the last plain-heading chain looked at: lines starting in
     * [memo_lo, memo_hi) that are heading-like are headings iff memo_res */
    size_t memo_lo, memo_hi;
    bool memo_res;

    bool open;  /* recs[cur] is an entry or sidebar whose body still grows */
    size_t cur;

    parse_layout want;   /* parse_set_layout: PARSE_AUTO or a layout */
    parse_layout chosen; /* the layout the last parse_text read */
    char why[160];       /* why it was chosen, for --outline */
    bool wrapped;        /* classical/paragraphs: lines are wrapped (OCR) */
    size_t colw;         /* the most common width of text lines (characters) */

    /* the classical reader's line facts (parse_lines.c) and the headings
     * learned from a 目录 (texts in tocs, NUL-terminated) */
    struct parse_fact *facts;
    size_t nfacts, factcap;
    fz_buf tocs;
    fz_buf scratch; /* one line's squeezed text, for comparisons */
    struct {
        size_t off;
        int level;
    } *toc;
    size_t ntoc, toccap;
    uint32_t *tochash; /* parse_classical.c: index + 1 of p->toc by text, 0 empty */
    size_t toc0[16]; /* where the first item of each 目录 is in tocs */
    size_t ntoc0;
};


/* ---- characters ---------------------------------------------------------- */

/* The code point at t[i] (i < e) and its length; an invalid byte is one
 * character U+FFFD of length 1. */
static inline uint32_t cp_at(const unsigned char *t, size_t i, size_t e, int *len)
{
    if (t[i] < 0x80) {
        *len = 1;
        return t[i];
    }
    /* fast path: 3-byte sequences (Han, CJK punctuation) whose lead byte
     * admits no overlong form or surrogate */
    if (((t[i] >= 0xE1 && t[i] <= 0xEC) || t[i] == 0xEE || t[i] == 0xEF) && e - i >= 3 &&
        (t[i + 1] & 0xC0) == 0x80 && (t[i + 2] & 0xC0) == 0x80) {
        *len = 3;
        return ((uint32_t)(t[i] & 0x0F) << 12) | ((uint32_t)(t[i + 1] & 0x3F) << 6) | (t[i + 2] & 0x3F);
    }
    uint32_t c;
    int k = fz_utf8_decode(t + i, e - i, &c);
    if (k < 0) {
        *len = 1;
        return 0xFFFD;
    }
    *len = k;
    return c;
}

/* The code point that ends just before i (s < i) and where it starts. */
static inline uint32_t cp_before(const unsigned char *t, size_t s, size_t i, size_t *start)
{
    size_t j = i - 1;
    int back = 0;
    while (j > s && back < 3 && (t[j] & 0xC0) == 0x80) {
        j--;
        back++;
    }
    int len;
    uint32_t c = cp_at(t, j, i, &len);
    if ((size_t)len != i - j) { /* a stray continuation byte */
        *start = i - 1;
        return 0xFFFD;
    }
    *start = j;
    return c;
}

static inline bool is_space_cp(uint32_t c)
{
    return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == 0x3000 || c == 0xA0 ||
           c == 0xFEFF; /* a BOM left inside concatenated text */
}

static inline bool is_digit(uint32_t c) { return c >= '0' && c <= '9'; }
static inline bool is_alpha(uint32_t c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
static inline bool is_alnum(uint32_t c) { return is_digit(c) || is_alpha(c); }

/* Numerals of 第N编 and of enumerations like (一). */
static inline bool is_numeral(uint32_t c)
{
    static const uint32_t han[] = {0x4E00, 0x4E8C, 0x4E09, 0x56DB, 0x4E94, 0x516D, 0x4E03, 0x516B,
                                   0x4E5D, 0x5341, 0x767E, 0x5343, 0x96F6, 0x3007, 0x4E24};
    /* 一二三四五六七八九十百千零〇两 */
    if (is_digit(c) || (c >= 0xFF10 && c <= 0xFF19))
        return true;
    for (size_t i = 0; i < sizeof han / sizeof han[0]; i++)
        if (c == han[i])
            return true;
    return false;
}

/* Punctuation that keeps a line from being a heading: 。！？；：，、 .!?;:, */
static inline bool is_head_punct(uint32_t c)
{
    switch (c) {
    case 0x3002: case 0xFF01: case 0xFF1F: case 0xFF1B: case 0xFF1A: case 0xFF0C: case 0x3001:
    case '.': case '!': case '?': case ';': case ':': case ',':
        return true;
    default:
        return false;
    }
}

/* Separators of a name list: 、，, ; ； */
static inline bool is_name_sep(uint32_t c)
{
    return c == 0x3001 || c == 0xFF0C || c == ',' || c == ';' || c == 0xFF1B;
}

/* A character that may be part of a name: letters, digits, Han, the middle
 * dots of transliterated names, '-' and '\''; no punctuation or symbols. */
static inline bool is_name_cp(uint32_t c)
{
    if (c < 0x80)
        return is_alnum(c) || c == '-' || c == '\'';
    if (c == 0xB7 || c == 0x2022 || c == 0x30FB || c == 0xFF65 || c == 0x3005 || c == 0x3007)
        return true;
    if (c < 0xC0 || c == 0xD7 || c == 0xF7)
        return false;
    if (c >= 0x2000 && c <= 0x2BFF) /* punctuation, symbols, arrows, boxes */
        return false;
    if (c >= 0x3000 && c <= 0x303F) /* CJK punctuation */
        return false;
    if (c >= 0xFE10 && c <= 0xFE6F) /* vertical, compatibility, small forms */
        return false;
    if (c >= 0xFF00 && c <= 0xFF65) /* full-width forms: letters and digits only */
        return (c >= 0xFF10 && c <= 0xFF19) || (c >= 0xFF21 && c <= 0xFF3A) ||
               (c >= 0xFF41 && c <= 0xFF5A);
    return true;
}

static inline bool is_letter(uint32_t c) { return is_alpha(c) || (c >= 0x80 && is_name_cp(c)); }

static inline bool is_open_paren(uint32_t c) { return c == '(' || c == 0xFF08; }
static inline bool is_close_paren(uint32_t c) { return c == ')' || c == 0xFF09; }

/* Ends a sentence: 。！？ */
static inline bool is_final(uint32_t c) { return c == 0x3002 || c == 0xFF01 || c == 0xFF1F; }

/* Closing quotes that may follow a sentence's final mark: ” ’ 」 』 */
static inline bool is_close_quote(uint32_t c)
{
    return c == 0x201D || c == 0x2019 || c == 0x300D || c == 0x300F;
}

/* A character that cannot start a new sentence: closing brackets and
 * quotes, and punctuation that attaches to what precedes it. */
static inline bool is_trailing_punct(uint32_t c)
{
    switch (c) {
    case 0x201D: case 0x2019: case 0x300D: case 0x300F: case 0xFF09: case 0x3011: case 0x300B:
    case 0x3009: case 0x3015: case 0xFF3D: case 0xFF5D: case 0xFF0C: case 0x3001: case 0x3002:
    case 0xFF0E: case 0xFF1B: case 0xFF1A: case 0xFF01: case 0xFF1F: case 0x2026: case 0x2014:
    case 0xB7: case 0xFF05:
    case ')': case ']': case '}': case ',': case '.': case ';': case ':': case '!': case '?': case '%':
        return true;
    default:
        return false;
    }
}

/* Whether [s, e) starts with the byte string lit. */
static inline bool starts_with(const unsigned char *t, size_t s, size_t e, const char *lit)
{
    size_t k = strlen(lit);
    return e - s >= k && memcmp(t + s, lit, k) == 0;
}

static inline bool ends_with(const unsigned char *t, size_t s, size_t e, const char *lit)
{
    size_t k = strlen(lit);
    return e - s >= k && memcmp(t + e - k, lit, k) == 0;
}

static inline size_t skip_spaces(const unsigned char *t, size_t s, size_t e)
{
    while (s < e) {
        int l;
        if (!is_space_cp(cp_at(t, s, e, &l)))
            break;
        s += (size_t)l;
    }
    return s;
}

static inline size_t trim_end(const unsigned char *t, size_t s, size_t e)
{
    while (e > s) {
        size_t st;
        if (!is_space_cp(cp_before(t, s, e, &st)))
            break;
        e = st;
    }
    return e;
}

/* ---- lines ----------------------------------------------------------------- */

typedef struct {
    size_t s, e;   /* the line without its ending */
    size_t ts, te; /* the same without surrounding spaces */
    size_t next;   /* where the next line starts */
    uint32_t no;   /* 1-based line number */
} line;

/* Reads the line starting at pos; false at the end of the text.  Lines end
 * at LF, CRLF or CR. */
static inline bool line_at(const parse_ctx *p, size_t pos, uint32_t no, line *ln)
{
    const unsigned char *t = p->t;
    size_t n = p->n;
    if (pos >= n)
        return false;
    size_t e = pos;
    /* eight bytes at a time while none of them is LF or CR (a word has
     * a zero byte iff (w - 0x01..) & ~w & 0x80.. is not zero) */
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    for (uint64_t w, a, b; e + 8 <= n; e += 8) {
        memcpy(&w, t + e, 8);
        a = w ^ (ones * '\n');
        b = w ^ (ones * '\r');
        if (((a - ones) & ~a & highs) | ((b - ones) & ~b & highs))
            break;
    }
    while (e < n && t[e] != '\n' && t[e] != '\r')
        e++;
    ln->s = pos;
    ln->e = e;
    ln->no = no;
    size_t nx = e;
    if (nx < n)
        nx += (t[nx] == '\r' && nx + 1 < n && t[nx + 1] == '\n') ? 2 : 1;
    ln->next = nx;
    ln->ts = skip_spaces(t, pos, e);
    ln->te = trim_end(t, ln->ts, e);
    return true;
}


/* ---- parse_lines.c: line classes shared by the readers ------------------- */

/* Splits the name list [s, e) (see parse.h, attribution); returns the number
 * of names, 0 when it is not a name list, or FZ_ENOMEM.  When out is not
 * NULL the names are appended to it, NUL-terminated, spans in names[]. */
int parse_names_split(const unsigned char *t, size_t s, size_t e, fz_buf *out, span *names);
/* A line that is only ( names ); the names' extent into [*ns, *ne). */
bool parse_is_attribution(const unsigned char *t, size_t s, size_t e, size_t *ns, size_t *ne);
/* A line ending in a (… 供稿/摄) credit: where its "(" and names are. */
bool parse_credit_at_end(const unsigned char *t, size_t s, size_t e, size_t *open, size_t *ns,
                         size_t *ne);
/* Heading text: 1..HEAD_MAX characters, a letter, no sentence punctuation. */
bool parse_heading_like(const unsigned char *t, size_t s, size_t e);
/* 第N编 1, 第N章 2, 第N节 3, 一、X 5, （一）X 6, else 0. */
int parse_numbered_level(const unsigned char *t, size_t s, size_t e);
/* 资料 title: the title's extent into [*ts, *te). */
bool parse_sidebar_title(const unsigned char *t, size_t s, size_t e, size_t *ts, size_t *te);
/* An English title line. */
bool parse_is_english(const unsigned char *t, size_t s, size_t e);
/* A lone page number or folio: 25, · 25 ·, - 25 -, 第25页, 1204·. */
bool parse_page_number(const unsigned char *t, size_t s, size_t e);

/* The facts of one line, for the classical and paragraphs readers. */
typedef struct parse_fact {
    line ln;
    uint16_t width;   /* non-space characters, at most 65535 */
    uint8_t indent;   /* leading spaces: a full-width space 2, others 1 (max 255) */
    uint8_t marker;   /* 0, or the rank of a leading marker: 1 ●◎■◆, 2 ○, 3 △▲·◇□ */
    size_t hs;        /* the text after the marker and its spaces */
    uint8_t blank : 1, final : 1, punct : 1, head : 1, folio : 1, toc : 1, note : 1, furniture : 1;
    uint8_t numbered : 1, preface : 1, noteitem : 1;
    int8_t level;     /* a level from the line's words: 1 卷/编, 2 门(…志)/章/序, 3 节; 0 none */
    uint16_t name;    /* item name: characters before a space or ：, 0 none */
    size_t name_e;    /* where the name ends, body_s where the body starts */
    size_t body_s;
    uint8_t says;     /* 1 某某曰： (a person's remark), 2 按/志曰/论曰 (the compilers') */
    size_t says_e;    /* the speaker's name ends here (says 1) */
} parse_fact;

/* Classifies the lines of p->t from pos into p->facts (p->nfacts), up to
 * the end or the first line starting at or after byte limit, and decides
 * p->wrapped from them.  Returns 0 or FZ_ENOMEM. */
int parse_facts_build(parse_ctx *p, size_t pos, uint32_t no, size_t limit);
/* Looks for a signature at the end of [s, e) (…某某书。, …虞山王礼谨序。):
 * stores the name's extent and returns true. */
bool parse_signature(const unsigned char *t, size_t s, size_t e, size_t *ns, size_t *ne);
/* The end of [s, e) without trailing numerals and a bracketed note:
 * 舆地志一 -> 舆地志, 公署（附公馆） -> 公署. */
size_t parse_bare_end(const unsigned char *t, size_t s, size_t e);
/* Appends the facts table of p (one line per line: number, facts, text)
 * to out, for tests and --outline --facts.  0 or FZ_ENOMEM. */
int parse_facts_dump(const parse_ctx *p, fz_buf *out);

/* ---- parse_build.c: the shared record builder --------------------------- */

/* Appends a heading's text without its typesetting spaces. */
int parse_put_squeezed(fz_buf *b, const unsigned char *t, size_t s, size_t e);
/* Appends a line or piece to the text that started at b->p[start], joined
 * by the rules of parse.h. */
int parse_join_append(fz_buf *b, size_t start, const unsigned char *t, size_t s, size_t e);
/* A new zeroed pending record in *r. */
int parse_rec_new(parse_ctx *p, rec **r);
/* Opens an entry or sidebar titled [s, e) of tt; its body follows. */
int parse_rec_open(parse_ctx *p, fz_kind kind, uint32_t no, const unsigned char *tt, size_t s,
                   size_t e, bool squeeze);
/* Ends the open record's body. */
int parse_rec_close(parse_ctx *p);
/* Emits the pending records (with the current attribution when with_attr). */
int parse_flush(parse_ctx *p, parse_emit_fn emit, void *ectx, bool with_attr);
/* Closes headings of level >= level and opens [s, e) of p->t at level. */
int parse_heading_push(parse_ctx *p, int level, size_t s, size_t e);
/* Room for k more credit names in p->cnames.  0 or FZ_ENOMEM. */
int parse_cnames_reserve(parse_ctx *p, size_t k);
/* Credits pending record i with the one name [s, e) of t (spaces removed),
 * replacing an earlier credit of its own; flush prefers it to the
 * attribution.  0 or FZ_ENOMEM. */
int parse_rec_credit(parse_ctx *p, size_t i, const unsigned char *t, size_t s, size_t e);

/* ---- the readers ---------------------------------------------------------- */

/* Each reads p->t from pos (line number no) to the end and emits. */
int parse_yearbook_read(parse_ctx *p, size_t pos, uint32_t no, parse_emit_fn emit, void *ectx);
int parse_classical_read(parse_ctx *p, bool headings, parse_emit_fn emit, void *ectx);

#endif
