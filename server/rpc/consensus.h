/*  consensus: from the evaluators' independent scores to the team's agreed
 *  ones (the status moves that follow from them are the lifecycle's).
 *
 *  The rows (rpc_consensus.c) put per question every evaluator's points next
 *  to the spread, a flag and a proposal (their arithmetic:
 *  common/consensus_math.h); the writers (ConsensusSet,
 *  ConsensusAuto, TextApprove, TextSave) end with kp_eval_advance()
 *  (lifecycle.h), which moves consensus <-> review as completeness comes
 *  and goes and cancels signatures given to content that has since changed.
 */
#ifndef KP_CONSENSUS_H
#define KP_CONSENSUS_H

#include <jansson.h>
#include <stdint.h>

#include "evaluation.h"
#include "req.h"

/* An edit of area's texts withdraws its approval (noted in after) and, past
 * scoring, advances like any change (kp_eval_advance). */
int kp_consensus_withdraw_approval(kp_req *r, kp_eval *ev, int area, json_t *after);

/* The logins of ev's evaluators who have not submitted their scores, in the
 * arena; KP_OK, or r is failed. */
int kp_consensus_waiting(kp_req *r, int64_t eval_id, char ***out, size_t *n);

extern const kp_stmt kp_consensus_stmts[];

#endif
