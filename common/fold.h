/*
 * fold.h -- character folding tables, generated at build time.
 *
 * Callers: tok.c (documents and queries alike).
 *
 * tools/genfold.c writes build/fold_table.c at build time from
 *   - ICU's "Traditional-Simplified" transliterator applied to each code
 *     point on its own (so the table is exactly ICU's character mapping and
 *     the query path never opens a transliterator, which costs ~24 ms), and
 *   - Unihan_Variants.txt (Debian's unicode-data) for variant characters
 *     (異體字), which are folded to one representative.
 * The tables are const sorted arrays searched by binary search with a
 * direct-mapped fast path; nothing is parsed at run time.
 */
#ifndef FOLD_H
#define FOLD_H

#include <stddef.h>
#include <stdint.h>

/* Traditional -> simplified; returns cp itself when it has no mapping. */
uint32_t fold_ts(uint32_t cp);
/* Traditional -> simplified, then variant -> representative. */
uint32_t fold_variant(uint32_t cp);
/* The traditional->simplified forms of every character in cp's variant
 * class (cp's own included), at most max of them, written to out; returns
 * how many (1 for a character without variants).  The searcher expands a
 * query character into these at --fold=variants, since the index holds
 * fold_ts forms.  A const table generated with the others. */
size_t fold_variant_forms(uint32_t cp, uint32_t *out, size_t max);

/* Number of entries in each table (for tests and --version). */
uint32_t fold_ts_count(void);
uint32_t fold_variant_count(void);

#endif
