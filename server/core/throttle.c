/*  throttle: slows password guessing, and cannot be aimed at anyone
 *  (see throttle.h). */
#include "throttle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seclog.h"
#include "session.h"

/* The counts return: failures counted, seconds since the last one. */
#define SINCE_LAST_LOGIN                                                                           \
    "  AND at > coalesce((SELECT max(at) FROM security_log "                                       \
    "                     WHERE login = $1 AND kind = 'login'), '-infinity')"
const kp_stmt kp_throttle_stmts[] = {
    {"throttle_by_login",
     "SELECT count(*)::int, coalesce(extract(epoch FROM clock_timestamp() - max(at)), 0)::float8 "
     "FROM security_log "
     "WHERE login = $1 AND kind = 'login_failed' AND client_session IS NULL "
     "  AND at > clock_timestamp() - make_interval(secs => $2::int) " SINCE_LAST_LOGIN},
    {"throttle_by_addr",
     "SELECT count(*)::int, coalesce(extract(epoch FROM clock_timestamp() - max(at)), 0)::float8 "
     "FROM security_log "
     "WHERE client_addr = $1 AND kind = 'login_failed' AND client_session IS NULL "
     "  AND at > clock_timestamp() - make_interval(secs => $2::int)"},
    /* $1 login, $2 window, $3 the known client's session */
    {"throttle_by_client",
     "SELECT count(*)::int, coalesce(extract(epoch FROM clock_timestamp() - max(at)), 0)::float8 "
     "FROM security_log "
     "WHERE client_session = $3::bigint AND login = $1 AND kind = 'login_failed' "
     "  AND at > clock_timestamp() - make_interval(secs => $2::int) " SINCE_LAST_LOGIN},
    /* a session of login $2 with token hash $1, begun within $3 days */
    {"throttle_known_token",
     "SELECT s.id FROM sessions s JOIN users u ON u.id = s.user_id "
     "WHERE s.token_hash = $1 AND u.login = $2 "
     "  AND s.created_at > clock_timestamp() - make_interval(days => $3::int)"},
    {NULL, NULL},
};

int kp_throttle_wait(int failures, int slow_after, int max_wait)
{
    if (failures < slow_after) return 0;
    int steps = failures - slow_after; /* 0, 1, ... */
    if (steps >= 20) return max_wait;
    int w = 2 << steps;
    return w > max_wait ? max_wait : w;
}

int kp_throttle_known(kp_req *r, const char *login, int64_t *session_id)
{
    *session_id = 0;
    /* the live session the attempt is made in */
    if (r->session_id && r->login && strcmp(r->login, login) == 0) {
        *session_id = r->session_id;
        return KP_OK;
    }
    /* a Login showing the token of an earlier session of that login */
    if (!r->msg || r->msg->body_case != KOMPASS__V1__REQUEST__BODY_LOGIN ||
        !r->msg->session_token || !*r->msg->session_token)
        return KP_OK;
    char hash[65], days[16];
    kp_session_token_hash(r->msg->session_token, hash);
    snprintf(days, sizeof days, "%d", KP_THROTTLE_KNOWN_DAYS);
    const char *params[3] = {hash, login, days};
    PGresult *res;
    int rc = kp_req_call(r, "throttle_known_token", 3, params, &res);
    if (rc != KP_OK) return rc;
    if (PQntuples(res) > 0) *session_id = kp_db_i64(res, 0, 0);
    return KP_OK;
}

/* The wait left for one counter (statement name, key, known session). */
static int s_left(kp_req *r, const char *stmt, const char *key, int64_t known, int slow,
                  int max_wait, int *left)
{
    char window[16], sid[24];
    snprintf(window, sizeof window, "%d", KP_THROTTLE_WINDOW);
    snprintf(sid, sizeof sid, "%lld", (long long)known);
    const char *params[3] = {key, window, sid};
    PGresult *res;
    int rc = kp_req_call(r, stmt, known ? 3 : 2, params, &res);
    if (rc != KP_OK) return rc;
    int failures = atoi(PQgetvalue(res, 0, 0));
    double since = atof(PQgetvalue(res, 0, 1));
    int wait = kp_throttle_wait(failures, slow, max_wait);
    *left = wait > since ? (int)(wait - since + 0.999) : 0;
    return KP_OK;
}

int kp_throttle_remaining(kp_req *r, const char *login, int64_t known, int *wait_s,
                          const char **why)
{
    *wait_s = 0;
    *why = "";
    if (known) {
        int mine = 0;
        int rc = s_left(r, "throttle_by_client", login, known, KP_THROTTLE_LOGIN_SLOW,
                        KP_THROTTLE_LOGIN_MAX, &mine);
        if (rc != KP_OK) return rc;
        if (mine > 0) {
            *wait_s = mine;
            *why = kp_arena_printf(r->arena, "from this client for login '%s'", login);
        }
        return KP_OK;
    }
    int by_login = 0, by_addr = 0;
    int rc = s_left(r, "throttle_by_login", login, 0, KP_THROTTLE_LOGIN_SLOW, KP_THROTTLE_LOGIN_MAX,
                    &by_login);
    if (rc == KP_OK && r->peer_addr && *r->peer_addr)
        rc = s_left(r, "throttle_by_addr", r->peer_addr, 0, KP_THROTTLE_ADDR_SLOW,
                    KP_THROTTLE_ADDR_MAX, &by_addr);
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
    int64_t known = 0;
    int rc = kp_throttle_known(r, login, &known);
    if (rc == KP_OK) rc = kp_throttle_remaining(r, login, known, &wait, &why);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "checking recent failed logins");
    if (wait == 0) return KP_OK;
    const char *msg = kp_arena_printf(r->arena,
                                      "too many failed password attempts %s: try again in %s "
                                      "(the password was not checked)",
                                      why, s_duration(r, wait));
    kp_seclog_write_client(r, KP_SEC_THROTTLED, login, user_id, msg, known);
    rc = kp_req_fail(r, KP_RATE_LIMITED, "%s", msg);
    r->resp->retry_after_ms = (uint32_t)wait * 1000;
    return rc;
}

int kp_throttle_failed(kp_req *r, int status, const char *login, int64_t user_id,
                       const char *detail, const char *message)
{
    int64_t known = 0;
    if (kp_throttle_known(r, login, &known) != KP_OK) known = 0;
    kp_seclog_write_client(r, KP_SEC_LOGIN_FAILED, login, user_id, detail, known);
    int wait = 0;
    const char *why = "";
    if (kp_throttle_remaining(r, login, known, &wait, &why) == KP_OK && wait > 0) {
        kp_req_fail(r, status, "%s; after repeated failures %s, the next attempt must wait %s",
                    message, why, s_duration(r, wait));
        r->resp->retry_after_ms = (uint32_t)wait * 1000;
        return status;
    }
    return kp_req_fail(r, status, "%s", message);
}
