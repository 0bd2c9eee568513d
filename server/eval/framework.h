/*  framework: checking a framework version before anything is written.
 *
 *  `kompass framework import FILE.json` sends the file; the server checks it
 *  whole here and reports every problem with where it is
 *  (`areas[2].questions[0].max: ...`), or loads it in one transaction
 *  (framework_load() in sql/004_frameworks.sql). Rules: a code of letters,
 *  digits, `.`, `_`, `-`; unique area numbers and question codes; question
 *  codes start with their area's number; positive maxima with at most two
 *  decimals; each area's questions summing to its max; no unknown keys.
 */
#ifndef KP_FRAMEWORK_H
#define KP_FRAMEWORK_H

#include <jansson.h>
#include <stddef.h>

#include "arena.h"

/* At most this many problems are listed (then "... and N more"). */
#define KP_FRAMEWORK_MAX_PROBLEMS 50

/* Checks text. Returns the number of problems (0: valid); *problems gets
 * them one per line (in the arena), *doc the parsed document (caller's to
 * json_decref; NULL when not JSON). */
int kp_framework_check(kp_arena *arena, const char *text, char **problems, json_t **doc);

#endif
