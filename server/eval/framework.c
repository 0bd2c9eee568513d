/*  framework: checking a framework version before anything is written. */
#include "framework.h"
#include "problems.h"

#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* A JSON number with at most two decimals, > 0 and <= limit, in centi. */
static int s_points(kp_problems *r, json_t *v, const char *where, double limit, long long *centi)
{
    if (!json_is_number(v)) {
        kp_problems_add(r, "%s: must be a number of points", where);
        return -1;
    }
    double d = json_number_value(v);
    double c = d * 100.0;
    if (!(d > 0) || d > limit) {
        kp_problems_add(r, "%s: must be more than 0 and at most %g, not %g", where, limit, d);
        return -1;
    }
    if (fabs(c - round(c)) > 1e-6) {
        kp_problems_add(r, "%s: %g has more than two decimals", where, d);
        return -1;
    }
    *centi = (long long)llround(c);
    return 0;
}

static void s_check_area(kp_problems *r, json_t *area, size_t ai, json_t *seen_codes, int *numbers,
                         size_t n_areas)
{
    static const char *const known[] = {"number", "title",     "headings", "general_text",
                                        "max",    "questions", NULL};
    char where[64];
    snprintf(where, sizeof where, "areas[%zu]", ai);
    if (!json_is_object(area)) {
        kp_problems_add(r, "%s: must be an object", where);
        return;
    }
    kp_problems_unknown_keys(r, area, where, known);
    json_t *num = json_object_get(area, "number");
    int number = -1;
    if (!json_is_integer(num) || json_integer_value(num) < 1 || json_integer_value(num) > 99) {
        kp_problems_add(r, "%s.number: must be a whole number from 1 to 99", where);
    } else {
        number = (int)json_integer_value(num);
        for (size_t k = 0; k < ai && k < n_areas; k++)
            if (numbers[k] == number)
                kp_problems_add(r, "%s.number: area %d appears twice", where, number);
        numbers[ai] = number;
    }
    kp_problems_string(r, area, "title", where, 1, 200);
    kp_problems_string(r, area, "general_text", where, 0, 20000);
    json_t *headings = json_object_get(area, "headings");
    if (headings) {
        if (!json_is_array(headings)) {
            kp_problems_add(r, "%s.headings: must be a list of strings", where);
        } else {
            size_t hi;
            json_t *h;
            json_array_foreach(headings, hi, h) if (!json_is_string(h))
                kp_problems_add(r, "%s.headings[%zu]: must be a string", where, hi);
        }
    }
    long long area_max = 0;
    char mw[80];
    snprintf(mw, sizeof mw, "%s.max", where);
    int max_ok = s_points(r, json_object_get(area, "max"), mw, 1000, &area_max) == 0;

    json_t *qs = json_object_get(area, "questions");
    if (!json_is_array(qs) || json_array_size(qs) == 0) {
        kp_problems_add(r, "%s.questions: must be a non-empty list", where);
        return;
    }
    long long sum = 0;
    int sum_ok = 1;
    size_t qi;
    json_t *q;
    json_array_foreach(qs, qi, q)
    {
        static const char *const qknown[] = {"code", "text", "max", NULL};
        char qw[96];
        snprintf(qw, sizeof qw, "%s.questions[%zu]", where, qi);
        if (!json_is_object(q)) {
            kp_problems_add(r, "%s: must be an object", qw);
            sum_ok = 0;
            continue;
        }
        kp_problems_unknown_keys(r, q, qw, qknown);
        const char *code = kp_problems_string(r, q, "code", qw, 1, 16);
        if (code) {
            if (json_object_get(seen_codes, code))
                kp_problems_add(r, "%s.code: question %s appears twice", qw, code);
            json_object_set_new(seen_codes, code, json_true());
            char prefix[16];
            snprintf(prefix, sizeof prefix, "%d.", number);
            if (number > 0 && strncmp(code, prefix, strlen(prefix)) != 0)
                kp_problems_add(r, "%s.code: %s does not belong to area %d (expected %s...)", qw,
                                code, number, prefix);
        }
        kp_problems_string(r, q, "text", qw, 1, 2000);
        long long qmax;
        char qmw[112];
        snprintf(qmw, sizeof qmw, "%s.max", qw);
        if (s_points(r, json_object_get(q, "max"), qmw, 1000, &qmax) == 0)
            sum += qmax;
        else
            sum_ok = 0;
    }
    if (max_ok && sum_ok && sum != area_max)
        kp_problems_add(r, "%s: its questions' maxima sum to %g, not to the area's max %g", where,
                        (double)sum / 100.0, (double)area_max / 100.0);
}

int kp_framework_check(kp_arena *arena, const char *text, char **problems, json_t **doc_out)
{
    kp_problems r;
    kp_problems_init(&r, arena, KP_FRAMEWORK_MAX_PROBLEMS);
    *doc_out = NULL;
    json_error_t err;
    json_t *doc = json_loads(text, JSON_REJECT_DUPLICATES, &err);
    if (!doc) {
        kp_problems_add(&r, "not valid JSON at line %d, column %d: %s", err.line, err.column,
                        err.text);
        *problems = r.text;
        return r.count;
    }
    if (!json_is_object(doc)) {
        kp_problems_add(&r, "the document must be an object with \"framework\" and \"areas\"");
        goto out;
    }
    static const char *const known[] = {"framework", "areas", NULL};
    kp_problems_unknown_keys(&r, doc, "document", known);
    json_t *fw = json_object_get(doc, "framework");
    if (!json_is_object(fw)) {
        kp_problems_add(&r, "framework: missing, or not an object with code, name and year");
    } else {
        static const char *const fknown[] = {"code", "name", "year", "note", NULL};
        kp_problems_unknown_keys(&r, fw, "framework", fknown);
        const char *code = kp_problems_string(&r, fw, "code", "framework", 1, 32);
        if (code) {
            regex_t re;
            regcomp(&re, "^[A-Za-z0-9][A-Za-z0-9._-]*$", REG_EXTENDED | REG_NOSUB);
            if (regexec(&re, code, 0, NULL, 0) != 0)
                kp_problems_add(
                    &r, "framework.code: '%s' may hold only letters, digits, '.', '_' and '-'",
                    code);
            regfree(&re);
        }
        kp_problems_string(&r, fw, "name", "framework", 1, 200);
        kp_problems_string(&r, fw, "note", "framework", 0, 5000);
        json_t *year = json_object_get(fw, "year");
        if (!json_is_integer(year) || json_integer_value(year) < 1990 ||
            json_integer_value(year) > 2100)
            kp_problems_add(&r, "framework.year: must be a year from 1990 to 2100");
    }
    json_t *areas = json_object_get(doc, "areas");
    if (!json_is_array(areas) || json_array_size(areas) == 0) {
        kp_problems_add(&r, "areas: must be a non-empty list");
    } else if (json_array_size(areas) > 99) {
        kp_problems_add(&r, "areas: at most 99 areas");
    } else {
        int numbers[99];
        for (int i = 0; i < 99; i++)
            numbers[i] = -1;
        json_t *codes = json_object();
        size_t ai;
        json_t *area;
        json_array_foreach(areas, ai, area) s_check_area(&r, area, ai, codes, numbers, 99);
        json_decref(codes);
    }
out:
    if (r.count > KP_FRAMEWORK_MAX_PROBLEMS)
        r.text = kp_arena_printf(arena, "%s\n... and %d more", r.text,
                                 r.count - KP_FRAMEWORK_MAX_PROBLEMS);
    *problems = r.text;
    *doc_out = doc;
    return r.count;
}
