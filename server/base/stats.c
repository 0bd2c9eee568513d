/*  stats: counters and gauges of this kompassd (see stats.h). */
#include "stats.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "log.h"

const uint64_t kp_stats_bounds_us[KP_STATS_BUCKETS - 1] = {
    100,   250,    500,    1000,   2500,    5000,    10000,   25000,
    50000, 100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000,
};

/* Per slot: the outcomes by status, the latency buckets, the latency sum. */
#define CELLS_PER_SLOT (KP_STATUS_COUNT + KP_STATS_BUCKETS + 1)
#define CELL_STATUS(s) (s)
#define CELL_BUCKET(b) (KP_STATUS_COUNT + (b))
#define CELL_TOTAL_US  (KP_STATUS_COUNT + KP_STATS_BUCKETS)

#define MAX_WATCHES 4

/* One writer's counters, on cache lines of its own. */
typedef struct {
    _Atomic uint64_t *cells; /* slots * CELLS_PER_SLOT */
    _Atomic int db_up;
} shard;

typedef struct {
    void *pair;     /* receives the watched socket's events */
    kp_gauge gauge; /* what its connections count into */
} watch;

struct kp_stats {
    int n_shards, n_slots;
    shard *shards;
    _Atomic int64_t gauges[KP_GAUGE_COUNT];
    watch watches[MAX_WATCHES];
    int n_watches;
    pthread_t thread;
    int thread_started;
};

kp_stats *kp_stats_new(int shards, int slots)
{
    kp_stats *self = calloc(1, sizeof *self);
    if (!self) return NULL;
    self->n_shards = shards;
    self->n_slots = slots;
    self->shards = calloc((size_t)shards, sizeof *self->shards);
    if (!self->shards) goto err;
    size_t bytes = (size_t)slots * CELLS_PER_SLOT * sizeof(_Atomic uint64_t);
    bytes = (bytes + 63) / 64 * 64; /* aligned_alloc wants a multiple of the alignment */
    for (int i = 0; i < shards; i++) {
        self->shards[i].cells = aligned_alloc(64, bytes);
        if (!self->shards[i].cells) goto err;
        for (size_t c = 0; c < (size_t)slots * CELLS_PER_SLOT; c++)
            atomic_init(&self->shards[i].cells[c], 0);
        atomic_init(&self->shards[i].db_up, 0);
    }
    for (int g = 0; g < KP_GAUGE_COUNT; g++)
        atomic_init(&self->gauges[g], 0);
    return self;
err:
    kp_stats_destroy(&self);
    return NULL;
}

void kp_stats_destroy(kp_stats **self_p)
{
    if (!self_p || !*self_p) return;
    kp_stats *self = *self_p;
    kp_stats_watch_stop(self);
    for (int i = 0; i < self->n_watches; i++)
        if (self->watches[i].pair) zmq_close(self->watches[i].pair);
    if (self->shards)
        for (int i = 0; i < self->n_shards; i++)
            free(self->shards[i].cells);
    free(self->shards);
    free(self);
    *self_p = NULL;
}

/* The bucket of a latency. */
static int s_bucket(int64_t us)
{
    for (int b = 0; b < KP_STATS_BUCKETS - 1; b++)
        if ((uint64_t)us <= kp_stats_bounds_us[b]) return b;
    return KP_STATS_BUCKETS - 1;
}

/* One writer per shard: a relaxed load and store is an exact increment. */
static void s_add(_Atomic uint64_t *cell, uint64_t n)
{
    atomic_store_explicit(cell, atomic_load_explicit(cell, memory_order_relaxed) + n,
                          memory_order_relaxed);
}

void kp_stats_record(kp_stats *self, int shard_i, int slot, int status, int64_t latency_us)
{
    if (!self || shard_i < 0 || shard_i >= self->n_shards) return;
    if (slot < 0 || slot >= self->n_slots) slot = 0;
    if (status < 0 || status >= KP_STATUS_COUNT) status = KP_INTERNAL;
    if (latency_us < 0) latency_us = 0;
    _Atomic uint64_t *cells = self->shards[shard_i].cells + (size_t)slot * CELLS_PER_SLOT;
    s_add(&cells[CELL_STATUS(status)], 1);
    s_add(&cells[CELL_BUCKET(s_bucket(latency_us))], 1);
    s_add(&cells[CELL_TOTAL_US], (uint64_t)latency_us);
}

void kp_stats_read(const kp_stats *self, int slot, kp_stats_rpc *out)
{
    memset(out, 0, sizeof *out);
    if (!self || slot < 0 || slot >= self->n_slots) return;
    for (int i = 0; i < self->n_shards; i++) {
        _Atomic uint64_t *cells = self->shards[i].cells + (size_t)slot * CELLS_PER_SLOT;
        for (int s = 0; s < KP_STATUS_COUNT; s++)
            out->by_status[s] += atomic_load_explicit(&cells[CELL_STATUS(s)], memory_order_relaxed);
        for (int b = 0; b < KP_STATS_BUCKETS; b++)
            out->latency[b] += atomic_load_explicit(&cells[CELL_BUCKET(b)], memory_order_relaxed);
        out->total_us += atomic_load_explicit(&cells[CELL_TOTAL_US], memory_order_relaxed);
    }
    for (int s = 0; s < KP_STATUS_COUNT; s++)
        out->requests += out->by_status[s];
}

int kp_stats_slots(const kp_stats *self)
{
    return self ? self->n_slots : 0;
}

void kp_stats_gauge_add(kp_stats *self, kp_gauge gauge, int64_t delta)
{
    if (self) atomic_fetch_add_explicit(&self->gauges[gauge], delta, memory_order_relaxed);
}

void kp_stats_gauge_set(kp_stats *self, kp_gauge gauge, int64_t value)
{
    if (self) atomic_store_explicit(&self->gauges[gauge], value, memory_order_relaxed);
}

int64_t kp_stats_gauge(const kp_stats *self, kp_gauge gauge)
{
    if (!self) return 0;
    int64_t v = atomic_load_explicit(&self->gauges[gauge], memory_order_relaxed);
    return v < 0 ? 0 : v;
}

void kp_stats_set_db_up(kp_stats *self, int shard_i, int up)
{
    if (!self || shard_i < 0 || shard_i >= self->n_shards) return;
    atomic_store_explicit(&self->shards[shard_i].db_up, up ? 1 : 0, memory_order_relaxed);
}

int kp_stats_db_up(const kp_stats *self)
{
    int n = 0;
    for (int i = 0; self && i < self->n_shards; i++)
        n += atomic_load_explicit(&self->shards[i].db_up, memory_order_relaxed);
    return n;
}

uint64_t kp_stats_quantile_us(const uint64_t latency[KP_STATS_BUCKETS], double q)
{
    uint64_t total = 0;
    for (int b = 0; b < KP_STATS_BUCKETS; b++)
        total += latency[b];
    if (total == 0) return 0;
    /* the rank of the quantile, 1-based, rounded up: q = 0.5 of 3 is the 2nd */
    uint64_t rank = (uint64_t)((double)total * q);
    if ((double)rank < (double)total * q) rank++;
    if (rank < 1) rank = 1;
    uint64_t seen = 0;
    for (int b = 0; b < KP_STATS_BUCKETS; b++) {
        seen += latency[b];
        if (seen >= rank)
            return b < KP_STATS_BUCKETS - 1 ? kp_stats_bounds_us[b]
                                            : kp_stats_bounds_us[KP_STATS_BUCKETS - 2];
    }
    return kp_stats_bounds_us[KP_STATS_BUCKETS - 2];
}

int kp_stats_watch(kp_stats *self, void *zctx, void *socket, kp_gauge gauge, char *err,
                   size_t errlen)
{
    if (self->n_watches >= MAX_WATCHES || self->thread_started) {
        snprintf(err, errlen, "stats: cannot watch another socket");
        return -1;
    }
    char endpoint[96];
    snprintf(endpoint, sizeof endpoint, "inproc://kompass-stats-%p-%d", (void *)self,
             self->n_watches);
    if (zmq_socket_monitor(socket, endpoint, ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED) != 0) {
        snprintf(err, errlen, "stats: cannot monitor a socket: %s", zmq_strerror(errno));
        return -1;
    }
    void *pair = zmq_socket(zctx, ZMQ_PAIR);
    int linger = 0;
    zmq_setsockopt(pair, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_connect(pair, endpoint) != 0) {
        snprintf(err, errlen, "stats: cannot read a socket's events: %s", zmq_strerror(errno));
        zmq_close(pair);
        return -1;
    }
    self->watches[self->n_watches++] = (watch){pair, gauge};
    return 0;
}

/* Applies one event message from w's monitor. */
static void s_on_event(kp_stats *self, const watch *w)
{
    zmq_msg_t ev;
    zmq_msg_init(&ev);
    if (zmq_msg_recv(&ev, w->pair, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&ev);
        return;
    }
    uint16_t id = 0;
    if (zmq_msg_size(&ev) >= 2) memcpy(&id, zmq_msg_data(&ev), 2);
    int more = zmq_msg_more(&ev);
    zmq_msg_close(&ev);
    while (more) { /* the endpoint frame */
        zmq_msg_t part;
        zmq_msg_init(&part);
        if (zmq_msg_recv(&part, w->pair, 0) < 0) {
            zmq_msg_close(&part);
            break;
        }
        more = zmq_msg_more(&part);
        zmq_msg_close(&part);
    }
    if (id == ZMQ_EVENT_ACCEPTED) kp_stats_gauge_add(self, w->gauge, 1);
    if (id == ZMQ_EVENT_DISCONNECTED) kp_stats_gauge_add(self, w->gauge, -1);
}

static void *s_monitor_main(void *arg)
{
    kp_stats *self = arg;
    zmq_pollitem_t items[MAX_WATCHES];
    for (int i = 0; i < self->n_watches; i++)
        items[i] = (zmq_pollitem_t){self->watches[i].pair, 0, ZMQ_POLLIN, 0};
    for (;;) {
        int rc = zmq_poll(items, self->n_watches, -1);
        if (rc < 0) {
            if (errno == EINTR) continue;
            break; /* ETERM: the context is shutting down */
        }
        for (int i = 0; i < self->n_watches; i++)
            if (items[i].revents & ZMQ_POLLIN) s_on_event(self, &self->watches[i]);
    }
    for (int i = 0; i < self->n_watches; i++) {
        zmq_close(self->watches[i].pair);
        self->watches[i].pair = NULL;
    }
    return NULL;
}

int kp_stats_watch_start(kp_stats *self, char *err, size_t errlen)
{
    if (self->n_watches == 0) return 0;
    if (pthread_create(&self->thread, NULL, s_monitor_main, self) != 0) {
        snprintf(err, errlen, "stats: cannot start the monitor thread");
        return -1;
    }
    self->thread_started = 1;
    return 0;
}

void kp_stats_watch_stop(kp_stats *self)
{
    if (!self || !self->thread_started) return;
    pthread_join(self->thread, NULL);
    self->thread_started = 0;
}
