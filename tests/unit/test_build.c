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

/* Builds the files into a new index at db with threads workers (1: none)
 * and a budget of mem bytes (0: the default). */
static int build_index(const char *db, int threads, size_t mem, const char *sample, size_t slen)
{
    char msg[512] = "";
    store *s;
    build *b;
    build_opts o = {0};
    o.threads = threads;
    o.mem_limit = mem;
    int rc = t_build_begin(db, &o, &s, &b, msg, sizeof msg);
    if (rc)
        return t_build_end(rc, db, s, b, msg, sizeof msg);
    for (int i = 0; i < NFILES && !rc; i++) {
        char path[64];
        snprintf(path, sizeof path, "/fz-test/vol-%02d.txt", i);
        size_t len;
        char *text = file_text(sample, slen, i, &len);
        rc = build_add_file(b, path, text, len, len, 1500000000 + i, "UTF-8", NULL, msg, sizeof msg);
        free(text);
    }
    return t_build_end(rc, db, s, b, msg, sizeof msg);
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

/* Postings records of a term pack or block of field 0 and term t in db,
 * by a scan (the number of 'post' keys that start with it). */
static int post_keys(const char *db, const char *t)
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
    size_t kl = store_post_key(key, STORE_F_TEXT, t, strlen(t), 0) - 4;
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

/* One batch by 1 (no worker threads), 2 and 4 workers, and batches of a
 * file or so by 2 (run files, merged and joined by the main thread at
 * commit). */
TEST(test_same_index)
{
    size_t slen;
    char *sample = read_sample(&slen);
    CHECK(sample != NULL);
    if (!sample)
        return;
    char dir[] = "/tmp/fz-test-build-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char db[6][300];
    for (int i = 0; i < 6; i++)
        snprintf(db[i], sizeof db[i], "%s/%d", dir, i);
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
    /* a budget this small (below the dictionaries' own tables) makes each
     * file a batch of its own, however far the workers are: the same
     * batches by 1, 2 and 4, the same index */
    CHECK_EQ_INT(build_index(many1, 1, (size_t)1 << 20, sample, slen), 0);
    CHECK_EQ_INT(build_index(many4, 4, (size_t)1 << 20, sample, slen), 0);
    long m2 = compare_dbs(many1, many, all, 7), m4 = compare_dbs(many1, many4, all, 7);
    CHECK(m2 > 1000);
    CHECK_EQ_INT(m4, m2);
    free(sample);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK_EQ_INT(system(cmd), 0);
}

int main(void)
{
    t_run(test_same_index);
    return t_done("build");
}
