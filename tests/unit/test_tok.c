/*
 * test_tok.c -- the text analyser: normalisation, folding, segmentation,
 * positions, byte offsets, bad input.
 */
#include <dirent.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

#include "fold.h"

#include <stdlib.h>
#include <unicode/ustring.h>
#include <unicode/utrans.h>
#include "fz.h"
#include "t.h"
#include "tok.h"

/* ---- helpers ------------------------------------------------------------ */

/* Collects the tokens as text, "K:term@pos[start,end)" separated by spaces
 * (K = U, B, W), or with terms_only "term@pos". */
struct col {
    fz_buf b;
    int terms_only;
    int stop_at; /* return 7 from the callback at this token (1-based) */
    int n;
    size_t len;  /* input length, for the offset checks */
    uint32_t last_pos;
    int bad;     /* an offset or position out of order or range */
};

static int collect(void *ctx, const tok_token *t)
{
    struct col *c = ctx;
    c->n++;
    if (t->start >= t->end || t->end > c->len || t->term_len == 0 ||
        t->term_len > TOK_TERM_MAX || t->pos < c->last_pos)
        c->bad++;
    c->last_pos = t->pos;
    if (fz_utf8_check((const unsigned char *)t->term, t->term_len) != t->term_len)
        c->bad++;
    if (c->b.len)
        fz_buf_putc(&c->b, ' ');
    if (c->terms_only) {
        fz_buf_printf(&c->b, "%.*s@%u", (int)t->term_len, t->term, t->pos);
    } else {
        char k = t->kind == TOK_UNI ? 'U' : t->kind == TOK_BI ? 'B' : t->kind == TOK_WORD ? 'W' : '?';
        fz_buf_printf(&c->b, "%c:%.*s@%u[%u,%u)", k, (int)t->term_len, t->term, t->pos, t->start,
                      t->end);
    }
    return c->stop_at && c->n == c->stop_at ? 7 : 0;
}

/* Analyses text at pos_base 0 and returns the tokens as text (static
 * storage, four slots so that two results can be compared). */
static const char *run_full(tok_analyzer *a, const char *text, size_t len, int terms_only,
                            uint32_t base, uint32_t *next, int *rc)
{
    static char out[4][8192];
    static int slot;
    struct col c;
    memset(&c, 0, sizeof c);
    c.terms_only = terms_only;
    c.len = len;
    c.last_pos = base;
    int r = tok_analyze(a, text, len, base, collect, &c, next);
    if (rc)
        *rc = r;
    CHECK_EQ_INT(c.bad, 0);
    char *o = out[slot++ & 3];
    snprintf(o, sizeof out[0], "%s", c.b.p ? c.b.p : "");
    fz_buf_free(&c.b);
    return o;
}

static const char *toks(tok_analyzer *a, const char *text)
{
    return run_full(a, text, strlen(text), 0, 0, NULL, NULL);
}

static const char *terms(tok_analyzer *a, const char *text)
{
    return run_full(a, text, strlen(text), 1, 0, NULL, NULL);
}

static tok_analyzer *A_NONE, *A_TS, *A_VAR;

/* ---- normalisation ------------------------------------------------------ */

TEST(test_normalise)
{
    /* Full width equals ASCII; one word; offsets cover the original bytes. */
    CHECK_EQ_STR(toks(A_VAR, "ＡＢＣ１２３"), "W:abc123@0[0,18)");
    CHECK_EQ_STR(toks(A_VAR, "abc123"), "W:abc123@0[0,6)");
    CHECK_EQ_STR(terms(A_NONE, "ＡＢＣ１２３"), terms(A_NONE, "abc123"));
    /* Latin case. */
    CHECK_EQ_STR(terms(A_TS, "Hello WORLD"), "hello@0 world@1");
    CHECK_EQ_STR(terms(A_TS, "hello world"), terms(A_TS, "HeLLo wOrLd"));
    CHECK_EQ_STR(terms(A_TS, "STRASSE"), "strasse@0");
    CHECK_EQ_STR(terms(A_TS, "Straße"), "strasse@0"); /* case folding: ß -> ss */
    CHECK_EQ_STR(toks(A_TS, "Éé"), "W:éé@0[0,4)");
    /* U+2460 -> "1", keeping the byte range of the circled digit. */
    CHECK_EQ_STR(toks(A_TS, "①"), "W:1@0[0,3)");
    CHECK_EQ_STR(toks(A_TS, "第①条"), "U:第@0[0,3) W:1@1[3,6) U:条@2[6,9)");
    /* An expansion into CJK: every part keeps the range of its source. */
    CHECK_EQ_STR(toks(A_NONE, "㍻"), "U:平@0[0,3) B:平成@0[0,3) U:成@1[0,3)");
    /* A compatibility ideograph becomes its unified form. */
    uint32_t out[8];
    CHECK_EQ_INT(tok_fold_cp(A_NONE, 0xF900, out), 1);
    CHECK_EQ_INT(out[0], 0x8C48);
    /* Default ignorables vanish and break nothing: 井<ZWSP>长 is a bigram. */
    CHECK_EQ_STR(terms(A_NONE, "井\xE2\x80\x8B长"), "井@0 井长@0 长@1");
    CHECK_EQ_INT(tok_fold_cp(A_NONE, 0x200B, out), 0);
    /* Ideographic space is a space. */
    CHECK_EQ_STR(toks(A_NONE, "陆\xE3\x80\x80婷"), "U:陆@0[0,3) U:婷@1[6,9)");
    CHECK_EQ_INT(tok_fold_cp(A_TS, 'Q', out), 1);
    CHECK_EQ_INT(out[0], 'q');
}

TEST(test_classify)
{
    CHECK_EQ_INT(tok_classify(0x4E95), TOK_C_CJK);  /* 井 */
    CHECK_EQ_INT(tok_classify(0x3400), TOK_C_CJK);  /* Ext A */
    CHECK_EQ_INT(tok_classify(0x20000), TOK_C_CJK); /* Ext B */
    CHECK_EQ_INT(tok_classify(0x3007), TOK_C_CJK);  /* 〇 */
    CHECK_EQ_INT(tok_classify(0x3005), TOK_C_CJK);  /* 々 */
    CHECK_EQ_INT(tok_classify(0x3042), TOK_C_CJK);  /* あ */
    CHECK_EQ_INT(tok_classify(0x30A2), TOK_C_CJK);  /* ア */
    CHECK_EQ_INT(tok_classify(0x30FC), TOK_C_CJK);  /* ー */
    CHECK_EQ_INT(tok_classify(0xD55C), TOK_C_CJK);  /* 한 */
    CHECK_EQ_INT(tok_classify(' '), TOK_C_SPACE);
    CHECK_EQ_INT(tok_classify('\n'), TOK_C_SPACE);
    CHECK_EQ_INT(tok_classify(0x3000), TOK_C_SPACE);
    CHECK_EQ_INT(tok_classify(0x00A0), TOK_C_SPACE);
    CHECK_EQ_INT(tok_classify('a'), TOK_C_WORD);
    CHECK_EQ_INT(tok_classify('7'), TOK_C_WORD);
    CHECK_EQ_INT(tok_classify(0x00E9), TOK_C_WORD); /* é */
    CHECK_EQ_INT(tok_classify(0x0301), TOK_C_WORD); /* combining acute */
    CHECK_EQ_INT(tok_classify(0x0661), TOK_C_WORD); /* Arabic-Indic 1 */
    CHECK_EQ_INT(tok_classify(0x0436), TOK_C_WORD); /* ж */
    CHECK_EQ_INT(tok_classify(0x3105), TOK_C_WORD); /* ㄅ bopomofo */
    CHECK_EQ_INT(tok_classify(0xFF0C), TOK_C_PUNCT); /* ， */
    CHECK_EQ_INT(tok_classify(0x3002), TOK_C_PUNCT); /* 。 */
    CHECK_EQ_INT(tok_classify(0x30FB), TOK_C_PUNCT); /* ・ */
    CHECK_EQ_INT(tok_classify('$'), TOK_C_PUNCT);
    CHECK_EQ_INT(tok_classify('.'), TOK_C_PUNCT);
    CHECK_EQ_INT(tok_classify(0x00A9), TOK_C_PUNCT); /* © */
    CHECK_EQ_INT(tok_classify(0xFFFD), TOK_C_PUNCT);
    CHECK_EQ_INT(tok_classify(0x4DC0), TOK_C_PUNCT); /* hexagram symbol */
    CHECK_EQ_INT(tok_classify(0xE000), TOK_C_PUNCT); /* private use */
    CHECK_EQ_INT(tok_classify(0x110000), TOK_C_PUNCT);
}

/* ---- folding ------------------------------------------------------------ */

TEST(test_folding)
{
    /* 井長制 and 井长制: same terms and offsets at TS and VARIANTS, not NONE. */
    CHECK_EQ_STR(toks(A_TS, "井長制"), toks(A_TS, "井长制"));
    CHECK_EQ_STR(toks(A_VAR, "井長制"), toks(A_VAR, "井长制"));
    CHECK(strcmp(toks(A_NONE, "井長制"), toks(A_NONE, "井长制")) != 0);
    CHECK_EQ_STR(toks(A_TS, "長安"), "U:长@0[0,3) B:长安@0[0,6) U:安@1[3,6)");
    CHECK_EQ_STR(toks(A_NONE, "長安"), "U:長@0[0,3) B:長安@0[0,6) U:安@1[3,6)");
    CHECK_EQ_STR(terms(A_TS, "髮發 後來 於是"), terms(A_TS, "发发 后来 于是"));

    /* Variants.  峯 and 敎 ICU leaves alone: they fold at VARIANTS only.
     * 羣 裏 衆 ICU's Traditional-Simplified already maps, so they fold at
     * TS too (and at VARIANTS); nothing folds at NONE. */
    static const char *const var_only[][2] = {{"峯", "峰"}, {"敎", "教"}};
    static const char *const ts_too[][2] = {{"羣", "群"}, {"裏", "里"}, {"衆", "众"}};
    for (size_t i = 0; i < 2; i++) {
        CHECK_EQ_STR(terms(A_VAR, var_only[i][0]), terms(A_VAR, var_only[i][1]));
        CHECK(strcmp(terms(A_TS, var_only[i][0]), terms(A_TS, var_only[i][1])) != 0);
        CHECK(strcmp(terms(A_NONE, var_only[i][0]), terms(A_NONE, var_only[i][1])) != 0);
    }
    for (size_t i = 0; i < 3; i++) {
        CHECK_EQ_STR(terms(A_VAR, ts_too[i][0]), terms(A_VAR, ts_too[i][1]));
        CHECK_EQ_STR(terms(A_TS, ts_too[i][0]), terms(A_TS, ts_too[i][1]));
        CHECK(strcmp(terms(A_NONE, ts_too[i][0]), terms(A_NONE, ts_too[i][1])) != 0);
    }
    CHECK_EQ_STR(terms(A_VAR, "峯羣裏衆敎"), "峰@0 峰群@0 群@1 群里@1 里@2 里众@2 众@3 众教@3 教@4");
    /* Old printed forms (旧字形): today's form at VARIANTS only. */
    static const char *const old[][2] = {{"淸", "清"}, {"靑", "青"}, {"旣", "既"}, {"卽", "即"}};
    for (size_t i = 0; i < 4; i++) {
        CHECK_EQ_STR(terms(A_VAR, old[i][0]), terms(A_VAR, old[i][1]));
        CHECK(strcmp(terms(A_TS, old[i][0]), terms(A_TS, old[i][1])) != 0);
        CHECK(strcmp(terms(A_NONE, old[i][0]), terms(A_NONE, old[i][1])) != 0);
    }
    CHECK_EQ_STR(terms(A_VAR, "淸靑旣卽"), terms(A_VAR, "清青既即"));
    /* Distinct common characters stay apart even where Unihan links them. */
    CHECK(strcmp(terms(A_VAR, "他"), terms(A_VAR, "她")) != 0);
    CHECK(strcmp(terms(A_VAR, "沈"), terms(A_VAR, "沉")) != 0);
    CHECK(strcmp(terms(A_VAR, "板"), terms(A_VAR, "版")) != 0);

    /* Over the whole URO, at every level: the analyser's fast path gives
     * what tok_fold_cp (normalise, then fold) gives, the result is CJK, and
     * VARIANTS is idempotent. */
    tok_analyzer *as[3] = {A_NONE, A_TS, A_VAR};
    int mismatch = 0, notcjk = 0, notidem = 0;
    for (int l = 0; l < 3; l++) {
        for (uint32_t cp = 0x4E00; cp <= 0x9FFF; cp++) {
            uint32_t out[8], out2[8];
            if (tok_fold_cp(as[l], cp, out) != 1) {
                mismatch++;
                continue;
            }
            char in[4], want[4];
            int n = fz_utf8_encode(cp, in), wn = fz_utf8_encode(out[0], want);
            struct col c;
            memset(&c, 0, sizeof c);
            c.len = (size_t)n;
            tok_analyze(as[l], in, (size_t)n, 0, collect, &c, NULL);
            char expect[32];
            snprintf(expect, sizeof expect, "U:%.*s@0[0,%d)", wn, want, n);
            if (!c.b.p || strcmp(c.b.p, expect) != 0)
                mismatch++;
            fz_buf_free(&c.b);
            if (tok_classify(out[0]) != TOK_C_CJK)
                notcjk++;
            if (l == 2 && (tok_fold_cp(as[l], out[0], out2) != 1 || out2[0] != out[0]))
                notidem++;
        }
    }
    CHECK_EQ_INT(mismatch, 0);
    CHECK_EQ_INT(notcjk, 0);
    CHECK_EQ_INT(notidem, 0);
}

/* ---- segmentation and positions ----------------------------------------- */

TEST(test_bigrams)
{
    CHECK_EQ_STR(toks(A_TS, "井长制"),
                 "U:井@0[0,3) B:井长@0[0,6) U:长@1[3,6) B:长制@1[3,9) U:制@2[6,9)");
    CHECK_EQ_STR(toks(A_TS, "井"), "U:井@0[0,3)");
    /* Dates: spaces take no position and a word ends a CJK run. */
    CHECK_EQ_STR(terms(A_TS, "2017年9月29日"), "2017@0 年@1 9@2 月@3 29@4 日@5");
    CHECK_EQ_STR(terms(A_TS, "2017 年 9 月 29 日"), terms(A_TS, "2017年9月29日"));
    CHECK_EQ_STR(toks(A_TS, "2017 年"), "W:2017@0[0,4) U:年@1[5,8)");
    /* A decimal point between digits stays in the word. */
    CHECK_EQ_STR(terms(A_TS, "1111.49亿元"), "1111.49@0 亿@1 亿元@1 元@2");
    CHECK_EQ_STR(terms(A_TS, "1111.49 亿元"), terms(A_TS, "1111.49亿元"));
    CHECK_EQ_STR(toks(A_TS, "１１．５"), "W:11.5@0[0,12)");
    CHECK_EQ_STR(terms(A_TS, "v1.2.3"), "v1.2.3@0");
    CHECK_EQ_STR(terms(A_TS, "3.a"), "3@0 a@2");
    CHECK_EQ_STR(terms(A_TS, "a.b"), "a@0 b@2");
    CHECK_EQ_STR(terms(A_TS, "3. 5"), "3@0 5@2");
    CHECK_EQ_STR(terms(A_TS, ".5"), "5@0");
    /* Punctuation: a gap, no bigram across it. */
    CHECK_EQ_STR(toks(A_TS, "北，山"), "U:北@0[0,3) U:山@2[6,9)");
    CHECK_EQ_STR(terms(A_TS, "北，。、山"), "北@0 山@2");
    CHECK_EQ_STR(terms(A_TS, "北 ， 山"), "北@0 山@2");
    CHECK_EQ_STR(terms(A_TS, "a, b"), "a@0 b@2");
    /* Word then CJK, no bigram across them. */
    CHECK_EQ_STR(toks(A_TS, "LOGO 征集"),
                 "W:logo@0[0,4) U:征@1[5,8) B:征集@1[5,11) U:集@2[8,11)");
    CHECK_EQ_STR(terms(A_TS, "LOGO征集"), terms(A_TS, "LOGO 征集"));
    CHECK_EQ_STR(terms(A_TS, "征集LOGO"), "征@0 征集@0 集@1 logo@2");
    /* A space ends a CJK run (no bigram across it) but takes no position. */
    CHECK_EQ_STR(toks(A_TS, "陆 婷"), "U:陆@0[0,3) U:婷@1[4,7)");
    CHECK_EQ_STR(terms(A_TS, "陆 \n 婷"), "陆@0 婷@1");
    CHECK_EQ_STR(terms(A_TS, "望江南 風角"), "望@0 望江@0 江@1 江南@1 南@2 风@3 风角@3 角@4");
    /* Traditional input: terms folded, offsets on the traditional bytes. */
    CHECK_EQ_STR(toks(A_TS, "①長髮"),
                 "W:1@0[0,3) U:长@1[3,6) B:长发@1[3,9) U:发@2[6,9)");
    CHECK_EQ_STR(toks(A_TS, "Ａ長"), "W:a@0[0,3) U:长@1[3,6)");
    /* Kana, hangul and 〇 are CJK. */
    CHECK_EQ_STR(terms(A_TS, "カナー"), "カ@0 カナ@0 ナ@1 ナー@1 ー@2");
    CHECK_EQ_STR(terms(A_TS, "한국"), "한@0 한국@0 국@1");
    CHECK_EQ_STR(terms(A_TS, "二〇一"), "二@0 二〇@0 〇@1 〇一@1 一@2");
    /* Half-width katakana normalise to full width. */
    CHECK_EQ_STR(terms(A_TS, "ｶﾅ"), terms(A_TS, "カナ"));
    /* Supplementary ideographs (Ext B). */
    CHECK_EQ_STR(toks(A_NONE, "\xF0\xA0\x80\x80井"),
                 "U:\xF0\xA0\x80\x80@0[0,4) B:\xF0\xA0\x80\x80井@0[0,7) U:井@1[4,7)");
}

static int count_cb(void *ctx, const tok_token *t)
{
    size_t *n = ctx;
    (*n)++;
    return 0;
}

TEST(test_positions)
{
    uint32_t next = 0;
    int rc = -1;
    /* next_pos: one past the last token, plus one after final punctuation. */
    CHECK_EQ_STR(run_full(A_TS, "井长", 6, 1, 10, &next, &rc), "井@10 井长@10 长@11");
    CHECK_EQ_INT(next, 12);
    CHECK_EQ_INT(rc, 0);
    run_full(A_TS, "井长，", 9, 1, 10, &next, &rc);
    CHECK_EQ_INT(next, 13);
    run_full(A_TS, "井长 ", 7, 1, 10, &next, &rc);
    CHECK_EQ_INT(next, 12);
    run_full(A_TS, "abc", 3, 1, 5, &next, &rc);
    CHECK_EQ_INT(next, 6);
    /* Leading punctuation adds nothing (there is no token before it). */
    CHECK_EQ_STR(run_full(A_TS, "，井", 6, 1, 3, &next, &rc), "井@3");
    CHECK_EQ_INT(next, 4);
    run_full(A_TS, "，。", 6, 1, 3, &next, &rc);
    CHECK_EQ_INT(next, 3);
    /* Empty input. */
    next = 99;
    CHECK_EQ_STR(run_full(A_TS, "", 0, 1, 7, &next, &rc), "");
    CHECK_EQ_INT(next, 7);
    CHECK_EQ_INT(rc, 0);
    size_t n = 0;
    CHECK_EQ_INT(tok_analyze(A_TS, NULL, 0, 0, count_cb, &n, NULL), 0);
    CHECK_EQ_INT(n, 0);
    /* Two fields: the second starts at next_pos + 1, so no phrase spans them. */
    run_full(A_TS, "北", 3, 1, 0, &next, &rc);
    CHECK_EQ_STR(run_full(A_TS, "山", 3, 1, next + 1, &next, &rc), "山@2");
    /* The callback can stop the analysis; its value comes back. */
    struct col c;
    memset(&c, 0, sizeof c);
    c.stop_at = 2;
    c.len = 9;
    CHECK_EQ_INT(tok_analyze(A_TS, "井长制", 9, 0, collect, &c, NULL), 7);
    CHECK_EQ_INT(c.n, 2);
    fz_buf_free(&c.b);
    memset(&c, 0, sizeof c);
    c.stop_at = 1;
    c.len = 7;
    CHECK_EQ_INT(tok_analyze(A_TS, "abc def", 7, 0, collect, &c, NULL), 7);
    CHECK_EQ_INT(c.n, 1);
    fz_buf_free(&c.b);
}

/* ---- bad and big input -------------------------------------------------- */

TEST(test_invalid)
{
    /* An invalid byte is a separator: no token, a gap, no bigram across. */
    CHECK_EQ_STR(toks(A_TS, "中\xFF国"), "U:中@0[0,3) U:国@2[4,7)");
    CHECK_EQ_STR(toks(A_TS, "ab\x80" "cd"), "W:ab@0[0,2) W:cd@2[3,5)");
    CHECK_EQ_STR(toks(A_TS, "\xC0\xAF" "a"), "W:a@0[2,3)");        /* overlong '/' */
    CHECK_EQ_STR(toks(A_TS, "\xED\xA0\x80" "a"), "W:a@0[3,4)");    /* surrogate */
    CHECK_EQ_STR(toks(A_TS, "\xE4\xB8"), "");                      /* truncated 中 */
    CHECK_EQ_STR(toks(A_TS, "a\xE4\xB8"), "W:a@0[0,1)");
    CHECK_EQ_STR(toks(A_TS, "\xF4\x90\x80\x80"), "");              /* > U+10FFFF */
    CHECK_EQ_STR(toks(A_TS, "1.\xFF" "5"), "W:1@0[0,1) W:5@2[3,4)");
    /* Random bytes and random mixes of valid pieces: no crash, tokens sane
     * (collect() checks offsets, positions and UTF-8 of every term). */
    static const char *const pieces[] = {"井", "長", "a", "Z", "1", ".", " ", "，", "\xFF",
                                         "\xE4", "①", "ｶ", "\xF0\xA0\x80\x80", "é", "\xCC\x81",
                                         "㍻", "ﷺ", "\xE2\x80\x8B", "\n", "ß"};
    unsigned seed = 12345;
    char buf[4096];
    for (int round = 0; round < 300; round++) {
        size_t len = 0;
        while (len < sizeof buf - 8) {
            seed = seed * 1103515245u + 12345u;
            unsigned r = (seed >> 16) & 0x7FFF;
            if (round & 1) {
                buf[len++] = (char)(r & 0xFF);
            } else {
                const char *pc = pieces[r % (sizeof pieces / sizeof pieces[0])];
                memcpy(buf + len, pc, strlen(pc));
                len += strlen(pc);
            }
        }
        for (int l = 0; l < 3; l++) {
            tok_analyzer *a = l == 0 ? A_NONE : l == 1 ? A_TS : A_VAR;
            struct col c;
            memset(&c, 0, sizeof c);
            c.len = len;
            uint32_t next = 0;
            int rc = tok_analyze(a, buf, len, 0, collect, &c, &next);
            if (rc != 0 || c.bad || next < c.last_pos)
                CHECK(0);
            fz_buf_free(&c.b);
        }
    }
    CHECK(1);
}

struct big {
    size_t n, uni, bi, word;
    uint32_t first_len, first_start, first_end, max_pos;
};

static int big_cb(void *ctx, const tok_token *t)
{
    struct big *b = ctx;
    if (b->n++ == 0) {
        b->first_len = t->term_len;
        b->first_start = t->start;
        b->first_end = t->end;
    }
    if (t->kind == TOK_UNI) b->uni++;
    if (t->kind == TOK_BI) b->bi++;
    if (t->kind == TOK_WORD) b->word++;
    b->max_pos = t->pos;
    return 0;
}

TEST(test_big)
{
    size_t len = 1u << 20;
    char *s = malloc(len);
    CHECK(s != NULL);
    if (!s)
        return;
    /* A 1 MB word: one token, the term cut to TOK_TERM_MAX, offsets whole. */
    memset(s, 'a', len);
    struct big b;
    memset(&b, 0, sizeof b);
    uint32_t next = 0;
    CHECK_EQ_INT(tok_analyze(A_TS, s, len, 0, big_cb, &b, &next), 0);
    CHECK_EQ_INT(b.n, 1);
    CHECK_EQ_INT(b.first_len, TOK_TERM_MAX);
    CHECK_EQ_INT(b.first_start, 0);
    CHECK_EQ_INT(b.first_end, len);
    CHECK_EQ_INT(next, 1);
    /* A 1 MB line of CJK (3 bytes each, one space at the end). */
    size_t nch = (len - 1) / 3;
    for (size_t i = 0; i < nch; i++)
        memcpy(s + 3 * i, i & 1 ? "長" : "井", 3);
    memset(s + 3 * nch, ' ', len - 3 * nch);
    memset(&b, 0, sizeof b);
    CHECK_EQ_INT(tok_analyze(A_TS, s, len, 0, big_cb, &b, &next), 0);
    CHECK_EQ_INT(b.uni, nch);
    CHECK_EQ_INT(b.bi, nch - 1);
    CHECK_EQ_INT(b.max_pos, nch - 1);
    CHECK_EQ_INT(next, nch);
    free(s);
    /* Cut at a character boundary: 'a' + 40 x 'ж' (2 bytes) keeps 63 bytes. */
    char w[128];
    size_t wl = 0;
    w[wl++] = 'a';
    for (int i = 0; i < 40; i++) {
        memcpy(w + wl, "ж", 2);
        wl += 2;
    }
    memset(&b, 0, sizeof b);
    CHECK_EQ_INT(tok_analyze(A_TS, w, wl, 0, big_cb, &b, NULL), 0);
    CHECK_EQ_INT(b.n, 1);
    CHECK_EQ_INT(b.first_len, 63);
    CHECK_EQ_INT(b.first_end, wl);
}

TEST(test_api)
{
    CHECK_EQ_INT(tok_get_fold(A_NONE), TOK_FOLD_NONE);
    CHECK_EQ_INT(tok_get_fold(A_TS), TOK_FOLD_TS);
    CHECK_EQ_INT(tok_get_fold(A_VAR), TOK_FOLD_VARIANTS);
    char msg[128] = "";
    CHECK(tok_create((tok_fold)7, msg, sizeof msg) == NULL);
    CHECK(msg[0] != 0);
    tok_destroy(NULL);
    /* U+FDFA expands to 18 code points; tok_fold_cp keeps 8. */
    uint32_t out[8];
    CHECK_EQ_INT(tok_fold_cp(A_TS, 0xFDFA, out), 8);
    CHECK_EQ_INT(tok_fold_cp(A_TS, 0x2460, out), 1);
    CHECK_EQ_INT(out[0], '1');
    CHECK_EQ_INT(tok_fold_cp(A_TS, 0x9577, out), 1); /* 長 */
    CHECK_EQ_INT(out[0], 0x957F);                    /* 长 */
    CHECK_EQ_INT(tok_fold_cp(A_NONE, 0x9577, out), 1);
    CHECK_EQ_INT(out[0], 0x9577);
    CHECK_EQ_INT(tok_fold_cp(A_VAR, 0x5CEF, out), 1); /* 峯 */
    CHECK_EQ_INT(out[0], 0x5CF0);                     /* 峰 */
}

/* ---- the fast paths against the general path ----------------------------- */

static tok_analyzer *R_NONE, *R_TS, *R_VAR; /* tok_create_reference */

static int dump_cb(void *ctx, const tok_token *t)
{
    fz_buf_printf(ctx, "%d:%.*s@%u[%u,%u) ", (int)t->kind, (int)t->term_len, t->term, t->pos, t->start,
                  t->end);
    return 0;
}

/* Every token of text (kind, folded term, position, byte range), the
 * return code and the next position, as text. */
static void dump(tok_analyzer *a, const char *text, size_t len, fz_buf *out)
{
    uint32_t next = 0;
    out->len = 0;
    int rc = tok_analyze(a, text, len, 5, dump_cb, out, &next);
    fz_buf_printf(out, "rc=%d next=%u", rc, next);
}

/* A token as tok_places gives it: no bigrams, a CJK character's term
 * left out (tok_places gives it as written), the rest as dump_cb. */
static int places_cb(void *ctx, const tok_token *t)
{
    if (t->kind == TOK_BI)
        return 0;
    int n = t->kind == TOK_UNI ? 0 : (int)t->term_len;
    fz_buf_printf(ctx, "%d:%.*s@%u[%u,%u) ", (int)t->kind, n, t->term, t->pos, t->start, t->end);
    return 0;
}

/* Every token as places_cb shows it, the return code and the next
 * position: of tok_places with places set, else of tok_analyze. */
static void dump_places(tok_analyzer *a, const char *text, size_t len, int places, fz_buf *out)
{
    uint32_t next = 0;
    out->len = 0;
    int rc = (places ? tok_places : tok_analyze)(a, text, len, 5, places_cb, out, &next);
    fz_buf_printf(out, "rc=%d next=%u", rc, next);
}

/* tok_analyze's tokens, or tok_analyze_runs' with the runs' tokens
 * spelled out as tok_run_fn says, as text without byte ranges (the runs
 * give none); the callbacks return 7 at token stop_at (1-based, 0 never). */
struct rdump {
    fz_buf *out;
    int n, stop_at;
    int runs, bad;   /* run calls; code points out of the contract */
    int emits;       /* emit calls */
};

static int rd_tok(struct rdump *d, int kind, const char *term, size_t n, uint32_t pos)
{
    fz_buf_printf(d->out, "%d:%.*s@%u ", kind, (int)n, term, pos);
    return ++d->n == d->stop_at ? 7 : 0;
}

static int rd_emit(void *ctx, const tok_token *t)
{
    ((struct rdump *)ctx)->emits++;
    return rd_tok(ctx, (int)t->kind, t->term, t->term_len, t->pos);
}

static int rd_run(void *ctx, const tok_cjk *c, size_t n)
{
    struct rdump *d = ctx;
    d->runs++;
    if (n < 2)
        d->bad++;
    for (size_t k = 0; k < n; k++) {
        uint32_t cp = c[k].cp & ~TOK_CJK_JOIN;
        char b[8];
        if (cp < 0x1000 || cp > 0xFFFF || (cp >= 0xD000 && cp <= 0xDFFF) || (k == 0 && (c[k].cp & TOK_CJK_JOIN)) ||
            (k && c[k].pos <= c[k - 1].pos)) {
            d->bad++;
            return 0;
        }
        if (k == 0)
            continue;
        int rc;
        fz_utf8_encode(c[k - 1].cp & ~TOK_CJK_JOIN, b);
        fz_utf8_encode(cp, b + 3);
        if ((c[k].cp & TOK_CJK_JOIN) && (rc = rd_tok(d, TOK_BI, b, 6, c[k - 1].pos)))
            return rc;
        if ((rc = rd_tok(d, TOK_UNI, b + 3, 3, c[k].pos)))
            return rc;
    }
    return 0;
}

/* The tokens of text as rd_tok shows them, the return code and the next
 * position: of tok_analyze_runs with runs set, else of tok_analyze. */
static void dump_runs(tok_analyzer *a, const char *text, size_t len, int runs, int stop_at, fz_buf *out,
                      int *nruns, int *bad)
{
    uint32_t next = 0;
    struct rdump d = {out, 0, stop_at, 0, 0, 0};
    out->len = 0;
    int rc = runs ? tok_analyze_runs(a, text, len, 5, rd_emit, rd_run, &d, &next)
                  : tok_analyze(a, text, len, 5, rd_emit, &d, &next);
    fz_buf_printf(out, "rc=%d next=%u", rc, rc ? 0 : next);
    *nruns += d.runs;
    *bad += d.bad;
}

/* Analyses text at every level with and without the fast paths, with
 * tok_places against tok_analyze, and with tok_analyze_runs against
 * tok_analyze; returns the number of levels where they differ (and shows
 * the first few). */
static int differ(const char *what, const char *text, size_t len)
{
    static int shown;
    tok_analyzer *fast[3] = {A_NONE, A_TS, A_VAR}, *ref[3] = {R_NONE, R_TS, R_VAR};
    fz_buf f = {0}, r = {0};
    int bad = 0;
    for (int l = 0; l < 9; l++) {
        const char *how = l < 3 ? "general" : l < 6 ? "tok_places" : "tok_analyze_runs";
        if (l < 3) {
            dump(fast[l], text, len, &f);
            dump(ref[l], text, len, &r);
        } else if (l < 6) {
            dump_places(fast[l - 3], text, len, 0, &f);
            dump_places(fast[l - 3], text, len, 1, &r);
        } else {
            int nruns = 0, nbad = 0;
            dump_runs(fast[l - 6], text, len, 0, 0, &f, &nruns, &nbad);
            dump_runs(fast[l - 6], text, len, 1, 0, &r, &nruns, &nbad);
            bad += nbad;
        }
        if (f.len != r.len || memcmp(f.p, r.p, f.len)) {
            bad++;
            if (shown++ < 5)
                fprintf(stderr, "%s, level %d: fast %.*s\n  %s %.*s\n", what, l % 3, (int)(f.len > 600 ? 600 : f.len),
                        f.p, how, (int)(r.len > 600 ? 600 : r.len), r.p);
        }
    }
    fz_buf_free(&f);
    fz_buf_free(&r);
    return bad;
}

static void put_cp(fz_buf *b, uint32_t cp)
{
    char u[4];
    fz_buf_append(b, u, (size_t)fz_utf8_encode(cp, u));
}

/* Every code point from U+0080 to U+3FFFF (the BMP, planes 1-3: all that
 * the table covers), each twice in a row between neighbours of every class
 * (CJK, a phrase's first character, letters, digits and '.', space,
 * punctuation, a combining mark), 64 code points to a text. */
TEST(test_fast_every_code_point)
{
    static const uint32_t nb[] = {0x4E2D, 0x6C88, 'a', '1', '.', ' ', 0xFF0C, 0x3002, 0x0301, 0x9577, 0x3000};
    const size_t nnb = sizeof nb / sizeof nb[0];
    fz_buf t = {0};
    int bad = 0;
    for (uint32_t lo = 0x80; lo < 0x40000; lo = (lo | 63) + 1) {
        t.len = 0;
        for (uint32_t cp = lo; cp <= (lo | 63); cp++) {
            if (cp >= 0xD800 && cp <= 0xDFFF)
                continue;
            put_cp(&t, nb[cp % nnb]);
            put_cp(&t, cp);
            put_cp(&t, cp);
            put_cp(&t, nb[cp / nnb % nnb]);
        }
        char what[64];
        snprintf(what, sizeof what, "U+%04X..U+%04X", lo, lo | 63);
        bad += differ(what, t.p, t.len);
    }
    CHECK_EQ_INT(bad, 0);
    fz_buf_free(&t);
}

/* Random texts (fixed seed) over characters that take every path: ASCII,
 * full-width forms, CJK punctuation, simplified, traditional and variant
 * characters, the characters of the phrase rules (so that runs match and
 * half-match them), extension A and B ideographs, compatibility
 * ideographs, expansions, ignorables, marks, and invalid bytes. */
TEST(test_fast_random)
{
    static const uint32_t pick[] = {'a', 'Z', '0', '7', '.', ' ', '\n', ',', 0xFF11, 0xFF0E, 0xFF21, 0xFF0C,
                                    0x3001, 0x3002, 0x300A, 0x300C, 0x3000, 0x4E2D, 0x6587, 0x957F, 0x9577,
                                    0x5CEF, 0x5CF0, 0x6DF8, 0x6E05, 0x9751, 0x9752, 0x82CE, 0x82E7, 0x85B4,
                                    0x3400, 0x4DB5, 0x20000, 0x2A6D6, 0x30000, 0xF900, 0xFA30, 0x2460,
                                    0x337B, 0x200B, 0x00AD, 0x0301, 0x00E9, 0x00DF, 0x0391, 0x3042, 0x30FC,
                                    0xAC00, 0x3007, 0x0661, 0xFDFA, 0x1D400};
    const size_t npick = sizeof pick / sizeof pick[0];
    size_t nph = fold_phrase_count();
    uint64_t x = 0x9E3779B97F4A7C15u;
    fz_buf t = {0};
    int bad = 0;
    for (int round = 0; round < 4000; round++) {
        t.len = 0;
        x = x * 6364136223846793005u + 1442695040888963407u;
        int n = 1 + (int)(x >> 58);
        for (int k = 0; k < n; k++) {
            x = x * 6364136223846793005u + 1442695040888963407u;
            uint32_t r = (uint32_t)(x >> 33);
            if (r % 8 == 0 && nph) { /* a phrase rule's key, or its start */
                const uint32_t *key, *val;
                size_t kl = fold_phrase(r / 8 % nph, &key, &val);
                for (size_t q = 0; q < kl - (r / 8 % 3 == 0); q++)
                    put_cp(&t, key[q]);
            } else if (r % 8 == 1) { /* any ideograph of the URO */
                put_cp(&t, 0x4E00 + r / 8 % 0x5200);
            } else if (r % 64 == 2) { /* an invalid byte */
                fz_buf_putc(&t, (char)(0x80 + r / 64 % 0x80));
            } else {
                put_cp(&t, pick[r / 8 % npick]);
            }
        }
        bad += differ("random text", t.p, t.len);
    }
    CHECK_EQ_INT(bad, 0);
    fz_buf_free(&t);
}

/* Every file of the test fixtures and the sample corpus, whole. */
TEST(test_fast_fixtures)
{
    static const char *const dirs[] = {"tests/fixtures/enc",           "tests/fixtures/fold",
                                       "tests/fixtures/layout",        "tests/fixtures/parse",
                                       "tests/fixtures/parse/layouts", "tests/fixtures/research", "corpus"};
    int files = 0, bad = 0;
    for (size_t d = 0; d < sizeof dirs / sizeof dirs[0]; d++) {
        DIR *dir = opendir(dirs[d]);
        CHECK(dir != NULL);
        if (!dir)
            continue;
        struct dirent *de;
        while ((de = readdir(dir))) {
            if (de->d_name[0] == '.')
                continue;
            char path[512];
            snprintf(path, sizeof path, "%s/%s", dirs[d], de->d_name);
            struct stat st;
            if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
                continue; /* a folder of fixtures has its own entry above */
            size_t n;
            char *t = t_slurp(path, &n);
            CHECK(t != NULL);
            if (!t)
                continue;
            bad += differ(path, t, n);
            free(t);
            files++;
        }
        closedir(dir);
    }
    CHECK(files >= 35);
    CHECK_EQ_INT(bad, 0);
}

/* tok_analyze_runs against tok_analyze on texts whose CJK runs are broken
 * by punctuation (ASCII, full-width, CJK), letters, digits, spaces,
 * characters beyond the BMP, hangul of U+D000.. (three bytes, not in the
 * URO), a phrase rule's key, characters that fold to another, and runs
 * longer than a batch (TOK_RUN_MAX): the same tokens in the same order,
 * the same positions, the same code when a callback stops the analysis
 * at any token; and the runs are taken (most of the CJK tokens go to
 * run). */
TEST(test_runs)
{
    static const char *const texts[] = {
        "中华人民共和国",
        "望江南，風角。山水",
        "中文abc中文 中文123中文",
        "𠀀中文𠀁文字𪛖",
        "中文한국어중文",
        "沈澱物中沈澱",
        "長江黃河，東西南北。",
        "一二三 四五六　七八九",
        "中「文」字《书》名、国",
        "汉字\xff\xfe混合",
        "文。",
        "中",
    };
    fz_buf t = {0}, f = {0}, r = {0};
    tok_analyzer *lv[3] = {A_NONE, A_TS, A_VAR};
    int nruns = 0, bad = 0;
    for (size_t i = 0; i < sizeof texts / sizeof texts[0] + 1; i++) {
        t.len = 0;
        if (i < sizeof texts / sizeof texts[0]) {
            fz_buf_append(&t, texts[i], strlen(texts[i]));
        } else { /* runs longer than a batch, with and without gaps */
            for (uint32_t k = 0; k < 3 * TOK_RUN_MAX + 7; k++) {
                put_cp(&t, 0x4E00 + (k * 2654435761u >> 7) % 0x5200);
                if (k % 300 == 299)
                    put_cp(&t, 0x3002);
            }
        }
        for (int l = 0; l < 3; l++) {
            /* whole, then stopped at each of the first tokens */
            for (int stop = 0; stop < 40; stop++) {
                dump_runs(lv[l], t.p, t.len, 0, stop, &f, &nruns, &bad);
                dump_runs(lv[l], t.p, t.len, 1, stop, &r, &nruns, &bad);
                if (f.len != r.len || memcmp(f.p, r.p, f.len)) {
                    bad++;
                    fprintf(stderr, "text %zu, level %d, stop %d:\n  tok_analyze      %.*s\n  tok_analyze_runs %.*s\n", i, l,
                            stop, (int)(f.len > 400 ? 400 : f.len), f.p, (int)(r.len > 400 ? 400 : r.len), r.p);
                }
            }
        }
    }
    CHECK_EQ_INT(bad, 0);
    CHECK(nruns > 100);
    /* a text of Chinese: nearly all its tokens come from run calls */
    int b0 = 0;
    struct rdump d = {&f, 0, 0, 0, 0, 0};
    f.len = 0;
    const char *poem = "床前明月光，疑是地上霜。舉頭望明月，低頭思故鄉。";
    CHECK_EQ_INT(tok_analyze_runs(A_TS, poem, strlen(poem), 0, rd_emit, rd_run, &d, NULL), 0);
    CHECK_EQ_INT(d.n, 36); /* 20 unigrams, 4 x 4 bigrams */
    CHECK(d.emits <= 2);   /* the first character's unigram, perhaps one more */
    CHECK_EQ_INT(b0, 0);
    fz_buf_free(&t);
    fz_buf_free(&f);
    fz_buf_free(&r);
}

/* ---- phrase rules -------------------------------------------------------- */

static int uni_cb(void *ctx, const tok_token *t)
{
    if (t->kind == TOK_UNI)
        fz_buf_append(ctx, t->term, t->term_len);
    return 0;
}

/* The unigrams of text at the analyser's level, concatenated. */
static void unigrams(tok_analyzer *a, const char *text, size_t len, fz_buf *out)
{
    out->len = 0;
    CHECK_EQ_INT(tok_analyze(a, text, len, 0, uni_cb, out, NULL), 0);
}

/* text through ICU's transliterator, as UTF-8. */
static void icu_ts(UTransliterator *tr, const char *text, size_t len, fz_buf *out)
{
    UErrorCode st = U_ZERO_ERROR;
    int32_t cap = (int32_t)len + 16, ul = 0;
    UChar *u = malloc((size_t)cap * sizeof *u);
    u_strFromUTF8(u, cap, &ul, text, (int32_t)len, &st);
    int32_t limit = ul;
    utrans_transUChars(tr, u, &ul, cap, 0, &limit, &st);
    int32_t n = 0;
    out->len = 0;
    fz_buf_reserve(out, (size_t)ul * 4 + 1);
    u_strToUTF8(out->p, (int32_t)(ul * 4 + 1), &n, u, ul, &st);
    out->len = (size_t)n;
    CHECK(U_SUCCESS(st));
    free(u);
}

TEST(test_phrases)
{
    /* The phrase changes what a character folds to; alone it does not. */
    CHECK_EQ_STR(toks(A_TS, "沈澱"), "U:沉@0[0,3) B:沉淀@0[0,6) U:淀@1[3,6)");
    CHECK_EQ_STR(terms(A_TS, "沈家"), "沈@0 沈家@0 家@1");
    CHECK_EQ_STR(terms(A_TS, "祇有"), "只@0 只有@0 有@1");
    CHECK_EQ_STR(terms(A_TS, "祇園"), "祇@0 祇园@0 园@1");
    CHECK_EQ_STR(terms(A_VAR, "祇有"), "只@0 只有@0 有@1");
    CHECK_EQ_STR(terms(A_NONE, "祇有"), "祇@0 祇有@0 有@1");
    /* Only when the characters are next to each other in the text. */
    CHECK_EQ_STR(terms(A_TS, "祇 有"), "祇@0 有@1");
    CHECK_EQ_STR(terms(A_TS, "祇，有"), "祇@0 有@2");
    /* Inside a longer run, at its end, and twice in a row. */
    CHECK_EQ_STR(terms(A_TS, "我祇有"), "我@0 我只@0 只@1 只有@1 有@2");
    CHECK_EQ_STR(terms(A_TS, "祇有祇有"), terms(A_TS, "只有只有"));
    /* Every rule, alone and all of them run together, folds exactly as
     * ICU's transliterator folds it. */
    UErrorCode st = U_ZERO_ERROR;
    UChar id[32];
    u_uastrcpy(id, "Traditional-Simplified");
    UTransliterator *tr = utrans_openU(id, -1, UTRANS_FORWARD, NULL, 0, NULL, &st);
    CHECK(U_SUCCESS(st));
    if (!tr)
        return;
    size_t n = fold_phrase_count(), bad = 0;
    CHECK(n > 500);
    fz_buf all = {0}, one = {0}, got = {0}, want = {0};
    for (size_t i = 0; i < n; i++) {
        const uint32_t *key, *val;
        size_t kl = fold_phrase(i, &key, &val);
        CHECK(kl >= 2);
        one.len = 0;
        for (size_t k = 0; k < kl; k++) {
            char b[4];
            fz_buf_append(&one, b, (size_t)fz_utf8_encode(key[k], b));
        }
        fz_buf_append(&all, one.p, one.len);
        unigrams(A_TS, one.p, one.len, &got);
        icu_ts(tr, one.p, one.len, &want);
        if (got.len != want.len || memcmp(got.p, want.p, got.len)) {
            if (bad++ < 5)
                fprintf(stderr, "phrase %zu: %.*s -> %.*s, ICU %.*s\n", i, (int)one.len, one.p,
                        (int)got.len, got.p, (int)want.len, want.p);
        }
    }
    CHECK_EQ_INT(bad, 0);
    CHECK_EQ_INT(fold_phrase(n, &(const uint32_t *){0}, &(const uint32_t *){0}), 0);
    unigrams(A_TS, all.p, all.len, &got);
    icu_ts(tr, all.p, all.len, &want);
    CHECK(got.len == want.len && !memcmp(got.p, want.p, got.len));
    fz_buf_free(&all);
    fz_buf_free(&one);
    fz_buf_free(&got);
    fz_buf_free(&want);
    utrans_close(tr);
}

int main(void)
{
    char msg[256] = "";
    A_NONE = tok_create(TOK_FOLD_NONE, msg, sizeof msg);
    A_TS = tok_create(TOK_FOLD_TS, msg, sizeof msg);
    A_VAR = tok_create(TOK_FOLD_VARIANTS, msg, sizeof msg);
    R_NONE = tok_create_reference(TOK_FOLD_NONE, msg, sizeof msg);
    R_TS = tok_create_reference(TOK_FOLD_TS, msg, sizeof msg);
    R_VAR = tok_create_reference(TOK_FOLD_VARIANTS, msg, sizeof msg);
    if (!A_NONE || !A_TS || !A_VAR || !R_NONE || !R_TS || !R_VAR) {
        fprintf(stderr, "test_tok: tok_create: %s\n", msg);
        return 1;
    }
    t_run(test_normalise);
    t_run(test_classify);
    t_run(test_folding);
    t_run(test_phrases);
    t_run(test_bigrams);
    t_run(test_positions);
    t_run(test_invalid);
    t_run(test_big);
    t_run(test_api);
    t_run(test_fast_every_code_point);
    t_run(test_fast_random);
    t_run(test_fast_fixtures);
    t_run(test_runs);
    tok_destroy(R_NONE);
    tok_destroy(R_TS);
    tok_destroy(R_VAR);
    tok_destroy(A_NONE);
    tok_destroy(A_TS);
    tok_destroy(A_VAR);
    return t_done("test_tok");
}
