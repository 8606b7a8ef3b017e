/*
 * serve.c -- the reading room's routes over libmicrohttpd (see serve.h),
 * which it calls through the table httpd.h opens.
 */
#include "serve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "group.h"
#include "html.h"
#include "httpd.h"
#include "kwic.h"
#include "out.h"
#include "query.h"
#include "req.h"

#define PROG "fzsearch"
#define SNIPPET_WIDTH 110
#define FACET_ROWS 12

/* The server: a pool of search handles, one per pool thread. */
typedef struct {
    const httpd *h; /* libmicrohttpd */
    search *base;
    search **pool;
    size_t npool, nfree;
    search **free_list;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    uint64_t time_limit_ns;
} server;

static search *take(server *sv)
{
    pthread_mutex_lock(&sv->mu);
    while (!sv->nfree)
        pthread_cond_wait(&sv->cv, &sv->mu);
    search *s = sv->free_list[--sv->nfree];
    pthread_mutex_unlock(&sv->mu);
    return s;
}

static void give(server *sv, search *s)
{
    pthread_mutex_lock(&sv->mu);
    sv->free_list[sv->nfree++] = s;
    pthread_cond_signal(&sv->cv);
    pthread_mutex_unlock(&sv->mu);
}

/* ------------------------------------------------------------- responses */

/* Sends body (taken: freed by libmicrohttpd) with status and type. */
static enum MHD_Result send_buf(struct MHD_Connection *c, const server *sv, unsigned status, const char *type,
                                fz_buf *body, const char *disposition)
{
    if (!body->p && fz_buf_reserve(body, 1))
        return MHD_NO;
    struct MHD_Response *r = sv->h->create_response_from_buffer(body->len, body->p, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        fz_buf_free(body);
        return MHD_NO;
    }
    body->p = NULL;
    body->len = body->cap = 0;
    sv->h->add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    sv->h->add_response_header(r, "X-Content-Type-Options", "nosniff");
    sv->h->add_response_header(r, "Referrer-Policy", "no-referrer");
    sv->h->add_response_header(r, "Content-Security-Policy",
                            "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; "
                            "base-uri 'none'");
    if (disposition)
        sv->h->add_response_header(r, "Content-Disposition", disposition);
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
        sv->h->add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    if (!strcmp(type, "text/css; charset=utf-8"))
        sv->h->add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "max-age=86400");
    enum MHD_Result rc = sv->h->queue_response(c, status, r);
    sv->h->destroy_response(r);
    return rc;
}

#define HTML_TYPE "text/html; charset=utf-8"

/* A whole page: the frame around body, titled title. */
static enum MHD_Result send_page(struct MHD_Connection *c, server *sv, unsigned status, const char *title,
                                 size_t tlen, const html_form *f, html *body)
{
    html p = {{0}, 0};
    html_begin(&p, title, tlen, f);
    html_raw(&p, body->b.p ? body->b.p : "", body->b.len);
    html_end(&p, search_entries(sv->base));
    int err = p.err || body->err;
    fz_buf_free(&body->b);
    if (err) {
        fz_buf_free(&p.b);
        return MHD_NO; /* out of memory: drop the connection */
    }
    return send_buf(c, sv, status, HTML_TYPE, &p.b, NULL);
}

static enum MHD_Result send_error(struct MHD_Connection *c, server *sv, unsigned status, const char *msg,
                                  const html_form *f)
{
    html body = {{0}, 0};
    html_error(&body, (int)status, msg);
    static const char *const titles[] = {"出错"};
    return send_page(c, sv, status, titles[0], strlen(titles[0]), f, &body);
}

/* ---------------------------------------------------------------- search */

/* What one request asks and the query it carries, parsed. */
typedef struct {
    server *sv;
    search *s;
    struct MHD_Connection *c;
    req r;
    html_form f;
    fz_arena *arena;
    query_node *root;
    char msg[640];
} job;

/* Parses the query: 0, or an error response queued (*res set). */
static int parse_query(job *j, enum MHD_Result *res)
{
    if (!j->r.q) {
        *res = send_error(j->c, j->sv, MHD_HTTP_BAD_REQUEST, PROG ": no query given", &j->f);
        return -1;
    }
    int err = 0;
    uint32_t col = 0;
    char m[512] = "";
    j->root = query_parse(j->r.q, j->r.qlen, j->arena, &err, &col, m, sizeof m);
    if (!j->root) {
        char line[600];
        query_error_text(err, m, col, line, sizeof line);
        snprintf(j->msg, sizeof j->msg, PROG ": %s", line);
        *res = send_error(j->c, j->sv, err == FZ_ENOMEM ? MHD_HTTP_SERVICE_UNAVAILABLE : MHD_HTTP_BAD_REQUEST, j->msg,
                          &j->f);
        return -1;
    }
    return 0;
}

static void opts_for(job *j, search_opts *o)
{
    memset(o, 0, sizeof *o);
    o->fold = j->r.fold;
    o->deadline_ns = search_now_ns() + j->sv->time_limit_ns;
    o->sort = j->r.sort == REQ_SORT_SOURCE ? SEARCH_SORT_SOURCE : SEARCH_SORT_SCORE;
}

/* Runs the search; on failure queues the error response. */
static int run(job *j, const search_opts *o, search_hit_fn fn, void *ctx, search_counts *cnt, enum MHD_Result *res)
{
    char m[512] = "";
    int rc = search_run(j->s, j->root, o, fn, ctx, cnt, m, sizeof m);
    if (!rc)
        return 0;
    unsigned status = cnt->timed_out ? MHD_HTTP_SERVICE_UNAVAILABLE
                      : rc == FZ_ESYNTAX || rc == FZ_ELIMIT ? MHD_HTTP_BAD_REQUEST
                      : rc == FZ_ENOMEM ? MHD_HTTP_SERVICE_UNAVAILABLE
                                        : MHD_HTTP_INTERNAL_SERVER_ERROR;
    snprintf(j->msg, sizeof j->msg, PROG ": %s", m[0] ? m : fz_strerror(rc));
    *res = send_error(j->c, j->sv, status, j->msg, &j->f);
    return -1;
}

typedef struct {
    html *h;
    const html_form *f;
} hits_ctx;

static int on_html_hit(void *p, const search_hit *hit)
{
    hits_ctx *x = p;
    html_hit(x->h, hit, x->f, SNIPPET_WIDTH);
    return x->h->err;
}

/* The side panel's groupings: volume, section, author. */
#define NFACETS 3
typedef struct {
    group *by[NFACETS];
} facet_ctx;

static int on_facet(void *p, const search_hit *hit)
{
    facet_ctx *x = p;
    for (int i = 0; i < NFACETS; i++) {
        int rc = group_add(x->by[i], hit);
        if (rc)
            return rc;
    }
    return 0;
}

static enum MHD_Result page_search(job *j)
{
    enum MHD_Result res;
    if (!j->r.q || !j->r.qlen) {
        html body = {{0}, 0};
        html_home(&body, search_entries(j->sv->base));
        return send_page(j->c, j->sv, MHD_HTTP_OK, NULL, 0, &j->f, &body);
    }
    if (parse_query(j, &res))
        return res;
    html hits = {{0}, 0}, body = {{0}, 0};
    /* the side panel counts per volume, section and author the best hits
     * by score, which the page's run hands over before the page's hits */
    facet_ctx fx = {{group_create(GROUP_VOLUME), group_create(GROUP_SECTION), group_create(GROUP_AUTHOR)}};
    int ok = fx.by[0] && fx.by[1] && fx.by[2];
    search_opts o;
    opts_for(j, &o);
    o.limit = REQ_PAGE_SIZE;
    o.offset = (j->r.page - 1) * REQ_PAGE_SIZE;
    o.exact_entries = 1;
    if (ok) {
        o.sample = SERVE_FACET_SAMPLE;
        o.sample_fn = on_facet;
        o.sample_ctx = &fx;
    }
    const uint32_t offset = o.offset;
    search_counts cnt = {0};
    hits_ctx hx = {&hits, &j->f};
    if (run(j, &o, on_html_hit, &hx, &cnt, &res)) {
        for (int i = 0; i < NFACETS; i++)
            group_destroy(fx.by[i]);
        fz_buf_free(&hits.b);
        return res;
    }
    uint32_t first = offset + 1, last = offset + cnt.returned;
    uint64_t npages64 = (cnt.entries + REQ_PAGE_SIZE - 1) / REQ_PAGE_SIZE;
    uint32_t npages = npages64 > REQ_MAX_PAGE ? REQ_MAX_PAGE : (uint32_t)npages64;
    html_raw(&body, "<div class=\"layout\">\n<section class=\"results\">\n", 46);
    html_summary(&body, &j->f, cnt.entries, cnt.returned ? first : 0, cnt.returned ? last : 0);
    if (!cnt.entries)
        html_raw(&body, "<p class=\"none\">没有找到。可试：减少字词，换用繁体或简体，或查看<a href=\"/help\">检索语法</a>。</p>\n",
                 strlen("<p class=\"none\">没有找到。可试：减少字词，换用繁体或简体，或查看<a href=\"/help\">检索语法</a>。</p>\n"));
    if (cnt.returned) {
        html_hits_begin(&body, first);
        html_raw(&body, hits.b.p, hits.b.len);
        html_hits_end(&body);
    }
    html_pager(&body, &j->f, "/search", j->r.page, npages);
    html_raw(&body, "</section>\n", 11);
    if (ok && cnt.entries) {
        for (int i = 0; i < NFACETS; i++)
            group_sort(fx.by[i]);
        html_facets_begin(&body, cnt.entries > cnt.sampled ? cnt.sampled : 0);
        html_facet(&body, "卷册", fx.by[0], "volume", &j->f, FACET_ROWS);
        html_facet(&body, "篇章", fx.by[1], "section", &j->f, FACET_ROWS);
        html_facet(&body, "作者", fx.by[2], "author", &j->f, FACET_ROWS);
        html_facets_end(&body);
    }
    html_raw(&body, "</div>\n", 7);
    if (hits.err)
        body.err = hits.err;
    fz_buf_free(&hits.b);
    for (int i = 0; i < NFACETS; i++)
        group_destroy(fx.by[i]);
    return send_page(j->c, j->sv, MHD_HTTP_OK, j->r.q, j->r.qlen, &j->f, &body);
}

static int on_kwic(void *p, const search_hit *hit) { return kwic_add(p, hit); }

static enum MHD_Result page_kwic(job *j)
{
    enum MHD_Result res;
    if (parse_query(j, &res))
        return res;
    kwic_order order = j->r.sort == REQ_SORT_LEFT    ? KWIC_ORDER_LEFT
                       : j->r.sort == REQ_SORT_RIGHT ? KWIC_ORDER_RIGHT
                                                     : KWIC_ORDER_HITS;
    kwic *k = kwic_create(KWIC_CONTEXT_DEFAULT, order);
    if (!k)
        return MHD_NO;
    search_opts o;
    opts_for(j, &o);
    o.limit = SERVE_KWIC_ENTRIES;
    o.exact_entries = 1;
    search_counts cnt = {0};
    if (run(j, &o, on_kwic, k, &cnt, &res)) {
        kwic_destroy(k);
        return res;
    }
    kwic_sort(k);
    html body = {{0}, 0};
    html_kwic(&body, k, &j->f, j->r.sort, cnt.entries, cnt.returned);
    kwic_destroy(k);
    return send_page(j->c, j->sv, MHD_HTTP_OK, j->r.q, j->r.qlen, &j->f, &body);
}

/* The entry page. */
typedef struct {
    uint32_t file_id;
    int found;
    html *h;
    const html_form *f;
    uint32_t prev, next;
    fz_buf title;
} entry_ctx;

static int on_entry_meta(void *p, const search_hit *hit)
{
    entry_ctx *x = p;
    x->found = 1;
    x->file_id = hit->e->file_id;
    return fz_buf_append(&x->title, hit->e->title, hit->e->title_len);
}

static int on_neighbour(void *p, const search_hit *hit)
{
    entry_ctx *x = p;
    x->found = hit->e->file_id == x->file_id;
    return 0;
}

static int on_entry(void *p, const search_hit *hit)
{
    entry_ctx *x = p;
    x->found = 1;
    html_entry(x->h, hit, x->f, x->prev, x->next);
    return x->h->err;
}

static enum MHD_Result page_entry(job *j)
{
    enum MHD_Result res;
    char m[256] = "";
    entry_ctx x = {0};
    int rc = search_show(j->s, j->r.id, on_entry_meta, &x, m, sizeof m);
    if (rc == FZ_ENOTFOUND) {
        snprintf(j->msg, sizeof j->msg, PROG ": no entry with id %u", j->r.id);
        fz_buf_free(&x.title);
        return send_error(j->c, j->sv, MHD_HTTP_NOT_FOUND, j->msg, &j->f);
    }
    if (rc) {
        snprintf(j->msg, sizeof j->msg, PROG ": %s", m[0] ? m : fz_strerror(rc));
        fz_buf_free(&x.title);
        return send_error(j->c, j->sv, MHD_HTTP_INTERNAL_SERVER_ERROR, j->msg, &j->f);
    }
    /* the neighbours in the same volume (until the index records volumes:
     * the same source file) */
    uint32_t nb[2] = {j->r.id - 1, j->r.id + 1};
    for (int i = 0; i < 2; i++) {
        if ((i == 0 && j->r.id == 0) || (i == 1 && j->r.id == UINT32_MAX))
            continue;
        x.found = 0;
        if (search_show(j->s, nb[i], on_neighbour, &x, m, sizeof m) == 0 && x.found)
            *(i ? &x.next : &x.prev) = nb[i] + 1;
    }
    html body = {{0}, 0};
    x.h = &body;
    x.f = &j->f;
    x.found = 0;
    if (j->r.q && j->r.qlen) {
        int err = 0;
        uint32_t col = 0;
        j->root = query_parse(j->r.q, j->r.qlen, j->arena, &err, &col, NULL, 0);
        if (j->root) {
            search_opts o;
            opts_for(j, &o);
            o.one = 1;
            o.one_id = j->r.id;
            o.limit = 1;
            search_counts cnt = {0};
            search_run(j->s, j->root, &o, on_entry, &x, &cnt, m, sizeof m); /* no marks on failure */
        }
    }
    if (!x.found) {
        body.b.len = 0;
        body.err = 0;
        rc = search_show(j->s, j->r.id, on_entry, &x, m, sizeof m);
    }
    res = send_page(j->c, j->sv, rc ? MHD_HTTP_INTERNAL_SERVER_ERROR : MHD_HTTP_OK, x.title.p ? x.title.p : "",
                    x.title.len, &j->f, &body);
    fz_buf_free(&x.title);
    return res;
}

/* The exports and the API: out.c's writers into memory. */
typedef struct {
    out *o;
} export_ctx;

static int on_export(void *p, const search_hit *hit) { return out_hit(((export_ctx *)p)->o, hit, 0); }

static enum MHD_Result page_export(job *j, out_format fmt, int api)
{
    enum MHD_Result res;
    if (parse_query(j, &res))
        return res;
    char *mem = NULL;
    size_t memlen = 0;
    FILE *f = open_memstream(&mem, &memlen);
    if (!f)
        return MHD_NO;
    export_ctx x = {out_create(f, fmt, 0, 1, 80)};
    if (!x.o) {
        fclose(f);
        free(mem);
        return MHD_NO;
    }
    search_opts o;
    opts_for(j, &o);
    if (api) {
        o.limit = REQ_PAGE_SIZE;
        o.offset = (j->r.page - 1) * REQ_PAGE_SIZE;
    }
    search_counts cnt = {0};
    int rc = out_header(x.o, 0);
    if (!rc && run(j, &o, on_export, &x, &cnt, &res)) {
        out_destroy(x.o);
        fclose(f);
        free(mem);
        return res;
    }
    out_destroy(x.o);
    if (fclose(f) || rc) {
        free(mem);
        return MHD_NO;
    }
    fz_buf b = {mem, memlen, memlen + 1};
    const char *type = fmt == OUT_CSV ? "text/csv; charset=utf-8" : api ? "application/x-ndjson; charset=utf-8"
                                                                       : "application/x-ndjson; charset=utf-8";
    const char *disp = api ? NULL
                       : fmt == OUT_CSV ? "attachment; filename=\"fangzhi.csv\""
                                        : "attachment; filename=\"fangzhi.jsonl\"";
    return send_buf(j->c, j->sv, MHD_HTTP_OK, type, &b, disp);
}

/* ---------------------------------------------------------------- router */

typedef struct {
    req *r;
    int rc;
    size_t bytes;
    char *msg;
    size_t msglen;
} args_ctx;

static enum MHD_Result on_arg(void *p, enum MHD_ValueKind kind, const char *key, size_t klen, const char *val,
                              size_t vlen)
{
    args_ctx *a = p;
    a->bytes += klen + vlen + 2;
    if (a->rc || !key)
        return MHD_YES;
    a->rc = req_param(a->r, key, val, val ? vlen : 0, a->msg, a->msglen);
    return MHD_YES;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                              const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    server *sv = cls;
    html_form none = {NULL, 0, TOK_FOLD_VARIANTS};
    /* anything but GET and HEAD is refused at once, before its body is
     * read (libmicrohttpd then closes the connection) */
    if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
        return send_error(c, sv, MHD_HTTP_METHOD_NOT_ALLOWED,
                          PROG ": the reading room is read-only: only GET and HEAD are answered", &none);
    static const char seen = 1;
    if (!*con_cls) {
        /* the first call comes with the headers; answering then would make
         * libmicrohttpd close the connection (a body might follow) */
        *con_cls = (void *)&seen;
        return MHD_YES;
    }
    if (*upload_size) {
        *upload_size = 0; /* a GET with a body: the body is ignored */
        return MHD_YES;
    }
    job j = {0};
    j.sv = sv;
    j.c = c;
    j.f = none;
    req_init(&j.r, url);
    args_ctx a = {&j.r, 0, strlen(url), j.msg, sizeof j.msg};
    sv->h->get_connection_values_n(c, MHD_GET_ARGUMENT_KIND, on_arg, &a);
    j.f.q = j.r.q;
    j.f.qlen = j.r.qlen;
    j.f.fold = j.r.fold;
    if (a.bytes > REQ_MAX_URL) {
        snprintf(j.msg, sizeof j.msg, PROG ": the address is too long: at most %d bytes", REQ_MAX_URL);
        return send_error(c, sv, MHD_HTTP_URI_TOO_LONG, j.msg, &none);
    }
    if (j.r.route == REQ_NOTFOUND)
        return send_error(c, sv, MHD_HTTP_NOT_FOUND, PROG ": no such page", &j.f);
    if (a.rc) {
        char line[700];
        snprintf(line, sizeof line, PROG ": %s", j.msg);
        return send_error(c, sv, MHD_HTTP_BAD_REQUEST, line, &j.f);
    }
    if (j.r.route == REQ_STYLE) {
        fz_buf b = {0};
        if (fz_buf_puts(&b, html_css()))
            return MHD_NO;
        return send_buf(c, sv, MHD_HTTP_OK, "text/css; charset=utf-8", &b, NULL);
    }
    if (j.r.route == REQ_HOME || j.r.route == REQ_HELP) {
        html body = {{0}, 0};
        if (j.r.route == REQ_HOME)
            html_home(&body, search_entries(sv->base));
        else
            html_help(&body);
        return send_page(c, sv, MHD_HTTP_OK, j.r.route == REQ_HELP ? "检索语法" : NULL,
                         j.r.route == REQ_HELP ? strlen("检索语法") : 0, &j.f, &body);
    }
    if (!(j.arena = fz_arena_create()))
        return MHD_NO;
    j.s = take(sv);
    enum MHD_Result res;
    switch (j.r.route) {
    case REQ_SEARCH: res = page_search(&j); break;
    case REQ_KWIC: res = page_kwic(&j); break;
    case REQ_ENTRY: res = page_entry(&j); break;
    case REQ_CSV: res = page_export(&j, OUT_CSV, 0); break;
    case REQ_JSONL: res = page_export(&j, OUT_JSON, 0); break;
    default: res = page_export(&j, OUT_JSON, 1); break;
    }
    give(sv, j.s);
    fz_arena_destroy(j.arena);
    return res;
}

/* ---------------------------------------------------------------- daemon */

int serve_parse_addr(const char *spec, serve_opts *o, char *msg, size_t msglen)
{
    snprintf(o->host, sizeof o->host, "%s", SERVE_DEFAULT_HOST);
    o->port = SERVE_DEFAULT_PORT;
    if (!spec)
        return 0;
    const char *port = spec;
    if (spec[0] == '[') {
        const char *e = strchr(spec, ']');
        if (!e || e[1] != ':' || (size_t)(e - spec - 1) >= sizeof o->host) {
            fz_msg(msg, msglen, "--serve %s: write an IPv6 address as [ADDR]:PORT", spec);
            return FZ_EINVAL;
        }
        memcpy(o->host, spec + 1, (size_t)(e - spec - 1));
        o->host[e - spec - 1] = 0;
        port = e + 2;
    } else {
        const char *colon = strrchr(spec, ':');
        if (colon) {
            if (colon == spec || (size_t)(colon - spec) >= sizeof o->host || memchr(spec, ':', (size_t)(colon - spec))) {
                fz_msg(msg, msglen, "--serve %s: not [ADDR:]PORT", spec);
                return FZ_EINVAL;
            }
            memcpy(o->host, spec, (size_t)(colon - spec));
            o->host[colon - spec] = 0;
            port = colon + 1;
        }
    }
    char *end;
    errno = 0;
    unsigned long p = strtoul(port, &end, 10);
    if (!*port || *end || errno || p > 65535 || port[0] == '-' || port[0] == '+') {
        fz_msg(msg, msglen, "--serve %s: '%s' is not a port number (0-65535)", spec, port);
        return FZ_EINVAL;
    }
    o->port = (uint16_t)p;
    return 0;
}

static int is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
    if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        if (IN6_IS_ADDR_LOOPBACK(a))
            return 1;
        return IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127;
    }
    return 0;
}

int serve_run(search *s, const char *db, const serve_opts *o, char *msg, size_t msglen)
{
    struct addrinfo hints = {0}, *ai = NULL;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    char portstr[8];
    snprintf(portstr, sizeof portstr, "%u", o->port);
    int gai = getaddrinfo(o->host, portstr, &hints, &ai);
    if (gai || !ai) {
        fz_msg(msg, msglen, "--serve: address '%s': %s", o->host, gai ? gai_strerror(gai) : "not found");
        return FZ_EINVAL;
    }
    httpd *h;
    int rc = httpd_open(NULL, &h, msg, msglen);
    if (rc) {
        freeaddrinfo(ai);
        return rc;
    }
    server sv = {0};
    sv.h = h;
    sv.base = s;
    sv.time_limit_ns = (uint64_t)(o->time_limit_ms ? o->time_limit_ms : SERVE_TIME_LIMIT_MS) * 1000000u;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    /* more threads than cores: a slow search then delays the pages behind it
     * less (the kernel shares the cores among them) */
    unsigned threads = o->threads ? o->threads : ncpu > 1 ? (unsigned)(ncpu < 16 ? 4 * ncpu : 64) : 4;
    sv.npool = threads;
    sv.pool = calloc(threads, sizeof *sv.pool);
    sv.free_list = calloc(threads, sizeof *sv.free_list);
    rc = sv.pool && sv.free_list ? 0 : FZ_ENOMEM;
    for (size_t i = 0; i < threads && !rc; i++)
        if (!(rc = search_clone(s, &sv.pool[i])))
            sv.free_list[sv.nfree++] = sv.pool[i];
    pthread_mutex_init(&sv.mu, NULL);
    pthread_cond_init(&sv.cv, NULL);
    /* the pool threads inherit this mask: the signals come to sigwait */
    sigset_t stop, old;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, &old);
    struct MHD_Daemon *d = NULL;
    if (!rc) {
        unsigned flags = MHD_USE_AUTO | MHD_USE_INTERNAL_POLLING_THREAD | (ai->ai_family == AF_INET6 ? MHD_USE_IPv6 : 0);
        d = sv.h->start_daemon(flags, o->port, NULL, NULL, handle, &sv, MHD_OPTION_SOCK_ADDR, ai->ai_addr,
                               MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_CONNECTION_LIMIT,
                               (unsigned)SERVE_MAX_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT,
                               (unsigned)SERVE_IDLE_SECONDS, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
                               MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u, MHD_OPTION_END);
        if (!d) {
            fz_msg(msg, msglen, "--serve: cannot listen on %s port %u: %s", o->host, o->port,
                   errno ? strerror(errno) : "address in use or not available");
            rc = FZ_EIO;
        }
    }
    if (!rc) {
        const union MHD_DaemonInfo *info = sv.h->get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
        unsigned port = info ? info->port : o->port;
        int v6 = ai->ai_family == AF_INET6;
        char shown[INET6_ADDRSTRLEN] = "";
        getnameinfo(ai->ai_addr, ai->ai_addrlen, shown, sizeof shown, NULL, 0, NI_NUMERICHOST);
        if (!is_loopback(ai->ai_addr))
            fprintf(stderr,
                    PROG ": warning: listening on %s, not a loopback address: anyone who can reach this "
                         "machine can read the whole archive\n",
                    shown);
        printf("serving %s at http://%s%s%s:%u/ (Ctrl-C stops)\n", db, v6 ? "[" : "", shown, v6 ? "]" : "", port);
        fflush(stdout);
        int sig = 0;
        sigwait(&stop, &sig);
        sv.h->stop_daemon(d);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    for (size_t i = 0; i < sv.npool; i++)
        search_close(sv.pool[i]);
    free(sv.pool);
    free(sv.free_list);
    pthread_mutex_destroy(&sv.mu);
    pthread_cond_destroy(&sv.cv);
    httpd_close(h);
    freeaddrinfo(ai);
    return rc;
}
