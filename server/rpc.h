/*  rpc: the handlers, one module per concern (rpc_ping.c, ...).
 *  Each is registered in dispatch.c's table.
 */
#ifndef KP_RPC_H
#define KP_RPC_H

#include "req.h"

int kp_rpc_ping(kp_req *r);

/* rpc_framework.c */
int kp_rpc_framework_import(kp_req *r);
int kp_rpc_framework_list(kp_req *r);
int kp_rpc_framework_show(kp_req *r);
int kp_rpc_municipality_add(kp_req *r);
int kp_rpc_municipality_list(kp_req *r);

/* rpc_eval.c */
int kp_rpc_eval_create(kp_req *r);
int kp_rpc_eval_list(kp_req *r);
int kp_rpc_eval_show(kp_req *r);
int kp_rpc_eval_assign(kp_req *r);
int kp_rpc_eval_unassign(kp_req *r);

/* rpc_evidence.c */
int kp_rpc_evidence_add(kp_req *r);
int kp_rpc_evidence_list(kp_req *r);

#endif
