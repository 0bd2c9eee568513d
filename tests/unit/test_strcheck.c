/*  strcheck: the one checker of every string a client sends
 *  (common/strcheck.h), on single strings and on whole packed requests. */
#define _GNU_SOURCE /* memmem */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "namekey.h"
#include "strcheck.h"
#include "wire.h"

static kp_arena *a;
static void setup(void)
{
    a = kp_arena_new();
}
static void teardown(void)
{
    kp_arena_destroy(&a);
}
TestSuite(strcheck, .init = setup, .fini = teardown);

/* The problem with s (n bytes) as cls, or NULL. */
static const char *s_check(const char *s, size_t n, kp_str_class cls)
{
    return kp_strcheck(a, (const uint8_t *)s, n, cls);
}
#define CHECK(lit, cls) s_check(lit, sizeof lit - 1, cls)

Test(strcheck, nul_is_refused_in_every_class)
{
    kp_str_class all[] = {KP_STR_LINE, KP_STR_TEXT, KP_STR_NAME};
    for (size_t i = 0; i < 3; i++) {
        const char *why = CHECK("admin\0anything", all[i]);
        cr_assert(why && strstr(why, "NUL") && strstr(why, "character 6"), "%s",
                  why ? why : "(accepted)");
    }
}

Test(strcheck, control_characters)
{
    cr_assert_null(CHECK("two\nlines\tand a tab", KP_STR_TEXT));
    cr_assert(CHECK("two\nlines", KP_STR_LINE));
    cr_assert(CHECK("a tab\there", KP_STR_NAME));
    const char *why = CHECK("carriage\rreturn", KP_STR_TEXT);
    cr_assert(why && strstr(why, "U+000D"), "%s", why ? why : "(accepted)");
    cr_assert(CHECK("bell\a", KP_STR_LINE));
    cr_assert(CHECK("escape\x1b[31m", KP_STR_TEXT));
    cr_assert(CHECK("del\x7f", KP_STR_LINE));
    cr_assert(CHECK("c1 \xc2\x85 next line", KP_STR_TEXT)); /* U+0085 */
}

Test(strcheck, invisible_and_bidi_characters_in_names)
{
    const char *cases[][2] = {
        {"V\xc3\xa4ster\xc3\xa5s\xe2\x80\x8bstad", "U+200B ZERO WIDTH SPACE"},
        {"Ewa \xe2\x80\xae"
         "avuL",
         "U+202E RIGHT-TO-LEFT OVERRIDE"},
        {"Ewa \xe2\x81\xa6Luvo", "U+2066 LEFT-TO-RIGHT ISOLATE"},
        {"Ewa\xe2\x80\x8fLuvo", "U+200F RIGHT-TO-LEFT MARK"},
        {"\xef\xbb\xbf"
         "Ewa",
         "U+FEFF ZERO WIDTH NO-BREAK SPACE"},
        {"Ewa\xc2\xad"
         "Luvo",
         "U+00AD SOFT HYPHEN"},
        {"Ewa\xe2\x80\x8d", "U+200D ZERO WIDTH JOINER"},
        {"\xe3\x85\xa4", "U+3164 HANGUL FILLER"},
        {"Ewa\xe2\x80\xa8Luvo", "U+2028 LINE SEPARATOR"},
        {"\xee\x80\x80", "U+E000"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *why =
            kp_strcheck(a, (const uint8_t *)cases[i][0], strlen(cases[i][0]), KP_STR_NAME);
        cr_assert(why && strstr(why, cases[i][1]) && strstr(why, "invisible"), "case %zu: %s", i,
                  why ? why : "(accepted)");
        /* in a free text they are the writer's business */
        cr_assert_null(
            kp_strcheck(a, (const uint8_t *)cases[i][0], strlen(cases[i][0]), KP_STR_TEXT),
            "case %zu", i);
    }
}

Test(strcheck, blank_names)
{
    cr_assert(CHECK("   ", KP_STR_NAME));
    cr_assert(CHECK("\xc2\xa0\xe3\x80\x80", KP_STR_NAME)); /* NBSP, ideographic space */
    const char *why = CHECK(" ", KP_STR_NAME);
    cr_assert(why && strstr(why, "blank"), "%s", why ? why : "(accepted)");
    cr_assert_null(CHECK("", KP_STR_NAME)); /* empty: the handler decides */
    cr_assert_null(CHECK("   ", KP_STR_LINE));
}

Test(strcheck, ordinary_names_pass)
{
    const char *ok[] = {"Västerås stad",
                        "Ängelholms kommun",
                        "Ewa Luvo-Öberg",
                        "Région Île-de-France",
                        "Łódź",
                        "Ærø Kommune",
                        "Västerås\xc2\xa0stad" /* NBSP: visible as a space */,
                        "Ｖästerås" /* fullwidth V */};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
        cr_assert_null(kp_strcheck(a, (const uint8_t *)ok[i], strlen(ok[i]), KP_STR_NAME), "%s",
                       ok[i]);
}

Test(strcheck, invalid_utf8)
{
    const char *why = CHECK("ok\xe2\x82", KP_STR_TEXT);
    cr_assert(why && strstr(why, "UTF-8") && strstr(why, "byte 3"), "%s", why ? why : "(ok)");
    cr_assert(CHECK("\xed\xa0\x80", KP_STR_LINE)); /* a surrogate */
    cr_assert(CHECK("\xc0\xaf", KP_STR_LINE));     /* overlong */
}

Test(strcheck, classes_follow_field_names)
{
    const ProtobufCMessageDescriptor *d = &kompass__v1__user_add_request__descriptor;
    cr_assert_eq(kp_strcheck_class(d, protobuf_c_message_descriptor_get_field_by_name(d, "login")),
                 KP_STR_NAME);
    cr_assert_eq(
        kp_strcheck_class(d, protobuf_c_message_descriptor_get_field_by_name(d, "organisation")),
        KP_STR_NAME);
    cr_assert_eq(
        kp_strcheck_class(d, protobuf_c_message_descriptor_get_field_by_name(d, "password")),
        KP_STR_LINE);
    d = &kompass__v1__text_save_request__descriptor;
    cr_assert_eq(kp_strcheck_class(d, protobuf_c_message_descriptor_get_field_by_name(d, "items")),
                 KP_STR_TEXT);
    d = &kompass__v1__municipality_add_request__descriptor;
    cr_assert_eq(kp_strcheck_class(d, protobuf_c_message_descriptor_get_field_by_name(d, "name")),
                 KP_STR_NAME);
}

/* A packed request with the '#'s of string str (found in the packed bytes)
 * turned into NULs: same length, since protobuf-c packs strlen bytes. */
static uint8_t *s_pack_nul(const kp_request *req, const char *str, size_t *len)
{
    uint8_t *buf = kp_wire_encode_request(a, req, len);
    uint8_t *at = memmem(buf, *len, str, strlen(str));
    cr_assert(at, "'%s' not in the frame", str);
    for (size_t k = 0; str[k]; k++)
        if (str[k] == '#') at[k] = 0;
    return buf;
}

Test(strcheck, a_nul_anywhere_in_a_request_is_found_with_its_path)
{
    kp_request req = KOMPASS__V1__REQUEST__INIT;
    Kompass__V1__TextSaveRequest ts = KOMPASS__V1__TEXT_SAVE_REQUEST__INIT;
    char *items[] = {"first", "second#hidden", "third"};
    ts.section = "strengths";
    ts.items = items;
    ts.n_items = 3;
    req.protocol_version = 1;
    req.request_id = "r1";
    req.body_case = KOMPASS__V1__REQUEST__BODY_TEXT_SAVE;
    req.text_save = &ts;
    size_t len;
    uint8_t *f = s_pack_nul(&req, "second#hidden", &len);
    const char *err = NULL;
    cr_assert_eq(kp_strcheck_message(a, &kompass__v1__request__descriptor, f, len, &err), -1);
    cr_assert(strstr(err, "field 'text_save.items[1]'") && strstr(err, "NUL"), "%s", err);

    /* through the decoder: BAD_REQUEST, and the readable request id echoed */
    kp_request *out;
    const char *id;
    cr_assert_eq(kp_wire_decode_request(a, f, len, &out, &id, &err), KP_BAD_REQUEST);
    cr_assert_str_eq(id, "r1");
    cr_assert(strstr(err, "text_save.items[1]"), "%s", err);

    /* a NUL in the request id itself: not echoed */
    req.request_id = "r#2";
    items[1] = "second";
    f = s_pack_nul(&req, "r#2", &len);
    cr_assert_eq(kp_wire_decode_request(a, f, len, &out, &id, &err), KP_BAD_REQUEST);
    cr_assert_str_eq(id, "");
    cr_assert(strstr(err, "request_id"), "%s", err);

    /* and without any: accepted whole */
    req.request_id = "r3";
    f = s_pack_nul(&req, "r3", &len);
    cr_assert_eq(kp_wire_decode_request(a, f, len, &out, &id, &err), KP_OK, "%s", err);
    cr_assert_str_eq(out->text_save->items[1], "second");
}

Test(strcheck, nested_names_are_checked)
{
    kp_request req = KOMPASS__V1__REQUEST__INIT;
    Kompass__V1__UserAddRequest ua = KOMPASS__V1__USER_ADD_REQUEST__INIT;
    ua.login = "ewa";
    ua.full_name = "Ewa \xe2\x80\xae"
                   "ovuL";
    ua.organisation = "SKL";
    req.protocol_version = 1;
    req.request_id = "r";
    req.body_case = KOMPASS__V1__REQUEST__BODY_USER_ADD;
    req.user_add = &ua;
    size_t len;
    uint8_t *f = kp_wire_encode_request(a, &req, &len);
    kp_request *out;
    const char *id, *err;
    cr_assert_eq(kp_wire_decode_request(a, f, len, &out, &id, &err), KP_BAD_REQUEST);
    cr_assert(strstr(err, "field 'user_add.full_name'") && strstr(err, "U+202E"), "%s", err);
    cr_assert_str_eq(id, "r");
}

/* ---------------------------------------------------------------- look-alikes */

Test(strcheck, mixed_scripts_in_one_word_are_refused_in_names)
{
    /* "Västerås" with a Cyrillic а (U+0430) */
    const char *why = CHECK("V\xd0\xb0ster\xc3\xa5s stad", KP_STR_NAME);
    cr_assert(why && strstr(why, "Latin and Cyrillic") && strstr(why, "U+0430"), "%s",
              why ? why : "(accepted)");
    /* a Cyrillic В first, then Latin letters */
    why = CHECK("\xd0\x92"
                "aster\xc3\xa5s",
                KP_STR_NAME);
    cr_assert(why && strstr(why, "Cyrillic and Latin") && strstr(why, "character 2"), "%s",
              why ? why : "(accepted)");
    /* a Greek omicron in a Latin word */
    cr_assert(CHECK("B\xce\xbfr\xc3\xa5s", KP_STR_NAME));
    /* one script per word is anyone's name */
    cr_assert_null(CHECK("\xd0\x9c\xd0\xbe\xd1\x81\xd0\xba\xd0\xb2\xd0\xb0 stad", KP_STR_NAME));
    cr_assert_null(CHECK("Ελληνικά Svenska", KP_STR_NAME));
    /* in a free text, mixing is the writer's business */
    cr_assert_null(CHECK("V\xd0\xb0ster\xc3\xa5s", KP_STR_TEXT));
}

Test(strcheck, names_that_read_the_same_have_one_key)
{
    const char *base = kp_name_key(a, "Västerås stad");
    cr_assert_str_eq(base, "västerås stad");
    const char *same[] = {
        "Västerås\xc2\xa0stad",                /* NBSP */
        "VÄSTERÅS STAD",                       /* capitals */
        "  Västerås   stad ",                  /* extra spaces */
        "Väs\xe2\x80\x8bterås stad",           /* a zero-width space inside a word */
        "\xef\xbc\xb6ästerås \xef\xbd\x93tad", /* fullwidth V and s */
        "Va\xcc\x88stera\xcc\x8as stad",       /* decomposed ä and å */
        "Västerås\tstad",
        "Västerås\xe3\x80\x80stad", /* ideographic space */
    };
    for (size_t i = 0; i < sizeof same / sizeof *same; i++)
        cr_assert_str_eq(kp_name_key(a, same[i]), base, "case %zu: '%s'", i, same[i]);
    cr_assert_str_eq(kp_name_key(a, "Straße"), kp_name_key(a, "STRASSE"));
    cr_assert_str_neq(kp_name_key(a, "Västerås stad"), kp_name_key(a, "Vasteras stad"));
    cr_assert_str_eq(kp_name_key(a, ""), "");
}

/* ---------------------------------------------------------------- coverage */

/* Every string field reachable from Request, as "Message.field=KIND", into
 * out (a growing comma list). */
static void s_fields(const ProtobufCMessageDescriptor *d, char *out, size_t len, int depth)
{
    cr_assert_lt(depth, 16);
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
            s_fields(f->descriptor, out, len, depth + 1);
            continue;
        }
        if (f->type != PROTOBUF_C_TYPE_STRING) continue;
        kp_str_class c = kp_strcheck_class(d, f);
        if (c == KP_STR_LINE) continue;
        char item[160];
        snprintf(item, sizeof item, "%s.%s=%s,", d->short_name, f->name,
                 c == KP_STR_NAME ? "name" : "text");
        if (!strstr(out, item)) strncat(out, item, len - strlen(out) - 1);
    }
}

/* Which request fields are names and free texts. A new field gets its kind
 * from its name (strcheck.c); this list makes that a choice someone saw. */
Test(strcheck, every_request_string_has_the_kind_meant_for_it)
{
    static char got[8192];
    got[0] = '\0';
    s_fields(&kompass__v1__request__descriptor, got, sizeof got, 0);
    const char *want[] = {
        "FrameworkImportRequest.json=text",
        "MunicipalityAddRequest.name=name",
        "MunicipalityAddRequest.county=name",
        "EvalCreateRequest.municipality=name",
        "EvalCreateRequest.label=name",
        "EvalListRequest.municipality=name",
        "EvalListRequest.label=name",
        "EvalAssignRequest.login=name",
        "EvalAssignRequest.reason=text",
        "EvalUnassignRequest.login=name",
        "Evidence.note=text",
        "Evidence.created_by=name",
        "ScoreWrite.rationale=text",
        "ScoreSetRequest.on_behalf_of=name",
        "TextSaveRequest.summary=text",
        "TextSaveRequest.items=text",
        "LockBreakRequest.reason=text",
        "SubmitRequest.on_behalf_of=name",
        "ConsensusSetRequest.reason=text",
        "EvalReopenRequest.reason=text",
        "CommentAddRequest.text=text",
        "CommentResolveRequest.reason=text",
        "CalibrationCreateRequest.trainee=name",
        "CalibrationStatsRequest.trainee=name",
        "EvalImportRequest.json=text",
        "HistoryRequest.municipality=name",
        "LoginRequest.login=name",
        "UserAddRequest.login=name",
        "UserAddRequest.full_name=name",
        "UserAddRequest.organisation=name",
        "UserSetActiveRequest.login=name",
        "UserEditRequest.login=name",
        "UserEditRequest.full_name=name",
        "UserEditRequest.organisation=name",
        "UserResetPasswordRequest.login=name",
        "AuditListRequest.actor=name",
        "SearchRequest.municipality=name",
        "MunicipalityEditRequest.municipality=name",
        "MunicipalityEditRequest.name=name",
        "MunicipalityEditRequest.county=name",
        "FollowupSetRequest.note=text",
        "FactcheckRemarkRequest.text=text",
        "FactcheckAnswerRequest.text=text",
    };
    size_t total = 0;
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        char item[160];
        snprintf(item, sizeof item, "%s,", want[i]);
        cr_assert(strstr(got, item), "%s is not of that kind; got %s", want[i], got);
        total += strlen(item);
    }
    cr_assert_eq(strlen(got), total, "fields of a kind not listed here: %s", got);
}
