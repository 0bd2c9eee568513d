/*  dispatch: from a request's body to its handler. */
#include "dispatch.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authz.h"
#include "log.h"
#include "replay.h"
#include "rpc.h"
#include "rpcs.h"

/* The handlers, one per row of rpcs.def, in its order (slot - 1). */
static const kp_rpc s_rpcs[] = {
#define KP_RPC(c, name, handler, ...) {KOMPASS__V1__REQUEST__BODY_##c, #name, handler},
#include "rpcs.def"
#undef KP_RPC
};
#define N_RPCS (sizeof s_rpcs / sizeof s_rpcs[0])

const kp_rpc *kp_dispatch_find(int body_case)
{
    int slot = kp_rpc_slot(body_case);
    return slot ? &s_rpcs[slot - 1] : NULL;
}

int kp_dispatch_slot(int body_case)
{
    return kp_rpc_slot(body_case);
}

const kp_rpc *kp_dispatch_table(size_t *n)
{
    *n = N_RPCS;
    return s_rpcs;
}

int kp_dispatch_batchable(const kp_request *msg)
{
    return kp_rpc_batchable((int)msg->body_case) && msg->request_id && *msg->request_id;
}

int kp_dispatch_verify(char *err, size_t errlen)
{
    if (kp_authz_verify(err, errlen) != 0) return -1;
    if (N_RPCS != kp_rpc_count()) {
        snprintf(err, errlen, "%zu handlers for %zu rows of rpcs.def", N_RPCS, kp_rpc_count());
        return -1;
    }
    for (size_t i = 0; i < N_RPCS; i++) {
        const kp_authz_rule *rule = kp_authz_find(s_rpcs[i].body_case);
        if (kp_rpc_slot(s_rpcs[i].body_case) != (int)i + 1 ||
            strcmp(kp_rpc_name((int)i + 1), s_rpcs[i].name) != 0) {
            snprintf(err, errlen, "rpc '%s' is not in its slot of rpcs.def", s_rpcs[i].name);
            return -1;
        }
        if (!rule || strcmp(rule->name, s_rpcs[i].name) != 0) {
            snprintf(err, errlen, "rpc '%s' has a handler but no authorisation row",
                     s_rpcs[i].name);
            return -1;
        }
    }
    size_t n;
    const kp_authz_rule *rules = kp_authz_table(&n);
    for (size_t i = 0; i < n; i++)
        if (!kp_dispatch_find(rules[i].body_case)) {
            snprintf(err, errlen, "authorisation row '%s' has no handler", rules[i].name);
            return -1;
        }
    return 0;
}

/* A write without a request id (nothing to record): the handler's commit,
 * held back, goes through with an OK answer only; a handler that failed
 * after it (a read for its answer) has its write taken back, so that a
 * failure always means nothing was written. */
static void s_finish_write(kp_req *r)
{
    int ok = r->resp->status == KOMPASS__V1__STATUS__OK;
    if (!ok && kp_db_holding(r->db))
        kp_warn("dispatch", "a write failed after its commit (%s): rolled back",
                kp_status_name((int)r->resp->status));
    int rc = kp_db_release(r->db, ok);
    if (ok && rc != KP_OK) {
        kp_req_db_fail(r, rc, "committing");
        r->resp->body_case = KOMPASS__V1__RESPONSE__BODY__NOT_SET;
    }
}

void kp_dispatch(kp_req *r)
{
    const kp_rpc *rpc = kp_dispatch_find((int)r->msg->body_case);
    if (!rpc) {
        kp_req_fail(r, KP_BAD_REQUEST, "this server does not know request body field %d",
                    (int)r->msg->body_case);
        return;
    }
    /* Deny by default: no row, no call. */
    const kp_authz_rule *rule = kp_authz_find(rpc->body_case);
    if (!rule) {
        kp_error("dispatch", "rpc %s has no authorisation row: refused", rpc->name);
        kp_req_fail(r, KP_DENIED, "%s is not open to anyone on this server", rpc->name);
        return;
    }
    if (kp_authz_check(r, rule) != KP_OK) return;
    /* A write retried with the same request_id gets its first answer
     * (server/replay.c); a new one is recorded with its commit. */
    int writes = rule->writes && rule->session;
    int replayable = writes && r->msg->request_id && *r->msg->request_id;
    if (replayable && kp_replay_find(r, rpc->name) != KP_NOT_FOUND) return;
    /* A write commits with its OK answer only (s_finish_write). */
    if (writes) kp_db_hold_commits(r->db);
    int rc = rpc->handler(r);
    if (rc != KP_OK && r->resp->status == KOMPASS__V1__STATUS__OK)
        kp_req_fail(r, rc, "%s failed", rpc->name); /* a handler forgot its sentence */
    if (rc == KP_OK) {
        r->resp->status = KOMPASS__V1__STATUS__OK;
        r->resp->error = "";
    }
    if (replayable)
        kp_replay_finish(r, rpc->name);
    else if (writes)
        s_finish_write(r);
}
