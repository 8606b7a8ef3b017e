/*
 * fuzz_store -- libFuzzer target for the index's value codecs
 * (common/store.h): what a damaged or hostile index file hands the
 * searcher and fzindex --check.
 *
 * The first byte picks the codec; the rest is the value.
 *   even, bits 1 and 2 clear: an entry record.  store_entry_decode either fails
 *         or gives strings that encode and decode again to the same entry
 *         (the text code is lossless).
 *   even, bits 1 and 2 set: a term pack (TERM PACKS in store.c) keyed
 *         'b' (records with positions) or, when its first byte / 24 is
 *         odd, 'u' (CJK unigrams: records without positions), the next
 *         (its first byte mod 24) bytes, 0x00; the rest is its value.  store_tpack_open/next either fail or give terms in
 *         strictly ascending order, each of 1..STORE_TPACK_DOCS documents
 *         whose block (store_block_open_tpack) fails or walks through
 *         ascending ids from first to last; the terms added again to a
 *         store_tpack_builder give a value that decodes to the same terms
 *         and records.
 *   even, bit 1 set, bit 2 clear: an entry block (raw, one zstd frame, or
 *         groups of frames with a dictionary: a fixed one of raw content)
 *         whose last id is the
 *         next four bytes.  store_entry_block_open either fails or the
 *         block walks with store_entry_block_next through n consecutive
 *         ids ending at last, each record decoding or failing alone, each
 *         with its join map (none, or one of at least one byte).
 *   even, bit 1 clear, bit 2 set: a record of the delta tier and the
 *         dead entries (DELTA TIER, DEAD ENTRIES in store.c), by
 *         (first byte >> 3) mod 3: 0, meta "delta" (store_delta_base_decode
 *         fails or gives a base below UINT32_MAX); 1, meta "dead"
 *         (store_dead_decode fails or gives ranges of at least one id,
 *         ascending, disjoint, within 32 bits, that store_dead_encode
 *         writes back to a record that decodes to the same ranges, and
 *         store_dead_end, the searcher's and --check's lookup, agrees with
 *         a walk over them for ids taken from the input and the ranges'
 *         edges); 2, a "dfix" value (store_dfix_decode fails or reads
 *         the whole value).  Seeds delta-base, dead-*, dfix-* from an
 *         updated index (tests/cli/test_update.sh's kind).
 *   odd:  a posting block whose first id is the next four bytes (of
 *         "post" or of the delta tier's "dpost", whose blocks are laid
 *         out alike: seeds delta-block-*).
 *         store_block_open either fails or (its header read alike by
 *         store_block_head) the block walks with
 *         store_block_next through ascending ids within [first, last],
 *         each with its positions decoded or found damaged (a block
 *         without positions, nopos, refuses them), ndocs of them; store_block_verify walks its position stream whole; a
 *         block that opens lands store_block_seek where walking does,
 *         for targets taken from the input.
 * Either way nothing reads outside the value (ASan) and nothing crashes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fz.h"
#include "store.h"

static int same_str(const char *a, size_t al, const char *b, size_t bl)
{
    return al == bl && (al == 0 || memcmp(a, b, al) == 0);
}

static void entry(const uint8_t *d, size_t n)
{
    fz_arena *a = fz_arena_create();
    if (!a)
        return;
    store_entry e, f;
    if (store_entry_decode(d, n, a, &e) == FZ_OK) {
        fz_buf b = {0};
        if (store_entry_encode(&e, &b) || store_entry_decode(b.p, b.len, a, &f))
            abort();
        if (f.file_id != e.file_id || f.line != e.line || f.kind != e.kind || f.npos != e.npos ||
            f.title_npos != e.title_npos || !same_str(f.title, f.title_len, e.title, e.title_len) ||
            !same_str(f.body, f.body_len, e.body, e.body_len) || f.nsection != e.nsection ||
            f.nauthors != e.nauthors)
            abort();
        for (size_t i = 0; i < e.nsection; i++)
            if (!same_str(f.section[i], f.section_len[i], e.section[i], e.section_len[i]))
                abort();
        for (size_t i = 0; i < e.nauthors; i++)
            if (!same_str(f.authors[i], f.author_len[i], e.authors[i], e.author_len[i]))
                abort();
        fz_buf_free(&b);
    }
    fz_arena_destroy(a);
}

/* The first document >= target by walking a fresh cursor with next:
 * FZ_OK with *doc, FZ_ENOTFOUND, or FZ_ECORRUPT. */
static int walk_to(uint32_t first, const uint8_t *v, size_t n, uint32_t target, uint32_t *doc)
{
    store_block b;
    if (store_block_open(&b, first, v, n))
        return FZ_ECORRUPT;
    for (;;) {
        if (b.doc >= target) {
            *doc = b.doc;
            return FZ_OK;
        }
        int rc = store_block_next(&b);
        if (rc)
            return rc;
    }
}

static void block(const uint8_t *d, size_t n)
{
    if (n < 4)
        return;
    uint32_t first;
    memcpy(&first, d, 4);
    d += 4;
    n -= 4;
    static store_block b, fresh, s, h; /* large: not on the stack */
    int hrc = store_block_head(&h, first, d, n);
    if (store_block_open(&b, first, d, n))
        return;
    /* what opens has a header that reads alone, the same */
    if (hrc || h.ndocs != b.ndocs || h.last != b.last || h.q != b.q || h.a0 != b.a0 || h.min_dl != b.min_dl)
        abort();
    (void)store_block_verify(&b);
    uint32_t pos[64], count = 1, prev = b.doc;
    if (b.doc != first || b.last < b.first)
        abort();
    for (;;) {
        if (b.doc < b.first || b.doc > b.last)
            abort();
        int np = store_block_positions(&b, pos, 64);
        if (np > 64 || (b.nopos && np > 0))
            abort();
        int rc = store_block_next(&b);
        if (rc == FZ_ENOTFOUND)
            break;
        if (rc == FZ_ECORRUPT)
            return;
        if (rc || b.doc <= prev)
            abort();
        prev = b.doc;
        count++;
    }
    if (count != b.ndocs)
        abort(); /* ids and frequencies are decoded at open: a walk cannot fall short */
    if (store_block_open(&fresh, first, d, n))
        abort();
    /* seek agrees with walking */
    for (size_t i = 0; i + 4 <= n && i < 64; i += 4) {
        uint32_t t;
        memcpy(&t, d + i, 4);
        t = first + t % (b.last - first + 2);
        if (store_block_open(&s, first, d, n))
            abort();
        uint32_t want = 0;
        int w = walk_to(first, d, n, t, &want);
        int rc = store_block_seek(&s, t);
        if (rc != w || (rc == FZ_OK && s.doc != want))
            abort();
    }
    (void)store_block_impact_bound(&b, 100.0);
}

static void entry_block(const uint8_t *d, size_t n)
{
    if (n < 4)
        return;
    uint32_t last;
    memcpy(&last, d, 4);
    fz_arena *a = fz_arena_create();
    if (!a)
        return;
    store_entry_block b;
    /* groups of frames decompress with a dictionary of raw content (any
     * bytes without zstd's dictionary magic are one) */
    static const char words[] = "\x03\x01\x02\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f";
    store_tdict *td = NULL;
    if (store_tdict_create(words, sizeof words - 1, &td)) {
        fz_arena_destroy(a);
        return;
    }
    if (store_entry_block_open(td, d + 4, n - 4, last, a, &b) == FZ_OK) {
        if (b.n < 1 || b.n > STORE_ENTRY_BLOCK || b.first + (b.n - 1) != last)
            abort();
        uint32_t count = 0;
        store_entry e;
        int rc;
        while ((rc = store_entry_block_next(&b, a, &e)) != FZ_ENOTFOUND) {
            if (rc != FZ_OK && rc != FZ_ECORRUPT)
                abort();
            if (rc == FZ_OK && (e.id != b.first + count || (e.join == NULL) != (e.join_len == 0)))
                abort();
            count++;
        }
        if (count != b.n)
            abort();
    }
    store_tdict_destroy(td);
    fz_arena_destroy(a);
}

/* Walks one pack value; with pb, adds its terms to pb.  Returns the number
 * of terms decoded before the end (or the first failure, *bad then set). */
static uint32_t pack_walk(const uint8_t *key, size_t klen, const uint8_t *v, size_t n, store_tpack_builder *pb,
                          fz_buf *terms, int *bad)
{
    store_tpack_iter it;
    uint32_t count = 0;
    char prev[STORE_KEY_MAX];
    size_t prev_len = 0;
    *bad = 1;
    if (store_tpack_open(&it, key, klen, v, n))
        return 0;
    int rc;
    do {
        if (it.term_len == 0 || it.term_len > STORE_KEY_MAX - 6 || memchr(it.term, 0, it.term_len) ||
            it.ndocs < 1 || it.ndocs > STORE_TPACK_DOCS)
            abort();
        if (count) {
            int c = memcmp(prev, it.term, prev_len < it.term_len ? prev_len : it.term_len);
            if (c > 0 || (c == 0 && prev_len >= it.term_len))
                abort(); /* not ascending */
        }
        memcpy(prev, it.term, it.term_len);
        prev_len = it.term_len;
        store_block b;
        if (store_block_open_tpack(&b, &it) == FZ_OK) {
            uint32_t seen = 1, last = b.doc;
            if (b.doc != it.first)
                abort();
            int r;
            while ((r = store_block_next(&b)) == FZ_OK) {
                if (b.doc <= last || b.doc > b.last)
                    abort();
                last = b.doc;
                seen++;
            }
            if (r != FZ_ENOTFOUND || seen != it.ndocs || last != b.last)
                abort();
        }
        /* what the terms are, to compare with the rebuilt pack's */
        uint8_t h[3 * FZ_VARINT_MAX];
        size_t hl = fz_varint_put(h, it.term_len);
        hl += fz_varint_put(h + hl, it.ndocs);
        hl += fz_varint_put(h + hl, it.first);
        if (fz_buf_append(terms, h, hl) || fz_buf_append(terms, it.term, it.term_len) ||
            fz_buf_varint(terms, it.recs_len) || fz_buf_append(terms, it.recs, it.recs_len))
            abort();
        if (pb) {
            /* a block's records have the first id delta, 0 */
            fz_buf r = {0};
            if (fz_buf_putc(&r, 0) || fz_buf_append(&r, it.recs, it.recs_len) ||
                store_tpack_add(pb, it.field, it.term, it.term_len, it.ndocs, it.first, (const uint8_t *)r.p, r.len))
                abort();
            fz_buf_free(&r);
        }
        count++;
    } while ((rc = store_tpack_next(&it)) == FZ_OK);
    *bad = rc != FZ_ENOTFOUND;
    return count;
}

static void tpack(const uint8_t *d, size_t n)
{
    if (n < 1)
        return;
    size_t tl = d[0] % 24;
    if (n < 1 + tl)
        return;
    uint8_t key[STORE_KEY_MAX];
    key[0] = (d[0] / 24) & 1 ? STORE_F_UNI : STORE_F_TEXT;
    memcpy(key + 1, d + 1, tl);
    key[1 + tl] = 0;
    size_t klen = tl + 2;
    d += 1 + tl;
    n -= 1 + tl;
    store_tpack_builder pb = {0};
    fz_buf t1 = {0}, t2 = {0};
    int bad, bad2;
    uint32_t count = pack_walk(key, klen, d, n, &pb, &t1, &bad);
    if (!bad && count) {
        /* a sound pack: built again from its terms, the same terms */
        if (pb.klen != klen || memcmp(pb.key, key, klen) || pb.val.len > n)
            abort();
        if (pack_walk(pb.key, pb.klen, (const uint8_t *)pb.val.p, pb.val.len, NULL, &t2, &bad2) != count || bad2 ||
            t1.len != t2.len || memcmp(t1.p, t2.p, t1.len))
            abort();
    }
    store_tpack_free(&pb);
    fz_buf_free(&t1);
    fz_buf_free(&t2);
}

/* The end of the range holding id by walking r: 0 when none does. */
static uint32_t dead_walk(const store_range *r, size_t n, uint32_t id)
{
    for (size_t i = 0; i < n; i++)
        if (id >= r[i].first && id - r[i].first < r[i].n)
            return r[i].first + r[i].n;
    return 0;
}

static void dead(const uint8_t *d, size_t n)
{
    store_range *r;
    size_t cnt;
    int rc = store_dead_decode(d, n, &r, &cnt);
    if (rc == FZ_ENOMEM)
        return;
    if (rc) {
        if (rc != FZ_ECORRUPT || r || cnt)
            abort();
        return;
    }
    uint64_t prev = 0;
    for (size_t i = 0; i < cnt; i++) {
        if (!r[i].n || r[i].first < prev || (uint64_t)r[i].first + r[i].n > UINT32_MAX)
            abort();
        prev = (uint64_t)r[i].first + r[i].n;
    }
    /* written back, the same ranges */
    fz_buf b = {0};
    store_range *r2;
    size_t cnt2;
    if (store_dead_encode(r, cnt, &b) || store_dead_decode((const uint8_t *)b.p, b.len, &r2, &cnt2) ||
        cnt2 != cnt || (cnt && memcmp(r, r2, cnt * sizeof *r)))
        abort();
    free(r2);
    fz_buf_free(&b);
    /* the lookup agrees with a walk: at each range's edges, and at ids from the input */
    for (size_t i = 0; i < cnt && i < 64; i++) {
        uint32_t probe[4] = {r[i].first, r[i].first + r[i].n - 1, r[i].first + r[i].n, r[i].first - 1};
        for (int j = 0; j < 4; j++)
            if (store_dead_end(r, cnt, probe[j]) != dead_walk(r, cnt, probe[j]))
                abort();
    }
    for (size_t i = 0; i + 4 <= n && i < 64; i += 4) {
        uint32_t id;
        memcpy(&id, d + i, 4);
        if (store_dead_end(r, cnt, id) != dead_walk(r, cnt, id))
            abort();
    }
    free(r);
}

static void delta_meta(int which, const uint8_t *d, size_t n)
{
    if (which == 0) {
        uint32_t base = 0;
        if (store_delta_base_decode(d, n, &base) == FZ_OK && base == UINT32_MAX)
            abort();
    } else if (which == 1) {
        dead(d, n);
    } else {
        uint64_t x;
        uint8_t b[FZ_VARINT_MAX];
        if (store_dfix_decode(d, n, &x) == FZ_OK && fz_varint_put(b, x) > n)
            abort(); /* more bytes than were read */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (data[0] & 1)
        block(data + 1, size - 1);
    else if ((data[0] & 6) == 6)
        tpack(data + 1, size - 1);
    else if (data[0] & 2)
        entry_block(data + 1, size - 1);
    else if (data[0] & 4)
        delta_meta((data[0] >> 3) % 3, data + 1, size - 1);
    else
        entry(data + 1, size - 1);
    return 0;
}
