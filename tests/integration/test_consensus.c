/*  Consensus and sign-off, end to end through the CLI: two evaluators score
 *  blind, submit, see each other's scores, merge and settle consensus, a peer
 *  approves the texts, the team and an admin sign, nothing changes after,
 *  an auditor verifies what was signed, and an admin reopens.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "harness.h"
#include "arena.h"
#include "util.h"

static th_server *s;
static char admin[300], lead[300], peer[300], ids[32];
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

TestSuite(consensus, .init = s_setup, .fini = s_teardown, .timeout = 300);

/* The lead scores every question at half its max (rounded down); the peer the
 * same, except 1.1 one point higher (minor) and 2.1 at its max (major). */
static int s_points(int who, int q)
{
    int base = s_max[q] / 2;
    if (who == 1 && strcmp(s_codes[q], "1.1") == 0) return base + 1;
    if (who == 1 && strcmp(s_codes[q], "2.1") == 0) return s_max[q];
    return base;
}

/* Scores every question but `skip` (NULL: none) as who, through score import. */
static void s_score_all(const char *home, int who, const char *skip)
{
    char path[400], *csv = malloc(8192);
    size_t len = (size_t)snprintf(csv, 8192, "question,points,rationale\n");
    for (int q = 0; q < s_nq; q++)
        if (!skip || strcmp(skip, s_codes[q]) != 0)
            len +=
                (size_t)snprintf(csv + len, 8192 - len, "%s,%d,\n", s_codes[q], s_points(who, q));
    snprintf(path, sizeof path, "%s/scores-%d.csv", s->dir, who);
    cr_assert_eq(kp_write_file(path, csv, len, 0644), 0);
    free(csv);
    char *err = NULL;
    cr_assert_eq(th_cli_as(s, home, NULL, NULL, &err, "score", "import", ids, path, NULL), 0, "%s",
                 err);
    free(err);
}

static void s_expect_fail(const char *home, int rc, const char *needle, const char *arg, ...)
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
    cr_assert_eq(got, rc, "kompass %s ... exited %d, not %d: %s%s", arg, got, rc, out, err);
    cr_assert(strstr(err, needle), "kompass %s ...: '%s' not in: %s", arg, needle, err);
    free(out);
    free(err);
}

static void s_summaries(const char *home)
{
    char path[400];
    for (int a = 1; a <= 8; a++) {
        char text[128], area[8];
        int len = snprintf(text, sizeof text, "Område %d: tydliga mål och uppföljning.\n", a);
        snprintf(path, sizeof path, "%s/summary-%d.txt", s->dir, a);
        cr_assert_eq(kp_write_file(path, text, (size_t)len, 0644), 0);
        snprintf(area, sizeof area, "%d", a);
        char *err = NULL;
        cr_assert_eq(th_cli_as(s, home, NULL, NULL, &err, "text", "set", ids, area, "summary",
                               "--file", path, NULL),
                     0, "%s", err);
        free(err);
    }
}

static const char *s_status(void)
{
    static char status[32];
    char *v = th_sql(s, "SELECT status FROM evaluations ORDER BY id DESC LIMIT 1");
    kp_strlcpy(status, v ? v : "", sizeof status);
    free(v);
    return status;
}

static int s_sign(const char *home, const char *meaning, const char *password)
{
    char *err = NULL;
    char input[128];
    snprintf(input, sizeof input, "%s\n", password);
    int rc = th_cli_as(s, home, input, NULL, &err, "sign", ids, "--meaning", meaning,
                       "--password-stdin", NULL);
    free(err);
    return rc;
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

/* Drives the evaluation to review: both scored and submitted, merged, 2.1
 * settled by hand, texts written and approved. */
static void s_to_review(void)
{
    s_score_all(lead, 0, NULL);
    s_score_all(peer, 1, NULL);
    cr_assert_eq(th_cli_as(s, peer, NULL, NULL, NULL, "submit", ids, NULL), 0);
    cr_assert_eq(th_cli_as(s, lead, NULL, NULL, NULL, "submit", ids, NULL), 0);
    cr_assert_eq(th_cli_as(s, lead, NULL, NULL, NULL, "consensus", "auto", ids, "--strategy",
                           "median", NULL),
                 0);
    cr_assert_eq(th_cli_as(s, lead, NULL, NULL, NULL, "consensus", "set", ids, "2.1", "10", NULL),
                 0);
    s_summaries(lead);
    for (int a = 1; a <= 8; a++) {
        char area[8];
        snprintf(area, sizeof area, "%d", a);
        cr_assert_eq(th_cli_as(s, peer, NULL, NULL, NULL, "text", "approve", ids, area, NULL), 0);
    }
    cr_assert_str_eq(s_status(), "review");
}

Test(consensus, blind_until_every_evaluator_has_submitted)
{
    s_score_all(lead, 0, NULL);
    /* The peer sees only their own scores, and no comparison. */
    json_t *doc = th_json(s, peer, 0, "score", "show", ids, NULL);
    char *dump = json_dumps(doc, 0);
    cr_assert_null(strstr(dump, "christine"), "the peer saw the lead's scores: %s", dump);
    free(dump);
    json_decref(doc);
    s_expect_fail(peer, 1, "INVALID_STATE", "consensus", ids, NULL);
    s_expect_fail(peer, 1, "INVALID_STATE", "audit", ids, NULL);

    /* Submitting with a question unscored is refused, naming it. */
    s_score_all(peer, 1, "4.2");
    s_expect_fail(peer, 1, "has not scored 1 question yet: 4.2", "submit", ids, NULL);
    cr_assert_str_eq(s_status(), "scoring");
    s_score_all(peer, 1, NULL);
    doc = th_json(s, peer, 0, "submit", ids, NULL);
    cr_assert_str_eq(json_string_value(json_object_get(doc, "status")), "scoring");
    cr_assert_str_eq(json_string_value(json_array_get(json_object_get(doc, "waiting_for"), 0)),
                     "christine");
    json_decref(doc);
    /* Still blind for the peer, and her scores are final. */
    s_expect_fail(peer, 1, "INVALID_STATE", "consensus", ids, NULL);
    s_expect_fail(peer, 1, "submitted their scores", "score", "set", ids, "1.1", "3", NULL);
    s_expect_fail(peer, 3, "already submitted", "submit", ids, NULL);

    /* The last submission ends blind scoring. */
    doc = th_json(s, lead, 0, "submit", ids, NULL);
    cr_assert_str_eq(json_string_value(json_object_get(doc, "status")), "consensus");
    json_decref(doc);
    doc = th_json(s, peer, 0, "consensus", ids, NULL);
    json_t *r11 = s_row(doc, "1.1"), *r21 = s_row(doc, "2.1");
    cr_assert_eq(json_object_size(json_object_get(r11, "points")), 2);
    cr_assert_str_eq(json_string_value(json_object_get(r11, "flag")), "minor");
    cr_assert_str_eq(json_string_value(json_object_get(r21, "flag")), "major");
    cr_assert_str_eq(json_string_value(json_object_get(s_row(doc, "3.1"), "flag")), "agree");
    /* Agreement, by hand: 45 questions, one pair each, 43 equal; the two
     * differences are 1 point (1.1) and max - floor(max / 2) (2.1). */
    json_t *ag = json_object_get(doc, "agreement");
    cr_assert_eq(json_integer_value(json_object_get(ag, "pairable_units")), 45);
    cr_assert_eq(json_integer_value(json_object_get(ag, "pairs")), 45);
    cr_assert_float_eq(json_real_value(json_object_get(ag, "exact_agreement")), 43.0 / 45, 1e-9);
    int q21 = 0;
    while (strcmp(s_codes[q21], "2.1") != 0)
        q21++;
    double mad = (1.0 + (s_max[q21] - s_max[q21] / 2)) / 45;
    cr_assert_float_eq(json_real_value(json_object_get(ag, "mean_abs_difference")), mad, 1e-9);
    cr_assert(json_is_real(json_object_get(ag, "krippendorff_alpha_interval")));
    cr_assert(json_is_real(json_object_get(ag, "weighted_kappa_quadratic")), "two evaluators");
    json_decref(doc);
}

Test(consensus, auto_merge_never_settles_a_major_disagreement_and_a_reason_is_needed_outside)
{
    s_score_all(lead, 0, NULL);
    s_score_all(peer, 1, NULL);
    cr_assert_eq(th_cli_as(s, peer, NULL, NULL, NULL, "submit", ids, NULL), 0);
    cr_assert_eq(th_cli_as(s, lead, NULL, NULL, NULL, "submit", ids, NULL), 0);

    /* Even with the widest --max-spread, 2.1 (spread above 20 %) is left. */
    json_t *doc = th_json(s, lead, 0, "consensus", "auto", ids, "--strategy", "mean",
                          "--max-spread", "100", NULL);
    cr_assert_eq(json_array_size(json_object_get(doc, "set")), 44);
    json_t *skipped = json_object_get(doc, "skipped");
    cr_assert_eq(json_array_size(skipped), 1);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(skipped, 0), "question")),
                     "2.1");
    json_decref(doc);
    /* mean of 1.1's two scores, rounded half up to hundredths */
    int q11 = 0;
    while (strcmp(s_codes[q11], "1.1") != 0)
        q11++;
    char want[32];
    snprintf(want, sizeof want, "%d.50", s_max[q11] / 2);
    char *got = th_sql(s, "SELECT points::text FROM consensus_scores c JOIN framework_questions q"
                          " ON q.id = c.question_id WHERE q.code = '1.1'");
    cr_assert_str_eq(got, want);
    free(got);

    /* Outside the evaluators' range: a reason, or nothing is written. */
    char *before = th_db_fingerprint(s);
    s_expect_fail(lead, 1, "outside the evaluators' range for 2.1", "consensus", "set", ids, "2.1",
                  "1", NULL);
    char *after = th_db_fingerprint(s);
    cr_assert_str_eq(before, after, "a refused consensus write changed the database");
    free(before);
    free(after);
    cr_assert_eq(th_cli_as(s, lead, NULL, NULL, NULL, "consensus", "set", ids, "2.1", "1",
                           "--reason", "Intervjuerna visade att målen saknas", NULL),
                 0);
    doc = th_json(s, peer, 0, "consensus", ids, "--unresolved", NULL);
    cr_assert_eq(json_array_size(json_object_get(doc, "rows")), 0);
    cr_assert_eq(json_integer_value(json_object_get(doc, "resolved")), 45);
    json_decref(doc);
    /* A writer who saw another version is refused, as with scores. */
    s_expect_fail(peer, 3, "changed since you read it", "consensus", "set", ids, "2.1", "2",
                  "--reason", "x", "--version", "1", NULL);
}

Test(consensus, bad_input_is_refused_with_what_was_wrong)
{
    s_score_all(lead, 0, NULL);
    s_score_all(peer, 1, NULL);
    s_expect_fail(lead, 1, "evaluation 1 is in scoring", "consensus", "set", ids, "1.1", "3", NULL);
    cr_assert_eq(th_cli_as(s, peer, NULL, NULL, NULL, "submit", ids, NULL), 0);
    cr_assert_eq(th_cli_as(s, lead, NULL, NULL, NULL, "submit", ids, NULL), 0);
    char *before = th_db_fingerprint(s);
    s_expect_fail(lead, 1, "question '9.9' is not in framework KK2015", "consensus", "set", ids,
                  "9.9", "3", NULL);
    s_expect_fail(lead, 1, "exceed question 1.1's max", "consensus", "set", ids, "1.1", "999",
                  NULL);
    s_expect_fail(lead, 2, "points must be a number", "consensus", "set", ids, "1.1", "-1", NULL);
    s_expect_fail(lead, 1, "strategy must be mean, median or lead", "consensus", "auto", ids,
                  "--strategy", "'; DROP TABLE scores; --", NULL);
    s_expect_fail(lead, 1, "must be above 0 and at most 100", "consensus", "threshold", ids, "0",
                  NULL);
    s_expect_fail(peer, 4, "DENIED", "consensus", "threshold", ids, "30", NULL);
    s_expect_fail(peer, 5, "no area 42", "text", "approve", ids, "42", NULL);
    s_expect_fail(peer, 1, "has no summary yet", "text", "approve", ids, "1", NULL);
    /* the lead may approve too (four eyes: tests/integration/test_meeting.c) */
    s_expect_fail(lead, 1, "has no summary yet", "text", "approve", ids, "1", NULL);
    s_expect_fail(lead, 2, "meaning is authored, reviewed or approved", "sign", ids, "--meaning",
                  "whatever", "--password-stdin", NULL);
    s_expect_fail(lead, 5, "no evaluation '424242'", "consensus", "424242", NULL);
    s_expect_fail(lead, 5, "has no signed revision 1", "eval", "show", ids, "--revision", "1",
                  NULL);
    s_expect_fail(admin, 1, "only a signed evaluation is reopened", "eval", "reopen", ids,
                  "--reason", "test", NULL);
    char *after = th_db_fingerprint(s);
    cr_assert_str_eq(before, after, "a refused request changed the database");
    free(before);
    free(after);
    /* A new threshold changes the flags. */
    cr_assert_eq(th_cli_as(s, lead, NULL, NULL, NULL, "consensus", "threshold", ids, "100", NULL),
                 0);
    json_t *doc = th_json(s, peer, 0, "consensus", ids, "--sort", "disagreement", NULL);
    json_t *first = json_array_get(json_object_get(doc, "rows"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(first, "question")), "2.1");
    cr_assert_str_eq(json_string_value(json_object_get(first, "flag")), "minor");
    json_decref(doc);
}

Test(consensus, an_edit_withdraws_the_approval_and_cancels_signatures_given)
{
    s_to_review();
    cr_assert_eq(s_sign(lead, "authored", TH_PASSWORD), 0);
    /* The lead edits area 3 after signing: back to consensus, her signature
     * is cancelled, the area must be approved again. */
    char path[400];
    snprintf(path, sizeof path, "%s/summary-3b.txt", s->dir);
    cr_assert_eq(kp_write_file(path, "Ny text.\n", 9, 0644), 0);
    cr_assert_eq(th_cli_as(s, lead, NULL, NULL, NULL, "text", "set", ids, "3", "summary", "--file",
                           path, NULL),
                 0);
    cr_assert_str_eq(s_status(), "consensus");
    json_t *doc = th_json(s, lead, 0, "eval", "status", ids, NULL);
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(doc, "approved"), "done")), 7);
    cr_assert_eq(json_array_size(json_object_get(doc, "signatures")), 0);
    json_decref(doc);
    char *n = th_sql(s, "SELECT count(*) FROM signatures WHERE cancelled_at IS NOT NULL");
    cr_assert_str_eq(n, "1");
    free(n);
    n = th_sql(s, "SELECT count(*) FROM audit_events WHERE action = 'text.approval_withdrawn'");
    cr_assert_str_eq(n, "1");
    free(n);
    cr_assert_eq(th_cli_as(s, peer, NULL, NULL, NULL, "text", "approve", ids, "3", NULL), 0);
    cr_assert_str_eq(s_status(), "review");
}

/* eval_changes pages on since_version: a page must never end inside a
 * version, or a client paging with a small limit loses the change after
 * the cut (a text save that withdraws an approval records two events under
 * one version). */
Test(consensus, a_page_of_changes_never_splits_a_version)
{
    s_to_review();
    char path[400];
    snprintf(path, sizeof path, "%s/summary-3c.txt", s->dir);
    cr_assert_eq(kp_write_file(path, "Ny text.\n", 9, 0644), 0);
    cr_assert_eq(th_cli_as(s, lead, NULL, NULL, NULL, "text", "set", ids, "3", "summary", "--file",
                           path, NULL),
                 0);
    char *v = th_sql(s, "SELECT eval_version FROM audit_events WHERE action = "
                        "'text.approval_withdrawn'");
    long long version = atoll(v);
    free(v);
    cr_assert_gt(version, 1);

    void *sock = th_dealer(s);
    kp_arena *a = kp_arena_new();
    const char *token = th_token(sock, a, "admin", TH_ADMIN_PASSWORD);
    for (int limit = 1; limit <= 2; limit++) {
        kp_request *req = kp_arena_zalloc(a, sizeof *req);
        kompass__v1__request__init(req);
        Kompass__V1__EvalChangesRequest *in = kp_arena_zalloc(a, sizeof *in);
        kompass__v1__eval_changes_request__init(in);
        in->evaluation_id = id;
        in->since_version = version - 1;
        in->limit = limit;
        req->body_case = KOMPASS__V1__REQUEST__BODY_EVAL_CHANGES;
        req->eval_changes = in;
        req->session_token = (char *)token;
        kp_response *r = th_call(sock, a, req, 20000);
        cr_assert(r && (int)r->status == KP_OK, "%s", r ? r->error : "no answer");
        Kompass__V1__EvalChangesResponse *out = r->eval_changes;
        cr_assert_eq(out->n_changes, 2, "limit %d: %zu changes", limit, out->n_changes);
        cr_assert_eq(out->changes[0]->version, version);
        cr_assert_eq(out->changes[1]->version, version);
        cr_assert_str_eq(out->changes[0]->action, "text.save");
        cr_assert_str_eq(out->changes[1]->action, "text.approval_withdrawn");
    }
    /* and a limit still limits: versions before are not all returned */
    kp_request *req = kp_arena_zalloc(a, sizeof *req);
    kompass__v1__request__init(req);
    Kompass__V1__EvalChangesRequest *in = kp_arena_zalloc(a, sizeof *in);
    kompass__v1__eval_changes_request__init(in);
    in->evaluation_id = id;
    in->limit = 3;
    req->body_case = KOMPASS__V1__REQUEST__BODY_EVAL_CHANGES;
    req->eval_changes = in;
    req->session_token = (char *)token;
    kp_response *r = th_call(sock, a, req, 20000);
    cr_assert(r && (int)r->status == KP_OK, "%s", r ? r->error : "no answer");
    cr_assert_leq(r->eval_changes->n_changes, 4);
    cr_assert_geq(r->eval_changes->n_changes, 3);
    kp_arena_destroy(&a);
    zmq_close(sock);
}

Test(consensus, the_whole_workflow_to_a_signed_verified_and_reopened_evaluation, .timeout = 400)
{
    s_to_review();
    json_t *doc = th_json(s, lead, 0, "eval", "status", ids, NULL);
    cr_assert_str_eq(json_string_value(json_object_get(doc, "next")), "signed");
    cr_assert_eq(json_array_size(json_object_get(doc, "waiting_for")), 3); /* 2 + an admin */
    json_decref(doc);

    /* Signing asks for the password again. */
    cr_assert_eq(s_sign(lead, "authored", "not the password at all"), 4);
    cr_assert_eq(s_sign(lead, "authored", TH_PASSWORD), 0);
    cr_assert_eq(s_sign(lead, "authored", TH_PASSWORD), 3); /* once */
    cr_assert_eq(s_sign(peer, "reviewed", TH_PASSWORD), 0);
    cr_assert_str_eq(s_status(), "review");
    char *out = NULL;
    cr_assert_eq(th_cli_as(s, admin, TH_ADMIN_PASSWORD "\n", &out, NULL, "--json", "sign", ids,
                           "--meaning", "approved", "--password-stdin", NULL),
                 0);
    json_t *signed_doc = json_loads(out, 0, NULL);
    free(out);
    cr_assert_str_eq(json_string_value(json_object_get(signed_doc, "status")), "signed");
    const char *sh = json_string_value(
        json_object_get(json_object_get(signed_doc, "signature"), "content_hash"));
    cr_assert(sh && strlen(sh) == 64, "the signature's hash in the reply: %s", sh);
    cr_assert_str_eq(s_status(), "signed");

    /* The signatures are shown with the evaluation. */
    cr_assert_eq(th_cli_as(s, peer, NULL, &out, NULL, "eval", "show", ids, NULL), 0);
    cr_assert(strstr(out, "Christine Feuk (christine, SKL), authored as lead"), "%s", out);
    cr_assert(strstr(out, "Ewa Luvö (ewa, Borås Stad), reviewed as peer"), "%s", out);
    free(out);
    doc = th_json(s, peer, 0, "eval", "show", ids, NULL);
    json_t *sigs = json_object_get(doc, "signatures");
    cr_assert_eq(json_array_size(sigs), 3);
    const char *hash = json_string_value(json_object_get(json_array_get(sigs, 0), "content_hash"));
    for (size_t i = 1; i < 3; i++)
        cr_assert_str_eq(
            json_string_value(json_object_get(json_array_get(sigs, i), "content_hash")), hash,
            "the signers signed different content");
    char saved[65];
    kp_strlcpy(saved, hash, sizeof saved);
    cr_assert_str_eq(sh, saved, "the reply's hash is the one stored");
    json_decref(signed_doc);
    json_decref(doc);

    /* The report is final: signed, with the three signatures, no UTKAST. */
    doc = th_json(s, peer, 0, "report", ids, "--format", "json", NULL);
    cr_assert(json_is_true(json_object_get(doc, "signed")));
    json_t *rsigs = json_object_get(doc, "signatures");
    cr_assert_eq(json_array_size(rsigs), 3);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(rsigs, 0), "name")),
                     "Christine Feuk");
    json_decref(doc);
    out = NULL;
    cr_assert_eq(th_cli_as(s, peer, NULL, &out, NULL, "report", ids, "--format", "md", NULL), 0);
    cr_assert_null(strstr(out, "UTKAST"), "a signed report says UTKAST");
    free(out);

    /* Signed: every mutation is refused, and nothing is written. */
    char *before = th_db_fingerprint(s);
    const char *const refused[][10] = {
        {"score", "set", ids, "1.1", "3", NULL},
        {"consensus", "set", ids, "1.1", "3", "--reason", "x", NULL},
        {"consensus", "auto", ids, "--strategy", "mean", NULL},
        {"consensus", "threshold", ids, "30", NULL},
        {"text", "set", ids, "1", "summary", "--file", "/dev/null", NULL},
        {"text", "approve", ids, "1", NULL},
        {"submit", ids, NULL},
        {"evidence", "add", ids, "web", "--title", "Webbplatsen", NULL},
        {"eval", "start", ids, NULL},
        {"eval", "assign", ids, "admin", "--as", "observer", NULL},
        {"eval", "unassign", ids, "ewa", NULL},
        {"lock", "break", ids, "1/summary", "--reason", "x", NULL},
    };
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
        char *err = NULL;
        const char *home =
            strcmp(refused[i][0], "text") == 0 && strcmp(refused[i][1], "approve") == 0 ? peer
                                                                                        : lead;
        int rc = th_cli_full(s, home, NULL, NULL, &err, refused[i]);
        cr_assert_neq(rc, 0, "kompass %s %s was accepted on a signed evaluation", refused[i][0],
                      refused[i][1]);
        cr_assert(strstr(err, "INVALID_STATE") && strstr(err, "signed"), "%s %s: %s", refused[i][0],
                  refused[i][1], err);
        free(err);
    }
    cr_assert_eq(s_sign(peer, "reviewed", TH_PASSWORD), 1); /* not in review */
    char *after = th_db_fingerprint(s);
    cr_assert_str_eq(before, after, "a refused request changed a signed evaluation");
    free(before);
    free(after);

    /* A name corrected after signing (user edit, audited): the signed
     * report keeps the names it was signed with; what is signed verifies. */
    char *err = NULL;
    out = NULL;
    cr_assert_eq(th_cli_as(s, admin, NULL, &out, &err, "user", "edit", "christine", "--name",
                           "Christine Feuk Berg", NULL),
                 0, "%s", err);
    cr_assert(strstr(out, "christine is now Christine Feuk Berg, SKL"), "%s", out);
    free(out);
    free(err);
    doc = th_json(s, peer, 0, "report", ids, "--format", "json", NULL);
    char *evs = json_dumps(json_object_get(doc, "evaluators"), 0);
    cr_assert(strstr(evs, "\"Christine Feuk\"") && !strstr(evs, "Berg"), "%s", evs);
    free(evs);
    json_decref(doc);
    char *edited = th_sql(s, "SELECT after FROM audit_events WHERE action = 'user.edit'");
    cr_assert(strstr(edited, "Christine Feuk Berg"), "%s", edited);
    free(edited);
    out = NULL;
    cr_assert_eq(
        th_cli_as(s, admin, NULL, &out, NULL, "user", "edit", "christine", "--org", "SKL", NULL),
        0);
    cr_assert(strstr(out, "no change"), "%s", out);
    free(out);
    cr_assert_eq(th_cli_as(s, admin, NULL, NULL, NULL, "user", "edit", "christine", "--name",
                           "Christine Feuk", NULL),
                 0);
    out = NULL;
    err = NULL;
    cr_assert_eq(th_cli_as(s, lead, NULL, &out, &err, "user", "edit", "ewa", "--name", "X", NULL),
                 4, "an evaluator corrected a user: %s", out);
    free(out);
    free(err);

    /* An auditor verifies what was signed. */
    doc = th_json(s, admin, 0, "eval", "verify", ids, NULL);
    cr_assert(json_is_true(json_object_get(doc, "ok")));
    json_t *rev = json_array_get(json_object_get(doc, "revisions"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(rev, "content_hash")), saved);
    cr_assert(json_is_true(json_object_get(rev, "live_ok")));
    json_decref(doc);

    /* Tampering behind Kompass's back (triggers bypassed, as a superuser
     * could) is caught. */
    cr_assert_eq(th_sql_try(s,
                            "SET session_replication_role = replica;"
                            " UPDATE consensus_scores SET points = points + 1 WHERE question_id ="
                            " (SELECT id FROM framework_questions WHERE code = '3.2')",
                            NULL),
                 0);
    doc = th_json(s, admin, 1, "eval", "verify", ids, NULL);
    cr_assert(json_is_false(json_object_get(doc, "ok")));
    rev = json_array_get(json_object_get(doc, "revisions"), 0);
    cr_assert(json_is_false(json_object_get(rev, "live_ok")));
    char *problems = json_dumps(json_object_get(rev, "problems"), 0);
    cr_assert(strstr(problems, "scores 3.2 differs"), "%s", problems);
    free(problems);
    json_decref(doc);
    cr_assert_eq(th_sql_try(s,
                            "SET session_replication_role = replica;"
                            " UPDATE consensus_scores SET points = points - 1 WHERE question_id ="
                            " (SELECT id FROM framework_questions WHERE code = '3.2')",
                            NULL),
                 0);
    /* ... and so is a signature rewritten to another hash. */
    cr_assert_eq(th_sql_try(s,
                            "SET session_replication_role = replica;"
                            " UPDATE signatures SET content_hash = repeat('0', 64)"
                            " WHERE user_id = (SELECT id FROM users WHERE login = 'ewa')",
                            NULL),
                 0);
    doc = th_json(s, admin, 1, "eval", "verify", ids, NULL);
    rev = json_array_get(json_object_get(doc, "revisions"), 0);
    cr_assert(json_is_false(json_object_get(rev, "signatures_ok")));
    json_decref(doc);
    cr_assert_eq(th_sql_try(s,
                            "SET session_replication_role = replica;"
                            " UPDATE signatures SET content_hash = (SELECT content_hash FROM"
                            " evaluation_revisions LIMIT 1)",
                            NULL),
                 0);
    doc = th_json(s, admin, 0, "eval", "verify", ids, NULL);
    json_decref(doc);

    /* Reopening: an admin, with a reason. */
    s_expect_fail(peer, 4, "DENIED", "eval", "reopen", ids, "--reason", "fel", NULL);
    s_expect_fail(admin, 2, "needs --reason", "eval", "reopen", ids, NULL);
    doc = th_json(s, admin, 0, "eval", "reopen", ids, "--reason", "Fel i område 3", NULL);
    cr_assert_eq(json_integer_value(json_object_get(doc, "revision")), 2);
    cr_assert_eq(json_integer_value(json_object_get(doc, "signatures_cancelled")), 3);
    json_decref(doc);
    cr_assert_str_eq(s_status(), "reopened");
    /* The signed revision stays readable, as signed. */
    doc = th_json(s, peer, 0, "eval", "show", ids, "--revision", "1", NULL);
    cr_assert_str_eq(json_string_value(json_object_get(doc, "content_hash")), saved);
    json_t *reopened = json_object_get(doc, "reopened");
    cr_assert_str_eq(json_string_value(json_object_get(reopened, "reason")), "Fel i område 3");
    cr_assert_eq(json_array_size(json_object_get(doc, "signatures")), 3);
    json_decref(doc);
    out = NULL;
    cr_assert_eq(th_cli_as(s, peer, NULL, &out, NULL, "eval", "show", ids, "--revision", "1", NULL),
                 0);
    cr_assert(strstr(out, "Område 3: tydliga mål"), "%s", out);
    free(out);
    doc = th_json(s, admin, 0, "eval", "verify", ids, NULL);
    cr_assert(json_is_true(json_object_get(doc, "ok")));
    json_decref(doc);

    /* The audit trail holds every step, and its chain verifies. */
    char *actions = th_sql(s, "SELECT string_agg(DISTINCT action, ',' ORDER BY action)"
                              " FROM audit_events WHERE evaluation_id <> 0");
    const char *const want[] = {"score.submit", "consensus.auto", "consensus.set",
                                "text.approve", "eval.sign",      "eval.reopen"};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        cr_assert(strstr(actions, want[i]), "no %s in %s", want[i], actions);
    free(actions);
    char *reason = th_sql(s, "SELECT reason FROM audit_events WHERE action = 'eval.reopen'");
    cr_assert_str_eq(reason, "Fel i område 3");
    free(reason);
    cr_assert_eq(th_cli_as(s, admin, NULL, NULL, NULL, "audit", "verify", NULL), 0);
}

Test(consensus, an_imported_published_evaluation_verifies_and_is_not_reopened)
{
    json_t *doc =
        th_json(s, admin, 0, "import", KP_SOURCE_DIR "/tests/data/import/vasteras-2014.json", NULL);
    json_decref(doc);
    char *v = th_sql(s, "SELECT id FROM evaluations WHERE source IS NOT NULL");
    char imported[32];
    kp_strlcpy(imported, v, sizeof imported);
    free(v);
    doc = th_json(s, admin, 0, "eval", "verify", imported, NULL);
    cr_assert(json_is_true(json_object_get(doc, "ok")), "%s", json_dumps(doc, 0));
    json_decref(doc);
    s_expect_fail(admin, 1, "published record", "eval", "reopen", imported, "--reason", "x", NULL);
    /* a published figure changed behind Kompass's back is caught */
    cr_assert_eq(
        th_sql_try(s,
                   "SET session_replication_role = replica;"
                   " UPDATE consensus_scores SET points = points + 1 WHERE evaluation_id ="
                   " (SELECT id FROM evaluations WHERE source IS NOT NULL) AND"
                   " question_id = (SELECT id FROM framework_questions WHERE code = '5.1')",
                   NULL),
        0);
    doc = th_json(s, admin, 1, "eval", "verify", imported, NULL);
    cr_assert(json_is_false(json_object_get(doc, "ok")));
    json_decref(doc);
}
