/*  The KommunKompassen cycle across rounds (issue 19), against a real
 *  kompassd and PostgreSQL, through the real `kompass`.
 *
 *  - ordinals: counted from the evaluation before by period, imports before
 *    and after Kompass-made evaluations, gaps (earlier rounds not in
 *    Kompass), stated ordinals and their corrections with `eval set`,
 *    ordinals that would not grow refused; history oldest first; the
 *    report's date and "kommunens 5:e utvärdering"; the previous round's
 *    series in the report's formats; an imported round's texts.
 *  - search shows an area's score as the report does.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define IMPORTS KP_SOURCE_DIR "/tests/data/import"
#define V2014   IMPORTS "/vasteras-2014.json"

static th_server *s;
static char admin[300];

static void setup(void)
{
    s = th_server_start(NULL);
    th_admin_login(s, admin, sizeof admin);
}

static void teardown(void)
{
    th_server_free(&s);
}

TestSuite(cycle, .init = setup, .fini = teardown, .timeout = 300);

/* The ordinal of municipality m's evaluation labelled label, as eval show says. */
static long long s_ordinal(const char *m, const char *label)
{
    char sql[300];
    snprintf(sql, sizeof sql,
             "SELECT e.id FROM evaluations e JOIN municipalities m ON m.id = e.municipality_id"
             " WHERE m.name = '%s' AND e.label = '%s'",
             m, label);
    char *id = th_sql(s, sql);
    json_t *doc = th_json(s, admin, 0, "eval", "show", id, NULL);
    free(id);
    long long n = (long long)json_integer_value(json_object_get(doc, "ordinal"));
    json_decref(doc);
    return n;
}

static long long s_create(const char *m, const char *label, const char *period, const char *ordinal)
{
    th_cli_as(s, admin, NULL, NULL, NULL, "municipality", "add", m, NULL);
    json_t *doc =
        ordinal
            ? th_json(s, admin, 0, "eval", "create", "--municipality", m, "--framework", "KK2015",
                      "--label", label, "--period", period, "--ordinal", ordinal, NULL)
            : th_json(s, admin, 0, "eval", "create", "--municipality", m, "--framework", "KK2015",
                      "--label", label, "--period", period, NULL);
    long long id = (long long)json_integer_value(json_object_get(doc, "id"));
    json_decref(doc);
    cr_assert_gt(id, 0);
    return id;
}

/* id as text (one of a few rotating buffers, for argument lists). */
static const char *s_id(long long id)
{
    static char bufs[4][32];
    static int next;
    char *b = bufs[next++ % 4];
    snprintf(b, 32, "%lld", id);
    return b;
}

/* The file at path with each from[i] replaced by to[i] (once), written to
 * out_path in the server's data dir. */
static void s_rewrite(const char *path, const char *name, const char *const *from,
                      const char *const *to, size_t n, char *out_path, size_t len)
{
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s", path);
    static char buf[1 << 20];
    size_t got = fread(buf, 1, sizeof buf - 1, f);
    buf[got] = '\0';
    fclose(f);
    for (size_t i = 0; i < n; i++) {
        char *at = strstr(buf, from[i]);
        cr_assert_not_null(at, "%s has no '%s'", path, from[i]);
        size_t fl = strlen(from[i]), tl = strlen(to[i]);
        cr_assert_lt(got + tl, sizeof buf);
        memmove(at + tl, at + fl, strlen(at + fl) + 1);
        memcpy(at, to[i], tl);
        got = strlen(buf);
    }
    snprintf(out_path, len, "%s/%s", s->dir, name);
    f = fopen(out_path, "w");
    cr_assert_not_null(f);
    fputs(buf, f);
    fclose(f);
}

Test(cycle, vasteras_2017_after_its_2014_import_is_the_5th_with_the_2014_series)
{
    cr_assert_eq(th_cli_as(s, admin, NULL, NULL, NULL, "import", V2014, NULL), 0);
    /* the past round carries its texts: what it asked to improve */
    char *v14 = th_sql(s, "SELECT id FROM evaluations WHERE label = '2014'");
    json_t *r14 = th_json(s, admin, 0, "report", v14, "--format", "json", NULL);
    free(v14);
    json_t *imp = json_object_get(json_array_get(json_object_get(r14, "areas"), 0), "improvements");
    cr_assert_eq(json_array_size(imp), 2);
    cr_assert_str_eq(json_string_value(json_array_get(imp, 0)),
                     "Dialog kring verksamhetsresultat med invånarna.");
    json_decref(r14);
    long long id = s_create("Västerås stad", "2017", "2017-03", NULL);
    cr_assert_eq(s_ordinal("Västerås stad", "2017"), 5, "counted on from 2014's stated 4");
    char *out = NULL, *err = NULL;
    cr_assert_eq(th_cli_as(s, admin, NULL, &out, &err, "eval", "show", s_id(id), NULL), 0, "%s",
                 err);
    cr_assert(strstr(out, "(5th evaluation of Västerås stad)"), "%s", out);
    cr_assert(strstr(out, "ordinal   5th evaluation of Västerås stad (counted from the earlier"),
              "%s", out);
    free(out);
    free(err);

    /* history: in the order conducted, oldest first */
    json_t *h = th_json(s, admin, 0, "history", "Västerås stad", NULL);
    json_t *evs = json_object_get(h, "evaluations");
    cr_assert_eq(json_array_size(evs), 2);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(evs, 0), "label")), "2014");
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(evs, 1), "label")), "2017");
    json_decref(h);

    /* the report's date, set by the lead or an admin */
    out = err = NULL;
    cr_assert_eq(th_cli_as(s, admin, NULL, &out, &err, "eval", "set", s_id(id), "--report-date",
                           "2017-09-30", NULL),
                 0, "%s", err);
    cr_assert(strstr(out, "report date 2017-09-30"), "%s", out);
    free(out);
    free(err);

    /* every format: the 2014 series, the ordinal, the date */
    json_t *r = th_json(s, admin, 0, "report", s_id(id), "--format", "json", NULL);
    cr_assert_eq(json_integer_value(json_object_get(r, "ordinal")), 5);
    cr_assert_str_eq(json_string_value(json_object_get(r, "date")), "2017-09-30");
    cr_assert_str_eq(
        json_string_value(json_object_get(json_object_get(r, "comparison"), "previous_label")),
        "Västerås stad 2014");
    json_t *a1 = json_array_get(json_object_get(r, "areas"), 0);
    cr_assert_eq(json_integer_value(json_object_get(a1, "previous")), 74, "2014's area 1");
    json_decref(r);
    const char *formats[] = {"md", "html", "csv"};
    for (size_t i = 0; i < 3; i++) {
        out = err = NULL;
        cr_assert_eq(
            th_cli_as(s, admin, NULL, &out, &err, "report", s_id(id), "--format", formats[i], NULL),
            0, "%s", err);
        cr_assert(strstr(out, "Västerås stad 2014"), "%s: no 2014 series", formats[i]);
        if (i < 2) {
            cr_assert(strstr(out, "kommunens 5:e utvärdering"), "%s", formats[i]);
            cr_assert(strstr(out, "2017-09-30"), "%s", formats[i]);
        }
        free(out);
        free(err);
    }
}

Test(cycle, ordinals_with_imports_before_and_after_gaps_and_corrections)
{
    /* a Kompass-made one first: nothing earlier, so the 1st */
    long long k2019 = s_create("Testby kommun", "2019", "2019-05", NULL);
    cr_assert_eq(s_ordinal("Testby kommun", "2019"), 1);

    /* an earlier round imported afterwards, stated as the 3rd (a gap: the
     * first two are not in Kompass): 2019 follows it */
    const char *from[] = {"\"Västerås stad\"", "\"conducted\": \"2014-03\"", "\"ordinal\": 4"};
    const char *to[] = {"\"Testby kommun\"", "\"conducted\": \"2015-10\"", "\"ordinal\": 3"};
    char path[400];
    s_rewrite(V2014, "testby-2014.json", from, to, 3, path, sizeof path);
    char *out = NULL, *err = NULL;
    cr_assert_eq(th_cli_as(s, admin, NULL, &out, &err, "import", path, NULL), 0, "%s%s", out, err);
    free(out);
    free(err);
    cr_assert_eq(s_ordinal("Testby kommun", "2014"), 3);
    cr_assert_eq(s_ordinal("Testby kommun", "2019"), 4, "renumbered after the import");

    /* a later one counts on */
    long long k2021 = s_create("Testby kommun", "2021", "2021-09", NULL);
    cr_assert_eq(s_ordinal("Testby kommun", "2021"), 5);

    /* a stated ordinal, and the ones after it follow */
    json_t *j = th_json(s, admin, 0, "eval", "set", s_id(k2019), "--ordinal", "7", NULL);
    cr_assert_eq(json_integer_value(json_object_get(j, "ordinal")), 7);
    cr_assert(json_is_true(json_object_get(j, "ordinal_given")));
    json_t *moved = json_object_get(j, "renumbered");
    cr_assert_eq(json_array_size(moved), 1);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(moved, 0), "label")), "2021");
    cr_assert_eq(json_integer_value(json_object_get(json_array_get(moved, 0), "to")), 8);
    json_decref(j);
    cr_assert_eq(s_ordinal("Testby kommun", "2021"), 8);

    /* one that would not grow in the order conducted is refused, naming both */
    out = err = NULL;
    cr_assert_eq(
        th_cli_as(s, admin, NULL, &out, &err, "eval", "set", s_id(k2021), "--ordinal", "2", NULL),
        3);
    cr_assert(strstr(err, "2021 would be the 2. evaluation but comes after 2019, the 7."), "%s",
              err);
    free(out);
    free(err);
    cr_assert_eq(s_ordinal("Testby kommun", "2021"), 8, "nothing changed");
    out = err = NULL;
    cr_assert_eq(th_cli_as(s, admin, NULL, &out, &err, "eval", "create", "--municipality",
                           "Testby kommun", "--framework", "KK2015", "--label", "2020", "--period",
                           "2020-01", "--ordinal", "2", NULL),
                 3);
    free(out);
    free(err);
    cr_assert_str_eq(th_sql(s, "SELECT count(*) FROM evaluations WHERE label = '2020'"), "0");

    /* counted again */
    j = th_json(s, admin, 0, "eval", "set", s_id(k2019), "--ordinal", "counted", NULL);
    cr_assert_eq(json_integer_value(json_object_get(j, "ordinal")), 4);
    cr_assert(json_is_false(json_object_get(j, "ordinal_given")));
    json_decref(j);
    cr_assert_eq(s_ordinal("Testby kommun", "2021"), 5);

    /* a period corrected moves it in the order: 2021 was really 2012 */
    j = th_json(s, admin, 0, "eval", "set", s_id(k2021), "--period", "2012-04", NULL);
    cr_assert_eq(json_integer_value(json_object_get(j, "ordinal")), 1);
    json_decref(j);
    cr_assert_eq(s_ordinal("Testby kommun", "2019"), 4, "after the stated 3rd still");
    json_t *h = th_json(s, admin, 0, "history", "Testby kommun", NULL);
    json_t *evs = json_object_get(h, "evaluations");
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(evs, 0), "label")), "2021");
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(evs, 2), "label")), "2019");
    json_decref(h);

    /* audited, with the values before and after */
    char *after = th_sql(s, "SELECT after FROM audit_events WHERE action = 'eval.set' ORDER BY id "
                            "DESC LIMIT 1");
    cr_assert(strstr(after, "\"period\":\"2012-04\""), "%s", after);
    free(after);

    /* bad input, each with its sentence */
    out = err = NULL;
    cr_assert_eq(th_cli_as(s, admin, NULL, &out, &err, "eval", "set", s_id(k2019), "--period",
                           "mars 2019", NULL),
                 1);
    cr_assert(strstr(err, "--period must be the year and month"), "%s", err);
    free(out);
    free(err);
    out = err = NULL;
    cr_assert_eq(th_cli_as(s, admin, NULL, &out, &err, "eval", "set", s_id(k2019), "--report-date",
                           "2019-02-30", NULL),
                 1);
    cr_assert(strstr(err, "--report-date 2019-02-30 is not a date"), "%s", err);
    free(out);
    free(err);

    /* a signed evaluation's period is what was signed */
    char *imported = th_sql(s, "SELECT id FROM evaluations WHERE label = '2014'");
    out = err = NULL;
    cr_assert_eq(
        th_cli_as(s, admin, NULL, &out, &err, "eval", "set", imported, "--period", "2014-04", NULL),
        1);
    cr_assert(strstr(err, "is signed and its period is part of what was signed"), "%s", err);
    free(out);
    free(err);
    /* its report date is not */
    cr_assert_eq(th_cli_as(s, admin, NULL, NULL, NULL, "eval", "set", imported, "--report-date",
                           "2015-12-01", NULL),
                 0);
    json_t *v = th_json(s, admin, 0, "eval", "verify", imported, NULL);
    cr_assert(json_is_true(json_object_get(v, "ok")));
    json_decref(v);
    free(imported);
}

Test(cycle, only_an_admin_or_the_lead_corrects)
{
    char lead[300], peer[300];
    long long id = th_scoring_eval(s, admin, lead, peer);
    char *out = NULL, *err = NULL;
    cr_assert_eq(
        th_cli_as(s, peer, NULL, &out, &err, "eval", "set", s_id(id), "--ordinal", "5", NULL), 4);
    free(out);
    free(err);
    cr_assert_eq(
        th_cli_as(s, lead, NULL, NULL, NULL, "eval", "set", s_id(id), "--ordinal", "5", NULL), 0);
    cr_assert_eq(s_ordinal("Västerås stad", "2017"), 5);
}

/* search shows an area's score as the report does: the sum of its questions'
 * shown (whole, half up) points, not the exact sum (issue 19: 80.1 vs 81) */
Test(cycle, search_shows_the_area_score_the_report_shows)
{
    const char *from[] = {"\"code\": \"1.1\",\n     \"points\": 12"};
    const char *to[] = {"\"code\": \"1.1\",\n     \"points\": 11.5"};
    char path[400];
    s_rewrite(V2014, "vasteras-2014-half.json", from, to, 1, path, sizeof path);
    char *out = NULL, *err = NULL;
    cr_assert_eq(th_cli_as(s, admin, NULL, &out, &err, "import", path, NULL), 0, "%s%s", out, err);
    free(out);
    free(err);
    char *id = th_sql(s, "SELECT id FROM evaluations WHERE label = '2014'");
    json_t *r = th_json(s, admin, 0, "report", id, "--format", "json", NULL);
    free(id);
    json_t *a1 = json_array_get(json_object_get(r, "areas"), 0);
    cr_assert_eq(json_integer_value(json_object_get(a1, "achieved")), 74, "11.5 shows as 12");
    json_decref(r);

    json_t *doc = th_json(s, admin, 0, "search", "lättillgänglig", NULL);
    json_t *h = json_array_get(json_object_get(doc, "hits"), 0);
    cr_assert_not_null(h, "%s", json_dumps(doc, 0));
    cr_assert_eq(json_integer_value(json_object_get(h, "area")), 1);
    cr_assert_str_eq(json_string_value(json_object_get(h, "area_score")), "74",
                     "not the exact 73.5");
    json_decref(doc);
    out = err = NULL;
    cr_assert_eq(th_cli_as(s, admin, NULL, &out, &err, "search", "lättillgänglig", NULL), 0, "%s",
                 err);
    cr_assert(strstr(out, "74/100"), "%s", out);
    free(out);
    free(err);
}
