/*  dispatch: from a request's body to its handler.
 *
 *  The handlers of every RPC the server answers (body case, name, handler),
 *  expanded from the one table, rpcs.def, in its order. kp_dispatch() decodes nothing and sends
 * nothing: it takes a decoded request and returns the filled response. Before any handler runs, the
 *  request passes the authorisation table (server/authz.c): an RPC with a
 *  handler but no authorisation row is refused.
 */
#ifndef KP_DISPATCH_H
#define KP_DISPATCH_H

#include <stddef.h>

#include "req.h"

typedef int (*kp_handler)(kp_req *r);

typedef struct {
    int body_case;    /* Kompass__V1__Request__BodyCase */
    const char *name; /* for logs and the audit trail: "ping" */
    kp_handler handler;
} kp_rpc;

/* Handles r->msg, filling r->resp (status, error, body). */
void kp_dispatch(kp_req *r);

/* The table entry for a body case, or NULL. */
const kp_rpc *kp_dispatch_find(int body_case);

/* The table: *n rows. */
const kp_rpc *kp_dispatch_table(size_t *n);

/* The stats slot of a body case: its row's index + 1, or 0 for a body the
 * table does not know (slot 0 also counts frames that could not be read). */
int kp_dispatch_slot(int body_case);

/* Whether a request may share a transaction with others (group commit,
 * server/worker.c): a write about one evaluation, with a request id, whose
 * handler keeps to kp_db_begin ... kp_db_commit. */
int kp_dispatch_batchable(const kp_request *msg);

/* Checks that handlers and authorisation rows cover the same RPCs, under
 * the same names, and that the authorisation table matches the protocol
 * (kp_authz_verify). 0, or -1 with err. kompassd refuses to start without. */
int kp_dispatch_verify(char *err, size_t errlen);

#endif
