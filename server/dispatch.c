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

#define RQ(field) KOMPASS__V1__REQUEST__BODY_##field

static const kp_rpc s_rpcs[] = {
    {RQ(PING), "ping", kp_rpc_ping},
    /* rpc_session.c */
    {RQ(LOGIN), "login", kp_rpc_login},
    {RQ(LOGOUT), "logout", kp_rpc_logout},
    {RQ(WHO_AM_I), "who_am_i", kp_rpc_who_am_i},
    {RQ(CHANGE_PASSWORD), "change_password", kp_rpc_change_password},
    {RQ(REAUTHENTICATE), "reauthenticate", kp_rpc_reauthenticate},
    /* rpc_user.c */
    {RQ(USER_ADD), "user_add", kp_rpc_user_add},
    {RQ(USER_LIST), "user_list", kp_rpc_user_list},
    {RQ(USER_SET_ACTIVE), "user_set_active", kp_rpc_user_set_active},
    {RQ(USER_EDIT), "user_edit", kp_rpc_user_edit},
    {RQ(USER_RESET_PASSWORD), "user_reset_password", kp_rpc_user_reset_password},
    /* rpc_audit.c */
    {RQ(AUDIT_LIST), "audit_list", kp_rpc_audit_list},
    {RQ(AUDIT_VERIFY), "audit_verify", kp_rpc_audit_verify},
    /* rpc_framework.c, rpc_eval.c, rpc_evidence.c, rpc_score.c, rpc_text.c, rpc_watch.c */
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
    {KOMPASS__V1__REQUEST__BODY_SUBMIT, "submit", kp_rpc_submit},
    {KOMPASS__V1__REQUEST__BODY_CONSENSUS_SHOW, "consensus_show", kp_rpc_consensus_show},
    {KOMPASS__V1__REQUEST__BODY_CONSENSUS_SET, "consensus_set", kp_rpc_consensus_set},
    {KOMPASS__V1__REQUEST__BODY_CONSENSUS_AUTO, "consensus_auto", kp_rpc_consensus_auto},
    {KOMPASS__V1__REQUEST__BODY_CONSENSUS_THRESHOLD, "consensus_threshold",
     kp_rpc_consensus_threshold},
    {KOMPASS__V1__REQUEST__BODY_TEXT_APPROVE, "text_approve", kp_rpc_text_approve},
    {KOMPASS__V1__REQUEST__BODY_SIGN, "sign", kp_rpc_sign},
    {KOMPASS__V1__REQUEST__BODY_EVAL_REOPEN, "eval_reopen", kp_rpc_eval_reopen},
    {KOMPASS__V1__REQUEST__BODY_EVAL_VERIFY, "eval_verify", kp_rpc_eval_verify},
    {KOMPASS__V1__REQUEST__BODY_EVAL_STATUS, "eval_status", kp_rpc_eval_status},
    {KOMPASS__V1__REQUEST__BODY_EVAL_REVISION, "eval_revision", kp_rpc_eval_revision},
    /* rpc_agreement.c */
    {RQ(STATS_AGREEMENT), "stats_agreement", kp_rpc_stats_agreement},
    /* rpc_report.c */
    {RQ(REPORT_DATA), "report_data", kp_rpc_report_data},
    {RQ(EVAL_IMPORT), "eval_import", kp_rpc_eval_import},
    {RQ(HISTORY), "history", kp_rpc_history},
    /* rpc_ops.c */
    {RQ(HEALTH), "health", kp_rpc_health},
    {RQ(STATS), "stats", kp_rpc_stats},
    /* rpc_backup.c */
    {RQ(BACKUP), "backup", kp_rpc_backup},
    /* rpc_search.c */
    {RQ(SEARCH), "search", kp_rpc_search},
    /* the consensus meeting: rpc_comment.c, rpc_consensus.c, rpc_calibration.c */
    {RQ(COMMENT_ADD), "comment_add", kp_rpc_comment_add},
    {RQ(COMMENT_LIST), "comment_list", kp_rpc_comment_list},
    {RQ(COMMENT_RESOLVE), "comment_resolve", kp_rpc_comment_resolve},
    {RQ(COMMENT_REOPEN), "comment_reopen", kp_rpc_comment_reopen},
    {RQ(CONSENSUS_QUESTION), "consensus_question", kp_rpc_consensus_question},
    {RQ(CALIBRATION_CREATE), "calibration_create", kp_rpc_calibration_create},
    {RQ(CALIBRATION_SHOW), "calibration_show", kp_rpc_calibration_show},
    {RQ(CALIBRATION_STATS), "calibration_stats", kp_rpc_calibration_stats},
    /* rpc_watch.c: live updates on the request connection */
    {RQ(SUBSCRIBE), "subscribe", kp_rpc_subscribe},
    /* offline work: rpc_offline.c */
    {RQ(OFFLINE_DISCARD), "offline_discard", kp_rpc_offline_discard},
    /* the cycle across rounds */
    {RQ(EVAL_SET), "eval_set", kp_rpc_eval_set},
};
#define N_RPCS (sizeof s_rpcs / sizeof s_rpcs[0])

const kp_rpc *kp_dispatch_find(int body_case)
{
    for (size_t i = 0; i < N_RPCS; i++)
        if (s_rpcs[i].body_case == body_case) return &s_rpcs[i];
    return NULL;
}

int kp_dispatch_slot(int body_case)
{
    for (size_t i = 0; i < N_RPCS; i++)
        if (s_rpcs[i].body_case == body_case) return (int)i + 1;
    return 0;
}

const kp_rpc *kp_dispatch_table(size_t *n)
{
    *n = N_RPCS;
    return s_rpcs;
}

int kp_dispatch_batchable(const kp_request *msg)
{
    switch (msg->body_case) {
    case KOMPASS__V1__REQUEST__BODY_SCORE_SET:
    case KOMPASS__V1__REQUEST__BODY_TEXT_SAVE:
    case KOMPASS__V1__REQUEST__BODY_TEXT_LOCK:
    case KOMPASS__V1__REQUEST__BODY_EVIDENCE_ADD:
        return msg->request_id && *msg->request_id;
    default:
        return 0;
    }
}

int kp_dispatch_verify(char *err, size_t errlen)
{
    if (kp_authz_verify(err, errlen) != 0) return -1;
    for (size_t i = 0; i < N_RPCS; i++) {
        const kp_authz_rule *rule = kp_authz_find(s_rpcs[i].body_case);
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
