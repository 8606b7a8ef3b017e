/*
 * search.h -- runs a parsed query against an index: matching from the
 * positional postings, BM25 ranking with a proximity bonus, top-k, exact
 * counts, and the match spans that snippets and concordances highlight.
 *
 * Callers: fzsearch, the end-to-end and ranking tests.
 *
 * Matching never scans the stored text, except to confirm a candidate
 * where the postings cannot decide: the ? wildcard (is that position a CJK
 * character?) and --fold=none (the index holds traditional->simplified
 * folded terms); and to place a lone CJK character, whose postings keep
 * no positions (format 7), where a query needs its places: NEAR, EXCEPT,
 * a ? beside it, a phrase of lone characters across punctuation, the
 * proximity bonus and the highlights (the entry's text analysed again as
 * the indexer did; a lone character's counts, scores and top-k come from
 * its frequencies, a ? between two lone characters from the bigrams, and
 * EXCEPT from the frequencies where they tell).
 *
 * Ranking.  score = sum over the query's positive text terms t of
 *   idf(t) * tf'(t) (k1 + 1) / (tf'(t) + k1 (1 - b + b dl / avgdl))
 * with tf' = SEARCH_TITLE_WEIGHT * tf_title + tf_body, k1 = 1.2, b = 0.75,
 * idf(t) = ln(1 + (N - df + 0.5) / (df + 0.5)) summed over the postings a
 * phrase is made of, dl the entry's length in positions; plus a proximity
 * bonus when two or more terms match: SEARCH_PROX_WEIGHT * mean idf / (1 +
 * the smallest gap in positions between occurrences of two different terms).
 */
#ifndef SEARCH_H
#define SEARCH_H

#include <stddef.h>
#include <stdint.h>

#include "../common/store.h"
#include "../common/tok.h"
#include "query.h"

#define SEARCH_K1 STORE_BM25_K1
#define SEARCH_B STORE_BM25_B
#define SEARCH_TITLE_WEIGHT STORE_TITLE_WEIGHT
#define SEARCH_PROX_WEIGHT 1.0

typedef struct search search;

/* Opens the index read-only.  Errors as store_open.  The handle keeps,
 * from one search_run to the next, the last entry block whose text it
 * read and the chunks of entry lengths it looked up, each used again only
 * in the same LMDB snapshot (no write committed since); a run in a newer
 * one reads them anew. */
int search_open(const char *db, search **out, char *msg, size_t msglen);
void search_close(search *s); /* NULL is safe */

typedef enum { SEARCH_SORT_SCORE = 0, SEARCH_SORT_SOURCE } search_sort;

typedef struct search_hit search_hit;
typedef int (*search_hit_fn)(void *ctx, const search_hit *h);

typedef struct {
    tok_fold fold;        /* how much folding the query gets */
    uint32_t limit;       /* hits to return; 0 = all */
    uint32_t offset;      /* hits to skip */
    search_sort sort;
    int count;            /* count every matching entry and occurrence exactly */
    int no_hits;          /* only count */
    int exact_entries;    /* count every matching entry exactly (counts.entries),
                           * occurrences not: cheaper than count */
    int no_spans;         /* hits come without spans and occurrences (faster,
                           * for counting hits by group) */
    int meta_only;        /* hits come with only their entries' metadata
                           * (store_entry_meta_get: title and body empty)
                           * and no spans, but their occurrences counted:
                           * what counting by anything but the forms
                           * written needs, without decompressing text */
    int one;              /* only the entry one_id: it is the one hit, if it
                           * matches (the entry page's highlights) */
    uint32_t one_id;
    uint32_t sample;      /* also hand the first `sample` hits of the ranking
                           * by score (whatever sort, offset and limit say)
                           * to sample_fn, in rank order and before the
                           * returned hits: without spans or occurrences,
                           * and with only their entries' metadata (title
                           * and body empty), the hits a run with sort
                           * score, limit `sample` and no_spans would
                           * return.  The reading room's side panel comes
                           * so from the run of its page.  0, or sample_fn
                           * NULL: none */
    search_hit_fn sample_fn;
    void *sample_ctx;
    uint64_t deadline_ns; /* CLOCK_MONOTONIC time (search_now_ns) after
                           * which the run stops with FZ_ELIMIT and
                           * counts.timed_out set; 0: no limit */
} search_opts;

/* One highlighted stretch of an entry: byte offsets into its title
 * (field 0) or body (field 1), as stored. */
typedef struct {
    uint32_t start, end;
    uint8_t field;
} search_span;

struct search_hit {
    uint32_t rank;            /* 1-based position in the whole ranking (offset
                               * included: --offset 5 starts at 6) */
    double score;
    const store_entry *e;     /* valid during the callback */
    const char *file;         /* source path */
    size_t file_len;
    store_volume volume;      /* its volume: title, place, year (store_volume_get) */
    const search_span *spans; /* title spans first, then body, by start */
    size_t nspans;
    uint32_t occurrences;     /* occurrences of the query's text terms */
};


typedef struct {
    uint64_t entries;         /* matching entries (exact with opts.count) */
    uint64_t occurrences;     /* with opts.count */
    uint32_t returned;
    uint32_t sampled;         /* hits given to opts.sample_fn */
    int timed_out;            /* the run passed opts.deadline_ns */
} search_counts;

/* Runs q.  Calls fn for each returned hit in order (fn's non-zero return
 * stops the run and is returned).  counts may be NULL.  Errors: FZ_ESYNTAX
 * for a query that analyses to nothing searchable (msg says which term),
 * FZ_ECORRUPT, FZ_ELMDB, FZ_ENOMEM; FZ_ELIMIT for too many terms, or with
 * counts->timed_out set when the run passed opts.deadline_ns (msg says so;
 * the time is looked at every few dozen matching entries and posting
 * blocks, so a run stops within a millisecond or so of its deadline). */
int search_run(search *s, const query_node *q, const search_opts *o, search_hit_fn fn, void *ctx,
               search_counts *counts, char *msg, size_t msglen);

/* Looks one entry up by id for --show; calls fn once with rank 0 and no
 * spans.  FZ_ENOTFOUND when there is no such entry. */
int search_show(search *s, uint32_t id, search_hit_fn fn, void *ctx, char *msg, size_t msglen);

/* A second handle on the index s has open, for another thread: it shares
 * s's LMDB environment (LMDB allows one per process) and has its own text
 * analysers, so each thread searches with its own handle.  Close every
 * clone with search_close before s.  FZ_ENOMEM. */
int search_clone(search *s, search **out);

/* Maps the pages of the index that the page cache holds into the process
 * on a thread of its own (store_map_warm, up to SEARCH_WARM_CAP bytes),
 * for a caller that will run many queries: --batch, the server.  The
 * queries run meanwhile; search_close stops the thread.  Returns 1 when
 * the thread started, else 0 (nothing to do, or not possible here: the
 * queries run as they would have). */
#define SEARCH_WARM_CAP ((size_t)256 << 20)
int search_warm(search *s);

/* The clock of opts.deadline_ns: CLOCK_MONOTONIC in nanoseconds. */
uint64_t search_now_ns(void);

/* The entries in the index's newest snapshot, what the next query
 * searches (an fzindex run may have added or removed some since s was
 * opened); the count when s was opened if the index cannot be read now.
 * Threads sharing s may call it at once. */
uint64_t search_entries(search *s);

#endif
