/*
 * snip.c -- snippet windows and highlight ranges (see snip.h).
 */
#include "snip.h"

#include <string.h>

#define ELLIPSIS "\xe2\x80\xa6" /* … */

size_t snip_cplen(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xC0) != 0x80;
    return c;
}

/* Moves back from byte i over up to n characters. */
static size_t back_chars(const char *t, size_t i, size_t n)
{
    while (i > 0 && n > 0) {
        i--;
        while (i > 0 && ((unsigned char)t[i] & 0xC0) == 0x80)
            i--;
        n--;
    }
    return i;
}

/* Moves forward from byte i over up to n characters. */
static size_t fwd_chars(const char *t, size_t len, size_t i, size_t n)
{
    while (i < len && n > 0) {
        i++;
        while (i < len && ((unsigned char)t[i] & 0xC0) == 0x80)
            i++;
        n--;
    }
    return i;
}

int snip_make(const char *text, size_t len, const search_span *spans, size_t nspans, int field, size_t width,
              fz_buf *out, snip_range *hl, size_t maxhl)
{
    out->len = 0;
    if (width < 8)
        width = 8;
    /* the spans of this field, in order */
    size_t first = 0, last = 0;
    while (first < nspans && spans[first].field != field)
        first++;
    last = first;
    while (last < nspans && spans[last].field == field)
        last++;
    size_t best = first, bestn = 0;
    /* densest window: two pointers over spans, measured in characters */
    for (size_t i = first, j = first; i < last; i++) {
        if (j < i)
            j = i;
        while (j < last && spans[j].end <= len && spans[j].end - spans[i].start <= 4 * width &&
               snip_cplen(text + spans[i].start, spans[j].end - spans[i].start) <= width)
            j++;
        if (j - i > bestn) {
            bestn = j - i;
            best = i;
        }
    }
    size_t ws = 0;
    if (bestn && spans[best].start <= len)
        ws = back_chars(text, spans[best].start, width / 4);
    size_t we = fwd_chars(text, len, ws, width);
    /* a match cut by either edge: widen the window to the whole match when
     * that adds at most a quarter of the width, else it is not highlighted */
    for (size_t i = first; i < last; i++) {
        size_t s = spans[i].start, e = spans[i].end;
        if (e > len || s >= e)
            continue;
        if (s < ws && e > ws && snip_cplen(text + s, ws - s) <= width / 4)
            ws = s;
        if (s < we && e > we && snip_cplen(text + we, e - we) <= width / 4)
            we = e;
    }
    /* room for the window and two ellipses, written in place */
    if (fz_buf_reserve(out, (we - ws) + 2 * (sizeof ELLIPSIS - 1)))
        return FZ_ENOMEM;
    char *o = out->p;
    if (ws > 0) {
        memcpy(o, ELLIPSIS, sizeof ELLIPSIS - 1);
        o += sizeof ELLIPSIS - 1;
    }
    size_t base = (size_t)(o - out->p);
    for (size_t i = ws; i < we; i++) {
        char c = text[i];
        *o++ = c == '\n' || c == '\r' || c == '\t' ? ' ' : c;
    }
    if (we < len) {
        memcpy(o, ELLIPSIS, sizeof ELLIPSIS - 1);
        o += sizeof ELLIPSIS - 1;
    }
    out->len = (size_t)(o - out->p);
    out->p[out->len] = 0;
    size_t nh = 0;
    for (size_t i = first; i < last && nh < maxhl; i++) {
        uint32_t s = spans[i].start, e = spans[i].end;
        if (s < ws || e > we || s >= e)
            continue; /* outside, or cut and too long to widen for */
        hl[nh].start = (uint32_t)(s - ws + base);
        hl[nh].end = (uint32_t)(e - ws + base);
        nh++;
    }
    return (int)nh;
}
