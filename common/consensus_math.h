/*  consensus_math: the arithmetic of consensus (pure functions, no I/O).
 *
 *  Beside agreement.c, which says how much evaluators agree, this says what
 *  the team is shown and what may be merged without a meeting
 *  (docs/signoff.md, "Consensus"). Per question, from every evaluator's
 *  points in whole hundredths (centipoints, >= 0):
 *
 *    spread     highest - lowest, and as a share of the question's max
 *    flag       "agree" (spread 0), "major" (spread above the evaluation's
 *               threshold, a percentage of the max), else "minor"
 *    proposal   the median, rounded half up to hundredths
 *
 *  and for `consensus auto`: the threshold it merges under (the caller's,
 *  never beyond the evaluation's), whether a question may be merged (every
 *  evaluator scored it, not a major disagreement, spread within the
 *  threshold, for the lead strategy a lead's score), and the merged value
 *  (mean or median rounded half up, or the lead's). The handlers that read
 *  and write the rows are in server/rpc_consensus.c.
 */
#ifndef KP_CONSENSUS_MATH_H
#define KP_CONSENSUS_MATH_H

#include <stddef.h>
#include <stdint.h>

/* The flag for a spread: "agree" (0), "major" (spread > pct % of max), else
 * "minor". */
const char *kp_consensus_flag(int64_t spread_centi, int64_t max_centi, double major_pct);

/* Whether spread is above pct % of max (the test behind "major", and
 * behind `consensus auto --max-spread`). */
int kp_consensus_above(int64_t spread_centi, int64_t max_centi, double pct);

/* The lowest and highest of n points (n >= 1) into *lo and *hi; returns the
 * spread, *hi - *lo. */
int64_t kp_consensus_range(const int64_t *pts, size_t n, int64_t *lo, int64_t *hi);

/* The spread as a share of max (0 when max is 0). */
double kp_consensus_share(int64_t spread_centi, int64_t max_centi);

/* The median of n points (n >= 1), rounded half up to hundredths (sorts
 * pts). */
int64_t kp_consensus_median(int64_t *pts, size_t n);

/* The mean of n points (n >= 1), rounded half up to hundredths. */
int64_t kp_consensus_mean(const int64_t *pts, size_t n);

/* Orders at[0..n) (indices into share) by share, largest first, stable:
 * equal shares keep their order (the agenda of the meeting). */
void kp_consensus_order_by_share(size_t *at, size_t n, const double *share);

/* How `consensus auto` merges. */
typedef enum {
    KP_MERGE_MEAN,   /* the mean, rounded half up */
    KP_MERGE_MEDIAN, /* the median, rounded half up */
    KP_MERGE_LEAD,   /* the lead's score */
} kp_consensus_strategy;

/* The strategy named name ("mean", "median", "lead"): 0 with *out, or -1. */
int kp_consensus_strategy_parse(const char *name, kp_consensus_strategy *out);

/* The threshold `consensus auto` merges under: max_spread_pct when it is
 * given (above 0) and below the evaluation's major_pct, else major_pct. */
double kp_consensus_limit(double major_pct, double max_spread_pct);

/* One question as `consensus auto` sees it. */
typedef struct {
    size_t evaluators;    /* the evaluators (lead and peers) */
    size_t scored;        /* how many of them scored it */
    int64_t spread_centi; /* of their points */
    int64_t max_centi;    /* the question's max */
    int64_t lead_centi;   /* the lead's points; -1: the lead has not scored it */
} kp_consensus_question;

/* Why a question is not merged automatically. */
typedef enum {
    KP_MERGE_OK,          /* it is merged */
    KP_MERGE_INCOMPLETE,  /* not every evaluator scored it */
    KP_MERGE_MAJOR,       /* a major disagreement: never merged automatically */
    KP_MERGE_ABOVE_LIMIT, /* the spread is above the threshold */
    KP_MERGE_NO_LEAD,     /* the lead strategy, and the lead has not scored it */
} kp_consensus_skip;

/* Whether q may be merged by strategy under limit (kp_consensus_limit),
 * with major_pct the evaluation's threshold; the first reason that holds,
 * in the order of kp_consensus_skip. */
kp_consensus_skip kp_consensus_may_merge(const kp_consensus_question *q, double major_pct,
                                         double limit, kp_consensus_strategy strategy);

/* The merged value of n points (n >= 1) by strategy (sorts pts for the
 * median); for the lead strategy, lead_centi. */
int64_t kp_consensus_merge(kp_consensus_strategy strategy, int64_t *pts, size_t n,
                           int64_t lead_centi);

#endif
