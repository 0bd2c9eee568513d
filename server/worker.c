/*  worker: a thread that answers requests, with its own database connection. */
#include "worker.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <zmq.h>

#include "dispatch.h"
#include "log.h"
#include "util.h"

void *kp_worker_handle(kp_req *r, const void *frame, size_t len, size_t *reply_len)
{
    kp_request *msg = NULL;
    const char *request_id = "", *error = NULL;
    int64_t t0 = kp_mono_us();
    int slot = 0;
    int rc = kp_wire_decode_request(r->arena, frame, len, &msg, &request_id, &error);
    if (rc != KP_OK) {
        r->resp = kp_wire_error(r->arena, request_id, rc, "%s", error);
        kp_info("worker", "bad request from %s: %s", r->peer_addr, error);
    } else {
        slot = kp_dispatch_slot((int)msg->body_case);
        r->msg = msg;
        r->resp = kp_arena_zalloc(r->arena, sizeof *r->resp);
        kompass__v1__response__init(r->resp);
        r->resp->request_id = msg->request_id;
        kp_dispatch(r);
        kp_debug("worker", "%s %s from %s in %.1f ms", kp_wire_body_name(msg),
                 kp_status_name((int)r->resp->status), r->peer_addr,
                 (double)(kp_mono_us() - t0) / 1000.0);
    }
    void *reply = kp_wire_encode_response(r->arena, r->resp, reply_len);
    if (r->server)
        kp_stats_record(r->server->stats, r->worker, slot, (int)r->resp->status, kp_mono_us() - t0);
    return reply;
}

/* Receives one frame into msg; 0, or -1 when the context is shut down. */
static int s_recv(void *sock, zmq_msg_t *msg)
{
    for (;;) {
        if (zmq_msg_recv(msg, sock, 0) >= 0) return 0;
        if (errno == EINTR) continue;
        return -1;
    }
}

void *kp_worker_main(void *argp)
{
    kp_worker_args *args = argp;
    void *sock = zmq_socket(args->zctx, ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_connect(sock, args->backend) != 0) {
        kp_error("worker", "worker %d cannot connect to %s: %s", args->id, args->backend,
                 zmq_strerror(errno));
        zmq_close(sock);
        return NULL;
    }
    kp_db *db = kp_db_new(args->conninfo);
    kp_arena *arena = kp_arena_new();
    if (kp_db_ensure(db) != KP_OK)
        kp_warn("worker", "worker %d: database not reachable yet: %s", args->id, kp_db_error(db));
    kp_stats_set_db_up(args->info->stats, args->id, kp_db_connected(db));
    zmq_send(sock, "READY", 5, 0);

    zmq_msg_t env, meta, frame;
    for (;;) {
        zmq_msg_init(&env);
        zmq_msg_init(&meta);
        zmq_msg_init(&frame);
        if (s_recv(sock, &env) != 0 || s_recv(sock, &meta) != 0 || s_recv(sock, &frame) != 0) break;

        /* meta: "<delimiter flag>|<peer address>|<peer key>" from the broker */
        char metabuf[256];
        size_t mlen =
            zmq_msg_size(&meta) < sizeof metabuf - 1 ? zmq_msg_size(&meta) : sizeof metabuf - 1;
        memcpy(metabuf, zmq_msg_data(&meta), mlen);
        metabuf[mlen] = '\0';
        char *addr = strchr(metabuf, '|');
        char *key = addr ? strchr(addr + 1, '|') : NULL;
        if (addr) *addr++ = '\0';
        if (key) *key++ = '\0';

        kp_req r = {0};
        r.arena = arena;
        r.db = db;
        r.server = args->info;
        r.peer_addr = addr ? addr : "";
        r.peer_key = key ? key : "";
        r.worker = args->id;
        size_t reply_len = 0;
        void *reply = kp_worker_handle(&r, zmq_msg_data(&frame), zmq_msg_size(&frame), &reply_len);
        kp_stats_set_db_up(args->info->stats, args->id, kp_db_connected(db));

        if (zmq_msg_send(&env, sock, ZMQ_SNDMORE) < 0 ||
            zmq_msg_send(&meta, sock, ZMQ_SNDMORE) < 0 || zmq_send(sock, reply, reply_len, 0) < 0) {
            if (errno == ETERM) break;
        }
        zmq_msg_close(&env);
        zmq_msg_close(&meta);
        zmq_msg_close(&frame);
        kp_arena_reset(arena);
    }
    zmq_msg_close(&env);
    zmq_msg_close(&meta);
    zmq_msg_close(&frame);
    kp_arena_destroy(&arena);
    kp_db_destroy(&db);
    zmq_close(sock);
    return NULL;
}
