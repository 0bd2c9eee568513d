/*  A client in another language: tests/python/ping.py (pyzmq + protoc's
 *  Python code, generated at test time) pings over CURVE, logs in, asks
 *  WhoAmI and logs out. Proves that proto/ and its README are all a client
 *  needs. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "harness.h"

static const char *s_script(void)
{
    static char path[600];
    snprintf(path, sizeof path, "%s/tests/python/ping.py", KP_SOURCE_DIR);
    return path;
}

Test(python, curve_ping_login_whoami_logout, .timeout = 120)
{
    th_server *s = th_server_start(NULL);
    /* "--" first: a Z85 key may begin with '-', which argparse would take
     * for an option */
    const char *argv[] = {KP_PYTHON3, s_script(), "--login",     "admin",
                          "--",       s->listen,  s->server_key, NULL};
    char *out = NULL, *err = NULL;
    int rc = th_run(argv, TH_ADMIN_PASSWORD "\n", &out, &err, 60000);
    cr_assert_eq(rc, 0, "ping.py exited %d:\n%s\n%s", rc, out, err);
    cr_assert(strstr(out, "ping: kompassd " KOMPASS_VERSION ", protocol 1, database reachable"),
              "%s", out);
    cr_assert(strstr(out, "whoami: admin (Administrator, SKL), role ROLE_ADMIN"), "%s", out);
    cr_assert(strstr(out, "logout: ok"), "%s", out);
    free(out);
    free(err);
    char *n = th_sql(s, "SELECT count(*) FROM sessions WHERE revoked_why = 'logout'");
    cr_assert_str_eq(n, "1");
    free(n);
    th_server_free(&s);
}

Test(python, wrong_key_gets_no_answer, .timeout = 60)
{
    th_server *s = th_server_start(NULL);
    char pub[41], sec[41];
    cr_assert_eq(zmq_curve_keypair(pub, sec), 0);
    const char *argv[] = {KP_PYTHON3, s_script(), "--timeout", "1", "--", s->listen, pub, NULL};
    char *out = NULL, *err = NULL;
    cr_assert_eq(th_run(argv, NULL, &out, &err, 60000), 1, "%s%s", out, err);
    cr_assert(strstr(err, "no answer within 1000 ms"), "%s", err);
    free(out);
    free(err);
    th_server_free(&s);
}

/* tests/python/evaluation.py, written from proto/README.md and kompass.proto
 * alone, runs a whole evaluation: users, framework, municipality, team,
 * scoring with versions, submit, updates and the Clone pattern, consensus,
 * texts under locks with four-eyes approval, three signatures, verify. */
Test(python, whole_evaluation, .timeout = 600)
{
    th_server *s = th_server_start(NULL);
    char script[600];
    snprintf(script, sizeof script, "%s/tests/python/evaluation.py", KP_SOURCE_DIR);
    const char *argv[] = {KP_PYTHON3, script, "--", s->listen, s->server_key, NULL};
    char *out = NULL, *err = NULL;
    int rc = th_run(argv, TH_ADMIN_PASSWORD "\n", &out, &err, 540000);
    cr_assert_eq(rc, 0, "evaluation.py exited %d:\n%s\n%s", rc, out, err);
    fputs(out, stderr); /* the steps, for ctest -V and CI logs */
    cr_assert(strstr(out, "evaluation: every step succeeded"), "%s", out);
    free(out);
    free(err);
    /* what the client says it did is in the database */
    char *n = th_sql(s, "SELECT status FROM evaluations ORDER BY id DESC LIMIT 1");
    cr_assert_str_eq(n, "signed");
    free(n);
    th_server_free(&s);
}

/* A step that fails stops evaluation.py with exit 1, naming the step and the
 * server's status and error (here: a wrong administrator password). */
Test(python, evaluation_names_the_failed_step, .timeout = 120)
{
    th_server *s = th_server_start(NULL);
    char script[600];
    snprintf(script, sizeof script, "%s/tests/python/evaluation.py", KP_SOURCE_DIR);
    const char *argv[] = {KP_PYTHON3, script, "--", s->listen, s->server_key, NULL};
    char *out = NULL, *err = NULL;
    int rc = th_run(argv, "not-the-admin-password\n", &out, &err, 60000);
    cr_assert_eq(rc, 1, "evaluation.py exited %d:\n%s\n%s", rc, out, err);
    cr_assert(strstr(err, "step login admin failed: login as admin: UNAUTHENTICATED: "), "%s", err);
    cr_assert(strstr(out, "ping:"), "%s", out);
    cr_assert_null(strstr(out, "every step succeeded"), "%s", out);
    free(out);
    free(err);
    th_server_free(&s);
}

/* Teams of three occur (domain.md): a lead and two peers, all three scoring
 * blind, submitting and signing. */
Test(python, whole_evaluation_team_of_three, .timeout = 600)
{
    th_server *s = th_server_start(NULL);
    char script[600];
    snprintf(script, sizeof script, "%s/tests/python/evaluation.py", KP_SOURCE_DIR);
    const char *argv[] = {KP_PYTHON3, script, "--peers", "2", "--", s->listen, s->server_key, NULL};
    char *out = NULL, *err = NULL;
    int rc = th_run(argv, TH_ADMIN_PASSWORD "\n", &out, &err, 540000);
    cr_assert_eq(rc, 0, "evaluation.py --peers 2 exited %d:\n%s\n%s", rc, out, err);
    fputs(out, stderr); /* the steps, for ctest -V and CI logs */
    cr_assert(strstr(out, "sign peer2:"), "%s", out);
    cr_assert(strstr(out, "evaluation: every step succeeded"), "%s", out);
    free(out);
    free(err);
    char *n = th_sql(s, "SELECT count(*) FROM signatures");
    cr_assert_str_eq(n, "4");
    free(n);
    th_server_free(&s);
}
