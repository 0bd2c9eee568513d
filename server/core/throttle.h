/*  throttle: slows password guessing, and cannot be aimed at anyone.
 *
 *  Every failed password check (Login, Reauthenticate, ChangePassword,
 *  Sign) is a `login_failed` row in the security log. Before checking a
 *  password, the failures of the last KP_THROTTLE_WINDOW seconds are counted
 *  and the attempt may have to wait, counted from the last counted failure:
 *
 *      n < slow_after     no wait
 *      n >= slow_after    2, 4, 8, 16 ... s, at most max_wait   (never a lockout)
 *
 *  Whose failures count depends on the client. A client is *known* for a
 *  login when it shows a session of that login: the live session the
 *  attempt is made in (Reauthenticate, ChangePassword, Sign), or, on a
 *  Login, Request.session_token holding the token of a session of that
 *  login begun within KP_THROTTLE_KNOWN_DAYS, live or ended (the CLI keeps
 *  its last session's token until `kompass logout`). Tokens are 32 random
 *  bytes: a guesser cannot show one.
 *
 *    known client    its own failures for that login since the login's last
 *                    success (slow_after 3, at most 30 s); nobody else's
 *                    guesses, for the login or from its address, slow it
 *    unknown client  the failures for that login by unknown clients since
 *                    its last success (3, at most 30 s) and the failures by
 *                    unknown clients from its address (10, at most 60 s):
 *                    the longer wait
 *
 *  So a guesser gets about two guesses a minute at a login and one a minute
 *  from an address, for as long as they keep at it, and nobody can keep a
 *  named user out: on a client they used before, other people's failures do
 *  not count; on a new one, the wait is at most a minute. An attempt inside
 *  the wait is refused with RATE_LIMITED and Response.retry_after_ms,
 *  without looking at the password, and recorded as `throttled` (which does
 *  not lengthen the wait). No worker thread ever sleeps for it. The policy
 *  for people: docs/deploy.md, "Password attempts".
 */
#ifndef KP_THROTTLE_H
#define KP_THROTTLE_H

#include "req.h"

#define KP_THROTTLE_WINDOW     900 /* seconds of failures that count */
#define KP_THROTTLE_KNOWN_DAYS 30  /* how old a session may be to make its client known */
#define KP_THROTTLE_LOGIN_SLOW 3
#define KP_THROTTLE_LOGIN_MAX  30 /* seconds */
#define KP_THROTTLE_ADDR_SLOW  10
#define KP_THROTTLE_ADDR_MAX   60 /* seconds */

/* Seconds to wait after the last of `failures` failures (formula above). */
int kp_throttle_wait(int failures, int slow_after, int max_wait);

/* The session that makes r's client known for login (0: unknown), into
 * *session_id. KP_OK or the database's status. */
int kp_throttle_known(kp_req *r, const char *login, int64_t *session_id);

/* How long a password attempt for login by r's client must still wait:
 * *wait_s (0: go ahead) and, when waiting, *why ("for login 'ewa'", "from
 * 127.0.0.1", "from this client for login 'ewa'", in the arena); known is
 * kp_throttle_known's session. KP_OK or the database's status. */
int kp_throttle_remaining(kp_req *r, const char *login, int64_t known, int *wait_s,
                          const char **why);

/* Refuses the attempt if it must wait: records it as `throttled` and fails
 * r with RATE_LIMITED, a sentence saying how long and retry_after_ms. KP_OK
 * to go ahead. */
int kp_throttle_check(kp_req *r, const char *login, int64_t user_id);

/* After a failed password check: records it as `login_failed` with detail
 * (and the known client's session), and fails r with status and message,
 * adding when further attempts must now wait (and retry_after_ms). Returns
 * status: KP_UNAUTHENTICATED for Login (no session was made), KP_DENIED for
 * a password asked again inside a live session (Reauthenticate,
 * ChangePassword, Sign), which stays valid. */
int kp_throttle_failed(kp_req *r, int status, const char *login, int64_t user_id,
                       const char *detail, const char *message);

extern const kp_stmt kp_throttle_stmts[];

#endif
