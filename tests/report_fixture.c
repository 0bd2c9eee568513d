/*  report_fixture: Västerås stad 2017 from tests/data. */
#include "report_fixture.h"

#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

json_t *rf_load(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", KP_TEST_DATA_DIR, name);
    json_error_t e;
    json_t *j = json_load_file(path, 0, &e);
    cr_assert_not_null(j, "%s:%d: %s", path, e.line, e.text);
    return j;
}

static const char *s_str(kp_arena *a, json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    cr_assert_not_null(s, "missing string \"%s\"", key);
    return kp_arena_strdup(a, s);
}

static int64_t s_centi(json_t *num)
{
    cr_assert(json_is_number(num));
    return llround(json_number_value(num) * 100.0);
}

static kp_report_list s_list(kp_arena *a, json_t *arr)
{
    cr_assert(json_is_array(arr));
    kp_report_list l = {0};
    l.count = json_array_size(arr);
    const char **items = kp_arena_zalloc(a, sizeof(char *) * (l.count + 1));
    for (size_t i = 0; i < l.count; i++)
        items[i] = kp_arena_strdup(a, json_string_value(json_array_get(arr, i)));
    l.items = items;
    return l;
}

/* The published figure set's question of that code. */
static json_t *s_published_question(json_t *published, const char *code)
{
    json_t *areas = json_object_get(published, "areas");
    for (size_t i = 0; i < json_array_size(areas); i++) {
        json_t *qs = json_object_get(json_array_get(areas, i), "questions");
        for (size_t k = 0; k < json_array_size(qs); k++) {
            json_t *q = json_array_get(qs, k);
            if (strcmp(json_string_value(json_object_get(q, "code")), code) == 0) return q;
        }
    }
    cr_assert_fail("no published figures for question %s", code);
    return NULL;
}

static json_t *s_texts_area(json_t *texts, int number)
{
    json_t *areas = json_object_get(texts, "areas");
    for (size_t i = 0; i < json_array_size(areas); i++) {
        json_t *area = json_array_get(areas, i);
        if (json_integer_value(json_object_get(area, "number")) == number) return area;
    }
    cr_assert_fail("no texts for area %d", number);
    return NULL;
}

static const char *s_month(int month)
{
    static const char *const names[] = {"januari",   "februari", "mars",     "april",
                                        "maj",       "juni",     "juli",     "augusti",
                                        "september", "oktober",  "november", "december"};
    cr_assert(month >= 1 && month <= 12);
    return names[month - 1];
}

/* Made up for rendering: the seed's average and Västerås 2014 values are in
 * its radar chart only as a picture. */
static const int64_t s_average[8] = {7140, 7490, 6320, 6680, 6250, 7010, 5860, 7230};
static const int64_t s_previous[8] = {7400, 8000, 7000, 6900, 6400, 7200, 6600, 7900};

kp_report *rf_vasteras(kp_arena *a, rf_options opt)
{
    json_t *fw = rf_load("kommunkompassen-2015.json");
    json_t *pub = rf_load("vasteras-2017-published.json");
    json_t *texts = rf_load("vasteras-2017-texts.json");

    kp_report *r = kp_arena_zalloc(a, sizeof *r);
    json_t *fwinfo = json_object_get(fw, "framework");
    r->municipality = s_str(a, pub, "municipality");
    r->framework_code = s_str(a, fwinfo, "code");
    r->framework_name = s_str(a, fwinfo, "name");
    r->label = s_str(a, pub, "label");
    int year, month;
    cr_assert_eq(sscanf(s_str(a, pub, "conducted"), "%d-%d", &year, &month), 2);
    r->period = kp_arena_printf(a, "%s %d", s_month(month), year);
    r->date = s_str(a, pub, "report_date");
    r->ordinal = (int)json_integer_value(json_object_get(pub, "ordinal"));
    r->is_signed = opt.is_signed;
    r->source_note = "Poäng och texter som i SKL:s publicerade rapport (2017-09-30).";

    json_t *evs = json_object_get(pub, "evaluators");
    kp_report_evaluator *ev = kp_arena_zalloc(a, sizeof *ev * json_array_size(evs));
    for (size_t i = 0; i < json_array_size(evs); i++) {
        ev[i].name = s_str(a, json_array_get(evs, i), "name");
        ev[i].organisation = s_str(a, json_array_get(evs, i), "organisation");
    }
    r->evaluators = ev;
    r->n_evaluators = json_array_size(evs);

    json_t *fareas = json_object_get(fw, "areas");
    size_t n = json_array_size(fareas);
    cr_assert_eq(n, 8);
    kp_report_area *areas = kp_arena_zalloc(a, sizeof *areas * n);
    for (size_t i = 0; i < n; i++) {
        json_t *fa = json_array_get(fareas, i);
        kp_report_area *area = &areas[i];
        area->number = (int)json_integer_value(json_object_get(fa, "number"));
        area->title = s_str(a, fa, "title");
        area->headings = s_list(a, json_object_get(fa, "headings"));
        json_t *fq = json_object_get(fa, "questions");
        kp_report_question *qs = kp_arena_zalloc(a, sizeof *qs * json_array_size(fq));
        for (size_t k = 0; k < json_array_size(fq); k++) {
            json_t *q = json_array_get(fq, k);
            qs[k].code = s_str(a, q, "code");
            qs[k].text = s_str(a, q, "text");
            qs[k].max = s_centi(json_object_get(q, "max"));
            qs[k].points =
                s_centi(json_object_get(s_published_question(pub, qs[k].code), "points"));
        }
        area->questions = qs;
        area->n_questions = json_array_size(fq);
        json_t *t = s_texts_area(texts, area->number);
        area->general = s_str(a, t, "general");
        area->summary = s_str(a, t, "summary");
        area->strengths = s_list(a, json_object_get(t, "strengths"));
        area->improvements = s_list(a, json_object_get(t, "improvements"));
        area->average = s_average[i];
        area->previous = s_previous[i];
    }
    r->areas = areas;
    r->n_areas = n;

    if (opt.comparisons) {
        r->average_count = 12;
        r->average_from = 2015;
        r->average_to = 2017;
        r->previous_label = "Västerås 2014";
    }
    if (opt.is_signed) {
        /* made up: 2017-09-28 10:12, 2017-09-29 14:30, 2017-09-30 09:05 UTC */
        kp_report_signature *s = kp_arena_zalloc(a, sizeof *s * 3);
        s[0] = (kp_report_signature){"Christine Feuk", "SKL", 1506593520000000LL,
                                     KP_SIGNATURE_AUTHORED};
        s[1] = (kp_report_signature){"Ewa Luvö", "Borås Stad", 1506695400000000LL,
                                     KP_SIGNATURE_REVIEWED};
        s[2] =
            (kp_report_signature){"Anna Eklund", "SKL", 1506762300000000LL, KP_SIGNATURE_APPROVED};
        r->signatures = s;
        r->n_signatures = 3;
    }
    json_decref(fw);
    json_decref(pub);
    json_decref(texts);
    return r;
}

kp_report *rf_small(kp_arena *a)
{
    kp_report *r = kp_arena_zalloc(a, sizeof *r);
    r->municipality = "Provkommun";
    r->framework_code = "KK2015";
    r->framework_name = "Kommunkompassen (2015 års uppdatering)";
    r->label = "2026";
    r->period = "november 2026";
    r->date = "2026-11-26";
    r->ordinal = 1;
    static const char *const headings[] = {"Rubrik A", "Rubrik B"};
    static const char *const strengths[] = {"En styrka"};
    static const char *const improvements[] = {"En förbättringsmöjlighet"};
    kp_report_evaluator *ev = kp_arena_zalloc(a, sizeof *ev);
    *ev = (kp_report_evaluator){"Eva Utvärderare", "SKL", "senior konsult"};
    r->evaluators = ev;
    r->n_evaluators = 1;
    kp_report_area *areas = kp_arena_zalloc(a, sizeof *areas * 3);
    for (int i = 0; i < 3; i++) {
        kp_report_question *qs = kp_arena_zalloc(a, sizeof *qs * 2);
        qs[0] =
            (kp_report_question){kp_arena_printf(a, "%d.1", i + 1), "Första frågan?", 1000, 500};
        qs[1] =
            (kp_report_question){kp_arena_printf(a, "%d.2", i + 1), "Andra frågan?", 2000, 1250};
        areas[i] = (kp_report_area){
            .number = i + 1,
            .title = kp_arena_printf(a, "Område nummer %d", i + 1),
            .headings = {headings, 2},
            .general = "Allmän text.",
            .questions = qs,
            .n_questions = 2,
            .summary = "Första stycket.\n\nAndra stycket.",
            .strengths = {strengths, 1},
            .improvements = {improvements, 1},
            .average = 1500,
            .previous = 1800,
        };
    }
    r->areas = areas;
    r->n_areas = 3;
    return r;
}

kp_report_area *rf_areas(kp_report *r)
{
    return (kp_report_area *)r->areas;
}

kp_report_question *rf_questions(kp_report_area *area)
{
    return (kp_report_question *)area->questions;
}

size_t rf_count(const char *haystack, const char *needle)
{
    size_t n = 0;
    for (const char *p = haystack; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}
