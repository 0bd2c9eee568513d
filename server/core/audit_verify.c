/*  audit_verify: recomputing the hash chains (see audit_verify.h). */
#include "audit_verify.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "status.h"

#define PAGE "1000"

const kp_stmt kp_audit_verify_stmts[] = {
    {"audit_verify_page", "SELECT " KP_AUDIT_COLUMNS " FROM audit_events "
                          "WHERE evaluation_id = $1::bigint AND seq > $2::bigint "
                          "ORDER BY seq LIMIT " PAGE},
    {"audit_chains", "SELECT DISTINCT evaluation_id FROM audit_events ORDER BY 1"},
    {NULL, NULL},
};

/* The first 12 hex digits, enough to tell hashes apart in a sentence. */
static const char *s_short(kp_arena *a, const char *hash)
{
    return kp_arena_strndup(a, hash, 12);
}

/* Appends a clause to *problem ("a; b"). */
static void s_add(kp_arena *a, const char **problem, const char *clause)
{
    *problem = *problem ? kp_arena_printf(a, "%s; %s", *problem, clause) : clause;
}

/* Checks one event against its predecessor (prev_*); NULL if it matches,
 * else what differs. */
static const char *s_check(kp_arena *a, const kp_audit_record *e, int64_t prev_id, int64_t prev_seq,
                           const char *prev_hash)
{
    const char *problem = NULL;
    if (e->seq != prev_seq + 1)
        s_add(a, &problem,
              prev_seq == 0
                  ? kp_arena_printf(a,
                                    "the chain starts at seq %" PRId64 ", not 1: events before "
                                    "it were deleted or renumbered",
                                    e->seq)
                  : kp_arena_printf(a,
                                    "sequence gap: seq %" PRId64 " follows seq %" PRId64
                                    ": events between were deleted or renumbered",
                                    e->seq, prev_seq));
    if (prev_seq > 0 && e->id < prev_id)
        s_add(a, &problem,
              kp_arena_printf(a,
                              "out of order: written before the event preceding it (id %" PRId64
                              "): sequence numbers were changed",
                              prev_id));
    if (strcmp(e->prev_hash, prev_hash) != 0)
        s_add(a, &problem,
              prev_seq == 0
                  ? kp_arena_printf(a, "link broken: prev_hash %s… is not the genesis value",
                                    s_short(a, e->prev_hash))
                  : kp_arena_printf(
                        a, "link broken: prev_hash %s… is not the hash of seq %" PRId64 " (%s…)",
                        s_short(a, e->prev_hash), prev_seq, s_short(a, prev_hash)));
    char computed[65];
    if (kp_audit_hash(e, computed) != 0)
        s_add(a, &problem, "out of memory while hashing");
    else if (strcmp(computed, e->hash) != 0)
        s_add(a, &problem,
              kp_arena_printf(a, "content changed: the fields hash to %s…, the stored hash is %s…",
                              s_short(a, computed), s_short(a, e->hash)));
    return problem;
}

int kp_audit_verify_chain(kp_db *db, kp_arena *arena, int64_t evaluation_id,
                          kp_audit_chain_report *out)
{
    memset(out, 0, sizeof *out);
    out->evaluation_id = evaluation_id;
    out->ok = 1;
    strcpy(out->head_hash, KP_AUDIT_GENESIS);
    int64_t prev_id = 0;
    char chain[24], after[24];
    snprintf(chain, sizeof chain, "%" PRId64, evaluation_id);
    for (;;) {
        snprintf(after, sizeof after, "%" PRId64, out->head_seq);
        const char *params[2] = {chain, after};
        PGresult *res = NULL;
        int rc = kp_db_call(db, "audit_verify_page", 2, params, &res);
        if (rc != KP_OK) return rc;
        int n = PQntuples(res);
        for (int i = 0; i < n; i++) {
            kp_audit_record e;
            kp_audit_record_from_row(res, i, &e);
            out->events++;
            const char *problem = s_check(arena, &e, prev_id, out->head_seq, out->head_hash);
            if (problem) {
                out->ok = 0;
                out->bad_id = e.id;
                out->bad_seq = e.seq;
                out->bad_at_us = e.at_us;
                out->problem = problem;
                PQclear(res);
                return KP_OK;
            }
            prev_id = e.id;
            out->head_seq = e.seq;
            snprintf(out->head_hash, sizeof out->head_hash, "%s", e.hash);
        }
        PQclear(res);
        if (n < atoi(PAGE)) return KP_OK;
    }
}

int kp_audit_chains(kp_db *db, kp_arena *arena, int64_t **ids, size_t *n)
{
    PGresult *res = NULL;
    int rc = kp_db_call(db, "audit_chains", 0, NULL, &res);
    if (rc != KP_OK) return rc;
    *n = (size_t)PQntuples(res);
    *ids = kp_arena_alloc(arena, (*n ? *n : 1) * sizeof **ids);
    for (size_t i = 0; i < *n; i++)
        (*ids)[i] = strtoll(PQgetvalue(res, (int)i, 0), NULL, 10);
    PQclear(res);
    return KP_OK;
}
