/*  stats: what this kompassd has done and is doing, cheap enough to leave on.
 *
 *  Counters. Every request is counted once, by the thread that answered it
 *  (a worker, or the broker for what it rejects itself), in that thread's
 *  own shard: per RPC, the outcomes by status and a latency histogram with
 *  fixed logarithmic buckets (kp_stats_bounds_us). A shard has exactly one
 *  writer and is updated with relaxed atomic adds: no lock, no cache line
 *  shared between two writers on the hot path. kp_stats_read() sums the
 *  shards on demand with relaxed loads, so a reading is a sum of recent
 *  values, not a snapshot frozen at one instant (good enough for counters
 *  that only grow).
 *
 *  Gauges. Connections on the request socket (clients) and on the update
 *  socket (subscribers) are counted by a socket monitor (ZMQ_EVENT_ACCEPTED
 *  minus ZMQ_EVENT_DISCONNECTED) read by one thread of this module; requests
 *  queued and workers connected to the database are set by their one owner.
 *  What "subscribers" measures: TCP (or ipc) connections to the PUB socket,
 *  whatever they subscribed to; a CURVE handshake that fails counts for the
 *  moment it lasts.
 *
 *  Thread rules: kp_stats_new, kp_stats_watch and kp_stats_watch_start run
 *  in the main thread before the workers start; kp_stats_watch is called on a
 *  socket by the thread that owns it (zmq_socket_monitor is a socket call);
 *  everything else may be called from any thread.
 */
#ifndef KP_STATS_H
#define KP_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

/* Latency buckets: upper bounds in microseconds (1-2.5-5 per decade, from
 * 0.1 ms to 10 s); the last bucket, above 10 s, is open. */
#define KP_STATS_BUCKETS 17
extern const uint64_t kp_stats_bounds_us[KP_STATS_BUCKETS - 1];

typedef enum {
    KP_GAUGE_CLIENTS = 0, /* connections on the request socket */
    KP_GAUGE_SUBSCRIBERS, /* connections with a subscription (publisher.c) */
    KP_GAUGE_QUEUED,      /* requests waiting in the broker for a worker */
    KP_GAUGE_COUNT
} kp_gauge;

typedef struct kp_stats kp_stats;

/* One RPC's counters, summed over the shards. */
typedef struct {
    uint64_t requests;                   /* all outcomes */
    uint64_t by_status[KP_STATUS_COUNT]; /* outcomes, OK included */
    uint64_t latency[KP_STATS_BUCKETS];  /* requests per bucket */
    uint64_t total_us;                   /* sum of latencies */
} kp_stats_rpc;

/* Counters for `shards` writers (workers + the broker) and `slots` RPC
 * slots (the caller's numbering). NULL when out of memory. */
kp_stats *kp_stats_new(int shards, int slots);

/* Stops the monitor thread (kp_stats_watch_stop first) and frees; sets
 * *self_p to NULL. */
void kp_stats_destroy(kp_stats **self_p);

/* Counts one request in shard (only its owner thread writes it): slot, its
 * final status, and how long it took. Out-of-range slots or statuses are
 * counted in slot 0 / INTERNAL rather than lost. */
void kp_stats_record(kp_stats *self, int shard, int slot, int status, int64_t latency_us);

/* Sums slot over every shard into out. */
void kp_stats_read(const kp_stats *self, int slot, kp_stats_rpc *out);

/* The number of slots. */
int kp_stats_slots(const kp_stats *self);

/* Gauges. */
void kp_stats_gauge_add(kp_stats *self, kp_gauge gauge, int64_t delta);
void kp_stats_gauge_set(kp_stats *self, kp_gauge gauge, int64_t value);
int64_t kp_stats_gauge(const kp_stats *self, kp_gauge gauge);

/* Whether shard's database connection is up (each worker says so after each
 * request), and how many are. */
void kp_stats_set_db_up(kp_stats *self, int shard, int up);
int kp_stats_db_up(const kp_stats *self);

/* A latency quantile (0 < q <= 1) from a histogram: the upper bound of the
 * bucket holding it, in microseconds; for the open last bucket, its lower
 * bound; 0 when the histogram is empty. */
uint64_t kp_stats_quantile_us(const uint64_t latency[KP_STATS_BUCKETS], double q);

/* Counts connections on socket (owned by the calling thread) into gauge.
 * Call before kp_stats_watch_start. 0, or -1 with err. */
int kp_stats_watch(kp_stats *self, void *zctx, void *socket, kp_gauge gauge, char *err,
                   size_t errlen);

/* Starts the thread that reads the watched sockets' events. 0 or -1. */
int kp_stats_watch_start(kp_stats *self, char *err, size_t errlen);

/* Joins that thread; call after zmq_ctx_shutdown (it ends on ETERM) and
 * before zmq_ctx_term (its sockets are closed on the way out). */
void kp_stats_watch_stop(kp_stats *self);

#endif
