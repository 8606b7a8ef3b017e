/*
 * req.h -- what a request to the reading room (fzsearch --serve) asks
 * for: its route, from the URL's path, and its parameters, each checked
 * against the limits before anything is searched.
 *
 * Callers: searcher/serve.c (once per request, with the path and the
 * query-string arguments libmicrohttpd has already split and decoded),
 * the unit test and the fuzzer (tests/fuzz/fuzz_req.c).  Nothing here
 * knows HTTP: the HTTP parsing is libmicrohttpd's.
 *
 * Routes: "/" home, "/help", "/search", "/kwic", "/entry/ID" (ID decimal,
 * 0 .. 4294967295, no sign, no leading zeros but "0" itself),
 * "/export.csv", "/export.jsonl", "/api/search", "/style.css"; any other
 * path is REQ_NOTFOUND.
 *
 * Parameters (unknown names are ignored; a name given twice: the last
 * value counts):
 *   q     the query: at most REQ_MAX_QUERY bytes of valid UTF-8
 *   fold  variants (default), ts or none
 *   page  1 .. REQ_MAX_PAGE (default 1), decimal digits only
 *   sort  score (default), source, left or right (left and right order a
 *         concordance)
 * A value that breaks a rule leaves the request as it was and gives an
 * error with a one-line message for the 400 page: FZ_ELIMIT for a query
 * too long, FZ_EINVAL for anything else.
 *
 * No allocation: req.q points into the caller's value, which must outlive
 * the req.  No global state.
 */
#ifndef REQ_H
#define REQ_H

#include <stddef.h>
#include <stdint.h>

#include "../common/tok.h"

#define REQ_MAX_QUERY 1024  /* bytes of a query */
#define REQ_MAX_URL 8192    /* bytes of a request's path and query string */
#define REQ_PAGE_SIZE 10    /* hits on a results page */
#define REQ_MAX_PAGE 1000   /* the last page that can be asked for */

typedef enum {
    REQ_HOME,
    REQ_HELP,
    REQ_SEARCH,
    REQ_KWIC,
    REQ_ENTRY,
    REQ_CSV,
    REQ_JSONL,
    REQ_API,
    REQ_STYLE,
    REQ_NOTFOUND
} req_route;

typedef enum { REQ_SORT_SCORE, REQ_SORT_SOURCE, REQ_SORT_LEFT, REQ_SORT_RIGHT } req_sort;

typedef struct {
    req_route route;
    uint32_t id;        /* REQ_ENTRY: the entry's id */
    const char *q;      /* NULL when not given; not NUL-terminated */
    size_t qlen;
    tok_fold fold;
    uint32_t page;
    req_sort sort;
} req;

/* Sets r to the defaults and its route (and id) from path, a
 * NUL-terminated decoded URL path.  Returns 0, or FZ_ENOTFOUND when no
 * route has that path (r->route is then REQ_NOTFOUND). */
int req_init(req *r, const char *path);

/* Takes one parameter: key NUL-terminated, val[0..vlen) (may hold any
 * bytes; NULL when the argument had no '=').  Returns 0 (also for an
 * unknown key), FZ_ELIMIT (q longer than REQ_MAX_QUERY) or FZ_EINVAL, with
 * msg saying which parameter and why. */
int req_param(req *r, const char *key, const char *val, size_t vlen, char *msg, size_t msglen);

/* "variants", "ts" or "none"; "score", "source", "left" or "right": the
 * parameter values, for links back to the same settings.  Static. */
const char *req_fold_name(tok_fold f);
const char *req_sort_name(req_sort s);

#endif
