/*  rpc_score: individual scores (ScoreSet, ScoreList) and starting scoring
 *  (EvalStart).
 *
 *  Each evaluator (a team's lead or peer) has their own score per question:
 *  points (exact hundredths, 0..max) and a rationale. A write carries the
 *  version its writer last saw; a stale one is refused with CONFLICT and the
 *  current score in the reply. A ScoreSet of several questions (an imported
 *  sheet) is one change: all or nothing, one version, one audit event.
 *
 *  Blind scoring: while an evaluation with blind scoring is in draft or
 *  scoring, a team member sees only their own scores (admins see all); this
 *  module is where ScoreList applies it, and kp_score_blind_for() tells the
 *  other readers (snapshots, changes) the same rule.
 */
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "evaluation.h"
#include "identity.h"
#include "points.h"
#include "rpc.h"
#include "util.h"

const kp_stmt kp_score_stmts[] = {
    {"score_question", "SELECT q.id, (q.max * 100)::bigint FROM framework_questions q"
                       " WHERE q.framework_id = $1 AND q.code = $2"},
    {"score_current", "SELECT (s.points * 100)::bigint, s.rationale, s.version, w.login,"
                      " (extract(epoch FROM s.written_at) * 1000000)::bigint"
                      " FROM scores s JOIN users w ON w.id = s.written_by"
                      " WHERE s.evaluation_id = $1 AND s.question_id = $2 AND s.evaluator_id = $3"},
    {"score_put",
     "INSERT INTO scores (evaluation_id, question_id, evaluator_id, points, rationale, version,"
     " written_by) VALUES ($1, $2, $3, $4::numeric / 100, $5, $6, $7)"
     " ON CONFLICT (evaluation_id, question_id, evaluator_id) DO UPDATE SET"
     " points = EXCLUDED.points, rationale = EXCLUDED.rationale, version = EXCLUDED.version,"
     " written_by = EXCLUDED.written_by, written_at = now()"},
    {"score_submitted",
     "SELECT 1 FROM score_submissions WHERE evaluation_id = $1 AND evaluator_id = $2"},
    {"score_list",
     "SELECT a.number, q.code, q.text, (q.max * 100)::bigint, coalesce(u.login, ''),"
     " coalesce(u.full_name, ''), coalesce((s.points * 100)::bigint, 0),"
     " coalesce(s.rationale, ''), coalesce(s.version, 0), coalesce(w.login, ''),"
     " coalesce((extract(epoch FROM s.written_at) * 1000000)::bigint, 0)"
     " FROM framework_questions q JOIN framework_areas a ON a.id = q.area_id"
     " LEFT JOIN scores s ON s.question_id = q.id AND s.evaluation_id = $1"
     "  AND ($2::bigint IS NULL OR s.evaluator_id = $2)"
     " LEFT JOIN users u ON u.id = s.evaluator_id LEFT JOIN users w ON w.id = s.written_by"
     " WHERE q.framework_id = $3 AND ($4::int = 0 OR a.number = $4)"
     " ORDER BY a.number, q.position, u.login"},
    {"eval_blind",
     "SELECT e.blind AND e.status IN ('draft', 'scoring') FROM evaluations e WHERE e.id = $1"},
    {NULL, NULL},
};

int kp_score_blind_for(kp_req *r, int64_t eval_id, int *blind)
{
    *blind = 0;
    if (kp_is_admin(r)) return KP_OK;
    return kp_score_blind_phase(r, eval_id, blind);
}

int kp_score_blind_phase(kp_req *r, int64_t eval_id, int *blind)
{
    *blind = 0;
    PGresult *res;
    const char *p[1] = {kp_db_param_i64(r->arena, eval_id)};
    int rc = kp_req_call(r, "eval_blind", 1, p, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading the evaluation");
    *blind = PQntuples(res) > 0 && kp_db_bool(res, 0, 0);
    return KP_OK;
}

static int s_is_evaluator_role(const char *role)
{
    return strcmp(role, "lead") == 0 || strcmp(role, "peer") == 0;
}

typedef struct {
    int64_t question_id, max_centi;
    int exists;
    int64_t points, version, written_at;
    const char *rationale, *written_by;
} current;

static Kompass__V1__Score *s_score(kp_req *r, const char *question, const char *evaluator,
                                   int64_t points, const char *rationale, int64_t version,
                                   const char *written_by, int64_t written_at)
{
    Kompass__V1__Score *s = kp_arena_alloc(r->arena, sizeof *s);
    kompass__v1__score__init(s);
    s->question = (char *)question;
    s->evaluator = (char *)evaluator;
    s->points_centi = points;
    s->rationale = (char *)rationale;
    s->version = version;
    s->written_by = (char *)written_by;
    s->written_at_us = written_at;
    return s;
}

const char *kp_score_set_problem(kp_arena *arena, const Kompass__V1__ScoreSetRequest *in)
{
    size_t n = in->n_writes;
    if (n == 0) return "no scores given";
    if (n > 500) return "at most 500 scores at once";
    for (size_t i = 0; i < n; i++) {
        const Kompass__V1__ScoreWrite *w = in->writes[i];
        if (!*w->question) return "a score needs a question code";
        if (w->points_centi < 0)
            return kp_arena_printf(arena, "points for %s must not be negative", w->question);
        if (strlen(w->rationale) > 20000)
            return kp_arena_printf(arena,
                                   "the rationale for %s is longer than 20000 "
                                   "characters",
                                   w->question);
        if (w->expected_version < 0) return "expected_version must not be negative";
        for (size_t k = 0; k < i; k++)
            if (strcmp(in->writes[k]->question, w->question) == 0)
                return kp_arena_printf(arena, "question %s is given twice", w->question);
    }
    return NULL;
}

/* Whose scores a ScoreSet writes: the caller's, or (admins) the evaluator
 * named; an evaluator (lead or peer) of ev, in scoring, who has not
 * submitted. KP_OK with *evaluator, *evaluator_id, or r is failed. */
static int s_score_set_whose(kp_req *r, const Kompass__V1__ScoreSetRequest *in, const kp_eval *ev,
                             const char **evaluator, int64_t *evaluator_id)
{
    int rc = KP_OK;
    if (*in->on_behalf_of) {
        if (!kp_is_admin(r))
            return kp_req_fail(r, KP_DENIED,
                               "only an admin may write scores for another evaluator");
        *evaluator = in->on_behalf_of;
    }
    if (!s_is_evaluator_role(kp_eval_member_role(r, ev->id, *evaluator)))
        return kp_req_fail(
            r, KP_DENIED, "%s is not an evaluator (lead or peer) of evaluation %lld%s", *evaluator,
            (long long)ev->id, kp_is_admin(r) && !*in->on_behalf_of ? "; use --for LOGIN" : "");
    if (ev->state != KP_EVAL_SCORING)
        return kp_req_fail(r, KP_INVALID_STATE,
                           "individual scores are entered while the evaluation is in scoring; "
                           "evaluation %lld is in %s%s",
                           (long long)ev->id, kp_eval_state_name(ev->state),
                           ev->state == KP_EVAL_DRAFT ? " (start it: kompass eval start)" : "");
    PGresult *res;
    if (*evaluator != r->login) {
        kp_user_row u;
        rc = kp_identity_user_find(r, *evaluator, &u);
        if (rc == KP_OK)
            *evaluator_id = u.id;
        else if (rc == KP_NOT_FOUND) /* unreachable: not on the team (checked above) */
            *evaluator_id = 0, rc = KP_OK;
        else
            return kp_req_db_fail(r, rc, "reading a user");
    }
    const char *p[2] = {kp_db_param_i64(r->arena, ev->id),
                        kp_db_param_i64(r->arena, *evaluator_id)};
    rc = kp_req_call(r, "score_submitted", 2, p, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading submissions");
    if (PQntuples(res) > 0)
        rc = kp_req_fail(r, KP_INVALID_STATE,
                         "%s has submitted their scores for evaluation %lld; they can no "
                         "longer change",
                         *evaluator, (long long)ev->id);
    return rc;
}

/* Reads every written score's question and current state into cur; a
 * score whose version is not the one its writer saw goes into out, the
 * first of them as *stale's sentence. KP_OK (stale or not), or r is
 * failed. */
static int s_score_set_read(kp_req *r, const Kompass__V1__ScoreSetRequest *in, const kp_eval *ev,
                            const char *evaluator, int64_t evaluator_id, current *cur,
                            Kompass__V1__ScoreSetResponse *out, const char **stale)
{
    PGresult *res;
    for (size_t i = 0; i < in->n_writes; i++) {
        const Kompass__V1__ScoreWrite *w = in->writes[i];
        const char *p[2] = {kp_db_param_i64(r->arena, ev->framework_id), w->question};
        int rc = kp_db_call(r->db, "score_question", 2, p, &res);
        if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading a question");
        if (PQntuples(res) == 0) {
            PQclear(res);
            return kp_req_fail(r, KP_BAD_REQUEST, "question '%s' is not in framework %s",
                               w->question, ev->framework);
        }
        cur[i].question_id = kp_db_i64(res, 0, 0);
        cur[i].max_centi = kp_db_i64(res, 0, 1);
        PQclear(res);
        if (w->points_centi > cur[i].max_centi) {
            char a[24], b[24];
            return kp_req_fail(r, KP_BAD_REQUEST, "%s points exceed question %s's max of %s",
                               kp_points_format(w->points_centi, a), w->question,
                               kp_points_format(cur[i].max_centi, b));
        }
        const char *p2[3] = {kp_db_param_i64(r->arena, ev->id),
                             kp_db_param_i64(r->arena, cur[i].question_id),
                             kp_db_param_i64(r->arena, evaluator_id)};
        rc = kp_db_call(r->db, "score_current", 3, p2, &res);
        if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading a score");
        if (PQntuples(res) > 0) {
            cur[i].exists = 1;
            cur[i].points = kp_db_i64(res, 0, 0);
            cur[i].rationale = kp_db_str(r->arena, res, 0, 1);
            cur[i].version = kp_db_i64(res, 0, 2);
            cur[i].written_by = kp_db_str(r->arena, res, 0, 3);
            cur[i].written_at = kp_db_i64(res, 0, 4);
        } else {
            cur[i].rationale = cur[i].written_by = "";
        }
        PQclear(res);
        if (cur[i].version != w->expected_version) {
            out->scores[out->n_scores++] =
                s_score(r, w->question, evaluator, cur[i].points, cur[i].rationale, cur[i].version,
                        cur[i].written_by, cur[i].written_at);
            if (!*stale) {
                char a[24];
                *stale =
                    cur[i].exists
                        ? kp_arena_printf(r->arena,
                                          "score %s of %s changed since you read it (now %s, "
                                          "version %lld, written by %s)",
                                          w->question, evaluator,
                                          kp_points_format(cur[i].points, a),
                                          (long long)cur[i].version, cur[i].written_by)
                        : kp_arena_printf(r->arena,
                                          "score %s of %s does not exist (you sent version "
                                          "%lld)",
                                          w->question, evaluator, (long long)w->expected_version);
            }
        }
    }
    return KP_OK;
}

/* Writes every score at ev's (new) version, each into out and into the
 * audit event's before (what it replaced) and after. KP_OK, or r is
 * failed. */
static int s_score_set_write(kp_req *r, const Kompass__V1__ScoreSetRequest *in, const kp_eval *ev,
                             const char *evaluator, int64_t evaluator_id, const current *cur,
                             Kompass__V1__ScoreSetResponse *out, json_t *before, json_t *after)
{
    for (size_t i = 0; i < in->n_writes; i++) {
        const Kompass__V1__ScoreWrite *w = in->writes[i];
        char a[24];
        const char *p[7] = {kp_db_param_i64(r->arena, ev->id),
                            kp_db_param_i64(r->arena, cur[i].question_id),
                            kp_db_param_i64(r->arena, evaluator_id),
                            kp_db_param_i64(r->arena, w->points_centi),
                            w->rationale,
                            kp_db_param_i64(r->arena, ev->version),
                            kp_db_param_i64(r->arena, r->user_id)};
        int rc = kp_req_call(r, "score_put", 7, p, NULL);
        if (rc != KP_OK) return kp_req_db_fail(r, rc, "writing a score");
        if (cur[i].exists)
            json_object_set_new(before, w->question,
                                json_pack("{s:s,s:s}", "points", kp_points_format(cur[i].points, a),
                                          "rationale", cur[i].rationale));
        json_object_set_new(after, w->question,
                            json_pack("{s:s,s:s}", "points", kp_points_format(w->points_centi, a),
                                      "rationale", w->rationale));
        out->scores[out->n_scores++] = s_score(r, w->question, evaluator, w->points_centi,
                                               w->rationale, ev->version, r->login, kp_now_us());
    }
    return KP_OK;
}

int kp_rpc_score_set(kp_req *r)
{
    const Kompass__V1__ScoreSetRequest *in = r->msg->score_set;
    size_t n = in->n_writes;
    const char *problem = kp_score_set_problem(r->arena, in);
    if (problem) return kp_req_fail(r, KP_BAD_REQUEST, "%s", problem);

    int rc = kp_db_begin(r->db);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "writing scores");
    kp_eval ev;
    rc = kp_eval_begin_change(r, in->evaluation_id, 0, &ev);

    /* Whose scores: the caller's, or (admins) the evaluator named. */
    const char *evaluator = r->login;
    int64_t evaluator_id = r->user_id;
    if (rc == KP_OK) rc = s_score_set_whose(r, in, &ev, &evaluator, &evaluator_id);

    /* Read every score's current state; refuse the whole set if any is stale. */
    current *cur = kp_arena_zalloc(r->arena, sizeof *cur * n);
    Kompass__V1__ScoreSetResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__score_set_response__init(out);
    out->scores = kp_arena_alloc(r->arena, sizeof(void *) * n);
    const char *stale = NULL;
    if (rc == KP_OK) rc = s_score_set_read(r, in, &ev, evaluator, evaluator_id, cur, out, &stale);
    if (rc == KP_OK && stale) {
        kp_db_rollback(r->db);
        out->version = ev.version;
        r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_SCORE_SET;
        r->resp->score_set = out;
        return kp_req_fail(r, KP_CONFLICT, "%s%s; nothing was written", stale,
                           out->n_scores > 1 ? " (and others)" : "");
    }

    if (rc == KP_OK) rc = kp_eval_bump(r, &ev);
    json_t *before = kp_req_json(r, json_object()), *after = kp_req_json(r, json_object());
    if (rc == KP_OK)
        rc = s_score_set_write(r, in, &ev, evaluator, evaluator_id, cur, out, before, after);
    if (rc == KP_OK) {
        const char *target =
            n == 1 ? kp_arena_printf(r->arena, "score %s of evaluator %s", in->writes[0]->question,
                                     evaluator)
                   : kp_arena_printf(r->arena, "%zu scores of evaluator %s", n, evaluator);
        /* The evaluator travels in before/after so that readers can apply
         * blind scoring to the trail too. */
        json_t *b = json_object_size(before)
                        ? json_pack("{s:s,s:O}", "evaluator", evaluator, "scores", before)
                        : NULL;
        kp_audit_event a = {
            .evaluation_id = ev.id,
            .eval_version = ev.version,
            .action = "score.set",
            .target = target,
            /* an admin writing for an evaluator: the evaluator is the
             * actor, the admin the real actor */
            .on_behalf_id = evaluator_id != r->user_id ? evaluator_id : 0,
            .on_behalf_login = evaluator_id != r->user_id ? evaluator : NULL,
            .before = b ? kp_audit_json(r, b) : NULL,
            .after = kp_audit_json(
                r, kp_offline_after(json_pack("{s:s,s:O}", "evaluator", evaluator, "scores", after),
                                    in->offline))};
        rc = kp_audit_append(r, &a);
    }
    rc = kp_req_end_tx(r, rc, "writing scores");
    if (rc != KP_OK) return rc;
    out->version = ev.version;
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_SCORE_SET;
    r->resp->score_set = out;
    return KP_OK;
}

int kp_rpc_score_list(kp_req *r)
{
    const Kompass__V1__ScoreListRequest *in = r->msg->score_list;
    if (in->area < 0 || in->area > 99)
        return kp_req_fail(r, KP_BAD_REQUEST, "area must be 1 to 99 (or 0 for all)");
    kp_eval ev;
    int rc = kp_eval_get(r, in->evaluation_id, &ev);
    if (rc != KP_OK) return rc;
    int blind;
    rc = kp_score_blind_for(r, ev.id, &blind);
    if (rc != KP_OK) return rc;

    PGresult *res;
    const char *p[4] = {
        kp_db_param_i64(r->arena, ev.id), blind ? kp_db_param_i64(r->arena, r->user_id) : NULL,
        kp_db_param_i64(r->arena, ev.framework_id), kp_db_param_i64(r->arena, in->area)};
    rc = kp_req_call(r, "score_list", 4, p, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading scores");
    int rows = PQntuples(res);
    if (rows == 0 && in->area)
        return kp_req_fail(r, KP_NOT_FOUND, "framework %s has no area %d", ev.framework, in->area);
    Kompass__V1__ScoreListResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__score_list_response__init(out);
    out->version = ev.version;
    out->status = (char *)kp_eval_state_name(ev.state);
    out->blind = blind;
    out->you = (char *)(r->login ? r->login : "");
    out->practice = ev.practice;
    out->questions = kp_arena_alloc(r->arena, sizeof(void *) * ((size_t)rows + 1));
    Kompass__V1__QuestionScores *q = NULL;
    for (int i = 0; i < rows; i++) {
        const char *code = PQgetvalue(res, i, 1);
        if (!q || strcmp(q->question, code) != 0) {
            q = kp_arena_alloc(r->arena, sizeof *q);
            kompass__v1__question_scores__init(q);
            q->area = (int32_t)kp_db_i64(res, i, 0);
            q->question = kp_db_str(r->arena, res, i, 1);
            q->text = kp_db_str(r->arena, res, i, 2);
            q->max_centi = kp_db_i64(res, i, 3);
            q->scores = kp_arena_alloc(r->arena, sizeof(void *) * (size_t)rows);
            out->questions[out->n_questions++] = q;
        }
        if (PQgetisnull(res, i, 4) || !*PQgetvalue(res, i, 4)) continue; /* no score */
        Kompass__V1__Score *s =
            s_score(r, q->question, kp_db_str(r->arena, res, i, 4), kp_db_i64(res, i, 6),
                    kp_db_str(r->arena, res, i, 7), kp_db_i64(res, i, 8),
                    kp_db_str(r->arena, res, i, 9), kp_db_i64(res, i, 10));
        s->evaluator_name = kp_db_str(r->arena, res, i, 5);
        q->scores[q->n_scores++] = s;
    }
    rc = kp_eval_evaluators(r, ev.id, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading the team");
    out->n_evaluators = (size_t)PQntuples(res);
    out->evaluators = kp_arena_alloc(r->arena, sizeof(char *) * (out->n_evaluators + 1));
    for (size_t i = 0; i < out->n_evaluators; i++)
        out->evaluators[i] = kp_db_str(r->arena, res, (int)i, 1);
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_SCORE_LIST;
    r->resp->score_list = out;
    return KP_OK;
}
