/*  rpc_audit: reading and verifying the audit trail (AuditList, AuditVerify).
 *
 *  Who may read is the authorisation table's to say (server/authz.c):
 *  today administrators, every chain. docs/audit.md ("Who may read") says
 *  what changes when evaluations and their teams exist.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "audit_verify.h"
#include "evaluation.h"
#include "rpc.h"

#define LIST_DEFAULT 500
#define LIST_MAX     1000

const kp_stmt kp_rpc_audit_stmts[] = {
    {"audit_list",
     "SELECT " KP_AUDIT_COLUMNS " FROM audit_events "
     "WHERE evaluation_id = $1::bigint AND seq > $2::bigint "
     "  AND ($3::bigint = 0 OR at >= timestamptz 'epoch' + $3::bigint * interval '1 microsecond') "
     "  AND ($4::text = '' OR actor = $4::text OR real_actor = $4::text) "
     "  AND ($5::text = '' OR action = $5::text) "
     "ORDER BY seq LIMIT $6::int"},
    {NULL, NULL},
};

static Kompass__V1__AuditEvent *s_event(kp_req *r, const kp_audit_record *e)
{
    Kompass__V1__AuditEvent *m = kp_arena_alloc(r->arena, sizeof *m);
    kompass__v1__audit_event__init(m);
    m->id = e->id;
    m->evaluation_id = e->evaluation_id;
    m->seq = e->seq;
    m->at_us = e->at_us;
    m->actor_id = e->actor_id;
    m->actor = kp_arena_strdup(r->arena, e->actor);
    m->real_actor_id = e->real_actor_id;
    m->real_actor = kp_arena_strdup(r->arena, e->real_actor);
    m->client_addr = kp_arena_strdup(r->arena, e->client_addr);
    m->client_key = kp_arena_strdup(r->arena, e->client_key);
    m->action = kp_arena_strdup(r->arena, e->action);
    m->target = kp_arena_strdup(r->arena, e->target);
    m->before = kp_arena_strdup(r->arena, e->before);
    m->after = kp_arena_strdup(r->arena, e->after);
    m->reason = kp_arena_strdup(r->arena, e->reason);
    m->eval_version = e->eval_version;
    m->prev_hash = kp_arena_strdup(r->arena, e->prev_hash);
    m->hash = kp_arena_strdup(r->arena, e->hash);
    return m;
}

int kp_rpc_audit_list(kp_req *r)
{
    const Kompass__V1__AuditListRequest *q = r->msg->audit_list;
    if (q->evaluation_id < 0)
        return kp_req_fail(r, KP_BAD_REQUEST, "evaluation_id must be 0 (global) or an evaluation");
    if (q->after_seq < 0 || q->since_us < 0)
        return kp_req_fail(r, KP_BAD_REQUEST, "after_seq and since_us must not be negative");
    if (q->limit > LIST_MAX)
        return kp_req_fail(r, KP_BAD_REQUEST, "limit %u is over the maximum of %d", q->limit,
                           LIST_MAX);
    /* Team evaluators read their evaluation's chain (the authorisation table
     * lets only admins read the global one); while scoring is blind its
     * events would show the others' scores, so it stays closed to them until
     * scoring ends (they follow changes meanwhile with EvalChanges, which
     * withholds those values). */
    if (q->evaluation_id > 0 && !kp_is_admin(r)) {
        int blind = 0;
        int brc = kp_score_blind_for(r, q->evaluation_id, &blind);
        if (brc != KP_OK) return brc;
        if (blind)
            return kp_req_fail(r, KP_INVALID_STATE,
                               "the trail of evaluation %lld opens to its team when blind scoring "
                               "ends; meanwhile follow it with kompass watch %lld --since 0",
                               (long long)q->evaluation_id, (long long)q->evaluation_id);
    }
    int limit = q->limit ? (int)q->limit : LIST_DEFAULT;
    char chain[24], after[24], since[24], fetch[16];
    snprintf(chain, sizeof chain, "%" PRId64, q->evaluation_id);
    snprintf(after, sizeof after, "%" PRId64, q->after_seq);
    snprintf(since, sizeof since, "%" PRId64, q->since_us);
    snprintf(fetch, sizeof fetch, "%d", limit + 1); /* one more tells whether there is more */
    const char *params[6] = {chain, after, since, q->actor, q->action, fetch};
    PGresult *res = NULL;
    int rc = kp_req_call(r, "audit_list", 6, params, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading the audit trail");

    Kompass__V1__AuditListResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__audit_list_response__init(out);
    int n = PQntuples(res);
    out->more = n > limit;
    if (n > limit) n = limit;
    out->n_events = (size_t)n;
    out->events = kp_arena_alloc(r->arena, (size_t)(n ? n : 1) * sizeof *out->events);
    for (int i = 0; i < n; i++) {
        kp_audit_record e;
        kp_audit_record_from_row(res, i, &e);
        out->events[i] = s_event(r, &e);
    }
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_AUDIT_LIST;
    r->resp->audit_list = out;
    return KP_OK;
}

static Kompass__V1__AuditChainReport *s_report(kp_req *r, const kp_audit_chain_report *c)
{
    Kompass__V1__AuditChainReport *m = kp_arena_alloc(r->arena, sizeof *m);
    kompass__v1__audit_chain_report__init(m);
    m->evaluation_id = c->evaluation_id;
    m->ok = c->ok;
    m->events = c->events;
    m->head_seq = c->head_seq;
    m->head_hash = kp_arena_strdup(r->arena, c->head_hash);
    m->bad_id = c->bad_id;
    m->bad_seq = c->bad_seq;
    m->bad_at_us = c->bad_at_us;
    m->problem = (char *)(c->problem ? c->problem : "");
    return m;
}

int kp_rpc_audit_verify(kp_req *r)
{
    const Kompass__V1__AuditVerifyRequest *q = r->msg->audit_verify;
    if (q->evaluation_id < 0)
        return kp_req_fail(r, KP_BAD_REQUEST, "evaluation_id must be 0 (global) or an evaluation");
    if (q->all && q->evaluation_id != 0)
        return kp_req_fail(r, KP_BAD_REQUEST, "give either one evaluation or all, not both");
    int64_t *ids = NULL;
    size_t n = 1;
    int rc;
    if (q->all) {
        rc = kp_audit_chains(r->db, r->arena, &ids, &n);
        if (rc != KP_OK) return kp_req_db_fail(r, rc, "listing the audit chains");
    } else {
        ids = kp_arena_alloc(r->arena, sizeof *ids);
        ids[0] = q->evaluation_id;
    }
    Kompass__V1__AuditVerifyResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__audit_verify_response__init(out);
    out->ok = 1;
    out->n_chains = n;
    out->chains = kp_arena_alloc(r->arena, (n ? n : 1) * sizeof *out->chains);
    for (size_t i = 0; i < n; i++) {
        kp_audit_chain_report c;
        rc = kp_audit_verify_chain(r->db, r->arena, ids[i], &c);
        if (rc != KP_OK) return kp_req_db_fail(r, rc, "verifying the audit trail");
        out->chains[i] = s_report(r, &c);
        if (!c.ok) out->ok = 0;
    }
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_AUDIT_VERIFY;
    r->resp->audit_verify = out;
    return KP_OK;
}
