/*
 * parse.c -- recovers the structure of gazetteer and yearbook text: the API
 * of parse.h, the book title, and the layout detector.  Which file of the
 * parser does what is said in parse_int.h.
 */
#include "parse_int.h"

#include <stdio.h>

/* ---- the API ------------------------------------------------------------------ */

parse_ctx *parse_create(void)
{
    parse_ctx *p = calloc(1, sizeof(parse_ctx));
    if (p)
        p->chosen = PARSE_PARAGRAPHS;
    return p;
}

static const char *const LAYOUTS[] = {"auto", "yearbook", "classical", "paragraphs"};

const char *parse_layout_name(parse_layout l)
{
    return (int)l >= 0 && (size_t)l < sizeof LAYOUTS / sizeof *LAYOUTS ? LAYOUTS[l] : "unknown";
}

int parse_layout_lookup(const char *s)
{
    for (size_t k = 0; s && k < sizeof LAYOUTS / sizeof *LAYOUTS; k++)
        if (strcmp(s, LAYOUTS[k]) == 0)
            return (int)k;
    return -1;
}

int parse_set_layout(parse_ctx *p, parse_layout l)
{
    if (!p || (int)l < PARSE_AUTO || l > PARSE_PARAGRAPHS)
        return FZ_EINVAL;
    p->want = l;
    return FZ_OK;
}

parse_layout parse_layout_chosen(const parse_ctx *p) { return p ? p->chosen : PARSE_PARAGRAPHS; }

const char *parse_layout_why(const parse_ctx *p) { return p ? p->why : ""; }

int parse_lines_wrapped(const parse_ctx *p) { return p && p->wrapped; }

void parse_destroy(parse_ctx *p)
{
    if (!p)
        return;
    fz_buf_free(&p->store);
    fz_buf_free(&p->caps);
    fz_buf_free(&p->heads);
    fz_buf_free(&p->names);
    fz_buf_free(&p->vol);
    fz_buf_free(&p->tocs);
    fz_buf_free(&p->scratch);
    free(p->facts);
    free(p->toc);
    free(p->tochash);
    free(p->recs);
    free(p->cnames);
    free(p);
}

const char *parse_volume(const parse_ctx *p)
{
    return p && p->vol.p ? p->vol.p : "";
}

/* Gives back buffers that one huge file made huge. */
static void shrink(parse_ctx *p)
{
    const size_t keep = (size_t)16 << 20;
    if (p->store.cap > keep)
        fz_buf_free(&p->store);
    if (p->caps.cap > keep)
        fz_buf_free(&p->caps);
    if (p->caprec * sizeof(rec) > keep) {
        free(p->recs);
        p->recs = NULL;
        p->caprec = 0;
    }
    if (p->factcap * sizeof(parse_fact) > keep) {
        free(p->facts);
        p->facts = NULL;
        p->factcap = 0;
    }
    if (p->cncap * sizeof(span) > keep) {
        free(p->cnames);
        p->cnames = NULL;
        p->cncap = 0;
    }
}

/* Words that end a book's title: 某某县志, 某某志略, 某某年鉴. */
static bool book_word_end(const unsigned char *t, size_t s, size_t e)
{
    static const char *const w[] = {"志", "誌", "志略", "志稿", "乘", "年鉴", "年鑑", "志书", "志書"};
    for (size_t k = 0; k < sizeof w / sizeof *w; k++)
        if (ends_with(t, s, e, w[k]))
            return true;
    return false;
}

/*
 * Whether the first non-blank line ln is a book title: its first word (up
 * to a space or an opening parenthesis) is 3..30 letters ending in a word
 * of book_word_end, and the line has no sentence punctuation (what follows
 * the title names the edition or the compilers: 某某县志 乾隆本, 仙溪志
 * （宋）黄岩孙 编); a common 门 of a book (地理志, 食货志, …) is not one.
 * Stores the title in p->vol.
 */
static int book_title(parse_ctx *p, const line *ln, bool *yes)
{
    const unsigned char *t = p->t;
    size_t s = ln->ts, e = ln->te, i = s;
    int chars = 0;
    *yes = false;
    while (i < e) {
        int l;
        uint32_t c = cp_at(t, i, e, &l);
        if (is_space_cp(c) || is_open_paren(c))
            break;
        if (!is_letter(c) || ++chars > 30)
            return FZ_OK;
        i += (size_t)l;
    }
    if (chars < 3 || !book_word_end(t, s, i))
        return FZ_OK;
    /* a 门 of a book is no book: 地理志, 食货志 */
    static const char *const men[] = {"地理志", "舆地志", "方舆志", "疆域志", "封域志", "建置志", "规制志",
                                      "食货志", "赋役志", "田赋志", "户口志", "物产志", "风俗志", "人物志",
                                      "列女志", "艺文志", "职官志", "秩官志", "官师志", "选举志", "学校志",
                                      "祠祀志", "祀典志", "典礼志", "古迹志", "兵防志", "武备志", "水利志",
                                      "河渠志", "山川志", "杂记志", "灾祥志", "祥异志", "宦迹志",
                                      "名宦志", "乡贤志", "仙释志", "方技志", "金石志", "经籍志", "天文志",
                                      "星野志", "文征志", "交通志", "人口志", "经济志", "政治志", "军事志",
                                      "文化志", "教育志", "卫生志", "民族志", "宗教志", "方言志"};
    for (size_t k = 0; k < sizeof men / sizeof *men; k++)
        if (strlen(men[k]) == i - s && memcmp(t + s, men[k], i - s) == 0)
            return FZ_OK;
    for (size_t j = i; j < e;) {
        int l;
        uint32_t c = cp_at(t, j, e, &l);
        if (is_head_punct(c) && c != 0x3001)
            return FZ_OK;
        j += (size_t)l;
    }
    if (fz_buf_append(&p->vol, t + s, i - s))
        return FZ_ENOMEM;
    *yes = true;
    return FZ_OK;
}

/* Skips a BOM and leading blank lines and reads a book title (the
 * volume's); *pos and *no are where the text proper starts. */
static int front(parse_ctx *p, size_t *pos, uint32_t *no)
{
    const unsigned char *t = p->t;
    if (p->n >= 3 && t[0] == 0xEF && t[1] == 0xBB && t[2] == 0xBF)
        *pos = 3;
    line ln;
    bool have;
    while ((have = line_at(p, *pos, *no, &ln)) && ln.ts == ln.te) {
        *pos = ln.next;
        *no = ln.no + 1;
    }
    bool yes = false;
    if (have) {
        int rc = book_title(p, &ln, &yes);
        if (rc)
            return rc;
    }
    if (yes) {
        *pos = ln.next;
        *no = ln.no + 1;
    }
    return FZ_OK;
}

/*
 * The layout detector: scores the layouts from the line facts (see
 * parse_lines.c; parse_facts_build has just read them from pos and no,
 * and detect takes their lines before it reads on) and says why in p->why.
 *
 *   yearbook    lines opening 【title】 (a heading-like title) or (author)
 *               lines anywhere in the file, more of them than classical
 *               evidence (below, from the first DETECT_BYTES):
 *               the reader of parse.h;
 *   classical   2+ lines opening with a heading marker ●○◎■◆△·, a 卷
 *               heading (卷一, 卷之一, 卷上, 仙溪志卷一), 2+ 门 headings
 *               (…志, …考, …略 standing alone), a 目录, a book title, or
 *               wrapped lines with folios (an OCR page);
 *   yearbook    otherwise, when the text has 编/章/节 headings (a modern
 *               gazetteer without page furniture, read as before);
 *   paragraphs  otherwise: every paragraph is an entry.
 */
static void detect(parse_ctx *p, size_t pos, uint32_t no)
{
    size_t entries = 0, attrs = 0, markers = 0, vols = 0, mens = 0, tocs = 0, nums = 0, folios = 0;
    const unsigned char *t = p->t;
    line ln; /* the yearbook's lines anywhere in the file: those of the
              * facts (from pos, as parse_facts_build read them), then on */
    for (size_t k = 0; k < p->nfacts || line_at(p, pos, no, &ln); k++) {
        if (k < p->nfacts)
            ln = p->facts[k].ln;
        size_t s = ln.ts, e = ln.te;
        pos = ln.next;
        no = ln.no + 1;
        if (s == e)
            continue;
        if (starts_with(t, s, e, "【")) {
            const unsigned char *q = memmem(t + s, e - s, "】", strlen("】"));
            if (q && parse_heading_like(t, s + strlen("【"), (size_t)(q - t)))
                entries++;
        } else if ((t[s] == '(' || starts_with(t, s, e, "（")) && parse_is_attribution(t, s, e, NULL, NULL)) {
            attrs++;
        }
    }
    for (size_t i = 0; i < p->nfacts; i++) { /* the rest in the first DETECT_BYTES */
        const parse_fact *f = &p->facts[i];
        if (f->blank)
            continue;
        if (f->folio) {
            folios++;
            continue;
        }
        if (!f->head)
            continue;
        markers += f->marker != 0;
        tocs += f->toc;
        nums += f->numbered;
        vols += f->level == 1 && !f->numbered;
        mens += f->level == 2 && !f->numbered && !f->toc;
    }
    size_t n = sizeof p->why, yb = entries + attrs;
    size_t cl = markers + vols + mens + tocs + (p->vol.len > 0) + folios;
    bool classical = markers >= 2 || vols || mens >= 2 || tocs || p->vol.len || (p->wrapped && folios);
    if (yb && (!classical || yb > cl)) {
        p->chosen = PARSE_YEARBOOK;
        snprintf(p->why, n, "%zu lines open with 【title】 and %zu are (author) lines", entries, attrs);
    } else if (classical) {
        p->chosen = PARSE_CLASSICAL;
        snprintf(p->why, n, "%zu marked headings, %zu 卷, %zu 门 and %zu 目录 lines, %s book title, %zu folios%s",
                 markers, vols, mens, tocs, p->vol.len ? "a" : "no", folios,
                 p->wrapped ? ", wrapped lines" : "");
    } else if (nums) {
        p->chosen = PARSE_YEARBOOK;
        snprintf(p->why, n, "%zu 编/章/节 headings and nothing classical", nums);
    } else {
        p->chosen = PARSE_PARAGRAPHS;
        snprintf(p->why, n, "no 【title】 lines, (author) lines or headings of any convention%s",
                 p->wrapped ? "; wrapped lines" : "");
    }
}

int parse_text(parse_ctx *p, const char *text, size_t len, parse_emit_fn emit, void *ctx)
{
    if (!p || !emit || (!text && len))
        return FZ_EINVAL;
    p->t = (const unsigned char *)(text ? text : "");
    p->n = len;
    p->store.len = p->caps.len = p->heads.len = p->names.len = p->vol.len = 0;
    if (fz_buf_putc(&p->vol, 0))
        return FZ_ENOMEM;
    p->vol.len = 0;
    p->nrec = p->ncnames = p->nattn = p->depth = 0;
    p->memo_lo = 1;
    p->memo_hi = 0;
    p->memo_res = false;
    p->open = false;
    p->cur = 0;
    p->nfacts = p->ntoc = p->ntoc0 = 0;
    p->tocs.len = 0;
    p->wrapped = false;
    p->why[0] = 0;
    size_t pos = 0;
    uint32_t no = 1;
    int rc = front(p, &pos, &no);
    /* the detector looks at the first DETECT_BYTES; the classical reader
     * needs the facts of every line */
    const size_t DETECT_BYTES = (size_t)1 << 20;
    size_t lim = p->n - pos > DETECT_BYTES ? pos + DETECT_BYTES : p->n;
    if (!rc)
        rc = parse_facts_build(p, pos, no, lim);
    if (!rc) {
        if (p->want == PARSE_AUTO) {
            detect(p, pos, no);
        } else {
            p->chosen = p->want;
            snprintf(p->why, sizeof p->why, "set by --layout");
        }
        if (p->chosen == PARSE_YEARBOOK) {
            rc = parse_yearbook_read(p, pos, no, emit, ctx);
        } else {
            if (lim < p->n)
                rc = parse_facts_build(p, pos, no, p->n);
            if (!rc)
                rc = parse_classical_read(p, p->chosen == PARSE_CLASSICAL, emit, ctx);
        }
    }
    shrink(p);
    p->t = NULL;
    p->n = 0;
    return rc;
}
