/*  kompass audit through the real CLI and a real kompassd. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "util.h"

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

/* ------------------------------------------------------------ as an administrator */

#define PW "Ewa-Luvo-secret-2017"

/* A server whose global chain holds: #1 admin created by kompassd, #2 ewa
 * added, #3 ewa disabled. */
static th_server *s_server_with_history(void)
{
    th_server *s = th_server_start(NULL);
    th_user_add(s, "ewa", "evaluator", PW);
    char *out = NULL, *err = NULL;
    cr_assert_eq(th_cli_as(s, th_admin(s), NULL, &out, &err, "user", "disable", "ewa", NULL), 0,
                 "%s%s", out, err);
    free(out);
    free(err);
    return s;
}

/* Runs the CLI as the administrator; its exit code, stdout in *out. */
static int s_admin(th_server *s, char **out, const char *const *args)
{
    const char *argv[16];
    int n = 0;
    for (; args[n] && n < 15; n++)
        argv[n] = args[n];
    argv[n] = NULL;
    return th_cli_full(s, th_admin(s), NULL, out, NULL, argv);
}

static const char *s_after(const char *text, const char *needle, const char *from)
{
    const char *p = strstr(from ? from : text, needle);
    cr_assert(p, "'%s' not found (in order) in:\n%s", needle, text);
    return p + strlen(needle);
}

Test(audit_cli, history_is_oldest_first_with_old_and_new_side_by_side, .timeout = 180)
{
    th_server *s = s_server_with_history();
    char *out = NULL;
    const char *a1[] = {"audit", NULL};
    cr_assert_eq(s_admin(s, &out, a1), 0, "%s", out);
    /* in this order: newest last */
    const char *p = s_after(out, "the global chain: 3 events", NULL);
    p = s_after(out, "#1 ", p);
    p = s_after(out, "kompassd  user.add  user admin", p);
    p = s_after(out, "role          (none) -> admin", p);
    p = s_after(out, "reason: kompassd started without an active administrator", p);
    p = s_after(out, "#2 ", p);
    p = s_after(out, "admin  user.add  user ewa", p);
    p = s_after(out, "full_name     (none) -> Test ewa", p);
    p = s_after(out, "#3 ", p);
    p = s_after(out, "admin  user.disable  user ewa", p);
    p = s_after(out, "active          true -> false", p);
    p = s_after(out, "sessions_ended  (none) -> 0", p);
    free(out);

    const char *a2[] = {"audit", "global", "--action", "user.disable", NULL};
    cr_assert_eq(s_admin(s, &out, a2), 0);
    cr_assert(strstr(out, "1 matching event\n") && !strstr(out, "user.add"), "%s", out);
    free(out);
    const char *a3[] = {"audit", "--actor", "admin", NULL};
    cr_assert_eq(s_admin(s, &out, a3), 0);
    cr_assert(strstr(out, "2 matching events") && !strstr(out, "#1 "), "%s", out);
    free(out);
    const char *a4[] = {"audit", "--since", "2999-01-01", NULL};
    cr_assert_eq(s_admin(s, &out, a4), 0);
    cr_assert(strstr(out, "0 matching events"), "%s", out);
    free(out);

    const char *a5[] = {"audit", "global", "--json", NULL};
    cr_assert_eq(s_admin(s, &out, a5), 0);
    json_error_t e;
    json_t *doc = json_loads(out, 0, &e);
    cr_assert(doc, "not JSON: %s", e.text);
    json_t *events = json_object_get(doc, "events");
    cr_assert_eq(json_array_size(events), 3);
    json_t *e3 = json_array_get(events, 2);
    cr_assert_str_eq(json_string_value(json_object_get(e3, "action")), "user.disable");
    cr_assert_str_eq(json_string_value(json_object_get(e3, "before")), "{\"active\":true}");
    cr_assert_str_eq(json_string_value(json_object_get(e3, "after")),
                     "{\"active\":false,\"sessions_ended\":0}");
    cr_assert_str_eq(json_string_value(json_object_get(e3, "actor")), "admin");
    cr_assert_eq(strlen(json_string_value(json_object_get(e3, "hash"))), 64);
    cr_assert_str_eq(json_string_value(json_object_get(e3, "prev_hash")),
                     json_string_value(json_object_get(json_array_get(events, 1), "hash")));
    json_decref(doc);
    free(out);
    th_server_free(&s);
}

/* Runs docs/audit_verify.py on text saved as s's dir/name; its exit code,
 * its output in *out. */
static int s_python_verify(th_server *s, const char *name, const char *text, char **out)
{
    char path[400];
    snprintf(path, sizeof path, "%s/%s", s->dir, name);
    cr_assert_eq(kp_write_file(path, text, strlen(text), 0644), 0);
    const char *argv[] = {KP_PYTHON3, KP_AUDIT_VERIFY_PY, path, NULL};
    char *err = NULL;
    int rc = th_run(argv, NULL, out, &err, 30000);
    cr_assert(rc == 0 || rc == 1, "audit_verify.py exited %d: %s", rc, err);
    free(err);
    return rc;
}

/* The text between prefix and the next white space in text (malloc'd). */
static char *s_word_after(const char *text, const char *prefix)
{
    const char *p = strstr(text, prefix);
    cr_assert(p, "'%s' not in %s", prefix, text);
    p += strlen(prefix);
    return strndup(p, strcspn(p, " \n,)"));
}

Test(audit_cli, verify_and_exports_agree_and_catch_tampering, .timeout = 180)
{
    th_server *s = s_server_with_history();
    char *out = NULL, *py = NULL;
    const char *v[] = {"audit", "verify", NULL};
    cr_assert_eq(s_admin(s, &out, v), 0, "%s", out);
    cr_assert(strstr(out, "the global chain: OK, 3 events, head #3 "), "%s", out);
    char *head = s_word_after(out, "head #3 ");
    cr_assert_eq(strlen(head), 64);
    free(out);

    /* an export checked by Python alone, in both formats */
    const char *xj[] = {"audit", "export", "global", "--format", "json", NULL};
    cr_assert_eq(s_admin(s, &out, xj), 0, "%s", out);
    char *good_json = out;
    cr_assert_eq(s_python_verify(s, "chain.json", good_json, &py), 0, "%s", py);
    cr_assert(strstr(py, "OK: 3 events, head ") && strstr(py, head), "%s", py);
    free(py);
    const char *xc[] = {"audit", "export", "global", "--format", "csv", NULL};
    cr_assert_eq(s_admin(s, &out, xc), 0, "%s", out);
    cr_assert(!strncmp(out, "id,evaluation_id,seq,at,", 24), "%s", out);
    cr_assert_eq(s_python_verify(s, "chain.csv", out, &py), 0, "%s", py);
    cr_assert(strstr(py, head), "%s", py);
    free(py);
    free(out);

    /* an edited export: Python finds the event */
    char *edited = strdup(good_json);
    char *name = strstr(edited, "Test ewa");
    cr_assert(name);
    name[5] = 'v'; /* "Test eva" */
    char *id2 = th_sql(s, "SELECT id FROM audit_events WHERE seq = 2");
    cr_assert_eq(s_python_verify(s, "edited.json", edited, &py), 1, "%s", py);
    char expect[200];
    snprintf(expect, sizeof expect, "MISMATCH at event id %s (seq 2, ", id2);
    cr_assert(strstr(py, expect) && strstr(py, "content changed"), "%s", py);
    free(py);
    free(edited);
    free(id2);

    /* tampering in the database, as its superuser: both find event 3 */
    free(th_sql(s, "UPDATE audit_events SET after = '{\"active\":true,\"sessions_ended\":0}' "
                   "WHERE evaluation_id = 0 AND seq = 3"));
    char *id3 = th_sql(s, "SELECT id FROM audit_events WHERE seq = 3");
    cr_assert_eq(s_admin(s, &out, v), 1, "verify did not fail: %s", out);
    snprintf(expect, sizeof expect, "the global chain: MISMATCH at event id %s (seq 3, ", id3);
    cr_assert(strstr(out, expect) && strstr(out, "content changed"), "%s", out);
    free(out);
    const char *vj[] = {"--json", "audit", "verify", "global", NULL};
    cr_assert_eq(s_admin(s, &out, vj), 1);
    json_t *doc = json_loads(out, 0, NULL);
    cr_assert(doc, "%s", out);
    cr_assert(json_is_false(json_object_get(doc, "ok")));
    json_t *bad =
        json_object_get(json_array_get(json_object_get(doc, "chains"), 0), "first_mismatch");
    cr_assert_eq(json_integer_value(json_object_get(bad, "seq")), 3);
    cr_assert_eq(json_integer_value(json_object_get(bad, "id")), atoll(id3));
    json_decref(doc);
    free(out);
    cr_assert_eq(s_admin(s, &out, xj), 0);
    cr_assert_eq(s_python_verify(s, "tampered.json", out, &py), 1, "%s", py);
    cr_assert(strstr(py, expect + strlen("the global chain: ")), "%s", py);
    free(py);
    free(out);
    free(id3);
    free(good_json);
    free(head);
    th_server_free(&s);
}

Test(audit_cli, evaluators_and_observers_read_nothing, .timeout = 180)
{
    th_server *s = th_server_start(NULL);
    const char *roles[] = {"evaluator", "observer"};
    for (int i = 0; i < 2; i++) {
        char home[300], *out = NULL, *err = NULL;
        th_user_add(s, roles[i], roles[i], PW);
        th_home(s, roles[i], home, sizeof home);
        th_login(s, home, roles[i], PW);
        cr_assert_eq(th_cli_as(s, home, NULL, &out, &err, "audit", NULL), 4);
        cr_assert(strstr(err, "DENIED: audit_list is for admin"), "%s", err);
        free(out);
        free(err);
        cr_assert_eq(th_cli_as(s, home, NULL, &out, &err, "audit", "verify", NULL), 4);
        free(out);
        free(err);
        cr_assert_eq(th_cli_as(s, home, NULL, &out, &err, "audit", "export", "global", "--format",
                               "json", NULL),
                     4);
        cr_assert_str_eq(out, "", "an export was printed: %s", out);
        free(out);
        free(err);
    }
    th_server_free(&s);
}
