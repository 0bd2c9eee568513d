/*  fuzz_corpus: the seed corpus of fuzz_request, real request frames.
 *
 *  Usage: fuzz_corpus DIR [FRAMEWORK.json]
 *
 *  One file per request: for every body of kompass.v1.Request, one with each
 *  field set (from the descriptors, so a new RPC gets its seed without
 *  anyone writing it); for every RPC, its valid sample request from the
 *  table the integration tests share (tests/samples.c), with plausible ids:
 *  valid requests reach further into validation than all-fields-set ones;
 *  and the requests the CLI sends most, as it sends them
 *  (login, user_add, score_set, text_lock, text_save, framework_import with
 *  the shipped KK2015 file), plus the envelopes the server refuses (empty,
 *  wrong version, no body).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "samples.h"
#include "util.h"
#include "wire.h"

static const char *s_dir;
static int s_count;

static void s_write(kp_arena *a, const char *name, const kp_request *req)
{
    size_t len;
    void *frame = kp_wire_encode_request(a, req, &len);
    char path[1024];
    snprintf(path, sizeof path, "%s/%03d-%s", s_dir, s_count++, name);
    if (kp_write_file(path, frame, len, 0644) != 0) {
        perror(path);
        exit(1);
    }
}

/* A message of type d with every field set (nested ones to depth 3). */
static ProtobufCMessage *s_fill(kp_arena *a, const ProtobufCMessageDescriptor *d, int depth)
{
    ProtobufCMessage *m = kp_arena_zalloc(a, d->sizeof_message);
    d->message_init(m);
    char *base = (char *)m;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            uint32_t *which = (uint32_t *)(base + f->quantifier_offset);
            if (*which) continue; /* one member per oneof */
            if (f->type == PROTOBUF_C_TYPE_MESSAGE && depth >= 3) continue;
            *which = f->id;
        }
        void *at = base + f->offset;
        size_t one = 0;
        switch (f->type) {
        case PROTOBUF_C_TYPE_INT32:
        case PROTOBUF_C_TYPE_SINT32:
        case PROTOBUF_C_TYPE_SFIXED32:
        case PROTOBUF_C_TYPE_UINT32:
        case PROTOBUF_C_TYPE_FIXED32:
        case PROTOBUF_C_TYPE_ENUM:
        case PROTOBUF_C_TYPE_BOOL:
        case PROTOBUF_C_TYPE_FLOAT:
            one = 4;
            break;
        case PROTOBUF_C_TYPE_STRING:
        case PROTOBUF_C_TYPE_MESSAGE:
            one = sizeof(void *);
            break;
        case PROTOBUF_C_TYPE_BYTES:
            one = sizeof(ProtobufCBinaryData);
            break;
        default:
            one = 8;
        }
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            if (f->type == PROTOBUF_C_TYPE_MESSAGE && depth >= 3) continue;
            void *arr = kp_arena_zalloc(a, one);
            *(void **)at = arr;
            *(size_t *)(base + f->quantifier_offset) = 1;
            at = arr;
        } else if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->quantifier_offset &&
                   !(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) && f->type != PROTOBUF_C_TYPE_STRING &&
                   f->type != PROTOBUF_C_TYPE_MESSAGE) {
            *(protobuf_c_boolean *)(base + f->quantifier_offset) = 1;
        }
        switch (f->type) {
        case PROTOBUF_C_TYPE_ENUM: {
            const ProtobufCEnumDescriptor *e = f->descriptor;
            *(int32_t *)at = e->n_values > 1 ? e->values[1].value : e->values[0].value;
            break;
        }
        case PROTOBUF_C_TYPE_BOOL:
            *(protobuf_c_boolean *)at = 1;
            break;
        case PROTOBUF_C_TYPE_FLOAT:
            *(float *)at = 1.0f;
            break;
        case PROTOBUF_C_TYPE_DOUBLE:
            *(double *)at = 1.0;
            break;
        case PROTOBUF_C_TYPE_STRING:
            *(char **)at = strcmp(f->name, "question") == 0 ? "1.1" : "ewa";
            break;
        case PROTOBUF_C_TYPE_BYTES: {
            ProtobufCBinaryData *b = at;
            b->len = 3;
            b->data = (uint8_t *)"abc";
            break;
        }
        case PROTOBUF_C_TYPE_MESSAGE:
            *(void **)at = depth < 3 ? s_fill(a, f->descriptor, depth + 1) : NULL;
            break;
        default:
            if (one == 4)
                *(int32_t *)at = 1;
            else
                *(int64_t *)at = 1;
        }
    }
    return m;
}

static kp_request *s_request(kp_arena *a, const char *id)
{
    kp_request *req = kp_arena_zalloc(a, sizeof *req);
    kompass__v1__request__init(req);
    req->request_id = kp_arena_strdup(a, id);
    req->protocol_version = KP_PROTOCOL_VERSION;
    req->session_token = "0f6c3b1d2e4a59687c8b9a0d1e2f3a4b5c6d7e8f90a1b2c3d4e5f60718293a4b";
    return req;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: fuzz_corpus DIR [FRAMEWORK.json]\n");
        return 2;
    }
    s_dir = argv[1];
    kp_arena *a = kp_arena_new();
    const ProtobufCMessageDescriptor *rd = &kompass__v1__request__descriptor;

    /* Every body, every field set. */
    for (unsigned i = 0; i < rd->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &rd->fields[i];
        if (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)) continue;
        kp_request *req = s_request(a, f->name);
        *(void **)((char *)req + f->offset) = s_fill(a, f->descriptor, 1);
        *(uint32_t *)((char *)req + f->quantifier_offset) = f->id;
        s_write(a, f->name, req);
    }

    /* Every RPC's sample request, with ids a real evaluation might have. A
     * sample of a body kompass.proto does not have is an error. */
    size_t n_samples;
    const th_sample *samples = th_samples(&n_samples);
    const th_sample_ids ids = {
        .n = 7,
        .eval_id = 12,
        .remark_id = 3,
        .login = "ewa",
        .password = "Ewa-Luvö-lösenord-1",
        .municipality = "Västerås stad",
        .framework = "KK2015",
        .label = "2017",
        .ordinal = 5,
        .question = "1.4",
        .lock_token = "a3f1",
        .areas = "[{\"number\":1,\"questions\":[{\"code\":\"1.1\",\"points\":10},"
                 "{\"code\":\"1.4\",\"points\":25.5}]}]",
    };
    for (size_t i = 0; i < n_samples; i++) {
        const ProtobufCFieldDescriptor *f =
            protobuf_c_message_descriptor_get_field(rd, (unsigned)samples[i].body_case);
        if (!f || !(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)) {
            fprintf(stderr, "fuzz_corpus: sample %zu is for body %d, not a body of Request\n", i,
                    samples[i].body_case);
            return 1;
        }
        kp_request *req = s_request(a, kp_arena_printf(a, "sample-%zu", i));
        samples[i].build(a, &ids, req);
        s_write(a, kp_arena_printf(a, "%s-sample", f->name), req);
    }

    /* As the CLI sends them. */
    kp_request *req = s_request(a, "login-1");
    req->session_token = "";
    Kompass__V1__LoginRequest login = KOMPASS__V1__LOGIN_REQUEST__INIT;
    login.login = "christine";
    login.password = "correct horse battery staple";
    req->body_case = KOMPASS__V1__REQUEST__BODY_LOGIN;
    req->login = &login;
    s_write(a, "login-real", req);

    req = s_request(a, "add-1");
    Kompass__V1__UserAddRequest add = KOMPASS__V1__USER_ADD_REQUEST__INIT;
    add.login = "ewa";
    add.full_name = "Ewa Luvö";
    add.organisation = "Borås Stad";
    add.role = KOMPASS__V1__ROLE__ROLE_EVALUATOR;
    add.password = "Ewa-Luvö-lösenord-1";
    req->body_case = KOMPASS__V1__REQUEST__BODY_USER_ADD;
    req->user_add = &add;
    s_write(a, "user_add-real", req);

    req = s_request(a, "score-1");
    Kompass__V1__ScoreWrite w1 = KOMPASS__V1__SCORE_WRITE__INIT,
                            w2 = KOMPASS__V1__SCORE_WRITE__INIT;
    w1.question = "1.4";
    w1.points_centi = 2500;
    w1.rationale = "Bred dialog, e-förslag";
    w2.question = "3.2";
    w2.points_centi = 1250;
    w2.rationale = "";
    w2.expected_version = 9;
    Kompass__V1__ScoreWrite *writes[2] = {&w1, &w2};
    Kompass__V1__ScoreSetRequest set = KOMPASS__V1__SCORE_SET_REQUEST__INIT;
    set.evaluation_id = 1;
    set.n_writes = 2;
    set.writes = writes;
    req->body_case = KOMPASS__V1__REQUEST__BODY_SCORE_SET;
    req->score_set = &set;
    s_write(a, "score_set-real", req);

    req = s_request(a, "lock-1");
    Kompass__V1__TextLockRequest lock = KOMPASS__V1__TEXT_LOCK_REQUEST__INIT;
    lock.evaluation_id = 1;
    lock.area = 3;
    lock.section = "summary";
    lock.lease_seconds = 300;
    req->body_case = KOMPASS__V1__REQUEST__BODY_TEXT_LOCK;
    req->text_lock = &lock;
    s_write(a, "text_lock-real", req);

    req = s_request(a, "save-1");
    Kompass__V1__TextSaveRequest save = KOMPASS__V1__TEXT_SAVE_REQUEST__INIT;
    char *items[2] = {"Övergripande strategi och mål kring demokratiutveckling",
                      "Webbsändning av KF"};
    save.evaluation_id = 1;
    save.area = 1;
    save.section = "strengths";
    save.n_items = 2;
    save.items = items;
    save.lock_token = "a3f1";
    req->body_case = KOMPASS__V1__REQUEST__BODY_TEXT_SAVE;
    req->text_save = &save;
    s_write(a, "text_save-real", req);

    if (argc > 2) {
        char *json = kp_read_file(argv[2], 1 << 20, NULL);
        if (!json) {
            perror(argv[2]);
            return 1;
        }
        req = s_request(a, "import-1");
        Kompass__V1__FrameworkImportRequest imp = KOMPASS__V1__FRAMEWORK_IMPORT_REQUEST__INIT;
        imp.json = json;
        req->body_case = KOMPASS__V1__REQUEST__BODY_FRAMEWORK_IMPORT;
        req->framework_import = &imp;
        s_write(a, "framework_import-KK2015", req);
        imp.json = "{\"framework\": {\"code\": \"X\"}, \"areas\": [{\"number\": 1, \"questions\": "
                   "[{\"code\": \"1.1\", \"max\": 12.5}]}]}";
        s_write(a, "framework_import-small", req);
        free(json);
    }

    /* Envelopes the server refuses. */
    req = s_request(a, "v2");
    req->protocol_version = 2;
    req->body_case = KOMPASS__V1__REQUEST__BODY_PING;
    Kompass__V1__PingRequest ping = KOMPASS__V1__PING_REQUEST__INIT;
    req->ping = &ping;
    s_write(a, "ping-version-2", req);
    req = s_request(a, "nobody");
    s_write(a, "no-body", req);
    char path[1024];
    snprintf(path, sizeof path, "%s/%03d-empty", s_dir, s_count++);
    kp_write_file(path, "", 0, 0644);
    printf("%d seed requests in %s\n", s_count, s_dir);
    kp_arena_destroy(&a);
    return 0;
}
