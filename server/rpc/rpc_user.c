/*  rpc_user: user administration (admins only, server/authz.c).
 *
 *  UserAdd, UserList, UserSetActive, UserEdit, UserResetPassword. Disabling a user or
 *  resetting their password ends all their sessions in the same
 *  transaction. An administrator cannot disable their own account, and two
 *  administrators disabling each other at once cannot leave none: disabling
 *  first locks every active administrator's row (in id order, so without
 *  deadlock) and checks that the caller is still one of them.
 *
 *  Each handler that writes does so in one transaction, in the handler, and
 *  records one event in the global audit chain in that transaction
 *  (server/audit.h): user.add, user.disable, user.enable, user.edit,
 *  user.reset_password. No password or hash enters the trail: a password
 *  change shows as the time the credentials were set.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "identity.h"
#include "password.h"
#include "roles.h"
#include "rpc.h"
#include "session.h"
#include "util.h"

const kp_stmt kp_rpc_user_stmts[] = {
    {"user_insert",
     "INSERT INTO users AS u (login, full_name, organisation, role, password_hash, created_by) "
     "VALUES ($1, $2, $3, $4, $5, $6) RETURNING " KP_USER_COLUMNS},
    {"user_list", "SELECT " KP_USER_COLUMNS " FROM users u ORDER BY u.login"},
    {"user_lock_admins",
     "SELECT id FROM users WHERE role = 'admin' AND active ORDER BY id FOR UPDATE"},
    {"user_lock",
     "SELECT u.id, u.active, (extract(epoch FROM u.password_set_at) * 1000000)::bigint "
     "FROM users u WHERE u.login = $1 FOR UPDATE"},
    {"user_set_active",
     "UPDATE users u SET active = $2 WHERE u.id = $1 RETURNING " KP_USER_COLUMNS},
    {"user_edit", "UPDATE users u SET full_name = $2, organisation = $3 WHERE u.id = $1 "
                  "RETURNING " KP_USER_COLUMNS},
    {"user_names", "SELECT full_name, organisation FROM users WHERE id = $1"},
    {"user_get", "SELECT " KP_USER_COLUMNS " FROM users u WHERE u.id = $1"},
    {"user_set_password",
     "UPDATE users SET password_hash = $2, password_set_at = now() WHERE id = $1 "
     "RETURNING (extract(epoch FROM password_set_at) * 1000000)::bigint"},
    {NULL, NULL},
};

static const char *s_id(kp_req *r, int64_t id)
{
    return kp_arena_printf(r->arena, "%lld", (long long)id);
}

/* What the trail shows of a user: the row of KP_USER_COLUMNS in res, without
 * times that are bookkeeping (created, last login). */
static const char *s_user_json(kp_req *r, const PGresult *res)
{
    return kp_audit_json(r, json_pack("{s:s,s:s,s:s,s:s,s:b}", "login", PQgetvalue(res, 0, 0),
                                      "full_name", PQgetvalue(res, 0, 1), "organisation",
                                      PQgetvalue(res, 0, 2), "role", PQgetvalue(res, 0, 3),
                                      "active", strcmp(PQgetvalue(res, 0, 4), "t") == 0));
}

/* {"credentials_set_at": "..."} (plus sessions_ended when >= 0). */
static const char *s_credentials_json(kp_req *r, int64_t set_us, int sessions_ended)
{
    char at[32];
    kp_format_utc_us(set_us, at);
    json_t *o = json_pack("{s:s}", "credentials_set_at", at);
    if (sessions_ended >= 0) json_object_set_new(o, "sessions_ended", json_integer(sessions_ended));
    return kp_audit_json(r, o);
}

const char *kp_user_add_problem(kp_arena *arena, const Kompass__V1__UserAddRequest *in)
{
    const char *login = in->login ? in->login : "";
    const char *problem = kp_identity_login_problem(login);
    if (!problem) problem = kp_identity_text_problem(in->full_name, "full name", arena);
    if (!problem) problem = kp_identity_text_problem(in->organisation, "organisation", arena);
    if (!problem && !kp_role_name(in->role))
        problem = "the role must be admin, evaluator or observer";
    if (!problem) problem = kp_password_problem(in->password ? in->password : "");
    return problem;
}

int kp_rpc_user_add(kp_req *r)
{
    Kompass__V1__UserAddRequest *in = r->msg->user_add;
    char *password = in->password ? in->password : "";
    const char *login = in->login ? in->login : "";
    const char *role = kp_role_name(in->role);
    const char *problem = kp_user_add_problem(r->arena, in);
    int rc;
    if (problem) {
        rc = kp_req_fail(r, KP_BAD_REQUEST, "user_add '%s': %s", login, problem);
        goto out;
    }
    char hash[KP_PASSWORD_HASH_MAX];
    if (kp_password_hash(password, hash) != KP_OK) {
        rc = kp_req_fail(r, KP_INTERNAL, "cannot hash the password (out of memory)");
        goto out;
    }
    const char *params[6] = {login, in->full_name, in->organisation,
                             role,  hash,          s_id(r, r->user_id)};
    PGresult *res = NULL;
    rc = kp_db_begin(r->db);
    if (rc == KP_OK) rc = kp_req_call(r, "user_insert", 6, params, &res);
    if (rc == KP_CONFLICT) kp_req_fail(r, KP_CONFLICT, "there is already a user '%s'", login);
    if (rc == KP_OK) {
        kp_audit_event ev = {0};
        ev.action = "user.add";
        ev.target = kp_arena_printf(r->arena, "user %s", login);
        ev.after = s_user_json(r, res);
        rc = kp_audit_append(r, &ev);
    }
    rc = kp_req_end_tx(r, rc, "adding the user");
    if (rc != KP_OK) goto out;
    Kompass__V1__UserAddResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__user_add_response__init(out);
    out->user = kp_identity_user(r->arena, res, 0, 0);
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_USER_ADD;
    r->resp->user_add = out;
out:
    kp_password_wipe(password);
    return rc;
}

int kp_rpc_user_list(kp_req *r)
{
    PGresult *res;
    int rc = kp_req_call(r, "user_list", 0, NULL, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "listing users");
    Kompass__V1__UserListResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__user_list_response__init(out);
    out->n_users = (size_t)PQntuples(res);
    out->users = kp_arena_alloc(r->arena, sizeof *out->users * (out->n_users + 1));
    for (size_t i = 0; i < out->n_users; i++)
        out->users[i] = kp_identity_user(r->arena, res, (int)i, 0);
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_USER_LIST;
    r->resp->user_list = out;
    return KP_OK;
}

/* Inside a transaction: locks the user `login`; *id, whether *active, when
 * the password was *set_us. KP_NOT_FOUND if none. */
static int s_lock_user(kp_req *r, const char *login, int64_t *id, int *active, int64_t *set_us)
{
    const char *params[1] = {login};
    PGresult *res;
    int rc = kp_req_call(r, "user_lock", 1, params, &res);
    if (rc != KP_OK) return rc;
    if (PQntuples(res) == 0) {
        rc = KP_NOT_FOUND;
    } else {
        *id = atoll(PQgetvalue(res, 0, 0));
        *active = strcmp(PQgetvalue(res, 0, 1), "t") == 0;
        *set_us = atoll(PQgetvalue(res, 0, 2));
    }
    return rc;
}

/* Inside a transaction: whether the caller is still an active admin, with
 * every active admin's row locked. */
static int s_lock_admins(kp_req *r, int *caller_is_admin)
{
    PGresult *res;
    int rc = kp_req_call(r, "user_lock_admins", 0, NULL, &res);
    if (rc != KP_OK) return rc;
    *caller_is_admin = 0;
    for (int i = 0; i < PQntuples(res); i++)
        if (atoll(PQgetvalue(res, i, 0)) == r->user_id) *caller_is_admin = 1;
    return KP_OK;
}

int kp_rpc_user_set_active(kp_req *r)
{
    Kompass__V1__UserSetActiveRequest *in = r->msg->user_set_active;
    const char *login = kp_identity_login_fold(r->arena, in->login);
    if (!*login) return kp_req_fail(r, KP_BAD_REQUEST, "user_set_active: the login is empty");
    if (!in->active && strcmp(login, r->login) == 0)
        return kp_req_fail(r, KP_INVALID_STATE,
                           "you cannot disable your own account; another administrator can");
    int64_t id = 0, set_us = 0;
    int ended = 0, still_admin = 1, was_active = 0;
    PGresult *res = NULL;
    const char *what = "changing the user";
    int rc = kp_db_begin(r->db);
    if (rc == KP_OK && !in->active) rc = s_lock_admins(r, &still_admin);
    if (rc == KP_OK && !still_admin)
        rc = kp_req_fail(r, KP_DENIED, "your account is no longer an active administrator");
    if (rc == KP_OK) rc = s_lock_user(r, login, &id, &was_active, &set_us);
    if (rc == KP_NOT_FOUND) kp_req_fail(r, KP_NOT_FOUND, "no user '%s'", login);
    const char *params[2] = {s_id(r, id), in->active ? "true" : "false"};
    if (rc == KP_OK) rc = kp_req_call(r, "user_set_active", 2, params, &res);
    if (rc == KP_OK && !in->active) {
        rc = kp_session_end_all(r, id, 0, "user_disabled", &ended);
        what = "ending the user's sessions";
    }
    if (rc == KP_OK) {
        kp_audit_event ev = {0};
        ev.action = in->active ? "user.enable" : "user.disable";
        ev.target = kp_arena_printf(r->arena, "user %s", login);
        ev.before = kp_audit_json(r, json_pack("{s:b}", "active", was_active));
        json_t *after = json_pack("{s:b}", "active", (int)in->active);
        if (!in->active) json_object_set_new(after, "sessions_ended", json_integer(ended));
        ev.after = kp_audit_json(r, after);
        rc = kp_audit_append(r, &ev);
    }
    rc = kp_req_end_tx(r, rc, what);
    if (rc != KP_OK) return rc;
    Kompass__V1__UserSetActiveResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__user_set_active_response__init(out);
    out->user = kp_identity_user(r->arena, res, 0, 0);
    out->sessions_ended = (uint32_t)ended;
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_USER_SET_ACTIVE;
    r->resp->user_set_active = out;
    return KP_OK;
}

int kp_rpc_user_edit(kp_req *r)
{
    Kompass__V1__UserEditRequest *in = r->msg->user_edit;
    const char *login = kp_identity_login_fold(r->arena, in->login);
    if (!*login) return kp_req_fail(r, KP_BAD_REQUEST, "user_edit: the login is empty");
    const char *name = in->full_name ? in->full_name : "";
    const char *org = in->organisation ? in->organisation : "";
    if (!*name && !*org)
        return kp_req_fail(r, KP_BAD_REQUEST,
                           "user_edit: give a new full name or organisation (or both)");
    const char *problem = NULL;
    if (*name) problem = kp_identity_text_problem(name, "full name", r->arena);
    if (!problem && *org) problem = kp_identity_text_problem(org, "organisation", r->arena);
    if (problem) return kp_req_fail(r, KP_BAD_REQUEST, "user_edit: %s", problem);

    int64_t id = 0, set_us = 0;
    int active = 0;
    PGresult *res = NULL;
    int rc = kp_db_begin(r->db);
    if (rc == KP_OK) rc = s_lock_user(r, login, &id, &active, &set_us);
    if (rc == KP_NOT_FOUND) kp_req_fail(r, KP_NOT_FOUND, "no user '%s'", login);
    const char *was_name = "", *was_org = "";
    if (rc == KP_OK) {
        const char *p[1] = {s_id(r, id)};
        rc = kp_req_call(r, "user_names", 1, p, &res);
        if (rc == KP_OK) {
            was_name = kp_db_str(r->arena, res, 0, 0);
            was_org = kp_db_str(r->arena, res, 0, 1);
        }
    }
    if (!*name) name = was_name;
    if (!*org) org = was_org;
    int changed = strcmp(name, was_name) != 0 || strcmp(org, was_org) != 0;
    if (rc == KP_OK) {
        const char *p[3] = {s_id(r, id), name, org};
        /* unchanged: the row read back, nothing written */
        rc = changed ? kp_req_call(r, "user_edit", 3, p, &res)
                     : kp_req_call(r, "user_get", 1, p, &res);
    }
    if (rc == KP_OK && changed) {
        kp_audit_event ev = {0};
        ev.action = "user.edit";
        ev.target = kp_arena_printf(r->arena, "user %s", login);
        ev.before = kp_audit_json(
            r, json_pack("{s:s,s:s}", "full_name", was_name, "organisation", was_org));
        ev.after = kp_audit_json(r, json_pack("{s:s,s:s}", "full_name", name, "organisation", org));
        rc = kp_audit_append(r, &ev);
    }
    rc = kp_req_end_tx(r, rc, "correcting the user");
    if (rc != KP_OK) return rc;
    Kompass__V1__UserEditResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__user_edit_response__init(out);
    out->user = kp_identity_user(r->arena, res, 0, 0);
    out->changed = changed;
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_USER_EDIT;
    r->resp->user_edit = out;
    return KP_OK;
}

int kp_rpc_user_reset_password(kp_req *r)
{
    Kompass__V1__UserResetPasswordRequest *in = r->msg->user_reset_password;
    char *password = in->new_password ? in->new_password : "";
    const char *login = kp_identity_login_fold(r->arena, in->login);
    int rc;
    const char *problem = !*login ? "the login is empty" : kp_password_problem(password);
    if (problem) {
        rc = kp_req_fail(r, KP_BAD_REQUEST, "user_reset_password '%s': %s", login, problem);
        goto out;
    }
    char hash[KP_PASSWORD_HASH_MAX];
    if (kp_password_hash(password, hash) != KP_OK) {
        rc = kp_req_fail(r, KP_INTERNAL, "cannot hash the password (out of memory)");
        goto out;
    }
    int64_t id = 0, old_us = 0, new_us = 0;
    int ended = 0, active = 0;
    PGresult *res = NULL;
    rc = kp_db_begin(r->db);
    if (rc == KP_OK) rc = s_lock_user(r, login, &id, &active, &old_us);
    if (rc == KP_NOT_FOUND) kp_req_fail(r, KP_NOT_FOUND, "no user '%s'", login);
    const char *params[2] = {s_id(r, id), hash};
    if (rc == KP_OK) rc = kp_req_call(r, "user_set_password", 2, params, &res);
    if (rc == KP_OK) {
        new_us = atoll(PQgetvalue(res, 0, 0));
        rc = kp_session_end_all(r, id, 0, "password_reset", &ended);
    }
    if (rc == KP_OK) {
        kp_audit_event ev = {0};
        ev.action = "user.reset_password";
        ev.target = kp_arena_printf(r->arena, "user %s", login);
        ev.before = s_credentials_json(r, old_us, -1);
        ev.after = s_credentials_json(r, new_us, ended);
        rc = kp_audit_append(r, &ev);
    }
    rc = kp_req_end_tx(r, rc, "resetting the password");
    if (rc != KP_OK) goto out;
    Kompass__V1__UserResetPasswordResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__user_reset_password_response__init(out);
    out->sessions_ended = (uint32_t)ended;
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_USER_RESET_PASSWORD;
    r->resp->user_reset_password = out;
out:
    kp_password_wipe(password);
    return rc;
}
