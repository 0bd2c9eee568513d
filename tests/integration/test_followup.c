/*  The follow-up of the previous round, municipality groups and their
 *  averages, municipality corrections, and the evidence sentence (issue 19),
 *  against a real kompassd and PostgreSQL, through the real `kompass`.
 *
 *  - follow-up: Västerås 2014 imported with its improvement opportunities,
 *    2017 made in Kompass lists them; the lead and the peer set statuses
 *    (versioned: a stale version is refused), an observer may not, an
 *    outsider does not see it; audited; part of the signed content (a
 *    change in review cancels the signatures given; once signed, no change)
 *    and in the report, every format, with the items not assessed said so.
 *  - `--average group:G`: the other municipalities of a kommungrupp, from
 *    the default years, against hand sums; fewer than 3 said so.
 *  - `municipality add --group`, `municipality edit`: validated, audited,
 *    and a signed evaluation keeps the name it was signed with.
 *  - the report says how many were interviewed, from the evidence log.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "util.h"

#define IMPORTS KP_SOURCE_DIR "/tests/data/import"
#define V2014   IMPORTS "/vasteras-2014.json"
#define B2016   IMPORTS "/boras-2016.json"

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

TestSuite(followup, .init = setup, .fini = teardown, .timeout = 400);

/* id as text (one of a few rotating buffers, for argument lists). */
static const char *s_id(long long id)
{
    static char bufs[4][32];
    static int next;
    char *b = bufs[next++ % 4];
    snprintf(b, 32, "%lld", id);
    return b;
}

/* Runs kompass as home, expects exit rc and needle in stderr (NULL: any). */
static void s_expect(const char *home, int rc, const char *needle, const char *arg, ...)
{
    const char *args[30];
    int n = 0;
    va_list ap;
    va_start(ap, arg);
    for (const char *a = arg; a && n < 29; a = va_arg(ap, const char *))
        args[n++] = a;
    va_end(ap);
    args[n] = NULL;
    char *out = NULL, *err = NULL;
    int got = th_cli_full(s, home, NULL, &out, &err, args);
    cr_assert_eq(got, rc, "kompass %s %s ... exited %d, not %d: %s%s", arg, args[1], got, rc, out,
                 err);
    if (needle)
        cr_assert(strstr(err, needle), "kompass %s %s ...: '%s' not in: %s", arg, args[1], needle,
                  err);
    free(out);
    free(err);
}

/* kompass ARGS as home: must exit 0; its standard output (caller frees). */
static char *s_out(const char *home, const char *arg, ...)
{
    const char *args[30];
    int n = 0;
    va_list ap;
    va_start(ap, arg);
    for (const char *a = arg; a && n < 29; a = va_arg(ap, const char *))
        args[n++] = a;
    va_end(ap);
    args[n] = NULL;
    char *out = NULL, *err = NULL;
    int got = th_cli_full(s, home, NULL, &out, &err, args);
    cr_assert_eq(got, 0, "kompass %s %s ... exited %d: %s%s", arg, args[1], got, out, err);
    free(err);
    return out;
}

static long long s_count(const char *sql)
{
    char *v = th_sql(s, sql);
    long long n = atoll(v ? v : "-1");
    free(v);
    return n;
}

static json_t *s_item(json_t *list, const char *item)
{
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(list, "items"), i, it)
    {
        if (strcmp(json_string_value(json_object_get(it, "item")), item) == 0) return it;
    }
    cr_assert_fail("no follow-up item %s", item);
    return NULL;
}

/* Imports a copy of the published file from as municipality m, label and
 * conducted changed (no stated ordinal); area 1's improvements replaced by
 * improvement when not NULL. */
static void s_import_with(const char *from, const char *m, const char *label, const char *conducted,
                          const char *improvement)
{
    json_error_t jerr;
    json_t *doc = json_load_file(from, 0, &jerr);
    cr_assert_not_null(doc, "%s", jerr.text);
    json_object_set_new(doc, "municipality", json_string(m));
    json_object_set_new(doc, "label", json_string(label));
    json_object_set_new(doc, "conducted", json_string(conducted));
    json_object_del(doc, "ordinal");
    if (improvement)
        json_object_set_new(json_array_get(json_object_get(doc, "areas"), 0), "improvements",
                            json_pack("[s]", improvement));
    char path[1100];
    snprintf(path, sizeof path, "%s/copy-%s-%s.json", s->dir, m, label);
    cr_assert_eq(json_dump_file(doc, path, 0), 0);
    json_decref(doc);
    free(s_out(admin, "import", path, NULL));
}

static void s_import_as(const char *from, const char *m, const char *label, const char *conducted)
{
    s_import_with(from, m, label, conducted, NULL);
}

/* ------------------------------------------------------------ to review */

/* Every question of KK2015 scored at half its max by both, merged, a
 * summary per area, every area approved by the peer: review. */
static void s_to_review(long long id, const char *lead, const char *peer)
{
    char *list = th_sql(s, "SELECT string_agg(q.code || ',' || floor(q.max / 2)::int || ',',"
                           " E'\\n' ORDER BY a.number, q.position) FROM framework_questions q"
                           " JOIN framework_areas a ON a.id = q.area_id JOIN frameworks f"
                           " ON f.id = q.framework_id WHERE f.code = 'KK2015'");
    char path[400], *csv = malloc(strlen(list) + 64);
    int len = sprintf(csv, "question,points,rationale\n%s\n", list);
    free(list);
    snprintf(path, sizeof path, "%s/scores.csv", s->dir);
    cr_assert_eq(kp_write_file(path, csv, (size_t)len, 0644), 0);
    free(csv);
    free(s_out(lead, "score", "import", s_id(id), path, NULL));
    free(s_out(peer, "score", "import", s_id(id), path, NULL));
    free(s_out(peer, "submit", s_id(id), NULL));
    free(s_out(lead, "submit", s_id(id), NULL));
    free(s_out(lead, "consensus", "auto", s_id(id), "--strategy", "median", NULL));
    for (int a = 1; a <= 8; a++) {
        char area[8], text[100];
        snprintf(area, sizeof area, "%d", a);
        int n = snprintf(text, sizeof text, "Område %d: tydliga mål och uppföljning.\n", a);
        snprintf(path, sizeof path, "%s/summary-%d.txt", s->dir, a);
        cr_assert_eq(kp_write_file(path, text, (size_t)n, 0644), 0);
        free(s_out(lead, "text", "set", s_id(id), area, "summary", "--file", path, NULL));
        free(s_out(peer, "text", "approve", s_id(id), area, NULL));
    }
}

static int s_sign(long long id, const char *home, const char *meaning, const char *password)
{
    char *err = NULL, input[128];
    snprintf(input, sizeof input, "%s\n", password);
    int rc = th_cli_as(s, home, input, NULL, &err, "sign", s_id(id), "--meaning", meaning,
                       "--password-stdin", NULL);
    cr_assert_eq(rc, 0, "sign: %s", err);
    free(err);
    return rc;
}

static const char *s_status(long long id)
{
    static char st[32];
    char sql[100];
    snprintf(sql, sizeof sql, "SELECT status FROM evaluations WHERE id = %lld", id);
    char *v = th_sql(s, sql);
    kp_strlcpy(st, v ? v : "", sizeof st);
    free(v);
    return st;
}

/* ------------------------------------------------------------ follow-up */

Test(followup, vasteras_2017_follows_up_2014_into_the_signed_content_and_the_report)
{
    cr_assert_eq(th_cli_as(s, admin, NULL, NULL, NULL, "import", V2014, NULL), 0);
    char lead[300], peer[300], obs[300], olle[300];
    long long id = th_scoring_eval(s, admin, lead, peer);
    const char *ids = s_id(id);
    th_user(s, admin, "anna", "Anna Observatör", "SKR", "evaluator", obs, sizeof obs);
    th_user(s, admin, "olle", "Olle Utanför", "SKR", "evaluator", olle, sizeof olle);
    free(s_out(admin, "eval", "assign", ids, "anna", "--as", "observer", NULL));

    /* 2014's four improvement opportunities, area by area, none assessed */
    json_t *l = th_json(s, lead, 0, "followup", ids, NULL);
    cr_assert_str_eq(json_string_value(json_object_get(l, "previous_label")), "Västerås stad 2014");
    cr_assert_eq(json_array_size(json_object_get(l, "items")), 4);
    static const char *const items[4][2] = {
        {"1.1", "Dialog kring verksamhetsresultat med invånarna."},
        {"1.2", "Systematisk återkoppling till invånare som lämnat synpunkter."},
        {"3.1", NULL},
        {"7.1", NULL}};
    for (size_t i = 0; i < 4; i++) {
        json_t *it = json_array_get(json_object_get(l, "items"), i);
        cr_assert_str_eq(json_string_value(json_object_get(it, "item")), items[i][0]);
        if (items[i][1])
            cr_assert_str_eq(json_string_value(json_object_get(it, "text")), items[i][1]);
        cr_assert(json_is_null(json_object_get(it, "status")), "item %s", items[i][0]);
        cr_assert_eq(json_integer_value(json_object_get(it, "version")), 0);
    }
    json_decref(l);
    char *out = s_out(lead, "followup", ids, NULL);
    cr_assert(strstr(out, "Follow-up of Västerås stad 2014's improvement opportunities: 4 items, "
                          "4 not assessed"),
              "%s", out);
    cr_assert(strstr(out, "not assessed"), "%s", out);
    free(out);

    /* the lead and the peer assess; the observer reads, an outsider sees nothing */
    free(s_out(lead, "followup", "set", ids, "1.1", "--status", "remains", "--note",
               "Resultatdialogen med invånarna har inte kommit i gång.", NULL));
    s_expect(peer, 3, "follow-up item 1.1 changed since you read it", "followup", "set", ids, "1.1",
             "--status", "done", "--version", "0", NULL);
    json_t *set = th_json(s, peer, 0, "followup", "set", ids, "3.1", "--status", "done", NULL);
    cr_assert_str_eq(json_string_value(json_object_get(set, "status")), "done");
    json_decref(set);
    free(s_out(obs, "followup", ids, NULL));
    s_expect(obs, 4, NULL, "followup", "set", ids, "1.2", "--status", "done", NULL);
    s_expect(olle, 5, NULL, "followup", ids, NULL);
    s_expect(olle, 5, NULL, "followup", "set", ids, "1.2", "--status", "done", NULL);
    s_expect(lead, 5, "has no improvement opportunity 2.1", "followup", "set", ids, "2.1",
             "--status", "done", NULL);
    s_expect(lead, 1, "a follow-up item is AREA.N", "followup", "set", ids, "1", "--status", "done",
             NULL);
    s_expect(lead, 2, "--status must be done, started or remains", "followup", "set", ids, "1.2",
             "--status", "klart", NULL);
    s_expect(lead, 2, "needs --status", "followup", "set", ids, "1.2", NULL);
    /* the peer read 1.1 and sets it with what was read: accepted */
    l = th_json(s, peer, 0, "followup", ids, NULL);
    long long v11 = json_integer_value(json_object_get(s_item(l, "1.1"), "version"));
    cr_assert_gt(v11, 0);
    json_decref(l);
    free(s_out(peer, "followup", "set", ids, "1.1", "--status", "started", "--note",
               "Ett invånarpanelprojekt har startat.", NULL));
    /* audited: one event per change, before and after */
    cr_assert_eq(s_count("SELECT count(*) FROM audit_events WHERE action = 'followup.set'"), 3);
    char *ev = th_sql(s, "SELECT before || ' -> ' || after FROM audit_events WHERE action ="
                         " 'followup.set' ORDER BY id DESC LIMIT 1");
    cr_assert_str_eq(ev, "{\"note\":\"Resultatdialogen med invånarna har inte kommit i "
                         "gång.\",\"status\":\"remains\"} -> {\"note\":\"Ett invånarpanelprojekt "
                         "har startat.\",\"status\":\"started\",\"text\":\"Dialog kring "
                         "verksamhetsresultat med invånarna.\"}");
    free(ev);
    char *target = th_sql(s, "SELECT target || '/' || actor FROM audit_events WHERE action ="
                             " 'followup.set' ORDER BY id DESC LIMIT 1");
    cr_assert_str_eq(target, "follow-up item 1.1 of Västerås stad 2014/ewa");
    free(target);

    /* the interviews, from the evidence log */
    free(s_out(lead, "evidence", "add", ids, "interview", "--date", "2017-03-14", "--category",
               "politician", "--people", "12", NULL));
    free(s_out(lead, "evidence", "add", ids, "interview", "--date", "2017-03-15", "--category",
               "official", "--people", "16", NULL));
    free(s_out(lead, "evidence", "add", ids, "interview", "--date", "2017-03-16", "--category",
               "union", "--people", "3", NULL));
    free(s_out(lead, "evidence", "add", ids, "document", "--title", "Budget 2017", NULL));

    /* review; a follow-up change then cancels the signatures given */
    s_to_review(id, lead, peer);
    cr_assert_str_eq(s_status(id), "review");
    s_sign(id, lead, "authored", TH_PASSWORD);
    free(s_out(peer, "followup", "set", ids, "7.1", "--status", "remains", NULL));
    char sql[300];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM signatures WHERE evaluation_id = %lld AND cancelled_at IS NOT"
             " NULL",
             id);
    cr_assert_eq(s_count(sql), 1, "the lead's signature is cancelled");
    cr_assert_neq(strcmp(s_status(id), "review"), 0, "area 7's approval was withdrawn");
    free(s_out(peer, "text", "approve", ids, "7", NULL));
    cr_assert_str_eq(s_status(id), "review");
    s_sign(id, lead, "authored", TH_PASSWORD);
    s_sign(id, peer, "reviewed", TH_PASSWORD);
    char ain[64];
    snprintf(ain, sizeof ain, "%s\n", TH_ADMIN_PASSWORD);
    char *err = NULL;
    cr_assert_eq(th_cli_as(s, admin, ain, NULL, &err, "sign", ids, "--meaning", "approved",
                           "--password-stdin", NULL),
                 0, "%s", err);
    free(err);
    cr_assert_str_eq(s_status(id), "signed");

    /* the signed content holds the follow-up, and verifies */
    snprintf(sql, sizeof sql,
             "SELECT content FROM evaluation_revisions WHERE evaluation_id = %lld AND revision = 1",
             id);
    char *content = th_sql(s, sql);
    json_t *c = json_loads(content, 0, NULL);
    cr_assert_not_null(c, "%s", content);
    json_t *fu = json_object_get(c, "followup");
    cr_assert_eq(json_array_size(json_object_get(fu, "items")), 4, "%s", content);
    json_t *c11 = json_array_get(json_object_get(fu, "items"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(c11, "status")), "started");
    cr_assert_str_eq(json_string_value(json_object_get(c11, "note")),
                     "Ett invånarpanelprojekt har startat.");
    cr_assert(
        json_is_null(json_object_get(json_array_get(json_object_get(fu, "items"), 1), "status")),
        "1.2 not assessed, as null");
    json_decref(c);
    free(content);
    out = s_out(admin, "eval", "verify", ids, NULL);
    free(out);
    /* an earlier round imported later does not move a signed follow-up */
    s_import_with(V2014, "Västerås stad", "2016", "2016-05", "Ett nytt förbättringsområde.");
    l = th_json(s, lead, 0, "followup", ids, NULL);
    cr_assert_str_eq(json_string_value(json_object_get(l, "previous_label")), "Västerås stad 2014");
    cr_assert_eq(json_array_size(json_object_get(l, "items")), 4);
    json_decref(l);
    free(s_out(admin, "eval", "verify", ids, NULL));
    /* ... and cannot change any more */
    s_expect(lead, 1, "is signed and cannot change", "followup", "set", ids, "1.2", "--status",
             "done", NULL);

    /* the report, every format */
    json_t *r = th_json(s, admin, 0, "report", ids, "--format", "json", NULL);
    json_t *rf = json_object_get(r, "followup");
    cr_assert_str_eq(json_string_value(json_object_get(rf, "of")), "Västerås stad 2014");
    cr_assert_eq(json_integer_value(json_object_get(rf, "not_assessed")), 1);
    json_t *r11 = json_array_get(json_object_get(rf, "items"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(r11, "status")), "started");
    cr_assert_str_eq(json_string_value(json_object_get(r11, "status_sv")), "påbörjat");
    json_t *r12 = json_array_get(json_object_get(rf, "items"), 1);
    cr_assert(json_is_null(json_object_get(r12, "status")));
    cr_assert_str_eq(json_string_value(json_object_get(r12, "status_sv")), "ej bedömd");
    json_t *evd = json_object_get(r, "evidence");
    cr_assert_eq(json_integer_value(json_object_get(evd, "interviewed")), 31);
    static const char sentence[] =
        "Utvärderingsgruppen har studerat dokument och genomfört intervjuer med 31 personer i "
        "organisationen. Bland de intervjuade fanns politiker, tjänstemän och fackliga "
        "representanter.";
    cr_assert_str_eq(json_string_value(json_object_get(evd, "sentence")), sentence);
    json_decref(r);
    const char *formats[] = {"md", "html", "csv"};
    for (size_t i = 0; i < 3; i++) {
        out = s_out(admin, "report", ids, "--format", formats[i], NULL);
        cr_assert(strstr(out, sentence), "%s: no interview sentence", formats[i]);
        cr_assert(strstr(out, "Systematisk återkoppling till invånare som lämnat synpunkter."),
                  "%s", formats[i]);
        if (i < 2) {
            cr_assert(strstr(out, "Uppföljning av förbättringsmöjligheter från förra "
                                  "utvärderingen"),
                      "%s", formats[i]);
            cr_assert(strstr(out, "Vid förra utvärderingen, Västerås stad 2014, lyftes 4 "
                                  "förbättringsmöjligheter fram."),
                      "%s", formats[i]);
            cr_assert(strstr(out, "1 av dem är ännu inte bedömd."), "%s", formats[i]);
            cr_assert(strstr(out, "påbörjat") && strstr(out, "genomfört") &&
                          strstr(out, "kvarstår") && strstr(out, "ej bedömd"),
                      "%s", formats[i]);
            cr_assert(strstr(out, "Ett invånarpanelprojekt har startat."), "%s", formats[i]);
            if (i == 1) /* the contents list names its page */
                cr_assert(strstr(out, "<li><a href=\"#uppfoljning\">Uppföljning av "
                                      "förbättringsmöjligheter från förra utvärderingen</a></li>"),
                          "%s", out);
        } else {
            cr_assert(strstr(out, "followup,1,1.1,Dialog kring verksamhetsresultat med "
                                  "invånarna.,,,,,started,Ett invånarpanelprojekt har "
                                  "startat.\r\n"),
                      "%s", out);
            cr_assert(strstr(out, "followup,1,1.2,Systematisk återkoppling till invånare som "
                                  "lämnat synpunkter.,,,,,not_assessed,\r\n"),
                      "%s", out);
            cr_assert(strstr(out, ",31,31,,,,\r\n"), "%s", out);
        }
        free(out);
    }
    /* the imported 2014 has no follow-up of its own */
    char *v14 = th_sql(s, "SELECT id FROM evaluations WHERE label = '2014'");
    l = th_json(s, admin, 0, "followup", v14, NULL);
    cr_assert(json_is_null(json_object_get(l, "previous_label")));
    cr_assert_eq(json_array_size(json_object_get(l, "items")), 0);
    json_decref(l);
    s_expect(admin, 1, "is signed and cannot change", "followup", "set", v14, "1.1", "--status",
             "done", NULL);
    free(v14);
}

/* ------------------------------------------------------------ groups */

/* Centipoints of a JSON number of points. */
static long long s_centi(json_t *v)
{
    cr_assert(json_is_number(v));
    return llround(json_number_value(v) * 100.0);
}

static json_t *s_area(json_t *report, int number)
{
    json_t *a = json_array_get(json_object_get(report, "areas"), (size_t)number - 1);
    cr_assert_eq(json_integer_value(json_object_get(a, "number")), number);
    return a;
}

Test(followup, the_average_of_a_kommungrupp_matches_hand_sums_and_too_few_are_said)
{
    /* Västerås 2014 and 2017 (the evaluation compared), Borås 2016 */
    free(s_out(admin, "import", V2014, B2016, NULL));
    long long v17 = th_eval(s, admin, "Västerås stad", "2017");
    /* B3: Borås 2016, Sala 2015 (as Västerås 2014 scored), Eskilstuna 2017
     * (as Borås 2016), Arboga 2013 (outside the years) and Västerås itself
     * (not another municipality); C7: Köping 2016 alone */
    s_import_as(V2014, "Sala", "2015", "2015-04");
    s_import_as(B2016, "Eskilstuna", "2017", "2017-02");
    s_import_as(B2016, "Arboga", "2013", "2013-02");
    s_import_as(V2014, "Köping", "2016", "2016-05");
    const char *b3[] = {"Borås Stad", "Sala", "Eskilstuna", "Arboga", "Västerås stad"};
    for (size_t i = 0; i < 5; i++)
        free(s_out(admin, "municipality", "edit", b3[i], "--group", "B3", NULL));
    free(s_out(admin, "municipality", "edit", "Köping", "--group", "C7", NULL));

    /* by hand: (2 x Borås 2016 + Västerås 2014) / 3, per area, in
     * centipoints: Borås 60 65 55 70 50 62 58 66, Västerås 2014 74 80 70 69
     * 64 72 66 79 */
    static const long long b16[8] = {60, 65, 55, 70, 50, 62, 58, 66};
    static const long long v14[8] = {74, 80, 70, 69, 64, 72, 66, 79};
    json_t *r = th_json(s, admin, 0, "report", s_id(v17), "--format", "json", "--average",
                        "group:B3", NULL);
    json_t *cmp = json_object_get(r, "comparison");
    cr_assert_eq(json_integer_value(json_object_get(cmp, "average_count")), 3);
    cr_assert_str_eq(json_string_value(json_object_get(cmp, "average_group")), "B3");
    cr_assert_eq(json_integer_value(json_object_get(cmp, "average_from")), 2015);
    cr_assert_eq(json_integer_value(json_object_get(cmp, "average_to")), 2017);
    for (int i = 0; i < 8; i++) {
        long long want = llround((2.0 * (double)b16[i] + (double)v14[i]) * 100.0 / 3.0);
        cr_assert_eq(s_centi(json_object_get(s_area(r, i + 1), "average")), want, "area %d", i + 1);
    }
    cr_assert_eq(s_centi(json_object_get(s_area(r, 1), "average")), 6467, "(120 + 74) / 3");
    json_decref(r);
    char *out = s_out(admin, "report", s_id(v17), "--format", "md", "--average", "group:B3", NULL);
    cr_assert(strstr(out, "Genomsnittet är beräknat på 3 andra kommuner i kommungrupp B3, "
                          "2015–2017"),
              "%s", out);
    free(out);
    out = s_out(admin, "report", s_id(v17), "--format", "html", "--average", "group:B3", NULL);
    cr_assert(strstr(out, "3 andra kommuner i kommungrupp B3, 2015–2017"), "%s", out);
    free(out);
    out = s_out(admin, "report", s_id(v17), "--format", "csv", "--average", "group:B3", NULL);
    cr_assert(strstr(out, "Genomsnitt av 3 andra kommuner i kommungrupp B3, 2015–2017"), "%s", out);
    free(out);
    /* the default set is every group: Borås, Sala, Eskilstuna, Köping */
    r = th_json(s, admin, 0, "report", s_id(v17), "--format", "json", NULL);
    cmp = json_object_get(r, "comparison");
    cr_assert_eq(json_integer_value(json_object_get(cmp, "average_count")), 4);
    cr_assert(json_is_null(json_object_get(cmp, "average_group")));
    json_decref(r);

    /* C7 has Köping only: no average, and the report says why */
    r = th_json(s, admin, 0, "report", s_id(v17), "--format", "json", "--average", "group:C7",
                NULL);
    cmp = json_object_get(r, "comparison");
    cr_assert(json_is_null(json_object_get(cmp, "average_count")));
    cr_assert_eq(json_integer_value(json_object_get(cmp, "average_set_count")), 1);
    cr_assert(json_is_null(json_object_get(s_area(r, 1), "average")));
    json_decref(r);
    out = s_out(admin, "report", s_id(v17), "--format", "md", "--average", "group:C7", NULL);
    cr_assert(strstr(out, "Inget genomsnitt visas: jämförelsen omfattar 1 annan kommun i "
                          "kommungrupp C7, 2015–2017 (minst 3 behövs)."),
              "%s", out);
    free(out);
    /* a group nobody is in: 0 */
    out = s_out(admin, "report", s_id(v17), "--format", "md", "--average", "group:A1", NULL);
    cr_assert(strstr(out, "jämförelsen omfattar 0 andra kommuner i kommungrupp A1"), "%s", out);
    free(out);
    s_expect(admin, 1, "a group is one of SKR's kommungrupper (2017)", "report", s_id(v17),
             "--average", "group:b3", NULL);
    s_expect(admin, 1, "a group is one of SKR's kommungrupper (2017)", "report", s_id(v17),
             "--average", "group:", NULL);
}

/* ------------------------------------------------------------ municipality edit */

Test(followup, municipality_edit_is_validated_audited_and_keeps_signed_names)
{
    char eva[300];
    th_user(s, admin, "eva", "Eva Utvärderare", "SKR", "evaluator", eva, sizeof eva);
    s_expect(admin, 1,
             "group must be one of SKR's kommungrupper (2017): A1, A2, B3, B4, B5, C6, "
             "C7, C8 or C9; not 'B9'",
             "municipality", "add", "Köping", "--group", "B9", NULL);
    json_t *m = th_json(s, admin, 0, "municipality", "add", "Köping", "--group", "C7", NULL);
    cr_assert_str_eq(json_string_value(json_object_get(m, "group")), "C7");
    json_decref(m);
    char *ev = th_sql(s, "SELECT after FROM audit_events WHERE action = 'municipality.add'");
    cr_assert_str_eq(ev, "{\"county\":\"\",\"group\":\"C7\",\"kind\":\"kommun\",\"name\":"
                         "\"Köping\",\"org_number\":\"\"}");
    free(ev);

    /* a correction: county set, group cleared; audited with before and after */
    m = th_json(s, admin, 0, "municipality", "edit", "KÖPING", "--county", "Västmanlands län",
                "--group", "", NULL);
    cr_assert(json_is_true(json_object_get(m, "changed")));
    cr_assert_str_eq(json_string_value(json_object_get(m, "county")), "Västmanlands län");
    cr_assert(json_is_null(json_object_get(m, "group")));
    json_decref(m);
    ev = th_sql(s, "SELECT target || ' ' || before || ' -> ' || after || ' by ' || actor FROM"
                   " audit_events WHERE action = 'municipality.edit'");
    cr_assert_str_eq(ev, "municipality Köping {\"county\":\"\",\"group\":\"C7\",\"kind\":"
                         "\"kommun\",\"name\":\"Köping\"} -> {\"county\":\"Västmanlands län\","
                         "\"group\":\"\",\"kind\":\"kommun\",\"name\":\"Köping\"} by admin");
    free(ev);
    /* the same again changes nothing and records nothing */
    m = th_json(s, admin, 0, "municipality", "edit", "Köping", "--county", "Västmanlands län",
                NULL);
    cr_assert(json_is_false(json_object_get(m, "changed")));
    json_decref(m);
    cr_assert_eq(s_count("SELECT count(*) FROM audit_events WHERE action = 'municipality.edit'"),
                 1);
    json_t *l = th_json(s, admin, 0, "municipality", "list", NULL);
    json_t *k = json_array_get(json_object_get(l, "municipalities"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(k, "county")), "Västmanlands län");
    json_decref(l);

    /* what is wrong is said, and nothing changes */
    char *before = th_sql(s, "SELECT count(*) || '/' || string_agg(name || kind || county ||"
                             " coalesce(municipality_group, '-'), ',') FROM municipalities");
    s_expect(admin, 2, "needs --name, --kind, --county or --group", "municipality", "edit",
             "Köping", NULL);
    s_expect(admin, 1, "kind must be kommun, stad or region, not 'by'", "municipality", "edit",
             "Köping", "--kind", "by", NULL);
    s_expect(admin, 1, "not 'a1'", "municipality", "edit", "Köping", "--group", "a1", NULL);
    s_expect(admin, 5, "no municipality 'Köpenhamn'", "municipality", "edit", "Köpenhamn", "--kind",
             "stad", NULL);
    s_expect(eva, 4, NULL, "municipality", "edit", "Köping", "--kind", "stad", NULL);
    free(s_out(admin, "import", V2014, NULL));
    s_expect(admin, 3, "already exists as 'Västerås stad'", "municipality", "edit", "Köping",
             "--name", "VÄSTERÅS STAD", NULL);
    char *after = th_sql(s, "SELECT count(*) - 1 || '/' || string_agg(name || kind || county ||"
                            " coalesce(municipality_group, '-'), ',') FILTER (WHERE name <>"
                            " 'Västerås stad') FROM municipalities");
    cr_assert_str_eq(before, after);
    free(before);
    free(after);

    /* a rename: the signed (imported) 2014 keeps the name it was signed
     * with and still verifies; an evaluation not signed shows the new one */
    long long v17 = th_eval(s, admin, "Västerås stad", "2017");
    char *v14 = th_sql(s, "SELECT id FROM evaluations WHERE label = '2014'");
    free(s_out(admin, "municipality", "edit", "Västerås stad", "--name", "Västerås kommun",
               "--kind", "kommun", "--group", "B3", NULL));
    free(s_out(admin, "eval", "verify", v14, NULL));
    json_t *r = th_json(s, admin, 0, "report", v14, "--format", "json", NULL);
    cr_assert_str_eq(json_string_value(json_object_get(r, "municipality")), "Västerås stad");
    json_decref(r);
    r = th_json(s, admin, 0, "report", s_id(v17), "--format", "json", NULL);
    cr_assert_str_eq(json_string_value(json_object_get(r, "municipality")), "Västerås kommun");
    json_decref(r);
    free(v14);
    /* by id too */
    char *mid = th_sql(s, "SELECT id FROM municipalities WHERE name = 'Västerås kommun'");
    free(s_out(admin, "municipality", "edit", mid, "--name", "Västerås stad", "--kind", "stad",
               NULL));
    free(mid);
    cr_assert_eq(s_count("SELECT count(*) FROM audit_events WHERE action = 'municipality.edit'"),
                 3);
}
