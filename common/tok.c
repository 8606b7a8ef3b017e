/*
 * tok.c -- text analysis (see tok.h).
 *
 * One pass over the UTF-8 input; every code point becomes zero or more
 * "units" (a normalised, folded code point with its class and the byte range
 * of the source code point), and a small state machine turns units into
 * tokens: the pending CJK character (for the next bigram), the word being
 * built, the next position and whether a punctuation gap is pending.
 *
 * Speed.  Three fast paths never call ICU.  ASCII: NFKC_Casefold only
 * lowercases A-Z.  The table (build/gen/tok_table.h, made at build time by
 * tools/gentok.c from this file's general path and the folding tables):
 * for every code point below U+40000, its class and whether the analysis
 * at each folding level leaves it as written (NFKC_Casefold, the fold
 * tables and no phrase rule beginning with it); such a code point goes
 * straight to the segmenter -- most ideographs of a text, the CJK
 * punctuation 、。《》「」 and the like.  The rest of U+4E00..U+9FFF: NFKC
 * leaves the URO alone, so only the fold functions (and phrase rules) are
 * consulted, and the rules only when the table's filter of their first two
 * characters has the pair there.  Everything else in the BMP is normalised, folded and
 * classified once per analyzer and kept in a lazily filled 64K-entry
 * cache; code points beyond the BMP that the table does not cover are
 * computed each time.  After a CJK character a fast path took, the run of
 * Chinese text that follows (characters of three bytes: CJK as written,
 * the URO folded where no phrase rule begins, punctuation) is taken by
 * cjk_run, one loop without the general state's tests.
 * tok_create_reference's analyzer uses none of the last four (the tests
 * compare the two).  Tokens are built in fixed buffers: no allocation per
 * token.
 */
#include "tok.h"

#include <stdlib.h>
#include <string.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/uscript.h>
#include <unicode/utf16.h>

#include "fold.h"
#include "fz.h"

#ifndef TOK_GENERATOR
#include "gen/tok_table.h" /* tokt_index, tokt_blocks (tools/gentok.c) */
#endif

/* Code points kept from one code point's normalisation (U+FDFA gives 18;
 * the rest are cut, the same way for documents and queries). */
#define NORM_MAX 8

/* A unit: the code point in bits 0-20, its tok_class in bits 24-25. */
#define U_CP(u) ((u) & 0x1FFFFFu)
#define U_CLS(u) (((u) >> 24) & 3u)
#define U_MAKE(cp, cls) ((uint32_t)(cp) | ((uint32_t)(cls) << 24))

/* A BMP cache entry: 0 = not computed yet; else E_DONE with either one unit,
 * E_EMPTY (normalises away), or E_MULTI and an offset into pool, where
 * pool[off] is the count and the units follow. */
#define E_DONE 0x80000000u
#define E_MULTI 0x40000000u
#define E_EMPTY 0x20000000u
#define E_OFF(e) ((e) & 0xFFFFFFu)

/* An entry of the URO's table for cjk_run (uro_fill), for U+4E00 + i: 0 =
 * not filled yet; else U_DONE, the code point of the character's term at
 * the analyzer's level in bits 0-15 (its own when the level leaves it as
 * written, else its fold; of three bytes of UTF-8), U_RULE when a phrase
 * rule begins with it at this level, U_SLOW when cjk_run leaves it to the
 * general path. */
#define URO_N 0x5200u
#define U_DONE 0x80000000u
#define U_RULE 0x40000000u
#define U_SLOW 0x20000000u

struct tok_analyzer {
    tok_fold fold;
    unsigned fast;            /* the table's bit for this level; 0: no fast paths */
    const UNormalizer2 *nfkc; /* owned by ICU */
    uint32_t *bmp;            /* 0x10000 entries */
    uint32_t *uro;            /* URO_N entries (uro_fill), with the fast paths */
    uint32_t *pool;
    size_t pool_len, pool_cap;
};

/* ---- classification and folding of one code point ----------------------- */

tok_class tok_classify(uint32_t cp)
{
    if (cp < 0x80) {
        if ((cp | 0x20) - 'a' < 26u || cp - '0' < 10u)
            return TOK_C_WORD;
        if (cp == ' ' || (cp >= 9 && cp <= 13))
            return TOK_C_SPACE;
        return TOK_C_PUNCT;
    }
    if (cp - 0x4E00u < 0x5200u || cp == 0x3007 || cp == 0x30FC)
        return TOK_C_CJK;
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return TOK_C_PUNCT;
    UChar32 c = (UChar32)cp;
    if (u_isUWhiteSpace(c))
        return TOK_C_SPACE;
    UErrorCode st = U_ZERO_ERROR;
    UScriptCode sc = uscript_getScript(c, &st);
    if (U_SUCCESS(st) && (sc == USCRIPT_HAN || sc == USCRIPT_HIRAGANA ||
                          sc == USCRIPT_KATAKANA || sc == USCRIPT_HANGUL))
        return TOK_C_CJK;
    if (u_hasBinaryProperty(c, UCHAR_UNIFIED_IDEOGRAPH))
        return TOK_C_CJK;
    if (U_GET_GC_MASK(c) & (U_GC_L_MASK | U_GC_M_MASK | U_GC_ND_MASK))
        return TOK_C_WORD;
    return TOK_C_PUNCT;
}

static inline uint32_t fold_one(const tok_analyzer *a, uint32_t cp)
{
    switch (a->fold) {
    case TOK_FOLD_TS: return fold_ts(cp);
    case TOK_FOLD_VARIANTS: return fold_variant(cp);
    default: return cp;
    }
}

/* Normalises, folds and classifies cp with ICU; writes the units to out and
 * returns how many (0..NORM_MAX). */
static int compute(const tok_analyzer *a, uint32_t cp, uint32_t out[NORM_MAX])
{
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        cp = 0xFFFD;
    UChar src[2], dst[40];
    int32_t sl = 0;
    U16_APPEND_UNSAFE(src, sl, (UChar32)cp);
    UErrorCode st = U_ZERO_ERROR;
    int32_t dl = unorm2_normalize(a->nfkc, src, sl, dst, 40, &st);
    int n = 0;
    if (U_FAILURE(st)) { /* cannot happen for one code point; keep it as is */
        uint32_t f = fold_one(a, cp);
        out[n++] = U_MAKE(f, tok_classify(f));
        return n;
    }
    for (int32_t i = 0; i < dl && n < NORM_MAX;) {
        UChar32 c;
        U16_NEXT(dst, i, dl, c);
        uint32_t f = fold_one(a, (uint32_t)c);
        out[n++] = U_MAKE(f, tok_classify(f));
    }
    return n;
}

/* Fills the cache entry of a BMP code point; returns it, or 0 when out of
 * memory. */
static uint32_t fill(tok_analyzer *a, uint32_t cp)
{
    uint32_t u[NORM_MAX];
    int n = compute(a, cp, u);
    uint32_t e;
    if (n == 0) {
        e = E_DONE | E_EMPTY;
    } else if (n == 1) {
        e = E_DONE | u[0];
    } else {
        if (a->pool_len + (size_t)n + 1 > a->pool_cap) {
            size_t cap = a->pool_cap ? a->pool_cap * 2 : 1024;
            uint32_t *p = realloc(a->pool, cap * sizeof *p);
            if (!p)
                return 0;
            a->pool = p;
            a->pool_cap = cap;
        }
        if (a->pool_len > 0xFFFFFFu)
            return 0; /* cannot happen: at most 64K code points are cached */
        e = E_DONE | E_MULTI | (uint32_t)a->pool_len;
        a->pool[a->pool_len++] = (uint32_t)n;
        memcpy(a->pool + a->pool_len, u, (size_t)n * sizeof *u);
        a->pool_len += (size_t)n;
    }
    a->bmp[cp] = e;
    return e;
}

/* The units of cp, copied to out; returns their number, -1 when out of
 * memory.  Not a fast path: used for everything but ASCII and the URO. */
static int units(tok_analyzer *a, uint32_t cp, uint32_t out[NORM_MAX])
{
    if (cp >= 0x10000)
        return compute(a, cp, out);
    uint32_t e = a->bmp[cp];
    if (!e && !(e = fill(a, cp)))
        return -1;
    if (e & E_EMPTY)
        return 0;
    if (!(e & E_MULTI)) {
        out[0] = e & ~E_DONE;
        return 1;
    }
    const uint32_t *p = a->pool + E_OFF(e);
    memcpy(out, p + 1, (size_t)p[0] * sizeof *out);
    return (int)p[0];
}

int tok_fold_cp(tok_analyzer *a, uint32_t cp, uint32_t out[8])
{
    uint32_t u[NORM_MAX];
    int n;
    if (cp < 0x80) {
        u[0] = U_MAKE(cp - 'A' < 26u ? cp | 0x20 : cp, 0);
        n = 1;
    } else {
        n = units(a, cp, u);
        if (n < 0) { /* out of memory: compute without the cache */
            n = compute(a, cp, u);
        }
    }
    for (int i = 0; i < n; i++)
        out[i] = U_CP(u[i]);
    return n;
}

/* ---- analyzer ----------------------------------------------------------- */

static tok_analyzer *create(tok_fold fold, int fast, char *msg, size_t msglen)
{
    if (fold != TOK_FOLD_NONE && fold != TOK_FOLD_TS && fold != TOK_FOLD_VARIANTS) {
        fz_msg(msg, msglen, "unknown folding level %d", (int)fold);
        return NULL;
    }
    UErrorCode st = U_ZERO_ERROR;
    const UNormalizer2 *n = unorm2_getNFKCCasefoldInstance(&st);
    if (U_FAILURE(st) || !n) {
        fz_msg(msg, msglen, "ICU NFKC_Casefold normaliser: %s", u_errorName(st));
        return NULL;
    }
    tok_analyzer *a = calloc(1, sizeof *a);
    if (a) {
        a->bmp = calloc(0x10000, sizeof *a->bmp);
        a->uro = fast ? calloc(URO_N, sizeof *a->uro) : NULL;
    }
    if (!a || !a->bmp || (fast && !a->uro)) {
        if (a) {
            free(a->bmp);
            free(a->uro);
        }
        free(a);
        fz_msg(msg, msglen, "%s", fz_strerror(FZ_ENOMEM));
        return NULL;
    }
    a->fold = fold;
    a->fast = fast ? 4u << fold : 0;
    a->nfkc = n;
    return a;
}

tok_analyzer *tok_create(tok_fold fold, char *msg, size_t msglen)
{
#ifdef TOK_GENERATOR
    return create(fold, 0, msg, msglen); /* tools/gentok: there is no table yet */
#else
    return create(fold, 1, msg, msglen);
#endif
}

tok_analyzer *tok_create_reference(tok_fold fold, char *msg, size_t msglen)
{
    return create(fold, 0, msg, msglen);
}

void tok_destroy(tok_analyzer *a)
{
    if (!a)
        return;
    free(a->bmp);
    free(a->uro);
    free(a->pool);
    free(a);
}

tok_fold tok_get_fold(const tok_analyzer *a) { return a->fold; }

/* Decodes the code point at p[i..len) into *cp and returns its length, -1
 * for an invalid byte: most three-byte sequences here (fz_utf8_plain3),
 * the rest by fz_utf8_decode. */
static inline int decode(const unsigned char *p, size_t len, size_t i, uint32_t *cp)
{
    if (fz_utf8_plain3(p + i, len - i)) {
        *cp = fz_utf8_plain3_cp(p + i);
        return 3;
    }
    return fz_utf8_decode(p + i, len - i, cp);
}

/* Whether a phrase rule may begin at cp, whose bytes end at p[end]: the
 * table's filter of the rules' first two characters (every rule has two
 * or more) has the pair of cp and the character that follows.  0 means
 * that no rule begins there. */
static inline int pair_may_begin(uint32_t cp, const unsigned char *p, size_t len, size_t end)
{
#ifdef TOK_GENERATOR
    (void)cp, (void)p, (void)len, (void)end;
    return 1;
#else
    uint32_t next;
    if (end >= len || decode(p, len, end, &next) < 0)
        return 0;
    uint32_t h = TOKT_PAIR_HASH(cp, next), b1 = TOKT_PAIR_BIT1(h), b2 = TOKT_PAIR_BIT2(h);
    return (tokt_pairs[b1 / 8] >> (b1 % 8) & 1) && (tokt_pairs[b2 / 8] >> (b2 % 8) & 1);
#endif
}

/* Whether the analysis at a's level leaves cp, whose bytes end at p[end],
 * as written (the table of tools/gentok.c, and for a character that
 * begins a phrase rule, its filter of the rules' first two characters
 * says no rule begins here): its class + 1, else 0.  The caller checks
 * that no matched phrase is pending. */
static inline unsigned as_written(const tok_analyzer *a, uint32_t cp, const unsigned char *p, size_t len,
                                  size_t end)
{
#ifdef TOK_GENERATOR
    (void)a, (void)cp, (void)p, (void)len, (void)end;
    return 0;
#else
    if (cp >= TOKT_LIMIT)
        return 0;
    unsigned e = tokt_blocks[(size_t)tokt_index[cp >> TOKT_SHIFT] << TOKT_SHIFT | (cp & ((1u << TOKT_SHIFT) - 1))];
    if (!(e & a->fast))
        return 0;
    if ((e & TOKT_PHRASE) && a->fold != TOK_FOLD_NONE && pair_may_begin(cp, p, len, end))
        return 0; /* a rule may begin here */
    return (e & 3u) + 1;
#endif
}

/* ---- segmentation ------------------------------------------------------- */

struct run {
    tok_emit_fn emit;
    tok_run_fn run; /* tok_analyze_runs: cjk_run's tokens, in batches */
    void *ctx;
    int places;   /* tok_places: no bigrams, CJK terms as written */
    uint32_t pos; /* the next position to give out */
    int gap;      /* punctuation since the last token */
    int any;      /* a token was emitted */
    /* The previous CJK character of the current run (for the bigram). */
    int have_prev;
    uint32_t prev_len, prev_start, prev_pos;
    char prev[4];
    /* The word being built. */
    int in_word, word_full;
    uint32_t word_len, word_start, word_end, word_last;
    char word[TOK_TERM_MAX];
};

static inline uint32_t take_pos(struct run *s)
{
    if (s->gap) {
        s->pos++;
        s->gap = 0;
    }
    s->any = 1;
    return s->pos++;
}

static int word_flush(struct run *s)
{
    tok_token t;
    s->in_word = 0;
    t.term = s->word;
    t.term_len = s->word_len;
    t.pos = take_pos(s);
    t.start = s->word_start;
    t.end = s->word_end;
    t.kind = TOK_WORD;
    return s->emit(s->ctx, &t);
}

static inline void word_add(struct run *s, uint32_t cp, uint32_t start, uint32_t end)
{
    if (!s->in_word) {
        s->in_word = 1;
        s->word_full = 0;
        s->word_len = 0;
        s->word_start = start;
        s->have_prev = 0; /* a word ends a CJK run */
    }
    s->word_end = end;
    s->word_last = cp;
    if (s->word_full)
        return;
    if (cp < 0x80 && s->word_len < TOK_TERM_MAX) {
        s->word[s->word_len++] = (char)cp;
        return;
    }
    char b[4];
    int n = fz_utf8_encode(cp, b);
    if (s->word_len + (uint32_t)n > TOK_TERM_MAX) {
        s->word_full = 1; /* cut here, at a character boundary */
        return;
    }
    memcpy(s->word + s->word_len, b, (size_t)n);
    s->word_len += (uint32_t)n;
}

/* Copies one character's UTF-8 (n = 1..4 bytes) without a call: memcpy
 * of a length not known here is a call into the C library, once or twice
 * for every CJK character. */
static inline void put_char(char *to, const char *from, uint32_t n)
{
    to[0] = from[0];
    if (n > 1)
        to[1] = from[1];
    if (n > 2)
        to[2] = from[2];
    if (n > 3)
        to[3] = from[3];
}

/* A CJK character whose folded form is the n bytes of UTF-8 at cur.
 * Inlined by force: as a call it cost the analysis a prologue and an
 * epilogue for every character (3 % of its instructions). */
static inline __attribute__((always_inline)) int cjk_utf8(struct run *s, const char *cur, uint32_t n, uint32_t start, uint32_t end)
{
    int rc;
    if (s->in_word && (rc = word_flush(s)) != 0)
        return rc;
    tok_token t;
    char bi[8];
    uint32_t pos = take_pos(s);
    if (s->have_prev && !s->places) {
        memcpy(bi, s->prev, sizeof s->prev); /* prev_len bytes of it count */
        put_char(bi + s->prev_len, cur, n);
        t.term = bi;
        t.term_len = s->prev_len + n;
        t.pos = s->prev_pos;
        t.start = s->prev_start;
        t.end = end;
        t.kind = TOK_BI;
        if ((rc = s->emit(s->ctx, &t)) != 0)
            return rc;
    }
    t.term = cur;
    t.term_len = n;
    t.pos = pos;
    t.start = start;
    t.end = end;
    t.kind = TOK_UNI;
    if ((rc = s->emit(s->ctx, &t)) != 0)
        return rc;
    s->have_prev = 1;
    put_char(s->prev, cur, n);
    s->prev_len = n;
    s->prev_start = start;
    s->prev_pos = pos;
    return 0;
}

#ifndef TOK_GENERATOR
/* Fills and returns the entry of the URO character cp in a->uro (URO_N):
 * its term as the general path gives it where no phrase rule matches --
 * as written when the table's bit for the level says so, else fold_ts
 * and at TOK_FOLD_VARIANTS fold_variant of it, as fold_in_text folds a
 * character where no rule begins -- and whether a rule may begin with it
 * (TOKT_PHRASE, exact for the URO since every level or none leaves each
 * of it as written).  A character the table does not cover, or whose
 * fold is not of three bytes that fz_utf8_plain3 takes (U+1000..U+FFFF
 * but U+D000..U+DFFF: tok_cjk's), is left to the general path. */
static uint32_t uro_fill(tok_analyzer *a, uint32_t cp)
{
    unsigned e = tokt_blocks[(size_t)tokt_index[cp >> TOKT_SHIFT] << TOKT_SHIFT | (cp & ((1u << TOKT_SHIFT) - 1))];
    uint32_t r = cp, v = U_DONE;
    if (!(e & a->fast)) {
        if (!e || a->fold == TOK_FOLD_NONE) /* neither happens in the URO */
            v |= U_SLOW;
        r = fold_ts(cp);
        if (a->fold == TOK_FOLD_VARIANTS)
            r = fold_variant(r);
    }
    if (r - 0x1000u >= 0x10000u - 0x1000u || r >> 12 == 0xD)
        v |= U_SLOW; /* not of three bytes that fz_utf8_plain3 takes (tok_cjk) */
    if ((e & TOKT_PHRASE) && a->fold != TOK_FOLD_NONE)
        v |= U_RULE;
    v |= r & 0xFFFFu;
    a->uro[cp - 0x4E00u] = v;
    return v;
}
#endif

/* The rest of a run of Chinese text from p[i] on, right after a CJK
 * character that a fast path gave cjk_utf8: no word is open, no gap is
 * pending, no phrase is matched and s->prev holds that character.  Takes
 * characters of three bytes while each is one of
 *   - a character of the URO, its term from a->uro (uro_fill: as written
 *     or folded at the level; for places its bytes), unless a phrase rule
 *     begins with it and the table's filter of the rules' first two
 *     characters has it and the character after it (pair_may_begin; here
 *     the filter is read for every character, and a next character that
 *     is not of three bytes counts as passing it, so that the only branch
 *     on it is on the rare pass);
 *   - another CJK character the table leaves as written (its bytes are
 *     its term), with as_written's test of the phrase rules;
 *   - punctuation the table leaves as written, or that the cache of the
 *     BMP has as one unit of punctuation: a gap, as punct gives;
 * and emits the tokens of each as cjk_utf8 would, without its tests of
 * the state; with s->run (tok_analyze_runs) and s->prev of three bytes
 * that fz_utf8_plain3 takes (as every character cjk_run takes), it gathers the characters in cj (tok_cjk, cj[0] the one before) and
 * hands them to s->run when TOK_RUN_MAX are gathered and at the run's
 * end, before any other token.  Returns where the run ends, at the first
 * character it does not take, which analyze's loop takes the general way;
 * or with *rc set, where an emit failed. */
static inline __attribute__((always_inline)) size_t cjk_run(tok_analyzer *a, struct run *s,
                                                            const unsigned char *p, size_t len, size_t i,
                                                            const int places, int *rc)
{
#ifdef TOK_GENERATOR
    (void)a, (void)s, (void)p, (void)len, (void)places, (void)rc;
    return i;
#else
    uint32_t pos = s->pos;
    int gap = 0, have_prev = 1;
    tok_token t;
    /* batches for s->run: cj[0..nb) */
    const int batch = !places && s->run && s->prev_len == 3 && fz_utf8_plain3((const unsigned char *)s->prev, 3);
    tok_cjk cj[TOK_RUN_MAX];
    size_t nb = 1;
    uint32_t last_start = s->prev_start;
    if (batch) {
        cj[0].cp = fz_utf8_plain3_cp((const unsigned char *)s->prev);
        cj[0].pos = s->prev_pos;
    }
    /* each character is decoded once: the next one (ok, nx) is read ahead */
    int ok = fz_utf8_plain3(p + i, len - i);
    uint32_t nx = ok ? fz_utf8_plain3_cp(p + i) : 0;
    while (ok) {
        uint32_t cp = nx, end = (uint32_t)i + 3;
        ok = fz_utf8_plain3(p + end, len - end);
        nx = ok ? fz_utf8_plain3_cp(p + end) : 0;
        const char *cur = (const char *)p + i;
        char f[4];
        uint32_t term = cp; /* its term's code point */
        if (cp - 0x4E00u < URO_N) {
            if (!places) {
                uint32_t v = a->uro[cp - 0x4E00u];
                if (!v)
                    v = uro_fill(a, cp);
                /* the pair filter, read whether or not a rule begins here */
                uint32_t pass;
                if (ok) {
                    uint32_t h = TOKT_PAIR_HASH(cp, nx);
                    /* the next character's entry, read after this one's
                     * tokens: a miss in 84 KB without it */
                    __builtin_prefetch(a->uro + (nx - 0x4E00u < URO_N ? nx - 0x4E00u : 0));
                    pass = tokt_pairs[TOKT_PAIR_BIT1(h) / 8] >> (TOKT_PAIR_BIT1(h) % 8) &
                           tokt_pairs[TOKT_PAIR_BIT2(h) / 8] >> (TOKT_PAIR_BIT2(h) % 8) & 1u;
                } else {
                    pass = end < len; /* perhaps: the general path decides */
                }
                if ((v & U_SLOW) || ((uint32_t)((v & U_RULE) != 0) & pass))
                    break;
                term = v & 0xFFFFu;
                if (!batch) {
                    f[0] = (char)(0xE0u | term >> 12);
                    f[1] = (char)(0x80u | (term >> 6 & 0x3Fu));
                    f[2] = (char)(0x80u | (term & 0x3Fu));
                    cur = f;
                }
            }
        } else {
            unsigned e = tokt_blocks[(size_t)tokt_index[cp >> TOKT_SHIFT] << TOKT_SHIFT | (cp & ((1u << TOKT_SHIFT) - 1))];
            if (!(e & a->fast)) {
                /* punctuation that normalises to one punctuation unit
                 * (，！？： to ASCII), as the cache has it once the general
                 * path met it: a gap too */
                uint32_t b = a->bmp[cp];
                if ((b & (E_DONE | E_MULTI | E_EMPTY)) != E_DONE || U_CLS(b) != TOK_C_PUNCT)
                    break;
                gap = 1;
                have_prev = 0;
                i = end;
                continue;
            }
            if ((e & TOKT_PHRASE) && a->fold != TOK_FOLD_NONE && pair_may_begin(cp, p, len, end))
                break; /* a rule may begin here */
            if ((e & 3u) == TOK_C_PUNCT) {
                gap = 1;
                have_prev = 0;
                i = end;
                continue;
            }
            if ((e & 3u) != TOK_C_CJK)
                break;
        }
        if (gap) {
            pos++;
            gap = 0;
        }
        if (batch) {
            if (nb == TOK_RUN_MAX) {
                if ((*rc = s->run(s->ctx, cj, nb)) != 0)
                    return i;
                cj[0].cp = cj[nb - 1].cp & ~TOK_CJK_JOIN;
                cj[0].pos = cj[nb - 1].pos;
                nb = 1;
            }
            cj[nb].cp = term | (have_prev ? TOK_CJK_JOIN : 0);
            cj[nb].pos = pos++;
            nb++;
            last_start = (uint32_t)i;
            have_prev = 1;
            i = end;
            continue;
        }
        if (have_prev && !places) {
            char bi[8];
            memcpy(bi, s->prev, sizeof s->prev); /* prev_len bytes of it count */
            memcpy(bi + s->prev_len, cur, 3);
            t.term = bi;
            t.term_len = s->prev_len + 3;
            t.pos = s->prev_pos;
            t.start = s->prev_start;
            t.end = end;
            t.kind = TOK_BI;
            if ((*rc = s->emit(s->ctx, &t)) != 0)
                return i;
        }
        t.term = cur;
        t.term_len = 3;
        t.pos = pos;
        t.start = (uint32_t)i;
        t.end = end;
        t.kind = TOK_UNI;
        if ((*rc = s->emit(s->ctx, &t)) != 0)
            return i;
        memcpy(s->prev, cur, 3);
        s->prev_len = 3;
        s->prev_start = (uint32_t)i;
        s->prev_pos = pos++;
        have_prev = 1;
        i = end;
    }
    if (batch && nb > 1) {
        if ((*rc = s->run(s->ctx, cj, nb)) != 0)
            return i;
        /* the last character is the one before what follows */
        uint32_t c = cj[nb - 1].cp & ~TOK_CJK_JOIN;
        s->prev[0] = (char)(0xE0u | c >> 12);
        s->prev[1] = (char)(0x80u | (c >> 6 & 0x3Fu));
        s->prev[2] = (char)(0x80u | (c & 0x3Fu));
        s->prev_start = last_start;
        s->prev_pos = cj[nb - 1].pos;
    }
    s->pos = pos;
    s->gap = gap;
    s->have_prev = have_prev;
    return i;
#endif
}

static inline int cjk(struct run *s, uint32_t cp, uint32_t start, uint32_t end)
{
    char cur[4];
    return cjk_utf8(s, cur, (uint32_t)fz_utf8_encode(cp, cur), start, end);
}

static inline int punct(struct run *s)
{
    int rc = s->in_word ? word_flush(s) : 0;
    s->have_prev = 0;
    if (s->any)
        s->gap = 1;
    return rc;
}

/* A space ends a word and a CJK run, and takes no position. */
static inline int space(struct run *s)
{
    int rc = s->in_word ? word_flush(s) : 0;
    s->have_prev = 0;
    return rc;
}

/* One normalised, folded code point c of class cls from the source bytes
 * [start, end); '.' between digits is the caller's. */
static inline int unit(struct run *s, uint32_t c, unsigned cls, uint32_t start, uint32_t end)
{
    switch (cls) {
    case TOK_C_CJK:
        return cjk(s, c, start, end);
    case TOK_C_WORD:
        word_add(s, c, start, end);
        return 0;
    case TOK_C_SPACE:
        return space(s);
    default:
        return punct(s);
    }
}

static inline int is_digit(uint32_t cp)
{
    if (cp < 0x80)
        return cp - '0' < 10u;
    return u_charType((UChar32)cp) == U_DECIMAL_DIGIT_NUMBER;
}

/* Is the first unit of the code point at p[i..len) a decimal digit?
 * Returns 1, 0, or -1 when out of memory. */
static int next_is_digit(tok_analyzer *a, const unsigned char *p, size_t len, size_t i)
{
    if (i >= len)
        return 0;
    if (p[i] < 0x80)
        return (unsigned)p[i] - '0' < 10u;
    uint32_t cp, u[NORM_MAX];
    if (fz_utf8_decode(p + i, len - i, &cp) < 0)
        return 0;
    int n = units(a, cp, u);
    if (n < 0)
        return -1;
    return n > 0 && is_digit(U_CP(u[0]));
}

/* Phrase rules (fold.h): the results still to be used for the characters
 * of a matched key after its first. */
struct phrase_state {
    const uint32_t *val;
    size_t n, at;
};

/* The folded form of the CJK character cp whose bytes end at text offset
 * next, with ICU's phrase rules: a pending result when inside a matched
 * key, else the first rule beginning with cp whose key matches the text
 * that follows, else cp folded on its own.  fold is TS or VARIANTS.  The
 * rules are searched only where the table's pair filter says one may
 * begin (pair_may_begin): for most characters it says none does. */
static uint32_t fold_in_text(tok_fold fold, struct phrase_state *ph, const unsigned char *p,
                             size_t len, size_t next, uint32_t cp)
{
    uint32_t r = cp;
    size_t first, nr;
    if (ph->at < ph->n) {
        r = ph->val[ph->at++];
    } else if (pair_may_begin(cp, p, len, next) && (nr = fold_phrases(cp, &first)) != 0) {
        r = fold_ts(cp); /* unless a rule matches */
        for (size_t j = first; j < first + nr; j++) {
            const uint32_t *key, *val;
            size_t kl = fold_phrase(j, &key, &val), m = 1, q = next;
            for (; m < kl && q < len; m++) {
                uint32_t c;
                int k = fz_utf8_decode(p + q, len - q, &c);
                if (k < 0 || c != key[m])
                    break;
                q += (size_t)k;
            }
            if (m == kl) {
                ph->val = val + 1;
                ph->n = kl - 1;
                ph->at = 0;
                r = val[0];
                break;
            }
        }
    } else {
        r = fold_ts(cp);
    }
    return fold == TOK_FOLD_VARIANTS ? fold_variant(r) : r;
}

/* tok_analyze, or with places set tok_places: a CJK character's folding
 * (fold_in_text) is skipped, which changes its term only (one CJK
 * character in, one out: the phrase rules map keys to values of the same
 * length), never its class, position or bytes; the path a character takes
 * (the table, the URO's, the general one) gives it the same class. */
static inline int analyze(tok_analyzer *a, const char *text, size_t len, uint32_t pos_base, tok_emit_fn emit,
                          tok_run_fn run, void *ctx, uint32_t *next_pos, const int places)
{
    if (len > UINT32_MAX)
        return FZ_ELIMIT;
    struct run s;
    memset(&s, 0, sizeof s);
    s.emit = emit;
    s.run = run;
    s.ctx = ctx;
    s.places = places;
    s.pos = pos_base;
    const unsigned char *p = (const unsigned char *)text;
    const tok_fold fold = a->fold;
    struct phrase_state ph = {NULL, 0, 0};
    size_t i = 0;
    int rc = 0;
    while (i < len) {
        unsigned c0 = p[i];
        if (c0 < 0x80) {
            uint32_t at = (uint32_t)i;
            if ((c0 | 0x20) - 'a' < 26u) {
                word_add(&s, c0 | 0x20, at, at + 1);
            } else if (c0 - '0' < 10u) {
                word_add(&s, c0, at, at + 1);
            } else if (c0 == ' ' || (c0 >= 9 && c0 <= 13)) {
                rc = space(&s);
            } else if (c0 == '.' && s.in_word && is_digit(s.word_last)) {
                int d = next_is_digit(a, p, len, i + 1); /* '.' inside 1111.49 */
                if (d < 0)
                    return FZ_ENOMEM;
                if (d)
                    word_add(&s, '.', at, at + 1);
                else
                    rc = punct(&s);
            } else {
                rc = punct(&s);
            }
            if (rc)
                return rc;
            i++;
            continue;
        }
        uint32_t cp, u[NORM_MAX];
        int k = decode(p, len, i, &cp);
        if (k < 0) { /* an invalid byte: a separator, like U+FFFD */
            if ((rc = punct(&s)) != 0)
                return rc;
            i++;
            continue;
        }
        uint32_t start = (uint32_t)i, end = (uint32_t)(i + (size_t)k);
        if (a->fast) {
            /* Left as written at this level (and not inside a phrase): the
             * table's class decides. */
            unsigned w = ph.at >= ph.n ? as_written(a, cp, p, len, end) : 0;
            if (w) {
                if (w - 1 != TOK_C_CJK) { /* never '.', which is ASCII */
                    if ((rc = unit(&s, cp, w - 1, start, end)) != 0)
                        return rc;
                    i = end;
                    continue;
                }
                /* as written: its folded form is its bytes; then the
                 * run of Chinese text that follows */
                if ((rc = cjk_utf8(&s, (const char *)p + i, (uint32_t)k, start, end)) != 0)
                    return rc;
                i = cjk_run(a, &s, p, len, end, places, &rc);
                if (rc)
                    return rc;
                continue;
            }
            /* The URO: NFKC leaves it alone; only folding may change it. */
            if (cp - 0x4E00u < 0x5200u) {
                if (places)
                    rc = cjk_utf8(&s, (const char *)p + i, (uint32_t)k, start, end);
                else if (fold != TOK_FOLD_NONE)
                    rc = cjk(&s, fold_in_text(fold, &ph, p, len, end, cp), start, end);
                else
                    rc = cjk(&s, cp, start, end);
                if (rc)
                    return rc;
                i = end;
                if (ph.at >= ph.n && (i = cjk_run(a, &s, p, len, i, places, &rc), rc))
                    return rc;
                continue;
            }
        }
        /* Everything else: the general path. */
        int n = units(a, cp, u);
        if (n < 0)
            return FZ_ENOMEM;
        size_t first;
        if (n == 1 && fold != TOK_FOLD_NONE && !places && U_CLS(u[0]) == TOK_C_CJK &&
            (ph.at < ph.n || fold_phrases(cp, &first)))
            u[0] = U_MAKE(fold_in_text(fold, &ph, p, len, end, cp), TOK_C_CJK);
        for (int j = 0; j < n; j++) {
            uint32_t c = U_CP(u[j]);
            if (c == '.' && s.in_word && is_digit(s.word_last)) { /* '.' inside 1111.49 */
                int d = j + 1 < n ? is_digit(U_CP(u[j + 1])) : next_is_digit(a, p, len, end);
                if (d < 0)
                    return FZ_ENOMEM;
                if (d) {
                    word_add(&s, '.', start, end);
                    continue;
                }
            }
            if ((rc = unit(&s, c, U_CLS(u[j]), start, end)) != 0)
                return rc;
        }
        i = end;
    }
    if (s.in_word && (rc = word_flush(&s)) != 0)
        return rc;
    if (next_pos)
        *next_pos = s.pos + (s.gap ? 1 : 0);
    return 0;
}

int tok_analyze(tok_analyzer *a, const char *text, size_t len, uint32_t pos_base,
                tok_emit_fn emit, void *ctx, uint32_t *next_pos)
{
    return analyze(a, text, len, pos_base, emit, NULL, ctx, next_pos, 0);
}

int tok_analyze_runs(tok_analyzer *a, const char *text, size_t len, uint32_t pos_base,
                     tok_emit_fn emit, tok_run_fn run, void *ctx, uint32_t *next_pos)
{
    return analyze(a, text, len, pos_base, emit, run, ctx, next_pos, 0);
}

int tok_places(tok_analyzer *a, const char *text, size_t len, uint32_t pos_base,
               tok_emit_fn emit, void *ctx, uint32_t *next_pos)
{
    return analyze(a, text, len, pos_base, emit, NULL, ctx, next_pos, 1);
}
