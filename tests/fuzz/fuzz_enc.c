/*
 * fuzz_enc -- libFuzzer target for encoding detection and conversion
 * (common/enc.h).
 *
 * Detects the input's encoding; when one is found, converts with it.
 * Also converts with a fixed encoding picked by the first byte (UTF-8,
 * GB18030, BIG5-HKSCS, UTF-16LE/BE), as fzindex --encoding does.  Checks
 * enc.h's promises: a static name or FZ_EENCODING; the output of a
 * non-UTF-8 source is valid UTF-8; UTF-8 sources are copied as they are
 * (less a BOM) and the first bad offset is the real one; on error the
 * output is left as it was.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "enc.h"
#include "fz.h"

static void convert(const char *name, const unsigned char *d, size_t n)
{
    fz_buf out = {0};
    /* something already in out: conversion appends, and errors leave it */
    fz_buf_puts(&out, "xy");
    size_t bad = 7;
    char msg[256];
    int rc = enc_to_utf8(name, d, n, &out, &bad, msg, sizeof msg);
    if (!out.p || out.len < 2 || memcmp(out.p, "xy", 2))
        abort();
    int utf8 = !strcasecmp(name, ENC_UTF8) || !strcasecmp(name, ENC_UTF8_BOM);
    if (rc == 0) {
        if (utf8) {
            size_t skip = n >= 3 && !memcmp(d, "\xEF\xBB\xBF", 3) ? 3 : 0;
            size_t first = fz_utf8_check(d, n);
            if (out.len - 2 != n - skip || memcmp(out.p + 2, d + skip, n - skip))
                abort();
            if (first == n ? bad != (size_t)-1 : bad != first)
                abort();
        } else {
            if (bad != (size_t)-1)
                abort();
            if (fz_utf8_check((const unsigned char *)out.p + 2, out.len - 2) != out.len - 2)
                abort();
        }
    } else {
        if (rc != FZ_EENCODING && rc != FZ_ENOMEM)
            abort();
        if (out.len != 2)
            abort();
        if (rc == FZ_EENCODING && bad > n)
            abort();
    }
    fz_buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char *d = malloc(size ? size : 1);
    if (!d)
        return 0;
    memcpy(d, data, size);
    const char *name = "x";
    int rc = enc_detect(d, size, &name);
    if (rc == 0) {
        if (!name)
            abort();
        convert(name, d, size);
    } else if (rc != FZ_EENCODING && rc != FZ_ENOMEM) {
        abort();
    } else if (name) {
        abort();
    }
    static const char *const fixed[] = {ENC_UTF8, ENC_GB18030, ENC_BIG5, ENC_UTF16LE, ENC_UTF16BE};
    if (size > 1)
        convert(fixed[d[0] % 5], d + 1, size - 1);
    free(d);
    return 0;
}
