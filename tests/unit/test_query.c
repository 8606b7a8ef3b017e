/*
 * test_query.c -- the query-language parser (searcher/query.c).
 */
#include "query.h"
#include "t.h"

#include <stdlib.h>
#include <time.h>

/* One parse: the dump on success, or the error, column and message. */
typedef struct {
    int ok;
    int err;
    uint32_t col;
    char msg[256];
    char dump[2048];
} result;

static result parse_n(const char *q, size_t len)
{
    result r;
    memset(&r, 0, sizeof r);
    fz_arena *a = fz_arena_create();
    r.err = 12345;
    r.col = 12345;
    query_node *n = query_parse(q, len, a, &r.err, &r.col, r.msg, sizeof r.msg);
    if (n) {
        r.ok = 1;
        fz_buf b = {0};
        if (query_dump(n, &b) == 0)
            snprintf(r.dump, sizeof r.dump, "%s", b.p);
        else
            snprintf(r.dump, sizeof r.dump, "(dump failed)");
        fz_buf_free(&b);
    } else {
        snprintf(r.dump, sizeof r.dump, "error %d at %u: %s", r.err, (unsigned)r.col, r.msg);
    }
    fz_arena_destroy(a);
    return r;
}

static result parse(const char *q) { return parse_n(q, strlen(q)); }

/* The dump of q, or a description of its error. */
static const char *D(const char *q)
{
    static result r;
    r = parse(q);
    return r.dump;
}

/* Checks that q fails with code at col and that the message contains part. */
#define CHECK_ERR(q, code, column, part)                                      \
    do {                                                                      \
        result r_ = parse(q);                                                 \
        CHECK(!r_.ok);                                                        \
        if (r_.ok) fprintf(stderr, "  query <%s> parsed as %s\n", (q), r_.dump); \
        CHECK_EQ_INT(r_.err, (code));                                         \
        CHECK_EQ_INT(r_.col, (column));                                       \
        if (!strstr(r_.msg, (part))) {                                        \
            t_fail++;                                                         \
            fprintf(stderr, "%s:%d: message \"%s\" lacks \"%s\"\n", __FILE__, \
                    __LINE__, r_.msg, (part));                                \
        } else t_pass++;                                                      \
        if (strchr(r_.msg, '\n')) { t_fail++; fprintf(stderr, "%s:%d: multi-line message\n", __FILE__, __LINE__); } \
    } while (0)

#define SYN FZ_ESYNTAX

TEST(test_terms_and_or)
{
    CHECK_EQ_STR(D("井长制"), "(TEXT \"井长制\")");
    CHECK_EQ_STR(D("井长制 治水"), "(AND (TEXT \"井长制\") (TEXT \"治水\"))");
    CHECK_EQ_STR(D("  井长制   治水  "), "(AND (TEXT \"井长制\") (TEXT \"治水\"))");
    CHECK_EQ_STR(D("井长制\u3000治水"), "(AND (TEXT \"井长制\") (TEXT \"治水\"))");
    CHECK_EQ_STR(D("a\tb\nc"), "(AND (TEXT \"a\") (TEXT \"b\") (TEXT \"c\"))");
    CHECK_EQ_STR(D("a AND b"), "(AND (TEXT \"a\") (TEXT \"b\"))");
    CHECK_EQ_STR(D("a OR b"), "(OR (TEXT \"a\") (TEXT \"b\"))");
    CHECK_EQ_STR(D("a OR b OR c"), "(OR (TEXT \"a\") (TEXT \"b\") (TEXT \"c\"))");
    /* AND binds tighter than OR */
    CHECK_EQ_STR(D("a b OR c d"),
                 "(OR (AND (TEXT \"a\") (TEXT \"b\")) (AND (TEXT \"c\") (TEXT \"d\")))");
    CHECK_EQ_STR(D("a AND b OR c"), "(OR (AND (TEXT \"a\") (TEXT \"b\")) (TEXT \"c\"))");
    /* operator words only in capitals and as whole words */
    CHECK_EQ_STR(D("a or b"), "(AND (TEXT \"a\") (TEXT \"or\") (TEXT \"b\"))");
    CHECK_EQ_STR(D("a and Or b"), "(AND (TEXT \"a\") (TEXT \"and\") (TEXT \"Or\") (TEXT \"b\"))");
    CHECK_EQ_STR(D("ANDROID ORACLE NOTE EXCEPTION NEARBY"),
                 "(AND (TEXT \"ANDROID\") (TEXT \"ORACLE\") (TEXT \"NOTE\") (TEXT \"EXCEPTION\") "
                 "(TEXT \"NEARBY\"))");
    CHECK_EQ_STR(D("a Near/5 b"), "(AND (TEXT \"a\") (TEXT \"Near/5\") (TEXT \"b\"))");
    CHECK_EQ_STR(D("\"OR\" a"), "(AND (TEXT \"OR\" quoted) (TEXT \"a\"))");
}

TEST(test_groups)
{
    CHECK_EQ_STR(D("a (b OR c)"), "(AND (TEXT \"a\") (OR (TEXT \"b\") (TEXT \"c\")))");
    CHECK_EQ_STR(D("（杭州 OR 余杭）城中村"),
                 "(AND (OR (TEXT \"杭州\") (TEXT \"余杭\")) (TEXT \"城中村\"))");
    CHECK_EQ_STR(D("(a OR b)(c OR d)"),
                 "(AND (OR (TEXT \"a\") (TEXT \"b\")) (OR (TEXT \"c\") (TEXT \"d\")))");
    /* operators next to parentheses are still operators */
    CHECK_EQ_STR(D("a OR(b)"), "(OR (TEXT \"a\") (TEXT \"b\"))");
    CHECK_EQ_STR(D("(NOT a) b"), "(AND (NOT (TEXT \"a\")) (TEXT \"b\"))");
    /* simplification: single children collapse, same types flatten */
    CHECK_EQ_STR(D("((a))"), "(TEXT \"a\")");
    CHECK_EQ_STR(D("(a b) (c d)"),
                 "(AND (TEXT \"a\") (TEXT \"b\") (TEXT \"c\") (TEXT \"d\"))");
    CHECK_EQ_STR(D("(a OR b) OR (c OR (d OR e))"),
                 "(OR (TEXT \"a\") (TEXT \"b\") (TEXT \"c\") (TEXT \"d\") (TEXT \"e\"))");
    CHECK_EQ_STR(D("a ((b c) d)"),
                 "(AND (TEXT \"a\") (TEXT \"b\") (TEXT \"c\") (TEXT \"d\"))");
    CHECK_EQ_STR(D("(a OR b) c OR d"),
                 "(OR (AND (OR (TEXT \"a\") (TEXT \"b\")) (TEXT \"c\")) (TEXT \"d\"))");
}

TEST(test_not)
{
    CHECK_EQ_STR(D("城中村改造 -安置"),
                 "(AND (TEXT \"城中村改造\") (NOT (TEXT \"安置\")))");
    CHECK_EQ_STR(D("-安置 城中村"), "(AND (NOT (TEXT \"安置\")) (TEXT \"城中村\"))");
    CHECK_EQ_STR(D("a NOT b"), "(AND (TEXT \"a\") (NOT (TEXT \"b\")))");
    CHECK_EQ_STR(D("a AND NOT b"), "(AND (TEXT \"a\") (NOT (TEXT \"b\")))");
    CHECK_EQ_STR(D("a －b"), "(AND (TEXT \"a\") (NOT (TEXT \"b\")))");
    CHECK_EQ_STR(D("a -\"b c\""), "(AND (TEXT \"a\") (NOT (TEXT \"b c\" quoted)))");
    CHECK_EQ_STR(D("-(a OR b) c"),
                 "(AND (NOT (OR (TEXT \"a\") (TEXT \"b\"))) (TEXT \"c\"))");
    /* '-' inside a word is text */
    CHECK_EQ_STR(D("Wi-Fi 2016-2020 a-"),
                 "(AND (TEXT \"Wi-Fi\") (TEXT \"2016-2020\") (TEXT \"a-\"))");
    /* NOT binds tighter than AND, AND tighter than OR: a OR (-b c) */
    CHECK_EQ_STR(D("a OR -b c"),
                 "(OR (TEXT \"a\") (AND (NOT (TEXT \"b\")) (TEXT \"c\")))");
    /* a negative-only group beside a positive term is fine after flattening */
    CHECK_EQ_STR(D("(-b -c) a"),
                 "(AND (NOT (TEXT \"b\")) (NOT (TEXT \"c\")) (TEXT \"a\"))");
    CHECK_EQ_STR(D("-(-a b) c"),
                 "(AND (NOT (AND (NOT (TEXT \"a\")) (TEXT \"b\"))) (TEXT \"c\"))");

    CHECK_ERR("NOT a", SYN, 0, "nothing to search for: add a term that is not negated");
    CHECK_ERR("-a -b", SYN, 0, "nothing to search for");
    CHECK_ERR("-author:陆婷", SYN, 0, "nothing to search for");
    CHECK_ERR("a OR (-b -c)", SYN, 6, "nothing to search for");
    CHECK_ERR("x -(-a -b)", SYN, 4, "nothing to search for");
    CHECK_ERR("a OR -b", SYN, 5, "NOT inside OR");
    CHECK_ERR("a OR (-b)", SYN, 6, "NOT inside OR");
    CHECK_ERR("NOT NOT a b", SYN, 4, "double negation");
    CHECK_ERR("b --a", SYN, 3, "double negation");
    CHECK_ERR("b NOT -a", SYN, 6, "double negation");
    CHECK_ERR("a - b", SYN, 2, "'-' must be followed directly");
    CHECK_ERR("a -", SYN, 2, "'-' must be followed directly");
    CHECK_ERR("(a -)", SYN, 3, "'-' must be followed directly");
    CHECK_ERR("a NOT", SYN, 2, "'NOT' needs a term after it");
    CHECK_ERR("a -AND b", SYN, 2, "'-' needs a term after it");
}

TEST(test_quotes)
{
    CHECK_EQ_STR(D("\"杭州 中心\""), "(TEXT \"杭州 中心\" quoted)");
    CHECK_EQ_STR(D("“杭州 中心”"), "(TEXT \"杭州 中心\" quoted)");
    CHECK_EQ_STR(D("「杭州 中心」"), "(TEXT \"杭州 中心\" quoted)");
    CHECK_EQ_STR(D("『杭州』"), "(TEXT \"杭州\" quoted)");
    /* operators, parentheses, colons and other quotes inside are text */
    CHECK_EQ_STR(D("\"a OR (b) NOT c -d foo:e\""), "(TEXT \"a OR (b) NOT c -d foo:e\" quoted)");
    CHECK_EQ_STR(D("“say \"hi\" \\ ok”"), "(TEXT \"say \\\"hi\\\" \\\\ ok\" quoted)");
    /* a quote ends a word */
    CHECK_EQ_STR(D("a\"b c\"d"), "(AND (TEXT \"a\") (TEXT \"b c\" quoted) (TEXT \"d\"))");
    CHECK_ERR("a \"b c", SYN, 2, "unbalanced quote");
    CHECK_ERR("a “b c", SYN, 2, "no closing ”");
    CHECK_ERR("“b c\"", SYN, 0, "unbalanced quote");
    CHECK_ERR("a「b", SYN, 1, "unbalanced quote");
    CHECK_ERR("a” b", SYN, 1, "” without an opening “");
    CHECK_ERR("a 」", SYN, 2, "unbalanced quote");
    CHECK_ERR("a \"\"", SYN, 2, "empty quoted phrase");
    CHECK_ERR("a “  ”", SYN, 2, "empty quoted phrase");
}

TEST(test_near_except)
{
    CHECK_EQ_STR(D("井长制 NEAR/20 治水"), "(NEAR/20 (TEXT \"井长制\") (TEXT \"治水\"))");
    CHECK_EQ_STR(D("井长制 NEAR／２０ 治水"), "(NEAR/20 (TEXT \"井长制\") (TEXT \"治水\"))");
    CHECK_EQ_STR(D("a NEAR/1 b"), "(NEAR/1 (TEXT \"a\") (TEXT \"b\"))");
    CHECK_EQ_STR(D("a NEAR/10000 b"), "(NEAR/10000 (TEXT \"a\") (TEXT \"b\"))");
    CHECK_EQ_STR(D("a NEAR/007 b"), "(NEAR/7 (TEXT \"a\") (TEXT \"b\"))");
    CHECK_EQ_STR(D("杭州 EXCEPT 杭州府"), "(EXCEPT (TEXT \"杭州\") (TEXT \"杭州府\"))");
    /* NEAR binds tighter than AND and OR */
    CHECK_EQ_STR(D("x a NEAR/3 b OR c"),
                 "(OR (AND (TEXT \"x\") (NEAR/3 (TEXT \"a\") (TEXT \"b\"))) (TEXT \"c\"))");
    CHECK_EQ_STR(D("a NEAR/3 b c EXCEPT d"),
                 "(AND (NEAR/3 (TEXT \"a\") (TEXT \"b\")) (EXCEPT (TEXT \"c\") (TEXT \"d\")))");
    CHECK_EQ_STR(D("title:\"杭州 中心\" NEAR/5 “城 站”"),
                 "(NEAR/5 (TEXT title:\"杭州 中心\" quoted) (TEXT \"城 站\" quoted))");
    CHECK_EQ_STR(D("(a) NEAR/5 (b)"), "(NEAR/5 (TEXT \"a\") (TEXT \"b\"))");
    CHECK_EQ_STR(D("-(a NEAR/5 b) c"),
                 "(AND (NOT (NEAR/5 (TEXT \"a\") (TEXT \"b\"))) (TEXT \"c\"))");

    CHECK_ERR("a NEAR b", SYN, 2, "NEAR needs a distance: write NEAR/N with N from 1 to 10000");
    CHECK_ERR("a NEAR/ b", SYN, 2, "NEAR needs a distance");
    CHECK_ERR("a NEAR/x b", SYN, 2, "NEAR needs a distance");
    CHECK_ERR("a NEAR/5x b", SYN, 2, "NEAR needs a distance");
    CHECK_ERR("a NEAR/0 b", SYN, 2, "from 1 to 10000");
    CHECK_ERR("a NEAR/10001 b", SYN, 2, "from 1 to 10000");
    CHECK_ERR("a NEAR/99999999999999999999 b", SYN, 2, "from 1 to 10000");
    CHECK_ERR("a NEAR/3", SYN, 2, "'NEAR/3' needs a term after it");
    CHECK_ERR("NEAR/3 b", SYN, 0, "'NEAR/3' needs a term before it");
    CHECK_ERR("a EXCEPT", SYN, 2, "'EXCEPT' needs a term after it");
    CHECK_ERR("a NEAR/5 b NEAR/5 c", SYN, 11, "cannot be chained");
    CHECK_ERR("a EXCEPT b EXCEPT c", SYN, 11, "cannot be chained");
    CHECK_ERR("a NEAR/5 b EXCEPT c", SYN, 11, "cannot be chained");
    CHECK_ERR("(a NEAR/5 b) NEAR/5 c", SYN, 13, "cannot be chained");
    CHECK_ERR("(a OR b) NEAR/5 c", SYN, 0, "takes a word or quoted phrase on each side");
    CHECK_ERR("x a NEAR/5 (b c)", SYN, 11, "takes a word or quoted phrase on each side");
    CHECK_ERR("x a NEAR/5 -b", SYN, 11, "not a group or a negation");
    CHECK_ERR("x -a NEAR/5 b", SYN, 2, "'NEAR/5' takes a word");
}

TEST(test_wildcards)
{
    CHECK_EQ_STR(D("杭?府 □山 ？江"), "(AND (TEXT \"杭?府\") (TEXT \"□山\") (TEXT \"？江\"))");
    CHECK_EQ_STR(D("\"? 山\""), "(TEXT \"? 山\" quoted)");
    CHECK_ERR("a ?", SYN, 2, "a term needs at least one character besides ?");
    CHECK_ERR("a ？□?", SYN, 2, "besides ?");
    CHECK_ERR("a \"? ？\"", SYN, 2, "besides ?");
    CHECK_ERR("a author:??", SYN, 9, "besides ?");
}

TEST(test_fields)
{
    CHECK_EQ_STR(D("author:陆婷 商圈"), "(AND (TEXT author:\"陆婷\") (TEXT \"商圈\"))");
    CHECK_EQ_STR(D("section:城中村改造 -安置"),
                 "(AND (TEXT section:\"城中村改造\") (NOT (TEXT \"安置\")))");
    CHECK_EQ_STR(D("井长制 -author:陆婷"),
                 "(AND (TEXT \"井长制\") (NOT (TEXT author:\"陆婷\")))");
    CHECK_EQ_STR(D("title:\"杭州 中心\""), "(TEXT title:\"杭州 中心\" quoted)");
    CHECK_EQ_STR(D("title:“杭州 中心”"), "(TEXT title:\"杭州 中心\" quoted)");
    CHECK_EQ_STR(D("author：陆婷 file:2017.txt"),
                 "(AND (TEXT author:\"陆婷\") (TEXT file:\"2017.txt\"))");
    CHECK_EQ_STR(D("Title:a AUTHOR:b"), "(AND (TEXT title:\"a\") (TEXT author:\"b\"))");
    CHECK_EQ_STR(D("kind:entry"), "(TEXT kind:\"entry\")");
    CHECK_EQ_STR(D("x kind:Sidebar kind:\"CAPTION\""),
                 "(AND (TEXT \"x\") (TEXT kind:\"sidebar\") (TEXT kind:\"caption\" quoted))");
    /* the value is always text, even an operator word */
    CHECK_EQ_STR(D("author:NOT title:a:b"), "(AND (TEXT author:\"NOT\") (TEXT title:\"a:b\"))");
    /* colon rule: only ASCII letters before the colon make a field */
    CHECK_EQ_STR(D("10:30 会议"), "(AND (TEXT \"10:30\") (TEXT \"会议\"))");
    CHECK_EQ_STR(D("http://www.hangzhou.gov.cn"), "(TEXT \"http://www.hangzhou.gov.cn\")");
    /* a value starting with '/' after a field name is still the field's */
    CHECK_EQ_STR(D("file:/abs/path/a.txt"), "(TEXT file:\"/abs/path/a.txt\")");
    CHECK_EQ_STR(D("title:/概况 FILE：/x"), "(AND (TEXT title:\"/概况\") (TEXT file:\"/x\"))");
    CHECK_EQ_STR(D("https://x ftp:/y"), "(AND (TEXT \"https://x\") (TEXT \"ftp:/y\"))");
    CHECK_EQ_STR(D("作者：陆婷"), "(TEXT \"作者：陆婷\")");
    CHECK_EQ_STR(D("a1:b :x"), "(AND (TEXT \"a1:b\") (TEXT \":x\"))");
    /* a field applies to one atom; the group after it is separate */
    CHECK_EQ_STR(D("title:杭州 中心"), "(AND (TEXT title:\"杭州\") (TEXT \"中心\"))");

    CHECK_ERR("foo:bar", SYN, 0, "unknown field 'foo' (fields: title author section file kind volume place year)");
    /* the volume fields; year: takes a year or a range */
    CHECK_EQ_STR(D("Volume:仁和 place:杭州"), "(AND (TEXT volume:\"仁和\") (TEXT place:\"杭州\"))");
    CHECK_EQ_STR(D("year:1700..1800 -year:-205"), "(AND (TEXT year:\"1700..1800\") (NOT (TEXT year:\"-205\")))");
    CHECK_ERR("水 year:乾隆", SYN, 7, "year must be a year or a range such as 1700..1800 (negative BCE), not '乾隆'");
    CHECK_ERR("year:1800..1700", SYN, 5, "not '1800..1700'");
    CHECK_ERR("year:..", SYN, 5, "year must be");
    CHECK_ERR("year:17000", SYN, 5, "year must be");
    CHECK_ERR("a Foo：bar", SYN, 2, "unknown field 'Foo'");
    CHECK_ERR("a mailto:x@y.cn", SYN, 2, "unknown field 'mailto'");
    CHECK_ERR("author:", SYN, 7, "field 'author' needs a value right after the colon");
    CHECK_ERR("author: 陆婷", SYN, 7, "needs a value");
    CHECK_ERR("(title:) a", SYN, 7, "needs a value");
    CHECK_ERR("author：", SYN, 7, "needs a value");
    CHECK_ERR("a author:(b OR c)", SYN, 9, "not to a group");
    CHECK_ERR("kind:table", SYN, 5, "kind must be one of entry, sidebar, caption, toc, note, not 'table'");
    CHECK_ERR("x kind:\"entry \"", SYN, 7, "kind must be");
}

TEST(test_operand_errors)
{
    CHECK_ERR("a OR", SYN, 2, "'OR' needs a term after it");
    CHECK_ERR("AND b", SYN, 0, "'AND' needs a term before it");
    CHECK_ERR("OR", SYN, 0, "'OR' needs a term before it");
    CHECK_ERR("a AND OR b", SYN, 2, "'AND' needs a term after it");
    CHECK_ERR("a OR OR b", SYN, 2, "'OR' needs a term after it");
    CHECK_ERR("a (OR b)", SYN, 3, "'OR' needs a term before it");
    CHECK_ERR("(a OR) b", SYN, 3, "'OR' needs a term after it");
    CHECK_ERR("a EXCEPT OR b", SYN, 2, "'EXCEPT' needs a term after it");
    CHECK_ERR("()", SYN, 0, "empty parentheses");
    CHECK_ERR("a ( )", SYN, 2, "empty parentheses");
    CHECK_ERR("a （）", SYN, 2, "empty parentheses");
}

TEST(test_parens_errors)
{
    CHECK_ERR("(a", SYN, 0, "unbalanced parenthesis");
    CHECK_ERR("a)", SYN, 1, "unbalanced parenthesis: ')' without an opening '('");
    CHECK_ERR("((a)", SYN, 0, "unbalanced parenthesis");
    CHECK_ERR("(a))", SYN, 3, "unbalanced parenthesis");
    CHECK_ERR("a (b OR c", SYN, 2, "never closed");
    CHECK_ERR("a (", SYN, 2, "never closed");
    CHECK_ERR("（a", SYN, 0, "never closed");
    CHECK_ERR(") a", SYN, 0, "without an opening");
    CHECK_ERR("(a OR b))c", SYN, 8, "without an opening");
}

TEST(test_empty)
{
    result r = parse("");
    CHECK(!r.ok);
    CHECK_EQ_INT(r.err, FZ_EMPTY);
    CHECK_EQ_INT(r.col, 0);
    r = parse("   \t ");
    CHECK_EQ_INT(r.err, FZ_EMPTY);
    r = parse("\u3000\u3000");
    CHECK_EQ_INT(r.err, FZ_EMPTY);
    r = parse_n(NULL, 0);
    CHECK_EQ_INT(r.err, FZ_EMPTY);
    /* an embedded NUL is a space */
    r = parse_n("a\0b", 3);
    CHECK_EQ_STR(r.dump, "(AND (TEXT \"a\") (TEXT \"b\"))");
    /* NULL arena; NULL out-parameters are allowed */
    int err = 0;
    CHECK(query_parse("a", 1, NULL, &err, NULL, NULL, 0) == NULL);
    CHECK_EQ_INT(err, FZ_EINVAL);
    fz_arena *a = fz_arena_create();
    CHECK(query_parse("a OR", 4, a, NULL, NULL, NULL, 0) == NULL);
    CHECK(query_parse("a", 1, a, NULL, NULL, NULL, 0) != NULL);
    fz_arena_destroy(a);
}

TEST(test_nodes_and_columns)
{
    fz_arena *a = fz_arena_create();
    int err = -99;
    uint32_t col = 99;
    char msg[128];
    const char *q = "x “y z” -author:陆婷 a NEAR/4 b";
    query_node *n = query_parse(q, strlen(q), a, &err, &col, msg, sizeof msg);
    CHECK(n != NULL);
    if (n) {
        CHECK_EQ_INT(err, 0);
        CHECK_EQ_INT(col, 0);
        CHECK_EQ_INT(n->type, QN_AND);
        CHECK_EQ_INT(n->nkids, 4);
        CHECK_EQ_INT(n->col, 0);
        query_node *x = n->kids[0], *yz = n->kids[1], *neg = n->kids[2], *nr = n->kids[3];
        CHECK_EQ_INT(x->type, QN_TEXT);
        CHECK_EQ_INT(x->quoted, 0);
        CHECK_EQ_INT(x->field, QF_DEFAULT);
        CHECK_EQ_INT(yz->col, 2);
        CHECK_EQ_INT(yz->quoted, 1);
        CHECK_EQ_INT(yz->text_len, 3);
        CHECK_EQ_MEM(yz->text, yz->text_len, "y z");
        CHECK_EQ_INT(yz->text[yz->text_len], 0);
        CHECK_EQ_INT(neg->type, QN_NOT);
        CHECK_EQ_INT(neg->col, 8);
        CHECK_EQ_INT(neg->nkids, 1);
        CHECK_EQ_INT(neg->kids[0]->col, 9);
        CHECK_EQ_INT(neg->kids[0]->field, QF_AUTHOR);
        CHECK_EQ_STR(neg->kids[0]->text, "陆婷");
        CHECK_EQ_INT(neg->kids[0]->text_len, strlen("陆婷"));
        CHECK_EQ_INT(nr->type, QN_NEAR);
        CHECK_EQ_INT(nr->distance, 4);
        CHECK_EQ_INT(nr->col, 19);
        CHECK_EQ_INT(nr->kids[1]->col, 28);
    }
    fz_arena_destroy(a);

    CHECK_EQ_STR(query_field_name(QF_TITLE), "title");
    CHECK_EQ_STR(query_field_name(QF_AUTHOR), "author");
    CHECK_EQ_STR(query_field_name(QF_SECTION), "section");
    CHECK_EQ_STR(query_field_name(QF_FILE), "file");
    CHECK_EQ_STR(query_field_name(QF_KIND), "kind");
    CHECK_EQ_STR(query_field_name(QF_DEFAULT), "");
    fz_buf b = {0};
    CHECK_EQ_INT(query_dump(NULL, &b), FZ_EINVAL);
    fz_buf_free(&b);
}

TEST(test_bytes)
{
    /* invalid UTF-8 is kept as text, counts one column, dumps as \xHH */
    result r = parse("a\xff b");
    CHECK_EQ_STR(r.dump, "(AND (TEXT \"a\\xff\") (TEXT \"b\"))");
    CHECK_ERR("\xff\xfe \"x", SYN, 3, "unbalanced quote");
    CHECK_ERR("\xe4\xb8 )", SYN, 3, "without an opening");
    /* a truncated sequence at the very end */
    r = parse_n("ab\xe4", 3);
    CHECK_EQ_STR(r.dump, "(TEXT \"ab\\xe4\")");
    r = parse("“a\x01" "b”");
    CHECK_EQ_STR(r.dump, "(TEXT \"a\\x01b\" quoted)");
}

/* Builds n repetitions of unit, separated by sep. */
static char *repeat(const char *unit, const char *sep, size_t n)
{
    size_t ul = strlen(unit), sl = strlen(sep);
    char *s = malloc(n * (ul + sl) + 1);
    size_t o = 0;
    for (size_t k = 0; k < n; k++) {
        if (k) {
            memcpy(s + o, sep, sl);
            o += sl;
        }
        memcpy(s + o, unit, ul);
        o += ul;
    }
    s[o] = 0;
    return s;
}

TEST(test_limits)
{
    /* 100 nested parentheses are fine, 101 are not */
    char *open = repeat("(", "", 100), *close = repeat(")", "", 100);
    size_t ql = 300;
    char *q = malloc(ql);
    snprintf(q, ql, "%sa%s", open, close);
    result r = parse(q);
    CHECK_EQ_STR(r.dump, "(TEXT \"a\")");
    snprintf(q, ql, "(%sa%s)", open, close);
    r = parse(q);
    CHECK_EQ_INT(r.err, SYN);
    CHECK_EQ_INT(r.col, 100);
    CHECK(strstr(r.msg, "nested more than 100") != NULL);
    free(q);
    free(open);
    free(close);

    /* 10,000 '(' must not crash */
    char *deep = repeat("(", "", 10000);
    r = parse(deep);
    CHECK_EQ_INT(r.err, SYN);
    CHECK_EQ_INT(r.col, 100);
    free(deep);
    deep = repeat("-(", "", 10000);
    r = parse(deep);
    CHECK_EQ_INT(r.err, SYN);
    CHECK_EQ_INT(r.col, 201);
    free(deep);
    deep = repeat("NOT", " ", 10000);
    r = parse(deep);
    CHECK_EQ_INT(r.err, SYN);
    CHECK_EQ_INT(r.col, 4);
    free(deep);

    /* exactly QUERY_MAX_NODES nodes: 4095 terms and one AND */
    char *many = repeat("a", " ", QUERY_MAX_NODES - 1);
    r = parse(many);
    CHECK(r.ok);
    free(many);
    many = repeat("a", " ", QUERY_MAX_NODES);
    r = parse(many);
    CHECK_EQ_INT(r.err, SYN);
    CHECK(strstr(r.msg, "more than 4096 nodes") != NULL);
    free(many);
    /* far too many: stopped early, not after building everything */
    many = repeat("a", " OR ", 200000);
    r = parse(many);
    CHECK_EQ_INT(r.err, SYN);
    free(many);
    /* flattened groups count as their kids only */
    many = repeat("(a b)", " ", (QUERY_MAX_NODES - 1) / 2);
    r = parse(many);
    CHECK(r.ok);
    free(many);

    /* a 1,000-term query and a 10,000-character query */
    clock_t t0 = clock();
    many = repeat("井长制治水工作", " ", 1000);
    fz_arena *a = fz_arena_create();
    int err;
    uint32_t col;
    query_node *n = query_parse(many, strlen(many), a, &err, &col, NULL, 0);
    CHECK(n && n->type == QN_AND && n->nkids == 1000);
    fz_arena_destroy(a);
    free(many);
    many = repeat("a1234567", " OR ", 834); /* 834*8 + 833*4 = 10,004 chars */
    a = fz_arena_create();
    n = query_parse(many, strlen(many), a, &err, &col, NULL, 0);
    CHECK(n && n->type == QN_OR && n->nkids == 834);
    fz_arena_destroy(a);
    free(many);
    many = repeat("志", "", 10000);
    a = fz_arena_create();
    n = query_parse(many, strlen(many), a, &err, &col, NULL, 0);
    CHECK(n && n->type == QN_TEXT && n->text_len == 30000);
    fz_arena_destroy(a);
    free(many);
    many = repeat("\"a b\" (c OR d) -e f NEAR/3 g", " ", 350); /* ~10,000 chars */
    a = fz_arena_create();
    n = query_parse(many, strlen(many), a, &err, &col, NULL, 0);
    CHECK(n && n->type == QN_AND && n->nkids == 350 * 4);
    fz_arena_destroy(a);
    free(many);
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    CHECK(secs < 2.0);
    if (secs >= 2.0)
        fprintf(stderr, "  large queries took %.2f s\n", secs);
}

TEST(test_dump_examples)
{
    CHECK_EQ_STR(D("井长制 -author:陆婷"),
                 "(AND (TEXT \"井长制\") (NOT (TEXT author:\"陆婷\")))");
    CHECK_EQ_STR(D("井长制 NEAR/20 治水 -author:陆婷"),
                 "(AND (NEAR/20 (TEXT \"井长制\") (TEXT \"治水\")) (NOT (TEXT author:\"陆婷\")))");
    CHECK_EQ_STR(D("(title:\"杭州 中心\" OR section:商圈) 2017 -kind:caption"),
                 "(AND (OR (TEXT title:\"杭州 中心\" quoted) (TEXT section:\"商圈\")) "
                 "(TEXT \"2017\") (NOT (TEXT kind:\"caption\")))");
}

TEST(test_year_range)
{
    int32_t lo, hi;
    CHECK_EQ_INT(query_year_range("1784", 4, &lo, &hi), 0);
    CHECK_EQ_INT(lo, 1784);
    CHECK_EQ_INT(hi, 1784);
    CHECK_EQ_INT(query_year_range("-205..+10", 9, &lo, &hi), 0);
    CHECK_EQ_INT(lo, -205);
    CHECK_EQ_INT(hi, 10);
    CHECK_EQ_INT(query_year_range("1700..", 6, &lo, &hi), 0);
    CHECK_EQ_INT(lo, 1700);
    CHECK_EQ_INT(hi, FZ_YEAR_MAX);
    CHECK_EQ_INT(query_year_range("..-1", 4, &lo, &hi), 0);
    CHECK_EQ_INT(lo, FZ_YEAR_MIN);
    CHECK_EQ_INT(hi, -1);
    static const char *const bad[] = {"", "..", "1800..1700", "17a0", "1700...1800", "+", "12345", "1700..1800..1900"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CHECK_EQ_INT(query_year_range(bad[i], strlen(bad[i]), &lo, &hi), -1);
}

int main(void)
{
    t_run(test_year_range);
    t_run(test_terms_and_or);
    t_run(test_groups);
    t_run(test_not);
    t_run(test_quotes);
    t_run(test_near_except);
    t_run(test_wildcards);
    t_run(test_fields);
    t_run(test_operand_errors);
    t_run(test_parens_errors);
    t_run(test_empty);
    t_run(test_nodes_and_columns);
    t_run(test_bytes);
    t_run(test_limits);
    t_run(test_dump_examples);
    return t_done("query");
}
