/*
 * fzgen.c -- writes yearbook-shaped text from a character bigram model.
 *
 * Called by bench/gen (which builds the model file and compiles this
 * program when needed); not meant to be run by hand:
 *
 *   fzgen MODEL MB SEED OUTDIR MODERN_PERMILLE
 *
 * MODEL (written by bench/gen) holds the symbols (UTF-8 characters; symbol
 * 0 is the boundary before and after a text), four bigram chains (poetry
 * body, poetry title, yearbook body, yearbook title) as cumulative counts
 * per preceding symbol, and two lists of author names.  Walking a chain
 * from the boundary until it returns to the boundary gives one text whose
 * character and bigram frequencies are, in expectation, the training ones.
 *
 * Output: OUTDIR/gen-NNNNN.txt, each file 1-5 MB (10^6 bytes; the size is
 * drawn per file), until MB * 10^6 bytes are written.  A file is a chapter
 * (第N章 heading), made of sections (a plain heading line, sometimes after a
 * 第N节 heading), each in one style (yearbook with MODERN_PERMILLE/1000
 * probability, else poetry) with 3-40 entries: '【title】 body', an
 * '(name)' or '(name name)' attribution after a run of 1-4 entries, a
 * blank line after every line, and page breaks (a blank line splitting a
 * body mid-sentence, as in scanned books) in about one long body in four.
 * Everything comes from one xoshiro256** stream seeded with SEED, in order,
 * so a seed's output for a smaller MB is a prefix of that for a larger MB.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define NCHAINS 4
#define MAXBODY 6000
#define MAXTITLE 40

enum { C_PBODY = 0, C_PTITLE = 1, C_YBODY = 2, C_YTITLE = 3 };

typedef struct {
    uint32_t *off;  /* nsym + 1 row offsets */
    uint32_t *next; /* successor symbols */
    uint32_t *cum;  /* cumulative counts within the row */
} chain;

typedef struct {
    uint32_t nsym;
    char (*sym)[8];    /* UTF-8 bytes of each symbol */
    uint8_t *symlen;
    uint8_t *punct;    /* 1: punctuation or space */
    chain ch[NCHAINS];
    uint32_t nnames[2];
    char **names[2];   /* [0] poetry authors, [1] yearbook names */
} model;

static uint64_t rs[4];

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t rnd(void)
{
    uint64_t r = rotl(rs[1] * 5, 7) * 9, t = rs[1] << 17;
    rs[2] ^= rs[0];
    rs[3] ^= rs[1];
    rs[1] ^= rs[2];
    rs[0] ^= rs[3];
    rs[2] ^= t;
    rs[3] = rotl(rs[3], 45);
    return r;
}

static void seed_rng(uint64_t s)
{
    for (int i = 0; i < 4; i++) {
        uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        rs[i] = z ^ (z >> 31);
    }
}

/* Uniform in [0, n). */
static uint32_t below(uint32_t n) { return (uint32_t)(((rnd() >> 32) * (uint64_t)n) >> 32); }

static void die(const char *what)
{
    fprintf(stderr, "fzgen: %s%s%s\n", what, errno ? ": " : "", errno ? strerror(errno) : "");
    exit(2);
}

static FILE *mf;
static void rd(void *p, size_t n)
{
    if (fread(p, 1, n, mf) != n)
        die("model file is short");
}
static uint32_t rd32(void)
{
    uint8_t b[4];
    rd(b, 4);
    return b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
}
static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        die("out of memory");
    return p;
}
static uint32_t *rdarr(uint32_t n)
{
    uint32_t *a = xmalloc((size_t)n * 4);
    for (uint32_t i = 0; i < n; i++)
        a[i] = rd32();
    return a;
}

static void load(model *m, const char *path)
{
    char magic[4];
    if (!(mf = fopen(path, "rb")))
        die(path);
    rd(magic, 4);
    if (memcmp(magic, "FZG1", 4))
        die("not a model file (magic FZG1)");
    m->nsym = rd32();
    m->sym = xmalloc(m->nsym * sizeof *m->sym);
    m->symlen = xmalloc(m->nsym);
    m->punct = xmalloc(m->nsym);
    m->symlen[0] = 0;
    m->punct[0] = 1;
    for (uint32_t i = 1; i < m->nsym; i++) {
        uint8_t hdr[2];
        rd(hdr, 2);
        if (hdr[0] == 0 || hdr[0] > 8)
            die("bad symbol in model");
        m->symlen[i] = hdr[0];
        m->punct[i] = hdr[1];
        rd(m->sym[i], hdr[0]);
    }
    for (int c = 0; c < NCHAINS; c++) {
        chain *ch = &m->ch[c];
        ch->off = rdarr(m->nsym + 1);
        uint32_t nnz = ch->off[m->nsym];
        ch->next = rdarr(nnz);
        ch->cum = rdarr(nnz);
        for (uint32_t i = 0; i < nnz; i++)
            if (ch->next[i] >= m->nsym)
                die("bad successor in model");
        if (ch->off[1] == ch->off[0])
            die("a chain has no start");
    }
    for (int k = 0; k < 2; k++) {
        m->nnames[k] = rd32();
        if (!m->nnames[k])
            die("a name list is empty");
        m->names[k] = xmalloc(m->nnames[k] * sizeof(char *));
        for (uint32_t i = 0; i < m->nnames[k]; i++) {
            uint8_t len;
            rd(&len, 1);
            m->names[k][i] = xmalloc(len + 1u);
            rd(m->names[k][i], len);
            m->names[k][i][len] = 0;
        }
    }
    fclose(mf);
}

static uint32_t step(const chain *ch, uint32_t prev)
{
    uint32_t lo = ch->off[prev], hi = ch->off[prev + 1];
    if (lo == hi)
        return 0;
    uint32_t x = below(ch->cum[hi - 1]);
    while (lo < hi) { /* first cum > x */
        uint32_t mid = lo + (hi - lo) / 2;
        if (ch->cum[mid] > x)
            hi = mid;
        else
            lo = mid + 1;
    }
    return ch->next[lo];
}

/* One walk from the boundary; returns its length (at most max). */
static int walk(const model *m, int c, uint32_t *out, int max)
{
    int n = 0;
    uint32_t s = 0;
    while (n < max && (s = step(&m->ch[c], s)) != 0)
        out[n++] = s;
    return n;
}

/* ---- output buffer --------------------------------------------------- */
static char *buf;
static size_t blen, bcap;

static void put(const char *s, size_t n)
{
    if (blen + n > bcap) {
        bcap = (blen + n) * 2;
        if (!(buf = realloc(buf, bcap)))
            die("out of memory");
    }
    memcpy(buf + blen, s, n);
    blen += n;
}
static void puts_(const char *s) { put(s, strlen(s)); }
static void putsyms(const model *m, const uint32_t *v, int n)
{
    for (int i = 0; i < n; i++)
        put(m->sym[v[i]], m->symlen[v[i]]);
}

static void numeral(unsigned n, char *out) /* 1..99 in Chinese numerals */
{
    static const char *d[] = {"", "一", "二", "三", "四", "五", "六", "七", "八", "九"};
    out[0] = 0;
    if (n >= 10) {
        if (n / 10 > 1)
            strcat(out, d[n / 10]);
        strcat(out, "十");
    }
    strcat(out, d[n % 10]);
}

/* A heading: a title walk without punctuation, 2..14 characters. */
static void heading(const model *m, int c, uint32_t *tmp)
{
    for (;;) {
        int n = walk(m, c, tmp, MAXTITLE), k = 0;
        for (int i = 0; i < n && k < 14; i++)
            if (!m->punct[tmp[i]])
                tmp[k++] = tmp[i];
        if (k >= 2) {
            putsyms(m, tmp, k);
            return;
        }
    }
}

static void attribution(const model *m, int style)
{
    int k = style ? 1 : 0;
    puts_("(");
    puts_(m->names[k][below(m->nnames[k])]);
    if (below(5) == 0) {
        puts_(" ");
        puts_(m->names[k][below(m->nnames[k])]);
    }
    puts_(")\n\n");
}

static void entry(const model *m, int style, uint32_t *tmp)
{
    int tc = style ? C_YTITLE : C_PTITLE, bc = style ? C_YBODY : C_PBODY, n;
    while ((n = walk(m, tc, tmp, MAXTITLE)) == 0)
        ;
    puts_("【");
    putsyms(m, tmp, n);
    puts_("】 ");
    while ((n = walk(m, bc, tmp, MAXBODY)) == 0)
        ;
    int cut = 0;
    if (n >= 40 && below(4) == 0) { /* a page break mid-sentence */
        int at = n / 4 + (int)below((uint32_t)(n / 2));
        while (at < n - 1 && (m->punct[tmp[at - 1]] || m->punct[tmp[at]]))
            at++;
        if (at < n - 1)
            cut = at;
    }
    if (cut) {
        putsyms(m, tmp, cut);
        puts_("\n\n");
        putsyms(m, tmp + cut, n - cut);
    } else {
        putsyms(m, tmp, n);
    }
    puts_("\n\n");
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: fzgen MODEL MB SEED OUTDIR MODERN_PERMILLE (run bench/gen)\n");
        return 2;
    }
    model m;
    load(&m, argv[1]);
    uint64_t total = (uint64_t)(strtod(argv[2], NULL) * 1e6);
    seed_rng(strtoull(argv[3], NULL, 10));
    const char *outdir = argv[4];
    uint32_t modern = (uint32_t)atoi(argv[5]);
    if (mkdir(outdir, 0777) != 0 && errno != EEXIST)
        die(outdir);
    errno = 0;
    uint32_t *tmp = xmalloc((MAXBODY + MAXTITLE) * sizeof *tmp);
    uint64_t written = 0;
    char num[32], path[4096];
    for (unsigned file = 1; written < total; file++) {
        uint64_t want = 1000000 + below(4000001);
        if (want > total - written)
            want = total - written;
        blen = 0;
        numeral(1 + (file - 1) % 99, num);
        puts_("第");
        puts_(num);
        puts_("章 ");
        heading(&m, C_YTITLE, tmp);
        puts_("\n\n");
        unsigned jie = 0;
        while (blen < want) {
            int style = below(1000) < modern;
            if (below(5) == 0) {
                numeral(1 + jie++ % 99, num);
                puts_("第");
                puts_(num);
                puts_("节 ");
                heading(&m, style ? C_YTITLE : C_PTITLE, tmp);
                puts_("\n\n");
            }
            heading(&m, style ? C_YTITLE : C_PTITLE, tmp);
            puts_("\n\n");
            int entries = 3 + (int)below(38), run = 0;
            for (int e = 0; e < entries && blen < want; e++) {
                entry(&m, style, tmp);
                run++;
                if (e + 1 == entries || blen >= want || below(3) == 0 || run == 4) {
                    attribution(&m, style);
                    run = 0;
                }
            }
        }
        snprintf(path, sizeof path, "%s/gen-%05u.txt", outdir, file);
        FILE *f = fopen(path, "wb");
        if (!f || fwrite(buf, 1, blen, f) != blen || fclose(f) != 0)
            die(path);
        written += blen;
    }
    return 0;
}
