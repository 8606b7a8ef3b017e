/*
 * fuzz_req -- libFuzzer target for the reading room's request parameters
 * (searcher/req.h) and the escaping they go through (html.h).
 *
 * The input's first line is the path; the rest is parameters "key=value"
 * separated by '&', taken as bytes (libmicrohttpd hands the server decoded
 * values, which may hold any byte).  Checks req.h's promises: a route from
 * the list or REQ_NOTFOUND, an id only for /entry/; after each parameter
 * q is at most REQ_MAX_QUERY bytes of valid UTF-8, fold, sort and page
 * within range; a refused parameter leaves the request as it was and says
 * why.  Then the query as the pages write it: html_text's output is valid
 * UTF-8 without < > " ' or a control character but tab and line breaks,
 * and html_url's holds only unreserved characters and %XX.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fz.h"
#include "html.h"
#include "req.h"

static void check_req(const req *r)
{
    if (r->route > REQ_NOTFOUND || (r->route != REQ_ENTRY && r->id))
        abort();
    if (r->q && (r->qlen > REQ_MAX_QUERY || fz_utf8_check((const unsigned char *)r->q, r->qlen) != r->qlen))
        abort();
    if ((unsigned)r->fold > TOK_FOLD_VARIANTS || (unsigned)r->sort > REQ_SORT_RIGHT || r->page < 1 ||
        r->page > REQ_MAX_PAGE)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data, *end = s + size;
    const char *nl = memchr(s, '\n', size);
    size_t plen = nl ? (size_t)(nl - s) : size;
    char *path = malloc(plen + 1);
    if (!path)
        return 0;
    memcpy(path, s, plen);
    path[plen] = 0;
    req r;
    int rc = req_init(&r, path);
    if ((rc == 0) != (r.route != REQ_NOTFOUND) || (rc && rc != FZ_ENOTFOUND))
        abort();
    if (r.route == REQ_ENTRY && strncmp(path, "/entry/", 7))
        abort();
    check_req(&r);
    const char *p = nl ? nl + 1 : end;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(stop - p));
        size_t klen = (size_t)((eq ? eq : stop) - p);
        char *key = malloc(klen + 1);
        if (!key)
            break;
        memcpy(key, p, klen);
        key[klen] = 0;
        req before = r;
        char msg[256] = "";
        rc = req_param(&r, key, eq ? eq + 1 : NULL, eq ? (size_t)(stop - eq - 1) : 0, msg, sizeof msg);
        if (rc && (memcmp(&before, &r, sizeof r) || !msg[0] || (rc != FZ_EINVAL && rc != FZ_ELIMIT)))
            abort();
        free(key);
        check_req(&r);
        p = stop + (amp ? 1 : 0);
    }
    if (r.q) {
        html h = {{0}, 0};
        html_text(&h, r.q, r.qlen);
        for (size_t i = 0; i < h.b.len; i++) {
            unsigned char c = (unsigned char)h.b.p[i];
            if (c == '<' || c == '>' || c == '"' || c == '\'' || (c < 0x20 && c != '\t' && c != '\n' && c != '\r') ||
                c == 0x7f)
                abort();
        }
        if (h.err || fz_utf8_check((const unsigned char *)h.b.p, h.b.len) != h.b.len)
            abort();
        h.b.len = 0;
        html_url(&h, r.q, r.qlen);
        for (size_t i = 0; i < h.b.len; i++) {
            char c = h.b.p[i];
            if (!(c == '%' || c == '-' || c == '.' || c == '_' || c == '~' || (c >= '0' && c <= '9') ||
                  (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')))
                abort();
        }
        fz_buf_free(&h.b);
    }
    free(path);
    return 0;
}
