/*  rpc_signoff: Sign, and the sign-off state of an evaluation (who has
 *  signed, who must; signoff.h). Afterwards, EvalReopen, EvalVerify and
 *  EvalRevision: rpc_eval_signoff.c.
 *
 *  A signature binds its signer to a hash of the evaluation's canonical
 *  content (content.h) at the moment of signing, after the password was asked
 *  again. Who must sign: every lead and peer of the team, and one SKL admin.
 *  The last of them makes the evaluation `signed` and stores that content as
 *  the revision's record (evaluation_revisions), which stays readable after an
 *  admin reopens the evaluation.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "audit_verify.h"
#include "consensus.h"
#include "content.h"
#include "factcheck.h"
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
    int rc = kp_req_call(r, "so_signatures", 3, p, &res);
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
    rc = kp_req_call(r, "so_unsigned", 2, p, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading signatures");
    size_t n = (size_t)PQntuples(res);
    *waiting = kp_arena_alloc(r->arena, sizeof(char *) * (n + 2));
    for (size_t i = 0; i < n; i++)
        (*waiting)[i] = kp_db_str(r->arena, res, (int)i, 0);
    rc = kp_req_call(r, "so_admin_signed", 2, p, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading signatures");
    if (kp_db_i64(res, 0, 0) == 0) (*waiting)[n++] = "an SKL admin";
    *nwaiting = n;
    return KP_OK;
}

/* ---------------------------------------------------------------- Sign */

/* Whether r's user may sign revision of ev: a lead or peer of its team, or
 * an admin when no other admin has signed it; not twice. KP_OK with the
 * signer's printed name, organisation and capacity (lead, peer, admin), or
 * r is failed. */
static int s_sign_may(kp_req *r, const kp_eval *ev, int revision, const char **name,
                      const char **org, const char **capacity)
{
    PGresult *res;
    const char *p[2] = {kp_db_param_i64(r->arena, ev->id), kp_db_param_i64(r->arena, r->user_id)};
    int rc = kp_req_call(r, "so_signer", 2, p, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading your name");
    *name = kp_db_str(r->arena, res, 0, 0);
    *org = kp_db_str(r->arena, res, 0, 1);
    const char *role = PQgetvalue(res, 0, 2);
    if (!strcmp(role, "lead") || !strcmp(role, "peer"))
        *capacity = kp_db_str(r->arena, res, 0, 2);
    else if (kp_is_admin(r))
        *capacity = "admin";
    if (!**capacity)
        return kp_req_fail(r, KP_DENIED,
                           "evaluation %lld is signed by its lead and peers and one SKL "
                           "admin; %s is none of them",
                           (long long)ev->id, r->login);
    const char *q[3] = {kp_db_param_i64(r->arena, ev->id), kp_db_param_i64(r->arena, revision),
                        kp_db_param_i64(r->arena, r->user_id)};
    rc = kp_req_call(r, "so_mine", 3, q, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading signatures");
    if (PQntuples(res))
        rc = kp_req_fail(r, KP_CONFLICT, "you have already signed revision %d (%s)", revision,
                         PQgetvalue(res, 0, 0));
    if (rc != KP_OK || strcmp(*capacity, "admin") != 0) return rc;
    /* One SKL admin signs a revision, not two (issue 16 point 8). */
    rc = kp_req_call(r, "so_admin_signer", 3, q, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading signatures");
    if (PQntuples(res))
        rc = kp_req_fail(r, KP_CONFLICT,
                         "revision %d of evaluation %lld is already signed as admin by %s "
                         "(%s); it takes one admin's signature",
                         revision, (long long)ev->id, PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1));
    return rc;
}

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
    if (rc == KP_OK && ev.state != KP_EVAL_REVIEW)
        rc = kp_req_fail(r, KP_INVALID_STATE,
                         "an evaluation is signed in review (every question has a consensus "
                         "score, every area's texts are approved); evaluation %lld is in %s: "
                         "see kompass eval status %lld",
                         (long long)ev.id, kp_eval_state_name(ev.state), (long long)ev.id);
    /* nobody signs while the municipality's factual review is open or a
     * remark of it is unanswered */
    if (rc == KP_OK) rc = kp_factcheck_sign_check(r, &ev);
    int revision = rc == KP_OK ? ev.revision : 1;
    const char *name = "", *org = "", *capacity = "";
    if (rc == KP_OK) rc = s_sign_may(r, &ev, revision, &name, &org, &capacity);
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
        rc = kp_req_call(r, "so_insert", 9, p, &res);
        if (rc != KP_OK) {
            rc = kp_req_db_fail(r, rc, "signing");
        } else {
            sig->signed_at_us = kp_db_i64(res, 0, 0);
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
    json_t *after = kp_req_json(r, json_pack("{s:s,s:s,s:s,s:i,s:s}", "printed_name", name,
                                             "capacity", capacity, "meaning", in->meaning,
                                             "revision", revision, "content_hash", hash));
    if (rc == KP_OK && out->n_waiting_for == 0) {
        /* The last signature: the evaluation is signed, its content kept. */
        const char *p[5] = {kp_db_param_i64(r->arena, ev.id), kp_db_param_i64(r->arena, revision),
                            content, hash, kp_db_param_i64(r->arena, ev.version)};
        rc = kp_req_call(r, "so_revision_put", 5, p, NULL);
        if (rc != KP_OK) rc = kp_req_db_fail(r, rc, "recording the signed revision");
        if (rc == KP_OK) rc = kp_eval_transition(r, &ev, KP_EVAL_SIGNED, "signing the evaluation");
        if (rc == KP_OK)
            json_object_set_new(after, "status", json_string(kp_eval_state_name(ev.state)));
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
    rc = kp_req_end_tx(r, rc, "signing");
    if (rc != KP_OK) return rc;
    out->version = ev.version;
    out->status = (char *)kp_eval_state_name(ev.state);
    out->signature = sig;
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_SIGN;
    r->resp->sign = out;
    return KP_OK;
}
