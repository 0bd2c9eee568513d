/*  req: a handler's sentences and the end of its transaction (req.h).
 *
 *  Below every handler and above the database: it knows kp_req, the
 *  database handle and the log, nothing of the dispatcher or any RPC.
 */
#include "req.h"

#include <stdarg.h>

#include "log.h"

int kp_req_call(kp_req *r, const char *name, int nparams, const char *const *params, PGresult **out)
{
    return kp_db_call_in(r->db, r->arena, name, nparams, params, out);
}

static void s_json_decref(void *v)
{
    json_decref(v);
}

json_t *kp_req_json(kp_req *r, json_t *v)
{
    if (v) kp_arena_on_reset(r->arena, s_json_decref, v);
    return v;
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
