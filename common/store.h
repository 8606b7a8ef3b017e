/*
 * store.h -- the index on disk: one LMDB environment, its named databases,
 * and the codecs of every record kept in them.  The layout itself is
 * written down at the top of store.c.  Implemented by store.c,
 * store_entry.c (entries) and store_post.c (postings); store_int.h is
 * their private header.
 *
 * Callers: the indexer (indexer/build.c writes entries, postings and
 * statistics), the searcher (searcher/search.c reads them), fzindex --check,
 * --list, --pack and --merge.
 *
 * Lifetime.  A store owns the MDB_env; pointers into LMDB values (posting
 * blocks, file records) are valid until the transaction they were read in
 * ends, as LMDB itself promises.  Decoded entries point into the caller's
 * arena.
 */
#ifndef STORE_H
#define STORE_H

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

#include "fz.h"

#define STORE_FORMAT 8          /* bumped on any incompatible change (2: phrase folding;
                                   3: skip tables in posting blocks; 4: block impacts,
                                   entry strings in the text code; 5: volume titles and
                                   the catalog, entries in zstd blocks; 6: term packs,
                                   bit-packed streams in posting blocks, no skip tables,
                                   entry blocks in two parts, metadata and text;
                                   7: the ranked text code, join maps in entry blocks;
                                   the delta tier, an update's postings apart in "dpost",
                                   and removed entries left in "post", dead, "dfix";
                                   CJK unigrams of title and body under their own field,
                                   without positions; 8: entry text in groups of small
                                   zstd frames with the index's dictionary) */
#define STORE_MAGIC "fangzhi-index"

/* Field codes: the first byte of every posting key. */
enum {
    STORE_F_TEXT = 'b',    /* title and body (title positions come first): words and CJK bigrams */
    STORE_F_UNI = 'u',     /* the CJK unigrams of title and body: ids and frequencies, no
                            * positions (a reader that needs a lone character's places takes
                            * them from the entry's text, analysed again) */
    STORE_F_AUTHOR = 'a',
    STORE_F_SECTION = 's',
    STORE_F_FILE = 'f',
    STORE_F_KIND = 'k'
};

enum store_db { STORE_DB_META, STORE_DB_ENTRY, STORE_DB_FILE, STORE_DB_FILEID, STORE_DB_POST,
                STORE_DB_DLEN, STORE_DB_CATALOG, STORE_DB_DPOST, STORE_DB_DFIX, STORE_DB_COUNT };

enum {
    STORE_READ = 0,     /* open an existing index read-only */
    STORE_WRITE = 1,    /* open read-write, creating the directory and index if missing */
};

typedef struct store store;

/* The index both programs use without --db: $FANGZHI_DB, else
 * $XDG_DATA_HOME/fangzhi/index, else $HOME/.local/share/fangzhi/index.
 * Returns the environment's string or buf, or NULL when none of the three
 * is set (or all are empty): the caller refuses then. */
const char *store_default_path(char *buf, size_t n);

/* Opens the index at path: a directory (data.mdb inside), or a single file
 * (a packed archive written by store_pack, always read-only).  Checks the
 * magic and format version.  Errors: FZ_ENOTFOUND (no index there, read
 * mode), FZ_EFORMAT (not an index, or another format version: msg says
 * which and suggests re-indexing), FZ_EBUSY, FZ_ELMDB, FZ_EIO. */
int store_open(const char *path, int mode, store **out, char *msg, size_t msglen);
/* store_open(path, STORE_WRITE, ...) for a writer that expects to add
 * about grow bytes to the index (it sizes the writable map, see WRITERS in
 * store.c; more is only a larger sparse file while the writer runs).  A
 * writer waits for the one before it to close (an exclusive flock on
 * data.mdb, held until store_close).  perm is the widest mode the data
 * file may have (0644; 0600 for an index of private sources): a new file
 * is created so, an existing wider one is narrowed (PERMISSIONS in
 * store.c).  From open to close the writer's file is registered with
 * common/guard.h, which cuts it back to its committed pages on a fault
 * or a stop. */
int store_open_write(const char *path, uint64_t grow, unsigned perm, store **out, char *msg, size_t msglen);
/* Closes the index; a writer's data file is cut back to the pages in use
 * and its lock released.  NULL is safe. */
void store_close(store *s);
/* The bytes of the index's pages in use (its committed snapshot): the
 * real size of the index, whatever the data file's length while a writer
 * has it open.  0 for NULL. */
uint64_t store_size(store *s);
/* Commits txn (every writer's commit goes through here): SIGINT, SIGTERM
 * and SIGHUP wait meanwhile, and guard.h learns the new committed length.
 * Returns 0 or the FZ_* code of the failure with "what: why" in msg; txn
 * is gone either way. */
int store_commit(store *s, MDB_txn *txn, const char *what, char *msg, size_t msglen);

MDB_env *store_env(store *s);
MDB_dbi store_dbi(const store *s, enum store_db which);
int store_readonly(const store *s);

/* Begins a transaction (write = 1, only on a store opened for writing,
 * which already holds the writers' lock). */
int store_begin(store *s, int write, MDB_txn **txn, char *msg, size_t msglen);
/* Maps an LMDB return code to FZ_* and writes "what: mdb_strerror" to msg. */
int store_lmdb_err(int rc, const char *what, char *msg, size_t msglen);

/* Drops the pages of the index file mapped into this process from its
 * resident set (they stay in the page cache; LMDB faults them back in when
 * it reads them).  The indexer calls it after each batch so that its
 * resident memory does not grow with the index.  No effect elsewhere. */
void store_release_map(store *s);

/* Starts a thread that maps into this process, ahead of the reads, the
 * pages of the index file that the page cache already holds, when they
 * come to at most cap bytes: a process that runs many queries (a batch,
 * the server) then takes fewer page faults on them.  Where a fault is dear
 * (about 25 us here, in a guest under PVM, each fault mapping 16 pages),
 * they are a large part of a fresh process's first hundreds of queries;
 * madvise(MADV_POPULATE_READ) over a run of held pages costs about 0.2 us
 * a page, on the other core.  Reads nothing from disk (mincore picks the
 * pages held); the thread only calls mincore and madvise.  A kernel
 * without MADV_POPULATE_READ (before Linux 5.14), more than cap bytes held
 * or a failure to start the thread leave the map as it was.  The queries
 * that run beside it pay for it: the first of a bench batch took 8-12 ms
 * instead of 3.5 (HACKING.md, h25).  store_close stops the thread (between
 * 2 MB steps) and waits for it.  Returns 1 when the thread started, else
 * 0; a second call does nothing. */
int store_map_warm(store *s, size_t cap);
/* The bytes store_map_warm's thread has mapped so far (0 when none). */
size_t store_map_warmed(store *s);

/* The directory holding the index's data file (for temporary files). */
void store_dir(const store *s, char *buf, size_t n);

/* Writes a packed archive of the index to path: a dense copy (its pages
 * as full as a fresh build's, no free pages) and a trailer with its checksum (PACKED ARCHIVES in store.c), with the
 * mode of the index's data file.  Fails if path exists (FZ_EINVAL); on
 * any failure (FZ_EIO, msg "packing into PATH: why") no file is left. */
int store_pack(store *s, const char *path, char *msg, size_t msglen);
/* Verifies a packed archive's checksum before anything else reads it:
 * FZ_OK; FZ_EFORMAT when it has no trailer (an older pack: msg asks for
 * it to be packed again; or no index at all: msg is store_open's);
 * FZ_ECORRUPT when its length or checksum does not match; FZ_EIO,
 * FZ_ENOTFOUND, FZ_EINVAL (not a regular file).  msg says which and what
 * to do.  Reads the whole file. */
int store_pack_verify(const char *path, char *msg, size_t msglen);

/* ---- collection statistics (meta "stats") ---- */
typedef struct {
    uint64_t nentries;   /* live entries */
    uint64_t sumlen;     /* sum of entry lengths (positions of title+body) */
    uint32_t next_id;    /* next entry id to assign (ids are never reused) */
    uint32_t next_file;  /* next file id */
    uint64_t nfiles;     /* indexed files */
} store_stats;

int store_stats_get(store *s, MDB_txn *txn, store_stats *st);
int store_stats_put(store *s, MDB_txn *txn, const store_stats *st);

/* The average entry length of sumlen over n entries as a block records
 * it for its impact (a0: whole, at least 1, at most UINT32_MAX). */
uint32_t store_avg_len(uint64_t sumlen, uint64_t n);

/* ---- the delta tier (DELTA TIER in store.c) ----
 * An update (fzindex on an index that is not empty) writes its postings
 * into "dpost", in blocks laid out as "post"'s, not into the main tree:
 * the entries from the delta's base id on have their postings there, the
 * ones below it in "post".  A term's postings are its "post" blocks (or
 * its pack), then its "dpost" blocks: readers open a cursor on each and
 * read them one after the other (ids ascend across the two).  Callers:
 * indexer/build.c (writes, removes, merges), searcher/search.c (reads),
 * fzindex --check, store_pack (merges into the archive's "post"). */
/* The delta's base id into *base: FZ_OK; FZ_ENOTFOUND when the index has
 * no delta tier (*base is UINT32_MAX then: every posting is in "post");
 * FZ_ECORRUPT (a malformed record), FZ_ELMDB. */
int store_delta_base(store *s, MDB_txn *txn, uint32_t *base);
/* The base record's value v, n bytes (what store_delta_base reads), into
 * *base (below UINT32_MAX): FZ_OK or FZ_ECORRUPT.  Also for
 * tests/fuzz/fuzz_store. */
int store_delta_base_decode(const uint8_t *v, size_t n, uint32_t *base);
/* Records base as the delta's base id (an update's writer, before its
 * first posting into "dpost", when the index has none).  FZ_OK or an
 * LMDB error with msg. */
int store_delta_base_put(store *s, MDB_txn *txn, uint32_t base, char *msg, size_t msglen);
/* The records in "dpost" (0 when it is empty or cannot be read): readers
 * open no delta cursors when it is 0, so an index without a delta tier
 * costs them nothing. */
uint64_t store_delta_records(store *s, MDB_txn *txn);
/* The pages of "dpost" and of "post" (branch, leaf and overflow), for a
 * writer deciding to merge.  FZ_OK or FZ_ELMDB. */
int store_delta_share(store *s, MDB_txn *txn, uint64_t *delta_pages, uint64_t *post_pages);
/* One step of the merge of the delta tier into the main tree, in this
 * write transaction (MERGING in store.c): the records of "post" from where
 * the step before stopped (its first when no merge is under way) to about
 * max_bytes of records read (0: to the end), and the delta's records of
 * the terms among them, are laid out again as --pack lays them out (a
 * term's blocks joined, small terms packed, removed entries' documents
 * left out, their "dfix" counts dropped; records it would lay out the
 * same are copied); the delta's records moved are
 * deleted from "dpost".  Then either more is left (the "merge" record of
 * "meta" says where the next step goes on: every writer finishes the
 * merge before it writes anything else, see build_create), or the index
 * has no delta tier and no removed entries left (*done = 1).  Every step
 * leaves an index that answers as before, so that readers may read
 * between steps and a run killed between them loses nothing; the pages a
 * step frees are reused by the step after next (FREE PAGES in store.c),
 * so a merge in steps of max_bytes grows the file by about two steps'
 * pages, not by a copy of "post".  FZ_OK, FZ_ECORRUPT, FZ_ENOMEM, LMDB
 * errors with msg. */
int store_delta_merge(store *s, MDB_txn *txn, uint64_t max_bytes, int *done, char *msg, size_t msglen);
/* 1 when a merge of the delta tier is under way, with the key of "post"
 * where its next step begins copied to key (STORE_KEY_MAX bytes) and its
 * length to *klen: "post" holds the delta's postings of the terms before
 * it (with ids from the delta's base on), "dpost" those of the terms from
 * it on.  0 when no merge is under way; FZ_ECORRUPT (a malformed record),
 * FZ_ELMDB. */
int store_delta_merging(store *s, MDB_txn *txn, uint8_t *key, size_t *klen);

/* ---- removed entries of the main tree (DEAD ENTRIES in store.c) ----
 * An update that removes a file whose postings are in "post" leaves them
 * there: it records the file's id range as dead and, per term, how many
 * of its documents are dead ("dfix"), so that readers skip those
 * documents and count a term's documents as a fresh build would. */
typedef struct {
    uint32_t first, n;        /* ids first .. first+n-1 */
} store_range;
/* The dead ranges, ascending and disjoint, into *r (malloc'd: the caller
 * frees it; NULL when there are none) and *n.  FZ_OK, FZ_ECORRUPT (a
 * malformed record), FZ_ENOMEM, FZ_ELMDB. */
int store_dead_get(store *s, MDB_txn *txn, store_range **r, size_t *n);
/* The "dead" record's value v, len bytes (what store_dead_get reads),
 * into *r and *n as store_dead_get gives them: each range of at least one
 * id, ascending, disjoint, ending at most at UINT32_MAX.  FZ_OK,
 * FZ_ECORRUPT, FZ_ENOMEM.  Also for tests/fuzz/fuzz_store. */
int store_dead_decode(const uint8_t *v, size_t len, store_range **r, size_t *n);
/* Appends the record of the n ranges r (as store_dead_decode gives them)
 * to b: FZ_OK, FZ_EINVAL (ranges not so), FZ_ENOMEM (b then holds a part:
 * the caller frees it). */
int store_dead_encode(const store_range *r, size_t n, fz_buf *b);
/* Adds the range first .. first+n-1 (n >= 1, below every dead range's
 * or above it, disjoint from them).  FZ_OK, FZ_EINVAL, FZ_ENOMEM, LMDB
 * errors with msg. */
int store_dead_add(store *s, MDB_txn *txn, uint32_t first, uint32_t n, char *msg, size_t msglen);
/* The end (last id + 1) of the dead range holding id, 0 when none does. */
uint32_t store_dead_end(const store_range *r, size_t n, uint32_t id);
/* The dead documents of term in "post" into *n (0 when it has none).
 * FZ_OK, FZ_ECORRUPT, FZ_ELMDB. */
int store_dfix_get(store *s, MDB_txn *txn, int field, const char *term, size_t len, uint64_t *n);
/* A "dfix" value v, len bytes (one varint, nothing after), into *n:
 * FZ_OK or FZ_ECORRUPT.  Also for tests/fuzz/fuzz_store. */
int store_dfix_decode(const uint8_t *v, size_t len, uint64_t *n);
/* Adds n to them.  FZ_OK, LMDB errors with msg. */
int store_dfix_add(store *s, MDB_txn *txn, int field, const char *term, size_t len, uint64_t n, char *msg,
                   size_t msglen);

/* ---- entries ---- */
typedef struct {
    uint32_t id;
    uint32_t file_id;
    uint32_t line;
    uint8_t kind;             /* fz_kind (common/kind.h) */
    uint32_t title_npos;      /* positions taken by the title (body starts there) */
    uint32_t npos;            /* length: positions of title and body */
    const char *title; size_t title_len;
    const char *body; size_t body_len;
    size_t nsection; const char **section; size_t *section_len;
    size_t nauthors; const char **authors; size_t *author_len;
    const uint8_t *join; size_t join_len; /* its join map (store_join_get), not part of a record:
                                             set by the readers of blocks (in the value;
                                             NULL, 0 when it has none, from a record and
                                             from store_entry_meta_get) */
} store_entry;

/* Appends e's record to out: its strings in the text code of store.c
 * (CJK in two bytes).  FZ_ENOMEM. */
int store_entry_encode(const store_entry *e, fz_buf *out);
/* Decodes one record: the strings (NUL-terminated) and arrays are
 * allocated from arena and live as long as it does.  FZ_ECORRUPT when val
 * is malformed (or memory runs out). */
int store_entry_decode(const void *val, size_t len, fz_arena *arena, store_entry *e);
/* Entry id, decoded as store_entry_decode does (its block's text, or of a
 * block of groups its group's, decompressed into arena too).  FZ_ENOTFOUND when no block holds it (a removed or
 * unused id), FZ_ECORRUPT, FZ_ELMDB.  Searcher snippets, --show, kwic,
 * groupings, --merge and --export read entries through here. */
int store_entry_get(store *s, MDB_txn *txn, uint32_t id, fz_arena *arena, store_entry *e);
/* Entry id's metadata only, as store_entry_get reads it but with the title
 * and body empty ("", length 0): reads only its block's metadata part
 * (ENTRY BLOCKS in store.c), without decompressing the text.  The same
 * errors.  For what needs no text: the reading room's side panel, the
 * reading order of --sort source. */
int store_entry_meta_get(store *s, MDB_txn *txn, uint32_t id, fz_arena *arena, store_entry *e);
/* A reader's cache of the entry block it read last, its text decompressed
 * (snippets often come from neighbouring entries: on the poetry bench 27%
 * of the top-10 hits are in the block of the hit before), and of the
 * places of the blocks store_entry_cache_prefetch found.  One per thread:
 * a search handle has one.  FZ_ENOMEM. */
typedef struct store_entry_cache store_entry_cache;
int store_entry_cache_create(store_entry_cache **out);
void store_entry_cache_destroy(store_entry_cache *c); /* NULL is safe */
/* store_entry_get through c: the block's text (of a block of groups, the
 * group's) is decompressed again only when the block (group) is not the
 * one c holds (the same value in the same LMDB snapshot: a block written
 * since is read anew), and a block c holds or found is not looked up
 * again (in the same snapshot).  txn is a read
 * transaction (a write transaction changes its pages in place).  c may be
 * NULL.  The same results and errors; e's strings are in arena, as ever,
 * not in c. */
int store_entry_get_cached(store *s, MDB_txn *txn, store_entry_cache *c, uint32_t id, fz_arena *arena,
                           store_entry *e);
/* Looks up the block of entry id and has the CPU bring its value (a 4 KB
 * page, most of which a read touches) into its cache, so that a read of
 * id through c soon after (store_entry_get_cached) neither looks it up
 * again nor waits for memory: c remembers the places of the last
 * STORE_ENTRY_PREFETCH blocks so found (in that snapshot only), nothing
 * decompressed.  A searcher calls it for its hits before it reads them
 * (search.c: while it finds their spans).  No result: an id it cannot find
 * is left to the read, which reports it.  txn is a read transaction, as
 * above; c NULL does nothing. */
#define STORE_ENTRY_PREFETCH 16
void store_entry_cache_prefetch(store *s, MDB_txn *txn, store_entry_cache *c, uint32_t id);
/* FZ_OK when a block holds entry id, FZ_ENOTFOUND when none does,
 * FZ_ECORRUPT, FZ_ELMDB.  Decompresses nothing. */
int store_entry_exists(store *s, MDB_txn *txn, uint32_t id);

/* ---- entry blocks ----
 * Entries are stored in blocks of up to STORE_ENTRY_BLOCK consecutive ids
 * of one file, their text compressed with zstd, in groups of a few entries
 * with the index's text dictionary when it has one (ENTRY BLOCKS in
 * store.c), keyed by the last id.  Writers add records in id order through a
 * store_entry_writer; fzindex --check walks the blocks with
 * store_entry_block_open/next. */
#define STORE_ENTRY_BLOCK 128     /* entries a block at most */
#define STORE_ENTRY_LEVEL 3       /* zstd's compression level (a block's one frame) */
#define STORE_ENTRY_GROUP_LEVEL 2 /* the groups' level, with the text dictionary: on
                                   * groups this small, 2 writes a little less than
                                   * 3 (the poetry bench's index 157,728,768 bytes
                                   * against 157,736,960, 100 MB of bench/gen text
                                   * 213,676,032 against 214,413,312; 1: 157,769,728
                                   * and 216,928,256) for 5 % less of the build's CPU
                                   * (task-clock medians of 5 interleaved builds:
                                   * 5,233 against 5,495 ms) */
#define STORE_ENTRY_MAX_RATIO 255 /* a block shrinks at most this much, else it is stored raw */
#define STORE_ENTRY_GROUP 512     /* bytes of text a group of entries at most (but for one
                                   * entry alone), one zstd frame with the dictionary */
#define STORE_TDICT_SIZE 65536    /* the text dictionary's bytes at most */
#define STORE_TDICT_TRAIN (4u << 20) /* text a writer gathers to train one */
#define STORE_TDICT_MIN (1u << 20)   /* text it needs at least, else no dictionary */
/* how it is trained: zstd's fastCover (ZDICT_optimizeTrainFromBuffer_fastCover)
 * with its segment size k and d fixed, so one training where
 * ZDICT_trainFromBuffer tried five k (50 .. 1998, d 8, each trained on three
 * quarters of the samples and tried on the rest): 537 is the k that search
 * picks on the poetry bench, so the dictionary there is the same, for a
 * fifth of the CPU (0.46 -> 0.09 s); the level is STORE_ENTRY_LEVEL */
#define STORE_TDICT_K 537
#define STORE_TDICT_D 8
/* the method byte of a block's text: raw, one zstd frame, groups of frames
 * with the index's dictionary (ENTRY BLOCKS in store.c) */
enum { STORE_ENTRY_RAW = 0, STORE_ENTRY_ZSTD = 1, STORE_ENTRY_GROUPS = 2 };

/* The index's text dictionary (meta "tdict", ENTRY BLOCKS in store.c),
 * ready for decompression: made from its bytes by store_tdict_create
 * (FZ_ECORRUPT when zstd refuses them, FZ_ENOMEM), freed by
 * store_tdict_destroy (NULL is safe). */
typedef struct store_tdict store_tdict;
int store_tdict_create(const void *dict, size_t len, store_tdict **out);
void store_tdict_destroy(store_tdict *d);
/* The dictionary of txn's snapshot of s's index, for store_entry_block_open:
 * NULL when that snapshot has none or it does not load (its blocks of
 * groups are then FZ_ECORRUPT).  An index gets its dictionary once and
 * keeps it, so a store opened before a writer committed the first one
 * loads it here, from the first transaction that sees it, and keeps it
 * (threads sharing s may call this at once).  txn NULL: the one s has
 * loaded, if any.  Valid until store_close. */
const store_tdict *store_tdict_of(store *s, MDB_txn *txn);
/* FZ_OK when the index of txn has no text dictionary or one that loads;
 * FZ_ECORRUPT with msg when it does not load (fzindex --check), FZ_ELMDB. */
int store_tdict_check(store *s, MDB_txn *txn, char *msg, size_t msglen);

/* Pending records of the block being written; {0} to start, ..._free
 * at the end.  written counts the bytes of the block values put.  While
 * the index has no text dictionary, the first STORE_TDICT_TRAIN bytes of
 * text a writer is given are held (hold) until they train one, then
 * written (ENTRY BLOCKS in store.c).  The training runs on a thread of
 * the writer's own while the records that come meanwhile are held too
 * (up to four times as much text, then store_entry_add waits for it); the
 * dictionary is the first bytes' whenever it is done. */
typedef struct {
    fz_buf raw, val;
    fz_buf hold, grp;                 /* held records (v id, v len, record, v len, join map);
                                       * the groups' frames of the last value made */
    size_t hold_text;                 /* the titles and bodies held, bytes */
    int hold_state;                   /* 0: not asked yet; 1: holding; 2: not holding (the
                                       * index has a dictionary, or the writer trained one
                                       * or had too little text); 3: holding while trainer
                                       * trains one */
    struct store_trainer *trainer;    /* the dictionary being trained on a thread of its own
                                       * (hold_state 3), else NULL */
    struct store_packer *packer;      /* the thread making the block values, else NULL */
    int packer_off;                   /* the writer makes them itself (no dictionary, or
                                       * no thread) */
    fz_buf fit;                       /* the value of the first fit_n records, which fits */
    fz_buf mraw, traw, jraw;          /* the metadata, the text before compression and the
                                       * join maps of the first ser_n pending records, as a
                                       * value of any first m <= ser_n of them begins: record
                                       * i's end at moff, toff, joff[i + 1] */
    uint32_t moff[STORE_ENTRY_BLOCK + 1], toff[STORE_ENTRY_BLOCK + 1], joff[STORE_ENTRY_BLOCK + 1];
    uint32_t ser_n, ser_line;         /* (0 after a block is put); the line of record ser_n - 1 */
    size_t ser_lists, ser_nlists;     /* where in raw the sections and authors last written in
                                       * mraw are (ser_nlists + 1 bytes; 0: none yet) */
    uint32_t off[STORE_ENTRY_BLOCK];  /* where each pending record starts in raw (v len, the
                                         record, v len, its join map) */
    uint32_t grp_end[STORE_ENTRY_BLOCK]; /* group k of grp ends before pending record
                                          * grp_end[k] ... */
    uint32_t grp_off[STORE_ENTRY_BLOCK + 1]; /* ... and starts at grp.p + grp_off[k] */
    uint32_t grp_n;                   /* groups in grp that a value of the pending records
                                       * reuses (0 after a block is put) */
    uint32_t first, n, file_id, fit_n;
    size_t try_at, target;            /* compress when raw reaches try_at; fit target bytes */
    uint64_t written;
} store_entry_writer;
/* Adds the record rec (store_entry_encode's, len bytes) of entry id and
 * its join map (jlen bytes, "join" in store_join_get; jlen 0: none).  The
 * pending block is written first when it is full, or rec is of another
 * file (its first varint), or id does not follow its last: ids must
 * ascend across calls, and all blocks go after the last one in the
 * database (MDB_APPEND).  FZ_EINVAL (a record that does not decode: its
 * numbers and lists are split from its title and body, ENTRY BLOCKS),
 * FZ_ENOMEM, LMDB errors with msg.  Not for two threads at once: the
 * compression context lives in s.  In an index with a text dictionary the
 * blocks are made by w's packer thread and put by the next call (or
 * store_entry_flush), so an error of the packer's (FZ_ENOMEM, FZ_ELIMIT)
 * may come from a later call than the record's; after an error the
 * caller aborts the transaction. */
int store_entry_add(store *s, MDB_txn *txn, store_entry_writer *w, uint32_t id, const void *rec, size_t len,
                    const void *join, size_t jlen, char *msg, size_t msglen);
/* Writes the held records, training the text dictionary on them first
 * when they are STORE_TDICT_MIN bytes of text or more (or waiting for the
 * training under way), and the pending block, if any, waiting for the
 * packer to make every block (before txn commits). */
int store_entry_flush(store *s, MDB_txn *txn, store_entry_writer *w, char *msg, size_t msglen);
/* Frees w's buffers (pending and held records are dropped), after
 * waiting for its training thread, if any. */
void store_entry_writer_free(store_entry_writer *w);
/* Deletes the blocks of entries first .. first+n-1: a file's entries,
 * whose blocks hold no other file's.  0 also when there were none. */
int store_entry_del_range(store *s, MDB_txn *txn, uint32_t first, uint32_t n, char *msg, size_t msglen);

/* A cursor over the entries of one block value. */
typedef struct {
    const uint8_t *p, *end;   /* the records' metadata left (in the value) */
    const uint8_t *lists;     /* the sections and authors of the record before p's (NULL: none yet) */
    const uint8_t *t, *tend;  /* their titles and bodies left (in the value or in the arena) */
    const uint8_t *j, *jend;  /* their join maps left (in the value; NULL: not read) */
    uint32_t file_id, line;   /* the block's file; the line of the record before */
    uint32_t first, n, i;     /* ids first .. first+n-1; i: the next one's index */
} store_entry_block;
/* Opens the block value val whose key is last (the id of its last entry),
 * decompressing its text into arena with the dictionary d (store_tdict_of;
 * NULL: none, and a block of groups is FZ_ECORRUPT).  FZ_ECORRUPT when it is malformed: a
 * count outside 1..STORE_ENTRY_BLOCK or reaching below id 0, metadata that
 * is not n entries' exactly (a first entry sharing the lists of none, a
 * line below 0), join maps that are not n maps exactly (what their bits
 * say is left to --check), an unknown method, a length that does not match, zstd
 * data that does not decode to it, titles and bodies that do not fill it
 * exactly.  Their strings are decoded entry by entry (..._next). */
int store_entry_block_open(const store_tdict *d, const void *val, size_t len, uint32_t last, fz_arena *arena,
                           store_entry_block *b);
/* Decodes the next entry (e->id set): FZ_OK, FZ_ENOTFOUND after the last,
 * FZ_ECORRUPT (store_entry_decode's). */
int store_entry_block_next(store_entry_block *b, fz_arena *arena, store_entry *e);

/* ---- files ---- */
typedef struct {
    uint32_t file_id;
    uint32_t first_id;        /* entries of a file have ids first_id .. first_id+nentries-1 */
    uint32_t nentries;
    uint64_t nbytes;          /* size of the source file */
    int64_t mtime;            /* source modification time */
    int64_t indexed_at;       /* when it was indexed (Unix time) */
    char encoding[24];
    const char *volume;       /* the book title of the file's first line (parse_volume), "" when
                               * it has none; NULL is "" for store_file_put */
    size_t volume_len;
} store_file;

/* The record of path.  f->volume points into the LMDB value (valid until
 * txn ends).  FZ_ENOTFOUND, FZ_ECORRUPT, FZ_ELMDB. */
int store_file_get(store *s, MDB_txn *txn, const char *path, store_file *f);
int store_file_put(store *s, MDB_txn *txn, const char *path, const store_file *f);
/* Path of a file id, pointing into the LMDB value (valid until txn ends). */
int store_file_path(store *s, MDB_txn *txn, uint32_t file_id, const char **path, size_t *len);

/* ---- the catalog (fzindex --catalog) ----
 * What a catalog row says of one indexed file, kept under its path.  The
 * strings are UTF-8 and NUL-free; length 0 when the row left the column
 * empty.  Years are those of the edition, negative for BCE, within
 * FZ_YEAR_MIN .. FZ_YEAR_MAX. */
typedef struct {
    const char *title; size_t title_len;
    const char *place; size_t place_len;
    int has_year;
    int32_t year;
} store_catalog;

/* The catalog record of path; the strings point into the LMDB value (valid
 * until txn ends).  FZ_ENOTFOUND when it has none, FZ_ECORRUPT. */
int store_catalog_get(store *s, MDB_txn *txn, const char *path, store_catalog *c);
/* Writes (replaces) path's catalog record.  FZ_EINVAL for a year out of
 * range, FZ_ENOMEM, LMDB errors. */
int store_catalog_put(store *s, MDB_txn *txn, const char *path, const store_catalog *c);
/* Drops path's catalog record; 0 also when it had none. */
int store_catalog_del(store *s, MDB_txn *txn, const char *path);

/* ---- volumes: what a hit says of its file ----
 * For a file id: its path, its entries' id range, the volume title (the
 * catalog's title, else the book title of the file's first line, else the
 * file's base name without its extension) and where that title came from,
 * and the catalog's place and year.  Every pointer points into LMDB values
 * (valid until txn ends).  This is the one accessor for hits, groupings
 * and exports. */
typedef enum { STORE_VOL_FILENAME = 0, STORE_VOL_TEXT = 1, STORE_VOL_CATALOG = 2 } store_vol_source;
typedef struct {
    uint32_t file_id;
    const char *path; size_t path_len;
    uint32_t first_id, nentries;
    const char *title; size_t title_len;
    store_vol_source source;
    const char *place; size_t place_len;   /* "" when the catalog gives none */
    int has_year;
    int32_t year;
} store_volume;
/* FZ_ENOTFOUND (no such file id), FZ_ECORRUPT, FZ_ELMDB. */
int store_volume_get(store *s, MDB_txn *txn, uint32_t file_id, store_volume *v);
/* The base name of path[0..len) without its extension (the last ".x" of
 * the name, unless the name starts with it): sets *off and *n. */
void store_volume_basename(const char *path, size_t len, size_t *off, size_t *n);

/* ---- entry lengths (dlen) ----
 * Length of entry id in positions, 0 for a deleted or unknown id.  The
 * cache remembers the last chunk; it is valid within one transaction.
 * Zeroed ({0}) it is empty.  A reader that goes back and forth between
 * chunks (a lone term's top-k takes its blocks best bound first, not in
 * id order) may give it slots: an array of nslots (a power of two) zeroed
 * store_dlen_slot, which it owns and keeps as long as the cache; chunk c
 * is then remembered in slot c % nslots too, and going back to it looks
 * nothing up in LMDB.  Slots filled in one read transaction may be given
 * to the cache of a later one of the same snapshot (mdb_txn_id equal: no
 * write committed between them, so the pages they point to are the
 * newest snapshot's, which LMDB does not reuse while a reader holds it);
 * of another snapshot they must be zeroed first (the search handle
 * keeps them so from query to query). */
typedef struct {
    const uint32_t *lens; /* NULL: empty */
    uint32_t chunk;
    uint32_t n;
} store_dlen_slot;
typedef struct {
    uint32_t chunk;
    const uint32_t *lens;
    size_t n;
    store_dlen_slot *slots; /* NULL: the last chunk only */
    size_t nslots;
} store_dlen_cache;
uint32_t store_dlen_get(store *s, MDB_txn *txn, store_dlen_cache *c, uint32_t id);
/* Asks the processor to fetch the length of id when c holds its chunk
 * (the last one read, or one of its slots), so that a store_dlen_get of
 * it soon after does not wait on memory; else does nothing.  Reads no
 * LMDB and changes nothing. */
void store_dlen_prefetch(const store_dlen_cache *c, uint32_t id);
/* Sets the lengths of ids first .. first+n-1 (0 marks a deleted entry;
 * a chunk left with zeros only is deleted). */
int store_dlen_put(store *s, MDB_txn *txn, uint32_t first, const uint32_t *lens, size_t n,
                   char *msg, size_t msglen);
#define STORE_DLEN_CHUNK 1024

/* Header of a posting block value: writes it to out (STORE_BLOCK_HDR_MAX
 * bytes of room) and returns its length.  What follows it is
 * store_block_extra's. */
#define STORE_BLOCK_HDR_MAX (5 * FZ_VARINT_MAX)
size_t store_block_header(uint8_t *out, uint32_t ndocs, uint32_t span, uint32_t max_tf_title,
                          uint32_t max_tf_body, uint32_t min_dl);

/* The frequencies of a document in the record form (packs, run files,
 * store_bb; the layout in store.c), after its id delta: the tf code
 * tf_body << 1 | (tf_title > 0), then tf_title when that bit is set; but
 * a lone occurrence in the title (tf_title 1, tf_body 0: every
 * single-valued metadata field) is the code 0 alone.  store_tf_put writes
 * them to out (STORE_TF_MAX bytes of room) and returns their length,
 * store_tf_len only counts it.  Every writer of records (indexer/build.c,
 * store_bb_add) uses them; inline, as a record's other varints are
 * (fz_varint_put32). */
#define STORE_TF_MAX (2 * FZ_VARINT_MAX)
static inline size_t store_tf_put(uint8_t *out, uint32_t tf_title, uint32_t tf_body)
{
    if (tf_title == 1 && tf_body == 0) {
        out[0] = 0;
        return 1;
    }
    uint8_t *p = out;
    if (tf_body >> 31) /* the code needs 33 bits */
        p += fz_varint_put(p, (uint64_t)tf_body << 1 | (tf_title > 0));
    else
        p = fz_varint_put32(p, tf_body << 1 | (tf_title > 0));
    if (tf_title)
        p = fz_varint_put32(p, tf_title);
    return (size_t)(p - out);
}
static inline uint32_t store_tf_len(uint32_t tf_title, uint32_t tf_body)
{
    if (tf_title == 1 && tf_body == 0)
        return 1;
    return (tf_body >> 31 ? 5u : fz_varint_len32(tf_body << 1)) + (tf_title ? fz_varint_len32(tf_title) : 0);
}

/* ---- joins ----
 * Bit p of entry id's join map is set when text position p holds a CJK
 * character joined to the one at p-1 (a bigram starts at p-1).  The ?
 * wildcard and the joins a phrase's dropped bigrams leave are answered from
 * it.  It is kept in the entry's block, outside the compressed text
 * (ENTRY BLOCKS in store.c), so reading it decompresses nothing.  *map
 * points into LMDB (valid until the transaction ends); FZ_ENOTFOUND when
 * the entry has no bit set or does not exist (*map NULL, *len 0);
 * FZ_ECORRUPT when its block's metadata or maps do not walk to it. */
int store_join_get(store *s, MDB_txn *txn, uint32_t id, const uint8_t **map, size_t *len);
static inline int store_join_bit(const uint8_t *map, size_t len, uint32_t pos)
{
    return pos / 8 < len && (map[pos / 8] >> (pos % 8) & 1);
}

/* ---- postings ----
 * A posting key is field byte, term bytes, 0x00, first doc id (BE32).
 * STORE_BLOCK_DOCS documents a block at the most. */
/* 1 when the postings of field hold positions: every field but
 * STORE_F_UNI.  Its blocks have no position stream and its records (the
 * record form, in packs, run files and builders) no positions. */
static inline int store_field_positions(int field) { return field != STORE_F_UNI; }
#define STORE_BLOCK_DOCS 128
#define STORE_KEY_MAX 80  /* 1 + TOK_TERM_MAX + 1 + 4, rounded up */

size_t store_post_key(uint8_t *key, int field, const char *term, size_t term_len, uint32_t first);

/* BM25 as the search ranks with it (search.h takes these): a document's
 * impact for a term is tf' (k1 + 1) / (tf' + k1 (1 - b + b dl / avgdl)),
 * tf' = STORE_TITLE_WEIGHT * tf_title + tf_body; the score is idf times
 * that.  A block of more than STORE_IMPACT_DOCS documents records the
 * largest impact among them, for the average length a0 of the index when
 * it was written, quantized upwards to q / 255 of (k1 + 1). */
#define STORE_BM25_K1 1.2
#define STORE_BM25_B 0.75
#define STORE_TITLE_WEIGHT 3.0
#define STORE_IMPACT_DOCS 16
double store_impact(uint32_t tf_title, uint32_t tf_body, uint32_t dl, uint32_t a0);
/* The same for the weighted frequency tfw = STORE_TITLE_WEIGHT * tf_title + tf_body. */
double store_impact_w(double tfw, uint32_t dl, uint32_t a0);
uint32_t store_impact_q(double impact);   /* 1..255, rounded up */
double store_impact_value(uint32_t q);    /* >= every impact quantized to q */

/* Values a bit-packed run holds at the most (BLOCK STREAMS in store.c). */
#define STORE_RUN 128

/* A decoded block header plus a cursor over its documents.  A block's
 * streams (BLOCK STREAMS in store.c) are decoded as they are needed: its
 * ids on the cursor's first move, its frequencies read in place (or
 * decoded at open when not a plain frame of reference), its positions run
 * by run when asked for.  A packed term's records (store_block_open_tpack)
 * are walked as they are. */
typedef struct {
    uint32_t first, last;     /* doc id range */
    uint32_t ndocs;
    uint32_t max_tf_title, max_tf_body;
    uint32_t min_dl;
    uint32_t a0, q;           /* the recorded impact (q 0: none) */
    /* cursor state */
    uint32_t i;               /* index of the current doc, ndocs when done */
    uint32_t doc;             /* current doc id */
    uint32_t tf_title, tf_body;
    int packed;               /* a packed term's records: the first has no id delta */
    int nopos;                /* no positions (STORE_F_UNI): a block whose value ends after
                               * its frequency streams, a pack of that field */
    const uint8_t *docs, *docs_end;   /* packed: the records; a block: its streams (docs_end = end of value) */
    /* packed */
    const uint8_t *doc_next;  /* next doc's record */
    const uint8_t *doc_pos;   /* current doc's positions */
    /* a block */
    int ids_done, pofs_done;  /* id[] (on the cursor's first move), pofs[] (on the first positions):
                               * 1 done, 0 not yet, -1 found damaged */
    const uint8_t *tt_bits, *tb_bits;  /* the tf streams when a frame of reference, read in place;
                                        * NULL: decoded into tt[], tb[] at open */
    uint32_t tt_lo, tt_w, tb_lo, tb_w;
    const uint8_t *tstream;   /* the tf streams (the id stream is from docs to here) */
    const uint8_t *pstream;   /* the position stream */
    uint64_t npos;            /* positions in the block */
    const uint8_t *prun_at;   /* where run prun_k of the positions starts */
    uint32_t prun_k;
    uint32_t pbuf_k;          /* the run loaded (UINT32_MAX: none): read in place when prun_bits,
                               * else decoded in pbuf */
    const uint8_t *prun_bits; /* a frame of reference's bits, read in place */
    uint32_t prun_lo, prun_w, prun_n;
    uint32_t id[STORE_BLOCK_DOCS], tt[STORE_BLOCK_DOCS], tb[STORE_BLOCK_DOCS];
    uint64_t pofs[STORE_BLOCK_DOCS + 1];   /* where each document's positions start in the stream */
    uint32_t pbuf[STORE_RUN];
} store_block;

/* A bound on the impact of any document of block b at average length
 * avgdl (0 when b records none): the recorded one, loosened where the
 * index has grown longer on average since a0 (only the length's part of
 * the norm shrinks: the derivation is in store.c). */
double store_block_impact_bound(const store_block *b, double avgdl);

/* The lengths of a run of entries: dl[i] is that of entry base + i, for
 * i < n.  The caller's array, read only during the call it is given to. */
typedef struct {
    const uint32_t *dl;
    uint32_t base, n;
} store_dl_span;

/* What follows a block's header (store_block_header), made from its ndocs
 * records in the record form recs[0..len) (a term pack's, the first id
 * delta 0: store_bb's, the joiner's), of first id first: v a0, v q when
 * ndocs > STORE_IMPACT_DOCS, then the streams of ids, frequencies and
 * (with positions; 0 for a field without them, store_field_positions,
 * whose records hold none) positions (BLOCK STREAMS in store.c), appended
 * to out.  q is the largest impact of the block's documents at average
 * length a0, rounded up to 255ths: computed from the records and the
 * lengths in dls when dls (may be NULL) holds every document's, else the
 * caller's best, which must bound every document's impact at a0.
 * FZ_ECORRUPT when the records do not hold ndocs documents (or more than
 * STORE_BLOCK_DOCS), FZ_ENOMEM. */
int store_block_extra(const uint8_t *recs, size_t len, uint32_t ndocs, uint32_t first, uint32_t a0, double best,
                      const store_dl_span *dls, int positions, fz_buf *out);
/* FZ_OK when block b (freshly opened; a packed term: FZ_OK) decodes whole:
 * its ids ascend within [first, last], every document has an occurrence,
 * and its position stream holds what the frequencies call for and ends
 * the value (a block without positions, b->nopos: its value ends after
 * the frequencies); else FZ_ECORRUPT.  For fzindex --check, which also
 * checks that b->nopos is what the key's field calls for. */
int store_block_verify(store_block *b);

/* Decodes a block value's header and finds its streams; positions the
 * cursor on its first document.  A value that ends after its frequency
 * streams is a block without positions (b->nopos, STORE_F_UNI's).  FZ_ECORRUPT on a malformed block (more
 * than STORE_BLOCK_DOCS documents, a stream that does not decode); the
 * cursor functions below return it for what they decode later (ids that
 * do not ascend within [first, last]: next and seek; a document without
 * occurrences or positions cut short: positions). */
int store_block_open(store_block *b, uint32_t first, const void *val, size_t len);
/* Decodes only a block value's header (first, last, ndocs, the largest
 * frequencies, the least length, the recorded impact a0 and q), for a
 * bound, without its streams: the cursor functions are not to be called
 * on b until store_block_open.  FZ_ECORRUPT as store_block_open for a
 * malformed header (the streams are checked when the block is opened). */
int store_block_head(store_block *b, uint32_t first, const void *val, size_t len);
/* Moves to the next document; returns 0, or FZ_ENOTFOUND at the end, or
 * FZ_ECORRUPT. */
int store_block_next(store_block *b);
/* Moves the cursor to the block's first document >= target (no move when
 * the current one is): FZ_OK, FZ_ENOTFOUND when the block has none (the
 * cursor is then past its end), FZ_ECORRUPT.  Same result as calling
 * store_block_next until then, without a call per document. */
int store_block_seek(store_block *b, uint32_t target);
/* The documents of block b (opened by store_block_open: not a packed
 * term's), decoded at once for a caller that walks them in a loop of its
 * own rather than a call per document: *id, *tt and *tb get b's arrays of
 * its b->ndocs ids, title and body frequencies, which stay valid while b
 * is open (the cursor is not moved; later moves read the same arrays).
 * FZ_OK, or FZ_ECORRUPT when the ids do not ascend within the block's
 * range. */
int store_block_arrays(store_block *b, const uint32_t **id, const uint32_t **tt, const uint32_t **tb);
/* The ids of block b (opened by store_block_open: not a packed term's),
 * decoded without its frequencies, for a caller that finds its own way
 * through them (an intersection of lists): *id gets b's array of b->ndocs
 * ascending ids, valid while b is open; the cursor is not moved.  FZ_OK,
 * or FZ_ECORRUPT as store_block_arrays. */
int store_block_ids(store_block *b, const uint32_t **id);
/* Moves the cursor of block b (its ids decoded: store_block_ids or a
 * move) to its document i < b->ndocs, its frequencies read: the same
 * state as store_block_seek to that document's id. */
void store_block_move(store_block *b, uint32_t i);
/* Decodes the current document's positions (tf_title + tf_body of them,
 * at most max, ascending) into out; returns how many, or FZ_ECORRUPT
 * (also for a block or pack without positions, b->nopos).  Keeps the last
 * run of positions it decoded in b. */
int store_block_positions(store_block *b, uint32_t *out, uint32_t max);

/* ---- term packs ----
 * A term of at most STORE_TPACK_DOCS documents whose records take at most
 * STORE_TPACK_TERM_BYTES bytes is kept, with the terms next to it in key
 * order, in a pack: one "post" record keyed field byte, first term, 0x00
 * (TERM PACKS in store.c).  A term is either in one pack or in blocks,
 * never both.  Fresh builds write packs (build.c); an update takes a term
 * that gains documents out of its pack into a block, puts a new small
 * term into the pack before it (or a new one), and drops removed
 * documents from packs.
 * Readers find a term with store_term_find and open a packed term's
 * postings as a block (store_block_open_tpack). */
#define STORE_TPACK_DOCS 16          /* documents of a packed term at most (no impact recorded) */
#define STORE_TPACK_TERM_BYTES 128   /* bytes of a packed term's records at most */
#define STORE_TPACK_BYTES 512        /* a pack is closed once its value reaches this */
#define STORE_TPACK_GROW 1024        /* an update adds no term to a pack of this many bytes */

/* The key of a pack whose first term is term: field, term, 0x00 (the
 * term's block keys, STORE_KEY_MAX bytes of room, minus the id).  Returns
 * its length. */
size_t store_tpack_key(uint8_t *key, int field, const char *term, size_t term_len);
/* 1 when k is a pack's key (its only 0x00 is its last byte), else 0. */
int store_key_is_tpack(const void *key, size_t len);

/* A walk over the terms of one pack value. */
typedef struct {
    const uint8_t *p, *end;   /* the terms left */
    int field;
    char term[STORE_KEY_MAX]; /* the current term (not NUL-terminated) */
    size_t term_len;
    uint32_t ndocs, first;    /* its documents and the first one's id */
    const uint8_t *recs;      /* its records: the first without id delta */
    size_t recs_len;
} store_tpack_iter;
/* Starts a walk over the pack record k, v (which must outlive it) and
 * moves to its first term: FZ_OK, FZ_ECORRUPT (not a pack key, or a value
 * whose first term is not the key's or that does not decode). */
int store_tpack_open(store_tpack_iter *it, const void *key, size_t klen, const void *val, size_t vlen);
/* Moves to the next term: FZ_OK, FZ_ENOTFOUND after the last, FZ_ECORRUPT
 * (a term that does not decode, is too long, or does not ascend; a count
 * outside 1..STORE_TPACK_DOCS; records cut short). */
int store_tpack_next(store_tpack_iter *it);
/* Opens the current term of it as a block (store_block_open's cursor):
 * first and last from its records, the tf maxima its documents', min_dl
 * 0 (a reader that bounds scores with it takes the lengths from "dlen"),
 * nopos when its field has no positions (store_field_positions).
 * FZ_ECORRUPT when the records do not decode. */
int store_block_open_tpack(store_block *b, const store_tpack_iter *it);

/* Where store_term_find found a term. */
enum { STORE_TERM_BLOCKS = 1, STORE_TERM_PACKED = 2 };
/* Finds term's postings with cursor cur over "post": STORE_TERM_BLOCKS
 * (the cursor on its first block, *k and *v that block's), or
 * STORE_TERM_PACKED (the cursor on its pack, *k and *v the pack's, it on
 * the term), or FZ_ENOTFOUND (the cursor anywhere); FZ_ECORRUPT for a pack
 * that does not decode; FZ_ELMDB.  A set range and at most one step back. */
int store_term_find(MDB_cursor *cur, int field, const char *term, size_t len, MDB_val *k, MDB_val *v,
                    store_tpack_iter *it);

/* Builds pack values in key order: {0} to start, ..._free at the end. */
typedef struct {
    fz_buf val;
    uint8_t key[STORE_KEY_MAX];
    size_t klen;              /* 0: no term yet */
    int field;
    char last[STORE_KEY_MAX]; /* the last term added */
    size_t last_len;
    uint32_t nterms;
} store_tpack_builder;
/* 1 when a term of ndocs documents and recs_len bytes of block records
 * belongs in a pack. */
int store_tpack_fits(uint32_t ndocs, size_t recs_len);
/* Adds a term (after the last added, of the same field, unless the
 * builder is empty): its ndocs documents' records recs as a block holds
 * them (the first id delta 0; store_bb's or the joiner's), the first
 * document's id first.  FZ_EINVAL when it does not follow or recs does
 * not start with delta 0, FZ_ENOMEM. */
int store_tpack_add(store_tpack_builder *pb, int field, const char *term, size_t len, uint32_t ndocs,
                    uint32_t first, const uint8_t *recs, size_t recs_len);
/* Empties the builder (keeps its buffer). */
void store_tpack_reset(store_tpack_builder *pb);
void store_tpack_free(store_tpack_builder *pb);

/* Updates.  Takes term's documents lo..hi out of its pack; with out, the
 * whole term is taken out and out receives its documents as one block
 * value (lo and hi unused; *first its first id; the lengths of "dlen"
 * give min_dl), for the caller to put under the term's block key.  The
 * pack is written again without them, under its new first term when the
 * first went, or deleted when nothing is left.  FZ_OK; FZ_ENOTFOUND when
 * the term is in no pack (nothing changed); FZ_ECORRUPT; LMDB errors with
 * msg. */
int store_tpack_remove(store *s, MDB_txn *txn, int field, const char *term, size_t len, uint32_t lo,
                       uint32_t hi, fz_buf *out, uint32_t *first, char *msg, size_t msglen);
/* Before a term new to the index gets blocks: when the pack before it in
 * key order holds terms after it, those go to a pack of their own (keyed
 * by the first of them), so that the term's blocks do not fall inside a
 * pack.  FZ_OK (also when there was nothing to split), FZ_EINVAL when the
 * term is in that pack, FZ_ECORRUPT, LMDB errors with msg. */
int store_tpack_split(store *s, MDB_txn *txn, int field, const char *term, size_t len, char *msg, size_t msglen);
/* Puts a new small term (store_tpack_fits; in no pack and without blocks)
 * into the pack before it in key order when there is one of the same
 * field below STORE_TPACK_GROW bytes; else into a pack of its own, which
 * also takes the terms after it of a full pack before it.  recs and first
 * as for store_tpack_add.  FZ_OK; FZ_EINVAL (the term is in that pack,
 * or is not small), FZ_ECORRUPT, LMDB errors with msg. */
int store_tpack_insert(store *s, MDB_txn *txn, int field, const char *term, size_t len, uint32_t ndocs,
                       uint32_t first, const uint8_t *recs, size_t recs_len, char *msg, size_t msglen);

/* Builds one block: add documents in ascending id order (at most
 * STORE_BLOCK_DOCS; kept in the record form), then finish: the value,
 * header and streams (store_block_extra).  FZ_ENOMEM, FZ_ECORRUPT.
 * nopos (0 in a {0} builder; store_bb_reset keeps it): a block of a field
 * without positions (STORE_F_UNI), store_bb_add's positions unused (may
 * be NULL). */
typedef struct {
    fz_buf docs, pos;         /* docs: the records; pos: (tf', dl) per document */
    uint32_t first, last, ndocs, max_tf_title, max_tf_body, min_dl;
    int nopos;
} store_block_builder;
void store_bb_reset(store_block_builder *bb);
/* store_bb_reset, and the builder takes field's form: nopos set when the
 * field keeps no positions (store_field_positions).  Call it before the
 * first document of a term's block. */
void store_bb_begin(store_block_builder *bb, int field);
/* Adds the documents of block b (freshly opened, walked to its end) to bb,
 * less those in the ranges skip[0..nskip) (sorted, as store_dead_end
 * takes them): each with its positions and its length from "dlen" (read
 * in txn through dc).  *pos (*pcap long) is the caller's scratch, grown
 * with realloc.  FZ_OK; FZ_ENOMEM; FZ_ECORRUPT when b does not decode or
 * is not of bb's form (nopos). */
int store_bb_add_block(store *s, MDB_txn *txn, store_dlen_cache *dc, store_block *b, store_block_builder *bb,
                       uint32_t **pos, size_t *pcap, const store_range *skip, size_t nskip);
int store_bb_add(store_block_builder *bb, uint32_t doc, uint32_t dl, const uint32_t *positions,
                 uint32_t tf_title, uint32_t tf_body);
int store_bb_finish(store_block_builder *bb, uint32_t a0, fz_buf *out); /* out receives the value;
                                                                       a0: the average length for the impact */
void store_bb_free(store_block_builder *bb);

#endif
