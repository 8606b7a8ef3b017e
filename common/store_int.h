/*
 * store_int.h -- the store's private header: what its three files share.
 *
 * The store (store.h) is one module in three files, split along its seams
 * as SQLite's fts5 is:
 *   store.c        the environment (open, writers' lock and map, commits,
 *                  free pages), the ON-DISK FORMAT comment for all three,
 *                  meta and stats, packed archives, the delta tier, dead
 *                  entries and the merge in steps, files, the catalog,
 *                  volumes, joins and entry lengths (dlen);
 *   store_entry.c  entries: the text code, entry blocks and their reading
 *                  (the entry cache, text groups and the text dictionary's
 *                  decompression), the entry writer with its trainer and
 *                  packer threads;
 *   store_post.c   postings: keys, bit-packed runs, posting blocks and
 *                  their cursors, block impacts, term packs.
 * Callers outside the store include store.h only.  Nothing here is part
 * of the on-disk format; the format is written down in store.c.
 */
#ifndef STORE_INT_H
#define STORE_INT_H

#include "store.h"

#include <pthread.h>

#define ZSTD_STATIC_LINKING_ONLY /* frames without magic number: ZSTD_c_format, ZSTD_d_format */
#include <zstd.h>

/* The store handle (store.h's opaque store).  Made by store_open
 * (store.c); the compression fields are made on first use by store_entry.c. */
struct store {
    MDB_env *env;
    MDB_dbi dbi[STORE_DB_COUNT];
    int readonly;
    int lockfd;                /* writer: data.mdb, flocked; else -1 */
    int writemap;              /* opened with MDB_WRITEMAP */
    int failed;                /* open failed: give the file its length back */
    int opened;                /* open_impl done: a writer's commits take a turn */
    off_t orig_size;           /* writer: data.mdb's length before LMDB's */
    char datafile[4096 + 16];  /* real path of the data file */
    ZSTD_CCtx *zc;             /* writer: compresses entry blocks (made on first use) */
    ZSTD_DCtx *zd;             /* a spare context for decompressing entry blocks, taken and
                                * given back atomically (readers may share the store) */
    store_tdict *td;           /* the index's text dictionary as it was opened, trained or
                                * later committed (NULL: none, or damaged: td_bad);
                                * readers set it once, atomically (store_tdict_of) */
    int td_bad;
    ZSTD_CDict *tcd;           /* writer: the dictionary for compressing (made on first use) */
    size_t tcd_len;            /* the length of the dictionary it was made from */
    ZSTD_CCtx *tzc;            /* writer: compresses groups with tcd */
    pthread_t warm_th;         /* store_map_warm's thread, when warm_on */
    int warm_on;
    int warm_stop;             /* atomic: store_close asks the thread to stop */
    char *warm_lo;             /* the range it maps: the data file's whole pages */
    size_t warm_len, warm_cap;
    size_t warm_done;          /* atomic: the bytes mapped so far */
};

struct store_tdict {
    ZSTD_DDict *dd;
};

/* ---- implemented in store.c, used by the other two ---- */

/* Zigzag coding of signed numbers as varints (file records, an entry's
 * line delta). */
static inline uint64_t store_zz(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }
static inline int64_t store_unzz(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }

/* Appends v n, then the n bytes of s, to b: 0 or FZ_ENOMEM. */
int store_str_put(fz_buf *b, const char *s, size_t n);
/* Reads what store_str_put wrote at p (before end): *s points into the
 * value, *n its length; returns the byte after it, NULL when it runs past
 * end. */
const uint8_t *store_str_get(const uint8_t *p, const uint8_t *end, const char **s, size_t *n);

/* ---- implemented in store_post.c, used by the other two ---- */

/* Appends to pb a term whose ndocs records r (n bytes, from document
 * first) are as a pack holds them, the first without id delta (TERM
 * PACKS in store.c): the archive's and the merge's copies of small terms.
 * 0, FZ_ENOMEM, or FZ_EINVAL when the term is empty or too long, holds a
 * NUL, has no or too many documents, or does not sort after pb's last. */
int store_tpack_add_raw(store_tpack_builder *pb, int field, const char *term, size_t len, uint32_t ndocs,
                        uint32_t first, const uint8_t *r, size_t n);

#endif
