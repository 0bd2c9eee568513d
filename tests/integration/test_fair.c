/*  Fair service (issue 16, server/fairq.c): a client has a bounded number
 *  of requests in hand (per live session; per connection without one), the
 *  excess of that client alone is answered UNAVAILABLE at once, and the
 *  workers take turns across clients, so that a greedy client's queue does
 *  not stand in front of anyone else's request.
 *
 *  Logins and Reauthenticate (argon2id, tens of milliseconds each) keep one
 *  worker busy long enough that everything sent in one burst is in hand at
 *  once. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "harness.h"
#include "util.h"

#define PASSWORD "greedy-password-123"

/* A serialized request with id: a Login of greedy (token NULL) or a
 * Reauthenticate in the session token; a Ping when ping is set. */
static void *s_frame(kp_arena *a, const char *id, const char *token, int ping, size_t *len)
{
    kp_request *req = kp_arena_zalloc(a, sizeof *req);
    kompass__v1__request__init(req);
    req->request_id = (char *)id;
    req->protocol_version = KP_PROTOCOL_VERSION;
    if (ping) {
        Kompass__V1__PingRequest *p = kp_arena_zalloc(a, sizeof *p);
        kompass__v1__ping_request__init(p);
        req->body_case = KOMPASS__V1__REQUEST__BODY_PING;
        req->ping = p;
    } else if (token) {
        Kompass__V1__ReauthenticateRequest *in = kp_arena_zalloc(a, sizeof *in);
        kompass__v1__reauthenticate_request__init(in);
        in->password = kp_arena_strdup(a, PASSWORD);
        req->session_token = (char *)token;
        req->body_case = KOMPASS__V1__REQUEST__BODY_REAUTHENTICATE;
        req->reauthenticate = in;
    } else {
        Kompass__V1__LoginRequest *in = kp_arena_zalloc(a, sizeof *in);
        kompass__v1__login_request__init(in);
        in->login = "greedy";
        in->password = kp_arena_strdup(a, PASSWORD);
        req->body_case = KOMPASS__V1__REQUEST__BODY_LOGIN;
        req->login = in;
    }
    return kp_wire_encode_request(a, req, len);
}

/* One reply as it arrived: on which socket, its id and status. */
typedef struct {
    int sock;
    char id[40];
    int status;
    int refused_busy; /* UNAVAILABLE saying "too many of your requests" */
} arrival;

/* Receives until `want` replies came on socks (or 120 s); their order. */
static int s_collect(void **socks, int n, arrival *out, int want, kp_arena *a)
{
    zmq_pollitem_t items[16];
    for (int i = 0; i < n; i++)
        items[i] = (zmq_pollitem_t){socks[i], 0, ZMQ_POLLIN, 0};
    int got = 0;
    int64_t deadline = kp_mono_ms() + 120000;
    while (got < want && kp_mono_ms() < deadline) {
        if (zmq_poll(items, n, 1000) <= 0) continue;
        for (int i = 0; i < n; i++) {
            if (!(items[i].revents & ZMQ_POLLIN)) continue;
            zmq_msg_t m;
            zmq_msg_init(&m);
            while (got < want && zmq_msg_recv(&m, socks[i], ZMQ_DONTWAIT) >= 0) {
                kp_response *r = NULL;
                const char *e;
                cr_assert_eq(kp_wire_decode_response(a, zmq_msg_data(&m), zmq_msg_size(&m), &r, &e),
                             KP_OK);
                arrival *ar = &out[got++];
                ar->sock = i;
                snprintf(ar->id, sizeof ar->id, "%s", r->request_id);
                ar->status = (int)r->status;
                ar->refused_busy = r->status == KOMPASS__V1__STATUS__UNAVAILABLE &&
                                   strstr(r->error, "too many of your requests in flight");
            }
            zmq_msg_close(&m);
        }
    }
    return got;
}

static void s_send(void *sock, kp_arena *a, const char *id, const char *token, int ping)
{
    size_t len;
    void *frame = s_frame(a, id, token, ping, &len);
    cr_assert(zmq_send(sock, frame, len, 0) >= 0);
}

Test(fair, a_connection_over_its_share_is_refused_alone, .timeout = 240)
{
    th_opts o = {.workers = 1};
    th_server *s = th_server_start_opts(&o);
    th_user_add(s, "greedy", "evaluator", PASSWORD);
    kp_arena *a = kp_arena_new();
    void *socks[2] = {th_dealer(s), th_dealer(s)};
    /* 20 logins in one burst, then another client's ping. */
    char ids[20][16];
    for (int i = 0; i < 20; i++) {
        snprintf(ids[i], sizeof ids[i], "login-%d", i);
        s_send(socks[0], a, ids[i], NULL, 0);
    }
    usleep(100000);
    s_send(socks[1], a, "other-ping", NULL, 1);
    arrival got[21];
    cr_assert_eq(s_collect(socks, 2, got, 21, a), 21, "every request is answered");
    int refused = 0, ok = 0;
    for (int i = 0; i < 21; i++) {
        if (got[i].sock == 1) {
            cr_assert_eq(got[i].status, KOMPASS__V1__STATUS__OK, "the other client is served");
            cr_assert_str_eq(got[i].id, "other-ping");
            continue;
        }
        if (got[i].refused_busy) {
            refused++;
            /* The excess is the last four sent, each answered by its id. */
            int n = -1;
            cr_assert_eq(sscanf(got[i].id, "login-%d", &n), 1, "id '%s' echoed", got[i].id);
            cr_assert(n >= 16, "login-%d refused though only %d were in hand", n, n);
        } else {
            cr_assert_eq(got[i].status, KOMPASS__V1__STATUS__OK, "login %s: status %d", got[i].id,
                         got[i].status);
            ok++;
        }
    }
    cr_assert_eq(refused, 4, "16 in hand per connection: 4 of 20 refused, not %d", refused);
    cr_assert_eq(ok, 16);
    /* Once answered, the same connection is served again. */
    s_send(socks[0], a, "again", NULL, 1);
    cr_assert_eq(s_collect(socks, 1, got, 1, a), 1);
    cr_assert_eq(got[0].status, KOMPASS__V1__STATUS__OK);
    for (int i = 0; i < 2; i++)
        zmq_close(socks[i]);
    kp_arena_destroy(&a);
    th_server_free(&s);
}

Test(fair, another_client_waits_for_one_turn_not_for_a_greedy_queue, .timeout = 240)
{
    th_opts o = {.workers = 1};
    th_server *s = th_server_start_opts(&o);
    th_user_add(s, "greedy", "evaluator", PASSWORD);
    kp_arena *a = kp_arena_new();
    /* Four greedy connections with 16 logins each (their whole share), all
     * waiting for the one worker; then a fifth client's ping. First come,
     * first served would answer it after some 60 logins. */
    void *socks[5];
    for (int i = 0; i < 5; i++)
        socks[i] = th_dealer(s);
    char id[32];
    for (int k = 0; k < 16; k++)
        for (int c = 0; c < 4; c++) {
            snprintf(id, sizeof id, "g%d-%d", c, k);
            s_send(socks[c], a, id, NULL, 0);
        }
    usleep(200000);
    s_send(socks[4], a, "victim", NULL, 1);
    arrival got[65];
    cr_assert_eq(s_collect(socks, 5, got, 65, a), 65, "every request is answered");
    int before = -1;
    for (int i = 0; i < 65; i++) {
        if (got[i].sock == 4) {
            cr_assert_eq(got[i].status, KOMPASS__V1__STATUS__OK);
            before = i;
        } else {
            cr_assert_eq(got[i].status, KOMPASS__V1__STATUS__OK, "greedy %s: status %d (%s)",
                         got[i].id, got[i].status, got[i].refused_busy ? "busy" : "");
        }
    }
    /* In turns: the login running, what ran in the 200 ms, and one round. */
    cr_assert(before >= 0);
    cr_assert(before <= 12, "the ping waited for %d logins of the greedy client", before);
    for (int i = 0; i < 5; i++)
        zmq_close(socks[i]);
    kp_arena_destroy(&a);
    th_server_free(&s);
}

Test(fair, a_live_session_has_one_share_over_all_its_connections, .timeout = 240)
{
    th_opts o = {.workers = 1};
    th_server *s = th_server_start_opts(&o);
    th_user_add(s, "greedy", "evaluator", PASSWORD);
    kp_arena *a = kp_arena_new();
    void *socks[6];
    for (int i = 0; i < 6; i++)
        socks[i] = th_dealer(s);
    const char *token = th_token(socks[0], a, "greedy", PASSWORD);
    /* The server learns that the token is a live session from its first use. */
    s_send(socks[0], a, "first", token, 0);
    arrival got[81];
    cr_assert_eq(s_collect(socks, 1, got, 1, a), 1);
    cr_assert_eq(got[0].status, KOMPASS__V1__STATUS__OK);
    /* 80 requests of the session over 5 connections (16 each: within
     * every connection's share), then a ping of a sixth. */
    char id[32];
    for (int k = 0; k < 16; k++)
        for (int c = 0; c < 5; c++) {
            snprintf(id, sizeof id, "s%d-%d", c, k);
            s_send(socks[c], a, id, token, 0);
        }
    usleep(200000);
    s_send(socks[5], a, "victim", NULL, 1);
    cr_assert_eq(s_collect(socks, 6, got, 81, a), 81, "every request is answered");
    int refused = 0, ok = 0;
    for (int i = 0; i < 81; i++) {
        if (got[i].sock == 5) {
            cr_assert_eq(got[i].status, KOMPASS__V1__STATUS__OK, "the other client is served");
        } else if (got[i].refused_busy) {
            refused++;
        } else {
            cr_assert_eq(got[i].status, KOMPASS__V1__STATUS__OK, "%s: status %d", got[i].id,
                         got[i].status);
            ok++;
        }
    }
    /* 64 in hand per session: about 16 refused (fewer if one was answered
     * while the burst still arrived), none if it counted per connection. */
    cr_assert(refused >= 10 && refused <= 16, "%d of 80 refused", refused);
    cr_assert_eq(ok + refused, 80);
    for (int i = 0; i < 6; i++)
        zmq_close(socks[i]);
    kp_arena_destroy(&a);
    th_server_free(&s);
}

/* ---------------------------------------------------------------- bounded logging */

static long long s_log_size(const th_server *s)
{
    struct stat st;
    cr_assert_eq(stat(s->log, &st), 0, "%s", s->log);
    return (long long)st.st_size;
}

static int s_occurrences(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

Test(fair, junk_frames_from_one_client_hardly_grow_the_log, .timeout = 300)
{
    /* The harness runs kompassd at --log-level debug: the bound holds there
     * too. */
    th_server *s = th_server_start(NULL);
    const char *admin = th_admin(s); /* before measuring: its login is logged */
    kp_arena *a = kp_arena_new();
    void *sock = zmq_socket(th_zctx(), ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
    char key[KP_CURVE_KEY_LEN + 1];
    th_curve_client(s, sock, key);
    cr_assert_eq(zmq_connect(sock, s->listen), 0);
    /* one reply first: the connection is up before the clock starts */
    kp_response *r = th_call_raw(sock, a, "\xff\xff\xff", 3, 20000);
    cr_assert(r && r->status == KOMPASS__V1__STATUS__BAD_REQUEST);
    long long before = s_log_size(s);

    /* 5,000 junk frames (no two alike), 8 in flight at a time: within the
     * connection's share, so every one is read and refused as malformed */
    enum { JUNK = 5000, WINDOW = 8 };
    int sent = 0, answered = 0, bad = 0;
    int64_t t0 = kp_mono_ms(), deadline = t0 + 180000;
    while (answered < JUNK && kp_mono_ms() < deadline) {
        while (sent < JUNK && sent - answered < WINDOW) {
            unsigned char junk[8] = {
                0xff, 0xff, 0xff, (unsigned char)sent, (unsigned char)(sent >> 8),
                0x07, 0x80, 0x80};
            cr_assert(zmq_send(sock, junk, sizeof junk, 0) >= 0);
            sent++;
        }
        zmq_pollitem_t it = {sock, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, 1000) <= 0) continue;
        zmq_msg_t m;
        zmq_msg_init(&m);
        while (zmq_msg_recv(&m, sock, ZMQ_DONTWAIT) >= 0) {
            kp_response *rr = NULL;
            const char *e;
            cr_assert_eq(kp_wire_decode_response(a, zmq_msg_data(&m), zmq_msg_size(&m), &rr, &e),
                         KP_OK);
            answered++;
            bad += rr->status == KOMPASS__V1__STATUS__BAD_REQUEST;
        }
        zmq_msg_close(&m);
        kp_arena_reset(a);
    }
    cr_assert_eq(answered, JUNK, "%d of %d junk frames answered in 180 s", answered, JUNK);
    cr_assert_eq(bad, JUNK, "every junk frame is a BAD_REQUEST");
    long long grown = s_log_size(s) - before;
    cr_assert_lt(grown, 100 * 1024, "5,000 junk frames grew the log by %lld bytes", grown);
    cr_log_info("5,000 junk frames grew the log by %lld bytes", grown);

    /* summarised within a window (the broker flushes about once a second) */
    char want[160];
    snprintf(want, sizeof want, "malformed frames from %s in the last", key);
    char *log = NULL;
    for (int i = 0; i < 150; i++) {
        free(log);
        log = th_server_log(s);
        if (strstr(log, want)) break;
        usleep(100000);
    }
    cr_assert(strstr(log, want), "no summary line for %s in the log:\n%s", key, log);
    cr_assert_leq(s_occurrences(log, key), 3, "the junk client is named too often:\n%s", log);
    free(log);
    grown = s_log_size(s) - before;
    cr_assert_lt(grown, 100 * 1024, "the log grew by %lld bytes", grown);

    /* kompass admin stats shows the counters: 5,001 malformed frames, the
     * first one logged, the rest summarised */
    char *out = NULL, *err = NULL;
    cr_assert_eq(th_cli_as(s, admin, NULL, &out, &err, "admin", "stats", NULL), 0, "%s", err);
    cr_assert(strstr(out, "\nmalformed frames 5001; refused busy 0; log lines suppressed 5000\n"),
              "%s", out);
    free(out);
    free(err);
    out = err = NULL;
    cr_assert_eq(th_cli_as(s, admin, NULL, &out, &err, "--json", "admin", "stats", NULL), 0, "%s",
                 err);
    json_t *doc = json_loads(out, 0, NULL);
    cr_assert(doc, "%s", out);
    cr_assert_eq(json_integer_value(json_object_get(doc, "malformed_frames")), 5001, "%s", out);
    cr_assert_eq(json_integer_value(json_object_get(doc, "refused_busy")), 0, "%s", out);
    cr_assert_eq(json_integer_value(json_object_get(doc, "log_lines_suppressed")), 5000, "%s", out);
    json_decref(doc);
    free(out);
    free(err);
    zmq_close(sock);
    kp_arena_destroy(&a);
    th_server_free(&s);
}
