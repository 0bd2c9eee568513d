/*  rpc_offline: what the server knows of offline work (`kompass checkout`,
 *  `kompass sync`; client/offline.h).
 *
 *  An offline change reaches the server as the ordinary write it would have
 *  been (ScoreSet, TextSave, EvidenceAdd), checked exactly like a live one,
 *  with an OfflineOrigin: kp_offline_json() puts it into the audit event's
 *  `after`, so that the trail says the change was made offline, when, on
 *  which version, and which side a conflict was settled for. A conflict
 *  settled for the server's side writes nothing: OfflineDiscard records it
 *  (offline.kept_theirs), with the value given up as `before`.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "evaluation.h"
#include "rpc.h"

json_t *kp_offline_json(const Kompass__V1__OfflineOrigin *o)
{
    if (!o) return NULL;
    char at[32];
    time_t t = (time_t)(o->recorded_at_us / 1000000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", &tm);
    json_t *doc =
        json_pack("{s:s,s:I}", "recorded_at", at, "base_version", (json_int_t)o->base_version);
    if (o->kept && *o->kept) json_object_set_new(doc, "kept", json_string(o->kept));
    return doc;
}

json_t *kp_offline_after(json_t *doc, const Kompass__V1__OfflineOrigin *o)
{
    json_t *origin = kp_offline_json(o);
    if (origin && doc)
        json_object_set_new(doc, "offline", origin);
    else
        json_decref(origin);
    return doc;
}

const char *kp_offline_reason(kp_req *r, const Kompass__V1__OfflineOrigin *o)
{
    json_t *origin = kp_offline_json(o);
    if (!origin) return NULL;
    return kp_arena_printf(r->arena, "offline change %s", kp_audit_json(r, origin));
}

int kp_rpc_offline_discard(kp_req *r)
{
    const Kompass__V1__OfflineDiscardRequest *in = r->msg->offline_discard;
    if (!in->item || !*in->item || strlen(in->item) > 200)
        return kp_req_fail(r, KP_BAD_REQUEST, "item: say what was settled (1 to 200 characters)");
    json_error_t jerr;
    json_t *mine = kp_req_json(r, json_loads(in->mine ? in->mine : "", 0, &jerr));
    if (!json_is_object(mine))
        return kp_req_fail(r, KP_BAD_REQUEST, "mine: the value given up must be a JSON object");
    int rc = kp_db_begin(r->db);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "recording a settled offline change");
    kp_eval ev;
    rc = kp_eval_begin_change(r, in->evaluation_id, 0, &ev);
    if (rc == KP_OK) {
        json_t *origin = kp_offline_json(in->offline);
        json_t *before = json_pack("{s:O}", "mine", mine);
        if (origin) json_object_set_new(before, "offline", origin);
        kp_audit_event a = {.evaluation_id = ev.id,
                            .action = "offline.kept_theirs",
                            .target = in->item,
                            .before = kp_audit_json(r, before),
                            .after =
                                kp_audit_json(r, json_pack("{s:s,s:I}", "kept", "theirs", "version",
                                                           (json_int_t)in->theirs_version))};
        rc = kp_audit_append(r, &a);
    }
    rc = kp_req_end_tx(r, rc, "recording a settled offline change");
    if (rc != KP_OK) return rc;
    Kompass__V1__OfflineDiscardResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__offline_discard_response__init(out);
    out->version = ev.version;
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_OFFLINE_DISCARD;
    r->resp->offline_discard = out;
    return KP_OK;
}
