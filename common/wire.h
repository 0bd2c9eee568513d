/*  wire: the frames of protocol v1 (proto/kompass.proto, proto/README.md).
 *
 *  One request is one frame holding a serialized kompass.v1.Request; one reply
 *  is one frame holding a kompass.v1.Response. This module turns bytes into
 *  messages and back, with every allocation in the caller's arena, and checks
 *  the envelope (size, version, body) so that handlers see only well-formed
 *  requests.
 */
#ifndef KP_WIRE_H
#define KP_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "kompass.pb-c.h"
#include "status.h"

typedef Kompass__V1__Request kp_request;
typedef Kompass__V1__Response kp_response;

#define KP_PROTOCOL_VERSION 1

/* Largest request the server reads (bytes); larger ones get BAD_REQUEST. */
#define KP_MAX_REQUEST_BYTES (1024 * 1024)

/* Largest frame the transport accepts at all (ZMQ_MAXMSGSIZE); a peer that
 * sends more is disconnected by libzmq before the server sees anything. */
#define KP_MAX_FRAME_BYTES (16 * 1024 * 1024)

/* Decodes and checks a request frame. On KP_OK *out is the request (in the
 * arena). Otherwise KP_BAD_REQUEST with a sentence in *error (in the arena)
 * and, when the frame parsed far enough, the request id in *request_id. */
int kp_wire_decode_request(kp_arena *arena, const void *data, size_t len, kp_request **out,
                           const char **request_id, const char **error);

/* Decodes a response frame; KP_OK or KP_BAD_REQUEST with *error. */
int kp_wire_decode_response(kp_arena *arena, const void *data, size_t len, kp_response **out,
                            const char **error);

/* Serializes a message into the arena; *len is its size. */
void *kp_wire_encode_request(kp_arena *arena, const kp_request *req, size_t *len);
void *kp_wire_encode_response(kp_arena *arena, const kp_response *resp, size_t *len);

/* A response with status and an error sentence (printf-style), in the arena. */
kp_response *kp_wire_error(kp_arena *arena, const char *request_id, int status, const char *fmt,
                           ...) __attribute__((format(printf, 4, 5)));

/* The name of a request's body case ("ping"), or "empty". */
const char *kp_wire_body_name(const kp_request *req);

#endif
