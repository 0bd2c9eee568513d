/*  rpc: the handlers, one module per concern (rpc_ping.c, ...).
 *  Each is registered in dispatch.c's table.
 */
#ifndef KP_RPC_H
#define KP_RPC_H

#include "req.h"

int kp_rpc_ping(kp_req *r);

#endif
