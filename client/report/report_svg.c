/*  report_svg: bar chart and radar chart of a report.
 *
 *  Coordinates are written with integer arithmetic (one decimal), never
 *  with printf's %f, so that a locale with a decimal comma cannot break the
 *  SVG. Text goes through kp_report_html_escape.
 */
#include "report_svg.h"

#include <math.h>
#include <string.h>

#include "report_text.h"

#define LABEL_LINES 3
#define MAX_AXES    64 /* areas a radar can show (KommunKompassen has 8) */

/* Writes v with one decimal, '.' as the mark, whatever the locale. */
static void s_num(FILE *out, double v)
{
    long long t = llround(v * 10.0);
    if (t < 0) {
        fputc('-', out);
        t = -t;
    }
    if (t % 10)
        fprintf(out, "%lld.%lld", t / 10, t % 10);
    else
        fprintf(out, "%lld", t / 10);
}

/* A 0-100 value: centi of max_centi as a percent (unrounded: geometry). */
static double s_scale(int64_t centi, int64_t max_centi)
{
    return 100.0 * (double)centi / (double)max_centi;
}

/* <text> of up to `lines` wrapped lines, the first baseline at y, each next
 * line lh lower. */
static void s_text_lines(FILE *out, double x, double y, double lh, const char *anchor,
                         const char *cls, const char *text, size_t width, size_t max_lines)
{
    const char *starts[LABEL_LINES];
    size_t lens[LABEL_LINES];
    if (max_lines > LABEL_LINES) max_lines = LABEL_LINES;
    size_t n = kp_report_wrap(text, width, starts, lens, max_lines);
    fprintf(out, "<text class=\"%s\" text-anchor=\"%s\">", cls, anchor);
    for (size_t i = 0; i < n; i++) {
        fputs("<tspan x=\"", out);
        s_num(out, x);
        fputs("\" y=\"", out);
        s_num(out, y + lh * (double)i);
        fputs("\">", out);
        kp_report_html_escape(out, starts[i], lens[i]);
        fputs("</tspan>", out);
    }
    fputs("</text>", out);
}

/* How many lines s_text_lines will use. */
static size_t s_line_count(const char *text, size_t width, size_t max_lines)
{
    const char *starts[LABEL_LINES];
    size_t lens[LABEL_LINES];
    if (max_lines > LABEL_LINES) max_lines = LABEL_LINES;
    return kp_report_wrap(text, width, starts, lens, max_lines);
}

/* ---------------------------------------------------------------- bars */

#define BAR_W       760.0
#define BAR_X0      300.0 /* where bars start */
#define BAR_LEN     400.0 /* length of 100 */
#define BAR_ROW     42.0
#define BAR_H       22.0
#define BAR_TOP     8.0
#define BAR_LABEL_W 38   /* characters per label line */
#define BAR_LH      16.0 /* label line height */

void kp_report_svg_bars(FILE *out, kp_arena *a, const kp_report *r)
{
    double bottom = BAR_TOP + BAR_ROW * (double)r->n_areas;
    double h = bottom + 28.0;
    fputs("<svg class=\"chart chart-bars\" viewBox=\"0 0 ", out);
    s_num(out, BAR_W);
    fputc(' ', out);
    s_num(out, h);
    fputs("\" role=\"img\" aria-label=\"Poäng per område\">", out);

    /* grid: 0, 20, ... 100 */
    for (int g = 0; g <= 100; g += 20) {
        double x = BAR_X0 + BAR_LEN * g / 100.0;
        fputs("<line class=\"grid\" x1=\"", out);
        s_num(out, x);
        fprintf(out, "\" y1=\"%d\" x2=\"", (int)BAR_TOP - 4);
        s_num(out, x);
        fputs("\" y2=\"", out);
        s_num(out, bottom);
        fputs("\"/><text class=\"tick\" text-anchor=\"middle\" x=\"", out);
        s_num(out, x);
        fputs("\" y=\"", out);
        s_num(out, bottom + 18.0);
        fprintf(out, "\">%d</text>", g);
    }

    for (size_t i = 0; i < r->n_areas; i++) {
        const kp_report_area *area = &r->areas[i];
        int64_t achieved = kp_report_area_achieved(area);
        double v = s_scale(achieved * 100, kp_report_area_max(area));
        double y = BAR_TOP + BAR_ROW * (double)i + (BAR_ROW - BAR_H) / 2.0;
        const char *name = kp_report_sv_area_name(a, area);
        size_t lines = s_line_count(name, BAR_LABEL_W, 2);
        double ty = y + BAR_H / 2.0 + 4.5 - BAR_LH / 2.0 * (double)(lines - 1);
        s_text_lines(out, BAR_X0 - 10.0, ty, BAR_LH, "end", "label", name, BAR_LABEL_W, 2);
        fputs("<rect class=\"bar\" x=\"", out);
        s_num(out, BAR_X0);
        fputs("\" y=\"", out);
        s_num(out, y);
        fputs("\" width=\"", out);
        s_num(out, BAR_LEN * v / 100.0);
        fputs("\" height=\"", out);
        s_num(out, BAR_H);
        fputs("\" rx=\"2\"/><text class=\"value\" x=\"", out);
        s_num(out, BAR_X0 + BAR_LEN * v / 100.0 + 6.0);
        fputs("\" y=\"", out);
        s_num(out, y + BAR_H / 2.0 + 4.5);
        fprintf(out, "\">%lld</text>", (long long)achieved);
    }
    fputs("</svg>", out);
}

/* ---------------------------------------------------------------- radar */

#define RADAR_W       800.0
#define RADAR_CX      400.0
#define RADAR_CY      290.0
#define RADAR_R       200.0
#define RADAR_LABEL_W 22   /* characters per label line */
#define RADAR_LH      17.0 /* label line height */

typedef struct {
    const char *cls;         /* "current", "average", "previous" */
    const char *label;       /* legend text */
    double values[MAX_AXES]; /* 0-100 per area */
} series;

static void s_point(size_t i, size_t n, double v, double *x, double *y)
{
    double angle = -M_PI / 2.0 + 2.0 * M_PI * (double)i / (double)n;
    *x = RADAR_CX + RADAR_R * v / 100.0 * cos(angle);
    *y = RADAR_CY + RADAR_R * v / 100.0 * sin(angle);
}

static void s_polygon_points(FILE *out, size_t n, const double *values)
{
    for (size_t i = 0; i < n; i++) {
        double x, y;
        s_point(i, n, values[i], &x, &y);
        if (i) fputc(' ', out);
        s_num(out, x);
        fputc(',', out);
        s_num(out, y);
    }
}

static void s_radar_label(FILE *out, size_t i, size_t n, const char *name)
{
    double angle = -M_PI / 2.0 + 2.0 * M_PI * (double)i / (double)n;
    double c = cos(angle), s = sin(angle);
    double x = RADAR_CX + (RADAR_R + 14.0) * c, y = RADAR_CY + (RADAR_R + 14.0) * s;
    const char *anchor = c > 0.3 ? "start" : c < -0.3 ? "end" : "middle";
    size_t lines = s_line_count(name, RADAR_LABEL_W, LABEL_LINES);
    double block = RADAR_LH * (double)(lines - 1);
    double first;
    if (s < -0.7) /* above the chart: the block ends at the point */
        first = y - block - 2.0;
    else if (s > 0.7) /* below: it starts there */
        first = y + 13.0;
    else /* beside: centred on it */
        first = y + 5.0 - block / 2.0;
    s_text_lines(out, x, first, RADAR_LH, anchor, "label", name, RADAR_LABEL_W, LABEL_LINES);
}

/* About how wide a legend entry is: its line, its text, a gap. */
static double s_legend_width(const series *s)
{
    return 34.0 + 7.5 * (double)strlen(s->label) + 30.0;
}

/* The legend takes one row, centred, when its entries fit; else one each. */
static bool s_legend_one_row(const series *ss, size_t ns)
{
    double total = 0;
    for (size_t k = 0; k < ns; k++)
        total += s_legend_width(&ss[k]);
    return total < RADAR_W;
}

static void s_legend(FILE *out, const series *ss, size_t ns, double y)
{
    bool one_row = s_legend_one_row(ss, ns);
    double total = 0;
    for (size_t k = 0; k < ns; k++)
        total += s_legend_width(&ss[k]);
    double x = one_row ? (RADAR_W - total) / 2.0 : 4.0;
    for (size_t k = 0; k < ns; k++) {
        double ly = one_row ? y : y + 22.0 * (double)k;
        fprintf(out, "<g class=\"legend-%s\"><line x1=\"", ss[k].cls);
        s_num(out, x);
        fputs("\" y1=\"", out);
        s_num(out, ly - 4.0);
        fputs("\" x2=\"", out);
        s_num(out, x + 26.0);
        fputs("\" y2=\"", out);
        s_num(out, ly - 4.0);
        fputs("\"/><text x=\"", out);
        s_num(out, x + 34.0);
        fputs("\" y=\"", out);
        s_num(out, ly);
        fputs("\">", out);
        kp_report_html_puts(out, ss[k].label);
        fputs("</text></g>", out);
        x = one_row ? x + s_legend_width(&ss[k]) : 4.0;
    }
}

bool kp_report_svg_radar(FILE *out, kp_arena *a, const kp_report *r)
{
    size_t n = r->n_areas;
    if (n < 3 || n > MAX_AXES) return false;

    series ss[3];
    size_t ns = 0;
    ss[ns].cls = "current";
    ss[ns].label = kp_report_sv_current(a, r);
    for (size_t i = 0; i < n; i++)
        ss[ns].values[i] =
            s_scale(kp_report_area_achieved(&r->areas[i]) * 100, kp_report_area_max(&r->areas[i]));
    ns++;
    if (kp_report_has_average(r)) {
        ss[ns].cls = "average";
        ss[ns].label = kp_report_sv_average(a, r);
        for (size_t i = 0; i < n; i++)
            ss[ns].values[i] = s_scale(r->areas[i].average, kp_report_area_max(&r->areas[i]));
        ns++;
    }
    if (r->previous_label) {
        ss[ns].cls = "previous";
        ss[ns].label = r->previous_label;
        for (size_t i = 0; i < n; i++)
            ss[ns].values[i] = s_scale(r->areas[i].previous, kp_report_area_max(&r->areas[i]));
        ns++;
    }

    double legend_y = RADAR_CY + RADAR_R + 100.0;
    size_t legend_rows = s_legend_one_row(ss, ns) ? 1 : ns;
    fputs("<svg class=\"chart chart-radar\" viewBox=\"0 0 ", out);
    s_num(out, RADAR_W);
    fputc(' ', out);
    s_num(out, legend_y + 22.0 * (double)legend_rows);
    fputs("\" role=\"img\" aria-label=\"Poäng per område i jämförelse\">", out);

    double ring[MAX_AXES];
    for (int g = 20; g <= 100; g += 20) {
        for (size_t i = 0; i < n; i++)
            ring[i] = g;
        fputs("<polygon class=\"radar-ring\" points=\"", out);
        s_polygon_points(out, n, ring);
        fputs("\"/>", out);
    }
    for (size_t i = 0; i < n; i++) {
        double x, y;
        s_point(i, n, 100.0, &x, &y);
        fputs("<line class=\"radar-axis\" x1=\"", out);
        s_num(out, RADAR_CX);
        fputs("\" y1=\"", out);
        s_num(out, RADAR_CY);
        fputs("\" x2=\"", out);
        s_num(out, x);
        fputs("\" y2=\"", out);
        s_num(out, y);
        fputs("\"/>", out);
    }
    for (int g = 0; g <= 100; g += 20) {
        fputs("<text class=\"tick\" x=\"", out);
        s_num(out, RADAR_CX + 5.0);
        fputs("\" y=\"", out);
        s_num(out, RADAR_CY - RADAR_R * g / 100.0 + 12.0);
        fprintf(out, "\">%d</text>", g);
    }
    for (size_t i = 0; i < n; i++)
        s_radar_label(out, i, n, kp_report_sv_area_name(a, &r->areas[i]));

    /* the comparisons under this evaluation, which is drawn last */
    for (size_t k = ns; k-- > 0;) {
        fprintf(out, "<polygon class=\"series-%s\" points=\"", ss[k].cls);
        s_polygon_points(out, n, ss[k].values);
        fputs("\"/>", out);
    }
    for (size_t i = 0; i < n; i++) {
        double x, y;
        s_point(i, n, ss[0].values[i], &x, &y);
        fputs("<circle class=\"point-current\" cx=\"", out);
        s_num(out, x);
        fputs("\" cy=\"", out);
        s_num(out, y);
        fputs("\" r=\"3.5\"/>", out);
    }
    s_legend(out, ss, ns, legend_y);
    fputs("</svg>", out);
    return true;
}
