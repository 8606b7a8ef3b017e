/*
 * check.c -- integrity check of an index (see check.h; the layout checked
 * is the one written down at the top of common/store.c).
 *
 * Everything is read in one read transaction with cursors, each table
 * once, in key order:
 *   1. meta: magic, format, statistics decode;
 *   2. fileid, then file: the two maps agree, ids below next_file, id
 *      ranges below next_id and disjoint;
 *   3. entry: every entry decodes, its lengths are plausible, its file
 *      exists and its id lies in that file's range, its join map lies
 *      within its length (no trailing zero byte, nothing joined to
 *      position 0); the live entries are
 *      kept in an array sorted by id (a few numbers each), which the later
 *      steps look ids up in;
 *   4. dlen: every chunk holds the entries' lengths, 0 elsewhere;
 *   5. post, then dpost (the delta tier): every block decodes completely,
 *      blocks of a term are disjoint and ascending, documents ascend
 *      within [first, last] and exist, positions ascend within the entry's
 *      length (title ones below title_npos, body ones from there), the
 *      block maxima and min_dl bound every document's; the ids of "post"
 *      are below the delta's base, those of "dpost" from it on, and
 *      "dpost" holds blocks only; while a merge of the delta is under way
 *      (MERGING in store.c) the terms of "post" before the key where it
 *      goes on may hold ids from the base on, and "dpost" holds none of
 *      them; the documents of removed entries left in
 *      "post" (DEAD ENTRIES in store.c) are counted per term as "dfix"
 *      says, and no entry lies in their ranges; every other entry is in
 *      exactly one kind list (of either);
 *   6. the statistics equal what the records add up to.
 * The entry of each posting is found through a map from ids when the ids
 * are dense, else (since the documents of one term ascend) by galloping
 * forward from the previous one: the whole walk is linear in the size of
 * the index (plus a logarithm per gap).
 */
#include "check.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "../common/tok.h"
#include "kind.h"

/* No position of a string of n bytes can reach this: a code point (at
 * least one byte) yields at most 8 code points after normalisation, each
 * taking at most one position, and a punctuation run adds one more. */
#define POS_BOUND(nbytes) ((uint64_t)(nbytes) * 8 + 2)

enum { E_KIND_SEEN = 1 };

typedef struct {
    uint32_t id;
    uint32_t file;        /* index into ck.files, UINT32_MAX when none */
    uint32_t title_npos, npos;
    uint32_t abound, sbound; /* bounds of author and section positions */
    uint8_t kind;
    uint8_t flags;
} ck_entry;

typedef struct {
    uint32_t file_id;
    uint32_t first_id, nentries;
    uint32_t found;       /* entries seen in its range */
    uint32_t pbound;      /* bound of file-name positions */
    const char *path;     /* from fileid, points into LMDB */
    size_t path_len;
    int has_record;       /* a "file" record names it */
} ck_file;

typedef struct {
    store *s;
    MDB_txn *txn;
    FILE *out;
    unsigned max_lines, lines;
    check_report *rep;
    char *msg;
    size_t msglen;

    ck_entry *e;
    size_t ne, ecap;
    uint32_t *byid;       /* id -> index in e + 1 (0: none), when ids are dense */
    uint32_t nbyid;
    ck_file *f;           /* sorted by file_id */
    size_t nf, fcap;

    int have_stats;
    store_stats st;
    uint32_t dbase;       /* the delta's base id (UINT32_MAX: no delta tier) */
    uint8_t mkey[STORE_KEY_MAX]; /* where the merge under way goes on (MERGING in store.c) */
    size_t mlen;          /* the term part of mkey; 0: no merge under way */
    store_range *dead;    /* removed entries whose postings "post" holds */
    size_t ndead;
    uint64_t tdead;       /* the current term's documents in them */
    uint64_t dfix_seen;   /* "dfix" records that matched a term's */
    uint64_t nfile_records;
    uint64_t sumlen;
    uint32_t max_file_id;
    int any_file_id;
    uint32_t *pos;        /* one document's positions (check_positions) */
    size_t pcap;
} ck;

static void problem(ck *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void problem(ck *c, const char *fmt, ...)
{
    c->rep->problems++;
    if (!c->out || c->lines >= c->max_lines)
        return;
    c->lines++;
    va_list ap;
    va_start(ap, fmt);
    fputs("check: ", c->out);
    vfprintf(c->out, fmt, ap);
    fputc('\n', c->out);
    va_end(ap);
}

/* Writes at most 64 bytes of s into buf for a message: valid UTF-8 text as
 * it is, other bytes and controls as \xHH. */
static const char *show(char *buf, size_t cap, const void *s, size_t n)
{
    const unsigned char *p = s;
    size_t o = 0;
    if (n > 64)
        n = 64;
    for (size_t i = 0; i < n && o + 8 < cap;) {
        uint32_t cp;
        int k = p[i] < 0x80 ? 1 : fz_utf8_decode(p + i, n - i, &cp);
        if (k > 1) {
            memcpy(buf + o, p + i, (size_t)k);
            o += (size_t)k;
            i += (size_t)k;
        } else if (k == 1 && p[i] >= 0x20 && p[i] < 0x7f && p[i] != '"' && p[i] != '\\') {
            buf[o++] = (char)p[i++];
        } else {
            o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", p[i++]);
        }
    }
    buf[o] = 0;
    return buf;
}

/* An LMDB error while walking a table: a damaged page is a problem of the
 * index; anything else means the check itself could not go on. */
static int walk_error(ck *c, int rc, const char *table)
{
    if (rc == MDB_CORRUPTED || rc == MDB_PAGE_NOTFOUND) {
        problem(c, "table %s: %s; the rest of it was not checked", table, mdb_strerror(rc));
        return 0;
    }
    return store_lmdb_err(rc, table, c->msg, c->msglen);
}

/* ---- 1. meta ---- */

static int check_meta(ck *c)
{
    MDB_dbi meta = store_dbi(c->s, STORE_DB_META);
    MDB_val k = {5, "magic"}, v;
    int rc = mdb_get(c->txn, meta, &k, &v);
    if (rc && rc != MDB_NOTFOUND)
        return walk_error(c, rc, "meta");
    if (rc || v.mv_size != strlen(STORE_MAGIC) || memcmp(v.mv_data, STORE_MAGIC, v.mv_size))
        problem(c, "meta: missing or wrong magic record");
    k.mv_size = 6;
    k.mv_data = "format";
    rc = mdb_get(c->txn, meta, &k, &v);
    uint64_t fmt = 0;
    if (rc && rc != MDB_NOTFOUND)
        return walk_error(c, rc, "meta");
    if (rc || !fz_varint_get(v.mv_data, (const uint8_t *)v.mv_data + v.mv_size, &fmt) || fmt != STORE_FORMAT)
        problem(c, "meta: missing or wrong format record (want %d)", STORE_FORMAT);
    /* the text dictionary, when there is one (ENTRY BLOCKS in store.c):
     * the blocks' frames are checked with it below */
    char why[256];
    rc = store_tdict_check(c->s, c->txn, why, sizeof why);
    if (rc == FZ_ECORRUPT)
        problem(c, "meta: %s", why);
    else if (rc)
        return rc;
    k.mv_size = 5;
    k.mv_data = "stats";
    rc = mdb_get(c->txn, meta, &k, &v);
    if (rc == MDB_NOTFOUND)
        return FZ_OK; /* a fresh index: checked against the records at the end */
    if (rc)
        return walk_error(c, rc, "meta");
    rc = store_stats_get(c->s, c->txn, &c->st);
    if (rc == FZ_ECORRUPT)
        problem(c, "meta: the statistics record does not decode");
    else if (rc)
        return rc;
    else
        c->have_stats = 1;
    return FZ_OK;
}

/* ---- 2. files ---- */

static ck_file *find_file(ck *c, uint32_t file_id)
{
    size_t lo = 0, hi = c->nf;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->f[mid].file_id < file_id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < c->nf && c->f[lo].file_id == file_id ? &c->f[lo] : NULL;
}

static void saw_file_id(ck *c, uint32_t id)
{
    if (!c->any_file_id || id > c->max_file_id)
        c->max_file_id = id;
    c->any_file_id = 1;
}

static int cmp_range(const void *a, const void *b)
{
    const ck_file *x = *(ck_file *const *)a, *y = *(ck_file *const *)b;
    return x->first_id < y->first_id ? -1 : x->first_id > y->first_id;
}

/* A key of "file" or "catalog" (table) as a NUL-terminated path in path
 * (65536 bytes); -1 after reporting a key that is no usable path. */
static int key_path(ck *c, const char *table, const MDB_val *k, char *path)
{
    char b1[400];
    if (k->mv_size == 0 || k->mv_size >= 65536 || memchr(k->mv_data, 0, k->mv_size)) {
        problem(c, "%s \"%s\": not a usable path (%zu bytes)", table, show(b1, sizeof b1, k->mv_data, k->mv_size),
                k->mv_size);
        return -1;
    }
    memcpy(path, k->mv_data, k->mv_size);
    path[k->mv_size] = 0;
    return 0;
}

/* catalog: path -> row; the path is an indexed file's, the row decodes
 * and its strings are UTF-8 text */
static int check_catalog(ck *c)
{
    MDB_cursor *cur;
    MDB_val k, v;
    char b1[400];
    int rc = mdb_cursor_open(c->txn, store_dbi(c->s, STORE_DB_CATALOG), &cur);
    if (rc)
        return store_lmdb_err(rc, "catalog", c->msg, c->msglen);
    char *path = malloc(65536);
    if (!path) {
        mdb_cursor_close(cur);
        return FZ_ENOMEM;
    }
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        const char *kp = k.mv_data;
        if (key_path(c, "catalog", &k, path))
            continue;
        store_file sf;
        store_catalog cat;
        int r = store_file_get(c->s, c->txn, path, &sf);
        if (r == FZ_ENOTFOUND) {
            problem(c, "catalog \"%s\": no such file is indexed", show(b1, sizeof b1, kp, k.mv_size));
            continue;
        }
        if (!r)
            r = store_catalog_get(c->s, c->txn, path, &cat);
        if (r == FZ_ECORRUPT) {
            problem(c, "catalog \"%s\": its record does not decode", show(b1, sizeof b1, kp, k.mv_size));
            continue;
        }
        if (r) {
            free(path);
            mdb_cursor_close(cur);
            return r;
        }
        if (fz_utf8_check((const unsigned char *)cat.title, cat.title_len) != cat.title_len ||
            fz_utf8_check((const unsigned char *)cat.place, cat.place_len) != cat.place_len ||
            memchr(cat.title, 0, cat.title_len) || memchr(cat.place, 0, cat.place_len))
            problem(c, "catalog \"%s\": its title or place is not UTF-8 text", show(b1, sizeof b1, kp, k.mv_size));
    }
    free(path);
    mdb_cursor_close(cur);
    if (rc != MDB_NOTFOUND && (rc = walk_error(c, rc, "catalog")))
        return rc;
    return FZ_OK;
}

static int check_files(ck *c)
{
    MDB_cursor *cur;
    MDB_val k, v;
    char b1[400], b2[400];
    int rc = mdb_cursor_open(c->txn, store_dbi(c->s, STORE_DB_FILEID), &cur);
    if (rc)
        return store_lmdb_err(rc, "fileid", c->msg, c->msglen);
    /* fileid: be32 file_id -> path; keys come in ascending id order */
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 4) {
            problem(c, "fileid: a key of %zu bytes (want 4)", k.mv_size);
            continue;
        }
        if (v.mv_size == 0) {
            problem(c, "fileid %u: empty path", fz_be32_get(k.mv_data));
            continue;
        }
        if (c->nf == c->fcap) {
            size_t cap = c->fcap ? c->fcap * 2 : 256;
            ck_file *nf = realloc(c->f, cap * sizeof *nf);
            if (!nf) {
                mdb_cursor_close(cur);
                return FZ_ENOMEM;
            }
            c->f = nf;
            c->fcap = cap;
        }
        ck_file *f = &c->f[c->nf++];
        memset(f, 0, sizeof *f);
        f->file_id = fz_be32_get(k.mv_data);
        f->path = v.mv_data;
        f->path_len = v.mv_size;
        f->pbound = v.mv_size > UINT32_MAX / 16 ? UINT32_MAX : (uint32_t)POS_BOUND(v.mv_size);
        saw_file_id(c, f->file_id);
    }
    mdb_cursor_close(cur);
    if (rc != MDB_NOTFOUND && (rc = walk_error(c, rc, "fileid")))
        return rc;

    /* file: path -> record */
    if ((rc = mdb_cursor_open(c->txn, store_dbi(c->s, STORE_DB_FILE), &cur)))
        return store_lmdb_err(rc, "file", c->msg, c->msglen);
    char *path = malloc(65536);
    if (!path) {
        mdb_cursor_close(cur);
        return FZ_ENOMEM;
    }
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        c->nfile_records++;
        const char *kp = k.mv_data;
        if (key_path(c, "file", &k, path))
            continue;
        store_file sf;
        int r = store_file_get(c->s, c->txn, path, &sf);
        if (r == FZ_ECORRUPT || r == FZ_ENOTFOUND) {
            problem(c, "file \"%s\": its record does not decode", show(b1, sizeof b1, kp, k.mv_size));
            continue;
        }
        if (r) {
            free(path);
            mdb_cursor_close(cur);
            return r;
        }
        saw_file_id(c, sf.file_id);
        ck_file *f = find_file(c, sf.file_id);
        if (!f) {
            problem(c, "file \"%s\": its id %u has no fileid record", show(b1, sizeof b1, kp, k.mv_size),
                    sf.file_id);
            continue;
        }
        if (f->path_len != k.mv_size || memcmp(f->path, kp, k.mv_size)) {
            problem(c, "file \"%s\": its id %u names another path, \"%s\"", show(b1, sizeof b1, kp, k.mv_size),
                    sf.file_id, show(b2, sizeof b2, f->path, f->path_len));
            continue;
        }
        if (f->has_record) {
            problem(c, "file id %u: two file records", sf.file_id);
            continue;
        }
        if (fz_utf8_check((const unsigned char *)sf.volume, sf.volume_len) != sf.volume_len ||
            memchr(sf.volume, 0, sf.volume_len))
            problem(c, "file \"%s\": its volume title is not UTF-8 text", show(b1, sizeof b1, kp, k.mv_size));
        f->has_record = 1;
        f->first_id = sf.first_id;
        f->nentries = sf.nentries;
        if ((uint64_t)sf.first_id + sf.nentries > UINT32_MAX) {
            problem(c, "file \"%s\": entry ids %u + %u overflow", show(b1, sizeof b1, kp, k.mv_size),
                    sf.first_id, sf.nentries);
            f->nentries = 0;
        }
    }
    free(path);
    mdb_cursor_close(cur);
    if (rc != MDB_NOTFOUND && (rc = walk_error(c, rc, "file")))
        return rc;

    /* every fileid needs its file record; the files' id ranges are disjoint */
    ck_file **byfirst = malloc((c->nf ? c->nf : 1) * sizeof *byfirst);
    if (!byfirst)
        return FZ_ENOMEM;
    size_t nr = 0;
    for (size_t i = 0; i < c->nf; i++) {
        ck_file *f = &c->f[i];
        if (!f->has_record)
            problem(c, "fileid %u (\"%s\"): no file record for this path", f->file_id,
                    show(b1, sizeof b1, f->path, f->path_len));
        else if (f->nentries)
            byfirst[nr++] = f;
    }
    qsort(byfirst, nr, sizeof *byfirst, cmp_range);
    for (size_t i = 1; i < nr; i++) {
        const ck_file *a = byfirst[i - 1], *b = byfirst[i];
        if ((uint64_t)a->first_id + a->nentries > b->first_id)
            problem(c, "files %u and %u: entry id ranges overlap (%u+%u, %u+%u)", a->file_id, b->file_id,
                    a->first_id, a->nentries, b->first_id, b->nentries);
    }
    free(byfirst);
    c->rep->files = c->nfile_records;
    return check_catalog(c);
}

/* ---- 3. entries ---- */

static uint32_t bound_strs(size_t n, const size_t *lens)
{
    uint64_t b = 1;
    for (size_t i = 0; i < n; i++)
        b += POS_BOUND(lens[i]) + 1;
    return b > UINT32_MAX ? UINT32_MAX : (uint32_t)b;
}

/* Records entry id (decoded as se) for the later checks, and checks what
 * it says of itself and of its file.  FZ_ENOMEM, else 0. */
static int check_entry(ck *c, uint32_t id, const store_entry *sp)
{
    const store_entry se = *sp;
    if (c->ne == c->ecap) {
        size_t cap = c->ecap ? c->ecap * 2 : 4096;
        ck_entry *ne = realloc(c->e, cap * sizeof *ne);
        if (!ne)
            return FZ_ENOMEM;
        c->e = ne;
        c->ecap = cap;
    }
    ck_entry *e = &c->e[c->ne++];
    memset(e, 0, sizeof *e);
    e->id = id;
    e->file = UINT32_MAX;
    e->title_npos = se.title_npos;
    e->npos = se.npos;
    e->kind = se.kind;
    e->abound = bound_strs(se.nauthors, se.author_len);
    e->sbound = bound_strs(se.nsection, se.section_len);
    c->sumlen += se.npos;
    if (se.kind >= FZ_KIND_COUNT)
        problem(c, "entry %u: unknown kind %u", id, se.kind);
    if (se.title_npos > se.npos)
        problem(c, "entry %u: title length %u exceeds its length %u", id, se.title_npos, se.npos);
    if (se.npos > POS_BOUND(se.title_len) + POS_BOUND(se.body_len))
        problem(c, "entry %u: length %u is more than its %zu bytes of text can hold", id, se.npos,
                se.title_len + se.body_len);
    if (c->have_stats && id >= c->st.next_id)
        problem(c, "entry %u: id not below next_id %u", id, c->st.next_id);
    ck_file *f = find_file(c, se.file_id);
    if (!f || !f->has_record) {
        problem(c, "entry %u: its file %u does not exist", id, se.file_id);
    } else if (id < f->first_id || id - f->first_id >= f->nentries) {
        problem(c, "entry %u: outside its file %u's id range %u+%u", id, se.file_id, f->first_id, f->nentries);
    } else {
        e->file = (uint32_t)(f - c->f);
        f->found++;
    }
    const uint8_t *map = se.join;
    size_t ml = se.join_len;
    if (!map) {
        /* no bit set */
    } else if (map[ml - 1] == 0) {
        problem(c, "entry %u: its join map ends in a zero byte", id);
    } else if (map[0] & 1) {
        problem(c, "entry %u: its join map joins position 0 to nothing before it", id);
    } else {
        /* the highest bit set is in the last byte */
        uint32_t hi = 7;
        while (!(map[ml - 1] & (1u << hi)))
            hi--;
        uint64_t top = (uint64_t)(ml - 1) * 8 + hi;
        if (top >= se.npos)
            problem(c, "entry %u: its join map joins position %llu, beyond its length %u", id,
                    (unsigned long long)top, se.npos);
    }
    return FZ_OK;
}

static int check_entries(ck *c)
{
    MDB_cursor *cur;
    MDB_val k, v;
    int rc = mdb_cursor_open(c->txn, store_dbi(c->s, STORE_DB_ENTRY), &cur);
    if (rc)
        return store_lmdb_err(rc, "entry", c->msg, c->msglen);
    fz_arena *arena = NULL;
    unsigned in_arena = 0;
    int err = FZ_OK;
    uint64_t next = 0; /* the first id a block may hold: blocks do not overlap */
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && !err; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 4) {
            problem(c, "entry: a key of %zu bytes (want 4)", k.mv_size);
            continue;
        }
        uint32_t last = fz_be32_get(k.mv_data);
        if (!arena || ++in_arena == 256) {
            fz_arena_destroy(arena);
            in_arena = 0;
            if (!(arena = fz_arena_create())) {
                err = FZ_ENOMEM;
                break;
            }
        }
        store_entry_block blk;
        if (store_entry_block_open(store_tdict_of(c->s, c->txn), v.mv_data, v.mv_size, last, arena, &blk)) {
            problem(c, "entry block %u: does not decode", last);
            continue;
        }
        if (blk.first < next) {
            /* its entries would come twice or out of order: skipped */
            problem(c, "entry block %u: overlaps the block before it (from %u)", last, blk.first);
            continue;
        }
        next = (uint64_t)last + 1;
        store_entry se;
        int r;
        while ((r = store_entry_block_next(&blk, arena, &se)) != FZ_ENOTFOUND) {
            uint32_t id = blk.first + blk.i - 1;
            if (r) {
                problem(c, "entry %u: does not decode", id);
                continue;
            }
            if ((err = check_entry(c, id, &se)))
                break;
        }
    }
    fz_arena_destroy(arena);
    mdb_cursor_close(cur);
    if (err)
        return err;
    if (rc != MDB_NOTFOUND && (rc = walk_error(c, rc, "entry")))
        return rc;
    c->rep->entries = c->ne;
    /* A direct map from ids to entries when they are dense enough (ids are
     * never reused, so re-indexing leaves gaps): the posting walk looks up
     * every document, and the map saves the cache misses of a search. */
    if (c->ne && c->e[c->ne - 1].id < 4 * (uint64_t)c->ne + 65536) {
        c->nbyid = c->e[c->ne - 1].id + 1;
        if ((c->byid = calloc(c->nbyid, sizeof *c->byid)))
            for (size_t i = 0; i < c->ne; i++)
                c->byid[c->e[i].id] = (uint32_t)i + 1;
    }
    char b1[400];
    for (size_t i = 0; i < c->nf; i++) {
        const ck_file *f = &c->f[i];
        if (f->has_record && f->found != f->nentries)
            problem(c, "file %u (\"%s\"): %u of its %u entries are missing", f->file_id,
                    show(b1, sizeof b1, f->path, f->path_len), f->nentries - f->found, f->nentries);
    }
    return FZ_OK;
}

/* Entry id in the sorted array, galloping forward from *finger (the
 * previous answer for the same ascending sequence, 0 to start). */
static ck_entry *find_entry(ck *c, uint32_t id, size_t *finger)
{
    if (c->byid) {
        uint32_t i = id < c->nbyid ? c->byid[id] : 0;
        return i ? &c->e[i - 1] : NULL;
    }
    size_t n = c->ne, lo = *finger;
    if (n == 0)
        return NULL;
    if (lo >= n || c->e[lo].id > id)
        lo = 0;
    if (c->e[lo].id > id)
        return NULL;
    size_t step = 1;
    while (lo + step < n && c->e[lo + step].id <= id) {
        lo += step;
        step *= 2;
    }
    size_t hi = lo + step < n ? lo + step : n;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->e[mid].id <= id)
            lo = mid;
        else
            hi = mid;
    }
    *finger = lo;
    return c->e[lo].id == id ? &c->e[lo] : NULL;
}

/* ---- 4. dlen ---- */

static void dlen_expect(ck *c, uint32_t id, const ck_entry *e, uint32_t got)
{
    uint32_t want = e ? e->npos : 0;
    if (got == want)
        return;
    if (e)
        problem(c, "dlen: entry %u has length %u, the entry says %u", id, got, want);
    else
        problem(c, "dlen: id %u has no entry but length %u (want 0)", id, got);
}

static int check_dlen(ck *c)
{
    MDB_cursor *cur;
    MDB_val k, v;
    int rc = mdb_cursor_open(c->txn, store_dbi(c->s, STORE_DB_DLEN), &cur);
    if (rc)
        return store_lmdb_err(rc, "dlen", c->msg, c->msglen);
    size_t ei = 0; /* next entry not yet compared */
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 4) {
            problem(c, "dlen: a key of %zu bytes (want 4)", k.mv_size);
            continue;
        }
        uint32_t chunk = fz_be32_get(k.mv_data);
        if (chunk > UINT32_MAX / STORE_DLEN_CHUNK) {
            problem(c, "dlen: chunk %u is beyond every possible id", chunk);
            continue;
        }
        uint32_t base = chunk * STORE_DLEN_CHUNK;
        /* entries before this chunk that no chunk covered */
        for (; ei < c->ne && c->e[ei].id < base; ei++)
            dlen_expect(c, c->e[ei].id, &c->e[ei], 0);
        if (v.mv_size != STORE_DLEN_CHUNK * 4) {
            problem(c, "dlen: chunk %u has %zu bytes (want %d)", chunk, v.mv_size, STORE_DLEN_CHUNK * 4);
            continue;
        }
        const uint8_t *p = v.mv_data;
        for (uint32_t i = 0; i < STORE_DLEN_CHUNK; i++, p += 4) {
            uint32_t id = base + i;
            uint32_t got = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
            const ck_entry *e = NULL;
            if (ei < c->ne && c->e[ei].id == id)
                e = &c->e[ei++];
            dlen_expect(c, id, e, got);
        }
    }
    mdb_cursor_close(cur);
    if (rc != MDB_NOTFOUND && (rc = walk_error(c, rc, "dlen")))
        return rc;
    for (; ei < c->ne; ei++)
        dlen_expect(c, c->e[ei].id, &c->e[ei], 0);
    return FZ_OK;
}

/* ---- 5. postings ---- */

typedef struct {
    const char *table;    /* "post" or "dpost" */
    int delta;            /* a key of "dpost" */
    int field;
    const uint8_t *term;
    size_t term_len;
    uint32_t first;
    int kind;             /* field 'k': the fz_kind the term names, -1 if none */
    char where[200];      /* "post b:"term" @first", made when a message needs it */
    int where_made;
} ck_key;

static const char *where(ck_key *key)
{
    if (!key->where_made) {
        char b1[400];
        snprintf(key->where, sizeof key->where, "%s %c:\"%s\" @%u", key->table,
                 key->field >= 0x20 && key->field < 0x7f ? key->field : '?',
                 show(b1, sizeof b1, key->term, key->term_len), key->first);
        key->where_made = 1;
    }
    return key->where;
}

/* Checks one document's positions (decoded from the block's position
 * stream, or a packed term's record); returns 0, or describes the problem
 * and returns -1. */
static int check_positions(ck *c, ck_key *key, store_block *b, const ck_entry *e)
{
    uint64_t n = (uint64_t)b->tf_title + b->tf_body;
    if (n == 0) {
        problem(c, "%s: doc %u has no positions", where(key), b->doc);
        return -1;
    }
    uint64_t bound;
    switch (key->field) {
    case STORE_F_UNI:
        /* no positions: the frequencies fit the title and the entry */
        if (b->tf_title > e->title_npos || n > e->npos) {
            problem(c, "%s: doc %u: %u title and %u body occurrences cannot fit in the entry's lengths %u/%u",
                    where(key), b->doc, b->tf_title, b->tf_body, e->title_npos, e->npos);
            return -1;
        }
        return 0;
    case STORE_F_TEXT: bound = e->npos; break;
    case STORE_F_AUTHOR: bound = e->abound; break;
    case STORE_F_SECTION: bound = e->sbound; break;
    case STORE_F_FILE: bound = e->file != UINT32_MAX ? c->f[e->file].pbound : UINT32_MAX; break;
    default: bound = 1; break; /* kind: one word at position 0 */
    }
    /* distinct positions below bound: at most bound of them */
    if (n > bound || (b->packed && n > (uint64_t)(b->docs_end - b->doc_pos))) {
        problem(c, "%s: doc %u: %llu positions cannot fit in the entry's length %llu", where(key), b->doc,
                (unsigned long long)n, (unsigned long long)bound);
        return -1;
    }
    if (n > c->pcap) {
        uint32_t *np = realloc(c->pos, n * sizeof *np);
        if (!np) {
            problem(c, "%s: doc %u: out of memory for %llu positions", where(key), b->doc, (unsigned long long)n);
            return -1;
        }
        c->pos = np;
        c->pcap = n;
    }
    if (store_block_positions(b, c->pos, (uint32_t)n) != (int)n) {
        problem(c, "%s: doc %u: positions do not decode", where(key), b->doc);
        return -1;
    }
    for (uint64_t i = 0; i < n; i++) {
        uint64_t pos = c->pos[i];
        if (i > 0 && pos == c->pos[i - 1]) {
            problem(c, "%s: doc %u: position %llu repeated", where(key), b->doc, (unsigned long long)pos);
            return -1;
        }
        if (pos >= bound) {
            problem(c, "%s: doc %u: position %llu beyond the entry's length %llu", where(key), b->doc,
                    (unsigned long long)pos, (unsigned long long)bound);
            return -1;
        }
        if (key->field == STORE_F_TEXT) {
            int in_title = i < b->tf_title;
            if (in_title && pos >= e->title_npos) {
                problem(c, "%s: doc %u: title position %llu not below the title's length %u", where(key),
                        b->doc, (unsigned long long)pos, e->title_npos);
                return -1;
            }
            if (!in_title && pos < e->title_npos) {
                problem(c, "%s: doc %u: body position %llu inside the title (length %u)", where(key), b->doc,
                        (unsigned long long)pos, e->title_npos);
                return -1;
            }
        }
    }
    return 0;
}

static void check_docs(ck *c, ck_key *key, store_block *b, size_t *finger);

/* Whether key's term comes before the key where the merge under way goes
 * on: the merge has moved its delta postings into "post". */
static int merged_term(const ck *c, const ck_key *key)
{
    if (!c->mlen || key->term_len + 2 > STORE_KEY_MAX)
        return 0;
    uint8_t t[STORE_KEY_MAX];
    t[0] = (uint8_t)key->field;
    memcpy(t + 1, key->term, key->term_len);
    t[key->term_len + 1] = 0;
    size_t n = key->term_len + 2, m = n < c->mlen ? n : c->mlen;
    int d = memcmp(t, c->mkey, m);
    return d < 0 || (d == 0 && n < c->mlen);
}

/* Checks one block; returns after its first problem. */
static void check_block(ck *c, ck_key *key, const MDB_val *v, size_t *finger, uint32_t *last_out)
{
    store_block b;
    *last_out = key->first;
    if (store_block_open(&b, key->first, v->mv_data, v->mv_size)) {
        problem(c, "%s: block does not decode", where(key));
        return;
    }
    *last_out = b.last;
    c->rep->blocks++;
    check_docs(c, key, &b, finger);
}

/* Checks the documents of block b (freshly opened, or a packed term's). */
static void check_docs(ck *c, ck_key *key, store_block *bp, size_t *finger)
{
    store_block b = *bp;
    if (b.nopos == store_field_positions(key->field)) {
        problem(c, "%s: %s", where(key),
                b.nopos ? "no positions, but the field keeps them" : "positions, but the field keeps none (CJK unigrams)");
        return;
    }
    if (store_block_verify(&b)) {
        problem(c, "%s: block does not decode (ids out of order or beyond the block's last, a document without "
                   "occurrences, positions cut short, or bytes left after the last document)", where(key));
        return;
    }
    if (b.ndocs > STORE_BLOCK_DOCS) {
        problem(c, "%s: %u documents in a block (at most %d)", where(key), b.ndocs, STORE_BLOCK_DOCS);
        return;
    }
    if (key->delta && merged_term(c, key)) {
        problem(c, "%s: in the delta, but before the key where the merge under way goes on", where(key));
        return;
    }
    if (key->delta ? b.first < c->dbase : b.last >= c->dbase && !merged_term(c, key)) {
        problem(c, "%s: ids %u..%u, but the delta's base is %u (ids below it are in \"post\", the others in \"dpost\")",
                where(key), b.first, b.last, c->dbase);
        return;
    }
    uint32_t prev = 0;
    int r = FZ_OK;
    for (; r == FZ_OK; r = store_block_next(&b)) {
        c->rep->postings++;
        prev = b.doc; /* ascending within [first, last]: store_block_next checks */
        if (c->ndead && store_dead_end(c->dead, c->ndead, b.doc)) {
            if (key->delta) {
                problem(c, "%s: doc %u is a removed entry's (the delta holds none)", where(key), b.doc);
                return;
            }
            c->tdead++; /* a removed entry's, left in "post": counted in "dfix" */
            continue;
        }
        if (b.tf_title > b.max_tf_title || b.tf_body > b.max_tf_body) {
            problem(c, "%s: doc %u: frequencies %u/%u above the block's maxima %u/%u", where(key), b.doc,
                    b.tf_title, b.tf_body, b.max_tf_title, b.max_tf_body);
            return;
        }
        ck_entry *e = find_entry(c, b.doc, finger);
        if (!e) {
            problem(c, "%s: doc %u has no entry", where(key), b.doc);
            return;
        }
        if (e->npos < b.min_dl) {
            problem(c, "%s: doc %u: length %u below the block's min_dl %u", where(key), b.doc, e->npos, b.min_dl);
            return;
        }
        if (b.q && store_impact(b.tf_title, b.tf_body, e->npos, b.a0) > store_impact_value(b.q) * (1.0 + 1e-9)) {
            problem(c, "%s: doc %u: impact above the block's recorded %u/255", where(key), b.doc, b.q);
            return;
        }
        if (key->field == STORE_F_KIND) {
            if (key->kind != e->kind) {
                problem(c, "%s: doc %u is of another kind (%s)", where(key), b.doc,
                        fz_kind_name(e->kind));
                return;
            }
            if (e->flags & E_KIND_SEEN) {
                problem(c, "%s: doc %u is in two kind lists", where(key), b.doc);
                return;
            }
            e->flags |= E_KIND_SEEN;
        }
        if (check_positions(c, key, &b, e))
            return;
    }
    if (r != FZ_ENOTFOUND) {
        problem(c, "%s: document %u of %u does not decode (cut short, or its id out of order or beyond the block's last)",
                where(key), b.i + 1, b.ndocs);
        return;
    }
    /* a packed term's last document's positions end its records (a
     * block's position stream was checked to end the value above) */
    const uint8_t *tail = b.packed ? b.doc_next : b.docs_end;
    if (prev != b.last)
        problem(c, "%s: last doc %u, the header says %u", where(key), prev, b.last);
    else if (tail != b.docs_end)
        problem(c, "%s: %zu bytes left after the last document", where(key), (size_t)(b.docs_end - tail));
}

static int check_term(ck *c, ck_key *key);

/* Splits a posting key (a block's, or with first 0 a pack's); 0 or -1 (a
 * problem was reported). */
static int parse_key(ck *c, const MDB_val *k, ck_key *key)
{
    const uint8_t *p = k->mv_data;
    char b1[400];
    if (store_key_is_tpack(p, k->mv_size)) {
        key->field = p[0];
        key->term = p + 1;
        key->term_len = k->mv_size - 2;
        key->first = 0;
        key->where_made = 0;
        return check_term(c, key);
    }
    if (k->mv_size < 7 || p[k->mv_size - 5] != 0) {
        problem(c, "%s: malformed key \"%s\"", key->table, show(b1, sizeof b1, p, k->mv_size));
        return -1;
    }
    key->field = p[0];
    key->term = p + 1;
    key->term_len = k->mv_size - 6;
    key->first = fz_be32_get(p + k->mv_size - 4);
    key->where_made = 0;
    return check_term(c, key);
}

/* The field and term of key are sound; 0 or -1 (a problem was reported). */
static int check_term(ck *c, ck_key *key)
{
    if (key->field != STORE_F_TEXT && key->field != STORE_F_UNI && key->field != STORE_F_AUTHOR &&
        key->field != STORE_F_SECTION && key->field != STORE_F_FILE && key->field != STORE_F_KIND) {
        problem(c, "%s: unknown field 0x%02x", where(key), key->field);
        return -1;
    }
    if (memchr(key->term, 0, key->term_len) || key->term_len > TOK_TERM_MAX ||
        fz_utf8_check(key->term, key->term_len) != key->term_len) {
        problem(c, "%s: malformed term", where(key));
        return -1;
    }
    if (key->field == STORE_F_UNI) {
        /* one CJK character, the analyser's unigram */
        uint32_t cp;
        int n = fz_utf8_decode(key->term, key->term_len, &cp);
        if (n <= 0 || (size_t)n != key->term_len || tok_classify(cp) != TOK_C_CJK) {
            problem(c, "%s: not one CJK character", where(key));
            return -1;
        }
    }
    key->kind = -1;
    if (key->field == STORE_F_KIND) {
        key->kind = fz_kind_lookup((const char *)key->term, key->term_len);
        if (key->kind >= 0 && memcmp(fz_kind_name(key->kind), key->term, key->term_len) != 0)
            key->kind = -1; /* the index holds the names as written */
        if (key->kind < 0) {
            problem(c, "%s: not a kind name", where(key));
            return -1;
        }
    }
    return 0;
}

/* Order of the key prefix b (field, term, 0x00) against a, as LMDB sorts
 * the terms' keys: > 0 when b comes after a. */
static int term_after(const uint8_t *a, size_t la, const void *b, size_t lb)
{
    int r = memcmp(b, a, la < lb ? la : lb);
    if (r)
        return r;
    return la < lb ? 1 : la > lb ? -1 : 0;
}

/* The term of key is done: its documents of removed entries (c->tdead)
 * must be what "dfix" says. */
static void dead_term_end(ck *c, ck_key *key)
{
    uint64_t want = 0;
    if (key->delta)
        return;
    int rc = store_dfix_get(c->s, c->txn, key->field, (const char *)key->term, key->term_len, &want);
    if (rc)
        problem(c, "%s: its count of removed entries' documents does not decode", where(key));
    else if (want != c->tdead)
        problem(c, "%s: %llu documents of removed entries, \"dfix\" says %llu", where(key),
                (unsigned long long)c->tdead, (unsigned long long)want);
    if (want)
        c->dfix_seen++;
    c->tdead = 0;
}

/* Checks a term pack: every term as check_term does, in ascending order
 * after the term before the pack, each term's documents as a block's;
 * leaves its last term in prev_key. */
static void check_pack(ck *c, const MDB_val *k, const MDB_val *v, uint8_t *prev_key, size_t *prev_len,
                       int *prev_packed)
{
    store_tpack_iter it;
    ck_key key;
    memset(&key, 0, sizeof key);
    key.table = "post";
    key.field = ((const uint8_t *)k->mv_data)[0];
    key.term = (const uint8_t *)k->mv_data + 1;
    key.term_len = k->mv_size - 2;
    if (*prev_len && term_after(prev_key, *prev_len, k->mv_data, k->mv_size) <= 0)
        problem(c, "%s: a term pack whose first term sorts inside the pack before it", where(&key));
    *prev_len = 0;
    *prev_packed = 1;
    if (store_tpack_open(&it, k->mv_data, k->mv_size, v->mv_data, v->mv_size)) {
        problem(c, "%s: term pack does not decode", where(&key));
        return;
    }
    c->rep->packs++;
    int r;
    do {
        key.term = (const uint8_t *)it.term;
        key.term_len = it.term_len;
        key.first = it.first;
        key.where_made = 0;
        if (check_term(c, &key))
            return;
        c->rep->packed++;
        store_block b;
        if (store_block_open_tpack(&b, &it)) {
            problem(c, "%s: packed term does not decode", where(&key));
            return;
        }
        size_t finger = 0;
        c->tdead = 0;
        check_docs(c, &key, &b, &finger);
        dead_term_end(c, &key);
        prev_key[0] = (uint8_t)it.field;
        memcpy(prev_key + 1, it.term, it.term_len);
        prev_key[1 + it.term_len] = 0;
        *prev_len = it.term_len + 2;
    } while ((r = store_tpack_next(&it)) == FZ_OK);
    if (r != FZ_ENOTFOUND) {
        problem(c, "%s: the term pack's term after this one does not decode (or does not ascend)", where(&key));
        *prev_len = 0;
    }
}

/* Walks one tree of postings: "post", or the delta tier's "dpost". */
static int check_tree(ck *c, int delta)
{
    MDB_cursor *cur;
    MDB_val k, v;
    const char *table = delta ? "dpost" : "post";
    int rc = mdb_cursor_open(c->txn, store_dbi(c->s, delta ? STORE_DB_DPOST : STORE_DB_POST), &cur);
    if (rc)
        return store_lmdb_err(rc, table, c->msg, c->msglen);
    uint8_t prev_key[STORE_KEY_MAX + 8];
    size_t prev_len = 0; /* key bytes before the doc id; 0: no previous term */
    int prev_packed = 0; /* the previous term was the last of a pack */
    uint32_t prev_last = 0;
    size_t finger = 0;
    ck_key key, tkey;
    int have_term = 0; /* tkey: the term of the blocks walked last */
    key.table = table;
    key.delta = delta;
    c->tdead = 0;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (parse_key(c, &k, &key)) {
            prev_len = 0;
            continue;
        }
        if (store_key_is_tpack(k.mv_data, k.mv_size)) {
            if (have_term) /* the blocks' term before the pack is done */
                dead_term_end(c, &tkey);
            have_term = 0;
            if (delta)
                problem(c, "%s: a term pack in the delta tier (it holds blocks only)", where(&key));
            else
                check_pack(c, &k, &v, prev_key, &prev_len, &prev_packed);
            continue;
        }
        size_t plen = k.mv_size - 4;
        if (prev_packed && prev_len && term_after(prev_key, prev_len, k.mv_data, plen) <= 0) {
            problem(c, "%s: the term is also in the pack before it, or sorts inside it", where(&key));
            prev_len = 0;
            continue;
        }
        if (prev_len == plen && memcmp(prev_key, k.mv_data, plen) == 0) {
            if (key.first <= prev_last)
                problem(c, "%s: overlaps the term's previous block (which ends at %u)", where(&key), prev_last);
        } else {
            if (have_term)
                dead_term_end(c, &tkey);
            finger = 0;
            memcpy(prev_key, k.mv_data, plen);
            prev_len = plen;
        }
        prev_packed = 0;
        have_term = 1;
        tkey = key;
        tkey.term = prev_key + 1;
        check_block(c, &key, &v, &finger, &prev_last);
        if (delta)
            c->rep->delta_blocks++;
    }
    mdb_cursor_close(cur);
    if (have_term)
        dead_term_end(c, &tkey);
    if (rc != MDB_NOTFOUND && (rc = walk_error(c, rc, table)))
        return rc;
    return FZ_OK;
}

static int check_postings(ck *c)
{
    int rc = store_delta_base(c->s, c->txn, &c->dbase);
    if (rc == FZ_ECORRUPT) {
        problem(c, "meta: the delta's base record does not decode");
        c->dbase = 0; /* every block of "post" is then reported */
    } else if (rc == FZ_ENOTFOUND) {
        if (store_delta_records(c->s, c->txn))
            problem(c, "dpost: the delta tier has postings, but \"meta\" has no base for it");
    } else if (rc) {
        return rc;
    } else if (c->have_stats && c->dbase > c->st.next_id) {
        problem(c, "meta: the delta's base %u is above next_id %u", c->dbase, c->st.next_id);
    }
    rc = store_delta_merging(c->s, c->txn, c->mkey, &c->mlen);
    if (rc == FZ_ECORRUPT) {
        problem(c, "meta: the record of the merge under way does not decode");
    } else if (rc < 0) {
        return rc;
    } else if (rc) {
        MDB_val mk = {c->mlen, c->mkey};
        if (c->dbase == UINT32_MAX)
            problem(c, "meta: a merge of the delta under way, but no delta's base");
        if (!store_delta_records(c->s, c->txn))
            problem(c, "meta: a merge of the delta under way, but the delta tier is empty");
        /* its term part: the terms before it are merged */
        c->mlen = store_key_is_tpack(mk.mv_data, mk.mv_size) || mk.mv_size < 7 ? mk.mv_size : mk.mv_size - 4;
    } else {
        c->mlen = 0;
    }
    rc = store_dead_get(c->s, c->txn, &c->dead, &c->ndead);
    if (rc == FZ_ECORRUPT)
        problem(c, "meta: the removed entries' record does not decode");
    else if (rc)
        return rc;
    for (size_t i = 0; i < c->ne; i++)
        if (c->ndead && store_dead_end(c->dead, c->ndead, c->e[i].id)) {
            problem(c, "entry %u: among the removed entries", c->e[i].id);
            break;
        }
    if ((rc = check_tree(c, 0)) || (rc = check_tree(c, 1)))
        return rc;
    MDB_stat ds;
    if (!mdb_stat(c->txn, store_dbi(c->s, STORE_DB_DFIX), &ds) && ds.ms_entries != c->dfix_seen)
        problem(c, "dfix: %llu counts of removed entries' documents, %llu of them for terms that have such documents",
                (unsigned long long)ds.ms_entries, (unsigned long long)c->dfix_seen);
    unsigned long long nokind = 0;
    for (size_t i = 0; i < c->ne; i++)
        if (!(c->e[i].flags & E_KIND_SEEN) && nokind++ < 3)
            problem(c, "entry %u: in no kind list (its postings are missing)", c->e[i].id);
    if (nokind > 3) {
        problem(c, "%llu more entries in no kind list", nokind - 3);
        c->rep->problems += nokind - 4; /* one problem per entry */
    }
    return FZ_OK;
}

/* ---- 6. statistics ---- */

static void check_stats(ck *c)
{
    if (!c->have_stats) {
        if (c->ne || c->nfile_records)
            problem(c, "meta: no usable statistics record, but %zu entries and %llu files", c->ne,
                    (unsigned long long)c->nfile_records);
        return;
    }
    const store_stats *st = &c->st;
    if (st->nentries != c->ne)
        problem(c, "stats: %llu entries, the index holds %zu", (unsigned long long)st->nentries, c->ne);
    if (st->sumlen != c->sumlen)
        problem(c, "stats: sum of lengths %llu, the entries add up to %llu", (unsigned long long)st->sumlen,
                (unsigned long long)c->sumlen);
    if (st->nfiles != c->nfile_records)
        problem(c, "stats: %llu files, the index holds %llu", (unsigned long long)st->nfiles,
                (unsigned long long)c->nfile_records);
    /* (entries at or above next_id were reported one by one) */
    for (size_t i = 0; i < c->nf; i++) {
        const ck_file *f = &c->f[i];
        if (f->has_record && f->nentries && (uint64_t)f->first_id + f->nentries > st->next_id)
            problem(c, "stats: next_id %u, but file %u's ids run to %u", st->next_id, f->file_id,
                    f->first_id + f->nentries - 1);
    }
    if (c->any_file_id && c->max_file_id >= st->next_file)
        problem(c, "stats: next_file %u, but file id %u exists", st->next_file, c->max_file_id);
}

int check_index(store *s, FILE *problems, unsigned max_lines, check_report *report, char *msg, size_t msglen)
{
    memset(report, 0, sizeof *report);
    ck c;
    memset(&c, 0, sizeof c);
    c.s = s;
    c.out = problems;
    c.max_lines = max_lines;
    c.rep = report;
    c.msg = msg;
    c.msglen = msglen;
    int rc = store_begin(s, 0, &c.txn, msg, msglen);
    if (rc)
        return rc;
    if (!(rc = check_meta(&c)) && !(rc = check_files(&c)) && !(rc = check_entries(&c)) && !(rc = check_dlen(&c)) &&
        !(rc = check_postings(&c)))
        check_stats(&c);
    mdb_txn_abort(c.txn);
    free(c.e);
    free(c.byid);
    free(c.f);
    free(c.pos);
    free(c.dead);
    if (rc) {
        if (msg && !msg[0])
            fz_msg(msg, msglen, "%s", fz_strerror(rc));
        return rc;
    }
    return report->problems ? FZ_ECORRUPT : FZ_OK;
}
