/*
 * outline.h -- what the parser understood of a file, for fzindex --outline:
 * the recovered tree (volume, layout and why, headings by level with the
 * number of entries under each and their first titles) or the entries
 * themselves as JSON Lines.  Nothing is indexed.
 *
 * Callers: fzindex (indexer/fzindex.c) and the CLI tests through it.
 */
#ifndef OUTLINE_H
#define OUTLINE_H

#include <stddef.h>

#include "fz.h"
#include "parse.h"

/* Parses text (len bytes of UTF-8) as parse_text does, reading with layout
 * (PARSE_AUTO: the file decides), and appends to out:
 *
 *   json == 0: the tree --
 *     PATH
 *       volume: 凤山县志            (the book title; "(none)" without one)
 *       layout: classical (why)
 *       N entries in M sections; the largest has K characters (line L)
 *       then one line per heading, indented two spaces a level, in file
 *       order: "卷之一 · 12 entries: 星野, 建置, …" (the entries under it,
 *       deeper ones included, and the first OUTLINE_TITLES titles of the
 *       entries right under it); entries under no heading are listed as
 *       "(no heading)".
 *
 *   json != 0: one JSON object a line per entry, in file order: file,
 *     volume, layout, line, kind, section (array), title, authors (array),
 *     text and end (the first and the last OUTLINE_TEXT characters of the
 *     body), chars (the body's length in characters).
 *
 * path is only printed (relative to the working directory when below it).
 * In the tree, the path, the volume, headings and titles are escaped as
 * all plain output is (common/esc.h); JSON escapes by its own rules.  Returns 0, FZ_ENOMEM, or FZ_EINVAL for a NULL
 * out or path.  The tree's memory is the headings' and titles' text. */
enum { OUTLINE_TITLES = 3, OUTLINE_TEXT = 40 };
int outline_text(const char *path, const char *text, size_t len, parse_layout layout, int json, fz_buf *out);

#endif
