/*
 * test_fold.c -- the generated folding tables (common/fold.h).
 */
#include "fold.h"
#include "t.h"

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

int main(void)
{
    t_run(test_counts);
    t_run(test_ts_matches_uconv);
    t_run(test_variants);
    t_run(test_idempotent);
    return t_done("test_fold");
}
