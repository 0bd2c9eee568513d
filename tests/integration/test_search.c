/*  Search: good examples across every evaluation, through the CLI and the
 *  raw protocol against a real kompassd and PostgreSQL.
 *
 *  The fixture: three evaluations with known texts, written through the CLI
 *  (text set, evidence add) by their teams.
 *    Västerås stad 2017   christine (lead), ewa (peer); signed; area 1 agreed
 *                         in full (82/100)
 *    Borås stad 2019      christine (lead), olle (peer); signed; area 1 agreed
 *                         on 3 of 5 questions (45 so far)
 *    Umeå kommun 2021     olle (lead), stina (peer); in scoring: nobody else
 *                         but an admin may find it
 *  Consensus scores and the moves to 'signed' are made with SQL through the
 *  legal transitions (scoring -> consensus -> review -> signed, which the
 *  trigger of sql/005 enforces): this stands in for the consensus and
 *  sign-off workflow, built elsewhere.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "harness.h"
#include "statements.h"
#include "util.h"

static th_server *s;
static char admin[300], christine[300], ewa[300], olle[300], stina[300], obs[300];
static long long vasteras, boras, umea;
static char vasteras_s[32], boras_s[32], umea_s[32];

/* Writes text to a file in the server's dir; its path (static buffer). */
static const char *s_file(const char *name, const char *text)
{
    static char path[600];
    snprintf(path, sizeof path, "%s/%s", s->dir, name);
    FILE *f = fopen(path, "w");
    cr_assert(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static void s_text(const char *home, const char *id, const char *area, const char *section,
                   const char *text)
{
    char *err = NULL;
    int rc = th_cli_as(s, home, NULL, NULL, &err, "text", "set", id, area, section, "--file",
                       s_file("text.txt", text), NULL);
    cr_assert_eq(rc, 0, "text set %s %s %s: %s", id, area, section, err);
    free(err);
}

static void s_evidence(const char *home, const char *id, const char *title, const char *note,
                       const char *questions)
{
    char *err = NULL;
    int rc = th_cli_as(s, home, NULL, NULL, &err, "evidence", "add", id, "document", "--title",
                       title, "--note", note, "--questions", questions, NULL);
    cr_assert_eq(rc, 0, "evidence add %s: %s", id, err);
    free(err);
}

/* Consensus scores for evaluation id (stands in for the consensus workflow):
 * values like "('1.1', 12), ('1.2', 16)". */
static void s_consensus(long long id, const char *values)
{
    char sql[2000];
    snprintf(sql, sizeof sql,
             "INSERT INTO consensus_scores (evaluation_id, question_id, points, method, version,"
             " written_by) SELECT %lld, q.id, v.points, 'set', 1,"
             " (SELECT id FROM users WHERE login = 'christine')"
             " FROM (VALUES %s) AS v (code, points) JOIN framework_questions q ON q.code = v.code"
             " WHERE q.framework_id = (SELECT framework_id FROM evaluations WHERE id = %lld)",
             id, values, id);
    char *err = NULL;
    cr_assert_eq(th_sql_try(s, sql, &err), 0, "%s: %s", sql, err);
}

/* Signs evaluation id the legal way round (stands in for sign-off). */
static void s_sign(long long id)
{
    char sql[400];
    snprintf(sql, sizeof sql,
             "UPDATE evaluations SET status = 'consensus' WHERE id = %lld;"
             "UPDATE evaluations SET status = 'review' WHERE id = %lld;"
             "UPDATE evaluations SET status = 'signed' WHERE id = %lld",
             id, id, id);
    char *err = NULL;
    cr_assert_eq(th_sql_try(s, sql, &err), 0, "%s", err);
}

static long long s_team_eval(const char *municipality, const char *label, const char *lead,
                             const char *lead_home, const char *peer, char *ids, size_t len)
{
    long long id = th_eval(s, admin, municipality, label);
    snprintf(ids, len, "%lld", id);
    cr_assert_eq(
        th_cli_as(s, admin, NULL, NULL, NULL, "eval", "assign", ids, lead, "--as", "lead", NULL),
        0);
    if (peer)
        cr_assert_eq(th_cli_as(s, admin, NULL, NULL, NULL, "eval", "assign", ids, peer, "--as",
                               "peer", NULL),
                     0);
    char *err = NULL;
    cr_assert_eq(th_cli_as(s, lead_home, NULL, NULL, &err, "eval", "start", ids, NULL), 0, "%s",
                 err);
    free(err);
    return id;
}

static void setup(void)
{
    s = th_server_start(NULL);
    th_admin_login(s, admin, sizeof admin);
    th_user(s, admin, "christine", "Christine Feuk", "SKL", "evaluator", christine,
            sizeof christine);
    th_user(s, admin, "ewa", "Ewa Luvö", "Borås Stad", "evaluator", ewa, sizeof ewa);
    th_user(s, admin, "olle", "Olle Berg", "SKL", "evaluator", olle, sizeof olle);
    th_user(s, admin, "stina", "Stina Ek", "Luleå kommun", "evaluator", stina, sizeof stina);
    th_user(s, admin, "obs", "Observatör", "Sundsvall", "observer", obs, sizeof obs);

    vasteras = s_team_eval("Västerås stad", "2017", "christine", christine, "ewa", vasteras_s,
                           sizeof vasteras_s);
    s_text(christine, vasteras_s, "1", "strengths",
           "Bred medborgardialog med e-förslag\nWebbsändning av KF\n");
    s_text(ewa, vasteras_s, "1", "summary",
           "Västerås har en övergripande strategi för demokratiutveckling. Invånarna bjuds in "
           "till dialog i många former.");
    s_text(ewa, vasteras_s, "3", "improvements", "Tydligare politiska mål i nämnderna\n");
    s_evidence(ewa, vasteras_s, "Riktlinjer för medborgardialog", "Antagna av KF 2016", "1.4");
    s_evidence(ewa, vasteras_s, "Målstyrningsmodell", "Medborgardialog nämns inte", "3.2");
    s_consensus(vasteras, "('1.1', 12), ('1.2', 16), ('1.3', 20), ('1.4', 26), ('1.5', 8)");
    s_sign(vasteras);

    boras =
        s_team_eval("Borås stad", "2019", "christine", christine, "olle", boras_s, sizeof boras_s);
    s_text(christine, boras_s, "1", "strengths",
           "Medborgardialog förekommer i samtliga nämnder, men det dröjer innan politiken tar "
           "ställning till inkomna e-förslag\n");
    s_text(christine, boras_s, "2", "improvements",
           "Medborgardialogens resultat återkopplas sällan till brukarna\n");
    s_consensus(boras, "('1.1', 10), ('1.2', 15), ('1.3', 20)");
    s_sign(boras);

    umea = s_team_eval("Umeå kommun", "2021", "olle", olle, "stina", umea_s, sizeof umea_s);
    s_text(olle, umea_s, "1", "strengths", "Hemlig medborgardialog i ett utkast\n");
}

static void teardown(void)
{
    th_server_free(&s);
}

TestSuite(search, .init = setup, .fini = teardown, .timeout = 240);

/* `kompass --json search ARGS...` as home's user, exit 0; the hits. */
static json_t *s_search(const char *home, const char *const *args)
{
    const char *argv[40] = {"--json", "search"};
    int n = 2;
    for (; args[n - 2]; n++)
        argv[n] = args[n - 2];
    argv[n] = NULL;
    char *out = NULL, *err = NULL;
    int rc = th_cli_full(s, home, NULL, &out, &err, argv);
    cr_assert_eq(rc, 0, "search %s: exit %d: %s %s", args[0], rc, out, err);
    json_t *doc = json_loads(out, 0, NULL);
    cr_assert(doc, "no JSON: %s", out);
    free(out);
    free(err);
    return doc;
}

#define SEARCH(home, ...) s_search(home, (const char *const[]){__VA_ARGS__, NULL})

static json_t *s_hit(json_t *doc, size_t i)
{
    return json_array_get(json_object_get(doc, "hits"), i);
}

static size_t s_count(json_t *doc)
{
    return json_array_size(json_object_get(doc, "hits"));
}

static const char *s_str(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static long long s_int(json_t *o, const char *key)
{
    return (long long)json_integer_value(json_object_get(o, key));
}

/* Whether any hit is of evaluation id. */
static int s_has_eval(json_t *doc, long long id)
{
    for (size_t i = 0; i < s_count(doc); i++)
        if (s_int(s_hit(doc, i), "evaluation_id") == id) return 1;
    return 0;
}

/* Whether every hit satisfies key == value. */
static int s_all(json_t *doc, const char *key, const char *value)
{
    for (size_t i = 0; i < s_count(doc); i++)
        if (strcmp(s_str(s_hit(doc, i), key), value) != 0) return 0;
    return 1;
}

Test(search, stemming_finds_the_base_form_with_highlight_and_the_areas_score)
{
    json_t *doc =
        SEARCH(ewa, "medborgardialogen", "--kind", "strengths", "--municipality", "Västerås stad");
    cr_assert_eq(s_count(doc), 1, "%s", json_dumps(doc, 0));
    json_t *h = s_hit(doc, 0);
    cr_assert_eq(s_int(h, "evaluation_id"), vasteras);
    cr_assert_str_eq(s_str(h, "municipality"), "Västerås stad");
    cr_assert_eq(s_int(h, "year"), 2017);
    cr_assert_str_eq(s_str(h, "status"), "signed");
    cr_assert_eq(s_int(h, "area"), 1);
    cr_assert_str_eq(s_str(h, "area_title"), "Offentlighet och demokrati");
    cr_assert_str_eq(s_str(h, "kind"), "strengths");
    cr_assert_eq(s_int(h, "position"), 1);
    cr_assert_str_eq(s_str(h, "text"), "Bred medborgardialog med e-förslag");
    cr_assert_str_eq(s_str(h, "highlight"), "Bred \002medborgardialog\003 med e-förslag");
    cr_assert_str_eq(json_string_value(json_array_get(json_object_get(h, "matches"), 0)),
                     "medborgardialog");
    cr_assert_str_eq(s_str(h, "area_score"), "82");
    cr_assert_str_eq(s_str(h, "area_max"), "100");
    cr_assert(json_is_true(json_object_get(h, "area_complete")));
    cr_assert_str_eq(s_str(doc, "parsed"), "'medborgardialog'");
    json_decref(doc);

    /* For a person (not a terminal here): «» around the match, the score. */
    char *out = NULL;
    cr_assert_eq(th_cli_as(s, ewa, NULL, &out, NULL, "search", "medborgardialogen",
                           "--municipality", "Västerås stad", NULL),
                 0);
    cr_assert(strstr(out, "Västerås stad 2017"), "%s", out);
    cr_assert(strstr(out, "area 1 Offentlighet och demokrati  82/100"), "%s", out);
    cr_assert(strstr(out, "strengths 1: Bred «medborgardialog» med e-förslag"), "%s", out);
    cr_assert(strstr(out, "evidence "), "%s", out);
    cr_assert(strstr(out, "Riktlinjer för «medborgardialog»"), "%s", out);
    free(out);

    /* An area agreed on only partly says so. */
    cr_assert_eq(th_cli_as(s, ewa, NULL, &out, NULL, "search", "e-förslag", "--municipality",
                           "borås stad", NULL),
                 0);
    cr_assert(strstr(out, "Borås stad 2019"), "%s", out);
    cr_assert(strstr(out, "45/100 so far (3 of 5 questions agreed)"), "%s", out);
    free(out);
}

Test(search, the_closer_match_ranks_first)
{
    /* Both Västerås (the words side by side) and Borås (far apart) match. */
    json_t *doc = SEARCH(ewa, "medborgardialog e-förslag");
    cr_assert_eq(s_count(doc), 2, "%s", json_dumps(doc, 0));
    cr_assert_eq(s_int(s_hit(doc, 0), "evaluation_id"), vasteras);
    cr_assert_eq(s_int(s_hit(doc, 1), "evaluation_id"), boras);
    double r0 = json_real_value(json_object_get(s_hit(doc, 0), "rank"));
    double r1 = json_real_value(json_object_get(s_hit(doc, 1), "rank"));
    cr_assert_gt(r0, r1);
    json_decref(doc);
    /* A phrase: only where the words stand in that order, side by side. */
    doc = SEARCH(ewa, "\"medborgardialog med e-förslag\"");
    cr_assert_eq(s_count(doc), 1, "%s", json_dumps(doc, 0));
    cr_assert_eq(s_int(s_hit(doc, 0), "evaluation_id"), vasteras);
    json_decref(doc);
}

Test(search, each_filter_narrows)
{
    json_t *all = SEARCH(ewa, "medborgardialog");
    /* Västerås: strengths 1, two evidence entries; Borås: strengths 1, area 2 improvements */
    cr_assert_eq(s_count(all), 5, "%s", json_dumps(all, 0));
    json_decref(all);

    json_t *doc = SEARCH(ewa, "medborgardialog", "--area", "2");
    cr_assert_eq(s_count(doc), 1, "%s", json_dumps(doc, 0));
    cr_assert_eq(s_int(s_hit(doc, 0), "evaluation_id"), boras);
    cr_assert_str_eq(s_str(s_hit(doc, 0), "kind"), "improvements");
    cr_assert(json_is_null(json_object_get(s_hit(doc, 0), "area_score")));
    json_decref(doc);

    /* --area 3: the evidence linked to 3.2 (Målstyrningsmodell), shown in area 3 */
    doc = SEARCH(ewa, "medborgardialog", "--area", "3");
    cr_assert_eq(s_count(doc), 1, "%s", json_dumps(doc, 0));
    cr_assert_str_eq(s_str(s_hit(doc, 0), "kind"), "evidence");
    cr_assert_eq(s_int(s_hit(doc, 0), "area"), 3);
    cr_assert_str_eq(
        json_string_value(json_array_get(json_object_get(s_hit(doc, 0), "questions"), 0)), "3.2");
    json_decref(doc);

    /* --question 1.4: area 1's texts and the evidence linked to 1.4, not to 3.2 */
    doc = SEARCH(ewa, "medborgardialog", "--question", "1.4");
    cr_assert_eq(s_count(doc), 3, "%s", json_dumps(doc, 0));
    for (size_t i = 0; i < 3; i++) {
        json_t *h = s_hit(doc, i);
        cr_assert_eq(s_int(h, "area"), 1);
        if (strcmp(s_str(h, "kind"), "evidence") == 0)
            cr_assert(strstr(s_str(h, "text"), "Riktlinjer"), "%s", s_str(h, "text"));
    }
    json_decref(doc);

    doc = SEARCH(ewa, "medborgardialog", "--kind", "evidence");
    cr_assert_eq(s_count(doc), 2, "%s", json_dumps(doc, 0));
    cr_assert(s_all(doc, "kind", "evidence"));
    json_decref(doc);

    doc = SEARCH(ewa, "strategi", "--kind", "summary");
    cr_assert_eq(s_count(doc), 1, "%s", json_dumps(doc, 0));
    cr_assert_str_eq(s_str(s_hit(doc, 0), "kind"), "summary");
    json_decref(doc);

    doc = SEARCH(ewa, "medborgardialog", "--municipality", "BORÅS STAD");
    cr_assert_eq(s_count(doc), 2, "%s", json_dumps(doc, 0));
    cr_assert(s_all(doc, "municipality", "Borås stad"));
    json_decref(doc);
    char *mid = th_sql(s, "SELECT id FROM municipalities WHERE name = 'Borås stad'");
    doc = SEARCH(ewa, "medborgardialog", "--municipality", mid);
    cr_assert_eq(s_count(doc), 2);
    free(mid);
    json_decref(doc);

    doc = SEARCH(ewa, "medborgardialog", "--from", "2018");
    cr_assert_eq(s_count(doc), 2, "%s", json_dumps(doc, 0));
    cr_assert(!s_has_eval(doc, vasteras));
    json_decref(doc);
    doc = SEARCH(ewa, "medborgardialog", "--to", "2018");
    cr_assert_eq(s_count(doc), 3, "%s", json_dumps(doc, 0));
    cr_assert(!s_has_eval(doc, boras));
    json_decref(doc);
    doc = SEARCH(ewa, "medborgardialog", "--from", "2017", "--to", "2017", "--area", "1", "--kind",
                 "strengths");
    cr_assert_eq(s_count(doc), 1, "%s", json_dumps(doc, 0));
    cr_assert_eq(s_int(s_hit(doc, 0), "evaluation_id"), vasteras);
    json_decref(doc);

    doc = SEARCH(ewa, "medborgardialog", "--limit", "2");
    cr_assert_eq(s_count(doc), 2);
    cr_assert(json_is_true(json_object_get(doc, "more")));
    json_decref(doc);
    doc = SEARCH(ewa, "medborgardialog", "--limit", "5");
    cr_assert(json_is_false(json_object_get(doc, "more")));
    json_decref(doc);

    /* Filters that name nothing say so. */
    char *err = NULL;
    cr_assert_eq(
        th_cli_as(s, ewa, NULL, NULL, &err, "search", "x", "--municipality", "Atlantis", NULL), 5);
    cr_assert(strstr(err, "no municipality 'Atlantis'"), "%s", err);
    free(err);
    cr_assert_eq(th_cli_as(s, ewa, NULL, NULL, &err, "search", "x", "--question", "9.9", NULL), 5);
    cr_assert(strstr(err, "no framework has a question '9.9'"), "%s", err);
    free(err);
    cr_assert_eq(th_cli_as(s, ewa, NULL, NULL, &err, "search", "x", "--kind", "notes", NULL), 2);
    free(err);
    cr_assert_eq(th_cli_as(s, ewa, NULL, NULL, &err, "search", "x", "--limit", "201", NULL), 2);
    free(err);
}

Test(search, unsigned_evaluations_of_other_teams_never_appear)
{
    /* Christine, ewa and a global observer: not on Umeå's team. */
    const char *outsiders[] = {christine, ewa, obs};
    for (size_t i = 0; i < 3; i++) {
        json_t *doc = SEARCH(outsiders[i], "hemlig");
        cr_assert_eq(s_count(doc), 0, "%s", json_dumps(doc, 0));
        json_decref(doc);
        doc = SEARCH(outsiders[i], "medborgardialog", "--limit", "200");
        /* the observer is on no team: Västerås's two evidence entries are
         * not theirs to see (test_hardening: evidence_in_search_...) */
        cr_assert_eq(s_count(doc), outsiders[i] == obs ? 3 : 5, "%s", json_dumps(doc, 0));
        cr_assert(!s_has_eval(doc, umea));
        json_decref(doc);
        doc = SEARCH(outsiders[i], "medborgardialog", "--municipality", "Umeå kommun");
        cr_assert_eq(s_count(doc), 0);
        json_decref(doc);
    }
    /* Its own team and admins find it, marked as not signed. */
    const char *insiders[] = {olle, admin};
    for (size_t i = 0; i < 2; i++) {
        json_t *doc = SEARCH(insiders[i], "hemlig");
        cr_assert_eq(s_count(doc), 1, "%s", json_dumps(doc, 0));
        cr_assert_eq(s_int(s_hit(doc, 0), "evaluation_id"), umea);
        cr_assert_str_eq(s_str(s_hit(doc, 0), "status"), "scoring");
        cr_assert(json_is_null(json_object_get(s_hit(doc, 0), "area_score")));
        json_decref(doc);
    }
    char *out = NULL;
    cr_assert_eq(th_cli_as(s, olle, NULL, &out, NULL, "search", "hemlig", NULL), 0);
    cr_assert(strstr(out, "Umeå kommun 2021 [scoring, not signed]"), "%s", out);
    cr_assert(strstr(out, "not scored yet"), "%s", out);
    free(out);

    /* The index follows edits: the old words are gone, the new ones found. */
    s_text(olle, umea_s, "1", "strengths", "Öppen medborgardialog på webben\n");
    json_t *doc = SEARCH(olle, "hemlig");
    cr_assert_eq(s_count(doc), 0, "%s", json_dumps(doc, 0));
    json_decref(doc);
    doc = SEARCH(olle, "webben", "--municipality", "Umeå kommun");
    cr_assert_eq(s_count(doc), 1, "%s", json_dumps(doc, 0));
    json_decref(doc);
    /* ... and once signed, everyone finds it. */
    s_sign(umea);
    doc = SEARCH(ewa, "webben");
    cr_assert_eq(s_count(doc), 1, "%s", json_dumps(doc, 0));
    cr_assert_eq(s_int(s_hit(doc, 0), "evaluation_id"), umea);
    json_decref(doc);
}

/* Sends a Search with query q over the raw protocol; its status. */
static int s_raw(void *sock, kp_arena *a, const char *token, const char *q, int limit, int area)
{
    kp_request *req = kp_arena_zalloc(a, sizeof *req);
    kompass__v1__request__init(req);
    Kompass__V1__SearchRequest *b = kp_arena_zalloc(a, sizeof *b);
    kompass__v1__search_request__init(b);
    b->query = (char *)q;
    b->limit = limit;
    b->area = area;
    req->body_case = KOMPASS__V1__REQUEST__BODY_SEARCH;
    req->search = b;
    req->session_token = (char *)token;
    kp_response *r = th_call(sock, a, req, 20000);
    cr_assert(r, "no answer to a search for '%.60s'", q);
    return (int)r->status;
}

Test(search, hostile_queries_get_bad_request_or_an_empty_result_never_internal)
{
    char *huge = malloc(10001);
    memset(huge, 'a', 10000);
    huge[10000] = '\0';
    const char *queries[] = {
        "\"",
        "'",
        "\"unclosed phrase",
        "&|!():*",
        "medborgardialog & | ! ( ) : *",
        "<->",
        "medborgardialog <-> e-förslag",
        "a <2> b",
        "\\",
        "\\\\medborgardialog\\",
        "!!medborgardialog",
        "-medborgardialog",
        "medborgardialog:*",
        "och att det som",
        "'; DROP TABLE search_items; --",
        "medborgardialog' OR '1'='1",
        "$1 $$ E'\\x00' %s %n",
        huge,
    };
    for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
        char *out = NULL, *err = NULL;
        int rc = th_cli_as(s, ewa, NULL, &out, &err, "--json", "search", "--", queries[i], NULL);
        cr_assert(rc == 0 || rc == 1, "query %zu '%.60s': exit %d: %s", i, queries[i], rc, out);
        cr_assert(!strstr(out, "INTERNAL"), "query %zu: %s", i, out);
        if (rc == 1) cr_assert(strstr(out, "BAD_REQUEST"), "query %zu: %s", i, out);
        free(out);
        free(err);
    }
    /* The limits are named. */
    char *err = NULL;
    cr_assert_eq(th_cli_as(s, ewa, NULL, NULL, &err, "search", huge, NULL), 1);
    cr_assert(strstr(err, "10000 characters long; at most 500"), "%s", err);
    free(err);
    cr_assert_eq(th_cli_as(s, ewa, NULL, NULL, &err, "search", "och att det", NULL), 1);
    cr_assert(strstr(err, "no words to search for"), "%s", err);
    free(err);
    cr_assert_eq(th_cli_as(s, ewa, NULL, NULL, &err, "search", "   ", NULL), 1);
    cr_assert(strstr(err, "empty"), "%s", err);
    free(err);
    /* 500 characters of two bytes each are fine: characters, not bytes. */
    char *wide = malloc(1001);
    for (int i = 0; i < 500; i++)
        memcpy(wide + 2 * i, "å", 2);
    wide[1000] = '\0';
    cr_assert_eq(th_cli_as(s, ewa, NULL, NULL, NULL, "search", wide, NULL), 0);
    free(wide);

    /* The raw protocol: limits the CLI checks first are checked again. */
    void *sock = th_dealer(s);
    kp_arena *a = kp_arena_new();
    const char *token = th_token(sock, a, "ewa", TH_PASSWORD);
    cr_assert_eq(s_raw(sock, a, token, "medborgardialog", 201, 0),
                 KOMPASS__V1__STATUS__BAD_REQUEST);
    cr_assert_eq(s_raw(sock, a, token, "medborgardialog", -1, 0), KOMPASS__V1__STATUS__BAD_REQUEST);
    cr_assert_eq(s_raw(sock, a, token, "medborgardialog", 0, 100),
                 KOMPASS__V1__STATUS__BAD_REQUEST);
    cr_assert_eq(s_raw(sock, a, token, "", 0, 0), KOMPASS__V1__STATUS__BAD_REQUEST);
    cr_assert_eq(s_raw(sock, a, token, huge, 0, 0), KOMPASS__V1__STATUS__BAD_REQUEST);
    cr_assert_eq(s_raw(sock, a, token, "medborgardialog", 0, 0), KOMPASS__V1__STATUS__OK);
    /* Without a session: refused. */
    cr_assert_eq(s_raw(sock, a, "", "medborgardialog", 0, 0), KOMPASS__V1__STATUS__UNAUTHENTICATED);
    kp_arena_destroy(&a);
    zmq_close(sock);
    free(huge);

    /* The server is up, the index whole. */
    cr_assert_eq(th_cli_as(s, ewa, NULL, NULL, NULL, "ping", NULL), 0);
    json_t *doc = SEARCH(ewa, "medborgardialog");
    cr_assert_eq(s_count(doc), 5);
    json_decref(doc);
}

Test(search, the_index_is_kept_whole_and_searched_through_gin)
{
    /* Every item of every text and every evidence entry is indexed, once. */
    char *same = th_sql(
        s, "SELECT (SELECT count(*) FROM search_items) ="
           " (SELECT count(*) FROM area_texts t, jsonb_array_elements_text(CASE WHEN"
           "   jsonb_typeof(t.content) = 'array' THEN t.content ELSE jsonb_build_array(t.content)"
           "   END) AS e (item) WHERE btrim(e.item) <> '')"
           " + (SELECT count(*) FROM evidence WHERE btrim(title || note) <> '')");
    cr_assert_str_eq(same, "t");
    free(same);
    /* The server's role may read the index but not write it. */
    char *err = NULL;
    cr_assert_neq(th_sql_try(s, "SET ROLE kompass_app; DELETE FROM search_items", &err), 0);
    cr_assert(strstr(err, "permission denied"), "%s", err);
    free(err);

    /* A few thousand generated items: the search's own statement reads
     * them through the GIN index. */
    free(th_sql(s, "INSERT INTO search_items (evaluation_id, area_number, kind, position, text)"
                   " SELECT (SELECT min(id) FROM evaluations), 1 + n % 8, 'strengths', n,"
                   "  'Genererad styrka nummer ' || n || ' om budget och uppföljning'"
                   " FROM generate_series(1, 5000) AS n;"
                   " ANALYZE search_items"));
    const char *sql = NULL;
    for (const kp_stmt *st = kp_search_stmts; st->name; st++)
        if (strcmp(st->name, "search") == 0) sql = st->sql;
    cr_assert(sql);
    char *q = malloc(strlen(sql) + 400);
    sprintf(q,
            "PREPARE search_plan AS %s; EXPLAIN (FORMAT TEXT) EXECUTE search_plan("
            "'medborgardialogen', 1, false, NULL, NULL, NULL, NULL, NULL, NULL, 21)",
            sql);
    PGconn *c = PQconnectdb(s->conninfo);
    cr_assert_eq(PQstatus(c), CONNECTION_OK);
    PGresult *r = PQexec(c, q);
    cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQresultErrorMessage(r));
    int gin = 0;
    char plan[8192] = "";
    for (int i = 0; i < PQntuples(r); i++) {
        if (strstr(PQgetvalue(r, i, 0), "search_items_tsv")) gin = 1;
        kp_strlcpy(plan + strlen(plan), PQgetvalue(r, i, 0), sizeof plan - strlen(plan));
        kp_strlcpy(plan + strlen(plan), "\n", sizeof plan - strlen(plan));
    }
    cr_assert(gin, "the search does not use the GIN index:\n%s", plan);
    PQclear(r);
    PQfinish(c);
    free(q);
}

/* A published evaluation loaded with `kompass import` is searchable by
 * everyone at once, with its published area score. (The fixture is the
 * published Västerås 2017 report, relabelled: this suite has its own 2017.) */
Test(search, an_imported_published_evaluation_is_found_with_its_published_score)
{
    json_t *pub = json_load_file(KP_SOURCE_DIR "/tests/data/import/vasteras-2017.json", 0, NULL);
    cr_assert(pub);
    json_object_set_new(pub, "label", json_string("2016"));
    char path[400];
    snprintf(path, sizeof path, "%s/published.json", s->dir);
    cr_assert_eq(json_dump_file(pub, path, 0), 0);
    json_decref(pub);
    char *out = NULL, *err = NULL;
    int rc = th_cli_as(s, admin, NULL, &out, &err, "import", path, NULL);
    cr_assert_eq(rc, 0, "%s %s", out, err);
    free(out);
    free(err);
    /* an observer outside every team finds it, with area 1's published 82 */
    json_t *doc = SEARCH(obs, "demokratiutvecklingen", "--municipality", "Västerås stad", "--from",
                         "2016", "--to", "2016", "--kind", "summary");
    cr_assert_eq(s_count(doc), 1);
    json_t *h = s_hit(doc, 0);
    cr_assert_eq(s_int(h, "area"), 1);
    cr_assert_str_eq(s_str(h, "area_score"), "82");
    cr_assert_str_eq(s_str(h, "label"), "2016");
    cr_assert(json_is_true(json_object_get(h, "area_complete")));
    json_decref(doc);
}
