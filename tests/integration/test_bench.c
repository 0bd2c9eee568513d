/*  kompass-bench cannot rot: each scenario, tiny and short, against a real
 *  kompassd, gives one JSON document with work done and no errors. The
 *  figures themselves are measured by hand (docs/performance.md), never
 *  asserted here. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* Runs kompass-bench against s with args (NULL-terminated); its JSON. */
static json_t *s_bench(th_server *s, const char *const *args)
{
    const char *argv[32] = {KP_BIN_DIR "/kompass-bench"};
    int n = 1;
    for (; args[n - 1]; n++)
        argv[n] = args[n - 1];
    argv[n++] = "--json";
    argv[n] = NULL;
    setenv("KOMPASS_SERVER", s->listen, 1);
    setenv("KOMPASS_SERVER_KEY", s->server_key, 1);
    setenv("KOMPASS_ADMIN_PASSWORD", TH_ADMIN_PASSWORD, 1);
    setenv("XDG_CONFIG_HOME", s->dir, 1);
    char *out = NULL, *err = NULL;
    int rc = th_run(argv, NULL, &out, &err, 120000);
    cr_assert_eq(rc, 0, "kompass-bench %s exited %d: %s\n%s", args[0], rc, err, out);
    json_error_t e;
    json_t *doc = json_loads(out, 0, &e);
    cr_assert(doc, "not JSON (%s): %s", e.text, out);
    free(out);
    free(err);
    return doc;
}

static json_int_t s_int(json_t *doc, const char *side, const char *key)
{
    json_t *v = json_object_get(json_object_get(doc, side), key);
    cr_assert(json_is_integer(v), "no %s.%s in %s", side, key, json_dumps(doc, 0));
    return json_integer_value(v);
}

Test(bench, write_against_its_baseline, .timeout = 180)
{
    th_server *s = th_server_start(NULL);
    const char *args[] = {"write",      "--clients", "2",         "--duration", "1",
                          "--baseline", "--db",      s->conninfo, NULL};
    json_t *doc = s_bench(s, args);
    cr_assert_gt(s_int(doc, "kompass", "ops"), 0);
    cr_assert_eq(s_int(doc, "kompass", "errors"), 0);
    cr_assert_eq(s_int(doc, "kompass", "conflicts"), 0);
    cr_assert_gt(s_int(doc, "baseline", "ops"), 0);
    cr_assert_eq(s_int(doc, "baseline", "errors"), 0);
    cr_assert_gt(json_real_value(json_object_get(json_object_get(doc, "ratio"), "throughput")), 0);
    json_decref(doc);

    /* The baseline's writes are real ones: kompassd's audit chains still
     * verify after both wrote into them. */
    char *out = NULL;
    const char *home = th_admin(s);
    cr_assert_eq(th_cli_as(s, home, NULL, &out, NULL, "audit", "verify", NULL), 0, "%s", out);
    free(out);
    th_server_free(&s);
}

Test(bench, read_snapshots, .timeout = 180)
{
    th_server *s = th_server_start(NULL);
    const char *args[] = {"read", "--clients", "2", "--duration", "1", NULL};
    json_t *doc = s_bench(s, args);
    cr_assert_gt(s_int(doc, "kompass", "ops"), 0);
    cr_assert_eq(s_int(doc, "kompass", "errors"), 0);
    cr_assert(json_is_null(json_object_get(doc, "baseline")));
    json_decref(doc);
    th_server_free(&s);
}

Test(bench, watch_every_subscriber_gets_every_update, .timeout = 180)
{
    th_server *s = th_server_start(NULL);
    const char *args[] = {"watch", "--clients", "5", "--duration", "1", NULL};
    json_t *doc = s_bench(s, args);
    json_t *u = json_object_get(doc, "updates");
    cr_assert_gt(json_integer_value(json_object_get(u, "expected")), 0);
    cr_assert_eq(json_integer_value(json_object_get(u, "received")),
                 json_integer_value(json_object_get(u, "expected")));
    cr_assert_eq(s_int(doc, "kompass", "errors"), 0);
    json_decref(doc);
    th_server_free(&s);
}

Test(bench, idle_clients_are_held, .timeout = 180)
{
    th_server *s = th_server_start(NULL);
    const char *args[] = {"idle", "--clients", "20", "--duration", "1", NULL};
    json_t *doc = s_bench(s, args);
    json_t *idle = json_object_get(doc, "idle");
    cr_assert_eq(json_integer_value(json_object_get(idle, "held")), 20);
    cr_assert_eq(s_int(doc, "kompass", "errors"), 0);
    cr_assert(json_is_true(json_object_get(idle, "rss_measured")));
    cr_assert_gt(json_real_value(json_object_get(idle, "rss_mb_max")), 0);
    json_decref(doc);
    th_server_free(&s);
}

/* --pgbench: pgbench ran on the server's database, side by side with
 * kompassd, and left nothing behind: its scratch tables are dropped and
 * kompassd's own chains were never touched. */
static void s_assert_pgbench_ran(th_server *s, json_t *doc)
{
    cr_assert_gt(s_int(doc, "kompass", "ops"), 0);
    cr_assert_eq(s_int(doc, "kompass", "errors"), 0);
    cr_assert_gt(s_int(doc, "pgbench", "ops"), 0);
    cr_assert_eq(s_int(doc, "pgbench", "errors"), 0);
    json_t *ratio = json_object_get(doc, "ratio_pgbench");
    cr_assert_gt(json_real_value(json_object_get(ratio, "throughput")), 0);
    cr_assert_gt(json_real_value(json_object_get(ratio, "p50_latency")), 0);
    cr_assert_gt(json_real_value(json_object_get(json_object_get(doc, "pgbench"), "p50_ms")), 0);
    char *left = th_sql(s, "SELECT count(*) FROM pg_namespace WHERE nspname = 'kompass_bench'");
    cr_assert_str_eq(left, "0", "the scratch schema is dropped");
    free(left);
    char *out = NULL;
    const char *home = th_admin(s);
    cr_assert_eq(th_cli_as(s, home, NULL, &out, NULL, "audit", "verify", NULL), 0, "%s", out);
    free(out);
}

Test(bench, write_against_pgbench, .timeout = 180)
{
    th_server *s = th_server_start(NULL);
    const char *args[] = {"write", "--clients", "2", "--duration", "4",
                          "--pgbench", "--db", s->conninfo, NULL};
    json_t *doc = s_bench(s, args);
    s_assert_pgbench_ran(s, doc);
    json_decref(doc);
    th_server_free(&s);
}

Test(bench, read_against_pgbench, .timeout = 180)
{
    th_server *s = th_server_start(NULL);
    const char *args[] = {"read", "--clients", "2", "--duration", "4",
                          "--pgbench", "--db", s->conninfo, NULL};
    json_t *doc = s_bench(s, args);
    s_assert_pgbench_ran(s, doc);
    json_decref(doc);
    th_server_free(&s);
}

Test(bench, pgbench_needs_its_database)
{
    const char *argv[] = {KP_BIN_DIR "/kompass-bench", "write", "--pgbench", NULL};
    char *out = NULL, *err = NULL;
    int rc = th_run(argv, NULL, &out, &err, 10000);
    cr_assert_eq(rc, 2);
    cr_assert(strstr(err, "--pgbench is for write and read, and needs --db"), "%s", err);
    free(out);
    free(err);
}
