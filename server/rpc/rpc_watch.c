/*  rpc_watch: Subscribe, live updates on the request connection.
 *
 *  Subscribe registers the caller's connection for the Updates that
 *  publisher.c pushes (to those who may see them: server/subscriptions.h).
 *  With what a live client reads, EvalSnapshot and EvalChanges
 *  (rpc_eval_watch.c), they make ZeroMQ's Clone pattern.
 */
#include <inttypes.h>
#include <jansson.h>
#include <string.h>

#include "authz.h"
#include "evaluation.h"
#include "rpc.h"
#include "subscriptions.h"

int kp_rpc_subscribe(kp_req *r)
{
    const Kompass__V1__SubscribeRequest *in = r->msg->subscribe;
    if (r->req_socket)
        return kp_req_fail(r, KP_BAD_REQUEST,
                           "subscribe needs a DEALER socket: a REQ socket cannot receive the "
                           "updates pushed on its connection");
    if (!r->subscribe || !r->client_id_len)
        return kp_req_fail(r, KP_UNAVAILABLE, "live updates are not available on this server");
    int64_t *ids;
    size_t n;
    const char *problem = kp_subs_request_problem(r->arena, in, &ids, &n);
    if (problem) return kp_req_fail(r, KP_BAD_REQUEST, "%s", problem);
    /* Each one the caller may see: admins any that exists, others those
     * whose team they are on; the same answer for both kinds of no. */
    int admin = strcmp(r->role, "admin") == 0;
    for (size_t i = 0; i < n; i++) {
        kp_relation rel;
        const char *id = kp_arena_printf(r->arena, "%" PRId64, ids[i]);
        int rc = kp_authz_relation(r, id, &rel);
        /* the municipality's contact reads no live updates (they carry
         * scores and texts as they change) */
        if (rc == KP_OK && !admin && (rel == KP_REL_NONE || rel == KP_REL_CONTACT))
            rc = KP_NOT_FOUND;
        if (rc == KP_NOT_FOUND) return kp_req_fail(r, rc, "no evaluation '%s'", id);
        if (rc != KP_OK) return kp_req_db_fail(r, rc, "checking the evaluations to subscribe to");
    }
    kp_sub_reg reg = {r->session_id, r->user_id, in->all, (int32_t)n};
    int was = 0;
    if (kp_subs_register_call(r->subscribe, r->client_id, r->client_id_len, &reg, ids, &was,
                              5000) != KP_OK)
        return kp_req_fail(r, KP_UNAVAILABLE, "live updates are busy; retry shortly");
    Kompass__V1__SubscribeResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__subscribe_response__init(out);
    out->n_evaluation_ids = n;
    out->evaluation_ids = ids;
    out->all = in->all;
    out->was_subscribed = was;
    out->instance = (char *)(r->server ? r->server->instance : "");
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_SUBSCRIBE;
    r->resp->subscribe = out;
    return KP_OK;
}
