/*  The authorisation matrix: every RPC of the table (server/authz.c), called
 *  by every kind of caller (no session, admin, evaluator, observer) and, for
 *  RPCs about an evaluation, in every relation to it (lead, peer, observer,
 *  the municipality's contact, none), against a real kompassd.
 *
 *  The expected outcome of each cell is worked out here from the row's data
 *  by the rules written in authz.h (expect() below, written apart from the
 *  server's code): allowed cells must answer OK; refused cells must answer
 *  UNAUTHENTICATED, DENIED or NOT_FOUND as the rules say, must change
 *  nothing in the database (every table but the volatile sessions and
 *  security_log, compared before and after), and, for RPCs that write, must
 *  leave a row in the security log.
 *
 *  Each RPC needs a sample request: tests/samples.c's table, shared with
 *  the audit test and the fuzz corpus, builds its body from the ids a cell
 *  passes (s_ids). An RPC that names something that must exist first has a
 *  `prepare` here, and an RPC about an evaluation a `relate` that puts the
 *  caller in a relation to a fresh one (s_worlds). An RPC of the table
 *  without a sample, or without a `relate` when it needs one, fails this
 *  test, and so does a sample of an RPC that does not exist.
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <criterion/parameterized.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "authz.h"
#include "harness.h"
#include "samples.h"

#define RQ(field) KOMPASS__V1__REQUEST__BODY_##field

/* One cell being set up. */
typedef struct {
    th_server *s;
    void *sock;
    kp_arena *a;
    const char *admin_token; /* the first admin's, for setting things up */
    const char *caller;      /* the caller's login, NULL for no session */
    const char *password;    /* the caller's password */
    unsigned role;           /* the caller's global role bit (0: no session) */
    int n;                   /* a number unique to this cell */
    long long mid, fid;      /* a municipality and KK2015, for evaluations */
    long long helpers[3];    /* user ids of a helper lead, peer and observer */
} cell;

/* What a cell's request needs on the server besides its body. */
typedef struct {
    int body_case;
    /* Makes what the request names and puts it in ids (NULL: nothing). */
    void (*prepare)(cell *c, th_sample_ids *ids);
    /* For RPCs about an evaluation: puts c->caller in relation rel to the
     * evaluation that req names. */
    void (*relate)(cell *c, kp_request *req, kp_relation rel);
} world;

/* ------------------------------------------------------------ helpers */

static kp_response *s_call(cell *c, kp_request *req, const char *token)
{
    req->session_token = kp_arena_strdup(c->a, token ? token : "");
    kp_response *r = th_call(c->sock, c->a, req, 20000);
    cr_assert(r, "no answer to %s", kp_wire_body_name(req));
    return r;
}

static kp_request *s_req(cell *c)
{
    kp_request *req = kp_arena_zalloc(c->a, sizeof *req);
    kompass__v1__request__init(req);
    return req;
}

/* Adds a user with the admin's session; returns the login. */
static const char *s_user(cell *c, const char *what, int role, const char *password)
{
    kp_request *req = s_req(c);
    Kompass__V1__UserAddRequest *in = kp_arena_zalloc(c->a, sizeof *in);
    kompass__v1__user_add_request__init(in);
    in->login = kp_arena_printf(c->a, "%s%d", what, c->n);
    in->full_name = kp_arena_printf(c->a, "Matrix %s %d", what, c->n);
    in->organisation = "Matrixkommun";
    in->role = (Kompass__V1__Role)role;
    in->password = kp_arena_strdup(c->a, password);
    req->body_case = RQ(USER_ADD);
    req->user_add = in;
    kp_response *r = s_call(c, req, c->admin_token);
    cr_assert_eq(r->status, KOMPASS__V1__STATUS__OK, "setting up %s: %s", in->login, r->error);
    return kp_arena_strdup(c->a, in->login);
}

#define PW "Matrix-password-1234"

/* ------------------------------------------------------------ evaluations
 *
 * Each cell about an evaluation gets a fresh one, made directly in the
 * database (so that any role can be put in any relation, even those the
 * domain would not allow, e.g. a global observer as lead: the decision must
 * still be right), with helper members around the caller so that the
 * request is valid whoever makes it. */

static char *s_sqlf(cell *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *s_sqlf(cell *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *q = kp_arena_vprintf(c->a, fmt, ap);
    va_end(ap);
    return th_sql(c->s, q);
}

static long long s_num(char *v)
{
    long long n = v ? atoll(v) : 0;
    free(v);
    return n;
}

enum {
    NEEDS_SCORING = 1,
    CALLER_LOCK = 2,
    OTHER_LOCK = 4,
    HELPER_OBSERVER = 8,
    DRAFT = 16,
    NOT_BLIND = 32
};

static void s_set_eval_id(kp_request *req, long long id)
{
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field(
        &kompass__v1__request__descriptor, (unsigned)req->body_case);
    ProtobufCMessage *body = *(ProtobufCMessage **)((char *)req + f->offset);
    const ProtobufCFieldDescriptor *ef =
        protobuf_c_message_descriptor_get_field_by_name(body->descriptor, "evaluation_id");
    cr_assert(ef);
    *(int64_t *)((char *)body + ef->offset) = id;
}

/* A fresh evaluation with the caller in relation rel and helpers around. */
static long long s_eval_for(cell *c, kp_request *req, kp_relation rel, int needs)
{
    const char *status = needs & NEEDS_SCORING ? "scoring" : "draft";
    long long id =
        s_num(s_sqlf(c,
                     "INSERT INTO evaluations (municipality_id, framework_id, label, "
                     "ordinal, status, blind) VALUES (%lld, %lld, 'm%d', %d, '%s', %s) "
                     "RETURNING id",
                     c->mid, c->fid, c->n, c->n, status, needs & NOT_BLIND ? "false" : "true"));
    long long caller = 0;
    if (c->caller) caller = s_num(s_sqlf(c, "SELECT id FROM users WHERE login = '%s'", c->caller));
    static const char *roles[] = {"", "lead", "peer", "observer", "contact"};
    if (caller && rel != KP_REL_NONE)
        free(s_sqlf(c,
                    "INSERT INTO evaluation_members (evaluation_id, user_id, role) VALUES "
                    "(%lld, %lld, '%s')",
                    id, caller, roles[rel]));
    /* a lead and a peer unless the caller is one */
    if (rel != KP_REL_LEAD)
        free(s_sqlf(c,
                    "INSERT INTO evaluation_members (evaluation_id, user_id, role) VALUES "
                    "(%lld, %lld, 'lead')",
                    id, c->helpers[0]));
    if (rel != KP_REL_PEER)
        free(s_sqlf(c,
                    "INSERT INTO evaluation_members (evaluation_id, user_id, role) VALUES "
                    "(%lld, %lld, 'peer')",
                    id, c->helpers[1]));
    if (needs & HELPER_OBSERVER)
        free(s_sqlf(c,
                    "INSERT INTO evaluation_members (evaluation_id, user_id, role) VALUES "
                    "(%lld, %lld, 'observer')",
                    id, c->helpers[2]));
    if (needs & OTHER_LOCK)
        free(s_sqlf(c,
                    "INSERT INTO section_locks (evaluation_id, area_number, section, "
                    "holder_id, token, expires_at) VALUES (%lld, 1, 'summary', %lld, 'x', "
                    "now() + interval '5 minutes')",
                    id, c->helpers[1]));
    if ((needs & CALLER_LOCK) && caller)
        free(s_sqlf(c,
                    "INSERT INTO section_locks (evaluation_id, area_number, section, "
                    "holder_id, token, expires_at) VALUES (%lld, 1, 'summary', %lld, "
                    "'cell-token', now() + interval '5 minutes')",
                    id, caller));
    s_set_eval_id(req, id);
    return id;
}

/* Admins write scores for an evaluator when they are not one themselves. */
static void r_scoring(cell *c, kp_request *req, kp_relation rel)
{
    s_eval_for(c, req, rel, NEEDS_SCORING);
    if (req->body_case == RQ(SCORE_SET) && c->role == KP_ROLE_ADMIN && rel != KP_REL_LEAD &&
        rel != KP_REL_PEER)
        req->score_set->on_behalf_of = "helperpeer";
}
static void r_open(cell *c, kp_request *req, kp_relation rel)
{
    s_eval_for(c, req, rel, NOT_BLIND);
}
static void r_draft(cell *c, kp_request *req, kp_relation rel)
{
    s_eval_for(c, req, rel, DRAFT);
}
static void r_scoring_plain(cell *c, kp_request *req, kp_relation rel)
{
    s_eval_for(c, req, rel, NEEDS_SCORING);
}
/* Every lead and peer has scored `which` questions ('%' : all) at 1 point. */
static void s_scores(cell *c, long long id, const char *which)
{
    free(s_sqlf(c,
                "INSERT INTO scores (evaluation_id, question_id, evaluator_id, points, version,"
                " written_by) SELECT %lld, q.id, x.user_id, 1, 1, x.user_id"
                " FROM framework_questions q, evaluation_members x WHERE x.evaluation_id = %lld"
                " AND x.role IN ('lead', 'peer') AND q.framework_id = %lld AND q.code LIKE '%s'",
                id, id, c->fid, which));
}
/* Scoring, everything scored; an admin outside the team submits for the peer. */
static void r_scored(cell *c, kp_request *req, kp_relation rel)
{
    long long id = s_eval_for(c, req, rel, NEEDS_SCORING);
    s_scores(c, id, "%%");
    if (c->role == KP_ROLE_ADMIN && rel != KP_REL_LEAD && rel != KP_REL_PEER)
        req->submit->on_behalf_of = "helperpeer";
}
/* Consensus: everyone gave 1.1 the same points; area 1 has a summary. */
static void r_consensus(cell *c, kp_request *req, kp_relation rel)
{
    long long id = s_eval_for(c, req, rel, NEEDS_SCORING);
    s_scores(c, id, "1.1");
    free(s_sqlf(c, "UPDATE evaluations SET status = 'consensus' WHERE id = %lld", id));
    free(s_sqlf(c,
                "INSERT INTO area_texts (evaluation_id, area_number, section, content, version,"
                " written_by) VALUES (%lld, 1, 'summary', '\"Tydligt.\"', 1, %lld)",
                id, c->helpers[0]));
}
static void r_review(cell *c, kp_request *req, kp_relation rel)
{
    long long id = s_eval_for(c, req, rel, NEEDS_SCORING);
    free(s_sqlf(c, "UPDATE evaluations SET status = 'consensus' WHERE id = %lld", id));
    free(s_sqlf(c, "UPDATE evaluations SET status = 'review' WHERE id = %lld", id));
}
/* A signed revision 1 on record. */
static void r_revision(cell *c, kp_request *req, kp_relation rel)
{
    long long id = s_eval_for(c, req, rel, DRAFT);
    free(s_sqlf(c,
                "INSERT INTO evaluation_revisions (evaluation_id, revision, content, content_hash,"
                " eval_version) VALUES (%lld, 1, '{}', repeat('a', 64), 1)",
                id));
}
static void r_with_observer(cell *c, kp_request *req, kp_relation rel)
{
    s_eval_for(c, req, rel, HELPER_OBSERVER);
}
static void r_caller_lock(cell *c, kp_request *req, kp_relation rel)
{
    s_eval_for(c, req, rel, NEEDS_SCORING | CALLER_LOCK);
}
static void r_other_lock(cell *c, kp_request *req, kp_relation rel)
{
    s_eval_for(c, req, rel, NEEDS_SCORING | OTHER_LOCK);
}

/* ------------------------------------------------------------ the consensus meeting */

/* The evaluation id a relate put in req. */
static long long s_get_eval_id(kp_request *req)
{
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field(
        &kompass__v1__request__descriptor, (unsigned)req->body_case);
    ProtobufCMessage *body = *(ProtobufCMessage **)((char *)req + f->offset);
    const ProtobufCFieldDescriptor *ef =
        protobuf_c_message_descriptor_get_field_by_name(body->descriptor, "evaluation_id");
    return (long long)*(int64_t *)((char *)body + ef->offset);
}

/* Consensus, with an open thread on 1.4 (opened by the helper lead) */
static void r_thread(cell *c, kp_request *req, kp_relation rel)
{
    r_consensus(c, req, rel);
    long long id = s_get_eval_id(req);
    free(s_sqlf(c,
                "INSERT INTO comment_threads (evaluation_id, question_id, status, opened_by,"
                " version) SELECT %lld, id, 'open', %lld, 1 FROM framework_questions"
                " WHERE framework_id = %lld AND code = '1.4'",
                id, c->helpers[0], c->fid));
    free(s_sqlf(c,
                "INSERT INTO comments (evaluation_id, question_id, kind, body, author_id, version)"
                " SELECT %lld, id, 'comment', 'Varför 1?', %lld, 1 FROM framework_questions"
                " WHERE framework_id = %lld AND code = '1.4'",
                id, c->helpers[0], c->fid));
}
/* ... and resolved */
static void r_resolved_thread(cell *c, kp_request *req, kp_relation rel)
{
    r_thread(c, req, rel);
    free(s_sqlf(c,
                "UPDATE comment_threads SET status = 'resolved', resolved_by = %lld,"
                " resolved_at = now() WHERE evaluation_id = %lld",
                c->helpers[0], s_get_eval_id(req)));
}
/* A calibration exercise (practice copy of a signed evaluation), the caller
 * in relation rel to it, the helper peer its trainee. */
static void r_practice(cell *c, kp_request *req, kp_relation rel)
{
    long long src = s_num(s_sqlf(c,
                                 "INSERT INTO evaluations (municipality_id, framework_id, label, "
                                 "ordinal, status) VALUES (%lld, %lld, 's%d', %d, 'signed') "
                                 "RETURNING id",
                                 c->mid, c->fid, c->n, c->n));
    free(s_sqlf(c,
                "INSERT INTO evaluation_revisions (evaluation_id, revision, content, content_hash,"
                " eval_version) VALUES (%lld, 1, '{\"scores\":{}}', repeat('b', 64), 1)",
                src));
    long long id = s_num(s_sqlf(c,
                                "INSERT INTO evaluations (municipality_id, framework_id, label, "
                                "ordinal, status, practice) VALUES (%lld, %lld, 's%d övning', %d,"
                                " 'scoring', true) RETURNING id",
                                c->mid, c->fid, c->n, c->n));
    free(s_sqlf(c,
                "INSERT INTO calibrations (practice_id, source_id, source_revision, trainee_id,"
                " created_by) VALUES (%lld, %lld, 1, %lld, %lld)",
                id, src, c->helpers[1], c->helpers[0]));
    static const char *roles[] = {"", "lead", "peer", "observer", "contact"};
    if (c->caller && rel != KP_REL_NONE)
        free(s_sqlf(c,
                    "INSERT INTO evaluation_members (evaluation_id, user_id, role) SELECT %lld,"
                    " id, '%s' FROM users WHERE login = '%s'",
                    id, roles[rel], c->caller));
    if (rel != KP_REL_PEER)
        free(s_sqlf(c,
                    "INSERT INTO evaluation_members (evaluation_id, user_id, role) VALUES "
                    "(%lld, %lld, 'peer')",
                    id, c->helpers[1]));
    s_set_eval_id(req, id);
}
/* the factual review: texts approved and a contact on the team (the helper
 * observer, put there directly: the database does not judge organisations) */
static long long s_fc_ready(cell *c, kp_request *req, kp_relation rel)
{
    long long id = s_eval_for(c, req, rel, NEEDS_SCORING);
    free(s_sqlf(c, "UPDATE evaluations SET status = 'consensus' WHERE id = %lld", id));
    free(s_sqlf(c, "UPDATE evaluations SET status = 'review' WHERE id = %lld", id));
    free(s_sqlf(c,
                "INSERT INTO area_approvals (evaluation_id, area_number, approved_by, version)"
                " SELECT %lld, number, %lld, 1 FROM framework_areas WHERE framework_id = %lld",
                id, c->helpers[1], c->fid));
    free(s_sqlf(c,
                "INSERT INTO evaluation_members (evaluation_id, user_id, role) VALUES "
                "(%lld, %lld, 'contact')",
                id, c->helpers[2]));
    return id;
}
static void r_fc_ready(cell *c, kp_request *req, kp_relation rel)
{
    s_fc_ready(c, req, rel);
}
/* ... and its review open, its window of 10 days from today */
static long long s_fc_open(cell *c, kp_request *req, kp_relation rel)
{
    long long id = s_fc_ready(c, req, rel);
    free(s_sqlf(c,
                "INSERT INTO factchecks (evaluation_id, revision, started_by, days, ends_on)"
                " VALUES (%lld, 1, %lld, 10, current_date + 10)",
                id, c->helpers[0]));
    return id;
}
static void r_fc_open(cell *c, kp_request *req, kp_relation rel)
{
    s_fc_open(c, req, rel);
}
/* ... with a remark of the helper contact's, which the request answers */
static void r_fc_remark(cell *c, kp_request *req, kp_relation rel)
{
    long long id = s_fc_open(c, req, rel);
    req->factcheck_answer->remark_id = s_num(s_sqlf(c,
                                                    "INSERT INTO factcheck_remarks (evaluation_id,"
                                                    " revision, area_number, body, author_id)"
                                                    " VALUES (%lld, 1, 1, 'Fel årtal.', %lld)"
                                                    " RETURNING id",
                                                    id, c->helpers[2]));
}

/* the follow-up: an evaluation of a municipality of its own, whose signed
 * earlier round ('a' < 'm') named one improvement opportunity in area 1 */
static void r_followup(cell *c, kp_request *req, kp_relation rel)
{
    long long mid = s_num(
        s_sqlf(c, "INSERT INTO municipalities (name) VALUES ('Följby %d') RETURNING id", c->n));
    long long shared = c->mid;
    c->mid = mid;
    s_eval_for(c, req, rel, NEEDS_SCORING);
    c->mid = shared;
    long long prev =
        s_num(s_sqlf(c,
                     "INSERT INTO evaluations (municipality_id, framework_id, label, "
                     "ordinal, status, blind) VALUES (%lld, %lld, 'a%d', 1, 'review', false) "
                     "RETURNING id",
                     mid, c->fid, c->n));
    free(s_sqlf(c,
                "INSERT INTO area_texts (evaluation_id, area_number, section, content, version,"
                " written_by) VALUES (%lld, 1, 'improvements', '[\"Dialog med invånarna.\"]', 1,"
                " %lld)",
                prev, c->helpers[0]));
    free(s_sqlf(c, "UPDATE evaluations SET status = 'signed' WHERE id = %lld", prev));
}

/* ------------------------------------------------------------ what requests name
 *
 * The request bodies are tests/samples.c's. A cell passes its ids (s_ids);
 * where a request names something that must exist first, its `prepare`
 * makes it here and puts it in the ids. */

static th_sample_ids s_ids(cell *c)
{
    th_sample_ids ids = {0};
    ids.n = c->n;
    ids.password = c->password ? c->password : PW;
    ids.municipality = "Matrixkommun";
    ids.framework = "KK2015";
    ids.label = kp_arena_printf(c->a, "c%d", c->n);
    ids.login = "helperobs";       /* assigned and unassigned as an observer */
    ids.question = "1.4";          /* r_thread's (max 30 points; 1.1's is 15) */
    ids.item = "1.1";              /* r_followup's improvement opportunity */
    ids.lock_token = "cell-token"; /* r_caller_lock's */
    return ids;
}

/* a user to log in as */
static void p_login(cell *c, th_sample_ids *ids)
{
    ids->login = s_user(c, "target", KOMPASS__V1__ROLE__ROLE_EVALUATOR, PW);
    ids->password = PW;
}
/* a user to disable, edit, or give a new password */
static void p_victim(cell *c, th_sample_ids *ids)
{
    ids->login = s_user(c, "victim", KOMPASS__V1__ROLE__ROLE_EVALUATOR, PW);
}
/* a caller without a session signs with no password at all */
static void p_sign(cell *c, th_sample_ids *ids)
{
    ids->password = c->password ? c->password : "no password at all";
}
/* Reopen is not about a team: it gets a signed evaluation of its own. */
static void p_signed(cell *c, th_sample_ids *ids)
{
    long long id = s_num(s_sqlf(c,
                                "INSERT INTO evaluations (municipality_id, framework_id, label, "
                                "ordinal, status) VALUES (%lld, %lld, 'r%d', %d, 'review') "
                                "RETURNING id",
                                c->mid, c->fid, c->n, c->n));
    free(s_sqlf(c, "UPDATE evaluations SET status = 'signed' WHERE id = %lld", id));
    ids->eval_id = id;
}
/* reports: a signed evaluation (everybody's to read) */
static void p_report(cell *c, th_sample_ids *ids)
{
    ids->eval_id = s_num(s_sqlf(c,
                                "INSERT INTO evaluations (municipality_id, framework_id, "
                                "label, ordinal, status) VALUES (%lld, %lld, 'r%d', %d, "
                                "'signed') RETURNING id",
                                c->mid, c->fid, c->n, c->n));
}
/* an import of KK2015 with every question at 0 points */
static void p_import(cell *c, th_sample_ids *ids)
{
    char *areas = th_sql(c->s, "SELECT json_agg(json_build_object('number', a.number, "
                               "'questions', (SELECT json_agg(json_build_object('code', q.code, "
                               "'points', 0) ORDER BY q.position) FROM framework_questions q "
                               "WHERE q.area_id = a.id)) ORDER BY a.number) FROM framework_areas "
                               "a JOIN frameworks f ON f.id = a.framework_id WHERE f.code = "
                               "'KK2015'");
    ids->areas = kp_arena_strdup(c->a, areas);
    free(areas);
    ids->municipality = kp_arena_printf(c->a, "Importby %d", c->n);
    ids->label = kp_arena_printf(c->a, "i%d", c->n);
}
/* a signed evaluation made in Kompass, and a new evaluator to train on it */
static void p_calibration(cell *c, th_sample_ids *ids)
{
    ids->eval_id = s_num(s_sqlf(c,
                                "INSERT INTO evaluations (municipality_id, framework_id, "
                                "label, ordinal, status) VALUES (%lld, %lld, 'k%d', %d, "
                                "'signed') RETURNING id",
                                c->mid, c->fid, c->n, c->n));
    free(s_sqlf(c,
                "INSERT INTO evaluation_revisions (evaluation_id, revision, content, content_hash,"
                " eval_version) VALUES (%lld, 1, '{\"scores\":{}}', repeat('c', 64), 1)",
                ids->eval_id));
    ids->login = s_user(c, "trainee", KOMPASS__V1__ROLE__ROLE_EVALUATOR, PW);
}
/* a municipality to correct */
static void p_municipality(cell *c, th_sample_ids *ids)
{
    char *name =
        s_sqlf(c, "INSERT INTO municipalities (name) VALUES ('Rättby %d') RETURNING name", c->n);
    ids->municipality = kp_arena_strdup(c->a, name);
    free(name);
}

/* RPCs about an evaluation need `relate`, which puts the caller in each
 * relation to a fresh evaluation; the others an entry only when they need
 * a `prepare`. */
static const world s_worlds[] = {
    {RQ(LOGIN), p_login, NULL},
    {RQ(USER_SET_ACTIVE), p_victim, NULL},
    {RQ(USER_EDIT), p_victim, NULL},
    {RQ(USER_RESET_PASSWORD), p_victim, NULL},
    {RQ(EVAL_SHOW), NULL, r_draft},
    {RQ(EVAL_ASSIGN), NULL, r_draft},
    {RQ(EVAL_UNASSIGN), NULL, r_with_observer},
    {RQ(EVAL_START), NULL, r_draft},
    {RQ(EVIDENCE_ADD), NULL, r_draft},
    {RQ(EVIDENCE_LIST), NULL, r_draft},
    {RQ(SCORE_SET), NULL, r_scoring},
    {RQ(SCORE_LIST), NULL, r_scoring_plain},
    {RQ(TEXT_SHOW), NULL, r_draft},
    {RQ(TEXT_LOCK), NULL, r_scoring_plain},
    {RQ(TEXT_SAVE), NULL, r_caller_lock},
    {RQ(LOCK_LIST), NULL, r_scoring_plain},
    {RQ(LOCK_BREAK), NULL, r_other_lock},
    {RQ(SUBMIT), NULL, r_scored},
    {RQ(CONSENSUS_SHOW), NULL, r_open},
    {RQ(CONSENSUS_SET), NULL, r_consensus},
    {RQ(CONSENSUS_AUTO), NULL, r_consensus},
    {RQ(CONSENSUS_THRESHOLD), NULL, r_draft},
    {RQ(TEXT_APPROVE), NULL, r_consensus},
    {RQ(SIGN), p_sign, r_review},
    {RQ(EVAL_REOPEN), p_signed, NULL},
    {RQ(EVAL_VERIFY), NULL, r_draft},
    {RQ(EVAL_STATUS), NULL, r_draft},
    {RQ(EVAL_REVISION), NULL, r_revision},
    {RQ(EVAL_SNAPSHOT), NULL, r_scoring_plain},
    {RQ(EVAL_CHANGES), NULL, r_scoring_plain},
    {RQ(AUDIT_LIST), NULL, r_open},
    {RQ(REPORT_DATA), p_report, NULL},
    {RQ(EVAL_IMPORT), p_import, NULL},
    /* the consensus meeting */
    {RQ(COMMENT_ADD), NULL, r_consensus},
    {RQ(COMMENT_LIST), NULL, r_thread},
    {RQ(COMMENT_RESOLVE), NULL, r_thread},
    {RQ(COMMENT_REOPEN), NULL, r_resolved_thread},
    {RQ(CONSENSUS_QUESTION), NULL, r_open},
    {RQ(CALIBRATION_CREATE), p_calibration, NULL},
    {RQ(CALIBRATION_SHOW), NULL, r_practice},
    /* offline work */
    {RQ(OFFLINE_DISCARD), NULL, r_scoring},
    /* the cycle across rounds */
    {RQ(EVAL_SET), NULL, r_draft},
    /* the municipality's factual review */
    {RQ(FACTCHECK_START), NULL, r_fc_ready},
    {RQ(FACTCHECK_REMARK), NULL, r_fc_open},
    {RQ(FACTCHECK_ANSWER), NULL, r_fc_remark},
    {RQ(FACTCHECK_SHOW), NULL, r_fc_open},
    {RQ(FACTCHECK_CLOSE), NULL, r_fc_open},
    {RQ(MUNICIPALITY_EDIT), p_municipality, NULL},
    /* the follow-up of the previous round */
    {RQ(FOLLOWUP_LIST), NULL, r_followup},
    {RQ(FOLLOWUP_SET), NULL, r_followup},
};
#define N_WORLDS (sizeof s_worlds / sizeof s_worlds[0])

static const world *s_world(int body_case)
{
    for (size_t i = 0; i < N_WORLDS; i++)
        if (s_worlds[i].body_case == body_case) return &s_worlds[i];
    return NULL;
}

/* ------------------------------------------------------------ the rules */

/* The outcome authz.h promises, for a caller with global role `role` (0:
 * no session) in relation rel. */
static int expect(const kp_authz_rule *rule, unsigned role, kp_relation rel)
{
    if (!rule->session) return KP_OK;
    if (role == 0) return KP_UNAUTHENTICATED;
    int admin = role == KP_ROLE_ADMIN;
    if (rule->relations && rel == KP_REL_NONE && !admin) return KP_NOT_FOUND;
    if (!(rule->roles & role)) return KP_DENIED;
    if (rule->relations && !admin && !(rule->relations & KP_RELBIT(rel))) return KP_DENIED;
    return KP_OK;
}

static const struct {
    const char *name;
    unsigned bit;
    int proto_role;
} s_callers[] = {
    {"no session", 0, 0},
    {"admin", KP_ROLE_ADMIN, KOMPASS__V1__ROLE__ROLE_ADMIN},
    {"evaluator", KP_ROLE_EVALUATOR, KOMPASS__V1__ROLE__ROLE_EVALUATOR},
    {"observer", KP_ROLE_OBSERVER, KOMPASS__V1__ROLE__ROLE_OBSERVER},
};

static int s_refusals_logged(th_server *s, const char *rpc)
{
    char sql[300];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM security_log WHERE rpc = '%s' AND kind IN ('denied', "
             "'unauthenticated')",
             rpc);
    char *v = th_sql(s, sql);
    int n = atoi(v);
    free(v);
    return n;
}

/* Runs one cell: rule x caller x relation. */
static void s_cell(cell *c, const kp_authz_rule *rule, const world *w, int who, kp_relation rel)
{
    const char *token = NULL;
    c->caller = NULL;
    c->password = NULL;
    c->role = s_callers[who].bit;
    if (s_callers[who].bit) {
        c->password = kp_arena_printf(c->a, "Matrix-caller-%d-pw", c->n);
        c->caller = s_user(c, "caller", s_callers[who].proto_role, c->password);
        token = th_token(c->sock, c->a, c->caller, c->password);
    }
    th_sample_ids ids = s_ids(c);
    if (w && w->prepare) w->prepare(c, &ids);
    kp_request *req = s_req(c);
    cr_assert_eq(th_sample_build(c->a, rule->body_case, &ids, req), 0);
    if (rule->relations) w->relate(c, req, rel);

    int want = expect(rule, s_callers[who].bit, rel);
    char *before = th_db_fingerprint(c->s);
    int logged_before = s_refusals_logged(c->s, rule->name);
    kp_response *r = s_call(c, req, token);
    const char *cell_name = kp_arena_printf(c->a, "%s as %s%s%s", rule->name, s_callers[who].name,
                                            rule->relations ? " in relation " : "",
                                            rule->relations ? kp_relation_names[rel] : "");
    cr_log_info("%-46s -> %s", cell_name, kp_status_name((int)r->status));
    cr_assert_eq((int)r->status, want, "%s: expected %s, got %s (%s)", cell_name,
                 kp_status_name(want), kp_status_name((int)r->status), r->error);
    if (want != KP_OK) {
        char *after = th_db_fingerprint(c->s);
        cr_assert_str_eq(before, after, "%s was refused but wrote to the database", cell_name);
        free(after);
        int logged = s_refusals_logged(c->s, rule->name) - logged_before;
        cr_assert_eq(logged, rule->writes ? 1 : 0,
                     "%s: %d refusals recorded in the security log, expected %d", cell_name, logged,
                     rule->writes ? 1 : 0);
    }
    free(before);
}

/* The matrix is cut into shards, each on a server of its own, so that
 * Criterion runs them side by side (--jobs) and no one test runs long. */
#define N_SHARDS 8

ParameterizedTestParameters(authz_matrix, every_rpc_as_every_role_in_every_relation)
{
    static int shards[N_SHARDS];
    for (int i = 0; i < N_SHARDS; i++)
        shards[i] = i;
    return cr_make_param_array(int, shards, N_SHARDS);
}

ParameterizedTest(int *shard, authz_matrix, every_rpc_as_every_role_in_every_relation,
                  .timeout = 600)
{
    th_server *s = th_server_start(NULL);
    cell c = {0};
    c.s = s;
    c.sock = th_dealer(s);
    c.a = kp_arena_new();
    kp_arena *keep = kp_arena_new();
    c.admin_token = kp_arena_strdup(keep, th_token(c.sock, c.a, "admin", TH_ADMIN_PASSWORD));
    /* what evaluation cells are made of */
    th_user_add(s, "helperlead", "evaluator", "Helper-lead-password-1");
    th_user_add(s, "helperpeer", "evaluator", "Helper-peer-password-1");
    th_user_add(s, "helperobs", "observer", "Helper-obs-password-1");
    c.mid = s_num(th_sql(s, "INSERT INTO municipalities (name) VALUES ('Matrixkommun') "
                            "RETURNING id"));
    c.fid = s_num(th_sql(s, "SELECT id FROM frameworks WHERE code = 'KK2015'"));
    c.helpers[0] = s_num(th_sql(s, "SELECT id FROM users WHERE login = 'helperlead'"));
    c.helpers[1] = s_num(th_sql(s, "SELECT id FROM users WHERE login = 'helperpeer'"));
    c.helpers[2] = s_num(th_sql(s, "SELECT id FROM users WHERE login = 'helperobs'"));

    size_t n;
    const kp_authz_rule *rules = kp_authz_table(&n);
    int cells = 0, mine = 0;
    for (size_t i = (size_t)*shard; i < n; i += N_SHARDS) {
        cr_assert(th_sample_find(rules[i].body_case),
                  "rpc '%s' has no sample request in tests/samples.c: add one to s_samples",
                  rules[i].name);
        const world *w = s_world(rules[i].body_case);
        cr_assert(!rules[i].relations || (w && w->relate),
                  "rpc '%s' is about an evaluation: it needs a `relate` in s_worlds "
                  "(tests/integration/test_authz_matrix.c) that puts the caller in each "
                  "relation to it",
                  rules[i].name);
        int n_rel = rules[i].relations ? KP_REL_COUNT : 1;
        for (int who = 0; who < 4; who++)
            for (int rel = 0; rel < n_rel; rel++) {
                c.n++;
                s_cell(&c, &rules[i], w, who, (kp_relation)rel);
                kp_arena_reset(c.a);
                cells++;
            }
        mine++;
    }
    cr_log_info("shard %d: %d rpcs, %d cells", *shard, mine, cells);
    cr_assert_geq(cells, 4 * mine);
    zmq_close(c.sock);
    kp_arena_destroy(&c.a);
    kp_arena_destroy(&keep);
    th_server_free(&s);
}

/* The shared table (tests/samples.c) has no sample of an RPC that does not
 * exist, in kompass.proto or in the table, and none twice; nor has s_worlds. */
Test(authz_matrix, every_sample_is_for_an_rpc_of_the_table)
{
    size_t n;
    const th_sample *samples = th_samples(&n);
    for (size_t i = 0; i < n; i++) {
        const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field(
            &kompass__v1__request__descriptor, (unsigned)samples[i].body_case);
        cr_assert(f && (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF),
                  "sample %zu of tests/samples.c is for body %d, which kompass.proto's Request "
                  "does not have",
                  i, samples[i].body_case);
        cr_assert(kp_authz_find(samples[i].body_case),
                  "sample %zu of tests/samples.c is for '%s', which is not an rpc of the table "
                  "(server/core/rpcs.def)",
                  i, f->name);
        for (size_t j = 0; j < i; j++)
            cr_assert_neq(samples[j].body_case, samples[i].body_case,
                          "tests/samples.c has two samples for '%s'", f->name);
    }
    for (size_t i = 0; i < N_WORLDS; i++)
        cr_assert(kp_authz_find(s_worlds[i].body_case),
                  "s_worlds[%zu] is for an rpc that is not in the table", i);
}

/* An RPC the server decodes but that has no row is refused. The table is
 * checked at start (kp_dispatch_verify), so this shows the dispatcher's
 * other half: a body the server does not know is never handled. */
Test(authz_matrix, unknown_request_bodies_are_refused, .timeout = 60)
{
    th_server *s = th_server_start(NULL);
    void *sock = th_dealer(s);
    kp_arena *a = kp_arena_new();
    /* field 39 of Request: inside identity's range, not (yet) a body */
    const unsigned char frame[] = {0x0a, 0x01, 'x', 0x10, 0x01, 0xba, 0x02, 0x00};
    kp_response *r = th_call_raw(sock, a, frame, sizeof frame, 10000);
    cr_assert(r);
    cr_assert_neq(r->status, KOMPASS__V1__STATUS__OK, "an unknown body was answered OK");
    zmq_close(sock);
    kp_arena_destroy(&a);
    th_server_free(&s);
}

/* The "nothing was written" check is only worth something if a write shows. */
Test(authz_matrix, the_fingerprint_sees_a_write, .timeout = 60)
{
    th_server *s = th_server_start(NULL);
    char *a = th_db_fingerprint(s), *b = th_db_fingerprint(s);
    cr_assert_str_eq(a, b, "the fingerprint changes by itself");
    th_user_add(s, "ewa", "evaluator", "Ewa-Luvo-secret-2017");
    char *c = th_db_fingerprint(s);
    cr_assert_str_neq(a, c, "adding a user did not change the fingerprint");
    free(th_sql(s, "UPDATE users SET full_name = 'Ewa L.' WHERE login = 'ewa'"));
    char *d = th_db_fingerprint(s);
    cr_assert_str_neq(c, d, "changing a name did not change the fingerprint");
    free(a);
    free(b);
    free(c);
    free(d);
    th_server_free(&s);
}
