/*
 * test_store.c -- the on-disk codecs of common/store.c: varints, entry
 * records, posting blocks, keys, and an index opened, written and read back.
 */
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#define ZDICT_STATIC_LINKING_ONLY
#include <zdict.h>

#include "fz.h"
#include "store.h"
#include "t.h"

TEST(test_varint)
{
    uint8_t b[FZ_VARINT_MAX];
    uint64_t vals[] = {0, 1, 127, 128, 300, 16383, 16384, UINT32_MAX, UINT64_MAX};
    for (size_t i = 0; i < sizeof vals / sizeof *vals; i++) {
        size_t n = fz_varint_put(b, vals[i]);
        uint64_t v = 0;
        const uint8_t *e = fz_varint_get(b, b + n, &v);
        CHECK(e == b + n);
        CHECK(v == vals[i]);
        /* truncated input is refused, never read past */
        if (n > 1)
            CHECK(fz_varint_get(b, b + n - 1, &v) == NULL);
    }
    CHECK_EQ_INT(fz_varint_put(b, 127), 1);
    CHECK_EQ_INT(fz_varint_put(b, 128), 2);
}

TEST(test_entry_roundtrip)
{
    const char *sec[] = {"年度聚焦", "国家领导人在下城调研"};
    size_t secl[] = {strlen(sec[0]), strlen(sec[1])};
    const char *au[] = {"区委办", "区跨贸小镇管委会"};
    size_t aul[] = {strlen(au[0]), strlen(au[1])};
    store_entry e = {0};
    e.file_id = 7;
    e.line = 15;
    e.kind = 1;
    e.title_npos = 14;
    e.npos = 300;
    e.title = "杜青林调研跨贸小镇建设工作";
    e.title_len = strlen(e.title);
    e.body = "2017年9月18日,中共中央书记处书记";
    e.body_len = strlen(e.body);
    e.nsection = 2;
    e.section = sec;
    e.section_len = secl;
    e.nauthors = 2;
    e.authors = au;
    e.author_len = aul;
    fz_buf b = {0};
    CHECK_EQ_INT(store_entry_encode(&e, &b), 0);
    fz_arena *a = fz_arena_create();
    store_entry d;
    CHECK_EQ_INT(store_entry_decode(b.p, b.len, a, &d), 0);
    CHECK_EQ_INT(d.file_id, 7);
    CHECK_EQ_INT(d.line, 15);
    CHECK_EQ_INT(d.kind, 1);
    CHECK_EQ_INT(d.title_npos, 14);
    CHECK_EQ_INT(d.npos, 300);
    CHECK_EQ_MEM(d.title, d.title_len, "杜青林调研跨贸小镇建设工作");
    CHECK_EQ_MEM(d.body, d.body_len, "2017年9月18日,中共中央书记处书记");
    CHECK_EQ_INT(d.nsection, 2);
    CHECK_EQ_MEM(d.section[1], d.section_len[1], "国家领导人在下城调研");
    CHECK_EQ_INT(d.nauthors, 2);
    CHECK_EQ_MEM(d.authors[1], d.author_len[1], "区跨贸小镇管委会");
    /* every truncation is reported as damage, never read past the end */
    for (size_t n = 0; n < b.len; n++)
        CHECK_EQ_INT(store_entry_decode(b.p, n, a, &d), FZ_ECORRUPT);
    fz_arena_destroy(a);
    fz_buf_free(&b);
}

/* An entry whose only string is the body s (n bytes): encoded, then decoded
 * into d from arena a; the coded value's length in *vlen. */
static int body_roundtrip(const char *s, size_t n, fz_arena *a, store_entry *d, size_t *vlen)
{
    store_entry e = {0};
    e.body = s;
    e.body_len = n;
    e.title = "";
    fz_buf b = {0};
    int rc = store_entry_encode(&e, &b);
    if (!rc)
        rc = store_entry_decode(b.p, b.len, a, d);
    *vlen = b.len;
    fz_buf_free(&b);
    return rc;
}

/* The text code gives back the exact bytes of any string: every code
 * point, and bytes that are not UTF-8; a ranked character takes one byte
 * or two, one without rank three (below 0x10000) or four, a byte that is
 * not UTF-8 two; malformed codes are damage. */
#include "gen/text_rank.h"
static size_t code_len(const char *s, size_t n, fz_arena *a)
{
    store_entry d;
    size_t v0, vlen;
    if (body_roundtrip("", 0, a, &d, &v0) || body_roundtrip(s, n, a, &d, &vlen) || d.body_len != n ||
        memcmp(d.body, s, n))
        return 0;
    return vlen - v0; /* the length's varint stays one byte */
}

TEST(test_text_code)
{
    fz_arena *a = fz_arena_create();
    store_entry d;
    size_t vlen;
    /* every code point, 4096 to a string */
    static char s[4096 * 4];
    int bad = 0;
    for (uint32_t first = 0; first <= 0x10FFFF; first += 4096) {
        size_t n = 0;
        for (uint32_t cp = first; cp < first + 4096 && cp <= 0x10FFFF; cp++)
            if (cp < 0xD800 || cp > 0xDFFF)
                n += (size_t)fz_utf8_encode(cp, s + n);
        if (body_roundtrip(s, n, a, &d, &vlen) || d.body_len != n || memcmp(d.body, s, n) || d.body[n])
            bad++;
    }
    CHECK_EQ_INT(bad, 0);
    /* a code whose length takes a varint of another size than the text's
     * half (put_text writes the code after room for that guess, and moves
     * it when it was wrong): runs of ASCII (as long as the text), of a
     * one-byte CJK rank (a third of it), of bytes that are not UTF-8
     * (twice it), across 128 and 16384 */
    static const char *const unit[] = {"a", "\xE7\x9A\x84" /* 的 */, "\xFF"};
    bad = 0;
    for (size_t k = 0; k < 3; k++)
        for (size_t n = 1; n < 5000 * 3; n += n < 400 ? 1 : 97) {
            size_t ul = strlen(unit[k]), m = 0;
            while (m + ul <= n && m + ul <= sizeof s) {
                memcpy(s + m, unit[k], ul);
                m += ul;
            }
            if (body_roundtrip(s, m, a, &d, &vlen) || d.body_len != m || memcmp(d.body, s, m))
                bad++;
        }
    CHECK_EQ_INT(bad, 0);
    /* random bytes, mostly not UTF-8 */
    uint32_t x = 12345;
    bad = 0;
    for (int t = 0; t < 2000; t++) {
        size_t n = (size_t)(t % 64);
        for (size_t i = 0; i < n; i++) {
            x = x * 1103515245u + 12345u;
            s[i] = (char)(x >> 16);
        }
        if (body_roundtrip(s, n, a, &d, &vlen) || d.body_len != n || memcmp(d.body, s, n))
            bad++;
    }
    CHECK_EQ_INT(bad, 0);
    /* each kind alone and in company: the ranks of the table (the first
     * 224 one byte, the rest two), the astral ones among them, characters
     * without rank (U+E000, U+0001, U+10FFFD), NUL, bytes that are not
     * UTF-8 (a lone continuation, F8 and FF leads, a sequence cut short,
     * an overlong form) */
    CHECK(TEXT_RANK_N > 224 && TEXT_ASTRAL_N > 0);
    for (size_t r = 0; r < TEXT_RANK_N; r++) {
        const char *u = (const char *)text_rank_utf8[r];
        size_t want = r < 224 ? 1 : 2;
        if (code_len(u, text_rank_len[r], a) != want) {
            bad++;
            continue;
        }
        uint32_t cp;
        fz_utf8_decode(text_rank_utf8[r], text_rank_len[r], &cp);
        if (cp < 0x10000 ? text_bmp_rank[cp] != r + 1 : 0)
            bad++;
    }
    for (size_t i = 0; i < TEXT_ASTRAL_N; i++)
        if (code_len((const char *)text_rank_utf8[text_astral_rank[i]], 4, a) != 2)
            bad++;
    CHECK_EQ_INT(bad, 0);
    CHECK_EQ_INT(text_bmp_rank[0xE000] + text_bmp_rank[1] + text_bmp_rank[0], 0);
    CHECK_EQ_INT(code_len("\xEE\x80\x80", 3, a), 3);
    CHECK_EQ_INT(code_len("\x01", 1, a), 3);
    CHECK_EQ_INT(code_len("\0", 1, a), 3);
    CHECK_EQ_INT(code_len("\xF4\x8F\xBF\xBD", 4, a), 4);
    CHECK_EQ_INT(code_len("\x80", 1, a), 2);
    CHECK_EQ_INT(code_len("\xF8\x88\x80\x80", 4, a), 8);
    CHECK_EQ_INT(code_len("\xF9\xA7\xA3\x9C", 4, a), 8); /* not U+678DC */
    CHECK_EQ_INT(code_len("\xFF", 1, a), 2);
    CHECK_EQ_INT(code_len("\xE4\xB8", 2, a), 4);
    CHECK_EQ_INT(code_len("\xC0\xAF", 2, a), 4);
    const char *mix = "\xE4\xB8\x80\xEE\x80\x80" "a\x80" "\xF0\xA1\x8F\x96\x01\xE4\xB8\xF4\x8F\xBF\xBD\n";
    CHECK(code_len(mix, strlen(mix), a) > 0);
    /* CJK text, its punctuation and ASCII: smaller than the two bytes a
     * character of the code by ranges (version 6) */
    const char *zh = "2017年9月18日，中共中央书记处书记杜青林到下城区调研跨贸小镇建设工作。";
    size_t nascii = 0, ncjk = 0;
    for (const char *p = zh; *p; p++) {
        nascii += (unsigned char)*p < 0x80;
        ncjk += (unsigned char)*p >= 0xC0;
    }
    vlen = code_len(zh, strlen(zh), a);
    CHECK(vlen > 0 && vlen < nascii + 2 * ncjk);
    /* malformed: a pair cut short, fallbacks cut short, a surrogate, an
     * astral code point below 0x10000 and one past 0x10FFFF, a byte escape
     * cut short */
    static const uint8_t bad_codes[][4] = {{0xE0}, {0xFE, 0x4E}, {0xFE, 0xD8, 0x00}, {0xFD, 0x00, 0xFF, 0xFF},
                                           {0xFD, 0x11, 0, 0}, {0xFD, 0x02, 0x00}, {0xFF}};
    static const size_t bad_len[] = {1, 2, 3, 4, 4, 3, 1};
    for (size_t i = 0; i < sizeof bad_len / sizeof bad_len[0]; i++) {
        uint8_t v[16] = {0, 0, 0, 0, 0, 0, 0, 0};
        /* file, line, kind, title_npos, npos, no sections, no authors, no title */
        size_t n = 8;
        v[n++] = (uint8_t)bad_len[i];
        memcpy(v + n, bad_codes[i], bad_len[i]);
        n += bad_len[i];
        CHECK_EQ_INT(store_entry_decode(v, n, a, &d), FZ_ECORRUPT);
    }
    fz_arena_destroy(a);
}

TEST(test_block_roundtrip)
{
    store_block_builder bb = {0};
    store_bb_reset(&bb);
    uint32_t pos[4][3] = {{0, 5, 9}, {3}, {1, 2}, {40, 41, 70}};
    uint32_t tt[4] = {1, 0, 2, 0}, tb[4] = {2, 1, 0, 3};
    uint32_t docs[4] = {100, 101, 250, 1000};
    uint32_t dl[4] = {20, 8, 30, 90};
    for (int i = 0; i < 4; i++)
        CHECK_EQ_INT(store_bb_add(&bb, docs[i], dl[i], pos[i], tt[i], tb[i]), 0);
    fz_buf v = {0};
    CHECK_EQ_INT(store_bb_finish(&bb, 50, &v), 0);
    store_block b;
    CHECK_EQ_INT(store_block_open(&b, 100, v.p, v.len), 0);
    CHECK_EQ_INT(b.ndocs, 4);
    CHECK_EQ_INT(b.first, 100);
    CHECK_EQ_INT(b.last, 1000);
    CHECK_EQ_INT(b.max_tf_title, 2);
    CHECK_EQ_INT(b.max_tf_body, 3);
    CHECK_EQ_INT(b.min_dl, 8);
    for (int i = 0; i < 4; i++) {
        CHECK_EQ_INT(b.doc, docs[i]);
        CHECK_EQ_INT(b.tf_title, tt[i]);
        CHECK_EQ_INT(b.tf_body, tb[i]);
        /* read the positions of every other document only: skipping works */
        if (i % 2 == 0) {
            uint32_t got[8];
            CHECK_EQ_INT(store_block_positions(&b, got, 8), (int)(tt[i] + tb[i]));
            CHECK(memcmp(got, pos[i], (tt[i] + tb[i]) * 4) == 0);
        }
        CHECK_EQ_INT(store_block_next(&b), i < 3 ? 0 : FZ_ENOTFOUND);
    }
    /* truncated blocks fail cleanly */
    for (size_t n = 0; n < v.len; n++) {
        int rc = store_block_open(&b, 100, v.p, n);
        while (rc == 0)
            rc = store_block_next(&b);
        CHECK(rc == FZ_ECORRUPT || rc == FZ_ENOTFOUND);
    }
    fz_buf_free(&v);
    store_bb_free(&bb);
}

/* store_block_head reads what store_block_open reads of a header, the
 * recorded impact of a block of more than STORE_IMPACT_DOCS documents
 * included (a lone term's top-k bounds every block by it and opens only
 * the best), and fails on a value cut inside the header. */
TEST(test_block_head)
{
    store_block_builder bb = {0};
    store_bb_reset(&bb);
    uint32_t pos[4] = {1, 4, 6, 9}; /* up to 1 + 3 occurrences */
    for (uint32_t i = 0; i < 40; i++)
        CHECK_EQ_INT(store_bb_add(&bb, 500 + 3 * i, 10 + i % 7, pos, i == 5 ? 1 : 0, i % 3 + 1), 0);
    fz_buf v = {0};
    CHECK_EQ_INT(store_bb_finish(&bb, 12, &v), 0);
    store_block o, h;
    CHECK_EQ_INT(store_block_open(&o, 500, v.p, v.len), 0);
    CHECK_EQ_INT(store_block_head(&h, 500, v.p, v.len), 0);
    CHECK_EQ_INT(h.first, 500);
    CHECK_EQ_INT(h.last, 500 + 3 * 39);
    CHECK_EQ_INT(h.ndocs, 40);
    CHECK_EQ_INT(h.max_tf_title, 1);
    CHECK_EQ_INT(h.max_tf_body, 3);
    CHECK_EQ_INT(h.min_dl, 10);
    CHECK(o.q > 0);
    CHECK_EQ_INT(h.a0, o.a0);
    CHECK_EQ_INT(h.q, o.q);
    CHECK(store_block_impact_bound(&h, 12.0) == store_block_impact_bound(&o, 12.0));
    /* a value cut short: the header fails where open fails in it */
    CHECK_EQ_INT(store_block_head(&h, 500, v.p, 0), FZ_ECORRUPT);
    for (size_t n = 0; n < v.len; n++) {
        int rh = store_block_head(&h, 500, v.p, n), ro = store_block_open(&o, 500, v.p, n);
        CHECK(rh == 0 || rh == FZ_ECORRUPT);
        if (ro == 0)
            CHECK_EQ_INT(rh, 0);
    }
    /* a first id that the last would overflow */
    CHECK_EQ_INT(store_block_head(&h, UINT32_MAX - 10, v.p, v.len), FZ_ECORRUPT);
    fz_buf_free(&v);
    store_bb_free(&bb);
}

/* A document whose one occurrence is in its title (every single-valued
 * metadata field) takes the tf code 0 alone in the record form (packs,
 * store_bb), a byte less than the long form 1, 1, which still reads the
 * same; a block stores tf_title and tf_body as streams (BLOCK STREAMS in
 * store.c), here each the smallest frame of reference. */
TEST(test_block_title_one)
{
    uint8_t tf[STORE_TF_MAX];
    CHECK_EQ_INT(store_tf_put(tf, 1, 0), 1);
    CHECK_EQ_INT(tf[0], 0);
    CHECK_EQ_INT(store_tf_put(tf, 0, 1), 1);
    CHECK_EQ_INT(tf[0], 2);
    CHECK_EQ_INT(store_tf_put(tf, 1, 1), 2);
    CHECK(tf[0] == 3 && tf[1] == 1);
    CHECK_EQ_INT(store_tf_put(tf, 2, 0), 2);
    CHECK(tf[0] == 1 && tf[1] == 2);

    /* built: three title-only documents and one body document */
    store_block_builder bb = {0};
    store_bb_reset(&bb);
    uint32_t pos[4] = {0, 7, 3, 2};
    uint32_t tt[4] = {1, 1, 0, 1}, tb[4] = {0, 0, 1, 0};
    for (int i = 0; i < 4; i++)
        CHECK_EQ_INT(store_bb_add(&bb, 10 + i, 20, &pos[i], tt[i], tb[i]), 0);
    fz_buf v = {0};
    CHECK_EQ_INT(store_bb_finish(&bb, 50, &v), 0);
    uint8_t hdr[STORE_BLOCK_HDR_MAX];
    size_t hl = store_block_header(hdr, 4, 3, 1, 1, 20);
    /* ids: deltas 1 1 1 (width 0, base 1); tf_title 1 1 0 1 and tf_body
     * 0 0 1 0 (width 1, base 0); positions 0 7 3 2 (width 3, base 0) */
    static const uint8_t streams[] = {0, 1, 1, 0, 0x0b, 1, 0, 0x04, 3, 0, 0xf8, 0x04};
    CHECK_EQ_INT(v.len, hl + sizeof streams);
    CHECK(v.len == hl + sizeof streams && memcmp(v.p, hdr, hl) == 0 &&
          memcmp(v.p + hl, streams, sizeof streams) == 0);
    store_block b;
    CHECK_EQ_INT(store_block_open(&b, 10, v.p, v.len), 0);
    CHECK_EQ_INT(store_block_verify(&b), 0);
    for (int i = 0; i < 4; i++) {
        uint32_t got[2] = {99, 99};
        CHECK_EQ_INT(b.doc, 10 + i);
        CHECK_EQ_INT(b.tf_title, tt[i]);
        CHECK_EQ_INT(b.tf_body, tb[i]);
        CHECK_EQ_INT(store_block_positions(&b, got, 2), 1);
        CHECK_EQ_INT(got[0], pos[i]);
        CHECK_EQ_INT(store_block_next(&b), i < 3 ? 0 : FZ_ENOTFOUND);
    }
    /* a seek lands on a title-only document past another */
    CHECK_EQ_INT(store_block_open(&b, 10, v.p, v.len), 0);
    CHECK_EQ_INT(store_block_seek(&b, 13), 0);
    CHECK_EQ_INT(b.doc, 13);
    CHECK_EQ_INT(b.tf_title, 1);

    /* the long form in the records makes the same block */
    static const uint8_t shortf[] = {0, 0, 5}, longf[] = {0, 1, 1, 5};
    fz_buf s1 = {0}, s2 = {0};
    CHECK_EQ_INT(store_block_extra(shortf, sizeof shortf, 1, 0, 50, 0, NULL, 1, &s1), 0);
    CHECK_EQ_INT(store_block_extra(longf, sizeof longf, 1, 0, 50, 0, NULL, 1, &s2), 0);
    CHECK(s1.len == s2.len && memcmp(s1.p, s2.p, s1.len) == 0);
    /* code 0 whose position is missing is a damaged record */
    s2.len = 0;
    CHECK_EQ_INT(store_block_extra(shortf, 2, 1, 0, 50, 0, NULL, 1, &s2), FZ_ECORRUPT);
    /* records that hold more documents than said, or fewer */
    CHECK_EQ_INT(store_block_extra(shortf, sizeof shortf, 2, 0, 50, 0, NULL, 1, &s2), FZ_ECORRUPT);
    fz_buf_free(&s1);
    fz_buf_free(&s2);
    fz_buf_free(&v);
    store_bb_free(&bb);
}

/* Builds a block of n documents (ids, tfs, positions: positions of
 * document i from pos + at[i]), opens it and checks that it reads back:
 * walking, the positions of every document, a seek from a fresh cursor to
 * every document, to every id between and past the last, and that its
 * position stream verifies.  Returns the value's length (0 on failure). */
static size_t block_roundtrip(const uint32_t *ids, const uint32_t *tt, const uint32_t *tb, const uint32_t *pos,
                              uint32_t n)
{
    store_block_builder bb = {0};
    store_bb_reset(&bb);
    size_t at = 0, len = 0;
    int bad = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (store_bb_add(&bb, ids[i], 10, pos + at, tt[i], tb[i]))
            bad++;
        at += tt[i] + tb[i];
    }
    fz_buf v = {0};
    static store_block b, s; /* large: not on the stack */
    if (store_bb_finish(&bb, 10, &v) || store_block_open(&b, ids[0], v.p, v.len) || store_block_verify(&b)) {
        CHECK(0);
        goto out;
    }
    uint32_t *got = malloc((at + 1) * sizeof *got);
    at = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t k = tt[i] + tb[i];
        if (b.doc != ids[i] || b.tf_title != tt[i] || b.tf_body != tb[i] || b.i != i ||
            store_block_positions(&b, got, k) != (int)k || memcmp(got, pos + at, k * sizeof *got))
            bad++;
        at += k;
        if (store_block_next(&b) != (i + 1 < n ? FZ_OK : FZ_ENOTFOUND))
            bad++;
    }
    free(got);
    for (uint32_t i = 0; i < n; i++)
        for (int d = -1; d <= 1; d++) {
            uint32_t t = ids[i] + (uint32_t)d;
            if ((d < 0 && ids[i] == 0) || (d > 0 && ids[i] == UINT32_MAX))
                continue;
            uint32_t want = 0;
            while (want < n && ids[want] < t)
                want++;
            if (store_block_open(&s, ids[0], v.p, v.len)) {
                bad++;
                continue;
            }
            int rc = store_block_seek(&s, t);
            if (want == n ? rc != FZ_ENOTFOUND : rc != FZ_OK || s.doc != ids[want] || s.i != want)
                bad++;
        }
    len = v.len;
out:
    CHECK_EQ_INT(bad, 0);
    fz_buf_free(&v);
    store_bb_free(&bb);
    return bad ? 0 : len;
}

/* Streams round trip at every width 0..32: position deltas, id deltas and
 * frequencies of that many bits; full runs of 128 and a shorter tail. */
TEST(test_block_widths)
{
    static uint32_t ids[STORE_BLOCK_DOCS], tt[STORE_BLOCK_DOCS], tb[STORE_BLOCK_DOCS], pos[8192];
    for (uint32_t w = 0; w <= 32; w++) {
        /* positions: document i has 1 + i % 3 of them (383 in all: two
         * runs of 128 and a tail of 127), the first w bits wide */
        uint32_t big = w ? (uint32_t)(((uint64_t)1 << w) - 1) : 0, np = 0;
        for (uint32_t i = 0; i < STORE_BLOCK_DOCS; i++) {
            uint32_t k = 1 + i % 3;
            ids[i] = 7 + i * 3;
            tt[i] = i % 2;
            tb[i] = k - tt[i];
            for (uint32_t j = 0; j < k; j++) /* deltas: the first w bits wide, then 0 */
                pos[np++] = i % 2 ? big : big / 2;
        }
        CHECK(block_roundtrip(ids, tt, tb, pos, STORE_BLOCK_DOCS) > 0);
        /* one position a document, all but the first w bits wide: a run
         * a frame of reference of width w takes (no varints, no
         * exceptions) */
        for (uint32_t i = 0; i < STORE_BLOCK_DOCS; i++) {
            tt[i] = 0;
            tb[i] = 1;
            pos[i] = i == 0 ? 0 : big > i % 3 ? big - i % 3 : big;
        }
        CHECK(block_roundtrip(ids, tt, tb, pos, STORE_BLOCK_DOCS) > 0);
        /* id deltas w bits wide: 1 and 2^w - 1 alternating while the ids
         * fit, else two documents */
        uint32_t n = w <= 24 ? STORE_BLOCK_DOCS : 2;
        uint64_t id = 0;
        for (uint32_t i = 0; i < n; i++) {
            ids[i] = (uint32_t)id;
            tt[i] = 0;
            tb[i] = 1;
            pos[i] = i;
            id += i % 2 ? 1 : (w ? ((uint64_t)1 << w) - 1 : 1);
        }
        CHECK(block_roundtrip(ids, tt, tb, pos, n) > 0);
    }
    /* frequencies up to 12 bits wide: one document of 2^w - 1 occurrences
     * (title and body), the others one */
    for (uint32_t w = 1; w <= 12; w++) {
        uint32_t np = 0, f = (1u << w) - 1;
        for (uint32_t i = 0; i < 40; i++) {
            ids[i] = 100 + i;
            tt[i] = i == 17 ? f / 2 : 0;
            tb[i] = i == 17 ? f - f / 2 : 1;
            if (tt[i] + tb[i] == 0)
                tb[i] = 1;
            for (uint32_t j = 0; j < tt[i] + tb[i]; j++)
                pos[np++] = j * 2;
        }
        CHECK(block_roundtrip(ids, tt, tb, pos, 40) > 0);
    }
}

/* A block's exact largest impact weighs title occurrences: of 20
 * documents of one length, one of two title occurrences (weight 6) has a
 * larger impact than the first one's three in the body, though fewer. */
TEST(test_block_extra_title_weight)
{
    store_block_builder bb = {0};
    store_bb_reset(&bb);
    uint32_t dl[20], pos[3] = {1, 2, 3};
    for (uint32_t i = 0; i < 20; i++) {
        dl[i] = 10;
        uint32_t tt = i == 7 ? 2 : 0, tb = i == 0 ? 3 : i == 7 ? 0 : 1;
        CHECK_EQ_INT(store_bb_add(&bb, 100 + i, dl[i], pos, tt, tb), 0);
    }
    store_dl_span all = {dl, 100, 20};
    fz_buf y = {0};
    uint64_t a0 = 0, q = 0;
    CHECK_EQ_INT(store_block_extra((const uint8_t *)bb.docs.p, bb.docs.len, 20, 100, 10, 0, &all, 1, &y), 0);
    const uint8_t *yp = fz_varint_get((const uint8_t *)y.p, (const uint8_t *)y.p + y.len, &a0);
    CHECK(yp && fz_varint_get(yp, (const uint8_t *)y.p + y.len, &q));
    CHECK_EQ_INT(a0, 10);
    CHECK(store_impact_q(store_impact(2, 0, 10, 10)) > store_impact_q(store_impact(0, 3, 10, 10)));
    CHECK_EQ_INT(q, store_impact_q(store_impact(2, 0, 10, 10)));
    fz_buf_free(&y);
    store_bb_free(&bb);
}

/* Exceptions: a run of small values with a few large ones is patched
 * (PFOR) and takes far fewer bytes than one frame of reference wide
 * enough for the large ones; it reads back exactly. */
TEST(test_block_exceptions)
{
    static uint32_t ids[STORE_BLOCK_DOCS], tt[STORE_BLOCK_DOCS], tb[STORE_BLOCK_DOCS], pos[STORE_BLOCK_DOCS];
    for (uint32_t i = 0; i < STORE_BLOCK_DOCS; i++) {
        ids[i] = 1000 + i * 2;
        tt[i] = 0;
        tb[i] = 1;
        pos[i] = i == 5 || i == 77 || i == 127 ? 1000000 + i : i % 4;
    }
    /* FOR: 128 values of 20 bits = 320 bytes for positions alone; PFOR: 2
     * bits each and three exceptions of about 4 bytes */
    size_t len = block_roundtrip(ids, tt, tb, pos, STORE_BLOCK_DOCS);
    CHECK(len > 0 && len < 100);
    /* and in the id stream: gaps of 1 with two of 100000 */
    for (uint32_t i = 0; i < STORE_BLOCK_DOCS; i++)
        ids[i] = (i ? ids[i - 1] : 5) + (i == 40 || i == 100 ? 100000 : 1);
    len = block_roundtrip(ids, tt, tb, pos, STORE_BLOCK_DOCS);
    CHECK(len > 0 && len < 100);
}

/* Each run in its smallest mode.  Varints where they are: one
 * document of eight positions, its deltas 1 and 100000 in turn, takes 17
 * bytes as varints (a mode byte, four of one byte, four of three) where
 * a frame of reference would take 19 (a mode byte, the least, 8 x 17
 * bits) and PFOR none (half the run 17 bits wide above the least); the
 * same document with every delta 100000 takes 4 (width 0), the rest of
 * the block alike. */
TEST(test_block_run_modes)
{
    uint32_t ids[1] = {42}, tt[1] = {0}, tb[1] = {8}, mixed[8], even[8];
    for (uint32_t i = 0, m = 0; i < 8; i++) {
        m += i % 2 ? 100000 : 1;
        mixed[i] = m;
        even[i] = 100000 * (i + 1);
    }
    size_t lm = block_roundtrip(ids, tt, tb, mixed, 1), le = block_roundtrip(ids, tt, tb, even, 1);
    CHECK(lm > 0 && le > 0);
    CHECK_EQ_INT((int)(lm - le), 17 - 4);
    /* eleven (not a multiple of four), the last the only exception: deltas
     * 1, 2, 3 in turn, then 1000000; PFOR of width 2 takes 10 bytes (mode,
     * least, exceptions, 11 x 2 bits, the exception's index and its high
     * bits 249999) where varints take 14 and FOR 30; every delta 100000
     * takes 4 */
    uint32_t tb11[1] = {11}, tail[11], even11[11];
    for (uint32_t i = 0, m = 0; i < 11; i++) {
        m += i == 10 ? 1000000 : 1 + i % 3;
        tail[i] = m;
        even11[i] = 100000 * (i + 1);
    }
    lm = block_roundtrip(ids, tt, tb11, tail, 1);
    le = block_roundtrip(ids, tt, tb11, even11, 1);
    CHECK(lm > 0 && le > 0);
    CHECK_EQ_INT((int)(lm - le), 10 - 4);
    /* a varint of 0 takes a byte too: eight documents whose one position
     * is 0 but two at 100000 take a PFOR run of width 0 (11 bytes: mode,
     * least, exceptions, two of an index and three bytes) where varints
     * would take 13, and 9 more than all at 0 (a mode byte and the least) */
    uint32_t id8[8], tt8[8] = {0}, tb8[8], zero8[8] = {0}, two8[8] = {0};
    for (uint32_t i = 0; i < 8; i++) {
        id8[i] = 10 + i;
        tb8[i] = 1;
    }
    two8[2] = two8[6] = 100000;
    size_t lz = block_roundtrip(id8, tt8, tb8, zero8, 8), l2 = block_roundtrip(id8, tt8, tb8, two8, 8);
    CHECK(lz > 0 && l2 > 0);
    CHECK_EQ_INT((int)(l2 - lz), 11 - 2);
}

/* The bound on a block's impacts where the index has grown longer on
 * average since the block recorded them (avgdl > a0): above the impact
 * at avgdl of every document the recorded q admits, and tighter than the
 * recorded one divided by a0/avgdl (the poetry bench: a0 71, the average
 * 71.235). */
TEST(test_impact_bound_longer)
{
    static const uint32_t a0s[] = {1, 10, 71, 400};
    static const double grow[] = {1.0 + 1e-6, 1.0033, 1.05, 2.0, 10.0};
    int below = 0, tighter = 0, cases = 0;
    for (size_t ai = 0; ai < sizeof a0s / sizeof *a0s; ai++)
        for (size_t gi = 0; gi < sizeof grow / sizeof *grow; gi++) {
            uint32_t a0 = a0s[ai];
            double avgdl = a0 * grow[gi];
            for (uint32_t q = 1; q <= 255; q += 2) {
                store_block b = {0};
                b.q = q;
                b.a0 = a0;
                double bound = store_block_impact_bound(&b, avgdl), v = store_impact_value(q);
                cases++;
                tighter += bound < v * avgdl / a0;
                for (uint32_t tt = 0; tt <= 6; tt++)
                    for (uint32_t tb = tt ? 0 : 1; tb <= 40; tb += 1 + tb / 4)
                        for (uint32_t dl = 1; dl <= 3000; dl += 1 + dl / 8) {
                            if (store_impact(tt, tb, dl, a0) > v)
                                continue; /* q does not admit it */
                            double tfw = STORE_TITLE_WEIGHT * tt + tb;
                            double at = tfw * (STORE_BM25_K1 + 1.0) /
                                        (tfw + STORE_BM25_K1 * (1.0 - STORE_BM25_B + STORE_BM25_B * dl / avgdl));
                            below += at > bound;
                        }
            }
        }
    CHECK_EQ_INT(below, 0);
    CHECK_EQ_INT(tighter, cases);
    /* the bench's case: 0.33 % above the recorded impact before, now
     * 0.02 % */
    store_block b = {0};
    b.q = 239;
    b.a0 = 71;
    double v = store_impact_value(239);
    CHECK(store_block_impact_bound(&b, 71.235) < v * 1.0005);
    CHECK(store_block_impact_bound(&b, 71.235) > v);
    /* not longer on average: the recorded impact itself */
    CHECK(store_block_impact_bound(&b, 71.0) >= v && store_block_impact_bound(&b, 71.0) < v * 1.000001);
    CHECK(store_block_impact_bound(&b, 50.0) >= v && store_block_impact_bound(&b, 50.0) < v * 1.000001);
}

/* A full block (128 documents, ids with gaps, varying tf): every seek
 * lands where walking one document at a time does, from every starting
 * document; the impact is recorded; damaged streams are caught. */
TEST(test_block_seek)
{
    store_block_builder bb = {0};
    store_bb_reset(&bb);
    uint32_t ids[STORE_BLOCK_DOCS], pos[20];
    for (uint32_t i = 0; i < 20; i++)
        pos[i] = i * 3;
    uint32_t id = 5000;
    for (uint32_t i = 0; i < STORE_BLOCK_DOCS; i++) {
        id += 1 + (i * 7919) % 200; /* gaps of 1 to 200 */
        ids[i] = id;
        CHECK_EQ_INT(store_bb_add(&bb, id, 50, pos, i % 3, 1 + i % 17), 0);
    }
    fz_buf v = {0};
    CHECK_EQ_INT(store_bb_finish(&bb, 50, &v), 0);
    static store_block b, x;
    CHECK_EQ_INT(store_block_open(&b, ids[0], v.p, v.len), 0);
    CHECK_EQ_INT(store_block_verify(&b), FZ_OK);
    /* the arrays a lone term's top-k walks: what the cursor visits, one by
     * one, and the cursor still walks them after */
    {
        static store_block w;
        CHECK_EQ_INT(store_block_open(&w, ids[0], v.p, v.len), 0);
        const uint32_t *aid, *att, *atb;
        CHECK_EQ_INT(store_block_arrays(&w, &aid, &att, &atb), FZ_OK);
        int diff = 0;
        for (uint32_t i = 0; i < STORE_BLOCK_DOCS; i++)
            diff += aid[i] != ids[i] || att[i] != i % 3 || atb[i] != 1 + i % 17;
        CHECK_EQ_INT(diff, 0);
        CHECK_EQ_INT(w.i, 0);
        for (uint32_t i = 1; i < STORE_BLOCK_DOCS; i++)
            diff += store_block_next(&w) != FZ_OK || w.doc != ids[i] || w.tf_title != i % 3 ||
                    w.tf_body != 1 + i % 17;
        CHECK_EQ_INT(diff, 0);
        CHECK_EQ_INT(store_block_next(&w), FZ_ENOTFOUND);
    }
    /* the ids alone, then moves to any document, backwards too: each
     * leaves the cursor as a seek to its id would (frequencies, positions) */
    {
        static store_block w;
        CHECK_EQ_INT(store_block_open(&w, ids[0], v.p, v.len), 0);
        const uint32_t *aid;
        CHECK_EQ_INT(store_block_ids(&w, &aid), FZ_OK);
        int diff = 0;
        for (uint32_t i = 0; i < STORE_BLOCK_DOCS; i++)
            diff += aid[i] != ids[i];
        CHECK_EQ_INT(diff, 0);
        CHECK_EQ_INT(w.i, 0);
        for (uint32_t k = 0; k < 2 * STORE_BLOCK_DOCS; k++) {
            uint32_t i = (k * 37 + 11) % STORE_BLOCK_DOCS, got[20];
            store_block_move(&w, i);
            int np = store_block_positions(&w, got, 20);
            diff += w.i != i || w.doc != ids[i] || w.tf_title != i % 3 || w.tf_body != 1 + i % 17 ||
                    np != (int)(i % 3 + 1 + i % 17) || got[np - 1] != 3 * (uint32_t)(np - 1);
        }
        CHECK_EQ_INT(diff, 0);
        store_block_move(&w, STORE_BLOCK_DOCS - 2);
        CHECK_EQ_INT(store_block_next(&w), FZ_OK);
        CHECK_EQ_INT(w.doc, ids[STORE_BLOCK_DOCS - 1]);
        CHECK_EQ_INT(store_block_next(&w), FZ_ENOTFOUND);
    }
    int bad = 0;
    for (uint32_t from = 0; from < STORE_BLOCK_DOCS; from++)
        for (uint32_t t = ids[from]; t <= ids[STORE_BLOCK_DOCS - 1] + 1; t += 13) {
            if (store_block_open(&x, ids[0], v.p, v.len)) {
                bad++;
                continue;
            }
            while (x.doc < ids[from])
                store_block_next(&x);
            int rc = store_block_seek(&x, t);
            uint32_t want = 0;
            while (want < STORE_BLOCK_DOCS && ids[want] < t)
                want++;
            if (want == STORE_BLOCK_DOCS ? rc != FZ_ENOTFOUND
                                         : rc != FZ_OK || x.doc != ids[want] || x.i != want ||
                                               x.tf_title != want % 3 || x.tf_body != 1 + want % 17)
                bad++;
            else if (want < STORE_BLOCK_DOCS) { /* positions still decode */
                uint32_t got[20];
                int k = store_block_positions(&x, got, 20);
                if (k != (int)(want % 3 + 1 + want % 17) || got[0] != 0 || got[k - 1] != 3 * (uint32_t)(k - 1))
                    bad++;
            }
        }
    CHECK_EQ_INT(bad, 0);
    /* the impact: recorded for the block's average length, rounded up */
    double best = 0;
    for (uint32_t i = 0; i < STORE_BLOCK_DOCS; i++) {
        double im = store_impact(i % 3, 1 + i % 17, 50, 50);
        if (im > best)
            best = im;
    }
    CHECK_EQ_INT(b.a0, 50);
    CHECK(store_impact_value(b.q) >= best && store_impact_value(b.q) < best + 0.01);
    CHECK(store_block_impact_bound(&b, 50) >= best);
    CHECK(store_block_impact_bound(&b, 100) >= store_impact(2, 17, 50, 100)); /* longer on average */
    /* the position stream cut short, or followed by a byte: --check
     * notices, and the last document's positions do not decode */
    CHECK_EQ_INT(store_block_open(&b, ids[0], v.p, v.len - 1), 0);
    CHECK_EQ_INT(store_block_verify(&b), FZ_ECORRUPT);
    uint32_t got[20];
    CHECK_EQ_INT(store_block_seek(&b, ids[STORE_BLOCK_DOCS - 1]), 0);
    CHECK_EQ_INT(store_block_positions(&b, got, 20), FZ_ECORRUPT);
    fz_buf_append(&v, "", 1);
    CHECK_EQ_INT(store_block_open(&b, ids[0], v.p, v.len), 0);
    CHECK_EQ_INT(store_block_verify(&b), FZ_ECORRUPT);
    v.len--;
    /* an unknown mode at the position stream's first run */
    CHECK_EQ_INT(store_block_open(&b, ids[0], v.p, v.len), 0);
    size_t ps = (size_t)(b.pstream - (const uint8_t *)v.p);
    ((uint8_t *)v.p)[ps] = 0x41;
    CHECK_EQ_INT(store_block_open(&b, ids[0], v.p, v.len), 0);
    CHECK_EQ_INT(store_block_verify(&b), FZ_ECORRUPT);
    CHECK_EQ_INT(store_block_positions(&b, got, 20), FZ_ECORRUPT);
    /* truncated anywhere: open fails, or a walk with positions does; cut
     * where the position stream starts, the value reads as a block
     * without positions (STORE_F_UNI's), which refuses positions and
     * which fzindex --check finds under a field that keeps them */
    for (size_t n = 0; n < v.len; n++) {
        int rc = store_block_open(&b, ids[0], v.p, n);
        if (rc == 0 && n == ps) {
            CHECK_EQ_INT(b.nopos, 1);
            CHECK_EQ_INT(store_block_positions(&b, got, 20), FZ_ECORRUPT);
            continue;
        }
        if (rc == 0)
            rc = store_block_verify(&b);
        CHECK_EQ_INT(rc, FZ_ECORRUPT);
    }
    fz_buf_free(&v);
    store_bb_free(&bb);
}

/* Hand-written blocks (the layout in store.c): one that reads, and each
 * way a stream can be damaged rejected. */
TEST(test_block_damaged_streams)
{
    static store_block b;
    uint8_t v[64];
    size_t hl = store_block_header(v, 2, 5, 0, 1, 1);
    /* ids: delta 5 (FOR width 0, base 5); tf_title 0 0; tf_body 1 1;
     * positions 3 4 (FOR width 1, base 3: bits 0 1) */
    static const uint8_t good[] = {0, 5, 0, 0, 0, 1, 1, 3, 0x02};
    memcpy(v + hl, good, sizeof good);
    CHECK_EQ_INT(store_block_open(&b, 10, v, hl + sizeof good), 0);
    CHECK_EQ_INT(store_block_verify(&b), 0);
    uint32_t p[2];
    CHECK(b.doc == 10 && b.tf_body == 1 && store_block_positions(&b, p, 2) == 1 && p[0] == 3);
    CHECK(store_block_next(&b) == 0 && b.doc == 15 && store_block_positions(&b, p, 2) == 1 && p[0] == 4);
    /* the same streams as varints and as a patched run read alike */
    static const uint8_t vari[] = {0x40, 5, 0x40, 0, 0, 0x40, 1, 1, 0x40, 3, 4};
    memcpy(v + hl, vari, sizeof vari);
    CHECK_EQ_INT(store_block_open(&b, 10, v, hl + sizeof vari), 0);
    CHECK_EQ_INT(store_block_verify(&b), 0);
    CHECK(store_block_next(&b) == 0 && b.doc == 15 && store_block_positions(&b, p, 2) == 1 && p[0] == 4);
    /* positions: PFOR width 0, base 3, one exception at index 1 of high 1 */
    static const uint8_t pf[] = {0, 5, 0, 0, 0, 1, 0x80, 3, 1, 1, 1};
    memcpy(v + hl, pf, sizeof pf);
    CHECK_EQ_INT(store_block_open(&b, 10, v, hl + sizeof pf), 0);
    CHECK_EQ_INT(store_block_verify(&b), 0);
    CHECK(store_block_next(&b) == 0 && store_block_positions(&b, p, 2) == 1 && p[0] == 4);

    static const struct {
        const char *what;
        uint8_t s[16];
        size_t n;
        int at_open; /* 1: open fails; 0: open reads (the ids are decoded on the first move, the
                      * positions when asked for), verify fails */
    } bad[] = {
        {"unknown mode", {0x41, 5, 0, 0, 0, 1, 1, 3, 0x02}, 9, 1},
        {"FOR width 33", {33, 5, 0, 0, 0, 1, 1, 3, 0x02}, 9, 1},
        {"PFOR exception index beyond the run", {0x80, 5, 1, 1, 1, 0, 0, 0, 1, 1, 3, 0x02}, 12, 0},
        {"PFOR exception with high bits 0", {0x80, 5, 1, 0, 0, 0, 0, 0, 1, 1, 3, 0x02}, 12, 0},
        {"PFOR exceptions not ascending", {0, 5, 0x80, 0, 2, 1, 1, 0, 1, 0, 1, 1, 3, 0x02}, 14, 1},
        {"id delta 0", {0, 0, 0, 0, 0, 1, 1, 3, 0x02}, 9, 0},
        {"id beyond the block's last", {0, 6, 0, 0, 0, 1, 1, 3, 0x02}, 9, 0},
        {"id above 32 bits", {32, 1, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1, 1, 3, 0x02}, 13, 0},
        {"a document without occurrences", {0, 5, 0, 0, 0x40, 1, 0, 3, 0x02}, 9, 0},
        {"frequency stream cut", {0, 5, 0, 0, 1, 0}, 6, 1},
        {"position stream cut", {0, 5, 0, 0, 0, 1, 1, 3}, 8, 0},
        {"a byte after the positions", {0, 5, 0, 0, 0, 1, 1, 3, 0x02, 0}, 10, 0},
        {"position above 32 bits", {0, 5, 0, 0, 0, 1, 0x40, 3, 0xff, 0xff, 0xff, 0xff, 0x1f}, 13, 0},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        memcpy(v + hl, bad[i].s, bad[i].n);
        int rc = store_block_open(&b, 10, v, hl + bad[i].n);
        if (!bad[i].at_open && rc == 0)
            rc = store_block_verify(&b);
        if (rc != FZ_ECORRUPT)
            fprintf(stderr, "damaged stream not caught: %s\n", bad[i].what);
        CHECK_EQ_INT(rc, FZ_ECORRUPT);
    }
    /* more documents than a block holds */
    hl = store_block_header(v, STORE_BLOCK_DOCS + 1, 500, 0, 1, 1);
    memset(v + hl, 0, 8);
    CHECK_EQ_INT(store_block_open(&b, 10, v, hl + 8), FZ_ECORRUPT);
}

TEST(test_keys_sort_by_term_then_id)
{
    uint8_t a[STORE_KEY_MAX], b[STORE_KEY_MAX], c[STORE_KEY_MAX];
    size_t na = store_post_key(a, STORE_F_TEXT, "井长", 6, 5);
    size_t nb = store_post_key(b, STORE_F_TEXT, "井长", 6, 300);
    size_t nc = store_post_key(c, STORE_F_TEXT, "井长制", 9, 0);
    CHECK_EQ_INT(na, 12);
    CHECK_EQ_INT(nc, 15);
    CHECK(memcmp(a, b, na) < 0);  /* same term: by first id */
    CHECK(memcmp(b, c, nb) < 0);  /* a term before its extensions */
    CHECK_EQ_INT(fz_be32_get(b + nb - 4), 300);
}

TEST(test_open_write_read)
{
    char dir[] = "/tmp/fz-test-store-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char db[256];
    snprintf(db, sizeof db, "%s/idx", dir);
    char msg[256] = "";
    store *s = NULL;
    /* reading a missing index says how to build one */
    CHECK_EQ_INT(store_open(db, STORE_READ, &s, msg, sizeof msg), FZ_ENOTFOUND);
    CHECK(strstr(msg, "fzindex") != NULL);
    CHECK_EQ_INT(store_open(db, STORE_WRITE, &s, msg, sizeof msg), 0);
    MDB_txn *txn;
    CHECK_EQ_INT(store_begin(s, 1, &txn, msg, sizeof msg), 0);
    store_stats st = {3, 90, 3, 1, 1};
    CHECK_EQ_INT(store_stats_put(s, txn, &st), 0);
    uint32_t lens[3] = {10, 20, 60};
    CHECK_EQ_INT(store_dlen_put(s, txn, 2000, lens, 3, msg, sizeof msg), 0);
    store_file f = {0};
    f.file_id = 0;
    f.first_id = 2000;
    f.nentries = 3;
    f.nbytes = 1234;
    f.mtime = -5;
    f.indexed_at = 1700000000;
    strcpy(f.encoding, "GB18030");
    CHECK_EQ_INT(store_file_put(s, txn, "/a/b.txt", &f), 0);
    /* a second file with a volume title from its text, and a catalog row */
    store_file f2 = f;
    f2.file_id = 1;
    f2.first_id = 2003;
    f2.nentries = 2;
    f2.volume = "仁和县志 乾隆本";
    f2.volume_len = strlen(f2.volume);
    CHECK_EQ_INT(store_file_put(s, txn, "/shelf/renhe.v2.txt", &f2), 0);
    store_catalog cat = {"嘉靖仁和县志", strlen("嘉靖仁和县志"), "杭州", strlen("杭州"), 1, -205};
    CHECK_EQ_INT(store_catalog_put(s, txn, "/shelf/renhe.v2.txt", &cat), 0);
    store_catalog bad = {0};
    bad.has_year = 1;
    bad.year = FZ_YEAR_MAX + 1;
    CHECK_EQ_INT(store_catalog_put(s, txn, "/a/b.txt", &bad), FZ_EINVAL);
    CHECK_EQ_INT(mdb_txn_commit(txn), 0);
    store_close(s);

    CHECK_EQ_INT(store_open(db, STORE_READ, &s, msg, sizeof msg), 0);
    CHECK_EQ_INT(store_begin(s, 0, &txn, msg, sizeof msg), 0);
    store_stats got;
    CHECK_EQ_INT(store_stats_get(s, txn, &got), 0);
    CHECK_EQ_INT(got.nentries, 3);
    CHECK_EQ_INT(got.sumlen, 90);
    store_dlen_cache dc = {0};
    CHECK_EQ_INT(store_dlen_get(s, txn, &dc, 2001), 20);
    CHECK_EQ_INT(store_dlen_get(s, txn, &dc, 2002), 60);
    CHECK_EQ_INT(store_dlen_get(s, txn, &dc, 5), 0);
    store_file gf;
    CHECK_EQ_INT(store_file_get(s, txn, "/a/b.txt", &gf), 0);
    CHECK_EQ_INT(gf.first_id, 2000);
    CHECK_EQ_INT(gf.mtime, -5);
    CHECK_EQ_STR(gf.encoding, "GB18030");
    const char *path;
    size_t plen;
    CHECK_EQ_INT(store_file_path(s, txn, 0, &path, &plen), 0);
    CHECK_EQ_MEM(path, plen, "/a/b.txt");
    /* volumes: the base name when nothing else names it; the catalog's
     * title over the text's; the catalog's place and (BCE) year */
    store_volume vol;
    CHECK_EQ_INT(store_volume_get(s, txn, 0, &vol), 0);
    CHECK_EQ_MEM(vol.title, vol.title_len, "b");
    CHECK_EQ_INT(vol.source, STORE_VOL_FILENAME);
    CHECK_EQ_INT(vol.first_id, 2000);
    CHECK_EQ_INT(vol.nentries, 3);
    CHECK_EQ_INT(vol.place_len, 0);
    CHECK_EQ_INT(vol.has_year, 0);
    CHECK_EQ_INT(store_volume_get(s, txn, 1, &vol), 0);
    CHECK_EQ_MEM(vol.title, vol.title_len, "嘉靖仁和县志");
    CHECK_EQ_INT(vol.source, STORE_VOL_CATALOG);
    CHECK_EQ_MEM(vol.place, vol.place_len, "杭州");
    CHECK_EQ_INT(vol.has_year, 1);
    CHECK_EQ_INT(vol.year, -205);
    CHECK_EQ_MEM(vol.path, vol.path_len, "/shelf/renhe.v2.txt");
    CHECK_EQ_INT(store_volume_get(s, txn, 9, &vol), FZ_ENOTFOUND);
    CHECK_EQ_INT(store_file_get(s, txn, "/shelf/renhe.v2.txt", &gf), 0);
    CHECK_EQ_MEM(gf.volume, gf.volume_len, "仁和县志 乾隆本");
    store_catalog gc;
    CHECK_EQ_INT(store_catalog_get(s, txn, "/a/b.txt", &gc), FZ_ENOTFOUND);
    mdb_txn_abort(txn);
    store_close(s);
    /* without the catalog row the text's title is the volume's */
    CHECK_EQ_INT(store_open(db, STORE_WRITE, &s, msg, sizeof msg), 0);
    CHECK_EQ_INT(store_begin(s, 1, &txn, msg, sizeof msg), 0);
    CHECK_EQ_INT(store_catalog_del(s, txn, "/shelf/renhe.v2.txt"), 0);
    CHECK_EQ_INT(store_catalog_del(s, txn, "/shelf/renhe.v2.txt"), 0);
    CHECK_EQ_INT(store_volume_get(s, txn, 1, &vol), 0);
    CHECK_EQ_MEM(vol.title, vol.title_len, "仁和县志 乾隆本");
    CHECK_EQ_INT(vol.source, STORE_VOL_TEXT);
    mdb_txn_abort(txn);
    store_close(s);
    size_t off, bn;
    store_volume_basename(".hidden", 7, &off, &bn);
    CHECK_EQ_INT(off, 0);
    CHECK_EQ_INT(bn, 7);
    store_volume_basename("/x.y/noext", 10, &off, &bn);
    CHECK_EQ_MEM("/x.y/noext" + off, bn, "noext");

    /* a foreign file as data.mdb is refused with a message, not a crash */
    char dbx[300];
    snprintf(dbx, sizeof dbx, "%s/foreign", dir);
    mkdir(dbx, 0777);
    char fp[400];
    snprintf(fp, sizeof fp, "%s/data.mdb", dbx);
    FILE *fo = fopen(fp, "w");
    for (int i = 0; i < 20000; i++)
        fputc("not an index "[i % 13], fo);
    fclose(fo);
    int rc = store_open(dbx, STORE_READ, &s, msg, sizeof msg);
    CHECK(rc == FZ_EFORMAT || rc == FZ_ECORRUPT);
    CHECK(s == NULL);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK_EQ_INT(system(cmd), 0);
}

/* A packed archive carries a checksum of its content: it verifies as
 * written, any changed byte or a cut trailer is found, and LMDB still
 * opens the archive.  A writer's data file gets the mode asked for and
 * is narrowed, never widened; store_size is the pages in use. */
TEST(test_pack_checksum_mode_size)
{
    char dir[] = "/tmp/fz-test-pack-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char db[256], pk[256], dp[300], cmd[700];
    snprintf(db, sizeof db, "%s/idx", dir);
    snprintf(pk, sizeof pk, "%s/a.fz", dir);
    snprintf(dp, sizeof dp, "%s/data.mdb", db);
    char msg[512] = "";
    store *s = NULL;
    mode_t old = umask(022);
    CHECK_EQ_INT(store_open_write(db, 0, 0600, &s, msg, sizeof msg), 0);
    struct stat st;
    CHECK(stat(dp, &st) == 0 && (st.st_mode & 0777) == 0600);
    CHECK(store_size(s) > 0 && store_size(s) < ((uint64_t)1 << 20)); /* not the map's length */
    CHECK(stat(dp, &st) == 0 && (uint64_t)st.st_size >= ((uint64_t)1 << 30)); /* while the map is open */
    store_close(s);
    CHECK(stat(dp, &st) == 0 && (uint64_t)st.st_size < ((uint64_t)1 << 20)); /* cut back */
    CHECK_EQ_INT(store_open_write(db, 0, 0644, &s, msg, sizeof msg), 0);
    CHECK(stat(dp, &st) == 0 && (st.st_mode & 0777) == 0600); /* never widened */
    store_close(s);
    chmod(dp, 0644);
    CHECK_EQ_INT(store_open_write(db, 0, 0640, &s, msg, sizeof msg), 0);
    CHECK(stat(dp, &st) == 0 && (st.st_mode & 0777) == 0640); /* narrowed */
    store_close(s);
    umask(old);

    CHECK_EQ_INT(store_open(db, STORE_READ, &s, msg, sizeof msg), 0);
    CHECK_EQ_INT(store_pack(s, pk, msg, sizeof msg), 0);
    CHECK_EQ_INT(store_pack(s, pk, msg, sizeof msg), FZ_EINVAL); /* never over a file */
    store_close(s);
    CHECK(stat(pk, &st) == 0 && (st.st_mode & 0777) == 0640); /* the index's mode */
    CHECK_EQ_INT(store_pack_verify(pk, msg, sizeof msg), 0);
    CHECK_EQ_INT(store_open(pk, STORE_READ, &s, msg, sizeof msg), 0);
    store_close(s);
    /* one bit changed anywhere: damaged */
    off_t len = st.st_size;
    for (off_t at = 0; at < len; at += len / 7 + 1) {
        FILE *f = fopen(pk, "r+b");
        fseeko(f, at, SEEK_SET);
        int c = fgetc(f);
        fseeko(f, at, SEEK_SET);
        fputc(c ^ 0x10, f);
        fclose(f);
        int rc = store_pack_verify(pk, msg, sizeof msg);
        CHECK(rc == FZ_ECORRUPT || (at >= len - 8 && rc == FZ_EFORMAT)); /* the magic itself: no trailer */
        f = fopen(pk, "r+b");
        fseeko(f, at, SEEK_SET);
        fputc(c, f);
        fclose(f);
    }
    CHECK_EQ_INT(store_pack_verify(pk, msg, sizeof msg), 0);
    /* without its trailer: an older pack, asked to be packed again */
    CHECK_EQ_INT(truncate(pk, len - 24), 0);
    CHECK_EQ_INT(store_pack_verify(pk, msg, sizeof msg), FZ_EFORMAT);
    CHECK(strstr(msg, "pack it again") != NULL);
    /* a text file: no index at all */
    FILE *f = fopen(pk, "w");
    for (int i = 0; i < 20000; i++)
        fputc("text "[i % 5], f);
    fclose(f);
    CHECK_EQ_INT(store_pack_verify(pk, msg, sizeof msg), FZ_EFORMAT);
    CHECK(strstr(msg, "pack it again") == NULL);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK_EQ_INT(system(cmd), 0);
}

/* No HOME, no default index (not ./.local). */
TEST(test_default_path)
{
    char buf[512];
    setenv("FANGZHI_DB", "/x/db", 1);
    CHECK_EQ_STR(store_default_path(buf, sizeof buf), "/x/db");
    unsetenv("FANGZHI_DB");
    setenv("XDG_DATA_HOME", "/x/data", 1);
    CHECK_EQ_STR(store_default_path(buf, sizeof buf), "/x/data/fangzhi/index");
    unsetenv("XDG_DATA_HOME");
    setenv("HOME", "/home/u", 1);
    CHECK_EQ_STR(store_default_path(buf, sizeof buf), "/home/u/.local/share/fangzhi/index");
    setenv("HOME", "", 1);
    CHECK(store_default_path(buf, sizeof buf) == NULL);
    unsetenv("HOME");
    CHECK(store_default_path(buf, sizeof buf) == NULL);
}

/* Updates: a dlen chunk whose entries are all removed leaves no record
 * (readers take a missing chunk for zeros), and a writer's commit is
 * followed by a turn, so that the next run reuses the pages this run
 * freed (store.c, FREE PAGES). */
TEST(test_update_pages)
{
    char dir[] = "/tmp/fz-test-store-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char db[256], msg[256] = "";
    snprintf(db, sizeof db, "%s/idx", dir);
    store *s = NULL;
    MDB_txn *txn;
    MDB_envinfo info;
    CHECK_EQ_INT(store_open(db, STORE_WRITE, &s, msg, sizeof msg), 0);
    CHECK_EQ_INT(store_begin(s, 1, &txn, msg, sizeof msg), 0);
    uint32_t lens[11] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, zeros[11] = {0};
    CHECK_EQ_INT(store_dlen_put(s, txn, 1020, lens, 11, msg, sizeof msg), 0); /* chunks 0 and 1 */
    CHECK_EQ_INT(store_dlen_put(s, txn, 1024, zeros, 7, msg, sizeof msg), 0);  /* chunk 1 emptied */
    uint8_t kb[4];
    fz_be32_put(kb, 1);
    MDB_val k = {4, kb}, v;
    CHECK_EQ_INT(mdb_get(txn, store_dbi(s, STORE_DB_DLEN), &k, &v), MDB_NOTFOUND);
    store_dlen_cache dc = {0};
    CHECK_EQ_INT(store_dlen_get(s, txn, &dc, 1025), 0);
    CHECK_EQ_INT(store_dlen_get(s, txn, &dc, 1021), 2);
    {
        /* with slots: chunks remembered apart give the same lengths going
         * back and forth, an empty chunk stays empty, and a chunk in
         * another's slot (0 and 4 share slot 0 of 4) is looked up again */
        uint32_t far[3] = {70, 71, 72};
        CHECK_EQ_INT(store_dlen_put(s, txn, 4 * STORE_DLEN_CHUNK + 1, far, 3, msg, sizeof msg), 0);
        store_dlen_slot slots[4] = {{0}};
        store_dlen_cache sc = {0};
        sc.slots = slots;
        sc.nslots = 4;
        int diff = 0;
        for (int round = 0; round < 3; round++) {
            diff += store_dlen_get(s, txn, &sc, 1021) != 2;
            diff += store_dlen_get(s, txn, &sc, 1025) != 0;
            diff += store_dlen_get(s, txn, &sc, 4 * STORE_DLEN_CHUNK + 2) != 71;
            diff += store_dlen_get(s, txn, &sc, 1023) != 4;
            diff += store_dlen_get(s, txn, &sc, 4 * STORE_DLEN_CHUNK + 3) != 72;
            diff += store_dlen_get(s, txn, &sc, 9 * STORE_DLEN_CHUNK) != 0;
        }
        CHECK_EQ_INT(diff, 0);
        CHECK(slots[0].lens != NULL && slots[0].chunk == 4); /* chunk 0's slot, taken by 4 last */
        CHECK_EQ_INT(store_dlen_put(s, txn, 4 * STORE_DLEN_CHUNK + 1, (uint32_t[3]){0}, 3, msg, sizeof msg), 0);
    }
    CHECK_EQ_INT(store_dlen_put(s, txn, 1020, zeros, 4, msg, sizeof msg), 0); /* chunk 0 too */
    fz_be32_put(kb, 0);
    CHECK_EQ_INT(mdb_get(txn, store_dbi(s, STORE_DB_DLEN), &k, &v), MDB_NOTFOUND);
    CHECK_EQ_INT(mdb_env_info(store_env(s), &info), 0);
    size_t t0 = info.me_last_txnid;
    CHECK_EQ_INT(store_commit(s, txn, "test", msg, sizeof msg), 0);
    CHECK_EQ_INT(mdb_env_info(store_env(s), &info), 0);
    CHECK_EQ_INT(info.me_last_txnid, t0 + 2); /* the commit and its turn */
    store_close(s);
    /* opening a writer commits nothing (a failed run leaves the file as it was) */
    CHECK_EQ_INT(store_open_write(db, 0, 0644, &s, msg, sizeof msg), 0);
    CHECK_EQ_INT(mdb_env_info(store_env(s), &info), 0);
    CHECK_EQ_INT(info.me_last_txnid, t0 + 2);
    store_close(s);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK_EQ_INT(system(cmd), 0);
}

/* The body of test entry i: varied text in the shape of a yearbook's
 * (compressible as real text is), every 50th entry 9000 bytes of
 * pseudo-random CJK that no page holds (a block of its own, on more
 * pages), entry 900 one character repeated 20,000 times (zstd would
 * shrink it past 255x: stored raw). */
static size_t test_body(uint32_t i, char *out)
{
    static const char *const words[] = {"下城区", "治水", "井长制", "管理模式", "街道", "小区", "商圈",
                                        "2017年", "建设", "，", "。", "杭州", "工作", "全区"};
    size_t n = 0;
    if (i == 900) {
        for (int k = 0; k < 20000; k++)
            n += (size_t)fz_utf8_encode(0x6C34, out + n);
        return n;
    }
    uint32_t x = i * 2654435761u + 1;
    if (i % 50 == 49) {
        while (n < 9000) {
            x = x * 1103515245u + 12345u;
            n += (size_t)fz_utf8_encode(0x4E00 + (x >> 8) % 0x5000, out + n);
        }
        return n;
    }
    int nw = 5 + (int)(i % 40);
    for (int k = 0; k < nw; k++) {
        x = x * 1103515245u + 12345u;
        const char *w = words[(x >> 16) % (sizeof words / sizeof *words)];
        memcpy(out + n, w, strlen(w));
        n += strlen(w);
    }
    n += (size_t)sprintf(out + n, "第%u条", i);
    return n;
}

static store_entry test_entry(uint32_t i, uint32_t file, char *body, size_t blen)
{
    static const char *sec[] = {"年度聚焦", "概况"}, *aut[] = {"和岘"};
    static size_t secl[] = {12, 6}, autl[] = {6};
    store_entry e = {0};
    e.id = i;
    e.file_id = file;
    e.line = i * 3 + 1;
    e.kind = (uint8_t)(i % 3);
    e.title_npos = 2;
    e.npos = (uint32_t)blen;
    e.title = "标题";
    e.title_len = strlen(e.title);
    e.body = body;
    e.body_len = blen;
    e.nsection = 1;
    e.section = sec;
    e.section_len = secl;
    /* a second heading under every 50th, an author for 300..349 */
    if (i % 50 == 10)
        e.nsection = 2;
    if (i >= 300 && i < 350) {
        e.nauthors = 1;
        e.authors = aut;
        e.author_len = autl;
    }
    return e;
}

/* What test_entry gave entry i: its sections and authors as written. */
static int test_entry_lists(uint32_t i, const store_entry *d)
{
    int two = i % 50 == 10, author = i >= 300 && i < 350;
    return d->nsection == (two ? 2u : 1u) && !strcmp(d->section[0], "年度聚焦") &&
           (!two || !strcmp(d->section[1], "概况")) && d->nauthors == (author ? 1u : 0u) &&
           (!author || !strcmp(d->authors[0], "和岘"));
}

/* A new index in a new directory dir (a mkdtemp template), opened for
 * writing, with a write transaction begun. */
static store *tmp_index(char *dir, MDB_txn **txn)
{
    char db[256], msg[256] = "";
    CHECK(mkdtemp(dir) != NULL);
    snprintf(db, sizeof db, "%s/idx", dir);
    store *s = NULL;
    CHECK_EQ_INT(store_open(db, STORE_WRITE, &s, msg, sizeof msg), 0);
    CHECK_EQ_INT(store_begin(s, 1, txn, msg, sizeof msg), 0);
    return s;
}

/* Removes the directory tmp_index made. */
static void tmp_remove(const char *dir)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK_EQ_INT(system(cmd), 0);
}

/* Entry i's join map in test_entry_blocks: none for every fifth, else
 * 1 to 24 bytes, the last not zero.  Its length. */
static size_t test_join(uint32_t i, uint8_t *out)
{
    if (i % 5 == 0)
        return 0;
    size_t n = 1 + i % 24;
    for (size_t k = 0; k < n; k++)
        out[k] = (uint8_t)(k % 3 == 0 ? 0x7C : k % 3 == 1 ? 0xDF : 0x07 + (i & 0x30));
    out[n - 1] |= 0x80;
    return n;
}

/* Entry blocks: written through a store_entry_writer, every entry reads
 * back exactly by id (store_entry_get) and by walking the blocks, and so
 * does its join map (store_join_get, and the readers of blocks); a block
 * holds one file's consecutive ids and fills at most a page unless it is
 * one entry; text compresses; removing a file's range removes its entries
 * only; any cut or changed method of a block is damage, and so are join
 * maps that do not fill their part, which leave the metadata readable. */
/* In test_entry_blocks's index, the last byte of block 900's text (stored
 * raw) changed: a character of the code, then the fallback of one with no
 * rank, cut short.  The copy is in arena a. */
static void damage_block_900(store *s, MDB_txn *txn, fz_arena *a)
{
    uint8_t kb[4];
    fz_be32_put(kb, 900);
    MDB_val bk = {4, kb}, bv;
    CHECK_EQ_INT(mdb_get(txn, store_dbi(s, STORE_DB_ENTRY), &bk, &bv), 0);
    uint8_t *cp = fz_arena_alloc(a, bv.mv_size);
    memcpy(cp, bv.mv_data, bv.mv_size);
    cp[bv.mv_size - 2] = ' ';
    cp[bv.mv_size - 1] = 0xFE;
    MDB_val nv = {bv.mv_size, cp};
    CHECK_EQ_INT(mdb_put(txn, store_dbi(s, STORE_DB_ENTRY), &bk, &nv, 0), 0);
}

TEST(test_entry_blocks)
{
    char dir[] = "/tmp/fz-test-eblk-XXXXXX", msg[256] = "";
    MDB_txn *txn;
    store *s = tmp_index(dir, &txn);
    static char body[70000];
    store_entry_writer w = {0};
    fz_buf rec = {0};
    size_t rawsum = 0;
    /* file 0: ids 100..499; file 1: ids 500..899 (its first follows file
     * 0's last); file 2: id 900 */
    for (uint32_t i = 100; i <= 900; i++) {
        store_entry e = test_entry(i, i < 500 ? 0 : i < 900 ? 1 : 2, body, test_body(i, body));
        rec.len = 0;
        CHECK_EQ_INT(store_entry_encode(&e, &rec), 0);
        uint8_t jm[32];
        size_t jl = test_join(i, jm);
        rawsum += rec.len + jl;
        CHECK_EQ_INT(store_entry_add(s, txn, &w, i, rec.p, rec.len, jm, jl, msg, sizeof msg), 0);
    }
    /* a record cut short is refused, and the pending ones stay */
    uint32_t pending = w.n;
    CHECK_EQ_INT(store_entry_add(s, txn, &w, 901, rec.p, 3, NULL, 0, msg, sizeof msg), FZ_EINVAL);
    CHECK_EQ_INT(w.n, pending);
    CHECK_EQ_INT(store_entry_flush(s, txn, &w, msg, sizeof msg), 0);
    CHECK_EQ_INT(w.n, 0);
    CHECK(w.written < rawsum * 7 / 10);
    CHECK(store_tdict_of(s, txn) == NULL); /* too little text to train a dictionary on */
    CHECK_EQ_INT(store_commit(s, txn, "writing", msg, sizeof msg), 0);
    store_entry_writer_free(&w);

    CHECK_EQ_INT(store_begin(s, 0, &txn, msg, sizeof msg), 0);
    fz_arena *a = fz_arena_create();
    int bad = 0;
    for (uint32_t i = 100; i <= 900; i++) {
        store_entry d;
        size_t blen = test_body(i, body);
        if (store_entry_get(s, txn, i, a, &d) || d.id != i || d.file_id != (i < 500 ? 0u : i < 900 ? 1u : 2u) || d.line != i * 3 + 1 ||
            d.kind != i % 3 || d.npos != blen || d.body_len != blen || memcmp(d.body, body, blen) ||
            !test_entry_lists(i, &d) || strcmp(d.title, "标题"))
            bad++;
    }
    CHECK_EQ_INT(bad, 0);
    /* the metadata alone: the same, with the title and body empty */
    for (uint32_t i = 100; i <= 900; i++) {
        store_entry d, m;
        if (store_entry_get(s, txn, i, a, &d) || store_entry_meta_get(s, txn, i, a, &m) || m.id != i ||
            m.file_id != d.file_id || m.line != d.line || m.kind != d.kind || m.title_npos != d.title_npos ||
            m.npos != d.npos || !test_entry_lists(i, &m) ||
            m.title_len || m.body_len || strcmp(m.title, "") || strcmp(m.body, ""))
            bad++;
    }
    CHECK_EQ_INT(bad, 0);
    /* through a cache, in an order that goes back and forth between
     * blocks and stays in one: the same entries */
    store_entry_cache *ec;
    CHECK_EQ_INT(store_entry_cache_create(&ec), 0);
    for (uint32_t k = 0; k < 3000; k++) {
        uint32_t i = 100 + (k * 7 + (k / 10) * 13) % 801;
        store_entry d, c;
        if (store_entry_get(s, txn, i, a, &d) || store_entry_get_cached(s, txn, ec, i, a, &c) || c.id != i ||
            c.line != d.line || c.body_len != d.body_len || memcmp(c.body, d.body, d.body_len) ||
            !test_entry_lists(i, &c) || strcmp(c.title, d.title))
            bad++;
    }
    CHECK_EQ_INT(bad, 0);
    /* the join maps, by id and with the entries read by id */
    for (uint32_t i = 100; i <= 900; i++) {
        uint8_t jm[32];
        size_t jl = test_join(i, jm), ml;
        const uint8_t *map;
        store_entry e;
        int rc = store_join_get(s, txn, i, &map, &ml);
        if (rc != (jl ? FZ_OK : FZ_ENOTFOUND) || ml != jl || (jl && memcmp(map, jm, jl)) || (!jl && map))
            bad++;
        if (store_entry_get_cached(s, txn, ec, i, a, &e) || e.join_len != jl || (jl && memcmp(e.join, jm, jl)))
            bad++;
    }
    CHECK_EQ_INT(bad, 0);
    {
        const uint8_t *map;
        size_t ml;
        CHECK_EQ_INT(store_join_get(s, txn, 99, &map, &ml), FZ_ENOTFOUND);
        CHECK_EQ_INT(store_join_get(s, txn, 901, &map, &ml), FZ_ENOTFOUND);
        CHECK(map == NULL && ml == 0);
    }
    /* a block found ahead serves its own ids only: each id found ahead by
     * a new cache, then the one below it read (at a block's first id, the
     * last of the block before) */
    for (uint32_t i = 101; i <= 900; i++) {
        store_entry d, c;
        store_entry_cache *pc;
        CHECK_EQ_INT(store_entry_cache_create(&pc), 0);
        store_entry_cache_prefetch(s, txn, pc, i);
        if (store_entry_get(s, txn, i - 1, a, &d) || store_entry_get_cached(s, txn, pc, i - 1, a, &c) ||
            c.id != i - 1 || c.line != d.line || c.body_len != d.body_len || memcmp(c.body, d.body, d.body_len))
            bad++;
        store_entry_cache_destroy(pc);
    }
    CHECK_EQ_INT(bad, 0);
    store_entry d;
    store_entry_cache_prefetch(s, txn, ec, 99);
    CHECK_EQ_INT(store_entry_get_cached(s, txn, ec, 99, a, &d), FZ_ENOTFOUND);
    CHECK_EQ_INT(store_entry_meta_get(s, txn, 99, a, &d), FZ_ENOTFOUND);
    CHECK_EQ_INT(store_entry_get(s, txn, 99, a, &d), FZ_ENOTFOUND);
    CHECK_EQ_INT(store_entry_get(s, txn, 901, a, &d), FZ_ENOTFOUND);
    CHECK_EQ_INT(store_entry_exists(s, txn, 0), FZ_ENOTFOUND);
    CHECK_EQ_INT(store_entry_exists(s, txn, 100), FZ_OK);
    CHECK_EQ_INT(store_entry_exists(s, txn, 899), FZ_OK);
    /* walk the blocks */
    MDB_cursor *cur;
    CHECK_EQ_INT(mdb_cursor_open(txn, store_dbi(s, STORE_DB_ENTRY), &cur), 0);
    MDB_val k, v;
    uint32_t next = 100, nblocks = 0, nraw = 0, big = 0;
    MDB_stat ms;
    CHECK_EQ_INT(mdb_env_stat(store_env(s), &ms), 0);
    for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        store_entry_block b;
        uint32_t last = fz_be32_get(k.mv_data);
        CHECK_EQ_INT(store_entry_block_open(store_tdict_of(s, txn), v.mv_data, v.mv_size, last, a, &b), 0);
        CHECK_EQ_INT(b.first, next);
        CHECK(b.n >= 1 && b.n <= STORE_ENTRY_BLOCK);
        CHECK(b.n == 1 || v.mv_size <= ms.ms_psize - 16);
        big += v.mv_size > ms.ms_psize - 16;
        /* v n, v the metadata's length, the metadata, v the join part's
         * length, the join part, v the text's raw length, then the method
         * byte */
        const uint8_t *vend = (const uint8_t *)v.mv_data + v.mv_size, *p;
        uint64_t mlen, jlen;
        p = fz_varint_get(v.mv_data, vend, &(uint64_t){0});
        const uint8_t *mp = p;
        p = fz_varint_get(p, vend, &mlen);
        const uint8_t *jp = fz_varint_get(p + mlen, vend, &jlen);
        p = fz_varint_get(jp + jlen, vend, &(uint64_t){0});
        nraw += *p == STORE_ENTRY_RAW;
        if (last == 900)
            CHECK_EQ_INT(*p, STORE_ENTRY_RAW);
        else
            CHECK_EQ_INT(*p, STORE_ENTRY_ZSTD);
        /* sections and authors are written when they change: each
         * entry's metadata (line, kind, lengths) takes a few bytes, its
         * sections and authors 15 to 29 */
        CHECK(mlen <= 8 * (uint64_t)b.n + 64);
        uint32_t file = 2;
        while (store_entry_block_next(&b, a, &d) == FZ_OK) {
            CHECK_EQ_INT(d.id, next);
            if (file == 2)
                file = d.file_id;
            CHECK_EQ_INT(d.file_id, file);
            CHECK(test_entry_lists(next, &d));
            uint8_t jm[32];
            size_t jl = test_join(next, jm);
            CHECK(d.join_len == jl && (jl ? memcmp(d.join, jm, jl) == 0 : d.join == NULL));
            next++;
        }
        /* cut short anywhere, or given another method: damage, never a
         * read past the value */
        for (size_t n = 0; n < v.mv_size; n += 1 + v.mv_size / 64)
            CHECK_EQ_INT(store_entry_block_open(store_tdict_of(s, txn), v.mv_data, n, last, a, &b), FZ_ECORRUPT);
        uint8_t *cp = fz_arena_alloc(a, v.mv_size);
        memcpy(cp, v.mv_data, v.mv_size);
        cp[p - (const uint8_t *)v.mv_data] = 7;
        CHECK_EQ_INT(store_entry_block_open(store_tdict_of(s, txn), cp, v.mv_size, last, a, &b), FZ_ECORRUPT);
        memcpy(cp, v.mv_data, v.mv_size);
        cp[mp - (const uint8_t *)v.mv_data]++; /* the metadata one byte longer */
        CHECK_EQ_INT(store_entry_block_open(store_tdict_of(s, txn), cp, v.mv_size, last, a, &b), FZ_ECORRUPT);
        memcpy(cp, v.mv_data, v.mv_size);
        cp[jp - (const uint8_t *)v.mv_data] += 40; /* the first map longer than the part */
        CHECK_EQ_INT(store_entry_block_open(store_tdict_of(s, txn), cp, v.mv_size, last, a, &b), FZ_ECORRUPT);
        nblocks++;
    }
    mdb_cursor_close(cur);
    CHECK_EQ_INT(next, 901);
    CHECK(nblocks > 20 && nblocks < 400);
    CHECK_EQ_INT(big, 16 + 1); /* the 9000-byte entries and entry 900, each alone */
    CHECK_EQ_INT(nraw, 1);
    fz_arena_destroy(a);
    mdb_txn_abort(txn);
    /* the metadata is read without the text: with the last byte of block
     * 900's text changed (stored raw: now an escape that does not decode),
     * the entry is damage and its metadata still reads */
    CHECK_EQ_INT(store_begin(s, 1, &txn, msg, sizeof msg), 0);
    {
        fz_arena *da = fz_arena_create();
        store_entry m;
        CHECK_EQ_INT(store_entry_get(s, txn, 900, da, &m), FZ_OK);
        damage_block_900(s, txn, da);
        CHECK_EQ_INT(store_entry_get(s, txn, 900, da, &m), FZ_ECORRUPT);
        CHECK_EQ_INT(store_entry_meta_get(s, txn, 900, da, &m), FZ_OK);
        CHECK_EQ_INT(m.line, 900 * 3 + 1);
        fz_arena_destroy(da);
    }
    {
        /* the block after 850 with its first join map's length past its
         * part: its maps are damage, and so are its entries, whose
         * metadata still reads (it needs no map) */
        uint8_t kb[4];
        MDB_val bk = {4, kb}, bv;
        MDB_cursor *c2;
        CHECK_EQ_INT(mdb_cursor_open(txn, store_dbi(s, STORE_DB_ENTRY), &c2), 0);
        fz_be32_put(kb, 850);
        CHECK_EQ_INT(mdb_cursor_get(c2, &bk, &bv, MDB_SET_RANGE), 0);
        mdb_cursor_close(c2);
        uint32_t blast = fz_be32_get(bk.mv_data);
        fz_arena *da = fz_arena_create();
        uint8_t *cp = fz_arena_alloc(da, bv.mv_size);
        memcpy(cp, bv.mv_data, bv.mv_size);
        const uint8_t *vend = cp + bv.mv_size, *p;
        uint64_t mlen, jlen;
        p = fz_varint_get(cp, vend, &(uint64_t){0});
        p = fz_varint_get(p, vend, &mlen);
        p = fz_varint_get(p + mlen, vend, &jlen);
        CHECK(jlen > 0 && *p < 0x40);
        cp[p - cp] = 0x7F;
        store_entry m0, m1;
        const uint8_t *map;
        size_t ml;
        CHECK_EQ_INT(store_entry_get(s, txn, blast, da, &m0), FZ_OK);
        CHECK_EQ_INT(store_join_get(s, txn, blast, &map, &ml), FZ_OK);
        bk.mv_data = kb;
        fz_be32_put(kb, blast);
        MDB_val nv = {bv.mv_size, cp};
        CHECK_EQ_INT(mdb_put(txn, store_dbi(s, STORE_DB_ENTRY), &bk, &nv, 0), 0);
        CHECK_EQ_INT(store_join_get(s, txn, blast, &map, &ml), FZ_ECORRUPT);
        CHECK_EQ_INT(store_entry_get(s, txn, blast, da, &m1), FZ_ECORRUPT);
        CHECK_EQ_INT(store_entry_meta_get(s, txn, blast, da, &m1), FZ_OK);
        CHECK(m1.line == m0.line && m1.npos == m0.npos && m1.join == NULL);
        fz_arena_destroy(da);
    }
    mdb_txn_abort(txn);
    /* the cache serves a block again only in the snapshot it read it in:
     * block 900 read through it, then damaged by a commit (as above), then
     * read through it again in a new snapshot: the damage shows */
    {
        MDB_txn *rt;
        fz_arena *da = fz_arena_create();
        store_entry m;
        CHECK_EQ_INT(store_begin(s, 0, &rt, msg, sizeof msg), 0);
        CHECK_EQ_INT(store_entry_get_cached(s, rt, ec, 900, da, &m), FZ_OK);
        CHECK_EQ_INT(store_entry_get_cached(s, rt, ec, 900, da, &m), FZ_OK); /* from the cache */
        CHECK_EQ_INT(m.id, 900);
        /* and found ahead of a read (store_entry_cache_prefetch) while
         * another block is the one read: not served in a new snapshot */
        CHECK_EQ_INT(store_entry_get_cached(s, rt, ec, 100, da, &m), FZ_OK);
        store_entry_cache_prefetch(s, rt, ec, 900);
        mdb_txn_abort(rt);
        CHECK_EQ_INT(store_begin(s, 1, &txn, msg, sizeof msg), 0);
        damage_block_900(s, txn, da);
        CHECK_EQ_INT(store_commit(s, txn, "damaging", msg, sizeof msg), 0);
        CHECK_EQ_INT(store_begin(s, 0, &rt, msg, sizeof msg), 0);
        CHECK_EQ_INT(store_entry_get_cached(s, rt, ec, 900, da, &m), FZ_ECORRUPT);
        CHECK_EQ_INT(store_entry_get_cached(s, rt, ec, 899, da, &m), FZ_OK);
        mdb_txn_abort(rt);
        fz_arena_destroy(da);
    }
    store_entry_cache_destroy(ec);
    store_entry_cache_destroy(NULL);
    /* removing file 0's range leaves file 1's entries */
    CHECK_EQ_INT(store_begin(s, 1, &txn, msg, sizeof msg), 0);
    CHECK_EQ_INT(store_entry_del_range(s, txn, 100, 400, msg, sizeof msg), 0);
    CHECK_EQ_INT(store_entry_exists(s, txn, 100), FZ_ENOTFOUND);
    CHECK_EQ_INT(store_entry_exists(s, txn, 499), FZ_ENOTFOUND);
    CHECK_EQ_INT(store_entry_exists(s, txn, 500), FZ_OK);
    CHECK_EQ_INT(store_entry_exists(s, txn, 899), FZ_OK);
    CHECK_EQ_INT(store_commit(s, txn, "removing", msg, sizeof msg), 0);
    store_close(s);
    fz_buf_free(&rec);
    tmp_remove(dir);
}

/* ---- term packs ---- */

/* Records of a term in docs[0..n) (each doc's positions: its id mod 7
 * and 40 + id; tf_body 2, tf_title 0, except doc 4: title 1), into bb. */
static void tp_records(store_block_builder *bb, const uint32_t *docs, size_t n)
{
    store_bb_reset(bb);
    for (size_t i = 0; i < n; i++) {
        uint32_t pos[2] = {docs[i] % 7, 40 + docs[i]};
        uint32_t tt = docs[i] == 4, tb = docs[i] == 4 ? 1 : 2;
        CHECK_EQ_INT(store_bb_add(bb, docs[i], 100 + docs[i], pos, tt, tb), 0);
    }
}

static void tp_add(store_tpack_builder *pb, store_block_builder *bb, int field, const char *term,
                   const uint32_t *docs, size_t n)
{
    tp_records(bb, docs, n);
    CHECK_EQ_INT(store_tpack_add(pb, field, term, strlen(term), bb->ndocs, bb->first, (const uint8_t *)bb->docs.p,
                                 bb->docs.len),
                 0);
}

static void tp_put_pack(MDB_txn *txn, MDB_dbi dbi, store_tpack_builder *pb)
{
    MDB_val k = {pb->klen, pb->key}, v = {pb->val.len, pb->val.p};
    CHECK_EQ_INT(mdb_put(txn, dbi, &k, &v, 0), 0);
    store_tpack_reset(pb);
}

/* Puts term's block of docs[0..n) (tp_records') under its first id. */
static void tp_put_block(MDB_txn *txn, MDB_dbi dbi, store_block_builder *bb, fz_buf *val, const char *term,
                         const uint32_t *docs, size_t n)
{
    uint8_t key[STORE_KEY_MAX];
    tp_records(bb, docs, n);
    CHECK_EQ_INT(store_bb_finish(bb, 50, val), 0);
    MDB_val k = {store_post_key(key, STORE_F_TEXT, term, strlen(term), docs[0]), key}, v = {val->len, val->p};
    CHECK(!store_key_is_tpack(key, k.mv_size));
    CHECK_EQ_INT(mdb_put(txn, dbi, &k, &v, 0), 0);
}

/* Finds term in field: what store_term_find says, and (packed) the ids of
 * its documents read through the block cursor into ids (count *n). */
static int tp_find(store *s, MDB_txn *txn, int field, const char *term, uint32_t *ids, size_t *n)
{
    MDB_cursor *cur;
    CHECK_EQ_INT(mdb_cursor_open(txn, store_dbi(s, STORE_DB_POST), &cur), 0);
    MDB_val k, v;
    store_tpack_iter it;
    int rc = store_term_find(cur, field, term, strlen(term), &k, &v, &it);
    *n = 0;
    if (rc == STORE_TERM_PACKED) {
        CHECK_EQ_MEM(it.term, it.term_len, term);
        store_block b;
        CHECK_EQ_INT(store_block_open_tpack(&b, &it), 0);
        CHECK_EQ_INT(b.ndocs, it.ndocs);
        do {
            uint32_t pos[4];
            CHECK_EQ_INT(store_block_positions(&b, pos, 4), 2);
            CHECK_EQ_INT(pos[0], b.doc % 7);
            CHECK_EQ_INT(pos[1], 40 + b.doc);
            CHECK_EQ_INT(b.tf_title, b.doc == 4);
            ids[(*n)++] = b.doc;
        } while (store_block_next(&b) == FZ_OK);
        CHECK_EQ_INT(b.last, ids[*n - 1]);
    } else if (rc == STORE_TERM_BLOCKS) {
        CHECK_EQ_INT(k.mv_size, strlen(term) + 6);
        CHECK_EQ_MEM((const char *)k.mv_data + 1, strlen(term), term);
        store_block b;
        CHECK_EQ_INT(store_block_open(&b, fz_be32_get((const uint8_t *)k.mv_data + k.mv_size - 4), v.mv_data,
                                      v.mv_size),
                     0);
        do
            ids[(*n)++] = b.doc;
        while (store_block_next(&b) == FZ_OK);
    }
    mdb_cursor_close(cur);
    return rc;
}

/* A fresh index for the pack tests (tmp_index), entries 0..9 of lengths
 * 100..109, in its write transaction *txn; *dbi its "post", *pb and *bb
 * empty builders.  tp_done frees them all. */
static store *tp_index(char *dir, MDB_txn **txn, MDB_dbi *dbi, store_tpack_builder *pb, store_block_builder *bb)
{
    char msg[256] = "";
    store *s = tmp_index(dir, txn);
    uint32_t lens[10];
    for (uint32_t i = 0; i < 10; i++)
        lens[i] = 100 + i;
    CHECK_EQ_INT(store_dlen_put(s, *txn, 0, lens, 10, msg, sizeof msg), 0);
    *dbi = store_dbi(s, STORE_DB_POST);
    memset(pb, 0, sizeof *pb);
    memset(bb, 0, sizeof *bb);
    return s;
}

/* Entry i's body in test_entry_groups (test_body's, of another i for
 * most, so that the text varies), in body; its length. */
static size_t test_group_body(uint32_t i, char *body)
{
    return test_body(i % 7 == 0 ? i : 100 + i % 797, body);
}

/* Reads every entry from..to of test_entry_groups back, by id, through a
 * cache in an order that jumps between blocks and groups and stays in
 * them, and by walking the blocks; the number that differ. */
static int test_groups_read(store *s, MDB_txn *txn, uint32_t from, uint32_t to, char *body, fz_arena *a)
{
    int bad = 0;
    store_entry_cache *ec;
    CHECK_EQ_INT(store_entry_cache_create(&ec), 0);
    uint32_t n = to - from + 1;
    for (uint32_t k = 0; k < 2 * n; k++) {
        uint32_t i = k < n ? from + k : from + (k * 7919u + (k / 5) * 31u) % n;
        /* in the second pass, the blocks of the reads to come found and
         * fetched ahead (as the searcher does), ids outside too: the same */
        if (k >= n && k % 3 == 0)
            store_entry_cache_prefetch(s, txn, ec, from + ((k + 5) * 7919u + ((k + 5) / 5) * 31u) % n);
        if (k >= n && k % 17 == 0)
            store_entry_cache_prefetch(s, txn, ec, to + 1 + k);
        size_t blen = test_group_body(i, body);
        store_entry d, c;
        if (store_entry_get(s, txn, i, a, &d) || store_entry_get_cached(s, txn, ec, i, a, &c) || d.id != i ||
            c.id != i || d.body_len != blen || memcmp(d.body, body, blen) || c.body_len != blen ||
            memcmp(c.body, body, blen) || strcmp(d.title, "标题") || strcmp(c.title, "标题") ||
            !test_entry_lists(i, &c) || d.line != i * 3 + 1 || c.line != d.line)
            bad++;
    }
    store_entry_cache_destroy(ec);
    MDB_cursor *cur;
    CHECK_EQ_INT(mdb_cursor_open(txn, store_dbi(s, STORE_DB_ENTRY), &cur), 0);
    MDB_val k, v;
    uint32_t next = from;
    for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        store_entry_block b;
        store_entry d;
        if (store_entry_block_open(store_tdict_of(s, txn), v.mv_data, v.mv_size, fz_be32_get(k.mv_data), a, &b)) {
            bad++;
            continue;
        }
        while (store_entry_block_next(&b, a, &d) == FZ_OK) {
            size_t blen = test_group_body(next, body);
            if (d.id != next++ || d.body_len != blen || memcmp(d.body, body, blen))
                bad++;
        }
    }
    mdb_cursor_close(cur);
    return bad + (next != to + 1);
}

/* The method byte of a block value, v. */
static uint8_t test_block_method(const MDB_val *v, const uint8_t **at)
{
    const uint8_t *p = v->mv_data, *end = p + v->mv_size;
    uint64_t x;
    p = fz_varint_get(p, end, &x);
    p = fz_varint_get(p, end, &x);
    p = fz_varint_get(p + x, end, &x);
    p = fz_varint_get(p + x, end, &x);
    *at = p;
    return *p;
}

/* Where the title and body of a record (store_entry_encode's) start: after
 * its five numbers and its two lists of strings. */
static size_t test_rec_text(const uint8_t *rec, size_t len)
{
    const uint8_t *p = rec, *end = rec + len;
    uint64_t v;
    for (int i = 0; i < 5; i++)
        p = fz_varint_get(p, end, &v);
    for (int l = 0; l < 2; l++) {
        uint64_t n;
        p = fz_varint_get(p, end, &n);
        while (n--) {
            p = fz_varint_get(p, end, &v);
            p += v;
        }
    }
    return (size_t)(p - rec);
}

/* Entry text of more than STORE_TDICT_TRAIN bytes: the writer holds the
 * first, trains a text dictionary on them (on a thread, holding the
 * records that come meanwhile: the dictionary is still that of the first
 * STORE_TDICT_TRAIN bytes, as zstd trains it) and puts it in the index, and
 * writes every block as groups of frames with it (or raw); every entry
 * reads back, by id (one group decompressed), through a cache and by
 * walking the blocks, in this handle and in a new one; an update adds
 * entries with the same dictionary; a block cut short, or read without
 * the dictionary, is damage; a dictionary zstd refuses is found by
 * store_tdict_check.  (test_entry_blocks: too little text, no
 * dictionary.) */
TEST(test_entry_groups)
{
    char dir[] = "/tmp/fz-test-egrp-XXXXXX", msg[256] = "", db[300];
    MDB_txn *txn;
    store *s = tmp_index(dir, &txn);
    snprintf(db, sizeof db, "%s/idx", dir);
    static char body[70000];
    store_entry_writer w = {0};
    fz_buf rec = {0};
    const uint32_t first = 1000, last = 21999, more = 23000;
    /* the samples the dictionary must be trained on: the titles and
     * bodies of the records up to the first STORE_TDICT_TRAIN bytes of
     * them, in groups as the writer makes them (it trains on a thread
     * while more records come) */
    fz_buf smp = {0};
    size_t held = 0, ns = 0, glen = 0, *sizes = calloc(last - first + 1, sizeof *sizes);
    uint32_t after = 0; /* records given after the first STORE_TDICT_TRAIN bytes */
    for (uint32_t i = first; i <= last; i++) {
        store_entry e = test_entry(i, (i - first) / 3000, body, test_group_body(i, body));
        rec.len = 0;
        CHECK_EQ_INT(store_entry_encode(&e, &rec), 0);
        if (held < STORE_TDICT_TRAIN) {
            size_t le = test_rec_text((const uint8_t *)rec.p, rec.len), was = smp.len;
            fz_buf_varint(&smp, rec.len - le);
            fz_buf_append(&smp, rec.p + le, rec.len - le);
            size_t add = smp.len - was;
            if (ns && (i - first) / 3000 == (i - 1 - first) / 3000 && glen + add <= STORE_ENTRY_GROUP) {
                sizes[ns - 1] += add;
                glen += add;
            } else {
                sizes[ns++] = add;
                glen = add;
            }
            held += rec.len - le;
        } else
            after++;
        uint8_t jm[32];
        size_t jl = test_join(i, jm);
        CHECK_EQ_INT(store_entry_add(s, txn, &w, i, rec.p, rec.len, jm, jl, msg, sizeof msg), 0);
    }
    CHECK_EQ_INT(store_entry_flush(s, txn, &w, msg, sizeof msg), 0);
    CHECK_EQ_INT(store_commit(s, txn, "writing", msg, sizeof msg), 0);
    store_entry_writer_free(&w);
    CHECK(store_tdict_of(s, txn) != NULL);

    CHECK_EQ_INT(store_begin(s, 0, &txn, msg, sizeof msg), 0);
    MDB_val dk = {5, "tdict"}, dv;
    CHECK_EQ_INT(mdb_get(txn, store_dbi(s, STORE_DB_META), &dk, &dv), 0);
    CHECK(dv.mv_size > 0 && dv.mv_size <= STORE_TDICT_SIZE);
    char *dict = malloc(dv.mv_size);
    size_t dlen = dv.mv_size;
    memcpy(dict, dv.mv_data, dlen);
    CHECK(held >= STORE_TDICT_TRAIN && after > 1000);
    char *want = malloc(STORE_TDICT_SIZE);
    /* trained as store.h says (STORE_TDICT_K) */
    ZDICT_fastCover_params_t zp;
    memset(&zp, 0, sizeof zp);
    zp.k = STORE_TDICT_K;
    zp.d = STORE_TDICT_D;
    zp.zParams.compressionLevel = STORE_ENTRY_LEVEL;
    size_t wlen = ZDICT_optimizeTrainFromBuffer_fastCover(want, STORE_TDICT_SIZE, smp.p, sizes, (unsigned)ns, &zp);
    CHECK(!ZDICT_isError(wlen) && wlen == dlen && memcmp(want, dict, dlen) == 0);
    free(want);
    free(sizes);
    fz_buf_free(&smp);
    CHECK_EQ_INT(store_tdict_check(s, txn, msg, sizeof msg), 0);
    fz_arena *a = fz_arena_create();
    CHECK_EQ_INT(test_groups_read(s, txn, first, last, body, a), 0);
    /* the blocks: groups of frames (or raw), none a frame of its own */
    MDB_cursor *cur;
    CHECK_EQ_INT(mdb_cursor_open(txn, store_dbi(s, STORE_DB_ENTRY), &cur), 0);
    MDB_val k, v;
    int ngroups = 0, nzstd = 0, nblocks = 0, damaged = 0;
    for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        const uint8_t *at;
        uint8_t m = test_block_method(&v, &at);
        uint32_t bl = fz_be32_get(k.mv_data);
        ngroups += m == STORE_ENTRY_GROUPS;
        nzstd += m == STORE_ENTRY_ZSTD;
        nblocks++;
        if (m != STORE_ENTRY_GROUPS || nblocks % 10)
            continue;
        store_entry_block b;
        CHECK_EQ_INT(store_entry_block_open(NULL, v.mv_data, v.mv_size, bl, a, &b), FZ_ECORRUPT);
        for (size_t n = 0; n < v.mv_size; n += 1 + v.mv_size / 50)
            damaged += store_entry_block_open(store_tdict_of(s, txn), v.mv_data, n, bl, a, &b) != FZ_ECORRUPT;
        /* one group more than there are */
        uint8_t *cp = fz_arena_alloc(a, v.mv_size);
        memcpy(cp, v.mv_data, v.mv_size);
        cp[at + 1 - (const uint8_t *)v.mv_data]++;
        damaged += store_entry_block_open(store_tdict_of(s, txn), cp, v.mv_size, bl, a, &b) != FZ_ECORRUPT;
    }
    mdb_cursor_close(cur);
    CHECK_EQ_INT(damaged, 0);
    CHECK_EQ_INT(nzstd, 0);
    CHECK(ngroups > nblocks * 9 / 10);
    mdb_txn_abort(txn);
    store_close(s);

    /* a new handle reads the dictionary from the index; an update adds
     * entries with it */
    CHECK_EQ_INT(store_open(db, STORE_WRITE, &s, msg, sizeof msg), 0);
    CHECK(store_tdict_of(s, NULL) != NULL);
    CHECK_EQ_INT(store_begin(s, 1, &txn, msg, sizeof msg), 0);
    for (uint32_t i = last + 1; i <= more; i++) {
        store_entry e = test_entry(i, 9, body, test_group_body(i, body));
        rec.len = 0;
        CHECK_EQ_INT(store_entry_encode(&e, &rec), 0);
        CHECK_EQ_INT(store_entry_add(s, txn, &w, i, rec.p, rec.len, NULL, 0, msg, sizeof msg), 0);
    }
    CHECK_EQ_INT(w.hold.len, 0); /* nothing held: the index has a dictionary */
    CHECK_EQ_INT(store_entry_flush(s, txn, &w, msg, sizeof msg), 0);
    CHECK_EQ_INT(store_commit(s, txn, "updating", msg, sizeof msg), 0);
    store_entry_writer_free(&w);
    CHECK_EQ_INT(store_begin(s, 0, &txn, msg, sizeof msg), 0);
    CHECK_EQ_INT(mdb_get(txn, store_dbi(s, STORE_DB_META), &dk, &dv), 0);
    CHECK(dv.mv_size == dlen && memcmp(dv.mv_data, dict, dlen) == 0);
    CHECK_EQ_INT(test_groups_read(s, txn, first, more, body, a), 0);
    uint8_t kb[4];
    fz_be32_put(kb, more);
    MDB_val bk = {4, kb};
    CHECK_EQ_INT(mdb_get(txn, store_dbi(s, STORE_DB_ENTRY), &bk, &v), 0);
    const uint8_t *at;
    CHECK_EQ_INT(test_block_method(&v, &at), STORE_ENTRY_GROUPS);
    mdb_txn_abort(txn);
    /* a dictionary whose tables do not decode (zstd's magic number, then
     * junk) */
    CHECK_EQ_INT(store_begin(s, 1, &txn, msg, sizeof msg), 0);
    MDB_val bad = {12, "\x37\xA4\x30\xEC" "junkjunk"};
    CHECK_EQ_INT(mdb_put(txn, store_dbi(s, STORE_DB_META), &dk, &bad, 0), 0);
    CHECK_EQ_INT(store_tdict_check(s, txn, msg, sizeof msg), FZ_ECORRUPT);
    CHECK(strstr(msg, "text dictionary") != NULL);
    mdb_txn_abort(txn);
    free(dict);
    fz_buf_free(&rec);
    fz_arena_destroy(a);
    store_close(s);
    tmp_remove(dir);
}

static void tp_done(store *s, MDB_txn *txn, store_tpack_builder *pb, store_block_builder *bb, const char *dir)
{
    mdb_txn_abort(txn);
    store_close(s);
    store_tpack_free(pb);
    store_bb_free(bb);
    tmp_remove(dir);
}

TEST(test_term_packs)
{
    char dir[] = "/tmp/fz-test-tpack-XXXXXX", msg[256] = "";
    MDB_txn *txn;
    MDB_dbi dbi;
    store_tpack_builder pb;
    store_block_builder bb;
    store *s = tp_index(dir, &txn, &dbi, &pb, &bb);
    static const uint32_t d1[] = {3}, d2[] = {1, 4, 9}, d3[] = {2, 5}, d4[] = {6};
    /* field 'a': one pack */
    tp_add(&pb, &bb, STORE_F_AUTHOR, "x", d1, 1);
    tp_put_pack(txn, dbi, &pb);
    /* field 'b': pack a1 a2 a3, the term b in two blocks, pack c1 c2 c3 */
    tp_add(&pb, &bb, STORE_F_TEXT, "a1", d1, 1);
    tp_add(&pb, &bb, STORE_F_TEXT, "a2", d2, 3);
    /* not after the last term, or of another field: refused */
    tp_records(&bb, d1, 1);
    CHECK_EQ_INT(store_tpack_add(&pb, STORE_F_TEXT, "a2", 2, 1, 3, (const uint8_t *)bb.docs.p, bb.docs.len), FZ_EINVAL);
    CHECK_EQ_INT(store_tpack_add(&pb, STORE_F_AUTHOR, "a9", 2, 1, 3, (const uint8_t *)bb.docs.p, bb.docs.len), FZ_EINVAL);
    tp_add(&pb, &bb, STORE_F_TEXT, "a3", d3, 2);
    CHECK_EQ_INT(pb.nterms, 3);
    CHECK(store_key_is_tpack(pb.key, pb.klen));
    tp_put_pack(txn, dbi, &pb);
    fz_buf val = {0};
    uint8_t key[STORE_KEY_MAX];
    tp_put_block(txn, dbi, &bb, &val, "b", d3, 2);
    tp_put_block(txn, dbi, &bb, &val, "b", d4, 1);
    tp_add(&pb, &bb, STORE_F_TEXT, "c1", d4, 1);
    tp_add(&pb, &bb, STORE_F_TEXT, "c2", d3, 2);
    tp_add(&pb, &bb, STORE_F_TEXT, "c3", d1, 1);
    tp_put_pack(txn, dbi, &pb);

    uint32_t ids[16];
    size_t n;
    /* the first, middle and last term of a pack */
    CHECK_EQ_INT(tp_find(s, txn, STORE_F_TEXT, "a1", ids, &n), STORE_TERM_PACKED);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_INT(ids[0], 3);
    CHECK_EQ_INT(tp_find(s, txn, STORE_F_TEXT, "a2", ids, &n), STORE_TERM_PACKED);
    CHECK_EQ_INT(n, 3);
    CHECK_EQ_INT(ids[0], 1);
    CHECK_EQ_INT(ids[1], 4);
    CHECK_EQ_INT(ids[2], 9);
    CHECK_EQ_INT(tp_find(s, txn, STORE_F_TEXT, "a3", ids, &n), STORE_TERM_PACKED);
    CHECK_EQ_INT(n, 2);
    CHECK_EQ_INT(ids[1], 5);
    CHECK_EQ_INT(tp_find(s, txn, STORE_F_TEXT, "c3", ids, &n), STORE_TERM_PACKED);
    CHECK_EQ_INT(tp_find(s, txn, STORE_F_AUTHOR, "x", ids, &n), STORE_TERM_PACKED);
    /* a term between packs, in blocks */
    CHECK_EQ_INT(tp_find(s, txn, STORE_F_TEXT, "b", ids, &n), STORE_TERM_BLOCKS);
    CHECK_EQ_INT(n, 2);
    CHECK_EQ_INT(ids[0], 2);
    /* absent: inside a pack, before the field's first key (a pack of
     * another field before it), after a term in blocks, after the last
     * key, a prefix of a packed term, a packed term of another field */
    CHECK_EQ_INT(tp_find(s, txn, STORE_F_TEXT, "a25", ids, &n), FZ_ENOTFOUND);
    CHECK_EQ_INT(tp_find(s, txn, STORE_F_TEXT, "a0", ids, &n), FZ_ENOTFOUND);
    CHECK_EQ_INT(tp_find(s, txn, STORE_F_TEXT, "bb", ids, &n), FZ_ENOTFOUND);
    CHECK_EQ_INT(tp_find(s, txn, STORE_F_TEXT, "d", ids, &n), FZ_ENOTFOUND);
    CHECK_EQ_INT(tp_find(s, txn, STORE_F_TEXT, "a", ids, &n), FZ_ENOTFOUND);
    CHECK_EQ_INT(tp_find(s, txn, STORE_F_SECTION, "c1", ids, &n), FZ_ENOTFOUND);
    CHECK_EQ_INT(tp_find(s, txn, STORE_F_AUTHOR, "y", ids, &n), FZ_ENOTFOUND);

    /* an update takes a2 (gaining documents) out of its pack into a block:
     * a1 and a3 are still found, a3 in a pack of its own after a2's block */
    uint32_t first = 0;
    CHECK_EQ_INT(store_tpack_remove(s, txn, STORE_F_TEXT, "a2", 2, 0, 0, &val, &first, msg, sizeof msg), 0);
    CHECK_EQ_INT(first, 1);
    store_block b;
    CHECK_EQ_INT(store_block_open(&b, first, val.p, val.len), 0);
    CHECK_EQ_INT(b.ndocs, 3);
    CHECK_EQ_INT(b.last, 9);
    CHECK_EQ_INT(b.min_dl, 101);
    CHECK_EQ_INT(b.max_tf_title, 1);
    CHECK_EQ_INT(b.max_tf_body, 2);
    MDB_val bk = {store_post_key(key, STORE_F_TEXT, "a2", 2, first), key}, bv = {val.len, val.p};
    CHECK_EQ_INT(mdb_put(txn, dbi, &bk, &bv, 0), 0);
    CHECK_EQ_INT(tp_find(s, txn, STORE_F_TEXT, "a2", ids, &n), STORE_TERM_BLOCKS);
    CHECK_EQ_INT(n, 3);
    CHECK_EQ_INT(ids[2], 9);
    CHECK_EQ_INT(tp_find(s, txn, STORE_F_TEXT, "a1", ids, &n), STORE_TERM_PACKED);
    CHECK_EQ_INT(tp_find(s, txn, STORE_F_TEXT, "a3", ids, &n), STORE_TERM_PACKED);
    CHECK_EQ_INT(n, 2);
    /* a term in no pack is not taken */
    CHECK_EQ_INT(store_tpack_remove(s, txn, STORE_F_TEXT, "a2", 2, 0, 0, &val, &first, msg, sizeof msg),
                 FZ_ENOTFOUND);
    CHECK_EQ_INT(store_tpack_remove(s, txn, STORE_F_TEXT, "zz", 2, 0, 9, NULL, NULL, msg, sizeof msg), FZ_ENOTFOUND);

    /* a removed file's documents: c2 loses its first, c1 its only one (the
     * pack is then keyed by c2) */
    CHECK_EQ_INT(store_tpack_remove(s, txn, STORE_F_TEXT, "c2", 2, 2, 2, NULL, NULL, msg, sizeof msg), 0);
    CHECK_EQ_INT(tp_find(s, txn, STORE_F_TEXT, "c2", ids, &n), STORE_TERM_PACKED);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_INT(ids[0], 5);
    CHECK_EQ_INT(store_tpack_remove(s, txn, STORE_F_TEXT, "c1", 2, 6, 6, NULL, NULL, msg, sizeof msg), 0);
    CHECK_EQ_INT(tp_find(s, txn, STORE_F_TEXT, "c1", ids, &n), FZ_ENOTFOUND);
    CHECK_EQ_INT(tp_find(s, txn, STORE_F_TEXT, "c2", ids, &n), STORE_TERM_PACKED);
    CHECK_EQ_INT(tp_find(s, txn, STORE_F_TEXT, "c3", ids, &n), STORE_TERM_PACKED);
    MDB_val pk = {store_tpack_key(key, STORE_F_TEXT, "c1", 2), key}, pv;
    CHECK_EQ_INT(mdb_get(txn, dbi, &pk, &pv), MDB_NOTFOUND);
    pk.mv_size = store_tpack_key(key, STORE_F_TEXT, "c2", 2);
    CHECK_EQ_INT(mdb_get(txn, dbi, &pk, &pv), 0);

    /* a new small term goes into the pack before it, in order */
    tp_records(&bb, d2, 3);
    CHECK_EQ_INT(store_tpack_insert(s, txn, STORE_F_TEXT, "c25", 3, 3, 1, (const uint8_t *)bb.docs.p, bb.docs.len,
                                    msg, sizeof msg),
                 0);
    CHECK_EQ_INT(tp_find(s, txn, STORE_F_TEXT, "c25", ids, &n), STORE_TERM_PACKED);
    CHECK_EQ_INT(n, 3);
    CHECK_EQ_INT(tp_find(s, txn, STORE_F_TEXT, "c2", ids, &n), STORE_TERM_PACKED);
    CHECK_EQ_INT(tp_find(s, txn, STORE_F_TEXT, "c3", ids, &n), STORE_TERM_PACKED);
    CHECK_EQ_INT(store_tpack_insert(s, txn, STORE_F_TEXT, "c9", 2, 3, 1, (const uint8_t *)bb.docs.p, bb.docs.len,
                                    msg, sizeof msg),
                 0);
    CHECK_EQ_INT(tp_find(s, txn, STORE_F_TEXT, "c9", ids, &n), STORE_TERM_PACKED);
    /* no pack of the field before it (after a term in blocks, before the
     * field's first key): a pack of its own */
    CHECK_EQ_INT(store_tpack_insert(s, txn, STORE_F_TEXT, "bb", 2, 3, 1, (const uint8_t *)bb.docs.p, bb.docs.len,
                                    msg, sizeof msg),
                 0);
    CHECK_EQ_INT(store_tpack_insert(s, txn, STORE_F_TEXT, "0", 1, 3, 1, (const uint8_t *)bb.docs.p, bb.docs.len,
                                    msg, sizeof msg),
                 0);
    CHECK_EQ_INT(tp_find(s, txn, STORE_F_TEXT, "bb", ids, &n), STORE_TERM_PACKED);
    CHECK_EQ_INT(n, 3);
    CHECK_EQ_INT(tp_find(s, txn, STORE_F_TEXT, "0", ids, &n), STORE_TERM_PACKED);
    CHECK_EQ_INT(tp_find(s, txn, STORE_F_TEXT, "b", ids, &n), STORE_TERM_BLOCKS);
    CHECK_EQ_INT(tp_find(s, txn, STORE_F_TEXT, "a1", ids, &n), STORE_TERM_PACKED);
    CHECK_EQ_INT(tp_find(s, txn, STORE_F_TEXT, "c2", ids, &n), STORE_TERM_PACKED);
    CHECK_EQ_INT(tp_find(s, txn, STORE_F_AUTHOR, "x", ids, &n), STORE_TERM_PACKED);
    /* terms put in one by one fill packs up to STORE_TPACK_GROW, then
     * start new ones; one put into a full pack takes that pack's terms
     * after it into a pack of its own; every term is found */
    char t[16];
    for (int i = 0; i < 400; i += 2) {
        snprintf(t, sizeof t, "e%03d", i);
        CHECK_EQ_INT(store_tpack_insert(s, txn, STORE_F_TEXT, t, 4, 3, 1, (const uint8_t *)bb.docs.p, bb.docs.len,
                                        msg, sizeof msg),
                     0);
    }
    CHECK_EQ_INT(store_tpack_insert(s, txn, STORE_F_TEXT, "e001", 4, 3, 1, (const uint8_t *)bb.docs.p, bb.docs.len,
                                    msg, sizeof msg),
                 0);
    int found = 0, packs = 0;
    for (int i = 0; i < 400; i++) {
        snprintf(t, sizeof t, "e%03d", i);
        found += tp_find(s, txn, STORE_F_TEXT, t, ids, &n) == STORE_TERM_PACKED;
        MDB_val ek = {store_tpack_key(key, STORE_F_TEXT, t, 4), key}, ev;
        if (mdb_get(txn, dbi, &ek, &ev) == 0) {
            packs++;
            CHECK(ev.mv_size < STORE_TPACK_GROW + 64);
        }
    }
    CHECK_EQ_INT(found, 201);
    CHECK(packs >= 3);
    /* the same term twice: refused */
    CHECK_EQ_INT(store_tpack_insert(s, txn, STORE_F_TEXT, "c3", 2, 3, 1, (const uint8_t *)bb.docs.p, bb.docs.len,
                                    msg, sizeof msg),
                 FZ_EINVAL);

    /* a new term with blocks of its own, c4, inside the pack c2 .. c9: the
     * pack is split first, so c9 is still found after c4's block */
    CHECK_EQ_INT(store_tpack_split(s, txn, STORE_F_TEXT, "c3", 2, msg, sizeof msg), FZ_EINVAL);
    CHECK_EQ_INT(store_tpack_split(s, txn, STORE_F_TEXT, "c4", 2, msg, sizeof msg), 0);
    tp_put_block(txn, dbi, &bb, &val, "c4", d4, 1);
    CHECK_EQ_INT(tp_find(s, txn, STORE_F_TEXT, "c4", ids, &n), STORE_TERM_BLOCKS);
    CHECK_EQ_INT(tp_find(s, txn, STORE_F_TEXT, "c3", ids, &n), STORE_TERM_PACKED);
    CHECK_EQ_INT(tp_find(s, txn, STORE_F_TEXT, "c9", ids, &n), STORE_TERM_PACKED);
    CHECK_EQ_INT(n, 3);
    /* nothing to split after the last packed term, or with no pack before */
    CHECK_EQ_INT(store_tpack_split(s, txn, STORE_F_TEXT, "d", 1, msg, sizeof msg), 0);
    CHECK_EQ_INT(store_tpack_split(s, txn, STORE_F_TEXT, "bb", 2, msg, sizeof msg), 0);
    CHECK_EQ_INT(tp_find(s, txn, STORE_F_TEXT, "c9", ids, &n), STORE_TERM_PACKED);

    /* a pack value cut short does not decode, or (cut after one of its
     * first three terms) holds fewer terms; it is never read past (ASan) */
    pk.mv_size = store_tpack_key(key, STORE_F_TEXT, "c2", 2);
    CHECK_EQ_INT(mdb_get(txn, dbi, &pk, &pv), 0);
    CHECK(pv.mv_size > 0);
    uint8_t *copy = malloc(pv.mv_size);
    memcpy(copy, pv.mv_data, pv.mv_size);
    int whole = 0;
    for (size_t cut = 0; cut < pv.mv_size; cut++) {
        uint8_t *c = malloc(cut ? cut : 1);
        memcpy(c, copy, cut);
        store_tpack_iter it;
        int rc = store_tpack_open(&it, key, pk.mv_size, c, cut);
        while (rc == FZ_OK)
            rc = store_tpack_next(&it);
        CHECK(rc == FZ_ECORRUPT || rc == FZ_ENOTFOUND);
        whole += rc == FZ_ENOTFOUND;
        free(c);
    }
    CHECK_EQ_INT(whole, 2); /* c2, c25, c3 (c9 went to a pack of its own) */
    free(copy);
    fz_buf_free(&val);
    tp_done(s, txn, &pb, &bb, dir);
}

/* The CJK unigrams of the text (STORE_F_UNI, format 7) keep no positions:
 * a builder with nopos writes ids and frequencies only, the block opens
 * as nopos (its value ends after the frequency streams), reads the same
 * documents and frequencies as the block with positions, refuses
 * positions, verifies, and is smaller. */
TEST(test_block_nopos)
{
    store_block_builder bp = {0}, bn = {0};
    store_bb_reset(&bp);
    store_bb_reset(&bn);
    bn.nopos = 1;
    uint32_t ids[40], tt[40], tb[40], pos[64];
    for (uint32_t i = 0; i < 64; i++)
        pos[i] = 3 * i + 1;
    for (uint32_t i = 0; i < 40; i++) {
        ids[i] = 7 + 5 * i + (i > 20 ? 300 : 0);
        tt[i] = i % 3 == 0;
        tb[i] = 1 + i % 4;
        CHECK_EQ_INT(store_bb_add(&bp, ids[i], 60 + i, pos, tt[i], tb[i]), 0);
        CHECK_EQ_INT(store_bb_add(&bn, ids[i], 60 + i, NULL, tt[i], tb[i]), 0);
    }
    store_bb_reset(&bn); /* keeps nopos */
    CHECK_EQ_INT(bn.nopos, 1);
    for (uint32_t i = 0; i < 40; i++)
        CHECK_EQ_INT(store_bb_add(&bn, ids[i], 60 + i, NULL, tt[i], tb[i]), 0);
    fz_buf vp = {0}, vn = {0};
    CHECK_EQ_INT(store_bb_finish(&bp, 50, &vp), 0);
    CHECK_EQ_INT(store_bb_finish(&bn, 50, &vn), 0);
    CHECK(vn.len < vp.len);
    store_block a, b;
    CHECK_EQ_INT(store_block_open(&a, ids[0], vp.p, vp.len), 0);
    CHECK_EQ_INT(store_block_open(&b, ids[0], vn.p, vn.len), 0);
    CHECK_EQ_INT(a.nopos, 0);
    CHECK_EQ_INT(b.nopos, 1);
    CHECK_EQ_INT(store_block_verify(&a), 0);
    CHECK_EQ_INT(store_block_verify(&b), 0);
    CHECK_EQ_INT(store_block_open(&b, ids[0], vn.p, vn.len), 0);
    CHECK(b.q == a.q && b.a0 == a.a0 && b.last == a.last && b.max_tf_title == 1 && b.max_tf_body == 4);
    for (uint32_t i = 0; i < 40; i++) {
        CHECK_EQ_INT(b.doc, ids[i]);
        CHECK_EQ_INT(b.tf_title, tt[i]);
        CHECK_EQ_INT(b.tf_body, tb[i]);
        uint32_t got[8];
        CHECK_EQ_INT(store_block_positions(&b, got, 8), FZ_ECORRUPT);
        CHECK_EQ_INT(store_block_next(&b), i < 39 ? 0 : FZ_ENOTFOUND);
    }
    /* seek as on the block with positions */
    CHECK_EQ_INT(store_block_open(&b, ids[0], vn.p, vn.len), 0);
    CHECK_EQ_INT(store_block_seek(&b, ids[25] - 1), 0);
    CHECK_EQ_INT(b.doc, ids[25]);
    CHECK_EQ_INT(b.tf_body, tb[25]);
    /* records with positions are not a nopos block's, nor the reverse */
    fz_buf x = {0};
    CHECK_EQ_INT(store_block_extra((const uint8_t *)bp.docs.p, bp.docs.len, 40, 0, 50, 1.0, NULL, 0, &x), FZ_ECORRUPT);
    x.len = 0;
    CHECK_EQ_INT(store_block_extra((const uint8_t *)bn.docs.p, bn.docs.len, 40, 0, 50, 1.0, NULL, 1, &x), FZ_ECORRUPT);
    /* the impact from the entries' lengths when they are all at hand (a
     * build's batch): the exact largest, as a builder records it, not the
     * caller's looser bound; one length missing: the caller's */
    {
        uint32_t dl[512] = {0};
        for (uint32_t i = 0; i < 40; i++)
            dl[ids[i] - ids[0]] = 60 + i;
        store_dl_span all = {dl, ids[0], ids[39] - ids[0] + 1}, short_ = {dl, ids[0], ids[39] - ids[0]};
        CHECK(ids[39] - ids[0] + 1 <= 512);
        CHECK(store_impact_q(2.0) != b.q);
        fz_buf y = {0};
        const uint8_t *yp;
        uint64_t a0, q;
        CHECK_EQ_INT(store_block_extra((const uint8_t *)bn.docs.p, bn.docs.len, 40, ids[0], 50, 2.0, &all, 0, &y), 0);
        yp = fz_varint_get((const uint8_t *)y.p, (const uint8_t *)y.p + y.len, &a0);
        CHECK(yp && fz_varint_get(yp, (const uint8_t *)y.p + y.len, &q));
        CHECK_EQ_INT(a0, 50);
        CHECK_EQ_INT(q, b.q);
        y.len = 0;
        CHECK_EQ_INT(store_block_extra((const uint8_t *)bn.docs.p, bn.docs.len, 40, ids[0], 50, 2.0, &short_, 0, &y), 0);
        yp = fz_varint_get((const uint8_t *)y.p, (const uint8_t *)y.p + y.len, &a0);
        CHECK(yp && fz_varint_get(yp, (const uint8_t *)y.p + y.len, &q));
        CHECK_EQ_INT(q, store_impact_q(2.0));
        fz_buf_free(&y);
    }
    /* cut short: fails cleanly, never reads past the value */
    for (size_t n = 0; n < vn.len; n++) {
        int rc = store_block_open(&b, ids[0], vn.p, n);
        if (rc == 0)
            rc = store_block_verify(&b);
        while (rc == 0)
            rc = store_block_next(&b);
        CHECK(rc == FZ_ECORRUPT || rc == FZ_ENOTFOUND);
    }
    fz_buf_free(&x);
    fz_buf_free(&vp);
    fz_buf_free(&vn);
    store_bb_free(&bp);
    store_bb_free(&bn);
}

/* A pack of STORE_F_UNI terms holds records without positions: its terms
 * walk and open as nopos blocks with their ids and frequencies; taken out
 * of the pack (an update), the term becomes a nopos block. */
TEST(test_tpack_nopos)
{
    char dir[] = "/tmp/fz-test-tpnopos-XXXXXX", msg[256] = "";
    MDB_txn *txn;
    MDB_dbi dbi;
    store_tpack_builder pb;
    store_block_builder bb;
    store *s = tp_index(dir, &txn, &dbi, &pb, &bb);
    static const char *const terms[] = {"之", "井", "水"};
    static const uint32_t docs[3][3] = {{1, 4, 9}, {2, 3, 0}, {5, 0, 0}};
    static const uint32_t nd[3] = {3, 2, 1};
    for (int t = 0; t < 3; t++) {
        store_bb_reset(&bb);
        bb.nopos = 1;
        for (uint32_t i = 0; i < nd[t]; i++)
            CHECK_EQ_INT(store_bb_add(&bb, docs[t][i], 100 + docs[t][i], NULL, i == 1, 2 + i), 0);
        CHECK_EQ_INT(bb.docs.len, 2 * nd[t] + (nd[t] > 1)); /* delta, tf code, (tf_title): no positions */
        CHECK_EQ_INT(store_tpack_add(&pb, STORE_F_UNI, terms[t], strlen(terms[t]), bb.ndocs, bb.first,
                                     (const uint8_t *)bb.docs.p, bb.docs.len),
                     0);
    }
    MDB_val k = {pb.klen, pb.key}, v = {pb.val.len, pb.val.p};
    CHECK_EQ_INT(mdb_put(txn, dbi, &k, &v, 0), 0);
    /* the same bytes read as a pack of a field with positions do not decode */
    {
        uint8_t bk[STORE_KEY_MAX];
        size_t bl = store_tpack_key(bk, STORE_F_TEXT, terms[0], strlen(terms[0]));
        store_tpack_iter it;
        int rc = store_tpack_open(&it, bk, bl, pb.val.p, pb.val.len);
        while (rc == FZ_OK)
            rc = store_tpack_next(&it);
        CHECK_EQ_INT(rc, FZ_ECORRUPT);
    }
    MDB_cursor *cur;
    CHECK_EQ_INT(mdb_cursor_open(txn, dbi, &cur), 0);
    for (int t = 0; t < 3; t++) {
        MDB_val fk, fv;
        store_tpack_iter it;
        CHECK_EQ_INT(store_term_find(cur, STORE_F_UNI, terms[t], strlen(terms[t]), &fk, &fv, &it), STORE_TERM_PACKED);
        store_block b;
        CHECK_EQ_INT(store_block_open_tpack(&b, &it), 0);
        CHECK_EQ_INT(b.nopos, 1);
        CHECK_EQ_INT(b.last, docs[t][nd[t] - 1]);
        for (uint32_t i = 0; i < nd[t]; i++) {
            uint32_t got[4];
            CHECK_EQ_INT(b.doc, docs[t][i]);
            CHECK_EQ_INT(b.tf_title, i == 1);
            CHECK_EQ_INT(b.tf_body, 2 + i);
            CHECK_EQ_INT(store_block_positions(&b, got, 4), FZ_ECORRUPT);
            CHECK_EQ_INT(store_block_next(&b), i + 1 < nd[t] ? FZ_OK : FZ_ENOTFOUND);
        }
    }
    mdb_cursor_close(cur);
    /* taken out whole: a block without positions */
    fz_buf out = {0};
    uint32_t first = 0;
    CHECK_EQ_INT(store_tpack_remove(s, txn, STORE_F_UNI, "井", strlen("井"), 0, 0, &out, &first, msg, sizeof msg), 0);
    CHECK_EQ_INT(first, 2);
    store_block b;
    CHECK_EQ_INT(store_block_open(&b, first, out.p, out.len), 0);
    CHECK_EQ_INT(b.nopos, 1);
    CHECK_EQ_INT(store_block_verify(&b), 0);
    CHECK_EQ_INT(store_block_open(&b, first, out.p, out.len), 0);
    CHECK(b.doc == 2 && b.tf_title == 0 && b.tf_body == 2);
    CHECK(store_block_next(&b) == 0 && b.doc == 3 && b.tf_title == 1 && b.tf_body == 3);
    /* a document dropped from a packed term: the others stay, without positions */
    CHECK_EQ_INT(store_tpack_remove(s, txn, STORE_F_UNI, "之", strlen("之"), 4, 4, NULL, NULL, msg, sizeof msg), 0);
    CHECK_EQ_INT(mdb_cursor_open(txn, dbi, &cur), 0);
    MDB_val fk, fv;
    store_tpack_iter it;
    CHECK_EQ_INT(store_term_find(cur, STORE_F_UNI, "之", strlen("之"), &fk, &fv, &it), STORE_TERM_PACKED);
    CHECK_EQ_INT(it.ndocs, 2);
    CHECK_EQ_INT(store_block_open_tpack(&b, &it), 0);
    CHECK(b.doc == 1 && b.tf_body == 2 && store_block_next(&b) == 0 && b.doc == 9 && b.tf_body == 4);
    CHECK_EQ_INT(store_term_find(cur, STORE_F_UNI, "水", strlen("水"), &fk, &fv, &it), STORE_TERM_PACKED);
    mdb_cursor_close(cur);
    fz_buf_free(&out);
    tp_done(s, txn, &pb, &bb, dir);
}

/* The Rss of the mapping of the data file at path in this process, in kB
 * (from /proc/self/smaps), or -1. */
static long map_rss_kb(const char *path)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    if (!f)
        return -1;
    char line[4096 + 64];
    long rss = -1;
    int on = 0;
    while (fgets(line, sizeof line, f)) {
        if (strstr(line, path))
            on = 1;
        else if (on && sscanf(line, "Rss: %ld kB", &rss) == 1)
            break;
    }
    fclose(f);
    return rss;
}

TEST(test_map_warm)
{
    char dir[] = "/tmp/fz-test-warm-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char db[256], dp[300], real[4096];
    snprintf(db, sizeof db, "%s/idx", dir);
    snprintf(dp, sizeof dp, "%s/data.mdb", db);
    char msg[256] = "";
    store *s = NULL;
    CHECK_EQ_INT(store_open(db, STORE_WRITE, &s, msg, sizeof msg), 0);
    /* a writer's map is not warmed */
    CHECK_EQ_INT(store_map_warm(s, (size_t)1 << 30), 0);
    MDB_txn *txn;
    CHECK_EQ_INT(store_begin(s, 1, &txn, msg, sizeof msg), 0);
    /* 2 MB of lengths: 512 chunks of 4 KB, a chunk an overflow page or two */
    static uint32_t lens[1024 * 512];
    for (size_t i = 0; i < sizeof lens / sizeof *lens; i++)
        lens[i] = 1 + (uint32_t)(i % 97);
    CHECK_EQ_INT(store_dlen_put(s, txn, 0, lens, sizeof lens / sizeof *lens, msg, sizeof msg), 0);
    CHECK_EQ_INT(mdb_txn_commit(txn), 0);
    store_close(s);
    /* the whole file in the page cache: what a warm maps */
    struct stat st;
    CHECK(stat(dp, &st) == 0 && st.st_size >= ((off_t)2 << 20));
    FILE *f = fopen(dp, "rb");
    CHECK(f != NULL);
    static char buf[1 << 16];
    while (f && fread(buf, 1, sizeof buf, f) > 0) {
    }
    if (f)
        fclose(f);
    CHECK(realpath(dp, real) != NULL);

    CHECK_EQ_INT(store_open(db, STORE_READ, &s, msg, sizeof msg), 0);
    /* a cap a quarter of the file or less: not looked at */
    CHECK_EQ_INT(store_map_warm(s, (size_t)st.st_size / 8), 0);
    long before = map_rss_kb(real);
    CHECK(before >= 0 && before < st.st_size / 1024 / 2);
    CHECK_EQ_INT(store_map_warm(s, (size_t)1 << 30), 1);
    CHECK_EQ_INT(store_map_warm(s, (size_t)1 << 30), 0); /* one thread */
    /* the thread maps every page of the file (all held), without this
     * process reading them */
    for (int i = 0; i < 1000 && store_map_warmed(s) < (size_t)st.st_size; i++)
        usleep(10000);
    CHECK_EQ_INT(store_map_warmed(s), (size_t)st.st_size);
    CHECK(map_rss_kb(real) >= st.st_size / 1024);
    /* and the index reads as before */
    CHECK_EQ_INT(store_begin(s, 0, &txn, msg, sizeof msg), 0);
    store_dlen_cache dc = {0};
    CHECK_EQ_INT(store_dlen_get(s, txn, &dc, 1024 * 300 + 5), 1 + (1024 * 300 + 5) % 97);
    mdb_txn_abort(txn);
    store_close(s);

    /* store_close stops a thread still at work and waits for it */
    CHECK_EQ_INT(store_open(db, STORE_READ, &s, msg, sizeof msg), 0);
    CHECK_EQ_INT(store_map_warm(s, (size_t)1 << 30), 1);
    store_close(s);

    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
}

int main(void)
{
    t_run(test_varint);
    t_run(test_entry_roundtrip);
    t_run(test_text_code);
    t_run(test_block_roundtrip);
    t_run(test_block_head);
    t_run(test_block_title_one);
    t_run(test_impact_bound_longer);
    t_run(test_block_seek);
    t_run(test_block_widths);
    t_run(test_block_extra_title_weight);
    t_run(test_block_exceptions);
    t_run(test_block_run_modes);
    t_run(test_block_damaged_streams);
    t_run(test_keys_sort_by_term_then_id);
    t_run(test_open_write_read);
    t_run(test_map_warm);
    t_run(test_pack_checksum_mode_size);
    t_run(test_default_path);
    t_run(test_update_pages);
    t_run(test_entry_blocks);
    t_run(test_entry_groups);
    t_run(test_term_packs);
    t_run(test_block_nopos);
    t_run(test_tpack_nopos);
    return t_done("store");
}
