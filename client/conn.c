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

#define MONITOR_ENDPOINT "inproc://kompass-conn-monitor"

struct kp_conn {
    void *zctx;
    void *sock;
    void *monitor; /* PAIR receiving the socket's connection events */
    char endpoint[1024];
    char config_dir[1024];
    int insecure;
    int timeout_ms;
    char token[128];
    int connected;    /* a transport connection was made at least once */
    int handshake_ok; /* a security handshake completed at least once */
};

kp_conn *kp_conn_new(const kp_settings *s, char *err, size_t errlen)
{
    if (s->insecure && !kp_endpoint_is_local(s->server)) {
        snprintf(err, errlen,
                 "--insecure is refused for %s: plain text is only allowed to loopback "
                 "(127.0.0.1, ::1) or ipc:// endpoints",
                 s->server);
        return NULL;
    }
    if (!s->insecure && !s->server_key[0]) {
        snprintf(err, errlen,
                 "no server key for %s: give kompassd's public key with --server-key, "
                 "KOMPASS_SERVER_KEY or `server_key = ...` in %s/config (`kompassd "
                 "--print-public-key` prints it; deploy/run writes it for you)",
                 s->server, s->config_dir);
        return NULL;
    }
    kp_conn *self = calloc(1, sizeof *self);
    if (!self) return NULL;
    kp_strlcpy(self->endpoint, s->server, sizeof self->endpoint);
    kp_strlcpy(self->config_dir, s->config_dir, sizeof self->config_dir);
    self->insecure = s->insecure;
    self->timeout_ms = (int)(s->timeout * 1000);
    self->zctx = zmq_ctx_new();
    self->sock = zmq_socket(self->zctx, ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt(self->sock, ZMQ_LINGER, &linger, sizeof linger);
    /* A reconnecting client must not hand old replies to new requests. */
    int one = 1;
    zmq_setsockopt(self->sock, ZMQ_IMMEDIATE, &one, sizeof one);
    if (!s->insecure && kp_curve_client_apply(self->sock, s->server_key, err, errlen) != 0) {
        kp_conn_destroy(&self);
        return NULL;
    }
    if (zmq_socket_monitor(self->sock, MONITOR_ENDPOINT,
                           ZMQ_EVENT_CONNECTED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED) == 0) {
        self->monitor = zmq_socket(self->zctx, ZMQ_PAIR);
        zmq_setsockopt(self->monitor, ZMQ_LINGER, &linger, sizeof linger);
        if (zmq_connect(self->monitor, MONITOR_ENDPOINT) != 0) {
            zmq_close(self->monitor);
            self->monitor = NULL;
        }
    }
    if (zmq_connect(self->sock, self->endpoint) != 0) {
        snprintf(err, errlen, "invalid server endpoint '%s': %s (expected e.g. tcp://host:5555)",
                 self->endpoint, zmq_strerror(errno));
        kp_conn_destroy(&self);
        return NULL;
    }
    return self;
}

void kp_conn_destroy(kp_conn **self_p)
{
    if (!self_p || !*self_p) return;
    kp_conn *self = *self_p;
    if (self->monitor) zmq_close(self->monitor);
    if (self->sock) zmq_close(self->sock);
    if (self->zctx) zmq_ctx_term(self->zctx);
    free(self);
    *self_p = NULL;
}

void kp_conn_set_token(kp_conn *self, const char *token)
{
    kp_strlcpy(self->token, token ? token : "", sizeof self->token);
}

/* Reads the monitor's pending events into connected / handshake_ok. */
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
        int more = zmq_msg_more(&ev);
        zmq_msg_close(&ev);
        if (more) { /* the endpoint frame */
            zmq_msg_init(&addr);
            zmq_msg_recv(&addr, self->monitor, 0);
            zmq_msg_close(&addr);
        }
    }
}

/* The sentence for a call that got no answer in time. */
static void s_explain_timeout(kp_conn *self, int sent, char *err, size_t errlen)
{
    s_read_events(self);
    double secs = self->timeout_ms / 1000.0;
    if (self->connected && !self->handshake_ok) {
        if (self->insecure)
            snprintf(err, errlen,
                     "kompassd at %s refused a plain-text (--insecure) connection: it requires "
                     "CURVE; drop --insecure and give its public key with --server-key",
                     self->endpoint);
        else
            snprintf(err, errlen,
                     "no answer from kompassd at %s within %.1f s: the secure (CURVE) handshake "
                     "failed, so the server key may be wrong (it comes from --server-key, "
                     "KOMPASS_SERVER_KEY or server_key in %s/config; `kompassd "
                     "--print-public-key` prints the right one), or the server runs --insecure",
                     self->endpoint, secs, self->config_dir);
    } else if (!sent) {
        snprintf(err, errlen, "cannot reach kompassd at %s within %.1f s (is it running?)",
                 self->endpoint, secs);
    } else {
        snprintf(err, errlen, "no answer from kompassd at %s within %.1f s", self->endpoint, secs);
    }
}

int kp_conn_call(kp_conn *self, kp_arena *arena, kp_request *req, kp_response **resp, char *err,
                 size_t errlen)
{
    char id[33];
    kp_random_id(id);
    req->request_id = kp_arena_strdup(arena, id);
    req->protocol_version = KP_PROTOCOL_VERSION;
    if (!req->session_token || !*req->session_token)
        req->session_token = kp_arena_strdup(arena, self->token);

    size_t len;
    void *frame = kp_wire_encode_request(arena, req, &len);
    int64_t deadline = kp_mono_ms() + self->timeout_ms;

    /* With ZMQ_IMMEDIATE, a send waits until a connection exists. */
    zmq_pollitem_t out = {self->sock, 0, ZMQ_POLLOUT, 0};
    int left = self->timeout_ms;
    if (zmq_poll(&out, 1, left) <= 0 || zmq_send(self->sock, frame, len, ZMQ_DONTWAIT) < 0) {
        s_explain_timeout(self, 0, err, errlen);
        return KP_UNAVAILABLE;
    }
    for (;;) {
        left = (int)(deadline - kp_mono_ms());
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
