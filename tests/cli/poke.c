/*
 * poke -- a tiny raw LMDB tool to damage an index the way a bug or a stray
 * write would, through LMDB, so that its tables stay readable and only
 * fangzhi's own invariants break (tests/cli/test_corrupt.sh,
 * tests/cli/test_serve.sh; lib.sh's poke_build compiles it):
 *
 *   poke DIR get|next|prev|put|del|dels|drop TABLE KEYHEX [VALHEX]
 *
 * get prints the value of KEY; next "KEY VALUE" of the first key >= KEY,
 * prev of the last key < KEY;
 * put writes VALUE under KEY; del removes KEY; dels every key that starts
 * with KEY; drop the whole table.
 */
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static unsigned char kb[4096], vb[1 << 20];
static size_t unhex(const char *h, unsigned char *out)
{
    size_t n = 0;
    unsigned x;
    for (; h[0] && h[1] && sscanf(h, "%2x", &x) == 1; h += 2)
        out[n++] = (unsigned char)x;
    return n;
}
static void hex(const MDB_val *v)
{
    for (size_t i = 0; i < v->mv_size; i++)
        printf("%02x", ((const unsigned char *)v->mv_data)[i]);
}
static int die(int rc) { fprintf(stderr, "poke: %s\n", mdb_strerror(rc)); return 1; }
int main(int argc, char **argv)
{
    if (argc < 5)
        return 2;
    const char *op = argv[2];
    int ro = !strcmp(op, "get") || !strcmp(op, "next") || !strcmp(op, "prev");
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    MDB_cursor *cur;
    MDB_val k, v;
    int rc = mdb_env_create(&env);
    mdb_env_set_maxdbs(env, 16);
    mdb_env_set_mapsize(env, (size_t)1 << 32);
    if (rc || (rc = mdb_env_open(env, argv[1], ro ? MDB_RDONLY : 0, 0644)) ||
        (rc = mdb_txn_begin(env, NULL, ro ? MDB_RDONLY : 0, &txn)) || (rc = mdb_dbi_open(txn, argv[3], 0, &dbi)) ||
        (rc = mdb_cursor_open(txn, dbi, &cur)))
        return die(rc);
    k.mv_size = unhex(argv[4], kb);
    k.mv_data = kb;
    if (!strcmp(op, "prev")) {
        /* prev: "KEY VALUE" of the last key < KEY */
        rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
        rc = rc == MDB_NOTFOUND ? mdb_cursor_get(cur, &k, &v, MDB_LAST) : rc ? rc : mdb_cursor_get(cur, &k, &v, MDB_PREV);
        if (rc)
            return die(rc);
        hex(&k);
        printf(" ");
        hex(&v);
        printf("\n");
        return 0;
    }
    if (!strcmp(op, "get") || !strcmp(op, "next")) {
        /* get: the value of KEY; next: "KEY VALUE" of the first key >= KEY */
        if ((rc = mdb_cursor_get(cur, &k, &v, *op == 'g' ? MDB_SET_KEY : MDB_SET_RANGE)))
            return die(rc);
        if (*op == 'n') {
            hex(&k);
            printf(" ");
        }
        hex(&v);
        printf("\n");
        return 0;
    }
    if (!strcmp(op, "put") && argc > 5) {
        v.mv_size = unhex(argv[5], vb);
        v.mv_data = vb;
        rc = mdb_put(txn, dbi, &k, &v, 0);
    } else if (!strcmp(op, "drop")) {
        mdb_cursor_close(cur);
        rc = mdb_drop(txn, dbi, 1); /* the whole table, as an older format lacks it */
    } else if (!strcmp(op, "del")) {
        rc = mdb_del(txn, dbi, &k, NULL);
    } else if (!strcmp(op, "dels")) {
        /* every key that starts with KEY */
        size_t n = k.mv_size;
        MDB_val kk = k;
        while ((rc = mdb_cursor_get(cur, &kk, &v, MDB_SET_RANGE)) == 0 && kk.mv_size >= n &&
               !memcmp(kk.mv_data, kb, n)) {
            if ((rc = mdb_cursor_del(cur, 0)))
                break;
            kk = k;
        }
        if (rc == MDB_NOTFOUND)
            rc = 0;
    } else {
        return 2;
    }
    if (rc || (rc = mdb_txn_commit(txn)))
        return die(rc);
    mdb_env_close(env);
    return 0;
}
