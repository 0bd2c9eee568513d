/*  wire: decoding and checking request frames. */
#include <criterion/criterion.h>
#include <string.h>

#include "wire.h"

static kp_arena *a;
static void setup(void)
{
    a = kp_arena_new();
}
static void teardown(void)
{
    kp_arena_destroy(&a);
}
TestSuite(wire, .init = setup, .fini = teardown);

static void *s_ping_frame(uint32_t version, const char *id, const char *token, size_t *len)
{
    kp_request req = KOMPASS__V1__REQUEST__INIT;
    Kompass__V1__PingRequest ping = KOMPASS__V1__PING_REQUEST__INIT;
    req.request_id = (char *)id;
    req.session_token = (char *)token;
    req.protocol_version = version;
    req.body_case = KOMPASS__V1__REQUEST__BODY_PING;
    req.ping = &ping;
    return kp_wire_encode_request(a, &req, len);
}

Test(wire, round_trip_of_a_valid_request)
{
    size_t len;
    void *f = s_ping_frame(1, "abc", "", &len);
    kp_request *req;
    const char *id, *err;
    cr_assert_eq(kp_wire_decode_request(a, f, len, &req, &id, &err), KP_OK);
    cr_assert_str_eq(req->request_id, "abc");
    cr_assert_str_eq(kp_wire_body_name(req), "ping");
}

Test(wire, wrong_version_keeps_request_id)
{
    size_t len;
    void *f = s_ping_frame(2, "xyz", "", &len);
    kp_request *req;
    const char *id, *err;
    cr_assert_eq(kp_wire_decode_request(a, f, len, &req, &id, &err), KP_BAD_REQUEST);
    cr_assert_str_eq(id, "xyz");
    cr_assert(strstr(err, "protocol_version 2"), "%s", err);
}

/* A readable request_id first, then bytes protobuf cannot decode: the id
 * still comes back (the README: echoed whenever it was itself readable). */
Test(wire, junk_after_a_readable_request_id_keeps_it)
{
    static const struct {
        const char *tail;
        size_t n;
    } tails[] = {
        {"\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 12}, /* a varint without end */
        {"\x0f", 1},                                              /* wire type 7 */
        {"\x1a\x7f"
         "ab",
         4},                         /* a length past the end */
        {"\xa2\x03\x05\xff\xff", 5}, /* a body cut short */
    };
    for (size_t i = 0; i < sizeof tails / sizeof *tails; i++) {
        uint8_t frame[64] = {0x0a, 0x04, 'r', 'q', '-', '7'};
        memcpy(frame + 6, tails[i].tail, tails[i].n);
        kp_request *req;
        const char *id, *err;
        cr_assert_eq(kp_wire_decode_request(a, frame, 6 + tails[i].n, &req, &id, &err),
                     KP_BAD_REQUEST, "tail %zu", i);
        cr_assert_str_eq(id, "rq-7", "tail %zu", i);
        cr_assert(strstr(err, "protobuf decoding failed"), "%s", err);
    }
    /* an id that is not one line of UTF-8, or junk before any id: none */
    static const uint8_t bad_id[] = {0x0a, 0x02, 'a', 0x00, 0x0f};
    static const uint8_t no_id[] = {0x0f, 0x0a, 0x02, 'o', 'k'};
    kp_request *req;
    const char *id, *err;
    cr_assert_eq(kp_wire_decode_request(a, bad_id, sizeof bad_id, &req, &id, &err), KP_BAD_REQUEST);
    cr_assert_str_eq(id, "");
    cr_assert_eq(kp_wire_decode_request(a, no_id, sizeof no_id, &req, &id, &err), KP_BAD_REQUEST);
    cr_assert_str_eq(id, "");
}

Test(wire, oversize_is_refused_before_decoding)
{
    kp_request *req;
    const char *id, *err;
    cr_assert_eq(kp_wire_decode_request(a, "", KP_MAX_REQUEST_BYTES + 1, &req, &id, &err),
                 KP_BAD_REQUEST);
    cr_assert(strstr(err, "exceeds the limit"), "%s", err);
}

Test(wire, invalid_utf8_names_the_field)
{
    const char *bad[] = {"\xff", "\xc0\xaf" /* overlong */, "\xed\xa0\x80" /* surrogate */,
                         "\xf4\x90\x80\x80" /* > U+10FFFF */, "ok\xe2\x82"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t len;
        void *f = s_ping_frame(1, "id", bad[i], &len);
        kp_request *req;
        const char *id, *err;
        cr_assert_eq(kp_wire_decode_request(a, f, len, &req, &id, &err), KP_BAD_REQUEST, "case %zu",
                     i);
        cr_assert(strstr(err, "session_token"), "%s", err);
    }
}

Test(wire, valid_utf8_is_accepted)
{
    size_t len;
    void *f = s_ping_frame(1, "id", "Västerås – ok 🙂", &len);
    kp_request *req;
    const char *id, *err;
    cr_assert_eq(kp_wire_decode_request(a, f, len, &req, &id, &err), KP_OK);
}

Test(wire, long_request_id_is_refused)
{
    char id65[66];
    memset(id65, 'x', 65);
    id65[65] = '\0';
    size_t len;
    void *f = s_ping_frame(1, id65, "", &len);
    kp_request *req;
    const char *id, *err;
    cr_assert_eq(kp_wire_decode_request(a, f, len, &req, &id, &err), KP_BAD_REQUEST);
    cr_assert(strstr(err, "request_id"), "%s", err);
}

Test(wire, error_response_carries_status_and_sentence)
{
    kp_response *r = kp_wire_error(a, "id1", KP_NOT_FOUND, "no evaluation %d", 42);
    size_t len;
    void *f = kp_wire_encode_response(a, r, &len);
    kp_response *back;
    const char *err;
    cr_assert_eq(kp_wire_decode_response(a, f, len, &back, &err), KP_OK);
    cr_assert_eq(back->status, KOMPASS__V1__STATUS__NOT_FOUND);
    cr_assert_str_eq(back->error, "no evaluation 42");
    cr_assert_str_eq(back->request_id, "id1");
}

Test(status, names_and_exit_codes)
{
    cr_assert_str_eq(kp_status_name(KP_CONFLICT), "CONFLICT");
    cr_assert_str_eq(kp_status_name(99), "UNKNOWN");
    cr_assert_eq(kp_status_exit_code(KP_OK), 0);
    cr_assert_eq(kp_status_exit_code(KP_BAD_REQUEST), 1);
    cr_assert_eq(kp_status_exit_code(KP_CONFLICT), 3);
    cr_assert_eq(kp_status_exit_code(KP_DENIED), 4);
    cr_assert_eq(kp_status_exit_code(KP_UNAUTHENTICATED), 4);
    cr_assert_eq(kp_status_exit_code(KP_NOT_FOUND), 5);
    cr_assert_eq(kp_status_exit_code(KP_UNAVAILABLE), 6);
}
