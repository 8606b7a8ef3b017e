/*
 * fz.h -- what every fangzhi module shares: the error convention, a growable
 * byte buffer, a bump arena for per-query memory, varints and UTF-8.
 *
 * Callers: everything in common/, indexer/ and searcher/.
 *
 * Error convention.  Functions return 0 (FZ_OK) on success or one of the
 * negative FZ_E* codes below.  fz_strerror() names a code.  When a library
 * below us fails (ICU, iconv, LMDB) the details go into a caller-supplied
 * message buffer (char *msg, size_t msglen), never into global state.
 * fz_msg() writes such a message; a NULL msg is allowed and ignored.
 *
 * Nothing here keeps mutable global state.
 */
#ifndef FZ_H
#define FZ_H

#include <stddef.h>
#include <stdint.h>

#define FZ_VERSION "0.1.0"

enum {
    FZ_OK = 0,
    FZ_ENOMEM = -1,    /* out of memory */
    FZ_EIO = -2,       /* reading or writing a file failed */
    FZ_EINVAL = -3,    /* bad argument or bad input */
    FZ_EFORMAT = -4,   /* not a fangzhi index, or another format version */
    FZ_ECORRUPT = -5,  /* the index is damaged */
    FZ_ENOTFOUND = -6, /* no such entry, file or key */
    FZ_ELMDB = -7,     /* LMDB reported an error */
    FZ_EICU = -8,      /* ICU reported an error */
    FZ_EENCODING = -9, /* text in no supported encoding */
    FZ_ESYNTAX = -10,  /* malformed query */
    FZ_EBUSY = -11,    /* another process holds the index */
    FZ_ELIMIT = -12,   /* a size limit was exceeded */
    FZ_EMPTY = -13     /* nothing to do: empty input or empty query */
};

/* A short English phrase for an FZ_E* code; never NULL. */
const char *fz_strerror(int code);

/* printf into msg (if msg is non-NULL and msglen > 0), always NUL-terminated. */
void fz_msg(char *msg, size_t msglen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- growable arrays -----------------------------------------------------
 * fz_grow makes the array whose pointer is at items (elements of elem
 * bytes, *cap of them allocated) hold at least need elements: the capacity
 * starts at first and doubles until it does.  items is the address of the
 * array pointer (e.g. &p->rows).  Returns 0, or FZ_ENOMEM with the array
 * and *cap unchanged.  The caller owns the array and frees it with free(). */
int fz_grow(void *items, size_t *cap, size_t need, size_t elem, size_t first);

/* ---- growable byte buffer ------------------------------------------------
 * A plain struct so it can live on the stack: fz_buf b = {0}.  p is NUL
 * terminated whenever len < cap (every append keeps one spare byte).
 * fz_buf_free() releases it and resets it to {0}; freeing twice is safe. */
typedef struct {
    char *p;
    size_t len;
    size_t cap;
} fz_buf;

int fz_buf_reserve(fz_buf *b, size_t extra);
int fz_buf_append(fz_buf *b, const void *data, size_t n);
int fz_buf_puts(fz_buf *b, const char *s);
int fz_buf_putc(fz_buf *b, int c);
int fz_buf_printf(fz_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends v in decimal, as printf's %llu would (without its cost, which
 * a --json line paid for each of its numbers).  0 or FZ_ENOMEM. */
int fz_buf_uint(fz_buf *b, uint64_t v);
/* Appends v with four decimals, as printf's %.4f writes it (a --json
 * line's score; printf took a tenth of a hit's JSON): the common values
 * (0 <= v < 1e9, not within a hundredth of a unit of the last digit from
 * a tie) by integer arithmetic, the rest by printf.  0 or FZ_ENOMEM. */
int fz_buf_fixed4(fz_buf *b, double v);
void fz_buf_free(fz_buf *b);

/* ---- arena ----------------------------------------------------------------
 * A bump allocator: everything allocated from it is freed at once by
 * fz_arena_destroy().  Used for per-query memory.  Allocations are 8-byte
 * aligned.  fz_arena_alloc() returns NULL only when malloc fails. */
typedef struct fz_arena fz_arena;

fz_arena *fz_arena_create(void);
void fz_arena_destroy(fz_arena *a); /* NULL is safe */
void *fz_arena_alloc(fz_arena *a, size_t n);
void *fz_arena_calloc(fz_arena *a, size_t n);
char *fz_arena_strndup(fz_arena *a, const char *s, size_t n);

/* ---- varints --------------------------------------------------------------
 * LEB128: 7 bits a byte, low bits first, high bit set on all but the last. */
#define FZ_VARINT_MAX 10
size_t fz_varint_put(uint8_t *dst, uint64_t v);
/* Decodes one varint from [p, end); returns the byte after it, or NULL when
 * the input ends inside the varint or it is longer than 10 bytes.  Inline
 * for the one-byte case, the commonest in postings and entry blocks (a
 * call per value cost 3-5 % of a search); fz_varint_get_long does the
 * rest and may be called alike. */
const uint8_t *fz_varint_get_long(const uint8_t *p, const uint8_t *end, uint64_t *v);
static inline const uint8_t *fz_varint_get(const uint8_t *p, const uint8_t *end, uint64_t *v)
{
    if (p < end && *p < 0x80) {
        *v = *p;
        return p + 1;
    }
    return fz_varint_get_long(p, end, v);
}
int fz_buf_varint(fz_buf *b, uint64_t v);
/* A 32-bit value's varint inline, for the writers of postings that write
 * one a value (a call each cost them more than the bytes): its length
 * (1-5, without a branch), and it written at p, returning the byte after
 * it.  The same bytes as fz_varint_put. */
static inline uint32_t fz_varint_len32(uint32_t v)
{
    return 1u + (v >= 1u << 7) + (v >= 1u << 14) + (v >= 1u << 21) + (v >= 1u << 28);
}
static inline uint8_t *fz_varint_put32(uint8_t *p, uint32_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

/* A path for display, in buf (bufsize > 0): relative to the working
 * directory when below it, else as given; cut to bufsize - 1 bytes. */
const char *fz_display_path(const char *path, size_t len, char *buf, size_t bufsize);

/* Appends s[0..n) as a JSON string literal, quotes included: " \ and
 * control characters escaped, invalid UTF-8 as \ufffd.  0 or FZ_ENOMEM. */
int fz_buf_json(fz_buf *b, const char *s, size_t n);

/* Big-endian 32-bit integers, used for LMDB keys so that keys sort by value. */
static inline void fz_be32_put(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);  p[3] = (uint8_t)v;
}
static inline uint32_t fz_be32_get(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* ---- UTF-8 ----------------------------------------------------------------
 * fz_utf8_decode: decodes one code point from [p, p+n).  Returns the number
 * of bytes it took (1-4) and stores the code point; on an invalid or
 * truncated sequence (overlongs, surrogates, > U+10FFFF included) stores
 * 0xFFFD and returns -1: the caller skips one byte.  n must be > 0. */
int fz_utf8_decode(const unsigned char *p, size_t n, uint32_t *cp);
/* Whether p (n bytes there) begins a three-byte sequence that is valid
 * whatever its two continuation bytes hold: a lead of E1..EC, EE or EF
 * (no overlong, no surrogate) -- most characters of Chinese text.  Its
 * code point is then fz_utf8_plain3_cp(p); fz_utf8_decode decides the
 * rest.  The fast path of the decoders and checks over whole texts. */
static inline int fz_utf8_plain3(const unsigned char *p, size_t n)
{
    return n >= 3 && p[0] - 0xE1u <= 0xEFu - 0xE1u && p[0] != 0xED && (p[1] & 0xC0) == 0x80 &&
           (p[2] & 0xC0) == 0x80;
}
static inline uint32_t fz_utf8_plain3_cp(const unsigned char *p)
{
    return (p[0] & 0x0Fu) << 12 | (p[1] & 0x3Fu) << 6 | (p[2] & 0x3Fu);
}
/* Encodes cp into out (4 bytes room); returns the length 1-4. */
int fz_utf8_encode(uint32_t cp, char *out);
/* Byte offset of the first invalid sequence in [p, p+n), or n if valid. */
size_t fz_utf8_check(const unsigned char *p, size_t n);
/* Display width in terminal columns of one code point: 2 for East Asian
 * wide and full-width characters, 0 for combining marks and controls, 1 else. */
int fz_cp_width(uint32_t cp);

/* ---- years ----------------------------------------------------------------
 * The year of a volume's edition (fzindex --catalog, the year: query
 * field): up to four ASCII digits after an optional + or -, negative for
 * BCE.  fz_year_parse reads s[0..n) whole into *y: 0, or -1 when it is not
 * such a year. */
#define FZ_YEAR_MIN (-9999)
#define FZ_YEAR_MAX 9999
int fz_year_parse(const char *s, size_t n, int32_t *y);

#endif
