/*  authz: who may call which RPC (see authz.h for the rules). */
#include "authz.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "roles.h"
#include "rpcs.h"
#include "seclog.h"
#include "session.h"

/* rpcs.def's `who` and `relations` columns, as a row's fields. */
#define KP_WHO_ANYONE        0, 0 /* no session: roles and relations unused */
#define KP_WHO_ALL           1, KP_ROLES_ALL
#define KP_WHO_STAFF         1, (KP_ROLE_ADMIN | KP_ROLE_EVALUATOR)
#define KP_WHO_ADMIN         1, KP_ROLE_ADMIN
#define KP_WHO_NOT_ADMIN     1, (KP_ROLE_EVALUATOR | KP_ROLE_OBSERVER)
#define KP_RELS_NOT_EVAL     0
#define KP_RELS_TEAM         (KP_RELBIT(KP_REL_LEAD) | KP_RELBIT(KP_REL_PEER) | KP_RELBIT(KP_REL_OBSERVER))
#define KP_RELS_TEAM_CONTACT (KP_RELS_TEAM | KP_RELBIT(KP_REL_CONTACT))
#define KP_RELS_CONTACT      KP_RELBIT(KP_REL_CONTACT)
#define KP_RELS_SCORERS      (KP_RELBIT(KP_REL_LEAD) | KP_RELBIT(KP_REL_PEER))
#define KP_RELS_LEAD         KP_RELBIT(KP_REL_LEAD)
#define KP_RELS_PEER         KP_RELBIT(KP_REL_PEER)
#define KP_WRITES_READS      0
#define KP_WRITES_WRITES     1

/* The rules, one per row of rpcs.def, in its order (slot - 1): deny by
 * default, an RPC without a row is refused. */
static const kp_authz_rule s_rules[] = {
#define KP_RPC(c, name, handler, file, who, relations, evaluation, writes, batch)                  \
    {KOMPASS__V1__REQUEST__BODY_##c,                                                               \
     #name,                                                                                        \
     KP_WHO_##who,                                                                                 \
     KP_RELS_##relations,                                                                          \
     evaluation,                                                                                   \
     KP_WRITES_##writes},
#include "rpcs.def"
#undef KP_RPC
};
#define N_RULES (sizeof s_rules / sizeof s_rules[0])

/* The caller's relation to one evaluation (kp_authz_relation): '' when not
 * on its team, no row when there is no such evaluation; with what the
 * snapshot cache checks its entries against (version, status, blind phase). */
const kp_stmt kp_authz_stmts[] = {
    {"eval_relation",
     "SELECT coalesce((SELECT x.role FROM evaluation_members x"
     "                 WHERE x.evaluation_id = e.id AND x.user_id = $2), ''),"
     " e.id, " KP_EVAL_STAMP_COLUMNS " FROM evaluations e WHERE e.id = $1::bigint"},
    {NULL, NULL}};

const char *const kp_relation_names[KP_REL_COUNT] = {"none", "lead", "peer", "observer", "contact"};

const kp_authz_rule *kp_authz_table(size_t *n)
{
    *n = N_RULES;
    return s_rules;
}

const kp_authz_rule *kp_authz_find(int body_case)
{
    int slot = kp_rpc_slot(body_case);
    return slot ? &s_rules[slot - 1] : NULL;
}

/* KP_ROLE_* bits are 1 << (the protocol's role - 1): admin, evaluator,
 * observer (authz.h, common/roles.h). */
unsigned kp_authz_role_bit(const char *role)
{
    int v = kp_role_value(role);
    return v ? 1u << (v - 1) : 0;
}

const char *kp_authz_roles_text(kp_arena *arena, unsigned roles)
{
    const char *parts[3];
    int n = 0;
    for (int i = 0; i < 3; i++)
        if (roles & (1u << i)) parts[n++] = kp_role_name(i + 1);
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
    int rc = kp_req_call(r, "eval_relation", 2, p, &res);
    if (rc == KP_BAD_REQUEST) return KP_NOT_FOUND; /* not a number: no such evaluation */
    if (rc != KP_OK) return rc;
    if (PQntuples(res) == 0) return KP_NOT_FOUND;
    const char *role = PQgetvalue(res, 0, 0);
    r->eval_seen = kp_db_i64(res, 0, 1);
    r->eval_version = kp_db_i64(res, 0, 2);
    r->eval_status = kp_db_str(r->arena, res, 0, 3);
    r->eval_blind = kp_db_bool(res, 0, 4);
    r->eval_locks = kp_db_str(r->arena, res, 0, 5);
    if (strcmp(role, "lead") == 0)
        *rel = KP_REL_LEAD;
    else if (strcmp(role, "peer") == 0)
        *rel = KP_REL_PEER;
    else if (strcmp(role, "observer") == 0)
        *rel = KP_REL_OBSERVER;
    else if (strcmp(role, "contact") == 0)
        *rel = KP_REL_CONTACT;
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
