/*
 * catalog.h -- the catalog of volumes that fzindex --catalog reads: a CSV
 * file with one row per indexed file giving the volume's title, its place
 * and the edition's year.
 *
 * Callers: fzindex (which converts the file to UTF-8 as it does sources,
 * parses it before it indexes anything, and stores the rows with
 * store_catalog_put), the unit tests.
 *
 * Format (RFC 4180, read leniently where spreadsheets differ):
 *   - A UTF-8 BOM at the start is skipped.  Records end at LF, CRLF or CR.
 *     Blank lines are skipped.
 *   - Fields are separated by ','.  A field that starts with '"' is quoted:
 *     it runs to the next '"' not doubled ("" is one '"'), may hold commas
 *     and line breaks, and must be followed by ',' or the end of the
 *     record.  An unquoted field may not hold '"'.  Unquoted fields are
 *     trimmed of ASCII spaces and tabs; quoted ones are kept as written.
 *   - The first record is the header: column names (trimmed, ASCII case
 *     ignored) among file, title, place, year, in any order.  file is
 *     required; the others are optional; other names are ignored (a
 *     spreadsheet's notes column); a name given twice is an error.
 *   - Every other record is a row.  A row shorter than the header leaves
 *     its missing columns empty; a longer one is an error.  file must not
 *     be empty or hold a control character (a line break), and no two rows
 *     may give the same file.  year, when not
 *     empty, is a whole number (ASCII digits after an optional + or -,
 *     negative for BCE) within FZ_YEAR_MIN .. FZ_YEAR_MAX (fz_year_parse).
 *   - A NUL byte anywhere is an error.
 * Errors name the line (1-based, counting line breaks inside quoted fields)
 * where the problem is: "line 7: text after the closing quote of a field".
 *
 * Matching a row to an indexed file (catalog_match): the row's file, with
 * any leading "./" removed, equals the indexed path or is a trailing part
 * of it that starts after a '/': "a.txt" and "vol1/a.txt" both name
 * /shelf/vol1/a.txt.  So a base name is enough when it is unique.
 */
#ifndef CATALOG_H
#define CATALOG_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint32_t line;        /* line where the row starts */
    const char *file;     /* as written (trimmed), never "" */
    const char *title;    /* "" when empty or the column is absent */
    const char *place;
    int has_year;
    int32_t year;
} catalog_row;

typedef struct catalog catalog;

/* Parses text[0..len) (UTF-8).  On success *out owns copies of every
 * string (they live until catalog_destroy).  Errors: FZ_ESYNTAX with msg
 * "line N: what is wrong" (no header, no file column, a malformed field or
 * row, a bad year, a repeated file), FZ_ENOMEM. */
int catalog_parse(const char *text, size_t len, catalog **out, char *msg, size_t msglen);
void catalog_destroy(catalog *c); /* NULL is safe */

size_t catalog_count(const catalog *c);
/* Row i (0 <= i < catalog_count) in file order; valid until catalog_destroy. */
const catalog_row *catalog_row_at(const catalog *c, size_t i);

/* Whether row names path (see "Matching" above): 1 or 0. */
int catalog_match(const catalog_row *row, const char *path, size_t path_len);

#endif
