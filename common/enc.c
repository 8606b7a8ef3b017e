/*
 * enc.c -- encoding detection and conversion to UTF-8 (see enc.h).
 *
 * Detection works on a sample: the binary test looks at the first
 * SAMPLE_MAX bytes; the text tests look at up to SAMPLE_MAX bytes starting
 * at the first non-ASCII byte (ASCII reads the same in every candidate, and
 * a byte >= 0x80 preceded only by ASCII always starts a character), cut back
 * to a line end when one is near the end of the window.  Conversion always
 * covers the whole input.
 *
 * iconv descriptors are opened and closed inside each call; the only static
 * data is const.
 */
#include "enc.h"

#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SAMPLE_MAX ((size_t)64 * 1024)
/* A candidate whose trial decoding fails only after this many bytes of the
 * sample is still considered: the file is probably in that encoding with a
 * damaged sequence, and conversion will report where. */
#define FAIL_LATE_MIN ((size_t)1024)
/* How much better (in score points) a candidate with a late failure must look
 * than one that decodes the sample cleanly to be preferred. */
#define OVERRIDE_MARGIN 20.0

/* Frequent characters of Chinese text, used to tell real text from the
 * mojibake a wrong decoding gives.  Simplified and traditional forms are
 * both listed, so that traditional text stored as GBK/GB18030 is recognised
 * as readily as Big5.  Duplicates are harmless (removed when the lookup set
 * is built).  Every entry is a BMP character, 3 bytes in UTF-8. */
static const char freq_text[] =
    /* most frequent characters of modern Chinese (simplified forms) */
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可"
    "主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家"
    "电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合"
    "还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明"
    "看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想"
    "已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边"
    "流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战"
    "先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶"
    "油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例"
    "真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集"
    "温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际"
    "商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往历市克何除"
    "消构府称太准精值号率族维划选标写存候亲快效院查江型王按格养易置派层片始却"
    "专状育厂京识适属圆包火住调满县局照参红细引听该铁价严台"
    /* gazetteers and classical Chinese */
    "乡镇村街卫医州郡城河湖桥寺庙宋元唐汉明清朝帝官兵田亩户税粮银钱堂氏姓孙父"
    "母妻女曰乃焉矣亦皆故谓兹尝遂乎邑"
    /* traditional forms of the characters above that differ */
    "這個國為時來們對發會動過說產種後學經進著電裡裏現實兩體機當點從業應開還間"
    "樣與關線數麼質變條沒結問無係軍黨員總設長頭資邊級圖統較將組見計別論運農幾"
    "區強決戰則處隊給門規熱領東導壓濟階術極聯認權證轉單風帶場車務萬達積議聲報"
    "鬥類離華確張馬節話況溫傳許廣記觀織裝眾書復複際驗連斷難礦備辦習響約勞團歷"
    "構稱準號維劃選標寫親專狀廠識適屬圓調滿縣參紅細鐵價嚴臺於爲鄉鎮衛醫漢畝戶"
    "稅糧銀錢孫謂嘗";

typedef struct {
    uint32_t cp[sizeof freq_text / 3 + 1];
    size_t n;
} freq_set;

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static void freq_set_init(freq_set *fs)
{
    const unsigned char *p = (const unsigned char *)freq_text;
    size_t len = sizeof freq_text - 1, i = 0;
    fs->n = 0;
    while (i < len && fs->n < sizeof fs->cp / sizeof fs->cp[0]) {
        uint32_t cp;
        int k = fz_utf8_decode(p + i, len - i, &cp);
        if (k < 0) {
            i++;
            continue;
        }
        fs->cp[fs->n++] = cp;
        i += (size_t)k;
    }
    qsort(fs->cp, fs->n, sizeof fs->cp[0], cmp_u32);
    size_t w = 0;
    for (size_t r = 0; r < fs->n; r++)
        if (w == 0 || fs->cp[w - 1] != fs->cp[r])
            fs->cp[w++] = fs->cp[r];
    fs->n = w;
}

static int freq_set_has(const freq_set *fs, uint32_t cp)
{
    size_t lo = 0, hi = fs->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (fs->cp[mid] < cp)
            lo = mid + 1;
        else if (fs->cp[mid] > cp)
            hi = mid;
        else
            return 1;
    }
    return 0;
}

/* ---- character classes ---- */

/* A control character text does not contain: C0 controls other than tab,
 * LF, CR and FF, DEL, and the C1 controls. */
static int is_ctrl(uint32_t c)
{
    return (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f') ||
           (c >= 0x7F && c <= 0x9F);
}

/* CJK Unified Ideographs (URO) and the punctuation Chinese text uses. */
static int is_cjk_common(uint32_t c)
{
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3000 && c <= 0x303F) ||
           (c >= 0xFF01 && c <= 0xFF5E) || c == 0x00B7 || c == 0x2014 ||
           c == 0x2018 || c == 0x2019 || c == 0x201C || c == 0x201D || c == 0x2026;
}

/* Code points a wrong decoding of Chinese text tends to produce and real
 * Chinese text seldom has: private use, kana, bopomofo, Hangul, Greek and
 * Cyrillic letters, box drawing. */
static int is_odd(uint32_t c)
{
    return (c >= 0xE000 && c <= 0xF8FF) || (c >= 0x3040 && c <= 0x312F) ||
           (c >= 0x3130 && c <= 0x318F) || (c >= 0x1100 && c <= 0x11FF) ||
           (c >= 0xAC00 && c <= 0xD7AF) || (c >= 0x0370 && c <= 0x04FF) ||
           (c >= 0x2500 && c <= 0x257F);
}

/* ---- iconv driver ---- */

/* Converts in[0..n) with cd, appending to out (kept NUL-terminated).
 * Returns 0, FZ_ENOMEM, or FZ_EENCODING with *stop = the number of input
 * bytes consumed before the failing sequence and *err = iconv's errno. */
static int run_iconv(iconv_t cd, const unsigned char *in, size_t n, fz_buf *out, size_t *stop,
                     int *err)
{
    char *ip = (char *)(uintptr_t)in; /* iconv does not write the input */
    size_t ileft = n;
    size_t want = n <= SIZE_MAX / 4 ? n + n / 2 + 16 : n;
    int flushing = 0;
    for (;;) {
        if (fz_buf_reserve(out, want))
            return FZ_ENOMEM;
        char *op = out->p + out->len;
        size_t oleft = out->cap - out->len - 1;
        size_t r = flushing ? iconv(cd, NULL, NULL, &op, &oleft)
                            : iconv(cd, &ip, &ileft, &op, &oleft);
        int e = errno;
        out->len = (size_t)(op - out->p);
        out->p[out->len] = 0;
        if (r != (size_t)-1) {
            if (flushing)
                return FZ_OK;
            flushing = 1; /* all input taken: let a stateful decoder finish */
            continue;
        }
        if (e == E2BIG) {
            size_t room = out->cap - out->len;
            want = room + ileft + 64;
            if (want < room)
                return FZ_ENOMEM;
            continue;
        }
        *stop = n - ileft;
        *err = e;
        return FZ_EENCODING;
    }
}

/* ---- statistics of a trial decoding ---- */

typedef struct {
    int ok;          /* the sample decoded without error */
    size_t good;     /* bytes of the sample decoded before the first error */
    size_t cps;      /* decoded code points */
    size_t nonascii; /* of which not ASCII */
    size_t ctrl;     /* control characters */
    size_t cjk;      /* ideographs and CJK punctuation */
    size_t freq;     /* in the frequent-character set */
    size_t odd;      /* see is_odd() */
    size_t mb;       /* multibyte characters in the sample (GB18030, Big5) */
    size_t common;   /* of which in the encoding's frequent-character level */
} text_stats;

/* How much the decoded text looks like Chinese; comparable across
 * candidates.  Real text of a few KB scores about 110 (all ideographs or
 * CJK punctuation, 2/3 of them frequent); the same bytes read in the other
 * encoding score about 45 at best, often below 0. */
static double text_score(const text_stats *st)
{
    if (st->nonascii == 0)
        return 0.0;
    double s = (100.0 * (double)st->freq + 25.0 * (double)st->cjk - 100.0 * (double)st->odd -
                100.0 * (double)st->ctrl) /
               (double)st->nonascii;
    if (st->mb)
        s += 20.0 * (double)st->common / (double)st->mb;
    return s;
}

/* Counts the double-byte characters of s[0..n) read as GB18030 (big5 == 0)
 * or Big5 (big5 != 0), and how many of them fall in the encoding's level of
 * frequent characters: GB2312 level-1 hanzi (B0A1-D7FE) and GB2312
 * punctuation (A1A1-A3FE), or Big5 level-1 hanzi (A440-C67E) and Big5
 * punctuation (A140-A1FE).  A weak signal that decides between short texts
 * the frequent-character table cannot tell apart, such as a name. */
static void count_levels(const unsigned char *s, size_t n, int big5, text_stats *st)
{
    size_t i = 0;
    while (i < n) {
        unsigned a = s[i];
        if (a < 0x81 || a == 0xFF || i + 1 >= n) {
            i++;
            continue;
        }
        unsigned b = s[i + 1];
        if (!big5 && b >= 0x30 && b <= 0x39) {
            st->mb++; /* GB18030 four-byte sequence: outside GB2312 */
            i += 4;
            continue;
        }
        unsigned code = a << 8 | b;
        st->mb++;
        if (big5)
            st->common += (code >= 0xA440 && code <= 0xC67E) || (a == 0xA1 && b >= 0x40);
        else
            st->common += b >= 0xA1 && b <= 0xFE &&
                          ((a >= 0xB0 && a <= 0xD7) || (a >= 0xA1 && a <= 0xA3));
        i += 2;
    }
}

/* Decodes the sample s[0..n) as `enc` and fills *st (st->freq only when fs
 * is given).  truncated: the sample was cut from a longer input, so a
 * character cut at its end is no error.
 * An encoding iconv lacks counts as one that does not fit.  Returns 0 or
 * FZ_ENOMEM. */
static int trial(const char *enc, const unsigned char *s, size_t n, int truncated,
                 const freq_set *fs, text_stats *st)
{
    memset(st, 0, sizeof *st);
    iconv_t cd = iconv_open("UTF-8", enc);
    if (cd == (iconv_t)-1)
        return FZ_OK;
    fz_buf u = {0};
    size_t stop = n;
    int err = 0;
    int rc = run_iconv(cd, s, n, &u, &stop, &err);
    iconv_close(cd);
    if (rc == FZ_ENOMEM) {
        fz_buf_free(&u);
        return rc;
    }
    st->good = stop;
    st->ok = rc == FZ_OK || (truncated && err == EINVAL);
    const unsigned char *p = (const unsigned char *)u.p;
    size_t i = 0;
    while (i < u.len) {
        uint32_t cp;
        int k = fz_utf8_decode(p + i, u.len - i, &cp);
        i += k > 0 ? (size_t)k : 1;
        st->cps++;
        if (cp >= 0x80)
            st->nonascii++;
        if (is_ctrl(cp))
            st->ctrl++;
        else if (is_cjk_common(cp))
            st->cjk++;
        else if (is_odd(cp))
            st->odd++;
        if (fs && cp >= 0x80 && freq_set_has(fs, cp))
            st->freq++;
    }
    fz_buf_free(&u);
    return FZ_OK;
}

/* ---- detection ---- */

/* More than 2% control bytes (NUL included) in p[0..n): binary.  A final
 * SUB (0x1A, the DOS end-of-file mark) at the very end of the input is
 * forgiven. */
static int looks_binary(const unsigned char *p, size_t n, int at_end)
{
    size_t ctrl = 0;
    for (size_t i = 0; i < n; i++)
        if (is_ctrl(p[i]) && p[i] < 0x80)
            ctrl++;
    if (at_end && n > 0 && p[n - 1] == 0x1A)
        ctrl--;
    return ctrl * 50 > n;
}

/* UTF-8 when the sample is valid, or nearly so: at most one invalid byte
 * per `per` valid multibyte sequences (a damaged UTF-8 file; enc_to_utf8
 * reports where).  GB18030 and Big5 text is far from 1 in 20. */
static int looks_utf8(const unsigned char *s, size_t n, int truncated, size_t per)
{
    if (fz_utf8_check(s, n) == n)
        return 1; /* valid: bad == 0 below, found faster */
    size_t i = 0, valid = 0, bad = 0;
    while (i < n) {
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        uint32_t cp;
        int k = fz_utf8_decode(s + i, n - i, &cp);
        if (k > 0) {
            valid++;
            i += (size_t)k;
            continue;
        }
        if (truncated && n - i < 4)
            break; /* a character cut by the sample's end */
        bad++;
        i++;
    }
    return bad == 0 || bad * per <= valid;
}

/* The file had a UTF-16 BOM: it is UTF-16 unless the decoded sample is
 * mostly controls (binary data that happens to start with FF FE). */
static int detect_utf16(const char *enc, const unsigned char *data, size_t len,
                        const char **name)
{
    size_t n = len - 2 < SAMPLE_MAX ? len - 2 : SAMPLE_MAX;
    n &= ~(size_t)1;
    text_stats st;
    int rc = trial(enc, data + 2, n, n < len - 2, NULL, &st);
    if (rc)
        return rc;
    if (st.ctrl * 50 > st.cps)
        return FZ_EENCODING;
    *name = enc;
    return FZ_OK;
}

int enc_detect(const unsigned char *data, size_t len, const char **name)
{
    if (!name)
        return FZ_EINVAL;
    *name = NULL;
    if (!data && len)
        return FZ_EINVAL;
    if (len == 0) {
        *name = ENC_UTF8;
        return FZ_OK;
    }
    if (len >= 2 && data[0] == 0xFF && data[1] == 0xFE)
        return detect_utf16(ENC_UTF16LE, data, len, name);
    if (len >= 2 && data[0] == 0xFE && data[1] == 0xFF)
        return detect_utf16(ENC_UTF16BE, data, len, name);
    size_t bom = 0;
    if (len >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF)
        bom = 3;

    size_t head = len - bom < SAMPLE_MAX ? len - bom : SAMPLE_MAX;
    if (looks_binary(data + bom, head, bom + head == len))
        return FZ_EENCODING;
    if (bom) {
        *name = ENC_UTF8_BOM;
        return FZ_OK;
    }

    size_t f = 0;
    while (f < len && data[f] < 0x80)
        f++;
    if (f == len) {
        *name = ENC_UTF8; /* pure ASCII */
        return FZ_OK;
    }
    size_t end = len - f < SAMPLE_MAX ? len : f + SAMPLE_MAX;
    int truncated = end < len;
    if (truncated) {
        /* Cut after the last line feed in the second half of the window:
         * LF is never part of a multibyte character in any candidate. */
        for (size_t i = end; i > f + SAMPLE_MAX / 2; i--)
            if (data[i - 1] == '\n') {
                end = i;
                break;
            }
    }
    const unsigned char *s = data + f;
    size_t n = end - f;

    if (looks_utf8(s, n, truncated, 20)) {
        *name = ENC_UTF8;
        return FZ_OK;
    }

    freq_set fs;
    freq_set_init(&fs);
    text_stats gb, b5;
    int rc = trial(ENC_GB18030, s, n, truncated, &fs, &gb);
    if (!rc)
        rc = trial(ENC_BIG5, s, n, truncated, &fs, &b5);
    if (rc)
        return rc;
    count_levels(s, gb.good, 0, &gb);
    count_levels(s, b5.good, 1, &b5);
    /* A candidate is in the running if it decodes the sample, or most of
     * it, into something other than control characters (BIG5-HKSCS maps a
     * stray 0x80 to U+0080). */
    int gb_in = (gb.ok || gb.good >= FAIL_LATE_MIN) && gb.ctrl * 50 <= gb.cps;
    int b5_in = (b5.ok || b5.good >= FAIL_LATE_MIN) && b5.ctrl * 50 <= b5.cps;
    double gs = text_score(&gb), bs = text_score(&b5);
    const char *pick;
    if (!gb_in && !b5_in) {
        /* neither decodes: UTF-8 with damage, if most of it is UTF-8 */
        if (!looks_utf8(s, n, truncated, 1))
            return FZ_EENCODING;
        *name = ENC_UTF8;
        return FZ_OK;
    }
    else if (!b5_in)
        pick = ENC_GB18030;
    else if (!gb_in)
        pick = ENC_BIG5;
    else if (gb.ok == b5.ok)
        pick = bs > gs ? ENC_BIG5 : ENC_GB18030; /* a tie goes to GB18030 */
    else if (gb.ok)
        pick = bs > gs + OVERRIDE_MARGIN ? ENC_BIG5 : ENC_GB18030;
    else
        pick = gs > bs + OVERRIDE_MARGIN ? ENC_GB18030 : ENC_BIG5;
    *name = pick;
    return FZ_OK;
}

/* ---- conversion ---- */

static int is_utf8_name(const char *s)
{
    return strcasecmp(s, "UTF-8") == 0 || strcasecmp(s, "UTF8") == 0 ||
           strcasecmp(s, ENC_UTF8_BOM) == 0;
}

int enc_to_utf8(const char *from, const unsigned char *data, size_t len, fz_buf *out,
                size_t *bad_offset, char *msg, size_t msglen)
{
    if (bad_offset)
        *bad_offset = (size_t)-1;
    if (!from || !out || (!data && len)) {
        fz_msg(msg, msglen, "enc_to_utf8: bad argument");
        return FZ_EINVAL;
    }
    if (!*from) { /* iconv would take "" for the locale's encoding */
        fz_msg(msg, msglen, "unknown encoding ''");
        return FZ_EINVAL;
    }
    if (is_utf8_name(from)) {
        if (len == 0)
            return FZ_OK;
        size_t skip = len >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF ? 3 : 0;
        size_t bad = fz_utf8_check(data + skip, len - skip);
        if (bad < len - skip && bad_offset)
            *bad_offset = skip + bad;
        if (fz_buf_append(out, data + skip, len - skip))
            return FZ_ENOMEM;
        return FZ_OK;
    }

    errno = 0;
    iconv_t cd = iconv_open("UTF-8", from);
    if (cd == (iconv_t)-1) {
        if (errno == EINVAL) {
            fz_msg(msg, msglen, "unknown encoding '%s'", from);
            return FZ_EINVAL;
        }
        fz_msg(msg, msglen, "iconv_open %s: %s", from, strerror(errno));
        return FZ_ENOMEM;
    }
    size_t start = out->len, stop = 0;
    int err = 0;
    int rc = run_iconv(cd, data, len, out, &stop, &err);
    iconv_close(cd);
    if (rc) {
        if (out->p) {
            out->len = start;
            out->p[start] = 0;
        }
        if (rc == FZ_EENCODING) {
            if (bad_offset)
                *bad_offset = stop;
            fz_msg(msg, msglen, "invalid %s byte sequence at offset %zu%s", from, stop,
                   err == EINVAL ? " (truncated at end of input)" : "");
        } else {
            fz_msg(msg, msglen, "out of memory converting from %s", from);
        }
        return rc;
    }
    /* Drop a byte order mark (U+FEFF) the conversion produced. */
    if (out->len - start >= 3 && memcmp(out->p + start, "\xEF\xBB\xBF", 3) == 0) {
        memmove(out->p + start, out->p + start + 3, out->len - start - 3);
        out->len -= 3;
        out->p[out->len] = 0;
    }
    return FZ_OK;
}
