/*  wire: the frames of protocol v1. */
#include "wire.h"

#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include "strcheck.h"

int kp_wire_decode_request(kp_arena *arena, const void *data, size_t len, kp_request **out,
                           const char **request_id, const char **error)
{
    *out = NULL;
    *request_id = "";
    if (len > KP_MAX_REQUEST_BYTES) {
        *error = kp_arena_printf(arena, "request of %zu bytes exceeds the limit of %d bytes", len,
                                 KP_MAX_REQUEST_BYTES);
        return KP_BAD_REQUEST;
    }
    if (len == 0) {
        *error = "empty frame: expected a serialized kompass.v1.Request";
        return KP_BAD_REQUEST;
    }
    ProtobufCAllocator alloc = kp_arena_allocator(arena);
    kp_request *req = kompass__v1__request__unpack(&alloc, len, data);
    if (!req) {
        *error = "frame is not a valid kompass.v1.Request (protobuf decoding failed)";
        /* a readable id is echoed even when what follows it is junk */
        *request_id = kp_strcheck_readable_field(arena, data, len, 1 /* request_id */, 64);
        return KP_BAD_REQUEST;
    }
    /* Every string at its wire length (common/strcheck.h): protobuf-c's C
     * strings end at the first NUL, so this reads the bytes themselves. The
     * request id is echoed whenever it is itself readable. */
    const char *id_problem = NULL;
    int id_ok = kp_strcheck_field(arena, &kompass__v1__request__descriptor, data, len,
                                  1 /* request_id */, &id_problem) == 0;
    if (id_ok && req->request_id && strlen(req->request_id) > 64) {
        *error = "request_id is longer than 64 characters";
        return KP_BAD_REQUEST;
    }
    if (!id_ok) {
        *error = id_problem;
        return KP_BAD_REQUEST;
    }
    *request_id = req->request_id ? req->request_id : "";
    if (kp_strcheck_message(arena, &kompass__v1__request__descriptor, data, len, error) != 0)
        return KP_BAD_REQUEST;
    if (req->protocol_version != KP_PROTOCOL_VERSION) {
        *error =
            kp_arena_printf(arena, "unsupported protocol_version %u: this server speaks version %d",
                            req->protocol_version, KP_PROTOCOL_VERSION);
        return KP_BAD_REQUEST;
    }
    if (req->body_case == KOMPASS__V1__REQUEST__BODY__NOT_SET) {
        *error = "request has no body: set one of the Request.body fields";
        return KP_BAD_REQUEST;
    }
    *out = req;
    return KP_OK;
}

int kp_wire_decode_response(kp_arena *arena, const void *data, size_t len, kp_response **out,
                            const char **error)
{
    ProtobufCAllocator alloc = kp_arena_allocator(arena);
    *out = kompass__v1__response__unpack(&alloc, len, data);
    if (!*out) {
        *error = "reply is not a valid kompass.v1.Response";
        return KP_BAD_REQUEST;
    }
    return KP_OK;
}

void *kp_wire_encode_request(kp_arena *arena, const kp_request *req, size_t *len)
{
    *len = kompass__v1__request__get_packed_size(req);
    void *buf = kp_arena_alloc(arena, *len ? *len : 1);
    kompass__v1__request__pack(req, buf);
    return buf;
}

void *kp_wire_encode_response(kp_arena *arena, const kp_response *resp, size_t *len)
{
    *len = kompass__v1__response__get_packed_size(resp);
    void *buf = kp_arena_alloc(arena, *len ? *len : 1);
    kompass__v1__response__pack(resp, buf);
    return buf;
}

kp_response *kp_wire_error(kp_arena *arena, const char *request_id, int status, const char *fmt,
                           ...)
{
    kp_response *resp = kp_arena_alloc(arena, sizeof *resp);
    kompass__v1__response__init(resp);
    resp->request_id = kp_arena_strdup(arena, request_id ? request_id : "");
    resp->status = (Kompass__V1__Status)status;
    va_list ap;
    va_start(ap, fmt);
    resp->error = kp_arena_vprintf(arena, fmt, ap);
    va_end(ap);
    return resp;
}

const char *kp_wire_body_name(const kp_request *req)
{
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field(
        &kompass__v1__request__descriptor, (unsigned)req->body_case);
    return f ? f->name : "empty";
}
