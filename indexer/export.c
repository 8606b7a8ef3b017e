/*
 * export.c -- the entries as JSON Lines (see export.h).
 */
#include "export.h"

#include <errno.h>
#include <string.h>

#include "../searcher/out.h"

int export_entries(store *st, FILE *f, uint64_t *n, char *msg, size_t msglen)
{
    *n = 0;
    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL;
    out *o = out_create(f, OUT_JSON, 0, 0, 80);
    fz_arena *a = fz_arena_create();
    int rc = o && a ? store_begin(st, 0, &txn, msg, msglen) : FZ_ENOMEM;
    int r = 0;
    if (!rc && (r = mdb_cursor_open(txn, store_dbi(st, STORE_DB_ENTRY), &cur)))
        rc = store_lmdb_err(r, "reading the entries", msg, msglen);
    MDB_val k, v;
    if (!rc)
        r = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    while (!rc && r == 0) {
        /* a block of entries (ENTRY BLOCKS in common/store.c) */
        store_entry_block b;
        uint32_t last = k.mv_size == 4 ? fz_be32_get(k.mv_data) : 0;
        if (k.mv_size != 4 || store_entry_block_open(store_tdict_of(st, txn), v.mv_data, v.mv_size, last, a, &b)) {
            fz_msg(msg, msglen, "entry block %u is damaged (fzindex --check tells more)", last);
            rc = FZ_ECORRUPT;
            break;
        }
        store_entry e = {0};
        int g;
        while (!rc && (g = store_entry_block_next(&b, a, &e)) != FZ_ENOTFOUND) {
            if (g) {
                fz_msg(msg, msglen, "entry %u is damaged (fzindex --check tells more)", b.first + b.i - 1);
                rc = FZ_ECORRUPT;
                break;
            }
            search_hit h = {0};
            h.e = &e;
            if (store_file_path(st, txn, e.file_id, &h.file, &h.file_len)) {
                h.file = "";
                h.file_len = 0;
            }
            if (store_volume_get(st, txn, e.file_id, &h.volume))
                memset(&h.volume, 0, sizeof h.volume);
            if (out_entry(o, &h)) {
                fz_msg(msg, msglen, "%s", strerror(errno));
                rc = FZ_EIO;
                break;
            }
            (*n)++;
        }
        if (rc)
            break;
        fz_arena_destroy(a); /* one block's strings at a time */
        if (!(a = fz_arena_create())) {
            rc = FZ_ENOMEM;
            break;
        }
        r = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    if (!rc && r != MDB_NOTFOUND)
        rc = store_lmdb_err(r, "reading the entries", msg, msglen);
    if (rc == FZ_ENOMEM && msg && !msg[0])
        fz_msg(msg, msglen, "out of memory");
    if (cur)
        mdb_cursor_close(cur);
    if (txn)
        mdb_txn_abort(txn);
    out_destroy(o);
    fz_arena_destroy(a);
    return rc;
}
