/*  rpc_eval_import: the import of published evaluations.
 *
 *  EvalImport writes one published evaluation (a report's data, read by
 *  server/import.c) as signed-as-published: its framework, municipality,
 *  scores, texts and printed evaluators, and the signed revision with its
 *  content hash (server/content.c), in one transaction. Reports and history
 *  of what it wrote: rpc_report.c.
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
#include "import.h"
#include "municipality.h"
#include "rpc.h"

const kp_stmt kp_eval_import_stmts[] = {
    {"import_framework",
     "SELECT a.number, q.code, (q.max * 100)::bigint, (f.total_max * 100)::bigint, f.id"
     " FROM frameworks f JOIN framework_areas a ON a.framework_id = f.id"
     " JOIN framework_questions q ON q.area_id = a.id WHERE f.code = $1"
     " ORDER BY a.number, q.position"},
    {"import_municipality_add",
     "INSERT INTO municipalities (name, kind) VALUES ($1, $2) RETURNING id, name"},
    {"import_existing", "SELECT id, coalesce(source_sha256, ''), coalesce(source, '')"
                        " FROM evaluations WHERE municipality_id = $1 AND label = $2"},
    {"import_eval",
     "INSERT INTO evaluations (municipality_id, framework_id, label, period, ordinal, status,"
     " version, blind, created_by, source, report_date, source_sha256, ordinal_given)"
     " VALUES ($1, $2, $3, $4, coalesce($5::int, 1), 'review', 1, false, $6, $7, $8::date, $9,"
     "  $5::int) RETURNING id"},
    {"import_scores",
     "INSERT INTO consensus_scores (evaluation_id, question_id, points, method, reason, version,"
     " written_by)"
     " SELECT $1, q.id, (x->>'points')::numeric, 'imported', '', 1, NULL"
     " FROM jsonb_array_elements($2::jsonb) x"
     " JOIN framework_questions q ON q.framework_id = $3 AND q.code = x->>'code'"},
    {"import_texts",
     "INSERT INTO area_texts (evaluation_id, area_number, section, content, version, written_by)"
     " SELECT $1, (x->>'area')::int, x->>'section', x->'content', 1, $3"
     " FROM jsonb_array_elements($2::jsonb) x"},
    {"import_evaluators",
     "INSERT INTO published_evaluators (evaluation_id, position, name, organisation, title)"
     " SELECT $1, o.n, o.x->>'name', o.x->>'organisation', o.x->>'title'"
     " FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS o(x, n)"},
    {"import_revision", "INSERT INTO evaluation_revisions (evaluation_id, revision, content,"
                        " content_hash, eval_version) VALUES ($1, 1, $2, $3, 1)"},
    {NULL, NULL},
};

/* The framework named code, for the check (questions in the arena). */
static int s_import_framework(kp_req *r, const char *code, kp_import_framework *fw, int64_t *fid)
{
    memset(fw, 0, sizeof *fw);
    *fid = 0;
    if (!code) return KP_OK;
    PGresult *res;
    const char *p[1] = {code};
    int rc = kp_req_call(r, "import_framework", 1, p, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading the framework");
    fw->n = (size_t)PQntuples(res);
    fw->found = fw->n > 0;
    kp_import_question *qs = kp_arena_alloc(r->arena, sizeof *qs * (fw->n + 1));
    for (size_t i = 0; i < fw->n; i++) {
        qs[i].area = (int)kp_db_i64(res, (int)i, 0);
        qs[i].code = kp_db_str(r->arena, res, (int)i, 1);
        qs[i].max_centi = kp_db_i64(res, (int)i, 2);
        fw->total_max_centi = kp_db_i64(res, (int)i, 3);
        *fid = kp_db_i64(res, (int)i, 4);
    }
    fw->questions = qs;
    return KP_OK;
}

/* The kind a new municipality gets from its name: "Västerås stad" is a
 * stad, "Region Gotland" a region, anything else a kommun. */
static const char *s_kind(const char *name)
{
    size_t n = strlen(name);
    if (n > 5 && strcasecmp(name + n - 5, " stad") == 0) return "stad";
    if (strncasecmp(name, "region ", 7) == 0) return "region";
    return "kommun";
}

static const char *s_jtext(kp_req *r, json_t *doc)
{
    char *s = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
    const char *out = kp_arena_strdup(r->arena, s ? s : "[]");
    free(s);
    return out;
}

static const char *s_opt(json_t *doc, const char *key)
{
    const char *s = json_string_value(json_object_get(doc, key));
    return s && *s ? s : NULL;
}

/* Writes evaluation id's scores, texts and printed evaluators from plan,
 * then revision 1 (what `kompass eval verify` checks) with its content
 * hash (into hash, 65 bytes), signed-as-published. KP_OK, or the status of
 * what failed. */
static int s_import_write(kp_req *r, int64_t id, const kp_import_plan *plan, int64_t fid,
                          const char *uid, char *hash)
{
    const char *eid = kp_db_param_i64(r->arena, id);
    const char *ps[3] = {eid, s_jtext(r, plan->scores), kp_db_param_i64(r->arena, fid)};
    int rc = kp_req_call(r, "import_scores", 3, ps, NULL);
    if (rc == KP_OK) {
        const char *pt[3] = {eid, s_jtext(r, plan->texts), uid};
        rc = kp_req_call(r, "import_texts", 3, pt, NULL);
    }
    if (rc == KP_OK) {
        const char *pv[2] = {eid, s_jtext(r, plan->evaluators)};
        rc = kp_req_call(r, "import_evaluators", 2, pv, NULL);
    }
    const char *content = NULL;
    if (rc == KP_OK) rc = kp_content_build(r, id, &content, hash);
    if (rc == KP_OK) {
        const char *pr[3] = {eid, content, hash};
        rc = kp_req_call(r, "import_revision", 3, pr, NULL);
    }
    if (rc == KP_OK) {
        /* inserted in review, signed as published (lifecycle.h) */
        kp_eval ev = {.id = id, .state = KP_EVAL_REVIEW};
        rc = kp_eval_transition(r, &ev, KP_EVAL_SIGNED, "importing an evaluation");
    }
    return rc;
}

int kp_rpc_eval_import(kp_req *r)
{
    const Kompass__V1__EvalImportRequest *in = r->msg->eval_import;
    if (strlen(in->source) > 500)
        return kp_req_fail(r, KP_BAD_REQUEST, "source is longer than 500 characters");
    int rc = kp_db_begin(r->db);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "importing an evaluation");

    kp_import_framework fw;
    int64_t fid;
    rc = s_import_framework(r, kp_import_framework_code(r->arena, in->json), &fw, &fid);
    if (rc != KP_OK) {
        kp_db_rollback(r->db);
        return rc;
    }
    char *problems;
    json_t *doc;
    kp_import_plan plan;
    int n = kp_import_check(r->arena, in->json, &fw, &problems, &doc, &plan);
    if (n > 0) {
        kp_db_rollback(r->db);
        return kp_req_fail(r, KP_BAD_REQUEST, "%s has %d problem%s; nothing was imported:\n%s",
                           *in->file_name ? in->file_name : "the evaluation", n, n == 1 ? "" : "s",
                           problems);
    }
    /* the document and the plan's arrays belong to the request */
    kp_req_json(r, doc);
    kp_req_json(r, plan.scores);
    kp_req_json(r, plan.texts);
    kp_req_json(r, plan.evaluators);
    Kompass__V1__EvalImportResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__eval_import_response__init(out);
    out->municipality = kp_arena_strdup(r->arena, s_opt(doc, "municipality"));
    out->framework = kp_arena_strdup(r->arena, s_opt(doc, "framework"));
    out->label = kp_arena_strdup(r->arena, s_opt(doc, "label"));
    out->total = plan.total;
    out->total_max_centi = fw.total_max_centi;
    const char *canonical = s_jtext(r, doc);
    char sha[65];
    kp_content_hash(canonical, sha);
    const char *source = *in->source ? in->source : s_opt(doc, "source");
    if (!source)
        source = kp_arena_printf(r->arena, "published report (imported from %s)",
                                 *in->file_name ? in->file_name : "a file");
    const char *period = s_opt(doc, "conducted");
    const char *date = s_opt(doc, "report_date");
    json_t *ord = json_object_get(doc, "ordinal");
    const char *ordinal = ord ? kp_db_param_i64(r->arena, json_integer_value(ord)) : NULL;
    const char *uid = kp_db_param_i64(r->arena, r->user_id);

    PGresult *res = NULL;
    int64_t mid = 0, id = 0;
    const char *found = NULL;
    rc = kp_municipality_lock(r); /* found or added, one at a time */
    if (rc == KP_OK) rc = kp_municipality_find(r, out->municipality, 0, &mid, &found);
    if (rc == KP_OK && mid) out->municipality = (char *)found;
    if (rc == KP_OK && !mid) {
        const char *pa[2] = {out->municipality, s_kind(out->municipality)};
        rc = kp_req_call(r, "import_municipality_add", 2, pa, &res);
        if (rc == KP_OK) {
            mid = kp_db_i64(res, 0, 0);
            out->municipality_created = 1;
        }
    }
    if (rc == KP_OK) {
        const char *pe[2] = {kp_db_param_i64(r->arena, mid), out->label};
        rc = kp_req_call(r, "import_existing", 2, pe, &res);
        if (rc == KP_OK && PQntuples(res) > 0) {
            int64_t other = kp_db_i64(res, 0, 0);
            int same = strcmp(PQgetvalue(res, 0, 1), sha) == 0;
            kp_db_rollback(r->db);
            if (!same)
                return kp_req_fail(r, KP_CONFLICT,
                                   "%s already has an evaluation labelled '%s' (evaluation %lld), "
                                   "not from this document; nothing was imported",
                                   out->municipality, out->label, (long long)other);
            out->evaluation_id = other;
            out->already_present = 1;
            out->municipality_created = 0;
            r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_EVAL_IMPORT;
            r->resp->eval_import = out;
            return KP_OK;
        }
    }
    if (rc == KP_OK) {
        const char *pi[9] = {kp_db_param_i64(r->arena, mid),
                             kp_db_param_i64(r->arena, fid),
                             out->label,
                             period ? period : "",
                             ordinal,
                             uid,
                             source,
                             date,
                             sha};
        rc = kp_req_call(r, "import_eval", 9, pi, &res);
        if (rc == KP_OK) {
            id = kp_db_i64(res, 0, 0);
            out->evaluation_id = id;
        }
    }
    /* without a stated ordinal it is counted: the one before it by period + 1 */
    json_t *moved = NULL;
    if (rc == KP_OK) rc = kp_eval_renumber(r, mid, id, &moved);
    char hash[65] = "";
    if (rc == KP_OK) rc = s_import_write(r, id, &plan, fid, uid, hash);
    if (rc == KP_OK) {
        out->content_hash = kp_arena_strdup(r->arena, hash);
        json_t *after =
            json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:b,s:i,s:i,s:s}", "municipality",
                      out->municipality, "framework", out->framework, "label", out->label, "status",
                      kp_eval_state_name(KP_EVAL_SIGNED), "source", source, "source_sha256", sha,
                      "total", (json_int_t)plan.total, "municipality_created",
                      out->municipality_created, "scores", (int)json_array_size(plan.scores),
                      "texts", (int)json_array_size(plan.texts), "content_hash", hash);
        if (json_array_size(moved)) json_object_set(after, "renumbered", moved);
        kp_audit_event ev = {.action = "eval.import",
                             .evaluation_id = id,
                             .eval_version = 1,
                             .target = kp_arena_printf(r->arena, "evaluation %lld", (long long)id),
                             .after = kp_audit_json(r, after)};
        rc = kp_audit_append(r, &ev);
    }
    rc = kp_req_end_tx(r, rc, "importing an evaluation");
    if (rc != KP_OK) return rc;
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_EVAL_IMPORT;
    r->resp->eval_import = out;
    return KP_OK;
}
