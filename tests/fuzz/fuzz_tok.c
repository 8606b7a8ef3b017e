/*
 * fuzz_tok -- libFuzzer target for the analyser (common/tok.h) at every
 * fold level.
 *
 * The input is analysed as UTF-8 at each of the three fold levels, and
 * the tokens are checked against tok.h: byte ranges inside the input
 * (start < end <= len), positions from pos_base on and never going back,
 * a unigram before the bigram at the same position, terms of 1 to
 * TOK_TERM_MAX bytes of valid UTF-8, *next_pos beyond the last token.
 * The analyser's fast paths must give what its general path gives
 * (tok_create_reference): every token's kind, term, position and bytes,
 * and *next_pos; tok_places the same places (tokens but bigrams, their
 * positions and bytes, words' terms) and *next_pos; tok_analyze_runs
 * the same tokens but their bytes (its runs' code points as tok_cjk
 * says: of three bytes that fz_utf8_plain3 takes, positions rising) and
 * *next_pos.  The first code points also go through tok_fold_cp.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fz.h"
#include "tok.h"

typedef struct {
    size_t len;
    uint32_t base, last_pos;
    int any;
    tok_kind last_kind;
    unsigned long sum;
} state;

/* A token's place for tok_places: kind, position and bytes, and the term
 * of a word (a CJK character's is not folded there); no bigrams. */
static int on_place(void *ctx, const tok_token *t)
{
    unsigned long *sum = ctx;
    if (t->kind == TOK_BI)
        return 0;
    for (uint32_t i = 0; t->kind == TOK_WORD && i < t->term_len; i++)
        *sum = *sum * 31 + (unsigned char)t->term[i];
    *sum = ((*sum * 31 + t->pos) * 31 + t->start) * 31 + t->end + (unsigned long)t->kind;
    return 0;
}

/* A token's kind, term and position (tok_analyze_runs gives no bytes). */
static void sum_term(unsigned long *sum, int kind, const char *term, size_t n, uint32_t pos)
{
    for (size_t i = 0; i < n; i++)
        *sum = *sum * 31 + (unsigned char)term[i];
    *sum = (*sum * 31 + pos) * 31 + (unsigned long)kind;
}

static int on_term(void *ctx, const tok_token *t)
{
    sum_term(ctx, (int)t->kind, t->term, t->term_len, t->pos);
    return 0;
}

static int on_run(void *ctx, const tok_cjk *c, size_t n)
{
    if (n < 2 || (c[0].cp & TOK_CJK_JOIN))
        abort();
    for (size_t k = 0; k < n; k++) {
        uint32_t cp = c[k].cp & ~TOK_CJK_JOIN;
        char b[6];
        if (cp < 0x1000 || cp > 0xFFFF || cp >> 12 == 0xD || (k && c[k].pos <= c[k - 1].pos))
            abort();
        if (!k)
            continue;
        fz_utf8_encode(c[k - 1].cp & ~TOK_CJK_JOIN, b);
        fz_utf8_encode(cp, b + 3);
        if (c[k].cp & TOK_CJK_JOIN)
            sum_term(ctx, TOK_BI, b, 6, c[k - 1].pos);
        sum_term(ctx, TOK_UNI, b + 3, 3, c[k].pos);
    }
    return 0;
}

static int on_token(void *ctx, const tok_token *t)
{
    state *st = ctx;
    if (t->start >= t->end || t->end > st->len)
        abort();
    if (t->pos < st->base || (st->any && t->pos < st->last_pos))
        abort();
    if (t->kind != TOK_UNI && t->kind != TOK_BI && t->kind != TOK_WORD)
        abort();
    if (t->term_len == 0 || t->term_len > TOK_TERM_MAX ||
        fz_utf8_check((const unsigned char *)t->term, t->term_len) != t->term_len)
        abort();
    /* a bigram follows the unigram at its position */
    if (t->kind == TOK_BI && !(st->any && st->last_pos == t->pos && st->last_kind == TOK_UNI))
        abort();
    for (uint32_t i = 0; i < t->term_len; i++)
        st->sum = st->sum * 31 + (unsigned char)t->term[i];
    st->sum = ((st->sum * 31 + t->pos) * 31 + t->start) * 31 + t->end + (unsigned long)t->kind;
    st->any = 1;
    st->last_pos = t->pos;
    st->last_kind = t->kind;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static tok_analyzer *a[3], *ref[3];
    if (!a[0]) {
        char msg[256];
        for (int f = TOK_FOLD_NONE; f <= TOK_FOLD_VARIANTS; f++)
            if (!(a[f] = tok_create((tok_fold)f, msg, sizeof msg)) ||
                !(ref[f] = tok_create_reference((tok_fold)f, msg, sizeof msg)))
                abort();
    }
    char *text = malloc(size ? size : 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    /* the first byte, when there is one, picks the base position */
    uint32_t base = size ? (uint32_t)data[0] * 1000 : 0;
    for (int f = TOK_FOLD_NONE; f <= TOK_FOLD_VARIANTS; f++) {
        state st = {size, base, 0, 0, 0, 0};
        uint32_t next = 0;
        int rc = tok_analyze(a[f], text, size, base, on_token, &st, &next);
        if (rc == FZ_ENOMEM)
            continue;
        if (rc != 0)
            abort();
        /* one past the last token, or two when the text ends in punctuation */
        if (st.any ? next != st.last_pos + 1 && next != st.last_pos + 2 : next != base)
            abort();
        /* the general path gives the same */
        state rs = {size, base, 0, 0, 0, 0};
        uint32_t rnext = 0;
        rc = tok_analyze(ref[f], text, size, base, on_token, &rs, &rnext);
        if (rc == FZ_ENOMEM)
            continue;
        if (rc != 0 || rs.sum != st.sum || rs.any != st.any || rs.last_pos != st.last_pos || rnext != next)
            abort();
        /* tok_places places the tokens as tok_analyze does */
        unsigned long ps = 0, as = 0;
        uint32_t pnext = 0;
        if (tok_analyze(a[f], text, size, base, on_place, &as, NULL) ||
            tok_places(a[f], text, size, base, on_place, &ps, &pnext))
            continue; /* out of memory: the same run gave 0 above */
        if (ps != as || pnext != next)
            abort();
        /* tok_analyze_runs gives the same tokens */
        unsigned long rsum = 0, tsum = 0;
        uint32_t runs_next = 0;
        if (tok_analyze(a[f], text, size, base, on_term, &tsum, NULL) ||
            tok_analyze_runs(a[f], text, size, base, on_term, on_run, &rsum, &runs_next))
            continue;
        if (rsum != tsum || runs_next != next)
            abort();
    }
    /* tok_fold_cp on the first few code points */
    size_t i = 0;
    for (int n = 0; n < 8 && i < size; n++) {
        uint32_t cp, out[8];
        int k = fz_utf8_decode(data + i, size - i, &cp);
        i += k > 0 ? (size_t)k : 1;
        for (int f = TOK_FOLD_NONE; f <= TOK_FOLD_VARIANTS; f++) {
            int m = tok_fold_cp(a[f], cp, out);
            if (m < 0 || m > 8)
                abort();
        }
        (void)tok_classify(cp);
    }
    free(text);
    return 0;
}
