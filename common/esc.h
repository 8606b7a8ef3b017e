/*
 * esc.h -- text made safe for a terminal: file names, titles, entry text
 * and queries come from archives and files built elsewhere, and a control
 * character in them (ESC starts a terminal command that can retitle or
 * clear the window, or fake output) must never reach a terminal raw.
 *
 * Callers: every plain or terminal output of fzsearch (searcher/out.c,
 * kwic.c, group.c, fzsearch.c's messages) and of fzindex (--list, -v).
 * JSON, CSV and TSV keep the exact bytes (with their own quoting) and do
 * not use this.
 *
 * What is escaped, everything else is copied as it is:
 *   line feed, carriage return, tab   \n \r \t (two characters)
 *   other C0 controls and DEL         \ooo, three octal digits (\033, \007, \177)
 *   C1 controls U+0080..U+009F        \u0080 .. \u009f
 *   a byte that is not valid UTF-8    U+FFFD (one for each bad byte)
 * A backslash already in the text is copied as it is (the output is for
 * reading, not for parsing back).
 */
#ifndef ESC_H
#define ESC_H

#include <stddef.h>

#include "fz.h"

/* esc_text_append flags: keep line feeds and tabs as they are (for whole
 * entry text, whose paragraphs are lines). */
#define ESC_KEEP_LINES 1

/* Appends s[0..n) to b, escaped as above.  s may be NULL when n is 0.
 * Returns 0 or FZ_ENOMEM (b then holds a prefix of the escaped text). */
int esc_text_append(fz_buf *b, const char *s, size_t n, int flags);

/* Clears b, writes s[0..n) escaped (no flags) into it and returns b's
 * NUL-terminated text, valid until b changes; "" when memory runs out.
 * For printf's %s. */
const char *esc_text_str(fz_buf *b, const char *s, size_t n);

#endif
