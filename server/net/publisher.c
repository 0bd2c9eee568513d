/*  publisher: the live-update thread (see publisher.h). */
#include "publisher.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "arena.h"
#include "db.h"
#include "log.h"
#include "snapcache.h"
#include "status.h"
#include "subscriptions.h"
#include "util.h"
#include "wire.h"

typedef struct {
    int64_t eval_id; /* 0: empty slot */
    int64_t last_seq;
} seen;

struct kp_publisher {
    void *zctx;
    void *pub; /* owned by the thread once it runs */
    char endpoint[256];
    char ctl[64];       /* inproc PAIR endpoint: "stop" */
    void *ctl_main;     /* the main thread's end */
    char reg_ep[64];    /* inproc ROUTER: workers register subscriptions */
    void *reg;          /* owned by the thread once it runs */
    char pushes_ep[64]; /* inproc PAIR to the broker: pushes out, "gone" back */
    void *pushes;       /* owned by the thread once it runs */
    kp_subs *subs;      /* the thread's */
    kp_stats *stats;    /* its subscriber gauge: connections subscribed (NULL: none) */
    char *conninfo;
    char instance[200];
    pthread_t thread;
    seen *table; /* open addressing, by evaluation */
    size_t cap, count;
    int64_t published;
    atomic_int listening; /* the thread LISTENs (kp_publisher_wait_listening) */
};

const kp_stmt kp_publisher_stmts[] = {
    {"publish_events",
     "SELECT seq, eval_version, (extract(epoch FROM at) * 1000000)::bigint, action"
     " FROM audit_events WHERE evaluation_id = $1 AND seq > $2 ORDER BY seq LIMIT 1000"},
    {"publish_lock_holder", "SELECT login, full_name FROM users WHERE id = $1"},
    {NULL, NULL},
};

static seen *s_slot(kp_publisher *self, int64_t eval_id, int create)
{
    if (create && (self->count + 1) * 2 > self->cap) {
        size_t ncap = self->cap ? self->cap * 2 : 256;
        seen *nt = calloc(ncap, sizeof *nt);
        for (size_t i = 0; i < self->cap; i++)
            if (self->table[i].eval_id) {
                size_t h = (size_t)self->table[i].eval_id * 11400714819323198485ull % ncap;
                while (nt[h].eval_id)
                    h = (h + 1) % ncap;
                nt[h] = self->table[i];
            }
        free(self->table);
        self->table = nt;
        self->cap = ncap;
    }
    if (!self->cap) return NULL;
    size_t h = (size_t)eval_id * 11400714819323198485ull % self->cap;
    while (self->table[h].eval_id && self->table[h].eval_id != eval_id)
        h = (h + 1) % self->cap;
    if (!self->table[h].eval_id) {
        if (!create) return NULL;
        self->table[h].eval_id = eval_id;
        self->count++;
    }
    return &self->table[h];
}

/* Publishes the events of eval_id after the last one published: pushes
 * them to the subscribers who may see them. Nobody subscribed to it: only
 * remembers where the chain is. */
static void s_publish_chain(kp_publisher *self, kp_db *db, kp_arena *arena, int64_t eval_id,
                            int64_t seq)
{
    seen *s = s_slot(self, eval_id, 1);
    if (!kp_subs_wants(self->subs, eval_id)) {
        if (seq > s->last_seq) s->last_seq = seq;
        return;
    }
    for (;;) {
        const char *p[2] = {kp_db_param_i64(arena, eval_id), kp_db_param_i64(arena, s->last_seq)};
        PGresult *res;
        if (kp_db_call(db, "publish_events", 2, p, &res) != KP_OK) return;
        int rows = PQntuples(res);
        Kompass__V1__Update **u = kp_arena_alloc(arena, sizeof *u * (size_t)(rows + 1));
        for (int i = 0; i < rows; i++) {
            u[i] = kp_arena_alloc(arena, sizeof *u[i]);
            kompass__v1__update__init(u[i]);
            u[i]->evaluation_id = eval_id;
            u[i]->version = kp_db_i64(res, i, 1);
            u[i]->at_us = kp_db_i64(res, i, 2);
            u[i]->action = kp_db_str(arena, res, i, 3);
            u[i]->instance = self->instance;
            s->last_seq = kp_db_i64(res, i, 0);
            self->published++;
        }
        PQclear(res);
        kp_subs_deliver(self->subs, db, arena, eval_id, u, (size_t)rows);
        kp_arena_reset(arena);
        if (rows < 1000) return;
    }
}

/* A section lock taken, renewed or released (trigger in
 * sql/012_lock_updates.sql): "lock:EVAL:AREA:SECTION:OP:HOLDER:EXPIRES_US:
 * ACQUIRED_US". */
static void s_publish_lock(kp_publisher *self, kp_db *db, kp_arena *arena, const char *note)
{
    long long eval_id, holder, expires, acquired;
    int area;
    char section[16], op[16];
    if (sscanf(note, "lock:%lld:%d:%15[a-z]:%15[a-z]:%lld:%lld:%lld", &eval_id, &area, section, op,
               &holder, &expires, &acquired) != 7 ||
        eval_id <= 0 || !kp_subs_wants(self->subs, eval_id))
        return;
    Kompass__V1__LockInfo *l = kp_arena_alloc(arena, sizeof *l);
    kompass__v1__lock_info__init(l);
    l->area = area;
    l->section = kp_arena_strdup(arena, section);
    l->holder = l->holder_name = "";
    l->expires_at_us = expires;
    l->acquired_at_us = acquired;
    const char *p[1] = {kp_db_param_i64(arena, holder)};
    PGresult *res;
    if (kp_db_call(db, "publish_lock_holder", 1, p, &res) != KP_OK) return;
    if (PQntuples(res) == 1) {
        l->holder = kp_db_str(arena, res, 0, 0);
        l->holder_name = kp_db_str(arena, res, 0, 1);
    }
    PQclear(res);
    Kompass__V1__Update *u = kp_arena_alloc(arena, sizeof *u);
    kompass__v1__update__init(u);
    u->evaluation_id = eval_id;
    u->at_us = kp_now_us();
    u->action = kp_arena_printf(arena, "lock.%s", op);
    u->instance = self->instance;
    u->lock = l;
    kp_subs_deliver(self->subs, db, arena, eval_id, &u, 1);
    kp_arena_reset(arena);
}

/* A notification's evaluation ("EVAL:SEQ" or "lock:EVAL:..."): its kept
 * snapshot is no longer true. */
static void s_invalidate(const char *note)
{
    long long eval_id = 0;
    if (strncmp(note, "lock:", 5) == 0) note += 5;
    if (sscanf(note, "%lld", &eval_id) == 1 && eval_id > 0) kp_snapcache_invalidate(eval_id);
}

/* Every notification libpq holds: first each one's kept snapshot dropped,
 * then their updates published (which runs queries, during which more may
 * arrive: taken in the next round). */
static void s_on_notes(kp_publisher *self, kp_db *db, kp_arena *arena)
{
    PGconn *conn = kp_db_conn(db);
    for (;;) {
        PGnotify *notes[256];
        int n_notes = 0;
        while (n_notes < 256 && (notes[n_notes] = PQnotifies(conn)))
            s_invalidate(notes[n_notes++]->extra);
        if (n_notes == 0) return;
        for (int k = 0; k < n_notes; k++) {
            PGnotify *note = notes[k];
            long long eval_id = 0, seq = 0;
            if (strncmp(note->extra, "lock:", 5) == 0) {
                s_publish_lock(self, db, arena, note->extra);
            } else if (sscanf(note->extra, "%lld:%lld", &eval_id, &seq) == 2 && eval_id > 0) {
                seen *s = s_slot(self, eval_id, 1);
                if (s->last_seq == 0) s->last_seq = seq - 1; /* first sight */
                s_publish_chain(self, db, arena, eval_id, seq);
            }
            PQfreemem(note);
        }
    }
}

static int s_listen(kp_db *db)
{
    PGresult *r = PQexec(kp_db_conn(db), "LISTEN kompass_updates");
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    return ok ? 0 : -1;
}

static void *s_run(void *arg)
{
    kp_publisher *self = arg;
    void *ctl = zmq_socket(self->zctx, ZMQ_PAIR);
    zmq_connect(ctl, self->ctl);
    kp_db *db = kp_db_new(self->conninfo);
    kp_arena *arena = kp_arena_new();
    self->subs = kp_subs_new(self->pushes, self->instance);
    int listening = 0;
    int64_t next_check = kp_mono_ms() + 1000;
    uint64_t listened_on = 0; /* the connection that LISTENs (kp_db_connects) */
    for (;;) {
        if (listening && (!kp_db_connected(db) || kp_db_connects(db) != listened_on)) {
            /* a query found it broken, or reconnected: not LISTENing now */
            listening = 0;
            atomic_store(&self->listening, 0);
            kp_snapcache_listening(0);
        }
        if (!listening && kp_db_ensure(db) == KP_OK) {
            if (s_listen(db) == 0) {
                listening = 1;
                atomic_store(&self->listening, 1);
                listened_on = kp_db_connects(db);
                kp_snapcache_listening(1); /* from now on no change goes unnoticed */
                /* Catch up on what happened while we were away. */
                for (size_t i = 0; i < self->cap; i++)
                    if (self->table[i].eval_id)
                        s_publish_chain(self, db, arena, self->table[i].eval_id, 0);
            }
        }
        zmq_pollitem_t items[4] = {{ctl, 0, ZMQ_POLLIN, 0},
                                   {self->reg, 0, ZMQ_POLLIN, 0},
                                   {self->pushes, 0, ZMQ_POLLIN, 0},
                                   {NULL, -1, ZMQ_POLLIN, 0}};
        int n = 3;
        if (listening && kp_db_conn(db)) {
            items[3].fd = PQsocket(kp_db_conn(db));
            n = 4;
        }
        int64_t wait = next_check - kp_mono_ms();
        int rc = zmq_poll(items, n, wait > 0 ? (long)wait : 0);
        if (rc < 0 && errno == ETERM) break;
        if (items[0].revents & ZMQ_POLLIN) break; /* stop */
        if (items[1].revents & ZMQ_POLLIN)
            for (int i = 0; i < 64; i++) {
                int ev = 0;
                size_t el = sizeof ev;
                zmq_getsockopt(self->reg, ZMQ_EVENTS, &ev, &el);
                if (!(ev & ZMQ_POLLIN)) break;
                kp_subs_on_register(self->subs, self->reg);
            }
        if (items[2].revents & ZMQ_POLLIN) kp_subs_on_gone(self->subs);
        if (self->stats)
            kp_stats_gauge_set(self->stats, KP_GAUGE_SUBSCRIBERS,
                               (int64_t)kp_subs_count(self->subs));
        if (kp_mono_ms() >= next_check) {
            /* Sessions end without telling us (expiry, logout elsewhere). */
            if (listening) kp_subs_check_sessions(self->subs, db, arena);
            kp_arena_reset(arena);
            next_check = kp_mono_ms() + 1000;
        }
        if (n == 4 && (items[3].revents & ZMQ_POLLIN)) {
            PGconn *conn = kp_db_conn(db);
            if (!PQconsumeInput(conn) || PQstatus(conn) != CONNECTION_OK) {
                kp_warn("publisher", "lost the database: %s", PQerrorMessage(conn));
                listening = 0;
                atomic_store(&self->listening, 0);
                kp_snapcache_listening(0); /* changes may now go unnoticed */
                kp_db_destroy(&db);
                db = kp_db_new(self->conninfo);
                continue;
            }
            s_on_notes(self, db, arena);
        } else if (n == 4 && kp_db_connected(db)) {
            s_on_notes(self, db, arena); /* left in libpq's buffer by our own queries */
        }
    }
    kp_snapcache_listening(0);
    kp_subs_destroy(&self->subs);
    kp_arena_destroy(&arena);
    kp_db_destroy(&db);
    zmq_close(ctl);
    zmq_close(self->pub);
    zmq_close(self->reg);
    zmq_close(self->pushes);
    self->pub = self->reg = self->pushes = NULL;
    return NULL;
}

kp_publisher *kp_publisher_start(void *zctx, const char *endpoint, kp_socket_setup setup,
                                 void *setup_arg, const char *conninfo, const char *instance,
                                 kp_stats *stats, char *err, size_t errlen)
{
    kp_publisher *self = calloc(1, sizeof *self);
    self->zctx = zctx;
    self->stats = stats;
    self->conninfo = strdup(conninfo);
    kp_strlcpy(self->instance, instance, sizeof self->instance);
    self->pub = zmq_socket(zctx, ZMQ_PUB);
    int linger = 0, hwm = 100000;
    zmq_setsockopt(self->pub, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(self->pub, ZMQ_SNDHWM, &hwm, sizeof hwm);
    if (setup && setup(self->pub, setup_arg) != 0) {
        snprintf(err, errlen, "cannot set up the publish socket");
        goto err;
    }
    if (zmq_bind(self->pub, endpoint) != 0) {
        snprintf(err, errlen, "cannot bind %s: %s", endpoint, zmq_strerror(errno));
        goto err;
    }
    size_t len = sizeof self->endpoint;
    if (zmq_getsockopt(self->pub, ZMQ_LAST_ENDPOINT, self->endpoint, &len) != 0)
        kp_strlcpy(self->endpoint, endpoint, sizeof self->endpoint);
    snprintf(self->reg_ep, sizeof self->reg_ep, "inproc://subscribe-%p", (void *)self);
    snprintf(self->pushes_ep, sizeof self->pushes_ep, "inproc://pushes-%p", (void *)self);
    self->reg = zmq_socket(zctx, ZMQ_ROUTER);
    self->pushes = zmq_socket(zctx, ZMQ_PAIR);
    int push_hwm = 100000;
    zmq_setsockopt(self->reg, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(self->pushes, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(self->pushes, ZMQ_SNDHWM, &push_hwm, sizeof push_hwm);
    if (zmq_bind(self->reg, self->reg_ep) != 0 || zmq_bind(self->pushes, self->pushes_ep) != 0) {
        snprintf(err, errlen, "cannot bind the subscription sockets: %s", zmq_strerror(errno));
        goto err;
    }
    snprintf(self->ctl, sizeof self->ctl, "inproc://publisher-%p", (void *)self);
    self->ctl_main = zmq_socket(zctx, ZMQ_PAIR);
    zmq_setsockopt(self->ctl_main, ZMQ_LINGER, &linger, sizeof linger);
    zmq_bind(self->ctl_main, self->ctl);
    if (pthread_create(&self->thread, NULL, s_run, self) != 0) {
        snprintf(err, errlen, "cannot start the publisher thread");
        zmq_close(self->ctl_main);
        goto err;
    }
    return self;
err:
    zmq_close(self->pub);
    if (self->reg) zmq_close(self->reg);
    if (self->pushes) zmq_close(self->pushes);
    free(self->conninfo);
    free(self);
    return NULL;
}

const char *kp_publisher_endpoint(const kp_publisher *self)
{
    return self->endpoint;
}

const char *kp_publisher_subscribe_endpoint(const kp_publisher *self)
{
    return self->reg_ep;
}

const char *kp_publisher_pushes_endpoint(const kp_publisher *self)
{
    return self->pushes_ep;
}

int kp_publisher_wait_listening(kp_publisher *self, int timeout_ms)
{
    int64_t deadline = kp_mono_ms() + timeout_ms;
    while (!atomic_load(&self->listening)) {
        if (kp_mono_ms() >= deadline) return -1;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return 0;
}

void kp_publisher_stop(kp_publisher **self_p)
{
    if (!self_p || !*self_p) return;
    kp_publisher *self = *self_p;
    zmq_send(self->ctl_main, "STOP", 4, 0);
    pthread_join(self->thread, NULL);
    zmq_close(self->ctl_main);
    kp_info("publisher", "published %lld updates", (long long)self->published);
    free(self->table);
    free(self->conninfo);
    free(self);
    *self_p = NULL;
}
