/*  problems: what is wrong with an uploaded document, every problem with its
 *  place ("areas[2].questions[1].max: ..."), one per line, capped.
 *
 *  Shared by the framework import (framework.c) and the import of published
 *  evaluations (import.c): both check a whole JSON document and report all
 *  they find, not just the first.
 */
#ifndef KP_PROBLEMS_H
#define KP_PROBLEMS_H

#include <jansson.h>
#include <stddef.h>

#include "arena.h"

typedef struct {
    kp_arena *arena;
    char *text; /* the problems so far, one per line ("" when none) */
    int count;  /* all found, also those beyond max */
    int max;    /* at most this many are kept in text */
} kp_problems;

/* An empty list in arena, keeping at most max problems. */
void kp_problems_init(kp_problems *p, kp_arena *arena, int max);

void kp_problems_add(kp_problems *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Every key of obj not in known (NULL-terminated): "WHERE: unknown key 'k'". */
void kp_problems_unknown_keys(kp_problems *p, json_t *obj, const char *where,
                              const char *const *known);

/* obj's string key, at most maxlen bytes; required ones present and
 * non-empty. NULL (and a problem, unless absent and optional) otherwise.
 * Places read "WHERE.key" ("key" when where is ""). */
const char *kp_problems_string(kp_problems *p, json_t *obj, const char *key, const char *where,
                               int required, size_t maxlen);

#endif
