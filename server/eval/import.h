/*  import: checking a published evaluation before it is imported.
 *
 *  `kompass import FILE.json` sends one published evaluation (the shape of
 *  vasteras-2017-published.json, with optional texts per area); the server
 *  checks it whole against its framework here, listing every problem with
 *  its place (`areas[3].questions[1].points: ...`), and only a valid
 *  document is written (rpc_report.c, one transaction). Rules: the
 *  framework exists; every question of it appears exactly once, under its
 *  area, with points from 0 to its max with at most two decimals; printed
 *  figures, when given, agree with the report's arithmetic (a question's
 *  achieved_shown is its points rounded half up, an area's achieved the sum
 *  of those, the total the sum of the areas, max_total the framework's);
 *  printed percents are not checked (the Västerås 2017 report misprints
 *  one); no unknown keys.
 */
#ifndef KP_IMPORT_H
#define KP_IMPORT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"

/* At most this many problems are listed (then "... and N more"). */
#define KP_IMPORT_MAX_PROBLEMS 50

/* A question of the framework, as the check needs it. */
typedef struct {
    int area;          /* its area's number */
    const char *code;  /* "4.2" */
    int64_t max_centi; /* its maximum */
} kp_import_question;

/* The framework the document names, from the database. */
typedef struct {
    int found;                           /* 0: no such framework */
    int64_t total_max_centi;             /* */
    const kp_import_question *questions; /* n, in the framework's order */
    size_t n;                            /* */
} kp_import_framework;

/* What a valid document asks to write (references owned by the plan). */
typedef struct {
    json_t *scores;     /* [{"code", "points": "8.2"}] points as exact text */
    json_t *texts;      /* [{"area", "section", "content"}] content: string or array */
    json_t *evaluators; /* [{"name", "organisation", "title"}] */
    int64_t total;      /* whole points, as the report shows them */
} kp_import_plan;

/* The framework code a document names, or NULL (not JSON, no such key):
 * for looking the framework up before kp_import_check. */
const char *kp_import_framework_code(kp_arena *arena, const char *text);

/* Checks text against fw. Returns the number of problems (0: valid);
 * *problems gets them one per line (in the arena). When valid, *doc is the
 * parsed document and plan is filled (release both with kp_import_plan_free
 * and json_decref); otherwise *doc is NULL. */
int kp_import_check(kp_arena *arena, const char *text, const kp_import_framework *fw,
                    char **problems, json_t **doc, kp_import_plan *plan);

/* Releases what a plan holds. */
void kp_import_plan_free(kp_import_plan *plan);

/* Whether period is how Kompass writes when an evaluation was conducted
 * (it orders a municipality's evaluations): "", "YYYY" or "YYYY-MM". */
int kp_period_ok(const char *period);

#endif
