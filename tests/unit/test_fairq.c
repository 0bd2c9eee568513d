/*  fairq: requests in hand per client bounded, turns taken across clients,
 *  sessions learnt only from the workers. */
#include <criterion/criterion.h>
#include <string.h>

#include "arena.h"
#include "fairq.h"
#include "wire.h"

static const kp_fairq_limits s_small = {.per_session = 3, .per_connection = 2, .total_queued = 100};

/* A serialized Ping with token (NULL: none), in a. */
static void *s_frame(kp_arena *a, const char *token, size_t *len)
{
    kp_request *req = kp_arena_alloc(a, sizeof *req);
    kompass__v1__request__init(req);
    Kompass__V1__PingRequest *p = kp_arena_alloc(a, sizeof *p);
    kompass__v1__ping_request__init(p);
    req->request_id = "r-1";
    req->protocol_version = KP_PROTOCOL_VERSION;
    if (token) req->session_token = (char *)token;
    req->body_case = KOMPASS__V1__REQUEST__BODY_PING;
    req->ping = p;
    return kp_wire_encode_request(a, req, len);
}

/* Admits and queues one request of conn with token; the verdict. */
static kp_fairq_verdict s_push(kp_fairq *q, kp_arena *a, const char *conn, const char *token,
                               void *user)
{
    size_t len;
    void *frame = s_frame(a, token, &len);
    kp_fair_item *it;
    kp_fairq_verdict v = kp_fairq_admit(q, conn, strlen(conn), frame, len, user, &it);
    if (v == KP_FAIRQ_ADMITTED) kp_fairq_push(q, it);
    return v;
}

Test(fairq, the_token_is_read_from_the_frame_without_unpacking)
{
    kp_arena *a = kp_arena_new();
    size_t len;
    const uint8_t *tok;
    size_t tlen;
    void *frame = s_frame(a, "tok-123", &len);
    cr_assert_eq(kp_fairq_token(frame, len, &tok, &tlen), 0);
    cr_assert_eq(tlen, 7);
    cr_assert_eq(memcmp(tok, "tok-123", 7), 0);
    frame = s_frame(a, NULL, &len);
    cr_assert_eq(kp_fairq_token(frame, len, &tok, &tlen), -1, "no token: none");
    cr_assert_eq(kp_fairq_token("\x1a\x7f"
                                "abc",
                                5, &tok, &tlen),
                 -1, "length past the end");
    cr_assert_eq(kp_fairq_token("\xff\xff\xff", 3, &tok, &tlen), -1, "a varint never ending");
    kp_arena_destroy(&a);
}

Test(fairq, workers_take_turns_across_clients)
{
    kp_arena *a = kp_arena_new();
    kp_fairq_limits big = {.per_session = 64, .per_connection = 16, .total_queued = 1000};
    kp_fairq *q = kp_fairq_new(&big);
    static int greedy, modest;
    for (int i = 0; i < 10; i++)
        cr_assert_eq(s_push(q, a, "greedy", NULL, &greedy), KP_FAIRQ_ADMITTED);
    cr_assert_eq(s_push(q, a, "modest", NULL, &modest), KP_FAIRQ_ADMITTED);
    cr_assert_eq(kp_fairq_queued(q), 11);
    /* The modest client's one request comes second, not eleventh. */
    kp_fair_item *first = kp_fairq_pop(q), *second = kp_fairq_pop(q);
    cr_assert_eq(kp_fairq_user(first), &greedy);
    cr_assert_eq(kp_fairq_user(second), &modest);
    kp_fairq_start(q, first);
    kp_fairq_done(q, first, KP_FAIRQ_SESSION_UNKNOWN);
    kp_fairq_done(q, second, KP_FAIRQ_SESSION_UNKNOWN);
    /* A client arriving while others wait is served in this round. */
    cr_assert_eq(s_push(q, a, "late", NULL, &modest), KP_FAIRQ_ADMITTED);
    kp_fair_item *it = kp_fairq_pop(q);
    cr_assert_eq(kp_fairq_user(it), &greedy);
    kp_fairq_done(q, it, KP_FAIRQ_SESSION_UNKNOWN);
    it = kp_fairq_pop(q);
    cr_assert_eq(kp_fairq_user(it), &modest, "the late client did not wait for greedy's queue");
    kp_fairq_done(q, it, KP_FAIRQ_SESSION_UNKNOWN);
    int left = 0;
    while ((it = kp_fairq_pop(q))) {
        cr_assert_eq(kp_fairq_user(it), &greedy);
        kp_fairq_done(q, it, KP_FAIRQ_SESSION_UNKNOWN);
        left++;
    }
    cr_assert_eq(left, 8);
    cr_assert_eq(kp_fairq_queued(q), 0);
    cr_assert_eq(kp_fairq_clients(q), 0, "connections with nothing in hand are forgotten");
    kp_fairq_destroy(&q);
    kp_arena_destroy(&a);
}

Test(fairq, a_client_over_its_share_is_refused_alone)
{
    kp_arena *a = kp_arena_new();
    kp_fairq *q = kp_fairq_new(&s_small);
    cr_assert_eq(s_push(q, a, "c1", NULL, NULL), KP_FAIRQ_ADMITTED);
    cr_assert_eq(s_push(q, a, "c1", NULL, NULL), KP_FAIRQ_ADMITTED);
    cr_assert_eq(s_push(q, a, "c1", NULL, NULL), KP_FAIRQ_CLIENT_FULL);
    cr_assert_eq(s_push(q, a, "c2", NULL, NULL), KP_FAIRQ_ADMITTED,
                 "another client is not refused");
    /* In flight counts as in hand too, until answered. */
    kp_fair_item *it = kp_fairq_pop(q);
    kp_fairq_start(q, it);
    cr_assert_eq(kp_fairq_in_flight(q), 1);
    cr_assert_eq(s_push(q, a, "c1", NULL, NULL), KP_FAIRQ_CLIENT_FULL);
    kp_fairq_done(q, it, KP_FAIRQ_SESSION_UNKNOWN);
    cr_assert_eq(s_push(q, a, "c1", NULL, NULL), KP_FAIRQ_ADMITTED);
    while ((it = kp_fairq_pop(q)))
        kp_fairq_done(q, it, KP_FAIRQ_SESSION_UNKNOWN);
    kp_fairq_destroy(&q);
    kp_arena_destroy(&a);
}

Test(fairq, the_server_wide_queue_is_bounded)
{
    kp_arena *a = kp_arena_new();
    kp_fairq_limits l = {.per_session = 10, .per_connection = 10, .total_queued = 3};
    kp_fairq *q = kp_fairq_new(&l);
    cr_assert_eq(s_push(q, a, "c1", NULL, NULL), KP_FAIRQ_ADMITTED);
    cr_assert_eq(s_push(q, a, "c2", NULL, NULL), KP_FAIRQ_ADMITTED);
    cr_assert_eq(s_push(q, a, "c3", NULL, NULL), KP_FAIRQ_ADMITTED);
    cr_assert_eq(s_push(q, a, "c4", NULL, NULL), KP_FAIRQ_SERVER_FULL);
    cr_assert_eq(kp_fairq_clients(q), 3, "a refused client leaves nothing behind");
    kp_fair_item *it;
    while ((it = kp_fairq_pop(q)))
        kp_fairq_done(q, it, KP_FAIRQ_SESSION_UNKNOWN);
    kp_fairq_destroy(&q);
    kp_arena_destroy(&a);
}

Test(fairq, a_live_session_is_one_client_over_many_connections)
{
    kp_arena *a = kp_arena_new();
    kp_fairq *q = kp_fairq_new(&s_small);
    /* Until a worker says the token is live, it counts for its connection. */
    size_t len;
    void *frame = s_frame(a, "T", &len);
    kp_fair_item *it;
    cr_assert_eq(kp_fairq_admit(q, "c0", 2, frame, len, NULL, &it), KP_FAIRQ_ADMITTED);
    kp_fairq_start(q, it);
    kp_fairq_done(q, it, KP_FAIRQ_SESSION_LIVE);
    cr_assert_eq(kp_fairq_clients(q), 1, "the live session is remembered");
    /* Then its share is one for all its connections. */
    cr_assert_eq(s_push(q, a, "c1", "T", NULL), KP_FAIRQ_ADMITTED);
    cr_assert_eq(s_push(q, a, "c2", "T", NULL), KP_FAIRQ_ADMITTED);
    cr_assert_eq(s_push(q, a, "c3", "T", NULL), KP_FAIRQ_ADMITTED);
    cr_assert_eq(s_push(q, a, "c4", "T", NULL), KP_FAIRQ_CLIENT_FULL);
    cr_assert_eq(s_push(q, a, "c4", NULL, NULL), KP_FAIRQ_ADMITTED, "without the token: c4's own");
    /* A worker found it dead (logged out): its requests count per connection again. */
    it = kp_fairq_pop(q);
    kp_fairq_done(q, it, KP_FAIRQ_SESSION_DEAD);
    cr_assert_eq(s_push(q, a, "c4", "T", NULL), KP_FAIRQ_ADMITTED);
    cr_assert_eq(s_push(q, a, "c4", "T", NULL), KP_FAIRQ_CLIENT_FULL, "c4 has its 2 in hand");
    while ((it = kp_fairq_pop(q)))
        kp_fairq_done(q, it, KP_FAIRQ_SESSION_UNKNOWN);
    cr_assert_eq(kp_fairq_clients(q), 0);
    kp_fairq_destroy(&q);
    kp_arena_destroy(&a);
}

Test(fairq, invented_tokens_get_no_more_than_their_connection)
{
    kp_arena *a = kp_arena_new();
    kp_fairq *q = kp_fairq_new(&s_small);
    cr_assert_eq(s_push(q, a, "c1", "made-up-1", NULL), KP_FAIRQ_ADMITTED);
    cr_assert_eq(s_push(q, a, "c1", "made-up-2", NULL), KP_FAIRQ_ADMITTED);
    cr_assert_eq(s_push(q, a, "c1", "made-up-3", NULL), KP_FAIRQ_CLIENT_FULL);
    kp_fair_item *it;
    while ((it = kp_fairq_pop(q)))
        kp_fairq_done(q, it, KP_FAIRQ_SESSION_DEAD);
    cr_assert_eq(kp_fairq_clients(q), 0, "dead tokens are not remembered");
    kp_fairq_destroy(&q);
    kp_arena_destroy(&a);
}

Test(fairq, tickets_name_items_in_hand_only)
{
    kp_arena *a = kp_arena_new();
    kp_fairq *q = kp_fairq_new(&s_small);
    size_t len;
    void *frame = s_frame(a, NULL, &len);
    kp_fair_item *it;
    static int mine;
    cr_assert_eq(kp_fairq_admit(q, "c1", 2, frame, len, &mine, &it), KP_FAIRQ_ADMITTED);
    kp_fairq_start(q, it);
    uint64_t t = kp_fairq_ticket(it);
    cr_assert_eq(kp_fairq_find(q, t), it);
    cr_assert_null(kp_fairq_find(q, t + 1));
    kp_fairq_done(q, it, KP_FAIRQ_SESSION_UNKNOWN);
    cr_assert_null(kp_fairq_find(q, t), "an answered item is no longer found");
    cr_assert_eq(kp_fairq_in_flight(q), 0);
    kp_fairq_destroy(&q);
    kp_arena_destroy(&a);
}

Test(fairq, idle_sessions_are_forgotten)
{
    kp_arena *a = kp_arena_new();
    kp_fairq *q = kp_fairq_new(&s_small);
    kp_fairq_expire(q, 1000, 60000);
    size_t len;
    void *frame = s_frame(a, "T", &len);
    kp_fair_item *it;
    cr_assert_eq(kp_fairq_admit(q, "c0", 2, frame, len, NULL, &it), KP_FAIRQ_ADMITTED);
    kp_fairq_done(q, it, KP_FAIRQ_SESSION_LIVE);
    kp_fairq_expire(q, 30000, 60000);
    cr_assert_eq(kp_fairq_clients(q), 1);
    kp_fairq_expire(q, 62000, 60000);
    cr_assert_eq(kp_fairq_clients(q), 0);
    kp_fairq_destroy(&q);
    kp_arena_destroy(&a);
}
