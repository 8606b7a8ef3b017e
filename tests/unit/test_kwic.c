/*
 * test_kwic.c -- the concordance (searcher/kwic.c) and the group counts
 * with their bar chart (searcher/group.c), on hand-made hits.
 */
#include "group.h"
#include "kwic.h"
#include "snip.h"
#include "t.h"

#include <stdlib.h>

/* A hit on a hand-made entry. */
typedef struct {
    store_entry e;
    search_hit h;
    search_span sp[8];
    const char *sec[2];
    size_t seclen[2];
    const char *au[2];
    size_t aulen[2];
} fake;

static void make(fake *f, uint32_t id, uint32_t line, const char *title, const char *body, const char *author)
{
    memset(f, 0, sizeof *f);
    f->e.id = id;
    f->e.line = line;
    f->e.title = title;
    f->e.title_len = strlen(title);
    f->e.body = body;
    f->e.body_len = strlen(body);
    f->sec[0] = "年度聚焦";
    f->seclen[0] = strlen(f->sec[0]);
    f->sec[1] = "城中村改造";
    f->seclen[1] = strlen(f->sec[1]);
    f->e.section = f->sec;
    f->e.section_len = f->seclen;
    f->e.nsection = 2;
    if (author) {
        f->au[0] = author;
        f->aulen[0] = strlen(author);
        f->e.authors = f->au;
        f->e.author_len = f->aulen;
        f->e.nauthors = 1;
    }
    f->h.e = &f->e;
    f->h.file = "/x/a.txt";
    f->h.file_len = 8;
    f->h.spans = f->sp;
}

/* Marks every occurrence of word in the body (field 1). */
static void mark(fake *f, const char *word)
{
    const char *p = f->e.body;
    while ((p = strstr(p, word)) != NULL && f->h.nspans < 8) {
        search_span *s = &f->sp[f->h.nspans++];
        s->field = 1;
        s->start = (uint32_t)(p - f->e.body);
        s->end = s->start + (uint32_t)strlen(word);
        p += strlen(word);
    }
    f->h.occurrences = (uint32_t)f->h.nspans;
}

/* Runs a writer into a memory buffer; returns the text (caller frees). */
static char *capture_kwic(kwic *k, out_format fmt, int color)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    CHECK_EQ_INT(kwic_write(k, m, fmt, color, 0, 0), 0);
    fclose(m);
    return buf;
}

static char *capture_group(group *g, out_format fmt, size_t width)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    CHECK_EQ_INT(group_write(g, m, fmt, 0, width, 0, 0), 0);
    fclose(m);
    return buf;
}

static void test_bounds(void)
{
    const char *t = "一二三四五六七八九十";  /* 3 bytes a character */
    size_t ls, re;
    kwic_bounds(t, strlen(t), 12, 15, 2, &ls, &re); /* 五 */
    CHECK_EQ_INT(ls, 6);
    CHECK_EQ_INT(re, 21);
    kwic_bounds(t, strlen(t), 3, 6, 5, &ls, &re); /* 二: clamped at the start */
    CHECK_EQ_INT(ls, 0);
    CHECK_EQ_INT(re, 21);
    kwic_bounds(t, strlen(t), 24, 30, 5, &ls, &re); /* 九十: clamped at the end */
    CHECK_EQ_INT(ls, 9);
    CHECK_EQ_INT(re, 30);
    kwic_bounds(t, strlen(t), 12, 15, 0, &ls, &re);
    CHECK_EQ_INT(ls, 12);
    CHECK_EQ_INT(re, 15);
    const char *m = "ab长c"; /* mixed widths count characters, not bytes */
    kwic_bounds(m, strlen(m), 5, 6, 2, &ls, &re);
    CHECK_EQ_INT(ls, 1);
    CHECK_EQ_INT(re, 6);
}

static void test_cmp_left(void)
{
    /* 一 U+4E00 < 二 U+4E8C < 三 U+4E09... by code point: 一 < 三 < 二 */
    CHECK(kwic_cmp_left("一二", 6, "三二", 6) < 0); /* same last character: the one before decides */
    CHECK(kwic_cmp_left("二一", 6, "一二", 6) < 0); /* the last character first: 一 < 二 */
    CHECK(kwic_cmp_left("乙", 3, "甲乙", 6) < 0);    /* a suffix sorts first */
    CHECK(kwic_cmp_left("甲乙", 6, "乙", 3) > 0);
    CHECK_EQ_INT(kwic_cmp_left("甲乙", 6, "甲乙", 6), 0);
    CHECK(kwic_cmp_left("", 0, "a", 1) < 0);
    CHECK(kwic_cmp_left("a,", 2, "b。", 4) < 0); /* ',' U+002C before 。 U+3002 */
}

static void test_kwic_rows(void)
{
    fake a, b;
    make(&a, 7, 100, "井长制", "推出窨井“井长制”管理模式。\n全区井长制推开", "徐杭");
    mark(&a, "井长制");
    a.sp[a.h.nspans].field = 0; /* plus the title, which comes first */
    memmove(a.sp + 1, a.sp, a.h.nspans * sizeof *a.sp);
    a.sp[0].field = 0;
    a.sp[0].start = 0;
    a.sp[0].end = 9;
    a.h.nspans++;
    make(&b, 9, 200, "治水", "示范街和井长制", NULL);
    mark(&b, "井长制");
    kwic *k = kwic_create(3, KWIC_ORDER_HITS);
    CHECK(k != NULL);
    CHECK_EQ_INT(kwic_add(k, &a.h), 0);
    CHECK_EQ_INT(kwic_add(k, &b.h), 0);
    CHECK_EQ_INT(kwic_rows(k), 4);
    char *s = capture_kwic(k, OUT_JSON, 0);
    const char *want =
        "{\"id\":7,\"file\":\"/x/a.txt\",\"line\":100,\"title\":\"井长制\",\"section\":[\"年度聚焦\",\"城中村改造\"],"
        "\"kind\":\"entry\",\"field\":\"title\",\"offset\":0,\"left\":\"\",\"match\":\"井长制\",\"right\":\"\"}\n"
        "{\"id\":7,\"file\":\"/x/a.txt\",\"line\":100,\"title\":\"井长制\",\"section\":[\"年度聚焦\",\"城中村改造\"],"
        "\"kind\":\"entry\",\"field\":\"body\",\"offset\":5,\"left\":\"窨井“\",\"match\":\"井长制\",\"right\":\"”管理\"}\n"
        "{\"id\":7,\"file\":\"/x/a.txt\",\"line\":100,\"title\":\"井长制\",\"section\":[\"年度聚焦\",\"城中村改造\"],"
        "\"kind\":\"entry\",\"field\":\"body\",\"offset\":17,\"left\":\" 全区\",\"match\":\"井长制\",\"right\":\"推开\"}\n"
        "{\"id\":9,\"file\":\"/x/a.txt\",\"line\":200,\"title\":\"治水\",\"section\":[\"年度聚焦\",\"城中村改造\"],"
        "\"kind\":\"entry\",\"field\":\"body\",\"offset\":4,\"left\":\"范街和\",\"match\":\"井长制\",\"right\":\"\"}\n";
    CHECK_EQ_STR(s, want);
    free(s);
    CHECK_EQ_INT(kwic_rows(k), 0); /* written rows are forgotten */

    /* the terminal: left right-aligned, columns as wide as the widest */
    kwic_add(k, &a.h);
    kwic_add(k, &b.h);
    s = capture_kwic(k, OUT_TERM, 0);
    const char *term =
        "       井长制        /x/a.txt:100  井长制\n"
        " 窨井“ 井长制 ”管理  /x/a.txt:100  井长制\n"
        "  全区 井长制 推开   /x/a.txt:100  井长制\n"
        "范街和 井长制        /x/a.txt:200  治水\n";
    CHECK_EQ_STR(s, term);
    free(s);

    /* sorted by the left context read leftwards: "" first, then by the last
     * character: “ (U+201C) < 区 (U+533A) < 和 (U+548C); the line break
     * before 全区 shows as a space */
    kwic_destroy(k);
    k = kwic_create(3, KWIC_ORDER_LEFT);
    kwic_add(k, &a.h);
    kwic_add(k, &b.h);
    s = capture_kwic(k, OUT_CSV, 0);
    CHECK_EQ_STR(s, "7,/x/a.txt,100,井长制,title,0,,井长制,\r\n"
                    "7,/x/a.txt,100,井长制,body,5,窨井“,井长制,”管理\r\n"
                    "7,/x/a.txt,100,井长制,body,17, 全区,井长制,推开\r\n"
                    "9,/x/a.txt,200,治水,body,4,范街和,井长制,\r\n");
    free(s);
    kwic_destroy(k);
    k = kwic_create(3, KWIC_ORDER_RIGHT);
    kwic_add(k, &a.h);
    kwic_add(k, &b.h);
    s = capture_kwic(k, OUT_TSV, 0);
    /* right contexts: "" "" "推开" "”管理": empty first (arrival order), then by code point */
    CHECK_EQ_STR(s, "7\t/x/a.txt\t100\t井长制\ttitle\t0\t\t井长制\t\n"
                    "9\t/x/a.txt\t200\t治水\tbody\t4\t范街和\t井长制\t\n"
                    "7\t/x/a.txt\t100\t井长制\tbody\t5\t窨井“\t井长制\t”管理\n"
                    "7\t/x/a.txt\t100\t井长制\tbody\t17\t 全区\t井长制\t推开\n");
    free(s);
    kwic_destroy(k);
    kwic_destroy(NULL);
}

static void test_bar(void)
{
    fz_buf b = {0};
    group_bar(&b, 10, 10, 4);
    CHECK_EQ_STR(b.p, "████");
    b.len = 0;
    group_bar(&b, 5, 10, 3); /* 1.5 columns */
    CHECK_EQ_STR(b.p, "█▌");
    b.len = 0;
    group_bar(&b, 1, 1000, 10); /* tiny but not zero: one eighth */
    CHECK_EQ_STR(b.p, "▏");
    b.len = 0;
    fz_buf_puts(&b, "");
    group_bar(&b, 0, 10, 10);
    CHECK_EQ_INT(b.len, 0);
    fz_buf_free(&b);
}

static void test_groups(void)
{
    group_by by;
    CHECK_EQ_INT(group_parse_by("form", &by), 0);
    CHECK_EQ_INT(by, GROUP_FORM);
    CHECK_EQ_INT(group_parse_by("colour", &by), -1);
    CHECK_EQ_STR(group_by_name(GROUP_AUTHOR), "author");

    fake a, b;
    make(&a, 1, 10, "長安驿", "長安驿在西门外,今长安路。", "张三");
    mark(&a, "長安");
    { /* and a span on 长安 */
        const char *p = strstr(a.e.body, "长安");
        a.sp[a.h.nspans].field = 1;
        a.sp[a.h.nspans].start = (uint32_t)(p - a.e.body);
        a.sp[a.h.nspans].end = a.sp[a.h.nspans].start + 6;
        a.h.nspans++;
        a.h.occurrences = 2;
    }
    make(&b, 2, 20, "长安", "长安长安", NULL);
    mark(&b, "长安");
    group *g = group_create(GROUP_FORM);
    CHECK_EQ_INT(group_add(g, &a.h), 0);
    CHECK_EQ_INT(group_add(g, &b.h), 0);
    CHECK_EQ_INT(group_count(g), 2);
    char *s = capture_group(g, OUT_JSON, 80);
    CHECK_EQ_STR(s, "{\"group\":\"长安\",\"entries\":2,\"occurrences\":3}\n"
                    "{\"group\":\"長安\",\"entries\":1,\"occurrences\":1}\n");
    free(s);
    CHECK_EQ_INT(group_count(g), 0);
    group_destroy(g);

    g = group_create(GROUP_AUTHOR);
    group_add(g, &a.h);
    group_add(g, &b.h);
    s = capture_group(g, OUT_TERM, 40);
    /* width 40: names 8 columns and the numbers take 32, which leaves less
     * than 10: bars get their minimum of 10 columns */
    CHECK_EQ_STR(s, "author    entries  occurrences\n"
                    "(none)          1            2  ██████████\n"
                    "张三            1            2  ██████████\n"
                    "2 groups        2            4\n");
    free(s);
    group_destroy(g);

    g = group_create(GROUP_SECTION);
    group_add(g, &a.h);
    s = capture_group(g, OUT_CSV, 80);
    CHECK_EQ_STR(s, "年度聚焦 › 城中村改造,1,2\r\n");
    free(s);
    group_destroy(g);
    group_destroy(NULL);
}

/* A 2 MB entry with a match every 51 bytes, mixed with ASCII: every row's
 * offset, left, match and right are right (computed here independently,
 * by counting code points from the start).  Speed is measured separately
 * (fzsearch --kwic on 1, 2 and 4 MB entries), not timed here. */
static void test_large_entry(void)
{
    const char *unit = "井长制推行以来,全区治水成效明显(2017)。";
    size_t ul = strlen(unit), n = 2000000 / ul;
    fz_buf body = {0};
    for (size_t i = 0; i < n; i++)
        fz_buf_puts(&body, unit);
    fake f;
    make(&f, 1, 1, "大条目", body.p, NULL);
    search_span *sp = malloc(n * sizeof *sp);
    for (size_t i = 0; i < n; i++) {
        sp[i].field = 1;
        sp[i].start = (uint32_t)(i * ul);
        sp[i].end = sp[i].start + 9;
    }
    f.h.spans = sp;
    f.h.nspans = n;
    kwic *k = kwic_create(3, KWIC_ORDER_HITS);
    CHECK_EQ_INT(kwic_add(k, &f.h), 0);
    CHECK_EQ_INT(kwic_rows(k), n);
    char *text = capture_kwic(k, OUT_TSV, 0);
    size_t ucp = snip_cplen(unit, ul), bad = 0, rows = 0;
    for (char *line = text; line && *line; rows++) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = 0;
        /* id file line title field offset left match right */
        char *col[9];
        size_t c = 0;
        for (char *p = line; c < 9; c++) {
            col[c] = p;
            char *tab = strchr(p, '\t');
            if (tab)
                *tab = 0;
            p = tab ? tab + 1 : p + strlen(p);
        }
        unsigned long off = strtoul(col[5], NULL, 10);
        if (off != rows * ucp || strcmp(col[7], "井长制") || strcmp(col[8], "推行以") ||
            strcmp(col[6], rows ? "7)。" : ""))
            bad++;
        line = nl ? nl + 1 : NULL;
    }
    CHECK_EQ_INT(rows, n);
    CHECK_EQ_INT(bad, 0);
    free(text);
    kwic_destroy(k);
    free(sp);
    fz_buf_free(&body);
}

int main(void)
{
    test_bounds();
    test_cmp_left();
    test_kwic_rows();
    test_bar();
    test_groups();
    test_large_entry();
    return t_done("kwic");
}
