/*  rpc_consensus: Submit, ConsensusShow/Question/Set/Auto/Threshold,
 *  TextApprove (see consensus.h and proto/kompass.proto); the arithmetic is
 *  common/consensus_math.c's, the moves of status lifecycle.c's.
 *
 *  Blind scoring ends when the last evaluator submits: the evaluation moves
 *  to consensus and the team sees every score. Consensus values carry a
 *  version like scores do; a value outside the evaluators' range needs a
 *  reason; the automatic merge never settles a major disagreement.
 */
#include "consensus.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "calibration.h"
#include "comment.h"
#include "consensus_math.h"
#include "identity.h"
#include "points.h"
#include "rpc.h"
#include "signoff.h"
#include "util.h"

const kp_stmt kp_consensus_stmts[] = {
    {"cons_eval", "SELECT major_spread_pct::float8 FROM evaluations WHERE id = $1"},
    {"cons_rows",
     "SELECT a.number, q.code, q.text, (q.max * 100)::bigint, q.id, (c.points * 100)::bigint,"
     " coalesce(c.method, ''), coalesce(c.reason, ''), coalesce(c.version, 0),"
     " coalesce(w.login, ''), coalesce((extract(epoch FROM c.written_at) * 1000000)::bigint, 0)"
     " FROM framework_questions q JOIN framework_areas a ON a.id = q.area_id"
     " LEFT JOIN consensus_scores c ON c.question_id = q.id AND c.evaluation_id = $1"
     " LEFT JOIN users w ON w.id = c.written_by"
     " WHERE q.framework_id = $2 ORDER BY a.number, q.position"},
    {"cons_points",
     "SELECT s.question_id, u.login, (s.points * 100)::bigint, s.rationale FROM scores s"
     " JOIN users u ON u.id = s.evaluator_id"
     " JOIN evaluation_members x ON x.evaluation_id = s.evaluation_id"
     "  AND x.user_id = s.evaluator_id AND x.role IN ('lead', 'peer')"
     " WHERE s.evaluation_id = $1 ORDER BY s.question_id, u.login"},
    {"cons_team", "SELECT u.login, x.role FROM evaluation_members x"
                  " JOIN users u ON u.id = x.user_id"
                  " WHERE x.evaluation_id = $1 AND x.role IN ('lead', 'peer') ORDER BY u.login"},
    {"cons_put",
     "INSERT INTO consensus_scores (evaluation_id, question_id, points, method, reason, version,"
     " written_by) VALUES ($1, $2, $3::numeric / 100, $4, $5, $6, $7)"
     " ON CONFLICT (evaluation_id, question_id) DO UPDATE SET points = EXCLUDED.points,"
     " method = EXCLUDED.method, reason = EXCLUDED.reason, version = EXCLUDED.version,"
     " written_by = EXCLUDED.written_by, written_at = now()"},
    {"cons_threshold", "UPDATE evaluations SET major_spread_pct = $2::numeric WHERE id = $1"},
    {"sub_missing", "SELECT q.code FROM framework_questions q"
                    " JOIN framework_areas a ON a.id = q.area_id WHERE q.framework_id = $2"
                    " AND NOT EXISTS (SELECT 1 FROM scores s WHERE s.evaluation_id = $1"
                    "  AND s.question_id = q.id AND s.evaluator_id = $3)"
                    " ORDER BY a.number, q.position"},
    {"sub_put", "INSERT INTO score_submissions (evaluation_id, evaluator_id) VALUES ($1, $2)"
                " ON CONFLICT DO NOTHING RETURNING 1"},
    {"sub_waiting", "SELECT u.login FROM evaluation_members x JOIN users u ON u.id = x.user_id"
                    " WHERE x.evaluation_id = $1 AND x.role IN ('lead', 'peer')"
                    " AND NOT EXISTS (SELECT 1 FROM score_submissions s"
                    "  WHERE s.evaluation_id = $1 AND s.evaluator_id = x.user_id)"
                    " ORDER BY u.login"},
    {"appr_area", "SELECT a.title, coalesce((SELECT t.content #>> '{}' FROM area_texts t"
                  "  WHERE t.evaluation_id = $1 AND t.area_number = a.number"
                  "  AND t.section = 'summary'), '')"
                  " FROM framework_areas a WHERE a.framework_id = $2 AND a.number = $3"},
    {"appr_put", "INSERT INTO area_approvals (evaluation_id, area_number, approved_by, version)"
                 " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING 1"},
    {"appr_by", "SELECT u.login FROM area_approvals p JOIN users u ON u.id = p.approved_by"
                " WHERE p.evaluation_id = $1 AND p.area_number = $2"},
    {"appr_withdraw", "DELETE FROM area_approvals WHERE evaluation_id = $1 AND area_number = $2"
                      " RETURNING approved_by"},
    /* four eyes: who wrote an area's sections, and who on the team did not */
    /* the latest signed evaluation of evaluation $1's municipality before it
     * (not a calibration exercise), and its consensus on question $3 when on
     * the same framework $2 */
    {"cq_previous",
     "SELECT e.id, e.label, f.code, e.framework_id = $2, (c.points * 100)::bigint,"
     " coalesce(c.method, ''), coalesce(c.reason, '')"
     " FROM evaluations e JOIN frameworks f ON f.id = e.framework_id"
     " JOIN evaluations cur ON cur.id = $1 AND cur.municipality_id = e.municipality_id"
     " LEFT JOIN framework_questions q ON q.framework_id = e.framework_id AND q.code = $3"
     "  AND e.framework_id = $2"
     " LEFT JOIN consensus_scores c ON c.evaluation_id = e.id AND c.question_id = q.id"
     " WHERE e.status = 'signed' AND NOT e.practice AND e.id <> cur.id"
     "  AND (e.ordinal, e.id) < (cur.ordinal, cur.id)"
     " ORDER BY e.ordinal DESC, e.id DESC LIMIT 1"},
    {"appr_writers",
     "SELECT u.login, string_agg(w.section, ', ' ORDER BY"
     "  array_position(ARRAY['summary', 'strengths', 'improvements'], w.section))"
     " FROM area_text_writers w JOIN users u ON u.id = w.user_id"
     " WHERE w.evaluation_id = $1 AND w.area_number = $2 GROUP BY u.login ORDER BY u.login"},
    {"appr_eligible",
     "SELECT u.login, x.role FROM evaluation_members x JOIN users u ON u.id = x.user_id"
     " WHERE x.evaluation_id = $1 AND x.role IN ('lead', 'peer') AND NOT EXISTS ("
     "  SELECT 1 FROM area_text_writers w WHERE w.evaluation_id = $1 AND w.area_number = $2"
     "  AND w.user_id = x.user_id)"
     " ORDER BY x.role, u.login"},
    {NULL, NULL},
};

/* ---------------------------------------------------------------- the rows */

typedef struct {
    Kompass__V1__ConsensusRow *row;
    int64_t question_id;
    int64_t lead_points; /* -1: the lead has not scored it */
} s_row;

typedef struct {
    double major_pct;
    size_t nrows;
    s_row *rows;
    size_t nteam;
    const char **team; /* logins, sorted */
    int resolved;
} s_table;

/* The evaluators' points of row into pts (room for the team); how many. */
static size_t s_points(const Kompass__V1__ConsensusRow *row, int64_t *pts)
{
    for (size_t j = 0; j < row->n_points; j++)
        pts[j] = row->points[j]->points_centi;
    return row->n_points;
}

static int s_load(kp_req *r, const kp_eval *ev, s_table *t)
{
    memset(t, 0, sizeof *t);
    PGresult *res;
    const char *p[2] = {kp_db_param_i64(r->arena, ev->id),
                        kp_db_param_i64(r->arena, ev->framework_id)};
    int rc = kp_req_call(r, "cons_eval", 1, p, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading the evaluation");
    t->major_pct = strtod(PQgetvalue(res, 0, 0), NULL);

    rc = kp_req_call(r, "cons_team", 1, p, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading the team");
    t->nteam = (size_t)PQntuples(res);
    t->team = kp_arena_alloc(r->arena, sizeof(char *) * (t->nteam + 1));
    const char *lead = "";
    for (size_t i = 0; i < t->nteam; i++) {
        t->team[i] = kp_db_str(r->arena, res, (int)i, 0);
        if (strcmp(PQgetvalue(res, (int)i, 1), "lead") == 0) lead = t->team[i];
    }

    rc = kp_req_call(r, "cons_rows", 2, p, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading consensus scores");
    t->nrows = (size_t)PQntuples(res);
    t->rows = kp_arena_zalloc(r->arena, sizeof *t->rows * (t->nrows + 1));
    for (size_t i = 0; i < t->nrows; i++) {
        int k = (int)i;
        Kompass__V1__ConsensusRow *row = kp_arena_alloc(r->arena, sizeof *row);
        kompass__v1__consensus_row__init(row);
        row->area = (int32_t)kp_db_i64(res, k, 0);
        row->question = kp_db_str(r->arena, res, k, 1);
        row->text = kp_db_str(r->arena, res, k, 2);
        row->max_centi = kp_db_i64(res, k, 3);
        t->rows[i].question_id = kp_db_i64(res, k, 4);
        t->rows[i].lead_points = -1;
        row->has_consensus = !PQgetisnull(res, k, 5);
        if (row->has_consensus) {
            row->consensus_centi = kp_db_i64(res, k, 5);
            t->resolved++;
        }
        row->method = kp_db_str(r->arena, res, k, 6);
        row->reason = kp_db_str(r->arena, res, k, 7);
        row->version = kp_db_i64(res, k, 8);
        row->written_by = kp_db_str(r->arena, res, k, 9);
        row->written_at_us = kp_db_i64(res, k, 10);
        row->points = kp_arena_alloc(r->arena, sizeof(void *) * (t->nteam + 1));
        t->rows[i].row = row;
    }

    rc = kp_req_call(r, "cons_points", 1, p, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading scores");
    for (int k = 0; k < PQntuples(res); k++) {
        int64_t qid = kp_db_i64(res, k, 0);
        size_t at = 0;
        while (at < t->nrows && t->rows[at].question_id != qid)
            at++;
        if (at == t->nrows) continue; /* not a question of this framework */
        Kompass__V1__ConsensusRow *row = t->rows[at].row;
        if (row->n_points >= t->nteam) continue;
        Kompass__V1__EvaluatorPoints *ep = kp_arena_alloc(r->arena, sizeof *ep);
        kompass__v1__evaluator_points__init(ep);
        ep->evaluator = kp_db_str(r->arena, res, k, 1);
        ep->points_centi = kp_db_i64(res, k, 2);
        ep->rationale = kp_db_str(r->arena, res, k, 3);
        row->points[row->n_points++] = ep;
        if (*lead && strcmp(ep->evaluator, lead) == 0) t->rows[at].lead_points = ep->points_centi;
    }

    int64_t *pts = kp_arena_alloc(r->arena, sizeof(int64_t) * (t->nteam + 1));
    for (size_t i = 0; i < t->nrows; i++) {
        Kompass__V1__ConsensusRow *row = t->rows[i].row;
        if (s_points(row, pts) == 0) continue;
        int64_t lo, hi;
        row->spread_centi = kp_consensus_range(pts, row->n_points, &lo, &hi);
        row->spread_share = kp_consensus_share(row->spread_centi, row->max_centi);
        row->flag = row->n_points >= 2
                        ? (char *)kp_consensus_flag(row->spread_centi, row->max_centi, t->major_pct)
                        : "";
        row->has_proposed = 1;
        row->proposed_centi = kp_consensus_median(pts, row->n_points);
    }
    return KP_OK;
}

/* The agreement of the table's independent scores: questions x evaluators. */
static Kompass__V1__AgreementFigures *s_agreement(kp_req *r, const s_table *t)
{
    size_t units = t->nrows, raters = t->nteam;
    int64_t *m = kp_arena_alloc(r->arena, sizeof(int64_t) * (units * raters + 1));
    for (size_t i = 0; i < units * raters; i++)
        m[i] = KP_AGREEMENT_MISSING;
    for (size_t u = 0; u < units; u++) {
        const Kompass__V1__ConsensusRow *row = t->rows[u].row;
        for (size_t j = 0; j < row->n_points; j++)
            for (size_t k = 0; k < raters; k++)
                if (strcmp(row->points[j]->evaluator, t->team[k]) == 0)
                    m[u * raters + k] = row->points[j]->points_centi;
    }
    kp_agreement_input in = {.units = units, .raters = raters, .values = m};
    kp_agreement_result res;
    kp_agreement_compute(&in, &res);
    return kp_agreement_figures(r, &res);
}

/* Each row's thread: open or resolved, its comments, how many are new to
 * r's user. */
static int s_threads_into(kp_req *r, const kp_eval *ev, s_table *t)
{
    kp_comment_summary *sum;
    size_t n;
    int rc = kp_comment_summaries(r, ev->id, &sum, &n);
    if (rc != KP_OK) return rc;
    for (size_t k = 0; k < n; k++)
        for (size_t i = 0; i < t->nrows; i++)
            if (t->rows[i].question_id == sum[k].question_id) {
                t->rows[i].row->thread = (char *)sum[k].status;
                t->rows[i].row->comments = sum[k].comments;
                t->rows[i].row->new_comments = sum[k].unread;
            }
    return KP_OK;
}

/* ---------------------------------------------------------------- waiting */

static int s_logins(kp_req *r, const char *stmt, int64_t eval_id, char ***out, size_t *n)
{
    PGresult *res;
    const char *p[1] = {kp_db_param_i64(r->arena, eval_id)};
    int rc = kp_req_call(r, stmt, 1, p, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading the team");
    *n = (size_t)PQntuples(res);
    *out = kp_arena_alloc(r->arena, sizeof(char *) * (*n + 1));
    for (size_t i = 0; i < *n; i++)
        (*out)[i] = kp_db_str(r->arena, res, (int)i, 0);
    return KP_OK;
}

int kp_consensus_waiting(kp_req *r, int64_t eval_id, char ***out, size_t *n)
{
    return s_logins(r, "sub_waiting", eval_id, out, n);
}

/* ---------------------------------------------------------------- Submit */

/* The questions of ev flagged major, the largest spread (share of the max)
 * first, then in framework order. */
static int s_majors(kp_req *r, const kp_eval *ev, char ***out, size_t *n)
{
    s_table t;
    int rc = s_load(r, ev, &t);
    if (rc != KP_OK) return rc;
    size_t *at = kp_arena_alloc(r->arena, sizeof(size_t) * (t.nrows + 1));
    double *share = kp_arena_alloc(r->arena, sizeof(double) * (t.nrows + 1));
    *n = 0;
    for (size_t i = 0; i < t.nrows; i++) {
        share[i] = t.rows[i].row->spread_share;
        if (!strcmp(t.rows[i].row->flag, "major")) at[(*n)++] = i;
    }
    kp_consensus_order_by_share(at, *n, share); /* framework order among equals */
    *out = kp_arena_alloc(r->arena, sizeof(char *) * (*n + 1));
    for (size_t i = 0; i < *n; i++)
        (*out)[i] = t.rows[at[i]].row->question;
    return KP_OK;
}

int kp_rpc_submit(kp_req *r)
{
    const Kompass__V1__SubmitRequest *in = r->msg->submit;
    Kompass__V1__SubmitResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__submit_response__init(out);
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_SUBMIT;
    r->resp->submit = out;

    int rc = kp_db_begin(r->db);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "submitting scores");
    kp_eval ev;
    rc = kp_eval_begin_change(r, in->evaluation_id, 0, &ev);
    const char *evaluator = r->login;
    int64_t evaluator_id = r->user_id;
    PGresult *res;
    if (rc == KP_OK && *in->on_behalf_of) {
        if (!kp_is_admin(r)) {
            rc = kp_req_fail(r, KP_DENIED, "only an admin may submit for another evaluator");
        } else {
            kp_user_row u;
            rc = kp_identity_user_find(r, in->on_behalf_of, &u);
            if (rc == KP_NOT_FOUND)
                rc = kp_req_fail(r, KP_NOT_FOUND, "no user %s", in->on_behalf_of);
            else if (rc != KP_OK)
                rc = kp_req_db_fail(r, rc, "reading a user");
            else
                evaluator_id = u.id;
            if (rc == KP_OK || rc == KP_NOT_FOUND) evaluator = in->on_behalf_of;
        }
    }
    const char *role = rc == KP_OK ? kp_eval_member_role(r, ev.id, evaluator) : "";
    if (rc == KP_OK && strcmp(role, "lead") != 0 && strcmp(role, "peer") != 0)
        rc = kp_req_fail(r, KP_DENIED, "%s is not an evaluator (lead or peer) of evaluation %lld%s",
                         evaluator, (long long)ev.id,
                         kp_is_admin(r) && !*in->on_behalf_of ? "; use --for LOGIN" : "");
    if (rc == KP_OK && ev.state != KP_EVAL_SCORING)
        rc = kp_req_fail(r, KP_INVALID_STATE,
                         "scores are submitted while the evaluation is in scoring; evaluation "
                         "%lld is in %s",
                         (long long)ev.id, kp_eval_state_name(ev.state));
    if (rc == KP_OK) {
        const char *p[3] = {kp_db_param_i64(r->arena, ev.id),
                            kp_db_param_i64(r->arena, ev.framework_id),
                            kp_db_param_i64(r->arena, evaluator_id)};
        rc = kp_req_call(r, "sub_missing", 3, p, &res);
        if (rc != KP_OK) {
            rc = kp_req_db_fail(r, rc, "reading scores");
        } else {
            size_t n = (size_t)PQntuples(res);
            if (n) {
                out->n_missing = n;
                out->missing = kp_arena_alloc(r->arena, sizeof(char *) * n);
                for (size_t i = 0; i < n; i++)
                    out->missing[i] = kp_db_str(r->arena, res, (int)i, 0);
                rc = kp_req_fail(r, KP_INVALID_STATE,
                                 "%s has not scored %zu question%s yet: %s; nothing was submitted",
                                 evaluator, n, n == 1 ? "" : "s",
                                 kp_arena_join(r->arena, out->missing, n, ", ", 12));
            }
        }
    }
    if (rc == KP_OK) {
        const char *p[2] = {kp_db_param_i64(r->arena, ev.id),
                            kp_db_param_i64(r->arena, evaluator_id)};
        rc = kp_req_call(r, "sub_put", 2, p, &res);
        if (rc != KP_OK) {
            rc = kp_req_db_fail(r, rc, "submitting scores");
        } else {
            if (PQntuples(res) == 0)
                rc =
                    kp_req_fail(r, KP_CONFLICT, "%s has already submitted their scores", evaluator);
        }
    }
    char **waiting = NULL;
    size_t nwaiting = 0;
    if (rc == KP_OK) rc = s_logins(r, "sub_waiting", ev.id, &waiting, &nwaiting);
    if (rc == KP_OK) rc = kp_eval_bump(r, &ev);
    json_t *after = kp_req_json(r, json_pack("{s:s}", "evaluator", evaluator));
    if (rc == KP_OK && nwaiting == 0) {
        rc = kp_eval_transition(r, &ev, KP_EVAL_CONSENSUS, "changing the evaluation's status");
        json_object_set_new(after, "status", json_string(kp_eval_state_name(KP_EVAL_CONSENSUS)));
        /* where the meeting starts: the major disagreements, in the reply
         * and (for watch) in the event */
        if (rc == KP_OK) rc = s_majors(r, &ev, &out->major, &out->n_major);
        json_t *major = json_array();
        for (size_t i = 0; i < out->n_major; i++)
            json_array_append_new(major, json_string(out->major[i]));
        json_object_set_new(after, "major", major);
        if (ev.practice) json_object_set_new(after, "practice", json_true());
    }
    if (rc == KP_OK) {
        kp_audit_event a = {.evaluation_id = ev.id,
                            .eval_version = ev.version,
                            .action = "score.submit",
                            .target =
                                kp_arena_printf(r->arena, "scores of evaluator %s", evaluator),
                            .on_behalf_id = evaluator_id != r->user_id ? evaluator_id : 0,
                            .on_behalf_login = evaluator_id != r->user_id ? evaluator : NULL,
                            .after = kp_audit_json(r, json_incref(after))};
        rc = kp_audit_append(r, &a);
    }
    rc = kp_req_end_tx(r, rc, "submitting scores");
    if (rc != KP_OK) return rc;
    out->version = ev.version;
    out->status = (char *)kp_eval_state_name(ev.state);
    out->waiting_for = waiting;
    out->n_waiting_for = nwaiting;
    /* a calibration exercise ends here: the trainee's results */
    if (ev.practice && nwaiting == 0) return kp_calibration_result(r, ev.id, 1, &out->calibration);
    return KP_OK;
}

/* ---------------------------------------------------------------- ConsensusShow */

/* Blind scoring hides the others' scores: no consensus view until it ends. */
static int s_not_blind(kp_req *r, const kp_eval *ev)
{
    int blind;
    int rc = kp_score_blind_for(r, ev->id, &blind);
    if (rc != KP_OK) return rc;
    if (blind)
        return kp_req_fail(r, KP_INVALID_STATE,
                           "evaluation %lld is in %s with blind scoring: the evaluators' scores "
                           "are compared once every evaluator has submitted (kompass submit)",
                           (long long)ev->id, kp_eval_state_name(ev->state));
    return KP_OK;
}

int kp_rpc_consensus_show(kp_req *r)
{
    kp_eval ev;
    int rc = kp_eval_get(r, r->msg->consensus_show->evaluation_id, &ev);
    if (rc == KP_OK) rc = s_not_blind(r, &ev);
    if (rc != KP_OK) return rc;
    s_table t = {0};
    rc = s_load(r, &ev, &t);
    if (rc == KP_OK) rc = s_threads_into(r, &ev, &t);
    if (rc != KP_OK) return rc;
    Kompass__V1__ConsensusShowResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__consensus_show_response__init(out);
    out->version = ev.version;
    out->status = (char *)kp_eval_state_name(ev.state);
    out->evaluators = (char **)t.team;
    out->n_evaluators = t.nteam;
    out->n_rows = t.nrows;
    out->rows = kp_arena_alloc(r->arena, sizeof(void *) * (t.nrows + 1));
    for (size_t i = 0; i < t.nrows; i++)
        out->rows[i] = t.rows[i].row;
    out->agreement = s_agreement(r, &t);
    out->major_spread_pct = t.major_pct;
    out->resolved = t.resolved;
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_CONSENSUS_SHOW;
    r->resp->consensus_show = out;
    return KP_OK;
}

/* ---------------------------------------------------------------- ConsensusQuestion */

int kp_rpc_consensus_question(kp_req *r)
{
    const Kompass__V1__ConsensusQuestionRequest *in = r->msg->consensus_question;
    if (!*in->question) return kp_req_fail(r, KP_BAD_REQUEST, "which question? (--question CODE)");
    kp_eval ev;
    int rc = kp_eval_get(r, in->evaluation_id, &ev);
    if (rc == KP_OK) rc = s_not_blind(r, &ev);
    if (rc != KP_OK) return rc;
    s_table t = {0};
    rc = s_load(r, &ev, &t);
    if (rc != KP_OK) return rc;
    s_row *row = NULL;
    for (size_t i = 0; i < t.nrows; i++)
        if (strcmp(t.rows[i].row->question, in->question) == 0) row = &t.rows[i];
    if (!row)
        return kp_req_fail(r, KP_BAD_REQUEST, "question '%.40s' is not in framework %s",
                           in->question, ev.framework);
    Kompass__V1__ConsensusQuestionResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__consensus_question_response__init(out);
    out->version = ev.version;
    out->status = (char *)kp_eval_state_name(ev.state);
    out->row = row->row;
    out->major_spread_pct = t.major_pct;
    out->evaluators = (char **)t.team;
    out->n_evaluators = t.nteam;
    rc = kp_evidence_of_question(r, ev.id, row->question_id, &out->evidence, &out->n_evidence);
    /* the thread, whole; reading it here counts as having read it */
    if (rc == KP_OK) rc = kp_comment_thread(r, &ev, row->question_id, &out->thread);
    if (rc != KP_OK) return rc;
    if (out->thread) {
        row->row->thread = out->thread->status;
        row->row->comments = out->thread->count;
        row->row->new_comments = out->thread->new_count;
    }
    /* the municipality's previous round (signed, not an exercise); an
     * exercise has none: its "previous" would be the key itself */
    if (ev.practice) {
        r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_CONSENSUS_QUESTION;
        r->resp->consensus_question = out;
        return KP_OK;
    }
    PGresult *res;
    const char *p[3] = {kp_db_param_i64(r->arena, ev.id),
                        kp_db_param_i64(r->arena, ev.framework_id), row->row->question};
    rc = kp_req_call(r, "cq_previous", 3, p, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading the previous round");
    if (PQntuples(res)) {
        Kompass__V1__PreviousConsensus *pv = kp_arena_alloc(r->arena, sizeof *pv);
        kompass__v1__previous_consensus__init(pv);
        pv->evaluation_id = kp_db_i64(res, 0, 0);
        pv->label = kp_db_str(r->arena, res, 0, 1);
        pv->framework = kp_db_str(r->arena, res, 0, 2);
        pv->same_framework = kp_db_bool(res, 0, 3);
        pv->has_points = pv->same_framework && !PQgetisnull(res, 0, 4);
        if (pv->has_points) {
            pv->points_centi = kp_db_i64(res, 0, 4);
            pv->method = kp_db_str(r->arena, res, 0, 5);
            pv->reason = kp_db_str(r->arena, res, 0, 6);
        }
        out->previous = pv;
    }
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_CONSENSUS_QUESTION;
    r->resp->consensus_question = out;
    return KP_OK;
}

/* ---------------------------------------------------------------- writers */

/* The consensus phase: where consensus values and approvals are written. */
static int s_in_consensus(kp_req *r, const kp_eval *ev, const char *what)
{
    if (ev->practice)
        return kp_req_fail(r, KP_INVALID_STATE,
                           "evaluation %lld is a calibration exercise (övning): it has no "
                           "consensus of its own; its trainee's scores are compared with the "
                           "signed one (kompass calibrate result %lld)",
                           (long long)ev->id, (long long)ev->id);
    if (ev->state == KP_EVAL_CONSENSUS || ev->state == KP_EVAL_REVIEW ||
        ev->state == KP_EVAL_REOPENED)
        return KP_OK;
    return kp_req_fail(r, KP_INVALID_STATE,
                       "%s once every evaluator has submitted (status consensus, review or "
                       "reopened); evaluation %lld is in %s",
                       what, (long long)ev->id, kp_eval_state_name(ev->state));
}

static int s_put(kp_req *r, const kp_eval *ev, int64_t question_id, int64_t points,
                 const char *method, const char *reason)
{
    const char *p[7] = {kp_db_param_i64(r->arena, ev->id),
                        kp_db_param_i64(r->arena, question_id),
                        kp_db_param_i64(r->arena, points),
                        method,
                        reason,
                        kp_db_param_i64(r->arena, ev->version),
                        kp_db_param_i64(r->arena, r->user_id)};
    int rc = kp_req_call(r, "cons_put", 7, p, NULL);
    return rc == KP_OK ? KP_OK : kp_req_db_fail(r, rc, "writing a consensus score");
}

int kp_rpc_consensus_set(kp_req *r)
{
    const Kompass__V1__ConsensusSetRequest *in = r->msg->consensus_set;
    Kompass__V1__ConsensusSetResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__consensus_set_response__init(out);
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_CONSENSUS_SET;
    r->resp->consensus_set = out;
    if (!*in->question) return kp_req_fail(r, KP_BAD_REQUEST, "a consensus score needs a question");
    if (in->points_centi < 0)
        return kp_req_fail(r, KP_BAD_REQUEST, "points for %s must not be negative", in->question);
    if (in->expected_version < 0)
        return kp_req_fail(r, KP_BAD_REQUEST, "expected_version must not be negative");
    if (strlen(in->reason) > 2000)
        return kp_req_fail(r, KP_BAD_REQUEST, "the reason is longer than 2000 bytes");

    int rc = kp_db_begin(r->db);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "setting a consensus score");
    kp_eval ev;
    s_table t = {0};
    rc = kp_eval_begin_change(r, in->evaluation_id, 0, &ev);
    if (rc == KP_OK) rc = s_in_consensus(r, &ev, "consensus scores are set");
    if (rc == KP_OK) rc = s_load(r, &ev, &t);
    s_row *row = NULL;
    for (size_t i = 0; rc == KP_OK && i < t.nrows; i++)
        if (strcmp(t.rows[i].row->question, in->question) == 0) row = &t.rows[i];
    if (rc == KP_OK && !row)
        rc = kp_req_fail(r, KP_BAD_REQUEST, "question '%s' is not in framework %s", in->question,
                         ev.framework);
    char a[24], b[24], c[24];
    if (rc == KP_OK && in->points_centi > row->row->max_centi)
        rc = kp_req_fail(r, KP_BAD_REQUEST, "%s points exceed question %s's max of %s",
                         kp_points_format(in->points_centi, a), in->question,
                         kp_points_format(row->row->max_centi, b));
    if (rc == KP_OK && row->row->version != in->expected_version) {
        out->row = row->row;
        out->version = ev.version;
        rc = row->row->has_consensus
                 ? kp_req_fail(r, KP_CONFLICT,
                               "the consensus score of %s changed since you read it (now %s, "
                               "version %lld, set by %s); nothing was written",
                               in->question, kp_points_format(row->row->consensus_centi, a),
                               (long long)row->row->version, row->row->written_by)
                 : kp_req_fail(r, KP_CONFLICT,
                               "question %s has no consensus score (you sent version %lld); "
                               "nothing was written",
                               in->question, (long long)in->expected_version);
    }
    /* Outside the evaluators' range: say why. */
    int64_t lo = -1, hi = -1;
    int64_t *pts = kp_arena_alloc(r->arena, sizeof(int64_t) * (t.nteam + 1));
    if (rc == KP_OK && s_points(row->row, pts) > 0)
        kp_consensus_range(pts, row->row->n_points, &lo, &hi);
    int outside = rc == KP_OK && lo >= 0 && (in->points_centi < lo || in->points_centi > hi);
    if (outside && !*in->reason)
        rc = kp_req_fail(r, KP_BAD_REQUEST,
                         "%s is outside the evaluators' range for %s (%s to %s): give a reason "
                         "(--reason)",
                         kp_points_format(in->points_centi, a), in->question,
                         kp_points_format(lo, b), kp_points_format(hi, c));
    if (rc == KP_OK) rc = kp_eval_bump(r, &ev);
    if (rc == KP_OK) rc = s_put(r, &ev, row->question_id, in->points_centi, "set", in->reason);
    json_t *after = NULL;
    if (rc == KP_OK) {
        after = kp_req_json(r, json_pack("{s:s,s:s}", "question", in->question, "points",
                                         kp_points_format(in->points_centi, a)));
        rc = kp_eval_advance(r, &ev, after, NULL);
    }
    if (rc == KP_OK) {
        const char *before =
            row->row->has_consensus
                ? kp_audit_json(r, json_pack("{s:s,s:s}", "points",
                                             kp_points_format(row->row->consensus_centi, b),
                                             "method", row->row->method))
                : NULL;
        kp_audit_event e = {.evaluation_id = ev.id,
                            .eval_version = ev.version,
                            .action = "consensus.set",
                            .target = kp_arena_printf(r->arena, "consensus score %s", in->question),
                            .before = before,
                            .after = kp_audit_json(r, json_incref(after)),
                            .reason = in->reason};
        rc = kp_audit_append(r, &e);
    }
    rc = kp_req_end_tx(r, rc, "setting a consensus score");
    if (rc != KP_OK) return rc;
    row->row->has_consensus = 1;
    row->row->consensus_centi = in->points_centi;
    row->row->method = "set";
    row->row->reason = in->reason;
    row->row->version = ev.version;
    row->row->written_by = (char *)r->login;
    out->row = row->row;
    out->version = ev.version;
    out->status = (char *)kp_eval_state_name(ev.state);
    return KP_OK;
}

/* Why `consensus auto` leaves row as it is (NULL: it merges it). */
static const char *s_auto_skip(kp_req *r, const s_table *t, const s_row *row, double limit,
                               kp_consensus_strategy how)
{
    const Kompass__V1__ConsensusRow *c = row->row;
    kp_consensus_question q = {.evaluators = t->nteam,
                               .scored = c->n_points,
                               .spread_centi = c->spread_centi,
                               .max_centi = c->max_centi,
                               .lead_centi = row->lead_points};
    switch (kp_consensus_may_merge(&q, t->major_pct, limit, how)) {
    case KP_MERGE_INCOMPLETE:
        return kp_arena_printf(r->arena, "scored by %zu of %zu evaluators", c->n_points, t->nteam);
    case KP_MERGE_MAJOR:
        return "major disagreement: settle it by hand (kompass consensus set)";
    case KP_MERGE_ABOVE_LIMIT:
        return kp_arena_printf(r->arena, "spread %.0f %% of the max is above %.0f %%",
                               c->spread_share * 100.0, limit);
    case KP_MERGE_NO_LEAD:
        return "the lead has not scored it";
    case KP_MERGE_OK:
        break;
    }
    return NULL;
}

int kp_rpc_consensus_auto(kp_req *r)
{
    const Kompass__V1__ConsensusAutoRequest *in = r->msg->consensus_auto;
    const char *strategy = in->strategy;
    kp_consensus_strategy how;
    if (kp_consensus_strategy_parse(strategy, &how) != 0)
        return kp_req_fail(r, KP_BAD_REQUEST, "strategy must be mean, median or lead (not '%.40s')",
                           strategy);
    if (!(in->max_spread_pct >= 0 && in->max_spread_pct <= 100))
        return kp_req_fail(r, KP_BAD_REQUEST, "max spread must be 0 to 100 (%%)");
    if (in->expected_version < 0)
        return kp_req_fail(r, KP_BAD_REQUEST, "expected_version must not be negative");

    int rc = kp_db_begin(r->db);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "merging consensus scores");
    kp_eval ev;
    s_table t = {0};
    rc = kp_eval_begin_change(r, in->evaluation_id, 0, &ev);
    if (rc == KP_OK) rc = s_in_consensus(r, &ev, "consensus scores are merged");
    if (rc == KP_OK && in->expected_version && in->expected_version != ev.version)
        rc = kp_req_fail(r, KP_CONFLICT,
                         "evaluation %lld changed since you read it (version %lld, you saw %lld); "
                         "nothing was written",
                         (long long)ev.id, (long long)ev.version, (long long)in->expected_version);
    if (rc == KP_OK) rc = s_load(r, &ev, &t);
    /* The threshold: the caller's, never beyond the evaluation's major one. */
    double limit = kp_consensus_limit(rc == KP_OK ? t.major_pct : 0, in->max_spread_pct);

    Kompass__V1__ConsensusAutoResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__consensus_auto_response__init(out);
    out->set = kp_arena_alloc(r->arena, sizeof(void *) * (t.nrows + 1));
    out->skipped = kp_arena_alloc(r->arena, sizeof(void *) * (t.nrows + 1));
    if (rc == KP_OK) rc = kp_eval_bump(r, &ev);
    json_t *set = json_object();
    int64_t *pts = kp_arena_alloc(r->arena, sizeof(int64_t) * (t.nteam + 1));
    for (size_t i = 0; rc == KP_OK && i < t.nrows; i++) {
        Kompass__V1__ConsensusRow *row = t.rows[i].row;
        if (row->has_consensus) continue; /* never overwrites a value set */
        const char *why = s_auto_skip(r, &t, &t.rows[i], limit, how);
        if (why) {
            Kompass__V1__ConsensusSkip *s = kp_arena_alloc(r->arena, sizeof *s);
            kompass__v1__consensus_skip__init(s);
            s->question = row->question;
            s->why = (char *)why;
            out->skipped[out->n_skipped++] = s;
            continue;
        }
        int64_t v = kp_consensus_merge(how, pts, s_points(row, pts), t.rows[i].lead_points);
        rc = s_put(r, &ev, t.rows[i].question_id, v, strategy, "");
        char a[24];
        json_object_set_new(set, row->question, json_string(kp_points_format(v, a)));
        row->has_consensus = 1;
        row->consensus_centi = v;
        row->method = (char *)strategy;
        row->version = ev.version;
        row->written_by = (char *)r->login;
        out->set[out->n_set++] = row;
    }
    json_t *after = kp_req_json(
        r, json_pack("{s:s,s:f,s:o}", "strategy", strategy, "max_spread_pct", limit, "set", set));
    if (rc == KP_OK && out->n_set == 0)
        rc = kp_req_fail(r, KP_INVALID_STATE,
                         "nothing to merge: %zu question%s skipped, the others already have a "
                         "consensus score",
                         out->n_skipped, out->n_skipped == 1 ? "" : "s");
    if (rc == KP_OK) rc = kp_eval_advance(r, &ev, after, NULL);
    if (rc == KP_OK) {
        kp_audit_event e = {
            .evaluation_id = ev.id,
            .eval_version = ev.version,
            .action = "consensus.auto",
            .target = kp_arena_printf(r->arena, "%zu consensus scores (%s)", out->n_set, strategy),
            .after = kp_audit_json(r, json_incref(after))};
        rc = kp_audit_append(r, &e);
    }
    rc = kp_req_end_tx(r, rc, "merging consensus scores");
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_CONSENSUS_AUTO;
    r->resp->consensus_auto = out;
    if (rc != KP_OK) return rc;
    out->version = ev.version;
    out->status = (char *)kp_eval_state_name(ev.state);
    return KP_OK;
}

int kp_rpc_consensus_threshold(kp_req *r)
{
    const Kompass__V1__ConsensusThresholdRequest *in = r->msg->consensus_threshold;
    double pct = in->major_spread_pct;
    if (!(pct > 0 && pct <= 100))
        return kp_req_fail(r, KP_BAD_REQUEST,
                           "the major threshold must be above 0 and at most "
                           "100 (%% of a question's max)");
    pct = round(pct * 100) / 100;
    int rc = kp_db_begin(r->db);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "setting the threshold");
    kp_eval ev;
    s_table t = {0};
    rc = kp_eval_begin_change(r, in->evaluation_id, 0, &ev);
    if (rc == KP_OK) rc = s_load(r, &ev, &t);
    if (rc == KP_OK) rc = kp_eval_bump(r, &ev);
    if (rc == KP_OK) {
        char v[32];
        snprintf(v, sizeof v, "%.2f", pct);
        const char *p[2] = {kp_db_param_i64(r->arena, ev.id), v};
        rc = kp_req_call(r, "cons_threshold", 2, p, NULL);
        if (rc != KP_OK) rc = kp_req_db_fail(r, rc, "setting the threshold");
    }
    if (rc == KP_OK) {
        kp_audit_event e = {
            .evaluation_id = ev.id,
            .eval_version = ev.version,
            .action = "consensus.threshold",
            .target = "major disagreement threshold",
            .before = kp_audit_json(r, json_pack("{s:f}", "major_spread_pct", t.major_pct)),
            .after = kp_audit_json(r, json_pack("{s:f}", "major_spread_pct", pct))};
        rc = kp_audit_append(r, &e);
    }
    rc = kp_req_end_tx(r, rc, "setting the threshold");
    if (rc != KP_OK) return rc;
    Kompass__V1__ConsensusThresholdResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__consensus_threshold_response__init(out);
    out->version = ev.version;
    out->major_spread_pct = pct;
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_CONSENSUS_THRESHOLD;
    r->resp->consensus_threshold = out;
    return KP_OK;
}

/* ---------------------------------------------------------------- TextApprove */

/* Four eyes: nobody approves an area's texts who wrote any of its sections
 * (any version of them); the refusal says who may. Admins included. */
static int s_four_eyes(kp_req *r, const kp_eval *ev, int area)
{
    PGresult *res;
    const char *p[2] = {kp_db_param_i64(r->arena, ev->id), kp_db_param_i64(r->arena, area)};
    int rc = kp_req_call(r, "appr_writers", 2, p, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading who wrote the texts");
    int n = PQntuples(res), wrote = 0;
    char **writers = kp_arena_alloc(r->arena, sizeof(char *) * ((size_t)n + 1));
    for (int i = 0; i < n; i++) {
        writers[i] =
            kp_arena_printf(r->arena, "%s (%s)", PQgetvalue(res, i, 0), PQgetvalue(res, i, 1));
        if (strcmp(PQgetvalue(res, i, 0), r->login) == 0) wrote = 1;
    }
    if (!wrote) return KP_OK;
    rc = kp_req_call(r, "appr_eligible", 2, p, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading the team");
    int m = PQntuples(res);
    char **may = kp_arena_alloc(r->arena, sizeof(char *) * ((size_t)m + 2));
    for (int i = 0; i < m; i++)
        may[i] = kp_arena_printf(r->arena, "%s (%s)", PQgetvalue(res, i, 0), PQgetvalue(res, i, 1));
    may[m] = "an SKL admin who wrote none of them";
    return kp_req_fail(r, KP_DENIED,
                       "area %d's texts were written by %s: four eyes, so they are approved by "
                       "someone who wrote none of them: %s; nothing was approved",
                       area, kp_arena_join(r->arena, writers, (size_t)n, ", ", 20),
                       kp_arena_join(r->arena, may, (size_t)m + 1, " or ", 20));
}

int kp_rpc_text_approve(kp_req *r)
{
    const Kompass__V1__TextApproveRequest *in = r->msg->text_approve;
    if (in->area < 1 || in->area > 99)
        return kp_req_fail(r, KP_BAD_REQUEST, "area must be 1 to 99");
    int rc = kp_db_begin(r->db);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "approving texts");
    kp_eval ev;
    PGresult *res;
    rc = kp_eval_begin_change(r, in->evaluation_id, 0, &ev);
    if (rc == KP_OK) rc = s_in_consensus(r, &ev, "texts are approved");
    const char *title = "";
    if (rc == KP_OK) {
        const char *p[3] = {kp_db_param_i64(r->arena, ev.id),
                            kp_db_param_i64(r->arena, ev.framework_id),
                            kp_db_param_i64(r->arena, in->area)};
        rc = kp_req_call(r, "appr_area", 3, p, &res);
        if (rc != KP_OK) {
            rc = kp_req_db_fail(r, rc, "reading the area");
        } else {
            if (PQntuples(res) == 0)
                rc = kp_req_fail(r, KP_NOT_FOUND, "framework %s has no area %d", ev.framework,
                                 in->area);
            else if (!*PQgetvalue(res, 0, 1))
                rc = kp_req_fail(r, KP_INVALID_STATE,
                                 "area %d has no summary yet: there is nothing to approve",
                                 in->area);
            else
                title = kp_db_str(r->arena, res, 0, 0);
        }
    }
    if (rc == KP_OK) rc = s_four_eyes(r, &ev, in->area);
    if (rc == KP_OK) rc = kp_eval_bump(r, &ev);
    if (rc == KP_OK) {
        const char *p[4] = {kp_db_param_i64(r->arena, ev.id), kp_db_param_i64(r->arena, in->area),
                            kp_db_param_i64(r->arena, r->user_id),
                            kp_db_param_i64(r->arena, ev.version)};
        rc = kp_req_call(r, "appr_put", 4, p, &res);
        if (rc != KP_OK) {
            rc = kp_req_db_fail(r, rc, "approving texts");
        } else {
            int fresh = PQntuples(res) > 0;
            if (!fresh) {
                const char *q[2] = {p[0], p[1]};
                const char *by = "someone";
                if (kp_req_call(r, "appr_by", 2, q, &res) == KP_OK) {
                    if (PQntuples(res)) by = kp_db_str(r->arena, res, 0, 0);
                }
                rc = kp_req_fail(r, KP_CONFLICT, "area %d's texts are already approved (by %s)",
                                 in->area, by);
            }
        }
    }
    json_t *after = kp_req_json(r, json_pack("{s:i,s:s}", "area", in->area, "title", title));
    kp_eval_progress c = {0};
    if (rc == KP_OK) rc = kp_eval_advance(r, &ev, after, &c);
    if (rc == KP_OK) {
        kp_audit_event e = {.evaluation_id = ev.id,
                            .eval_version = ev.version,
                            .action = "text.approve",
                            .target = kp_arena_printf(r->arena, "texts of area %d", in->area),
                            .after = kp_audit_json(r, json_incref(after))};
        rc = kp_audit_append(r, &e);
    }
    rc = kp_req_end_tx(r, rc, "approving texts");
    if (rc != KP_OK) return rc;
    Kompass__V1__TextApproveResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__text_approve_response__init(out);
    out->version = ev.version;
    out->status = (char *)kp_eval_state_name(ev.state);
    out->approved_areas = (int32_t)c.approved;
    out->areas = (int32_t)c.areas;
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_TEXT_APPROVE;
    r->resp->text_approve = out;
    return KP_OK;
}

int kp_consensus_withdraw_approval(kp_req *r, kp_eval *ev, int area, json_t *after)
{
    PGresult *res;
    const char *p[2] = {kp_db_param_i64(r->arena, ev->id), kp_db_param_i64(r->arena, area)};
    int rc = kp_req_call(r, "appr_withdraw", 2, p, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "withdrawing an approval");
    if (PQntuples(res)) json_object_set_new(after, "approval_withdrawn", json_true());
    if (ev->state == KP_EVAL_DRAFT || ev->state == KP_EVAL_SCORING) return KP_OK;
    return kp_eval_advance(r, ev, after, NULL);
}
