/*  wire: the frames of protocol v1. */
#include "wire.h"

#include <stdarg.h>
#include <stdint.h>
#include <string.h>

/* Whether s is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
static int s_utf8_valid(const unsigned char *s)
{
    while (*s) {
        unsigned c = *s;
        int n;
        uint32_t cp;
        if (c < 0x80) {
            s++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            n = 1;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            n = 2;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            n = 3;
            cp = c & 0x07;
        } else {
            return 0;
        }
        for (int i = 1; i <= n; i++) {
            if ((s[i] & 0xC0) != 0x80) return 0;
            cp = (cp << 6) | (s[i] & 0x3F);
        }
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        s += n + 1;
    }
    return 1;
}

/* Checks every string field of msg, recursively, for valid UTF-8 (protobuf-c
 * does not). On failure *field is the offending field's name. */
static int s_strings_valid(const ProtobufCMessage *msg, const char **field)
{
    const ProtobufCMessageDescriptor *d = msg->descriptor;
    const char *base = (const char *)msg;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE) continue;
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            uint32_t which = *(const uint32_t *)(base + f->quantifier_offset);
            if (which != f->id) continue;
        }
        size_t count = 1;
        const void *const *items = (const void *const *)(base + f->offset);
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            count = *(const size_t *)(base + f->quantifier_offset);
            items = *(const void *const *const *)(base + f->offset);
        }
        for (size_t k = 0; k < count; k++) {
            const void *item = items[k];
            if (!item) continue;
            if (f->type == PROTOBUF_C_TYPE_STRING) {
                if (!s_utf8_valid(item)) {
                    *field = f->name;
                    return 0;
                }
            } else if (!s_strings_valid(item, field)) {
                return 0;
            }
        }
    }
    return 1;
}

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
        return KP_BAD_REQUEST;
    }
    const char *bad_field = NULL;
    if (!s_strings_valid(&req->base, &bad_field)) {
        *error = kp_arena_printf(arena, "field '%s' is not valid UTF-8 text", bad_field);
        return KP_BAD_REQUEST;
    }
    *request_id = req->request_id ? req->request_id : "";
    if (strlen(*request_id) > 64) {
        *request_id = "";
        *error = "request_id is longer than 64 characters";
        return KP_BAD_REQUEST;
    }
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
