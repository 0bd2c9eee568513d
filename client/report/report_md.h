/*  report_md: the parts of the Markdown report (report_md.c) that the other
 *  templates (the PM, report_pm.c) share with it: the same escaping, lists,
 *  comparison table and signatures.
 */
#ifndef KP_REPORT_MD_H
#define KP_REPORT_MD_H

#include <stdio.h>

#include "arena.h"
#include "report.h"

/* Inline text (a cell, a heading, after a label), escaped; NULL: nothing. */
void kp_report_md_puts(FILE *out, const char *s);

/* Text that starts a paragraph or a list item, escaped. */
void kp_report_md_block(FILE *out, const char *s);

/* A list, one "- " item a line, "*Inga angivna.*" when empty. */
void kp_report_md_list(FILE *out, const kp_report_list *l);

/* The table of points per area beside the comparisons, and what the average
 * is of or why none is drawn. */
void kp_report_md_compare_table(FILE *out, kp_arena *a, const kp_report *r);

/* The signatures under heading (a whole heading line: "## 5 Signaturer"),
 * with when the municipality reviewed the draft. */
void kp_report_md_signatures(FILE *out, kp_arena *a, const kp_report *r, const char *heading);

#endif
