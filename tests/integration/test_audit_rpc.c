/*  The audit trail of the RPCs that change state, against a real kompassd.
 *
 *  Generated from the authorisation table (server/authz.c): every RPC whose
 *  row says it writes must have an expectation here saying what one
 *  successful call of its sample request records: exactly one audit event
 *  with its action, target and before/after, or (for sessions, which are
 *  access and not data) exactly one row of a kind in the security log and
 *  no audit event. A writing RPC without an expectation fails the test: add
 *  one to s_expectations when you add the RPC. The requests are
 *  tests/samples.c's, the table shared with the authorisation matrix and
 *  the fuzz corpus; an expectation sets up the world they name.
 *
 *  Also: refused and failed changes leave no event, concurrent requests
 *  keep the chain linear, and the first administrator's creation is the
 *  chain's first event.
 */
#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "authz.h"
#include "harness.h"
#include "samples.h"
#include "util.h"

#define RQ(field) KOMPASS__V1__REQUEST__BODY_##field
#define PW        "Audit-password-1234"

/* One test's server, a CURVE connection with a known client key, and the
 * administrator's token. */
typedef struct {
    th_server *s;
    void *sock;
    char client_key[64];
    kp_arena *a;
    const char *admin_token;
    int n;                /* unique per expectation */
    const char *token;    /* the caller's token for the call (set by prepare) */
    const char *caller;   /* the caller's login */
    const char *expected; /* built by prepare/check: what before/after must be */
    long long eval_id;    /* the evaluation an evaluation RPC is about */
} ctx;

/* An audit event as stored, read as the superuser (malloc'd strings). */
typedef struct {
    char *id, *seq, *actor, *actor_id, *real_actor, *client_addr, *client_key, *action, *target,
        *before, *after, *reason;
} row;

static void s_row_free(row *e)
{
    char **f[] = {&e->id,         &e->seq,         &e->actor,      &e->actor_id,
                  &e->real_actor, &e->client_addr, &e->client_key, &e->action,
                  &e->target,     &e->before,      &e->after,      &e->reason};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        free(*f[i]);
        *f[i] = NULL;
    }
}

/* The newest audit event, of any chain. */
static row s_last(th_server *s)
{
    PGconn *c = PQconnectdb(s->conninfo);
    cr_assert_eq(PQstatus(c), CONNECTION_OK);
    PGresult *res = PQexec(c, "SELECT id, seq, actor, actor_id, real_actor, client_addr, "
                              "client_key, action, target, before, after, reason "
                              "FROM audit_events ORDER BY id DESC LIMIT 1");
    cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK);
    cr_assert_eq(PQntuples(res), 1, "no audit event at all");
    row e;
    char **f[] = {&e.id,         &e.seq,    &e.actor,  &e.actor_id, &e.real_actor, &e.client_addr,
                  &e.client_key, &e.action, &e.target, &e.before,   &e.after,      &e.reason};
    for (int i = 0; i < 12; i++)
        *f[i] = strdup(PQgetvalue(res, 0, i));
    PQclear(res);
    PQfinish(c);
    return e;
}

static long s_count(th_server *s, const char *sql)
{
    char *v = th_sql(s, sql);
    long n = atol(v);
    free(v);
    return n;
}

static kp_request *s_req(ctx *c)
{
    kp_request *req = kp_arena_zalloc(c->a, sizeof *req);
    kompass__v1__request__init(req);
    return req;
}

static kp_response *s_call(ctx *c, kp_request *req, const char *token)
{
    req->session_token = kp_arena_strdup(c->a, token ? token : "");
    kp_response *r = th_call(c->sock, c->a, req, 20000);
    cr_assert(r, "no answer to %s", kp_wire_body_name(req));
    return r;
}

/* Adds a user as the admin over the protocol; returns the login. */
static const char *s_add_user(ctx *c, const char *what)
{
    kp_request *req = s_req(c);
    Kompass__V1__UserAddRequest *in = kp_arena_zalloc(c->a, sizeof *in);
    kompass__v1__user_add_request__init(in);
    in->login = kp_arena_printf(c->a, "%s%d", what, c->n);
    in->full_name = "Ewa Luvö";
    in->organisation = "Borås Stad";
    in->role = KOMPASS__V1__ROLE__ROLE_EVALUATOR;
    in->password = PW;
    req->body_case = RQ(USER_ADD);
    req->user_add = in;
    kp_response *r = s_call(c, req, c->admin_token);
    cr_assert_eq(r->status, KP_OK, "adding %s: %s", in->login, r->error);
    return in->login;
}

/* When login's credentials were set, in the trail's time format, computed
 * by PostgreSQL (not by the server's C). */
static char *s_set_at(ctx *c, const char *login)
{
    char sql[300];
    snprintf(sql, sizeof sql,
             "SELECT to_char(password_set_at AT TIME ZONE 'UTC', "
             "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM users WHERE login = '%s'",
             login);
    return th_sql(c->s, sql);
}

/* What every request of an expectation names (tests/samples.h): the
 * evaluation and caller its prepare set up, the password they all have,
 * question 1.4 and the lock the admin or a peer holds. */
static th_sample_ids s_ids(ctx *c)
{
    th_sample_ids ids = {0};
    ids.n = c->n;
    ids.eval_id = c->eval_id;
    ids.login = c->caller;
    ids.password = PW;
    ids.framework = "KK2015";
    ids.question = "1.4";
    ids.lock_token = "audit-token";
    return ids;
}

/* ------------------------------------------------------------ expectations */

typedef struct {
    int body_case;
    /* "audit": one audit event; else the security_log kind of one row */
    const char *records;
    /* Sets up what the call needs (users, sessions) and c->token, c->caller;
     * runs before the counts are taken. */
    void (*prepare)(ctx *c);
    /* What the request names beyond s_ids' (NULL: nothing); runs after the
     * counts, just before the request (tests/samples.c) is built. */
    void (*ids)(ctx *c, th_sample_ids *ids);
    /* For "audit": checks the event's action, target, before and after. */
    void (*check)(ctx *c, const row *e);
} expectation;

/* login: a session, recorded in the security log as `login` */
static void p_login(ctx *c)
{
    c->caller = s_add_user(c, "ewa");
    c->token = NULL;
}

/* logout: recorded in the security log as `logout` */
static void p_logout(ctx *c)
{
    c->caller = s_add_user(c, "ewa");
    c->token = th_token(c->sock, c->a, c->caller, PW);
}

/* change_password: user.change_password; her other session ends */
static void p_change_password(ctx *c)
{
    c->caller = s_add_user(c, "ewa");
    th_token(c->sock, c->a, c->caller, PW); /* another session, which will end */
    c->token = th_token(c->sock, c->a, c->caller, PW);
    char *at = s_set_at(c, c->caller);
    c->expected = kp_arena_printf(c->a, "{\"credentials_set_at\":\"%s\"}", at);
    free(at);
}

static void k_change_password(ctx *c, const row *e)
{
    cr_assert_str_eq(e->action, "user.change_password");
    cr_assert_str_eq(e->target, kp_arena_printf(c->a, "user %s", c->caller));
    cr_assert_str_eq(e->before, c->expected);
    char *at = s_set_at(c, c->caller);
    cr_assert_str_eq(
        e->after,
        kp_arena_printf(c->a, "{\"credentials_set_at\":\"%s\",\"sessions_ended\":1}", at));
    cr_assert_str_neq(e->before, e->after);
    free(at);
}

/* user_add: user.add, the new user's visible fields after, nothing before */
static void p_admin(ctx *c)
{
    c->caller = "admin";
    c->token = c->admin_token;
}

static void k_user_add(ctx *c, const row *e)
{
    cr_assert_str_eq(e->action, "user.add");
    cr_assert_str_eq(e->target, kp_arena_printf(c->a, "user anna%d", c->n));
    cr_assert_str_eq(e->before, "");
    cr_assert_str_eq(e->after, kp_arena_printf(c->a,
                                               "{\"active\":true,\"full_name\":\"Anna Eklund\","
                                               "\"login\":\"anna%d\",\"organisation\":\"SKL\","
                                               "\"role\":\"observer\"}",
                                               c->n));
}

/* user_set_active: user.disable, two of the victim's sessions end. c->expected
 * carries "victim|when its credentials were set". */
static void p_victim_with_sessions(ctx *c)
{
    p_admin(c);
    const char *victim = s_add_user(c, "victim");
    th_token(c->sock, c->a, victim, PW);
    th_token(c->sock, c->a, victim, PW);
    char *at = s_set_at(c, victim);
    c->expected = kp_arena_printf(c->a, "%s|%s", victim, at);
    free(at);
}

static const char *s_victim(ctx *c)
{
    return kp_arena_strndup(c->a, c->expected, strcspn(c->expected, "|"));
}

/* the victim set up by p_victim_with_sessions */
static void i_victim(ctx *cx, th_sample_ids *ids)
{
    ids->login = s_victim(cx);
}

static void k_user_set_active(ctx *c, const row *e)
{
    cr_assert_str_eq(e->action, "user.disable");
    cr_assert_str_eq(e->target, kp_arena_printf(c->a, "user %s", s_victim(c)));
    cr_assert_str_eq(e->before, "{\"active\":true}");
    cr_assert_str_eq(e->after, "{\"active\":false,\"sessions_ended\":2}");
}

/* user_edit: user.edit, the names before and after */

static void k_user_edit(ctx *c, const row *e)
{
    cr_assert_str_eq(e->action, "user.edit");
    cr_assert_str_eq(e->target, kp_arena_printf(c->a, "user %s", s_victim(c)));
    cr_assert_str_eq(e->before, "{\"full_name\":\"Ewa Luvö\",\"organisation\":\"Borås Stad\"}");
    cr_assert_str_eq(e->after, "{\"full_name\":\"Ewa Luvö Berg\",\"organisation\":\"Borås Stad\"}");
}

/* user_reset_password: user.reset_password, the set time before and after */

static void k_user_reset_password(ctx *c, const row *e)
{
    const char *victim = s_victim(c);
    cr_assert_str_eq(e->action, "user.reset_password");
    cr_assert_str_eq(e->target, kp_arena_printf(c->a, "user %s", victim));
    cr_assert_str_eq(e->before, kp_arena_printf(c->a, "{\"credentials_set_at\":\"%s\"}",
                                                c->expected + strlen(victim) + 1));
    char *at = s_set_at(c, victim);
    cr_assert_str_eq(
        e->after,
        kp_arena_printf(c->a, "{\"credentials_set_at\":\"%s\",\"sessions_ended\":2}", at));
    free(at);
}

/* ------------------------------------------------------------ evaluations */

static char *s_sqlf(ctx *cx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *s_sqlf(ctx *cx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *q = kp_arena_vprintf(cx->a, fmt, ap);
    va_end(ap);
    return th_sql(cx->s, q);
}

enum {
    E_SCORING = 1,
    E_OBSERVER = 2,
    E_OTHER_LOCK = 4,
    E_ADMIN_LOCK = 8,
    E_CONSENSUS = 16,
    E_REVIEW = 32,
    E_SIGNED = 64
};

/* An evaluation with the admin as lead and a peer, made in the database. */
static void s_eval(ctx *cx, int what)
{
    p_admin(cx);
    free(s_sqlf(cx,
                "INSERT INTO municipalities (name) VALUES ('Auditby %d') ON CONFLICT DO NOTHING",
                cx->n));
    char *id = s_sqlf(cx,
                      "INSERT INTO evaluations (municipality_id, framework_id, label, ordinal, "
                      "status) SELECT m.id, f.id, 'a%d', 1, '%s' FROM municipalities m, "
                      "frameworks f WHERE m.name = 'Auditby %d' AND f.code = 'KK2015' "
                      "RETURNING id",
                      cx->n,
                      what & (E_SIGNED | E_REVIEW) ? "review"
                      : what & E_CONSENSUS         ? "consensus"
                      : what & E_SCORING           ? "scoring"
                                                   : "draft",
                      cx->n);
    cx->eval_id = atoll(id);
    free(id);
    const char *peer = s_add_user(cx, "peer");
    free(s_sqlf(cx,
                "INSERT INTO evaluation_members (evaluation_id, user_id, role) SELECT %lld, id, "
                "CASE login WHEN 'admin' THEN 'lead' ELSE 'peer' END FROM users WHERE login IN "
                "('admin', '%s')",
                cx->eval_id, peer));
    if (what & E_OBSERVER)
        free(s_sqlf(cx,
                    "INSERT INTO evaluation_members (evaluation_id, user_id, role) SELECT %lld, "
                    "id, 'observer' FROM users WHERE login = '%s'",
                    cx->eval_id, s_add_user(cx, "obs")));
    if (what & E_SIGNED) /* after the team: a signed evaluation's team is fixed */
        free(s_sqlf(cx, "UPDATE evaluations SET status = 'signed' WHERE id = %lld", cx->eval_id));
    if (what & (E_OTHER_LOCK | E_ADMIN_LOCK))
        free(s_sqlf(cx,
                    "INSERT INTO section_locks (evaluation_id, area_number, section, holder_id, "
                    "token, expires_at) SELECT %lld, 1, 'summary', id, 'audit-token', now() + "
                    "interval '5 minutes' FROM users WHERE login = '%s'",
                    cx->eval_id, what & E_ADMIN_LOCK ? "admin" : peer));
}

static void p_draft(ctx *cx)
{
    s_eval(cx, 0);
}
static void p_draft_newcomer(ctx *cx)
{
    s_eval(cx, 0);
    cx->expected = s_add_user(cx, "new");
}
static void p_draft_observer(ctx *cx)
{
    s_eval(cx, E_OBSERVER);
}
static void p_scoring(ctx *cx)
{
    s_eval(cx, E_SCORING);
}
static void p_admin_lock(ctx *cx)
{
    s_eval(cx, E_SCORING | E_ADMIN_LOCK);
}
static void p_other_lock(ctx *cx)
{
    s_eval(cx, E_SCORING | E_OTHER_LOCK);
}
/* The admin (lead) has scored every question; the peer has not submitted. */
static void p_scored(ctx *cx)
{
    s_eval(cx, E_SCORING);
    free(s_sqlf(cx,
                "INSERT INTO scores (evaluation_id, question_id, evaluator_id, points, version,"
                " written_by) SELECT %lld, q.id, u.id, 1, 1, u.id FROM framework_questions q,"
                " users u WHERE u.login = 'admin' AND q.framework_id ="
                " (SELECT id FROM frameworks WHERE code = 'KK2015')",
                cx->eval_id));
}
static void p_consensus(ctx *cx)
{
    s_eval(cx, E_CONSENSUS);
    /* both evaluators gave 1.4 the same points: the one question to merge */
    free(s_sqlf(cx,
                "INSERT INTO scores (evaluation_id, question_id, evaluator_id, points, version,"
                " written_by) SELECT %lld, q.id, u.id, 20, 1, u.id FROM framework_questions q,"
                " users u WHERE q.code = '1.4' AND u.login IN ('admin', 'peer%d')",
                cx->eval_id, cx->n));
}
/* A peer approves: the caller is the peer, area 1 has a summary. */
static void p_peer_approves(ctx *cx)
{
    s_eval(cx, E_CONSENSUS);
    free(s_sqlf(cx,
                "INSERT INTO area_texts (evaluation_id, area_number, section, content, version,"
                " written_by) SELECT %lld, 1, 'summary', '\"Tydligt.\"', 1, id FROM users"
                " WHERE login = 'admin'",
                cx->eval_id));
    cx->caller = kp_arena_printf(cx->a, "peer%d", cx->n);
    cx->token = th_token(cx->sock, cx->a, cx->caller, PW);
}
static void p_review(ctx *cx)
{
    s_eval(cx, E_REVIEW);
}
static void p_signed(ctx *cx)
{
    s_eval(cx, E_SIGNED);
}

static void k_framework_import(ctx *cx, const row *e)
{
    cr_assert_str_eq(e->action, "framework.import");
    cr_assert_str_eq(e->target, kp_arena_printf(cx->a, "framework A%d", cx->n));
    cr_assert_str_eq(e->before, "");
    cr_assert(strstr(e->after, "\"code\":\"A"), "%s", e->after);
}
static void k_municipality_add(ctx *cx, const row *e)
{
    cr_assert_str_eq(e->action, "municipality.add");
    cr_assert_str_eq(e->after, kp_arena_printf(cx->a,
                                               "{\"county\":\"\",\"kind\":\"stad\",\"name\":"
                                               "\"Granskby %d\",\"org_number\":\"\"}",
                                               cx->n));
}
/* eval.create: KK2015 in a new municipality */
static void i_eval_create(ctx *cx, th_sample_ids *ids)
{
    free(s_sqlf(cx, "INSERT INTO municipalities (name) VALUES ('Skapby %d')", cx->n));
    ids->municipality = kp_arena_printf(cx->a, "Skapby %d", cx->n);
    ids->label = "2017";
}
static void k_eval_create(ctx *cx, const row *e)
{
    cr_assert_str_eq(e->action, "eval.create");
    cr_assert_str_eq(e->before, "");
    cr_assert_str_eq(e->after, kp_arena_printf(cx->a,
                                               "{\"framework\":\"KK2015\",\"label\":\"2017\","
                                               "\"municipality\":\"Skapby %d\",\"period\":\"\","
                                               "\"status\":\"draft\"}",
                                               cx->n));
}
static void i_newcomer(ctx *cx, th_sample_ids *ids)
{
    ids->login = cx->expected;
}
static void k_eval_assign(ctx *cx, const row *e)
{
    cr_assert_str_eq(e->action, "eval.assign");
    cr_assert_str_eq(e->target, kp_arena_printf(cx->a, "team member %s", cx->expected));
    cr_assert_str_eq(e->before, "");
    cr_assert_str_eq(
        e->after, kp_arena_printf(cx->a, "{\"login\":\"%s\",\"role\":\"observer\"}", cx->expected));
}
static void i_observer(ctx *cx, th_sample_ids *ids)
{
    ids->login = kp_arena_printf(cx->a, "obs%d", cx->n);
}
static void k_eval_unassign(ctx *cx, const row *e)
{
    cr_assert_str_eq(e->action, "eval.unassign");
    cr_assert_str_eq(e->before,
                     kp_arena_printf(cx->a, "{\"login\":\"obs%d\",\"role\":\"observer\"}", cx->n));
    cr_assert_str_eq(e->after, "");
}
/* eval.set: the report's date and a stated ordinal on a draft */
static void i_eval_set(ctx *cx, th_sample_ids *ids)
{
    (void)cx;
    ids->ordinal = 5;
}
static void k_eval_set(ctx *cx, const row *e)
{
    (void)cx;
    cr_assert_str_eq(e->action, "eval.set");
    cr_assert_str_eq(e->before, "{\"ordinal\":1,\"ordinal_given\":false,\"report_date\":null}");
    cr_assert_str_eq(e->after, "{\"ordinal\":5,\"ordinal_given\":true,\"report_date\":"
                               "\"2017-09-30\"}");
}
static void k_eval_start(ctx *cx, const row *e)
{
    (void)cx;
    cr_assert_str_eq(e->action, "eval.start");
    cr_assert_str_eq(e->before, "{\"status\":\"draft\"}");
    cr_assert_str_eq(e->after, "{\"status\":\"scoring\"}");
}
static void k_evidence_add(ctx *cx, const row *e)
{
    (void)cx;
    cr_assert_str_eq(e->action, "evidence.add");
    cr_assert(strstr(e->after, "\"title\":\"Kommunikationspolicy\""), "%s", e->after);
}
static void k_score_set(ctx *cx, const row *e)
{
    (void)cx;
    cr_assert_str_eq(e->action, "score.set");
    cr_assert_str_eq(e->target, "score 1.4 of evaluator admin");
    cr_assert_str_eq(e->before, "");
    cr_assert_str_eq(e->after, "{\"evaluator\":\"admin\",\"scores\":{\"1.4\":{\"points\":"
                               "\"25.5\",\"rationale\":\"Bred dialog\"}}}");
}
static void i_offline_discard(ctx *cx, th_sample_ids *ids)
{
    (void)cx;
    ids->item = "score 1.4 of admin";
}
static void k_offline_discard(ctx *cx, const row *e)
{
    (void)cx;
    cr_assert_str_eq(e->action, "offline.kept_theirs");
    cr_assert_str_eq(e->target, "score 1.4 of admin");
    cr_assert_str_eq(e->before, "{\"mine\":{\"points\":\"25\"},\"offline\":{\"base_version\":5,"
                                "\"kept\":\"theirs\",\"recorded_at\":\"2025-12-03T08:00:00Z\"}}");
    cr_assert_str_eq(e->after, "{\"kept\":\"theirs\",\"version\":7}");
}
static void k_text_save(ctx *cx, const row *e)
{
    (void)cx;
    cr_assert_str_eq(e->action, "text.save");
    cr_assert_str_eq(e->target, "text of area 1 summary");
    cr_assert_str_eq(e->before, "");
    cr_assert_str_eq(e->after, "\"Tydlig strategi.\"");
}
static void k_lock_break(ctx *cx, const row *e)
{
    cr_assert_str_eq(e->action, "lock.break");
    cr_assert_str_eq(e->target,
                     kp_arena_printf(cx->a, "lock on area 1 summary held by peer%d", cx->n));
    cr_assert_str_eq(e->reason, "Ewa är bortrest");
    cr_assert_str_eq(e->after, "");
}

static void k_submit(ctx *cx, const row *e)
{
    (void)cx;
    cr_assert_str_eq(e->action, "score.submit");
    cr_assert_str_eq(e->target, "scores of evaluator admin");
    cr_assert_str_eq(e->after, "{\"evaluator\":\"admin\"}"); /* the peer has not: no status */
}
static void k_consensus_set(ctx *cx, const row *e)
{
    (void)cx;
    cr_assert_str_eq(e->action, "consensus.set");
    cr_assert_str_eq(e->target, "consensus score 1.4");
    cr_assert_str_eq(e->before, "");
    cr_assert_str_eq(e->after, "{\"points\":\"20\",\"question\":\"1.4\"}");
}
static void k_consensus_auto(ctx *cx, const row *e)
{
    (void)cx;
    cr_assert_str_eq(e->action, "consensus.auto");
    cr_assert_str_eq(e->target, "1 consensus scores (median)");
    cr_assert_str_eq(e->after, "{\"max_spread_pct\":20.0,\"set\":{\"1.4\":\"20\"},"
                               "\"strategy\":\"median\"}");
}
static void k_consensus_threshold(ctx *cx, const row *e)
{
    (void)cx;
    cr_assert_str_eq(e->action, "consensus.threshold");
    cr_assert_str_eq(e->before, "{\"major_spread_pct\":20.0}");
    cr_assert_str_eq(e->after, "{\"major_spread_pct\":25.0}");
}
static void k_text_approve(ctx *cx, const row *e)
{
    (void)cx;
    cr_assert_str_eq(e->action, "text.approve");
    cr_assert_str_eq(e->target, "texts of area 1");
    cr_assert(strstr(e->after, "\"area\":1"), "%s", e->after);
}
/* the admin signs as the lead */
static void i_sign(ctx *cx, th_sample_ids *ids)
{
    (void)cx;
    ids->password = TH_ADMIN_PASSWORD;
}
static void k_sign(ctx *cx, const row *e)
{
    cr_assert_str_eq(e->action, "eval.sign");
    cr_assert_str_eq(e->target,
                     kp_arena_printf(cx->a, "revision 1 of evaluation %lld", cx->eval_id));
    cr_assert(strstr(e->after, "\"capacity\":\"lead\"") &&
                  strstr(e->after, "\"meaning\":\"authored\"") &&
                  strstr(e->after, "\"content_hash\":\""),
              "%s", e->after);
    cr_assert_null(strstr(e->after, "\"status\""), "one signature of three: %s", e->after);
}
static void k_eval_reopen(ctx *cx, const row *e)
{
    (void)cx;
    cr_assert_str_eq(e->action, "eval.reopen");
    cr_assert_str_eq(e->reason, "Fel i område 3");
    cr_assert_str_eq(e->before, "{\"revision\":1,\"status\":\"signed\"}");
    cr_assert_str_eq(e->after,
                     "{\"revision\":2,\"signatures_cancelled\":0,\"status\":\"reopened\"}");
}
/* eval.import: KK2015 with every question at 0 points, as published */
static void i_eval_import(ctx *cx, th_sample_ids *ids)
{
    char *areas = th_sql(cx->s, "SELECT json_agg(json_build_object('number', a.number, "
                                "'questions', (SELECT json_agg(json_build_object('code', q.code, "
                                "'points', 0) ORDER BY q.position) FROM framework_questions q "
                                "WHERE q.area_id = a.id)) ORDER BY a.number) FROM "
                                "framework_areas a JOIN frameworks f ON f.id = a.framework_id "
                                "WHERE f.code = 'KK2015'");
    ids->areas = kp_arena_strdup(cx->a, areas);
    free(areas);
    ids->municipality = kp_arena_printf(cx->a, "Importby %d", cx->n);
    ids->label = "1999";
}
static void k_eval_import(ctx *cx, const row *e)
{
    cr_assert_str_eq(e->action, "eval.import");
    char *id = th_sql(cx->s, "SELECT max(id) FROM evaluations");
    cr_assert_str_eq(e->target, kp_arena_printf(cx->a, "evaluation %s", id));
    free(id);
    cr_assert_str_eq(e->before, "");
    char *hash = th_sql(cx->s, "SELECT content_hash FROM evaluation_revisions ORDER BY "
                               "evaluation_id DESC LIMIT 1");
    char *sha = th_sql(cx->s, "SELECT source_sha256 FROM evaluations ORDER BY id DESC LIMIT 1");
    cr_assert_str_eq(e->after,
                     kp_arena_printf(cx->a,
                                     "{\"content_hash\":\"%s\",\"framework\":\"KK2015\","
                                     "\"label\":\"1999\",\"municipality\":\"Importby %d\","
                                     "\"municipality_created\":true,\"scores\":45,"
                                     "\"source\":\"Granskad rapport\",\"source_sha256\":\"%s\","
                                     "\"status\":\"signed\",\"texts\":0,\"total\":0}",
                                     hash, cx->n, sha));
    free(hash);
    free(sha);
}

/* ------------------------------------------------------------ the consensus meeting */

static void s_thread_on_14(ctx *cx, const char *status)
{
    free(s_sqlf(cx,
                "INSERT INTO comment_threads (evaluation_id, question_id, status, opened_by,"
                " resolved_by, resolved_at, version) SELECT %lld, q.id, '%s', u.id, %s, %s, 1"
                " FROM framework_questions q, users u WHERE q.code = '1.4' AND u.login = 'admin'",
                cx->eval_id, status, strcmp(status, "open") ? "u.id" : "NULL",
                strcmp(status, "open") ? "now()" : "NULL"));
    free(s_sqlf(cx,
                "INSERT INTO comments (evaluation_id, question_id, kind, body, author_id, version)"
                " SELECT %lld, q.id, 'comment', 'Varför 20?', u.id, 1 FROM framework_questions q,"
                " users u WHERE q.code = '1.4' AND u.login = 'admin'",
                cx->eval_id));
}
static void p_thread(ctx *cx)
{
    p_consensus(cx);
    s_thread_on_14(cx, "open");
}
static void p_resolved_thread(ctx *cx)
{
    p_consensus(cx);
    s_thread_on_14(cx, "resolved");
}
static void k_comment_add(ctx *cx, const row *e)
{
    char *id = th_sql(cx->s, "SELECT max(id) FROM comments");
    cr_assert_str_eq(e->action, "comment.add");
    cr_assert_str_eq(e->target, "thread 1.4");
    cr_assert_str_eq(e->before, "");
    cr_assert_str_eq(e->after, kp_arena_printf(cx->a,
                                               "{\"comment\":%s,\"question\":\"1.4\",\"text\":"
                                               "\"Intervjuerna talar för 24.\",\"thread\":"
                                               "\"opened\"}",
                                               id));
    free(id);
}
static void k_comment_resolve(ctx *cx, const row *e)
{
    (void)cx;
    cr_assert_str_eq(e->action, "comment.resolve");
    cr_assert_str_eq(e->target, "thread 1.4");
    cr_assert_str_eq(e->before, "{\"question\":\"1.4\",\"thread\":\"open\"}");
    cr_assert_str_eq(e->after, "{\"question\":\"1.4\",\"thread\":\"resolved\"}");
    cr_assert_str_eq(e->reason, "Vi enades om 20");
}
static void k_comment_reopen(ctx *cx, const row *e)
{
    (void)cx;
    cr_assert_str_eq(e->action, "comment.reopen");
    cr_assert_str_eq(e->target, "thread 1.4");
    cr_assert_str_eq(e->before, "{\"question\":\"1.4\",\"thread\":\"resolved\"}");
    cr_assert_str_eq(e->after, "{\"question\":\"1.4\",\"thread\":\"open\"}");
}
/* a signed evaluation (revision 1 on record) and a trainee for it; the
 * trainee's login in cx->expected */
static void p_signed_source(ctx *cx)
{
    s_eval(cx, E_SIGNED);
    free(s_sqlf(cx,
                "INSERT INTO evaluation_revisions (evaluation_id, revision, content, content_hash,"
                " eval_version) VALUES (%lld, 1, '{\"scores\":{}}', repeat('e', 64), 1)",
                cx->eval_id));
    cx->expected = s_add_user(cx, "trainee");
    p_admin(cx);
}
static void i_trainee(ctx *cx, th_sample_ids *ids)
{
    ids->login = cx->expected;
}
static void k_calibration_create(ctx *cx, const row *e)
{
    char *cid = th_sql(cx->s, "SELECT max(id) FROM calibrations");
    char *pid = th_sql(cx->s, "SELECT max(practice_id) FROM calibrations");
    char *eid = th_sql(cx->s, "SELECT evaluation_id FROM audit_events ORDER BY id DESC LIMIT 1");
    cr_assert_str_eq(e->action, "calibration.create");
    cr_assert_str_eq(eid, pid, "the event is in the practice evaluation's chain");
    cr_assert_str_eq(e->target,
                     kp_arena_printf(cx->a, "calibration exercise %s for %s", cid, cx->expected));
    cr_assert_str_eq(e->before, "");
    cr_assert_str_eq(e->after,
                     kp_arena_printf(cx->a,
                                     "{\"calibration\":%s,\"evidence\":0,\"label\":\"a%d övning "
                                     "%s\",\"practice\":\"övning\",\"source\":%lld,"
                                     "\"source_revision\":1,\"status\":\"scoring\",\"trainee\":"
                                     "\"%s\"}",
                                     cid, cx->n, cid, cx->eval_id, cx->expected));
    free(cid);
    free(pid);
    free(eid);
}

/* the factual review: review, every area approved, a contact on the team
 * (cx->expected: the contact's login); the admin is the lead */
static void p_fc_ready(ctx *cx)
{
    s_eval(cx, E_REVIEW);
    free(s_sqlf(cx,
                "INSERT INTO area_approvals (evaluation_id, area_number, approved_by, version)"
                " SELECT %lld, a.number, u.id, 1 FROM framework_areas a, users u"
                " WHERE u.login = 'peer%d' AND a.framework_id ="
                " (SELECT id FROM frameworks WHERE code = 'KK2015')",
                cx->eval_id, cx->n));
    cx->expected = s_add_user(cx, "contact");
    free(s_sqlf(cx,
                "INSERT INTO evaluation_members (evaluation_id, user_id, role) SELECT %lld, id,"
                " 'contact' FROM users WHERE login = '%s'",
                cx->eval_id, cx->expected));
    p_admin(cx);
}
/* ... opened today for 10 days */
static void p_fc_open(ctx *cx)
{
    p_fc_ready(cx);
    free(s_sqlf(cx,
                "INSERT INTO factchecks (evaluation_id, revision, started_by, days, ends_on)"
                " SELECT %lld, 1, id, 10, current_date + 10 FROM users WHERE login = 'admin'",
                cx->eval_id));
}
/* ... the contact remarks */
static void p_fc_contact(ctx *cx)
{
    p_fc_open(cx);
    cx->caller = cx->expected;
    cx->token = th_token(cx->sock, cx->a, cx->caller, PW);
}
/* ... a remark of the contact's on area 1 for the lead to answer */
static void p_fc_remark(ctx *cx)
{
    p_fc_open(cx);
    free(s_sqlf(cx,
                "INSERT INTO factcheck_remarks (evaluation_id, revision, area_number, body,"
                " author_id) SELECT %lld, 1, 1, 'Fel årtal.', id FROM users WHERE login = '%s'",
                cx->eval_id, cx->expected));
}
/* {"closed":...} as the review's events write it, opened today */
static const char *s_fc_json(ctx *cx, int closed, int remarks, int unanswered)
{
    char *today = th_sql(cx->s, "SELECT current_date::text");
    char *end = th_sql(cx->s, "SELECT (current_date + 10)::text");
    const char *j =
        kp_arena_printf(cx->a,
                        "{\"closed\":%s,%s%s%s\"days\":10,\"ends_on\":\"%s\","
                        "\"remarks\":%d,\"revision\":1,\"started_on\":\"%s\","
                        "\"unanswered\":%d}",
                        closed ? "true" : "false", closed ? "\"closed_on\":\"" : "",
                        closed ? today : "", closed ? "\"," : "", end, remarks, today, unanswered);
    free(today);
    free(end);
    return j;
}
static void k_factcheck_start(ctx *cx, const row *e)
{
    cr_assert_str_eq(e->action, "factcheck.start");
    cr_assert_str_eq(e->target, kp_arena_printf(cx->a,
                                                "factual review of revision 1 of "
                                                "evaluation %lld",
                                                cx->eval_id));
    cr_assert_str_eq(e->before, "");
    cr_assert_str_eq(e->after, s_fc_json(cx, 0, 0, 0));
}
static void k_factcheck_remark(ctx *cx, const row *e)
{
    char *rid = th_sql(cx->s, "SELECT max(id) FROM factcheck_remarks");
    cr_assert_str_eq(e->action, "factcheck.remark");
    cr_assert_str_eq(e->actor, cx->caller);
    cr_assert_str_eq(e->target, kp_arena_printf(cx->a, "remark %s on area 1", rid));
    cr_assert_str_eq(e->before, "");
    cr_assert_str_eq(e->after,
                     kp_arena_printf(cx->a,
                                     "{\"area\":1,\"remark\":%s,\"text\":\"Medborgarpanelen "
                                     "startade 2016.\"}",
                                     rid));
    free(rid);
}
/* the remark p_fc_remark made */
static void i_remark(ctx *cx, th_sample_ids *ids)
{
    char *rid = th_sql(cx->s, "SELECT max(id) FROM factcheck_remarks");
    ids->remark_id = atoll(rid);
    free(rid);
}
static void k_factcheck_answer(ctx *cx, const row *e)
{
    char *rid = th_sql(cx->s, "SELECT max(id) FROM factcheck_remarks");
    cr_assert_str_eq(e->action, "factcheck.answer");
    cr_assert_str_eq(e->target, kp_arena_printf(cx->a, "remark %s", rid));
    cr_assert_str_eq(e->before, "{\"answer\":null}");
    cr_assert_str_eq(e->after, "{\"answer\":\"Rättat.\",\"unanswered\":0}");
    free(rid);
}
static void k_factcheck_close(ctx *cx, const row *e)
{
    cr_assert_str_eq(e->action, "factcheck.close");
    cr_assert_str_eq(e->target, kp_arena_printf(cx->a,
                                                "factual review of revision 1 of "
                                                "evaluation %lld",
                                                cx->eval_id));
    cr_assert_str_eq(e->before, s_fc_json(cx, 0, 0, 0));
    cr_assert_str_eq(e->after, s_fc_json(cx, 1, 0, 0));
}
/* municipality.edit: a county and a group given, before and after */
static void p_municipality(ctx *cx)
{
    p_admin(cx);
    free(s_sqlf(cx, "INSERT INTO municipalities (name, kind) VALUES ('Rättby %d', 'stad')", cx->n));
}
/* named as it was not written: names are compared case-insensitively */
static void i_municipality(ctx *cx, th_sample_ids *ids)
{
    ids->municipality = kp_arena_printf(cx->a, "rättby %d", cx->n);
}
static void k_municipality_edit(ctx *cx, const row *e)
{
    cr_assert_str_eq(e->action, "municipality.edit");
    cr_assert_str_eq(e->target, kp_arena_printf(cx->a, "municipality Rättby %d", cx->n));
    cr_assert_str_eq(e->before,
                     kp_arena_printf(cx->a,
                                     "{\"county\":\"\",\"group\":\"\",\"kind\":\"stad\",\"name\":"
                                     "\"Rättby %d\"}",
                                     cx->n));
    cr_assert_str_eq(e->after, kp_arena_printf(cx->a,
                                               "{\"county\":\"Västmanlands län\",\"group\":"
                                               "\"B3\",\"kind\":\"stad\",\"name\":\"Rättby %d\"}",
                                               cx->n));
}
/* followup.set: a scoring evaluation whose municipality's signed earlier
 * round named one improvement opportunity in area 2 */
static void p_followup(ctx *cx)
{
    s_eval(cx, E_SCORING);
    char *prev = s_sqlf(cx,
                        "INSERT INTO evaluations (municipality_id, framework_id, label, ordinal,"
                        " status) SELECT m.id, f.id, '0-%d', 1, 'review' FROM municipalities m,"
                        " frameworks f WHERE m.name = 'Auditby %d' AND f.code = 'KK2015'"
                        " RETURNING id",
                        cx->n, cx->n);
    free(s_sqlf(cx,
                "INSERT INTO area_texts (evaluation_id, area_number, section, content, version,"
                " written_by) SELECT %s, 2, 'improvements', '[\"Tydligare mål.\"]', 1, id"
                " FROM users WHERE login = 'admin'",
                prev));
    free(s_sqlf(cx, "UPDATE evaluations SET status = 'signed' WHERE id = %s", prev));
    free(prev);
}
static void i_followup(ctx *cx, th_sample_ids *ids)
{
    (void)cx;
    ids->item = "2.1";
}
static void k_followup_set(ctx *cx, const row *e)
{
    cr_assert_str_eq(e->action, "followup.set");
    cr_assert_str_eq(e->target,
                     kp_arena_printf(cx->a, "follow-up item 2.1 of Auditby %d 0-%d", cx->n, cx->n));
    cr_assert_str_eq(e->before, "");
    cr_assert_str_eq(e->after, "{\"note\":\"Målen är omarbetade.\",\"status\":\"started\","
                               "\"text\":\"Tydligare mål.\"}");
}

static const expectation s_expectations[] = {
    {RQ(LOGIN), "login", p_login, NULL, NULL},
    {RQ(LOGOUT), "logout", p_logout, NULL, NULL},
    {RQ(CHANGE_PASSWORD), "audit", p_change_password, NULL, k_change_password},
    {RQ(USER_ADD), "audit", p_admin, NULL, k_user_add},
    {RQ(USER_SET_ACTIVE), "audit", p_victim_with_sessions, i_victim, k_user_set_active},
    {RQ(USER_EDIT), "audit", p_victim_with_sessions, i_victim, k_user_edit},
    {RQ(USER_RESET_PASSWORD), "audit", p_victim_with_sessions, i_victim, k_user_reset_password},
    {RQ(FRAMEWORK_IMPORT), "audit", p_admin, NULL, k_framework_import},
    {RQ(MUNICIPALITY_ADD), "audit", p_admin, NULL, k_municipality_add},
    {RQ(EVAL_CREATE), "audit", p_admin, i_eval_create, k_eval_create},
    {RQ(EVAL_ASSIGN), "audit", p_draft_newcomer, i_newcomer, k_eval_assign},
    {RQ(EVAL_UNASSIGN), "audit", p_draft_observer, i_observer, k_eval_unassign},
    {RQ(EVAL_START), "audit", p_draft, NULL, k_eval_start},
    {RQ(EVIDENCE_ADD), "audit", p_draft, NULL, k_evidence_add},
    {RQ(SCORE_SET), "audit", p_scoring, NULL, k_score_set},
    /* a section lock is coordination, not content: neither trail nor log */
    {RQ(TEXT_LOCK), "none", p_scoring, NULL, NULL},
    {RQ(TEXT_SAVE), "audit", p_admin_lock, NULL, k_text_save},
    {RQ(LOCK_BREAK), "audit", p_other_lock, NULL, k_lock_break},
    {RQ(SUBMIT), "audit", p_scored, NULL, k_submit},
    {RQ(CONSENSUS_SET), "audit", p_consensus, NULL, k_consensus_set},
    {RQ(CONSENSUS_AUTO), "audit", p_consensus, NULL, k_consensus_auto},
    {RQ(CONSENSUS_THRESHOLD), "audit", p_draft, NULL, k_consensus_threshold},
    {RQ(TEXT_APPROVE), "audit", p_peer_approves, NULL, k_text_approve},
    {RQ(SIGN), "audit", p_review, i_sign, k_sign},
    {RQ(EVAL_REOPEN), "audit", p_signed, NULL, k_eval_reopen},
    {RQ(EVAL_IMPORT), "audit", p_admin, i_eval_import, k_eval_import},
    /* the consensus meeting */
    {RQ(COMMENT_ADD), "audit", p_consensus, NULL, k_comment_add},
    {RQ(COMMENT_RESOLVE), "audit", p_thread, NULL, k_comment_resolve},
    {RQ(COMMENT_REOPEN), "audit", p_resolved_thread, NULL, k_comment_reopen},
    {RQ(CALIBRATION_CREATE), "audit", p_signed_source, i_trainee, k_calibration_create},
    /* offline work */
    {RQ(OFFLINE_DISCARD), "audit", p_scoring, i_offline_discard, k_offline_discard},
    /* the cycle across rounds */
    {RQ(EVAL_SET), "audit", p_draft, i_eval_set, k_eval_set},
    /* the municipality's factual review */
    {RQ(FACTCHECK_START), "audit", p_fc_ready, NULL, k_factcheck_start},
    {RQ(FACTCHECK_REMARK), "audit", p_fc_contact, NULL, k_factcheck_remark},
    {RQ(FACTCHECK_ANSWER), "audit", p_fc_remark, i_remark, k_factcheck_answer},
    {RQ(FACTCHECK_CLOSE), "audit", p_fc_open, NULL, k_factcheck_close},
    {RQ(MUNICIPALITY_EDIT), "audit", p_municipality, i_municipality, k_municipality_edit},
    {RQ(FOLLOWUP_SET), "audit", p_followup, i_followup, k_followup_set},
};
#define N_EXPECTATIONS (sizeof s_expectations / sizeof s_expectations[0])

static const expectation *s_expectation(int body_case)
{
    for (size_t i = 0; i < N_EXPECTATIONS; i++)
        if (s_expectations[i].body_case == body_case) return &s_expectations[i];
    return NULL;
}

/* ------------------------------------------------------------ set-up */

static ctx c;

static void setup(void)
{
    memset(&c, 0, sizeof c);
    c.s = th_server_start(NULL);
    c.a = kp_arena_new();
    /* our own CURVE key, to find it in the events */
    c.sock = zmq_socket(th_zctx(), ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt(c.sock, ZMQ_LINGER, &linger, sizeof linger);
    th_curve_client(c.s, c.sock, c.client_key);
    cr_assert_eq(zmq_connect(c.sock, c.s->listen), 0);
    c.admin_token = th_token(c.sock, c.a, "admin", TH_ADMIN_PASSWORD);
}

static void teardown(void)
{
    zmq_close(c.sock);
    kp_arena_destroy(&c.a);
    th_server_free(&c.s);
}

TestSuite(audit_rpc, .init = setup, .fini = teardown, .timeout = 300);

static void s_assert_chain_verifies(ctx *cx)
{
    kp_request *req = s_req(cx);
    req->body_case = RQ(AUDIT_VERIFY);
    req->audit_verify = kp_arena_zalloc(cx->a, sizeof *req->audit_verify);
    kompass__v1__audit_verify_request__init(req->audit_verify);
    req->audit_verify->all = 1;
    kp_response *r = s_call(cx, req, cx->admin_token);
    cr_assert_eq(r->status, KP_OK, "%s", r->error);
    for (size_t i = 0; i < r->audit_verify->n_chains; i++)
        cr_assert(r->audit_verify->chains[i]->ok, "chain %lld: %s",
                  (long long)r->audit_verify->chains[i]->evaluation_id,
                  r->audit_verify->chains[i]->problem);
    cr_assert(r->audit_verify->ok);
}

/* ------------------------------------------------------------ the tests */

Test(audit_rpc, every_writing_rpc_records_exactly_its_expectation)
{
    size_t n;
    const kp_authz_rule *rules = kp_authz_table(&n);
    int covered = 0;
    for (size_t i = 0; i < n; i++) {
        if (!rules[i].writes) continue;
        const expectation *x = s_expectation(rules[i].body_case);
        cr_assert(x,
                  "rpc '%s' writes but has no audit expectation: add one to s_expectations in "
                  "tests/integration/test_audit_rpc.c",
                  rules[i].name);
        c.n++;
        c.token = NULL;
        c.caller = NULL;
        c.expected = NULL;
        x->prepare(&c);
        long events = s_count(c.s, "SELECT count(*) FROM audit_events");
        char sql[200];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM security_log WHERE kind = '%s'",
                 x->records);
        long logged = s_count(c.s, sql);

        kp_request *req = s_req(&c);
        th_sample_ids ids = s_ids(&c);
        if (x->ids) x->ids(&c, &ids);
        cr_assert_eq(th_sample_build(c.a, x->body_case, &ids, req), 0,
                     "%s has no sample request in tests/samples.c", rules[i].name);
        kp_response *r = s_call(&c, req, c.token);
        cr_assert_eq(r->status, KP_OK, "%s: %s", rules[i].name, r->error);

        long events_now = s_count(c.s, "SELECT count(*) FROM audit_events");
        if (strcmp(x->records, "audit") == 0) {
            cr_assert_eq(events_now, events + 1, "%s recorded %ld audit events, not 1",
                         rules[i].name, events_now - events);
            row e = s_last(c.s);
            x->check(&c, &e);
            cr_assert_str_eq(e.actor, c.caller, "%s", rules[i].name);
            char *id = th_sql(
                c.s, kp_arena_printf(c.a, "SELECT id FROM users WHERE login = '%s'", c.caller));
            cr_assert_str_eq(e.actor_id, id);
            free(id);
            cr_assert_str_eq(e.real_actor, "");
            cr_assert_str_eq(e.client_key, c.client_key, "%s", rules[i].name);
            cr_assert(strstr(e.client_addr, "127.0.0.1"), "client address '%s'", e.client_addr);
            s_row_free(&e);
        } else if (strcmp(x->records, "none") == 0) {
            cr_assert_eq(events_now, events, "%s is not recorded in the trail", rules[i].name);
            cr_assert_eq(s_count(c.s, sql), logged);
        } else {
            cr_assert_eq(events_now, events, "%s is recorded in the security log, not the trail",
                         rules[i].name);
            cr_assert_eq(s_count(c.s, sql), logged + 1, "%s: no security_log row of kind %s",
                         rules[i].name, x->records);
        }
        kp_arena_reset(c.a); /* c.admin_token lives in c.a: log in again */
        c.admin_token = th_token(c.sock, c.a, "admin", TH_ADMIN_PASSWORD);
        covered++;
    }
    for (size_t i = 0; i < N_EXPECTATIONS; i++) {
        const kp_authz_rule *rule = kp_authz_find(s_expectations[i].body_case);
        cr_assert(rule && rule->writes, "expectation %zu is for an rpc that does not write", i);
    }
    cr_assert_geq(covered, 6);
    s_assert_chain_verifies(&c);
}

Test(audit_rpc, first_administrator_is_the_first_event)
{
    PGconn *pc = PQconnectdb(c.s->conninfo);
    PGresult *res = PQexec(pc, "SELECT seq, actor_id, actor, action, target, before, after, reason "
                               "FROM audit_events WHERE evaluation_id = 0 ORDER BY seq LIMIT 1");
    cr_assert_eq(PQntuples(res), 1);
    cr_assert_str_eq(PQgetvalue(res, 0, 0), "1");
    cr_assert_str_eq(PQgetvalue(res, 0, 1), "0", "made by kompassd itself");
    cr_assert_str_eq(PQgetvalue(res, 0, 2), "");
    cr_assert_str_eq(PQgetvalue(res, 0, 3), "user.add");
    cr_assert_str_eq(PQgetvalue(res, 0, 4), "user admin");
    cr_assert_str_eq(PQgetvalue(res, 0, 5), "");
    cr_assert_str_eq(PQgetvalue(res, 0, 6),
                     "{\"active\":true,\"full_name\":\"Administrator\",\"login\":\"admin\","
                     "\"organisation\":\"SKL\",\"role\":\"admin\"}");
    cr_assert_str_eq(PQgetvalue(res, 0, 7), "kompassd started without an active administrator");
    PQclear(res);
    PQfinish(pc);
}

Test(audit_rpc, refused_and_failed_changes_leave_no_event)
{
    c.n = 1;
    const char *ewa = s_add_user(&c, "ewa");
    long events = s_count(c.s, "SELECT count(*) FROM audit_events");

    /* a duplicate: the insert fails, the transaction rolls back */
    kp_request *req = s_req(&c);
    req->body_case = RQ(USER_ADD);
    Kompass__V1__UserAddRequest in = KOMPASS__V1__USER_ADD_REQUEST__INIT;
    in.login = (char *)ewa;
    in.full_name = "Ewa again";
    in.organisation = "SKL";
    in.role = KOMPASS__V1__ROLE__ROLE_EVALUATOR;
    in.password = PW;
    req->user_add = &in;
    cr_assert_eq(s_call(&c, req, c.admin_token)->status, KP_CONFLICT);

    /* no such user */
    req = s_req(&c);
    req->body_case = RQ(USER_SET_ACTIVE);
    Kompass__V1__UserSetActiveRequest sa = KOMPASS__V1__USER_SET_ACTIVE_REQUEST__INIT;
    sa.login = "nobody";
    req->user_set_active = &sa;
    cr_assert_eq(s_call(&c, req, c.admin_token)->status, KP_NOT_FOUND);

    /* an evaluator may not add users: DENIED, in the security log only */
    const char *ewa_token = th_token(c.sock, c.a, ewa, PW);
    long denied = s_count(c.s, "SELECT count(*) FROM security_log WHERE kind = 'denied'");
    req = s_req(&c);
    req->body_case = RQ(USER_ADD);
    Kompass__V1__UserAddRequest in2 = in;
    in2.login = "sneaky";
    in2.password = PW;
    req->user_add = &in2;
    cr_assert_eq(s_call(&c, req, ewa_token)->status, KP_DENIED);
    cr_assert_eq(s_count(c.s, "SELECT count(*) FROM security_log WHERE kind = 'denied'"),
                 denied + 1);

    /* a wrong current password: refused, nothing changes */
    req = s_req(&c);
    req->body_case = RQ(CHANGE_PASSWORD);
    Kompass__V1__ChangePasswordRequest cp = KOMPASS__V1__CHANGE_PASSWORD_REQUEST__INIT;
    cp.current_password = kp_arena_strdup(c.a, "not-her-password-123");
    cp.new_password = kp_arena_strdup(c.a, "Audit-changed-5678");
    req->change_password = &cp;
    /* DENIED, not UNAUTHENTICATED: her session goes on (issue 16 point 8) */
    cr_assert_eq(s_call(&c, req, ewa_token)->status, KP_DENIED);

    cr_assert_eq(s_count(c.s, "SELECT count(*) FROM audit_events"), events,
                 "a refused or failed change left an audit event");
    s_assert_chain_verifies(&c);
}

/* ------------------------------------------------------------ concurrency */

typedef struct {
    th_server *s;
    int thread;
    int each;
    int failures;
    char error[256];
} adder_args;

static void *s_adder(void *argp)
{
    adder_args *a = argp;
    void *sock = th_dealer(a->s);
    kp_arena *arena = kp_arena_new();
    /* no cr_assert in a thread: count failures for the main thread */
    kp_request *lr = kp_arena_zalloc(arena, sizeof *lr);
    kompass__v1__request__init(lr);
    Kompass__V1__LoginRequest li = KOMPASS__V1__LOGIN_REQUEST__INIT;
    li.login = "admin";
    li.password = TH_ADMIN_PASSWORD;
    lr->body_case = RQ(LOGIN);
    lr->login = &li;
    kp_response *r = th_call(sock, arena, lr, 30000);
    const char *token = r && r->status == KOMPASS__V1__STATUS__OK ? r->login->session_token : NULL;
    if (!token) {
        a->failures = a->each;
        snprintf(a->error, sizeof a->error, "login: %s", r ? r->error : "no answer");
    }
    for (int i = 0; token && i < a->each; i++) {
        kp_request *req = kp_arena_zalloc(arena, sizeof *req);
        kompass__v1__request__init(req);
        Kompass__V1__UserAddRequest *in = kp_arena_zalloc(arena, sizeof *in);
        kompass__v1__user_add_request__init(in);
        in->login = kp_arena_printf(arena, "t%du%d", a->thread, i);
        in->full_name = "Concurrent";
        in->organisation = "SKL";
        in->role = KOMPASS__V1__ROLE__ROLE_EVALUATOR;
        in->password = PW;
        req->body_case = RQ(USER_ADD);
        req->user_add = in;
        req->session_token = (char *)token;
        r = th_call(sock, arena, req, 60000);
        if (!r || r->status != KOMPASS__V1__STATUS__OK) {
            a->failures++;
            snprintf(a->error, sizeof a->error, "%s", r ? r->error : "no answer");
        }
    }
    kp_arena_destroy(&arena);
    zmq_close(sock);
    return NULL;
}

Test(audit_rpc, concurrent_requests_keep_the_chain_linear)
{
    /* the suite's server has the default 4 workers: requests from 6
     * clients at once run in parallel on 4 database connections */
    enum { THREADS = 6, EACH = 12 };
    long events = s_count(c.s, "SELECT count(*) FROM audit_events");
    pthread_t t[THREADS];
    adder_args a[THREADS];
    for (int i = 0; i < THREADS; i++) {
        a[i] = (adder_args){c.s, i, EACH, 0, ""};
        cr_assert_eq(pthread_create(&t[i], NULL, s_adder, &a[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < THREADS; i++)
        cr_assert_eq(a[i].failures, 0, "client %d: %d failed (%s)", i, a[i].failures, a[i].error);
    cr_assert_eq(s_count(c.s, "SELECT count(*) FROM audit_events"), events + THREADS * EACH);
    cr_assert_eq(s_count(c.s, "SELECT max(seq) - count(*) FROM audit_events "
                              "WHERE evaluation_id = 0"),
                 0, "the chain has gaps or repeats");
    s_assert_chain_verifies(&c);
}

/* ------------------------------------------------------------ reading */

static kp_request *s_list(ctx *cx, int64_t chain, uint32_t limit, int64_t after)
{
    kp_request *req = s_req(cx);
    req->body_case = RQ(AUDIT_LIST);
    req->audit_list = kp_arena_zalloc(cx->a, sizeof *req->audit_list);
    kompass__v1__audit_list_request__init(req->audit_list);
    req->audit_list->evaluation_id = chain;
    req->audit_list->limit = limit;
    req->audit_list->after_seq = after;
    return req;
}

Test(audit_rpc, list_pages_and_refuses_bad_arguments_by_name)
{
    for (c.n = 1; c.n <= 4; c.n++)
        s_add_user(&c, "page"); /* events 2..5 after the first admin's */
    int64_t after = 0, seen = 0, pages = 0;
    for (;;) {
        kp_response *r = s_call(&c, s_list(&c, 0, 2, after), c.admin_token);
        cr_assert_eq(r->status, KP_OK, "%s", r->error);
        const Kompass__V1__AuditListResponse *page = r->audit_list;
        for (size_t i = 0; i < page->n_events; i++)
            cr_assert_eq(page->events[i]->seq, ++seen, "oldest first, each once");
        pages++;
        if (!page->more) break;
        cr_assert_eq(page->n_events, 2);
        after = page->events[1]->seq;
    }
    cr_assert_eq(seen, 5);
    cr_assert_eq(pages, 3);

    kp_response *r = s_call(&c, s_list(&c, 0, 5000, 0), c.admin_token);
    cr_assert_eq(r->status, KP_BAD_REQUEST);
    cr_assert(strstr(r->error, "limit 5000 is over the maximum of 1000"), "%s", r->error);
    r = s_call(&c, s_list(&c, -4, 0, 0), c.admin_token);
    cr_assert_eq(r->status, KP_BAD_REQUEST);
    cr_assert(strstr(r->error, "evaluation_id"), "%s", r->error);
    r = s_call(&c, s_list(&c, 0, 0, -1), c.admin_token);
    cr_assert_eq(r->status, KP_BAD_REQUEST);

    kp_request *req = s_req(&c);
    req->body_case = RQ(AUDIT_VERIFY);
    req->audit_verify = kp_arena_zalloc(c.a, sizeof *req->audit_verify);
    kompass__v1__audit_verify_request__init(req->audit_verify);
    req->audit_verify->all = 1;
    req->audit_verify->evaluation_id = 3;
    r = s_call(&c, req, c.admin_token);
    cr_assert_eq(r->status, KP_BAD_REQUEST);
    cr_assert(strstr(r->error, "either one evaluation or all"), "%s", r->error);
    /* and the server carries on */
    r = s_call(&c, s_list(&c, 0, 0, 0), c.admin_token);
    cr_assert_eq(r->status, KP_OK);
    cr_assert_eq(r->audit_list->n_events, 5);
}
