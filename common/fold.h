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
 *     (異體字), which are folded to one representative, and
 *   - ICU's phrase rules (its rule list, read with utrans_toRules).
 *  The tables are const sorted arrays searched by binary search
 * with a direct-mapped fast path; nothing is parsed at run time.
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

/* Phrase rules of ICU's transliterator (沈澱 -> 沉淀 while 沈 stays 沈;
 * 祇有 -> 只有; 乾坤 keeps 乾 while 乾 -> 干), taken from its own rule list
 * at build time, each as long as its result (in code points, all of them
 * Unified Ideographs that NFKC leaves alone).  fold_phrases returns how many
 * rules begin with cp and sets *first to the first one's index; 0 when none
 * (the common case, one bit test for U+3400..U+9FFF).  Those rules are in
 * ICU's order: at a position in the text, the first one whose key matches
 * the characters there is applied, and its key's characters are not looked
 * at again, as the transliterator does.  fold_phrase gives rule i's key and
 * result (const tables) and returns their length, 0 for a bad i. */
size_t fold_phrases(uint32_t cp, size_t *first);
size_t fold_phrase(size_t i, const uint32_t **key, const uint32_t **result);
uint32_t fold_phrase_count(void);

/* Number of entries in each table (for tests and --version). */
uint32_t fold_ts_count(void);
uint32_t fold_variant_count(void);

#endif
