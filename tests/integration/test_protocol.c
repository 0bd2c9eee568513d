/*  Protocol v1 against a real kompassd: every malformed request gets a
 *  Response with BAD_REQUEST and a sentence saying what was wrong, and the
 *  server carries on answering. */
#include <criterion/criterion.h>
#include <string.h>
#include <zmq.h>

#include "harness.h"

static th_server *s;
static void *sock;
static kp_arena *arena;

static void setup(void)
{
    s = th_server_start(NULL);
    sock = th_dealer(s);
    arena = kp_arena_new();
}

static void teardown(void)
{
    zmq_close(sock);
    kp_arena_destroy(&arena);
    th_server_free(&s);
}

TestSuite(protocol, .init = setup, .fini = teardown, .timeout = 120);

/* The server still answers a well-formed ping. */
static void assert_still_up(void)
{
    kp_request *req = kp_arena_zalloc(arena, sizeof *req);
    kompass__v1__request__init(req);
    Kompass__V1__PingRequest ping = KOMPASS__V1__PING_REQUEST__INIT;
    req->body_case = KOMPASS__V1__REQUEST__BODY_PING;
    req->ping = &ping;
    kp_response *r = th_call(sock, arena, req, 10000);
    cr_assert(r, "server stopped answering");
    cr_assert_eq(r->status, KOMPASS__V1__STATUS__OK, "%s", r->error);
    cr_assert(r->ping && r->ping->database_reachable);
}

static void assert_bad_request(kp_response *r, const char *needle)
{
    cr_assert(r, "no reply to a bad request");
    cr_assert_eq(r->status, KOMPASS__V1__STATUS__BAD_REQUEST, "status %d: %s", r->status, r->error);
    cr_assert(strstr(r->error, needle), "error '%s' does not say '%s'", r->error, needle);
}

Test(protocol, garbage_bytes_are_bad_request)
{
    const char garbage[] = "\xff\xff\xff\xff this is not protobuf \x01\x02";
    assert_bad_request(th_call_raw(sock, arena, garbage, sizeof garbage, 10000),
                       "not a valid kompass.v1.Request");
    assert_still_up();
}

Test(protocol, truncated_frame_is_bad_request)
{
    kp_request req = KOMPASS__V1__REQUEST__INIT;
    Kompass__V1__PingRequest ping = KOMPASS__V1__PING_REQUEST__INIT;
    req.request_id = "a-fairly-long-request-id-to-truncate";
    req.protocol_version = 1;
    req.body_case = KOMPASS__V1__REQUEST__BODY_PING;
    req.ping = &ping;
    size_t len;
    unsigned char *frame = kp_wire_encode_request(arena, &req, &len);
    assert_bad_request(th_call_raw(sock, arena, frame, len / 2, 10000), "not a valid");
    assert_still_up();
}

Test(protocol, empty_frame_is_bad_request)
{
    assert_bad_request(th_call_raw(sock, arena, "", 0, 10000), "empty frame");
    assert_still_up();
}

Test(protocol, wrong_version_is_bad_request)
{
    kp_request *req = kp_arena_zalloc(arena, sizeof *req);
    kompass__v1__request__init(req);
    Kompass__V1__PingRequest ping = KOMPASS__V1__PING_REQUEST__INIT;
    req->protocol_version = 7;
    req->request_id = "v7";
    req->body_case = KOMPASS__V1__REQUEST__BODY_PING;
    req->ping = &ping;
    kp_response *r = th_call(sock, arena, req, 10000);
    assert_bad_request(r, "unsupported protocol_version 7");
    cr_assert_str_eq(r->request_id, "v7", "the request id is echoed");
    assert_still_up();
}

Test(protocol, empty_body_is_bad_request)
{
    kp_request *req = kp_arena_zalloc(arena, sizeof *req);
    kompass__v1__request__init(req);
    assert_bad_request(th_call(sock, arena, req, 10000), "no body");
    assert_still_up();
}

Test(protocol, oversize_frame_is_bad_request)
{
    size_t len = 2 * 1024 * 1024;
    char *big = calloc(1, len);
    assert_bad_request(th_call_raw(sock, arena, big, len, 20000), "exceeds the limit");
    free(big);
    assert_still_up();
}

Test(protocol, frame_beyond_transport_limit_drops_only_that_peer)
{
    /* Above ZMQ_MAXMSGSIZE libzmq closes the connection without a reply;
     * other clients are untouched. */
    void *other = th_dealer(s);
    size_t len = 17 * 1024 * 1024;
    char *huge = calloc(1, len);
    zmq_send(other, huge, len, 0);
    free(huge);
    zmq_pollitem_t it = {other, 0, ZMQ_POLLIN, 0};
    cr_assert_eq(zmq_poll(&it, 1, 2000), 0, "no reply to a frame beyond the transport limit");
    zmq_close(other);
    assert_still_up();
}

Test(protocol, multi_frame_request_is_bad_request)
{
    zmq_send(sock, "one", 3, ZMQ_SNDMORE);
    zmq_send(sock, "two", 3, ZMQ_SNDMORE);
    zmq_send(sock, "three", 5, 0);
    zmq_pollitem_t it = {sock, 0, ZMQ_POLLIN, 0};
    cr_assert_eq(zmq_poll(&it, 1, 10000), 1);
    zmq_msg_t m;
    zmq_msg_init(&m);
    zmq_msg_recv(&m, sock, 0);
    kp_response *r = NULL;
    const char *e;
    kp_wire_decode_response(arena, zmq_msg_data(&m), zmq_msg_size(&m), &r, &e);
    zmq_msg_close(&m);
    assert_bad_request(r, "exactly one frame");
    assert_still_up();
}

Test(protocol, invalid_utf8_is_bad_request)
{
    kp_request *req = kp_arena_zalloc(arena, sizeof *req);
    kompass__v1__request__init(req);
    Kompass__V1__PingRequest ping = KOMPASS__V1__PING_REQUEST__INIT;
    req->protocol_version = 1;
    req->request_id = "ok";
    req->session_token = "\xc3\x28"; /* invalid two-byte sequence */
    req->body_case = KOMPASS__V1__REQUEST__BODY_PING;
    req->ping = &ping;
    assert_bad_request(th_call(sock, arena, req, 10000), "session_token");
    assert_still_up();
}

Test(protocol, req_socket_clients_are_answered)
{
    /* A REQ socket adds an empty delimiter frame; the server accepts it. */
    void *req_sock = zmq_socket(th_zctx(), ZMQ_REQ);
    int linger = 0;
    zmq_setsockopt(req_sock, ZMQ_LINGER, &linger, sizeof linger);
    th_curve_client(s, req_sock, NULL);
    cr_assert_eq(zmq_connect(req_sock, s->listen), 0);
    kp_request req = KOMPASS__V1__REQUEST__INIT;
    Kompass__V1__PingRequest ping = KOMPASS__V1__PING_REQUEST__INIT;
    req.request_id = "req";
    req.protocol_version = 1;
    req.body_case = KOMPASS__V1__REQUEST__BODY_PING;
    req.ping = &ping;
    size_t len;
    void *frame = kp_wire_encode_request(arena, &req, &len);
    kp_response *r = th_call_raw(req_sock, arena, frame, len, 10000);
    cr_assert(r && r->status == KOMPASS__V1__STATUS__OK);
    cr_assert_str_eq(r->request_id, "req");
    zmq_close(req_sock);
}

Test(protocol, many_garbage_frames_then_ping)
{
    for (int i = 0; i < 200; i++) {
        unsigned char junk[64];
        for (size_t k = 0; k < sizeof junk; k++)
            junk[k] = (unsigned char)(i * 31 + k * 7);
        kp_response *r = th_call_raw(sock, arena, junk, (size_t)(i % 64) + 1, 10000);
        cr_assert(r, "no reply to junk frame %d", i);
        cr_assert_neq(r->status, KOMPASS__V1__STATUS__OK);
        kp_arena_reset(arena);
    }
    assert_still_up();
}
