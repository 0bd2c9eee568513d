/*  worker: a thread that answers requests, with its own database connection.
 *
 *  Group commit. When a write arrives with more requests waiting behind it
 *  (the broker says so), one worker at a time (s_lane) opens a transaction
 *  and runs that request and the waiting writes it asks the broker for
 *  ("MORE"), each in a savepoint of its own, then commits them all at once:
 *  one WAL flush for many writes. Each reply is sent only after that COMMIT
 *  succeeded; a request that fails is rolled back to its savepoint alone;
 *  if the COMMIT fails, every request that had succeeded fails with it
 *  (nothing of them was written). Retried writes (server/replay.c) record
 *  their answers inside the same transaction, and audit chains are
 *  appended in the order the requests ran. Only one group at a time: two
 *  groups holding evaluations' locks could wait for each other; a group and
 *  a single request about one evaluation cannot (the request locks that
 *  evaluation, then its chain, and nothing else).
 */
#include "worker.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "dispatch.h"
#include "log.h"
#include "lograte.h"
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
        kp_lograte_event(KP_LOGRATE_MALFORMED, *r->peer_key ? r->peer_key : r->peer_addr,
                         kp_mono_ms(), "worker", "bad request from %s%s%s: %s", r->peer_addr,
                         *r->peer_key ? " key " : "", r->peer_key, error);
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

#define GROUP_MAX 64 /* requests in one group commit at most */

/* Held by the worker running a group commit. */
static pthread_mutex_t s_lane = PTHREAD_MUTEX_INITIALIZER;

/* Receives one frame into msg; 0, or -1 when the context is shut down. */
static int s_recv(void *sock, zmq_msg_t *msg)
{
    for (;;) {
        if (zmq_msg_recv(msg, sock, 0) >= 0) return 0;
        if (errno == EINTR) continue;
        return -1;
    }
}

/* A request of a group: its envelope, and its reply once it ran. */
typedef struct {
    zmq_msg_t env, meta;
    void *reply; /* malloc'd */
    size_t len;
    char *request_id; /* malloc'd, for a failure that replaces the reply */
    int ok;           /* the reply says OK (it must wait for the COMMIT) */
} grouped;

/* Whether frame holds a request that may join a group commit. */
static int s_batchable(kp_arena *arena, zmq_msg_t *frame)
{
    kp_request *msg = NULL;
    const char *rid = "", *error = NULL;
    int ok = kp_wire_decode_request(arena, zmq_msg_data(frame), zmq_msg_size(frame), &msg, &rid,
                                    &error) == KP_OK &&
             kp_dispatch_batchable(msg);
    kp_arena_reset(arena);
    return ok;
}

/* Fills r from the broker's meta: "<flags and ticket>|<peer address>|<peer
 * key>" (server/broker.c, s_send_to), copied into buf. */
static void s_parse_meta(zmq_msg_t *meta, char *buf, size_t buflen, kp_req *r)
{
    size_t mlen = zmq_msg_size(meta) < buflen - 1 ? zmq_msg_size(meta) : buflen - 1;
    memcpy(buf, zmq_msg_data(meta), mlen);
    buf[mlen] = '\0';
    char *addr = strchr(buf, '|');
    char *key = addr ? strchr(addr + 1, '|') : NULL;
    if (addr) *addr++ = '\0';
    if (key) *key++ = '\0';
    r->peer_addr = addr ? addr : "";
    r->peer_key = key ? key : "";
}

/* Tells the broker, in the meta frame going back with the reply (its third
 * character, server/broker.c), what this request showed of its session
 * token: 'S' a live session, 'x' a token that is none, '-' nothing (no
 * token, or the request did not get that far). The broker's fair queue
 * counts a token's requests for its session only after a worker said 'S'. */
static void s_mark_session(zmq_msg_t *meta, const kp_req *r)
{
    if (zmq_msg_size(meta) < 3) return;
    char flag = '-';
    if (r->session_id > 0)
        flag = 'S';
    else if (r->msg && r->msg->session_token && *r->msg->session_token && r->resp &&
             r->resp->status == KOMPASS__V1__STATUS__UNAUTHENTICATED)
        flag = 'x';
    ((char *)zmq_msg_data(meta))[2] = flag;
}

/* A failure reply for request_id, malloc'd, into g. */
static void s_fail_reply(kp_arena *arena, grouped *g, int status, const char *why)
{
    size_t len;
    kp_response *resp = kp_wire_error(arena, g->request_id, status, "%s", why);
    void *bytes = kp_wire_encode_response(arena, resp, &len);
    free(g->reply);
    g->reply = malloc(len ? len : 1);
    if (g->reply) memcpy(g->reply, bytes, len);
    g->len = g->reply ? len : 0;
    g->ok = 0;
    kp_arena_reset(arena);
}

/* Runs one request of a group (in its savepoint) into g. */
static void s_group_run(kp_worker_args *args, kp_db *db, kp_arena *arena, grouped *g,
                        zmq_msg_t *frame)
{
    char metabuf[256];
    kp_req r = {0};
    r.arena = arena;
    r.db = db;
    r.server = args->info;
    r.worker = args->id;
    s_parse_meta(&g->meta, metabuf, sizeof metabuf, &r);
    int entered = kp_db_batch_enter(db);
    size_t len = 0;
    void *reply = entered == KP_OK
                      ? kp_worker_handle(&r, zmq_msg_data(frame), zmq_msg_size(frame), &len)
                      : NULL;
    s_mark_session(&g->meta, &r);
    g->request_id = strdup(r.msg && r.msg->request_id ? r.msg->request_id : "");
    g->ok = reply && r.resp && r.resp->status == KOMPASS__V1__STATUS__OK;
    g->reply = malloc(len ? len : 1);
    if (g->reply && reply) memcpy(g->reply, reply, len);
    g->len = len;
    kp_arena_reset(arena);
    if (entered != KP_OK || kp_db_batch_leave(db) != KP_OK)
        s_fail_reply(arena, g, KP_UNAVAILABLE,
                     "the database failed while this request ran; nothing of it was written; "
                     "retry shortly");
}

/* A group commit that starts with the request in env/meta/frame (moved in).
 * Sends every reply. Returns 1 when it ends holding a request that may not
 * join (in env/meta/frame, for the caller to run on its own), else 0;
 * -1 when the context is shut down. */
static int s_group(kp_worker_args *args, void *sock, kp_db *db, kp_arena *arena, zmq_msg_t *env,
                   zmq_msg_t *meta, zmq_msg_t *frame)
{
    grouped *g = calloc(GROUP_MAX, sizeof *g);
    int n = 0, leftover = 0, gone = 0;
    int rc = kp_db_batch_begin(db);
    for (;;) {
        grouped *cur = &g[n++];
        zmq_msg_init(&cur->env);
        zmq_msg_init(&cur->meta);
        zmq_msg_move(&cur->env, env);
        zmq_msg_move(&cur->meta, meta);
        if (rc == KP_OK) {
            s_group_run(args, db, arena, cur, frame);
        } else {
            kp_req r = {0};
            r.arena = arena;
            r.db = db;
            r.server = args->info;
            r.worker = args->id;
            char metabuf[256];
            s_parse_meta(&cur->meta, metabuf, sizeof metabuf, &r);
            cur->request_id = strdup("");
            s_fail_reply(arena, cur, KP_UNAVAILABLE, "database unavailable; retry shortly");
        }
        zmq_msg_close(frame);
        zmq_msg_init(frame);
        if (rc != KP_OK || n == GROUP_MAX) break;
        /* The next waiting request, if any. */
        if (zmq_send(sock, "MORE", 4, 0) < 0 || s_recv(sock, env) != 0) {
            gone = 1;
            break;
        }
        if (!zmq_msg_more(env)) break; /* NONE */
        if (s_recv(sock, meta) != 0 || s_recv(sock, frame) != 0) {
            gone = 1;
            break;
        }
        if (!s_batchable(arena, frame)) {
            leftover = 1;
            break;
        }
    }
    if (rc == KP_OK) {
        int crc = kp_db_batch_commit(db);
        kp_debug("worker", "group commit of %d requests: %s", n, kp_status_name(crc));
        if (crc != KP_OK) {
            const char *why = crc == KP_UNAVAILABLE
                                  ? "database unavailable while committing; nothing was written; "
                                    "retry shortly"
                                  : "internal error while committing (logged on the server); "
                                    "nothing was written";
            if (crc != KP_UNAVAILABLE)
                kp_error("worker", "group commit of %d requests failed: %s", n, kp_db_error(db));
            for (int i = 0; i < n; i++)
                if (g[i].ok) s_fail_reply(arena, &g[i], crc, why);
        }
    }
    for (int i = 0; i < n; i++) {
        /* "+": more replies of this worker follow; the last one frees it. */
        int more = i < n - 1 || leftover;
        if (!gone && (zmq_msg_send(&g[i].env, sock, ZMQ_SNDMORE) < 0 ||
                      zmq_msg_send(&g[i].meta, sock, ZMQ_SNDMORE) < 0 ||
                      zmq_send(sock, g[i].reply, g[i].len, more ? ZMQ_SNDMORE : 0) < 0 ||
                      (more && zmq_send(sock, "+", 1, 0) < 0)))
            gone = errno == ETERM;
        zmq_msg_close(&g[i].env);
        zmq_msg_close(&g[i].meta);
        free(g[i].reply);
        free(g[i].request_id);
    }
    free(g);
    return gone ? -1 : leftover;
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
    /* Subscribe registers its connection with the publisher through this. */
    void *subscribe = NULL;
    if (args->info->subs) {
        subscribe = zmq_socket(args->zctx, ZMQ_DEALER);
        zmq_setsockopt(subscribe, ZMQ_LINGER, &linger, sizeof linger);
        zmq_connect(subscribe, args->info->subs);
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

        /* A write with others waiting behind it: a group commit, unless
         * another worker runs one. */
        int queued = zmq_msg_size(&meta) > 1 && ((char *)zmq_msg_data(&meta))[1] == 'q';
        if (queued && s_batchable(arena, &frame) && pthread_mutex_trylock(&s_lane) == 0) {
            int left = s_group(args, sock, db, arena, &env, &meta, &frame);
            pthread_mutex_unlock(&s_lane);
            kp_stats_set_db_up(args->info->stats, args->id, kp_db_connected(db));
            if (left < 0) break;
            if (left == 0) {
                zmq_msg_close(&env);
                zmq_msg_close(&meta);
                zmq_msg_close(&frame);
                continue;
            }
            /* else: the request that ended the group runs on its own */
        }

        char metabuf[256];
        kp_req r = {0};
        r.arena = arena;
        r.db = db;
        r.server = args->info;
        r.worker = args->id;
        s_parse_meta(&meta, metabuf, sizeof metabuf, &r);
        r.client_id = zmq_msg_data(&env);
        r.client_id_len = zmq_msg_size(&env);
        r.req_socket = metabuf[0] == '1';
        r.subscribe = subscribe;
        size_t reply_len = 0;
        void *reply = kp_worker_handle(&r, zmq_msg_data(&frame), zmq_msg_size(&frame), &reply_len);
        kp_stats_set_db_up(args->info->stats, args->id, kp_db_connected(db));
        s_mark_session(&meta, &r);

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
    if (subscribe) zmq_close(subscribe);
    zmq_close(sock);
    return NULL;
}
