/*  evaluation: what every change to an evaluation goes through. */
#include "evaluation.h"

#include <jansson.h>
#include <string.h>

const kp_stmt kp_evaluation_stmts[] = {
    {"eval_get", "SELECT e.id, e.version, e.status, m.name, f.code, f.id, e.label, e.revision,"
                 " coalesce(e.source, ''), e.practice"
                 " FROM evaluations e JOIN municipalities m ON m.id = e.municipality_id"
                 " JOIN frameworks f ON f.id = e.framework_id WHERE e.id = $1"},
    {"eval_get_for_update",
     "SELECT e.id, e.version, e.status, m.name, f.code, f.id, e.label, e.revision,"
     " coalesce(e.source, ''), e.practice"
     " FROM evaluations e JOIN municipalities m ON m.id = e.municipality_id"
     " JOIN frameworks f ON f.id = e.framework_id WHERE e.id = $1 FOR UPDATE OF e"},
    {"member_role", "SELECT x.role FROM evaluation_members x JOIN users u ON u.id = x.user_id"
                    " WHERE x.evaluation_id = $1 AND u.login = $2"},
    {"eval_bump", "UPDATE evaluations SET version = version + 1 WHERE id = $1 RETURNING version"},
    /* sql/014_cycle.sql: the counted ordinals follow the order conducted */
    {"eval_renumber", "SELECT evaluation_id, label, old_ordinal, new_ordinal"
                      " FROM evaluations_renumber($1) ORDER BY new_ordinal"},
    /* the first evaluation whose ordinal is not above the one before it */
    {"eval_ordinal_conflict",
     "SELECT label, ordinal, prev_label, prev_ordinal FROM ("
     "  SELECT id, label, ordinal, lag(label) OVER w AS prev_label,"
     "   lag(ordinal) OVER w AS prev_ordinal FROM evaluations"
     "  WHERE municipality_id = $1 AND NOT practice"
     "  WINDOW w AS (ORDER BY evaluation_order_key(period, label), id)) o"
     " WHERE ordinal <= prev_ordinal ORDER BY id = $2::bigint DESC LIMIT 1"},
    {"score_evaluators",
     "SELECT u.id, u.login FROM evaluation_members x JOIN users u ON u.id = x.user_id"
     " WHERE x.evaluation_id = $1 AND x.role IN ('lead', 'peer') ORDER BY u.login"},
    {NULL, NULL},
};

int kp_eval_evaluators(kp_req *r, int64_t eval_id, PGresult **res)
{
    const char *p[1] = {kp_db_param_i64(r->arena, eval_id)};
    return kp_req_call(r, "score_evaluators", 1, p, res);
}

int kp_is_admin(const kp_req *r)
{
    return r->role && strcmp(r->role, "admin") == 0;
}

static int s_load(kp_req *r, const char *stmt, int64_t id, kp_eval *ev)
{
    PGresult *res;
    const char *p[1] = {kp_db_param_i64(r->arena, id)};
    int rc = kp_req_call(r, stmt, 1, p, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading an evaluation");
    if (PQntuples(res) == 0)
        return kp_req_fail(r, KP_NOT_FOUND, "no evaluation %lld", (long long)id);
    ev->id = kp_db_i64(res, 0, 0);
    ev->version = kp_db_i64(res, 0, 1);
    int known = kp_eval_state_parse(PQgetvalue(res, 0, 2), &ev->state) == 0;
    ev->municipality = kp_db_str(r->arena, res, 0, 3);
    ev->framework = kp_db_str(r->arena, res, 0, 4);
    ev->framework_id = kp_db_i64(res, 0, 5);
    ev->label = kp_db_str(r->arena, res, 0, 6);
    ev->revision = (int)kp_db_i64(res, 0, 7);
    ev->source = kp_db_str(r->arena, res, 0, 8);
    ev->practice = kp_db_bool(res, 0, 9);
    if (!known) /* the schema's CHECK allows none */
        kp_req_fail(r, KP_INTERNAL, "evaluation %lld has an unknown status '%.20s'", (long long)id,
                    PQgetvalue(res, 0, 2));
    return known ? KP_OK : KP_INTERNAL;
}

const char *kp_eval_member_role(kp_req *r, int64_t eval_id, const char *login)
{
    PGresult *res;
    const char *p[2] = {kp_db_param_i64(r->arena, eval_id), login};
    if (kp_req_call(r, "member_role", 2, p, &res) != KP_OK) return "";
    const char *role = PQntuples(res) ? kp_db_str(r->arena, res, 0, 0) : "";
    return role;
}

int kp_eval_get(kp_req *r, int64_t id, kp_eval *ev)
{
    return s_load(r, "eval_get", id, ev);
}

int kp_eval_begin_change(kp_req *r, int64_t id, int allow_signed, kp_eval *ev)
{
    int rc = s_load(r, "eval_get_for_update", id, ev);
    if (rc != KP_OK) return rc;
    if (!allow_signed && ev->state == KP_EVAL_SIGNED)
        return kp_req_fail(r, KP_INVALID_STATE,
                           "evaluation %lld (%s %s) is signed and cannot change; an admin may "
                           "reopen it (kompass eval reopen)",
                           (long long)id, ev->municipality, ev->label);
    return KP_OK;
}

int kp_eval_bump(kp_req *r, kp_eval *ev)
{
    PGresult *res;
    const char *p[1] = {kp_db_param_i64(r->arena, ev->id)};
    int rc = kp_req_call(r, "eval_bump", 1, p, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "updating an evaluation's version");
    ev->version = kp_db_i64(res, 0, 0);
    return KP_OK;
}

int kp_eval_renumber(kp_req *r, int64_t municipality_id, int64_t eval_id, json_t **changes)
{
    PGresult *res;
    const char *p[2] = {kp_db_param_i64(r->arena, municipality_id),
                        kp_db_param_i64(r->arena, eval_id)};
    int rc = kp_req_call(r, "eval_renumber", 1, p, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "counting the ordinals");
    json_t *arr = kp_req_json(r, json_array());
    for (int i = 0; i < PQntuples(res); i++)
        if (kp_db_i64(res, i, 0) != eval_id)
            json_array_append_new(
                arr, json_pack("{s:I,s:s,s:I,s:I}", "id", (json_int_t)kp_db_i64(res, i, 0), "label",
                               PQgetvalue(res, i, 1), "from", (json_int_t)kp_db_i64(res, i, 2),
                               "to", (json_int_t)kp_db_i64(res, i, 3)));
    rc = kp_req_call(r, "eval_ordinal_conflict", 2, p, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "checking the ordinals");
    if (PQntuples(res) > 0)
        return kp_req_fail(r, KP_CONFLICT,
                           "ordinals must grow in the order conducted: %s would be the %s. "
                           "evaluation but comes after %s, the %s. (give another with --ordinal, "
                           "or correct a period with kompass eval set ID --period)",
                           PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2),
                           PQgetvalue(res, 0, 3));
    if (changes) *changes = arr;
    return KP_OK;
}
