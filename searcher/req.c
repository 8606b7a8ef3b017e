/*
 * req.c -- routes and parameters of the reading room's requests (see
 * req.h).
 */
#include "req.h"

#include <string.h>

#include "../common/fz.h"

static const struct {
    const char *path;
    req_route route;
} routes[] = {
    {"/", REQ_HOME},          {"/help", REQ_HELP},           {"/search", REQ_SEARCH},
    {"/kwic", REQ_KWIC},      {"/export.csv", REQ_CSV},      {"/export.jsonl", REQ_JSONL},
    {"/api/search", REQ_API}, {"/style.css", REQ_STYLE},
};

static const char *const fold_names[] = {"none", "ts", "variants"};
static const char *const sort_names[] = {"score", "source", "left", "right"};

const char *req_fold_name(tok_fold f) { return (unsigned)f < 3 ? fold_names[f] : "variants"; }
const char *req_sort_name(req_sort s) { return (unsigned)s < 4 ? sort_names[s] : "score"; }

/* A decimal number of at most max without sign or leading zeros, taking
 * all of s[0..n); -1 otherwise. */
static int parse_num(const char *s, size_t n, uint32_t max, uint32_t *v)
{
    if (n == 0 || n > 10 || (n > 1 && s[0] == '0'))
        return -1;
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        x = x * 10 + (uint64_t)(s[i] - '0');
    }
    if (x > max)
        return -1;
    *v = (uint32_t)x;
    return 0;
}

int req_init(req *r, const char *path)
{
    memset(r, 0, sizeof *r);
    r->fold = TOK_FOLD_VARIANTS;
    r->page = 1;
    r->sort = REQ_SORT_SCORE;
    r->route = REQ_NOTFOUND;
    if (!path)
        return FZ_ENOTFOUND;
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
        if (!strcmp(path, routes[i].path)) {
            r->route = routes[i].route;
            return 0;
        }
    static const char entry[] = "/entry/";
    if (!strncmp(path, entry, sizeof entry - 1) &&
        parse_num(path + sizeof entry - 1, strlen(path + sizeof entry - 1), UINT32_MAX, &r->id) == 0) {
        r->route = REQ_ENTRY;
        return 0;
    }
    return FZ_ENOTFOUND;
}

/* The index of val[0..n) among names[0..count), or -1. */
static int pick(const char *const *names, int count, const char *val, size_t n)
{
    for (int i = 0; i < count; i++)
        if (strlen(names[i]) == n && !memcmp(names[i], val, n))
            return i;
    return -1;
}

int req_param(req *r, const char *key, const char *val, size_t vlen, char *msg, size_t msglen)
{
    if (!val)
        val = "", vlen = 0;
    if (!strcmp(key, "q")) {
        if (vlen > REQ_MAX_QUERY) {
            fz_msg(msg, msglen, "query too long: %zu bytes, at most %d", vlen, REQ_MAX_QUERY);
            return FZ_ELIMIT;
        }
        if (fz_utf8_check((const unsigned char *)val, vlen) != vlen) {
            fz_msg(msg, msglen, "the query is not valid UTF-8");
            return FZ_EINVAL;
        }
        r->q = val;
        r->qlen = vlen;
    } else if (!strcmp(key, "fold")) {
        int i = pick(fold_names, 3, val, vlen);
        if (i < 0) {
            fz_msg(msg, msglen, "fold: not one of variants, ts, none");
            return FZ_EINVAL;
        }
        r->fold = (tok_fold)i;
    } else if (!strcmp(key, "page")) {
        uint32_t p;
        if (parse_num(val, vlen, REQ_MAX_PAGE, &p) || p == 0) {
            fz_msg(msg, msglen, "page: not a number from 1 to %d", REQ_MAX_PAGE);
            return FZ_EINVAL;
        }
        r->page = p;
    } else if (!strcmp(key, "sort")) {
        int i = pick(sort_names, 4, val, vlen);
        if (i < 0) {
            fz_msg(msg, msglen, "sort: not one of score, source, left, right");
            return FZ_EINVAL;
        }
        r->sort = (req_sort)i;
    }
    return 0;
}
