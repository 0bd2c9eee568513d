/*  session: login sessions and their tokens.
 *
 *  A session token is KP_TOKEN_BYTES random bytes (libsodium), shown to the
 *  client once, at Login, as lower-case hex. The server stores only its
 *  SHA-256 (sessions.token_hash), so a copy of the database opens no
 *  session. A session ends at the first of: its idle expiry (moved forward
 *  by each use, --session-idle, default 12 h), its absolute expiry (fixed at
 *  login, --session-max, default 7 days), Logout, a password change or reset,
 *  the user being disabled.
 */
#ifndef KP_SESSION_H
#define KP_SESSION_H

#include <stdint.h>

#include "req.h"

#define KP_TOKEN_BYTES 32
#define KP_TOKEN_HEX   (2 * KP_TOKEN_BYTES)

/* Opens a session for user_id, in the caller's transaction. *token is the
 * hex token (in the arena: send it, never store or log it); the expiries
 * in microseconds since the epoch. KP_OK or the database's status. */
int kp_session_create(kp_req *r, int64_t user_id, const char **token, int64_t *idle_expires_us,
                      int64_t *expires_us);

/* Finds the live session of r->msg->session_token, moves its idle expiry
 * forward, and fills r's identity (user_id, login, full_name, role,
 * session_id). KP_OK; KP_UNAUTHENTICATED with a sentence saying why (none,
 * malformed, unknown, expired, ended) in r->resp; or a database status. */
int kp_session_resolve(kp_req *r);

/* SHA-256 of a session token, hex, as sessions.token_hash holds it. */
void kp_session_token_hash(const char *token, char out[65]);

/* Ends the sessions of user_id that are still live, except the session
 * `except` (0: none), for reason why ("logout", "password_changed",
 * "password_reset", "user_disabled"); *count (may be NULL) of them. */
int kp_session_end_all(kp_req *r, int64_t user_id, int64_t except, const char *why, int *count);

/* Ends one session. */
int kp_session_end(kp_req *r, int64_t session_id, const char *why);

extern const kp_stmt kp_session_stmts[];

#endif
