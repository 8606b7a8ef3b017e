/*
 * out.h -- writes search results: the terminal view, JSON Lines, CSV and
 * TSV, counts and timings.
 *
 * Callers: fzsearch.
 *
 * Terminal view, per hit: rank and title; the volume, section path,
 * authors and file:line; the snippet with matches highlighted (ANSI bold
 * red when colour is on).  The volume is 《title》 when the title came from
 * the text or the catalog (one that is only the file's name is already in
 * the path), then the catalog's place and year: 《仁和县志》 杭州 1784.
 * JSON Lines: one object per hit with the keys rank, score, id, file,
 * volume (always a string), place (string or null), year (number or
 * null), line, section, title, authors, kind, snippet, highlights ([start,
 * end) in code points into snippet), matches, and query when batch
 * numbering is on.  CSV (RFC 4180, CRLF line ends, every field quoted when
 * it needs it) and TSV (tabs and line breaks in fields become spaces)
 * start with a header row and carry (query, with --batch) id, file, line,
 * section (joined with " › "), title, authors (joined with "; "), kind,
 * score, matches, snippet, volume, place, year (empty when unknown).
 *
 * The terminal view and --show escape control characters in every name
 * and text (common/esc.h); JSON, CSV and TSV carry the exact bytes.
 *
 * The helpers at the end (display width, one CSV/TSV field, the colours)
 * are shared with the concordance (kwic.c) and the group counts (group.c).
 */
#ifndef OUT_H
#define OUT_H

#include <stdint.h>
#include <stdio.h>

#include "../common/fz.h"
#include "search.h"

typedef enum { OUT_TERM, OUT_JSON, OUT_CSV, OUT_TSV } out_format;

typedef struct out out;

/* f stays the caller's.  color: ANSI escapes in the terminal view.
 * snippets: 0 leaves snippet fields empty (faster exports).  width:
 * snippet width in characters. */
out *out_create(FILE *f, out_format fmt, int color, int snippets, size_t width);
void out_destroy(out *o); /* NULL is safe */

/* Writes one hit.  query_no > 0 (--batch) adds "query": query_no (JSON) or
 * a first column query (CSV/TSV). */
int out_hit(out *o, const search_hit *h, uint32_t query_no);
/* Writes the header row of CSV/TSV (nothing for other formats); query_col:
 * with the query column of --batch. */
int out_header(out *o, int query_col);
/* --show: the whole entry. */
int out_entry(out *o, const search_hit *h);

/* JSON string literal of s[0..n) (invalid UTF-8 becomes U+FFFD). */
int out_json_str(fz_buf *b, const char *s, size_t n);

/* Path for display: relative to the working directory when below it. */
const char *out_display_path(const char *path, size_t len, char *buf, size_t bufsize);

/* Appends the path for display (as out_display_path) to b with its control
 * characters escaped (common/esc.h), for the terminal view.  Returns 0 or
 * FZ_ENOMEM. */
int out_path_put(fz_buf *b, const char *path, size_t len);

/* Terminal display width of s[0..n): fz_cp_width per code point (CJK and
 * full-width characters 2 columns); an invalid byte counts as 1 column. */
size_t out_text_width(const char *s, size_t n);

/* Appends one CSV (fmt OUT_CSV) or TSV (any other fmt) field to b and its
 * separator: ',' or '\t', or the line end ("\r\n" for CSV, "\n" for TSV)
 * when last.  CSV quotes a field holding '"', ',', CR or LF and doubles its
 * quotes (RFC 4180); TSV turns tabs and line breaks into spaces. */
int out_sv_field(fz_buf *b, out_format fmt, const char *s, size_t n, int last);

/* ANSI attributes of the terminal view. */
#define OUT_C_HL "\033[1;31m"   /* a match */
#define OUT_C_TITLE "\033[1m"   /* a title */
#define OUT_C_DIM "\033[2m"     /* section and authors */
#define OUT_C_PATH "\033[36m"   /* file:line */
#define OUT_C_OFF "\033[0m"

#endif
