/*
 * check.h -- the integrity check behind `fzindex --check`.
 *
 * Callers: fzindex, the crash-safety and corrupt-index tests.
 *
 * Verifies, in one read transaction, everything the layout in
 * common/store.c promises: the header (magic, format); every entry decodes;
 * every file record's id range holds its entries and every entry's file
 * exists; volume titles and catalog rows decode as UTF-8 text and every
 * catalog row belongs to an indexed file; entry lengths (dlen) match the entries; the statistics (entries,
 * sum of lengths, files, next ids) equal what the records add up to; every
 * posting block decodes, its documents ascend within [first, last], every
 * document exists, its positions ascend and lie within the entry's length
 * (title positions below title_npos), the block maxima and min_dl hold;
 * the CJK unigrams' postings (field 'u') are one CJK character each and
 * keep no positions (every other field's keep them), and their
 * frequencies fit the entry's title and length.
 */
#ifndef CHECK_H
#define CHECK_H

#include <stddef.h>
#include <stdio.h>

#include "../common/store.h"

typedef struct {
    unsigned long long entries, files, blocks, postings, problems;
    unsigned long long packs, packed;   /* term packs, and the terms in them */
    unsigned long long delta_blocks;    /* of blocks, those in the delta tier ("dpost") */
} check_report;

/* Checks the index.  Each problem found is described in one line on
 * `problems` (may be NULL), at most max_lines of them.  Returns 0 when the
 * index is sound, FZ_ECORRUPT when problems were found (report->problems
 * counts them), or another FZ_E* code when the check itself failed (msg). */
int check_index(store *s, FILE *problems, unsigned max_lines, check_report *report, char *msg, size_t msglen);

#endif
