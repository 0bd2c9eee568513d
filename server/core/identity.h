/*  identity: what users are made of, shared by the session and user RPCs.
 *
 *  The rules for a login name, a full name and an organisation, the global
 *  roles by name and by protocol value, and a users row turned into a
 *  kompass.v1.User. The same rules hold in the database (CHECK constraints
 *  in sql/002_identity.sql); checking here first gives a person a sentence
 *  instead of a constraint name.
 */
#ifndef KP_IDENTITY_H
#define KP_IDENTITY_H

#include <libpq-fe.h>

#include "req.h"

/* NULL when login is a valid login name (2-32 of a-z 0-9 . _ -, starting
 * with a letter), else a sentence. */
const char *kp_identity_login_problem(const char *login);

/* NULL when text may be a full name or organisation (what, for the
 * sentence): 1-200 characters, no control characters. */
const char *kp_identity_text_problem(const char *text, const char *what, kp_arena *arena);

/* A copy of login in the arena, ASCII letters lower-cased ("Ewa" -> "ewa"). */
char *kp_identity_login_fold(kp_arena *arena, const char *login);

/* The columns a User is made of, in this order, for SELECT lists. */
#define KP_USER_COLUMNS                                                                            \
    "u.login, u.full_name, u.organisation, u.role, u.active, "                                     \
    "(extract(epoch FROM u.created_at) * 1000000)::bigint, "                                       \
    "coalesce((extract(epoch FROM u.last_login_at) * 1000000)::bigint, 0)"
#define KP_USER_NCOLUMNS 7

/* A User (in the arena) from row `row` of res, columns col.. col+6 as in
 * KP_USER_COLUMNS. */
Kompass__V1__User *kp_identity_user(kp_arena *arena, const PGresult *res, int row, int col);

/* One users row, found by login (kp_identity_user_find). */
typedef struct {
    int64_t id;
    const char *login, *full_name, *organisation, *role; /* in the arena */
    int active;
} kp_user_row;

/* The user whose login is exactly login: KP_OK with *u, KP_NOT_FOUND when
 * there is none, or a database status; r is not failed (the caller has its
 * own sentence). */
int kp_identity_user_find(kp_req *r, const char *login, kp_user_row *u);

extern const kp_stmt kp_identity_stmts[];

#endif
