/*
 * test_fold.c -- the generated folding tables (common/fold.h).
 */
#include "fold.h"
#include "t.h"

#include <iconv.h>

TEST(test_counts)
{
    CHECK(fold_ts_count() > 2000);
    CHECK(fold_variant_count() > fold_ts_count());
}

TEST(test_ts_matches_uconv)
{
    /* Pairs from `uconv -x Traditional-Simplified`, one character at a time:
     * echo 井長制 長安 髮發 乾隆 瞭望 後來 於是 | uconv -x Traditional-Simplified
     * gives 井长制 长安 发发 干隆 了望 后来 于是. */
    static const uint32_t pairs[][2] = {
        {0x9577, 0x957F}, /* 長 长 */
        {0x9AEE, 0x53D1}, /* 髮 发 */
        {0x767C, 0x53D1}, /* 發 发 */
        {0x4E7E, 0x5E72}, /* 乾 干 */
        {0x77AD, 0x4E86}, /* 瞭 了 */
        {0x5F8C, 0x540E}, /* 後 后 */
        {0x4F86, 0x6765}, /* 來 来 */
        {0x65BC, 0x4E8E}, /* 於 于 */
        {0x8457, 0x7740}, /* 著 着 (ICU, one character at a time) */
        {0x7FA3, 0x7FA4}, /* 羣 群 */
        {0x88CF, 0x91CC}, /* 裏 里 */
        {0x88E1, 0x91CC}, /* 裡 里 */
        {0x8846, 0x4F17}, /* 衆 众 */
        {0x773E, 0x4F17}, /* 眾 众 */
        {0x5E79, 0x5E72}, /* 幹 干 */
        {0x570B, 0x56FD}, /* 國 国 */
        {0x9EBC, 0x4E48}, /* 麼 么 */
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        CHECK_EQ_INT(fold_ts(pairs[i][0]), pairs[i][1]);
        CHECK_EQ_INT(fold_variant(pairs[i][0]), pairs[i][1]);
    }
    /* Left alone by ICU. */
    static const uint32_t same[] = {0x4E95, 0x5236, 0x5B89, 0x5CEF /* 峯 */, 0x654E /* 敎 */,
                                    0x6C88 /* 沈 */, 'A', 0x3007, 0xFF0C, 0x20000};
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++)
        CHECK_EQ_INT(fold_ts(same[i]), same[i]);
}

TEST(test_variants)
{
    /* Required classes: 峯/峰 羣/群 裏/里 衆/众 敎/教. */
    static const uint32_t req[][2] = {
        {0x5CEF, 0x5CF0}, {0x7FA3, 0x7FA4}, {0x88CF, 0x91CC}, {0x8846, 0x4F17}, {0x654E, 0x6559}};
    for (size_t i = 0; i < sizeof req / sizeof req[0]; i++) {
        CHECK_EQ_INT(fold_variant(req[i][0]), req[i][1]);
        CHECK_EQ_INT(fold_variant(req[i][1]), req[i][1]);
    }
    /* Common simplified characters that Unihan links stay apart. */
    static const uint32_t apart[][2] = {
        {0x4ED6, 0x5979}, /* 他 她 */
        {0x6C88, 0x6C89}, /* 沈 沉 */
        {0x677F, 0x7248}, /* 板 版 */
        {0x4E00, 0x58F9}, /* 一 壹 */
        {0x7740, 0x6C89}, /* 着 沉 */
    };
    for (size_t i = 0; i < sizeof apart / sizeof apart[0]; i++)
        CHECK(fold_variant(apart[i][0]) != fold_variant(apart[i][1]));
    CHECK_EQ_INT(fold_variant(0x5E72), 0x5E72);
    /* ICU maps 苎 and 苧 to each other (and 薴 to 苧); fold_ts keeps ICU's
     * answers, fold_variant makes one class of them. */
    CHECK_EQ_INT(fold_ts(0x82CE), 0x82E7);
    CHECK_EQ_INT(fold_ts(0x82E7), 0x82CE);
    CHECK_EQ_INT(fold_variant(0x82CE), 0x82CE);
    CHECK_EQ_INT(fold_variant(0x82E7), 0x82CE);
    CHECK_EQ_INT(fold_variant(0x85B4), 0x82CE);
}

TEST(test_idempotent)
{
    /* fold_variant everywhere; fold_ts everywhere but the 苎/苧 cycle; and
     * fold_variant(cp) == fold_variant(fold_ts(cp)). */
    long bad_var = 0, bad_ts = 0, bad_comp = 0, bad_small = 0;
    for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
        uint32_t v = fold_variant(cp), t = fold_ts(cp);
        if (fold_variant(v) != v)
            bad_var++;
        if (fold_ts(t) != t && cp != 0x82CE && cp != 0x82E7 && cp != 0x85B4)
            bad_ts++;
        if (fold_variant(t) != v)
            bad_comp++;
        if (cp < 0x2E80 && (v != cp || t != cp))
            bad_small++;
    }
    CHECK_EQ_INT(bad_var, 0);
    CHECK_EQ_INT(bad_ts, 0);
    CHECK_EQ_INT(bad_comp, 0);
    CHECK_EQ_INT(bad_small, 0);
}

TEST(test_old_forms)
{
    /* Old printed forms (旧字形) that neither ICU nor Unihan's variants
     * connect: 淸/清 靑/青 旣/既 卽/即, then a pair from each source of the
     * second pass (fold.h) that only that source gives. */
    static const uint32_t pairs[][2] = {
        {0x6DF8, 0x6E05}, /* 淸 清 */
        {0x9751, 0x9752}, /* 靑 青 */
        {0x65E3, 0x65E2}, /* 旣 既 */
        {0x537D, 0x5373}, /* 卽 即 */
        {0x5C19, 0x5C1A}, /* 尙 尚: Dai Kanwa N/N' */
        {0x98EE, 0x98F2}, /* 飮 飲: Dai Kanwa N/N' */
        {0x8129, 0x4FEE}, /* 脩 修: OpenCC TSCharacters */
        {0x8518, 0x53C3}, /* 蔘 參: OpenCC TWVariants */
        {0x8879, 0x53EA}, /* 衹 只: OpenCC HKVariants */
        {0x565B, 0x5699}, /* 噛 嚙: OpenCC JPVariants */
        {0x6E13, 0x6EAA}, /* 渓 溪: OpenCC JPVariants */
        {0x6644, 0x6643}, /* 晄 晃: Unihan kJinmeiyoKanji */
        {0x8420, 0x840C}, /* 萠 萌: Unihan kJinmeiyoKanji */
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        uint32_t a = pairs[i][0], b = pairs[i][1];
        CHECK_EQ_INT(fold_variant(a), fold_variant(b));
        /* Not traditional/simplified pairs: --fold=ts keeps them apart. */
        CHECK(fold_ts(a) != fold_ts(b));
    }
    /* The common form is the representative where there is one. */
    CHECK_EQ_INT(fold_variant(0x6DF8), 0x6E05);
    CHECK_EQ_INT(fold_variant(0x9751), 0x9752);
    CHECK_EQ_INT(fold_variant(0x65E3), 0x65E2);
    CHECK_EQ_INT(fold_variant(0x537D), 0x5373);
    /* The query side: 清 expands to 淸 as well as itself. */
    uint32_t out[32];
    size_t n = fold_variant_forms(0x6E05, out, 32);
    int has_old = 0, has_new = 0;
    for (size_t i = 0; i < n; i++) {
        has_old |= out[i] == 0x6DF8;
        has_new |= out[i] == 0x6E05;
    }
    CHECK(has_old && has_new);
    /* Japanese forms that are other words in Chinese, and common
     * characters the sources link, stay apart: 芸/藝 (艺), 欠/缺, 予/豫,
     * 连/联, 宁/甯. */
    static const uint32_t apart[][2] = {
        {0x82B8, 0x85DD}, {0x6B20, 0x7F3A}, {0x4E88, 0x8C6B}, {0x8FDE, 0x8054}, {0x5B81, 0x752F}};
    for (size_t i = 0; i < sizeof apart / sizeof apart[0]; i++)
        CHECK(fold_variant(apart[i][0]) != fold_variant(apart[i][1]));
}

TEST(test_common_unchanged)
{
    /* Every GB2312 character that ICU leaves alone is left alone by
     * fold_variant too (so a simplified text folds exactly as ICU folds it),
     * and every character ICU maps folds with the form ICU gives. */
    iconv_t cd = iconv_open("GB2312", "UTF-8");
    CHECK(cd != (iconv_t)-1);
    if (cd == (iconv_t)-1)
        return;
    long gb = 0, changed = 0, icu_lost = 0;
    for (uint32_t cp = 0x4E00; cp <= 0x9FFF; cp++) {
        char in[3] = {(char)(0xE0 | cp >> 12), (char)(0x80 | (cp >> 6 & 0x3F)), (char)(0x80 | (cp & 0x3F))};
        char obuf[8], *ip = in, *op = obuf;
        size_t il = 3, ol = sizeof obuf;
        iconv(cd, NULL, NULL, NULL, NULL);
        if (iconv(cd, &ip, &il, &op, &ol) != (size_t)-1 && fold_ts(cp) == cp &&
            cp != 0x82CE /* 苎, on ICU's cycle with 苧 */) {
            gb++;
            changed += fold_variant(cp) != cp;
        }
        if (fold_ts(cp) != cp && fold_variant(cp) != fold_variant(fold_ts(cp)))
            icu_lost++;
    }
    iconv_close(cd);
    CHECK(gb > 6000);
    CHECK_EQ_INT(changed, 0);
    CHECK_EQ_INT(icu_lost, 0);
}

int main(void)
{
    t_run(test_counts);
    t_run(test_ts_matches_uconv);
    t_run(test_variants);
    t_run(test_idempotent);
    t_run(test_old_forms);
    t_run(test_common_unchanged);
    return t_done("test_fold");
}
