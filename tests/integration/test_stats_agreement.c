/*  kompass stats agreement: agreement across every signed evaluation, through
 *  the CLI against a real kompassd and PostgreSQL.
 *
 *  Sign-off has no RPC yet, so the fixture is made as people would make it
 *  up to scoring (evaluators score through the CLI), and the status is then
 *  moved along the legal transitions in SQL (scoring -> consensus -> review
 *  -> signed; sql/005's trigger refuses any other move).
 *
 *  The scores (points; KK2015 maxima 1.1: 15, 1.2: 20, 1.3: 25, 1.4: 30):
 *
 *    A  signed     christine  ewa        B  signed     christine  jonas
 *       1.1        10         10            1.1        10         5
 *       1.2        15         12            1.2        15         15
 *       1.3        20         20            1.3        20         -
 *       1.4        25         24
 *
 *    C  in review  christine 0 / ewa 15 on 1.1 and 0 / 20 on 1.2 (not signed:
 *                  must not count)
 *    D  signed, no individual scores (as an imported evaluation): no effect
 *
 *  Hand-computed expectations are next to each assertion.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static th_server *s;
static char admin[300], christine[300], ewa[300], jonas[300];

static void setup(void)
{
    s = th_server_start(NULL);
    th_admin_login(s, admin, sizeof admin);
    th_user(s, admin, "christine", "Christine Feuk", "SKL", "evaluator", christine,
            sizeof christine);
    th_user(s, admin, "ewa", "Ewa Luvö", "Borås Stad", "evaluator", ewa, sizeof ewa);
    th_user(s, admin, "jonas", "Jonas Berg", "Örebro kommun", "evaluator", jonas, sizeof jonas);
}

static void teardown(void)
{
    th_server_free(&s);
}

TestSuite(stats_agreement, .init = setup, .fini = teardown, .timeout = 240);

/* A new evaluation of municipality with lead and peer, in scoring; its id
 * as text into ids (32 bytes). */
static void s_eval(const char *municipality, const char *lead, const char *lead_home,
                   const char *peer, char *ids)
{
    snprintf(ids, 32, "%lld", th_eval(s, admin, municipality, "2017"));
    char *err = NULL;
    cr_assert_eq(
        th_cli_as(s, admin, NULL, NULL, &err, "eval", "assign", ids, lead, "--as", "lead", NULL), 0,
        "%s", err);
    free(err);
    err = NULL;
    cr_assert_eq(
        th_cli_as(s, admin, NULL, NULL, &err, "eval", "assign", ids, peer, "--as", "peer", NULL), 0,
        "%s", err);
    free(err);
    err = NULL;
    cr_assert_eq(th_cli_as(s, lead_home, NULL, NULL, &err, "eval", "start", ids, NULL), 0, "%s",
                 err);
    free(err);
}

static void s_score(const char *home, const char *ids, const char *question, const char *points)
{
    char *err = NULL;
    cr_assert_eq(th_cli_as(s, home, NULL, NULL, &err, "score", "set", ids, question, points, NULL),
                 0, "score set %s %s %s: %s", ids, question, points, err);
    free(err);
}

/* Moves evaluation ids from scoring along the legal transitions up to
 * status (the trigger of sql/005 checks each step). */
static void s_move(const char *ids, const char *status)
{
    static const char *const steps[] = {"consensus", "review", "signed"};
    for (size_t i = 0; i < 3; i++) {
        char q[160];
        snprintf(q, sizeof q, "UPDATE evaluations SET status = '%s' WHERE id = %s", steps[i], ids);
        free(th_sql(s, q));
        if (strcmp(steps[i], status) == 0) return;
    }
}

static double s_real(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    cr_assert(json_is_number(v), "%s is not a number", key);
    return json_number_value(v);
}

/* The element of array arr whose key is value. */
static json_t *s_find(json_t *arr, const char *key, const char *value)
{
    size_t i;
    json_t *o;
    json_array_foreach(arr, i, o)
    {
        if (strcmp(json_string_value(json_object_get(o, key)), value) == 0) return o;
    }
    cr_assert_fail("no %s %s", key, value);
    return NULL;
}

static void s_fixture(void)
{
    char a[32], b[32], c[32], d[32];
    s_eval("Västerås stad", "christine", christine, "ewa", a);
    s_eval("Eskilstuna kommun", "christine", christine, "jonas", b);
    s_eval("Karlstads kommun", "christine", christine, "ewa", c);
    s_eval("Umeå kommun", "christine", christine, "ewa", d);
    static const char *const sa[][3] = {
        {"1.1", "10", "10"}, {"1.2", "15", "12"}, {"1.3", "20", "20"}, {"1.4", "25", "24,5"}};
    for (size_t i = 0; i < 4; i++) {
        s_score(christine, a, sa[i][0], sa[i][1]);
        s_score(ewa, a, sa[i][0], sa[i][2]);
    }
    /* ewa's 24.5 on 1.4, corrected to 24: only the last score counts */
    s_score(ewa, a, "1.4", "24");
    s_score(christine, b, "1.1", "10");
    s_score(jonas, b, "1.1", "5");
    s_score(christine, b, "1.2", "15");
    s_score(jonas, b, "1.2", "15");
    s_score(christine, b, "1.3", "20");
    s_score(christine, c, "1.1", "0");
    s_score(ewa, c, "1.1", "15");
    s_score(christine, c, "1.2", "0");
    s_score(ewa, c, "1.2", "20");
    s_move(a, "signed");
    s_move(b, "signed");
    s_move(c, "review");
    s_move(d, "signed");
}

Test(stats_agreement, nothing_signed_yet_gives_no_figures)
{
    json_t *doc = th_json(s, admin, 0, "stats", "agreement", NULL);
    cr_assert_str_eq(json_string_value(json_object_get(doc, "framework")), "KK2015");
    cr_assert_eq(json_integer_value(json_object_get(doc, "evaluations")), 0);
    json_t *overall = json_object_get(doc, "overall");
    cr_assert_eq(json_integer_value(json_object_get(overall, "pairable_units")), 0);
    cr_assert(json_is_null(json_object_get(overall, "exact_agreement")));
    cr_assert(json_is_null(json_object_get(overall, "krippendorff_alpha_interval")));
    cr_assert_eq(json_array_size(json_object_get(doc, "questions")), 0);
    cr_assert_eq(json_array_size(json_object_get(doc, "pairs")), 0);
    json_decref(doc);
    char *out = NULL;
    cr_assert_eq(th_cli_as(s, admin, NULL, &out, NULL, "stats", "agreement", NULL), 0);
    cr_assert(strstr(out, "no question of a signed evaluation was scored by two"), "%s", out);
    free(out);
}

Test(stats_agreement, figures_over_signed_evaluations_match_hand_computation)
{
    s_fixture();
    /* --json after the command works as well as before it */
    char *out = NULL, *err = NULL;
    cr_assert_eq(th_cli_as(s, admin, NULL, &out, &err, "stats", "agreement", "--framework",
                           "KK2015", "--json", NULL),
                 0, "%s", err);
    json_error_t je;
    json_t *doc = json_loads(out, 0, &je);
    cr_assert(doc, "%s", out);
    free(out);
    free(err);

    /* A and B count; C is not signed, D has no individual scores */
    cr_assert_eq(json_integer_value(json_object_get(doc, "evaluations")), 2);
    cr_assert_eq(json_integer_value(json_object_get(doc, "evaluators")), 3);

    /* Overall, units = (evaluation, question) scored by two: A1.1-A1.4, B1.1,
     * B1.2 (B1.3 has one score). Differences 0, 3, 0, 1, 5, 0:
     * exact 3/6, mean 9/6. Alpha: D_o = 2 * (0+9+0+1+25+0) / 12 = 35/6; the
     * 12 values sum to 181, their squares to 3145, so D_e = 2 * (3145 -
     * 181^2/12) / 11 = 4979/66, alpha = 1 - 385/4979 = 0.92268. Three
     * evaluators: no kappa. */
    json_t *o = json_object_get(doc, "overall");
    cr_assert_eq(json_integer_value(json_object_get(o, "pairable_units")), 6);
    cr_assert_float_eq(s_real(o, "exact_agreement"), 0.5, 1e-9);
    cr_assert_float_eq(s_real(o, "mean_abs_difference"), 1.5, 1e-9);
    cr_assert_float_eq(s_real(o, "krippendorff_alpha_interval"), 1.0 - 385.0 / 4979.0, 1e-9);
    cr_assert(json_is_null(json_object_get(o, "weighted_kappa_quadratic")));

    /* Questions, by mean difference / max: 1.1 (2.5/15), 1.2 (1.5/20),
     * 1.4 (1/30), 1.3 (0). */
    json_t *qs = json_object_get(doc, "questions");
    cr_assert_eq(json_array_size(qs), 4);
    static const char *const order[] = {"1.1", "1.2", "1.4", "1.3"};
    for (size_t i = 0; i < 4; i++)
        cr_assert_str_eq(json_string_value(json_object_get(json_array_get(qs, i), "code")),
                         order[i]);
    json_t *q11 = s_find(qs, "code", "1.1");
    cr_assert_eq(json_integer_value(json_object_get(q11, "evaluations")), 2);
    cr_assert_str_eq(json_string_value(json_object_get(q11, "max")), "15");
    cr_assert_float_eq(s_real(q11, "exact_agreement"), 0.5, 1e-9);
    cr_assert_float_eq(s_real(q11, "mean_abs_difference"), 2.5, 1e-9);
    cr_assert_float_eq(s_real(q11, "mean_spread"), 2.5, 1e-9);
    cr_assert_float_eq(s_real(q11, "relative_difference"), 2.5 / 15, 1e-9);
    /* values 10 10 | 10 5: D_o = 2 * 25 / 4, D_e = 2 * 18.75 / 3: alpha 0 */
    cr_assert_float_eq(s_real(q11, "krippendorff_alpha_interval"), 0.0, 1e-9);
    cr_assert(json_is_null(json_object_get(q11, "weighted_kappa_quadratic"))); /* 3 raters */
    /* 1.3: only A pairs (20, 20): agreement, but nothing varies */
    json_t *q13 = s_find(qs, "code", "1.3");
    cr_assert_eq(json_integer_value(json_object_get(q13, "evaluations")), 1);
    cr_assert_float_eq(s_real(q13, "exact_agreement"), 1.0, 1e-9);
    cr_assert(json_is_null(json_object_get(q13, "krippendorff_alpha_interval")));
    cr_assert(json_is_null(json_object_get(q13, "weighted_kappa_quadratic")));
    /* 1.4: christine and ewa only, one unit (25, 24): kappa = 2 cov / (var +
     * var + 1^2) = 0 */
    json_t *q14 = s_find(qs, "code", "1.4");
    cr_assert_float_eq(s_real(q14, "weighted_kappa_quadratic"), 0.0, 1e-9);

    /* Pairs, by mean |a - b| / max: christine/jonas (5/15 + 0) / 2 = 0.1667,
     * christine/ewa (0 + 3/20 + 0 + 1/30) / 4 = 0.0458. */
    json_t *ps = json_object_get(doc, "pairs");
    cr_assert_eq(json_array_size(ps), 2);
    json_t *cj = json_array_get(ps, 0), *ce = json_array_get(ps, 1);
    cr_assert_str_eq(json_string_value(json_array_get(json_object_get(cj, "evaluators"), 1)),
                     "jonas");
    cr_assert_str_eq(json_string_value(json_array_get(json_object_get(ce, "evaluators"), 1)),
                     "ewa");
    /* christine/jonas on B 1.1, 1.2: (10, 5), (15, 15): means 12.5, 10,
     * variances 6.25, 25, covariance 12.5: kappa = 25 / 37.5 */
    cr_assert_eq(json_integer_value(json_object_get(cj, "shared_questions")), 2);
    cr_assert_float_eq(s_real(cj, "exact_agreement"), 0.5, 1e-9);
    cr_assert_float_eq(s_real(cj, "mean_abs_difference"), 2.5, 1e-9);
    cr_assert_float_eq(s_real(cj, "weighted_kappa_quadratic"), 2.0 / 3.0, 1e-9);
    /* christine/ewa on A only (C is not signed): (10,10) (15,12) (20,20)
     * (25,24): variances 31.25, 32.75, covariance 31.25, means 17.5, 16.5:
     * kappa = 62.5 / 65 = 25/26 */
    cr_assert_eq(json_integer_value(json_object_get(ce, "shared_questions")), 4);
    cr_assert_float_eq(s_real(ce, "exact_agreement"), 0.5, 1e-9);
    cr_assert_float_eq(s_real(ce, "mean_abs_difference"), 1.0, 1e-9);
    cr_assert_float_eq(s_real(ce, "weighted_kappa_quadratic"), 25.0 / 26.0, 1e-9);
    json_decref(doc);

    /* The table for people: least agreement first */
    out = NULL;
    cr_assert_eq(th_cli_as(s, admin, NULL, &out, NULL, "stats", "agreement", NULL), 0);
    cr_assert(strstr(out, "Agreement on KK2015"), "%s", out);
    cr_assert(strstr(out, "2 signed evaluations with individual scores, 3 evaluators"), "%s", out);
    cr_assert(strstr(out, "exact 50%, mean difference 1.50, alpha 0.92, kappa -"), "%s", out);
    char *cj_at = strstr(out, "christine / jonas"), *ce_at = strstr(out, "christine / ewa");
    cr_assert(cj_at && ce_at && cj_at < ce_at, "%s", out);
    cr_assert(strstr(out, "1.1       15    2      50%    2.50"), "%s", out);
    free(out);
}

Test(stats_agreement, is_for_administrators_and_names_bad_input)
{
    char *err = NULL;
    cr_assert_eq(th_cli_as(s, christine, NULL, NULL, &err, "stats", "agreement", NULL), 4);
    cr_assert(strstr(err, "stats_agreement is for admin; you are evaluator"), "%s", err);
    free(err);
    err = NULL;
    cr_assert_eq(
        th_cli_as(s, admin, NULL, NULL, &err, "stats", "agreement", "--framework", "KK1999", NULL),
        5);
    cr_assert(strstr(err, "no framework 'KK1999'"), "%s", err);
    free(err);
    err = NULL;
    cr_assert_eq(th_cli_as(s, admin, NULL, NULL, &err, "stats", NULL), 2);
    cr_assert(strstr(err, "stats needs a subcommand"), "%s", err);
    free(err);
    err = NULL;
    cr_assert_eq(th_cli_as(s, admin, NULL, NULL, &err, "stats", "agreement", "--frame", "x", NULL),
                 2);
    cr_assert(strstr(err, "unknown option '--frame'"), "%s", err);
    free(err);
    /* the server's own counters stay where they were */
    cr_assert_eq(th_cli_as(s, admin, NULL, NULL, NULL, "admin", "stats", NULL), 0);
}
