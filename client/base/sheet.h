/*  sheet: one evaluator's scores as a text to fill in, and as CSV.
 *
 *  The score sheet is what `score edit` opens in the editor: a header, then
 *  one block per question,
 *
 *      [1.4]
 *      # Främjas invånardialog och deltagande? (max 30)
 *      points = 25
 *      why = Bred dialog, e-förslag
 *
 *  (points and why empty when unscored; lines after `why =` that start with
 *  white space go on with the rationale). Parsing compares the text with
 *  the sheet it was made from (the base) and gives the questions whose
 *  points or rationale changed, and every problem at once, each with its
 *  line. The CSV form (`score export`, `score import`) is the same thing in
 *  rows: question,points,rationale[,text,max...]: columns after the third are
 *  ignored. Annotating puts problems back into the text as `#!` comments
 *  above their lines, for the editor to show.
 *
 *  Nothing here talks to the server: the base is filled by the caller, and
 *  the changes are for a ScoreSet (or an offline journal).
 */
#ifndef KP_SHEET_H
#define KP_SHEET_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "arena.h"

typedef struct {
    const char *question; /* "1.4" */
    int area;
    const char *text; /* the question itself */
    int64_t max_centi;
    int scored; /* the evaluator has a score */
    int64_t points_centi;
    const char *why; /* "" when none */
    int64_t version; /* the score's version as read; 0: none yet */
} kp_sheet_question;

typedef struct {
    int64_t evaluation_id;
    const char *title;      /* "Västerås stad 2017 on KK2015", or "" */
    int area;               /* 0: every area */
    const char *area_title; /* or "" */
    const char *evaluator;  /* login */
    const char *evaluator_name;
    int64_t version; /* the evaluation's version when read */
    kp_sheet_question *q;
    size_t n;
} kp_sheet;

/* A problem at a line (1-based); question is NULL when the line has none. */
typedef struct {
    int line;
    const char *question;
    const char *message;
} kp_sheet_problem;

/* A question whose points or rationale differ from the base. */
typedef struct {
    size_t q; /* index into the base's questions */
    int64_t points_centi;
    const char *why;
    int line; /* of its block (sheet) or row (CSV) */
} kp_sheet_change;

/* The sheet as text to edit (in arena). */
char *kp_sheet_format(kp_arena *a, const kp_sheet *s);

/* Parses text against base: the changes and every problem (arrays in
 * arena). Changes are meaningful only when there are no problems. */
void kp_sheet_parse(kp_arena *a, const kp_sheet *base, const char *text, kp_sheet_change **changes,
                    size_t *n_changes, kp_sheet_problem **problems, size_t *n_problems);

/* Writes the sheet as CSV: header question,points,rationale,text,max, one
 * row per question, unscored ones with empty points (RFC 4180 quoting). */
void kp_sheet_csv_write(FILE *f, const kp_sheet *s);

/* Parses a CSV file (as written above, or by hand or a spreadsheet: a BOM
 * is skipped, header question,points[,rationale,...]) against base, like
 * kp_sheet_parse. */
void kp_sheet_csv_parse(kp_arena *a, const kp_sheet *base, const char *text,
                        kp_sheet_change **changes, size_t *n_changes, kp_sheet_problem **problems,
                        size_t *n_problems);

/* "line 14, [2.3]: 27 exceeds the max of 20" (in arena). */
const char *kp_sheet_problem_text(kp_arena *a, const kp_sheet_problem *p);

/* text with earlier `#!` lines removed and each problem inserted as
 * "#! message" above its line, headline (may be NULL) at the top. */
char *kp_sheet_annotate(kp_arena *a, const char *text, const kp_sheet_problem *p, size_t n,
                        const char *headline);

/* The line of question's block in text, or 1 when it has none. */
int kp_sheet_line_of(const char *text, const char *question);

/* The index of question in s, or -1. */
long kp_sheet_find(const kp_sheet *s, const char *question);

/* The sheet as JSON (for a draft's record) and back (into arena); 0, or -1
 * when j is not such a document. */
json_t *kp_sheet_json(const kp_sheet *s);
int kp_sheet_from_json(kp_arena *a, const json_t *j, kp_sheet *s);

#endif
