/*  rpc_text: the areas' texts and the section locks that guard them:
 *  TextShow, TextLock, TextSave, and LockList and LockBreak (the locks share
 *  their statements and checks with the texts they guard).
 *
 *  Per area: a summary, a list of strengths, a list of improvement
 *  opportunities. Editing a section takes its lock, a lease (default 5 min)
 *  renewed while the editor is open: (evaluation, area, section) held by one
 *  user, identified by a token. A save needs the lock (token) and the version
 *  its writer last saw; an expired lease is free for anyone; a lead or admin
 *  may break another's lock with a reason, and the holder's next save is
 *  refused with LOCKED.
 *
 *  Locks are coordination, not content: taking, renewing and releasing one is
 *  neither versioned nor audited (it would flood the trail); breaking one is
 *  both, since it undoes another user's protection.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "consensus.h"
#include "evaluation.h"
#include "rpc.h"
#include "util.h"

#define DEFAULT_LEASE 300
#define MAX_LEASE     3600

const kp_stmt kp_text_stmts[] = {
    {"text_list",
     "SELECT a.number, a.title, s.section, t.content::text, coalesce(t.version, 0),"
     " coalesce(w.login, ''), coalesce((extract(epoch FROM t.written_at) * 1000000)::bigint, 0)"
     " FROM framework_areas a"
     " CROSS JOIN (VALUES (1, 'summary'), (2, 'strengths'), (3, 'improvements')) s(n, section)"
     " LEFT JOIN area_texts t ON t.evaluation_id = $1 AND t.area_number = a.number"
     "  AND t.section = s.section"
     " LEFT JOIN users w ON w.id = t.written_by"
     " WHERE a.framework_id = $2 AND ($3::int = 0 OR a.number = $3)"
     " AND ($4::text IS NULL OR s.section = $4)"
     " ORDER BY a.number, s.n"},
    {"text_put",
     "INSERT INTO area_texts (evaluation_id, area_number, section, content, version, written_by)"
     " VALUES ($1, $2, $3, $4::jsonb, $5, $6) ON CONFLICT (evaluation_id, area_number, section)"
     " DO UPDATE SET content = EXCLUDED.content, version = EXCLUDED.version,"
     " written_by = EXCLUDED.written_by, written_at = now()"},
    {"lock_get",
     "SELECT l.holder_id, u.login, u.full_name, l.token,"
     " (extract(epoch FROM l.acquired_at) * 1000000)::bigint,"
     " (extract(epoch FROM l.expires_at) * 1000000)::bigint, l.expires_at <= now()"
     " FROM section_locks l JOIN users u ON u.id = l.holder_id"
     " WHERE l.evaluation_id = $1 AND l.area_number = $2 AND l.section = $3 FOR UPDATE OF l"},
    {"lock_put", "INSERT INTO section_locks (evaluation_id, area_number, section, holder_id, token,"
                 " expires_at) VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6))"
                 " ON CONFLICT (evaluation_id, area_number, section) DO UPDATE SET"
                 " holder_id = EXCLUDED.holder_id, token = EXCLUDED.token, acquired_at = now(),"
                 " expires_at = EXCLUDED.expires_at"
                 " RETURNING (extract(epoch FROM acquired_at) * 1000000)::bigint,"
                 " (extract(epoch FROM expires_at) * 1000000)::bigint"},
    {"lock_renew", "UPDATE section_locks SET expires_at = now() + make_interval(secs => $5)"
                   " WHERE evaluation_id = $1 AND area_number = $2 AND section = $3 AND token = $4"
                   " RETURNING (extract(epoch FROM acquired_at) * 1000000)::bigint,"
                   " (extract(epoch FROM expires_at) * 1000000)::bigint"},
    {"lock_delete",
     "DELETE FROM section_locks WHERE evaluation_id = $1 AND area_number = $2 AND section = $3"},
    {"lock_list",
     "SELECT l.area_number, l.section, u.login, u.full_name,"
     " (extract(epoch FROM l.acquired_at) * 1000000)::bigint,"
     " (extract(epoch FROM l.expires_at) * 1000000)::bigint"
     " FROM section_locks l JOIN users u ON u.id = l.holder_id"
     " WHERE l.evaluation_id = $1 AND l.expires_at > now() ORDER BY l.area_number, l.section"},
    {"area_exists", "SELECT title FROM framework_areas WHERE framework_id = $1 AND number = $2"},
    {NULL, NULL},
};

static int s_section_ok(kp_req *r, const char *section)
{
    if (strcmp(section, "summary") && strcmp(section, "strengths") &&
        strcmp(section, "improvements"))
        return kp_req_fail(r, KP_BAD_REQUEST,
                           "section must be summary, strengths or improvements, not '%s'", section);
    return KP_OK;
}

static int s_area_ok(kp_req *r, const kp_eval *ev, int area)
{
    PGresult *res;
    const char *p[2] = {kp_db_param_i64(r->arena, ev->framework_id),
                        kp_db_param_i64(r->arena, area)};
    int rc = kp_req_call(r, "area_exists", 2, p, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading the framework");
    int ok = PQntuples(res) > 0;
    if (!ok)
        return kp_req_fail(r, KP_NOT_FOUND, "framework %s has no area %d", ev->framework, area);
    return KP_OK;
}

/* Fills a LockInfo. */
static Kompass__V1__LockInfo *s_lock(kp_req *r, int area, const char *section, const char *holder,
                                     const char *name, int64_t acquired, int64_t expires)
{
    Kompass__V1__LockInfo *l = kp_arena_alloc(r->arena, sizeof *l);
    kompass__v1__lock_info__init(l);
    l->area = area;
    l->section = (char *)section;
    l->holder = (char *)holder;
    l->holder_name = (char *)name;
    l->acquired_at_us = acquired;
    l->expires_at_us = expires;
    return l;
}

/* Rows of text_list into AreaText messages (content JSON parsed). */
int kp_text_rows(kp_req *r, int64_t eval_id, int64_t framework_id, int area, const char *section,
                 Kompass__V1__AreaText ***out, size_t *n)
{
    PGresult *res;
    const char *p[4] = {kp_db_param_i64(r->arena, eval_id), kp_db_param_i64(r->arena, framework_id),
                        kp_db_param_i64(r->arena, area), section};
    int rc = kp_req_call(r, "text_list", 4, p, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading texts");
    *n = (size_t)PQntuples(res);
    *out = kp_arena_alloc(r->arena, sizeof(void *) * (*n + 1));
    for (size_t i = 0; i < *n; i++) {
        int row = (int)i;
        Kompass__V1__AreaText *t = kp_arena_alloc(r->arena, sizeof *t);
        kompass__v1__area_text__init(t);
        t->area = (int32_t)kp_db_i64(res, row, 0);
        t->title = kp_db_str(r->arena, res, row, 1);
        t->section = kp_db_str(r->arena, res, row, 2);
        t->version = kp_db_i64(res, row, 4);
        t->written_by = kp_db_str(r->arena, res, row, 5);
        t->written_at_us = kp_db_i64(res, row, 6);
        if (!PQgetisnull(res, row, 3)) {
            json_t *c = json_loads(PQgetvalue(res, row, 3), JSON_DECODE_ANY, NULL);
            if (json_is_string(c)) {
                t->summary = kp_arena_strdup(r->arena, json_string_value(c));
            } else if (json_is_array(c)) {
                t->n_items = json_array_size(c);
                t->items = kp_arena_alloc(r->arena, sizeof(char *) * (t->n_items + 1));
                for (size_t k = 0; k < t->n_items; k++)
                    t->items[k] =
                        kp_arena_strdup(r->arena, json_string_value(json_array_get(c, k)));
            }
            json_decref(c);
        }
        (*out)[i] = t;
    }
    return KP_OK;
}

int kp_rpc_text_show(kp_req *r)
{
    const Kompass__V1__TextShowRequest *in = r->msg->text_show;
    kp_eval ev;
    int rc = kp_eval_get(r, in->evaluation_id, &ev);
    if (rc != KP_OK) return rc;
    if (in->area && (rc = s_area_ok(r, &ev, in->area)) != KP_OK) return rc;
    Kompass__V1__TextShowResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__text_show_response__init(out);
    out->version = ev.version;
    rc = kp_text_rows(r, ev.id, ev.framework_id, in->area, NULL, &out->texts, &out->n_texts);
    if (rc != KP_OK) return rc;
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_TEXT_SHOW;
    r->resp->text_show = out;
    return KP_OK;
}

typedef struct {
    int held; /* a row exists */
    int64_t holder_id;
    const char *holder, *name, *token;
    int64_t acquired, expires;
    int expired;
} lock_row;

static int s_lock_get(kp_req *r, int64_t eval_id, int area, const char *section, lock_row *l)
{
    memset(l, 0, sizeof *l);
    PGresult *res;
    const char *p[3] = {kp_db_param_i64(r->arena, eval_id), kp_db_param_i64(r->arena, area),
                        section};
    int rc = kp_req_call(r, "lock_get", 3, p, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading a lock");
    if (PQntuples(res) > 0) {
        l->held = 1;
        l->holder_id = kp_db_i64(res, 0, 0);
        l->holder = kp_db_str(r->arena, res, 0, 1);
        l->name = kp_db_str(r->arena, res, 0, 2);
        l->token = kp_db_str(r->arena, res, 0, 3);
        l->acquired = kp_db_i64(res, 0, 4);
        l->expires = kp_db_i64(res, 0, 5);
        l->expired = kp_db_bool(res, 0, 6);
    }
    return KP_OK;
}

static const char *s_until(kp_req *r, int64_t us)
{
    int64_t left = (us - kp_now_us()) / 1000000;
    if (left < 0) left = 0;
    return kp_arena_printf(r->arena, "%lld min %lld s", (long long)(left / 60),
                           (long long)(left % 60));
}

int kp_rpc_text_lock(kp_req *r)
{
    const Kompass__V1__TextLockRequest *in = r->msg->text_lock;
    int rc = s_section_ok(r, in->section);
    if (rc != KP_OK) return rc;
    int lease = in->lease_seconds ? in->lease_seconds : DEFAULT_LEASE;
    if (lease < 5 || lease > MAX_LEASE)
        return kp_req_fail(r, KP_BAD_REQUEST, "a lease is 5 to %d seconds, not %d", MAX_LEASE,
                           lease);
    int op = (int)in->op;
    if (op != KOMPASS__V1__TEXT_LOCK_REQUEST__OP__ACQUIRE &&
        op != KOMPASS__V1__TEXT_LOCK_REQUEST__OP__RENEW &&
        op != KOMPASS__V1__TEXT_LOCK_REQUEST__OP__RELEASE)
        return kp_req_fail(r, KP_BAD_REQUEST,
                           "text_lock.op is ACQUIRE (0), RENEW (1) or RELEASE (2), not %d", op);
    if (op != KOMPASS__V1__TEXT_LOCK_REQUEST__OP__ACQUIRE && !*in->token)
        return kp_req_fail(r, KP_BAD_REQUEST, "renewing or releasing a lock needs its token");

    rc = kp_db_begin(r->db);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "taking a lock");
    kp_eval ev;
    lock_row l = {0};
    rc = kp_eval_get(r, in->evaluation_id, &ev);
    if (rc == KP_OK && ev.state == KP_EVAL_SIGNED)
        rc = kp_req_fail(r, KP_INVALID_STATE, "evaluation %lld is signed; its texts cannot change",
                         (long long)ev.id);
    if (rc == KP_OK) rc = s_area_ok(r, &ev, in->area);
    if (rc == KP_OK) rc = s_lock_get(r, ev.id, in->area, in->section, &l);
    Kompass__V1__TextLockResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__text_lock_response__init(out);
    const char *what = kp_arena_printf(r->arena, "area %d %s", in->area, in->section);
    int mine = l.held && strcmp(l.token, in->token) == 0;
    PGresult *res;
    const char *lease_s = kp_db_param_i64(r->arena, lease);
    const char *pk[3] = {kp_db_param_i64(r->arena, ev.id), kp_db_param_i64(r->arena, in->area),
                         in->section};

    if (rc == KP_OK && op == KOMPASS__V1__TEXT_LOCK_REQUEST__OP__RELEASE) {
        if (mine) {
            rc = kp_req_call(r, "lock_delete", 3, pk, NULL);
            if (rc != KP_OK) rc = kp_req_db_fail(r, rc, "releasing a lock");
        } /* releasing a lock you no longer hold is a no-op */
        rc = kp_req_end_tx(r, rc, "releasing a lock");
        if (rc != KP_OK) return rc;
        r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_TEXT_LOCK;
        r->resp->text_lock = out;
        return KP_OK;
    }
    if (rc == KP_OK && op == KOMPASS__V1__TEXT_LOCK_REQUEST__OP__RENEW && !mine) {
        if (l.held && !l.expired) {
            out->lock = s_lock(r, in->area, in->section, l.holder, l.name, l.acquired, l.expires);
            rc = kp_req_fail(r, KP_LOCKED, "%s is now locked by %s for %s; your lock is gone", what,
                             l.holder, s_until(r, l.expires));
        } else {
            rc = kp_req_fail(r, KP_LOCKED,
                             "your lock on %s was lost (broken, or expired and "
                             "taken); take it again",
                             what);
        }
    }
    if (rc == KP_OK && op == KOMPASS__V1__TEXT_LOCK_REQUEST__OP__RENEW) {
        const char *p[5] = {pk[0], pk[1], pk[2], in->token, lease_s};
        rc = kp_req_call(r, "lock_renew", 5, p, &res);
        if (rc == KP_OK) {
            out->token = (char *)in->token;
            out->lock = s_lock(r, in->area, in->section, r->login, r->full_name,
                               kp_db_i64(res, 0, 0), kp_db_i64(res, 0, 1));
        } else {
            rc = kp_req_db_fail(r, rc, "renewing a lock");
        }
    }
    if (rc == KP_OK && op == KOMPASS__V1__TEXT_LOCK_REQUEST__OP__ACQUIRE) {
        if (l.held && !l.expired && l.holder_id != r->user_id) {
            out->lock = s_lock(r, in->area, in->section, l.holder, l.name, l.acquired, l.expires);
            rc = kp_req_fail(r, KP_LOCKED,
                             "%s is being edited by %s (%s) for %s more; try again later, or a "
                             "lead may break the lock",
                             what, l.name, l.holder, s_until(r, l.expires));
        } else {
            unsigned char raw[24];
            char token[49];
            randombytes_buf(raw, sizeof raw);
            kp_hex(raw, sizeof raw, token);
            const char *p[6] = {pk[0], pk[1],  pk[2], kp_db_param_i64(r->arena, r->user_id),
                                token, lease_s};
            rc = kp_req_call(r, "lock_put", 6, p, &res);
            if (rc == KP_OK) {
                out->token = kp_arena_strdup(r->arena, token);
                out->lock = s_lock(r, in->area, in->section, r->login, r->full_name,
                                   kp_db_i64(res, 0, 0), kp_db_i64(res, 0, 1));
            } else {
                rc = kp_req_db_fail(r, rc, "taking a lock");
            }
        }
    }
    rc = kp_req_end_tx(r, rc, "taking a lock");
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_TEXT_LOCK;
    r->resp->text_lock = out;
    return rc;
}

int kp_rpc_text_save(kp_req *r)
{
    const Kompass__V1__TextSaveRequest *in = r->msg->text_save;
    int rc = s_section_ok(r, in->section);
    if (rc != KP_OK) return rc;
    int summary = strcmp(in->section, "summary") == 0;
    if (summary && in->n_items)
        return kp_req_fail(r, KP_BAD_REQUEST, "a summary is one text, not a list of items");
    if (!summary && *in->summary)
        return kp_req_fail(r, KP_BAD_REQUEST, "%s is a list of items, not one text", in->section);
    if (strlen(in->summary) > 50000)
        return kp_req_fail(r, KP_BAD_REQUEST, "the summary is longer than 50000 characters");
    if (in->n_items > 200) return kp_req_fail(r, KP_BAD_REQUEST, "at most 200 items");
    for (size_t i = 0; i < in->n_items; i++) {
        if (!*in->items[i]) return kp_req_fail(r, KP_BAD_REQUEST, "item %zu is empty", i + 1);
        if (strlen(in->items[i]) > 2000)
            return kp_req_fail(r, KP_BAD_REQUEST, "item %zu is longer than 2000 characters", i + 1);
    }
    if (!*in->lock_token)
        return kp_req_fail(r, KP_BAD_REQUEST,
                           "saving a text needs its section lock (kompass text edit takes it)");

    json_t *content;
    if (summary) {
        content = json_string(in->summary);
    } else {
        content = json_array();
        for (size_t i = 0; i < in->n_items; i++)
            json_array_append_new(content, json_string(in->items[i]));
    }
    char *ctext = json_dumps(content, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(content);
    const char *after = kp_arena_strdup(r->arena, ctext);
    free(ctext);

    rc = kp_db_begin(r->db);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "saving a text");
    kp_eval ev;
    lock_row l = {0};
    rc = kp_eval_begin_change(r, in->evaluation_id, 0, &ev);
    if (rc == KP_OK) rc = s_area_ok(r, &ev, in->area);
    if (rc == KP_OK) rc = s_lock_get(r, ev.id, in->area, in->section, &l);
    const char *what = kp_arena_printf(r->arena, "area %d %s", in->area, in->section);
    if (rc == KP_OK && (!l.held || strcmp(l.token, in->lock_token) != 0)) {
        if (l.held && !l.expired)
            rc = kp_req_fail(r, KP_LOCKED,
                             "you no longer hold the lock on %s: %s (%s) holds it now; nothing "
                             "was saved",
                             what, l.name, l.holder);
        else
            rc = kp_req_fail(r, KP_LOCKED,
                             "you no longer hold the lock on %s (it was broken or expired); "
                             "nothing was saved",
                             what);
    }
    Kompass__V1__TextSaveResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__text_save_response__init(out);
    Kompass__V1__AreaText **cur = NULL;
    size_t ncur = 0;
    if (rc == KP_OK)
        rc = kp_text_rows(r, ev.id, ev.framework_id, in->area, in->section, &cur, &ncur);
    if (rc == KP_OK && ncur == 1 && cur[0]->version != in->expected_version) {
        out->text = cur[0];
        out->version = ev.version;
        rc = cur[0]->version
                 ? kp_req_fail(r, KP_CONFLICT,
                               "%s changed since you read it (version %lld by %s); nothing was "
                               "saved",
                               what, (long long)cur[0]->version, cur[0]->written_by)
                 : kp_req_fail(r, KP_CONFLICT,
                               "%s has never been saved (you sent version %lld: send 0); "
                               "nothing was saved",
                               what, (long long)in->expected_version);
    }
    const char *before = NULL;
    if (rc == KP_OK && cur[0]->version) {
        json_t *b;
        if (summary) {
            b = json_string(cur[0]->summary);
        } else {
            b = json_array();
            for (size_t i = 0; i < cur[0]->n_items; i++)
                json_array_append_new(b, json_string(cur[0]->items[i]));
        }
        before = kp_audit_json(r, b);
    }
    if (rc == KP_OK) rc = kp_eval_bump(r, &ev);
    if (rc == KP_OK) {
        const char *p[6] = {kp_db_param_i64(r->arena, ev.id),
                            kp_db_param_i64(r->arena, in->area),
                            in->section,
                            after,
                            kp_db_param_i64(r->arena, ev.version),
                            kp_db_param_i64(r->arena, r->user_id)};
        rc = kp_req_call(r, "text_put", 6, p, NULL);
        if (rc != KP_OK) rc = kp_req_db_fail(r, rc, "saving a text");
    }
    if (rc == KP_OK && in->release) {
        const char *p[3] = {kp_db_param_i64(r->arena, ev.id), kp_db_param_i64(r->arena, in->area),
                            in->section};
        rc = kp_req_call(r, "lock_delete", 3, p, NULL);
        if (rc != KP_OK) rc = kp_req_db_fail(r, rc, "releasing a lock");
    }
    /* An edit withdraws the area's approval and the signatures given so far. */
    json_t *effects = kp_req_json(r, json_object());
    if (rc == KP_OK) rc = kp_consensus_withdraw_approval(r, &ev, in->area, effects);
    if (rc == KP_OK) {
        kp_audit_event a = {.evaluation_id = ev.id,
                            .eval_version = ev.version,
                            .action = "text.save",
                            .target = kp_arena_printf(r->arena, "text of %s", what),
                            .before = before,
                            .after = after,
                            /* after is the text itself (watch reads it so): an
                             * offline save says so in its reason */
                            .reason = kp_offline_reason(r, in->offline)};
        rc = kp_audit_append(r, &a);
    }
    /* ... and says so in an event of its own (text.save's after is the text) */
    if (rc == KP_OK && json_object_size(effects)) {
        kp_audit_event a = {.evaluation_id = ev.id,
                            .eval_version = ev.version,
                            .action = "text.approval_withdrawn",
                            .target = kp_arena_printf(r->arena, "texts of area %d", in->area),
                            .after = kp_audit_json(r, json_incref(effects)),
                            .reason = "the area's texts were edited"};
        rc = kp_audit_append(r, &a);
    }
    if (rc == KP_OK)
        rc = kp_text_rows(r, ev.id, ev.framework_id, in->area, in->section, &cur, &ncur);
    rc = kp_req_end_tx(r, rc, "saving a text");
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_TEXT_SAVE;
    r->resp->text_save = out;
    if (rc != KP_OK) return rc;
    out->version = ev.version;
    out->text = cur[0];
    return KP_OK;
}

int kp_text_locks(kp_req *r, int64_t eval_id, Kompass__V1__LockInfo ***out, size_t *n)
{
    PGresult *res;
    const char *p[1] = {kp_db_param_i64(r->arena, eval_id)};
    int rc = kp_req_call(r, "lock_list", 1, p, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading locks");
    *n = (size_t)PQntuples(res);
    *out = kp_arena_alloc(r->arena, sizeof(void *) * (*n + 1));
    for (size_t i = 0; i < *n; i++) {
        int row = (int)i;
        (*out)[i] = s_lock(r, (int)kp_db_i64(res, row, 0), kp_db_str(r->arena, res, row, 1),
                           kp_db_str(r->arena, res, row, 2), kp_db_str(r->arena, res, row, 3),
                           kp_db_i64(res, row, 4), kp_db_i64(res, row, 5));
    }
    return KP_OK;
}

int kp_rpc_lock_list(kp_req *r)
{
    kp_eval ev;
    int rc = kp_eval_get(r, r->msg->lock_list->evaluation_id, &ev);
    if (rc != KP_OK) return rc;
    Kompass__V1__LockListResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__lock_list_response__init(out);
    rc = kp_text_locks(r, ev.id, &out->locks, &out->n_locks);
    if (rc != KP_OK) return rc;
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_LOCK_LIST;
    r->resp->lock_list = out;
    return KP_OK;
}

int kp_rpc_lock_break(kp_req *r)
{
    const Kompass__V1__LockBreakRequest *in = r->msg->lock_break;
    int rc = s_section_ok(r, in->section);
    if (rc != KP_OK) return rc;
    if (!*in->reason)
        return kp_req_fail(r, KP_BAD_REQUEST, "breaking another's lock needs --reason");
    rc = kp_db_begin(r->db);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "breaking a lock");
    kp_eval ev;
    lock_row l = {0};
    rc = kp_eval_begin_change(r, in->evaluation_id, 0, &ev);
    if (rc == KP_OK) rc = s_area_ok(r, &ev, in->area);
    if (rc == KP_OK) rc = s_lock_get(r, ev.id, in->area, in->section, &l);
    const char *what = kp_arena_printf(r->arena, "area %d %s", in->area, in->section);
    if (rc == KP_OK && (!l.held || l.expired))
        rc = kp_req_fail(r, KP_NOT_FOUND, "nobody holds the lock on %s", what);
    if (rc == KP_OK) {
        const char *p[3] = {kp_db_param_i64(r->arena, ev.id), kp_db_param_i64(r->arena, in->area),
                            in->section};
        rc = kp_req_call(r, "lock_delete", 3, p, NULL);
        if (rc != KP_OK) rc = kp_req_db_fail(r, rc, "breaking a lock");
    }
    if (rc == KP_OK) rc = kp_eval_bump(r, &ev);
    if (rc == KP_OK) {
        kp_audit_event a = {
            .evaluation_id = ev.id,
            .eval_version = ev.version,
            .action = "lock.break",
            .target = kp_arena_printf(r->arena, "lock on %s held by %s", what, l.holder),
            .before = kp_audit_json(r, json_pack("{s:s,s:I}", "holder", l.holder, "expires_at_us",
                                                 (json_int_t)l.expires)),
            .reason = in->reason,
            .reason_required = 1};
        rc = kp_audit_append(r, &a);
    }
    rc = kp_req_end_tx(r, rc, "breaking a lock");
    if (rc != KP_OK) return rc;
    Kompass__V1__LockBreakResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__lock_break_response__init(out);
    out->version = ev.version;
    out->broken = s_lock(r, in->area, in->section, l.holder, l.name, l.acquired, l.expires);
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_LOCK_BREAK;
    r->resp->lock_break = out;
    return KP_OK;
}
