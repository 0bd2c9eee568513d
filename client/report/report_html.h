/*  report_html: the parts of the HTML report (report_html.c) that the other
 *  templates (the PM, report_pm.c) share with it, so that a memo and the
 *  full report look alike and escape alike: the same style sheet, draft
 *  marking and page boxes, the same comparison table and signature page.
 */
#ifndef KP_REPORT_HTML_H
#define KP_REPORT_HTML_H

#include <stdio.h>

#include "arena.h"
#include "report.h"

/* The document up to and including <main> (and the draft banner): title in
 * <title>, the report's style sheet followed by extra_css (NULL: none), the
 * print page boxes, and for an unsigned report the draft watermark. */
void kp_report_html_begin(FILE *out, kp_arena *a, const kp_report *r, const char *title,
                          const char *extra_css);

/* Closes what kp_report_html_begin opened. */
void kp_report_html_end(FILE *out);

/* open, text escaped, close. */
void kp_report_html_el(FILE *out, const char *open, const char *text, const char *close);

/* A list as <ul class=cls> (cls NULL: none), "Inga angivna." when empty. */
void kp_report_html_list(FILE *out, const char *cls, const kp_report_list *l);

/* The table of points per area beside the average and the previous
 * evaluation, and what the average is of or why none is drawn. */
void kp_report_html_compare_table(FILE *out, kp_arena *a, const kp_report *r);

/* The signature page under heading, with when the municipality reviewed the
 * draft. */
void kp_report_html_signatures(FILE *out, kp_arena *a, const kp_report *r, const char *heading);

#endif
