/*  report_data: the report model (report.h) from the server's ReportData.
 *
 *  The server gathers an evaluation's report (server/rpc_report.c); this
 *  turns its answer into a kp_report for the renderers, everything in the
 *  arena: unscored questions stay unscored (KP_REPORT_UNSCORED, never 0),
 *  a report is signed only when the evaluation's status is "signed", the
 *  period "2017-03" reads "mars 2017", an imported evaluation carries its
 *  source as the report's source note.
 */
#ifndef KP_REPORT_DATA_H
#define KP_REPORT_DATA_H

#include "arena.h"
#include "report.h"
#include "wire.h"

/* The model of d, in arena a (d must outlive it: strings are borrowed). */
kp_report *kp_report_from_data(kp_arena *a, const Kompass__V1__ReportDataResponse *d);

#endif
