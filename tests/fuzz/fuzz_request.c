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
 *  The string checker (common/strcheck.h) is fuzzed twice over: the input
 *  as one string of each class (what it accepts never holds a NUL, a
 *  control character beyond a text's newline and tab, or, in a name, an
 *  invisible character, and is valid UTF-8, by libunistring's own reading),
 *  and every decoded request: each of its strings, as C sees it, passes the
 *  same check again, so nothing a handler reads was cut or slipped past.
 *  The name key (common/namekey.h) of any text is a fixed point of itself,
 *  trimmed, with single spaces and no invisible character.
 *
 *  Built with -DKOMPASS_FUZZ=ON by clang (tests/fuzz/run); the seed corpus
 *  comes from fuzz_corpus (real requests of every kind).
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unictype.h>
#include <unistr.h>

#include "authz.h"
#include "dispatch.h"
#include "framework.h"
#include "namekey.h"
#include "rpc.h"
#include "strcheck.h"
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

/* What kp_strcheck accepts, checked independently of it. */
static void s_check_accepted(const uint8_t *s, size_t n, kp_str_class cls)
{
    if (u8_check(s, n)) abort();
    for (const uint8_t *p = s, *end = s + n; p < end;) {
        ucs4_t c;
        p += u8_mbtouc(&c, p, (size_t)(end - p));
        if (c == 0) abort();
        if (uc_is_general_category(c, UC_CATEGORY_Cc) &&
            !(cls == KP_STR_TEXT && (c == '\n' || c == '\t')))
            abort();
        if (cls == KP_STR_NAME &&
            (uc_is_general_category(c, UC_CATEGORY_Cf) || uc_is_property_bidi_control(c)))
            abort();
    }
}

/* A name key (common/namekey.h) is a fixed point, valid UTF-8, and holds
 * no invisible character and no space at either end or twice in a row. */
static void s_check_key(kp_arena *a, const uint8_t *data, size_t size)
{
    char *s = kp_arena_alloc(a, size + 1);
    memcpy(s, data, size);
    s[size] = '\0';
    const char *key = kp_name_key(a, s);
    size_t n = strlen(key);
    if (u8_check((const uint8_t *)key, n)) abort();
    if (strcmp(kp_name_key(a, key), key) != 0) abort();
    if (n && (key[0] == ' ' || key[n - 1] == ' ')) abort();
    if (strstr(key, "  ")) abort();
    for (const uint8_t *p = (const uint8_t *)key, *end = p + n; p < end;) {
        ucs4_t c;
        p += u8_mbtouc(&c, p, (size_t)(end - p));
        if (uc_is_general_category(c, UC_CATEGORY_Cf)) abort();
    }
}

/* Every string of a decoded message passes its class's check at strlen. */
static void s_check_decoded(kp_arena *a, const ProtobufCMessage *msg)
{
    const ProtobufCMessageDescriptor *d = msg->descriptor;
    const char *base = (const char *)msg;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE) continue;
        if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
            *(const uint32_t *)(base + f->quantifier_offset) != f->id)
            continue;
        size_t count = 1;
        const void *const *items = (const void *const *)(base + f->offset);
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            count = *(const size_t *)(base + f->quantifier_offset);
            items = *(const void *const *const *)(base + f->offset);
        }
        for (size_t k = 0; k < count; k++) {
            if (!items[k]) continue;
            if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
                s_check_decoded(a, items[k]);
                continue;
            }
            const uint8_t *str = items[k];
            size_t n = strlen((const char *)str);
            kp_str_class cls = kp_strcheck_class(d, f);
            if (kp_strcheck(a, str, n, cls)) abort();
            s_check_accepted(str, n, cls);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static kp_arena *a;
    if (!a) a = kp_arena_new();
    static const kp_str_class classes[] = {KP_STR_LINE, KP_STR_TEXT, KP_STR_NAME};
    for (size_t c = 0; c < 3; c++)
        if (!kp_strcheck(a, data, size, classes[c])) s_check_accepted(data, size, classes[c]);
    if (!kp_strcheck(a, data, size, KP_STR_TEXT)) s_check_key(a, data, size);
    {
        kp_request *msg = NULL;
        const char *id = "", *error = NULL;
        if (kp_wire_decode_request(a, data, size, &msg, &id, &error) == KP_OK)
            s_check_decoded(a, &msg->base);
        kp_arena_reset(a);
    }
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
