/*  team: people and evaluations for integration tests, made through the CLI.
 *
 *  Each user gets their own CLI config home (a directory under the server's
 *  data dir), logged in, so a test drives several people at once exactly as
 *  they would: `tt_cli(s, ewa, ...)` runs `kompass` as Ewa.
 */
#ifndef KP_TEAM_H
#define KP_TEAM_H

#include <jansson.h>
#include <stddef.h>

#include "harness.h"

/* Logs the first admin in, in a config home of its own (path into home). */
void tt_admin(th_server *s, char *home, size_t len);

/* Creates a user (as admin_home) with a password, logs them in; their config
 * home into home. role: admin, evaluator, observer. */
void tt_user(th_server *s, const char *admin_home, const char *login, const char *name,
             const char *org, const char *role, char *home, size_t len);

/* Logs an existing user (password TT_PASSWORD, or the admin's) in to server
 * s in a new config home (into home): a session belongs to one server. */
void tt_login(th_server *s, const char *login, char *home, size_t len);

/* Runs `kompass ARGS` (NULL-terminated) as the user of home; exit code. */
int tt_cli(th_server *s, const char *home, char **out, char **err, const char *arg, ...);

/* Runs `kompass --json ARGS` as home's user, asserts exit code rc, returns the
 * parsed document (caller's to json_decref). */
json_t *tt_json(th_server *s, const char *home, int rc, const char *arg, ...);

/* The municipality (added if missing) and a new evaluation of it on KK2015,
 * labelled label, created by admin_home's admin; its id. */
long long tt_eval(th_server *s, const char *admin_home, const char *municipality,
                  const char *label);

/* An evaluation with christine (SKL) as lead and ewa (Borås Stad) as peer,
 * started (scoring). Their config homes into the buffers (300 bytes). */
long long tt_scoring_eval(th_server *s, const char *admin_home, char *lead, char *peer);

/* Runs sql on the server's database as its owner; 0, or -1 with *err. */
int tt_sql_try(th_server *s, const char *sql, char **err);

/* The password test users get. */
#define TT_PASSWORD "correct horse battery staple"

#endif
