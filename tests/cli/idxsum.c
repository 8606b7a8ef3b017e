/*
 * idxsum -- prints an MD5-able dump of an index's committed content: every
 * key and value of every named LMDB database, in order.  Two indexes with
 * the same dump answer every query alike, whatever the bytes of their free
 * pages (an aborted write transaction may have used those).
 *
 *   idxsum DIR > dump      (exit 1 when the index cannot be read)
 */
#include <lmdb.h>
#include <stdio.h>

static void put(const MDB_val *v)
{
    printf("%zu:", v->mv_size);
    for (size_t i = 0; i < v->mv_size; i++)
        printf("%02x", ((const unsigned char *)v->mv_data)[i]);
    putchar('\n');
}

int main(int argc, char **argv)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_cursor *top, *c;
    MDB_dbi main_dbi, dbi;
    MDB_val k, v, k2, v2;
    if (argc != 2 || mdb_env_create(&env) || mdb_env_set_maxdbs(env, 32) ||
        mdb_env_set_mapsize(env, (size_t)1 << 36) || mdb_env_open(env, argv[1], MDB_RDONLY, 0) ||
        mdb_txn_begin(env, NULL, MDB_RDONLY, &txn) || mdb_dbi_open(txn, NULL, 0, &main_dbi) ||
        mdb_cursor_open(txn, main_dbi, &top))
        return 1;
    while (!mdb_cursor_get(top, &k, &v, MDB_NEXT)) {
        char name[256];
        if (k.mv_size >= sizeof name)
            return 1;
        for (size_t i = 0; i < k.mv_size; i++)
            name[i] = ((const char *)k.mv_data)[i];
        name[k.mv_size] = 0;
        printf("db %s\n", name);
        if (mdb_dbi_open(txn, name, 0, &dbi) || mdb_cursor_open(txn, dbi, &c))
            return 1;
        while (!mdb_cursor_get(c, &k2, &v2, MDB_NEXT)) {
            put(&k2);
            put(&v2);
        }
        mdb_cursor_close(c);
    }
    mdb_txn_abort(txn);
    mdb_env_close(env);
    return 0;
}
