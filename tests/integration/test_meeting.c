/*  The consensus meeting, end to end through the CLI against a real
 *  kompassd and PostgreSQL: the rationales beside the scores (table and
 *  JSON), the JSON spread, a thread per question (who sees it, the blind
 *  phase, the audit trail, watch, read markers), an open thread keeping the
 *  evaluation in consensus, the last submission naming the major
 *  disagreements, `consensus set` after a conflict, four eyes on texts, a
 *  question's whole picture, and a calibration exercise from a signed
 *  evaluation with its agreement figures checked against values computed by
 *  hand, and its absence from averages, statistics, history and search.
 */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "util.h"

static th_server *s;
static char admin[300], lead[300], peer[300], obs[300], outsider[300], trainee[300], ids[32];
static long long id;

/* Every question of KK2015 with its max, from the database. */
static char s_codes[64][8];
static int s_max[64];
static int s_nq;

static void s_setup(void)
{
    s = th_server_start(NULL);
    th_admin_login(s, admin, sizeof admin);
    id = th_scoring_eval(s, admin, lead, peer);
    snprintf(ids, sizeof ids, "%lld", id);
    th_user(s, admin, "anna", "Anna Eklund", "SKL", "observer", obs, sizeof obs);
    th_user(s, admin, "olle", "Olle Utanför", "Eskilstuna kommun", "evaluator", outsider,
            sizeof outsider);
    th_user(s, admin, "jonas", "Jonas Ny", "Tjörns kommun", "evaluator", trainee, sizeof trainee);
    cr_assert_eq(th_cli_as(s, admin, NULL, NULL, NULL, "eval", "assign", ids, "anna", "--as",
                           "observer", NULL),
                 0);
    char *list = th_sql(s, "SELECT string_agg(q.code || ':' || q.max::int, ',' ORDER BY a.number,"
                           " q.position) FROM framework_questions q JOIN framework_areas a"
                           " ON a.id = q.area_id JOIN frameworks f ON f.id = q.framework_id"
                           " WHERE f.code = 'KK2015'");
    s_nq = 0;
    for (char *tok = strtok(list, ","); tok && s_nq < 64; tok = strtok(NULL, ",")) {
        sscanf(tok, "%7[^:]:%d", s_codes[s_nq], &s_max[s_nq]);
        s_nq++;
    }
    free(list);
    cr_assert_eq(s_nq, 45);
}

static void s_teardown(void)
{
    th_server_free(&s);
}

TestSuite(meeting, .init = s_setup, .fini = s_teardown, .timeout = 400);

/* ---------------------------------------------------------------- helpers */

#define LONG_WHY                                                                                   \
    "Målen saknas i dokumenten och intervjuerna med politikerna bekräftar att uppföljningen "   \
    "brister helt"

/* Who scores what: the lead half of each max (rounded down); the peer the
 * same but 1.1 one point more (minor), 2.1 its max and 7.1 12 (major). */
static int s_points(int who, const char *code, int max)
{
    int base = max / 2;
    if (who == 1 && strcmp(code, "1.1") == 0) return base + 1;
    if (who == 1 && strcmp(code, "2.1") == 0) return max;
    if (who == 1 && strcmp(code, "7.1") == 0) return 12;
    return base;
}

static const char *s_why(int who, const char *code)
{
    if (strcmp(code, "2.1") == 0) return who ? "Tydliga mål i budgeten" : LONG_WHY;
    if (strcmp(code, "7.1") == 0)
        return who ? "Systematiskt förbättringsarbete med ledningssystem"
                   : "Förbättringsarbete syns bara i enstaka förvaltningar";
    return "";
}

/* Imports a sheet of scores for home into evaluation eval (text: the CSV). */
static void s_import(const char *home, const char *eval, const char *name, const char *csv)
{
    char path[400];
    snprintf(path, sizeof path, "%s/%s.csv", s->dir, name);
    cr_assert_eq(kp_write_file(path, csv, strlen(csv), 0644), 0);
    char *err = NULL;
    cr_assert_eq(th_cli_as(s, home, NULL, NULL, &err, "score", "import", eval, path, NULL), 0, "%s",
                 err);
    free(err);
}

/* Scores every question as who (0 lead, 1 peer), with the rationales. */
static void s_score_all(const char *home, int who)
{
    char *csv = malloc(16384);
    size_t len = (size_t)snprintf(csv, 16384, "question,points,rationale\n");
    for (int q = 0; q < s_nq; q++)
        len += (size_t)snprintf(csv + len, 16384 - len, "%s,%d,\"%s\"\n", s_codes[q],
                                s_points(who, s_codes[q], s_max[q]), s_why(who, s_codes[q]));
    s_import(home, ids, who ? "peer" : "lead", csv);
    free(csv);
}

/* Runs kompass as home; asserts the exit code; returns stdout and stderr
 * together (malloc'd). */
static char *s_run(const char *home, int rc, const char *arg, ...)
{
    const char *args[40];
    int n = 0;
    va_list ap;
    va_start(ap, arg);
    for (const char *a = arg; a && n < 39; a = va_arg(ap, const char *))
        args[n++] = a;
    va_end(ap);
    args[n] = NULL;
    char *out = NULL, *err = NULL;
    int got = th_cli_full(s, home, NULL, &out, &err, args);
    cr_assert_eq(got, rc, "kompass %s %s ... exited %d, not %d: %s%s", arg, n > 1 ? args[1] : "",
                 got, rc, out, err);
    char *both = malloc(strlen(out) + strlen(err) + 1);
    strcpy(both, out);
    strcat(both, err);
    free(out);
    free(err);
    return both;
}

/* Like s_run, and the output must hold needle. */
static void s_expect(const char *home, int rc, const char *needle, const char *arg, ...)
{
    const char *args[40];
    int n = 0;
    va_list ap;
    va_start(ap, arg);
    for (const char *a = arg; a && n < 39; a = va_arg(ap, const char *))
        args[n++] = a;
    va_end(ap);
    args[n] = NULL;
    char *out = NULL, *err = NULL;
    int got = th_cli_full(s, home, NULL, &out, &err, args);
    cr_assert_eq(got, rc, "kompass %s %s ... exited %d, not %d: %s%s", arg, n > 1 ? args[1] : "",
                 got, rc, out, err);
    cr_assert(strstr(out, needle) || strstr(err, needle), "kompass %s %s ...: '%s' not in: %s%s",
              arg, n > 1 ? args[1] : "", needle, out, err);
    free(out);
    free(err);
}

static const char *s_status(long long eval)
{
    static char status[32];
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT status FROM evaluations WHERE id = %lld", eval);
    char *v = th_sql(s, sql);
    kp_strlcpy(status, v ? v : "", sizeof status);
    free(v);
    return status;
}

static json_t *s_row(json_t *doc, const char *question)
{
    size_t i;
    json_t *row;
    json_array_foreach(json_object_get(doc, "rows"), i, row)
    {
        if (strcmp(json_string_value(json_object_get(row, "question")), question) == 0) return row;
    }
    cr_assert_fail("no row %s", question);
    return NULL;
}

static const char *s_str(json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));
    cr_assert(v, "no string '%s'", key);
    return v;
}

/* Both submit (the peer first); the lead's submission is returned. */
static json_t *s_submit_both(void)
{
    cr_assert_eq(th_cli_as(s, peer, NULL, NULL, NULL, "submit", ids, NULL), 0);
    return th_json(s, lead, 0, "submit", ids, NULL);
}

/* A summary for every area, written by home. */
static void s_summaries(const char *home)
{
    char path[400];
    for (int a = 1; a <= 8; a++) {
        char text[128], area[8];
        int len = snprintf(text, sizeof text, "Område %d: tydliga mål och uppföljning.\n", a);
        snprintf(path, sizeof path, "%s/summary-%d.txt", s->dir, a);
        cr_assert_eq(kp_write_file(path, text, (size_t)len, 0644), 0);
        snprintf(area, sizeof area, "%d", a);
        free(s_run(home, 0, "text", "set", ids, area, "summary", "--file", path, NULL));
    }
}

/* Through consensus: merged, 2.1 and 7.1 settled, summaries by the lead,
 * every area approved by the peer. */
static void s_agree_and_approve(void)
{
    free(s_run(lead, 0, "consensus", "auto", ids, "--strategy", "median", NULL));
    free(s_run(lead, 0, "consensus", "set", ids, "2.1", "10", "--reason", "Dokumenten väger tyngst",
               NULL));
    free(s_run(lead, 0, "consensus", "set", ids, "7.1", "9.5", NULL));
    s_summaries(lead);
    for (int a = 1; a <= 8; a++) {
        char area[8];
        snprintf(area, sizeof area, "%d", a);
        free(s_run(peer, 0, "text", "approve", ids, area, NULL));
    }
}

static int s_sign(const char *home, const char *meaning, const char *password)
{
    char input[128];
    snprintf(input, sizeof input, "%s\n", password);
    return th_cli_as(s, home, input, NULL, NULL, "sign", ids, "--meaning", meaning,
                     "--password-stdin", NULL);
}

static long long s_version(long long eval)
{
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT version FROM evaluations WHERE id = %lld", eval);
    char *v = th_sql(s, sql);
    long long n = atoll(v);
    free(v);
    return n;
}

/* ---------------------------------------------------------------- the tests */

Test(meeting, rationales_beside_the_scores_and_the_json_spread)
{
    s_score_all(lead, 0);
    s_score_all(peer, 1);
    json_t *sub = s_submit_both();
    /* The last submission names the major disagreements, largest first. */
    json_t *major = json_object_get(sub, "major");
    cr_assert_eq(json_array_size(major), 2, "%s", json_dumps(sub, 0));
    cr_assert_str_eq(json_string_value(json_array_get(major, 0)), "2.1"); /* 8 of 15 */
    cr_assert_str_eq(json_string_value(json_array_get(major, 1)), "7.1"); /* 5 of 15 */
    json_decref(sub);
    /* ... and so does its event, which watch shows */
    char *after = th_sql(s, "SELECT after FROM audit_events WHERE action = 'score.submit'"
                            " ORDER BY id DESC LIMIT 1");
    cr_assert(strstr(after, "\"major\":[\"2.1\",\"7.1\"]"), "%s", after);
    free(after);
    char since[32];
    snprintf(since, sizeof since, "%lld", s_version(id) - 1);
    char *w = s_run(obs, 0, "watch", ids, "--since", since, "--count", "1", NULL);
    cr_assert(strstr(w, "score.submit") && strstr(w, "2.1") && strstr(w, "7.1"), "%s", w);
    free(w);

    /* JSON: every rationale whole; the spread its own value, not the max */
    json_t *doc = th_json(s, peer, 0, "consensus", ids, NULL);
    json_t *r21 = s_row(doc, "2.1"), *r11 = s_row(doc, "1.1"), *r71 = s_row(doc, "7.1");
    cr_assert_str_eq(s_str(r21, "max"), "15");
    cr_assert_str_eq(s_str(r21, "spread"), "8");
    cr_assert_str_eq(s_str(r11, "spread"), "1");
    cr_assert_str_eq(s_str(r71, "spread"), "5");
    cr_assert_str_eq(s_str(s_row(doc, "3.1"), "spread"), "0");
    json_t *why = json_object_get(r21, "rationales");
    cr_assert_str_eq(s_str(why, "christine"), LONG_WHY);
    cr_assert_str_eq(s_str(why, "ewa"), "Tydliga mål i budgeten");
    cr_assert_str_eq(s_str(json_object_get(r11, "rationales"), "ewa"), "");
    json_decref(doc);

    /* The table: each rationale under its row, cut at a word boundary */
    char *t = s_run(peer, 0, "consensus", ids, NULL);
    cr_assert(strstr(t, "christine: Målen saknas i dokumenten"), "%s", t);
    cr_assert(strstr(t, "ewa: Tydliga mål i budgeten\n"), "%s", t);
    cr_assert(strstr(t, "ewa: Systematiskt förbättringsarbete med ledningssystem"), "%s", t);
    cr_assert_null(strstr(t, "brister helt"), "the long rationale is not cut: %s", t);
    const char *cut = strstr(t, "christine: Målen");
    const char *eol = strchr(cut, '\n');
    cr_assert(eol - cut > 3 && strncmp(eol - 3, "…", 3) == 0, "no ellipsis: %.*s", (int)(eol - cut),
              cut);
    cr_assert_neq(*(eol - 4), ' ', "cut before a space");
    free(t);
}

Test(meeting, a_thread_per_question_who_sees_it_audit_watch_and_read_markers)
{
    s_score_all(lead, 0);
    s_score_all(peer, 1);
    /* Blind: no thread may open (a comment could carry a score), not even
     * an admin's; reading shows nothing. */
    s_expect(lead, 1, "blind scoring", "comment", "add", ids, "7.1", "--text", "Jag gav 7", NULL);
    s_expect(admin, 1, "INVALID_STATE", "comment", "add", ids, "7.1", "--text", "x", NULL);
    json_t *doc = th_json(s, lead, 0, "comment", "list", ids, NULL);
    cr_assert_eq(json_array_size(json_object_get(doc, "threads")), 0);
    json_decref(doc);
    json_decref(s_submit_both());

    long long v0 = s_version(id);
    free(s_run(lead, 0, "comment", "add", ids, "7.1", "--text",
               "Jag landar på 9,5: dokumenten visar lite.\nIntervjuerna visar mer.", NULL));
    for (int i = 0; i < 3; i++) {
        char text[64];
        snprintf(text, sizeof text, "Ewas synpunkt %d på förbättringsarbetet", i + 1);
        free(s_run(peer, 0, "comment", "add", ids, "7.1", "--text", text, NULL));
    }
    free(s_run(peer, 0, "comment", "add", ids, "2.1", "--text", "Budgeten har mål", NULL));

    /* Outsiders: as if it did not exist; observers read, never write. */
    s_expect(outsider, 5, "NOT_FOUND", "comment", "list", ids, NULL);
    s_expect(outsider, 5, "NOT_FOUND", "comment", "add", ids, "7.1", "--text", "Hej", NULL);
    s_expect(outsider, 5, "NOT_FOUND", "consensus", ids, "--question", "7.1", NULL);
    s_expect(obs, 4, "DENIED", "comment", "add", ids, "7.1", "--text", "Hej", NULL);
    s_expect(obs, 4, "DENIED", "comment", "resolve", ids, "7.1", NULL);
    doc = th_json(s, obs, 0, "comment", "list", ids, NULL);
    cr_assert_eq(json_array_size(json_object_get(doc, "threads")), 2);
    cr_assert_eq(json_integer_value(json_object_get(doc, "new")), 5, "all new to the observer");
    json_decref(doc);

    /* Every comment is audited, in the evaluation's chain. */
    char *n = th_sql(s, "SELECT count(*) FROM audit_events WHERE action = 'comment.add'");
    cr_assert_str_eq(n, "5");
    free(n);
    /* ... and shown by watch as it happened */
    char since[32];
    snprintf(since, sizeof since, "%lld", v0);
    char *w = s_run(obs, 0, "watch", ids, "--since", since, "--count", "2", NULL);
    cr_assert(strstr(w, "comment.add") && strstr(w, "thread 7.1") &&
                  strstr(w, "Jag landar på 9,5: dokumenten visar lite. Intervjuerna"),
              "%s", w);
    free(w);

    /* What is new to the lead: the peer's comments, not her own. */
    char *t = s_run(lead, 0, "consensus", ids, NULL);
    cr_assert(strstr(t, "3 new on 7.1") && strstr(t, "1 new on 2.1"), "%s", t);
    cr_assert(strstr(t, "threads: open 2.1, 7.1"), "%s", t);
    free(t);
    doc = th_json(s, lead, 0, "consensus", ids, NULL);
    json_t *th = json_object_get(s_row(doc, "7.1"), "thread");
    cr_assert_str_eq(s_str(th, "status"), "open");
    cr_assert_eq(json_integer_value(json_object_get(th, "comments")), 4);
    cr_assert_eq(json_integer_value(json_object_get(th, "new")), 3);
    cr_assert(json_is_null(json_object_get(s_row(doc, "1.1"), "thread")));
    json_decref(doc);
    /* Reading the thread marks it read; the other stays new. */
    t = s_run(lead, 0, "comment", "list", ids, "7.1", NULL);
    cr_assert(strstr(t, "new for you: 3 on 7.1"), "%s", t);
    int marks = 0;
    for (const char *p = t; (p = strstr(p, "[new]")); p++)
        marks++;
    cr_assert_eq(marks, 3, "%s", t);
    cr_assert(strstr(t, "      Intervjuerna visar mer."), "a comment's lines as written: %s", t);
    free(t);
    t = s_run(lead, 0, "comment", "list", ids, "7.1", NULL);
    cr_assert(strstr(t, "nothing new for you") && !strstr(t, "[new]"), "%s", t);
    free(t);
    t = s_run(lead, 0, "consensus", ids, NULL);
    cr_assert(!strstr(t, "new on 7.1") && strstr(t, "1 new on 2.1"), "%s", t);
    free(t);
    /* The peer's own comments are never new to her; the lead's is. */
    doc = th_json(s, peer, 0, "comment", "list", ids, "--open", NULL);
    cr_assert_eq(json_integer_value(json_object_get(doc, "new")), 1);
    cr_assert_eq(json_integer_value(json_object_get(doc, "open_threads")), 2);
    json_t *first = json_array_get(json_object_get(doc, "threads"), 0);
    cr_assert_str_eq(s_str(first, "question"), "2.1", "framework order");
    json_decref(doc);
    /* A reader's marker is not the evaluation's content: no version, no event. */
    long long v1 = s_version(id);
    free(s_run(peer, 0, "comment", "list", ids, NULL));
    cr_assert_eq(s_version(id), v1);
}

Test(meeting, an_open_thread_keeps_the_evaluation_in_consensus_until_resolved)
{
    s_score_all(lead, 0);
    s_score_all(peer, 1);
    json_decref(s_submit_both());
    free(s_run(peer, 0, "comment", "add", ids, "7.1", "--text", "Vi behöver prata om 7.1", NULL));
    free(s_run(lead, 0, "comment", "add", ids, "2.1", "--text", "Och om 2.1", NULL));
    s_agree_and_approve();
    /* Everything agreed and approved, but two threads open: still consensus. */
    cr_assert_str_eq(s_status(id), "consensus");
    json_t *doc = th_json(s, lead, 0, "eval", "status", ids, NULL);
    json_t *open = json_object_get(doc, "open_threads");
    cr_assert_eq(json_array_size(open), 2);
    char *blocking = json_dumps(json_object_get(doc, "blocking"), 0);
    cr_assert(strstr(blocking, "2 open threads: 2.1, 7.1"), "%s", blocking);
    free(blocking);
    json_decref(doc);
    char *t = s_run(obs, 0, "eval", "status", ids, NULL);
    cr_assert(strstr(t, "blocked by  2 open threads: 2.1, 7.1"), "%s", t);
    free(t);

    doc = th_json(s, lead, 0, "comment", "resolve", ids, "2.1", NULL);
    cr_assert_str_eq(s_str(doc, "status"), "consensus");
    cr_assert_str_eq(json_string_value(json_array_get(json_object_get(doc, "still_open"), 0)),
                     "7.1");
    json_decref(doc);
    s_expect(lead, 1, "already resolved (by christine", "comment", "resolve", ids, "2.1", NULL);
    /* The last one resolved: on to review, and the reason is kept. */
    doc = th_json(s, peer, 0, "comment", "resolve", ids, "7.1", "--reason",
                  "Vi enades om 9,5 efter intervjuerna", NULL);
    cr_assert_str_eq(s_str(doc, "status"), "review");
    json_decref(doc);
    cr_assert_str_eq(s_status(id), "review");
    char *reason = th_sql(s, "SELECT reason FROM audit_events WHERE action = 'comment.resolve'"
                             " ORDER BY id DESC LIMIT 1");
    cr_assert_str_eq(reason, "Vi enades om 9,5 efter intervjuerna");
    free(reason);
    /* A signature, then a thread reopened in review: back to consensus, the
     * signature given so far cancelled (the meeting is not over). */
    cr_assert_eq(s_sign(lead, "authored", TH_PASSWORD), 0);
    doc = th_json(s, peer, 0, "comment", "reopen", ids, "7.1", NULL);
    cr_assert_str_eq(s_str(doc, "status"), "consensus");
    json_decref(doc);
    char *n = th_sql(s, "SELECT count(*) FROM signatures WHERE cancelled_at IS NULL");
    cr_assert_str_eq(n, "0");
    free(n);
    s_expect(peer, 1, "open already", "comment", "reopen", ids, "7.1", NULL);
    /* A comment on a resolved thread opens it again, too. */
    free(s_run(lead, 0, "comment", "resolve", ids, "7.1", NULL));
    cr_assert_str_eq(s_status(id), "review");
    doc = th_json(s, peer, 0, "comment", "add", ids, "2.1", "--text", "En sak till", NULL);
    cr_assert(json_is_true(json_object_get(doc, "reopened")));
    cr_assert_str_eq(s_str(doc, "status"), "consensus");
    json_decref(doc);
    free(s_run(peer, 0, "comment", "resolve", ids, "2.1", NULL));
    cr_assert_str_eq(s_status(id), "review");
    /* Signed: the threads are closed with it. */
    cr_assert_eq(s_sign(lead, "authored", TH_PASSWORD), 0);
    cr_assert_eq(s_sign(peer, "reviewed", TH_PASSWORD), 0);
    cr_assert_eq(s_sign(admin, "approved", TH_ADMIN_PASSWORD), 0);
    cr_assert_str_eq(s_status(id), "signed");
    s_expect(lead, 1, "signed", "comment", "add", ids, "7.1", "--text", "Efteråt", NULL);
    s_expect(lead, 1, "signed", "comment", "reopen", ids, "7.1", NULL);
    /* ... and stay readable, with the whole history of 7.1 */
    doc = th_json(s, obs, 0, "comment", "list", ids, "7.1", NULL);
    json_t *th = json_array_get(json_object_get(doc, "threads"), 0);
    cr_assert_str_eq(s_str(th, "status"), "resolved");
    cr_assert_eq(json_array_size(json_object_get(th, "comments")),
                 4); /* comment, 2 resolves, reopen */
    json_decref(doc);
}

Test(meeting, consensus_set_after_a_conflict_needs_version_and_shows_what_it_overwrites)
{
    s_score_all(lead, 0);
    s_score_all(peer, 1);
    json_decref(s_submit_both());
    free(s_run(lead, 0, "consensus", ids, NULL)); /* the lead has seen every row */
    free(s_run(peer, 0, "consensus", "set", ids, "7.1", "9.5", NULL));
    /* The lead's write is refused, showing what it would overwrite ... */
    char *t = s_run(lead, 3, "consensus", "set", ids, "7.1", "9", NULL);
    cr_assert(strstr(t, "changed since you read it"), "%s", t);
    cr_assert(strstr(t, "now: 7.1 = 9.5 (version") && strstr(t, "set by ewa at"), "%s", t);
    cr_assert(strstr(t, "to overwrite it, run again with --version"), "%s", t);
    free(t);
    /* ... and refused again when simply run again */
    t = s_run(lead, 3, "consensus", "set", ids, "7.1", "9", NULL);
    free(t);
    char *v = th_sql(s, "SELECT c.points::text FROM consensus_scores c JOIN framework_questions q"
                        " ON q.id = c.question_id WHERE q.code = '7.1'");
    cr_assert_str_eq(v, "9.50", "a conflict overwrote the consensus");
    free(v);
    /* Someone who never looked at it is not let overwrite it either. */
    t = s_run(admin, 3, "consensus", "set", ids, "7.1", "8", NULL);
    cr_assert(strstr(t, "which you have not seen") && strstr(t, "--version"), "%s", t);
    free(t);
    /* With the version it names, it is written. */
    v = th_sql(s, "SELECT c.version FROM consensus_scores c JOIN framework_questions q"
                  " ON q.id = c.question_id WHERE q.code = '7.1'");
    free(s_run(lead, 0, "consensus", "set", ids, "7.1", "9", "--version", v, NULL));
    free(v);
    v = th_sql(s, "SELECT c.points::text FROM consensus_scores c JOIN framework_questions q"
                  " ON q.id = c.question_id WHERE q.code = '7.1'");
    cr_assert_str_eq(v, "9.00");
    free(v);
    /* Reading it again (the question's picture) is seeing it. */
    free(s_run(peer, 0, "consensus", ids, "--question", "7.1", NULL));
    free(s_run(peer, 0, "consensus", "set", ids, "7.1", "9.5", NULL));
}

Test(meeting, four_eyes_for_lead_peer_and_admin_on_every_section)
{
    s_score_all(lead, 0);
    s_score_all(peer, 1);
    json_decref(s_submit_both());
    char path[400];
    snprintf(path, sizeof path, "%s/text.txt", s->dir);
    cr_assert_eq(kp_write_file(path, "Tydligt.\n", 9, 0644), 0);
    char lpath[400];
    snprintf(lpath, sizeof lpath, "%s/list.txt", s->dir);
    cr_assert_eq(kp_write_file(lpath, "- En styrka\n", 12, 0644), 0);
    /* Area 1: the lead wrote the summary; area 2: the peer the strengths
     * (the lead its summary); area 3: the admin the improvements (the lead
     * its summary). */
    free(s_run(lead, 0, "text", "set", ids, "1", "summary", "--file", path, NULL));
    free(s_run(lead, 0, "text", "set", ids, "2", "summary", "--file", path, NULL));
    free(s_run(peer, 0, "text", "set", ids, "2", "strengths", "--file", lpath, NULL));
    free(s_run(lead, 0, "text", "set", ids, "3", "summary", "--file", path, NULL));
    free(s_run(admin, 0, "text", "set", ids, "3", "improvements", "--file", lpath, NULL));
    char *before = th_db_fingerprint(s);
    /* summary: its writer (the lead) may not; the refusal says who may */
    s_expect(lead, 4, "area 1's texts were written by christine (summary)", "text", "approve", ids,
             "1", NULL);
    s_expect(lead, 4, "ewa (peer) or an SKL admin who wrote none of them", "text", "approve", ids,
             "1", NULL);
    /* strengths: neither evaluator wrote none of area 2: only an admin */
    s_expect(peer, 4, "christine (summary), ewa (strengths)", "text", "approve", ids, "2", NULL);
    s_expect(lead, 4, "someone who wrote none of them: an SKL admin", "text", "approve", ids, "2",
             NULL);
    /* improvements: the admin wrote them; admins are no exception */
    s_expect(admin, 4, "admin (improvements)", "text", "approve", ids, "3", NULL);
    char *after = th_db_fingerprint(s);
    cr_assert_str_eq(before, after, "a refused approval changed the database");
    free(before);
    free(after);
    /* Who wrote none of them approves. */
    free(s_run(peer, 0, "text", "approve", ids, "1", NULL));
    free(s_run(admin, 0, "text", "approve", ids, "2", NULL));
    free(s_run(peer, 0, "text", "approve", ids, "3", NULL));
    /* A lead approves what someone else wrote, and a later writer is a
     * writer too, after an edit withdrew the approval. */
    free(s_run(peer, 0, "text", "set", ids, "4", "summary", "--file", path, NULL));
    free(s_run(lead, 0, "text", "approve", ids, "4", NULL));
    free(s_run(lead, 0, "text", "set", ids, "4", "strengths", "--file", lpath, NULL));
    char *n = th_sql(s, "SELECT count(*) FROM area_approvals WHERE area_number = 4");
    cr_assert_str_eq(n, "0", "an edit withdraws the approval");
    free(n);
    s_expect(lead, 4, "christine (strengths), ewa (summary)", "text", "approve", ids, "4", NULL);
    s_expect(peer, 4, "DENIED", "text", "approve", ids, "4", NULL);
    free(s_run(admin, 0, "text", "approve", ids, "4", NULL));
}

Test(meeting, bad_input_to_threads_is_refused_and_nothing_is_written)
{
    s_score_all(lead, 0);
    s_score_all(peer, 1);
    json_decref(s_submit_both());
    free(s_run(lead, 0, "comment", "add", ids, "1.1", "--text", "Finns", NULL));
    char *before = th_db_fingerprint(s);
    s_expect(lead, 1, "a comment needs text", "comment", "add", ids, "1.1", "--text", " \n\t ",
             NULL);
    s_expect(lead, 2, "needs --text", "comment", "add", ids, "1.1", NULL);
    s_expect(lead, 1, "question '9.9' is not in framework KK2015", "comment", "add", ids, "9.9",
             "--text", "Hej", NULL);
    char *big = malloc(10002);
    memset(big, 'a', 10001);
    big[10001] = '\0';
    s_expect(lead, 1, "at most 10000", "comment", "add", ids, "1.1", "--text", big, NULL);
    free(big);
    s_expect(lead, 5, "there is no thread on 2.2", "comment", "resolve", ids, "2.2", NULL);
    s_expect(lead, 5, "no thread on 2.2", "comment", "reopen", ids, "2.2", NULL);
    s_expect(lead, 1, "open already", "comment", "reopen", ids, "1.1", NULL);
    s_expect(lead, 5, "no evaluation '424242'", "comment", "add", "424242", "1.1", "--text", "x",
             NULL);
    s_expect(lead, 2, "unknown subcommand", "comment", "edit", ids, NULL);
    s_expect(lead, 1, "question '9.9' is not in framework", "consensus", ids, "--question", "9.9",
             NULL);
    char *reason = malloc(2002);
    memset(reason, 'r', 2001);
    reason[2001] = '\0';
    s_expect(lead, 1, "at most 2000", "comment", "resolve", ids, "1.1", "--reason", reason, NULL);
    free(reason);
    char *after = th_db_fingerprint(s);
    cr_assert_str_eq(before, after, "a refused request changed the database");
    free(before);
    free(after);
    /* What was typed is kept as typed: quotes, tabs, SQL-looking text. */
    const char *odd = "  '; DROP TABLE comments; --\t\"citat\" «ÅÄÖ» \n";
    free(s_run(peer, 0, "comment", "add", ids, "1.1", "--text", odd, NULL));
    json_t *doc = th_json(s, peer, 0, "comment", "list", ids, "1.1", NULL);
    json_t *cs = json_object_get(json_array_get(json_object_get(doc, "threads"), 0), "comments");
    cr_assert_str_eq(s_str(json_array_get(cs, 1), "text"), odd);
    json_decref(doc);
}

/* Drives evaluation 1 (Västerås stad 2017) to signed, with evidence on 1.4
 * and 2.1. */
static void s_signed_evaluation(void)
{
    free(s_run(lead, 0, "evidence", "add", ids, "interview", "--date", "2017-03-14", "--category",
               "politician", "--people", "3", "--note", "Medborgarpanel i alla stadsdelar",
               "--questions", "1.4", NULL));
    free(s_run(peer, 0, "evidence", "add", ids, "document", "--title", "Budget 2017", "--questions",
               "2.1", NULL));
    s_score_all(lead, 0);
    s_score_all(peer, 1);
    json_decref(s_submit_both());
    s_agree_and_approve();
    cr_assert_eq(s_sign(lead, "authored", TH_PASSWORD), 0);
    cr_assert_eq(s_sign(peer, "reviewed", TH_PASSWORD), 0);
    cr_assert_eq(s_sign(admin, "approved", TH_ADMIN_PASSWORD), 0);
    cr_assert_str_eq(s_status(id), "signed");
}

/* The trainee's scores: the consensus everywhere but 1.4 (+5), 2.1 (-5),
 * 4.2 (+1) and 1.1 (-0.5). */
static const char *s_trainee_points(int q, char *buf)
{
    const char *c = s_codes[q];
    int base = s_max[q] / 2;
    if (!strcmp(c, "1.4")) return "20";
    if (!strcmp(c, "2.1")) return "5";
    if (!strcmp(c, "4.2")) return "6";
    if (!strcmp(c, "1.1")) return "7";
    if (!strcmp(c, "7.1")) return "9.5";
    snprintf(buf, 16, "%d", base);
    return buf;
}

Test(meeting, a_calibration_from_a_signed_evaluation_end_to_end, .timeout = 500)
{
    s_signed_evaluation();
    /* Who may make one, of what, for whom */
    s_expect(lead, 4, "DENIED", "calibrate", ids, "--for", "jonas", NULL);
    s_expect(admin, 3, "ewa was peer of evaluation", "calibrate", ids, "--for", "ewa", NULL);
    s_expect(admin, 1, "anna is an observer", "calibrate", ids, "--for", "anna", NULL);
    s_expect(admin, 5, "no user 'nobody'", "calibrate", ids, "--for", "nobody", NULL);
    s_expect(admin, 2, "needs --for", "calibrate", ids, NULL);
    json_t *doc = th_json(s, admin, 0, "calibrate", ids, "--for", "jonas", NULL);
    long long pid = json_integer_value(json_object_get(doc, "evaluation"));
    cr_assert_eq(json_integer_value(json_object_get(doc, "evidence")), 2);
    cr_assert_eq(json_integer_value(json_object_get(doc, "questions")), 45);
    cr_assert_str_eq(s_str(doc, "practice"), "övning");
    json_decref(doc);
    char pids[32];
    snprintf(pids, sizeof pids, "%lld", pid);
    s_expect(admin, 3, "has practised on evaluation", "calibrate", ids, "--for", "jonas", NULL);
    s_expect(admin, 1, "itself a calibration exercise", "calibrate", pids, "--for", "olle", NULL);

    /* The trainee's copy: the evidence, nothing of the team's judgement */
    char *t = s_run(trainee, 0, "eval", "list", NULL);
    cr_assert(strstr(t, "övning"), "%s", t);
    free(t);
    t = s_run(trainee, 0, "eval", "show", pids, NULL);
    cr_assert(strstr(t, "övning    a calibration exercise (practice) copied from evaluation"), "%s",
              t);
    free(t);
    doc = th_json(s, trainee, 0, "evidence", "list", pids, NULL);
    cr_assert_eq(json_array_size(json_object_get(doc, "evidence")), 2);
    json_decref(doc);
    char sql[300];
    snprintf(sql, sizeof sql,
             "SELECT (SELECT count(*) FROM scores WHERE evaluation_id = %lld) +"
             " (SELECT count(*) FROM area_texts WHERE evaluation_id = %lld) +"
             " (SELECT count(*) FROM consensus_scores WHERE evaluation_id = %lld)",
             pid, pid, pid);
    char *n = th_sql(s, sql);
    cr_assert_str_eq(n, "0", "the copy holds scores or texts");
    free(n);
    /* Blind: no comparison, no key, before the submission */
    s_expect(trainee, 1, "blind scoring", "consensus", pids, NULL);
    doc = th_json(s, trainee, 0, "calibrate", "result", pids, NULL);
    cr_assert(json_is_false(json_object_get(doc, "submitted")));
    cr_assert(json_is_null(json_object_get(doc, "agreement")));
    cr_assert_null(json_object_get(doc, "questions"));
    json_decref(doc);
    s_expect(trainee, 0, "not submitted yet", "calibrate", "result", pids, NULL);
    s_expect(admin, 1, "calibration exercise", "eval", "assign", pids, "olle", "--as", "peer",
             NULL);
    s_expect(trainee, 1, "calibration exercise (övning): it has no report", "report", pids, NULL);

    /* The trainee scores with the ordinary commands and submits */
    char *csv = malloc(8192), buf[16];
    size_t len = (size_t)snprintf(csv, 8192, "question,points,rationale\n");
    for (int q = 0; q < s_nq; q++)
        len += (size_t)snprintf(csv + len, 8192 - len, "%s,%s,\n", s_codes[q],
                                s_trainee_points(q, buf));
    s_import(trainee, pids, "trainee", csv);
    free(csv);
    t = s_run(trainee, 0, "score", "show", pids, "--area", "1", NULL);
    cr_assert(strstr(t, "övning"), "%s", t);
    free(t);
    doc = th_json(s, trainee, 0, "submit", pids, NULL);
    json_t *cal = json_object_get(doc, "calibration");
    cr_assert(json_is_true(json_object_get(cal, "submitted")), "%s", json_dumps(doc, 0));
    /* Agreement with the consensus, by hand (docs/agreement.md): 45
     * questions, the trainee x and the consensus y, equal on 41; |x - y| =
     * 5 + 5 + 1 + 0.5 = 11.5 points. alpha (interval, 2 raters, n = 90
     * values): D_o = sum 2(x-y)^2 / 90 = 2 * 51.25 / 90, D_e from all 90
     * values; kappa = 2 cov(x,y) / (var x + var y + (mean x - mean y)^2).
     * Worked out apart from common/agreement.c (tests/ by a short script of
     * the formulas): alpha 0.9136049171, kappa 0.9126345995. */
    json_t *ag = json_object_get(cal, "agreement");
    cr_assert_eq(json_integer_value(json_object_get(ag, "pairable_units")), 45);
    cr_assert_float_eq(json_real_value(json_object_get(ag, "exact_agreement")), 41.0 / 45, 1e-12);
    cr_assert_float_eq(json_real_value(json_object_get(ag, "mean_abs_difference")), 11.5 / 45,
                       1e-12);
    cr_assert_float_eq(json_real_value(json_object_get(ag, "krippendorff_alpha_interval")),
                       0.9136049171090203, 1e-9);
    cr_assert_float_eq(json_real_value(json_object_get(ag, "weighted_kappa_quadratic")),
                       0.9126345995397322, 1e-9);
    json_t *far = json_object_get(cal, "furthest");
    const char *want[] = {"2.1", "1.4", "4.2", "1.1"}; /* 5/15, 5/30, 1/10, 0.5/15 */
    cr_assert_eq(json_array_size(far), 4);
    for (size_t i = 0; i < 4; i++)
        cr_assert_str_eq(json_string_value(json_array_get(far, i)), want[i]);
    json_decref(doc);
    cr_assert_str_eq(s_status(pid), "consensus");

    /* Shown again on request, with every question and the team's rationales */
    doc = th_json(s, trainee, 0, "calibrate", "result", pids, NULL);
    json_t *q21 = NULL;
    size_t i;
    json_t *q;
    json_array_foreach(json_object_get(doc, "questions"), i, q)
    {
        if (!strcmp(s_str(q, "question"), "2.1")) q21 = q;
    }
    cr_assert(q21);
    cr_assert_str_eq(s_str(q21, "you"), "5");
    cr_assert_str_eq(s_str(q21, "consensus"), "10");
    cr_assert_str_eq(s_str(q21, "difference"), "-5");
    cr_assert_str_eq(s_str(q21, "consensus_reason"), "Dokumenten väger tyngst");
    json_t *team = json_object_get(q21, "team");
    cr_assert_eq(json_array_size(team), 2);
    cr_assert_str_eq(s_str(json_array_get(team, 0), "evaluator"), "christine");
    cr_assert_str_eq(s_str(json_array_get(team, 0), "rationale"), LONG_WHY);
    json_decref(doc);
    t = s_run(trainee, 0, "calibrate", "result", pids, NULL);
    cr_assert(strstr(t, "Furthest off, with the team's rationales") &&
                  strstr(t, "christine gave 7: Målen saknas") &&
                  strstr(t, "the consensus: Dokumenten väger tyngst") &&
                  strstr(t, "Krippendorff's alpha 0.914, weighted kappa 0.913"),
              "%s", t);
    free(t);
    /* An exercise has no consensus of its own, and its team does not change */
    s_expect(trainee, 1, "calibration exercise", "consensus", "set", pids, "1.1", "7", NULL);
    s_expect(trainee, 1, "calibration exercise", "text", "approve", pids, "1", NULL);
    s_expect(trainee, 1, "calibration exercise", "comment", "add", pids, "1.1", "--text", "x",
             NULL);
    t = s_run(trainee, 0, "eval", "status", pids, NULL);
    cr_assert(strstr(t, "övning") && strstr(t, "kompass calibrate result"), "%s", t);
    free(t);

    /* Never counted: history, search, averages, agreement statistics,
     * municipality counts, the next evaluation's ordinal */
    doc = th_json(s, admin, 0, "history", "Västerås stad", NULL);
    char *dump = json_dumps(doc, 0);
    cr_assert_null(strstr(dump, "övning"), "history shows the exercise: %s", dump);
    free(dump);
    json_decref(doc);
    doc = th_json(s, trainee, 0, "history", "Västerås stad", NULL);
    dump = json_dumps(doc, 0);
    cr_assert_null(strstr(dump, "övning"), "history shows the exercise: %s", dump);
    free(dump);
    json_decref(doc);
    doc = th_json(s, admin, 0, "search", "medborgarpanel", NULL);
    cr_assert_eq(json_array_size(json_object_get(doc, "hits")), 1, "%s", json_dumps(doc, 0));
    json_decref(doc);
    /* the hit is the source's evidence: for its team and admins only, and
     * the exercise's copy of it is never searched */
    doc = th_json(s, trainee, 0, "search", "medborgarpanel", NULL);
    cr_assert_eq(json_array_size(json_object_get(doc, "hits")), 0, "%s", json_dumps(doc, 0));
    json_decref(doc);
    doc = th_json(s, admin, 0, "stats", "agreement", NULL);
    cr_assert_eq(json_integer_value(json_object_get(doc, "evaluations")), 1);
    cr_assert_eq(json_integer_value(json_object_get(doc, "evaluators")), 2, "the trainee counted");
    json_decref(doc);
    doc = th_json(s, lead, 0, "report", ids, "--format", "json", NULL);
    /* the average is of other municipalities' evaluations: none here, the
     * exercise (practice) not among them */
    cr_assert_eq(json_integer_value(
                     json_object_get(json_object_get(doc, "comparison"), "average_set_count")),
                 0, "the average counts the exercise");
    json_decref(doc);
    t = s_run(admin, 0, "municipality", "list", NULL);
    free(t);
    n = th_sql(s, "SELECT count(*) FROM evaluations WHERE practice");
    cr_assert_str_eq(n, "1");
    free(n);
    doc = th_json(s, admin, 0, "eval", "create", "--municipality", "Västerås stad", "--framework",
                  "KK2015", "--label", "2021", NULL);
    cr_assert_eq(json_integer_value(json_object_get(doc, "ordinal")), 2, "%s", json_dumps(doc, 0));
    long long next = json_integer_value(json_object_get(doc, "id"));
    json_decref(doc);

    /* SKL follows its trainees */
    s_expect(trainee, 4, "DENIED", "stats", "calibration", NULL);
    doc = th_json(s, admin, 0, "stats", "calibration", NULL);
    json_t *one = json_array_get(json_object_get(doc, "calibrations"), 0);
    cr_assert_str_eq(s_str(one, "trainee"), "jonas");
    cr_assert_float_eq(
        json_real_value(json_object_get(json_object_get(one, "agreement"), "exact_agreement")),
        41.0 / 45, 1e-12);
    json_decref(doc);
    t = s_run(admin, 0, "stats", "calibration", NULL);
    cr_assert(strstr(t, "jonas") && strstr(t, "91%") && strstr(t, "2.1, 1.4, 4.2, 1.1"), "%s", t);
    free(t);

    /* The next round's picture of a question shows this round's consensus */
    char nexts[32];
    snprintf(nexts, sizeof nexts, "%lld", next);
    doc = th_json(s, admin, 0, "consensus", nexts, "--question", "1.4", NULL);
    json_t *prev = json_object_get(doc, "previous");
    cr_assert_eq(json_integer_value(json_object_get(prev, "evaluation")), id);
    cr_assert_str_eq(s_str(prev, "consensus"), "15");
    cr_assert(json_is_true(json_object_get(prev, "same_framework")));
    json_decref(doc);
}

Test(meeting, a_questions_whole_picture)
{
    free(s_run(lead, 0, "evidence", "add", ids, "interview", "--date", "2017-03-14", "--category",
               "politician", "--people", "3", "--note", "KS ordförande", "--questions", "2.1,1.4",
               NULL));
    free(s_run(peer, 0, "evidence", "add", ids, "web", "--title", "Webbplatsen", "--questions",
               "3.1", NULL));
    s_score_all(lead, 0);
    s_score_all(peer, 1);
    s_expect(peer, 1, "blind scoring", "consensus", ids, "--question", "2.1", NULL);
    json_decref(s_submit_both());
    free(s_run(lead, 0, "consensus", "set", ids, "2.1", "10", "--reason", "Dokumenten väger tyngst",
               NULL));
    free(s_run(lead, 0, "comment", "add", ids, "2.1", "--text", "Varför 15?", NULL));
    json_t *doc = th_json(s, peer, 0, "consensus", ids, "--question", "2.1", NULL);
    cr_assert_str_eq(s_str(doc, "question"), "2.1");
    cr_assert_str_eq(s_str(json_object_get(doc, "rationales"), "christine"), LONG_WHY);
    cr_assert_str_eq(s_str(json_object_get(doc, "points"), "ewa"), "15");
    cr_assert_str_eq(s_str(doc, "spread"), "8");
    cr_assert_str_eq(s_str(doc, "flag"), "major");
    cr_assert_str_eq(s_str(doc, "proposed"), "11");
    cr_assert_str_eq(s_str(doc, "consensus"), "10");
    cr_assert_str_eq(s_str(doc, "reason"), "Dokumenten väger tyngst");
    json_t *ev = json_object_get(doc, "evidence");
    cr_assert_eq(json_array_size(ev), 1, "only the evidence linked to 2.1");
    cr_assert_str_eq(s_str(json_array_get(ev, 0), "note"), "KS ordförande");
    json_t *th = json_object_get(doc, "thread");
    cr_assert_str_eq(s_str(th, "status"), "open");
    cr_assert_eq(json_integer_value(json_object_get(th, "new")), 1);
    cr_assert(json_is_null(json_object_get(doc, "previous")), "Västerås has no earlier round");
    json_decref(doc);
    /* having read it there, nothing on it is new any more */
    doc = th_json(s, peer, 0, "comment", "list", ids, NULL);
    cr_assert_eq(json_integer_value(json_object_get(doc, "new")), 0);
    json_decref(doc);
    char *t = s_run(obs, 0, "consensus", ids, "--question", "2.1", NULL);
    cr_assert(strstr(t, LONG_WHY) && strstr(t, "Tydliga mål i budgeten"), "%s", t);
    cr_assert(strstr(t, "consensus 10 (set by christine at"), "%s", t);
    cr_assert(strstr(t, "Evidence linked to 2.1: 1 entry") && strstr(t, "KS ordförande"), "%s", t);
    cr_assert(strstr(t, "Thread: 2.1   open, 1 comment") && strstr(t, "Varför 15?"), "%s", t);
    cr_assert(strstr(t, "previous  no earlier signed round"), "%s", t);
    free(t);
    s_expect(obs, 2, "no --unresolved", "consensus", ids, "--question", "2.1", "--unresolved",
             NULL);
}
