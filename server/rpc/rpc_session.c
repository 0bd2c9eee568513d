/*  rpc_session: the caller's own session and password.
 *
 *  Login (no session needed), Logout, WhoAmI, ChangePassword,
 *  Reauthenticate. Every password check goes through the throttle first
 *  (server/throttle.c) and every failure is recorded in the security log.
 *  A wrong login and a wrong password get the same sentence and take the
 *  same time, so Login does not tell which logins exist. Passwords are
 *  wiped from the request once checked or hashed.
 *
 *  Each handler that writes does so in one transaction, in the handler.
 *  ChangePassword records user.change_password in the global audit chain
 *  (no password or hash: the time the credentials were set). Sessions
 *  themselves are access, not data: Login and Logout are recorded in the
 *  security log (kinds login, logout), not in the audit trail
 *  (docs/audit.md, "What is recorded where").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "identity.h"
#include "password.h"
#include "rpc.h"
#include "seclog.h"
#include "session.h"
#include "throttle.h"
#include "util.h"

#define US(col) "(extract(epoch FROM " col ") * 1000000)::bigint"

const kp_stmt kp_rpc_session_stmts[] = {
    {"login_find_user", "SELECT u.id, u.password_hash, u.active FROM users u WHERE u.login = $1"},
    {"login_record",
     "UPDATE users u SET last_login_at = now(), password_hash = coalesce($2, password_hash) "
     "WHERE u.id = $1 RETURNING " KP_USER_COLUMNS},
    {"whoami_session",
     "SELECT " KP_USER_COLUMNS ", " US("s.created_at") ", " US("s.idle_expires_at") ", " US(
         "s.expires_at") " FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1"},
    {"own_password_hash", "SELECT password_hash FROM users WHERE id = $1"},
    {"own_password_lock", "SELECT " US("password_set_at") " FROM users WHERE id = $1 FOR UPDATE"},
    {"own_password_set",
     "UPDATE users SET password_hash = $2, password_set_at = now() WHERE id = $1 "
     "RETURNING " US("password_set_at")},
    {NULL, NULL},
};

static const char *s_id(kp_req *r, int64_t id)
{
    return kp_arena_printf(r->arena, "%lld", (long long)id);
}

int kp_rpc_login(kp_req *r)
{
    Kompass__V1__LoginRequest *in = r->msg->login;
    const char *login = kp_identity_login_fold(r->arena, in->login);
    char *password = in->password ? in->password : "";
    int rc = KP_OK;
    if (!*login) {
        rc = kp_req_fail(r, KP_BAD_REQUEST, "login: the login is empty");
        goto out;
    }
    if (strlen(login) > 64 || !*password || strlen(password) > KP_PASSWORD_MAX_BYTES) {
        rc = kp_req_fail(r, KP_BAD_REQUEST, "login: %s",
                         !*password ? "the password is empty"
                                    : "the login or the password is too long");
        goto out;
    }
    if ((rc = kp_throttle_check(r, login, 0)) != KP_OK) goto out;

    PGresult *res;
    const char *params[1] = {login};
    rc = kp_req_call(r, "login_find_user", 1, params, &res);
    if (rc != KP_OK) {
        rc = kp_req_db_fail(r, rc, "finding the user");
        goto out;
    }
    if (PQntuples(res) == 0) {
        kp_password_verify_nothing(password);
        rc = kp_throttle_failed(r, KP_UNAUTHENTICATED, login, 0, "no such login",
                                "wrong login or password");
        goto out;
    }
    int64_t user_id = atoll(PQgetvalue(res, 0, 0));
    char *hash = kp_arena_strdup(r->arena, PQgetvalue(res, 0, 1));
    int active = strcmp(PQgetvalue(res, 0, 2), "t") == 0;
    if (!kp_password_verify(hash, password)) {
        rc = kp_throttle_failed(r, KP_UNAUTHENTICATED, login, user_id, "wrong password",
                                "wrong login or password");
        goto out;
    }
    if (!active) {
        /* Said only to someone who knows the password. */
        rc = kp_throttle_failed(
            r, KP_UNAUTHENTICATED, login, user_id, "account disabled",
            kp_arena_printf(r->arena, "the account '%s' is disabled; ask an administrator", login));
        goto out;
    }
    char rehash[KP_PASSWORD_HASH_MAX];
    const char *new_hash = NULL;
    if (kp_password_needs_rehash(hash) && kp_password_hash(password, rehash) == KP_OK)
        new_hash = rehash;

    const char *token;
    int64_t idle_us, max_us;
    const char *rec[2] = {s_id(r, user_id), new_hash};
    rc = kp_db_begin(r->db);
    if (rc == KP_OK) rc = kp_session_create(r, user_id, &token, &idle_us, &max_us);
    if (rc == KP_OK) rc = kp_req_call(r, "login_record", 2, rec, &res);
    if (rc == KP_OK) rc = kp_seclog_write(r, KP_SEC_LOGIN, login, user_id, "");
    rc = kp_req_end_tx(r, rc, "opening the session");
    if (rc != KP_OK) goto out;
    Kompass__V1__LoginResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__login_response__init(out);
    out->session_token = (char *)token;
    out->user = kp_identity_user(r->arena, res, 0, 0);
    out->idle_expires_us = idle_us;
    out->expires_us = max_us;
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_LOGIN;
    r->resp->login = out;
out:
    kp_password_wipe(password);
    return rc;
}

int kp_rpc_logout(kp_req *r)
{
    int rc = kp_db_begin(r->db);
    if (rc == KP_OK) rc = kp_session_end(r, r->session_id, "logout");
    if (rc == KP_OK) rc = kp_seclog_write(r, KP_SEC_LOGOUT, r->login, r->user_id, "");
    rc = kp_req_end_tx(r, rc, "ending the session");
    if (rc != KP_OK) return rc;
    Kompass__V1__LogoutResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__logout_response__init(out);
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_LOGOUT;
    r->resp->logout = out;
    return KP_OK;
}

int kp_rpc_who_am_i(kp_req *r)
{
    const char *params[1] = {s_id(r, r->session_id)};
    PGresult *res;
    int rc = kp_req_call(r, "whoami_session", 1, params, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading the session");
    if (PQntuples(res) != 1) {
        return kp_req_fail(r, KP_UNAUTHENTICATED, "session ended; log in again");
    }
    Kompass__V1__WhoAmIResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__who_am_iresponse__init(out);
    out->user = kp_identity_user(r->arena, res, 0, 0);
    out->session_created_us = atoll(PQgetvalue(res, 0, KP_USER_NCOLUMNS));
    out->idle_expires_us = atoll(PQgetvalue(res, 0, KP_USER_NCOLUMNS + 1));
    out->expires_us = atoll(PQgetvalue(res, 0, KP_USER_NCOLUMNS + 2));
    out->client_key = kp_arena_strdup(r->arena, r->peer_key ? r->peer_key : "");
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_WHO_AM_I;
    r->resp->who_am_i = out;
    return KP_OK;
}

/* Checks the caller's own password, throttled and recorded like Login.
 * KP_OK when it is right; otherwise r is failed: a wrong password is DENIED
 * (KP_OWN_PASSWORD_WRONG), not UNAUTHENTICATED, since the session it was
 * asked in goes on (UNAUTHENTICATED tells a client its session ended). */
int kp_check_own_password(kp_req *r, const char *password)
{
    if (!password || !*password)
        return kp_req_fail(r, KP_BAD_REQUEST, "%s: the password is empty",
                           kp_wire_body_name(r->msg));
    if (strlen(password) > KP_PASSWORD_MAX_BYTES)
        return kp_req_fail(r, KP_DENIED, "%s", KP_OWN_PASSWORD_WRONG);
    int rc = kp_throttle_check(r, r->login, r->user_id);
    if (rc != KP_OK) return rc;
    const char *params[1] = {s_id(r, r->user_id)};
    PGresult *res;
    rc = kp_req_call(r, "own_password_hash", 1, params, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading your password hash");
    int ok = PQntuples(res) == 1 && kp_password_verify(PQgetvalue(res, 0, 0), password);
    if (!ok)
        return kp_throttle_failed(r, KP_DENIED, r->login, r->user_id, "wrong password",
                                  KP_OWN_PASSWORD_WRONG);
    return KP_OK;
}

int kp_rpc_change_password(kp_req *r)
{
    Kompass__V1__ChangePasswordRequest *in = r->msg->change_password;
    char *current = in->current_password ? in->current_password : "";
    char *fresh = in->new_password ? in->new_password : "";
    int rc;
    const char *problem = kp_password_problem(fresh);
    if (problem) {
        rc = kp_req_fail(r, KP_BAD_REQUEST, "new password: %s", problem);
        goto out;
    }
    if (strcmp(current, fresh) == 0) {
        rc = kp_req_fail(r, KP_BAD_REQUEST, "the new password is the current one");
        goto out;
    }
    if ((rc = kp_check_own_password(r, current)) != KP_OK) goto out;
    char hash[KP_PASSWORD_HASH_MAX];
    if (kp_password_hash(fresh, hash) != KP_OK) {
        rc = kp_req_fail(r, KP_INTERNAL, "cannot hash the new password (out of memory)");
        goto out;
    }
    int ended = 0;
    char old_at[32], new_at[32];
    PGresult *res = NULL;
    const char *params[2] = {s_id(r, r->user_id), hash};
    rc = kp_db_begin(r->db);
    if (rc == KP_OK) rc = kp_req_call(r, "own_password_lock", 1, params, &res);
    if (rc == KP_OK) {
        kp_format_utc_us(atoll(PQgetvalue(res, 0, 0)), old_at);
        rc = kp_req_call(r, "own_password_set", 2, params, &res);
    }
    if (rc == KP_OK) {
        kp_format_utc_us(atoll(PQgetvalue(res, 0, 0)), new_at);
        rc = kp_session_end_all(r, r->user_id, r->session_id, "password_changed", &ended);
    }
    if (rc == KP_OK) {
        kp_audit_event ev = {0};
        ev.action = "user.change_password";
        ev.target = kp_arena_printf(r->arena, "user %s", r->login);
        ev.before = kp_audit_json(r, json_pack("{s:s}", "credentials_set_at", old_at));
        ev.after = kp_audit_json(
            r, json_pack("{s:s,s:i}", "credentials_set_at", new_at, "sessions_ended", ended));
        rc = kp_audit_append(r, &ev);
    }
    rc = kp_req_end_tx(r, rc, "changing the password");
    if (rc != KP_OK) goto out;
    Kompass__V1__ChangePasswordResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__change_password_response__init(out);
    out->sessions_ended = (uint32_t)ended;
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_CHANGE_PASSWORD;
    r->resp->change_password = out;
out:
    kp_password_wipe(current);
    kp_password_wipe(fresh);
    return rc;
}

int kp_rpc_reauthenticate(kp_req *r)
{
    char *password = r->msg->reauthenticate->password;
    int rc = kp_check_own_password(r, password);
    kp_password_wipe(password);
    if (rc != KP_OK) return rc;
    Kompass__V1__ReauthenticateResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__reauthenticate_response__init(out);
    out->verified_us = kp_now_us();
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_REAUTHENTICATE;
    r->resp->reauthenticate = out;
    return KP_OK;
}
