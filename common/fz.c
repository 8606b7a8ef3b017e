/*
 * fz.c -- errors, buffers, arena, varints and UTF-8 (see fz.h).
 */
#include "fz.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <math.h>
#include <unistd.h>

const char *fz_strerror(int code)
{
    switch (code) {
    case FZ_OK: return "success";
    case FZ_ENOMEM: return "out of memory";
    case FZ_EIO: return "input/output error";
    case FZ_EINVAL: return "invalid argument";
    case FZ_EFORMAT: return "not a fangzhi index of this format version";
    case FZ_ECORRUPT: return "index is damaged; re-index the sources";
    case FZ_ENOTFOUND: return "not found";
    case FZ_ELMDB: return "database error";
    case FZ_EICU: return "text analysis error";
    case FZ_EENCODING: return "unsupported text encoding";
    case FZ_ESYNTAX: return "malformed query";
    case FZ_EBUSY: return "index is busy";
    case FZ_ELIMIT: return "size limit exceeded";
    case FZ_EMPTY: return "nothing to do";
    default: return "unknown error";
    }
}

void fz_msg(char *msg, size_t msglen, const char *fmt, ...)
{
    if (!msg || msglen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, msglen, fmt, ap);
    va_end(ap);
}

/* ---- buffer ---- */

int fz_buf_reserve(fz_buf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return FZ_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1) {
        if (cap > SIZE_MAX / 2)
            return FZ_ENOMEM;
        cap *= 2;
    }
    char *p = realloc(b->p, cap);
    if (!p)
        return FZ_ENOMEM;
    b->p = p;
    b->cap = cap;
    return FZ_OK;
}

int fz_buf_append(fz_buf *b, const void *data, size_t n)
{
    if (fz_buf_reserve(b, n))
        return FZ_ENOMEM;
    if (n)
        memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = 0;
    return FZ_OK;
}

int fz_buf_puts(fz_buf *b, const char *s) { return fz_buf_append(b, s, strlen(s)); }

int fz_buf_putc(fz_buf *b, int c)
{
    char ch = (char)c;
    return fz_buf_append(b, &ch, 1);
}

int fz_buf_printf(fz_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char tmp[256];
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return FZ_EINVAL;
    if ((size_t)n < sizeof tmp)
        return fz_buf_append(b, tmp, (size_t)n);
    if (fz_buf_reserve(b, (size_t)n))
        return FZ_ENOMEM;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return FZ_OK;
}

int fz_buf_uint(fz_buf *b, uint64_t v)
{
    char tmp[20], *e = tmp + sizeof tmp, *p = e;
    do
        *--p = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    return fz_buf_append(b, p, (size_t)(e - p));
}

int fz_buf_fixed4(fz_buf *b, double v)
{
    /* x is v x 10^4 rounded once: below 10^13 its error is at most 2^-10,
     * so away from a tie (a fraction of .5) rounding it to the nearest
     * integer rounds the exact product as printf does; a tie, a negative
     * zero, NaN and large values go to printf */
    if (!(v >= 0 && v < 1e9) || signbit(v))
        return fz_buf_printf(b, "%.4f", v);
    double x = v * 10000.0, fl = floor(x), d = x - fl;
    if (d > 0.49 && d < 0.51)
        return fz_buf_printf(b, "%.4f", v);
    uint64_t r = (uint64_t)fl + (d > 0.5);
    char tmp[5];
    uint64_t f = r % 10000;
    for (int i = 3; i >= 0; i--, f /= 10)
        tmp[i] = (char)('0' + f % 10);
    int rc = fz_buf_uint(b, r / 10000);
    rc |= fz_buf_putc(b, '.');
    rc |= fz_buf_append(b, tmp, 4);
    return rc ? FZ_ENOMEM : FZ_OK;
}

void fz_buf_free(fz_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

/* ---- arena ---- */

struct arena_block {
    struct arena_block *next;
    size_t used, size;
    _Alignas(16) unsigned char data[];
};

struct fz_arena {
    struct arena_block *head;
};

fz_arena *fz_arena_create(void) { return calloc(1, sizeof(fz_arena)); }

void fz_arena_destroy(fz_arena *a)
{
    if (!a)
        return;
    struct arena_block *b = a->head;
    while (b) {
        struct arena_block *n = b->next;
        free(b);
        b = n;
    }
    free(a);
}

void *fz_arena_alloc(fz_arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (n == 0)
        n = 16;
    struct arena_block *b = a->head;
    if (!b || b->size - b->used < n) {
        size_t size = n > 65536 ? n : 65536;
        b = malloc(sizeof *b + size);
        if (!b)
            return NULL;
        b->size = size;
        b->used = 0;
        b->next = a->head;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += n;
    return p;
}

void *fz_arena_calloc(fz_arena *a, size_t n)
{
    void *p = fz_arena_alloc(a, n);
    if (p)
        memset(p, 0, n);
    return p;
}

char *fz_arena_strndup(fz_arena *a, const char *s, size_t n)
{
    char *p = fz_arena_alloc(a, n + 1);
    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

/* ---- varints ---- */

size_t fz_varint_put(uint8_t *dst, uint64_t v)
{
    size_t i = 0;
    while (v >= 0x80) {
        dst[i++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    dst[i++] = (uint8_t)v;
    return i;
}

const uint8_t *fz_varint_get_long(const uint8_t *p, const uint8_t *end, uint64_t *v)
{
    uint64_t r = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        if (p >= end)
            return NULL;
        uint8_t c = *p++;
        r |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *v = r;
            return p;
        }
    }
    return NULL;
}

int fz_buf_varint(fz_buf *b, uint64_t v)
{
    uint8_t tmp[FZ_VARINT_MAX];
    return fz_buf_append(b, tmp, fz_varint_put(tmp, v));
}

/* ---- UTF-8 ---- */

int fz_utf8_decode(const unsigned char *p, size_t n, uint32_t *cp)
{
    unsigned c = p[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    int len;
    uint32_t v, min;
    if (c >= 0xC2 && c <= 0xDF) { len = 2; v = c & 0x1F; min = 0x80; }
    else if (c >= 0xE0 && c <= 0xEF) { len = 3; v = c & 0x0F; min = 0x800; }
    else if (c >= 0xF0 && c <= 0xF4) { len = 4; v = c & 0x07; min = 0x10000; }
    else goto bad;
    if ((size_t)len > n)
        goto bad;
    for (int i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80)
            goto bad;
        v = (v << 6) | (p[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        goto bad;
    *cp = v;
    return len;
bad:
    *cp = 0xFFFD;
    return -1;
}

int fz_utf8_encode(uint32_t cp, char *out)
{
    unsigned char *o = (unsigned char *)out;
    if (cp < 0x80) { o[0] = (unsigned char)cp; return 1; }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

/* The text is mostly ASCII or three-byte characters (CJK): eight bytes
 * of ASCII are passed over at once, and most three-byte sequences are
 * checked in place (fz_utf8_plain3); everything else goes to
 * fz_utf8_decode, which decides. */
size_t fz_utf8_check(const unsigned char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (p[i] < 0x80) {
            uint64_t w;
            while (i + 8 <= n && (memcpy(&w, p + i, 8), !(w & 0x8080808080808080ull)))
                i += 8;
            while (i < n && p[i] < 0x80)
                i++;
            continue;
        }
        while (fz_utf8_plain3(p + i, n - i))
            i += 3;
        if (i >= n || p[i] < 0x80)
            continue;
        uint32_t cp;
        int k = fz_utf8_decode(p + i, n - i, &cp);
        if (k < 0)
            return i;
        i += (size_t)k;
    }
    return n;
}

int fz_cp_width(uint32_t cp)
{
    if (cp == 0 || cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
        return 0;
    if ((cp >= 0x0300 && cp <= 0x036F) || (cp >= 0x200B && cp <= 0x200F) || cp == 0xFEFF)
        return 0;
    if ((cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0x303E) ||
        (cp >= 0x3041 && cp <= 0x33FF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
        (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xA000 && cp <= 0xA4CF) ||
        (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
        (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
        (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x20000 && cp <= 0x3FFFD))
        return 2;
    return 1;
}

int fz_buf_json(fz_buf *b, const char *s, size_t n)
{
    /* each byte of s takes 6 bytes at the most ("\u001f", "\ufffd"): the
     * room is made once and the loop writes in place */
    if (n > (SIZE_MAX - 3) / 6 || fz_buf_reserve(b, n * 6 + 2))
        return FZ_ENOMEM;
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    char *o = b->p + b->len;
    *o++ = '"';
    for (size_t i = 0; i < n;) {
        unsigned char c = p[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            *o++ = (char)c;
            i++;
            continue;
        }
        if (c < 0x80) {
            *o++ = '\\';
            switch (c) {
            case '"': *o++ = '"'; break;
            case '\\': *o++ = '\\'; break;
            case '\n': *o++ = 'n'; break;
            case '\r': *o++ = 'r'; break;
            case '\t': *o++ = 't'; break;
            default: /* the other controls and DEL */
                memcpy(o, "u00", 3);
                o[3] = hex[c >> 4];
                o[4] = hex[c & 15];
                o += 5;
            }
            i++;
            continue;
        }
        /* a well-formed sequence is copied, anything else is U+FFFD */
        uint32_t cp;
        int k;
        if (c >= 0xE1 && c <= 0xEC && i + 2 < n && (p[i + 1] & 0xC0) == 0x80 && (p[i + 2] & 0xC0) == 0x80)
            k = 3; /* the commonest: U+1000 .. U+CFFF, never overlong nor a surrogate */
        else
            k = fz_utf8_decode(p + i, n - i, &cp);
        if (k < 0) {
            memcpy(o, "\\ufffd", 6);
            o += 6;
            i++;
        } else {
            memcpy(o, p + i, (size_t)k);
            o += k;
            i += (size_t)k;
        }
    }
    *o++ = '"';
    b->len = (size_t)(o - b->p);
    b->p[b->len] = 0;
    return FZ_OK;
}

const char *fz_display_path(const char *path, size_t len, char *buf, size_t bufsize)
{
    char cwd[PATH_MAX];
    size_t n = len < bufsize - 1 ? len : bufsize - 1;
    if (getcwd(cwd, sizeof cwd)) {
        size_t cl = strlen(cwd);
        if (cl > 1 && len > cl + 1 && memcmp(path, cwd, cl) == 0 && path[cl] == '/') {
            path += cl + 1;
            n = len - cl - 1 < bufsize - 1 ? len - cl - 1 : bufsize - 1;
        }
    }
    memcpy(buf, path, n);
    buf[n] = 0;
    return buf;
}

int fz_year_parse(const char *s, size_t n, int32_t *y)
{
    size_t i = 0;
    int neg = 0;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        neg = s[i++] == '-';
    if (i == n || n - i > 4)
        return -1;
    int32_t v = 0;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *y = neg ? -v : v;
    return 0;
}

int fz_grow(void *items, size_t *cap, size_t need, size_t elem, size_t first)
{
    if (need <= *cap)
        return FZ_OK;
    size_t n = *cap ? *cap : first ? first : 1;
    while (n < need) {
        if (n > SIZE_MAX / 2)
            return FZ_ENOMEM;
        n *= 2;
    }
    if (elem && n > SIZE_MAX / elem)
        return FZ_ENOMEM;
    void *old;
    memcpy(&old, items, sizeof old);
    void *p = realloc(old, n * elem);
    if (!p)
        return FZ_ENOMEM;
    memcpy(items, &p, sizeof p);
    *cap = n;
    return FZ_OK;
}
