/*  rpc_eval_watch: what a live client reads besides its Updates.
 *
 *  EvalSnapshot is one consistent view of an evaluation (REPEATABLE READ):
 *  its version, the scores the caller may see, every area text, the held
 *  locks. EvalChanges lists the changes after a version, from the
 *  evaluation's audit chain, with the values the caller may not see (other
 *  evaluators' scores during blind scoring) withheld. With Subscribe
 *  (rpc_watch.c) they make ZeroMQ's Clone pattern.
 */
#include <inttypes.h>
#include <jansson.h>
#include <string.h>
#include "authz.h"
#include "evaluation.h"
#include "rpc.h"
#include "subscriptions.h"

const kp_stmt kp_eval_watch_stmts[] = {
    {"snapshot_scores",
     "SELECT q.code, u.login, u.full_name, (s.points * 100)::bigint, s.rationale, s.version,"
     " w.login, (extract(epoch FROM s.written_at) * 1000000)::bigint"
     " FROM scores s JOIN framework_questions q ON q.id = s.question_id"
     " JOIN framework_areas a ON a.id = q.area_id"
     " JOIN users u ON u.id = s.evaluator_id JOIN users w ON w.id = s.written_by"
     " WHERE s.evaluation_id = $1 AND ($2::bigint IS NULL OR s.evaluator_id = $2)"
     " ORDER BY a.number, q.position, u.login"},
    {"eval_changes",
     "SELECT eval_version, (extract(epoch FROM at) * 1000000)::bigint, actor, action, target,"
     " before, after, reason FROM audit_events"
     " WHERE evaluation_id = $1 AND eval_version > $2"
     /* a page never splits a version: it ends with every change of the
      * version of its limit-th change (a text save that withdraws an
      * approval records two under one), so that paging on since_version
      * loses nothing */
     "   AND eval_version <= coalesce((SELECT x.eval_version FROM audit_events x"
     "     WHERE x.evaluation_id = $1 AND x.eval_version > $2"
     "     ORDER BY x.seq OFFSET $3::bigint - 1 LIMIT 1), 9223372036854775807)"
     " ORDER BY seq"},
    {NULL, NULL},
};

int kp_rpc_eval_snapshot(kp_req *r)
{
    int64_t id = r->msg->eval_snapshot->evaluation_id;
    int rc = kp_db_begin_read(r->db);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading a snapshot");
    kp_eval ev;
    int blind = 0;
    PGresult *res = NULL;
    Kompass__V1__EvalSnapshotResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__eval_snapshot_response__init(out);
    rc = kp_eval_get(r, id, &ev);
    if (rc == KP_OK) rc = kp_score_blind_for(r, id, &blind);
    if (rc == KP_OK) {
        const char *p[2] = {kp_db_param_i64(r->arena, id),
                            blind ? kp_db_param_i64(r->arena, r->user_id) : NULL};
        rc = kp_db_call(r->db, "snapshot_scores", 2, p, &res);
        if (rc != KP_OK) rc = kp_req_db_fail(r, rc, "reading scores");
    }
    if (rc == KP_OK) {
        out->n_scores = (size_t)PQntuples(res);
        out->scores = kp_arena_alloc(r->arena, sizeof(void *) * (out->n_scores + 1));
        for (size_t i = 0; i < out->n_scores; i++) {
            int row = (int)i;
            Kompass__V1__Score *s = kp_arena_alloc(r->arena, sizeof *s);
            kompass__v1__score__init(s);
            s->question = kp_db_str(r->arena, res, row, 0);
            s->evaluator = kp_db_str(r->arena, res, row, 1);
            s->evaluator_name = kp_db_str(r->arena, res, row, 2);
            s->points_centi = kp_db_i64(res, row, 3);
            s->rationale = kp_db_str(r->arena, res, row, 4);
            s->version = kp_db_i64(res, row, 5);
            s->written_by = kp_db_str(r->arena, res, row, 6);
            s->written_at_us = kp_db_i64(res, row, 7);
            out->scores[i] = s;
        }
        PQclear(res);
        rc = kp_text_rows(r, id, ev.framework_id, 0, NULL, &out->texts, &out->n_texts);
    }
    if (rc == KP_OK) rc = kp_text_locks(r, id, &out->locks, &out->n_locks);
    rc = kp_req_end_tx(r, rc, "reading a snapshot");
    if (rc != KP_OK) return rc;
    out->version = ev.version;
    out->status = (char *)kp_eval_state_name(ev.state);
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_EVAL_SNAPSHOT;
    r->resp->eval_snapshot = out;
    return KP_OK;
}

/* Whether a change's values must be withheld from r's user: another
 * evaluator's score while scoring is blind. */
static int s_hidden(kp_req *r, int blind, const char *action, const char *after, const char *before)
{
    if (!blind || strncmp(action, "score.", 6) != 0) return 0;
    const char *doc = *after ? after : before;
    json_t *j = json_loads(doc, 0, NULL);
    const char *evaluator = json_string_value(json_object_get(j, "evaluator"));
    int hide = !evaluator || strcmp(evaluator, r->login) != 0;
    json_decref(j);
    return hide;
}

int kp_rpc_eval_changes(kp_req *r)
{
    const Kompass__V1__EvalChangesRequest *in = r->msg->eval_changes;
    int limit = in->limit ? in->limit : 1000;
    if (limit < 1 || limit > 10000)
        return kp_req_fail(r, KP_BAD_REQUEST, "limit must be 1 to 10000");
    if (in->since_version < 0)
        return kp_req_fail(r, KP_BAD_REQUEST, "since_version must not be negative");
    /* One snapshot of the database: the version, whether scores are blind
     * to the caller and the changes all read at the same moment (a reopen
     * between them must not show a blind score). */
    int rc = kp_db_begin_read(r->db);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading changes");
    kp_eval ev;
    int blind = 1;
    PGresult *res = NULL;
    rc = kp_eval_get(r, in->evaluation_id, &ev);
    if (rc == KP_OK) rc = kp_score_blind_for(r, ev.id, &blind);
    if (rc == KP_OK) {
        const char *p[3] = {kp_db_param_i64(r->arena, ev.id),
                            kp_db_param_i64(r->arena, in->since_version),
                            kp_db_param_i64(r->arena, limit)};
        rc = kp_db_call(r->db, "eval_changes", 3, p, &res);
        if (rc != KP_OK) rc = kp_req_db_fail(r, rc, "reading changes");
    }
    rc = kp_req_end_tx(r, rc, "reading changes");
    if (rc != KP_OK) {
        PQclear(res);
        return rc;
    }
    Kompass__V1__EvalChangesResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__eval_changes_response__init(out);
    out->version = ev.version;
    out->n_changes = (size_t)PQntuples(res);
    out->changes = kp_arena_alloc(r->arena, sizeof(void *) * (out->n_changes + 1));
    for (size_t i = 0; i < out->n_changes; i++) {
        int row = (int)i;
        Kompass__V1__Change *c = kp_arena_alloc(r->arena, sizeof *c);
        kompass__v1__change__init(c);
        c->version = kp_db_i64(res, row, 0);
        c->at_us = kp_db_i64(res, row, 1);
        c->actor = kp_db_str(r->arena, res, row, 2);
        c->action = kp_db_str(r->arena, res, row, 3);
        c->target = kp_db_str(r->arena, res, row, 4);
        c->before = kp_db_str(r->arena, res, row, 5);
        c->after = kp_db_str(r->arena, res, row, 6);
        c->reason = kp_db_str(r->arena, res, row, 7);
        if (s_hidden(r, blind, c->action, c->after, c->before)) {
            c->hidden = 1;
            c->before = c->after = "";
        }
        out->changes[i] = c;
    }
    PQclear(res);
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_EVAL_CHANGES;
    r->resp->eval_changes = out;
    return KP_OK;
}
