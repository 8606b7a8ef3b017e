/*
 * query.h -- the query language: parses a query string into a tree.
 *
 * Callers: fzsearch (searcher/search.c compiles the tree against the index),
 * the query-parser tests and the fuzzer.
 *
 * Syntax (also in fzsearch --help and fzsearch(1)):
 *   term term        both (implicit AND); the word AND does the same
 *   a OR b           either
 *   NOT a, -a        exclude entries matching a (only beside something positive)
 *   ( ... )          grouping
 *   "..."            a quoted phrase (spaces and operators inside are text)
 *   a NEAR/N b       a and b within N characters of each other, either order
 *                    (at most N characters of the text between them,
 *                    punctuation included; search.c counts them)
 *   a EXCEPT b       occurrences of a that are not part of an occurrence of b
 *   ? ？ □           inside a term: any one CJK character at that place
 *   field:value      title: author: section: file: kind: volume: place:
 *                    year: -- restricts the atom right after the colon (a
 *                    word or a quoted phrase); year: takes a year (1700,
 *                    -205 for 205 BCE) or a range of them, ends included
 *                    (1700..1800, 1700.., ..-100)
 *
 * Grammar, precedence tightest first (field prefix and NOT/-, then NEAR and
 * EXCEPT, then AND, then OR):
 *   query   := or EOF
 *   or      := and { OR and }
 *   and     := prox { [AND] prox }        implicit AND when an operand follows
 *   prox    := unary [ (NEAR/N | EXCEPT) unary ]
 *   unary   := (NOT | -) primary | primary
 *   primary := atom | '(' or ')'
 *   atom    := [field ':'] (word | phrase)
 *
 * Lexical rules.
 *   - Spaces separate words: ASCII space and controls (U+0000..U+0020,
 *     U+007F), U+0085, U+00A0, U+1680, U+2000..U+200A, U+2028, U+2029,
 *     U+202F, U+205F and the ideographic space U+3000.
 *   - Parentheses: ( ) and full-width （ ）.
 *   - Quotes: "..." “...” 「...」 『...』; the closing quote must match the
 *     opening one (" closes ", ” closes “, 」 closes 「, 』 closes 『).
 *     There are no escapes: to search for an ASCII " put it inside “ ”.
 *     A closing ” 」 』 with no opening one is an error.  An empty or
 *     all-space phrase is an error.
 *   - A word is a maximal run of characters that are not space,
 *     parenthesis or quote.  The compiler splits it further at punctuation.
 *   - Operator words are recognised only in capitals and only when the whole
 *     word is the operator: AND, OR, NOT, EXCEPT, NEAR/N (the slash may be
 *     full-width ／, the digits full-width ０-９).  "or", "Near/5",
 *     "ANDROID" and "NEARBY" are text; to search for the word AND, quote it.
 *     A word that is exactly NEAR, or starts with NEAR/ but is not NEAR/N
 *     with N in 1..QUERY_MAX_NEAR, is an error.
 *   - A '-' (or full-width '－') at the start of a word is NOT; it must be
 *     followed directly, without a space, by the atom or '(' it excludes.
 *     A '-' anywhere else in a word is text (Wi-Fi, 2016-2020).
 *   - Wildcards ? ？ □ are characters of the text; a word or phrase made only
 *     of wildcards (and spaces) is an error.
 *   - Colon rule: a word is a field prefix when it starts with one or more
 *     ASCII letters followed by ':' or '：', and, when the colon is followed
 *     by '/', the letters are a field name (so http://x is text while
 *     file:/abs/path and title:/概况 restrict to a field).  Everything else with a colon is text
 *     (10:30, 作者：陆婷).  Field names are matched ignoring ASCII case; an
 *     unknown name is an error.  The value follows the colon directly: the
 *     rest of the word, or a quoted phrase opening right after the colon.
 *     The value is always text (author:NOT searches for "NOT").  A field
 *     cannot apply to a group: author:(a OR b) is an error.  kind: accepts
 *     only entry, sidebar or caption (any ASCII case).
 *
 * Rules on the tree (checked after parsing, on the simplified tree):
 *   - NOT may only be a child of AND, and every AND needs at least one child
 *     that is not a NOT.  A query that is only negative (-a, NOT a -b, or an
 *     AND group like (-a -b) anywhere) is an error "nothing to search for".
 *   - NOT directly inside OR (a OR -b, a OR (-b)) is an error: it would
 *     match nearly everything.  Write (a OR b) -c instead.  Note that
 *     a OR -b c is fine: it is a OR (-b c).
 *   - NOT directly before NOT or '-' (NOT NOT a, --a) is an error.
 *   - NEAR and EXCEPT take one text atom on each side (a word or phrase,
 *     with or without a field prefix, possibly in parentheses such as (a)).
 *     A group, a negation, or another NEAR/EXCEPT as operand is an error;
 *     so chains (a NEAR/5 b NEAR/5 c, a EXCEPT b EXCEPT c) are rejected:
 *     combine pairs with AND.  The two sides may name different fields;
 *     the compiler decides what that means.
 * Simplification: an AND or OR with one child is replaced by the child;
 * AND inside AND and OR inside OR are flattened, so the kids of an AND are
 * never AND and the kids of an OR are never OR.
 *
 * Errors: FZ_ESYNTAX for every mistake above and for an unbalanced quote
 * (column of the opening quote) or parenthesis (column of the unmatched
 * one), an operator with a missing operand (column of the operator), a
 * field with no value (column just after the colon), an unknown field
 * (column of the name), empty parentheses (column of '('), more than
 * QUERY_MAX_DEPTH nested parentheses (column of the first '(' too deep) and
 * a tree of more than QUERY_MAX_NODES nodes.  FZ_EMPTY for a query that is
 * empty or all spaces.  Lexical and grammar mistakes are reported at the
 * first one found reading left to right; the tree rules (NOT placement,
 * node count) are checked afterwards, in pre-order.  Columns are 0-based and count code points; a byte that is not
 * valid UTF-8 counts as one column (and is kept in the text as it is).
 *
 * Dump format (query_dump), one line, no newline:
 *   (TEXT "t")  (TEXT f:"t")      a text atom; f is the field name, absent
 *                                 for QF_DEFAULT; " quoted" is added before
 *                                 the ')' when the atom was a quoted phrase,
 *                                 e.g. (TEXT title:"杭州 中心" quoted)
 *   (AND k k ...) (OR k k ...)    kids separated by one space
 *   (NOT k) (NEAR/N k k) (EXCEPT k k)
 * Inside t, '"' is written \" and '\' is written \\; bytes below 0x20, 0x7F
 * and bytes that are not valid UTF-8 are written \xHH (lowercase hex); all
 * other text is copied as it is.
 * Example: 井长制 NEAR/20 治水 -author:陆婷  dumps as
 *   (AND (NEAR/20 (TEXT "井长制") (TEXT "治水")) (NOT (TEXT author:"陆婷")))
 *
 * Nothing here keeps mutable global state; all memory comes from the arena.
 * Parsing is linear in the query length.
 */
#ifndef QUERY_H
#define QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "../common/fz.h"

#define QUERY_MAX_NODES 4096 /* nodes in the simplified tree */
#define QUERY_MAX_NEAR 10000 /* largest N of NEAR/N */
#define QUERY_MAX_DEPTH 100  /* nesting of parentheses */

typedef enum { QN_TEXT, QN_AND, QN_OR, QN_NOT, QN_NEAR, QN_EXCEPT } query_type;
typedef enum {
    QF_DEFAULT = 0, /* title and body */
    QF_TITLE,
    QF_AUTHOR,
    QF_SECTION,
    QF_FILE,
    QF_KIND,
    QF_VOLUME,      /* the volume's title (fzindex --catalog, the file's first line, its name) */
    QF_PLACE,       /* the catalog's place */
    QF_YEAR         /* the catalog's year: a year or a range, see query_year_range */
} query_field;

typedef struct query_node query_node;
struct query_node {
    query_type type;
    query_field field;   /* QN_TEXT: which field it searches */
    int quoted;          /* QN_TEXT: written in quotes */
    const char *text;    /* QN_TEXT: the raw UTF-8 text, NUL-terminated, quotes
                          * and field prefix removed (text_len counts the
                          * bytes; a NUL cannot occur, it is a space).  It has
                          * at least one character besides wildcards and
                          * spaces.  For QF_KIND it is exactly "entry",
                          * "sidebar" or "caption" (lower case). */
    size_t text_len;
    uint32_t col;        /* column (code points) where the node starts in the
                          * query: TEXT: the field name, the opening quote or
                          * the word; NOT: the NOT or '-'; AND, OR, NEAR,
                          * EXCEPT: the column of their first kid */
    uint32_t distance;   /* QN_NEAR: N, 1..QUERY_MAX_NEAR */
    query_node **kids;   /* QN_AND, QN_OR: 2+; QN_NOT: 1; QN_NEAR, QN_EXCEPT: 2,
                          * both QN_TEXT */
    size_t nkids;
};

/* Parses q[0..len) (UTF-8; need not be NUL-terminated; q may be NULL when
 * len is 0).  All nodes are allocated from arena and live as long as it
 * does.  Returns the root, or NULL with *err set (FZ_ESYNTAX, FZ_EMPTY for a
 * query with nothing in it, FZ_ENOMEM, FZ_EINVAL for a NULL arena), msg
 * holding a one-line description without a trailing newline and *err_col
 * the column of the mistake.  err, err_col and msg may each be NULL.  On
 * success *err is 0 and *err_col 0.  On failure the arena may hold partial
 * work; it is freed with the arena. */
query_node *query_parse(const char *q, size_t len, fz_arena *arena, int *err,
                        uint32_t *err_col, char *msg, size_t msglen);

/* Appends the tree in the canonical prefix form described above to out.
 * Returns 0, FZ_ENOMEM, or FZ_EINVAL when n is NULL.  Recursion depth is
 * the depth of the tree (bounded for trees from query_parse). */
int query_dump(const query_node *n, fz_buf *out);

/* The one-line message for a query query_parse refused (err, msg and
 * err_col as it returned them), as the programs show it after "fzsearch: ":
 * "empty query: give a word or phrase to search for" for FZ_EMPTY, else
 * "bad query: MSG (at column N)" with N 1-based.  Written to out. */
void query_error_text(int err, const char *msg, uint32_t err_col, char *out, size_t outlen);

/* The syntax in brief, with examples: lines of plain text, each indented
 * two spaces and ending in a newline.  fzsearch --help prints it under
 * "query syntax:" and the reading room's /help page shows it (one text,
 * so the two cannot drift apart).  Static storage. */
const char *query_help(void);

/* "title", "author", "section", "file", "kind", "volume", "place", "year";
 * "" for QF_DEFAULT and for values outside the enum.  Never NULL; static
 * storage. */
const char *query_field_name(query_field f);

/* The years a year: value names: Y (exactly Y), A..B (A to B, both
 * included), A.. and ..B (open at one end: FZ_YEAR_MIN / MAX).  A year is
 * as fz_year_parse reads it (up to four digits, negative: BCE).
 * 0, or -1 when text[0..len) is none of these or A > B.  The parser
 * refuses a year: atom this rejects (FZ_ESYNTAX). */
int query_year_range(const char *text, size_t len, int32_t *lo, int32_t *hi);

#endif
