/*  The database fails over under a write load, for real, on this machine.
 *
 *  Two PostgreSQL clusters: a primary and a streaming standby made from it
 *  with pg_basebackup, replication synchronous (synchronous_standby_names =
 *  '*'), so that a commit is acknowledged only once the standby has it. Two
 *  kompassd, both with the multi-host connection string
 *  "host=PRIMARY,STANDBY target_session_attrs=read-write". Two writers, one
 *  per kompassd, add users as fast as the servers take them, retrying a
 *  write that got UNAVAILABLE or no answer with the same request_id. Then
 *  the primary is crashed (immediate shutdown), and a second later the
 *  standby is promoted.
 *
 *  What must hold: every request is answered within the writers' timeout
 *  (UNAVAILABLE during the failover, never a hang); both kompassd reconnect
 *  to the promoted node by themselves and acknowledge writes again; every
 *  acknowledged write is on the new primary, and none was done twice (a
 *  retried write is answered from request_log, not re-done: a CONFLICT
 *  would mean it was).
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "harness.h"
#include "pgcluster.h"
#include "util.h"

#define WRITERS      2
#define MAX_WRITES   2000
#define CALL_TIMEOUT 10000  /* ms: an answer later than this counts as a hang */
#define AFTER_WANTED 10     /* acknowledged writes each writer needs after the promotion */
#define LOAD_LIMIT   150000 /* ms: the load stops then, whatever happened */

typedef struct {
    th_server *server;
    void *sock;        /* created by the main thread, used only by the writer */
    const char *token; /* admin's session (made on the primary, replicated) */
    int id;
    /* results */
    char acked[MAX_WRITES][24]; /* logins of acknowledged writes */
    int64_t acked_at[MAX_WRITES];
    int n_acked, acked_after;
    int unavailable, timeouts, conflicts, others;
    char other_error[300];
    int64_t max_call_ms;
} writer;

static kp_pgcluster s_primary, s_standby;
static int s_primary_up, s_standby_up;
static char s_base[64];
static th_server *s_servers[WRITERS];
static writer s_writers[WRITERS];
static pthread_t s_threads[WRITERS];
static int s_threads_running;
static atomic_int s_promoted; /* set once the standby is the primary */
static atomic_int s_stop;

/* Runs sql on a cluster's database; the first value (malloc'd) or NULL. */
static char *s_sql(const kp_pgcluster *pg, const char *db, const char *sql)
{
    char conninfo[2400];
    kp_pgcluster_conninfo(pg, db, conninfo, sizeof conninfo);
    PGconn *c = PQconnectdb(conninfo);
    cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(r);
    cr_assert(st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK, "%s: %s", sql,
              PQresultErrorMessage(r));
    char *v = NULL;
    if (st == PGRES_TUPLES_OK && PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
        v = strdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    PQfinish(c);
    return v;
}

/* Waits until sql's first value on the primary is want. */
static void s_wait_for(const char *sql, const char *want, const char *what)
{
    char *v = NULL;
    for (int i = 0; i < 300; i++) {
        free(v);
        v = s_sql(&s_primary, "postgres", sql);
        if (v && strcmp(v, want) == 0) break;
        usleep(100000);
    }
    cr_assert(v && strcmp(v, want) == 0, "%s: got '%s'", what, v ? v : "(none)");
    free(v);
}

static void setup(void)
{
    kp_strlcpy(s_base, "/tmp/kompass-ha-XXXXXX", sizeof s_base);
    cr_assert(mkdtemp(s_base));
    chmod(s_base, 0755);
    char dir[128];
    snprintf(dir, sizeof dir, "%s/p", s_base);
    cr_assert_eq(kp_pgcluster_open(&s_primary, dir, NULL), 0, "%s", s_primary.error);
    cr_assert_eq(kp_pgcluster_init(&s_primary), 1, "%s", s_primary.error);
    cr_assert_eq(kp_pgcluster_start(&s_primary), 0, "%s", s_primary.error);
    s_primary_up = 1;
    free(s_sql(&s_primary, "postgres", "CREATE DATABASE kompass"));

    snprintf(dir, sizeof dir, "%s/r", s_base);
    cr_assert_eq(kp_pgcluster_open(&s_standby, dir, NULL), 0, "%s", s_standby.error);
    cr_assert_eq(kp_pgcluster_init_standby(&s_standby, &s_primary), 0, "%s", s_standby.error);
    cr_assert_eq(kp_pgcluster_start(&s_standby), 0, "%s", s_standby.error);
    s_standby_up = 1;
    char *rec = s_sql(&s_standby, "postgres", "SELECT pg_is_in_recovery()");
    cr_assert_str_eq(rec, "t", "the standby is not in recovery");
    free(rec);
    s_wait_for("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'", "1",
               "the standby does not stream");
    /* Synchronous from now on; set on the primary only, after the base
     * backup, so that the promoted standby does not wait for a standby of
     * its own that does not exist. */
    free(s_sql(&s_primary, "postgres", "ALTER SYSTEM SET synchronous_standby_names = '*'"));
    free(s_sql(&s_primary, "postgres", "SELECT pg_reload_conf()"));
    s_wait_for("SELECT sync_state FROM pg_stat_replication", "sync",
               "the standby did not become synchronous");
}

static void teardown(void)
{
    atomic_store(&s_stop, 1);
    if (s_threads_running)
        for (int i = 0; i < WRITERS; i++)
            pthread_join(s_threads[i], NULL);
    for (int i = 0; i < WRITERS; i++) {
        if (s_writers[i].sock) zmq_close(s_writers[i].sock);
        if (s_servers[i]) th_server_free(&s_servers[i]);
    }
    if (s_standby_up) kp_pgcluster_crash(&s_standby);
    if (s_primary_up) kp_pgcluster_crash(&s_primary);
    if (strncmp(s_base, "/tmp/kompass-ha-", 16) == 0) {
        const char *rm[] = {"/bin/rm", "-rf", s_base, NULL};
        th_run(rm, NULL, NULL, NULL, 60000);
    }
}

/* One call: sends req, waits for the reply with its id. NULL after
 * CALL_TIMEOUT. */
static kp_response *s_call(writer *w, kp_arena *a, kp_request *req)
{
    size_t len;
    void *frame = kp_wire_encode_request(a, req, &len);
    if (zmq_send(w->sock, frame, len, 0) < 0) return NULL;
    int64_t deadline = kp_mono_ms() + CALL_TIMEOUT;
    for (;;) {
        int left = (int)(deadline - kp_mono_ms());
        if (left <= 0) return NULL;
        zmq_pollitem_t it = {w->sock, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, left) <= 0) continue;
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, w->sock, 0) < 0) {
            zmq_msg_close(&m);
            continue;
        }
        kp_response *r = NULL;
        const char *e;
        kp_wire_decode_response(a, zmq_msg_data(&m), zmq_msg_size(&m), &r, &e);
        zmq_msg_close(&m);
        if (r && strcmp(r->request_id, req->request_id) == 0) return r;
        /* an answer to an earlier attempt that timed out: skip */
    }
}

/* The writer: user_add after user_add, each retried with its own id until
 * acknowledged. No assertions here: the main thread judges the results. */
static void *s_writer_main(void *arg)
{
    writer *w = arg;
    kp_arena *a = kp_arena_new();
    int64_t until = kp_mono_ms() + LOAD_LIMIT;
    for (int i = 0; i < MAX_WRITES && !atomic_load(&s_stop); i++) {
        if (atomic_load(&s_promoted) && w->acked_after >= AFTER_WANTED) break;
        if (kp_mono_ms() > until) break;
        char login[24], id[32];
        snprintf(login, sizeof login, "w%dn%d", w->id, i);
        snprintf(id, sizeof id, "failover-%d-%d", w->id, i);
        for (;;) { /* until this write is acknowledged or refused */
            if (atomic_load(&s_stop) || kp_mono_ms() > until) break;
            kp_request *req = kp_arena_zalloc(a, sizeof *req);
            kompass__v1__request__init(req);
            Kompass__V1__UserAddRequest *in = kp_arena_zalloc(a, sizeof *in);
            kompass__v1__user_add_request__init(in);
            in->login = login;
            in->full_name = "Failover Test";
            in->organisation = "Testkommun";
            in->role = KOMPASS__V1__ROLE__ROLE_OBSERVER;
            in->password = "Failover-password-1";
            req->body_case = KOMPASS__V1__REQUEST__BODY_USER_ADD;
            req->user_add = in;
            req->request_id = id;
            req->protocol_version = KP_PROTOCOL_VERSION;
            req->session_token = (char *)w->token;
            int promoted = atomic_load(&s_promoted);
            int64_t t0 = kp_mono_ms();
            kp_response *r = s_call(w, a, req);
            int64_t ms = kp_mono_ms() - t0;
            if (ms > w->max_call_ms) w->max_call_ms = ms;
            if (!r) {
                w->timeouts++;
                continue;
            }
            if (r->status == KOMPASS__V1__STATUS__OK) {
                kp_strlcpy(w->acked[w->n_acked], login, sizeof w->acked[0]);
                w->acked_at[w->n_acked++] = kp_mono_ms();
                if (promoted) w->acked_after++;
                break;
            }
            if (r->status == KOMPASS__V1__STATUS__UNAVAILABLE) {
                w->unavailable++;
                usleep(100000);
                continue;
            }
            if (r->status == KOMPASS__V1__STATUS__CONFLICT)
                w->conflicts++;
            else
                w->others++;
            snprintf(w->other_error, sizeof w->other_error, "%s: %s %s", login,
                     kp_status_name((int)r->status), r->error);
            break;
        }
        kp_arena_reset(a);
    }
    kp_arena_destroy(&a);
    return NULL;
}

static int s_acked(void)
{
    int n = 0;
    for (int i = 0; i < WRITERS; i++)
        n += s_writers[i].n_acked;
    return n;
}

TestSuite(failover, .init = setup, .fini = teardown, .timeout = 400);

Test(failover, primary_lost_under_writes_standby_promoted_no_acknowledged_write_lost)
{
    char conninfo[2600];
    snprintf(conninfo, sizeof conninfo,
             "host=%s,%s port=5432,5432 dbname=kompass user=%s target_session_attrs=read-write "
             "connect_timeout=5",
             s_primary.dir, s_standby.dir, KP_PG_SUPERUSER);
    kp_arena *a = kp_arena_new();
    for (int i = 0; i < WRITERS; i++) {
        th_opts o = {0};
        o.conninfo = conninfo;
        o.workers = 2;
        s_servers[i] = th_server_start_opts(&o);
        s_writers[i].server = s_servers[i];
        s_writers[i].id = i;
        s_writers[i].sock = th_dealer(s_servers[i]);
        s_writers[i].token = th_token(s_writers[i].sock, a, "admin", TH_ADMIN_PASSWORD);
    }
    for (int i = 0; i < WRITERS; i++)
        pthread_create(&s_threads[i], NULL, s_writer_main, &s_writers[i]);
    s_threads_running = 1;

    /* Let both writers get going, then take the primary away. */
    int64_t until = kp_mono_ms() + 90000;
    while ((s_writers[0].n_acked < 8 || s_writers[1].n_acked < 8) && kp_mono_ms() < until)
        usleep(50000);
    cr_assert_geq(s_writers[0].n_acked, 8, "the load did not start");
    cr_assert_geq(s_writers[1].n_acked, 8, "the load did not start");
    int acked_before = s_acked();
    int64_t crash_at = kp_mono_ms();
    cr_assert_eq(kp_pgcluster_crash(&s_primary), 0, "%s", s_primary.error);
    s_primary_up = 0;
    usleep(1000000); /* a second with no primary at all */
    cr_assert_eq(kp_pgcluster_promote(&s_standby), 0, "%s", s_standby.error);
    int64_t promoted_at = kp_mono_ms();
    atomic_store(&s_promoted, 1);

    for (int i = 0; i < WRITERS; i++)
        pthread_join(s_threads[i], NULL);
    s_threads_running = 0;

    /* What the writers saw. */
    int unavailable = 0;
    int64_t first_after = 0, max_call = 0;
    for (int i = 0; i < WRITERS; i++) {
        writer *w = &s_writers[i];
        cr_log_info("writer %d: %d acknowledged (%d after the promotion), %d UNAVAILABLE, %d "
                    "timeouts, longest call %lld ms",
                    i, w->n_acked, w->acked_after, w->unavailable, w->timeouts,
                    (long long)w->max_call_ms);
        cr_assert_eq(w->conflicts, 0, "writer %d: a retried write was done twice: %s", i,
                     w->other_error);
        cr_assert_eq(w->others, 0, "writer %d: %s", i, w->other_error);
        cr_assert_eq(w->timeouts, 0, "writer %d: %d calls got no answer within %d ms", i,
                     w->timeouts, CALL_TIMEOUT);
        cr_assert_geq(w->acked_after, AFTER_WANTED,
                      "writer %d: kompassd did not come back to the promoted node (%d writes "
                      "acknowledged after the promotion)",
                      i, w->acked_after);
        unavailable += w->unavailable;
        if (w->max_call_ms > max_call) max_call = w->max_call_ms;
        for (int k = 0; k < w->n_acked; k++)
            if (w->acked_at[k] > crash_at && (!first_after || w->acked_at[k] < first_after))
                first_after = w->acked_at[k];
    }
    cr_assert_gt(unavailable, 0, "the load never noticed the failover: nothing was tested");
    cr_log_info("%d writes acknowledged before the crash, %d in all; %d UNAVAILABLE answers; "
                "first acknowledged write %lld ms after the crash (%lld ms after the "
                "promotion); longest call %lld ms",
                acked_before, s_acked(), unavailable, (long long)(first_after - crash_at),
                (long long)(first_after - promoted_at), (long long)max_call);

    /* The new primary has every acknowledged write, once. */
    char *rec = s_sql(&s_standby, "postgres", "SELECT pg_is_in_recovery()");
    cr_assert_str_eq(rec, "f", "the standby was not promoted");
    free(rec);
    for (int i = 0; i < WRITERS; i++)
        for (int k = 0; k < s_writers[i].n_acked; k++) {
            char sql[200];
            snprintf(sql, sizeof sql, "SELECT count(*) FROM users WHERE login = '%s'",
                     s_writers[i].acked[k]);
            char *n = s_sql(&s_standby, "kompass", sql);
            cr_assert_str_eq(n, "1", "acknowledged write %s is %s on the new primary",
                             s_writers[i].acked[k], strcmp(n, "0") == 0 ? "lost" : "doubled");
            free(n);
            snprintf(sql, sizeof sql,
                     "SELECT count(*) FROM request_log WHERE request_id = 'failover-%d-%s'", i,
                     strchr(s_writers[i].acked[k], 'n') + 1);
            n = s_sql(&s_standby, "kompass", sql);
            cr_assert_str_eq(n, "1", "no recorded answer for %s", s_writers[i].acked[k]);
            free(n);
        }

    /* Each kompassd says where it is now: the promoted node, writable. */
    for (int i = 0; i < WRITERS; i++) {
        kp_request *req = kp_arena_zalloc(a, sizeof *req);
        kompass__v1__request__init(req);
        req->body_case = KOMPASS__V1__REQUEST__BODY_HEALTH;
        req->health = kp_arena_zalloc(a, sizeof *req->health);
        kompass__v1__health_request__init(req->health);
        req->session_token = (char *)s_writers[i].token;
        kp_response *r = th_call(s_writers[i].sock, a, req, 20000);
        cr_assert(r && r->status == KOMPASS__V1__STATUS__OK, "health: %s", r ? r->error : "");
        cr_assert(r->health->healthy, "kompassd %d is not healthy: %s", i,
                  r->health->database_error);
        cr_assert(strstr(r->health->database_host, s_standby.dir), "kompassd %d is on %s", i,
                  r->health->database_host);
    }
    kp_arena_destroy(&a);
}
