/*  factcheck: the municipality's factual review ("faktagranskning").
 *
 *  The handlers are in rpc_factcheck.c (FactcheckStart, FactcheckRemark,
 *  FactcheckAnswer, FactcheckShow, FactcheckClose); these are what sign-off,
 *  the evaluation's status and the report ask of it (docs/signoff.md, "The
 *  factual review").
 */
#ifndef KP_FACTCHECK_H
#define KP_FACTCHECK_H

#include <stdint.h>

#include "evaluation.h"
#include "req.h"

/* The review of evaluation eval_id's revision, as a message in r's arena:
 * *out NULL when none was started. */
int kp_factcheck_read(kp_req *r, int64_t eval_id, int revision, Kompass__V1__Factcheck **out);

/* Whether ev may be signed as far as its factual review goes: KP_OK when no
 * review of its current revision was started, or it is closed and every
 * remark has an answer; otherwise INVALID_STATE with the sentence (how many
 * remarks wait for an answer and which, or that the review is open). */
int kp_factcheck_sign_check(kp_req *r, const kp_eval *ev);

/* What the review of ev's current revision still blocks, in words, for
 * EvalStatus: *sentence NULL when nothing. */
int kp_factcheck_blocking(kp_req *r, const kp_eval *ev, const char **sentence);

#endif
