/*  conn: the CLI's connection to kompassd. */
#include "conn.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "curve.h"
#include "util.h"

struct kp_conn {
    void *zctx;
    void *sock;    /* DEALER to endpoints[current] */
    void *monitor; /* PAIR receiving the socket's connection events */
    int monitor_seq;
    char endpoints[KP_CONN_MAX_ENDPOINTS][1024];
    int n_endpoints;
    int current;
    char server_key[KP_CURVE_KEY_LEN + 1];
    char config_dir[1024];
    int insecure;
    int timeout_ms;
    char token[128];
    int connected;    /* a transport connection to the current endpoint was made */
    int handshake_ok; /* a security handshake with it completed */
    int refused;      /* connecting to it failed and is being retried */
    int rejected;     /* it closed a connection, or a handshake failed */
    int dropped;      /* a connection closed since kp_conn_wait_update last said so */
    struct pushed *pushes, *pushes_tail; /* Updates received during calls, oldest first */
    int n_pushes;
};

/* A pushed Update's frame, kept until kp_conn_wait_update reads it. */
struct pushed {
    struct pushed *next;
    size_t len;
    unsigned char data[];
};

#define MAX_KEPT_PUSHES 10000 /* beyond: the oldest go (a subscriber catches up by version) */

/* Splits list at commas into self->endpoints; 0, or -1 with err. */
static int s_split(kp_conn *self, const char *list, char *err, size_t errlen)
{
    char buf[1024];
    kp_strlcpy(buf, list, sizeof buf);
    char *save = NULL;
    for (char *e = strtok_r(buf, ",", &save); e; e = strtok_r(NULL, ",", &save)) {
        e = kp_trim(e);
        if (!*e) continue;
        if (self->n_endpoints == KP_CONN_MAX_ENDPOINTS) {
            snprintf(err, errlen, "too many server endpoints in '%s' (at most %d)", list,
                     KP_CONN_MAX_ENDPOINTS);
            return -1;
        }
        kp_strlcpy(self->endpoints[self->n_endpoints++], e, sizeof self->endpoints[0]);
    }
    if (self->n_endpoints == 0) {
        snprintf(err, errlen, "no server endpoint given (expected e.g. tcp://host:5555)");
        return -1;
    }
    return 0;
}

/* Closes the socket and its monitor. */
static void s_close(kp_conn *self)
{
    if (self->sock) self->dropped = 1; /* its subscription, if any, went with it */
    if (self->monitor) zmq_close(self->monitor);
    if (self->sock) zmq_close(self->sock);
    self->monitor = self->sock = NULL;
}

/* A new socket connected to endpoints[current]; 0, or -1 with err. */
static int s_open(kp_conn *self, char *err, size_t errlen)
{
    s_close(self);
    self->connected = self->handshake_ok = self->refused = self->rejected = 0;
    self->sock = zmq_socket(self->zctx, ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt(self->sock, ZMQ_LINGER, &linger, sizeof linger);
    /* A reconnecting client must not hand old replies to new requests. */
    int one = 1;
    zmq_setsockopt(self->sock, ZMQ_IMMEDIATE, &one, sizeof one);
    if (!self->insecure && kp_curve_client_apply(self->sock, self->server_key, err, errlen) != 0)
        return -1;
    char monitor[64];
    snprintf(monitor, sizeof monitor, "inproc://kompass-conn-monitor-%d", self->monitor_seq++);
    if (zmq_socket_monitor(
            self->sock, monitor,
            ZMQ_EVENT_CONNECTED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_CONNECT_RETRIED |
                ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) == 0) {
        self->monitor = zmq_socket(self->zctx, ZMQ_PAIR);
        zmq_setsockopt(self->monitor, ZMQ_LINGER, &linger, sizeof linger);
        if (zmq_connect(self->monitor, monitor) != 0) {
            zmq_close(self->monitor);
            self->monitor = NULL;
        }
    }
    const char *endpoint = self->endpoints[self->current];
    if (zmq_connect(self->sock, endpoint) != 0) {
        snprintf(err, errlen, "invalid server endpoint '%s': %s (expected e.g. tcp://host:5555)",
                 endpoint, zmq_strerror(errno));
        return -1;
    }
    return 0;
}

/* Whether e looks like tcp://HOST:PORT or ipc://PATH (zmq_connect has the
 * last word when the endpoint's turn comes). */
static int s_endpoint_ok(const char *e)
{
    if (strncmp(e, "ipc://", 6) == 0) return e[6] != '\0';
    if (strncmp(e, "tcp://", 6) != 0) return 0;
    const char *colon = strrchr(e + 6, ':');
    if (!colon || colon == e + 6 || !colon[1]) return 0;
    char *end;
    long port = strtol(colon + 1, &end, 10);
    return *end == '\0' && port >= 1 && port <= 65535;
}

kp_conn *kp_conn_new(const kp_settings *s, char *err, size_t errlen)
{
    kp_conn *self = calloc(1, sizeof *self);
    if (!self) return NULL;
    if (s_split(self, s->server, err, errlen) != 0) goto err;
    for (int i = 0; i < self->n_endpoints; i++)
        if (s->insecure && !kp_endpoint_is_local(self->endpoints[i])) {
            snprintf(err, errlen,
                     "--insecure is refused for %s: plain text is only allowed to loopback "
                     "(127.0.0.1, ::1) or ipc:// endpoints",
                     self->endpoints[i]);
            goto err;
        }
    if (!s->insecure && !s->server_key[0]) {
        snprintf(err, errlen,
                 "no server key for %s: give kompassd's public key with --server-key, "
                 "KOMPASS_SERVER_KEY or `server_key = ...` in %s/config (`kompassd "
                 "--print-public-key` prints it; deploy/run writes it for you)",
                 s->server, s->config_dir);
        goto err;
    }
    kp_strlcpy(self->server_key, s->server_key, sizeof self->server_key);
    kp_strlcpy(self->config_dir, s->config_dir, sizeof self->config_dir);
    self->insecure = s->insecure;
    self->timeout_ms = (int)(s->timeout * 1000);
    self->zctx = zmq_ctx_new();
    /* Every endpoint's syntax now, not only when its turn comes. */
    for (int i = 0; i < self->n_endpoints; i++)
        if (!s_endpoint_ok(self->endpoints[i])) {
            snprintf(err, errlen,
                     "invalid server endpoint '%s' (expected tcp://HOST:PORT or ipc://PATH, "
                     "several separated by commas)",
                     self->endpoints[i]);
            goto err;
        }
    if (s_open(self, err, errlen) != 0) goto err;
    return self;
err:
    kp_conn_destroy(&self);
    return NULL;
}

void kp_conn_destroy(kp_conn **self_p)
{
    if (!self_p || !*self_p) return;
    kp_conn *self = *self_p;
    s_close(self);
    while (self->pushes) {
        struct pushed *p = self->pushes;
        self->pushes = p->next;
        free(p);
    }
    if (self->zctx) zmq_ctx_term(self->zctx);
    free(self);
    *self_p = NULL;
}

void kp_conn_set_token(kp_conn *self, const char *token)
{
    kp_strlcpy(self->token, token ? token : "", sizeof self->token);
}

const char *kp_conn_endpoint(const kp_conn *self)
{
    return self ? self->endpoints[self->current] : "";
}

int kp_conn_endpoints(const kp_conn *self)
{
    return self->n_endpoints;
}

void kp_conn_next(kp_conn *self)
{
    if (self->n_endpoints < 2) return;
    self->current = (self->current + 1) % self->n_endpoints;
    char err[256];
    s_open(self, err, sizeof err); /* a failure shows as no answer from it */
}

/* Reads the monitor's pending events into connected / handshake_ok / refused. */
static void s_read_events(kp_conn *self)
{
    if (!self->monitor) return;
    for (;;) {
        zmq_msg_t ev, addr;
        zmq_msg_init(&ev);
        if (zmq_msg_recv(&ev, self->monitor, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&ev);
            return;
        }
        uint16_t id = 0;
        if (zmq_msg_size(&ev) >= 2) memcpy(&id, zmq_msg_data(&ev), 2);
        if (id == ZMQ_EVENT_CONNECTED) self->connected = 1;
        if (id == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) self->handshake_ok = 1;
        if (id == ZMQ_EVENT_CONNECT_RETRIED && !self->connected) self->refused = 1;
        if (id == ZMQ_EVENT_DISCONNECTED) self->dropped = 1;
        if (id == ZMQ_EVENT_DISCONNECTED || id == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL ||
            id == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL || id == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
            self->rejected = 1;
        int more = zmq_msg_more(&ev);
        zmq_msg_close(&ev);
        if (more) { /* the endpoint frame */
            zmq_msg_init(&addr);
            zmq_msg_recv(&addr, self->monitor, 0);
            zmq_msg_close(&addr);
        }
    }
}

/* Keeps a pushed Update's frame for kp_conn_wait_update. */
static void s_keep_push(kp_conn *self, const void *data, size_t len)
{
    struct pushed *p = malloc(sizeof *p + len);
    if (!p) return;
    p->next = NULL;
    p->len = len;
    memcpy(p->data, data, len);
    if (self->pushes_tail)
        self->pushes_tail->next = p;
    else
        self->pushes = p;
    self->pushes_tail = p;
    if (++self->n_pushes > MAX_KEPT_PUSHES) {
        struct pushed *old = self->pushes;
        self->pushes = old->next;
        free(old);
        self->n_pushes--;
    }
}

/* Whether a response is a pushed Update rather than a reply. */
static int s_is_push(const kp_response *r)
{
    return r->body_case == KOMPASS__V1__RESPONSE__BODY_UPDATE &&
           (!r->request_id || !*r->request_id);
}

int kp_conn_wait_update(kp_conn *self, kp_arena *arena, int timeout_ms,
                        Kompass__V1__Update **update)
{
    int64_t deadline = kp_mono_ms() + timeout_ms;
    for (;;) {
        s_read_events(self);
        if (self->pushes) {
            struct pushed *p = self->pushes;
            self->pushes = p->next;
            if (!self->pushes) self->pushes_tail = NULL;
            self->n_pushes--;
            kp_response *r = NULL;
            const char *derr = NULL;
            kp_wire_decode_response(arena, p->data, p->len, &r, &derr);
            free(p);
            if (r && r->update) {
                *update = r->update;
                return 1;
            }
            continue;
        }
        if (self->dropped) {
            self->dropped = 0;
            return -1;
        }
        int left = (int)(deadline - kp_mono_ms());
        if (left <= 0) return 0;
        zmq_pollitem_t items[2] = {{self->sock, 0, ZMQ_POLLIN, 0},
                                   {self->monitor, 0, ZMQ_POLLIN, 0}};
        int rc = zmq_poll(items, self->monitor ? 2 : 1, left);
        if (rc < 0 && errno == EINTR) return 0; /* a signal: let the caller look */
        if (rc <= 0) continue;
        if (!(items[0].revents & ZMQ_POLLIN)) continue;
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, self->sock, ZMQ_DONTWAIT) >= 0 && !zmq_msg_more(&msg)) {
            kp_response *r = NULL;
            const char *derr = NULL;
            kp_wire_decode_response(arena, zmq_msg_data(&msg), zmq_msg_size(&msg), &r, &derr);
            if (r && s_is_push(r)) s_keep_push(self, zmq_msg_data(&msg), zmq_msg_size(&msg));
        }
        /* else a late reply to a timed-out request, or junk: dropped */
        int more = zmq_msg_more(&msg);
        zmq_msg_close(&msg);
        while (more) {
            zmq_msg_init(&msg);
            zmq_msg_recv(&msg, self->sock, 0);
            more = zmq_msg_more(&msg);
            zmq_msg_close(&msg);
        }
    }
}

/* The sentence for an attempt that got no answer. */
static void s_explain_timeout(kp_conn *self, int sent, char *err, size_t errlen)
{
    s_read_events(self);
    double secs = self->timeout_ms / 1000.0;
    const char *endpoint = self->endpoints[self->current];
    if (self->connected && !self->handshake_ok && !self->rejected) {
        snprintf(err, errlen,
                 "kompassd at %.300s accepted the connection but did not answer within %.1f s "
                 "(busy, stopped, or not a kompassd)",
                 endpoint, secs);
    } else if (self->connected && !self->handshake_ok) {
        if (self->insecure)
            snprintf(err, errlen,
                     "kompassd at %.300s refused a plain-text (--insecure) connection: it requires "
                     "CURVE; drop --insecure and give its public key with --server-key",
                     endpoint);
        else
            snprintf(
                err, errlen,
                "no answer from kompassd at %.300s within %.1f s: the secure (CURVE) handshake "
                "failed, so the server key may be wrong (it comes from --server-key, "
                "KOMPASS_SERVER_KEY or server_key in %.300s/config; `kompassd "
                "--print-public-key` prints the right one), or the server runs --insecure",
                endpoint, secs, self->config_dir);
    } else if (!sent && self->refused && self->n_endpoints > 1) {
        snprintf(err, errlen, "kompassd at %.300s refused the connection (is it running?)",
                 endpoint);
    } else if (!sent) {
        snprintf(err, errlen, "cannot reach kompassd at %.300s within %.1f s (is it running?)",
                 endpoint, secs);
    } else {
        snprintf(err, errlen, "no answer from kompassd at %.300s within %.1f s", endpoint, secs);
    }
}

/* Waits until the socket can send (a connection is up). With several
 * endpoints, gives up at once when this one refuses the connection. 1 when
 * ready, 0 when not within the timeout. */
static int s_wait_connected(kp_conn *self, int64_t deadline)
{
    for (;;) {
        int left = (int)(deadline - kp_mono_ms());
        if (left <= 0) return 0;
        zmq_pollitem_t items[2] = {{self->sock, 0, ZMQ_POLLOUT, 0},
                                   {self->monitor, 0, ZMQ_POLLIN, 0}};
        int n = self->monitor && self->n_endpoints > 1 ? 2 : 1;
        int rc = zmq_poll(items, n, left);
        if (rc < 0 && errno == EINTR) continue;
        if (rc <= 0) return 0;
        if (items[0].revents & ZMQ_POLLOUT) return 1;
        s_read_events(self);
        if (self->refused) return 0;
    }
}

/* One attempt on the current endpoint: KP_OK with *resp, or KP_UNAVAILABLE
 * with err. */
static int s_attempt(kp_conn *self, kp_arena *arena, const void *frame, size_t len, const char *id,
                     kp_response **resp, char *err, size_t errlen)
{
    int64_t deadline = kp_mono_ms() + self->timeout_ms;
    /* With ZMQ_IMMEDIATE, a send waits until a connection exists. */
    if (!s_wait_connected(self, deadline) || zmq_send(self->sock, frame, len, ZMQ_DONTWAIT) < 0) {
        s_explain_timeout(self, 0, err, errlen);
        return KP_UNAVAILABLE;
    }
    for (;;) {
        int left = (int)(deadline - kp_mono_ms());
        if (left < 0) left = 0;
        zmq_pollitem_t in = {self->sock, 0, ZMQ_POLLIN, 0};
        int rc = zmq_poll(&in, 1, left);
        if (rc < 0 && errno == EINTR) continue;
        if (rc <= 0) {
            s_explain_timeout(self, 1, err, errlen);
            return KP_UNAVAILABLE;
        }
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, self->sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&msg);
            continue;
        }
        int more = zmq_msg_more(&msg);
        const char *derr = NULL;
        kp_response *r = NULL;
        if (!more)
            kp_wire_decode_response(arena, zmq_msg_data(&msg), zmq_msg_size(&msg), &r, &derr);
        if (r && s_is_push(r)) { /* an update meanwhile: kept for kp_conn_wait_update */
            s_keep_push(self, zmq_msg_data(&msg), zmq_msg_size(&msg));
            r = NULL;
        }
        zmq_msg_close(&msg);
        while (more) { /* not ours: drain a multi-frame message */
            zmq_msg_init(&msg);
            zmq_msg_recv(&msg, self->sock, 0);
            more = zmq_msg_more(&msg);
            zmq_msg_close(&msg);
        }
        if (!r) continue;
        /* A reply to an earlier, timed-out request: skip it. An empty id
         * is the server rejecting a frame it could not read. */
        if (r->request_id && *r->request_id && strcmp(r->request_id, id) != 0) continue;
        *resp = r;
        return KP_OK;
    }
}

int kp_conn_call(kp_conn *self, kp_arena *arena, kp_request *req, kp_response **resp, char *err,
                 size_t errlen)
{
    if (!req->request_id || !*req->request_id) {
        char id[33];
        kp_random_id(id);
        req->request_id = kp_arena_strdup(arena, id);
    }
    req->protocol_version = KP_PROTOCOL_VERSION;
    if (!req->session_token || !*req->session_token)
        req->session_token = kp_arena_strdup(arena, self->token);

    size_t len;
    void *frame = kp_wire_encode_request(arena, req, &len);
    char why[1024];
    const char *all = "";
    for (int tried = 0; tried < self->n_endpoints; tried++) {
        if (tried > 0) kp_conn_next(self);
        int rc = s_attempt(self, arena, frame, len, req->request_id, resp, why, sizeof why);
        if (rc == KP_OK) return KP_OK;
        all = kp_arena_printf(arena, "%s%s%s", all, *all ? "; " : "", why);
    }
    if (self->n_endpoints > 1)
        snprintf(err, errlen, "no kompassd answered (tried %d): %s", self->n_endpoints, all);
    else
        snprintf(err, errlen, "%s", all);
    return KP_UNAVAILABLE;
}
