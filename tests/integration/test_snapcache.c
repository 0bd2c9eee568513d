/*  The snapshot cache (server/snapcache.h) is never seen: two kompassd on one
 *  database, snapshots read warm through both, and every change made
 *  through one (a score, the end of blind scoring, a team change, a lock
 *  taken, renewed and released, a blind or status change behind Kompass's
 *  back) in the very next snapshot read through either; blind scores never
 *  shown to who may not see them, whoever warmed the cache; and after a
 *  PostgreSQL restart no snapshot from before it. Raw protocol: the
 *  snapshot's fields are what is checked. */
#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "harness.h"
#include "pgcluster.h"
#include "util.h"

static th_server *a, *b;
static char admin[300], lead[300], peer[300], lead_b[300], peer_b[300], ids[32];
static long long eval_id;
static kp_arena *arena;

/* One raw connection to a server, logged in. */
typedef struct {
    th_server *srv;
    void *sock;
    const char *token;
} conn;

static void s_start(th_server *first, const th_opts *second)
{
    a = first;
    th_admin_login(a, admin, sizeof admin);
    eval_id = th_scoring_eval(a, admin, lead, peer);
    snprintf(ids, sizeof ids, "%lld", eval_id);
    b = th_server_start_opts(second);
    th_login_new(b, "christine", lead_b, sizeof lead_b);
    th_login_new(b, "ewa", peer_b, sizeof peer_b);
    arena = kp_arena_new();
}

static void setup(void)
{
    th_server *first = th_server_start(NULL);
    th_opts o = {0};
    o.dbname = first->dbname;
    s_start(first, &o);
}

static void teardown(void)
{
    kp_arena_destroy(&arena);
    th_server_free(&b);
    th_server_free(&a);
}

TestSuite(snapcache, .init = setup, .fini = teardown, .timeout = 300);

static conn *s_conn(th_server *srv, const char *login)
{
    conn *c = kp_arena_zalloc(arena, sizeof *c);
    c->srv = srv;
    c->sock = th_dealer(srv);
    c->token = kp_arena_strdup(
        arena, th_token(c->sock, arena, login,
                        strcmp(login, "admin") == 0 ? TH_ADMIN_PASSWORD : TH_PASSWORD));
    return c;
}

static kp_response *s_call(conn *c, kp_request *req)
{
    req->session_token = (char *)c->token;
    kp_response *r = th_call(c->sock, arena, req, 30000);
    cr_assert(r, "no answer");
    return r;
}

static kp_response *s_snap_raw(conn *c)
{
    kp_request *req = kp_arena_zalloc(arena, sizeof *req);
    kompass__v1__request__init(req);
    Kompass__V1__EvalSnapshotRequest *in = kp_arena_zalloc(arena, sizeof *in);
    kompass__v1__eval_snapshot_request__init(in);
    in->evaluation_id = eval_id;
    req->body_case = KOMPASS__V1__REQUEST__BODY_EVAL_SNAPSHOT;
    req->eval_snapshot = in;
    return s_call(c, req);
}

static const Kompass__V1__EvalSnapshotResponse *s_snap(conn *c)
{
    kp_response *r = s_snap_raw(c);
    cr_assert_eq(r->status, KOMPASS__V1__STATUS__OK, "%s", r->error);
    return r->eval_snapshot;
}

/* How many of the snapshot's scores are evaluator's. */
static int s_count(const Kompass__V1__EvalSnapshotResponse *sn, const char *evaluator)
{
    int n = 0;
    for (size_t i = 0; i < sn->n_scores; i++)
        n += strcmp(sn->scores[i]->evaluator, evaluator) == 0;
    return n;
}

/* evaluator's points (hundredths) on question, -1 when not shown. */
static long long s_points(const Kompass__V1__EvalSnapshotResponse *sn, const char *question,
                          const char *evaluator)
{
    for (size_t i = 0; i < sn->n_scores; i++)
        if (!strcmp(sn->scores[i]->question, question) &&
            !strcmp(sn->scores[i]->evaluator, evaluator))
            return sn->scores[i]->points_centi;
    return -1;
}

static long long s_version(void)
{
    char q[128];
    snprintf(q, sizeof q, "SELECT version FROM evaluations WHERE id = %lld", eval_id);
    char *v = th_sql(a, q);
    long long n = atoll(v);
    free(v);
    return n;
}

static void s_cli(th_server *srv, const char *home, const char *arg, ...)
{
    const char *args[20] = {0};
    int n = 0;
    va_list ap;
    va_start(ap, arg);
    for (const char *x = arg; x && n < 19; x = va_arg(ap, const char *))
        args[n++] = x;
    va_end(ap);
    args[n] = NULL;
    char *out = NULL, *err = NULL;
    int rc = th_cli_full(srv, home, NULL, &out, &err, args);
    cr_assert_eq(rc, 0, "kompass %s: %s%s", arg, out, err);
    free(out);
    free(err);
}

/* How many snapshots srv answered from memory, from its last words. */
static long long s_hits(th_server *srv)
{
    cr_assert_eq(th_server_stop(srv), 0, "kompassd did not stop cleanly");
    char *log = th_server_log(srv);
    const char *at = log ? strstr(log, " snapshots answered from memory") : NULL;
    cr_assert(at, "no count of snapshots from memory in the log");
    while (at > log && at[-1] >= '0' && at[-1] <= '9')
        at--;
    long long n = atoll(at);
    free(log);
    return n;
}

Test(snapcache, a_write_through_one_server_is_in_the_next_snapshot_through_either)
{
    conn *xa = s_conn(a, "admin"), *xb = s_conn(b, "admin");
    for (int i = 0; i < 3; i++) { /* warm on both */
        s_snap(xa);
        s_snap(xb);
    }
    for (int i = 0; i < 12; i++) {
        char pts[8];
        snprintf(pts, sizeof pts, "%d", 1 + i);
        /* christine through a, ewa through b, ... */
        const char *who = i % 2 ? "ewa" : "christine";
        if (i % 2 == 0)
            s_cli(a, lead, "score", "set", ids, "1.1", pts, NULL);
        else
            s_cli(b, peer_b, "score", "set", ids, "1.1", pts, NULL);
        long long v = s_version();
        conn *order[2] = {i % 2 == 0 ? xb : xa, i % 2 == 0 ? xa : xb};
        for (int k = 0; k < 2; k++) {
            const Kompass__V1__EvalSnapshotResponse *sn = s_snap(order[k]);
            cr_assert_eq(sn->version, v, "write %d: version %lld read through %s, %lld written", i,
                         (long long)sn->version, order[k] == xa ? "a" : "b", v);
            cr_assert_eq(s_points(sn, "1.1", who), (1 + i) * 100, "write %d", i);
            s_snap(order[k]); /* and again, warm */
            cr_assert_eq(s_points(s_snap(order[k]), "1.1", who), (1 + i) * 100);
        }
    }
    /* and the cache was used: at least the warm second reads */
    cr_assert_gt(s_hits(b), 0);
    cr_assert_gt(s_hits(a), 0);
}

/* While scoring is blind, lead and peer through both servers, in an order
 * where each finds the cache warmed by another (admin first, who sees
 * all): each sees only their own. */
static void s_blind_rounds(conn **who, int n)
{
    for (int round = 0; round < 3; round++)
        for (int i = 0; i < n; i++) {
            conn *c = who[(i + round) % n];
            const Kompass__V1__EvalSnapshotResponse *sn = s_snap(c);
            th_server *srv = c->srv;
            const char *login = c == who[0] || c == who[1]   ? "admin"
                                : c == who[2] || c == who[3] ? "christine"
                                                             : "ewa";
            if (!strcmp(login, "admin")) {
                cr_assert(s_count(sn, "christine") > 0 && s_count(sn, "ewa") > 0);
            } else {
                const char *other = strcmp(login, "ewa") ? "ewa" : "christine";
                cr_assert_eq(s_count(sn, other), 0, "%s saw %s's blind scores through %s", login,
                             other, srv == a ? "a" : "b");
                cr_assert(s_count(sn, login) > 0, "%s does not see their own", login);
            }
        }
}

Test(snapcache, blind_scores_are_never_served_to_who_may_not_see_them)
{
    s_cli(a, lead, "score", "set", ids, "3.2", "13", "--why", "secret-of-the-lead", NULL);
    s_cli(a, peer, "score", "set", ids, "3.2", "15", NULL);
    conn *who[6] = {s_conn(a, "admin"),     s_conn(b, "admin"), s_conn(a, "christine"),
                    s_conn(b, "christine"), s_conn(a, "ewa"),   s_conn(b, "ewa")};
    s_blind_rounds(who, 6);
    /* The other way round: an evaluator warms it first. */
    s_cli(b, lead_b, "score", "set", ids, "3.3", "5", NULL);
    conn *rev[6] = {who[4], who[5], who[2], who[3], who[0], who[1]};
    for (int i = 0; i < 6; i++)
        s_snap(rev[i]);
    s_blind_rounds(who, 6);
    cr_assert_gt(s_hits(a), 0);
}

Test(snapcache, a_blind_or_status_change_behind_the_servers_back_is_seen_at_once)
{
    /* No version, no audit event, no notification: only what the
     * authorisation check reads with the relation tells. */
    s_cli(a, lead, "score", "set", ids, "2.1", "3", NULL);
    s_cli(a, peer, "score", "set", ids, "2.1", "4", NULL);
    conn *pa = s_conn(a, "ewa"), *pb = s_conn(b, "ewa");
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(s_count(s_snap(pa), "christine"), 0);
        cr_assert_eq(s_count(s_snap(pb), "christine"), 0);
    }
    char q[200];
    snprintf(q, sizeof q, "UPDATE evaluations SET blind = false WHERE id = %lld", eval_id);
    cr_assert_eq(th_sql_try(a, q, NULL), 0);
    cr_assert_eq(s_points(s_snap(pb), "2.1", "christine"), 300, "blind ended, b");
    cr_assert_eq(s_points(s_snap(pa), "2.1", "christine"), 300, "blind ended, a");
    snprintf(q, sizeof q, "UPDATE evaluations SET blind = true WHERE id = %lld", eval_id);
    cr_assert_eq(th_sql_try(a, q, NULL), 0);
    cr_assert_eq(s_count(s_snap(pa), "christine"), 0, "blind again, a");
    cr_assert_eq(s_count(s_snap(pb), "christine"), 0, "blind again, b");
    /* a status moved by hand (scoring -> consensus): no longer blind */
    snprintf(q, sizeof q, "UPDATE evaluations SET status = 'consensus' WHERE id = %lld", eval_id);
    cr_assert_eq(th_sql_try(a, q, NULL), 0);
    const Kompass__V1__EvalSnapshotResponse *sn = s_snap(pb);
    cr_assert_str_eq(sn->status, "consensus");
    cr_assert_eq(s_points(sn, "2.1", "christine"), 300);
    sn = s_snap(pa);
    cr_assert_str_eq(sn->status, "consensus");
    cr_assert_eq(s_points(sn, "2.1", "christine"), 300);
}

/* Every question of KK2015 scored by home's evaluator, one import. */
static void s_score_all(th_server *srv, const char *home, int points)
{
    char *codes = th_sql(a, "SELECT string_agg(q.code, ' ' ORDER BY a.number, q.position)"
                            " FROM framework_questions q JOIN framework_areas a ON a.id = q.area_id"
                            " JOIN frameworks f ON f.id = q.framework_id WHERE f.code = 'KK2015'");
    char path[400], *csv = malloc(8192);
    size_t len = (size_t)snprintf(csv, 8192, "question,points,rationale\n");
    for (char *t = strtok(codes, " "); t; t = strtok(NULL, " "))
        len += (size_t)snprintf(csv + len, 8192 - len, "%s,%d,\n", t, points);
    snprintf(path, sizeof path, "%s/scores-%d.csv", srv->dir, points);
    cr_assert_eq(kp_write_file(path, csv, len, 0644), 0);
    free(csv);
    free(codes);
    s_cli(srv, home, "score", "import", ids, path, NULL);
}

Test(snapcache, the_end_of_blind_scoring_is_seen_by_the_next_read_on_both)
{
    s_score_all(a, lead, 1);
    s_score_all(a, peer, 0);
    s_cli(a, peer, "submit", ids, NULL);
    conn *pa = s_conn(a, "ewa"), *pb = s_conn(b, "ewa");
    for (int i = 0; i < 2; i++) {
        const Kompass__V1__EvalSnapshotResponse *sn = s_snap(i ? pa : pb);
        cr_assert_str_eq(sn->status, "scoring");
        cr_assert_eq(s_count(sn, "christine"), 0);
        cr_assert_eq(s_count(sn, "ewa"), 45);
        s_snap(i ? pb : pa);
    }
    /* The last submission, through b, ends blind scoring. */
    s_cli(b, lead_b, "submit", ids, NULL);
    for (int i = 0; i < 2; i++) {
        const Kompass__V1__EvalSnapshotResponse *sn = s_snap(i ? pb : pa);
        cr_assert_str_eq(sn->status, "consensus", "through %s", i ? "b" : "a");
        cr_assert_eq(s_count(sn, "christine"), 45, "through %s", i ? "b" : "a");
        cr_assert_eq(s_count(sn, "ewa"), 45);
    }
}

Test(snapcache, a_team_change_is_seen_by_the_next_read_on_both)
{
    char olof[300];
    th_user(a, admin, "olof", "Olof Observatör", "SKL", "observer", olof, sizeof olof);
    conn *oa = s_conn(a, "olof"), *ob = s_conn(b, "olof"), *xa = s_conn(a, "admin");
    s_snap(xa);
    s_snap(xa);
    cr_assert_eq(s_snap_raw(oa)->status, KOMPASS__V1__STATUS__NOT_FOUND);
    cr_assert_eq(s_snap_raw(ob)->status, KOMPASS__V1__STATUS__NOT_FOUND);
    s_cli(a, admin, "eval", "assign", ids, "olof", "--as", "observer", NULL);
    cr_assert_eq(s_snap_raw(ob)->status, KOMPASS__V1__STATUS__OK, "assigned through a, read b");
    cr_assert_eq(s_snap_raw(oa)->status, KOMPASS__V1__STATUS__OK);
    char admin_b[300];
    th_login_new(b, "admin", admin_b, sizeof admin_b);
    s_cli(b, admin_b, "eval", "unassign", ids, "olof", NULL);
    cr_assert_eq(s_snap_raw(oa)->status, KOMPASS__V1__STATUS__NOT_FOUND, "unassigned through b");
    cr_assert_eq(s_snap_raw(ob)->status, KOMPASS__V1__STATUS__NOT_FOUND);
    s_snap(xa); /* the admin still reads it */
}

static Kompass__V1__TextLockResponse *s_lock(conn *c, int op, const char *token, int lease)
{
    kp_request *req = kp_arena_zalloc(arena, sizeof *req);
    kompass__v1__request__init(req);
    Kompass__V1__TextLockRequest *in = kp_arena_zalloc(arena, sizeof *in);
    kompass__v1__text_lock_request__init(in);
    in->evaluation_id = eval_id;
    in->area = 2;
    in->section = "summary";
    in->op = op;
    in->token = (char *)(token ? token : "");
    in->lease_seconds = lease;
    req->body_case = KOMPASS__V1__REQUEST__BODY_TEXT_LOCK;
    req->text_lock = in;
    char id[33];
    kp_random_id(id);
    req->request_id = kp_arena_strdup(arena, id);
    kp_response *r = s_call(c, req);
    cr_assert_eq(r->status, KOMPASS__V1__STATUS__OK, "%s", r->error);
    return r->text_lock;
}

Test(snapcache, a_lock_taken_renewed_and_released_is_seen_by_the_next_read_on_both)
{
    conn *la = s_conn(a, "christine"), *lb = s_conn(b, "christine");
    conn *pa = s_conn(a, "ewa"), *pb = s_conn(b, "ewa");
    conn *readers[4] = {pb, pa, lb, la};
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(s_snap(readers[i])->n_locks, 0);
        s_snap(readers[i]);
    }
    Kompass__V1__TextLockResponse *l =
        s_lock(la, KOMPASS__V1__TEXT_LOCK_REQUEST__OP__ACQUIRE, NULL, 120);
    const char *token = kp_arena_strdup(arena, l->token);
    for (int i = 0; i < 4; i++) {
        const Kompass__V1__EvalSnapshotResponse *sn = s_snap(readers[i]);
        cr_assert_eq(sn->n_locks, 1, "taken through a, reader %d", i);
        cr_assert_str_eq(sn->locks[0]->holder, "christine");
        cr_assert_eq(sn->locks[0]->expires_at_us, l->lock->expires_at_us);
    }
    usleep(20000); /* a later expiry */
    l = s_lock(lb, KOMPASS__V1__TEXT_LOCK_REQUEST__OP__RENEW, token, 600);
    for (int i = 0; i < 4; i++) {
        const Kompass__V1__EvalSnapshotResponse *sn = s_snap(readers[i]);
        cr_assert_eq(sn->n_locks, 1);
        cr_assert_eq(sn->locks[0]->expires_at_us, l->lock->expires_at_us,
                     "renewed through b, reader %d sees the old lease", i);
    }
    s_lock(lb, KOMPASS__V1__TEXT_LOCK_REQUEST__OP__RELEASE, token, 0);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(s_snap(readers[3 - i])->n_locks, 0, "released through b, reader %d", i);
}

Test(snapcache, a_lock_that_runs_out_is_gone_from_the_next_read)
{
    conn *la = s_conn(a, "christine"), *pb = s_conn(b, "ewa");
    s_lock(la, KOMPASS__V1__TEXT_LOCK_REQUEST__OP__ACQUIRE, NULL, 5);
    cr_assert_eq(s_snap(pb)->n_locks, 1);
    cr_assert_eq(s_snap(pb)->n_locks, 1);
    /* Nothing is notified when a lease ends; the row stays. */
    int64_t until = kp_mono_ms() + 15000;
    while (s_snap(pb)->n_locks == 1 && kp_mono_ms() < until)
        usleep(50000);
    cr_assert_eq(s_snap(pb)->n_locks, 0);
    char *left = th_sql(a, "SELECT count(*) FROM section_locks");
    cr_assert_str_eq(left, "1", "the expired lock's row is still there");
    free(left);
    char q[200];
    snprintf(q, sizeof q, "SELECT count(*) FROM section_locks WHERE expires_at > now()");
    left = th_sql(a, q);
    cr_assert_str_eq(left, "0", "the lease has ended as the database counts");
    free(left);
}

/* ---------------------------------------------- a PostgreSQL of its own */

static char s_base[64];
static kp_pgcluster s_pg;

static void setup_private(void)
{
    kp_strlcpy(s_base, "/tmp/kompass-snapc-XXXXXX", sizeof s_base);
    cr_assert(mkdtemp(s_base));
    chmod(s_base, 0755);
    char dir[128];
    snprintf(dir, sizeof dir, "%s/pg", s_base);
    cr_assert_eq(kp_pgcluster_open(&s_pg, dir, NULL), 0, "%s", s_pg.error);
    cr_assert_eq(kp_pgcluster_init(&s_pg), 1, "%s", s_pg.error);
    cr_assert_eq(kp_pgcluster_start(&s_pg), 0, "%s", s_pg.error);
    char conninfo[2400];
    kp_pgcluster_conninfo(&s_pg, "postgres", conninfo, sizeof conninfo);
    PGconn *c = PQconnectdb(conninfo);
    cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
    PQclear(PQexec(c, "CREATE DATABASE kompass"));
    PQfinish(c);
    kp_pgcluster_conninfo(&s_pg, "kompass", conninfo, sizeof conninfo);
    static char ci[2500];
    snprintf(ci, sizeof ci, "%s connect_timeout=5", conninfo);
    th_opts o = {0};
    o.conninfo = ci;
    th_server *first = th_server_start_opts(&o);
    s_start(first, &o);
}

static void teardown_private(void)
{
    teardown();
    kp_pgcluster_stop(&s_pg);
    const char *rm[] = {"/bin/rm", "-rf", s_base, NULL};
    th_run(rm, NULL, NULL, NULL, 60000);
}

/* A snapshot through c once the server answers again (UNAVAILABLE while
 * it reconnects). */
static const Kompass__V1__EvalSnapshotResponse *s_snap_when_back(conn *c)
{
    int64_t until = kp_mono_ms() + 60000;
    for (;;) {
        kp_response *r = s_snap_raw(c);
        if (r->status == KOMPASS__V1__STATUS__OK) return r->eval_snapshot;
        cr_assert_eq(r->status, KOMPASS__V1__STATUS__UNAVAILABLE, "%s", r->error);
        cr_assert(kp_mono_ms() < until, "not back within 60 s");
        usleep(100000);
    }
}

Test(snapcache_restart, after_a_postgresql_restart_no_snapshot_from_before_is_served,
     .init = setup_private, .fini = teardown_private, .timeout = 400)
{
    conn *xa = s_conn(a, "admin"), *xb = s_conn(b, "admin");
    s_cli(a, lead, "score", "set", ids, "1.2", "4", NULL);
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(s_points(s_snap(xa), "1.2", "christine"), 400);
        cr_assert_eq(s_points(s_snap(xb), "1.2", "christine"), 400);
    }
    cr_assert_eq(kp_pgcluster_stop(&s_pg), 0, "%s", s_pg.error);
    usleep(1500000);
    cr_assert_eq(kp_pgcluster_start(&s_pg), 0, "%s", s_pg.error);
    /* At once after the restart, before a's publisher may listen again:
     * writes through b are in a's next snapshot, and the other way. */
    s_snap_when_back(xb);
    for (int i = 0; i < 6; i++) {
        char pts[8];
        snprintf(pts, sizeof pts, "%d", 5 + i);
        th_server *w = i % 2 ? a : b;
        int64_t until = kp_mono_ms() + 60000;
        char *out = NULL, *err = NULL;
        while (th_cli_as(w, i % 2 ? lead : peer_b, NULL, &out, &err, "score", "set", ids, "1.2",
                         pts, NULL) != 0) {
            cr_assert(kp_mono_ms() < until, "no write through %s: %s", i % 2 ? "a" : "b", err);
            free(out);
            free(err);
            usleep(200000);
        }
        free(out);
        free(err);
        conn *r = i % 2 ? xb : xa;
        cr_assert_eq(s_points(s_snap_when_back(r), "1.2", i % 2 ? "christine" : "ewa"),
                     (5 + i) * 100, "write %d after the restart, read through %s", i,
                     i % 2 ? "b" : "a");
    }
}
