/*
 * test_enc.c -- encoding detection and conversion (common/enc.c).
 *
 * Run from the repository root: the fixtures are read from
 * tests/fixtures/enc/ (made by tests/fixtures/enc/gen.sh from the corpus
 * sample).
 */
#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdlib.h>

#include "enc.h"
#include "t.h"

#define FIX "tests/fixtures/enc/"

/* Offset of the 0xFF byte gen.sh inserts into utf8-invalid.txt. */
#define INVALID_AT 2195

static unsigned char *slurp(const char *path, size_t *len)
{
    return (unsigned char *)t_slurp(path, len);
}

/* Detects the encoding of a fixture; "ERR<n>" on failure. */
static const char *detect_file(const char *path)
{
    size_t len;
    unsigned char *d = slurp(path, &len);
    if (!d)
        return "(missing)";
    const char *name = NULL;
    int rc = enc_detect(d, len, &name);
    free(d);
    if (rc == FZ_EENCODING)
        return "ERR-ENCODING";
    if (rc)
        return "ERR-OTHER";
    return name;
}

/* Converts `path` from its detected encoding; the result must equal the
 * bytes of `expect_path`. */
static void check_roundtrip(const char *path, const char *want_enc, const char *expect_path)
{
    size_t len, elen;
    unsigned char *d = slurp(path, &len);
    unsigned char *e = slurp(expect_path, &elen);
    CHECK(d != NULL && e != NULL);
    if (!d || !e) {
        free(d);
        free(e);
        return;
    }
    const char *name = NULL;
    CHECK_EQ_INT(enc_detect(d, len, &name), 0);
    CHECK_EQ_STR(name, want_enc);
    fz_buf out = {0};
    size_t bad = 0;
    char msg[200] = "";
    CHECK_EQ_INT(enc_to_utf8(want_enc, d, len, &out, &bad, msg, sizeof msg), 0);
    CHECK_EQ_INT(bad, (size_t)-1);
    CHECK_EQ_INT(out.len, elen);
    CHECK(out.len == elen && memcmp(out.p, e, elen) == 0);
    if (out.len != elen || memcmp(out.p, e, elen) != 0)
        fprintf(stderr, "  round trip of %s differs from %s (msg: %s)\n", path, expect_path, msg);
    fz_buf_free(&out);
    free(d);
    free(e);
}

/* Encodes UTF-8 text with glibc iconv, for building test inputs. */
static int encode(const char *to, const unsigned char *s, size_t n, fz_buf *out)
{
    iconv_t cd = iconv_open(to, "UTF-8");
    if (cd == (iconv_t)-1)
        return -1;
    char *ip = (char *)(uintptr_t)s;
    size_t il = n;
    int rc = 0;
    while (il > 0) {
        if (fz_buf_reserve(out, il * 2 + 16)) {
            rc = -1;
            break;
        }
        char *op = out->p + out->len;
        size_t ol = out->cap - out->len - 1;
        size_t r = iconv(cd, &ip, &il, &op, &ol);
        out->len = (size_t)(op - out->p);
        if (r == (size_t)-1 && errno != E2BIG) {
            rc = -1;
            break;
        }
    }
    iconv_close(cd);
    return rc;
}

/* ---- detection of every fixture ---- */

TEST(test_detect_fixtures)
{
    CHECK_EQ_STR(detect_file(FIX "utf8.txt"), ENC_UTF8);
    CHECK_EQ_STR(detect_file(FIX "utf8-bom.txt"), ENC_UTF8_BOM);
    CHECK_EQ_STR(detect_file(FIX "gb18030.txt"), ENC_GB18030);
    CHECK_EQ_STR(detect_file(FIX "utf16le.txt"), ENC_UTF16LE);
    CHECK_EQ_STR(detect_file(FIX "utf16be.txt"), ENC_UTF16BE);
    CHECK_EQ_STR(detect_file(FIX "big5.txt"), ENC_BIG5);
    CHECK_EQ_STR(detect_file(FIX "big5.utf8.txt"), ENC_UTF8);
    CHECK_EQ_STR(detect_file(FIX "gbk-line.txt"), ENC_GB18030);
    CHECK_EQ_STR(detect_file(FIX "gbk-line.utf8.txt"), ENC_UTF8);
    CHECK_EQ_STR(detect_file(FIX "utf8-invalid.txt"), ENC_UTF8);
    CHECK_EQ_STR(detect_file(FIX "nul.bin"), "ERR-ENCODING");
    CHECK_EQ_STR(detect_file(FIX "binary.bin"), "ERR-ENCODING");
}

/* ---- conversion back to the UTF-8 original ---- */

TEST(test_roundtrip)
{
    check_roundtrip(FIX "utf8.txt", ENC_UTF8, FIX "utf8.txt");
    check_roundtrip(FIX "utf8-bom.txt", ENC_UTF8_BOM, FIX "utf8.txt");
    check_roundtrip(FIX "gb18030.txt", ENC_GB18030, FIX "utf8.txt");
    check_roundtrip(FIX "utf16le.txt", ENC_UTF16LE, FIX "utf8.txt");
    check_roundtrip(FIX "utf16be.txt", ENC_UTF16BE, FIX "utf8.txt");
    check_roundtrip(FIX "big5.txt", ENC_BIG5, FIX "big5.utf8.txt");
    check_roundtrip(FIX "gbk-line.txt", ENC_GB18030, FIX "gbk-line.utf8.txt");
}

/* Other spellings iconv knows work too, case does not matter, and the
 * generic UTF-16 decoder honours the BOM itself. */
TEST(test_names)
{
    size_t len, elen;
    unsigned char *gb = slurp(FIX "gb18030.txt", &len);
    unsigned char *u = slurp(FIX "utf8.txt", &elen);
    CHECK(gb && u);
    if (!gb || !u) {
        free(gb);
        free(u);
        return;
    }
    const char *names[] = {"gb18030", "GB18030", "UTF-8", "utf8", "Utf-8-Bom"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        fz_buf out = {0};
        const unsigned char *src = i < 2 ? gb : u;
        size_t n = i < 2 ? len : elen;
        CHECK_EQ_INT(enc_to_utf8(names[i], src, n, &out, NULL, NULL, 0), 0);
        CHECK(out.len == elen && memcmp(out.p, u, elen) == 0);
        fz_buf_free(&out);
    }
    free(gb);

    unsigned char *be = slurp(FIX "utf16be.txt", &len);
    unsigned char *le = slurp(FIX "utf16le.txt", &len);
    CHECK(be && le);
    if (be && le) {
        fz_buf out = {0};
        CHECK_EQ_INT(enc_to_utf8("UTF-16", be, len, &out, NULL, NULL, 0), 0);
        CHECK(out.len == elen && memcmp(out.p, u, elen) == 0);
        out.len = 0;
        CHECK_EQ_INT(enc_to_utf8("UTF-16", le, len, &out, NULL, NULL, 0), 0);
        CHECK(out.len == elen && memcmp(out.p, u, elen) == 0);
        fz_buf_free(&out);
    }
    free(be);
    free(le);
    free(u);
}

/* ---- UTF-8 with an invalid byte ---- */

TEST(test_invalid_utf8_offset)
{
    size_t len;
    unsigned char *d = slurp(FIX "utf8-invalid.txt", &len);
    CHECK(d != NULL);
    if (!d)
        return;
    CHECK(len > INVALID_AT && d[INVALID_AT] == 0xFF);
    fz_buf out = {0};
    size_t bad = 0;
    CHECK_EQ_INT(enc_to_utf8(ENC_UTF8, d, len, &out, &bad, NULL, 0), 0);
    CHECK_EQ_INT(bad, INVALID_AT);
    /* the bytes are kept as they are */
    CHECK(out.len == len && memcmp(out.p, d, len) == 0);

    /* with a BOM in front the offset still counts from the file's start */
    fz_buf withbom = {0};
    CHECK_EQ_INT(fz_buf_append(&withbom, "\xEF\xBB\xBF", 3), 0);
    CHECK_EQ_INT(fz_buf_append(&withbom, d, len), 0);
    const char *name = NULL;
    CHECK_EQ_INT(enc_detect((const unsigned char *)withbom.p, withbom.len, &name), 0);
    CHECK_EQ_STR(name, ENC_UTF8_BOM);
    out.len = 0;
    CHECK_EQ_INT(enc_to_utf8(ENC_UTF8_BOM, (const unsigned char *)withbom.p, withbom.len, &out,
                             &bad, NULL, 0),
                 0);
    CHECK_EQ_INT(bad, INVALID_AT + 3);
    CHECK(out.len == len && memcmp(out.p, d, len) == 0);

    /* the first of several invalid sequences is reported */
    const unsigned char two[] = "ab\xC3(cd\xFF";
    out.len = 0;
    CHECK_EQ_INT(enc_to_utf8(ENC_UTF8, two, sizeof two - 1, &out, &bad, NULL, 0), 0);
    CHECK_EQ_INT(bad, 2);
    CHECK_EQ_MEM(out.p, out.len, "ab\xC3(cd\xFF");

    fz_buf_free(&withbom);
    fz_buf_free(&out);
    free(d);
}

/* ---- binary data ---- */

TEST(test_binary)
{
    const char *name = "x";
    unsigned char zeros[4096] = {0};
    CHECK_EQ_INT(enc_detect(zeros, sizeof zeros, &name), FZ_EENCODING);
    CHECK(name == NULL);
    CHECK_EQ_INT(enc_detect(zeros, 1, &name), FZ_EENCODING);

    size_t len;
    unsigned char *bin = slurp(FIX "binary.bin", &len);
    CHECK(bin != NULL);
    if (bin) {
        CHECK_EQ_INT(enc_detect(bin, len, &name), FZ_EENCODING);
        /* binary data behind a UTF-16 or UTF-8 BOM is still binary */
        fz_buf b = {0};
        CHECK_EQ_INT(fz_buf_append(&b, "\xFF\xFE", 2), 0);
        CHECK_EQ_INT(fz_buf_append(&b, bin, len), 0);
        CHECK_EQ_INT(enc_detect((const unsigned char *)b.p, b.len, &name), FZ_EENCODING);
        b.p[0] = (char)0xFE;
        b.p[1] = (char)0xFF;
        CHECK_EQ_INT(enc_detect((const unsigned char *)b.p, b.len, &name), FZ_EENCODING);
        b.len = 0;
        CHECK_EQ_INT(fz_buf_append(&b, "\xEF\xBB\xBF", 3), 0);
        CHECK_EQ_INT(fz_buf_append(&b, bin, len), 0);
        CHECK_EQ_INT(enc_detect((const unsigned char *)b.p, b.len, &name), FZ_EENCODING);
        fz_buf_free(&b);
        free(bin);
    }

    /* pseudo-random bytes */
    unsigned char rnd[8192];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof rnd; i++) {
        x = x * 1103515245u + 12345u;
        rnd[i] = (unsigned char)(x >> 16);
    }
    CHECK_EQ_INT(enc_detect(rnd, sizeof rnd, &name), FZ_EENCODING);

    /* text keeps tab, LF, CR and FF, and a DOS end-of-file mark at the end */
    const unsigned char txt[] = "a\tb\r\nc\fd\x1A";
    CHECK_EQ_INT(enc_detect(txt, sizeof txt - 1, &name), 0);
    CHECK_EQ_STR(name, ENC_UTF8);
}

/* ---- short and odd inputs ---- */

/* Detection and conversion of any input must not crash; when detection
 * names an encoding, conversion with it succeeds or names an offset inside
 * the input.  Returns 1 when all holds (one CHECK per loop, not per input). */
static int check_any(const unsigned char *d, size_t n)
{
    const char *name = NULL;
    int rc = enc_detect(d, n, &name), good = 1;
    if (rc != 0)
        good = rc == FZ_EENCODING && name == NULL;
    else {
        fz_buf out = {0};
        size_t bad = 0;
        char msg[128];
        rc = enc_to_utf8(name, d, n, &out, &bad, msg, sizeof msg);
        if (rc == 0 && (strcmp(name, ENC_UTF8) == 0 || strcmp(name, ENC_UTF8_BOM) == 0))
            good = bad == (size_t)-1 || bad < n;
        else if (rc == 0)
            good = bad == (size_t)-1 &&
                   fz_utf8_check((const unsigned char *)out.p, out.len) == out.len;
        else
            good = rc == FZ_EENCODING && bad <= n;
        fz_buf_free(&out);
    }
    if (!good) {
        fprintf(stderr, "  input");
        for (size_t i = 0; i < n; i++)
            fprintf(stderr, " %02X", d[i]);
        fprintf(stderr, ": detect/convert inconsistent (%s)\n", name ? name : "-");
    }
    return good;
}

TEST(test_short_inputs)
{
    const char *name = NULL;
    fz_buf out = {0};
    size_t bad = 0;
    char msg[200] = "";

    /* empty */
    CHECK_EQ_INT(enc_detect((const unsigned char *)"", 0, &name), 0);
    CHECK_EQ_STR(name, ENC_UTF8);
    CHECK_EQ_INT(enc_detect(NULL, 0, &name), 0);
    CHECK_EQ_INT(enc_to_utf8(ENC_UTF8, NULL, 0, &out, &bad, NULL, 0), 0);
    CHECK_EQ_INT(out.len, 0);
    CHECK_EQ_INT(bad, (size_t)-1);
    CHECK_EQ_INT(enc_to_utf8(ENC_GB18030, (const unsigned char *)"", 0, &out, &bad, NULL, 0), 0);
    CHECK_EQ_INT(out.len, 0);
    CHECK_EQ_INT(enc_detect((const unsigned char *)"x", 1, NULL), FZ_EINVAL);

    /* a single GB18030 character: 中 (D6D0), 啊 (B0A1), and a four-byte one */
    CHECK_EQ_INT(enc_detect((const unsigned char *)"\xD6\xD0", 2, &name), 0);
    CHECK_EQ_STR(name, ENC_GB18030);
    CHECK_EQ_INT(enc_to_utf8(name, (const unsigned char *)"\xD6\xD0", 2, &out, &bad, NULL, 0), 0);
    CHECK_EQ_MEM(out.p, out.len, "中");
    CHECK_EQ_INT(enc_detect((const unsigned char *)"\xB0\xA1", 2, &name), 0);
    CHECK_EQ_STR(name, ENC_GB18030);
    out.len = 0;
    CHECK_EQ_INT(enc_to_utf8(ENC_GB18030, (const unsigned char *)"\x81\x30\x81\x30", 4, &out,
                             &bad, NULL, 0),
                 0);
    CHECK_EQ_MEM(out.p, out.len, "\xC2\x80");

    /* BOM only */
    CHECK_EQ_INT(enc_detect((const unsigned char *)"\xEF\xBB\xBF", 3, &name), 0);
    CHECK_EQ_STR(name, ENC_UTF8_BOM);
    out.len = 0;
    CHECK_EQ_INT(enc_to_utf8(name, (const unsigned char *)"\xEF\xBB\xBF", 3, &out, &bad, NULL, 0), 0);
    CHECK_EQ_INT(out.len, 0);
    CHECK_EQ_INT(enc_detect((const unsigned char *)"\xFF\xFE", 2, &name), 0);
    CHECK_EQ_STR(name, ENC_UTF16LE);
    CHECK_EQ_INT(enc_to_utf8(name, (const unsigned char *)"\xFF\xFE", 2, &out, &bad, NULL, 0), 0);
    CHECK_EQ_INT(out.len, 0);
    CHECK_EQ_INT(enc_detect((const unsigned char *)"\xFE\xFF\x4E", 3, &name), 0);
    CHECK_EQ_STR(name, ENC_UTF16BE);
    CHECK_EQ_INT(enc_to_utf8(name, (const unsigned char *)"\xFE\xFF\x4E", 3, &out, &bad, msg,
                             sizeof msg),
                 FZ_EENCODING);
    CHECK_EQ_INT(bad, 2);

    /* a lone byte that starts no character anywhere */
    CHECK_EQ_INT(enc_detect((const unsigned char *)"\xFF", 1, &name), FZ_EENCODING);
    CHECK_EQ_INT(enc_detect((const unsigned char *)"\x80", 1, &name), FZ_EENCODING);
    CHECK_EQ_INT(enc_detect((const unsigned char *)"\x81", 1, &name), FZ_EENCODING);

    /* GB18030 cut inside a character: the offset of the cut character */
    CHECK_EQ_INT(enc_to_utf8(ENC_GB18030, (const unsigned char *)"\xD6\xD0\xD6", 3, &out, &bad,
                             msg, sizeof msg),
                 FZ_EENCODING);
    CHECK_EQ_INT(bad, 2);
    CHECK(strstr(msg, "invalid GB18030 byte sequence at offset 2") != NULL);

    /* every 1-byte input, every 2-byte input starting with a high byte,
     * and pseudo-random 3-byte inputs */
    unsigned char b[3];
    int all = 1;
    for (int i = 0; i < 256; i++) {
        b[0] = (unsigned char)i;
        all &= check_any(b, 1);
    }
    CHECK(all);
    for (int i = 0x80; i < 256; i++)
        for (int j = 0; j < 256; j += 3) {
            b[0] = (unsigned char)i;
            b[1] = (unsigned char)j;
            all &= check_any(b, 2);
        }
    CHECK(all);
    uint32_t x = 7;
    for (int k = 0; k < 3000; k++) {
        x = x * 1103515245u + 12345u;
        b[0] = (unsigned char)(x >> 8 | 0x80);
        b[1] = (unsigned char)(x >> 16);
        b[2] = (unsigned char)(x >> 24);
        all &= check_any(b, 3);
    }
    CHECK(all);
    fz_buf_free(&out);
}

/* ---- errors ---- */

TEST(test_unknown_encoding)
{
    fz_buf out = {0};
    char msg[200] = "";
    size_t bad = 0;
    CHECK_EQ_INT(enc_to_utf8("NO-SUCH-ENCODING", (const unsigned char *)"abc", 3, &out, &bad, msg,
                             sizeof msg),
                 FZ_EINVAL);
    CHECK_EQ_STR(msg, "unknown encoding 'NO-SUCH-ENCODING'");
    CHECK_EQ_INT(out.len, 0);
    CHECK_EQ_INT(enc_to_utf8("NO-SUCH-ENCODING", NULL, 0, &out, &bad, msg, sizeof msg),
                 FZ_EINVAL);
    CHECK_EQ_INT(enc_to_utf8("", (const unsigned char *)"abc", 3, &out, NULL, msg, sizeof msg),
                 FZ_EINVAL);
    CHECK_EQ_INT(enc_to_utf8(NULL, (const unsigned char *)"abc", 3, &out, NULL, msg, sizeof msg),
                 FZ_EINVAL);
    CHECK_EQ_INT(enc_to_utf8(ENC_UTF8, (const unsigned char *)"abc", 3, NULL, NULL, NULL, 0),
                 FZ_EINVAL);
    fz_buf_free(&out);
}

/* Output is appended; on failure out is left as it was. */
TEST(test_append_and_rollback)
{
    fz_buf out = {0};
    char msg[200] = "";
    size_t bad = 0;
    CHECK_EQ_INT(fz_buf_puts(&out, "keep:"), 0);
    CHECK_EQ_INT(enc_to_utf8(ENC_GB18030, (const unsigned char *)"\xD6\xD0", 2, &out, &bad, msg,
                             sizeof msg),
                 0);
    CHECK_EQ_MEM(out.p, out.len, "keep:中");
    CHECK_EQ_INT(enc_to_utf8(ENC_GB18030, (const unsigned char *)"\xD6\xD0\xFF\xD6\xD0", 5, &out,
                             &bad, msg, sizeof msg),
                 FZ_EENCODING);
    CHECK_EQ_MEM(out.p, out.len, "keep:中");
    CHECK_EQ_INT(bad, 2);
    CHECK_EQ_STR(msg, "invalid GB18030 byte sequence at offset 2");
    fz_buf_free(&out);
}

/* An invalid sequence far beyond the detection sample: detection still
 * names GB18030, conversion reports the exact offset. */
TEST(test_invalid_after_sample)
{
    size_t len;
    unsigned char *gb = slurp(FIX "gb18030.txt", &len);
    CHECK(gb != NULL);
    if (!gb)
        return;
    fz_buf b = {0};
    int rc = 0;
    while (b.len < 200 * 1024 && rc == 0)
        rc = fz_buf_append(&b, gb, len);
    CHECK_EQ_INT(rc, 0);
    size_t at = b.len;
    CHECK_EQ_INT(fz_buf_append(&b, "\xFF", 1), 0);
    CHECK_EQ_INT(fz_buf_append(&b, gb, len), 0);

    const char *name = NULL;
    CHECK_EQ_INT(enc_detect((const unsigned char *)b.p, b.len, &name), 0);
    CHECK_EQ_STR(name, ENC_GB18030);
    fz_buf out = {0};
    char msg[200] = "", want[200];
    size_t bad = 0;
    CHECK_EQ_INT(enc_to_utf8(ENC_GB18030, (const unsigned char *)b.p, b.len, &out, &bad, msg,
                             sizeof msg),
                 FZ_EENCODING);
    CHECK_EQ_INT(bad, at);
    snprintf(want, sizeof want, "invalid GB18030 byte sequence at offset %zu", at);
    CHECK_EQ_STR(msg, want);
    CHECK_EQ_INT(out.len, 0);

    /* a truncated last character of a long file */
    b.len = at;
    CHECK_EQ_INT(fz_buf_append(&b, "\xD6", 1), 0);
    CHECK_EQ_INT(enc_detect((const unsigned char *)b.p, b.len, &name), 0);
    CHECK_EQ_STR(name, ENC_GB18030);
    CHECK_EQ_INT(enc_to_utf8(ENC_GB18030, (const unsigned char *)b.p, b.len, &out, &bad, msg,
                             sizeof msg),
                 FZ_EENCODING);
    CHECK_EQ_INT(bad, at);
    CHECK(strstr(msg, want) == msg);

    fz_buf_free(&out);
    fz_buf_free(&b);
    free(gb);
}

/* A Big5 file with a damaged sequence (A4 80: no Big5 trail byte, yet
 * valid GB18030) is still Big5, and conversion names the offset. */
TEST(test_damaged_big5)
{
    size_t len;
    unsigned char *b5 = slurp(FIX "big5.txt", &len);
    CHECK(b5 != NULL);
    if (!b5)
        return;
    size_t at = 2000;
    while (at < len && b5[at - 1] != '\n')
        at++;
    CHECK(at < len);
    fz_buf b = {0};
    CHECK_EQ_INT(fz_buf_append(&b, b5, at), 0);
    CHECK_EQ_INT(fz_buf_append(&b, "\xA4\x80", 2), 0);
    CHECK_EQ_INT(fz_buf_append(&b, b5 + at, len - at), 0);
    const char *name = NULL;
    CHECK_EQ_INT(enc_detect((const unsigned char *)b.p, b.len, &name), 0);
    CHECK_EQ_STR(name, ENC_BIG5);
    fz_buf out = {0};
    char msg[200] = "", want[200];
    size_t bad = 0;
    CHECK_EQ_INT(enc_to_utf8(ENC_BIG5, (const unsigned char *)b.p, b.len, &out, &bad, msg,
                             sizeof msg),
                 FZ_EENCODING);
    CHECK_EQ_INT(bad, at);
    snprintf(want, sizeof want, "invalid BIG5-HKSCS byte sequence at offset %zu", at);
    CHECK_EQ_STR(msg, want);
    fz_buf_free(&out);
    fz_buf_free(&b);
    free(b5);
}

/* Traditional text stored as GBK/GB18030 is GB18030, not Big5. */
TEST(test_traditional_in_gb18030)
{
    size_t len;
    unsigned char *t = slurp(FIX "big5.utf8.txt", &len);
    CHECK(t != NULL);
    if (!t)
        return;
    fz_buf gb = {0};
    CHECK_EQ_INT(encode("GB18030", t, len, &gb), 0);
    const char *name = NULL;
    CHECK_EQ_INT(enc_detect((const unsigned char *)gb.p, gb.len, &name), 0);
    CHECK_EQ_STR(name, ENC_GB18030);
    fz_buf out = {0};
    CHECK_EQ_INT(enc_to_utf8(name, (const unsigned char *)gb.p, gb.len, &out, NULL, NULL, 0), 0);
    CHECK(out.len == len && memcmp(out.p, t, len) == 0);

    /* and so is a single line of it in GBK */
    const char *line = "臺灣省縣誌";
    gb.len = 0;
    CHECK_EQ_INT(encode("GBK", (const unsigned char *)line, strlen(line), &gb), 0);
    CHECK_EQ_INT(enc_detect((const unsigned char *)gb.p, gb.len, &name), 0);
    CHECK_EQ_STR(name, ENC_GB18030);
    fz_buf_free(&out);
    fz_buf_free(&gb);
    free(t);
}

/* A long ASCII preamble (more than the sample) before the Chinese text. */
TEST(test_long_ascii_prefix)
{
    size_t len, ulen;
    unsigned char *gb = slurp(FIX "gb18030.txt", &len);
    unsigned char *u = slurp(FIX "utf8.txt", &ulen);
    CHECK(gb && u);
    if (gb && u) {
        fz_buf b = {0};
        int rc = 0;
        while (b.len < 100 * 1024 && rc == 0)
            rc = fz_buf_puts(&b, "Xiacheng District Yearbook, English preface.\n");
        CHECK_EQ_INT(rc, 0);
        size_t pre = b.len;
        CHECK_EQ_INT(fz_buf_append(&b, gb, len), 0);
        const char *name = NULL;
        CHECK_EQ_INT(enc_detect((const unsigned char *)b.p, b.len, &name), 0);
        CHECK_EQ_STR(name, ENC_GB18030);
        fz_buf out = {0};
        CHECK_EQ_INT(enc_to_utf8(ENC_GB18030, (const unsigned char *)b.p, b.len, &out, NULL,
                                 NULL, 0),
                     0);
        CHECK(out.len == pre + ulen && memcmp(out.p, b.p, pre) == 0 &&
              memcmp(out.p + pre, u, ulen) == 0);
        fz_buf_free(&out);
        fz_buf_free(&b);
    }
    free(gb);
    free(u);
}

/* One long line (no line feed to cut the sample at): the sample ends
 * inside a character, which must not count against the encoding.  Units of
 * different lengths move the cut to different places in a character. */
TEST(test_sample_cut_inside_char)
{
    struct {
        const char *enc, *want;
    } cases[] = {{"UTF-8", ENC_UTF8}, {"GB18030", ENC_GB18030}, {"BIG5-HKSCS", ENC_BIG5},
                 {"UTF-16LE", ENC_UTF16LE}};
    const char *units[] = {"國家縣誌,", "國家縣誌,a", "國家縣誌,ab", "國家縣誌,abc"};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
        for (size_t k = 0; k < sizeof units / sizeof units[0]; k++) {
            fz_buf u = {0}, b = {0};
            int rc = 0;
            while (u.len < 150 * 1024 && rc == 0)
                rc = fz_buf_puts(&u, units[k]);
            if (strcmp(cases[c].enc, "UTF-16LE") == 0)
                rc |= fz_buf_append(&b, "\xFF\xFE", 2);
            rc |= encode(cases[c].enc, (const unsigned char *)u.p, u.len, &b);
            CHECK_EQ_INT(rc, 0);
            const char *name = NULL;
            CHECK_EQ_INT(enc_detect((const unsigned char *)b.p, b.len, &name), 0);
            CHECK_EQ_STR(name, cases[c].want);
            fz_buf_free(&u);
            fz_buf_free(&b);
        }
}

/* ---- a large input: about 20 MB of GB18030 built in memory ---- */

TEST(test_large)
{
    size_t len, ulen;
    unsigned char *gb = slurp(FIX "gb18030.txt", &len);
    unsigned char *u = slurp(FIX "utf8.txt", &ulen);
    CHECK(gb && u && len > 0);
    if (gb && u && len > 0) {
        size_t reps = (20u << 20) / len + 1;
        fz_buf b = {0};
        CHECK_EQ_INT(fz_buf_reserve(&b, reps * len), 0);
        for (size_t i = 0; i < reps; i++)
            fz_buf_append(&b, gb, len);
        CHECK_EQ_INT(b.len, reps * len);
        const char *name = NULL;
        CHECK_EQ_INT(enc_detect((const unsigned char *)b.p, b.len, &name), 0);
        CHECK_EQ_STR(name, ENC_GB18030);
        fz_buf out = {0};
        size_t bad = 0;
        CHECK_EQ_INT(enc_to_utf8(ENC_GB18030, (const unsigned char *)b.p, b.len, &out, &bad,
                                 NULL, 0),
                     0);
        CHECK_EQ_INT(bad, (size_t)-1);
        CHECK_EQ_INT(out.len, reps * ulen);
        int same = out.len == reps * ulen;
        for (size_t i = 0; same && i < reps; i++)
            same = memcmp(out.p + i * ulen, u, ulen) == 0;
        CHECK(same);

        /* the same text as UTF-16LE with a BOM */
        fz_buf w = {0};
        CHECK_EQ_INT(fz_buf_append(&w, "\xFF\xFE", 2), 0);
        CHECK_EQ_INT(encode("UTF-16LE", (const unsigned char *)out.p, out.len, &w), 0);
        CHECK_EQ_INT(enc_detect((const unsigned char *)w.p, w.len, &name), 0);
        CHECK_EQ_STR(name, ENC_UTF16LE);
        fz_buf back = {0};
        CHECK_EQ_INT(enc_to_utf8(name, (const unsigned char *)w.p, w.len, &back, NULL, NULL, 0),
                     0);
        CHECK(back.len == out.len && memcmp(back.p, out.p, out.len) == 0);
        fz_buf_free(&back);
        fz_buf_free(&w);
        fz_buf_free(&out);
        fz_buf_free(&b);
    }
    free(gb);
    free(u);
}

int main(void)
{
    t_run(test_detect_fixtures);
    t_run(test_roundtrip);
    t_run(test_names);
    t_run(test_invalid_utf8_offset);
    t_run(test_binary);
    t_run(test_short_inputs);
    t_run(test_unknown_encoding);
    t_run(test_append_and_rollback);
    t_run(test_invalid_after_sample);
    t_run(test_damaged_big5);
    t_run(test_traditional_in_gb18030);
    t_run(test_long_ascii_prefix);
    t_run(test_sample_cut_inside_char);
    t_run(test_large);
    return t_done("enc");
}
