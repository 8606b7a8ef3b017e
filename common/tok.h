/*
 * tok.h -- text analysis: one code path for documents and queries.
 *
 * Callers: the indexer (every entry's title, body and metadata fields), the
 * searcher's query compiler (the text of each query term) and the snippet
 * maker (to map token positions back to byte offsets of the stored text).
 *
 * Pipeline for each code point of the UTF-8 input:
 *   1. decode UTF-8; an invalid byte (bad lead or continuation byte,
 *      overlong, surrogate, > U+10FFFF, truncated sequence) is one
 *      separator byte that acts like punctuation (as U+FFFD would): no
 *      token, no crash;
 *   2. normalise with NFKC plus case folding (ICU's NFKC_Casefold, applied
 *      one code point at a time; an expansion such as U+2460 -> "1" keeps
 *      the source byte range of the code point it came from, and is cut to
 *      8 code points); fast paths for ASCII, for code points that a
 *      table generated at build time (tools/gentok.c) marks as left as
 *      written at the analyzer's level (no ICU, no fold lookups), and for
 *      the URO block U+4E00..U+9FFF, which NFKC leaves alone;
 *   3. fold (fold.h): none, traditional -> simplified, or that plus variant
 *      characters to one representative.  Folding is per code point, except
 *      inside the phrases of ICU's transliterator rules (沈澱 -> 沉淀 while
 *      沈 stays; 祇有 -> 只有): at a CJK character that begins such a
 *      phrase, the characters that follow in the text (as written, nothing
 *      between them) are compared with the rule's key, and on a match each
 *      character of the key becomes the character of the rule's result, one
 *      for one, so positions and byte ranges are unchanged.  A text thus
 *      folds as `uconv -x Traditional-Simplified` folds it (except a CJK
 *      compatibility ideograph inside such a phrase); tok_fold_cp, for one
 *      code point alone, applies no phrase rule;
 *   4. classify: CJK (Han script or Unified_Ideograph, U+3007, hiragana,
 *      katakana incl. U+30FC, hangul), word character (letters, marks,
 *      decimal digits), space (White_Space, incl. U+3000), or punctuation
 *      (everything else, including symbols and unassigned code points).
 * Segmentation and positions:
 *   - every CJK character takes one position and yields a unigram token
 *     (TOK_UNI); when the next CJK character follows in the same run it also
 *     yields a bigram token (TOK_BI) at the same position.  A space ends a
 *     run (no bigram across it: 望江南 風角 has no 南風) but takes no
 *     position, so a phrase of words and characters still matches across
 *     the spaces OCR puts between digits and characters (2017 年 9 月);
 *     code points that normalise to nothing (U+200B, U+00AD) are invisible;
 *   - a maximal run of word characters is one TOK_WORD token with one
 *     position; '.' between two decimal digits stays inside the word
 *     (1111.49, also full-width １１．５); terms longer than TOK_TERM_MAX
 *     bytes are cut at a character boundary (start/end still cover the
 *     whole word);
 *   - a run of punctuation (spaces inside it included) ends a CJK run and
 *     adds one empty position after the token before it, so phrases never
 *     match across punctuation; punctuation before the first token adds
 *     nothing;
 *   - a word ends a CJK run and vice versa (no bigram across them).
 * Tokens come out in position order, a unigram before the bigram at the
 * same position.  start/end are byte offsets into the caller's input,
 * covering the original characters (before normalisation and folding); a
 * bigram runs from its first character's start to its second's end.
 */
#ifndef TOK_H
#define TOK_H

#include <stddef.h>
#include <stdint.h>

#define TOK_TERM_MAX 64

typedef enum { TOK_FOLD_NONE = 0, TOK_FOLD_TS = 1, TOK_FOLD_VARIANTS = 2 } tok_fold;
typedef enum { TOK_UNI = 1, TOK_BI = 2, TOK_WORD = 3 } tok_kind;

typedef struct {
    const char *term; /* folded UTF-8, not NUL-terminated; valid during the callback */
    uint32_t term_len;
    uint32_t pos;     /* position (pos_base + n) */
    uint32_t start;   /* byte offset of the first original byte */
    uint32_t end;     /* byte offset just past the last original byte */
    tok_kind kind;
} tok_token;

/* Return 0 to go on; any other value stops tok_analyze, which returns it. */
typedef int (*tok_emit_fn)(void *ctx, const tok_token *t);

typedef struct tok_analyzer tok_analyzer;

/* Creates an analyzer folding at the given level.  Returns NULL and writes
 * msg when ICU's normaliser cannot be had, the level is unknown or memory
 * runs out.  Cheap (no transliterator is opened: folding uses tables
 * generated at build time; the 256 KB cache of normalised BMP code points
 * and the 84 KB one of the URO's terms are filled lazily).  One analyzer
 * per thread: tok_analyze and tok_fold_cp fill those caches.  Free it
 * with tok_destroy. */
tok_analyzer *tok_create(tok_fold fold, char *msg, size_t msglen);
/* The same analysis without its fast paths but ASCII's: every other code
 * point goes through ICU's normaliser (cached for the BMP as above) and the
 * fold functions of fold.h, the path the table is generated from.  Gives
 * exactly the tokens tok_create's analyzer gives, more slowly: the
 * reference that tests/unit/test_tok.c compares the fast paths with.
 * Returns and errors as tok_create; free it with tok_destroy. */
tok_analyzer *tok_create_reference(tok_fold fold, char *msg, size_t msglen);
void tok_destroy(tok_analyzer *a); /* NULL is safe */
tok_fold tok_get_fold(const tok_analyzer *a);

/* Analyses text[0..len) and calls emit for each token, positions starting
 * at pos_base.  *next_pos (may be NULL) receives the position after the
 * last token (one more than the last token's pos, plus one if the text
 * ended in punctuation; pos_base when there was no token) -- callers start
 * the next field there + 1.  text may be NULL when len is 0.
 * Returns 0, FZ_ENOMEM, FZ_ELIMIT (len > UINT32_MAX: offsets are 32-bit),
 * or the first non-zero value of emit (then *next_pos is not set). */
int tok_analyze(tok_analyzer *a, const char *text, size_t len, uint32_t pos_base,
                tok_emit_fn emit, void *ctx, uint32_t *next_pos);
/* A run of CJK characters as tok_analyze_runs hands it over: c[0] is the
 * character just before the run's first (its tokens were given already),
 * c[1..n) the run's characters in order.  Each cp is the character's
 * term, folded at the analyzer's level: a BMP code point of three bytes of
 * UTF-8 that fz_utf8_plain3 takes (U+1000..U+FFFF but U+D000..U+DFFF),
 * with TOK_CJK_JOIN set when a
 * bigram joins it to the element before it (no punctuation between). */
typedef struct {
    uint32_t cp;  /* the code point, | TOK_CJK_JOIN */
    uint32_t pos; /* its position */
} tok_cjk;
#define TOK_CJK_JOIN 0x80000000u
/* The tokens of c[1..n): for each k in order, when c[k].cp has
 * TOK_CJK_JOIN the bigram (TOK_BI) of c[k-1] and c[k] at c[k-1].pos, then
 * the unigram (TOK_UNI) of c[k] at c[k].pos.  n >= 2.  c is valid during
 * the call.  Return 0 to go on; any other value stops the analysis, which
 * returns it. */
typedef int (*tok_run_fn)(void *ctx, const tok_cjk *c, size_t n);
/* tok_analyze, but the tokens of runs of Chinese text that its fast path
 * takes (most CJK characters of a text) go to run in batches of up to
 * TOK_RUN_MAX characters instead of one call of emit a token: the same
 * tokens in the same order, interleaved with emit's as tok_analyze gives
 * them, without their byte ranges (a caller that needs start and end uses
 * tok_analyze).  For the indexer's router: one call where there were two
 * a character.  Returns as tok_analyze. */
#define TOK_RUN_MAX 256
int tok_analyze_runs(tok_analyzer *a, const char *text, size_t len, uint32_t pos_base,
                     tok_emit_fn emit, tok_run_fn run, void *ctx, uint32_t *next_pos);
/* Where tok_analyze's tokens are, for a caller that needs no terms (the
 * searcher placing a hit's matches in its text): the same calls and
 * results but that it gives no bigrams (TOK_BI) and a CJK character's
 * term is its bytes as written, not folded; every other token, position,
 * byte range and *next_pos as tok_analyze gives them.  Cheaper: no
 * folding, half the calls of emit in CJK text. */
int tok_places(tok_analyzer *a, const char *text, size_t len, uint32_t pos_base,
               tok_emit_fn emit, void *ctx, uint32_t *next_pos);

/* Class of a code point after normalisation, as used above.  Thread-safe;
 * calls ICU for code points outside ASCII and the URO. */
typedef enum { TOK_C_SPACE = 0, TOK_C_PUNCT = 1, TOK_C_WORD = 2, TOK_C_CJK = 3 } tok_class;
tok_class tok_classify(uint32_t cp);

/* Normalises and folds one code point at the analyzer's level, exactly as
 * tok_analyze does; writes up to 8 code points to out and returns how many
 * (0 when it normalises away).  A surrogate or a value > U+10FFFF is
 * treated as U+FFFD. */
int tok_fold_cp(tok_analyzer *a, uint32_t cp, uint32_t out[8]);

#endif
