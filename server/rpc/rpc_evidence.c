/*  rpc_evidence: the evaluation's evidence log.
 *
 *  Interviews (date, who: politician, official, union or other, how many
 *  people, a note), documents (title, date, reference) and web checks (what,
 *  when, address), each optionally linked to the questions it bears on.
 *  Adding one is a change of the evaluation: versioned and audited.
 */
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "evaluation.h"
#include "rpc.h"

const kp_stmt kp_evidence_stmts[] = {
    {"evidence_add",
     "INSERT INTO evidence (evaluation_id, kind, happened_on, category, people, title, reference,"
     " note, created_by) VALUES ($1, $2, $3::date, $4, $5::int, $6, $7, $8, $9) RETURNING id"},
    {"evidence_question",
     "INSERT INTO evidence_questions (evidence_id, question_id)"
     " SELECT $1, q.id FROM framework_questions q WHERE q.framework_id = $2 AND q.code = $3"
     " RETURNING question_id"},
    {"evidence_list",
     "SELECT v.id, v.kind, coalesce(v.happened_on::text, ''), coalesce(v.category, ''),"
     " coalesce(v.people, 0), v.title, v.reference, v.note, coalesce(u.login, ''),"
     " (extract(epoch FROM v.created_at) * 1000000)::bigint,"
     " coalesce((SELECT array_to_json(array_agg(q.code ORDER BY q.id))::text"
     "           FROM evidence_questions x JOIN framework_questions q ON q.id = x.question_id"
     "           WHERE x.evidence_id = v.id), '[]')"
     " FROM evidence v LEFT JOIN users u ON u.id = v.created_by"
     " WHERE v.evaluation_id = $1 AND ($2::bigint IS NULL OR v.id = $2) ORDER BY v.id"},
    /* the entries linked to one question (the consensus meeting's picture of it) */
    {"evidence_of_question",
     "SELECT v.id, v.kind, coalesce(v.happened_on::text, ''), coalesce(v.category, ''),"
     " coalesce(v.people, 0), v.title, v.reference, v.note, coalesce(u.login, ''),"
     " (extract(epoch FROM v.created_at) * 1000000)::bigint,"
     " coalesce((SELECT array_to_json(array_agg(q.code ORDER BY q.id))::text"
     "           FROM evidence_questions x JOIN framework_questions q ON q.id = x.question_id"
     "           WHERE x.evidence_id = v.id), '[]')"
     " FROM evidence v LEFT JOIN users u ON u.id = v.created_by"
     " WHERE v.evaluation_id = $1 AND EXISTS (SELECT 1 FROM evidence_questions x"
     "  WHERE x.evidence_id = v.id AND x.question_id = $2) ORDER BY v.id"},
    /* a calibration exercise's copy of a signed evaluation's log, entry by entry */
    {"evidence_ids", "SELECT id FROM evidence WHERE evaluation_id = $1 ORDER BY id"},
    {"evidence_copy",
     "INSERT INTO evidence (evaluation_id, kind, happened_on, category, people, title, reference,"
     " note, created_by, created_at) SELECT $2, kind, happened_on, category, people, title,"
     " reference, note, created_by, created_at FROM evidence WHERE id = $1 RETURNING id"},
    {"evidence_copy_links",
     "INSERT INTO evidence_questions (evidence_id, question_id)"
     " SELECT $2, question_id FROM evidence_questions WHERE evidence_id = $1"},
    {NULL, NULL},
};

static int s_check(kp_req *r, const Kompass__V1__Evidence *e)
{
    const char *k = e->kind;
    if (strcmp(k, "interview") && strcmp(k, "document") && strcmp(k, "web"))
        return kp_req_fail(r, KP_BAD_REQUEST,
                           "evidence kind must be interview, document or web, not '%s'", k);
    if (strcmp(k, "interview") == 0) {
        if (strcmp(e->category, "politician") && strcmp(e->category, "official") &&
            strcmp(e->category, "union") && strcmp(e->category, "other"))
            return kp_req_fail(r, KP_BAD_REQUEST,
                               "an interview needs --category politician, official, union or "
                               "other%s%s%s",
                               *e->category ? " (not '" : "", e->category,
                               *e->category ? "')" : "");
        if (e->people < 1 || e->people > 1000)
            return kp_req_fail(r, KP_BAD_REQUEST,
                               "an interview needs --people, how many were interviewed (1 to "
                               "1000)");
        if (!*e->date)
            return kp_req_fail(r, KP_BAD_REQUEST, "an interview needs --date YYYY-MM-DD");
    } else {
        if (!*e->title)
            return kp_req_fail(r, KP_BAD_REQUEST, "%s",
                               strcmp(k, "document") == 0
                                   ? "a document needs --title"
                                   : "a web check needs --title saying what was checked");
        if (*e->category || e->people)
            return kp_req_fail(r, KP_BAD_REQUEST, "--category and --people are for interviews");
    }
    if (*e->date && strlen(e->date) != 10)
        return kp_req_fail(r, KP_BAD_REQUEST, "date must be YYYY-MM-DD, not '%s'", e->date);
    if (strlen(e->title) > 500 || strlen(e->reference) > 2000 || strlen(e->note) > 20000)
        return kp_req_fail(r, KP_BAD_REQUEST,
                           "too long: title at most 500, reference 2000, note 20000 characters");
    if (e->n_questions > 100) return kp_req_fail(r, KP_BAD_REQUEST, "at most 100 questions");
    return KP_OK;
}

static Kompass__V1__Evidence *s_row(kp_req *r, PGresult *res, int i)
{
    Kompass__V1__Evidence *e = kp_arena_alloc(r->arena, sizeof *e);
    kompass__v1__evidence__init(e);
    e->id = kp_db_i64(res, i, 0);
    e->kind = kp_db_str(r->arena, res, i, 1);
    e->date = kp_db_str(r->arena, res, i, 2);
    e->category = kp_db_str(r->arena, res, i, 3);
    e->people = (int32_t)kp_db_i64(res, i, 4);
    e->title = kp_db_str(r->arena, res, i, 5);
    e->reference = kp_db_str(r->arena, res, i, 6);
    e->note = kp_db_str(r->arena, res, i, 7);
    e->created_by = kp_db_str(r->arena, res, i, 8);
    e->created_at_us = kp_db_i64(res, i, 9);
    json_t *qs = json_loads(PQgetvalue(res, i, 10), 0, NULL);
    e->n_questions = json_array_size(qs);
    e->questions = kp_arena_alloc(r->arena, sizeof(char *) * (e->n_questions + 1));
    for (size_t k = 0; k < e->n_questions; k++)
        e->questions[k] = kp_arena_strdup(r->arena, json_string_value(json_array_get(qs, k)));
    json_decref(qs);
    return e;
}

static int s_list(kp_req *r, int64_t eval_id, int64_t id, PGresult **res)
{
    const char *p[2] = {kp_db_param_i64(r->arena, eval_id),
                        id ? kp_db_param_i64(r->arena, id) : NULL};
    int rc = kp_req_call(r, "evidence_list", 2, p, res);
    return rc == KP_OK ? KP_OK : kp_req_db_fail(r, rc, "reading the evidence log");
}

int kp_rpc_evidence_add(kp_req *r)
{
    const Kompass__V1__EvidenceAddRequest *in = r->msg->evidence_add;
    const Kompass__V1__Evidence *e = in->evidence;
    if (!e) return kp_req_fail(r, KP_BAD_REQUEST, "no evidence given");
    int rc = s_check(r, e);
    if (rc != KP_OK) return rc;

    rc = kp_db_begin(r->db);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "adding evidence");
    kp_eval ev;
    int64_t id = 0;
    PGresult *res;
    rc = kp_eval_begin_change(r, in->evaluation_id, 0, &ev);
    if (rc == KP_OK) {
        const char *p[9] = {kp_db_param_i64(r->arena, ev.id),
                            e->kind,
                            *e->date ? e->date : NULL,
                            *e->category ? e->category : NULL,
                            e->people ? kp_db_param_i64(r->arena, e->people) : NULL,
                            e->title,
                            e->reference,
                            e->note,
                            r->user_id ? kp_db_param_i64(r->arena, r->user_id) : NULL};
        rc = kp_req_call(r, "evidence_add", 9, p, &res);
        if (rc == KP_OK) {
            id = kp_db_i64(res, 0, 0);
        } else if (rc == KP_BAD_REQUEST) {
            rc = kp_req_fail(r, rc, "invalid evidence: %s", kp_db_error(r->db));
        } else {
            rc = kp_req_db_fail(r, rc, "adding evidence");
        }
    }
    for (size_t i = 0; rc == KP_OK && i < e->n_questions; i++) {
        const char *p[3] = {kp_db_param_i64(r->arena, id),
                            kp_db_param_i64(r->arena, ev.framework_id), e->questions[i]};
        rc = kp_req_call(r, "evidence_question", 3, p, &res);
        if (rc == KP_CONFLICT) {
            rc = kp_req_fail(r, KP_BAD_REQUEST, "question %s is given twice", e->questions[i]);
        } else if (rc == KP_OK) {
            int found = PQntuples(res) > 0;
            if (!found)
                rc = kp_req_fail(r, KP_BAD_REQUEST, "question '%s' is not in framework %s",
                                 e->questions[i], ev.framework);
        } else {
            rc = kp_req_db_fail(r, rc, "linking evidence to questions");
        }
    }
    if (rc == KP_OK) rc = kp_eval_bump(r, &ev);
    Kompass__V1__Evidence *saved = NULL;
    if (rc == KP_OK) {
        rc = s_list(r, ev.id, id, &res);
        if (rc == KP_OK) saved = s_row(r, res, 0);
    }
    if (rc == KP_OK) {
        json_t *q = json_array();
        for (size_t i = 0; i < saved->n_questions; i++)
            json_array_append_new(q, json_string(saved->questions[i]));
        kp_audit_event a = {
            .evaluation_id = ev.id,
            .eval_version = ev.version,
            .action = "evidence.add",
            .target = kp_arena_printf(r->arena, "evidence %lld (%s)", (long long)id, saved->kind),
            .after = kp_audit_json(
                r, kp_offline_after(json_pack("{s:s,s:s,s:s,s:i,s:s,s:s,s:s,s:o}", "kind",
                                              saved->kind, "date", saved->date, "category",
                                              saved->category, "people", (int)saved->people,
                                              "title", saved->title, "reference", saved->reference,
                                              "note", saved->note, "questions", q),
                                    in->offline))};
        rc = kp_audit_append(r, &a);
    }
    rc = kp_req_end_tx(r, rc, "adding evidence");
    if (rc != KP_OK) return rc;
    Kompass__V1__EvidenceAddResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__evidence_add_response__init(out);
    out->evidence = saved;
    out->version = ev.version;
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_EVIDENCE_ADD;
    r->resp->evidence_add = out;
    return KP_OK;
}

int kp_rpc_evidence_list(kp_req *r)
{
    int64_t eval_id = r->msg->evidence_list->evaluation_id;
    kp_eval ev;
    int rc = kp_eval_get(r, eval_id, &ev);
    if (rc != KP_OK) return rc;
    PGresult *res;
    rc = s_list(r, eval_id, 0, &res);
    if (rc != KP_OK) return rc;
    Kompass__V1__EvidenceListResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__evidence_list_response__init(out);
    out->n_evidence = (size_t)PQntuples(res);
    out->evidence = kp_arena_alloc(r->arena, sizeof(void *) * (out->n_evidence + 1));
    for (size_t i = 0; i < out->n_evidence; i++)
        out->evidence[i] = s_row(r, res, (int)i);
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_EVIDENCE_LIST;
    r->resp->evidence_list = out;
    return KP_OK;
}

int kp_evidence_of_question(kp_req *r, int64_t eval_id, int64_t question_id,
                            Kompass__V1__Evidence ***out, size_t *n)
{
    PGresult *res;
    const char *p[2] = {kp_db_param_i64(r->arena, eval_id), kp_db_param_i64(r->arena, question_id)};
    int rc = kp_req_call(r, "evidence_of_question", 2, p, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading the evidence log");
    *n = (size_t)PQntuples(res);
    *out = kp_arena_alloc(r->arena, sizeof(void *) * (*n + 1));
    for (size_t i = 0; i < *n; i++)
        (*out)[i] = s_row(r, res, (int)i);
    return KP_OK;
}

int kp_evidence_copy(kp_req *r, int64_t from, int64_t to, int *n)
{
    *n = 0;
    PGresult *ids;
    const char *p[1] = {kp_db_param_i64(r->arena, from)};
    int rc = kp_req_call(r, "evidence_ids", 1, p, &ids);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading the evidence log");
    for (int i = 0; rc == KP_OK && i < PQntuples(ids); i++) {
        PGresult *res;
        const char *q[2] = {PQgetvalue(ids, i, 0), kp_db_param_i64(r->arena, to)};
        rc = kp_req_call(r, "evidence_copy", 2, q, &res);
        if (rc != KP_OK) break;
        const char *l[2] = {q[0], kp_db_str(r->arena, res, 0, 0)};
        rc = kp_req_call(r, "evidence_copy_links", 2, l, NULL);
        if (rc == KP_OK) (*n)++;
    }
    return rc == KP_OK ? KP_OK : kp_req_db_fail(r, rc, "copying the evidence log");
}
