/*
 * kwic.h -- the concordance (key word in context): every occurrence of a
 * query on a line of its own, the text before it, the match, the text
 * after it, then where it is.
 *
 * Callers: fzsearch (--kwic), the unit tests.
 *
 * An occurrence is one highlight span of a hit (search_hit.spans: matches
 * that overlap are already merged into one span), in the entry's title or
 * body.  Its context is up to N characters (code points) on either side,
 * taken from the same field and never beyond it; line breaks and tabs in
 * the context and the match are shown as spaces.
 *
 * Rows are collected with kwic_add (which copies what it needs, since a
 * hit lives only during its callback) and written by kwic_write in one of
 * three orders:
 *   KWIC_ORDER_HITS   the order the hits came in (score or source order of
 *                     the entries), then the occurrence's place in the
 *                     entry (title first, then body, by offset);
 *   KWIC_ORDER_LEFT   by the left context read right to left (the
 *                     character nearest the match first), as concordancers
 *                     sort; ties by the match, then the hits order;
 *   KWIC_ORDER_RIGHT  by the right context, then the match, then the hits
 *                     order.
 * Contexts compare by code point.
 *
 * Formats.  Terminal: the left context right-aligned, the match, the right
 * context left-aligned, each column as wide as its widest row (display
 * width, CJK = 2 columns), then file:line and the title; the match is bold
 * red with colour, else plain; control characters are escaped
 * (common/esc.h).  JSON Lines: one object per occurrence with
 * "query" (batch only), "id", "file", "line", "title", "section" (array),
 * "kind", "field" ("title" or "body"), "offset" (code points into that
 * field), "left", "match", "right".  CSV/TSV: a header row (only when
 * header is set) then query (batch only), id, file, line, title, field,
 * offset, left, match, right.
 *
 * Memory: the rows of one batch query, about (2N + match) bytes each plus
 * one copy of each entry's title, section and path.
 */
#ifndef KWIC_H
#define KWIC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../common/fz.h"
#include "out.h"
#include "search.h"

#define KWIC_CONTEXT_DEFAULT 20
#define KWIC_CONTEXT_MAX 1000

typedef enum { KWIC_ORDER_HITS = 0, KWIC_ORDER_LEFT, KWIC_ORDER_RIGHT } kwic_order;

typedef struct kwic kwic;

/* context: characters a side (0 is allowed: the match alone).  NULL when
 * out of memory. */
kwic *kwic_create(size_t context, kwic_order order);
void kwic_destroy(kwic *k); /* NULL is safe */

/* Adds every occurrence of h.  Returns 0 or FZ_ENOMEM. */
int kwic_add(kwic *k, const search_hit *h);

/* Occurrences collected since the last kwic_write. */
size_t kwic_rows(const kwic *k);

/* Writes the rows collected so far to f in the format fmt (OUT_TERM,
 * OUT_JSON, OUT_CSV, OUT_TSV) and forgets them.  color: ANSI escapes
 * (terminal only).  query_no > 0 adds "query" to JSON objects and a first
 * column query to CSV/TSV rows (and to the header row).  header: write
 * the CSV/TSV header row first.  Returns 0, FZ_ENOMEM, or FZ_EIO
 * when writing fails (errno tells why). */
int kwic_write(kwic *k, FILE *f, out_format fmt, int color, uint32_t query_no, int header);

/* For other writers (the reading room's concordance page, serve.c):
 * kwic_sort puts the rows collected so far in the kwic's order, then
 * kwic_row fills r with row i (0 .. kwic_rows - 1); its strings point into
 * k (not NUL-terminated, line breaks shown as spaces) and stay valid until
 * the next kwic_add, kwic_write or kwic_clear, which forgets the rows. */
typedef struct {
    uint32_t id, line;
    uint8_t kind;
    uint8_t field;                 /* 0 title, 1 body */
    const char *file, *title, *left, *match, *right;
    size_t file_len, title_len, left_len, match_len, right_len;
} kwic_row;
void kwic_sort(kwic *k);
void kwic_row_get(const kwic *k, size_t i, kwic_row *v);
void kwic_clear(kwic *k);

/* The context bounds of the match text[start..end): *ls is the byte offset
 * where up to n characters before start begin, *re where up to n characters
 * after end end (both clamped to the text).  Exposed for the tests. */
void kwic_bounds(const char *text, size_t len, size_t start, size_t end, size_t n, size_t *ls, size_t *re);

/* Compares two left contexts right to left by code point (<0, 0, >0); a
 * context that is a suffix of the other sorts first. */
int kwic_cmp_left(const char *a, size_t alen, const char *b, size_t blen);

#endif
