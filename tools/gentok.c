/*
 * gentok.c -- writes the analyser's fast-path table (used by common/tok.c)
 * as a C header on stdout.
 *
 *   gentok > tok_table.h
 *
 * Run by the Makefile at build time, after the folding tables.  It is
 * linked with common/tok.c compiled with TOK_GENERATOR defined, which is
 * the analyser without this table: every code point outside ASCII goes
 * through ICU's NFKC_Casefold and the fold functions (fold.h) of the
 * generated fold_table.c.  So the table is derived from that path itself
 * and from the same folding tables, and cannot disagree with them: when
 * the folding tables change, the table is made again from them.
 *
 * For every code point below TOKT_LIMIT (the BMP and planes 1 to 3, where
 * CJK text lives; planes 2 and 3 hold the rare ideographs of classical
 * texts) one byte:
 *   bits 0-1  its tok_class (tok_classify)
 *   bit  2+L  set when the analyser at fold level L (tok_fold: 0 none,
 *             1 ts, 2 variants) leaves the code point alone unless a
 *             phrase rule applies: tok_fold_cp gives exactly that one code
 *             point back, and at level 2 fold_variant(fold_ts(cp)) (what
 *             running text gives) is cp as well;
 *   bit  5    (TOKT_PHRASE) a phrase rule begins with it (fold_phrases).
 * A level's bit, without TOKT_PHRASE, lets tok_analyze take the code point
 * as written, with that class, without ICU or the fold functions; a clear
 * one sends it down the general path.  Surrogates are left clear.  The
 * bytes are stored as a two-stage table: tokt_index[cp >> TOKT_SHIFT]
 * names a block of 1 << TOKT_SHIFT bytes in tokt_blocks (identical blocks
 * are stored once).
 *
 * The commonest characters begin phrase rules (不 一 人 山 其 無 有 風 日:
 * a quarter of the characters of the poetry bench), and a rule can only
 * match when the next character is its key's second.  tokt_pairs is a
 * Bloom filter of the (first, second) pairs of all the rules' keys, two
 * bits per pair (TOKT_PAIR_HASH); when either bit of a pair in the text is
 * clear, no rule begins there and the character is taken as its level's
 * bit says.  A pair that passes (every rule's, and about 1 in 70 others)
 * goes the general way.
 * tests/unit/test_tok.c checks, over every code point below TOKT_LIMIT and
 * on random and fixture texts, that the analyser with the table gives the
 * same tokens as without it.
 *
 * The output depends only on the ICU version and the folding tables.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/uversion.h>

#include "fold.h"
#include "tok.h"

#define LIMIT 0x40000u
#define PHRASE 0x20u
/* The two bits of a pair (a, b) in the filter of 1 << PAIR_BITS bits;
 * written into the header as TOKT_PAIR_HASH for tok.c. */
#define PAIR_BITS 14
#define PAIR_HASH(a, b) ((uint32_t)(a) * 0x9E3779B1u + (uint32_t)(b) * 0x85EBCA77u)
#define PAIR_BIT1(h) ((h) >> (32 - PAIR_BITS))
#define PAIR_BIT2(h) (((h) >> 4) & ((1u << PAIR_BITS) - 1))
#define STR(x) #x
#define XSTR(x) STR(x)
#define SHIFT 6
#define BLOCK (1u << SHIFT)
#define NBLK (LIMIT >> SHIFT)

static void die(const char *what)
{
    fprintf(stderr, "gentok: %s\n", what);
    exit(2);
}

/* The byte of one code point (see the top). */
static uint8_t entry(tok_analyzer *const a[3], uint32_t cp, long count[3][4])
{
    if (cp >= 0xD800 && cp <= 0xDFFF)
        return 0;
    uint8_t v = 0;
    tok_class cls = tok_classify(cp);
    for (int l = 0; l < 3; l++) {
        uint32_t out[8];
        int n = tok_fold_cp(a[l], cp, out);
        if (n != 1 || out[0] != cp)
            continue;
        if (l == 2 && fold_variant(fold_ts(cp)) != cp)
            continue;
        v |= (uint8_t)(4u << l);
        count[l][cls]++;
    }
    size_t first;
    if (v && fold_phrases(cp, &first))
        v |= PHRASE;
    return v ? (uint8_t)(v | cls) : 0;
}

int main(int argc, char **argv)
{
    (void)argv;
    if (argc != 1)
        die("usage: gentok > tok_table.h");
    tok_analyzer *a[3];
    char msg[256];
    for (int l = 0; l < 3; l++)
        if (!(a[l] = tok_create((tok_fold)l, msg, sizeof msg)))
            die(msg);
    uint8_t *val = malloc(LIMIT);
    uint16_t *index = malloc(NBLK * sizeof *index);
    uint8_t *blocks = malloc(LIMIT); /* at most one block per block of code points */
    if (!val || !index || !blocks)
        die("out of memory");
    long count[3][4] = {{0}};
    long nphrase = 0;
    for (uint32_t cp = 0; cp < LIMIT; cp++) {
        val[cp] = entry(a, cp, count);
        nphrase += (val[cp] & PHRASE) != 0;
    }
    uint32_t nb = 0;
    for (uint32_t b = 0; b < NBLK; b++) {
        const uint8_t *blk = val + (size_t)b * BLOCK;
        uint32_t j = 0;
        while (j < nb && memcmp(blocks + (size_t)j * BLOCK, blk, BLOCK))
            j++;
        if (j == nb)
            memcpy(blocks + (size_t)nb++ * BLOCK, blk, BLOCK);
        if (j > UINT16_MAX)
            die("too many distinct blocks");
        index[b] = (uint16_t)j;
    }
    static uint8_t pairs[(1u << PAIR_BITS) / 8];
    size_t nph = fold_phrase_count();
    for (size_t i = 0; i < nph; i++) {
        const uint32_t *key, *res;
        if (fold_phrase(i, &key, &res) < 2)
            die("a phrase rule shorter than two characters");
        uint32_t h = PAIR_HASH(key[0], key[1]);
        pairs[PAIR_BIT1(h) / 8] |= (uint8_t)(1u << (PAIR_BIT1(h) % 8));
        pairs[PAIR_BIT2(h) / 8] |= (uint8_t)(1u << (PAIR_BIT2(h) % 8));
    }
    long set = 0;
    for (size_t i = 0; i < sizeof pairs; i++)
        set += __builtin_popcount(pairs[i]);
    UVersionInfo uv;
    char icu[U_MAX_VERSION_STRING_LENGTH];
    u_getVersion(uv);
    u_versionToString(uv, icu);
    static const char *const lname[3] = {"none", "ts", "variants"};
    printf("/*\n * tok_table.h -- GENERATED by tools/gentok.c; do not edit.  Included by\n"
           " * common/tok.c only (the layout is described in tools/gentok.c).\n *\n"
           " * ICU %s; %u distinct blocks of %u code points.  Code points below\n"
           " * U+%X that the analyser takes as written, per level, unless a phrase\n"
           " * rule applies (class: CJK, word, punctuation, space):\n", icu, nb, BLOCK, LIMIT);
    for (int l = 0; l < 3; l++)
        printf(" *   %-8s  %6ld CJK, %6ld word, %6ld punctuation, %3ld space\n", lname[l],
               count[l][TOK_C_CJK], count[l][TOK_C_WORD], count[l][TOK_C_PUNCT], count[l][TOK_C_SPACE]);
    printf(" * %ld of them begin phrase rules (%zu rules); %ld of the %u bits of the\n"
           " * pair filter set.\n", nphrase, nph, set, 1u << PAIR_BITS);
    printf(" */\n#define TOKT_SHIFT %d\n#define TOKT_LIMIT 0x%Xu\n#define TOKT_PHRASE 0x%Xu\n", SHIFT, LIMIT,
           PHRASE);
    printf("#define TOKT_PAIR_BITS %d\n#define TOKT_PAIR_HASH(a, b) (%s)\n", PAIR_BITS, XSTR(PAIR_HASH(a, b)));
    printf("#define TOKT_PAIR_BIT1(h) (%s)\n#define TOKT_PAIR_BIT2(h) (%s)\n\n", XSTR(PAIR_BIT1(h)),
           XSTR(PAIR_BIT2(h)));
    printf("static const uint16_t tokt_index[%u] = {", NBLK);
    for (uint32_t b = 0; b < NBLK; b++)
        printf("%s%u,", b % 16 ? " " : "\n    ", index[b]);
    printf("\n};\n\nstatic const uint8_t tokt_blocks[%u] = {", nb * BLOCK);
    for (uint32_t i = 0; i < nb * BLOCK; i++)
        printf("%s0x%02X,", i % 16 ? " " : "\n    ", blocks[i]);
    printf("\n};\n\nstatic const uint8_t tokt_pairs[%zu] = {", sizeof pairs);
    for (size_t i = 0; i < sizeof pairs; i++)
        printf("%s0x%02X,", i % 16 ? " " : "\n    ", pairs[i]);
    printf("\n};\n");
    free(val);
    free(index);
    free(blocks);
    for (int l = 0; l < 3; l++)
        tok_destroy(a[l]);
    if (fflush(stdout) || ferror(stdout))
        die("cannot write the table");
    return 0;
}
