/*  dispatch: from a request's body to its handler. */
#include "dispatch.h"

#include <stdarg.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "rpc.h"

static const kp_rpc s_rpcs[] = {
    {KOMPASS__V1__REQUEST__BODY_PING, "ping", kp_rpc_ping},
    {KOMPASS__V1__REQUEST__BODY_FRAMEWORK_IMPORT, "framework_import", kp_rpc_framework_import},
    {KOMPASS__V1__REQUEST__BODY_FRAMEWORK_LIST, "framework_list", kp_rpc_framework_list},
    {KOMPASS__V1__REQUEST__BODY_FRAMEWORK_SHOW, "framework_show", kp_rpc_framework_show},
    {KOMPASS__V1__REQUEST__BODY_MUNICIPALITY_ADD, "municipality_add", kp_rpc_municipality_add},
    {KOMPASS__V1__REQUEST__BODY_MUNICIPALITY_LIST, "municipality_list", kp_rpc_municipality_list},
    {KOMPASS__V1__REQUEST__BODY_EVAL_CREATE, "eval_create", kp_rpc_eval_create},
    {KOMPASS__V1__REQUEST__BODY_EVAL_LIST, "eval_list", kp_rpc_eval_list},
    {KOMPASS__V1__REQUEST__BODY_EVAL_SHOW, "eval_show", kp_rpc_eval_show},
    {KOMPASS__V1__REQUEST__BODY_EVAL_ASSIGN, "eval_assign", kp_rpc_eval_assign},
    {KOMPASS__V1__REQUEST__BODY_EVAL_UNASSIGN, "eval_unassign", kp_rpc_eval_unassign},
    {KOMPASS__V1__REQUEST__BODY_EVIDENCE_ADD, "evidence_add", kp_rpc_evidence_add},
    {KOMPASS__V1__REQUEST__BODY_EVIDENCE_LIST, "evidence_list", kp_rpc_evidence_list},
    {KOMPASS__V1__REQUEST__BODY_SCORE_SET, "score_set", kp_rpc_score_set},
    {KOMPASS__V1__REQUEST__BODY_SCORE_LIST, "score_list", kp_rpc_score_list},
    {KOMPASS__V1__REQUEST__BODY_TEXT_SHOW, "text_show", kp_rpc_text_show},
    {KOMPASS__V1__REQUEST__BODY_TEXT_LOCK, "text_lock", kp_rpc_text_lock},
    {KOMPASS__V1__REQUEST__BODY_TEXT_SAVE, "text_save", kp_rpc_text_save},
    {KOMPASS__V1__REQUEST__BODY_LOCK_LIST, "lock_list", kp_rpc_lock_list},
    {KOMPASS__V1__REQUEST__BODY_LOCK_BREAK, "lock_break", kp_rpc_lock_break},
    {KOMPASS__V1__REQUEST__BODY_EVAL_SNAPSHOT, "eval_snapshot", kp_rpc_eval_snapshot},
    {KOMPASS__V1__REQUEST__BODY_EVAL_CHANGES, "eval_changes", kp_rpc_eval_changes},
    {KOMPASS__V1__REQUEST__BODY_EVAL_START, "eval_start", kp_rpc_eval_start},
};
#define N_RPCS (sizeof s_rpcs / sizeof s_rpcs[0])

const kp_rpc *kp_dispatch_find(int body_case)
{
    for (size_t i = 0; i < N_RPCS; i++)
        if (s_rpcs[i].body_case == body_case) return &s_rpcs[i];
    return NULL;
}

int kp_req_fail(kp_req *r, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    r->resp->status = (Kompass__V1__Status)status;
    r->resp->error = kp_arena_vprintf(r->arena, fmt, ap);
    va_end(ap);
    return status;
}

int kp_req_db_fail(kp_req *r, int status, const char *doing)
{
    if (status == KP_UNAVAILABLE)
        return kp_req_fail(r, status, "database unavailable while %s; retry shortly", doing);
    if (status == KP_INTERNAL) {
        kp_error("dispatch", "database error while %s: %s [%s]", doing, kp_db_error(r->db),
                 kp_db_sqlstate(r->db));
        return kp_req_fail(r, status, "internal error while %s (logged on the server)", doing);
    }
    return kp_req_fail(r, status, "%s: %s", doing, kp_db_error(r->db));
}

int kp_req_end_tx(kp_req *r, int rc, const char *doing)
{
    if (rc == KP_OK) {
        rc = kp_db_commit(r->db);
        if (rc == KP_OK) return KP_OK;
    }
    kp_db_rollback(r->db);
    if (r->resp->status != KOMPASS__V1__STATUS__OK) return (int)r->resp->status;
    return kp_req_db_fail(r, rc, doing);
}

void kp_dispatch(kp_req *r)
{
    const kp_rpc *rpc = kp_dispatch_find((int)r->msg->body_case);
    if (!rpc) {
        kp_req_fail(r, KP_BAD_REQUEST, "this server does not know request body field %d",
                    (int)r->msg->body_case);
        return;
    }
    int rc = rpc->handler(r);
    if (rc != KP_OK && r->resp->status == KOMPASS__V1__STATUS__OK)
        kp_req_fail(r, rc, "%s failed", rpc->name); /* a handler forgot its sentence */
    if (rc == KP_OK) {
        r->resp->status = KOMPASS__V1__STATUS__OK;
        r->resp->error = "";
    }
}
