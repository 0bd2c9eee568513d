/*  kompass audit through the real CLI and a real kompassd. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <string.h>

#include "harness.h"

Test(audit_cli, usage_errors_exit_2_naming_the_problem, .timeout = 60)
{
    const char *cases[][6] = {
        {"audit", "12x", NULL},
        {"audit", "0", NULL},
        {"audit", "global", "--since", "yesterday", NULL},
        {"audit", "global", "--since", "2026-02-30", NULL},
        {"audit", "--actor", NULL},
        {"audit", "global", "--colour", NULL},
        {"audit", "export", "global", NULL},
        {"audit", "export", "--format", "xml", "global", NULL},
        {"audit", "export", "--format", "csv", NULL},
        {"audit", "verify", "global", "12", NULL},
    };
    const char *expect[] = {
        "'12x' is not an evaluation number or 'global'",
        "'0' is not an evaluation number or 'global'",
        "--since: 'yesterday' is not a UTC time",
        "--since: '2026-02-30' is not a UTC time",
        "--actor needs a value",
        "unknown option '--colour'",
        "--format csv or --format json",
        "--format csv or --format json",
        "which chain?",
        "unexpected argument '12'",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *err = NULL;
        int rc = th_cli_full(NULL, "/nonexistent", NULL, NULL, &err, cases[i]);
        cr_assert_eq(rc, 2, "case %zu exited %d: %s", i, rc, err);
        cr_assert(strstr(err, expect[i]), "case %zu: %s", i, err);
        free(err);
    }
}

Test(audit_cli, help_describes_the_three_forms, .timeout = 60)
{
    const char *a[] = {"audit", "--help", NULL};
    char *out = NULL;
    cr_assert_eq(th_cli_full(NULL, "/nonexistent", NULL, &out, NULL, a), 0);
    cr_assert(strstr(out, "kompass audit verify [EVAL]"), "%s", out);
    cr_assert(strstr(out, "kompass audit export EVAL --format csv|json"), "%s", out);
    free(out);
}

Test(audit_cli, without_a_session_reading_is_refused_with_exit_4, .timeout = 120)
{
    th_server *s = th_server_start(NULL);
    char *out = NULL, *err = NULL;
    cr_assert_eq(th_cli(s, &out, &err, "audit", "global", NULL), 4, "%s%s", out, err);
    cr_assert(strstr(err, "UNAUTHENTICATED") && strstr(err, "log in"), "%s", err);
    free(out);
    free(err);
    cr_assert_eq(th_cli(s, &out, NULL, "--json", "audit", "verify", NULL), 4);
    json_t *doc = json_loads(out, 0, NULL);
    cr_assert(doc, "%s", out);
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(doc, "error"), "status")),
                     "UNAUTHENTICATED");
    json_decref(doc);
    free(out);
    th_server_free(&s);
}
