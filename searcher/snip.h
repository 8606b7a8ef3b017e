/*
 * snip.h -- snippets: a window of about N characters of an entry's text
 * around its best passage, with every match inside it marked.
 *
 * Callers: searcher/out.c (every output format), tests.
 *
 * The best passage is the window that holds the most match spans (ties: the
 * earliest).  The window starts a quarter of its width before the first
 * match in it and never cuts a match in half: a match that crosses either
 * edge widens the window to take it whole when that adds at most a quarter
 * of the width, else it is left out of the highlights.  The window is cut
 * at character boundaries, gets "…" where it cuts the
 * text, and has line breaks and tabs shown as spaces (one byte for one, so
 * offsets stay valid).  A text without spans gives its beginning.
 */
#ifndef SNIP_H
#define SNIP_H

#include <stddef.h>
#include <stdint.h>

#include "../common/fz.h"
#include "search.h"

typedef struct {
    uint32_t start, end;  /* byte offsets into the snippet */
} snip_range;

/* Makes the snippet of text[0..len) for the spans of the given field
 * (0 title, 1 body) among spans[0..nspans), about width characters wide.
 * Appends the snippet to out (which it clears first) and writes up to maxhl
 * highlight ranges, in order, to hl; returns how many (or FZ_ENOMEM). */
int snip_make(const char *text, size_t len, const search_span *spans, size_t nspans, int field, size_t width,
              fz_buf *out, snip_range *hl, size_t maxhl);

/* Number of code points in s[0..n) (for JSON highlight offsets). */
size_t snip_cplen(const char *s, size_t n);

#endif
