/*  rpc_followup: FollowupList and FollowupSet (followup.h).
 *
 *  A status is versioned like a text: FollowupSet sends the version it last
 *  read (0: never set), and a save over a newer one is refused with CONFLICT
 *  and the item as it is now. A change bumps the evaluation's version, is
 *  audited (followup.set), is refused once the evaluation is signed, and,
 *  like a text edit, withdraws the area's approval and the signatures given
 *  so far (the signed content covers the follow-up).
 */
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "consensus.h"
#include "evaluation.h"
#include "followup.h"
#include "rpc.h"
#include "util.h"

#define MAX_NOTE 2000

const kp_stmt kp_followup_stmts[] = {
    /* the round evaluation $1 follows up: the previous one, but for a
     * signed evaluation the one its signed content names (none when that
     * content has no follow-up: signed before Kompass had follow-ups) */
    {"followup_previous",
     "SELECT p.id, m.name || ' ' || p.label FROM evaluations e"
     " LEFT JOIN evaluation_revisions v ON e.status = 'signed' AND v.evaluation_id = e.id"
     "  AND v.revision = e.revision AND v.reopened_at IS NULL AND v.content LIKE '{%'"
     " JOIN evaluations p ON p.id = CASE WHEN v.evaluation_id IS NULL"
     "  THEN evaluation_previous(e.id) ELSE (v.content::jsonb #>> '{followup,of}')::bigint END"
     " JOIN municipalities m ON m.id = p.municipality_id"
     " WHERE e.id = $1 AND e.source IS NULL AND NOT e.practice"},
    /* evaluation $1's items from its previous round $2 */
    {"followup_items",
     "SELECT t.area_number, a.title, x.pos, x.txt, coalesce(s.status, ''), coalesce(s.note, ''),"
     " coalesce(s.version, 0), coalesce(u.login, ''),"
     " coalesce((extract(epoch FROM s.written_at) * 1000000)::bigint, 0)"
     " FROM evaluations p JOIN area_texts t ON t.evaluation_id = p.id"
     "  AND t.section = 'improvements'"
     " CROSS JOIN LATERAL jsonb_array_elements_text(t.content) WITH ORDINALITY AS x(txt, pos)"
     " JOIN framework_areas a ON a.framework_id = p.framework_id AND a.number = t.area_number"
     " LEFT JOIN followup_statuses s ON s.evaluation_id = $1 AND s.source_id = p.id"
     "  AND s.area_number = t.area_number AND s.item_text = x.txt"
     " LEFT JOIN users u ON u.id = s.written_by"
     " WHERE p.id = $2 ORDER BY t.area_number, x.pos"},
    {"followup_put",
     "INSERT INTO followup_statuses (evaluation_id, source_id, area_number, item_text, status,"
     " note, version, written_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
     " ON CONFLICT (evaluation_id, source_id, area_number, item_text) DO UPDATE SET"
     " status = EXCLUDED.status, note = EXCLUDED.note, version = EXCLUDED.version,"
     " written_by = EXCLUDED.written_by, written_at = now()"},
    {NULL, NULL},
};

const char *kp_followup_status_sv(const char *status)
{
    if (!status || !*status) return "ej bedömd";
    if (strcmp(status, "done") == 0) return "genomfört";
    if (strcmp(status, "started") == 0) return "påbörjat";
    if (strcmp(status, "remains") == 0) return "kvarstår";
    return status;
}

int kp_followup_read(kp_req *r, int64_t eval_id, kp_followup *out)
{
    memset(out, 0, sizeof *out);
    out->items = kp_arena_alloc(r->arena, sizeof(void *));
    PGresult *res;
    const char *p[2] = {kp_db_param_i64(r->arena, eval_id), NULL};
    int rc = kp_req_call(r, "followup_previous", 1, p, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "finding the previous round");
    if (PQntuples(res) == 0) return KP_OK;
    out->previous_id = kp_db_i64(res, 0, 0);
    out->previous_label = kp_db_str(r->arena, res, 0, 1);
    p[1] = kp_db_param_i64(r->arena, out->previous_id);
    rc = kp_req_call(r, "followup_items", 2, p, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading the follow-up");
    out->n_items = (size_t)PQntuples(res);
    out->items = kp_arena_alloc(r->arena, sizeof(void *) * (out->n_items + 1));
    for (size_t i = 0; i < out->n_items; i++) {
        int row = (int)i;
        Kompass__V1__FollowupItem *it = kp_arena_alloc(r->arena, sizeof *it);
        kompass__v1__followup_item__init(it);
        it->area = (int32_t)kp_db_i64(res, row, 0);
        it->area_title = kp_db_str(r->arena, res, row, 1);
        it->item =
            kp_arena_printf(r->arena, "%d.%lld", it->area, (long long)kp_db_i64(res, row, 2));
        it->text = kp_db_str(r->arena, res, row, 3);
        it->status = kp_db_str(r->arena, res, row, 4);
        it->note = kp_db_str(r->arena, res, row, 5);
        it->version = kp_db_i64(res, row, 6);
        it->written_by = kp_db_str(r->arena, res, row, 7);
        it->written_at_us = kp_db_i64(res, row, 8);
        out->items[i] = it;
    }
    return KP_OK;
}

/* ---------------------------------------------------------------- FollowupList */

int kp_rpc_followup_list(kp_req *r)
{
    kp_eval ev;
    int rc = kp_eval_get(r, r->msg->followup_list->evaluation_id, &ev);
    if (rc != KP_OK) return rc;
    kp_followup f;
    rc = kp_followup_read(r, ev.id, &f);
    if (rc != KP_OK) return rc;
    Kompass__V1__FollowupListResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__followup_list_response__init(out);
    out->previous_id = f.previous_id;
    out->previous_label = f.previous_label ? (char *)f.previous_label : "";
    out->items = f.items;
    out->n_items = f.n_items;
    out->version = ev.version;
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_FOLLOWUP_LIST;
    r->resp->followup_list = out;
    return KP_OK;
}

/* ---------------------------------------------------------------- FollowupSet */

/* "3.2" -> area 3, position 2; 0 when it is not an item id. */
static int s_item_id(const char *s, int *area, int *pos)
{
    char *end;
    long a = strtol(s, &end, 10);
    if (end == s || *end != '.' || a < 1 || a > 99) return 0;
    const char *q = end + 1;
    long b = strtol(q, &end, 10);
    if (end == q || *end || b < 1 || b > 999) return 0;
    if (s[0] == '+' || s[0] == '-' || q[0] == '+' || q[0] == '-' || q[0] == ' ') return 0;
    *area = (int)a;
    *pos = (int)b;
    return 1;
}

static const char *s_state_json(kp_req *r, const Kompass__V1__FollowupItem *it)
{
    return kp_audit_json(r, json_pack("{s:s,s:s}", "note", it->note, "status", it->status));
}

int kp_rpc_followup_set(kp_req *r)
{
    const Kompass__V1__FollowupSetRequest *in = r->msg->followup_set;
    int area = 0, pos = 0;
    if (!s_item_id(in->item, &area, &pos))
        return kp_req_fail(r, KP_BAD_REQUEST,
                           "a follow-up item is AREA.N, like 3.2 (area 3's 2nd improvement "
                           "opportunity), not '%s'",
                           in->item);
    if (strcmp(in->status, "done") && strcmp(in->status, "started") &&
        strcmp(in->status, "remains"))
        return kp_req_fail(r, KP_BAD_REQUEST,
                           "status must be done (genomfört), started (påbörjat) or remains "
                           "(kvarstår), not '%s'",
                           in->status);
    if (strlen(in->note) > MAX_NOTE)
        return kp_req_fail(r, KP_BAD_REQUEST, "the note is longer than %d characters", MAX_NOTE);

    int rc = kp_db_begin(r->db);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "setting a follow-up status");
    kp_eval ev;
    kp_followup f = {0};
    rc = kp_eval_begin_change(r, in->evaluation_id, 0, &ev);
    if (rc == KP_OK) rc = kp_followup_read(r, ev.id, &f);
    if (rc == KP_OK && !f.previous_id)
        rc = kp_req_fail(r, KP_NOT_FOUND,
                         *ev.source ? "evaluation %lld is imported: it has no follow-up in Kompass"
                                    : "evaluation %lld has no previous round to follow up (no "
                                      "earlier signed evaluation of %s on %s)",
                         (long long)ev.id, ev.municipality, ev.framework);
    Kompass__V1__FollowupItem *cur = NULL;
    for (size_t i = 0; rc == KP_OK && i < f.n_items && !cur; i++)
        if (strcmp(f.items[i]->item, kp_arena_printf(r->arena, "%d.%d", area, pos)) == 0)
            cur = f.items[i];
    if (rc == KP_OK && !cur)
        rc = kp_req_fail(r, KP_NOT_FOUND,
                         "%s has no improvement opportunity %d.%d to follow up (kompass followup "
                         "%lld lists them)",
                         f.previous_label, area, pos, (long long)ev.id);
    Kompass__V1__FollowupSetResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__followup_set_response__init(out);
    if (rc == KP_OK && cur->version != in->expected_version) {
        out->item = cur;
        out->version = ev.version;
        rc = cur->version
                 ? kp_req_fail(r, KP_CONFLICT,
                               "follow-up item %s changed since you read it (version %lld by "
                               "%s); nothing was saved",
                               cur->item, (long long)cur->version, cur->written_by)
                 : kp_req_fail(r, KP_CONFLICT,
                               "follow-up item %s has never been set (you sent version %lld: "
                               "send 0); nothing was saved",
                               cur->item, (long long)in->expected_version);
    }
    const char *before = NULL;
    if (rc == KP_OK && cur->version) before = s_state_json(r, cur);
    if (rc == KP_OK) rc = kp_eval_bump(r, &ev);
    if (rc == KP_OK) {
        const char *p[8] = {kp_db_param_i64(r->arena, ev.id),
                            kp_db_param_i64(r->arena, f.previous_id),
                            kp_db_param_i64(r->arena, area),
                            cur->text,
                            in->status,
                            in->note,
                            kp_db_param_i64(r->arena, ev.version),
                            kp_db_param_i64(r->arena, r->user_id)};
        rc = kp_req_call(r, "followup_put", 8, p, NULL);
        if (rc != KP_OK) rc = kp_req_db_fail(r, rc, "setting a follow-up status");
    }
    /* like a text edit: the area's approval and the signatures so far go */
    json_t *effects = kp_req_json(r, json_object());
    if (rc == KP_OK) rc = kp_consensus_withdraw_approval(r, &ev, area, effects);
    if (rc == KP_OK) {
        kp_audit_event a = {
            .evaluation_id = ev.id,
            .eval_version = ev.version,
            .action = "followup.set",
            .target =
                kp_arena_printf(r->arena, "follow-up item %s of %s", cur->item, f.previous_label),
            .before = before,
            .after = kp_audit_json(r, json_pack("{s:s,s:s,s:s}", "note", in->note, "status",
                                                in->status, "text", cur->text))};
        rc = kp_audit_append(r, &a);
    }
    if (rc == KP_OK && json_object_size(effects)) {
        kp_audit_event a = {.evaluation_id = ev.id,
                            .eval_version = ev.version,
                            .action = "text.approval_withdrawn",
                            .target = kp_arena_printf(r->arena, "texts of area %d", area),
                            .after = kp_audit_json(r, json_incref(effects)),
                            .reason = "the area's follow-up was changed"};
        rc = kp_audit_append(r, &a);
    }
    if (rc == KP_OK) {
        cur->status = (char *)in->status;
        cur->note = (char *)in->note;
        cur->version = ev.version;
        cur->written_by = (char *)r->login;
        cur->written_at_us = kp_now_us();
    }
    rc = kp_req_end_tx(r, rc, "setting a follow-up status");
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_FOLLOWUP_SET;
    r->resp->followup_set = out;
    if (rc != KP_OK) return rc;
    out->item = cur;
    out->version = ev.version;
    return KP_OK;
}
