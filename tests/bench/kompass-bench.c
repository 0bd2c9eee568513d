/*  kompass-bench: load for a running kompassd, through the real protocol.
 *
 *  kompass-bench SCENARIO [--clients N] [--duration SECONDS] [--evaluations N]
 *                [--baseline --db CONNINFO] [--json]
 *                [--server ENDPOINT] [--server-key KEY] [--insecure]
 *
 *  Scenarios (docs/performance.md has the figures and how to reproduce them):
 *    write  N clients, each an evaluator logged in as themself, write their
 *           own scores one question at a time with the version they last
 *           saw, spread over --evaluations evaluations and every question;
 *    read   N clients take snapshots (EvalSnapshot) of evaluations whose
 *           every score is written;
 *    watch  one writer, N subscribers (each a request connection that
 *           subscribed to the evaluation, with the writer's session): the
 *           time from the writer's reply to each subscriber's receipt of
 *           the pushed update;
 *    idle   N connected clients, each a request socket with ZMTP heartbeats
 *           and a live subscription; held for the duration, then each must
 *           still answer a ping and receive one update. kompassd's resident
 *           memory is sampled meanwhile (same machine: its pid from Ping).
 *    flood  one user floods: N connections (default 64) in one session,
 *           each with 16 searches in flight, sending the next as soon as
 *           an answer comes; another user searches one at a time, first
 *           alone for half the duration (quiet), then during the flood. Its
 *           latency and errors, quiet and flooded, side by side.
 *
 *  The tool sets everything up itself as admin (KOMPASS_ADMIN_PASSWORD):
 *  users, municipalities, evaluations, their teams, `eval start`, under a
 *  fresh prefix per run, so runs never share state.
 *
 *  --baseline (write): the same number of threads do the same score writes
 *  directly through libpq on kompassd's database (--db): for each, exactly
 *  the statements kompassd runs for one ScoreSet (session check, relation,
 *  retry log, and the handler's transaction: the version check, the score,
 *  the version bump, the audit event with its hash and its notification),
 *  each write its own transaction, with the same named statements prepared
 *  by the server's own db module and the audit hash by the server's own
 *  code. That is the database's own limit for this work on this machine;
 *  kompassd and the baseline take turns (four rounds each) and the tool
 *  reports both and their ratio.
 *
 *  --pgbench (write, read): PostgreSQL's pgbench on the same database, the
 *  same number of clients, with the scripts beside this file: the minimal
 *  durable score write (pgbench-write.sql) or the snapshot's main query
 *  alone (pgbench-read.sql), in turns with kompassd (pgbench.h). That is
 *  the database's own limit for the work, with nothing of kompassd's.
 */
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "audit.h"
#include "pgbench.h"
#include "conn.h"
#include "curve.h"
#include "db.h"
#include "settings.h"
#include "statements.h"
#include "status.h"
#include "util.h"
#include "wire.h"

#define USAGE                                                                                      \
    "usage: kompass-bench write|read|watch|idle|flood [--clients N] [--duration SECONDS]\n"        \
    "                     [--evaluations N] [--baseline] [--pgbench] [--db CONNINFO] [--json]\n"   \
    "                     [--server ENDPOINT] [--server-key KEY] [--insecure]\n"

#define MAX_QUESTIONS 200

/* ------------------------------------------------------------ measurements */

/* Latencies in microseconds, growable. */
typedef struct {
    int64_t *v;
    size_t n, cap;
} lat_list;

static void s_lat_add(lat_list *l, int64_t us)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 4096;
        int64_t *v = realloc(l->v, cap * sizeof *v);
        if (!v) return;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = us;
}

static void s_lat_merge(lat_list *into, const lat_list *from)
{
    for (size_t i = 0; i < from->n; i++)
        s_lat_add(into, from->v[i]);
}

static int s_cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* One side's result: what was done, how long each took. */
typedef struct {
    const char *name; /* "kompassd", "baseline" */
    int64_t ops, errors, conflicts;
    double seconds;
    lat_list lat;
    double p50, p95, p99, max; /* ms, filled by s_result_finish */
    char first_error[512];
} result;

static double s_quantile(const lat_list *l, double q)
{
    if (l->n == 0) return 0;
    size_t i = (size_t)(q * (double)(l->n - 1) + 0.5);
    return (double)l->v[i] / 1000.0;
}

static void s_result_finish(result *r)
{
    if (r->lat.n) qsort(r->lat.v, r->lat.n, sizeof *r->lat.v, s_cmp_i64);
    r->p50 = s_quantile(&r->lat, 0.50);
    r->p95 = s_quantile(&r->lat, 0.95);
    r->p99 = s_quantile(&r->lat, 0.99);
    r->max = r->lat.n ? (double)r->lat.v[r->lat.n - 1] / 1000.0 : 0;
}

static double s_rate(const result *r)
{
    return r->seconds > 0 ? (double)r->ops / r->seconds : 0;
}

/* ------------------------------------------------------------ the run */

typedef struct {
    char code[16];
    int64_t max_centi;
} question;

typedef struct bench bench;

/* One client thread's state. */
typedef struct {
    bench *b;
    int index;
    int64_t eval_id;
    const char *login;
    result res;
    int64_t versions[MAX_QUESTIONS]; /* my score's version per question (write) */
} client;

struct bench {
    const char *scenario;
    int clients, evaluations, json, baseline, pgbench;
    double duration;
    const char *db;
    kp_settings settings;
    const char *admin_password;
    char prefix[16];   /* this run's users, municipalities, labels start with it */
    char password[40]; /* every bench user's password */
    kp_conn *admin;    /* admin's connection, logged in */
    kp_arena *arena;   /* the main thread's */
    char admin_token[128];
    long server_pid;    /* 0: not on this machine */
    int64_t *eval_ids;  /* evaluations[] */
    char (*logins)[40]; /* clients[] */
    char (*tokens)[80]; /* clients[]: their sessions, once logged in */
    char lead[40];      /* the lead of every evaluation (writes nothing) */
    question questions[MAX_QUESTIONS];
    int n_questions;
    pthread_barrier_t ready; /* clients ready (logged in), then all start together */
    int64_t start_us, deadline_us;
    atomic_int failed_setup;
    result kompassd, base, pgb;
    kb_pgbench_result pg; /* pgbench's own figures, turned into pgb at the end */
    /* flood: the victim alone (kompassd: under the flood), and the flooder */
    result quiet, flooder;
    int64_t flood_busy; /* flooder's requests answered "too many of your requests" */
    char flood_token[80], victim_token[80];
    atomic_int phase; /* 0 quiet, 1 flood, 2 over */
    /* watch */
    int64_t updates_expected, updates_received, updates_early;
    /* idle */
    double rss_mb, rss_max_mb;
    int64_t held;
};

static int s_failf(bench *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int s_failf(bench *b, const char *fmt, ...)
{
    (void)b;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "kompass-bench: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    return -1;
}

static kp_request *s_req(kp_arena *a)
{
    kp_request *r = kp_arena_alloc(a, sizeof *r);
    kompass__v1__request__init(r);
    return r;
}

/* Sends req; KP_OK with *resp, or the status (transport or the server's)
 * with a sentence in err. */
static int s_call(kp_conn *c, kp_arena *a, kp_request *req, kp_response **resp, char *err,
                  size_t errlen)
{
    kp_response *r = NULL;
    int rc = kp_conn_call(c, a, req, &r, err, errlen);
    if (rc != KP_OK) return rc;
    if (resp) *resp = r;
    if (r->status != KOMPASS__V1__STATUS__OK) {
        snprintf(err, errlen, "%s: %s", kp_status_name((int)r->status), r->error);
        return (int)r->status;
    }
    return KP_OK;
}

/* A connection like the CLI's, with token (may be ""). */
static kp_conn *s_connect(bench *b, const char *token, char *err, size_t errlen)
{
    kp_conn *c = kp_conn_new(&b->settings, err, errlen);
    if (c) kp_conn_set_token(c, token);
    return c;
}

/* Logs login in over c; the token into out. */
static int s_login(kp_conn *c, kp_arena *a, const char *login, const char *password, char *out,
                   size_t outlen, char *err, size_t errlen)
{
    kp_request *req = s_req(a);
    Kompass__V1__LoginRequest *in = kp_arena_alloc(a, sizeof *in);
    kompass__v1__login_request__init(in);
    in->login = (char *)login;
    in->password = (char *)password;
    req->body_case = KOMPASS__V1__REQUEST__BODY_LOGIN;
    req->login = in;
    kp_response *resp;
    int rc = s_call(c, a, req, &resp, err, errlen);
    if (rc == KP_OK) kp_strlcpy(out, resp->login->session_token, outlen);
    return rc;
}

/* An admin call that must succeed during setup. */
static int s_admin(bench *b, kp_request *req, kp_response **resp, const char *doing)
{
    char err[1024];
    int rc = s_call(b->admin, b->arena, req, resp, err, sizeof err);
    if (rc != KP_OK) return s_failf(b, "setup: %s: %s", doing, err);
    return 0;
}

static int s_user_add(bench *b, const char *login)
{
    kp_request *req = s_req(b->arena);
    Kompass__V1__UserAddRequest *in = kp_arena_alloc(b->arena, sizeof *in);
    kompass__v1__user_add_request__init(in);
    in->login = (char *)login;
    in->full_name = kp_arena_printf(b->arena, "Bench user %s", login);
    in->organisation = "Kompass bench";
    in->role = KOMPASS__V1__ROLE__ROLE_EVALUATOR;
    in->password = b->password;
    req->body_case = KOMPASS__V1__REQUEST__BODY_USER_ADD;
    req->user_add = in;
    return s_admin(b, req, NULL, kp_arena_printf(b->arena, "adding user %s", login));
}

static int s_assign(bench *b, int64_t eval_id, const char *login, const char *role)
{
    kp_request *req = s_req(b->arena);
    Kompass__V1__EvalAssignRequest *in = kp_arena_alloc(b->arena, sizeof *in);
    kompass__v1__eval_assign_request__init(in);
    in->evaluation_id = eval_id;
    in->login = (char *)login;
    in->role = (char *)role;
    req->body_case = KOMPASS__V1__REQUEST__BODY_EVAL_ASSIGN;
    req->eval_assign = in;
    return s_admin(b, req, NULL, kp_arena_printf(b->arena, "assigning %s", login));
}

/* ScoreSet of the given questions (all when n < 0) for login, as admin. */
static int s_fill_scores(bench *b, int64_t eval_id, const char *login)
{
    kp_request *req = s_req(b->arena);
    Kompass__V1__ScoreSetRequest *in = kp_arena_alloc(b->arena, sizeof *in);
    kompass__v1__score_set_request__init(in);
    in->evaluation_id = eval_id;
    in->on_behalf_of = (char *)login;
    in->n_writes = (size_t)b->n_questions;
    in->writes = kp_arena_alloc(b->arena, sizeof(void *) * in->n_writes);
    for (int i = 0; i < b->n_questions; i++) {
        Kompass__V1__ScoreWrite *w = kp_arena_alloc(b->arena, sizeof *w);
        kompass__v1__score_write__init(w);
        w->question = b->questions[i].code;
        w->points_centi = b->questions[i].max_centi / 2;
        w->rationale = "Benchmark: a rationale of a typical length, a sentence or two about the "
                       "evidence seen in interviews and documents.";
        in->writes[i] = w;
    }
    req->body_case = KOMPASS__V1__REQUEST__BODY_SCORE_SET;
    req->score_set = in;
    return s_admin(b, req, NULL, kp_arena_printf(b->arena, "filling the scores of %s", login));
}

/* Users, municipalities, evaluations, teams; every evaluation in scoring.
 * Client i is a peer of evaluation i % evaluations; one lead leads all. */
static int s_setup(bench *b)
{
    char err[1024];
    unsigned char raw[4];
    char hex[9];
    FILE *f = fopen("/dev/urandom", "rb");
    if (!f || fread(raw, 1, sizeof raw, f) != sizeof raw) {
        if (f) fclose(f);
        return s_failf(b, "cannot read /dev/urandom");
    }
    fclose(f);
    kp_hex(raw, sizeof raw, hex);
    snprintf(b->prefix, sizeof b->prefix, "b%s", hex);
    snprintf(b->password, sizeof b->password, "bench-%s-password", hex);

    b->admin = s_connect(b, "", err, sizeof err);
    if (!b->admin) return s_failf(b, "%s", err);
    if (s_login(b->admin, b->arena, "admin", b->admin_password, b->admin_token,
                sizeof b->admin_token, err, sizeof err) != KP_OK)
        return s_failf(b, "cannot log in as admin (KOMPASS_ADMIN_PASSWORD): %s", err);
    kp_conn_set_token(b->admin, b->admin_token);

    /* Whether kompassd runs here. */
    kp_request *req = s_req(b->arena);
    Kompass__V1__PingRequest *ping = kp_arena_alloc(b->arena, sizeof *ping);
    kompass__v1__ping_request__init(ping);
    req->body_case = KOMPASS__V1__REQUEST__BODY_PING;
    req->ping = ping;
    kp_response *resp;
    if (s_admin(b, req, &resp, "ping") != 0) return -1;
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    const char *inst = resp->ping->instance;
    const char *sep = strrchr(inst, ':');
    if (sep && (size_t)(sep - inst) == strlen(host) && strncmp(inst, host, strlen(host)) == 0)
        b->server_pid = atol(sep + 1);

    {
        /* The framework's questions. */
        req = s_req(b->arena);
        Kompass__V1__FrameworkShowRequest *fs = kp_arena_alloc(b->arena, sizeof *fs);
        kompass__v1__framework_show_request__init(fs);
        fs->code = "KK2015";
        req->body_case = KOMPASS__V1__REQUEST__BODY_FRAMEWORK_SHOW;
        req->framework_show = fs;
        if (s_admin(b, req, &resp, "reading framework KK2015") != 0) return -1;
        const Kompass__V1__FrameworkShowResponse *fw = resp->framework_show;
        for (size_t a = 0; a < fw->n_areas; a++)
            for (size_t q = 0; q < fw->areas[a]->n_questions && b->n_questions < MAX_QUESTIONS;
                 q++) {
                question *qq = &b->questions[b->n_questions++];
                kp_strlcpy(qq->code, fw->areas[a]->questions[q]->code, sizeof qq->code);
                qq->max_centi = fw->areas[a]->questions[q]->max_centi;
            }
        if (b->n_questions == 0) return s_failf(b, "framework KK2015 has no questions");
    }

    snprintf(b->lead, sizeof b->lead, "%slead", b->prefix);
    b->logins = calloc((size_t)b->clients, sizeof *b->logins);
    b->tokens = calloc((size_t)b->clients, sizeof *b->tokens);
    for (int i = 0; i < b->clients; i++)
        snprintf(b->logins[i], sizeof b->logins[i], "%su%d", b->prefix, i);
    b->eval_ids = calloc((size_t)(b->evaluations ? b->evaluations : 1), sizeof *b->eval_ids);
    if (b->evaluations == 0) return 0;

    if (s_user_add(b, b->lead) != 0) return -1;
    /* Only the clients that write need accounts of their own. */
    int writers = strcmp(b->scenario, "write") == 0   ? b->clients
                  : strcmp(b->scenario, "watch") == 0 ? 1
                                                      : b->evaluations;
    for (int i = 0; i < writers && i < b->clients; i++)
        if (s_user_add(b, b->logins[i]) != 0) return -1;
    for (int e = 0; e < b->evaluations; e++) {
        kp_arena_reset(b->arena);
        char *name = kp_arena_printf(b->arena, "Bench %s %d", b->prefix, e);
        req = s_req(b->arena);
        Kompass__V1__MunicipalityAddRequest *ma = kp_arena_alloc(b->arena, sizeof *ma);
        kompass__v1__municipality_add_request__init(ma);
        ma->name = name;
        ma->county = "Benchmarks län";
        req->body_case = KOMPASS__V1__REQUEST__BODY_MUNICIPALITY_ADD;
        req->municipality_add = ma;
        if (s_admin(b, req, NULL, "adding a municipality") != 0) return -1;
        req = s_req(b->arena);
        Kompass__V1__EvalCreateRequest *ec = kp_arena_alloc(b->arena, sizeof *ec);
        kompass__v1__eval_create_request__init(ec);
        ec->municipality = name;
        ec->framework = "KK2015";
        ec->label = b->prefix;
        ec->period = "2026-01";
        req->body_case = KOMPASS__V1__REQUEST__BODY_EVAL_CREATE;
        req->eval_create = ec;
        if (s_admin(b, req, &resp, "creating an evaluation") != 0) return -1;
        b->eval_ids[e] = resp->eval_create->evaluation->id;
        if (s_assign(b, b->eval_ids[e], b->lead, "lead") != 0) return -1;
        for (int i = e; i < writers && i < b->clients; i += b->evaluations)
            if (s_assign(b, b->eval_ids[e], b->logins[i], "peer") != 0) return -1;
        req = s_req(b->arena);
        Kompass__V1__EvalStartRequest *es = kp_arena_alloc(b->arena, sizeof *es);
        kompass__v1__eval_start_request__init(es);
        es->evaluation_id = b->eval_ids[e];
        req->body_case = KOMPASS__V1__REQUEST__BODY_EVAL_START;
        req->eval_start = es;
        if (s_admin(b, req, NULL, "starting scoring") != 0) return -1;
        if (strcmp(b->scenario, "read") == 0) {
            /* A full evaluation: every evaluator scored every question. */
            if (s_fill_scores(b, b->eval_ids[e], b->lead) != 0) return -1;
            for (int i = e; i < writers && i < b->clients; i += b->evaluations)
                if (s_fill_scores(b, b->eval_ids[e], b->logins[i]) != 0) return -1;
        }
    }
    kp_arena_reset(b->arena);
    return 0;
}

/* ------------------------------------------------------------ write */

/* The client's own scores' versions (ScoreList: blind, so only its own). */
static int s_read_versions(client *c, kp_conn *conn, kp_arena *a, char *err, size_t errlen)
{
    kp_request *req = s_req(a);
    Kompass__V1__ScoreListRequest *in = kp_arena_alloc(a, sizeof *in);
    kompass__v1__score_list_request__init(in);
    in->evaluation_id = c->eval_id;
    req->body_case = KOMPASS__V1__REQUEST__BODY_SCORE_LIST;
    req->score_list = in;
    kp_response *resp;
    int rc = s_call(conn, a, req, &resp, err, errlen);
    if (rc != KP_OK) return rc;
    const Kompass__V1__ScoreListResponse *out = resp->score_list;
    for (size_t i = 0; i < out->n_questions; i++)
        for (size_t k = 0; k < out->questions[i]->n_scores; k++)
            if (strcmp(out->questions[i]->scores[k]->evaluator, c->login) == 0)
                for (int q = 0; q < c->b->n_questions; q++)
                    if (strcmp(c->b->questions[q].code, out->questions[i]->question) == 0)
                        c->versions[q] = out->questions[i]->scores[k]->version;
    return KP_OK;
}

static void s_note_error(result *r, const char *err)
{
    if (!r->first_error[0]) kp_strlcpy(r->first_error, err, sizeof r->first_error);
}

/* Waits for every client, then sets the common start and deadline. */
static void s_start_together(bench *b)
{
    if (pthread_barrier_wait(&b->ready) == PTHREAD_BARRIER_SERIAL_THREAD) {
        b->start_us = kp_mono_us();
        b->deadline_us = b->start_us + (int64_t)(b->duration * 1e6);
    }
    pthread_barrier_wait(&b->ready);
}

static void *s_write_client(void *arg)
{
    client *c = arg;
    bench *b = c->b;
    char err[1024];
    char *token = b->tokens[c->index];
    kp_arena *a = kp_arena_new();
    kp_conn *conn = s_connect(b, "", err, sizeof err);
    int ok = conn && (token[0] || s_login(conn, a, c->login, b->password, token,
                                          sizeof b->tokens[0], err, sizeof err) == KP_OK);
    if (ok) {
        kp_conn_set_token(conn, token);
        ok = s_read_versions(c, conn, a, err, sizeof err) == KP_OK;
    }
    if (!ok) {
        s_failf(b, "client %s: %s", c->login, err);
        atomic_store(&b->failed_setup, 1);
    }
    unsigned seed = (unsigned)c->index * 2654435761u;
    int q = c->index % b->n_questions;
    s_start_together(b);
    while (ok && !atomic_load(&b->failed_setup) && kp_mono_us() < b->deadline_us) {
        kp_arena_reset(a);
        q = (q + 1) % b->n_questions;
        kp_request *req = s_req(a);
        Kompass__V1__ScoreSetRequest *in = kp_arena_alloc(a, sizeof *in);
        kompass__v1__score_set_request__init(in);
        Kompass__V1__ScoreWrite *w = kp_arena_alloc(a, sizeof *w);
        kompass__v1__score_write__init(w);
        w->question = b->questions[q].code;
        w->points_centi = (int64_t)(rand_r(&seed) % (unsigned)(b->questions[q].max_centi + 1));
        w->rationale = "Benchmark write.";
        w->expected_version = c->versions[q];
        in->evaluation_id = c->eval_id;
        in->n_writes = 1;
        in->writes = &w;
        req->body_case = KOMPASS__V1__REQUEST__BODY_SCORE_SET;
        req->score_set = in;
        kp_response *resp = NULL;
        int64_t t0 = kp_mono_us();
        int rc = s_call(conn, a, req, &resp, err, sizeof err);
        int64_t t1 = kp_mono_us();
        if (rc == KP_OK) {
            c->versions[q] = resp->score_set->version;
            c->res.ops++;
            s_lat_add(&c->res.lat, t1 - t0);
        } else if (rc == KP_CONFLICT && resp && resp->score_set && resp->score_set->n_scores) {
            c->versions[q] = resp->score_set->scores[0]->version;
            c->res.conflicts++;
        } else {
            c->res.errors++;
            s_note_error(&c->res, err);
        }
    }
    kp_conn_destroy(&conn);
    kp_arena_destroy(&a);
    return NULL;
}

/* ------------------------------------------------------------ baseline */

/* Every statement kompassd runs for a ScoreSet of one score, in the same
 * order and the same transactions, with the same named statements: the
 * session check (server/session.c; its use recorded at most every minute,
 * as with the default --session-idle), the caller's relation to the
 * evaluation (server/authz.c), the look for an earlier answer
 * (server/replay.c), then one transaction of the handler's statements
 * (server/rpc_score.c, evaluation.c, audit.c: the version check, the score,
 * the version bump, the audit event with its hash, whose trigger sends the
 * notification) and the answer recorded for retries. KP_OK, KP_CONFLICT for
 * a stale version, or the database's status. */
static int s_baseline_write(kp_db *db, kp_arena *a, int64_t eval_id, const char *login, int64_t uid,
                            const char *token_hash, const question *q, int64_t points,
                            int64_t *version)
{
    PGresult *res = NULL;
    const char *eid = kp_db_param_i64(a, eval_id), *uids = kp_db_param_i64(a, uid);
    const char *check[2] = {token_hash, "60"};
    int rc = kp_db_call(db, "session_check", 2, check, &res);
    if (rc != KP_OK) return rc;
    int touch = PQntuples(res) == 1 && kp_db_bool(res, 0, 5);
    PQclear(res);
    if (touch) {
        const char *p0[2] = {token_hash, "43200"};
        if ((rc = kp_db_call(db, "session_touch", 2, p0, NULL)) != KP_OK) return rc;
    }
    const char *rel[2] = {eid, uids};
    if ((rc = kp_db_call(db, "eval_relation", 2, rel, NULL)) != KP_OK) return rc;
    char request_id[33];
    kp_random_id(request_id);
    const char *find[2] = {uids, request_id};
    if ((rc = kp_db_call(db, "replay_find", 2, find, NULL)) != KP_OK) return rc;
    rc = kp_db_begin(db);
    if (rc != KP_OK) return rc;
    const char *p1[1] = {eid};
    if ((rc = kp_db_call(db, "eval_get_for_update", 1, p1, &res)) != KP_OK) goto out;
    int64_t framework_id = kp_db_i64(res, 0, 5);
    PQclear(res);
    const char *p2[2] = {eid, login};
    if ((rc = kp_db_call(db, "member_role", 2, p2, NULL)) != KP_OK) goto out;
    const char *p3[2] = {eid, uids};
    if ((rc = kp_db_call(db, "score_submitted", 2, p3, NULL)) != KP_OK) goto out;
    const char *p4[2] = {kp_db_param_i64(a, framework_id), q->code};
    if ((rc = kp_db_call(db, "score_question", 2, p4, &res)) != KP_OK) goto out;
    const char *qid = kp_db_str(a, res, 0, 0);
    PQclear(res);
    const char *p5[3] = {eid, qid, uids};
    if ((rc = kp_db_call(db, "score_current", 3, p5, &res)) != KP_OK) goto out;
    int exists = PQntuples(res) > 0;
    int64_t current = exists ? kp_db_i64(res, 0, 2) : 0;
    int64_t old_points = exists ? kp_db_i64(res, 0, 0) : 0;
    const char *old_rationale = exists ? kp_db_str(a, res, 0, 1) : "";
    PQclear(res);
    if (current != *version) {
        *version = current;
        rc = KP_CONFLICT;
        goto out;
    }
    if ((rc = kp_db_call(db, "eval_bump", 1, p1, &res)) != KP_OK) goto out;
    int64_t ver = kp_db_i64(res, 0, 0);
    PQclear(res);
    const char *rationale = "Benchmark write.";
    const char *p6[7] = {
        eid, qid, uids, kp_db_param_i64(a, points), rationale, kp_db_param_i64(a, ver), uids};
    if ((rc = kp_db_call(db, "score_put", 7, p6, NULL)) != KP_OK) goto out;

    /* The audit event, as kp_audit_append makes it. */
    char pa[24], pb[24];
    snprintf(pa, sizeof pa, "%lld.%02lld", (long long)(points / 100), (long long)(points % 100));
    snprintf(pb, sizeof pb, "%lld.%02lld", (long long)(old_points / 100),
             (long long)(old_points % 100));
    json_t *after = json_pack("{s:s,s:{s:{s:s,s:s}}}", "evaluator", login, "scores", q->code,
                              "points", pa, "rationale", rationale);
    json_t *before = exists ? json_pack("{s:s,s:{s:{s:s,s:s}}}", "evaluator", login, "scores",
                                        q->code, "points", pb, "rationale", old_rationale)
                            : NULL;
    char *after_text = json_dumps(after, JSON_COMPACT | JSON_SORT_KEYS);
    char *before_text = before ? json_dumps(before, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(after);
    json_decref(before);
    kp_audit_record rec = {0};
    rec.evaluation_id = eval_id;
    rec.actor_id = uid;
    rec.actor = login;
    rec.real_actor = rec.client_addr = rec.client_key = rec.reason = "";
    rec.action = "score.set";
    rec.target = kp_arena_printf(a, "score %s of evaluator %s", q->code, login);
    rec.before = before_text ? kp_arena_strdup(a, before_text) : "";
    rec.after = kp_arena_strdup(a, after_text ? after_text : "");
    free(after_text);
    free(before_text);
    rec.eval_version = ver;
    if ((rc = kp_db_call(db, "audit_lock", 1, p1, NULL)) != KP_OK) goto out;
    if ((rc = kp_db_call(db, "audit_head", 1, p1, &res)) != KP_OK) goto out;
    rec.seq = kp_db_i64(res, 0, 0) + 1;
    rec.prev_hash = kp_db_str(a, res, 0, 1);
    rec.at_us = kp_db_i64(res, 0, 2);
    PQclear(res);
    char hash[65];
    if (kp_audit_hash(&rec, hash) != 0) {
        rc = KP_INTERNAL;
        goto out;
    }
    const char *p7[17] = {eid,
                          kp_db_param_i64(a, rec.seq),
                          kp_db_param_i64(a, rec.at_us),
                          uids,
                          rec.actor,
                          "0",
                          rec.real_actor,
                          rec.client_addr,
                          rec.client_key,
                          rec.action,
                          rec.target,
                          rec.before,
                          rec.after,
                          rec.reason,
                          kp_db_param_i64(a, ver),
                          rec.prev_hash,
                          hash};
    /* Its trigger sends the notification (sql/006_editing.sql). */
    if ((rc = kp_db_call(db, "audit_insert", 17, p7, NULL)) != KP_OK) goto out;

    /* The answer, kept for a retry, as kompassd would send it. */
    Kompass__V1__Score score = KOMPASS__V1__SCORE__INIT;
    score.question = (char *)q->code;
    score.evaluator = score.written_by = (char *)login;
    score.points_centi = points;
    score.rationale = (char *)rationale;
    score.version = ver;
    score.written_at_us = kp_now_us();
    Kompass__V1__Score *scores[1] = {&score};
    Kompass__V1__ScoreSetResponse set = KOMPASS__V1__SCORE_SET_RESPONSE__INIT;
    set.version = ver;
    set.n_scores = 1;
    set.scores = scores;
    kp_response resp = KOMPASS__V1__RESPONSE__INIT;
    resp.request_id = request_id;
    resp.error = "";
    resp.body_case = KOMPASS__V1__RESPONSE__BODY_SCORE_SET;
    resp.score_set = &set;
    size_t len;
    unsigned char *bytes = kp_wire_encode_response(a, &resp, &len);
    char *hex = kp_arena_alloc(a, 2 * len + 3);
    hex[0] = '\\';
    hex[1] = 'x';
    kp_hex(bytes, len, hex + 2);
    const char *record[4] = {uids, request_id, "score_set", hex};
    if ((rc = kp_db_call(db, "replay_record", 4, record, NULL)) != KP_OK) goto out;
    rc = kp_db_commit(db);
    if (rc == KP_OK) *version = ver;
    return rc;
out:
    kp_db_rollback(db);
    return rc;
}

static void *s_baseline_client(void *arg)
{
    client *c = arg;
    bench *b = c->b;
    kp_arena *a = kp_arena_new();
    kp_db *db = kp_db_new(b->db);
    int64_t uid = 0;
    int ok = kp_db_ensure(db) == KP_OK;
    if (ok) {
        PGresult *res;
        const char *p[1] = {c->login};
        ok = kp_db_call(db, "user_find", 1, p, &res) == KP_OK && PQntuples(res) == 1;
        if (ok) {
            uid = kp_db_i64(res, 0, 0);
            PQclear(res);
        }
    }
    if (!ok) {
        s_failf(b, "baseline client %s: %s", c->login, kp_db_error(db));
        atomic_store(&b->failed_setup, 1);
    }
    /* The session kompassd's run logged in, as the server keeps it. */
    unsigned char h[crypto_hash_sha256_BYTES];
    const char *token = b->tokens[c->index];
    crypto_hash_sha256(h, (const unsigned char *)token, strlen(token));
    char token_hash[65];
    kp_hex(h, sizeof h, token_hash);
    unsigned seed = (unsigned)c->index * 2654435761u + 7u;
    int q = c->index % b->n_questions;
    s_start_together(b);
    while (ok && !atomic_load(&b->failed_setup) && kp_mono_us() < b->deadline_us) {
        kp_arena_reset(a);
        q = (q + 1) % b->n_questions;
        int64_t points = (int64_t)(rand_r(&seed) % (unsigned)(b->questions[q].max_centi + 1));
        int64_t t0 = kp_mono_us();
        int rc = s_baseline_write(db, a, c->eval_id, c->login, uid, token_hash, &b->questions[q],
                                  points, &c->versions[q]);
        int64_t t1 = kp_mono_us();
        if (rc == KP_OK) {
            c->res.ops++;
            s_lat_add(&c->res.lat, t1 - t0);
        } else if (rc == KP_CONFLICT) {
            c->res.conflicts++;
        } else {
            c->res.errors++;
            s_note_error(&c->res, kp_db_error(db));
        }
    }
    kp_db_destroy(&db);
    kp_arena_destroy(&a);
    return NULL;
}

/* ------------------------------------------------------------ read */

static void *s_read_client(void *arg)
{
    client *c = arg;
    bench *b = c->b;
    char err[1024];
    kp_arena *a = kp_arena_new();
    kp_conn *conn = s_connect(b, b->admin_token, err, sizeof err);
    if (!conn) {
        s_failf(b, "reader %d: %s", c->index, err);
        atomic_store(&b->failed_setup, 1);
    }
    s_start_together(b);
    while (conn && !atomic_load(&b->failed_setup) && kp_mono_us() < b->deadline_us) {
        kp_arena_reset(a);
        kp_request *req = s_req(a);
        Kompass__V1__EvalSnapshotRequest *in = kp_arena_alloc(a, sizeof *in);
        kompass__v1__eval_snapshot_request__init(in);
        in->evaluation_id = c->eval_id;
        req->body_case = KOMPASS__V1__REQUEST__BODY_EVAL_SNAPSHOT;
        req->eval_snapshot = in;
        kp_response *resp = NULL;
        int64_t t0 = kp_mono_us();
        int rc = s_call(conn, a, req, &resp, err, sizeof err);
        int64_t t1 = kp_mono_us();
        /* Full: the lead's and the peer's score on every question. */
        size_t want = (size_t)b->n_questions * 2;
        if (rc == KP_OK && resp->eval_snapshot->n_scores >= want) {
            c->res.ops++;
            s_lat_add(&c->res.lat, t1 - t0);
        } else {
            c->res.errors++;
            s_note_error(&c->res, rc == KP_OK ? "a snapshot without every score" : err);
        }
    }
    kp_conn_destroy(&conn);
    kp_arena_destroy(&a);
    return NULL;
}

/* ------------------------------------------------------------ threads */

/* Runs fn in b->clients threads on the evaluations; their results merged
 * into *into. 0, or -1 when a client could not set up. */
static int s_run_clients(bench *b, void *(*fn)(void *), result *into)
{
    int n = b->clients;
    client *cs = calloc((size_t)n, sizeof *cs);
    pthread_t *ts = calloc((size_t)n, sizeof *ts);
    pthread_barrier_init(&b->ready, NULL, (unsigned)n);
    for (int i = 0; i < n; i++) {
        cs[i].b = b;
        cs[i].index = i;
        cs[i].eval_id = b->eval_ids[i % b->evaluations];
        cs[i].login = b->logins[i];
    }
    /* A client's versions carry over from the kompassd run to the baseline. */
    static client *s_prev;
    static int s_prev_n;
    if (s_prev && s_prev_n == n)
        for (int i = 0; i < n; i++)
            memcpy(cs[i].versions, s_prev[i].versions, sizeof cs[i].versions);
    for (int i = 0; i < n; i++)
        pthread_create(&ts[i], NULL, fn, &cs[i]);
    for (int i = 0; i < n; i++)
        pthread_join(ts[i], NULL);
    int64_t end = kp_mono_us();
    into->seconds += (double)(end - b->start_us) / 1e6;
    for (int i = 0; i < n; i++) {
        into->ops += cs[i].res.ops;
        into->errors += cs[i].res.errors;
        into->conflicts += cs[i].res.conflicts;
        if (!into->first_error[0]) s_note_error(into, cs[i].res.first_error);
        s_lat_merge(&into->lat, &cs[i].res.lat);
        free(cs[i].res.lat.v);
    }
    pthread_barrier_destroy(&b->ready);
    free(s_prev);
    s_prev = cs;
    s_prev_n = n;
    free(ts);
    return atomic_load(&b->failed_setup) ? -1 : 0;
}

/* ------------------------------------------------------------ pgbench */

/* Where the pgbench scripts are: $KOMPASS_BENCH_SCRIPTS, else the source
 * tree this tool was built from. */
static const char *s_script(const char *name)
{
    static char path[4096];
    const char *dir = getenv("KOMPASS_BENCH_SCRIPTS");
    snprintf(path, sizeof path, "%s/pgbench-%s.sql", dir && *dir ? dir : KB_SCRIPTS_DIR, name);
    return path;
}

/* Makes what pgbench's script needs (write: its scratch tables). */
static int s_pgbench_prepare(bench *b)
{
    char err[1024];
    if (strcmp(b->scenario, "write") == 0 &&
        kb_pgbench_prepare(b->db, b->clients, b->n_questions, err, sizeof err) != 0)
        return s_failf(b, "%s", err);
    if (access(s_script(b->scenario), R_OK) != 0)
        return s_failf(b, "no pgbench script %s (set KOMPASS_BENCH_SCRIPTS)",
                       s_script(b->scenario));
    return 0;
}

/* One turn of pgbench, as long as one of kompassd's. */
static int s_pgbench_round(bench *b)
{
    char d1[64], d2[64];
    const char *defs[3] = {d1, d2, NULL};
    if (strcmp(b->scenario, "write") == 0) {
        snprintf(d1, sizeof d1, "questions=%d", b->n_questions);
        defs[1] = NULL;
    } else {
        /* the same evaluations as kompassd's readers: consecutive ids, or
         * the first alone */
        int n = b->evaluations;
        for (int i = 1; i < b->evaluations; i++)
            if (b->eval_ids[i] != b->eval_ids[0] + i) n = 1;
        snprintf(d1, sizeof d1, "first=%lld", (long long)b->eval_ids[0]);
        snprintf(d2, sizeof d2, "evaluations=%d", n);
    }
    if (kb_pgbench_run(b->db, s_script(b->scenario), b->clients, b->duration, defs, &b->pg) != 0)
        return s_failf(b, "pgbench: %s", b->pg.error);
    return 0;
}

/* pgbench's figures as a result like the others. */
static void s_pgbench_finish(bench *b)
{
    b->pgb.ops = b->pg.transactions;
    b->pgb.errors = b->pg.failed;
    b->pgb.seconds = b->pg.seconds;
    for (size_t i = 0; i < b->pg.n_lat; i++)
        s_lat_add(&b->pgb.lat, b->pg.lat_us[i]);
    free(b->pg.lat_us);
    b->pg.lat_us = NULL;
    if (b->pg.error[0]) s_note_error(&b->pgb, b->pg.error);
}

/* ------------------------------------------------------------ watch */

/* A DEALER to the server (its first endpoint), CURVE unless --insecure,
 * with ZMTP heartbeats as a long-lived client keeps. */
static void *s_dealer(bench *b, void *zctx, char *err, size_t errlen)
{
    void *d = zmq_socket(zctx, ZMQ_DEALER);
    if (!d) {
        snprintf(err, errlen, "%s (raise ulimit -n)", zmq_strerror(errno));
        return NULL;
    }
    int linger = 0, ivl = 5000, ttl = 30000, timeout = 15000;
    zmq_setsockopt(d, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(d, ZMQ_HEARTBEAT_IVL, &ivl, sizeof ivl);
    zmq_setsockopt(d, ZMQ_HEARTBEAT_TTL, &ttl, sizeof ttl);
    zmq_setsockopt(d, ZMQ_HEARTBEAT_TIMEOUT, &timeout, sizeof timeout);
    if (!b->settings.insecure &&
        kp_curve_client_apply(d, b->settings.server_key, err, errlen) != 0) {
        zmq_close(d);
        return NULL;
    }
    char first[300];
    kp_strlcpy(first, b->settings.server, sizeof first);
    char *comma = strchr(first, ',');
    if (comma) *comma = '\0';
    if (zmq_connect(d, kp_trim(first)) != 0) {
        snprintf(err, errlen, "cannot connect: %s", zmq_strerror(errno));
        zmq_close(d);
        return NULL;
    }
    return d;
}

/* Sends one Subscribe to eval_ids[i % n_evals] with token on each of socks,
 * then collects the replies (pushes meanwhile are dropped) until all came
 * or timeout_ms passed. The number that did not subscribe. */
static int s_subscribe_all(void **socks, int n, const int64_t *eval_ids, int n_evals,
                           const char *token, int timeout_ms)
{
    kp_arena *a = kp_arena_new();
    int *done = calloc((size_t)n, sizeof *done);
    zmq_pollitem_t *items = calloc((size_t)n, sizeof *items);
    int left = n;
    for (int i = 0; i < n; i++) {
        kp_arena_reset(a);
        kp_request *req = s_req(a);
        Kompass__V1__SubscribeRequest *in = kp_arena_alloc(a, sizeof *in);
        kompass__v1__subscribe_request__init(in);
        int64_t id = eval_ids[i % n_evals];
        in->n_evaluation_ids = 1;
        in->evaluation_ids = &id;
        req->body_case = KOMPASS__V1__REQUEST__BODY_SUBSCRIBE;
        req->subscribe = in;
        req->protocol_version = KP_PROTOCOL_VERSION;
        req->session_token = (char *)token;
        req->request_id = kp_arena_printf(a, "subscribe-%d", i);
        size_t len;
        void *frame = kp_wire_encode_request(a, req, &len);
        if (zmq_send(socks[i], frame, len, ZMQ_DONTWAIT) < 0) done[i] = -1;
        items[i] = (zmq_pollitem_t){socks[i], 0, ZMQ_POLLIN, 0};
    }
    int64_t deadline = kp_mono_ms() + timeout_ms;
    while (left > 0 && kp_mono_ms() < deadline) {
        if (zmq_poll(items, n, 100) <= 0) continue;
        for (int i = 0; i < n; i++) {
            if (!(items[i].revents & ZMQ_POLLIN)) continue;
            zmq_msg_t m;
            zmq_msg_init(&m);
            if (zmq_msg_recv(&m, socks[i], ZMQ_DONTWAIT) >= 0) {
                kp_arena_reset(a);
                kp_response *resp = NULL;
                const char *e = NULL;
                if (kp_wire_decode_response(a, zmq_msg_data(&m), zmq_msg_size(&m), &resp, &e) ==
                        KP_OK &&
                    resp->body_case == KOMPASS__V1__RESPONSE__BODY_SUBSCRIBE &&
                    resp->status == KOMPASS__V1__STATUS__OK && done[i] == 0) {
                    done[i] = 1;
                    left--;
                    items[i].events = 0;
                }
            }
            zmq_msg_close(&m);
        }
    }
    free(items);
    free(done);
    kp_arena_destroy(&a);
    return left;
}

/* Reads one frame from a subscribed DEALER: a pushed update's version, or
 * -1 (nothing waiting, or a reply). */
static int64_t s_recv_update(void *sock, kp_arena *a)
{
    zmq_msg_t m;
    zmq_msg_init(&m);
    int64_t version = -1;
    if (zmq_msg_recv(&m, sock, ZMQ_DONTWAIT) >= 0) {
        kp_response *resp = NULL;
        const char *e = NULL;
        if (kp_wire_decode_response(a, zmq_msg_data(&m), zmq_msg_size(&m), &resp, &e) == KP_OK &&
            resp->body_case == KOMPASS__V1__RESPONSE__BODY_UPDATE && resp->update->version > 0)
            version = resp->update->version;
        else if (zmq_msg_size(&m) > 0)
            version = -2; /* something else: read on */
        kp_arena_reset(a);
    }
    zmq_msg_close(&m);
    return version;
}

/* A context for many sockets: ZMQ_MAX_SOCKETS raised to n. */
static void *s_zctx(int sockets)
{
    void *zctx = zmq_ctx_new();
    zmq_ctx_set(zctx, ZMQ_MAX_SOCKETS, sockets + 64);
    zmq_ctx_set(zctx, ZMQ_IO_THREADS, 2);
    return zctx;
}

typedef struct {
    int64_t version, at_us;
} stamp;

typedef struct {
    bench *b;
    void **subs;
    int n;
    atomic_int stop;
    int *got_any; /* per subscriber: received something */
    stamp *recv;  /* every receipt: version, time */
    size_t n_recv, cap_recv;
} receiver;

static void *s_receiver_main(void *arg)
{
    receiver *rv = arg;
    kp_arena *a = kp_arena_new();
    zmq_pollitem_t *items = calloc((size_t)rv->n, sizeof *items);
    for (int i = 0; i < rv->n; i++)
        items[i] = (zmq_pollitem_t){rv->subs[i], 0, ZMQ_POLLIN, 0};
    while (!atomic_load(&rv->stop)) {
        int rc = zmq_poll(items, rv->n, 50);
        if (rc <= 0) continue;
        int64_t now = kp_mono_us();
        for (int i = 0; i < rv->n; i++) {
            if (!(items[i].revents & ZMQ_POLLIN)) continue;
            int64_t v;
            while ((v = s_recv_update(rv->subs[i], a)) != -1) {
                if (v < 0) continue;
                rv->got_any[i] = 1;
                if (rv->n_recv == rv->cap_recv) {
                    size_t cap = rv->cap_recv ? rv->cap_recv * 2 : 65536;
                    stamp *s = realloc(rv->recv, cap * sizeof *s);
                    if (!s) break;
                    rv->recv = s;
                    rv->cap_recv = cap;
                }
                rv->recv[rv->n_recv++] = (stamp){v, now};
            }
        }
    }
    free(items);
    kp_arena_destroy(&a);
    return NULL;
}

/* One ScoreSet by the writer; KP_OK with the new version in *version. */
static int s_write_one(bench *b, kp_conn *conn, kp_arena *a, int64_t eval_id, int q,
                       int64_t *versions, int64_t *version, char *err, size_t errlen)
{
    kp_request *req = s_req(a);
    Kompass__V1__ScoreSetRequest *in = kp_arena_alloc(a, sizeof *in);
    kompass__v1__score_set_request__init(in);
    Kompass__V1__ScoreWrite *w = kp_arena_alloc(a, sizeof *w);
    kompass__v1__score_write__init(w);
    w->question = b->questions[q].code;
    w->points_centi = (versions[q] % 2) ? 0 : b->questions[q].max_centi;
    w->rationale = "Benchmark write.";
    w->expected_version = versions[q];
    in->evaluation_id = eval_id;
    in->n_writes = 1;
    in->writes = &w;
    req->body_case = KOMPASS__V1__REQUEST__BODY_SCORE_SET;
    req->score_set = in;
    kp_response *resp = NULL;
    int rc = s_call(conn, a, req, &resp, err, errlen);
    if (rc == KP_OK) *version = versions[q] = resp->score_set->version;
    return rc;
}

static int s_watch(bench *b)
{
    char err[1024], token[128];
    int n = b->clients;
    void *zctx = s_zctx(n);
    receiver rv = {.b = b, .n = n};
    rv.subs = calloc((size_t)n, sizeof *rv.subs);
    rv.got_any = calloc((size_t)n, sizeof *rv.got_any);
    int rc = -1;
    kp_arena *a = kp_arena_new();
    stamp *sent = NULL;
    size_t n_sent = 0, cap_sent = 0;
    pthread_t thread;
    int started = 0;
    for (int i = 0; i < n; i++)
        if (!(rv.subs[i] = s_dealer(b, zctx, err, sizeof err))) {
            s_failf(b, "subscriber %d: %s", i, err);
            goto out;
        }
    kp_conn *conn = s_connect(b, "", err, sizeof err);
    if (!conn || s_login(conn, a, b->logins[0], b->password, token, sizeof token, err,
                         sizeof err) != KP_OK) {
        s_failf(b, "writer: %s", err);
        kp_conn_destroy(&conn);
        goto out;
    }
    kp_conn_set_token(conn, token);
    /* Every subscriber on its own connection, with the writer's session
     * (a team member's: it may see the evaluation). */
    int unsubscribed = s_subscribe_all(rv.subs, n, b->eval_ids, 1, token, 60000);
    if (unsubscribed) {
        s_failf(b, "%d subscribers could not subscribe within 60 s", unsubscribed);
        kp_conn_destroy(&conn);
        goto out;
    }
    pthread_create(&thread, NULL, s_receiver_main, &rv);
    started = 1;
    int64_t versions[MAX_QUESTIONS] = {0}, version;
    /* Until every subscription has arrived at the server (bounded). */
    int64_t give_up = kp_mono_ms() + 30000;
    for (int q = 0;; q = (q + 1) % b->n_questions) {
        kp_arena_reset(a);
        if (s_write_one(b, conn, a, b->eval_ids[0], q, versions, &version, err, sizeof err) !=
            KP_OK) {
            s_failf(b, "writer: %s", err);
            goto out_conn;
        }
        usleep(100000);
        int all = 1;
        for (int i = 0; i < n && all; i++)
            all = rv.got_any[i];
        if (all) break;
        if (kp_mono_ms() > give_up) {
            s_failf(b, "not every subscriber received an update within 30 s");
            goto out_conn;
        }
    }
    int64_t first = version + 1;
    b->start_us = kp_mono_us();
    b->deadline_us = b->start_us + (int64_t)(b->duration * 1e6);
    for (int q = 0; kp_mono_us() < b->deadline_us; q = (q + 1) % b->n_questions) {
        kp_arena_reset(a);
        int64_t t0 = kp_mono_us();
        int wrc = s_write_one(b, conn, a, b->eval_ids[0], q, versions, &version, err, sizeof err);
        int64_t t1 = kp_mono_us();
        if (wrc != KP_OK) {
            b->kompassd.errors++;
            s_note_error(&b->kompassd, err);
            continue;
        }
        if (n_sent == cap_sent) {
            cap_sent = cap_sent ? cap_sent * 2 : 4096;
            sent = realloc(sent, cap_sent * sizeof *sent);
        }
        sent[n_sent++] = (stamp){version, t1};
        (void)t0;
        /* One write at a time, at a steady pace: what a person typing does,
         * many times over; the figure is the fan-out, not the write rate. */
        usleep(10000);
    }
    int64_t seconds_us = kp_mono_us() - b->start_us;
    usleep(1000000); /* the last updates' way to the subscribers */
    atomic_store(&rv.stop, 1);
    pthread_join(thread, NULL);
    started = 0;
    /* Reply time per version (sent is in version order). */
    result *r = &b->kompassd;
    r->seconds = (double)seconds_us / 1e6;
    b->updates_expected = (int64_t)n_sent * n;
    for (size_t i = 0; i < rv.n_recv; i++) {
        if (rv.recv[i].version < first) continue;
        size_t lo = 0, hi = n_sent;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (sent[mid].version < rv.recv[i].version)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo == n_sent || sent[lo].version != rv.recv[i].version) continue;
        int64_t lat = rv.recv[i].at_us - sent[lo].at_us;
        if (lat < 0) {
            b->updates_early++; /* arrived before the writer had its reply */
            lat = 0;
        }
        s_lat_add(&r->lat, lat);
        b->updates_received++;
    }
    r->ops = b->updates_received;
    r->errors += b->updates_expected - b->updates_received;
    s_result_finish(r);
    rc = 0;
out_conn:
    kp_conn_destroy(&conn);
out:
    if (started) {
        atomic_store(&rv.stop, 1);
        pthread_join(thread, NULL);
    }
    for (int i = 0; i < n; i++)
        if (rv.subs[i]) zmq_close(rv.subs[i]);
    zmq_ctx_term(zctx);
    free(rv.subs);
    free(rv.got_any);
    free(rv.recv);
    free(sent);
    kp_arena_destroy(&a);
    return rc;
}

/* ------------------------------------------------------------ idle */

/* kompassd's resident memory in MB (VmRSS, or VmHWM for the peak); 0 when
 * unknown. */
static double s_rss_mb(long pid, const char *field)
{
    if (pid <= 0) return 0;
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%ld/status", pid);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    double mb = 0;
    size_t flen = strlen(field);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, field, flen) == 0 && line[flen] == ':') mb = atof(line + flen + 1) / 1024;
    fclose(f);
    return mb;
}

/* Sends a Ping with id on each of socks, then collects the replies until
 * all came or timeout_ms passed; each one's round trip into lat. The number
 * that did not answer. */
static int s_ping_all(void **socks, int n, int timeout_ms, lat_list *lat)
{
    kp_arena *a = kp_arena_new();
    int64_t *sent = calloc((size_t)n, sizeof *sent);
    int *done = calloc((size_t)n, sizeof *done);
    zmq_pollitem_t *items = calloc((size_t)n, sizeof *items);
    int left = n;
    for (int i = 0; i < n; i++) {
        kp_arena_reset(a);
        kp_request *req = s_req(a);
        Kompass__V1__PingRequest *p = kp_arena_alloc(a, sizeof *p);
        kompass__v1__ping_request__init(p);
        req->body_case = KOMPASS__V1__REQUEST__BODY_PING;
        req->ping = p;
        req->protocol_version = KP_PROTOCOL_VERSION;
        req->request_id = kp_arena_printf(a, "idle-%d", i);
        size_t len;
        void *frame = kp_wire_encode_request(a, req, &len);
        sent[i] = kp_mono_us();
        if (zmq_send(socks[i], frame, len, ZMQ_DONTWAIT) < 0) done[i] = -1;
        items[i] = (zmq_pollitem_t){socks[i], 0, ZMQ_POLLIN, 0};
    }
    int64_t deadline = kp_mono_ms() + timeout_ms;
    while (left > 0 && kp_mono_ms() < deadline) {
        if (zmq_poll(items, n, 100) <= 0) continue;
        for (int i = 0; i < n; i++) {
            if (!(items[i].revents & ZMQ_POLLIN)) continue;
            zmq_msg_t m;
            zmq_msg_init(&m);
            if (zmq_msg_recv(&m, socks[i], ZMQ_DONTWAIT) >= 0) {
                kp_arena_reset(a);
                kp_response *resp = NULL;
                const char *e = NULL;
                if (kp_wire_decode_response(a, zmq_msg_data(&m), zmq_msg_size(&m), &resp, &e) ==
                        KP_OK &&
                    resp->body_case == KOMPASS__V1__RESPONSE__BODY_PING &&
                    resp->status == KOMPASS__V1__STATUS__OK && done[i] == 0) {
                    done[i] = 1;
                    left--;
                    s_lat_add(lat, kp_mono_us() - sent[i]);
                    items[i].events = 0;
                }
            }
            zmq_msg_close(&m);
        }
    }
    free(items);
    free(done);
    free(sent);
    kp_arena_destroy(&a);
    return left;
}

/* Raises the open-file limit to what n clients need (as far as allowed). */
static void s_raise_nofile(int n)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
    rlim_t want = (rlim_t)n * 2 + 1024; /* per client: a connection and a socket mailbox */
    if (rl.rlim_max < want) {
        struct rlimit more = {want, want};
        if (setrlimit(RLIMIT_NOFILE, &more) == 0) return; /* root may raise the hard limit */
    }
    rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
    setrlimit(RLIMIT_NOFILE, &rl);
}

/* Clients per process: two descriptors each (a connection carrying requests
 * and updates, a socket mailbox) must fit under the usual hard limit of open files. */
#define IDLE_PER_PROCESS 2000
#define IDLE_WAVE        250

/* What a part reports to the parent, once ready and once done. */
typedef struct {
    int32_t missing; /* clients without an answer to their first ping */
} idle_ready;

typedef struct {
    int32_t held;      /* clients that answered their last ping */
    int32_t no_update; /* subscriptions that received no update */
    int64_t n_lat;     /* round trips of the last pings that follow */
} idle_done;

static int s_read_all(int fd, void *buf, size_t len)
{
    char *p = buf;
    while (len > 0) {
        ssize_t n = read(fd, p, len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int s_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* One process's share of the idle clients, first..first+n-1: connects
 * them, pings each, reports ready on out; when the parent writes a byte on
 * in (after the hold, and after it wrote one update to every evaluation),
 * checks that each subscription received it and each request socket still
 * answers, and reports that on out. Runs in a forked child. */
static int s_idle_part(bench *b, int first, int n, int in, int out)
{
    char err[1024];
    int rc = -1;
    void *zctx = s_zctx(n);
    void **dealers = calloc((size_t)n, sizeof *dealers);
    int *got = calloc((size_t)n, sizeof *got);
    zmq_pollitem_t *items = calloc((size_t)n, sizeof *items);
    int64_t *evals = calloc((size_t)n, sizeof *evals);
    kp_arena *a = kp_arena_new();
    lat_list lat = {0};
    idle_ready ready = {0};
    /* In waves, each answered before the next connects: clients arrive
     * over time, not all in one instant (a handshake storm measures
     * something else). */
    for (int i = 0; i < n; i++) {
        if (i > 0 && i % IDLE_WAVE == 0)
            ready.missing += s_ping_all(dealers + i - IDLE_WAVE, IDLE_WAVE, 60000, &lat);
        evals[i] = b->eval_ids[(first + i) % b->evaluations];
        if (!(dealers[i] = s_dealer(b, zctx, err, sizeof err))) {
            s_failf(b, "client %d: %s", first + i, err);
            goto out;
        }
    }
    int last = n % IDLE_WAVE ? n % IDLE_WAVE : IDLE_WAVE;
    ready.missing += s_ping_all(dealers + n - last, last, 60000, &lat);
    lat.n = 0;
    /* A live subscription on each one's connection (the admin's session:
     * one login for all, a session may serve many connections). */
    for (int i = 0; i < n; i += IDLE_WAVE) {
        int k = n - i < IDLE_WAVE ? n - i : IDLE_WAVE;
        ready.missing += s_subscribe_all(dealers + i, k, evals + i, k, b->admin_token, 60000);
    }
    if (s_write_all(out, &ready, sizeof ready) != 0) goto out;
    char go;
    if (s_read_all(in, &go, 1) != 0) goto out;
    for (int i = 0; i < n; i++)
        items[i] = (zmq_pollitem_t){dealers[i], 0, ZMQ_POLLIN, 0};
    int left = n;
    int64_t deadline = kp_mono_ms() + 30000;
    while (left > 0 && kp_mono_ms() < deadline) {
        if (zmq_poll(items, n, 100) <= 0) continue;
        for (int i = 0; i < n; i++)
            if ((items[i].revents & ZMQ_POLLIN) && s_recv_update(dealers[i], a) >= 0 && !got[i]) {
                got[i] = 1;
                left--;
                items[i].events = 0;
            }
    }
    int missing = s_ping_all(dealers, n, 60000, &lat);
    idle_done done = {.held = n - missing, .no_update = left, .n_lat = (int64_t)lat.n};
    if (s_write_all(out, &done, sizeof done) != 0 ||
        s_write_all(out, lat.v, lat.n * sizeof *lat.v) != 0)
        goto out;
    rc = 0;
out:
    for (int i = 0; i < n; i++)
        if (dealers[i]) zmq_close(dealers[i]);
    zmq_ctx_term(zctx);
    free(lat.v);
    free(items);
    free(got);
    free(dealers);
    free(evals);
    kp_arena_destroy(&a);
    return rc;
}

static int s_idle(bench *b)
{
    int n = b->clients, rc = -1;
    int parts = (n + IDLE_PER_PROCESS - 1) / IDLE_PER_PROCESS;
    s_raise_nofile(n < IDLE_PER_PROCESS ? n : IDLE_PER_PROCESS);
    pid_t *pids = calloc((size_t)parts, sizeof *pids);
    int *to = calloc((size_t)parts, sizeof *to), *from = calloc((size_t)parts, sizeof *from);
    result *r = &b->kompassd;
    int64_t t_setup = kp_mono_us();
    fflush(NULL);
    for (int p = 0; p < parts; p++) {
        int first = p * n / parts, count = (p + 1) * n / parts - first;
        int down[2], up[2];
        if (pipe(down) != 0 || pipe(up) != 0) {
            s_failf(b, "pipe: %s", strerror(errno));
            goto out;
        }
        pid_t pid = fork();
        if (pid < 0) {
            s_failf(b, "fork: %s", strerror(errno));
            goto out;
        }
        if (pid == 0) { /* the child: only its own sockets, never the parent's */
            close(down[1]);
            close(up[0]);
            _exit(s_idle_part(b, first, count, down[0], up[1]) == 0 ? 0 : 1);
        }
        close(down[0]);
        close(up[1]);
        pids[p] = pid;
        to[p] = down[1];
        from[p] = up[0];
    }
    /* Everyone connected and answered once: then the clients are held. */
    for (int p = 0; p < parts; p++) {
        idle_ready ready;
        if (s_read_all(from[p], &ready, sizeof ready) != 0) {
            s_failf(b, "a client process failed while connecting");
            goto out;
        }
        if (ready.missing)
            s_failf(b, "%d clients got no answer to their first ping", ready.missing);
        r->errors += ready.missing;
    }
    if (!b->json)
        fprintf(stderr, "kompass-bench: %d clients connected in %.1f s; holding them %.0f s\n", n,
                (double)(kp_mono_us() - t_setup) / 1e6, b->duration);
    b->start_us = kp_mono_us();
    b->deadline_us = b->start_us + (int64_t)(b->duration * 1e6);
    int samples = 0;
    double sum = 0;
    while (kp_mono_us() < b->deadline_us) {
        usleep(1000000);
        double mb = s_rss_mb(b->server_pid, "VmRSS");
        if (mb > 0) {
            sum += mb;
            samples++;
            if (mb > b->rss_max_mb) b->rss_max_mb = mb;
        }
    }
    b->rss_mb = samples ? sum / samples : 0;
    /* Still live: one update to every evaluation reaches each subscriber,
     * and each request socket still answers. */
    for (int e = 0; e < b->evaluations; e++) {
        kp_arena_reset(b->arena);
        kp_request *req = s_req(b->arena);
        Kompass__V1__ScoreSetRequest *in = kp_arena_alloc(b->arena, sizeof *in);
        kompass__v1__score_set_request__init(in);
        Kompass__V1__ScoreWrite *w = kp_arena_alloc(b->arena, sizeof *w);
        kompass__v1__score_write__init(w);
        w->question = b->questions[0].code;
        w->rationale = "Benchmark: still live?";
        in->evaluation_id = b->eval_ids[e];
        in->on_behalf_of = b->lead;
        in->n_writes = 1;
        in->writes = &w;
        req->body_case = KOMPASS__V1__REQUEST__BODY_SCORE_SET;
        req->score_set = in;
        if (s_admin(b, req, NULL, "writing to every watched evaluation") != 0) goto out;
    }
    for (int p = 0; p < parts; p++)
        if (s_write_all(to[p], "g", 1) != 0) {
            s_failf(b, "a client process is gone");
            goto out;
        }
    int64_t no_update = 0;
    for (int p = 0; p < parts; p++) {
        idle_done done;
        if (s_read_all(from[p], &done, sizeof done) != 0) {
            s_failf(b, "a client process failed while checking its clients");
            goto out;
        }
        b->held += done.held;
        no_update += done.no_update;
        for (int64_t i = 0; i < done.n_lat; i++) {
            int64_t us;
            if (s_read_all(from[p], &us, sizeof us) != 0) break;
            s_lat_add(&r->lat, us);
        }
    }
    if (no_update)
        s_failf(b, "%lld of %d subscriptions received no update", (long long)no_update, n);
    if (b->held < n)
        s_failf(b, "%lld of %d clients got no answer to their last ping", (long long)(n - b->held),
                n);
    r->errors += no_update + (n - b->held);
    r->ops = (int64_t)r->lat.n;
    r->seconds = (double)(kp_mono_us() - b->start_us) / 1e6;
    rc = 0;
out:
    for (int p = 0; p < parts; p++) {
        if (to[p]) close(to[p]);
        if (from[p]) close(from[p]);
        int status;
        if (pids[p] > 0 && waitpid(pids[p], &status, 0) == pids[p] &&
            !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
            rc = -1;
    }
    free(pids);
    free(to);
    free(from);
    return rc;
}

/* ------------------------------------------------------------ flood */

#define FLOOD_IN_FLIGHT 16
#define FLOOD_QUERY     "styrning"

/* A Search for FLOOD_QUERY in token's session, id, serialized into a. */
static void *s_search_frame(kp_arena *a, const char *token, const char *id, size_t *len)
{
    kp_request *req = s_req(a);
    Kompass__V1__SearchRequest *in = kp_arena_alloc(a, sizeof *in);
    kompass__v1__search_request__init(in);
    in->query = FLOOD_QUERY;
    req->body_case = KOMPASS__V1__REQUEST__BODY_SEARCH;
    req->search = in;
    req->session_token = (char *)token;
    req->request_id = (char *)id;
    req->protocol_version = KP_PROTOCOL_VERSION;
    return kp_wire_encode_request(a, req, len);
}

/* The other user: one search at a time, into quiet or kompassd by phase. */
static void *s_victim_main(void *arg)
{
    bench *b = arg;
    char err[1024];
    kp_arena *a = kp_arena_new();
    kp_conn *conn = s_connect(b, b->victim_token, err, sizeof err);
    while (conn && atomic_load(&b->phase) < 2) {
        kp_arena_reset(a);
        int phase = atomic_load(&b->phase);
        result *r = phase == 0 ? &b->quiet : &b->kompassd;
        kp_request *req = s_req(a);
        Kompass__V1__SearchRequest *in = kp_arena_alloc(a, sizeof *in);
        kompass__v1__search_request__init(in);
        in->query = FLOOD_QUERY;
        req->body_case = KOMPASS__V1__REQUEST__BODY_SEARCH;
        req->search = in;
        int64_t t0 = kp_mono_us();
        int rc = s_call(conn, a, req, NULL, err, sizeof err);
        int64_t t1 = kp_mono_us();
        if (atomic_load(&b->phase) != phase) continue; /* straddles the change: neither */
        if (rc == KP_OK) {
            r->ops++;
            s_lat_add(&r->lat, t1 - t0);
        } else {
            r->errors++;
            s_note_error(r, err);
        }
        usleep(2000); /* a person's client, not a second flood */
    }
    if (!conn) s_failf(b, "the measured user: %s", err);
    kp_conn_destroy(&conn);
    kp_arena_destroy(&a);
    return NULL;
}

/* The flooder: b->clients DEALERs in one session, FLOOD_IN_FLIGHT each,
 * until the phase is over. */
static int s_flooder(bench *b)
{
    char err[1024];
    int n = b->clients, rc = -1;
    void *zctx = s_zctx(n);
    void **socks = calloc((size_t)n, sizeof *socks);
    zmq_pollitem_t *items = calloc((size_t)n, sizeof *items);
    kp_arena *a = kp_arena_new();
    result *r = &b->flooder;
    int64_t seq = 0;
    for (int i = 0; i < n; i++) {
        void *d = socks[i] = zmq_socket(zctx, ZMQ_DEALER);
        int linger = 0;
        zmq_setsockopt(d, ZMQ_LINGER, &linger, sizeof linger);
        if (!b->settings.insecure &&
            kp_curve_client_apply(d, b->settings.server_key, err, sizeof err) != 0) {
            s_failf(b, "flood connection %d: %s", i, err);
            goto out;
        }
        if (zmq_connect(d, b->settings.server) != 0) {
            s_failf(b, "flood connection %d: %s", i, zmq_strerror(errno));
            goto out;
        }
        items[i] = (zmq_pollitem_t){d, 0, ZMQ_POLLIN, 0};
    }
    int64_t start = kp_mono_us();
    for (int i = 0; i < n; i++)
        for (int k = 0; k < FLOOD_IN_FLIGHT; k++) {
            kp_arena_reset(a);
            size_t len;
            char *id = kp_arena_printf(a, "f%lld", (long long)seq++);
            void *frame = s_search_frame(a, b->flood_token, id, &len);
            zmq_send(socks[i], frame, len, 0);
        }
    while (kp_mono_us() < b->deadline_us) {
        if (zmq_poll(items, n, 100) <= 0) continue;
        for (int i = 0; i < n; i++) {
            if (!(items[i].revents & ZMQ_POLLIN)) continue;
            zmq_msg_t m;
            zmq_msg_init(&m);
            while (zmq_msg_recv(&m, socks[i], ZMQ_DONTWAIT) >= 0) {
                kp_arena_reset(a);
                kp_response *resp = NULL;
                const char *e = NULL;
                if (kp_wire_decode_response(a, zmq_msg_data(&m), zmq_msg_size(&m), &resp, &e) !=
                    KP_OK) {
                    r->errors++;
                } else if (resp->status == KOMPASS__V1__STATUS__OK) {
                    r->ops++;
                } else {
                    r->errors++;
                    if (resp->status == KOMPASS__V1__STATUS__UNAVAILABLE &&
                        strstr(resp->error, "too many of your requests"))
                        b->flood_busy++;
                    else
                        s_note_error(r,
                                     kp_arena_printf(a, "%s: %s", kp_status_name((int)resp->status),
                                                     resp->error));
                }
                /* The next one at once: keep FLOOD_IN_FLIGHT in flight. */
                size_t len;
                char *id = kp_arena_printf(a, "f%lld", (long long)seq++);
                void *frame = s_search_frame(a, b->flood_token, id, &len);
                zmq_send(socks[i], frame, len, ZMQ_DONTWAIT);
            }
            zmq_msg_close(&m);
        }
    }
    r->seconds = (double)(kp_mono_us() - start) / 1e6;
    rc = 0;
out:
    for (int i = 0; i < n; i++)
        if (socks[i]) zmq_close(socks[i]);
    zmq_ctx_term(zctx);
    free(socks);
    free(items);
    kp_arena_destroy(&a);
    return rc;
}

static int s_flood(bench *b)
{
    char err[1024];
    char flood[48], victim[48];
    snprintf(flood, sizeof flood, "%sflood", b->prefix);
    snprintf(victim, sizeof victim, "%svictim", b->prefix);
    if (s_user_add(b, flood) != 0 || s_user_add(b, victim) != 0) return -1;
    kp_conn *c = s_connect(b, "", err, sizeof err);
    if (!c ||
        s_login(c, b->arena, flood, b->password, b->flood_token, sizeof b->flood_token, err,
                sizeof err) != KP_OK ||
        s_login(c, b->arena, victim, b->password, b->victim_token, sizeof b->victim_token, err,
                sizeof err) != KP_OK) {
        kp_conn_destroy(&c);
        return s_failf(b, "logging in the flooder and the measured user: %s", err);
    }
    /* The flooder's session used once, as any client's would be. */
    kp_conn_set_token(c, b->flood_token);
    kp_request *req = s_req(b->arena);
    Kompass__V1__WhoAmIRequest *w = kp_arena_alloc(b->arena, sizeof *w);
    kompass__v1__who_am_irequest__init(w);
    req->body_case = KOMPASS__V1__REQUEST__BODY_WHO_AM_I;
    req->who_am_i = w;
    int rc = s_call(c, b->arena, req, NULL, err, sizeof err);
    kp_conn_destroy(&c);
    if (rc != KP_OK) return s_failf(b, "the flooder's session: %s", err);

    b->quiet.name = "quiet";
    b->flooder.name = "flooder";
    pthread_t victim_thread;
    pthread_create(&victim_thread, NULL, s_victim_main, b);
    double half = b->duration / 2;
    b->start_us = kp_mono_us();
    usleep((useconds_t)(half * 1e6));
    b->quiet.seconds = (double)(kp_mono_us() - b->start_us) / 1e6;
    int64_t flood_start = kp_mono_us();
    b->deadline_us = flood_start + (int64_t)(half * 1e6);
    atomic_store(&b->phase, 1);
    rc = s_flooder(b);
    b->kompassd.seconds = (double)(kp_mono_us() - flood_start) / 1e6;
    atomic_store(&b->phase, 2);
    pthread_join(victim_thread, NULL);
    s_result_finish(&b->quiet);
    s_result_finish(&b->flooder);
    return rc;
}

/* ------------------------------------------------------------ report */

static json_t *s_result_json(const result *r)
{
    json_t *o = json_pack("{s:I,s:f,s:f,s:f,s:f,s:f,s:f,s:I,s:I}", "ops", (json_int_t)r->ops,
                          "seconds", r->seconds, "per_second", s_rate(r), "p50_ms", r->p50,
                          "p95_ms", r->p95, "p99_ms", r->p99, "max_ms", r->max, "errors",
                          (json_int_t)r->errors, "conflicts", (json_int_t)r->conflicts);
    if (r->first_error[0]) json_object_set_new(o, "first_error", json_string(r->first_error));
    return o;
}

static void s_row(const char *name, const result *r)
{
    printf("%-10s %9lld %10.1f %9.2f %9.2f %9.2f %9.2f %7lld %9lld\n", name, (long long)r->ops,
           s_rate(r), r->p50, r->p95, r->p99, r->max, (long long)r->errors,
           (long long)r->conflicts);
}

/* flood: the other user's p95 may be at most this (ms). */
static double s_flood_target(const bench *b)
{
    double ten = 10 * b->quiet.p95;
    return ten > 250 ? ten : 250;
}

static void s_report(bench *b)
{
    int with_base = b->baseline && strcmp(b->scenario, "write") == 0;
    double ratio_tp =
        with_base && s_rate(&b->base) > 0 ? s_rate(&b->kompassd) / s_rate(&b->base) : 0;
    double ratio_p50 = with_base && b->base.p50 > 0 ? b->kompassd.p50 / b->base.p50 : 0;
    int with_pg = b->pgbench;
    double pg_tp = with_pg && s_rate(&b->pgb) > 0 ? s_rate(&b->kompassd) / s_rate(&b->pgb) : 0;
    double pg_p50 = with_pg && b->pgb.p50 > 0 ? b->kompassd.p50 / b->pgb.p50 : 0;
    if (b->json) {
        json_t *doc =
            json_pack("{s:s,s:i,s:f,s:i,s:s,s:o}", "scenario", b->scenario, "clients", b->clients,
                      "duration_s", b->duration, "evaluations", b->evaluations, "server",
                      b->settings.server, "kompass", s_result_json(&b->kompassd));
        json_object_set_new(doc, "baseline", with_base ? s_result_json(&b->base) : json_null());
        json_object_set_new(
            doc, "ratio",
            with_base ? json_pack("{s:f,s:f}", "throughput", ratio_tp, "p50_latency", ratio_p50)
                      : json_null());
        json_object_set_new(doc, "pgbench", with_pg ? s_result_json(&b->pgb) : json_null());
        json_object_set_new(doc, "ratio_pgbench",
                            with_pg
                                ? json_pack("{s:f,s:f}", "throughput", pg_tp, "p50_latency", pg_p50)
                                : json_null());
        if (strcmp(b->scenario, "watch") == 0)
            json_object_set_new(doc, "updates",
                                json_pack("{s:I,s:I,s:I}", "expected",
                                          (json_int_t)b->updates_expected, "received",
                                          (json_int_t)b->updates_received, "before_reply",
                                          (json_int_t)b->updates_early));
        if (strcmp(b->scenario, "flood") == 0) {
            double target = s_flood_target(b);
            json_object_set_new(doc, "quiet", s_result_json(&b->quiet));
            json_object_set_new(doc, "flooder", s_result_json(&b->flooder));
            json_object_set_new(doc, "flood",
                                json_pack("{s:i,s:i,s:I,s:f,s:b}", "connections", b->clients,
                                          "in_flight_each", FLOOD_IN_FLIGHT, "flooder_refused_busy",
                                          (json_int_t)b->flood_busy, "target_p95_ms", target, "met",
                                          b->kompassd.errors == 0 && b->quiet.errors == 0 &&
                                              b->kompassd.p95 <= target));
        }
        if (strcmp(b->scenario, "idle") == 0)
            json_object_set_new(doc, "idle",
                                json_pack("{s:I,s:f,s:f,s:b}", "held", (json_int_t)b->held,
                                          "rss_mb_mean", b->rss_mb, "rss_mb_max", b->rss_max_mb,
                                          "rss_measured", b->server_pid > 0));
        char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        printf("%s\n", text);
        free(text);
        json_decref(doc);
        return;
    }
    printf("%s: %d clients, %.0f s, %d evaluations, server %s\n", b->scenario, b->clients,
           b->duration, b->evaluations, b->settings.server);
    const char *unit = strcmp(b->scenario, "watch") == 0   ? "updates"
                       : strcmp(b->scenario, "idle") == 0  ? "pings"
                       : strcmp(b->scenario, "flood") == 0 ? "searches"
                                                           : "ops";
    printf("%-10s %9s %10s %9s %9s %9s %9s %7s %9s\n", "", unit, "per s", "p50 ms", "p95 ms",
           "p99 ms", "max ms", "errors", "conflicts");
    if (strcmp(b->scenario, "flood") == 0) {
        double target = s_flood_target(b);
        s_row("quiet", &b->quiet);
        s_row("flooded", &b->kompassd);
        s_row("flooder", &b->flooder);
        printf("flooder    %d connections x %d searches in flight, one session; %lld answered "
               "\"busy: too many of your requests in flight\"\n",
               b->clients, FLOOD_IN_FLIGHT, (long long)b->flood_busy);
        printf("target     the other user's p95 %.2f ms within max(10 x quiet p95, 250 ms) = "
               "%.2f ms, no errors: %s\n",
               b->kompassd.p95, target,
               b->kompassd.errors == 0 && b->quiet.errors == 0 && b->kompassd.p95 <= target
                   ? "met"
                   : "NOT met");
        if (b->quiet.first_error[0]) printf("first error (quiet): %s\n", b->quiet.first_error);
        if (b->kompassd.first_error[0])
            printf("first error (flooded): %s\n", b->kompassd.first_error);
        if (b->flooder.first_error[0])
            printf("first other error (flooder): %s\n", b->flooder.first_error);
        return;
    }
    s_row("kompassd", &b->kompassd);
    if (with_base) {
        s_row("baseline", &b->base);
        printf("ratio      throughput %.2f x the baseline's, p50 latency %.2f x\n", ratio_tp,
               ratio_p50);
    }
    if (with_pg) {
        s_row("pgbench", &b->pgb);
        printf("ratio      throughput %.2f x pgbench's, p50 latency %.2f x\n", pg_tp, pg_p50);
    }
    if (strcmp(b->scenario, "watch") == 0)
        printf("updates    %lld of %lld received (%lld before the writer's reply; counted as "
               "0 ms)\n",
               (long long)b->updates_received, (long long)b->updates_expected,
               (long long)b->updates_early);
    if (strcmp(b->scenario, "idle") == 0) {
        if (b->server_pid > 0)
            printf("idle       %lld of %d clients held; kompassd resident memory %.1f MB mean, "
                   "%.1f MB max\n",
                   (long long)b->held, b->clients, b->rss_mb, b->rss_max_mb);
        else
            printf("idle       %lld of %d clients held; kompassd runs elsewhere: its memory was "
                   "not measured\n",
                   (long long)b->held, b->clients);
    }
    if (b->kompassd.first_error[0]) printf("first error (kompassd): %s\n", b->kompassd.first_error);
    if (with_base && b->base.first_error[0])
        printf("first error (baseline): %s\n", b->base.first_error);
    if (with_pg && b->pgb.first_error[0]) printf("first error (pgbench): %s\n", b->pgb.first_error);
}

/* ------------------------------------------------------------ main */

static int s_int_arg(const char *name, const char *v, int min, int max, int *out)
{
    char *end;
    long n = v ? strtol(v, &end, 10) : 0;
    if (!v || *end || n < min || n > max) {
        fprintf(stderr, "kompass-bench: %s must be a number from %d to %d, not '%s'\n", name, min,
                max, v ? v : "");
        return -1;
    }
    *out = (int)n;
    return 0;
}

int main(int argc, char **argv)
{
    bench b = {0};
    kp_db_use_statements(kp_statement_sets); /* the baseline's own connections */
    b.clients = -1;
    b.evaluations = -1;
    b.duration = 10;
    char err[1024];
    if (kp_settings_load(&b.settings, err, sizeof err) != 0) {
        fprintf(stderr, "kompass-bench: %s\n", err);
        return 2;
    }
    b.settings.timeout = 30;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(USAGE, stdout);
            return 0;
        } else if (strcmp(a, "--clients") == 0) {
            if (s_int_arg(a, v, 1, 100000, &b.clients) != 0) return 2;
            i++;
        } else if (strcmp(a, "--evaluations") == 0) {
            if (s_int_arg(a, v, 1, 10000, &b.evaluations) != 0) return 2;
            i++;
        } else if (strcmp(a, "--duration") == 0) {
            char *end;
            b.duration = v ? strtod(v, &end) : 0;
            if (!v || *end || b.duration <= 0 || b.duration > 86400) {
                fprintf(stderr,
                        "kompass-bench: --duration must be seconds (0 to 86400), not "
                        "'%s'\n",
                        v ? v : "");
                return 2;
            }
            i++;
        } else if (strcmp(a, "--baseline") == 0) {
            b.baseline = 1;
        } else if (strcmp(a, "--pgbench") == 0) {
            b.pgbench = 1;
        } else if (strcmp(a, "--db") == 0 && v) {
            b.db = v;
            i++;
        } else if (strcmp(a, "--json") == 0) {
            b.json = 1;
        } else if (strncmp(a, "--", 2) == 0) {
            int used = kp_settings_option(&b.settings, a + 2, v, err, sizeof err);
            if (used < 0) {
                fprintf(stderr, "kompass-bench: %s\n%s", err, USAGE);
                return 2;
            }
            i += used;
        } else if (!b.scenario) {
            b.scenario = a;
        } else {
            fprintf(stderr, "kompass-bench: unexpected argument '%s'\n%s", a, USAGE);
            return 2;
        }
    }
    if (!b.scenario || (strcmp(b.scenario, "write") != 0 && strcmp(b.scenario, "read") != 0 &&
                        strcmp(b.scenario, "watch") != 0 && strcmp(b.scenario, "idle") != 0 &&
                        strcmp(b.scenario, "flood") != 0)) {
        fprintf(stderr, "kompass-bench: which scenario: write, read, watch, idle or flood?\n%s",
                USAGE);
        return 2;
    }
    if (b.baseline && (strcmp(b.scenario, "write") != 0 || !b.db)) {
        fprintf(stderr, "kompass-bench: --baseline is for write, and needs --db CONNINFO (the "
                        "database kompassd uses)\n");
        return 2;
    }
    if (b.pgbench &&
        ((strcmp(b.scenario, "write") != 0 && strcmp(b.scenario, "read") != 0) || !b.db)) {
        fprintf(stderr, "kompass-bench: --pgbench is for write and read, and needs --db CONNINFO "
                        "(the database kompassd uses)\n");
        return 2;
    }
    if (b.clients < 0)
        b.clients = strcmp(b.scenario, "idle") == 0    ? 1000
                    : strcmp(b.scenario, "flood") == 0 ? 64
                                                       : 16;
    if (b.evaluations < 0) b.evaluations = b.clients < 16 ? b.clients : 16;
    if (strcmp(b.scenario, "watch") == 0) b.evaluations = 1;
    if (b.evaluations > b.clients && strcmp(b.scenario, "watch") != 0) b.evaluations = b.clients;
    if (strcmp(b.scenario, "flood") == 0) b.evaluations = 0; /* searches need none */
    b.admin_password = getenv("KOMPASS_ADMIN_PASSWORD");
    if (!b.admin_password || !*b.admin_password) {
        fprintf(stderr, "kompass-bench: set KOMPASS_ADMIN_PASSWORD to admin's password: the "
                        "tool sets up its users and evaluations as admin\n");
        return 2;
    }
    b.kompassd.name = "kompassd";
    b.base.name = "baseline";
    b.pgb.name = "pgbench";
    b.arena = kp_arena_new();
    int rc = s_setup(&b);
    if (rc == 0 && b.pgbench) rc = s_pgbench_prepare(&b);
    if (rc == 0) {
        /* With a baseline or pgbench, the sides take turns (four rounds
         * each of a quarter of the duration): a machine whose load changes
         * during the run (shared by others) weighs on all alike. */
        int rounds = b.baseline || b.pgbench ? 4 : 1;
        double whole = b.duration;
        if (strcmp(b.scenario, "write") == 0) {
            b.duration = whole / rounds;
            for (int i = 0; rc == 0 && i < rounds; i++) {
                rc = s_run_clients(&b, s_write_client, &b.kompassd);
                if (rc == 0 && b.baseline) rc = s_run_clients(&b, s_baseline_client, &b.base);
                if (rc == 0 && b.pgbench) rc = s_pgbench_round(&b);
            }
            b.duration = whole;
        } else if (strcmp(b.scenario, "read") == 0) {
            b.duration = whole / rounds;
            for (int i = 0; rc == 0 && i < rounds; i++) {
                rc = s_run_clients(&b, s_read_client, &b.kompassd);
                if (rc == 0 && b.pgbench) rc = s_pgbench_round(&b);
            }
            b.duration = whole;
        } else if (strcmp(b.scenario, "watch") == 0) {
            rc = s_watch(&b);
        } else if (strcmp(b.scenario, "flood") == 0) {
            rc = s_flood(&b);
        } else {
            rc = s_idle(&b);
        }
    }
    s_result_finish(&b.kompassd);
    if (b.pgbench) {
        s_pgbench_finish(&b);
        kb_pgbench_cleanup(b.db);
    }
    s_result_finish(&b.base);
    s_result_finish(&b.pgb);
    if (rc == 0) s_report(&b);
    kp_conn_destroy(&b.admin);
    kp_arena_destroy(&b.arena);
    free(b.kompassd.lat.v);
    free(b.base.lat.v);
    free(b.pgb.lat.v);
    free(b.quiet.lat.v);
    free(b.eval_ids);
    free(b.logins);
    free(b.tokens);
    return rc == 0 ? (b.kompassd.errors || b.base.errors || b.pgb.errors || b.quiet.errors ? 1 : 0)
                   : 2;
}
