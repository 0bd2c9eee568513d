/*  import: checking a published evaluation before it is imported. */
#include "import.h"
#include "problems.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "points.h"

/* An optional whole number from lo to hi; -1 when absent or wrong. */
static long long s_whole(kp_problems *p, json_t *obj, const char *key, const char *where,
                         long long lo, long long hi)
{
    json_t *v = json_object_get(obj, key);
    if (!v) return -1;
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
        kp_problems_add(p, "%s%s%s: must be a whole number from %lld to %lld", where,
                        *where ? "." : "", key, lo, hi);
        return -1;
    }
    return json_integer_value(v);
}

/* A list of non-empty strings, as a new reference (NULL when absent/wrong). */
static json_t *s_list(kp_problems *p, json_t *obj, const char *key, const char *where)
{
    json_t *v = json_object_get(obj, key);
    if (!v) return NULL;
    if (!json_is_array(v)) {
        kp_problems_add(p, "%s.%s: must be a list of texts", where, key);
        return NULL;
    }
    size_t i;
    json_t *item;
    int ok = 1;
    json_array_foreach(v, i, item)
    {
        if (!json_is_string(item) || !*json_string_value(item) ||
            strlen(json_string_value(item)) > 4000) {
            kp_problems_add(p, "%s.%s[%zu]: must be a non-empty text of at most 4000 characters",
                            where, key, i);
            ok = 0;
        }
    }
    return ok ? json_incref(v) : NULL;
}

/* "", "YYYY" or "YYYY-MM" with a month that exists (import.h). */
int kp_period_ok(const char *c)
{
    size_t n = strlen(c);
    if (n == 0) return 1;
    if (n != 4 && n != 7) return 0;
    for (size_t i = 0; i < n; i++)
        if (i == 4 ? c[i] != '-' : !isdigit((unsigned char)c[i])) return 0;
    return n == 4 || (c[5] == '0' ? c[6] >= '1' && c[6] <= '9' : c[5] == '1' && c[6] <= '2');
}

/* "YYYY-MM-DD" with a month and day that exist. */
static int s_date_ok(const char *s)
{
    int y, m, d;
    char tail;
    if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3) return 0;
    static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1990 || y > 2100 || m < 1 || m > 12 || d < 1 || d > days[m - 1]) return 0;
    if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 0;
    return 1;
}

const char *kp_import_framework_code(kp_arena *arena, const char *text)
{
    json_t *doc = json_loads(text, 0, NULL);
    const char *code = json_string_value(json_object_get(doc, "framework"));
    const char *out = code ? kp_arena_strdup(arena, code) : NULL;
    json_decref(doc);
    return out;
}

static const kp_import_question *s_question(const kp_import_framework *fw, const char *code,
                                            size_t *index)
{
    for (size_t i = 0; i < fw->n; i++)
        if (strcmp(fw->questions[i].code, code) == 0) {
            *index = i;
            return &fw->questions[i];
        }
    return NULL;
}

static int s_area_exists(const kp_import_framework *fw, int number)
{
    for (size_t i = 0; i < fw->n; i++)
        if (fw->questions[i].area == number) return 1;
    return 0;
}

/* Checks one area; appends its scores and texts to plan; its whole points
 * into *achieved (-1 when its questions are not all valid). */
static void s_check_area(kp_problems *p, json_t *area, size_t ai, const kp_import_framework *fw,
                         int *seen_area, int *seen_q, kp_import_plan *plan, long long *achieved)
{
    static const char *const known[] = {"number",       "achieved",  "summary", "strengths",
                                        "improvements", "questions", NULL};
    char where[48];
    snprintf(where, sizeof where, "areas[%zu]", ai);
    *achieved = -1;
    if (!json_is_object(area)) {
        kp_problems_add(p, "%s: must be an object", where);
        return;
    }
    kp_problems_unknown_keys(p, area, where, known);
    long long number = s_whole(p, area, "number", where, 1, 99);
    if (!json_object_get(area, "number")) kp_problems_add(p, "%s.number: missing", where);
    if (number > 0 && fw->found) {
        if (!s_area_exists(fw, (int)number)) {
            kp_problems_add(p, "%s.number: the framework has no area %lld", where, number);
            number = -1;
        } else if (seen_area[number]) {
            kp_problems_add(p, "%s.number: area %lld appears twice", where, number);
            number = -1;
        } else {
            seen_area[number] = 1;
        }
    }
    long long printed = s_whole(p, area, "achieved", where, 0, 100000);
    const char *summary = kp_problems_string(p, area, "summary", where, 0, 20000);
    json_t *strengths = s_list(p, area, "strengths", where);
    json_t *improvements = s_list(p, area, "improvements", where);
    if (number > 0) {
        if (summary)
            json_array_append_new(plan->texts,
                                  json_pack("{s:I,s:s,s:s}", "area", (json_int_t)number, "section",
                                            "summary", "content", summary));
        if (strengths)
            json_array_append_new(plan->texts,
                                  json_pack("{s:I,s:s,s:O}", "area", (json_int_t)number, "section",
                                            "strengths", "content", strengths));
        if (improvements)
            json_array_append_new(plan->texts,
                                  json_pack("{s:I,s:s,s:O}", "area", (json_int_t)number, "section",
                                            "improvements", "content", improvements));
    }
    json_decref(strengths);
    json_decref(improvements);

    json_t *qs = json_object_get(area, "questions");
    if (!json_is_array(qs) || json_array_size(qs) == 0) {
        kp_problems_add(p, "%s.questions: must be a non-empty list", where);
        return;
    }
    long long sum = 0;
    int all_ok = 1;
    size_t qi;
    json_t *q;
    json_array_foreach(qs, qi, q)
    {
        static const char *const qknown[] = {"code", "points", "achieved_shown", "percent_shown",
                                             NULL};
        char qw[96];
        snprintf(qw, sizeof qw, "%s.questions[%zu]", where, qi);
        if (!json_is_object(q)) {
            kp_problems_add(p, "%s: must be an object", qw);
            all_ok = 0;
            continue;
        }
        kp_problems_unknown_keys(p, q, qw, qknown);
        const char *code = kp_problems_string(p, q, "code", qw, 1, 16);
        s_whole(p, q, "percent_shown", qw, 0, 100); /* printed; not compared (a misprint) */
        const kp_import_question *fq = NULL;
        size_t index = 0;
        if (code && fw->found) {
            fq = s_question(fw, code, &index);
            if (!fq)
                kp_problems_add(p, "%s.code: the framework has no question %s", qw, code);
            else if (number > 0 && fq->area != number) {
                kp_problems_add(p, "%s.code: question %s belongs to area %d, not %lld", qw, code,
                                fq->area, number);
                fq = NULL;
            } else if (seen_q[index]) {
                kp_problems_add(p, "%s.code: question %s appears twice", qw, code);
                fq = NULL;
            } else {
                seen_q[index] = 1;
            }
        }
        json_t *pv = json_object_get(q, "points");
        int64_t centi = -1;
        if (!pv) {
            kp_problems_add(p, "%s.points: missing", qw);
        } else if (!json_is_number(pv)) {
            kp_problems_add(p, "%s.points: must be a number of points", qw);
        } else {
            double d = json_number_value(pv);
            double c = d * 100.0;
            if (!(d >= 0) || d > 100000)
                kp_problems_add(p, "%s.points: must be 0 or more, not %g", qw, d);
            else if (fabs(c - round(c)) > 1e-6)
                kp_problems_add(p, "%s.points: %g has more than two decimals", qw, d);
            else
                centi = (int64_t)llround(c);
        }
        if (centi >= 0 && fq && centi > fq->max_centi) {
            char b1[24], b2[24];
            kp_problems_add(p, "%s.points: %s is more than question %s's max %s", qw,
                            kp_points_format(centi, b1), fq->code,
                            kp_points_format(fq->max_centi, b2));
            centi = -1;
        }
        long long shown = s_whole(p, q, "achieved_shown", qw, 0, 100000);
        if (centi >= 0 && shown >= 0 && shown != kp_points_round(centi)) {
            char b[24];
            kp_problems_add(p, "%s.achieved_shown: %lld, but %s points show as %lld", qw, shown,
                            kp_points_format(centi, b), (long long)kp_points_round(centi));
        }
        if (centi < 0 || !fq) {
            all_ok = 0;
            continue;
        }
        char b[24];
        sum += kp_points_round(centi);
        json_array_append_new(plan->scores, json_pack("{s:s,s:s}", "code", fq->code, "points",
                                                      kp_points_format(centi, b)));
    }
    if (!all_ok) return;
    if (printed >= 0 && printed != sum)
        kp_problems_add(p, "%s.achieved: %lld, but its questions' shown points sum to %lld", where,
                        printed, sum);
    *achieved = sum;
}

int kp_import_check(kp_arena *arena, const char *text, const kp_import_framework *fw,
                    char **problems_out, json_t **doc_out, kp_import_plan *plan)
{
    kp_problems p;
    kp_problems_init(&p, arena, KP_IMPORT_MAX_PROBLEMS);
    *doc_out = NULL;
    memset(plan, 0, sizeof *plan);
    json_error_t err;
    json_t *doc = json_loads(text, JSON_REJECT_DUPLICATES, &err);
    if (!doc) {
        kp_problems_add(&p, "not valid JSON at line %d, column %d: %s", err.line, err.column,
                        err.text);
        *problems_out = p.text;
        return p.count;
    }
    plan->scores = json_array();
    plan->texts = json_array();
    plan->evaluators = json_array();
    if (!json_is_object(doc)) {
        kp_problems_add(
            &p, "the document must be an object with municipality, framework, label and areas");
        goto out;
    }
    static const char *const known[] = {
        "municipality", "framework", "label",     "conducted", "report_date", "ordinal", "source",
        "evaluators",   "total",     "max_total", "areas",     "note",        NULL};
    kp_problems_unknown_keys(&p, doc, "document", known);
    kp_problems_string(&p, doc, "municipality", "", 1, 100);
    const char *code = kp_problems_string(&p, doc, "framework", "", 1, 32);
    if (code && !fw->found)
        kp_problems_add(
            &p,
            "framework: no framework '%s' (kompass framework list; an admin imports one "
            "with kompass framework import)",
            code);
    kp_problems_string(&p, doc, "label", "", 1, 40);
    /* the period orders the municipality's evaluations (sql/014_cycle.sql) */
    const char *conducted = kp_problems_string(&p, doc, "conducted", "", 0, 40);
    if (conducted && !kp_period_ok(conducted))
        kp_problems_add(&p, "conducted: '%s' is not a year and month YYYY-MM (or a year YYYY)",
                        conducted);
    kp_problems_string(&p, doc, "source", "", 0, 500);
    kp_problems_string(&p, doc, "note", "", 0, 5000);
    const char *date = kp_problems_string(&p, doc, "report_date", "", 0, 10);
    if (date && !s_date_ok(date))
        kp_problems_add(&p, "report_date: '%s' is not a date YYYY-MM-DD", date);
    s_whole(&p, doc, "ordinal", "", 1, 1000);
    long long total = s_whole(&p, doc, "total", "", 0, 100000);
    json_t *mt = json_object_get(doc, "max_total");
    if (mt && fw->found &&
        (!json_is_number(mt) || llround(json_number_value(mt) * 100.0) != fw->total_max_centi)) {
        char b[24];
        kp_problems_add(&p, "max_total: must be the framework's maximum, %s",
                        kp_points_format(fw->total_max_centi, b));
    }

    json_t *evs = json_object_get(doc, "evaluators");
    if (evs && !json_is_array(evs)) kp_problems_add(&p, "evaluators: must be a list");
    size_t ei;
    json_t *ev;
    if (json_is_array(evs)) json_array_foreach(evs, ei, ev)
        {
            static const char *const eknown[] = {"name", "organisation", "title", NULL};
            char ew[48];
            snprintf(ew, sizeof ew, "evaluators[%zu]", ei);
            if (!json_is_object(ev)) {
                kp_problems_add(&p, "%s: must be an object with name and organisation", ew);
                continue;
            }
            kp_problems_unknown_keys(&p, ev, ew, eknown);
            const char *name = kp_problems_string(&p, ev, "name", ew, 1, 200);
            const char *org = kp_problems_string(&p, ev, "organisation", ew, 0, 200);
            const char *title = kp_problems_string(&p, ev, "title", ew, 0, 200);
            if (name)
                json_array_append_new(plan->evaluators,
                                      json_pack("{s:s,s:s,s:s}", "name", name, "organisation",
                                                org ? org : "", "title", title ? title : ""));
        }

    json_t *areas = json_object_get(doc, "areas");
    if (!json_is_array(areas) || json_array_size(areas) == 0) {
        kp_problems_add(&p, "areas: must be a non-empty list");
        goto out;
    }
    if (json_array_size(areas) > 99) {
        kp_problems_add(&p, "areas: at most 99 areas");
        goto out;
    }
    int seen_area[100] = {0};
    int *seen_q = kp_arena_zalloc(arena, sizeof(int) * (fw->n + 1));
    long long sum = 0;
    int sum_ok = 1;
    size_t ai;
    json_t *area;
    json_array_foreach(areas, ai, area)
    {
        long long achieved;
        s_check_area(&p, area, ai, fw, seen_area, seen_q, plan, &achieved);
        if (achieved < 0)
            sum_ok = 0;
        else
            sum += achieved;
    }
    if (fw->found) {
        int last_area = -1;
        for (size_t i = 0; i < fw->n; i++) {
            const kp_import_question *q = &fw->questions[i];
            if (!seen_area[q->area]) {
                if (q->area != last_area) kp_problems_add(&p, "areas: area %d is missing", q->area);
                last_area = q->area;
            } else if (!seen_q[i]) {
                kp_problems_add(&p, "area %d: question %s is missing", q->area, q->code);
            }
        }
    }
    if (sum_ok && total >= 0 && total != sum)
        kp_problems_add(&p, "total: %lld, but the areas' achieved points sum to %lld", total, sum);
    plan->total = sum;
out:
    if (p.count > KP_IMPORT_MAX_PROBLEMS)
        p.text =
            kp_arena_printf(arena, "%s\n... and %d more", p.text, p.count - KP_IMPORT_MAX_PROBLEMS);
    *problems_out = p.text;
    if (p.count > 0) {
        json_decref(doc);
        kp_import_plan_free(plan);
    } else {
        *doc_out = doc;
    }
    return p.count;
}

void kp_import_plan_free(kp_import_plan *plan)
{
    json_decref(plan->scores);
    json_decref(plan->texts);
    json_decref(plan->evaluators);
    memset(plan, 0, sizeof *plan);
}
