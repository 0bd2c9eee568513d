/*  replay: a retried write gets its first answer (see replay.h). */
#include "replay.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

#define PRUNE_EVERY_MS (10 * 60 * 1000)

const kp_stmt kp_replay_stmts[] = {
    {"replay_find", "SELECT rpc, response FROM request_log WHERE user_id = $1 AND request_id = $2"},
    {"replay_record", "INSERT INTO request_log (user_id, request_id, rpc, response) "
                      "VALUES ($1, $2, $3, $4::bytea)"},
    {"replay_prune", "DELETE FROM request_log WHERE at < now() - interval '1 day'"},
    {NULL, NULL},
};

/* When this worker thread last pruned request_log (kp_mono_ms). */
static _Thread_local int64_t s_last_prune;

int kp_replay_find(kp_req *r, const char *rpc)
{
    char uid[24];
    snprintf(uid, sizeof uid, "%lld", (long long)r->user_id);
    const char *params[2] = {uid, r->msg->request_id};
    PGresult *res;
    int rc = kp_req_call(r, "replay_find", 2, params, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "looking for an earlier answer");
    if (PQntuples(res) == 0) return KP_NOT_FOUND;
    if (strcmp(PQgetvalue(res, 0, 0), rpc) != 0) {
        rc = kp_req_fail(r, KP_BAD_REQUEST,
                         "request id '%s' was already used for %s; a new request needs a new id",
                         r->msg->request_id, PQgetvalue(res, 0, 0));
        return rc;
    }
    size_t len = 0;
    unsigned char *bytes = PQunescapeBytea((const unsigned char *)PQgetvalue(res, 0, 1), &len);
    kp_response *first = NULL;
    const char *error = NULL;
    void *copy = bytes ? kp_arena_alloc(r->arena, len ? len : 1) : NULL;
    if (copy) memcpy(copy, bytes, len);
    PQfreemem(bytes);
    if (!copy || kp_wire_decode_response(r->arena, copy, len, &first, &error) != KP_OK) {
        kp_error("replay", "the stored answer to %s %s cannot be read: %s", rpc, r->msg->request_id,
                 error ? error : "out of memory");
        return kp_req_fail(r, KP_INTERNAL, "the earlier answer to this request cannot be read");
    }
    first->request_id = r->msg->request_id;
    r->resp = first;
    kp_info("replay", "%s %s from %s: answered with its first answer (%s), not done again", rpc,
            r->msg->request_id, r->login ? r->login : "?", kp_status_name((int)first->status));
    return KP_OK;
}

/* The first answer to r's request if one was recorded meanwhile (then
 * r->resp is replaced and 1 returned); r is left alone otherwise. */
static int s_answered_elsewhere(kp_req *r, const char *rpc)
{
    kp_req probe = *r;
    probe.resp = kp_arena_zalloc(r->arena, sizeof *probe.resp);
    kompass__v1__response__init(probe.resp);
    if (kp_replay_find(&probe, rpc) != KP_OK) return 0;
    r->resp = probe.resp;
    return 1;
}

/* Replaces r's answer with a failure: no body. */
static void s_fail(kp_req *r, int status, const char *doing)
{
    kp_req_db_fail(r, status, doing);
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY__NOT_SET;
}

void kp_replay_finish(kp_req *r, const char *rpc)
{
    int holding = kp_db_holding(r->db);
    int ok = r->resp->status == KOMPASS__V1__STATUS__OK;
    if (!ok) {
        /* A failure is never recorded. One after the handler's commit (a
         * read for its answer that failed) takes the write back with it, so
         * that the failure is true: nothing was written. */
        if (holding)
            kp_warn("replay", "%s %s failed after its commit (%s): its write is rolled back", rpc,
                    r->msg->request_id, kp_status_name((int)r->resp->status));
        kp_db_release(r->db, 0);
        /* Failed, perhaps because the same request was done meanwhile
         * (e.g. its insert met the other's row): then that one answers. */
        s_answered_elsewhere(r, rpc);
        return;
    }
    size_t len;
    unsigned char *bytes = kp_wire_encode_response(r->arena, r->resp, &len);
    char *hex = kp_arena_alloc(r->arena, 2 * len + 3);
    hex[0] = '\\';
    hex[1] = 'x';
    kp_hex(bytes, len, hex + 2);
    char uid[24];
    snprintf(uid, sizeof uid, "%lld", (long long)r->user_id);
    const char *params[4] = {uid, r->msg->request_id, rpc, hex};
    int rc = kp_req_call(r, "replay_record", 4, params, NULL);
    if (rc == KP_CONFLICT) {
        /* The same request committed elsewhere while this one ran. */
        kp_db_release(r->db, 0);
        if (!holding)
            kp_warn("replay", "%s %s was done twice (it writes outside a transaction)", rpc,
                    r->msg->request_id);
        if (!s_answered_elsewhere(r, rpc)) s_fail(r, KP_UNAVAILABLE, "recording the answer");
        return;
    }
    if (rc != KP_OK) {
        kp_db_release(r->db, 0);
        if (holding)
            s_fail(r, rc, "recording the answer"); /* rolled back: nothing was written */
        else
            kp_warn("replay", "cannot record the answer to %s %s: %s", rpc, r->msg->request_id,
                    kp_db_error(r->db));
        return;
    }
    rc = kp_db_release(r->db, 1);
    if (rc != KP_OK) {
        s_fail(r, rc, "committing");
        return;
    }
    if (kp_mono_ms() - s_last_prune > PRUNE_EVERY_MS) {
        s_last_prune = kp_mono_ms();
        if (kp_req_call(r, "replay_prune", 0, NULL, NULL) != KP_OK)
            kp_warn("replay", "cannot prune old answers: %s", kp_db_error(r->db));
    }
}
