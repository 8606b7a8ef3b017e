/*
 * parse.c -- recovers the structure of gazetteer and yearbook text (see
 * parse.h for the conventions and the rules).
 *
 * One forward pass over the lines.  Each line gets a class (blank, heading,
 * entry opener, attribution, sidebar opener, text); a short line that may be
 * a plain heading is decided by looking ahead along its chain of further
 * heading-like lines, and the answer is remembered for the whole chain so
 * that every line is looked at a bounded number of times.  Text lines are
 * taken a piece at a time (a run of non-blank text lines), which is what a
 * photo caption is.  Records wait in a pending list until the attribution
 * that credits them, the next heading or the end of the text, and are then
 * emitted in file order.  Their text lives in two buffers: `store` for
 * entries and sidebars (the open record's body is always at its end, so it
 * grows in place) and `caps` for captions (which arrive while an entry is
 * still open).
 */
#include "parse.h"
#include "fz.h"

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
};

/* ---- characters ---------------------------------------------------------- */

/* The code point at t[i] (i < e) and its length; an invalid byte is one
 * character U+FFFD of length 1. */
static uint32_t cp_at(const unsigned char *t, size_t i, size_t e, int *len)
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
static uint32_t cp_before(const unsigned char *t, size_t s, size_t i, size_t *start)
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

static bool is_space_cp(uint32_t c)
{
    return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == 0x3000 || c == 0xA0 ||
           c == 0xFEFF; /* a BOM left inside concatenated text */
}

static bool is_digit(uint32_t c) { return c >= '0' && c <= '9'; }
static bool is_alpha(uint32_t c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
static bool is_alnum(uint32_t c) { return is_digit(c) || is_alpha(c); }

/* Numerals of 第N编 and of enumerations like (一). */
static bool is_numeral(uint32_t c)
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
static bool is_head_punct(uint32_t c)
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
static bool is_name_sep(uint32_t c)
{
    return c == 0x3001 || c == 0xFF0C || c == ',' || c == ';' || c == 0xFF1B;
}

/* A character that may be part of a name: letters, digits, Han, the middle
 * dots of transliterated names, '-' and '\''; no punctuation or symbols. */
static bool is_name_cp(uint32_t c)
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

static bool is_letter(uint32_t c) { return is_alpha(c) || (c >= 0x80 && is_name_cp(c)); }

static bool is_open_paren(uint32_t c) { return c == '(' || c == 0xFF08; }
static bool is_close_paren(uint32_t c) { return c == ')' || c == 0xFF09; }

/* Ends a sentence: 。！？ */
static bool is_final(uint32_t c) { return c == 0x3002 || c == 0xFF01 || c == 0xFF1F; }

/* Closing quotes that may follow a sentence's final mark: ” ’ 」 』 */
static bool is_close_quote(uint32_t c)
{
    return c == 0x201D || c == 0x2019 || c == 0x300D || c == 0x300F;
}

/* A character that cannot start a new sentence: closing brackets and
 * quotes, and punctuation that attaches to what precedes it. */
static bool is_trailing_punct(uint32_t c)
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
static bool starts_with(const unsigned char *t, size_t s, size_t e, const char *lit)
{
    size_t k = strlen(lit);
    return e - s >= k && memcmp(t + s, lit, k) == 0;
}

static bool ends_with(const unsigned char *t, size_t s, size_t e, const char *lit)
{
    size_t k = strlen(lit);
    return e - s >= k && memcmp(t + e - k, lit, k) == 0;
}

static size_t skip_spaces(const unsigned char *t, size_t s, size_t e)
{
    while (s < e) {
        int l;
        if (!is_space_cp(cp_at(t, s, e, &l)))
            break;
        s += (size_t)l;
    }
    return s;
}

static size_t trim_end(const unsigned char *t, size_t s, size_t e)
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
static bool line_at(const parse_ctx *p, size_t pos, uint32_t no, line *ln)
{
    const unsigned char *t = p->t;
    size_t n = p->n;
    if (pos >= n)
        return false;
    size_t e = pos;
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

/* ---- names ----------------------------------------------------------------- */

/*
 * Splits the name list [s, e) into names.  Pieces are separated by spaces
 * and by the separators 、，, ; ；.  Pieces joined only by spaces between
 * two Latin letters stay one piece ("John Smith").  If every piece is one
 * character, or there are at most 3 characters and no explicit separator,
 * the list is one name spelled out for justification (陆 婷 = 陆婷);
 * otherwise each piece is a name.
 *
 * A role label ending in a colon (撰稿：张三, 撰文:, 执笔：, 供稿：, 作者：,
 * 编写：, 文：) is dropped; names after 审稿：, 审核：, 校对： or 责任编辑：
 * are not authors and are dropped with their label.
 *
 * Returns the number of names, 0 when [s, e) is not a name list (fewer
 * than 2 or more than NAME_CHARS characters, punctuation, or only numerals
 * as in the enumeration (一)), or FZ_ENOMEM.  When out is not NULL the names are
 * appended to it, NUL-terminated, and their spans stored in names[].
 */
static int split_names(const unsigned char *t, size_t s, size_t e, fz_buf *out, span *names)
{
    struct {
        size_t s, e;
        int chars;
        bool latin; /* glued to the previous piece by spaces between Latin letters */
    } pc[NAME_CHARS];
    int np = 0, total = 0, gap = 0; /* gap: 0 none, 1 spaces, 2 a separator */
    bool in_piece = false, explicit_sep = false, letter = false, skipping = false;
    uint32_t lastc = 0;
    size_t i = s;
    while (i < e) {
        int l;
        uint32_t c = cp_at(t, i, e, &l);
        if ((c == 0xFF1A || c == ':') && np > 0 && in_piece) {
            /* a role label: 撰稿：  审稿： */
            static const char *const authors_r[] = {"撰稿", "撰文", "执笔", "供稿", "作者", "编写", "文",
                                                    "撰稿人", "撰", "稿"};
            static const char *const others_r[] = {"审稿", "审核", "校对", "责任编辑", "摄影", "图"};
            size_t ps = pc[np - 1].s, pe = pc[np - 1].e, n = pe - ps;
            int role = 0;
            for (size_t r = 0; r < sizeof authors_r / sizeof *authors_r && !role; r++)
                if (strlen(authors_r[r]) == n && !memcmp(t + ps, authors_r[r], n))
                    role = 1;
            for (size_t r = 0; r < sizeof others_r / sizeof *others_r && !role; r++)
                if (strlen(others_r[r]) == n && !memcmp(t + ps, others_r[r], n))
                    role = 2;
            if (!role)
                return 0;
            total -= pc[np - 1].chars;
            np--;
            skipping = role == 2;
            in_piece = false;
            gap = 2;
            i += (size_t)l;
            continue;
        }
        if (skipping) {
            /* names after 审稿： up to the next label */
            size_t j = i;
            while (j < e) {
                int l2;
                uint32_t c2 = cp_at(t, j, e, &l2);
                if (c2 == 0xFF1A || c2 == ':')
                    break;
                j += (size_t)l2;
            }
            if (j >= e) {
                i = e;
                break;
            }
            /* back up to the start of the label before the colon */
            size_t k = j;
            while (k > i) {
                size_t kk = k;
                uint32_t cb = cp_before(t, i, kk, &kk);
                if (is_space_cp(cb))
                    break;
                k = kk;
            }
            i = k;
            skipping = false;
            in_piece = false;
            gap = 2;
            continue;
        }
        if (is_space_cp(c)) {
            in_piece = false;
            if (gap != 2)
                gap = 1;
        } else if (is_name_sep(c)) {
            in_piece = false;
            gap = 2;
            explicit_sep = true;
        } else {
            if (!is_name_cp(c) || ++total > NAME_CHARS)
                return 0;
            if (!letter && !is_numeral(c) && c != '-' && c != '\'')
                letter = true;
            if (!in_piece) {
                pc[np].s = i;
                pc[np].chars = 0;
                pc[np].latin = np > 0 && gap == 1 && is_alpha(lastc) && is_alpha(c);
                np++;
                in_piece = true;
                gap = 0;
            }
            pc[np - 1].e = i + (size_t)l;
            pc[np - 1].chars++;
            lastc = c;
        }
        i += (size_t)l;
    }
    if (total < 2 || !letter) /* a name has 2+ characters: (续) is none */
        return 0;

    /* groups of pieces: a group starts at a piece not glued to its predecessor */
    int ngroups = 0;
    bool all_single = true;
    for (int k = 0; k < np;) {
        int chars = pc[k].chars, j = k + 1;
        while (j < np && pc[j].latin)
            chars += pc[j++].chars;
        if (chars != 1)
            all_single = false;
        ngroups++;
        k = j;
    }
    bool one = all_single || (total <= 3 && !explicit_sep);
    int count = one ? 1 : ngroups;
    if (!out)
        return count;

    int g = 0;
    for (int k = 0; k < np; k++) {
        bool starts_name = k == 0 || (!one && !pc[k].latin);
        if (starts_name) {
            if (k > 0 && fz_buf_putc(out, 0))
                return FZ_ENOMEM;
            names[g].off = out->len;
            names[g].len = 0;
            g++;
        } else if (pc[k].latin && fz_buf_putc(out, ' ')) {
            return FZ_ENOMEM;
        }
        if (fz_buf_append(out, t + pc[k].s, pc[k].e - pc[k].s))
            return FZ_ENOMEM;
        names[g - 1].len = out->len - names[g - 1].off;
    }
    if (fz_buf_putc(out, 0))
        return FZ_ENOMEM;
    return count;
}

/* Removes a credit's trailing 供稿 or 摄 from [s, *e) (when something is
 * left); returns whether it did. */
static bool strip_credit_word(const unsigned char *t, size_t s, size_t *e)
{
    const char *w[] = {"供稿", "摄"};
    for (size_t k = 0; k < 2; k++) {
        if (ends_with(t, s, *e, w[k])) {
            size_t ne = trim_end(t, s, *e - strlen(w[k]));
            if (ne > s) {
                *e = ne;
                return true;
            }
        }
    }
    return false;
}

/* Whether the trimmed line [s, e) is an attribution: only a parenthesised
 * name list, ( ) or （ ）.  A trailing 供稿/摄 is dropped.  Stores the
 * names' extent in [*ns, *ne) when ns is not NULL. */
static bool is_attribution(const unsigned char *t, size_t s, size_t e, size_t *ns, size_t *ne)
{
    if (e - s < 3 || e - s > ATTR_BYTES)
        return false;
    int l;
    size_t cs;
    if (!is_open_paren(cp_at(t, s, e, &l)) || !is_close_paren(cp_before(t, s, e, &cs)))
        return false;
    size_t a = skip_spaces(t, s + (size_t)l, cs);
    size_t b = trim_end(t, a, cs);
    if (a >= b)
        return false;
    strip_credit_word(t, a, &b);
    if (split_names(t, a, b, NULL, NULL) <= 0)
        return false;
    if (ns) {
        *ns = a;
        *ne = b;
    }
    return true;
}

/* Whether the trimmed line [s, e) ends in a parenthesised credit whose
 * names end in 供稿 or 摄: "… (区跨贸小镇管委会 供稿)".  Stores where the
 * opening parenthesis starts and the names' extent. */
static bool credit_at_end(const unsigned char *t, size_t s, size_t e, size_t *open, size_t *ns,
                          size_t *ne)
{
    if (e <= s)
        return false;
    size_t cs;
    if (!is_close_paren(cp_before(t, s, e, &cs)))
        return false;
    size_t i = cs;
    for (int k = 0; i > s && k < CREDIT_SCAN; k++) {
        size_t ps;
        uint32_t c = cp_before(t, s, i, &ps);
        if (is_close_paren(c))
            return false;
        if (is_open_paren(c)) {
            size_t a = skip_spaces(t, i, cs);
            size_t b = trim_end(t, a, cs);
            if (!strip_credit_word(t, a, &b) || split_names(t, a, b, NULL, NULL) <= 0)
                return false;
            if (open) {
                *open = ps;
                *ns = a;
                *ne = b;
            }
            return true;
        }
        i = ps;
    }
    return false;
}

/* ---- line classes ------------------------------------------------------------ */

/* A heading's text: 1..HEAD_MAX non-space characters, at least one letter,
 * none of 。！？；：， .!?;:, (a '.' between two digits is a decimal point);
 * 、 is allowed inside (第三章 农业、林业, 第31组 魏徵、褚亮) but not last. */
static bool heading_like(const unsigned char *t, size_t s, size_t e)
{
    int chars = 0;
    bool letter = false;
    uint32_t prev = 0, last = 0;
    for (size_t i = s; i < e;) {
        int l;
        uint32_t c = cp_at(t, i, e, &l);
        if (!is_space_cp(c)) {
            last = c;
            if (++chars > HEAD_MAX)
                return false;
            if (is_head_punct(c) && c != 0x3001 &&
                !(c == '.' && is_digit(prev) && i + 1 < e && is_digit(t[i + 1])))
                return false;
            if (is_letter(c))
                letter = true;
        }
        prev = c;
        i += (size_t)l;
    }
    return letter && last != 0x3001;
}

/* Is [i, e) a short heading name after a numbering mark: 1..16 non-space
 * characters, at least one of them not a numeral? */
static bool short_name(const unsigned char *t, size_t i, size_t e)
{
    int chars = 0, other = 0;
    while (i < e) {
        int l;
        uint32_t c = cp_at(t, i, e, &l);
        if (!is_space_cp(c)) {
            chars++;
            other |= !is_numeral(c);
        }
        i += (size_t)l;
    }
    return chars >= 1 && chars <= 16 && other;
}

/* The level of a 第N编 (1), 第N章 (2) or 第N节 (3) line, of a 一、X line
 * (5) or a （一）X line (6), else 0. */
static int numbered_level(const unsigned char *t, size_t s, size_t e)
{
    /* 一、街道 and （一）街道: the sub-headings of gazetteers */
    {
        size_t i = s;
        int paren = 0, digits = 0;
        if (starts_with(t, i, e, "（") || starts_with(t, i, e, "("))
            paren = 1, i += t[i] == '(' ? 1 : strlen("（");
        while (i < e) {
            int l;
            uint32_t c = cp_at(t, i, e, &l);
            if (!is_numeral(c) || c < 0x80)
                break;
            digits++;
            i += (size_t)l;
        }
        if (digits && digits <= 3) {
            if (!paren && starts_with(t, i, e, "、") && short_name(t, i + strlen("、"), e))
                return 5;
            if (paren && (starts_with(t, i, e, "）") || starts_with(t, i, e, ")"))) {
                size_t j = i + (t[i] == ')' ? 1 : strlen("）"));
                if (short_name(t, j, e))
                    return 6;
            }
        }
    }
    if (!starts_with(t, s, e, "第"))
        return 0;
    size_t i = s + strlen("第");
    int digits = 0;
    while (i < e) {
        int l;
        if (!is_numeral(cp_at(t, i, e, &l)))
            break;
        digits++;
        i += (size_t)l;
    }
    if (!digits)
        return 0;
    if (starts_with(t, i, e, "编") || starts_with(t, i, e, "編"))
        return 1;
    if (starts_with(t, i, e, "章"))
        return 2;
    if (starts_with(t, i, e, "节") || starts_with(t, i, e, "節"))
        return 3;
    return 0;
}

/* A sidebar opener: 资料, one or more spaces, a heading-like title.  Stores
 * the title's extent when ts is not NULL. */
static bool sidebar_title(const unsigned char *t, size_t s, size_t e, size_t *ts, size_t *te)
{
    /* 资料 大禹鼎; also the other labels of boxed text in yearbooks */
    static const char *const labels[] = {"资料", "資料", "小资料", "背景资料", "知识链接", "链接", "相关链接"};
    size_t i = 0;
    for (size_t k = 0; k < sizeof labels / sizeof *labels && !i; k++)
        if (starts_with(t, s, e, labels[k]))
            i = s + strlen(labels[k]);
    if (!i)
        return false;
    size_t a = skip_spaces(t, i, e);
    if (a == i || a == e || !heading_like(t, a, e))
        return false;
    if (ts) {
        *ts = a;
        *te = e;
    }
    return true;
}

/* An English title line: ASCII only, starting with a letter, at most
 * ENGLISH_MAX bytes, not ending like a clause (, ; :). */
static bool is_english(const unsigned char *t, size_t s, size_t e)
{
    if (s == e || e - s > ENGLISH_MAX || !is_alpha(t[s]))
        return false;
    for (size_t i = s; i < e; i++)
        if (t[i] >= 0x80 || (t[i] < 0x20 && t[i] != '\t'))
            return false;
    unsigned char last = t[e - 1];
    return last != ',' && last != ';' && last != ':';
}

enum { B_BLANK, B_NUMHEAD, B_ENTRY, B_ATTR, B_SIDEBAR, B_CAND, B_TEXT };

/* The class of a line without looking at other lines; B_CAND is a line that
 * is a plain heading if its chain says so. */
/* A page number on a line of its own (25, · 25 ·, - 25 -, — 25 —,
 * 第25页): OCR keeps them between the pieces of a paragraph; they are
 * read as a page break. */
static bool page_number(const unsigned char *t, size_t s, size_t e)
{
    size_t i = s;
    int digits = 0, other = 0;
    if (starts_with(t, i, e, "第"))
        i += strlen("第");
    while (i < e) {
        int l;
        uint32_t c = cp_at(t, i, e, &l);
        if (c >= '0' && c <= '9')
            digits++;
        else if (c >= 0xFF10 && c <= 0xFF19)
            digits++;
        else if (c == 0x9875 && i + (size_t)l == e) /* 页 at the end */
            ;
        else if (!(is_space_cp(c) || c == '-' || c == 0xB7 || c == 0x2014 || c == 0x2013 || c == 0x2022 ||
                   c == 0x30FB || c == 0xFF0D))
            other++;
        i += (size_t)l;
    }
    return digits >= 1 && digits <= 4 && !other;
}

static int base_class(const parse_ctx *p, const line *ln, int *level)
{
    const unsigned char *t = p->t;
    size_t s = ln->ts, e = ln->te;
    if (s == e || page_number(t, s, e))
        return B_BLANK;
    if (starts_with(t, s, e, "【"))
        return B_ENTRY;
    int lv = numbered_level(t, s, e);
    if (lv && heading_like(t, s, e)) {
        *level = lv;
        return B_NUMHEAD;
    }
    if (is_attribution(t, s, e, NULL, NULL))
        return B_ATTR;
    if (sidebar_title(t, s, e, NULL, NULL))
        return B_SIDEBAR;
    if (heading_like(t, s, e) && !credit_at_end(t, s, e, NULL, NULL, NULL))
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
        if (after_cand && is_english(p->t, nx.ts, nx.te)) {
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

/* ---- building records ------------------------------------------------------------ */

/* Appends [s, e) of a heading to b without its typesetting spaces; a run
 * of spaces between two Latin letters or digits becomes one space. */
static int put_squeezed(fz_buf *b, const unsigned char *t, size_t s, size_t e)
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
static int join_append(fz_buf *b, size_t start, const unsigned char *t, size_t s, size_t e)
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

static int new_rec(parse_ctx *p, rec **r)
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
static int open_rec(parse_ctx *p, fz_kind kind, uint32_t no, const unsigned char *tt, size_t s,
                    size_t e, bool squeeze)
{
    rec *r;
    if (new_rec(p, &r))
        return FZ_ENOMEM;
    r->kind = kind;
    r->line = no;
    r->title.off = p->store.len;
    if (squeeze ? put_squeezed(&p->store, tt, s, e) : fz_buf_append(&p->store, tt + s, e - s))
        return FZ_ENOMEM;
    r->title.len = p->store.len - r->title.off;
    if (fz_buf_putc(&p->store, 0))
        return FZ_ENOMEM;
    r->body.off = p->store.len;
    p->cur = p->nrec - 1;
    p->open = true;
    return FZ_OK;
}

static int close_cur(parse_ctx *p)
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
static int flush(parse_ctx *p, parse_emit_fn emit, void *ectx, bool with_attr)
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
            if (with_attr) {
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
static int push_heading(parse_ctx *p, int level, size_t s, size_t e)
{
    while (p->depth > 0 && p->stack[p->depth - 1].level >= level)
        p->heads.len = p->stack[--p->depth].off;
    size_t off = p->heads.len;
    if (put_squeezed(&p->heads, p->t, s, e) || fz_buf_putc(&p->heads, 0))
        return FZ_ENOMEM;
    p->stack[p->depth].level = level;
    p->stack[p->depth].off = off;
    p->depth++;
    return FZ_OK;
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
    if (open_rec(p, FZ_KIND_ENTRY, ln->no, t, ts, te, false))
        return FZ_ENOMEM;
    return fz_buf_append(&p->store, t + bs, e - bs);
}

/* A caption: the piece first..last whose last line ends in the credit at
 * open (names [ns, ne)). */
static int add_caption(parse_ctx *p, const line *first, const line *last, size_t open, size_t ns,
                       size_t ne)
{
    rec *r;
    if (new_rec(p, &r))
        return FZ_ENOMEM;
    r->kind = FZ_KIND_CAPTION;
    r->line = first->no;
    r->body.off = p->caps.len;
    line ln = *first;
    for (;;) {
        bool is_last = ln.s == last->s;
        size_t e = is_last ? trim_end(p->t, ln.ts, open) : ln.te;
        if (join_append(&p->caps, r->body.off, p->t, ln.ts, e))
            return FZ_ENOMEM;
        if (is_last || !line_at(p, ln.next, ln.no + 1, &ln))
            break;
    }
    r->body.len = p->caps.len - r->body.off;
    if (fz_buf_putc(&p->caps, 0))
        return FZ_ENOMEM;

    span nm[NAME_CHARS];
    int k = split_names(p->t, ns, ne, &p->caps, nm);
    if (k < 0)
        return k;
    if (p->ncnames + (size_t)k > p->cncap) {
        size_t cap = p->cncap ? p->cncap * 2 : 64;
        while (cap < p->ncnames + (size_t)k)
            cap *= 2;
        span *c = realloc(p->cnames, cap * sizeof *c);
        if (!c)
            return FZ_ENOMEM;
        p->cnames = c;
        p->cncap = cap;
    }
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
    if (!glued && credit_at_end(p->t, last.ts, last.te, &open, &ns, &ne) &&
        (first->s != last.s || trim_end(p->t, last.ts, open) > last.ts))
        return add_caption(p, first, &last, open, ns, ne);

    if (!p->open) {
        const unsigned char *h = (const unsigned char *)(p->heads.p ? p->heads.p : "");
        size_t hs = 0, he = 0;
        if (p->depth) {
            hs = p->stack[p->depth - 1].off;
            he = hs + strlen(p->heads.p + hs);
        }
        if (open_rec(p, FZ_KIND_ENTRY, first->no, h, hs, he, false))
            return FZ_ENOMEM;
    }
    size_t start = p->recs[p->cur].body.off;
    line ln = *first;
    for (;;) {
        if (join_append(&p->store, start, p->t, ln.ts, ln.te))
            return FZ_ENOMEM;
        if (ln.s == last.s || !line_at(p, ln.next, ln.no + 1, &ln))
            break;
    }
    return FZ_OK;
}

/* ---- the API ------------------------------------------------------------------ */

parse_ctx *parse_create(void) { return calloc(1, sizeof(parse_ctx)); }

void parse_destroy(parse_ctx *p)
{
    if (!p)
        return;
    fz_buf_free(&p->store);
    fz_buf_free(&p->caps);
    fz_buf_free(&p->heads);
    fz_buf_free(&p->names);
    fz_buf_free(&p->vol);
    free(p->recs);
    free(p->cnames);
    free(p);
}

const char *parse_volume(const parse_ctx *p)
{
    return p && p->vol.p ? p->vol.p : "";
}

/* Gives back buffers that one huge file made huge. */
static void shrink(parse_ctx *p)
{
    const size_t keep = (size_t)16 << 20;
    if (p->store.cap > keep)
        fz_buf_free(&p->store);
    if (p->caps.cap > keep)
        fz_buf_free(&p->caps);
    if (p->caprec * sizeof(rec) > keep) {
        free(p->recs);
        p->recs = NULL;
        p->caprec = 0;
    }
    if (p->cncap * sizeof(span) > keep) {
        free(p->cnames);
        p->cnames = NULL;
        p->cncap = 0;
    }
}

/* Words that end a book's title: 某某县志, 某某志略, 某某年鉴. */
static bool book_word_end(const unsigned char *t, size_t s, size_t e)
{
    static const char *const w[] = {"志", "誌", "志略", "志稿", "乘", "年鉴", "年鑑", "志书", "志書"};
    for (size_t k = 0; k < sizeof w / sizeof *w; k++)
        if (ends_with(t, s, e, w[k]))
            return true;
    return false;
}

/*
 * Whether the first non-blank line ln is a book title: its first word (up
 * to a space or an opening parenthesis) is 3..30 letters ending in a word
 * of book_word_end, and the line has no sentence punctuation (what follows
 * the title names the edition or the compilers: 某某县志 乾隆本, 仙溪志
 * （宋）黄岩孙 编).  Stores the title in p->vol.
 */
static int book_title(parse_ctx *p, const line *ln, bool *yes)
{
    const unsigned char *t = p->t;
    size_t s = ln->ts, e = ln->te, i = s;
    int chars = 0;
    *yes = false;
    while (i < e) {
        int l;
        uint32_t c = cp_at(t, i, e, &l);
        if (is_space_cp(c) || is_open_paren(c))
            break;
        if (!is_letter(c) || ++chars > 30)
            return FZ_OK;
        i += (size_t)l;
    }
    if (chars < 3 || !book_word_end(t, s, i))
        return FZ_OK;
    for (size_t j = i; j < e;) {
        int l;
        uint32_t c = cp_at(t, j, e, &l);
        if (is_head_punct(c) && c != 0x3001)
            return FZ_OK;
        j += (size_t)l;
    }
    if (fz_buf_append(&p->vol, t + s, i - s))
        return FZ_ENOMEM;
    *yes = true;
    return FZ_OK;
}

static int run(parse_ctx *p, parse_emit_fn emit, void *ectx)
{
    const unsigned char *t = p->t;
    size_t pos = 0;
    uint32_t no = 1;
    if (p->n >= 3 && t[0] == 0xEF && t[1] == 0xBB && t[2] == 0xBF)
        pos = 3;
    {
        /* a book title on the first non-blank line is the volume's, not a
         * heading or an entry */
        line ln;
        bool have;
        while ((have = line_at(p, pos, no, &ln)) && ln.ts == ln.te) {
            pos = ln.next;
            no = ln.no + 1;
        }
        bool yes = false;
        if (have) {
            int rc = book_title(p, &ln, &yes);
            if (rc)
                return rc;
        }
        if (yes) {
            pos = ln.next;
            no = ln.no + 1;
        }
    }
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
            if ((rc = close_cur(p)) || (rc = flush(p, emit, ectx, false)))
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
            if (have && is_english(t, nx.ts, nx.te)) {
                pos = nx.next;
                no = nx.no + 1;
                if (level == PLAIN_LEVEL)
                    level = CHAPTER_LEVEL;
            }
            if ((rc = push_heading(p, level, ln.ts, ln.te)))
                return rc;
            break;
        }
        case C_ENTRY:
            if ((rc = close_cur(p)) || (rc = open_entry(p, &ln)))
                return rc;
            break;
        case C_SIDEBAR: {
            size_t ts = 0, te = 0;
            sidebar_title(t, ln.ts, ln.te, &ts, &te);
            if ((rc = close_cur(p)) || (rc = open_rec(p, FZ_KIND_SIDEBAR, ln.no, t, ts, te, true)))
                return rc;
            break;
        }
        case C_ATTR: {
            size_t ns = 0, ne = 0;
            is_attribution(t, ln.ts, ln.te, &ns, &ne);
            if ((rc = close_cur(p)))
                return rc;
            p->names.len = 0;
            int k = split_names(t, ns, ne, &p->names, p->attn);
            if (k < 0)
                return k;
            p->nattn = (size_t)k;
            if ((rc = flush(p, emit, ectx, true)))
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
    if ((rc = close_cur(p)))
        return rc;
    return flush(p, emit, ectx, false);
}

int parse_text(parse_ctx *p, const char *text, size_t len, parse_emit_fn emit, void *ctx)
{
    if (!p || !emit || (!text && len))
        return FZ_EINVAL;
    p->t = (const unsigned char *)(text ? text : "");
    p->n = len;
    p->store.len = p->caps.len = p->heads.len = p->names.len = p->vol.len = 0;
    if (fz_buf_putc(&p->vol, 0))
        return FZ_ENOMEM;
    p->vol.len = 0;
    p->nrec = p->ncnames = p->nattn = p->depth = 0;
    p->memo_lo = 1;
    p->memo_hi = 0;
    p->memo_res = false;
    p->open = false;
    p->cur = 0;
    int rc = run(p, emit, ctx);
    shrink(p);
    p->t = NULL;
    p->n = 0;
    return rc;
}
