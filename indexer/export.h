/*
 * export.h -- every entry of an index as JSON Lines, for loading into
 * other engines (fzindex --export; docs/serving.md shows OpenSearch and
 * Elasticsearch).
 *
 * Callers: fzindex.
 *
 * One object per live entry, in id order, each entry once, as fzsearch
 * --show --json writes it (searcher/out.c's out_entry, so the two cannot
 * differ): {"id", "file", "volume" (its title: the catalog's, else the
 * book title of the file's first line, else the file's name), "place" and
 * "year" (from the catalog, null when it gives none), "line", "section"
 * (array, outermost first), "title", "authors" (array), "kind", "text"}.  Strings are JSON-escaped
 * UTF-8; bytes that are not UTF-8 become U+FFFD.
 */
#ifndef EXPORT_H
#define EXPORT_H

#include <stdint.h>
#include <stdio.h>

#include "../common/store.h"

/* Writes the entries of s to f (which stays the caller's; the caller
 * flushes it) in one read transaction: a snapshot.  *n gets the number
 * written.  Returns 0, FZ_ECORRUPT (an entry that does not decode: msg
 * names it), FZ_ELMDB, FZ_ENOMEM, or FZ_EIO when writing fails (msg says
 * why). */
int export_entries(store *s, FILE *f, uint64_t *n, char *msg, size_t msglen);

#endif
