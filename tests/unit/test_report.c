/*  report: the model's arithmetic against the published Västerås 2017 report,
 *  rounding, checks, and the wording helpers. */
#include <criterion/criterion.h>
#include <string.h>

#include "report.h"
#include "report_fixture.h"
#include "report_text.h"
#include "status.h"

static kp_arena *a;
static void setup(void)
{
    a = kp_arena_new();
}
static void teardown(void)
{
    kp_arena_destroy(&a);
}
TestSuite(report, .init = setup, .fini = teardown);
TestSuite(report_text, .init = setup, .fini = teardown);

/* The one figure the seed misprints: 8.7, 12 of 15, printed as 87% (8.6's
 * percent repeated); 12 of 15 is 80%. */
#define MISPRINTED_CODE    "8.7"
#define MISPRINTED_PERCENT 87
#define MISPRINT_CORRECTED 80

static const kp_report_question *s_find(const kp_report *r, const char *code,
                                        const kp_report_area **area)
{
    for (size_t i = 0; i < r->n_areas; i++)
        for (size_t k = 0; k < r->areas[i].n_questions; k++)
            if (strcmp(r->areas[i].questions[k].code, code) == 0) {
                if (area) *area = &r->areas[i];
                return &r->areas[i].questions[k];
            }
    cr_assert_fail("no question %s", code);
    return NULL;
}

Test(report, vasteras_2017_reproduces_every_printed_figure)
{
    kp_report *r = rf_vasteras(a, (rf_options){0});
    char err[256];
    cr_assert_eq(kp_report_check(r, err, sizeof err), KP_OK, "%s", err);
    json_t *pub = rf_load("vasteras-2017-published.json");
    json_t *areas = json_object_get(pub, "areas");
    cr_assert_eq(json_array_size(areas), r->n_areas);

    size_t questions = 0, percents = 0;
    for (size_t i = 0; i < json_array_size(areas); i++) {
        json_t *pa = json_array_get(areas, i);
        json_t *pqs = json_object_get(pa, "questions");
        for (size_t k = 0; k < json_array_size(pqs); k++) {
            json_t *pq = json_array_get(pqs, k);
            const char *code = json_string_value(json_object_get(pq, "code"));
            const kp_report_area *area;
            const kp_report_question *q = s_find(r, code, &area);
            cr_assert_eq(area->number, (int)(i + 1), "%s is in area %zu", code, i + 1);
            cr_expect_eq(kp_report_question_shown(q),
                         json_integer_value(json_object_get(pq, "achieved_shown")),
                         "question %s: shown points", code);
            questions++;
            if (strcmp(code, MISPRINTED_CODE) == 0) continue; /* its own test below */
            cr_expect_eq(kp_report_question_percent(q),
                         json_integer_value(json_object_get(pq, "percent_shown")),
                         "question %s: percent", code);
            percents++;
        }
        /* the area's total row prints achieved, 100 and achieved% */
        const kp_report_area *area = &r->areas[i];
        int64_t printed = json_integer_value(json_object_get(pa, "achieved"));
        cr_expect_eq(kp_report_area_achieved(area), printed, "area %zu: achieved", i + 1);
        cr_expect_eq(kp_report_area_max(area), 100 * 100, "area %zu: max", i + 1);
        cr_expect_eq(kp_report_area_percent(area), printed, "area %zu: percent", i + 1);
    }
    cr_assert_eq(questions, 45);
    cr_assert_eq(percents, 44);
    cr_assert_eq(kp_report_total(r), json_integer_value(json_object_get(pub, "total")));
    cr_assert_eq(kp_report_total(r), 616);
    cr_assert_eq(kp_report_total_max(r), 800 * 100);
    cr_assert_eq(kp_report_total_percent(r), 77);
    cr_assert_eq(kp_report_unscored(r), 0);
    json_decref(pub);
}

Test(report, the_seed_misprints_exactly_one_percent_8_7)
{
    kp_report *r = rf_vasteras(a, (rf_options){0});
    json_t *pub = rf_load("vasteras-2017-published.json");
    json_t *areas = json_object_get(pub, "areas");
    size_t mismatches = 0;
    for (size_t i = 0; i < json_array_size(areas); i++) {
        json_t *pqs = json_object_get(json_array_get(areas, i), "questions");
        for (size_t k = 0; k < json_array_size(pqs); k++) {
            json_t *pq = json_array_get(pqs, k);
            const char *code = json_string_value(json_object_get(pq, "code"));
            const kp_report_question *q = s_find(r, code, NULL);
            if (kp_report_question_percent(q) !=
                json_integer_value(json_object_get(pq, "percent_shown"))) {
                mismatches++;
                cr_expect_str_eq(code, MISPRINTED_CODE, "unexpected mismatch at %s", code);
            }
        }
    }
    cr_assert_eq(mismatches, 1);
    const kp_report_question *q = s_find(r, MISPRINTED_CODE, NULL);
    cr_assert_eq(q->points, 1200);
    cr_assert_eq(q->max, 1500);
    cr_assert_eq(kp_report_question_shown(q), 12, "its shown points are printed right");
    cr_assert_eq(kp_report_question_percent(q), MISPRINT_CORRECTED);
    cr_assert_neq(kp_report_question_percent(q), MISPRINTED_PERCENT);
    json_decref(pub);
}

Test(report, decimals_show_rounded_points_and_exact_percents)
{
    kp_report *r = rf_vasteras(a, (rf_options){0});
    /* 4.2: 8.2 of 10 printed "8" and "82%"; 5.1: 11.25 of 15, "11" and "75%" */
    const kp_report_question *q = s_find(r, "4.2", NULL);
    cr_assert_eq(q->points, 820);
    cr_assert_eq(kp_report_question_shown(q), 8);
    cr_assert_eq(kp_report_question_percent(q), 82);
    q = s_find(r, "5.1", NULL);
    cr_assert_eq(kp_report_question_shown(q), 11);
    cr_assert_eq(kp_report_question_percent(q), 75);
    /* area 4: exact 77.3 points, achieved the sum of shown: 77 */
    cr_assert_eq(kp_report_area_exact(&r->areas[3]), 7730);
    cr_assert_eq(kp_report_area_achieved(&r->areas[3]), 77);
    cr_assert_eq(kp_report_total_exact(r), 61525);
}

static int64_t s_shown(int64_t points)
{
    kp_report_question q = {"x", "x", 10000, points};
    return kp_report_question_shown(&q);
}

static int64_t s_percent(int64_t points, int64_t max)
{
    kp_report_question q = {"x", "x", max, points};
    return kp_report_question_percent(&q);
}

Test(report, rounding_is_half_up)
{
    cr_assert_eq(s_shown(0), 0);
    cr_assert_eq(s_shown(49), 0);
    cr_assert_eq(s_shown(50), 1);
    cr_assert_eq(s_shown(1249), 12);
    cr_assert_eq(s_shown(1250), 13, "12.5 rounds up, not to even");
    cr_assert_eq(s_shown(1150), 12, "11.5 rounds up, not to even");
    cr_assert_eq(s_shown(1251), 13);
    cr_assert_eq(s_shown(1299), 13);
    cr_assert_eq(s_percent(150, 2000), 8, "7.5% rounds up");
    cr_assert_eq(s_percent(149, 2000), 7, "7.45%");
    cr_assert_eq(s_percent(250, 2000), 13, "12.5% rounds up, not to even");
    cr_assert_eq(s_percent(100, 300), 33, "33.33%");
    cr_assert_eq(s_percent(200, 300), 67, "66.67%");
    cr_assert_eq(s_percent(1110, 1500), 74, "74.0%");
    cr_assert_eq(s_percent(0, 1500), 0);
    cr_assert_eq(s_percent(1500, 1500), 100);
}

Test(report, an_area_sums_shown_points_not_exact_ones)
{
    kp_report *r = rf_small(a);
    kp_report_question *qs = rf_questions(&rf_areas(r)[0]);
    qs[0].points = 250; /* 2.5 of 10 shows 3 */
    qs[1].points = 250; /* 2.5 of 20 shows 3 */
    cr_assert_eq(kp_report_area_exact(&r->areas[0]), 500);
    cr_assert_eq(kp_report_area_achieved(&r->areas[0]), 6);
    cr_assert_eq(kp_report_area_max(&r->areas[0]), 3000);
    cr_assert_eq(kp_report_area_percent(&r->areas[0]), 20, "6 of 30");
    /* areas 2 and 3: 5 + 12.5 -> 5 + 13 = 18 each */
    cr_assert_eq(kp_report_total(r), 6 + 18 + 18);
    cr_assert_eq(kp_report_total_max(r), 9000);
    cr_assert_eq(kp_report_total_percent(r), 47, "42 of 90 is 46.67%");
}

Test(report, unscored_questions_show_nothing_and_count_nothing)
{
    kp_report *r = rf_small(a);
    kp_report_question *qs = rf_questions(&rf_areas(r)[1]);
    qs[1].points = KP_REPORT_UNSCORED;
    char err[256];
    cr_assert_eq(kp_report_check(r, err, sizeof err), KP_OK, "%s", err);
    cr_assert_not(kp_report_question_scored(&qs[1]));
    cr_assert_eq(kp_report_question_shown(&qs[1]), KP_REPORT_UNSCORED);
    cr_assert_eq(kp_report_question_percent(&qs[1]), KP_REPORT_UNSCORED);
    cr_assert_eq(kp_report_area_achieved(&r->areas[1]), 5);
    cr_assert_eq(kp_report_area_unscored(&r->areas[1]), 1);
    cr_assert_eq(kp_report_unscored(r), 1);
    cr_assert_eq(kp_report_total(r), 18 + 5 + 18);
}

/* Expects the check to fail with a sentence that holds `says`. */
static void s_refused(const kp_report *r, const char *says)
{
    char err[256] = "";
    cr_assert_eq(kp_report_check(r, err, sizeof err), KP_BAD_REQUEST, "expected: %s", says);
    cr_assert(strstr(err, says), "\"%s\" does not say \"%s\"", err, says);
}

Test(report, check_refuses_what_the_arithmetic_cannot_take)
{
    kp_report *r = rf_small(a);
    kp_report_area *areas = rf_areas(r);
    kp_report_question *qs = rf_questions(&areas[0]);
    char err[256];
    cr_assert_eq(kp_report_check(r, err, sizeof err), KP_OK, "%s", err);

    qs[0].points = 1001;
    s_refused(r, "question 1.1: points 10.01 are outside 0..max");
    qs[0].points = -2;
    s_refused(r, "question 1.1: points -0.02");
    qs[0].points = 500;
    qs[1].max = 0;
    s_refused(r, "question 1.2: max 0");
    qs[1].max = 2000;
    qs[1].text = "";
    s_refused(r, "area 1: question 2 has no code or text");
    qs[1].text = "Andra frågan?";

    /* comparison values are checked only when the report has them */
    areas[2].average = 3001;
    cr_assert_eq(kp_report_check(r, err, sizeof err), KP_OK, "%s", err);
    r->average_count = 4;
    s_refused(r, "area 3: average 30.01 is outside 0..max");
    areas[2].average = 3000;
    areas[1].previous = -100;
    r->previous_label = "Provkommun 2022";
    s_refused(r, "area 2: previous -1 is outside 0..max");
    areas[1].previous = 0;
    cr_assert_eq(kp_report_check(r, err, sizeof err), KP_OK, "%s", err);

    areas[0].title = NULL;
    s_refused(r, "area 1 has no title");
    areas[0].title = "T";
    areas[0].n_questions = 0;
    s_refused(r, "area 1 has no questions");
    areas[0].n_questions = 2;
    static const char *const holes[] = {"ok", ""};
    areas[0].strengths = (kp_report_list){holes, 2};
    s_refused(r, "area 1: strengths item 2 is empty");
    areas[0].strengths = (kp_report_list){NULL, 0};
    r->municipality = "";
    s_refused(r, "municipality");
    r->municipality = "Provkommun";
    kp_report_signature sig = {"", "SKL", 0, KP_SIGNATURE_APPROVED};
    r->signatures = &sig;
    r->n_signatures = 1;
    s_refused(r, "signature 1 has no printed name");
    sig.name = "Eva";
    sig.meaning = (kp_signature_meaning)7;
    s_refused(r, "signature 1 has an unknown meaning 7");
    sig.meaning = KP_SIGNATURE_REVIEWED;
    r->n_areas = 0;
    s_refused(r, "at least one area");
}

Test(report, points_are_formatted_with_as_few_decimals_as_needed)
{
    char b[KP_REPORT_POINTS_BUF];
    cr_assert_str_eq(kp_report_points_format(1125, b), "11.25");
    cr_assert_str_eq(kp_report_points_format(820, b), "8.2");
    cr_assert_str_eq(kp_report_points_format(1500, b), "15");
    cr_assert_str_eq(kp_report_points_format(5, b), "0.05");
    cr_assert_str_eq(kp_report_points_format(0, b), "0");
    cr_assert_str_eq(kp_report_points_format(-250, b), "-2.5");
    cr_assert_str_eq(kp_report_points_format_sv(820, b), "8,2");
    cr_assert_str_eq(kp_report_points_format_sv(61525, b), "615,25");
    cr_assert_str_eq(kp_report_meaning_name(KP_SIGNATURE_APPROVED), "approved");
}

Test(report_text, swedish_ordinals)
{
    const struct {
        int n;
        const char *s;
    } cases[] = {{1, "1:a"},   {2, "2:a"},   {3, "3:e"},   {5, "5:e"},     {11, "11:e"},
                 {12, "12:e"}, {21, "21:a"}, {22, "22:a"}, {101, "101:a"}, {111, "111:e"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        cr_assert_str_eq(kp_report_sv_ordinal(a, cases[i].n), cases[i].s);
}

Test(report_text, sentences_follow_the_model)
{
    kp_report *r = rf_vasteras(a, (rf_options){.comparisons = true});
    cr_assert_str_eq(kp_report_sv_evaluation(a, r),
                     "Utvärderingen av Västerås stad genomfördes i mars 2017 och var kommunens "
                     "5:e utvärdering enligt Kommunkompassen.");
    cr_assert_str_eq(kp_report_sv_total(a, r), "616 av 800 poäng");
    cr_assert_str_eq(kp_report_sv_areas_intro(a, r),
                     "Bedömningen görs inom åtta huvudområden om vardera 100 poäng, sammanlagt "
                     "800 poäng:");
    cr_assert_str_eq(kp_report_sv_average(a, r), "Genomsnitt av 12 andra kommuner, 2015–2017");
    r->average_from = r->average_to = 0;
    cr_assert_str_eq(kp_report_sv_average_set(a, r), "12 andra kommuner, alla år");
    r->average_count = 1;
    r->average_from = r->average_to = 2017;
    cr_assert_str_eq(kp_report_sv_no_average(a, r),
                     "Inget genomsnitt visas: jämförelsen omfattar 1 annan kommun, 2017 (minst 3 "
                     "behövs).");
    cr_assert(!kp_report_has_average(r));
    r->average_count = 3;
    cr_assert(kp_report_has_average(r));
    r->average_count = 12;
    r->average_from = 2015;
    cr_assert_str_eq(kp_report_sv_current(a, r), "Västerås stad 2017");
    r->period = NULL;
    r->ordinal = 0;
    cr_assert_str_eq(kp_report_sv_evaluation(a, r),
                     "Utvärderingen av Västerås stad gjordes enligt Kommunkompassen.");
    cr_assert_str_eq(kp_report_sv_time(a, 1506762300000000LL), "2017-09-30 09:05 UTC");
    cr_assert_str_eq(kp_report_iso_time(a, 1506762300000000LL), "2017-09-30T09:05:00Z");
}

Test(report_text, paragraphs_are_separated_by_blank_lines)
{
    const char *text = "\n  Ett\nstycke.  \n\nTvå.\n \t\n\n  Tre. \n";
    const char *cursor = text, *s;
    size_t n;
    cr_assert(kp_report_next_paragraph(&cursor, &s, &n));
    cr_assert_eq(n, strlen("Ett\nstycke."));
    cr_assert(strncmp(s, "Ett\nstycke.", n) == 0);
    cr_assert(kp_report_next_paragraph(&cursor, &s, &n));
    cr_assert(strncmp(s, "Två.", n) == 0 && n == strlen("Två."));
    cr_assert(kp_report_next_paragraph(&cursor, &s, &n));
    cr_assert(strncmp(s, "Tre.", n) == 0 && n == 4);
    cr_assert_not(kp_report_next_paragraph(&cursor, &s, &n));
    cursor = NULL;
    cr_assert_not(kp_report_next_paragraph(&cursor, &s, &n));
    cursor = " \n ";
    cr_assert_not(kp_report_next_paragraph(&cursor, &s, &n));
}

Test(report_text, labels_wrap_at_spaces_counting_characters_not_bytes)
{
    const char *starts[3];
    size_t lens[3];
    /* "tillgänglighet och bemötande" is 28 characters but 30 bytes */
    size_t n = kp_report_wrap("2. Brukarfokus, tillgänglighet och bemötande", 28, starts, lens, 3);
    cr_assert_eq(n, 2);
    cr_assert(strncmp(starts[0], "2. Brukarfokus,", lens[0]) == 0 && lens[0] == 15);
    cr_assert(strncmp(starts[1], "tillgänglighet och bemötande", lens[1]) == 0);
    n = kp_report_wrap("åäö åäö", 7, starts, lens, 3);
    cr_assert_eq(n, 1, "7 characters fit in 7 although they are 13 bytes");
    n = kp_report_wrap("ett två tre fyra fem sex", 3, starts, lens, 2);
    cr_assert_eq(n, 2);
    cr_assert(strncmp(starts[1], "två tre fyra fem sex", lens[1]) == 0,
              "the last line takes the rest");
    n = kp_report_wrap("Kommunövergripande", 5, starts, lens, 3);
    cr_assert_eq(n, 1, "a long word gets a line of its own");
    cr_assert_eq(kp_report_wrap("", 5, starts, lens, 3), 0);
}
