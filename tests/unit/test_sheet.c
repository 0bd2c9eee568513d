/*  The score sheet (client/sheet.c): what a sheet says goes to the server
 *  exactly, what changed is found, and every problem is named with its line. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "sheet.h"

static kp_arena *a;
static kp_sheet base;
static kp_sheet_question qs[3];

static void setup(void)
{
    a = kp_arena_new();
    qs[0] = (kp_sheet_question){"1.1", 1, "Finns en plan?", 1500, 0, 0, "", 0};
    qs[1] = (kp_sheet_question){"1.2",
                                1,
                                "Informeras invånarna?",
                                2000,
                                1,
                                1250,
                                "Bra, men \"kan\" bli bättre\nAndra raden",
                                7};
    qs[2] = (kp_sheet_question){"1.3", 1, "Resultat?", 2500, 1, 2000, "", 8};
    base = (kp_sheet){.evaluation_id = 1,
                      .title = "Västerås stad 2017 on KK2015",
                      .area = 1,
                      .area_title = "Offentlighet och demokrati",
                      .evaluator = "ewa",
                      .evaluator_name = "Ewa Luvö",
                      .version = 9,
                      .q = qs,
                      .n = 3};
}

static void teardown(void)
{
    kp_arena_destroy(&a);
}

TestSuite(sheet, .init = setup, .fini = teardown);

/* Replaces the first from in text by to (in the arena). */
static char *s_sub(const char *text, const char *from, const char *to)
{
    const char *at = strstr(text, from);
    cr_assert(at, "'%s' not in the sheet:\n%s", from, text);
    return kp_arena_printf(a, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
}

static void s_parse(const char *text, size_t want_changes, size_t want_problems,
                    kp_sheet_change **ch, kp_sheet_problem **pr)
{
    size_t nch, npr;
    kp_sheet_parse(a, &base, text, ch, &nch, pr, &npr);
    for (size_t i = 0; i < npr; i++)
        cr_log_info("%s", kp_sheet_problem_text(a, &(*pr)[i]));
    cr_assert_eq(npr, want_problems, "%zu problems, not %zu", npr, want_problems);
    cr_assert_eq(nch, want_changes, "%zu changes, not %zu", nch, want_changes);
}

Test(sheet, an_untouched_sheet_changes_nothing)
{
    char *t = kp_sheet_format(a, &base);
    cr_assert(strstr(t, "[1.2]\n# Informeras invånarna? (max 20)\npoints = 12.5\nwhy = Bra, men "
                        "\"kan\" bli bättre\n    Andra raden\n"),
              "%s", t);
    cr_assert(strstr(t, "[1.1]\n# Finns en plan? (max 15)\npoints =\nwhy =\n"), "%s", t);
    cr_assert(strstr(t, "# Evaluator: ewa (Ewa Luvö), as of evaluation version 9"), "%s", t);
    kp_sheet_change *ch;
    kp_sheet_problem *pr;
    s_parse(t, 0, 0, &ch, &pr);
}

Test(sheet, changed_points_and_rationales_are_found_exactly)
{
    char *t = kp_sheet_format(a, &base);
    t = s_sub(t, "[1.1]\n# Finns en plan? (max 15)\npoints =\nwhy =\n",
              "[1.1]\npoints = 12,5\nwhy = Tydlig plan\n  som följs upp\n\n   varje år  \n# a "
              "comment inside\n");
    t = s_sub(t, "points = 20\n", "points = 20.00\n"); /* the same number: no change */
    kp_sheet_change *ch;
    kp_sheet_problem *pr;
    s_parse(t, 1, 0, &ch, &pr);
    cr_assert_eq(ch[0].q, 0);
    cr_assert_eq(ch[0].points_centi, 1250);
    cr_assert_str_eq(ch[0].why, "Tydlig plan\nsom följs upp\n\nvarje år");
    /* only the rationale */
    t = kp_sheet_format(a, &base);
    t = s_sub(t, "    Andra raden\n", "    Andra raden, ändrad\n");
    s_parse(t, 1, 0, &ch, &pr);
    cr_assert_eq(ch[0].q, 1);
    cr_assert_eq(ch[0].points_centi, 1250);
    cr_assert_str_eq(ch[0].why, "Bra, men \"kan\" bli bättre\nAndra raden, ändrad");
}

Test(sheet, every_problem_is_named_with_its_line)
{
    const char text[] = "stray words\n" /* 1 */
                        "[1.1]\n"       /* 2 */
                        "points = 27\n" /* 3 */
                        "[1.2]\n"       /* 4 */
                        "points =\n"    /* 5 */
                        "why = gone\n"  /* 6 */
                        "[1.3]\n"       /* 7 */
                        "points = 1x\n" /* 8 */
                        "pints = 3\n"   /* 9 */
                        "[9.9]\n"       /* 10 */
                        "points = 1\n"  /* 11 */
                        "[1.1\n"        /* 12 */
                        "[1.3]\n"       /* 13 */
                        "points = 2\n"  /* 14 */
                        "points = 3\n"; /* 15 */
    kp_sheet_change *ch;
    kp_sheet_problem *pr;
    size_t nch, npr;
    kp_sheet_parse(a, &base, text, &ch, &nch, &pr, &npr);
    const char *want[] = {
        "line 1: 'stray words' is neither `points = ...` nor `why = ...`",
        "line 3, [1.1]: 27 exceeds the max of 15",
        "line 5, [1.2]: points are empty, but 1.2 has a score (12.5): a score cannot be removed",
        "line 8, [1.3]: '1x' is not a number of points (0 to 25",
        "line 9, [1.3]: 'pints = 3' is neither",
        "line 10, [9.9]: no such question in area 1 of this sheet",
        "line 12: '[1.1' is not a question's line, like [1.4]",
        "line 13, [1.3]: given twice (first at line 7)",
        "line 15, [1.3]: points given twice (also at line 14)",
    };
    size_t nwant = sizeof want / sizeof *want;
    for (size_t i = 0; i < npr; i++)
        cr_log_info("%s", kp_sheet_problem_text(a, &pr[i]));
    cr_assert_eq(npr, nwant, "%zu problems", npr);
    for (size_t i = 0; i < nwant; i++)
        cr_assert(strncmp(kp_sheet_problem_text(a, &pr[i]), want[i], strlen(want[i])) == 0,
                  "problem %zu is '%s', not '%s...'", i, kp_sheet_problem_text(a, &pr[i]), want[i]);
    /* a rationale without points on an unscored question */
    kp_sheet_parse(a, &base, "[1.1]\npoints =\nwhy = varför?\n", &ch, &nch, &pr, &npr);
    cr_assert_eq(npr, 1);
    cr_assert_str_eq(pr[0].message, "a rationale needs points");
}

Test(sheet, annotations_replace_the_last_ones_and_sit_above_their_lines)
{
    const char text[] = "[1.1]\npoints = 27\nwhy =\n";
    kp_sheet_problem p[1] = {{2, "1.1", "27 exceeds the max of 15"}};
    char *once = kp_sheet_annotate(a, text, p, 1, "1 problem");
    cr_assert_str_eq(once,
                     "#! 1 problem\n[1.1]\n#! 27 exceeds the max of 15\npoints = 27\nwhy =\n");
    /* annotating the annotated text (line numbers as the user saw them) */
    kp_sheet_problem q[1] = {{4, "1.1", "still 27"}};
    char *twice = kp_sheet_annotate(a, once, q, 1, NULL);
    cr_assert_str_eq(twice, "[1.1]\n#! still 27\npoints = 27\nwhy =\n");
    cr_assert_eq(kp_sheet_line_of(twice, "1.1"), 1);
    cr_assert_eq(kp_sheet_line_of("x\n  [1.3]\n", "1.3"), 2);
}

Test(sheet, csv_round_trips_and_names_every_bad_row)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    kp_sheet_csv_write(f, &base);
    fclose(f);
    cr_assert(strstr(buf, "question,points,rationale,text,max\r\n1.1,,,Finns en plan?,15\r\n"
                          "1.2,12.5,\"Bra, men \"\"kan\"\" bli bättre\nAndra raden\",Informeras "
                          "invånarna?,20\r\n"),
              "%s", buf);
    kp_sheet_change *ch;
    kp_sheet_problem *pr;
    size_t nch, npr;
    kp_sheet_csv_parse(a, &base, buf, &ch, &nch, &pr, &npr);
    cr_assert_eq(npr, 0);
    cr_assert_eq(nch, 0, "an exported sheet imported again changed %zu scores", nch);
    free(buf);
    /* a spreadsheet's file: BOM, no rationale column (rationales stay) */
    kp_sheet_csv_parse(a, &base, "\xEF\xBB\xBFquestion,points\n1.2,13\n\n1.1,4\n", &ch, &nch, &pr,
                       &npr);
    cr_assert_eq(npr, 0);
    cr_assert_eq(nch, 2);
    cr_assert_str_eq(ch[0].why, "Bra, men \"kan\" bli bättre\nAndra raden");
    const char bad[] = "question,points,rationale\n"
                       "1.1,16,\n"             /* 2 */
                       "1.2,3,Bra, men inte\n" /* 3 */
                       "1.3,\"x\n"             /* 4: never closed */
                       "1.1,1,\n";
    kp_sheet_csv_parse(a, &base, bad, &ch, &nch, &pr, &npr);
    cr_assert_eq(npr, 3, "%zu", npr);
    cr_assert_str_eq(kp_sheet_problem_text(a, &pr[0]), "line 2, [1.1]: 16 exceeds the max of 15");
    cr_assert(strstr(kp_sheet_problem_text(a, &pr[1]), "line 3, [1.2]: 4 fields, but the header "
                                                       "has 3"));
    cr_assert(strstr(kp_sheet_problem_text(a, &pr[2]), "line 4: a quote"));
    kp_sheet_csv_parse(a, &base, "q,p\n", &ch, &nch, &pr, &npr);
    cr_assert_eq(npr, 1);
    cr_assert(strstr(pr[0].message, "header question,points,rationale"));
}

Test(sheet, the_json_form_gives_back_the_same_sheet)
{
    json_t *j = kp_sheet_json(&base);
    kp_sheet back;
    cr_assert_eq(kp_sheet_from_json(a, j, &back), 0);
    json_decref(j);
    cr_assert_str_eq(kp_sheet_format(a, &back), kp_sheet_format(a, &base));
    cr_assert_eq(back.q[1].version, 7);
    json_t *bad = json_pack("{s:s}", "evaluator", "ewa");
    cr_assert_eq(kp_sheet_from_json(a, bad, &back), -1);
    json_decref(bad);
}
