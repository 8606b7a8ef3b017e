/*
 * fuzz_query -- libFuzzer target for the query parser (searcher/query.h).
 *
 * Parses the input as a query and checks query.h's promises: a tree or an
 * error code from the documented set; on success err is 0, the tree obeys
 * the simplification and NOT rules (no AND under AND, no OR under OR, no
 * NOT under OR or NOT, NEAR and EXCEPT over two text atoms, an AND has a
 * positive child), at most QUERY_MAX_NODES nodes, text atoms are
 * NUL-terminated at text_len; query_dump succeeds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fz.h"
#include "kind.h"
#include "query.h"

static size_t walk(const query_node *n, const query_node *parent, unsigned depth)
{
    if (!n || depth > 4 * QUERY_MAX_DEPTH + 16)
        abort();
    size_t count = 1;
    switch (n->type) {
    case QN_TEXT:
        if (!n->text || n->text[n->text_len] || n->text_len == 0 || n->nkids)
            abort();
        if (memchr(n->text, 0, n->text_len))
            abort(); /* "a NUL cannot occur, it is a space" */
        if (n->field > QF_YEAR)
            abort();
        int32_t lo, hi;
        if (n->field == QF_YEAR && query_year_range(n->text, n->text_len, &lo, &hi))
            abort(); /* the parser refuses what query_year_range does */
        if (n->field == QF_KIND && fz_kind_lookup(n->text, n->text_len) < 0)
            abort(); /* the parser accepts only the names of kinds */
        return 1;
    case QN_AND:
    case QN_OR: {
        if (n->nkids < 2 || (parent && parent->type == n->type))
            abort();
        int positive = 0;
        for (size_t i = 0; i < n->nkids; i++) {
            if (n->kids[i]->type == QN_NOT) {
                if (n->type == QN_OR)
                    abort();
            } else {
                positive = 1;
            }
            count += walk(n->kids[i], n, depth + 1);
        }
        if (n->type == QN_AND && !positive)
            abort();
        return count;
    }
    case QN_NOT:
        if (n->nkids != 1 || !parent || parent->type != QN_AND || n->kids[0]->type == QN_NOT)
            abort();
        return count + walk(n->kids[0], n, depth + 1);
    case QN_NEAR:
    case QN_EXCEPT:
        if (n->nkids != 2 || n->kids[0]->type != QN_TEXT || n->kids[1]->type != QN_TEXT)
            abort();
        if (n->type == QN_NEAR && (n->distance < 1 || n->distance > QUERY_MAX_NEAR))
            abort();
        return count + walk(n->kids[0], n, depth + 1) + walk(n->kids[1], n, depth + 1);
    }
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_arena *a = fz_arena_create();
    if (!a)
        return 0;
    char *q = malloc(size ? size : 1);
    if (!q) {
        fz_arena_destroy(a);
        return 0;
    }
    memcpy(q, data, size);
    int err = 12345;
    uint32_t col = 12345;
    char msg[256];
    msg[0] = 0;
    query_node *root = query_parse(q, size, a, &err, &col, msg, sizeof msg);
    if (root) {
        if (err != 0 || col != 0)
            abort();
        if (root->type == QN_NOT)
            abort(); /* nothing positive to search for */
        if (walk(root, NULL, 0) > QUERY_MAX_NODES)
            abort();
        fz_buf out = {0};
        if (query_dump(root, &out) == FZ_EINVAL || (out.len && memchr(out.p, '\n', out.len)))
            abort();
        fz_buf_free(&out);
    } else {
        if (err != FZ_ESYNTAX && err != FZ_EMPTY && err != FZ_ENOMEM)
            abort();
        if (!memchr(msg, 0, sizeof msg) || strchr(msg, '\n'))
            abort();
    }
    free(q);
    fz_arena_destroy(a);
    return 0;
}
