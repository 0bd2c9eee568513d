/*  content: the canonical content of an evaluation, what a signature signs.
 *
 *  One compact JSON document with sorted keys (jansson JSON_COMPACT |
 *  JSON_SORT_KEYS, UTF-8 as is), byte for byte what is hashed (SHA-256,
 *  lower-case hex). It holds what a reader of the final report relies on:
 *
 *      {"content_version":V,            last version that changed scores or texts
 *       "evaluation":{"id","label","municipality","period","revision","source"},
 *       "format":"kompass-content/1",
 *       "framework":{"code","name","total_max_centi"},
 *       "scores":{"1.1":{"max_centi":1500,"points_centi":1400},...},   every question;
 *                                                   points_centi null when unset
 *       "texts":{"1":{"improvements":[..],"strengths":[..],"summary":".."},...},
 *       "followup":{"of":P,"items":[{"area":1,"item":"1.1","note":"..",
 *                   "status":"remains","text":"..","version":V},...]}}
 *                                                   only when the evaluation
 *                                                   follows up items
 *                                                   (followup.h); status null
 *                                                   when not assessed
 *
 *  "municipality" is the register's name, except for a signed evaluation:
 *  the name in its signed revision's content (a later correction of the
 *  name, kompass municipality edit, does not rewrite what was signed).
 *
 *  docs/signoff.md describes it for auditors, with a way to recompute it.
 */
#ifndef KP_CONTENT_H
#define KP_CONTENT_H

#include <stdint.h>

#include "req.h"

/* The evaluation's current content and its hash, from the live tables, in
 * r's transaction. *content is in r's arena. Errors are set on r. */
int kp_content_build(kp_req *r, int64_t eval_id, const char **content, char hash_hex[65]);

/* SHA-256 of text, as 64 lower-case hex digits. */
void kp_content_hash(const char *text, char hash_hex[65]);

extern const kp_stmt kp_content_stmts[];

#endif
