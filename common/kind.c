/*
 * kind.c -- names of the kinds of records (see kind.h).
 */
#include "kind.h"

#include <string.h>
#include <strings.h>

static const char *const NAMES[FZ_KIND_COUNT] = {"entry", "sidebar", "caption", "toc", "note"};

const char *fz_kind_name(int k)
{
    return k >= 0 && k < FZ_KIND_COUNT ? NAMES[k] : "unknown";
}

int fz_kind_lookup(const char *s, size_t n)
{
    for (int k = 0; k < FZ_KIND_COUNT; k++)
        if (strlen(NAMES[k]) == n && strncasecmp(NAMES[k], s, n) == 0)
            return k;
    return -1;
}

const char *fz_kind_list(void) { return "entry, sidebar, caption, toc, note"; }
