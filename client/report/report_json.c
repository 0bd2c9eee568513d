/*  report_json: the report's figures and texts as one JSON document.
 *
 *  Points are JSON numbers with at most two decimals (11.25), whole points
 *  as integers; the figures the report shows (shown, achieved, percent,
 *  total) are computed by report.c and given as integers next to the exact
 *  points, so that no reader has to round. Absent texts are null; an
 *  unscored question has null points, shown and percent.
 */
#include <jansson.h>

#include "arena.h"
#include "report_render.h"
#include "report_text.h"
#include "status.h"

/* A string, or null for NULL; sets *bad when s is not UTF-8. */
static json_t *s_str(const char *s, bool *bad)
{
    if (!s) return json_null();
    json_t *j = json_string(s);
    if (!j) {
        *bad = true;
        return json_null();
    }
    return j;
}

static json_t *s_points(int64_t centi)
{
    if (centi % 100 == 0) return json_integer(centi / 100);
    return json_real((double)centi / 100.0);
}

static json_t *s_list(const kp_report_list *l, bool *bad)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < l->count; i++)
        json_array_append_new(arr, s_str(l->items[i], bad));
    return arr;
}

static json_t *s_question(const kp_report_question *q, bool *bad)
{
    bool scored = kp_report_question_scored(q);
    json_t *j = json_object();
    json_object_set_new(j, "code", s_str(q->code, bad));
    json_object_set_new(j, "text", s_str(q->text, bad));
    json_object_set_new(j, "max", s_points(q->max));
    json_object_set_new(j, "points", scored ? s_points(q->points) : json_null());
    json_object_set_new(j, "shown",
                        scored ? json_integer(kp_report_question_shown(q)) : json_null());
    json_object_set_new(j, "percent",
                        scored ? json_integer(kp_report_question_percent(q)) : json_null());
    return j;
}

static json_t *s_area(const kp_report *r, const kp_report_area *a, bool *bad)
{
    json_t *j = json_object();
    json_object_set_new(j, "number", json_integer(a->number));
    json_object_set_new(j, "title", s_str(a->title, bad));
    json_object_set_new(j, "headings", s_list(&a->headings, bad));
    json_object_set_new(j, "general", s_str(a->general, bad));
    json_object_set_new(j, "summary", s_str(a->summary, bad));
    json_object_set_new(j, "strengths", s_list(&a->strengths, bad));
    json_object_set_new(j, "improvements", s_list(&a->improvements, bad));
    json_object_set_new(j, "achieved", json_integer(kp_report_area_achieved(a)));
    json_object_set_new(j, "max", s_points(kp_report_area_max(a)));
    json_object_set_new(j, "percent", json_integer(kp_report_area_percent(a)));
    json_object_set_new(j, "exact", s_points(kp_report_area_exact(a)));
    json_object_set_new(j, "unscored", json_integer((json_int_t)kp_report_area_unscored(a)));
    json_object_set_new(j, "average",
                        kp_report_has_average(r) ? s_points(a->average) : json_null());
    json_object_set_new(j, "previous", r->previous_label ? s_points(a->previous) : json_null());
    json_t *qs = json_array();
    for (size_t i = 0; i < a->n_questions; i++)
        json_array_append_new(qs, s_question(&a->questions[i], bad));
    json_object_set_new(j, "questions", qs);
    return j;
}

/* What the evidence log says the team did, and the report's sentence. */
static json_t *s_evidence(kp_arena *arena, const kp_report *r, bool *bad)
{
    json_t *cats = json_array();
    for (size_t i = 0; i < r->n_interview_categories; i++)
        json_array_append_new(cats, s_str(r->interview_categories[i], bad));
    return json_pack("{s:i,s:o,s:i,s:i,s:o}", "interviewed", r->interviewed, "interview_categories",
                     cats, "documents", r->documents, "web_checks", r->web_checks, "sentence",
                     s_str(kp_report_sv_evidence(arena, r), bad));
}

/* The follow-up of the previous round (null: none): every item, status
 * null when not assessed, with the Swedish word the report prints. */
static json_t *s_followup(const kp_report *r, bool *bad)
{
    if (r->n_followup == 0) return json_null();
    json_t *items = json_array();
    for (size_t i = 0; i < r->n_followup; i++) {
        const kp_report_followup *f = &r->followup[i];
        const char *name = kp_report_followup_status_name(f->status);
        json_array_append_new(items,
                              json_pack("{s:o,s:i,s:o,s:o,s:s,s:o}", "item", s_str(f->item, bad),
                                        "area", f->area, "text", s_str(f->text, bad), "status",
                                        name ? json_string(name) : json_null(), "status_sv",
                                        kp_report_sv_followup_status(f->status), "note",
                                        s_str(f->note ? f->note : "", bad)));
    }
    return json_pack("{s:o,s:I,s:o}", "of", s_str(r->followup_of, bad), "not_assessed",
                     (json_int_t)kp_report_followup_open(r), "items", items);
}

static json_t *s_document(kp_arena *arena, const kp_report *r, bool *bad)
{
    json_t *doc = json_object();
    json_object_set_new(doc, "municipality", s_str(r->municipality, bad));
    json_object_set_new(doc, "framework",
                        json_pack("{s:o,s:o}", "code", s_str(r->framework_code, bad), "name",
                                  s_str(r->framework_name, bad)));
    json_object_set_new(doc, "label", s_str(r->label, bad));
    json_object_set_new(doc, "period", s_str(r->period, bad));
    json_object_set_new(doc, "date", s_str(r->date, bad));
    json_object_set_new(doc, "ordinal", r->ordinal > 0 ? json_integer(r->ordinal) : json_null());
    json_object_set_new(doc, "signed", json_boolean(r->is_signed));
    json_object_set_new(doc, "source_note", s_str(r->source_note, bad));

    json_t *evs = json_array();
    for (size_t i = 0; i < r->n_evaluators; i++) {
        const kp_report_evaluator *e = &r->evaluators[i];
        json_array_append_new(evs, json_pack("{s:o,s:o,s:o}", "name", s_str(e->name, bad),
                                             "organisation", s_str(e->organisation, bad), "role",
                                             s_str(e->role, bad)));
    }
    json_object_set_new(doc, "evaluators", evs);

    json_object_set_new(
        doc, "comparison",
        json_pack("{s:o,s:I,s:o,s:o,s:o}", "average_count",
                  kp_report_has_average(r) ? json_integer(r->average_count) : json_null(),
                  "average_set_count", (json_int_t)r->average_count, "average_from",
                  r->average_from ? json_integer(r->average_from) : json_null(), "average_to",
                  r->average_to ? json_integer(r->average_to) : json_null(), "previous_label",
                  s_str(r->previous_label, bad)));
    json_object_set_new(json_object_get(doc, "comparison"), "average_group",
                        s_str(r->average_group, bad));

    json_object_set_new(doc, "total",
                        json_pack("{s:I,s:o,s:I,s:o,s:I}", "points", (json_int_t)kp_report_total(r),
                                  "max", s_points(kp_report_total_max(r)), "percent",
                                  (json_int_t)kp_report_total_percent(r), "exact",
                                  s_points(kp_report_total_exact(r)), "unscored",
                                  (json_int_t)kp_report_unscored(r)));

    json_t *areas = json_array();
    for (size_t i = 0; i < r->n_areas; i++)
        json_array_append_new(areas, s_area(r, &r->areas[i], bad));
    json_object_set_new(doc, "areas", areas);

    json_object_set_new(doc, "evidence", s_evidence(arena, r, bad));
    json_object_set_new(doc, "followup", s_followup(r, bad));

    json_t *sigs = json_array();
    for (size_t i = 0; i < r->n_signatures; i++) {
        const kp_report_signature *s = &r->signatures[i];
        json_array_append_new(sigs, json_pack("{s:o,s:o,s:s,s:s}", "name", s_str(s->name, bad),
                                              "organisation", s_str(s->organisation, bad),
                                              "meaning", kp_report_meaning_name(s->meaning), "time",
                                              kp_report_iso_time(arena, s->time_us)));
    }
    json_object_set_new(doc, "signatures", sigs);
    json_object_set_new(
        doc, "factcheck",
        r->factcheck_from ? json_pack("{s:o,s:o,s:b,s:s}", "from", s_str(r->factcheck_from, bad),
                                      "to", s_str(r->factcheck_to, bad), "closed",
                                      r->factcheck_closed, "text", kp_report_sv_factcheck(arena, r))
                          : json_null());
    return doc;
}

int kp_report_render_json(const kp_report *r, FILE *out)
{
    char err[256];
    if (kp_report_check(r, err, sizeof err) != KP_OK) return KP_BAD_REQUEST;
    kp_arena *a = kp_arena_new();
    if (!a) return KP_INTERNAL;

    bool bad = false;
    json_t *doc = s_document(a, r, &bad);
    int rc = KP_OK;
    if (bad) {
        rc = KP_BAD_REQUEST;
    } else if (json_dumpf(doc, out,
                          JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15)) != 0 ||
               fputc('\n', out) == EOF || fflush(out) != 0 || ferror(out)) {
        rc = KP_INTERNAL;
    }
    json_decref(doc);
    kp_arena_destroy(&a);
    return rc;
}
