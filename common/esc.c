/*
 * esc.c -- terminal-safe text (see esc.h).
 */
#include "esc.h"

int esc_text_append(fz_buf *b, const char *s, size_t n, int flags)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        /* copy the longest run that needs nothing */
        size_t j = i;
        uint32_t cp = 0;
        int k = 1;
        while (j < n) {
            if (p[j] >= 0x20 && p[j] < 0x7f) {
                j++;
                continue;
            }
            if (p[j] < 0x80)
                break;
            k = fz_utf8_decode(p + j, n - j, &cp);
            if (k < 0 || cp < 0xa0)
                break;
            j += (size_t)k;
        }
        if (j > i && fz_buf_append(b, p + i, j - i))
            return FZ_ENOMEM;
        if (j >= n)
            break;
        unsigned c = p[j];
        int rc;
        if (c < 0x80) {
            k = 1;
            if ((flags & ESC_KEEP_LINES) && (c == '\n' || c == '\t'))
                rc = fz_buf_putc(b, (int)c);
            else if (c == '\n')
                rc = fz_buf_puts(b, "\\n");
            else if (c == '\r')
                rc = fz_buf_puts(b, "\\r");
            else if (c == '\t')
                rc = fz_buf_puts(b, "\\t");
            else
                rc = fz_buf_printf(b, "\\%03o", c);
        } else if (k < 0) {
            k = 1;
            rc = fz_buf_puts(b, "\xef\xbf\xbd");
        } else {
            rc = fz_buf_printf(b, "\\u%04x", (unsigned)cp);
        }
        if (rc)
            return FZ_ENOMEM;
        i = j + (size_t)k;
    }
    return 0;
}

const char *esc_text_str(fz_buf *b, const char *s, size_t n)
{
    b->len = 0;
    if (esc_text_append(b, s, n, 0) || fz_buf_reserve(b, 0))
        return "";
    b->p[b->len] = 0;
    return b->p;
}
