/*
 * serve.h -- the reading room: fzsearch --serve answers HTTP requests for
 * an index (a directory or a packed archive) with the pages of html.c,
 * the exports of out.c and the concordance of kwic.c.
 *
 * Callers: fzsearch (--serve).
 *
 * HTTP is GNU libmicrohttpd's, with its thread pool; each request is
 * answered by one pool thread with its own search handle (search_clone)
 * in its own LMDB read transactions, so a request sees one snapshot of the
 * index per search.  Read-only: GET and HEAD, anything else 405.  Nothing
 * but the index is served; the pages and style sheet are in the program.
 *
 * Routes and parameters: req.h.  Status codes: 200; 400 for a bad
 * parameter or query (the page shows the command line's one-line message
 * and keeps the query in the box); 404 for an unknown path or entry; 405;
 * 414 when the path and query string pass REQ_MAX_URL bytes; 503 when a
 * search passes the time limit ("too broad") or the server is full; 500
 * when the index cannot be read.
 *
 * Limits: SERVE_MAX_CONNECTIONS connections at once (more are refused by
 * libmicrohttpd), a connection idle for SERVE_IDLE_SECONDS is closed (slow
 * clients), each search stops at its time limit.
 */
#ifndef SERVE_H
#define SERVE_H

#include <stddef.h>
#include <stdint.h>

#include "search.h"

#define SERVE_DEFAULT_HOST "127.0.0.1"
#define SERVE_DEFAULT_PORT 8080
#define SERVE_MAX_CONNECTIONS 256
#define SERVE_IDLE_SECONDS 10
#define SERVE_TIME_LIMIT_MS 3000  /* default per-request search time */
#define SERVE_FACET_SAMPLE 200    /* hits the side panel counts at most */
#define SERVE_KWIC_ENTRIES 200    /* entries a concordance page covers */

typedef struct {
    char host[256];        /* numeric IPv4 or IPv6 address or a host name */
    uint16_t port;         /* 0: any free port (the URL printed says which) */
    unsigned threads;      /* pool threads (0: one per CPU, at least 2) */
    unsigned time_limit_ms;
} serve_opts;

/* Parses "[ADDR:]PORT", "[IPV6]:PORT" or NULL (the default
 * 127.0.0.1:8080) into o->host and o->port.  FZ_EINVAL with msg saying
 * what is wrong. */
int serve_parse_addr(const char *spec, serve_opts *o, char *msg, size_t msglen);

/* Serves s until SIGINT or SIGTERM (which it blocks in every thread and
 * waits for).  Prints "serving DB at http://HOST:PORT/" on stdout (and a
 * warning on stderr when the address is not a loopback one).  s stays the
 * caller's.  Returns 0 after a clean stop, or FZ_EIO (the address cannot
 * be bound: msg says why), FZ_EINVAL (an address that does not resolve),
 * FZ_ENOMEM. */
int serve_run(search *s, const char *db, const serve_opts *o, char *msg, size_t msglen);

#endif
