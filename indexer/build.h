/*
 * build.h -- turns parsed records into index entries and positional
 * postings, inside one LMDB write transaction.
 *
 * Callers: fzindex.
 *
 * A build holds the single write transaction of one fzindex run: either
 * everything it did is committed by build_commit(), or nothing is (a killed
 * or failed run leaves the index exactly as it was).  The merge of the
 * delta (below) follows that commit in transactions of its own.  Postings are gathered
 * in memory (term -> documents -> positions); when the memory budget is
 * reached (checked before each file against what was gathered when an
 * earlier file ended -- the file before the last, or an older one when
 * the files since hold less than 2 MB of text, less under a small
 * budget --, so that where batches end depends on the input alone: a
 * build in batches, too, writes the same index from run to run) they are
 * written, sorted, to a run file beside the index (mode 0600, unlinked as
 * soon as it is open: a killed run leaves none), and at
 * commit the runs are merged into LMDB in key order.  At commit the
 * worker threads join and seal the blocks while the calling thread writes
 * the entries (up to a quarter of the budget in flight); the index written
 * is the same.  A term's new
 * documents go into new blocks (joined with each other where short): a
 * fresh build's into "post", an update's into the delta tier ("dpost",
 * DELTA TIER in store.c), which build_commit merges into "post" when it
 * has reached a quarter of its pages (FZINDEX_DELTA_SHARE, in percent,
 * overrides that share; 0 merges at every update), after it has committed
 * the update: in steps of about a fiftieth of the postings' bytes, each
 * its own transaction (MERGING in store.c; FZINDEX_MERGE_STEP, in per
 * mille, overrides the share; FZINDEX_MERGE_STOP=k, for the tests, stops
 * after k steps as a killed run would), which leave the postings as dense
 * as --pack does and without removed entries.  A merge that a run left
 * under way is finished by build_create before anything else.  Removing a
 * file of the delta takes its documents out of it; removing one of the
 * main tree (an update's) leaves them there, dead (DEAD ENTRIES in
 * store.c), until the next merge.
 * Entry ids are never reused.  The budget counts fangzhi's own memory;
 * LMDB's write transaction keeps up to 512 MB of its own page buffers.
 */
#ifndef BUILD_H
#define BUILD_H

#include <stddef.h>
#include <stdint.h>

#include "../common/store.h"
#include "parse.h"
#include "catalog.h"

typedef struct build build;

typedef struct {
    size_t mem_limit;      /* memory budget (postings gather up to 5/8 of it); 0 = an
                            * eighth of RAM, within 256 MB .. 2 GB */
    int threads;           /* worker threads; 0 = one per core (at most 4) */
    parse_layout layout;   /* how every file is read; PARSE_AUTO: each decides */
    uint64_t input_bytes;  /* the size of the files to come, about (0: unknown):
                            * whether the build takes one batch or several,
                            * which decides how its tables are mapped
                            * (page_map in build.c; unknown is taken as
                            * one batch) and whether the workers may use
                            * their idle time (known and small enough for
                            * one batch even at 8 bytes gathered a byte of
                            * text: where batches end must not depend on
                            * timing) */
    int huge_pages;        /* the workers' tables on huge pages: 0 when it
                            * pays (several batches, or page faults dear on
                            * this machine: build.c, faults_dear), 1
                            * always, -1 never */
    unsigned pause_us;     /* for the tests: the calling thread sleeps this
                            * long after each chunk of analysed text it
                            * hands to a worker, so that they wait for work */
    /* Called (may be NULL) on the thread calling build_add_file and
     * build_commit when the entries of a file given to build_add_file are
     * written to the index: at the end of each batch (see --mem) and in
     * build_commit, in the order the files were given.  path and encoding
     * are valid during the call. */
    void (*on_file)(void *ctx, const char *path, const char *encoding, uint32_t nentries);
    void *on_file_ctx;
} build_opts;

/* Starts a build on an index opened for writing; first finishes a merge
 * of the delta that a run left under way (committed step by step: it
 * stays done when the build fails).  Errors: FZ_ENOMEM, FZ_EBUSY (another
 * fzindex is writing), FZ_ECORRUPT, FZ_ELMDB.  On failure nothing is left
 * open. */
int build_create(store *s, const build_opts *opts, build **out, char *msg, size_t msglen);

/* Indexes one file.  path is the name recorded (callers pass an absolute,
 * canonical path), text its content in UTF-8, nbytes/mtime describe the
 * source, encoding names the encoding it was converted from; text is
 * read during the call only.  A file indexed before under the same path is
 * replaced.  The file is parsed and analysed on the calling thread, its
 * postings gathered by the worker threads; *nentries (may be NULL)
 * receives its number of records when that is known at once (no worker
 * threads), else 0 -- build_added() counts them after build_commit().
 * Errors are sticky: after one, every call returns it and build_commit
 * refuses. */
int build_add_file(build *b, const char *path, const char *text, size_t len, uint64_t nbytes,
                   int64_t mtime, const char *encoding, uint32_t *nentries, char *msg, size_t msglen);

/* Adds every file of another index (opened read-only) without reading
 * the sources: its stored records are indexed again here, replacing files
 * of the same path.  Statistics end up as if all had been indexed here. */
int build_merge(build *b, store *other, uint32_t *nfiles, uint64_t *nentries, char *msg, size_t msglen);

/* Drops a file's entries and postings; FZ_ENOTFOUND when it is not indexed. */
int build_remove_file(build *b, const char *path, uint32_t *nentries, char *msg, size_t msglen);

/* Called for a catalog row that names no indexed file (nfiles 0) or
 * several (nfiles > 1: its base name is not unique; give more of the
 * path).  Such a row is not stored. */
typedef void (*build_catalog_warn_fn)(void *ctx, const catalog_row *row, uint32_t nfiles);

/* Has build_commit store c's rows as the catalog records of the files
 * they name (catalog.h, "Matching"), after this run's files are written:
 * every file of the index is matched, not only this run's.  A file takes
 * the row with the longest file that matches its path; the row replaces
 * its catalog record; files no row names keep theirs.  c must live until
 * build_commit returns; warn (may be NULL) is called from build_commit. */
void build_set_catalog(build *b, const catalog *c, build_catalog_warn_fn warn, void *ctx);

/* Writes the remaining postings and the statistics and commits; then
 * merges the delta when it has reached its share (in steps, each
 * committed: an error there, returned with msg, leaves the update
 * committed and the merge under way, which the next build finishes). */
int build_commit(build *b, char *msg, size_t msglen);

/* Aborts if not committed and frees everything.  NULL is safe. */
void build_destroy(build *b);

/* Memory held by gathered postings now, for progress and tests. */
size_t build_mem_used(const build *b);

/* Entries this build has gathered so far (all of them after build_commit);
 * safe to call while worker threads run, for progress. */
uint64_t build_added(const build *b);

#endif
