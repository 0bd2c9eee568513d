/*  strcheck: every string a client sends is checked, never cut (strcheck.h). */
#include "strcheck.h"

#include <stddef.h>
#include <string.h>
#include <unictype.h>
#include <uniname.h>
#include <unistr.h>

/* Field names that are names a person reads, in any message. A new request
 * field called `login` or `organisation` is a NAME without anyone having to
 * remember it. */
static const char *const s_names[] = {
    "login",   "full_name",    "organisation", "municipality", "label",
    "trainee", "on_behalf_of", "actor",        "created_by",   NULL,
};

/* Field names that are free texts (newline and tab allowed), in any message. */
static const char *const s_texts[] = {
    "json", "reason", "rationale", "summary", "items", "note", "text", NULL,
};

/* Fields whose class depends on their message: "Message.field" (the
 * descriptor's short name). */
static const struct {
    const char *message, *field;
    kp_str_class cls;
} s_fields[] = {
    {"MunicipalityAddRequest", "name", KP_STR_NAME},
    {"MunicipalityAddRequest", "county", KP_STR_NAME},
    {"MunicipalityEditRequest", "name", KP_STR_NAME},
    {"MunicipalityEditRequest", "county", KP_STR_NAME},
};

static int s_in(const char *const *list, const char *name)
{
    for (size_t i = 0; list[i]; i++)
        if (strcmp(list[i], name) == 0) return 1;
    return 0;
}

kp_str_class kp_strcheck_class(const ProtobufCMessageDescriptor *d,
                               const ProtobufCFieldDescriptor *f)
{
    for (size_t i = 0; i < sizeof s_fields / sizeof *s_fields; i++)
        if (strcmp(s_fields[i].message, d->short_name) == 0 &&
            strcmp(s_fields[i].field, f->name) == 0)
            return s_fields[i].cls;
    if (s_in(s_names, f->name)) return KP_STR_NAME;
    if (s_in(s_texts, f->name)) return KP_STR_TEXT;
    return KP_STR_LINE;
}

/* "U+200B ZERO WIDTH SPACE" (or without a name when Unicode gives none). */
static const char *s_char(kp_arena *a, ucs4_t c)
{
    char name[UNINAME_MAX];
    if (unicode_character_name(c, name)) return kp_arena_printf(a, "U+%04X %s", c, name);
    return kp_arena_printf(a, "U+%04X", c);
}

/* Whether c is invisible or changes the direction of text. */
static int s_invisible(ucs4_t c)
{
    return uc_is_general_category(c, UC_CATEGORY_Cf) || uc_is_general_category(c, UC_CATEGORY_Zl) ||
           uc_is_general_category(c, UC_CATEGORY_Zp) || uc_is_general_category(c, UC_CATEGORY_Co) ||
           uc_is_property_default_ignorable_code_point(c) || uc_is_property_bidi_control(c);
}

/* Scripts whose letters look alike (Latin a, Cyrillic а, Greek α ...). */
static int s_confusable_script(const char *name)
{
    return strcmp(name, "Latin") == 0 || strcmp(name, "Cyrillic") == 0 ||
           strcmp(name, "Greek") == 0;
}

const char *kp_strcheck(kp_arena *a, const uint8_t *s, size_t len, kp_str_class cls)
{
    const uint8_t *bad = u8_check(s, len);
    if (bad) return kp_arena_printf(a, "is not valid UTF-8 (at byte %zu)", (size_t)(bad - s) + 1);
    int seen_visible = 0;
    const char *word_script = NULL; /* of the current word's letters, when confusable */
    size_t at = 0, word_start = 0;
    for (const uint8_t *p = s, *end = s + len; p < end; at++) {
        ucs4_t c;
        /* ASCII letters, digits, punctuation and the space: nothing to ask
         * libunistring (most text is mostly these) */
        if (*p >= 0x21 && *p < 0x7F) {
            p++;
            seen_visible = 1;
            if (cls == KP_STR_NAME && ((p[-1] | 0x20) >= 'a' && (p[-1] | 0x20) <= 'z')) {
                if (!word_script) {
                    word_script = "Latin";
                    word_start = at;
                } else if (strcmp(word_script, "Latin") != 0) {
                    c = p[-1];
                    return kp_arena_printf(a,
                                           "mixes %s and Latin letters in one word (%s at "
                                           "character %zu, in the word from character %zu): a "
                                           "look-alike letter?",
                                           word_script, s_char(a, c), at + 1, word_start + 1);
                }
            }
            continue;
        }
        p += u8_mbtouc_unsafe(&c, p, (size_t)(end - p));
        if (c == 0)
            return kp_arena_printf(a,
                                   "contains a NUL character at character %zu "
                                   "(it would cut the text short)",
                                   at + 1);
        if (uc_is_general_category(c, UC_CATEGORY_Cc)) {
            if (cls == KP_STR_TEXT && (c == '\n' || c == '\t')) continue;
            return kp_arena_printf(a, "contains the control character U+%04X at character %zu%s", c,
                                   at + 1,
                                   cls == KP_STR_TEXT ? " (a text may hold newlines and tabs only)"
                                                      : " (this field is one line of text)");
        }
        if (cls != KP_STR_NAME) continue;
        if (s_invisible(c))
            return kp_arena_printf(a,
                                   "contains %s, an invisible or direction-changing character, "
                                   "at character %zu (names may hold only visible characters "
                                   "and spaces)",
                                   s_char(a, c), at + 1);
        if (uc_is_property_white_space(c)) {
            word_script = NULL;
            continue;
        }
        seen_visible = 1;
        /* a word of Latin letters with a Cyrillic or Greek one among them
         * (or the other way round) is a look-alike: "Vаsterås" with U+0430 */
        if (!uc_is_general_category(c, UC_CATEGORY_L)) continue;
        const uc_script_t *sc = uc_script(c);
        if (!sc || !s_confusable_script(sc->name)) continue;
        if (!word_script) {
            word_script = sc->name;
            word_start = at;
        } else if (strcmp(word_script, sc->name) != 0) {
            return kp_arena_printf(a,
                                   "mixes %s and %s letters in one word (%s at character %zu, "
                                   "in the word from character %zu): a look-alike letter?",
                                   word_script, sc->name, s_char(a, c), at + 1, word_start + 1);
        }
    }
    if (cls == KP_STR_NAME && len > 0 && !seen_visible)
        return "is blank (only white space): a name must have a visible character";
    return NULL;
}

/* ---------------------------------------------------------------- the walk */

static int s_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (*p >= end) return -1;
        uint8_t b = *(*p)++;
        *v |= (uint64_t)(b & 0x7F) << shift;
        if (!(b & 0x80)) return 0;
    }
    return -1;
}

/* The next field of [*p, end): its number and, for a length-delimited one,
 * its bytes (*item, *n; NULL for the other wire types, which are skipped).
 * 0, or -1 when the bytes are not protobuf. */
static int s_next_field(const uint8_t **p, const uint8_t *end, uint32_t *id, const uint8_t **item,
                        uint64_t *n)
{
    uint64_t key;
    *item = NULL;
    if (s_varint(p, end, &key) != 0) return -1;
    *id = (uint32_t)(key >> 3);
    switch (key & 7) {
    case 0:
        return s_varint(p, end, n);
    case 1:
    case 5: {
        ptrdiff_t width = (key & 7) == 1 ? 8 : 4;
        if (end - *p < width) return -1;
        *p += width;
        return 0;
    }
    case 2:
        if (s_varint(p, end, n) != 0 || *n > (uint64_t)(end - *p)) return -1;
        *item = *p;
        *p += *n;
        return 0;
    default:
        return -1;
    }
}

/* Checks the strings of one message's bytes [p, end) of type d, whose path
 * from the top is path ("" at the top); only_id, when not 0, limits the
 * check to that field of this message. */
static int s_walk(kp_arena *a, const ProtobufCMessageDescriptor *d, const uint8_t *p,
                  const uint8_t *end, const char *path, int depth, uint32_t only_id,
                  const char **error)
{
    if (depth > 32) {
        *error = "request nests messages deeper than 32 levels";
        return -1;
    }
    /* Occurrences per field so far, to name a repeated field's element. */
    size_t *seen = kp_arena_alloc(a, sizeof(size_t) * (d->n_fields + 1));
    memset(seen, 0, sizeof(size_t) * (d->n_fields + 1));
    while (p < end) {
        uint32_t id;
        const uint8_t *item;
        uint64_t n;
        if (s_next_field(&p, end, &id, &item, &n) != 0) goto malformed;
        if (!item) continue; /* numbers hold no text */
        if (only_id && id != only_id) continue;
        const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field(d, id);
        if (!f || (f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE))
            continue; /* unknown fields, bytes and packed numbers hold no text */
        size_t k = seen[f - d->fields]++;
        const char *name =
            f->label == PROTOBUF_C_LABEL_REPEATED
                ? kp_arena_printf(a, "%s%s%s[%zu]", path, *path ? "." : "", f->name, k)
                : kp_arena_printf(a, "%s%s%s", path, *path ? "." : "", f->name);
        if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
            if (s_walk(a, f->descriptor, item, item + n, name, depth + 1, 0, error) != 0) return -1;
            continue;
        }
        const char *why = kp_strcheck(a, item, (size_t)n, kp_strcheck_class(d, f));
        if (why) {
            *error = kp_arena_printf(a, "field '%s' %s", name, why);
            return -1;
        }
    }
    return 0;
malformed:
    *error = kp_arena_printf(a, "%s is not valid protobuf", *path ? path : "the frame");
    return -1;
}

int kp_strcheck_message(kp_arena *a, const ProtobufCMessageDescriptor *d, const uint8_t *data,
                        size_t len, const char **error)
{
    return s_walk(a, d, data, data + len, "", 0, 0, error);
}

int kp_strcheck_field(kp_arena *a, const ProtobufCMessageDescriptor *d, const uint8_t *data,
                      size_t len, uint32_t id, const char **error)
{
    return s_walk(a, d, data, data + len, "", 0, id, error);
}

const char *kp_strcheck_readable_field(kp_arena *a, const uint8_t *data, size_t len, uint32_t id,
                                       size_t max_chars)
{
    const char *found = "";
    const uint8_t *p = data, *end = data + len, *item;
    uint32_t at;
    uint64_t n;
    while (p < end && s_next_field(&p, end, &at, &item, &n) == 0) {
        if (at != id || !item) continue;
        size_t chars = 0;
        for (uint64_t i = 0; i < n; i++)
            chars += (item[i] & 0xC0) != 0x80;
        found = n && chars <= max_chars && !kp_strcheck(a, item, (size_t)n, KP_STR_LINE)
                    ? kp_arena_strndup(a, (const char *)item, (size_t)n)
                    : "";
    }
    return found;
}
