/*
 * parse.h -- recovers the structure of gazetteer and yearbook text.
 *
 * Callers: fzindex (indexer/build.c), the parser tests and the fuzzer.
 *
 * Input is one file's text, already converted to UTF-8 (invalid sequences
 * may still occur and must be passed through without a crash).  Output is a
 * stream of records -- entries, sidebars and captions -- each with its
 * section path, title, authors, first line and text.
 *
 * Conventions recognised (see the sample corpus/xiacheng-2017-annual-focus.txt).
 * "Spaces" are ASCII space, tab, U+00A0, U+FEFF and the full-width U+3000; a
 * "character" is a code point (an invalid byte counts as one).
 *
 *   - Lines end at LF, CRLF or CR; a UTF-8 BOM at the start is skipped;
 *     lines are trimmed of surrounding spaces; a blank line has only spaces.
 *   - Heading text: at most 40 non-space characters, at least one letter,
 *     none of 。！？；：， .!?;:, (a '.' between digits is allowed; 、 only
 *     inside: 第31组 魏徵、褚亮).  Its
 *     typesetting spaces are removed, except that a run of spaces between
 *     two ASCII letters/digits becomes one space ("第一编 自然环境" ->
 *     "第一编自然环境").
 *   - Numbered headings: 第 + numerals (一二三四五六七八九十百千零〇两 or
 *     digits) + 编 (level 1), 章 (level 2) or 节 (level 3), with heading
 *     text (where 、 is allowed: 第三章 农业、林业); headings regardless of
 *     what follows.  So are the sub-headings of gazetteers: 一、街道
 *     (level 5) and （一）街道 (level 6), with 1-16 characters of name.
 *   - Plain headings (level 4): a line with heading text whose next
 *     non-blank line is an entry, a sidebar or another heading (a chain),
 *     possibly after one English title line, and which is not an
 *     attribution and does not end in a photo credit.
 *   - An English title line (ASCII only, starting with a letter, at most 120
 *     bytes, not ending in , ; :) right after a heading is dropped; after a
 *     plain heading it makes that heading a chapter (level 2): 年度聚焦 /
 *     Annual Focus.
 *   - A heading of level L closes the open headings of level >= L and is
 *     pushed; the section path is the open headings, outermost first (at
 *     most 6).  A heading first emits the pending records, without authors.
 *   - Entry: a line beginning with 【title】; the title is trimmed, the rest
 *     of the line starts the body.  Without 】 the title is the first 64
 *     characters and anything after them starts the body.
 *   - Sidebar: 资料 (or 小资料, 背景资料, 链接, 知识链接, 相关链接), one or more spaces, heading text as the title (spaces
 *     removed as for headings): 资料 大禹鼎.
 *   - A record's body runs on over the following lines until the next
 *     entry, sidebar, heading, attribution or the end.  Lines and pieces
 *     separated by blank lines (page breaks) are joined: with one space
 *     between two ASCII letters/digits; with "\n" when the text so far ends
 *     a sentence (。！？, or ” ’ 」 』 right after one) and the next line does
 *     not begin with closing or trailing punctuation; with nothing
 *     otherwise (宣 / 传片 -> 宣传片).  Spaces inside a line are kept as
 *     written ("2017 年 9 月").
 *   - Running text outside any record starts an entry titled by the
 *     innermost heading ("" when none) at the paragraph's first line.
 *   - Attribution: a line that is only ( names ) or （ names ）, the names
 *     being 2 to 40 characters of letters, digits and Han (plus · - ')
 *     separated by spaces or 、，, ; ；, not only numerals (so (一) and (续)
 *     are not attributions); a trailing 供稿 or 摄 is dropped.  Splitting rule: pieces are
 *     cut at spaces and separators, except that spaces between two Latin
 *     letters join ("John Smith"); if every piece is one character, or there
 *     are at most 3 characters and no explicit separator, the list is ONE
 *     name spelled out for justification ((陆 婷) = 陆婷, (严 建) = 严建);
 *     otherwise each piece is a name ((区委办 区跨贸小镇管委会) = two).
 *     The attribution credits every pending record (entries and sidebars
 *     since the previous attribution or heading) and emits them.
 *   - Photo caption: a piece of text lines (between blank lines, not
 *     continuing an entry's or sidebar's opening line) whose last line ends
 *     in a parenthesised credit ending in 供稿 or 摄, "… (区跨贸小镇管委会
 *     供稿)", becomes a record of kind FZ_KIND_CAPTION: title "", body = the
 *     piece without the credit, authors = the credit's names (split as
 *     above; the following attribution does not replace them), line = the
 *     piece's first line.  The record it interrupts continues across it:
 *     实 / caption / 施移动支付 -> 实施移动支付.
 *   - Parentheses inside running text are never attributions.
 *
 * Cost: linear in the input (each line is examined a bounded number of
 * times); memory: the pending records' text, at most about the input.
 */
#ifndef PARSE_H
#define PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "kind.h"


/* One record.  Every pointer is valid only during the emit callback. */
typedef struct {
    uint32_t line;           /* 1-based line where the record starts */
    fz_kind kind;            /* common/kind.h */
    const char *title;       /* UTF-8, trimmed; "" for a caption */
    size_t title_len;
    const char *body;        /* UTF-8, joined text of the record */
    size_t body_len;
    const char *const *section; /* headings, outermost first, NUL-terminated */
    size_t nsection;
    const char *const *authors; /* NUL-terminated names */
    size_t nauthors;
} parse_entry;

/* Return 0 to go on; any other value stops the parse and is returned. */
typedef int (*parse_emit_fn)(void *ctx, const parse_entry *e);

typedef struct parse_ctx parse_ctx;

parse_ctx *parse_create(void);          /* NULL when out of memory */
void parse_destroy(parse_ctx *p);       /* NULL is safe */

/* Parses one whole file's text (len bytes; NUL bytes are ordinary bytes)
 * and emits its records in file order of their first lines (a record is
 * emitted once its attribution is known, i.e. at the attribution, the next
 * heading, or the end of the text).  title, body, every section heading
 * and every author are NUL-terminated; section and authors are
 * NULL-terminated arrays.  A parse_ctx may be reused for the next file;
 * nothing carries over.  Returns 0 (also for empty input), FZ_EINVAL for a
 * NULL p or emit or a NULL text with len > 0, FZ_ENOMEM, or the first
 * non-zero value returned by emit (which stops the parse). */
int parse_text(parse_ctx *p, const char *text, size_t len, parse_emit_fn emit, void *ctx);

/* After parse_text: the volume's title, when the file's first non-blank
 * line is a book title (e.g. 某某县志 乾隆本, 仙溪志　（宋）黄岩孙 编 …
 * gives 仙溪志), as NUL-terminated UTF-8; "" when it is not one.  Valid
 * until the next parse_text or parse_destroy.  A book title is a first
 * word (up to a space or an opening parenthesis) of 3 to 30 letters ending
 * in 志, 誌, 志略, 志稿, 乘, 志书 or 年鉴, on a line without sentence
 * punctuation; that line is not a heading or an entry.  NULL p gives "". */
const char *parse_volume(const parse_ctx *p);


#endif
