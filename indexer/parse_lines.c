/*
 * parse_lines.c -- lines to facts (see parse_int.h): the line classes the
 * readers share, and the fact table of the classical and paragraphs readers.
 * Nothing here knows which layout a file has.
 */
#include "parse_int.h"

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
int parse_names_split(const unsigned char *t, size_t s, size_t e, fz_buf *out, span *names)
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
bool parse_is_attribution(const unsigned char *t, size_t s, size_t e, size_t *ns, size_t *ne)
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
    if (parse_names_split(t, a, b, NULL, NULL) <= 0)
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
bool parse_credit_at_end(const unsigned char *t, size_t s, size_t e, size_t *open, size_t *ns,
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
            if (!strip_credit_word(t, a, &b) || parse_names_split(t, a, b, NULL, NULL) <= 0)
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
bool parse_heading_like(const unsigned char *t, size_t s, size_t e)
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
int parse_numbered_level(const unsigned char *t, size_t s, size_t e)
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
bool parse_sidebar_title(const unsigned char *t, size_t s, size_t e, size_t *ts, size_t *te)
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
    if (a == i || a == e || !parse_heading_like(t, a, e))
        return false;
    if (ts) {
        *ts = a;
        *te = e;
    }
    return true;
}

/* An English title line: ASCII only, starting with a letter, at most
 * ENGLISH_MAX bytes, not ending like a clause (, ; :). */
bool parse_is_english(const unsigned char *t, size_t s, size_t e)
{
    if (s == e || e - s > ENGLISH_MAX || !is_alpha(t[s]))
        return false;
    for (size_t i = s; i < e; i++)
        if (t[i] >= 0x80 || (t[i] < 0x20 && t[i] != '\t'))
            return false;
    unsigned char last = t[e - 1];
    return last != ',' && last != ';' && last != ':';
}


bool parse_page_number(const unsigned char *t, size_t s, size_t e)
{
    size_t i = s;
    int digits = 0;
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
            return false; /* most lines: at their first character, not at their end */
        if (digits > 4)
            return false;
        i += (size_t)l;
    }
    return digits >= 1;
}


/* ---- facts for the classical and paragraphs readers ----------------------- */

enum {
    SHORT_MAX = 16, /* characters of a plain (unmarked) heading or a 门 word */
    NAME_MAX = 12,  /* characters of an item's name */
    SAYS_MAX = 4,   /* characters of the name before 曰 */
    WIDTHS = 256    /* widths counted for the wrapped-lines decision */
};

/* The rank of a heading marker: 1 ● ◎ ■ ◆, 2 ○, 3 △ ▲ ◇ □ ·; 0 none. */
static int marker_rank(uint32_t c)
{
    switch (c) {
    case 0x25CF: case 0x25CE: case 0x25A0: case 0x25C6: return 1;
    case 0x25CB: return 2;
    case 0x25B3: case 0x25B2: case 0x25C7: case 0x25A1: case 0xB7: case 0x30FB: return 3;
    default: return 0;
    }
}

static bool is_volume_numeral(uint32_t c)
{
    /* 上中下首末 and the numerals of is_numeral */
    return is_numeral(c) || c == 0x4E0A || c == 0x4E2D || c == 0x4E0B || c == 0x9996 || c == 0x672B;
}

/* A 卷 heading: 卷一, 卷之一, 卷上, 卷首, 卷末, after at most 12 characters
 * of a book's name (仙溪志卷一), then the end or a space (卷三　食货第三). */
static bool volume_word(const unsigned char *t, size_t s, size_t e)
{
    size_t i = s;
    for (int k = 0; i < e && k <= 12; k++) {
        int l;
        uint32_t c = cp_at(t, i, e, &l);
        if (c == 0x5377) { /* 卷 */
            size_t j = i + (size_t)l;
            if (starts_with(t, j, e, "之"))
                j += strlen("之");
            int nd = 0;
            while (j < e) {
                int l2;
                uint32_t d = cp_at(t, j, e, &l2);
                if (!is_volume_numeral(d))
                    break;
                nd++;
                j += (size_t)l2;
            }
            if (nd >= 1 && nd <= 5) {
                int l3;
                if (j == e || is_space_cp(cp_at(t, j, e, &l3)))
                    return true;
            }
            return false;
        }
        if (!is_letter(c))
            return false;
        i += (size_t)l;
    }
    return false;
}

/* The end of [s, e) without trailing numerals (except after 卷, 之, 第)
 * and a trailing bracketed note: 舆地志一 -> 舆地志, 公署（附公馆） -> 公署,
 * 仓库〔附税务教场〕 -> 仓库. */
size_t parse_bare_end(const unsigned char *t, size_t s, size_t e)
{
    size_t st;
    uint32_t c;
    e = trim_end(t, s, e);
    if (e > s && ((c = cp_before(t, s, e, &st)) == 0xFF09 || c == ')' || c == 0x3015 || c == 0x3011)) {
        size_t i = st;
        while (i > s) {
            uint32_t d = cp_before(t, s, i, &i);
            if (d == 0xFF08 || d == '(' || d == 0x3014 || d == 0x3010) {
                e = trim_end(t, s, i);
                break;
            }
        }
    }
    /* numerals after a 门's word (舆地志一), not those of 卷之二 or 第二 */
    size_t ne = e;
    while (ne > s && is_numeral(cp_before(t, s, ne, &st)) && st > s)
        ne = st;
    if (ne < e && !ends_with(t, s, ne, "卷") && !ends_with(t, s, ne, "之") && !ends_with(t, s, ne, "第"))
        e = ne;
    return trim_end(t, s, e);
}

static int count_chars(const unsigned char *t, size_t s, size_t e)
{
    int n = 0;
    for (size_t i = s; i < e;) {
        int l;
        if (!is_space_cp(cp_at(t, i, e, &l)))
            n++;
        i += (size_t)l;
    }
    return n;
}

static bool equals_any(const unsigned char *t, size_t s, size_t e, const char *const *w, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (strlen(w[k]) == e - s && memcmp(t + s, w[k], e - s) == 0)
            return true;
    return false;
}

static bool ends_any(const unsigned char *t, size_t s, size_t e, const char *const *w, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (ends_with(t, s, e, w[k]))
            return true;
    return false;
}

/* The level a heading's words give it (text [s, e), marker and spaces
 * removed): 1 a 卷 or 第N编, 2 a 门 (…志 …考 …略 …表 …传 of 3+ characters,
 * numbered or not: 舆地志一), a preface or list (…序 …跋 凡例 修志姓氏
 * 题名 目录) or 第N章, 3 第N节; 0 none.  Sets f->preface, f->toc,
 * f->note, f->numbered. */
static int word_level(parse_fact *f, const unsigned char *t, size_t s, size_t e)
{
    static const char *const toc[] = {"目录", "目錄", "目次", "篇名"};
    static const char *const lists[] = {"凡例", "修志姓氏", "纂修姓氏", "题名", "題名", "姓氏"};
    static const char *const prefaces[] = {"序", "叙", "敘", "跋", "后序", "後序", "后记", "後記",
                                           "前言", "序言", "引言", "小引"};
    static const char *const notes[] = {"校注", "注释", "註釋", "校勘记", "校勘記", "注"};
    static const char *const men[] = {"志", "誌", "考", "略", "表", "传", "傳", "纪", "紀"};
    int nl = parse_numbered_level(t, s, e);
    if (nl >= 1 && nl <= 3) {
        f->numbered = 1;
        return nl;
    }
    if (volume_word(t, s, e))
        return 1;
    size_t be = parse_bare_end(t, s, e);
    int chars = count_chars(t, s, be);
    if (ends_any(t, s, be, toc, sizeof toc / sizeof *toc) && chars <= SHORT_MAX) {
        f->toc = 1;
        return 2;
    }
    if (equals_any(t, s, be, notes, sizeof notes / sizeof *notes)) {
        f->note = 1;
        return 0;
    }
    if (equals_any(t, s, be, lists, sizeof lists / sizeof *lists))
        return 2;
    if (chars <= 10 && ends_any(t, s, be, prefaces, sizeof prefaces / sizeof *prefaces)) {
        f->preface = 1;
        return 2;
    }
    if (chars >= 3 && chars <= SHORT_MAX && ends_any(t, s, be, men, sizeof men / sizeof *men))
        return 2;
    return 0;
}

/* An item's name at s: 1..NAME_MAX letters (■〈…〉, a described missing
 * character, counting as one), then spaces or a colon, then text (鼓楼
 * 在县治东…, 永安　中县。…, 名：在…).  Stores where the name
 * ends and the body starts; returns the name's characters or 0. */
static int item_name(const unsigned char *t, size_t s, size_t e, size_t *ne, size_t *bs)
{
    int chars = 0;
    bool other = false;
    for (size_t i = s; i < e;) {
        int l;
        uint32_t c = cp_at(t, i, e, &l);
        if (is_space_cp(c) || c == 0xFF1A || c == ':') {
            size_t b = i + (size_t)l;
            if (is_space_cp(c)) {
                b = skip_spaces(t, i, e);
                if (b < e && (cp_at(t, b, e, &l) == 0xFF1A || cp_at(t, b, e, &l) == ':'))
                    return 0; /* 名 ： is odd; leave it */
            } else {
                b = skip_spaces(t, b, e);
            }
            if (!chars || !other || b >= e)
                return 0;
            *ne = i;
            *bs = b;
            return chars;
        }
        if (c == 0x25A0 && starts_with(t, i + (size_t)l, e, "〈")) {
            /* ■〈木若〉: a character the typesetter lacked, described */
            const unsigned char *q = memmem(t + i, e - i, "〉", strlen("〉"));
            if (!q)
                return 0;
            l = (int)((size_t)(q - t) + strlen("〉") - i);
        } else if (!is_letter(c)) {
            return 0;
        }
        if (++chars > NAME_MAX)
            return 0;
        other |= !is_numeral(c);
        i += (size_t)l;
    }
    return 0;
}

/* 某某曰： at s: 1 a person's remark (the name's end in *ne), 2 the
 * compilers' own (按：, 按, 谨按, 志曰：, 论曰：, 赞曰：, 史臣曰：), 0 none. */
static int says_at(const unsigned char *t, size_t s, size_t e, size_t *ne)
{
    static const char *const own[] = {"按", "案", "谨按", "謹按", "谨案", "志", "论", "論", "赞", "贊",
                                      "评", "評", "史臣", "外史氏", "野史氏", "编者", "編者"};
    if (starts_with(t, s, e, "按") || starts_with(t, s, e, "谨按") || starts_with(t, s, e, "謹按")) {
        size_t a = s + (starts_with(t, s, e, "按") ? strlen("按") : strlen("谨按"));
        int l;
        uint32_t c = a < e ? cp_at(t, a, e, &l) : 0;
        if (c == 0xFF1A || c == ':' || c == 0xFF0C || c == 0x3001 || is_space_cp(c))
            return 2;
    }
    size_t i = s;
    for (int k = 0; i < e && k <= SAYS_MAX; k++) {
        int l;
        uint32_t c = cp_at(t, i, e, &l);
        if (c == 0x66F0 && k > 0) { /* 曰 */
            size_t j = i + (size_t)l;
            int l2;
            uint32_t d = j < e ? cp_at(t, j, e, &l2) : 0;
            if (d != 0xFF1A && d != ':' && d != 0xFF0C)
                return 0;
            if (equals_any(t, s, i, own, sizeof own / sizeof *own))
                return 2;
            *ne = i;
            return 1;
        }
        if (!is_letter(c) || is_numeral(c))
            return 0;
        i += (size_t)l;
    }
    return 0;
}

/*
 * A signature closing a preface: the last clause (after the last ，。、；
 * before the end) ends in 序, 谨序, 书, 撰, 题, 识, 跋 or 记 (and 。), and
 * what is left ends in a name: the characters after the last office or
 * place word (事 谕 官 使 郎 夫 士 人 尉 丞 簿 守 令 宫 院 阁 级 东 西 南 北 山
 * 湖 州 县 府: …儒学教谕某某书, …知州事某某书。, 虞山王礼谨序), else the
 * whole clause; 3 characters of it when more than 4 are left (寿春梁文煊
 * -> 梁文煊), 2 before a style ending in 氏 (上党王珍雄樵氏 -> 王珍).  A
 * clause holding a function word (是 乎 之 也 者 而 以 所 其 为 此 故 乃 因)
 * near its end is no signature (是为序, 于是乎书).  Returns whether one
 * was found.
 */
bool parse_signature(const unsigned char *t, size_t s, size_t e, size_t *ns, size_t *ne)
{
    static const char *const verbs[] = {"谨序", "謹序", "拜序", "敬序", "拜手书", "顿首书", "谨书",
                                        "谨识", "謹識", "谨跋", "序", "书", "書", "撰", "题", "題",
                                        "识", "識", "跋", "记", "記"};
    static const uint32_t bounds[] = {0x4E8B, 0x8C15, 0x5B98, 0x4F7F, 0x90CE, 0x592B, 0x58EB, 0x4EBA,
                                      0x5C09, 0x4E1E, 0x7C3F, 0x5B88, 0x4EE4, 0x5BAB, 0x9662, 0x9601,
                                      0x7EA7, 0x4E1C, 0x897F, 0x5357, 0x5317, 0x5C71, 0x6E56, 0x5DDE,
                                      0x53BF, 0x5E9C, 0x8B19, 0x7D1A, 0x6771, 0x7E23};
    /* 是乎之也者而以所其为此故乃因 */
    static const uint32_t stops[] = {0x662F, 0x4E4E, 0x4E4B, 0x4E5F, 0x8005, 0x800C, 0x4EE5,
                                     0x6240, 0x5176, 0x4E3A, 0x6B64, 0x6545, 0x4E43, 0x56E0};
    size_t st;
    e = trim_end(t, s, e);
    if (e > s && is_final(cp_before(t, s, e, &st)))
        e = st;
    size_t ve = e;
    bool verb = false;
    for (size_t k = 0; k < sizeof verbs / sizeof *verbs && !verb; k++)
        if (ends_with(t, s, e, verbs[k])) {
            ve = e - strlen(verbs[k]);
            verb = true;
        }
    if (!verb)
        return false;
    /* the clause: back to the last punctuation, at most 40 characters */
    size_t cs = ve;
    for (int k = 0; cs > s && k < 40; k++) {
        size_t q;
        uint32_t c = cp_before(t, s, cs, &q);
        if (!is_letter(c))
            break;
        cs = q;
    }
    /* a courtesy name or style before 氏 is dropped: 上党王珍雄樵氏 */
    size_t q;
    int take = 0;
    if (cp_before(t, cs, ve, &q) == 0x6C0F && count_chars(t, cs, ve) >= 5) {
        for (int k = 0; k < 3; k++)
            cp_before(t, cs, ve, &ve);
        take = 2;
    }
    /* the name: after the last office or place word, else the clause when
     * short, else its last characters */
    size_t b = cs;
    bool found = false;
    for (size_t i = cs; i < ve;) {
        int l;
        uint32_t c = cp_at(t, i, ve, &l);
        i += (size_t)l;
        for (size_t k = 0; k < sizeof bounds / sizeof *bounds; k++)
            if (c == bounds[k]) {
                b = i;
                found = true;
            }
    }
    if (!found) {
        /* without an office or place word: words that are not names: 是为序, 于是乎书 */
        for (size_t i = cs; i < ve;) {
            int l;
            uint32_t c = cp_at(t, i, ve, &l);
            i += (size_t)l;
            for (size_t k = 0; k < sizeof stops / sizeof *stops; k++)
                if (c == stops[k] && i + 6 > ve)
                    return false;
        }
    }
    int n = count_chars(t, b, ve);
    if (!take)
        take = n <= 4 ? n : 3;
    if (n < 2 || take < 2)
        return false;
    size_t end = ve;
    if (n > take && found) { /* the name follows the office: 陈尧道敬之 -> 陈尧道 */
        end = b;
        for (int k = 0; k < take; k++) {
            int l;
            cp_at(t, end, ve, &l);
            end += (size_t)l;
        }
    } else if (n > take) { /* a place before it: 寿春梁文煊 -> 梁文煊 */
        for (int k = 0; k < n - take; k++) {
            int l;
            cp_at(t, b, ve, &l);
            b += (size_t)l;
        }
    }
    *ns = b;
    *ne = end;
    return true;
}

/* Whether c is a middle dot (·, •, ・). */
static bool is_middle_dot(uint32_t c) { return c == 0xB7 || c == 0x2022 || c == 0x30FB; }

/* Whether [s, e) holds a middle dot. */
static bool has_middle_dot(const unsigned char *t, size_t s, size_t e)
{
    for (size_t i = s; i < e;) {
        int l;
        uint32_t c = cp_at(t, i, e, &l);
        if (is_middle_dot(c))
            return true;
        i += (size_t)l;
    }
    return false;
}

/* A folio with running-head text on the same line: 第二章　人口　·1205·,
 * ·1204·　某某市志: a first or last space-separated token that is a page
 * number with a middle dot (·N·, N·, ·N), the rest heading text.
 * Whole-line folios are parse_page_number. */
static bool folio_with_head(const unsigned char *t, size_t s, size_t e)
{
    size_t a = e; /* the last token */
    while (a > s) {
        size_t q;
        if (is_space_cp(cp_before(t, s, a, &q)))
            break;
        a = q;
    }
    if (a > s && parse_page_number(t, a, e) && has_middle_dot(t, a, e)) {
        size_t re = trim_end(t, s, a);
        return re > s && parse_heading_like(t, s, re);
    }
    size_t b = s; /* the first */
    while (b < e) {
        int l;
        if (is_space_cp(cp_at(t, b, e, &l)))
            break;
        b += (size_t)l;
    }
    if (b < e && parse_page_number(t, s, b) && has_middle_dot(t, s, b)) {
        size_t rs = skip_spaces(t, b, e);
        return rs < e && parse_heading_like(t, rs, e);
    }
    return false;
}

static int fact_line(parse_ctx *p, const line *ln, parse_fact *f)
{
    const unsigned char *t = p->t;
    memset(f, 0, sizeof *f);
    f->ln = *ln;
    size_t s = ln->ts, e = ln->te;
    int ind = 0;
    for (size_t i = ln->s; i < s;) {
        int l;
        uint32_t c = cp_at(t, i, s, &l);
        ind += c == 0x3000 ? 2 : 1;
        i += (size_t)l;
    }
    f->indent = (uint8_t)(ind > 255 ? 255 : ind);
    f->hs = s;
    if (s == e) {
        f->blank = 1;
        return FZ_OK;
    }
    /* the marker, then one walk over the line: its width, sentence
     * punctuation after the marker, and whether it has a space and a
     * middle dot, without which it is no folio with a running head */
    int l, l2;
    uint32_t c0 = cp_at(t, s, e, &l);
    int mr = marker_rank(c0);
    size_t hs = s;
    if (mr && s + (size_t)l < e && cp_at(t, s + (size_t)l, e, &l2) == 0x3008)
        mr = 0; /* ■〈属鸟〉: a character the typesetter lacked, described */
    if (mr) {
        hs = skip_spaces(t, s + (size_t)l, e);
        if (hs == e) {
            mr = 0;
            hs = s;
        }
    }
    int n = 0;
    bool punct = false, space = false, dot = false;
    for (size_t i = s; i < e;) {
        if (t[i] - 0xE4u <= 0xE9u - 0xE4u && e - i >= 3 && (t[i + 1] & 0xC0) == 0x80 &&
            (t[i + 2] & 0xC0) == 0x80) {
            /* U+4000..U+9FFF, most of a Chinese line: no space, sentence
             * punctuation or middle dot, one character of width */
            n++;
            i += 3;
            continue;
        }
        uint32_t c = cp_at(t, i, e, &l);
        if (is_space_cp(c)) {
            space = true;
        } else {
            n++;
            if (i >= hs && is_head_punct(c) && c != 0x3001)
                punct = true;
            dot |= is_middle_dot(c);
        }
        i += (size_t)l;
    }
    if (parse_page_number(t, s, e) || (space && dot && folio_with_head(t, s, e))) {
        f->folio = 1;
        return FZ_OK;
    }
    f->width = (uint16_t)(n > 65535 ? 65535 : n);
    f->marker = (uint8_t)mr;
    f->hs = hs;
    f->punct = punct;
    size_t st;
    uint32_t last = cp_before(t, s, e, &st);
    if (is_close_quote(last) && st > s)
        last = cp_before(t, s, st, &st);
    f->final = is_final(last);
    if (starts_with(t, s, e, "〔") || starts_with(t, s, e, "[")) {
        size_t i = s + (t[s] == '[' ? 1 : strlen("〔"));
        int nd = 0;
        while (i < e && is_numeral(cp_at(t, i, e, &l)))
            i += (size_t)l, nd++;
        if (nd && (starts_with(t, i, e, "〕") || starts_with(t, i, e, "]")))
            f->noteitem = 1;
    }
    /* more than HEAD_MAX non-space characters after the marker (which is
     * one): parse_heading_like says no before it looks at the rest */
    if (n - (hs != s) <= HEAD_MAX && parse_heading_like(t, f->hs, e) &&
        !parse_credit_at_end(t, f->hs, e, NULL, NULL, NULL)) {
        f->head = 1;
        f->level = (int8_t)word_level(f, t, f->hs, e);
    }
    size_t ne = 0, bs = 0;
    f->says = (uint8_t)says_at(t, f->hs, e, &ne);
    if (f->says == 1)
        f->says_e = ne;
    else if (!f->says) {
        int k = item_name(t, f->hs, e, &ne, &bs);
        if (k) {
            f->name = (uint16_t)k;
            f->name_e = ne;
            f->body_s = bs;
        }
    }
    return FZ_OK;
}

/*
 * Wrapped lines (an OCR page): of the text lines of 8 or more characters
 * that are not headings, at least 4, 30 % ending without a sentence's end
 * (。！？；：，、 and closing quotes count as ends here) and half of them
 * within one character of the most common width (the printed column).
 */
static void decide_wrapped(parse_ctx *p)
{
    size_t hist[WIDTHS] = {0}, n = 0, open = 0;
    for (size_t i = 0; i < p->nfacts; i++) {
        const parse_fact *f = &p->facts[i];
        if (f->blank || f->folio || f->head || f->width < 8)
            continue;
        n++;
        hist[f->width < WIDTHS ? f->width : WIDTHS - 1]++;
        size_t st;
        uint32_t c = cp_before(p->t, f->ln.ts, f->ln.te, &st);
        if (!is_final(c) && !is_close_quote(c) && !is_head_punct(c) && !is_close_paren(c))
            open++;
    }
    size_t best = 0, mode = 0;
    for (size_t w = 8; w + 1 < WIDTHS - 1; w++) {
        size_t k = hist[w - 1] + hist[w] + hist[w + 1];
        if (k > best) {
            best = k;
            mode = w;
        }
    }
    p->wrapped = n >= 4 && open * 10 >= n * 3 && best * 2 >= n && mode >= 8;
    p->colw = mode;
}

int parse_facts_build(parse_ctx *p, size_t pos, uint32_t no, size_t limit)
{
    line ln;
    p->nfacts = 0;
    while (pos < limit && line_at(p, pos, no, &ln)) {
        if (fz_grow(&p->facts, &p->factcap, p->nfacts + 1, sizeof *p->facts, 256))
            return FZ_ENOMEM;
        int rc = fact_line(p, &ln, &p->facts[p->nfacts]);
        if (rc)
            return rc;
        p->nfacts++;
        pos = ln.next;
        no = ln.no + 1;
    }
    decide_wrapped(p);
    return FZ_OK;
}

int parse_facts_dump(const parse_ctx *p, fz_buf *out)
{
    for (size_t i = 0; i < p->nfacts; i++) {
        const parse_fact *f = &p->facts[i];
        if (fz_buf_printf(out, "%u w%u i%u m%u L%d %s%s%s%s%s%s%s%s%s%s%s n%u s%u |", f->ln.no,
                          f->width, f->indent, f->marker, f->level, f->blank ? "B" : "-",
                          f->final ? "F" : "-", f->punct ? "P" : "-", f->head ? "H" : "-",
                          f->folio ? "f" : "-", f->toc ? "T" : "-", f->note ? "N" : "-",
                          f->noteitem ? "n" : "-", f->numbered ? "#" : "-", f->preface ? "p" : "-",
                          f->furniture ? "r" : "-", f->name, f->says) < 0 ||
            fz_buf_append(out, p->t + f->ln.ts, f->ln.te - f->ln.ts) || fz_buf_putc(out, '\n'))
            return FZ_ENOMEM;
    }
    return FZ_OK;
}
