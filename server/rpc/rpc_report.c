/*  rpc_report: reports and history (the import of published evaluations:
 *  rpc_eval_import.c).
 *
 *  ReportData gathers one evaluation's report (docs/reports.md): the
 *  framework's areas and questions with the consensus scores, the texts, the
 *  evaluators (the team's lead and peers, or an import's printed ones), the
 *  current signatures, and two comparisons: the average of every signed
 *  evaluation of the same framework, and the municipality's previous signed
 *  one. History lists a municipality's evaluations with their totals.
 *
 *  Who sees what (the authz rows are open to every role; the handlers
 *  decide, as EvalList does): a signed evaluation, and so every imported
 *  one, is the published result and readable by every logged-in user; an
 *  evaluation in any other status only by admins and its team. To anyone
 *  else it does not exist: ReportData answers NOT_FOUND with the sentence
 *  the authorisation check uses for an evaluation outside one's team.
 *
 *  Arithmetic: an area's achieved is the sum of its questions' points
 *  rounded half up (PostgreSQL's round(numeric) rounds halves away from
 *  zero, which for points, never negative, is kp_points_round); averages
 *  are centipoints rounded the same way.
 */
#include <inttypes.h>
#include <stdio.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "audit.h"
#include "content.h"
#include "evaluation.h"
#include "factcheck.h"
#include "followup.h"
#include "import.h"
#include "municipality.h"
#include "rpc.h"

/* The caller may see the evaluation: $2 admin, $3 the caller's user id. The
 * municipality's contact person sees the draft once its factual review of
 * the current revision has been opened (rpc_factcheck.c). */
#define VISIBLE                                                                                    \
    "($2::boolean OR e.status = 'signed' OR EXISTS (SELECT 1 FROM evaluation_members x"            \
    " WHERE x.evaluation_id = e.id AND x.user_id = $3 AND (x.role <> 'contact' OR EXISTS"          \
    "  (SELECT 1 FROM factchecks fc WHERE fc.evaluation_id = e.id"                                 \
    "   AND fc.revision = e.revision))))"

/* The municipality's name as evaluation e shows it: the register's, or for
 * a signed evaluation the name it was signed with (its revision's content;
 * server/content.c does the same). */
#define SIGNED_NAME                                                                                \
    "CASE WHEN e.status = 'signed' THEN coalesce((SELECT v.content::jsonb"                         \
    " #>> '{evaluation,municipality}' FROM evaluation_revisions v"                                 \
    " WHERE v.evaluation_id = e.id AND v.revision = e.revision AND v.reopened_at IS NULL"          \
    " AND v.content LIKE '{%'), m.name) ELSE m.name END"

const kp_stmt kp_report_stmts[] = {
    {"report_head",
     "SELECT e.id, " SIGNED_NAME ", f.code, f.name, e.label, e.period,"
     " coalesce(e.report_date::text, ''),"
     " e.ordinal, e.status, e.revision, coalesce(e.source, ''), e.version, e.framework_id,"
     " e.municipality_id, e.practice,"
     " substring(evaluation_order_key(e.period, e.label) FROM '^[0-9]{4}')::int"
     " FROM evaluations e JOIN municipalities m ON m.id = e.municipality_id"
     " JOIN frameworks f ON f.id = e.framework_id WHERE e.id = $1 AND " VISIBLE},
    {"report_questions",
     "SELECT a.number, a.title, array_to_json(a.headings)::text, a.general_text, q.code, q.text,"
     " (q.max * 100)::bigint, (c.points * 100)::bigint"
     " FROM framework_areas a JOIN framework_questions q ON q.area_id = a.id"
     " LEFT JOIN consensus_scores c ON c.question_id = q.id AND c.evaluation_id = $1"
     " WHERE a.framework_id = $2 ORDER BY a.number, q.position"},
    {"report_texts", "SELECT area_number, section, content::text FROM area_texts"
                     " WHERE evaluation_id = $1"},
    /* the team's lead and peers; of a signed evaluation, as they signed it
     * (a name corrected later, user_edit, does not rewrite it) */
    {"report_team",
     "SELECT coalesce(s.printed_name, u.full_name), coalesce(s.organisation, u.organisation),"
     " x.role FROM evaluation_members x JOIN users u ON u.id = x.user_id"
     " JOIN evaluations e ON e.id = x.evaluation_id"
     " LEFT JOIN signatures s ON e.status = 'signed' AND s.evaluation_id = e.id"
     "  AND s.revision = e.revision AND s.user_id = x.user_id AND s.cancelled_at IS NULL"
     " WHERE x.evaluation_id = $1 AND x.role IN ('lead', 'peer')"
     " ORDER BY x.role = 'peer', 1"},
    {"report_published_evaluators", "SELECT name, organisation, title FROM published_evaluators"
                                    " WHERE evaluation_id = $1 ORDER BY position"},
    {"report_signatures",
     "SELECT s.printed_name, s.organisation, s.capacity, s.meaning,"
     " (extract(epoch FROM s.signed_at) * 1000000)::bigint"
     " FROM signatures s JOIN evaluations e ON e.id = s.evaluation_id"
     " WHERE s.evaluation_id = $1 AND s.cancelled_at IS NULL AND s.revision = e.revision"
     " ORDER BY s.signed_at, s.id"},
    /* The average's set (docs/reports.md, "The average"): the signed
     * evaluations on framework $1 of the municipalities other than
     * evaluation $2's, not practice, conducted in the years $3 to $4 (by
     * period, else label; NULL: no bound), of municipalities in kommungrupp
     * $5 (NULL: any). Per area: how many, and the
     * mean of their achieved points in centipoints. */
    {"report_average",
     "WITH ev AS (SELECT e.id FROM evaluations e, evaluations t"
     "  WHERE t.id = $2 AND e.framework_id = $1 AND e.status = 'signed' AND NOT e.practice"
     "  AND e.municipality_id <> t.municipality_id"
     "  AND ($3::int IS NULL OR substring(evaluation_order_key(e.period, e.label)"
     "       FROM '^[0-9]{4}')::int >= $3::int)"
     "  AND ($4::int IS NULL OR substring(evaluation_order_key(e.period, e.label)"
     "       FROM '^[0-9]{4}')::int <= $4::int)"
     "  AND ($5::text IS NULL OR EXISTS (SELECT 1 FROM municipalities g"
     "       WHERE g.id = e.municipality_id AND g.municipality_group = $5))),"
     " per AS (SELECT a.number, sum(round(c.points)) AS achieved"
     "  FROM consensus_scores c JOIN framework_questions q ON q.id = c.question_id"
     "  JOIN framework_areas a ON a.id = q.area_id"
     "  WHERE c.evaluation_id IN (SELECT id FROM ev) GROUP BY a.number)"
     " SELECT a.number, (SELECT count(*) FROM ev),"
     "  coalesce(round(per.achieved * 100 / NULLIF((SELECT count(*) FROM ev), 0)), 0)::bigint"
     " FROM framework_areas a LEFT JOIN per ON per.number = a.number"
     " WHERE a.framework_id = $1 ORDER BY a.number"},
    /* the latest signed evaluation of municipality $1 on framework $2
     * conducted before evaluation $3 (sql/016_followup.sql's
     * evaluation_previous: by period, then id) */
    {"report_previous",
     "SELECT e.id, m.name || ' ' || e.label FROM evaluations e"
     " JOIN municipalities m ON m.id = e.municipality_id"
     " WHERE e.id = evaluation_previous($3) AND e.municipality_id = $1 AND e.framework_id = $2"},
    /* the evidence log of evaluation $1: people interviewed, the
     * interviewees' categories in a fixed order, documents, web checks */
    {"report_evidence",
     "SELECT coalesce(sum(people) FILTER (WHERE kind = 'interview'), 0)::int,"
     " coalesce(array_to_json(array_remove(ARRAY["
     "  CASE WHEN bool_or(category = 'politician') THEN 'politician' END,"
     "  CASE WHEN bool_or(category = 'official') THEN 'official' END,"
     "  CASE WHEN bool_or(category = 'union') THEN 'union' END,"
     "  CASE WHEN bool_or(category = 'other') THEN 'other' END], NULL))::text, '[]'),"
     " count(*) FILTER (WHERE kind = 'document')::int, count(*) FILTER (WHERE kind = 'web')::int"
     " FROM evidence WHERE evaluation_id = $1"},
    /* evaluation $1's achieved points per area of framework $2 */
    {"report_area_totals",
     "SELECT a.number, coalesce(sum(round(c.points)), 0)::bigint, (a.max * 100)::bigint,"
     " count(q.id) - count(c.points)"
     " FROM framework_areas a JOIN framework_questions q ON q.area_id = a.id"
     " LEFT JOIN consensus_scores c ON c.question_id = q.id AND c.evaluation_id = $1"
     " WHERE a.framework_id = $2 GROUP BY a.number, a.max ORDER BY a.number"},
    {"history_evals",
     "SELECT e.id, e.label, f.code, e.status, e.period, e.ordinal, coalesce(e.source, ''),"
     " e.framework_id, (f.total_max * 100)::bigint"
     " FROM evaluations e JOIN frameworks f ON f.id = e.framework_id"
     " WHERE e.municipality_id = $1 AND NOT e.practice AND " VISIBLE
     " ORDER BY evaluation_order_key(e.period, e.label), e.id"},
    {NULL, NULL},
};

/* ---------------------------------------------------------------- helpers */

static char **s_strings(kp_req *r, json_t *arr, size_t *n)
{
    *n = json_array_size(arr);
    char **out = kp_arena_alloc(r->arena, sizeof(char *) * (*n + 1));
    for (size_t i = 0; i < *n; i++) {
        const char *s = json_string_value(json_array_get(arr, i));
        out[i] = kp_arena_strdup(r->arena, s ? s : "");
    }
    return out;
}

/* Evaluation eval_id's achieved points per area, as messages. */
static int s_area_totals(kp_req *r, int64_t eval_id, int64_t framework_id,
                         Kompass__V1__AreaTotal ***out, size_t *n, int64_t *total)
{
    PGresult *res;
    const char *p[2] = {kp_db_param_i64(r->arena, eval_id),
                        kp_db_param_i64(r->arena, framework_id)};
    int rc = kp_req_call(r, "report_area_totals", 2, p, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "adding up the areas");
    *n = (size_t)PQntuples(res);
    *out = kp_arena_alloc(r->arena, sizeof(void *) * (*n + 1));
    *total = 0;
    for (size_t i = 0; i < *n; i++) {
        Kompass__V1__AreaTotal *t = kp_arena_alloc(r->arena, sizeof *t);
        kompass__v1__area_total__init(t);
        t->number = (int32_t)kp_db_i64(res, (int)i, 0);
        t->achieved = kp_db_i64(res, (int)i, 1);
        t->max_centi = kp_db_i64(res, (int)i, 2);
        t->unscored = (int32_t)kp_db_i64(res, (int)i, 3);
        *total += t->achieved;
        (*out)[i] = t;
    }
    return KP_OK;
}

/* ---------------------------------------------------------------- report */

static int s_report_areas(kp_req *r, Kompass__V1__ReportDataResponse *out, int64_t fid)
{
    PGresult *res;
    const char *p[2] = {kp_db_param_i64(r->arena, out->evaluation_id),
                        kp_db_param_i64(r->arena, fid)};
    int rc = kp_req_call(r, "report_questions", 2, p, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading the framework and scores");
    int rows = PQntuples(res);
    out->areas = kp_arena_alloc(r->arena, sizeof(void *) * (size_t)(rows + 1));
    out->n_areas = 0;
    Kompass__V1__ReportArea *area = NULL;
    for (int i = 0; i < rows; i++) {
        int number = (int)kp_db_i64(res, i, 0);
        if (!area || area->number != number) {
            area = kp_arena_alloc(r->arena, sizeof *area);
            kompass__v1__report_area__init(area);
            area->number = number;
            area->title = kp_db_str(r->arena, res, i, 1);
            json_t *h = json_loads(PQgetvalue(res, i, 2), 0, NULL);
            area->headings = s_strings(r, h, &area->n_headings);
            json_decref(h);
            area->general_text = kp_db_str(r->arena, res, i, 3);
            area->questions = kp_arena_alloc(r->arena, sizeof(void *) * (size_t)(rows + 1));
            out->areas[out->n_areas++] = area;
        }
        Kompass__V1__ReportQuestion *q = kp_arena_alloc(r->arena, sizeof *q);
        kompass__v1__report_question__init(q);
        q->code = kp_db_str(r->arena, res, i, 4);
        q->text = kp_db_str(r->arena, res, i, 5);
        q->max_centi = kp_db_i64(res, i, 6);
        q->scored = !PQgetisnull(res, i, 7);
        q->points_centi = kp_db_i64(res, i, 7);
        area->questions[area->n_questions++] = q;
    }

    rc = kp_req_call(r, "report_texts", 1, p, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading the texts");
    for (int i = 0; i < PQntuples(res); i++) {
        int number = (int)kp_db_i64(res, i, 0);
        for (size_t k = 0; k < out->n_areas; k++) {
            Kompass__V1__ReportArea *a = out->areas[k];
            if (a->number != number) continue;
            const char *section = PQgetvalue(res, i, 1);
            json_t *content = json_loads(PQgetvalue(res, i, 2), JSON_DECODE_ANY, NULL);
            if (strcmp(section, "summary") == 0) {
                a->has_summary = 1;
                a->summary = kp_arena_strdup(
                    r->arena, json_string_value(content) ? json_string_value(content) : "");
            } else if (strcmp(section, "strengths") == 0) {
                a->strengths = s_strings(r, content, &a->n_strengths);
            } else if (strcmp(section, "improvements") == 0) {
                a->improvements = s_strings(r, content, &a->n_improvements);
            }
            json_decref(content);
        }
    }
    return KP_OK;
}

static int s_report_people(kp_req *r, Kompass__V1__ReportDataResponse *out)
{
    PGresult *res;
    const char *p[1] = {kp_db_param_i64(r->arena, out->evaluation_id)};
    int rc =
        kp_req_call(r, *out->source ? "report_published_evaluators" : "report_team", 1, p, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading the evaluators");
    out->n_evaluators = (size_t)PQntuples(res);
    out->evaluators = kp_arena_alloc(r->arena, sizeof(void *) * (out->n_evaluators + 1));
    for (size_t i = 0; i < out->n_evaluators; i++) {
        Kompass__V1__ReportEvaluator *e = kp_arena_alloc(r->arena, sizeof *e);
        kompass__v1__report_evaluator__init(e);
        e->name = kp_db_str(r->arena, res, (int)i, 0);
        e->organisation = kp_db_str(r->arena, res, (int)i, 1);
        e->role = kp_db_str(r->arena, res, (int)i, 2);
        out->evaluators[i] = e;
    }

    rc = kp_req_call(r, "report_signatures", 1, p, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading the signatures");
    out->n_signatures = (size_t)PQntuples(res);
    out->signatures = kp_arena_alloc(r->arena, sizeof(void *) * (out->n_signatures + 1));
    for (size_t i = 0; i < out->n_signatures; i++) {
        Kompass__V1__ReportSignature *s = kp_arena_alloc(r->arena, sizeof *s);
        kompass__v1__report_signature__init(s);
        s->name = kp_db_str(r->arena, res, (int)i, 0);
        s->organisation = kp_db_str(r->arena, res, (int)i, 1);
        s->capacity = kp_db_str(r->arena, res, (int)i, 2);
        s->meaning = kp_db_str(r->arena, res, (int)i, 3);
        s->signed_at_us = kp_db_i64(res, (int)i, 4);
        out->signatures[i] = s;
    }
    return KP_OK;
}

/* The years the average is over, from ReportDataRequest.average: "" the
 * evaluation's year (0: its period and label name none, then no bound) and
 * the two before it, "all", "period:FROM-TO", or "group:G" (the default
 * years, of the municipalities in kommungrupp G: out->average_group). */
static int s_average_years(kp_req *r, int year, Kompass__V1__ReportDataResponse *out)
{
    const char *spec = r->msg->report_data->average ? r->msg->report_data->average : "";
    out->average_from = out->average_to = 0;
    if (strcmp(spec, "all") == 0) return KP_OK;
    if (strncmp(spec, "period:", 7) == 0) {
        int from = 0, to = 0, used = 0;
        if (sscanf(spec + 7, "%4d-%4d%n", &from, &to, &used) != 2 || spec[7 + used] ||
            from < 1900 || to > 2999 || from > to)
            return kp_req_fail(r, KP_BAD_REQUEST,
                               "average '%s': a period is period:FROM-TO in years, like "
                               "period:2015-2017",
                               spec);
        out->average_from = from;
        out->average_to = to;
        return KP_OK;
    }
    if (strncmp(spec, "group:", 6) == 0) {
        if (!kp_municipality_group_ok(spec + 6))
            return kp_req_fail(r, KP_BAD_REQUEST,
                               "average '%s': a group is one of SKR's kommungrupper (2017): %s",
                               spec, KP_MUNICIPALITY_GROUPS);
        out->average_group = kp_arena_strdup(r->arena, spec + 6);
    } else if (*spec) {
        return kp_req_fail(r, KP_BAD_REQUEST,
                           "average '%s' is not one Kompass knows: '' (this year and the two "
                           "before), 'all', 'period:FROM-TO' or 'group:G' (a kommungrupp, "
                           "like group:B3)",
                           spec);
    }
    if (year) {
        out->average_to = year;
        out->average_from = year - 2;
    }
    return KP_OK;
}

static int s_report_comparisons(kp_req *r, Kompass__V1__ReportDataResponse *out, int64_t fid,
                                int64_t mid)
{
    PGresult *res;
    const char *pf[5] = {kp_db_param_i64(r->arena, fid),
                         kp_db_param_i64(r->arena, out->evaluation_id),
                         out->average_from ? kp_db_param_i64(r->arena, out->average_from) : NULL,
                         out->average_to ? kp_db_param_i64(r->arena, out->average_to) : NULL,
                         *out->average_group ? out->average_group : NULL};
    int rc = kp_req_call(r, "report_average", 5, pf, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "averaging the signed evaluations");
    for (int i = 0; i < PQntuples(res); i++) {
        out->average_count = (int32_t)kp_db_i64(res, i, 1);
        /* too few: the count only, no average of one or two */
        if (out->average_count < KOMPASS__V1__REPORT_AVERAGE__REPORT_AVERAGE_MIN_COUNT) continue;
        for (size_t k = 0; k < out->n_areas; k++)
            if (out->areas[k]->number == (int)kp_db_i64(res, i, 0))
                out->areas[k]->average_centi = kp_db_i64(res, i, 2);
    }

    const char *pp[3] = {kp_db_param_i64(r->arena, mid), kp_db_param_i64(r->arena, fid),
                         kp_db_param_i64(r->arena, out->evaluation_id)};
    rc = kp_req_call(r, "report_previous", 3, pp, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "finding the previous evaluation");
    if (PQntuples(res) == 0) return KP_OK;
    out->previous_id = kp_db_i64(res, 0, 0);
    out->previous_label = kp_db_str(r->arena, res, 0, 1);
    Kompass__V1__AreaTotal **totals;
    size_t n;
    int64_t total;
    rc = s_area_totals(r, out->previous_id, fid, &totals, &n, &total);
    if (rc != KP_OK) return rc;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < out->n_areas; k++)
            if (out->areas[k]->number == totals[i]->number)
                out->areas[k]->previous_centi = totals[i]->achieved * 100;
    return KP_OK;
}

/* The follow-up of the previous round's improvement opportunities
 * (followup.h), as the signed content has it. */
static int s_report_followup(kp_req *r, Kompass__V1__ReportDataResponse *out)
{
    kp_followup f;
    int rc = kp_followup_read(r, out->evaluation_id, &f);
    if (rc != KP_OK || f.n_items == 0) return rc;
    out->followup = f.items;
    out->n_followup = f.n_items;
    out->followup_of = (char *)f.previous_label;
    return KP_OK;
}

/* What the evidence log says the team did: the people interviewed and who
 * they were, the documents studied and the web checks. */
static int s_report_evidence(kp_req *r, Kompass__V1__ReportDataResponse *out)
{
    PGresult *res;
    const char *p[1] = {kp_db_param_i64(r->arena, out->evaluation_id)};
    int rc = kp_req_call(r, "report_evidence", 1, p, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading the evidence log");
    out->interviewed = (int32_t)kp_db_i64(res, 0, 0);
    json_t *cats = kp_req_json(r, json_loads(PQgetvalue(res, 0, 1), 0, NULL));
    out->interview_categories = s_strings(r, cats, &out->n_interview_categories);
    out->documents = (int32_t)kp_db_i64(res, 0, 2);
    out->web_checks = (int32_t)kp_db_i64(res, 0, 3);
    return KP_OK;
}

int kp_rpc_report_data(kp_req *r)
{
    int64_t id = r->msg->report_data->evaluation_id;
    if (id <= 0)
        return kp_req_fail(r, KP_BAD_REQUEST, "evaluation_id must be an evaluation's id, not %lld",
                           (long long)id);
    int rc = kp_db_begin_read(r->db);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading the report");
    PGresult *res;
    const char *p[3] = {kp_db_param_i64(r->arena, id), kp_is_admin(r) ? "true" : "false",
                        kp_db_param_i64(r->arena, r->user_id)};
    rc = kp_req_call(r, "report_head", 3, p, &res);
    if (rc != KP_OK) {
        kp_db_rollback(r->db);
        return kp_req_db_fail(r, rc, "reading the evaluation");
    }
    if (PQntuples(res) == 0) {
        kp_db_rollback(r->db);
        /* the authorisation check's sentence: an outsider learns nothing */
        return kp_req_fail(r, KP_NOT_FOUND, "no evaluation '%lld'", (long long)id);
    }
    Kompass__V1__ReportDataResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__report_data_response__init(out);
    out->evaluation_id = kp_db_i64(res, 0, 0);
    out->municipality = kp_db_str(r->arena, res, 0, 1);
    out->framework_code = kp_db_str(r->arena, res, 0, 2);
    out->framework_name = kp_db_str(r->arena, res, 0, 3);
    out->label = kp_db_str(r->arena, res, 0, 4);
    out->period = kp_db_str(r->arena, res, 0, 5);
    out->report_date = kp_db_str(r->arena, res, 0, 6);
    out->ordinal = (int32_t)kp_db_i64(res, 0, 7);
    out->status = kp_db_str(r->arena, res, 0, 8);
    out->revision = (int32_t)kp_db_i64(res, 0, 9);
    out->source = kp_db_str(r->arena, res, 0, 10);
    out->version = kp_db_i64(res, 0, 11);
    int64_t fid = kp_db_i64(res, 0, 12), mid = kp_db_i64(res, 0, 13);
    int practice = kp_db_bool(res, 0, 14);
    int year = PQgetisnull(res, 0, 15) ? 0 : (int)kp_db_i64(res, 0, 15);
    if (practice) {
        kp_db_rollback(r->db);
        return kp_req_fail(r, KP_INVALID_STATE,
                           "evaluation %lld is a calibration exercise (övning): it has no report; "
                           "its trainee's results: kompass calibrate result %lld",
                           (long long)id, (long long)id);
    }

    rc = s_average_years(r, year, out);
    if (rc == KP_OK) rc = s_report_areas(r, out, fid);
    if (rc == KP_OK) rc = s_report_people(r, out);
    if (rc == KP_OK) rc = s_report_comparisons(r, out, fid, mid);
    /* the municipality's factual review of the revision reported */
    if (rc == KP_OK) rc = kp_factcheck_read(r, out->evaluation_id, out->revision, &out->factcheck);
    if (rc == KP_OK) rc = s_report_followup(r, out);
    if (rc == KP_OK) rc = s_report_evidence(r, out);
    kp_db_rollback(r->db); /* read only */
    if (rc != KP_OK) return rc;
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_REPORT_DATA;
    r->resp->report_data = out;
    return KP_OK;
}

/* ---------------------------------------------------------------- history */

int kp_rpc_history(kp_req *r)
{
    const char *which = r->msg->history->municipality;
    if (!*which)
        return kp_req_fail(r, KP_BAD_REQUEST, "name the municipality (its name or its id)");
    int rc = kp_db_begin_read(r->db);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading the history");
    PGresult *res;
    int64_t mid = 0;
    const char *mname = NULL;
    rc = kp_municipality_find(r, which, 1, &mid, &mname);
    if (rc != KP_OK) {
        kp_db_rollback(r->db);
        return kp_req_db_fail(r, rc, "finding the municipality");
    }
    if (!mid) {
        kp_db_rollback(r->db);
        return kp_req_fail(r, KP_NOT_FOUND, "no municipality '%s' (kompass municipality list)",
                           which);
    }
    Kompass__V1__HistoryResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__history_response__init(out);
    out->municipality = (char *)mname;

    const char *p[3] = {kp_db_param_i64(r->arena, mid), kp_is_admin(r) ? "true" : "false",
                        kp_db_param_i64(r->arena, r->user_id)};
    rc = kp_req_call(r, "history_evals", 3, p, &res);
    if (rc != KP_OK) {
        kp_db_rollback(r->db);
        return kp_req_db_fail(r, rc, "reading the evaluations");
    }
    out->n_evaluations = (size_t)PQntuples(res);
    out->evaluations = kp_arena_alloc(r->arena, sizeof(void *) * (out->n_evaluations + 1));
    for (size_t i = 0; i < out->n_evaluations && rc == KP_OK; i++) {
        int row = (int)i;
        Kompass__V1__HistoryEntry *e = kp_arena_alloc(r->arena, sizeof *e);
        kompass__v1__history_entry__init(e);
        e->evaluation_id = kp_db_i64(res, row, 0);
        e->label = kp_db_str(r->arena, res, row, 1);
        e->framework = kp_db_str(r->arena, res, row, 2);
        e->status = kp_db_str(r->arena, res, row, 3);
        e->period = kp_db_str(r->arena, res, row, 4);
        e->ordinal = (int32_t)kp_db_i64(res, row, 5);
        e->source = kp_db_str(r->arena, res, row, 6);
        e->total_max_centi = kp_db_i64(res, row, 8);
        rc = s_area_totals(r, e->evaluation_id, kp_db_i64(res, row, 7), &e->areas, &e->n_areas,
                           &e->total);
        out->evaluations[i] = e;
    }
    kp_db_rollback(r->db);
    if (rc != KP_OK) return rc;
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_HISTORY;
    r->resp->history = out;
    return KP_OK;
}
