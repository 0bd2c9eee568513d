/*  report: the KommunKompassen report of one evaluation, and its arithmetic.
 *
 *  The model is plain structs that a caller fills (from the database, or from
 *  an imported historical record) and hands to a renderer (report_render.h).
 *  Every string and array is borrowed: `const` pointers owned by the caller,
 *  typically all in one arena (common/arena.h) freed after rendering. Strings
 *  are UTF-8; text fields may hold paragraphs separated by blank lines.
 *
 *  Points are exact hundredths, "centipoints" (int64_t): 1125 is 11.25 points.
 *  Only the figures a reader sees are rounded, and only here, by the rules of
 *  the published reports (docs/reports.md):
 *    - a question's shown points = its exact points rounded half up;
 *    - its percent = 100 * exact points / max, rounded half up;
 *    - an area's achieved = the sum of its questions' shown points, and its
 *      percent = achieved of the area's max (100), rounded half up;
 *    - the total = the sum of the areas' achieved.
 *  Maxima are not stored twice: an area's max is the sum of its questions'.
 *
 *  Derived figures are computed on demand by the kp_report_* functions below;
 *  renderers never round on their own.
 */
#ifndef KP_REPORT_H
#define KP_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A question's points when the team has not agreed on a score yet: shown as
 * "–", counted as nothing in its area's achieved. */
#define KP_REPORT_UNSCORED (-1)

/* Bytes needed by kp_report_points_format. */
#define KP_REPORT_POINTS_BUF 24

/* A list of texts (headings, strengths, improvement opportunities). */
typedef struct {
    const char *const *items; /* count texts */
    size_t count;
} kp_report_list;

/* A scored question (delfråga) of the framework. */
typedef struct {
    const char *code; /* "1.4" */
    const char *text; /* "Främjas invånardialog och deltagande?" */
    int64_t max;      /* maximum, centipoints (> 0) */
    int64_t points;   /* the team's consensus, centipoints, 0..max, or KP_REPORT_UNSCORED */
} kp_report_question;

/* One of the framework's areas (områden), as evaluated. */
typedef struct {
    int number;                          /* 1..8 */
    const char *title;                   /* "Offentlighet och demokrati" */
    kp_report_list headings;             /* the framework's "Rubriker" */
    const char *general;                 /* the framework's "Allmänt" text; may be NULL */
    const kp_report_question *questions; /* n_questions, at least one */
    size_t n_questions;                  /* */
    const char *summary;                 /* the team's "Sammanfattning"; may be NULL */
    kp_report_list strengths;            /* "Styrkor" */
    kp_report_list improvements;         /* "Förbättringsmöjligheter" */
    int64_t average;                     /* centipoints; used when kp_report.average_count > 0 */
    int64_t previous;                    /* centipoints; used when kp_report.previous_label */
} kp_report_area;

/* An evaluator of the team. */
typedef struct {
    const char *name;         /* printed name */
    const char *organisation; /* "SKL", "Borås Stad" */
    const char *role;         /* "senior konsult", "kollegial utvärderare"; may be NULL */
} kp_report_evaluator;

/* What a signer declares by signing. */
typedef enum {
    KP_SIGNATURE_AUTHORED = 0,
    KP_SIGNATURE_REVIEWED = 1,
    KP_SIGNATURE_APPROVED = 2,
} kp_signature_meaning;

/* A signature of the final scores: shown wherever the report is shown. */
typedef struct {
    const char *name;             /* printed name */
    const char *organisation;     /* */
    int64_t time_us;              /* when, microseconds since the epoch (UTC) */
    kp_signature_meaning meaning; /* */
} kp_report_signature;

/* How the team has followed up an improvement opportunity of the previous
 * round. */
typedef enum {
    KP_FOLLOWUP_NOT_ASSESSED = 0, /* "ej bedömd" */
    KP_FOLLOWUP_DONE = 1,         /* "genomfört" */
    KP_FOLLOWUP_STARTED = 2,      /* "påbörjat" */
    KP_FOLLOWUP_REMAINS = 3,      /* "kvarstår" */
} kp_followup_status;

/* An improvement opportunity of the previous round, followed up. */
typedef struct {
    const char *item;          /* "3.2": area 3's 2nd */
    int area;                  /* its area's number */
    const char *text;          /* as the previous round wrote it */
    kp_followup_status status; /* */
    const char *note;          /* the team's note; may be NULL or empty */
} kp_report_followup;

/* The report of one evaluation. */
typedef struct kp_report {
    const char *municipality;   /* "Västerås stad" */
    const char *framework_code; /* "KK2015" */
    const char *framework_name; /* "Kommunkompassen (2015 års uppdatering)" */
    const char *label;          /* "2017": names this evaluation in series */
    const char *period;         /* when it was carried out: "mars 2017"; may be NULL */
    const char *date;           /* the report's date: "2017-09-30"; may be NULL */
    int ordinal;                /* 5: the municipality's 5th evaluation; 0 unknown */
    bool is_signed;             /* false: every page says "UTKAST – ej signerad" */
    const char *source_note;    /* imported records: where the figures come from; may be NULL */
    const kp_report_evaluator *evaluators; /* n_evaluators */
    size_t n_evaluators;                   /* */
    const kp_report_area *areas;           /* n_areas, in the framework's order */
    size_t n_areas;                        /* */
    int average_count;            /* evaluations in the average's set (kp_report_has_average) */
    int average_from, average_to; /* the set's years (0: no bound) */
    const char *previous_label;   /* non-NULL: areas[].previous is from this evaluation
                                     ("Västerås 2014") */
    const char *average_group;    /* the set is of kommungrupp "B3"; NULL: any */
    const kp_report_followup *followup;      /* n_followup: the previous round's improvement */
    size_t n_followup;                       /* opportunities followed up (0: no section) */
    const char *followup_of;                 /* the round they are from ("Västerås stad 2014") */
    int interviewed;                         /* people interviewed (the evidence log); 0: none */
    const char *const *interview_categories; /* "politician", "official", "union", "other" */
    size_t n_interview_categories;           /* */
    int documents, web_checks;               /* documents studied, web checks made */
    const kp_report_signature *signatures;   /* n_signatures */
    size_t n_signatures;                     /* */
    /* The municipality's factual review ("faktagranskning") of this
     * revision: from the day it was opened to the day it was closed (while
     * open: to its window's last day); NULL when there was none. */
    const char *factcheck_from, *factcheck_to; /* "2017-09-12", "2017-09-22" */
    bool factcheck_closed;
} kp_report;

/* Whether areas[].average holds an average: its set has at least
 * REPORT_AVERAGE_MIN_COUNT evaluations (fewer are not averaged). */
bool kp_report_has_average(const kp_report *r);

/* Checks what the arithmetic and the renderers rely on: required texts
 * present, maxima positive, points within 0..max (or unscored), comparison
 * values within 0..max. KP_OK, or KP_BAD_REQUEST with a sentence in err. */
int kp_report_check(const kp_report *r, char *err, size_t errlen);

/* Whether the team has scored the question. */
bool kp_report_question_scored(const kp_report_question *q);

/* Whole points shown for a question (half up); KP_REPORT_UNSCORED if unscored. */
int64_t kp_report_question_shown(const kp_report_question *q);

/* Whole percent of max (half up); KP_REPORT_UNSCORED if unscored. */
int64_t kp_report_question_percent(const kp_report_question *q);

/* The area's maximum: the sum of its questions' maxima, centipoints. */
int64_t kp_report_area_max(const kp_report_area *a);

/* The sum of the area's exact points, centipoints (unscored count 0). */
int64_t kp_report_area_exact(const kp_report_area *a);

/* Whole points achieved: the sum of the questions' shown points. */
int64_t kp_report_area_achieved(const kp_report_area *a);

/* Whole percent: achieved of the area's max, half up. */
int64_t kp_report_area_percent(const kp_report_area *a);

/* How many of the area's questions are unscored. */
size_t kp_report_area_unscored(const kp_report_area *a);

/* Whole points of the evaluation: the sum of the areas' achieved. */
int64_t kp_report_total(const kp_report *r);

/* The framework's maximum: the sum of the areas' maxima, centipoints. */
int64_t kp_report_total_max(const kp_report *r);

/* The sum of all exact points, centipoints. */
int64_t kp_report_total_exact(const kp_report *r);

/* Whole percent: total of total max, half up. */
int64_t kp_report_total_percent(const kp_report *r);

/* Number of unscored questions in the whole report. */
size_t kp_report_unscored(const kp_report *r);

/* A comparison value (an average or a previous evaluation's achieved,
 * centipoints) as whole points shown, half up, and as a whole percent of
 * max (centipoints), half up. */
int64_t kp_report_comparison_shown(int64_t centi);
int64_t kp_report_comparison_percent(int64_t centi, int64_t max);

/* Centipoints as text with as few decimals as needed, '.' as the mark:
 * 1125 -> "11.25", 820 -> "8.2", 1500 -> "15". Returns out. */
char *kp_report_points_format(int64_t centi, char out[KP_REPORT_POINTS_BUF]);

/* The same with a decimal comma, as Swedish text writes it: "8,2". */
char *kp_report_points_format_sv(int64_t centi, char out[KP_REPORT_POINTS_BUF]);

/* A follow-up status's name in the data formats: "done", "started",
 * "remains"; NULL when not assessed. */
const char *kp_report_followup_status_name(kp_followup_status s);

/* How many of the follow-up's items are not assessed yet. */
size_t kp_report_followup_open(const kp_report *r);

/* The meaning's name in the data formats: "authored", "reviewed", "approved". */
const char *kp_report_meaning_name(kp_signature_meaning m);

#endif
