/*  seclog: the security log. */
#include "seclog.h"

#include <stdio.h>

#include "log.h"

const kp_stmt kp_seclog_stmts[] = {
    {"seclog_insert",
     "INSERT INTO security_log (kind, login, user_id, client_addr, client_key, rpc, detail) "
     "VALUES ($1, $2, $3::bigint, $4, $5, $6, $7)"},
    {NULL, NULL},
};

int kp_seclog_write(kp_req *r, const char *kind, const char *login, int64_t user_id,
                    const char *detail)
{
    char uid[24];
    snprintf(uid, sizeof uid, "%lld", (long long)user_id);
    const char *params[7] = {kind,
                             login ? login : "",
                             user_id ? uid : NULL,
                             r->peer_addr ? r->peer_addr : "",
                             r->peer_key ? r->peer_key : "",
                             r->msg ? kp_wire_body_name(r->msg) : "",
                             detail ? detail : ""};
    int rc = kp_db_call(r->db, "seclog_insert", 7, params, NULL);
    if (rc != KP_OK)
        kp_warn("seclog", "cannot record %s of '%s' from %s: %s", kind, login ? login : "",
                r->peer_addr ? r->peer_addr : "", kp_db_error(r->db));
    return rc;
}
