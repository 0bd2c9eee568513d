/*  agreement: the figures of docs/agreement.md against published examples.
 *
 *  Sources (each test names its own):
 *  [K2011] Krippendorff, K. (2011). Computing Krippendorff's Alpha-Reliability.
 *          Annenberg School for Communication, University of Pennsylvania,
 *          https://repository.upenn.edu/asc_papers/43 . Section C: 4 observers,
 *          12 units, values 1-5, missing data; alpha nominal 0.743, interval
 *          0.849. Section A: 2 observers, 10 units, binary; alpha 0.095.
 *  [G2014] Gwet, K. L. (2014). Handbook of Inter-Rater Reliability, 4th ed.
 *          Advanced Analytics. Its 3x3 table of 100 pregnant women classified
 *          by two abstractors (Ectopic, AIU, NIU), shipped as the data set
 *          cont3x3abstractors of Gwet's R package irrCAC, whose documented
 *          example output is Cohen's kappa 0.7964094 and, with quadratic
 *          weights, 0.8921569 (irrCAC, kappa2.table).
 */
#include <criterion/criterion.h>

#include "agreement.h"

#define M KP_AGREEMENT_MISSING

static kp_agreement_result s_compute(const int64_t *values, size_t units, size_t raters)
{
    kp_agreement_input in = {.units = units, .raters = raters, .values = values};
    kp_agreement_result out;
    cr_assert_eq(kp_agreement_compute(&in, &out), 0);
    return out;
}

/* [K2011] section C, rows = the 12 units, columns = observers A, B, C, D. */
static const int64_t s_k2011_c[12 * 4] = {
    1, 1, M, 1, /*  1 */
    2, 2, 3, 2, /*  2 */
    3, 3, 3, 3, /*  3 */
    3, 3, 3, 3, /*  4 */
    2, 2, 2, 2, /*  5 */
    1, 2, 3, 4, /*  6 */
    4, 4, 4, 4, /*  7 */
    1, 1, 2, 1, /*  8 */
    2, 2, 2, 2, /*  9 */
    M, 5, 5, 5, /* 10 */
    M, M, 1, 1, /* 11 */
    M, 3, M, M, /* 12: one value, not pairable */
};

Test(agreement, krippendorff_interval_alpha_of_the_published_example_is_0_849)
{
    kp_agreement_result r = s_compute(s_k2011_c, 12, 4);
    /* [K2011]: unit 12 has a single value and drops out; n = 40 values */
    cr_assert_eq(r.pairable_units, 11);
    cr_assert_eq(r.values, 40);
    cr_assert(r.alpha_defined);
    /* D_o = 0.4333, D_e = 2.8718 (in squared points): 1 - D_o / D_e */
    cr_assert_float_eq(r.krippendorff_alpha_interval, 0.849, 0.0005, "alpha = %f",
                       r.krippendorff_alpha_interval);
    /* to more places than the paper prints: 1 - (13/30) / (112/39) */
    cr_assert_float_eq(r.krippendorff_alpha_interval, 1.0 - (13.0 / 30.0) / (112.0 / 39.0), 1e-12);
    /* four raters: no kappa */
    cr_assert(!r.kappa_defined);
}

Test(agreement, exact_agreement_and_mean_difference_count_rater_pairs_within_units)
{
    kp_agreement_result r = s_compute(s_k2011_c, 12, 4);
    /* By hand from the table: units 1 and 10 have 3 values (3 pairs each),
     * unit 11 has 2 (1 pair), the other eight pairable units 4 (6 pairs):
     * 55 pairs. Unequal pairs: unit 2 (3 pairs, each 1 apart), unit 6 (all 6:
     * 1+2+3+1+2+1 = 10), unit 8 (3 pairs, each 1 apart): 12 pairs, sum 16. */
    cr_assert_eq(r.pairs, 55);
    cr_assert_float_eq(r.exact_agreement, 43.0 / 55.0, 1e-12);
    cr_assert_float_eq(r.mean_abs_difference, 16.0 / 55.0, 1e-12);
}

Test(agreement, binary_alpha_of_two_observers_is_0_095)
{
    /* [K2011] section A: for values 0 and 1 the interval metric equals the
     * nominal one, so interval alpha is the published 0.095:
     * D_o = 8/20, D_e = 2 * 6 * 14 / (20 * 19). */
    static const int64_t v[10 * 2] = {0, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0};
    kp_agreement_result r = s_compute(v, 10, 2);
    cr_assert(r.alpha_defined);
    cr_assert_float_eq(r.krippendorff_alpha_interval, 0.095, 0.0005);
    cr_assert_float_eq(r.krippendorff_alpha_interval, 1.0 - 0.4 / (168.0 / 380.0), 1e-12);
    cr_assert_float_eq(r.exact_agreement, 0.6, 1e-12);
}

/* [G2014]'s table as 100 units rated by two abstractors, categories coded
 * Ectopic 1, AIU 2, NIU 3 (rows: abstractor 1, columns: abstractor 2):
 *            1   2   3
 *      1    13   0   0
 *      2     0  20   7
 *      3     0   4  56          */
static void s_gwet(int64_t *v)
{
    static const struct {
        int64_t a, b;
        int count;
    } cells[] = {{1, 1, 13}, {2, 2, 20}, {2, 3, 7}, {3, 2, 4}, {3, 3, 56}};
    size_t u = 0;
    for (size_t c = 0; c < sizeof cells / sizeof cells[0]; c++)
        for (int k = 0; k < cells[c].count; k++, u++) {
            v[2 * u] = cells[c].a;
            v[2 * u + 1] = cells[c].b;
        }
    cr_assert_eq(u, 100);
}

Test(agreement, quadratic_weighted_kappa_of_the_published_example_is_0_8921569)
{
    int64_t v[200];
    s_gwet(v);
    kp_agreement_result r = s_compute(v, 100, 2);
    cr_assert(r.kappa_defined);
    /* By hand: weights 1 - (i - j)^2 / (3 - 1)^2, so 0.75 one category apart.
     * p_o = 0.89 + 0.75 * 0.11 = 0.9725; margins 13, 27, 60 and 13, 24, 63
     * give p_e = 0.745; kappa = (0.9725 - 0.745) / (1 - 0.745) = 0.892157 */
    cr_assert_float_eq(r.weighted_kappa_quadratic, 0.8921569, 0.0000001, "kappa = %.7f",
                       r.weighted_kappa_quadratic);
    cr_assert_float_eq(r.weighted_kappa_quadratic, 0.2275 / 0.255, 1e-12);
    /* Gwet's percent agreement p_a = 0.89 is our exact agreement */
    cr_assert_eq(r.pairs, 100);
    cr_assert_float_eq(r.exact_agreement, 0.89, 1e-12);
    cr_assert_float_eq(r.mean_abs_difference, 0.11, 1e-12);
}

Test(agreement, kappa_weighs_by_the_values_not_by_their_rank)
{
    /* Categories are the distinct values observed, and the weights come
     * from the values: 0 vs 30 is nine times as bad as 0 vs 10. Scaling all
     * values changes nothing (centipoints or points give the same kappa). */
    int64_t v[200], scaled[200];
    s_gwet(v);
    for (size_t i = 0; i < 200; i++)
        scaled[i] = v[i] * 1000;
    kp_agreement_result a = s_compute(v, 100, 2), b = s_compute(scaled, 100, 2);
    cr_assert_float_eq(a.weighted_kappa_quadratic, b.weighted_kappa_quadratic, 1e-12);
    cr_assert_float_eq(b.mean_abs_difference, 110.0, 1e-9);
    /* The same three categories as values 0, 1, 3: AIU and NIU are now 2
     * apart, their 11 disagreements weigh four times as much, and kappa
     * falls from 0.892 to 0.8407 (margins 13, 27, 60 and 13, 24, 63 as
     * before: observed mean squared difference 0.44, expected 2.7618). */
    for (size_t i = 0; i < 200; i++)
        scaled[i] = v[i] == 3 ? 3 : v[i] - 1;
    kp_agreement_result c = s_compute(scaled, 100, 2);
    cr_assert_float_eq(c.weighted_kappa_quadratic, 0.8406836, 0.0000005, "kappa = %.7f",
                       c.weighted_kappa_quadratic);
}

Test(agreement, perfect_agreement_with_variation_gives_one)
{
    static const int64_t v[] = {1500, 1500, 1000, 1000, 2500, 2500};
    kp_agreement_result r = s_compute(v, 3, 2);
    cr_assert_float_eq(r.exact_agreement, 1.0, 1e-12);
    cr_assert_float_eq(r.mean_abs_difference, 0.0, 1e-12);
    cr_assert(r.alpha_defined && r.kappa_defined);
    cr_assert_float_eq(r.krippendorff_alpha_interval, 1.0, 1e-12);
    cr_assert_float_eq(r.weighted_kappa_quadratic, 1.0, 1e-12);
}

Test(agreement, all_values_identical_leave_alpha_and_kappa_undefined)
{
    /* Nothing varies: both coefficients are 0/0 (docs/agreement.md: null),
     * while the raters agree exactly on every pair. */
    static const int64_t v[] = {500, 500, 500, 500, 500, M};
    kp_agreement_result r = s_compute(v, 3, 2);
    cr_assert_eq(r.pairable_units, 2);
    cr_assert_eq(r.pairs, 2);
    cr_assert_float_eq(r.exact_agreement, 1.0, 1e-12);
    cr_assert(!r.alpha_defined);
    cr_assert(!r.kappa_defined);
}

Test(agreement, one_rater_has_no_pairs_and_no_figures)
{
    static const int64_t v[] = {1, 2, 3};
    kp_agreement_result r = s_compute(v, 3, 1);
    cr_assert_eq(r.pairable_units, 0);
    cr_assert_eq(r.pairs, 0);
    cr_assert(!r.alpha_defined);
    cr_assert(!r.kappa_defined);
}

Test(agreement, two_raters_who_never_rated_the_same_unit_have_no_pairs)
{
    static const int64_t v[] = {1, M, M, 2, 3, M};
    kp_agreement_result r = s_compute(v, 3, 2);
    cr_assert_eq(r.pairable_units, 0);
    cr_assert(!r.alpha_defined);
    cr_assert(!r.kappa_defined);
}

Test(agreement, kappa_uses_only_units_both_raters_rated)
{
    /* The published table plus units only one abstractor rated: kappa is
     * that of the 100 complete units. */
    int64_t v[206];
    s_gwet(v);
    static const int64_t extra[] = {1, M, M, 3, 2, M};
    for (size_t i = 0; i < 6; i++)
        v[200 + i] = extra[i];
    kp_agreement_result r = s_compute(v, 103, 2);
    cr_assert_eq(r.pairable_units, 100);
    cr_assert_float_eq(r.weighted_kappa_quadratic, 0.2275 / 0.255, 1e-12);
}

Test(agreement, an_empty_matrix_is_fine_and_a_missing_one_is_refused)
{
    kp_agreement_input in = {.units = 0, .raters = 2, .values = NULL};
    kp_agreement_result r;
    cr_assert_eq(kp_agreement_compute(&in, &r), 0);
    cr_assert_eq(r.pairs, 0);
    in.units = 3;
    cr_assert_eq(kp_agreement_compute(&in, &r), -1);
    in.units = SIZE_MAX / 2 + 1;
    in.raters = 4;
    cr_assert_eq(kp_agreement_compute(&in, &r), -1);
}
