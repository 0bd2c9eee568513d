/*  points: exact hundredths, and the report's rounding. */
#include <criterion/criterion.h>

#include "points.h"

Test(points, parses_decimals_with_point_or_comma)
{
    int64_t c;
    cr_assert_eq(kp_points_parse("12", &c), 0);
    cr_assert_eq(c, 1200);
    cr_assert_eq(kp_points_parse("12.5", &c), 0);
    cr_assert_eq(c, 1250);
    cr_assert_eq(kp_points_parse("12,25", &c), 0);
    cr_assert_eq(c, 1225);
    cr_assert_eq(kp_points_parse("0.05", &c), 0);
    cr_assert_eq(c, 5);
}

Test(points, refuses_what_is_not_points)
{
    int64_t c;
    const char *bad[] = {"",   "-1", "+1", "1e3",    "1.234",      "abc", "1.",
                         ".5", "1 ", " 1", "12.5.1", "9999999999", "NaN", "1,2,3"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(kp_points_parse(bad[i], &c), -1, "'%s' was accepted", bad[i]);
}

Test(points, formats_with_as_few_decimals_as_needed)
{
    char b[24];
    cr_assert_str_eq(kp_points_format(1500, b), "15");
    cr_assert_str_eq(kp_points_format(1250, b), "12.5");
    cr_assert_str_eq(kp_points_format(1225, b), "12.25");
    cr_assert_str_eq(kp_points_format(5, b), "0.05");
    cr_assert_str_eq(kp_points_format(0, b), "0");
}

Test(points, rounds_half_up_like_the_report)
{
    /* domain.md: shown points = exact rounded half up; percent likewise. */
    cr_assert_eq(kp_points_round(1250), 13);
    cr_assert_eq(kp_points_round(1249), 12);
    cr_assert_eq(kp_points_round(850), 9);
    cr_assert_eq(kp_points_percent(820, 1000), 82);  /* Västerås 4.2: 8.2 of 10 */
    cr_assert_eq(kp_points_percent(1400, 1500), 93); /* 1.1: 93.33 */
    cr_assert_eq(kp_points_percent(1000, 1500), 67); /* 66.67 */
    cr_assert_eq(kp_points_percent(1250, 2500), 50);
    cr_assert_eq(kp_points_percent(125, 1000), 13); /* 12.5 -> 13 */
}
