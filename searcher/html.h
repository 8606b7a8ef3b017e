/*
 * html.h -- the reading room's pages (fzsearch --serve): HTML written into
 * a buffer, every string from the texts and the request escaped, and the
 * one style sheet, all compiled into the program.
 *
 * Callers: searcher/serve.c, which searches and hands the results here;
 * the unit test.
 *
 * The pages work without JavaScript (there is none), are UTF-8 with
 * lang="zh", and lay out in one column on a phone.  Links that narrow a
 * query add a field term to it: volume:, place:, year:, section:,
 * author:, quoting the value with "", “” or 「」, whichever it
 * does not contain (no link when it contains all three).
 *
 * Escaping: html_text turns & < > " ' into entities (so the result is safe
 * in element content and in quoted attributes alike), drops control
 * characters other than tab and line breaks, and writes U+FFFD for bytes
 * that are not UTF-8.  html_url percent-encodes everything but
 * A-Za-z0-9-._~ for a query-string value.
 *
 * Errors: every writer appends to an html buffer and remembers the first
 * failure (out of memory) in html.err; the page is complete only when err
 * is 0.
 */
#ifndef HTML_H
#define HTML_H

#include <stddef.h>
#include <stdint.h>

#include "../common/fz.h"
#include "group.h"
#include "kwic.h"
#include "req.h"
#include "search.h"

typedef struct {
    fz_buf b;   /* the page so far; the caller frees it with fz_buf_free */
    int err;    /* 0, or the first FZ_ENOMEM */
} html;

/* Appends s[0..n) as it is / escaped / percent-encoded. */
void html_raw(html *h, const char *s, size_t n);
void html_text(html *h, const char *s, size_t n);
void html_url(html *h, const char *s, size_t n);

/* The query a page was asked with: kept in the search box and in links. */
typedef struct {
    const char *q;    /* NULL or q[0..qlen) */
    size_t qlen;
    tok_fold fold;
} html_form;

/* The page's head, the site header with the search form (filled from f)
 * and the opening of <main>; title[0..tlen) goes into <title> after the
 * site's name (escaped). */
void html_begin(html *h, const char *title, size_t tlen, const html_form *f);
/* Closes <main>, adds the footer (entries in the index) and ends the page. */
void html_end(html *h, uint64_t nentries);

/* The home page's body: what the reading room holds and how to ask. */
void html_home(html *h, uint64_t nentries);
/* The query syntax (query_help) as a page body. */
void html_help(html *h);
/* An error page's body: heading by status (400: the query cannot be read,
 * 404: not found, 405, 413/414: too long, 503: too broad or busy) and the
 * one-line message. */
void html_error(html *h, int status, const char *msg);

/* The line above the hits of /search: "N 条" and which of them this page
 * shows, with the links to the concordance and the exports. */
void html_summary(html *h, const html_form *f, uint64_t total, uint32_t first, uint32_t last);
/* Opens and closes the list of hits. */
void html_hits_begin(html *h, uint32_t first);
void html_hits_end(html *h);
/* One hit: its title (a link to its entry), volume (the string of
 * --json's "volume", in 《》 when the text or catalog names it) with the
 * catalog's place and year, section path, authors and file:line (the
 * volume, place, year, each part of the path and each author a narrowing
 * link: volume:, place:, year:, section:, author:), and
 * its snippet about width characters wide with every match in <mark>. */
void html_hit(html *h, const search_hit *hit, const html_form *f, size_t width);
/* Paging links: page of npages (nothing when npages < 2). */
void html_pager(html *h, const html_form *f, const char *route, uint32_t page, uint32_t npages);

/* The side panel: opened, one block per grouping, closed.  A block shows
 * the groups of g (after group_sort) as bars of their entries, at most
 * max of them, each a link narrowing the query by field (section: splits
 * the path " › " into one term a part).  sample: the number of hits the
 * counts come from when that is not every hit (0: every hit). */
void html_facets_begin(html *h, uint64_t sample);
void html_facet(html *h, const char *heading, group *g, const char *field, const html_form *f, size_t max);
void html_facets_end(html *h);

/* The concordance: the rows of k (after kwic_sort), the match aligned in
 * the middle, each row linking to its entry; sort links above it. */
void html_kwic(html *h, kwic *k, const html_form *f, req_sort sort, uint64_t total, uint64_t shown);

/* The whole entry: title, section path (each part a link to a query on
 * it), authors, file:line, kind and the text with every match of
 * hit->spans in <mark>; links to the previous and next entries of the same
 * volume (prev_id / next_id, 0 for none, else id + 1). */
void html_entry(html *h, const search_hit *hit, const html_form *f, uint32_t prev_id, uint32_t next_id);

/* The style sheet served at /style.css.  Static. */
const char *html_css(void);

#endif
