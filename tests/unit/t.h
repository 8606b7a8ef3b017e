/*
 * t.h -- the unit tests' tiny assert harness.
 *
 * CHECK(cond) records a failure with file:line and goes on; CHECK_EQ_INT,
 * CHECK_EQ_STR and CHECK_EQ_MEM print both values.  TEST(name) declares a
 * test function; t_run() runs it.  main() ends with `return t_done("name");`
 * which prints "name: N passed, M failed" and returns non-zero on failure.
 * Counting is per check.  tests/run.sh adds the lines up.
 */
#ifndef T_H
#define T_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int t_pass, t_fail;

#define CHECK(c)                                                              \
    do {                                                                      \
        if (c) t_pass++;                                                      \
        else { t_fail++; fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #c); } \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                    \
    do {                                                                      \
        long long t_a = (long long)(a), t_b = (long long)(b);                 \
        if (t_a == t_b) t_pass++;                                             \
        else { t_fail++; fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", \
                                 __FILE__, __LINE__, #a, #b, t_a, t_b); }     \
    } while (0)

#define CHECK_EQ_STR(a, b)                                                    \
    do {                                                                      \
        const char *t_a = (a), *t_b = (b);                                    \
        if (t_a && t_b && strcmp(t_a, t_b) == 0) t_pass++;                    \
        else { t_fail++; fprintf(stderr, "%s:%d: %s == %s failed: \"%s\" != \"%s\"\n", \
                                 __FILE__, __LINE__, #a, #b, t_a ? t_a : "(null)", t_b ? t_b : "(null)"); } \
    } while (0)

#define CHECK_EQ_MEM(a, alen, b)                                              \
    do {                                                                      \
        const char *t_a = (a), *t_b = (b); size_t t_al = (alen);              \
        if (t_al == strlen(t_b) && memcmp(t_a, t_b, t_al) == 0) t_pass++;     \
        else { t_fail++; fprintf(stderr, "%s:%d: %s == %s failed: \"%.*s\" != \"%s\"\n", \
                                 __FILE__, __LINE__, #a, #b, (int)t_al, t_a, t_b); } \
    } while (0)

#define TEST(name) static void name(void)
#define t_run(name) name()

/* The whole file at path (relative to the repository root, where make and
 * tests/run.sh run the tests) in malloc'd memory with a NUL after its
 * *len bytes, or NULL (with a message) when it cannot be read. */
static inline char *t_slurp(const char *path, size_t *len)
{
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s (run from the repository root)\n", path);
        return NULL;
    }
    size_t n = 0, cap = 65536, k;
    char *p = malloc(cap + 1);
    while (p && (k = fread(p + n, 1, cap - n, f)) > 0) {
        n += k;
        if (n == cap) {
            char *q = realloc(p, cap * 2 + 1);
            if (!q)
                free(p);
            p = q;
            cap *= 2;
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (!p || bad) {
        free(p);
        fprintf(stderr, "cannot read %s\n", path);
        return NULL;
    }
    p[n] = 0;
    *len = n;
    return p;
}

static inline int t_done(const char *suite)
{
    printf("%s: %d passed, %d failed\n", suite, t_pass, t_fail);
    return t_fail ? 1 : 0;
}

#endif
