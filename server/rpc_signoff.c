/*  rpc_signoff: Sign, EvalReopen, EvalVerify, EvalRevision.
 *
 *  A signature binds its signer to a hash of the evaluation's canonical
 *  content (content.h) at the moment of signing, after the password was asked
 *  again. Who must sign: every lead and peer of the team, and one SKL admin.
 *  The last of them makes the evaluation `signed` and stores that content as
 *  the revision's record (evaluation_revisions), which stays readable after an
 *  admin reopens the evaluation. Verify recomputes every hash from what is
 *  stored, compares it with the signatures and with what the audit chain
 *  recorded when it was signed, and, for a signed evaluation, rebuilds the
 *  content from the live tables: a change made behind Kompass's back shows.
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

const kp_stmt kp_signoff_stmts[] = {
    {"so_signatures",
     "SELECT u.login, s.printed_name, s.organisation, s.capacity, s.meaning, s.content_hash,"
     " " US("s.signed_at") ", s.revision, coalesce(" US(
         "s.cancelled_at") ", 0),"
                           " coalesce(s.cancel_reason, '')"
                           " FROM signatures s JOIN users u ON u.id = s.user_id"
                           " WHERE s.evaluation_id = $1 AND ($2::int IS NULL OR s.revision = $2)"
                           " AND ($3::boolean OR s.cancelled_at IS NULL) ORDER BY s.signed_at, "
                           "s.id"},
    {"so_unsigned", "SELECT u.login FROM evaluation_members x JOIN users u ON u.id = x.user_id"
                    " WHERE x.evaluation_id = $1 AND x.role IN ('lead', 'peer')"
                    " AND NOT EXISTS (SELECT 1 FROM signatures s WHERE s.evaluation_id = $1"
                    "  AND s.user_id = x.user_id AND s.revision = $2 AND s.cancelled_at IS NULL)"
                    " ORDER BY u.login"},
    {"so_admin_signed", "SELECT count(*) FROM signatures WHERE evaluation_id = $1"
                        " AND revision = $2 AND cancelled_at IS NULL AND capacity = 'admin'"},
    {"so_admin_signer",
     "SELECT u.login, s.printed_name FROM signatures s JOIN users u ON u.id = s.user_id"
     " WHERE s.evaluation_id = $1 AND s.revision = $2 AND s.cancelled_at IS NULL"
     " AND s.capacity = 'admin' AND s.user_id <> $3 ORDER BY s.signed_at LIMIT 1"},
    {"so_mine", "SELECT meaning FROM signatures WHERE evaluation_id = $1 AND revision = $2"
                " AND user_id = $3 AND cancelled_at IS NULL"},
    {"so_signer", "SELECT u.full_name, u.organisation, coalesce(x.role, '') FROM users u"
                  " LEFT JOIN evaluation_members x ON x.user_id = u.id AND x.evaluation_id = $1"
                  " WHERE u.id = $2"},
    {"so_insert",
     "INSERT INTO signatures (evaluation_id, revision, user_id, printed_name, organisation,"
     " capacity, meaning, content_hash, eval_version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
     " RETURNING " US("signed_at")},
    {"so_revision_put", "INSERT INTO evaluation_revisions (evaluation_id, revision, content,"
                        " content_hash, eval_version) VALUES ($1, $2, $3, $4, $5)"},
    {"so_reopen_revision",
     "UPDATE evaluation_revisions SET reopened_at = now(), reopened_by = $3, reopen_reason = $4"
     " WHERE evaluation_id = $1 AND revision = $2 AND reopened_at IS NULL"},
    {"so_reopen_cancel", "UPDATE signatures SET cancelled_at = now(), cancelled_by = $3,"
                         " cancel_reason = $4 WHERE evaluation_id = $1 AND revision = $2"
                         " AND cancelled_at IS NULL"},
    {"so_reopen_eval", "UPDATE evaluations SET revision = revision + 1, status = 'reopened'"
                       " WHERE id = $1 RETURNING revision"},
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

static const char *const s_meanings[] = {"authored", "reviewed", "approved"};

/* ---------------------------------------------------------------- reading */

int kp_signatures_read(kp_req *r, int64_t eval_id, int revision, int with_cancelled,
                       Kompass__V1__Signature ***out, size_t *n)
{
    PGresult *res;
    const char *p[3] = {kp_db_param_i64(r->arena, eval_id),
                        revision ? kp_db_param_i64(r->arena, revision) : NULL,
                        with_cancelled ? "true" : "false"};
    int rc = kp_db_call(r->db, "so_signatures", 3, p, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading signatures");
    *n = (size_t)PQntuples(res);
    *out = kp_arena_alloc(r->arena, sizeof(void *) * (*n + 1));
    for (size_t i = 0; i < *n; i++) {
        int k = (int)i;
        Kompass__V1__Signature *s = kp_arena_alloc(r->arena, sizeof *s);
        kompass__v1__signature__init(s);
        s->login = kp_db_str(r->arena, res, k, 0);
        s->printed_name = kp_db_str(r->arena, res, k, 1);
        s->organisation = kp_db_str(r->arena, res, k, 2);
        s->capacity = kp_db_str(r->arena, res, k, 3);
        s->meaning = kp_db_str(r->arena, res, k, 4);
        s->content_hash = kp_db_str(r->arena, res, k, 5);
        s->signed_at_us = kp_db_i64(res, k, 6);
        s->revision = (int32_t)kp_db_i64(res, k, 7);
        s->cancelled_at_us = kp_db_i64(res, k, 8);
        s->cancel_reason = kp_db_str(r->arena, res, k, 9);
        (*out)[i] = s;
    }
    PQclear(res);
    return KP_OK;
}

int kp_signoff_state(kp_req *r, const kp_eval *ev, int32_t *revision,
                     Kompass__V1__Signature ***sigs, size_t *nsigs, char ***waiting,
                     size_t *nwaiting)
{
    int rev = ev->revision;
    *revision = rev;
    int rc = kp_signatures_read(r, ev->id, rev, 0, sigs, nsigs);
    if (rc != KP_OK) return rc;
    PGresult *res;
    const char *p[2] = {kp_db_param_i64(r->arena, ev->id), kp_db_param_i64(r->arena, rev)};
    rc = kp_db_call(r->db, "so_unsigned", 2, p, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading signatures");
    size_t n = (size_t)PQntuples(res);
    *waiting = kp_arena_alloc(r->arena, sizeof(char *) * (n + 2));
    for (size_t i = 0; i < n; i++)
        (*waiting)[i] = kp_db_str(r->arena, res, (int)i, 0);
    PQclear(res);
    rc = kp_db_call(r->db, "so_admin_signed", 2, p, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading signatures");
    if (kp_db_i64(res, 0, 0) == 0) (*waiting)[n++] = "an SKL admin";
    PQclear(res);
    *nwaiting = n;
    return KP_OK;
}

/* ---------------------------------------------------------------- Sign */

int kp_rpc_sign(kp_req *r)
{
    Kompass__V1__SignRequest *in = r->msg->sign;
    int known = 0;
    for (size_t i = 0; i < sizeof s_meanings / sizeof *s_meanings; i++)
        known |= strcmp(in->meaning, s_meanings[i]) == 0;
    if (!known) {
        kp_password_wipe(in->password);
        return kp_req_fail(r, KP_BAD_REQUEST,
                           "a signature's meaning is authored, reviewed or approved (not "
                           "'%.40s')",
                           in->meaning);
    }
    /* The password again, before anything else: throttled like a login. */
    int rc = kp_check_own_password(r, in->password);
    kp_password_wipe(in->password);
    if (rc != KP_OK) return rc;

    rc = kp_db_begin(r->db);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "signing");
    kp_eval ev;
    PGresult *res;
    rc = kp_eval_begin_change(r, in->evaluation_id, 0, &ev);
    if (rc == KP_OK && strcmp(ev.status, "review") != 0)
        rc = kp_req_fail(r, KP_INVALID_STATE,
                         "an evaluation is signed in review (every question has a consensus "
                         "score, every area's texts are approved); evaluation %lld is in %s: "
                         "see kompass eval status %lld",
                         (long long)ev.id, ev.status, (long long)ev.id);
    int revision = rc == KP_OK ? ev.revision : 1;
    const char *name = "", *org = "", *capacity = "";
    if (rc == KP_OK) {
        const char *p[2] = {kp_db_param_i64(r->arena, ev.id),
                            kp_db_param_i64(r->arena, r->user_id)};
        rc = kp_db_call(r->db, "so_signer", 2, p, &res);
        if (rc != KP_OK) {
            rc = kp_req_db_fail(r, rc, "reading your name");
        } else {
            name = kp_db_str(r->arena, res, 0, 0);
            org = kp_db_str(r->arena, res, 0, 1);
            const char *role = PQgetvalue(res, 0, 2);
            if (!strcmp(role, "lead") || !strcmp(role, "peer"))
                capacity = kp_db_str(r->arena, res, 0, 2);
            else if (kp_is_admin(r))
                capacity = "admin";
            PQclear(res);
            if (!*capacity)
                rc = kp_req_fail(r, KP_DENIED,
                                 "evaluation %lld is signed by its lead and peers and one SKL "
                                 "admin; %s is none of them",
                                 (long long)ev.id, r->login);
        }
    }
    if (rc == KP_OK) {
        const char *p[3] = {kp_db_param_i64(r->arena, ev.id), kp_db_param_i64(r->arena, revision),
                            kp_db_param_i64(r->arena, r->user_id)};
        rc = kp_db_call(r->db, "so_mine", 3, p, &res);
        if (rc != KP_OK) {
            rc = kp_req_db_fail(r, rc, "reading signatures");
        } else {
            if (PQntuples(res))
                rc = kp_req_fail(r, KP_CONFLICT, "you have already signed revision %d (%s)",
                                 revision, PQgetvalue(res, 0, 0));
            PQclear(res);
        }
    }
    /* One SKL admin signs a revision, not two (issue 16 point 8). */
    if (rc == KP_OK && strcmp(capacity, "admin") == 0) {
        const char *p[3] = {kp_db_param_i64(r->arena, ev.id), kp_db_param_i64(r->arena, revision),
                            kp_db_param_i64(r->arena, r->user_id)};
        rc = kp_db_call(r->db, "so_admin_signer", 3, p, &res);
        if (rc != KP_OK) {
            rc = kp_req_db_fail(r, rc, "reading signatures");
        } else {
            if (PQntuples(res))
                rc = kp_req_fail(r, KP_CONFLICT,
                                 "revision %d of evaluation %lld is already signed as admin by %s "
                                 "(%s); it takes one admin's signature",
                                 revision, (long long)ev.id, PQgetvalue(res, 0, 0),
                                 PQgetvalue(res, 0, 1));
            PQclear(res);
        }
    }
    const char *content = NULL;
    char hash[65] = "";
    if (rc == KP_OK) rc = kp_content_build(r, ev.id, &content, hash);
    if (rc == KP_OK) rc = kp_eval_bump(r, &ev);
    Kompass__V1__Signature *sig = kp_arena_alloc(r->arena, sizeof *sig);
    kompass__v1__signature__init(sig);
    if (rc == KP_OK) {
        const char *p[9] = {kp_db_param_i64(r->arena, ev.id),
                            kp_db_param_i64(r->arena, revision),
                            kp_db_param_i64(r->arena, r->user_id),
                            name,
                            org,
                            capacity,
                            in->meaning,
                            hash,
                            kp_db_param_i64(r->arena, ev.version)};
        rc = kp_db_call(r->db, "so_insert", 9, p, &res);
        if (rc != KP_OK) {
            rc = kp_req_db_fail(r, rc, "signing");
        } else {
            sig->signed_at_us = kp_db_i64(res, 0, 0);
            PQclear(res);
        }
    }
    sig->login = (char *)r->login;
    sig->printed_name = (char *)name;
    sig->organisation = (char *)org;
    sig->capacity = (char *)capacity;
    sig->meaning = in->meaning;
    sig->content_hash = kp_arena_strdup(r->arena, hash);
    sig->revision = revision;

    Kompass__V1__SignResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__sign_response__init(out);
    int32_t rev32;
    Kompass__V1__Signature **sigs;
    size_t nsigs;
    if (rc == KP_OK)
        rc =
            kp_signoff_state(r, &ev, &rev32, &sigs, &nsigs, &out->waiting_for, &out->n_waiting_for);
    json_t *after = json_pack("{s:s,s:s,s:s,s:i,s:s}", "printed_name", name, "capacity", capacity,
                              "meaning", in->meaning, "revision", revision, "content_hash", hash);
    if (rc == KP_OK && out->n_waiting_for == 0) {
        /* The last signature: the evaluation is signed, its content kept. */
        const char *p[5] = {kp_db_param_i64(r->arena, ev.id), kp_db_param_i64(r->arena, revision),
                            content, hash, kp_db_param_i64(r->arena, ev.version)};
        rc = kp_db_call(r->db, "so_revision_put", 5, p, NULL);
        if (rc != KP_OK) rc = kp_req_db_fail(r, rc, "recording the signed revision");
        if (rc == KP_OK && (rc = kp_eval_set_status(r, ev.id, "signed")) != KP_OK)
            rc = kp_req_db_fail(r, rc, "signing the evaluation");
        if (rc == KP_OK) {
            ev.status = "signed";
            json_object_set_new(after, "status", json_string("signed"));
        }
    }
    if (rc == KP_OK) {
        kp_audit_event e = {.evaluation_id = ev.id,
                            .eval_version = ev.version,
                            .action = "eval.sign",
                            .target = kp_arena_printf(r->arena, "revision %d of evaluation %lld",
                                                      revision, (long long)ev.id),
                            .after = kp_audit_json(r, json_incref(after))};
        rc = kp_audit_append(r, &e);
    }
    json_decref(after);
    rc = kp_req_end_tx(r, rc, "signing");
    if (rc != KP_OK) return rc;
    out->version = ev.version;
    out->status = (char *)ev.status;
    out->signature = sig;
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_SIGN;
    r->resp->sign = out;
    return KP_OK;
}

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
    if (rc == KP_OK && strcmp(ev.status, "signed") != 0)
        rc = kp_req_fail(r, KP_INVALID_STATE,
                         "only a signed evaluation is reopened; evaluation %lld is in %s",
                         (long long)ev.id, ev.status);
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
        rc = kp_db_call(r->db, "so_reopen_cancel", 4, p, &res);
        if (rc == KP_OK) {
            cancelled = atoi(PQcmdTuples(res));
            PQclear(res);
            p[3] = in->reason;
            rc = kp_db_call(r->db, "so_reopen_revision", 4, p, NULL);
        }
        if (rc == KP_OK) {
            rc = kp_db_call(r->db, "so_reopen_eval", 1, p, &res);
            if (rc == KP_OK) {
                fresh = (int)kp_db_i64(res, 0, 0);
                PQclear(res);
            }
        }
        if (rc != KP_OK) rc = kp_req_db_fail(r, rc, "reopening");
    }
    if (rc == KP_OK) {
        kp_audit_event e = {
            .evaluation_id = ev.id,
            .eval_version = ev.version,
            .action = "eval.reopen",
            .target = kp_arena_printf(r->arena, "evaluation %lld", (long long)ev.id),
            .before =
                kp_audit_json(r, json_pack("{s:s,s:i}", "status", "signed", "revision", revision)),
            .after = kp_audit_json(r, json_pack("{s:s,s:i,s:i}", "status", "reopened", "revision",
                                                fresh, "signatures_cancelled", cancelled)),
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
    json_t *a = json_loads(signed_text, 0, NULL), *b = json_loads(live_text, 0, NULL);
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
    json_decref(a);
    json_decref(b);
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
    rc = kp_db_call(r->db, "so_signed_events", 1, p, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading the audit trail");
    int nev = PQntuples(res);
    json_t **events = kp_arena_alloc(r->arena, sizeof(json_t *) * ((size_t)nev + 1));
    for (int i = 0; i < nev; i++) {
        events[i] = json_loads(PQgetvalue(res, i, 0), 0, NULL);
        if (events[i] && !strcmp(PQgetvalue(res, i, 1), "eval.import"))
            json_object_set_new(events[i], "revision", json_integer(1));
    }
    PQclear(res);

    rc = kp_db_call(r->db, "so_revisions", 2, p, &res);
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
        if (c->revision == current && !strcmp(ev.status, "signed")) {
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
    PQclear(res);
    for (int i = 0; i < nev; i++)
        json_decref(events[i]);
    if (rc != KP_OK) return rc;
    if (!strcmp(ev.status, "signed") && out->n_revisions == 0) out->ok = 0;

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
    rc = kp_db_call(r->db, "so_revisions", 2, p, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading signed revisions");
    if (PQntuples(res) == 0) {
        PQclear(res);
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
    PQclear(res);
    rc = kp_signatures_read(r, ev.id, in->revision, 1, &out->signatures, &out->n_signatures);
    if (rc != KP_OK) return rc;
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_EVAL_REVISION;
    r->resp->eval_revision = out;
    return KP_OK;
}
