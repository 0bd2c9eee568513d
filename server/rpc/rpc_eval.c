/*  rpc_eval: evaluations and their teams.
 *
 *  EvalCreate, EvalList, EvalShow, EvalAssign, EvalUnassign. Who may call
 *  which is decided by the authorisation table (authz.c) before a handler
 *  runs; what a handler still decides is what a caller sees (EvalList shows
 *  admins everything, everyone else the evaluations they are on the team of)
 *  and the domain rules: one lead per team, a global observer only as a team
 *  observer or contact, no team member from the municipality evaluated (jäv)
 *  unless an admin overrides it with a reason, but for its contact person
 *  (role contact), who must be from it.
 */
#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "consensus.h"
#include "evaluation.h"
#include "factcheck.h"
#include "identity.h"
#include "import.h"
#include "municipality.h"
#include "namekey.h"
#include "rpc.h"
#include "signoff.h"

const kp_stmt kp_eval_stmts[] = {
    {"framework_find", "SELECT id FROM frameworks WHERE code = $1"},
    {"eval_label_taken", "SELECT id FROM evaluations WHERE municipality_id = $1 AND label = $2"},
    /* the ordinal is counted by kp_eval_renumber right after */
    {"eval_create",
     "INSERT INTO evaluations (municipality_id, framework_id, label, period, ordinal, created_by,"
     " ordinal_given) VALUES ($1, $2, $3, $4, coalesce($6::int, 1), $5, $6::int)"
     " RETURNING id"},
    {"eval_summaries",
     "SELECT e.id, m.name, f.code, e.label, e.period, e.ordinal, e.status, e.version,"
     " coalesce(u.login, ''), (extract(epoch FROM e.created_at) * 1000000)::bigint,"
     " coalesce((SELECT x.role FROM evaluation_members x"
     "           WHERE x.evaluation_id = e.id AND x.user_id = $1), ''),"
     " (SELECT count(*) FROM evaluation_members x WHERE x.evaluation_id = e.id),"
     " e.blind, (SELECT count(*) FROM evidence v WHERE v.evaluation_id = e.id),"
     " e.practice, coalesce((SELECT c.source_id FROM calibrations c WHERE c.practice_id = e.id), "
     "0),"
     " coalesce(e.report_date::text, ''), e.ordinal_given IS NOT NULL"
     " FROM evaluations e JOIN municipalities m ON m.id = e.municipality_id"
     " JOIN frameworks f ON f.id = e.framework_id LEFT JOIN users u ON u.id = e.created_by"
     " WHERE ($2::boolean OR EXISTS (SELECT 1 FROM evaluation_members x"
     "                              WHERE x.evaluation_id = e.id AND x.user_id = $1))"
     "  AND ($3::bigint IS NULL OR e.id = $3)"
     "  AND ($4::text IS NULL OR e.status = $4)"
     "  AND ($5::bigint IS NULL OR e.municipality_id = $5)"
     "  AND ($6::text IS NULL OR e.label = $6)"
     " ORDER BY lower(m.name), e.label, e.id"},
    {"eval_team",
     "SELECT u.login, u.full_name, u.organisation, x.role, coalesce(x.coi_override, '')"
     " FROM evaluation_members x JOIN users u ON u.id = x.user_id WHERE x.evaluation_id = $1"
     " ORDER BY array_position(ARRAY['lead', 'peer', 'observer', 'contact'], x.role), u.login"},
    {"member_get", "SELECT role, coalesce(coi_override, '') FROM evaluation_members"
                   " WHERE evaluation_id = $1 AND user_id = $2"},
    {"member_other_lead",
     "SELECT u.login FROM evaluation_members x JOIN users u ON u.id = x.user_id"
     " WHERE x.evaluation_id = $1 AND x.role = 'lead' AND x.user_id <> $2"},
    {"member_put",
     "INSERT INTO evaluation_members (evaluation_id, user_id, role, added_by, coi_override)"
     " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (evaluation_id, user_id)"
     " DO UPDATE SET role = EXCLUDED.role, coi_override = EXCLUDED.coi_override"},
    {"member_delete", "DELETE FROM evaluation_members WHERE evaluation_id = $1 AND user_id = $2"},
    {"eval_progress",
     "SELECT a.number, a.title, count(q.id),"
     " coalesce((SELECT json_agg(json_build_array(u.login,"
     "   (SELECT count(*) FROM scores s JOIN framework_questions sq ON sq.id = s.question_id"
     "    WHERE s.evaluation_id = $1 AND s.evaluator_id = u.id AND sq.area_id = a.id))"
     "   ORDER BY u.login)::text"
     "  FROM evaluation_members x JOIN users u ON u.id = x.user_id"
     "  WHERE x.evaluation_id = $1 AND x.role IN ('lead', 'peer')), '[]')"
     " FROM framework_areas a JOIN framework_questions q ON q.area_id = a.id"
     " WHERE a.framework_id = (SELECT framework_id FROM evaluations WHERE id = $1)"
     " GROUP BY a.id, a.number, a.title ORDER BY a.number"},
    {"eval_set_head", "SELECT municipality_id, period, coalesce(report_date::text, ''),"
                      " ordinal, ordinal_given FROM evaluations WHERE id = $1"},
    {"eval_set",
     "UPDATE evaluations SET period = coalesce($2, period),"
     " report_date = coalesce($3::date, report_date),"
     " ordinal_given = CASE WHEN $5::boolean THEN NULL ELSE coalesce($4::int, ordinal_given) END,"
     " ordinal = coalesce($4::int, ordinal) WHERE id = $1"},
    {NULL, NULL},
};

/* ---------------------------------------------------------------- summaries */

static Kompass__V1__EvaluationSummary *s_summary(kp_req *r, PGresult *res, int i)
{
    Kompass__V1__EvaluationSummary *e = kp_arena_alloc(r->arena, sizeof *e);
    kompass__v1__evaluation_summary__init(e);
    e->id = kp_db_i64(res, i, 0);
    e->municipality = kp_db_str(r->arena, res, i, 1);
    e->framework = kp_db_str(r->arena, res, i, 2);
    e->label = kp_db_str(r->arena, res, i, 3);
    e->period = kp_db_str(r->arena, res, i, 4);
    e->ordinal = (int32_t)kp_db_i64(res, i, 5);
    e->status = kp_db_str(r->arena, res, i, 6);
    e->version = kp_db_i64(res, i, 7);
    e->created_by = kp_db_str(r->arena, res, i, 8);
    e->created_at_us = kp_db_i64(res, i, 9);
    e->my_role = kp_db_str(r->arena, res, i, 10);
    e->team_size = (int32_t)kp_db_i64(res, i, 11);
    e->practice = kp_db_bool(res, i, 14);
    e->practice_of = kp_db_i64(res, i, 15);
    e->report_date = kp_db_str(r->arena, res, i, 16);
    e->ordinal_given = kp_db_bool(res, i, 17);
    return e;
}

/* Evaluations visible to r's user matching the filters (NULL: any). */
static int s_summaries(kp_req *r, int64_t id, const char *status, const char *municipality,
                       const char *label, PGresult **res)
{
    const char *mid = NULL; /* the municipality filter, found as read (0: none matches) */
    if (municipality) {
        int64_t m = 0;
        const char *stored;
        int rc = kp_municipality_find(r, municipality, 0, &m, &stored);
        if (rc != KP_OK) return kp_req_db_fail(r, rc, "finding the municipality");
        mid = kp_db_param_i64(r->arena, m);
    }
    const char *p[6] = {kp_db_param_i64(r->arena, r->user_id),
                        kp_is_admin(r) ? "true" : "false",
                        id ? kp_db_param_i64(r->arena, id) : NULL,
                        status,
                        mid,
                        label};
    int rc = kp_req_call(r, "eval_summaries", 6, p, res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading evaluations");
    return KP_OK;
}

static const char *s_or_null(const char *s)
{
    return s && *s ? s : NULL;
}

static int s_period_fail(kp_req *r, const char *period)
{
    return kp_req_fail(r, KP_BAD_REQUEST,
                       "--period must be the year and month the evaluation was conducted, "
                       "YYYY-MM (e.g. 2017-03), or the year, not '%s'",
                       period);
}

/* ---------------------------------------------------------------- create */

int kp_rpc_eval_create(kp_req *r)
{
    const Kompass__V1__EvalCreateRequest *in = r->msg->eval_create;
    size_t llen = strlen(in->label);
    if (llen == 0 || llen > 40)
        return kp_req_fail(r, KP_BAD_REQUEST,
                           "an evaluation needs a label of 1 to 40 characters "
                           "(e.g. the year: --label 2017)");
    if (!kp_period_ok(in->period)) return s_period_fail(r, in->period);
    if (in->ordinal < 0 || in->ordinal > 1000)
        return kp_req_fail(r, KP_BAD_REQUEST,
                           "--ordinal must be 1 to 1000 (which evaluation of the municipality "
                           "this is), not %d",
                           (int)in->ordinal);

    int rc = kp_db_begin(r->db);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "creating an evaluation");
    PGresult *res = NULL;
    int64_t mid = 0, fid = 0, id = 0;
    const char *mname = in->municipality;
    rc = kp_municipality_find(r, in->municipality, 0, &mid, &mname);
    if (rc == KP_OK && !mid)
        rc = kp_req_fail(r, KP_NOT_FOUND,
                         "no municipality named '%s' (kompass municipality list; an admin "
                         "adds one with kompass municipality add)",
                         in->municipality);
    if (rc == KP_OK) {
        const char *p[1] = {in->framework};
        rc = kp_req_call(r, "framework_find", 1, p, &res);
        if (rc == KP_OK) {
            if (PQntuples(res) == 0)
                rc = kp_req_fail(r, KP_NOT_FOUND, "no framework '%s' (see kompass framework list)",
                                 in->framework);
            else
                fid = kp_db_i64(res, 0, 0);
        }
    }
    if (rc == KP_OK) {
        const char *p[2] = {kp_db_param_i64(r->arena, mid), in->label};
        rc = kp_req_call(r, "eval_label_taken", 2, p, &res);
        if (rc == KP_OK) {
            if (PQntuples(res) > 0)
                rc = kp_req_fail(r, KP_CONFLICT,
                                 "%s already has an evaluation labelled '%s' (evaluation %s)",
                                 mname, in->label, PQgetvalue(res, 0, 0));
        }
    }
    if (rc == KP_OK) {
        const char *p[6] = {kp_db_param_i64(r->arena, mid),
                            kp_db_param_i64(r->arena, fid),
                            in->label,
                            in->period,
                            r->user_id ? kp_db_param_i64(r->arena, r->user_id) : NULL,
                            in->ordinal ? kp_db_param_i64(r->arena, in->ordinal) : NULL};
        rc = kp_req_call(r, "eval_create", 6, p, &res);
        if (rc == KP_OK) id = kp_db_i64(res, 0, 0);
    }
    json_t *moved = NULL;
    if (rc == KP_OK) rc = kp_eval_renumber(r, mid, id, &moved);
    if (rc == KP_OK) {
        json_t *after = json_pack("{s:s,s:s,s:s,s:s,s:s}", "municipality", mname, "framework",
                                  in->framework, "label", in->label, "period", in->period, "status",
                                  kp_eval_state_name(KP_EVAL_DRAFT));
        /* a stated ordinal, and the others it moved, are part of the change */
        if (in->ordinal) json_object_set_new(after, "ordinal", json_integer(in->ordinal));
        if (json_array_size(moved)) json_object_set(after, "renumbered", moved);
        kp_audit_event ev = {.evaluation_id = id,
                             .eval_version = 1,
                             .action = "eval.create",
                             .target = kp_arena_printf(r->arena, "evaluation %lld", (long long)id),
                             .after = kp_audit_json(r, after)};
        rc = kp_audit_append(r, &ev);
    }
    rc = kp_req_end_tx(r, rc, "creating an evaluation");
    if (rc != KP_OK) return rc;

    rc = s_summaries(r, id, NULL, NULL, NULL, &res);
    if (rc != KP_OK) return rc;
    Kompass__V1__EvalCreateResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__eval_create_response__init(out);
    if (PQntuples(res) > 0) out->evaluation = s_summary(r, res, 0);
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_EVAL_CREATE;
    r->resp->eval_create = out;
    return KP_OK;
}

/* ---------------------------------------------------------------- list, show */

int kp_rpc_eval_list(kp_req *r)
{
    const Kompass__V1__EvalListRequest *in = r->msg->eval_list;
    if (*in->status) {
        kp_eval_state s;
        if (kp_eval_state_parse(in->status, &s) != 0)
            return kp_req_fail(r, KP_BAD_REQUEST,
                               "status must be draft, scoring, consensus, review, signed or "
                               "reopened, not '%s'",
                               in->status);
    }
    PGresult *res;
    int rc = s_summaries(r, 0, s_or_null(in->status), s_or_null(in->municipality),
                         s_or_null(in->label), &res);
    if (rc != KP_OK) return rc;
    Kompass__V1__EvalListResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__eval_list_response__init(out);
    out->n_evaluations = (size_t)PQntuples(res);
    out->evaluations = kp_arena_alloc(r->arena, sizeof(void *) * (out->n_evaluations + 1));
    for (size_t i = 0; i < out->n_evaluations; i++)
        out->evaluations[i] = s_summary(r, res, (int)i);
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_EVAL_LIST;
    r->resp->eval_list = out;
    return KP_OK;
}

/* The team of evaluation id, into out (n members). */
static int s_team(kp_req *r, int64_t id, Kompass__V1__Member ***out, size_t *n)
{
    PGresult *res;
    const char *p[1] = {kp_db_param_i64(r->arena, id)};
    int rc = kp_req_call(r, "eval_team", 1, p, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading the team");
    *n = (size_t)PQntuples(res);
    *out = kp_arena_alloc(r->arena, sizeof(void *) * (*n + 1));
    for (size_t i = 0; i < *n; i++) {
        Kompass__V1__Member *m = kp_arena_alloc(r->arena, sizeof *m);
        kompass__v1__member__init(m);
        m->login = kp_db_str(r->arena, res, (int)i, 0);
        m->full_name = kp_db_str(r->arena, res, (int)i, 1);
        m->organisation = kp_db_str(r->arena, res, (int)i, 2);
        m->role = kp_db_str(r->arena, res, (int)i, 3);
        m->coi_override = kp_db_str(r->arena, res, (int)i, 4);
        (*out)[i] = m;
    }
    return KP_OK;
}

int kp_rpc_eval_show(kp_req *r)
{
    int64_t id = r->msg->eval_show->evaluation_id;
    PGresult *res;
    int rc = s_summaries(r, id, NULL, NULL, NULL, &res);
    if (rc != KP_OK) return rc;
    if (PQntuples(res) == 0)
        return kp_req_fail(r, KP_NOT_FOUND, "no evaluation %lld", (long long)id);
    Kompass__V1__EvalShowResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__eval_show_response__init(out);
    out->evaluation = s_summary(r, res, 0);
    out->blind = kp_db_bool(res, 0, 12);
    out->evidence = (int32_t)kp_db_i64(res, 0, 13);
    rc = s_team(r, id, &out->team, &out->n_team);
    if (rc != KP_OK) return rc;

    /* progress: how many questions each evaluator has scored, per area
     * (counts only: no values, so blind scoring is kept) */
    const char *p[1] = {kp_db_param_i64(r->arena, id)};
    rc = kp_req_call(r, "eval_progress", 1, p, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading progress");
    out->n_progress = (size_t)PQntuples(res);
    out->progress = kp_arena_alloc(r->arena, sizeof(void *) * (out->n_progress + 1));
    for (size_t i = 0; i < out->n_progress; i++) {
        int row = (int)i;
        Kompass__V1__AreaProgress *ap = kp_arena_alloc(r->arena, sizeof *ap);
        kompass__v1__area_progress__init(ap);
        ap->area = (int32_t)kp_db_i64(res, row, 0);
        ap->title = kp_db_str(r->arena, res, row, 1);
        ap->questions = (int32_t)kp_db_i64(res, row, 2);
        json_t *arr = json_loads(PQgetvalue(res, row, 3), 0, NULL);
        ap->n_scored = json_array_size(arr);
        ap->scored = kp_arena_alloc(r->arena, sizeof(void *) * (ap->n_scored + 1));
        for (size_t k = 0; k < ap->n_scored; k++) {
            Kompass__V1__EvaluatorProgress *ep = kp_arena_alloc(r->arena, sizeof *ep);
            kompass__v1__evaluator_progress__init(ep);
            json_t *pair = json_array_get(arr, k);
            ep->login = kp_arena_strdup(r->arena, json_string_value(json_array_get(pair, 0)));
            ep->scored = (int32_t)json_integer_value(json_array_get(pair, 1));
            ap->scored[k] = ep;
        }
        json_decref(arr);
        out->progress[i] = ap;
    }
    rc = kp_text_locks(r, id, &out->locks, &out->n_locks);
    if (rc != KP_OK) return rc;
    kp_eval ev;
    if ((rc = kp_eval_get(r, id, &ev)) != KP_OK) return rc;
    char **waiting;
    size_t nwaiting;
    rc = kp_signoff_state(r, &ev, &out->revision, &out->signatures, &out->n_signatures, &waiting,
                          &nwaiting);
    if (rc != KP_OK) return rc;
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_EVAL_SHOW;
    r->resp->eval_show = out;
    return KP_OK;
}

/* ---------------------------------------------------------------- team */

/* A municipality's or organisation's name reduced for comparison: read as
 * people read it (common/namekey.h: NFKC, case folded, invisible characters
 * gone, white space collapsed), without a trailing "kommun", "stad" or
 * "region" and without a genitive s, so that "Borås Stad", "BORÅS<NBSP>kommun"
 * and "Borås" compare equal, as do "Ängelholms kommun" and "Ängelholm". */
static char *s_org_key(kp_arena *a, const char *in)
{
    char *out = kp_arena_strdup(a, kp_name_key(a, in));
    size_t n = strlen(out);
    static const char *const suffixes[] = {" kommun", " stad", " region", " kommunkoncern"};
    for (size_t s = 0; s < sizeof suffixes / sizeof *suffixes; s++) {
        size_t sl = strlen(suffixes[s]);
        if (n > sl && strcmp(out + n - sl, suffixes[s]) == 0) {
            n -= sl;
            out[n] = '\0';
            break;
        }
    }
    return out;
}

/* Whether an organisation is the municipality (jäv). */
static int s_conflict_of_interest(kp_arena *arena, const char *org, const char *municipality)
{
    const char *a = s_org_key(arena, org), *b = s_org_key(arena, municipality);
    if (!*a || !*b) return 0;
    size_t la = strlen(a), lb = strlen(b);
    if (strcmp(a, b) == 0) return 1;
    /* genitive: "ängelholms" (kommun) vs "ängelholm" */
    if (la == lb + 1 && a[la - 1] == 's' && strncmp(a, b, lb) == 0) return 1;
    if (lb == la + 1 && b[lb - 1] == 's' && strncmp(a, b, la) == 0) return 1;
    return 0;
}

typedef struct {
    int64_t id;
    const char *login, *full_name, *organisation, *role;
    int active;
} user_row;

static int s_user(kp_req *r, const char *login, user_row *u)
{
    kp_user_row row;
    int rc = kp_identity_user_find(r, login, &row);
    if (rc == KP_NOT_FOUND)
        return kp_req_fail(r, KP_NOT_FOUND, "no user '%s' (see kompass user list)", login);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading a user");
    u->id = row.id;
    u->login = row.login;
    u->full_name = row.full_name;
    u->organisation = row.organisation;
    u->role = row.role;
    u->active = row.active;
    return KP_OK;
}

/* A calibration exercise's team is its trainee alone (rpc_calibration.c). */
static int s_not_practice(kp_req *r, const kp_eval *ev)
{
    if (!ev->practice) return KP_OK;
    return kp_req_fail(r, KP_INVALID_STATE,
                       "evaluation %lld is a calibration exercise (övning): its only evaluator is "
                       "its trainee, and its team does not change",
                       (long long)ev->id);
}

/* The team keeps its lead: the lead, changing their own role or leaving,
 * would leave it with none, and nobody but an admin could give it one
 * again. So only an admin may take the lead away (to give it to someone
 * else: the old lead --as peer or unassigned, then the new one --as lead).
 * old_role: u's role on the team now; fresh: the role after ("" when
 * leaving). */
static int s_keeps_lead(kp_req *r, const kp_eval *ev, const user_row *u, const char *old_role,
                        const char *fresh)
{
    if (!old_role || strcmp(old_role, "lead") != 0 || strcmp(fresh, "lead") == 0) return KP_OK;
    if (kp_is_admin(r)) return KP_OK;
    return kp_req_fail(r, KP_CONFLICT,
                       "evaluation %lld would have no lead: %s is its only lead; an admin "
                       "assigns another lead (this one --as peer first, then the new lead "
                       "--as lead)",
                       (long long)ev->id, u->login);
}

int kp_rpc_eval_assign(kp_req *r)
{
    const Kompass__V1__EvalAssignRequest *in = r->msg->eval_assign;
    const char *role = in->role;
    if (strcmp(role, "lead") && strcmp(role, "peer") && strcmp(role, "observer") &&
        strcmp(role, "contact"))
        return kp_req_fail(r, KP_BAD_REQUEST,
                           "--as must be lead, peer, observer or contact, not '%s'", role);
    int contact = strcmp(role, "contact") == 0;
    if (strlen(in->reason) > 2000)
        return kp_req_fail(r, KP_BAD_REQUEST, "reason is longer than 2000 characters");

    int rc = kp_db_begin(r->db);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "assigning a team member");
    kp_eval ev;
    user_row u = {0};
    PGresult *res;
    const char *before = NULL, *old_override = "", *old_role = NULL;
    rc = kp_eval_begin_change(r, in->evaluation_id, 0, &ev);
    if (rc == KP_OK) rc = s_not_practice(r, &ev);
    if (rc == KP_OK) rc = s_user(r, in->login, &u);
    if (rc == KP_OK && !u.active)
        rc = kp_req_fail(r, KP_INVALID_STATE, "user %s is disabled", u.login);
    if (rc == KP_OK && strcmp(u.role, "observer") == 0 && strcmp(role, "observer") != 0 && !contact)
        rc = kp_req_fail(r, KP_BAD_REQUEST,
                         "%s has the global role observer (read-only) and can only join a team "
                         "as observer or contact",
                         u.login);
    if (rc == KP_OK && contact && strcmp(u.role, "admin") == 0)
        rc = kp_req_fail(r, KP_BAD_REQUEST,
                         "%s is an SKL admin; the contact is the municipality's own person",
                         u.login);
    /* The contact person is the municipality's: the one member who must be
     * from it. */
    if (rc == KP_OK && contact &&
        !s_conflict_of_interest(r->arena, u.organisation, ev.municipality))
        rc = kp_req_fail(r, KP_CONFLICT,
                         "the contact is the municipality's contact person: %s (%s) does not "
                         "work for %s, the municipality evaluated",
                         u.full_name, *u.organisation ? u.organisation : "no organisation",
                         ev.municipality);
    if (rc == KP_OK) {
        const char *p[2] = {kp_db_param_i64(r->arena, ev.id), kp_db_param_i64(r->arena, u.id)};
        rc = kp_req_call(r, "member_get", 2, p, &res);
        if (rc == KP_OK) {
            if (PQntuples(res) > 0) {
                before = kp_audit_json(
                    r, json_pack("{s:s,s:s}", "login", u.login, "role", PQgetvalue(res, 0, 0)));
                old_override = kp_db_str(r->arena, res, 0, 1);
                old_role = kp_db_str(r->arena, res, 0, 0);
            }
        } else {
            rc = kp_req_db_fail(r, rc, "reading the team");
        }
    }
    if (rc == KP_OK) rc = s_keeps_lead(r, &ev, &u, old_role, role);
    if (rc == KP_OK && strcmp(role, "lead") == 0) {
        const char *p[2] = {kp_db_param_i64(r->arena, ev.id), kp_db_param_i64(r->arena, u.id)};
        rc = kp_req_call(r, "member_other_lead", 2, p, &res);
        if (rc == KP_OK) {
            if (PQntuples(res) > 0)
                rc = kp_req_fail(r, KP_CONFLICT,
                                 "evaluation %lld already has a lead (%s); assign them --as peer "
                                 "first",
                                 (long long)ev.id, PQgetvalue(res, 0, 0));
        } else {
            rc = kp_req_db_fail(r, rc, "reading the team");
        }
    }
    /* Conflict of interest: a team member (lead, peer or observer) from the
     * municipality evaluated. Its contact person is expected to be (role
     * contact, checked above). */
    const char *override = *old_override ? old_override : NULL;
    int coi = rc == KP_OK && !contact &&
              s_conflict_of_interest(r->arena, u.organisation, ev.municipality);
    if (rc == KP_OK && coi) {
        if (!*in->reason && !override)
            rc = kp_req_fail(r, KP_CONFLICT,
                             "conflict of interest: %s (%s) works for %s, the municipality "
                             "evaluated (its contact person joins --as contact); an admin may "
                             "override this with --reason",
                             u.full_name, u.organisation, ev.municipality);
        else if (*in->reason && !kp_is_admin(r))
            rc = kp_req_fail(r, KP_DENIED, "only an admin may override a conflict of interest");
        else if (*in->reason)
            override = in->reason;
    }
    if (rc == KP_OK) {
        const char *p[5] = {kp_db_param_i64(r->arena, ev.id), kp_db_param_i64(r->arena, u.id), role,
                            kp_db_param_i64(r->arena, r->user_id), coi ? override : NULL};
        rc = kp_req_call(r, "member_put", 5, p, NULL);
        if (rc != KP_OK) rc = kp_req_db_fail(r, rc, "assigning a team member");
    }
    if (rc == KP_OK) rc = kp_eval_bump(r, &ev);
    if (rc == KP_OK) {
        kp_audit_event a = {
            .evaluation_id = ev.id,
            .eval_version = ev.version,
            .action = coi ? "eval.assign.coi_override" : "eval.assign",
            .target = kp_arena_printf(r->arena, "team member %s", u.login),
            .before = before,
            .after = kp_audit_json(r, json_pack("{s:s,s:s}", "login", u.login, "role", role)),
            .reason = coi ? override : NULL,
            .reason_required = coi};
        rc = kp_audit_append(r, &a);
    }
    rc = kp_req_end_tx(r, rc, "assigning a team member");
    if (rc != KP_OK) return rc;

    Kompass__V1__EvalAssignResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__eval_assign_response__init(out);
    Kompass__V1__Member *m = kp_arena_alloc(r->arena, sizeof *m);
    kompass__v1__member__init(m);
    m->login = (char *)u.login;
    m->full_name = (char *)u.full_name;
    m->organisation = (char *)u.organisation;
    m->role = (char *)role;
    m->coi_override = (char *)(coi && override ? override : "");
    out->member = m;
    out->version = ev.version;
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_EVAL_ASSIGN;
    r->resp->eval_assign = out;
    return KP_OK;
}

int kp_rpc_eval_unassign(kp_req *r)
{
    const Kompass__V1__EvalUnassignRequest *in = r->msg->eval_unassign;
    int rc = kp_db_begin(r->db);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "removing a team member");
    kp_eval ev;
    user_row u = {0};
    PGresult *res;
    const char *old_role = NULL;
    rc = kp_eval_begin_change(r, in->evaluation_id, 0, &ev);
    if (rc == KP_OK) rc = s_not_practice(r, &ev);
    if (rc == KP_OK) rc = s_user(r, in->login, &u);
    if (rc == KP_OK) {
        const char *p[2] = {kp_db_param_i64(r->arena, ev.id), kp_db_param_i64(r->arena, u.id)};
        rc = kp_req_call(r, "member_get", 2, p, &res);
        if (rc == KP_OK) {
            if (PQntuples(res) == 0)
                rc = kp_req_fail(r, KP_NOT_FOUND, "%s is not on the team of evaluation %lld",
                                 u.login, (long long)ev.id);
            else
                old_role = kp_db_str(r->arena, res, 0, 0);
        } else {
            rc = kp_req_db_fail(r, rc, "reading the team");
        }
    }
    if (rc == KP_OK) rc = s_keeps_lead(r, &ev, &u, old_role, "");
    if (rc == KP_OK) {
        const char *p[2] = {kp_db_param_i64(r->arena, ev.id), kp_db_param_i64(r->arena, u.id)};
        rc = kp_req_call(r, "member_delete", 2, p, NULL);
        if (rc != KP_OK) rc = kp_req_db_fail(r, rc, "removing a team member");
    }
    if (rc == KP_OK) rc = kp_eval_bump(r, &ev);
    if (rc == KP_OK) {
        kp_audit_event a = {
            .evaluation_id = ev.id,
            .eval_version = ev.version,
            .action = "eval.unassign",
            .target = kp_arena_printf(r->arena, "team member %s", u.login),
            .before = kp_audit_json(r, json_pack("{s:s,s:s}", "login", u.login, "role", old_role)),
            .after = NULL};
        rc = kp_audit_append(r, &a);
    }
    rc = kp_req_end_tx(r, rc, "removing a team member");
    if (rc != KP_OK) return rc;
    Kompass__V1__EvalUnassignResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__eval_unassign_response__init(out);
    out->version = ev.version;
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_EVAL_UNASSIGN;
    r->resp->eval_unassign = out;
    return KP_OK;
}

/* ---------------------------------------------------------------- set */

/* "YYYY-MM-DD", a real date (the database checks the calendar). */
static int s_date_ok(const char *d)
{
    if (strlen(d) != 10) return 0;
    for (int i = 0; i < 10; i++)
        if (i == 4 || i == 7 ? d[i] != '-' : !isdigit((unsigned char)d[i])) return 0;
    return 1;
}

int kp_rpc_eval_set(kp_req *r)
{
    const Kompass__V1__EvalSetRequest *in = r->msg->eval_set;
    if (!*in->period && !*in->report_date && !in->ordinal && !in->clear_ordinal)
        return kp_req_fail(r, KP_BAD_REQUEST,
                           "eval set needs --period, --report-date or --ordinal (or "
                           "--ordinal counted)");
    if (*in->period && !kp_period_ok(in->period)) return s_period_fail(r, in->period);
    if (*in->report_date && !s_date_ok(in->report_date))
        return kp_req_fail(r, KP_BAD_REQUEST, "--report-date must be YYYY-MM-DD, not '%s'",
                           in->report_date);
    if (in->ordinal < 0 || in->ordinal > 1000)
        return kp_req_fail(r, KP_BAD_REQUEST, "--ordinal must be 1 to 1000, not %d",
                           (int)in->ordinal);
    if (in->ordinal && in->clear_ordinal)
        return kp_req_fail(r, KP_BAD_REQUEST, "--ordinal takes a number or 'counted', not both");

    int rc = kp_db_begin(r->db);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "correcting an evaluation");
    kp_eval ev;
    PGresult *res = NULL;
    int64_t mid = 0;
    json_t *before = NULL, *after = NULL, *moved = NULL;
    const char *eid = kp_db_param_i64(r->arena, in->evaluation_id);
    rc = kp_eval_begin_change(r, in->evaluation_id, 1, &ev);
    if (rc == KP_OK && ev.practice)
        rc = kp_req_fail(r, KP_INVALID_STATE,
                         "evaluation %lld is a calibration exercise (övning): it has no place "
                         "among the municipality's evaluations",
                         (long long)ev.id);
    if (rc == KP_OK) {
        const char *p[1] = {eid};
        rc = kp_req_call(r, "eval_set_head", 1, p, &res);
        if (rc != KP_OK) rc = kp_req_db_fail(r, rc, "reading the evaluation");
    }
    if (rc == KP_OK) {
        mid = kp_db_i64(res, 0, 0);
        before = kp_req_json(r, json_object());
        after = kp_req_json(r, json_object());
        const char *period = PQgetvalue(res, 0, 1), *date = PQgetvalue(res, 0, 2);
        int given = !PQgetisnull(res, 0, 4);
        if (*in->period && strcmp(in->period, period)) {
            json_object_set_new(before, "period", json_string(period));
            json_object_set_new(after, "period", json_string(in->period));
            if (ev.state == KP_EVAL_SIGNED)
                rc = kp_req_fail(r, KP_INVALID_STATE,
                                 "evaluation %lld is signed and its period is part of what was "
                                 "signed; an admin reopens it first (kompass eval reopen %lld "
                                 "--reason R)",
                                 (long long)ev.id, (long long)ev.id);
        }
        if (*in->report_date && strcmp(in->report_date, date)) {
            json_object_set_new(before, "report_date", *date ? json_string(date) : json_null());
            json_object_set_new(after, "report_date", json_string(in->report_date));
        }
        if ((in->ordinal && (!given || in->ordinal != kp_db_i64(res, 0, 4))) ||
            (in->clear_ordinal && given)) {
            json_object_set_new(before, "ordinal", json_integer(kp_db_i64(res, 0, 3)));
            json_object_set_new(before, "ordinal_given", json_boolean(given));
            json_object_set_new(after, "ordinal_given", json_boolean(!in->clear_ordinal));
        }
        if (rc == KP_OK && json_object_size(after) == 0)
            rc = kp_req_fail(r, KP_CONFLICT,
                             "evaluation %lld already has these values: nothing "
                             "to correct",
                             (long long)ev.id);
    }
    if (rc == KP_OK) {
        const char *p[5] = {eid, *in->period ? in->period : NULL,
                            *in->report_date ? in->report_date : NULL,
                            in->ordinal ? kp_db_param_i64(r->arena, in->ordinal) : NULL,
                            in->clear_ordinal ? "true" : "false"};
        rc = kp_req_call(r, "eval_set", 5, p, NULL);
        if (rc == KP_BAD_REQUEST && *in->report_date)
            rc = kp_req_fail(r, KP_BAD_REQUEST, "--report-date %s is not a date", in->report_date);
        else if (rc != KP_OK)
            rc = kp_req_db_fail(r, rc, "correcting the evaluation");
    }
    if (rc == KP_OK) rc = kp_eval_renumber(r, mid, ev.id, &moved);
    if (rc == KP_OK) rc = kp_eval_bump(r, &ev);
    /* the ordinal the change gave it */
    if (rc == KP_OK && json_object_get(after, "ordinal_given")) {
        PGresult *o;
        const char *p[1] = {eid};
        rc = kp_req_call(r, "eval_set_head", 1, p, &o);
        if (rc == KP_OK) json_object_set_new(after, "ordinal", json_integer(kp_db_i64(o, 0, 3)));
    }
    if (rc == KP_OK) {
        if (json_array_size(moved)) json_object_set(after, "renumbered", moved);
        kp_audit_event a = {.evaluation_id = ev.id,
                            .eval_version = ev.version,
                            .action = "eval.set",
                            .target =
                                kp_arena_printf(r->arena, "evaluation %lld", (long long)ev.id),
                            .before = kp_audit_json(r, json_incref(before)),
                            .after = kp_audit_json(r, json_incref(after))};
        rc = kp_audit_append(r, &a);
    }
    rc = kp_req_end_tx(r, rc, "correcting an evaluation");
    if (rc != KP_OK) return rc;

    Kompass__V1__EvalSetResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__eval_set_response__init(out);
    out->n_renumbered = json_array_size(moved);
    out->renumbered = kp_arena_alloc(r->arena, sizeof(void *) * (out->n_renumbered + 1));
    for (size_t i = 0; i < out->n_renumbered; i++) {
        json_t *m = json_array_get(moved, i);
        Kompass__V1__OrdinalChange *c = kp_arena_alloc(r->arena, sizeof *c);
        kompass__v1__ordinal_change__init(c);
        c->evaluation_id = json_integer_value(json_object_get(m, "id"));
        c->label = kp_arena_strdup(r->arena, json_string_value(json_object_get(m, "label")));
        c->old_ordinal = (int32_t)json_integer_value(json_object_get(m, "from"));
        c->new_ordinal = (int32_t)json_integer_value(json_object_get(m, "to"));
        out->renumbered[i] = c;
    }
    rc = s_summaries(r, ev.id, NULL, NULL, NULL, &res);
    if (rc != KP_OK) return rc;
    if (PQntuples(res) > 0) out->evaluation = s_summary(r, res, 0);
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_EVAL_SET;
    r->resp->eval_set = out;
    return KP_OK;
}

/* ---------------------------------------------------------------- start: draft -> scoring */

int kp_rpc_eval_start(kp_req *r)
{
    int64_t id = r->msg->eval_start->evaluation_id;
    int rc = kp_db_begin(r->db);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "starting scoring");
    kp_eval ev;
    PGresult *res;
    rc = kp_eval_begin_change(r, id, 0, &ev);
    if (rc == KP_OK && ev.state != KP_EVAL_DRAFT)
        rc = kp_req_fail(r, KP_INVALID_STATE, "evaluation %lld is in %s; scoring starts from draft",
                         (long long)id, kp_eval_state_name(ev.state));
    int evaluators = 0, leads = 0;
    if (rc == KP_OK) {
        rc = kp_eval_evaluators(r, ev.id, &res);
        if (rc == KP_OK) {
            evaluators = PQntuples(res);
            for (int i = 0; i < evaluators; i++)
                leads += strcmp(kp_eval_member_role(r, ev.id, PQgetvalue(res, i, 1)), "lead") == 0;
        } else {
            rc = kp_req_db_fail(r, rc, "reading the team");
        }
    }
    if (rc == KP_OK && (leads != 1 || evaluators < 2))
        rc = kp_req_fail(r, KP_INVALID_STATE,
                         "scoring needs a team of a lead and at least one peer; evaluation %lld "
                         "has %d lead%s and %d peer%s (kompass eval assign)",
                         (long long)id, leads, leads == 1 ? "" : "s", evaluators - leads,
                         evaluators - leads == 1 ? "" : "s");
    if (rc == KP_OK) rc = kp_eval_transition(r, &ev, KP_EVAL_SCORING, "starting scoring");
    if (rc == KP_OK) rc = kp_eval_bump(r, &ev);
    if (rc == KP_OK) {
        kp_audit_event a = {
            .evaluation_id = ev.id,
            .eval_version = ev.version,
            .action = "eval.start",
            .target = kp_arena_printf(r->arena, "evaluation %lld", (long long)id),
            .before =
                kp_audit_json(r, json_pack("{s:s}", "status", kp_eval_state_name(KP_EVAL_DRAFT))),
            .after = kp_audit_json(r, json_pack("{s:s}", "status", kp_eval_state_name(ev.state)))};
        rc = kp_audit_append(r, &a);
    }
    rc = kp_req_end_tx(r, rc, "starting scoring");
    if (rc != KP_OK) return rc;
    Kompass__V1__EvalStartResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__eval_start_response__init(out);
    out->version = ev.version;
    out->status = (char *)kp_eval_state_name(ev.state);
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_EVAL_START;
    r->resp->eval_start = out;
    return KP_OK;
}

/* ---------------------------------------------------------------- status: where it stands, what it
 * waits for */

int kp_rpc_eval_status(kp_req *r)
{
    kp_eval ev;
    int rc = kp_eval_get(r, r->msg->eval_status->evaluation_id, &ev);
    if (rc != KP_OK) return rc;
    kp_eval_progress c;
    rc = kp_eval_progress_read(r, &ev, &c);
    if (rc != KP_OK) return rc;
    Kompass__V1__EvalStatusResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__eval_status_response__init(out);
    out->status = (char *)kp_eval_state_name(ev.state);
    out->version = ev.version;
    out->evaluators = (int32_t)c.evaluators;
    out->submitted = (int32_t)c.submitted;
    out->questions = (int32_t)c.questions;
    out->resolved = (int32_t)c.resolved;
    out->areas = (int32_t)c.areas;
    out->approved_areas = (int32_t)c.approved;
    out->open_threads = c.open;
    out->n_open_threads = c.n_open;
    out->practice = ev.practice;
    rc = kp_signoff_state(r, &ev, &out->revision, &out->signatures, &out->n_signatures,
                          &out->waiting_for, &out->n_waiting_for);
    if (rc != KP_OK) return rc;

    out->blocking = kp_arena_alloc(r->arena, sizeof(char *) * 8);
#define BLOCK(...) out->blocking[out->n_blocking++] = kp_arena_printf(r->arena, __VA_ARGS__)
    kp_eval_state s = ev.state;
    if (ev.practice) {
        /* a calibration exercise ends at its trainee's submission */
        out->next = "";
        if (s == KP_EVAL_SCORING)
            BLOCK("a calibration exercise (övning): its trainee scores every question and "
                  "submits (kompass submit %lld); the scores are then compared with the signed "
                  "consensus",
                  (long long)ev.id);
        else
            BLOCK("a calibration exercise (övning), submitted: kompass calibrate result %lld",
                  (long long)ev.id);
    } else if (s == KP_EVAL_DRAFT) {
        out->next = (char *)kp_eval_state_name(KP_EVAL_SCORING);
        if (c.evaluators < 2)
            BLOCK("the team has %lld evaluator%s: assign a lead and at least one peer "
                  "(kompass eval assign)",
                  (long long)c.evaluators, c.evaluators == 1 ? "" : "s");
        else
            BLOCK("the lead (or an admin) opens scoring: kompass eval start %lld",
                  (long long)ev.id);
    } else if (s == KP_EVAL_SCORING) {
        out->next = (char *)kp_eval_state_name(KP_EVAL_CONSENSUS);
        char **waiting;
        size_t n;
        rc = kp_consensus_waiting(r, ev.id, &waiting, &n);
        if (rc != KP_OK) return rc;
        if (n)
            BLOCK("%zu of %lld evaluators have not submitted their scores: %s (kompass submit)", n,
                  (long long)c.evaluators, kp_arena_join(r->arena, waiting, n, ", ", 20));
    } else if (s == KP_EVAL_CONSENSUS || s == KP_EVAL_REOPENED) {
        out->next = (char *)kp_eval_state_name(KP_EVAL_REVIEW);
        if (c.resolved < c.questions)
            BLOCK("%lld of %lld questions have no consensus score (kompass consensus %lld "
                  "--unresolved)",
                  (long long)(c.questions - c.resolved), (long long)c.questions, (long long)ev.id);
        if (c.approved < c.areas)
            BLOCK("%lld of %lld areas' texts are not approved by someone who wrote none of them "
                  "(kompass text approve)",
                  (long long)(c.areas - c.approved), (long long)c.areas);
        if (c.n_open)
            BLOCK("%zu open thread%s: %s (resolve with kompass comment resolve %lld CODE; kompass "
                  "comment list %lld --open)",
                  c.n_open, c.n_open == 1 ? "" : "s",
                  kp_arena_join(r->arena, c.open, c.n_open, ", ", 20), (long long)ev.id,
                  (long long)ev.id);
        if (!out->n_blocking) BLOCK("any change completes the move to review");
    } else if (s == KP_EVAL_REVIEW) {
        out->next = (char *)kp_eval_state_name(KP_EVAL_SIGNED);
        const char *factcheck;
        rc = kp_factcheck_blocking(r, &ev, &factcheck);
        if (rc != KP_OK) return rc;
        if (factcheck) BLOCK("%s", factcheck);
        if (out->n_waiting_for)
            BLOCK("waiting for signatures: %s (kompass sign)",
                  kp_arena_join(r->arena, out->waiting_for, out->n_waiting_for, ", ", 20));
    } else {
        out->next = "";
    }
#undef BLOCK
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_EVAL_STATUS;
    r->resp->eval_status = out;
    return KP_OK;
}
