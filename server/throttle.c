/*  throttle: slows, then refuses, password guessing (see throttle.h). */
#include "throttle.h"

#include <stdio.h>
#include <stdlib.h>

#include "seclog.h"

/* Both return: failures counted, seconds since the last one. */
const kp_stmt kp_throttle_stmts[] = {
    {"throttle_by_login",
     "SELECT count(*)::int, coalesce(extract(epoch FROM clock_timestamp() - max(at)), 0)::float8 "
     "FROM security_log "
     "WHERE login = $1 AND kind = 'login_failed' "
     "  AND at > clock_timestamp() - make_interval(secs => $2::int) "
     "  AND at > coalesce((SELECT max(at) FROM security_log "
     "                     WHERE login = $1 AND kind = 'login'), '-infinity')"},
    {"throttle_by_addr",
     "SELECT count(*)::int, coalesce(extract(epoch FROM clock_timestamp() - max(at)), 0)::float8 "
     "FROM security_log "
     "WHERE client_addr = $1 AND kind = 'login_failed' "
     "  AND at > clock_timestamp() - make_interval(secs => $2::int)"},
    {NULL, NULL},
};

int kp_throttle_wait(int failures, int slow_after, int lock_after)
{
    if (failures < slow_after) return 0;
    if (failures < lock_after) {
        int steps = failures - slow_after; /* 0, 1, ... */
        return steps >= 4 ? 30 : 2 << steps;
    }
    int steps = failures - lock_after;
    if (steps >= 4) return KP_THROTTLE_MAX;
    int w = 60 << steps;
    return w > KP_THROTTLE_MAX ? KP_THROTTLE_MAX : w;
}

/* The wait left for one counter (statement name, key). */
static int s_left(kp_req *r, const char *stmt, const char *key, int slow, int lock, int *left)
{
    char window[16];
    snprintf(window, sizeof window, "%d", KP_THROTTLE_WINDOW);
    const char *params[2] = {key, window};
    PGresult *res;
    int rc = kp_db_call(r->db, stmt, 2, params, &res);
    if (rc != KP_OK) return rc;
    int failures = atoi(PQgetvalue(res, 0, 0));
    double since = atof(PQgetvalue(res, 0, 1));
    PQclear(res);
    int wait = kp_throttle_wait(failures, slow, lock);
    *left = wait > since ? (int)(wait - since + 0.999) : 0;
    return KP_OK;
}

int kp_throttle_remaining(kp_req *r, const char *login, int *wait_s, const char **why)
{
    int by_login = 0, by_addr = 0;
    *wait_s = 0;
    *why = "";
    int rc = s_left(r, "throttle_by_login", login, KP_THROTTLE_LOGIN_SLOW, KP_THROTTLE_LOGIN_LOCK,
                    &by_login);
    if (rc == KP_OK && r->peer_addr && *r->peer_addr)
        rc = s_left(r, "throttle_by_addr", r->peer_addr, KP_THROTTLE_ADDR_SLOW,
                    KP_THROTTLE_ADDR_LOCK, &by_addr);
    if (rc != KP_OK) return rc;
    if (by_login >= by_addr && by_login > 0) {
        *wait_s = by_login;
        *why = kp_arena_printf(r->arena, "for login '%s'", login);
    } else if (by_addr > 0) {
        *wait_s = by_addr;
        *why = kp_arena_printf(r->arena, "from %s", r->peer_addr);
    }
    return KP_OK;
}

/* "45 s", "3 min 20 s" */
static const char *s_duration(kp_req *r, int s)
{
    if (s < 60) return kp_arena_printf(r->arena, "%d s", s);
    if (s % 60 == 0) return kp_arena_printf(r->arena, "%d min", s / 60);
    return kp_arena_printf(r->arena, "%d min %d s", s / 60, s % 60);
}

int kp_throttle_check(kp_req *r, const char *login, int64_t user_id)
{
    int wait;
    const char *why;
    int rc = kp_throttle_remaining(r, login, &wait, &why);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "checking recent failed logins");
    if (wait == 0) return KP_OK;
    const char *msg = kp_arena_printf(r->arena,
                                      "too many failed password attempts %s: try again in %s "
                                      "(the password was not checked)",
                                      why, s_duration(r, wait));
    kp_seclog_write(r, KP_SEC_THROTTLED, login, user_id, msg);
    return kp_req_fail(r, KP_RATE_LIMITED, "%s", msg);
}

int kp_throttle_failed(kp_req *r, const char *login, int64_t user_id, const char *detail,
                       const char *message)
{
    kp_seclog_write(r, KP_SEC_LOGIN_FAILED, login, user_id, detail);
    int wait = 0;
    const char *why = "";
    if (kp_throttle_remaining(r, login, &wait, &why) == KP_OK && wait > 0)
        return kp_req_fail(r, KP_UNAUTHENTICATED,
                           "%s; after repeated failures %s, the next attempt must wait %s", message,
                           why, s_duration(r, wait));
    return kp_req_fail(r, KP_UNAUTHENTICATED, "%s", message);
}
