/*  conn: the CLI's connection to kompassd.
 *
 *  A DEALER socket; one request frame out, one response frame back, matched
 *  by request_id. Every call is bounded by the timeout: an unreachable
 *  server is an UNAVAILABLE status with a sentence, never a hang.
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

/* A connection to s->server (not yet contacted). NULL with err on a bad
 * endpoint, a missing or malformed server key, or --insecure to an endpoint
 * that leaves the machine. */
kp_conn *kp_conn_new(const kp_settings *s, char *err, size_t errlen);

void kp_conn_destroy(kp_conn **self_p);

/* Sends req (request_id and protocol_version are filled in) and waits for
 * its response. Returns KP_OK with *resp (in arena; its own status may be an
 * error), or KP_UNAVAILABLE when no answer came in time, with err set. */
int kp_conn_call(kp_conn *self, kp_arena *arena, kp_request *req, kp_response **resp, char *err,
                 size_t errlen);

/* The session token sent with every request ("" for none). */
void kp_conn_set_token(kp_conn *self, const char *token);

#endif
