/*  sheet: one evaluator's scores as a text to fill in, and as CSV. */
#include "sheet.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "points.h"
#include "util.h"

#define MAX_WHY 20000 /* the server's limit for a rationale */

/* ---------------------------------------------------------------- growing lists */

typedef struct {
    kp_arena *a;
    kp_sheet_change *changes;
    size_t n_changes, cap_changes;
    kp_sheet_problem *problems;
    size_t n_problems, cap_problems;
} result;

static void *s_grow(kp_arena *a, void *old, size_t size, size_t n, size_t *cap)
{
    if (n < *cap) return old;
    size_t ncap = *cap ? *cap * 2 : 16;
    void *p = kp_arena_alloc(a, size * ncap);
    if (old) memcpy(p, old, size * n);
    *cap = ncap;
    return p;
}

static void s_problem(result *r, int line, const char *question, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void s_problem(result *r, int line, const char *question, const char *fmt, ...)
{
    r->problems = s_grow(r->a, r->problems, sizeof *r->problems, r->n_problems, &r->cap_problems);
    va_list ap;
    va_start(ap, fmt);
    kp_sheet_problem *p = &r->problems[r->n_problems++];
    p->line = line;
    p->question = question ? kp_arena_strdup(r->a, question) : NULL;
    p->message = kp_arena_vprintf(r->a, fmt, ap);
    va_end(ap);
}

/* ---------------------------------------------------------------- helpers */

long kp_sheet_find(const kp_sheet *s, const char *question)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->q[i].question, question) == 0) return (long)i;
    return -1;
}

/* A rationale as compared: no white space at either end. */
static const char *s_norm(kp_arena *a, const char *why)
{
    char *c = kp_arena_strdup(a, why ? why : "");
    return kp_trim(c);
}

const char *kp_sheet_problem_text(kp_arena *a, const kp_sheet_problem *p)
{
    if (p->question)
        return kp_arena_printf(a, "line %d, [%s]: %s", p->line, p->question, p->message);
    return kp_arena_printf(a, "line %d: %s", p->line, p->message);
}

/* One question's entry, as read from a sheet or a CSV row. */
typedef struct {
    const char *question;
    int line;        /* of the block or row */
    const char *pts; /* as written, trimmed; NULL when there was no points line */
    int pts_line;
    const char *why; /* NULL when there was no why */
} entry;

/* Checks entries against base: every problem, and the changes. what names
 * a block ("block") or a row for the messages. */
static void s_check(result *r, const kp_sheet *base, const entry *e, size_t n)
{
    int *seen = kp_arena_zalloc(r->a, sizeof(int) * (base->n + 1));
    for (size_t i = 0; i < n; i++) {
        const entry *x = &e[i];
        long qi = kp_sheet_find(base, x->question);
        if (qi < 0) {
            if (base->area)
                s_problem(r, x->line, x->question, "no such question in area %d of this sheet",
                          base->area);
            else
                s_problem(r, x->line, x->question, "no such question in this evaluation");
            continue;
        }
        if (seen[qi]) {
            s_problem(r, x->line, x->question, "given twice (first at line %d)", seen[qi]);
            continue;
        }
        seen[qi] = x->line;
        const kp_sheet_question *q = &base->q[qi];
        const char *pts = x->pts ? x->pts : "";
        const char *why = x->why ? x->why : "";
        int line = x->pts ? x->pts_line : x->line;
        char b1[24], b2[24];
        if (strlen(why) > MAX_WHY) {
            s_problem(r, x->line, x->question, "the rationale is longer than %d characters",
                      MAX_WHY);
            continue;
        }
        if (!*pts) {
            if (q->scored)
                s_problem(r, line, x->question,
                          "points are empty, but %s has a score (%s): a score cannot be "
                          "removed, only changed",
                          x->question, kp_points_format(q->points_centi, b1));
            else if (*s_norm(r->a, why))
                s_problem(r, line, x->question, "a rationale needs points");
            continue;
        }
        int64_t centi;
        if (kp_points_parse(pts, &centi) != 0) {
            s_problem(r, line, x->question,
                      "'%s' is not a number of points (0 to %s, at most two decimals, like 12 or "
                      "12.5)",
                      pts, kp_points_format(q->max_centi, b1));
            continue;
        }
        if (centi > q->max_centi) {
            s_problem(r, line, x->question, "%s exceeds the max of %s", kp_points_format(centi, b1),
                      kp_points_format(q->max_centi, b2));
            continue;
        }
        const char *nw = s_norm(r->a, why);
        if (q->scored && centi == q->points_centi && strcmp(nw, s_norm(r->a, q->why)) == 0)
            continue; /* unchanged */
        r->changes = s_grow(r->a, r->changes, sizeof *r->changes, r->n_changes, &r->cap_changes);
        kp_sheet_change *c = &r->changes[r->n_changes++];
        c->q = (size_t)qi;
        c->points_centi = centi;
        c->why = nw;
        c->line = x->line;
    }
}

/* ---------------------------------------------------------------- the text form */

/* Writes text's lines after prefix, a line each ("" lines as prefix only,
 * without trailing white space). */
static void s_lines(FILE *f, const char *first, const char *prefix, const char *text)
{
    int n = 0;
    for (const char *p = text; *p || n == 0;) {
        const char *nl = strchr(p, '\n');
        size_t l = nl ? (size_t)(nl - p) : strlen(p);
        const char *lead = n == 0 ? first : prefix;
        if (l == 0 && n > 0)
            fputs("\n", f);
        else
            fprintf(f, "%s%.*s\n", lead, (int)l, p);
        n++;
        if (!nl) break;
        p = nl + 1;
    }
}

char *kp_sheet_format(kp_arena *a, const kp_sheet *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return NULL;
    fprintf(f, "# Kompass score sheet: evaluation %lld%s%s\n", (long long)s->evaluation_id,
            s->title && *s->title ? ", " : "", s->title ? s->title : "");
    if (s->area)
        fprintf(f, "# Area %d%s%s\n", s->area, s->area_title && *s->area_title ? " " : "",
                s->area_title ? s->area_title : "");
    else
        fprintf(f, "# Every area\n");
    fprintf(f, "# Evaluator: %s%s%s%s, as of evaluation version %lld\n", s->evaluator,
            s->evaluator_name && *s->evaluator_name ? " (" : "",
            s->evaluator_name ? s->evaluator_name : "",
            s->evaluator_name && *s->evaluator_name ? ")" : "", (long long)s->version);
    fputs("#\n"
          "# Under each question: points (0 to its max, at most two decimals: 12.5 or\n"
          "# 12,5) and why (the rationale; lines after it that start with a space go\n"
          "# on with it). Leave points empty where you have not scored. Only the\n"
          "# questions you change are saved, all of them at once or none. Lines\n"
          "# starting with # are ignored. Quit without a change to save nothing.\n",
          f);
    for (size_t i = 0; i < s->n; i++) {
        const kp_sheet_question *q = &s->q[i];
        char b[24];
        fprintf(f, "\n[%s]\n", q->question);
        fprintf(f, "# %s (max %s)\n", q->text, kp_points_format(q->max_centi, b));
        if (q->scored)
            fprintf(f, "points = %s\n", kp_points_format(q->points_centi, b));
        else
            fputs("points =\n", f);
        if (q->why && *q->why)
            s_lines(f, "why = ", "    ", q->why);
        else
            fputs("why =\n", f);
    }
    fclose(f);
    char *out = kp_arena_strdup(a, buf);
    free(buf);
    return out;
}

/* "key = value" with key points or why: 1 (points) or 2 (why) with *value,
 * or 0. */
static int s_key(char *line, char **value)
{
    char *p = line;
    const char *keys[2] = {"points", "why"};
    for (int k = 0; k < 2; k++) {
        size_t kl = strlen(keys[k]);
        if (strncmp(p, keys[k], kl) != 0) continue;
        char *q = p + kl;
        while (*q == ' ' || *q == '\t')
            q++;
        if (*q != '=') continue;
        *value = kp_trim(q + 1);
        return k + 1;
    }
    return 0;
}

void kp_sheet_parse(kp_arena *a, const kp_sheet *base, const char *text, kp_sheet_change **changes,
                    size_t *n_changes, kp_sheet_problem **problems, size_t *n_problems)
{
    result r = {.a = a};
    entry *e = NULL;
    size_t n = 0, cap = 0;
    entry *cur = NULL;
    /* the rationale being read: its text so far, blank lines pending */
    char *why = NULL;
    size_t why_len = 0, why_cap = 0;
    int in_why = 0, blanks = 0;
    char *copy = kp_arena_strdup(a, text);
    int lineno = 0;
#define END_WHY()                                                                                  \
    do {                                                                                           \
        if (in_why && cur) cur->why = kp_arena_strndup(a, why ? why : "", why_len);                \
        in_why = 0;                                                                                \
        blanks = 0;                                                                                \
    } while (0)
    for (char *line = copy; line;) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = '\0';
        char *next = nl ? nl + 1 : NULL;
        lineno++;
        size_t l = strlen(line);
        if (l && line[l - 1] == '\r') line[--l] = '\0';
        if (line[0] == '#') {
            line = next;
            continue;
        }
        char *t = kp_trim(kp_arena_strdup(a, line));
        if (!*t) {
            if (in_why) blanks++;
            line = next;
            continue;
        }
        if (in_why && (line[0] == ' ' || line[0] == '\t')) {
            /* goes on with the rationale, less the sheet's indentation */
            const char *c = line;
            if (*c == '\t')
                c++;
            else
                for (int k = 0; k < 4 && *c == ' '; k++)
                    c++;
            size_t need = why_len + (size_t)blanks + 1 + strlen(c) + 1;
            if (need > why_cap) {
                size_t ncap = need * 2;
                char *nw = kp_arena_alloc(a, ncap);
                if (why) memcpy(nw, why, why_len);
                why = nw;
                why_cap = ncap;
            }
            for (int k = 0; k <= blanks; k++)
                why[why_len++] = '\n';
            memcpy(why + why_len, c, strlen(c));
            why_len += strlen(c);
            blanks = 0;
            line = next;
            continue;
        }
        END_WHY();
        char *value;
        int key;
        if (t[0] == '[') {
            char *close = strchr(t, ']');
            if (!close || close[1] || close == t + 1) {
                s_problem(&r, lineno, NULL, "'%s' is not a question's line, like [1.4]", t);
                cur = NULL;
                line = next;
                continue;
            }
            *close = '\0';
            e = s_grow(a, e, sizeof *e, n, &cap);
            cur = &e[n++];
            memset(cur, 0, sizeof *cur);
            cur->question = kp_trim(t + 1);
            cur->line = lineno;
        } else if ((key = s_key(t, &value))) {
            if (!cur) {
                s_problem(&r, lineno, NULL, "'%s' before any question's line, like [1.4]", t);
            } else if (key == 1) {
                if (cur->pts)
                    s_problem(&r, lineno, cur->question, "points given twice (also at line %d)",
                              cur->pts_line);
                cur->pts = value;
                cur->pts_line = lineno;
            } else {
                if (cur->why) s_problem(&r, lineno, cur->question, "why given twice");
                why_len = 0;
                size_t vl = strlen(value);
                if (vl + 1 > why_cap) {
                    why_cap = vl * 2 + 64;
                    why = kp_arena_alloc(a, why_cap);
                }
                memcpy(why, value, vl);
                why_len = vl;
                in_why = 1;
                blanks = 0;
            }
        } else {
            s_problem(&r, lineno, cur ? cur->question : NULL,
                      "'%s' is neither `points = ...` nor `why = ...` (a rationale's further "
                      "lines start with a space)",
                      t);
        }
        line = next;
    }
    END_WHY();
#undef END_WHY
    s_check(&r, base, e, n);
    /* in the order of the text, whatever found them */
    for (size_t i = 1; i < r.n_problems; i++)
        for (size_t k = i; k > 0 && r.problems[k - 1].line > r.problems[k].line; k--) {
            kp_sheet_problem tmp = r.problems[k];
            r.problems[k] = r.problems[k - 1];
            r.problems[k - 1] = tmp;
        }
    *changes = r.changes;
    *n_changes = r.n_changes;
    *problems = r.problems;
    *n_problems = r.n_problems;
}

char *kp_sheet_annotate(kp_arena *a, const char *text, const kp_sheet_problem *p, size_t n,
                        const char *headline)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return NULL;
    if (headline) s_lines(f, "#! ", "#! ", headline);
    int lineno = 0;
    for (const char *s = text; *s;) {
        const char *nl = strchr(s, '\n');
        size_t l = nl ? (size_t)(nl - s) + 1 : strlen(s);
        lineno++;
        for (size_t i = 0; i < n; i++)
            if (p[i].line == lineno) s_lines(f, "#! ", "#!   ", p[i].message);
        if (strncmp(s, "#!", 2) != 0) fwrite(s, 1, l, f);
        if (!nl) {
            fputc('\n', f);
            break;
        }
        s = nl + 1;
    }
    /* problems past the end (a sheet that lost its lines) */
    for (size_t i = 0; i < n; i++)
        if (p[i].line > lineno) s_lines(f, "#! ", "#!   ", p[i].message);
    fclose(f);
    char *out = kp_arena_strdup(a, buf);
    free(buf);
    return out;
}

int kp_sheet_line_of(const char *text, const char *question)
{
    int lineno = 0;
    size_t ql = strlen(question);
    for (const char *s = text; *s;) {
        lineno++;
        const char *t = s;
        while (*t == ' ' || *t == '\t')
            t++;
        if (*t == '[' && strncmp(t + 1, question, ql) == 0 && t[1 + ql] == ']') return lineno;
        const char *nl = strchr(s, '\n');
        if (!nl) break;
        s = nl + 1;
    }
    return 1;
}

/* ---------------------------------------------------------------- CSV */

static void s_csv_field(FILE *f, const char *v)
{
    if (!strpbrk(v, ",\"\r\n")) {
        fputs(v, f);
        return;
    }
    fputc('"', f);
    for (const char *p = v; *p; p++) {
        if (*p == '"') fputc('"', f);
        fputc(*p, f);
    }
    fputc('"', f);
}

void kp_sheet_csv_write(FILE *f, const kp_sheet *s)
{
    fputs("question,points,rationale,text,max\r\n", f);
    for (size_t i = 0; i < s->n; i++) {
        const kp_sheet_question *q = &s->q[i];
        char b[24];
        s_csv_field(f, q->question);
        fputc(',', f);
        if (q->scored) fputs(kp_points_format(q->points_centi, b), f);
        fputc(',', f);
        s_csv_field(f, q->why ? q->why : "");
        fputc(',', f);
        s_csv_field(f, q->text);
        fputc(',', f);
        fputs(kp_points_format(q->max_centi, b), f);
        fputs("\r\n", f);
    }
}

/* One CSV record (RFC 4180) from *p: its fields (at most max kept) and how
 * many there were; *lines gets the newlines it spanned. *open is set when a
 * quote was never closed. */
static int s_csv_record(kp_arena *a, const char **p, char **fields, int max, int *lines, int *open)
{
    int n = 0;
    const char *s = *p;
    *lines = 0;
    *open = 0;
    for (;;) {
        char *buf = kp_arena_alloc(a, strlen(s) + 1);
        size_t len = 0;
        int quoted = 0;
        while (*s == ' ' || *s == '\t')
            s++;
        if (*s == '"') {
            quoted = 1;
            s++;
            for (;;) {
                if (!*s) {
                    *open = 1;
                    break;
                }
                if (*s == '"' && s[1] == '"') {
                    buf[len++] = '"';
                    s += 2;
                } else if (*s == '"') {
                    s++;
                    break;
                } else {
                    if (*s == '\n') (*lines)++;
                    buf[len++] = *s++;
                }
            }
        }
        while (*s && *s != ',' && *s != '\n' && *s != '\r')
            buf[len++] = *s++;
        buf[len] = '\0';
        if (n < max) fields[n] = quoted ? buf : kp_trim(buf);
        n++;
        if (*s == ',') {
            s++;
            continue;
        }
        if (*s == '\r') s++;
        if (*s == '\n') {
            s++;
            (*lines)++;
        }
        break;
    }
    *p = s;
    return n;
}

void kp_sheet_csv_parse(kp_arena *a, const kp_sheet *base, const char *text,
                        kp_sheet_change **changes, size_t *n_changes, kp_sheet_problem **problems,
                        size_t *n_problems)
{
    result r = {.a = a};
    entry *e = NULL;
    size_t n = 0, cap = 0;
    const char *p = text;
    if (strncmp(p, "\xEF\xBB\xBF", 3) == 0) p += 3; /* a spreadsheet's BOM */
    char *f[8];
    int lines, open;
    int nf = s_csv_record(a, &p, f, 8, &lines, &open);
    int line = 1 + lines;
    int header = nf;
    if (nf < 2 || strcmp(f[0], "question") || strcmp(f[1], "points") ||
        (nf > 2 && strcmp(f[2], "rationale"))) {
        s_problem(&r, 1, NULL,
                  "the first line must be the header question,points,rationale (more columns "
                  "may follow; they are ignored)");
        goto out;
    }
    while (*p) {
        int at = line;
        nf = s_csv_record(a, &p, f, 8, &lines, &open);
        line += lines;
        if (nf == 1 && !*f[0]) continue; /* a blank line */
        if (open) {
            s_problem(&r, at, NULL, "a quote (\") opened here is never closed");
            break;
        }
        if (nf != header) {
            s_problem(&r, at, nf ? f[0] : NULL,
                      "%d fields, but the header has %d (a comma in a rationale needs quotes: "
                      "\"Bra, men ...\")",
                      nf, header);
            continue;
        }
        if (!*f[0]) {
            s_problem(&r, at, NULL, "the question is empty");
            continue;
        }
        e = s_grow(a, e, sizeof *e, n, &cap);
        entry *x = &e[n++];
        memset(x, 0, sizeof *x);
        x->question = f[0];
        x->line = x->pts_line = at;
        x->pts = f[1];
        x->why = header > 2 ? f[2] : NULL;
        if (!x->why) {
            /* no rationale column: the rationale stays as it is */
            long qi = kp_sheet_find(base, x->question);
            x->why = qi >= 0 ? base->q[qi].why : "";
        }
    }
    s_check(&r, base, e, n);
out:
    for (size_t i = 1; i < r.n_problems; i++)
        for (size_t k = i; k > 0 && r.problems[k - 1].line > r.problems[k].line; k--) {
            kp_sheet_problem tmp = r.problems[k];
            r.problems[k] = r.problems[k - 1];
            r.problems[k - 1] = tmp;
        }
    *changes = r.changes;
    *n_changes = r.n_changes;
    *problems = r.problems;
    *n_problems = r.n_problems;
}

/* ---------------------------------------------------------------- JSON */

json_t *kp_sheet_json(const kp_sheet *s)
{
    json_t *qs = json_array();
    for (size_t i = 0; i < s->n; i++) {
        const kp_sheet_question *q = &s->q[i];
        json_array_append_new(
            qs, json_pack("{s:s,s:i,s:s,s:I,s:b,s:I,s:s,s:I}", "question", q->question, "area",
                          q->area, "text", q->text, "max_centi", (json_int_t)q->max_centi, "scored",
                          q->scored, "points_centi", (json_int_t)q->points_centi, "why",
                          q->why ? q->why : "", "version", (json_int_t)q->version));
    }
    return json_pack("{s:I,s:s,s:i,s:s,s:s,s:s,s:I,s:o}", "evaluation",
                     (json_int_t)s->evaluation_id, "title", s->title ? s->title : "", "area",
                     s->area, "area_title", s->area_title ? s->area_title : "", "evaluator",
                     s->evaluator, "evaluator_name", s->evaluator_name ? s->evaluator_name : "",
                     "version", (json_int_t)s->version, "questions", qs);
}

static const char *s_str(kp_arena *a, const json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));
    return kp_arena_strdup(a, v ? v : "");
}

int kp_sheet_from_json(kp_arena *a, const json_t *j, kp_sheet *s)
{
    memset(s, 0, sizeof *s);
    const json_t *qs = json_object_get(j, "questions");
    if (!json_is_object(j) || !json_is_array(qs) ||
        !json_is_string(json_object_get(j, "evaluator")))
        return -1;
    s->evaluation_id = json_integer_value(json_object_get(j, "evaluation"));
    s->title = s_str(a, j, "title");
    s->area = (int)json_integer_value(json_object_get(j, "area"));
    s->area_title = s_str(a, j, "area_title");
    s->evaluator = s_str(a, j, "evaluator");
    s->evaluator_name = s_str(a, j, "evaluator_name");
    s->version = json_integer_value(json_object_get(j, "version"));
    s->n = json_array_size(qs);
    s->q = kp_arena_zalloc(a, sizeof *s->q * (s->n + 1));
    for (size_t i = 0; i < s->n; i++) {
        const json_t *o = json_array_get(qs, i);
        kp_sheet_question *q = &s->q[i];
        if (!json_is_string(json_object_get(o, "question"))) return -1;
        q->question = s_str(a, o, "question");
        q->area = (int)json_integer_value(json_object_get(o, "area"));
        q->text = s_str(a, o, "text");
        q->max_centi = json_integer_value(json_object_get(o, "max_centi"));
        q->scored = json_is_true(json_object_get(o, "scored"));
        q->points_centi = json_integer_value(json_object_get(o, "points_centi"));
        q->why = s_str(a, o, "why");
        q->version = json_integer_value(json_object_get(o, "version"));
    }
    return 0;
}
