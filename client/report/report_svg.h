/*  report_svg: the report's two charts as inline SVG.
 *
 *  Both draw each area on a 0-100 scale: its points as a percent of its
 *  maximum (for the framework's areas of 100 points, the points themselves).
 *  Elements carry stable classes so that tests and style sheets can find
 *  them: `bar` per area in the bar chart; in the radar `radar-axis` per area,
 *  `radar-ring` per grid ring, and one polygon per series, `series-current`,
 *  `series-average`, `series-previous`, each with a `legend-*` entry.
 *  The SVG has no xmlns: it is meant to be inline in HTML5.
 */
#ifndef KP_REPORT_SVG_H
#define KP_REPORT_SVG_H

#include <stdio.h>

#include "arena.h"
#include "report.h"

/* A horizontal bar per area with its achieved points. */
void kp_report_svg_bars(FILE *out, kp_arena *a, const kp_report *r);

/* A radar chart, one axis per area (the first at the top, clockwise), with
 * this evaluation, and the average and the previous evaluation when the
 * report has them. Needs at least three areas; with fewer it writes nothing
 * and returns false. */
bool kp_report_svg_radar(FILE *out, kp_arena *a, const kp_report *r);

#endif
