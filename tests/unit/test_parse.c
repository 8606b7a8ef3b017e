/*
 * test_parse.c -- the text-structure parser (indexer/parse.c): one fixture
 * per convention under tests/fixtures/parse/, the sample yearbook chapter
 * corpus/xiacheng-2017-annual-focus.txt, and generated robustness inputs.
 */
#include "fz.h"
#include "parse.h"
#include "parse_int.h"
#include "t.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- collecting records ---------------------------------------------------- */

typedef struct {
    unsigned line;
    fz_kind kind;
    char *title;
    size_t title_len;
    char *body;
    size_t body_len;
    char *sec;  /* headings joined by '/' */
    char *auth; /* authors joined by '|' */
    size_t nsec, nauth;
} trec;

typedef struct {
    trec *r;
    size_t n, cap;
    int bad_terminators; /* a string or array not terminated as promised */
    int stop_after;      /* return 99 from emit after this many records (0: never) */
} tcol;

static char *dupmem(const char *p, size_t n)
{
    char *s = malloc(n + 1);
    if (!s)
        abort();
    memcpy(s, p, n);
    s[n] = 0;
    return s;
}

static char *join_list(const char *const *v, size_t n, char sep)
{
    fz_buf b = {0};
    fz_buf_puts(&b, "");
    for (size_t i = 0; i < n; i++) {
        if (i)
            fz_buf_putc(&b, sep);
        fz_buf_puts(&b, v[i]);
    }
    return b.p;
}

static int collect(void *ctx, const parse_entry *e)
{
    tcol *c = ctx;
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 64;
        c->r = realloc(c->r, c->cap * sizeof *c->r);
        if (!c->r)
            abort();
    }
    if (e->title[e->title_len] != 0 || e->body[e->body_len] != 0 || e->section[e->nsection] != NULL ||
        e->authors[e->nauthors] != NULL)
        c->bad_terminators++;
    trec *r = &c->r[c->n++];
    r->line = e->line;
    r->kind = e->kind;
    r->title = dupmem(e->title, e->title_len);
    r->title_len = e->title_len;
    r->body = dupmem(e->body, e->body_len);
    r->body_len = e->body_len;
    r->sec = join_list(e->section, e->nsection, '/');
    r->auth = join_list(e->authors, e->nauthors, '|');
    r->nsec = e->nsection;
    r->nauth = e->nauthors;
    if (c->stop_after && (int)c->n >= c->stop_after)
        return 99;
    return 0;
}

static void col_free(tcol *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->r[i].title);
        free(c->r[i].body);
        free(c->r[i].sec);
        free(c->r[i].auth);
    }
    free(c->r);
    memset(c, 0, sizeof *c);
}

static int parse_mem(const char *text, size_t len, tcol *c)
{
    parse_ctx *p = parse_create();
    CHECK(p != NULL);
    int rc = parse_text(p, text, len, collect, c);
    parse_destroy(p);
    CHECK_EQ_INT(c->bad_terminators, 0);
    return rc;
}

/* ---- files ------------------------------------------------------------------- */

/* A path relative to this source file's directory (tests/unit/); with the
 * usual relative __FILE__ this needs the repository root as the current
 * directory, which is where make and tests/run.sh run the tests. */
static char *src_path(const char *rel)
{
    const char *f = __FILE__;
    const char *slash = strrchr(f, '/');
    size_t dl = slash ? (size_t)(slash - f + 1) : 0;
    char *s = malloc(dl + strlen(rel) + 1);
    if (!s)
        abort();
    memcpy(s, f, dl);
    strcpy(s + dl, rel);
    return s;
}

static char *read_file(const char *rel, size_t *len)
{
    char *path = src_path(rel);
    char *p = t_slurp(path, len);
    free(path);
    return p;
}

/* Parses tests/fixtures/parse/<name>.txt into c; returns parse_text's code. */
static int parse_fixture(const char *name, tcol *c)
{
    char rel[256];
    snprintf(rel, sizeof rel, "../fixtures/parse/%s.txt", name);
    size_t len;
    char *text = read_file(rel, &len);
    CHECK(text != NULL);
    if (!text)
        return -1000;
    int rc = parse_mem(text, len, c);
    free(text);
    return rc;
}

/* Checks record i of c field by field. */
#define CHECK_REC(c, i, ln, k, ti, se, au, bo)                                 \
    do {                                                                        \
        CHECK((size_t)(i) < (c).n);                                             \
        if ((size_t)(i) < (c).n) {                                              \
            const trec *r_ = &(c).r[i];                                         \
            CHECK_EQ_INT(r_->line, ln);                                         \
            CHECK_EQ_STR(fz_kind_name(r_->kind), fz_kind_name(k));        \
            CHECK_EQ_MEM(r_->title, r_->title_len, ti);                         \
            CHECK_EQ_STR(r_->sec, se);                                          \
            CHECK_EQ_STR(r_->auth, au);                                         \
            CHECK_EQ_MEM(r_->body, r_->body_len, bo);                           \
        }                                                                       \
    } while (0)

static const trec *find_title(const tcol *c, const char *title)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->r[i].title, title) == 0)
            return &c->r[i];
    return NULL;
}

/* ---- one fixture per convention ---------------------------------------------- */

TEST(test_chapter_english)
{
    tcol c = {0};
    CHECK_EQ_INT(parse_fixture("chapter_english", &c), 0);
    CHECK_EQ_INT(c.n, 3);
    CHECK_REC(c, 0, 10, FZ_KIND_ENTRY, "刘延东调研下城区社区卫生服务工作", "年度聚焦/国家领导人在下城调研",
              "廖婷婷", "2017年5月11日,刘延东到下城区调研社区卫生服务工作。");
    /* a plain heading replaces its sibling, not the chapter */
    CHECK_REC(c, 1, 16, FZ_KIND_ENTRY, "概况", "年度聚焦/全域中央商务区建设", "严建",
              "2017年,下城区加快推进全域中央商务区建设。");
    /* another chapter (heading + English line) closes the first one */
    CHECK_REC(c, 2, 24, FZ_KIND_ENTRY, "垃圾分类", "城市管理", "方琳", "全区推进垃圾分类。");
    for (size_t i = 0; i < c.n; i++) {
        CHECK(strstr(c.r[i].sec, "Annual") == NULL && strstr(c.r[i].body, "Focus") == NULL);
        CHECK(strstr(c.r[i].sec, "Urban") == NULL && strstr(c.r[i].body, "Urban") == NULL);
    }
    col_free(&c);
}

TEST(test_heading_spaces)
{
    tcol c = {0};
    CHECK_EQ_INT(parse_fixture("headings_spaces", &c), 0);
    CHECK_EQ_INT(c.n, 4);
    /* records pending at a heading get no authors */
    CHECK_REC(c, 0, 3, FZ_KIND_ENTRY, "概况", "“三实三比”勇当排头兵主题活动", "",
              "2017 年,下城区开展勇当排头兵主题活动。");
    /* a short line without punctuation followed by text is not a heading;
     * a line with punctuation followed by an entry is not one either */
    CHECK_REC(c, 1, 7, FZ_KIND_ENTRY, "概况", "创建国家公共文化服务体系示范项目", "",
              "创建示范项目。\n短行没有标点后续正文。\n这一行有标点,不是标题");
    CHECK_REC(c, 2, 15, FZ_KIND_ENTRY, "动态", "创建国家公共文化服务体系示范项目", "", "示范项目通过评审。");
    /* spaces (U+3000 too) go, except one between Latin letters/digits */
    CHECK_REC(c, 3, 19, FZ_KIND_ENTRY, "建设", "海彼购O2O街区Wi Fi全覆盖", "边颖捷", "街区上线。");
    col_free(&c);
}

TEST(test_levels)
{
    tcol c = {0};
    CHECK_EQ_INT(parse_fixture("levels", &c), 0);
    CHECK_EQ_INT(c.n, 9);
    CHECK_REC(c, 0, 3, FZ_KIND_ENTRY, "前言", "概述", "", "本志记述下城区自然与社会。");
    /* a 节 with no 编/章 sits at the top and closes the plain heading */
    CHECK_REC(c, 1, 7, FZ_KIND_ENTRY, "土产", "第三节物产", "", "出产蔬菜。");
    CHECK_REC(c, 2, 17, FZ_KIND_ENTRY, "概况", "第一编自然环境/第二章气候/第三节气温/年平均气温", "",
              "年平均气温16.5℃。");
    CHECK_REC(c, 3, 21, FZ_KIND_ENTRY, "概况", "第一编自然环境/第二章气候/第3节降水", "", "年降水量1400毫米。");
    CHECK_REC(c, 4, 25, FZ_KIND_ENTRY, "概况", "第一编自然环境/第二章地貌", "", "以平原为主。");
    CHECK_REC(c, 5, 29, FZ_KIND_ENTRY, "概况", "第二编人口", "", "人口增长。");
    CHECK_REC(c, 6, 33, FZ_KIND_ENTRY, "茶叶", "第二编人口/地方特产", "", "出产龙井茶。");
    /* a numbered heading needs no lookahead; text under it is a record */
    CHECK_REC(c, 7, 37, FZ_KIND_ENTRY, "第十二章水文", "第二编人口/第十二章水文", "", "境内河流纵横。");
    /* 、 is allowed in a numbered heading */
    CHECK_REC(c, 8, 41, FZ_KIND_ENTRY, "概况", "第二编人口/第三章农业、林业", "", "农林并举。");
    col_free(&c);
}

TEST(test_entries)
{
    tcol c = {0};
    CHECK_EQ_INT(parse_fixture("entries", &c), 0);
    CHECK_EQ_INT(c.n, 5);
    CHECK_REC(c, 0, 3, FZ_KIND_ENTRY, "位置", "地理", "", "本区位于城市中心,东临上塘河,西接西湖区。");
    CHECK_REC(c, 1, 7, FZ_KIND_ENTRY, "面积", "地理", "", "全区面积31.46平方千米。");
    CHECK_REC(c, 2, 10, FZ_KIND_ENTRY, "气候", "地理", "", "四季分明。");
    /* no 】: the title is the rest of the line, the body comes after */
    CHECK_REC(c, 3, 11, FZ_KIND_ENTRY, "缺少右括号的条目标题", "地理", "", "正文继续。");
    /* no 】 and a long line: 64 characters of title, the rest is body */
    CHECK_REC(c, 4, 14, FZ_KIND_ENTRY,
              "一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十"
              "一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二三四",
              "地理", "", "五六七八九十下一行。");
    col_free(&c);
}

TEST(test_page_breaks)
{
    tcol c = {0};
    CHECK_EQ_INT(parse_fixture("pagebreak", &c), 0);
    CHECK_EQ_INT(c.n, 3);
    CHECK_REC(c, 0, 1, FZ_KIND_ENTRY, "杜青林调研跨贸小镇建设工作", "", "区委办|区跨贸小镇管委会",
              "杜青林一行到展示中心大厅,观看沙盘和宣传片,详细了解综合试验区规划布局。");
    /* 和 / “创业馆”: no space; 。 then a new sentence: "\n"; Latin: one space;
     * short unpunctuated lines followed by text are not headings */
    CHECK_REC(c, 1, 7, FZ_KIND_ENTRY, "概况", "", "陈波宇",
              "40多个国家160多名国际学生入驻创业园和“创业馆”。\n下一段另起。\n第三段 in 77 English words");
    /* 。” ends a sentence; a piece starting with ” continues one */
    CHECK_REC(c, 2, 18, FZ_KIND_ENTRY, "会议", "", "陈波宇",
              "主任说:“会议到此结束。”\n与会人员随后参观展厅。他说:“很好。”活动结束。");
    col_free(&c);
}

static bool page_number(const char *text)
{
    return parse_page_number((const unsigned char *)text, 0, strlen(text));
}

/* Lone page numbers and folios, and lines that only begin like one. */
TEST(test_page_numbers)
{
    CHECK(page_number("25"));
    CHECK(page_number("· 25 ·"));
    CHECK(page_number("- 25 -"));
    CHECK(page_number("第25页"));
    CHECK(page_number("1204·"));
    CHECK(page_number("１２３"));
    CHECK(!page_number("12345"));       /* five digits: a number, not a page */
    CHECK(!page_number("12345 页"));
    CHECK(!page_number("25 年"));
    CHECK(!page_number("2017年"));
    CHECK(!page_number("页25"));         /* 页 only at the end */
    CHECK(!page_number("·  ·"));         /* no digit */
    CHECK(!page_number("下城区"));
}

TEST(test_attributions)
{
    tcol c = {0};
    CHECK_EQ_INT(parse_fixture("attribution", &c), 0);
    CHECK_EQ_INT(c.n, 11);
    CHECK_REC(c, 0, 3, FZ_KIND_ENTRY, "甲", "城市建设", "严建", "甲正文。");       /* no blank line */
    CHECK_REC(c, 1, 6, FZ_KIND_ENTRY, "乙", "城市建设", "陆婷", "乙正文。");       /* (陆 婷) */
    CHECK_REC(c, 2, 10, FZ_KIND_ENTRY, "丙", "城市建设", "区委办|区跨贸小镇管委会", "丙正文。");
    CHECK_REC(c, 3, 12, FZ_KIND_ENTRY, "丁", "城市建设", "区委办|区跨贸小镇管委会", "丁正文。");
    CHECK_REC(c, 4, 16, FZ_KIND_ENTRY, "戊", "城市建设", "张三|李四", "戊正文。"); /* （张三、李四） */
    CHECK_REC(c, 5, 20, FZ_KIND_ENTRY, "己", "城市建设", "欧阳修", "己正文。");   /* 3 characters */
    CHECK_REC(c, 6, 24, FZ_KIND_ENTRY, "庚", "城市建设", "区统计局", "庚正文。"); /* （… 供稿） */
    CHECK_REC(c, 7, 28, FZ_KIND_ENTRY, "辛", "城市建设", "徐杭", "辛正文。");     /* U+3000 */
    /* every piece one character: one name, however long */
    CHECK_REC(c, 8, 32, FZ_KIND_ENTRY, "子", "城市建设", "欧阳小明", "子正文。");
    /* pending at a heading, and at the end: no authors */
    CHECK_REC(c, 9, 36, FZ_KIND_ENTRY, "壬", "城市建设", "", "壬正文。");
    CHECK_REC(c, 10, 40, FZ_KIND_ENTRY, "癸", "下一节", "", "癸正文。");
    for (size_t i = 0; i < c.n; i++)
        CHECK(strchr(c.r[i].body, '(') == NULL);
    col_free(&c);
}

TEST(test_sidebar)
{
    tcol c = {0};
    CHECK_EQ_INT(parse_fixture("sidebar", &c), 0);
    CHECK_EQ_INT(c.n, 4);
    const char *sec = "下城区获得浙江省治水工作“大禹鼎”";
    CHECK_REC(c, 0, 3, FZ_KIND_ENTRY, "概况", sec, "徐杭", "全区河道水质明显改善。");
    CHECK_REC(c, 1, 5, FZ_KIND_SIDEBAR, "大禹鼎", sec, "徐杭",
              "“大禹鼎”是浙江省“五水共治”工作最高奖,连续4年夺得“大禹鼎”颁发银鼎。");
    CHECK_REC(c, 2, 9, FZ_KIND_ENTRY, "首创窨井“井长制”", sec, "徐杭",
              "2017年5月,推出窨井“井长制”管理模式。");
    /* 资料 without a space is running text, here under the heading */
    CHECK_REC(c, 3, 13, FZ_KIND_ENTRY, sec, sec, "", "资料显示,全区水质改善。");
    col_free(&c);
}

TEST(test_caption)
{
    tcol c = {0};
    CHECK_EQ_INT(parse_fixture("caption", &c), 0);
    CHECK_EQ_INT(c.n, 4);
    const char *sec = "创办国际学生创业园";
    CHECK_REC(c, 0, 3, FZ_KIND_ENTRY, "发展平台打造", sec, "陈波宇",
              "浙江大学研究生胡斌和津巴布韦留学生罗福组建创业团队,就非洲国家实施移动支付项目,"
              "推动项目成功落地。");
    CHECK_REC(c, 1, 7, FZ_KIND_CAPTION, "", sec, "区跨贸小镇管委会",
              "2017年7月14日,来华留学生创业馆在新天地海彼购国际街区开馆");
    CHECK_REC(c, 2, 11, FZ_KIND_ENTRY, "创业馆开馆", sec, "陈波宇",
              "2017年7月14日,创业馆正式开馆。\n开馆仪式现场。");
    /* full-width parentheses, 摄, a name spaced out */
    CHECK_REC(c, 3, 13, FZ_KIND_CAPTION, "", sec, "张三", "西湖文化广场夜景");
    for (size_t i = 0; i < c.n; i++)
        CHECK(strstr(c.r[i].body, "供稿") == NULL && strstr(c.r[i].body, "摄") == NULL);
    col_free(&c);
}

TEST(test_ocr_spaces)
{
    tcol c = {0};
    CHECK_EQ_INT(parse_fixture("ocr_spaces", &c), 0);
    CHECK_EQ_INT(c.n, 1);
    CHECK_REC(c, 0, 1, FZ_KIND_ENTRY, "“杭州中心”开工建设", "", "严建",
              "2017 年 9 月 29 日,下城区举行开工仪式。总建筑面积约 26 万平方米。"
              "实现社会消费品零售总额1111.49 亿元,增长 10.1%。");
    col_free(&c);
}

TEST(test_inline_parens)
{
    tcol c = {0};
    CHECK_EQ_INT(parse_fixture("inline_parens", &c), 0);
    CHECK_EQ_INT(c.n, 1);
    /* parentheses in text, a line starting with one, one with punctuation
     * inside, one with only digits and a one-character one are all text */
    CHECK_REC(c, 0, 1, FZ_KIND_ENTRY, "新兴产业打造", "", "张三",
              "12月13日,中意(下城)医养合作中心落户“三村”连片改造地块。\n"
              "(区委办)未完的句子也不是署名。\n(见附表。)(2017)(续)");
    col_free(&c);
}

TEST(test_plain_paragraph)
{
    tcol c = {0};
    CHECK_EQ_INT(parse_fixture("plain_paragraph", &c), 0);
    CHECK_EQ_INT(c.n, 3);
    CHECK_REC(c, 0, 1, FZ_KIND_ENTRY, "", "", "", "本志上限1949年,下限2017年。");
    CHECK_REC(c, 1, 5, FZ_KIND_ENTRY, "第一章建置", "第一章建置", "编纂室", "境内建置沿革复杂。\n历代屡有变更。");
    CHECK_REC(c, 2, 11, FZ_KIND_ENTRY, "第一章建置", "第一章建置", "", "附记:资料来源于档案馆。");
    col_free(&c);
}

static void check_crlf_doc(const tcol *c)
{
    CHECK_EQ_INT(c->n, 1);
    CHECK_REC(*c, 0, 7, FZ_KIND_ENTRY, "调研", "年度聚焦/国家领导人在下城调研", "陆婷", "观看沙盘和宣传片。");
    if (c->n)
        CHECK(memchr(c->r[0].body, '\r', c->r[0].body_len) == NULL);
}

TEST(test_crlf_and_cr)
{
    tcol c = {0};
    CHECK_EQ_INT(parse_fixture("crlf", &c), 0);
    check_crlf_doc(&c);
    col_free(&c);

    /* the same with bare CR line endings */
    size_t len;
    char *text = read_file("../fixtures/parse/crlf.txt", &len);
    CHECK(text != NULL);
    if (!text)
        return;
    size_t k = 0;
    for (size_t i = 0; i < len; i++)
        if (!(text[i] == '\n' && i > 0 && text[i - 1] == '\r'))
            text[k++] = text[i];
    CHECK(memchr(text, '\n', k) == NULL);
    CHECK_EQ_INT(parse_mem(text, k, &c), 0);
    check_crlf_doc(&c);
    col_free(&c);
    free(text);
}

TEST(test_bom)
{
    tcol c = {0};
    CHECK_EQ_INT(parse_fixture("bom", &c), 0);
    CHECK_EQ_INT(c.n, 1);
    CHECK_REC(c, 0, 1, FZ_KIND_ENTRY, "标题", "", "作者", "正文。");
    col_free(&c);
}

TEST(test_invalid_utf8)
{
    tcol c = {0};
    CHECK_EQ_INT(parse_fixture("invalid_utf8", &c), 0);
    CHECK_EQ_INT(c.n, 2);
    /* the bytes pass through unchanged */
    CHECK_REC(c, 0, 1, FZ_KIND_ENTRY, "标\xff题", "", "张\xff", "正\xc3文\x80。\n\xfe\xfe");
    /* a sequence cut off at the end of the text */
    CHECK_REC(c, 1, 4, FZ_KIND_ENTRY, "尾", "", "", "截断\xe5\x8f");
    col_free(&c);
}

TEST(test_empty_and_blank)
{
    tcol c = {0};
    CHECK_EQ_INT(parse_fixture("empty", &c), 0);
    CHECK_EQ_INT(c.n, 0);
    CHECK_EQ_INT(parse_fixture("blank_lines", &c), 0);
    CHECK_EQ_INT(c.n, 0);
    CHECK_EQ_INT(parse_mem(NULL, 0, &c), 0);
    CHECK_EQ_INT(c.n, 0);
    CHECK_EQ_INT(parse_mem("\xEF\xBB\xBF", 3, &c), 0);
    CHECK_EQ_INT(c.n, 0);
    col_free(&c);
}

/* ---- the sample ---------------------------------------------------------------- */

/* Whether a line of a body is only "(name)" or "（name）". */
static int has_paren_line(const char *b, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && b[j] != '\n')
            j++;
        size_t s = i, e = j;
        while (s < e && b[s] == ' ')
            s++;
        while (e > s && b[e - 1] == ' ')
            e--;
        int open = (e - s >= 1 && b[s] == '(') || (e - s >= 3 && memcmp(b + s, "（", 3) == 0);
        int close = (e - s >= 1 && b[e - 1] == ')') || (e - s >= 3 && memcmp(b + e - 3, "）", 3) == 0);
        if (open && close)
            return 1;
        i = j + 1;
    }
    return 0;
}

TEST(test_sample)
{
    size_t len;
    char *text = read_file("../../corpus/xiacheng-2017-annual-focus.txt", &len);
    CHECK(text != NULL);
    if (!text)
        return;
    tcol c = {0};
    CHECK_EQ_INT(parse_mem(text, len, &c), 0);

    int kinds[3] = {0, 0, 0};
    for (size_t i = 0; i < c.n; i++) {
        kinds[c.r[i].kind]++;
        if (i)
            CHECK(c.r[i].line > c.r[i - 1].line);
        CHECK(!has_paren_line(c.r[i].body, c.r[i].body_len));
        CHECK(c.r[i].nauth >= 1); /* everything in the sample is credited */
        CHECK_EQ_INT(c.r[i].nsec, 2);
        CHECK(strncmp(c.r[i].sec, "年度聚焦/", strlen("年度聚焦/")) == 0);
        CHECK(strstr(c.r[i].body, "Annual Focus") == NULL);
    }
    CHECK_EQ_INT(c.n, 60);
    CHECK_EQ_INT(kinds[FZ_KIND_ENTRY], 58);
    CHECK_EQ_INT(kinds[FZ_KIND_SIDEBAR], 1);
    CHECK_EQ_INT(kinds[FZ_KIND_CAPTION], 1);

    CHECK_EQ_INT(c.r[0].line, 11);
    CHECK_EQ_STR(c.r[0].title, "刘延东调研下城区社区卫生服务工作");
    CHECK_EQ_STR(c.r[0].sec, "年度聚焦/国家领导人在下城调研");
    CHECK_EQ_STR(c.r[0].auth, "廖婷婷");

    const trec *r = find_title(&c, "首创窨井“井长制”");
    CHECK(r != NULL);
    if (r) {
        CHECK_EQ_INT(r->nsec, 2);
        CHECK_EQ_STR(r->sec, "年度聚焦/下城区获得浙江省治水工作“大禹鼎”");
        CHECK_EQ_STR(r->auth, "徐杭");
        CHECK_EQ_INT(r->line, 170);
    }
    r = find_title(&c, "杜青林调研跨贸小镇建设工作");
    CHECK(r != NULL);
    if (r) {
        CHECK_EQ_INT(r->nauth, 2);
        CHECK_EQ_STR(r->auth, "区委办|区跨贸小镇管委会");
        CHECK(strstr(r->body, "观看沙盘和宣传片,详细了解") != NULL);
    }
    r = find_title(&c, "大禹鼎");
    CHECK(r != NULL);
    if (r) {
        CHECK_EQ_INT(r->kind, FZ_KIND_SIDEBAR);
        CHECK_EQ_STR(r->auth, "徐杭");
        CHECK_EQ_INT(r->line, 160);
        CHECK_EQ_STR(r->sec, "年度聚焦/下城区获得浙江省治水工作“大禹鼎”");
    }
    r = find_title(&c, "发展平台打造");
    CHECK(r != NULL);
    if (r) {
        CHECK(strstr(r->body, "就非洲国家实施移动支付项目") != NULL);
        CHECK(strstr(r->body, "供稿") == NULL);
        CHECK(strstr(r->body, "开馆") == NULL);
        CHECK_EQ_STR(r->auth, "陈波宇");
    }
    for (size_t i = 0; i < c.n; i++) {
        if (c.r[i].kind != FZ_KIND_CAPTION)
            continue;
        CHECK_EQ_INT(c.r[i].line, 222);
        CHECK_EQ_STR(c.r[i].title, "");
        CHECK_EQ_STR(c.r[i].auth, "区跨贸小镇管委会");
        CHECK_EQ_STR(c.r[i].sec, "年度聚焦/创办国际学生创业园");
        CHECK_EQ_STR(c.r[i].body, "2017年7月14日,下城区跨贸小镇“一带一路”来华留学生创业馆"
                                  "在新天地海彼购国际街区开馆");
        /* right after the entry it interrupted */
        CHECK(i > 0 && strcmp(c.r[i - 1].title, "发展平台打造") == 0);
    }
    r = find_title(&c, "延安路商业联盟成立");
    CHECK(r != NULL && strcmp(r->auth, "陆婷") == 0);
    r = find_title(&c, "“武林新城”建设启动"); /* (严建) with no blank line */
    CHECK(r != NULL && strcmp(r->auth, "严建") == 0 && strstr(r->body, "严建") == NULL);
    r = find_title(&c, "“杭州中心”开工建设");
    CHECK(r != NULL && strstr(r->body, "2017 年 9 月 29 日") != NULL);
    r = find_title(&c, "新兴产业打造");
    CHECK(r != NULL && strstr(r->body, "中意(下城)医养合作中心") != NULL);
    /* both chapters' sections with typesetting spaces */
    int n3 = 0, nsf = 0;
    for (size_t i = 0; i < c.n; i++) {
        n3 += strcmp(c.r[i].sec, "年度聚焦/“三实三比”勇当排头兵主题活动") == 0;
        nsf += strcmp(c.r[i].sec, "年度聚焦/创建国家公共文化服务体系示范项目") == 0;
    }
    CHECK_EQ_INT(n3, 6);
    CHECK_EQ_INT(nsf, 3);
    /* the 概况 of 全域中央商务区建设 joins 总额 / 1111.49 亿元 */
    CHECK(c.n > 2 && strstr(c.r[2].body, "零售总额1111.49 亿元,增长 10.1%") != NULL);
    r = find_title(&c, "概况");
    CHECK(r != NULL && r->line == 23);
    r = find_title(&c, "创办国际学生创业园");
    CHECK(r == NULL);
    for (size_t i = 0; i < c.n; i++)
        if (strcmp(c.r[i].sec, "年度聚焦/创办国际学生创业园") == 0 && strcmp(c.r[i].title, "概况") == 0)
            CHECK(strstr(c.r[i].body, "入驻创业园和“创业馆”。") != NULL);
    col_free(&c);

    /* a context is reusable and nothing carries over */
    parse_ctx *p = parse_create();
    CHECK_EQ_INT(parse_text(p, text, len, collect, &c), 0);
    CHECK_EQ_INT(c.n, 60);
    col_free(&c);
    const char *small = "正文一段。\n";
    CHECK_EQ_INT(parse_text(p, small, strlen(small), collect, &c), 0);
    CHECK_EQ_INT(c.n, 1);
    CHECK_REC(c, 0, 1, FZ_KIND_ENTRY, "", "", "", "正文一段。");
    col_free(&c);
    CHECK_EQ_INT(parse_text(p, text, len, collect, &c), 0);
    CHECK_EQ_INT(c.n, 60);
    col_free(&c);
    parse_destroy(p);
    free(text);
}

/* ---- the API and robustness ---------------------------------------------------- */

/* One record as a line of tests/fixtures/parse/xiacheng-records.tsv:
 * line, kind number, section path, title, authors, body (\n and \\
 * escaped), separated by tabs. */
static void put_escaped(fz_buf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n')
            fz_buf_puts(b, "\\n");
        else if (s[i] == '\\')
            fz_buf_puts(b, "\\\\");
        else
            fz_buf_putc(b, s[i]);
    }
}

static int golden_line(void *ctx, const parse_entry *e)
{
    fz_buf *b = ctx;
    fz_buf_printf(b, "%u\t%d\t", e->line, (int)e->kind);
    for (size_t i = 0; i < e->nsection; i++)
        fz_buf_printf(b, "%s%s", i ? " › " : "", e->section[i]);
    fz_buf_putc(b, '\t');
    put_escaped(b, e->title, e->title_len);
    fz_buf_putc(b, '\t');
    for (size_t i = 0; i < e->nauthors; i++)
        fz_buf_printf(b, "%s%s", i ? "|" : "", e->authors[i]);
    fz_buf_putc(b, '\t');
    put_escaped(b, e->body, e->body_len);
    fz_buf_putc(b, '\n');
    return 0;
}

/* The sample yearbook's records, every field, exactly as the parser made
 * them before the classical layouts (the golden file was written by that
 * parser): its 59 entries and its caption are unchanged. */
TEST(test_sample_golden)
{
    size_t len, glen;
    char *text = read_file("../../corpus/xiacheng-2017-annual-focus.txt", &len);
    char *gold = read_file("../fixtures/parse/xiacheng-records.tsv", &glen);
    CHECK(text != NULL && gold != NULL);
    if (text && gold) {
        parse_ctx *p = parse_create();
        fz_buf b = {0};
        CHECK_EQ_INT(parse_text(p, text, len, golden_line, &b), 0);
        CHECK_EQ_INT(parse_layout_chosen(p), PARSE_YEARBOOK);
        CHECK_EQ_INT(b.len, glen);
        CHECK(b.len == glen && memcmp(b.p, gold, glen) == 0);
        /* the first line that differs, if any */
        for (size_t i = 0, ln = 1; i < b.len && i < glen; i++) {
            if (b.p[i] != gold[i]) {
                fprintf(stderr, "golden: first difference on line %zu\n", ln);
                break;
            }
            ln += b.p[i] == '\n';
        }
        fz_buf_free(&b);
        parse_destroy(p);
    }
    free(text);
    free(gold);
}

/* ---- the classical, OCR and paragraphs layouts (tests/fixtures/parse/layouts/) -- */

/* Parses layouts/<name>.txt with layout l; stores the layout chosen and the
 * volume's title. */
static int parse_layout_fixture(const char *name, parse_layout l, tcol *c, parse_layout *chosen, char *vol,
                                size_t vollen)
{
    char rel[256];
    snprintf(rel, sizeof rel, "../fixtures/parse/layouts/%s.txt", name);
    size_t len;
    char *text = read_file(rel, &len);
    CHECK(text != NULL);
    if (!text)
        return -1000;
    parse_ctx *p = parse_create();
    CHECK_EQ_INT(parse_set_layout(p, l), 0);
    int rc = parse_text(p, text, len, collect, c);
    *chosen = parse_layout_chosen(p);
    snprintf(vol, vollen, "%s", parse_volume(p));
    CHECK(*parse_layout_why(p) != 0);
    CHECK_EQ_INT(c->bad_terminators, 0);
    parse_destroy(p);
    free(text);
    return rc;
}

#define LAYOUT(name, want_layout, want_vol, want_n)                                  \
    tcol c = {0};                                                                    \
    parse_layout got_l;                                                              \
    char vol[128];                                                                   \
    CHECK_EQ_INT(parse_layout_fixture(name, PARSE_AUTO, &c, &got_l, vol, sizeof vol), 0); \
    CHECK_EQ_STR(parse_layout_name(got_l), parse_layout_name(want_layout));          \
    CHECK_EQ_STR(vol, want_vol);                                                     \
    CHECK_EQ_INT(c.n, want_n)

/* ● is a level above ○, △ below it; indented markers; a 卷 word under a
 * marker; typesetting spaces leave a heading (○津　梁 is 津梁); items
 * named before a space */
TEST(test_layout_markers)
{
    LAYOUT("markers", PARSE_CLASSICAL, "某某州志", 6);
    CHECK_REC(c, 0, 5, FZ_KIND_ENTRY, "", "卷一舆地第一/疆域", "", "州境东西广一百二十里，南北袤九十里。");
    CHECK_REC(c, 1, 7, FZ_KIND_ENTRY, "广济桥", "卷一舆地第一/津梁", "", "在州南门外，宋时建。");
    CHECK_REC(c, 2, 8, FZ_KIND_ENTRY, "通津渡", "卷一舆地第一/津梁", "", "在州东十里。");
    /* ■〈…〉 describes a missing character: an item, not a marked heading */
    CHECK_REC(c, 3, 9, FZ_KIND_ENTRY, "■〈木若〉桥", "卷一舆地第一/津梁", "", "在州北五里。");
    CHECK_REC(c, 4, 12, FZ_KIND_ENTRY, "", "卷二食货第二/田赋", "", "田地山塘共计八千余顷。");
    CHECK_REC(c, 5, 14, FZ_KIND_ENTRY, "", "卷二食货第二/田赋/盐课", "", "岁办盐引三千道。");
    col_free(&c);
}

/* 卷首 / 卷之N, 门 by their words (…志) above their 目 (plain headings
 * standing alone), 凡例 items */
TEST(test_layout_volumes)
{
    LAYOUT("volumes", PARSE_CLASSICAL, "", 6);
    CHECK_REC(c, 0, 5, FZ_KIND_ENTRY, "", "卷首/凡例", "", "一、是志本旧志而增修之。");
    CHECK_REC(c, 1, 7, FZ_KIND_ENTRY, "", "卷首/凡例", "", "一、山川以方位为次。");
    CHECK_REC(c, 2, 15, FZ_KIND_ENTRY, "凤凰山", "卷之一/地理志/山川", "", "在县北五里，形如凤翥。");
    CHECK_REC(c, 3, 17, FZ_KIND_ENTRY, "玉带河", "卷之一/地理志/山川", "", "源出凤凰山，绕城而南。");
    CHECK_REC(c, 4, 21, FZ_KIND_ENTRY, "", "卷之一/地理志/户口", "", "明洪武间，编户十二里。");
    CHECK_REC(c, 5, 29, FZ_KIND_ENTRY, "", "卷之二/食货志/田赋", "", "旧额田一千二百顷。");
    col_free(&c);
}

/* A 目录 is one record of kind toc; its headings are found in the body
 * with its nesting: 城池 is a heading although a list follows it, 列女传
 * is a 目 under 人物志 although …传 alone would make it a 门 */
TEST(test_layout_toc)
{
    LAYOUT("toc", PARSE_CLASSICAL, "", 6);
    CHECK_REC(c, 0, 1, FZ_KIND_TOC, "目录", "", "", "卷之一\n舆地志\n沿革\n城池\n卷之二\n人物志\n名宦\n列女传");
    CHECK_REC(c, 1, 14, FZ_KIND_ENTRY, "", "卷之一/舆地志/沿革", "", "本汉某某县地，唐武德四年析置今县。");
    CHECK_REC(c, 2, 16, FZ_KIND_ENTRY, "东门", "卷之一/舆地志/城池", "", "");
    CHECK_REC(c, 3, 17, FZ_KIND_ENTRY, "西门", "卷之一/舆地志/城池", "", "");
    CHECK_REC(c, 4, 21, FZ_KIND_ENTRY, "张某", "卷之二/人物志/名宦", "", "字某某，明嘉靖间知县事，有惠政。");
    CHECK_REC(c, 5, 23, FZ_KIND_ENTRY, "李氏", "卷之二/人物志/列女传", "", "王某妻，年二十而寡，守节四十年。");
    col_free(&c);
}

/* Items: a name, then a space, a full-width space or a colon, then the
 * text; a paragraph without one has no title */
TEST(test_layout_items)
{
    LAYOUT("items", PARSE_CLASSICAL, "", 4);
    CHECK_REC(c, 0, 5, FZ_KIND_ENTRY, "鼓楼", "卷之三/古迹志", "", "在县治东，元至正间建。");
    CHECK_REC(c, 1, 6, FZ_KIND_ENTRY, "永安", "卷之三/古迹志", "", "中县。武德元年析某县置。");
    CHECK_REC(c, 2, 7, FZ_KIND_ENTRY, "望仙桥", "卷之三/古迹志", "", "在县西三里，跨溪。");
    CHECK_REC(c, 3, 8, FZ_KIND_ENTRY, "", "卷之三/古迹志", "", "相传昔有仙人过此，故名。");
    col_free(&c);
}

/* A preface is one entry titled by its title line; an author line after
 * the title (a space may justify the name) credits it and is not text */
TEST(test_layout_preface_author)
{
    LAYOUT("preface_author", PARSE_CLASSICAL, "某某县志", 2);
    CHECK_REC(c, 0, 3, FZ_KIND_ENTRY, "序", "序", "钱塘某",
              "夫志者，一邑之史也。某承乏兹土，披览旧志，残缺过半，乃与邑之士大夫重加修辑。\n书成，因序其端。");
    CHECK_REC(c, 1, 11, FZ_KIND_ENTRY, "重修某某县志序", "重修某某县志序", "陈某", "邑之有志，犹国之有史。");
    col_free(&c);
}

/* A preface signed at its end: the name after the office (…知州事张文礼书。,
 * …儒学教谕李承恩书) is its author */
TEST(test_layout_preface_signed)
{
    LAYOUT("preface_signed", PARSE_CLASSICAL, "某某州志", 2);
    CHECK_REC(c, 0, 3, FZ_KIND_ENTRY, "州志序", "州志序", "张文礼",
              "州之有志旧矣，岁久板毁，士民病之。余莅任之明年，延邑人重修，阅八月而成。\n"
              "乾隆十年春三月，知州事张文礼书。");
    CHECK_REC(c, 1, 9, FZ_KIND_ENTRY, "跋", "跋", "李承恩", "是编既成，同人属余跋其后。儒学教谕李承恩书");
    /* signatures alone */
    static const struct {
        const char *text, *name;
    } sig[] = {
        {"康熙五十八年己亥秋七月，台湾府海防总捕同知加一级，虞山王礼谨序。", "王礼"},
        {"带余功一次、加三级，施世骠撰。", "施世骠"},
        {"福建分巡台湾厦门道，寿春梁文煊撰。", "梁文煊"},
        {"康熙五十八年己亥秋，知台湾府事，上党王珍雄樵氏撰。", "王珍"},
        {"宝佑丁巳中秋日平湖陈尧道敬之序", "陈尧道"},
        {"是编既成，儒学教谕某某书", "某某"},
        {"乾隆十年，知州事某某书。", "某某"},
        {"余既乐其书之成，于是乎书。", NULL},
        {"是为序。", NULL},
        {"邑之有志，犹国之有史。", NULL},
    };
    for (size_t i = 0; i < sizeof sig / sizeof *sig; i++) {
        const unsigned char *t = (const unsigned char *)sig[i].text;
        size_t ns = 0, ne = 0;
        bool got = parse_signature(t, 0, strlen(sig[i].text), &ns, &ne);
        CHECK_EQ_INT(got, sig[i].name != NULL);
        if (got && sig[i].name)
            CHECK_EQ_MEM((const char *)t + ns, ne - ns, sig[i].name);
    }
    col_free(&c);
}

/* 某某曰： credits 某某; 按：, 志曰：, 论曰： are the compilers' and credit
 * no one */
TEST(test_layout_commentary)
{
    LAYOUT("commentary", PARSE_CLASSICAL, "", 5);
    CHECK_REC(c, 0, 5, FZ_KIND_ENTRY, "", "卷之四/风俗志", "", "邑人质朴，务农桑，少商贾。");
    CHECK_REC(c, 1, 7, FZ_KIND_ENTRY, "", "卷之四/风俗志", "刘向",
              "刘向曰：「凡民函五常之性，而其刚柔缓急，音声不同，系水土之风气。」");
    CHECK_REC(c, 2, 9, FZ_KIND_ENTRY, "", "卷之四/风俗志", "", "按：旧志所载风俗，今多不同。");
    CHECK_REC(c, 3, 11, FZ_KIND_ENTRY, "", "卷之四/风俗志", "", "志曰：风俗之厚薄，系乎教化。");
    CHECK_REC(c, 4, 13, FZ_KIND_ENTRY, "", "卷之四/风俗志", "", "论曰：观一邑之风俗，可以知其治。");
    col_free(&c);
}

/* 〔N〕, （…） and an inline 【…】 stay in the paragraph's text; the 校注
 * block is one record of kind note in the section it closes */
TEST(test_layout_notes)
{
    LAYOUT("notes", PARSE_CLASSICAL, "", 3);
    CHECK_REC(c, 0, 7, FZ_KIND_ENTRY, "", "卷之五/艺文志/某某亭记〔1〕", "",
              "亭在县西（今属某镇），宋时邑人所建〔2〕。【旧志作“某某台”】岁久倾圮，明万历中重修。");
    CHECK_REC(c, 1, 9, FZ_KIND_NOTE, "校注", "卷之五/艺文志/某某亭记〔1〕", "",
              "〔1〕某某亭记：旧志题作“某某台记”。\n〔2〕宋时：一作“元时”。");
    CHECK_REC(c, 2, 17, FZ_KIND_ENTRY, "稻", "卷之五/物产志", "", "有粳有糯。");
    col_free(&c);
}

/* An OCR page: lines wrapped at the column are joined without spaces, a
 * paragraph runs on across the page break; the running heads (某某市志·人口,
 * 第二章　人口 beside a folio) and folios (·1203·, 1204·) are neither text
 * nor headings */
TEST(test_layout_ocr_page)
{
    LAYOUT("ocr_page", PARSE_CLASSICAL, "", 3);
    CHECK_REC(c, 0, 8, FZ_KIND_ENTRY, "", "第二章人口/第一节人口总量", "",
              "1990年第四次人口普查，全市总人口为一百二十三万人，比1982年增长百分之八点五。"
              "其中市区人口四十一万人，占总人口的三分之一。");
    CHECK_REC(c, 1, 12, FZ_KIND_ENTRY, "", "第二章人口/第一节人口总量", "",
              "2000年第五次人口普查，全市总人口为一百三十一万人。人口增长的主要原因是外来人口的迁入，"
              "尤以市区为多，外来人口多从事建筑业和商业。");
    CHECK_REC(c, 2, 23, FZ_KIND_ENTRY, "", "第二章人口/第二节人口构成", "",
              "全市人口中，男性占百分之五十一，女性占百分之四十九。");
    col_free(&c);
}

/* A page that breaks inside a sentence: the running head beside the folio
 * names a chapter that was never opened, and still neither opens a heading
 * nor splits the paragraph */
TEST(test_layout_ocr_midpage)
{
    LAYOUT("ocr_midpage", PARSE_CLASSICAL, "", 1);
    CHECK_REC(c, 0, 1, FZ_KIND_ENTRY, "", "", "",
              "全市人口中，男性占百分之五十一，女性占百分之四十九。少数民族人口二千余人，以回族、满族为多，"
              "散居全市各地，多从事商业和手工业。民族关系和睦，各民族互相尊重，共同发展。");
    col_free(&c);
}

/* No convention: every paragraph (here every line) is an entry; none
 * swallows the file */
TEST(test_layout_paragraphs)
{
    LAYOUT("paragraphs", PARSE_PARAGRAPHS, "", 3);
    CHECK_REC(c, 0, 1, FZ_KIND_ENTRY, "", "", "", "这是第一段，没有任何标题。");
    CHECK_REC(c, 1, 3, FZ_KIND_ENTRY, "", "", "", "这是第二段，同样没有标题。");
    CHECK_REC(c, 2, 4, FZ_KIND_ENTRY, "", "", "", "这是第三段。");
    col_free(&c);
}

/* --layout overrides the detector: the sample read as paragraphs has no
 * headings; a classical file read as a yearbook has no 目录 record */
TEST(test_layout_override)
{
    tcol c = {0};
    parse_layout got;
    char vol[128];
    CHECK_EQ_INT(parse_layout_fixture("toc", PARSE_PARAGRAPHS, &c, &got, vol, sizeof vol), 0);
    CHECK_EQ_INT(got, PARSE_PARAGRAPHS);
    for (size_t i = 0; i < c.n; i++)
        CHECK(c.r[i].nsec == 0 && c.r[i].kind == FZ_KIND_ENTRY);
    col_free(&c);
    CHECK_EQ_INT(parse_layout_fixture("toc", PARSE_YEARBOOK, &c, &got, vol, sizeof vol), 0);
    CHECK_EQ_INT(got, PARSE_YEARBOOK);
    for (size_t i = 0; i < c.n; i++)
        CHECK(c.r[i].kind != FZ_KIND_TOC);
    col_free(&c);
    parse_ctx *p = parse_create();
    CHECK_EQ_INT(parse_set_layout(p, (parse_layout)7), FZ_EINVAL);
    CHECK_EQ_INT(parse_set_layout(NULL, PARSE_AUTO), FZ_EINVAL);
    CHECK_EQ_INT(parse_layout_lookup("classical"), PARSE_CLASSICAL);
    CHECK_EQ_INT(parse_layout_lookup("Classical"), -1);
    CHECK_EQ_STR(parse_layout_name(PARSE_AUTO), "auto");
    parse_destroy(p);
}

TEST(test_api)
{
    CHECK_EQ_STR(fz_kind_name(FZ_KIND_ENTRY), "entry");
    CHECK_EQ_STR(fz_kind_name(FZ_KIND_SIDEBAR), "sidebar");
    CHECK_EQ_STR(fz_kind_name(FZ_KIND_CAPTION), "caption");
    parse_destroy(NULL);
    tcol c = {0};
    CHECK_EQ_INT(parse_text(NULL, "x", 1, collect, &c), FZ_EINVAL);
    parse_ctx *p = parse_create();
    CHECK_EQ_INT(parse_text(p, NULL, 1, collect, &c), FZ_EINVAL);
    CHECK_EQ_INT(parse_text(p, "x", 1, NULL, &c), FZ_EINVAL);

    /* emit's non-zero value stops the parse and is returned */
    const char *doc = "【一】 甲。\n【二】 乙。\n【三】 丙。\n(作者)\n";
    c.stop_after = 2;
    CHECK_EQ_INT(parse_text(p, doc, strlen(doc), collect, &c), 99);
    CHECK_EQ_INT(c.n, 2);
    col_free(&c);
    CHECK_EQ_INT(parse_text(p, doc, strlen(doc), collect, &c), 0);
    CHECK_EQ_INT(c.n, 3);
    col_free(&c);
    parse_destroy(p);
}

/* The volume's title from a book-title first line, which is neither a
 * heading nor an entry; "" when the first line is not one. */
TEST(test_volume)
{
    static const struct {
        const char *doc, *vol;
    } cases[] = {
        {"某某县志 乾隆本\n\n【一】 甲。\n", "某某县志"},
        {"\n\n仙溪志　　（宋）黄岩孙 编　（元）黄真仲 重订  \n【一】 甲。\n", "仙溪志"},
        {"台湾县志 清 王礼 主修 陈文达 编纂\n【一】 甲。\n", "台湾县志"},
        {"某某市年鉴\n【一】 甲。\n", "某某市年鉴"},
        {"年度聚焦\n【一】 甲。\n", ""},
        {"某某县志所载甚详。\n", ""},
        {"志\n【一】 甲。\n", ""},
        {"地理志\n【一】 甲。\n", ""},
        {"", ""},
    };
    parse_ctx *p = parse_create();
    CHECK_EQ_STR(parse_volume(p), "");
    CHECK_EQ_STR(parse_volume(NULL), "");
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        tcol c = {0};
        CHECK_EQ_INT(parse_text(p, cases[i].doc, strlen(cases[i].doc), collect, &c), 0);
        CHECK_EQ_STR(parse_volume(p), cases[i].vol);
        /* the title line is no heading and no entry's text */
        for (size_t k = 0; *cases[i].vol && k < c.n; k++) {
            CHECK(strstr(c.r[k].sec, cases[i].vol) == NULL);
            CHECK(strstr(c.r[k].body, cases[i].vol) == NULL);
            CHECK(strstr(c.r[k].title, cases[i].vol) == NULL);
        }
        col_free(&c);
    }
    parse_destroy(p);
}

TEST(test_nul_bytes)
{
    static const char doc[] = "【标\0题】 正\0文。\n(作者)\n";
    tcol c = {0};
    CHECK_EQ_INT(parse_mem(doc, sizeof doc - 1, &c), 0);
    CHECK_EQ_INT(c.n, 1);
    if (c.n) {
        CHECK_EQ_INT(c.r[0].title_len, 7);
        CHECK(memcmp(c.r[0].title, "标\0题", 7) == 0);
        CHECK_EQ_INT(c.r[0].body_len, 10);
        CHECK(memcmp(c.r[0].body, "正\0文。", 10) == 0);
        CHECK_EQ_STR(c.r[0].auth, "作者");
    }
    col_free(&c);
}

TEST(test_many_entries)
{
    fz_buf b = {0};
    for (int i = 0; i < 100000; i++) {
        fz_buf_printf(&b, "【条目%d】 正文%d。\n", i, i);
        if (i % 10 == 9)
            fz_buf_puts(&b, "(作者)\n");
    }
    tcol c = {0};
    CHECK_EQ_INT(parse_mem(b.p, b.len, &c), 0);
    CHECK_EQ_INT(c.n, 100000);
    if (c.n == 100000) {
        CHECK_EQ_STR(c.r[99999].title, "条目99999");
        CHECK_EQ_STR(c.r[99999].body, "正文99999。");
        CHECK_EQ_STR(c.r[99999].auth, "作者");
        CHECK_EQ_INT(c.r[99999].line, 99999 + 9999 + 1);
    }
    col_free(&c);
    fz_buf_free(&b);
}

TEST(test_huge_line)
{
    /* one 50 MB line: an entry whose body is the whole line */
    const size_t n = 50u << 20;
    char *t = malloc(n);
    if (!t)
        abort();
    memcpy(t, "【长】 ", strlen("【长】 "));
    for (size_t i = strlen("【长】 "); i < n; i++)
        t[i] = (char)('a' + i % 26);
    tcol c = {0};
    CHECK_EQ_INT(parse_mem(t, n, &c), 0);
    CHECK_EQ_INT(c.n, 1);
    if (c.n)
        CHECK_EQ_INT(c.r[0].body_len, n - strlen("【长】 "));
    col_free(&c);
    /* and as running text with no structure at all */
    t[0] = 'x';
    CHECK_EQ_INT(parse_mem(t, n, &c), 0);
    CHECK_EQ_INT(c.n, 1);
    if (c.n)
        CHECK_EQ_INT(c.r[0].body_len, n);
    col_free(&c);
    free(t);
}

TEST(test_long_heading_chains)
{
    /* 200,000 short unpunctuated lines: with a quadratic lookahead this
     * would not finish.  Followed by text and nothing else they are
     * paragraphs, one entry each (no entry swallows the file)... */
    fz_buf b = {0};
    for (int i = 0; i < 200000; i++)
        fz_buf_printf(&b, "短行%d\n", i);
    fz_buf_puts(&b, "正文。\n");
    tcol c = {0};
    CHECK_EQ_INT(parse_mem(b.p, b.len, &c), 0);
    CHECK_EQ_INT(c.n, 200001);
    if (c.n == 200001) {
        CHECK_EQ_STR(c.r[0].body, "短行0");
        CHECK_EQ_STR(c.r[200000].body, "正文。");
    }
    col_free(&c);
    /* ...and followed by an entry they are all headings, each replacing
     * the previous plain heading */
    b.len = 0;
    for (int i = 0; i < 200000; i++)
        fz_buf_printf(&b, "标题%d\n\n", i);
    fz_buf_puts(&b, "【条目】 正文。\n");
    CHECK_EQ_INT(parse_mem(b.p, b.len, &c), 0);
    CHECK_EQ_INT(c.n, 1);
    CHECK_REC(c, 0, 400001, FZ_KIND_ENTRY, "条目", "标题199999", "", "正文。");
    col_free(&c);
    fz_buf_free(&b);
}

int main(void)
{
    t_run(test_chapter_english);
    t_run(test_heading_spaces);
    t_run(test_levels);
    t_run(test_entries);
    t_run(test_page_breaks);
    t_run(test_page_numbers);
    t_run(test_attributions);
    t_run(test_sidebar);
    t_run(test_caption);
    t_run(test_ocr_spaces);
    t_run(test_inline_parens);
    t_run(test_plain_paragraph);
    t_run(test_crlf_and_cr);
    t_run(test_bom);
    t_run(test_invalid_utf8);
    t_run(test_empty_and_blank);
    t_run(test_sample);
    t_run(test_sample_golden);
    t_run(test_layout_markers);
    t_run(test_layout_volumes);
    t_run(test_layout_toc);
    t_run(test_layout_items);
    t_run(test_layout_preface_author);
    t_run(test_layout_preface_signed);
    t_run(test_layout_commentary);
    t_run(test_layout_notes);
    t_run(test_layout_ocr_page);
    t_run(test_layout_ocr_midpage);
    t_run(test_layout_paragraphs);
    t_run(test_layout_override);
    t_run(test_api);
    t_run(test_volume);
    t_run(test_nul_bytes);
    t_run(test_many_entries);
    t_run(test_huge_line);
    t_run(test_long_heading_chains);
    return t_done("test_parse");
}
