/*  table: columns of text for people, that never run into each other. */
#include "table.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <unilbrk.h>
#include <unistr.h>
#include <uniwidth.h>

#define GAP 2

struct kp_table {
    kp_arena *a;
    size_t ncols;
    const char **headers;
    int *flags;
    const char **cells;
    size_t n, cap;
};

kp_table *kp_table_new(kp_arena *a, size_t ncols)
{
    kp_table *t = kp_arena_zalloc(a, sizeof *t);
    t->a = a;
    t->ncols = ncols < 64 ? ncols : 64; /* table.h: at most 64 */
    t->headers = kp_arena_zalloc(a, sizeof(char *) * ncols);
    t->flags = kp_arena_zalloc(a, sizeof(int) * ncols);
    for (size_t i = 0; i < ncols; i++)
        t->headers[i] = "";
    return t;
}

void kp_table_col(kp_table *t, size_t i, const char *header, int flags)
{
    t->headers[i] = kp_arena_strdup(t->a, header);
    t->flags[i] = flags;
}

void kp_table_add(kp_table *t, const char *cell)
{
    if (t->n == t->cap) {
        size_t ncap = t->cap ? t->cap * 2 : 64;
        const char **c = kp_arena_alloc(t->a, sizeof(char *) * ncap);
        if (t->cells) memcpy(c, t->cells, sizeof(char *) * t->n);
        t->cells = c;
        t->cap = ncap;
    }
    t->cells[t->n++] = kp_arena_strdup(t->a, cell ? cell : "");
}

int kp_table_text_width(const char *s)
{
    int w = u8_strwidth((const uint8_t *)s, "UTF-8");
    return w < 0 ? (int)strlen(s) : w;
}

static int s_width_n(const char *s, size_t n)
{
    int w = u8_width((const uint8_t *)s, n, "UTF-8");
    return w < 0 ? (int)n : w;
}

int kp_table_width(void)
{
    struct winsize ws;
    if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    const char *c = getenv("COLUMNS");
    if (c && atoi(c) > 0) return atoi(c);
    return 0;
}

typedef struct {
    kp_arena *a;
    const char **starts;
    size_t *lens;
    size_t n, cap;
} lines;

static void s_line(lines *l, const char *s, size_t len)
{
    if (l->n == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 4;
        const char **ns = kp_arena_alloc(l->a, sizeof(char *) * ncap);
        size_t *nl = kp_arena_alloc(l->a, sizeof(size_t) * ncap);
        if (l->n) {
            memcpy(ns, l->starts, sizeof(char *) * l->n);
            memcpy(nl, l->lens, sizeof(size_t) * l->n);
        }
        l->starts = ns;
        l->lens = nl;
        l->cap = ncap;
    }
    l->starts[l->n] = s;
    l->lens[l->n++] = len;
}

/* One line s[0..len), trailing spaces dropped; a word alone wider than
 * width is split where it must be. */
static void s_emit(lines *l, const char *s, size_t len, int width)
{
    while (len > 0 && s[len - 1] == ' ')
        len--;
    while (width > 0 && s_width_n(s, len) > width) {
        size_t cut = 0;
        int w = 0;
        while (cut < len) {
            ucs4_t uc;
            int n = u8_mbtouc(&uc, (const uint8_t *)s + cut, len - cut);
            int cw = uc_width(uc, "UTF-8");
            if (cw < 0) cw = 0;
            if (w + cw > width && cut > 0) break;
            w += cw;
            cut += (size_t)n;
        }
        s_line(l, s, cut);
        s += cut;
        len -= cut;
    }
    s_line(l, s, len);
}

/* A cell's lines at width (0: as it is, split only at newlines). */
static size_t s_wrap(kp_arena *a, const char *s, int width, const char ***starts, size_t **lens)
{
    lines l = {.a = a};
    size_t n = strlen(s);
    char *p = NULL;
    if (width > 0 && n > 0) {
        p = kp_arena_alloc(a, n);
        u8_width_linebreaks((const uint8_t *)s, n, width, 0, 0, NULL, "UTF-8", p);
    }
    size_t from = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n') {
            s_emit(&l, s + from, i - from, width);
            from = i + 1;
        } else if (p && p[i] == UC_BREAK_POSSIBLE && i > from) {
            s_emit(&l, s + from, i - from, width);
            from = i;
        }
    }
    if (from < n || l.n == 0) s_emit(&l, s + from, n - from, width);
    *starts = l.starts;
    *lens = l.lens;
    return l.n;
}

/* The widest word of a cell (between the places a line may break), with
 * the white space after it dropped. */
static int s_longest_word(kp_arena *a, const char *s)
{
    size_t n = strlen(s);
    if (n == 0) return 0;
    char *p = kp_arena_alloc(a, n);
    u8_possible_linebreaks((const uint8_t *)s, n, "UTF-8", p);
    int best = 0;
    size_t from = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && !(p[i] == UC_BREAK_POSSIBLE || p[i] == UC_BREAK_MANDATORY) && s[i] != '\n')
            continue;
        size_t end = i;
        while (end > from && (s[end - 1] == ' ' || s[end - 1] == '\n'))
            end--;
        int w = s_width_n(s + from, end - from);
        if (w > best) best = w;
        from = i;
    }
    return best;
}

/* Shrinks the WRAP columns that are not stacked to fit width: fair shares,
 * the slack of narrow columns given to the wide ones. */
static void s_fit(const kp_table *t, int width, int *w, const int *stacked)
{
    int total = 0, wrap_total = 0, nwrap = 0, shown = 0;
    for (size_t c = 0; c < t->ncols; c++) {
        if (stacked[c]) continue;
        total += w[c] + (shown++ ? GAP : 0);
        if (t->flags[c] & KP_TABLE_WRAP) {
            wrap_total += w[c];
            nwrap++;
        }
    }
    if (total <= width || nwrap == 0) return;
    int fixed = total - wrap_total;
    int room = width - fixed;
    const int min = 12;
    if (room < min * nwrap) room = min * nwrap;
    int left = room, open = nwrap;
    int done[64] = {0};
    for (int pass = 0; pass < nwrap; pass++) {
        int share = left / (open ? open : 1);
        int changed = 0;
        for (size_t c = 0; c < t->ncols && c < 64; c++)
            if ((t->flags[c] & KP_TABLE_WRAP) && !stacked[c] && !done[c] && w[c] <= share) {
                done[c] = 1;
                left -= w[c];
                open--;
                changed = 1;
            }
        if (!changed) break;
    }
    for (size_t c = 0; c < t->ncols && c < 64; c++)
        if ((t->flags[c] & KP_TABLE_WRAP) && !stacked[c] && !done[c]) {
            int share = left / (open ? open : 1);
            w[c] = share < min ? min : share;
            left -= w[c];
            open--;
        }
}

/* The indent of stacked column c's lines: the columns before it on the
 * row's line, with their gaps. */
static int s_indent(const int *w, const int *stacked, size_t c)
{
    int indent = 0;
    for (size_t k = 0; k < c; k++)
        if (!stacked[k]) indent += w[k] + GAP;
    return indent;
}

/* Widths: natural, then the WRAP columns shrink to fit width. A WRAP column
 * without a header that would then have to cut its words (a narrow terminal,
 * many evaluators) is stacked instead: it leaves the row's line and goes on
 * the lines below it, indented, as wide as the terminal allows. */
static void s_widths(const kp_table *t, int width, int *w, int *stacked)
{
    int natural[64], longest[64] = {0};
    for (size_t c = 0; c < t->ncols; c++)
        natural[c] = kp_table_text_width(t->headers[c]);
    for (size_t i = 0; i < t->n; i++) {
        size_t c = i % t->ncols;
        int cw = 0;
        /* the widest line of a multi-line cell */
        const char *s = t->cells[i];
        for (const char *l = s; *l;) {
            const char *nl = strchr(l, '\n');
            size_t len = nl ? (size_t)(nl - l) : strlen(l);
            int x = s_width_n(l, len);
            if (x > cw) cw = x;
            l += len + (nl ? 1 : 0);
        }
        if (cw > natural[c]) natural[c] = cw;
        if (width > 0 && (t->flags[c] & KP_TABLE_WRAP)) {
            int lw = s_longest_word(t->a, s);
            if (lw > longest[c]) longest[c] = lw;
        }
    }
    for (size_t c = 0; c < t->ncols; c++) {
        w[c] = natural[c];
        stacked[c] = 0;
    }
    if (width <= 0) return;
    /* a word longer than this is split wherever it stands */
    const int cap = 30;
    for (;;) {
        s_fit(t, width, w, stacked);
        size_t pick = t->ncols;
        for (size_t c = 1; c < t->ncols; c++) {
            int need = longest[c] < cap ? longest[c] : cap;
            if ((t->flags[c] & KP_TABLE_WRAP) && !stacked[c] && !*t->headers[c] && w[c] < need &&
                width - s_indent(w, stacked, c) > w[c]) {
                pick = c;
                break;
            }
        }
        if (pick == t->ncols) return;
        stacked[pick] = 1;
        for (size_t c = 0; c < t->ncols; c++)
            w[c] = stacked[c] ? 0 : natural[c];
    }
}

static void s_row(const kp_table *t, FILE *out, const char *const *cells, const int *w,
                  const int *stacked, int width)
{
    const char **starts[64];
    size_t *lens[64], nlines[64], height = 1;
    size_t nc = t->ncols < 64 ? t->ncols : 64;
    for (size_t c = 0; c < nc; c++) {
        nlines[c] = 0;
        if (stacked[c]) continue;
        nlines[c] =
            s_wrap(t->a, cells[c], (t->flags[c] & KP_TABLE_WRAP) ? w[c] : 0, &starts[c], &lens[c]);
        if (nlines[c] > height) height = nlines[c];
    }
    for (size_t l = 0; l < height; l++) {
        /* up to the last column with something on this line */
        size_t last = 0;
        for (size_t c = 0; c < nc; c++)
            if (!stacked[c] && l < nlines[c] && lens[c][l]) last = c + 1;
        int first = 1;
        for (size_t c = 0; c < last; c++) {
            if (stacked[c]) continue;
            const char *s = l < nlines[c] ? starts[c][l] : "";
            size_t len = l < nlines[c] ? lens[c][l] : 0;
            int pad = w[c] - s_width_n(s, len);
            if (pad < 0) pad = 0;
            if (!first) fprintf(out, "%*s", GAP, "");
            first = 0;
            if (t->flags[c] & KP_TABLE_RIGHT) fprintf(out, "%*s", pad, "");
            fwrite(s, 1, len, out);
            if (!(t->flags[c] & KP_TABLE_RIGHT) && c + 1 < last) fprintf(out, "%*s", pad, "");
        }
        fputc('\n', out);
    }
    /* the stacked columns, each on lines of its own below */
    for (size_t c = 0; c < nc; c++) {
        if (!stacked[c] || !*cells[c]) continue;
        int indent = s_indent(w, stacked, c);
        const char **st;
        size_t *ln;
        size_t n = s_wrap(t->a, cells[c], width - indent, &st, &ln);
        for (size_t l = 0; l < n; l++) {
            fprintf(out, "%*s", indent, "");
            fwrite(st[l], 1, ln[l], out);
            fputc('\n', out);
        }
    }
}

void kp_table_print(kp_table *t, FILE *out, int width)
{
    int w[64], stacked[64];
    s_widths(t, width, w, stacked);
    s_row(t, out, t->headers, w, stacked, width);
    for (size_t i = 0; i + t->ncols <= t->n; i += t->ncols)
        s_row(t, out, t->cells + i, w, stacked, width);
}
