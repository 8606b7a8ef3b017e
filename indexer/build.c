/*
 * build.c -- records into entries and postings (see build.h; the layout
 * written is documented at the top of common/store.c).
 *
 * In memory, every distinct (field, term) gets a term id from an
 * open-addressing hash table; its postings accumulate in a byte buffer in
 * the order documents arrive (ids ascending):
 *     v doc delta, v tf_title, v tf_body, (tf_title + tf_body) x v pos delta
 * At a flush the terms are sorted by key and each term's documents are cut
 * into blocks of STORE_BLOCK_DOCS, the first of them continuing the term's
 * last block already on disk.
 */
#include "build.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/tok.h"
#include "parse.h"

#define DEFAULT_MEM ((size_t)1 << 30)

/* Postings gather in chunks carved from large slabs; a document record
 * never straddles two chunks. */
typedef struct chunk {
    struct chunk *next;
    uint32_t used, size;
    uint8_t data[];
} chunk;

typedef struct slab {
    struct slab *next;
    size_t used, size;
    _Alignas(16) uint8_t data[];
} slab;

#define TERM_INLINE 16

typedef struct {
    uint64_t sortkey;    /* field and first 7 term bytes, big-endian */
    uint32_t off;        /* term bytes in b->names when longer than TERM_INLINE */
    uint8_t len;
    uint8_t field;
    uint8_t has_doc;
    char inl[TERM_INLINE];
    uint32_t hash;
    uint32_t last_doc;   /* last document appended, for deltas */
    chunk *head, *tail;  /* accumulated postings */
} term_acc;

/* One token of the entry being indexed. */
typedef struct {
    uint32_t tid;
    uint32_t pos;
} etok;

struct build {
    store *s;
    MDB_txn *txn;
    tok_analyzer *tok;
    parse_ctx *parse;
    store_stats st;
    int err;                 /* sticky error */
    int committed;
    size_t mem_limit;
    int bulk;                /* index was empty and nothing flushed yet: MDB_APPEND */

    /* term table */
    term_acc *terms;
    uint32_t nterms, terms_cap;
    uint64_t *slots;         /* hash slots: hash << 32 | (tid + 1), 0 = empty */
    slab *slabs;
    uint32_t nslots;
    fz_buf names;            /* term bytes */
    size_t post_bytes;

    /* entry being indexed */
    etok *et;
    size_t net, et_cap;
    int cur_field;
    uint32_t cur_title_end;  /* positions below this are title positions */

    /* per-entry scratch for grouping tokens by term */
    uint32_t *cnt;           /* per local slot */
    uint32_t *slot_tid;
    uint32_t *tid_slot;      /* tid -> local slot + 1 for the current entry (sized terms_cap) */
    etok *sorted;
    size_t scratch_cap;

    /* entry lengths of new entries, written at flush */
    uint32_t *dlen;
    size_t ndlen, dlen_cap;
    uint32_t dlen_first;

    /* current file */
    uint32_t file_id;
    uint32_t file_entries;
    const char *path;
    fz_buf enc;              /* encoded entry */
    fz_buf val;              /* block value scratch */
    store_block_builder bb;
    uint32_t *posbuf;
    size_t posbuf_cap;
    char *emsg;
    size_t emsglen;
};

static uint32_t hash_term(int field, const char *t, size_t n)
{
    uint32_t h = 2166136261u ^ (uint32_t)field;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)t[i];
        h *= 16777619u;
    }
    return h ^ (h >> 15);
}

static int grow_slots(build *b)
{
    uint32_t n = b->nslots ? b->nslots * 2 : 1u << 16;
    uint64_t *s = calloc(n, sizeof *s);
    if (!s)
        return FZ_ENOMEM;
    for (uint32_t t = 0; t < b->nterms; t++) {
        uint32_t i = b->terms[t].hash & (n - 1);
        while (s[i])
            i = (i + 1) & (n - 1);
        s[i] = (uint64_t)b->terms[t].hash << 32 | (t + 1);
    }
    free(b->slots);
    b->slots = s;
    b->nslots = n;
    return FZ_OK;
}

/* Term id of (field, term), creating it; UINT32_MAX when out of memory. */
static uint32_t intern(build *b, int field, const char *t, size_t n)
{
    if (n > 255)
        n = 255;
    uint32_t h = hash_term(field, t, n);
    uint32_t i = h & (b->nslots - 1);
    for (;;) {
        uint64_t s = b->slots[i];
        if (!s)
            break;
        if ((uint32_t)(s >> 32) == h) {
            uint32_t tid = (uint32_t)s - 1;
            term_acc *ta = &b->terms[tid];
            if (ta->len == n && ta->field == field &&
                memcmp(n <= TERM_INLINE ? ta->inl : b->names.p + ta->off, t, n) == 0)
                return tid;
        }
        i = (i + 1) & (b->nslots - 1);
    }
    if (b->nterms == b->terms_cap) {
        uint32_t cap = b->terms_cap ? b->terms_cap * 2 : 1u << 15;
        term_acc *nt = realloc(b->terms, cap * sizeof *nt);
        if (!nt)
            return UINT32_MAX;
        uint32_t *ns = realloc(b->tid_slot, cap * sizeof *ns);
        if (!ns) {
            b->terms = nt;
            return UINT32_MAX;
        }
        memset(ns + b->terms_cap, 0, (cap - b->terms_cap) * sizeof *ns);
        b->terms = nt;
        b->tid_slot = ns;
        b->terms_cap = cap;
    }
    uint32_t tid = b->nterms++;
    term_acc *ta = &b->terms[tid];
    memset(ta, 0, sizeof *ta);
    ta->len = (uint8_t)n;
    ta->field = (uint8_t)field;
    ta->hash = h;
    if (n <= TERM_INLINE) {
        memcpy(ta->inl, t, n);
    } else {
        ta->off = (uint32_t)b->names.len;
        if (fz_buf_append(&b->names, t, n))
            return UINT32_MAX;
    }
    uint64_t key = (uint64_t)(uint8_t)field << 56;
    for (size_t q = 0; q < 7 && q < n; q++)
        key |= (uint64_t)(uint8_t)t[q] << (48 - 8 * q);
    ta->sortkey = key;
    b->slots[i] = (uint64_t)h << 32 | (tid + 1);
    if ((size_t)b->nterms * 2 > b->nslots && grow_slots(b))
        return UINT32_MAX;
    return tid;
}

static int on_token(void *ctx, const tok_token *t)
{
    build *b = ctx;
    uint32_t tid = intern(b, b->cur_field, t->term, t->term_len);
    if (tid == UINT32_MAX)
        return FZ_ENOMEM;
    if (b->net == b->et_cap) {
        size_t cap = b->et_cap ? b->et_cap * 2 : 1024;
        etok *n = realloc(b->et, cap * sizeof *n);
        if (!n)
            return FZ_ENOMEM;
        b->et = n;
        b->et_cap = cap;
    }
    b->et[b->net].tid = tid;
    b->et[b->net].pos = t->pos;
    b->net++;
    return 0;
}

/* Room for n more bytes at the end of the term's postings. */
static uint8_t *acc_reserve(build *b, term_acc *ta, size_t n)
{
    chunk *c = ta->tail;
    if (c && c->size - c->used >= n)
        return c->data + c->used;
    size_t size = c ? (size_t)c->size * 2 : 24;
    if (size > 4096)
        size = 4096;
    if (size < n)
        size = n;
    size_t need = (sizeof(chunk) + size + 7) & ~(size_t)7;
    slab *sl = b->slabs;
    if (!sl || sl->size - sl->used < need) {
        size_t ss = need > ((size_t)1 << 20) ? need : ((size_t)1 << 20);
        sl = malloc(sizeof *sl + ss);
        if (!sl)
            return NULL;
        sl->size = ss;
        sl->used = 0;
        sl->next = b->slabs;
        b->slabs = sl;
        b->post_bytes += ss;
    }
    chunk *nc = (chunk *)(sl->data + sl->used);
    sl->used += need;
    nc->next = NULL;
    nc->used = 0;
    nc->size = (uint32_t)size;
    if (c)
        c->next = nc;
    else
        ta->head = nc;
    ta->tail = nc;
    return nc->data;
}

static void free_slabs(build *b)
{
    slab *sl = b->slabs;
    while (sl) {
        slab *n = sl->next;
        free(sl);
        sl = n;
    }
    b->slabs = NULL;
    b->post_bytes = 0;
}

/* Groups the entry's tokens by term (stable, so positions stay ascending)
 * and appends one document record per term. */
static int flush_entry_tokens(build *b, uint32_t doc, uint32_t title_end)
{
    size_t n = b->net;
    if (n > b->scratch_cap) {
        size_t cap = n * 2;
        uint32_t *c = realloc(b->cnt, cap * sizeof *c);
        if (c) b->cnt = c;
        uint32_t *st = realloc(b->slot_tid, cap * sizeof *st);
        if (st) b->slot_tid = st;
        etok *so = realloc(b->sorted, cap * sizeof *so);
        if (so) b->sorted = so;
        if (!c || !st || !so)
            return FZ_ENOMEM;
        b->scratch_cap = cap;
    }
    uint32_t nslot = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t tid = b->et[i].tid;
        if (!b->tid_slot[tid]) {
            b->tid_slot[tid] = ++nslot;
            b->slot_tid[nslot - 1] = tid;
            b->cnt[nslot - 1] = 0;
        }
        b->cnt[b->tid_slot[tid] - 1]++;
    }
    /* prefix sums -> start offsets */
    uint32_t sum = 0;
    for (uint32_t s = 0; s < nslot; s++) {
        uint32_t c = b->cnt[s];
        b->cnt[s] = sum;
        sum += c;
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t s = b->tid_slot[b->et[i].tid] - 1;
        b->sorted[b->cnt[s]++] = b->et[i];
    }
    size_t i = 0;
    for (uint32_t s = 0; s < nslot; s++) {
        uint32_t tid = b->slot_tid[s];
        b->tid_slot[tid] = 0;
        term_acc *ta = &b->terms[tid];
        size_t j = i;
        while (j < n && b->sorted[j].tid == tid)
            j++;
        uint32_t tf_title = 0;
        while (i + tf_title < j && b->sorted[i + tf_title].pos < title_end)
            tf_title++;
        uint32_t tf_body = (uint32_t)(j - i) - tf_title;
        uint8_t *w = acc_reserve(b, ta, 3 * 5 + (j - i) * 5), *w0 = w;
        if (!w)
            return FZ_ENOMEM;
        w += fz_varint_put(w, ta->has_doc ? doc - ta->last_doc : doc);
        w += fz_varint_put(w, tf_title);
        w += fz_varint_put(w, tf_body);
        uint32_t prev = 0;
        for (size_t q = i; q < j; q++) {
            w += fz_varint_put(w, b->sorted[q].pos - prev);
            prev = b->sorted[q].pos;
        }
        ta->tail->used += (uint32_t)(w - w0);
        ta->last_doc = doc;
        ta->has_doc = 1;
        i = j;
    }
    b->net = 0;
    return FZ_OK;
}

/* ---- writing postings ---- */

static const char *term_bytes(const build *b, const term_acc *ta)
{
    return ta->len <= TERM_INLINE ? ta->inl : b->names.p + ta->off;
}

static int cmp_terms_ctx(const build *b, uint32_t x, uint32_t y)
{
    const term_acc *a = &b->terms[x], *c = &b->terms[y];
    if (a->sortkey != c->sortkey)
        return a->sortkey < c->sortkey ? -1 : 1;
    size_t n = a->len < c->len ? a->len : c->len;
    int r = memcmp(term_bytes(b, a), term_bytes(b, c), n);
    if (r)
        return r;
    /* "ab\0" sorts before "abc\0": the shorter term first */
    return a->len < c->len ? -1 : a->len > c->len;
}

static void sort_tids(const build *b, uint32_t *v, uint32_t *tmp, size_t n)
{
    if (n < 2)
        return;
    size_t h = n / 2;
    sort_tids(b, v, tmp, h);
    sort_tids(b, v + h, tmp, n - h);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = cmp_terms_ctx(b, v[i], v[j]) <= 0 ? v[i++] : v[j++];
    while (i < h)
        tmp[k++] = v[i++];
    while (j < n)
        tmp[k++] = v[j++];
    memcpy(v, tmp, n * sizeof *v);
}

static int ensure_posbuf(build *b, size_t n)
{
    if (n <= b->posbuf_cap)
        return FZ_OK;
    size_t cap = n * 2;
    uint32_t *p = realloc(b->posbuf, cap * sizeof *p);
    if (!p)
        return FZ_ENOMEM;
    b->posbuf = p;
    b->posbuf_cap = cap;
    return FZ_OK;
}

static int put_block(build *b, MDB_cursor *cur, int field, const char *term, size_t tlen, int append)
{
    if (store_bb_finish(&b->bb, &b->val))
        return FZ_ENOMEM;
    uint8_t key[STORE_KEY_MAX];
    MDB_val k = {store_post_key(key, field, term, tlen, b->bb.first), key};
    MDB_val v = {b->val.len, b->val.p};
    int rc = mdb_cursor_put(cur, &k, &v, append ? MDB_APPEND : 0);
    if (rc)
        return store_lmdb_err(rc, "writing postings", b->emsg, b->emsglen);
    store_bb_reset(&b->bb);
    return FZ_OK;
}

static uint32_t doc_len(build *b, store_dlen_cache *dc, uint32_t doc)
{
    if (doc >= b->dlen_first && doc - b->dlen_first < b->ndlen)
        return b->dlen[doc - b->dlen_first];
    return store_dlen_get(b->s, b->txn, dc, doc);
}

/* Writes one term's accumulated documents. */
static int write_term(build *b, MDB_cursor *cur, term_acc *ta, store_dlen_cache *dc)
{
    const char *term = term_bytes(b, ta);
    int rc;
    store_bb_reset(&b->bb);
    if (!b->bulk) {
        /* continue the term's last block when it has room */
        uint8_t key[STORE_KEY_MAX];
        MDB_val k = {store_post_key(key, ta->field, term, ta->len, UINT32_MAX), key}, v;
        rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
        if (rc == MDB_NOTFOUND)
            rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
        else if (rc == 0)
            rc = mdb_cursor_get(cur, &k, &v, MDB_PREV);
        if (rc && rc != MDB_NOTFOUND)
            return store_lmdb_err(rc, "reading postings", b->emsg, b->emsglen);
        if (rc == 0 && k.mv_size == (size_t)ta->len + 6 && ((uint8_t *)k.mv_data)[0] == ta->field &&
            memcmp((uint8_t *)k.mv_data + 1, term, ta->len) == 0 && ((uint8_t *)k.mv_data)[1 + ta->len] == 0) {
            store_block old;
            uint32_t first = fz_be32_get((uint8_t *)k.mv_data + ta->len + 2);
            if (store_block_open(&old, first, v.mv_data, v.mv_size))
                return FZ_ECORRUPT;
            if (old.ndocs < STORE_BLOCK_DOCS) {
                do {
                    uint32_t np = old.tf_title + old.tf_body;
                    if (ensure_posbuf(b, np))
                        return FZ_ENOMEM;
                    if (store_block_positions(&old, b->posbuf, np) < 0)
                        return FZ_ECORRUPT;
                    if (store_bb_add(&b->bb, old.doc, doc_len(b, dc, old.doc), b->posbuf, old.tf_title,
                                     old.tf_body))
                        return FZ_ENOMEM;
                } while ((rc = store_block_next(&old)) == 0);
                if (rc != FZ_ENOTFOUND)
                    return FZ_ECORRUPT;
            }
        }
    }
    uint32_t doc = 0;
    int first = 1;
    for (const chunk *ch = ta->head; ch; ch = ch->next) {
    const uint8_t *p = ch->data, *end = p + ch->used;
    while (p < end) {
        uint64_t d, tt, tb;
        if (!(p = fz_varint_get(p, end, &d)) || !(p = fz_varint_get(p, end, &tt)) ||
            !(p = fz_varint_get(p, end, &tb)))
            return FZ_ECORRUPT;
        doc = first ? (uint32_t)d : doc + (uint32_t)d;
        first = 0;
        uint32_t np = (uint32_t)(tt + tb), pos = 0;
        if (ensure_posbuf(b, np))
            return FZ_ENOMEM;
        for (uint32_t i = 0; i < np; i++) {
            uint64_t x;
            if (!(p = fz_varint_get(p, end, &x)))
                return FZ_ECORRUPT;
            pos += (uint32_t)x;
            b->posbuf[i] = pos;
        }
        if (b->bb.ndocs == STORE_BLOCK_DOCS && (rc = put_block(b, cur, ta->field, term, ta->len, b->bulk)))
            return rc;
        if (store_bb_add(&b->bb, doc, doc_len(b, dc, doc), b->posbuf, (uint32_t)tt, (uint32_t)tb))
            return FZ_ENOMEM;
    }
    }
    if (b->bb.ndocs && (rc = put_block(b, cur, ta->field, term, ta->len, b->bulk)))
        return rc;
    return FZ_OK;
}

static int flush_postings(build *b)
{
    if (b->ndlen) {
        int rc = store_dlen_put(b->s, b->txn, b->dlen_first, b->dlen, b->ndlen, b->emsg, b->emsglen);
        if (rc)
            return rc;
    }
    uint32_t *order = malloc((b->nterms + 1) * sizeof *order);
    uint32_t *tmp = malloc((b->nterms + 1) * sizeof *tmp);
    if (!order || !tmp) {
        free(order);
        free(tmp);
        return FZ_ENOMEM;
    }
    uint32_t n = 0;
    for (uint32_t t = 0; t < b->nterms; t++)
        if (b->terms[t].head)
            order[n++] = t;
    sort_tids(b, order, tmp, n);
    free(tmp);
    MDB_cursor *cur;
    int rc = mdb_cursor_open(b->txn, store_dbi(b->s, STORE_DB_POST), &cur);
    if (rc) {
        free(order);
        return store_lmdb_err(rc, "writing postings", b->emsg, b->emsglen);
    }
    store_dlen_cache dc = {0};
    for (uint32_t i = 0; i < n && !rc; i++) {
        term_acc *ta = &b->terms[order[i]];
        rc = write_term(b, cur, ta, &dc);
        ta->head = ta->tail = NULL;
        ta->has_doc = 0;
    }
    mdb_cursor_close(cur);
    free(order);
    free_slabs(b);
    b->bulk = 0;
    /* The term table is kept (ids stay valid); new lengths start after. */
    b->dlen_first += (uint32_t)b->ndlen;
    b->ndlen = 0;
    return rc;
}

/* ---- entries ---- */

static int analyze_field(build *b, int field, const char *text, size_t len, uint32_t base, uint32_t *next)
{
    b->cur_field = field;
    return tok_analyze(b->tok, text, len, base, on_token, b, next);
}

static int on_record(void *ctx, const parse_entry *pe)
{
    build *b = ctx;
    uint32_t id = b->st.next_id;
    if (id == UINT32_MAX)
        return FZ_ELIMIT;
    int rc;
    uint32_t title_next = 0, next = 0;
    b->net = 0;
    if ((rc = analyze_field(b, STORE_F_TEXT, pe->title, pe->title_len, 0, &title_next)))
        return rc;
    uint32_t body_base = title_next ? title_next + 1 : 0;
    if ((rc = analyze_field(b, STORE_F_TEXT, pe->body, pe->body_len, body_base, &next)))
        return rc;
    uint32_t npos = next > body_base ? next : body_base;
    /* metadata fields, each in its own position space */
    uint32_t p = 0;
    for (size_t i = 0; i < pe->nauthors; i++) {
        if ((rc = analyze_field(b, STORE_F_AUTHOR, pe->authors[i], strlen(pe->authors[i]), p, &p)))
            return rc;
        p++;
    }
    p = 0;
    for (size_t i = 0; i < pe->nsection; i++) {
        if ((rc = analyze_field(b, STORE_F_SECTION, pe->section[i], strlen(pe->section[i]), p, &p)))
            return rc;
        p++;
    }
    if ((rc = analyze_field(b, STORE_F_FILE, b->path, strlen(b->path), 0, NULL)))
        return rc;
    const char *kn = parse_kind_name(pe->kind);
    if ((rc = analyze_field(b, STORE_F_KIND, kn, strlen(kn), 0, NULL)))
        return rc;
    if ((rc = flush_entry_tokens(b, id, body_base)))
        return rc;

    /* the entry record */
    const char *secs[64];
    size_t seclen[64], auth_len[64];
    const char *auths[64];
    store_entry e = {0};
    e.id = id;
    e.file_id = b->file_id;
    e.line = pe->line;
    e.kind = (uint8_t)pe->kind;
    e.title_npos = body_base;
    e.npos = npos;
    e.title = pe->title;
    e.title_len = pe->title_len;
    e.body = pe->body;
    e.body_len = pe->body_len;
    e.nsection = pe->nsection < 64 ? pe->nsection : 64;
    for (size_t i = 0; i < e.nsection; i++) {
        secs[i] = pe->section[i];
        seclen[i] = strlen(secs[i]);
    }
    e.section = secs;
    e.section_len = seclen;
    e.nauthors = pe->nauthors < 64 ? pe->nauthors : 64;
    for (size_t i = 0; i < e.nauthors; i++) {
        auths[i] = pe->authors[i];
        auth_len[i] = strlen(auths[i]);
    }
    e.authors = auths;
    e.author_len = auth_len;
    b->enc.len = 0;
    if (store_entry_encode(&e, &b->enc))
        return FZ_ENOMEM;
    uint8_t kb[4];
    fz_be32_put(kb, id);
    MDB_val k = {4, kb}, v = {b->enc.len, b->enc.p};
    if ((rc = mdb_put(b->txn, store_dbi(b->s, STORE_DB_ENTRY), &k, &v, b->bulk ? MDB_APPEND : 0)))
        return store_lmdb_err(rc, "writing an entry", b->emsg, b->emsglen);
    if (b->ndlen == b->dlen_cap) {
        size_t cap = b->dlen_cap ? b->dlen_cap * 2 : 4096;
        uint32_t *nd = realloc(b->dlen, cap * sizeof *nd);
        if (!nd)
            return FZ_ENOMEM;
        b->dlen = nd;
        b->dlen_cap = cap;
    }
    b->dlen[b->ndlen++] = npos;
    b->st.next_id++;
    b->st.nentries++;
    b->st.sumlen += npos;
    b->file_entries++;
    if (b->post_bytes > b->mem_limit)
        return flush_postings(b);
    return FZ_OK;
}

int build_create(store *s, const build_opts *opts, build **out, char *msg, size_t msglen)
{
    *out = NULL;
    build *b = calloc(1, sizeof *b);
    if (!b)
        return FZ_ENOMEM;
    b->s = s;
    b->mem_limit = opts && opts->mem_limit ? opts->mem_limit : DEFAULT_MEM;
    int rc;
    if (!(b->tok = tok_create(TOK_FOLD_TS, msg, msglen))) {
        free(b);
        return FZ_EICU;
    }
    if (!(b->parse = parse_create()) || grow_slots(b)) {
        rc = FZ_ENOMEM;
        goto fail;
    }
    store_bb_reset(&b->bb);
    if ((rc = store_begin(s, 1, &b->txn, msg, msglen)))
        goto fail;
    if ((rc = store_stats_get(s, b->txn, &b->st)))
        goto fail;
    b->dlen_first = b->st.next_id;
    b->bulk = b->st.next_id == 0;
    *out = b;
    return FZ_OK;
fail:
    build_destroy(b);
    return rc;
}

/* Starts a file record: drops the file's old entries and sets up ids. */
static int begin_file(build *b, const char *path, store_file *f, uint64_t nbytes, int64_t mtime,
                      const char *encoding, char *msg, size_t msglen)
{
    store_file old;
    int rc = store_file_get(b->s, b->txn, path, &old);
    if (rc == 0) {
        if ((rc = build_remove_file(b, path, NULL, msg, msglen)))
            return rc;
    } else if (rc != FZ_ENOTFOUND) {
        return b->err = rc;
    }
    memset(f, 0, sizeof *f);
    f->file_id = b->st.next_file++;
    f->first_id = b->st.next_id;
    f->nbytes = nbytes;
    f->mtime = mtime;
    f->indexed_at = (int64_t)time(NULL);
    snprintf(f->encoding, sizeof f->encoding, "%s", encoding ? encoding : "UTF-8");
    b->file_id = f->file_id;
    b->file_entries = 0;
    b->path = path;
    b->emsg = msg;
    b->emsglen = msglen;
    return FZ_OK;
}

static int end_file(build *b, const char *path, store_file *f, uint32_t *nentries)
{
    f->nentries = b->file_entries;
    int rc = store_file_put(b->s, b->txn, path, f);
    if (rc)
        return b->err = rc;
    b->st.nfiles++;
    if (nentries)
        *nentries = f->nentries;
    return FZ_OK;
}

int build_add_file(build *b, const char *path, const char *text, size_t len, uint64_t nbytes,
                   int64_t mtime, const char *encoding, uint32_t *nentries, char *msg, size_t msglen)
{
    if (b->err)
        return b->err;
    store_file f;
    int rc = begin_file(b, path, &f, nbytes, mtime, encoding, msg, msglen);
    if (rc)
        return rc;
    rc = parse_text(b->parse, text, len, on_record, b);
    if (rc) {
        if (msg && !msg[0])
            fz_msg(msg, msglen, "indexing %s: %s", path, fz_strerror(rc));
        return b->err = rc;
    }
    return end_file(b, path, &f, nentries);
}

int build_merge(build *b, store *other, uint32_t *nfiles, uint64_t *nentries, char *msg, size_t msglen)
{
    if (b->err)
        return b->err;
    MDB_txn *ot;
    int rc = store_begin(other, 0, &ot, msg, msglen);
    if (rc)
        return rc;
    MDB_cursor *cur;
    if ((rc = mdb_cursor_open(ot, store_dbi(other, STORE_DB_FILE), &cur))) {
        mdb_txn_abort(ot);
        return store_lmdb_err(rc, "reading the other index", msg, msglen);
    }
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
        store_file of, f;
        if ((rc = store_file_get(other, ot, path.p, &of)))
            break;
        if ((rc = begin_file(b, path.p, &f, of.nbytes, of.mtime, of.encoding, msg, msglen)))
            break;
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
            parse_entry pe = {e.line, (parse_kind)e.kind, e.title, e.title_len, e.body, e.body_len,
                              sec, e.nsection, au, e.nauthors};
            rc = on_record(b, &pe);
        }
        if (!rc)
            rc = end_file(b, path.p, &f, NULL);
        ne += b->file_entries;
        nf++;
        fz_arena_destroy(a);
        a = fz_arena_create();
        if (!a)
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

/* Collects the distinct (field, term) keys of an entry by analysing its
 * stored fields again, as on_record did. */
static int entry_terms(build *b, const store_entry *e, const char *path)
{
    int rc;
    uint32_t tn = 0, p = 0;
    b->net = 0;
    if ((rc = analyze_field(b, STORE_F_TEXT, e->title, e->title_len, 0, &tn)) ||
        (rc = analyze_field(b, STORE_F_TEXT, e->body, e->body_len, tn ? tn + 1 : 0, NULL)))
        return rc;
    for (size_t i = 0; i < e->nauthors; i++) {
        if ((rc = analyze_field(b, STORE_F_AUTHOR, e->authors[i], e->author_len[i], p, &p)))
            return rc;
        p++;
    }
    p = 0;
    for (size_t i = 0; i < e->nsection; i++) {
        if ((rc = analyze_field(b, STORE_F_SECTION, e->section[i], e->section_len[i], p, &p)))
            return rc;
        p++;
    }
    if ((rc = analyze_field(b, STORE_F_FILE, path, strlen(path), 0, NULL)))
        return rc;
    const char *kn = parse_kind_name((parse_kind)e->kind);
    return analyze_field(b, STORE_F_KIND, kn, strlen(kn), 0, NULL);
}

static int same_term(const MDB_val *k, const term_acc *ta, const char *term)
{
    const uint8_t *kp = k->mv_data;
    return k->mv_size == (size_t)ta->len + 6 && kp[0] == ta->field && memcmp(kp + 1, term, ta->len) == 0 &&
           kp[1 + ta->len] == 0;
}

/* Removes docs [lo, hi] from every block of one term.  Blocks never
 * overlap, so after rewriting a block the walk goes on from the first
 * block starting after it. */
static int remove_from_term(build *b, MDB_cursor *cur, const term_acc *ta, uint32_t lo, uint32_t hi,
                            store_dlen_cache *dc)
{
    const char *term = term_bytes(b, ta);
    uint8_t key[STORE_KEY_MAX];
    MDB_val k = {store_post_key(key, ta->field, term, ta->len, lo), key}, v;
    int rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    /* the block holding lo may start before it: look one back */
    if (rc == MDB_NOTFOUND)
        rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
    else if (rc == 0 && !(same_term(&k, ta, term) && fz_be32_get((uint8_t *)k.mv_data + ta->len + 2) == lo)) {
        rc = mdb_cursor_get(cur, &k, &v, MDB_PREV);
        if (rc == 0 && !same_term(&k, ta, term))
            rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
        else if (rc == MDB_NOTFOUND)
            rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    }
    while (rc == 0 && same_term(&k, ta, term)) {
        uint32_t first = fz_be32_get((uint8_t *)k.mv_data + ta->len + 2);
        if (first > hi)
            return FZ_OK;
        store_block blk;
        if (store_block_open(&blk, first, v.mv_data, v.mv_size))
            return FZ_ECORRUPT;
        if (blk.last < lo) {
            rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
            continue;
        }
        store_bb_reset(&b->bb);
        int r;
        do {
            if (blk.doc >= lo && blk.doc <= hi)
                continue;
            uint32_t np = blk.tf_title + blk.tf_body;
            if (ensure_posbuf(b, np))
                return FZ_ENOMEM;
            if (store_block_positions(&blk, b->posbuf, np) < 0)
                return FZ_ECORRUPT;
            if (store_bb_add(&b->bb, blk.doc, store_dlen_get(b->s, b->txn, dc, blk.doc), b->posbuf,
                             blk.tf_title, blk.tf_body))
                return FZ_ENOMEM;
        } while ((r = store_block_next(&blk)) == 0);
        if (r != FZ_ENOTFOUND)
            return FZ_ECORRUPT;
        uint32_t last = blk.last;
        if ((rc = mdb_cursor_del(cur, 0)))
            return store_lmdb_err(rc, "removing postings", b->emsg, b->emsglen);
        if (b->bb.ndocs) {
            if (store_bb_finish(&b->bb, &b->val))
                return FZ_ENOMEM;
            uint8_t nk[STORE_KEY_MAX];
            MDB_val kk = {store_post_key(nk, ta->field, term, ta->len, b->bb.first), nk};
            MDB_val vv = {b->val.len, b->val.p};
            if ((rc = mdb_put(b->txn, store_dbi(b->s, STORE_DB_POST), &kk, &vv, 0)))
                return store_lmdb_err(rc, "rewriting postings", b->emsg, b->emsglen);
            store_bb_reset(&b->bb);
        }
        if (last >= hi)
            return FZ_OK;
        k.mv_size = store_post_key(key, ta->field, term, ta->len, last + 1);
        k.mv_data = key;
        rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    }
    if (rc && rc != MDB_NOTFOUND)
        return store_lmdb_err(rc, "reading postings", b->emsg, b->emsglen);
    return FZ_OK;
}

int build_remove_file(build *b, const char *path, uint32_t *nentries, char *msg, size_t msglen)
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
    fz_arena *arena = fz_arena_create();
    if (!arena)
        return b->err = FZ_ENOMEM;
    /* 1. the distinct terms of all the file's entries */
    uint8_t *seen = NULL;
    size_t seen_cap = 0;
    uint32_t *keys = NULL;
    size_t nkeys = 0, keys_cap = 0;
    uint64_t sumlen = 0, live = 0;
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
        if ((rc = entry_terms(b, &e, path)))
            break;
        if (seen_cap < b->nterms) {
            size_t cap = b->nterms * 2;
            uint8_t *ns = realloc(seen, cap);
            if (!ns) {
                rc = FZ_ENOMEM;
                break;
            }
            memset(ns + seen_cap, 0, cap - seen_cap);
            seen = ns;
            seen_cap = cap;
        }
        for (size_t t = 0; t < b->net; t++) {
            uint32_t tid = b->et[t].tid;
            if (seen[tid])
                continue;
            seen[tid] = 1;
            if (nkeys == keys_cap) {
                keys_cap = keys_cap ? keys_cap * 2 : 1024;
                uint32_t *nk = realloc(keys, keys_cap * sizeof *nk);
                if (!nk) {
                    rc = FZ_ENOMEM;
                    break;
                }
                keys = nk;
            }
            keys[nkeys++] = tid;
        }
        b->net = 0;
    }
    free(seen);
    fz_arena_destroy(arena);
    /* 2. drop the documents from those terms' blocks */
    if (!rc && f.nentries) {
        MDB_cursor *cur;
        if ((rc = mdb_cursor_open(b->txn, store_dbi(b->s, STORE_DB_POST), &cur)))
            rc = store_lmdb_err(rc, "removing postings", msg, msglen);
        else {
            store_dlen_cache dc = {0};
            for (size_t i = 0; i < nkeys && !rc; i++)
                rc = remove_from_term(b, cur, &b->terms[keys[i]], f.first_id, f.first_id + f.nentries - 1, &dc);
            mdb_cursor_close(cur);
        }
    }
    free(keys);
    /* 3. entries, lengths, the file record, statistics */
    for (uint32_t i = 0; i < f.nentries && !rc; i++) {
        uint8_t kb[4];
        fz_be32_put(kb, f.first_id + i);
        MDB_val k = {4, kb};
        int r = mdb_del(b->txn, store_dbi(b->s, STORE_DB_ENTRY), &k, NULL);
        if (r && r != MDB_NOTFOUND)
            rc = store_lmdb_err(r, "removing an entry", msg, msglen);
    }
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

int build_commit(build *b, char *msg, size_t msglen)
{
    if (b->err)
        return b->err;
    b->emsg = msg;
    b->emsglen = msglen;
    int rc = flush_postings(b);
    if (!rc)
        rc = store_stats_put(b->s, b->txn, &b->st);
    if (rc)
        return b->err = rc;
    int r = mdb_txn_commit(b->txn);
    b->txn = NULL;
    if (r)
        return b->err = store_lmdb_err(r, "committing the index", msg, msglen);
    b->committed = 1;
    return FZ_OK;
}

size_t build_mem_used(const build *b) { return b->post_bytes; }

void build_destroy(build *b)
{
    if (!b)
        return;
    if (b->txn)
        mdb_txn_abort(b->txn);
    free_slabs(b);
    free(b->terms);
    free(b->slots);
    free(b->tid_slot);
    fz_buf_free(&b->names);
    free(b->et);
    free(b->cnt);
    free(b->slot_tid);
    free(b->sorted);
    free(b->dlen);
    free(b->posbuf);
    fz_buf_free(&b->enc);
    fz_buf_free(&b->val);
    store_bb_free(&b->bb);
    parse_destroy(b->parse);
    tok_destroy(b->tok);
    free(b);
}
