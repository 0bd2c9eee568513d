/*  session: login sessions and their tokens (see session.h). */
#include "session.h"

#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define US(col) "(extract(epoch FROM " col ") * 1000000)::bigint"

const kp_stmt kp_session_stmts[] = {
    {"session_insert",
     "INSERT INTO sessions (user_id, token_hash, idle_expires_at, expires_at, client_addr, "
     "  client_key) "
     "VALUES ($1, $2, least(now() + make_interval(secs => $3::int), "
     "                      now() + make_interval(secs => $4::int)), "
     "        now() + make_interval(secs => $4::int), $5, $6) "
     "RETURNING " US("idle_expires_at") ", " US("expires_at")},
    /* A live session of an active user, and whether its use should be
     * recorded: not since $2 seconds (kp_session_resolve). */
    {"session_check", "SELECT u.id, u.login, u.full_name, u.role, s.id, "
                      "  s.last_used_at < now() - make_interval(secs => $2::double precision) "
                      "FROM sessions s JOIN users u ON u.id = s.user_id "
                      "WHERE s.token_hash = $1 AND u.active AND s.revoked_at IS NULL "
                      "  AND s.idle_expires_at > now() AND s.expires_at > now()"},
    /* Touches a live session; its user must still be active. */
    {"session_touch",
     "UPDATE sessions s SET last_used_at = now(), "
     "  idle_expires_at = least(s.expires_at, now() + make_interval(secs => $2::int)) "
     "FROM users u "
     "WHERE s.token_hash = $1 AND u.id = s.user_id AND u.active AND s.revoked_at IS NULL "
     "  AND s.idle_expires_at > now() AND s.expires_at > now() "
     "RETURNING u.id, u.login, u.full_name, u.role, s.id"},
    /* Why a token did not match a live session. */
    {"session_why_not",
     "SELECT s.revoked_why, s.idle_expires_at <= now(), s.expires_at <= now(), u.active "
     "FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1"},
    {"session_end_all", "UPDATE sessions SET revoked_at = now(), revoked_why = $3 "
                        "WHERE user_id = $1 AND id <> $2 AND revoked_at IS NULL"},
    {"session_end", "UPDATE sessions SET revoked_at = now(), revoked_why = $2 "
                    "WHERE id = $1 AND revoked_at IS NULL"},
    {NULL, NULL},
};

/* SHA-256 of the token, hex, into out (65 bytes). */
static void s_token_hash(const char *token, char out[65])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)token, strlen(token));
    kp_hex(h, sizeof h, out);
}

void kp_session_token_hash(const char *token, char out[65])
{
    s_token_hash(token, out);
}

int kp_session_create(kp_req *r, int64_t user_id, const char **token, int64_t *idle_expires_us,
                      int64_t *expires_us)
{
    unsigned char raw[KP_TOKEN_BYTES];
    randombytes_buf(raw, sizeof raw);
    char *hex = kp_arena_alloc(r->arena, KP_TOKEN_HEX + 1);
    kp_hex(raw, sizeof raw, hex);
    sodium_memzero(raw, sizeof raw);
    char hash[65], uid[24], idle[16], max[16];
    s_token_hash(hex, hash);
    snprintf(uid, sizeof uid, "%lld", (long long)user_id);
    snprintf(idle, sizeof idle, "%d", r->server->session_idle_s);
    snprintf(max, sizeof max, "%d", r->server->session_max_s);
    const char *params[6] = {
        uid, hash, idle, max, r->peer_addr ? r->peer_addr : "", r->peer_key ? r->peer_key : ""};
    PGresult *res;
    int rc = kp_req_call(r, "session_insert", 6, params, &res);
    if (rc != KP_OK) return rc;
    *idle_expires_us = atoll(PQgetvalue(res, 0, 0));
    *expires_us = atoll(PQgetvalue(res, 0, 1));
    *token = hex;
    return KP_OK;
}

static int s_well_formed(const char *token)
{
    if (strlen(token) != KP_TOKEN_HEX) return 0;
    for (const char *p = token; *p; p++)
        if (!isdigit((unsigned char)*p) && !(*p >= 'a' && *p <= 'f')) return 0;
    return 1;
}

int kp_session_resolve(kp_req *r)
{
    const char *token = r->msg->session_token ? r->msg->session_token : "";
    if (!*token)
        return kp_req_fail(r, KP_UNAUTHENTICATED,
                           "not logged in: %s needs a session token from Login",
                           kp_wire_body_name(r->msg));
    if (!s_well_formed(token))
        return kp_req_fail(r, KP_UNAUTHENTICATED,
                           "malformed session token (expected 64 hex characters from Login); "
                           "log in again");
    char hash[65], idle[16], every[32];
    s_token_hash(token, hash);
    snprintf(idle, sizeof idle, "%d", r->server->session_idle_s);
    /* Recording each use would make every request, reads too, a commit
     * of its own (a WAL flush). The idle expiry moves forward at most every
     * tenth of --session-idle (and every minute at most), so a session
     * may end that much earlier than its last use says, never later. */
    double step = r->server->session_idle_s / 10.0;
    snprintf(every, sizeof every, "%.3f", step < 60 ? step : 60);
    const char *params[2] = {hash, idle};
    const char *check[2] = {hash, every};
    PGresult *res;
    int rc = kp_req_call(r, "session_check", 2, check, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "checking the session");
    if (PQntuples(res) == 1 && kp_db_bool(res, 0, 5)) {
        rc = kp_req_call(r, "session_touch", 2, params, &res);
        if (rc != KP_OK) return kp_req_db_fail(r, rc, "checking the session");
    }
    if (PQntuples(res) == 1) {
        r->user_id = atoll(PQgetvalue(res, 0, 0));
        r->login = kp_arena_strdup(r->arena, PQgetvalue(res, 0, 1));
        r->full_name = kp_arena_strdup(r->arena, PQgetvalue(res, 0, 2));
        r->role = kp_arena_strdup(r->arena, PQgetvalue(res, 0, 3));
        r->session_id = atoll(PQgetvalue(res, 0, 4));
        return KP_OK;
    }

    const char *why = "unknown session token";
    rc = kp_req_call(r, "session_why_not", 1, params, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "checking the session");
    if (PQntuples(res) == 1) {
        const char *revoked = PQgetvalue(res, 0, 0);
        if (!PQgetisnull(res, 0, 0))
            why = strcmp(revoked, "logout") == 0             ? "this session was logged out"
                  : strcmp(revoked, "password_changed") == 0 ? "the password was changed"
                  : strcmp(revoked, "password_reset") == 0   ? "the password was reset"
                                                             : "the account was disabled";
        else if (strcmp(PQgetvalue(res, 0, 3), "f") == 0)
            why = "the account is disabled";
        else if (strcmp(PQgetvalue(res, 0, 2), "t") == 0)
            why = "the session reached its maximum age";
        else
            why = "the session expired after a time without use";
    }
    return kp_req_fail(r, KP_UNAUTHENTICATED, "session ended: %s; log in again", why);
}

int kp_session_end_all(kp_req *r, int64_t user_id, int64_t except, const char *why, int *count)
{
    char uid[24], ex[24];
    snprintf(uid, sizeof uid, "%lld", (long long)user_id);
    snprintf(ex, sizeof ex, "%lld", (long long)except);
    const char *params[3] = {uid, ex, why};
    PGresult *res;
    int rc = kp_req_call(r, "session_end_all", 3, params, &res);
    if (rc != KP_OK) return rc;
    if (count) *count = atoi(PQcmdTuples(res));
    return KP_OK;
}

int kp_session_end(kp_req *r, int64_t session_id, const char *why)
{
    char id[24];
    snprintf(id, sizeof id, "%lld", (long long)session_id);
    const char *params[2] = {id, why};
    return kp_req_call(r, "session_end", 2, params, NULL);
}
