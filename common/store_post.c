/*
 * store_post.c -- the store's postings (store.h, "postings"): keys,
 * bit-packed runs, posting blocks and their cursors, block impacts, and
 * term packs.  The on-disk layout is written down in store.c (ON-DISK
 * FORMAT: POSTINGS, BLOCK STREAMS, TERM PACKS); store_int.h says what the
 * store's files share.
 */
#include "store_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- postings ---- */

size_t store_post_key(uint8_t *key, int field, const char *term, size_t term_len, uint32_t first)
{
    key[0] = (uint8_t)field;
    memcpy(key + 1, term, term_len);
    key[1 + term_len] = 0;
    fz_be32_put(key + 2 + term_len, first);
    return term_len + 6;
}

/* ---- bit-packed runs (BLOCK STREAMS in store.c) ---- */

/* Run modes: the first byte of a run. */
enum { RUN_FOR_MAX = 32, RUN_VARINT = 0x40, RUN_PFOR = 0x80 };

/* (without a branch: 2v + 1 has one bit more than v, and 0 has none) */
static inline uint32_t bits32(uint32_t v) { return 63 - (uint32_t)__builtin_clzll((uint64_t)v << 1 | 1); }

/* Packs n values minus lo, each masked to w bits (LSB first), at p;
 * returns the end.  Four bytes are stored at a time while 32 bits are
 * gathered (the bytes of the byte-by-byte packing). */
static uint8_t *bits_put(uint8_t *p, const uint32_t *v, uint32_t n, uint32_t w, uint32_t lo)
{
    if (w == 0)
        return p;
    uint64_t acc = 0, mask = ((uint64_t)1 << w) - 1;
    uint32_t have = 0;
    for (uint32_t i = 0; i < n; i++) {
        acc |= ((uint64_t)(v[i] - lo) & mask) << have; /* have < 32, w <= 32 */
        have += w;
        if (have >= 32) {
            p[0] = (uint8_t)acc;
            p[1] = (uint8_t)(acc >> 8);
            p[2] = (uint8_t)(acc >> 16);
            p[3] = (uint8_t)(acc >> 24);
            p += 4;
            acc >>= 32;
            have -= 32;
        }
    }
    for (; have > 0; have = have > 8 ? have - 8 : 0) {
        *p++ = (uint8_t)acc;
        acc >>= 8;
    }
    return p;
}

static inline size_t packed_bytes(uint32_t n, uint32_t w) { return ((size_t)n * w + 7) / 8; }

/* Eight bytes at p as a little-endian number. */
static inline uint64_t load_le64(const uint8_t *p)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
#else
    return le64_get(p);
#endif
}

/* Value i of w-bit values packed at p (nbytes of them). */
static inline uint32_t bits_at(const uint8_t *p, size_t nbytes, uint32_t w, uint32_t i)
{
    size_t o = (size_t)i * w, at = o >> 3;
    uint64_t x = 0;
    if (at + 8 <= nbytes)
        x = load_le64(p + at);
    else
        for (size_t k = 0; k < 5 && at + k < nbytes; k++)
            x |= (uint64_t)p[at + k] << (8 * k);
    return (uint32_t)((x >> (o & 7)) & (((uint64_t)1 << w) - 1));
}

/* Unpacks n values of w bits at p into v, lo added to each (the caller
 * checked that the packed bytes are there, and that lo plus any w bits
 * fits 32 bits); returns the end.  Each value is one unaligned 64-bit
 * little-endian load while 8 bytes are left before end, byte by byte
 * after. */
static const uint8_t *bits_get(const uint8_t *p, const uint8_t *end, uint32_t *v, uint32_t n, uint32_t w,
                               uint32_t lo)
{
    size_t nbytes = packed_bytes(n, w);
    if (w == 0) {
        for (uint32_t i = 0; i < n; i++)
            v[i] = lo;
        return p + nbytes;
    }
    uint64_t mask = ((uint64_t)1 << w) - 1;
    size_t room = (size_t)(end - p);
    uint32_t i = 0;
    /* groups of 8 values, w bytes each: the places of a group's values in
     * it are the same for every group, so none is counted on from the one
     * before (while a group's last load has 8 bytes before end) */
    uint32_t gat[8], sh[8];
    for (uint32_t k = 0; k < 8; k++) {
        gat[k] = k * w >> 3;
        sh[k] = k * w & 7;
    }
    if (room >= (size_t)gat[7] + 8) {
        size_t groups = (room - gat[7] - 8) / w + 1;
        if (groups > n / 8)
            groups = n / 8;
        for (size_t g = 0; g < groups; g++, i += 8) {
            const uint8_t *q = p + g * w;
            for (uint32_t k = 0; k < 8; k++)
                v[i + k] = lo + (uint32_t)((load_le64(q + gat[k]) >> sh[k]) & mask);
        }
    }
    for (size_t o = (size_t)i * w; i < n && (o >> 3) + 8 <= room; i++, o += w)
        v[i] = lo + (uint32_t)((load_le64(p + (o >> 3)) >> (o & 7)) & mask);
    for (size_t o = (size_t)i * w; i < n; i++, o += w) {
        uint64_t x = 0;
        size_t at = o >> 3;
        for (size_t k = 0; k < 5 && at + k < nbytes; k++)
            x |= (uint64_t)p[at + k] << (8 * k);
        v[i] = lo + (uint32_t)((x >> (o & 7)) & mask);
    }
    return p + nbytes;
}


/* Appends a run of n (1 .. STORE_RUN) values to out in its smallest mode:
 * frame of reference (the least value, then each minus it in w bits),
 * varints, or patched frame of reference (the values over w bits after
 * the least are exceptions: their low w bits packed, their index and high
 * bits after).  Ties go to the mode named first. */
_Static_assert((STORE_RUN + 3) / 4 <= UINT8_MAX, "run_put's histograms count in bytes");
static int run_put(fz_buf *out, const uint32_t *v, uint32_t n)
{
    /* the least and greatest, four values a turn */
    uint32_t lo = v[0], hi = v[0], lo2 = v[0], hi2 = v[0];
    uint32_t k = 0;
    for (; k + 4 <= n; k += 4) {
        uint32_t a = v[k] < v[k + 1] ? v[k] : v[k + 1], b = v[k] < v[k + 1] ? v[k + 1] : v[k];
        uint32_t c = v[k + 2] < v[k + 3] ? v[k + 2] : v[k + 3], d = v[k + 2] < v[k + 3] ? v[k + 3] : v[k + 2];
        lo = a < lo ? a : lo;
        hi = b > hi ? b : hi;
        lo2 = c < lo2 ? c : lo2;
        hi2 = d > hi2 ? d : hi2;
    }
    for (; k < n; k++) {
        lo = v[k] < lo ? v[k] : lo;
        hi = v[k] > hi ? v[k] : hi;
    }
    lo = lo2 < lo ? lo2 : lo;
    hi = hi2 > hi ? hi2 : hi;
    uint32_t w = bits32(hi - lo);
    size_t fsize = 1 + fz_varint_len32(lo) + packed_bytes(n, w);
    /* PFOR: the width below w whose exceptions cost least, among those
     * that leave at most a quarter of the run exceptions */
    size_t psize = SIZE_MAX;
    uint32_t pw = 0, nexc = 0;
    if (n >= 8 && w > 0) {
        /* four histograms in turn: most values have the same width, and
         * one counter's increments would wait on each other */
        uint32_t nb[33], ne = 0;
        uint8_t nb4[4][33] = {{0}}; /* a quarter of n <= STORE_RUN values counts in a byte:
                                     * a quarter of the bytes to clear */
        uint32_t i = 0;
        for (; i + 4 <= n; i += 4) {
            nb4[0][bits32(v[i] - lo)]++;
            nb4[1][bits32(v[i + 1] - lo)]++;
            nb4[2][bits32(v[i + 2] - lo)]++;
            nb4[3][bits32(v[i + 3] - lo)]++;
        }
        for (; i < n; i++)
            nb4[i % 4][bits32(v[i] - lo)]++;
        for (uint32_t x = 0; x <= w; x++)
            nb[x] = nb4[0][x] + nb4[1][x] + nb4[2][x] + nb4[3][x];
        for (uint32_t x = w; x-- > 0;) {
            ne += nb[x + 1];
            if (ne * 4 > n)
                break;
            size_t sz = 1 + fz_varint_len32(lo) + fz_varint_len32(ne) + packed_bytes(n, x);
            for (uint32_t b = x + 1; b <= w; b++)
                sz += (size_t)nb[b] * (1 + (b - x + 6) / 7);
            if (sz < psize) {
                psize = sz;
                pw = x;
                nexc = ne;
            }
        }
    }
    /* varints: at least a byte a value, so counted only where that
     * bound does not already lose to the other modes (ties included) */
    size_t vsize = SIZE_MAX;
    if (!(1 + (size_t)n >= fsize && fsize <= psize) && !(1 + (size_t)n > psize)) {
        /* a byte a value and one more for each 7 bits it passes (in a
         * loop the compiler vectorizes) */
        uint32_t more = 0;
        for (uint32_t i = 0; i < n; i++)
            more += (uint32_t)(v[i] > 0x7f) + (v[i] > 0x3fff) + (v[i] > 0x1fffff) + (v[i] > 0xfffffff);
        vsize = 1 + (size_t)n + more;
    }
    size_t size = fsize <= vsize && fsize <= psize ? fsize : vsize <= psize ? vsize : psize;
    /* room for the largest run (every value an exception), whatever
     * size says */
    if (fz_buf_reserve(out, 11 + 10 * (size_t)n))
        return FZ_ENOMEM;
    uint8_t *p = (uint8_t *)out->p + out->len, *p0 = p;
    if (size == fsize) {
        *p++ = (uint8_t)w;
        p += fz_varint_put(p, lo);
        p = bits_put(p, v, n, w, lo);
    } else if (size == vsize) {
        *p++ = RUN_VARINT;
        for (uint32_t i = 0; i < n; i++)
            p += fz_varint_put(p, v[i]);
    } else {
        *p++ = (uint8_t)(RUN_PFOR | pw);
        p += fz_varint_put(p, lo);
        p += fz_varint_put(p, nexc);
        p = bits_put(p, v, n, pw, lo);
        /* the exceptions' indexes gathered without a branch (where they
         * fall in the run is not predictable), then written */
        uint8_t exc[STORE_RUN];
        uint32_t ne = 0;
        for (uint32_t i = 0; i < n; i++) {
            exc[ne] = (uint8_t)i;
            ne += ((v[i] - lo) >> pw) != 0;
        }
        for (uint32_t e = 0; e < ne; e++) {
            *p++ = exc[e];
            p += fz_varint_put(p, (v[exc[e]] - lo) >> pw);
        }
    }
    out->len += (size_t)(p - p0);
    out->p[out->len] = 0; /* fz_buf keeps its bytes NUL-terminated */
    return FZ_OK;
}

/* Appends a stream of n values (runs of STORE_RUN, the last shorter). */
static int stream_put(fz_buf *out, const uint32_t *v, uint64_t n)
{
    for (uint64_t i = 0; i < n; i += STORE_RUN) {
        int rc = run_put(out, v + i, n - i < STORE_RUN ? (uint32_t)(n - i) : STORE_RUN);
        if (rc)
            return rc;
    }
    return FZ_OK;
}

/* A 32-bit varint (NULL when it is not one or runs past end). */
static inline const uint8_t *get_u32(const uint8_t *p, const uint8_t *end, uint32_t *v)
{
    uint64_t x;
    if (p < end && *p < 0x80) {
        *v = *p;
        return p + 1;
    }
    if (!(p = fz_varint_get(p, end, &x)) || x > UINT32_MAX)
        return NULL;
    *v = (uint32_t)x;
    return p;
}

/* The end of n varints starting at p (NULL when they run past end). */
static const uint8_t *skip_varints(const uint8_t *p, const uint8_t *end, uint64_t n)
{
    while (n > 0) {
        if (p >= end)
            return NULL;
        if (!(*p++ & 0x80))
            n--;
    }
    return p;
}

/* Decodes a run of n (1 .. STORE_RUN) values at p into v; returns its
 * end, or NULL when it does not decode (an unknown mode, bytes missing, a
 * value above 32 bits, an exception index out of the run or not
 * ascending).  With v NULL only walks it: its end, or NULL for an unknown
 * mode or bytes missing. */
static const uint8_t *run_get(const uint8_t *p, const uint8_t *end, uint32_t n, uint32_t *v)
{
    if (p >= end)
        return NULL;
    uint32_t m = *p++, lo, w, nexc = 0;
    if (m == RUN_VARINT) {
        for (uint32_t i = 0; i < n; i++) {
            uint32_t x;
            if (!(p = get_u32(p, end, &x)))
                return NULL;
            if (v)
                v[i] = x;
        }
        return p;
    }
    if (m <= RUN_FOR_MAX)
        w = m;
    else if ((m & ~31u) == RUN_PFOR)
        w = m & 31;
    else
        return NULL;
    if (!(p = get_u32(p, end, &lo)) || (m > RUN_FOR_MAX && !(p = get_u32(p, end, &nexc))) || nexc > n)
        return NULL;
    size_t nbytes = packed_bytes(n, w);
    if (nbytes > (size_t)(end - p))
        return NULL;
    if (!v) {
        /* a walk: the run's length only (its values are checked when
         * decoded) */
        p += nbytes;
        for (uint32_t e = 0; e < nexc; e++) {
            if (p >= end)
                return NULL;
            p++;
            if (!(p = skip_varints(p, end, 1)))
                return NULL;
        }
        return p;
    }
    /* the base added while unpacking, unless a value might then exceed
     * 32 bits: then after, each value checked */
    uint64_t top = (uint64_t)lo + (w ? ((uint64_t)1 << w) - 1 : 0);
    uint32_t add = top <= UINT32_MAX ? lo : 0;
    p = bits_get(p, end, v, n, w, add);
    int prev = -1;
    for (uint32_t e = 0; e < nexc; e++) {
        uint32_t hi;
        if (p >= end || (int)*p <= prev || *p >= n)
            return NULL;
        uint32_t at = *p++;
        prev = (int)at;
        if (!(p = get_u32(p, end, &hi)) || hi == 0 || (w + bits32(hi)) > 32 ||
            (uint64_t)v[at] + ((uint64_t)hi << w) > UINT32_MAX)
            return NULL;
        v[at] += hi << w;
    }
    if (add != lo)
        for (uint32_t i = 0; i < n; i++) {
            if ((uint64_t)v[i] + lo > UINT32_MAX)
                return NULL;
            v[i] += lo;
        }
    return p;
}

/* Decodes a stream of n (at most STORE_RUN) values. */
static inline const uint8_t *stream_get(const uint8_t *p, const uint8_t *end, uint32_t n, uint32_t *v)
{
    return n ? run_get(p, end, n, v) : p;
}

/* ---- posting blocks ---- */

/* Decodes the frequencies of a record in the record form at p
 * (store_tf_put's): tf_body, tf_title.  Returns the end of them, or NULL
 * when malformed. */
static inline const uint8_t *get_tf(const uint8_t *p, const uint8_t *end, uint32_t *tf_body, uint32_t *tf_title)
{
    uint32_t code, tt = 0;
    if (!(p = get_u32(p, end, &code)))
        return NULL;
    if (code == 0)
        tt = 1; /* one occurrence, in the title (store_tf_put) */
    else if ((code & 1) && (!(p = get_u32(p, end, &tt)) || tt == 0))
        return NULL;
    *tf_body = code >> 1;
    *tf_title = tt;
    return p;
}

/* Decodes a record's head at p: the id delta, tf_body, tf_title (its
 * positions follow).  Returns the end of the head, or NULL when it is
 * malformed. */
static inline const uint8_t *get_record(const uint8_t *p, const uint8_t *end, uint32_t *delta,
                                        uint32_t *tf_body, uint32_t *tf_title)
{
    if (!(p = get_u32(p, end, delta)))
        return NULL;
    return get_tf(p, end, tf_body, tf_title);
}


/* A frequency stream of block b (one run: ndocs <= STORE_RUN): a frame
 * of reference read in place (the value i of its bits), or else decoded
 * whole into arr at open.  Sets *bits NULL for the latter. */
static const uint8_t *tf_stream(const uint8_t *p, const uint8_t *end, uint32_t n, uint32_t *arr,
                                const uint8_t **bits, uint32_t *lo, uint32_t *w)
{
    *bits = NULL;
    if (p < end && *p <= RUN_FOR_MAX) {
        const uint8_t *q = p + 1;
        uint32_t base;
        if (!(q = get_u32(q, end, &base)))
            return NULL;
        uint32_t width = *p;
        size_t nbytes = packed_bytes(n, width);
        if (nbytes <= (size_t)(end - q) && (uint64_t)base + (((uint64_t)1 << width) - 1) <= UINT32_MAX) {
            *bits = q;
            *lo = base;
            *w = width;
            return q + nbytes;
        }
    }
    return run_get(p, end, n, arr);
}

static inline uint32_t tf_value(const uint8_t *bits, uint32_t lo, uint32_t w, const uint32_t *arr, uint32_t n,
                                uint32_t i)
{
    return bits ? lo + (w ? bits_at(bits, packed_bytes(n, w), w, i) : 0) : arr[i];
}

/* The cursor of a block (not a packed term) on its document i (its id
 * decoded, when i > 0). */
static inline void block_at(store_block *b, uint32_t i)
{
    b->i = i;
    if (i >= b->ndocs) {
        b->i = b->ndocs;
        b->tf_title = b->tf_body = 0;
        return;
    }
    b->doc = b->id[i];
    b->tf_title = tf_value(b->tt_bits, b->tt_lo, b->tt_w, b->tt, b->ndocs, i);
    b->tf_body = tf_value(b->tb_bits, b->tb_lo, b->tb_w, b->tb, b->ndocs, i);
}

/* Decodes b's ids (on its cursor's first move): FZ_OK, or FZ_ECORRUPT
 * when they do not ascend within [first, last]. */
static int block_ids(store_block *b)
{
    if (b->ids_done)
        return b->ids_done > 0 ? FZ_OK : FZ_ECORRUPT;
    b->ids_done = -1;
    uint32_t n = b->ndocs;
    if (n > 1 && !run_get(b->docs, b->tstream, n - 1, b->id + 1))
        return FZ_ECORRUPT;
    uint64_t doc = b->first;
    for (uint32_t i = 1; i < n; i++) {
        if (b->id[i] == 0)
            return FZ_ECORRUPT;
        doc += b->id[i];
        b->id[i] = (uint32_t)doc;
    }
    if (doc > b->last)
        return FZ_ECORRUPT;
    b->ids_done = 1;
    return FZ_OK;
}

/* Where each document's positions start (on the first positions asked
 * for): FZ_OK, or FZ_ECORRUPT for a document without occurrences. */
/* Decodes b's frequency streams that are read in place (a frame of
 * reference) into its arrays, which tf_value reads from then on. */
static void block_tfs(store_block *b)
{
    if (b->tt_bits) {
        bits_get(b->tt_bits, b->docs_end, b->tt, b->ndocs, b->tt_w, b->tt_lo);
        b->tt_bits = NULL;
    }
    if (b->tb_bits) {
        bits_get(b->tb_bits, b->docs_end, b->tb, b->ndocs, b->tb_w, b->tb_lo);
        b->tb_bits = NULL;
    }
}

static int block_pofs(store_block *b)
{
    if (b->pofs_done)
        return b->pofs_done > 0 ? FZ_OK : FZ_ECORRUPT;
    b->pofs_done = -1;
    /* the frequencies read in place decoded now, for the sums and the
     * cursor's moves after */
    block_tfs(b);
    uint64_t s = 0;
    for (uint32_t i = 0; i < b->ndocs; i++) {
        b->pofs[i] = s;
        uint64_t f = (uint64_t)b->tt[i] + b->tb[i];
        if (f == 0)
            return FZ_ECORRUPT; /* a document without occurrences */
        s += f;
    }
    b->pofs[b->ndocs] = s;
    b->npos = s;
    b->pofs_done = 1;
    return FZ_OK;
}

/* The header and the recorded impact of a block value: sets b's fields
 * down to q; the streams start at the return (NULL: malformed). */
static const uint8_t *block_head(store_block *b, uint32_t first, const void *val, size_t len)
{
    const uint8_t *p = val, *end = p + len;
    uint32_t x[5];
    for (int i = 0; i < 5; i++)
        if (!(p = get_u32(p, end, &x[i])))
            return NULL;
    if (x[0] == 0 || x[0] > STORE_BLOCK_DOCS || x[1] > UINT32_MAX - first)
        return NULL;
    b->first = first;
    b->ndocs = x[0];
    b->last = first + x[1];
    b->max_tf_title = x[2];
    b->max_tf_body = x[3];
    b->min_dl = x[4];
    b->a0 = b->q = 0;
    b->packed = 0;
    if (b->ndocs > STORE_IMPACT_DOCS) {
        if (!(p = get_u32(p, end, &x[0])) || !(p = get_u32(p, end, &x[1])) || x[0] == 0 || x[1] == 0 ||
            x[1] > 255)
            return NULL;
        b->a0 = x[0];
        b->q = x[1];
    }
    return p;
}

int store_block_head(store_block *b, uint32_t first, const void *val, size_t len)
{
    if (!block_head(b, first, val, len))
        return FZ_ECORRUPT;
    b->i = b->ndocs; /* no cursor */
    b->docs = b->docs_end = NULL;
    return FZ_OK;
}

int store_block_open(store_block *b, uint32_t first, const void *val, size_t len)
{
    const uint8_t *p = block_head(b, first, val, len), *end = (const uint8_t *)val + len;
    if (!p)
        return FZ_ECORRUPT;
    b->docs = p;
    b->docs_end = end;
    uint32_t n = b->ndocs;
    /* the id stream is walked (decoded on the cursor's first move), the
     * frequencies read in place where they are a frame of reference */
    if (n > 1 && !(p = run_get(p, end, n - 1, NULL)))
        return FZ_ECORRUPT;
    b->tstream = p;
    if (!(p = tf_stream(p, end, n, b->tt, &b->tt_bits, &b->tt_lo, &b->tt_w)) ||
        !(p = tf_stream(p, end, n, b->tb, &b->tb_bits, &b->tb_lo, &b->tb_w)))
        return FZ_ECORRUPT;
    b->ids_done = n == 1;
    b->pofs_done = 0;
    b->npos = 0;
    b->nopos = p == end; /* every position stream takes a byte at least */
    b->pstream = b->prun_at = p;
    b->prun_bits = NULL;
    b->prun_k = 0;
    b->pbuf_k = UINT32_MAX;
    b->doc_next = b->doc_pos = NULL;
    b->id[0] = first;
    block_at(b, 0);
    return FZ_OK;
}

/* The head of record i of a packed term: the first has no id delta (it
 * is 0). */
static inline const uint8_t *tpack_record(uint32_t i, const uint8_t *p, const uint8_t *end, uint32_t *delta,
                                          uint32_t *tf_body, uint32_t *tf_title)
{
    if (i == 0) {
        *delta = 0;
        return get_tf(p, end, tf_body, tf_title);
    }
    return get_record(p, end, delta, tf_body, tf_title);
}

/* store_block_next on a packed term's records. */
static int tpack_block_next(store_block *b)
{
    /* skip the current document's positions */
    const uint8_t *p = b->i == (uint32_t)-1 ? b->doc_next
                       : b->nopos         ? b->doc_pos
                                          : skip_varints(b->doc_pos, b->docs_end, (uint64_t)b->tf_title + b->tf_body);
    if (!p)
        return FZ_ECORRUPT;
    b->doc_next = p;
    b->i++;
    if (b->i >= b->ndocs) {
        b->i = b->ndocs;
        b->doc_pos = p;
        b->tf_title = b->tf_body = 0;
        return FZ_ENOTFOUND;
    }
    uint32_t d, tb, tt;
    /* ids ascend from first (delta 0) and stay within the block's range */
    if (!(p = tpack_record(b->i, p, b->docs_end, &d, &tb, &tt)) || (d == 0) != (b->i == 0) ||
        d > b->last - b->doc)
        return FZ_ECORRUPT;
    b->doc += d;
    b->tf_title = tt;
    b->tf_body = tb;
    b->doc_pos = p;
    return FZ_OK;
}

int store_block_next(store_block *b)
{
    if (b->packed)
        return tpack_block_next(b);
    if (b->i >= b->ndocs)
        return FZ_ENOTFOUND;
    if (block_ids(b))
        return FZ_ECORRUPT;
    block_at(b, b->i + 1);
    return b->i < b->ndocs ? FZ_OK : FZ_ENOTFOUND;
}

int store_block_arrays(store_block *b, const uint32_t **id, const uint32_t **tt, const uint32_t **tb)
{
    if (b->packed || block_ids(b))
        return FZ_ECORRUPT;
    block_tfs(b);
    *id = b->id;
    *tt = b->tt;
    *tb = b->tb;
    return FZ_OK;
}

int store_block_ids(store_block *b, const uint32_t **id)
{
    if (b->packed || block_ids(b))
        return FZ_ECORRUPT;
    *id = b->id;
    return FZ_OK;
}

void store_block_move(store_block *b, uint32_t i)
{
    block_at(b, i);
}

int store_block_seek(store_block *b, uint32_t target)
{
    if (b->i < b->ndocs && b->doc >= target)
        return FZ_OK;
    if (b->i >= b->ndocs && b->i != (uint32_t)-1)
        return FZ_ENOTFOUND;
    if (b->packed) {
        int rc;
        while ((rc = tpack_block_next(b)) == FZ_OK && b->doc < target)
            ;
        return rc;
    }
    if (block_ids(b))
        return FZ_ECORRUPT;
    /* the first id >= target after the current one, by a bisection
     * without branches (their mispredictions cost more than the steps) */
    uint32_t lo = b->i + 1, n = b->ndocs - lo;
    if (n > 0) {
        const uint32_t *a = b->id + lo;
        while (n > 1) {
            uint32_t half = n / 2;
            a = a[half] < target ? a + half : a;
            n -= half;
        }
        lo = (uint32_t)(a - b->id) + (*a < target);
    }
    block_at(b, lo);
    return lo < b->ndocs ? FZ_OK : FZ_ENOTFOUND;
}

/* Moves b's run cursor to run k of its position stream and reads that
 * run's head: a frame of reference is read in place (prun_bits), any
 * other run decoded into pbuf.  FZ_OK or FZ_ECORRUPT. */
static int prun_load(store_block *b, uint32_t k)
{
    if (k < b->prun_k) {
        b->prun_k = 0;
        b->prun_at = b->pstream;
        b->pbuf_k = UINT32_MAX;
    }
    while (b->prun_k < k) {
        if (!(b->prun_at = run_get(b->prun_at, b->docs_end, STORE_RUN, NULL))) {
            b->prun_at = b->pstream;
            b->prun_k = 0;
            return FZ_ECORRUPT;
        }
        b->prun_k++;
        b->pbuf_k = UINT32_MAX;
    }
    uint64_t left = b->npos - (uint64_t)k * STORE_RUN;
    uint32_t n = left < STORE_RUN ? (uint32_t)left : STORE_RUN;
    const uint8_t *p = b->prun_at, *end = b->docs_end;
    b->prun_bits = NULL;
    if (p < end && *p <= RUN_FOR_MAX) {
        uint32_t lo, w = *p;
        const uint8_t *q = get_u32(p + 1, end, &lo);
        if (q && packed_bytes(n, w) <= (size_t)(end - q) && (uint64_t)lo + (((uint64_t)1 << w) - 1) <= UINT32_MAX) {
            b->prun_bits = q;
            b->prun_lo = lo;
            b->prun_w = w;
            b->prun_n = n;
            b->pbuf_k = k;
            return FZ_OK;
        }
    }
    if (!run_get(p, end, n, b->pbuf)) {
        b->pbuf_k = UINT32_MAX;
        return FZ_ECORRUPT;
    }
    b->pbuf_k = k;
    return FZ_OK;
}

int store_block_positions(store_block *b, uint32_t *out, uint32_t max)
{
    uint64_t n64 = (uint64_t)b->tf_title + b->tf_body;
    uint32_t n = n64 > max ? max : (uint32_t)n64, pos = 0;
    if (b->nopos)
        return n ? FZ_ECORRUPT : 0; /* the field keeps none */
    if (b->packed) {
        const uint8_t *p = b->doc_pos, *end = b->docs_end;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t d;
            if (!(p = get_u32(p, end, &d)) || d > UINT32_MAX - pos)
                return FZ_ECORRUPT;
            pos += d;
            out[i] = pos;
        }
        return (int)n;
    }
    if (b->i >= b->ndocs)
        return 0;
    if (block_pofs(b))
        return FZ_ECORRUPT;
    uint64_t at = b->pofs[b->i];
    for (uint32_t i = 0; i < n; i++, at++) {
        uint32_t k = (uint32_t)(at / STORE_RUN), j = (uint32_t)(at % STORE_RUN);
        if (b->pbuf_k != k && prun_load(b, k))
            return FZ_ECORRUPT;
        uint32_t d = b->prun_bits ? b->prun_lo + (b->prun_w ? bits_at(b->prun_bits, packed_bytes(b->prun_n, b->prun_w),
                                                                       b->prun_w, j)
                                                            : 0)
                                  : b->pbuf[j];
        if (d > UINT32_MAX - pos)
            return FZ_ECORRUPT;
        pos += d;
        out[i] = pos;
    }
    return (int)n;
}

int store_block_verify(store_block *b)
{
    if (b->packed)
        return FZ_OK;
    if (block_ids(b) || block_pofs(b))
        return FZ_ECORRUPT;
    if (b->nopos)
        return FZ_OK; /* the value ends after the frequencies (open saw to it) */
    const uint8_t *p = b->pstream;
    uint32_t tmp[STORE_RUN];
    for (uint64_t at = 0; at < b->npos; at += STORE_RUN) {
        uint64_t left = b->npos - at;
        if (!(p = run_get(p, b->docs_end, left < STORE_RUN ? (uint32_t)left : STORE_RUN, tmp)))
            return FZ_ECORRUPT;
    }
    return p == b->docs_end ? FZ_OK : FZ_ECORRUPT;
}

double store_impact_w(double tf, uint32_t dl, uint32_t a0)
{
    double norm = STORE_BM25_K1 * (1.0 - STORE_BM25_B + STORE_BM25_B * dl / (a0 ? a0 : 1));
    return tf * (STORE_BM25_K1 + 1.0) / (tf + norm);
}

double store_impact(uint32_t tf_title, uint32_t tf_body, uint32_t dl, uint32_t a0)
{
    return store_impact_w(STORE_TITLE_WEIGHT * tf_title + tf_body, dl, a0);
}

uint32_t store_impact_q(double impact)
{
    double q = ceil(impact / (STORE_BM25_K1 + 1.0) * 255.0 * (1.0 + 1e-9));
    return q < 1 ? 1 : q > 255 ? 255 : (uint32_t)q;
}

double store_impact_value(uint32_t q) { return q * (STORE_BM25_K1 + 1.0) / 255.0; }

double store_block_impact_bound(const store_block *b, double avgdl)
{
    if (!b->q)
        return 0;
    double v = store_impact_value(b->q);
    if (avgdl <= b->a0)
        return v * (1.0 + 1e-9); /* every length norm grows: no impact rises */
    /* At a larger average length only the length's part of a document's
     * norm shrinks, by e = 1 - a0/avgdl: its denominator D = tf' + k1 (1 -
     * b) + k1 b dl/a0 becomes D (1 - e) + (tf' + k1 (1 - b)) e, at least
     * D (1 - e) + e D i/(k1 + 1) for an impact i = tf' (k1 + 1)/D at a0;
     * so the impact is at most i/((1 - e) + e i/(k1 + 1)), which grows
     * with i, and i <= v.  (Dividing by 1 - e alone, as before, took the
     * whole denominator as the length's part: 0.33 % above v on the
     * poetry bench, where a0 is the average rounded down, against 0.02 %
     * now; a frequent character's top-k scores 3 % fewer blocks.) */
    double e = 1.0 - b->a0 / avgdl;
    return v / ((1.0 - e) + e * v / (STORE_BM25_K1 + 1.0)) * (1.0 + 1e-9);
}

int store_block_extra(const uint8_t *recs, size_t len, uint32_t ndocs, uint32_t first, uint32_t a0, double best,
                      const store_dl_span *dls, int positions, fz_buf *out)
{
    if (ndocs == 0 || ndocs > STORE_BLOCK_DOCS)
        return FZ_ECORRUPT;
    /* the records once for ids and frequencies, once more for positions */
    uint32_t d[STORE_BLOCK_DOCS], tt[STORE_BLOCK_DOCS], tb[STORE_BLOCK_DOCS], run[STORE_RUN];
    const uint8_t *at[STORE_BLOCK_DOCS], *p = recs, *end = recs + len;
    /* the documents' lengths for the exact impact below are all over
     * dls: fetched as the ids come */
    const uint32_t *pf = ndocs > STORE_IMPACT_DOCS && dls ? dls->dl : NULL;
    uint64_t pid = (uint64_t)first - (dls ? dls->base : 0);
    for (uint32_t i = 0; i < ndocs; i++) {
        if (!(p = get_record(p, end, &d[i], &tb[i], &tt[i])) || (d[i] == 0) != (i == 0))
            return FZ_ECORRUPT;
        pid += d[i];
        if (pf && pid < dls->n)
            __builtin_prefetch(pf + pid);
        at[i] = p;
        if (positions && !(p = skip_varints(p, end, (uint64_t)tt[i] + tb[i])))
            return FZ_ECORRUPT;
    }
    if (p != end)
        return FZ_ECORRUPT;
    if (ndocs > STORE_IMPACT_DOCS) {
        /* the exact largest impact where every length is at hand */
        uint64_t id = first;
        double exact = 0;
        uint64_t btw = 0; /* the weighted frequency and length of the document of exact */
        uint32_t i = 0, bdl = UINT32_MAX;
        for (; dls && i < ndocs; i++) {
            id += d[i];
            if (id < dls->base || id - dls->base >= dls->n)
                break;
            uint32_t dl = dls->dl[id - dls->base];
            uint64_t tw = (uint64_t)STORE_TITLE_WEIGHT * tt[i] + tb[i]; /* a whole weight: exact */
            /* the impact grows with tw and shrinks with dl, so a document
             * of no more tw and no less dl than the best's has no more
             * (in doubles too: the same tw gives a quotient of the same
             * numerator and no less denominator; a smaller tw, below
             * 2^20, one at least 2.7e-13 less, far more than rounding) */
            if (dl >= bdl && (tw == btw || (tw < btw && btw <= 1048576)))
                continue;
            double im = store_impact(tt[i], tb[i], dl, a0);
            if (im > exact) {
                exact = im;
                btw = tw;
                bdl = dl;
            }
        }
        if (dls && i == ndocs)
            best = exact;
        if (fz_buf_varint(out, a0 ? a0 : 1) || fz_buf_varint(out, store_impact_q(best)))
            return FZ_ENOMEM;
    }
    int rc;
    if ((rc = stream_put(out, d + 1, ndocs - 1)) || (rc = stream_put(out, tt, ndocs)) ||
        (rc = stream_put(out, tb, ndocs)))
        return rc;
    if (!positions)
        return FZ_OK;
    uint32_t nrun = 0;
    for (uint32_t i = 0; i < ndocs; i++) {
        p = at[i];
        for (uint64_t j = (uint64_t)tt[i] + tb[i]; j > 0; j--) {
            p = get_u32(p, end, &run[nrun]);
            if (!p)
                return FZ_ECORRUPT;
            if (++nrun == STORE_RUN) {
                if ((rc = run_put(out, run, nrun)))
                    return rc;
                nrun = 0;
            }
        }
    }
    return nrun ? run_put(out, run, nrun) : FZ_OK;
}

size_t store_block_header(uint8_t *out, uint32_t ndocs, uint32_t span, uint32_t max_tf_title,
                          uint32_t max_tf_body, uint32_t min_dl)
{
    size_t n = 0;
    n += fz_varint_put(out + n, ndocs);
    n += fz_varint_put(out + n, span);
    n += fz_varint_put(out + n, max_tf_title);
    n += fz_varint_put(out + n, max_tf_body);
    n += fz_varint_put(out + n, min_dl);
    return n;
}

void store_bb_reset(store_block_builder *bb)
{
    bb->docs.len = 0;
    bb->pos.len = 0;
    bb->first = bb->last = bb->ndocs = 0;
    bb->max_tf_title = bb->max_tf_body = 0;
    bb->min_dl = UINT32_MAX;
}

void store_bb_begin(store_block_builder *bb, int field)
{
    store_bb_reset(bb);
    bb->nopos = !store_field_positions(field);
}

int store_bb_add_block(store *s, MDB_txn *txn, store_dlen_cache *dc, store_block *b, store_block_builder *bb,
                       uint32_t **pos, size_t *pcap, const store_range *skip, size_t nskip)
{
    if (b->nopos != bb->nopos)
        return FZ_ECORRUPT;
    int rc;
    do {
        if (nskip && store_dead_end(skip, nskip, b->doc))
            continue;
        uint32_t np = b->nopos ? 0 : b->tf_title + b->tf_body;
        if (np > *pcap) {
            uint32_t *p = realloc(*pos, (size_t)np * sizeof *p);
            if (!p)
                return FZ_ENOMEM;
            *pos = p;
            *pcap = np;
        }
        if (store_block_positions(b, *pos, np) != (int)np)
            return FZ_ECORRUPT;
        if (store_bb_add(bb, b->doc, store_dlen_get(s, txn, dc, b->doc), *pos, b->tf_title, b->tf_body))
            return FZ_ENOMEM;
    } while ((rc = store_block_next(b)) == FZ_OK);
    return rc == FZ_ENOTFOUND ? FZ_OK : FZ_ECORRUPT;
}

int store_bb_add(store_block_builder *bb, uint32_t doc, uint32_t dl, const uint32_t *positions,
                 uint32_t tf_title, uint32_t tf_body)
{
    if (bb->ndocs == 0)
        bb->first = bb->last = doc;
    uint32_t prev = 0, n = tf_title + tf_body;
    int rc = 0;
    uint8_t tf[STORE_TF_MAX];
    rc |= fz_buf_varint(&bb->docs, doc - bb->last);
    rc |= fz_buf_append(&bb->docs, tf, store_tf_put(tf, tf_title, tf_body));
    for (uint32_t i = 0; i < n && !bb->nopos; i++) {
        rc |= fz_buf_varint(&bb->docs, positions[i] - prev);
        prev = positions[i];
    }
    uint32_t pair[2] = {(uint32_t)(STORE_TITLE_WEIGHT * tf_title) + tf_body, dl};
    rc |= fz_buf_append(&bb->pos, pair, sizeof pair);
    if (rc)
        return FZ_ENOMEM;
    bb->last = doc;
    bb->ndocs++;
    if (tf_title > bb->max_tf_title)
        bb->max_tf_title = tf_title;
    if (tf_body > bb->max_tf_body)
        bb->max_tf_body = tf_body;
    if (dl < bb->min_dl)
        bb->min_dl = dl;
    return FZ_OK;
}

int store_bb_finish(store_block_builder *bb, uint32_t a0, fz_buf *out)
{
    out->len = 0;
    int rc = 0;
    rc |= fz_buf_varint(out, bb->ndocs);
    rc |= fz_buf_varint(out, bb->last - bb->first);
    rc |= fz_buf_varint(out, bb->max_tf_title);
    rc |= fz_buf_varint(out, bb->max_tf_body);
    rc |= fz_buf_varint(out, bb->min_dl == UINT32_MAX ? 0 : bb->min_dl);
    if (rc)
        return FZ_ENOMEM;
    double best = 0;
    for (uint32_t i = 0; i < bb->ndocs && bb->ndocs > STORE_IMPACT_DOCS; i++) {
        uint32_t pair[2];
        memcpy(pair, bb->pos.p + 8 * (size_t)i, sizeof pair);
        double im = store_impact_w(pair[0], pair[1], a0);
        if (im > best)
            best = im;
    }
    return store_block_extra((const uint8_t *)bb->docs.p, bb->docs.len, bb->ndocs, bb->first, a0, best, NULL, !bb->nopos,
                             out);
}

void store_bb_free(store_block_builder *bb)
{
    fz_buf_free(&bb->docs);
    fz_buf_free(&bb->pos);
}

/* ---- term packs (TERM PACKS in store.c) ---- */

size_t store_tpack_key(uint8_t *key, int field, const char *term, size_t term_len)
{
    key[0] = (uint8_t)field;
    memcpy(key + 1, term, term_len);
    key[1 + term_len] = 0;
    return term_len + 2;
}

int store_key_is_tpack(const void *key, size_t len)
{
    const uint8_t *k = key;
    return len >= 2 && k[len - 1] == 0 && !memchr(k + 1, 0, len - 2);
}

/* Order of term a against b as their keys sort: bytes, shorter first. */
static int term_order(const char *a, size_t la, const char *b, size_t lb)
{
    int c = memcmp(a, b, la < lb ? la : lb);
    if (c)
        return c;
    return la < lb ? -1 : la > lb;
}

/* The end of a packed term's ndocs records at p (NULL when they do not
 * decode). */
static const uint8_t *tpack_records_end(const uint8_t *p, const uint8_t *end, uint32_t ndocs, int positions)
{
    for (uint32_t i = 0; i < ndocs; i++) {
        uint32_t d, tb, tt;
        if (i == 0 ? !(p = get_tf(p, end, &tb, &tt)) : !(p = get_record(p, end, &d, &tb, &tt)))
            return NULL;
        if ((i > 0 && d == 0) || (positions && !(p = skip_varints(p, end, (uint64_t)tt + tb))))
            return NULL;
    }
    return p;
}

int store_tpack_next(store_tpack_iter *it)
{
    if (it->p >= it->end)
        return FZ_ENOTFOUND;
    const uint8_t *p = it->p, *end = it->end;
    uint64_t shared, n, nd, first;
    if (!(p = fz_varint_get(p, end, &shared)) || !(p = fz_varint_get(p, end, &n)) || shared > it->term_len ||
        n > (uint64_t)(end - p) || shared + n > STORE_KEY_MAX - 6 || shared + n == 0)
        return FZ_ECORRUPT;
    const char *suf = (const char *)p;
    p += n;
    if (memchr(suf, 0, n))
        return FZ_ECORRUPT;
    /* ascending: the old term's tail after the shared bytes against the suffix */
    if (it->recs && term_order(it->term + shared, it->term_len - shared, suf, n) >= 0)
        return FZ_ECORRUPT;
    if (!(p = fz_varint_get(p, end, &nd)) || !(p = fz_varint_get(p, end, &first)) || nd == 0 ||
        nd > STORE_TPACK_DOCS || first > UINT32_MAX)
        return FZ_ECORRUPT;
    const uint8_t *r = p;
    if (!(p = tpack_records_end(p, end, (uint32_t)nd, store_field_positions(it->field))))
        return FZ_ECORRUPT;
    memcpy(it->term + shared, suf, n);
    it->term_len = shared + n;
    it->ndocs = (uint32_t)nd;
    it->first = (uint32_t)first;
    it->recs = r;
    it->recs_len = (size_t)(p - r);
    it->p = p;
    return FZ_OK;
}

int store_tpack_open(store_tpack_iter *it, const void *key, size_t klen, const void *val, size_t vlen)
{
    memset(it, 0, sizeof *it);
    const uint8_t *k = key;
    if (!store_key_is_tpack(key, klen) || klen - 2 > STORE_KEY_MAX - 6 || klen < 3)
        return FZ_ECORRUPT;
    it->field = k[0];
    it->p = val;
    it->end = it->p + vlen;
    if (store_tpack_next(it) || it->term_len != klen - 2 || memcmp(it->term, k + 1, it->term_len))
        return FZ_ECORRUPT;
    return FZ_OK;
}

int store_block_open_tpack(store_block *b, const store_tpack_iter *it)
{
    /* not the block's arrays: a packed term does not use them */
    b->max_tf_title = b->max_tf_body = b->min_dl = b->a0 = b->q = 0;
    b->tf_title = b->tf_body = 0;
    b->tstream = b->pstream = b->prun_at = b->prun_bits = NULL;
    b->npos = 0;
    b->prun_k = 0;
    b->pbuf_k = UINT32_MAX;
    b->first = b->doc = it->first;
    b->ndocs = it->ndocs;
    b->last = UINT32_MAX; /* for the walk below */
    b->docs = b->doc_next = b->doc_pos = it->recs;
    b->docs_end = it->recs + it->recs_len;
    b->packed = 1;
    b->nopos = !store_field_positions(it->field);
    b->i = (uint32_t)-1;
    int rc;
    while ((rc = store_block_next(b)) == FZ_OK) {
        if (b->tf_title > b->max_tf_title)
            b->max_tf_title = b->tf_title;
        if (b->tf_body > b->max_tf_body)
            b->max_tf_body = b->tf_body;
    }
    if (rc != FZ_ENOTFOUND || b->doc_next != b->docs_end)
        return FZ_ECORRUPT;
    b->last = b->doc;
    b->doc = b->first;
    b->i = (uint32_t)-1;
    b->doc_next = b->doc_pos = it->recs;
    b->tf_title = b->tf_body = 0;
    return store_block_next(b);
}

int store_term_find(MDB_cursor *cur, int field, const char *term, size_t len, MDB_val *k, MDB_val *v,
                    store_tpack_iter *it)
{
    uint8_t key[STORE_KEY_MAX];
    if (len > STORE_KEY_MAX - 6)
        return FZ_ENOTFOUND;
    size_t kl = store_tpack_key(key, field, term, len);
    k->mv_size = kl;
    k->mv_data = key;
    int rc = mdb_cursor_get(cur, k, v, MDB_SET_RANGE);
    if (rc == 0) {
        if (k->mv_size >= kl && memcmp(k->mv_data, key, kl) == 0) {
            if (k->mv_size == kl + 4)
                return STORE_TERM_BLOCKS;
            if (k->mv_size == kl)
                return store_tpack_open(it, k->mv_data, k->mv_size, v->mv_data, v->mv_size) ? FZ_ECORRUPT
                                                                                           : STORE_TERM_PACKED;
        }
        rc = mdb_cursor_get(cur, k, v, MDB_PREV);
    } else if (rc == MDB_NOTFOUND) {
        rc = mdb_cursor_get(cur, k, v, MDB_LAST);
    }
    if (rc == MDB_NOTFOUND)
        return FZ_ENOTFOUND;
    if (rc)
        return FZ_ELMDB;
    if (!store_key_is_tpack(k->mv_data, k->mv_size) || ((const uint8_t *)k->mv_data)[0] != field)
        return FZ_ENOTFOUND;
    if (store_tpack_open(it, k->mv_data, k->mv_size, v->mv_data, v->mv_size))
        return FZ_ECORRUPT;
    for (;;) {
        int c = term_order(it->term, it->term_len, term, len);
        if (c == 0)
            return STORE_TERM_PACKED;
        if (c > 0)
            return FZ_ENOTFOUND;
        if ((rc = store_tpack_next(it)))
            return rc == FZ_ENOTFOUND ? FZ_ENOTFOUND : FZ_ECORRUPT;
    }
}

int store_tpack_fits(uint32_t ndocs, size_t recs_len)
{
    return ndocs >= 1 && ndocs <= STORE_TPACK_DOCS && recs_len <= STORE_TPACK_TERM_BYTES;
}

/* store_tpack_add_raw (store_int.h). */
int store_tpack_add_raw(store_tpack_builder *pb, int field, const char *term, size_t len, uint32_t ndocs,
                        uint32_t first, const uint8_t *r, size_t n)
{
    if (len == 0 || len > STORE_KEY_MAX - 6 || memchr(term, 0, len) || ndocs == 0 || ndocs > STORE_TPACK_DOCS)
        return FZ_EINVAL;
    size_t shared = 0;
    if (pb->klen) {
        if (field != pb->field || term_order(pb->last, pb->last_len, term, len) >= 0)
            return FZ_EINVAL;
        while (shared < len && shared < pb->last_len && pb->last[shared] == term[shared])
            shared++;
    } else {
        pb->field = field;
        pb->klen = store_tpack_key(pb->key, field, term, len);
        pb->val.len = 0;
    }
    if (fz_buf_varint(&pb->val, shared) || fz_buf_varint(&pb->val, len - shared) ||
        fz_buf_append(&pb->val, term + shared, len - shared) || fz_buf_varint(&pb->val, ndocs) ||
        fz_buf_varint(&pb->val, first) || fz_buf_append(&pb->val, r, n))
        return FZ_ENOMEM;
    memcpy(pb->last, term, len);
    pb->last_len = len;
    pb->nterms++;
    return FZ_OK;
}

int store_tpack_add(store_tpack_builder *pb, int field, const char *term, size_t len, uint32_t ndocs,
                    uint32_t first, const uint8_t *recs, size_t recs_len)
{
    if (recs_len < 1 || recs[0] != 0)
        return FZ_EINVAL;
    return store_tpack_add_raw(pb, field, term, len, ndocs, first, recs + 1, recs_len - 1);
}

void store_tpack_reset(store_tpack_builder *pb)
{
    pb->val.len = 0;
    pb->klen = 0;
    pb->last_len = 0;
    pb->nterms = 0;
}

void store_tpack_free(store_tpack_builder *pb)
{
    fz_buf_free(&pb->val);
    store_tpack_reset(pb);
}

/* Writes pb's pack under its key (nothing when pb is empty). */
static int tpack_put(store *s, MDB_txn *txn, const store_tpack_builder *pb, char *msg, size_t msglen)
{
    if (!pb->klen)
        return FZ_OK;
    MDB_val k = {pb->klen, (void *)pb->key}, v = {pb->val.len, pb->val.p};
    int rc = mdb_put(txn, s->dbi[STORE_DB_POST], &k, &v, 0);
    return rc ? store_lmdb_err(rc, "writing a term pack", msg, msglen) : FZ_OK;
}

/* Replaces the pack at cur (whose walk pb rebuilt) with pb's value: under
 * pb's key, or nothing when pb is empty. */
static int tpack_replace(store *s, MDB_txn *txn, MDB_cursor *cur, const store_tpack_builder *pb, int same_key,
                         char *msg, size_t msglen)
{
    if (!(same_key && pb->klen)) {
        int rc = mdb_cursor_del(cur, 0);
        if (rc)
            return store_lmdb_err(rc, "rewriting a term pack", msg, msglen);
    }
    return tpack_put(s, txn, pb, msg, msglen);
}

/* The current term of it without its documents lo..hi, added to pb (not
 * at all when none is left). */
static int tpack_add_filtered(store_tpack_builder *pb, const store_tpack_iter *it, uint32_t lo, uint32_t hi,
                              fz_buf *tmp)
{
    store_block b;
    if (store_block_open_tpack(&b, it))
        return FZ_ECORRUPT;
    tmp->len = 0;
    uint32_t n = 0, first = 0, prev = 0;
    int rc;
    do {
        if (b.doc >= lo && b.doc <= hi)
            continue;
        const uint8_t *pend =
            b.nopos ? b.doc_pos : skip_varints(b.doc_pos, b.docs_end, (uint64_t)b.tf_title + b.tf_body);
        uint8_t tf[STORE_TF_MAX];
        if (!pend)
            return FZ_ECORRUPT;
        if (n == 0)
            first = b.doc;
        else if (fz_buf_varint(tmp, b.doc - prev))
            return FZ_ENOMEM;
        if (fz_buf_append(tmp, tf, store_tf_put(tf, b.tf_title, b.tf_body)) ||
            fz_buf_append(tmp, b.doc_pos, (size_t)(pend - b.doc_pos)))
            return FZ_ENOMEM;
        prev = b.doc;
        n++;
    } while ((rc = store_block_next(&b)) == FZ_OK);
    if (rc != FZ_ENOTFOUND)
        return FZ_ECORRUPT;
    if (!n)
        return FZ_OK;
    return store_tpack_add_raw(pb, it->field, it->term, it->term_len, n, first, (const uint8_t *)tmp->p, tmp->len);
}

int store_tpack_remove(store *s, MDB_txn *txn, int field, const char *term, size_t len, uint32_t lo,
                       uint32_t hi, fz_buf *out, uint32_t *first, char *msg, size_t msglen)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, s->dbi[STORE_DB_POST], &cur);
    if (rc)
        return store_lmdb_err(rc, "reading postings", msg, msglen);
    MDB_val k, v;
    store_tpack_iter it, at;
    /* taken out, the term's block splits the pack: the terms after it go
     * to a pack of their own (after: pb2) */
    store_tpack_builder pb = {0}, pb2 = {0}, *dst = &pb;
    fz_buf tmp = {0};
    rc = store_term_find(cur, field, term, len, &k, &v, &at);
    if (rc != STORE_TERM_PACKED) {
        mdb_cursor_close(cur);
        if (rc == FZ_ELMDB)
            fz_msg(msg, msglen, "reading postings: LMDB error");
        return rc == STORE_TERM_BLOCKS ? FZ_ENOTFOUND : rc;
    }
    rc = store_tpack_open(&it, k.mv_data, k.mv_size, v.mv_data, v.mv_size);
    while (rc == FZ_OK) {
        if (it.term_len == len && memcmp(it.term, term, len) == 0) {
            if (out) {
                /* the whole term, as a block */
                store_block b;
                store_dlen_cache dc = {0};
                uint32_t mindl = UINT32_MAX;
                if (store_block_open_tpack(&b, &it))
                    rc = FZ_ECORRUPT;
                else {
                    int r;
                    do {
                        uint32_t dl = store_dlen_get(s, txn, &dc, b.doc);
                        if (dl < mindl)
                            mindl = dl;
                    } while ((r = store_block_next(&b)) == FZ_OK);
                    if (r != FZ_ENOTFOUND)
                        rc = FZ_ECORRUPT;
                }
                uint8_t hdr[STORE_BLOCK_HDR_MAX];
                size_t hl = store_block_header(hdr, b.ndocs, b.last - b.first, b.max_tf_title, b.max_tf_body, mindl);
                out->len = 0;
                tmp.len = 0;
                /* the records with the first id delta (0), packed into streams */
                if (!rc && (fz_buf_append(out, hdr, hl) || fz_buf_append(&tmp, "", 1) ||
                            fz_buf_append(&tmp, it.recs, it.recs_len)))
                    rc = FZ_ENOMEM;
                if (!rc)
                    rc = store_block_extra((const uint8_t *)tmp.p, tmp.len, b.ndocs, b.first, 0, 0, NULL, !b.nopos, out);
                *first = b.first;
                dst = &pb2;
            } else {
                rc = tpack_add_filtered(&pb, &it, lo, hi, &tmp);
            }
        } else {
            rc = store_tpack_add_raw(dst, it.field, it.term, it.term_len, it.ndocs, it.first, it.recs, it.recs_len);
        }
        if (!rc)
            rc = store_tpack_next(&it);
    }
    if (rc == FZ_ENOTFOUND)
        rc = FZ_OK;
    if (!rc)
        rc = tpack_replace(s, txn, cur, &pb,
                           pb.klen == k.mv_size && memcmp(pb.key, k.mv_data, pb.klen) == 0, msg, msglen);
    if (!rc)
        rc = tpack_put(s, txn, &pb2, msg, msglen);
    mdb_cursor_close(cur);
    store_tpack_free(&pb);
    store_tpack_free(&pb2);
    fz_buf_free(&tmp);
    return rc;
}

/* Opens *cur (the caller closes it) on the record before where term's
 * keys would be (the pack that would hold the term): 1 when that is a
 * pack of field (*k, *v its key and value), 0 when there is none, else an
 * FZ_ error with msg. */
static int tpack_before(store *s, MDB_txn *txn, MDB_cursor **cur, int field, const char *term, size_t len,
                        MDB_val *k, MDB_val *v, char *msg, size_t msglen)
{
    uint8_t key[STORE_KEY_MAX];
    int rc = mdb_cursor_open(txn, s->dbi[STORE_DB_POST], cur);
    if (rc) {
        *cur = NULL;
        return store_lmdb_err(rc, "reading postings", msg, msglen);
    }
    k->mv_size = store_tpack_key(key, field, term, len);
    k->mv_data = key;
    rc = mdb_cursor_get(*cur, k, v, MDB_SET_RANGE);
    if (rc == 0)
        rc = mdb_cursor_get(*cur, k, v, MDB_PREV);
    else if (rc == MDB_NOTFOUND)
        rc = mdb_cursor_get(*cur, k, v, MDB_LAST);
    if (rc)
        return rc == MDB_NOTFOUND ? 0 : store_lmdb_err(rc, "reading postings", msg, msglen);
    return store_key_is_tpack(k->mv_data, k->mv_size) && ((const uint8_t *)k->mv_data)[0] == field;
}

int store_tpack_split(store *s, MDB_txn *txn, int field, const char *term, size_t len, char *msg, size_t msglen)
{
    if (len > STORE_KEY_MAX - 6)
        return FZ_EINVAL;
    MDB_cursor *cur;
    MDB_val k, v;
    int rc = tpack_before(s, txn, &cur, field, term, len, &k, &v, msg, msglen);
    if (rc != 1) {
        mdb_cursor_close(cur);
        return rc;
    }
    store_tpack_iter it;
    store_tpack_builder pb = {0}, pb2 = {0};
    rc = store_tpack_open(&it, k.mv_data, k.mv_size, v.mv_data, v.mv_size);
    while (rc == FZ_OK) {
        int c = term_order(it.term, it.term_len, term, len);
        if (c == 0) {
            rc = FZ_EINVAL;
            break;
        }
        if ((rc = store_tpack_add_raw(c < 0 ? &pb : &pb2, it.field, it.term, it.term_len, it.ndocs, it.first, it.recs,
                                it.recs_len)))
            break;
        rc = store_tpack_next(&it);
    }
    if (rc == FZ_ENOTFOUND) {
        rc = FZ_OK;
        if (pb2.klen) {
            /* pb holds the pack's first term (it sorts before term) */
            rc = tpack_replace(s, txn, cur, &pb, 1, msg, msglen);
            if (!rc)
                rc = tpack_put(s, txn, &pb2, msg, msglen);
        }
    }
    mdb_cursor_close(cur);
    store_tpack_free(&pb);
    store_tpack_free(&pb2);
    return rc;
}

int store_tpack_insert(store *s, MDB_txn *txn, int field, const char *term, size_t len, uint32_t ndocs,
                       uint32_t first, const uint8_t *recs, size_t recs_len, char *msg, size_t msglen)
{
    if (!store_tpack_fits(ndocs, recs_len) || recs_len < 1 || recs[0] != 0 || len > STORE_KEY_MAX - 6)
        return FZ_EINVAL;
    MDB_cursor *cur;
    MDB_val k, v;
    int rc = tpack_before(s, txn, &cur, field, term, len, &k, &v, msg, msglen);
    if (rc < 0) {
        mdb_cursor_close(cur);
        return rc;
    }
    store_tpack_iter it;
    /* pb: the pack before, written again; pb2: a pack of its own for the
     * term (and, when the pack before is full, that pack's terms after it) */
    store_tpack_builder pb = {0}, pb2 = {0};
    if (rc == 0) {
        rc = store_tpack_add(&pb2, field, term, len, ndocs, first, recs, recs_len);
    } else {
        store_tpack_builder *dst = &pb;
        int full = v.mv_size >= STORE_TPACK_GROW, done = 0;
        rc = store_tpack_open(&it, k.mv_data, k.mv_size, v.mv_data, v.mv_size);
        while (rc == FZ_OK) {
            int c = term_order(it.term, it.term_len, term, len);
            if (c == 0) {
                rc = FZ_EINVAL; /* already there */
                break;
            }
            if (c > 0 && !done) {
                dst = full ? &pb2 : &pb;
                if ((rc = store_tpack_add(dst, field, term, len, ndocs, first, recs, recs_len)))
                    break;
                done = 1;
            }
            if ((rc = store_tpack_add_raw(dst, it.field, it.term, it.term_len, it.ndocs, it.first, it.recs, it.recs_len)))
                break;
            rc = store_tpack_next(&it);
        }
        if (rc == FZ_ENOTFOUND && !done)
            rc = store_tpack_add(full ? &pb2 : &pb, field, term, len, ndocs, first, recs, recs_len);
        else if (rc == FZ_ENOTFOUND)
            rc = FZ_OK;
        /* the pack's first term sorts before term: pb keeps its key */
        if (!rc)
            rc = tpack_replace(s, txn, cur, &pb, 1, msg, msglen);
    }
    if (!rc)
        rc = tpack_put(s, txn, &pb2, msg, msglen);
    mdb_cursor_close(cur);
    store_tpack_free(&pb);
    store_tpack_free(&pb2);
    return rc;
}
