/*  Ping end to end: the CLI against a real kompassd and PostgreSQL. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <string.h>
#include <zmq.h>

#include "harness.h"
#include "util.h"

/* A well-formed server key (of no server: nothing listens where it is used). */
static const char *s_key(void)
{
    static char pub[KP_CURVE_KEY_LEN + 1];
    char sec[KP_CURVE_KEY_LEN + 1];
    cr_assert_eq(zmq_curve_keypair(pub, sec), 0);
    return pub;
}

Test(ping, answers_with_version_and_reachable_database, .timeout = 120)
{
    th_server *s = th_server_start(NULL);
    char *out = NULL, *err = NULL;
    int rc = th_cli(s, &out, &err, "ping", NULL);
    cr_assert_eq(rc, 0, "kompass ping exited %d: %s", rc, err);
    cr_assert(strstr(out, "database     reachable"), "%s", out);
    cr_assert(strstr(out, "protocol 1"), "%s", out);
    free(out);
    free(err);
    th_server_free(&s);
}

Test(ping, json_output_is_one_document, .timeout = 120)
{
    th_server *s = th_server_start(NULL);
    char *out = NULL;
    cr_assert_eq(th_cli(s, &out, NULL, "--json", "ping", NULL), 0);
    json_error_t e;
    json_t *doc = json_loads(out, 0, &e);
    cr_assert(doc, "not JSON: %s (%s)", out, e.text);
    cr_assert(json_is_true(json_object_get(doc, "database_reachable")));
    cr_assert_eq(json_integer_value(json_object_get(doc, "protocol_version")), 1);
    cr_assert_str_eq(json_string_value(json_object_get(doc, "server_version")), KOMPASS_VERSION);
    json_decref(doc);
    free(out);
    th_server_free(&s);
}

Test(ping, unreachable_server_exits_6_within_timeout, .timeout = 60)
{
    /* Nothing listens on port 9 (discard) of loopback here. */
    const char *args[] = {
        "--server", "tcp://127.0.0.1:9", "--server-key", s_key(), "--timeout", "1", "ping", NULL};
    char *out = NULL, *err = NULL;
    int64_t t0 = kp_now_us();
    int rc = th_cli_full(NULL, "/nonexistent", NULL, &out, &err, args);
    int64_t ms = (kp_now_us() - t0) / 1000;
    cr_assert_eq(rc, 6, "exit %d, stderr %s", rc, err);
    cr_assert(strstr(err, "cannot reach kompassd at tcp://127.0.0.1:9"), "%s", err);
    cr_assert(ms < 4000, "took %lld ms with --timeout 1", (long long)ms);
    free(out);
    free(err);
}

Test(ping, unreachable_server_json_error, .timeout = 60)
{
    const char *args[] = {"--json",       "--server", "tcp://127.0.0.1:9",
                          "--server-key", s_key(),    "--timeout",
                          "0.5",          "ping",     NULL};
    char *out = NULL;
    cr_assert_eq(th_cli_full(NULL, "/nonexistent", NULL, &out, NULL, args), 6);
    json_t *doc = json_loads(out, 0, NULL);
    cr_assert(doc, "%s", out);
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(doc, "error"), "status")),
                     "UNAVAILABLE");
    json_decref(doc);
    free(out);
}

Test(cli, usage_errors_exit_2, .timeout = 30)
{
    const char *a1[] = {"no-such-command", NULL};
    const char *a2[] = {"--timeout", "abc", "ping", NULL};
    const char *a3[] = {"ping", "extra", NULL};
    char *err = NULL;
    cr_assert_eq(th_cli_full(NULL, "/nonexistent", NULL, NULL, &err, a1), 2);
    cr_assert(strstr(err, "unknown command 'no-such-command'"), "%s", err);
    free(err);
    cr_assert_eq(th_cli_full(NULL, "/nonexistent", NULL, NULL, &err, a2), 2);
    cr_assert(strstr(err, "timeout must be a number"), "%s", err);
    free(err);
    cr_assert_eq(th_cli_full(NULL, "/nonexistent", NULL, NULL, NULL, a3), 2);
}

Test(cli, help_lists_commands, .timeout = 30)
{
    const char *a[] = {"help", NULL};
    const char *b[] = {"ping", "--help", NULL};
    char *out = NULL;
    cr_assert_eq(th_cli_full(NULL, "/nonexistent", NULL, &out, NULL, a), 0);
    cr_assert(strstr(out, "ping") && strstr(out, "Exit codes"), "%s", out);
    free(out);
    cr_assert_eq(th_cli_full(NULL, "/nonexistent", NULL, &out, NULL, b), 0);
    cr_assert(strstr(out, "usage: kompass ping"), "%s", out);
    free(out);
}
