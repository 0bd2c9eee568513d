/*  zap: kompassd's ZeroMQ authentication handler (see zap.h). */
#include "zap.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "curve.h"
#include "log.h"

#define ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define MAX_FRAMES   8 /* version, id, domain, address, identity, mechanism, credentials */

struct kp_zap {
    void *sock; /* REP, owned by the thread once it runs */
    pthread_t thread;
    int running;
};

/* Whether frame equals the text s. */
static int s_is(zmq_msg_t *frame, const char *s)
{
    size_t n = strlen(s);
    return zmq_msg_size(frame) == n && memcmp(zmq_msg_data(frame), s, n) == 0;
}

/* Decides one request: frames[0..n). Fills status ("200"/"400"), a reason
 * and, when accepted, the user id (the client key in Z85). */
static void s_decide(zmq_msg_t *frames, int n, const char **status, const char **reason,
                     char *user_id)
{
    *status = "400";
    user_id[0] = '\0';
    if (n < 6 || !s_is(&frames[0], "1.0")) {
        *reason = "malformed ZAP request";
        return;
    }
    if (!s_is(&frames[2], KP_ZAP_DOMAIN)) {
        *reason = "unknown domain";
        return;
    }
    if (!s_is(&frames[5], "CURVE")) {
        *reason = "only CURVE is accepted";
        return;
    }
    if (n != 7 || zmq_msg_size(&frames[6]) != 32) {
        *reason = "malformed CURVE credentials";
        return;
    }
    zmq_z85_encode(user_id, zmq_msg_data(&frames[6]), 32);
    *status = "200";
    *reason = "OK";
}

static void *s_run(void *arg)
{
    kp_zap *self = arg;
    for (;;) {
        zmq_msg_t frames[MAX_FRAMES];
        int n = 0, more = 1, dead = 0;
        while (more) {
            zmq_msg_t m;
            zmq_msg_init(&m);
            if (zmq_msg_recv(&m, self->sock, 0) < 0) {
                zmq_msg_close(&m);
                if (errno == EINTR) continue;
                dead = 1;
                break;
            }
            more = zmq_msg_more(&m);
            if (n < MAX_FRAMES)
                frames[n++] = m;
            else
                zmq_msg_close(&m);
        }
        if (dead) {
            for (int i = 0; i < n; i++)
                zmq_msg_close(&frames[i]);
            break;
        }
        const char *status, *reason;
        char user_id[KP_CURVE_KEY_LEN + 1];
        s_decide(frames, n, &status, &reason, user_id);
        if (*status != '2') kp_debug("zap", "refused a connection: %s", reason);
        /* version, request id, status, text, user id, metadata */
        zmq_send(self->sock, "1.0", 3, ZMQ_SNDMORE);
        if (n > 1)
            zmq_msg_send(&frames[1], self->sock, ZMQ_SNDMORE);
        else
            zmq_send(self->sock, "", 0, ZMQ_SNDMORE);
        zmq_send(self->sock, status, 3, ZMQ_SNDMORE);
        zmq_send(self->sock, reason, strlen(reason), ZMQ_SNDMORE);
        zmq_send(self->sock, user_id, strlen(user_id), ZMQ_SNDMORE);
        zmq_send(self->sock, "", 0, 0);
        for (int i = 0; i < n; i++)
            zmq_msg_close(&frames[i]);
    }
    zmq_close(self->sock);
    return NULL;
}

kp_zap *kp_zap_start(void *zctx, char *err, size_t errlen)
{
    kp_zap *self = calloc(1, sizeof *self);
    if (!self) return NULL;
    self->sock = zmq_socket(zctx, ZMQ_REP);
    int linger = 0;
    zmq_setsockopt(self->sock, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_bind(self->sock, ZAP_ENDPOINT) != 0) {
        snprintf(err, errlen, "cannot bind the ZAP handler at %s: %s", ZAP_ENDPOINT,
                 zmq_strerror(errno));
        zmq_close(self->sock);
        free(self);
        return NULL;
    }
    /* The socket moves to the new thread; pthread_create is the fence. */
    if (pthread_create(&self->thread, NULL, s_run, self) != 0) {
        snprintf(err, errlen, "cannot start the ZAP handler thread");
        zmq_close(self->sock);
        free(self);
        return NULL;
    }
    self->running = 1;
    return self;
}

void kp_zap_destroy(kp_zap **self_p)
{
    if (!self_p || !*self_p) return;
    kp_zap *self = *self_p;
    if (self->running) pthread_join(self->thread, NULL);
    free(self);
    *self_p = NULL;
}
