/*  rpc_factcheck: the municipality's factual review ("faktagranskning").
 *
 *  FactcheckStart, FactcheckRemark, FactcheckAnswer, FactcheckShow,
 *  FactcheckClose (docs/signoff.md, "The factual review"; schema:
 *  sql/015_factcheck.sql). Once every area's texts are approved, the lead
 *  opens the review of the current revision for a window of days (10 unless
 *  said); the municipality's contact person (team role contact) reads the
 *  draft report and leaves remarks per area until the window ends; the lead
 *  and peers answer each remark, changing texts or scores through the
 *  ordinary commands as needed. The lead closes the review once every remark
 *  has an answer, or after the window even if some have none. Nobody signs
 *  while the review is open or a remark is unanswered (kp_factcheck_sign_check,
 *  called by Sign); answers are still given after the close. One review per
 *  revision; remarks and answers are kept as written (a trigger refuses any
 *  other change). Every change is one audit event: factcheck.start,
 *  factcheck.remark, factcheck.answer, factcheck.close.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "evaluation.h"
#include "factcheck.h"
#include "rpc.h"

#define DEFAULT_DAYS 10
#define MAX_DAYS     90
#define MAX_TEXT     4000 /* bytes of a remark or an answer */
#define US(col)      "(extract(epoch FROM " col ") * 1000000)::bigint"

const kp_stmt kp_factcheck_stmts[] = {
    {"fc_get",
     "SELECT f.revision, f.started_at::date::text, su.login, f.days, f.ends_on::text,"
     " f.closed_at IS NOT NULL, coalesce(f.closed_at::date::text, ''), coalesce(cu.login, ''),"
     " current_date > f.ends_on,"
     " (SELECT count(*) FROM factcheck_remarks x WHERE x.evaluation_id = f.evaluation_id"
     "  AND x.revision = f.revision),"
     " (SELECT count(*) FROM factcheck_remarks x WHERE x.evaluation_id = f.evaluation_id"
     "  AND x.revision = f.revision AND x.answer IS NULL)"
     " FROM factchecks f JOIN users su ON su.id = f.started_by"
     " LEFT JOIN users cu ON cu.id = f.closed_by"
     " WHERE f.evaluation_id = $1 AND f.revision = $2"},
    /* what opening a review needs: areas, approved areas, contacts */
    {"fc_ready",
     "SELECT (SELECT count(*) FROM framework_areas WHERE framework_id = $2),"
     " (SELECT count(*) FROM area_approvals WHERE evaluation_id = $1),"
     " (SELECT count(*) FROM evaluation_members WHERE evaluation_id = $1 AND role = 'contact')"},
    {"fc_insert", "INSERT INTO factchecks (evaluation_id, revision, started_by, days, ends_on)"
                  " VALUES ($1, $2, $3, $4, current_date + $4::int)"},
    {"fc_area", "SELECT title FROM framework_areas WHERE framework_id = $1 AND number = $2"},
    {"fc_area_range", "SELECT coalesce(min(number) || '–' || max(number), 'none')"
                      " FROM framework_areas WHERE framework_id = $1"},
    {"fc_remark_insert",
     "INSERT INTO factcheck_remarks (evaluation_id, revision, area_number, body, author_id)"
     " VALUES ($1, $2, $3, $4, $5) RETURNING id"},
    {"fc_remarks",
     "SELECT x.id, x.area_number, coalesce(a.title, ''), x.body, au.login, au.full_name,"
     " " US("x.created_at") ", x.answer IS NOT NULL, coalesce(x.answer, ''),"
                            " coalesce(bu.login, ''), coalesce(bu.full_name, ''), coalesce(" US(
                                "x.answered_at") ", 0)"
                                                 " FROM factcheck_remarks x JOIN users au ON au.id "
                                                 "= x.author_id"
                                                 " LEFT JOIN users bu ON bu.id = x.answered_by"
                                                 " LEFT JOIN framework_areas a ON a.framework_id = "
                                                 "$3 AND a.number = x.area_number"
                                                 " WHERE x.evaluation_id = $1 AND x.revision = $2 "
                                                 "AND ($4::bigint IS NULL OR x.id = $4)"
                                                 " ORDER BY x.id"},
    {"fc_remark_lock", "SELECT revision, answer IS NOT NULL FROM factcheck_remarks"
                       " WHERE id = $1 AND evaluation_id = $2 FOR UPDATE"},
    {"fc_answer", "UPDATE factcheck_remarks SET answer = $2, answered_by = $3,"
                  " answered_at = now() WHERE id = $1"},
    {"fc_unanswered", "SELECT id FROM factcheck_remarks WHERE evaluation_id = $1"
                      " AND revision = $2 AND answer IS NULL ORDER BY id"},
    {"fc_close", "UPDATE factchecks SET closed_at = now(), closed_by = $3"
                 " WHERE evaluation_id = $1 AND revision = $2"},
    {NULL, NULL},
};

/* ---------------------------------------------------------------- reading */

int kp_factcheck_read(kp_req *r, int64_t eval_id, int revision, Kompass__V1__Factcheck **out)
{
    *out = NULL;
    PGresult *res;
    const char *p[2] = {kp_db_param_i64(r->arena, eval_id), kp_db_param_i64(r->arena, revision)};
    int rc = kp_req_call(r, "fc_get", 2, p, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading the factual review");
    if (PQntuples(res) == 0) return KP_OK;
    Kompass__V1__Factcheck *f = kp_arena_alloc(r->arena, sizeof *f);
    kompass__v1__factcheck__init(f);
    f->revision = (int32_t)kp_db_i64(res, 0, 0);
    f->started_on = kp_db_str(r->arena, res, 0, 1);
    f->started_by = kp_db_str(r->arena, res, 0, 2);
    f->days = (int32_t)kp_db_i64(res, 0, 3);
    f->ends_on = kp_db_str(r->arena, res, 0, 4);
    f->closed = kp_db_bool(res, 0, 5);
    f->closed_on = kp_db_str(r->arena, res, 0, 6);
    f->closed_by = kp_db_str(r->arena, res, 0, 7);
    f->window_over = kp_db_bool(res, 0, 8);
    f->remarks = (int32_t)kp_db_i64(res, 0, 9);
    f->unanswered = (int32_t)kp_db_i64(res, 0, 10);
    *out = f;
    return KP_OK;
}

/* The remarks of a review (remark_id 0: all), oldest first. */
static int s_remarks(kp_req *r, const kp_eval *ev, int revision, int64_t remark_id,
                     Kompass__V1__FactcheckRemark ***out, size_t *n)
{
    PGresult *res;
    const char *p[4] = {kp_db_param_i64(r->arena, ev->id), kp_db_param_i64(r->arena, revision),
                        kp_db_param_i64(r->arena, ev->framework_id),
                        remark_id ? kp_db_param_i64(r->arena, remark_id) : NULL};
    int rc = kp_req_call(r, "fc_remarks", 4, p, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading the factual review's remarks");
    *n = (size_t)PQntuples(res);
    *out = kp_arena_alloc(r->arena, sizeof(void *) * (*n + 1));
    for (size_t i = 0; i < *n; i++) {
        int k = (int)i;
        Kompass__V1__FactcheckRemark *m = kp_arena_alloc(r->arena, sizeof *m);
        kompass__v1__factcheck_remark__init(m);
        m->id = kp_db_i64(res, k, 0);
        m->area = (int32_t)kp_db_i64(res, k, 1);
        m->area_title = kp_db_str(r->arena, res, k, 2);
        m->text = kp_db_str(r->arena, res, k, 3);
        m->author = kp_db_str(r->arena, res, k, 4);
        m->author_name = kp_db_str(r->arena, res, k, 5);
        m->created_at_us = kp_db_i64(res, k, 6);
        m->answered = kp_db_bool(res, k, 7);
        m->answer = kp_db_str(r->arena, res, k, 8);
        m->answered_by = kp_db_str(r->arena, res, k, 9);
        m->answered_by_name = kp_db_str(r->arena, res, k, 10);
        m->answered_at_us = kp_db_i64(res, k, 11);
        (*out)[i] = m;
    }
    return KP_OK;
}

/* "3, 5 and 8" (at most 10, then "..."): the unanswered remarks' ids. */
static int s_unanswered_ids(kp_req *r, int64_t eval_id, int revision, const char **ids)
{
    PGresult *res;
    const char *p[2] = {kp_db_param_i64(r->arena, eval_id), kp_db_param_i64(r->arena, revision)};
    int rc = kp_req_call(r, "fc_unanswered", 2, p, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading the factual review's remarks");
    int n = PQntuples(res);
    const char *s = "";
    for (int i = 0; i < n && i < 10; i++)
        s = kp_arena_printf(r->arena, "%s%s%s", s, i == 0 ? "" : (i == n - 1 ? " and " : ", "),
                            PQgetvalue(res, i, 0));
    if (n > 10) s = kp_arena_printf(r->arena, "%s, ...", s);
    *ids = s;
    return KP_OK;
}

static const char *s_remarks_word(int n)
{
    return n == 1 ? "remark" : "remarks";
}

int kp_factcheck_sign_check(kp_req *r, const kp_eval *ev)
{
    Kompass__V1__Factcheck *f;
    int rc = kp_factcheck_read(r, ev->id, ev->revision, &f);
    if (rc != KP_OK || !f) return rc;
    if (f->unanswered > 0) {
        const char *ids;
        rc = s_unanswered_ids(r, ev->id, ev->revision, &ids);
        if (rc != KP_OK) return rc;
        return kp_req_fail(r, KP_INVALID_STATE,
                           "%d %s of the municipality's factual review %s no answer (remark%s "
                           "%s): nobody signs while a remark is unanswered; the team answers "
                           "with kompass factcheck answer %lld REMARK --text T",
                           f->unanswered, s_remarks_word(f->unanswered),
                           f->unanswered == 1 ? "has" : "have", f->unanswered == 1 ? "" : "s", ids,
                           (long long)ev->id);
    }
    if (!f->closed)
        return kp_req_fail(r, KP_INVALID_STATE,
                           "the municipality's factual review of evaluation %lld is open (its "
                           "window ends on %s): nobody signs before the lead closes it (kompass "
                           "factcheck close %lld)",
                           (long long)ev->id, f->ends_on, (long long)ev->id);
    return KP_OK;
}

int kp_factcheck_blocking(kp_req *r, const kp_eval *ev, const char **sentence)
{
    *sentence = NULL;
    Kompass__V1__Factcheck *f;
    int rc = kp_factcheck_read(r, ev->id, ev->revision, &f);
    if (rc != KP_OK || !f) return rc;
    if (f->unanswered > 0) {
        const char *ids;
        rc = s_unanswered_ids(r, ev->id, ev->revision, &ids);
        if (rc != KP_OK) return rc;
        *sentence = kp_arena_printf(r->arena,
                                    "%d %s of the factual review without an answer (remark%s %s; "
                                    "kompass factcheck answer %lld REMARK --text T)",
                                    f->unanswered, s_remarks_word(f->unanswered),
                                    f->unanswered == 1 ? "" : "s", ids, (long long)ev->id);
    } else if (!f->closed) {
        *sentence = kp_arena_printf(r->arena,
                                    "the municipality's factual review is open (window until "
                                    "%s): the lead closes it with kompass factcheck close %lld",
                                    f->ends_on, (long long)ev->id);
    }
    return KP_OK;
}

/* ---------------------------------------------------------------- helpers */

static int s_blank(const char *s)
{
    for (; *s; s++)
        if (*s != ' ' && *s != '\n' && *s != '\t' && *s != '\r') return 0;
    return 1;
}

static int s_text_problem(kp_req *r, const char *text, const char *what)
{
    if (s_blank(text))
        return kp_req_fail(r, KP_BAD_REQUEST, "%s needs text (--text): nothing was written", what);
    if (strlen(text) > MAX_TEXT)
        return kp_req_fail(r, KP_BAD_REQUEST,
                           "%s is %zu bytes long; at most %d: nothing was written", what,
                           strlen(text), MAX_TEXT);
    return KP_OK;
}

static int s_not_practice(kp_req *r, const kp_eval *ev)
{
    if (ev->practice)
        return kp_req_fail(r, KP_INVALID_STATE,
                           "evaluation %lld is a calibration exercise (övning): it has no "
                           "factual review",
                           (long long)ev->id);
    if (*ev->source)
        return kp_req_fail(r, KP_INVALID_STATE,
                           "evaluation %lld is a published record imported from %s: it has no "
                           "factual review",
                           (long long)ev->id, ev->source);
    return KP_OK;
}

/* The review of ev's current revision, which must have been started. */
static int s_started(kp_req *r, const kp_eval *ev, Kompass__V1__Factcheck **f)
{
    int rc = kp_factcheck_read(r, ev->id, ev->revision, f);
    if (rc != KP_OK) return rc;
    if (!*f)
        return kp_req_fail(r, KP_INVALID_STATE,
                           "evaluation %lld has no factual review of revision %d: the lead opens "
                           "it once every area's texts are approved (kompass factcheck start "
                           "%lld)",
                           (long long)ev->id, ev->revision, (long long)ev->id);
    return KP_OK;
}

static const char *s_factcheck_json(kp_req *r, const Kompass__V1__Factcheck *f)
{
    json_t *j = json_pack("{s:i,s:s,s:i,s:s,s:b,s:i,s:i}", "revision", f->revision, "started_on",
                          f->started_on, "days", f->days, "ends_on", f->ends_on, "closed",
                          f->closed, "remarks", f->remarks, "unanswered", f->unanswered);
    if (f->closed) json_object_set_new(j, "closed_on", json_string(f->closed_on));
    return kp_audit_json(r, j);
}

/* ---------------------------------------------------------------- Start */

int kp_rpc_factcheck_start(kp_req *r)
{
    const Kompass__V1__FactcheckStartRequest *in = r->msg->factcheck_start;
    int days = in->days ? in->days : DEFAULT_DAYS;
    if (days < 1 || days > MAX_DAYS)
        return kp_req_fail(r, KP_BAD_REQUEST,
                           "--days is the review's window in days, 1 to %d (default %d), not %d",
                           MAX_DAYS, DEFAULT_DAYS, in->days);
    int rc = kp_db_begin(r->db);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "opening the factual review");
    kp_eval ev;
    PGresult *res;
    Kompass__V1__Factcheck *f = NULL;
    rc = kp_eval_begin_change(r, in->evaluation_id, 0, &ev);
    if (rc == KP_OK) rc = s_not_practice(r, &ev);
    if (rc == KP_OK && (ev.state == KP_EVAL_DRAFT || ev.state == KP_EVAL_SCORING))
        rc = kp_req_fail(r, KP_INVALID_STATE,
                         "the factual review reads the team's approved texts; evaluation %lld is "
                         "in %s: see kompass eval status %lld",
                         (long long)ev.id, kp_eval_state_name(ev.state), (long long)ev.id);
    if (rc == KP_OK) {
        rc = kp_factcheck_read(r, ev.id, ev.revision, &f);
        if (rc == KP_OK && f)
            rc = kp_req_fail(
                r, KP_CONFLICT,
                "the factual review of revision %d of evaluation %lld was opened on %s by %s "
                "(%s); a revision has one",
                ev.revision, (long long)ev.id, f->started_on, f->started_by,
                f->closed ? kp_arena_printf(r->arena, "closed on %s", f->closed_on)
                          : kp_arena_printf(r->arena, "open, its window until %s", f->ends_on));
    }
    if (rc == KP_OK) {
        const char *p[2] = {kp_db_param_i64(r->arena, ev.id),
                            kp_db_param_i64(r->arena, ev.framework_id)};
        rc = kp_req_call(r, "fc_ready", 2, p, &res);
        if (rc != KP_OK) {
            rc = kp_req_db_fail(r, rc, "reading the evaluation's progress");
        } else {
            long long areas = kp_db_i64(res, 0, 0), approved = kp_db_i64(res, 0, 1),
                      contacts = kp_db_i64(res, 0, 2);
            if (approved < areas)
                rc = kp_req_fail(r, KP_INVALID_STATE,
                                 "%lld of %lld areas' texts are not approved: the municipality "
                                 "reviews the approved draft (kompass text approve; kompass eval "
                                 "status %lld)",
                                 areas - approved, areas, (long long)ev.id);
            else if (contacts == 0)
                rc = kp_req_fail(r, KP_INVALID_STATE,
                                 "evaluation %lld has no contact person of %s on its team to "
                                 "review it: kompass eval assign %lld LOGIN --as contact",
                                 (long long)ev.id, ev.municipality, (long long)ev.id);
        }
    }
    if (rc == KP_OK) {
        const char *p[4] = {kp_db_param_i64(r->arena, ev.id),
                            kp_db_param_i64(r->arena, ev.revision),
                            kp_db_param_i64(r->arena, r->user_id), kp_db_param_i64(r->arena, days)};
        rc = kp_req_call(r, "fc_insert", 4, p, NULL);
        if (rc != KP_OK) rc = kp_req_db_fail(r, rc, "opening the factual review");
    }
    if (rc == KP_OK) rc = kp_factcheck_read(r, ev.id, ev.revision, &f);
    if (rc == KP_OK) rc = kp_eval_bump(r, &ev);
    if (rc == KP_OK) {
        kp_audit_event e = {.evaluation_id = ev.id,
                            .eval_version = ev.version,
                            .action = "factcheck.start",
                            .target = kp_arena_printf(r->arena,
                                                      "factual review of revision %d of "
                                                      "evaluation %lld",
                                                      ev.revision, (long long)ev.id),
                            .after = s_factcheck_json(r, f)};
        rc = kp_audit_append(r, &e);
    }
    rc = kp_req_end_tx(r, rc, "opening the factual review");
    if (rc != KP_OK) return rc;
    Kompass__V1__FactcheckStartResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__factcheck_start_response__init(out);
    out->factcheck = f;
    out->version = ev.version;
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_FACTCHECK_START;
    r->resp->factcheck_start = out;
    return KP_OK;
}

/* ---------------------------------------------------------------- Remark */

int kp_rpc_factcheck_remark(kp_req *r)
{
    const Kompass__V1__FactcheckRemarkRequest *in = r->msg->factcheck_remark;
    int rc = s_text_problem(r, in->text, "a remark");
    if (rc != KP_OK) return rc;
    rc = kp_db_begin(r->db);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "adding a remark");
    kp_eval ev;
    PGresult *res;
    Kompass__V1__Factcheck *f = NULL;
    Kompass__V1__FactcheckRemark **rows = NULL;
    size_t n = 0;
    int64_t id = 0;
    rc = kp_eval_begin_change(r, in->evaluation_id, 0, &ev);
    if (rc == KP_OK) rc = s_started(r, &ev, &f);
    if (rc == KP_OK && f->closed)
        rc = kp_req_fail(r, KP_INVALID_STATE,
                         "the factual review of evaluation %lld was closed on %s by %s: no more "
                         "remarks",
                         (long long)ev.id, f->closed_on, f->closed_by);
    if (rc == KP_OK && f->window_over)
        rc = kp_req_fail(r, KP_INVALID_STATE,
                         "the factual review's window of evaluation %lld ended on %s (opened on "
                         "%s for %d days): no more remarks",
                         (long long)ev.id, f->ends_on, f->started_on, f->days);
    if (rc == KP_OK) {
        const char *p[2] = {kp_db_param_i64(r->arena, ev.framework_id),
                            kp_db_param_i64(r->arena, in->area)};
        rc = kp_req_call(r, "fc_area", 2, p, &res);
        if (rc != KP_OK) {
            rc = kp_req_db_fail(r, rc, "reading the framework");
        } else {
            int found = PQntuples(res) > 0;
            if (!found) {
                rc = kp_req_call(r, "fc_area_range", 1, p, &res);
                if (rc != KP_OK) {
                    rc = kp_req_db_fail(r, rc, "reading the framework");
                } else {
                    rc = kp_req_fail(r, KP_BAD_REQUEST, "%s has no area %d (its areas are %s)",
                                     ev.framework, in->area, PQgetvalue(res, 0, 0));
                }
            }
        }
    }
    if (rc == KP_OK) {
        const char *p[5] = {
            kp_db_param_i64(r->arena, ev.id), kp_db_param_i64(r->arena, ev.revision),
            kp_db_param_i64(r->arena, in->area), in->text, kp_db_param_i64(r->arena, r->user_id)};
        rc = kp_req_call(r, "fc_remark_insert", 5, p, &res);
        if (rc != KP_OK) {
            rc = kp_req_db_fail(r, rc, "adding a remark");
        } else {
            id = kp_db_i64(res, 0, 0);
        }
    }
    if (rc == KP_OK) rc = s_remarks(r, &ev, ev.revision, id, &rows, &n);
    if (rc == KP_OK) rc = kp_eval_bump(r, &ev);
    if (rc == KP_OK) {
        kp_audit_event e = {
            .evaluation_id = ev.id,
            .eval_version = ev.version,
            .action = "factcheck.remark",
            .target = kp_arena_printf(r->arena, "remark %lld on area %d", (long long)id, in->area),
            .after = kp_audit_json(r, json_pack("{s:I,s:i,s:s}", "remark", (json_int_t)id, "area",
                                                in->area, "text", in->text))};
        rc = kp_audit_append(r, &e);
    }
    rc = kp_req_end_tx(r, rc, "adding a remark");
    if (rc != KP_OK) return rc;
    Kompass__V1__FactcheckRemarkResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__factcheck_remark_response__init(out);
    out->remark = n ? rows[0] : NULL;
    out->version = ev.version;
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_FACTCHECK_REMARK;
    r->resp->factcheck_remark = out;
    return KP_OK;
}

/* ---------------------------------------------------------------- Answer */

int kp_rpc_factcheck_answer(kp_req *r)
{
    const Kompass__V1__FactcheckAnswerRequest *in = r->msg->factcheck_answer;
    int rc = s_text_problem(r, in->text, "an answer");
    if (rc != KP_OK) return rc;
    if (in->remark_id <= 0)
        return kp_req_fail(r, KP_BAD_REQUEST, "name the remark by its id (kompass factcheck ID)");
    rc = kp_db_begin(r->db);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "answering a remark");
    kp_eval ev;
    PGresult *res;
    Kompass__V1__Factcheck *f = NULL;
    Kompass__V1__FactcheckRemark **rows = NULL;
    size_t n = 0;
    rc = kp_eval_begin_change(r, in->evaluation_id, 0, &ev);
    if (rc == KP_OK) rc = s_started(r, &ev, &f);
    if (rc == KP_OK) {
        const char *p[2] = {kp_db_param_i64(r->arena, in->remark_id),
                            kp_db_param_i64(r->arena, ev.id)};
        rc = kp_req_call(r, "fc_remark_lock", 2, p, &res);
        if (rc != KP_OK) {
            rc = kp_req_db_fail(r, rc, "reading the remark");
        } else {
            int found = PQntuples(res) > 0;
            int revision = found ? (int)kp_db_i64(res, 0, 0) : 0;
            int answered = found && kp_db_bool(res, 0, 1);
            if (!found || revision != ev.revision)
                rc = kp_req_fail(r, KP_NOT_FOUND,
                                 "the factual review of revision %d of evaluation %lld has no "
                                 "remark %lld (kompass factcheck %lld)",
                                 ev.revision, (long long)ev.id, (long long)in->remark_id,
                                 (long long)ev.id);
            else if (answered) {
                rc = s_remarks(r, &ev, ev.revision, in->remark_id, &rows, &n);
                if (rc == KP_OK)
                    rc = kp_req_fail(r, KP_CONFLICT,
                                     "remark %lld was answered by %s: \"%.200s\"; an answer is "
                                     "given once",
                                     (long long)in->remark_id, n ? rows[0]->answered_by : "?",
                                     n ? rows[0]->answer : "");
            }
        }
    }
    if (rc == KP_OK) {
        const char *p[3] = {kp_db_param_i64(r->arena, in->remark_id), in->text,
                            kp_db_param_i64(r->arena, r->user_id)};
        rc = kp_req_call(r, "fc_answer", 3, p, NULL);
        if (rc != KP_OK) rc = kp_req_db_fail(r, rc, "answering the remark");
    }
    if (rc == KP_OK) rc = s_remarks(r, &ev, ev.revision, in->remark_id, &rows, &n);
    if (rc == KP_OK) rc = kp_factcheck_read(r, ev.id, ev.revision, &f);
    if (rc == KP_OK) rc = kp_eval_bump(r, &ev);
    if (rc == KP_OK) {
        kp_audit_event e = {.evaluation_id = ev.id,
                            .eval_version = ev.version,
                            .action = "factcheck.answer",
                            .target =
                                kp_arena_printf(r->arena, "remark %lld", (long long)in->remark_id),
                            .before = kp_audit_json(r, json_pack("{s:n}", "answer")),
                            .after = kp_audit_json(r, json_pack("{s:s,s:i}", "answer", in->text,
                                                                "unanswered", f->unanswered))};
        rc = kp_audit_append(r, &e);
    }
    rc = kp_req_end_tx(r, rc, "answering a remark");
    if (rc != KP_OK) return rc;
    Kompass__V1__FactcheckAnswerResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__factcheck_answer_response__init(out);
    out->remark = n ? rows[0] : NULL;
    out->version = ev.version;
    out->unanswered = f->unanswered;
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_FACTCHECK_ANSWER;
    r->resp->factcheck_answer = out;
    return KP_OK;
}

/* ---------------------------------------------------------------- Show */

int kp_rpc_factcheck_show(kp_req *r)
{
    const Kompass__V1__FactcheckShowRequest *in = r->msg->factcheck_show;
    if (in->revision < 0) return kp_req_fail(r, KP_BAD_REQUEST, "a revision is 1 or more");
    kp_eval ev;
    int rc = kp_eval_get(r, in->evaluation_id, &ev);
    if (rc != KP_OK) return rc;
    int revision = in->revision ? in->revision : ev.revision;
    if (revision > ev.revision)
        return kp_req_fail(r, KP_NOT_FOUND, "evaluation %lld has no revision %d (its latest is %d)",
                           (long long)ev.id, revision, ev.revision);
    Kompass__V1__FactcheckShowResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__factcheck_show_response__init(out);
    rc = kp_factcheck_read(r, ev.id, revision, &out->factcheck);
    if (rc != KP_OK) return rc;
    out->started = out->factcheck != NULL;
    if (out->started) rc = s_remarks(r, &ev, revision, 0, &out->remarks, &out->n_remarks);
    if (rc != KP_OK) return rc;
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_FACTCHECK_SHOW;
    r->resp->factcheck_show = out;
    return KP_OK;
}

/* ---------------------------------------------------------------- Close */

int kp_rpc_factcheck_close(kp_req *r)
{
    const Kompass__V1__FactcheckCloseRequest *in = r->msg->factcheck_close;
    int rc = kp_db_begin(r->db);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "closing the factual review");
    kp_eval ev;
    Kompass__V1__Factcheck *f = NULL;
    const char *before = NULL;
    rc = kp_eval_begin_change(r, in->evaluation_id, 0, &ev);
    if (rc == KP_OK) rc = s_started(r, &ev, &f);
    if (rc == KP_OK && f->closed)
        rc = kp_req_fail(r, KP_CONFLICT,
                         "the factual review of evaluation %lld was closed on %s by %s",
                         (long long)ev.id, f->closed_on, f->closed_by);
    /* Before the window ends only a review whose remarks all have an answer
     * closes: the municipality's time is not cut short with a question
     * left open. After it, the lead closes it whatever is left. */
    if (rc == KP_OK && !f->window_over && f->unanswered > 0) {
        const char *ids;
        rc = s_unanswered_ids(r, ev.id, ev.revision, &ids);
        if (rc == KP_OK)
            rc = kp_req_fail(r, KP_INVALID_STATE,
                             "%d %s of the factual review %s no answer (remark%s %s) and its "
                             "window runs until %s: answer them (kompass factcheck answer %lld "
                             "REMARK --text T), or close it after the window",
                             f->unanswered, s_remarks_word(f->unanswered),
                             f->unanswered == 1 ? "has" : "have", f->unanswered == 1 ? "" : "s",
                             ids, f->ends_on, (long long)ev.id);
    }
    if (rc == KP_OK) {
        before = s_factcheck_json(r, f);
        const char *p[3] = {kp_db_param_i64(r->arena, ev.id),
                            kp_db_param_i64(r->arena, ev.revision),
                            kp_db_param_i64(r->arena, r->user_id)};
        rc = kp_req_call(r, "fc_close", 3, p, NULL);
        if (rc != KP_OK) rc = kp_req_db_fail(r, rc, "closing the factual review");
    }
    if (rc == KP_OK) rc = kp_factcheck_read(r, ev.id, ev.revision, &f);
    if (rc == KP_OK) rc = kp_eval_bump(r, &ev);
    if (rc == KP_OK) {
        kp_audit_event e = {.evaluation_id = ev.id,
                            .eval_version = ev.version,
                            .action = "factcheck.close",
                            .target = kp_arena_printf(r->arena,
                                                      "factual review of revision %d of "
                                                      "evaluation %lld",
                                                      ev.revision, (long long)ev.id),
                            .before = before,
                            .after = s_factcheck_json(r, f)};
        rc = kp_audit_append(r, &e);
    }
    rc = kp_req_end_tx(r, rc, "closing the factual review");
    if (rc != KP_OK) return rc;
    Kompass__V1__FactcheckCloseResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__factcheck_close_response__init(out);
    out->factcheck = f;
    out->version = ev.version;
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_FACTCHECK_CLOSE;
    r->resp->factcheck_close = out;
    return KP_OK;
}
