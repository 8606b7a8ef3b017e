/*
 * genfold.c -- writes the character folding tables (the contract is
 * common/fold.h) as C source on stdout.
 *
 *   genfold [-v] DIR > fold_table.c
 *
 * DIR holds the inputs as text: Unihan_Variants.txt, Unihan_OtherMappings.txt,
 * Unihan_DictionaryIndices.txt, Unihan_Readings.txt (unicode-data, unpacked
 * with bzcat) and TSCharacters.txt, TWVariants(Rev).txt, HKVariants(Rev).txt,
 * JPVariants(Rev).txt, JPShinjitaiCharacters.txt (opencc's .ocd2 files
 * dumped with opencc_dict).  Run by the Makefile at build time, which makes
 * DIR; a missing file stops genfold with its name.  -v prints what was merged
 * and why to stderr (for reviewing the variant classes).  Output is
 * deterministic: it depends only on the ICU data and those files (every
 * input is sorted and deduplicated before use).
 *
 * 1. Traditional -> simplified (fold_ts).  ICU's "Traditional-Simplified"
 *    transliterator is applied to every code point of U+3400..U+4DBF,
 *    U+4E00..U+9FFF, U+F900..U+FAFF and U+20000..U+3134F on its own; a
 *    mapping is recorded when the output is exactly one code point and
 *    differs from the input.
 *
 *    Is ICU's transliterator purely per-character?  No.  genfold checks it
 *    every time it runs, two ways, and writes the verdict into the generated
 *    file:
 *    - all those code points concatenated in code point order and
 *      transliterated at once give exactly the per-character results (ICU
 *      72: 0 differences), but that order never puts a word together;
 *    - ICU's own rules (utrans_toRules) hold 976 phrase rules next to the
 *      single-character ones; transliterating each phrase at once, 169 (ICU
 *      72) give something other than the per-character table: 沈澱 -> 沉淀
 *      and 沈默 -> 沉默 but 沈 -> 沈; 著名/顯著/著作 keep 著 but 著 -> 着;
 *      畫分 -> 划分 but 畫 -> 画; 乾坤 keeps 乾 but 乾 -> 干; 五嶽 -> 五岳,
 *      祇有 -> 只有, 項鍊 -> 项链, 甚麼 -> 什么, ...
 *    So besides the per-character table genfold writes every phrase rule
 *    (key, and ICU's result for the key transliterated at once), in ICU's
 *    order, and the analyser applies them in running text (tok.h): a text
 *    then folds as `uconv -x Traditional-Simplified` folds it (tested rule
 *    by rule, and all rules run together, against ICU in
 *    tests/unit/test_tok.c), for documents and queries alike.  Kept only
 *    when key and result have the same number of code points, all Unified
 *    Ideographs that NFKC leaves alone (ICU 72: all 976; the count is in
 *    the header).  「」 -> “”, which T-S also maps, is punctuation for the
 *    analyser either way.
 *    ICU's per-character mapping is not idempotent in one place: 苎 U+82CE
 *    and 苧 U+82E7 map to each other (and 薴 U+85B4 to 苧); fold_ts keeps
 *    ICU's answers, fold_variant puts all three in one class (rep 苎).
 *    Any multi-code-point output would be left out of the table and is
 *    counted in the header (ICU 72: none).
 *
 * 2. Variants (fold_variant = rep(fold_ts(cp))).  Edges come from Unihan's
 *    kSemanticVariant and kZVariant (same meaning; same character with a
 *    different glyph) and, for characters ICU leaves alone, a single-valued
 *    kSimplifiedVariant.  kSpecializedSemanticVariant (same meaning only in
 *    some senses) and kSpoofingVariant are not used.  Every endpoint is
 *    first taken to where fold_ts leads (its fixed point, 苎 for the cycle).
 *
 *    Guard against over-merging.  An "anchor" is a common simplified
 *    character: a fold_ts fixed point encodable in GB2312 (tested with
 *    iconv).  Anchors are never merged with each other, even when Unihan
 *    calls two of them variants: 他/她, 沈/沉, 板/版, 一/壹, 于/亏, 帐/账
 *    and 168 more pairs (ICU 72, Unicode 15) are distinct characters in
 *    simplified text.  The other characters are grouped by the edges among
 *    themselves; a group is folded to the one anchor it touches, or, when it
 *    touches none, to its smallest code point; a group touching two or more
 *    anchors is ambiguous and left alone (40, e.g. 氷 冰/冫, 艸 草/艹),
 *    except that a member with an edge to exactly one anchor still folds to
 *    it.  So only characters outside GB2312 change under fold_variant
 *    beyond fold_ts (checked over all 7,445 GB2312 characters; the one
 *    exception is 苎, which fold_ts sends round the cycle): about 1,340 fold
 *    to a common form (峯 峰, 敎 教, 両 两, 塩 盐, ...), about 3,650 rare
 *    ones to a rare representative.  A simplified GB2312 text is left
 *    exactly as fold_ts leaves it (the sample corpus: no character changes).
 *    Representatives map to themselves, so fold_variant is idempotent.
 *
 * 3. Old printed forms (旧字形; fold.h lists the sources taken and rejected).
 *    Pairs from OpenCC and other Unihan fields, each endpoint put through
 *    NFKC, are mapped to their classes of step 2, and those classes are
 *    grouped again under the same anchor rule: a second pass can only join
 *    classes, never split one, and never joins two anchors.  fold_variant =
 *    rep2(rep1(fold_ts(cp))).  Checked here for every code point before
 *    writing: idempotent, fold_variant(cp) == fold_variant(fold_ts(cp)),
 *    every fold of step 2 kept, every anchor its own representative.  The
 *    header of the output counts, per source, the pairs read, the distinct
 *    ones, those already in one class, those joined (new), those new from
 *    that source alone, and those kept apart. *
 * Tables: sorted (from, to) arrays searched by binary search, and for
 * U+3400..U+9FFF a direct-mapped array of the result (0 = look in the sorted
 * array, used only if a result there ever needs more than 16 bits).
 */
#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utrans.h>
#include <unicode/uversion.h>

#define NCP 0x110000u
#define DIRECT_LO 0x3400u
#define DIRECT_HI 0x9FFFu

static const uint32_t ranges[][2] = {
    {0x3400, 0x4DBF}, {0x4E00, 0x9FFF}, {0xF900, 0xFAFF}, {0x20000, 0x3134F}};
#define NRANGES (sizeof ranges / sizeof ranges[0])

static int verbose;

static void die(const char *what)
{
    fprintf(stderr, "genfold: %s\n", what);
    exit(2);
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n, size);
    if (!p)
        die("out of memory");
    return p;
}

/* ---- ICU traditional -> simplified -------------------------------------- */

static uint32_t *ts;         /* ts[cp]: per-character result, or cp */
static uint32_t ts_multi;    /* outputs of more or less than one code point */

static void put_utf8(FILE *f, uint32_t cp)
{
    UChar32 c = (UChar32)cp;
    char b[5];
    int n = 0;
    if (c < 0x80) b[n++] = (char)c;
    else if (c < 0x800) { b[n++] = (char)(0xC0 | (c >> 6)); b[n++] = (char)(0x80 | (c & 0x3F)); }
    else if (c < 0x10000) {
        b[n++] = (char)(0xE0 | (c >> 12)); b[n++] = (char)(0x80 | ((c >> 6) & 0x3F));
        b[n++] = (char)(0x80 | (c & 0x3F));
    } else {
        b[n++] = (char)(0xF0 | (c >> 18)); b[n++] = (char)(0x80 | ((c >> 12) & 0x3F));
        b[n++] = (char)(0x80 | ((c >> 6) & 0x3F)); b[n++] = (char)(0x80 | (c & 0x3F));
    }
    fwrite(b, 1, (size_t)n, f);
}

/* Transliterates each code point alone, then all of them at once.  Returns
 * the number of code points where the two disagree (0 = per-character). */
static long build_ts(UTransliterator *tr, long *whole_len_diff)
{
    UErrorCode st = U_ZERO_ERROR;
    size_t total = 0;
    for (size_t r = 0; r < NRANGES; r++)
        total += ranges[r][1] - ranges[r][0] + 1;
    /* The concatenated inputs, and the concatenated per-character outputs. */
    size_t cap = total * 2 + 16, ocap = total * 8 + 16;
    UChar *all = xcalloc(cap * 4, sizeof(UChar));
    UChar *each = xcalloc(ocap, sizeof(UChar));
    int32_t alen = 0, elen = 0;
    for (uint32_t c = 0; c < NCP; c++)
        ts[c] = c;
    for (size_t r = 0; r < NRANGES; r++) {
        for (uint32_t c = ranges[r][0]; c <= ranges[r][1]; c++) {
            UChar buf[64];
            int32_t len = 0, limit;
            UBool err = 0;
            U16_APPEND((UChar *)buf, len, 64, (UChar32)c, err);
            U16_APPEND(all, alen, (int32_t)cap, (UChar32)c, err);
            limit = len;
            st = U_ZERO_ERROR;
            utrans_transUChars(tr, buf, &len, 64, 0, &limit, &st);
            if (U_FAILURE(st) || err)
                die("utrans_transUChars failed on one character");
            if ((size_t)(elen + len) > ocap)
                die("per-character output too long");
            memcpy(each + elen, buf, (size_t)len * sizeof(UChar));
            elen += len;
            UChar32 out = 0;
            int32_t i = 0;
            if (len > 0)
                U16_NEXT(buf, i, len, out);
            if (len > 0 && i == len) {
                if ((uint32_t)out != c)
                    ts[c] = (uint32_t)out;
            } else {
                ts_multi++;
            }
        }
    }
    /* All at once. */
    int32_t len = alen, limit = alen;
    st = U_ZERO_ERROR;
    utrans_transUChars(tr, all, &len, (int32_t)(cap * 4), 0, &limit, &st);
    if (U_FAILURE(st))
        die("utrans_transUChars failed on the whole string");
    *whole_len_diff = (long)len - (long)elen;
    long diff = 0;
    int32_t i = 0, j = 0;
    while (i < len && j < elen) {
        UChar32 a, b;
        U16_NEXT(all, i, len, a);
        U16_NEXT(each, j, elen, b);
        if (a != b) {
            if (verbose && diff < 20)
                fprintf(stderr, "genfold: whole-string result differs: U+%04X vs U+%04X\n",
                        (unsigned)a, (unsigned)b);
            diff++;
        }
    }
    free(all);
    free(each);
    return diff;
}

/* The whole-string check above cannot see rules with context: ICU's
 * Hant-Hans rules include phrases ("沈澱 > 沉淀;" next to "沈 > 沈;",
 * "著名 > 著名;" next to "著 > 着;").  So the rules themselves
 * (utrans_toRules) serve as test strings: every rule whose left side has
 * two or more code points is transliterated at once and compared with the
 * per-character result.  Returns how many differ; *nphrase gets how many
 * phrase rules there are. */
#define PH_MAX 8 /* longest phrase kept, in code points */
struct phrase {
    uint32_t key[PH_MAX], val[PH_MAX];
    uint32_t n;     /* code points in key and val */
    uint32_t order; /* position in ICU's rule list */
};
static struct phrase *phrases;
static size_t nphrases, phrases_skipped;

static void keep_phrase(const UChar *key, int32_t klen, const UChar *val, int32_t vlen)
{
    struct phrase ph;
    memset(&ph, 0, sizeof ph);
    uint32_t nk = 0, nv = 0;
    for (int32_t k = 0; k < klen;) {
        UChar32 c;
        U16_NEXT(key, k, klen, c);
        if (nk == PH_MAX) { phrases_skipped++; return; }
        ph.key[nk++] = (uint32_t)c;
    }
    for (int32_t k = 0; k < vlen;) {
        UChar32 c;
        U16_NEXT(val, k, vlen, c);
        if (nv == PH_MAX) { phrases_skipped++; return; }
        ph.val[nv++] = (uint32_t)c;
    }
    /* The analyser replaces characters one for one (positions and byte
     * ranges stay those of the source); every character must be one the
     * analyser treats as CJK, which NFKC leaves alone. */
    if (nk != nv) { phrases_skipped++; return; }
    for (uint32_t k = 0; k < nk; k++) {
        UErrorCode st = U_ZERO_ERROR;
        UChar s1[2], s2[8];
        int32_t l1 = 0;
        U16_APPEND_UNSAFE(s1, l1, (UChar32)ph.key[k]);
        const UNormalizer2 *nf = unorm2_getNFKCCasefoldInstance(&st);
        int32_t l2 = unorm2_normalize(nf, s1, l1, s2, 8, &st);
        if (U_FAILURE(st) || l2 != l1 || memcmp(s1, s2, (size_t)l1 * sizeof(UChar)) ||
            !u_hasBinaryProperty((UChar32)ph.key[k], UCHAR_UNIFIED_IDEOGRAPH) ||
            !u_hasBinaryProperty((UChar32)ph.val[k], UCHAR_UNIFIED_IDEOGRAPH)) {
            phrases_skipped++;
            return;
        }
    }
    ph.n = nk;
    ph.order = (uint32_t)nphrases;
    phrases = realloc(phrases, (nphrases + 1) * sizeof *phrases);
    if (!phrases)
        die("out of memory");
    phrases[nphrases++] = ph;
}

static long check_phrases(UTransliterator *tr, long *nphrase)
{
    UErrorCode st = U_ZERO_ERROR;
    int32_t n = utrans_toRules(tr, 0, NULL, 0, &st);
    if (st != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(st))
        die("utrans_toRules failed");
    UChar *rules = xcalloc((size_t)n + 1, sizeof(UChar));
    st = U_ZERO_ERROR;
    utrans_toRules(tr, 0, rules, n + 1, &st);
    if (U_FAILURE(st))
        die("utrans_toRules failed");
    long differ = 0;
    *nphrase = 0;
    int32_t i = 0;
    while (i < n) {
        int32_t start = i, end = i;
        while (end < n && rules[end] != '\n')
            end++;
        i = end + 1;
        /* A plain rule: "LHS > RHS;" with no syntax characters in LHS. */
        int32_t gt = start;
        while (gt < end && rules[gt] != ' ')
            gt++;
        if (gt + 2 >= end || rules[gt + 1] != '>' || gt - start > 60)
            continue;
        int plain = 1, ncp = 0;
        for (int32_t k = start; k < gt; k++) {
            if (rules[k] < 0x80)
                plain = 0;
            if (!U16_IS_TRAIL(rules[k]))
                ncp++;
        }
        if (!plain || ncp < 2)
            continue;
        (*nphrase)++;
        UChar whole[256], each[256];
        int32_t len = gt - start, limit = len, elen = 0;
        memcpy(whole, rules + start, (size_t)len * sizeof(UChar));
        st = U_ZERO_ERROR;
        utrans_transUChars(tr, whole, &len, 256, 0, &limit, &st);
        if (U_FAILURE(st))
            die("utrans_transUChars failed on a phrase");
        for (int32_t k = start; k < gt;) {
            UChar32 c;
            UBool err = 0;
            U16_NEXT(rules, k, gt, c);
            U16_APPEND(each, elen, 256, (UChar32)ts[c], err);
            if (err)
                die("phrase too long");
        }
        keep_phrase(rules + start, gt - start, whole, len);
        if (len != elen || memcmp(whole, each, (size_t)len * sizeof(UChar)) != 0) {
            differ++;
            if (verbose) {
                char u8[1024];
                int32_t ul;
                st = U_ZERO_ERROR;
                u_strToUTF8(u8, sizeof u8, &ul, rules + start, gt - start, &st);
                fprintf(stderr, "genfold: phrase rule %s -> ", u8);
                u_strToUTF8(u8, sizeof u8, &ul, whole, len, &st);
                fprintf(stderr, "%s, per character ", u8);
                u_strToUTF8(u8, sizeof u8, &ul, each, elen, &st);
                fprintf(stderr, "%s\n", u8);
            }
        }
    }
    free(rules);
    return differ;
}

/* ---- GB2312 ------------------------------------------------------------- */

static int in_gb2312(iconv_t cd, uint32_t cp)
{
    char in[4], out[16];
    int n;
    if (cp < 0x80) return 1;
    if (cp < 0x800) { in[0] = (char)(0xC0 | (cp >> 6)); in[1] = (char)(0x80 | (cp & 0x3F)); n = 2; }
    else if (cp < 0x10000) {
        in[0] = (char)(0xE0 | (cp >> 12)); in[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        in[2] = (char)(0x80 | (cp & 0x3F)); n = 3;
    } else return 0; /* GB2312 has nothing outside the BMP */
    char *ip = in, *op = out;
    size_t il = (size_t)n, ol = sizeof out;
    iconv(cd, NULL, NULL, NULL, NULL);
    size_t r = iconv(cd, &ip, &il, &op, &ol);
    return r != (size_t)-1 && il == 0;
}

/* Where fold_ts leads from c: its fixed point, or on a cycle (ICU 72 maps
 * U+82CE to U+82E7 and back) the cycle's member in GB2312, else its
 * smallest code point.  The variant classes are built on these. */
static uint32_t ts_end(iconv_t gb, uint32_t c)
{
    uint32_t slow = c, fast = c;
    do { /* Floyd: does the orbit end in a fixed point or a cycle? */
        slow = ts[slow];
        fast = ts[ts[fast]];
    } while (slow != fast);
    if (ts[slow] == slow)
        return slow;
    uint32_t best = slow;
    int best_gb = in_gb2312(gb, slow);
    for (uint32_t v = ts[slow]; v != slow; v = ts[v]) {
        int g = in_gb2312(gb, v);
        if (g > best_gb || (g == best_gb && v < best)) {
            best = v;
            best_gb = g;
        }
    }
    return best;
}

/* ---- Unihan ------------------------------------------------------------- */

struct edge {
    uint32_t a, b;
};
struct edges {
    struct edge *e;
    size_t n, cap;
};

static void add_edge(struct edges *l, uint32_t a, uint32_t b)
{
    if (a == b)
        return;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 4096;
        l->e = realloc(l->e, l->cap * sizeof *l->e);
        if (!l->e)
            die("out of memory");
    }
    l->e[l->n].a = a < b ? a : b;
    l->e[l->n].b = a < b ? b : a;
    l->n++;
}

/* Parses "U+XXXX" at *p; returns the code point or -1. */
static long parse_u(const char **p)
{
    const char *s = *p;
    if (s[0] != 'U' || s[1] != '+')
        return -1;
    char *end;
    long v = strtol(s + 2, &end, 16);
    if (end == s + 2 || v < 0 || v >= (long)NCP)
        return -1;
    *p = end;
    return v;
}

/* Unihan lines "U+XXXX\tFIELD\tVALUE"; calls fn for each line whose field is
 * one of fields[0..nf), with the field's index. */
static void each_unihan(FILE *f, const char *const *fields, int nf,
                        void (*fn)(uint32_t cp, int field, const char *value, void *arg), void *arg)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0) {
        if (line[0] != 'U')
            continue;
        const char *p = line;
        long cp = parse_u(&p);
        if (cp < 0 || *p != '\t')
            continue;
        const char *field = p + 1, *tab = strchr(field, '\t');
        if (!tab)
            continue;
        if (line[n - 1] == '\n')
            line[n - 1] = 0;
        for (int i = 0; i < nf; i++)
            if ((size_t)(tab - field) == strlen(fields[i]) && !strncmp(field, fields[i], (size_t)(tab - field)))
                fn((uint32_t)cp, i, tab + 1, arg);
    }
    free(line);
}

static size_t nsem, nz, nsimp;

struct variants_ctx {
    const uint32_t *end; /* where fold_ts leads */
    struct edges *out;
};

/* kSemanticVariant (0), kZVariant (1), kSimplifiedVariant (2): values
 * "U+XXXX<sources U+YYYY ...". */
static void on_variant(uint32_t src, int kind, const char *value, void *arg)
{
    const struct variants_ctx *x = arg;
    const char *p = value;
    uint32_t vals[32];
    int nv = 0;
    while (*p && *p != '\r') {
        while (*p == ' ') p++;
        long v = parse_u(&p);
        if (v < 0)
            break;
        while (*p && *p != ' ' && *p != '\r') p++; /* <sources */
        if (nv < 32)
            vals[nv++] = (uint32_t)v;
    }
    if (kind == 2) {
        /* Only where ICU has no opinion, and Unihan names one simplified
         * form other than the character itself. */
        if (nv != 1 || vals[0] == src || ts[src] != src)
            return;
        nsimp++;
        add_edge(x->out, x->end[src], x->end[vals[0]]);
        return;
    }
    for (int i = 0; i < nv; i++) {
        if (kind == 0) nsem++; else nz++;
        add_edge(x->out, x->end[src], x->end[vals[i]]);
    }
}

static void read_unihan(FILE *in, const uint32_t *end, struct edges *out)
{
    static const char *const fields[] = {"kSemanticVariant", "kZVariant", "kSimplifiedVariant"};
    struct variants_ctx x = {end, out};
    each_unihan(in, fields, 3, on_variant, &x);
}

/* ---- union-find --------------------------------------------------------- */

static uint32_t *uf;
static uint32_t uf_find(uint32_t x)
{
    while (uf[x] != x) {
        uf[x] = uf[uf[x]];
        x = uf[x];
    }
    return x;
}
static void uf_union(uint32_t a, uint32_t b)
{
    a = uf_find(a);
    b = uf_find(b);
    if (a < b) uf[b] = a;
    else if (b < a) uf[a] = b;
}

static int cmp_edge(const void *x, const void *y)
{
    const struct edge *a = x, *b = y;
    if (a->a != b->a) return a->a < b->a ? -1 : 1;
    if (a->b != b->b) return a->b < b->b ? -1 : 1;
    return 0;
}

/* ---- variant classes ---------------------------------------------------- */

/* Folds the nodes joined by l's edges (sorted and deduplicated here) into
 * classes and returns rep, NCP entries (rep[c] == c outside them).  An
 * anchor (gbfix[c]: a fold_ts fixed point in GB2312) is never merged with
 * another; the other nodes are grouped by the edges among themselves, and a
 * group goes to the one anchor it touches, or to its smallest code point
 * when it touches none; in a group touching several anchors only a member
 * with an edge to exactly one of them folds (to it), the rest stay alone.
 * stage names the pass in -v output; the counts are added to *apart (edges
 * between two anchors), *ambiguous and *merged. */
static uint32_t *make_classes(struct edges *l, const uint8_t *gbfix, const char *stage,
                              size_t *apart, size_t *ambiguous, size_t *merged)
{
    qsort(l->e, l->n, sizeof *l->e, cmp_edge);
    size_t w = 0;
    for (size_t i = 0; i < l->n; i++)
        if (w == 0 || cmp_edge(&l->e[w - 1], &l->e[i]) != 0)
            l->e[w++] = l->e[i];
    l->n = w;
    const struct edge *e = l->e;
    uint8_t *anchor = xcalloc(NCP, 1), *node = xcalloc(NCP, 1);
    for (size_t i = 0; i < l->n; i++)
        node[e[i].a] = node[e[i].b] = 1;
    for (uint32_t c = 0; c < NCP; c++)
        anchor[c] = node[c] && gbfix[c];
    uf = xcalloc(NCP, sizeof *uf);
    for (uint32_t c = 0; c < NCP; c++)
        uf[c] = c;
    for (size_t i = 0; i < l->n; i++) {
        uint32_t a = e[i].a, b = e[i].b;
        if (!anchor[a] && !anchor[b])
            uf_union(a, b);
        else if (anchor[a] && anchor[b]) {
            (*apart)++;
            if (verbose) {
                fprintf(stderr, "genfold: %s: kept apart (both common): ", stage);
                put_utf8(stderr, a); fputc(' ', stderr); put_utf8(stderr, b);
                fputc('\n', stderr);
            }
        }
    }
    /* The anchor each group touches: 0 none, NCP several. */
    uint32_t *gan = xcalloc(NCP, sizeof *gan);
    uint32_t *own = xcalloc(NCP, sizeof *own); /* same, per member */
    for (size_t i = 0; i < l->n; i++) {
        uint32_t a = e[i].a, b = e[i].b;
        if (anchor[a] == anchor[b])
            continue;
        uint32_t an = anchor[a] ? a : b, m = anchor[a] ? b : a;
        uint32_t g = uf_find(m);
        gan[g] = (gan[g] == 0 || gan[g] == an) ? an : NCP;
        own[m] = (own[m] == 0 || own[m] == an) ? an : NCP;
    }
    uint32_t *rep = xcalloc(NCP, sizeof *rep);
    for (uint32_t c = 0; c < NCP; c++) {
        rep[c] = c;
        if (!node[c] || anchor[c])
            continue;
        uint32_t g = uf_find(c);
        if (gan[g] == 0)
            rep[c] = g; /* smallest code point of the group */
        else if (gan[g] != NCP)
            rep[c] = gan[g];
        else if (own[c] != 0 && own[c] != NCP)
            rep[c] = own[c];
        else {
            (*ambiguous)++;
            if (verbose) {
                fprintf(stderr, "genfold: %s: ambiguous, left alone: ", stage);
                put_utf8(stderr, c);
                fprintf(stderr, " U+%04X\n", c);
            }
        }
        if (rep[c] != c) {
            (*merged)++;
            if (verbose) {
                fprintf(stderr, "genfold: %s: variant ", stage);
                put_utf8(stderr, c);
                fprintf(stderr, " U+%04X -> ", c);
                put_utf8(stderr, rep[c]);
                fprintf(stderr, " U+%04X%s\n", rep[c], anchor[rep[c]] ? "" : " (no common form)");
            }
        }
    }
    free(anchor); free(node); free(uf); free(gan); free(own);
    uf = NULL;
    return rep;
}

/* ---- old printed forms -------------------------------------------------- */

/* The sources of the second pass (fold.h says which relations are taken
 * and why).  Each gives raw pairs of code points, kept with their source so
 * that what each contributes can be counted. */
enum { SRC_TS, SRC_TW, SRC_HK, SRC_JP, SRC_JINMEI, SRC_DKW, NSRC };
static const char *const src_name[NSRC] = {
    "OpenCC TSCharacters", "OpenCC TWVariants(+Rev)", "OpenCC HKVariants(+Rev)",
    "OpenCC JPVariants(+Rev)", "Unihan kJinmeiyoKanji/kJoyoKanji", "Unihan kIRGDaiKanwaZiten N/N'"};

struct opair {
    uint32_t a, b;
    int src;
};
static struct opair *opairs;
static size_t nopairs, capopairs;
static size_t src_read[NSRC]; /* pairs read, before deduplication */

/* cp as the analyser sees it: NFKC_Casefold first (tok.c), so a CJK
 * compatibility ideograph (侮 U+FA30) is already its unified twin and a pair
 * through it is no news. */
static uint32_t nfkc1(uint32_t cp)
{
    UErrorCode st = U_ZERO_ERROR;
    UChar s1[2], s2[8];
    int32_t l1 = 0, i = 0;
    U16_APPEND_UNSAFE(s1, l1, (UChar32)cp);
    const UNormalizer2 *nf = unorm2_getNFKCCasefoldInstance(&st);
    int32_t l2 = unorm2_normalize(nf, s1, l1, s2, 8, &st);
    if (U_FAILURE(st) || l2 <= 0)
        return cp;
    UChar32 c;
    U16_NEXT(s2, i, l2, c);
    return i == l2 ? (uint32_t)c : cp;
}

static void add_opair(uint32_t a, uint32_t b, int src)
{
    a = nfkc1(a);
    b = nfkc1(b);
    if (a == b)
        return;
    if (nopairs == capopairs) {
        capopairs = capopairs ? capopairs * 2 : 4096;
        opairs = realloc(opairs, capopairs * sizeof *opairs);
        if (!opairs)
            die("out of memory");
    }
    opairs[nopairs].a = a < b ? a : b;
    opairs[nopairs].b = a < b ? b : a;
    opairs[nopairs].src = src;
    nopairs++;
    src_read[src]++;
}

static int cmp_opair(const void *x, const void *y)
{
    const struct opair *a = x, *b = y;
    if (a->src != b->src) return a->src < b->src ? -1 : 1;
    if (a->a != b->a) return a->a < b->a ? -1 : 1;
    if (a->b != b->b) return a->b < b->b ? -1 : 1;
    return 0;
}

static FILE *open_src(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "genfold: cannot open %s: %s (the Makefile unpacks it from "
                        "unicode-data or opencc)\n", path, strerror(errno));
        exit(2);
    }
    return f;
}

/* Decodes one UTF-8 sequence at *p (well-formed input assumed, as written
 * by opencc_dict); returns the code point, 0 at the end of the field. */
static uint32_t get_utf8(const unsigned char **p)
{
    const unsigned char *s = *p;
    uint32_t c = s[0];
    int n = 0;
    if (c < 0x80) n = 0;
    else if (c >= 0xF0) { c &= 0x07; n = 3; }
    else if (c >= 0xE0) { c &= 0x0F; n = 2; }
    else if (c >= 0xC0) { c &= 0x1F; n = 1; }
    else die("malformed UTF-8 in an OpenCC dictionary");
    for (int i = 1; i <= n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            die("malformed UTF-8 in an OpenCC dictionary");
        c = c << 6 | (s[i] & 0x3F);
    }
    *p = s + n + 1;
    return c;
}

/* One OpenCC dictionary dumped by opencc_dict: "KEY\tVALUE VALUE...".
 * Entries whose key or a value is more than one code point (phrases) are
 * skipped.  With only_single, an entry with several values is skipped too
 * (TSCharacters: 乾 -> 干 乾 is a choice between words, not a variant).
 * An entry touching a code point set in reject is skipped.  When multi is
 * not NULL, nothing is paired: the keys of entries with several values are
 * set in multi. */
static void read_opencc(const char *dir, const char *name, int src, int only_single,
                        const uint8_t *reject, uint8_t *multi)
{
    FILE *f = open_src(dir, name);
    char *line = NULL;
    size_t cap = 0, before = src_read[src];
    while (getline(&line, &cap, f) > 0) {
        const unsigned char *p = (const unsigned char *)line;
        uint32_t key = get_utf8(&p);
        if (*p != '\t')
            continue;
        p++;
        uint32_t vals[16];
        int nv = 0, ok = 1;
        while (*p && *p != '\n') {
            uint32_t v = get_utf8(&p);
            if (*p && *p != ' ' && *p != '\n')
                ok = 0; /* a phrase */
            while (*p && *p != ' ' && *p != '\n')
                p++;
            while (*p == ' ')
                p++;
            if (nv < 16)
                vals[nv++] = v;
        }
        if (multi) {
            if (ok && nv > 1)
                multi[key] = 1;
            continue;
        }
        if (!ok || nv == 0 || (only_single && nv > 1) || (reject && reject[key]))
            continue;
        for (int i = 0; i < nv; i++)
            if (!(reject && reject[vals[i]]))
                add_opair(key, vals[i], src);
    }
    free(line);
    fclose(f);
    if (!multi && src_read[src] == before) {
        fprintf(stderr, "genfold: no character pairs in %s/%s\n", dir, name);
        exit(2);
    }
}

/* kJinmeiyoKanji / kJoyoKanji values "2010:U+4E57": the character is the
 * listed (old or variant) form of the Jōyō kanji named after the colon. */
static void on_jinmei(uint32_t cp, int field, const char *value, void *arg)
{
    for (const char *p = value; (p = strstr(p, "U+")) != NULL;) {
        long v = parse_u(&p);
        if (v < 0)
            break;
        add_opair(cp, (uint32_t)v, SRC_JINMEI);
    }
}

/* The Dai Kanwa Jiten numbers (kIRGDaiKanwaZiten) and Mandarin readings. */
struct dkw {
    uint32_t *num;  /* num[cp]: the number, bit 31 for a primed one; 0 none */
    char **mandarin; /* first kMandarin reading, or NULL */
};

static void on_dkw(uint32_t cp, int field, const char *value, void *arg)
{
    struct dkw *d = arg;
    char *end;
    unsigned long v = strtoul(value, &end, 10);
    if (end == value || v == 0 || v >= 0x80000000ul || (*end && *end != '\'') ||
        (end[0] == '\'' && end[1] != 0))
        return; /* one plain or once-primed number only */
    d->num[cp] = (uint32_t)v | (*end == '\'' ? 0x80000000u : 0);
}

static void on_mandarin(uint32_t cp, int field, const char *value, void *arg)
{
    struct dkw *d = arg;
    size_t n = strcspn(value, " ");
    d->mandarin[cp] = strndup(value, n);
    if (!d->mandarin[cp])
        die("out of memory");
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Pairs a character numbered N' in the revised Dai Kanwa Jiten with the one
 * numbered N when Unihan gives both the same Mandarin reading. */
static void read_dkw(const char *dir)
{
    struct dkw d;
    d.num = xcalloc(NCP, sizeof *d.num);
    d.mandarin = xcalloc(NCP, sizeof *d.mandarin);
    static const char *const f1[] = {"kIRGDaiKanwaZiten"}, *const f2[] = {"kMandarin"};
    FILE *f = open_src(dir, "Unihan_DictionaryIndices.txt");
    each_unihan(f, f1, 1, on_dkw, &d);
    fclose(f);
    f = open_src(dir, "Unihan_Readings.txt");
    each_unihan(f, f2, 1, on_mandarin, &d);
    fclose(f);
    /* (number << 32 | cp), sorted: each N' next to its N. */
    uint64_t *byn = xcalloc(NCP, sizeof *byn);
    size_t n = 0;
    for (uint32_t c = 0; c < NCP; c++)
        if (d.num[c])
            byn[n++] = (uint64_t)(d.num[c] & 0x7FFFFFFFu) << 32 | c;
    qsort(byn, n, sizeof *byn, cmp_u64);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && byn[j] >> 32 == byn[i] >> 32)
            j++;
        for (size_t x = i; x < j; x++)
            for (size_t y = i; y < j; y++) {
                uint32_t a = (uint32_t)byn[x], b = (uint32_t)byn[y];
                if (!(d.num[a] >> 31) && d.num[b] >> 31 && d.mandarin[a] && d.mandarin[b] &&
                    !strcmp(d.mandarin[a], d.mandarin[b]))
                    add_opair(a, b, SRC_DKW);
            }
        i = j;
    }
    if (src_read[SRC_DKW] == 0)
        die("no Dai Kanwa Jiten pairs (Unihan_DictionaryIndices.txt, Unihan_Readings.txt)");
    for (uint32_t c = 0; c < NCP; c++)
        free(d.mandarin[c]);
    free(d.mandarin);
    free(d.num);
    free(byn);
}

static void read_oldforms(const char *dir)
{
    read_opencc(dir, "TSCharacters.txt", SRC_TS, 1, NULL, NULL);
    read_opencc(dir, "TWVariants.txt", SRC_TW, 0, NULL, NULL);
    read_opencc(dir, "TWVariantsRev.txt", SRC_TW, 0, NULL, NULL);
    read_opencc(dir, "HKVariants.txt", SRC_HK, 0, NULL, NULL);
    read_opencc(dir, "HKVariantsRev.txt", SRC_HK, 0, NULL, NULL);
    /* Japanese forms that OpenCC itself lists as standing for several
     * characters (JPShinjitaiCharacters: 芸 藝/芸, 弁 辨/辯/瓣/辦/弁, 欠
     * 缺/欠, ...) are other words in Chinese: no pair touches them. */
    uint8_t *jpmulti = xcalloc(NCP, 1);
    read_opencc(dir, "JPShinjitaiCharacters.txt", SRC_JP, 0, NULL, jpmulti);
    read_opencc(dir, "JPVariants.txt", SRC_JP, 0, jpmulti, NULL);
    read_opencc(dir, "JPVariantsRev.txt", SRC_JP, 0, jpmulti, NULL);
    free(jpmulti);
    static const char *const fj[] = {"kJinmeiyoKanji", "kJoyoKanji"};
    FILE *f = open_src(dir, "Unihan_OtherMappings.txt");
    each_unihan(f, fj, 2, on_jinmei, NULL);
    fclose(f);
    if (src_read[SRC_JINMEI] == 0)
        die("no kJinmeiyoKanji variants in Unihan_OtherMappings.txt");
    read_dkw(dir);
}

/* ---- output ------------------------------------------------------------- */

/* Prints one array element; k counts the elements printed so far. */
static void item(uint32_t *k, uint32_t per, const char *fmt, uint32_t v)
{
    if (*k % per == 0)
        printf("    ");
    printf(fmt, v);
    (*k)++;
    printf(*k % per == 0 ? ",\n" : ", ");
}

static void end_array(uint32_t k, uint32_t per)
{
    if (k == 0)
        printf("    0\n");
    else if (k % per != 0)
        printf("\n");
    printf("};\n");
}

static void emit_table(const char *name, const uint32_t *map, uint32_t *count)
{
    uint32_t n = 0, k = 0;
    for (uint32_t c = 0; c < NCP; c++)
        if (map[c] != c)
            n++;
    *count = n;
    printf("static const uint32_t %s_from[%u] = {\n", name, n ? n : 1);
    for (uint32_t c = 0; c < NCP; c++)
        if (map[c] != c)
            item(&k, 10, "0x%X", c);
    end_array(k, 10);
    printf("static const uint32_t %s_to[%u] = {\n", name, n ? n : 1);
    k = 0;
    for (uint32_t c = 0; c < NCP; c++)
        if (map[c] != c)
            item(&k, 10, "0x%X", map[c]);
    end_array(k, 10);
    /* Direct-mapped U+3400..U+9FFF: the result itself, 0 = search. */
    printf("static const uint16_t %s_direct[0x%X] = {\n", name, DIRECT_HI - DIRECT_LO + 1);
    k = 0;
    for (uint32_t c = DIRECT_LO; c <= DIRECT_HI; c++)
        item(&k, 12, "%u", map[c] <= 0xFFFF ? map[c] : 0);
    end_array(k, 12);
    printf("\n");
}

static void emit_lookup(const char *name, const uint32_t *map)
{
    uint32_t lo = NCP, hi = 0;
    for (uint32_t c = 0; c < NCP; c++)
        if (map[c] != c) {
            if (c < lo) lo = c;
            hi = c;
        }
    if (lo == NCP)
        lo = hi = 0;
    printf("static uint32_t %s_lookup(uint32_t cp)\n{\n", name);
    printf("    if (cp - 0x%Xu <= 0x%Xu) {\n", DIRECT_LO, DIRECT_HI - DIRECT_LO);
    printf("        uint16_t v = %s_direct[cp - 0x%Xu];\n", name, DIRECT_LO);
    printf("        if (v)\n            return v;\n    }\n");
    printf("    if (cp < 0x%Xu || cp > 0x%Xu)\n        return cp;\n", lo, hi);
    printf("    return search(%s_from, %s_to, sizeof %s_from / sizeof %s_from[0], cp);\n}\n\n",
           name, name, name, name);
}

static int cmp_phrase(const void *x, const void *y)
{
    const struct phrase *a = x, *b = y;
    if (a->key[0] != b->key[0])
        return a->key[0] < b->key[0] ? -1 : 1;
    return a->order < b->order ? -1 : a->order > b->order;
}

/* The phrase rules, sorted by first character and, for one first
 * character, in ICU's order (the first rule that matches wins, as in the
 * transliterator).  Each rule is PH_MAX+1 words in ph_rules: the length n,
 * then the key's n code points, then the result's n code points. */
static void emit_phrases(void)
{
    qsort(phrases, nphrases, sizeof *phrases, cmp_phrase);
    printf("static const uint32_t ph_rules[%zu][%d] = {\n", nphrases ? nphrases : 1, 2 * PH_MAX + 1);
    for (size_t i = 0; i < nphrases; i++) {
        printf("    {%u", phrases[i].n);
        for (uint32_t k = 0; k < PH_MAX; k++)
            printf(", 0x%X", phrases[i].key[k]);
        for (uint32_t k = 0; k < PH_MAX; k++)
            printf(", 0x%X", phrases[i].val[k]);
        printf("},\n");
    }
    if (!nphrases)
        printf("    {0}\n");
    printf("};\n");
    /* A bitmap of first characters over U+3400..U+9FFF. */
    uint8_t bits[(DIRECT_HI - DIRECT_LO + 1 + 7) / 8];
    memset(bits, 0, sizeof bits);
    int outside = 0;
    for (size_t i = 0; i < nphrases; i++) {
        uint32_t c = phrases[i].key[0];
        if (c >= DIRECT_LO && c <= DIRECT_HI)
            bits[(c - DIRECT_LO) >> 3] |= (uint8_t)(1u << ((c - DIRECT_LO) & 7));
        else
            outside = 1;
    }
    printf("static const uint8_t ph_first[%zu] = {\n", sizeof bits);
    uint32_t k = 0;
    for (size_t i = 0; i < sizeof bits; i++)
        item(&k, 16, "%u", bits[i]);
    end_array(k, 16);
    printf("size_t fold_phrases(uint32_t cp, size_t *first)\n{\n"
           "    if (cp - 0x%Xu <= 0x%Xu) {\n"
           "        uint32_t d = cp - 0x%Xu;\n"
           "        if (!(ph_first[d >> 3] >> (d & 7) & 1))\n            return 0;\n"
           "    } else if (%s) {\n        return 0;\n    }\n"
           "    size_t lo = 0, hi = %zu;\n"
           "    while (lo < hi) {\n        size_t mid = lo + (hi - lo) / 2;\n"
           "        if (ph_rules[mid][1] < cp)\n            lo = mid + 1;\n        else\n            hi = mid;\n    }\n"
           "    size_t n = 0;\n"
           "    while (lo + n < %zu && ph_rules[lo + n][1] == cp)\n        n++;\n"
           "    *first = lo;\n    return n;\n}\n\n",
           DIRECT_LO, DIRECT_HI - DIRECT_LO, DIRECT_LO, outside ? "0" : "1", nphrases, nphrases);
    printf("size_t fold_phrase(size_t i, const uint32_t **key, const uint32_t **result)\n{\n"
           "    if (i >= %zu)\n        return 0;\n"
           "    *key = &ph_rules[i][1];\n    *result = &ph_rules[i][1 + %d];\n"
           "    return ph_rules[i][0];\n}\n\n", nphrases, PH_MAX);
    printf("uint32_t fold_phrase_count(void) { return %zu; }\n", nphrases);
}

int main(int argc, char **argv)
{
    int ai = 1;
    if (argc > ai && !strcmp(argv[ai], "-v")) {
        verbose = 1;
        ai++;
    }
    if (argc != ai + 1) {
        fprintf(stderr, "usage: genfold [-v] DIR > fold_table.c  (DIR: the Unihan files and "
                        "OpenCC dictionaries as text, see the Makefile)\n");
        return 2;
    }
    const char *dir = argv[ai];

    UErrorCode st = U_ZERO_ERROR;
    UChar id[64];
    u_uastrcpy(id, "Traditional-Simplified");
    UTransliterator *tr = utrans_openU(id, -1, UTRANS_FORWARD, NULL, 0, NULL, &st);
    if (U_FAILURE(st)) {
        fprintf(stderr, "genfold: cannot open Traditional-Simplified: %s\n", u_errorName(st));
        return 2;
    }
    ts = xcalloc(NCP, sizeof *ts);
    long lendiff = 0;
    long whole_diff = build_ts(tr, &lendiff);
    long nphrase = 0, phrase_diff = check_phrases(tr, &nphrase);
    utrans_close(tr);
    uint32_t ts_notidem = 0;
    for (uint32_t c = 0; c < NCP; c++)
        if (ts[ts[c]] != ts[c])
            ts_notidem++;
    /* The nodes of the variant graph are where fold_ts leads. */
    uint32_t *tsx = xcalloc(NCP, sizeof *tsx);
    iconv_t gb = iconv_open("GB2312", "UTF-8");
    if (gb == (iconv_t)-1)
        die("iconv cannot convert to GB2312");
    for (uint32_t c = 0; c < NCP; c++)
        tsx[c] = ts_end(gb, c);
    uint8_t *gbfix = xcalloc(NCP, 1); /* anchors: common simplified characters */
    for (uint32_t c = 0; c < NCP; c++)
        gbfix[c] = tsx[c] == c && in_gb2312(gb, c);
    iconv_close(gb);

    /* Pass 1: Unihan's variants among the fold_ts forms. */
    struct edges e1 = {0};
    FILE *uv = open_src(dir, "Unihan_Variants.txt");
    read_unihan(uv, tsx, &e1);
    fclose(uv);
    if (e1.n == 0)
        die("no variants read from Unihan_Variants.txt");
    size_t anchor_pairs = 0, ambiguous = 0, merged = 0;
    uint32_t *rep1 = make_classes(&e1, gbfix, "unihan", &anchor_pairs, &ambiguous, &merged);
    uint32_t *fv1 = xcalloc(NCP, sizeof *fv1);
    for (uint32_t c = 0; c < NCP; c++)
        fv1[c] = rep1[tsx[c]];

    /* Pass 2: old printed forms, among the classes of pass 1, which it can
     * only join (so nothing pass 1 folds is undone). */
    read_oldforms(dir);
    qsort(opairs, nopairs, sizeof *opairs, cmp_opair);
    size_t w = 0;
    for (size_t i = 0; i < nopairs; i++)
        if (w == 0 || cmp_opair(&opairs[w - 1], &opairs[i]) != 0)
            opairs[w++] = opairs[i];
    nopairs = w;
    struct edges e2 = {0};
    for (size_t i = 0; i < nopairs; i++)
        add_edge(&e2, fv1[opairs[i].a], fv1[opairs[i].b]);
    size_t apart2 = 0, ambiguous2 = 0, merged2 = 0;
    uint32_t *rep2 = make_classes(&e2, gbfix, "old forms", &apart2, &ambiguous2, &merged2);

    /* fold_variant(cp) = rep2(rep1(fold_ts(cp))), as one table. */
    uint32_t *fv = xcalloc(NCP, sizeof *fv);
    size_t changed = 0;
    for (uint32_t c = 0; c < NCP; c++) {
        fv[c] = rep2[fv1[c]];
        changed += fv[c] != fv1[c];
    }
    for (uint32_t c = 0; c < NCP; c++) {
        if (fv[fv[c]] != fv[c])
            die("fold_variant is not idempotent");
        if (fv[c] != fv[ts[c]])
            die("fold_variant differs from fold_variant(fold_ts)");
        if (fv1[c] != c && fv[c] != fv[fv1[c]])
            die("the old forms undid a Unihan variant");
        if (c < 0x10000 && gbfix[c] && fv[c] != c)
            die("a common simplified character changed");
    }
    /* What each source gives: distinct pairs; those already one class
     * after ICU and Unihan; those the old-form pass joins (new); those kept
     * apart (two common characters, or ambiguous). */
    size_t s_pairs[NSRC] = {0}, s_had[NSRC] = {0}, s_new[NSRC] = {0}, s_apart[NSRC] = {0};
    size_t s_only[NSRC] = {0}; /* new, and listed by no other source */
    uint64_t *byp = xcalloc(nopairs + 1, sizeof *byp);
    for (size_t i = 0; i < nopairs; i++)
        byp[i] = (uint64_t)opairs[i].a << 32 | opairs[i].b;
    qsort(byp, nopairs, sizeof *byp, cmp_u64);
    for (size_t i = 0; i < nopairs; i++) {
        const struct opair *o = &opairs[i];
        uint64_t key = (uint64_t)o->a << 32 | o->b;
        size_t lo = 0, hi = nopairs; /* how many sources list this pair */
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (byp[mid] < key) lo = mid + 1; else hi = mid;
        }
        size_t nsrc = 0;
        while (lo + nsrc < nopairs && byp[lo + nsrc] == key)
            nsrc++;
        s_pairs[o->src]++;
        if (fv1[o->a] == fv1[o->b])
            s_had[o->src]++;
        else if (fv[o->a] == fv[o->b]) {
            s_new[o->src]++;
            s_only[o->src] += nsrc == 1;
            if (verbose) {
                fprintf(stderr, "genfold: old form (%s): ", src_name[o->src]);
                put_utf8(stderr, o->a); fputc(' ', stderr); put_utf8(stderr, o->b);
                fputc('\n', stderr);
            }
        } else
            s_apart[o->src]++;
    }

    printf("/*\n * fold_table.c -- GENERATED by tools/genfold.c; do not edit.\n *\n");
    printf(" * ICU %s (Unicode %s), Traditional-Simplified per code point.\n",
           U_ICU_VERSION, U_UNICODE_VERSION);
    printf(" * Whole-string check (all those code points in order, transliterated at\n"
           " * once): %ld code points differ from the per-character results (length\n"
           " * difference %ld UTF-16 units).\n", whole_diff, lendiff);
    printf(" * Phrase check: ICU has %ld phrase rules; %ld of them transliterate\n"
           " * differently from the per-character table, so the transliterator is\n"
           " * %sper-character on real text.\n",
           nphrase, phrase_diff, phrase_diff || whole_diff || lendiff ? "NOT " : "");
    printf(" * Phrase rules kept for the analyser: %zu (left out: %zu, of other lengths\n"
           " * or with characters NFKC changes).\n", nphrases, phrases_skipped);
    printf(" * Per-character outputs of other than one code point (left out): %u.\n", ts_multi);
    printf(" * fold_ts not idempotent at %u code points.\n", ts_notidem);
    printf(" * Unihan: %zu kSemanticVariant, %zu kZVariant, %zu kSimplifiedVariant\n"
           " * (where ICU has no mapping) values; %zu distinct edges after fold_ts;\n"
           " * %zu edges between two common characters kept apart; %zu characters\n"
           " * folded to a representative, %zu ambiguous left alone.\n",
           nsem, nz, nsimp, e1.n, anchor_pairs, merged, ambiguous);
    printf(" * Old printed forms (second pass, joining the classes above):\n"
           " *   source: pairs read, distinct pairs, already one class, joined (new),\n"
           " *   new and from no other source, kept apart\n");
    for (int i = 0; i < NSRC; i++)
        printf(" *   %s: %zu, %zu, %zu, %zu, %zu, %zu\n", src_name[i], src_read[i], s_pairs[i],
               s_had[i], s_new[i], s_only[i], s_apart[i]);
    printf(" *   %zu distinct edges between classes; %zu between two common characters\n"
           " *   kept apart; %zu ambiguous left alone; %zu characters fold differently\n"
           " *   than with ICU and Unihan alone.\n */\n", e2.n, apart2, ambiguous2, changed);
    printf("#include \"fold.h\"\n\n#include <stddef.h>\n\n");
    uint32_t nts, nfv;
    emit_table("ts", ts, &nts);
    emit_table("fv", fv, &nfv);
    printf("static uint32_t search(const uint32_t *from, const uint32_t *to, size_t n, uint32_t cp)\n"
           "{\n    size_t lo = 0, hi = n;\n    while (lo < hi) {\n"
           "        size_t mid = lo + (hi - lo) / 2;\n"
           "        if (from[mid] < cp)\n            lo = mid + 1;\n"
           "        else if (from[mid] > cp)\n            hi = mid;\n"
           "        else\n            return to[mid];\n    }\n    return cp;\n}\n\n");
    emit_lookup("ts", ts);
    emit_lookup("fv", fv);
    /* Variant classes by representative: the traditional->simplified forms
     * of every member (what an index folded with fold_ts holds), for
     * classes with more than one such form. */
    {
        uint64_t *pairs = xcalloc(2 * (size_t)NCP, sizeof *pairs);
        size_t np = 0;
        for (uint32_t c = 0; c < NCP; c++)
            if (fv[c] != c || ts[c] != c)
                pairs[np++] = (uint64_t)fv[c] << 32 | ts[c];
        for (uint32_t c = 0; c < NCP; c++)
            if (fv[c] == c)
                pairs[np++] = (uint64_t)c << 32 | ts[c];
        qsort(pairs, np, sizeof *pairs, cmp_u64);
        size_t m = 0;
        for (size_t i = 0; i < np; i++)
            if (!m || pairs[m - 1] != pairs[i])
                pairs[m++] = pairs[i];
        size_t k = 0;
        for (size_t i = 0; i < m;) {
            size_t j = i;
            while (j < m && pairs[j] >> 32 == pairs[i] >> 32)
                j++;
            if (j - i > 1)
                for (size_t q = i; q < j; q++)
                    pairs[k++] = pairs[q];
            i = j;
        }
        printf("static const uint32_t vc_rep[%zu] = {\n", k ? k : 1);
        uint32_t cnt = 0;
        for (size_t i = 0; i < k; i++)
            item(&cnt, 8, "0x%X", (uint32_t)(pairs[i] >> 32));
        end_array(cnt, 8);
        printf("static const uint32_t vc_mem[%zu] = {\n", k ? k : 1);
        cnt = 0;
        for (size_t i = 0; i < k; i++)
            item(&cnt, 8, "0x%X", (uint32_t)pairs[i]);
        end_array(cnt, 8);
        printf("size_t fold_variant_forms(uint32_t cp, uint32_t *out, size_t max)\n{\n"
               "    uint32_t rep = fv_lookup(cp);\n"
               "    size_t lo = 0, hi = %zu, n = 0;\n"
               "    while (lo < hi) {\n        size_t mid = lo + (hi - lo) / 2;\n"
               "        if (vc_rep[mid] < rep)\n            lo = mid + 1;\n        else\n            hi = mid;\n    }\n"
               "    for (size_t i = lo; i < %zu && vc_rep[i] == rep && n < max; i++)\n"
               "        out[n++] = vc_mem[i];\n"
               "    if (n == 0 && max > 0)\n        out[n++] = ts_lookup(cp);\n"
               "    return n;\n}\n\n", k, k);
        free(pairs);
    }
    emit_phrases();
    printf("uint32_t fold_ts(uint32_t cp) { return ts_lookup(cp); }\n");
    printf("uint32_t fold_variant(uint32_t cp) { return fv_lookup(cp); }\n");
    printf("uint32_t fold_ts_count(void) { return %u; }\n", nts);
    printf("uint32_t fold_variant_count(void) { return %u; }\n", nfv);
    if (verbose)
        fprintf(stderr, "genfold: ts %u entries, variant %u entries (%zu variant merges)\n",
                nts, nfv, merged);
    if (fflush(stdout) != 0 || ferror(stdout))
        die("cannot write the output");
    free(ts); free(tsx); free(gbfix); free(rep1); free(fv1); free(rep2); free(fv);
    free(e1.e); free(e2.e); free(opairs); free(byp); free(phrases);
    return 0;
}
