/*  rpc_framework: framework versions.
 *
 *  FrameworkImport checks the whole file first (framework.c) and writes it in
 *  one transaction through framework_load() (sql/004_frameworks.sql);
 *  FrameworkList and FrameworkShow read the tree. (The register of
 *  municipalities: rpc_municipality.c.)
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
    {NULL, NULL},
};

/* Fills summaries for code (NULL: all). */
static int s_summaries(kp_req *r, const char *code, Kompass__V1__FrameworkSummary ***out, size_t *n,
                       char **note)
{
    PGresult *res;
    const char *p[1] = {code};
    int rc = kp_req_call(r, "framework_summaries", 1, p, &res);
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
    return KP_OK;
}

int kp_rpc_framework_import(kp_req *r)
{
    const char *text = r->msg->framework_import->json;
    char *problems;
    json_t *doc;
    int n = kp_framework_check(r->arena, text, &problems, &doc);
    kp_req_json(r, doc);
    if (n > 0) {
        return kp_req_fail(r, KP_BAD_REQUEST, "the framework file has %d problem%s:\n%s", n,
                           n == 1 ? "" : "s", problems);
    }
    const char *code = kp_arena_strdup(
        r->arena, json_string_value(json_object_get(json_object_get(doc, "framework"), "code")));
    /* The checked document, re-serialised: what is stored is what was checked. */
    char *canonical = json_dumps(doc, JSON_COMPACT);
    const char *json = kp_arena_strdup(r->arena, canonical);
    free(canonical);

    PGresult *res;
    const char *p1[1] = {code};
    int rc = kp_db_begin(r->db);
    if (rc == KP_OK) rc = kp_req_call(r, "framework_exists", 1, p1, &res);
    if (rc == KP_OK && PQntuples(res) > 0)
        rc = kp_req_fail(r, KP_CONFLICT,
                         "framework %s already exists; a new version needs a new code", code);
    if (rc == KP_OK) {
        const char *p2[2] = {json, r->user_id ? kp_db_param_i64(r->arena, r->user_id) : NULL};
        rc = kp_req_call(r, "framework_load", 2, p2, NULL);
    }
    if (rc == KP_OK) {
        kp_audit_event ev = {.action = "framework.import",
                             .target = kp_arena_printf(r->arena, "framework %s", code),
                             .after = json};
        rc = kp_audit_append(r, &ev);
    }
    rc = kp_req_end_tx(r, rc, "importing a framework");
    if (rc != KP_OK) return rc;

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
    rc = kp_req_call(r, "framework_tree", 1, p, &res);
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
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_FRAMEWORK_SHOW;
    r->resp->framework_show = out;
    return KP_OK;
}
