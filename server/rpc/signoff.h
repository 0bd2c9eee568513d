/*  signoff: signatures, and what an evaluation still waits for.
 *  The handlers are in rpc_signoff.c (Sign, EvalReopen, EvalVerify,
 *  EvalRevision); these are shared with EvalShow and EvalStatus.
 */
#ifndef KP_SIGNOFF_H
#define KP_SIGNOFF_H

#include <stdint.h>

#include "evaluation.h"
#include "req.h"

/* The signatures of an evaluation's revision (0: every revision), the
 * cancelled ones too when with_cancelled, oldest first, as messages. */
int kp_signatures_read(kp_req *r, int64_t eval_id, int revision, int with_cancelled,
                       Kompass__V1__Signature ***out, size_t *n);

/* The current revision, its signatures, and who must still sign (logins of
 * the lead and peers, and "an SKL admin" while no admin has). */
int kp_signoff_state(kp_req *r, const kp_eval *ev, int32_t *revision,
                     Kompass__V1__Signature ***sigs, size_t *nsigs, char ***waiting,
                     size_t *nwaiting);

extern const kp_stmt kp_signoff_stmts[];

#endif
