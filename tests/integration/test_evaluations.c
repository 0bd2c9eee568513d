/*  Frameworks, municipalities, evaluations, teams and evidence, through the
 *  CLI against a real kompassd: what an SKL admin sets up, and what every
 *  other user may (not) see of it. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <string.h>

#include "harness.h"
#include "util.h"

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

TestSuite(evaluations, .init = setup, .fini = teardown, .timeout = 180);

Test(evaluations, kk2015_ships_with_8_areas_45_questions_800_points)
{
    json_t *doc = th_json(s, admin, 0, "framework", "show", "KK2015", NULL);
    cr_assert_eq(json_array_size(json_object_get(doc, "areas")), 8);
    cr_assert_eq(json_integer_value(json_object_get(doc, "questions")), 45);
    cr_assert_str_eq(json_string_value(json_object_get(doc, "total_max")), "800");
    /* The maxima of the seed report: area 1 is 15, 20, 25, 30, 10. */
    json_t *a1 = json_array_get(json_object_get(doc, "areas"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(a1, "title")), "Offentlighet och demokrati");
    const char *maxima[] = {"15", "20", "25", "30", "10"};
    json_t *qs = json_object_get(a1, "questions");
    cr_assert_eq(json_array_size(qs), 5);
    for (size_t i = 0; i < 5; i++)
        cr_assert_str_eq(json_string_value(json_object_get(json_array_get(qs, i), "max")),
                         maxima[i]);
    /* Every area's max is 100 and its questions sum to it. */
    json_t *area;
    size_t ai;
    json_array_foreach(json_object_get(doc, "areas"), ai, area)
    {
        cr_assert_str_eq(json_string_value(json_object_get(area, "max")), "100");
        cr_assert(json_string_length(json_object_get(area, "general_text")) > 100,
                  "area %zu has no general text", ai + 1);
    }
    json_decref(doc);
    /* The human form reads as a tree. */
    char *out = NULL;
    cr_assert_eq(th_cli_as(s, admin, NULL, &out, NULL, "framework", "show", "KK2015", NULL), 0);
    cr_assert(strstr(out, "KK2015  Kommunkompassen (2015 års uppdatering) (2015): 8 areas, 45 "
                          "questions, 800 points"),
              "%s", out);
    cr_assert(strstr(out, "1.4   Främjas invånardialog och deltagande?"), "%s", out);
    free(out);
}

Test(evaluations, framework_import_valid_then_duplicate_refused)
{
    char path[400];
    snprintf(path, sizeof path, "%s/fw.json", s->dir);
    const char *fw = "{\"framework\":{\"code\":\"TEST1\",\"name\":\"Testramverk\",\"year\":2021},"
                     "\"areas\":[{\"number\":1,\"title\":\"Demokrati\",\"max\":100,\"questions\":["
                     "{\"code\":\"1.1\",\"text\":\"A?\",\"max\":40.5},"
                     "{\"code\":\"1.2\",\"text\":\"B?\",\"max\":59.5}]}]}";
    cr_assert_eq(kp_write_file(path, fw, strlen(fw), 0644), 0);
    char *out = NULL, *err = NULL;
    cr_assert_eq(th_cli_as(s, admin, NULL, &out, &err, "framework", "import", path, NULL), 0, "%s",
                 err);
    cr_assert(strstr(out, "imported framework TEST1"), "%s", out);
    free(out);
    free(err);
    cr_assert_eq(th_cli_as(s, admin, NULL, &out, &err, "framework", "import", path, NULL), 3);
    cr_assert(strstr(err, "framework TEST1 already exists"), "%s", err);
    free(out);
    free(err);
    json_t *doc = th_json(s, admin, 0, "framework", "list", NULL);
    cr_assert_eq(json_array_size(json_object_get(doc, "frameworks")), 2);
    json_decref(doc);
}

Test(evaluations, framework_import_invalid_is_refused_whole_with_every_problem)
{
    char path[400];
    snprintf(path, sizeof path, "%s/bad.json", s->dir);
    const char *fw = "{\"framework\":{\"code\":\"BAD\",\"name\":\"Bad\",\"year\":2021},"
                     "\"areas\":[{\"number\":1,\"title\":\"A\",\"max\":100,\"questions\":["
                     "{\"code\":\"1.1\",\"text\":\"A?\",\"max\":40}]},"
                     "{\"number\":2,\"title\":\"\",\"max\":100,\"questions\":["
                     "{\"code\":\"1.1\",\"text\":\"B?\",\"max\":100}]}]}";
    cr_assert_eq(kp_write_file(path, fw, strlen(fw), 0644), 0);
    char *before = th_sql(s, "SELECT count(*) FROM framework_questions");
    char *err = NULL;
    cr_assert_eq(th_cli_as(s, admin, NULL, NULL, &err, "framework", "import", path, NULL), 1);
    cr_assert(strstr(err, "4 problems"), "%s", err);
    cr_assert(strstr(err, "areas[0]: its questions' maxima sum to 40, not to the area's max 100"),
              "%s", err);
    cr_assert(strstr(err, "areas[1].title: must not be empty"), "%s", err);
    cr_assert(strstr(err, "areas[1].questions[0].code: question 1.1 appears twice"), "%s", err);
    cr_assert(strstr(err, "areas[1].questions[0].code: 1.1 does not belong to area 2"), "%s", err);
    char *after = th_sql(s, "SELECT count(*) FROM framework_questions");
    cr_assert_str_eq(before, after, "something was written");
    free(before);
    free(after);
    free(err);
}

Test(evaluations, framework_in_use_is_immutable)
{
    th_eval(s, admin, "Västerås stad", "2017");
    /* Even the database owner cannot change it now. */
    char *err = NULL;
    cr_assert_neq(th_sql_try(s, "UPDATE framework_questions SET max = 16 WHERE code = '1.1'", &err),
                  0);
    cr_assert(strstr(err, "framework KK2015 is used by an evaluation and cannot change"), "%s",
              err);
    free(err);
}

Test(evaluations, admin_sets_up_municipality_evaluation_and_team)
{
    char ewa[300], christine[300];
    th_user(s, admin, "christine", "Christine Feuk", "SKL", "evaluator", christine,
            sizeof christine);
    th_user(s, admin, "ewa", "Ewa Luvö", "Borås Stad", "evaluator", ewa, sizeof ewa);
    char *out = NULL, *err = NULL;
    cr_assert_eq(th_cli_as(s, admin, NULL, &out, &err, "municipality", "add", "Västerås stad",
                           "--kind", "stad", "--county", "Västmanlands län", NULL),
                 0, "%s", err);
    free(out);
    free(err);
    cr_assert_eq(th_cli_as(s, admin, NULL, &out, &err, "eval", "create", "--municipality",
                           "västerås stad", "--framework", "KK2015", "--label", "2017", "--period",
                           "2017-03", NULL),
                 0, "%s", err);
    cr_assert(strstr(out, "created evaluation"), "%s", out);
    cr_assert(strstr(out, "Västerås stad 2017 on KK2015 (1st evaluation"), "%s", out);
    long long id = 0;
    sscanf(strstr(out, "evaluation ") + 11, "%lld", &id);
    free(out);
    free(err);
    char ids[32];
    snprintf(ids, sizeof ids, "%lld", id);
    cr_assert_eq(th_cli_as(s, admin, NULL, NULL, NULL, "eval", "assign", ids, "christine", "--as",
                           "lead", NULL),
                 0);
    cr_assert_eq(
        th_cli_as(s, admin, NULL, NULL, NULL, "eval", "assign", ids, "ewa", "--as", "peer", NULL),
        0);
    /* A second lead is refused. */
    cr_assert_eq(
        th_cli_as(s, admin, NULL, NULL, &err, "eval", "assign", ids, "ewa", "--as", "lead", NULL),
        3);
    cr_assert(strstr(err, "already has a lead (christine)"), "%s", err);
    free(err);
    cr_assert_eq(th_cli_as(s, admin, NULL, &out, NULL, "eval", "show", ids, NULL), 0);
    cr_assert(strstr(out, "status    draft (version 3)"), "%s", out);
    cr_assert(strstr(out, "lead      christine     Christine Feuk        SKL"), "%s", out);
    cr_assert(strstr(out, "peer      ewa           Ewa Luvö              Borås Stad"), "%s", out);
    free(out);
    /* The team sees it; its lead's list shows the role. */
    json_t *doc = th_json(s, christine, 0, "eval", "list", NULL);
    json_t *evs = json_object_get(doc, "evaluations");
    cr_assert_eq(json_array_size(evs), 1);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(evs, 0), "my_role")), "lead");
    json_decref(doc);
    /* Bad input reads well. */
    cr_assert_eq(th_cli_as(s, admin, NULL, NULL, &err, "eval", "create", "--municipality",
                           "Atlantis", "--framework", "KK2015", "--label", "2017", NULL),
                 5);
    cr_assert(strstr(err, "no municipality named 'Atlantis'"), "%s", err);
    free(err);
    cr_assert_eq(th_cli_as(s, admin, NULL, NULL, &err, "eval", "create", "--municipality",
                           "Västerås stad", "--framework", "KK2015", "--label", "2017", NULL),
                 3);
    cr_assert(strstr(err, "already has an evaluation labelled '2017'"), "%s", err);
    free(err);
    cr_assert_eq(th_cli_as(s, admin, NULL, NULL, &err, "eval", "assign", ids, "nobody", "--as",
                           "peer", NULL),
                 5);
    cr_assert(strstr(err, "no user 'nobody'"), "%s", err);
    free(err);
    cr_assert_eq(
        th_cli_as(s, admin, NULL, NULL, &err, "eval", "assign", ids, "ewa", "--as", "boss", NULL),
        1);
    cr_assert(strstr(err, "--as must be lead, peer, observer or contact"), "%s", err);
    free(err);
    cr_assert_eq(th_cli_as(s, admin, NULL, NULL, &err, "eval", "show", "x12", NULL), 2);
    free(err);
}

Test(evaluations, conflict_of_interest_refused_override_needs_reason_and_is_audited)
{
    char anna[300];
    th_user(s, admin, "anna", "Anna Västerås", "Västerås stad", "evaluator", anna, sizeof anna);
    long long id = th_eval(s, admin, "Västerås stad", "2017");
    char ids[32];
    snprintf(ids, sizeof ids, "%lld", id);
    char *err = NULL;
    char *v0 = th_sql(s, "SELECT version FROM evaluations ORDER BY id DESC LIMIT 1");
    cr_assert_eq(
        th_cli_as(s, admin, NULL, NULL, &err, "eval", "assign", ids, "anna", "--as", "peer", NULL),
        3);
    cr_assert(strstr(err, "conflict of interest: Anna Västerås (Västerås stad) works for Västerås "
                          "stad"),
              "%s", err);
    free(err);
    char *v1 = th_sql(s, "SELECT version FROM evaluations ORDER BY id DESC LIMIT 1");
    cr_assert_str_eq(v0, v1, "a refused assignment changed the evaluation");
    /* Nor as an observer: the one member from the municipality itself is its
     * contact person (test_factcheck.c). */
    cr_assert_eq(th_cli_as(s, admin, NULL, NULL, &err, "eval", "assign", ids, "anna", "--as",
                           "observer", NULL),
                 3);
    cr_assert(strstr(err, "its contact person joins --as contact"), "%s", err);
    free(err);
    cr_assert_eq(th_cli_as(s, admin, NULL, NULL, NULL, "eval", "assign", ids, "anna", "--as",
                           "contact", NULL),
                 0);
    /* An admin override with a reason is recorded. */
    cr_assert_eq(th_cli_as(s, admin, NULL, NULL, &err, "eval", "assign", ids, "anna", "--as",
                           "peer", "--reason", "no other peer available; approved by SKL", NULL),
                 0, "%s", err);
    free(err);
    char *reason = th_sql(s, "SELECT reason FROM audit_events WHERE action = "
                             "'eval.assign.coi_override' ORDER BY id DESC LIMIT 1");
    cr_assert_str_eq(reason, "no other peer available; approved by SKL");
    free(reason);
    free(v0);
    free(v1);
}

Test(evaluations, listing_respects_visibility)
{
    char ewa[300], other[300];
    th_user(s, admin, "ewa", "Ewa Luvö", "Borås Stad", "evaluator", ewa, sizeof ewa);
    th_user(s, admin, "olle", "Olle Annan", "Hylte kommun", "evaluator", other, sizeof other);
    long long id = th_eval(s, admin, "Västerås stad", "2017");
    char ids[32];
    snprintf(ids, sizeof ids, "%lld", id);
    cr_assert_eq(
        th_cli_as(s, admin, NULL, NULL, NULL, "eval", "assign", ids, "ewa", "--as", "peer", NULL),
        0);
    /* A non-member sees nothing: not in the list, NOT_FOUND when asked. */
    char *out = NULL, *err = NULL;
    cr_assert_eq(th_cli_as(s, other, NULL, &out, NULL, "eval", "list", NULL), 0);
    cr_assert(strstr(out, "no evaluations visible to you"), "%s", out);
    free(out);
    cr_assert_eq(th_cli_as(s, other, NULL, NULL, &err, "eval", "show", ids, NULL), 5);
    free(err);
    cr_assert_eq(th_cli_as(s, other, NULL, NULL, &err, "evidence", "list", ids, NULL), 5);
    free(err);
    /* The same answer as for an evaluation that does not exist at all. */
    char *err2 = NULL;
    th_cli_as(s, other, NULL, NULL, &err, "eval", "show", ids, NULL);
    th_cli_as(s, other, NULL, NULL, &err2, "eval", "show", "999999", NULL);
    char *a = strstr(err, "no evaluation"), *b = strstr(err2, "no evaluation");
    cr_assert(a && b, "%s / %s", err, err2);
    free(err);
    free(err2);
    /* Filters. */
    json_t *doc = th_json(s, admin, 0, "eval", "list", "--status", "draft", NULL);
    cr_assert_eq(json_array_size(json_object_get(doc, "evaluations")), 1);
    json_decref(doc);
    doc = th_json(s, admin, 0, "eval", "list", "--status", "signed", NULL);
    cr_assert_eq(json_array_size(json_object_get(doc, "evaluations")), 0);
    json_decref(doc);
    cr_assert_eq(
        th_cli_as(s, admin, NULL, NULL, &err, "eval", "list", "--status", "finished", NULL), 1);
    cr_assert(strstr(err, "status must be draft"), "%s", err);
    free(err);
}

Test(evaluations, evidence_log)
{
    char ewa[300];
    th_user(s, admin, "ewa", "Ewa Luvö", "Borås Stad", "evaluator", ewa, sizeof ewa);
    long long id = th_eval(s, admin, "Västerås stad", "2017");
    char ids[32];
    snprintf(ids, sizeof ids, "%lld", id);
    cr_assert_eq(
        th_cli_as(s, admin, NULL, NULL, NULL, "eval", "assign", ids, "ewa", "--as", "peer", NULL),
        0);
    char *err = NULL;
    cr_assert_eq(th_cli_as(s, ewa, NULL, NULL, &err, "evidence", "add", ids, "interview", "--date",
                           "2017-03-14", "--category", "politician", "--people", "3", "--note",
                           "KS ordförande m.fl.", "--questions", "1.4,3.2", NULL),
                 0, "%s", err);
    free(err);
    cr_assert_eq(th_cli_as(s, ewa, NULL, NULL, &err, "evidence", "add", ids, "document", "--title",
                           "Kommunikationspolicy", "--reference", "KS 2015/123", "--date",
                           "2015-06-01", NULL),
                 0, "%s", err);
    free(err);
    cr_assert_eq(th_cli_as(s, ewa, NULL, NULL, &err, "evidence", "add", ids, "web", "--title",
                           "Webbsändning av KF", "--reference", "https://www.vasteras.se", NULL),
                 0, "%s", err);
    free(err);
    /* Refusals name the problem and write nothing. */
    cr_assert_eq(th_cli_as(s, ewa, NULL, NULL, &err, "evidence", "add", ids, "interview", "--date",
                           "2017-03-14", "--people", "3", NULL),
                 1);
    cr_assert(strstr(err, "an interview needs --category"), "%s", err);
    free(err);
    cr_assert_eq(th_cli_as(s, ewa, NULL, NULL, &err, "evidence", "add", ids, "document", "--title",
                           "X", "--questions", "9.9", NULL),
                 1);
    cr_assert(strstr(err, "question '9.9' is not in framework KK2015"), "%s", err);
    free(err);
    cr_assert_eq(th_cli_as(s, ewa, NULL, NULL, &err, "evidence", "add", ids, "document", "--title",
                           "X", "--date", "2017-02-30", NULL),
                 1);
    free(err);
    json_t *doc = th_json(s, ewa, 0, "evidence", "list", ids, NULL);
    json_t *ev = json_object_get(doc, "evidence");
    cr_assert_eq(json_array_size(ev), 3, "refused entries were written");
    json_t *q = json_object_get(json_array_get(ev, 0), "questions");
    cr_assert_str_eq(json_string_value(json_array_get(q, 0)), "1.4");
    cr_assert_str_eq(json_string_value(json_array_get(q, 1)), "3.2");
    json_decref(doc);
    char *out = NULL;
    cr_assert_eq(th_cli_as(s, ewa, NULL, &out, NULL, "evidence", "list", ids, NULL), 0);
    cr_assert(strstr(out, "3 politicians: KS ordförande m.fl."), "%s", out);
    cr_assert(strstr(out, "3 entries; 1 interview with 3 people"), "%s", out);
    free(out);
    /* Each addition is one version and one audit event. */
    char *n = th_sql(s, "SELECT count(*) FROM audit_events WHERE action = 'evidence.add'");
    cr_assert_str_eq(n, "3");
    free(n);
}

Test(evaluations, only_legal_status_transitions_happen)
{
    long long id = th_eval(s, admin, "Västerås stad", "2017");
    char sql[200], *err = NULL;
    /* The database itself refuses an illegal move, whoever asks. */
    snprintf(sql, sizeof sql, "UPDATE evaluations SET status = 'signed' WHERE id = %lld", id);
    cr_assert_neq(th_sql_try(s, sql, &err), 0);
    cr_assert(strstr(err, "an evaluation cannot go from draft to signed"), "%s", err);
    free(err);
    snprintf(sql, sizeof sql, "UPDATE evaluations SET status = 'scoring' WHERE id = %lld", id);
    cr_assert_eq(th_sql_try(s, sql, NULL), 0);
    snprintf(sql, sizeof sql, "UPDATE evaluations SET status = 'draft' WHERE id = %lld", id);
    cr_assert_neq(th_sql_try(s, sql, &err), 0);
    cr_assert(strstr(err, "cannot go from scoring to draft"), "%s", err);
    free(err);
    /* and the CLI says why it cannot start twice */
    char ids[32];
    snprintf(ids, sizeof ids, "%lld", id);
    cr_assert_eq(th_cli_as(s, admin, NULL, NULL, &err, "eval", "start", ids, NULL), 1);
    cr_assert(strstr(err, "INVALID_STATE") && strstr(err, "scoring starts from draft"), "%s", err);
    free(err);
}
