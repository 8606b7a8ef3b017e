/*
 * test_search.c -- the search module (searcher/search.c) over an index
 * with a delta tier (DELTA TIER in common/store.c): a leaf reads a term's
 * postings in the main tree (its blocks or its pack), then its blocks in
 * the delta, and the answers -- hits, scores, counts, the top k -- are
 * those of a fresh build of the same files.  Removing a file of the delta
 * takes its documents out of the delta; removing one of the main tree
 * leaves them there, dead (DEAD ENTRIES in common/store.c): leaves skip
 * them and document frequencies leave them out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "t.h"
#include "t_build.h"
#include "build.h"
#include "check.h"
#include "search.h"
#include "query.h"
#include "../common/fz.h"
#include "../common/store.h"

#define NF 3

/* File i's text: entries numbered from base, some with 松柏 (frequent:
 * blocks), 龜鶴 (rare: a term pack in the main tree), 麟角 (only in the
 * first file), 鸞鳳 and 麒麟 (only in the last). */
static char *file_text(int i)
{
    fz_buf t = {0};
    for (int e = 0; e < 60; e++) {
        char line[512];
        snprintf(line, sizeof line, "【第%d卷第%d條】\n正文%s%s%s%s%s，其%d之%d。\n\n", i, e,
                 e % 3 == 0 ? "松柏長青，" : "", e % 29 == 1 ? "龜鶴遐齡，" : "",
                 i == 0 && e % 7 == 2 ? "麟角，" : "", i == NF - 1 && e % 2 ? "鸞鳳和鳴，" : "",
                 i == NF - 1 && e == 5 ? "麒麟，" : "", i, e);
        if (fz_buf_append(&t, line, strlen(line)))
            abort();
    }
    if (fz_buf_putc(&t, 0))
        abort();
    return t.p;
}

/* Adds the files from .. to-1 named by the format name (its %d the
 * file's number) with the texts text(i) to the index at db (created when
 * missing), or with rm >= 0 removes file rm. */
static int build_files(const char *db, const char *name, char *(*text)(int), int from, int to, int rm)
{
    char msg[512] = "";
    store *s;
    build *b;
    build_opts o = {0};
    o.threads = 1;
    int rc = t_build_begin(db, &o, &s, &b, msg, sizeof msg);
    if (rc)
        return t_build_end(rc, db, s, b, msg, sizeof msg);
    for (int i = from; i < to && !rc; i++) {
        char path[64];
        snprintf(path, sizeof path, name, i);
        char *t = text(i);
        rc = build_add_file(b, path, t, strlen(t), strlen(t), 1500000000 + i, "UTF-8", NULL, msg, sizeof msg);
        free(t);
    }
    if (!rc && rm >= 0) {
        char path[64];
        snprintf(path, sizeof path, name, rm);
        rc = build_remove_file(b, path, NULL, msg, sizeof msg);
    }
    return t_build_end(rc, db, s, b, msg, sizeof msg);
}

/* build_files of file_text's files. */
static int update(const char *db, int from, int to, int rm)
{
    return build_files(db, "/fz-test/vol-%d.txt", file_text, from, to, rm);
}

/* The delta's records and base of the index at db. */
static void delta_of(const char *db, uint64_t *records, uint32_t *base)
{
    char msg[256];
    store *s = NULL;
    MDB_txn *txn = NULL;
    *records = 0;
    *base = 0;
    if (store_open(db, STORE_READ, &s, msg, sizeof msg) || store_begin(s, 0, &txn, msg, sizeof msg)) {
        CHECK(0);
        store_close(s);
        return;
    }
    *records = store_delta_records(s, txn);
    int rc = store_delta_base(s, txn, base);
    CHECK(rc == FZ_OK || rc == FZ_ENOTFOUND);
    mdb_txn_abort(txn);
    store_close(s);
}

typedef struct {
    fz_buf *out;
    int ids;                  /* with the entries' ids */
} collector;

static int collect(void *ctx, const search_hit *h)
{
    collector *c = ctx;
    char line[64];
    if (c->ids)
        snprintf(line, sizeof line, "%u %.9f %u;", h->e->id, h->score, h->occurrences);
    else
        snprintf(line, sizeof line, "%.9f %u;", h->score, h->occurrences);
    return fz_buf_append(c->out, line, strlen(line));
}

/* The hits (id, score, occurrences) and counts of q on db, with a limit
 * (0: all, exact counts) into out. */
static void answers(const char *db, const char *q, uint32_t limit, int ids, fz_buf *out)
{
    collector col = {out, ids};
    char msg[256] = "";
    search *s = NULL;
    out->len = 0;
    int rc = search_open(db, &s, msg, sizeof msg);
    CHECK_EQ_INT(rc, 0);
    fz_arena *a = fz_arena_create();
    int err = 0;
    query_node *n = a ? query_parse(q, strlen(q), a, &err, NULL, msg, sizeof msg) : NULL;
    CHECK(n != NULL);
    if (!rc && n) {
        search_opts o = {0};
        o.fold = TOK_FOLD_TS;
        o.limit = limit;
        o.count = limit == 0;
        search_counts c = {0};
        rc = search_run(s, n, &o, collect, &col, &c, msg, sizeof msg);
        CHECK_EQ_INT(rc, 0);
        char line[64];
        snprintf(line, sizeof line, "| %llu %llu", (unsigned long long)c.entries, (unsigned long long)c.occurrences);
        fz_buf_append(out, line, strlen(line));
    }
    fz_arena_destroy(a);
    search_close(s);
}

static const char *const Q[] = {"松柏",      "龜鶴",           "麟角",  "鸞鳳",          "麒麟", "正文",
                                "松柏 龜鶴", "\"松柏長青\"", "鸞鳳 OR 麟角", "松柏 -鸞鳳", "其2"};

/* Every query of Q answers the same on both indexes (limit 0 and 3: all
 * hits and counts; the top 3, block-max pruning on). */
static void same_answers(const char *what, const char *db, const char *fresh, int ids)
{
    fz_buf x = {0}, y = {0};
    for (size_t i = 0; i < sizeof Q / sizeof *Q; i++) {
        for (uint32_t limit = 0; limit <= 3; limit += 3) {
            answers(db, Q[i], limit, ids, &x);
            answers(fresh, Q[i], limit, ids, &y);
            int same = x.len == y.len && memcmp(x.p, y.p, x.len) == 0;
            CHECK(same);
            if (!same)
                fprintf(stderr, "%s: %s (limit %u):\n  %.*s\n  %.*s\n", what, Q[i], limit, (int)x.len, x.p,
                        (int)y.len, y.p);
        }
    }
    fz_buf_free(&x);
    fz_buf_free(&y);
}

/* Makes a directory from the template dir (its XXXXXX replaced) and the
 * path of an index in it into db (300 bytes): 0, or -1 (checked). */
static int test_dir(char *dir, char *db)
{
    if (!mkdtemp(dir)) {
        CHECK(0);
        return -1;
    }
    snprintf(db, 300, "%s/db", dir);
    return 0;
}

/* Removes path and what is in it (checked). */
static void remove_tree(const char *path)
{
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    CHECK_EQ_INT(system(cmd), 0);
}

TEST(test_delta_chain)
{
    char dir[] = "/tmp/fz-test-search-XXXXXX", db[300], fresh[300];
    if (test_dir(dir, db))
        return;
    snprintf(fresh, sizeof fresh, "%s/fresh", dir);
    /* the delta kept apart, however large */
    setenv("FZINDEX_DELTA_SHARE", "100000", 1);
    update(db, 0, NF - 1, -1);
    uint64_t recs;
    uint32_t base;
    delta_of(db, &recs, &base);
    CHECK_EQ_INT(recs, 0); /* a fresh build has no delta */
    update(db, NF - 1, NF, -1);
    delta_of(db, &recs, &base);
    CHECK(recs > 0);
    CHECK_EQ_INT(base, 60 * (NF - 1)); /* the ids of the files before */
    update(fresh, 0, NF, -1);
    delta_of(fresh, &recs, &base);
    CHECK_EQ_INT(recs, 0);
    /* 松柏 in main blocks and the delta, 龜鶴 in a main pack and the
     * delta, 麟角 only in the main tree, 鸞鳳 and 麒麟 only in the delta */
    same_answers("added", db, fresh, 1);
    fz_buf x = {0};
    answers(db, "鸞鳳", 0, 1, &x);
    CHECK(fz_buf_putc(&x, 0) == 0 && strstr(x.p, "| 30 30") != NULL); /* 30 entries, 30 occurrences */
    fz_buf_free(&x);
    /* the delta's file removed: its documents leave the delta */
    update(db, 0, 0, NF - 1);
    delta_of(db, &recs, &base);
    CHECK_EQ_INT(recs, 0);
    remove_tree(fresh);
    update(fresh, 0, NF - 1, -1);
    same_answers("removed", db, fresh, 1);
    /* the delta's file again, then a file of the main tree removed: its
     * documents stay in "post", dead; the answers are a fresh build's of
     * the others (their ids aside: the update's follow the removed ones) */
    update(db, NF - 1, NF, -1);
    update(db, 0, 0, 0);
    remove_tree(fresh);
    update(fresh, 1, NF, -1);
    same_answers("removed from the main tree", db, fresh, 0);
    /* the merge in steps (MERGING in store.c), here of 512 bytes each, a
     * writer opened and closed for each (as runs stopped between steps):
     * after every step the index is sound and answers as before; the last
     * step leaves no delta and no dead entries */
    int done = 0, steps = 0;
    uint64_t recs0;
    delta_of(db, &recs0, &base);
    CHECK(recs0 > 0);
    while (!done && steps < 1000) {
        char msg[256] = "";
        store *s = NULL;
        MDB_txn *txn = NULL;
        check_report rep = {0};
        int rc = store_open_write(db, 0, 0644, &s, msg, sizeof msg);
        if (!rc && !(rc = store_begin(s, 1, &txn, msg, sizeof msg))) {
            rc = store_delta_merge(s, txn, 512, &done, msg, sizeof msg);
            if (rc)
                mdb_txn_abort(txn);
            else
                rc = store_commit(s, txn, "merging", msg, sizeof msg);
        }
        store_close(s);
        CHECK_EQ_INT(rc, 0);
        if (rc) {
            fprintf(stderr, "merge step %d: %s\n", steps, msg);
            break;
        }
        steps++;
        s = NULL;
        rc = store_open(db, STORE_READ, &s, msg, sizeof msg);
        CHECK_EQ_INT(rc ? rc : check_index(s, stderr, 5, &rep, msg, sizeof msg), 0);
        store_close(s);
        delta_of(db, &recs, &base);
        CHECK(done ? recs == 0 : recs > 0);
        same_answers("merging in steps", db, fresh, 0);
    }
    CHECK(done && steps >= 3);
    {
        char msg[256] = "";
        store *s = NULL;
        MDB_txn *txn = NULL;
        store_range *dead = NULL;
        size_t ndead = 9;
        CHECK_EQ_INT(store_open(db, STORE_READ, &s, msg, sizeof msg), 0);
        CHECK_EQ_INT(s ? store_begin(s, 0, &txn, msg, sizeof msg) : -1, 0);
        if (txn) {
            CHECK_EQ_INT(store_dead_get(s, txn, &dead, &ndead), 0);
            CHECK_EQ_INT(ndead, 0); /* the removed file's postings are gone */
            CHECK_EQ_INT(store_delta_base(s, txn, &base), FZ_ENOTFOUND);
            mdb_txn_abort(txn);
        }
        free(dead);
        store_close(s);
    }
    same_answers("merged in steps", db, fresh, 0);
    remove_tree(dir);
    unsetenv("FZINDEX_DELTA_SHARE");
}

/* ---- the meeting walk: ANDs of terms and phrases over many blocks ---- */

#define MW_FILES 4
#define MW_ENTRIES 400

/* Entry g (file g / MW_ENTRIES) holds 甲乙 when g % 2 == 0, 丙丁 when
 * g % 3 == 0 (the phrase 甲乙丙丁 when both and g % 12 == 0), 戊己 when
 * g % 50 == 0 and 庚辛 (a term pack: two documents) when g is 10 or
 * 1210. */
static int mw_has(uint32_t g, int what)
{
    switch (what) {
    case 0: return g % 2 == 0;
    case 1: return g % 3 == 0;
    case 2: return g % 12 == 0;
    case 3: return g % 50 == 0;
    default: return g == 10 || g == 1210;
    }
}

static char *mw_text(int f)
{
    fz_buf t = {0};
    for (uint32_t e = 0; e < MW_ENTRIES; e++) {
        uint32_t g = (uint32_t)f * MW_ENTRIES + e;
        char line[512];
        snprintf(line, sizeof line, "【條%u】\n正文%s%s%s%s%s之%u。\n\n", g, mw_has(g, 2) ? "甲乙丙丁，" : "",
                 mw_has(g, 0) && !mw_has(g, 2) ? "甲乙，" : "", mw_has(g, 1) && !mw_has(g, 2) ? "丙丁，" : "",
                 mw_has(g, 3) ? "戊己，" : "", mw_has(g, 4) ? "庚辛，" : "", g);
        if (fz_buf_append(&t, line, strlen(line)))
            abort();
    }
    if (fz_buf_putc(&t, 0))
        abort();
    return t.p;
}

/* The entries of the files of mask that hold every item of want (mw_has
 * numbers, ended by -1). */
static unsigned long long mw_count(unsigned mask, const int *want)
{
    unsigned long long n = 0;
    for (uint32_t g = 0; g < MW_FILES * MW_ENTRIES; g++) {
        int ok = mask >> (g / MW_ENTRIES) & 1;
        for (const int *w = want; ok && *w >= 0; w++)
            ok = mw_has(g, *w);
        n += ok;
    }
    return n;
}

/* Each query's count of entries is the entries that hold its terms (its
 * phrase), the hits listed are as many, and the top 3 are the first 3 of
 * all the hits ranked (block-max pruning on). */
static void mw_check(const char *what, const char *db, unsigned mask)
{
    static const struct {
        const char *q;
        int want[4];
    } C[] = {{"甲乙 丙丁", {0, 1, -1}},      {"丙丁 甲乙", {0, 1, -1}},  {"\"甲乙丙丁\"", {2, -1}},
             {"甲乙 丙丁 戊己", {0, 1, 3, -1}}, {"甲乙 庚辛", {0, 4, -1}}, {"庚辛 丙丁", {1, 4, -1}},
             {"戊己 甲乙", {0, 3, -1}}};
    fz_buf all = {0}, top = {0};
    for (size_t i = 0; i < sizeof C / sizeof *C; i++) {
        answers(db, C[i].q, 0, 1, &all);
        answers(db, C[i].q, 3, 1, &top);
        unsigned long long want = mw_count(mask, C[i].want), entries = ~0ULL, hits = 0;
        CHECK(fz_buf_putc(&all, 0) == 0 && fz_buf_putc(&top, 0) == 0);
        const char *bar = strchr(all.p, '|');
        if (bar)
            entries = strtoull(bar + 1, NULL, 10);
        for (const char *p = all.p; p < bar; p++)
            hits += *p == ';';
        /* the top 3 are the first three hits of all (ranked the same) */
        const char *t3 = all.p;
        for (int k = 0; k < 3 && t3 && *t3 != '|'; k++)
            t3 = strchr(t3, ';') ? strchr(t3, ';') + 1 : NULL;
        const char *tbar = strchr(top.p, '|');
        int same_top = t3 && tbar && (size_t)(tbar - top.p) == (size_t)(t3 - all.p) &&
                       memcmp(top.p, all.p, (size_t)(tbar - top.p)) == 0;
        CHECK(entries == want && hits == want && same_top);
        if (entries != want || hits != want || !same_top)
            fprintf(stderr, "%s: %s: %llu entries, %llu hits, want %llu; top 3 %s\n  all %s\n", what, C[i].q,
                    entries, hits, want, top.p, all.p);
    }
    fz_buf_free(&all);
    fz_buf_free(&top);
}

/* An AND of terms and a phrase whose terms have several blocks each (800
 * and 534 documents), a term pack among them: every entry found,
 * whichever term leads; then with the entries of a removed file (in the
 * middle of the ids, dead in "post") passed over. */
TEST(test_meet_walk)
{
    char dir[] = "/tmp/fz-test-meet-XXXXXX", db[300];
    if (test_dir(dir, db))
        return;
    unsigned mask = (1u << MW_FILES) - 1;
    build_files(db, "/fz-test/mw-%d.txt", mw_text, 0, MW_FILES, -1);
    mw_check("built", db, mask);
    build_files(db, "/fz-test/mw-%d.txt", mw_text, 0, 0, 1); /* file 1's entries dead in the main tree */
    mw_check("file 1 removed", db, mask & ~2u);
    remove_tree(dir);
}

/* Indexes text as the one file of test_lengths_after_update (replacing
 * the version before). */
static void dlen_file(const char *db, const char *text, char *msg, size_t msglen)
{
    store *s;
    build *b;
    build_opts o = {0};
    o.threads = 1;
    int rc = t_build_begin(db, &o, &s, &b, msg, msglen);
    if (!rc)
        rc = build_add_file(b, "/fz-test/dlen.txt", text, strlen(text), strlen(text), 1500000000, "UTF-8", NULL,
                            msg, msglen);
    t_build_end(rc, db, s, b, msg, msglen);
}

/* Entry lengths a search handle keeps from one query to the next are
 * those of the index the next query reads: after an update that swaps
 * two entries' lengths (the same number of entries, the same total
 * length), the handle opened before answers as one opened after. */
TEST(test_lengths_after_update)
{
    char dir[] = "/tmp/fz-test-dlen-XXXXXX", db[300], msg[512] = "";
    if (test_dir(dir, db))
        return;
    static const char *const text[2] = {"【甲】\n松柏長青，天地久長，日月同光。\n\n【乙】\n松柏。\n\n",
                                        "【甲】\n松柏。\n\n【乙】\n松柏長青，天地久長，日月同光。\n\n"};
    dlen_file(db, text[0], msg, sizeof msg);
    /* a handle that has read the lengths of the first version */
    search *early = NULL;
    CHECK_EQ_INT(search_open(db, &early, msg, sizeof msg), 0);
    fz_arena *a = fz_arena_create();
    int err = 0;
    query_node *n = a ? query_parse("松柏", strlen("松柏"), a, &err, NULL, msg, sizeof msg) : NULL;
    CHECK(n != NULL);
    fz_buf before = {0}, after = {0}, fresh = {0};
    search_opts o = {0};
    o.fold = TOK_FOLD_TS;
    o.limit = 10;
    collector cb = {&before, 1}, ca = {&after, 1}, cf = {&fresh, 1};
    if (early && n)
        CHECK_EQ_INT(search_run(early, n, &o, collect, &cb, NULL, msg, sizeof msg), 0);
    /* the file changed: its two entries' texts swapped */
    dlen_file(db, text[1], msg, sizeof msg);
    search *late = NULL;
    CHECK_EQ_INT(search_open(db, &late, msg, sizeof msg), 0);
    if (early && late && n) {
        CHECK_EQ_INT(search_run(early, n, &o, collect, &ca, NULL, msg, sizeof msg), 0);
        CHECK_EQ_INT(search_run(late, n, &o, collect, &cf, NULL, msg, sizeof msg), 0);
        CHECK(after.len > 0 && after.len == fresh.len && memcmp(after.p, fresh.p, after.len) == 0);
        CHECK(before.len > 0 && (before.len != after.len || memcmp(before.p, after.p, after.len) != 0));
        if (after.len != fresh.len || memcmp(after.p, fresh.p, after.len))
            fprintf(stderr, "lengths after an update: before %.*s\n  kept handle %.*s\n  new handle %.*s\n",
                    (int)before.len, before.p, (int)after.len, after.p, (int)fresh.len, fresh.p);
    }
    search_close(early);
    search_close(late);
    fz_arena_destroy(a);
    fz_buf_free(&before);
    fz_buf_free(&after);
    fz_buf_free(&fresh);
    remove_tree(dir);
}

int main(void)
{
    t_run(test_delta_chain);
    t_run(test_meet_walk);
    t_run(test_lengths_after_update);
    return t_done("search");
}
