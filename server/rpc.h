/*  rpc: the handlers, one module per concern (rpc_ping.c, ...).
 *  Each is registered in dispatch.c's table.
 */
#ifndef KP_RPC_H
#define KP_RPC_H

#include "req.h"

int kp_rpc_ping(kp_req *r);

/* rpc_session.c: the caller's own session and password */
int kp_rpc_login(kp_req *r);
int kp_rpc_logout(kp_req *r);
int kp_rpc_who_am_i(kp_req *r);
int kp_rpc_change_password(kp_req *r);
int kp_rpc_reauthenticate(kp_req *r);

/* rpc_user.c: user administration */
int kp_rpc_user_add(kp_req *r);
int kp_rpc_user_list(kp_req *r);
int kp_rpc_user_set_active(kp_req *r);
int kp_rpc_user_reset_password(kp_req *r);

/* rpc_audit.c: reading and verifying the audit trail */
int kp_rpc_audit_list(kp_req *r);
int kp_rpc_audit_verify(kp_req *r);

/* rpc_ops.c: health and counters of this kompassd */
int kp_rpc_health(kp_req *r);
int kp_rpc_stats(kp_req *r);

/* rpc_backup.c: a pg_dump of the database, read back in pieces */
int kp_rpc_backup(kp_req *r);

#endif
