/*  identity: what users are made of (see identity.h). */
#include "identity.h"
#include "roles.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

const kp_stmt kp_identity_stmts[] = {
    {"user_find",
     "SELECT id, login, full_name, organisation, role, active FROM users WHERE login = $1"},
    {NULL, NULL}};

int kp_identity_user_find(kp_req *r, const char *login, kp_user_row *u)
{
    PGresult *res;
    const char *p[1] = {login};
    int rc = kp_req_call(r, "user_find", 1, p, &res);
    if (rc != KP_OK) return rc;
    if (PQntuples(res) == 0) return KP_NOT_FOUND;
    u->id = kp_db_i64(res, 0, 0);
    u->login = kp_db_str(r->arena, res, 0, 1);
    u->full_name = kp_db_str(r->arena, res, 0, 2);
    u->organisation = kp_db_str(r->arena, res, 0, 3);
    u->role = kp_db_str(r->arena, res, 0, 4);
    u->active = kp_db_bool(res, 0, 5);
    return KP_OK;
}

const char *kp_identity_login_problem(const char *login)
{
    size_t n = strlen(login);
    if (n == 0) return "the login is empty";
    if (n < 2 || n > 32) return "a login is 2 to 32 characters long";
    if (!(login[0] >= 'a' && login[0] <= 'z')) return "a login starts with a letter a-z";
    for (const char *p = login; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || isdigit((unsigned char)*p) || *p == '.' || *p == '_' ||
              *p == '-'))
            return "a login has only the characters a-z, 0-9, '.', '_' and '-'";
    return NULL;
}

const char *kp_identity_text_problem(const char *text, const char *what, kp_arena *arena)
{
    size_t chars = 0;
    for (const char *p = text; *p; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return kp_arena_printf(arena, "the %s has a control character", what);
        if (((unsigned char)*p & 0xC0) != 0x80) chars++;
    }
    if (chars == 0) return kp_arena_printf(arena, "the %s is empty", what);
    if (chars > 200) return kp_arena_printf(arena, "the %s is longer than 200 characters", what);
    /* all white space counts as empty */
    for (const char *p = text; *p; p++)
        if (!isspace((unsigned char)*p)) return NULL;
    return kp_arena_printf(arena, "the %s is empty", what);
}

char *kp_identity_login_fold(kp_arena *arena, const char *login)
{
    char *s = kp_arena_strdup(arena, login ? login : "");
    for (char *p = s; *p; p++)
        if (*p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
    return s;
}

Kompass__V1__User *kp_identity_user(kp_arena *arena, const PGresult *res, int row, int col)
{
    Kompass__V1__User *u = kp_arena_alloc(arena, sizeof *u);
    kompass__v1__user__init(u);
    u->login = kp_arena_strdup(arena, PQgetvalue(res, row, col));
    u->full_name = kp_arena_strdup(arena, PQgetvalue(res, row, col + 1));
    u->organisation = kp_arena_strdup(arena, PQgetvalue(res, row, col + 2));
    u->role = (Kompass__V1__Role)kp_role_value(PQgetvalue(res, row, col + 3));
    u->active = strcmp(PQgetvalue(res, row, col + 4), "t") == 0;
    u->created_us = atoll(PQgetvalue(res, row, col + 5));
    u->last_login_us = atoll(PQgetvalue(res, row, col + 6));
    return u;
}
