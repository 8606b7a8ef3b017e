/*
 * t_build.h -- for the unit tests that write an index through build.h
 * (test_build, test_search): a build opened on a new or existing index,
 * and its commit.  Include after t.h.
 */
#ifndef T_BUILD_H
#define T_BUILD_H

#include <stdio.h>

#include "build.h"
#include "../common/store.h"

/* Opens the index at db for writing (created when missing) and starts a
 * build with o on it: 0 with *s and *b set, or the failure (checked,
 * msg printed; *s and *b NULL or to be ended by t_build_end). */
static inline int t_build_begin(const char *db, const build_opts *o, store **s, build **b, char *msg, size_t msglen)
{
    *s = NULL;
    *b = NULL;
    int rc = store_open_write(db, 0, 0600, s, msg, msglen);
    CHECK_EQ_INT(rc, 0);
    if (!rc) {
        rc = build_create(*s, o, b, msg, msglen);
        CHECK_EQ_INT(rc, 0);
    }
    if (rc)
        fprintf(stderr, "build of %s: %s\n", db, msg);
    return rc;
}

/* Commits the build when rc (what the adds returned) is 0, checks that
 * all went well (printing msg else), and closes both.  Returns rc or the
 * commit's failure. */
static inline int t_build_end(int rc, const char *db, store *s, build *b, char *msg, size_t msglen)
{
    if (!rc)
        rc = build_commit(b, msg, msglen);
    if (rc)
        fprintf(stderr, "build of %s: %s\n", db, msg);
    CHECK_EQ_INT(rc, 0);
    build_destroy(b);
    store_close(s);
    return rc;
}

#endif
