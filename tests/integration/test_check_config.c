/*  kompassd --check-config: one line per check, exit 0 when usable and 1
 *  when not, each problem named; and nothing started, bound, locked or made,
 *  so that it can check the configuration of a kompassd that is running. */
#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "migrate.h"
#include "util.h"

/* kompassd --check-config ARGS...; exit code, *out. */
static int s_check(char **out, const char *const *args)
{
    const char *argv[32];
    int n = 0;
    argv[n++] = th_bin("kompassd");
    argv[n++] = "--check-config";
    for (int i = 0; args[i]; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    char *err = NULL;
    int rc = th_run(argv, NULL, out, &err, 60000);
    cr_assert_str_empty(err, "--check-config wrote to stderr: %s", err);
    free(err);
    return rc;
}

/* Whether out has a line starting with verdict and what, containing text. */
static int s_has(const char *out, const char *verdict, const char *what, const char *text)
{
    char head[64];
    snprintf(head, sizeof head, "%-5s %-9s ", verdict, what);
    for (const char *line = out; line && *line;
         line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (strncmp(line, head, strlen(head)) != 0) continue;
        char buf[4096];
        snprintf(buf, sizeof buf, "%.*s", (int)len, line);
        if (strstr(buf, text)) return 1;
    }
    return 0;
}

Test(check_config, a_running_installation_checks_ok_and_is_left_alone, .timeout = 120)
{
    th_server *s = th_server_start(NULL);
    char lock[400], endpoints[400];
    snprintf(lock, sizeof lock, "%s/kompassd.lock", s->dir);
    snprintf(endpoints, sizeof endpoints, "%s/kompassd.endpoints", s->dir);
    char *lock_before = kp_read_file(lock, 4096, NULL);
    char *endpoints_before = kp_read_file(endpoints, 4096, NULL);

    /* its very endpoints, which are bound: checked, not bound again */
    const char *args[] = {"--data-dir", s->dir,      "--db",     s->conninfo, "--listen",
                          s->listen,    "--publish", s->publish, NULL};
    char *out = NULL;
    int rc = s_check(&out, args);
    cr_assert_eq(rc, 0, "%s", out);
    cr_assert(s_has(out, "ok", "data dir", s->dir), "%s", out);
    cr_assert(s_has(out, "ok", "keys", s->server_key), "%s", out);
    cr_assert(s_has(out, "ok", "listen", s->listen), "%s", out);
    cr_assert(s_has(out, "ok", "publish", s->publish), "%s", out);
    cr_assert(s_has(out, "ok", "database", "primary"), "%s", out);
    cr_assert(s_has(out, "ok", "schema", kp_migrate_latest(kp_migrations)), "%s", out);
    cr_assert(strstr(out, "configuration OK"), "%s", out);
    cr_assert_null(strstr(out, "FAIL"), "%s", out);
    free(out);

    char *lock_after = kp_read_file(lock, 4096, NULL);
    char *endpoints_after = kp_read_file(endpoints, 4096, NULL);
    cr_assert_str_eq(lock_after, lock_before, "the lock file was touched");
    cr_assert_str_eq(endpoints_after, endpoints_before, "the endpoints file was touched");
    cr_assert_eq(th_cli(s, &out, NULL, "ping", NULL), 0, "the running server was disturbed");
    free(out);
    free(lock_before);
    free(lock_after);
    free(endpoints_before);
    free(endpoints_after);
    th_server_free(&s);
}

Test(check_config, each_problem_is_named_and_exits_1, .timeout = 120)
{
    char dir[] = "/tmp/kompass-test-XXXXXX";
    cr_assert(mkdtemp(dir));
    char *out = NULL;

    const char *bad_db[] = {"--data-dir", dir, "--db", "host=/nonexistent-dir dbname=x", NULL};
    cr_assert_eq(s_check(&out, bad_db), 1, "%s", out);
    cr_assert(s_has(out, "FAIL", "database", "cannot connect"), "%s", out);
    cr_assert(s_has(out, "FAIL", "database", "/nonexistent-dir"), "%s", out);
    cr_assert(strstr(out, "configuration NOT usable"), "%s", out);
    free(out);

    char db[1024];
    th_db_conninfo("postgres", db, sizeof db);
    const char *bad_endpoints[] = {"--data-dir", dir,         "--db",
                                   db,           "--listen",  "tcp://127.0.0.1:99999",
                                   "--publish",  "udp://x:1", NULL};
    cr_assert_eq(s_check(&out, bad_endpoints), 1, "%s", out);
    cr_assert(s_has(out, "FAIL", "listen", "not a number from 1 to 65535"), "%s", out);
    cr_assert(s_has(out, "FAIL", "publish", "only tcp://HOST:PORT and ipc://PATH"), "%s", out);
    free(out);

    /* (no host name that needs DNS: tests stay on this machine) */
    const char *no_host[] = {"--data-dir", dir, "--db", db, "--listen", "tcp://:5555", NULL};
    cr_assert_eq(s_check(&out, no_host), 1, "%s", out);
    cr_assert(s_has(out, "FAIL", "listen", "expected tcp://HOST:PORT"), "%s", out);
    free(out);

    /* a secret key others can read */
    char cmd[600];
    snprintf(
        cmd, sizeof cmd,
        "'%s' --data-dir '%s' --print-public-key >/dev/null && chmod 644 '%s/curve/server.key'",
        th_bin("kompassd"), dir, dir);
    cr_assert_eq(system(cmd), 0);
    const char *keys[] = {"--data-dir", dir, "--db", db, NULL};
    cr_assert_eq(s_check(&out, keys), 1, "%s", out);
    cr_assert(s_has(out, "FAIL", "keys", "chmod 600"), "%s", out);
    free(out);

    /* a bad line in kompassd.conf: the file and line */
    char conf[400];
    snprintf(conf, sizeof conf, "%s/kompassd.conf", dir);
    cr_assert_eq(kp_write_file(conf, "workers = many\n", 15, 0644), 0);
    cr_assert_eq(s_check(&out, keys), 1, "%s", out);
    cr_assert(s_has(out, "FAIL", "settings", "kompassd.conf:1"), "%s", out);
    cr_assert(s_has(out, "FAIL", "settings", "'many'"), "%s", out);
    free(out);

    const char *rm[] = {"/bin/rm", "-rf", dir, NULL};
    th_run(rm, NULL, NULL, NULL, 30000);
}

Test(check_config, nothing_is_made_for_a_new_installation, .timeout = 60)
{
    char dir[] = "/tmp/kompass-test-XXXXXX";
    cr_assert(mkdtemp(dir));
    char data[300];
    snprintf(data, sizeof data, "%s/new", dir);
    const char *args[] = {"--data-dir", data, NULL};
    char *out = NULL;
    cr_assert_eq(s_check(&out, args), 0, "%s", out);
    cr_assert(s_has(out, "ok", "data dir", "does not exist yet"), "%s", out);
    cr_assert(s_has(out, "warn", "keys", "no key pair"), "%s", out);
    cr_assert(s_has(out, "ok", "database", "embedded cluster: not made yet"), "%s", out);
    free(out);
    cr_assert_neq(access(data, F_OK), 0, "--check-config made %s", data);
    const char *rm[] = {"/bin/rm", "-rf", dir, NULL};
    th_run(rm, NULL, NULL, NULL, 30000);
}

Test(check_config, the_schema_behind_ahead_and_several_hosts, .timeout = 120)
{
    char dir[] = "/tmp/kompass-test-XXXXXX";
    cr_assert(mkdtemp(dir));
    char dbname[64], conninfo[1024];
    th_db_create(dbname, sizeof dbname, conninfo, sizeof conninfo);
    PGconn *c = PQconnectdb(conninfo);
    cr_assert_eq(PQstatus(c), CONNECTION_OK);
    kp_migration first[2] = {kp_migrations[0], {NULL, NULL}};
    char err[600];
    cr_assert_eq(kp_migrate(c, first, err, sizeof err), 1, "%s", err);
    int total = 0;
    while (kp_migrations[total].name)
        total++;

    char *out = NULL;
    const char *args[] = {"--data-dir", dir, "--db", conninfo, NULL};
    cr_assert_eq(s_check(&out, args), 0, "%s", out);
    char want[200];
    snprintf(want, sizeof want, "%d migration%s to apply at the next start, from %s", total - 1,
             total - 1 == 1 ? "" : "s", kp_migrations[1].name);
    cr_assert(s_has(out, "ok", "schema", want), "%s", out);
    free(out);

    PQclear(
        PQexec(c, "INSERT INTO schema_migrations (name, checksum) VALUES ('999_later.sql', 'x')"));
    cr_assert_eq(s_check(&out, args), 0, "%s", out);
    cr_assert(s_has(out, "warn", "schema", "999_later.sql"), "%s", out);
    free(out);
    PQfinish(c);

    char hosts[2100];
    snprintf(hosts, sizeof hosts, "%s host=%s,%s", conninfo, getenv("KOMPASS_TEST_PGDIR"),
             "/nonexistent-standby");
    const char *several[] = {"--data-dir", dir, "--db", hosts, NULL};
    cr_assert_eq(s_check(&out, several), 0, "%s", out);
    cr_assert(s_has(out, "warn", "database", "without target_session_attrs=read-write"), "%s", out);
    free(out);

    char admin[1024], drop[160];
    th_db_conninfo("postgres", admin, sizeof admin);
    c = PQconnectdb(admin);
    snprintf(drop, sizeof drop, "DROP DATABASE %s WITH (FORCE)", dbname);
    PQclear(PQexec(c, drop));
    PQfinish(c);
    const char *rm[] = {"/bin/rm", "-rf", dir, NULL};
    th_run(rm, NULL, NULL, NULL, 30000);
}
