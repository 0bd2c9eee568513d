/*  rpc_municipality: the register of municipalities.
 *
 *  MunicipalityAdd and MunicipalityList; names that read the same are one
 *  municipality (server/municipality.h). MunicipalityEdit, an admin's
 *  correction of the register (name, kind, county, kommungrupp).
 *
 *  The name is in every evaluation's signed content (server/content.c). An
 *  evaluation not signed follows the register at once; a signed one keeps
 *  the name it was signed with (content.c and the report read it from the
 *  signed revision) until it is reopened and signed again. A rename while an
 *  evaluation is being signed (in review with signatures given) would leave
 *  those signatures over another name than the next ones: refused until the
 *  signing is done. Kind, county and group are not signed content.
 */
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "db.h"
#include "municipality.h"
#include "rpc.h"

const kp_stmt kp_rpc_municipality_stmts[] = {
    {"municipality_add",
     "INSERT INTO municipalities (name, kind, county, org_number, municipality_group)"
     " VALUES ($1, $2, $3, $4, nullif($5, '')) RETURNING id"},
    {"municipality_list",
     "SELECT m.id, m.name, m.kind, m.county, m.org_number,"
     " (SELECT count(*) FROM evaluations e WHERE e.municipality_id = m.id AND NOT e.practice),"
     " coalesce(m.municipality_group, '')"
     " FROM municipalities m WHERE $1::bigint IS NULL OR m.id = $1 ORDER BY lower(m.name)"},
    {"municipality_edit_get", "SELECT name, kind, county, coalesce(municipality_group, '')"
                              " FROM municipalities WHERE id = $1 FOR UPDATE"},
    {"municipality_edit", "UPDATE municipalities SET name = $2, kind = $3, county = $4,"
                          " municipality_group = nullif($5, '') WHERE id = $1"},
    {"municipality_signing",
     "SELECT e.id, e.label FROM evaluations e WHERE e.municipality_id = $1"
     " AND e.status = 'review' AND EXISTS (SELECT 1 FROM signatures s"
     "  WHERE s.evaluation_id = e.id AND s.revision = e.revision AND s.cancelled_at IS NULL)"
     " ORDER BY e.id LIMIT 1"},
    {NULL, NULL},
};

static Kompass__V1__Municipality *s_municipality(kp_req *r, PGresult *res, int row)
{
    Kompass__V1__Municipality *m = kp_arena_alloc(r->arena, sizeof *m);
    kompass__v1__municipality__init(m);
    m->id = kp_db_i64(res, row, 0);
    m->name = kp_db_str(r->arena, res, row, 1);
    m->kind = kp_db_str(r->arena, res, row, 2);
    m->county = kp_db_str(r->arena, res, row, 3);
    m->org_number = kp_db_str(r->arena, res, row, 4);
    m->evaluations = (int32_t)kp_db_i64(res, row, 5);
    m->group = kp_db_str(r->arena, res, row, 6);
    return m;
}

int kp_rpc_municipality_add(kp_req *r)
{
    const Kompass__V1__MunicipalityAddRequest *in = r->msg->municipality_add;
    const char *kind = *in->kind ? in->kind : "kommun";
    size_t nlen = strlen(in->name);
    if (nlen == 0 || nlen > 100)
        return kp_req_fail(r, KP_BAD_REQUEST, "a municipality needs a name of 1 to 100 characters");
    if (strcmp(kind, "kommun") && strcmp(kind, "stad") && strcmp(kind, "region"))
        return kp_req_fail(r, KP_BAD_REQUEST, "kind must be kommun, stad or region, not '%s'",
                           kind);
    if (strlen(in->county) > 100)
        return kp_req_fail(r, KP_BAD_REQUEST, "county is longer than 100 characters");
    if (*in->group && !kp_municipality_group_ok(in->group))
        return kp_req_fail(r, KP_BAD_REQUEST,
                           "group must be one of SKR's kommungrupper (2017): %s; not '%s'",
                           KP_MUNICIPALITY_GROUPS, in->group);
    if (*in->org_number) {
        regex_t re;
        regcomp(&re, "^[0-9]{6}-[0-9]{4}$", REG_EXTENDED | REG_NOSUB);
        int ok = regexec(&re, in->org_number, 0, NULL, 0) == 0;
        regfree(&re);
        if (!ok)
            return kp_req_fail(r, KP_BAD_REQUEST,
                               "organisation number must look like 212000-2080, not '%s'",
                               in->org_number);
    }
    int rc = kp_db_begin(r->db);
    PGresult *res = NULL;
    /* one that reads the same is the same municipality (server/municipality.h) */
    int64_t same = 0;
    const char *same_name = NULL;
    if (rc == KP_OK) rc = kp_municipality_lock(r);
    if (rc == KP_OK) rc = kp_municipality_find(r, in->name, 0, &same, &same_name);
    if (rc == KP_OK && same && strcmp(same_name, in->name) == 0)
        rc = kp_req_fail(r, KP_CONFLICT, "municipality %s already exists", in->name);
    else if (rc == KP_OK && same)
        rc = kp_req_fail(r, KP_CONFLICT,
                         "municipality '%s' already exists as '%s' (names that read the same "
                         "are the same municipality)",
                         in->name, same_name);
    if (rc == KP_OK) {
        const char *p[5] = {in->name, kind, in->county, in->org_number, in->group};
        rc = kp_req_call(r, "municipality_add", 5, p, &res);
        if (rc == KP_CONFLICT)
            kp_req_fail(r, KP_CONFLICT, "municipality %s already exists", in->name);
    }
    int64_t id = 0;
    if (rc == KP_OK) {
        id = kp_db_i64(res, 0, 0);
        json_t *after =
            kp_req_json(r, json_pack("{s:s,s:s,s:s,s:s}", "name", in->name, "kind", kind, "county",
                                     in->county, "org_number", in->org_number));
        if (*in->group) json_object_set_new(after, "group", json_string(in->group));
        char *a = json_dumps(after, JSON_COMPACT | JSON_SORT_KEYS);
        kp_audit_event ev = {.action = "municipality.add",
                             .target = kp_arena_printf(r->arena, "municipality %s", in->name),
                             .after = kp_arena_strdup(r->arena, a)};
        free(a);
        rc = kp_audit_append(r, &ev);
    }
    rc = kp_req_end_tx(r, rc, "adding a municipality");
    if (rc != KP_OK) return rc;
    const char *p[1] = {kp_db_param_i64(r->arena, id)};
    rc = kp_req_call(r, "municipality_list", 1, p, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading a municipality");
    Kompass__V1__MunicipalityAddResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__municipality_add_response__init(out);
    out->municipality = s_municipality(r, res, 0);
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_MUNICIPALITY_ADD;
    r->resp->municipality_add = out;
    return KP_OK;
}

int kp_rpc_municipality_list(kp_req *r)
{
    PGresult *res;
    const char *p[1] = {NULL};
    int rc = kp_req_call(r, "municipality_list", 1, p, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "listing municipalities");
    Kompass__V1__MunicipalityListResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__municipality_list_response__init(out);
    out->n_municipalities = (size_t)PQntuples(res);
    out->municipalities = kp_arena_alloc(r->arena, sizeof(void *) * (out->n_municipalities + 1));
    for (size_t i = 0; i < out->n_municipalities; i++)
        out->municipalities[i] = s_municipality(r, res, (int)i);
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_MUNICIPALITY_LIST;
    r->resp->municipality_list = out;
    return KP_OK;
}

/* Municipality id as the list shows it; NULL if it cannot be read. */
static Kompass__V1__Municipality *s_municipality_read(kp_req *r, int64_t id)
{
    PGresult *res;
    const char *p[1] = {kp_db_param_i64(r->arena, id)};
    if (kp_req_call(r, "municipality_list", 1, p, &res) != KP_OK) return NULL;
    Kompass__V1__Municipality *m = PQntuples(res) == 1 ? s_municipality(r, res, 0) : NULL;
    return m;
}

/* The sentence for a bad edit, or NULL. */
static const char *s_problem(kp_req *r, const Kompass__V1__MunicipalityEditRequest *in)
{
    if (!*in->municipality) return "name the municipality to edit (its name or its id)";
    if (!*in->name && !*in->kind && !*in->county && !*in->group && !in->clear_county &&
        !in->clear_group)
        return "give what to correct: a new name, kind, county or group";
    if (strlen(in->name) > 100) return "a municipality's name is 1 to 100 characters";
    if (*in->kind && strcmp(in->kind, "kommun") && strcmp(in->kind, "stad") &&
        strcmp(in->kind, "region"))
        return kp_arena_printf(r->arena, "kind must be kommun, stad or region, not '%s'", in->kind);
    if (strlen(in->county) > 100) return "county is longer than 100 characters";
    if (*in->county && in->clear_county) return "give a county or clear it, not both";
    if (*in->group && in->clear_group) return "give a group or clear it, not both";
    if (*in->group && !kp_municipality_group_ok(in->group))
        return kp_arena_printf(r->arena,
                               "group must be one of SKR's kommungrupper (2017): %s; not '%s'",
                               KP_MUNICIPALITY_GROUPS, in->group);
    return NULL;
}

int kp_rpc_municipality_edit(kp_req *r)
{
    const Kompass__V1__MunicipalityEditRequest *in = r->msg->municipality_edit;
    const char *problem = s_problem(r, in);
    if (problem) return kp_req_fail(r, KP_BAD_REQUEST, "%s", problem);

    int rc = kp_db_begin(r->db);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "correcting a municipality");
    int64_t id = 0, same = 0;
    const char *found = NULL, *same_name = NULL;
    rc = kp_municipality_lock(r); /* renames and additions one at a time */
    if (rc == KP_OK) rc = kp_municipality_find(r, in->municipality, 1, &id, &found);
    if (rc == KP_OK && !id)
        rc = kp_req_fail(r, KP_NOT_FOUND, "no municipality '%s' (kompass municipality list)",
                         in->municipality);
    PGresult *res = NULL;
    const char *was[4] = {"", "", "", ""}, *now[4];
    if (rc == KP_OK) {
        const char *p[1] = {kp_db_param_i64(r->arena, id)};
        rc = kp_req_call(r, "municipality_edit_get", 1, p, &res);
        if (rc == KP_OK) {
            for (int i = 0; i < 4; i++)
                was[i] = kp_db_str(r->arena, res, 0, i);
        } else {
            rc = kp_req_db_fail(r, rc, "reading the municipality");
        }
    }
    now[0] = *in->name ? in->name : was[0];
    now[1] = *in->kind ? in->kind : was[1];
    now[2] = in->clear_county ? "" : *in->county ? in->county : was[2];
    now[3] = in->clear_group ? "" : *in->group ? in->group : was[3];
    int renamed = rc == KP_OK && strcmp(now[0], was[0]) != 0;
    /* another that reads the same is the same municipality (municipality.h) */
    if (renamed) rc = kp_municipality_find(r, now[0], 0, &same, &same_name);
    if (renamed && rc == KP_OK && same && same != id)
        rc = kp_req_fail(r, KP_CONFLICT,
                         "municipality '%s' already exists as '%s' (names that read the same are "
                         "the same municipality)",
                         now[0], same_name);
    if (renamed && rc == KP_OK) {
        const char *p[1] = {kp_db_param_i64(r->arena, id)};
        rc = kp_req_call(r, "municipality_signing", 1, p, &res);
        if (rc == KP_OK && PQntuples(res) > 0)
            rc = kp_req_fail(r, KP_INVALID_STATE,
                             "evaluation %s (%s %s) is being signed, and its signatures cover "
                             "the name '%s': rename once it is signed (it keeps the name it was "
                             "signed with)",
                             PQgetvalue(res, 0, 0), was[0], PQgetvalue(res, 0, 1), was[0]);
        else if (rc != KP_OK)
            rc = kp_req_db_fail(r, rc, "reading the municipality's evaluations");
    }
    int changed = 0;
    for (int i = 0; rc == KP_OK && i < 4; i++)
        changed |= strcmp(now[i], was[i]) != 0;
    if (rc == KP_OK && changed) {
        const char *p[5] = {kp_db_param_i64(r->arena, id), now[0], now[1], now[2], now[3]};
        rc = kp_req_call(r, "municipality_edit", 5, p, NULL);
        if (rc == KP_CONFLICT)
            rc = kp_req_fail(r, KP_CONFLICT, "municipality %s already exists", now[0]);
        else if (rc != KP_OK)
            rc = kp_req_db_fail(r, rc, "correcting the municipality");
    }
    if (rc == KP_OK && changed) {
        kp_audit_event ev = {
            .action = "municipality.edit",
            .target = kp_arena_printf(r->arena, "municipality %s", was[0]),
            .before = kp_audit_json(r, json_pack("{s:s,s:s,s:s,s:s}", "name", was[0], "kind",
                                                 was[1], "county", was[2], "group", was[3])),
            .after = kp_audit_json(r, json_pack("{s:s,s:s,s:s,s:s}", "name", now[0], "kind", now[1],
                                                "county", now[2], "group", now[3]))};
        rc = kp_audit_append(r, &ev);
    }
    Kompass__V1__MunicipalityEditResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__municipality_edit_response__init(out);
    if (rc == KP_OK) {
        out->municipality = s_municipality_read(r, id);
        out->changed = changed;
        if (!out->municipality) rc = kp_req_fail(r, KP_INTERNAL, "reading the municipality back");
    }
    rc = kp_req_end_tx(r, rc, "correcting a municipality");
    if (rc != KP_OK) return rc;
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_MUNICIPALITY_EDIT;
    r->resp->municipality_edit = out;
    return KP_OK;
}
