/*
 * parse.h -- recovers the structure of gazetteer and yearbook text.
 *
 * Callers: fzindex (indexer/build.c), the parser tests and the fuzzer.
 *
 * Input is one file's text, already converted to UTF-8 (invalid sequences
 * may still occur and must be passed through without a crash).  Output is a
 * stream of records -- entries, sidebars, captions, tables of contents and
 * note blocks (common/kind.h) -- each with its section path, title,
 * authors, first line and text.
 *
 * "Spaces" are ASCII space, tab, U+00A0, U+FEFF and the full-width U+3000; a
 * "character" is a code point (an invalid byte counts as one).
 *
 * Every file: a first non-blank line that is a book title names the volume
 * (parse_volume) and is neither a heading nor text.  The file is then read
 * in one of three layouts (parse_set_layout; by default the detector of
 * parse.c picks one and parse_layout_why says why; docs/layouts.md shows
 * each):
 *
 * YEARBOOK -- the rules below this list (the sample
 * corpus/xiacheng-2017-annual-focus.txt).
 *
 * CLASSICAL -- gazetteers of the dynasties and OCR pages of modern ones:
 *   - Headings: a line of heading text opening with a marker (● ◎ ■ ◆
 *     level 1, ○ level 2, △ ▲ ◇ □ · level 3; a 卷 word makes it 1; ■〈…〉
 *     describes a missing character and is no marker); a
 *     heading the 目录 names (its level there); a 卷 (卷一, 卷之一, 卷上,
 *     卷首, 卷末, also after a book's name: 仙溪志卷一) or 第N编 (1); a 门:
 *     3..16 characters ending in 志 考 略 表 传 纪, numbered or not (舆地志一),
 *     a preface (…序 …跋 …叙, 前言, at most 10 characters), a list (凡例,
 *     修志姓氏, 题名) or 第N章 (2); 第N节 (3); and a plain heading: at most
 *     16 characters of heading text standing alone -- not an item, not
 *     after a line that was a list item, and followed by running text or
 *     by a heading of the kinds above (3).  In wrapped text a line that
 *     continues a sentence is no plain heading.
 *   - A 目录: a line 目录 (目次, …目录, …篇名) and the short heading lines
 *     after it, or a run of at least 4 short heading lines whose first
 *     comes again right after it.  It ends before a repeat of its first
 *     item or of an earlier 目录's, before a marked line after unmarked
 *     items, and before a line after a blank line that has running text
 *     under it.  It is one record of kind toc (title: its title line, or
 *     目录), its items joined by "\n"; their nesting is the rank of their
 *     indentation when it varies, else their levels as headings.
 *   - Under a heading each paragraph is an entry.  A paragraph opening with
 *     a name of 1..12 letters and a space, a full-width space or a colon
 *     (鼓楼 在县治东…, 名：…) is titled by it; a line of at most 6 characters
 *     of heading text in a list is an item titled by itself; else the title
 *     is "".  A paragraph opening 某某曰： (某某: 1..4 letters) is credited to
 *     某某; 按, 谨按, 志曰, 论曰, 赞曰, 史臣曰 … credit no one.  【…】, 〔N〕 and
 *     （…） are text wherever they stand: a 【 opens no entry here.
 *   - A preface heading (and a heading under it, ○田九嘉) opens one entry
 *     titled by the heading, with all its paragraphs joined by "\n"; a
 *     short line right after the title (2..8 letters, spaces removed: 陈 某)
 *     is its author, as is the signer of its last signed paragraph
 *     (parse_int.h, parse_signature).
 *   - A heading 校注 (注释, 校勘记, 注) opens a record of kind note holding
 *     the lines up to the next heading, in the section it closes.
 *   - Lines: each line is a paragraph, unless the lines are wrapped at a
 *     printed column (of text lines of 8+ characters: at least 4, 30 %
 *     not ending in punctuation, half within one character of the most
 *     common width); then a line continues the paragraph unless the one
 *     before ended a sentence and was short or this one is indented more
 *     than the text's least indentation.  Continuations are joined as page
 *     breaks are below.
 *   - Folios (page numbers alone, ·1203·, 1204·, also with heading text
 *     beside them on the line) and running heads (heading text next to a
 *     folio holding a middle dot, repeating an open heading or the
 *     volume's title, or standing where a wrapped sentence is still open)
 *     are dropped: neither text, nor headings, nor breaks.
 *
 * PARAGRAPHS -- as CLASSICAL without headings, 目录s, items, prefaces and
 * credits: every paragraph is an entry titled "".
 *
 * YEARBOOK rules:
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
 * times; a heading is looked up among at most 4096 headings of the 目录s);
 * memory: the pending records' text, at most about the input, and for the
 * classical and paragraphs layouts one fact of about 100 bytes a line (the
 * detector looks at the facts of the first megabyte only).
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

/* The layouts a file can be read as (see docs/layouts.md). */
typedef enum {
    PARSE_AUTO = 0,      /* decided per file from its lines (parse_text) */
    PARSE_YEARBOOK = 1,  /* 【】 entries, (author) lines, sidebars, captions */
    PARSE_CLASSICAL = 2, /* 卷/门/目 headings, markers, 目录, items, prefaces */
    PARSE_PARAGRAPHS = 3 /* no headings: every paragraph is an entry */
} parse_layout;

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

/* Sets the layout every following parse_text reads with: PARSE_AUTO (the
 * default of a new ctx) lets each file decide.  Returns 0, or FZ_EINVAL
 * for a NULL p or a value that is no layout. */
int parse_set_layout(parse_ctx *p, parse_layout l);

/* After parse_text: the layout the file was read as (never PARSE_AUTO;
 * PARSE_PARAGRAPHS before any parse), and why, as one short English
 * sentence ("3 【】 entries and 2 (author) lines", "set by --layout").
 * Valid until the next parse_text or parse_destroy; NULL p gives
 * PARSE_PARAGRAPHS and "". */
parse_layout parse_layout_chosen(const parse_ctx *p);
const char *parse_layout_why(const parse_ctx *p);

/* After parse_text: whether the classical or paragraphs reader found the
 * lines wrapped at a column width (an OCR page) and joined them. */
int parse_lines_wrapped(const parse_ctx *p);

/* "auto", "yearbook", "classical", "paragraphs"; "unknown" otherwise. */
const char *parse_layout_name(parse_layout l);
/* The layout named s (one of the names above), or -1. */
int parse_layout_lookup(const char *s);

/* After parse_text: the volume's title, when the file's first non-blank
 * line is a book title (e.g. 某某县志 乾隆本, 仙溪志　（宋）黄岩孙 编 …
 * gives 仙溪志), as NUL-terminated UTF-8; "" when it is not one.  Valid
 * until the next parse_text or parse_destroy.  A book title is a first
 * word (up to a space or an opening parenthesis) of 3 to 30 letters ending
 * in 志, 誌, 志略, 志稿, 乘, 志书 or 年鉴 (not a common 门 such as 地理志
 * or 食货志), on a line without sentence punctuation; that line is not a
 * heading or an entry.  NULL p gives "". */
const char *parse_volume(const parse_ctx *p);


#endif
