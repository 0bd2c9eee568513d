/*  rpc_municipality: the register of municipalities.
 *
 *  MunicipalityAdd and MunicipalityList; names that read the same are one
 *  municipality (server/municipality.h).
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
     "INSERT INTO municipalities (name, kind, county, org_number) VALUES ($1, $2, $3, $4)"
     " RETURNING id"},
    {"municipality_list",
     "SELECT m.id, m.name, m.kind, m.county, m.org_number,"
     " (SELECT count(*) FROM evaluations e WHERE e.municipality_id = m.id AND NOT e.practice)"
     " FROM municipalities m WHERE $1::bigint IS NULL OR m.id = $1 ORDER BY lower(m.name)"},
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
    if (rc == KP_OK && same) {
        kp_db_rollback(r->db);
        if (strcmp(same_name, in->name) == 0)
            return kp_req_fail(r, KP_CONFLICT, "municipality %s already exists", in->name);
        return kp_req_fail(r, KP_CONFLICT,
                           "municipality '%s' already exists as '%s' (names that read the same "
                           "are the same municipality)",
                           in->name, same_name);
    }
    if (rc == KP_OK) {
        const char *p[4] = {in->name, kind, in->county, in->org_number};
        rc = kp_db_call(r->db, "municipality_add", 4, p, &res);
        if (rc == KP_CONFLICT) {
            kp_db_rollback(r->db);
            return kp_req_fail(r, KP_CONFLICT, "municipality %s already exists", in->name);
        }
    }
    int64_t id = 0;
    if (rc == KP_OK) {
        id = kp_db_i64(res, 0, 0);
        PQclear(res);
        json_t *after = json_pack("{s:s,s:s,s:s,s:s}", "name", in->name, "kind", kind, "county",
                                  in->county, "org_number", in->org_number);
        char *a = json_dumps(after, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(after);
        kp_audit_event ev = {.action = "municipality.add",
                             .target = kp_arena_printf(r->arena, "municipality %s", in->name),
                             .after = kp_arena_strdup(r->arena, a)};
        free(a);
        rc = kp_audit_append(r, &ev);
    }
    if (rc == KP_OK) rc = kp_db_commit(r->db);
    if (rc != KP_OK) {
        kp_db_rollback(r->db);
        return r->resp->status ? rc : kp_req_db_fail(r, rc, "adding a municipality");
    }
    const char *p[1] = {kp_db_param_i64(r->arena, id)};
    rc = kp_db_call(r->db, "municipality_list", 1, p, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading a municipality");
    Kompass__V1__MunicipalityAddResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__municipality_add_response__init(out);
    out->municipality = s_municipality(r, res, 0);
    PQclear(res);
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_MUNICIPALITY_ADD;
    r->resp->municipality_add = out;
    return KP_OK;
}

int kp_rpc_municipality_list(kp_req *r)
{
    PGresult *res;
    const char *p[1] = {NULL};
    int rc = kp_db_call(r->db, "municipality_list", 1, p, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "listing municipalities");
    Kompass__V1__MunicipalityListResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__municipality_list_response__init(out);
    out->n_municipalities = (size_t)PQntuples(res);
    out->municipalities = kp_arena_alloc(r->arena, sizeof(void *) * (out->n_municipalities + 1));
    for (size_t i = 0; i < out->n_municipalities; i++)
        out->municipalities[i] = s_municipality(r, res, (int)i);
    PQclear(res);
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_MUNICIPALITY_LIST;
    r->resp->municipality_list = out;
    return KP_OK;
}
