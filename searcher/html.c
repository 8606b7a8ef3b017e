/*
 * html.c -- the reading room's pages and style sheet (see html.h).
 */
#include "html.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kind.h"
#include "out.h"
#include "query.h"
#include "snip.h"

#define MAXHL 256
#define SITE "方志检索"

/* ------------------------------------------------------------ primitives */

void html_raw(html *h, const char *s, size_t n)
{
    if (!h->err && fz_buf_append(&h->b, s, n))
        h->err = FZ_ENOMEM;
}

static void put(html *h, const char *s) { html_raw(h, s, strlen(s)); }

static void putf(html *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(html *h, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        html_raw(h, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

void html_text(html *h, const char *s, size_t n)
{
    size_t run = 0; /* start of the bytes not yet written */
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        const char *rep = NULL;
        size_t k = 1;
        if (c < 0x80) {
            switch (c) {
            case '&': rep = "&amp;"; break;
            case '<': rep = "&lt;"; break;
            case '>': rep = "&gt;"; break;
            case '"': rep = "&quot;"; break;
            case '\'': rep = "&#39;"; break;
            default:
                if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f)
                    rep = "";
            }
        } else {
            uint32_t cp;
            int d = fz_utf8_decode((const unsigned char *)s + i, n - i, &cp);
            if (d < 0)
                rep = "\xEF\xBF\xBD";
            else
                k = (size_t)d;
        }
        if (rep) {
            html_raw(h, s + run, i - run);
            put(h, rep);
            run = i + k;
        }
        i += k;
    }
    html_raw(h, s + run, n - run);
}

void html_url(html *h, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
            c == '_' || c == '~') {
            html_raw(h, (const char *)&c, 1);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            html_raw(h, e, 3);
        }
    }
}

/* Text with the ranges hl[0..nhl) (in order, byte offsets) in <mark>. */
static void marked(html *h, const char *s, size_t n, const snip_range *hl, size_t nhl)
{
    size_t at = 0;
    for (size_t i = 0; i < nhl; i++) {
        if (hl[i].start < at || hl[i].end > n || hl[i].end <= hl[i].start)
            continue;
        html_text(h, s + at, hl[i].start - at);
        put(h, "<mark>");
        html_text(h, s + hl[i].start, hl[i].end - hl[i].start);
        put(h, "</mark>");
        at = hl[i].end;
    }
    html_text(h, s + at, n - at);
}

/* The ranges of field's spans, at most max. */
static size_t field_ranges(const search_hit *hit, int field, snip_range *hl, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < hit->nspans && n < max; i++)
        if (hit->spans[i].field == field) {
            hl[n].start = hit->spans[i].start;
            hl[n].end = hit->spans[i].end;
            n++;
        }
    return n;
}

/* ----------------------------------------------------------------- links */

/* href="ROUTE?q=Q[ FIELD:"VAL"]&fold=F[EXTRA]": the query of f, narrowed by
 * field:val when field is given.  Returns -1 (and writes nothing) when val
 * holds every kind of quote. */
static int href(html *h, const char *route, const html_form *f, const char *field, const char *val, size_t vlen,
                const char *extra)
{
    const char *open = "\"", *close = "\"";
    int plain = field && vlen > 0; /* a number (year:1784, year:-205) goes unquoted */
    for (size_t i = 0; plain && i < vlen; i++)
        plain = (val[i] >= '0' && val[i] <= '9') || (i == 0 && val[i] == '-' && vlen > 1);
    if (plain)
        open = close = "";
    else if (field) {
        static const char *const q[3][2] = {{"\"", "\""}, {"“", "”"}, {"「", "」"}};
        int k = 0;
        while (k < 3 && (memmem(val, vlen, q[k][0], strlen(q[k][0])) || memmem(val, vlen, q[k][1], strlen(q[k][1]))))
            k++;
        if (k == 3)
            return -1;
        open = q[k][0];
        close = q[k][1];
    }
    put(h, " href=\"");
    put(h, route);
    put(h, "?q=");
    if (f->q)
        html_url(h, f->q, f->qlen);
    if (field) {
        if (f->q && f->qlen)
            html_url(h, " ", 1);
        html_url(h, field, strlen(field));
        html_url(h, ":", 1);
        html_url(h, open, strlen(open));
        html_url(h, val, vlen);
        html_url(h, close, strlen(close));
    }
    if (f->fold != TOK_FOLD_VARIANTS) {
        put(h, "&amp;fold=");
        put(h, req_fold_name(f->fold));
    }
    if (extra)
        put(h, extra);
    put(h, "\"");
    return 0;
}

/* A link narrowing f by field:val, showing val (or a plain span when it
 * cannot be written as a term). */
static void narrow(html *h, const html_form *f, const char *field, const char *val, size_t vlen, const char *cls)
{
    size_t mark = h->b.len;
    put(h, "<a");
    int linked = href(h, "/search", f, field, val, vlen, NULL) == 0;
    if (!linked) {
        h->b.len = mark;
        put(h, "<span");
    }
    putf(h, " class=\"%s\" title=\"%s:", cls, field);
    html_text(h, val, vlen);
    put(h, "\">");
    html_text(h, val, vlen);
    put(h, linked ? "</a>" : "</span>");
}

/* ---------------------------------------------------------------- frame */

void html_begin(html *h, const char *title, size_t tlen, const html_form *f)
{
    put(h, "<!doctype html>\n<html lang=\"zh\">\n<head>\n<meta charset=\"utf-8\">\n"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
           "<meta name=\"referrer\" content=\"no-referrer\">\n<title>");
    if (tlen) {
        html_text(h, title, tlen);
        put(h, " · ");
    }
    put(h, SITE "</title>\n<link rel=\"stylesheet\" href=\"/style.css\">\n</head>\n<body>\n"
           "<header class=\"top\">\n<a class=\"brand\" href=\"/\">方志<span>fangzhi</span></a>\n"
           "<form class=\"ask\" action=\"/search\" method=\"get\" role=\"search\">\n"
           "<input type=\"search\" name=\"q\" aria-label=\"检索词\" placeholder=\"检索词，如 井长制\" value=\"");
    if (f && f->q)
        html_text(h, f->q, f->qlen);
    put(h, "\">\n<select name=\"fold\" aria-label=\"异体与繁简\">");
    static const char *const labels[3] = {"只检原字形", "繁简通检", "繁简异体通检"};
    static const tok_fold order[3] = {TOK_FOLD_VARIANTS, TOK_FOLD_TS, TOK_FOLD_NONE};
    tok_fold cur = f ? f->fold : TOK_FOLD_VARIANTS;
    for (int i = 0; i < 3; i++)
        putf(h, "<option value=\"%s\"%s>%s</option>", req_fold_name(order[i]), order[i] == cur ? " selected" : "",
             labels[order[i]]);
    put(h, "</select>\n<button type=\"submit\">检索</button>\n</form>\n"
           "<a class=\"helplink\" href=\"/help\">检索语法</a>\n</header>\n<main>\n");
}

void html_end(html *h, uint64_t nentries)
{
    putf(h, "</main>\n<footer>fangzhi %s · 本库 %llu 条 · 离线阅览，不连外网</footer>\n</body>\n</html>\n",
         FZ_VERSION, (unsigned long long)nentries);
}

void html_home(html *h, uint64_t nentries)
{
    putf(h, "<section class=\"intro\">\n<h1>地方志与年鉴全文检索</h1>\n"
            "<p>本库收 %llu 条。输入字词即可检索：连续的字是一个词组，繁体、简体与异体字互相检得；"
            "结果按相关度排列，点题目读全文，点篇章、作者可缩小范围。</p>\n<p class=\"examples\">例：",
         (unsigned long long)nentries);
    static const char *const ex[] = {"井长制", "商圈 智慧", "井长制 NEAR/20 治水", "杭州 EXCEPT 杭州中心"};
    for (size_t i = 0; i < sizeof ex / sizeof ex[0]; i++) {
        html_form ef = {ex[i], strlen(ex[i]), TOK_FOLD_VARIANTS};
        put(h, "<a");
        href(h, "/search", &ef, NULL, NULL, 0, NULL);
        put(h, ">");
        html_text(h, ex[i], strlen(ex[i]));
        put(h, "</a> ");
    }
    put(h, "· <a href=\"/help\">全部语法</a></p>\n</section>\n");
}

void html_help(html *h)
{
    put(h, "<section class=\"help\">\n<h1>检索语法 <span lang=\"en\">Query syntax</span></h1>\n"
           "<p>与命令行 <code>fzsearch --help</code> 所列相同。字段限定：<code>section:</code> 篇章，"
           "<code>author:</code> 作者，<code>title:</code> 题目，<code>file:</code> 文件，<code>kind:</code> 类别。</p>\n"
           "<pre lang=\"en\">");
    const char *t = query_help();
    html_text(h, t, strlen(t));
    put(h, "</pre>\n</section>\n");
}

void html_error(html *h, int status, const char *msg)
{
    const char *head = status == 400   ? "无法读懂这个检索式"
                       : status == 404 ? "没有这个页面或条目"
                       : status == 405 ? "只能读，不能写"
                       : status == 413 || status == 414 ? "请求太长"
                       : status == 503 ? "检索范围太广或服务繁忙"
                                       : "出错了";
    putf(h, "<section class=\"error\" role=\"alert\">\n<h1>%s</h1>\n<p class=\"msg\"><code>", head);
    html_text(h, msg, strlen(msg));
    put(h, "</code></p>\n");
    if (status == 400)
        put(h, "<p>检索式仍在上方框中，改好后再检索。<a href=\"/help\">检索语法</a></p>\n");
    else if (status == 503)
        put(h, "<p>请加上更多字词，或用 <code>section:</code>、<code>author:</code> 缩小范围后再试。</p>\n");
    put(h, "</section>\n");
}

/* -------------------------------------------------------------- results */

void html_summary(html *h, const html_form *f, uint64_t total, uint32_t first, uint32_t last)
{
    putf(h, "<p class=\"summary\"><span class=\"count\">共 <b>%llu</b> 条</span>", (unsigned long long)total);
    if (total)
        putf(h, "<span>第 %u–%u 条</span>", first, last);
    if (total) {
        put(h, "<a");
        href(h, "/kwic", f, NULL, NULL, 0, NULL);
        put(h, ">语境索引</a><a");
        href(h, "/export.csv", f, NULL, NULL, 0, NULL);
        put(h, " download>导出 CSV</a><a");
        href(h, "/export.jsonl", f, NULL, NULL, 0, NULL);
        put(h, " download>JSONL</a>");
    }
    put(h, "</p>\n");
}

void html_hits_begin(html *h, uint32_t first) { putf(h, "<ol class=\"hits\" start=\"%u\">\n", first); }
void html_hits_end(html *h) { put(h, "</ol>\n"); }

/* A kind in Chinese, for the pages. */
static const char *kind_label(int k)
{
    switch (k) {
    case FZ_KIND_SIDEBAR: return "资料";
    case FZ_KIND_CAPTION: return "图片说明";
    case FZ_KIND_TOC: return "目录";
    case FZ_KIND_NOTE: return "注释";
    default: return "条目";
    }
}

/* The volume as --json names it (《title》 when the text or the catalog
 * gives one), then the catalog's place and year, each narrowing. */
static void volume_part(html *h, const store_volume *v, const html_form *f)
{
    if (!v->title_len && !v->place_len && !v->has_year)
        return;
    put(h, "<span class=\"vol\">");
    if (v->title_len) {
        int book = v->source != STORE_VOL_FILENAME;
        put(h, book ? "《" : "");
        narrow(h, f, "volume", v->title, v->title_len, "vo");
        put(h, book ? "》" : "");
    }
    if (v->place_len) {
        put(h, " ");
        narrow(h, f, "place", v->place, v->place_len, "pl");
    }
    if (v->has_year) {
        char y[16];
        int n = snprintf(y, sizeof y, "%d", (int)v->year);
        put(h, " ");
        narrow(h, f, "year", y, (size_t)n, "yr");
    }
    put(h, "</span>");
}

/* Section path (each part narrowing, or each a query on it: narrowing
 * from an empty form), authors and file:line. */
/* The strings s[0..n) in a span of class cls, separated by sep, each a
 * link narrowing f by field (of class item). */
static void narrow_list(html *h, const html_form *f, const char *cls, const char *sep, const char *field,
                        const char *const *s, const size_t *len, size_t n, const char *item)
{
    if (!n)
        return;
    putf(h, "<span class=\"%s\">", cls);
    for (size_t i = 0; i < n; i++) {
        if (i)
            put(h, sep);
        narrow(h, f, field, s[i], len[i], item);
    }
    put(h, "</span>");
}

static void where(html *h, const store_entry *e, const store_volume *v, const char *file, size_t flen,
                  const html_form *f)
{
    put(h, "<p class=\"where\">");
    volume_part(h, v, f);
    narrow_list(h, f, "path", "<span class=\"sep\"> › </span>", "section", e->section, e->section_len, e->nsection,
                "sec");
    narrow_list(h, f, "authors", "、", "author", e->authors, e->author_len, e->nauthors, "au");
    put(h, "<span class=\"src\">");
    char pb[PATH_MAX];
    const char *shown = out_display_path(file, flen, pb, sizeof pb);
    html_text(h, shown, strlen(shown));
    putf(h, ":%u</span>", e->line);
    if (e->kind != FZ_KIND_ENTRY) {
        put(h, "<span class=\"kind\">");
        put(h, kind_label(e->kind));
        put(h, "</span>");
    }
    put(h, "</p>\n");
}

/* Link to entry id with f's query. */
static void entry_href(html *h, uint32_t id, const html_form *f)
{
    putf(h, " href=\"/entry/%u", id);
    if (f->q && f->qlen) {
        put(h, "?q=");
        html_url(h, f->q, f->qlen);
        if (f->fold != TOK_FOLD_VARIANTS) {
            put(h, "&amp;fold=");
            put(h, req_fold_name(f->fold));
        }
    }
    put(h, "\"");
}

static void title_text(html *h, const search_hit *hit)
{
    const store_entry *e = hit->e;
    if (e->title_len) {
        snip_range hl[MAXHL];
        size_t n = field_ranges(hit, 0, hl, MAXHL);
        marked(h, e->title, e->title_len, hl, n);
    } else {
        put(h, "（");
        put(h, e->kind == FZ_KIND_ENTRY ? "无题" : kind_label(e->kind));
        put(h, "）");
    }
}

void html_hit(html *h, const search_hit *hit, const html_form *f, size_t width)
{
    const store_entry *e = hit->e;
    put(h, "<li class=\"hit\">\n<h2><a");
    entry_href(h, e->id, f);
    put(h, ">");
    title_text(h, hit);
    put(h, "</a></h2>\n");
    where(h, e, &hit->volume, hit->file, hit->file_len, f);
    if (e->body_len) {
        fz_buf sn = {0};
        snip_range hl[MAXHL];
        int n = snip_make(e->body, e->body_len, hit->spans, hit->nspans, 1, width, &sn, hl, MAXHL);
        if (n < 0) {
            h->err = n;
        } else {
            put(h, "<p class=\"snip\">");
            marked(h, sn.p ? sn.p : "", sn.len, hl, (size_t)n);
            put(h, "</p>\n");
        }
        fz_buf_free(&sn);
    }
    put(h, "</li>\n");
}

void html_pager(html *h, const html_form *f, const char *route, uint32_t page, uint32_t npages)
{
    if (npages < 2)
        return;
    char extra[48];
    put(h, "<nav class=\"pager\" aria-label=\"分页\">");
    if (page > 1) {
        snprintf(extra, sizeof extra, "&amp;page=%u", page - 1);
        put(h, "<a rel=\"prev\"");
        href(h, route, f, NULL, NULL, 0, extra);
        put(h, ">‹ 上一页</a>");
    }
    uint32_t lo = page > 4 ? page - 4 : 1, hi = lo + 8 < npages ? lo + 8 : npages;
    if (hi - lo < 8)
        lo = hi > 8 ? hi - 8 : 1;
    for (uint32_t p = lo; p <= hi; p++) {
        if (p == page) {
            putf(h, "<span class=\"cur\" aria-current=\"page\">%u</span>", p);
            continue;
        }
        snprintf(extra, sizeof extra, "&amp;page=%u", p);
        put(h, "<a");
        href(h, route, f, NULL, NULL, 0, extra);
        putf(h, ">%u</a>", p);
    }
    if (page < npages) {
        snprintf(extra, sizeof extra, "&amp;page=%u", page + 1);
        put(h, "<a rel=\"next\"");
        href(h, route, f, NULL, NULL, 0, extra);
        put(h, ">下一页 ›</a>");
    }
    put(h, "</nav>\n");
}

/* --------------------------------------------------------------- facets */

void html_facets_begin(html *h, uint64_t sample)
{
    put(h, "<aside class=\"facets\" aria-label=\"分布\">\n<h2>分布</h2>\n");
    if (sample)
        putf(h, "<p class=\"note\">按最相关的 %llu 条统计</p>\n", (unsigned long long)sample);
}

void html_facets_end(html *h) { put(h, "</aside>\n"); }

/* A link narrowing by every part of a section path "a › b › c". */
static int path_href(html *h, const html_form *f, const char *s, size_t n)
{
    fz_buf q = {0};
    static const char sep[] = " › ";
    const size_t sl = sizeof sep - 1;
    if (f->q)
        fz_buf_append(&q, f->q, f->qlen);
    size_t at = 0;
    int rc = 0;
    while (at <= n && !rc) {
        const char *e = memmem(s + at, n - at, sep, sl);
        size_t end = e ? (size_t)(e - s) : n;
        /* the term for this part, as href would write it */
        static const char *const qs[3][2] = {{"\"", "\""}, {"“", "”"}, {"「", "」"}};
        int k = 0;
        while (k < 3 && (memmem(s + at, end - at, qs[k][0], strlen(qs[k][0])) ||
                         memmem(s + at, end - at, qs[k][1], strlen(qs[k][1]))))
            k++;
        if (k == 3 || end == at)
            rc = -1;
        else if ((q.len && fz_buf_putc(&q, ' ')) || fz_buf_puts(&q, "section:") || fz_buf_puts(&q, qs[k][0]) ||
                 fz_buf_append(&q, s + at, end - at) || fz_buf_puts(&q, qs[k][1]))
            rc = FZ_ENOMEM;
        at = end + sl;
        if (!e)
            break;
    }
    if (!rc) {
        html_form nf = {q.p, q.len, f->fold};
        href(h, "/search", &nf, NULL, NULL, 0, NULL);
    }
    fz_buf_free(&q);
    return rc;
}

void html_facet(html *h, const char *heading, group *g, const char *field, const html_form *f, size_t max)
{
    size_t n = group_count(g);
    if (!n)
        return;
    uint64_t top = 0;
    for (size_t i = 0; i < n; i++) {
        const char *name;
        size_t len;
        uint64_t ent, occ;
        group_item(g, i, &name, &len, &ent, &occ);
        if (ent > top)
            top = ent;
    }
    put(h, "<section class=\"facet\">\n<h3>");
    put(h, heading);
    putf(h, " <small>%zu</small></h3>\n<ul>\n", n);
    for (size_t i = 0; i < n && i < max; i++) {
        const char *name;
        size_t len;
        uint64_t ent, occ;
        group_item(g, i, &name, &len, &ent, &occ);
        int none = len == 6 && !memcmp(name, "(none)", 6);
        unsigned pct = top ? (unsigned)((ent * 1000 + top / 2) / top) : 0;
        size_t mark = h->b.len;
        put(h, "<li>");
        int linked = 0;
        if (!none) {
            put(h, "<a");
            linked = !strcmp(field, "section") ? path_href(h, f, name, len) == 0
                                               : href(h, "/search", f, field, name, len, NULL) == 0;
            if (!linked) {
                h->b.len = mark;
                put(h, "<li>");
            }
        }
        if (!linked)
            put(h, "<span");
        put(h, " class=\"fb\"><span class=\"fl\" title=\"");
        html_text(h, name, len);
        put(h, "\">");
        if (none)
            put(h, "（无）");
        else
            html_text(h, name, len);
        putf(h, "</span><span class=\"fn\">%llu</span><span class=\"bar\" style=\"width:%u.%u%%\"></span>%s</li>\n",
             (unsigned long long)ent, pct / 10, pct % 10, linked ? "</a>" : "</span>");
    }
    if (n > max)
        putf(h, "<li class=\"more\">另有 %zu 项</li>\n", n - max);
    put(h, "</ul>\n</section>\n");
}

/* ----------------------------------------------------------------- kwic */

void html_kwic(html *h, kwic *k, const html_form *f, req_sort sort, uint64_t total, uint64_t shown)
{
    static const char *const names[4] = {"按相关度", "按原书次序", "按左文排序", "按右文排序"};
    put(h, "<p class=\"summary\">");
    putf(h, "<span class=\"count\">语境索引 · <b>%zu</b> 处，出自 %llu 条</span>", kwic_rows(k),
         (unsigned long long)shown);
    if (shown < total)
        putf(h, "<span>（最相关的 %llu 条，共 %llu 条）</span>", (unsigned long long)shown, (unsigned long long)total);
    put(h, "<a");
    href(h, "/search", f, NULL, NULL, 0, NULL);
    put(h, ">返回结果</a></p>\n<nav class=\"sorts\">排序：");
    for (int i = 0; i < 4; i++) {
        if ((req_sort)i == sort) {
            putf(h, "<span class=\"cur\">%s</span>", names[i]);
            continue;
        }
        char extra[32];
        snprintf(extra, sizeof extra, "&amp;sort=%s", req_sort_name((req_sort)i));
        put(h, "<a");
        href(h, "/kwic", f, NULL, NULL, 0, extra);
        putf(h, ">%s</a>", names[i]);
    }
    put(h, "</nav>\n<div class=\"kwicwrap\"><table class=\"kwic\">\n<tbody>\n");
    size_t n = kwic_rows(k);
    for (size_t i = 0; i < n; i++) {
        kwic_row r;
        kwic_row_get(k, i, &r);
        put(h, "<tr><td class=\"l\"><span>");
        html_text(h, r.left, r.left_len);
        put(h, "</span></td><td class=\"m\"><a");
        entry_href(h, r.id, f);
        put(h, "><mark>");
        html_text(h, r.match, r.match_len);
        put(h, "</mark></a></td><td class=\"r\">");
        html_text(h, r.right, r.right_len);
        put(h, "</td><td class=\"t\"><a");
        entry_href(h, r.id, f);
        put(h, ">");
        if (r.title_len)
            html_text(h, r.title, r.title_len);
        else
            putf(h, "#%u", r.id);
        put(h, "</a></td></tr>\n");
    }
    put(h, "</tbody>\n</table></div>\n");
}

/* ---------------------------------------------------------------- entry */

void html_entry(html *h, const search_hit *hit, const html_form *f, uint32_t prev_id, uint32_t next_id)
{
    const store_entry *e = hit->e;
    put(h, "<article class=\"entry\">\n<h1>");
    title_text(h, hit);
    put(h, "</h1>\n");
    html_form none = {NULL, 0, f->fold};
    where(h, e, &hit->volume, hit->file, hit->file_len, &none);
    put(h, "<div class=\"text\">");
    snip_range hl[MAXHL];
    size_t n = field_ranges(hit, 1, hl, MAXHL);
    marked(h, e->body, e->body_len, hl, n);
    put(h, "</div>\n");
    if (e->nauthors) {
        put(h, "<p class=\"byline\">（");
        for (size_t i = 0; i < e->nauthors; i++) {
            if (i)
                put(h, "　");
            html_text(h, e->authors[i], e->author_len[i]);
        }
        put(h, "）</p>\n");
    }
    put(h, "<nav class=\"around\">");
    if (prev_id) {
        put(h, "<a rel=\"prev\"");
        entry_href(h, prev_id - 1, f);
        put(h, ">‹ 上一条</a>");
    }
    if (e->nsection) {
        put(h, "<a");
        fz_buf path = {0};
        for (size_t i = 0; i < e->nsection; i++)
            if ((i && fz_buf_puts(&path, " › ")) || fz_buf_append(&path, e->section[i], e->section_len[i]))
                h->err = FZ_ENOMEM;
        if (path_href(h, &none, path.p ? path.p : "", path.len))
            put(h, " href=\"/\"");
        fz_buf_free(&path);
        put(h, ">本节全部条目</a>");
    }
    if (f->q && f->qlen) {
        put(h, "<a");
        href(h, "/search", f, NULL, NULL, 0, NULL);
        put(h, ">返回结果</a>");
    }
    if (next_id) {
        put(h, "<a rel=\"next\"");
        entry_href(h, next_id - 1, f);
        put(h, ">下一条 ›</a>");
    }
    put(h, "</nav>\n</article>\n");
}

/* ---------------------------------------------------------------- style */

const char *html_css(void)
{
    return ":root{--ink:#1f1d1a;--muted:#6b655c;--line:#e4ded2;--paper:#fbf9f4;--card:#fff;--accent:#8a2f1c;"
           "--mark:#ffe7a3;--bar:#c9a36b}\n"
           "*{box-sizing:border-box}\n"
           "html{-webkit-text-size-adjust:100%}\n"
           "body{margin:0;background:var(--paper);color:var(--ink);line-height:1.7;"
           "font:16px/1.7 \"Noto Sans CJK SC\",\"Source Han Sans SC\",\"PingFang SC\",\"Microsoft YaHei\",sans-serif}\n"
           "a{color:var(--accent);text-decoration:none}a:hover{text-decoration:underline}\n"
           ".top{display:flex;flex-wrap:wrap;align-items:center;gap:.6rem 1.2rem;padding:.7rem max(1rem,calc((100% - 72rem)/2));"
           "background:var(--card);border-bottom:1px solid var(--line)}\n"
           ".brand{font:700 1.5rem/1 \"Noto Serif CJK SC\",\"Source Han Serif SC\",\"Songti SC\",serif;color:var(--ink);"
           "letter-spacing:.1em}\n.brand span{font:400 .75rem/1 sans-serif;color:var(--muted);letter-spacing:0;margin-left:.4em}\n"
           ".ask{display:flex;flex:1 1 26rem;gap:.4rem;min-width:0}\n"
           ".ask input{flex:1;min-width:0;font:inherit;font-size:1.05rem;padding:.45rem .7rem;border:1px solid #c8c0b2;"
           "border-radius:4px;background:#fff}\n.ask input:focus{outline:2px solid var(--bar);border-color:var(--bar)}\n"
           ".ask select{font:inherit;font-size:.9rem;border:1px solid #c8c0b2;border-radius:4px;background:#fff;max-width:9rem}\n"
           ".ask button{font:inherit;padding:.45rem 1.1rem;border:0;border-radius:4px;background:var(--accent);color:#fff;"
           "cursor:pointer}\n.helplink{font-size:.9rem}\n"
           "main{max-width:72rem;margin:0 auto;padding:1.2rem 1rem 3rem}\n"
           ".layout{display:grid;grid-template-columns:minmax(0,1fr) 18rem;gap:2.5rem}\n"
           ".summary{display:flex;flex-wrap:wrap;gap:.3rem 1.2rem;color:var(--muted);margin:0 0 1rem;font-size:.92rem}\n"
           ".summary b{color:var(--ink);font-size:1.1rem}\n"
           ".hits{list-style:none;margin:0;padding:0}\n"
           ".hit{padding:1rem 0 1.1rem;border-bottom:1px solid var(--line)}\n"
           ".hit h2{margin:0 0 .2rem;font:600 1.22rem/1.45 \"Noto Serif CJK SC\",\"Source Han Serif SC\",\"Songti SC\",serif}\n"
           ".where{margin:0 0 .35rem;font-size:.85rem;color:var(--muted);display:flex;flex-wrap:wrap;gap:0 .9rem}\n"
           ".where a{color:#5a4a32}\n.where .sep{color:#b3aa9b}\n.vol a{color:#7a3b12}\n.src{font-family:ui-monospace,monospace;font-size:.78rem;color:#8a8378;overflow-wrap:anywhere}\n"
           ".kind{border:1px solid var(--line);border-radius:3px;padding:0 .35em}\n"
           ".snip{margin:0;font:1.02rem/1.85 \"Noto Serif CJK SC\",\"Source Han Serif SC\",\"Songti SC\",serif;"
           "text-align:justify}\n"
           "mark{background:var(--mark);color:inherit;padding:0 .05em;border-radius:2px}\n"
           ".pager,.around,.sorts{display:flex;flex-wrap:wrap;gap:.4rem;margin:1.4rem 0}\n"
           ".pager a,.pager span,.around a,.sorts a,.sorts span{padding:.25rem .7rem;border:1px solid var(--line);"
           "border-radius:4px;background:var(--card)}\n.pager .cur,.sorts .cur{background:var(--ink);color:#fff;"
           "border-color:var(--ink)}\n"
           ".facets h2{font-size:1rem;margin:0 0 .6rem;color:var(--muted);font-weight:500;letter-spacing:.2em}\n"
           ".facets .note{font-size:.8rem;color:var(--muted);margin:-.4rem 0 .6rem}\n"
           ".facet{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:.7rem .9rem;"
           "margin-bottom:1rem}\n.facet h3{font-size:.95rem;margin:0 0 .4rem}\n.facet h3 small{color:var(--muted);"
           "font-weight:400}\n.facet ul{list-style:none;margin:0;padding:0}\n"
           ".facet li{margin:.15rem 0}\n.fb{display:grid;grid-template-columns:minmax(0,1fr) auto;gap:0 .5rem;"
           "font-size:.86rem;color:var(--ink)}\n"
           ".fl{overflow-wrap:anywhere}\n.fn{color:var(--muted)}\n"
           ".bar{grid-column:1/3;display:block;height:5px;background:var(--bar);border-radius:3px;min-width:2px}\n"
           "a.fb:hover .fl{text-decoration:underline}\n.facet .more{font-size:.8rem;color:var(--muted)}\n"
           ".intro,.help,.error{max-width:44rem;margin:2rem auto}\n"
           ".intro h1,.help h1,.error h1{font:600 1.6rem/1.4 \"Noto Serif CJK SC\",\"Source Han Serif SC\",serif}\n"
           ".examples a{margin-right:.8rem}\n"
           ".help pre{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:1rem;overflow-x:auto;"
           "font-size:.85rem;line-height:1.6}\n"
           ".error .msg code{display:block;background:#fff3f0;border-left:3px solid var(--accent);padding:.6rem .8rem;"
           "white-space:pre-wrap;word-break:break-all}\n"
           ".entry{max-width:46rem;margin:0 auto}\n"
           ".entry h1{font:700 1.7rem/1.45 \"Noto Serif CJK SC\",\"Source Han Serif SC\",\"Songti SC\",serif;margin:.5rem 0}\n"
           ".entry .text{white-space:pre-wrap;font:1.12rem/2 \"Noto Serif CJK SC\",\"Source Han Serif SC\",\"Songti SC\",serif;"
           "text-align:justify;margin:1.2rem 0}\n.byline{text-align:right;color:var(--muted)}\n"
           ".kwicwrap{overflow-x:auto}\n.kwic{border-collapse:collapse;width:100%;table-layout:fixed;"
           "font:1rem/1.9 \"Noto Serif CJK SC\",\"Source Han Serif SC\",serif}\n"
           ".kwic td{white-space:nowrap;overflow:hidden;padding:0 .2rem;border-bottom:1px solid var(--line)}\n"
           ".kwic .l{width:40%;direction:rtl;text-align:right}\n.kwic .l span{direction:ltr;unicode-bidi:isolate}\n"
           ".kwic .m{width:7em;text-align:center}\n.kwic .m a{color:var(--ink)}\n.kwic .r{width:40%}\n"
           ".kwic .t{width:20%;font-size:.8rem;text-overflow:ellipsis;font-family:sans-serif}\n"
           "footer{text-align:center;color:var(--muted);font-size:.8rem;padding:1.5rem 1rem;border-top:1px solid var(--line)}\n"
           "@media (max-width:760px){.layout{grid-template-columns:1fr;gap:1rem}.ask{flex-basis:100%;order:3}"
           ".helplink{margin-left:auto}.ask select{max-width:6.8rem;font-size:.8rem}.ask button{padding:.45rem .8rem}"
           ".top{padding:.6rem .8rem}.kwic .t{display:none}.kwic .l,.kwic .r{width:50%}.hit h2{font-size:1.12rem}}\n";
}
