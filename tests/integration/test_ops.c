/*  Health and Stats: what `kompass admin health` and `kompass admin stats`
 *  say about a real kompassd, and that what they say is true (connections
 *  opened and closed, locks taken and awaited, a schema moved behind or
 *  ahead, requests and errors made on purpose). */
#include <criterion/criterion.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "harness.h"
#include "migrate.h"
#include "pgcluster.h"
#include "util.h"

#define RQ(field) KOMPASS__V1__REQUEST__BODY_##field

static kp_request *s_req(kp_arena *a, int body_case)
{
    kp_request *req = kp_arena_zalloc(a, sizeof *req);
    kompass__v1__request__init(req);
    req->body_case = body_case;
    switch (body_case) {
    case RQ(PING):
        req->ping = kp_arena_zalloc(a, sizeof *req->ping);
        kompass__v1__ping_request__init(req->ping);
        break;
    case RQ(HEALTH):
        req->health = kp_arena_zalloc(a, sizeof *req->health);
        kompass__v1__health_request__init(req->health);
        break;
    case RQ(STATS):
        req->stats = kp_arena_zalloc(a, sizeof *req->stats);
        kompass__v1__stats_request__init(req->stats);
        break;
    default:
        cr_assert_fail("s_req: body %d", body_case);
    }
    return req;
}

/* Health over the raw protocol with token. */
static const Kompass__V1__HealthResponse *s_health(void *sock, kp_arena *a, const char *token)
{
    kp_request *req = s_req(a, RQ(HEALTH));
    req->session_token = (char *)token;
    kp_response *r = th_call(sock, a, req, 20000);
    cr_assert(r, "no answer to health");
    cr_assert_eq(r->status, KOMPASS__V1__STATUS__OK, "health: %s", r->error);
    return r->health;
}

/* `kompass --json admin ...` as the admin: the parsed document and exit code. */
static json_t *s_admin_json(th_server *s, int *rc, const char *sub)
{
    char *out = NULL, *err = NULL;
    *rc = th_cli_as(s, th_admin(s), NULL, &out, &err, "--json", "admin", sub, NULL);
    json_error_t e;
    json_t *doc = json_loads(out, 0, &e);
    cr_assert(doc, "admin %s --json is not JSON (%s): %s %s", sub, e.text, out, err);
    free(out);
    free(err);
    return doc;
}

static const char *s_jstr(json_t *doc, const char *a, const char *b)
{
    json_t *v = json_object_get(doc, a);
    if (b) v = json_object_get(v, b);
    cr_assert(json_is_string(v), "%s.%s is not a string", a, b ? b : "");
    return json_string_value(v);
}

static long long s_jint(json_t *doc, const char *a, const char *b)
{
    json_t *v = json_object_get(doc, a);
    if (b) v = json_object_get(v, b);
    cr_assert(json_is_integer(v), "%s.%s is not an integer", a, b ? b : "");
    return json_integer_value(v);
}

Test(ops, health_of_a_healthy_server, .timeout = 120)
{
    th_server *s = th_server_start(NULL);
    int rc;
    json_t *h = s_admin_json(s, &rc, "health");
    cr_assert_eq(rc, 0, "admin health of a healthy server exited %d", rc);
    cr_assert(json_is_true(json_object_get(h, "healthy")));
    cr_assert(json_is_true(json_object_get(json_object_get(h, "database"), "reachable")));
    cr_assert(json_is_true(json_object_get(json_object_get(h, "database"), "primary")));
    cr_assert_str_eq(s_jstr(h, "schema", "state"), "current");
    cr_assert_str_eq(s_jstr(h, "schema", "latest"), kp_migrate_latest(kp_migrations));
    cr_assert_str_eq(s_jstr(h, "schema", "applied"), kp_migrate_latest(kp_migrations));
    cr_assert_eq(json_array_size(json_object_get(json_object_get(h, "schema"), "pending")), 0);
    /* the harness's cluster is on a unix socket in KOMPASS_TEST_PGDIR */
    cr_assert(strstr(s_jstr(h, "database", "host"), getenv("KOMPASS_TEST_PGDIR")), "%s",
              s_jstr(h, "database", "host"));
    cr_assert_eq(s_jint(h, "workers", NULL), 4);
    cr_assert_eq(s_jint(h, "workers_connected", NULL), 4);
    cr_assert_geq(s_jint(h, "uptime_s", NULL), 0);
    cr_assert_geq(s_jint(h, "clients", NULL), 1, "the CLI asking is connected");
    json_decref(h);

    char *out = NULL;
    cr_assert_eq(th_cli_as(s, th_admin(s), NULL, &out, NULL, "admin", "health", NULL), 0);
    cr_assert(strstr(out, "healthy      yes"), "%s", out);
    cr_assert(strstr(out, "primary (writable)"), "%s", out);
    cr_assert(strstr(out, "4 of 4 connected"), "%s", out);
    free(out);
    th_server_free(&s);
}

Test(ops, health_counts_connections_as_they_come_and_go, .timeout = 120)
{
    th_server *s = th_server_start(NULL);
    kp_arena *a = kp_arena_new();
    void *dealers[3];
    for (int i = 0; i < 3; i++) {
        dealers[i] = th_dealer(s);
        kp_response *r = th_call(dealers[i], a, s_req(a, RQ(PING)), 10000);
        cr_assert(r, "no answer to ping %d", i);
    }
    const char *token = th_token(dealers[0], a, "admin", TH_ADMIN_PASSWORD);
    /* Two of them subscribe (with one session: it may serve many). */
    for (int i = 1; i < 3; i++) {
        kp_request *req = kp_arena_zalloc(a, sizeof *req);
        kompass__v1__request__init(req);
        req->body_case = RQ(SUBSCRIBE);
        Kompass__V1__SubscribeRequest *in = kp_arena_zalloc(a, sizeof *in);
        kompass__v1__subscribe_request__init(in);
        in->all = 1;
        req->subscribe = in;
        req->session_token = (char *)token;
        kp_response *r = th_call(dealers[i], a, req, 10000);
        cr_assert(r && r->status == KOMPASS__V1__STATUS__OK, "subscribe %d", i);
    }
    /* Connections are counted as the server's monitor sees them: wait. */
    const Kompass__V1__HealthResponse *h = NULL;
    for (int i = 0; i < 100; i++) {
        h = s_health(dealers[0], a, token);
        if (h->clients == 3 && h->subscribers == 2) break;
        usleep(50000);
    }
    cr_assert_eq(h->clients, 3);
    cr_assert_eq(h->subscribers, 2);

    /* Closed: gone from the clients at once, from the subscribers at the
     * next update for them (an admin's subscription to all: a new
     * evaluation's first event). */
    zmq_close(dealers[1]);
    zmq_close(dealers[2]);
    const char *home = th_admin(s);
    cr_assert_eq(th_cli_as(s, home, NULL, NULL, NULL, "municipality", "add", "Borås Stad", NULL),
                 0);
    for (int i = 0; i < 100; i++) {
        if (i % 10 == 5) {
            char label[16];
            snprintf(label, sizeof label, "20%02d", i / 10 + 10);
            cr_assert_eq(th_cli_as(s, home, NULL, NULL, NULL, "eval", "create", "--municipality",
                                   "Borås Stad", "--framework", "KK2015", "--label", label, NULL),
                         0);
        }
        h = s_health(dealers[0], a, token);
        if (h->subscribers == 0) break;
        usleep(50000);
    }
    for (int i = 0; i < 100 && h->clients != 1; i++) { /* the CLI's have gone too */
        usleep(50000);
        h = s_health(dealers[0], a, token);
    }
    cr_assert_eq(h->clients, 1, "closed connections still counted");
    cr_assert_eq(h->subscribers, 0, "a closed subscriber still counted after an update for it");
    zmq_close(dealers[0]);
    kp_arena_destroy(&a);
    th_server_free(&s);
}

Test(ops, health_sees_locks_held_and_awaited, .timeout = 120)
{
    th_server *s = th_server_start(NULL);
    kp_arena *a = kp_arena_new();
    void *sock = th_dealer(s);
    const char *token = th_token(sock, a, "admin", TH_ADMIN_PASSWORD);
    const Kompass__V1__HealthResponse *h = s_health(sock, a, token);
    cr_assert_eq(h->locks_waiting, 0);
    uint32_t idle_held = h->locks_held;

    /* One session holds a row lock; another waits for it. */
    PGconn *holder = PQconnectdb(s->conninfo), *waiter = PQconnectdb(s->conninfo);
    cr_assert_eq(PQstatus(holder), CONNECTION_OK);
    cr_assert_eq(PQstatus(waiter), CONNECTION_OK);
    PQclear(PQexec(holder, "BEGIN"));
    PGresult *r = PQexec(holder, "SELECT * FROM installation FOR UPDATE");
    cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQresultErrorMessage(r));
    PQclear(r);
    cr_assert(PQsendQuery(waiter, "UPDATE installation SET created_at = created_at"));
    for (int i = 0; i < 100; i++) {
        h = s_health(sock, a, token);
        if (h->locks_waiting >= 1 && h->longest_lock_wait_us > 0) break;
        usleep(50000);
    }
    cr_assert_geq(h->locks_waiting, 1, "the waiting UPDATE is not seen");
    cr_assert_gt(h->locks_held, idle_held, "the row lock is not seen");
    cr_assert_gt(h->longest_lock_wait_us, 0);

    PQclear(PQexec(holder, "ROLLBACK"));
    while ((r = PQgetResult(waiter)))
        PQclear(r);
    PQfinish(holder);
    PQfinish(waiter);
    h = s_health(sock, a, token);
    cr_assert_eq(h->locks_waiting, 0);

    /* Section locks (text editing) are counted too; an expired one is not. */
    cr_assert_eq(h->section_locks, 0);
    free(th_sql(s, "INSERT INTO municipalities (name) VALUES ('Låsby')"));
    free(th_sql(s, "INSERT INTO evaluations (municipality_id, framework_id, label, ordinal) "
                   "SELECT m.id, f.id, '2017', 1 FROM municipalities m, frameworks f"));
    free(th_sql(s, "INSERT INTO section_locks (evaluation_id, area_number, section, holder_id, "
                   "token, expires_at) SELECT e.id, n, 'summary', u.id, 't', now() + "
                   "(CASE WHEN n = 1 THEN interval '5 minutes' ELSE interval '-1 minute' END) "
                   "FROM evaluations e, users u, generate_series(1, 2) n WHERE u.login = 'admin'"));
    h = s_health(sock, a, token);
    cr_assert_eq(h->section_locks, 1, "section locks counted: %u", h->section_locks);
    zmq_close(sock);
    kp_arena_destroy(&a);
    th_server_free(&s);
}

Test(ops, health_says_when_the_schema_is_not_this_servers, .timeout = 120)
{
    th_server *s = th_server_start(NULL);
    /* A newer kompassd applied a migration this one does not know. */
    free(th_sql(s, "INSERT INTO schema_migrations (name, checksum) "
                   "VALUES ('999_from_the_future.sql', 'x')"));
    int rc;
    json_t *h = s_admin_json(s, &rc, "health");
    cr_assert_eq(rc, 1, "a schema ahead of the server must not exit 0");
    cr_assert(json_is_false(json_object_get(h, "healthy")));
    cr_assert_str_eq(s_jstr(h, "schema", "state"), "ahead");
    json_t *unknown = json_object_get(json_object_get(h, "schema"), "unknown");
    cr_assert_eq(json_array_size(unknown), 1);
    cr_assert_str_eq(json_string_value(json_array_get(unknown, 0)), "999_from_the_future.sql");
    json_decref(h);
    char *out = NULL;
    th_cli_as(s, th_admin(s), NULL, &out, NULL, "admin", "health", NULL);
    cr_assert(strstr(out, "AHEAD") && strstr(out, "999_from_the_future.sql"), "%s", out);
    free(out);

    /* And one this kompassd knows is missing from the database. */
    free(th_sql(s, "DELETE FROM schema_migrations WHERE name = '999_from_the_future.sql'"));
    char sql[300];
    snprintf(sql, sizeof sql, "DELETE FROM schema_migrations WHERE name = '%s'",
             kp_migrate_latest(kp_migrations));
    free(th_sql(s, sql));
    h = s_admin_json(s, &rc, "health");
    cr_assert_eq(rc, 1);
    cr_assert_str_eq(s_jstr(h, "schema", "state"), "behind");
    json_t *pending = json_object_get(json_object_get(h, "schema"), "pending");
    cr_assert_eq(json_array_size(pending), 1);
    cr_assert_str_eq(json_string_value(json_array_get(pending, 0)),
                     kp_migrate_latest(kp_migrations));
    json_decref(h);
    th_server_free(&s);
}

/* The outcome count of status in an rpc's stats, 0 when absent. */
static long long s_outcome(json_t *rpc, const char *status)
{
    json_t *v = json_object_get(json_object_get(rpc, "outcomes"), status);
    return v ? json_integer_value(v) : 0;
}

static json_t *s_rpc(json_t *stats, const char *name)
{
    json_t *rpcs = json_object_get(stats, "rpcs"), *rpc;
    size_t i;
    json_array_foreach(rpcs, i, rpc) if (strcmp(s_jstr(rpc, "rpc", NULL), name) == 0) return rpc;
    return NULL;
}

Test(ops, stats_count_requests_outcomes_and_latency, .timeout = 120)
{
    th_server *s = th_server_start(NULL);
    kp_arena *a = kp_arena_new();
    void *sock = th_dealer(s);
    for (int i = 0; i < 7; i++)
        cr_assert(th_call(sock, a, s_req(a, RQ(PING)), 10000));
    /* two wrong passwords */
    for (int i = 0; i < 2; i++) {
        kp_request *req = kp_arena_zalloc(a, sizeof *req);
        kompass__v1__request__init(req);
        Kompass__V1__LoginRequest *in = kp_arena_zalloc(a, sizeof *in);
        kompass__v1__login_request__init(in);
        in->login = "admin";
        in->password = "not-the-admin-password";
        req->body_case = RQ(LOGIN);
        req->login = in;
        kp_response *r = th_call(sock, a, req, 20000);
        cr_assert(r && r->status == KOMPASS__V1__STATUS__UNAUTHENTICATED);
    }
    /* a frame that is no request, and one too large for the broker */
    kp_response *r = th_call_raw(sock, a, "\xff\xff\xff", 3, 10000);
    cr_assert(r && r->status == KOMPASS__V1__STATUS__BAD_REQUEST);
    size_t big = 1024 * 1024 + 10;
    char *blob = calloc(1, big);
    r = th_call_raw(sock, a, blob, big, 10000);
    free(blob);
    cr_assert(r && r->status == KOMPASS__V1__STATUS__BAD_REQUEST);

    int rc;
    json_t *st = s_admin_json(s, &rc, "stats");
    cr_assert_eq(rc, 0);
    json_t *ping = s_rpc(st, "ping"), *login = s_rpc(st, "login"),
           *none = s_rpc(st, "(not dispatched)");
    cr_assert(ping && login && none, "missing rows in %s", json_dumps(st, 0));
    cr_assert_eq(s_jint(ping, "requests", NULL), 7);
    cr_assert_eq(s_outcome(ping, "OK"), 7);
    /* the admin's login (th_admin) and the two failures */
    cr_assert_eq(s_outcome(login, "UNAUTHENTICATED"), 2);
    cr_assert_eq(s_outcome(login, "OK"), 1);
    cr_assert_eq(s_outcome(none, "BAD_REQUEST"), 2, "%s", json_dumps(none, 0));
    /* The histogram holds every request, and the quantiles are ordered. */
    json_t *rpc;
    size_t i;
    json_array_foreach(json_object_get(st, "rpcs"), i, rpc)
    {
        long long in_buckets = 0;
        json_t *b;
        size_t k;
        json_array_foreach(json_object_get(rpc, "latency"), k, b) in_buckets +=
            s_jint(b, "count", NULL);
        cr_assert_eq(in_buckets, s_jint(rpc, "requests", NULL), "%s", s_jstr(rpc, "rpc", NULL));
        cr_assert_leq(s_jint(rpc, "p50_us", NULL), s_jint(rpc, "p95_us", NULL));
        cr_assert_leq(s_jint(rpc, "p95_us", NULL), s_jint(rpc, "p99_us", NULL));
    }
    /* A login hashes with argon2id (tens of ms at least); a ping is quicker. */
    cr_assert_gt(s_jint(login, "p50_us", NULL), s_jint(ping, "p50_us", NULL));
    json_decref(st);

    char *out = NULL;
    cr_assert_eq(th_cli_as(s, th_admin(s), NULL, &out, NULL, "admin", "stats", NULL), 0);
    cr_assert(strstr(out, "UNAUTHENTICATED 2"), "%s", out);
    free(out);
    zmq_close(sock);
    kp_arena_destroy(&a);
    th_server_free(&s);
}

Test(ops, admin_commands_are_for_administrators, .timeout = 120)
{
    th_server *s = th_server_start(NULL);
    th_user_add(s, "ewa", "evaluator", "Ewa-Luvo-secret-2017");
    char home[400], *err = NULL;
    th_home(s, "ewa", home, sizeof home);
    th_login(s, home, "ewa", "Ewa-Luvo-secret-2017");
    cr_assert_eq(th_cli_as(s, home, NULL, NULL, &err, "admin", "health", NULL), 4);
    cr_assert(strstr(err, "health is for admin"), "%s", err);
    free(err);
    cr_assert_eq(th_cli_as(s, home, NULL, NULL, &err, "admin", "frobnicate", NULL), 2);
    cr_assert(strstr(err, "unknown sub-command 'frobnicate'"), "%s", err);
    free(err);
    th_server_free(&s);
}

/* With the database down, health cannot check the session: UNAVAILABLE, at
 * once (exit 6), while ping still answers, saying the database is away. */
Test(ops, with_the_database_down_health_is_unavailable_and_ping_says_why, .timeout = 300)
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
    char *out = NULL, *err = NULL;
    int64_t t0 = kp_mono_ms();
    cr_assert_eq(th_cli_as(s, home, NULL, &out, &err, "--timeout", "1", "admin", "health", NULL), 6,
                 "%s%s", out, err);
    cr_assert(strstr(err, "UNAVAILABLE"), "%s", err);
    cr_assert_lt(kp_mono_ms() - t0, 4000);
    free(out);
    free(err);
    cr_assert_eq(th_cli(s, &out, NULL, "ping", NULL), 6);
    cr_assert(strstr(out, "database     NOT reachable"), "%s", out);
    free(out);
    cr_assert_eq(kp_pgcluster_start(&pg), 0, "%s", pg.error);
    th_server_free(&s);
}
