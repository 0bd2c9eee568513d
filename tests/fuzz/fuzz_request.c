/*  fuzz_request: libFuzzer over what kompassd does with a frame before it
 *  touches the database.
 *
 *  A frame from the network goes through kp_wire_decode_request (size,
 *  protobuf, UTF-8 of every string, request id, protocol version, body), then
 *  the dispatcher looks up its handler and authorisation row and reads the
 *  evaluation id the row names, and the handlers check their fields before
 *  their first statement: user_add (kp_user_add_problem), score_set
 *  (kp_score_set_problem), framework_import (kp_framework_check, a whole JSON
 *  document), subscribe (kp_subs_request_problem, then the subscription
 *  table the publisher keeps: the connection registered with the ids it
 *  asked for, wanting exactly those, and unregistered again). Whatever the
 *  outcome, the reply is encoded, and must decode
 *  back to the same status and request id, as the client would read it.
 *
 *  Built with -DKOMPASS_FUZZ=ON by clang (tests/fuzz/run); the seed corpus
 *  comes from fuzz_corpus (real requests of every kind).
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "authz.h"
#include "dispatch.h"
#include "framework.h"
#include "rpc.h"
#include "subscriptions.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int s_cmp_i64(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return a < b ? -1 : a > b;
}

/* What the server would answer, short of the database. */
static kp_response *s_answer(kp_arena *a, const uint8_t *data, size_t size)
{
    kp_request *msg = NULL;
    const char *request_id = "", *error = NULL;
    int rc = kp_wire_decode_request(a, data, size, &msg, &request_id, &error);
    if (rc != KP_OK) return kp_wire_error(a, request_id, rc, "%s", error);

    const char *body = kp_wire_body_name(msg);
    const kp_rpc *rpc = kp_dispatch_find((int)msg->body_case);
    if (!rpc)
        return kp_wire_error(a, msg->request_id, KP_BAD_REQUEST, "unknown body %d (%s)",
                             (int)msg->body_case, body);
    const kp_authz_rule *rule = kp_authz_find(rpc->body_case);
    if (!rule) abort(); /* kompassd refuses to start when a handler has no row */
    const char *eval_id = kp_authz_evaluation_of(a, msg, rule);
    if (rule->relations && *eval_id == '-')
        return kp_wire_error(a, msg->request_id, KP_BAD_REQUEST, "%s must be an evaluation's id",
                             rule->evaluation);

    const char *problem = NULL;
    switch (msg->body_case) {
    case KOMPASS__V1__REQUEST__BODY_USER_ADD:
        problem = kp_user_add_problem(a, msg->user_add);
        break;
    case KOMPASS__V1__REQUEST__BODY_SCORE_SET:
        problem = kp_score_set_problem(a, msg->score_set);
        break;
    case KOMPASS__V1__REQUEST__BODY_FRAMEWORK_IMPORT: {
        char *problems = NULL;
        json_t *doc = NULL;
        if (kp_framework_check(a, msg->framework_import->json, &problems, &doc) > 0)
            problem = problems;
        json_decref(doc);
        break;
    }
    case KOMPASS__V1__REQUEST__BODY_SUBSCRIBE: {
        int64_t *ids;
        size_t n;
        problem = kp_subs_request_problem(a, msg->subscribe, &ids, &n);
        if (problem) break;
        static kp_subs *subs;
        if (!subs) subs = kp_subs_new(NULL, "fuzz");
        kp_sub_reg reg = {1, 1, msg->subscribe->all, (int32_t)n};
        const char rid[] = "\0connection";
        if (kp_subs_apply(subs, rid, sizeof rid, &reg, ids, n * sizeof *ids) != 0) abort();
        for (size_t i = 0; i < n; i++) {
            if (i && ids[i] <= ids[i - 1]) abort(); /* sorted, no repeats */
            if (!kp_subs_wants(subs, ids[i])) abort();
            /* exact: the id's decimal prefix is not wanted (1 is not 10) */
            if (!reg.all && ids[i] >= 10 &&
                !bsearch(&(int64_t){ids[i] / 10}, ids, n, sizeof *ids, s_cmp_i64) &&
                kp_subs_wants(subs, ids[i] / 10))
                abort();
        }
        if (!reg.all && n == 0 && kp_subs_count(subs) != 0) abort();
        kp_sub_reg none = {1, 1, 0, 0};
        if (kp_subs_apply(subs, rid, sizeof rid, &none, NULL, 0) != (reg.all || n)) abort();
        if (kp_subs_count(subs) != 0) abort();
        break;
    }
    default:
        break;
    }
    if (problem)
        return kp_wire_error(a, msg->request_id, KP_BAD_REQUEST, "%s: %s", rpc->name, problem);
    kp_response *ok = kp_wire_error(a, msg->request_id, KP_OK, "%s", "");
    return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static kp_arena *a;
    if (!a) a = kp_arena_new();
    kp_response *resp = s_answer(a, data, size);
    size_t len;
    void *frame = kp_wire_encode_response(a, resp, &len);
    kp_response *back = NULL;
    const char *error = NULL;
    if (kp_wire_decode_response(a, frame, len, &back, &error) != KP_OK) abort();
    if (back->status != resp->status || strcmp(back->request_id, resp->request_id) != 0 ||
        strcmp(back->error, resp->error) != 0)
        abort();
    kp_arena_reset(a);
    return 0;
}
