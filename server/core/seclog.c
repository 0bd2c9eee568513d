/*  seclog: the security log. */
#include "seclog.h"

#include <stdio.h>

#include "log.h"

const kp_stmt kp_seclog_stmts[] = {
    {"seclog_insert",
     "INSERT INTO security_log (kind, login, user_id, client_addr, client_key, rpc, detail, "
     "  client_session) "
     "VALUES ($1, $2, $3::bigint, $4, $5, $6, $7, $8::bigint)"},
    {NULL, NULL},
};

int kp_seclog_write(kp_req *r, const char *kind, const char *login, int64_t user_id,
                    const char *detail)
{
    return kp_seclog_write_client(r, kind, login, user_id, detail, 0);
}

int kp_seclog_write_client(kp_req *r, const char *kind, const char *login, int64_t user_id,
                           const char *detail, int64_t client_session)
{
    char uid[24], sid[24];
    snprintf(uid, sizeof uid, "%lld", (long long)user_id);
    snprintf(sid, sizeof sid, "%lld", (long long)client_session);
    const char *params[8] = {kind,
                             login ? login : "",
                             user_id ? uid : NULL,
                             r->peer_addr ? r->peer_addr : "",
                             r->peer_key ? r->peer_key : "",
                             r->msg ? kp_wire_body_name(r->msg) : "",
                             detail ? detail : "",
                             client_session ? sid : NULL};
    int rc = kp_req_call(r, "seclog_insert", 8, params, NULL);
    if (rc != KP_OK)
        kp_warn("seclog", "cannot record %s of '%s' from %s: %s", kind, login ? login : "",
                r->peer_addr ? r->peer_addr : "", kp_db_error(r->db));
    return rc;
}
