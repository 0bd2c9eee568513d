/*  consensus_math: the arithmetic of consensus (consensus_math.h). */
#include "consensus_math.h"

#include <stdlib.h>
#include <string.h>

int kp_consensus_above(int64_t spread_centi, int64_t max_centi, double pct)
{
    return (double)spread_centi * 100.0 > pct * (double)max_centi;
}

const char *kp_consensus_flag(int64_t spread_centi, int64_t max_centi, double major_pct)
{
    if (spread_centi == 0) return "agree";
    if (kp_consensus_above(spread_centi, max_centi, major_pct)) return "major";
    return "minor";
}

int64_t kp_consensus_range(const int64_t *pts, size_t n, int64_t *lo, int64_t *hi)
{
    *lo = *hi = pts[0];
    for (size_t j = 1; j < n; j++) {
        if (pts[j] < *lo) *lo = pts[j];
        if (pts[j] > *hi) *hi = pts[j];
    }
    return *hi - *lo;
}

double kp_consensus_share(int64_t spread_centi, int64_t max_centi)
{
    return max_centi ? (double)spread_centi / (double)max_centi : 0;
}

static int s_cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int64_t kp_consensus_mean(const int64_t *pts, size_t n)
{
    int64_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += pts[i];
    return (2 * sum + (int64_t)n) / (2 * (int64_t)n); /* half up, points >= 0 */
}

int64_t kp_consensus_median(int64_t *pts, size_t n)
{
    qsort(pts, n, sizeof *pts, s_cmp_i64);
    if (n % 2) return pts[n / 2];
    return (pts[n / 2 - 1] + pts[n / 2] + 1) / 2;
}

void kp_consensus_order_by_share(size_t *at, size_t n, const double *share)
{
    /* insertion sort (a few dozen questions), stable */
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && share[at[j]] > share[at[j - 1]]; j--) {
            size_t x = at[j];
            at[j] = at[j - 1];
            at[j - 1] = x;
        }
}

int kp_consensus_strategy_parse(const char *name, kp_consensus_strategy *out)
{
    static const char *const names[] = {
        [KP_MERGE_MEAN] = "mean", [KP_MERGE_MEDIAN] = "median", [KP_MERGE_LEAD] = "lead"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strcmp(name, names[i]) == 0) {
            *out = (kp_consensus_strategy)i;
            return 0;
        }
    return -1;
}

double kp_consensus_limit(double major_pct, double max_spread_pct)
{
    return max_spread_pct > 0 && max_spread_pct < major_pct ? max_spread_pct : major_pct;
}

kp_consensus_skip kp_consensus_may_merge(const kp_consensus_question *q, double major_pct,
                                         double limit, kp_consensus_strategy strategy)
{
    if (q->scored < q->evaluators) return KP_MERGE_INCOMPLETE;
    /* a flag needs two evaluators' points */
    if (q->scored >= 2 && q->spread_centi != 0 &&
        kp_consensus_above(q->spread_centi, q->max_centi, major_pct))
        return KP_MERGE_MAJOR;
    if (kp_consensus_above(q->spread_centi, q->max_centi, limit)) return KP_MERGE_ABOVE_LIMIT;
    if (strategy == KP_MERGE_LEAD && q->lead_centi < 0) return KP_MERGE_NO_LEAD;
    return KP_MERGE_OK;
}

int64_t kp_consensus_merge(kp_consensus_strategy strategy, int64_t *pts, size_t n,
                           int64_t lead_centi)
{
    switch (strategy) {
    case KP_MERGE_MEAN:
        return kp_consensus_mean(pts, n);
    case KP_MERGE_MEDIAN:
        return kp_consensus_median(pts, n);
    case KP_MERGE_LEAD:
        break;
    }
    return lead_centi;
}
