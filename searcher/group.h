/*
 * group.h -- counts of matching entries and occurrences per group
 * (fzsearch --by), drawn as a bar chart in the terminal.
 *
 * Callers: fzsearch, the unit tests.
 *
 * Groups:
 *   section  the entry's full section path, outermost first, joined with
 *            " › " (年度聚焦 › 城中村改造); "(none)" for an entry outside
 *            any section.  The full path, not the innermost heading, because
 *            headings such as 概况 recur under many parents.
 *   author   each author of the entry (an entry with two authors counts in
 *            both groups, an author named twice counts once); "(none)" for
 *            an entry without authors.
 *   file     the source file's path (as indexed).
 *   kind     entry, sidebar or caption.
 *   volume   the volume's title (search_hit.volume: the catalog's, else the
 *            book title of the file's first line, else the file's name).
 *   place    the catalog's place; "(none)" for a file it gives none.
 *   year     the catalog's year of the edition (-205 for 205 BCE);
 *   decade   and the ten years or
 *   century  the hundred years holding it, named as the year: range that
 *            finds them: 1750..1759, 1700..1799, -210..-201 (spans start
 *            at multiples of 10 and 100, counting down for BCE).  "(none)"
 *            for a file without a year.
 *   form     the text actually written at each match (the matched
 *            substring of the original title or body, line breaks shown as
 *            spaces), so a folded query such as 長安 shows how often 长安
 *            and 長安 each occur.  Entries: the entries where that form
 *            occurs; occurrences: the matches written that way.
 * For every grouping but form, an entry adds 1 to its group's entries and
 * its occurrences (search_hit.occurrences, or 1 when the query matched only
 * through field filters, as fzsearch --count counts) to its occurrences.
 * Form counts one occurrence per highlight span (overlapping matches are
 * merged into one span by the engine, so the form total can be lower than
 * --count's).
 *
 * Order: most occurrences first, then most entries, then the name (bytes,
 * which is code point order); year, decade and century groups come in time
 * order instead, "(none)" last.
 *
 * Formats.  Terminal: a header row, one row per group with the name
 * (padded to the widest, by display width, cut with "…" past 40 columns),
 * entries, occurrences and a bar proportional to occurrences drawn with
 * the block characters █▉▊▋▌▍▎▏ (eighths of a column), then a total row
 * (distinct entries and all occurrences); names have their control
 * characters escaped (common/esc.h).  JSON Lines: one object per group
 * {"query" (batch only), "group", "entries", "occurrences"}.  CSV/TSV: a
 * header row (when asked) then query (batch only), group, entries,
 * occurrences.
 */
#ifndef GROUP_H
#define GROUP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../common/fz.h"
#include "out.h"
#include "search.h"

typedef enum {
    GROUP_SECTION,
    GROUP_AUTHOR,
    GROUP_FILE,
    GROUP_KIND,
    GROUP_FORM,
    GROUP_VOLUME,
    GROUP_PLACE,
    GROUP_YEAR,
    GROUP_DECADE,
    GROUP_CENTURY
} group_by;

typedef struct group group;

/* Parses "section", "author", "file", "kind", "form", "volume", "place",
 * "year", "decade" or "century"; -1 for anything else. */
int group_parse_by(const char *name, group_by *by);
const char *group_by_name(group_by by); /* never NULL */

group *group_create(group_by by); /* NULL when out of memory */
void group_destroy(group *g);     /* NULL is safe */

/* Counts one hit.  Returns 0 or FZ_ENOMEM. */
int group_add(group *g, const search_hit *h);

/* Number of groups counted since the last group_write. */
size_t group_count(const group *g);

/* Writes the groups in order to f and forgets them.  width: the terminal
 * width in columns for the bars (at least 40 is used).  Returns 0,
 * FZ_ENOMEM, or FZ_EIO when writing fails. */
int group_write(group *g, FILE *f, out_format fmt, int color, size_t width, uint32_t query_no, int header);

/* For other writers (the reading room's side panel, serve.c): sorts the
 * groups into group_write's order; group_item then reads group i (0 ..
 * group_count - 1): *name points into g (not NUL-terminated) and stays
 * valid until the next group_add, group_write or group_clear. */
void group_sort(group *g);
void group_item(const group *g, size_t i, const char **name, size_t *len, uint64_t *entries, uint64_t *occ);
/* Forgets every group (as group_write does after writing). */
void group_clear(group *g);

/* Appends a bar of value/max of cols columns (at least one eighth for a
 * value above 0) to b.  Exposed for the tests. */
int group_bar(fz_buf *b, uint64_t value, uint64_t max, size_t cols);

#endif
