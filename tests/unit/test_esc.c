/*
 * test_esc.c -- terminal-safe text (common/esc.c): controls are escaped,
 * invalid bytes become U+FFFD, text and valid UTF-8 pass unchanged.
 */
#include "esc.h"
#include "t.h"

static const char *esc(fz_buf *b, const char *s, size_t n, int flags)
{
    b->len = 0;
    CHECK_EQ_INT(esc_text_append(b, s, n, flags), 0);
    fz_buf_putc(b, 0);
    return b->p;
}

TEST(plain_text_unchanged)
{
    fz_buf b = {0};
    CHECK_EQ_STR(esc(&b, "井长制 abc/x.txt", strlen("井长制 abc/x.txt"), 0), "井长制 abc/x.txt");
    CHECK_EQ_STR(esc(&b, "", 0, 0), "");
    CHECK_EQ_STR(esc(&b, NULL, 0, 0), "");
    /* U+00A0 and beyond are not controls */
    CHECK_EQ_STR(esc(&b, "\xc2\xa0\xe2\x80\xa6", 5, 0), "\xc2\xa0\xe2\x80\xa6");
    fz_buf_free(&b);
}

TEST(controls_escaped)
{
    fz_buf b = {0};
    const char name[] = "x\033]0;PWNED\007\033[2J.txt";
    CHECK_EQ_STR(esc(&b, name, sizeof name - 1, 0), "x\\033]0;PWNED\\007\\033[2J.txt");
    CHECK_EQ_STR(esc(&b, "a\nb\rc\td\177", 8, 0), "a\\nb\\rc\\td\\177");
    /* NUL inside the text */
    CHECK_EQ_STR(esc(&b, "a\0b", 3, 0), "a\\000b");
    /* C1 controls (CSI U+009B, NEL U+0085) */
    CHECK_EQ_STR(esc(&b, "a\xc2\x9b" "2J\xc2\x85", 7, 0), "a\\u009b2J\\u0085");
    fz_buf_free(&b);
}

TEST(invalid_bytes)
{
    fz_buf b = {0};
    /* a lone CSI byte, a truncated sequence, an overlong */
    CHECK_EQ_STR(esc(&b, "a\x9b" "b", 3, 0), "a\xef\xbf\xbd" "b");
    CHECK_EQ_STR(esc(&b, "\xe4\xb8", 2, 0), "\xef\xbf\xbd\xef\xbf\xbd");
    CHECK_EQ_STR(esc(&b, "\xc0\x9b", 2, 0), "\xef\xbf\xbd\xef\xbf\xbd");
    fz_buf_free(&b);
}

TEST(keep_lines)
{
    fz_buf b = {0};
    CHECK_EQ_STR(esc(&b, "一\n二\t三\r\033", 13, ESC_KEEP_LINES), "一\n二\t三\\r\\033");
    fz_buf_free(&b);
}

TEST(str_form)
{
    fz_buf b = {0};
    CHECK_EQ_STR(esc_text_str(&b, "a\nb", 3), "a\\nb");
    CHECK_EQ_STR(esc_text_str(&b, "", 0), "");
    fz_buf_free(&b);
}

int main(void)
{
    t_run(plain_text_unchanged);
    t_run(controls_escaped);
    t_run(invalid_bytes);
    t_run(keep_lines);
    t_run(str_form);
    return t_done("test_esc");
}
