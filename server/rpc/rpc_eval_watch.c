/*  rpc_eval_watch: what a live client reads besides its Updates.
 *
 *  EvalSnapshot is one consistent view of an evaluation (REPEATABLE READ):
 *  its version, the scores the caller may see, every area text, the held
 *  locks. EvalChanges lists the changes after a version, from the
 *  evaluation's audit chain, with the values the caller may not see (other
 *  evaluators' scores during blind scoring) withheld. With Subscribe
 *  (rpc_watch.c) they make ZeroMQ's Clone pattern.
 *
 *  Snapshots are kept in memory (snapcache.h): read in full, every
 *  evaluator's scores, and answered from there while the evaluation is
 *  unchanged, with the caller's visibility applied to each answer.
 */
#include <inttypes.h>
#include <stdint.h>
#include <jansson.h>
#include <string.h>
#include "authz.h"
#include "evaluation.h"
#include "rpc.h"
#include "snapcache.h"
#include "subscriptions.h"

const kp_stmt kp_eval_watch_stmts[] = {
    {"snapshot_scores",
     /* every evaluator's: the caller's visibility is applied when answering */
     "SELECT q.code, u.login, u.full_name, (s.points * 100)::bigint, s.rationale, s.version,"
     " w.login, (extract(epoch FROM s.written_at) * 1000000)::bigint, s.evaluator_id"
     " FROM scores s JOIN framework_questions q ON q.id = s.question_id"
     " JOIN framework_areas a ON a.id = q.area_id"
     " JOIN users u ON u.id = s.evaluator_id JOIN users w ON w.id = s.written_by"
     " WHERE s.evaluation_id = $1"
     " ORDER BY a.number, q.position, u.login"},
    /* what the snapshot depends on (snapcache.h), and the transaction's
     * now(), which lock_list compares the leases with */
    {"snapshot_stamp",
     "SELECT " KP_EVAL_STAMP_COLUMNS ", (extract(epoch FROM now()) * 1000000)::bigint"
     " FROM evaluations e WHERE e.id = $1"},
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

/* The full snapshot of evaluation id (every evaluator's scores, whatever
 * the caller may see) in one REPEATABLE READ transaction, into r's arena;
 * *valid_ms: how long from now its locks stay as they are (the first
 * lease's end as the database counts it; INT64_MAX: no lock). */
static int s_read_full(kp_req *r, int64_t id, kp_snapshot *full, int64_t *valid_ms)
{
    int rc = kp_db_begin_read(r->db);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading a snapshot");
    kp_eval ev;
    PGresult *res = NULL;
    Kompass__V1__EvalSnapshotResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__eval_snapshot_response__init(out);
    int64_t *evaluators = NULL;
    int64_t now_us = 0;
    const char *p[1] = {kp_db_param_i64(r->arena, id)};
    rc = kp_eval_get(r, id, &ev);
    if (rc == KP_OK) {
        rc = kp_req_call(r, "snapshot_stamp", 1, p, &res);
        if (rc != KP_OK) rc = kp_req_db_fail(r, rc, "reading the evaluation");
    }
    if (rc == KP_OK && PQntuples(res) == 1) {
        full->stamp.version = kp_db_i64(res, 0, 0);
        full->stamp.status = kp_db_str(r->arena, res, 0, 1);
        full->stamp.blind = kp_db_bool(res, 0, 2);
        full->stamp.locks = kp_db_str(r->arena, res, 0, 3);
        now_us = kp_db_i64(res, 0, 4);
    }
    if (rc == KP_OK) {
        rc = kp_req_call(r, "snapshot_scores", 1, p, &res);
        if (rc != KP_OK) rc = kp_req_db_fail(r, rc, "reading scores");
    }
    if (rc == KP_OK) {
        out->n_scores = (size_t)PQntuples(res);
        out->scores = kp_arena_alloc(r->arena, sizeof(void *) * (out->n_scores + 1));
        evaluators = kp_arena_alloc(r->arena, sizeof(int64_t) * (out->n_scores + 1));
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
            evaluators[i] = kp_db_i64(res, row, 8);
            out->scores[i] = s;
        }
        rc = kp_text_rows(r, id, ev.framework_id, 0, NULL, &out->texts, &out->n_texts);
    }
    if (rc == KP_OK) rc = kp_text_locks(r, id, &out->locks, &out->n_locks);
    if (rc == KP_OK) {
        *valid_ms = INT64_MAX;
        for (size_t i = 0; i < out->n_locks; i++) {
            int64_t left = (out->locks[i]->expires_at_us - now_us) / 1000;
            if (left < *valid_ms) *valid_ms = left;
        }
    }
    rc = kp_req_end_tx(r, rc, "reading a snapshot");
    if (rc != KP_OK) return rc;
    out->version = ev.version;
    out->status = (char *)kp_eval_state_name(ev.state);
    full->snap = out;
    full->evaluators = evaluators;
    return KP_OK;
}

/* full as only evaluator only may see it (0: everyone's scores). */
static Kompass__V1__EvalSnapshotResponse *s_visible(kp_req *r, const kp_snapshot *full,
                                                    int64_t only)
{
    Kompass__V1__EvalSnapshotResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    *out = *full->snap;
    if (!only) return out;
    out->scores = kp_arena_alloc(r->arena, sizeof(void *) * (full->snap->n_scores + 1));
    out->n_scores = 0;
    for (size_t i = 0; i < full->snap->n_scores; i++)
        if (full->evaluators[i] == only) out->scores[out->n_scores++] = full->snap->scores[i];
    return out;
}

int kp_rpc_eval_snapshot(kp_req *r)
{
    int64_t id = r->msg->eval_snapshot->evaluation_id;
    int admin = kp_is_admin(r);
    Kompass__V1__EvalSnapshotResponse *out = NULL;
    /* From memory when the entry's stamp is the one the authorisation check
     * has just read with the caller's relation (snapcache.h). */
    kp_snap_stamp seen = {r->eval_version, r->eval_status, r->eval_blind, r->eval_locks};
    if (r->eval_seen != id ||
        !kp_snapcache_get(id, &seen, !admin && seen.blind ? r->user_id : 0, r->arena, &out)) {
        kp_snap_ticket ticket = kp_snapcache_ticket(id);
        kp_snapshot full = {0};
        int64_t valid_ms = 0;
        int rc = s_read_full(r, id, &full, &valid_ms);
        if (rc != KP_OK) return rc;
        kp_snapcache_put(id, &ticket, &full, valid_ms);
        out = s_visible(r, &full, !admin && full.stamp.blind ? r->user_id : 0);
    }
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
        rc = kp_req_call(r, "eval_changes", 3, p, &res);
        if (rc != KP_OK) rc = kp_req_db_fail(r, rc, "reading changes");
    }
    rc = kp_req_end_tx(r, rc, "reading changes");
    if (rc != KP_OK) return rc;
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
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_EVAL_CHANGES;
    r->resp->eval_changes = out;
    return KP_OK;
}
