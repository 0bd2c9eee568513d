/*  rpc_framework: framework versions and municipalities.
 *
 *  FrameworkImport checks the whole file first (framework.c) and writes it in
 *  one transaction through framework_load() (sql/004_frameworks.sql);
 *  FrameworkList and FrameworkShow read the tree. MunicipalityAdd and
 *  MunicipalityList keep the register of municipalities.
 */
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "db.h"
#include "framework.h"
#include "municipality.h"
#include "rpc.h"

const kp_stmt kp_framework_stmts[] = {
    {"framework_exists", "SELECT 1 FROM frameworks WHERE code = $1"},
    {"framework_load", "SELECT framework_load($1::jsonb, $2::bigint)"},
    {"framework_summaries",
     "SELECT f.code, f.name, f.year,"
     " (SELECT count(*) FROM framework_areas a WHERE a.framework_id = f.id),"
     " (SELECT count(*) FROM framework_questions q WHERE q.framework_id = f.id),"
     " (f.total_max * 100)::bigint,"
     " (SELECT count(*) FROM evaluations e WHERE e.framework_id = f.id AND NOT e.practice),"
     " f.note"
     " FROM frameworks f WHERE $1::text IS NULL OR f.code = $1"
     " ORDER BY f.year, f.code"},
    {"framework_tree", "SELECT a.number, a.title, array_to_json(a.headings)::text, a.general_text,"
                       " (a.max * 100)::bigint, q.code, q.text, (q.max * 100)::bigint"
                       " FROM frameworks f JOIN framework_areas a ON a.framework_id = f.id"
                       " JOIN framework_questions q ON q.area_id = a.id"
                       " WHERE f.code = $1 ORDER BY a.number, q.position"},
    {"municipality_add",
     "INSERT INTO municipalities (name, kind, county, org_number, municipality_group)"
     " VALUES ($1, $2, $3, $4, nullif($5, '')) RETURNING id"},
    {"municipality_list",
     "SELECT m.id, m.name, m.kind, m.county, m.org_number,"
     " (SELECT count(*) FROM evaluations e WHERE e.municipality_id = m.id AND NOT e.practice),"
     " coalesce(m.municipality_group, '')"
     " FROM municipalities m WHERE $1::bigint IS NULL OR m.id = $1 ORDER BY lower(m.name)"},
    {NULL, NULL},
};

/* Fills summaries for code (NULL: all). */
static int s_summaries(kp_req *r, const char *code, Kompass__V1__FrameworkSummary ***out, size_t *n,
                       char **note)
{
    PGresult *res;
    const char *p[1] = {code};
    int rc = kp_db_call(r->db, "framework_summaries", 1, p, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading frameworks");
    *n = (size_t)PQntuples(res);
    *out = kp_arena_alloc(r->arena, sizeof **out * (*n + 1));
    for (size_t i = 0; i < *n; i++) {
        Kompass__V1__FrameworkSummary *f = kp_arena_alloc(r->arena, sizeof *f);
        kompass__v1__framework_summary__init(f);
        int row = (int)i;
        f->code = kp_db_str(r->arena, res, row, 0);
        f->name = kp_db_str(r->arena, res, row, 1);
        f->year = (int32_t)kp_db_i64(res, row, 2);
        f->areas = (int32_t)kp_db_i64(res, row, 3);
        f->questions = (int32_t)kp_db_i64(res, row, 4);
        f->total_max_centi = kp_db_i64(res, row, 5);
        f->evaluations = (int32_t)kp_db_i64(res, row, 6);
        if (note) *note = kp_db_str(r->arena, res, row, 7);
        (*out)[i] = f;
    }
    PQclear(res);
    return KP_OK;
}

int kp_rpc_framework_import(kp_req *r)
{
    const char *text = r->msg->framework_import->json;
    char *problems;
    json_t *doc;
    int n = kp_framework_check(r->arena, text, &problems, &doc);
    if (n > 0) {
        json_decref(doc);
        return kp_req_fail(r, KP_BAD_REQUEST, "the framework file has %d problem%s:\n%s", n,
                           n == 1 ? "" : "s", problems);
    }
    const char *code = kp_arena_strdup(
        r->arena, json_string_value(json_object_get(json_object_get(doc, "framework"), "code")));
    /* The checked document, re-serialised: what is stored is what was checked. */
    char *canonical = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    const char *json = kp_arena_strdup(r->arena, canonical);
    free(canonical);

    int rc = kp_db_begin(r->db);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "importing a framework");
    PGresult *res;
    const char *p1[1] = {code};
    rc = kp_db_call(r->db, "framework_exists", 1, p1, &res);
    if (rc == KP_OK) {
        int exists = PQntuples(res) > 0;
        PQclear(res);
        if (exists) {
            kp_db_rollback(r->db);
            return kp_req_fail(r, KP_CONFLICT,
                               "framework %s already exists; a new version needs a new code", code);
        }
        const char *p2[2] = {json, r->user_id ? kp_db_param_i64(r->arena, r->user_id) : NULL};
        rc = kp_db_call(r->db, "framework_load", 2, p2, NULL);
    }
    if (rc == KP_OK) {
        kp_audit_event ev = {.action = "framework.import",
                             .target = kp_arena_printf(r->arena, "framework %s", code),
                             .after = json};
        rc = kp_audit_append(r, &ev);
    }
    if (rc == KP_OK) rc = kp_db_commit(r->db);
    if (rc != KP_OK) {
        kp_db_rollback(r->db);
        return r->resp->status ? rc : kp_req_db_fail(r, rc, "importing a framework");
    }

    Kompass__V1__FrameworkSummary **list;
    size_t count;
    rc = s_summaries(r, code, &list, &count, NULL);
    if (rc != KP_OK) return rc;
    Kompass__V1__FrameworkImportResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__framework_import_response__init(out);
    out->framework = count ? list[0] : NULL;
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_FRAMEWORK_IMPORT;
    r->resp->framework_import = out;
    return KP_OK;
}

int kp_rpc_framework_list(kp_req *r)
{
    Kompass__V1__FrameworkListResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__framework_list_response__init(out);
    int rc = s_summaries(r, NULL, &out->frameworks, &out->n_frameworks, NULL);
    if (rc != KP_OK) return rc;
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_FRAMEWORK_LIST;
    r->resp->framework_list = out;
    return KP_OK;
}

int kp_rpc_framework_show(kp_req *r)
{
    const char *code = r->msg->framework_show->code;
    Kompass__V1__FrameworkShowResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__framework_show_response__init(out);
    Kompass__V1__FrameworkSummary **list;
    size_t count;
    char *note = "";
    int rc = s_summaries(r, code, &list, &count, &note);
    if (rc != KP_OK) return rc;
    if (count == 0)
        return kp_req_fail(r, KP_NOT_FOUND, "no framework %s (see kompass framework list)", code);
    out->framework = list[0];
    out->note = note;

    PGresult *res;
    const char *p[1] = {code};
    rc = kp_db_call(r->db, "framework_tree", 1, p, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading a framework");
    int rows = PQntuples(res);
    out->areas = kp_arena_alloc(r->arena, sizeof *out->areas * (size_t)(list[0]->areas + 1));
    Kompass__V1__Area *area = NULL;
    for (int i = 0; i < rows; i++) {
        int number = (int)kp_db_i64(res, i, 0);
        if (!area || area->number != number) {
            area = kp_arena_alloc(r->arena, sizeof *area);
            kompass__v1__area__init(area);
            area->number = number;
            area->title = kp_db_str(r->arena, res, i, 1);
            json_t *h = json_loads(PQgetvalue(res, i, 2), 0, NULL);
            area->n_headings = json_array_size(h);
            area->headings = kp_arena_alloc(r->arena, sizeof(char *) * (area->n_headings + 1));
            for (size_t k = 0; k < area->n_headings; k++)
                area->headings[k] =
                    kp_arena_strdup(r->arena, json_string_value(json_array_get(h, k)));
            json_decref(h);
            area->general_text = kp_db_str(r->arena, res, i, 3);
            area->max_centi = kp_db_i64(res, i, 4);
            area->questions = kp_arena_alloc(r->arena, sizeof *area->questions * (size_t)rows);
            out->areas[out->n_areas++] = area;
        }
        Kompass__V1__Question *q = kp_arena_alloc(r->arena, sizeof *q);
        kompass__v1__question__init(q);
        q->code = kp_db_str(r->arena, res, i, 5);
        q->text = kp_db_str(r->arena, res, i, 6);
        q->max_centi = kp_db_i64(res, i, 7);
        area->questions[area->n_questions++] = q;
    }
    PQclear(res);
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_FRAMEWORK_SHOW;
    r->resp->framework_show = out;
    return KP_OK;
}

/* ---------------------------------------------------------------- municipalities */

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
        const char *p[5] = {in->name, kind, in->county, in->org_number, in->group};
        rc = kp_db_call(r->db, "municipality_add", 5, p, &res);
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
        if (*in->group) json_object_set_new(after, "group", json_string(in->group));
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
