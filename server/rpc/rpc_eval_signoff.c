/*  rpc_eval_signoff: EvalReopen, EvalVerify, EvalRevision: a signed
 *  evaluation afterwards (signing itself: rpc_signoff.c).
 *
 *  An admin reopens a signed evaluation: its revision's signatures are
 *  cancelled, the revision record stays readable, the evaluation moves to
 *  `reopened` with the next revision. Verify recomputes every hash from what
 *  is stored, compares it with the signatures and with what the audit chain
 *  recorded when it was signed, and, for a signed evaluation, rebuilds the
 *  content from the live tables: a change made behind Kompass's back shows.
 *  Revision shows one revision's stored record.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include "audit.h"
#include "audit_verify.h"
#include "consensus.h"
#include "content.h"
#include "password.h"
#include "rpc.h"
#include "signoff.h"
#include "util.h"

#define US(col) "(extract(epoch FROM " col ") * 1000000)::bigint"

const kp_stmt kp_eval_signoff_stmts[] = {
    {"so_reopen_revision",
     "UPDATE evaluation_revisions SET reopened_at = now(), reopened_by = $3, reopen_reason = $4"
     " WHERE evaluation_id = $1 AND revision = $2 AND reopened_at IS NULL"},
    {"so_reopen_cancel", "UPDATE signatures SET cancelled_at = now(), cancelled_by = $3,"
                         " cancel_reason = $4 WHERE evaluation_id = $1 AND revision = $2"
                         " AND cancelled_at IS NULL"},
    {"so_revisions",
     "SELECT v.revision, v.content, v.content_hash, v.eval_version, " US(
         "v.signed_at") ","
                        " coalesce(" US(
                            "v.reopened_at") ", 0), coalesce(u.login, ''),"
                                             " coalesce(v.reopen_reason, '')"
                                             " FROM evaluation_revisions v LEFT JOIN users u ON "
                                             "u.id = v.reopened_by"
                                             " WHERE v.evaluation_id = $1 AND ($2::int IS NULL OR "
                                             "v.revision = $2) ORDER BY v.revision"},
    /* the completing signature's event, or an import's (revision 1) */
    {"so_signed_events", "SELECT after, action FROM audit_events WHERE evaluation_id = $1"
                         " AND action IN ('eval.sign', 'eval.import') ORDER BY seq"},
    {NULL, NULL},
};

/* ---------------------------------------------------------------- EvalReopen */

int kp_rpc_eval_reopen(kp_req *r)
{
    const Kompass__V1__EvalReopenRequest *in = r->msg->eval_reopen;
    if (strlen(in->reason) > 2000)
        return kp_req_fail(r, KP_BAD_REQUEST, "the reason is longer than 2000 bytes");
    int rc = kp_db_begin(r->db);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reopening");
    kp_eval ev;
    PGresult *res;
    rc = kp_eval_begin_change(r, in->evaluation_id, 1, &ev);
    int revision = rc == KP_OK ? ev.revision : 1;
    const char *source = rc == KP_OK ? ev.source : "";
    if (rc == KP_OK && ev.state != KP_EVAL_SIGNED)
        rc = kp_req_fail(r, KP_INVALID_STATE,
                         "only a signed evaluation is reopened; evaluation %lld is in %s",
                         (long long)ev.id, kp_eval_state_name(ev.state));
    if (rc == KP_OK && *source)
        rc = kp_req_fail(r, KP_INVALID_STATE,
                         "evaluation %lld is a published record imported from %s; it is kept as "
                         "published, not reopened",
                         (long long)ev.id, source);
    int cancelled = 0, fresh = revision + 1;
    if (rc == KP_OK) rc = kp_eval_bump(r, &ev);
    if (rc == KP_OK) {
        const char *p[4] = {kp_db_param_i64(r->arena, ev.id), kp_db_param_i64(r->arena, revision),
                            kp_db_param_i64(r->arena, r->user_id),
                            kp_arena_printf(r->arena, "reopened: %s", in->reason)};
        rc = kp_req_call(r, "so_reopen_cancel", 4, p, &res);
        if (rc == KP_OK) {
            cancelled = atoi(PQcmdTuples(res));
            p[3] = in->reason;
            rc = kp_req_call(r, "so_reopen_revision", 4, p, NULL);
        }
        if (rc != KP_OK) rc = kp_req_db_fail(r, rc, "reopening");
    }
    /* the next revision */
    if (rc == KP_OK) rc = kp_eval_transition(r, &ev, KP_EVAL_REOPENED, "reopening");
    if (rc == KP_OK) fresh = ev.revision;
    if (rc == KP_OK) {
        kp_audit_event e = {
            .evaluation_id = ev.id,
            .eval_version = ev.version,
            .action = "eval.reopen",
            .target = kp_arena_printf(r->arena, "evaluation %lld", (long long)ev.id),
            .before = kp_audit_json(r, json_pack("{s:s,s:i}", "status",
                                                 kp_eval_state_name(KP_EVAL_SIGNED), "revision",
                                                 revision)),
            .after =
                kp_audit_json(r, json_pack("{s:s,s:i,s:i}", "status", kp_eval_state_name(ev.state),
                                           "revision", fresh, "signatures_cancelled", cancelled)),
            .reason = in->reason,
            .reason_required = 1};
        rc = kp_audit_append(r, &e);
    }
    rc = kp_req_end_tx(r, rc, "reopening");
    if (rc != KP_OK) return rc;
    Kompass__V1__EvalReopenResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__eval_reopen_response__init(out);
    out->version = ev.version;
    out->revision = fresh;
    out->signatures_cancelled = cancelled;
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_EVAL_REOPEN;
    r->resp->eval_reopen = out;
    return KP_OK;
}

/* ---------------------------------------------------------------- EvalVerify */

/* Where two contents differ, in words (at most a few places). */
static void s_differences(kp_req *r, const char *signed_text, const char *live_text,
                          Kompass__V1__RevisionCheck *c)
{
    json_t *a = kp_req_json(r, json_loads(signed_text, 0, NULL));
    json_t *b = kp_req_json(r, json_loads(live_text, 0, NULL));
    const char *key;
    json_t *va;
    static const char *const parts[] = {"scores", "texts", "framework", "evaluation"};
    for (size_t i = 0; a && b && i < 4; i++) {
        json_t *pa = json_object_get(a, parts[i]), *pb = json_object_get(b, parts[i]);
        json_object_foreach(pa, key, va)
        {
            if (c->n_problems >= 8) break;
            if (!json_equal(va, json_object_get(pb, key)))
                c->problems[c->n_problems++] =
                    kp_arena_printf(r->arena, "%s %s differs from what was signed", parts[i], key);
        }
    }
    if (c->n_problems == 0)
        c->problems[c->n_problems++] = "the content rebuilt from the tables differs from what "
                                       "was signed";
}

int kp_rpc_eval_verify(kp_req *r)
{
    kp_eval ev;
    int rc = kp_eval_get(r, r->msg->eval_verify->evaluation_id, &ev);
    if (rc != KP_OK) return rc;
    int current = ev.revision;
    const char *source = ev.source;
    Kompass__V1__EvalVerifyResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__eval_verify_response__init(out);
    out->ok = 1;

    /* What the audit chain recorded at each evaluation's completing signature. */
    PGresult *res;
    const char *p[2] = {kp_db_param_i64(r->arena, ev.id), NULL};
    rc = kp_req_call(r, "so_signed_events", 1, p, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading the audit trail");
    int nev = PQntuples(res);
    json_t **events = kp_arena_alloc(r->arena, sizeof(json_t *) * ((size_t)nev + 1));
    for (int i = 0; i < nev; i++) {
        events[i] = json_loads(PQgetvalue(res, i, 0), 0, NULL);
        if (events[i] && !strcmp(PQgetvalue(res, i, 1), "eval.import"))
            json_object_set_new(events[i], "revision", json_integer(1));
    }

    rc = kp_req_call(r, "so_revisions", 2, p, &res);
    if (rc != KP_OK) {
        for (int i = 0; i < nev; i++)
            json_decref(events[i]);
        return kp_req_db_fail(r, rc, "reading signed revisions");
    }
    out->n_revisions = (size_t)PQntuples(res);
    out->revisions = kp_arena_alloc(r->arena, sizeof(void *) * (out->n_revisions + 1));
    for (size_t i = 0; rc == KP_OK && i < out->n_revisions; i++) {
        int k = (int)i;
        Kompass__V1__RevisionCheck *c = kp_arena_alloc(r->arena, sizeof *c);
        kompass__v1__revision_check__init(c);
        out->revisions[i] = c;
        c->problems = kp_arena_alloc(r->arena, sizeof(char *) * 16);
        c->revision = (int32_t)kp_db_i64(res, k, 0);
        const char *content = PQgetvalue(res, k, 1);
        c->content_hash = kp_db_str(r->arena, res, k, 2);
        char h[65];
        kp_content_hash(content, h);
        c->content_ok = strcmp(h, c->content_hash) == 0;
        if (!c->content_ok)
            c->problems[c->n_problems++] =
                kp_arena_printf(r->arena,
                                "the stored content hashes to %.12s..., not to the "
                                "recorded %.12s...",
                                h, c->content_hash);
        /* the signatures given to this revision's final content */
        rc = kp_signatures_read(r, ev.id, c->revision, 1, &c->signatures, &c->n_signatures);
        if (rc != KP_OK) break;
        int64_t signed_at = kp_db_i64(res, k, 4);
        int counted = 0;
        c->signatures_ok = 1;
        for (size_t j = 0; j < c->n_signatures; j++) {
            const Kompass__V1__Signature *s = c->signatures[j];
            if (s->cancelled_at_us && s->cancelled_at_us <= signed_at) continue; /* before */
            counted++;
            if (strcmp(s->content_hash, c->content_hash) != 0) {
                c->signatures_ok = 0;
                if (c->n_problems < 12)
                    c->problems[c->n_problems++] =
                        kp_arena_printf(r->arena, "%s signed %.12s..., not this revision's hash",
                                        s->login, s->content_hash);
            }
        }
        /* An imported evaluation is signed as published: no signatures here. */
        if (!counted && !*source) {
            c->signatures_ok = 0;
            c->problems[c->n_problems++] = "no signature was given to this revision";
        }
        for (int e = 0; e < nev; e++) {
            json_t *ev_after = events[e];
            if (!ev_after) continue;
            if (json_integer_value(json_object_get(ev_after, "revision")) == c->revision &&
                json_object_get(ev_after, "status") &&
                !strcmp(json_string_value(json_object_get(ev_after, "content_hash")) ?: "",
                        c->content_hash))
                c->audit_ok = 1;
        }
        if (!c->audit_ok)
            c->problems[c->n_problems++] =
                "the audit trail holds no completing signature of this revision with this hash";
        if (c->revision == current && ev.state == KP_EVAL_SIGNED) {
            const char *live;
            char lh[65];
            rc = kp_content_build(r, ev.id, &live, lh);
            if (rc != KP_OK) break;
            c->live_checked = 1;
            c->live_ok = strcmp(lh, c->content_hash) == 0;
            if (!c->live_ok) s_differences(r, content, live, c);
        }
        if (!c->content_ok || !c->signatures_ok || !c->audit_ok || (c->live_checked && !c->live_ok))
            out->ok = 0;
    }
    for (int i = 0; i < nev; i++)
        json_decref(events[i]);
    if (rc != KP_OK) return rc;
    if (ev.state == KP_EVAL_SIGNED && out->n_revisions == 0) out->ok = 0;

    kp_audit_chain_report chain;
    rc = kp_audit_verify_chain(r->db, r->arena, ev.id, &chain);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "verifying the audit chain");
    out->chain_ok = chain.ok;
    out->chain_events = chain.events;
    out->chain_problem = (char *)(chain.ok ? "" : chain.problem);
    if (!chain.ok) out->ok = 0;
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_EVAL_VERIFY;
    r->resp->eval_verify = out;
    return KP_OK;
}

/* ---------------------------------------------------------------- EvalRevision */

int kp_rpc_eval_revision(kp_req *r)
{
    const Kompass__V1__EvalRevisionRequest *in = r->msg->eval_revision;
    if (in->revision < 1) return kp_req_fail(r, KP_BAD_REQUEST, "a revision is 1 or more");
    kp_eval ev;
    int rc = kp_eval_get(r, in->evaluation_id, &ev);
    if (rc != KP_OK) return rc;
    PGresult *res;
    const char *p[2] = {kp_db_param_i64(r->arena, ev.id), kp_db_param_i64(r->arena, in->revision)};
    rc = kp_req_call(r, "so_revisions", 2, p, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading signed revisions");
    if (PQntuples(res) == 0) {
        return kp_req_fail(r, KP_NOT_FOUND, "evaluation %lld has no signed revision %d",
                           (long long)ev.id, in->revision);
    }
    Kompass__V1__EvalRevisionResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__eval_revision_response__init(out);
    out->revision = in->revision;
    out->content = kp_db_str(r->arena, res, 0, 1);
    out->content_hash = kp_db_str(r->arena, res, 0, 2);
    out->signed_at_us = kp_db_i64(res, 0, 4);
    out->reopened_at_us = kp_db_i64(res, 0, 5);
    out->reopened_by = kp_db_str(r->arena, res, 0, 6);
    out->reopen_reason = kp_db_str(r->arena, res, 0, 7);
    rc = kp_signatures_read(r, ev.id, in->revision, 1, &out->signatures, &out->n_signatures);
    if (rc != KP_OK) return rc;
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_EVAL_REVISION;
    r->resp->eval_revision = out;
    return KP_OK;
}
