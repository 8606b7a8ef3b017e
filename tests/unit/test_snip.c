/*
 * test_snip.c -- snippet windows (searcher/snip.c): a highlight is always a
 * whole match, never a fragment cut by the window's edge.
 */
#include "snip.h"
#include "t.h"

#include <stdlib.h>

/* Byte offset of the c-th code point of s. */
static uint32_t at(const char *s, size_t c)
{
    size_t i = 0;
    while (c > 0 && s[i]) {
        i++;
        while (((unsigned char)s[i] & 0xC0) == 0x80)
            i++;
        c--;
    }
    return (uint32_t)i;
}

/* The highlighted texts of the snippet, joined with '|'. */
static const char *marks(const fz_buf *out, const snip_range *hl, int n, fz_buf *b)
{
    b->len = 0;
    for (int i = 0; i < n; i++) {
        if (i)
            fz_buf_putc(b, '|');
        fz_buf_append(b, out->p + hl[i].start, hl[i].end - hl[i].start);
    }
    fz_buf_putc(b, 0);
    return b->p;
}

/* The snippet of t (width 10) for two matches, given as character ranges
 * [s0, e0) and [s1, e1), has exactly the highlights want ('|'-joined). */
static void two_matches(const char *t, size_t s0, size_t e0, size_t s1, size_t e1, const char *want)
{
    search_span sp[2] = {{at(t, s0), at(t, e0), 1}, {at(t, s1), at(t, e1), 1}};
    fz_buf out = {0}, b = {0};
    snip_range hl[8];
    int n = snip_make(t, strlen(t), sp, 2, 1, 10, &out, hl, 8);
    CHECK(n >= 0);
    CHECK_EQ_STR(marks(&out, hl, n < 0 ? 0 : n, &b), want);
    fz_buf_free(&out);
    fz_buf_free(&b);
}

TEST(widens_for_a_cut_match)
{
    /* width 10: the window starts 2 characters before 甲's match and ends
     * inside 2017, which it takes whole */
    two_matches("子丑甲乙丙丁戊己2017年寅卯辰巳午未申酉戌亥子丑寅卯辰巳午未", 2, 3, 8, 12, "甲|2017");
}

TEST(drops_a_match_too_long_to_widen_for)
{
    /* the second match runs 8 characters past the window's end: it is not
     * highlighted, and no fragment of it is */
    two_matches("子丑甲乙丙丁戊己庚辛壬癸一二三四五六七八九十百千万", 2, 3, 9, 20, "甲");
}

TEST(every_highlight_is_a_whole_match)
{
    /* random texts of CJK characters and Latin words, random matches and
     * widths: every highlight is exactly the text of one match */
    srand(13);
    fz_buf out = {0};
    for (int round = 0; round < 2000; round++) {
        char t[2048];
        size_t len = 0, nc = 0;
        uint32_t cs[400];
        size_t nchars = 20 + (size_t)(rand() % 200);
        for (size_t c = 0; c < nchars; c++) {
            cs[nc++] = (uint32_t)len;
            if (rand() % 4 == 0)
                t[len++] = (char)('0' + rand() % 10);
            else {
                memcpy(t + len, "井", 3);
                len += 3;
            }
        }
        cs[nc] = (uint32_t)len;
        t[len] = 0;
        search_span sp[32];
        size_t ns = 0, c = (size_t)(rand() % 5);
        while (ns < 32 && c < nchars) {
            size_t l = 1 + (size_t)(rand() % 12);
            if (c + l > nchars)
                l = nchars - c;
            sp[ns].start = cs[c];
            sp[ns].end = cs[c + l];
            sp[ns].field = 1;
            ns++;
            c += l + (size_t)(rand() % 20);
        }
        size_t width = 8 + (size_t)(rand() % 40);
        snip_range hl[32];
        int n = snip_make(t, len, sp, ns, 1, width, &out, hl, 32);
        if (n < 0) {
            CHECK(n >= 0);
            break;
        }
        for (int i = 0; i < n; i++) {
            size_t hn = hl[i].end - hl[i].start;
            int whole = 0;
            for (size_t j = 0; j < ns && !whole; j++)
                whole = sp[j].end - sp[j].start == hn && memcmp(out.p + hl[i].start, t + sp[j].start, hn) == 0;
            if (!whole) {
                CHECK(whole);
                fprintf(stderr, "  round %d: highlight '%.*s' is not a whole match\n", round, (int)hn,
                        out.p + hl[i].start);
                round = 1 << 30;
                break;
            }
        }
    }
    CHECK(1);
    fz_buf_free(&out);
}

int main(void)
{
    t_run(widens_for_a_cut_match);
    t_run(drops_a_match_too_long_to_widen_for);
    t_run(every_highlight_is_a_whole_match);
    return t_done("snip");
}
