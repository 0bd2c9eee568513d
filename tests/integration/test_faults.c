/*  Faults, for real, on this machine: kompassd killed under a write load,
 *  PostgreSQL restarted under a load, a client killed while it holds a lock.
 *
 *  kompassd_killed: 64 client threads (one DEALER socket each, CURVE) write
 *  scores with version checks, each on a score of its own (two evaluators x
 *  32 questions), every fifth write deliberately stale. kompassd is killed
 *  with SIGKILL in the middle and restarted on the same data dir, database
 *  and endpoint; the clients' sockets reconnect by themselves and every
 *  unanswered request is retried with its request_id. Then: each
 *  acknowledged write is in the audit trail exactly once with its exact
 *  value, the last one of each score is the score; each refused write is
 *  nowhere; the trail verifies (`kompass audit verify`); an acknowledged
 *  write sent again with its id gets its first answer and changes nothing;
 *  the CLI works again.
 *
 *  postgresql_restarted: a private cluster (never the shared fixture, which
 *  other tests use meanwhile) is stopped and started again under 8 clients
 *  reading and writing: while it is down every answer is UNAVAILABLE, none
 *  is INTERNAL, none is late (10 s); kompassd reconnects by itself and every
 *  acknowledged write is there once.
 *
 *  killed_lock_holder: `kompass text edit` holding a section lock is killed
 *  with SIGKILL: another user gets LOCKED while the lease runs, and the lock
 *  once it has run out.
 *
 *  Every loop is bounded in count and time; every call has a deadline.
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "harness.h"
#include "pgcluster.h"
#include "points.h"
#include "util.h"

#define CALL_TIMEOUT 10000 /* ms: an answer later than this is a hang */

/* One call on sock: sends req, waits for the reply with its id. NULL after
 * timeout_ms (answers to earlier attempts of other ids are skipped). */
static kp_response *s_call(void *sock, kp_arena *a, const kp_request *req, int timeout_ms)
{
    size_t len;
    void *frame = kp_wire_encode_request(a, req, &len);
    if (zmq_send(sock, frame, len, ZMQ_DONTWAIT) < 0) return NULL;
    int64_t deadline = kp_mono_ms() + timeout_ms;
    for (;;) {
        int left = (int)(deadline - kp_mono_ms());
        if (left <= 0) return NULL;
        zmq_pollitem_t it = {sock, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, left) <= 0) continue;
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, sock, 0) < 0) {
            zmq_msg_close(&m);
            continue;
        }
        kp_response *r = NULL;
        const char *e;
        kp_wire_decode_response(a, zmq_msg_data(&m), zmq_msg_size(&m), &r, &e);
        zmq_msg_close(&m);
        if (r && strcmp(r->request_id, req->request_id) == 0) return r;
    }
}

/* ================================================================ kompassd killed */

#define WRITERS      64
#define QUESTIONS    32   /* per evaluator: 2 x 32 = 64 scores, one per writer */
#define MAX_WRITES   300  /* per writer */
#define RETRY_MS     3000 /* a request unanswered this long is sent again, same id */
#define AFTER_WANTED 5    /* acknowledged writes each writer needs after the restart */
#define LOAD_LIMIT   180000
#define STALE_EVERY  5

typedef struct {
    int seq;
    int64_t points, version;
    int after_restart;
} kw_write;

typedef struct {
    void *sock;
    const char *token, *login;
    char question[16];
    int64_t max_centi;
    long long eval_id;
    int id;
    /* results, read by the main thread after the join */
    kw_write acked[MAX_WRITES];
    int n_acked, acked_after;
    int refused[MAX_WRITES];
    int n_refused;
    int retries, unexpected;
    char unexpected_error[300];
    Kompass__V1__ScoreSetRequest first_body; /* the first acknowledged write, to resend */
    Kompass__V1__ScoreWrite first_write;
    char first_id[32];
} kw_writer;

static kw_writer s_kw[WRITERS];
static atomic_int s_kw_restarted, s_kw_stop;

static void *s_kw_main(void *arg)
{
    kw_writer *w = arg;
    kp_arena *a = kp_arena_new();
    int64_t until = kp_mono_ms() + LOAD_LIMIT;
    int64_t known = 0; /* the version of this writer's score as last seen */
    for (int seq = 0; seq < MAX_WRITES && !atomic_load(&s_kw_stop); seq++) {
        if (atomic_load(&s_kw_restarted) && w->acked_after >= AFTER_WANTED) break;
        if (kp_mono_ms() > until) break;
        int stale = seq % STALE_EVERY == STALE_EVERY - 1;
        char id[32], why[32];
        snprintf(id, sizeof id, "kw-%d-%d", w->id, seq);
        snprintf(why, sizeof why, "w%d-%d", w->id, seq);
        Kompass__V1__ScoreWrite sw;
        kompass__v1__score_write__init(&sw);
        sw.question = w->question;
        sw.points_centi = (seq * 37) % (w->max_centi + 1);
        sw.rationale = why;
        sw.expected_version = stale ? known + 1000 : known;
        Kompass__V1__ScoreWrite *writes[1] = {&sw};
        Kompass__V1__ScoreSetRequest body;
        kompass__v1__score_set_request__init(&body);
        body.evaluation_id = w->eval_id;
        body.n_writes = 1;
        body.writes = writes;
        kp_request req;
        kompass__v1__request__init(&req);
        req.body_case = KOMPASS__V1__REQUEST__BODY_SCORE_SET;
        req.score_set = &body;
        req.request_id = id;
        req.protocol_version = KP_PROTOCOL_VERSION;
        req.session_token = (char *)w->token;
        kp_response *r = NULL;
        for (int attempt = 0; !r && kp_mono_ms() < until; attempt++) {
            if (attempt) w->retries++;
            r = s_call(w->sock, a, &req, RETRY_MS);
            if (r && r->status == KOMPASS__V1__STATUS__UNAVAILABLE) {
                r = NULL;
                usleep(100000);
            }
        }
        if (!r) break; /* out of time: the main thread sees too few writes */
        if (r->status == KOMPASS__V1__STATUS__OK && !stale) {
            kw_write *k = &w->acked[w->n_acked++];
            k->seq = seq;
            k->points = sw.points_centi;
            k->version = r->score_set->version;
            k->after_restart = atomic_load(&s_kw_restarted);
            if (k->after_restart) w->acked_after++;
            known = k->version;
            if (w->n_acked == 1) {
                w->first_write = sw;
                w->first_write.question = w->question;
                w->first_write.rationale = strdup(why);
                w->first_body = body;
                w->first_body.writes = NULL;
                kp_strlcpy(w->first_id, id, sizeof w->first_id);
            }
        } else if (r->status == KOMPASS__V1__STATUS__CONFLICT && stale) {
            w->refused[w->n_refused++] = seq;
            if (r->score_set && r->score_set->n_scores) known = r->score_set->scores[0]->version;
        } else {
            w->unexpected++;
            snprintf(w->unexpected_error, sizeof w->unexpected_error, "%s (%s write): %s %s", id,
                     stale ? "stale" : "current", kp_status_name((int)r->status), r->error);
        }
        kp_arena_reset(a);
    }
    kp_arena_destroy(&a);
    return NULL;
}

/* The row of (evaluator, question, rationale) in a result of
 * evaluator, question, rationale, points; -1 if none, -2 if several. */
static int s_find_row(PGresult *res, const char *login, const char *question, const char *why)
{
    int found = -1;
    for (int i = 0; i < PQntuples(res); i++)
        if (strcmp(PQgetvalue(res, i, 0), login) == 0 &&
            strcmp(PQgetvalue(res, i, 1), question) == 0 &&
            strcmp(PQgetvalue(res, i, 2), why) == 0) {
            if (found >= 0) return -2;
            found = i;
        }
    return found;
}

static PGresult *s_query(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s: %s", sql, PQresultErrorMessage(r));
    return r;
}

Test(faults, kompassd_killed_under_64_writers_keeps_every_acknowledged_write, .timeout = 500)
{
    th_server *s = th_server_start(NULL);
    char admin[300], lead[300], peer[300];
    th_admin_login(s, admin, sizeof admin);
    long long eval_id = th_scoring_eval(s, admin, lead, peer);
    char ids[32];
    snprintf(ids, sizeof ids, "%lld", eval_id);

    /* The framework's first 32 questions and their maxima. */
    char sql[600];
    snprintf(sql, sizeof sql,
             "SELECT string_agg(q.code || ' ' || (q.max * 100)::bigint, ' ' ORDER BY q.id) FROM "
             "(SELECT q.* FROM framework_questions q JOIN evaluations e ON e.framework_id = "
             "q.framework_id WHERE e.id = %lld ORDER BY q.id LIMIT %d) q",
             eval_id, QUESTIONS);
    char *qs = th_sql(s, sql);
    cr_assert(qs, "no questions");
    char codes[QUESTIONS][16];
    long long maxima[QUESTIONS];
    char *p = qs;
    for (int i = 0; i < QUESTIONS; i++) {
        int used = 0;
        cr_assert_eq(sscanf(p, "%15s %lld%n", codes[i], &maxima[i], &used), 2,
                     "only %d questions: %s", i, qs);
        p += used;
    }
    free(qs);

    kp_arena *a = kp_arena_new();
    void *main_sock = th_dealer(s);
    const char *tokens[2] = {th_token(main_sock, a, "christine", TH_PASSWORD),
                             th_token(main_sock, a, "ewa", TH_PASSWORD)};
    const char *logins[2] = {"christine", "ewa"};
    for (int i = 0; i < WRITERS; i++) {
        kw_writer *w = &s_kw[i];
        w->id = i;
        w->sock = th_dealer(s);
        w->token = tokens[i / QUESTIONS];
        w->login = logins[i / QUESTIONS];
        kp_strlcpy(w->question, codes[i % QUESTIONS], sizeof w->question);
        w->max_centi = maxima[i % QUESTIONS];
        w->eval_id = eval_id;
    }
    pthread_t threads[WRITERS];
    for (int i = 0; i < WRITERS; i++)
        cr_assert_eq(pthread_create(&threads[i], NULL, s_kw_main, &s_kw[i]), 0);

    /* Mid-load: every writer has had writes acknowledged. */
    int64_t until = kp_mono_ms() + 120000;
    for (;;) {
        int ready = 0;
        for (int i = 0; i < WRITERS; i++)
            ready += s_kw[i].n_acked >= 3;
        if (ready == WRITERS || kp_mono_ms() > until) break;
        usleep(50000);
    }
    int acked_before = 0;
    for (int i = 0; i < WRITERS; i++)
        acked_before += s_kw[i].n_acked;
    cr_log_info("kill: %d writes acknowledged so far", acked_before);
    cr_assert_eq(kill(s->pid, SIGKILL), 0);
    cr_assert_eq(th_server_wait_exit(s, 10000), 128 + SIGKILL);

    /* The same data dir (keys), database and endpoints: the clients'
     * sockets reconnect to it by themselves. */
    const char *again[] = {"--listen", s->listen, "--publish", s->publish, NULL};
    th_opts o = {0};
    o.data_dir = s->dir;
    o.dbname = s->dbname;
    o.extra_args = again;
    th_server *t = th_server_start_opts(&o);
    cr_assert_str_eq(t->listen, s->listen);
    atomic_store(&s_kw_restarted, 1);
    s->dbname[0] = '\0'; /* t owns them now */
    s->dir[0] = '\0';
    th_server_free(&s);

    for (int i = 0; i < WRITERS; i++)
        pthread_join(threads[i], NULL);

    int acked = 0, refused = 0, retries = 0, writes_after = 0;
    for (int i = 0; i < WRITERS; i++) {
        kw_writer *w = &s_kw[i];
        cr_assert_eq(w->unexpected, 0, "writer %d: %s", i, w->unexpected_error);
        cr_assert_geq(w->acked_after, AFTER_WANTED,
                      "writer %d did not carry on after the restart (%d acknowledged after, %d "
                      "in all)",
                      i, w->acked_after, w->n_acked);
        acked += w->n_acked;
        refused += w->n_refused;
        retries += w->retries;
        writes_after += w->acked_after;
    }
    cr_assert_gt(retries, 0, "no request went unanswered: the kill hit nothing");
    /* Retries of writes that had committed before the kill, answered from
     * request_log (the others were done after the restart). */
    int replayed = 0;
    char *log = th_server_log(t);
    for (const char *at = log; (at = strstr(at, "not done again")); at++)
        replayed++;
    free(log);
    cr_log_info("%d writes acknowledged (%d before the kill, %d after the restart), %d refused, "
                "%d retries, %d answered from request_log",
                acked, acked_before, writes_after, refused, retries, replayed);

    /* Every acknowledged write in the trail once, with its exact value;
     * no refused one anywhere; the last acknowledged one is the score. */
    PGconn *c = PQconnectdb(t->conninfo);
    cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
    PGresult *trail = s_query(c, "SELECT a.after::jsonb->>'evaluator', x.key, "
                                 "x.value->>'rationale', x.value->>'points', a.eval_version "
                                 "FROM audit_events a, jsonb_each(a.after::jsonb->'scores') x "
                                 "WHERE a.action = 'score.set'");
    PGresult *scores = s_query(c, "SELECT u.login, q.code, s.rationale, (s.points * 100)::bigint, "
                                  "s.version FROM scores s JOIN users u ON u.id = s.evaluator_id "
                                  "JOIN framework_questions q ON q.id = s.question_id");
    cr_assert_eq(PQntuples(trail), acked, "%d score writes in the trail, %d acknowledged",
                 PQntuples(trail), acked);
    cr_assert_eq(PQntuples(scores), WRITERS);
    for (int i = 0; i < WRITERS; i++) {
        kw_writer *w = &s_kw[i];
        for (int k = 0; k < w->n_acked; k++) {
            char why[32], pts[24];
            snprintf(why, sizeof why, "w%d-%d", i, w->acked[k].seq);
            int row = s_find_row(trail, w->login, w->question, why);
            cr_assert_geq(row, 0, "acknowledged write %s (%s %s) is %s the trail", why, w->login,
                          w->question, row == -1 ? "missing from" : "twice in");
            cr_assert_str_eq(PQgetvalue(trail, row, 3), kp_points_format(w->acked[k].points, pts),
                             "write %s", why);
            cr_assert_eq(atoll(PQgetvalue(trail, row, 4)), w->acked[k].version, "write %s", why);
        }
        for (int k = 0; k < w->n_refused; k++) {
            char why[32];
            snprintf(why, sizeof why, "w%d-%d", i, w->refused[k]);
            cr_assert_eq(s_find_row(trail, w->login, w->question, why), -1,
                         "refused write %s was done", why);
        }
        const kw_write *last = &w->acked[w->n_acked - 1];
        char why[32], pts[24];
        snprintf(why, sizeof why, "w%d-%d", i, last->seq);
        int row = s_find_row(scores, w->login, w->question, why);
        cr_assert_geq(row, 0, "score %s of %s is not its last acknowledged write %s", w->question,
                      w->login, why);
        snprintf(pts, sizeof pts, "%lld", (long long)last->points);
        cr_assert_str_eq(PQgetvalue(scores, row, 3), pts);
    }
    PQclear(trail);
    PQclear(scores);

    /* A write acknowledged before the kill, sent again with its id: its
     * first answer, nothing done. */
    char *v0 = th_sql(t, "SELECT version FROM evaluations");
    void *sock = th_dealer(t);
    for (int i = 0; i < WRITERS; i += 9) {
        kw_writer *w = &s_kw[i];
        Kompass__V1__ScoreWrite *writes[1] = {&w->first_write};
        w->first_body.writes = writes;
        kp_request req;
        kompass__v1__request__init(&req);
        req.body_case = KOMPASS__V1__REQUEST__BODY_SCORE_SET;
        req.score_set = &w->first_body;
        req.request_id = w->first_id;
        req.protocol_version = KP_PROTOCOL_VERSION;
        req.session_token = (char *)w->token;
        kp_response *r = s_call(sock, a, &req, CALL_TIMEOUT);
        cr_assert(r, "no answer to the resent %s", w->first_id);
        cr_assert_eq(r->status, KOMPASS__V1__STATUS__OK, "%s: %s", w->first_id, r->error);
        cr_assert_eq(r->score_set->version, w->acked[0].version, "%s was done again", w->first_id);
        free(w->first_write.rationale);
    }
    char *v1 = th_sql(t, "SELECT version FROM evaluations");
    cr_assert_str_eq(v0, v1, "a resent write changed the evaluation");
    free(v0);
    free(v1);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM request_log WHERE rpc = 'score_set'");
    char *n = th_sql(t, sql);
    cr_assert_eq(atoi(n), acked, "request_log holds %s answers, %d acknowledged writes", n, acked);
    free(n);

    /* The trail verifies; people carry on with the CLI. */
    char *out = NULL, *err = NULL;
    cr_assert_eq(th_cli_as(t, admin, NULL, &out, &err, "audit", "verify", NULL), 0, "%s%s", out,
                 err);
    cr_log_info("audit verify: %s", out);
    free(out);
    free(err);
    cr_assert_eq(th_cli_as(t, lead, NULL, NULL, &err, "score", "set", ids, codes[0], "1",
                           "--version", "0", NULL),
                 3, "a stale CLI write was not refused: %s", err); /* the score exists */
    free(err);
    json_t *doc = th_json(t, lead, 0, "score", "show", ids, "--area", "1", NULL);
    json_decref(doc);
    cr_assert_eq(th_cli_as(t, lead, NULL, NULL, &err, "score", "set", ids, codes[0], "1", NULL), 0,
                 "%s", err);
    free(err);

    PQfinish(c);
    zmq_close(sock);
    zmq_close(main_sock);
    for (int i = 0; i < WRITERS; i++)
        zmq_close(s_kw[i].sock);
    kp_arena_destroy(&a);
    th_server_free(&t);
}

/* ================================================================ PostgreSQL restarted */

#define PG_CLIENTS      8
#define PG_MAX_CALLS    2000
#define PG_DOWN_MS      3000 /* how long PostgreSQL stays down */
#define PG_AFTER_WANTED 5

typedef struct {
    void *sock;
    const char *token;
    int id;
    /* results */
    char acked[PG_MAX_CALLS][24]; /* logins of acknowledged user_adds */
    int n_acked, ok, ok_after, unavailable, unavailable_down, other_down, timeouts, others;
    char other_error[300];
    int64_t max_call_ms;
} pg_client;

static pg_client s_pc[PG_CLIENTS];
static atomic_int s_pg_phase; /* 0 up, 1 down, 2 up again */
static atomic_int s_pg_stop;

static void *s_pc_main(void *arg)
{
    pg_client *w = arg;
    kp_arena *a = kp_arena_new();
    int64_t until = kp_mono_ms() + 150000;
    for (int i = 0; i < PG_MAX_CALLS && !atomic_load(&s_pg_stop) && kp_mono_ms() < until; i++) {
        if (atomic_load(&s_pg_phase) == 2 && w->ok_after >= PG_AFTER_WANTED) break;
        char login[24], id[32];
        snprintf(login, sizeof login, "pg%dn%d", w->id, i);
        snprintf(id, sizeof id, "pgr-%d-%d", w->id, i);
        kp_request req;
        kompass__v1__request__init(&req);
        Kompass__V1__UserAddRequest add;
        Kompass__V1__WhoAmIRequest who;
        int writes = i % 2 == 0;
        if (writes) {
            kompass__v1__user_add_request__init(&add);
            add.login = login;
            add.full_name = "Omstart Test";
            add.organisation = "Testkommun";
            add.role = KOMPASS__V1__ROLE__ROLE_OBSERVER;
            add.password = "Omstart-password-1";
            req.body_case = KOMPASS__V1__REQUEST__BODY_USER_ADD;
            req.user_add = &add;
        } else {
            kompass__v1__who_am_irequest__init(&who);
            req.body_case = KOMPASS__V1__REQUEST__BODY_WHO_AM_I;
            req.who_am_i = &who;
        }
        req.request_id = id;
        req.protocol_version = KP_PROTOCOL_VERSION;
        req.session_token = (char *)w->token;
        /* A write is retried with its id until it is answered for good. */
        for (int attempt = 0; attempt < 200 && kp_mono_ms() < until; attempt++) {
            int phase = atomic_load(&s_pg_phase);
            int64_t t0 = kp_mono_ms();
            kp_response *r = s_call(w->sock, a, &req, CALL_TIMEOUT);
            int64_t ms = kp_mono_ms() - t0;
            if (ms > w->max_call_ms) w->max_call_ms = ms;
            int down = phase == 1 && atomic_load(&s_pg_phase) == 1;
            if (!r) {
                w->timeouts++;
                break;
            }
            if (r->status == KOMPASS__V1__STATUS__OK) {
                w->ok++;
                if (phase == 2) w->ok_after++;
                if (down) {
                    w->other_down++;
                    snprintf(w->other_error, sizeof w->other_error,
                             "%s answered OK while PostgreSQL was down", id);
                }
                if (writes) kp_strlcpy(w->acked[w->n_acked++], login, sizeof w->acked[0]);
                break;
            }
            if (r->status == KOMPASS__V1__STATUS__UNAVAILABLE) {
                w->unavailable++;
                if (down) w->unavailable_down++;
                if (!writes) break;
                usleep(100000);
                continue;
            }
            w->others++;
            snprintf(w->other_error, sizeof w->other_error, "%s: %s %s", id,
                     kp_status_name((int)r->status), r->error);
            break;
        }
        kp_arena_reset(a);
    }
    kp_arena_destroy(&a);
    return NULL;
}

Test(faults, postgresql_restarted_under_load_answers_unavailable_and_recovers, .timeout = 400)
{
    char base[64];
    kp_strlcpy(base, "/tmp/kompass-pgr-XXXXXX", sizeof base);
    cr_assert(mkdtemp(base));
    chmod(base, 0755);
    char dir[128];
    snprintf(dir, sizeof dir, "%s/pg", base);
    kp_pgcluster pg;
    cr_assert_eq(kp_pgcluster_open(&pg, dir, NULL), 0, "%s", pg.error);
    cr_assert_eq(kp_pgcluster_init(&pg), 1, "%s", pg.error);
    cr_assert_eq(kp_pgcluster_start(&pg), 0, "%s", pg.error);
    char conninfo[2400];
    kp_pgcluster_conninfo(&pg, "postgres", conninfo, sizeof conninfo);
    PGconn *c = PQconnectdb(conninfo);
    cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
    PQclear(PQexec(c, "CREATE DATABASE kompass"));
    PQfinish(c);
    kp_pgcluster_conninfo(&pg, "kompass", conninfo, sizeof conninfo);
    char ci[2500];
    snprintf(ci, sizeof ci, "%s connect_timeout=5", conninfo);

    th_opts o = {0};
    o.conninfo = ci;
    th_server *s = th_server_start_opts(&o);
    kp_arena *a = kp_arena_new();
    void *main_sock = th_dealer(s);
    const char *token = th_token(main_sock, a, "admin", TH_ADMIN_PASSWORD);
    for (int i = 0; i < PG_CLIENTS; i++) {
        s_pc[i].id = i;
        s_pc[i].sock = th_dealer(s);
        s_pc[i].token = token;
    }
    pthread_t threads[PG_CLIENTS];
    for (int i = 0; i < PG_CLIENTS; i++)
        cr_assert_eq(pthread_create(&threads[i], NULL, s_pc_main, &s_pc[i]), 0);

    int64_t until = kp_mono_ms() + 60000;
    for (;;) {
        int ready = 0;
        for (int i = 0; i < PG_CLIENTS; i++)
            ready += s_pc[i].ok >= 5;
        if (ready == PG_CLIENTS || kp_mono_ms() > until) break;
        usleep(50000);
    }
    /* Down: fast shutdown ends every session, as a restart does. */
    cr_assert_eq(kp_pgcluster_stop(&pg), 0, "%s", pg.error);
    atomic_store(&s_pg_phase, 1);
    usleep(PG_DOWN_MS * 1000);
    /* kompassd is still there and says why it cannot help. */
    cr_assert_eq(kill(s->pid, 0), 0, "kompassd died with its database");
    char *out = NULL, *err = NULL;
    int rc = th_cli(s, &out, &err, "ping", NULL);
    cr_log_info("ping while down (exit %d): %s%s", rc, out, err);
    free(out);
    free(err);
    atomic_store(&s_pg_phase, 2);
    cr_assert_eq(kp_pgcluster_start(&pg), 0, "%s", pg.error);
    int64_t started = kp_mono_ms();

    for (int i = 0; i < PG_CLIENTS; i++)
        pthread_join(threads[i], NULL);
    int64_t recovered = kp_mono_ms() - started;

    int unavailable = 0, unavailable_down = 0, ok = 0, acked = 0;
    int64_t max_call = 0;
    for (int i = 0; i < PG_CLIENTS; i++) {
        pg_client *w = &s_pc[i];
        cr_assert_eq(w->timeouts, 0, "client %d: %d calls unanswered in %d ms", i, w->timeouts,
                     CALL_TIMEOUT);
        cr_assert_eq(w->others, 0, "client %d: %s", i, w->other_error);
        cr_assert_eq(w->other_down, 0, "client %d: %s", i, w->other_error);
        cr_assert_geq(w->ok_after, PG_AFTER_WANTED, "client %d: kompassd did not recover", i);
        unavailable += w->unavailable;
        unavailable_down += w->unavailable_down;
        ok += w->ok;
        acked += w->n_acked;
        if (w->max_call_ms > max_call) max_call = w->max_call_ms;
    }
    cr_assert_gt(unavailable_down, 0, "no call met the database down: nothing was tested");
    cr_log_info("%d OK (%d writes), %d UNAVAILABLE (%d while down), longest call %lld ms, all "
                "clients recovered within %lld ms of the restart",
                ok, acked, unavailable, unavailable_down, (long long)max_call,
                (long long)recovered);

    /* Every acknowledged write is there once. */
    c = PQconnectdb(conninfo);
    cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
    PGresult *res = s_query(c, "SELECT login FROM users WHERE login LIKE 'pg%'");
    cr_assert_eq(PQntuples(res), acked, "%d users added, %d acknowledged", PQntuples(res), acked);
    for (int i = 0; i < PG_CLIENTS; i++)
        for (int k = 0; k < s_pc[i].n_acked; k++) {
            int found = 0;
            for (int j = 0; j < PQntuples(res); j++)
                found += strcmp(PQgetvalue(res, j, 0), s_pc[i].acked[k]) == 0;
            cr_assert_eq(found, 1, "acknowledged user %s is missing", s_pc[i].acked[k]);
        }
    PQclear(res);
    PQfinish(c);

    cr_assert_eq(th_cli(s, &out, &err, "ping", NULL), 0, "%s%s", out, err);
    cr_assert(strstr(out, "reachable"), "%s", out);
    free(out);
    free(err);
    for (int i = 0; i < PG_CLIENTS; i++)
        zmq_close(s_pc[i].sock);
    zmq_close(main_sock);
    kp_arena_destroy(&a);
    cr_assert_eq(th_server_stop(s), 0, "kompassd did not shut down cleanly");
    th_server_free(&s);
    kp_pgcluster_stop(&pg);
    const char *rm[] = {"/bin/rm", "-rf", base, NULL};
    th_run(rm, NULL, NULL, NULL, 60000);
}

/* ================================================================ killed lock holder */

#define LEASE "8"

/* `kompass text edit ID 3 summary --lease LEASE` as home's user with
 * EDITOR=editor, in the background; its pid (stderr into outpath). */
static pid_t s_edit_bg(th_server *s, const char *home, const char *ids, const char *editor,
                       const char *outpath)
{
    pid_t pid = fork();
    if (pid == 0) {
        /* a group of its own: killing the client kills its editor too */
        setpgid(0, 0);
        setenv("XDG_CONFIG_HOME", home, 1);
        setenv("KOMPASS_SERVER_KEY", s->server_key, 1);
        setenv("EDITOR", editor, 1);
        FILE *f = freopen(outpath, "w", stderr);
        (void)f;
        execl(th_bin("kompass"), "kompass", "--server", s->listen, "text", "edit", ids, "3",
              "summary", "--lease", LEASE, (char *)NULL);
        _exit(127);
    }
    if (pid > 0) setpgid(pid, pid);
    return pid;
}

static char *s_sql_text(th_server *s, const char *sql)
{
    char *v = th_sql(s, sql);
    return v ? v : strdup("");
}

Test(faults, killed_lock_holder_keeps_the_lock_until_its_lease_ends, .timeout = 200)
{
    th_server *s = th_server_start(NULL);
    char admin[300], lead[300], peer[300], ids[32];
    th_admin_login(s, admin, sizeof admin);
    snprintf(ids, sizeof ids, "%lld", th_scoring_eval(s, admin, lead, peer));

    /* Ewa's editor never finishes on its own; it ends with its kompass. */
    char sleeper[400], writer[400], out[400];
    snprintf(sleeper, sizeof sleeper, "%s/sleeper.sh", s->dir);
    const char sbody[] = "#!/bin/sh\ni=0\nwhile [ $i -lt 300 ] && kill -0 $PPID 2>/dev/null; do\n  "
                         "  i=$((i + 1))\n    sleep 0.2\ndone\n";
    cr_assert_eq(kp_write_file(sleeper, sbody, sizeof sbody - 1, 0755), 0);
    snprintf(writer, sizeof writer, "%s/writer.sh", s->dir);
    const char wbody[] = "#!/bin/sh\nprintf 'Christines sammanfattning.\\n' > \"$1\"\n";
    cr_assert_eq(kp_write_file(writer, wbody, sizeof wbody - 1, 0755), 0);
    snprintf(out, sizeof out, "%s/ewa-edit.err", s->dir);

    pid_t ed = s_edit_bg(s, peer, ids, sleeper, out);
    const char *held = "SELECT u.login FROM section_locks l JOIN users u ON u.id = l.holder_id "
                       "WHERE l.expires_at > now()";
    char *who = NULL;
    for (int i = 0; i < 200; i++) {
        free(who);
        who = s_sql_text(s, held);
        if (strcmp(who, "ewa") == 0) break;
        usleep(50000);
    }
    cr_assert_str_eq(who, "ewa", "the editor did not take the lock");
    free(who);
    /* Killed: no renewal, no release. */
    cr_assert_eq(kill(-ed, SIGKILL), 0);
    int status;
    cr_assert_eq(waitpid(ed, &status, 0), ed);
    char *left = s_sql_text(s, "SELECT extract(epoch FROM expires_at - now()) FROM section_locks");
    cr_log_info("ewa's kompass killed; %s s of its lease left", left);
    cr_assert_gt(atof(left), 1.0, "too little of the lease left to test: %s", left);
    free(left);

    /* Christine, while the lease runs: LOCKED, by Ewa, nothing written. */
    char *err = NULL;
    setenv("EDITOR", writer, 1);
    int rc = th_cli_as(s, lead, NULL, NULL, &err, "text", "edit", ids, "3", "summary", NULL);
    unsetenv("EDITOR");
    char *still = s_sql_text(s, "SELECT expires_at > now() FROM section_locks");
    cr_assert_str_eq(still, "t", "the lease ran out before the refusal: nothing tested");
    free(still);
    cr_assert_eq(rc, kp_status_exit_code(KP_LOCKED), "exit %d: %s", rc, err);
    cr_assert(strstr(err, "being edited by Ewa Luvö (ewa)"), "%s", err);
    free(err);
    char *n = s_sql_text(s, "SELECT count(*) FROM area_texts");
    cr_assert_str_eq(n, "0");
    free(n);

    /* Once the lease has run out, the lock is Christine's. */
    char *over = NULL;
    for (int i = 0; i < 300; i++) {
        free(over);
        over = s_sql_text(s, "SELECT expires_at <= now() FROM section_locks");
        if (strcmp(over, "t") == 0) break;
        usleep(100000);
    }
    cr_assert_str_eq(over, "t", "the lease did not run out");
    free(over);
    setenv("EDITOR", writer, 1);
    rc = th_cli_as(s, lead, NULL, NULL, &err, "text", "edit", ids, "3", "summary", NULL);
    unsetenv("EDITOR");
    cr_assert_eq(rc, 0, "%s", err);
    free(err);
    json_t *doc = th_json(s, peer, 0, "text", "show", ids, "3", NULL);
    json_t *t0 = json_array_get(json_object_get(doc, "texts"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(t0, "text")), "Christines sammanfattning.");
    cr_assert_str_eq(json_string_value(json_object_get(t0, "written_by")), "christine");
    json_decref(doc);
    n = s_sql_text(s, "SELECT count(*) FROM section_locks WHERE expires_at > now()");
    cr_assert_str_eq(n, "0", "christine's lock was not released after saving");
    free(n);
    th_server_free(&s);
}
