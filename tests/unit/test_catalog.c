/*
 * test_catalog.c -- the CSV catalog of fzindex --catalog (indexer/catalog.c):
 * quoted fields, line ends, the BOM, missing columns, rows that do not fit,
 * errors that name their line, and matching rows to indexed paths.
 */
#include <string.h>

#include "catalog.h"
#include "fz.h"
#include "store.h"
#include "t.h"

static catalog *parse(const char *text, int *rc, char *msg, size_t msglen)
{
    catalog *c = NULL;
    msg[0] = 0;
    *rc = catalog_parse(text, strlen(text), &c, msg, msglen);
    return c;
}

TEST(test_quoted_fields)
{
    char msg[256];
    int rc;
    catalog *c = parse("file,title,place,year\n"
                       "a.txt,\"仁和县志, 乾隆本\",杭州,1750\n"
                       "\"b \"\"x\"\".txt\",\"两行\n标题\",,\n"
                       "  c.txt  , 钱塘县志 ,\" 有空格 \",-205\n",
                       &rc, msg, sizeof msg);
    CHECK_EQ_INT(rc, 0);
    CHECK(c != NULL);
    if (!c)
        return;
    CHECK_EQ_INT(catalog_count(c), 3);
    const catalog_row *r = catalog_row_at(c, 0);
    CHECK_EQ_STR(r->file, "a.txt");
    CHECK_EQ_STR(r->title, "仁和县志, 乾隆本");
    CHECK_EQ_STR(r->place, "杭州");
    CHECK_EQ_INT(r->has_year, 1);
    CHECK_EQ_INT(r->year, 1750);
    CHECK_EQ_INT(r->line, 2);
    r = catalog_row_at(c, 1);
    CHECK_EQ_STR(r->file, "b \"x\".txt");
    CHECK_EQ_STR(r->title, "两行\n标题");
    CHECK_EQ_STR(r->place, "");
    CHECK_EQ_INT(r->has_year, 0);
    CHECK_EQ_INT(r->line, 3);
    r = catalog_row_at(c, 2);
    CHECK_EQ_INT(r->line, 5); /* the quoted line break counts */
    CHECK_EQ_STR(r->file, "c.txt");
    CHECK_EQ_STR(r->title, "钱塘县志");
    CHECK_EQ_STR(r->place, " 有空格 ");
    CHECK_EQ_INT(r->year, -205);
    CHECK(catalog_row_at(c, 3) == NULL);
    catalog_destroy(c);
    catalog_destroy(NULL);
}

TEST(test_crlf_bom_blank_lines)
{
    char msg[256];
    int rc;
    catalog *c = parse("\xEF\xBB\xBF" "File,Year\r\n\r\na.txt,1700\r\n   \r\nb.txt,\"1800\"\r\n", &rc, msg, sizeof msg);
    CHECK_EQ_INT(rc, 0);
    if (!c)
        return;
    CHECK_EQ_INT(catalog_count(c), 2);
    CHECK_EQ_STR(catalog_row_at(c, 0)->file, "a.txt");
    CHECK_EQ_INT(catalog_row_at(c, 0)->year, 1700);
    CHECK_EQ_INT(catalog_row_at(c, 1)->line, 5);
    CHECK_EQ_INT(catalog_row_at(c, 1)->year, 1800);
    catalog_destroy(c);
    /* old Mac line ends, no final line end */
    c = parse("file,title\ra.txt,甲\rb.txt,乙", &rc, msg, sizeof msg);
    CHECK_EQ_INT(rc, 0);
    if (!c)
        return;
    CHECK_EQ_INT(catalog_count(c), 2);
    CHECK_EQ_STR(catalog_row_at(c, 1)->title, "乙");
    CHECK_EQ_INT(catalog_row_at(c, 1)->line, 3);
    catalog_destroy(c);
}

TEST(test_missing_columns)
{
    char msg[256];
    int rc;
    /* columns in any order, some absent, an unknown one ignored, short rows */
    catalog *c = parse("year,notes,file\n1549,嘉靖本,a.txt\n,,b.txt\n1600\n", &rc, msg, sizeof msg);
    CHECK_EQ_INT(rc, FZ_ESYNTAX); /* the last row has no file */
    CHECK_EQ_STR(msg, "line 4: the file column is empty");
    CHECK(c == NULL);
    c = parse("year,notes,file\n1549,嘉靖本,a.txt\n,,b.txt\n", &rc, msg, sizeof msg);
    CHECK_EQ_INT(rc, 0);
    if (!c)
        return;
    CHECK_EQ_INT(catalog_count(c), 2);
    CHECK_EQ_STR(catalog_row_at(c, 0)->title, "");
    CHECK_EQ_STR(catalog_row_at(c, 0)->place, "");
    CHECK_EQ_INT(catalog_row_at(c, 0)->year, 1549);
    CHECK_EQ_INT(catalog_row_at(c, 1)->has_year, 0);
    catalog_destroy(c);
    c = parse("file,title,place,year\na.txt,甲\n", &rc, msg, sizeof msg);
    CHECK_EQ_INT(rc, 0);
    if (c)
        CHECK_EQ_STR(catalog_row_at(c, 0)->place, "");
    catalog_destroy(c);
}

TEST(test_malformed_lines)
{
    static const struct {
        const char *text, *msg;
    } bad[] = {
        {"", "line 1: no header (want file,title,place,year)"},
        {"\n\n", "line 1: no header (want file,title,place,year)"},
        {"title,place\n", "line 1: the header has no 'file' column (want file,title,place,year)"},
        {"file,File\n", "line 1: column 'file' is named twice in the header"},
        {"file,title\na.txt,\"open\nb.txt,x\n", "line 2: a quoted field is not closed (it opens there)"},
        {"file,title\na.txt,\"x\"y\n", "line 2: text after the closing quote of a field"},
        {"file,title\n\na.txt,x\"y\n", "line 3: a quote inside an unquoted field (quote the whole field and "
                                       "double the quote)"},
        {"file,title\na.txt,x,y\n", "line 2: 3 fields, but the header names 2 columns"},
        {"file,year\na.txt,1700年\n", "line 2: year '1700年' is not a whole number from -9999 to 9999"},
        {"file,year\na.txt,12345\n", "line 2: year '12345' is not a whole number from -9999 to 9999"},
        {"file,year\na.txt,-\n", "line 2: year '-' is not a whole number from -9999 to 9999"},
        {"file\na.txt\nb.txt\na.txt\n", "line 4: file 'a.txt' has a row already (line 2)"},
        {"file\n\"a\nb\"\n", "line 2: the file column holds a line break or another control character"},
        {"file,year\na,\"17\n00\"\n", "line 2: year '17…' is not a whole number from -9999 to 9999"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char msg[256];
        int rc;
        catalog *c = parse(bad[i].text, &rc, msg, sizeof msg);
        CHECK_EQ_INT(rc, FZ_ESYNTAX);
        CHECK(c == NULL);
        CHECK_EQ_STR(msg, bad[i].msg);
    }
    /* a NUL byte is refused, with its line */
    catalog *c = NULL;
    char msg[256];
    CHECK_EQ_INT(catalog_parse("file\na.txt\nb\0c\n", 15, &c, msg, sizeof msg), FZ_ESYNTAX);
    CHECK_EQ_STR(msg, "line 3: a NUL byte");
}

TEST(test_match)
{
    catalog_row r = {0};
    const char *p = "/shelf/vol1/a.txt";
    size_t n = strlen(p);
    r.file = "a.txt";
    CHECK(catalog_match(&r, p, n));
    r.file = "./vol1/a.txt";
    CHECK(catalog_match(&r, p, n));
    r.file = "/shelf/vol1/a.txt";
    CHECK(catalog_match(&r, p, n));
    r.file = "1/a.txt"; /* not at a '/' */
    CHECK(!catalog_match(&r, p, n));
    r.file = "/vol1/a.txt"; /* absolute: that file only */
    CHECK(!catalog_match(&r, p, n));
    r.file = "b.txt";
    CHECK(!catalog_match(&r, p, n));
    r.file = "x/shelf/vol1/a.txt";
    CHECK(!catalog_match(&r, p, n));
}

int main(void)
{
    t_run(test_quoted_fields);
    t_run(test_crlf_bom_blank_lines);
    t_run(test_missing_columns);
    t_run(test_malformed_lines);
    t_run(test_match);
    return t_done("catalog");
}
