/*
 * entryframes.c -- what reading one entry would cost if the titles and
 * bodies of an entry block were small zstd frames with a dictionary
 * instead of one frame a block (issue 12; the figures are in HACKING.md,
 * "Reading one entry").
 *
 *   entryframes DB [IDS]   (DB: an index directory or a packed archive;
 *                           IDS: a file of entry ids, a line a
 *                           query, the ids of its hits in the order the
 *                           searcher reads them, e.g. its top 10)
 *
 * Reads every block of the "entry" database (store_entry_block_open) and
 * keeps each entry's title and body in the text code as the block holds
 * them (v length, the record), whatever the method of its block.  Prints
 * the blocks, entries, their text and the text compressed as one zstd
 * frame a block, as format 7 stored it (the time that takes), and the time
 * zstd takes to decompress the block of an entry read at random (median of
 * 100,000, one context kept as the searcher's cache keeps one).  Then for each dictionary size
 * and group size: the entries of a block go in groups of consecutive
 * entries of at most G bytes of text (at least one entry; G 0: one entry
 * a group), each group one zstd frame of level STORE_ENTRY_LEVEL with a
 * dictionary trained by ZDICT_trainFromBuffer on every 16th group, the
 * frame without magic number, checksum or dictionary id but with its
 * content size (one byte in place of the window size), a group stored raw
 * when zstd does not shrink it; what is printed:
 *   - the dictionary's training time and the compression time;
 *   - the text as stored: the frames, each led by v (length x 2 + raw);
 *   - the blocks a writer filling pages of 4,080 bytes would make of them,
 *     estimated as for the frames now: each entry takes its share of its
 *     block's metadata and join maps and of its group's frame by its text
 *     length, and a block takes the entries of a file while they fit (the
 *     estimate of the blocks now is printed with it, to compare with
 *     their count); the pages above the estimate now, in MiB;
 *   - the time to decompress the group of an entry read at random, and the
 *     groups of a whole block (a reader of every entry of a block);
 *   - with IDS, the time of zstd a query pays for its hits in the order
 *     given, keeping the last group (the last block now) decompressed as
 *     the searcher's cache does: the best of 7 passes, per query.
 * Exit 1 when the index cannot be read.
 */
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_c_format, ZSTD_d_format: frames without magic number */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zdict.h>
#include <zstd.h>

#include "fz.h"
#include "store.h"

#define PAGE_VALUE 4080 /* what one overflow page holds of a value (ENTRY BLOCKS) */
#define NTIMES 100000   /* random reads timed */

typedef struct {
    uint32_t file, n, e0;   /* its file, its entries, the index of its first */
    size_t fixed;           /* its bytes other than the text's frame */
    uint8_t *z;             /* its text as one zstd frame, as format 7 stored it (NULL: raw) */
    size_t zlen, rawlen;
} blk;

static blk *B;
static size_t nb;
static uint8_t *T;              /* every entry's text, as in its block */
static size_t tlen;
static size_t *eoff, *elen;     /* entry i's text: T + eoff[i], elen[i] bytes */
static uint32_t *eblk, *eid;
static size_t ne;
static uint8_t *out;            /* decompressed text */
static size_t outcap;

static void *grow(void *p, size_t n)
{
    if (!(p = realloc(p, n ? n : 1))) {
        fprintf(stderr, "entryframes: out of memory\n");
        exit(1);
    }
    return p;
}

static int fail(const char *why)
{
    fprintf(stderr, "entryframes: %s\n", why);
    return 1;
}

/* The bytes of v as a varint. */
static unsigned vlen(uint64_t v)
{
    uint8_t b[FZ_VARINT_MAX];
    return (unsigned)fz_varint_put(b, v);
}

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median_us(double *t, size_t n)
{
    qsort(t, n, sizeof *t, cmp_dbl);
    return t[n / 2] / 1e3;
}

/* Reads the entry database of st into B, T and the entry arrays. */
static int load(store *st, MDB_txn *txn)
{
    MDB_cursor *c;
    MDB_val k, v;
    size_t bcap = 0, ecap = 0, tcap = 0;
    if (mdb_cursor_open(txn, store_dbi(st, STORE_DB_ENTRY), &c))
        return fail("cannot read the entry database");
    while (!mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 4)
            return fail("a malformed entry key");
        fz_arena *a = fz_arena_create();
        store_entry_block b;
        if (!a || store_entry_block_open(store_tdict_of(st, txn), v.mv_data, v.mv_size, fz_be32_get(k.mv_data), a, &b))
            return fail("a block does not decode");
        /* the text part (ENTRY BLOCKS): v raw_len, the method byte, the text */
        const uint8_t *end = (const uint8_t *)v.mv_data + v.mv_size, *p;
        uint64_t rawlen;
        if (!(p = fz_varint_get(b.jend, end, &rawlen)) || p >= end)
            return fail("a block's text part does not decode");
        if (nb == bcap)
            B = grow(B, (bcap = bcap ? 2 * bcap : 16384) * sizeof *B);
        blk *x = &B[nb];
        x->file = b.file_id;
        x->n = b.n;
        x->e0 = (uint32_t)ne;
        x->rawlen = (size_t)rawlen;
        x->fixed = (size_t)(p + 1 - (const uint8_t *)v.mv_data); /* what precedes the text */
        x->z = NULL;                                              /* made by main */
        x->zlen = x->rawlen;
        if (tlen + x->rawlen > tcap)
            T = grow(T, tcap = (tlen + x->rawlen) * 2);
        memcpy(T + tlen, b.t, x->rawlen);
        if (x->rawlen > outcap)
            out = grow(out, outcap = x->rawlen);
        const uint8_t *q = T + tlen, *qe = q + x->rawlen;
        for (uint32_t i = 0; i < b.n; i++) {
            uint64_t l;
            const uint8_t *s = q;
            q = fz_varint_get(q, qe, &l) + l; /* checked by store_entry_block_open */
            if (ne == ecap) {
                ecap = ecap ? 2 * ecap : 1 << 20;
                eoff = grow(eoff, ecap * sizeof *eoff);
                elen = grow(elen, ecap * sizeof *elen);
                eblk = grow(eblk, ecap * sizeof *eblk);
                eid = grow(eid, ecap * sizeof *eid);
            }
            eoff[ne] = (size_t)(s - T);
            elen[ne] = (size_t)(q - s);
            eblk[ne] = (uint32_t)nb;
            eid[ne] = b.first + i;
            ne++;
        }
        tlen += x->rawlen;
        nb++;
        fz_arena_destroy(a);
    }
    mdb_cursor_close(c);
    return 0;
}

/* The index of entry id (ids ascend), ne when there is none. */
static size_t entry_of(uint32_t id)
{
    size_t lo = 0, hi = ne;
    while (lo < hi) {
        size_t m = lo + (hi - lo) / 2;
        if (eid[m] < id)
            lo = m + 1;
        else
            hi = m;
    }
    return lo < ne && eid[lo] == id ? lo : ne;
}

static size_t *qe, *qstart, nq; /* the queries' entries: qe[qstart[q] .. qstart[q+1]) */

static int load_ids(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return fail("cannot read the ids");
    size_t cap = 0, qcap = 0, n = 0;
    char line[65536];
    while (fgets(line, sizeof line, f)) {
        if (nq + 2 > qcap)
            qstart = grow(qstart, (qcap = qcap ? 2 * qcap : 1024) * sizeof *qstart);
        qstart[nq++] = n;
        char *p = line, *e;
        for (;;) {
            unsigned long v = strtoul(p, &e, 10);
            if (e == p)
                break;
            size_t i = entry_of((uint32_t)v);
            if (i == ne) {
                fclose(f);
                return fail("an id that is not in the index");
            }
            if (n == cap)
                qe = grow(qe, (cap = cap ? 2 * cap : 8192) * sizeof *qe);
            qe[n++] = i;
            p = e;
        }
    }
    fclose(f);
    if (!nq)
        return fail("no queries in the ids");
    qstart[nq] = n;
    return 0;
}

/* Page estimate (see the head): entries of a file fill blocks of
 * PAGE_VALUE bytes, each taking meta_share + its part of its text;
 * text(i) is entry i's share of its frame's bytes. */
static size_t estimate_blocks(const double *text)
{
    size_t nblk = 0, curn = 0;
    double cur = 0;
    uint32_t curf = UINT32_MAX;
    for (size_t i = 0; i < ne; i++) {
        const blk *b = &B[eblk[i]];
        double u = (double)b->fixed / b->n + text[i];
        if (b->file != curf || cur + u > PAGE_VALUE || curn + 1 > STORE_ENTRY_BLOCK) {
            nblk += curn > 0;
            cur = 4;
            curn = 0;
            curf = b->file;
        }
        cur += u;
        curn++;
    }
    return nblk + (curn > 0);
}

typedef struct {
    size_t first, n;  /* entries */
    uint8_t *z;       /* its frame (NULL: raw) */
    size_t zlen, rawlen;
} group;

/* Prints zstd's times for groups g (ng of them; e2g: each entry's group)
 * read with dc: an entry's group, a block's groups, and with IDS a
 * query's hits, the last group kept.  -1 when a frame does not decode. */
static int timed(const group *g, size_t ng, const size_t *e2g, ZSTD_DCtx *dc, const size_t *pick)
{
    double *ts = grow(NULL, NTIMES * sizeof *ts);
    int bad = 0;
    for (size_t i = 0; i < NTIMES; i++) {
        const group *x = &g[e2g[pick[i]]];
        double t1 = now_ns();
        bad |= x->z && ZSTD_decompressDCtx(dc, out, outcap, x->z, x->zlen) != x->rawlen;
        ts[i] = now_ns() - t1;
    }
    printf("; an entry %.2f us", median_us(ts, NTIMES));
    for (size_t i = 0; i < NTIMES; i++) {
        uint32_t b = eblk[pick[i]];
        double t1 = now_ns();
        for (size_t k = e2g[B[b].e0]; k < ng && eblk[g[k].first] == b; k++)
            bad |= g[k].z && ZSTD_decompressDCtx(dc, out, outcap, g[k].z, g[k].zlen) != g[k].rawlen;
        ts[i] = now_ns() - t1;
    }
    printf(", a block %.2f us", median_us(ts, NTIMES));
    if (nq) {
        double best = 1e30;
        for (int r = 0; r < 7; r++) {
            size_t last = SIZE_MAX;
            double t1 = now_ns();
            for (size_t i = 0; i < qstart[nq]; i++) {
                size_t k = e2g[qe[i]];
                bad |= k != last && g[k].z && ZSTD_decompressDCtx(dc, out, outcap, g[k].z, g[k].zlen) != g[k].rawlen;
                last = k;
            }
            double t = now_ns() - t1;
            best = t < best ? t : best;
        }
        printf(", a query's hits %.2f us", best / 1e3 / (double)nq);
    }
    printf("\n");
    fflush(stdout);
    free(ts);
    return bad ? -1 : 0;
}

static void variant(size_t dict_size, size_t gmax, size_t base_blocks, size_t base_text, const size_t *pick)
{
    /* groups of at most gmax bytes of text within a block */
    group *g = grow(NULL, ne * sizeof *g);
    size_t ng = 0;
    for (size_t i = 0; i < ne;) {
        size_t j = i + 1, len = elen[i];
        while (gmax && j < ne && eblk[j] == eblk[i] && len + elen[j] <= gmax)
            len += elen[j++];
        g[ng++] = (group){i, j - i, NULL, 0, len};
        i = j;
    }
    /* the dictionary, trained on every 16th group */
    size_t ns = 0, sbytes = 0, *ss = grow(NULL, (ng / 16 + 1) * sizeof *ss);
    uint8_t *samples = grow(NULL, tlen);
    for (size_t k = 0; k < ng; k += 16) {
        memcpy(samples + sbytes, T + eoff[g[k].first], g[k].rawlen);
        sbytes += g[k].rawlen;
        ss[ns++] = g[k].rawlen;
    }
    uint8_t *dict = grow(NULL, dict_size);
    double t0 = now_ns();
    size_t dlen = ZDICT_trainFromBuffer(dict, dict_size, samples, ss, (unsigned)ns);
    double train = (now_ns() - t0) / 1e9;
    if (ZDICT_isError(dlen)) {
        printf("dictionary %zu KiB, groups of %zu: training failed (%s)\n", dict_size >> 10, gmax,
               ZDICT_getErrorName(dlen));
        goto done;
    }
    ZSTD_CDict *cd = ZSTD_createCDict(dict, dlen, STORE_ENTRY_LEVEL);
    ZSTD_DDict *dd = ZSTD_createDDict(dict, dlen);
    ZSTD_CCtx *cc = ZSTD_createCCtx();
    ZSTD_DCtx *dc = ZSTD_createDCtx();
    if (!cd || !dd || !cc || !dc || ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_format, ZSTD_f_zstd1_magicless)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 0)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_dictIDFlag, 0)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_contentSizeFlag, 1)) ||
        ZSTD_isError(ZSTD_CCtx_refCDict(cc, cd)) ||
        ZSTD_isError(ZSTD_DCtx_setParameter(dc, ZSTD_d_format, ZSTD_f_zstd1_magicless)) ||
        ZSTD_isError(ZSTD_DCtx_refDDict(dc, dd))) {
        fprintf(stderr, "entryframes: zstd refused a context\n");
        exit(1);
    }
    size_t stored = 0, nraw = 0, zcap = 0;
    uint8_t *zbuf = NULL;
    t0 = now_ns();
    for (size_t k = 0; k < ng; k++) {
        const uint8_t *src = T + eoff[g[k].first];
        size_t bound = ZSTD_compressBound(g[k].rawlen);
        if (bound > zcap)
            zbuf = grow(zbuf, zcap = bound);
        size_t r = ZSTD_compress2(cc, zbuf, bound, src, g[k].rawlen);
        if (!ZSTD_isError(r) && r < g[k].rawlen) {
            g[k].z = grow(NULL, r);
            memcpy(g[k].z, zbuf, r);
            g[k].zlen = r;
        } else {
            g[k].zlen = g[k].rawlen;
            nraw++;
        }
        stored += g[k].zlen + vlen((uint64_t)g[k].zlen * 2 + 1);
    }
    double comp = (now_ns() - t0) / 1e9;
    double *text = grow(NULL, ne * sizeof *text);
    size_t *e2g = grow(NULL, ne * sizeof *e2g);
    for (size_t k = 0; k < ng; k++)
        for (size_t i = g[k].first; i < g[k].first + g[k].n; i++) {
            text[i] = (double)(g[k].zlen + vlen((uint64_t)g[k].zlen * 2 + 1)) * elen[i] / g[k].rawlen;
            e2g[i] = k;
        }
    size_t nblk = estimate_blocks(text);
    printf("dictionary %3zu KiB, groups of %4zu: trained in %.2f s, compressed in %.2f s; %zu groups (%zu raw), "
           "text %.2f MB (%+.2f MB); blocks %zu (%+.2f MiB of pages)",
           dict_size >> 10, gmax, train, comp, ng, nraw, stored / 1e6, ((double)stored - (double)base_text) / 1e6,
           nblk, ((double)nblk - (double)base_blocks) * 4096 / 1048576.0);
    if (timed(g, ng, e2g, dc, pick)) {
        fprintf(stderr, "entryframes: a frame does not decode\n");
        exit(1);
    }
    for (size_t k = 0; k < ng; k++)
        free(g[k].z);
    free(zbuf);
    free(text);
    free(e2g);
    ZSTD_freeCDict(cd);
    ZSTD_freeDDict(dd);
    ZSTD_freeCCtx(cc);
    ZSTD_freeDCtx(dc);
done:
    free(dict);
    free(samples);
    free(ss);
    free(g);
}

int main(int argc, char **argv)
{
    store *st;
    MDB_txn *txn;
    char msg[512];
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: entryframes DB [IDS]\n");
        return 2;
    }
    if (store_open(argv[1], STORE_READ, &st, msg, sizeof msg) || store_begin(st, 0, &txn, msg, sizeof msg)) {
        fprintf(stderr, "entryframes: %s\n", msg);
        return 1;
    }
    if (load(st, txn) || (argc == 3 && load_ids(argv[2])))
        return 1;
    if (!ne)
        return fail("the index has no entries");
    /* each block's text as one frame, no dictionary, as format 7's writer
     * stored it (raw when zstd does not shrink it) */
    ZSTD_CCtx *cc = ZSTD_createCCtx();
    size_t zcap = ZSTD_compressBound(outcap);
    uint8_t *zbuf = grow(NULL, zcap);
    if (!cc)
        return fail("out of memory");
    double t0 = now_ns();
    for (size_t k = 0; k < nb; k++) {
        size_t c = ZSTD_compressCCtx(cc, zbuf, zcap, T + eoff[B[k].e0], B[k].rawlen, STORE_ENTRY_LEVEL);
        if (ZSTD_isError(c))
            return fail("zstd failed");
        if (c < B[k].rawlen) {
            B[k].z = grow(NULL, c);
            memcpy(B[k].z, zbuf, c);
            B[k].zlen = c;
        }
    }
    double comp = (now_ns() - t0) / 1e9;
    ZSTD_freeCCtx(cc);
    free(zbuf);
    /* a block one group, its frame without dictionary */
    group *g = grow(NULL, nb * sizeof *g);
    size_t base_text = 0, nz = 0;
    for (size_t k = 0; k < nb; k++) {
        g[k] = (group){B[k].e0, B[k].n, B[k].z, B[k].zlen, B[k].rawlen};
        base_text += B[k].zlen;
        nz += B[k].z != NULL;
    }
    size_t *e2g = grow(NULL, ne * sizeof *e2g);
    double *text = grow(NULL, ne * sizeof *text);
    for (size_t i = 0; i < ne; i++) {
        const blk *b = &B[eblk[i]];
        text[i] = (double)b->zlen * elen[i] / b->rawlen;
        e2g[i] = eblk[i];
    }
    size_t base_blocks = estimate_blocks(text);
    free(text);
    srand(12);
    size_t *pick = grow(NULL, NTIMES * sizeof *pick);
    for (size_t i = 0; i < NTIMES; i++)
        pick[i] = (size_t)(((uint64_t)rand() * ((uint64_t)RAND_MAX + 1) + (uint64_t)rand()) % ne);
    ZSTD_DCtx *dc = ZSTD_createDCtx();
    if (!dc)
        return fail("out of memory");
    printf("%zu blocks (%zu in zstd), estimated %zu; %zu entries; text %.2f MB in the text code, %.2f MB stored, "
           "compressed in %.2f s",
           nb, nz, base_blocks, ne, tlen / 1e6, base_text / 1e6, comp);
    if (nq)
        printf("; %zu queries, %zu hits", nq, qstart[nq]);
    if (timed(g, nb, e2g, dc, pick))
        return fail("a block's text does not decompress");
    ZSTD_freeDCtx(dc);
    free(g);
    free(e2g);
    static const size_t dicts[] = {32 << 10, 64 << 10, 112 << 10};
    static const size_t groups[] = {0, 256, 384, 512, 768};
    for (size_t d = 0; d < sizeof dicts / sizeof *dicts; d++)
        for (size_t k = 0; k < sizeof groups / sizeof *groups; k++)
            variant(dicts[d], groups[k], base_blocks, base_text, pick);
    mdb_txn_abort(txn);
    store_close(st);
    return 0;
}
