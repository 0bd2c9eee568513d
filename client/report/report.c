/*  report: the report model's checks and arithmetic.
 *
 *  All rounding of Kompass's reports happens in this file, through
 *  common/points.h (kp_points_round, kp_points_percent, kp_points_format):
 *  the same rules wherever Kompass rounds points.
 */
#include "report.h"

#include <stdio.h>
#include <string.h>

#include "kompass.pb-c.h"
#include "points.h"
#include "status.h"

char *kp_report_points_format(int64_t centi, char out[KP_REPORT_POINTS_BUF])
{
    return kp_points_format(centi, out);
}

char *kp_report_points_format_sv(int64_t centi, char out[KP_REPORT_POINTS_BUF])
{
    kp_points_format(centi, out);
    char *dot = strchr(out, '.');
    if (dot) *dot = ',';
    return out;
}

/* ---------------------------------------------------------------- checks */

/* Points may be far larger than any framework's, but not so large that
 * 200 * points overflows in the percent. */
#define MAX_CENTI ((int64_t)1 << 40)

/* "question 1.4: points 31 are outside 0..max" */
static int s_fail(char *err, size_t errlen, const char *what, const char *field, int64_t value,
                  const char *problem)
{
    char v[KP_REPORT_POINTS_BUF];
    snprintf(err, errlen, "%s: %s %s %s", what, field, kp_report_points_format(value, v), problem);
    return KP_BAD_REQUEST;
}

static bool s_blank(const char *s)
{
    return !s || !*s;
}

static int s_check_list(const kp_report_list *l, const char *what, int area, char *err,
                        size_t errlen)
{
    if (l->count && !l->items) {
        snprintf(err, errlen, "area %d: %s has %zu items but no array", area, what, l->count);
        return KP_BAD_REQUEST;
    }
    for (size_t i = 0; i < l->count; i++)
        if (s_blank(l->items[i])) {
            snprintf(err, errlen, "area %d: %s item %zu is empty", area, what, i + 1);
            return KP_BAD_REQUEST;
        }
    return KP_OK;
}

static int s_check_area(const kp_report *r, const kp_report_area *a, char *err, size_t errlen)
{
    char what[128];
    if (a->number <= 0) {
        snprintf(err, errlen, "area number %d is not positive", a->number);
        return KP_BAD_REQUEST;
    }
    if (s_blank(a->title)) {
        snprintf(err, errlen, "area %d has no title", a->number);
        return KP_BAD_REQUEST;
    }
    if (a->n_questions == 0 || !a->questions) {
        snprintf(err, errlen, "area %d has no questions", a->number);
        return KP_BAD_REQUEST;
    }
    int rc;
    if ((rc = s_check_list(&a->headings, "headings", a->number, err, errlen)) ||
        (rc = s_check_list(&a->strengths, "strengths", a->number, err, errlen)) ||
        (rc = s_check_list(&a->improvements, "improvements", a->number, err, errlen)))
        return rc;
    for (size_t i = 0; i < a->n_questions; i++) {
        const kp_report_question *q = &a->questions[i];
        if (s_blank(q->code) || s_blank(q->text)) {
            snprintf(err, errlen, "area %d: question %zu has no code or text", a->number, i + 1);
            return KP_BAD_REQUEST;
        }
        snprintf(what, sizeof what, "question %s", q->code);
        if (q->max <= 0 || q->max > MAX_CENTI)
            return s_fail(err, errlen, what, "max", q->max, "is out of range");
        if (q->points != KP_REPORT_UNSCORED && (q->points < 0 || q->points > q->max))
            return s_fail(err, errlen, what, "points", q->points, "are outside 0..max");
    }
    int64_t max = kp_report_area_max(a);
    snprintf(what, sizeof what, "area %d", a->number);
    if (kp_report_has_average(r) && (a->average < 0 || a->average > max))
        return s_fail(err, errlen, what, "average", a->average, "is outside 0..max");
    if (r->previous_label && (a->previous < 0 || a->previous > max))
        return s_fail(err, errlen, what, "previous", a->previous, "is outside 0..max");
    return KP_OK;
}

bool kp_report_has_average(const kp_report *r)
{
    return r->average_count >= KOMPASS__V1__REPORT_AVERAGE__REPORT_AVERAGE_MIN_COUNT;
}

int kp_report_check(const kp_report *r, char *err, size_t errlen)
{
    if (s_blank(r->municipality) || s_blank(r->label)) {
        snprintf(err, errlen, "a report needs a municipality and a label");
        return KP_BAD_REQUEST;
    }
    if (r->n_areas == 0 || !r->areas) {
        snprintf(err, errlen, "a report needs at least one area");
        return KP_BAD_REQUEST;
    }
    if (r->average_count < 0) {
        snprintf(err, errlen, "average_count %d is negative", r->average_count);
        return KP_BAD_REQUEST;
    }
    if (r->interviewed < 0 || r->documents < 0 || r->web_checks < 0) {
        snprintf(err, errlen, "the evidence counts are negative");
        return KP_BAD_REQUEST;
    }
    if (r->n_followup && (!r->followup || s_blank(r->followup_of))) {
        snprintf(err, errlen, "a follow-up needs its items and the round they are from");
        return KP_BAD_REQUEST;
    }
    for (size_t i = 0; i < r->n_followup; i++) {
        const kp_report_followup *f = &r->followup[i];
        if (s_blank(f->item) || s_blank(f->text) || f->status < KP_FOLLOWUP_NOT_ASSESSED ||
            f->status > KP_FOLLOWUP_REMAINS) {
            snprintf(err, errlen, "follow-up item %zu has no id, no text or no known status",
                     i + 1);
            return KP_BAD_REQUEST;
        }
    }
    for (size_t i = 0; i < r->n_interview_categories; i++)
        if (s_blank(r->interview_categories[i])) {
            snprintf(err, errlen, "interview category %zu is empty", i + 1);
            return KP_BAD_REQUEST;
        }
    for (size_t i = 0; i < r->n_evaluators; i++)
        if (s_blank(r->evaluators[i].name)) {
            snprintf(err, errlen, "evaluator %zu has no name", i + 1);
            return KP_BAD_REQUEST;
        }
    for (size_t i = 0; i < r->n_signatures; i++) {
        const kp_report_signature *s = &r->signatures[i];
        if (s_blank(s->name)) {
            snprintf(err, errlen, "signature %zu has no printed name", i + 1);
            return KP_BAD_REQUEST;
        }
        if (s->meaning < KP_SIGNATURE_AUTHORED || s->meaning > KP_SIGNATURE_APPROVED) {
            snprintf(err, errlen, "signature %zu has an unknown meaning %d", i + 1,
                     (int)s->meaning);
            return KP_BAD_REQUEST;
        }
    }
    for (size_t i = 0; i < r->n_areas; i++) {
        int rc = s_check_area(r, &r->areas[i], err, errlen);
        if (rc != KP_OK) return rc;
    }
    return KP_OK;
}

/* ---------------------------------------------------------------- arithmetic */

bool kp_report_question_scored(const kp_report_question *q)
{
    return q->points != KP_REPORT_UNSCORED;
}

int64_t kp_report_question_shown(const kp_report_question *q)
{
    if (!kp_report_question_scored(q)) return KP_REPORT_UNSCORED;
    return kp_points_round(q->points);
}

int64_t kp_report_question_percent(const kp_report_question *q)
{
    if (!kp_report_question_scored(q)) return KP_REPORT_UNSCORED;
    return kp_points_percent(q->points, q->max);
}

int64_t kp_report_area_max(const kp_report_area *a)
{
    int64_t max = 0;
    for (size_t i = 0; i < a->n_questions; i++)
        max += a->questions[i].max;
    return max;
}

int64_t kp_report_area_exact(const kp_report_area *a)
{
    int64_t sum = 0;
    for (size_t i = 0; i < a->n_questions; i++)
        if (kp_report_question_scored(&a->questions[i])) sum += a->questions[i].points;
    return sum;
}

int64_t kp_report_area_achieved(const kp_report_area *a)
{
    int64_t sum = 0;
    for (size_t i = 0; i < a->n_questions; i++)
        if (kp_report_question_scored(&a->questions[i]))
            sum += kp_report_question_shown(&a->questions[i]);
    return sum;
}

int64_t kp_report_area_percent(const kp_report_area *a)
{
    return kp_points_percent(kp_report_area_achieved(a) * 100, kp_report_area_max(a));
}

int64_t kp_report_comparison_shown(int64_t centi)
{
    return kp_points_round(centi);
}

int64_t kp_report_comparison_percent(int64_t centi, int64_t max)
{
    return kp_points_percent(centi, max);
}

size_t kp_report_area_unscored(const kp_report_area *a)
{
    size_t n = 0;
    for (size_t i = 0; i < a->n_questions; i++)
        n += !kp_report_question_scored(&a->questions[i]);
    return n;
}

int64_t kp_report_total(const kp_report *r)
{
    int64_t sum = 0;
    for (size_t i = 0; i < r->n_areas; i++)
        sum += kp_report_area_achieved(&r->areas[i]);
    return sum;
}

int64_t kp_report_total_max(const kp_report *r)
{
    int64_t sum = 0;
    for (size_t i = 0; i < r->n_areas; i++)
        sum += kp_report_area_max(&r->areas[i]);
    return sum;
}

int64_t kp_report_total_exact(const kp_report *r)
{
    int64_t sum = 0;
    for (size_t i = 0; i < r->n_areas; i++)
        sum += kp_report_area_exact(&r->areas[i]);
    return sum;
}

int64_t kp_report_total_percent(const kp_report *r)
{
    return kp_points_percent(kp_report_total(r) * 100, kp_report_total_max(r));
}

size_t kp_report_unscored(const kp_report *r)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n_areas; i++)
        n += kp_report_area_unscored(&r->areas[i]);
    return n;
}

const char *kp_report_meaning_name(kp_signature_meaning m)
{
    switch (m) {
    case KP_SIGNATURE_AUTHORED:
        return "authored";
    case KP_SIGNATURE_REVIEWED:
        return "reviewed";
    case KP_SIGNATURE_APPROVED:
        return "approved";
    }
    return "unknown";
}

const char *kp_report_followup_status_name(kp_followup_status s)
{
    switch (s) {
    case KP_FOLLOWUP_DONE:
        return "done";
    case KP_FOLLOWUP_STARTED:
        return "started";
    case KP_FOLLOWUP_REMAINS:
        return "remains";
    case KP_FOLLOWUP_NOT_ASSESSED:
        break;
    }
    return NULL;
}

size_t kp_report_followup_open(const kp_report *r)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n_followup; i++)
        n += r->followup[i].status == KP_FOLLOWUP_NOT_ASSESSED;
    return n;
}
