/*  report_render: a report (report.h) as HTML, Markdown, CSV or JSON.
 *
 *  Each renderer checks the model (kp_report_check) and writes one whole
 *  document to out: KP_OK; KP_BAD_REQUEST when the model fails the check
 *  (call kp_report_check for the sentence) or, for JSON, holds a string that
 *  is not UTF-8; KP_INTERNAL when writing to out failed. On an error out may
 *  hold a partial document. To render into memory, give them a stream from
 *  open_memstream(3).
 *
 *  - HTML (report_html.c): one self-contained page in Swedish, in the shape
 *    of SKL's published analyses: inline CSS and SVG charts, no script, no
 *    network; A4 pages in print, "UTKAST – ej signerad" on every page of an
 *    unsigned report.
 *  - Markdown (report_md.c): the same content, tables for the overview.
 *  - CSV (report_csv.c): the figures, RFC 4180, UTF-8 without BOM, CRLF.
 *  - JSON (report_json.c): the figures and texts as one document.
 *  - The PM (report_pm.c), HTML and Markdown: the short memo "PM Utvärdering
 *    enligt Kommunkompassen": the evaluation, the team, the total and the
 *    points per area with the radar, and per area the strengths and
 *    improvement opportunities; no framework texts.
 */
#ifndef KP_REPORT_RENDER_H
#define KP_REPORT_RENDER_H

#include <stdio.h>

#include "report.h"

int kp_report_render_html(const kp_report *r, FILE *out);
int kp_report_render_markdown(const kp_report *r, FILE *out);
int kp_report_render_csv(const kp_report *r, FILE *out);
int kp_report_render_json(const kp_report *r, FILE *out);
int kp_report_render_pm_html(const kp_report *r, FILE *out);
int kp_report_render_pm_markdown(const kp_report *r, FILE *out);

#endif
