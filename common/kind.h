/*
 * kind.h -- the kinds of records: what a record of the index is (an entry,
 * a sidebar, a photo caption, a table of contents, a note block).
 *
 * Callers: the parser (indexer/parse.c and its readers) sets a record's
 * kind; the index stores it as a number (common/store.h, one byte); the
 * searcher names it in output (searcher/out.c, kwic.c, group.c), in the
 * kind: field of queries (searcher/query.c), and --check validates it
 * (indexer/check.c).  The numbers are part of the index format: a kind
 * keeps its number, new kinds are added at the end.
 */
#ifndef KIND_H
#define KIND_H

#include <stddef.h>

typedef enum {
    FZ_KIND_ENTRY = 0,   /* "entry": an entry, an item, a paragraph */
    FZ_KIND_SIDEBAR = 1, /* "sidebar": boxed text (资料 …) */
    FZ_KIND_CAPTION = 2, /* "caption": a photo caption */
    FZ_KIND_TOC = 3,     /* "toc": a table of contents (目录) */
    FZ_KIND_NOTE = 4,    /* "note": a block of notes (校注 〔1〕 …) */
    FZ_KIND_COUNT = 5
} fz_kind;

/* The name of kind k ("entry", "sidebar", ...); "unknown" for a number
 * that names no kind.  A static string. */
const char *fz_kind_name(int k);

/* The kind whose name is the n bytes at s, compared ignoring ASCII case;
 * -1 when none is. */
int fz_kind_lookup(const char *s, size_t n);

/* The names of every kind, separated by ", " ("entry, sidebar, ..."), for
 * messages and help.  A static string. */
const char *fz_kind_list(void);

#endif
