/*  agreement: how much evaluators agree, as numbers (pure functions, no I/O).
 *
 *  The input is a units x raters matrix of whole numbers with holes: in
 *  Kompass the units are questions (or evaluation-question pairs), the raters
 *  evaluators, the values their individual scores in centipoints. A unit is
 *  *pairable* when at least two raters gave it a value; only pairable units
 *  count, and within them every unordered pair of raters with values is one
 *  *pair*. From these, kp_agreement_compute() gives the figures that
 *  docs/agreement.md defines, with their formulas and sources:
 *
 *    exact_agreement              share of pairs whose two values are equal
 *    mean_abs_difference          mean |a - b| over the pairs (input's unit)
 *    krippendorff_alpha_interval  Krippendorff's alpha, interval metric,
 *                                 any number of raters, missing values allowed
 *    weighted_kappa_quadratic     Cohen's weighted kappa with quadratic
 *                                 weights over the values; exactly two raters
 *
 *  A figure that is not defined for the data (no pairs; no variation at all
 *  for alpha; not two raters for kappa) is flagged, never made up: callers
 *  print it as "-" or JSON null. Every figure is computed in one pass or two
 *  over the matrix, in double precision, from deviations about means (no
 *  cancellation between large sums).
 */
#ifndef KP_AGREEMENT_H
#define KP_AGREEMENT_H

#include <stddef.h>
#include <stdint.h>

/* The value of a cell where the rater gave none. */
#define KP_AGREEMENT_MISSING INT64_MIN

/* A units x raters matrix, row-major: the value rater r gave unit u is
 * values[u * raters + r], or KP_AGREEMENT_MISSING. Values are whole numbers
 * (centipoints) so that "equal" is exact. */
typedef struct {
    size_t units;
    size_t raters;
    const int64_t *values;
} kp_agreement_input;

typedef struct {
    size_t pairable_units; /* units with values from at least two raters */
    size_t values;         /* values in the pairable units (Krippendorff's n) */
    size_t pairs;          /* rater pairs within pairable units */
    /* Defined when pairs > 0 (else 0). */
    double exact_agreement;     /* share in [0, 1] */
    double mean_abs_difference; /* in the values' unit */
    int alpha_defined;          /* some pairs, and the values vary */
    double krippendorff_alpha_interval;
    int kappa_defined; /* exactly two raters, a unit both rated, not all values equal */
    double weighted_kappa_quadratic;
} kp_agreement_result;

/* Computes every figure of in into out (all of out is written). 0, or -1
 * when in is malformed (units * raters overflows, or values is NULL for a
 * non-empty matrix); out then says nothing is defined. */
int kp_agreement_compute(const kp_agreement_input *in, kp_agreement_result *out);

#endif
