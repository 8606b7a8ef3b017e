/*
 * postsize.c -- where the bytes of an index's postings are, and what the
 * encodings considered for issue 12 would make of them (bench/POSTINGS.md).
 *
 *   postsize DB        (DB: an index directory or a packed archive)
 *
 * Reads every record of the "post" database once (store.c's layout, read
 * with store_block_open; a term pack's terms with store_tpack_open/next and
 * store_block_open_tpack) and prints, per term class (CJK unigrams, CJK
 * bigrams, words of the text field; each metadata field):
 *   - terms in blocks and in term packs, and the packs;
 *   - keys (a packed term: its front-coded bytes, v shared, v length and
 *     the suffix; the pack's key counted with its first term), block
 *     headers (a packed term: v ndocs, v first id), impacts, a block's id,
 *     tf and position streams and a packed term's id deltas, tf fields and
 *     positions (bytes as stored), and LMDB's share: 8 bytes of node header
 *     and 2 of page index per record in its leaf page, whole overflow pages
 *     for a value too large for a leaf (their unused tail counted), and the
 *     leaf pages' unused room spread over the classes by their leaf bytes;
 *     the total of the database's pages is mdb_stat's;
 *   - a block's streams (BLOCK STREAMS in common/store.c: the id deltas,
 *     tf_title and tf_body, the position deltas) as stored, and what the
 *     same values took as varint records (the record form: v id delta, the
 *     tf code, v position deltas per document; format 6 before its
 *     streams);
 *   - unigrams dropped where the bigram postings give them: the CJK
 *     unigram occurrences at p that start no bigram (bit p+1 of the entry's
 *     join map clear) are the ones a 1-character query could not get from
 *     the bigrams that begin with that character; their postings encoded as
 *     today (ids, tfs, positions; keys and headers per 128 documents);
 *   - terms whose whole posting list is one block of one document (hapax
 *     terms): their keys, headers and LMDB overhead, the part that packing
 *     many of them into one record would save.
 * Exit 1 when the index cannot be read.
 */
#include <lmdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fz.h"
#include "store.h"

enum { C_UNI, C_BI, C_WORD, C_AUTHOR, C_SECTION, C_FILE, C_KIND, C_OTHER, C_N };
static const char *const cname[C_N] = {"CJK unigram", "CJK bigram", "word",        "author field ('a')",
                                       "section field ('s')", "file field ('f')", "kind field ('k')", "other"};

typedef struct {
    uint64_t terms, blocks, docs, positions;
    uint64_t key, hdr, extra, ids, tfs, pos;
    double leaf, node, ovpages, ovbytes;
    uint64_t sids, stfs, spos;              /* blocks: their streams' bytes */
    uint64_t varint;                        /* blocks: their records as varint records */
    uint64_t hapax_terms;                   /* 1-doc terms */
    double hapax_fixed;                     /* their key + header + node */
    uint64_t title1, title1_at0;            /* documents with tf_title 1, tf_body 0 (at position 0) */
    uint64_t packed, packs;                 /* terms in term packs; packs (by their first term) */
} cls;

static unsigned vlen(uint64_t v)
{
    unsigned n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static int fail(const char *why)
{
    fprintf(stderr, "postsize: %s\n", why);
    return 1;
}

static int cmp32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static int classify(const uint8_t *k, size_t len)
{
    if (len < 6)
        return C_OTHER;
    if (k[0] == STORE_F_UNI)
        return C_UNI; /* format 7: the CJK unigrams of the text, without positions */
    if (k[0] != 'b')
        return k[0] == 'a' ? C_AUTHOR : k[0] == 's' ? C_SECTION : k[0] == 'f' ? C_FILE : k[0] == 'k' ? C_KIND : C_OTHER;
    const uint8_t *t = k + 1, *e = k + len - 5;
    int n = 0, cjk = 1;
    while (t < e) {
        uint32_t cp = *t;
        size_t l = cp < 0x80 ? 1 : cp < 0xE0 ? 2 : cp < 0xF0 ? 3 : 4;
        if (l > 1)
            cp &= 0x3F >> (l - 1);
        for (size_t i = 1; i < l && t + i < e; i++)
            cp = cp << 6 | (t[i] & 0x3F);
        if (cp < 0x2E80)
            cjk = 0;
        t += l;
        n++;
    }
    return cjk && n == 1 ? C_UNI : cjk && n == 2 ? C_BI : C_WORD;
}

typedef struct {
    uint32_t *v;
    size_t n, cap;
} vec;

static void vpush(vec *a, uint32_t x)
{
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 1024;
        a->v = realloc(a->v, a->cap * sizeof *a->v);
        if (!a->v) {
            perror("postsize");
            exit(1);
        }
    }
    a->v[a->n++] = x;
}

/* One term's postings in one record: a block, or a packed term.  key is
 * the term's block key (field, term, 0x00, be32 first), made up for a
 * packed term; the byte counts are what it takes of its record. */
typedef struct {
    uint8_t key[STORE_KEY_MAX];
    size_t klen;
    store_block b;
    int packed, pack_first;
    size_t keyb, hdrb, extrab;  /* key, header, impact bytes */
    double node, leaf;          /* LMDB node bytes, leaf bytes (node + page index + value in the leaf) */
    double ovpages, ovbytes;
    double fixed;               /* key + header + extras + node: what a one-document term costs besides its record */
} unit;

typedef struct {
    MDB_cursor *c;
    int in_pack;
    store_tpack_iter it;
    MDB_val pk, pv;             /* the pack being walked */
    const uint8_t *prev_end;    /* where its previous term's records ended */
    size_t psize, nodemax;
} walker;

/* The LMDB share of a record of klen + vlen bytes. */
static void lmdb_share(const walker *w, size_t klen, size_t vlen, double *node, double *leaf, double *ovp,
                       double *ovb)
{
    int ov = 8 + klen + vlen > w->nodemax;
    size_t nd = (8 + klen + (ov ? 8 : vlen) + 1) & ~(size_t)1;
    *ovp = *ovb = 0;
    if (ov) {
        size_t pages = (16 - 1 + vlen) / w->psize + 1;
        *ovp = (double)pages;
        *ovb = (double)(pages * w->psize - vlen);
    }
    *leaf = (double)(nd + 2);
    *node = (double)(nd + 2 - klen - (ov ? 0 : vlen));
}

/* The pack term w->it as a unit (first: the pack's first term, which
 * also takes the pack's key). */
static int packed_unit(walker *w, unit *u, int first)
{
    store_tpack_iter *it = &w->it;
    u->klen = store_post_key(u->key, it->field, it->term, it->term_len, it->first);
    u->packed = 1;
    u->pack_first = first;
    if (store_block_open_tpack(&u->b, it))
        return -1;
    uint8_t tmp[FZ_VARINT_MAX];
    u->hdrb = fz_varint_put(tmp, it->ndocs) + fz_varint_put(tmp, it->first);
    u->extrab = 0;
    /* the term's bytes run from the end of the previous term's records:
     * v shared, v n, the suffix, the header, the records */
    size_t total = (size_t)(it->recs + it->recs_len - w->prev_end);
    w->prev_end = it->recs + it->recs_len;
    u->keyb = total - u->hdrb - it->recs_len;
    double node, leaf, ovp, ovb;
    lmdb_share(w, w->pk.mv_size, w->pv.mv_size, &node, &leaf, &ovp, &ovb);
    /* the record's LMDB share spread over its terms by their bytes */
    double f = (double)total / (double)w->pv.mv_size;
    u->node = node * f;
    u->ovpages = ovp * f;
    u->ovbytes = ovb * f;
    u->leaf = (leaf - (double)(w->pk.mv_size + w->pv.mv_size)) * f + (double)total;
    if (first) {
        u->keyb += w->pk.mv_size;
        u->leaf += (double)w->pk.mv_size;
    }
    u->fixed = (double)(u->keyb + u->hdrb) + u->node;
    return 1;
}

/* The next unit: 1, 0 at the end, -1 on a malformed record. */
static int next_unit(walker *w, unit *u, int first_call)
{
    MDB_val k, v;
    if (w->in_pack) {
        int rc = store_tpack_next(&w->it);
        if (rc == FZ_OK)
            return packed_unit(w, u, 0);
        if (rc != FZ_ENOTFOUND)
            return -1;
        w->in_pack = 0;
    }
    if (mdb_cursor_get(w->c, &k, &v, first_call ? MDB_FIRST : MDB_NEXT))
        return 0;
    if (store_key_is_tpack(k.mv_data, k.mv_size)) {
        if (store_tpack_open(&w->it, k.mv_data, k.mv_size, v.mv_data, v.mv_size))
            return -1;
        w->in_pack = 1;
        w->pk = k;
        w->pv = v;
        w->prev_end = v.mv_data;
        return packed_unit(w, u, 1);
    }
    if (k.mv_size < 6 || k.mv_size > sizeof u->key)
        return -1;
    memcpy(u->key, k.mv_data, k.mv_size);
    u->klen = k.mv_size;
    u->packed = u->pack_first = 0;
    const uint8_t *kb = (const uint8_t *)k.mv_data + k.mv_size - 4;
    uint32_t first = (uint32_t)kb[0] << 24 | kb[1] << 16 | kb[2] << 8 | kb[3];
    if (store_block_open(&u->b, first, v.mv_data, v.mv_size))
        return -1;
    uint8_t hdr[STORE_BLOCK_HDR_MAX];
    u->keyb = k.mv_size;
    u->hdrb = store_block_header(hdr, u->b.ndocs, u->b.last - u->b.first, u->b.max_tf_title, u->b.max_tf_body,
                                 u->b.min_dl);
    u->extrab = (size_t)(u->b.docs - (const uint8_t *)v.mv_data) - u->hdrb;
    lmdb_share(w, k.mv_size, v.mv_size, &u->node, &u->leaf, &u->ovpages, &u->ovbytes);
    u->fixed = (double)(k.mv_size + u->hdrb + u->extrab) + 10;
    return 1;
}

static void pct(const char *what, uint64_t x, uint64_t total)
{
    printf("  %-34s %12llu  %5.1f%%\n", what, (unsigned long long)x, total ? 100.0 * x / total : 0.0);
}

int main(int argc, char **argv)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi post, entry;
    MDB_cursor *c;
    MDB_val k, v;
    MDB_stat st;
    MDB_envinfo ei;
    unsigned flags = MDB_RDONLY;
    if (argc != 2) {
        fprintf(stderr, "usage: postsize DB\n");
        return 2;
    }
    FILE *probe = fopen(argv[1], "rb");   /* a file: a packed archive */
    if (probe) {
        char b;
        if (fread(&b, 1, 1, probe) == 1)
            flags |= MDB_NOSUBDIR;
        fclose(probe);
    }
    if (mdb_env_create(&env) || mdb_env_set_maxdbs(env, 32) || mdb_env_set_mapsize(env, (size_t)1 << 40) ||
        mdb_env_open(env, argv[1], flags | MDB_NOLOCK, 0) || mdb_txn_begin(env, NULL, MDB_RDONLY, &txn) ||
        mdb_dbi_open(txn, "post", 0, &post) || mdb_dbi_open(txn, "entry", 0, &entry) ||
        mdb_stat(txn, post, &st) || mdb_env_info(env, &ei)) {
        fprintf(stderr, "postsize: %s: cannot read the index\n", argv[1]);
        return 1;
    }
    const size_t psize = st.ms_psize;
    const size_t nodemax = (((psize - 16) / 2) & ~(size_t)1) - 2;   /* LMDB 0.9's me_nodemax */

    /* every entry's join map, by id (kept in the entry blocks) */
    const uint8_t **jmap = NULL;
    size_t *jlen = NULL, nj = 0;
    if (mdb_cursor_open(txn, entry, &c))
        return fail("cannot read the entry database");
    while (!mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 4)
            return fail("a malformed entry key");
        const uint8_t *kb = k.mv_data;
        uint32_t last = (uint32_t)kb[0] << 24 | kb[1] << 16 | kb[2] << 8 | kb[3];
        fz_arena *a = fz_arena_create();
        store_entry_block eb;
        store_entry e;
        if (!a || store_entry_block_open(v.mv_data, v.mv_size, last, a, &eb))
            return fail("a malformed entry block");
        while (store_entry_block_next(&eb, a, &e) == FZ_OK) {
            uint32_t id = e.id;
            if (id >= nj) {
                size_t n = (size_t)id + 1 + 4096;
                jmap = realloc(jmap, n * sizeof *jmap);
                jlen = realloc(jlen, n * sizeof *jlen);
                if (!jmap || !jlen)
                    return fail("out of memory");
                memset(jmap + nj, 0, (n - nj) * sizeof *jmap);
                memset(jlen + nj, 0, (n - nj) * sizeof *jlen);
                nj = n;
            }
            jmap[id] = e.join;
            jlen[id] = e.join_len;
        }
        fz_arena_destroy(a);
    }
    mdb_cursor_close(c);

    cls cl[C_N];
    memset(cl, 0, sizeof cl);
    /* the residual unigram postings of the current term */
    uint64_t res_docs = 0, res_pos = 0, res_bytes = 0, res_terms = 0;
    uint32_t res_last = 0;
    int res_any = 0;
    uint64_t res_term_docs = 0;
    uint8_t prev_term[STORE_KEY_MAX];
    size_t prev_tlen = (size_t)-1;
    uint32_t term_blocks = 0, term_docs = 0;
    double term_fixed = 0;
    int term_cls = 0;
    uint32_t p[4096];
    /* fan-in: per unigram, the bigram terms and blocks that begin with it */
    uint8_t uni[8];
    size_t unilen = 0;
    vec fan_terms = {0}, fan_blocks = {0}, uni_bytes = {0}, uni_res = {0};

    if (mdb_cursor_open(txn, post, &c))
        return fail("cannot read the post database");
    walker w;
    memset(&w, 0, sizeof w);
    w.c = c;
    w.psize = psize;
    w.nodemax = nodemax;
    static unit u;
    int more = next_unit(&w, &u, 1);
    if (more < 0)
        return fail("a malformed posting record");
    for (;;) {
        k.mv_data = u.key;
        k.mv_size = u.klen;
        size_t tlen = more ? k.mv_size - 4 : 0;
        int newterm = !more || tlen != prev_tlen || memcmp(prev_term, k.mv_data, tlen);
        if (newterm && prev_tlen != (size_t)-1) {
            if (term_blocks == 1 && term_docs == 1) {
                cl[term_cls].hapax_terms++;
                cl[term_cls].hapax_fixed += term_fixed;
            }
            if (term_cls == C_UNI && res_any) {
                res_terms++;
                uint64_t r = prev_tlen + 4 + 10 + 6 * ((res_term_docs + 127) / 128);
                res_bytes += r;
                if (uni_res.n)
                    uni_res.v[uni_res.n - 1] += (uint32_t)r;
            }
            res_any = 0;
            res_term_docs = 0;
            res_last = 0;
        }
        if (!more)
            break;
        if (newterm) {
            if (tlen > sizeof prev_term)
                return fail("a malformed posting key");
            memcpy(prev_term, k.mv_data, tlen);
            prev_tlen = tlen;
            term_blocks = term_docs = 0;
            term_fixed = 0;
            term_cls = classify(k.mv_data, k.mv_size);
            cl[term_cls].terms++;
            if (term_cls == C_UNI && tlen - 2 <= sizeof uni) {
                unilen = tlen - 2;
                memcpy(uni, (const uint8_t *)k.mv_data + 1, unilen);
                vpush(&fan_terms, 0);
                vpush(&fan_blocks, 0);
                vpush(&uni_bytes, 0);
                vpush(&uni_res, 0);
            } else if (term_cls == C_BI && unilen && tlen > unilen + 1 &&
                       !memcmp(uni, (const uint8_t *)k.mv_data + 1, unilen)) {
                fan_terms.v[fan_terms.n - 1]++;
            } else if (term_cls != C_BI) {
                unilen = 0;
            }
        }
        if (term_cls == C_BI && unilen && fan_blocks.n && tlen > unilen + 1 &&
            !memcmp(uni, (const uint8_t *)k.mv_data + 1, unilen))
            fan_blocks.v[fan_blocks.n - 1]++;
        cls *x = &cl[term_cls];
        store_block b = u.b;
        x->blocks += !u.packed;
        x->packed += u.packed;
        x->packs += u.pack_first;
        x->docs += b.ndocs;
        x->key += u.keyb;
        x->hdr += u.hdrb;
        x->extra += u.extrab;
        x->ovpages += u.ovpages;
        x->ovbytes += u.ovbytes;
        x->leaf += u.leaf;
        x->node += u.node;
        term_blocks++;
        term_docs += b.ndocs;
        if (term_cls == C_UNI && uni_bytes.n)
            uni_bytes.v[uni_bytes.n - 1] += (uint32_t)(u.leaf + (u.ovpages ? u.ovpages * psize - u.ovbytes : 0));
        term_fixed += u.fixed;

        if (!u.packed) {
            x->sids += (uint64_t)(b.tstream - b.docs);
            x->stfs += (uint64_t)(b.pstream - b.tstream);
            x->spos += (uint64_t)(b.docs_end - b.pstream);
        }
        uint32_t prev = b.first;
        const uint8_t *r = b.docs;
        int firstdoc = 1;
        do {
            uint32_t n = b.nopos ? 0 : b.tf_title + b.tf_body; /* a unigram keeps no positions */
            /* bytes of the record head in the record form (a packed
             * term's as stored: its first record has no id delta) */
            uint64_t delta = firstdoc ? 0 : b.doc - prev;
            uint8_t tfb[STORE_TF_MAX];
            uint64_t idb = firstdoc && u.packed ? 0 : vlen(delta), tfsb = store_tf_put(tfb, b.tf_title, b.tf_body);
            firstdoc = 0;
            if (u.packed) {
                x->ids += idb;
                x->tfs += tfsb;
            } else {
                x->varint += idb + tfsb;
            }
            if (n > sizeof p / sizeof *p) {
                fprintf(stderr, "postsize: a document of more than %zu occurrences\n", sizeof p / sizeof *p);
                return 1;
            }
            if (store_block_positions(&b, p, n) != (int)n) {
                fprintf(stderr, "postsize: a malformed block\n");
                return 1;
            }
            x->positions += n;
            if (b.tf_title == 1 && b.tf_body == 0) {
                x->title1++;
                x->title1_at0 += n && p[0] == 0;
            }
            if (!u.packed) {
                uint32_t last = 0;
                for (uint32_t i = 0; i < n; i++) {
                    x->varint += vlen(p[i] - last);
                    last = p[i];
                }
            }
            if (term_cls == C_UNI) {
                uint32_t rn = 0, rl = 0;
                uint64_t rb = 0;
                const uint8_t *m = b.doc < nj ? jmap[b.doc] : NULL;
                size_t ml = b.doc < nj ? jlen[b.doc] : 0;
                for (uint32_t i = 0; i < n; i++)
                    if (!m || !store_join_bit(m, ml, p[i] + 1)) {
                        rb += vlen(p[i] - rl);
                        rl = p[i];
                        rn++;
                    }
                if (rn) {
                    res_bytes += rb + vlen(res_any ? b.doc - res_last : 0) + 2;
                    if (uni_res.n)
                        uni_res.v[uni_res.n - 1] += (uint32_t)(rb + vlen(res_any ? b.doc - res_last : 0) + 2);
                    res_docs++;
                    res_pos += rn;
                    res_last = b.doc;
                    res_any = 1;
                    res_term_docs++;
                }
            }
            prev = b.doc;
        } while (store_block_next(&b) == 0);
        if (u.packed) /* the records whole: ids and tfs taken out below */
            x->pos += (uint64_t)(b.docs_end - r);
        more = next_unit(&w, &u, 0);
        if (more < 0)
            return fail("a malformed posting record");
    }
    mdb_cursor_close(c);

    /* packed terms' records were counted whole into pos: take ids and tfs out */
    double leaf_sum = 0;
    for (int i = 0; i < C_N; i++) {
        cl[i].pos -= cl[i].ids + cl[i].tfs;
        leaf_sum += cl[i].leaf;
    }
    uint64_t pages = st.ms_branch_pages + st.ms_leaf_pages + st.ms_overflow_pages;
    double slack = (double)(st.ms_leaf_pages * psize) - leaf_sum;   /* page headers and free room */
    printf("post: %llu records, %llu pages of %zu (branch %llu, leaf %llu, overflow %llu) = %llu bytes; "
           "map %llu pages in use\n",
           (unsigned long long)st.ms_entries, (unsigned long long)pages, psize,
           (unsigned long long)st.ms_branch_pages, (unsigned long long)st.ms_leaf_pages,
           (unsigned long long)st.ms_overflow_pages, (unsigned long long)(pages * psize),
           (unsigned long long)(ei.me_last_pgno + 1));
    uint64_t all = pages * psize;
    for (int i = 0; i < C_N; i++) {
        cls *x = &cl[i];
        if (!x->terms)
            continue;
        uint64_t share = leaf_sum ? (uint64_t)(slack * x->leaf / leaf_sum) : 0;
        uint64_t branch = leaf_sum ? (uint64_t)((double)st.ms_branch_pages * psize * x->leaf / leaf_sum) : 0;
        uint64_t node = (uint64_t)(x->node + 0.5), ovbytes = (uint64_t)(x->ovbytes + 0.5);
        uint64_t lmdb = node + ovbytes + share + branch;
        uint64_t tot = x->key + x->hdr + x->extra + x->ids + x->tfs + x->pos + x->sids + x->stfs + x->spos + lmdb;
        printf("\n%s: %llu terms (%llu of them in term packs, %llu packs start with one), %llu blocks, %llu "
               "documents, %llu positions; %llu bytes (%.1f%% of the database)\n",
               cname[i], (unsigned long long)x->terms, (unsigned long long)x->packed, (unsigned long long)x->packs,
               (unsigned long long)x->blocks, (unsigned long long)x->docs, (unsigned long long)x->positions,
               (unsigned long long)tot, 100.0 * tot / all);
        pct("keys", x->key, tot);
        pct("block headers", x->hdr, tot);
        pct("impacts", x->extra, tot);
        pct("blocks: id stream", x->sids, tot);
        pct("blocks: tf streams", x->stfs, tot);
        pct("blocks: position stream", x->spos, tot);
        pct("packed terms: id deltas", x->ids, tot);
        pct("packed terms: tf fields", x->tfs, tot);
        pct("packed terms: positions", x->pos, tot);
        pct("LMDB nodes (8 + 2 per record)", node, tot);
        pct("LMDB overflow tails", ovbytes, tot);
        pct("LMDB leaf room + branch pages", share + branch, tot);
        uint64_t rec = x->sids + x->stfs + x->spos;
        if (x->varint)
            printf("  blocks: streams (ids+tfs+positions) %llu bytes; as varint records %llu (streams %+.1f%%)\n",
                   (unsigned long long)rec, (unsigned long long)x->varint,
                   100.0 * ((double)rec - (double)x->varint) / (double)x->varint);
        printf("  documents with one occurrence, in the title (tf_title 1, tf_body 0): %llu, %llu of them at "
               "position 0\n",
               (unsigned long long)x->title1, (unsigned long long)x->title1_at0);
        printf("  one-document terms: %llu, their keys + headers + extras + nodes %llu bytes\n",
               (unsigned long long)x->hapax_terms, (unsigned long long)(x->hapax_fixed + 0.5));
    }
    printf("\nunigram occurrences that start no bigram: %llu of %llu (%.1f%%) in %llu postings of %llu terms; "
           "those postings as today: about %llu bytes\n",
           (unsigned long long)res_pos, (unsigned long long)cl[C_UNI].positions,
           cl[C_UNI].positions ? 100.0 * res_pos / cl[C_UNI].positions : 0.0, (unsigned long long)res_docs,
           (unsigned long long)res_terms, (unsigned long long)res_bytes);
    if (fan_terms.n) {
        static const uint32_t limit[] = {16, 64, 256, 1024, UINT32_MAX};
        for (size_t l = 0; l < sizeof limit / sizeof *limit; l++) {
            uint64_t saved = 0, chars = 0;
            for (size_t i = 0; i < fan_terms.n; i++)
                if (fan_terms.v[i] <= limit[l] && uni_bytes.v[i] > uni_res.v[i]) {
                    saved += uni_bytes.v[i] - uni_res.v[i];
                    chars++;
                }
            printf("unigram postings dropped (residual kept) for the %llu characters that begin at most %u "
                   "bigram terms: %llu bytes saved (leaf bytes, before leaf room)\n",
                   (unsigned long long)chars, limit[l], (unsigned long long)saved);
        }
        qsort(fan_terms.v, fan_terms.n, sizeof *fan_terms.v, cmp32);
        qsort(fan_blocks.v, fan_blocks.n, sizeof *fan_blocks.v, cmp32);
        size_t n = fan_terms.n;
        printf("bigram terms beginning with a unigram's character, over the %zu unigrams: p50 %u, p90 %u, "
               "p99 %u, max %u; their blocks: p50 %u, p90 %u, p99 %u, max %u\n",
               n, fan_terms.v[n / 2], fan_terms.v[n * 9 / 10], fan_terms.v[n * 99 / 100], fan_terms.v[n - 1],
               fan_blocks.v[n / 2], fan_blocks.v[n * 9 / 10], fan_blocks.v[n * 99 / 100], fan_blocks.v[n - 1]);
    }
    free(fan_terms.v);
    free(uni_bytes.v);
    free(uni_res.v);
    free(fan_blocks.v);
    mdb_txn_abort(txn);
    mdb_env_close(env);
    free(jmap);
    free(jlen);
    return 0;
}
