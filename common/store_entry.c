/*
 * store_entry.c -- the store's entries (store.h, "entries"): the text code,
 * entry blocks and their reading through the entry cache, the text
 * dictionary's groups, and the entry writer with its trainer and packer
 * threads.  The on-disk layout is written down in store.c (ON-DISK
 * FORMAT: TEXT CODE, ENTRY BLOCKS); store_int.h says what the store's
 * files share.
 */
#include "store_int.h"

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#define ZDICT_STATIC_LINKING_ONLY
#include <zdict.h>

/* ---- entries ---- */

/* The text code (ON-DISK FORMAT in store.c): ranks below TEXT_ONE are one
 * byte, the rest of the ranking two bytes led by TEXT_ONE .. TEXT_ASTRAL - 1;
 * TEXT_ASTRAL, TEXT_BMP and TEXT_BYTE lead the fallbacks.  The ranking is
 * tools/charrank.txt, made into $(BUILD)/gen/text_rank.h by tools/genrank.c.
 * Part of the format: a change of any of them bumps STORE_FORMAT. */
#include "gen/text_rank.h"
#define TEXT_ONE 224
#define TEXT_ASTRAL 0xFD
#define TEXT_BMP 0xFE
#define TEXT_BYTE 0xFF
_Static_assert(TEXT_RANK_N > TEXT_ONE && TEXT_RANK_N <= TEXT_ONE + (TEXT_ASTRAL - TEXT_ONE) * 256,
               "the ranking does not fit the text code");

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* The rank of cp, or -1 when it has none. */
static int32_t text_rank(uint32_t cp)
{
    if (cp < 0x10000)
        return (int32_t)text_bmp_rank[cp] - 1;
    const uint32_t *at = bsearch(&cp, text_astral_cp, TEXT_ASTRAL_N, sizeof cp, cmp_u32);
    return at ? (int32_t)text_astral_rank[at - text_astral_cp] : -1;
}

/* The length of the UTF-8 sequence at p (at most n bytes) when it is a
 * well-formed one of 2 to 4 bytes, else 0. */
static size_t utf8_seq(const uint8_t *p, size_t n, uint32_t *cp)
{
    size_t len = p[0] >= 0xF8 ? 0 : p[0] >= 0xF0 ? 4 : p[0] >= 0xE0 ? 3 : p[0] >= 0xC0 ? 2 : 0;
    if (!len || len > n)
        return 0;
    uint32_t c = p[0] & (0x7F >> len);
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        c = c << 6 | (p[i] & 0x3F);
    }
    static const uint32_t least[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (c < least[len] || c > 0x10FFFF || (c >= 0xD800 && c < 0xE000))
        return 0;
    *cp = c;
    return len;
}

/* Writes s (n bytes) in the text code to o, which has room for 3 x n
 * bytes (a byte grows to two at most, a character to no more than its
 * UTF-8 length but for the fallback of a 2-byte one, which takes 3);
 * returns the length written. */
static size_t text_encode(const uint8_t *p, size_t n, uint8_t *o)
{
    const uint8_t *end = p + n, *start = o;
    while (p < end) {
        uint32_t cp;
        size_t k;
        if (*p < 0x80) {
            cp = *p;
            k = 1;
        } else if (fz_utf8_plain3(p, (size_t)(end - p))) {
            /* most characters; utf8_seq decides the rest */
            cp = fz_utf8_plain3_cp(p);
            k = 3;
        } else if (!(k = utf8_seq(p, (size_t)(end - p), &cp))) {
            *o++ = TEXT_BYTE;
            *o++ = *p++;
            continue;
        }
        int32_t r = text_rank(cp);
        if (r >= 0) {
            /* one byte or two, without a branch on which (in CJK text the
             * two are mixed as the characters come, and a branch missed
             * one time in three): the second byte is written either way,
             * and kept only for a rank of two; m selects by masks, which
             * the compiler does not turn back into a branch as it did the
             * conditional expressions */
            uint32_t two = r >= TEXT_ONE, m = 0u - two, v = (uint32_t)r - (TEXT_ONE & m);
            o[0] = (uint8_t)((v & ~m) | ((TEXT_ONE + (v >> 8)) & m));
            o[1] = (uint8_t)(v & 0xFF);
            o += 1 + two;
        } else if (cp < 0x10000) {
            *o++ = TEXT_BMP;
            *o++ = (uint8_t)(cp >> 8);
            *o++ = (uint8_t)(cp & 0xFF);
        } else {
            *o++ = TEXT_ASTRAL;
            *o++ = (uint8_t)(cp >> 16);
            *o++ = (uint8_t)(cp >> 8 & 0xFF);
            *o++ = (uint8_t)(cp & 0xFF);
        }
        p += k;
    }
    return (size_t)(o - start);
}

/* Appends v len, then s in the text code (len bytes), to b. */
static int put_text(fz_buf *b, const char *s, size_t n)
{
    /* the code goes after room for its length as a guess makes it (a
     * CJK character of three bytes takes one or two), and moves only when
     * the length's varint is of another size */
    if (n > (SIZE_MAX - FZ_VARINT_MAX) / 3 || fz_buf_reserve(b, FZ_VARINT_MAX + 3 * n))
        return FZ_ENOMEM;
    uint8_t *at = (uint8_t *)b->p + b->len, lb[FZ_VARINT_MAX];
    size_t guess = fz_varint_put(lb, n / 2);
    size_t len = text_encode((const uint8_t *)s, n, at + guess);
    size_t vl = fz_varint_put(lb, len);
    if (vl != guess)
        memmove(at + vl, at + guess, len);
    memcpy(at, lb, vl);
    b->len += vl + len;
    return FZ_OK;
}

int store_entry_encode(const store_entry *e, fz_buf *out)
{
    int rc = 0;
    rc |= fz_buf_varint(out, e->file_id);
    rc |= fz_buf_varint(out, e->line);
    rc |= fz_buf_varint(out, e->kind);
    rc |= fz_buf_varint(out, e->title_npos);
    rc |= fz_buf_varint(out, e->npos);
    rc |= fz_buf_varint(out, e->nsection);
    for (size_t i = 0; i < e->nsection; i++)
        rc |= put_text(out, e->section[i], e->section_len[i]);
    rc |= fz_buf_varint(out, e->nauthors);
    for (size_t i = 0; i < e->nauthors; i++)
        rc |= put_text(out, e->authors[i], e->author_len[i]);
    rc |= put_text(out, e->title, e->title_len);
    rc |= put_text(out, e->body, e->body_len);
    return rc ? FZ_ENOMEM : FZ_OK;
}

/* Decodes a string in the text code into memory from a (NUL-terminated);
 * NULL when it is malformed or memory runs out. */
static const uint8_t *get_text(const uint8_t *p, const uint8_t *end, fz_arena *a, const char **s, size_t *n)
{
    uint64_t len;
    if (!(p = fz_varint_get(p, end, &len)) || len > (uint64_t)(end - p))
        return NULL;
    const uint8_t *q = p, *qe = p + len;
    /* a code of one byte is a character of three bytes at most (genrank
     * keeps the first 256 ranks below 0x10000), longer codes never grow */
    uint8_t *out = fz_arena_alloc(a, (size_t)len * 3 + 1), *o = out;
    if (!out)
        return NULL;
    while (q < qe) {
        uint32_t c = *q++, r;
        if (c < TEXT_ONE) {
            r = c;
        } else if (c < TEXT_ASTRAL) {
            if (q >= qe || (r = TEXT_ONE + ((c - TEXT_ONE) << 8 | *q++)) >= TEXT_RANK_N)
                return NULL;
        } else if (c == TEXT_BYTE) {
            if (q >= qe)
                return NULL;
            *o++ = *q++;
            continue;
        } else {
            /* a character without rank: its code point in 2 or 3 bytes */
            size_t k = c == TEXT_BMP ? 2 : 3;
            if ((size_t)(qe - q) < k)
                return NULL;
            uint32_t cp = k == 2 ? (uint32_t)q[0] << 8 | q[1] : (uint32_t)q[0] << 16 | (uint32_t)q[1] << 8 | q[2];
            q += k;
            if ((k == 3 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp < 0xE000))
                return NULL;
            o += fz_utf8_encode(cp, (char *)o);
            continue;
        }
        memcpy(o, text_rank_utf8[r], 4);
        o += text_rank_len[r];
    }
    *o = 0;
    *s = (const char *)out;
    *n = (size_t)(o - out);
    return qe;
}

static const uint8_t *get_strs(const uint8_t *p, const uint8_t *end, fz_arena *a, size_t *count,
                               const char ***strs, size_t **lens)
{
    uint64_t n;
    if (!(p = fz_varint_get(p, end, &n)) || n > (uint64_t)(end - p))
        return NULL;
    *count = (size_t)n;
    *strs = fz_arena_alloc(a, (n ? n : 1) * sizeof **strs);
    *lens = fz_arena_alloc(a, (n ? n : 1) * sizeof **lens);
    if (!*strs || !*lens)
        return NULL;
    for (uint64_t i = 0; i < n; i++)
        if (!(p = get_text(p, end, a, &(*strs)[i], &(*lens)[i])))
            return NULL;
    return p;
}

int store_entry_decode(const void *val, size_t len, fz_arena *arena, store_entry *e)
{
    const uint8_t *p = val, *end = p + len;
    uint64_t x[5];
    for (int i = 0; i < 5; i++)
        if (!(p = fz_varint_get(p, end, &x[i])))
            return FZ_ECORRUPT;
    e->file_id = (uint32_t)x[0];
    e->line = (uint32_t)x[1];
    e->kind = (uint8_t)x[2];
    e->title_npos = (uint32_t)x[3];
    e->npos = (uint32_t)x[4];
    e->join = NULL;
    e->join_len = 0;
    if (!(p = get_strs(p, end, arena, &e->nsection, &e->section, &e->section_len)))
        return FZ_ECORRUPT;
    if (!(p = get_strs(p, end, arena, &e->nauthors, &e->authors, &e->author_len)))
        return FZ_ECORRUPT;
    if (!(p = get_text(p, end, arena, &e->title, &e->title_len)))
        return FZ_ECORRUPT;
    if (!(p = get_text(p, end, arena, &e->body, &e->body_len)))
        return FZ_ECORRUPT;
    return FZ_OK;
}

/* Skips what put_text wrote n times after v n (a list of sections or
 * authors); NULL when it runs past end. */
static const uint8_t *skip_strs(const uint8_t *p, const uint8_t *end)
{
    uint64_t n;
    if (!(p = fz_varint_get(p, end, &n)))
        return NULL;
    for (uint64_t i = 0; i < n && p; i++) {
        const char *s;
        size_t len;
        p = store_str_get(p, end, &s, &len);
    }
    return p;
}

/* ---- entry blocks (ENTRY BLOCKS in store.c) ---- */

/* Moves b past the metadata of its next record: b->line and b->lists
 * become that record's; with e, its numbers go there too.  -1 when the
 * record runs past the metadata or breaks its rules (a line below 0, a
 * first record sharing the lists of none). */
static int entry_meta_step(store_entry_block *b, store_entry *e)
{
    const uint8_t *p = b->p;
    uint64_t x[5]; /* line (zigzag from the record before's), kind, title_npos, npos, shared */
    for (int i = 0; i < 5; i++)
        if (!(p = fz_varint_get(p, b->end, &x[i])))
            return -1;
    /* a delta whose zigzag is 2^33 or more cannot land within 32 bits (and its sum
     * with the line could overflow) */
    if (x[0] >> 33)
        return -1;
    int64_t line = (int64_t)b->line + store_unzz(x[0]);
    if (line < 0 || line > (int64_t)UINT32_MAX || x[4] > 1 || (x[4] && !b->lists))
        return -1;
    if (!x[4]) {
        b->lists = p;
        if (!(p = skip_strs(p, b->end)) || !(p = skip_strs(p, b->end)))
            return -1;
    }
    b->p = p;
    b->line = (uint32_t)line;
    if (e) {
        e->file_id = b->file_id;
        e->line = b->line;
        e->kind = (uint8_t)x[1];
        e->title_npos = (uint32_t)x[2];
        e->npos = (uint32_t)x[3];
    }
    return 0;
}

/* Moves b past its next join map: *map, *len (NULL, 0 when it has none).
 * -1 when the map runs past the part. */
static int entry_join_step(store_entry_block *b, const uint8_t **map, size_t *len)
{
    uint64_t l;
    const uint8_t *p = fz_varint_get(b->j, b->jend, &l);
    if (!p || l > (uint64_t)(b->jend - p))
        return -1;
    *map = l ? p : NULL;
    *len = (size_t)l;
    b->j = p + l;
    return 0;
}

/* Opens b on the block value val: its metadata, checked to hold n
 * entries exactly when all is set (else each step checks what it reads);
 * *text gets where its text part starts (ENTRY BLOCKS in store.c).  b->t stays
 * NULL. */
static int entry_block_meta_open(const void *val, size_t len, uint32_t last, int all, store_entry_block *b,
                                 const uint8_t **text)
{
    const uint8_t *p = val, *end = p + len;
    uint64_t n, mlen, file;
    if (!(p = fz_varint_get(p, end, &n)) || n < 1 || n > STORE_ENTRY_BLOCK || n - 1 > last)
        return FZ_ECORRUPT;
    if (!(p = fz_varint_get(p, end, &mlen)) || mlen > (uint64_t)(end - p))
        return FZ_ECORRUPT;
    const uint8_t *mend = p + mlen;
    if (!(p = fz_varint_get(p, mend, &file)) || file > UINT32_MAX)
        return FZ_ECORRUPT;
    b->file_id = (uint32_t)file;
    b->n = (uint32_t)n;
    b->first = last - (uint32_t)(n - 1);
    b->t = b->tend = NULL;
    /* n records' metadata fill the part exactly */
    store_entry_block w = *b;
    w.p = p;
    w.end = mend;
    w.lists = NULL;
    w.line = 0;
    for (uint64_t i = 0; i < n && all; i++)
        if (entry_meta_step(&w, NULL))
            return FZ_ECORRUPT;
    if (all && w.p != mend)
        return FZ_ECORRUPT;
    /* then the join maps: n of them fill their part exactly */
    uint64_t jlen;
    const uint8_t *j = fz_varint_get(mend, end, &jlen);
    if (!j || jlen > (uint64_t)(end - j))
        return FZ_ECORRUPT;
    w.j = j;
    w.jend = j + jlen;
    for (uint64_t i = 0; i < n && all; i++) {
        const uint8_t *m;
        size_t ml;
        if (entry_join_step(&w, &m, &ml))
            return FZ_ECORRUPT;
    }
    if (all && w.j != w.jend)
        return FZ_ECORRUPT;
    b->p = p;
    b->end = mend;
    b->j = j;
    b->jend = j + jlen;
    b->lists = NULL;
    b->line = 0;
    b->i = 0;
    *text = b->jend;
    return FZ_OK;
}

/* A group of a text part of method STORE_ENTRY_GROUPS (ENTRY BLOCKS
 * in store.c): n entries, len bytes at p, raw or a frame. */
typedef struct {
    const uint8_t *p;
    size_t len;
    uint32_t n;
    int raw;
} text_group;

/* Reads the head of the group at p: NULL when it runs past end. */
static const uint8_t *text_group_head(const uint8_t *p, const uint8_t *end, text_group *g)
{
    uint64_t n, l;
    if (!(p = fz_varint_get(p, end, &n)) || !(p = fz_varint_get(p, end, &l)) || n < 1 || n > STORE_ENTRY_BLOCK ||
        (l >> 1) > (uint64_t)(end - p))
        return NULL;
    g->p = p;
    g->n = (uint32_t)n;
    g->raw = (int)(l & 1);
    g->len = (size_t)(l >> 1);
    return p + g->len;
}

/* The text of group g, at most cap bytes, into dst (a frame decompressed
 * with td by dc): its length, or SIZE_MAX when it does not decode. */
static size_t text_group_get(ZSTD_DCtx *dc, const store_tdict *td, const text_group *g, uint8_t *dst, size_t cap)
{
    if (g->raw) {
        if (g->len > cap)
            return SIZE_MAX;
        memcpy(dst, g->p, g->len);
        return g->len;
    }
    if (!td || ZSTD_isError(ZSTD_DCtx_setParameter(dc, ZSTD_d_format, ZSTD_f_zstd1_magicless)))
        return SIZE_MAX;
    size_t got = ZSTD_decompress_usingDDict(dc, dst, cap, g->p, g->len, td->dd);
    ZSTD_DCtx_setParameter(dc, ZSTD_d_format, ZSTD_f_zstd1);
    return ZSTD_isError(got) ? SIZE_MAX : got;
}

/* The length of group g's text (a frame's content size), at most cap;
 * SIZE_MAX when it has none or more. */
static size_t text_group_len(const text_group *g, size_t cap)
{
    if (g->raw)
        return g->len <= cap ? g->len : SIZE_MAX;
    ZSTD_frameHeader h;
    if (ZSTD_getFrameHeader_advanced(&h, g->p, g->len, ZSTD_f_zstd1_magicless) != 0 ||
        h.frameContentSize == ZSTD_CONTENTSIZE_UNKNOWN || h.frameContentSize > cap)
        return SIZE_MAX;
    return (size_t)h.frameContentSize;
}

/* Checks that n titles and bodies, each led by its length, fill [t, tend)
 * exactly. */
static int text_records_fill(const uint8_t *t, const uint8_t *tend, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        uint64_t rl;
        if (!(t = fz_varint_get(t, tend, &rl)) || rl > (uint64_t)(tend - t))
            return FZ_ECORRUPT;
        t += rl;
    }
    return t == tend ? FZ_OK : FZ_ECORRUPT;
}

/* Where the text part [p, end) of b's block keeps its text: *rawlen, the
 * method, [*t, end) what follows the method byte.  The raw length is
 * checked against the stored one as the writer bounds it. */
static int entry_text_head(const uint8_t *p, const uint8_t *end, uint64_t *rawlen, uint8_t *method, const uint8_t **t)
{
    if (!(p = fz_varint_get(p, end, rawlen)) || p >= end)
        return FZ_ECORRUPT;
    *method = *p++;
    size_t clen = (size_t)(end - p);
    *t = p;
    if (*method == STORE_ENTRY_RAW)
        return *rawlen == clen ? FZ_OK : FZ_ECORRUPT;
    if (*method != STORE_ENTRY_ZSTD && *method != STORE_ENTRY_GROUPS)
        return FZ_ECORRUPT;
    /* the writer stores the text raw rather than let it shrink more than
     * this, so that a damaged length cannot ask for much memory */
    return *rawlen > (uint64_t)clen * STORE_ENTRY_MAX_RATIO || *rawlen == 0 ? FZ_ECORRUPT : FZ_OK;
}

/* Memory for n bytes of text: out's (emptied) when out is given, else
 * arena's; NULL when it runs out. */
static uint8_t *text_room(fz_buf *out, fz_arena *arena, size_t n)
{
    if (out) {
        out->len = 0;
        return fz_buf_reserve(out, n ? n : 1) ? NULL : (uint8_t *)out->p;
    }
    return fz_arena_alloc(arena, n ? n : 1);
}

/* Opens the text part [p, end) of b's block: v raw_len, the method byte,
 * the text.  Decompresses it with dc (NULL: zstd makes a context for the
 * call, which costs more than decompressing 5 KB) and the dictionary td
 * (groups of frames) into out when out is given (raw text is copied there
 * too), else into arena (raw text is read in place). */
static int entry_text_open(ZSTD_DCtx *dc, const store_tdict *td, const uint8_t *p, const uint8_t *end,
                           fz_arena *arena, fz_buf *out, store_entry_block *b)
{
    uint64_t rawlen;
    uint8_t method;
    const uint8_t *t;
    int rc = entry_text_head(p, end, &rawlen, &method, &t);
    if (rc)
        return rc;
    size_t clen = (size_t)(end - t);
    if (method == STORE_ENTRY_RAW && !out) {
        b->t = t;
    } else if (method == STORE_ENTRY_RAW) {
        uint8_t *raw = text_room(out, arena, clen);
        if (!raw)
            return FZ_ENOMEM;
        memcpy(raw, t, clen);
        out->len = clen;
        b->t = raw;
    } else {
        uint8_t *raw = text_room(out, arena, (size_t)rawlen);
        if (!raw)
            return out ? FZ_ENOMEM : FZ_ECORRUPT;
        ZSTD_DCtx *own = NULL;
        if (!dc && !(dc = own = ZSTD_createDCtx()))
            return FZ_ENOMEM;
        size_t got = 0;
        if (method == STORE_ENTRY_ZSTD) {
            got = ZSTD_decompressDCtx(dc, raw, (size_t)rawlen, t, clen);
            rc = ZSTD_isError(got) || got != rawlen ? FZ_ECORRUPT : FZ_OK;
        } else {
            /* v groups, then each: its head, its text or frame; the groups'
             * entries are the block's, their texts its text */
            uint64_t ng;
            uint32_t entries = 0;
            const uint8_t *q = fz_varint_get(t, end, &ng);
            rc = q && ng >= 1 && ng <= b->n ? FZ_OK : FZ_ECORRUPT;
            for (uint64_t i = 0; i < ng && !rc; i++) {
                text_group g;
                size_t k;
                if (!(q = text_group_head(q, end, &g)) || g.n > b->n - entries ||
                    (k = text_group_get(dc, td, &g, raw + got, (size_t)rawlen - got)) == SIZE_MAX ||
                    text_records_fill(raw + got, raw + got + k, g.n)) {
                    rc = FZ_ECORRUPT;
                    break;
                }
                got += k;
                entries += g.n;
            }
            if (!rc && (q != end || entries != b->n || got != rawlen))
                rc = FZ_ECORRUPT;
        }
        ZSTD_freeDCtx(own);
        if (rc)
            return rc;
        if (out)
            out->len = (size_t)rawlen;
        b->t = raw;
    }
    b->tend = b->t + rawlen;
    /* n titles and bodies, each led by its length, fill the text exactly */
    return text_records_fill(b->t, b->tend, b->n);
}

/* Opens the text of the one group of b's block (method STORE_ENTRY_GROUPS)
 * that holds the entry of index i, as entry_text_open does the whole text,
 * into out (given) or arena; *g0 gets the index of the group's first
 * entry, *gn its entries, *gp where its bytes are in the value (what a
 * cache knows it by).
 * FZ_ECORRUPT as entry_text_open. */
static int entry_group_open(ZSTD_DCtx *dc, const store_tdict *td, const uint8_t *t, const uint8_t *end, uint64_t rawlen,
                            uint32_t i, fz_arena *arena, fz_buf *out, store_entry_block *b, uint32_t *g0,
                            uint32_t *gn, const uint8_t **gp)
{
    uint64_t ng;
    const uint8_t *q = fz_varint_get(t, end, &ng);
    if (!q || ng < 1 || ng > b->n)
        return FZ_ECORRUPT;
    uint32_t at = 0;
    for (uint64_t k = 0; k < ng; k++) {
        text_group g;
        if (!(q = text_group_head(q, end, &g)) || g.n > b->n - at)
            return FZ_ECORRUPT;
        if (i >= at + g.n) {
            at += g.n;
            continue;
        }
        size_t len = text_group_len(&g, (size_t)rawlen);
        uint8_t *raw;
        if (len == SIZE_MAX)
            return FZ_ECORRUPT;
        if (!(raw = text_room(out, arena, len)))
            return out ? FZ_ENOMEM : FZ_ECORRUPT;
        if (text_group_get(dc, td, &g, raw, len) != len || text_records_fill(raw, raw + len, g.n))
            return FZ_ECORRUPT;
        if (out)
            out->len = len;
        b->t = raw;
        b->tend = raw + len;
        *g0 = at;
        *gn = g.n;
        *gp = g.p;
        return FZ_OK;
    }
    return FZ_ECORRUPT;
}

int store_entry_block_open(const store_tdict *d, const void *val, size_t len, uint32_t last, fz_arena *arena,
                           store_entry_block *b)
{
    const uint8_t *text;
    int rc = entry_block_meta_open(val, len, last, 1, b, &text);
    return rc ? rc : entry_text_open(NULL, d, text, (const uint8_t *)val + len, arena, NULL, b);
}

/* Moves b's text cursor past its next title and body (checked by open):
 * *rec, *rlen. */
static void entry_text_step(store_entry_block *b, const uint8_t **rec, size_t *rlen)
{
    uint64_t rl;
    *rec = fz_varint_get(b->t, b->tend, &rl);
    *rlen = (size_t)rl;
    b->t = *rec + rl;
}

/* Its title and body are empty when b has no text (store_entry_meta_get). */
int store_entry_block_next(store_entry_block *b, fz_arena *arena, store_entry *e)
{
    if (b->i >= b->n)
        return FZ_ENOTFOUND;
    e->id = b->first + b->i++;
    e->join = NULL;
    e->join_len = 0;
    if (entry_meta_step(b, e) || (b->j && entry_join_step(b, &e->join, &e->join_len)))
        return FZ_ECORRUPT;
    const uint8_t *p = get_strs(b->lists, b->end, arena, &e->nsection, &e->section, &e->section_len);
    if (!p || !get_strs(p, b->end, arena, &e->nauthors, &e->authors, &e->author_len))
        return FZ_ECORRUPT;
    if (!b->t) {
        e->title = e->body = "";
        e->title_len = e->body_len = 0;
        return FZ_OK;
    }
    const uint8_t *rec;
    size_t rlen;
    entry_text_step(b, &rec, &rlen);
    const uint8_t *end = rec + rlen;
    if (!(p = get_text(rec, end, arena, &e->title, &e->title_len)) || !get_text(p, end, arena, &e->body, &e->body_len))
        return FZ_ECORRUPT;
    return FZ_OK;
}

/* The block of the least key (last id) at or above id: *last its key, *v
 * its value, whose count is not read (it may hold ids above id only).
 * FZ_ENOTFOUND when there is none. */
static int entry_block_seek(store *s, MDB_txn *txn, uint32_t id, uint32_t *last, MDB_val *v)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, s->dbi[STORE_DB_ENTRY], &cur);
    if (rc)
        return store_lmdb_err(rc, "reading an entry", NULL, 0);
    uint8_t kb[4];
    fz_be32_put(kb, id);
    MDB_val k = {4, kb};
    rc = mdb_cursor_get(cur, &k, v, MDB_SET_RANGE);
    mdb_cursor_close(cur);
    if (rc == MDB_NOTFOUND)
        return FZ_ENOTFOUND;
    if (rc)
        return store_lmdb_err(rc, "reading an entry", NULL, 0);
    if (k.mv_size != 4)
        return FZ_ECORRUPT;
    *last = fz_be32_get(k.mv_data);
    return FZ_OK;
}

/* The first id of the block (last, v): from its count, the block's first
 * varint; -1 when the count is out of bounds. */
static int64_t entry_block_first(uint32_t last, const MDB_val *v)
{
    uint64_t n;
    if (!fz_varint_get(v->mv_data, (const uint8_t *)v->mv_data + v->mv_size, &n) || n < 1 ||
        n > STORE_ENTRY_BLOCK || n - 1 > last)
        return -1;
    return (int64_t)last - (int64_t)(n - 1);
}

/* The block holding id: *last its key, *v its value.  FZ_ENOTFOUND. */
static int entry_block_find(store *s, MDB_txn *txn, uint32_t id, uint32_t *last, MDB_val *v)
{
    int rc = entry_block_seek(s, txn, id, last, v);
    if (rc)
        return rc;
    int64_t first = entry_block_first(*last, v);
    if (first < 0)
        return FZ_ECORRUPT;
    return id >= first ? FZ_OK : FZ_ENOTFOUND;
}

int store_entry_exists(store *s, MDB_txn *txn, uint32_t id)
{
    uint32_t last;
    MDB_val v;
    return entry_block_find(s, txn, id, &last, &v);
}

/* Where a block of entries is: the value (vp, vlen) of store s in the
 * snapshot txnid, holding ids first .. last.  LMDB changes no page of a
 * snapshot while a reader of it (the same txnid) is open, so the same
 * place in the same snapshot is the same value, and an id in first .. last
 * needs no lookup (a write transaction's dirty pages would not be: readers
 * only, store.h). */
typedef struct {
    const store *s;
    size_t txnid;
    const void *vp;
    size_t vlen;
    uint32_t first, last;
} entry_place;

#define PLACE_UNCOUNTED UINT32_MAX /* a first id not read yet (cache_place) */

struct store_entry_cache {
    ZSTD_DCtx *dc;
    entry_place at; /* the block whose text is in text (valid set) */
    fz_buf text;         /* its text, decompressed: the whole block's, or of a block of
                          * groups the one group's at gp in the value */
    const uint8_t *gp;   /* NULL: the whole block's */
    uint32_t g0, gn;     /* the index of the group's first entry, its entries */
    int valid;
    /* blocks store_entry_cache_prefetch found, the next slot to fill
     * (round robin); a slot whose s is NULL is empty */
    entry_place pre[STORE_ENTRY_PREFETCH];
    unsigned npre;
};

/* Whether p is the place of id's block in store s's snapshot txnid. */
static int place_holds(const entry_place *p, const store *s, size_t txnid, uint32_t id)
{
    return p->s == s && p->txnid == txnid && id >= p->first && id <= p->last;
}

/* The block of id that c knows of without a lookup: its place, or NULL.
 * A place found ahead learns its first id here, from the block's count
 * (entry_block_find checked it), when the value is in the CPU's cache. */
static const entry_place *cache_place(store_entry_cache *c, const store *s, size_t txnid, uint32_t id)
{
    if (c->valid && place_holds(&c->at, s, txnid, id))
        return &c->at;
    for (unsigned i = 0; i < STORE_ENTRY_PREFETCH; i++) {
        entry_place *p = &c->pre[i];
        if (p->first == PLACE_UNCOUNTED && p->s == s && p->txnid == txnid && id <= p->last) {
            int64_t first = entry_block_first(p->last, &(MDB_val){p->vlen, (void *)p->vp});
            if (first < 0)
                p->s = NULL; /* left to entry_block_find, which reports it */
            else
                p->first = (uint32_t)first;
        }
        if (place_holds(p, s, txnid, id))
            return p;
    }
    return NULL;
}

int store_entry_cache_create(store_entry_cache **out)
{
    store_entry_cache *c = calloc(1, sizeof *c);
    if (!c || !(c->dc = ZSTD_createDCtx())) {
        free(c);
        *out = NULL;
        return FZ_ENOMEM;
    }
    *out = c;
    return FZ_OK;
}

void store_entry_cache_destroy(store_entry_cache *c)
{
    if (!c)
        return;
    ZSTD_freeDCtx(c->dc);
    fz_buf_free(&c->text);
    free(c);
}

/* Takes the store's spare decompression context, else makes one (NULL
 * when memory runs out); dc_give gives it back unless another thread gave
 * one back meanwhile. */
static ZSTD_DCtx *dc_take(store *s)
{
    ZSTD_DCtx *dc = __atomic_exchange_n(&s->zd, NULL, __ATOMIC_ACQ_REL);
    return dc ? dc : ZSTD_createDCtx();
}

static void dc_give(store *s, ZSTD_DCtx *dc)
{
    ZSTD_DCtx *none = NULL;
    if (dc && !__atomic_compare_exchange_n(&s->zd, &none, dc, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        ZSTD_freeDCtx(dc);
}

/* store_entry_get through the cache c (NULL: none), or with meta set
 * store_entry_meta_get.  Of a block of groups only the group of id is
 * decompressed (the cache keeps that group). */
static int entry_get(store *s, MDB_txn *txn, store_entry_cache *c, uint32_t id, int meta, fz_arena *arena,
                     store_entry *e)
{
    uint32_t last;
    MDB_val v;
    int rc;
    size_t txnid = c ? mdb_txn_id(txn) : 0;
    const entry_place *pl = c ? cache_place(c, s, txnid, id) : NULL;
    if (pl) {
        /* a block c holds or found: the same value in the same snapshot */
        v.mv_data = (void *)pl->vp;
        v.mv_size = pl->vlen;
        last = pl->last;
    } else if ((rc = entry_block_find(s, txn, id, &last, &v))) {
        return rc;
    }
    store_entry_block b;
    const uint8_t *text, *end = (const uint8_t *)v.mv_data + v.mv_size;
    /* the steps to id check what they read; the rest of the metadata is
     * left to --check */
    if ((rc = entry_block_meta_open(v.mv_data, v.mv_size, last, 0, &b, &text)))
        return rc;
    uint64_t rawlen;
    uint8_t method;
    const uint8_t *t;
    uint32_t g0 = 0; /* the first entry whose text b.t holds */
    if (meta) {
        /* no text, no join maps */
        b.j = b.jend = NULL;
    } else if ((rc = entry_text_head(text, end, &rawlen, &method, &t))) {
        return rc;
    } else if (c && c->valid && place_holds(&c->at, s, txnid, id) && c->at.vp == v.mv_data &&
               (!c->gp || (id - b.first >= c->g0 && id - b.first - c->g0 < c->gn))) {
        /* the block (the group) the cache holds: its text is checked */
        b.t = (const uint8_t *)c->text.p;
        b.tend = b.t + c->text.len;
        g0 = c->gp ? c->g0 : 0;
    } else {
        ZSTD_DCtx *dc = c ? c->dc : dc_take(s);
        const uint8_t *gp = NULL;
        uint32_t gn = 0;
        if (c)
            c->valid = 0;
        if (!dc)
            rc = FZ_ENOMEM;
        else if (method == STORE_ENTRY_GROUPS)
            rc = entry_group_open(dc, store_tdict_of(s, txn), t, end, rawlen, id - b.first, arena,
                                  c ? &c->text : NULL, &b, &g0, &gn, &gp);
        else /* methods 0 and 1 use no dictionary */
            rc = entry_text_open(dc, NULL, text, end, arena, c ? &c->text : NULL, &b);
        if (!c)
            dc_give(s, dc);
        if (rc)
            return rc;
        if (c) {
            c->at = (entry_place){s, txnid, v.mv_data, v.mv_size, b.first, last};
            c->gp = gp;
            c->g0 = g0;
            c->gn = gn;
            c->valid = 1;
        }
    }
    const uint8_t *rec;
    size_t rlen;
    for (; b.first + b.i < id; b.i++) {
        const uint8_t *map;
        size_t ml;
        if (entry_meta_step(&b, NULL) || (b.j && entry_join_step(&b, &map, &ml)))
            return FZ_ECORRUPT;
        if (b.t && b.i >= g0)
            entry_text_step(&b, &rec, &rlen);
    }
    return store_entry_block_next(&b, arena, e);
}

void store_entry_cache_prefetch(store *s, MDB_txn *txn, store_entry_cache *c, uint32_t id)
{
    if (!c)
        return;
    size_t txnid = mdb_txn_id(txn);
    if (cache_place(c, s, txnid, id))
        return;
    uint32_t last;
    MDB_val v;
    /* a lookup that fails is left to the read, which reports it; the
     * block's first id is read when a read asks for it (cache_place), not
     * here, where the value is not in the CPU's cache yet: nothing waits
     * for the first byte's load below */
    if (entry_block_seek(s, txn, id, &last, &v))
        return;
    c->pre[c->npre] = (entry_place){s, txnid, v.mv_data, v.mv_size, PLACE_UNCOUNTED, last};
    c->npre = (c->npre + 1) % STORE_ENTRY_PREFETCH;
    /* the reads to come touch most of a block's value: its metadata, join
     * maps and group heads, and its group's frame.  Its first byte is
     * read, so that a page the process has not touched yet is mapped here
     * (a read would fault on it anyway), not skipped by every prefetch
     * after a walk of the page tables: a query early in a process took
     * 0.22 ms instead of 0.20 */
    (void)*(const volatile uint8_t *)v.mv_data;
    for (size_t i = 64; i < v.mv_size; i += 64)
        __builtin_prefetch((const char *)v.mv_data + i);
}

int store_entry_get(store *s, MDB_txn *txn, uint32_t id, fz_arena *arena, store_entry *e)
{
    return entry_get(s, txn, NULL, id, 0, arena, e);
}

int store_entry_get_cached(store *s, MDB_txn *txn, store_entry_cache *c, uint32_t id, fz_arena *arena,
                           store_entry *e)
{
    return entry_get(s, txn, c, id, 0, arena, e);
}

int store_entry_meta_get(store *s, MDB_txn *txn, uint32_t id, fz_arena *arena, store_entry *e)
{
    return entry_get(s, txn, NULL, id, 1, arena, e);
}

/* Where a record (store_entry_encode's, len bytes) has its parts: x its
 * five numbers (file_id .. npos), [*ls, *te) its sections and authors,
 * then its title and body to the end.  -1 when it is malformed. */
static int entry_rec_split(const uint8_t *rec, size_t len, uint64_t x[5], size_t *ls, size_t *le)
{
    const uint8_t *p = rec, *end = p + len;
    for (int i = 0; i < 5; i++)
        if (!(p = fz_varint_get(p, end, &x[i])))
            return -1;
    *ls = (size_t)(p - rec);
    if (x[0] > UINT32_MAX || x[1] > UINT32_MAX || !(p = skip_strs(p, end)) || !(p = skip_strs(p, end)))
        return -1;
    *le = (size_t)(p - rec);
    return 0;
}

/* Makes s ready to compress groups with the text dictionary of txn's
 * index: 1 when it has one, 0 when it has none, else a negative FZ_*
 * code with msg (a dictionary zstd refuses is FZ_ECORRUPT). */
static int entry_dict_ready(store *s, MDB_txn *txn, char *msg, size_t msglen)
{
    MDB_val dk = {5, "tdict"}, dv;
    int rc = mdb_get(txn, s->dbi[STORE_DB_META], &dk, &dv);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc)
        return store_lmdb_err(rc, "reading the text dictionary", msg, msglen);
    /* an index's dictionary never changes once its blocks use it */
    if (s->tcd && s->tcd_len == dv.mv_size)
        return 1;
    ZSTD_freeCDict(s->tcd);
    s->tcd_len = 0;
    if (!(s->tcd = ZSTD_createCDict(dv.mv_data, dv.mv_size, STORE_ENTRY_GROUP_LEVEL))) {
        fz_msg(msg, msglen, "the text dictionary (%zu bytes) does not load", dv.mv_size);
        return FZ_ECORRUPT;
    }
    s->tcd_len = dv.mv_size;
    /* frames without magic number, checksum or dictionary id, with their
     * content size (ENTRY BLOCKS in store.c) */
    if ((!s->tzc && !(s->tzc = ZSTD_createCCtx())) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(s->tzc, ZSTD_c_format, ZSTD_f_zstd1_magicless)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(s->tzc, ZSTD_c_checksumFlag, 0)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(s->tzc, ZSTD_c_dictIDFlag, 0)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(s->tzc, ZSTD_c_contentSizeFlag, 1)) ||
        ZSTD_isError(ZSTD_CCtx_refCDict(s->tzc, s->tcd)))
        return FZ_ENOMEM;
    return 1;
}

/* Appends a record as the writer holds it and gives it to its packer (v
 * id, v len, the record, v len, its join map), which hold_next reads:
 * FZ_OK or FZ_ENOMEM. */
static int hold_put(fz_buf *b, uint32_t id, const void *rec, size_t len, const void *join, size_t jlen)
{
    return fz_buf_varint(b, id) || fz_buf_varint(b, len) || fz_buf_append(b, rec, len) || fz_buf_varint(b, jlen) ||
                   fz_buf_append(b, join, jlen)
               ? FZ_ENOMEM
               : FZ_OK;
}

/* Walks the held records of w: the next one's id, record and join map;
 * NULL at the end.  (store_entry_add checked them as it held them.) */
static const uint8_t *hold_next(const uint8_t *p, const uint8_t *end, uint32_t *id, const uint8_t **rec, size_t *len,
                                const uint8_t **join, size_t *jlen)
{
    uint64_t v;
    if (p >= end)
        return NULL;
    p = fz_varint_get(p, end, &v);
    *id = (uint32_t)v;
    p = fz_varint_get(p, end, &v);
    *rec = p;
    *len = (size_t)v;
    p = fz_varint_get(p + v, end, &v);
    *join = p;
    *jlen = (size_t)v;
    return p + v;
}

/* A text dictionary being trained on a thread of its own, while the
 * writer holds on (hold_state 3): its samples, the titles and bodies of
 * the records held when it started in groups as the writer makes them, are
 * a copy, so the thread touches nothing of the writer's. */
typedef struct store_trainer store_trainer;
struct store_trainer {
    pthread_t th;
    pthread_mutex_t mu;
    int done;        /* the thread has finished (under mu) */
    fz_buf smp;      /* the samples, one after another */
    size_t *sizes, ns;
    void *dict;      /* STORE_TDICT_SIZE bytes */
    size_t dlen;     /* zstd's answer: the length, or an error code */
};

/* The held text past which the writer waits for its trainer rather than
 * hold more (memory). */
#define TDICT_HOLD_MAX (4 * (size_t)STORE_TDICT_TRAIN)

static void trainer_free(store_trainer *tr)
{
    if (!tr)
        return;
    fz_buf_free(&tr->smp);
    free(tr->sizes);
    free(tr->dict);
    free(tr);
}

/* A trainer with the samples of w's held records (none started); NULL
 * when memory runs out. */
static store_trainer *trainer_create(const store_entry_writer *w)
{
    store_trainer *tr = calloc(1, sizeof *tr);
    if (!tr)
        return NULL;
    tr->dict = malloc(STORE_TDICT_SIZE);
    int rc = tr->dict ? FZ_OK : FZ_ENOMEM;
    const uint8_t *p = (const uint8_t *)w->hold.p, *end = p + w->hold.len, *rec, *join;
    uint32_t id;
    size_t len, jlen, ls, le, glen = 0, cap = 0;
    uint64_t file = UINT64_MAX, x[5];
    while (!rc && (p = hold_next(p, end, &id, &rec, &len, &join, &jlen))) {
        entry_rec_split(rec, len, x, &ls, &le);
        size_t before = tr->smp.len;
        if (fz_buf_varint(&tr->smp, len - le) || fz_buf_append(&tr->smp, rec + le, len - le)) {
            rc = FZ_ENOMEM;
            break;
        }
        size_t add = tr->smp.len - before;
        if (tr->ns && x[0] == file && glen + add <= STORE_ENTRY_GROUP) {
            tr->sizes[tr->ns - 1] += add;
            glen += add;
        } else {
            /* a group per file at least: the text held does not bound
             * how many */
            if (fz_grow(&tr->sizes, &cap, tr->ns + 1, sizeof *tr->sizes, 1024)) {
                rc = FZ_ENOMEM;
                break;
            }
            tr->sizes[tr->ns++] = add;
            glen = add;
        }
        file = x[0];
    }
    if (rc) {
        trainer_free(tr);
        return NULL;
    }
    return tr;
}

/* Trains tr's dictionary (STORE_TDICT_K in store.h says how). */
static void trainer_run(store_trainer *tr)
{
    ZDICT_fastCover_params_t p;
    memset(&p, 0, sizeof p);
    p.k = STORE_TDICT_K;
    p.d = STORE_TDICT_D;
    p.zParams.compressionLevel = STORE_ENTRY_LEVEL;
    tr->dlen = ZDICT_optimizeTrainFromBuffer_fastCover(tr->dict, STORE_TDICT_SIZE, tr->smp.p, tr->sizes,
                                                       (unsigned)tr->ns, &p);
}

static void *trainer_main(void *arg)
{
    store_trainer *tr = arg;
    trainer_run(tr);
    pthread_mutex_lock(&tr->mu);
    tr->done = 1;
    pthread_mutex_unlock(&tr->mu);
    return NULL;
}

static int trainer_done(store_trainer *tr)
{
    pthread_mutex_lock(&tr->mu);
    int d = tr->done;
    pthread_mutex_unlock(&tr->mu);
    return d;
}

/* Waits for w's trainer thread, if any, and takes the trainer from w. */
static store_trainer *trainer_join(store_entry_writer *w)
{
    store_trainer *tr = w->trainer;
    w->trainer = NULL;
    if (tr) {
        pthread_join(tr->th, NULL);
        pthread_mutex_destroy(&tr->mu);
    }
    return tr;
}

/* Puts the dictionary tr trained in txn's index and makes it s's.  Text
 * zstd could not train on leaves the index without one (FZ_OK). */
static int trainer_install(store *s, MDB_txn *txn, store_trainer *tr, char *msg, size_t msglen)
{
    if (ZDICT_isError(tr->dlen))
        return FZ_OK;
    MDB_val dk = {5, "tdict"}, dv = {tr->dlen, tr->dict};
    store_tdict *td = NULL;
    int rc, r = mdb_put(txn, s->dbi[STORE_DB_META], &dk, &dv, 0);
    if (r)
        return store_lmdb_err(r, "writing the text dictionary", msg, msglen);
    if ((rc = store_tdict_create(tr->dict, tr->dlen, &td)))
        return rc;
    store_tdict_destroy(s->td);
    s->td = td;
    s->td_bad = 0;
    return entry_dict_ready(s, txn, msg, msglen) < 0 ? FZ_ENOMEM : FZ_OK;
}

/* Starts training the text dictionary on w's held records (their titles
 * and bodies, in groups of one file of at most STORE_ENTRY_GROUP bytes, as
 * the writer makes them) on a thread of its own: the writer holds on
 * (hold_state 3) until it is done.  When no thread starts it trains here
 * (the same dictionary).  FZ_OK or FZ_ENOMEM. */
static int entry_hold_release(store *s, MDB_txn *txn, store_entry_writer *w, char *msg, size_t msglen);
static int entry_train_start(store *s, MDB_txn *txn, store_entry_writer *w, char *msg, size_t msglen)
{
    store_trainer *tr = trainer_create(w);
    if (!tr)
        return FZ_ENOMEM;
    w->trainer = tr;
    w->hold_state = 3;
    if (pthread_mutex_init(&tr->mu, NULL) == 0) {
        if (pthread_create(&tr->th, NULL, trainer_main, tr) == 0)
            return FZ_OK;
        pthread_mutex_destroy(&tr->mu);
    }
    w->trainer = NULL;
    trainer_run(tr);
    int rc = trainer_install(s, txn, tr, msg, msglen);
    trainer_free(tr);
    w->hold_state = 2;
    return rc ? rc : entry_hold_release(s, txn, w, msg, msglen);
}

/* Ends w's holding: takes the dictionary its trainer made, or trains one
 * here when none was started and the held text is enough, then writes the
 * held records as store_entry_add writes any. */
static int entry_add_now(store *s, MDB_txn *txn, store_entry_writer *w, uint32_t id, const void *rec, size_t len,
                         const void *join, size_t jlen, char *msg, size_t msglen);
static int entry_hold_release(store *s, MDB_txn *txn, store_entry_writer *w, char *msg, size_t msglen)
{
    int rc = FZ_OK;
    store_trainer *tr = trainer_join(w);
    if (!tr && w->hold_state == 1 && w->hold_text >= STORE_TDICT_MIN) {
        if (!(tr = trainer_create(w)))
            rc = FZ_ENOMEM;
        else
            trainer_run(tr);
    }
    w->hold_state = 2;
    if (tr && !rc)
        rc = trainer_install(s, txn, tr, msg, msglen);
    trainer_free(tr);
#ifdef __GLIBC__
    /* zstd's tables for training (some 20 MB), freed in the trainer's
     * malloc arena, which keeps what it is given back */
    if (tr)
        malloc_trim(0);
#endif
    const uint8_t *p = (const uint8_t *)w->hold.p, *end = p + w->hold.len, *rec, *join;
    uint32_t id;
    size_t len, jlen;
    while (!rc && (p = hold_next(p, end, &id, &rec, &len, &join, &jlen)))
        rc = entry_add_now(s, txn, w, id, rec, len, join, jlen, msg, msglen);
    fz_buf_free(&w->hold);
    w->hold_text = 0;
    return rc;
}

/* Makes w->val the block value of w's first m pending records (ENTRY
 * BLOCKS in store.c): their metadata, the sections and authors of each written
 * only when they differ from the record before's, then their titles and
 * bodies in zstd, or raw when zstd does not make them smaller or shrinks
 * them past what a reader accepts (entry_block_open).  Returns its
 * length, 0 when memory runs out. */
static size_t entry_block_value(store *s, store_entry_writer *w, uint32_t m, int groups)
{
    if (!s->zc && !(s->zc = ZSTD_createCCtx()))
        return 0;
    /* the records' parts: those of a value made before for the same
     * first records are kept (fitting a page tries longer and shorter
     * runs), only the records after them are added */
    int rc = 0;
    if (!w->ser_n) {
        w->mraw.len = w->traw.len = w->jraw.len = 0;
        rc = fz_buf_varint(&w->mraw, w->file_id);
        w->moff[0] = (uint32_t)w->mraw.len;
        w->toff[0] = w->joff[0] = 0;
        w->ser_line = 0;
        w->ser_nlists = 0;
    }
    for (uint32_t i = w->ser_n; i < m && !rc; i++) {
        size_t end = i + 1 < w->n ? w->off[i + 1] : w->raw.len, ls, le;
        uint64_t rl, x[5];
        const uint8_t *rec = fz_varint_get((const uint8_t *)w->raw.p + w->off[i], (const uint8_t *)w->raw.p + end, &rl);
        entry_rec_split(rec, (size_t)rl, x, &ls, &le); /* checked by store_entry_add */
        int shared = w->ser_nlists && w->ser_nlists - 1 == le - ls &&
                     memcmp(w->raw.p + w->ser_lists, rec + ls, le - ls) == 0;
        rc |= fz_buf_varint(&w->mraw, store_zz((int64_t)x[1] - (int64_t)w->ser_line));
        for (int k = 2; k < 5; k++)
            rc |= fz_buf_varint(&w->mraw, x[k]);
        rc |= fz_buf_varint(&w->mraw, (uint64_t)shared);
        if (!shared) {
            rc |= fz_buf_append(&w->mraw, rec + ls, le - ls);
            w->ser_lists = (size_t)(rec + ls - (const uint8_t *)w->raw.p);
            w->ser_nlists = le - ls + 1;
        }
        w->ser_line = (uint32_t)x[1];
        rc |= fz_buf_varint(&w->traw, rl - le) || fz_buf_append(&w->traw, rec + le, (size_t)rl - le);
        /* the join map after the record, led by its length */
        uint64_t jl;
        const uint8_t *jm = fz_varint_get(rec + rl, (const uint8_t *)w->raw.p + end, &jl);
        rc |= fz_buf_varint(&w->jraw, jl) || fz_buf_append(&w->jraw, jm, (size_t)jl);
        if (!rc) {
            w->moff[i + 1] = (uint32_t)w->mraw.len;
            w->toff[i + 1] = (uint32_t)w->traw.len;
            w->joff[i + 1] = (uint32_t)w->jraw.len;
            w->ser_n = i + 1;
        }
    }
    if (rc)
        return 0;
    const uint32_t *toff = w->toff; /* where each record's title and body start in traw */
    size_t mlen = w->moff[m], jlen = w->joff[m];
    w->val.len = 0;
    size_t raw = toff[m], bound = ZSTD_compressBound(raw);
    if (fz_buf_varint(&w->val, m) || fz_buf_varint(&w->val, mlen) || fz_buf_append(&w->val, w->mraw.p, mlen) ||
        fz_buf_varint(&w->val, jlen) || fz_buf_append(&w->val, w->jraw.p, jlen) || fz_buf_varint(&w->val, raw) ||
        fz_buf_reserve(&w->val, 1 + (bound > raw ? bound : raw)))
        return 0;
    if (groups) {
        /* groups of consecutive records of at most STORE_ENTRY_GROUP bytes
         * (one record alone may be more), each its own frame, or raw when
         * zstd does not shrink it.  The groups are cut from the first
         * pending record on, so those of a value made before for the same
         * records (a shorter or longer run while fitting a page) are the
         * same frames where they end at the same record: kept in grp, they
         * are not compressed again, only the groups from the first that
         * differs. */
        uint32_t ng = 0;
        w->grp.len = 0;
        for (uint32_t i = 0, j; i < m; i = j) {
            for (j = i + 1; j < m && toff[j + 1] - toff[i] <= STORE_ENTRY_GROUP; j++)
                ;
            if (ng < w->grp_n && w->grp_end[ng] == j) {
                w->grp.len = w->grp_off[++ng];
                continue;
            }
            w->grp_n = ng;
            const uint8_t *src = (const uint8_t *)w->traw.p + toff[i];
            size_t len = toff[j] - toff[i], gb = ZSTD_compressBound(len);
            if (fz_buf_varint(&w->grp, j - i) || fz_buf_reserve(&w->grp, 2 * FZ_VARINT_MAX + (gb > len ? gb : len)))
                return 0;
            uint8_t *z = (uint8_t *)w->grp.p + w->grp.len + 2 * FZ_VARINT_MAX;
            size_t c = ZSTD_compress2(s->tzc, z, gb, src, len);
            int stored_raw = ZSTD_isError(c) || c >= len;
            if (stored_raw) {
                memcpy(z, src, len);
                c = len;
            }
            /* the head, then the bytes moved up to follow it */
            size_t hl = fz_varint_put((uint8_t *)w->grp.p + w->grp.len, (uint64_t)c * 2 + (uint64_t)stored_raw);
            memmove(w->grp.p + w->grp.len + hl, z, c);
            w->grp.len += hl + c;
            w->grp_end[ng++] = j;
            w->grp_off[ng] = (uint32_t)w->grp.len;
            w->grp_n = ng;
        }
        uint8_t nb[FZ_VARINT_MAX];
        size_t c = fz_varint_put(nb, ng) + w->grp.len;
        if (c < raw && (uint64_t)c * STORE_ENTRY_MAX_RATIO >= raw) {
            uint8_t *v = (uint8_t *)w->val.p + w->val.len;
            v[0] = STORE_ENTRY_GROUPS;
            w->val.len += 1 + fz_varint_put(v + 1, ng);
            if (fz_buf_append(&w->val, w->grp.p, w->grp.len))
                return 0;
            return w->val.len;
        }
    }
    uint8_t *v = (uint8_t *)w->val.p + w->val.len;
    size_t c = groups ? 0 : ZSTD_compressCCtx(s->zc, v + 1, bound, w->traw.p, raw, STORE_ENTRY_LEVEL);
    if (!groups && !ZSTD_isError(c) && c < raw && (uint64_t)c * STORE_ENTRY_MAX_RATIO >= raw) {
        v[0] = STORE_ENTRY_ZSTD;
        w->val.len += 1 + c;
    } else {
        v[0] = STORE_ENTRY_RAW;
        memcpy(v + 1, w->traw.p, raw);
        w->val.len += 1 + raw;
    }
    return w->val.len;
}

/* Puts w->val as the block of w's first m pending records, which leave
 * the pending ones. */
typedef struct store_packer store_packer;
static int packer_out(store_packer *pk, uint32_t last, const fz_buf *val);
static int entry_block_put(store *s, MDB_txn *txn, store_entry_writer *w, uint32_t m, char *msg, size_t msglen)
{
    if (w->packer) {
        /* on the packer's thread: the main thread puts it */
        if (packer_out(w->packer, w->first + m - 1, &w->val))
            return FZ_ENOMEM;
    } else {
        uint8_t kb[4];
        fz_be32_put(kb, w->first + m - 1);
        MDB_val k = {4, kb}, v = {w->val.len, w->val.p};
        int rc = mdb_put(txn, s->dbi[STORE_DB_ENTRY], &k, &v, MDB_APPEND);
        if (rc)
            return store_lmdb_err(rc, "writing an entry", msg, msglen);
        w->written += v.mv_size;
    }
    size_t cut = m < w->n ? w->off[m] : w->raw.len;
    memmove(w->raw.p, w->raw.p + cut, w->raw.len - cut);
    w->raw.len -= cut;
    for (uint32_t i = m; i < w->n; i++) {
        w->off[i - m] = w->off[i] - (uint32_t)cut;
    }
    w->n -= m;
    w->first += m;
    w->grp_n = 0;
    w->ser_n = 0;
    return FZ_OK;
}

/* Writes blocks of the pending records that fill a page of overflow
 * (ENTRY BLOCKS in store.c): the longest run from the first whose value fits,
 * at least one record.  Unless all is set, a run that fits with room to
 * spare stays pending for the records to come (w->try_at says when to try
 * again). */
static int entry_blocks_fit(store *s, MDB_txn *txn, store_entry_writer *w, int all, char *msg, size_t msglen)
{
    if (!w->target) {
        MDB_stat st;
        w->target = mdb_env_stat(s->env, &st) == 0 && st.ms_psize > 1024 ? st.ms_psize - 16 : 4080;
    }
    while (w->n) {
        if (!all && w->n < STORE_ENTRY_BLOCK && w->raw.len < w->try_at)
            return FZ_OK;
        int groups = w->packer ? 1 : entry_dict_ready(s, txn, msg, msglen);
        if (groups < 0)
            return groups;
        size_t len = entry_block_value(s, w, w->n, groups);
        if (!len)
            return FZ_ENOMEM;
        uint32_t m = w->n;
        if (len <= w->target) {
            if (!all && w->n < STORE_ENTRY_BLOCK) {
                /* keep this value, and try again when the records to come
                 * may fill what is left, at this block's ratio */
                fz_buf t = w->fit;
                w->fit = w->val;
                w->val = t;
                w->fit_n = w->n;
                w->try_at = w->raw.len + (size_t)((double)(w->target - len) * (double)w->raw.len / (double)len);
                return FZ_OK;
            }
        } else if (w->fit_n && w->fit_n == m - 1) {
            /* one record too many: the value kept before it fits */
            fz_buf t = w->fit;
            w->fit = w->val;
            w->val = t;
            m = w->fit_n;
        } else {
            /* the longest run that fits; one record alone may not */
            while (m > 1) {
                m--;
                if (!(len = entry_block_value(s, w, m, groups)))
                    return FZ_ENOMEM;
                if (len <= w->target)
                    break;
            }
        }
        size_t raw = m < w->n ? w->off[m] : w->raw.len;
        double ratio = (double)w->val.len / (double)raw;
        int rc = entry_block_put(s, txn, w, m, msg, msglen);
        if (rc)
            return rc;
        w->fit_n = 0;
        /* the next block is tried first when its records may fill a page
         * at the ratio of this one */
        w->try_at = (size_t)((double)w->target / ratio * 0.97);
    }
    return FZ_OK;
}

/* The packer: a thread of the writer's own that makes the block values
 * (the fitting of a page, zstd) of an index with a text dictionary, while
 * the caller's thread goes on and puts the values it made, in order, in
 * LMDB (store_entry_add, store_entry_flush).  The blocks are those the
 * writer makes without it (entry_add_now, entry_blocks_fit): only where
 * they are put from differs. */
struct store_packer {
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv_in, cv_out;
    store *s;
    store_entry_writer *w;
    fz_buf in, in2;   /* records given (v id, v len, record, v len, join map); the packer's */
    fz_buf out, out2; /* values made (be32 last id, v len, value); the caller's */
    fz_buf mine;      /* values the packer made since it last handed them over */
    int flush;        /* the caller asks for the pending block too (all) */
    int flushed;      /* the packer has made every value asked for */
    int quit;
    int rc;           /* the packer's first error (FZ_ENOMEM, FZ_ELIMIT) */
};

/* Records the caller may have given beyond what the packer has taken
 * before it waits (memory). */
#define PACKER_IN_MAX ((size_t)1 << 20)
/* Records the caller gathers before it wakes a waiting packer: woken at
 * every record, the packer took a few each time and the two threads
 * switched some 17,000 times in a build of the poetry bench. */
#define PACKER_WAKE ((size_t)64 << 10)

static int packer_out(store_packer *pk, uint32_t last, const fz_buf *val)
{
    uint8_t kb[4];
    fz_be32_put(kb, last);
    return fz_buf_append(&pk->mine, kb, 4) || fz_buf_varint(&pk->mine, val->len) ||
           fz_buf_append(&pk->mine, val->p, val->len);
}

static int entry_add_now(store *s, MDB_txn *txn, store_entry_writer *w, uint32_t id, const void *rec, size_t len,
                         const void *join, size_t jlen, char *msg, size_t msglen);
static void *packer_main(void *arg)
{
    store_packer *pk = arg;
    store_entry_writer *w = pk->w;
    char msg[256];
    pthread_mutex_lock(&pk->mu);
    for (;;) {
        while (!pk->quit && !pk->in.len && !pk->flush)
            pthread_cond_wait(&pk->cv_in, &pk->mu);
        if (pk->quit)
            break;
        fz_buf t = pk->in;
        pk->in = pk->in2;
        pk->in2 = t;
        pk->in.len = 0;
        int flush = pk->flush, rc = pk->rc;
        pk->flush = 0;
        pthread_cond_broadcast(&pk->cv_out); /* room in in */
        pthread_mutex_unlock(&pk->mu);
        const uint8_t *p = (const uint8_t *)pk->in2.p, *end = p + pk->in2.len, *rec, *join;
        uint32_t id;
        size_t len, jlen;
        while (!rc && (p = hold_next(p, end, &id, &rec, &len, &join, &jlen)))
            rc = entry_add_now(pk->s, NULL, w, id, rec, len, join, jlen, msg, sizeof msg);
        if (!rc && flush)
            rc = entry_blocks_fit(pk->s, NULL, w, 1, msg, sizeof msg);
        pthread_mutex_lock(&pk->mu);
        if (rc && !pk->rc)
            pk->rc = rc;
        if (pk->mine.len && fz_buf_append(&pk->out, pk->mine.p, pk->mine.len) && !pk->rc)
            pk->rc = FZ_ENOMEM;
        pk->mine.len = 0;
        if (flush && !pk->flush && !pk->in.len)
            pk->flushed = 1;
        pthread_cond_broadcast(&pk->cv_out);
    }
    pthread_mutex_unlock(&pk->mu);
    return NULL;
}

/* Starts w's packer (w has no pending records, s a text dictionary);
 * nothing when no thread starts (the writer makes its blocks itself). */
static void packer_start(store *s, store_entry_writer *w)
{
    store_packer *pk = calloc(1, sizeof *pk);
    if (!pk)
        return;
    pk->s = s;
    pk->w = w;
    if (pthread_mutex_init(&pk->mu, NULL)) {
        free(pk);
        return;
    }
    if (pthread_cond_init(&pk->cv_in, NULL) == 0) {
        if (pthread_cond_init(&pk->cv_out, NULL) == 0) {
            w->packer = pk;
            if (pthread_create(&pk->th, NULL, packer_main, pk) == 0)
                return;
            w->packer = NULL;
            pthread_cond_destroy(&pk->cv_out);
        }
        pthread_cond_destroy(&pk->cv_in);
    }
    pthread_mutex_destroy(&pk->mu);
    free(pk);
}

/* Stops w's packer, if any (its values not put are dropped). */
static void packer_stop(store_entry_writer *w)
{
    store_packer *pk = w->packer;
    if (!pk)
        return;
    pthread_mutex_lock(&pk->mu);
    pk->quit = 1;
    pthread_cond_broadcast(&pk->cv_in);
    pthread_mutex_unlock(&pk->mu);
    pthread_join(pk->th, NULL);
    w->packer = NULL;
    pthread_cond_destroy(&pk->cv_in);
    pthread_cond_destroy(&pk->cv_out);
    pthread_mutex_destroy(&pk->mu);
    fz_buf_free(&pk->in);
    fz_buf_free(&pk->in2);
    fz_buf_free(&pk->out);
    fz_buf_free(&pk->out2);
    fz_buf_free(&pk->mine);
    free(pk);
}

/* Puts the values pk has made so far, in order; with wait, first waits
 * until it has made all that was asked (flush).  The packer's error, or
 * LMDB's with msg. */
static int packer_drain(store *s, MDB_txn *txn, store_entry_writer *w, int wait, char *msg, size_t msglen)
{
    store_packer *pk = w->packer;
    pthread_mutex_lock(&pk->mu);
    while (wait && !pk->flushed && !pk->rc)
        pthread_cond_wait(&pk->cv_out, &pk->mu);
    fz_buf t = pk->out;
    pk->out = pk->out2;
    pk->out2 = t;
    pk->out.len = 0;
    int rc = pk->rc;
    pthread_mutex_unlock(&pk->mu);
    const uint8_t *p = (const uint8_t *)pk->out2.p, *end = p + pk->out2.len;
    while (!rc && p < end) {
        uint64_t vl;
        MDB_val k = {4, (void *)p}, v;
        p = fz_varint_get(p + 4, end, &vl);
        v.mv_size = (size_t)vl;
        v.mv_data = (void *)p;
        p += vl;
        int r = mdb_put(txn, s->dbi[STORE_DB_ENTRY], &k, &v, MDB_APPEND);
        if (r)
            rc = store_lmdb_err(r, "writing an entry", msg, msglen);
        w->written += v.mv_size;
    }
    pk->out2.len = 0;
    if (rc == FZ_ENOMEM || rc == FZ_ELIMIT)
        fz_msg(msg, msglen, "writing an entry: %s", fz_strerror(rc));
    return rc;
}

/* Gives w's packer a record, and puts the values it has made. */
static int packer_add(store *s, MDB_txn *txn, store_entry_writer *w, uint32_t id, const void *rec, size_t len,
                      const void *join, size_t jlen, char *msg, size_t msglen)
{
    store_packer *pk = w->packer;
    pthread_mutex_lock(&pk->mu);
    while (pk->in.len >= PACKER_IN_MAX && !pk->rc)
        pthread_cond_wait(&pk->cv_out, &pk->mu);
    int rc = hold_put(&pk->in, id, rec, len, join, jlen);
    pk->flushed = 0;
    if (pk->in.len >= PACKER_WAKE)
        pthread_cond_signal(&pk->cv_in);
    pthread_mutex_unlock(&pk->mu);
    return rc ? rc : packer_drain(s, txn, w, 0, msg, msglen);
}

/* Has w's packer make the pending block too, and puts every value. */
static int packer_flush(store *s, MDB_txn *txn, store_entry_writer *w, char *msg, size_t msglen)
{
    store_packer *pk = w->packer;
    pthread_mutex_lock(&pk->mu);
    pk->flush = 1;
    pk->flushed = 0;
    pthread_cond_signal(&pk->cv_in);
    pthread_mutex_unlock(&pk->mu);
    int rc = packer_drain(s, txn, w, 1, msg, msglen);
    /* the packer waits for records: its buffers go back (a batch's end,
     * when a build holds the most memory) */
    pthread_mutex_lock(&pk->mu);
    if (pk->flushed) {
        fz_buf_free(&pk->in);
        fz_buf_free(&pk->in2);
        fz_buf_free(&pk->mine);
        fz_buf_free(&pk->out);
    }
    pthread_mutex_unlock(&pk->mu);
    fz_buf_free(&pk->out2);
    return rc;
}

int store_entry_add(store *s, MDB_txn *txn, store_entry_writer *w, uint32_t id, const void *rec, size_t len,
                    const void *join, size_t jlen, char *msg, size_t msglen)
{
    uint64_t x[5];
    size_t ls, le;
    if (entry_rec_split(rec, len, x, &ls, &le)) {
        fz_msg(msg, msglen, "writing an entry: its record does not decode");
        return FZ_EINVAL;
    }
    if (!w->hold_state) {
        /* an index without a dictionary: hold the text to train one */
        int r = entry_dict_ready(s, txn, msg, msglen);
        if (r < 0)
            return r;
        w->hold_state = r ? 2 : 1;
    }
    if (w->hold_state == 1 || w->hold_state == 3) {
        if (len > UINT32_MAX || jlen > UINT32_MAX)
            return FZ_ELIMIT;
        if (hold_put(&w->hold, id, rec, len, join, jlen))
            return FZ_ENOMEM;
        w->hold_text += len - le;
        if (w->hold_state == 1)
            return w->hold_text >= STORE_TDICT_TRAIN ? entry_train_start(s, txn, w, msg, msglen) : FZ_OK;
        /* the dictionary is the first STORE_TDICT_TRAIN bytes' however
         * long it takes: what is held meanwhile waits for it */
        return trainer_done(w->trainer) || w->hold_text >= TDICT_HOLD_MAX ? entry_hold_release(s, txn, w, msg, msglen)
                                                                          : FZ_OK;
    }
    return entry_add_now(s, txn, w, id, rec, len, join, jlen, msg, msglen);
}

/* store_entry_add without holding: w's packer makes the blocks when the
 * index has a text dictionary (started here), else the writer itself. */
static int entry_add_now(store *s, MDB_txn *txn, store_entry_writer *w, uint32_t id, const void *rec, size_t len,
                         const void *join, size_t jlen, char *msg, size_t msglen)
{
    if (txn && !w->packer && !w->n && !w->packer_off) {
        int r = entry_dict_ready(s, txn, msg, msglen);
        if (r < 0)
            return r;
        if (r) {
            if (!w->target) {
                MDB_stat st;
                w->target = mdb_env_stat(s->env, &st) == 0 && st.ms_psize > 1024 ? st.ms_psize - 16 : 4080;
            }
            packer_start(s, w);
        }
        w->packer_off = !w->packer;
    }
    if (txn && w->packer)
        return packer_add(s, txn, w, id, rec, len, join, jlen, msg, msglen);
    uint64_t x[5];
    size_t ls, le;
    entry_rec_split(rec, len, x, &ls, &le); /* checked by store_entry_add */
    uint64_t file = x[0];
    int rc;
    if (w->n && (file != w->file_id || id != w->first + w->n) &&
        (rc = entry_blocks_fit(s, txn, w, 1, msg, msglen)))
        return rc;
    if (!w->n) {
        w->first = id;
        w->file_id = (uint32_t)file;
    }
    if (len > UINT32_MAX || jlen > UINT32_MAX || w->raw.len > UINT32_MAX - 2 * FZ_VARINT_MAX - len - jlen)
        return FZ_ELIMIT;
    w->off[w->n] = (uint32_t)w->raw.len;
    if (fz_buf_varint(&w->raw, len) || fz_buf_append(&w->raw, rec, len) || fz_buf_varint(&w->raw, jlen) ||
        fz_buf_append(&w->raw, join, jlen))
        return FZ_ENOMEM;
    w->n++;
    return entry_blocks_fit(s, txn, w, 0, msg, msglen);
}

int store_entry_flush(store *s, MDB_txn *txn, store_entry_writer *w, char *msg, size_t msglen)
{
    int rc = w->hold_state == 1 || w->hold_state == 3 ? entry_hold_release(s, txn, w, msg, msglen) : FZ_OK;
    if (!rc && w->packer)
        return packer_flush(s, txn, w, msg, msglen);
    return rc ? rc : entry_blocks_fit(s, txn, w, 1, msg, msglen);
}

void store_entry_writer_free(store_entry_writer *w)
{
    trainer_free(trainer_join(w));
    packer_stop(w);
    w->packer_off = 0;
    if (w->hold_state == 3)
        w->hold_state = 0;
    fz_buf_free(&w->raw);
    fz_buf_free(&w->val);
    fz_buf_free(&w->fit);
    fz_buf_free(&w->mraw);
    fz_buf_free(&w->traw);
    fz_buf_free(&w->jraw);
    fz_buf_free(&w->hold);
    fz_buf_free(&w->grp);
    w->grp_n = 0;
    w->ser_n = 0;
    w->hold_text = 0;
    w->fit_n = 0;
    w->n = 0;
}

int store_entry_del_range(store *s, MDB_txn *txn, uint32_t first, uint32_t n, char *msg, size_t msglen)
{
    uint64_t end = (uint64_t)first + n;
    int rc = 0;
    while (n && !rc) {
        /* the first block left whose last id is in the range (a fresh
         * lookup each time: no cursor is kept across a deletion) */
        MDB_cursor *cur;
        if ((rc = mdb_cursor_open(txn, s->dbi[STORE_DB_ENTRY], &cur)))
            break;
        uint8_t kb[4];
        fz_be32_put(kb, first);
        MDB_val k = {4, kb}, v;
        rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
        if (!rc && (k.mv_size != 4 || fz_be32_get(k.mv_data) >= end))
            rc = MDB_NOTFOUND;
        if (!rc)
            rc = mdb_cursor_del(cur, 0);
        mdb_cursor_close(cur);
    }
    if (rc && rc != MDB_NOTFOUND)
        return store_lmdb_err(rc, "removing an entry", msg, msglen);
    return FZ_OK;
}

/* ---- joins ---- */

int store_join_get(store *s, MDB_txn *txn, uint32_t id, const uint8_t **map, size_t *len)
{
    *map = NULL;
    *len = 0;
    uint32_t last;
    MDB_val v;
    int rc = entry_block_find(s, txn, id, &last, &v);
    if (rc)
        return rc;
    store_entry_block b;
    const uint8_t *text;
    if ((rc = entry_block_meta_open(v.mv_data, v.mv_size, last, 0, &b, &text)))
        return rc;
    for (uint32_t i = b.first; i <= id; i++)
        if (entry_join_step(&b, map, len))
            return FZ_ECORRUPT;
    return *map ? FZ_OK : FZ_ENOTFOUND;
}
