/*  content: the canonical content of an evaluation (see content.h). */
#include "content.h"

#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "followup.h"
#include "util.h"

const kp_stmt kp_content_stmts[] = {
    /* a signed evaluation keeps the municipality's name it was signed with
     * (kompass municipality edit does not rewrite signed content) */
    {"content_head",
     "SELECT e.id, e.revision,"
     " CASE WHEN e.status = 'signed' THEN coalesce((SELECT v.content::jsonb"
     "  #>> '{evaluation,municipality}' FROM evaluation_revisions v"
     "  WHERE v.evaluation_id = e.id AND v.revision = e.revision AND v.reopened_at IS NULL"
     "  AND v.content LIKE '{%'), m.name) ELSE m.name END,"
     " e.label, e.period, coalesce(e.source, ''),"
     " f.code, f.name, (f.total_max * 100)::bigint, f.id"
     " FROM evaluations e JOIN municipalities m ON m.id = e.municipality_id"
     " JOIN frameworks f ON f.id = e.framework_id WHERE e.id = $1"},
    {"content_scores", "SELECT q.code, (q.max * 100)::bigint, (c.points * 100)::bigint,"
                       " coalesce(c.version, 0)"
                       " FROM framework_questions q JOIN framework_areas a ON a.id = q.area_id"
                       " LEFT JOIN consensus_scores c"
                       "  ON c.question_id = q.id AND c.evaluation_id = $1"
                       " WHERE q.framework_id = $2 ORDER BY a.number, q.position"},
    {"content_texts", "SELECT area_number, section, content::text, version FROM area_texts"
                      " WHERE evaluation_id = $1 ORDER BY area_number, section"},
    {NULL, NULL},
};

void kp_content_hash(const char *text, char hash_hex[65])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)text, strlen(text));
    kp_hex(h, sizeof h, hash_hex);
}

/* The follow-up of the previous round (followup.h), when it has items:
 * "followup":{"of":P,"items":[{"area","item","note","status","text",
 * "version"},...]} (status null: not assessed). An evaluation without items
 * has no "followup" key, so its content is what it was before follow-ups. */
static int s_followup(kp_req *r, int64_t eval_id, json_t *doc, int64_t *last)
{
    kp_followup f;
    int rc = kp_followup_read(r, eval_id, &f);
    if (rc != KP_OK || f.n_items == 0) return rc;
    json_t *items = json_array();
    for (size_t i = 0; i < f.n_items; i++) {
        const Kompass__V1__FollowupItem *it = f.items[i];
        json_array_append_new(items,
                              json_pack("{s:i,s:s,s:s,s:o,s:s,s:I}", "area", (int)it->area, "item",
                                        it->item, "note", it->note, "status",
                                        *it->status ? json_string(it->status) : json_null(), "text",
                                        it->text, "version", (json_int_t)it->version));
        if (it->version > *last) *last = it->version;
    }
    json_object_set_new(doc, "followup",
                        json_pack("{s:I,s:o}", "of", (json_int_t)f.previous_id, "items", items));
    return KP_OK;
}

int kp_content_build(kp_req *r, int64_t eval_id, const char **content, char hash_hex[65])
{
    PGresult *res;
    const char *p[2] = {kp_db_param_i64(r->arena, eval_id), NULL};
    int rc = kp_req_call(r, "content_head", 1, p, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading the evaluation");
    if (PQntuples(res) == 0)
        return kp_req_fail(r, KP_NOT_FOUND, "no evaluation %lld", (long long)eval_id);
    json_t *doc = json_pack(
        "{s:s,s:{s:I,s:I,s:s,s:s,s:s,s:s},s:{s:s,s:s,s:I}}", "format", "kompass-content/1",
        "evaluation", "id", (json_int_t)kp_db_i64(res, 0, 0), "revision",
        (json_int_t)kp_db_i64(res, 0, 1), "municipality", PQgetvalue(res, 0, 2), "label",
        PQgetvalue(res, 0, 3), "period", PQgetvalue(res, 0, 4), "source", PQgetvalue(res, 0, 5),
        "framework", "code", PQgetvalue(res, 0, 6), "name", PQgetvalue(res, 0, 7),
        "total_max_centi", (json_int_t)kp_db_i64(res, 0, 8));
    p[1] = kp_db_param_i64(r->arena, kp_db_i64(res, 0, 9));
    if (!doc) return kp_req_fail(r, KP_INTERNAL, "building the content failed");

    int64_t last = 0;
    json_t *scores = json_object(), *texts = json_object();
    json_object_set_new(doc, "scores", scores);
    json_object_set_new(doc, "texts", texts);
    rc = kp_req_call(r, "content_scores", 2, p, &res);
    if (rc != KP_OK) {
        json_decref(doc);
        return kp_req_db_fail(r, rc, "reading consensus scores");
    }
    for (int i = 0; i < PQntuples(res); i++) {
        json_t *points =
            PQgetisnull(res, i, 2) ? json_null() : json_integer((json_int_t)kp_db_i64(res, i, 2));
        json_object_set_new(scores, PQgetvalue(res, i, 0),
                            json_pack("{s:I,s:o}", "max_centi", (json_int_t)kp_db_i64(res, i, 1),
                                      "points_centi", points));
        if (kp_db_i64(res, i, 3) > last) last = kp_db_i64(res, i, 3);
    }
    rc = kp_req_call(r, "content_texts", 1, p, &res);
    if (rc != KP_OK) {
        json_decref(doc);
        return kp_req_db_fail(r, rc, "reading area texts");
    }
    for (int i = 0; i < PQntuples(res); i++) {
        const char *area = PQgetvalue(res, i, 0);
        json_t *a = json_object_get(texts, area);
        if (!a) {
            a = json_object();
            json_object_set_new(texts, area, a);
        }
        json_t *value = json_loads(PQgetvalue(res, i, 2), JSON_DECODE_ANY, NULL);
        json_object_set_new(a, PQgetvalue(res, i, 1), value ? value : json_null());
        if (kp_db_i64(res, i, 3) > last) last = kp_db_i64(res, i, 3);
    }
    rc = s_followup(r, eval_id, doc, &last);
    if (rc != KP_OK) {
        json_decref(doc);
        return rc;
    }
    json_object_set_new(doc, "content_version", json_integer((json_int_t)last));

    char *text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(doc);
    if (!text) return kp_req_fail(r, KP_INTERNAL, "serialising the content failed");
    *content = kp_arena_strdup(r->arena, text);
    free(text);
    kp_content_hash(*content, hash_hex);
    return KP_OK;
}
