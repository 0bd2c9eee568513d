/*  broker: the front door. Owns the ROUTER that clients talk to, and hands
 *  each request to an idle worker over inproc.
 *
 *  Only the broker thread touches the front socket (ZeroMQ sockets are not
 *  thread-safe). It reads a client's message, rejects what is not one frame
 *  or too large without bothering a worker, and queues the rest until a
 *  worker is idle (least-recently-used workers first), fairly: per client
 *  (live session, or connection) a bounded number in hand, and turns taken
 *  across clients (server/fairq.h). Replies go back with
 *  ZMQ_ROUTER_MANDATORY and without blocking: a client that vanished costs a
 *  log line, never a stall.
 *
 *  On SIGINT/SIGTERM (through a signalfd) it stops reading new requests,
 *  lets the queued and in-flight ones finish, and returns.
 */
#ifndef KP_BROKER_H
#define KP_BROKER_H

#include "config.h"
#include "keys.h"
#include "stats.h"

typedef struct kp_broker kp_broker;

/* Binds the front (cfg->listen) and the backend (inproc). With keys, the
 * front is a CURVE server (the ZAP handler must already be bound); keys NULL
 * means plain text (--insecure). (The PUB socket is the publisher's.)
 * NULL with a sentence in err on failure. */
kp_broker *kp_broker_new(void *zctx, const kp_config *cfg, const kp_server_keys *keys, char *err,
                         size_t errlen);

void kp_broker_destroy(kp_broker **self_p);

/* The endpoint actually bound (a `*` port resolved). */
const char *kp_broker_listen_endpoint(const kp_broker *self);

/* Connects to the publisher's pushes (kp_publisher_pushes_endpoint): the
 * broker sends them to subscribed clients on the front socket. 0 or -1. */
int kp_broker_set_pushes(kp_broker *self, void *zctx, const char *endpoint);

/* The inproc endpoint workers connect to. */
const char *kp_broker_backend_endpoint(const kp_broker *self);

/* Counts into stats: what the broker rejects itself (in shard, slot 0), the
 * requests queued, and the connections on the front and update sockets
 * (kp_stats_watch). Before kp_stats_watch_start. 0, or -1 with err. */
int kp_broker_set_stats(kp_broker *self, void *zctx, kp_stats *stats, int shard, char *err,
                        size_t errlen);

/* Serves until signal_fd (a signalfd for SIGINT and SIGTERM) fires and the
 * work in hand is done. Returns 0. */
int kp_broker_run(kp_broker *self, int signal_fd);

#endif
