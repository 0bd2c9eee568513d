/*  rpc_calibration: CalibrationCreate, CalibrationShow, CalibrationStats and
 *  the results of an exercise (calibration.h).
 *
 *  The key is the consensus of the signed revision, read from its stored
 *  canonical content (evaluation_revisions.content, docs/signoff.md): what
 *  was signed, whatever happened to the evaluation since. The team's
 *  rationales are its evaluators' individual ones (those never change after
 *  their submission) and the consensus reason where the consensus is still
 *  the one signed.
 */
#include "calibration.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "agreement.h"
#include "audit.h"
#include "evaluation.h"
#include "rpc.h"

#define FURTHEST 5 /* how many of the questions furthest off the results name */

const kp_stmt kp_calibration_stmts[] = {
    {"cal_source",
     "SELECT e.status, coalesce(e.source, ''), e.practice, e.revision, m.name || ' ' || e.label,"
     " e.label, e.period, e.ordinal, e.municipality_id, e.framework_id,"
     " EXISTS (SELECT 1 FROM evaluation_revisions v WHERE v.evaluation_id = e.id"
     "  AND v.revision = e.revision)"
     " FROM evaluations e JOIN municipalities m ON m.id = e.municipality_id"
     " WHERE e.id = $1 FOR SHARE OF e"},
    {"cal_trainee", "SELECT id, login, full_name, role, active FROM users WHERE login = $1"},
    {"cal_member", "SELECT role FROM evaluation_members WHERE evaluation_id = $1 AND user_id = $2"},
    {"cal_taken", "SELECT practice_id FROM calibrations WHERE source_id = $1 AND trainee_id = $2"},
    {"cal_next", "SELECT nextval('calibrations_id_seq')"},
    {"cal_eval",
     "INSERT INTO evaluations (municipality_id, framework_id, label, period, ordinal, status,"
     " created_by, practice) VALUES ($1, $2, $3, $4, $5, 'scoring', $6, true) RETURNING id"},
    {"cal_member_put", "INSERT INTO evaluation_members (evaluation_id, user_id, role, added_by)"
                       " VALUES ($1, $2, 'peer', $3)"},
    {"cal_put", "INSERT INTO calibrations (id, practice_id, source_id, source_revision, trainee_id,"
                " created_by) VALUES ($1, $2, $3, $4, $5, $6)"},
    {"cal_questions_count", "SELECT count(*) FROM framework_questions WHERE framework_id = $1"},
    {"cal_get",
     "SELECT c.id, c.practice_id, u.login, u.full_name, c.source_id, m.name || ' ' || s.label,"
     " c.source_revision, f.code, (extract(epoch FROM c.created_at) * 1000000)::bigint,"
     " (SELECT (extract(epoch FROM x.submitted_at) * 1000000)::bigint FROM score_submissions x"
     "  WHERE x.evaluation_id = c.practice_id AND x.evaluator_id = c.trainee_id),"
     " v.content, s.framework_id, c.trainee_id"
     " FROM calibrations c JOIN users u ON u.id = c.trainee_id"
     " JOIN evaluations s ON s.id = c.source_id"
     " JOIN municipalities m ON m.id = s.municipality_id JOIN frameworks f ON f.id = s.framework_id"
     " JOIN evaluation_revisions v ON v.evaluation_id = c.source_id"
     "  AND v.revision = c.source_revision"
     " WHERE c.practice_id = $1"},
    /* per question: the trainee's points ($2 in practice evaluation $1), the
     * source's ($3) consensus as it is now (its reason is shown only where
     * it still is the one signed) */
    {"cal_questions",
     "SELECT a.number, q.id, q.code, q.text, (q.max * 100)::bigint, (s.points * 100)::bigint,"
     " (c.points * 100)::bigint, coalesce(c.reason, '')"
     " FROM framework_questions q JOIN framework_areas a ON a.id = q.area_id"
     " LEFT JOIN scores s ON s.evaluation_id = $1 AND s.question_id = q.id AND s.evaluator_id = $2"
     " LEFT JOIN consensus_scores c ON c.evaluation_id = $3 AND c.question_id = q.id"
     " WHERE q.framework_id = $4 ORDER BY a.number, q.position"},
    {"cal_team_points",
     "SELECT s.question_id, u.login, (s.points * 100)::bigint, s.rationale FROM scores s"
     " JOIN users u ON u.id = s.evaluator_id"
     " JOIN evaluation_members x ON x.evaluation_id = s.evaluation_id"
     "  AND x.user_id = s.evaluator_id AND x.role IN ('lead', 'peer')"
     " WHERE s.evaluation_id = $1 ORDER BY s.question_id, u.login"},
    {"cal_list", "SELECT c.practice_id FROM calibrations c JOIN users u ON u.id = c.trainee_id"
                 " WHERE $1::text IS NULL OR u.login = $1 ORDER BY u.login, c.created_at, c.id"},
    {NULL, NULL},
};

/* ---------------------------------------------------------------- results */

/* |difference| as a share of the max: how far off a question is. */
static double s_off(const Kompass__V1__CalibrationQuestion *q)
{
    int64_t d = q->difference_centi < 0 ? -q->difference_centi : q->difference_centi;
    return q->max_centi ? (double)d / (double)q->max_centi : 0;
}

int kp_calibration_result(kp_req *r, int64_t practice_id, int with_questions,
                          Kompass__V1__CalibrationResult **out)
{
    PGresult *res;
    const char *p[1] = {kp_db_param_i64(r->arena, practice_id)};
    int rc = kp_req_call(r, "cal_get", 1, p, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading the calibration exercise");
    if (PQntuples(res) == 0) {
        return kp_req_fail(r, KP_NOT_FOUND, "evaluation %lld is not a calibration exercise",
                           (long long)practice_id);
    }
    Kompass__V1__CalibrationResult *c = kp_arena_alloc(r->arena, sizeof *c);
    kompass__v1__calibration_result__init(c);
    c->calibration_id = kp_db_i64(res, 0, 0);
    c->practice_id = kp_db_i64(res, 0, 1);
    c->trainee = kp_db_str(r->arena, res, 0, 2);
    c->trainee_name = kp_db_str(r->arena, res, 0, 3);
    c->source_id = kp_db_i64(res, 0, 4);
    c->source = kp_db_str(r->arena, res, 0, 5);
    c->source_revision = (int32_t)kp_db_i64(res, 0, 6);
    c->framework = kp_db_str(r->arena, res, 0, 7);
    c->created_at_us = kp_db_i64(res, 0, 8);
    c->submitted = !PQgetisnull(res, 0, 9);
    c->submitted_at_us = kp_db_i64(res, 0, 9);
    json_t *content = kp_req_json(r, json_loads(PQgetvalue(res, 0, 10), 0, NULL));
    const char *framework_id = kp_db_str(r->arena, res, 0, 11);
    const char *trainee_id = kp_db_str(r->arena, res, 0, 12);
    *out = c;
    /* Before the submission nothing of the key is shown: it would be the
     * answer sheet. */
    if (!c->submitted) {
        return KP_OK;
    }
    json_t *signed_scores = json_object_get(content, "scores");

    const char *q[4] = {p[0], trainee_id, kp_db_param_i64(r->arena, c->source_id), framework_id};
    rc = kp_req_call(r, "cal_questions", 4, q, &res);
    if (rc != KP_OK) {
        return kp_req_db_fail(r, rc, "reading the scores");
    }
    size_t n = (size_t)PQntuples(res);
    Kompass__V1__CalibrationQuestion **qs = kp_arena_alloc(r->arena, sizeof(void *) * (n + 1));
    int64_t *ids = kp_arena_alloc(r->arena, sizeof(int64_t) * (n + 1));
    int64_t *m = kp_arena_alloc(r->arena, sizeof(int64_t) * (2 * n + 1));
    for (size_t i = 0; i < n; i++) {
        int k = (int)i;
        Kompass__V1__CalibrationQuestion *cq = kp_arena_alloc(r->arena, sizeof *cq);
        kompass__v1__calibration_question__init(cq);
        cq->area = (int32_t)kp_db_i64(res, k, 0);
        ids[i] = kp_db_i64(res, k, 1);
        cq->question = kp_db_str(r->arena, res, k, 2);
        cq->text = kp_db_str(r->arena, res, k, 3);
        cq->max_centi = kp_db_i64(res, k, 4);
        cq->has_trainee = !PQgetisnull(res, k, 5);
        cq->trainee_centi = kp_db_i64(res, k, 5);
        json_t *sc = json_object_get(json_object_get(signed_scores, cq->question), "points_centi");
        cq->has_consensus = json_is_integer(sc);
        cq->consensus_centi = json_is_integer(sc) ? (int64_t)json_integer_value(sc) : 0;
        /* the reason given for the consensus, if it is still the one signed */
        if (cq->has_consensus && !PQgetisnull(res, k, 6) &&
            kp_db_i64(res, k, 6) == cq->consensus_centi)
            cq->consensus_reason = kp_db_str(r->arena, res, k, 7);
        if (cq->has_trainee && cq->has_consensus)
            cq->difference_centi = cq->trainee_centi - cq->consensus_centi;
        cq->team = kp_arena_alloc(r->arena, sizeof(void *) * 9);
        m[2 * i] = cq->has_trainee ? cq->trainee_centi : KP_AGREEMENT_MISSING;
        m[2 * i + 1] = cq->has_consensus ? cq->consensus_centi : KP_AGREEMENT_MISSING;
        qs[i] = cq;
    }

    /* the trainee and the consensus as the two raters */
    kp_agreement_input in = {.units = n, .raters = 2, .values = m};
    kp_agreement_result ar;
    kp_agreement_compute(&in, &ar);
    c->agreement = kp_agreement_figures(r, &ar);

    /* the questions furthest off: by |difference| / max, framework order among equals */
    size_t *order = kp_arena_alloc(r->arena, sizeof(size_t) * (n + 1));
    size_t no = 0;
    for (size_t i = 0; i < n; i++)
        if (qs[i]->has_trainee && qs[i]->has_consensus && qs[i]->difference_centi) order[no++] = i;
    for (size_t i = 1; i < no; i++)
        for (size_t j = i; j > 0 && s_off(qs[order[j]]) > s_off(qs[order[j - 1]]); j--) {
            size_t x = order[j];
            order[j] = order[j - 1];
            order[j - 1] = x;
        }
    if (no > FURTHEST) no = FURTHEST;
    c->furthest = kp_arena_alloc(r->arena, sizeof(char *) * (no + 1));
    for (size_t i = 0; i < no; i++)
        c->furthest[c->n_furthest++] = qs[order[i]]->question;
    if (!with_questions) return KP_OK;

    /* the team's own points and rationales, for every question */
    const char *t[1] = {kp_db_param_i64(r->arena, c->source_id)};
    rc = kp_req_call(r, "cal_team_points", 1, t, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading the team's scores");
    for (int k = 0; k < PQntuples(res); k++) {
        int64_t qid = kp_db_i64(res, k, 0);
        for (size_t i = 0; i < n; i++) {
            if (ids[i] != qid || qs[i]->n_team >= 8) continue;
            Kompass__V1__EvaluatorPoints *ep = kp_arena_alloc(r->arena, sizeof *ep);
            kompass__v1__evaluator_points__init(ep);
            ep->evaluator = kp_db_str(r->arena, res, k, 1);
            ep->points_centi = kp_db_i64(res, k, 2);
            ep->rationale = kp_db_str(r->arena, res, k, 3);
            qs[i]->team[qs[i]->n_team++] = ep;
        }
    }
    c->questions = qs;
    c->n_questions = n;
    return KP_OK;
}

/* ---------------------------------------------------------------- create */

/* What an exercise copies of its source evaluation (cal_source). */
typedef struct {
    kp_eval_state state;
    const char *source, *name, *label, *period, *ordinal, *mid, *fid;
    int revision;
} cal_source;

/* The source: signed, made in Kompass, not itself an exercise, with its
 * signed revision recorded. KP_OK with *src, or r is failed. */
static int s_cal_source(kp_req *r, const Kompass__V1__CalibrationCreateRequest *in, const char *sid,
                        cal_source *src)
{
    PGresult *res = NULL;
    const char *p1[1] = {sid};
    int rc = kp_req_call(r, "cal_source", 1, p1, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading the evaluation");
    if (PQntuples(res) == 0) {
        rc = kp_req_fail(r, KP_NOT_FOUND, "no evaluation '%lld'", (long long)in->evaluation_id);
    } else {
        int known = kp_eval_state_parse(PQgetvalue(res, 0, 0), &src->state) == 0;
        src->source = kp_db_str(r->arena, res, 0, 1);
        int practice = kp_db_bool(res, 0, 2);
        src->revision = (int)kp_db_i64(res, 0, 3);
        src->name = kp_db_str(r->arena, res, 0, 4);
        src->label = kp_db_str(r->arena, res, 0, 5);
        src->period = kp_db_str(r->arena, res, 0, 6);
        src->ordinal = kp_db_str(r->arena, res, 0, 7);
        src->mid = kp_db_str(r->arena, res, 0, 8);
        src->fid = kp_db_str(r->arena, res, 0, 9);
        int recorded = kp_db_bool(res, 0, 10);
        if (practice)
            rc = kp_req_fail(r, KP_INVALID_STATE,
                             "evaluation %lld is itself a calibration exercise (övning); "
                             "calibrate against the signed evaluation it was copied from",
                             (long long)in->evaluation_id);
        else if (*src->source)
            rc = kp_req_fail(r, KP_INVALID_STATE,
                             "evaluation %lld (%s) was imported from a published report: it "
                             "has no evidence log and no individual scores to practise on",
                             (long long)in->evaluation_id, src->name);
        else if (!known || src->state != KP_EVAL_SIGNED)
            rc = kp_req_fail(r, KP_INVALID_STATE,
                             "evaluation %lld (%s) is in %s: a trainee is calibrated "
                             "against a signed consensus",
                             (long long)in->evaluation_id, src->name, PQgetvalue(res, 0, 0));
        else if (!recorded)
            rc = kp_req_fail(r, KP_INVALID_STATE,
                             "evaluation %lld has no record of its signed revision %d",
                             (long long)in->evaluation_id, src->revision);
    }
    return rc;
}

/* The trainee: an active evaluator who has not seen this consensus (not on
 * the source's team, no exercise on it yet). KP_OK with *tid and *tlogin,
 * or r is failed. */
static int s_cal_trainee(kp_req *r, const Kompass__V1__CalibrationCreateRequest *in,
                         const char *sid, int64_t *tid, const char **tlogin)
{
    PGresult *res = NULL;
    const char *p[1] = {in->trainee};
    int rc = kp_req_call(r, "cal_trainee", 1, p, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading the trainee");
    if (PQntuples(res) == 0)
        rc = kp_req_fail(r, KP_NOT_FOUND, "no user '%.40s' (see kompass user list)", in->trainee);
    else if (strcmp(PQgetvalue(res, 0, 3), "evaluator") != 0)
        rc = kp_req_fail(r, KP_BAD_REQUEST, "%s is an %s: calibration exercises are for evaluators",
                         PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 3));
    else if (!kp_db_bool(res, 0, 4))
        rc = kp_req_fail(r, KP_INVALID_STATE, "user %s is disabled", PQgetvalue(res, 0, 1));
    else {
        *tid = kp_db_i64(res, 0, 0);
        *tlogin = kp_db_str(r->arena, res, 0, 1);
    }
    if (rc != KP_OK) return rc;

    const char *pm[2] = {sid, kp_db_param_i64(r->arena, *tid)};
    rc = kp_req_call(r, "cal_member", 2, pm, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading the team");
    if (PQntuples(res))
        rc = kp_req_fail(r, KP_CONFLICT,
                         "%s was %s of evaluation %lld and knows its scores: calibrate "
                         "against an evaluation they have not worked on",
                         *tlogin, PQgetvalue(res, 0, 0), (long long)in->evaluation_id);
    if (rc != KP_OK) return rc;

    rc = kp_req_call(r, "cal_taken", 2, pm, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading the calibration exercises");
    if (PQntuples(res))
        rc = kp_req_fail(r, KP_CONFLICT,
                         "%s has practised on evaluation %lld already (exercise: "
                         "evaluation %s): once seen, its consensus trains no more",
                         *tlogin, (long long)in->evaluation_id, PQgetvalue(res, 0, 0));
    return rc;
}

int kp_rpc_calibration_create(kp_req *r)
{
    const Kompass__V1__CalibrationCreateRequest *in = r->msg->calibration_create;
    if (in->evaluation_id <= 0)
        return kp_req_fail(r, KP_BAD_REQUEST, "which signed evaluation? (an evaluation id)");
    if (!*in->trainee)
        return kp_req_fail(r, KP_BAD_REQUEST, "for whom? (--for LOGIN, the new peer evaluator)");
    int rc = kp_db_begin(r->db);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "making a calibration exercise");
    PGresult *res = NULL;
    const char *sid = kp_db_param_i64(r->arena, in->evaluation_id);
    cal_source src = {KP_EVAL_DRAFT, "", "", "", "", "", "", "", 0};
    rc = s_cal_source(r, in, sid, &src);
    const char *name = src.name, *label = src.label, *period = src.period, *ordinal = src.ordinal,
               *mid = src.mid, *fid = src.fid;
    int revision = src.revision;
    int64_t tid = 0;
    const char *tlogin = in->trainee;
    if (rc == KP_OK) rc = s_cal_trainee(r, in, sid, &tid, &tlogin);
    /* the practice copy: same municipality, framework and period, the
     * source's ordinal (it is not a round of its own), in scoring */
    int64_t cid = 0, pid = 0;
    if (rc == KP_OK) {
        rc = kp_req_call(r, "cal_next", 0, NULL, &res);
        if (rc == KP_OK) {
            cid = kp_db_i64(res, 0, 0);
        } else {
            rc = kp_req_db_fail(r, rc, "making a calibration exercise");
        }
    }
    const char *plabel = "";
    if (rc == KP_OK) {
        plabel = kp_arena_printf(r->arena, "%s övning %lld", label, (long long)cid);
        if (strlen(plabel) > 40) plabel = kp_arena_printf(r->arena, "övning %lld", (long long)cid);
        const char *p[6] = {mid,    fid,     plabel,
                            period, ordinal, kp_db_param_i64(r->arena, r->user_id)};
        rc = kp_req_call(r, "cal_eval", 6, p, &res);
        if (rc == KP_OK) {
            pid = kp_db_i64(res, 0, 0);
        } else {
            rc = rc == KP_CONFLICT
                     ? kp_req_fail(r, KP_CONFLICT, "%s already has an evaluation labelled '%s'",
                                   name, plabel)
                     : kp_req_db_fail(r, rc, "making the practice copy");
        }
    }
    if (rc == KP_OK) {
        const char *p[3] = {kp_db_param_i64(r->arena, pid), kp_db_param_i64(r->arena, tid),
                            kp_db_param_i64(r->arena, r->user_id)};
        rc = kp_req_call(r, "cal_member_put", 3, p, NULL);
        if (rc != KP_OK) rc = kp_req_db_fail(r, rc, "making the trainee its evaluator");
    }
    if (rc == KP_OK) {
        const char *p[6] = {kp_db_param_i64(r->arena, cid),
                            kp_db_param_i64(r->arena, pid),
                            sid,
                            kp_db_param_i64(r->arena, revision),
                            kp_db_param_i64(r->arena, tid),
                            kp_db_param_i64(r->arena, r->user_id)};
        rc = kp_req_call(r, "cal_put", 6, p, NULL);
        if (rc != KP_OK) rc = kp_req_db_fail(r, rc, "recording the calibration exercise");
    }
    int copied = 0, questions = 0;
    if (rc == KP_OK) rc = kp_evidence_copy(r, in->evaluation_id, pid, &copied);
    if (rc == KP_OK) {
        const char *p[1] = {fid};
        rc = kp_req_call(r, "cal_questions_count", 1, p, &res);
        if (rc == KP_OK) {
            questions = (int)kp_db_i64(res, 0, 0);
        } else {
            rc = kp_req_db_fail(r, rc, "reading the framework");
        }
    }
    if (rc == KP_OK) {
        kp_audit_event e = {
            .evaluation_id = pid,
            .eval_version = 1,
            .action = "calibration.create",
            .target = kp_arena_printf(r->arena, "calibration exercise %lld for %s", (long long)cid,
                                      tlogin),
            .after = kp_audit_json(r, json_pack("{s:I,s:s,s:I,s:i,s:s,s:s,s:i,s:s}", "calibration",
                                                (json_int_t)cid, "label", plabel, "source",
                                                (json_int_t)in->evaluation_id, "source_revision",
                                                revision, "trainee", tlogin, "status",
                                                kp_eval_state_name(KP_EVAL_SCORING), "evidence",
                                                copied, "practice", "övning"))};
        rc = kp_audit_append(r, &e);
    }
    rc = kp_req_end_tx(r, rc, "making a calibration exercise");
    if (rc != KP_OK) return rc;
    Kompass__V1__CalibrationCreateResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__calibration_create_response__init(out);
    out->practice_id = pid;
    out->calibration_id = cid;
    out->label = (char *)plabel;
    out->evidence = copied;
    out->questions = questions;
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_CALIBRATION_CREATE;
    r->resp->calibration_create = out;
    return KP_OK;
}

/* ---------------------------------------------------------------- show, stats */

int kp_rpc_calibration_show(kp_req *r)
{
    kp_eval ev;
    int rc = kp_eval_get(r, r->msg->calibration_show->evaluation_id, &ev);
    if (rc != KP_OK) return rc;
    if (!ev.practice)
        return kp_req_fail(r, KP_BAD_REQUEST,
                           "evaluation %lld (%s %s) is not a calibration exercise (kompass "
                           "calibrate ID --for LOGIN makes one)",
                           (long long)ev.id, ev.municipality, ev.label);
    Kompass__V1__CalibrationShowResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__calibration_show_response__init(out);
    rc = kp_calibration_result(r, ev.id, 1, &out->result);
    if (rc != KP_OK) return rc;
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_CALIBRATION_SHOW;
    r->resp->calibration_show = out;
    return KP_OK;
}

int kp_rpc_calibration_stats(kp_req *r)
{
    const Kompass__V1__CalibrationStatsRequest *in = r->msg->calibration_stats;
    PGresult *res;
    if (*in->trainee) {
        const char *p[1] = {in->trainee};
        int rc = kp_req_call(r, "cal_trainee", 1, p, &res);
        if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading the trainee");
        int found = PQntuples(res) > 0;
        if (!found)
            return kp_req_fail(r, KP_NOT_FOUND, "no user '%.40s' (see kompass user list)",
                               in->trainee);
    }
    const char *p[1] = {*in->trainee ? in->trainee : NULL};
    int rc = kp_req_call(r, "cal_list", 1, p, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading the calibration exercises");
    size_t n = (size_t)PQntuples(res);
    int64_t *ids = kp_arena_alloc(r->arena, sizeof(int64_t) * (n + 1));
    for (size_t i = 0; i < n; i++)
        ids[i] = kp_db_i64(res, (int)i, 0);
    Kompass__V1__CalibrationStatsResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__calibration_stats_response__init(out);
    out->results = kp_arena_alloc(r->arena, sizeof(void *) * (n + 1));
    for (size_t i = 0; i < n; i++) {
        rc = kp_calibration_result(r, ids[i], 0, &out->results[out->n_results]);
        if (rc != KP_OK) return rc;
        out->n_results++;
    }
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_CALIBRATION_STATS;
    r->resp->calibration_stats = out;
    return KP_OK;
}
