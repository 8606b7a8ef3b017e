/*
 * fuzz_catalog -- libFuzzer target for the --catalog CSV reader
 * (indexer/catalog.h).
 *
 * Parses the input as a catalog and checks catalog.h's promises: 0 with a
 * catalog, or FZ_ESYNTAX / FZ_ENOMEM with none and a one-line message that
 * names a line ("line N: ...", N within the input's lines); on success
 * every row has a non-empty file, no two rows the same file, rows come in
 * ascending line order, years lie within FZ_YEAR_MIN..FZ_YEAR_MAX, and
 * every string is NUL-free (its strlen reads no further than the arena).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "fz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    catalog *c = (catalog *)1;
    char msg[256] = "";
    int rc = catalog_parse((const char *)data, size, &c, msg, sizeof msg);
    size_t lines = 1;
    for (size_t i = 0; i < size; i++)
        lines += data[i] == '\n' || (data[i] == '\r' && !(i + 1 < size && data[i + 1] == '\n'));
    if (rc) {
        unsigned long n = 0;
        if (c || (rc != FZ_ESYNTAX && rc != FZ_ENOMEM))
            abort();
        if (rc == FZ_ESYNTAX && (sscanf(msg, "line %lu:", &n) != 1 || n < 1 || n > lines || strchr(msg, '\n')))
            abort();
        return 0;
    }
    if (!c)
        abort();
    uint32_t prev = 0;
    for (size_t i = 0; i < catalog_count(c); i++) {
        const catalog_row *r = catalog_row_at(c, i);
        if (!r || !r->file[0] || r->line <= prev || r->line > lines)
            abort();
        prev = r->line;
        (void)strlen(r->title);
        (void)strlen(r->place);
        if (r->has_year && (r->year < FZ_YEAR_MIN || r->year > FZ_YEAR_MAX))
            abort();
        for (size_t j = 0; j < i; j++)
            if (!strcmp(catalog_row_at(c, j)->file, r->file))
                abort();
        if (!catalog_match(r, r->file, strlen(r->file)) && strncmp(r->file, "./", 2))
            abort(); /* a row names its own path */
    }
    if (catalog_row_at(c, catalog_count(c)))
        abort();
    catalog_destroy(c);
    return 0;
}
