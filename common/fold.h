/*
 * fold.h -- character folding tables, generated at build time.
 *
 * Callers: tok.c (documents and queries alike).
 *
 * tools/genfold.c writes build/gen/fold_table.c at build time from
 *   - ICU's "Traditional-Simplified" transliterator applied to each code
 *     point on its own (so the table is exactly ICU's character mapping and
 *     the query path never opens a transliterator, which costs ~24 ms),
 *   - ICU's phrase rules (its rule list, read with utrans_toRules),
 *   - Unihan_Variants.txt (Debian's unicode-data) for variant characters
 *     (異體字), which are folded to one representative, and
 *   - old printed forms (旧字形), in a second pass (below).
 * The tables are const sorted arrays searched by binary search with a
 * direct-mapped fast path; nothing is parsed at run time.  The Makefile
 * says where the inputs come from; tools/deps.sh installs them.
 *
 * Old printed forms.  Classical texts and old prints use forms that ICU and
 * Unihan's variant fields do not connect to today's characters (淸/清,
 * 靑/青, 旣/既, 尙/尚, 飮/飲, 脩/修, ...).  The second pass takes pairs from
 * sources that state the relation as a variant, old form or
 * traditional/simplified pair, and may only join the classes of the first
 * (nothing ICU or Unihan folds is undone).  What each source gives is
 * counted in the header of the generated file (Debian 12: OpenCC 1.1.6,
 * Unicode 15.0; "new" = the two were in different classes before):
 *
 *   source                               pairs  new  new from it alone
 *   OpenCC TSCharacters (one value only)  4057   91   89
 *   OpenCC TWVariants + TWVariantsRev       39    3    1
 *   OpenCC HKVariants + HKVariantsRev       64    8    5
 *   OpenCC JPVariants + JPVariantsRev      358  179   84
 *   Unihan kJinmeiyoKanji, kJoyoKanji      177  105   11
 *   Unihan kIRGDaiKanwaZiten N/N'           31   11    6  (淸 靑 尙 飮 ...)
 *
 * 296 characters fold differently than with ICU and Unihan alone.
 *
 * Taken:
 *   - OpenCC's TSCharacters where an entry has one value (旣 -> 既,
 *     脩 -> 修, 嶽 -> 岳); an entry with several values (乾 -> 干 乾) is a
 *     choice between words and is left out.
 *   - OpenCC's TW, HK and JP variant tables, both directions: regional
 *     standard forms of one character (爲/為, 說/説, 溪/渓, 嚙/噛).
 *   - Unihan kJinmeiyoKanji and kJoyoKanji values with a code point: the
 *     Japanese official lists name the old form of a character (萠/萌).
 *   - The Dai Kanwa Jiten (Unihan kIRGDaiKanwaZiten): its revised edition
 *     enters the new form of an old-form headword N as N', next to it
 *     (淸 17695, 清 17695'; 靑 42564, 青 42564').  Primed numbers are also
 *     used for characters that were simply added (伜 after 伝), so a pair is
 *     taken only when Unihan gives both the same Mandarin reading (kMandarin,
 *     first value): 31 pairs, all of them old/new forms.  This is the one
 *     source that connects 淸 and 靑; Unihan 15.0 has no variant field for
 *     them and OpenCC 1.1.6 no entry.
 * Each endpoint is first put through NFKC (a CJK compatibility ideograph
 * such as 侮 U+FA30 is its unified twin already: no news).  Two judgement
 * calls stand as the sources make them, for recall: 豊 -> 丰 (the Japanese
 * form of 豐, though also a rare character lǐ of its own) and 閤 -> 合
 * (OpenCC; 閤 also stands for 阁).  genfold -v lists every pair joined.
 *
 * Rejected:
 *   - kSpecializedSemanticVariant: the same meaning in some senses only
 *     (一/壹, 你/您, 个/個) -- different words.
 *   - kSpoofingVariant: characters that look alike, not the same character.
 *   - OpenCC JPShinjitaiCharacters, and any JP pair touching a Japanese
 *     form it lists with several values (芸 藝/芸, 弁 辨/辯/瓣/辦, 欠 缺/欠,
 *     糸, 両, 御, 浜): in Chinese those are other characters.
 *   - OpenCC's phrase tables (TSPhrases, ...): words, not characters;
 *     STCharacters: simplified -> traditional is one-to-many.
 *   - kCompatibilityVariant: NFKC folds those already.
 *   - Unicode's radical tables (CJKRadicals.txt, EquivalentUnifiedIdeograph
 *     .txt): they pair the forms of a radical (示/礻, 艸/艹, 辵/辶, 靑/青),
 *     component shapes rather than characters of running text; the one
 *     such pair that matters here, 靑/青, the Dai Kanwa pairs give.
 * The guard of the first pass holds for the second: two common simplified
 * characters (fold_ts fixed points in GB2312) are never merged, even where a
 * source links them (14 pairs: 艺/芸, 予/豫, 联/连, 宁/甯, 缶/罐, 沪/滤,
 * ...); a rare character goes to the common one it is linked to.  So a GB2312
 * text folds exactly as ICU folds it.
 */
#ifndef FOLD_H
#define FOLD_H

#include <stddef.h>
#include <stdint.h>

/* Traditional -> simplified; returns cp itself when it has no mapping. */
uint32_t fold_ts(uint32_t cp);
/* Traditional -> simplified, then variant (old printed forms included)
 * -> representative. */
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
