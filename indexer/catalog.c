/*
 * catalog.c -- the CSV catalog of volumes (see catalog.h).
 *
 * One pass over the text splits it into records of fields (a small state
 * machine: the only state that spans characters is "inside quotes"); the
 * header names the columns, and each later record becomes a row.  Strings
 * are copied into one arena.
 */
#include "catalog.h"

#include <stdlib.h>
#include <string.h>

#include "../common/fz.h"

enum { COL_FILE, COL_TITLE, COL_PLACE, COL_YEAR, NCOLS };
static const char *const col_names[NCOLS] = {"file", "title", "place", "year"};

struct catalog {
    fz_arena *a;
    catalog_row *rows;
    size_t n, cap;
};

/* One record being read: its fields' text in buf, their ends in ends. */
typedef struct {
    fz_buf buf;
    size_t *ends;
    size_t n, cap;
    uint32_t line;        /* where the record starts */
} record;

static int rec_end_field(record *r)
{
    if (fz_grow(&r->ends, &r->cap, r->n + 1, sizeof *r->ends, 8))
        return FZ_ENOMEM;
    r->ends[r->n++] = r->buf.len;
    return 0;
}

static const char *rec_field(const record *r, size_t i, size_t *len)
{
    size_t start = i ? r->ends[i - 1] : 0;
    *len = r->ends[i] - start;
    return r->buf.p ? r->buf.p + start : "";
}

static int is_blank(char c) { return c == ' ' || c == '\t'; }

/* Reads the record starting at *pos into r; *line is the current line.
 * Returns 1 when a record was read, 0 at the end of the text, or an
 * FZ_E* code with msg. */
static int read_record(const char *t, size_t len, size_t *pos, uint32_t *line, record *r, char *msg, size_t msglen)
{
    size_t i = *pos;
    r->buf.len = 0;
    r->n = 0;
    /* skip blank lines */
    for (;;) {
        size_t j = i;
        while (j < len && is_blank(t[j]))
            j++;
        if (j < len && (t[j] == '\n' || t[j] == '\r')) {
            i = j + (t[j] == '\r' && j + 1 < len && t[j + 1] == '\n' ? 2 : 1);
            (*line)++;
            continue;
        }
        if (j == len) {
            *pos = len;
            return 0;
        }
        break;
    }
    r->line = *line;
    for (;;) {
        /* one field */
        size_t j = i;
        while (j < len && is_blank(t[j]))
            j++;
        if (j < len && t[j] == '"') {
            uint32_t qline = *line;
            j++;
            for (;;) {
                if (j == len) {
                    fz_msg(msg, msglen, "line %u: a quoted field is not closed (it opens there)", qline);
                    return FZ_ESYNTAX;
                }
                char c = t[j];
                if (c == '"') {
                    if (j + 1 < len && t[j + 1] == '"') {
                        if (fz_buf_putc(&r->buf, '"'))
                            return FZ_ENOMEM;
                        j += 2;
                        continue;
                    }
                    j++;
                    break;
                }
                if (c == 0) {
                    fz_msg(msg, msglen, "line %u: a NUL byte", *line);
                    return FZ_ESYNTAX;
                }
                if (c == '\n' || (c == '\r' && !(j + 1 < len && t[j + 1] == '\n')))
                    (*line)++;
                if (fz_buf_putc(&r->buf, c))
                    return FZ_ENOMEM;
                j++;
            }
            while (j < len && is_blank(t[j]))
                j++;
            if (j < len && t[j] != ',' && t[j] != '\n' && t[j] != '\r') {
                fz_msg(msg, msglen, "line %u: text after the closing quote of a field", *line);
                return FZ_ESYNTAX;
            }
        } else {
            size_t s = j;
            while (j < len && t[j] != ',' && t[j] != '\n' && t[j] != '\r') {
                if (t[j] == '"') {
                    fz_msg(msg, msglen, "line %u: a quote inside an unquoted field (quote the whole field "
                                        "and double the quote)", *line);
                    return FZ_ESYNTAX;
                }
                if (t[j] == 0) {
                    fz_msg(msg, msglen, "line %u: a NUL byte", *line);
                    return FZ_ESYNTAX;
                }
                j++;
            }
            size_t e = j;
            while (e > s && is_blank(t[e - 1]))
                e--;
            if (fz_buf_append(&r->buf, t + s, e - s))
                return FZ_ENOMEM;
        }
        if (rec_end_field(r))
            return FZ_ENOMEM;
        if (j < len && t[j] == ',') {
            i = j + 1;
            continue;
        }
        /* end of the record */
        if (j < len) {
            j += t[j] == '\r' && j + 1 < len && t[j + 1] == '\n' ? 2 : 1;
            (*line)++;
        }
        *pos = j;
        return 1;
    }
}

static int ascii_ieq(const char *a, size_t n, const char *b)
{
    if (strlen(b) != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = a[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != b[i])
            return 0;
    }
    return 1;
}

void catalog_destroy(catalog *c)
{
    if (!c)
        return;
    fz_arena_destroy(c->a);
    free(c->rows);
    free(c);
}

size_t catalog_count(const catalog *c) { return c->n; }

const catalog_row *catalog_row_at(const catalog *c, size_t i) { return i < c->n ? &c->rows[i] : NULL; }

static int add_row(catalog *c, const record *r, const int *col, char *msg, size_t msglen)
{
    if (fz_grow(&c->rows, &c->cap, c->n + 1, sizeof *c->rows, 64))
        return FZ_ENOMEM;
    catalog_row *row = &c->rows[c->n];
    memset(row, 0, sizeof *row);
    row->line = r->line;
    const char *v[NCOLS] = {"", "", "", ""};
    size_t vl[NCOLS] = {0, 0, 0, 0};
    for (int k = 0; k < NCOLS; k++)
        if (col[k] >= 0 && (size_t)col[k] < r->n)
            v[k] = rec_field(r, (size_t)col[k], &vl[k]);
    if (!vl[COL_FILE]) {
        fz_msg(msg, msglen, "line %u: the file column is empty", r->line);
        return FZ_ESYNTAX;
    }
    for (size_t i = 0; i < vl[COL_FILE]; i++)
        if ((unsigned char)v[COL_FILE][i] < 0x20 || v[COL_FILE][i] == 0x7F) {
            fz_msg(msg, msglen, "line %u: the file column holds a line break or another control character",
                   r->line);
            return FZ_ESYNTAX;
        }
    if (vl[COL_YEAR]) {
        if (fz_year_parse(v[COL_YEAR], vl[COL_YEAR], &row->year)) {
            /* shown up to 40 bytes and the first control character: one line */
            size_t n = 0;
            while (n < vl[COL_YEAR] && n < 40 && (unsigned char)v[COL_YEAR][n] >= 0x20)
                n++;
            fz_msg(msg, msglen, "line %u: year '%.*s%s' is not a whole number from %d to %d", r->line, (int)n,
                   v[COL_YEAR], n < vl[COL_YEAR] ? "…" : "", FZ_YEAR_MIN, FZ_YEAR_MAX);
            return FZ_ESYNTAX;
        }
        row->has_year = 1;
    }
    for (size_t i = 0; i < c->n; i++)
        if (strlen(c->rows[i].file) == vl[COL_FILE] && !memcmp(c->rows[i].file, v[COL_FILE], vl[COL_FILE])) {
            fz_msg(msg, msglen, "line %u: file '%s' has a row already (line %u)", r->line, c->rows[i].file,
                   c->rows[i].line);
            return FZ_ESYNTAX;
        }
    if (!(row->file = fz_arena_strndup(c->a, v[COL_FILE], vl[COL_FILE])) ||
        !(row->title = fz_arena_strndup(c->a, v[COL_TITLE], vl[COL_TITLE])) ||
        !(row->place = fz_arena_strndup(c->a, v[COL_PLACE], vl[COL_PLACE])))
        return FZ_ENOMEM;
    c->n++;
    return 0;
}

int catalog_parse(const char *text, size_t len, catalog **out, char *msg, size_t msglen)
{
    *out = NULL;
    catalog *c = calloc(1, sizeof *c);
    if (!c || !(c->a = fz_arena_create())) {
        free(c);
        return FZ_ENOMEM;
    }
    size_t pos = 0;
    if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3))
        pos = 3;
    uint32_t line = 1;
    record r = {0};
    int col[NCOLS] = {-1, -1, -1, -1};
    size_t ncols = 0;
    int rc = read_record(text, len, &pos, &line, &r, msg, msglen);
    if (rc == 0) {
        fz_msg(msg, msglen, "line 1: no header (want file,title,place,year)");
        rc = FZ_ESYNTAX;
    }
    if (rc == 1) {
        rc = 0;
        ncols = r.n;
        for (size_t i = 0; i < r.n && !rc; i++) {
            size_t n;
            const char *f = rec_field(&r, i, &n);
            while (n && is_blank(*f))
                f++, n--;
            while (n && is_blank(f[n - 1]))
                n--;
            for (int k = 0; k < NCOLS; k++) {
                if (!ascii_ieq(f, n, col_names[k]))
                    continue;
                if (col[k] >= 0) {
                    fz_msg(msg, msglen, "line %u: column '%s' is named twice in the header", r.line, col_names[k]);
                    rc = FZ_ESYNTAX;
                }
                col[k] = (int)i;
            }
        }
        if (!rc && col[COL_FILE] < 0) {
            fz_msg(msg, msglen, "line %u: the header has no 'file' column (want file,title,place,year)", r.line);
            rc = FZ_ESYNTAX;
        }
    }
    while (!rc) {
        rc = read_record(text, len, &pos, &line, &r, msg, msglen);
        if (rc <= 0)
            break;
        rc = 0;
        if (r.n > ncols) {
            fz_msg(msg, msglen, "line %u: %zu fields, but the header names %zu columns", r.line, r.n, ncols);
            rc = FZ_ESYNTAX;
            break;
        }
        rc = add_row(c, &r, col, msg, msglen);
    }
    fz_buf_free(&r.buf);
    free(r.ends);
    if (rc) {
        catalog_destroy(c);
        return rc;
    }
    *out = c;
    return 0;
}

int catalog_match(const catalog_row *row, const char *path, size_t path_len)
{
    const char *f = row->file;
    while (f[0] == '.' && f[1] == '/')
        f += 2;
    size_t n = strlen(f);
    if (n == 0 || n > path_len)
        return 0;
    if (memcmp(path + path_len - n, f, n))
        return 0;
    if (f[0] == '/')
        return n == path_len; /* an absolute path names that file only */
    return n == path_len || path[path_len - n - 1] == '/';
}
