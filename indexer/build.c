/*
 * build.c -- records into entries and postings (see build.h; the layout
 * written is documented at the top of common/store.c).
 *
 * Threads.  The caller (fzindex's main thread) reads and decodes files and
 * hands them over with build_add_file, which parses and analyses each
 * file once on the calling thread (the router, build.rw) and sends every
 * worker thread (one per core, at most BUILD_MAX_WORKERS) the tokens of
 * its share of the terms (hash % workers) and the ends of the entries, in
 * the order of the text, in chunks (route_token, read_chunk).  So each
 * term lives in one worker, and every worker numbers the entries alike.
 * The analyser hands the router a run of Chinese text in batches
 * (tok_analyze_runs, on_run), and a metadata field that repeats the last
 * one of its place is sent as its items were then (meta_field): the
 * workers read what token by token would have sent them.
 * Only the main thread touches LMDB.  It writes the entries of finished
 * files between files (write_ready_entries) through the store's entry
 * writer, whose own threads train the text dictionary and make the
 * compressed blocks (store.h, store_entry_writer): it only puts them.
 *
 * Batches and runs.  When the gathered postings pass the memory budget
 * (--mem) -- as they were when an earlier file ended (batch_full) --,
 * between files, the main
 * thread waits for the workers to go
 * idle, gives the batch's entries the next ids, writes entries, file
 * records, lengths and join maps (appends: ids only grow), while each
 * worker sorts its terms and writes them to a run file of its own beside
 * the index.  At commit the runs and the last batch are merged term by
 * term into LMDB, each term's blocks in id order, consecutive short blocks
 * joined (the records are concatenated; only the first id delta is
 * rewritten).  So the index receives every term once, in key order (LMDB
 * appends when the index was empty), however many batches there were;
 * everything is still one write transaction.  The joining and sealing is
 * the workers' (prep_terms from memory in a build of one batch, prep_runs
 * from their runs after several), and the main thread only puts the
 * blocks (flush_prepared).  A batch in which the main thread's own worker
 * gathered terms (build_merge) is written as one run of all terms
 * (write_run), and then the main thread merges alone (flush_postings).
 *
 * In memory, each worker gives every distinct (field, term) a term id from
 * an open-addressing hash table; its postings accumulate as block records
 * (the on-disk record format, with local ids) in chunks carved from large
 * slabs, with a small descriptor per block of STORE_BLOCK_DOCS documents.
 * A record never straddles two chunks; a block may.  The CJK bigrams of
 * the text are kept apart, as pieces (below).
 *
 * Sorted bigrams.  A CJK bigram of the text (two three-byte characters:
 * half of all tokens, nearly all of them distinct within their entry, a
 * million distinct terms a worker on the poetry bench) would cost a worker
 * three random accesses a token (its slot, its term, its last chunk), and
 * a CJK unigram (STORE_F_UNI, the other half) its place among the entry's
 * terms and a record in a chunk not in cache.  So the router sends either
 * as a small item (R_BI: the term's code points as a key, its position,
 * or for a unigram whether it is the body's) to the worker the key
 * chooses, and that worker appends it, with its entry's local id, to one
 * of BG_NB buckets (the key's mix chooses it) without touching the
 * dictionary.  Past BG_DRAIN
 * bytes of records at a chunk's end, and at the batch's end before the
 * terms are sorted, flush_bigrams sorts each bucket by key (a radix sort in
 * cache, stable: a term's records stay in entry and position order); it
 * interns each unigram once and appends its documents' records of the
 * drain together (put_docs: the bytes put_doc, flush_entry_tokens'
 * writer, would append a document at a time), and writes each bigram's
 * records of the drain as a piece (put_piece), which the bigram's blocks
 * are cut from when the batch ends (bg_terms, next_desc: "Pieces"); the
 * records of the entry still being read wait for the next drain.  Whether
 * a term takes this path is decided by its bytes alone, so the postings
 * are the same as if every token had been interned, and the index is the
 * same.  The main thread's own worker (a build without threads, merges)
 * interns every token.
 */
#include "build.h"

#include <dirent.h>
#include <malloc.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "../common/tok.h"
#include "parse.h"

/* The default budget: an eighth of the machine's memory, at least 256 MB
 * and at most 2 GB. */
static size_t default_mem(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
    size_t m = pages > 0 && psize > 0 ? (size_t)pages * (size_t)psize / 8 : (size_t)1 << 30;
    if (m < ((size_t)256 << 20))
        m = (size_t)256 << 20;
    if (m > ((size_t)2 << 30))
        m = (size_t)2 << 30;
    return m;
}
#define BUILD_MAX_WORKERS 4
/* An update merges the delta tier into the main tree when it reaches
 * this share (percent) of the main tree's pages; FZINDEX_DELTA_SHARE
 * overrides it (the tests: 0 merges at every update, a large value
 * never). */
#define BUILD_DELTA_SHARE 25
/* Each transaction of the merge of the delta reads about this share (per
 * mille) of the bytes of both trees' pages, and at least BUILD_MERGE_MIN
 * bytes (MERGING in store.c). */
#define BUILD_MERGE_STEP 20
#define BUILD_MERGE_MIN (16 << 10)
#define TERM_INLINE 16
/* Bytes of text the workers may lag behind the main thread before it
 * waits for them to learn whether a batch is full (batch_full), or a
 * 128th of the postings' budget when that is less: each byte of text
 * gathers some 4 bytes of postings (GATHER_PER_BYTE).  Builds of the
 * poetry bench (files of 215 KB on average) waiting for the file 1, 3, 7
 * and 15 files before the last: 3.34-3.38, 2.92-3.32, 2.87-3.12 and
 * 2.90-3.03 s wall. */
#define BATCH_LAG ((size_t)2 << 20)

/* Postings gather in chunks carved from large slabs; a document record
 * never straddles two chunks. */
typedef struct chunk {
    struct chunk *next;
    uint32_t used, size;
    uint8_t data[];
} chunk;

/* Bytes of pieces a worker may write in a batch (bgpiece.at counts 4);
 * build_create keeps the postings' budget below it. */
#define PIECES_MAX ((size_t)1 << 34)
/* In w->order: the bigram o & ~ORD_BIGRAM of bgt (see "Pieces"), not a
 * term of the dictionary. */
#define ORD_BIGRAM 0x80000000u

typedef struct slab {
    struct slab *next;
    size_t used, size;
    _Alignas(16) uint8_t data[];
} slab;

/* What bounds the BM25 impact of a block's documents whatever the index's
 * average length turns out to be: the least length among its documents of
 * weighted frequency tfw = STORE_TITLE_WEIGHT * tf_title + tf_body = 1, 2,
 * 3 and >= 4 (the impact grows with tfw and shrinks with the length, so
 * the largest is at most that of one of these lengths with its level's
 * tfw, the block's largest for the last).  Lengths above 65534 are kept as
 * 65534, which only loosens the bound.  Kept per block as documents are
 * gathered, carried through run files, joined by taking the least lengths,
 * and turned into the recorded impact (store.h) when the block is written. */
typedef struct {
    uint16_t dl[4];      /* the least length + 1 (an entry may have length 0: a
                            text of □ and punctuation only); 0: no document
                            at that level */
} imp_levels;

static void imp_reset(imp_levels *m) { memset(m, 0, sizeof *m); }

static void imp_add(imp_levels *m, uint32_t tfw, uint32_t dl)
{
    int l = tfw >= 4 ? 3 : tfw ? (int)tfw - 1 : 0;
    uint16_t d = dl >= 65535 ? 65535 : (uint16_t)(dl + 1);
    if (!m->dl[l] || d < m->dl[l])
        m->dl[l] = d;
}

static void imp_join(imp_levels *m, const imp_levels *o)
{
    for (int i = 0; i < 4; i++)
        if (o->dl[i] && (!m->dl[i] || o->dl[i] < m->dl[i]))
            m->dl[i] = o->dl[i];
}

/* The largest impact m allows at average length a0, max_tfw bounding the
 * weighted frequency of every document. */
static double imp_best(const imp_levels *m, uint32_t max_tfw, uint32_t a0)
{
    double best = 0;
    for (int i = 0; i < 4; i++) {
        if (!m->dl[i])
            continue;
        double im = store_impact_w(i < 3 ? (double)(i + 1) : (double)max_tfw, m->dl[i] - 1u, a0);
        if (im > best)
            best = im;
    }
    return best;
}

/* A block of a term being gathered: its records are the bytes from
 * (c, off) on, nbytes of them, across the term's chunks. */
typedef struct blkdesc {
    struct blkdesc *next;
    struct blkdesc *tail; /* in a term's first full block: its last full block
                           * (kept here, not in term_cold: a blkdesc was 56
                           * bytes, 64 from slab_alloc anyway) */
    chunk *c;
    uint32_t off, nbytes;
    uint32_t first, last, ndocs, max_tt, max_tb, min_dl;
    imp_levels imp;      /* for the block's impact */
} blkdesc;

/* A term of a worker's dictionary: one cache line (the array is aligned
 * to them) with all that interning a token and the entry's record touch:
 * its bytes, its slot in the entry, where its postings end and the open
 * block's header.  The rest (term_cold, at the same index of its own
 * array) is touched when a block begins.  A term has postings when its
 * tail is set (their first chunk is where its first block begins). */
typedef struct {
    uint32_t eslot;      /* its slot + 1 among the current entry's terms, 0 none */
    uint8_t len;
    uint8_t field;
    uint16_t ndocs;      /* documents of the open block */
    union {
        char inl[TERM_INLINE]; /* the term's bytes, up to TERM_INLINE */
        uint32_t off;        /* else their offset in names */
    };
    chunk *tail;         /* the last chunk of its postings (block records) */
    uint32_t nbytes, first, last, max_tt, max_tb, min_dl; /* the open block's (blkdesc) */
    imp_levels imp;
} term_acc;
_Static_assert(sizeof(term_acc) == 64, "term_acc is a cache line");

/* 24 bytes a term (40 with a pointer to the first chunk and one to the
 * last full block: 18 MB a worker on the poetry bench) */
typedef struct {
    blkdesc *done;       /* its full blocks (the first's tail: the last) */
    chunk *c;            /* where the open block's records begin */
    uint32_t off;
} term_cold;

/* A token waiting to be interned: tokens pass through a short queue so
 * that the hash slot and the term of each are fetched from memory (by
 * prefetching) while the ones before it are interned.  A worker reading
 * the router's chunks queues the ends of entries too (ent: the R_ENT item,
 * in the chunk being read), so the queue runs on from one entry into the
 * next instead of being drained at every end. */
#define PEND 32
/* A token's field with TOK_BODY: a CJK unigram (STORE_F_UNI) of the body,
 * without it one of the title (the fields are ASCII letters). */
#define TOK_BODY 0x80
typedef struct {
    uint32_t h, pos;
    uint8_t field, len;
    char term[TERM_INLINE];
    const uint8_t *ent;
} pend_tok;

/* One token of the entry being indexed: the slot of its term among the
 * entry's terms (eslots gives the term), its position. */
typedef struct {
    uint32_t slot;
    uint32_t pos;
} etok;

/* A file whose records a worker gathered in this epoch. */
typedef struct {
    char *path;
    uint32_t local_first, n;
    uint64_t nbytes;
    int64_t mtime;
    char encoding[24];
    char *volume;        /* the book title of its first line ("" none), set by end_wfile */
    int merged;              /* from build_merge: not reported to on_file */
    size_t mem;              /* the worker's gathered memory when the file ended
                              * (end_wfile): where batches end (batch_full) */
    fz_buf recs;             /* its encoded entry records, each led by v length, then
                              * v length and the join map */
} wfile;

/* A run file: one batch's postings, sorted by term, and its read state.
 * A worker's run holds its share of the terms (owner: the worker's part),
 * a merged run every term (owner -1). */
typedef struct {
    FILE *f;
    int owner;
    char path[4200];
    int has;                 /* a term is loaded */
    int field;
    size_t len;
    char term[256];
} runrd;

/* The analysed files on their way to a worker (see route_token): chunks
 * of items the main thread fills and the worker reads and frees, in order.
 * An item never straddles two chunks.  Items: R_FILE (a file begins: its
 * path, size, mtime and encoding), R_TOK (a token of the worker's share:
 * field (with TOK_BODY), length, hash, position, term bytes), R_BI (a CJK
 * bigram or unigram of the text: its key and position or body bit, see
 * "Sorted bigrams"), R_ENT (the
 * entry whose tokens came before ends: its body's first position, its
 * length, and for worker 0 its encoded record and join map), R_END (the
 * file ends: its volume title).  A chunk of RCHUNK bytes, once read, goes
 * to the build's spare list and the router fills it again (its pages are
 * in memory already: a new chunk's faulted in, some 4,000 page faults in
 * a build of the poetry bench). */
typedef struct rchunk {
    struct rchunk *next;
    size_t len, size;
    uint8_t data[];
} rchunk;

enum { R_FILE = 1, R_TOK, R_ENT, R_END, R_BI };
#define RCHUNK (256u << 10)      /* bytes of a chunk (more for a longer item) */
#define RQ_CAP (8u << 20)        /* bytes a worker may have unread before the main thread waits */

/* The block joiner: consecutive blocks of a term (from successive
 * batches) are joined while they hold at most STORE_BLOCK_DOCS documents
 * together: in the record form, the second's records follow the first's,
 * its first id delta rewritten; the joined records are packed into the
 * block's streams once, when it is sealed (store_block_extra).  The main
 * thread has one for runs and merges, every worker one for the blocks it
 * prepares (prep_terms). */
typedef struct {
    int active;
    int positions;       /* the term's field keeps positions (store_field_positions): set
                          * before sealing */
    uint32_t first, last, ndocs, mtt, mtb, mindl;
    imp_levels imp;
    fz_buf rec;
    fz_buf skip;         /* what follows the header of the block being written: its
                          * impact and streams (store_block_extra) */
} joiner;

/* A posting block ready to be put: its first id, documents, its value in
 * two parts (header; impact and streams), and its records in the record
 * form (part[2]) when they are few enough for a term pack (reclen bytes;
 * term_end decides), else none. */
typedef struct {
    uint32_t first, ndocs;
    const uint8_t *part[3];
    size_t plen[3];
    size_t reclen;
} blkval;

/* A worker's prepared postings on their way to the main thread (see
 * prep_terms): chunks the worker fills and the main thread reads and frees,
 * in order.  A chunk is read once complete (set with release order); all
 * else is under the build's mutex. */
typedef struct pchunk {
    struct pchunk *next;
    size_t len, size;
    int complete;
    uint8_t data[];
} pchunk;

typedef struct {
    pchunk *head, *tail;     /* the main thread reads head, the worker fills tail */
    size_t off;              /* read position in head */
    size_t held;             /* bytes of the chunks not yet freed */
    int done;                /* the worker wrote its last chunk (or gave up) */
} pstream;

/* The router's tokens of a metadata field (the first META_AUTHORS
 * authors and META_SECTIONS sections of an entry, each of its place in
 * the list, the file, the kind) as it last analysed it (meta_field): the
 * field's text and first
 * position, the position after it, and the R_TOK items it sent, by
 * worker (a worker's in their order: all that it reads of them).  Most
 * entries repeat the last one's: the file's path and the kind always,
 * the section and the author often. */
#define META_AUTHORS 4
#define META_SECTIONS 8
#define META_SLOTS (META_AUTHORS + META_SECTIONS + 2)
typedef struct {
    int ok;
    uint32_t base, next;
    fz_buf text;
    fz_buf items[BUILD_MAX_WORKERS];
} meta_cache;

typedef struct worker {
    struct build *b;
    pthread_t th;
    int started;
    int part;                /* this worker keeps the terms with hash % workers == part */
    int keeps_entries;       /* writes the entry records (worker 0, and the main thread's) */
    int routes;              /* the router (build.rw): analyses files for the workers */
    rchunk *rq_head, *rq_tail; /* analysed files to read (under the build's mutex) */
    size_t rq_held;          /* bytes of those chunks */
    size_t files_ended;      /* files whose R_END it has read */
    tok_analyzer *tok;
    parse_ctx *parse;
    /* term dictionary, cleared at every flush */
    term_acc *terms;         /* terms_cap of them (page_grow) */
    term_cold *cold;         /* as many, alike */
    uint32_t nterms, terms_cap;
    uint64_t *slots;         /* hash << 32 | (tid + 1), 0 = empty */
    uint32_t nslots;
    fz_buf names;
    slab *slabs;
    size_t post_bytes;       /* read by the main thread: atomic */
    size_t dict_bytes;       /* term table capacity: atomic */
    /* entry being indexed */
    pend_tok pend[PEND];     /* tokens not yet interned, oldest at pend_head */
    uint32_t pend_head, pend_n;
    etok *et;
    size_t net, et_cap;
    int cur_field;
    /* on_token: the last CJK unigram (at pre_pos; its length and first 4
     * bytes) and hash_term's state after its bytes for a bigram of field
     * pre_field, which the bigram at pre_pos begins with */
    uint32_t pre_h, pre_pos, pre_len, pre_bytes;
    int pre_field;
    int in_body;             /* the text field's tokens are the body's (else the title's) */
    meta_cache meta[META_SLOTS]; /* the router: see meta_field */
    fz_buf *rec;             /* the router: route_token appends its items to rec[worker] too */
    uint32_t nslot;          /* distinct terms of the entry so far */
    struct {
        uint32_t tid, cnt;   /* the term, its tokens in et (then where they go) */
        uint32_t ut, ub;     /* a CJK unigram's tokens in the title, in the body
                              * (they are counted, not kept in et: no positions) */
    } *es;                   /* the entry's terms, by slot */
    size_t es_cap;
    etok *sorted;
    size_t scratch_cap;
    /* this batch's CJK bigrams of the text field (flush_bigrams) */
    struct bgbucket *bg;     /* BG_NB buckets, NULL until the first record */
    struct bgblk *bg_free;   /* blocks free for them */
    slab *bslabs;            /* the blocks' memory (counted in post_bytes) */
    slab *spare;             /* slabs of SLAB_BYTES an earlier batch used, for
                              * this one's (slab_carve; not counted) */
    size_t bg_blocks;        /* blocks holding records */
    uint32_t bg_next;        /* the first bucket drain_some drains next */
    uint32_t bg_idle;        /* slices idle_drain may drain before the next chunk */
    uint32_t bg_cap;         /* records room of the four below */
    struct bgrec *bg_tmp, *bg_rec; /* flush_bigrams: a bucket's records, sorting and sorted */
    uint32_t *bg_first, *bg_hash; /* flush_bigrams: a bucket's terms' first records, hashes */
    struct bgdoc *bg_doc;    /* put_docs: a term's documents in a drain */
    /* this batch's CJK bigrams out of the buckets ("Pieces" below) */
    uint8_t *bgr;            /* the pieces (page_map, page_grow) */
    size_t bgr_len, bgr_cap;
    struct bgpiece *bgp;     /* where each begins, in the order they were written;
                              * after bg_terms, by key */
    size_t bgp_n, bgp_cap;
    size_t bg_counted;       /* bytes of both counted in post_bytes */
    uint32_t *bgt;           /* after bg_terms: each bigram's first piece in bgp,
                              * in key order, nbgt + 1 of them */
    uint32_t nbgt;
    struct {
        uint32_t e, ee, left, doc;
        const uint8_t *p;
        int err;
    } bgi;                   /* next_desc: the next piece of the bigram being read,
                              * the end of its pieces, the documents left in
                              * the one at p, the last one's id; FZ_ENOMEM when it
                              * stopped for want of memory */
    chunk *bgc;              /* next_desc: a bigram's block, assembled */
    /* this epoch's output */
    uint32_t nent;           /* entries, local ids 0 .. nent-1 */
    size_t files_done;       /* files whose records are complete (under the build's mutex) */
    size_t files_written;    /* files whose entries the main thread wrote (write_ready_entries) */
    uint32_t *dlen;
    uint32_t (*dt)[2];       /* per local entry, its length and its title's end, side by
                              * side: flush_bigrams reads both (a miss, not two) */
    size_t dlen_cap;
    uint64_t sumlen;
    fz_buf join;             /* the current entry's join map */
    wfile *files;
    size_t nfiles, files_cap;
    fz_buf enc;
    /* current file */
    const char *path;
    uint32_t file_first;
    /* flush */
    uint32_t base;           /* id of local entry 0, set at a flush */
    uint32_t *order;
    uint32_t norder;
    uint32_t cursor;         /* merge position in order */
    FILE *run;               /* this flush: the run file it writes its terms to */
    joiner pj;               /* prep_terms: the block being prepared */
    fz_buf pblk;             /* prep_terms: one gathered block, serialized */
    pstream ps;              /* prep_terms: the prepared blocks */
    double prep_cpu;         /* seconds of this thread's CPU preparing them (FZINDEX_TIMING) */

    int err;
    char msg[512];
} worker;

struct build {
    const catalog *cat;      /* stored at commit (build_set_catalog) */
    build_catalog_warn_fn cat_warn;
    void *cat_ctx;
    store *s;
    MDB_txn *txn;
    store_stats st;
    int err;                 /* sticky error */
    parse_layout layout; /* build_opts.layout, for every worker's parser */
    size_t budget;           /* build_opts.mem_limit, or its default */
    size_t epoch_files;      /* files given to build_add_file since the last batch ended */
    uint64_t *epoch_text;    /* epoch_text[i]: bytes of text of this epoch's files before
                              * file i (batch_full); epoch_files + 1 of them */
    size_t epoch_text_cap;
    size_t batch_lag;        /* bytes of text batch_full lets the workers lag behind */
    int huge;                /* huge pages for the workers' tables (page_map) */
    int idle_ok;             /* the input is small enough for one batch: the workers may
                              * drain while idle (idle_drain; batch_full says why not else) */
    unsigned pause_us;       /* build_opts': route_push sleeps this long after each chunk */
    size_t mem_limit;        /* the postings' share of it */
    void (*on_file)(void *ctx, const char *path, const char *encoding, uint32_t nentries);
    void *on_file_ctx;
    int bulk;                /* index was empty and nothing written yet: MDB_APPEND */
    int delta;               /* an update: postings go to the delta tier ("dpost", DELTA TIER in store.c) */
    uint32_t dbase;          /* the delta's base id (an update's) */
    size_t since_release;    /* bytes written since the last store_release_map */
    size_t written;          /* bytes written to the index by this build (release_due) */
    uint64_t added;          /* entries written by this build */
    uint32_t *lens;          /* a build of several batches: the lengths of every entry
                              * it wrote, ids lens_base .. lens_base + nlens - 1, for
                              * the exact impacts of the blocks its last batch joins
                              * across batches (batch_lengths) */
    uint32_t lens_base, nlens;
    size_t lens_cap;

    worker *w;               /* nw threads, then the main thread's own worker */
    int nw;
    worker *mw;              /* = &w[nw]: merges and removals, on the main thread */

    pthread_mutex_t mu;
    pthread_cond_t cv_job, cv_idle;
    int mu_ok;
    worker *rw;              /* the router: parses and analyses each file once, on the
                              * main thread, and sends each worker its share */
    rchunk *fill[BUILD_MAX_WORKERS]; /* the router: the chunk being filled per worker */
    rchunk *spare;           /* chunks of RCHUNK bytes the workers have read, for the
                              * router to fill again (under the mutex) */
    uint32_t nw_mask;        /* nw - 1 when nw is a power of two, else 0 */
    size_t bg_drain;         /* bytes of bigram records a worker drains at (flush_bigrams) */
    int busy;                /* workers reading a chunk (or sorting, preparing) */
    int stop;
    int hold;                /* workers: no idle_drain (the main thread waits in wait_idle
                              * until route_push sends a chunk again) */
    int sort_req;            /* workers: sort your terms for a flush (and write them to
                              * your run file), or with run_prep prepare the blocks
                              * of your runs */
    int run_prep;
    int sorted_n;

    fz_buf val;              /* block value scratch */
    fz_buf blk;              /* one block value, serialized */
    fz_buf erec;             /* an entry record with its file id (write_file_entries) */
    store_entry_writer ew;   /* the entry block being written */
    joiner jn;               /* the block joiner (of runs and merges) */
    uint32_t term_blocks;    /* blocks written of the current term */
    int term_known;          /* an update: the current term has blocks in the index */
    int prep;                /* this flush: the workers prepare their terms' blocks (prep_terms) */
    uint32_t prep_a0;        /* the average length they use */
    int prep_abort;          /* the main thread stopped reading their streams */
    size_t prep_cap;         /* bytes of stream each worker may have unread */
    pthread_cond_t cv_prep;  /* a stream got a chunk, or room */
    store_tpack_builder tpk; /* a fresh build: the term pack being filled */
    char rundir[4096];       /* where run files go: the index directory */
    runrd *runs;
    int nruns, runs_cap;
    store_block_builder bb;
    uint32_t *posbuf;
    size_t posbuf_cap;
    char *emsg;
    size_t emsglen;
};

/* ---------------------------------------------------------------- memory */

/* Huge pages (transparent, MADV_HUGEPAGE: they are often in madvise
 * mode) for the big tables read and written at random -- the slots, the
 * term arrays, the postings' slabs, the sort's keys -- save TLB misses,
 * but on a KVM guest that hands free memory back to its host (free page
 * reporting) a fresh one cost 2-6 times its small pages to fault in.
 * They pay there where the memory is used again and again, in a build of
 * several batches (the slabs go from one batch to the next,
 * release_slabs), not in a build of one.  Under PVM's shadow paging each
 * small page's fault costs some 12 us, and huge pages pay in any build.
 * build_create decides (b->huge) from the size of the input against the
 * budget and from what a fault costs (faults_dear; HACKING.md, h21a, h21b
 * and h23). */
#define HUGE_PAGE ((size_t)2 << 20)
#define PAGE_BYTES ((size_t)4 << 10)
/* Bytes of gathered postings and dictionary a byte of input text makes,
 * about (3.7 on the poetry bench, 4.1 on bench/gen text; 9.4 and 11 when
 * the dictionary held the bigrams, before "Pieces"): an input larger than
 * the postings' budget over this takes several batches. */
#define GATHER_PER_BYTE 4
/* Twice that, more than any text measured gathers: an input of at most
 * the postings' budget over this takes one batch. */
#define GATHER_MAX (2 * GATHER_PER_BYTE)

/* Memory of len bytes (a multiple of the page size) mapped on its own:
 * only what is touched is memory, and unmapped it goes back to the system
 * at once; with huge, aligned to a huge page and advised to be backed by
 * them.  NULL when out of memory. */
static void *page_map(size_t len, int huge)
{
    uint8_t *m = mmap(NULL, len + (huge ? HUGE_PAGE : 0), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                      -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    if (!huge)
        return m;
    /* a huge page more than needed, trimmed to an aligned span */
    size_t lead = (HUGE_PAGE - (uintptr_t)m % HUGE_PAGE) % HUGE_PAGE;
    if (lead)
        munmap(m, lead);
    munmap(m + lead + len, HUGE_PAGE - lead);
#ifdef MADV_HUGEPAGE
    madvise(m + lead, len, MADV_HUGEPAGE); /* advice: without it, small pages */
#endif
    return m + lead;
}

/* With huge, advises huge pages for those wholly inside [p, p + len) (an
 * array from malloc). */
static void advise_huge(int huge, void *p, size_t len)
{
#ifdef MADV_HUGEPAGE
    uintptr_t lo = ((uintptr_t)p + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1);
    uintptr_t hi = ((uintptr_t)p + len) & ~(uintptr_t)(HUGE_PAGE - 1);
    if (huge && hi > lo)
        madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
#else
    (void)huge;
    (void)p;
    (void)len;
#endif
}

/* Memory p of page_map (was bytes; NULL, 0 for none) grown to len bytes
 * (was and len multiples of the page size), its contents kept: the kernel
 * moves its pages (mremap) where realloc copied them into new ones, and
 * a page of new memory is faulted in only when first written.  The term
 * arrays' doublings copied by realloc were 57 % of the page faults of a
 * one-batch build on huge pages (the poetry bench, perf record -e
 * page-faults; HACKING.md h23).  NULL when out of memory, p then
 * unchanged. */
static void *page_grow(void *p, size_t was, size_t len, int huge)
{
    if (!p)
        return page_map(len, huge);
    void *m = mremap(p, was, len, MREMAP_MAYMOVE);
    if (m == MAP_FAILED)
        return NULL;
    advise_huge(huge, m, len);
    return m;
}

/* n bytes rounded up to whole pages. */
static size_t page_round(size_t n)
{
    return (n + PAGE_BYTES - 1) & ~(PAGE_BYTES - 1);
}

/* The bytes of a slab (more for a larger request): what the budget counts
 * at once when a worker's postings need more room. */
#define SLAB_BYTES ((size_t)2 << 20)

/* ------------------------------------------------------------ dictionary */

/* A term of up to TERM_INLINE bytes as two words, zero-padded (how a
 * term_acc and a queued token keep it, so that terms compare as words). */
typedef struct {
    uint64_t w[2];
} term_words;
_Static_assert(sizeof(term_words) == TERM_INLINE, "a term_words holds TERM_INLINE bytes");

/* The term t of n bytes as intern compares it: its TERM_INLINE bytes (t
 * zero-padded to them) when n is up to that, else zero words.  A copy of
 * a fixed size, two loads: with n's (a call to memcpy), the loads of the
 * words that followed waited on its bytes' stores (half of intern's
 * samples in flush_bigrams). */
static term_words pad_term(const char *t, size_t n)
{
    term_words tw = {{0, 0}};
    if (n <= TERM_INLINE)
        memcpy(tw.w, t, TERM_INLINE);
    return tw;
}

static int same_words(const char *a, const term_words *b)
{
    uint64_t x[2];
    memcpy(x, a, sizeof x);
    return ((x[0] ^ b->w[0]) | (x[1] ^ b->w[1])) == 0;
}

/* FNV-1a's state h taken on over bytes i..n-1 of t. */
static inline uint32_t fnv_more(uint32_t h, const char *t, size_t i, size_t n)
{
    for (; i < n; i++) {
        h ^= (unsigned char)t[i];
        h *= 16777619u;
    }
    return h;
}

#define FNV_BASIS 2166136261u

static uint32_t hash_term(int field, const char *t, size_t n)
{
    uint32_t h = fnv_more(FNV_BASIS ^ (uint32_t)field, t, 0, n);
    return h ^ (h >> 15);
}

/* The dictionary's tables, counted in the budget at their capacity. */
static void count_dict(worker *w)
{
    __atomic_store_n(&w->dict_bytes,
                     (size_t)w->nslots * 8 + (size_t)w->terms_cap * (sizeof(term_acc) + sizeof(term_cold)),
                     __ATOMIC_RELAXED);
}

/* Bytes mapped for a slot table of n slots. */
static size_t slots_len(uint32_t n)
{
    return page_round((size_t)n * sizeof(uint64_t));
}

/* Bytes mapped for the term arrays of cap terms. */
static size_t terms_len(uint32_t cap)
{
    return page_round((size_t)cap * sizeof(term_acc));
}

static size_t cold_len(uint32_t cap)
{
    return page_round((size_t)cap * sizeof(term_cold));
}

static void free_terms(worker *w)
{
    if (w->terms)
        munmap(w->terms, terms_len(w->terms_cap));
    if (w->cold)
        munmap(w->cold, cold_len(w->terms_cap));
    w->terms = NULL;
    w->cold = NULL;
    w->terms_cap = 0;
}

static void free_slots(worker *w)
{
    if (w->slots)
        munmap(w->slots, slots_len(w->nslots));
    w->slots = NULL;
    w->nslots = 0;
}

static int grow_slots(worker *w)
{
    uint32_t n = w->nslots ? w->nslots * 2 : 1u << 16;
    uint64_t *s = page_map(slots_len(n), w->b->huge);
    if (!s)
        return FZ_ENOMEM;
    /* written before it is read: a page first read is the shared zero
     * page, and the write after it a copy and a TLB flush on every core
     * the build runs on */
    memset(s, 0, (size_t)n * sizeof *s);
    for (uint32_t o = 0; o < w->nslots; o++) {
        uint64_t v = w->slots[o];
        if (!v)
            continue;
        uint32_t i = (uint32_t)(v >> 32) & (n - 1);
        while (s[i])
            i = (i + 1) & (n - 1);
        s[i] = v;
    }
    free_slots(w);
    w->slots = s;
    w->nslots = n;
    count_dict(w);
    return FZ_OK;
}

static const char *term_bytes(const worker *w, const term_acc *ta)
{
    return ta->len <= TERM_INLINE ? ta->inl : w->names.p + ta->off;
}

/* Term id of (field, term), creating it; UINT32_MAX when out of memory.
 * A term of up to TERM_INLINE bytes is given zero-padded to TERM_INLINE. */
static uint32_t intern(worker *w, int field, const char *t, size_t n, uint32_t h)
{
    term_words tw = pad_term(t, n);
    uint32_t i = h & (w->nslots - 1);
    for (;;) {
        uint64_t s = w->slots[i];
        if (!s)
            break;
        if ((uint32_t)(s >> 32) == h) {
            uint32_t tid = (uint32_t)s - 1;
            term_acc *ta = &w->terms[tid];
            if (ta->len == n && ta->field == field &&
                (n <= TERM_INLINE ? same_words(ta->inl, &tw) : memcmp(w->names.p + ta->off, t, n) == 0))
                return tid;
        }
        i = (i + 1) & (w->nslots - 1);
    }
    if (w->nterms == w->terms_cap) {
        /* page-aligned, so each term is on a cache line of its own */
        uint32_t was = w->terms_cap, cap = was ? was * 2 : 1u << 15;
        term_cold *nc = page_grow(w->cold, cold_len(was), cold_len(cap), w->b->huge);
        if (!nc)
            return UINT32_MAX;
        w->cold = nc;
        term_acc *nt = page_grow(w->terms, terms_len(was), terms_len(cap), w->b->huge);
        if (!nt) {
            /* cold is already grown: back to was terms, the two alike */
            if (was) {
                void *back = mremap(w->cold, cold_len(cap), cold_len(was), 0); /* shrinks in place */
                (void)back;
            } else {
                munmap(w->cold, cold_len(cap));
                w->cold = NULL;
            }
            return UINT32_MAX;
        }
        w->terms = nt;
        w->terms_cap = cap;
        count_dict(w);
    }
    uint32_t tid = w->nterms++;
    term_acc *ta = &w->terms[tid];
    memset(ta, 0, sizeof *ta);
    memset(&w->cold[tid], 0, sizeof w->cold[tid]);
    ta->len = (uint8_t)n;
    ta->field = (uint8_t)field;
    if (n <= TERM_INLINE) {
        memcpy(ta->inl, tw.w, TERM_INLINE);
    } else {
        ta->off = (uint32_t)w->names.len;
        if (fz_buf_append(&w->names, t, n))
            return UINT32_MAX;
    }
    w->slots[i] = (uint64_t)h << 32 | (tid + 1);
    if ((size_t)w->nterms * 4 > (size_t)w->nslots * 3 && grow_slots(w))
        return UINT32_MAX;
    return tid;
}

/* Interns a token's term and appends it to the entry's tokens, counting
 * them per term (slot). */
static int take_token(worker *w, int field, const char *term, size_t n, uint32_t h, uint32_t pos)
{
    int body = field & TOK_BODY;
    field &= ~TOK_BODY;
    uint32_t tid = intern(w, field, term, n, h);
    if (tid == UINT32_MAX)
        return FZ_ENOMEM;
    term_acc *ta = &w->terms[tid];
    if (!ta->eslot) {
        /* the term's first token in the entry: where its postings go is
         * fetched while the entry is read */
        if (w->nslot == w->es_cap && fz_grow(&w->es, &w->es_cap, (size_t)w->nslot + 1, sizeof *w->es, 256))
            return FZ_ENOMEM;
        if (ta->tail)
            __builtin_prefetch(ta->tail, 1);
        w->es[w->nslot].tid = tid;
        w->es[w->nslot].cnt = 0;
        w->es[w->nslot].ut = 0;
        w->es[w->nslot].ub = 0;
        ta->eslot = ++w->nslot;
    }
    if (field == STORE_F_UNI) {
        /* its record has no positions: only the counts */
        if (body)
            w->es[ta->eslot - 1].ub++;
        else
            w->es[ta->eslot - 1].ut++;
        return 0;
    }
    w->es[ta->eslot - 1].cnt++;
    if (w->net == w->et_cap) {
        size_t cap = w->et_cap ? w->et_cap * 2 : 1024;
        etok *nt = realloc(w->et, cap * sizeof *nt);
        if (!nt)
            return FZ_ENOMEM;
        w->et = nt;
        w->et_cap = cap;
    }
    w->et[w->net].slot = ta->eslot - 1;
    w->et[w->net].pos = pos;
    w->net++;
    return 0;
}

static int ent_done(worker *w, const uint8_t *p);

/* Interns the oldest queued token (or ends the entry). */
static int take_oldest(worker *w)
{
    const pend_tok *p = &w->pend[w->pend_head];
    int rc = p->ent ? ent_done(w, p->ent) : take_token(w, p->field, p->term, p->len, p->h, p->pos);
    if (!rc) {
        w->pend_head = (w->pend_head + 1) % PEND;
        w->pend_n--;
    }
    return rc;
}

/* Interns the queued tokens, oldest first. */
static int drain_tokens(worker *w)
{
    int rc = 0;
    while (w->pend_n && !(rc = take_oldest(w)))
        ;
    return rc;
}

/* Queues a token of the worker's share (its hash h) to be interned. */
static int queue_token(worker *w, int field, const char *term, size_t tn, uint32_t h, uint32_t pos)
{
    int rc;
    if (tn > TERM_INLINE) { /* long words skip the queue, in order */
        if ((rc = drain_tokens(w)))
            return rc;
        return take_token(w, field, term, tn, h, pos);
    }
    if (w->pend_n == PEND && (rc = take_oldest(w)))
        return rc;
    pend_tok *q = &w->pend[(w->pend_head + w->pend_n) % PEND];
    q->ent = NULL;
    q->h = h;
    q->pos = pos;
    q->field = (uint8_t)field;
    q->len = (uint8_t)tn;
    memset(q->term, 0, TERM_INLINE); /* zero-padded: compared as words */
    memcpy(q->term, term, tn);
    w->pend_n++;
    if (w->nslots) {
        __builtin_prefetch(&w->slots[h & (w->nslots - 1)]);
        /* half the queue back, the slot has arrived: fetch its term */
        if (w->pend_n > PEND / 2) {
            const pend_tok *m = &w->pend[(w->pend_head + w->pend_n - 1 - PEND / 2) % PEND];
            uint64_t sl = m->ent ? 0 : w->slots[m->h & (w->nslots - 1)];
            if (sl && (uint32_t)(sl >> 32) == m->h && (uint32_t)sl - 1 < w->nterms)
                __builtin_prefetch(&w->terms[(uint32_t)sl - 1]);
        }
    }
    return 0;
}

static int route_token(worker *r, int field, const char *term, size_t tn, uint32_t h, uint32_t pos);
static int route_bigram(worker *r, uint32_t key, uint32_t pos);
static int on_run(void *ctx, const tok_cjk *c, size_t n);
static inline int bigram_key(const uint8_t *t, uint32_t *key);

static int on_token(void *ctx, const tok_token *t)
{
    worker *w = ctx;
    if (t->kind == TOK_BI && w->cur_field == STORE_F_TEXT && w->keeps_entries) {
        /* a bigram at pos joins pos + 1 to pos */
        uint32_t bit = t->pos + 1;
        if (w->join.len <= bit / 8) {
            size_t old = w->join.len;
            if (fz_buf_reserve(&w->join, bit / 8 + 1 - old))
                return FZ_ENOMEM;
            memset(w->join.p + old, 0, bit / 8 + 1 - old);
            w->join.len = bit / 8 + 1;
        }
        w->join.p[bit / 8] |= (char)(1u << (bit % 8));
    }
    size_t tn = t->term_len > 255 ? 255 : t->term_len;
    uint32_t key;
    /* a term of two three-byte characters in the text field is the dictionary's
     * STORE_F_TEXT term of the same bytes (a bigram, or a word of two letters)
     * unless it is a unigram (STORE_F_UNI) */
    if (tn == 6 && w->routes && t->kind != TOK_UNI && w->cur_field == STORE_F_TEXT &&
        bigram_key((const uint8_t *)t->term, &key))
        return route_bigram(w, key, t->pos); /* no hash: its worker is chosen by its key */
    if (tn == 3 && w->routes && t->kind == TOK_UNI && w->cur_field == STORE_F_TEXT &&
        fz_utf8_plain3((const unsigned char *)t->term, 3)) /* a CJK unigram: its code point, title or body */
        return route_bigram(w, fz_utf8_plain3_cp((const unsigned char *)t->term), (uint32_t)w->in_body);
    /* the CJK unigrams of title and body have a field of their own, without positions */
    int field = t->kind == TOK_UNI && w->cur_field == STORE_F_TEXT ? STORE_F_UNI : w->cur_field;
    uint32_t h, first = 0;
    if (t->kind == TOK_BI && tn >= 4)
        memcpy(&first, t->term, 4);
    if (t->kind == TOK_BI && t->pos == w->pre_pos && field == w->pre_field && tn > w->pre_len &&
        w->pre_len - 1 < 4 && !((first ^ w->pre_bytes) & (uint32_t)(((uint64_t)1 << (8 * w->pre_len)) - 1))) {
        /* the unigram before is its first half: hash_term's state after
         * those bytes was kept, go on from there */
        h = fnv_more(w->pre_h, t->term, w->pre_len, tn);
        h ^= h >> 15;
    } else {
        h = hash_term(field, t->term, tn);
    }
    if (t->kind == TOK_UNI) {
        /* the next bigram begins with it: keep hash_term's state after
         * its bytes for that bigram's field (a chain apart from h's, so
         * the two run at once; -14 % of on_token's CPU) */
        w->pre_h = fnv_more(FNV_BASIS ^ (uint32_t)w->cur_field, t->term, 0, tn);
        w->pre_pos = t->pos;
        w->pre_len = (uint32_t)tn;
        w->pre_field = w->cur_field;
        w->pre_bytes = 0;
        memcpy(&w->pre_bytes, t->term, tn < 4 ? tn : 4);
    }
    if (field == STORE_F_UNI && w->in_body)
        field |= TOK_BODY; /* the worker counts it as the body's */
    if (w->routes)
        return route_token(w, field, t->term, tn, h, t->pos);
    return queue_token(w, field, t->term, tn, h, t->pos);
}

/* A slab: SLAB_BYTES (more, in whole slabs, for a larger request). */
static slab *slab_map(size_t size, int huge)
{
    size_t len = (sizeof(slab) + size + SLAB_BYTES - 1) & ~(SLAB_BYTES - 1);
    slab *sl = page_map(len, huge);
    if (!sl)
        return NULL;
    sl->size = len - sizeof *sl;
    sl->used = 0;
    return sl;
}

static void slab_unmap(slab *sl)
{
    munmap(sl, sizeof *sl + sl->size);
}

/* size bytes (a multiple of 16) from the first slab of the list *l, or
 * from a new slab put first in it (counted in the worker's post_bytes):
 * a spare one when it fits, else a fresh one; NULL when out of memory. */
static void *slab_carve(worker *w, slab **l, size_t size)
{
    slab *sl = *l;
    if (!sl || sl->size - sl->used < size) {
        if (w->spare && w->spare->size >= size) {
            sl = w->spare;
            w->spare = sl->next;
            sl->used = 0;
        } else if (!(sl = slab_map(size, w->b->huge))) {
            return NULL;
        }
        sl->next = *l;
        *l = sl;
        __atomic_add_fetch(&w->post_bytes, sizeof *sl + sl->size, __ATOMIC_RELAXED);
    }
    void *p = sl->data + sl->used;
    sl->used += size;
    return p;
}

/* Memory from the worker's slabs (freed with them). */
static void *slab_alloc(worker *w, size_t size)
{
    return slab_carve(w, &w->slabs, (size + 15) & ~(size_t)15);
}

/* A chunk's room at most, unless one record needs more. */
#define CHUNK_MAX 4096

/* A new last chunk of term ta's postings with room for size bytes at
 * least (all that a rounding to 8 bytes leaves: a chunk's alignment),
 * linked after its last one; NULL when out of memory. */
static chunk *new_chunk(worker *w, term_acc *ta, size_t size)
{
    size_t len = (sizeof(chunk) + size + 7) & ~(size_t)7;
    chunk *nc = slab_carve(w, &w->slabs, len);
    if (!nc)
        return NULL;
    nc->next = NULL;
    nc->used = 0;
    nc->size = (uint32_t)(len - sizeof(chunk));
    if (ta->tail)
        ta->tail->next = nc;
    ta->tail = nc;
    return nc;
}

/* Room for n more bytes at the end of the postings of term ta (the
 * dictionary's terms: a record at a time, in chunks doubling from 32
 * bytes to CHUNK_MAX). */
static uint8_t *acc_reserve(worker *w, term_acc *ta, size_t n)
{
    chunk *c = ta->tail;
    if (c && c->size - c->used >= n)
        return c->data + c->used;
    /* a first chunk of 32 bytes: with its header, 48 (slab_alloc's
     * rounding to 16 left 8 bytes of a 24-byte one unused) */
    size_t size = c ? (size_t)c->size * 2 : 32;
    if (size > CHUNK_MAX)
        size = CHUNK_MAX;
    if (size < n)
        size = n;
    chunk *nc = new_chunk(w, ta, size);
    return nc ? nc->data : NULL;
}

/* The open block of term tid as a block descriptor (next NULL). */
static void open_desc(const worker *w, uint32_t tid, blkdesc *bd)
{
    const term_acc *ta = &w->terms[tid];
    bd->next = NULL;
    bd->c = w->cold[tid].c;
    bd->off = w->cold[tid].off;
    bd->nbytes = ta->nbytes;
    bd->first = ta->first;
    bd->last = ta->last;
    bd->ndocs = ta->ndocs;
    bd->max_tt = ta->max_tt;
    bd->max_tb = ta->max_tb;
    bd->min_dl = ta->min_dl;
    bd->imp = ta->imp;
}

static const blkdesc *bg_desc(worker *w, uint32_t t, int start, blkdesc *cur);

/* The gathered blocks of term tid (an entry of w->order) in order, the
 * full ones, then the open one when it has documents (made in *cur): the
 * first with bd NULL, else the one after bd; NULL after the last.  A
 * bigram's (ORD_BIGRAM) are made one by one in *cur (bg_desc), and NULL
 * also comes when memory ran out (w->bgi.err). */
static const blkdesc *next_desc(worker *w, uint32_t tid, const blkdesc *bd, blkdesc *cur)
{
    if (tid & ORD_BIGRAM)
        return bg_desc(w, tid & ~ORD_BIGRAM, !bd, cur);
    if (bd == cur)
        return NULL;
    bd = bd ? bd->next : w->cold[tid].done;
    if (bd)
        return bd;
    if (!w->terms[tid].ndocs)
        return NULL;
    open_desc(w, tid, cur);
    return cur;
}

/* Empties the list *l and returns the bytes its slabs mapped: with keep,
 * those of SLAB_BYTES become w's spare ones (slab_carve takes them again)
 * and the larger are unmapped; without, all are unmapped. */
static size_t release_slabs(worker *w, slab **l, int keep)
{
    size_t bytes = 0;
    slab *sl = *l;
    while (sl) {
        slab *n = sl->next;
        bytes += sizeof *sl + sl->size;
        if (keep && sizeof *sl + sl->size == SLAB_BYTES) {
            sl->next = w->spare;
            w->spare = sl;
        } else {
            slab_unmap(sl);
        }
        sl = n;
    }
    *l = NULL;
    return bytes;
}

static void drop_bigrams(worker *w, int keep);
static void drop_pieces(worker *w, int keep);

/* Forgets every term and frees the postings (after a flush).  With keep
 * (a batch follows) the postings' slabs stay mapped as spare ones for the
 * next batch: their pages are resident already, where fresh ones would
 * each be faulted in and zeroed again (some 160 MB a batch of bench/gen
 * text with --mem 512M, HACKING.md h21b);
 * without, the spare ones go too. */
static void clear_terms(worker *w, int keep)
{
    release_slabs(w, &w->slabs, keep);
    if (!keep)
        release_slabs(w, &w->spare, 0);
    drop_bigrams(w, keep);
    drop_pieces(w, keep);
    __atomic_store_n(&w->post_bytes, 0, __ATOMIC_RELAXED);
    w->nterms = 0;
    w->nslot = 0;
    w->net = 0;
    w->names.len = 0;
    if (w->slots)
        memset(w->slots, 0, w->nslots * sizeof *w->slots);
}

/* Term tid's open block is full (STORE_BLOCK_DOCS documents): it is
 * kept as its last full block, and none is open.  FZ_ENOMEM. */
static int close_block(worker *w, uint32_t tid)
{
    blkdesc *full = slab_alloc(w, sizeof *full);
    if (!full)
        return FZ_ENOMEM;
    term_cold *tc = &w->cold[tid];
    open_desc(w, tid, full);
    if (tc->done)
        tc->done->tail->next = full;
    else
        tc->done = full;
    tc->done->tail = full;
    w->terms[tid].ndocs = 0;
    return FZ_OK;
}

/* Term tid's open block begins with document doc, whose record is at
 * (c, off). */
static inline void open_block(worker *w, uint32_t tid, chunk *c, uint32_t off, uint32_t doc)
{
    term_acc *ta = &w->terms[tid];
    w->cold[tid].c = c;
    w->cold[tid].off = off;
    ta->nbytes = 0;
    ta->first = ta->last = doc;
    ta->max_tt = ta->max_tb = 0;
    ta->min_dl = UINT32_MAX;
    imp_reset(&ta->imp);
}

/* Takes into a block's bounds (its largest frequencies in title and body,
 * least length, impact levels) a document of tf_title tt, tf_body tb and
 * length dl: a term's open block (note_doc) or a bigram's (bg_desc). */
static inline void note_bounds(uint32_t *max_tt, uint32_t *max_tb, uint32_t *min_dl, imp_levels *imp, uint32_t tt,
                               uint32_t tb, uint32_t dl)
{
    if (tt > *max_tt)
        *max_tt = tt;
    if (tb > *max_tb)
        *max_tb = tb;
    if (dl < *min_dl)
        *min_dl = dl;
    imp_add(imp, (uint32_t)STORE_TITLE_WEIGHT * tt + tb, dl);
}

/* Counts in term ta's open block document doc's record of n bytes:
 * tf_title tt, tf_body tb, length dl. */
static inline void note_doc(term_acc *ta, uint32_t doc, uint32_t n, uint32_t tt, uint32_t tb, uint32_t dl)
{
    ta->nbytes += n;
    ta->last = doc;
    ta->ndocs++;
    note_bounds(&ta->max_tt, &ta->max_tb, &ta->min_dl, &ta->imp, tt, tb, dl);
}

/* Appends document doc's record to term tid's postings: tf_title and
 * tf_body tokens, its length dl, and (for a field that keeps them,
 * store_field_positions) its npos positions, ascending, at pos[0],
 * pos[stride], ...  The writer of the entry's tokens (flush_entry_tokens);
 * put_docs writes the same bytes for the sorted bigrams (flush_bigrams),
 * a term's documents of a drain at once.  FZ_ENOMEM. */
static int put_doc(worker *w, uint32_t tid, uint32_t doc, uint32_t tf_title, uint32_t tf_body, uint32_t dl,
                   const uint32_t *pos, size_t npos, size_t stride)
{
    term_acc *ta = &w->terms[tid];
    term_acc *bd = ta; /* the open block */
    if (bd->ndocs == STORE_BLOCK_DOCS && close_block(w, tid))
        return FZ_ENOMEM;
    /* a record of up to SMALL_POS positions is written here first
     * and given its exact room: a chunk is filled to its end, not to
     * the worst case's (3 * 5 + positions * 5 bytes) */
    enum { SMALL_POS = 16 };
    uint8_t small[3 * 5 + SMALL_POS * 5];
    uint8_t *p = npos <= SMALL_POS ? small : acc_reserve(w, ta, 3 * 5 + npos * 5), *p0 = p;
    if (!p)
        return FZ_ENOMEM;
    int opens = bd->ndocs == 0;
    p += fz_varint_put(p, opens ? 0 : doc - bd->last);
    p += store_tf_put(p, tf_title, tf_body);
    uint32_t prev = 0;
    for (size_t q = 0; q < npos; q++) {
        p += fz_varint_put(p, pos[q * stride] - prev);
        prev = pos[q * stride];
    }
    if (p0 == small) {
        uint8_t *room = acc_reserve(w, ta, (size_t)(p - p0));
        if (!room)
            return FZ_ENOMEM;
        memcpy(room, small, (size_t)(p - p0));
    }
    if (opens)
        open_block(w, tid, ta->tail, ta->tail->used, doc);
    ta->tail->used += (uint32_t)(p - p0);
    note_doc(ta, doc, (uint32_t)(p - p0), tf_title, tf_body, dl);
    return FZ_OK;
}

/* Groups the entry's tokens by term (stable, so positions stay ascending)
 * and appends one document record per term. */
static int flush_entry_tokens(worker *w, uint32_t doc, uint32_t title_end, uint32_t dl)
{
    size_t n = w->net;
    if (n > w->scratch_cap) {
        size_t cap = n * 2;
        etok *so = realloc(w->sorted, cap * sizeof *so);
        if (!so)
            return FZ_ENOMEM;
        w->sorted = so;
        w->scratch_cap = cap;
    }
    uint32_t nslot = w->nslot;
    uint32_t sum = 0;
    for (uint32_t s = 0; s < nslot; s++) {
        uint32_t c = w->es[s].cnt;
        w->es[s].cnt = sum;
        sum += c;
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t s = w->et[i].slot;
        w->sorted[w->es[s].cnt++] = w->et[i];
    }
    size_t i = 0;
    for (uint32_t s = 0; s < nslot; s++) {
        /* each term's last chunk is somewhere in memory (take_token
         * fetched its head): fetch where that of the term three ahead is
         * written */
        if (s + 3 < nslot) {
            const chunk *pc = w->terms[w->es[s + 3].tid].tail;
            if (pc)
                __builtin_prefetch(pc->data + pc->used, 1);
        }
        uint32_t tid = w->es[s].tid;
        term_acc *ta = &w->terms[tid];
        ta->eslot = 0;
        size_t j = i;
        while (j < n && w->sorted[j].slot == s)
            j++;
        uint32_t tf_title = 0, tf_body;
        if (ta->field == STORE_F_UNI) {
            tf_title = w->es[s].ut;
            tf_body = w->es[s].ub;
        } else {
            while (i + tf_title < j && w->sorted[i + tf_title].pos < title_end)
                tf_title++;
            tf_body = (uint32_t)(j - i) - tf_title;
        }
        /* a CJK unigram keeps no positions (STORE_F_UNI) */
        size_t npos = store_field_positions(ta->field) ? j - i : 0;
        int rc = put_doc(w, tid, doc, tf_title, tf_body, dl, npos ? &w->sorted[j - npos].pos : NULL, npos,
                         sizeof(etok) / sizeof(uint32_t));
        if (rc)
            return rc;
        i = j;
    }
    w->net = 0;
    w->nslot = 0;
    return FZ_OK;
}

/* Forgets the entry's tokens without writing them. */
static void forget_entry(worker *w)
{
    for (uint32_t s = 0; s < w->nslot; s++)
        w->terms[w->es[s].tid].eslot = 0;
    w->nslot = 0;
    w->net = 0;
}

/* --------------------------------------------------------------- records */

static int meta_field(worker *w, meta_cache *mc, int field, const char *text, size_t len, uint32_t base,
                      uint32_t *next);

/* Analyses a field; the i-th of its kind in the entry (authors, sections). */
static int analyze_field(worker *w, int field, size_t i, const char *text, size_t len, uint32_t base,
                         uint32_t *next)
{
    if (w->routes && field != STORE_F_TEXT) {
        meta_cache *mc = field == STORE_F_AUTHOR ? (i < META_AUTHORS ? &w->meta[i] : NULL)
                         : field == STORE_F_SECTION ? (i < META_SECTIONS ? &w->meta[META_AUTHORS + i] : NULL)
                         : &w->meta[META_AUTHORS + META_SECTIONS + (field == STORE_F_KIND)];
        if (mc)
            return meta_field(w, mc, field, text, len, base, next);
    }
    w->cur_field = field;
    if (w->routes && field == STORE_F_TEXT) /* its CJK runs at once (on_run) */
        return tok_analyze_runs(w->tok, text, len, base, on_token, on_run, w, next);
    return tok_analyze(w->tok, text, len, base, on_token, w, next);
}

/* Analyses one record's fields into w->et; *title_end and *npos receive
 * the body's first position and the entry's length. */
static int analyze_record(worker *w, const char *title, size_t title_len, const char *body, size_t body_len,
                          const char *const *authors, const size_t *alen, size_t nauthors,
                          const char *const *sections, const size_t *slen, size_t nsection, int kind,
                          uint32_t *title_end, uint32_t *npos)
{
    int rc;
    uint32_t title_next = 0, next = 0;
    forget_entry(w);
    w->pend_n = 0;
    w->join.len = 0;
    w->in_body = 0;
    if ((rc = analyze_field(w, STORE_F_TEXT, 0, title, title_len, 0, &title_next)))
        return rc;
    uint32_t body_base = title_next ? title_next + 1 : 0;
    w->in_body = 1;
    rc = analyze_field(w, STORE_F_TEXT, 0, body, body_len, body_base, &next);
    w->in_body = 0;
    if (rc)
        return rc;
    *title_end = body_base;
    *npos = next > body_base ? next : body_base;
    /* metadata fields, each in its own position space */
    uint32_t p = 0;
    for (size_t i = 0; i < nauthors; i++) {
        if ((rc = analyze_field(w, STORE_F_AUTHOR, i, authors[i], alen[i], p, &p)))
            return rc;
        p++;
    }
    p = 0;
    for (size_t i = 0; i < nsection; i++) {
        if ((rc = analyze_field(w, STORE_F_SECTION, i, sections[i], slen[i], p, &p)))
            return rc;
        p++;
    }
    if ((rc = analyze_field(w, STORE_F_FILE, 0, w->path, strlen(w->path), 0, NULL)))
        return rc;
    const char *kn = fz_kind_name(kind);
    if ((rc = analyze_field(w, STORE_F_KIND, 0, kn, strlen(kn), 0, NULL)))
        return rc;
    return drain_tokens(w);
}

static int route_entry(worker *r, uint32_t title_end, uint32_t npos);

/* Ends the worker's entry whose tokens it has taken: its postings (as the
 * next local id), and with keeps_entries its record enc (elen bytes) and
 * join map (jlen bytes) into the current file's records. */
static int entry_done(worker *w, uint32_t title_end, uint32_t npos, const void *enc, size_t elen,
                      const void *join, size_t jlen)
{
    uint32_t doc = w->nent;
    if (doc >= UINT32_MAX / 2)
        return FZ_ELIMIT;
    int rc = flush_entry_tokens(w, doc, title_end, npos);
    if (rc)
        return rc;
    fz_buf *recs = &w->files[w->nfiles - 1].recs;
    if (w->keeps_entries && (fz_buf_varint(recs, elen) || fz_buf_append(recs, enc, elen) ||
                             fz_buf_varint(recs, jlen) || fz_buf_append(recs, join, jlen)))
        return FZ_ENOMEM;
    if (w->nent == w->dlen_cap) {
        size_t cap = w->dlen_cap ? w->dlen_cap * 2 : 4096;
        uint32_t *nd = realloc(w->dlen, cap * sizeof *nd);
        if (!nd)
            return FZ_ENOMEM;
        w->dlen = nd;
        uint32_t(*nt)[2] = realloc(w->dt, cap * sizeof *nt);
        if (!nt)
            return FZ_ENOMEM;
        w->dt = nt;
        w->dlen_cap = cap;
    }
    w->dlen[w->nent] = npos;
    w->dt[w->nent][0] = npos;
    w->dt[w->nent][1] = title_end;
    __atomic_store_n(&w->nent, w->nent + 1, __ATOMIC_RELAXED); /* read by build_added */
    w->sumlen += npos;
    __atomic_add_fetch(&w->post_bytes, elen + 12, __ATOMIC_RELAXED);
    return FZ_OK;
}

static int on_record(void *ctx, const parse_entry *pe)
{
    worker *w = ctx;
    size_t ns = pe->nsection < 64 ? pe->nsection : 64, na = pe->nauthors < 64 ? pe->nauthors : 64;
    size_t seclen[64], auth_len[64];
    for (size_t i = 0; i < ns; i++)
        seclen[i] = strlen(pe->section[i]);
    for (size_t i = 0; i < na; i++)
        auth_len[i] = strlen(pe->authors[i]);
    uint32_t title_end, npos;
    int rc = analyze_record(w, pe->title, pe->title_len, pe->body, pe->body_len, pe->authors, auth_len, na,
                            pe->section, seclen, ns, pe->kind, &title_end, &npos);
    if (rc)
        return rc;
    w->enc.len = 0;
    if (w->keeps_entries) {
        store_entry e = {0};
        e.file_id = 0; /* set when written */
        e.line = pe->line;
        e.kind = (uint8_t)pe->kind;
        e.title_npos = title_end;
        e.npos = npos;
        e.title = pe->title;
        e.title_len = pe->title_len;
        e.body = pe->body;
        e.body_len = pe->body_len;
        e.nsection = ns;
        e.section = (const char **)pe->section;
        e.section_len = seclen;
        e.nauthors = na;
        e.authors = (const char **)pe->authors;
        e.author_len = auth_len;
        if (store_entry_encode(&e, &w->enc))
            return FZ_ENOMEM;
    }
    if (w->routes)
        return route_entry(w, title_end, npos);
    return entry_done(w, title_end, npos, w->enc.p, w->enc.len, w->join.p, w->join.len);
}

static int begin_wfile(worker *w, const char *path, uint64_t nbytes, int64_t mtime, const char *enc)
{
    if (w->nfiles == w->files_cap) {
        /* the main thread reads finished files' entries meanwhile
         * (write_ready_entries): the array moves under the mutex */
        size_t cap = w->files_cap ? w->files_cap * 2 : 16;
        pthread_mutex_lock(&w->b->mu);
        wfile *nf = realloc(w->files, cap * sizeof *nf);
        if (nf) {
            w->files = nf;
            w->files_cap = cap;
        }
        pthread_mutex_unlock(&w->b->mu);
        if (!nf)
            return FZ_ENOMEM;
    }
    wfile *f = &w->files[w->nfiles];
    memset(f, 0, sizeof *f);
    if (!(f->path = strdup(path)))
        return FZ_ENOMEM;
    f->local_first = w->nent;
    f->nbytes = nbytes;
    f->mtime = mtime;
    snprintf(f->encoding, sizeof f->encoding, "%s", enc ? enc : "UTF-8");
    w->nfiles++;
    w->path = f->path;
    return FZ_OK;
}

/* Ends the file begin_wfile started; volume: the book title the parser
 * found on its first line, "" when none.  FZ_ENOMEM. */
static int end_wfile(worker *w, const char *volume, size_t len)
{
    wfile *f = &w->files[w->nfiles - 1];
    f->n = w->nent - f->local_first;
    f->mem = __atomic_load_n(&w->post_bytes, __ATOMIC_RELAXED) + __atomic_load_n(&w->dict_bytes, __ATOMIC_RELAXED);
    return (f->volume = strndup(volume, len)) ? FZ_OK : FZ_ENOMEM;
}

/* The volume title of the file just parsed (its first line's book title). */
static const char *parsed_volume(const worker *w)
{
    return parse_volume(w->parse);
}

/* ------------------------------------------------------------- routing */

/* The router (build.rw, on the main thread) parses and analyses each file
 * once and sends every worker its share of the tokens (hash % workers, as
 * the worker would have kept them) with the entries' ends, in the order of
 * the text: each worker takes the same tokens in the same order as if it
 * had analysed the file itself, so the index is the same. */

/* Hands the chunk being filled for worker part over to it, first waiting
 * while that worker has RQ_CAP bytes unread (it reads on, failed or not),
 * and takes a spare chunk, if any, to fill next. */
static void route_push(build *b, int part)
{
    rchunk *c = b->fill[part];
    if (!c || !c->len)
        return;
    b->fill[part] = NULL;
    worker *w = &b->w[part];
    pthread_mutex_lock(&b->mu);
    while (w->rq_held >= RQ_CAP && !b->stop)
        pthread_cond_wait(&b->cv_idle, &b->mu);
    if (w->rq_tail)
        w->rq_tail->next = c;
    else
        w->rq_head = c;
    w->rq_tail = c;
    w->rq_held += c->size;
    b->hold = 0;
    if ((c = b->spare)) {
        b->spare = c->next;
        c->next = NULL;
        c->len = 0;
        b->fill[part] = c;
    }
    pthread_cond_broadcast(&b->cv_job);
    pthread_mutex_unlock(&b->mu);
    if (b->pause_us)
        usleep(b->pause_us);
}

/* route_room when the chunk being filled has no room for n bytes: that
 * chunk goes to the worker and a spare or new one is filled next. */
static __attribute__((noinline)) uint8_t *route_room_new(build *b, int part, size_t n)
{
    route_push(b, part);
    rchunk *c = b->fill[part];
    if (!c || c->size < n) {
        if (c) { /* a spare too small for the item: back to the list */
            pthread_mutex_lock(&b->mu);
            c->next = b->spare;
            b->spare = c;
            pthread_mutex_unlock(&b->mu);
        }
        size_t size = n > RCHUNK ? n : RCHUNK;
        b->fill[part] = NULL;
        if (!(c = malloc(sizeof *c + size)))
            return NULL;
        c->next = NULL;
        c->len = 0;
        c->size = size;
        b->fill[part] = c;
    }
    return c->data + c->len;
}

/* Room for an item of n bytes for worker part; NULL when out of memory. */
static inline uint8_t *route_room(build *b, int part, size_t n)
{
    rchunk *c = b->fill[part];
    if (__builtin_expect(c && c->size - c->len >= n, 1))
        return c->data + c->len;
    return route_room_new(b, part, n);
}

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static uint32_t get32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* Copies a term of n bytes to p.  Terms are short (a CJK unigram 3
 * bytes, a bigram 6): two overlapping copies of a fixed size, which read
 * and write only inside the n bytes, instead of a call to memcpy. */
static inline void copy_term(uint8_t *p, const char *t, size_t n)
{
    if (n >= 4 && n <= 8) {
        memcpy(p, t, 4);
        memcpy(p + n - 4, t + n - 4, 4);
    } else if (n >= 2 && n < 4) {
        memcpy(p, t, 2);
        memcpy(p + n - 2, t + n - 2, 2);
    } else if (n == 1) {
        p[0] = (uint8_t)t[0];
    } else {
        memcpy(p, t, n);
    }
}

static int route_token(worker *r, int field, const char *term, size_t tn, uint32_t h, uint32_t pos)
{
    build *b = r->b;
    int part = (int)(b->nw_mask ? h & b->nw_mask : h % (uint32_t)b->nw);
    uint8_t *p = route_room(b, part, 11 + tn);
    if (!p)
        return FZ_ENOMEM;
    p[0] = R_TOK;
    p[1] = (uint8_t)field;
    p[2] = (uint8_t)tn;
    put32(p + 3, h);
    put32(p + 7, pos);
    copy_term(p + 11, term, tn);
    b->fill[part]->len += 11 + tn;
    if (r->rec && fz_buf_append(&r->rec[part], p, 11 + tn))
        return FZ_ENOMEM;
    return FZ_OK;
}

/* The router's analysis of a metadata field, kept in mc: when mc
 * holds the same text at the same first position, the items it sent
 * then are sent again, each worker's in one copy, without analysing and
 * hashing; else the field is analysed and its items kept.
 * The items are a function of the field, text and position alone
 * (on_token's kept hash state only spares work), so the workers read the
 * same. */
static int meta_field(worker *w, meta_cache *mc, int field, const char *text, size_t len, uint32_t base,
                      uint32_t *next)
{
    build *b = w->b;
    if (mc->ok && mc->base == base && mc->text.len == len && (!len || !memcmp(mc->text.p, text, len))) {
        for (int i = 0; i < b->nw; i++) {
            size_t n = mc->items[i].len;
            if (!n)
                continue;
            uint8_t *p = route_room(b, i, n);
            if (!p)
                return FZ_ENOMEM;
            memcpy(p, mc->items[i].p, n);
            b->fill[i]->len += n;
        }
        if (next)
            *next = mc->next;
        return FZ_OK;
    }
    mc->ok = 0;
    mc->text.len = 0;
    for (int i = 0; i < b->nw; i++)
        mc->items[i].len = 0;
    w->cur_field = field;
    w->rec = mc->items;
    uint32_t nx = 0;
    int rc = tok_analyze(w->tok, text, len, base, on_token, w, &nx);
    w->rec = NULL;
    if (rc)
        return rc;
    if (len && fz_buf_append(&mc->text, text, len))
        return FZ_ENOMEM;
    mc->base = base;
    mc->next = nx;
    mc->ok = 1;
    if (next)
        *next = nx;
    return FZ_OK;
}

/* Ends the entry at every worker; worker 0 (which keeps the entries) gets
 * its record and join map. */
static int route_entry(worker *r, uint32_t title_end, uint32_t npos)
{
    build *b = r->b;
    for (int i = 0; i < b->nw; i++) {
        size_t el = i ? 0 : r->enc.len, jl = i ? 0 : r->join.len;
        uint8_t *p = route_room(b, i, 17 + el + jl);
        if (!p)
            return FZ_ENOMEM;
        p[0] = R_ENT;
        put32(p + 1, title_end);
        put32(p + 5, npos);
        put32(p + 9, (uint32_t)el);
        put32(p + 13, (uint32_t)jl);
        if (el)
            memcpy(p + 17, r->enc.p, el);
        if (jl)
            memcpy(p + 17 + el, r->join.p, jl);
        b->fill[i]->len += 17 + el + jl;
    }
    return FZ_OK;
}

/* Sends every worker an item of type t: a 24-byte head (may be NULL) and
 * a string s of n bytes, which the item keeps NUL-terminated. */
static int route_all(build *b, int t, const uint8_t *head, const char *s, size_t n)
{
    for (int i = 0; i < b->nw; i++) {
        uint8_t *p = route_room(b, i, 1 + 24 + 4 + n + 1);
        if (!p)
            return FZ_ENOMEM;
        p[0] = (uint8_t)t;
        memset(p + 1, 0, 24);
        if (head)
            memcpy(p + 1, head, 24);
        put32(p + 25, (uint32_t)n);
        memcpy(p + 29, s, n);
        p[29 + n] = 0;
        b->fill[i]->len += 29 + n + 1;
    }
    return FZ_OK;
}

/* Parses and analyses a file on the calling thread for the workers. */
static int route_file(build *b, const char *path, const char *text, size_t len, uint64_t nbytes, int64_t mtime,
                      const char *encoding)
{
    worker *r = b->rw;
    uint8_t head[24] = {0};
    memcpy(head, &nbytes, 8);
    memcpy(head + 8, &mtime, 8);
    /* the encoding's name follows the path */
    const char *enc = encoding ? encoding : "UTF-8";
    size_t pl = strlen(path), el = strlen(enc);
    char *ps = malloc(pl + 1 + el);
    if (!ps)
        return FZ_ENOMEM;
    memcpy(ps, path, pl + 1);
    memcpy(ps + pl + 1, enc, el);
    int rc = route_all(b, R_FILE, head, ps, pl + 1 + el);
    free(ps);
    r->path = path;
    if (!rc)
        rc = parse_text(r->parse, text, len, on_record, r);
    if (!rc)
        rc = route_all(b, R_END, NULL, parsed_volume(r), strlen(parsed_volume(r)));
    r->path = NULL;
    for (int i = 0; i < b->nw; i++)
        route_push(b, i); /* the workers finish the file now */
    return rc;
}

/* ------------------------------------------------------ sorted bigrams */

/* A worker thread's CJK bigrams of the text field (a term of two
 * three-byte characters, fz_utf8_plain3: half of all tokens) and its CJK
 * unigrams (STORE_F_UNI, one such character: the other half) skip the
 * dictionary while they are read: each is appended as a record (bgrec:
 * its term, entry and position, or for a unigram 1 if it is the body's,
 * 0 the title's) to one of BG_NB buckets.  When the records
 * pass BG_DRAIN bytes at the end of a chunk, and at the batch's end,
 * flush_bigrams sorts each bucket by term, stably, interns each of its
 * unigrams once and appends its documents' records in order (put_docs,
 * the bytes put_doc writes for the other tokens), and writes each
 * bigram's records as a piece ("Pieces"); the records of the entry still
 * being read stay for the next time.  The decision is the term's bytes
 * alone, so a term takes one path or the other, never both, and the
 * postings end up the same as if every token had been interned: the
 * index is the same.  The term is kept as key = cp1 <<
 * 16 | cp2 (a unigram's: its cp, less than 1 << 16), mixed by a multiply by an odd constant (a bijection of 32
 * bits): the mix's top BG_BITS bits choose the bucket (so the buckets
 * fill evenly), its low 32 - BG_BITS bits are what a bucket is sorted by
 * (two passes of a radix sort in cache).  A worker never abandons an
 * entry it has taken tokens of (forget_entry is for the records the
 * main thread analyses; a record that fails in the router fails the
 * build), so no record is ever dropped but with the batch. */
#define BG_BITS 10
#define BG_NB (1u << BG_BITS)
#define BG_MIX 0x9E3779B1u
#define BG_UNMIX 0x0E8B2F51u /* BG_MIX's inverse modulo 2^32 */
_Static_assert((uint32_t)(BG_MIX * BG_UNMIX) == 1u, "BG_UNMIX undoes BG_MIX");
#define BG_DIGIT 11          /* bits of a radix digit: two digits cover a bucket's 22 */
#define BG_BLOCK (4u << 10)  /* bytes of a bucket's block */
/* Record bytes a worker drains at a chunk's end (flush_bigrams), or an
 * eighth of its share of the postings' budget when that is less: each
 * drain costs a term seen before a lookup of its slot, line and last
 * chunk (drains of 16, 32, 64 MB and one at the batch's end: task-clock
 * 6.47, 6.10, 6.38 and 6.3-6.7 s on the poetry bench, against 6.60 s
 * for the dictionary; peak RSS +40, +75, +150 and +230 MiB). */
#define BG_DRAIN ((size_t)32 << 20)

typedef struct bgrec {
    uint32_t m;          /* the term's key, mixed */
    uint32_t doc, pos;   /* the local entry, the position */
} bgrec;

typedef struct bgblk {
    struct bgblk *next;
    uint32_t n;
    bgrec r[];
} bgblk;
#define BG_RECS ((BG_BLOCK - sizeof(bgblk)) / sizeof(bgrec))

typedef struct bgbucket {
    bgrec *at, *end;     /* where the next record goes in the last block, its end */
    bgblk *head, *tail;
    uint32_t n;          /* records in the blocks before tail (tail's: at) */
} bgbucket;

/* Whether the 6 bytes at t are a bigram of the sorted path: *key its code
 * points' key. */
static inline int bigram_key(const uint8_t *t, uint32_t *key)
{
    if (!fz_utf8_plain3(t, 3) || !fz_utf8_plain3(t + 3, 3))
        return 0;
    *key = fz_utf8_plain3_cp(t) << 16 | fz_utf8_plain3_cp(t + 3);
    return 1;
}

/* put_rec when bucket bk's last block is full (or it has none): a block
 * from the free list or the record slabs.  FZ_ENOMEM. */
static __attribute__((noinline)) int bg_new_block(worker *w, bgbucket *bk)
{
    bgblk *nk = w->bg_free;
    if (nk) {
        w->bg_free = nk->next;
    } else if (!(nk = slab_carve(w, &w->bslabs, BG_BLOCK))) {
        return FZ_ENOMEM;
    }
    nk->next = NULL;
    nk->n = 0;
    w->bg_blocks++;
    if (bk->tail) {
        bk->tail->n = (uint32_t)(bk->at - bk->tail->r);
        bk->n += bk->tail->n;
        bk->tail->next = nk;
    } else {
        bk->head = nk;
    }
    bk->tail = nk;
    bk->at = nk->r;
    bk->end = nk->r + BG_RECS;
    return FZ_OK;
}

/* Appends a record of mixed key m.  FZ_ENOMEM. */
static inline int put_rec(worker *w, uint32_t m, uint32_t doc, uint32_t pos)
{
    bgbucket *bk = &w->bg[m >> (32 - BG_BITS)];
    if (__builtin_expect(bk->at == bk->end, 0) && bg_new_block(w, bk))
        return FZ_ENOMEM;
    bgrec *r = bk->at++;
    r->m = m;
    r->doc = doc;
    r->pos = pos;
    return FZ_OK;
}

/* Appends a bigram or unigram token (key, its entry doc, position pos or
 * body bit).  FZ_ENOMEM. */
static int put_bigram(worker *w, uint32_t key, uint32_t doc, uint32_t pos)
{
    if (__builtin_expect(!w->bg, 0) && !(w->bg = calloc(BG_NB, sizeof *w->bg)))
        return FZ_ENOMEM;
    return put_rec(w, key * BG_MIX, doc, pos);
}

/* Frees the bigram records (with the batch's postings). */
static void drop_bigrams(worker *w, int keep)
{
    size_t bytes = release_slabs(w, &w->bslabs, keep);
    w->bg_free = NULL;
    w->bg_blocks = 0;
    __atomic_sub_fetch(&w->post_bytes, bytes, __ATOMIC_RELAXED);
    if (w->bg)
        memset(w->bg, 0, BG_NB * sizeof *w->bg);
}

/* Sorts bucket bk's n records into out by their key's low 32 - BG_BITS
 * bits (the top ones are the bucket's), stably: two passes of a radix
 * sort, least significant digit first, through tmp. */
static void sort_bucket(const bgbucket *bk, bgrec *tmp, bgrec *out, uint32_t n)
{
    enum { R = 1u << BG_DIGIT, MASK = R - 1 };
    uint32_t c0[R], c1[R];
    memset(c0, 0, sizeof c0);
    memset(c1, 0, sizeof c1);
    for (const bgblk *k = bk->head; k; k = k->next)
        for (uint32_t i = 0; i < k->n; i++) {
            c0[k->r[i].m & MASK]++;
            c1[(k->r[i].m >> BG_DIGIT) & MASK]++;
        }
    uint32_t s0 = 0, s1 = 0;
    for (uint32_t d = 0; d < R; d++) {
        uint32_t x = c0[d], y = c1[d];
        c0[d] = s0;
        c1[d] = s1;
        s0 += x;
        s1 += y;
    }
    for (const bgblk *k = bk->head; k; k = k->next)
        for (uint32_t i = 0; i < k->n; i++)
            tmp[c0[k->r[i].m & MASK]++] = k->r[i];
    for (uint32_t i = 0; i < n; i++)
        out[c1[(tmp[i].m >> BG_DIGIT) & MASK]++] = tmp[i];
}

/* The bytes of the bigram of mixed key m (6). */
static size_t bigram_bytes(uint32_t m, char *t)
{
    uint32_t key = m * BG_UNMIX;
    if (!(key >> 16))
        return (size_t)fz_utf8_encode(key, t); /* a unigram */
    fz_utf8_encode(key >> 16, t);
    fz_utf8_encode(key & 0xFFFF, t + 3);
    return 6;
}

/* Sends a CJK bigram of the text field (the sorted path: bigram_key) or a
 * CJK unigram (key its code point) to the worker its key chooses: its key
 * and position (a unigram's: 1 in the body, 0 in the title). */
static inline int bg_part(const build *b, uint32_t key)
{
    uint32_t m = (key * BG_MIX) >> 8; /* bits apart from the bucket's */
    return (int)(b->nw_mask ? m & b->nw_mask : m % (uint32_t)b->nw);
}

static int route_bigram(worker *r, uint32_t key, uint32_t pos)
{
    build *b = r->b;
    int part = bg_part(b, key);
    uint8_t *p = route_room(b, part, 9);
    if (!p)
        return FZ_ENOMEM;
    p[0] = R_BI;
    put32(p + 1, key);
    put32(p + 5, pos);
    b->fill[part]->len += 9;
    return FZ_OK;
}

/* A run's tokens one by one through on_token (tok_run_fn's meaning). */
static int run_tokens(worker *w, const tok_cjk *c, size_t n)
{
    char t[6];
    for (size_t k = 1; k < n; k++) {
        uint32_t a = c[k - 1].cp & ~TOK_CJK_JOIN, z = c[k].cp & ~TOK_CJK_JOIN;
        fz_utf8_encode(a, t);
        fz_utf8_encode(z, t + 3);
        tok_token tk = {t, 6, c[k - 1].pos, 0, 0, TOK_BI};
        int rc = c[k].cp & TOK_CJK_JOIN ? on_token(w, &tk) : 0;
        if (rc)
            return rc;
        tk.term = t + 3;
        tk.term_len = 3;
        tk.pos = c[k].pos;
        tk.kind = TOK_UNI;
        if ((rc = on_token(w, &tk)))
            return rc;
    }
    return FZ_OK;
}

/* The router's tokens of a run of CJK characters of the text field
 * (tok_analyze_runs): every bigram and unigram of it is of the sorted path
 * (two characters, or one, whose UTF-8 fz_utf8_plain3 takes: tok_cjk's)
 * and goes out as on_token would send it (route_bigram's items, the join
 * map's bits), in the same order, in one loop, with one test for room a
 * worker; when a chunk has not the room for the whole run, one by one
 * through on_token (run_tokens). */
static int on_run(void *ctx, const tok_cjk *c, size_t n)
{
    worker *w = ctx;
    build *b = w->b;
    uint8_t *q[BUILD_MAX_WORKERS];
    size_t need = 18 * (n - 1);
    int room = w->keeps_entries;
    for (int i = 0; i < b->nw; i++) {
        rchunk *ch = b->fill[i];
        room &= ch && ch->size - ch->len >= need;
        q[i] = ch ? ch->data + ch->len : NULL;
    }
    if (!room)
        return run_tokens(w, c, n);
    /* the join map: a bigram at pos sets bit pos + 1, at most c[n-1].pos */
    size_t jn = c[n - 1].pos / 8 + 1, jl = w->join.len;
    if (jn > jl) {
        if (fz_buf_reserve(&w->join, jn - jl))
            return FZ_ENOMEM;
        memset(w->join.p + jl, 0, jn - jl);
    }
    uint8_t *jm = (uint8_t *)w->join.p;
    uint32_t body = (uint32_t)w->in_body, top = 0;
    uint32_t prev = c[0].cp & ~TOK_CJK_JOIN, ppos = c[0].pos;
    for (size_t k = 1; k < n; k++) {
        uint32_t x = c[k].cp, cp = x & ~TOK_CJK_JOIN;
        if (x & TOK_CJK_JOIN) {
            uint32_t key = prev << 16 | cp, bit = ppos + 1;
            jm[bit / 8] |= (uint8_t)(1u << (bit % 8));
            top = bit + 1;
            int i = bg_part(b, key);
            q[i][0] = R_BI;
            put32(q[i] + 1, key);
            put32(q[i] + 5, ppos);
            q[i] += 9;
        }
        int i = bg_part(b, cp);
        q[i][0] = R_BI;
        put32(q[i] + 1, cp);
        put32(q[i] + 5, body);
        q[i] += 9;
        prev = cp;
        ppos = c[k].pos;
    }
    for (int i = 0; i < b->nw; i++)
        b->fill[i]->len = (size_t)(q[i] - b->fill[i]->data);
    if (top && (top - 1) / 8 + 1 > w->join.len)
        w->join.len = (top - 1) / 8 + 1;
    return FZ_OK;
}

/* flush_bigrams' fetching ahead of the term of hash h (if a slot of its
 * home slot's cache line, from the home slot on, holds it: the line is
 * the one fetched): stage 1 its line, 2 its last chunk's head, 3 where
 * that chunk is written next. */
static inline void bg_fetch(const worker *w, uint32_t h, int stage)
{
    uint32_t i = h & (w->nslots - 1), st = 0;
    for (;;) {
        uint64_t sl = w->slots[i];
        if (!sl)
            return;
        if ((uint32_t)(sl >> 32) == h) {
            st = (uint32_t)sl;
            break;
        }
        if (++i % 8 == 0) /* the next line (the table is aligned to lines) */
            return;
    }
    if (st - 1 >= w->nterms)
        return;
    const term_acc *ta = &w->terms[st - 1];
    if (stage == 1)
        __builtin_prefetch(ta);
    else if (ta->tail && stage == 2)
        __builtin_prefetch(ta->tail);
    else if (ta->tail)
        __builtin_prefetch(ta->tail->data + ta->tail->used, 1);
}

/* A document of a term's records in a drain (put_docs): the index after
 * its records, its tokens in the title, its record's bytes, its length. */
typedef struct bgdoc {
    uint32_t end, tt, len, dl;
} bgdoc;

/* flush_bigrams' writer of a CJK unigram: appends to term tid's postings
 * the records of its documents in rec[i..e) (sorted by entry, entries
 * before w->nent's end; a record's position is its body bit: a unigram
 * keeps no positions), the bytes put_doc would write a document at a
 * time.  But the records of a drain are known together: their sizes are
 * counted first (into w->bg_doc, room for e - i), and they are written in
 * place (no call, no copy from the stack, no acc_reserve a document),
 * into the room left in the term's last chunk, then into a new one of
 * twice the last one's size (32 bytes the first) or the bytes left to
 * write if more, up to CHUNK_MAX (or one record's).  Chunks of the bytes
 * of each drain alone took 86 MB a worker on the poetry bench instead of
 * 113, but 1.9 M of them instead of 1.34 M, each a miss more where
 * prep_terms joins a block (joiner_take's samples 86 -> 425; measured
 * when the bigrams were written so too).  Records rec[..n) of entries
 * before limit have their entries' lengths fetched RAHEAD records ahead.
 * FZ_ENOMEM. */
enum { RAHEAD = 16 };
static int put_docs(worker *w, uint32_t tid, const bgrec *rec, uint32_t i, uint32_t e, uint32_t n, uint32_t limit)
{
    term_acc *ta = &w->terms[tid];
    bgdoc *dd = w->bg_doc;
    uint32_t nd = 0, blk = ta->ndocs, last = ta->last;
    size_t total = 0;
    for (uint32_t j = i; j < e; nd++) {
        uint32_t doc = rec[j].doc, t = 0;
        if (j + RAHEAD < n && rec[j + RAHEAD].doc < limit)
            __builtin_prefetch(&w->dt[rec[j + RAHEAD].doc]);
        const uint32_t *dt = w->dt[doc];
        uint32_t j0 = j;
        for (; j < e && rec[j].doc == doc; j++)
            t += !rec[j].pos; /* 0: the title's */
        /* its id's delta: 0 where a block opens (put_doc's) */
        uint32_t delta = 0;
        if (blk == STORE_BLOCK_DOCS)
            blk = 0;
        if (blk++)
            delta = doc - last;
        last = doc;
        dd[nd].end = j;
        dd[nd].tt = t;
        dd[nd].len = fz_varint_len32(delta) + store_tf_len(t, j - j0 - t);
        dd[nd].dl = dt[0];
        total += dd[nd].len;
    }
    chunk *c = ta->tail;
    uint8_t *p = c ? c->data + c->used : NULL;
    uint32_t room = c ? c->size - c->used : 0;
    for (uint32_t g = 0; g < nd; g++) {
        uint32_t doc = rec[i].doc, j = dd[g].end, tt = dd[g].tt, tb = j - i - tt, r = dd[g].len, dl = dd[g].dl;
        if (ta->ndocs == STORE_BLOCK_DOCS && close_block(w, tid))
            return FZ_ENOMEM;
        int opens = ta->ndocs == 0;
        if (r > room) {
            /* a chunk for this record and those after it */
            size_t need = c ? 2 * (size_t)c->size : 32;
            if (need < total)
                need = total;
            if (need > CHUNK_MAX)
                need = r > CHUNK_MAX ? r : CHUNK_MAX;
            if (c)
                c->used = c->size - room;
            if (!(c = new_chunk(w, ta, need)))
                return FZ_ENOMEM;
            p = c->data;
            room = c->size;
        }
        if (opens)
            open_block(w, tid, c, (uint32_t)(p - c->data), doc);
        p = fz_varint_put32(p, opens ? 0 : doc - ta->last);
        p += store_tf_put(p, tt, tb);
        i = j;
        room -= r;
        total -= r;
        note_doc(ta, doc, r, tt, tb, dl);
    }
    if (c)
        c->used = c->size - room;
    return FZ_OK;
}

/* Pieces.  A CJK bigram (two three-byte characters: nearly all of a
 * worker's terms, 1.16 M of them on the poetry bench, half seen in one
 * entry) is not interned: a drain writes the records a bigram has in it
 * as a piece, where the worker's pieces end, and notes its key and place
 * in bgp.  At the batch's end bg_terms sorts bgp by key (stably: a
 * bigram's pieces stay in the order of its entries) and the bigrams join
 * the dictionary's sorted terms (ORD_BIGRAM in w->order); next_desc then
 * cuts a bigram's documents into blocks of STORE_BLOCK_DOCS as put_docs
 * would have, the same bytes.  A dictionary's term cost 88 bytes, a slot,
 * a chunk of 48 bytes at least and a lookup of each in every drain that
 * saw it; a piece is its records and 8 bytes.  A piece, 4-aligned: the
 * number of its documents, then a document's id (its delta from the one
 * before in the piece, the first's from 0) and length (which put_piece
 * reads beside its title's end, where next_desc would miss), varints,
 * then its frequencies and positions as its record has them (store_tf_put
 * and the positions' deltas from 0), which next_desc copies. */
typedef struct bgpiece {
    uint32_t key;        /* the bigram's code points, as bigram_key gives them */
    uint32_t at;         /* where it begins in w->bgr, in units of 4 bytes */
} bgpiece;

/* Counts in the worker's post_bytes its pieces' memory up to used bytes,
 * in steps of a slab, as slab_carve counts its slabs. */
static void count_pieces(worker *w, size_t used)
{
    if (used <= w->bg_counted)
        return;
    size_t add = (used - w->bg_counted + SLAB_BYTES - 1) & ~(SLAB_BYTES - 1);
    w->bg_counted += add;
    __atomic_add_fetch(&w->post_bytes, add, __ATOMIC_RELAXED);
}

/* Room for need more bytes of pieces and one more piece.  FZ_ENOMEM,
 * also past PIECES_MAX. */
static int grow_pieces(worker *w, size_t need)
{
    if (w->bgr_len + need > w->bgr_cap) {
        size_t cap = w->bgr_cap ? w->bgr_cap : (size_t)4 << 20;
        while (cap < w->bgr_len + need)
            cap *= 2;
        if (cap > PIECES_MAX)
            return FZ_ENOMEM;
        uint8_t *p = page_grow(w->bgr, w->bgr_cap, cap, w->b->huge);
        if (!p)
            return FZ_ENOMEM;
        w->bgr = p;
        w->bgr_cap = cap;
    }
    if (w->bgp_n == w->bgp_cap) {
        size_t cap = w->bgp_cap ? w->bgp_cap * 2 : (size_t)1 << 18;
        bgpiece *p = page_grow(w->bgp, w->bgp_cap * sizeof *p, cap * sizeof *p, w->b->huge);
        if (!p)
            return FZ_ENOMEM;
        w->bgp = p;
        w->bgp_cap = cap;
    }
    return FZ_OK;
}

/* Writes the piece of bigram key: its records rec[i..e) (sorted by entry
 * and position; rec[..n) the bucket's, those of entries before limit
 * have their entries' title ends fetched RAHEAD records ahead, as in
 * put_docs).  FZ_ENOMEM. */
static int put_piece(worker *w, uint32_t key, const bgrec *rec, uint32_t i, uint32_t e, uint32_t n,
                     uint32_t limit)
{
    uint32_t nd = 1;
    for (uint32_t j = i + 1; j < e; j++)
        nd += rec[j].doc != rec[j - 1].doc;
    size_t at = (w->bgr_len + 3) & ~(size_t)3;
    size_t need = at - w->bgr_len + FZ_VARINT_MAX + (size_t)nd * 20 + (size_t)(e - i) * 5;
    if ((w->bgr_len + need > w->bgr_cap || w->bgp_n == w->bgp_cap) && grow_pieces(w, need))
        return FZ_ENOMEM;
    count_pieces(w, w->bgr_len + need + (w->bgp_n + 1) * sizeof(bgpiece));
    uint8_t *p = fz_varint_put32(w->bgr + at, nd);
    for (uint32_t j = i, before = 0; j < e;) {
        uint32_t doc = rec[j].doc, k = j, tt = 0;
        if (j + RAHEAD < n && rec[j + RAHEAD].doc < limit)
            __builtin_prefetch(&w->dt[rec[j + RAHEAD].doc]);
        uint32_t dl = w->dt[doc][0], title_end = w->dt[doc][1];
        for (; k < e && rec[k].doc == doc; k++)
            tt += rec[k].pos < title_end;
        p = fz_varint_put32(p, doc - before);
        p = fz_varint_put32(p, dl);
        p += store_tf_put(p, tt, k - j - tt);
        for (uint32_t prev = 0; j < k; j++) {
            p = fz_varint_put32(p, rec[j].pos - prev);
            prev = rec[j].pos;
        }
        before = doc;
    }
    w->bgp[w->bgp_n].key = key;
    w->bgp[w->bgp_n++].at = (uint32_t)(at >> 2);
    w->bgr_len = (size_t)(p - w->bgr);
    return FZ_OK;
}

/* Sorts the batch's pieces by key, stably (a radix sort, least
 * significant digit first), and lists the bigrams: bgt, nbgt.
 * FZ_ENOMEM. */
static int bg_terms(worker *w)
{
    size_t n = w->bgp_n;
    free(w->bgt);
    w->bgt = NULL;
    w->nbgt = 0;
    if (!n)
        return FZ_OK;
    enum { BITS = 11, R = 1u << BITS };
    size_t len = page_round(n * sizeof(bgpiece));
    bgpiece *tmp = page_map(len, w->b->huge), *src = w->bgp, *dst = tmp;
    if (!tmp)
        return FZ_ENOMEM;
    uint32_t cnt[3][R];
    memset(cnt, 0, sizeof cnt);
    for (size_t i = 0; i < n; i++)
        for (int d = 0; d < 3; d++)
            cnt[d][(w->bgp[i].key >> (d * BITS)) & (R - 1)]++;
    for (int d = 0; d < 3; d++) {
        uint32_t *c = cnt[d], sum = 0;
        if (c[(src[0].key >> (d * BITS)) & (R - 1)] == n)
            continue; /* a digit all share */
        for (uint32_t x = 0; x < R; x++) {
            uint32_t k = c[x];
            c[x] = sum;
            sum += k;
        }
        for (size_t i = 0; i < n; i++)
            dst[c[(src[i].key >> (d * BITS)) & (R - 1)]++] = src[i];
        bgpiece *t = src;
        src = dst;
        dst = t;
    }
    if (src != w->bgp)
        memcpy(w->bgp, src, n * sizeof *src);
    munmap(tmp, len);
    uint32_t nt = 1;
    for (size_t i = 1; i < n; i++)
        nt += w->bgp[i].key != w->bgp[i - 1].key;
    if (!(w->bgt = malloc(((size_t)nt + 1) * sizeof *w->bgt)))
        return FZ_ENOMEM;
    nt = 0;
    for (size_t i = 0; i < n; i++)
        if (!i || w->bgp[i].key != w->bgp[i - 1].key)
            w->bgt[nt++] = (uint32_t)i;
    w->bgt[nt] = (uint32_t)n;
    w->nbgt = nt;
    return FZ_OK;
}

/* Forgets the batch's pieces; without keep (no batch follows) their
 * memory goes too. */
static void drop_pieces(worker *w, int keep)
{
    free(w->bgt);
    w->bgt = NULL;
    w->nbgt = 0;
    free(w->bgc);
    w->bgc = NULL;
    w->bgr_len = 0;
    w->bgp_n = 0;
    w->bg_counted = 0;
    if (keep)
        return;
    if (w->bgr)
        munmap(w->bgr, w->bgr_cap);
    if (w->bgp)
        munmap(w->bgp, w->bgp_cap * sizeof *w->bgp);
    w->bgr = NULL;
    w->bgp = NULL;
    w->bgr_cap = w->bgp_cap = 0;
}

/* A varint of a piece (written by put_piece: well formed). */
static inline const uint8_t *piece_get(const uint8_t *p, uint32_t *v)
{
    uint32_t x = 0;
    int s = 0;
    uint8_t c;
    do {
        c = *p++;
        x |= (uint32_t)(c & 0x7f) << s;
        s += 7;
    } while (c & 0x80);
    *v = x;
    return p;
}

/* The bytes of bigram key (6). */
static void bg_bytes(uint32_t key, char *t)
{
    fz_utf8_encode(key >> 16, t);
    fz_utf8_encode(key & 0xFFFF, t + 3);
}

/* next_desc for bigram t (start: its first block): its next block of
 * STORE_BLOCK_DOCS documents (or the rest), assembled from its pieces
 * into w->bgc with the header put_docs would have given it, in *cur;
 * NULL after its last, or when out of memory (w->bgi.err set then). */
static const blkdesc *bg_desc(worker *w, uint32_t t, int start, blkdesc *cur)
{
    enum { PF_PIECE = 4 }; /* the pieces of a bigram fetched ahead */
    if (start) {
        w->bgi.e = w->bgt[t];
        w->bgi.ee = w->bgt[t + 1];
        w->bgi.left = 0;
        w->bgi.err = FZ_OK;
        for (uint32_t e = w->bgi.e + 1; e < w->bgi.ee && e <= w->bgi.e + PF_PIECE; e++)
            __builtin_prefetch(w->bgr + (size_t)w->bgp[e].at * 4);
    }
    chunk *c = w->bgc;
    uint32_t nd = 0, nb = 0, last = 0;
    memset(cur, 0, sizeof *cur);
    cur->min_dl = UINT32_MAX;
    while (nd < STORE_BLOCK_DOCS) {
        if (!w->bgi.left) {
            if (w->bgi.e == w->bgi.ee)
                break;
            const uint8_t *q = w->bgr + (size_t)w->bgp[w->bgi.e++].at * 4;
            if (w->bgi.e + PF_PIECE < w->bgi.ee)
                __builtin_prefetch(w->bgr + (size_t)w->bgp[w->bgi.e + PF_PIECE].at * 4);
            w->bgi.p = piece_get(q, &w->bgi.left);
            w->bgi.doc = 0;
        }
        uint32_t delta, dl, code, tt = 1, tb = 0;
        const uint8_t *q = piece_get(w->bgi.p, &delta);
        q = piece_get(q, &dl);
        const uint8_t *rest = q; /* the record's frequencies and positions */
        q = piece_get(q, &code);
        if (code) { /* else the lone title occurrence (store_tf_put) */
            tb = code >> 1;
            tt = 0;
            if (code & 1)
                q = piece_get(q, &tt);
        }
        for (uint32_t k = tt + tb; k; q++)
            k -= !(*q & 0x80);
        uint32_t doc = w->bgi.doc + delta, pl = (uint32_t)(q - rest);
        w->bgi.doc = doc;
        w->bgi.p = q;
        w->bgi.left--;
        if (!c || c->size - nb < FZ_VARINT_MAX + pl) {
            size_t size = c ? 2 * (size_t)c->size : (size_t)64 << 10;
            while (size - nb < FZ_VARINT_MAX + pl)
                size *= 2;
            chunk *nc = size > UINT32_MAX ? NULL : realloc(c, sizeof *nc + size);
            if (!nc) {
                w->bgi.err = FZ_ENOMEM;
                return NULL;
            }
            w->bgc = c = nc;
            c->size = (uint32_t)size;
        }
        uint8_t *o = c->data + nb, *o0 = o;
        o = fz_varint_put32(o, nd ? doc - last : 0);
        memcpy(o, rest, pl);
        o += pl;
        nb += (uint32_t)(o - o0);
        if (!nd)
            cur->first = doc;
        last = doc;
        nd++;
        note_bounds(&cur->max_tt, &cur->max_tb, &cur->min_dl, &cur->imp, tt, tb, dl);
    }
    if (!nd)
        return NULL;
    c->next = NULL;
    c->used = nb;
    cur->c = c;
    cur->off = 0;
    cur->nbytes = nb;
    cur->last = last;
    cur->ndocs = nd;
    return cur;
}

/* Takes the terms of the records in buckets from .. from + count - 1 of
 * the entries before local id limit (those entries are done: their
 * lengths are known): a unigram is interned and its documents' records
 * appended in the order of the ids (put_docs), a bigram's records written
 * as a piece (put_piece); the records of later entries stay.  At a chunk's
 * end (drain_some: limit the entry being read) and for every bucket at the
 * batch's end, before the terms are sorted (UINT32_MAX).  A term lives in
 * one bucket, so buckets drain apart.  FZ_ENOMEM. */
static int flush_bigrams(worker *w, uint32_t limit, uint32_t from, uint32_t count)
{
    if (!w->bg)
        return FZ_OK;
    uint32_t most = 0;
    for (uint32_t b = from; b < from + count; b++) {
        bgbucket *bk = &w->bg[b];
        if (bk->tail) { /* the last block's count */
            bk->tail->n = (uint32_t)(bk->at - bk->tail->r);
            bk->n += bk->tail->n;
            if (bk->n > most)
                most = bk->n;
        }
    }
    if (most > w->bg_cap) {
        size_t cap = (size_t)most + most / 2;
        free(w->bg_tmp);
        free(w->bg_rec);
        free(w->bg_first);
        free(w->bg_hash);
        free(w->bg_doc);
        w->bg_doc = malloc(cap * sizeof *w->bg_doc);
        w->bg_tmp = malloc(cap * sizeof *w->bg_tmp);
        w->bg_rec = malloc(cap * sizeof *w->bg_rec);
        w->bg_first = malloc((cap + 1) * sizeof *w->bg_first);
        w->bg_hash = malloc((cap + 1) * sizeof *w->bg_hash);
        w->bg_cap = w->bg_tmp && w->bg_rec && w->bg_first && w->bg_hash && w->bg_doc ? (uint32_t)cap : 0;
        if (!w->bg_cap)
            return FZ_ENOMEM;
    }
    bgrec *rec = w->bg_rec;
    uint32_t *first = w->bg_first, *hash = w->bg_hash; /* per term of a bucket: its first record, its hash */
    int rc = FZ_OK;
    for (uint32_t b = from; b < from + count && !rc; b++) {
        bgbucket *bk = &w->bg[b];
        uint32_t n = bk->n;
        if (!bk->head)
            continue;
        sort_bucket(bk, w->bg_tmp, rec, n);
        /* its blocks are free again; the records of the entries from
         * limit on go back into it below, in their order within a term */
        for (bgblk *k = bk->head; k; k = k->next)
            w->bg_blocks--;
        bk->tail->next = w->bg_free;
        w->bg_free = bk->head;
        memset(bk, 0, sizeof *bk);
        uint32_t nt = 0;
        for (uint32_t i = 0; i < n; i++)
            if (!i || rec[i].m != rec[i - 1].m) {
                /* a unigram's hash (a bigram's 0: it is not interned) */
                char t[6];
                first[nt] = i;
                hash[nt++] = (rec[i].m * BG_UNMIX) >> 16 ? 0 : hash_term(STORE_F_UNI, t, bigram_bytes(rec[i].m, t));
            }
        first[nt] = n;
        /* a term's slot is fetched while the ones before it are interned,
         * an entry's length and title's end while the records before it
         * are written */
        enum { AHEAD = 12 };
        for (uint32_t q = 0; q < nt && q < AHEAD; q++)
            if (hash[q])
                __builtin_prefetch(&w->slots[hash[q] & (w->nslots - 1)]);
        for (uint32_t i = 0; i < n && i < RAHEAD; i++)
            if (rec[i].doc < limit) {
                __builtin_prefetch(&w->dt[rec[i].doc]);
            }
        for (uint32_t q = 0; q < nt && !rc; q++) {
            /* a term seen in an earlier drain: its slot, then its line,
             * then its last chunk, then where that is written, each
             * fetched some terms before it is needed */
            if (q + AHEAD < nt && hash[q + AHEAD])
                __builtin_prefetch(&w->slots[hash[q + AHEAD] & (w->nslots - 1)]);
            if (q + AHEAD * 2 / 3 < nt && hash[q + AHEAD * 2 / 3])
                bg_fetch(w, hash[q + AHEAD * 2 / 3], 1);
            if (q + AHEAD / 3 < nt && hash[q + AHEAD / 3])
                bg_fetch(w, hash[q + AHEAD / 3], 2);
            if (q + 1 < nt && hash[q + 1])
                bg_fetch(w, hash[q + 1], 3);
            /* a term's records in entry order: those of the entry being
             * read (from limit on), the last, wait for a later drain */
            uint32_t i = first[q], e = first[q + 1], d = e;
            while (d > i && rec[d - 1].doc >= limit)
                d--;
            if (d > i && (rec[i].m * BG_UNMIX) >> 16) {
                rc = put_piece(w, rec[i].m * BG_UNMIX, rec, i, d, n, limit);
            } else if (d > i) {
                /* a CJK unigram: interned, without positions (STORE_F_UNI) */
                char t[TERM_INLINE] = {0}; /* intern: zero-padded */
                size_t tn = bigram_bytes(rec[i].m, t);
                uint32_t tid = intern(w, STORE_F_UNI, t, tn, hash[q]);
                rc = tid == UINT32_MAX ? FZ_ENOMEM : put_docs(w, tid, rec, i, d, n, limit);
            }
            for (uint32_t j = d; j < e && !rc; j++)
                rc = put_rec(w, rec[j].m, rec[j].doc, rec[j].pos);
        }
    }
    return rc;
}

/* Ends the entry of the R_ENT item at p (its tokens are interned). */
static int ent_done(worker *w, const uint8_t *p)
{
    uint32_t el = get32(p + 9), jl = get32(p + 13);
    return entry_done(w, get32(p + 1), get32(p + 5), p + 17, el, p + 17 + el, jl);
}

/* At a chunk's end with the records past bg_drain: the next BG_SLICE
 * buckets in turn are drained, slice after slice until they are back
 * under it (a slice at a time, with a chunk's records coming in), not
 * all at once: a worker draining every bucket read nothing for a tenth
 * of a second, the router waited on it with its queue full, and the other
 * worker starved (a core idle).  Poetry bench, wall: all at once 4.33 s,
 * slices of a sixteenth 3.57, a sixty-fourth 3.31. */
#define BG_SLICE (BG_NB / 64)
static int drain_some(worker *w)
{
    uint32_t from = w->bg_next;
    w->bg_next = (from + BG_SLICE) % BG_NB;
    return flush_bigrams(w, w->nent, from, BG_SLICE);
}

/* A worker reads a chunk the router sent it. */
static int read_chunk(worker *w, const rchunk *c)
{
    const uint8_t *p = c->data, *end = c->data + c->len;
    int rc = FZ_OK;
    /* the local id of the entry being read: the queue is empty here (the
     * last chunk's drained it), and every R_ENT read is the next */
    uint32_t doc = w->nent;
    while (p < end && !rc) {
        switch (*p) {
        case R_TOK:
            rc = queue_token(w, p[1], (const char *)p + 11, p[2], get32(p + 3), get32(p + 7));
            p += 11 + p[2];
            break;
        case R_BI:
            rc = put_bigram(w, get32(p + 1), doc, get32(p + 5));
            p += 9;
            break;
        case R_ENT: /* ends the entry when its tokens are interned */
            doc++;
            if (w->pend_n == PEND)
                rc = take_oldest(w);
            if (!rc) {
                w->pend[(w->pend_head + w->pend_n) % PEND].ent = p;
                w->pend_n++;
            }
            p += 17 + get32(p + 9) + get32(p + 13);
            break;
        case R_FILE: {
            uint64_t nbytes;
            int64_t mtime;
            memcpy(&nbytes, p + 1, 8);
            memcpy(&mtime, p + 9, 8);
            const char *path = (const char *)p + 29;
            if (!(rc = drain_tokens(w)))
                rc = begin_wfile(w, path, nbytes, mtime, path + strlen(path) + 1);
            p += 29 + get32(p + 25) + 1;
            break;
        }
        case R_END:
            if (!(rc = drain_tokens(w)))
                rc = end_wfile(w, (const char *)p + 29, get32(p + 25));
            w->files_ended++;
            p += 29 + get32(p + 25) + 1;
            break;
        default:
            return FZ_EINVAL; /* cannot happen: the router wrote it */
        }
    }
    /* the queued ends point into the chunk, which is freed next */
    if (!rc)
        rc = drain_tokens(w);
    /* the records back under the threshold (a round of the buckets at
     * most: the entry being read keeps its own) */
    for (uint32_t k = 0; !rc && k < BG_NB / BG_SLICE && w->bg_blocks * BG_BLOCK >= w->b->bg_drain; k++)
        rc = drain_some(w);
    if (rc)
        w->pend_n = 0;
    w->bg_idle = BG_NB / BG_SLICE; /* a round at most before the next chunk */
    return rc;
}

/* ------------------------------------------------------------- workers */

/* A term's order up to its first 7 bytes: the field and those bytes,
 * big-endian. */
static uint64_t term_key(const worker *w, const term_acc *ta)
{
    const char *t = term_bytes(w, ta);
    uint64_t key = (uint64_t)ta->field << 56;
    for (size_t q = 0; q < 7 && q < ta->len; q++)
        key |= (uint64_t)(uint8_t)t[q] << (48 - 8 * q);
    return key;
}

/* The order of two terms whose keys are equal: their bytes, then the
 * shorter first ("ab\0" sorts before "abc\0"). */
static int cmp_tail(const worker *wa, const term_acc *a, const worker *wc, const term_acc *c)
{
    size_t n = a->len < c->len ? a->len : c->len;
    int r = memcmp(term_bytes(wa, a), term_bytes(wc, c), n);
    if (r)
        return r;
    return a->len < c->len ? -1 : a->len > c->len;
}

/* The term of w->order's entry o: its field, bytes (a bigram's in buf, of
 * 6 bytes at least) and length. */
static const char *ord_term(const worker *w, uint32_t o, int *field, size_t *len, char *buf)
{
    if (o & ORD_BIGRAM) {
        bg_bytes(w->bgp[w->bgt[o & ~ORD_BIGRAM]].key, buf);
        *field = STORE_F_TEXT;
        *len = 6;
        return buf;
    }
    const term_acc *ta = &w->terms[o];
    *field = ta->field;
    *len = ta->len;
    return term_bytes(w, ta);
}

/* term_key of w->order's entry o. */
static uint64_t ord_key(const worker *w, uint32_t o)
{
    if (!(o & ORD_BIGRAM))
        return term_key(w, &w->terms[o]);
    char t[6];
    bg_bytes(w->bgp[w->bgt[o & ~ORD_BIGRAM]].key, t);
    uint64_t key = (uint64_t)STORE_F_TEXT << 56;
    for (int q = 0; q < 6; q++)
        key |= (uint64_t)(uint8_t)t[q] << (48 - 8 * q);
    return key;
}

/* The order of entries a of wa's w->order and c of wc's: their keys,
 * then their bytes (term_cmp). */
static int cmp_ord(const worker *wa, uint32_t a, const worker *wc, uint32_t c)
{
    uint64_t ka = ord_key(wa, a), kc = ord_key(wc, c);
    if (ka != kc)
        return ka < kc ? -1 : 1;
    int fa, fc;
    size_t la, lc;
    char ba[6], bc[6];
    const char *ta = ord_term(wa, a, &fa, &la, ba), *tc = ord_term(wc, c, &fc, &lc, bc);
    int r = memcmp(ta, tc, la < lc ? la : lc);
    return r ? r : la < lc ? -1 : la > lc;
}

typedef struct {
    uint64_t key;
    uint32_t tid;
} keyed;

static int keyed_le(const worker *w, const keyed *x, const keyed *y)
{
    if (x->key != y->key)
        return x->key < y->key;
    return cmp_tail(w, &w->terms[x->tid], w, &w->terms[y->tid]) <= 0;
}

/* A stable merge sort of v by key, then bytes (for terms whose keys are
 * equal: sort_keyed). */
static void merge_keyed(const worker *w, keyed *v, keyed *tmp, size_t n)
{
    if (n < 2)
        return;
    size_t h = n / 2;
    merge_keyed(w, v, tmp, h);
    merge_keyed(w, v + h, tmp, n - h);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = keyed_le(w, &v[i], &v[j]) ? v[i++] : v[j++];
    while (i < h)
        tmp[k++] = v[i++];
    while (j < n)
        tmp[k++] = v[j++];
    memcpy(v, tmp, n * sizeof *v);
}

/* Sorts v (tmp: as many of scratch) in term order: a radix sort by key,
 * least significant digit first (a digit all keys share costs no pass),
 * then each run of equal keys (terms alike in their first 7 bytes) by
 * their bytes. */
#define SORT_BITS 11
#define SORT_PASSES ((64 + SORT_BITS - 1) / SORT_BITS)
static void sort_keyed(const worker *w, keyed *v, keyed *tmp, uint32_t n)
{
    if (n < 2)
        return;
    uint32_t cnt[SORT_PASSES][1u << SORT_BITS];
    memset(cnt, 0, sizeof cnt);
    for (uint32_t i = 0; i < n; i++)
        for (int d = 0; d < SORT_PASSES; d++)
            cnt[d][(v[i].key >> (d * SORT_BITS)) & ((1u << SORT_BITS) - 1)]++;
    keyed *src = v, *dst = tmp;
    for (int d = 0; d < SORT_PASSES; d++) {
        uint32_t *c = cnt[d];
        if (c[(v[0].key >> (d * SORT_BITS)) & ((1u << SORT_BITS) - 1)] == n)
            continue;
        uint32_t sum = 0;
        for (uint32_t x = 0; x < (1u << SORT_BITS); x++) {
            uint32_t k = c[x];
            c[x] = sum;
            sum += k;
        }
        for (uint32_t i = 0; i < n; i++)
            dst[c[(src[i].key >> (d * SORT_BITS)) & ((1u << SORT_BITS) - 1)]++] = src[i];
        keyed *t = src;
        src = dst;
        dst = t;
    }
    if (src != v)
        memcpy(v, src, (size_t)n * sizeof *v);
    for (uint32_t i = 0, j; i < n; i = j) {
        for (j = i + 1; j < n && v[j].key == v[i].key; j++)
            ;
        merge_keyed(w, v + i, tmp, j - i);
    }
}

/* Lists the worker's terms with postings, sorted by key, its bigrams'
 * (ORD_BIGRAM, bg_terms) among them (this runs in parallel in every
 * worker). */
static int sort_worker_terms(worker *w)
{
    int rc = bg_terms(w);
    free(w->order);
    w->order = NULL;
    w->norder = 0;
    if (rc)
        return rc;
    w->order = malloc((w->nterms + 1) * sizeof *w->order);
    /* the keys and the sort's room, mapped alike (page_map) */
    size_t klen = page_round(((size_t)w->nterms + 1) * sizeof(keyed));
    keyed *kv = page_map(2 * klen, w->b->huge), *tmp = kv ? (keyed *)((char *)kv + klen) : NULL;
    if (!w->order || !kv) {
        if (kv)
            munmap(kv, 2 * klen);
        w->norder = 0;
        return FZ_ENOMEM;
    }
    uint32_t n = 0;
    for (uint32_t t = 0; t < w->nterms; t++)
        if (w->terms[t].tail) {
            kv[n].key = term_key(w, &w->terms[t]);
            kv[n++].tid = t;
        }
    sort_keyed(w, kv, tmp, n);
    for (uint32_t i = 0; i < n; i++)
        w->order[i] = kv[i].tid;
    munmap(kv, 2 * klen);
    w->norder = n;
    w->cursor = 0;
    if (!w->nbgt)
        return FZ_OK;
    /* the bigrams in: no term is both (a bigram's bytes always take
     * bigram_key's path), and the two lists are each in order */
    uint32_t *o = malloc(((size_t)n + w->nbgt + 1) * sizeof *o), k = 0, i = 0, t = 0;
    if (!o)
        return FZ_ENOMEM;
    while (i < n && t < w->nbgt)
        o[k++] = cmp_ord(w, w->order[i], w, ORD_BIGRAM | t) < 0 ? w->order[i++] : ORD_BIGRAM | t++;
    while (i < n)
        o[k++] = w->order[i++];
    while (t < w->nbgt)
        o[k++] = ORD_BIGRAM | t++;
    free(w->order);
    w->order = o;
    w->norder = k;
    return FZ_OK;
}
static int prep_terms(build *b, worker *w);
static int prep_runs(build *b, worker *w);
static int worker_run(worker *w);
static void ps_end(build *b, worker *w);

/* Seconds on clock id (FZINDEX_TIMING): mono() a monotonic clock,
 * thread_cpu() the calling thread's CPU. */
static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}
static double mono(void) { return clock_s(CLOCK_MONOTONIC); }
static double thread_cpu(void) { return clock_s(CLOCK_THREAD_CPUTIME_ID); }

/* Whether a page of fresh memory costs more to fault in than FAULT_DEAR
 * seconds here: the least of three tries of FAULT_PROBE pages each (a
 * millisecond where they are dear).  Where they are, a build's tables go
 * on huge pages even in one batch: a guest under PVM's shadow paging takes
 * some 12 us a small page however warm the memory, and 7 us a small
 * page's share of a cold huge page, 0.3 us of a warm one (HACKING.md h23);
 * a KVM guest with free page reporting took 0.35 us a small page and 2-6
 * times more for cold huge pages (h21a), so there small pages stay. */
#define FAULT_DEAR 3e-6
#define FAULT_PROBE 32
static int faults_dear(void)
{
    double best = 1;
    for (int r = 0; r < 3; r++) {
        volatile char *m = mmap(NULL, FAULT_PROBE * PAGE_BYTES, PROT_READ | PROT_WRITE,
                                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED)
            return 0;
        double t = mono();
        for (size_t i = 0; i < FAULT_PROBE; i++)
            m[i * PAGE_BYTES] = 1;
        t = mono() - t;
        munmap((void *)m, FAULT_PROBE * PAGE_BYTES);
        if (t < best)
            best = t;
    }
    return best / FAULT_PROBE > FAULT_DEAR;
}

/* Whether a worker with no chunk to read drains a slice of its records
 * now (under the mutex): when they are past the last BG_IDLE of
 * bg_drain (a drain at a chunk's end would come soon), it has drained
 * less than a round of slices since its last chunk (the entry being read
 * keeps its records: it never spins on them), and the main thread is not
 * waiting for it (hold) nor the batch ending.  On the poetry bench the
 * workers waited for the router's chunks about a second each, 200-350
 * times (the router never waited for them); what they drain then is not
 * left for the batch's end, where each drained up to 32 MB of records
 * (0.10-0.18 s) before its terms could be sorted.  Past a fourth of
 * bg_drain instead of three fourths, the end's drain was smaller still
 * but the build took 5-10 % more task-clock (drains of fewer records
 * visit each term more often). */
#define BG_IDLE 4 /* a fourth */
static int idle_drain(const worker *w)
{
    const build *b = w->b;
    return b->idle_ok && w->bg && w->bg_idle && w->bg_blocks && !b->hold && !b->sort_req &&
           !__atomic_load_n(&w->err, __ATOMIC_ACQUIRE) && w->bg_blocks * BG_BLOCK >= b->bg_drain - b->bg_drain / BG_IDLE;
}

/* Records error rc of a worker reading its files (sticky: the main
 * thread reports it at the next batch or commit). */
static void worker_fail(worker *w, int rc)
{
    snprintf(w->msg, sizeof w->msg, "indexing %s: %s", w->nfiles ? w->path : "", fz_strerror(rc));
    __atomic_store_n(&w->err, rc, __ATOMIC_RELEASE);
}

static void release_dict(worker *w);
static void *worker_main(void *arg)
{
    worker *w = arg;
    build *b = w->b;
    pthread_mutex_lock(&b->mu);
    for (;;) {
        while (!b->stop && !w->rq_head && !(b->sort_req && !w->order) && !idle_drain(w))
            pthread_cond_wait(&b->cv_job, &b->mu);
        if (b->sort_req && !w->order) {
            b->busy++;
            pthread_mutex_unlock(&b->mu);
            int rc = b->run_prep ? 0 : flush_bigrams(w, UINT32_MAX, 0, BG_NB);
            /* their memory goes before the terms are sorted and written,
             * or (a run: a batch follows) to the spare slabs */
            drop_bigrams(w, w->run != NULL);
            if (!rc && !b->run_prep)
                rc = sort_worker_terms(w);
            if (!rc && w->run) {
                if ((rc = worker_run(w)))
                    snprintf(w->msg, sizeof w->msg, "writing a run file: %s",
                             rc == FZ_EIO ? strerror(errno) : fz_strerror(rc));
            }
            w->run = NULL;
            pthread_mutex_lock(&b->mu);
            if (rc && !w->err)
                __atomic_store_n(&w->err, rc, __ATOMIC_RELEASE);
            if (!w->order)
                w->order = malloc(sizeof *w->order); /* mark done even on failure */
            b->sorted_n++;
            pthread_cond_broadcast(&b->cv_idle);
            if (b->prep) {
                /* the last flush: prepare the blocks while the main
                 * thread writes the entries (its stream ends either way) */
                pthread_mutex_unlock(&b->mu);
                double c0 = thread_cpu();
                rc = rc ? (ps_end(b, w), rc) : b->run_prep ? prep_runs(b, w) : prep_terms(b, w);
                w->prep_cpu = thread_cpu() - c0;
                /* the last flush: this worker's postings and dictionary
                 * are in its stream now, and go while the main thread
                 * still puts (drop_postings would free them after, alone) */
                release_dict(w);
                clear_terms(w, 0);
                pthread_mutex_lock(&b->mu);
                if (rc && rc != 1 && !w->err) {
                    snprintf(w->msg, sizeof w->msg, "preparing postings: %s", fz_strerror(rc));
                    __atomic_store_n(&w->err, rc, __ATOMIC_RELEASE);
                }
            }
            b->busy--;
            pthread_cond_broadcast(&b->cv_idle);
            continue;
        }
        if (!w->rq_head && !b->stop && idle_drain(w)) {
            w->bg_idle--;
            b->busy++;
            pthread_mutex_unlock(&b->mu);
            int rc = drain_some(w);
            pthread_mutex_lock(&b->mu);
            if (rc && !w->err)
                worker_fail(w, rc);
            b->busy--;
            pthread_cond_broadcast(&b->cv_idle);
            continue;
        }
        if (w->rq_head) {
            rchunk *c = w->rq_head;
            if (!(w->rq_head = c->next))
                w->rq_tail = NULL;
            b->busy++;
            pthread_mutex_unlock(&b->mu);
            if (!__atomic_load_n(&w->err, __ATOMIC_ACQUIRE)) {
                int rc = read_chunk(w, c);
                if (rc)
                    worker_fail(w, rc);
            } /* after an error it reads on, to free the router */
            size_t size = c->size;
            if (size != RCHUNK) {
                free(c);
                c = NULL;
            }
            pthread_mutex_lock(&b->mu);
            if (c) { /* the router fills it again: no new pages to fault in */
                c->next = b->spare;
                b->spare = c;
            }
            w->rq_held -= size;
            if (!w->err)
                w->files_done = w->files_ended; /* for write_ready_entries */
            b->busy--;
            pthread_cond_broadcast(&b->cv_idle);
            continue;
        }
        if (b->stop)
            break;
    }
    pthread_mutex_unlock(&b->mu);
    return NULL;
}

/* Whether a worker has chunks to read (under the mutex). */
static int chunks_queued(const build *b)
{
    for (int i = 0; i < b->nw; i++)
        if (b->w[i].rq_head)
            return 1;
    return 0;
}

/* Waits until every chunk sent is read and no worker is busy. */
static void wait_idle(build *b)
{
    if (!b->nw)
        return;
    pthread_mutex_lock(&b->mu);
    b->hold = 1; /* no idle_drain: the main thread would wait for it */
    while (chunks_queued(b) || b->busy)
        pthread_cond_wait(&b->cv_idle, &b->mu);
    pthread_mutex_unlock(&b->mu);
}

static int worker_errors(build *b)
{
    for (int i = 0; i <= b->nw; i++)
        if (__atomic_load_n(&b->w[i].err, __ATOMIC_ACQUIRE)) {
            if (b->emsg && b->w[i].msg[0])
                fz_msg(b->emsg, b->emsglen, "%s", b->w[i].msg);
            return b->w[i].err;
        }
    return 0;
}

static size_t mem_used(build *b)
{
    size_t n = 0;
    for (int i = 0; i <= b->nw; i++)
        n += __atomic_load_n(&b->w[i].post_bytes, __ATOMIC_RELAXED) +
             __atomic_load_n(&b->w[i].dict_bytes, __ATOMIC_RELAXED);
    return n + b->lens_cap * sizeof *b->lens;
}

/* ---------------------------------------------------------------- flush */

static int same_term(const MDB_val *k, int field, const char *term, size_t len)
{
    const uint8_t *kp = k->mv_data;
    return k->mv_size == len + 6 && kp[0] == field && memcmp(kp + 1, term, len) == 0 && kp[1 + len] == 0;
}

/* The smallest term among the workers' sorted lists (field, bytes into
 * term[256], length); 0 when every list is done. */
static int next_worker_term(build *b, int *field, char *term, size_t *len)
{
    worker *best = NULL;
    uint32_t bo = 0;
    for (int i = 0; i <= b->nw; i++) {
        worker *w = &b->w[i];
        if (w->cursor >= w->norder)
            continue;
        uint32_t o = w->order[w->cursor];
        if (!best || cmp_ord(w, o, best, bo) < 0) {
            best = w;
            bo = o;
        }
    }
    if (!best)
        return 0;
    char tb[6];
    const char *t = ord_term(best, bo, field, len, tb);
    memcpy(term, t, *len);
    return 1;
}

/* Order of two terms as LMDB orders their keys: field, bytes, shorter first. */
static int term_cmp(int fa, const char *a, size_t la, int fb, const char *b2, size_t lb)
{
    if (fa != fb)
        return fa < fb ? -1 : 1;
    int c = memcmp(a, b2, la < lb ? la : lb);
    if (c)
        return c;
    return la < lb ? -1 : la > lb;
}

/* The gathered block as one value (header and records) in out. */
static int serialize_block(fz_buf *out, const blkdesc *bd)
{
    uint8_t hdr[STORE_BLOCK_HDR_MAX + 4 * FZ_VARINT_MAX];
    size_t hl = store_block_header(hdr, bd->ndocs, bd->last - bd->first, bd->max_tt, bd->max_tb,
                                   bd->min_dl == UINT32_MAX ? 0 : bd->min_dl);
    /* then the impact levels, which only run files and the joiner see */
    for (int i = 0; i < 4; i++)
        hl += fz_varint_put(hdr + hl, bd->imp.dl[i]);
    out->len = 0;
    if (fz_buf_reserve(out, hl + bd->nbytes))
        return FZ_ENOMEM;
    fz_buf_append(out, hdr, hl);
    const chunk *c = bd->c;
    uint32_t off = bd->off, left = bd->nbytes;
    while (left) {
        if (!c)
            return FZ_ECORRUPT;
        uint32_t n = c->used - off < left ? c->used - off : left;
        fz_buf_append(out, c->data + off, n);
        left -= n;
        c = c->next;
        off = 0;
    }
    return FZ_OK;
}

/* ---- the block joiner (see joiner) */

/* Whether the index's pages this build wrote are dropped from the
 * resident set (store_release_map): once it has written more than a
 * quarter of its budget, so that its memory stays within the budget
 * however large the index.  Not before: the commit touches every page the
 * transaction wrote (LMDB clears each one's dirty flag), and a dropped page
 * is faulted in again there (HACKING.md, h26: on the poetry bench, 150 MB
 * written, the commit took 0.33-0.45 s with them dropped and 0.18-0.22
 * without). */
static int release_due(const build *b)
{
    return b->written > b->budget / 4;
}

/* Counts bytes written to the index (and pages touched); every 32 MB,
 * once release_due, the index's pages are dropped from the resident set. */
static void wrote(build *b, size_t n)
{
    b->since_release += n;
    b->written += n;
    if (b->since_release >= ((size_t)32 << 20) && release_due(b)) {
        store_release_map(b->s);
        b->since_release = 0;
    }
}

/* The index's average entry length. */
static uint32_t avg_len(const build *b)
{
    return store_avg_len(b->st.sumlen, b->st.nentries);
}

/* Writes the term pack being filled, if any (before any key after its
 * terms). */
static int tpack_flush(build *b, MDB_cursor *cur)
{
    if (!b->tpk.klen)
        return FZ_OK;
    MDB_val k = {b->tpk.klen, b->tpk.key}, v = {b->tpk.val.len, b->tpk.val.p};
    int r = mdb_cursor_put(cur, &k, &v, b->bulk ? MDB_APPEND : 0);
    if (r)
        return store_lmdb_err(r, "writing postings", b->emsg, b->emsglen);
    wrote(b, k.mv_size + v.mv_size + (b->bulk ? 0 : 8192));
    store_tpack_reset(&b->tpk);
    return FZ_OK;
}

/* Finishes the joined block: its header into hdr (STORE_BLOCK_HDR_MAX),
 * its impact and streams into jn->skip, and the whole as *bv (pointing
 * into hdr and jn, valid until either changes), its records too when a
 * term pack could take them.  With records_only (the block goes to a term
 * pack, see term_end) only its records. */
static int joiner_seal(joiner *jn, uint32_t a0, const store_dl_span *dls, uint8_t *hdr, blkval *bv,
                       int records_only)
{
    bv->first = jn->first;
    bv->ndocs = jn->ndocs;
    bv->reclen = jn->rec.len;
    int small = records_only || store_tpack_fits(jn->ndocs, jn->rec.len);
    bv->part[2] = small ? (const uint8_t *)jn->rec.p : NULL;
    bv->plen[2] = small ? jn->rec.len : 0;
    if (records_only) {
        bv->part[0] = bv->part[1] = NULL;
        bv->plen[0] = bv->plen[1] = 0;
        return FZ_OK;
    }
    bv->part[0] = hdr;
    bv->plen[0] = store_block_header(hdr, jn->ndocs, jn->last - jn->first, jn->mtt, jn->mtb, jn->mindl);
    jn->skip.len = 0;
    /* the impact exact where the lengths cover the block (the batch's,
     * or after several batches the build's: keep_lengths), else what the
     * levels bound */
    int rc = store_block_extra((const uint8_t *)jn->rec.p, jn->rec.len, jn->ndocs, jn->first, a0,
                               imp_best(&jn->imp, (uint32_t)STORE_TITLE_WEIGHT * jn->mtt + jn->mtb, a0), dls,
                               jn->positions, &jn->skip);
    bv->part[1] = (const uint8_t *)jn->skip.p;
    bv->plen[1] = jn->skip.len;
    return rc;
}

/* A serialized gathered block (serialize_block) taken apart: the header's
 * fields x[0..8] and its records after the first id delta. */
typedef struct {
    uint64_t x[9];
    imp_levels lv;
    const uint8_t *rest, *end;
} blkin;

static int blkin_parse(blkin *bi, const uint8_t *val, size_t vlen)
{
    const uint8_t *p = val, *end = val + vlen;
    uint64_t d0;
    for (int i = 0; i < 9; i++)
        if (!(p = fz_varint_get(p, end, &bi->x[i])))
            return FZ_ECORRUPT;
    for (int i = 0; i < 4; i++) {
        if (bi->x[5 + i] > 65535)
            return FZ_ECORRUPT;
        bi->lv.dl[i] = (uint16_t)bi->x[5 + i];
    }
    bi->rest = fz_varint_get(p, end, &d0); /* the first record's delta (0) */
    bi->end = end;
    return !bi->rest || bi->x[0] == 0 ? FZ_ECORRUPT : FZ_OK;
}

/* Whether a block of bi's documents no longer joins the open block. */
static int joiner_full(const joiner *jn, const blkin *bi)
{
    return jn->active && jn->ndocs + bi->x[0] > STORE_BLOCK_DOCS;
}

/* Opens the joined block at a block of first id first when none is
 * open, and appends that block's first id delta.  FZ_ENOMEM. */
static int joiner_begin(joiner *jn, uint32_t first)
{
    uint8_t vb[FZ_VARINT_MAX];
    if (!jn->active) {
        jn->active = 1;
        jn->first = first;
        jn->last = first;
        jn->ndocs = 0;
        jn->mtt = jn->mtb = 0;
        jn->mindl = UINT32_MAX;
        imp_reset(&jn->imp);
        jn->rec.len = 0;
    }
    return fz_buf_append(&jn->rec, vb, fz_varint_put(vb, first - jn->last)) ? FZ_ENOMEM : FZ_OK;
}

/* Takes the header of a block appended (of first id first, its header's
 * fields x[0..4]: documents, span, largest title and body frequencies,
 * least length; its impact levels lv) into the joined block's. */
static void joiner_note(joiner *jn, uint32_t first, const uint64_t *x, const imp_levels *lv)
{
    jn->last = first + (uint32_t)x[1];
    jn->ndocs += (uint32_t)x[0];
    if (x[2] > jn->mtt)
        jn->mtt = (uint32_t)x[2];
    if (x[3] > jn->mtb)
        jn->mtb = (uint32_t)x[3];
    if (x[4] < jn->mindl)
        jn->mindl = (uint32_t)x[4];
    imp_join(&jn->imp, lv);
}

/* Appends bi's block (of first id first) to the joined block, opening it
 * when none is.  FZ_ENOMEM. */
static int joiner_append(joiner *jn, uint32_t first, const blkin *bi)
{
    if (joiner_begin(jn, first) || fz_buf_append(&jn->rec, bi->rest, (size_t)(bi->end - bi->rest)))
        return FZ_ENOMEM;
    joiner_note(jn, first, bi->x, &bi->lv);
    return FZ_OK;
}

/* joiner_append for a gathered block (of first id first) read from the
 * term's chunks in place, as serialize_block and blkin_parse would give it
 * (its first record's id delta, 0, is one byte).  FZ_ENOMEM, FZ_ECORRUPT. */
static int joiner_take(joiner *jn, uint32_t first, const blkdesc *bd)
{
    if (!bd->ndocs || !bd->nbytes || joiner_begin(jn, first) || fz_buf_reserve(&jn->rec, bd->nbytes))
        return bd->ndocs && bd->nbytes ? FZ_ENOMEM : FZ_ECORRUPT;
    const chunk *c = bd->c;
    uint32_t off = bd->off + 1, left = bd->nbytes - 1;
    while (left) {
        if (!c)
            return FZ_ECORRUPT;
        if (off < c->used) {
            uint32_t n = c->used - off < left ? c->used - off : left;
            fz_buf_append(&jn->rec, c->data + off, n);
            left -= n;
        }
        c = c->next;
        off = 0;
    }
    uint64_t x[5] = {bd->ndocs, bd->last - bd->first, bd->max_tt, bd->max_tb,
                     bd->min_dl == UINT32_MAX ? 0 : bd->min_dl};
    joiner_note(jn, first, x, &bd->imp);
    return FZ_OK;
}

/* Puts a block of the term (after the pack being filled, which goes
 * first). */
static int put_block(build *b, MDB_cursor *cur, int field, const char *term, size_t len, const blkval *bv)
{
    int rc = tpack_flush(b, cur);
    if (rc)
        return rc;
    /* an update's first block of a term new to the index: not inside a pack */
    if (!b->bulk && !b->term_known && !b->term_blocks &&
        (rc = store_tpack_split(b->s, b->txn, field, term, len, b->emsg, b->emsglen)))
        return rc;
    b->term_blocks++;
    uint8_t key[STORE_KEY_MAX];
    /* the value: header, impact and streams (not the records) */
    MDB_val k = {store_post_key(key, field, term, len, bv->first), key};
    MDB_val v = {bv->plen[0] + bv->plen[1], NULL};
    int r = mdb_cursor_put(cur, &k, &v, MDB_RESERVE | (b->bulk ? MDB_APPEND : 0));
    if (r)
        return store_lmdb_err(r, "writing postings", b->emsg, b->emsglen);
    uint8_t *p = v.mv_data;
    for (int i = 0; i < 2; i++)
        if (bv->plen[i]) {
            memcpy(p, bv->part[i], bv->plen[i]);
            p += bv->plen[i];
        }
    /* a put into an existing index also reads and copies a leaf page */
    wrote(b, k.mv_size + v.mv_size + (b->bulk ? 0 : 8192));
    return FZ_OK;
}

/* The lengths of the entries the blocks being joined may hold: after
 * several batches every entry's of the build (keep_lengths), else the
 * batch's, as the worker that keeps them counted them (its base set by
 * flush_batch). */
static store_dl_span batch_lengths(const build *b)
{
    if (b->nlens)
        return (store_dl_span){b->lens, b->lens_base, b->nlens};
    for (int i = 0; i <= b->nw; i++)
        if (b->w[i].keeps_entries)
            return (store_dl_span){b->w[i].dlen, b->w[i].base, b->w[i].nent};
    return (store_dl_span){NULL, 0, 0};
}

static int join_flush(build *b, MDB_cursor *cur, int field, const char *term, size_t len)
{
    if (!b->jn.active)
        return FZ_OK;
    uint8_t hdr[STORE_BLOCK_HDR_MAX];
    blkval bv;
    b->jn.positions = store_field_positions(field);
    store_dl_span dls = batch_lengths(b);
    int rc = joiner_seal(&b->jn, avg_len(b), &dls, hdr, &bv, 0);
    if (!rc)
        rc = put_block(b, cur, field, term, len, &bv);
    b->jn.active = 0;
    return rc;
}

static int join_add(build *b, MDB_cursor *cur, int field, const char *term, size_t len, uint32_t first,
                    const uint8_t *val, size_t vlen)
{
    blkin bi;
    int rc = blkin_parse(&bi, val, vlen);
    if (rc)
        return rc;
    if (joiner_full(&b->jn, &bi) && (rc = join_flush(b, cur, field, term, len)))
        return rc;
    return joiner_append(&b->jn, first, &bi);
}

/* Before an update's first block of a term: a term in a pack is taken
 * out of it into a block of its own (its new documents follow in blocks),
 * and whether the term has blocks is noted for term_end. */
static int term_begin(build *b, MDB_cursor *cur, int field, const char *term, size_t len)
{
    b->term_blocks = 0;
    b->term_known = 0;
    if (b->bulk)
        return FZ_OK;
    if (b->delta) {
        /* the delta tier holds blocks only: a term's new ones go after
         * its earlier ones */
        b->term_known = 1;
        return FZ_OK;
    }
    MDB_val k, v;
    store_tpack_iter it;
    int rc = store_term_find(cur, field, term, len, &k, &v, &it);
    if (rc == STORE_TERM_BLOCKS) {
        b->term_known = 1;
        return FZ_OK;
    }
    if (rc == FZ_ENOTFOUND)
        return FZ_OK;
    if (rc == FZ_ELMDB)
        fz_msg(b->emsg, b->emsglen, "reading postings: LMDB failed");
    if (rc != STORE_TERM_PACKED)
        return rc;
    uint32_t first = 0;
    if ((rc = store_tpack_remove(b->s, b->txn, field, term, len, 0, 0, &b->val, &first, b->emsg, b->emsglen)))
        return rc;
    uint8_t key[STORE_KEY_MAX];
    MDB_val bk = {store_post_key(key, field, term, len, first), key}, bv = {b->val.len, b->val.p};
    if ((rc = mdb_put(b->txn, store_dbi(b->s, STORE_DB_POST), &bk, &bv, 0)))
        return store_lmdb_err(rc, "writing postings", b->emsg, b->emsglen);
    wrote(b, 8192);
    b->term_known = 1;
    return FZ_OK;
}

/* Whether the term's last block (of ndocs documents, records of reclen
 * bytes) surely goes to a pack in term_end: a fresh build's small new
 * term (in an update it may not find a pack). */
static int to_fresh_pack(const build *b, uint32_t nblocks, uint32_t ndocs, size_t reclen)
{
    return b->bulk && !nblocks && store_tpack_fits(ndocs, reclen);
}

/* The term's last block, last: a small new term goes to a pack (a fresh
 * build's, or an update's into the pack before it), any other to its
 * blocks.  last holds only its records when to_fresh_pack. */
static int term_end(build *b, MDB_cursor *cur, int field, const char *term, size_t len, const blkval *last)
{
    if (b->term_blocks || b->term_known || !store_tpack_fits(last->ndocs, last->reclen))
        return put_block(b, cur, field, term, len, last);
    int rc;
    if (!b->bulk) {
        rc = store_tpack_insert(b->s, b->txn, field, term, len, last->ndocs, last->first, last->part[2],
                                last->plen[2], b->emsg, b->emsglen);
        if (rc == FZ_ENOTFOUND)
            return put_block(b, cur, field, term, len, last);
        if (!rc)
            wrote(b, 8192);
        return rc;
    }
    if (b->tpk.klen && (b->tpk.field != field || b->tpk.val.len >= STORE_TPACK_BYTES) &&
        (rc = tpack_flush(b, cur)))
        return rc;
    return store_tpack_add(&b->tpk, field, term, len, last->ndocs, last->first, last->part[2], last->plen[2]);
}

/* term_end for the joiner's open block, if any. */
static int join_end(build *b, MDB_cursor *cur, int field, const char *term, size_t len)
{
    if (!b->jn.active)
        return FZ_OK;
    uint8_t hdr[STORE_BLOCK_HDR_MAX];
    blkval bv;
    b->jn.positions = store_field_positions(field);
    store_dl_span dls = batch_lengths(b);
    int rc = joiner_seal(&b->jn, avg_len(b), &dls, hdr, &bv,
                         to_fresh_pack(b, b->term_blocks, b->jn.ndocs, b->jn.rec.len));
    if (!rc)
        rc = term_end(b, cur, field, term, len, &bv);
    b->jn.active = 0;
    return rc;
}

/* ---- prepared postings: at the last flush of a build that gathered in
 * one batch (no run files), each worker joins and seals its own terms'
 * blocks (every term lives in one worker) while the main thread writes the
 * entries, and hands them over in its stream, sorted by term; the main
 * thread merges the streams and only puts.  Items of a stream:
 *   PI_TERM  field, length, the term's bytes;
 *   PI_BLOCK / PI_LAST (the term's last block): first id, documents and
 *            the three parts' lengths (5 x u32, host order), the parts. */
enum { PI_TERM = 1, PI_BLOCK, PI_LAST };
#define PS_CHUNK ((size_t)1 << 20)

/* Room for n bytes at the end of w's stream: a new chunk when the last is
 * full, once the main thread has read enough of the others.  NULL with
 * *rc = FZ_ENOMEM, or 1 when the main thread stopped reading. */
static uint8_t *ps_room(build *b, worker *w, size_t n, int *rc)
{
    pstream *s = &w->ps;
    pchunk *t = s->tail;
    if (t && t->size - t->len >= n)
        return t->data + t->len;
    size_t size = n > PS_CHUNK ? n : PS_CHUNK;
    pthread_mutex_lock(&b->mu);
    if (t) {
        __atomic_store_n(&t->complete, 1, __ATOMIC_RELEASE);
        pthread_cond_broadcast(&b->cv_prep);
    }
    while (s->held && s->held + size > b->prep_cap && !b->prep_abort)
        pthread_cond_wait(&b->cv_prep, &b->mu);
    int stop = b->prep_abort;
    pthread_mutex_unlock(&b->mu);
    pchunk *c = stop ? NULL : malloc(sizeof *c + size);
    if (!c) {
        *rc = stop ? 1 : FZ_ENOMEM;
        return NULL;
    }
    c->next = NULL;
    c->len = 0;
    c->size = size;
    c->complete = 0;
    pthread_mutex_lock(&b->mu);
    if (t)
        t->next = c;
    else
        __atomic_store_n(&s->head, c, __ATOMIC_RELEASE);
    s->tail = c;
    s->held += size;
    pthread_mutex_unlock(&b->mu);
    return c->data;
}

/* Ends w's stream (also after a failure: the main thread stops there). */
static void ps_end(build *b, worker *w)
{
    pthread_mutex_lock(&b->mu);
    if (w->ps.tail)
        __atomic_store_n(&w->ps.tail->complete, 1, __ATOMIC_RELEASE);
    w->ps.done = 1;
    pthread_cond_broadcast(&b->cv_prep);
    pthread_mutex_unlock(&b->mu);
}

/* The next item of w's stream (the main thread's), waiting for the
 * worker; NULL at the stream's end.  The caller advances w->ps.off past
 * the item; chunks read are freed here. */
static const uint8_t *ps_item(build *b, worker *w)
{
    pstream *s = &w->ps;
    pchunk *h = __atomic_load_n(&s->head, __ATOMIC_ACQUIRE);
    if (h && __atomic_load_n(&h->complete, __ATOMIC_ACQUIRE) && s->off < h->len)
        return h->data + s->off;
    const uint8_t *r = NULL;
    pthread_mutex_lock(&b->mu);
    for (;;) {
        h = s->head;
        int complete = h && __atomic_load_n(&h->complete, __ATOMIC_ACQUIRE);
        if (complete && s->off < h->len) {
            r = h->data + s->off;
            break;
        }
        if (complete && h->next) {
            __atomic_store_n(&s->head, h->next, __ATOMIC_RELEASE);
            s->held -= h->size;
            s->off = 0;
            free(h);
            pthread_cond_broadcast(&b->cv_prep);
            continue;
        }
        if (s->done)
            break;
        pthread_cond_wait(&b->cv_prep, &b->mu);
    }
    pthread_mutex_unlock(&b->mu);
    return r;
}

/* Frees what is left of w's stream (its worker is done with it). */
static void ps_free(worker *w)
{
    pchunk *c = w->ps.head;
    while (c) {
        pchunk *n = c->next;
        free(c);
        c = n;
    }
    memset(&w->ps, 0, sizeof w->ps);
}

/* Seals the worker's joined block into its stream as an item of tag
 * (records_only: see joiner_seal). */
static int prep_block(build *b, worker *w, int tag, int records_only)
{
    uint8_t hdr[STORE_BLOCK_HDR_MAX];
    blkval bv;
    /* every worker counted the batch's entries (entry_done); a build of
     * several batches kept all (b->lens, set before the workers prepare) */
    store_dl_span dls = b->nlens ? batch_lengths(b) : (store_dl_span){w->dlen, w->base, w->nent};
    int rc = joiner_seal(&w->pj, b->prep_a0, &dls, hdr, &bv, records_only);
    w->pj.active = 0;
    if (rc)
        return rc;
    size_t n = 1 + 6 * 4 + bv.plen[0] + bv.plen[1] + bv.plen[2];
    uint8_t *p = ps_room(b, w, n, &rc);
    if (!p)
        return rc;
    uint32_t h[6] = {bv.first, bv.ndocs, (uint32_t)bv.plen[0], (uint32_t)bv.plen[1], (uint32_t)bv.plen[2],
                     (uint32_t)bv.reclen};
    p[0] = (uint8_t)tag;
    memcpy(p + 1, h, sizeof h);
    p += 1 + sizeof h;
    for (int i = 0; i < 3; i++)
        if (bv.plen[i]) {
            memcpy(p, bv.part[i], bv.plen[i]);
            p += bv.plen[i];
        }
    w->ps.tail->len += n;
    return FZ_OK;
}

/* A block item taken apart; returns its size. */
static size_t pi_block(const uint8_t *p, blkval *bv)
{
    uint32_t h[6];
    memcpy(h, p + 1, sizeof h);
    bv->first = h[0];
    bv->ndocs = h[1];
    bv->reclen = h[5];
    const uint8_t *q = p + 1 + sizeof h;
    for (int i = 0; i < 3; i++) {
        bv->part[i] = q;
        bv->plen[i] = h[2 + i];
        q += h[2 + i];
    }
    return (size_t)(q - p);
}

/* On a worker thread, after its terms are sorted: their blocks joined and
 * sealed as flush_postings would, with the average length the index has
 * after this batch (b->prep_a0), into w->ps.  Returns 0, FZ_ENOMEM or
 * FZ_ECORRUPT, or 1 when the main thread stopped reading. */
enum { PF_TERM = 16, PF_DESC = 8, PF_DONE = 4 }; /* how far ahead prep_terms fetches */
static int prep_terms(build *b, worker *w)
{
    int rc = 0;
    for (uint32_t o = 0; o < w->norder && !rc; o++) {
        /* terms in key order are all over memory: fetch the term PF_TERM
         * ahead; PF_DESC ahead, with its cold part there, its first full
         * block's descriptor, or the chunk where its open block begins
         * (the header, which joiner_take reads, and the records); PF_DONE
         * ahead the chunk of that first full block */
        /* a bigram's (ORD_BIGRAM): PF_DESC ahead its first piece */
        uint32_t ahead = o + PF_TERM < w->norder ? w->order[o + PF_TERM] : ORD_BIGRAM;
        if (!(ahead & ORD_BIGRAM)) {
            __builtin_prefetch(&w->terms[ahead]);
            __builtin_prefetch(&w->cold[ahead]);
        }
        ahead = o + PF_DESC < w->norder ? w->order[o + PF_DESC] : 0;
        if (ahead & ORD_BIGRAM) {
            __builtin_prefetch(w->bgr + (size_t)w->bgp[w->bgt[ahead & ~ORD_BIGRAM]].at * 4);
        } else if (o + PF_DESC < w->norder) {
            const term_cold *nc = &w->cold[ahead];
            if (nc->done)
                __builtin_prefetch(nc->done);
            else if (nc->c) {
                __builtin_prefetch(nc->c);
                __builtin_prefetch(nc->c->data + nc->off);
            }
        }
        ahead = o + PF_DONE < w->norder ? w->order[o + PF_DONE] : ORD_BIGRAM;
        if (!(ahead & ORD_BIGRAM)) {
            const term_cold *nc = &w->cold[ahead];
            if (nc->done && nc->done->c) {
                __builtin_prefetch(nc->done->c);
                __builtin_prefetch(nc->done->c->data + nc->done->off);
            }
        }
        uint32_t tid = w->order[o], nblocks = 0;
        int field;
        size_t len;
        char tb[6];
        const char *term = ord_term(w, tid, &field, &len, tb);
        w->pj.positions = store_field_positions(field);
        uint8_t *p = ps_room(b, w, 3 + len, &rc);
        if (!p)
            break;
        p[0] = PI_TERM;
        p[1] = (uint8_t)field;
        p[2] = (uint8_t)len;
        memcpy(p + 3, term, len);
        w->ps.tail->len += 3 + len;
        blkdesc cur;
        for (const blkdesc *bd = next_desc(w, tid, NULL, &cur); bd && !rc; bd = next_desc(w, tid, bd, &cur)) {
            /* the block's records straight from its chunks (what
             * serialize_block and blkin_parse would give the joiner) */
            if (w->pj.active && w->pj.ndocs + bd->ndocs > STORE_BLOCK_DOCS) {
                if ((rc = prep_block(b, w, PI_BLOCK, 0)))
                    break;
                nblocks++;
            }
            rc = joiner_take(&w->pj, w->base + bd->first, bd);
        }
        if (!rc && (tid & ORD_BIGRAM))
            rc = w->bgi.err;
        if (!rc && w->pj.active)
            rc = prep_block(b, w, PI_LAST, to_fresh_pack(b, nblocks, w->pj.ndocs, w->pj.rec.len));
    }
    w->pj.active = 0;
    ps_end(b, w);
    return rc;
}

static int run_next_term(runrd *r);
static int run_block(runrd *r, fz_buf *blk, uint32_t *first);

/* On a worker thread at the last flush of a build in several batches,
 * each written to the workers' own runs: the blocks of its runs (of each
 * term, the oldest batch's first) joined and sealed as flush_postings
 * would, into w->ps.  Returns as prep_terms, or FZ_EIO. */
static int prep_runs(build *b, worker *w)
{
    int rc = 0, n = 0;
    runrd **rs = malloc(((size_t)b->nruns + 1) * sizeof *rs);
    if (!rs)
        rc = FZ_ENOMEM;
    for (int i = 0; i < b->nruns && !rc; i++)
        if (b->runs[i].owner == w->part) {
            rs[n++] = &b->runs[i];
            if (fseek(rs[n - 1]->f, 0, SEEK_SET) || run_next_term(rs[n - 1]) < 0)
                rc = FZ_EIO;
        }
    while (!rc) {
        const runrd *m = NULL;
        for (int i = 0; i < n; i++)
            if (rs[i]->has && (!m || term_cmp(rs[i]->field, rs[i]->term, rs[i]->len, m->field, m->term, m->len) < 0))
                m = rs[i];
        if (!m)
            break;
        int field = m->field;
        size_t len = m->len;
        char term[256];
        memcpy(term, m->term, len);
        w->pj.positions = store_field_positions(field);
        uint8_t *p = ps_room(b, w, 3 + len, &rc);
        if (!p)
            break;
        p[0] = PI_TERM;
        p[1] = (uint8_t)field;
        p[2] = (uint8_t)len;
        memcpy(p + 3, term, len);
        w->ps.tail->len += 3 + len;
        uint32_t nblocks = 0;
        for (int i = 0; i < n && !rc; i++) {
            runrd *r = rs[i];
            if (!r->has || term_cmp(r->field, r->term, r->len, field, term, len))
                continue;
            uint32_t first;
            while ((rc = run_block(r, &w->pblk, &first)) == 1) {
                blkin bi;
                if ((rc = blkin_parse(&bi, (const uint8_t *)w->pblk.p, w->pblk.len)))
                    break;
                if (joiner_full(&w->pj, &bi)) {
                    if ((rc = prep_block(b, w, PI_BLOCK, 0)))
                        break;
                    nblocks++;
                }
                if ((rc = joiner_append(&w->pj, first, &bi)))
                    break;
            }
            if (!rc && run_next_term(r) < 0)
                rc = FZ_EIO;
        }
        if (!rc && w->pj.active)
            rc = prep_block(b, w, PI_LAST, to_fresh_pack(b, nblocks, w->pj.ndocs, w->pj.rec.len));
    }
    w->pj.active = 0;
    ps_end(b, w);
    free(rs);
    return rc;
}

/* Stops the workers' preparing (when the main thread is done with their
 * streams, or failed), waits for them and frees the streams. */
static void prep_stop(build *b)
{
    if (!b->prep)
        return;
    pthread_mutex_lock(&b->mu);
    b->prep_abort = 1;
    pthread_cond_broadcast(&b->cv_prep);
    pthread_mutex_unlock(&b->mu);
    wait_idle(b);
    for (int i = 0; i < b->nw; i++)
        ps_free(&b->w[i]);
    b->prep = b->prep_abort = b->run_prep = 0;
}

static int run_term_blocks(worker *w, uint32_t tid, FILE *run, fz_buf *blk);

/* Feeds every block the workers hold for this term (in worker = id order)
 * to the joiner, or (run != NULL) writes them to a run file. */
static int worker_blocks(build *b, MDB_cursor *cur, FILE *run, int field, const char *term, size_t len)
{
    int rc = 0;
    for (int i = 0; i <= b->nw && !rc; i++) {
        worker *w = &b->w[i];
        if (w->cursor >= w->norder)
            continue;
        uint32_t tid = w->order[w->cursor];
        int tf;
        size_t tl;
        char tb[6];
        const char *tt = ord_term(w, tid, &tf, &tl, tb);
        if (tf != field || tl != len || memcmp(tt, term, len))
            continue;
        blkdesc oc;
        for (const blkdesc *bd = run ? NULL : next_desc(w, tid, NULL, &oc); bd && !rc; bd = next_desc(w, tid, bd, &oc)) {
            if ((rc = serialize_block(&b->blk, bd)))
                break;
            rc = join_add(b, cur, field, term, len, w->base + bd->first, (const uint8_t *)b->blk.p, b->blk.len);
        }
        if (!rc && !run && (tid & ORD_BIGRAM))
            rc = w->bgi.err;
        if (run)
            rc = run_term_blocks(w, tid, run, &b->blk);
        w->cursor++;
    }
    return rc;
}

/* Writes this batch's postings to a run file (sorted by term), to be
 * merged into the index at commit: the index then receives every term's
 * blocks once, in key order, however many batches there were. */
static int open_run(build *b, int owner)
{
    if (b->nruns == b->runs_cap) {
        int cap = b->runs_cap ? b->runs_cap * 2 : 8;
        runrd *nr = realloc(b->runs, (size_t)cap * sizeof *nr);
        if (!nr)
            return FZ_ENOMEM;
        b->runs = nr;
        b->runs_cap = cap;
    }
    runrd *r = &b->runs[b->nruns];
    memset(r, 0, sizeof *r);
    snprintf(r->path, sizeof r->path, "%s/fzrun-%ld-%d.tmp", b->rundir, (long)getpid(), b->nruns);
    /* private (it holds the sources' terms) and unlinked at once: nothing
     * is left behind when the run is killed or fails */
    int fd = open(r->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 || !(r->f = fdopen(fd, "w+b"))) {
        fz_msg(b->emsg, b->emsglen, "writing %s: %s", r->path, strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(r->path);
        }
        return FZ_EIO;
    }
    unlink(r->path);
    r->owner = owner;
    b->nruns++;
    setvbuf(r->f, NULL, _IOFBF, (size_t)1 << 20);
    return FZ_OK;
}

/* Writes the blocks of a term gathered by w (serialized in blk) to a run
 * file: each block's length, first id and bytes, then a zero length. */
static int run_term_blocks(worker *w, uint32_t tid, FILE *run, fz_buf *blk)
{
    int rc = 0;
    blkdesc cur;
    for (const blkdesc *bd = next_desc(w, tid, NULL, &cur); bd && !rc; bd = next_desc(w, tid, bd, &cur)) {
        if ((rc = serialize_block(blk, bd)))
            break;
        uint32_t first = w->base + bd->first;
        uint8_t vb[FZ_VARINT_MAX];
        size_t vl = fz_varint_put(vb, blk->len);
        if (fwrite_unlocked(vb, 1, vl, run) != vl || fwrite_unlocked(&first, 4, 1, run) != 1 ||
            fwrite_unlocked(blk->p, 1, blk->len, run) != blk->len)
            rc = FZ_EIO;
    }
    return !rc && (tid & ORD_BIGRAM) ? w->bgi.err : rc;
}

/* On a worker thread, after its terms are sorted: writes them to its run
 * file (w->run), as write_run would have written them among the others'. */
static int worker_run(worker *w)
{
    int rc = 0;
    for (uint32_t o = 0; o < w->norder && !rc; o++) {
        if (o + 8 < w->norder && !(w->order[o + 8] & ORD_BIGRAM))
            __builtin_prefetch(&w->terms[w->order[o + 8]]);
        int field;
        size_t len;
        char tb[6];
        const char *term = ord_term(w, w->order[o], &field, &len, tb);
        uint8_t h[2] = {(uint8_t)field, (uint8_t)len};
        if (fwrite_unlocked(h, 1, 2, w->run) != 2 || fwrite_unlocked(term, 1, len, w->run) != len)
            rc = FZ_EIO;
        if (!rc)
            rc = run_term_blocks(w, w->order[o], w->run, &w->pblk);
        if (!rc && fputc_unlocked(0, w->run) == EOF)
            rc = FZ_EIO;
    }
    if (!rc && fflush(w->run))
        rc = FZ_EIO;
    w->cursor = w->norder; /* nothing left for the main thread */
    return rc;
}

/* Writes this batch's postings, all workers' terms merged, to a run file. */
static int write_run(build *b)
{
    int rc = open_run(b, -1);
    if (rc)
        return rc;
    runrd *r = &b->runs[b->nruns - 1];
    int field;
    char term[256];
    size_t len;
    while (!rc && next_worker_term(b, &field, term, &len)) {
        uint8_t h[2] = {(uint8_t)field, (uint8_t)len};
        if (fwrite(h, 1, 2, r->f) != 2 || fwrite(term, 1, len, r->f) != len)
            rc = FZ_EIO;
        if (!rc)
            rc = worker_blocks(b, NULL, r->f, field, term, len);
        if (!rc && fputc(0, r->f) == EOF) /* a zero length ends the term */
            rc = FZ_EIO;
    }
    if (!rc && fflush(r->f))
        rc = FZ_EIO;
    if (rc == FZ_EIO)
        fz_msg(b->emsg, b->emsglen, "writing %s: %s", r->path, strerror(errno));
    return rc;
}

/* Reads a run's next term header; 0 at its end.  A run is read by one
 * thread at a time. */
static int run_next_term(runrd *r)
{
    int f = getc_unlocked(r->f), l = getc_unlocked(r->f);
    if (f == EOF || l == EOF) {
        r->has = 0;
        return 0;
    }
    r->field = f;
    r->len = (size_t)l;
    if (fread(r->term, 1, r->len, r->f) != r->len) {
        r->has = 0;
        return -1;
    }
    r->has = 1;
    return 1;
}

/* Reads the next block of a run's current term into blk (serialized)
 * and *first: 1, or 0 after its last, FZ_EIO, FZ_ENOMEM. */
static int run_block(runrd *r, fz_buf *blk, uint32_t *first)
{
    uint64_t vl = 0;
    int shift = 0, c;
    do {
        if ((c = getc_unlocked(r->f)) == EOF)
            return FZ_EIO;
        vl |= (uint64_t)(c & 0x7f) << shift;
        shift += 7;
    } while ((c & 0x80) && shift < 64);
    if (vl == 0)
        return 0;
    if (fz_buf_reserve(blk, (size_t)vl))
        return FZ_ENOMEM;
    blk->len = 0;
    if (fread_unlocked(first, 4, 1, r->f) != 1 || fread_unlocked(blk->p, 1, (size_t)vl, r->f) != vl)
        return FZ_EIO;
    blk->len = (size_t)vl;
    return 1;
}

/* Feeds a run's blocks of its current term to the joiner. */
static int run_blocks(build *b, MDB_cursor *cur, runrd *r)
{
    for (;;) {
        uint32_t first;
        int rc = run_block(r, &b->blk, &first);
        if (rc <= 0)
            return rc;
        if ((rc = join_add(b, cur, r->field, r->term, r->len, first, (const uint8_t *)b->blk.p, b->blk.len)))
            return rc;
    }
}

/* Writes the postings into the index: the run files of earlier batches
 * and this batch's, merged term by term, each term's blocks in id order
 * and joined where short. */
static int flush_postings(build *b)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(b->txn, store_dbi(b->s, b->delta ? STORE_DB_DPOST : STORE_DB_POST), &cur);
    if (rc)
        return store_lmdb_err(rc, "writing postings", b->emsg, b->emsglen);
    for (int i = 0; i < b->nruns && !rc; i++) {
        if (fseek(b->runs[i].f, 0, SEEK_SET) || run_next_term(&b->runs[i]) < 0)
            rc = FZ_EIO;
    }
    int wfield = 0;
    char wterm[256];
    size_t wlen = 0;
    int whas = next_worker_term(b, &wfield, wterm, &wlen);
    while (!rc) {
        /* the smallest term among the runs and the workers */
        int field = -1;
        const char *term = NULL;
        size_t len = 0;
        for (int i = 0; i < b->nruns; i++) {
            runrd *r = &b->runs[i];
            if (r->has && (!term || term_cmp(r->field, r->term, r->len, field, term, len) < 0)) {
                field = r->field;
                term = r->term;
                len = r->len;
            }
        }
        if (whas && (!term || term_cmp(wfield, wterm, wlen, field, term, len) < 0)) {
            field = wfield;
            term = wterm;
            len = wlen;
        }
        if (!term)
            break;
        char t[256];
        memcpy(t, term, len);
        rc = term_begin(b, cur, field, t, len);
        /* older batches first: ids ascend */
        for (int i = 0; i < b->nruns && !rc; i++) {
            runrd *r = &b->runs[i];
            if (r->has && term_cmp(r->field, r->term, r->len, field, t, len) == 0) {
                rc = run_blocks(b, cur, r);
                if (!rc && run_next_term(r) < 0)
                    rc = FZ_EIO;
            }
        }
        if (!rc && whas && term_cmp(wfield, wterm, wlen, field, t, len) == 0) {
            rc = worker_blocks(b, cur, NULL, field, t, len);
            whas = next_worker_term(b, &wfield, wterm, &wlen);
        }
        if (!rc)
            rc = join_end(b, cur, field, t, len);
    }
    if (!rc)
        rc = tpack_flush(b, cur);
    mdb_cursor_close(cur);
    if (rc == FZ_EIO)
        fz_msg(b->emsg, b->emsglen, "reading a run file: %s", strerror(errno));
    return rc;
}

/* flush_postings for the workers' prepared streams (see prep_terms): the
 * same keys and values, in the same order. */
static int flush_prepared(build *b)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(b->txn, store_dbi(b->s, b->delta ? STORE_DB_DPOST : STORE_DB_POST), &cur);
    if (rc)
        return store_lmdb_err(rc, "writing postings", b->emsg, b->emsglen);
    const uint8_t *head[BUILD_MAX_WORKERS];
    for (int i = 0; i < b->nw; i++)
        head[i] = ps_item(b, &b->w[i]);
    while (!rc) {
        int best = -1;
        for (int i = 0; i < b->nw; i++) {
            const uint8_t *h = head[i], *m = best < 0 ? NULL : head[best];
            if (h && (!m || term_cmp(h[1], (const char *)h + 3, h[2], m[1], (const char *)m + 3, m[2]) < 0))
                best = i;
        }
        if (best < 0)
            break;
        worker *w = &b->w[best];
        int field = head[best][1];
        size_t len = head[best][2];
        char term[256];
        memcpy(term, head[best] + 3, len);
        w->ps.off += 3 + len;
        rc = term_begin(b, cur, field, term, len);
        while (!rc) {
            const uint8_t *p = ps_item(b, w);
            if (!p || p[0] == PI_TERM) {
                rc = FZ_ECORRUPT; /* the worker stopped: its error is reported */
                break;
            }
            blkval bv;
            size_t n = pi_block(p, &bv);
            int last = p[0] == PI_LAST;
            rc = last ? term_end(b, cur, field, term, len, &bv) : put_block(b, cur, field, term, len, &bv);
            w->ps.off += n;
            if (last)
                break;
        }
        if (!rc)
            head[best] = ps_item(b, w);
    }
    if (!rc)
        rc = tpack_flush(b, cur);
    mdb_cursor_close(cur);
    prep_stop(b);
    int we = worker_errors(b);
    return we ? we : rc;
}

/* Frees a worker's term dictionary and entry buffers for good (after the
 * last batch: intern must not be called again). */
static void release_dict(worker *w)
{
    free_terms(w);
    free_slots(w);
    fz_buf_free(&w->names);
    __atomic_store_n(&w->dict_bytes, 0, __ATOMIC_RELAXED);
}

/* Empties every worker's gathered postings.  With dict (nothing more is
 * gathered) their dictionaries are freed for good too, and the memory
 * handed back: the worker threads' arenas keep what they freed. */
static void drop_postings(build *b, int dict)
{
    for (int i = 0; i <= b->nw; i++) {
        worker *w = &b->w[i];
        clear_terms(w, !dict);
        free(w->order);
        w->order = NULL;
        w->norder = w->cursor = 0;
        if (dict)
            release_dict(w);
    }
#ifdef __GLIBC__
    if (dict)
        malloc_trim(0);
#endif
}

/* Writes the entries and join maps of file f, gathered by a worker: its
 * entries get the ids from base + f->local_first on, its records the file
 * id file_id. */
static int write_file_entries(build *b, uint32_t base, uint32_t file_id, const wfile *f)
{
    const uint8_t *p = (const uint8_t *)f->recs.p, *end = p + f->recs.len;
    if ((uint64_t)base + f->local_first + f->n >= UINT32_MAX)
        return FZ_ELIMIT;
    for (uint32_t d = f->local_first; d < f->local_first + f->n; d++) {
        uint64_t n;
        if (!(p = fz_varint_get(p, end, &n)) || n > (uint64_t)(end - p))
            return FZ_ECORRUPT;
        /* the record's file id is its first varint: re-encode it */
        fz_buf *rb = &b->erec;
        rb->len = 0;
        uint64_t old;
        const uint8_t *q = fz_varint_get(p, p + n, &old);
        if (!q)
            return FZ_ECORRUPT;
        if (fz_buf_varint(rb, file_id) || fz_buf_append(rb, q, (size_t)(p + n - q)))
            return FZ_ENOMEM;
        p += n;
        uint64_t jl;
        if (!(p = fz_varint_get(p, end, &jl)) || jl > (uint64_t)(end - p))
            return FZ_ECORRUPT;
        uint64_t was = b->ew.written;
        int rc = store_entry_add(b->s, b->txn, &b->ew, base + d, rb->p, rb->len, p, (size_t)jl, b->emsg, b->emsglen);
        if (rc)
            return rc;
        wrote(b, (size_t)(b->ew.written - was));
        p += jl;
    }
    return p == end ? FZ_OK : FZ_ECORRUPT;
}

/* On the main thread between files: writes the entries of the files
 * worker 0 (which keeps the entries) has finished since the last call, so
 * that the batch's flush has less to do.  The batch's ids start at the
 * index's next id, its file ids at the next file id, as flush_batch gives
 * them. */
static int write_ready_entries(build *b)
{
    if (!b->nw)
        return FZ_OK;
    worker *w = &b->w[0];
    for (;;) {
        pthread_mutex_lock(&b->mu);
        size_t k = w->files_written;
        int ready = k < w->files_done;
        wfile f;
        if (ready)
            f = w->files[k]; /* its records stay where they are */
        pthread_mutex_unlock(&b->mu);
        if (!ready)
            return FZ_OK;
        int rc = write_file_entries(b, (uint32_t)b->st.next_id, b->st.next_file + (uint32_t)k, &f);
        if (rc)
            return rc;
        pthread_mutex_lock(&b->mu);
        fz_buf_free(&w->files[k].recs);
        w->files_written = k + 1;
        pthread_mutex_unlock(&b->mu);
    }
}

/* Appends the lengths of w's batch (ids from w->base, next after those
 * kept) to b->lens.  A block that the last batch joins from several holds
 * documents of earlier batches, whose lengths it needs for the exact
 * impact; without them it has only what its levels bound (imp_levels):
 * for 年 in 2 GB of bench/gen text the blocks its top 10 scored had a
 * bound of 2.75 for a best score of 2.56 (the median), so it scored
 * 3,377 of its 13,346 blocks, and 13 with exact impacts (HACKING.md,
 * h22).  4 bytes an entry, 26 MB for those 2 GB, counted in mem_used.
 * FZ_ELIMIT, FZ_ENOMEM. */
static int keep_lengths(build *b, const worker *w)
{
    if (!w->nent)
        return FZ_OK;
    if (!b->nlens)
        b->lens_base = w->base;
    if (w->base != b->lens_base + b->nlens || w->nent > UINT32_MAX - b->nlens)
        return FZ_ELIMIT; /* not next: cannot be, ids only grow */
    if (fz_grow(&b->lens, &b->lens_cap, (size_t)b->nlens + w->nent, sizeof *b->lens, 1u << 16))
        return FZ_ENOMEM;
    memcpy(b->lens + b->nlens, w->dlen, (size_t)w->nent * sizeof *w->dlen);
    b->nlens += w->nent;
    return FZ_OK;
}

/* Writes one batch: entries, files and lengths, and the postings to a run
 * file, or with final into the index. */
static int flush_batch(build *b, int final)
{
    double t0 = mono();
    wait_idle(b);
    double t1 = mono();
    int rc = worker_errors(b);
    if (rc)
        return rc;
    /* the ids of the batch's entries: the worker threads all saw the same
     * records (worker 0 keeps them), then come the main thread's */
    uint64_t next = b->st.next_id, sumlen = b->st.sumlen, nent = b->st.nentries;
    for (int i = 0; i <= b->nw; i++) {
        worker *w = &b->w[i];
        if (!w->keeps_entries)
            continue; /* its base is worker 0's */
        if (next + w->nent >= UINT32_MAX)
            return FZ_ELIMIT;
        w->base = (uint32_t)next;
        for (int j = 1; j < b->nw && i == 0; j++)
            b->w[j].base = w->base;
        next += w->nent;
        sumlen += w->sumlen;
        nent += w->nent;
    }
    /* a build in one batch: the workers prepare the postings after sorting
     * (the main thread's worker gathered nothing: no merge) */
    if (final && !b->nruns && b->nw && !b->mw->nterms) {
        b->prep = 1;
        b->prep_abort = 0;
        b->prep_a0 = store_avg_len(sumlen, nent);
        /* the budget's last quarter for the streams */
        b->prep_cap = b->budget / 4 / (size_t)b->nw;
        if (b->prep_cap < 4 * PS_CHUNK)
            b->prep_cap = 4 * PS_CHUNK;
    }
    /* a batch that goes to run files: each worker writes its own terms to
     * its own run as it sorts them, when the main thread's worker
     * gathered none (else write_run merges them all into one) */
    int wruns = b->nw && !b->prep && !b->mw->nterms && (!final || b->nruns);
    for (int i = 0; wruns && i < b->nw; i++) {
        if ((rc = open_run(b, b->w[i].part)))
            return rc;
        b->w[i].run = b->runs[b->nruns - 1].f;
    }
    /* sort every worker's terms, in parallel */
    if (b->nw) {
        pthread_mutex_lock(&b->mu);
        b->sort_req = 1;
        b->sorted_n = 0;
        pthread_cond_broadcast(&b->cv_job);
        pthread_mutex_unlock(&b->mu);
    }
    if ((rc = sort_worker_terms(b->mw)))
        return rc;
    /* entries, files, lengths, in id order, while the workers sort (they
     * touch only their terms) */
    for (int i = 0; i <= b->nw && !rc; i++) {
        worker *w = &b->w[i];
        if (!w->keeps_entries)
            continue;
        for (size_t f = w->files_written; f < w->nfiles; f++) {
            if ((rc = write_file_entries(b, w->base, b->st.next_file + (uint32_t)f, &w->files[f])))
                return rc;
            fz_buf_free(&w->files[f].recs);
        }
        if ((rc = store_entry_flush(b->s, b->txn, &b->ew, b->emsg, b->emsglen)))
            return rc;
        for (uint32_t f = 0; f < w->nfiles; f++) {
            store_file sf = {0};
            sf.file_id = b->st.next_file++;
            sf.first_id = w->base + w->files[f].local_first;
            sf.nentries = w->files[f].n;
            sf.nbytes = w->files[f].nbytes;
            sf.mtime = w->files[f].mtime;
            sf.indexed_at = (int64_t)time(NULL);
            memcpy(sf.encoding, w->files[f].encoding, sizeof sf.encoding);
            sf.volume = w->files[f].volume;
            sf.volume_len = sf.volume ? strlen(sf.volume) : 0;
            if ((rc = store_file_put(b->s, b->txn, w->files[f].path, &sf)))
                return rc;
            b->st.nfiles++;
            if (b->on_file && !w->files[f].merged)
                b->on_file(b->on_file_ctx, w->files[f].path, sf.encoding, sf.nentries);
        }
        if (w->nent && (rc = store_dlen_put(b->s, b->txn, w->base, w->dlen, w->nent, b->emsg, b->emsglen)))
            return rc;
        if ((!final || b->nruns) && (rc = keep_lengths(b, w)))
            return rc;
        b->st.next_id += w->nent;
        b->st.nentries += w->nent;
        b->added += w->nent;
        b->st.sumlen += w->sumlen;
    }
    if (b->nw) {
        pthread_mutex_lock(&b->mu);
        while (b->sorted_n < b->nw)
            pthread_cond_wait(&b->cv_idle, &b->mu);
        b->sort_req = 0;
        pthread_mutex_unlock(&b->mu);
        if ((rc = worker_errors(b)))
            return rc;
    }
    double t2 = mono();
    /* a batch's postings go to a run file; the last batch merges them all.
     * When there are runs already, the last batch becomes one too and its
     * memory is freed first, so that the pages of the index the merge
     * touches come on top of little else */
    if (final && b->nruns) {
        if (!wruns && (rc = write_run(b)))
            return rc;
        drop_postings(b, 1);
        /* the workers' runs only: each worker joins and seals the blocks
         * of its own, and the main thread only puts them */
        int own = b->nw > 0;
        for (int i = 0; i < b->nruns; i++)
            own = own && b->runs[i].owner >= 0;
        if (own) {
            b->prep = 1;
            b->prep_abort = 0;
            b->prep_a0 = avg_len(b);
            b->prep_cap = b->budget / 4 / (size_t)b->nw;
            if (b->prep_cap < 4 * PS_CHUNK)
                b->prep_cap = 4 * PS_CHUNK;
            pthread_mutex_lock(&b->mu);
            b->run_prep = 1;
            b->sort_req = 1;
            b->sorted_n = 0;
            pthread_cond_broadcast(&b->cv_job);
            while (b->sorted_n < b->nw)
                pthread_cond_wait(&b->cv_idle, &b->mu);
            b->sort_req = 0;
            pthread_mutex_unlock(&b->mu);
        }
    }
    int prepped = b->prep;
    size_t gathered = mem_used(b); /* the workers free theirs as they finish preparing */
    if ((rc = b->prep ? flush_prepared(b) : final ? flush_postings(b) : wruns ? FZ_OK : write_run(b)))
        return rc;
    if (release_due(b))
        store_release_map(b->s);
    if (getenv("FZINDEX_TIMING")) {
        fprintf(stderr, "fzindex: epoch: waited %.2f s for the workers, wrote entries (and sorted terms) in %.2f s, "
                        "postings in %.2f s (%zu MB gathered)",
                t1 - t0, t2 - t1, mono() - t2, gathered >> 20);
        for (int i = 0; prepped && i < b->nw; i++)
            fprintf(stderr, "%s%.2f", i ? ", " : "; the workers' CPU preparing them: ", b->w[i].prep_cpu);
        fprintf(stderr, "\n");
    }
    /* after the last batch the dictionaries go too, before the commit,
     * which touches up to LMDB's dirty-page limit of written pages */
    drop_postings(b, final);
    for (int i = 0; i <= b->nw; i++) {
        worker *w = &b->w[i];
        w->nent = 0;
        w->sumlen = 0;
        for (size_t f = 0; f < w->nfiles; f++) {
            free(w->files[f].path);
            free(w->files[f].volume);
            fz_buf_free(&w->files[f].recs);
        }
        w->nfiles = w->files_done = w->files_written = w->files_ended = 0;
    }
    b->epoch_files = 0;
    if (final)
        b->bulk = 0;
    return FZ_OK;
}

/* Writes everything the workers gathered and empties them (see
 * flush_batch); the workers' preparing is stopped on every way out. */
static int flush_epoch(build *b, int final)
{
    int rc = flush_batch(b, final);
    prep_stop(b);
    return rc;
}

/* ------------------------------------------------------------- lifecycle */

static int worker_init(build *b, worker *w, char *msg, size_t msglen)
{
    w->b = b;
    if (!(w->tok = tok_create(TOK_FOLD_TS, msg, msglen)))
        return FZ_EICU;
    if (!(w->parse = parse_create()) || grow_slots(w))
        return FZ_ENOMEM;
    return parse_set_layout(w->parse, b->layout);
}

static void worker_free(worker *w)
{
    clear_terms(w, 0);
    free_terms(w);
    free_slots(w);
    fz_buf_free(&w->names);
    free(w->et);
    free(w->es);
    free(w->sorted);
    fz_buf_free(&w->join);
    for (int i = 0; i < META_SLOTS; i++) {
        fz_buf_free(&w->meta[i].text);
        for (int k = 0; k < BUILD_MAX_WORKERS; k++)
            fz_buf_free(&w->meta[i].items[k]);
    }
    fz_buf_free(&w->enc);
    fz_buf_free(&w->pj.rec);
    fz_buf_free(&w->pj.skip);
    fz_buf_free(&w->pblk);
    ps_free(w);
    free(w->dlen);
    free(w->dt);
    free(w->bg);
    free(w->bg_tmp);
    free(w->bg_rec);
    free(w->bg_first);
    free(w->bg_hash);
    free(w->bg_doc);
    drop_pieces(w, 0);
    for (size_t f = 0; f < w->nfiles; f++) {
        free(w->files[f].path);
        free(w->files[f].volume);
        fz_buf_free(&w->files[f].recs);
    }
    free(w->files);
    free(w->order);
    parse_destroy(w->parse);
    tok_destroy(w->tok);
}

static int delta_merge_steps(store *s, unsigned long stop, char *msg, size_t msglen);

int build_create(store *s, const build_opts *opts, build **out, char *msg, size_t msglen)
{
    *out = NULL;
    build *b = calloc(1, sizeof *b);
    if (!b)
        return FZ_ENOMEM;
    b->s = s;
    /* postings get 5/8 of the budget: the rest is for the files in the
     * queue, what the workers gather before the next check (two files'),
     * what the allocator keeps of a batch's freed slabs, and slack.
     * Measured (peak anonymous memory): 100 MB of bench/gen text with
     * --mem 512M 370 MiB, the poetry bench with --mem 256M 135 MiB (3/4
     * gave 370 and 195) */
    b->budget = opts && opts->mem_limit ? opts->mem_limit : default_mem();
    b->mem_limit = b->budget / 8 * 5;
    if (opts && opts->huge_pages)
        b->huge = opts->huge_pages > 0;
    else
        b->huge = (opts && opts->input_bytes > b->mem_limit / GATHER_PER_BYTE) || faults_dear();
    b->batch_lag = b->mem_limit / 128 < BATCH_LAG ? b->mem_limit / 128 : BATCH_LAG;
    /* a build that may take several batches drains its buckets only at
     * the ends of the router's chunks, which the input decides: see
     * batch_full */
    b->idle_ok = opts && opts->input_bytes && opts->input_bytes <= b->mem_limit / GATHER_MAX;
    b->pause_us = opts ? opts->pause_us : 0;
    b->layout = opts ? opts->layout : PARSE_AUTO;
    if (opts) {
        b->on_file = opts->on_file;
        b->on_file_ctx = opts->on_file_ctx;
    }
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    int nw = opts && opts->threads ? opts->threads : (ncpu > 1 ? (int)ncpu : 1);
    if (nw > BUILD_MAX_WORKERS)
        nw = BUILD_MAX_WORKERS;
    if (nw == 1)
        nw = 0; /* one core: the main thread does the work itself */
    /* a worker's pieces of a batch stay under PIECES_MAX: its share of the
     * postings' budget at most half of it (--mem of some 100 GB) */
    if (nw && b->mem_limit / (size_t)nw > PIECES_MAX / 2)
        b->mem_limit = (size_t)nw * (PIECES_MAX / 2);
    int rc;
    b->w = calloc((size_t)nw + 1, sizeof *b->w);
    if (!b->w) {
        free(b);
        return FZ_ENOMEM;
    }
    b->nw = 0;
    b->mw = &b->w[0];
    store_bb_reset(&b->bb);
    if (pthread_mutex_init(&b->mu, NULL) || pthread_cond_init(&b->cv_job, NULL) ||
        pthread_cond_init(&b->cv_idle, NULL) || pthread_cond_init(&b->cv_prep, NULL)) {
        free(b->w);
        free(b);
        return FZ_ENOMEM;
    }
    b->mu_ok = 1;
    for (int i = 0; i <= nw; i++)
        if ((rc = worker_init(b, &b->w[i], msg, msglen))) {
            b->nw = nw; /* so that destroy frees them all */
            b->mw = &b->w[nw];
            goto fail;
        }
    b->nw = nw;
    b->nw_mask = nw && !(nw & (nw - 1)) ? (uint32_t)nw - 1 : 0;
    b->bg_drain = nw && b->mem_limit / 8 / (size_t)nw < BG_DRAIN ? b->mem_limit / 8 / (size_t)nw : BG_DRAIN;
    b->mw = &b->w[nw];
    for (int i = 0; i < nw; i++) {
        b->w[i].part = i;
        b->w[i].keeps_entries = i == 0;
    }
    b->mw->part = 0;
    b->mw->keeps_entries = 1;
    if (nw) {
        if (!(b->rw = calloc(1, sizeof *b->rw))) {
            rc = FZ_ENOMEM;
            goto fail;
        }
        if ((rc = worker_init(b, b->rw, msg, msglen)))
            goto fail;
        b->rw->routes = 1;
        b->rw->keeps_entries = 1;
    }
    /* a merge of the delta a run left under way (killed, or stopped by a
     * full disk) is finished first: until it is, the delta's base does
     * not split the ids of the two trees (MERGING in store.c) */
    {
        MDB_txn *rt;
        uint8_t at[STORE_KEY_MAX];
        size_t atlen;
        if ((rc = store_begin(s, 0, &rt, msg, msglen)))
            goto fail;
        rc = store_delta_merging(s, rt, at, &atlen);
        mdb_txn_abort(rt);
        if (rc < 0)
            fz_msg(msg, msglen, "reading the delta tier: %s", fz_strerror(rc));
        else if (rc)
            rc = delta_merge_steps(s, 0, msg, msglen);
        if (rc)
            goto fail;
    }
    if ((rc = store_begin(s, 1, &b->txn, msg, msglen)))
        goto fail;
    if ((rc = store_stats_get(s, b->txn, &b->st)))
        goto fail;
    b->bulk = b->st.next_id == 0;
    /* an update writes its postings apart, above the delta's base */
    b->delta = !b->bulk;
    if (b->delta) {
        rc = store_delta_base(s, b->txn, &b->dbase);
        if (rc == FZ_ENOTFOUND) {
            b->dbase = b->st.next_id;
            rc = store_delta_base_put(s, b->txn, b->dbase, msg, msglen);
        } else if (rc) {
            fz_msg(msg, msglen, "reading the delta tier: %s", fz_strerror(rc));
        }
        if (rc)
            goto fail;
    }
    /* run files go beside the index; ones a killed run left are dropped
     * (this run holds the writer's lock, so no other run owns them) */
    store_dir(s, b->rundir, sizeof b->rundir);
    {
        DIR *d = opendir(b->rundir);
        struct dirent *de;
        while (d && (de = readdir(d))) {
            size_t n = strlen(de->d_name);
            if (n > 10 && !strncmp(de->d_name, "fzrun-", 6) && !strcmp(de->d_name + n - 4, ".tmp")) {
                char p[4096 + 300];
                snprintf(p, sizeof p, "%s/%s", b->rundir, de->d_name);
                unlink(p);
            }
        }
        if (d)
            closedir(d);
    }
    for (int i = 0; i < nw; i++) {
        if (pthread_create(&b->w[i].th, NULL, worker_main, &b->w[i])) {
            rc = FZ_ENOMEM;
            fz_msg(msg, msglen, "cannot start indexing threads");
            goto fail;
        }
        b->w[i].started = 1;
    }
    *out = b;
    return FZ_OK;
fail:
    build_destroy(b);
    return rc;
}

/* The main thread's own handling of a file (no worker threads). */
static int add_inline(build *b, worker *w, const char *path, const char *text, size_t len, uint64_t nbytes,
                      int64_t mtime, const char *encoding)
{
    int rc = begin_wfile(w, path, nbytes, mtime, encoding);
    if (!rc)
        rc = parse_text(w->parse, text, len, on_record, w);
    return rc ? rc : end_wfile(w, parsed_volume(w), strlen(parsed_volume(w)));
}

static int remove_file(build *b, const char *path, int keep_catalog, uint32_t *nentries, char *msg, size_t msglen);

/* Whether the batch is full before the next file: the memory the workers
 * had gathered when an earlier file of this batch ended (file m) is past
 * the budget.  That file's, not the memory now: the workers read on
 * behind the main thread, so what they hold now depends on timing, and
 * where batches end (hence the blocks written) would differ from run to
 * run.  The memory at a file's end depends on the input alone too: a
 * worker drains its buckets at the ends of the router's chunks, which the
 * input decides, and while it waits for the next chunk (idle_drain) only
 * in a build whose input is small enough for one batch (build.idle_ok).
 * An idle drain interns unigrams, grows their postings and splits
 * bigrams into more pieces than a chunk's end would, so the memory at
 * later files' ends, and with it where batches end and the blocks
 * written, could depend on timing (HACKING.md, h28 and h29).  Which file m is depends on the input alone: the newest but one
 * or older, the newest whose successors before the next file hold at
 * least batch_lag bytes of text (none yet: the batch goes on).  The main
 * thread waits for it only when the workers are that far behind; with m
 * the last file but one it waited for the workers at some files in three
 * (0.4-0.8 s of a 2.8-3.4 s build of the poetry bench, the second core
 * idle meanwhile).  Each batch thus holds at least two files, and its
 * memory may pass the budget by what batch_lag bytes of text gather (the
 * budget's 3/8 not for postings).  0 or 1, or a worker's error. */
static int batch_full(build *b)
{
    size_t n = b->epoch_files;
    if (n < 2)
        return 0;
    const uint64_t *t = b->epoch_text; /* n + 1 of them */
    size_t m = n - 2;
    while (t[n] - t[m + 1] < b->batch_lag) {
        if (!m)
            return 0;
        m--;
    }
    if (!b->nw)
        return b->mw->nfiles > m && b->mw->files[m].mem > b->mem_limit;
    size_t mem = 0;
    pthread_mutex_lock(&b->mu);
    for (int i = 0; i < b->nw; i++) {
        worker *w = &b->w[i];
        while (w->files_done <= m && !__atomic_load_n(&w->err, __ATOMIC_ACQUIRE))
            pthread_cond_wait(&b->cv_idle, &b->mu);
        if (w->files_done > m)
            mem += w->files[m].mem;
    }
    pthread_mutex_unlock(&b->mu);
    int rc = worker_errors(b);
    return rc ? rc : mem > b->mem_limit;
}

int build_add_file(build *b, const char *path, const char *text, size_t len, uint64_t nbytes,
                   int64_t mtime, const char *encoding, uint32_t *nentries, char *msg, size_t msglen)
{
    if (b->err)
        return b->err;
    b->emsg = msg;
    b->emsglen = msglen;
    int rc = worker_errors(b);
    if (rc || (rc = write_ready_entries(b)))
        return b->err = rc;
    store_file old;
    rc = store_file_get(b->s, b->txn, path, &old);
    if (rc == 0) {
        if ((rc = remove_file(b, path, 1, NULL, msg, msglen)))
            return rc;
    } else if (rc != FZ_ENOTFOUND) {
        return b->err = rc;
    }
    if ((rc = batch_full(b)) < 0 || (rc && (rc = flush_epoch(b, 0))))
        return b->err = rc;
    if (fz_grow(&b->epoch_text, &b->epoch_text_cap, b->epoch_files + 2, sizeof *b->epoch_text, 64))
        return b->err = FZ_ENOMEM;
    if (!b->epoch_files)
        b->epoch_text[0] = 0;
    b->epoch_text[b->epoch_files + 1] = b->epoch_text[b->epoch_files] + len;
    b->epoch_files++;
    if (nentries)
        *nentries = 0; /* counted at commit when threads do the work */
    if (!b->nw) {
        if ((rc = add_inline(b, b->mw, path, text, len, nbytes, mtime, encoding)))
            return b->err = rc;
        if (nentries)
            *nentries = b->mw->files[b->mw->nfiles - 1].n;
        return FZ_OK;
    }
    if ((rc = route_file(b, path, text, len, nbytes, mtime, encoding))) {
        fz_msg(msg, msglen, "indexing %s: %s", path, fz_strerror(rc));
        return b->err = rc;
    }
    return FZ_OK;
}

int build_merge(build *b, store *other, uint32_t *nfiles, uint64_t *nentries, char *msg, size_t msglen)
{
    if (b->err)
        return b->err;
    b->emsg = msg;
    b->emsglen = msglen;
    MDB_txn *ot;
    int rc = store_begin(other, 0, &ot, msg, msglen);
    if (rc)
        return rc;
    MDB_cursor *cur;
    if ((rc = mdb_cursor_open(ot, store_dbi(other, STORE_DB_FILE), &cur))) {
        mdb_txn_abort(ot);
        return store_lmdb_err(rc, "reading the other index", msg, msglen);
    }
    worker *w = b->mw;
    fz_arena *a = fz_arena_create();
    fz_buf path = {0};
    MDB_val k, v;
    int r = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    uint32_t nf = 0;
    uint64_t ne = 0;
    rc = a ? 0 : FZ_ENOMEM;
    while (!rc && r == 0) {
        path.len = 0;
        if (fz_buf_append(&path, k.mv_data, k.mv_size)) {
            rc = FZ_ENOMEM;
            break;
        }
        store_file of, old;
        if ((rc = store_file_get(other, ot, path.p, &of)))
            break;
        rc = store_file_get(b->s, b->txn, path.p, &old);
        if (rc == 0)
            rc = build_remove_file(b, path.p, NULL, msg, msglen);
        else if (rc == FZ_ENOTFOUND)
            rc = 0;
        if (rc)
            break;
        if (mem_used(b) > b->mem_limit && (rc = flush_epoch(b, 0)))
            break;
        if ((rc = begin_wfile(w, path.p, of.nbytes, of.mtime, of.encoding)))
            break;
        w->files[w->nfiles - 1].merged = 1;
        for (uint32_t i = 0; i < of.nentries && !rc; i++) {
            store_entry e;
            int g = store_entry_get(other, ot, of.first_id + i, a, &e);
            if (g == FZ_ENOTFOUND)
                continue;
            if (g) {
                rc = g;
                break;
            }
            /* the stored record, as the parser would have emitted it */
            const char **sec = fz_arena_alloc(a, (e.nsection + 1) * sizeof *sec);
            const char **au = fz_arena_alloc(a, (e.nauthors + 1) * sizeof *au);
            if (!sec || !au) {
                rc = FZ_ENOMEM;
                break;
            }
            for (size_t j = 0; j < e.nsection; j++)
                sec[j] = fz_arena_strndup(a, e.section[j], e.section_len[j]);
            for (size_t j = 0; j < e.nauthors; j++)
                au[j] = fz_arena_strndup(a, e.authors[j], e.author_len[j]);
            parse_entry pe = {e.line, (fz_kind)e.kind, e.title, e.title_len, e.body, e.body_len,
                              sec, e.nsection, au, e.nauthors};
            rc = on_record(w, &pe);
        }
        if (!rc)
            rc = end_wfile(w, of.volume, of.volume_len);
        if (!rc) {
            /* the file's catalog row comes with it */
            store_catalog cat;
            int g = store_catalog_get(other, ot, path.p, &cat);
            if (g == FZ_OK)
                rc = store_catalog_put(b->s, b->txn, path.p, &cat);
            else if (g != FZ_ENOTFOUND)
                rc = g;
        }
        if (rc)
            break;
        ne += w->files[w->nfiles - 1].n;
        nf++;
        fz_arena_destroy(a);
        if (!(a = fz_arena_create()))
            rc = FZ_ENOMEM;
        r = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    if (!rc && r && r != MDB_NOTFOUND)
        rc = store_lmdb_err(r, "reading the other index", msg, msglen);
    mdb_cursor_close(cur);
    mdb_txn_abort(ot);
    fz_arena_destroy(a);
    fz_buf_free(&path);
    if (nfiles)
        *nfiles = nf;
    if (nentries)
        *nentries = ne;
    if (rc)
        b->err = rc;
    return rc;
}

/* -------------------------------------------------------------- removal */

/* Removes docs [lo, hi] from every block of one term.  Blocks never
 * overlap, so after rewriting a block the walk goes on from the first
 * block starting after it. */
static int remove_from_term(build *b, MDB_cursor *cur, int delta, int field, const char *term, size_t len,
                            uint32_t lo, uint32_t hi, store_dlen_cache *dc)
{
    /* a packed term: its pack is written again without the documents (the
     * delta tier has no packs) */
    int rc = delta ? FZ_ENOTFOUND
                   : store_tpack_remove(b->s, b->txn, field, term, len, lo, hi, NULL, NULL, b->emsg, b->emsglen);
    if (rc != FZ_ENOTFOUND)
        return rc;
    uint8_t key[STORE_KEY_MAX];
    MDB_val k = {store_post_key(key, field, term, len, lo), key}, v;
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    /* the block holding lo may start before it: look one back */
    if (rc == MDB_NOTFOUND)
        rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
    else if (rc == 0 && !(same_term(&k, field, term, len) && fz_be32_get((uint8_t *)k.mv_data + len + 2) == lo)) {
        rc = mdb_cursor_get(cur, &k, &v, MDB_PREV);
        if (rc == 0 && !same_term(&k, field, term, len))
            rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
        else if (rc == MDB_NOTFOUND)
            rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    }
    while (rc == 0 && same_term(&k, field, term, len)) {
        uint32_t first = fz_be32_get((uint8_t *)k.mv_data + len + 2);
        if (first > hi)
            return FZ_OK;
        store_block blk;
        if (store_block_open(&blk, first, v.mv_data, v.mv_size) || blk.nopos == store_field_positions(field))
            return FZ_ECORRUPT;
        if (blk.last < lo) {
            rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
            continue;
        }
        store_bb_begin(&b->bb, field);
        store_range gone = {lo, hi - lo + 1};
        if ((rc = store_bb_add_block(b->s, b->txn, dc, &blk, &b->bb, &b->posbuf, &b->posbuf_cap, &gone, 1)))
            return rc;
        uint32_t last = blk.last;
        if ((rc = mdb_cursor_del(cur, 0)))
            return store_lmdb_err(rc, "removing postings", b->emsg, b->emsglen);
        wrote(b, 8192);
        if (b->bb.ndocs) {
            if (store_bb_finish(&b->bb, avg_len(b), &b->val))
                return FZ_ENOMEM;
            uint8_t nk[STORE_KEY_MAX];
            MDB_val kk = {store_post_key(nk, field, term, len, b->bb.first), nk};
            MDB_val vv = {b->val.len, b->val.p};
            if ((rc = mdb_put(b->txn, store_dbi(b->s, delta ? STORE_DB_DPOST : STORE_DB_POST), &kk, &vv, 0)))
                return store_lmdb_err(rc, "rewriting postings", b->emsg, b->emsglen);
            store_bb_reset(&b->bb);
        }
        if (last >= hi)
            return FZ_OK;
        k.mv_size = store_post_key(key, field, term, len, last + 1);
        k.mv_data = key;
        rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    }
    if (rc && rc != MDB_NOTFOUND)
        return store_lmdb_err(rc, "reading postings", b->emsg, b->emsglen);
    return FZ_OK;
}

int build_remove_file(build *b, const char *path, uint32_t *nentries, char *msg, size_t msglen)
{
    return remove_file(b, path, 0, nentries, msg, msglen);
}

/* Removes a file; its catalog record stays when keep_catalog (the file is
 * being indexed again). */
static int remove_file(build *b, const char *path, int keep_catalog, uint32_t *nentries, char *msg, size_t msglen)
{
    if (b->err)
        return b->err;
    b->emsg = msg;
    b->emsglen = msglen;
    store_file f;
    int rc = store_file_get(b->s, b->txn, path, &f);
    if (rc)
        return rc == FZ_ENOTFOUND ? rc : (b->err = rc);
    if (nentries)
        *nentries = f.nentries;
    /* The main thread's worker collects the distinct terms of the file's
     * entries by analysing their stored fields again, as on_record did. */
    worker *w = b->mw;
    if (w->nent || w->nfiles) {
        /* it holds merged records of this epoch: write them first */
        if ((rc = flush_epoch(b, 0)))
            return b->err = rc;
    }
    fz_arena *arena = fz_arena_create();
    if (!arena)
        return b->err = FZ_ENOMEM;
    clear_terms(w, 0);
    w->path = path;
    uint64_t sumlen = 0, live = 0;
    /* an update removing a file of the main tree leaves its postings
     * there, dead (DEAD ENTRIES in store.c): per term, the entries that
     * have it (tcnt) */
    int dead = b->delta && f.first_id < b->dbase;
    uint32_t *tcnt = NULL;
    size_t tcap = 0;
    for (uint32_t i = 0; i < f.nentries && !rc; i++) {
        store_entry e;
        int r = store_entry_get(b->s, b->txn, f.first_id + i, arena, &e);
        if (r == FZ_ENOTFOUND)
            continue;
        if (r) {
            rc = r;
            break;
        }
        live++;
        sumlen += e.npos;
        uint32_t te, np;
        rc = analyze_record(w, e.title, e.title_len, e.body, e.body_len, e.authors, e.author_len, e.nauthors,
                            e.section, e.section_len, e.nsection, e.kind, &te, &np);
        if (!rc && dead && w->nterms > tcap) {
            size_t cap = (size_t)w->nterms * 2;
            uint32_t *c = realloc(tcnt, cap * sizeof *c);
            if (!c)
                rc = FZ_ENOMEM;
            else {
                tcnt = c;
                memset(tcnt + tcap, 0, (cap - tcap) * sizeof *tcnt);
                tcap = cap;
            }
        }
        /* the entry's distinct terms: its slots */
        for (uint32_t j = 0; !rc && dead && j < w->nslot; j++)
            tcnt[w->es[j].tid]++;
        w->net = 0;
    }
    fz_arena_destroy(arena);
    if (!rc && dead && f.nentries) {
        for (uint32_t t = 0; t < w->nterms && !rc; t++) {
            const term_acc *ta = &w->terms[t];
            if (tcnt[t])
                rc = store_dfix_add(b->s, b->txn, ta->field, term_bytes(w, ta), ta->len, tcnt[t], msg, msglen);
        }
        if (!rc)
            rc = store_dead_add(b->s, b->txn, f.first_id, f.nentries, msg, msglen);
    }
    free(tcnt);
    /* drop the documents from those terms' blocks, in the tree their ids
     * are in (a file's are all below the delta's base or all from it) */
    if (!rc && f.nentries && !dead) {
        int delta = b->delta && f.first_id >= b->dbase;
        MDB_cursor *cur;
        if ((rc = mdb_cursor_open(b->txn, store_dbi(b->s, delta ? STORE_DB_DPOST : STORE_DB_POST), &cur)))
            rc = store_lmdb_err(rc, "removing postings", msg, msglen);
        else {
            store_dlen_cache dc = {0};
            for (uint32_t t = 0; t < w->nterms && !rc; t++) {
                const term_acc *ta = &w->terms[t];
                rc = remove_from_term(b, cur, delta, ta->field, term_bytes(w, ta), ta->len, f.first_id,
                                      f.first_id + f.nentries - 1, &dc);
            }
            mdb_cursor_close(cur);
        }
    }
    clear_terms(w, 0);
    w->path = NULL;
    /* entries, lengths, the file record, statistics */
    if (!rc)
        rc = store_entry_del_range(b->s, b->txn, f.first_id, f.nentries, msg, msglen);
    if (!rc && f.nentries) {
        uint32_t *zeros = calloc(f.nentries, sizeof *zeros);
        if (!zeros)
            rc = FZ_ENOMEM;
        else
            rc = store_dlen_put(b->s, b->txn, f.first_id, zeros, f.nentries, msg, msglen);
        free(zeros);
    }
    if (!rc) {
        MDB_val k = {strlen(path), (void *)path};
        uint8_t kb[4];
        fz_be32_put(kb, f.file_id);
        MDB_val ik = {4, kb};
        int r = mdb_del(b->txn, store_dbi(b->s, STORE_DB_FILE), &k, NULL);
        if (!r)
            r = mdb_del(b->txn, store_dbi(b->s, STORE_DB_FILEID), &ik, NULL);
        if (r && r != MDB_NOTFOUND)
            rc = store_lmdb_err(r, "removing a file record", msg, msglen);
        if (!rc && !keep_catalog)
            rc = store_catalog_del(b->s, b->txn, path);
    }
    if (!rc) {
        b->st.nentries -= live < b->st.nentries ? live : b->st.nentries;
        b->st.sumlen -= sumlen < b->st.sumlen ? sumlen : b->st.sumlen;
        if (b->st.nfiles)
            b->st.nfiles--;
    }
    if (rc)
        b->err = rc;
    return rc;
}

void build_set_catalog(build *b, const catalog *c, build_catalog_warn_fn warn, void *ctx)
{
    b->cat = c;
    b->cat_warn = warn;
    b->cat_ctx = ctx;
}

/* Stores the catalog's rows (build_set_catalog): each indexed file takes
 * the row with the longest file that matches its path; a row that no file
 * takes, or that several take, is reported and left out. */
static int apply_catalog(build *b)
{
    const catalog *c = b->cat;
    size_t nr = catalog_count(c);
    uint32_t *takers = calloc(nr ? nr : 1, sizeof *takers);
    if (!takers)
        return FZ_ENOMEM;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(b->txn, store_dbi(b->s, STORE_DB_FILE), &cur);
    if (rc) {
        free(takers);
        return store_lmdb_err(rc, "reading file records", b->emsg, b->emsglen);
    }
    /* pass 0 counts each row's files, pass 1 writes the unambiguous ones */
    fz_buf path = {0};
    for (int pass = 0; pass < 2 && !rc; pass++) {
        MDB_val k, v;
        int r;
        for (r = mdb_cursor_get(cur, &k, &v, MDB_FIRST); r == 0 && !rc; r = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
            size_t best = nr, bestlen = 0;
            for (size_t i = 0; i < nr; i++) {
                const catalog_row *row = catalog_row_at(c, i);
                size_t fl = strlen(row->file);
                if (catalog_match(row, k.mv_data, k.mv_size) && (best == nr || fl > bestlen)) {
                    best = i;
                    bestlen = fl;
                }
            }
            if (best == nr)
                continue;
            if (pass == 0) {
                takers[best]++;
                continue;
            }
            if (takers[best] != 1)
                continue;
            const catalog_row *row = catalog_row_at(c, best);
            store_catalog sc = {row->title, strlen(row->title), row->place, strlen(row->place), row->has_year,
                                row->year};
            path.len = 0;
            if (fz_buf_append(&path, k.mv_data, k.mv_size)) {
                rc = FZ_ENOMEM;
                break;
            }
            /* the cursor's position survives a put into another database */
            rc = store_catalog_put(b->s, b->txn, path.p, &sc);
        }
        if (!rc && r && r != MDB_NOTFOUND)
            rc = store_lmdb_err(r, "reading file records", b->emsg, b->emsglen);
    }
    mdb_cursor_close(cur);
    fz_buf_free(&path);
    for (size_t i = 0; i < nr && !rc; i++)
        if (takers[i] != 1 && b->cat_warn)
            b->cat_warn(b->cat_ctx, catalog_row_at(c, i), takers[i]);
    free(takers);
    return rc;
}

/* The number an environment variable (the tests' and benchmarks' knobs)
 * starts with, or dflt when it is unset or does not start with a digit. */
static uint64_t env_number(const char *name, uint64_t dflt)
{
    const char *e = getenv(name);
    return e && *e >= '0' && *e <= '9' ? strtoull(e, NULL, 10) : dflt;
}

/* An update's end: whether the delta tier has reached BUILD_DELTA_SHARE
 * of the main tree's pages (DELTA TIER in store.c), so that build_commit
 * merges it once the update is committed. */
static int delta_wants_merge(build *b, int *yes)
{
    uint64_t dp, pp;
    int rc = store_delta_share(b->s, b->txn, &dp, &pp);
    if (rc) {
        fz_msg(b->emsg, b->emsglen, "reading the postings' size: LMDB failed");
        return rc;
    }
    uint64_t share = env_number("FZINDEX_DELTA_SHARE", BUILD_DELTA_SHARE);
    *yes = dp && dp * 100 >= pp * share;
    return FZ_OK;
}

/* Merges the delta tier into the main tree in transactions of their own
 * (MERGING in store.c), each reading about BUILD_MERGE_STEP per mille of
 * the bytes of the two trees (FZINDEX_MERGE_STEP overrides it), until it
 * is done, or until stop transactions are done (0: no such limit; the
 * tests' FZINDEX_MERGE_STOP, which leaves the merge under way as a
 * killed run would). */
static int delta_merge_steps(store *s, unsigned long stop, char *msg, size_t msglen)
{
    uint64_t step = env_number("FZINDEX_MERGE_STEP", BUILD_MERGE_STEP);
    for (unsigned long i = 0; !stop || i < stop; i++) {
        MDB_txn *txn;
        uint64_t dp, pp;
        int done = 0;
        int rc = store_begin(s, 1, &txn, msg, msglen);
        if (rc)
            return rc;
        if ((rc = store_delta_share(s, txn, &dp, &pp))) {
            fz_msg(msg, msglen, "reading the postings' size: LMDB failed");
        } else {
            /* pages of 4 KB: a share of the bytes of both trees' pages */
            uint64_t bytes = (pp + dp) * 4096 / 1000 * step;
            rc = store_delta_merge(s, txn, bytes > BUILD_MERGE_MIN ? bytes : BUILD_MERGE_MIN, &done, msg, msglen);
        }
        if (rc) {
            mdb_txn_abort(txn);
            return rc;
        }
        if ((rc = store_commit(s, txn, "merging the delta tier", msg, msglen)) || done)
            return rc;
    }
    return FZ_OK;
}

int build_commit(build *b, char *msg, size_t msglen)
{
    if (b->err)
        return b->err;
    b->emsg = msg;
    b->emsglen = msglen;
    int merge = 0;
    int rc = flush_epoch(b, 1);
    if (!rc && b->cat)
        rc = apply_catalog(b);
    if (!rc && b->delta)
        rc = delta_wants_merge(b, &merge);
    if (!rc)
        rc = store_stats_put(b->s, b->txn, &b->st);
    if (rc)
        return b->err = rc;
    double t0 = mono();
    rc = store_commit(b->s, b->txn, "committing the index", msg, msglen);
    b->txn = NULL;
    if (getenv("FZINDEX_TIMING"))
        fprintf(stderr, "fzindex: committed in %.2f s\n", mono() - t0);
    if (rc)
        return b->err = rc;
    /* the update is durable; the merge follows in steps */
    if (merge)
        rc = delta_merge_steps(b->s, (unsigned long)env_number("FZINDEX_MERGE_STOP", 0), msg, msglen);
    return rc ? (b->err = rc) : FZ_OK;
}

size_t build_mem_used(const build *b) { return mem_used((build *)b); }

uint64_t build_added(const build *b)
{
    /* written ones, plus the records worker 0 (which sees every file) and
     * the main thread have gathered in this batch */
    uint64_t n = b->added + __atomic_load_n(&b->mw->nent, __ATOMIC_RELAXED);
    if (b->nw)
        n += __atomic_load_n(&b->w[0].nent, __ATOMIC_RELAXED);
    return n;
}

void build_destroy(build *b)
{
    if (!b)
        return;
    if (b->mu_ok) {
        pthread_mutex_lock(&b->mu);
        b->stop = 1;
        pthread_cond_broadcast(&b->cv_job);
        pthread_mutex_unlock(&b->mu);
        for (int i = 0; i < b->nw; i++)
            if (b->w[i].started)
                pthread_join(b->w[i].th, NULL);
        for (int i = 0; i < b->nw; i++) {
            for (rchunk *c = b->w[i].rq_head, *n; c; c = n) {
                n = c->next;
                free(c);
            }
            free(b->fill[i]);
        }
        for (rchunk *c = b->spare, *n; c; c = n) {
            n = c->next;
            free(c);
        }
        pthread_cond_destroy(&b->cv_job);
        pthread_cond_destroy(&b->cv_idle);
        pthread_cond_destroy(&b->cv_prep);
        pthread_mutex_destroy(&b->mu);
    }
    if (b->txn)
        mdb_txn_abort(b->txn);
    if (b->w)
        for (int i = 0; i <= b->nw; i++)
            worker_free(&b->w[i]);
    free(b->w);
    if (b->rw)
        worker_free(b->rw);
    free(b->rw);
    for (int i = 0; i < b->nruns; i++) {
        if (b->runs[i].f)
            fclose(b->runs[i].f);
    }
    free(b->runs);
    free(b->lens);
    fz_buf_free(&b->blk);
    fz_buf_free(&b->erec);
    store_entry_writer_free(&b->ew);
    fz_buf_free(&b->jn.rec);
    fz_buf_free(&b->jn.skip);
    fz_buf_free(&b->val);
    store_bb_free(&b->bb);
    store_tpack_free(&b->tpk);
    free(b->posbuf);
    free(b->epoch_text);
    free(b);
}
