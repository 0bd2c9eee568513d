/*  report_data: the report model from the server's ReportData. */
#include "report_data.h"

#include <stdio.h>
#include <string.h>

static const char *s_or_null(const char *s)
{
    return s && *s ? s : NULL;
}

/* "2017-03" -> "mars 2017"; anything else as it is. */
static const char *s_period(kp_arena *a, const char *period)
{
    static const char *const months[] = {"januari",   "februari", "mars",     "april",
                                         "maj",       "juni",     "juli",     "augusti",
                                         "september", "oktober",  "november", "december"};
    int y, m;
    char tail;
    if (period && strlen(period) == 7 && sscanf(period, "%4d-%2d%c", &y, &m, &tail) == 2 &&
        m >= 1 && m <= 12)
        return kp_arena_printf(a, "%s %d", months[m - 1], y);
    return s_or_null(period);
}

static const char *s_role(const char *role)
{
    if (strcmp(role, "lead") == 0) return "utvärderingsledare";
    if (strcmp(role, "peer") == 0) return "kollegial utvärderare";
    return s_or_null(role);
}

static kp_signature_meaning s_meaning(const char *m)
{
    if (strcmp(m, "reviewed") == 0) return KP_SIGNATURE_REVIEWED;
    if (strcmp(m, "approved") == 0) return KP_SIGNATURE_APPROVED;
    return KP_SIGNATURE_AUTHORED;
}

static kp_followup_status s_followup_status(const char *s)
{
    if (strcmp(s, "done") == 0) return KP_FOLLOWUP_DONE;
    if (strcmp(s, "started") == 0) return KP_FOLLOWUP_STARTED;
    if (strcmp(s, "remains") == 0) return KP_FOLLOWUP_REMAINS;
    return KP_FOLLOWUP_NOT_ASSESSED;
}

static kp_report_list s_list(char **items, size_t n)
{
    kp_report_list l = {(const char *const *)items, n};
    return l;
}

kp_report *kp_report_from_data(kp_arena *a, const Kompass__V1__ReportDataResponse *d)
{
    kp_report *r = kp_arena_zalloc(a, sizeof *r);
    r->municipality = d->municipality;
    r->framework_code = d->framework_code;
    r->framework_name = s_or_null(d->framework_name);
    r->label = d->label;
    r->period = s_period(a, d->period);
    r->date = s_or_null(d->report_date);
    r->ordinal = d->ordinal;
    r->is_signed = strcmp(d->status, "signed") == 0;
    if (*d->source)
        r->source_note =
            kp_arena_printf(a, "Poäng och texter som i den publicerade rapporten (%s).", d->source);

    kp_report_evaluator *ev = kp_arena_zalloc(a, sizeof *ev * (d->n_evaluators + 1));
    for (size_t i = 0; i < d->n_evaluators; i++)
        ev[i] = (kp_report_evaluator){d->evaluators[i]->name, d->evaluators[i]->organisation,
                                      s_role(d->evaluators[i]->role)};
    r->evaluators = ev;
    r->n_evaluators = d->n_evaluators;

    kp_report_area *areas = kp_arena_zalloc(a, sizeof *areas * (d->n_areas + 1));
    for (size_t i = 0; i < d->n_areas; i++) {
        const Kompass__V1__ReportArea *da = d->areas[i];
        kp_report_question *qs = kp_arena_zalloc(a, sizeof *qs * (da->n_questions + 1));
        for (size_t k = 0; k < da->n_questions; k++) {
            const Kompass__V1__ReportQuestion *q = da->questions[k];
            qs[k] = (kp_report_question){q->code, q->text, q->max_centi,
                                         q->scored ? q->points_centi : KP_REPORT_UNSCORED};
        }
        areas[i] = (kp_report_area){
            .number = da->number,
            .title = da->title,
            .headings = s_list(da->headings, da->n_headings),
            .general = s_or_null(da->general_text),
            .questions = qs,
            .n_questions = da->n_questions,
            .summary = da->has_summary ? da->summary : NULL,
            .strengths = s_list(da->strengths, da->n_strengths),
            .improvements = s_list(da->improvements, da->n_improvements),
            .average = da->average_centi,
            .previous = da->previous_centi,
        };
    }
    r->areas = areas;
    r->n_areas = d->n_areas;
    r->average_count = d->average_count;
    r->average_from = d->average_from;
    r->average_to = d->average_to;
    r->previous_label = s_or_null(d->previous_label);
    r->average_group = s_or_null(d->average_group);
    kp_report_followup *fu = kp_arena_zalloc(a, sizeof *fu * (d->n_followup + 1));
    for (size_t i = 0; i < d->n_followup; i++) {
        const Kompass__V1__FollowupItem *it = d->followup[i];
        fu[i] = (kp_report_followup){it->item, it->area, it->text, s_followup_status(it->status),
                                     s_or_null(it->note)};
    }
    r->followup = fu;
    r->n_followup = d->n_followup;
    r->followup_of = s_or_null(d->followup_of);
    r->interviewed = d->interviewed;
    r->interview_categories = (const char *const *)d->interview_categories;
    r->n_interview_categories = d->n_interview_categories;
    r->documents = d->documents;
    r->web_checks = d->web_checks;

    kp_report_signature *sig = kp_arena_zalloc(a, sizeof *sig * (d->n_signatures + 1));
    for (size_t i = 0; i < d->n_signatures; i++)
        sig[i] = (kp_report_signature){d->signatures[i]->name, d->signatures[i]->organisation,
                                       d->signatures[i]->signed_at_us,
                                       s_meaning(d->signatures[i]->meaning)};
    r->signatures = sig;
    r->n_signatures = d->n_signatures;
    if (d->factcheck) {
        r->factcheck_from = d->factcheck->started_on;
        r->factcheck_closed = d->factcheck->closed;
        r->factcheck_to = d->factcheck->closed ? d->factcheck->closed_on : d->factcheck->ends_on;
    }
    return r;
}
