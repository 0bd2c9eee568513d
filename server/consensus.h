/*  consensus: from the evaluators' independent scores to the team's agreed
 *  ones, and the status moves that follow from them.
 *
 *  The rows (rpc_consensus.c) put per question every evaluator's points next
 *  to the spread, a flag and a proposal; the writers (ConsensusSet,
 *  ConsensusAuto, TextApprove, TextSave) end with kp_consensus_advance(),
 *  which moves consensus <-> review as completeness comes and goes and
 *  cancels signatures given to content that has since changed.
 */
#ifndef KP_CONSENSUS_H
#define KP_CONSENSUS_H

#include <jansson.h>
#include <stdint.h>

#include "evaluation.h"
#include "req.h"

/* After a change to what is signed (scores, texts, approvals) in ev's
 * transaction: cancels the current revision's signatures, moves
 * consensus/reopened -> review when every question has a consensus score and
 * every area is approved, review -> consensus when not. Adds what happened
 * ("status", "signatures_cancelled") to after (an object) for the change's
 * audit event; ev->status is updated. */
int kp_consensus_advance(kp_req *r, kp_eval *ev, json_t *after);

/* The flag for a spread: "agree" (0), "major" (spread > pct % of max), else
 * "minor". */
const char *kp_consensus_flag(int64_t spread_centi, int64_t max_centi, double major_pct);

/* The median of n points, rounded half up to hundredths (sorts pts). */
int64_t kp_consensus_median(int64_t *pts, size_t n);

/* The mean of n points, rounded half up to hundredths. */
int64_t kp_consensus_mean(const int64_t *pts, size_t n);

/* An edit of area's texts withdraws its approval (noted in after) and, past
 * scoring, advances like any change (kp_consensus_advance). */
int kp_consensus_withdraw_approval(kp_req *r, kp_eval *ev, int area, json_t *after);

/* An evaluation's progress towards sign-off (EvalStatus, and what
 * kp_consensus_advance decides on). */
typedef struct {
    int64_t evaluators, submitted, questions, resolved, areas, approved;
    char **open; /* questions whose thread is open */
    size_t n_open;
} kp_consensus_counts;

/* Reads ev's counts; KP_OK, or r is failed. */
int kp_consensus_counts_read(kp_req *r, const kp_eval *ev, kp_consensus_counts *c);

/* The logins of ev's evaluators who have not submitted their scores, in the
 * arena; KP_OK, or r is failed. */
int kp_consensus_waiting(kp_req *r, int64_t eval_id, char ***out, size_t *n);

extern const kp_stmt kp_consensus_stmts[];

#endif
