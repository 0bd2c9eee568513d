/*  seclog: the security log (table security_log, sql/002_identity.sql).
 *
 *  Who tried what and was refused, and who logged in and out: failed logins and
 *  password checks, throttled attempts, requests refused by authorisation
 *  (server/authz.c) for RPCs that write, logouts. Each row carries the time, the
 *  login as given, the user if known, the client's address and CURVE key,
 *  the RPC and a detail sentence, never a password or a token.
 *
 *  Not the audit trail: that records changes that were made (issue 4); this
 *  records attempts. Login throttling (server/throttle.c) counts its rows.
 */
#ifndef KP_SECLOG_H
#define KP_SECLOG_H

#include <stdint.h>

#include "req.h"

#define KP_SEC_LOGIN           "login"
#define KP_SEC_LOGOUT          "logout"
#define KP_SEC_LOGIN_FAILED    "login_failed"
#define KP_SEC_THROTTLED       "throttled"
#define KP_SEC_DENIED          "denied"
#define KP_SEC_UNAUTHENTICATED "unauthenticated"
#define KP_SEC_BACKUP          "backup" /* a dump of the database was handed out */

/* Records an event of kind for request r (address, key and RPC from r;
 * user_id 0 for none). Runs in the caller's transaction if there is one.
 * KP_OK or the database's status; a failure is also logged, so callers that
 * are refusing anyway may ignore it. */
int kp_seclog_write(kp_req *r, const char *kind, const char *login, int64_t user_id,
                    const char *detail);

/* The same, for a password attempt by a known client: the session it
 * showed (server/throttle.h; 0: an unknown client). */
int kp_seclog_write_client(kp_req *r, const char *kind, const char *login, int64_t user_id,
                           const char *detail, int64_t client_session);

extern const kp_stmt kp_seclog_stmts[];

#endif
