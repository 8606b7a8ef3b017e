/*
 * test_req -- the reading room's routes and request parameters (req.h):
 * every route, entry ids at their limits, each parameter's accepted and
 * refused values, the 1 KB query limit, UTF-8, and that a refused value
 * leaves the request as it was.
 */
#include <string.h>

#include "fz.h"
#include "req.h"
#include "t.h"

TEST(routes)
{
    req r;
    static const struct {
        const char *path;
        req_route route;
    } ok[] = {{"/", REQ_HOME},          {"/help", REQ_HELP},          {"/search", REQ_SEARCH},
              {"/kwic", REQ_KWIC},      {"/export.csv", REQ_CSV},     {"/export.jsonl", REQ_JSONL},
              {"/api/search", REQ_API}, {"/style.css", REQ_STYLE},    {"/entry/44", REQ_ENTRY}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        CHECK_EQ_INT(req_init(&r, ok[i].path), 0);
        CHECK_EQ_INT(r.route, ok[i].route);
    }
    CHECK_EQ_INT(req_init(&r, "/entry/0"), 0);
    CHECK_EQ_INT(r.id, 0);
    CHECK_EQ_INT(req_init(&r, "/entry/4294967295"), 0);
    CHECK_EQ_INT(r.id, 4294967295u);
    static const char *const bad[] = {"/entry/4294967296", "/entry/", "/entry/-1", "/entry/+1", "/entry/01",
                                      "/entry/1x", "/entry/1/", "/Search", "/search/", "//", "", "/data.mdb",
                                      "/../etc/passwd", "/entry/99999999999", "/help?"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_EQ_INT(req_init(&r, bad[i]), FZ_ENOTFOUND);
        CHECK_EQ_INT(r.route, REQ_NOTFOUND);
    }
    CHECK_EQ_INT(req_init(&r, NULL), FZ_ENOTFOUND);
}

TEST(defaults_and_values)
{
    req r;
    char msg[200];
    req_init(&r, "/search");
    CHECK(r.q == NULL);
    CHECK_EQ_INT(r.fold, TOK_FOLD_VARIANTS);
    CHECK_EQ_INT(r.page, 1);
    CHECK_EQ_INT(r.sort, REQ_SORT_SCORE);
    CHECK_EQ_INT(req_param(&r, "q", "井长制", strlen("井长制"), msg, sizeof msg), 0);
    CHECK_EQ_MEM(r.q, r.qlen, "井长制");
    CHECK_EQ_INT(req_param(&r, "fold", "ts", 2, msg, sizeof msg), 0);
    CHECK_EQ_INT(r.fold, TOK_FOLD_TS);
    CHECK_EQ_INT(req_param(&r, "fold", "none", 4, msg, sizeof msg), 0);
    CHECK_EQ_INT(r.fold, TOK_FOLD_NONE);
    CHECK_EQ_INT(req_param(&r, "page", "1000", 4, msg, sizeof msg), 0);
    CHECK_EQ_INT(r.page, 1000);
    CHECK_EQ_INT(req_param(&r, "sort", "left", 4, msg, sizeof msg), 0);
    CHECK_EQ_INT(r.sort, REQ_SORT_LEFT);
    CHECK_EQ_INT(req_param(&r, "sort", "right", 5, msg, sizeof msg), 0);
    CHECK_EQ_INT(r.sort, REQ_SORT_RIGHT);
    CHECK_EQ_INT(req_param(&r, "sort", "source", 6, msg, sizeof msg), 0);
    CHECK_EQ_INT(r.sort, REQ_SORT_SOURCE);
    CHECK_EQ_INT(req_param(&r, "other", "x", 1, msg, sizeof msg), 0); /* ignored */
    CHECK_EQ_INT(req_param(&r, "q", NULL, 0, msg, sizeof msg), 0);     /* "q" without '=' */
    CHECK_EQ_INT(r.qlen, 0);
    CHECK_EQ_STR(req_fold_name(TOK_FOLD_VARIANTS), "variants");
    CHECK_EQ_STR(req_sort_name(REQ_SORT_LEFT), "left");
}

TEST(refused)
{
    req r;
    char msg[200];
    req_init(&r, "/search");
    req_param(&r, "q", "ok", 2, msg, sizeof msg);
    req_param(&r, "page", "7", 1, msg, sizeof msg);
    static const char *const pages[] = {"0", "1001", "-1", "+2", "02", "1e3", "", " 5", "99999999999"};
    for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
        msg[0] = 0;
        CHECK_EQ_INT(req_param(&r, "page", pages[i], strlen(pages[i]), msg, sizeof msg), FZ_EINVAL);
        CHECK(strstr(msg, "page") != NULL);
        CHECK_EQ_INT(r.page, 7);
    }
    CHECK_EQ_INT(req_param(&r, "fold", "TS", 2, msg, sizeof msg), FZ_EINVAL);
    CHECK(strstr(msg, "fold") != NULL);
    CHECK_EQ_INT(req_param(&r, "fold", "ts\0x", 4, msg, sizeof msg), FZ_EINVAL);
    CHECK_EQ_INT(req_param(&r, "sort", "up", 2, msg, sizeof msg), FZ_EINVAL);
    CHECK_EQ_INT(r.fold, TOK_FOLD_VARIANTS);
    /* the query: 1 KB, valid UTF-8 */
    char big[REQ_MAX_QUERY + 1];
    memset(big, 'a', sizeof big);
    CHECK_EQ_INT(req_param(&r, "q", big, REQ_MAX_QUERY, msg, sizeof msg), 0);
    CHECK_EQ_INT(r.qlen, REQ_MAX_QUERY);
    CHECK_EQ_INT(req_param(&r, "q", "ok", 2, msg, sizeof msg), 0);
    CHECK_EQ_INT(req_param(&r, "q", big, REQ_MAX_QUERY + 1, msg, sizeof msg), FZ_ELIMIT);
    CHECK(strstr(msg, "too long") != NULL);
    CHECK_EQ_MEM(r.q, r.qlen, "ok");
    CHECK_EQ_INT(req_param(&r, "q", "\xff\xfe", 2, msg, sizeof msg), FZ_EINVAL);
    CHECK_EQ_INT(req_param(&r, "q", "\xe4\xba", 2, msg, sizeof msg), FZ_EINVAL); /* cut in a character */
    CHECK(strstr(msg, "UTF-8") != NULL);
    CHECK_EQ_MEM(r.q, r.qlen, "ok");
}

int main(void)
{
    t_run(routes);
    t_run(defaults_and_values);
    t_run(refused);
    return t_done("test_req");
}
