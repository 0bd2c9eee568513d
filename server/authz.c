/*  authz: who may call which RPC (see authz.h for the rules). */
#include "authz.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "seclog.h"
#include "session.h"

#define ANYONE    0, 0, 0, NULL /* no session: roles and relations unused */
#define ALL       KP_ROLES_ALL
#define ADMIN     KP_ROLE_ADMIN
#define NOT_EVAL  0, NULL
#define READS     0
#define WRITES    1
#define RQ(field) KOMPASS__V1__REQUEST__BODY_##field
#define STAFF     (KP_ROLE_ADMIN | KP_ROLE_EVALUATOR)
/* relations, with the body field that names the evaluation */
#define TEAM                                                                                       \
    (KP_RELBIT(KP_REL_LEAD) | KP_RELBIT(KP_REL_PEER) | KP_RELBIT(KP_REL_OBSERVER)), "evaluation_"  \
                                                                                    "id"
#define SCORERS (KP_RELBIT(KP_REL_LEAD) | KP_RELBIT(KP_REL_PEER)), "evaluation_id"
#define LEAD    KP_RELBIT(KP_REL_LEAD), "evaluation_id"
#define PEER    KP_RELBIT(KP_REL_PEER), "evaluation_id"

// clang-format off
/* ------------------------------------------------------------------------
 *  THE TABLE. One row per RPC; an RPC without a row is refused.
 *
 *  body case               name                   session roles  relations  writes
 * ------------------------------------------------------------------------ */
static const kp_authz_rule s_rules[] = {
    {RQ(PING),                "ping",                ANYONE,                    READS},
    /* identity: anyone may log in; every user manages their own session */
    {RQ(LOGIN),               "login",               ANYONE,                    WRITES},
    {RQ(LOGOUT),              "logout",              1, ALL,   NOT_EVAL,        WRITES},
    {RQ(WHO_AM_I),            "who_am_i",            1, ALL,   NOT_EVAL,        READS},
    {RQ(CHANGE_PASSWORD),     "change_password",     1, ALL,   NOT_EVAL,        WRITES},
    {RQ(REAUTHENTICATE),      "reauthenticate",      1, ALL,   NOT_EVAL,        READS},
    /* users: SKL administration only */
    {RQ(USER_ADD),            "user_add",            1, ADMIN, NOT_EVAL,        WRITES},
    {RQ(USER_LIST),           "user_list",           1, ADMIN, NOT_EVAL,        READS},
    {RQ(USER_SET_ACTIVE),     "user_set_active",     1, ADMIN, NOT_EVAL,        WRITES},
    {RQ(USER_EDIT),           "user_edit",           1, ADMIN, NOT_EVAL,        WRITES},
    {RQ(USER_RESET_PASSWORD), "user_reset_password", 1, ADMIN, NOT_EVAL,        WRITES},
    /* the audit trail: administrators read every chain; a team's lead and
     * peers their evaluation's, once blind scoring has ended (docs/audit.md) */
    {RQ(AUDIT_LIST),          "audit_list",          1, STAFF, SCORERS,         READS},
    {RQ(AUDIT_VERIFY),        "audit_verify",        1, ADMIN, NOT_EVAL,        READS},
    /* frameworks and municipalities: everyone reads, SKL administration writes */
    {RQ(FRAMEWORK_IMPORT),    "framework_import",    1, ADMIN, NOT_EVAL,        WRITES},
    {RQ(FRAMEWORK_LIST),      "framework_list",      1, ALL,   NOT_EVAL,        READS},
    {RQ(FRAMEWORK_SHOW),      "framework_show",      1, ALL,   NOT_EVAL,        READS},
    {RQ(MUNICIPALITY_ADD),    "municipality_add",    1, ADMIN, NOT_EVAL,        WRITES},
    {RQ(MUNICIPALITY_LIST),   "municipality_list",   1, ALL,   NOT_EVAL,        READS},
    /* evaluations: admins create; the list shows each caller what they may see */
    {RQ(EVAL_CREATE),         "eval_create",         1, ADMIN, NOT_EVAL,        WRITES},
    {RQ(EVAL_LIST),           "eval_list",           1, ALL,   NOT_EVAL,        READS},
    {RQ(EVAL_SHOW),           "eval_show",           1, ALL,   TEAM,            READS},
    {RQ(EVAL_ASSIGN),         "eval_assign",         1, STAFF, LEAD,            WRITES},
    {RQ(EVAL_UNASSIGN),       "eval_unassign",       1, STAFF, LEAD,            WRITES},
    {RQ(EVAL_START),          "eval_start",          1, STAFF, LEAD,            WRITES},
    {RQ(EVIDENCE_ADD),        "evidence_add",        1, STAFF, SCORERS,         WRITES},
    {RQ(EVIDENCE_LIST),       "evidence_list",       1, ALL,   TEAM,            READS},
    /* scoring and texts: the evaluators write, the whole team reads */
    {RQ(SCORE_SET),           "score_set",           1, STAFF, SCORERS,         WRITES},
    {RQ(SCORE_LIST),          "score_list",          1, ALL,   TEAM,            READS},
    {RQ(TEXT_SHOW),           "text_show",           1, ALL,   TEAM,            READS},
    {RQ(TEXT_LOCK),           "text_lock",           1, STAFF, SCORERS,         WRITES},
    {RQ(TEXT_SAVE),           "text_save",           1, STAFF, SCORERS,         WRITES},
    {RQ(LOCK_LIST),           "lock_list",           1, ALL,   TEAM,            READS},
    {RQ(LOCK_BREAK),          "lock_break",          1, STAFF, LEAD,            WRITES},
    /* consensus and sign-off: evaluators submit and agree, a lead or peer who
     * wrote none of an area's texts approves them (the handler checks who
     * wrote what: four eyes), the team and one admin sign, only an admin
     * reopens */
    {RQ(SUBMIT),              "submit",              1, STAFF, SCORERS,         WRITES},
    {RQ(CONSENSUS_SHOW),      "consensus_show",      1, ALL,   TEAM,            READS},
    {RQ(CONSENSUS_SET),       "consensus_set",       1, STAFF, SCORERS,         WRITES},
    {RQ(CONSENSUS_AUTO),      "consensus_auto",      1, STAFF, SCORERS,         WRITES},
    {RQ(CONSENSUS_THRESHOLD), "consensus_threshold", 1, STAFF, LEAD,            WRITES},
    {RQ(TEXT_APPROVE),        "text_approve",        1, STAFF, SCORERS,         WRITES},
    {RQ(SIGN),                "sign",                1, STAFF, SCORERS,         WRITES},
    {RQ(EVAL_REOPEN),         "eval_reopen",         1, ADMIN, NOT_EVAL,        WRITES},
    {RQ(EVAL_VERIFY),         "eval_verify",         1, ALL,   TEAM,            READS},
    {RQ(EVAL_STATUS),         "eval_status",         1, ALL,   TEAM,            READS},
    {RQ(EVAL_REVISION),       "eval_revision",       1, ALL,   TEAM,            READS},
    {RQ(EVAL_SNAPSHOT),       "eval_snapshot",       1, ALL,   TEAM,            READS},
    {RQ(EVAL_CHANGES),        "eval_changes",        1, ALL,   TEAM,            READS},
    /* reports and history: open to every role, and the handlers show each
     * caller what they may see, as eval_list does: a signed evaluation
     * (every imported one) is published and readable by all; any other only
     * by admins and its team (to others: NOT_FOUND, as if it did not exist).
     * Importing published evaluations is SKL administration's. */
    {RQ(REPORT_DATA),         "report_data",         1, ALL,   NOT_EVAL,        READS},
    {RQ(HISTORY),             "history",             1, ALL,   NOT_EVAL,        READS},
    {RQ(EVAL_IMPORT),         "eval_import",         1, ADMIN, NOT_EVAL,        WRITES},
    /* operations: SKL administration watches and keeps the server */
    {RQ(HEALTH),              "health",              1, ADMIN, NOT_EVAL,        READS},
    {RQ(STATS),               "stats",               1, ADMIN, NOT_EVAL,        READS},
    /* agreement across every signed evaluation: SKL's view of its evaluators */
    {RQ(STATS_AGREEMENT),     "stats_agreement",     1, ADMIN, NOT_EVAL,        READS},
    /* a dump holds every password hash: administrators only */
    {RQ(BACKUP),              "backup",              1, ADMIN, NOT_EVAL,        READS},
    /* search: everyone; what each caller sees (signed, or their team's) is
     * decided in the search's SQL (rpc_search.c) */
    {RQ(SEARCH),              "search",              1, ALL,   NOT_EVAL,        READS},
    /* the consensus meeting: the whole team reads a question's picture and
     * its thread, its evaluators (and admins) write in it; SKL
     * administration makes calibration exercises and follows the trainees,
     * who see their own results (as the exercise's peer) */
    {RQ(COMMENT_ADD),         "comment_add",         1, STAFF, SCORERS,         WRITES},
    {RQ(COMMENT_LIST),        "comment_list",        1, ALL,   TEAM,            READS},
    {RQ(COMMENT_RESOLVE),     "comment_resolve",     1, STAFF, SCORERS,         WRITES},
    {RQ(COMMENT_REOPEN),      "comment_reopen",      1, STAFF, SCORERS,         WRITES},
    {RQ(CONSENSUS_QUESTION),  "consensus_question",  1, ALL,   TEAM,            READS},
    {RQ(CALIBRATION_CREATE),  "calibration_create",  1, ADMIN, NOT_EVAL,        WRITES},
    {RQ(CALIBRATION_SHOW),    "calibration_show",    1, STAFF, SCORERS,         READS},
    {RQ(CALIBRATION_STATS),   "calibration_stats",   1, ADMIN, NOT_EVAL,        READS},
    /* live updates: any session, for the evaluations it may see (checked
     * by the handler per id, and by the publisher at every update) */
    {RQ(SUBSCRIBE),           "subscribe",           1, ALL,   NOT_EVAL,        READS},
    /* offline work: an evaluator records a conflict settled for the server's side */
    {RQ(OFFLINE_DISCARD),     "offline_discard",     1, STAFF, SCORERS,         WRITES},
    /* the cycle across rounds: an admin or the lead corrects an evaluation's
     * period, report date and ordinal */
    {RQ(EVAL_SET),            "eval_set",            1, STAFF, LEAD,            WRITES},
};
// clang-format on
#define N_RULES (sizeof s_rules / sizeof s_rules[0])

/* The caller's relation to one evaluation (kp_authz_relation): '' when not
 * on its team, no row when there is no such evaluation. */
const kp_stmt kp_authz_stmts[] = {
    {"eval_relation", "SELECT coalesce((SELECT x.role FROM evaluation_members x"
                      "                 WHERE x.evaluation_id = e.id AND x.user_id = $2), '')"
                      " FROM evaluations e WHERE e.id = $1::bigint"},
    {NULL, NULL}};

const char *const kp_relation_names[KP_REL_COUNT] = {"none", "lead", "peer", "observer"};

const kp_authz_rule *kp_authz_table(size_t *n)
{
    *n = N_RULES;
    return s_rules;
}

const kp_authz_rule *kp_authz_find(int body_case)
{
    for (size_t i = 0; i < N_RULES; i++)
        if (s_rules[i].body_case == body_case) return &s_rules[i];
    return NULL;
}

unsigned kp_authz_role_bit(const char *role)
{
    if (!role) return 0;
    if (strcmp(role, "admin") == 0) return KP_ROLE_ADMIN;
    if (strcmp(role, "evaluator") == 0) return KP_ROLE_EVALUATOR;
    if (strcmp(role, "observer") == 0) return KP_ROLE_OBSERVER;
    return 0;
}

const char *kp_authz_roles_text(kp_arena *arena, unsigned roles)
{
    static const char *names[] = {"admin", "evaluator", "observer"};
    const char *parts[3];
    int n = 0;
    for (int i = 0; i < 3; i++)
        if (roles & (1u << i)) parts[n++] = names[i];
    if (n == 0) return "nobody";
    if (n == 1) return parts[0];
    if (n == 2) return kp_arena_printf(arena, "%s or %s", parts[0], parts[1]);
    return kp_arena_printf(arena, "%s, %s or %s", parts[0], parts[1], parts[2]);
}

int kp_authz_decide(const kp_authz_rule *rule, unsigned role_bit, kp_relation rel)
{
    if (!rule->session) return KP_OK;
    int is_admin = role_bit == KP_ROLE_ADMIN;
    if (rule->relations && rel == KP_REL_NONE && !is_admin) return KP_NOT_FOUND;
    if (!(rule->roles & role_bit)) return KP_DENIED;
    if (rule->relations && !is_admin && !(rule->relations & KP_RELBIT(rel))) return KP_DENIED;
    return KP_OK;
}

int kp_authz_relation(kp_req *r, const char *evaluation_id, kp_relation *rel)
{
    *rel = KP_REL_NONE;
    PGresult *res;
    const char *p[2] = {evaluation_id, kp_arena_printf(r->arena, "%" PRId64, r->user_id)};
    int rc = kp_db_call(r->db, "eval_relation", 2, p, &res);
    if (rc == KP_BAD_REQUEST) return KP_NOT_FOUND; /* not a number: no such evaluation */
    if (rc != KP_OK) return rc;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return KP_NOT_FOUND;
    }
    const char *role = PQgetvalue(res, 0, 0);
    if (strcmp(role, "lead") == 0)
        *rel = KP_REL_LEAD;
    else if (strcmp(role, "peer") == 0)
        *rel = KP_REL_PEER;
    else if (strcmp(role, "observer") == 0)
        *rel = KP_REL_OBSERVER;
    PQclear(res);
    return KP_OK;
}

/* The body message of r's request. */
static const ProtobufCMessage *s_body(const kp_request *msg)
{
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field(
        &kompass__v1__request__descriptor, (unsigned)msg->body_case);
    if (!f) return NULL;
    return *(const ProtobufCMessage *const *)((const char *)msg + f->offset);
}

/* The evaluation id in field `name` of body, as text in the arena ("" when
 * unset or the field is missing). */
static const char *s_field_text(kp_arena *arena, const ProtobufCMessage *body, const char *name)
{
    if (!body) return "";
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field_by_name(body->descriptor, name);
    if (!f) return "";
    const char *at = (const char *)body + f->offset;
    switch (f->type) {
    case PROTOBUF_C_TYPE_STRING: {
        const char *s = *(const char *const *)at;
        return s ? s : "";
    }
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64: {
        int64_t v = *(const int64_t *)at;
        return v ? kp_arena_printf(arena, "%" PRId64, v) : "";
    }
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64: {
        uint64_t v = *(const uint64_t *)at;
        return v ? kp_arena_printf(arena, "%" PRIu64, v) : "";
    }
    default:
        return "";
    }
}

const char *kp_authz_evaluation_of(kp_arena *arena, const kp_request *msg,
                                   const kp_authz_rule *rule)
{
    if (!rule->relations || !rule->evaluation) return "";
    return s_field_text(arena, s_body(msg), rule->evaluation);
}

/* Fails r with status and sentence; records it when the RPC writes. */
static int s_refuse(kp_req *r, const kp_authz_rule *rule, int status, const char *sentence)
{
    kp_req_fail(r, status, "%s", sentence);
    if (rule->writes)
        kp_seclog_write(r, status == KP_UNAUTHENTICATED ? KP_SEC_UNAUTHENTICATED : KP_SEC_DENIED,
                        r->login ? r->login : "", r->user_id,
                        kp_arena_printf(r->arena, "%s: %s", kp_status_name(status), sentence));
    return status;
}

int kp_authz_check(kp_req *r, const kp_authz_rule *rule)
{
    if (!rule->session) return KP_OK;
    int rc = kp_session_resolve(r);
    if (rc == KP_UNAUTHENTICATED)
        return s_refuse(r, rule, rc, kp_arena_strdup(r->arena, r->resp->error));
    if (rc != KP_OK) return rc;

    unsigned role = kp_authz_role_bit(r->role);
    kp_relation rel = KP_REL_NONE;
    const char *eval_id = "";
    if (rule->relations) {
        eval_id = kp_authz_evaluation_of(r->arena, r->msg, rule);
        if (!*eval_id && role == KP_ROLE_ADMIN) return KP_OK; /* e.g. the global audit chain */
        if (eval_id[0] == '-')
            return kp_req_fail(r, KP_BAD_REQUEST, "%s must be an evaluation's id, not %s",
                               rule->evaluation, eval_id);
        if (!*eval_id)
            return s_refuse(r, rule, KP_DENIED,
                            kp_arena_printf(r->arena,
                                            "%s is for admin unless it names one evaluation "
                                            "(%s)",
                                            rule->name, rule->evaluation));
        rc = kp_authz_relation(r, eval_id, &rel);
        if (rc == KP_NOT_FOUND)
            return s_refuse(r, rule, rc, kp_arena_printf(r->arena, "no evaluation '%s'", eval_id));
        if (rc != KP_OK) return kp_req_db_fail(r, rc, "finding your part in the evaluation");
    }
    switch (kp_authz_decide(rule, role, rel)) {
    case KP_OK:
        return KP_OK;
    case KP_NOT_FOUND: /* the same sentence as for an evaluation that does not exist */
        return s_refuse(r, rule, KP_NOT_FOUND,
                        kp_arena_printf(r->arena, "no evaluation '%s'", eval_id));
    default:
        if (!(rule->roles & role))
            return s_refuse(r, rule, KP_DENIED,
                            kp_arena_printf(r->arena, "%s is for %s; you are %s", rule->name,
                                            kp_authz_roles_text(r->arena, rule->roles), r->role));
        return s_refuse(r, rule, KP_DENIED,
                        kp_arena_printf(r->arena, "%s is not open to a team %s of evaluation '%s'",
                                        rule->name, kp_relation_names[rel], eval_id));
    }
}

int kp_authz_verify(char *err, size_t errlen)
{
    return kp_authz_verify_rules(s_rules, N_RULES, err, errlen);
}

int kp_authz_verify_rules(const kp_authz_rule *rules, size_t n, char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        const kp_authz_rule *rule = &rules[i];
        const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field(
            &kompass__v1__request__descriptor, (unsigned)rule->body_case);
        if (!f || strcmp(f->name, rule->name) != 0) {
            snprintf(err, errlen, "authz row '%s' does not match request body field %d (%s)",
                     rule->name, rule->body_case, f ? f->name : "none");
            return -1;
        }
        for (size_t k = 0; k < i; k++)
            if (rules[k].body_case == rule->body_case) {
                snprintf(err, errlen, "authz has two rows for '%s'", rule->name);
                return -1;
            }
        if (rule->session && rule->roles == 0) {
            snprintf(err, errlen, "authz row '%s' lets no role call it", rule->name);
            return -1;
        }
        if (!rule->relations) continue;
        const ProtobufCMessageDescriptor *body = f->descriptor;
        const ProtobufCFieldDescriptor *ef =
            rule->evaluation
                ? protobuf_c_message_descriptor_get_field_by_name(body, rule->evaluation)
                : NULL;
        if (!ef || ef->label == PROTOBUF_C_LABEL_REPEATED ||
            !(ef->type == PROTOBUF_C_TYPE_STRING || ef->type == PROTOBUF_C_TYPE_INT64 ||
              ef->type == PROTOBUF_C_TYPE_UINT64 || ef->type == PROTOBUF_C_TYPE_SINT64 ||
              ef->type == PROTOBUF_C_TYPE_FIXED64 || ef->type == PROTOBUF_C_TYPE_SFIXED64)) {
            snprintf(err, errlen,
                     "authz row '%s': %s has no single string or integer field '%s' for the "
                     "evaluation id",
                     rule->name, body->name, rule->evaluation ? rule->evaluation : "(none)");
            return -1;
        }
        if (!rule->session) {
            snprintf(err, errlen, "authz row '%s' is about an evaluation but needs no session",
                     rule->name);
            return -1;
        }
    }
    return 0;
}
