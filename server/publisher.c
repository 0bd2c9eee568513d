/*  publisher: the live-update thread (see publisher.h). */
#include "publisher.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "arena.h"
#include "db.h"
#include "log.h"
#include "status.h"
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
    char ctl[64];   /* inproc PAIR endpoint: "stop" */
    void *ctl_main; /* the main thread's end */
    char *conninfo;
    char instance[200];
    pthread_t thread;
    seen *table; /* open addressing, by evaluation */
    size_t cap, count;
    int64_t published;
};

const kp_stmt kp_publisher_stmts[] = {
    {"publish_events",
     "SELECT seq, eval_version, (extract(epoch FROM at) * 1000000)::bigint, action"
     " FROM audit_events WHERE evaluation_id = $1 AND seq > $2 ORDER BY seq LIMIT 1000"},
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

/* Publishes the events of eval_id after the last one published. */
static void s_publish_chain(kp_publisher *self, kp_db *db, kp_arena *arena, int64_t eval_id)
{
    seen *s = s_slot(self, eval_id, 1);
    for (;;) {
        const char *p[2] = {kp_db_param_i64(arena, eval_id), kp_db_param_i64(arena, s->last_seq)};
        PGresult *res;
        if (kp_db_call(db, "publish_events", 2, p, &res) != KP_OK) return;
        int rows = PQntuples(res);
        char topic[40];
        int tlen = snprintf(topic, sizeof topic, "eval/%lld", (long long)eval_id);
        for (int i = 0; i < rows; i++) {
            Kompass__V1__Update u = KOMPASS__V1__UPDATE__INIT;
            u.evaluation_id = eval_id;
            u.version = kp_db_i64(res, i, 1);
            u.at_us = kp_db_i64(res, i, 2);
            u.action = PQgetvalue(res, i, 3);
            u.instance = self->instance;
            size_t len = kompass__v1__update__get_packed_size(&u);
            void *buf = kp_arena_alloc(arena, len ? len : 1);
            kompass__v1__update__pack(&u, buf);
            /* PUB never blocks: a slow subscriber loses messages (HWM) and
             * recovers by snapshot. */
            zmq_send(self->pub, topic, (size_t)tlen, ZMQ_SNDMORE);
            zmq_send(self->pub, buf, len, 0);
            s->last_seq = kp_db_i64(res, i, 0);
            self->published++;
        }
        PQclear(res);
        kp_arena_reset(arena);
        if (rows < 1000) return;
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
    int listening = 0;
    for (;;) {
        if (!listening && kp_db_ensure(db) == KP_OK) {
            if (s_listen(db) == 0) {
                listening = 1;
                /* Catch up on what happened while we were away. */
                for (size_t i = 0; i < self->cap; i++)
                    if (self->table[i].eval_id)
                        s_publish_chain(self, db, arena, self->table[i].eval_id);
            }
        }
        zmq_pollitem_t items[2] = {{ctl, 0, ZMQ_POLLIN, 0}, {NULL, -1, ZMQ_POLLIN, 0}};
        int n = 1;
        if (listening && kp_db_conn(db)) {
            items[1].fd = PQsocket(kp_db_conn(db));
            n = 2;
        }
        int rc = zmq_poll(items, n, listening ? 1000 : 500);
        if (rc < 0 && errno == ETERM) break;
        if (items[0].revents & ZMQ_POLLIN) break; /* stop */
        if (n == 2 && (items[1].revents & ZMQ_POLLIN)) {
            PGconn *conn = kp_db_conn(db);
            if (!PQconsumeInput(conn) || PQstatus(conn) != CONNECTION_OK) {
                kp_warn("publisher", "lost the database: %s", PQerrorMessage(conn));
                listening = 0;
                kp_db_destroy(&db);
                db = kp_db_new(self->conninfo);
                continue;
            }
            PGnotify *note;
            while ((note = PQnotifies(conn))) {
                long long eval_id = 0, seq = 0;
                if (sscanf(note->extra, "%lld:%lld", &eval_id, &seq) == 2 && eval_id > 0) {
                    seen *s = s_slot(self, eval_id, 1);
                    if (s->last_seq == 0) s->last_seq = seq - 1; /* first sight */
                    s_publish_chain(self, db, arena, eval_id);
                }
                PQfreemem(note);
            }
        } else if (listening && !kp_db_connected(db)) {
            listening = 0;
        }
    }
    kp_arena_destroy(&arena);
    kp_db_destroy(&db);
    zmq_close(ctl);
    zmq_close(self->pub);
    self->pub = NULL;
    return NULL;
}

kp_publisher *kp_publisher_start(void *zctx, const char *endpoint, kp_socket_setup setup,
                                 void *setup_arg, const char *conninfo, const char *instance,
                                 char *err, size_t errlen)
{
    kp_publisher *self = calloc(1, sizeof *self);
    self->zctx = zctx;
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
    free(self->conninfo);
    free(self);
    return NULL;
}

const char *kp_publisher_endpoint(const kp_publisher *self)
{
    return self->endpoint;
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
