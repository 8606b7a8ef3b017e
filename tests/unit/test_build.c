/*
 * test_build.c -- the build module (indexer/build.c): however its work is
 * shared out, a build writes the same index.
 *
 * A build gathered in one batch by worker threads has the workers join
 * and seal its posting blocks while the main thread writes the entries
 * (prepared postings); a build without worker threads, or one written in
 * several batches, joins them on the main thread.  The first two must
 * write exactly the same keys and values in every database (the file
 * records' indexing time aside); the third the same entries and the same
 * answers (its blocks are cut where the batches ended).  Builds in the
 * same batches write the same index too, whether the main thread merges
 * one run per batch (no worker threads) or every worker joins and seals
 * the blocks of its own runs.
 */
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "t.h"
#include "t_build.h"
#include "build.h"
#include "../common/fold.h"
#include "../common/fz.h"
#include "../common/store.h"

#define NFILES 24

/* The sample chapter (its path relative to tests/unit/, where this file
 * is: make and tests/run.sh run the tests from the repository root). */
static char *read_sample(size_t *len)
{
    const char *f = __FILE__;
    const char *slash = strrchr(f, '/');
    char path[4096];
    snprintf(path, sizeof path, "%.*s../../corpus/xiacheng-2017-annual-focus.txt",
             slash ? (int)(slash - f + 1) : 0, f);
    return t_slurp(path, len);
}

/* File i's text: the sample chapter (so that its common terms have
 * documents in many blocks), then entries of words only this file has (a
 * term pack's small terms), long ones (past the dictionary's inline
 * bytes) among them. */
static char *file_text(const char *sample, size_t slen, int i, size_t *len)
{
    fz_buf t = {0};
    if (fz_buf_append(&t, sample, slen))
        abort();
    for (int e = 0; e < 6; e++) {
        char line[512];
        snprintf(line, sizeof line,
                 "\n【第%d卷条目%d】 file%02dentry%d words%dof%d averyveryverylongidentifier%02d%d 下城区%d年\n", i, e,
                 i, e, e, i, i, e, 2000 + i * 6 + e);
        if (fz_buf_append(&t, line, strlen(line)))
            abort();
    }
    *len = t.len;
    return t.p;
}

/* Builds nfiles files into a new index at db with the options o, file
 * i's text made by gen(ctx, i, &len) (malloc'd); *committing (when not
 * NULL) is set once the files are added, before the commit. */
static int build_gen_with(const char *db, const build_opts *o, int nfiles,
                          char *(*gen)(const void *ctx, int i, size_t *len), const void *ctx, int *committing)
{
    char msg[512] = "";
    store *s;
    build *b;
    int rc = t_build_begin(db, o, &s, &b, msg, sizeof msg);
    if (rc)
        return t_build_end(rc, db, s, b, msg, sizeof msg);
    for (int i = 0; i < nfiles && !rc; i++) {
        char path[64];
        snprintf(path, sizeof path, "/fz-test/vol-%02d.txt", i);
        size_t len;
        char *text = gen(ctx, i, &len);
        rc = build_add_file(b, path, text, len, len, 1500000000 + i, "UTF-8", NULL, msg, sizeof msg);
        free(text);
    }
    if (committing)
        *committing = 1;
    return t_build_end(rc, db, s, b, msg, sizeof msg);
}

/* build_gen_with threads workers (1: none), a budget of mem bytes (0: the
 * default) and huge_pages as build_opts has it. */
static int build_gen_paged(const char *db, int threads, size_t mem, int huge_pages, int nfiles,
                           char *(*gen)(const void *ctx, int i, size_t *len), const void *ctx)
{
    build_opts o = {0};
    o.threads = threads;
    o.mem_limit = mem;
    o.huge_pages = huge_pages;
    return build_gen_with(db, &o, nfiles, gen, ctx, NULL);
}

static int build_gen(const char *db, int threads, size_t mem, int nfiles,
                     char *(*gen)(const void *ctx, int i, size_t *len), const void *ctx)
{
    return build_gen_paged(db, threads, mem, 0, nfiles, gen, ctx);
}

typedef struct {
    const char *sample;
    size_t slen;
} sample_ctx;

static char *sample_gen(const void *ctx, int i, size_t *len)
{
    const sample_ctx *c = ctx;
    return file_text(c->sample, c->slen, i, len);
}

/* build_gen with file_text's files. */
static int build_files(const char *db, int threads, size_t mem, const char *sample, size_t slen, int nfiles)
{
    sample_ctx c = {sample, slen};
    return build_gen(db, threads, mem, nfiles, sample_gen, &c);
}

static int build_index(const char *db, int threads, size_t mem, const char *sample, size_t slen)
{
    return build_files(db, threads, mem, sample, slen, NFILES);
}

/* Makes the temporary directory dir (a mkdtemp template) and names n
 * indexes in it, db[i] = dir/i. */
static void temp_dbs(char *dir, char (*db)[300], int n)
{
    CHECK(mkdtemp(dir) != NULL);
    for (int i = 0; i < n; i++)
        snprintf(db[i], sizeof db[i], "%s/%d", dir, i);
}

/* The sample chapter (read_sample; NULL when it does not read), and the
 * temporary directory dir (a mkdtemp template) made, with the names of n
 * indexes in it. */
static char *sample_and_dirs(size_t *slen, char *dir, char (*db)[300], int n)
{
    char *sample = read_sample(slen);
    CHECK(sample != NULL);
    if (!sample)
        return NULL;
    temp_dbs(dir, db, n);
    return sample;
}

/* Compares every named database of two indexes key by key and value by
 * value (the file records' values: keys only, they hold the time of
 * indexing).  Returns the number of records compared, -1 on a
 * difference (printed). */
static long compare_dbs(const char *da, const char *dbb, const char *const *names, int nnames)
{
    MDB_env *env[2];
    MDB_txn *txn[2];
    const char *dir[2] = {da, dbb};
    for (int e = 0; e < 2; e++) {
        if (mdb_env_create(&env[e]) || mdb_env_set_maxdbs(env[e], 32) ||
            mdb_env_set_mapsize(env[e], (size_t)1 << 32) || mdb_env_open(env[e], dir[e], MDB_RDONLY, 0) ||
            mdb_txn_begin(env[e], NULL, MDB_RDONLY, &txn[e]))
            return -1;
    }
    long n = 0;
    for (int d = 0; d < nnames && n >= 0; d++) {
        MDB_dbi dbi[2];
        MDB_cursor *c[2];
        for (int e = 0; e < 2; e++)
            if (mdb_dbi_open(txn[e], names[d], 0, &dbi[e]) || mdb_cursor_open(txn[e], dbi[e], &c[e]))
                return -1;
        MDB_val k[2], v[2];
        for (int r = 0;; r++) {
            int g0 = mdb_cursor_get(c[0], &k[0], &v[0], r ? MDB_NEXT : MDB_FIRST);
            int g1 = mdb_cursor_get(c[1], &k[1], &v[1], r ? MDB_NEXT : MDB_FIRST);
            if (g0 || g1) {
                if (g0 != g1) {
                    fprintf(stderr, "%s: one index has more records\n", names[d]);
                    n = -1;
                }
                break;
            }
            int values = strcmp(names[d], "file") != 0;
            if (k[0].mv_size != k[1].mv_size || memcmp(k[0].mv_data, k[1].mv_data, k[0].mv_size) ||
                (values && (v[0].mv_size != v[1].mv_size || memcmp(v[0].mv_data, v[1].mv_data, v[0].mv_size)))) {
                fprintf(stderr, "%s: record %d differs (key of %zu and %zu bytes)\n", names[d], r, k[0].mv_size,
                        k[1].mv_size);
                n = -1;
                break;
            }
            n++;
        }
        mdb_cursor_close(c[0]);
        mdb_cursor_close(c[1]);
    }
    for (int e = 0; e < 2; e++) {
        mdb_txn_abort(txn[e]);
        mdb_env_close(env[e]);
    }
    return n;
}

/* Postings records of a term pack or block of field field and term t in
 * db, by a scan (the number of 'post' keys that start with it). */
static int post_keys_field(const char *db, int field, const char *t)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    MDB_cursor *c;
    if (mdb_env_create(&env) || mdb_env_set_maxdbs(env, 32) || mdb_env_set_mapsize(env, (size_t)1 << 32) ||
        mdb_env_open(env, db, MDB_RDONLY, 0) || mdb_txn_begin(env, NULL, MDB_RDONLY, &txn) ||
        mdb_dbi_open(txn, "post", 0, &dbi) || mdb_cursor_open(txn, dbi, &c))
        return -1;
    uint8_t key[STORE_KEY_MAX];
    size_t kl = store_post_key(key, field, t, strlen(t), 0) - 4;
    MDB_val k = {kl, key}, v;
    int n = 0;
    for (int rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); !rc && k.mv_size >= kl && !memcmp(k.mv_data, key, kl);
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT))
        n++;
    mdb_cursor_close(c);
    mdb_txn_abort(txn);
    mdb_env_close(env);
    return n;
}

static int post_keys(const char *db, const char *t)
{
    return post_keys_field(db, STORE_F_TEXT, t);
}

/* Removes the directory dir and what it holds (checked). */
static void remove_dir(const char *dir)
{
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK_EQ_INT(system(cmd), 0);
}

/* One batch by 1 (no worker threads), 2 and 4 workers, and batches of a
 * file or so by 2 (run files, merged and joined by the main thread at
 * commit).  And a build in batches of several files writes the same index
 * from run to run: where a batch ends depends on the input alone (the
 * memory gathered when a file ended), not on how far the workers were
 * behind the main thread when it looked. */
TEST(test_same_index)
{
    size_t slen;
    char dir[] = "/tmp/fz-test-build-XXXXXX", db[10][300];
    char *sample = sample_and_dirs(&slen, dir, db, 10);
    if (!sample)
        return;
    const char *one = db[0], *two = db[1], *four = db[2], *many = db[3], *many1 = db[4], *many4 = db[5];
    CHECK_EQ_INT(build_index(one, 1, 0, sample, slen), 0);
    CHECK_EQ_INT(build_index(two, 2, 0, sample, slen), 0);
    CHECK_EQ_INT(build_index(four, 4, 0, sample, slen), 0);
    CHECK_EQ_INT(build_index(many, 2, (size_t)1 << 20, sample, slen), 0);
    /* the test covers what it says: a common term in several blocks
     * (more than STORE_BLOCK_DOCS documents), small terms in packs */
    CHECK(post_keys(one, "下城") >= 2);
    const char *all[] = {"meta", "entry", "file", "fileid", "post", "dlen", "catalog"};
    long n2 = compare_dbs(one, two, all, 7), n4 = compare_dbs(one, four, all, 7);
    CHECK(n2 > 1000);
    CHECK_EQ_INT(n4, n2);
    /* batches: the same entries (join maps included), files and lengths
     * (the blocks are cut where the batches ended) */
    const char *same[] = {"entry", "file", "fileid", "dlen"};
    CHECK(compare_dbs(one, many, same, 4) > 100);
    /* a budget this small (below the dictionaries' own tables) makes
     * every batch two files (the least: a batch ends once the memory at
     * its last file but one's end is past the budget, these files each
     * holding more text than batch_full lets the workers lag behind):
     * the same batches by 1, 2 and 4, the same index */
    CHECK_EQ_INT(build_index(many1, 1, (size_t)1 << 20, sample, slen), 0);
    CHECK_EQ_INT(build_index(many4, 4, (size_t)1 << 20, sample, slen), 0);
    long m2 = compare_dbs(many1, many, all, 7), m4 = compare_dbs(many1, many4, all, 7);
    CHECK(m2 > 1000);
    CHECK_EQ_INT(m4, m2);
    /* four builds by 2 in batches of several files: the same index */
    for (int i = 6; i < 10; i++) {
        CHECK_EQ_INT(build_index(db[i], 2, (size_t)6 << 20, sample, slen), 0);
        if (i > 6)
            CHECK(compare_dbs(db[6], db[i], all, 7) > 1000);
    }
    /* (several batches: their blocks are cut where the batches ended,
     * unlike one batch's) */
    const char *post[] = {"post"};
    CHECK(compare_dbs(two, db[6], post, 1) < 0);
    free(sample);
    remove_dir(dir);
}

/* Files of less text than batch_full lets the workers lag behind (a
 * 128th of the postings' budget): the batches end at the memory of a
 * file several before the last, still where the input alone says, and
 * they do end (the budget holds): builds by 1, 2 and 4 write the same
 * index, which is not one batch's. */
TEST(test_small_files_batches)
{
    size_t slen;
    char dir[] = "/tmp/fz-test-build-XXXXXX", db[5][300];
    char *sample = sample_and_dirs(&slen, dir, db, 5);
    if (!sample)
        return;
    size_t cut = 1500; /* each file: its first entries, some 2 KB with file_text's */
    while (cut < slen && sample[cut] != '\n')
        cut++;
    CHECK_EQ_INT(build_files(db[0], 1, (size_t)1 << 20, sample, cut, 60), 0);
    CHECK_EQ_INT(build_files(db[1], 2, (size_t)1 << 20, sample, cut, 60), 0);
    CHECK_EQ_INT(build_files(db[2], 4, (size_t)1 << 20, sample, cut, 60), 0);
    CHECK_EQ_INT(build_files(db[3], 2, (size_t)6 << 20, sample, cut, 60), 0);
    CHECK_EQ_INT(build_files(db[4], 2, 0, sample, cut, 60), 0);
    const char *all[] = {"meta", "entry", "file", "fileid", "post", "dlen", "catalog"};
    long n2 = compare_dbs(db[0], db[1], all, 7);
    CHECK(n2 > 500);
    CHECK_EQ_INT(compare_dbs(db[0], db[2], all, 7), n2);
    const char *post[] = {"post"}, *same[] = {"entry", "file", "fileid", "dlen"};
    CHECK(compare_dbs(db[4], db[1], post, 1) < 0);
    CHECK(compare_dbs(db[4], db[3], post, 1) < 0);
    CHECK(compare_dbs(db[4], db[3], same, 4) > 100);
    free(sample);
    remove_dir(dir);
}

/* Builds one file of text into a new index at db with threads workers. */
static int build_one(const char *db, int threads, const char *text, size_t len)
{
    char msg[512] = "";
    store *s;
    build *b;
    build_opts o = {0};
    o.threads = threads;
    int rc = t_build_begin(db, &o, &s, &b, msg, sizeof msg);
    if (!rc)
        rc = build_add_file(b, "/fz-test/long.txt", text, len, len, 1500000000, "UTF-8", NULL, msg, sizeof msg);
    return t_build_end(rc, db, s, b, msg, sizeof msg);
}

/* Builds the text t as one file into a new directory made from the
 * template dir: one (dir/1) without worker threads, two (dir/2) by 2
 * workers (one and two: 300 bytes each).  Returns compare_dbs's count of
 * their records, -1 when they differ (or a build failed: checked). */
static long build_by_1_and_2(const fz_buf *t, char *dir, char *one, char *two)
{
    CHECK(mkdtemp(dir) != NULL);
    snprintf(one, 300, "%s/1", dir);
    snprintf(two, 300, "%s/2", dir);
    CHECK_EQ_INT(build_one(one, 1, t->p, t->len), 0);
    CHECK_EQ_INT(build_one(two, 2, t->p, t->len), 0);
    const char *all[] = {"meta", "entry", "file", "fileid", "post", "dlen", "catalog"};
    return compare_dbs(one, two, all, 7);
}

/* build_by_1_and_2's count for t in a directory of its own, removed
 * after; frees t. */
static long built_alike(fz_buf *t)
{
    char dir[] = "/tmp/fz-test-build-XXXXXX", one[300], two[300];
    long n = build_by_1_and_2(t, dir, one, two);
    fz_buf_free(t);
    remove_dir(dir);
    return n;
}

/* A file of many short entries whose tokens fill several of a worker's
 * chunks: an entry's end that a worker has queued behind its tokens when
 * a chunk ends is kept until they are interned (a worker reading it from
 * the chunk after it was freed failed under ASan), and the index is the
 * same as one built without worker threads. */
TEST(test_entries_across_chunks)
{
    fz_buf t = {0};
    int oom = 0;
    for (int e = 0; e < 40000; e++) {
        char line[128];
        snprintf(line, sizeof line, "【第%d条】下城区%d年 街道%d\n", e, 1900 + e % 200, e % 97);
        oom |= fz_buf_append(&t, line, strlen(line));
    }
    CHECK_EQ_INT(oom, 0);
    CHECK(built_alike(&t) > 1000);
}

/* The router sends an entry's metadata fields (authors, sections, file,
 * kind) that repeat the entry before's as it sent them then (meta_field):
 * a gazetteer whose sections repeat at the same level and first position
 * (entries under one heading), whose chapter of one text comes next at
 * another position (第一章 概况 under parts of names of other lengths)
 * or at another level (概况 as a part and as a chapter), and whose
 * second author repeats after a first of another length, with CJK runs
 * after hangul of U+D000.. (whose bigrams are not of the sorted path):
 * the index is the same as one built without worker threads (no
 * router). */
TEST(test_meta_repeats)
{
    static const char *const parts[] = {"第一编 建置", "第二编 经济发展", "第三编 概况", "第四编 社会"};
    static const char *const authors[] = {"(张三)", "(张三 王五)", "(欧阳修 王五)", "(李四 王五)"};
    fz_buf t = {0};
    int oom = 0;
    for (int p = 0; p < 4; p++) {
        char line[256];
        snprintf(line, sizeof line, "%s\n\n第一章 概况\n\n", parts[p]);
        oom |= fz_buf_append(&t, line, strlen(line));
        for (int e = 0; e < 3; e++) {
            snprintf(line, sizeof line, "【第%d条】 下城区%d年，全区%d个街道，한국어中文。\n\n%s\n\n", p * 3 + e, 2000 + p, e + 7,
                     authors[(p + e) % 4]);
            oom |= fz_buf_append(&t, line, strlen(line));
        }
    }
    CHECK_EQ_INT(oom, 0);
    CHECK(built_alike(&t) > 10);
}

/* Whether every word of words (n of them) is found in the index at db
 * (store_term_find, field STORE_F_TEXT). */
static int all_found(const char *db, char (*words)[32], int n)
{
    char msg[256];
    store *s;
    MDB_txn *txn;
    MDB_cursor *cur;
    if (store_open(db, 0, &s, msg, sizeof msg))
        return 0;
    int found = 0;
    if (!store_begin(s, 0, &txn, msg, sizeof msg)) {
        if (!mdb_cursor_open(txn, store_dbi(s, STORE_DB_POST), &cur)) {
            for (int i = 0; i < n; i++) {
                MDB_val k, v;
                store_tpack_iter it;
                int rc = store_term_find(cur, STORE_F_TEXT, words[i], strlen(words[i]), &k, &v, &it);
                found += rc == STORE_TERM_BLOCKS || rc == STORE_TERM_PACKED;
            }
            mdb_cursor_close(cur);
        }
        mdb_txn_abort(txn);
    }
    store_close(s);
    return found == n;
}

/* Terms alike in their first 7 bytes (the sort's key) are put in order
 * by their other bytes, the shorter first: words first seen in reverse
 * order, in packs and in blocks, are all found, by 1 and 2 workers. */
TEST(test_terms_alike_in_prefix)
{
    enum { NW = 300 };
    static char words[NW][32];
    for (int i = 0; i < NW; i++) {
        int k = NW - 1 - i; /* descending: the reverse of key order */
        if (k == 0)
            snprintf(words[i], sizeof words[i], "abcdefg");
        else if (k % 3 == 0)
            snprintf(words[i], sizeof words[i], "abcdefg%c%c", 'a' + k / 26 % 26, 'a' + k % 26);
        else
            snprintf(words[i], sizeof words[i], "abcdefg%c%cx", 'a' + k / 26 % 26, 'a' + k % 26);
    }
    fz_buf t = {0};
    int oom = 0;
    for (int e = 0; e < 400; e++) {
        char line[64];
        snprintf(line, sizeof line, "【第%d条】", e);
        oom |= fz_buf_append(&t, line, strlen(line));
        /* the first 20 words in every entry (blocks), the others in one each (packs) */
        for (int i = 0; i < NW; i++)
            if (i < 20 || i % 150 == e % 150) {
                oom |= fz_buf_append(&t, words[i], strlen(words[i]));
                oom |= fz_buf_append(&t, " ", 1);
            }
        oom |= fz_buf_append(&t, "\n", 1);
    }
    CHECK_EQ_INT(oom, 0);
    char dir[] = "/tmp/fz-test-build-XXXXXX", one[300], two[300];
    CHECK(build_by_1_and_2(&t, dir, one, two) > 100);
    CHECK(all_found(one, words, NW));
    CHECK(all_found(two, words, NW));
    CHECK(post_keys(one, words[0]) >= 3); /* the test covers blocks */
    fz_buf_free(&t);
    remove_dir(dir);
}

/* Calls fn(ctx, s, txn, b) for each block b of the term (field, term) in
 * the index at db (a term pack's one block too), opened on its first
 * document.  The number of blocks, or -1 when the index does not open,
 * the term is missing, a block does not decode or fn returns nonzero. */
typedef int (*block_fn)(void *ctx, store *s, MDB_txn *txn, store_block *b);
static long term_blocks(const char *db, int field, const char *term, block_fn fn, void *ctx)
{
    char msg[256];
    store *s;
    MDB_txn *txn;
    MDB_cursor *cur;
    if (store_open(db, 0, &s, msg, sizeof msg))
        return -1;
    long n = -1;
    if (!store_begin(s, 0, &txn, msg, sizeof msg)) {
        if (!mdb_cursor_open(txn, store_dbi(s, STORE_DB_POST), &cur)) {
            MDB_val k, v;
            store_tpack_iter it;
            static store_block blk;
            uint8_t key[STORE_KEY_MAX];
            size_t kl = store_post_key(key, field, term, strlen(term), 0) - 4;
            int rc = store_term_find(cur, field, term, strlen(term), &k, &v, &it);
            if (rc == STORE_TERM_PACKED && !store_block_open_tpack(&blk, &it)) {
                n = fn(ctx, s, txn, &blk) ? -1 : 1;
            } else if (rc == STORE_TERM_BLOCKS) {
                for (n = 0, rc = 0; !rc && k.mv_size == kl + 4 && !memcmp(k.mv_data, key, kl);
                     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT), n++) {
                    if (store_block_open(&blk, fz_be32_get((uint8_t *)k.mv_data + kl), v.mv_data, v.mv_size) ||
                        fn(ctx, s, txn, &blk)) {
                        n = -1;
                        break;
                    }
                }
            }
            mdb_cursor_close(cur);
        }
        mdb_txn_abort(txn);
    }
    store_close(s);
    return n;
}

typedef struct {
    uint64_t tt, tb, ndocs;
} tf_sums;

static int add_tfs(void *ctx, store *s, MDB_txn *txn, store_block *b)
{
    (void)s;
    (void)txn;
    tf_sums *t = ctx;
    do {
        t->tt += b->tf_title;
        t->tb += b->tf_body;
        t->ndocs++;
    } while (store_block_next(b) == FZ_OK);
    return 0;
}

/* The title and body frequencies of a CJK unigram's documents (field
 * STORE_F_UNI, counted by the workers without positions) in the index at
 * db: the sums over its documents into *tt and *tb, and how many
 * documents; -1 when the term is missing or does not decode. */
static long uni_tfs(const char *db, const char *term, uint64_t *tt, uint64_t *tb)
{
    tf_sums t = {0, 0, 0};
    long nb = term_blocks(db, STORE_F_UNI, term, add_tfs, &t);
    *tt = t.tt;
    *tb = t.tb;
    return nb < 0 ? -1 : (long)t.ndocs;
}

typedef struct {
    long n, bad;
} impact_count;

static int check_impact(void *ctx, store *s, MDB_txn *txn, store_block *b)
{
    impact_count *c = ctx;
    store_dlen_cache dc = {0};
    if (!b->q)
        return 0;
    double best = 0;
    do {
        double im = store_impact(b->tf_title, b->tf_body, store_dlen_get(s, txn, &dc, b->doc), b->a0);
        best = im > best ? im : best;
    } while (store_block_next(b) == FZ_OK);
    c->n++;
    c->bad += store_impact_q(best) != b->q;
    return 0;
}

/* The blocks of the term (field, term) in the index at db that record an
 * impact (more than STORE_IMPACT_DOCS documents): into *n how many, and
 * the number of them whose impact q is not the exact one, the largest of
 * their documents' impacts at the block's a0 from their frequencies and
 * lengths ("dlen") rounded up; -1 when a block does not decode. */
static long inexact_impacts(const char *db, int field, const char *term, long *n)
{
    impact_count c = {0, 0};
    long nb = term_blocks(db, field, term, check_impact, &c);
    *n = c.n;
    return nb < 0 ? -1 : c.bad;
}

/* A CJK unigram's title and body frequencies: a worker counts its tokens
 * by the field they came in (the router marks the body's), without
 * positions.  Every entry has 甲 twice in its title and three times in
 * its body, 乙 once in its body only, 丙 in the title only: the same
 * frequencies by 1 and 2 workers, in blocks and in packs. */
TEST(test_unigram_title_body)
{
    fz_buf t = {0};
    int oom = 0;
    const int ne = 400;
    for (int e = 0; e < ne; e++) {
        char line[160];
        /* 丙 in few entries: its postings are packed */
        snprintf(line, sizeof line, "【甲第%d条甲%s】甲下城区乙甲年甲\n", e, e % 100 ? "" : "丙");
        oom |= fz_buf_append(&t, line, strlen(line));
    }
    CHECK_EQ_INT(oom, 0);
    char dir[] = "/tmp/fz-test-build-XXXXXX", one[300], two[300];
    CHECK(build_by_1_and_2(&t, dir, one, two) > 100);
    const char *dbs[] = {one, two};
    for (int i = 0; i < 2; i++) {
        uint64_t tt, tb;
        CHECK_EQ_INT(uni_tfs(dbs[i], "甲", &tt, &tb), ne);
        CHECK(tt == 2u * ne && tb == 3u * ne);
        CHECK_EQ_INT(uni_tfs(dbs[i], "乙", &tt, &tb), ne);
        CHECK(tt == 0 && tb == (uint64_t)ne);
        CHECK_EQ_INT(uni_tfs(dbs[i], "丙", &tt, &tb), ne / 100);
        CHECK(tt == (uint64_t)ne / 100 && tb == 0);
    }
    CHECK(post_keys_field(one, STORE_F_UNI, "甲") >= 3); /* the test covers blocks */
    fz_buf_free(&t);
    remove_dir(dir);
}

/* Text enough for a text dictionary (more than STORE_TDICT_TRAIN bytes:
 * it trains on a thread while the records that follow are held, and the
 * entry blocks are made by the writer's packer thread): the same index by
 * 1 and 2 workers, and from run to run in batches, however the threads
 * ran. */
TEST(test_same_index_tdict)
{
    size_t slen;
    char dir[] = "/tmp/fz-test-build-XXXXXX", db[4][300];
    char *sample = sample_and_dirs(&slen, dir, db, 4);
    if (!sample)
        return;
    const int n = 150;
    CHECK_EQ_INT(build_files(db[0], 1, 0, sample, slen, n), 0);
    CHECK_EQ_INT(build_files(db[1], 2, 0, sample, slen, n), 0);
    CHECK_EQ_INT(build_files(db[2], 2, (size_t)6 << 20, sample, slen, n), 0);
    CHECK_EQ_INT(build_files(db[3], 2, (size_t)6 << 20, sample, slen, n), 0);
    /* the test covers what it says: a dictionary, blocks of its groups */
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi meta;
    MDB_val k = {5, "tdict"}, v;
    CHECK(mdb_env_create(&env) == 0 && mdb_env_set_maxdbs(env, 32) == 0 && mdb_env_open(env, db[0], MDB_RDONLY, 0) == 0 &&
          mdb_txn_begin(env, NULL, MDB_RDONLY, &txn) == 0 && mdb_dbi_open(txn, "meta", 0, &meta) == 0);
    CHECK_EQ_INT(mdb_get(txn, meta, &k, &v), 0);
    mdb_txn_abort(txn);
    mdb_env_close(env);
    const char *all[] = {"meta", "entry", "file", "fileid", "post", "dlen", "catalog"};
    CHECK(compare_dbs(db[0], db[1], all, 7) > 1000);
    CHECK(compare_dbs(db[2], db[3], all, 7) > 1000);
    /* (a build in batches of less text than the dictionary's sample
     * trains it at its first batch's end, on what that batch held: its
     * entry blocks are not one batch's) */
    free(sample);
    remove_dir(dir);
}

/* File i of test_sorted_bigrams: entries of characters drawn from twelve,
 * so that every bigram repeats within entries and across them, in titles
 * and bodies (each title begins 甲乙, the body often has it too), and in
 * file 1 an entry so long that its tokens fill more than one of a
 * worker's chunks. */
static char *bigram_text(int i, size_t *len)
{
    static const char *const cs[] = {"甲", "乙", "丙", "丁", "戊", "己", "庚", "辛", "壬", "癸", "子", "丑"};
    fz_buf t = {0};
    uint32_t r = 12345u + (uint32_t)i * 7919u;
    int oom = 0;
    for (int e = 0; e < 160; e++) {
        oom |= fz_buf_append(&t, "【甲乙", strlen("【甲乙"));
        for (int k = 0, n = 1 + e % 5; k < n; k++) {
            r = r * 1103515245u + 12345u;
            oom |= fz_buf_append(&t, cs[(r >> 16) % 12], 3);
        }
        oom |= fz_buf_append(&t, "】", strlen("】"));
        int n = e == 80 && i == 1 ? 60000 : 10 + e % 50;
        for (int k = 0; k < n; k++) {
            r = r * 1103515245u + 12345u;
            oom |= fz_buf_append(&t, cs[(r >> 16) % 12], 3);
            if (k % 37 == 36)
                oom |= fz_buf_append(&t, "，", strlen("，"));
        }
        oom |= fz_buf_append(&t, "\n", 1);
    }
    CHECK_EQ_INT(oom, 0);
    *len = t.len;
    return t.p;
}

static char *bigram_gen(const void *ctx, int i, size_t *len)
{
    (void)ctx;
    return bigram_text(i, len);
}

/* Builds the files of test_sorted_bigrams (4) into a new index at db
 * (huge_pages: build_opts'). */
static int build_bigrams(const char *db, int threads, size_t mem, int huge_pages)
{
    return build_gen_paged(db, threads, mem, huge_pages, 4, bigram_gen, NULL);
}

/* The worker threads gather the CJK bigrams of the text as records sorted
 * by term (at a chunk's end past a share of the budget, and at the
 * batch's end), written as pieces and cut into blocks when the batch ends
 * (build.c, "Pieces"), the main thread's worker (a build without threads)
 * term by term in its dictionary: the same postings, every record in its
 * document and every position, in title and body, whether the records of
 * an entry are taken in one go or in two (an entry read across a drain),
 * in one batch or in several (the later batches' postings in the slabs
 * the earlier ones used, release_slabs), with the tables on huge pages or
 * not (build_opts.huge_pages);
 * and the impacts of blocks joined from several batches exact, as those
 * of one batch's are, not only a bound (build.c, keep_lengths). */
TEST(test_sorted_bigrams)
{
    char dir[] = "/tmp/fz-test-build-XXXXXX", db[8][300];
    temp_dbs(dir, db, 8);
    size_t small = (size_t)1 << 20; /* batches of two files; drains at every chunk's end */
    CHECK_EQ_INT(build_bigrams(db[0], 1, 0, -1), 0);
    CHECK_EQ_INT(build_bigrams(db[1], 2, 0, -1), 0);
    CHECK_EQ_INT(build_bigrams(db[2], 4, 0, -1), 0);
    CHECK_EQ_INT(build_bigrams(db[3], 1, small, -1), 0);
    CHECK_EQ_INT(build_bigrams(db[4], 2, small, -1), 0);
    CHECK_EQ_INT(build_bigrams(db[5], 4, small, -1), 0);
    CHECK_EQ_INT(build_bigrams(db[6], 2, small, 1), 0);
    CHECK_EQ_INT(build_bigrams(db[7], 2, 0, 1), 0);
    /* the test covers what it says: bigrams in more than STORE_BLOCK_DOCS
     * documents */
    CHECK(post_keys(db[0], "甲乙") >= 4);
    const char *all[] = {"meta", "entry", "file", "fileid", "post", "dlen", "catalog"};
    for (int i = 1; i < 3; i++) {
        CHECK(compare_dbs(db[0], db[i], all, 7) > 300);
        CHECK(compare_dbs(db[3], db[3 + i], all, 7) > 300);
    }
    CHECK(compare_dbs(db[4], db[6], all, 7) > 300);
    CHECK(compare_dbs(db[1], db[7], all, 7) > 300);
    /* the batches' postings hold what one batch's do: each unigram's
     * documents and frequencies */
    static const char *const cs[] = {"甲", "乙", "丙", "丁", "戊", "己", "庚", "辛", "壬", "癸", "子", "丑"};
    for (int c = 0; c < 12; c++) {
        uint64_t tt0, tb0, tt, tb;
        long n0 = uni_tfs(db[0], cs[c], &tt0, &tb0);
        CHECK(n0 > 0);
        for (int i = 3; i < 7; i++) {
            CHECK_EQ_INT(uni_tfs(db[i], cs[c], &tt, &tb), n0);
            CHECK(tt == tt0 && tb == tb0);
        }
    }
    for (int i = 0; i < 8; i++) {
        long nq[2];
        CHECK_EQ_INT(inexact_impacts(db[i], STORE_F_UNI, "甲", &nq[0]), 0);
        CHECK_EQ_INT(inexact_impacts(db[i], STORE_F_TEXT, "甲乙", &nq[1]), 0);
        CHECK(nq[0] >= 3 && nq[1] >= 3); /* the test covers blocks with impacts */
    }
    remove_dir(dir);
}

/* The first n characters from U+4E00 on that the index keeps as they are
 * (no folding, no phrase rule), each as its three UTF-8 bytes. */
static void kept_chars(char (*cs)[4], int n)
{
    int k = 0;
    for (uint32_t cp = 0x4E00; k < n; cp++) {
        size_t first;
        if (fold_ts(cp) != cp || fold_variant(cp) != cp || fold_phrases(cp, &first))
            continue;
        cs[k][0] = (char)(0xE0 | cp >> 12);
        cs[k][1] = (char)(0x80 | (cp >> 6 & 0x3F));
        cs[k][2] = (char)(0x80 | (cp & 0x3F));
        cs[k++][3] = 0;
    }
}

/* MANY_CHARS characters from U+4E00 on that the index keeps as they are
 * (kept_chars). */
#define MANY_CHARS 400
static void many_chars(char cs[MANY_CHARS][4]) { kept_chars(cs, MANY_CHARS); }

/* File i (of 4) of test_many_terms: 400 entries of 100 bigrams each,
 * apart (a comma between them): pair k of entry e is p = (i x 400 + e) x
 * 100 + k, the characters p / 400 and p % 400, so that the 160,000 pairs
 * each stand in one entry once. */
static char *many_terms_gen(const void *ctx, int i, size_t *len)
{
    const char(*cs)[4] = ctx;
    fz_buf t = {0};
    int oom = 0;
    for (int e = 0; e < 400; e++) {
        oom |= fz_buf_append(&t, "【条目】", strlen("【条目】"));
        for (int k = 0; k < 100; k++) {
            int p = (i * 400 + e) * 100 + k;
            oom |= fz_buf_append(&t, cs[p / MANY_CHARS], 3);
            oom |= fz_buf_append(&t, cs[p % MANY_CHARS], 3);
            oom |= fz_buf_append(&t, "，", strlen("，"));
        }
        oom |= fz_buf_append(&t, "\n", 1);
    }
    CHECK_EQ_INT(oom, 0);
    *len = t.len;
    return t.p;
}

/* File i of test_batches_repeat: 400 entries of 20 to 400 of REPEAT_CHARS
 * characters, the first ones more often (the product of two uniform
 * draws), so that every file brings new bigrams, as text does, and the
 * dictionary keeps growing. */
#define REPEAT_CHARS 3000
static char *repeat_gen(const void *ctx, int i, size_t *len)
{
    const char(*cs)[4] = ctx;
    fz_buf t = {0};
    uint32_t r = 2654435761u * (uint32_t)(i + 1);
    int oom = 0;
    for (int e = 0; e < 400; e++) {
        oom |= fz_buf_append(&t, "【条目】", strlen("【条目】"));
        r = r * 1103515245u + 12345u;
        for (int k = 0, n = 20 + (int)((r >> 16) % 381); k < n; k++) {
            r = r * 1103515245u + 12345u;
            uint32_t a = (r >> 4) % REPEAT_CHARS, c = (r >> 18) % REPEAT_CHARS;
            oom |= fz_buf_append(&t, cs[a * c / REPEAT_CHARS], 3);
        }
        oom |= fz_buf_append(&t, "\n", 1);
    }
    CHECK_EQ_INT(oom, 0);
    *len = t.len;
    return t.p;
}

/* on_file of build_repeat: counts the files written before the commit
 * (those of batches before the last). */
typedef struct {
    int committing, early;
} batch_count;

static void count_batch_file(void *ctx, const char *path, const char *encoding, uint32_t nentries)
{
    (void)path, (void)encoding, (void)nentries;
    batch_count *c = ctx;
    c->early += !c->committing;
}

/* Builds 24 of repeat_text's files into a new index at db with two
 * workers and a budget of mem bytes, the calling thread pausing pause_us
 * after each chunk it hands to a worker (build_opts.pause_us); *early:
 * the files written before the commit. */
static int build_repeat(const char *db, size_t mem, unsigned pause_us, int *early)
{
    static char cs[REPEAT_CHARS][4];
    kept_chars(cs, REPEAT_CHARS);
    batch_count bc = {0, 0};
    build_opts o = {0};
    o.threads = 2;
    o.mem_limit = mem;
    o.pause_us = pause_us;
    o.on_file = count_batch_file;
    o.on_file_ctx = &bc;
    int rc = build_gen_with(db, &o, 24, repeat_gen, cs, &bc.committing);
    *early = bc.early;
    return rc;
}

/* A build of several batches writes the same index however its threads
 * are timed.  Where its batches end depends on the memory the workers had
 * gathered when earlier files ended; they drain their buckets at the ends
 * of the router's chunks, and not while they wait for the next one
 * (idle_drain: only in a build small enough for one batch).  One build
 * runs straight on; in the other the router pauses after every chunk, so
 * that the workers wait with records in their buckets.  With idle drains
 * in builds of several batches too, the two ended their first batch at
 * other files (22 files were written before the commit against 21) and
 * their indexes differed, in each of three runs, while the dictionary held
 * the bigrams (96 MB then; 48 MB since the bigrams are pieces, which
 * gather less: with idle drains allowed the two builds now end alike). */
TEST(test_batches_repeat)
{
    char dir[] = "/tmp/fz-test-build-XXXXXX", db[2][300];
    temp_dbs(dir, db, 2);
    size_t mem = (size_t)48 << 20;
    int early[2];
    CHECK_EQ_INT(build_repeat(db[0], mem, 0, &early[0]), 0);
    CHECK_EQ_INT(build_repeat(db[1], mem, 2000, &early[1]), 0);
    CHECK(early[0] >= 12); /* several batches */
    CHECK_EQ_INT(early[1], early[0]);
    const char *all[] = {"meta", "entry", "file", "fileid", "post", "dlen", "catalog"};
    CHECK(compare_dbs(db[0], db[1], all, 7) > 300);
    remove_dir(dir);
}

/* A worker's dictionary grows in place (page_grow: its term arrays
 * doubled by mremap, from 32,768 terms to 262,144 for the 160,000 bigrams
 * of one worker) and keeps every term: each bigram is found in its one
 * document, on small pages and on huge ones, by one worker and by two,
 * and the indexes are the same. */
TEST(test_many_terms)
{
    static char cs[MANY_CHARS][4];
    many_chars(cs);
    char dir[] = "/tmp/fz-test-build-XXXXXX", db[3][300];
    temp_dbs(dir, db, 3);
    CHECK_EQ_INT(build_gen_paged(db[0], 1, 0, -1, 4, many_terms_gen, cs), 0);
    CHECK_EQ_INT(build_gen_paged(db[1], 1, 0, 1, 4, many_terms_gen, cs), 0);
    CHECK_EQ_INT(build_gen_paged(db[2], 2, 0, -1, 4, many_terms_gen, cs), 0);
    const char *all[] = {"meta", "entry", "file", "fileid", "post", "dlen", "catalog"};
    CHECK(compare_dbs(db[0], db[1], all, 7) > 1000);
    CHECK(compare_dbs(db[0], db[2], all, 7) > 1000);
    int bad = 0;
    for (int p = 0; p < MANY_CHARS * MANY_CHARS; p += 313) {
        char t[8];
        snprintf(t, sizeof t, "%s%s", cs[p / MANY_CHARS], cs[p % MANY_CHARS]);
        for (int i = 0; i < 2; i++) {
            tf_sums ts = {0, 0, 0};
            long nb = term_blocks(db[i], STORE_F_TEXT, t, add_tfs, &ts);
            if (nb < 0 || ts.ndocs != 1 || ts.tb != 1 || ts.tt != 0)
                bad++;
        }
    }
    CHECK_EQ_INT(bad, 0);
    remove_dir(dir);
}

/* File i of test_sorted_long_runs: in file 0, 20,000 entries that all
 * hold 甲乙 in their title and body (some 80 KB of its records in one
 * drain: more than a chunk, CHUNK_MAX, and many blocks) and 丙丁 in one
 * entry in 130 (ids 130 apart: two-byte deltas, but for the first
 * document of a block); in file 1, between short entries, one whose body
 * is 甲乙 6,000 times (a record of some 6 KB, larger than a chunk). */
static char *long_run_text(const void *ctx, int i, size_t *len)
{
    (void)ctx;
    fz_buf t = {0};
    int oom = 0;
    for (int e = 0; e < (i ? 40 : 20000); e++) {
        oom |= fz_buf_append(&t, "【甲乙】戊", strlen("【甲乙】戊"));
        if (e % 130 == 7)
            oom |= fz_buf_append(&t, "丙丁", strlen("丙丁"));
        for (int k = 0, n = i && e == 20 ? 6000 : 1 + e % 3; k < n; k++)
            oom |= fz_buf_append(&t, "甲乙", strlen("甲乙"));
        oom |= fz_buf_append(&t, "己\n", strlen("己\n"));
    }
    CHECK_EQ_INT(oom, 0);
    *len = t.len;
    return t.p;
}

/* A worker writes a term's records of one drain together, in chunks sized
 * to them (put_docs): records of one drain that fill several chunks and
 * open several blocks, a record larger than a chunk, deltas of one and
 * two bytes give the index a build without worker threads (whose
 * dictionary writes a record at a time) gives, in one batch or in
 * several. */
TEST(test_sorted_long_runs)
{
    char dir[] = "/tmp/fz-test-build-XXXXXX", db[4][300];
    temp_dbs(dir, db, 4);
    size_t small = (size_t)1 << 20;
    CHECK_EQ_INT(build_gen(db[0], 1, 0, 2, long_run_text, NULL), 0);
    CHECK_EQ_INT(build_gen(db[1], 2, 0, 2, long_run_text, NULL), 0);
    CHECK_EQ_INT(build_gen(db[2], 1, small, 2, long_run_text, NULL), 0);
    CHECK_EQ_INT(build_gen(db[3], 2, small, 2, long_run_text, NULL), 0);
    /* the test covers what it says: blocks of STORE_BLOCK_DOCS */
    CHECK(post_keys(db[0], "甲乙") >= 100 && post_keys(db[0], "丙丁") >= 2);
    const char *all[] = {"meta", "entry", "file", "fileid", "post", "dlen", "catalog"};
    CHECK(compare_dbs(db[0], db[1], all, 7) > 100);
    CHECK(compare_dbs(db[2], db[3], all, 7) > 100);
    remove_dir(dir);
}

int main(void)
{
    t_run(test_same_index);
    t_run(test_small_files_batches);
    t_run(test_same_index_tdict);
    t_run(test_entries_across_chunks);
    t_run(test_meta_repeats);
    t_run(test_terms_alike_in_prefix);
    t_run(test_unigram_title_body);
    t_run(test_sorted_bigrams);
    t_run(test_batches_repeat);
    t_run(test_many_terms);
    t_run(test_sorted_long_runs);
    return t_done("build");
}
