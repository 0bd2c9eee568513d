/*  lifecycle: the states of an evaluation and the moves between them
 *  (lifecycle.h, docs/signoff.md).
 *
 *  Below the handlers: it knows the evaluation row, the database and which
 *  threads are open (comment.c), nothing of any RPC. The only writer of
 *  evaluations.status.
 */
#include "lifecycle.h"

#include <stdlib.h>
#include <string.h>

#include "comment.h"
#include "evaluation.h"

const kp_stmt kp_lifecycle_stmts[] = {
    {"eval_set_status", "UPDATE evaluations SET status = $2 WHERE id = $1"},
    /* a reopened evaluation works on a new revision */
    {"eval_reopen", "UPDATE evaluations SET revision = revision + 1, status = 'reopened'"
                    " WHERE id = $1 RETURNING revision"},
    {"eval_counts", "SELECT (SELECT count(*) FROM evaluation_members WHERE evaluation_id = $1"
                    "         AND role IN ('lead', 'peer')),"
                    " (SELECT count(*) FROM score_submissions s JOIN evaluation_members x"
                    "   ON x.evaluation_id = s.evaluation_id AND x.user_id = s.evaluator_id"
                    "   AND x.role IN ('lead', 'peer') WHERE s.evaluation_id = $1),"
                    " (SELECT count(*) FROM framework_questions WHERE framework_id = $2),"
                    " (SELECT count(*) FROM consensus_scores WHERE evaluation_id = $1),"
                    " (SELECT count(*) FROM framework_areas WHERE framework_id = $2),"
                    " (SELECT count(*) FROM area_approvals WHERE evaluation_id = $1)"},
    {"eval_cancel_signatures",
     "UPDATE signatures SET cancelled_at = now(), cancelled_by = $2, cancel_reason = $3"
     " WHERE evaluation_id = $1 AND cancelled_at IS NULL"
     " AND revision = (SELECT revision FROM evaluations WHERE id = $1)"},
    {NULL, NULL},
};

/* ---------------------------------------------------------------- the table */

static const char *const s_names[KP_EVAL_STATES] = {
    [KP_EVAL_DRAFT] = "draft",   [KP_EVAL_SCORING] = "scoring", [KP_EVAL_CONSENSUS] = "consensus",
    [KP_EVAL_REVIEW] = "review", [KP_EVAL_SIGNED] = "signed",   [KP_EVAL_REOPENED] = "reopened",
};

/* sql/005_evaluations.sql's evaluation_transitions, row by row; a
 * calibration exercise makes no move into review, signed or reopened
 * (sql/013_meeting.sql). */
const kp_eval_move kp_eval_moves[] = {
    {KP_EVAL_DRAFT, KP_EVAL_SCORING, 1, "eval start"},
    {KP_EVAL_SCORING, KP_EVAL_CONSENSUS, 1, "the last submit"},
    {KP_EVAL_CONSENSUS, KP_EVAL_REVIEW, 0, "complete"},
    {KP_EVAL_REVIEW, KP_EVAL_CONSENSUS, 1, "incomplete again (a change in review)"},
    {KP_EVAL_REVIEW, KP_EVAL_SIGNED, 0, "the last signature"},
    {KP_EVAL_SIGNED, KP_EVAL_REOPENED, 0, "eval reopen"},
    {KP_EVAL_REOPENED, KP_EVAL_CONSENSUS, 1, "(the schema allows it; no step makes it)"},
    {KP_EVAL_REOPENED, KP_EVAL_REVIEW, 0, "complete again"},
};
const size_t kp_eval_n_moves = sizeof kp_eval_moves / sizeof *kp_eval_moves;

const char *kp_eval_state_name(kp_eval_state s)
{
    return (unsigned)s < KP_EVAL_STATES ? s_names[s] : "?";
}

int kp_eval_state_parse(const char *name, kp_eval_state *out)
{
    for (int s = 0; s < KP_EVAL_STATES; s++)
        if (strcmp(name, s_names[s]) == 0) {
            *out = (kp_eval_state)s;
            return 0;
        }
    return -1;
}

const kp_eval_move *kp_eval_move_find(kp_eval_state from, kp_eval_state to, int practice)
{
    for (size_t i = 0; i < kp_eval_n_moves; i++)
        if (kp_eval_moves[i].from == from && kp_eval_moves[i].to == to)
            return !practice || kp_eval_moves[i].practice ? &kp_eval_moves[i] : NULL;
    return NULL;
}

int kp_eval_complete(const kp_eval_progress *p)
{
    return p->resolved == p->questions && p->approved == p->areas && p->n_open == 0;
}

int kp_eval_advance_to(kp_eval_state s, int complete, kp_eval_state *to)
{
    if (complete && (s == KP_EVAL_CONSENSUS || s == KP_EVAL_REOPENED)) {
        *to = KP_EVAL_REVIEW;
        return 1;
    }
    if (!complete && s == KP_EVAL_REVIEW) {
        *to = KP_EVAL_CONSENSUS;
        return 1;
    }
    return 0;
}

/* ---------------------------------------------------------------- moves */

int kp_eval_transition(kp_req *r, kp_eval *ev, kp_eval_state to, const char *why)
{
    if (!kp_eval_move_find(ev->state, to, ev->practice))
        return kp_req_fail(r, KP_INVALID_STATE, "an evaluation cannot go from %s to %s%s",
                           kp_eval_state_name(ev->state), kp_eval_state_name(to),
                           ev->practice ? " (a calibration exercise)" : "");
    const char *p[2] = {kp_db_param_i64(r->arena, ev->id), kp_eval_state_name(to)};
    int rc;
    if (to == KP_EVAL_REOPENED) {
        PGresult *res;
        rc = kp_req_call(r, "eval_reopen", 1, p, &res);
        if (rc == KP_OK) ev->revision = (int)kp_db_i64(res, 0, 0);
    } else {
        rc = kp_req_call(r, "eval_set_status", 2, p, NULL);
    }
    if (rc != KP_OK) return kp_req_db_fail(r, rc, why);
    ev->state = to;
    return KP_OK;
}

int kp_eval_progress_read(kp_req *r, const kp_eval *ev, kp_eval_progress *c)
{
    PGresult *res;
    const char *p[2] = {kp_db_param_i64(r->arena, ev->id),
                        kp_db_param_i64(r->arena, ev->framework_id)};
    int rc = kp_req_call(r, "eval_counts", 2, p, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading the evaluation's progress");
    c->evaluators = kp_db_i64(res, 0, 0);
    c->submitted = kp_db_i64(res, 0, 1);
    c->questions = kp_db_i64(res, 0, 2);
    c->resolved = kp_db_i64(res, 0, 3);
    c->areas = kp_db_i64(res, 0, 4);
    c->approved = kp_db_i64(res, 0, 5);
    return kp_comment_open(r, ev->id, &c->open, &c->n_open);
}

int kp_eval_advance(kp_req *r, kp_eval *ev, json_t *after, kp_eval_progress *progress)
{
    PGresult *res;
    const char *p[3] = {kp_db_param_i64(r->arena, ev->id), kp_db_param_i64(r->arena, r->user_id),
                        "the signed content changed before the last signature"};
    int rc = kp_req_call(r, "eval_cancel_signatures", 3, p, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "cancelling signatures");
    int cancelled = atoi(PQcmdTuples(res));
    if (cancelled) json_object_set_new(after, "signatures_cancelled", json_integer(cancelled));

    kp_eval_progress own, *c = progress ? progress : &own;
    rc = kp_eval_progress_read(r, ev, c);
    if (rc != KP_OK) return rc;
    kp_eval_state to;
    if (!kp_eval_advance_to(ev->state, kp_eval_complete(c), &to)) return KP_OK;
    json_object_set_new(after, "status", json_string(kp_eval_state_name(to)));
    return kp_eval_transition(r, ev, to, "changing the evaluation's status");
}
