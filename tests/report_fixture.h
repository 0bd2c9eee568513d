/*  report_fixture: the report of Västerås stad 2017, built from tests/data.
 *
 *  The framework (kommunkompassen-2015.json: areas, headings, questions and
 *  their maxima), the published figures with the exact points they imply
 *  (vasteras-2017-published.json) and the texts of the published report
 *  (vasteras-2017-texts.json), put together as the integrator's database
 *  query will: a kp_report whose every string and array is in the arena.
 *
 *  The published report has no signatures in Kompass and its comparison
 *  values are not in the seed; the options add made-up ones for rendering.
 */
#ifndef KP_REPORT_FIXTURE_H
#define KP_REPORT_FIXTURE_H

#include <jansson.h>
#include <stdbool.h>

#include "arena.h"
#include "report.h"

typedef struct {
    bool comparisons; /* a made-up average (12 evaluations) and "Västerås 2014" */
    bool is_signed;   /* signed, with three made-up signatures */
} rf_options;

/* A JSON file of tests/data (the caller's reference); asserts it parses. */
json_t *rf_load(const char *name);

/* Västerås stad 2017, all of it in arena a. */
kp_report *rf_vasteras(kp_arena *a, rf_options opt);

/* A small valid report of three areas (for edge cases), in arena a: area n
 * has questions "n.1" (max 10, 5 points) and "n.2" (max 20, 12.5 points).
 * Every field is set, so that tests can overwrite any of them. */
kp_report *rf_small(kp_arena *a);

/* How often needle occurs in haystack (not overlapping). */
size_t rf_count(const char *haystack, const char *needle);

/* The areas of r, writable (they are the fixture's own, in the arena). */
kp_report_area *rf_areas(kp_report *r);

/* The questions of an area, writable. */
kp_report_question *rf_questions(kp_report_area *area);

#endif
