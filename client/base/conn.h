/*  conn: the CLI's connection to kompassd.
 *
 *  A DEALER socket; one request frame out, one response frame back, matched
 *  by request_id. Every call is bounded by the timeout: an unreachable
 *  server is an UNAVAILABLE status with a sentence, never a hang.
 *
 *  Several endpoints ("tcp://a:5555,tcp://b:5555", all kompassd on one
 *  database with one key pair) are tried in order: when one does not answer
 *  within the timeout, or refuses the connection at once (nothing listens),
 *  the same request, with the same request_id, goes to the next. Within one
 *  run the connection stays with the endpoint that answered; nothing is
 *  remembered between runs.
 *
 *  The connection is CURVE-encrypted with the server's public key from the
 *  settings and a key pair made for this process; plain text only with
 *  --insecure and only to an endpoint on this machine. A socket monitor
 *  watches the handshake, so that a timeout can say what went wrong: nobody
 *  there, or somebody there whose key is not the one we were given.
 */
#ifndef KP_CONN_H
#define KP_CONN_H

#include "arena.h"
#include "settings.h"
#include "wire.h"

typedef struct kp_conn kp_conn;

/* At most this many endpoints in s->server. */
#define KP_CONN_MAX_ENDPOINTS 8

/* A connection to s->server, a comma-separated list of endpoints (not yet
 * contacted). NULL with err on a bad endpoint, a missing or malformed server
 * key, or --insecure to an endpoint that leaves the machine. */
kp_conn *kp_conn_new(const kp_settings *s, char *err, size_t errlen);

void kp_conn_destroy(kp_conn **self_p);

/* Sends req and waits for its response, moving on to the next endpoint
 * when one does not answer. protocol_version is filled in, and request_id
 * unless req already has one (a retry keeps its id). Returns KP_OK with *resp
 * (in arena; its own status may be an error), or KP_UNAVAILABLE when no
 * endpoint answered in time, with err set. */
int kp_conn_call(kp_conn *self, kp_arena *arena, kp_request *req, kp_response **resp, char *err,
                 size_t errlen);

/* The endpoint talked to now (the one that answered last). */
const char *kp_conn_endpoint(const kp_conn *self);

/* How many endpoints there are. */
int kp_conn_endpoints(const kp_conn *self);

/* Moves to the next endpoint (for a retry elsewhere). */
void kp_conn_next(kp_conn *self);

/* The session token sent with every request ("" for none). */
void kp_conn_set_token(kp_conn *self, const char *token);

/* Live updates (after a Subscribe on this connection): waits up to
 * timeout_ms for one pushed Update, those that arrived during calls first.
 * 1 with *update (in arena), 0 when none came, -1 when the connection to
 * the server dropped meanwhile (subscribe again once it answers: the
 * subscription belonged to that connection). */
int kp_conn_wait_update(kp_conn *self, kp_arena *arena, int timeout_ms,
                        Kompass__V1__Update **update);

#endif
