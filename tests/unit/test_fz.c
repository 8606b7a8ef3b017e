/*
 * test_fz.c -- common/fz.c's varints and JSON strings: every --json line
 * and every index record goes through them.  Each case states the exact
 * bytes a reader of the output or of the index relies on.
 */
#include "fz.h"
#include "t.h"

#include <stdint.h>
#include <unicode/utf8.h>

/* s[0..n) as fz_buf_json writes it, appended after "x" so that an append
 * that writes over what was there shows. */
static const char *json(fz_buf *b, const char *s, size_t n)
{
    b->len = 0;
    fz_buf_putc(b, 'x');
    CHECK_EQ_INT(fz_buf_json(b, s, n), 0);
    CHECK_EQ_INT(b->p[b->len], 0);
    return b->p;
}

/* inputs and what fz_buf_json appends for them */
typedef struct {
    const char *in;
    size_t n;
    const char *want;
} json_case;

static void json_cases(const json_case *c, size_t n)
{
    fz_buf b = {0};
    for (size_t i = 0; i < n; i++)
        CHECK_EQ_STR(json(&b, c[i].in, c[i].n), c[i].want);
    fz_buf_free(&b);
}

TEST(json_plain_and_escaped)
{
    static const json_case c[] = {
        {"", 0, "x\"\""},
        {"abc 1/2", 7, "x\"abc 1/2\""},
        {"a\"b\\c", 5, "x\"a\\\"b\\\\c\""},
        {"\n\r\t", 3, "x\"\\n\\r\\t\""},
        /* the other controls, NUL and DEL as \u00xx, lower-case hex */
        {"\x01\x1f\x7f\x1b", 4, "x\"\\u0001\\u001f\\u007f\\u001b\""},
        {"a\0b", 3, "x\"a\\u0000b\""},
    };
    json_cases(c, sizeof c / sizeof *c);
}

TEST(json_utf8)
{
    static const json_case c[] = {
        /* two-, three- (CJK, the fast path, and beside it) and four-byte
         * sequences are copied */
        {"\xc2\xa0", 2, "x\"\xc2\xa0\""},
        {"井长制", 9, "x\"井长制\""},
        {"\xe0\xa4\x85\xee\x80\x80\xef\xbf\xbd", 9, "x\"\xe0\xa4\x85\xee\x80\x80\xef\xbf\xbd\""},
        {"\xf0\xa0\x80\x80", 4, "x\"\xf0\xa0\x80\x80\""},
        /* anything else is U+FFFD, one for each byte that starts nothing */
        {"\xff", 1, "x\"\\ufffd\""},
        {"\xe4\xba", 2, "x\"\\ufffd\\ufffd\""},             /* cut short */
        {"\xe4\x41\x42", 3, "x\"\\ufffdAB\""},                /* not a continuation */
        {"\xe0\x80\x80", 3, "x\"\\ufffd\\ufffd\\ufffd\""},    /* overlong */
        {"\xed\xa0\x80", 3, "x\"\\ufffd\\ufffd\\ufffd\""},    /* a surrogate */
        {"\xf4\x90\x80\x80", 4, "x\"\\ufffd\\ufffd\\ufffd\\ufffd\""},
        {"\x80", 1, "x\"\\ufffd\""},
        /* a CJK character cut at the end of the string */
        {"a\xe4\xba\xba\xe4", 5, "x\"a\xe4\xba\xba\\ufffd\""},
    };
    json_cases(c, sizeof c / sizeof *c);
}

TEST(json_worst_case_room)
{
    /* every byte takes six: the buffer grows to hold them all */
    fz_buf b = {0};
    char in[1000];
    memset(in, 0x01, sizeof in);
    json(&b, in, sizeof in);
    CHECK_EQ_INT(b.len, 1 + 2 + 6 * sizeof in);
    memset(in, 0xff, sizeof in);
    json(&b, in, sizeof in);
    CHECK_EQ_INT(b.len, 1 + 2 + 6 * sizeof in);
    CHECK(memcmp(b.p + b.len - 7, "\\ufffd\"", 7) == 0);
    fz_buf_free(&b);
}

TEST(decimal)
{
    /* as printf's %llu writes them, appended to what is there */
    static const uint64_t vals[] = {0, 7, 10, 99, 100, 4294967295u, 4294967296u, UINT64_MAX};
    fz_buf b = {0};
    for (size_t i = 0; i < sizeof vals / sizeof *vals; i++) {
        char want[32];
        snprintf(want, sizeof want, "[%llu", (unsigned long long)vals[i]);
        b.len = 0;
        fz_buf_putc(&b, '[');
        CHECK_EQ_INT(fz_buf_uint(&b, vals[i]), 0);
        CHECK_EQ_STR(b.p, want);
    }
    fz_buf_free(&b);
}

TEST(fixed4)
{
    /* as printf's %.4f writes them, appended: scores, ties in decimal
     * (whose binary values lie either side), and what goes to printf */
    static const double vals[] = {0, 1, 0.00005, 0.00015, 0.00025, 1.23445, 1.23455, 2.5, 9.99995, 9.99994999,
                                  12.34565, 0.99995, 999999999.99995, 1e9, 1e300, -0.0, -1.5};
    fz_buf b = {0};
    char want[400];
    int bad = 0;
    uint64_t r = 88172645463325252u;
    for (size_t i = 0; i < sizeof vals / sizeof *vals + 2000000; i++) {
        double v;
        if (i < sizeof vals / sizeof *vals) {
            v = vals[i];
        } else {
            /* xorshift: values from 0 to ~100 with every kind of fraction,
             * and decimals of five places (ties in decimal) */
            r ^= r << 13;
            r ^= r >> 7;
            r ^= r << 17;
            v = i % 2 ? (double)(r >> 11) / (double)(1ull << 46) : (double)(r % 10000000u) / 100000.0;
        }
        snprintf(want, sizeof want, "[%.4f", v);
        b.len = 0;
        fz_buf_putc(&b, '[');
        if (fz_buf_fixed4(&b, v) || strcmp(b.p, want))
            bad++;
    }
    CHECK_EQ_INT(bad, 0);
    fz_buf_free(&b);
}

TEST(varints)
{
    static const uint64_t vals[] = {0, 1, 127, 128, 300, 16383, 16384, UINT32_MAX, (uint64_t)1 << 63, UINT64_MAX};
    for (size_t i = 0; i < sizeof vals / sizeof *vals; i++) {
        uint8_t buf[FZ_VARINT_MAX + 1];
        size_t n = fz_varint_put(buf, vals[i]);
        uint64_t v = 12345;
        const uint8_t *p = fz_varint_get(buf, buf + n, &v);
        CHECK(p == buf + n);
        CHECK(v == vals[i]);
        /* the one-byte form is decoded inline, the rest by the long form:
         * both take the same input */
        CHECK_EQ_INT(n == 1, vals[i] < 128);
        v = 12345;
        CHECK(fz_varint_get_long(buf, buf + n, &v) == buf + n && v == vals[i]);
        /* cut short: NULL, wherever it is cut */
        for (size_t k = 0; k < n; k++)
            CHECK(fz_varint_get(buf, buf + k, &v) == NULL);
    }
    /* eleven bytes with the high bit set is not a varint */
    uint8_t bad[11];
    memset(bad, 0x80, sizeof bad);
    uint64_t v;
    CHECK(fz_varint_get(bad, bad + sizeof bad, &v) == NULL);
    /* a run of one-byte varints, as postings and entry blocks hold them */
    const uint8_t run[] = {5, 0, 127, 0x81, 0x01, 9};
    const uint8_t *p = run, *end = run + sizeof run;
    uint64_t got[5];
    for (int i = 0; i < 5; i++)
        p = fz_varint_get(p, end, &got[i]);
    CHECK(p == end);
    CHECK(got[0] == 5 && got[1] == 0 && got[2] == 127 && got[3] == 129 && got[4] == 9);
}

/* The offset of the first ill-formed sequence in p[0..n) as ICU's U8_NEXT
 * finds it, the reference fz_utf8_check is held to. */
static size_t check_ref(const unsigned char *p, size_t n)
{
    int32_t i = 0, len = (int32_t)n;
    while (i < len) {
        int32_t at = i;
        UChar32 c;
        U8_NEXT(p, i, len, c);
        if (c < 0)
            return (size_t)at;
    }
    return n;
}

TEST(utf8_check)
{
    /* the offset of the first bad sequence, past runs of ASCII (eight at
     * a time) and of three-byte characters (one at a time in place) */
    static const struct {
        const char *in;
        size_t n, want;
    } c[] = {
        {"", 0, 0},
        {"abcdefghijklmnopq", 17, 17},
        {"abcdefghijklmno\x80", 16, 15},
        {"井长制井长制", 18, 18},
        {"井长制\xe4\xb8", 11, 9},             /* cut at the end */
        {"井长\xe0\x80\x80", 9, 6},           /* overlong */
        {"井长\xed\xa0\x80", 9, 6},           /* surrogate */
        {"井长\xed\x9f\xbf制", 12, 12},       /* U+D7FF */
        {"井长\xe0\xa4\x85制", 12, 12},       /* E0 beside the fast path */
        {"井\xe4\x41\x41" "abcdefgh", 14, 3},    /* a bad continuation */
        {"abcdefgh井\xf0\xa0\x80\x80\xc2\xa0", 17, 17},
        {"abcdefgh井\xf4\x90\x80\x80", 15, 11}, /* > U+10FFFF */
        {"\xc2\xa0" "abcdefgh\xff", 11, 10},
    };
    for (size_t i = 0; i < sizeof c / sizeof *c; i++)
        CHECK_EQ_INT(fz_utf8_check((const unsigned char *)c[i].in, c[i].n), c[i].want);
    /* and a mixed text with every byte in turn set to each of a few values
     * that break or begin a sequence, against the reference */
    const char *mix = "abc 1234567 井长制，2017年 \xc2\xa0\xf0\xa0\x80\x80 xyzwvuts 区政府\xe0\xa4\x85\xed\x9f\xbf" ".";
    size_t n = strlen(mix);
    unsigned char buf[128];
    static const unsigned char vals[] = {0x41, 0x80, 0xbf, 0xc2, 0xe0, 0xe4, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff};
    size_t bad = 0;
    for (size_t at = 0; at < n; at++)
        for (size_t v = 0; v < sizeof vals; v++)
            for (size_t len = at + 1; len <= n; len = len < n ? n : n + 1) { /* the byte last, then inside */
                memcpy(buf, mix, n);
                buf[at] = vals[v];
                size_t got = fz_utf8_check(buf, len), want = check_ref(buf, len);
                if (got != want) {
                    bad++;
                    fprintf(stderr, "utf8_check: byte %zu = %#x, %zu bytes: %zu, not %zu\n", at, vals[v], len, got,
                            want);
                }
            }
    CHECK_EQ_INT(bad, 0);
}

int main(void)
{
    t_run(json_plain_and_escaped);
    t_run(json_utf8);
    t_run(json_worst_case_room);
    t_run(decimal);
    t_run(fixed4);
    t_run(varints);
    t_run(utf8_check);
    return t_done("test_fz");
}
