/*
 * fuzz_parse -- libFuzzer target for the text parser (indexer/parse.h).
 *
 * Feeds the input as one file's text to parse_text and reads everything
 * each record offers, checking what parse.h promises: strings are
 * NUL-terminated at their stated lengths, section and author arrays are
 * NULL-terminated, at most 6 headings, first lines never go back and stay
 * within the text, the kind is known.  A broken promise aborts (a crash for libFuzzer).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

typedef struct {
    size_t nlines;      /* lines in the input, an upper bound for e->line */
    uint32_t last_line;
    unsigned long sum;  /* touches every byte, so ASan sees every read */
} state;

static unsigned long touch(const char *s, size_t n)
{
    unsigned long h = 0;
    for (size_t i = 0; i < n; i++)
        h = h * 31 + (unsigned char)s[i];
    return h;
}

static int on_record(void *ctx, const parse_entry *e)
{
    state *st = ctx;
    if (!e->title || !e->body || e->title[e->title_len] || e->body[e->body_len])
        abort();
    if ((int)e->kind < 0 || e->kind >= FZ_KIND_COUNT)
        abort();
    /* records come in file order of their first lines */
    if (e->line == 0 || e->line > st->nlines + 1 || e->line < st->last_line)
        abort();
    if (e->nsection > 6 || !e->section || e->section[e->nsection] || !e->authors || e->authors[e->nauthors])
        abort();
    st->sum += touch(e->title, e->title_len) + touch(e->body, e->body_len);
    for (size_t i = 0; i < e->nsection; i++)
        st->sum += touch(e->section[i], strlen(e->section[i]));
    for (size_t i = 0; i < e->nauthors; i++)
        st->sum += touch(e->authors[i], strlen(e->authors[i]));
    st->last_line = e->line;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static parse_ctx *p;
    if (!p && !(p = parse_create()))
        abort();
    state st = {1, 0, 0};
    for (size_t i = 0; i < size; i++)
        if (data[i] == '\n' || data[i] == '\r')
            st.nlines++;
    /* a copy of exactly size bytes, so reading past the end is caught */
    char *text = malloc(size ? size : 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    int rc = parse_text(p, text, size, on_record, &st);
    if (rc != 0 && rc != -1 /* FZ_ENOMEM */)
        abort();
    free(text);
    return 0;
}
