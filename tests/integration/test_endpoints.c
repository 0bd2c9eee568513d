/*  The CLI with several servers (`--server a,b`): two kompassd on one
 *  database with one key pair, and the CLI moving on when one does not
 *  answer; and the CLI riding out a database that is away for a moment. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "pgcluster.h"
#include "util.h"

static th_server *a, *b;
static char list[600];

/* A second kompassd on a's database, with a's key pair (as docs/deploy.md
 * says to run several). */
static th_server *s_twin(th_server *first)
{
    char dir[] = "/tmp/kompass-test-XXXXXX";
    cr_assert(mkdtemp(dir));
    chmod(dir, 0755);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "cp -a '%s/curve' '%s/curve'", first->dir, dir);
    cr_assert_eq(system(cmd), 0);
    th_opts o = {0};
    o.data_dir = dir;
    o.dbname = first->dbname;
    th_server *twin = th_server_start_opts(&o);
    cr_assert_str_eq(twin->server_key, first->server_key);
    return twin;
}

static void setup(void)
{
    a = th_server_start(NULL);
    b = s_twin(a);
    snprintf(list, sizeof list, "%s,%s", a->listen, b->listen);
}

static void teardown(void)
{
    if (a && a->pid) kill(a->pid, SIGCONT);
    b->dbname[0] = '\0'; /* a drops it */
    th_server_free(&b);
    th_server_free(&a);
}

TestSuite(endpoints, .init = setup, .fini = teardown, .timeout = 120);

/* `kompass --server SERVERS --server-key K ARGS...` in config home `home`. */
static int s_cli(const char *servers, const char *home, const char *input, char **out, char **err,
                 const char *const *args)
{
    const char *argv[32];
    int n = 0;
    argv[n++] = "--server";
    argv[n++] = servers;
    argv[n++] = "--server-key";
    argv[n++] = a->server_key;
    for (int i = 0; args[i]; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    return th_cli_full(NULL, home, input, out, err, argv);
}

Test(endpoints, a_first_endpoint_where_nothing_listens_is_skipped_at_once)
{
    char servers[700], *out = NULL, *err = NULL;
    snprintf(servers, sizeof servers, "tcp://127.0.0.1:9,%s", b->listen);
    const char *args[] = {"ping", NULL};
    int64_t t0 = kp_mono_ms();
    int rc = s_cli(servers, a->dir, NULL, &out, &err, args);
    int64_t ms = kp_mono_ms() - t0;
    cr_assert_eq(rc, 0, "%s%s", out, err);
    char want[400];
    snprintf(want, sizeof want, "at %s ", b->listen);
    cr_assert(strstr(out, want), "the answer is not from the second endpoint: %s", out);
    cr_assert_lt(ms, 3000, "a refused connection took %lld ms to skip (timeout 5 s)",
                 (long long)ms);
    free(out);
    free(err);
}

Test(endpoints, a_server_that_does_not_answer_is_left_after_the_timeout)
{
    kill(a->pid, SIGSTOP);
    char *out = NULL, *err = NULL;
    const char *args[] = {"--timeout", "1", "ping", NULL};
    int64_t t0 = kp_mono_ms();
    int rc = s_cli(list, a->dir, NULL, &out, &err, args);
    int64_t ms = kp_mono_ms() - t0;
    kill(a->pid, SIGCONT);
    cr_assert_eq(rc, 0, "%s%s", out, err);
    char want[400];
    snprintf(want, sizeof want, "at %s ", b->listen);
    cr_assert(strstr(out, want), "%s", out);
    cr_assert_geq(ms, 900, "moved on before the timeout (%lld ms)", (long long)ms);
    cr_assert_lt(ms, 4000, "%lld ms", (long long)ms);
    free(out);
    free(err);
}

Test(endpoints, a_session_and_a_write_through_the_list)
{
    char home[400], *out = NULL, *err = NULL;
    th_home(a, "listed", home, sizeof home);
    const char *login[] = {"login", "admin", "--password-stdin", NULL};
    cr_assert_eq(s_cli(list, home, TH_ADMIN_PASSWORD "\n", &out, &err, login), 0, "%s", err);
    free(out);
    free(err);
    /* The first server stops answering; the write goes to the second. */
    kill(a->pid, SIGSTOP);
    const char *add[] = {"--timeout",  "1",      "user",      "add",
                         "ewa",        "--name", "Ewa Luvö",  "--org",
                         "Borås Stad", "--role", "evaluator", "--password-stdin",
                         NULL};
    int rc = s_cli(list, home, "Ewa-Luvo-secret-2017\n", &out, &err, add);
    kill(a->pid, SIGCONT);
    cr_assert_eq(rc, 0, "%s%s", out, err);
    free(out);
    free(err);
    char *n = th_sql(a, "SELECT count(*) FROM users WHERE login = 'ewa'");
    cr_assert_str_eq(n, "1");
    free(n);
    /* Both answer again, and the session from the list works with either. */
    const char *whoami[] = {"whoami", NULL};
    cr_assert_eq(s_cli(list, home, NULL, &out, &err, whoami), 0, "%s", err);
    cr_assert(strstr(out, "admin"), "%s", out);
    free(out);
    free(err);
}

Test(endpoints, the_list_can_come_from_the_config_file)
{
    char home[400], path[500], text[1200], *out = NULL, *err = NULL;
    th_home(a, "configured", home, sizeof home);
    snprintf(path, sizeof path, "%s/kompass", home);
    cr_assert_eq(kp_mkdir_p(path, 0700), 0);
    snprintf(path, sizeof path, "%s/kompass/config", home);
    int len = snprintf(text, sizeof text, "server = tcp://127.0.0.1:9, %s\nserver_key = %s\n",
                       b->listen, a->server_key);
    cr_assert_eq(kp_write_file(path, text, (size_t)len, 0600), 0);
    const char *args[] = {"ping", NULL};
    cr_assert_eq(th_cli_full(NULL, home, NULL, &out, &err, args), 0, "%s", err);
    cr_assert(strstr(out, b->listen), "%s", out);
    free(out);
    free(err);
}

Test(endpoints, none_answering_exits_6_naming_each)
{
    char *err = NULL;
    const char *args[] = {"--timeout", "1", "ping", NULL};
    cr_assert_eq(s_cli("tcp://127.0.0.1:9,tcp://127.0.0.1:8", a->dir, NULL, NULL, &err, args), 6);
    cr_assert(strstr(err, "no kompassd answered (tried 2)"), "%s", err);
    cr_assert(strstr(err, "tcp://127.0.0.1:9") && strstr(err, "tcp://127.0.0.1:8"), "%s", err);
    free(err);
}

Test(endpoints, a_malformed_endpoint_in_the_list_is_named)
{
    char *err = NULL;
    const char *args[] = {"ping", NULL};
    cr_assert_neq(s_cli("tcp://127.0.0.1:9,nonsense", a->dir, NULL, NULL, &err, args), 0);
    cr_assert(strstr(err, "invalid server endpoint 'nonsense'"), "%s", err);
    free(err);
    cr_assert_neq(s_cli("tcp://127.0.0.1:99999", a->dir, NULL, NULL, &err, args), 0);
    cr_assert(strstr(err, "invalid server endpoint 'tcp://127.0.0.1:99999'"), "%s", err);
    free(err);
}

/* ------------------------------------------------------------ a database away */

static void *s_restart_later(void *arg)
{
    kp_pgcluster *pg = arg;
    usleep(2000000);
    kp_pgcluster_start(pg);
    return NULL;
}

Test(cli_retry, a_database_away_for_a_moment_is_waited_for, .timeout = 300)
{
    th_opts o = {0};
    o.embedded = 1;
    o.workers = 2;
    th_server *s = th_server_start_opts(&o);
    const char *home = th_admin(s);
    kp_pgcluster pg;
    char pgdir[400];
    snprintf(pgdir, sizeof pgdir, "%s/pg", s->dir);
    cr_assert_eq(kp_pgcluster_open(&pg, pgdir, NULL), 0, "%s", pg.error);
    cr_assert_eq(kp_pgcluster_stop(&pg), 0, "%s", pg.error);

    /* A short timeout: UNAVAILABLE, exit 6, at once. */
    char *out = NULL, *err = NULL;
    int64_t t0 = kp_mono_ms();
    cr_assert_eq(th_cli_as(s, home, NULL, &out, &err, "--timeout", "1", "user", "list", NULL), 6,
                 "%s", err);
    cr_assert(strstr(err, "UNAVAILABLE"), "%s", err);
    cr_assert_lt(kp_mono_ms() - t0, 4000);
    free(out);
    free(err);

    /* A longer one rides out the database's return, 2 s from now. */
    pthread_t t;
    pthread_create(&t, NULL, s_restart_later, &pg);
    t0 = kp_mono_ms();
    int rc = th_cli_as(s, home, NULL, &out, &err, "--timeout", "30", "user", "list", NULL);
    int64_t ms = kp_mono_ms() - t0;
    pthread_join(t, NULL);
    cr_assert_eq(rc, 0, "%s%s", out, err);
    cr_assert(strstr(out, "admin"), "%s", out);
    cr_assert_geq(ms, 1500, "answered before the database came back? (%lld ms)", (long long)ms);
    free(out);
    free(err);
    th_server_free(&s);
}
