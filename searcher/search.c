/*
 * search.c -- query evaluation over the positional postings (see search.h).
 *
 * A query tree is compiled into a tree of matchers.  Every matcher walks
 * documents in ascending id order: node_next(n, target) moves n to the
 * first matching document >= target (DOC_END when there is none), and
 * node_spans(n) lists the position spans of its matches in that document.
 *   leaf    one term: one or more posting keys (several when a character
 *           has variant forms), merged; a lone CJK character's keys (field
 *           'u') keep no positions: where they are needed, the entry's
 *           text is analysed again (uni_positions), and a lone term's
 *           counts, scores and EXCEPT's common case come from its
 *           frequencies
 *   phrase  leaves at fixed offsets (a CJK run is a chain of bigrams); also
 *           checks ? wildcards and --fold=none against the entry's tokens
 *   and     leapfrog over the positive children, then rejects documents a
 *           negative child matches
 * The leaves of a phrase, and those of an AND of lone terms, meet over
 * their blocks' decoded ids (leaves_meet) when each is one cursor.
 *   or      the smallest document of its children
 *   near    and-match, then keeps the spans that have a partner within N
 *           characters (the entry's text is tokenized again to place
 *           positions in characters: doctoks)
 *   except  spans of the left side not inside a span of the right side
 *   ranges  the entries of the files whose volume title, place or year a
 *           volume:, place: or year: atom names: a file's entries are one
 *           id range, so these are answered from the file and catalog
 *           records (store_volume_get), not from postings; no spans
 * Top-k keeps a heap of the best k; a lone term or phrase skips whole
 * blocks whose BM25 upper bound (from every part's block maxima of tf and
 * least length, see prune_skip) cannot enter the heap (block-max pruning),
 * unless exact counts are asked for.
 */
#include "search.h"

#include <math.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/uchar.h>

#include "../common/fold.h"

#define DOC_END UINT32_MAX
#define UNPOSITIONED (UINT32_MAX - 1)
#define MAX_ALTS 16
#define MAX_LEAVES 4096
#define SEARCH_DLEN_SLOTS 512 /* a power of two; 8 KB of the handle */

/* HEAP_DOWN(name, T, C, before) defines the sift-down of the binary heaps
 * of this file (the chains of an A?B by document, the top-k by score, a
 * lone term's blocks by bound), once for each element type:
 *   static void name(T *h, size_t n, size_t i, C c)
 * restores the heap order of h[0..n) below i, given that it holds
 * elsewhere: the element at the top of each subheap is one that no other
 * element of it comes before, where before(c, &a, &b) says whether a comes
 * before b (c is the heap's context, passed through). */
#define HEAP_DOWN(name, T, C, before)                                          \
    static void name(T *h, size_t n, size_t i, C c)                            \
    {                                                                          \
        for (;;) {                                                             \
            size_t l_ = 2 * i + 1, r_ = l_ + 1, m_ = i;                        \
            if (l_ < n && before(c, &h[l_], &h[m_]))                           \
                m_ = l_;                                                       \
            if (r_ < n && before(c, &h[r_], &h[m_]))                           \
                m_ = r_;                                                       \
            if (m_ == i)                                                       \
                return;                                                        \
            T t_ = h[m_];                                                      \
            h[m_] = h[i];                                                      \
            h[i] = t_;                                                         \
            i = m_;                                                            \
        }                                                                      \
    }

struct search {
    store *st;
    int clone;              /* st belongs to the handle this was cloned from */
    tok_analyzer *tok[3];
    store_entry_cache *cache; /* the last entry block whose text this handle read */
    /* the entries and their mean length (BM25's N and avgdl) and the
     * chunks of entry lengths its queries looked up (store_dlen_cache's
     * slots), in the LMDB snapshot dl_txnid: a query of the same snapshot
     * reads them again without a lookup (LMDB changes no page of the
     * newest snapshot, and a query's transaction holds it); a query of a
     * later one (an fzindex run committed meanwhile) reads them anew */
    uint64_t nentries;
    double avgdl;
    store_dlen_slot dslots[SEARCH_DLEN_SLOTS];
    size_t dl_txnid;
};

typedef struct {
    uint32_t s, e;   /* positions, inclusive */
    uint8_t title;
} pspan;

/* A block of a term's postings as the term's lookup found it (the value
 * in the map, valid while the query's transaction is). */
typedef struct {
    const void *val;
    size_t len;
    uint32_t first;
} kc_block;

typedef struct {
    MDB_cursor *cur;
    /* the term's blocks in id order, found by the lookup that summed its
     * document frequency (kc_make): moves between them read no LMDB
     * (NULL: an exact leaf's, or a pack's; the cursor moves); malloc'd,
     * freed where the cursor is closed */
    kc_block *dir;
    uint32_t ndir, at;       /* at: the block open */
    uint8_t key[STORE_KEY_MAX];
    size_t prefix;
    store_block blk;
    int valid;
    int packed;              /* the term is in a pack: pk, its one block */
    int nopos;               /* a CJK unigram (STORE_F_UNI): its positions come from the
                              * entry's text (uni_positions) */
    store_tpack_iter pk;
    int pk_mindl_known;      /* pk_mindl holds its least length (from "dlen") */
    uint32_t pk_mindl;
} keycur;

typedef struct {
    keycur *k;
    size_t nk;
    size_t nforms;           /* forms of the term (each a cursor, then one on the delta when it has the form) */
    uint32_t doc;
    uint64_t df;
    double idf;
    uint32_t pos_doc;
    uint32_t *pos;
    uint32_t npos, cap, ntitle;
} leaf;

enum { N_PHRASE, N_AND, N_OR, N_NEAR, N_EXCEPT, N_RANGES, N_NONE };

typedef struct node node;
struct node {
    int type;
    int field;
    int title_only;
    uint32_t doc;
    /* phrase */
    size_t nparts;
    leaf **parts;
    uint32_t *offs;
    uint32_t len;
    uint32_t *wild;
    size_t nwild;
    uint32_t *joins;     /* offsets whose character must be joined to the one before */
    size_t njoins;
    const char **vterm;  /* --fold=none: the term expected at each offset */
    uint32_t *vlen;
    double idf;
    /* A?B of two lone characters (chain_wild): the chains of two bigrams
     * A x, x B whose matches, two characters longer, are its matches */
    struct node **chain;
    size_t nchain;
    uint32_t *cheap;     /* the chains by their current document, a min-heap (chain_first) */
    int sub;             /* EXCEPT: each span of the right side holds exactly one occurrence
                          * of the left (except_subtracts) */
    int cheap_ok;        /* cheap is built (0 after a reset) */
    /* composite */
    node **kids;
    size_t nkids;
    uint8_t *neg;
    uint32_t dist;
    /* ranges: the entries of the files a volume:, place: or year: atom
     * names, as ascending disjoint id ranges [rlo[i], rhi[i]] */
    uint32_t *rlo, *rhi;
    size_t nr;
    /* spans of doc sdoc */
    uint32_t sdoc;
    pspan *sp;
    size_t nsp, spcap;
};

/* Tokens of one entry by position, for verification, and where each lies
 * in characters, for NEAR/N. */
typedef struct {
    uint32_t doc;
    uint32_t npos;
    uint8_t *kind;          /* TOK_UNI / TOK_WORD at that position, 0 none */
    uint32_t *toff, *tlen;  /* term at NONE fold, in terms */
    uint32_t *cs, *ce;      /* characters (code points) of the field (title or
                             * body) before the position's first character,
                             * and up to the end of its last */
    fz_buf terms;
    size_t cap;
    uint32_t title_npos;    /* the body's first position */
    /* the tokenizer's walk: a byte offset of the field and the characters
     * before it */
    const char *text;
    uint32_t at, chars;
} doctoks;

typedef struct {
    search *s;
    MDB_txn *txn;
    fz_arena *a;
    const search_opts *o;
    tok_analyzer *qtok;       /* TS analyzer for queries */
    leaf **leaves;
    size_t nleaves;
    node **nodes;
    size_t nnodes;
    node **scoring;
    size_t nscoring;
    /* its slots are the handle's (search.dslots): a lone term's top-k,
     * which takes its blocks best bound first, and every query after the
     * first of a snapshot look each chunk of lengths up once */
    store_dlen_cache dc;
    doctoks dt;
    int delta;                /* the index has delta postings ("dpost"): leaves chain them */
    store_range *dead;        /* removed entries still in "post" (DEAD ENTRIES in store.c): skipped */
    size_t ndead;
    doctoks ut;               /* the same at the index's folding (TS): the places of lone
                               * characters, whose postings keep none (uni_positions) */
    int need_verify;
    /* block-max top-k: while prune_on, phrase_next on prune_node skips the
     * documents whose score bound is at most prune_thr */
    node *prune_node;
    int prune_on;
    double prune_thr;
    /* the last block bound found above the threshold: it holds for the
     * documents up to pass_last while the threshold is still pass_thr */
    uint32_t pass_last;
    double pass_thr;
    /* how often the cheap document bound alone was enough (below()) */
    uint32_t cheap_tries, cheap_hits;
    char *msg;
    size_t msglen;
    int err;
    uint32_t ticks;           /* counts down to the next look at the clock */
    int timed_out;
} ctx;

/* Looks at the clock every 64th call: past opts.deadline_ns, stops the run
 * (x->err FZ_ELIMIT).  Returns non-zero when the run is to stop. */
static int past_deadline(ctx *x)
{
    if (!x->o->deadline_ns || (x->ticks++ & 63))
        return 0;
    if (search_now_ns() < x->o->deadline_ns)
        return 0;
    x->timed_out = 1;
    x->err = FZ_ELIMIT;
    fz_msg(x->msg, x->msglen, "the query is too broad: it ran past the time limit");
    return 1;
}

/* ---------------------------------------------------------------- leaves */

static int kc_same(const keycur *c, const MDB_val *k)
{
    return k->mv_size == c->prefix + 4 && memcmp(k->mv_data, c->key, c->prefix) == 0;
}

static int kc_open(ctx *x, keycur *c, MDB_val *k, MDB_val *v)
{
    if (!kc_same(c, k)) {
        c->valid = 0;
        return 0;
    }
    uint32_t first = fz_be32_get((uint8_t *)k->mv_data + c->prefix);
    if (store_block_open(&c->blk, first, v->mv_data, v->mv_size)) {
        x->err = FZ_ECORRUPT;
        c->valid = 0;
        return FZ_ECORRUPT;
    }
    c->valid = 1;
    return 0;
}

/* Opens a packed term's postings, its one block: its least length from
 * "dlen", as a block header would give it (the score bounds stay the
 * same), and the cursor on its first document >= target (invalid when
 * none). */
static int kc_open_packed(ctx *x, keycur *c, uint32_t target)
{
    c->valid = 0;
    if (store_block_open_tpack(&c->blk, &c->pk))
        return x->err = FZ_ECORRUPT;
    if (c->blk.last < target)
        return 0;
    if (!c->pk_mindl_known) { /* once per term, not per jump */
        store_block b = c->blk;
        uint32_t mindl = UINT32_MAX;
        int rc;
        do {
            uint32_t dl = store_dlen_get(x->s->st, x->txn, &x->dc, b.doc);
            if (dl < mindl)
                mindl = dl;
        } while ((rc = store_block_next(&b)) == FZ_OK);
        if (rc != FZ_ENOTFOUND)
            return x->err = FZ_ECORRUPT;
        c->pk_mindl = mindl;
        c->pk_mindl_known = 1;
    }
    if (store_block_seek(&c->blk, target))
        return x->err = FZ_ECORRUPT;
    c->blk.min_dl = c->pk_mindl;
    c->valid = 1;
    return 0;
}

/* Opens block i of c's directory. */
static int kc_open_dir(ctx *x, keycur *c, uint32_t i)
{
    const kc_block *b = &c->dir[i];
    c->at = i;
    if (store_block_open(&c->blk, b->first, b->val, b->len)) {
        x->err = FZ_ECORRUPT;
        c->valid = 0;
        return FZ_ECORRUPT;
    }
    c->valid = 1;
    return 0;
}

/* Positions c on the block that may hold target (the last block starting
 * at or before it), or the first block after. */
static int kc_jump(ctx *x, keycur *c, uint32_t target)
{
    if (c->packed)
        return kc_open_packed(x, c, target);
    if (c->dir) {
        /* the last block starting at or before target, else the first */
        uint32_t lo = 0, hi = c->ndir;
        while (hi - lo > 1) {
            uint32_t mid = lo + (hi - lo) / 2;
            if (c->dir[mid].first <= target)
                lo = mid;
            else
                hi = mid;
        }
        if (kc_open_dir(x, c, lo))
            return FZ_ECORRUPT;
        if (c->blk.last >= target || target < c->dir[lo].first)
            return 0;
        if (lo + 1 == c->ndir) {
            c->valid = 0;
            return 0;
        }
        return kc_open_dir(x, c, lo + 1);
    }
    fz_be32_put(c->key + c->prefix, target);
    MDB_val k = {c->prefix + 4, c->key}, v;
    int rc = mdb_cursor_get(c->cur, &k, &v, MDB_SET_RANGE);
    if (rc == 0 && kc_same(c, &k) && fz_be32_get((uint8_t *)k.mv_data + c->prefix) == target)
        return kc_open(x, c, &k, &v);
    if (rc == MDB_NOTFOUND)
        rc = mdb_cursor_get(c->cur, &k, &v, MDB_LAST);
    else if (rc == 0)
        rc = mdb_cursor_get(c->cur, &k, &v, MDB_PREV);
    if (rc == 0 && kc_same(c, &k)) {
        if (kc_open(x, c, &k, &v))
            return FZ_ECORRUPT;
        if (c->blk.last >= target)
            return 0;
    }
    /* the block before ends too early: take the next one */
    fz_be32_put(c->key + c->prefix, target);
    k.mv_size = c->prefix + 4;
    k.mv_data = c->key;
    rc = mdb_cursor_get(c->cur, &k, &v, MDB_SET_RANGE);
    if (rc) {
        c->valid = 0;
        return rc == MDB_NOTFOUND ? 0 : FZ_ELMDB;
    }
    return kc_open(x, c, &k, &v);
}

static int kc_next_block(ctx *x, keycur *c)
{
    MDB_val k, v;
    if (c->packed) {
        c->valid = 0; /* a packed term has one block */
        return 0;
    }
    if (c->dir) {
        if (c->at + 1 < c->ndir)
            return kc_open_dir(x, c, c->at + 1);
        c->valid = 0;
        return 0;
    }
    int rc = mdb_cursor_get(c->cur, &k, &v, MDB_NEXT);
    if (rc) {
        c->valid = 0;
        return rc == MDB_NOTFOUND ? 0 : FZ_ELMDB;
    }
    return kc_open(x, c, &k, &v);
}

static void kc_seek(ctx *x, keycur *c, uint32_t target)
{
    if (!c->valid || c->blk.doc >= target)
        return;
    if (target > c->blk.last) {
        /* most seeks land in the next block */
        if (kc_next_block(x, c) || !c->valid)
            return;
        if (target > c->blk.last && (kc_jump(x, c, target) || !c->valid))
            return;
    }
    while (c->blk.doc < target) {
        int rc = store_block_seek(&c->blk, target);
        if (rc == FZ_ENOTFOUND) {
            if (kc_next_block(x, c) || !c->valid)
                return;
        } else if (rc) {
            x->err = FZ_ECORRUPT;
            c->valid = 0;
            return;
        }
    }
}

/* The leaf's document: the least of its cursors', past the removed
 * entries whose postings "post" still holds. */
static void leaf_update(ctx *x, leaf *l)
{
    uint32_t d, end;
    for (;;) {
        d = DOC_END;
        for (size_t i = 0; i < l->nk; i++)
            if (l->k[i].valid && l->k[i].blk.doc < d)
                d = l->k[i].blk.doc;
        if (!x->ndead || d == DOC_END || !(end = store_dead_end(x->dead, x->ndead, d)))
            break;
        for (size_t i = 0; i < l->nk; i++)
            kc_seek(x, &l->k[i], end);
        if (x->err) {
            d = DOC_END;
            break;
        }
    }
    l->doc = d;
}

static uint32_t leaf_seek(ctx *x, leaf *l, uint32_t target)
{
    if (l->doc != DOC_END && l->doc >= target)
        return l->doc;
    for (size_t i = 0; i < l->nk; i++)
        kc_seek(x, &l->k[i], target);
    leaf_update(x, l);
    return l->doc;
}

static int leaf_reset(ctx *x, leaf *l)
{
    for (size_t i = 0; i < l->nk; i++) {
        keycur *c = &l->k[i];
        if (kc_jump(x, c, 0))
            return x->err ? x->err : FZ_ELMDB;
    }
    leaf_update(x, l);
    l->pos_doc = DOC_END;
    return 0;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static int uni_positions(ctx *x, const keycur *c, uint32_t doc, uint32_t *out);

/* Positions of the leaf in its current doc (title positions first). */
static int leaf_positions(ctx *x, leaf *l)
{
    if (l->pos_doc == l->doc)
        return 0;
    l->npos = l->ntitle = 0;
    for (size_t i = 0; i < l->nk; i++) {
        keycur *c = &l->k[i];
        if (!c->valid || c->blk.doc != l->doc)
            continue;
        uint32_t n = c->blk.tf_title + c->blk.tf_body;
        if (l->npos + n > l->cap) {
            uint32_t cap = (l->npos + n) * 2;
            uint32_t *p = realloc(l->pos, cap * sizeof *p);
            if (!p)
                return x->err = FZ_ENOMEM;
            l->pos = p;
            l->cap = cap;
        }
        if (c->nopos ? uni_positions(x, c, l->doc, l->pos + l->npos)
                     : store_block_positions(&c->blk, l->pos + l->npos, n) < 0)
            return x->err ? x->err : (x->err = FZ_ECORRUPT);
        l->npos += n;
        l->ntitle += c->blk.tf_title;
    }
    if (l->nforms > 1) /* a form's main and delta cursors never hold the same document */
        qsort(l->pos, l->npos, sizeof *l->pos, cmp_u32);
    l->pos_doc = l->doc;
    return 0;
}

/* ---------------------------------------------------------- verification */

/* Characters of dt->text before byte b, counted on from the last place
 * (tokens come in order, so the walk is linear in the text's length). */
static uint32_t dt_chars(doctoks *dt, uint32_t b)
{
    const unsigned char *t = (const unsigned char *)dt->text;
    while (dt->at < b)
        dt->chars += (t[dt->at++] & 0xC0) != 0x80;
    while (dt->at > b) /* an expansion (㍻ -> 平成) repeats a byte range */
        dt->chars -= (t[--dt->at] & 0xC0) != 0x80;
    return dt->chars;
}

static int dt_emit(void *p, const tok_token *t)
{
    doctoks *dt = p;
    if (t->kind == TOK_BI || t->pos >= dt->npos)
        return 0;
    dt->cs[t->pos] = dt_chars(dt, t->start);
    dt->ce[t->pos] = dt_chars(dt, t->end);
    dt->kind[t->pos] = (uint8_t)t->kind;
    dt->toff[t->pos] = (uint32_t)dt->terms.len;
    dt->tlen[t->pos] = t->term_len;
    return fz_buf_append(&dt->terms, t->term, t->term_len);
}

static tok_analyzer *get_tok(search *s, tok_fold f);

/* Reads entry doc into *e, its strings in a new arena that the caller
 * destroys; NULL with x->err set when that fails (an entry the postings
 * name but the index lacks is damage). */
static fz_arena *entry_read(ctx *x, uint32_t doc, store_entry *e)
{
    fz_arena *a = fz_arena_create();
    if (!a) {
        x->err = FZ_ENOMEM;
        return NULL;
    }
    int rc = store_entry_get_cached(x->s->st, x->txn, x->s->cache, doc, a, e);
    if (rc) {
        fz_arena_destroy(a);
        x->err = rc == FZ_ENOTFOUND ? FZ_ECORRUPT : rc;
        return NULL;
    }
    return a;
}

/* Tokens (at fold f) of entry doc by position into dt, and their places
 * in characters. */
static int load_toks(ctx *x, doctoks *dt, tok_fold f, uint32_t doc)
{
    if (dt->doc == doc && dt->kind)
        return 0;
    dt->doc = DOC_END; /* until it is loaded */
    store_entry e;
    fz_arena *a = entry_read(x, doc, &e);
    if (!a)
        return x->err;
    int rc;
    uint32_t n = e.npos + 2;
    if (n > dt->cap) {
        free(dt->kind);
        free(dt->toff);
        free(dt->tlen);
        free(dt->cs);
        free(dt->ce);
        dt->kind = malloc(n);
        dt->toff = malloc(n * sizeof *dt->toff);
        dt->tlen = malloc(n * sizeof *dt->tlen);
        dt->cs = malloc(n * sizeof *dt->cs);
        dt->ce = malloc(n * sizeof *dt->ce);
        dt->cap = n;
        if (!dt->kind || !dt->toff || !dt->tlen || !dt->cs || !dt->ce) {
            fz_arena_destroy(a);
            dt->cap = 0;
            return x->err = FZ_ENOMEM;
        }
    }
    memset(dt->kind, 0, n);
    memset(dt->cs, 0, n * sizeof *dt->cs);
    memset(dt->ce, 0, n * sizeof *dt->ce);
    dt->npos = n;
    dt->title_npos = e.title_npos;
    dt->terms.len = 0;
    tok_analyzer *t = get_tok(x->s, f);
    if (!t) {
        fz_arena_destroy(a);
        return x->err = FZ_EICU;
    }
    dt->text = e.title;
    dt->at = dt->chars = 0;
    rc = tok_analyze(t, e.title, e.title_len, 0, dt_emit, dt, NULL);
    dt->text = e.body;
    dt->at = dt->chars = 0;
    if (!rc)
        rc = tok_analyze(t, e.body, e.body_len, e.title_npos, dt_emit, dt, NULL);
    dt->text = NULL;
    fz_arena_destroy(a);
    if (rc) {
        dt->doc = DOC_END;
        return x->err = rc;
    }
    dt->doc = doc;
    return 0;
}

/* Tokens (at fold NONE) of entry doc, for verification and NEAR/N. */
static int load_doctoks(ctx *x, uint32_t doc) { return load_toks(x, &x->dt, TOK_FOLD_NONE, doc); }

/* The positions of c's unigram (a CJK character; its postings keep none)
 * in its current document doc, ascending, into out: the entry's title
 * and body analysed again as the indexer analysed them (TS folding, the
 * body from title_npos on), and the places of that term taken.  Exactly
 * the tf_title + tf_body positions the indexer saw, title ones first;
 * a text that does not give them is damage (FZ_ECORRUPT, x->err set).
 * Consecutive candidates often share an entry block, which the handle's
 * entry cache keeps decompressed. */
static int uni_positions(ctx *x, const keycur *c, uint32_t doc, uint32_t *out)
{
    doctoks *ut = &x->ut;
    if (load_toks(x, ut, TOK_FOLD_TS, doc))
        return x->err;
    const char *term = (const char *)c->key + 1;
    uint32_t tlen = (uint32_t)(c->prefix - 2), n = 0, nt = 0, want = c->blk.tf_title + c->blk.tf_body;
    for (uint32_t p = 0; p < ut->npos; p++) {
        if (ut->kind[p] != TOK_UNI || ut->tlen[p] != tlen || memcmp(ut->terms.p + ut->toff[p], term, tlen))
            continue;
        if (n == want) {
            n++;
            break;
        }
        out[n++] = p;
        nt += p < ut->title_npos;
    }
    if (n != want || nt != c->blk.tf_title) {
        fz_msg(x->msg, x->msglen, "entry %u does not hold the occurrences its postings count; re-index", doc);
        return x->err = FZ_ECORRUPT;
    }
    return 0;
}

/* Confirms a phrase match at start: every ? is a CJK character joined to
 * its neighbours in the phrase (from the entry's join map, as a bigram
 * would be), and at --fold=none every character is the exact form. */
static int phrase_verify(ctx *x, node *n, uint32_t doc, uint32_t start)
{
    if (n->nwild || n->njoins) {
        const uint8_t *map;
        size_t len;
        int rc = store_join_get(x->s->st, x->txn, doc, &map, &len);
        if (rc && rc != FZ_ENOTFOUND) {
            x->err = rc;
            return 0;
        }
        for (size_t i = 0; i < n->njoins; i++)
            if (!store_join_bit(map, len, start + n->joins[i]))
                return 0;
        for (size_t i = 0; i < n->nwild; i++) {
            uint32_t w = n->wild[i];
            if (w > 0 && !store_join_bit(map, len, start + w))
                return 0;
            if (w + 1 < n->len && !store_join_bit(map, len, start + w + 1))
                return 0;
            if (n->len == 1)
                return 0; /* a lone ? is refused by the parser */
        }
    }
    if (!n->vterm)
        return 1;
    if (load_doctoks(x, doc))
        return 0;
    doctoks *dt = &x->dt;
    for (uint32_t j = 0; j < n->len; j++) {
        if (!n->vterm[j])
            continue;
        uint32_t p = start + j;
        if (p >= dt->npos || !dt->kind[p] || dt->tlen[p] != n->vlen[j] ||
            memcmp(dt->terms.p + dt->toff[p], n->vterm[j], n->vlen[j]))
            return 0;
    }
    return 1;
}

/* ----------------------------------------------------------------- nodes */

static uint32_t node_next(ctx *x, node *n, uint32_t target);
static int node_spans(ctx *x, node *n);

static int add_span(ctx *x, node *n, uint32_t s, uint32_t e, uint8_t title)
{
    if (n->nsp == n->spcap) {
        size_t cap = n->spcap ? n->spcap * 2 : 16;
        pspan *p = realloc(n->sp, cap * sizeof *p);
        if (!p)
            return x->err = FZ_ENOMEM;
        n->sp = p;
        n->spcap = cap;
    }
    n->sp[n->nsp].s = s;
    n->sp[n->nsp].e = e;
    n->sp[n->nsp].title = title;
    n->nsp++;
    return 0;
}

static int in_sorted(const uint32_t *v, uint32_t n, uint32_t x)
{
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t m = (lo + hi) / 2;
        if (v[m] < x)
            lo = m + 1;
        else
            hi = m;
    }
    return lo < n && v[lo] == x;
}

static uint32_t node_next(ctx *x, node *n, uint32_t target);
static int node_spans(ctx *x, node *n);
static void sort_spans(node *n);

/* chain a before chain b in n's heap of chains: the lower document */
static int chain_before(const node *n, const uint32_t *a, const uint32_t *b)
{
    return n->chain[*a]->doc < n->chain[*b]->doc;
}

HEAP_DOWN(chain_down, uint32_t, const node *, chain_before)

/* The first document >= target where one of n's chains matches (DOC_END:
 * none); every chain is then on it or after it.  The chains are kept in a
 * heap by their documents, so that a step moves only those behind. */
static uint32_t chain_first(ctx *x, node *n, uint32_t target)
{
    if (!n->cheap_ok) {
        for (size_t i = 0; i < n->nchain; i++) {
            node_next(x, n->chain[i], target);
            n->cheap[i] = (uint32_t)i;
        }
        for (size_t i = n->nchain / 2; i-- > 0;)
            chain_down(n->cheap, n->nchain, i, n);
        n->cheap_ok = 1;
    }
    for (;;) {
        node *c = n->chain[n->cheap[0]];
        if (c->doc >= target || x->err)
            return x->err ? DOC_END : c->doc;
        node_next(x, c, target);
        chain_down(n->cheap, n->nchain, 0, n);
    }
}

/* Spans of a chained A?B (chain_wild) in its current doc: those of its
 * chains there, each a character longer. */
static int chain_spans(ctx *x, node *n)
{
    n->nsp = 0;
    for (size_t i = 0; i < n->nchain; i++) {
        node *c = n->chain[i];
        if (c->doc != n->doc) /* every chain is on n->doc or after it (chain_first) */
            continue;
        if (node_spans(x, c))
            return x->err;
        for (size_t j = 0; j < c->nsp; j++) {
            if (n->title_only && !c->sp[j].title)
                continue;
            if (add_span(x, n, c->sp[j].s, c->sp[j].e + 1, c->sp[j].title))
                return x->err;
        }
    }
    sort_spans(n);
    return x->err;
}

/* Phrase spans in the current doc. */
static int phrase_spans(ctx *x, node *n)
{
    if (n->nchain)
        return chain_spans(x, n);
    n->nsp = 0;
    for (size_t i = 0; i < n->nparts; i++)
        if (leaf_positions(x, n->parts[i]))
            return x->err;
    leaf *l0 = n->parts[0];
    for (uint32_t i = 0; i < l0->npos; i++) {
        uint32_t p0 = l0->pos[i];
        if (p0 < n->offs[0])
            continue;
        uint32_t start = p0 - n->offs[0];
        int title = i < l0->ntitle;
        if (n->title_only && !title)
            break;
        int ok = 1;
        for (size_t j = 1; j < n->nparts && ok; j++)
            ok = in_sorted(n->parts[j]->pos, n->parts[j]->npos, start + n->offs[j]);
        if (ok && phrase_verify(x, n, n->doc, start))
            if (add_span(x, n, start, start + n->len - 1, (uint8_t)title))
                return x->err;
    }
    return 0;
}

static double bm25(double idf, double tf, double dl, double avgdl);

/* Moves c, without decoding documents, to the block holding its first
 * document >= target, or the first block after (invalid when none). */
static void kc_cover(ctx *x, keycur *c, uint32_t target)
{
    if (!c->valid || c->blk.last >= target)
        return;
    if (kc_next_block(x, c) || !c->valid)
        return;
    if (c->blk.last < target)
        kc_jump(x, c, target);
}

/* A cursor of an intersection (leaves_meet): its keycur and, while the
 * walk moves in a block's decoded ids without reading frequencies, its
 * place there (the keycur's block cursor is set to it at the end). */
typedef struct {
    keycur *c;
    const uint32_t *id;   /* the block's ids (NULL: not decoded yet, or the cursor is set) */
    uint32_t i, n;        /* the place in id[], the block's documents */
    uint32_t doc;         /* the document there, DOC_END when none is left */
    int moved;            /* the block cursor is behind i */
} meetcur;

/* Sets m's keycur on the document the walk found for it. */
static void meet_settle(meetcur *m)
{
    if (m->moved)
        store_block_move(&m->c->blk, m->i);
    m->moved = 0;
}

/* Moves m to its first document >= d and returns it (DOC_END: none):
 * blocks ending before d are passed by their headers (kc_cover), within a
 * block the ids are galloped over, no frequency read. */
static uint32_t meet_advance(ctx *x, meetcur *m, uint32_t d)
{
    if (m->doc >= d)
        return m->doc;
    keycur *c = m->c;
    if (d > c->blk.last) {
        m->moved = 0; /* the block is left: its cursor no longer matters */
        m->id = NULL;
        kc_cover(x, c, d);
        if (!c->valid || x->err)
            return m->doc = DOC_END;
        if (c->blk.doc >= d)
            return m->doc = c->blk.doc;
    }
    if (c->blk.packed) {
        int rc = store_block_seek(&c->blk, d);
        if (rc == FZ_ENOTFOUND) { /* its records end before the range its key says */
            kc_seek(x, c, d);
            return m->doc = c->valid && !x->err ? c->blk.doc : DOC_END;
        }
        if (rc) {
            x->err = FZ_ECORRUPT;
            c->valid = 0;
            return m->doc = DOC_END;
        }
        return m->doc = c->blk.doc;
    }
    if (!m->id) {
        if (store_block_ids(&c->blk, &m->id)) {
            x->err = FZ_ECORRUPT;
            c->valid = 0;
            return m->doc = DOC_END;
        }
        m->i = c->blk.i;
        m->n = c->blk.ndocs;
    }
    /* gallop: a[lo - 1] < d; probe lo, lo + 1, lo + 3, lo + 7, ... */
    const uint32_t *a = m->id;
    uint32_t n = m->n, lo = m->i + 1, hi = lo, step = 1;
    while (hi < n && a[hi] < d) {
        lo = hi + 1;
        hi += step;
        step <<= 1;
    }
    /* the first id >= d is in [lo, hi] (or there is none when hi >= n):
     * a bisection without branches (their mispredictions cost more than
     * the steps) */
    uint32_t len = (hi < n ? hi + 1 : n) - lo, j = lo;
    if (len > 0) {
        const uint32_t *p = a + lo;
        while (len > 1) {
            uint32_t half = len / 2;
            p = p[half] < d ? p + half : p;
            len -= half;
        }
        j = (uint32_t)(p - a) + (*p < d);
    }
    if (j >= n) { /* the block's ids end before its recorded last: the next block */
        m->id = NULL;
        m->moved = 0;
        store_block_move(&c->blk, n - 1);
        kc_seek(x, c, d);
        return m->doc = c->valid && !x->err ? c->blk.doc : DOC_END;
    }
    m->i = j;
    m->moved = 1;
    return m->doc = a[j];
}

#define MEET_MAX 16

/* Whether leaves_meet can walk the leaves ls[0..n): at most MEET_MAX,
 * each of one cursor (one form, no delta postings of it). */
static int meet_ok(leaf *const *ls, size_t n)
{
    if (n > MEET_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (ls[i]->nk != 1)
            return 0;
    return 1;
}

/* The first document >= target that every leaf of ls[0..n) (meet_ok)
 * holds, every leaf then on it, or DOC_END; the same as seeking each leaf
 * in turn (leaf_seek) until they agree, without a call or a frequency
 * read per document passed: the cursors, rarest first, leapfrog over
 * their blocks' decoded ids, and only the agreed document's cursors are
 * set.  Removed entries are passed over as leaf_update does. */
static uint32_t leaves_meet(ctx *x, leaf *const *ls, size_t n, uint32_t target)
{
    meetcur m[MEET_MAX];
    uint64_t df[MEET_MAX];
    for (size_t i = 0; i < n; i++) {
        /* rarest first: it proposes the fewest candidates */
        size_t j = i;
        for (; j > 0 && ls[i]->df < df[j - 1]; j--) {
            m[j] = m[j - 1];
            df[j] = df[j - 1];
        }
        keycur *c = &ls[i]->k[0];
        df[j] = ls[i]->df;
        m[j].c = c;
        m[j].id = NULL;
        m[j].i = m[j].n = 0;
        m[j].moved = 0;
        m[j].doc = c->valid ? c->blk.doc : DOC_END;
    }
    for (;;) {
        uint32_t d = target;
        size_t agree = 0, i = 0;
        while (agree < n) {
            uint32_t di = meet_advance(x, &m[i], d);
            if (di == DOC_END)
                break;
            if (di == d)
                agree++;
            else {
                d = di;
                agree = 1;
            }
            i = i + 1 == n ? 0 : i + 1;
        }
        for (size_t k = 0; k < n; k++)
            meet_settle(&m[k]);
        uint32_t maxd = 0;
        int same = 1;
        for (size_t k = 0; k < n; k++) {
            leaf_update(x, ls[k]);
            if (ls[k]->doc != ls[0]->doc)
                same = 0;
            if (ls[k]->doc > maxd)
                maxd = ls[k]->doc;
        }
        if (x->err || maxd == DOC_END)
            return DOC_END;
        if (same)
            return maxd;
        /* a removed entry was passed over: meet again past it */
        target = maxd;
        for (size_t k = 0; k < n; k++) {
            m[k].id = NULL;
            m[k].doc = m[k].c->valid ? m[k].c->blk.doc : DOC_END;
        }
    }
}

/* The block bound of phrase n for the documents from target to *last
 * (see prune_skip); -1 when a part has no documents left. */
static double phrase_block_bound(ctx *x, node *n, uint32_t target, uint32_t *last_out)
{
    double tf = HUGE_VAL, imp = HUGE_VAL;
    uint32_t dl = 0, last = DOC_END - 1;
    for (size_t i = 0; i < n->nparts; i++) {
        leaf *l = n->parts[i];
        double tfi = 0, impi = 0;
        uint32_t mindl = UINT32_MAX;
        int any = 0;
        for (size_t j = 0; j < l->nk; j++) {
            keycur *c = &l->k[j];
            kc_cover(x, c, target);
            if (!c->valid)
                continue;
            any = 1;
            tfi += SEARCH_TITLE_WEIGHT * c->blk.max_tf_title + c->blk.max_tf_body;
            /* impacts add up over the forms (bm25 is subadditive in tf) */
            impi += c->blk.q ? store_block_impact_bound(&c->blk, x->s->avgdl) : HUGE_VAL;
            if (c->blk.min_dl < mindl)
                mindl = c->blk.min_dl;
            if (c->blk.last < last)
                last = c->blk.last;
        }
        leaf_update(x, l);
        if (!any)
            return -1; /* a part has no documents left */
        if (tfi < tf)
            tf = tfi;
        if (mindl > dl)
            dl = mindl;
        if (impi < imp)
            imp = impi;
    }
    *last_out = last;
    double bound = bm25(n->idf, tf, dl, x->s->avgdl);
    if (imp < HUGE_VAL && n->idf * imp < bound)
        bound = n->idf * imp;
    return bound;
}

/* Block-max pruning for phrase n (a lone term is a phrase of one part):
 * returns the first document >= target that may score above prune_thr,
 * judging by the blocks of every part that hold documents from target on,
 * or DOC_END.  In [target, L], L the earliest end of those blocks, a match
 * occurs at most as often as any one part (the sum of its forms' block
 * maxima of 3 * tf_title + tf_body), and its length is at least the
 * largest over the parts of their blocks' least length; so the BM25 score
 * of those tf and length bounds every match there.  So does idf times the
 * smallest over the parts of their blocks' recorded impacts (summed over
 * a part's forms).  When the smaller bound is not above the threshold the
 * whole range is skipped.  A range found above it is not looked at again
 * while the threshold stays the same (pass_last). */
static uint32_t prune_skip(ctx *x, node *n, uint32_t target)
{
    if (target <= x->pass_last && x->pass_thr == x->prune_thr)
        return target;
    while (target < DOC_END - 1 && !x->err) {
        uint32_t last;
        double bound = phrase_block_bound(x, n, target, &last);
        if (bound < 0)
            return DOC_END;
        if (bound > x->prune_thr) {
            x->pass_last = last;
            x->pass_thr = x->prune_thr;
            return target;
        }
        target = last + 1;
    }
    return x->err ? DOC_END : target;
}

/* The same for an AND of phrases, every one of them scored: the sum of
 * their block bounds plus the largest proximity bonus. */
static uint32_t and_skip(ctx *x, node *n, uint32_t target)
{
    if (target <= x->pass_last && x->pass_thr == x->prune_thr)
        return target;
    while (target < DOC_END - 1 && !x->err) {
        double sum = 0, maxidf = 0;
        uint32_t last = DOC_END - 1;
        for (size_t i = 0; i < n->nkids; i++) {
            if (n->neg[i])
                continue;
            uint32_t li;
            double bi = phrase_block_bound(x, n->kids[i], target, &li);
            if (bi < 0)
                return DOC_END;
            sum += bi;
            if (n->kids[i]->idf > maxidf)
                maxidf = n->kids[i]->idf;
            if (li < last)
                last = li;
        }
        sum += SEARCH_PROX_WEIGHT * maxidf;
        if (sum * (1.0 + 1e-9) > x->prune_thr) {
            x->pass_last = last;
            x->pass_thr = x->prune_thr;
            return target;
        }
        target = last + 1;
    }
    return x->err ? DOC_END : target;
}

/* Upper bound of phrase n's score in document d, on which every part
 * stands: the phrase occurs at most as often as any part (3 * tf_title +
 * tf_body from the parts' records, no positions decoded).  With dl NULL
 * the length is bounded by the parts' blocks (no lookup), else it is *dl,
 * d's own. */
static double doc_bound(ctx *x, node *n, uint32_t d, const uint32_t *dl_exact)
{
    double tf = HUGE_VAL;
    uint32_t dl = 0;
    for (size_t i = 0; i < n->nparts; i++) {
        const leaf *l = n->parts[i];
        double t = 0;
        uint32_t mindl = UINT32_MAX;
        for (size_t j = 0; j < l->nk; j++)
            if (l->k[j].valid && l->k[j].blk.doc == d) {
                t += SEARCH_TITLE_WEIGHT * l->k[j].blk.tf_title + l->k[j].blk.tf_body;
                if (l->k[j].blk.min_dl < mindl)
                    mindl = l->k[j].blk.min_dl;
            }
        if (t < tf)
            tf = t;
        if (mindl != UINT32_MAX && mindl > dl)
            dl = mindl;
    }
    return bm25(n->idf, tf, dl_exact ? *dl_exact : dl, x->s->avgdl);
}

/* The first document >= d that every positive kid of AND n matches, or
 * with parts set every part of phrase n holds, each moving in turn
 * (node_next, leaf_seek) until they agree, or DOC_END: the walk of the
 * kids or parts that leaves_meet cannot take. */
static uint32_t kids_agree(ctx *x, node *n, uint32_t d, int parts)
{
    size_t nk = parts ? n->nparts : n->nkids;
    for (;;) {
        uint32_t maxd = d;
        int same = 1;
        for (size_t i = 0; i < nk; i++) {
            if (!parts && n->neg[i])
                continue;
            uint32_t di = parts ? leaf_seek(x, n->parts[i], maxd) : node_next(x, n->kids[i], maxd);
            if (di == DOC_END)
                return DOC_END;
            if (di != maxd) {
                same = 0;
                if (di > maxd)
                    maxd = di;
            }
        }
        if (same)
            return d;
        d = maxd;
    }
}


/* Prefetches the lengths of the next DLEN_AHEAD documents of the
 * scoring terms' open blocks (their ids decoded): the next match is
 * likely among them, and its length, a load from a table larger than the
 * caches, then waits less (a frequent pair's top-k loads one a match). */
#define DLEN_AHEAD 8
static void dlen_ahead(ctx *x)
{
    for (size_t i = 0; i < x->nscoring; i++) {
        const node *n = x->scoring[i];
        if (n->type != N_PHRASE || n->nparts != 1)
            continue;
        const leaf *l = n->parts[0];
        for (size_t j = 0; j < l->nk; j++) {
            const store_block *b = &l->k[j].blk;
            if (!l->k[j].valid || b->packed || b->ids_done != 1 || b->i >= b->ndocs)
                continue;
            for (uint32_t a = b->i + 1; a <= b->i + DLEN_AHEAD && a < b->ndocs; a++)
                store_dlen_prefetch(&x->dc, b->id[a]);
        }
    }
}

/* Whether document d surely scores at most thr by bound(x, n, d, dl): the
 * cheap bound first, then with d's length, looked up only if needed. */
static int below(ctx *x, node *n, uint32_t d, double thr,
                 double (*bound)(ctx *, node *, uint32_t, const uint32_t *))
{
    /* the bound from the blocks' least lengths is tried while it pays */
    if (x->cheap_tries < 64 || x->cheap_hits * 8 >= x->cheap_tries) {
        x->cheap_tries++;
        if (bound(x, n, d, NULL) <= thr)
            return x->cheap_hits++, 1;
    }
    uint32_t dl = store_dlen_get(x->s->st, x->txn, &x->dc, d);
    return bound(x, n, d, &dl) <= thr;
}

static uint32_t phrase_next(ctx *x, node *n, uint32_t target)
{
    for (;;) {
        if (x->prune_on && x->prune_node == n && (target = prune_skip(x, n, target)) >= DOC_END - 1)
            return n->doc = DOC_END;
        uint32_t d = target;
        if (n->nchain) {
            /* the first document where a chain matches; its parts are there too */
            d = chain_first(x, n, target);
            if (d == DOC_END || x->err)
                return n->doc = DOC_END;
            for (size_t i = 0; i < n->nparts; i++)
                if (leaf_seek(x, n->parts[i], d) != d)
                    return x->err = FZ_ECORRUPT, n->doc = DOC_END;
        }
        /* leapfrog until every part is on the same doc */
        d = meet_ok(n->parts, n->nparts) ? leaves_meet(x, n->parts, n->nparts, d) : kids_agree(x, n, d, 1);
        if (d == DOC_END)
            return n->doc = DOC_END;
        n->doc = d;
        if (x->err)
            return n->doc = DOC_END;
        if (n->nparts == 1 && !n->nwild && !n->njoins && !n->vterm && !n->title_only)
            return d;
        if (x->prune_on && x->prune_node == n && below(x, n, d, x->prune_thr, doc_bound)) {
            target = d + 1; /* cannot enter the top k: no need for its positions */
            continue;
        }
        if (phrase_spans(x, n))
            return n->doc = DOC_END;
        n->sdoc = d;
        if (n->nsp)
            return d;
        target = d + 1;
    }
}

static int span_cmp(const void *a, const void *b)
{
    const pspan *x = a, *y = b;
    if (x->s != y->s)
        return x->s < y->s ? -1 : 1;
    return x->e < y->e ? -1 : x->e > y->e;
}

/* Sorts a node's spans and drops duplicates (two terms, or two forms of
 * one, matching the same text count once). */
static void sort_spans(node *n)
{
    if (n->nsp < 2)
        return;
    qsort(n->sp, n->nsp, sizeof *n->sp, span_cmp);
    size_t k = 1;
    for (size_t i = 1; i < n->nsp; i++)
        if (n->sp[i].s != n->sp[k - 1].s || n->sp[i].e != n->sp[k - 1].e)
            n->sp[k++] = n->sp[i];
    n->nsp = k;
}

/* Spans of the root that are text positions: a filter alone (author:,
 * section:, file:, kind:) matches metadata, not text, and has none. */
static size_t text_nspans(const node *n)
{
    return n->type == N_PHRASE && n->field != STORE_F_TEXT ? 0 : n->nsp;
}

static int simple_term(const node *n);

/* The leaves of AND n's positive kids into ls, when each kid is one term
 * (simple_term) that leaves_meet can walk with the others (meet_ok);
 * returns how many, 0 when not so. */
static size_t and_leaves(const node *n, leaf **ls)
{
    size_t nl = 0;
    for (size_t i = 0; i < n->nkids; i++) {
        if (n->neg[i])
            continue;
        if (nl == MEET_MAX || !simple_term(n->kids[i]))
            return 0;
        ls[nl++] = n->kids[i]->parts[0];
    }
    return meet_ok(ls, nl) ? nl : 0;
}


static uint32_t and_next(ctx *x, node *n, uint32_t target)
{
    for (;;) {
        if (x->prune_on && x->prune_node == n && (target = and_skip(x, n, target)) >= DOC_END - 1)
            return n->doc = DOC_END;
        uint32_t d = target;
        leaf *ls[MEET_MAX];
        size_t nl = and_leaves(n, ls);
        if (nl) {
            /* every positive kid one term: their leaves meet */
            d = leaves_meet(x, ls, nl, d);
            for (size_t i = 0, j = 0; i < n->nkids; i++)
                if (!n->neg[i])
                    n->kids[i]->doc = ls[j++]->doc;
        } else {
            d = kids_agree(x, n, d, 0);
        }
        if (d == DOC_END || x->err)
            return n->doc = DOC_END;
        int rejected = 0;
        for (size_t i = 0; i < n->nkids && !rejected; i++)
            if (n->neg[i] && node_next(x, n->kids[i], d) == d)
                rejected = 1;
        if (!rejected)
            return n->doc = d;
        target = d + 1;
    }
}

static uint32_t or_next(ctx *x, node *n, uint32_t target)
{
    uint32_t d = DOC_END;
    for (size_t i = 0; i < n->nkids; i++) {
        uint32_t di = node_next(x, n->kids[i], target);
        if (di < d)
            d = di;
    }
    return n->doc = d;
}

/* A node whose spans are positions of the title and body (not of a
 * metadata field such as author:). */
static int text_spans_node(const node *n)
{
    return n->type != N_PHRASE || n->field == STORE_F_TEXT;
}

/* NEAR: the spans of either side that have a partner within dist
 * characters of the same field (title or body): the characters between
 * the two matches, punctuation, spaces and every letter of a word
 * included; overlapping matches are 0 apart.  Metadata fields (author:
 * and the like) have no text between their words: they count positions. */
static int near_spans(ctx *x, node *n)
{
    n->nsp = 0;
    node *a = n->kids[0], *b = n->kids[1];
    if (node_spans(x, a) || node_spans(x, b))
        return x->err;
    int chars = text_spans_node(a) && text_spans_node(b);
    if (chars && a->nsp && b->nsp && load_doctoks(x, n->doc))
        return x->err;
    const doctoks *dt = &x->dt;
    for (int side = 0; side < 2; side++) {
        node *p = side ? b : a, *q = side ? a : b;
        for (size_t i = 0; i < p->nsp; i++) {
            int ok = 0;
            for (size_t j = 0; j < q->nsp && !ok; j++) {
                const pspan *u = &p->sp[i], *w = &q->sp[j];
                uint32_t gap;
                if (chars && (u->title != w->title || u->e >= dt->npos || w->e >= dt->npos))
                    continue;
                if (w->s > u->e)
                    gap = chars ? dt->cs[w->s] - dt->ce[u->e] : w->s - u->e - 1;
                else if (u->s > w->e)
                    gap = chars ? dt->cs[u->s] - dt->ce[w->e] : u->s - w->e - 1;
                else
                    gap = 0;
                ok = gap <= n->dist;
            }
            if (ok && add_span(x, n, p->sp[i].s, p->sp[i].e, p->sp[i].title))
                return x->err;
        }
    }
    sort_spans(n);
    return 0;
}

static uint32_t node_next(ctx *x, node *n, uint32_t target);

/* A phrase of one term without checks: matches where the term occurs, so
 * its spans in a document are its postings' occurrences there. */
static int simple_term(const node *n)
{
    return n->type == N_PHRASE && n->nparts == 1 && !n->nwild && !n->njoins && !n->vterm && !n->title_only;
}

/* The occurrences of simple_term n's term in document doc, its forms'
 * together (tf_title + tf_body; two forms never share a position); those
 * in the title into *title when not NULL. */
static uint32_t term_tf(const node *n, uint32_t doc, uint32_t *title)
{
    const leaf *l = n->parts[0];
    uint32_t tf = 0, tt = 0;
    for (size_t k = 0; k < l->nk; k++)
        if (l->k[k].valid && l->k[k].blk.doc == doc) {
            tf += l->k[k].blk.tf_title + l->k[k].blk.tf_body;
            tt += l->k[k].blk.tf_title;
        }
    if (title)
        *title = tt;
    return tf;
}

/* Counts the spans of n in its current document doc without listing them,
 * where the postings tell: an EXCEPT whose left side is a simple_term and
 * whose right side is not in doc keeps every occurrence of the left (a
 * lone character's positions would have to come from the entry's text).
 * 1 with *nsp and *title set, else 0 (list them: node_spans). */
static int except_count(ctx *x, node *n, uint32_t doc, uint32_t *nsp, uint32_t *title)
{
    if (n->type != N_EXCEPT || !simple_term(n->kids[0]) || n->kids[0]->doc != doc)
        return 0;
    int bhere = node_next(x, n->kids[1], doc) == doc;
    if (x->err || (bhere && !n->sub))
        return 0;
    *nsp = term_tf(n->kids[0], doc, title);
    if (bhere) {
        /* each occurrence of the right side holds one of the left's */
        uint32_t bt, bn = term_tf(n->kids[1], doc, &bt);
        if (bn > *nsp || bt > *title)
            return 0; /* cannot be: the spans decide */
        *nsp -= bn;
        *title -= bt;
    }
    return 1;
}

/* Whether every span of b (a simple_term of a bigram) holds exactly one
 * occurrence of a (a simple_term of a lone character): the forms of one
 * of b's characters are a's forms, the other's none of them (b's keys are
 * the products of its characters' forms, term_alts). */
static int except_subtracts(const node *a, const node *b)
{
    if (!simple_term(a) || !simple_term(b) || a->field != STORE_F_TEXT || b->field != STORE_F_TEXT)
        return 0;
    const leaf *la = a->parts[0], *lb = b->parts[0];
    for (size_t i = 0; i < la->nk; i++)
        if (!la->k[i].nopos)
            return 0;
    int in[2] = {1, 1}, out[2] = {1, 1};
    for (size_t i = 0; i < lb->nk; i++) {
        const keycur *c = &lb->k[i];
        const unsigned char *t = c->key + 1;
        size_t len = c->prefix - 2;
        uint32_t cp;
        int m = fz_utf8_decode(t, len, &cp);
        if (m <= 0 || (size_t)m >= len || c->nopos)
            return 0;
        const unsigned char *ch[2] = {t, t + m};
        size_t cl[2] = {(size_t)m, len - (size_t)m};
        for (int j = 0; j < 2; j++) {
            int found = 0;
            for (size_t k = 0; k < la->nk && !found; k++)
                found = la->k[k].prefix - 2 == cl[j] && !memcmp(la->k[k].key + 1, ch[j], cl[j]);
            in[j] &= found;
            out[j] &= !found;
        }
    }
    /* one character always a form of a's, the other never; and every form
     * of a's among b's first (or second) characters */
    for (int j = 0; j < 2; j++) {
        if (!in[j] || !out[1 - j])
            continue;
        for (size_t k = 0; k < la->nk; k++) {
            int found = 0;
            for (size_t i = 0; i < lb->nk && !found; i++) {
                const unsigned char *t = lb->k[i].key + 1;
                size_t len = lb->k[i].prefix - 2, lk = la->k[k].prefix - 2;
                found = j == 0 ? len > lk && !memcmp(t, la->k[k].key + 1, lk)
                               : len > lk && !memcmp(t + len - lk, la->k[k].key + 1, lk);
            }
            if (!found)
                return 0;
        }
        return 1;
    }
    return 0;
}



static int except_spans(ctx *x, node *n)
{
    n->nsp = 0;
    node *a = n->kids[0], *b = n->kids[1];
    if (node_spans(x, a))
        return x->err;
    int bhere = node_next(x, b, n->doc) == n->doc;
    if (bhere && node_spans(x, b))
        return x->err;
    for (size_t i = 0; i < a->nsp; i++) {
        int inside = 0;
        for (size_t j = 0; bhere && j < b->nsp && !inside; j++)
            inside = b->sp[j].s <= a->sp[i].s && a->sp[i].e <= b->sp[j].e;
        if (!inside && add_span(x, n, a->sp[i].s, a->sp[i].e, a->sp[i].title))
            return x->err;
    }
    return 0;
}

static uint32_t pair_next(ctx *x, node *n, uint32_t target)
{
    for (;;) {
        uint32_t d;
        if (n->type == N_NEAR) {
            d = target;
            for (;;) {
                uint32_t da = node_next(x, n->kids[0], d);
                if (da == DOC_END)
                    return n->doc = DOC_END;
                uint32_t db = node_next(x, n->kids[1], da);
                if (db == DOC_END)
                    return n->doc = DOC_END;
                if (db == da) {
                    d = da;
                    break;
                }
                d = db;
            }
        } else {
            d = node_next(x, n->kids[0], target);
            if (d == DOC_END)
                return n->doc = DOC_END;
        }
        n->doc = d;
        uint32_t ns, nt;
        if (n->type == N_EXCEPT && except_count(x, n, d, &ns, &nt)) {
            if (ns)
                return d; /* counted from the frequencies: spans listed when asked */
            target = d + 1;
            continue;
        }
        if (x->err)
            return n->doc = DOC_END;
        int rc = n->type == N_NEAR ? near_spans(x, n) : except_spans(x, n);
        if (rc)
            return n->doc = DOC_END;
        n->sdoc = d;
        if (n->nsp)
            return d;
        target = d + 1;
    }
}

/* The first id >= target inside one of n's ranges (binary search). */
static uint32_t ranges_next(node *n, uint32_t target)
{
    size_t lo = 0, hi = n->nr;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (n->rhi[mid] < target)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == n->nr)
        return n->doc = DOC_END;
    return n->doc = target > n->rlo[lo] ? target : n->rlo[lo];
}

static uint32_t node_next(ctx *x, node *n, uint32_t target)
{
    if (n->doc == DOC_END)
        return DOC_END;
    if (n->doc != UNPOSITIONED && n->doc >= target)
        return n->doc;
    switch (n->type) {
    case N_PHRASE: return phrase_next(x, n, target);
    case N_AND: return and_next(x, n, target);
    case N_OR: return or_next(x, n, target);
    case N_NEAR:
    case N_EXCEPT: return pair_next(x, n, target);
    case N_RANGES: return ranges_next(n, target);
    default: return n->doc = DOC_END;
    }
}

/* Spans of n in its current doc (which the caller made current). */
static int node_spans(ctx *x, node *n)
{
    if (n->sdoc == n->doc && n->doc != DOC_END)
        return 0;
    n->nsp = 0;
    int rc = 0;
    switch (n->type) {
    case N_PHRASE:
        rc = phrase_spans(x, n);
        break;
    case N_AND:
    case N_OR:
        for (size_t i = 0; i < n->nkids && !rc; i++) {
            node *k = n->kids[i];
            if (n->type == N_AND && n->neg[i])
                continue;
            if (k->doc != n->doc || (k->type == N_PHRASE && k->field != STORE_F_TEXT))
                continue;
            if ((rc = node_spans(x, k)))
                break;
            for (size_t j = 0; j < k->nsp && !rc; j++)
                rc = add_span(x, n, k->sp[j].s, k->sp[j].e, k->sp[j].title);
        }
        if (!rc)
            sort_spans(n);
        break;
    case N_NEAR:
        rc = near_spans(x, n);
        break;
    case N_EXCEPT:
        rc = except_spans(x, n);
        break;
    }
    n->sdoc = n->doc;
    return rc;
}

static int node_reset(ctx *x, node *n)
{
    n->doc = 0;
    n->sdoc = DOC_END;
    n->nsp = 0;
    if (n->type == N_PHRASE) {
        for (size_t i = 0; i < n->nparts; i++)
            if (leaf_reset(x, n->parts[i]))
                return x->err ? x->err : FZ_ELMDB;
        for (size_t i = 0; i < n->nchain; i++)
            if (node_reset(x, n->chain[i]))
                return x->err ? x->err : FZ_ELMDB;
        n->cheap_ok = 0;
        n->doc = UNPOSITIONED; /* "not positioned": forces the first node_next */
        return 0;
    }
    for (size_t i = 0; i < n->nkids; i++)
        if (node_reset(x, n->kids[i]))
            return x->err ? x->err : FZ_ELMDB;
    n->doc = UNPOSITIONED;
    return 0;
}

/* ----------------------------------------------------------- compilation */

static tok_analyzer *get_tok(search *s, tok_fold f)
{
    if (!s->tok[f])
        s->tok[f] = tok_create(f, NULL, 0);
    return s->tok[f];
}

/* The keys under which the index may hold a query character cp (already
 * folded traditional -> simplified on its own), at most max, cp first.
 * --fold=variants: every form of its variant class.  --fold=none: the
 * index folds inside ICU's phrase rules (tok.h), so a character written as
 * one whose form is cp can be indexed under the rule's result instead (沈
 * in 沈澱 is indexed as 沉); the verification keeps the exact forms. */
static size_t char_forms(tok_fold fold, uint32_t cp, uint32_t *out, size_t max)
{
    if (fold == TOK_FOLD_VARIANTS)
        return fold_variant_forms(cp, out, max);
    size_t n = 0;
    out[n++] = cp;
    if (fold != TOK_FOLD_NONE)
        return n;
    for (size_t i = 0, nr = fold_phrase_count(); i < nr; i++) {
        const uint32_t *key, *val;
        size_t kl = fold_phrase(i, &key, &val);
        for (size_t k = 0; k < kl; k++) {
            if (fold_ts(key[k]) != cp || val[k] == cp)
                continue;
            size_t j = 0;
            while (j < n && out[j] != val[k])
                j++;
            if (j == n && n < max)
                out[n++] = val[k];
        }
    }
    return n;
}

/* Alternative keys of one term at --fold=variants and --fold=none: the
 * product of each character's forms (char_forms), at most MAX_ALTS. */
static size_t term_alts(ctx *x, const char *term, size_t len, char alts[][STORE_KEY_MAX], size_t *alen)
{
    uint32_t cps[8];
    size_t ncp = 0;
    for (size_t i = 0; i < len && ncp < 8;) {
        uint32_t cp;
        int k = fz_utf8_decode((const unsigned char *)term + i, len - i, &cp);
        if (k < 0)
            k = 1;
        cps[ncp++] = cp;
        i += (size_t)k;
    }
    int cjk = ncp <= 2 && ncp > 0 && tok_classify(cps[0]) == TOK_C_CJK;
    if (x->o->fold == TOK_FOLD_TS || !cjk) {
        memcpy(alts[0], term, len);
        alen[0] = len;
        return 1;
    }
    uint32_t f0[MAX_ALTS], f1[MAX_ALTS];
    size_t n0 = char_forms(x->o->fold, cps[0], f0, MAX_ALTS), n1 = 1;
    if (ncp == 2)
        n1 = char_forms(x->o->fold, cps[1], f1, MAX_ALTS);
    size_t n = 0;
    for (size_t i = 0; i < n0; i++)
        for (size_t j = 0; j < n1 && n < MAX_ALTS; j++) {
            size_t l = (size_t)fz_utf8_encode(f0[i], alts[n]);
            if (ncp == 2)
                l += (size_t)fz_utf8_encode(f1[j], alts[n] + l);
            alen[n++] = l;
        }
    return n;
}

/* Opens the next cursor of leaf l on the postings of one form of its term
 * in db ("post", or the delta's "dpost") and adds the form's document
 * frequency there to l->df: the packed term's, or the sum over its block
 * headers.  A form the delta does not have gets no cursor there.  Returns
 * 1 (a cursor added), 0 (none), -1 with x->err set.  exact: a chain's
 * leaf (make_leaf_as), never scored nor bounded: no document frequency
 * walked, and 0 for a packed term's least length. */
static int kc_make(ctx *x, leaf *l, enum store_db db, int field, const char *term, size_t len, int exact)
{
    keycur *c = &l->k[l->nk];
    int rc = mdb_cursor_open(x->txn, store_dbi(x->s->st, db), &c->cur);
    if (rc) {
        x->err = store_lmdb_err(rc, "opening postings", x->msg, x->msglen);
        return -1;
    }
    l->nk++; /* closed with the leaf */
    c->nopos = !store_field_positions(field);
    c->prefix = store_post_key(c->key, field, term, len, 0) - 4;
    MDB_val k, v;
    rc = store_term_find(c->cur, field, term, len, &k, &v, &c->pk);
    if (exact) {
        c->pk_mindl_known = 1;
        c->pk_mindl = 0;
    }
    if (db == STORE_DB_DPOST && rc != STORE_TERM_BLOCKS) {
        mdb_cursor_close(c->cur);
        c->cur = NULL;
        l->nk--;
        if (rc == FZ_ENOTFOUND)
            return 0;
        if (rc == STORE_TERM_PACKED)
            rc = FZ_ECORRUPT; /* the delta tier has no packs */
    }
    if (rc != STORE_TERM_BLOCKS && rc != STORE_TERM_PACKED && rc != FZ_ENOTFOUND) {
        if (rc == FZ_ELMDB)
            fz_msg(x->msg, x->msglen, "reading postings: LMDB failed");
        x->err = rc;
        return -1;
    }
    uint64_t df = 0;
    if (rc == STORE_TERM_PACKED) {
        c->packed = 1;
        df = c->pk.ndocs;
        rc = MDB_NOTFOUND;
    } else {
        rc = rc == STORE_TERM_BLOCKS && !exact ? 0 : MDB_NOTFOUND;
    }
    uint32_t cap = 0;
    while (rc == 0 && kc_same(c, &k)) {
        uint64_t nd;
        if (!fz_varint_get(v.mv_data, (const uint8_t *)v.mv_data + v.mv_size, &nd)) {
            x->err = FZ_ECORRUPT;
            return -1;
        }
        df += nd;
        /* the block into the directory (freed with the leaf's cursors) */
        if (c->ndir == cap) {
            cap = cap ? cap * 2 : 16;
            kc_block *d = realloc(c->dir, cap * sizeof *d);
            if (!d) {
                x->err = FZ_ENOMEM;
                return -1;
            }
            c->dir = d;
        }
        c->dir[c->ndir++] = (kc_block){v.mv_data, v.mv_size, fz_be32_get((uint8_t *)k.mv_data + c->prefix)};
        rc = mdb_cursor_get(c->cur, &k, &v, MDB_NEXT);
    }
    if (rc && rc != MDB_NOTFOUND) {
        x->err = store_lmdb_err(rc, "reading postings", x->msg, x->msglen);
        return -1;
    }
    /* less the removed entries' documents it still holds */
    uint64_t dead = 0;
    if (db == STORE_DB_POST && x->ndead && (rc = store_dfix_get(x->s->st, x->txn, field, term, len, &dead))) {
        x->err = rc;
        return -1;
    }
    if (dead > df) {
        x->err = FZ_ECORRUPT;
        return -1;
    }
    l->df += df - dead;
    return 1;
}

/* A leaf of term in field: its forms' keys (term_alts); or, with slot, a
 * chain's (chain_wild): the term's key alone, the leaf not among x->leaves
 * but in *slot from the start (its node frees it, chain_free, also when
 * this fails). */
static leaf *make_leaf_as(ctx *x, int field, const char *term, size_t len, leaf **slot)
{
    int exact = slot != NULL;
    char alts[MAX_ALTS][STORE_KEY_MAX];
    size_t alen[MAX_ALTS];
    if (len > STORE_KEY_MAX - 8)
        len = STORE_KEY_MAX - 8;
    size_t n = 1;
    if (exact) {
        memcpy(alts[0], term, len);
        alen[0] = len;
    } else {
        n = term_alts(x, term, len, alts, alen);
    }
    leaf *l = fz_arena_calloc(x->a, sizeof *l);
    if (!l || (!exact && x->nleaves >= MAX_LEAVES)) {
        x->err = l ? FZ_ELIMIT : FZ_ENOMEM;
        return NULL;
    }
    l->k = fz_arena_calloc(x->a, (x->delta ? 2 : 1) * n * sizeof *l->k);
    if (!l->k) {
        x->err = FZ_ENOMEM;
        return NULL;
    }
    l->pos_doc = DOC_END;
    if (!exact)
        x->leaves[x->nleaves++] = l;
    else
        *slot = l;
    l->nforms = n;
    /* each form's postings in the main tree, then (when the index has a
     * delta tier) in the delta: its ids come after every main one, so a
     * leaf reads them after the main list as it merges its cursors */
    for (size_t i = 0; i < n; i++) {
        if (kc_make(x, l, STORE_DB_POST, field, alts[i], alen[i], exact) < 0 ||
            (x->delta && kc_make(x, l, STORE_DB_DPOST, field, alts[i], alen[i], exact) < 0))
            return NULL;
    }
    if (leaf_reset(x, l))
        return NULL;
    double N = (double)x->s->nentries, df = (double)l->df;
    l->idf = log(1.0 + (N - df + 0.5) / (df + 0.5));
    if (l->idf < 0.01)
        l->idf = 0.01;
    return l;
}

static leaf *make_leaf(ctx *x, int field, const char *term, size_t len)
{
    return make_leaf_as(x, field, term, len, NULL);
}

static node *new_node(ctx *x, int type);

#define MAX_CHAINS 3000      /* chains of an A?B at most (two leaves each) */
#define MAX_SECONDS 8192     /* bigrams A x looked at for them */

/* Order of term t against the terms that start with a: < 0 before them,
 * 0 one of them, > 0 after them. */
static int prefix_cmp(const char *t, size_t len, const char *a, size_t alen)
{
    int c = memcmp(t, a, len < alen ? len : alen);
    return c ? c : len < alen ? -1 : 0;
}

/* Appends the second character of term t (a x, a one character) to xs
 * when it is one character; FZ_ELIMIT past max. */
static int add_second(const char *t, size_t len, size_t alen, char (*xs)[8], size_t *n, size_t max)
{
    uint32_t cp;
    int m = len > alen ? fz_utf8_decode((const unsigned char *)t + alen, len - alen, &cp) : 0;
    if (m <= 0 || (size_t)m != len - alen || m > 4)
        return 0;
    if (*n == max)
        return FZ_ELIMIT;
    memcpy(xs[*n], t + alen, (size_t)m);
    xs[*n][m] = 0;
    (*n)++;
    return 0;
}

/* The second characters x of the index's bigram terms a x (a one
 * character), in key order, appended to xs (UTF-8, NUL-terminated): their
 * keys are adjacent, and the term pack before the first may hold some.
 * FZ_ELIMIT when there are more than max; 0, or an FZ_ code. */
static int bigram_seconds(ctx *x, const char *a, size_t alen, char (*xs)[8], size_t *n, size_t max)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(x->txn, store_dbi(x->s->st, STORE_DB_POST), &cur);
    if (rc)
        return store_lmdb_err(rc, "reading postings", x->msg, x->msglen);
    uint8_t pre[STORE_KEY_MAX];
    pre[0] = STORE_F_TEXT;
    memcpy(pre + 1, a, alen);
    MDB_val k = {1 + alen, pre}, v;
    int r = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    int b = r == MDB_NOTFOUND ? mdb_cursor_get(cur, &k, &v, MDB_LAST) : r ? r : mdb_cursor_get(cur, &k, &v, MDB_PREV);
    r = b == MDB_NOTFOUND ? mdb_cursor_get(cur, &k, &v, MDB_FIRST) : b;
    char last[STORE_KEY_MAX];
    size_t last_len = 0;
    int done = 0;
    rc = 0;
    for (; r == 0 && !rc && !done; r = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        const uint8_t *kb = k.mv_data;
        if (k.mv_size < 3 || kb[0] != STORE_F_TEXT) {
            done = k.mv_size >= 1 && kb[0] > STORE_F_TEXT;
            continue;
        }
        if (store_key_is_tpack(kb, k.mv_size)) {
            store_tpack_iter it;
            int t = store_tpack_open(&it, kb, k.mv_size, v.mv_data, v.mv_size);
            for (; t == FZ_OK && !rc; t = store_tpack_next(&it)) {
                int c = prefix_cmp(it.term, it.term_len, a, alen);
                if (c > 0) {
                    done = 1;
                    break;
                }
                if (c == 0)
                    rc = add_second(it.term, it.term_len, alen, xs, n, max);
            }
            if (!rc && !done && t != FZ_ENOTFOUND)
                rc = x->err = FZ_ECORRUPT;
            continue;
        }
        if (k.mv_size < 7)
            continue;
        const char *t = (const char *)kb + 1;
        size_t len = k.mv_size - 6;
        int c = prefix_cmp(t, len, a, alen);
        if (c > 0)
            done = 1;
        else if (c == 0 && !(len == last_len && !memcmp(t, last, len))) { /* a term's next blocks: once */
            rc = add_second(t, len, alen, xs, n, max);
            memcpy(last, t, len);
            last_len = len;
        }
    }
    mdb_cursor_close(cur);
    if (!rc && r && r != MDB_NOTFOUND)
        rc = store_lmdb_err(r, "reading postings", x->msg, x->msglen);
    return rc;
}

/* A?B of two lone characters, one wildcard between (phrase n, parts at
 * offsets 0 and 2): every match is a chain of the bigrams A x and x B (a
 * ? is a CJK character joined to both neighbours, as a bigram is), so n
 * is matched as the union of those chains, found in the index's bigram
 * terms, and its positions come from their postings, not from the text.
 * The same places, spans and counts; n's parts, idf and bounds stay.
 * Left as it is (0) when there are more than MAX_CHAINS chains; -1 with
 * x->err on a failure. */
static int chain_wild(ctx *x, node *n)
{
    if (n->nparts != 2 || n->nwild != 1 || n->len != 3 || n->wild[0] != 1 || n->vterm || n->field != STORE_F_TEXT)
        return 0;
    leaf *la = n->offs[0] == 0 ? n->parts[0] : n->parts[1], *lb = n->offs[0] == 0 ? n->parts[1] : n->parts[0];
    if (n->offs[0] + n->offs[1] != 2)
        return 0;
    for (int s = 0; s < 2; s++)
        for (size_t i = 0; i < (s ? lb : la)->nk; i++)
            if (!(s ? lb : la)->k[i].nopos)
                return 0;
    char (*xs)[8] = fz_arena_alloc(x->a, MAX_SECONDS * sizeof *xs);
    node **chain = fz_arena_alloc(x->a, MAX_CHAINS * sizeof *chain);
    n->cheap = fz_arena_alloc(x->a, MAX_CHAINS * sizeof *n->cheap);
    char (*ab)[2][16] = fz_arena_alloc(x->a, MAX_CHAINS * sizeof *ab);  /* the chains' two bigrams */
    uint8_t (*abl)[2] = fz_arena_alloc(x->a, MAX_CHAINS * sizeof *abl);
    if (!xs || !chain || !ab || !abl || !n->cheap)
        return x->err = FZ_ENOMEM, -1;
    size_t nc = 0;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(x->txn, store_dbi(x->s->st, STORE_DB_POST), &cur);
    if (rc)
        return x->err = store_lmdb_err(rc, "reading postings", x->msg, x->msglen), -1;
    for (size_t i = 0; i < la->nk && !rc; i++) {
        const char *a = (const char *)la->k[i].key + 1;
        size_t alen = la->k[i].prefix - 2, nx = 0;
        rc = bigram_seconds(x, a, alen, xs, &nx, MAX_SECONDS);
        for (size_t j = 0; j < nx && !rc; j++)
            for (size_t m = 0; m < lb->nk && !rc; m++) {
                const char *b = (const char *)lb->k[m].key + 1;
                size_t blen = lb->k[m].prefix - 2, xl = strlen(xs[j]);
                char xb[16];
                memcpy(xb, xs[j], xl);
                memcpy(xb + xl, b, blen);
                MDB_val k, v;
                store_tpack_iter it;
                int f = store_term_find(cur, STORE_F_TEXT, xb, xl + blen, &k, &v, &it);
                if (f == FZ_ENOTFOUND)
                    continue;
                if (f != STORE_TERM_BLOCKS && f != STORE_TERM_PACKED) {
                    rc = f == FZ_ELMDB ? FZ_ELMDB : FZ_ECORRUPT;
                    break;
                }
                if (nc == MAX_CHAINS) {
                    rc = FZ_ELIMIT;
                    break;
                }
                memcpy(ab[nc][0], a, alen);
                memcpy(ab[nc][0] + alen, xs[j], xl);
                memcpy(ab[nc][1], xb, xl + blen);
                abl[nc][0] = (uint8_t)(alen + xl);
                abl[nc][1] = (uint8_t)(xl + blen);
                nc++;
            }
    }
    mdb_cursor_close(cur);
    if (rc == FZ_ELIMIT)
        return 0; /* too many: the entries' text decides */
    if (rc)
        return x->err = rc, -1;
    n->chain = chain;
    for (size_t i = 0; i < nc; i++) {
        /* not among x->nodes: n frees its chains (chain_free) */
        node *c = fz_arena_calloc(x->a, sizeof *c);
        if (!c)
            return x->err = FZ_ENOMEM, -1;
        c->type = N_PHRASE;
        c->doc = UNPOSITIONED;
        c->sdoc = DOC_END;
        c->field = STORE_F_TEXT;
        chain[i] = c;
        n->nchain = i + 1;
        c->parts = fz_arena_calloc(x->a, 2 * sizeof *c->parts);
        c->offs = fz_arena_alloc(x->a, 2 * sizeof *c->offs);
        if (!c->parts || !c->offs)
            return x->err = FZ_ENOMEM, -1;
        c->nparts = 2;
        c->offs[0] = 0;
        c->offs[1] = 1;
        c->len = 2;
        if (!make_leaf_as(x, STORE_F_TEXT, ab[i][0], abl[i][0], &c->parts[0]) ||
            !make_leaf_as(x, STORE_F_TEXT, ab[i][1], abl[i][1], &c->parts[1]))
            return -1;
    }
    return 0;
}

/* Closes the cursors and frees the buffers of n's chains. */
static void chain_free(node *n)
{
    for (size_t i = 0; i < n->nchain; i++) {
        node *c = n->chain[i];
        for (size_t j = 0; j < c->nparts; j++) {
            leaf *l = c->parts[j];
            if (!l)
                continue;
            for (size_t k = 0; k < l->nk; k++) {
                if (l->k[k].cur)
                    mdb_cursor_close(l->k[k].cur);
                free(l->k[k].dir); /* none: an exact leaf's lookup sums nothing */
            }
            free(l->pos);
        }
        free(c->sp);
    }
}

typedef struct {
    uint32_t pos;
    uint8_t kind;
    char term[TOK_TERM_MAX + 8];
    uint32_t len;
    int bigram_next; /* a bigram starts here */
    char bi[16];
    uint32_t bilen;
} qtok;

typedef struct {
    qtok *t;
    size_t n, cap;
} qtoks;

static int q_emit(void *p, const tok_token *t)
{
    qtoks *q = p;
    if (t->kind == TOK_BI) {
        if (q->n && q->t[q->n - 1].pos == t->pos && t->term_len <= sizeof q->t[0].bi) {
            q->t[q->n - 1].bigram_next = 1;
            memcpy(q->t[q->n - 1].bi, t->term, t->term_len);
            q->t[q->n - 1].bilen = t->term_len;
        }
        return 0;
    }
    if (q->n == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 32;
        qtok *nt = realloc(q->t, cap * sizeof *nt);
        if (!nt)
            return FZ_ENOMEM;
        q->t = nt;
        q->cap = cap;
    }
    qtok *o = &q->t[q->n++];
    memset(o, 0, sizeof *o);
    o->pos = t->pos;
    o->kind = (uint8_t)t->kind;
    o->len = t->term_len < TOK_TERM_MAX ? t->term_len : TOK_TERM_MAX;
    memcpy(o->term, t->term, o->len);
    return 0;
}

static int is_wild(uint32_t cp) { return cp == '?' || cp == 0xFF1F || cp == 0x25A1; }

/* Analyses a text atom into tokens; wildcards take one position each and
 * are listed in wild[].  Returns the number of positions (span). */
static int analyze_atom(ctx *x, tok_analyzer *t, const char *text, size_t len, qtoks *q, uint32_t *wild,
                        size_t *nwild, uint32_t *span)
{
    uint32_t pos = 0;
    size_t i = 0, seg = 0;
    *nwild = 0;
    while (i <= len) {
        uint32_t cp = 0;
        int k = 1;
        if (i < len) {
            k = fz_utf8_decode((const unsigned char *)text + i, len - i, &cp);
            if (k < 0)
                k = 1;
        }
        if (i == len || is_wild(cp)) {
            if (i > seg) {
                uint32_t next = pos;
                size_t before = q->n;
                int rc = tok_analyze(t, text + seg, i - seg, pos, q_emit, q, &next);
                if (rc)
                    return x->err = rc;
                if (q->n > before)
                    pos = q->t[q->n - 1].pos + 1;
                else
                    pos = next;
            }
            if (i == len)
                break;
            if (*nwild < 64)
                wild[(*nwild)++] = pos;
            pos++;
            seg = i + (size_t)k;
        }
        i += (size_t)k;
    }
    *span = pos;
    return 0;
}

static node *new_node(ctx *x, int type)
{
    node *n = fz_arena_calloc(x->a, sizeof *n);
    if (!n || x->nnodes >= MAX_LEAVES) {
        x->err = n ? FZ_ELIMIT : FZ_ENOMEM;
        return NULL;
    }
    x->nodes[x->nnodes++] = n;
    n->type = type;
    n->doc = UNPOSITIONED;
    n->sdoc = DOC_END;
    n->field = STORE_F_TEXT;
    return n;
}

static int field_code(query_field f)
{
    switch (f) {
    case QF_AUTHOR: return STORE_F_AUTHOR;
    case QF_SECTION: return STORE_F_SECTION;
    case QF_FILE: return STORE_F_FILE;
    case QF_KIND: return STORE_F_KIND;
    default: return STORE_F_TEXT;
    }
}

/* One phrase over tokens q->t[from..to), with wildcards. */
/* A run of n characters is a chain of n-1 overlapping bigrams, and walking
 * every one of their postings is what a long phrase of common bigrams
 * costs.  Fewer suffice: keep, rarest first, the parts that cover a
 * character no kept part covers yet (on the 500 MB scale index this took
 * the p99 of 5-8 character phrases from 9.8 to 8.1 ms); each bigram left
 * out only vouched
 * that its two characters are joined (adjacent in one run of CJK text),
 * which the entry's join map tells (bit at the second character), so that
 * becomes a check on each candidate (phrase_verify).  A text-field phrase
 * matches exactly the same places; n->idf stays the sum over all parts,
 * so scores do not change.  0, or -1 with x->err set. */
static int cover_parts(ctx *x, node *n, const uint8_t *isbi)
{
    size_t np = n->nparts;
    uint8_t *covered = fz_arena_calloc(x->a, n->len + 1);
    uint8_t *keep = fz_arena_calloc(x->a, np);
    size_t *order = fz_arena_alloc(x->a, np * sizeof *order);
    n->joins = fz_arena_alloc(x->a, np * sizeof *n->joins);
    if (!covered || !keep || !order || !n->joins) {
        x->err = FZ_ENOMEM;
        return -1;
    }
    for (size_t i = 0; i < np; i++) {
        size_t j = i;
        for (; j > 0 && n->parts[order[j - 1]]->df > n->parts[i]->df; j--)
            order[j] = order[j - 1];
        order[j] = i;
    }
    for (size_t k = 0; k < np; k++) {
        size_t i = order[k];
        uint32_t o = n->offs[i];
        if (!isbi[i] || !covered[o] || !covered[o + 1] ) {
            keep[i] = 1;
            covered[o] = 1;
            if (isbi[i])
                covered[o + 1] = 1;
        }
    }
    size_t w = 0;
    for (size_t i = 0; i < np; i++) {
        if (keep[i]) {
            n->parts[w] = n->parts[i];
            n->offs[w] = n->offs[i];
            w++;
        } else {
            n->joins[n->njoins++] = n->offs[i] + 1;
        }
    }
    n->nparts = w;
    if (n->njoins)
        x->need_verify = 1;
    return 0;
}

static node *make_phrase(ctx *x, int field, int title_only, qtoks *q, size_t from, size_t to, const uint32_t *wild,
                         size_t nwild, const char *text, size_t textlen)
{
    node *n = new_node(x, N_PHRASE);
    if (!n)
        return NULL;
    n->field = field;
    n->title_only = title_only;
    uint32_t base = q->t[from].pos;
    uint32_t endpos = q->t[to - 1].pos;
    for (size_t i = 0; i < nwild; i++) {
        if (wild[i] < base)
            base = wild[i];
        if (wild[i] > endpos)
            endpos = wild[i];
    }
    n->len = endpos - base + 1;
    size_t cnt = to - from;
    n->parts = fz_arena_alloc(x->a, cnt * sizeof *n->parts);
    n->offs = fz_arena_alloc(x->a, cnt * sizeof *n->offs);
    uint8_t *isbi = fz_arena_alloc(x->a, cnt ? cnt : 1);
    if (!n->parts || !n->offs || !isbi) {
        x->err = FZ_ENOMEM;
        return NULL;
    }
    /* Every pair of joined characters is one bigram (so each join is
     * checked: 絕句四十 must not match 絕句 四十 across a space); a
     * character joined to neither neighbour, and a word, is its own term. */
    for (size_t i = from; i < to; i++) {
        qtok *t = &q->t[i];
        leaf *l;
        if (t->bigram_next)
            l = make_leaf(x, field, t->bi, t->bilen);
        else if (i > from && q->t[i - 1].bigram_next && q->t[i - 1].pos + 1 == t->pos)
            continue; /* joined to the previous character: its bigram covers it */
        else /* a lone CJK character of the text: its own field, without positions */
            l = make_leaf(x, t->kind == TOK_UNI && field == STORE_F_TEXT ? STORE_F_UNI : field, t->term, t->len);
        if (!l)
            return NULL;
        n->parts[n->nparts] = l;
        n->offs[n->nparts] = t->pos - base;
        isbi[n->nparts] = t->bigram_next != 0;
        n->nparts++;
        n->idf += l->idf;
    }
    if (field == STORE_F_TEXT && n->nparts > 2 && cover_parts(x, n, isbi))
        return NULL;
    /* the rarest term leads the intersection */
    for (size_t i = 1; i < n->nparts; i++)
        for (size_t j = i; j > 0 && n->parts[j]->df < n->parts[j - 1]->df; j--) {
            leaf *tl = n->parts[j];
            n->parts[j] = n->parts[j - 1];
            n->parts[j - 1] = tl;
            uint32_t to2 = n->offs[j];
            n->offs[j] = n->offs[j - 1];
            n->offs[j - 1] = to2;
        }
    if (nwild) {
        n->wild = fz_arena_alloc(x->a, nwild * sizeof *n->wild);
        if (!n->wild) {
            x->err = FZ_ENOMEM;
            return NULL;
        }
        for (size_t i = 0; i < nwild; i++)
            n->wild[i] = wild[i] - base;
        n->nwild = nwild;
        x->need_verify = 1;
    }
    if (x->o->fold == TOK_FOLD_NONE && field == STORE_F_TEXT) {
        /* the index holds folded terms: confirm the exact forms */
        tok_analyzer *t0 = get_tok(x->s, TOK_FOLD_NONE);
        qtoks q0 = {0};
        uint32_t w0[64], span0;
        size_t nw0;
        if (!t0 || analyze_atom(x, t0, text, textlen, &q0, w0, &nw0, &span0)) {
            free(q0.t);
            if (!x->err)
                x->err = FZ_EICU;
            return NULL;
        }
        n->vterm = fz_arena_calloc(x->a, n->len * sizeof *n->vterm);
        n->vlen = fz_arena_calloc(x->a, n->len * sizeof *n->vlen);
        for (size_t i = 0; n->vterm && n->vlen && i < q0.n; i++) {
            if (q0.t[i].pos < base || q0.t[i].pos - base >= n->len)
                continue;
            uint32_t j = q0.t[i].pos - base;
            n->vterm[j] = fz_arena_strndup(x->a, q0.t[i].term, q0.t[i].len);
            n->vlen[j] = q0.t[i].len;
        }
        free(q0.t);
        if (!n->vterm || !n->vlen) {
            x->err = FZ_ENOMEM;
            return NULL;
        }
        x->need_verify = 1;
    }
    if (nwild && chain_wild(x, n))
        return NULL;
    return n;
}

static node *compile(ctx *x, const query_node *q, int positive);

static int is_file_field(query_field f) { return f == QF_VOLUME || f == QF_PLACE || f == QF_YEAR; }

/* Whether the tokens of text t hold those of q: for some start, every
 * token of q (each group of adjacent positions, see compile_text, on its
 * own unless quoted) at its offset from the group's first.  Wildcard
 * positions of q match anything. */
static int tokens_hold(const qtoks *t, const qtoks *q, int quoted, const uint32_t *wild, size_t nwild)
{
    size_t g0 = 0;
    while (g0 < q->n) {
        size_t g1 = g0 + 1;
        for (; g1 < q->n; g1++) {
            uint32_t a = q->t[g1 - 1].pos, b = q->t[g1].pos;
            int wild_between = 0;
            for (size_t w = 0; w < nwild; w++)
                wild_between |= wild[w] > a && wild[w] < b;
            if (!quoted && b > a + 1 && !wild_between)
                break;
        }
        int found = 0;
        for (size_t s = 0; s < t->n && !found; s++) {
            uint32_t base = t->t[s].pos;
            found = 1;
            for (size_t i = g0; i < g1 && found; i++) {
                uint32_t want = base + (q->t[i].pos - q->t[g0].pos);
                int hit = 0;
                for (size_t j = s; j < t->n && t->t[j].pos <= want && !hit; j++)
                    hit = t->t[j].pos == want && t->t[j].len == q->t[i].len &&
                          !memcmp(t->t[j].term, q->t[i].term, q->t[i].len);
                found = hit;
            }
        }
        if (!found)
            return 0;
        g0 = g1;
    }
    return 1;
}

/* volume:, place:, year: -- the entries of every file the atom names, as
 * id ranges.  Titles and places are analysed as the query is (same
 * folding), so 仁和縣志 finds 仁和县志. */
static node *compile_file_field(ctx *x, const query_node *q)
{
    int32_t ylo = 0, yhi = 0;
    qtoks qt = {0}, tt = {0};
    uint32_t wild[64], span;
    size_t nwild = 0;
    tok_analyzer *t = get_tok(x->s, x->o->fold);
    if (!t) {
        x->err = FZ_EICU;
        return NULL;
    }
    if (q->field == QF_YEAR) {
        if (query_year_range(q->text, q->text_len, &ylo, &yhi)) {
            fz_msg(x->msg, x->msglen, "year: '%s' is not a year or a range of years", q->text);
            x->err = FZ_ESYNTAX;
            return NULL;
        }
    } else if (analyze_atom(x, t, q->text, q->text_len, &qt, wild, &nwild, &span) || qt.n == 0) {
        free(qt.t);
        if (!x->err) {
            fz_msg(x->msg, x->msglen, "'%s' has nothing to search for (only punctuation or wildcards)", q->text);
            x->err = FZ_ESYNTAX;
        }
        return NULL;
    }
    node *n = new_node(x, N_RANGES);
    size_t cap = 0;
    MDB_cursor *cur = NULL;
    int rc = n ? mdb_cursor_open(x->txn, store_dbi(x->s->st, STORE_DB_FILEID), &cur) : 0;
    if (rc) {
        x->err = store_lmdb_err(rc, "reading file records", x->msg, x->msglen);
        n = NULL;
    }
    MDB_val k, v;
    int r = n ? mdb_cursor_get(cur, &k, &v, MDB_FIRST) : MDB_NOTFOUND;
    for (; n && r == 0; r = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        store_volume vol;
        if (k.mv_size != 4 || (rc = store_volume_get(x->s->st, x->txn, fz_be32_get(k.mv_data), &vol))) {
            x->err = k.mv_size != 4 ? FZ_ECORRUPT : rc;
            n = NULL;
            break;
        }
        int hit;
        if (q->field == QF_YEAR) {
            hit = vol.has_year && vol.year >= ylo && vol.year <= yhi;
        } else {
            const char *s = q->field == QF_VOLUME ? vol.title : vol.place;
            size_t sl = q->field == QF_VOLUME ? vol.title_len : vol.place_len;
            tt.n = 0;
            if (sl && tok_analyze(t, s, sl, 0, q_emit, &tt, NULL)) {
                x->err = FZ_ENOMEM;
                n = NULL;
                break;
            }
            hit = tt.n && tokens_hold(&tt, &qt, q->quoted, wild, nwild);
        }
        if (!hit || !vol.nentries)
            continue;
        if (n->nr == cap) {
            size_t nc = cap ? cap * 2 : 16;
            uint32_t *lo = fz_arena_alloc(x->a, nc * sizeof *lo), *hi = fz_arena_alloc(x->a, nc * sizeof *hi);
            if (!lo || !hi) {
                x->err = FZ_ENOMEM;
                n = NULL;
                break;
            }
            if (n->nr) {
                memcpy(lo, n->rlo, n->nr * sizeof *lo);
                memcpy(hi, n->rhi, n->nr * sizeof *hi);
            }
            n->rlo = lo;
            n->rhi = hi;
            cap = nc;
        }
        /* ids grow with file ids, but keep them sorted whatever the order */
        size_t i = n->nr++;
        while (i > 0 && n->rlo[i - 1] > vol.first_id) {
            n->rlo[i] = n->rlo[i - 1];
            n->rhi[i] = n->rhi[i - 1];
            i--;
        }
        n->rlo[i] = vol.first_id;
        n->rhi[i] = vol.first_id + vol.nentries - 1;
    }
    if (n && r && r != MDB_NOTFOUND) {
        x->err = store_lmdb_err(r, "reading file records", x->msg, x->msglen);
        n = NULL;
    }
    if (cur)
        mdb_cursor_close(cur);
    free(qt.t);
    free(tt.t);
    return n;
}

static node *compile_text(ctx *x, const query_node *q, int positive)
{
    if (is_file_field(q->field))
        return compile_file_field(x, q);
    int field = field_code(q->field);
    int title_only = q->field == QF_TITLE;
    qtoks qt = {0};
    uint32_t wild[64], span;
    size_t nwild;
    if (analyze_atom(x, x->qtok, q->text, q->text_len, &qt, wild, &nwild, &span)) {
        free(qt.t);
        return NULL;
    }
    if (qt.n == 0) {
        free(qt.t);
        /* emoji and other pictographs are symbols: the analysis keeps no
         * token of them (tok.h) */
        int pict = 0;
        for (size_t i = 0; i < q->text_len && !pict;) {
            uint32_t cp;
            int k = fz_utf8_decode((const unsigned char *)q->text + i, q->text_len - i, &cp);
            pict = k > 0 && u_hasBinaryProperty((UChar32)cp, UCHAR_EXTENDED_PICTOGRAPHIC);
            i += k > 0 ? (size_t)k : 1;
        }
        if (pict)
            fz_msg(x->msg, x->msglen,
                   "'%s' has nothing to search for: emoji and other symbols are not indexed, only "
                   "characters, words and numbers", q->text);
        else
            fz_msg(x->msg, x->msglen, "'%s' has nothing to search for (only punctuation or wildcards)", q->text);
        x->err = FZ_ESYNTAX;
        return NULL;
    }
    /* Unquoted text splits at punctuation into terms that are ANDed;
     * quoted text is one phrase.  Wildcards never split. */
    size_t groups[256][2];
    size_t ng = 0, start = 0;
    for (size_t i = 1; i <= qt.n; i++) {
        int split = i == qt.n;
        if (!split && !q->quoted) {
            uint32_t a = qt.t[i - 1].pos, b = qt.t[i].pos;
            int wild_between = 0;
            for (size_t w = 0; w < nwild; w++)
                if (wild[w] > a && wild[w] < b)
                    wild_between = 1;
            split = b > a + 1 && !wild_between;
        }
        if (split) {
            if (ng < 256) {
                groups[ng][0] = start;
                groups[ng][1] = i;
                ng++;
            }
            start = i;
        }
    }
    node *res;
    if (ng == 1) {
        res = make_phrase(x, field, title_only, &qt, 0, qt.n, wild, nwild, q->text, q->text_len);
    } else {
        res = new_node(x, N_AND);
        if (res) {
            res->kids = fz_arena_alloc(x->a, ng * sizeof *res->kids);
            res->neg = fz_arena_calloc(x->a, ng);
            if (!res->kids || !res->neg) {
                x->err = FZ_ENOMEM;
                res = NULL;
            }
        }
        for (size_t g = 0; res && g < ng; g++) {
            uint32_t lo = qt.t[groups[g][0]].pos, hi = qt.t[groups[g][1] - 1].pos;
            uint32_t gw[64];
            size_t ngw = 0;
            for (size_t w = 0; w < nwild; w++)
                if (wild[w] + 1 >= lo && wild[w] <= hi + 1)
                    gw[ngw++] = wild[w];
            node *k = make_phrase(x, field, title_only, &qt, groups[g][0], groups[g][1], gw, ngw, q->text, q->text_len);
            if (!k) {
                res = NULL;
                break;
            }
            if (positive && field == STORE_F_TEXT)
                x->scoring[x->nscoring++] = k;
            res->kids[res->nkids++] = k;
        }
        free(qt.t);
        return res;
    }
    free(qt.t);
    if (res && positive && field == STORE_F_TEXT)
        x->scoring[x->nscoring++] = res;
    return res;
}

static node *compile(ctx *x, const query_node *q, int positive)
{
    if (x->nscoring >= MAX_LEAVES - 1) {
        x->err = FZ_ELIMIT;
        fz_msg(x->msg, x->msglen, "query too large");
        return NULL;
    }
    switch (q->type) {
    case QN_TEXT:
        return compile_text(x, q, positive);
    case QN_AND:
    case QN_OR: {
        node *n = new_node(x, q->type == QN_AND ? N_AND : N_OR);
        if (!n)
            return NULL;
        n->kids = fz_arena_alloc(x->a, q->nkids * sizeof *n->kids);
        n->neg = fz_arena_calloc(x->a, q->nkids);
        if (!n->kids || !n->neg) {
            x->err = FZ_ENOMEM;
            return NULL;
        }
        for (size_t i = 0; i < q->nkids; i++) {
            const query_node *k = q->kids[i];
            int neg = k->type == QN_NOT;
            node *c = compile(x, neg ? k->kids[0] : k, positive && !neg);
            if (!c)
                return NULL;
            n->neg[n->nkids] = (uint8_t)(neg && q->type == QN_AND);
            n->kids[n->nkids++] = c;
        }
        if (q->type == QN_AND) {
            int pos = 0;
            for (size_t i = 0; i < n->nkids; i++)
                pos |= !n->neg[i];
            if (!pos) {
                fz_msg(x->msg, x->msglen, "nothing to search for: add a term that is not negated");
                x->err = FZ_ESYNTAX;
                return NULL;
            }
        }
        return n;
    }
    case QN_NOT:
        fz_msg(x->msg, x->msglen, "nothing to search for: add a term that is not negated");
        x->err = FZ_ESYNTAX;
        return NULL;
    case QN_NEAR:
    case QN_EXCEPT: {
        if (is_file_field(q->kids[0]->field) || is_file_field(q->kids[1]->field)) {
            fz_msg(x->msg, x->msglen, "volume:, place: and year: name whole volumes: they cannot be used with %s",
                   q->type == QN_NEAR ? "NEAR" : "EXCEPT");
            x->err = FZ_ESYNTAX;
            return NULL;
        }
        node *n = new_node(x, q->type == QN_NEAR ? N_NEAR : N_EXCEPT);
        if (!n)
            return NULL;
        n->dist = q->distance;
        n->kids = fz_arena_alloc(x->a, 2 * sizeof *n->kids);
        if (!n->kids) {
            x->err = FZ_ENOMEM;
            return NULL;
        }
        size_t before = x->nscoring;
        for (int i = 0; i < 2; i++) {
            node *c = compile(x, q->kids[i], positive && (q->type == QN_NEAR || i == 0));
            if (!c)
                return NULL;
            n->kids[n->nkids++] = c;
        }
        if (q->type == QN_EXCEPT)
            n->sub = except_subtracts(n->kids[0], n->kids[1]);
        if (q->type == QN_EXCEPT && positive) {
            /* the EXCEPT node itself is scored on its remaining spans */
            x->nscoring = before;
            x->scoring[x->nscoring++] = n;
            n->idf = n->kids[0]->idf;
        }
        return n;
    }
    }
    x->err = FZ_EINVAL;
    return NULL;
}

/* ---------------------------------------------------------------- scoring */

static double bm25(double idf, double tf, double dl, double avgdl)
{
    double norm = SEARCH_K1 * (1.0 - SEARCH_B + SEARCH_B * dl / (avgdl > 0 ? avgdl : 1.0));
    return idf * tf * (SEARCH_K1 + 1.0) / (tf + norm);
}

static double score_doc(ctx *x, uint32_t doc)
{
    double dl = store_dlen_get(x->s->st, x->txn, &x->dc, doc), sc = 0, idfsum = 0;
    int matched = 0;
    uint32_t best_gap = UINT32_MAX;
    for (size_t i = 0; i < x->nscoring; i++) {
        node *n = x->scoring[i];
        if (n->doc != doc)
            continue;
        double tf;
        if (n->type == N_PHRASE && n->nparts == 1 && !n->nwild && !n->njoins && !n->vterm && !n->title_only) {
            leaf *l = n->parts[0];
            uint32_t tt = 0, tb = 0;
            for (size_t k = 0; k < l->nk; k++)
                if (l->k[k].valid && l->k[k].blk.doc == doc) {
                    tt += l->k[k].blk.tf_title;
                    tb += l->k[k].blk.tf_body;
                }
            tf = SEARCH_TITLE_WEIGHT * tt + tb;
        } else {
            uint32_t ns, tt = 0;
            if (n->sdoc != doc && except_count(x, n, doc, &ns, &tt)) {
                tf = SEARCH_TITLE_WEIGHT * tt + (double)(ns - tt);
            } else {
                if (node_spans(x, n))
                    return 0;
                for (size_t k = 0; k < n->nsp; k++)
                    tt += n->sp[k].title;
                tf = SEARCH_TITLE_WEIGHT * tt + (double)(n->nsp - tt);
            }
        }
        if (tf <= 0)
            continue;
        sc += bm25(n->idf, tf, dl, x->s->avgdl);
        idfsum += n->idf;
        matched++;
    }
    if (matched >= 2 && x->nscoring >= 2) {
        /* proximity: the closest pair of occurrences of two different terms */
        for (size_t i = 0; i < x->nscoring; i++) {
            node *a = x->scoring[i];
            if (a->doc != doc || node_spans(x, a))
                continue;
            for (size_t j = i + 1; j < x->nscoring; j++) {
                node *b = x->scoring[j];
                if (b->doc != doc || node_spans(x, b))
                    continue;
                size_t p = 0, q = 0;
                while (p < a->nsp && q < b->nsp) {
                    const pspan *u = &a->sp[p], *w = &b->sp[q];
                    uint32_t gap = w->s > u->e ? w->s - u->e - 1 : u->s > w->e ? u->s - w->e - 1 : 0;
                    if (gap < best_gap)
                        best_gap = gap;
                    if (u->s < w->s)
                        p++;
                    else
                        q++;
                }
            }
        }
        if (best_gap != UINT32_MAX)
            sc += SEARCH_PROX_WEIGHT * (idfsum / matched) / (1.0 + best_gap);
    }
    return sc;
}

/* Upper bound of score_doc(x, d) from the scoring phrases' frequencies
 * (doc_bound, with the length dl as there) plus the largest proximity
 * bonus, without reading positions; HUGE_VAL when a scoring node is not a
 * phrase.  root is unused: the scoring nodes are x's. */
static double score_bound(ctx *x, node *root, uint32_t d, const uint32_t *dl)
{
    (void)root;
    double sum = 0, maxidf = 0;
    size_t matched = 0;
    for (size_t i = 0; i < x->nscoring; i++) {
        node *n = x->scoring[i];
        if (n->doc != d)
            continue;
        if (n->type != N_PHRASE)
            return HUGE_VAL;
        sum += doc_bound(x, n, d, dl);
        if (n->idf > maxidf)
            maxidf = n->idf;
        matched++;
    }
    if (matched >= 2)
        sum += SEARCH_PROX_WEIGHT * maxidf;
    return sum * (1.0 + 1e-9); /* above any rounding in score_doc's sums */
}

/* ------------------------------------------------------------------- top-k */


typedef struct {
    double score;
    uint32_t doc;
} scored;

static int better(const scored *a, const scored *b)
{
    return a->score > b->score || (a->score == b->score && a->doc < b->doc);
}

/* a before b in the top-k's heap: the worse (the worst at the top) */
static int worse(const void *unused, const scored *a, const scored *b)
{
    (void)unused;
    return better(b, a);
}

HEAP_DOWN(worst_down, scored, const void *, worse)

/* min-heap by "better" reversed: the worst at the top */
static void heap_push(scored *h, size_t *n, size_t k, scored v)
{
    if (*n < k) {
        size_t i = (*n)++;
        h[i] = v;
        while (i > 0) {
            size_t p = (i - 1) / 2;
            if (!better(&h[p], &h[i]))
                break;
            scored t = h[p];
            h[p] = h[i];
            h[i] = t;
            i = p;
        }
        return;
    }
    if (!better(&v, &h[0]))
        return;
    h[0] = v;
    worst_down(h, *n, 0, NULL);
}

/* The bound on the score of any document of block b for a term of this
 * idf: its largest frequencies at its least length, or its recorded
 * impact when that is less. */
static double block_bound(const store_block *b, double idf, double avgdl)
{
    double tf = SEARCH_TITLE_WEIGHT * b->max_tf_title + b->max_tf_body;
    double bound = bm25(idf, tf, b->min_dl, avgdl);
    double ib = b->q ? idf * store_block_impact_bound(b, avgdl) : HUGE_VAL;
    return ib < bound ? ib : bound;
}

/* Scores document doc of weighted frequency tf and length dl into the
 * heap (doc_topk's last step), unless it clearly cannot enter it. */
static inline void doc_put(ctx *x, double idf, uint32_t doc, double tf, double dl, scored *heap, size_t *nh,
                           size_t k)
{
    const double avgdl = x->s->avgdl;
    const double c0 = SEARCH_K1 * (1.0 - SEARCH_B), c1 = SEARCH_K1 * SEARCH_B / (avgdl > 0 ? avgdl : 1.0);
    if (*nh == k && idf * tf * (SEARCH_K1 + 1.0) < heap[0].score * (tf + c0 + c1 * dl) * (1.0 - 1e-9))
        return; /* a clear loss, seen without the division */
    scored v = {bm25(idf, tf, dl, avgdl), doc};
    if (*nh < k || better(&v, &heap[0]))
        heap_push(heap, nh, k, v);
}

/* Scores document doc of a lone term's block b (its frequencies tt, tb)
 * into the heap, exactly as score_doc does (same bm25 call, same tf and
 * length), unless it is removed or clearly cannot enter it. */
static inline void doc_topk(ctx *x, const store_block *b, double idf, uint32_t doc, uint32_t tt, uint32_t tb,
                            scored *heap, size_t *nh, size_t k)
{
    const double avgdl = x->s->avgdl;
    /* bm25's length norm as c0 + c1 * dl, for a quick test */
    const double c0 = SEARCH_K1 * (1.0 - SEARCH_B), c1 = SEARCH_K1 * SEARCH_B / (avgdl > 0 ? avgdl : 1.0);
    if (x->ndead && store_dead_end(x->dead, x->ndead, doc))
        return; /* removed */
    double tf = SEARCH_TITLE_WEIGHT * tt + tb;
    /* a clear loss is seen without the division, first with the block's
     * least length, then (doc_put) with the document's */
    if (*nh == k && idf * tf * (SEARCH_K1 + 1.0) < heap[0].score * (tf + c0 + c1 * b->min_dl) * (1.0 - 1e-9))
        return;
    doc_put(x, idf, doc, tf, store_dlen_get(x->s->st, x->txn, &x->dc, doc), heap, nh, k);
}

/* The least weighted frequency with which a document can score above
 * thr at the length norm base (c0 + c1 * dl, bm25's) with a = idf * (k1 +
 * 1): doc_topk's first test solved for tf, with a margin far above its
 * rounding; 0 (no least) when thr is near a. */
static inline double least_tf(double thr, double a, double base)
{
    double t = thr * (1.0 - 1e-9);
    return a > t * (1.0 + 1e-6) ? t * base / (a - t) * (1.0 - 1e-6) : 0;
}

/* Scores the documents of the open block b from its cursor on into the
 * heap, as doc_topk does.  A block's are decoded at once and walked here
 * (a frequent character's top-k walks some 5,600 documents of 44 blocks),
 * the lengths of those that may enter the heap loaded in a first pass;
 * a packed term's by its cursor (doc_topk), which is left spent. */
static void block_topk(ctx *x, store_block *b, double idf, scored *heap, size_t *nh, size_t k)
{
    int rc;
    if (!b->packed) {
        const uint32_t *id, *tt, *tb;
        if (store_block_arrays(b, &id, &tt, &tb)) {
            x->err = FZ_ECORRUPT;
            return;
        }
        /* once the heap is full, a document whose weighted frequency is
         * below wmin (least_tf) loses even at the block's least length:
         * it is passed over here, the rest tested with their lengths
         * (doc_put) */
        const double avgdl = x->s->avgdl, c0 = SEARCH_K1 * (1.0 - SEARCH_B),
                     c1 = SEARCH_K1 * SEARCH_B / (avgdl > 0 ? avgdl : 1.0), a = idf * (SEARCH_K1 + 1.0);
        double seen = -1, wmin = 0;
        /* the documents that pass the least as the heap is now (the
         * heap's k-th score only rises, so no other can enter) are listed
         * with their lengths first, in a loop of their own: the loads
         * (cache misses over the table of lengths) overlap rather than
         * wait one for another between the scores; then they are scored,
         * passed over when a higher least has come */
        uint32_t cand[STORE_BLOCK_DOCS], dl[STORE_BLOCK_DOCS], nc = 0;
        if (b->ndocs > STORE_BLOCK_DOCS) {
            x->err = FZ_ECORRUPT;
            return;
        }
        const double base = c0 + c1 * b->min_dl;
        if (*nh == k)
            wmin = least_tf(seen = heap[0].score, a, base);
        for (uint32_t i = b->i; i < b->ndocs; i++)
            if (SEARCH_TITLE_WEIGHT * tt[i] + tb[i] >= wmin) {
                cand[nc] = i;
                dl[nc++] = store_dlen_get(x->s->st, x->txn, &x->dc, id[i]);
            }
        for (uint32_t j = 0; j < nc; j++) {
            uint32_t i = cand[j];
            if (*nh == k && heap[0].score != seen)
                wmin = least_tf(seen = heap[0].score, a, base);
            double tf = SEARCH_TITLE_WEIGHT * tt[i] + tb[i];
            if (tf < wmin || (x->ndead && store_dead_end(x->dead, x->ndead, id[i])))
                continue; /* a clear loss, or removed */
            doc_put(x, idf, id[i], tf, dl[j], heap, nh, k);
        }
        return;
    }
    do
        doc_topk(x, b, idf, b->doc, b->tf_title, b->tf_body, heap, nh, k);
    while ((rc = store_block_next(b)) == FZ_OK);
    if (rc != FZ_ENOTFOUND)
        x->err = FZ_ECORRUPT;
}

typedef struct {
    double bound;
    uint32_t first;
    const void *val; /* the block's value, valid in the transaction */
    size_t len;
} blockref;

/* a before b: the higher bound, then the lower ids */
static int br_before(const void *unused, const blockref *a, const blockref *b)
{
    (void)unused;
    return a->bound > b->bound || (a->bound == b->bound && a->first < b->first);
}

/* the first block at the top */
HEAP_DOWN(br_sift, blockref, const void *, br_before)

static void lone_topk_key(ctx *x, keycur *c, double idf, scored *heap, size_t *nh, size_t k);

/* Top-k of a lone term with one posting key, the commonest query, without
 * the generic loop (node_next, score_doc): the key's main postings, then
 * its delta's (ids above them), each by lone_topk_key. */
static void lone_topk(ctx *x, node *n, scored *heap, size_t *nh, size_t k)
{
    for (size_t j = 0; j < n->parts[0]->nk && !x->err; j++)
        lone_topk_key(x, &n->parts[0]->k[j], n->idf, heap, nh, k);
}

/* lone_topk over the documents of one cursor: its block headers are read
 * first, then the blocks are scored best bound first, and the rest are
 * left once the k-th best score is above their bound (the scores come
 * high early, so most blocks of a frequent term are never decoded).  A
 * block whose bound equals the k-th score is still scored, as one of its
 * documents could win the tie by a lower id, so the result is the one the
 * walk in id order gives.  The cursor is left spent. */
static void lone_topk_key(ctx *x, keycur *c, double idf, scored *heap, size_t *nh, size_t k)
{
    const double avgdl = x->s->avgdl;
    if (c->packed) {
        if (c->valid)
            block_topk(x, &c->blk, idf, heap, nh, k);
        c->valid = 0;
        return;
    }
    blockref *br = NULL;
    size_t nb = 0, cap = 0;
    MDB_val key, val;
    uint32_t di = c->at;
    int mrc = !c->valid ? MDB_NOTFOUND
              : c->dir  ? (di < c->ndir ? 0 : MDB_NOTFOUND)
                        : mdb_cursor_get(c->cur, &key, &val, MDB_GET_CURRENT);
    if (mrc == 0 && c->dir) {
        key.mv_data = NULL; /* the directory's block di: its first id apart */
        val.mv_data = (void *)c->dir[di].val;
        val.mv_size = c->dir[di].len;
    }
    /* the key's blocks from the cursor's on, headers only */
    while (mrc == 0 && (c->dir || kc_same(c, &key)) && !x->err && !past_deadline(x)) {
        store_block h;
        uint32_t first = c->dir ? c->dir[di].first : fz_be32_get((uint8_t *)key.mv_data + c->prefix);
        if (store_block_head(&h, first, val.mv_data, val.mv_size)) {
            x->err = FZ_ECORRUPT;
            break;
        }
        if (nb == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            blockref *nbr = realloc(br, ncap * sizeof *nbr);
            if (!nbr) {
                x->err = FZ_ENOMEM;
                break;
            }
            br = nbr;
            cap = ncap;
        }
        br[nb++] = (blockref){block_bound(&h, idf, avgdl), h.first, val.mv_data, val.mv_size};
        if (!c->dir) {
            mrc = mdb_cursor_get(c->cur, &key, &val, MDB_NEXT);
        } else if (++di < c->ndir) {
            val.mv_data = (void *)c->dir[di].val;
            val.mv_size = c->dir[di].len;
        } else {
            mrc = MDB_NOTFOUND;
        }
    }
    if (mrc && mrc != MDB_NOTFOUND && !x->err)
        x->err = FZ_ELMDB;
    /* a heap rather than a sort: most blocks are never taken */
    for (size_t i = nb / 2; i-- > 0;)
        br_sift(br, nb, i, NULL);
    while (nb && !x->err && !past_deadline(x)) {
        blockref top = br[0];
        if (*nh == k && top.bound < heap[0].score)
            break; /* so are the rest */
        br[0] = br[--nb];
        br_sift(br, nb, 0, NULL);
        if (store_block_open(&c->blk, top.first, top.val, top.len)) {
            x->err = FZ_ECORRUPT;
            break;
        }
        block_topk(x, &c->blk, idf, heap, nh, k);
    }
    c->valid = 0;
    free(br);
}

static int cmp_scored(const void *a, const void *b)
{
    const scored *x = a, *y = b;
    if (better(x, y))
        return -1;
    if (better(y, x))
        return 1;
    return 0;
}

/* --------------------------------------------------------- materialising */

typedef struct {
    uint32_t *start, *end;
    uint32_t n;
    uint32_t last; /* the last position a span needs */
    /* a lone character's hit (uni): the positions of its forms' terms */
    const leaf *uni;
    uint32_t *up;
    uint32_t nup, upcap;
} posmap;

#define PM_DONE 1 /* pm_emit's stop: every position a span needs is mapped */

static int pm_emit(void *p, const tok_token *t)
{
    posmap *m = p;
    if (t->kind == TOK_BI)
        return 0;
    if (t->pos > m->last)
        return PM_DONE; /* tokens come in position order (tok.h) */
    m->start[t->pos] = t->start;
    m->end[t->pos] = t->end;
    if (m->uni && t->kind == TOK_UNI)
        for (size_t i = 0; i < m->uni->nk; i++) {
            const keycur *c = &m->uni->k[i];
            if (t->term_len == c->prefix - 2 && !memcmp(t->term, c->key + 1, t->term_len)) {
                if (m->nup < m->upcap)
                    m->up[m->nup] = t->pos;
                /* the last of the occurrences its postings count: the
                 * rest of the text maps nothing a span needs */
                if (++m->nup == m->upcap)
                    return PM_DONE;
                break;
            }
        }
    return 0;
}

/* A root whose spans are the occurrences of one lone character (a
 * simple_term of the text whose postings keep no positions): a hit's are
 * found by emit_hit in the analysis it does anyway for the highlights. */
static const leaf *uni_root(const node *n)
{
    if (!simple_term(n) || n->field != STORE_F_TEXT)
        return NULL;
    const leaf *l = n->parts[0];
    for (size_t i = 0; i < l->nk; i++)
        if (!l->k[i].nopos)
            return NULL;
    return l;
}

/* Reads entry sc->doc and calls fn with it as the hit of that rank, with
 * the spans sp; when meta is set, only its metadata (store_entry_meta_get),
 * the spans only counted.  With uni (uni_root's leaf), sp is NULL and the
 * spans are the nsp places of uni's terms in the entry, found here. */
static int emit_hit(ctx *x, const pspan *sp, size_t nsp, const scored *sc, uint32_t rank, int meta,
                    search_hit_fn fn, void *cbctx, const leaf *uni)
{
    fz_arena *a = fz_arena_create();
    if (!a)
        return FZ_ENOMEM;
    store_entry e;
    int rc = meta ? store_entry_meta_get(x->s->st, x->txn, sc->doc, a, &e)
                  : store_entry_get_cached(x->s->st, x->txn, x->s->cache, sc->doc, a, &e);
    if (rc) {
        fz_arena_destroy(a);
        return rc == FZ_ENOTFOUND ? FZ_ECORRUPT : rc;
    }
    search_hit h = {0};
    h.rank = rank;
    h.score = sc->score;
    h.e = &e;
    if (store_volume_get(x->s->st, x->txn, e.file_id, &h.volume)) {
        memset(&h.volume, 0, sizeof h.volume);
        h.volume.path = h.volume.title = h.volume.place = "";
    }
    h.file = h.volume.path;
    h.file_len = h.volume.path_len;
    search_span *spans = NULL;
    if (nsp && meta) {
        h.occurrences = (uint32_t)nsp;
    } else if (nsp) {
        uint32_t n = e.npos + 2;
        posmap pm = {fz_arena_calloc(a, n * sizeof(uint32_t)), fz_arena_calloc(a, n * sizeof(uint32_t)), n, 0,
                     uni, NULL, 0, (uint32_t)nsp};
        spans = fz_arena_alloc(a, nsp * sizeof *spans);
        pspan *usp = uni ? fz_arena_alloc(a, nsp * sizeof *usp) : NULL;
        if (uni)
            pm.up = fz_arena_alloc(a, nsp * sizeof *pm.up);
        if (!pm.start || !pm.end || !spans || (uni && (!usp || !pm.up))) {
            fz_arena_destroy(a);
            return FZ_ENOMEM;
        }
        /* the text is analysed only as far as the last position a span
         * needs, and a field no span touches not at all; a lone
         * character's occurrences as far as the last its postings count
         * (fewer are damage; more, in a damaged index, are not looked
         * for) */
        uint32_t first = UINT32_MAX;
        if (uni) {
            first = 0;
            pm.last = n - 1;
        }
        for (size_t i = 0; i < nsp && !uni; i++) {
            if (sp[i].e >= n || sp[i].s > sp[i].e)
                continue;
            if (sp[i].e > pm.last)
                pm.last = sp[i].e;
            if (sp[i].s < first)
                first = sp[i].s;
        }
        /* a lone character's occurrences are known by their folded
         * terms; the rest needs only the places (tok_places) */
        tok_analyzer *t = x->qtok;
        int (*an)(tok_analyzer *, const char *, size_t, uint32_t, tok_emit_fn, void *, uint32_t *) =
            uni ? tok_analyze : tok_places;
        int stop = first < e.title_npos ? an(t, e.title, e.title_len, 0, pm_emit, &pm, NULL) : 0;
        if (first != UINT32_MAX && pm.last >= e.title_npos && stop != PM_DONE)
            an(t, e.body, e.body_len, e.title_npos, pm_emit, &pm, NULL);
        if (uni) {
            /* the text analysed as the indexer did holds exactly the
             * occurrences the postings count (uni_positions) */
            if (pm.nup != nsp) {
                fz_arena_destroy(a);
                fz_msg(x->msg, x->msglen, "entry %u does not hold the occurrences its postings count; re-index",
                       sc->doc);
                return FZ_ECORRUPT;
            }
            for (uint32_t i = 0; i < pm.nup; i++) {
                usp[i].s = usp[i].e = pm.up[i];
                usp[i].title = pm.up[i] < e.title_npos;
            }
            sp = usp;
        }
        size_t k = 0;
        for (size_t i = 0; i < nsp; i++) {
            const pspan *p = &sp[i];
            if (p->e >= n || p->s > p->e)
                continue;
            search_span *o = &spans[k];
            int in_title = p->s < e.title_npos;
            uint32_t base = 0;
            o->field = in_title ? 0 : 1;
            o->start = pm.start[p->s] - base;
            o->end = pm.end[p->e] - base;
            if (o->end <= o->start)
                continue;
            if (k && spans[k - 1].field == o->field && o->start < spans[k - 1].end) {
                /* overlapping matches highlight as one stretch */
                if (o->end > spans[k - 1].end)
                    spans[k - 1].end = o->end;
                continue;
            }
            k++;
        }
        h.spans = spans;
        h.nspans = k;
        h.occurrences = (uint32_t)nsp;
    }
    rc = fn(cbctx, &h);
    fz_arena_destroy(a);
    return rc;
}

typedef struct {
    uint32_t doc;
    size_t rank;
    pspan *sp;
    size_t nsp;
} hitspan;

static int cmp_hitspan_doc(const void *a, const void *b)
{
    const hitspan *x = a, *y = b;
    return x->doc < y->doc ? -1 : x->doc > y->doc;
}

static int cmp_hitspan_rank(const void *a, const void *b)
{
    const hitspan *x = a, *y = b;
    return x->rank < y->rank ? -1 : x->rank > y->rank;
}

/* s's nentries and avgdl from txn's snapshot. */
static int stats_read(search *s, MDB_txn *txn, char *msg, size_t msglen)
{
    store_stats st;
    int rc = store_stats_get(s->st, txn, &st);
    if (rc) {
        fz_msg(msg, msglen, "index statistics are damaged; re-index");
        return rc;
    }
    s->nentries = st.nentries;
    s->avgdl = st.nentries ? (double)st.sumlen / (double)st.nentries : 1.0;
    return FZ_OK;
}

/* ------------------------------------------------------------------ public */

int search_open(const char *db, search **out, char *msg, size_t msglen)
{
    *out = NULL;
    search *s = calloc(1, sizeof *s);
    if (!s)
        return FZ_ENOMEM;
    int rc = store_open(db, STORE_READ, &s->st, msg, msglen);
    if (rc) {
        free(s);
        return rc;
    }
    if ((rc = store_entry_cache_create(&s->cache))) {
        search_close(s);
        return rc;
    }
    MDB_txn *txn;
    if ((rc = store_begin(s->st, 0, &txn, msg, msglen))) {
        search_close(s);
        return rc;
    }
    rc = stats_read(s, txn, msg, msglen);
    mdb_txn_abort(txn);
    if (rc) {
        search_close(s);
        return rc;
    }
    *out = s;
    return FZ_OK;
}

int search_clone(search *s, search **out)
{
    search *c = calloc(1, sizeof *c);
    if (!c)
        return FZ_ENOMEM;
    if (store_entry_cache_create(&c->cache)) {
        free(c);
        return FZ_ENOMEM;
    }
    c->st = s->st;
    c->clone = 1;
    c->nentries = s->nentries;
    c->avgdl = s->avgdl;
    *out = c;
    return FZ_OK;
}

int search_warm(search *s) { return s->clone ? 0 : store_map_warm(s->st, SEARCH_WARM_CAP); }

uint64_t search_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void search_close(search *s)
{
    if (!s)
        return;
    for (int i = 0; i < 3; i++)
        tok_destroy(s->tok[i]);
    store_entry_cache_destroy(s->cache);
    if (!s->clone)
        store_close(s->st);
    free(s);
}

uint64_t search_entries(search *s)
{
    MDB_txn *txn;
    store_stats st;
    char msg[16];
    if (store_begin(s->st, 0, &txn, msg, sizeof msg))
        return s->nentries;
    int rc = store_stats_get(s->st, txn, &st);
    mdb_txn_abort(txn);
    return rc ? s->nentries : st.nentries;
}

typedef struct {
    scored s;
    const char *path;
    size_t plen;
    uint32_t line;
} srckey;

static int cmp_srckey(const void *a, const void *b)
{
    const srckey *x = a, *y = b;
    size_t n = x->plen < y->plen ? x->plen : y->plen;
    int r = memcmp(x->path, y->path, n);
    if (r)
        return r;
    if (x->plen != y->plen)
        return x->plen < y->plen ? -1 : 1;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    return x->s.doc < y->s.doc ? -1 : x->s.doc > y->s.doc;
}

/* Reading order of the archive: file path, then line. */
static int source_sort(ctx *x, scored *v, size_t n)
{
    srckey *k = malloc((n ? n : 1) * sizeof *k);
    fz_arena *a = fz_arena_create();
    if (!k || !a) {
        free(k);
        fz_arena_destroy(a);
        return FZ_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        store_entry e;
        k[i].s = v[i];
        k[i].path = "";
        k[i].plen = 0;
        k[i].line = 0;
        if (store_entry_meta_get(x->s->st, x->txn, v[i].doc, a, &e) == 0) {
            k[i].line = e.line;
            store_file_path(x->s->st, x->txn, e.file_id, &k[i].path, &k[i].plen);
        }
    }
    qsort(k, n, sizeof *k, cmp_srckey);
    for (size_t i = 0; i < n; i++)
        v[i] = k[i].s;
    fz_arena_destroy(a);
    free(k);
    return 0;
}

int search_run(search *s, const query_node *q, const search_opts *o, search_hit_fn fn, void *cbctx,
               search_counts *counts, char *msg, size_t msglen)
{
    ctx x = {0};
    x.s = s;
    x.o = o;
    x.msg = msg;
    x.msglen = msglen;
    x.dt.doc = DOC_END;
    x.ut.doc = DOC_END;
    search_counts cnt = {0};
    int rc;
    if (!(x.qtok = get_tok(s, TOK_FOLD_TS))) {
        fz_msg(msg, msglen, "cannot start the text analyser");
        return FZ_EICU;
    }
    if (!(x.a = fz_arena_create()))
        return FZ_ENOMEM;
    x.leaves = fz_arena_alloc(x.a, MAX_LEAVES * sizeof *x.leaves);
    x.scoring = fz_arena_alloc(x.a, MAX_LEAVES * sizeof *x.scoring);
    x.nodes = fz_arena_alloc(x.a, MAX_LEAVES * sizeof *x.nodes);
    if (!x.leaves || !x.scoring || !x.nodes) {
        fz_arena_destroy(x.a);
        return FZ_ENOMEM;
    }
    if ((rc = store_begin(s->st, 0, &x.txn, msg, msglen))) {
        fz_arena_destroy(x.a);
        return rc;
    }
    if (s->dl_txnid != mdb_txn_id(x.txn)) {
        if ((rc = stats_read(s, x.txn, msg, msglen))) {
            mdb_txn_abort(x.txn);
            fz_arena_destroy(x.a);
            return rc;
        }
        memset(s->dslots, 0, sizeof s->dslots);
        s->dl_txnid = mdb_txn_id(x.txn);
    }
    x.dc.slots = s->dslots;
    x.dc.nslots = SEARCH_DLEN_SLOTS;
    x.delta = store_delta_records(s->st, x.txn) > 0;
    /* delta postings without a base, or a base that does not decode: the
     * ids of the two trees cannot be trusted to follow each other */
    uint32_t base;
    rc = store_delta_base(s->st, x.txn, &base);
    if (rc == FZ_ENOTFOUND)
        rc = x.delta ? FZ_ECORRUPT : FZ_OK;
    if (rc || (rc = store_dead_get(s->st, x.txn, &x.dead, &x.ndead))) {
        mdb_txn_abort(x.txn);
        fz_arena_destroy(x.a);
        return rc;
    }
    scored *all = NULL;
    size_t nall = 0, capall = 0;
    node *root = compile(&x, q, 1);
    if (!root) {
        rc = x.err ? x.err : FZ_ESYNTAX;
        if (rc == FZ_ELIMIT && msg && !msg[0])
            fz_msg(msg, msglen, "query has too many terms");
        goto done;
    }
    /* --sort source takes the first hits in reading order: rank them all */
    size_t k = o->limit && o->sort != SEARCH_SORT_SOURCE ? (size_t)o->limit + o->offset : 0;
    /* the sample is the best hits by score: a top-k run keeps them too */
    uint32_t sample = o->sample_fn && !o->no_hits ? o->sample : 0;
    if (k && k < sample)
        k = sample;
    /* a k beyond the collection is the whole collection (-n 2147483647
     * must not ask for gigabytes) */
    if (k > x.s->nentries + 1)
        k = (size_t)x.s->nentries + 1;
    /* block-max top-k for a lone term or phrase: skip the rest of the lead
     * term's blocks when they cannot beat the k-th best score */
    int prune = !o->count && !o->one && k && root->type == N_PHRASE && !root->title_only && x.nscoring == 1 &&
                x.scoring[0] == root;
    if (!o->count && !o->one && k && root->type == N_AND) {
        /* an AND whose scored nodes are exactly its positive phrases */
        size_t npos = 0, ok = 1;
        for (size_t i = 0; i < root->nkids && ok; i++) {
            if (root->neg[i])
                continue;
            node *c = root->kids[i];
            ok = c->type == N_PHRASE && !c->title_only && npos < x.nscoring && x.scoring[npos] == c;
            npos++;
        }
        prune = ok && npos == x.nscoring && npos > 0;
    }
    if (k) {
        capall = k;
        all = malloc(capall * sizeof *all);
        if (!all) {
            rc = FZ_ENOMEM;
            goto done;
        }
    }
    int lone = prune && root->nparts == 1 && root->parts[0]->nforms == 1 && !root->nwild && !root->njoins &&
               !root->vterm;
    if (o->exact_entries && !lone)
        prune = 0; /* skipping documents would leave them uncounted */
    x.prune_node = prune ? root : NULL;
    uint32_t d = DOC_END;
    if (lone && !o->no_hits)
        lone_topk(&x, root, all, &nall, k); /* then cnt.entries is set from df below */
    else
        d = node_next(&x, root, o->one ? o->one_id : 0);
    if (o->one && d != o->one_id)
        d = DOC_END;
    while (d != DOC_END && !x.err && !past_deadline(&x)) {
        cnt.entries++;
        if (o->count) {
            uint32_t ns, nt;
            if (simple_term(root)) {
                /* its spans are its occurrences: no positions needed (a lone
                 * character's would come from the entry's text) */
                if (root->field == STORE_F_TEXT)
                    cnt.occurrences += term_tf(root, d, NULL);
            } else if (except_count(&x, root, d, &ns, &nt)) {
                cnt.occurrences += ns;
            } else if (node_spans(&x, root)) {
                rc = x.err;
                goto done;
            } else {
                cnt.occurrences += text_nspans(root);
            }
        }
        if (!o->no_hits && k)
            dlen_ahead(&x);
        if (!o->no_hits && k && nall == k && below(&x, root, d, all[0].score, score_bound)) {
            /* documents come in id order: only a higher score could enter */
        } else if (!o->no_hits) {
            scored sc = {score_doc(&x, d), d};
            if (k) {
                heap_push(all, &nall, k, sc);
                if (prune && nall == k) {
                    x.prune_on = 1;
                    x.prune_thr = all[0].score;
                }
            }
            else {
                if (nall == capall) {
                    capall = capall ? capall * 2 : 1024;
                    scored *na = realloc(all, capall * sizeof *na);
                    if (!na) {
                        rc = FZ_ENOMEM;
                        goto done;
                    }
                    all = na;
                }
                all[nall++] = sc;
            }
        }
        d = o->one ? DOC_END : node_next(&x, root, d + 1);
    }
    if (x.err) {
        rc = x.err;
        goto done;
    }
    x.prune_on = 0; /* the walks for the hits' spans see every document */
    if (lone)
        cnt.entries = root->parts[0]->df; /* exact for a lone term */
    if (!o->no_hits && nall) {
        qsort(all, nall, sizeof *all, cmp_scored);
        for (size_t i = 0; i < sample && i < nall && !rc; i++) {
            rc = emit_hit(&x, NULL, 0, &all[i], (uint32_t)(i + 1), 1, o->sample_fn, o->sample_ctx, NULL);
            cnt.sampled++;
        }
        if (rc)
            goto done;
        if (o->sort == SEARCH_SORT_SOURCE && (rc = source_sort(&x, all, nall)))
            goto done;
        size_t first = o->offset < nall ? o->offset : nall;
        size_t stop = o->limit && nall - first > o->limit ? first + o->limit : nall;
        /* the spans of every returned hit, collected in one forward walk */
        size_t nret = stop - first;
        hitspan *hs = malloc((nret ? nret : 1) * sizeof *hs);
        if (!hs) {
            rc = FZ_ENOMEM;
            goto done;
        }
        for (size_t i = 0; i < nret; i++) {
            hs[i].doc = all[first + i].doc;
            hs[i].rank = i;
            hs[i].sp = NULL;
            hs[i].nsp = 0;
        }
        /* the blocks of the first hits are looked up and brought into the
         * CPU's cache while their spans are found: a block's 4 KB read
         * cold cost more than its lookup and decompression */
        for (size_t i = 0; i < nret && i < STORE_ENTRY_PREFETCH && !o->meta_only; i++)
            store_entry_cache_prefetch(x.s->st, x.txn, x.s->cache, all[first + i].doc);
        qsort(hs, nret, sizeof *hs, cmp_hitspan_doc);
        const leaf *uni = uni_root(root);
        if (!o->no_spans && (rc = node_reset(&x, root)) == 0) {
            for (size_t i = 0; i < nret && !rc; i++) {
                if (node_next(&x, root, hs[i].doc) != hs[i].doc)
                    continue;
                if (uni) {
                    /* its occurrences, which emit_hit places */
                    hs[i].nsp = term_tf(root, hs[i].doc, NULL);
                    continue;
                }
                if (node_spans(&x, root))
                    continue;
                size_t n = text_nspans(root);
                if (!n)
                    continue;
                if (!(hs[i].sp = fz_arena_alloc(x.a, n * sizeof *hs[i].sp)))
                    rc = FZ_ENOMEM;
                else {
                    memcpy(hs[i].sp, root->sp, n * sizeof *hs[i].sp);
                    hs[i].nsp = n;
                }
            }
        }
        if (!rc && x.err)
            rc = x.err;
        qsort(hs, nret, sizeof *hs, cmp_hitspan_rank);
        for (size_t i = 0; i < nret && !rc; i++) {
            if (i + STORE_ENTRY_PREFETCH < nret && !o->meta_only)
                store_entry_cache_prefetch(x.s->st, x.txn, x.s->cache, all[first + i + STORE_ENTRY_PREFETCH].doc);
            rc = emit_hit(&x, hs[i].sp, hs[i].nsp, &all[first + i], (uint32_t)(first + i + 1), o->meta_only, fn,
                          cbctx, hs[i].sp ? NULL : uni);
            cnt.returned++;
        }
        free(hs);
        if (!rc && x.err)
            rc = x.err;
    }
done:
    cnt.timed_out = x.timed_out;
    if (counts)
        *counts = cnt;
    free(all);
    for (size_t i = 0; i < x.nleaves; i++) {
        for (size_t j = 0; j < x.leaves[i]->nk; j++) {
            mdb_cursor_close(x.leaves[i]->k[j].cur);
            free(x.leaves[i]->k[j].dir);
        }
        free(x.leaves[i]->pos);
    }
    for (size_t i = 0; i < x.nnodes; i++) {
        chain_free(x.nodes[i]);
        free(x.nodes[i]->sp);
    }
    mdb_txn_abort(x.txn);
    free(x.dead);
    for (int i = 0; i < 2; i++) {
        doctoks *dt = i ? &x.ut : &x.dt;
        free(dt->cs);
        free(dt->ce);
        free(dt->kind);
        free(dt->toff);
        free(dt->tlen);
        fz_buf_free(&dt->terms);
    }
    fz_arena_destroy(x.a);
    return rc;
}

int search_show(search *s, uint32_t id, search_hit_fn fn, void *cbctx, char *msg, size_t msglen)
{
    ctx x = {0};
    x.s = s;
    MDB_txn *txn;
    int rc = store_begin(s->st, 0, &txn, msg, msglen);
    if (rc)
        return rc;
    x.txn = txn;
    search_opts o = {0};
    x.o = &o;
    x.qtok = get_tok(s, TOK_FOLD_TS);
    scored sc = {0, id};
    rc = emit_hit(&x, NULL, 0, &sc, 0, 0, fn, cbctx, NULL);
    if (rc == FZ_ECORRUPT) {
        if (store_entry_exists(s->st, txn, id) == FZ_ENOTFOUND) {
            rc = FZ_ENOTFOUND;
            fz_msg(msg, msglen, "no entry with id %u", id);
        }
    }
    mdb_txn_abort(txn);
    return rc;
}
