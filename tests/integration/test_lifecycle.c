/*  kompassd's life: start-up (embedded cluster, migrations, data-dir lock),
 *  shutdown with work in hand, and a database that goes away and comes back. */
#include <criterion/criterion.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "harness.h"
#include "migrate.h"
#include "pgcluster.h"
#include "util.h"

static kp_request *s_ping(kp_arena *a)
{
    kp_request *req = kp_arena_zalloc(a, sizeof *req);
    kompass__v1__request__init(req);
    Kompass__V1__PingRequest *p = kp_arena_zalloc(a, sizeof *p);
    kompass__v1__ping_request__init(p);
    req->body_case = KOMPASS__V1__REQUEST__BODY_PING;
    req->ping = p;
    return req;
}

static int s_count_migrations(void)
{
    int n = 0;
    for (const kp_migration *m = kp_migrations; m->name; m++)
        n++;
    return n;
}

Test(lifecycle, sigterm_answers_requests_in_hand_then_exits_0, .timeout = 120)
{
    th_opts o = {0};
    o.workers = 1;
    th_server *s = th_server_start_opts(&o);
    void *sock = th_dealer(s);
    kp_arena *a = kp_arena_new();
    /* The connection (and its CURVE handshake) is up before the burst, so
     * that the requests below do reach the server before SIGTERM. */
    kp_response *first = th_call(sock, a, s_ping(a), 10000);
    cr_assert(first && first->status == KOMPASS__V1__STATUS__OK);
    /* Queue 300 requests, then ask the server to stop before they are done. */
    enum { N = 300 };
    for (int i = 0; i < N; i++) {
        kp_request *req = s_ping(a);
        req->request_id = kp_arena_printf(a, "r%d", i);
        req->protocol_version = 1;
        size_t len;
        void *f = kp_wire_encode_request(a, req, &len);
        cr_assert(zmq_send(sock, f, len, 0) >= 0);
    }
    usleep(20000); /* let them reach the server */
    kill(s->pid, SIGTERM);
    int answered = 0;
    zmq_pollitem_t it = {sock, 0, ZMQ_POLLIN, 0};
    while (answered < N && zmq_poll(&it, 1, 10000) == 1) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        zmq_msg_recv(&m, sock, 0);
        zmq_msg_close(&m);
        answered++;
    }
    cr_assert_eq(answered, N, "only %d of %d requests in hand were answered", answered, N);
    cr_assert_eq(th_server_wait_exit(s, 30000), 0, "kompassd did not exit 0 after SIGTERM");
    char *log = th_server_log(s);
    cr_assert(strstr(log, "finishing"), "%s", log);
    free(log);
    zmq_close(sock);
    kp_arena_destroy(&a);
    th_server_free(&s);
}

/* While it finishes the work in hand, a request that comes later is told
 * at once to go elsewhere, not left to time out. */
Test(lifecycle, a_request_after_sigterm_is_answered_unavailable_while_draining, .timeout = 120)
{
    th_opts o = {0};
    o.workers = 1;
    th_server *s = th_server_start_opts(&o);
    void *sock = th_dealer(s);
    kp_arena *a = kp_arena_new();
    kp_response *first = th_call(sock, a, s_ping(a), 10000);
    cr_assert(first && first->status == KOMPASS__V1__STATUS__OK);
    /* Work in hand for one worker: logins (argon2id, tenths of a second each). */
    enum { N = 12 };
    for (int i = 0; i < N; i++) {
        kp_request *req = kp_arena_zalloc(a, sizeof *req);
        kompass__v1__request__init(req);
        Kompass__V1__LoginRequest *l = kp_arena_zalloc(a, sizeof *l);
        kompass__v1__login_request__init(l);
        l->login = "admin";
        l->password = TH_ADMIN_PASSWORD;
        req->body_case = KOMPASS__V1__REQUEST__BODY_LOGIN;
        req->login = l;
        req->request_id = kp_arena_printf(a, "login%d", i);
        req->protocol_version = 1;
        size_t len;
        void *f = kp_wire_encode_request(a, req, &len);
        cr_assert(zmq_send(sock, f, len, 0) >= 0);
    }
    usleep(50000);
    kill(s->pid, SIGTERM);
    usleep(100000);
    kp_request *late = s_ping(a);
    late->request_id = "late";
    late->protocol_version = 1;
    size_t len;
    void *f = kp_wire_encode_request(a, late, &len);
    cr_assert(zmq_send(sock, f, len, 0) >= 0);
    int ok = 0, late_seen = 0;
    zmq_pollitem_t it = {sock, 0, ZMQ_POLLIN, 0};
    while (ok + late_seen < N + 1 && zmq_poll(&it, 1, 20000) == 1) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        zmq_msg_recv(&m, sock, 0);
        kp_response *r = NULL;
        const char *why = NULL;
        int drc = kp_wire_decode_response(a, zmq_msg_data(&m), zmq_msg_size(&m), &r, &why);
        zmq_msg_close(&m);
        cr_assert_eq(drc, KP_OK, "%s", why);
        if (r->status == KOMPASS__V1__STATUS__UNAVAILABLE) {
            cr_assert(strstr(r->error, "shutting down"), "%s", r->error);
            late_seen++;
        } else {
            cr_assert_eq(r->status, KOMPASS__V1__STATUS__OK, "%s", r->error);
            ok++;
        }
    }
    cr_assert_eq(ok, N, "the logins in hand: %d of %d answered OK", ok, N);
    cr_assert_eq(late_seen, 1, "the late ping was not answered UNAVAILABLE");
    cr_assert_eq(th_server_wait_exit(s, 30000), 0, "kompassd did not exit 0 after SIGTERM");
    zmq_close(sock);
    kp_arena_destroy(&a);
    th_server_free(&s);
}

Test(lifecycle, migrations_are_applied_once, .timeout = 120)
{
    th_server *s = th_server_start(NULL);
    char *n = th_sql(s, "SELECT count(*) FROM schema_migrations");
    cr_assert_eq(atoi(n), s_count_migrations());
    free(n);
    cr_assert_eq(th_server_stop(s), 0);

    th_opts o = {0};
    o.dbname = s->dbname;
    th_server *again = th_server_start_opts(&o);
    n = th_sql(again, "SELECT count(*) FROM schema_migrations");
    cr_assert_eq(atoi(n), s_count_migrations(), "a second start applied migrations again");
    free(n);
    char *log = th_server_log(again);
    cr_assert(strstr(log, "(0 applied now)"), "%s", log);
    free(log);
    n = th_sql(again, "SELECT count(*) FROM installation");
    cr_assert_str_eq(n, "1");
    free(n);
    again->dbname[0] = '\0'; /* s drops it */
    th_server_free(&again);
    th_server_free(&s);
}

Test(lifecycle, failed_migration_stops_startup_naming_file_and_error, .timeout = 120)
{
    /* A table in the way of 001 makes it fail. */
    char dbname[64], conninfo[1024];
    th_db_create(dbname, sizeof dbname, conninfo, sizeof conninfo);
    th_server probe = {0};
    kp_strlcpy(probe.conninfo, conninfo, sizeof probe.conninfo);
    free(th_sql(&probe, "CREATE TABLE installation (x int)"));

    th_opts o = {0};
    o.dbname = dbname;
    o.expect_fail = 1;
    th_server *s = th_server_start_opts(&o);
    cr_assert_eq(th_server_wait_exit(s, 60000), 1);
    char *log = th_server_log(s);
    cr_assert(strstr(log, "migration 001_foundation.sql failed"), "%s", log);
    cr_assert(strstr(log, "already exists"), "%s", log);
    free(log);
    char *n = th_sql(&probe, "SELECT count(*) FROM schema_migrations");
    cr_assert_str_eq(n, "0", "the failed migration was recorded");
    free(n);
    th_server_free(&s);
}

Test(lifecycle, unreachable_database_at_start_is_a_clear_error, .timeout = 60)
{
    const char *args[] = {"--db", "host=/nonexistent-dir port=5432 dbname=x connect_timeout=2",
                          NULL};
    th_opts o = {0};
    o.embedded = 1; /* no --db from the harness: ours comes in extra_args */
    o.extra_args = args;
    o.expect_fail = 1;
    th_server *s = th_server_start_opts(&o);
    cr_assert_eq(th_server_wait_exit(s, 30000), 1);
    char *log = th_server_log(s);
    cr_assert(strstr(log, "cannot connect to the database"), "%s", log);
    free(log);
    s->embedded = 0;
    th_server_free(&s);
}

Test(lifecycle, embedded_cluster_created_on_first_start_and_reused, .timeout = 300)
{
    th_opts o = {0};
    o.embedded = 1;
    th_server *s = th_server_start_opts(&o);
    char *out = NULL;
    cr_assert_eq(th_cli(s, &out, NULL, "ping", NULL), 0, "%s", out);
    free(out);
    char *log = th_server_log(s);
    cr_assert(strstr(log, "created the embedded PostgreSQL cluster"), "%s", log);
    cr_assert(strstr(log, "unix socket only"), "%s", log);
    free(log);

    /* A second kompassd on the same data dir is refused. */
    th_opts o2 = o;
    o2.data_dir = s->dir;
    o2.expect_fail = 1;
    th_server *twin = th_server_start_opts(&o2);
    cr_assert_eq(th_server_wait_exit(twin, 30000), 1);
    char *tlog = th_server_log(twin);
    cr_assert(strstr(tlog, "another kompassd"), "%s", tlog);
    free(tlog);
    free(twin); /* shares s's directory: not th_server_free */

    cr_assert_eq(th_server_stop(s), 0);
    log = th_server_log(s);
    cr_assert(strstr(log, "embedded PostgreSQL stopped"), "%s", log);
    free(log);
    /* the log file is appended to: truncate so we read only the second run */
    cr_assert_eq(truncate(s->log, 0), 0);

    th_opts o3 = o;
    o3.data_dir = s->dir;
    th_server *again = th_server_start_opts(&o3);
    cr_assert_eq(th_cli(again, &out, NULL, "ping", NULL), 0, "%s", out);
    free(out);
    log = th_server_log(again);
    cr_assert(!strstr(log, "created the embedded"), "cluster was created again:\n%s", log);
    cr_assert(strstr(log, "(0 applied now)"), "%s", log);
    free(log);
    cr_assert_eq(th_server_stop(again), 0);
    free(again);
    th_server_free(&s);
}

Test(lifecycle, database_restart_under_running_server, .timeout = 300)
{
    th_opts o = {0};
    o.embedded = 1;
    o.workers = 2;
    th_server *s = th_server_start_opts(&o);
    void *sock = th_dealer(s);
    kp_arena *a = kp_arena_new();

    kp_pgcluster pg;
    char pgdir[400];
    snprintf(pgdir, sizeof pgdir, "%s/pg", s->dir);
    cr_assert_eq(kp_pgcluster_open(&pg, pgdir, NULL), 0, "%s", pg.error);
    cr_assert_eq(kp_pgcluster_stop(&pg), 0, "%s", pg.error);

    /* Meanwhile the server answers, quickly, that the database is away. */
    for (int i = 0; i < 5; i++) {
        kp_response *r = th_call(sock, a, s_ping(a), 10000);
        cr_assert(r, "server hung while the database was down");
        cr_assert_eq(r->status, KOMPASS__V1__STATUS__OK);
        cr_assert(!r->ping->database_reachable);
    }
    cr_assert_eq(kp_pgcluster_start(&pg), 0, "%s", pg.error);

    /* It reconnects by itself. */
    int reachable = 0;
    for (int i = 0; i < 100 && !reachable; i++) {
        kp_response *r = th_call(sock, a, s_ping(a), 10000);
        cr_assert(r);
        reachable = r->ping->database_reachable;
        if (!reachable) usleep(100000);
    }
    cr_assert(reachable, "server did not reconnect to the restarted database");
    cr_assert_eq(th_server_stop(s), 0);
    zmq_close(sock);
    kp_arena_destroy(&a);
    th_server_free(&s);
}
