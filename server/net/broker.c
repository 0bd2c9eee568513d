/*  broker: the front door (see broker.h). */
#include "broker.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include <zmq.h>

#include "arena.h"
#include "curve.h"
#include "fairq.h"
#include "log.h"
#include "lograte.h"
#include "subscriptions.h"
#include "util.h"
#include "wire.h"

#define MAX_WORKERS   256
#define DRAIN_TIMEOUT 30000  /* ms to finish work in hand at shutdown */
#define SESSION_IDLE  600000 /* ms after which an unused live session is forgotten */

typedef struct {
    unsigned char id[256];
    size_t len;
} routing_id;

/* A request in hand, from the front until a worker has it. */
typedef struct {
    zmq_msg_t client;  /* routing id */
    zmq_msg_t payload; /* the request frame */
    int delimiter;     /* came from a REQ (an empty frame before the payload) */
    char peer[240];    /* "<address>|<key>" */
    kp_fair_item *item;
} pending;

struct kp_broker {
    void *front, *back;
    char listen[256], backend[64];
    routing_id workers[MAX_WORKERS]; /* idle workers, longest idle first */
    int n_idle;
    int refusing;         /* shutting down: new requests are answered UNAVAILABLE */
    kp_fairq *fair;       /* requests in hand per client, waiting ones in turns (fairq.h) */
    kp_arena *arena;      /* for the replies the broker writes itself */
    kp_stats *stats;      /* counters (NULL: none) */
    int shard;            /* the broker's shard in stats */
    int64_t next_tick_ms; /* housekeeping (s_tick) due */
    void *pushes;         /* PAIR from the publisher: updates for subscribed clients */
};

static void *s_bind(void *zctx, int type, const char *endpoint, const kp_server_keys *keys,
                    char *bound, size_t boundlen, char *err, size_t errlen)
{
    void *s = zmq_socket(zctx, type);
    if (keys && kp_curve_server_apply(s, keys->secret_key, err, errlen) != 0) {
        zmq_close(s);
        return NULL;
    }
    int linger = 200, one = 1;
    int64_t maxmsg = KP_MAX_FRAME_BYTES;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    if (type == ZMQ_ROUTER) {
        zmq_setsockopt(s, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
        zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
        /* Detect dead peers on bad links (ZMTP heartbeats). */
        int ivl = 10000, timeout = 30000;
        zmq_setsockopt(s, ZMQ_HEARTBEAT_IVL, &ivl, sizeof ivl);
        zmq_setsockopt(s, ZMQ_HEARTBEAT_TIMEOUT, &timeout, sizeof timeout);
    }
    if (zmq_bind(s, endpoint) != 0) {
        snprintf(err, errlen, "cannot bind %s: %s", endpoint, zmq_strerror(errno));
        zmq_close(s);
        return NULL;
    }
    size_t len = boundlen;
    if (zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, bound, &len) != 0)
        kp_strlcpy(bound, endpoint, boundlen);
    return s;
}

kp_broker *kp_broker_new(void *zctx, const kp_config *cfg, const kp_server_keys *keys, char *err,
                         size_t errlen)
{
    kp_broker *self = calloc(1, sizeof *self);
    if (!self) return NULL;
    kp_fairq_limits limits = {.per_session = KP_FAIRQ_PER_SESSION,
                              .per_connection = KP_FAIRQ_PER_CONNECTION,
                              .total_queued = KP_FAIRQ_TOTAL_QUEUED};
    self->fair = kp_fairq_new(&limits);
    self->arena = kp_arena_new();
    if (!self->fair || !self->arena) {
        snprintf(err, errlen, "out of memory");
        goto err;
    }
    kp_fairq_expire(self->fair, kp_mono_ms(), SESSION_IDLE);
    snprintf(self->backend, sizeof self->backend, "inproc://workers-%p", (void *)self);
    self->front =
        s_bind(zctx, ZMQ_ROUTER, cfg->listen, keys, self->listen, sizeof self->listen, err, errlen);
    if (!self->front) goto err;
    /* inproc never leaves the process: no CURVE between broker and workers */
    self->back = s_bind(zctx, ZMQ_ROUTER, self->backend, NULL, self->backend, sizeof self->backend,
                        err, errlen);
    if (!self->back) goto err;
    return self;
err:
    kp_broker_destroy(&self);
    return NULL;
}

void kp_broker_destroy(kp_broker **self_p)
{
    if (!self_p || !*self_p) return;
    kp_broker *self = *self_p;
    kp_fair_item *it;
    while (self->fair && (it = kp_fairq_pop(self->fair))) {
        pending *p = kp_fairq_user(it);
        zmq_msg_close(&p->client);
        zmq_msg_close(&p->payload);
        free(p);
        kp_fairq_done(self->fair, it, KP_FAIRQ_SESSION_UNKNOWN);
    }
    kp_fairq_destroy(&self->fair);
    if (self->front) zmq_close(self->front);
    if (self->back) zmq_close(self->back);
    if (self->pushes) zmq_close(self->pushes);
    kp_arena_destroy(&self->arena);
    free(self);
    *self_p = NULL;
}

int kp_broker_set_stats(kp_broker *self, void *zctx, kp_stats *stats, int shard, char *err,
                        size_t errlen)
{
    self->stats = stats;
    self->shard = shard;
    if (kp_stats_watch(stats, zctx, self->front, KP_GAUGE_CLIENTS, err, errlen) != 0) return -1;
    return 0;
}

int kp_broker_set_pushes(kp_broker *self, void *zctx, const char *endpoint)
{
    self->pushes = zmq_socket(zctx, ZMQ_PAIR);
    int linger = 0, hwm = 100000;
    zmq_setsockopt(self->pushes, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(self->pushes, ZMQ_RCVHWM, &hwm, sizeof hwm);
    return zmq_connect(self->pushes, endpoint);
}

/* Passes on what the publisher pushes to subscribed clients, a batch at a
 * time (server/subscriptions.c). */
static void s_on_pushes(kp_broker *self)
{
    for (int i = 0; i < 256; i++) {
        int ev = 0;
        size_t el = sizeof ev;
        zmq_getsockopt(self->pushes, ZMQ_EVENTS, &ev, &el);
        if (!(ev & ZMQ_POLLIN)) break;
        kp_subs_forward(self->pushes, self->front);
    }
}

const char *kp_broker_listen_endpoint(const kp_broker *self)
{
    return self->listen;
}

const char *kp_broker_backend_endpoint(const kp_broker *self)
{
    return self->backend;
}

/* Sends [client][delimiter?][payload] to the front without blocking. */
static void s_reply(kp_broker *self, zmq_msg_t *client, int delimiter, const void *data, size_t len)
{
    int rc = zmq_msg_send(client, self->front, ZMQ_SNDMORE | ZMQ_DONTWAIT);
    if (rc >= 0 && delimiter) rc = zmq_send(self->front, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT);
    if (rc >= 0) rc = zmq_send(self->front, data, len, ZMQ_DONTWAIT);
    if (rc < 0) {
        if (errno == EHOSTUNREACH)
            kp_debug("broker", "client gone before its reply could be sent");
        else
            kp_warn("broker", "reply dropped: %s", zmq_strerror(errno));
    }
}

/* Answers a request the broker rejects itself (too many frames, too big,
 * busy), with request_id ("" when unknown). */
static void s_reject_id(kp_broker *self, zmq_msg_t *client, int delimiter, const char *request_id,
                        int status, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static void s_reject_id(kp_broker *self, zmq_msg_t *client, int delimiter, const char *request_id,
                        int status, const char *fmt, ...)
{
    size_t len;
    va_list ap;
    va_start(ap, fmt);
    char *error = kp_arena_vprintf(self->arena, fmt, ap);
    va_end(ap);
    kp_response *resp = kp_wire_error(self->arena, request_id, status, "%s", error);
    void *data = kp_wire_encode_response(self->arena, resp, &len);
    s_reply(self, client, delimiter, data, len);
    kp_arena_reset(self->arena);
    kp_stats_record(self->stats, self->shard, 0, status, 0);
}

static void s_reject(kp_broker *self, zmq_msg_t *client, int delimiter, int status,
                     const char *error)
{
    s_reject_id(self, client, delimiter, "", status, "%s", error);
}

/* Hands p to worker w and frees p. The meta frame, which the worker
 * sends back with its reply: "<delimiter flag><queued flag><session
 * flag><ticket, 16 hex digits>|<address>|<key>". The queued flag ('q')
 * tells the worker that more requests wait behind this one, which lets it
 * start a group commit (server/worker.c); the worker sets the session flag
 * ('S' live, 'x' dead, '-' unknown: fairq.h) and the ticket names p's item. */
static void s_send_to(kp_broker *self, const routing_id *w, pending *p)
{
    char meta[300];
    kp_fairq_start(self->fair, p->item);
    snprintf(meta, sizeof meta, "%c%c-%016" PRIx64 "|%s", p->delimiter ? '1' : '0',
             kp_fairq_queued(self->fair) > 0 ? 'q' : '-', kp_fairq_ticket(p->item), p->peer);
    zmq_send(self->back, w->id, w->len, ZMQ_SNDMORE);
    zmq_msg_send(&p->client, self->back, ZMQ_SNDMORE);
    zmq_send(self->back, meta, strlen(meta), ZMQ_SNDMORE);
    zmq_msg_send(&p->payload, self->back, 0);
    zmq_msg_close(&p->client);
    zmq_msg_close(&p->payload);
    free(p);
}

static void s_to_worker(kp_broker *self, pending *p)
{
    routing_id w = self->workers[0];
    memmove(&self->workers[0], &self->workers[1], sizeof w * (size_t)(self->n_idle - 1));
    self->n_idle--;
    s_send_to(self, &w, p);
}

/* Who sent m, for the log: its CURVE key, else its address. */
static const char *s_peer(zmq_msg_t *m)
{
    const char *key = zmq_msg_gets(m, "User-Id");
    if (key && *key) return key;
    const char *addr = zmq_msg_gets(m, "Peer-Address");
    return addr ? addr : "";
}

/* The next waiting request, taking turns across clients; NULL when none. */
static pending *s_dequeue(kp_broker *self)
{
    kp_fair_item *it = kp_fairq_pop(self->fair);
    kp_stats_gauge_set(self->stats, KP_GAUGE_QUEUED, kp_fairq_queued(self->fair));
    return it ? kp_fairq_user(it) : NULL;
}

/* The request id of a frame the broker turns away, when it can be read
 * and is plain (printable ASCII, as long as the protocol allows): else "". */
static const char *s_request_id(kp_broker *self, zmq_msg_t *payload)
{
    const uint8_t *id;
    size_t len;
    if (kp_fairq_field(zmq_msg_data(payload), zmq_msg_size(payload), 1, &id, &len) != 0 || len > 64)
        return "";
    for (size_t i = 0; i < len; i++)
        if (id[i] < 0x20 || id[i] > 0x7e) return "";
    return kp_arena_printf(self->arena, "%.*s", (int)len, (const char *)id);
}

/* Takes a well-formed request in for its client (fairq.h) and hands it to
 * an idle worker or queues it; a client over its share, or a full queue,
 * gets UNAVAILABLE at once. */
static void s_admit(kp_broker *self, zmq_msg_t *client, int delimiter, zmq_msg_t *payload)
{
    pending *p = calloc(1, sizeof *p);
    if (!p) {
        s_reject(self, client, delimiter, KP_UNAVAILABLE, "server busy: out of memory; retry");
        return;
    }
    kp_fair_item *item = NULL;
    kp_fairq_verdict v = kp_fairq_admit(self->fair, zmq_msg_data(client), zmq_msg_size(client),
                                        zmq_msg_data(payload), zmq_msg_size(payload), p, &item);
    if (v != KP_FAIRQ_ADMITTED) {
        free(p);
        const char *id = s_request_id(self, payload);
        kp_lograte_event(KP_LOGRATE_REFUSED, s_peer(payload), kp_mono_ms(), "broker",
                         "refused a request from %s: %s", s_peer(payload),
                         v == KP_FAIRQ_CLIENT_FULL ? "its client has its share in flight"
                                                   : "the queue is full");
        if (v == KP_FAIRQ_CLIENT_FULL)
            s_reject_id(self, client, delimiter, id, KP_UNAVAILABLE,
                        "busy: too many of your requests in flight (at most %d per session, %d "
                        "per connection without one); retry once some are answered",
                        KP_FAIRQ_PER_SESSION, KP_FAIRQ_PER_CONNECTION);
        else
            s_reject_id(self, client, delimiter, id, KP_UNAVAILABLE, "%s",
                        "server busy: too many requests queued; retry shortly");
        return;
    }
    const char *addr = zmq_msg_gets(payload, "Peer-Address");
    const char *key = zmq_msg_gets(payload, "User-Id");
    snprintf(p->peer, sizeof p->peer, "%s|%s", addr ? addr : "", key ? key : "");
    p->delimiter = delimiter;
    p->item = item;
    zmq_msg_init(&p->client);
    zmq_msg_move(&p->client, client);
    zmq_msg_init(&p->payload);
    zmq_msg_move(&p->payload, payload);
    if (self->n_idle > 0) {
        s_to_worker(self, p);
    } else {
        kp_fairq_push(self->fair, item);
        kp_stats_gauge_set(self->stats, KP_GAUGE_QUEUED, kp_fairq_queued(self->fair));
    }
}

/* Reads one client message from the front and hands it on. */
static void s_on_front(kp_broker *self)
{
    zmq_msg_t client, frames[3];
    zmq_msg_init(&client);
    if (zmq_msg_recv(&client, self->front, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&client);
        return;
    }
    int n = 0, more = zmq_msg_more(&client);
    while (more) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        zmq_msg_recv(&m, self->front, 0);
        more = zmq_msg_more(&m);
        if (n < 3)
            frames[n] = m;
        else
            zmq_msg_close(&m);
        n++;
    }
    /* One frame from a DEALER; an empty delimiter then one frame from a REQ. */
    int delimiter = n == 2 && zmq_msg_size(&frames[0]) == 0;
    int payload_at = delimiter ? 1 : 0;
    if (n == 0 || (n > 1 && !delimiter)) {
        char why[128];
        snprintf(why, sizeof why,
                 "a request is exactly one frame holding a kompass.v1.Request, got %d frames", n);
        kp_lograte_event(KP_LOGRATE_MALFORMED, s_peer(&client), kp_mono_ms(), "broker",
                         "bad request from %s: %s", s_peer(&client), why);
        s_reject(self, &client, 0, KP_BAD_REQUEST, why);
        goto out;
    }
    zmq_msg_t *payload = &frames[payload_at];
    if (zmq_msg_size(payload) > KP_MAX_REQUEST_BYTES) {
        char why[128];
        snprintf(why, sizeof why, "request of %zu bytes exceeds the limit of %d bytes",
                 zmq_msg_size(payload), KP_MAX_REQUEST_BYTES);
        kp_lograte_event(KP_LOGRATE_MALFORMED, s_peer(payload), kp_mono_ms(), "broker",
                         "bad request from %s: %s", s_peer(payload), why);
        s_reject(self, &client, delimiter, KP_BAD_REQUEST, why);
        goto out;
    }
    if (self->refusing) {
        s_reject(self, &client, delimiter, KP_UNAVAILABLE,
                 "kompassd is shutting down: retry (another server, or this one once it is back)");
        goto out;
    }
    s_admit(self, &client, delimiter, payload);
out:
    zmq_msg_close(&client);
    for (int i = 0; i < n && i < 3; i++)
        zmq_msg_close(&frames[i]);
}

/* A worker answered the request its meta frame names (s_send_to): its
 * client has one fewer in hand, and the worker's word on its session. */
static void s_answered(kp_broker *self, zmq_msg_t *meta)
{
    const char *m = zmq_msg_data(meta);
    size_t len = zmq_msg_size(meta);
    if (len < 19) return;
    char hex[17];
    memcpy(hex, m + 3, 16);
    hex[16] = '\0';
    kp_fair_item *it = kp_fairq_find(self->fair, strtoull(hex, NULL, 16));
    if (!it) {
        kp_warn("broker", "a worker answered a request the broker does not know");
        return;
    }
    kp_fairq_done(self->fair, it,
                  m[2] == 'S'   ? KP_FAIRQ_SESSION_LIVE
                  : m[2] == 'x' ? KP_FAIRQ_SESSION_DEAD
                                : KP_FAIRQ_SESSION_UNKNOWN);
}

/* Reads one message from a worker: READY; MORE (a worker in a group
 * commit asks for the next waiting request, answered with it or NONE); or
 * a reply to pass on, after which the worker is idle unless the reply is
 * one of a group commit's and more follow (a fourth frame, "+"). */
static void s_on_back(kp_broker *self)
{
    zmq_msg_t worker, client, meta, reply, tail;
    zmq_msg_init(&worker);
    zmq_msg_init(&client);
    zmq_msg_init(&meta);
    zmq_msg_init(&reply);
    zmq_msg_init(&tail);
    if (zmq_msg_recv(&worker, self->back, ZMQ_DONTWAIT) < 0) goto out;
    if (zmq_msg_recv(&client, self->back, 0) < 0) goto out;
    if (zmq_msg_size(&worker) > sizeof self->workers[0].id) goto out;
    routing_id from = {.len = zmq_msg_size(&worker)};
    memcpy(from.id, zmq_msg_data(&worker), from.len);
    if (!zmq_msg_more(&client) && zmq_msg_size(&client) == 4 &&
        memcmp(zmq_msg_data(&client), "MORE", 4) == 0) {
        pending *p = s_dequeue(self);
        if (p) {
            s_send_to(self, &from, p);
        } else {
            zmq_send(self->back, from.id, from.len, ZMQ_SNDMORE);
            zmq_send(self->back, "NONE", 4, 0);
        }
        goto out;
    }
    if (zmq_msg_more(&client)) {
        zmq_msg_recv(&meta, self->back, 0);
        zmq_msg_recv(&reply, self->back, 0);
        int more = zmq_msg_more(&reply);
        if (more) zmq_msg_recv(&tail, self->back, 0);
        int delimiter = zmq_msg_size(&meta) > 0 && ((char *)zmq_msg_data(&meta))[0] == '1';
        s_reply(self, &client, delimiter, zmq_msg_data(&reply), zmq_msg_size(&reply));
        s_answered(self, &meta);
        if (more) goto out; /* the worker is still sending its group's replies */
    }                       /* else: the worker's READY */
    if (self->n_idle >= MAX_WORKERS) goto out;
    self->workers[self->n_idle++] = from;
    pending *p = s_dequeue(self);
    if (p) s_to_worker(self, p); /* the next client's turn, straight away */
out:
    zmq_msg_close(&worker);
    zmq_msg_close(&client);
    zmq_msg_close(&meta);
    zmq_msg_close(&reply);
    zmq_msg_close(&tail);
}

/* Housekeeping, about once a second: forgets idle sessions (fairq). */
static void s_tick(kp_broker *self)
{
    int64_t now = kp_mono_ms();
    if (now < self->next_tick_ms) return;
    self->next_tick_ms = now + 1000;
    kp_fairq_expire(self->fair, now, SESSION_IDLE);
    kp_lograte_flush(now);
}

int kp_broker_run(kp_broker *self, int signal_fd)
{
    int draining = 0;
    int64_t drain_deadline = 0;
    for (;;) {
        int in_hand = kp_fairq_in_flight(self->fair) + kp_fairq_queued(self->fair);
        if (draining && in_hand == 0) break;
        if (draining && kp_mono_ms() > drain_deadline) {
            kp_warn("broker", "giving up on %d requests still in flight", in_hand);
            break;
        }
        zmq_pollitem_t items[4] = {
            {self->back, 0, ZMQ_POLLIN, 0},
            {NULL, signal_fd, ZMQ_POLLIN, 0},
            {self->front, 0, ZMQ_POLLIN, 0},
            {self->pushes, 0, ZMQ_POLLIN, 0},
        };
        int rc = zmq_poll(items, self->pushes ? 4 : 3, draining ? 100 : 1000);
        s_tick(self);
        if (rc < 0) {
            if (errno == EINTR) continue;
            kp_error("broker", "poll: %s", zmq_strerror(errno));
            break;
        }
        if (items[1].revents & ZMQ_POLLIN) {
            struct signalfd_siginfo si;
            if (read(signal_fd, &si, sizeof si) == sizeof si && !draining) {
                /* In hand: what workers have, what waits for them, and what
                 * the front socket has already received. */
                for (;;) {
                    int ev = 0;
                    size_t el = sizeof ev;
                    zmq_getsockopt(self->front, ZMQ_EVENTS, &ev, &el);
                    if (!(ev & ZMQ_POLLIN)) break;
                    s_on_front(self);
                }
                kp_info("broker", "%s: finishing %d requests in hand, then stopping",
                        strsignal((int)si.ssi_signo),
                        kp_fairq_in_flight(self->fair) + kp_fairq_queued(self->fair));
                draining = 1;
                self->refusing = 1;
                drain_deadline = kp_mono_ms() + DRAIN_TIMEOUT;
            }
        }
        if (items[0].revents & ZMQ_POLLIN)
            for (int i = 0; i < 64; i++) {
                int ev = 0;
                size_t el = sizeof ev;
                zmq_getsockopt(self->back, ZMQ_EVENTS, &ev, &el);
                if (!(ev & ZMQ_POLLIN)) break;
                s_on_back(self);
            }
        if (items[2].revents & ZMQ_POLLIN)
            for (int i = 0; i < 64; i++) {
                int ev = 0;
                size_t el = sizeof ev;
                zmq_getsockopt(self->front, ZMQ_EVENTS, &ev, &el);
                if (!(ev & ZMQ_POLLIN)) break;
                s_on_front(self);
            }
        if (self->pushes && (items[3].revents & ZMQ_POLLIN)) s_on_pushes(self);
    }
    return 0;
}
