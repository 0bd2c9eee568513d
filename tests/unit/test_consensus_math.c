/*  The arithmetic of consensus proposals and disagreement flags. */
#include <criterion/criterion.h>

#include "consensus.h"

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
