/*  agreement: agreement figures over a units x raters matrix (see agreement.h,
 *  and docs/agreement.md for the formulas and their sources).
 *
 *  Krippendorff's alpha and quadratic weighted kappa are both written in the
 *  literature as sums over pairs of values; for the squared difference those
 *  sums have closed forms in sums of squared deviations, which is how they
 *  are computed here (in two passes, first the means):
 *
 *    sum over ordered pairs i != j of (x_i - x_j)^2  =  2 m * sum (x_i - mean)^2
 *
 *  for m values x_1..x_m. Whether values vary at all is decided on the whole
 *  numbers themselves, not on a floating-point sum.
 */
#include "agreement.h"

#include <string.h>

/* |a - b| as a double, for values far from overflow (centipoints). */
static double s_absdiff(int64_t a, int64_t b)
{
    return a > b ? (double)(a - b) : (double)(b - a);
}

/* Exact agreement, mean absolute difference and Krippendorff's alpha. */
static void s_pairs_and_alpha(const kp_agreement_input *in, kp_agreement_result *out)
{
    size_t agree = 0;
    double sum_abs = 0, sum_values = 0, within = 0;
    int64_t lo = INT64_MAX, hi = INT64_MIN + 1;
    for (size_t u = 0; u < in->units; u++) {
        const int64_t *row = in->values + u * in->raters;
        size_t m = 0;
        double sum = 0;
        for (size_t r = 0; r < in->raters; r++)
            if (row[r] != KP_AGREEMENT_MISSING) {
                m++;
                sum += (double)row[r];
            }
        if (m < 2) continue;
        out->pairable_units++;
        out->values += m;
        sum_values += sum;
        double mean = sum / (double)m, ss = 0;
        for (size_t i = 0; i < in->raters; i++) {
            if (row[i] == KP_AGREEMENT_MISSING) continue;
            double d = (double)row[i] - mean;
            ss += d * d;
            if (row[i] < lo) lo = row[i];
            if (row[i] > hi) hi = row[i];
            for (size_t j = i + 1; j < in->raters; j++) {
                if (row[j] == KP_AGREEMENT_MISSING) continue;
                out->pairs++;
                if (row[i] == row[j]) agree++;
                sum_abs += s_absdiff(row[i], row[j]);
            }
        }
        /* this unit's sum over ordered pairs of (x_i - x_j)^2 / (m_u - 1) */
        within += 2.0 * (double)m * ss / (double)(m - 1);
    }
    if (out->pairs == 0) return;
    out->exact_agreement = (double)agree / (double)out->pairs;
    out->mean_abs_difference = sum_abs / (double)out->pairs;
    if (lo == hi) return; /* no variation: alpha is 0/0 */

    double n = (double)out->values, grand = sum_values / n, total = 0;
    for (size_t u = 0; u < in->units; u++) {
        const int64_t *row = in->values + u * in->raters;
        size_t m = 0;
        for (size_t r = 0; r < in->raters; r++)
            m += row[r] != KP_AGREEMENT_MISSING;
        if (m < 2) continue;
        for (size_t r = 0; r < in->raters; r++)
            if (row[r] != KP_AGREEMENT_MISSING) {
                double d = (double)row[r] - grand;
                total += d * d;
            }
    }
    double observed = within / n;                      /* D_o */
    double expected = 2.0 * n * total / (n * (n - 1)); /* D_e */
    out->alpha_defined = 1;
    out->krippendorff_alpha_interval = 1.0 - observed / expected;
}

/* Quadratic weighted kappa of two raters over the units both rated. */
static void s_kappa(const kp_agreement_input *in, kp_agreement_result *out)
{
    if (in->raters != 2) return;
    size_t n = 0;
    double sx = 0, sy = 0;
    int vary = 0;
    int64_t first = 0;
    for (size_t u = 0; u < in->units; u++) {
        int64_t x = in->values[2 * u], y = in->values[2 * u + 1];
        if (x == KP_AGREEMENT_MISSING || y == KP_AGREEMENT_MISSING) continue;
        if (n == 0) first = x;
        vary |= x != first || y != first;
        n++;
        sx += (double)x;
        sy += (double)y;
    }
    if (n == 0 || !vary) return; /* nothing rated by both, or one value only: 0/0 */
    double mx = sx / (double)n, my = sy / (double)n, vx = 0, vy = 0, cxy = 0;
    for (size_t u = 0; u < in->units; u++) {
        int64_t x = in->values[2 * u], y = in->values[2 * u + 1];
        if (x == KP_AGREEMENT_MISSING || y == KP_AGREEMENT_MISSING) continue;
        double dx = (double)x - mx, dy = (double)y - my;
        vx += dx * dx;
        vy += dy * dy;
        cxy += dx * dy;
    }
    vx /= (double)n;
    vy /= (double)n;
    cxy /= (double)n;
    /* expected (chance) disagreement: mean (x_u - y_v)^2 over all u, v */
    double expected = vx + vy + (mx - my) * (mx - my);
    out->kappa_defined = 1;
    out->weighted_kappa_quadratic = 2.0 * cxy / expected;
}

int kp_agreement_compute(const kp_agreement_input *in, kp_agreement_result *out)
{
    memset(out, 0, sizeof *out);
    if (in->raters && in->units > SIZE_MAX / in->raters) return -1;
    if (in->units * in->raters == 0) return 0;
    if (!in->values) return -1;
    s_pairs_and_alpha(in, out);
    s_kappa(in, out);
    return 0;
}
