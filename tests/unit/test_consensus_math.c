/*  The arithmetic of consensus (common/consensus_math.h): proposals,
 *  disagreement flags, and what `consensus auto` merges. */
#include <criterion/criterion.h>

#include "consensus_math.h"

Test(consensus_math, the_median_of_an_even_count_is_the_mean_of_the_middle_two_rounded_half_up)
{
    int64_t a[] = {1500, 1200, 1300};
    cr_assert_eq(kp_consensus_median(a, 3), 1300);
    int64_t b[] = {1200, 1301};
    cr_assert_eq(kp_consensus_median(b, 2), 1251); /* 12.505 -> 12.51 */
    int64_t c[] = {700};
    cr_assert_eq(kp_consensus_median(c, 1), 700);
}

Test(consensus_math, the_mean_is_rounded_half_up_to_hundredths)
{
    int64_t a[] = {1000, 1100};
    cr_assert_eq(kp_consensus_mean(a, 2), 1050);
    int64_t b[] = {1000, 1000, 1100}; /* 10.3333 */
    cr_assert_eq(kp_consensus_mean(b, 3), 1033);
    int64_t c[] = {1000, 1100, 1100}; /* 10.6666 */
    cr_assert_eq(kp_consensus_mean(c, 3), 1067);
    int64_t d[] = {1, 2}; /* 0.015 -> 0.02 */
    cr_assert_eq(kp_consensus_mean(d, 2), 2);
}

Test(consensus_math, a_spread_above_the_threshold_share_of_the_max_is_major)
{
    cr_assert_str_eq(kp_consensus_flag(0, 1500, 20), "agree");
    cr_assert_str_eq(kp_consensus_flag(100, 1500, 20), "minor");
    cr_assert_str_eq(kp_consensus_flag(300, 1500, 20), "minor"); /* exactly 20 %: not above */
    cr_assert_str_eq(kp_consensus_flag(301, 1500, 20), "major");
    cr_assert_str_eq(kp_consensus_flag(1500, 1500, 100), "minor");
}

Test(consensus_math, the_spread_is_the_highest_minus_the_lowest_and_a_share_of_the_max)
{
    int64_t a[] = {1200, 1500, 1300}, lo, hi;
    cr_assert_eq(kp_consensus_range(a, 3, &lo, &hi), 300);
    cr_assert_eq(lo, 1200);
    cr_assert_eq(hi, 1500);
    cr_assert_eq(a[0], 1200, "the points are left in their order");
    int64_t b[] = {700};
    cr_assert_eq(kp_consensus_range(b, 1, &lo, &hi), 0);
    cr_assert_eq(lo, 700);
    cr_assert_float_eq(kp_consensus_share(300, 1500), 0.2, 1e-12);
    cr_assert_float_eq(kp_consensus_share(300, 0), 0.0, 1e-12);
}

Test(consensus_math, the_meeting_starts_at_the_largest_spread_equal_ones_in_framework_order)
{
    double share[] = {0.1, 0.4, 0.2, 0.4, 0.0};
    size_t at[] = {0, 1, 2, 3, 4};
    kp_consensus_order_by_share(at, 5, share);
    size_t want[] = {1, 3, 2, 0, 4};
    for (size_t i = 0; i < 5; i++)
        cr_assert_eq(at[i], want[i], "at[%zu] = %zu", i, at[i]);
    size_t some[] = {3, 0};
    kp_consensus_order_by_share(some, 2, share);
    cr_assert_eq(some[0], 3);
    cr_assert_eq(some[1], 0);
}

Test(consensus_math, the_strategies_are_mean_median_and_lead)
{
    kp_consensus_strategy s;
    cr_assert_eq(kp_consensus_strategy_parse("mean", &s), 0);
    cr_assert_eq(s, KP_MERGE_MEAN);
    cr_assert_eq(kp_consensus_strategy_parse("median", &s), 0);
    cr_assert_eq(s, KP_MERGE_MEDIAN);
    cr_assert_eq(kp_consensus_strategy_parse("lead", &s), 0);
    cr_assert_eq(s, KP_MERGE_LEAD);
    cr_assert_eq(kp_consensus_strategy_parse("Mean", &s), -1);
    cr_assert_eq(kp_consensus_strategy_parse("", &s), -1);

    int64_t a[] = {1000, 1100, 1100};
    cr_assert_eq(kp_consensus_merge(KP_MERGE_MEAN, a, 3, 1000), 1067);
    cr_assert_eq(kp_consensus_merge(KP_MERGE_MEDIAN, a, 3, 1000), 1100);
    cr_assert_eq(kp_consensus_merge(KP_MERGE_LEAD, a, 3, 1000), 1000);
}

Test(consensus_math, auto_merges_under_the_callers_threshold_never_beyond_the_evaluations)
{
    cr_assert_float_eq(kp_consensus_limit(20, 0), 20, 1e-12);  /* not given */
    cr_assert_float_eq(kp_consensus_limit(20, 10), 10, 1e-12); /* tighter */
    cr_assert_float_eq(kp_consensus_limit(20, 50), 20, 1e-12); /* never looser */
    cr_assert_float_eq(kp_consensus_limit(20, 20), 20, 1e-12);
}

Test(consensus_math, auto_skips_the_incomplete_the_major_the_wide_and_the_leadless)
{
    kp_consensus_question q = {
        .evaluators = 3, .scored = 3, .spread_centi = 100, .max_centi = 1500, .lead_centi = 1200};
    cr_assert_eq(kp_consensus_may_merge(&q, 20, 20, KP_MERGE_MEAN), KP_MERGE_OK);
    cr_assert_eq(kp_consensus_may_merge(&q, 20, 20, KP_MERGE_LEAD), KP_MERGE_OK);

    q.scored = 2;
    cr_assert_eq(kp_consensus_may_merge(&q, 20, 20, KP_MERGE_MEAN), KP_MERGE_INCOMPLETE);
    q.scored = 3;

    q.spread_centi = 301; /* above 20 % of 15 */
    cr_assert_eq(kp_consensus_may_merge(&q, 20, 20, KP_MERGE_MEAN), KP_MERGE_MAJOR);
    cr_assert_eq(kp_consensus_may_merge(&q, 20, 100, KP_MERGE_MEAN), KP_MERGE_MAJOR,
                 "a major disagreement is never merged, whatever --max-spread says");

    q.spread_centi = 200; /* 13 %: minor, above a 10 % limit */
    cr_assert_eq(kp_consensus_may_merge(&q, 20, 10, KP_MERGE_MEAN), KP_MERGE_ABOVE_LIMIT);
    q.spread_centi = 150; /* exactly 10 %: not above */
    cr_assert_eq(kp_consensus_may_merge(&q, 20, 10, KP_MERGE_MEAN), KP_MERGE_OK);

    q.lead_centi = -1;
    cr_assert_eq(kp_consensus_may_merge(&q, 20, 20, KP_MERGE_LEAD), KP_MERGE_NO_LEAD);
    cr_assert_eq(kp_consensus_may_merge(&q, 20, 20, KP_MERGE_MEDIAN), KP_MERGE_OK);

    /* one evaluator: no flag, so never major */
    kp_consensus_question one = {
        .evaluators = 1, .scored = 1, .spread_centi = 0, .max_centi = 1500, .lead_centi = 900};
    cr_assert_eq(kp_consensus_may_merge(&one, 20, 20, KP_MERGE_LEAD), KP_MERGE_OK);
}
