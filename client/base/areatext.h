/*  areatext: an area's text section as a person writes it in a file.
 *
 *  The one place that turns a file or an editor's buffer into what TextSave
 *  carries, and back. Lines starting with # are comments. A summary keeps its
 *  lines and blank lines (paragraphs) exactly: only white space before its
 *  first and after its last character goes. Strengths and improvements are
 *  one item per line: blank lines and empty bullets ("- ") are skipped,
 *  white space around an item and a leading "- " dropped.
 */
#ifndef KP_AREATEXT_H
#define KP_AREATEXT_H

#include <jansson.h>
#include <stdio.h>

#include "arena.h"
#include "kompass.pb-c.h"

typedef struct {
    int is_list;   /* strengths, improvements */
    char *summary; /* summary: the text ("" when empty) */
    char **items;  /* lists: the items */
    size_t n_items;
} kp_areatext;

/* Whether section is summary, strengths or improvements. */
int kp_areatext_section_ok(const char *section);

/* Parses text written for section (into arena). */
void kp_areatext_parse(kp_arena *a, const char *section, const char *text, kp_areatext *out);

/* The content of a protocol AreaText (borrowed from it). */
void kp_areatext_from(const Kompass__V1__AreaText *t, kp_areatext *out);

/* The content from its JSON form (a string or an array of strings) into
 * arena; 0, or -1 when j is neither. */
int kp_areatext_from_json(kp_arena *a, const char *section, const json_t *j, kp_areatext *out);

/* The JSON form: a string (summary) or an array of strings. */
json_t *kp_areatext_json(const kp_areatext *t);

int kp_areatext_equal(const kp_areatext *x, const kp_areatext *y);
int kp_areatext_empty(const kp_areatext *t);

/* Writes the content as a file shows it: the summary, or one item a line;
 * each line after prefix (e.g. "#   | " to show it as a comment). */
void kp_areatext_write(FILE *f, const kp_areatext *t, const char *prefix);

#endif
