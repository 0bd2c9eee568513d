/*  team: people and evaluations for integration tests (see team.h). */
#include "team.h"

#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int s_run(th_server *s, const char *home, const char *input, char **out, char **err,
                 const char *first, va_list ap)
{
    const char *args[60];
    int n = 0;
    for (const char *a = first; a && n < 59; a = va_arg(ap, const char *))
        args[n++] = a;
    args[n] = NULL;
    return th_cli_full(s, home, input, out, err, args);
}

static void s_home(th_server *s, const char *login, char *home, size_t len)
{
    snprintf(home, len, "%s/home-%s", s->dir, login);
    mkdir(home, 0700);
}

static void s_login(th_server *s, const char *home, const char *login, const char *password)
{
    const char *args[] = {"login", login, "--password-stdin", NULL};
    char *err = NULL;
    int rc = th_cli_full(s, home, password, NULL, &err, args);
    cr_assert_eq(rc, 0, "login %s failed: %s", login, err);
    free(err);
}

void tt_login(th_server *s, const char *login, char *home, size_t len)
{
    snprintf(home, len, "%s/home-%s-%d", s->dir, login, (int)s->pid);
    mkdir(home, 0700);
    s_login(s, home, login, strcmp(login, "admin") == 0 ? TH_ADMIN_PASSWORD : TT_PASSWORD);
}

void tt_admin(th_server *s, char *home, size_t len)
{
    s_home(s, "admin", home, len);
    s_login(s, home, "admin", TH_ADMIN_PASSWORD);
}

void tt_user(th_server *s, const char *admin_home, const char *login, const char *name,
             const char *org, const char *role, char *home, size_t len)
{
    const char *args[] = {"user", "add",    login, "--name",           name, "--org",
                          org,    "--role", role,  "--password-stdin", NULL};
    char *err = NULL;
    int rc = th_cli_full(s, admin_home, TT_PASSWORD, NULL, &err, args);
    cr_assert_eq(rc, 0, "user add %s failed: %s", login, err);
    free(err);
    s_home(s, login, home, len);
    s_login(s, home, login, TT_PASSWORD);
}

int tt_cli(th_server *s, const char *home, char **out, char **err, const char *arg, ...)
{
    va_list ap;
    va_start(ap, arg);
    int rc = s_run(s, home, NULL, out, err, arg, ap);
    va_end(ap);
    return rc;
}

json_t *tt_json(th_server *s, const char *home, int expect, const char *arg, ...)
{
    const char *args[60];
    int n = 0;
    args[n++] = "--json";
    va_list ap;
    va_start(ap, arg);
    for (const char *a = arg; a && n < 59; a = va_arg(ap, const char *))
        args[n++] = a;
    va_end(ap);
    args[n] = NULL;
    char *out = NULL, *err = NULL;
    int rc = th_cli_full(s, home, NULL, &out, &err, args);
    cr_assert_eq(rc, expect, "kompass %s exited %d, not %d: %s %s", arg, rc, expect, out, err);
    json_error_t e;
    json_t *doc = json_loads(out, 0, &e);
    cr_assert(doc, "kompass --json %s printed no JSON (%s): %s", arg, e.text, out);
    free(out);
    free(err);
    return doc;
}

long long tt_eval(th_server *s, const char *admin_home, const char *municipality, const char *label)
{
    tt_cli(s, admin_home, NULL, NULL, "municipality", "add", municipality, NULL);
    json_t *doc = tt_json(s, admin_home, 0, "eval", "create", "--municipality", municipality,
                          "--framework", "KK2015", "--label", label, NULL);
    long long id = (long long)json_integer_value(json_object_get(doc, "id"));
    json_decref(doc);
    cr_assert_gt(id, 0);
    return id;
}

long long tt_scoring_eval(th_server *s, const char *admin_home, char *lead, char *peer)
{
    tt_user(s, admin_home, "christine", "Christine Feuk", "SKL", "evaluator", lead, 300);
    tt_user(s, admin_home, "ewa", "Ewa Luvö", "Borås Stad", "evaluator", peer, 300);
    long long id = tt_eval(s, admin_home, "Västerås stad", "2017");
    char ids[32];
    snprintf(ids, sizeof ids, "%lld", id);
    cr_assert_eq(
        tt_cli(s, admin_home, NULL, NULL, "eval", "assign", ids, "christine", "--as", "lead", NULL),
        0);
    cr_assert_eq(
        tt_cli(s, admin_home, NULL, NULL, "eval", "assign", ids, "ewa", "--as", "peer", NULL), 0);
    char *err = NULL;
    cr_assert_eq(tt_cli(s, lead, NULL, &err, "eval", "start", ids, NULL), 0, "%s", err);
    free(err);
    return id;
}

int tt_sql_try(th_server *s, const char *sql, char **err)
{
    PGconn *c = PQconnectdb(s->conninfo);
    cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(r);
    int rc = (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) ? 0 : -1;
    if (rc != 0 && err) *err = strdup(PQresultErrorMessage(r));
    PQclear(r);
    PQfinish(c);
    return rc;
}
