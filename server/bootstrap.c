/*  bootstrap: the first administrator (see bootstrap.h). */
#include "bootstrap.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "log.h"
#include "password.h"
#include "status.h"
#include "util.h"

const kp_stmt kp_bootstrap_stmts[] = {
    {"boot_active_admins", "SELECT count(*) FROM users WHERE role = 'admin' AND active"},
    /* The account as it was, for the audit trail, locked until COMMIT. */
    {"boot_admin_lock",
     "SELECT login, full_name, organisation, role, active FROM users WHERE login = $1 FOR UPDATE"},
    /* Returns whether the row is new (xmax is 0 for an inserted row). */
    {"boot_admin_upsert", "INSERT INTO users (login, full_name, organisation, role, password_hash) "
                          "VALUES ($1, 'Administrator', 'SKL', 'admin', $2) "
                          "ON CONFLICT (login) DO UPDATE SET role = 'admin', active = true, "
                          "  password_hash = EXCLUDED.password_hash, password_set_at = now() "
                          "RETURNING (xmax = 0), login, full_name, organisation, role, active"},
    {"boot_admin_hash", "SELECT password_hash FROM users WHERE login = $1"},
    {NULL, NULL},
};

/* A password of 24 characters that are hard to misread: about 140 bits. */
static void s_generate(char out[25])
{
    static const char alphabet[] = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    for (int i = 0; i < 24; i++)
        out[i] = alphabet[randombytes_uniform(sizeof alphabet - 1)];
    out[24] = '\0';
}

/* Removes DATA-DIR/admin-password if it no longer opens the admin account. */
static void s_forget_stale_file(kp_db *db, const char *path)
{
    size_t len = 0;
    char *text = kp_read_file(path, 4096, &len);
    if (!text) return;
    kp_trim(text);
    const char *params[1] = {KP_ADMIN_LOGIN};
    PGresult *res;
    if (kp_db_call(db, "boot_admin_hash", 1, params, &res) == KP_OK) {
        int current = PQntuples(res) == 1 && kp_password_verify(PQgetvalue(res, 0, 0), text);
        PQclear(res);
        if (!current && unlink(path) == 0)
            kp_info("bootstrap", "removed %s: it no longer is the password of '%s'", path,
                    KP_ADMIN_LOGIN);
    }
    sodium_memzero(text, len);
    free(text);
}

/* The account in row `row` of res, columns from col on (login, full_name,
 * organisation, role, active), as the audit trail shows a user. */
static const char *s_user_json(kp_req *r, const PGresult *res, int col)
{
    return kp_audit_json(r,
                         json_pack("{s:s,s:s,s:s,s:s,s:b}", "login", PQgetvalue(res, 0, col),
                                   "full_name", PQgetvalue(res, 0, col + 1), "organisation",
                                   PQgetvalue(res, 0, col + 2), "role", PQgetvalue(res, 0, col + 3),
                                   "active", strcmp(PQgetvalue(res, 0, col + 4), "t") == 0));
}

/* In one transaction: creates or restores the account with hash, and
 * records it in the global audit chain as done by kompassd itself. *inserted
 * tells which. 0, or -1 with err. */
static int s_upsert_admin(kp_db *db, const char *hash, int *inserted, char *err, size_t errlen)
{
    kp_arena *arena = kp_arena_new();
    kp_response resp;
    kompass__v1__response__init(&resp);
    kp_req r = {0}; /* kompassd itself: no user, no client */
    r.arena = arena;
    r.db = db;
    r.resp = &resp;
    r.login = "";
    r.peer_addr = "";
    r.peer_key = "";
    const char *params[2] = {KP_ADMIN_LOGIN, hash};
    const char *before = NULL;
    PGresult *res = NULL;
    int ret = -1;
    int rc = kp_db_begin(db);
    if (rc == KP_OK) rc = kp_db_call(db, "boot_admin_lock", 1, params, &res);
    if (rc == KP_OK) {
        if (PQntuples(res) == 1) before = s_user_json(&r, res, 0);
        PQclear(res);
        rc = kp_db_call(db, "boot_admin_upsert", 2, params, &res);
    }
    if (rc != KP_OK) {
        snprintf(err, errlen, "cannot create the administrator: %s", kp_db_error(db));
        goto out;
    }
    *inserted = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    kp_audit_event ev = {0};
    ev.action = *inserted ? "user.add" : "user.restore";
    ev.target = "user " KP_ADMIN_LOGIN;
    ev.before = before;
    ev.after = s_user_json(&r, res, 1);
    ev.reason = "kompassd started without an active administrator";
    PQclear(res);
    if (kp_audit_append(&r, &ev) != KP_OK) {
        snprintf(err, errlen, "cannot record the administrator in the audit trail: %s", resp.error);
        goto out;
    }
    if (kp_db_commit(db) != KP_OK) {
        snprintf(err, errlen, "cannot create the administrator: %s", kp_db_error(db));
        goto out;
    }
    ret = 0;
out:
    if (ret != 0) kp_db_rollback(db);
    kp_arena_destroy(&arena);
    return ret;
}

int kp_bootstrap_admin(kp_db *db, const char *data_dir, const char *env_password, char *err,
                       size_t errlen)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/admin-password", data_dir);
    PGresult *res;
    int rc = kp_db_call(db, "boot_active_admins", 0, NULL, &res);
    if (rc != KP_OK) {
        snprintf(err, errlen, "cannot count administrators: %s", kp_db_error(db));
        return -1;
    }
    long admins = atol(PQgetvalue(res, 0, 0));
    PQclear(res);
    if (admins > 0) {
        s_forget_stale_file(db, path);
        return 0;
    }

    char generated[25] = "";
    const char *password = env_password;
    if (password && *password) {
        const char *problem = kp_password_problem(password);
        if (problem) {
            snprintf(err, errlen, "KOMPASS_ADMIN_PASSWORD cannot be used: %s", problem);
            return -1;
        }
    } else {
        s_generate(generated);
        password = generated;
    }
    char hash[KP_PASSWORD_HASH_MAX];
    int ret = -1;
    if (kp_password_hash(password, hash) != KP_OK) {
        snprintf(err, errlen, "cannot hash the administrator's password (out of memory)");
        goto out;
    }
    if (generated[0]) {
        /* On disk before the account exists: a crash in between loses nothing. */
        char line[32];
        int n = snprintf(line, sizeof line, "%s\n", generated);
        rc = kp_write_file(path, line, (size_t)n, 0600);
        sodium_memzero(line, sizeof line);
        if (rc != 0) {
            snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
            goto out;
        }
    }
    int inserted = 0;
    if (s_upsert_admin(db, hash, &inserted, err, errlen) != 0) goto out;
    const char *did = inserted ? "created" : "restored (no active administrator was left)";
    if (generated[0]) {
        kp_info("bootstrap", "%s the administrator account '%s'; its password is in %s", did,
                KP_ADMIN_LOGIN, path);
        /* Printed once, on stdout, not through the log. */
        printf("\nkompassd: %s the administrator account '%s'\n"
               "  password: %s\n"
               "  (also in %s, readable only by its owner;\n"
               "   log in with `kompass login %s`, then change it with `kompass passwd`)\n\n",
               did, KP_ADMIN_LOGIN, generated, path, KP_ADMIN_LOGIN);
        fflush(stdout);
    } else {
        kp_info("bootstrap",
                "%s the administrator account '%s' with the password from "
                "KOMPASS_ADMIN_PASSWORD",
                did, KP_ADMIN_LOGIN);
        if (unlink(path) == 0) kp_info("bootstrap", "removed the old %s", path);
    }
    ret = 0;
out:
    sodium_memzero(generated, sizeof generated);
    sodium_memzero(hash, sizeof hash);
    return ret;
}
