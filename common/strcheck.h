/*  strcheck: every string a client sends is checked, never cut.
 *
 *  protobuf-c hands strings to C as NUL-terminated copies: a NUL inside one
 *  ("admin\0anything") would silently make it shorter. So the checker reads
 *  the request's bytes as they came over the wire, walking them with the
 *  messages' descriptors, and checks each string field whole, at its wire
 *  length, before any handler sees a C string. No handler can forget it: it
 *  runs in kp_wire_decode_request for every frame, and a new field gets its
 *  class from the tables in strcheck.c by its name.
 *
 *  Classes (proto/README.md, "Strings"):
 *    LINE  valid UTF-8; no NUL and no control character (Cc) at all.
 *    TEXT  a free text: as LINE, but newline and tab are allowed.
 *    NAME  a name a person reads (login, full name, organisation,
 *          municipality, label): as LINE, and no invisible or
 *          direction-changing character (general category Cf, Unicode
 *          Default_Ignorable_Code_Point or Bidi_Control, line and paragraph
 *          separators, private use); no word mixing Latin, Cyrillic or
 *          Greek letters (a look-alike: "Vаsterås" with a Cyrillic а); not
 *          blank: when not empty, something
 *          other than white space. Empty is the handler's to judge (some
 *          names are optional filters).
 *  The Unicode tables are libunistring's, not ours.
 */
#ifndef KP_STRCHECK_H
#define KP_STRCHECK_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"

typedef enum { KP_STR_LINE, KP_STR_TEXT, KP_STR_NAME } kp_str_class;

/* Checks len bytes of s as a string of class cls. NULL when acceptable;
 * otherwise what is wrong, for a person ("contains U+200B ZERO WIDTH SPACE,
 * an invisible or direction-changing character, at character 7"), in a. */
const char *kp_strcheck(kp_arena *a, const uint8_t *s, size_t len, kp_str_class cls);

/* The class of string field f of message d (the tables in strcheck.c). */
kp_str_class kp_strcheck_class(const ProtobufCMessageDescriptor *d,
                               const ProtobufCFieldDescriptor *f);

/* Walks the serialized message data (len bytes) of type d and checks every
 * string field at any depth, at its wire length. 0 when all are acceptable;
 * -1 with *error naming the field's path ("field 'user_add.full_name' ...",
 * repeated ones with their index: "text_save.items[2]"), in a. Bytes that do
 * not parse as protobuf are reported as such. */
int kp_strcheck_message(kp_arena *a, const ProtobufCMessageDescriptor *d, const uint8_t *data,
                        size_t len, const char **error);

/* The same for one top-level field only (field number id), such as the
 * request id, which is echoed when it is readable even if another is not. */
int kp_strcheck_field(kp_arena *a, const ProtobufCMessageDescriptor *d, const uint8_t *data,
                      size_t len, uint32_t id, const char **error);

/* The string of top-level field id in bytes protobuf could not decode, read
 * field by field up to the first damage: its last readable occurrence (a
 * proto3 field given twice counts as its last), or "" when there is none or
 * it is not one line of valid UTF-8 of at most max_chars characters. */
const char *kp_strcheck_readable_field(kp_arena *a, const uint8_t *data, size_t len, uint32_t id,
                                       size_t max_chars);

#endif
