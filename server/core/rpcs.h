/*  rpcs: the table of every RPC (rpcs.def), as the rest of the server asks it.
 *
 *  A row's slot is its position in rpcs.def, from 1; 0 is "no such RPC".
 *  The dispatcher's and the authorisation table's rows are expanded from
 *  rpcs.def in the same order, so slot - 1 indexes both, and the counters
 *  (server/stats.c) count per slot. Every lookup by body case is one array
 *  read. This module names no handler and no other module: anything may
 *  use it.
 */
#ifndef KP_RPCS_H
#define KP_RPCS_H

#include <stddef.h>

/* How many RPCs the table has. */
size_t kp_rpc_count(void);

/* The slot of a body case (Kompass__V1__Request__BodyCase), or 0 when the
 * table has no row for it. */
int kp_rpc_slot(int body_case);

/* A row's body field name ("eval_start") and the file that handles it
 * ("rpc_eval.c"), for slot 1..kp_rpc_count(); NULL for any other slot. */
const char *kp_rpc_name(int slot);
const char *kp_rpc_file(int slot);

/* Whether a body case's row says BATCH: it may join a group commit
 * (server/worker.c) when the request has an id. */
int kp_rpc_batchable(int body_case);

#endif
