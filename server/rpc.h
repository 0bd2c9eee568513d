/*  rpc: the handlers, one module per concern (rpc_ping.c, ...).
 *  Each is registered in dispatch.c's table.
 */
#ifndef KP_RPC_H
#define KP_RPC_H

#include "req.h"

int kp_rpc_ping(kp_req *r);
int kp_rpc_audit_list(kp_req *r);
int kp_rpc_audit_verify(kp_req *r);

/* KP_OK if r's user may read the audit chain of evaluation_id (0: global),
 * else the failure with r's reply sentence set (rpc_audit.c). */
int kp_audit_may_read(kp_req *r, int64_t evaluation_id);

#endif
