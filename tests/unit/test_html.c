/*
 * test_html -- the reading room's rendering (html.h): escaping of text
 * and attributes (<script>, quotes, &, </mark>, control characters, bytes
 * that are not UTF-8), percent-encoding, highlights that always pair up,
 * narrowing links and their quoting, the side panel's bars, the error
 * page, and that every page is one well-formed frame.
 */
#include <stdlib.h>
#include <string.h>

#include "fz.h"
#include "group.h"
#include "html.h"
#include "t.h"

static size_t count(const char *hay, size_t n, const char *needle)
{
    size_t c = 0, l = strlen(needle);
    for (const char *p = hay; (p = memmem(p, n - (size_t)(p - hay), needle, l)); p += l)
        c++;
    return c;
}

static int has(const html *h, const char *s) { return h->b.p && memmem(h->b.p, h->b.len, s, strlen(s)) != NULL; }

TEST(escaping)
{
    html h = {{0}, 0};
    const char *s = "<script>alert(\"x\")</script> & 'q' </mark>\x01\x7f\tok\n";
    html_text(&h, s, strlen(s));
    fz_buf_putc(&h.b, 0);
    CHECK_EQ_STR(h.b.p, "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39; &lt;/mark&gt;\tok\n");
    h.b.len = 0;
    html_text(&h, "a\xff" "b\xe4\xba", 5); /* bad bytes become U+FFFD */
    fz_buf_putc(&h.b, 0);
    CHECK_EQ_STR(h.b.p, "a\xEF\xBF\xBD" "b\xEF\xBF\xBD\xEF\xBF\xBD");
    h.b.len = 0;
    html_url(&h, "井 a&b=\"c\"/~", strlen("井 a&b=\"c\"/~"));
    fz_buf_putc(&h.b, 0);
    CHECK_EQ_STR(h.b.p, "%E4%BA%95%20a%26b%3D%22c%22%2F~");
    CHECK_EQ_INT(h.err, 0);
    fz_buf_free(&h.b);
}

/* A hit on a hostile entry: title and body with markup, two body matches. */
static store_entry hostile(void)
{
    static const char *sec[] = {"第一篇", "a\"b“c”d"};
    static size_t seclen[2];
    static const char *au[] = {"张<三>", "\"「」“”"};
    static size_t aulen[2];
    for (int i = 0; i < 2; i++) {
        seclen[i] = strlen(sec[i]);
        aulen[i] = strlen(au[i]);
    }
    store_entry e = {0};
    e.id = 7;
    e.line = 12;
    e.title = "<b>危险</b> & </mark>";
    e.title_len = strlen(e.title);
    e.body = "正文</mark><script>危险</script>“危险”";
    e.body_len = strlen(e.body);
    e.nsection = 2;
    e.section = sec;
    e.section_len = seclen;
    e.nauthors = 2;
    e.authors = au;
    e.author_len = aulen;
    return e;
}

TEST(hit)
{
    store_entry e = hostile();
    const char *w = "危险";
    size_t t0 = (size_t)(strstr(e.title, w) - e.title), b0 = (size_t)(strstr(e.body, w) - e.body);
    size_t b1 = (size_t)(strstr(e.body + b0 + 1, w) - e.body);
    search_span sp[3] = {{(uint32_t)t0, (uint32_t)(t0 + 6), 0},
                         {(uint32_t)b0, (uint32_t)(b0 + 6), 1},
                         {(uint32_t)b1, (uint32_t)(b1 + 6), 1}};
    search_hit hit = {.rank = 1, .score = 1.0, .e = &e, .file = "/x/vol.txt", .file_len = 10, .spans = sp,
                      .nspans = 3, .occurrences = 3};
    hit.volume.source = STORE_VOL_CATALOG;
    hit.volume.title = "仁和<县志>";
    hit.volume.title_len = strlen(hit.volume.title);
    hit.volume.place = "杭州";
    hit.volume.place_len = strlen(hit.volume.place);
    hit.volume.has_year = 1;
    hit.volume.year = -205;
    html_form f = {"危险", strlen("危险"), TOK_FOLD_TS};
    html h = {{0}, 0};
    html_hit(&h, &hit, &f, 80);
    CHECK_EQ_INT(h.err, 0);
    CHECK(!has(&h, "<script"));
    CHECK(!has(&h, "<b>"));
    CHECK(has(&h, "&lt;b&gt;<mark>危险</mark>&lt;/b&gt; &amp; &lt;/mark&gt;"));
    CHECK(has(&h, "正文&lt;/mark&gt;&lt;script&gt;<mark>危险</mark>&lt;/script&gt;“<mark>危险</mark>”"));
    CHECK_EQ_INT(count(h.b.p, h.b.len, "<mark>"), 3);
    CHECK_EQ_INT(count(h.b.p, h.b.len, "</mark>"), 3);
    CHECK(has(&h, "href=\"/entry/7?q=%E5%8D%B1%E9%99%A9&amp;fold=ts\""));
    /* narrowing: the query plus section:"第一篇", quotes chosen to fit */
    CHECK(has(&h, "href=\"/search?q=%E5%8D%B1%E9%99%A9%20section%3A%22%E7%AC%AC%E4%B8%80%E7%AF%87%22&amp;fold=ts\""));
    /* a"b“c”d holds " and “”: quoted with 「」 */
    CHECK(has(&h, "section%3A%E3%80%8Ca%22b%E2%80%9Cc%E2%80%9Dd%E3%80%8D"));
    CHECK(has(&h, "author%3A%22%E5%BC%A0%3C%E4%B8%89%3E%22"));
    CHECK(has(&h, "title=\"author:张&lt;三&gt;\">张&lt;三&gt;</a>"));
    /* an author holding every kind of quote cannot be a term: no link */
    CHECK(has(&h, "<span class=\"au\" title=\"author:&quot;「」“”\">&quot;「」“”</span>"));
    CHECK(has(&h, "vol.txt:12"));
    /* the volume, place and year narrow */
    CHECK(has(&h, "《<a href=\"/search?q=%E5%8D%B1%E9%99%A9%20volume%3A%22%E4%BB%81%E5%92%8C%3C%E5%8E%BF%E5%BF%97%3E%22&amp;fold=ts\" class=\"vo\" title=\"volume:仁和&lt;县志&gt;\">仁和&lt;县志&gt;</a>》"));
    CHECK(has(&h, "place%3A%22%E6%9D%AD%E5%B7%9E%22"));
    CHECK(has(&h, "year%3A-205&amp;fold=ts"));
    fz_buf_free(&h.b);
}

TEST(entry_page)
{
    store_entry e = hostile();
    size_t b0 = (size_t)(strstr(e.body, "危险") - e.body);
    search_span sp[1] = {{(uint32_t)b0, (uint32_t)(b0 + 6), 1}};
    search_hit hit = {.e = &e, .file = "v.txt", .file_len = 5, .spans = sp, .nspans = 1, .occurrences = 1};
    html_form f = {"危险", strlen("危险"), TOK_FOLD_VARIANTS};
    html h = {{0}, 0};
    html_begin(&h, e.title, e.title_len, &f);
    html_entry(&h, &hit, &f, 7, 0);
    html_end(&h, 100);
    CHECK_EQ_INT(h.err, 0);
    CHECK(!has(&h, "<script"));
    CHECK(has(&h, "<title>&lt;b&gt;危险&lt;/b&gt; &amp; &lt;/mark&gt; · "));
    CHECK(has(&h, "<html lang=\"zh\">"));
    CHECK(has(&h, "value=\"危险\""));
    CHECK(has(&h, "rel=\"prev\" href=\"/entry/6?q=%E5%8D%B1%E9%99%A9\""));
    CHECK(!has(&h, "rel=\"next\""));
    CHECK(has(&h, "（张&lt;三&gt;　&quot;「」“”）"));
    CHECK_EQ_INT(count(h.b.p, h.b.len, "<mark>"), 1);
    CHECK_EQ_INT(count(h.b.p, h.b.len, "</mark>"), 1);
    CHECK_EQ_INT(count(h.b.p, h.b.len, "</html>"), 1);
    fz_buf_free(&h.b);
}

TEST(facets_and_errors)
{
    group *g = group_create(GROUP_AUTHOR);
    store_entry e = hostile();
    search_hit hit = {.rank = 1, .score = 1, .e = &e, .file = "v", .file_len = 1, .occurrences = 1};
    group_add(g, &hit);
    e.nauthors = 1;
    e.id = 8;
    group_add(g, &hit);
    group_sort(g);
    html_form f = {"x", 1, TOK_FOLD_VARIANTS};
    html h = {{0}, 0};
    html_facet(&h, "作者", g, "author", &f, 10);
    CHECK(has(&h, "<span class=\"fl\" title=\"张&lt;三&gt;\">张&lt;三&gt;</span><span class=\"fn\">2</span>"
                  "<span class=\"bar\" style=\"width:100.0%\"></span></a>"));
    CHECK(has(&h, "<span class=\"fn\">1</span><span class=\"bar\" style=\"width:50.0%\"></span></span>"));
    CHECK(!has(&h, "<三>"));
    group_destroy(g);
    h.b.len = 0;
    html_error(&h, 400, "fzsearch: bad query: <x> (at column 1)");
    CHECK(has(&h, "fzsearch: bad query: &lt;x&gt; (at column 1)"));
    h.b.len = 0;
    html_help(&h);
    CHECK(has(&h, "NEAR/20"));
    fz_buf_free(&h.b);
}

int main(void)
{
    t_run(escaping);
    t_run(hit);
    t_run(entry_page);
    t_run(facets_and_errors);
    return t_done("test_html");
}
