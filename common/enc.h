/*
 * enc.h -- detects the encoding of a text file and converts it to UTF-8.
 *
 * Callers: fzindex (each input file), tests.
 *
 * Detection order:
 *  1. a BOM: EF BB BF is UTF-8-BOM, FF FE UTF-16LE, FE FF UTF-16BE (for
 *     UTF-16 the decoded sample must not be mostly control characters);
 *  2. binary: more than 2% control bytes (anything below 0x20 but tab, LF,
 *     CR and FF; DEL; a final DOS end-of-file 0x1A is forgiven) in the first
 *     64 KiB fits no encoding;
 *  3. UTF-8: pure ASCII, strictly valid UTF-8, or nearly so (at most one
 *     invalid byte per 20 valid multibyte sequences: a damaged UTF-8 file,
 *     whose first bad offset enc_to_utf8 reports);
 *  4. otherwise trial decoding with iconv as GB18030 and as BIG5-HKSCS.
 *     Both are scored by how Chinese the decoded text looks: the share of
 *     code points among ~730 frequent characters (simplified and
 *     traditional forms both), the share of CJK ideographs and CJK
 *     punctuation, minus private-use, kana, Hangul, Greek/Cyrillic and box
 *     drawing code points (typical mojibake), plus a small weight for
 *     characters in each encoding's level-1 (frequent) block, which decides
 *     short texts such as a lone name.  The higher score wins; a tie goes to
 *     GB18030.  A candidate that fails only after 1 KiB of the sample stays
 *     in the running (a damaged file, conversion names the offset), but
 *     must beat a cleanly decoding one by a clear margin.  When neither is
 *     in the running, a sample with at least as many valid multibyte UTF-8
 *     sequences as invalid bytes is damaged UTF-8 (its bad bytes are
 *     reported and skipped); anything else fits no encoding.
 * The text tests read at most 64 KiB starting at the first non-ASCII byte,
 * cut back to a line end when there is one in its second half; a character
 * cut by the end of that sample is no error.  Very short texts (one or two
 * characters) can be ambiguous; a few GB18030 byte pairs are also valid
 * UTF-8 and are taken as UTF-8 (rule 3 comes first).
 *
 * iconv descriptors are opened per call and closed before returning: there
 * is no global state.
 */
#ifndef ENC_H
#define ENC_H

#include <stddef.h>

#include "fz.h"

/* Canonical names returned by enc_detect and accepted by enc_to_utf8
 * (any iconv name is accepted too, e.g. for --encoding). */
#define ENC_UTF8 "UTF-8"
#define ENC_UTF8_BOM "UTF-8-BOM"
#define ENC_UTF16LE "UTF-16LE"
#define ENC_UTF16BE "UTF-16BE"
#define ENC_GB18030 "GB18030"
#define ENC_BIG5 "BIG5-HKSCS"

/* Guesses the encoding of data[0..len).  Returns 0 and a static name in
 * *name, or FZ_EENCODING when the bytes fit no supported encoding (binary
 * data included), FZ_EINVAL when name is NULL or data is NULL with len > 0,
 * FZ_ENOMEM when memory runs out; *name is NULL on any error.  An empty
 * input is UTF-8.  Reads only the first ~64 KiB of text, so a later invalid
 * sequence shows up in enc_to_utf8, not here. */
int enc_detect(const unsigned char *data, size_t len, const char **name);

/* Converts data[0..len) from encoding `from` to UTF-8, appending to out
 * (a leading BOM is dropped).  `from` is a name above or any name iconv
 * knows ("utf8", "GBK", "UTF-16", ...; case does not matter).
 *
 * For UTF-8 input (ENC_UTF8, ENC_UTF8_BOM, "UTF8") the bytes are copied as
 * they are, invalid sequences included (the analyser skips them), and
 * *bad_offset receives the byte offset in data of the first invalid one, or
 * (size_t)-1 when there is none.
 *
 * Otherwise iconv converts the whole input.  On success *bad_offset is
 * (size_t)-1.  An invalid or truncated sequence gives FZ_EENCODING,
 * *bad_offset = its byte offset in data, and msg "invalid GB18030 byte
 * sequence at offset N" (with the name given in `from`; " (truncated at end
 * of input)" appended when the input ends inside a character).
 *
 * bad_offset and msg may be NULL.  Returns 0, FZ_EENCODING, FZ_EINVAL for an
 * encoding name iconv does not know (msg "unknown encoding 'X'") or a NULL
 * argument, FZ_ENOMEM.  On any error out is left as it was. */
int enc_to_utf8(const char *from, const unsigned char *data, size_t len, fz_buf *out,
                size_t *bad_offset, char *msg, size_t msglen);

#endif
