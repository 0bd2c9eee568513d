/*  throttle: slows, then refuses, password guessing.
 *
 *  Every failed password check (Login, Reauthenticate, ChangePassword) is a
 *  `login_failed` row in the security log. Before checking a password, the
 *  failures of the last KP_THROTTLE_WINDOW seconds are counted twice: for the
 *  login (only those since its last successful login) and for the client's
 *  address (all of them: a success must not reset a guesser's count). After
 *  n failures the next attempt must wait, counted from the last failure:
 *
 *      n < slow_after              no wait
 *      slow_after <= n < lock_after  2, 4, 8, 16, 30, 30 ... s   (slowed)
 *      n >= lock_after             1, 2, 4, 8 ... min, at most 15 min (refused)
 *
 *  with slow_after 3 and lock_after 5 per login, 10 and 20 per address
 *  (several people may share one address). An attempt inside the wait is
 *  refused with RATE_LIMITED, saying how long to wait, without looking at
 *  the password, and recorded as `throttled` (which does not lengthen the
 *  wait). No worker thread ever sleeps for it.
 */
#ifndef KP_THROTTLE_H
#define KP_THROTTLE_H

#include "req.h"

#define KP_THROTTLE_WINDOW     900 /* seconds of failures that count */
#define KP_THROTTLE_MAX        900 /* longest wait, seconds */
#define KP_THROTTLE_LOGIN_SLOW 3
#define KP_THROTTLE_LOGIN_LOCK 5
#define KP_THROTTLE_ADDR_SLOW  10
#define KP_THROTTLE_ADDR_LOCK  20

/* Seconds to wait after the last of `failures` failures (formula above). */
int kp_throttle_wait(int failures, int slow_after, int lock_after);

/* How long a password attempt for login from r's address must still wait:
 * *wait_s (0: go ahead) and, when waiting, *why ("for login 'ewa'", "from
 * 127.0.0.1", in the arena). KP_OK or the database's status. */
int kp_throttle_remaining(kp_req *r, const char *login, int *wait_s, const char **why);

/* Refuses the attempt if it must wait: records it as `throttled` and fails
 * r with RATE_LIMITED and a sentence saying how long. KP_OK to go ahead. */
int kp_throttle_check(kp_req *r, const char *login, int64_t user_id);

/* After a failed password check: records it as `login_failed` with detail,
 * and fails r with UNAUTHENTICATED and message, adding when further attempts
 * must now wait. Returns KP_UNAUTHENTICATED. */
int kp_throttle_failed(kp_req *r, const char *login, int64_t user_id, const char *detail,
                       const char *message);

extern const kp_stmt kp_throttle_stmts[];

#endif
