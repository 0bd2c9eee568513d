/*  The municipality's factual review ("faktagranskning"), end to end through
 *  the CLI against a real kompassd: the contact person of Västerås stad on
 *  the team (allowed only as contact), read-only and blind to scores, the
 *  lead opening the review once the texts are approved, remarks by the
 *  contact only, signing blocked while a remark is unanswered or the review
 *  open, the window and close rules, the audit events, and the report's
 *  last page saying when the municipality reviewed it; and the PM
 *  (`report --template pm`) of the signed evaluation in each format.
 */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "util.h"

static th_server *s;
static char admin[300], lead[300], peer[300], contact[300], ids[32];
static long long id;

static void s_setup(void)
{
    s = th_server_start(NULL);
    th_admin_login(s, admin, sizeof admin);
    id = th_scoring_eval(s, admin, lead, peer);
    snprintf(ids, sizeof ids, "%lld", id);
    th_user(s, admin, "karin", "Karin Kontakt", "Västerås stad", "observer", contact,
            sizeof contact);
}

static void s_teardown(void)
{
    th_server_free(&s);
}

TestSuite(factcheck, .init = s_setup, .fini = s_teardown, .timeout = 600);

/* Runs kompass ARGS as home, asserts the exit code and that needle is in
 * stderr (NULL: anything). */
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
    cr_assert_eq(got, rc, "kompass %s %s ... exited %d, not %d: %s%s", arg, n > 1 ? args[1] : "",
                 got, rc, out, err);
    if (needle) cr_assert(strstr(err, needle), "kompass %s ...: '%s' not in: %s", arg, needle, err);
    free(out);
    free(err);
}

/* kompass ARGS as home, exit 0; its stdout (caller's to free). */
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
    cr_assert_eq(got, 0, "kompass %s %s ... exited %d: %s%s", arg, n > 1 ? args[1] : "", got, out,
                 err);
    free(err);
    return out;
}

static char *s_sqlf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *s_sqlf(const char *fmt, ...)
{
    char q[2000];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(q, sizeof q, fmt, ap);
    va_end(ap);
    return th_sql(s, q);
}

static const char *s_status(void)
{
    static char status[32];
    char *v = s_sqlf("SELECT status FROM evaluations WHERE id = %lld", id);
    kp_strlcpy(status, v ? v : "", sizeof status);
    free(v);
    return status;
}

static int s_sign(const char *home, const char *password, char **err)
{
    char input[128];
    snprintf(input, sizeof input, "%s\n", password);
    return th_cli_as(s, home, input, NULL, err, "sign", ids, "--meaning", "approved",
                     "--password-stdin", NULL);
}

static void s_write(const char *name, const char *text, char *path, size_t len)
{
    snprintf(path, len, "%s/%s", s->dir, name);
    cr_assert_eq(kp_write_file(path, text, strlen(text), 0644), 0);
}

/* Every question scored at half its max by home, through score import. */
static void s_import(const char *home)
{
    char *list = th_sql(s, "SELECT string_agg(q.code || ',' || floor(q.max / 2)::int || ',', "
                           "E'\\n' ORDER BY a.number, q.position) FROM framework_questions q"
                           " JOIN framework_areas a ON a.id = q.area_id JOIN frameworks f"
                           " ON f.id = q.framework_id WHERE f.code = 'KK2015'");
    char *csv = malloc(strlen(list) + 64), path[400];
    sprintf(csv, "question,points,rationale\n%s\n", list);
    free(list);
    s_write("scores.csv", csv, path, sizeof path);
    free(csv);
    char *err = NULL;
    cr_assert_eq(th_cli_as(s, home, NULL, NULL, &err, "score", "import", ids, path, NULL), 0, "%s",
                 err);
    free(err);
}

/* Both have scored every question (the lead already when lead_scored),
 * submitted, merged: consensus, texts not yet written. */
static void s_to_consensus(int lead_scored)
{
    if (!lead_scored) s_import(lead);
    s_import(peer);
    cr_assert_eq(th_cli_as(s, peer, NULL, NULL, NULL, "submit", ids, NULL), 0);
    cr_assert_eq(th_cli_as(s, lead, NULL, NULL, NULL, "submit", ids, NULL), 0);
    cr_assert_eq(th_cli_as(s, lead, NULL, NULL, NULL, "consensus", "auto", ids, "--strategy",
                           "median", NULL),
                 0);
    cr_assert_str_eq(s_status(), "consensus");
}

/* The lead writes every area's summary (and area 1's lists); the peer
 * approves them all: review. */
static void s_texts_approved(void)
{
    char path[400];
    for (int a = 1; a <= 8; a++) {
        char text[128], area[8], name[32];
        snprintf(text, sizeof text, "Område %d: tydliga mål och uppföljning.\n", a);
        snprintf(name, sizeof name, "summary-%d.txt", a);
        s_write(name, text, path, sizeof path);
        snprintf(area, sizeof area, "%d", a);
        char *err = NULL;
        cr_assert_eq(th_cli_as(s, lead, NULL, NULL, &err, "text", "set", ids, area, "summary",
                               "--file", path, NULL),
                     0, "%s", err);
        free(err);
    }
    s_write("strengths-1.txt", "Medborgarpanel sedan 2016\nÖppna nämndmöten\n", path, sizeof path);
    cr_assert_eq(th_cli_as(s, lead, NULL, NULL, NULL, "text", "set", ids, "1", "strengths",
                           "--file", path, NULL),
                 0);
    s_write("improvements-1.txt", "Dialog om verksamhetsresultat med invånarna\n", path,
            sizeof path);
    cr_assert_eq(th_cli_as(s, lead, NULL, NULL, NULL, "text", "set", ids, "1", "improvements",
                           "--file", path, NULL),
                 0);
    for (int a = 1; a <= 8; a++) {
        char area[8];
        snprintf(area, sizeof area, "%d", a);
        cr_assert_eq(th_cli_as(s, peer, NULL, NULL, NULL, "text", "approve", ids, area, NULL), 0);
    }
    cr_assert_str_eq(s_status(), "review");
}

static long long s_json_int(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    cr_assert(json_is_integer(v), "no integer '%s'", key);
    return (long long)json_integer_value(v);
}

Test(factcheck, the_contact_is_the_one_member_from_the_municipality)
{
    char olle[300];
    th_user(s, admin, "olle", "Olle Annan", "Hylte kommun", "observer", olle, sizeof olle);
    th_user(s, admin, "vera", "Vera Västerås", "Västerås stad", "evaluator", olle, sizeof olle);
    /* From Västerås stad: not as peer, not as observer (jäv), but as contact. */
    s_expect(admin, 3,
             "conflict of interest: Vera Västerås (Västerås stad) works for Västerås stad", "eval",
             "assign", ids, "vera", "--as", "peer", NULL);
    s_expect(admin, 3, "its contact person joins --as contact", "eval", "assign", ids, "karin",
             "--as", "observer", NULL);
    cr_assert_str_eq(s_sqlf("SELECT count(*) FROM evaluation_members WHERE evaluation_id = %lld"
                            " AND user_id IN (SELECT id FROM users WHERE login IN ('vera', "
                            "'karin'))",
                            id),
                     "0");
    s_expect(admin, 0, NULL, "eval", "assign", ids, "karin", "--as", "contact", NULL);
    /* The contact must be the municipality's. */
    s_expect(admin, 3, "Olle Annan (Hylte kommun) does not work for Västerås stad", "eval",
             "assign", ids, "olle", "--as", "contact", NULL);
    s_expect(admin, 1, "the municipality's own person", "eval", "assign", ids, "admin", "--as",
             "contact", NULL);
    s_expect(admin, 1, "--as must be lead, peer, observer or contact", "eval", "assign", ids,
             "olle", "--as", "kontakt", NULL);
    /* The lead may assign the contact too; audited as eval.assign. */
    s_expect(lead, 0, NULL, "eval", "assign", ids, "vera", "--as", "contact", NULL);
    char *n = s_sqlf("SELECT count(*) FROM audit_events WHERE evaluation_id = %lld AND action ="
                     " 'eval.assign' AND after::jsonb @> '{\"role\": \"contact\"}'",
                     id);
    cr_assert_str_eq(n, "2");
    free(n);
    json_t *doc = th_json(s, contact, 0, "eval", "show", ids, NULL);
    char *dump = json_dumps(doc, 0);
    cr_assert(strstr(dump, "\"contact\""), "%s", dump);
    free(dump);
    json_decref(doc);
}

Test(factcheck, the_contact_reads_only_and_never_sees_blind_scores)
{
    s_expect(admin, 0, NULL, "eval", "assign", ids, "karin", "--as", "contact", NULL);
    s_import(lead);
    /* blind scoring: nothing of the scores, nor the draft */
    s_expect(contact, 4, "not open to a team contact", "score", "show", ids, NULL);
    s_expect(contact, 4, "not open to a team contact", "consensus", ids, NULL);
    s_expect(contact, 4, "not open to a team contact", "text", "show", ids, NULL);
    s_expect(contact, 4, NULL, "audit", ids, NULL);
    s_expect(contact, 5, "no evaluation", "report", ids, NULL);
    char *history = s_out(contact, "history", "Västerås stad", NULL);
    cr_assert(strstr(history, "Västerås stad: 0 evaluations"), "%s", history);
    free(history);
    s_expect(contact, 0, NULL, "eval", "status", ids, NULL);
    char *show = s_out(contact, "--json", "eval", "show", ids, NULL);
    cr_assert_null(strstr(show, "\"points\""), "%s", show);
    free(show);
    /* read only */
    s_expect(contact, 4, "not open to a team contact", "score", "set", ids, "1.2", "3", NULL);
    char path[400];
    s_write("c.txt", "Kommunens egen text.\n", path, sizeof path);
    s_expect(contact, 4, NULL, "text", "set", ids, "1", "summary", "--file", path, NULL);
    s_expect(contact, 4, NULL, "evidence", "list", ids, NULL);
    s_expect(contact, 4, NULL, "factcheck", "start", ids, NULL);
    s_expect(contact, 1, "has no factual review", "factcheck", "remark", ids, "1", "--text",
             "För tidigt.", NULL);

    /* after consensus the contact still reads no working tables; the draft
     * report opens to them with the review */
    s_to_consensus(1);
    s_expect(contact, 4, NULL, "consensus", ids, NULL);
    s_expect(contact, 4, NULL, "comment", "list", ids, NULL);
    s_expect(contact, 5, NULL, "report", ids, NULL);
    s_expect(contact, 4, NULL, "consensus", "set", ids, "1.1", "8", NULL);
    s_expect(lead, 1, "areas' texts are not approved", "factcheck", "start", ids, NULL);
    s_texts_approved();
    s_expect(lead, 0, NULL, "factcheck", "start", ids, NULL);
    char *md = s_out(contact, "report", ids, NULL);
    cr_assert(strstr(md, "UTKAST"), "the draft is not marked");
    cr_assert(strstr(md, "Kommunen faktagranskar utkastet "), "%.400s", md);
    free(md);
    s_expect(contact, 4, NULL, "text", "approve", ids, "1", NULL);
    char *err = NULL;
    cr_assert_eq(s_sign(contact, TH_PASSWORD, &err), 4, "%s", err);
    cr_assert(strstr(err, "sign is for admin or evaluator"), "%s", err);
    free(err);
}

Test(factcheck, review_end_to_end_blocks_signing_until_answered_and_closed, .timeout = 900)
{
    s_expect(admin, 0, NULL, "eval", "assign", ids, "karin", "--as", "contact", NULL);
    s_to_consensus(0);
    s_texts_approved();

    /* only the lead (or an admin) opens it; one a revision */
    s_expect(peer, 4, "not open to a team peer", "factcheck", "start", ids, NULL);
    s_expect(lead, 2, "--days", "factcheck", "start", ids, "--days", "0", NULL);
    json_t *doc = th_json(s, lead, 0, "factcheck", "start", ids, NULL);
    json_t *f = json_object_get(doc, "factcheck");
    cr_assert_eq(s_json_int(f, "days"), 10);
    char *today = th_sql(s, "SELECT current_date::text"),
         *end = th_sql(s, "SELECT (current_date + 10)::text");
    cr_assert_str_eq(json_string_value(json_object_get(f, "started_on")), today);
    cr_assert_str_eq(json_string_value(json_object_get(f, "ends_on")), end);
    json_decref(doc);
    s_expect(lead, 3, "was opened on", "factcheck", "start", ids, NULL);

    /* remarks: the contact's, per area of the framework */
    s_expect(contact, 1, "KK2015 has no area 9 (its areas are 1–8)", "factcheck", "remark", ids,
             "9", "--text", "Fel.", NULL);
    s_expect(contact, 1, "needs text", "factcheck", "remark", ids, "1", "--text", "  ", NULL);
    s_expect(lead, 4, "not open to a team lead", "factcheck", "remark", ids, "1", "--text",
             "Själv.", NULL);
    s_expect(admin, 4, "factcheck_remark is for evaluator or observer", "factcheck", "remark", ids,
             "1", "--text", "Admin.", NULL);
    doc = th_json(s, contact, 0, "factcheck", "remark", ids, "1", "--text",
                  "Medborgarpanelen startade 2016, inte 2017.", NULL);
    long long r1 = s_json_int(json_object_get(doc, "remark"), "id");
    json_decref(doc);
    doc = th_json(s, contact, 0, "factcheck", "remark", ids, "5", "--text",
                  "Poängen på 5.4 bygger på en gammal e-tjänstelista.", NULL);
    long long r2 = s_json_int(json_object_get(doc, "remark"), "id");
    json_decref(doc);
    char r1s[32], r2s[32], need[200];
    snprintf(r1s, sizeof r1s, "%lld", r1);
    snprintf(r2s, sizeof r2s, "%lld", r2);

    /* nobody signs while a remark is unanswered */
    snprintf(need, sizeof need,
             "2 remarks of the municipality's factual review have no answer "
             "(remarks %lld and %lld)",
             r1, r2);
    char *err = NULL;
    cr_assert_eq(s_sign(lead, TH_PASSWORD, &err), 1, "%s", err);
    cr_assert(strstr(err, need), "%s", err);
    free(err);
    cr_assert_str_eq(s_sqlf("SELECT count(*) FROM signatures WHERE evaluation_id = %lld", id), "0");
    doc = th_json(s, lead, 0, "eval", "status", ids, NULL);
    char *dump = json_dumps(json_object_get(doc, "blocking"), 0);
    cr_assert(strstr(dump, "2 remarks of the factual review without an answer"), "%s", dump);
    free(dump);
    json_decref(doc);

    /* the team answers; the contact does not */
    s_expect(contact, 4, NULL, "factcheck", "answer", ids, r1s, "--text", "Själv.", NULL);
    s_expect(peer, 5, "has no remark 999", "factcheck", "answer", ids, "999", "--text", "X", NULL);
    /* the team corrects the text through the ordinary commands: the
     * approval is withdrawn, and approved again */
    char path[400];
    s_write("fix-1.txt", "Område 1: medborgarpanel sedan 2016.\n", path, sizeof path);
    cr_assert_eq(th_cli_as(s, lead, NULL, NULL, NULL, "text", "set", ids, "1", "summary", "--file",
                           path, NULL),
                 0);
    cr_assert_str_eq(s_status(), "consensus");
    cr_assert_eq(th_cli_as(s, peer, NULL, NULL, NULL, "text", "approve", ids, "1", NULL), 0);
    cr_assert_str_eq(s_status(), "review");
    doc = th_json(s, peer, 0, "factcheck", "answer", ids, r1s, "--text",
                  "Rättat i sammanfattningen av område 1.", NULL);
    cr_assert_eq(s_json_int(doc, "unanswered"), 1);
    json_decref(doc);
    s_expect(lead, 3, "was answered by ewa", "factcheck", "answer", ids, r1s, "--text", "Igen.",
             NULL);
    /* before the window ends, a review with an unanswered remark stays open */
    snprintf(need, sizeof need,
             "1 remark of the factual review has no answer (remark %lld) and "
             "its window runs until %s",
             r2, end);
    s_expect(lead, 1, need, "factcheck", "close", ids, NULL);
    snprintf(need, sizeof need,
             "1 remark of the municipality's factual review has no answer "
             "(remark %lld)",
             r2);
    err = NULL;
    cr_assert_eq(s_sign(lead, TH_PASSWORD, &err), 1, "%s", err);
    cr_assert(strstr(err, need), "%s", err);
    free(err);

    /* the window passes (moved back behind the triggers, as time would) */
    cr_assert_eq(th_sql_try(s,
                            "SET session_replication_role = replica;"
                            " UPDATE factchecks SET started_at = now() - interval '12 days',"
                            " ends_on = current_date - 2",
                            NULL),
                 0);
    char *from = th_sql(s, "SELECT (current_date - 12)::text"),
         *ended = th_sql(s, "SELECT (current_date - 2)::text");
    snprintf(need, sizeof need, "window of evaluation %lld ended on %s", id, ended);
    s_expect(contact, 1, need, "factcheck", "remark", ids, "2", "--text", "Sent.", NULL);
    s_expect(peer, 4, NULL, "factcheck", "close", ids, NULL);
    /* after the window the lead closes it, answered or not */
    char *out = s_out(lead, "factcheck", "close", ids, NULL);
    cr_assert(strstr(out, "2 remarks, 1 without an answer"), "%s", out);
    free(out);
    s_expect(lead, 3, "was closed on", "factcheck", "close", ids, NULL);
    s_expect(contact, 1, "was closed on", "factcheck", "remark", ids, "3", "--text", "Mer.", NULL);
    /* ... and still nobody signs before the last remark has its answer */
    snprintf(need, sizeof need,
             "1 remark of the municipality's factual review has no answer "
             "(remark %lld)",
             r2);
    err = NULL;
    cr_assert_eq(s_sign(peer, TH_PASSWORD, &err), 1);
    cr_assert(strstr(err, need), "%s", err);
    free(err);
    s_expect(peer, 0, NULL, "factcheck", "answer", ids, r2s, "--text",
             "Ingen ändring: listan gäller mätåret.", NULL);

    /* the list, for the team and the contact */
    doc = th_json(s, contact, 0, "factcheck", ids, NULL);
    cr_assert(json_is_true(json_object_get(doc, "started")));
    f = json_object_get(doc, "factcheck");
    cr_assert(json_is_true(json_object_get(f, "closed")));
    cr_assert_eq(s_json_int(f, "remarks"), 2);
    cr_assert_eq(s_json_int(f, "unanswered"), 0);
    json_t *rs = json_object_get(doc, "remarks");
    cr_assert_eq(json_array_size(rs), 2);
    json_t *a1 = json_object_get(json_array_get(rs, 0), "answer");
    cr_assert_str_eq(json_string_value(json_object_get(a1, "text")),
                     "Rättat i sammanfattningen av område 1.");
    cr_assert_str_eq(json_string_value(json_object_get(a1, "by")), "ewa");
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(rs, 1), "author")), "karin");
    json_decref(doc);
    out = s_out(lead, "factcheck", ids, NULL);
    cr_assert(strstr(out, "Poängen på 5.4 bygger på en gammal e-tjänstelista."), "%s", out);
    cr_assert(strstr(out, "answer by ewa (Ewa Luvö)"), "%s", out);
    free(out);

    /* now it is signed */
    cr_assert_eq(s_sign(lead, TH_PASSWORD, NULL), 0);
    cr_assert_eq(s_sign(peer, TH_PASSWORD, NULL), 0);
    cr_assert_eq(s_sign(admin, TH_ADMIN_PASSWORD, NULL), 0);
    cr_assert_str_eq(s_status(), "signed");

    /* audited: one event a step */
    char *events = s_sqlf("SELECT string_agg(action, ',' ORDER BY seq) FROM audit_events"
                          " WHERE evaluation_id = %lld AND action LIKE 'factcheck.%%'",
                          id);
    cr_assert_str_eq(events, "factcheck.start,factcheck.remark,factcheck.remark,"
                             "factcheck.answer,factcheck.close,factcheck.answer");
    free(events);
    s_expect(admin, 0, NULL, "eval", "verify", ids, NULL);

    /* the report's last page says when the municipality reviewed it, in
     * every format */
    char line[200];
    snprintf(line, sizeof line, "Kommunen har faktagranskat rapporten %s–%s.", from, today);
    const char *formats[] = {"md", "html", "csv", "json"};
    for (size_t i = 0; i < 4; i++) {
        out = s_out(peer, "report", ids, "--format", formats[i], NULL);
        cr_assert(strstr(out, line), "%s report lacks '%s'", formats[i], line);
        cr_assert_null(strstr(out, "UTKAST"), "%s", formats[i]);
        free(out);
    }
    out = s_out(contact, "--json", "report", ids, "--format", "json", NULL);
    doc = json_loads(out, 0, NULL);
    cr_assert_not_null(doc, "%s", out);
    f = json_object_get(doc, "factcheck");
    cr_assert_str_eq(json_string_value(json_object_get(f, "from")), from);
    cr_assert_str_eq(json_string_value(json_object_get(f, "to")), today);
    json_decref(doc);
    free(out);
    /* the last page: after the overview, beside the signatures */
    out = s_out(peer, "report", ids, "--format", "html", NULL);
    cr_assert(strstr(out, line) > strstr(out, "id=\"signaturer\""), "not on the last page");
    free(out);
    free(today);
    free(end);
    free(from);
    free(ended);

    /* the PM of the signed evaluation: html (A4 as the full report) and md */
    out = s_out(contact, "report", ids, "--template", "pm", "--format", "html", NULL);
    cr_assert(strstr(out, "PM Utvärdering enligt Kommunkompassen"));
    cr_assert(strstr(out, "Christine Feuk"), "the team");
    cr_assert(strstr(out, "class=\"series-current\""), "the radar");
    cr_assert(strstr(out, "Medborgarpanel sedan 2016"), "area 1's strengths");
    cr_assert(strstr(out, "Dialog om verksamhetsresultat med invånarna"), "improvements");
    cr_assert(strstr(out, line), "when the municipality reviewed it");
    cr_assert_null(strstr(out, "Vad är Kommunkompassen"), "framework texts in the PM");
    cr_assert_null(strstr(out, "Allmänt"), "the areas' framework texts in the PM");
    cr_assert_null(strstr(out, "tydliga mål och uppföljning"), "area summaries in the PM");
    cr_assert_null(strstr(out, "UTKAST"));
    free(out);
    out = s_out(peer, "report", ids, "--template", "pm", NULL);
    cr_assert(strstr(out, "# PM Utvärdering enligt Kommunkompassen"), "%.300s", out);
    cr_assert(strstr(out, "### 1. Offentlighet och demokrati: "), "%s", out);
    cr_assert(strstr(out, "- Medborgarpanel sedan 2016"), "%s", out);
    cr_assert(strstr(out, line));
    cr_assert_null(strstr(out, "Vad är Kommunkompassen"));
    cr_assert_null(strstr(out, "## 4 Översikt av poängfördelning"));
    free(out);
    s_expect(peer, 2, "the PM (--template pm) is html or md", "report", ids, "--template", "pm",
             "--format", "csv", NULL);
    s_expect(peer, 2, "--template must be full or pm", "report", ids, "--template", "memo", NULL);
    char pm_path[400];
    snprintf(pm_path, sizeof pm_path, "%s/pm.html", s->dir);
    err = NULL;
    cr_assert_eq(th_cli_as(s, peer, NULL, NULL, &err, "report", ids, "--template", "pm", "-o",
                           pm_path, NULL),
                 0);
    cr_assert(strstr(err, "wrote html PM of evaluation"), "%s", err);
    free(err);
}
