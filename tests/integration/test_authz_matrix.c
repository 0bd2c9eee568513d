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
 *  Each RPC needs a sample: how to build a valid request for it (and, for
 *  RPCs about an evaluation, how to put the caller in a relation to it). An
 *  RPC in the table without a sample fails this test: add one to s_samples.
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

typedef struct {
    int body_case;
    /* A valid request body for c (in c->a), set on req. */
    void (*build)(cell *c, kp_request *req);
    /* For RPCs about an evaluation: puts c->caller in relation rel to the
     * evaluation that req names. */
    void (*relate)(cell *c, kp_request *req, kp_relation rel);
} sample;

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

/* ------------------------------------------------------------ samples */

static void b_ping(cell *c, kp_request *req)
{
    req->body_case = RQ(PING);
    req->ping = kp_arena_zalloc(c->a, sizeof *req->ping);
    kompass__v1__ping_request__init(req->ping);
}

static void b_login(cell *c, kp_request *req)
{
    req->body_case = RQ(LOGIN);
    req->login = kp_arena_zalloc(c->a, sizeof *req->login);
    kompass__v1__login_request__init(req->login);
    req->login->login = (char *)s_user(c, "target", KOMPASS__V1__ROLE__ROLE_EVALUATOR, PW);
    req->login->password = PW;
}

static void b_logout(cell *c, kp_request *req)
{
    req->body_case = RQ(LOGOUT);
    req->logout = kp_arena_zalloc(c->a, sizeof *req->logout);
    kompass__v1__logout_request__init(req->logout);
}

static void b_who_am_i(cell *c, kp_request *req)
{
    req->body_case = RQ(WHO_AM_I);
    req->who_am_i = kp_arena_zalloc(c->a, sizeof *req->who_am_i);
    kompass__v1__who_am_irequest__init(req->who_am_i);
}

static void b_change_password(cell *c, kp_request *req)
{
    req->body_case = RQ(CHANGE_PASSWORD);
    req->change_password = kp_arena_zalloc(c->a, sizeof *req->change_password);
    kompass__v1__change_password_request__init(req->change_password);
    req->change_password->current_password = (char *)(c->password ? c->password : PW);
    req->change_password->new_password = "Matrix-changed-5678";
}

static void b_reauthenticate(cell *c, kp_request *req)
{
    req->body_case = RQ(REAUTHENTICATE);
    req->reauthenticate = kp_arena_zalloc(c->a, sizeof *req->reauthenticate);
    kompass__v1__reauthenticate_request__init(req->reauthenticate);
    req->reauthenticate->password = (char *)(c->password ? c->password : PW);
}

static void b_user_add(cell *c, kp_request *req)
{
    req->body_case = RQ(USER_ADD);
    Kompass__V1__UserAddRequest *in = kp_arena_zalloc(c->a, sizeof *in);
    kompass__v1__user_add_request__init(in);
    in->login = kp_arena_printf(c->a, "added%d", c->n);
    in->full_name = "Anna Eklund";
    in->organisation = "SKL";
    in->role = KOMPASS__V1__ROLE__ROLE_EVALUATOR;
    in->password = PW;
    req->user_add = in;
}

static void b_user_list(cell *c, kp_request *req)
{
    req->body_case = RQ(USER_LIST);
    req->user_list = kp_arena_zalloc(c->a, sizeof *req->user_list);
    kompass__v1__user_list_request__init(req->user_list);
}

static void b_user_set_active(cell *c, kp_request *req)
{
    req->body_case = RQ(USER_SET_ACTIVE);
    Kompass__V1__UserSetActiveRequest *in = kp_arena_zalloc(c->a, sizeof *in);
    kompass__v1__user_set_active_request__init(in);
    in->login = (char *)s_user(c, "victim", KOMPASS__V1__ROLE__ROLE_EVALUATOR, PW);
    in->active = 0;
    req->user_set_active = in;
}

static void b_user_edit(cell *c, kp_request *req)
{
    req->body_case = RQ(USER_EDIT);
    Kompass__V1__UserEditRequest *in = kp_arena_zalloc(c->a, sizeof *in);
    kompass__v1__user_edit_request__init(in);
    in->login = (char *)s_user(c, "victim", KOMPASS__V1__ROLE__ROLE_EVALUATOR, PW);
    in->organisation = "Västerås stad";
    in->full_name = "";
    req->user_edit = in;
}

static void b_user_reset_password(cell *c, kp_request *req)
{
    req->body_case = RQ(USER_RESET_PASSWORD);
    Kompass__V1__UserResetPasswordRequest *in = kp_arena_zalloc(c->a, sizeof *in);
    kompass__v1__user_reset_password_request__init(in);
    in->login = (char *)s_user(c, "victim", KOMPASS__V1__ROLE__ROLE_EVALUATOR, PW);
    in->new_password = "Matrix-reset-9012";
    req->user_reset_password = in;
}

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
    if (c->role == KP_ROLE_ADMIN && rel != KP_REL_LEAD && rel != KP_REL_PEER)
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

#define BODY(field, type, init)                                                                    \
    req->body_case = RQ(field);                                                                    \
    type *in = kp_arena_zalloc(c->a, sizeof *in);                                                  \
    init(in)

static void b_framework_import(cell *c, kp_request *req)
{
    BODY(FRAMEWORK_IMPORT, Kompass__V1__FrameworkImportRequest,
         kompass__v1__framework_import_request__init);
    in->json = kp_arena_printf(
        c->a,
        "{\"framework\":{\"code\":\"M%d\",\"name\":\"Matrix\",\"year\":2020},\"areas\":"
        "[{\"number\":1,\"title\":\"A\",\"max\":10,\"questions\":[{\"code\":\"1.1\","
        "\"text\":\"Q\",\"max\":10}]}]}",
        c->n);
    req->framework_import = in;
}
static void b_framework_list(cell *c, kp_request *req)
{
    BODY(FRAMEWORK_LIST, Kompass__V1__FrameworkListRequest,
         kompass__v1__framework_list_request__init);
    req->framework_list = in;
}
static void b_framework_show(cell *c, kp_request *req)
{
    BODY(FRAMEWORK_SHOW, Kompass__V1__FrameworkShowRequest,
         kompass__v1__framework_show_request__init);
    in->code = "KK2015";
    req->framework_show = in;
}
static void b_municipality_add(cell *c, kp_request *req)
{
    BODY(MUNICIPALITY_ADD, Kompass__V1__MunicipalityAddRequest,
         kompass__v1__municipality_add_request__init);
    in->name = kp_arena_printf(c->a, "Matrixby %d", c->n);
    req->municipality_add = in;
}
static void b_municipality_list(cell *c, kp_request *req)
{
    BODY(MUNICIPALITY_LIST, Kompass__V1__MunicipalityListRequest,
         kompass__v1__municipality_list_request__init);
    req->municipality_list = in;
}
static void b_eval_create(cell *c, kp_request *req)
{
    BODY(EVAL_CREATE, Kompass__V1__EvalCreateRequest, kompass__v1__eval_create_request__init);
    in->municipality = "Matrixkommun";
    in->framework = "KK2015";
    in->label = kp_arena_printf(c->a, "c%d", c->n);
    req->eval_create = in;
}
static void b_eval_list(cell *c, kp_request *req)
{
    BODY(EVAL_LIST, Kompass__V1__EvalListRequest, kompass__v1__eval_list_request__init);
    req->eval_list = in;
}
static void b_eval_show(cell *c, kp_request *req)
{
    BODY(EVAL_SHOW, Kompass__V1__EvalShowRequest, kompass__v1__eval_show_request__init);
    req->eval_show = in;
}
static void b_eval_assign(cell *c, kp_request *req)
{
    BODY(EVAL_ASSIGN, Kompass__V1__EvalAssignRequest, kompass__v1__eval_assign_request__init);
    in->login = "helperobs";
    in->role = "observer";
    req->eval_assign = in;
}
static void b_eval_unassign(cell *c, kp_request *req)
{
    BODY(EVAL_UNASSIGN, Kompass__V1__EvalUnassignRequest, kompass__v1__eval_unassign_request__init);
    in->login = "helperobs";
    req->eval_unassign = in;
}
static void b_eval_start(cell *c, kp_request *req)
{
    BODY(EVAL_START, Kompass__V1__EvalStartRequest, kompass__v1__eval_start_request__init);
    req->eval_start = in;
}
static void b_evidence_add(cell *c, kp_request *req)
{
    BODY(EVIDENCE_ADD, Kompass__V1__EvidenceAddRequest, kompass__v1__evidence_add_request__init);
    Kompass__V1__Evidence *e = kp_arena_zalloc(c->a, sizeof *e);
    kompass__v1__evidence__init(e);
    e->kind = "web";
    e->title = "Kommunens webbplats";
    in->evidence = e;
    req->evidence_add = in;
}
static void b_submit(cell *c, kp_request *req)
{
    BODY(SUBMIT, Kompass__V1__SubmitRequest, kompass__v1__submit_request__init);
    req->submit = in;
}
static void b_consensus_show(cell *c, kp_request *req)
{
    BODY(CONSENSUS_SHOW, Kompass__V1__ConsensusShowRequest,
         kompass__v1__consensus_show_request__init);
    req->consensus_show = in;
}
static void b_consensus_set(cell *c, kp_request *req)
{
    BODY(CONSENSUS_SET, Kompass__V1__ConsensusSetRequest, kompass__v1__consensus_set_request__init);
    in->question = "1.2";
    in->points_centi = 500;
    req->consensus_set = in;
}
static void b_consensus_auto(cell *c, kp_request *req)
{
    BODY(CONSENSUS_AUTO, Kompass__V1__ConsensusAutoRequest,
         kompass__v1__consensus_auto_request__init);
    in->strategy = "mean";
    req->consensus_auto = in;
}
static void b_consensus_threshold(cell *c, kp_request *req)
{
    BODY(CONSENSUS_THRESHOLD, Kompass__V1__ConsensusThresholdRequest,
         kompass__v1__consensus_threshold_request__init);
    in->major_spread_pct = 30;
    req->consensus_threshold = in;
}
static void b_text_approve(cell *c, kp_request *req)
{
    BODY(TEXT_APPROVE, Kompass__V1__TextApproveRequest, kompass__v1__text_approve_request__init);
    in->area = 1;
    req->text_approve = in;
}
static void b_sign(cell *c, kp_request *req)
{
    BODY(SIGN, Kompass__V1__SignRequest, kompass__v1__sign_request__init);
    in->meaning = "reviewed";
    in->password = kp_arena_strdup(c->a, c->password ? c->password : "no password at all");
    req->sign = in;
}
/* Reopen is not about a team: the sample makes its own signed evaluation. */
static void b_eval_reopen(cell *c, kp_request *req)
{
    BODY(EVAL_REOPEN, Kompass__V1__EvalReopenRequest, kompass__v1__eval_reopen_request__init);
    long long id = s_num(s_sqlf(c,
                                "INSERT INTO evaluations (municipality_id, framework_id, label, "
                                "ordinal, status) VALUES (%lld, %lld, 'r%d', %d, 'review') "
                                "RETURNING id",
                                c->mid, c->fid, c->n, c->n));
    free(s_sqlf(c, "UPDATE evaluations SET status = 'signed' WHERE id = %lld", id));
    in->evaluation_id = id;
    in->reason = "Matrix";
    req->eval_reopen = in;
}
static void b_eval_verify(cell *c, kp_request *req)
{
    BODY(EVAL_VERIFY, Kompass__V1__EvalVerifyRequest, kompass__v1__eval_verify_request__init);
    req->eval_verify = in;
}
static void b_eval_status(cell *c, kp_request *req)
{
    BODY(EVAL_STATUS, Kompass__V1__EvalStatusRequest, kompass__v1__eval_status_request__init);
    req->eval_status = in;
}
static void b_eval_revision(cell *c, kp_request *req)
{
    BODY(EVAL_REVISION, Kompass__V1__EvalRevisionRequest, kompass__v1__eval_revision_request__init);
    in->revision = 1;
    req->eval_revision = in;
}
static void b_evidence_list(cell *c, kp_request *req)
{
    BODY(EVIDENCE_LIST, Kompass__V1__EvidenceListRequest, kompass__v1__evidence_list_request__init);
    req->evidence_list = in;
}
static void b_score_set(cell *c, kp_request *req)
{
    BODY(SCORE_SET, Kompass__V1__ScoreSetRequest, kompass__v1__score_set_request__init);
    Kompass__V1__ScoreWrite *w = kp_arena_zalloc(c->a, sizeof *w);
    kompass__v1__score_write__init(w);
    w->question = "1.1";
    w->points_centi = 1200;
    in->writes = kp_arena_alloc(c->a, sizeof(void *));
    in->writes[0] = w;
    in->n_writes = 1;
    req->score_set = in;
}
static void b_offline_discard(cell *c, kp_request *req)
{
    BODY(OFFLINE_DISCARD, Kompass__V1__OfflineDiscardRequest,
         kompass__v1__offline_discard_request__init);
    in->item = "score 1.1";
    in->mine = "{}";
    req->offline_discard = in;
}
static void b_score_list(cell *c, kp_request *req)
{
    BODY(SCORE_LIST, Kompass__V1__ScoreListRequest, kompass__v1__score_list_request__init);
    req->score_list = in;
}
static void b_text_show(cell *c, kp_request *req)
{
    BODY(TEXT_SHOW, Kompass__V1__TextShowRequest, kompass__v1__text_show_request__init);
    req->text_show = in;
}
static void b_text_lock(cell *c, kp_request *req)
{
    BODY(TEXT_LOCK, Kompass__V1__TextLockRequest, kompass__v1__text_lock_request__init);
    in->area = 2;
    in->section = "strengths";
    req->text_lock = in;
}
static void b_text_save(cell *c, kp_request *req)
{
    BODY(TEXT_SAVE, Kompass__V1__TextSaveRequest, kompass__v1__text_save_request__init);
    in->area = 1;
    in->section = "summary";
    in->summary = "Tydlig strategi.";
    in->lock_token = "cell-token";
    req->text_save = in;
}
static void b_lock_list(cell *c, kp_request *req)
{
    BODY(LOCK_LIST, Kompass__V1__LockListRequest, kompass__v1__lock_list_request__init);
    req->lock_list = in;
}
static void b_lock_break(cell *c, kp_request *req)
{
    BODY(LOCK_BREAK, Kompass__V1__LockBreakRequest, kompass__v1__lock_break_request__init);
    in->area = 1;
    in->section = "summary";
    in->reason = "matrix";
    req->lock_break = in;
}
static void b_eval_snapshot(cell *c, kp_request *req)
{
    BODY(EVAL_SNAPSHOT, Kompass__V1__EvalSnapshotRequest, kompass__v1__eval_snapshot_request__init);
    req->eval_snapshot = in;
}
static void b_eval_changes(cell *c, kp_request *req)
{
    BODY(EVAL_CHANGES, Kompass__V1__EvalChangesRequest, kompass__v1__eval_changes_request__init);
    req->eval_changes = in;
}

static void b_audit_list(cell *c, kp_request *req)
{
    req->body_case = RQ(AUDIT_LIST);
    req->audit_list = kp_arena_zalloc(c->a, sizeof *req->audit_list);
    kompass__v1__audit_list_request__init(req->audit_list);
}

static void b_audit_verify(cell *c, kp_request *req)
{
    req->body_case = RQ(AUDIT_VERIFY);
    req->audit_verify = kp_arena_zalloc(c->a, sizeof *req->audit_verify);
    kompass__v1__audit_verify_request__init(req->audit_verify);
    req->audit_verify->all = 1;
}

static void b_health(cell *c, kp_request *req)
{
    req->body_case = RQ(HEALTH);
    req->health = kp_arena_zalloc(c->a, sizeof *req->health);
    kompass__v1__health_request__init(req->health);
}

static void b_stats_agreement(cell *c, kp_request *req)
{
    req->body_case = RQ(STATS_AGREEMENT);
    req->stats_agreement = kp_arena_zalloc(c->a, sizeof *req->stats_agreement);
    kompass__v1__stats_agreement_request__init(req->stats_agreement);
}

static void b_stats(cell *c, kp_request *req)
{
    req->body_case = RQ(STATS);
    req->stats = kp_arena_zalloc(c->a, sizeof *req->stats);
    kompass__v1__stats_request__init(req->stats);
}

static void b_search(cell *c, kp_request *req)
{
    req->body_case = RQ(SEARCH);
    req->search = kp_arena_zalloc(c->a, sizeof *req->search);
    kompass__v1__search_request__init(req->search);
    req->search->query = "medborgardialog";
}

static void b_backup(cell *c, kp_request *req)
{
    req->body_case = RQ(BACKUP);
    req->backup = kp_arena_zalloc(c->a, sizeof *req->backup);
    kompass__v1__backup_request__init(req->backup);
}

/* reports: a signed evaluation (everybody's to read), a municipality's
 * history, and an import of KK2015 with every question at 0 points */
static void b_report_data(cell *c, kp_request *req)
{
    BODY(REPORT_DATA, Kompass__V1__ReportDataRequest, kompass__v1__report_data_request__init);
    in->evaluation_id = s_num(s_sqlf(c,
                                     "INSERT INTO evaluations (municipality_id, framework_id, "
                                     "label, ordinal, status) VALUES (%lld, %lld, 'r%d', %d, "
                                     "'signed') RETURNING id",
                                     c->mid, c->fid, c->n, c->n));
    req->report_data = in;
}
static void b_history(cell *c, kp_request *req)
{
    BODY(HISTORY, Kompass__V1__HistoryRequest, kompass__v1__history_request__init);
    in->municipality = "Matrixkommun";
    req->history = in;
}
static void b_eval_import(cell *c, kp_request *req)
{
    BODY(EVAL_IMPORT, Kompass__V1__EvalImportRequest, kompass__v1__eval_import_request__init);
    char *areas = th_sql(c->s, "SELECT json_agg(json_build_object('number', a.number, "
                               "'questions', (SELECT json_agg(json_build_object('code', q.code, "
                               "'points', 0) ORDER BY q.position) FROM framework_questions q "
                               "WHERE q.area_id = a.id)) ORDER BY a.number) FROM framework_areas "
                               "a JOIN frameworks f ON f.id = a.framework_id WHERE f.code = "
                               "'KK2015'");
    in->json = kp_arena_printf(c->a,
                               "{\"municipality\":\"Importby %d\",\"framework\":\"KK2015\","
                               "\"label\":\"i%d\",\"areas\":%s}",
                               c->n, c->n, areas);
    free(areas);
    req->eval_import = in;
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

/* Consensus, with an open thread on 1.1 (opened by the helper lead) */
static void r_thread(cell *c, kp_request *req, kp_relation rel)
{
    r_consensus(c, req, rel);
    long long id = s_get_eval_id(req);
    free(s_sqlf(c,
                "INSERT INTO comment_threads (evaluation_id, question_id, status, opened_by,"
                " version) SELECT %lld, id, 'open', %lld, 1 FROM framework_questions"
                " WHERE framework_id = %lld AND code = '1.1'",
                id, c->helpers[0], c->fid));
    free(s_sqlf(c,
                "INSERT INTO comments (evaluation_id, question_id, kind, body, author_id, version)"
                " SELECT %lld, id, 'comment', 'Varför 1?', %lld, 1 FROM framework_questions"
                " WHERE framework_id = %lld AND code = '1.1'",
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
static void b_comment_add(cell *c, kp_request *req)
{
    BODY(COMMENT_ADD, Kompass__V1__CommentAddRequest, kompass__v1__comment_add_request__init);
    in->question = "1.1";
    in->text = "Intervjuerna talar för mer.";
    req->comment_add = in;
}
static void b_comment_list(cell *c, kp_request *req)
{
    BODY(COMMENT_LIST, Kompass__V1__CommentListRequest, kompass__v1__comment_list_request__init);
    req->comment_list = in;
}
static void b_comment_resolve(cell *c, kp_request *req)
{
    BODY(COMMENT_RESOLVE, Kompass__V1__CommentResolveRequest,
         kompass__v1__comment_resolve_request__init);
    in->question = "1.1";
    in->reason = "Vi enades";
    req->comment_resolve = in;
}
static void b_comment_reopen(cell *c, kp_request *req)
{
    BODY(COMMENT_REOPEN, Kompass__V1__CommentReopenRequest,
         kompass__v1__comment_reopen_request__init);
    in->question = "1.1";
    req->comment_reopen = in;
}
static void b_consensus_question(cell *c, kp_request *req)
{
    BODY(CONSENSUS_QUESTION, Kompass__V1__ConsensusQuestionRequest,
         kompass__v1__consensus_question_request__init);
    in->question = "1.1";
    req->consensus_question = in;
}
/* a signed evaluation made in Kompass, and a new evaluator to train on it */
static void b_calibration_create(cell *c, kp_request *req)
{
    BODY(CALIBRATION_CREATE, Kompass__V1__CalibrationCreateRequest,
         kompass__v1__calibration_create_request__init);
    in->evaluation_id = s_num(s_sqlf(c,
                                     "INSERT INTO evaluations (municipality_id, framework_id, "
                                     "label, ordinal, status) VALUES (%lld, %lld, 'k%d', %d, "
                                     "'signed') RETURNING id",
                                     c->mid, c->fid, c->n, c->n));
    free(s_sqlf(c,
                "INSERT INTO evaluation_revisions (evaluation_id, revision, content, content_hash,"
                " eval_version) VALUES (%lld, 1, '{\"scores\":{}}', repeat('c', 64), 1)",
                (long long)in->evaluation_id));
    in->trainee = (char *)s_user(c, "trainee", KOMPASS__V1__ROLE__ROLE_EVALUATOR, PW);
    req->calibration_create = in;
}
static void b_calibration_show(cell *c, kp_request *req)
{
    BODY(CALIBRATION_SHOW, Kompass__V1__CalibrationShowRequest,
         kompass__v1__calibration_show_request__init);
    req->calibration_show = in;
}
static void b_calibration_stats(cell *c, kp_request *req)
{
    BODY(CALIBRATION_STATS, Kompass__V1__CalibrationStatsRequest,
         kompass__v1__calibration_stats_request__init);
    req->calibration_stats = in;
}
static void b_subscribe(cell *c, kp_request *req)
{
    BODY(SUBSCRIBE, Kompass__V1__SubscribeRequest, kompass__v1__subscribe_request__init);
    in->all = 1; /* every evaluation the caller may see: any session */
    req->subscribe = in;
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

static void b_factcheck_start(cell *c, kp_request *req)
{
    BODY(FACTCHECK_START, Kompass__V1__FactcheckStartRequest,
         kompass__v1__factcheck_start_request__init);
    in->days = 10;
    req->factcheck_start = in;
}
static void b_factcheck_remark(cell *c, kp_request *req)
{
    BODY(FACTCHECK_REMARK, Kompass__V1__FactcheckRemarkRequest,
         kompass__v1__factcheck_remark_request__init);
    in->area = 1;
    in->text = "Medborgarpanelen startade 2016.";
    req->factcheck_remark = in;
}
static void b_factcheck_answer(cell *c, kp_request *req)
{
    BODY(FACTCHECK_ANSWER, Kompass__V1__FactcheckAnswerRequest,
         kompass__v1__factcheck_answer_request__init);
    in->text = "Rättat.";
    req->factcheck_answer = in;
}
static void b_factcheck_show(cell *c, kp_request *req)
{
    BODY(FACTCHECK_SHOW, Kompass__V1__FactcheckShowRequest,
         kompass__v1__factcheck_show_request__init);
    req->factcheck_show = in;
}
static void b_factcheck_close(cell *c, kp_request *req)
{
    BODY(FACTCHECK_CLOSE, Kompass__V1__FactcheckCloseRequest,
         kompass__v1__factcheck_close_request__init);
    req->factcheck_close = in;
}

static void b_eval_set(cell *c, kp_request *req)
{
    BODY(EVAL_SET, Kompass__V1__EvalSetRequest, kompass__v1__eval_set_request__init);
    in->report_date = "2017-09-30";
    req->eval_set = in;
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
static void b_followup_list(cell *c, kp_request *req)
{
    BODY(FOLLOWUP_LIST, Kompass__V1__FollowupListRequest, kompass__v1__followup_list_request__init);
    req->followup_list = in;
}
static void b_followup_set(cell *c, kp_request *req)
{
    BODY(FOLLOWUP_SET, Kompass__V1__FollowupSetRequest, kompass__v1__followup_set_request__init);
    in->item = "1.1";
    in->status = "remains";
    in->note = "Kvarstår.";
    req->followup_set = in;
}
static void b_municipality_edit(cell *c, kp_request *req)
{
    BODY(MUNICIPALITY_EDIT, Kompass__V1__MunicipalityEditRequest,
         kompass__v1__municipality_edit_request__init);
    char *name =
        s_sqlf(c, "INSERT INTO municipalities (name) VALUES ('Rättby %d') RETURNING name", c->n);
    in->municipality = kp_arena_strdup(c->a, name);
    free(name);
    in->group = "C8";
    req->municipality_edit = in;
}

/* Every RPC of the table needs one. RPCs about an evaluation also need
 * `relate`, which puts the caller in each relation to a fresh evaluation. */
static const sample s_samples[] = {
    {RQ(PING), b_ping, NULL},
    {RQ(LOGIN), b_login, NULL},
    {RQ(LOGOUT), b_logout, NULL},
    {RQ(WHO_AM_I), b_who_am_i, NULL},
    {RQ(CHANGE_PASSWORD), b_change_password, NULL},
    {RQ(REAUTHENTICATE), b_reauthenticate, NULL},
    {RQ(USER_ADD), b_user_add, NULL},
    {RQ(USER_LIST), b_user_list, NULL},
    {RQ(USER_SET_ACTIVE), b_user_set_active, NULL},
    {RQ(USER_EDIT), b_user_edit, NULL},
    {RQ(USER_RESET_PASSWORD), b_user_reset_password, NULL},
    {RQ(FRAMEWORK_IMPORT), b_framework_import, NULL},
    {RQ(FRAMEWORK_LIST), b_framework_list, NULL},
    {RQ(FRAMEWORK_SHOW), b_framework_show, NULL},
    {RQ(MUNICIPALITY_ADD), b_municipality_add, NULL},
    {RQ(MUNICIPALITY_LIST), b_municipality_list, NULL},
    {RQ(EVAL_CREATE), b_eval_create, NULL},
    {RQ(EVAL_LIST), b_eval_list, NULL},
    {RQ(EVAL_SHOW), b_eval_show, r_draft},
    {RQ(EVAL_ASSIGN), b_eval_assign, r_draft},
    {RQ(EVAL_UNASSIGN), b_eval_unassign, r_with_observer},
    {RQ(EVAL_START), b_eval_start, r_draft},
    {RQ(EVIDENCE_ADD), b_evidence_add, r_draft},
    {RQ(EVIDENCE_LIST), b_evidence_list, r_draft},
    {RQ(SCORE_SET), b_score_set, r_scoring},
    {RQ(SCORE_LIST), b_score_list, r_scoring_plain},
    {RQ(TEXT_SHOW), b_text_show, r_draft},
    {RQ(TEXT_LOCK), b_text_lock, r_scoring_plain},
    {RQ(TEXT_SAVE), b_text_save, r_caller_lock},
    {RQ(LOCK_LIST), b_lock_list, r_scoring_plain},
    {RQ(LOCK_BREAK), b_lock_break, r_other_lock},
    {RQ(SUBMIT), b_submit, r_scored},
    {RQ(CONSENSUS_SHOW), b_consensus_show, r_open},
    {RQ(CONSENSUS_SET), b_consensus_set, r_consensus},
    {RQ(CONSENSUS_AUTO), b_consensus_auto, r_consensus},
    {RQ(CONSENSUS_THRESHOLD), b_consensus_threshold, r_draft},
    {RQ(TEXT_APPROVE), b_text_approve, r_consensus},
    {RQ(SIGN), b_sign, r_review},
    {RQ(EVAL_REOPEN), b_eval_reopen, NULL},
    {RQ(EVAL_VERIFY), b_eval_verify, r_draft},
    {RQ(EVAL_STATUS), b_eval_status, r_draft},
    {RQ(EVAL_REVISION), b_eval_revision, r_revision},
    {RQ(EVAL_SNAPSHOT), b_eval_snapshot, r_scoring_plain},
    {RQ(EVAL_CHANGES), b_eval_changes, r_scoring_plain},
    {RQ(AUDIT_LIST), b_audit_list, r_open},
    {RQ(AUDIT_VERIFY), b_audit_verify, NULL},
    {RQ(REPORT_DATA), b_report_data, NULL},
    {RQ(HISTORY), b_history, NULL},
    {RQ(EVAL_IMPORT), b_eval_import, NULL},
    {RQ(HEALTH), b_health, NULL},
    {RQ(STATS), b_stats, NULL},
    {RQ(STATS_AGREEMENT), b_stats_agreement, NULL},
    {RQ(BACKUP), b_backup, NULL},
    {RQ(SEARCH), b_search, NULL},
    /* the consensus meeting */
    {RQ(COMMENT_ADD), b_comment_add, r_consensus},
    {RQ(COMMENT_LIST), b_comment_list, r_thread},
    {RQ(COMMENT_RESOLVE), b_comment_resolve, r_thread},
    {RQ(COMMENT_REOPEN), b_comment_reopen, r_resolved_thread},
    {RQ(CONSENSUS_QUESTION), b_consensus_question, r_open},
    {RQ(CALIBRATION_CREATE), b_calibration_create, NULL},
    {RQ(CALIBRATION_SHOW), b_calibration_show, r_practice},
    {RQ(CALIBRATION_STATS), b_calibration_stats, NULL},
    {RQ(SUBSCRIBE), b_subscribe, NULL},
    /* offline work */
    {RQ(OFFLINE_DISCARD), b_offline_discard, r_scoring},
    /* the cycle across rounds */
    {RQ(EVAL_SET), b_eval_set, r_draft},
    /* the municipality's factual review */
    {RQ(FACTCHECK_START), b_factcheck_start, r_fc_ready},
    {RQ(FACTCHECK_REMARK), b_factcheck_remark, r_fc_open},
    {RQ(FACTCHECK_ANSWER), b_factcheck_answer, r_fc_remark},
    {RQ(FACTCHECK_SHOW), b_factcheck_show, r_fc_open},
    {RQ(FACTCHECK_CLOSE), b_factcheck_close, r_fc_open},
    {RQ(MUNICIPALITY_EDIT), b_municipality_edit, NULL},
    /* the follow-up of the previous round */
    {RQ(FOLLOWUP_LIST), b_followup_list, r_followup},
    {RQ(FOLLOWUP_SET), b_followup_set, r_followup},
};
#define N_SAMPLES (sizeof s_samples / sizeof s_samples[0])

static const sample *s_sample(int body_case)
{
    for (size_t i = 0; i < N_SAMPLES; i++)
        if (s_samples[i].body_case == body_case) return &s_samples[i];
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
static void s_cell(cell *c, const kp_authz_rule *rule, const sample *sm, int who, kp_relation rel)
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
    kp_request *req = s_req(c);
    sm->build(c, req);
    if (rule->relations) sm->relate(c, req, rel);

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
        const sample *sm = s_sample(rules[i].body_case);
        cr_assert(sm,
                  "rpc '%s' has no sample request in tests/integration/test_authz_matrix.c: "
                  "add one to s_samples",
                  rules[i].name);
        cr_assert(!rules[i].relations || sm->relate,
                  "rpc '%s' is about an evaluation: its sample needs a `relate` that puts the "
                  "caller in each relation to it",
                  rules[i].name);
        int n_rel = rules[i].relations ? KP_REL_COUNT : 1;
        for (int who = 0; who < 4; who++)
            for (int rel = 0; rel < n_rel; rel++) {
                c.n++;
                s_cell(&c, &rules[i], sm, who, (kp_relation)rel);
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

Test(authz_matrix, every_sample_is_for_an_rpc_of_the_table)
{
    for (size_t i = 0; i < N_SAMPLES; i++)
        cr_assert(kp_authz_find(s_samples[i].body_case),
                  "sample %zu is for an rpc that is not in the table", i);
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
