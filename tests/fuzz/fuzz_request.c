/*  fuzz_request: libFuzzer over what kompassd does with a frame before it
 *  touches the database.
 *
 *  A frame from the network goes through kp_wire_decode_request (size,
 *  protobuf, UTF-8 of every string, request id, protocol version, body), then
 *  the dispatcher looks up its handler and authorisation row and reads the
 *  evaluation id the row names, and the handlers check their fields before
 *  their first statement: user_add (kp_user_add_problem), score_set
 *  (kp_score_set_problem), framework_import (kp_framework_check, a whole JSON
 *  document). Whatever the outcome, the reply is encoded, and must decode
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
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
