/*  audit_verify: recomputes the audit trail's hash chains from the stored
 *  events and reports, per chain, OK or the first event that does not match.
 *
 *  An event matches when, walking its chain in sequence order:
 *    - its seq is the previous event's seq + 1 (the first is 1): a gap means
 *      events were deleted or renumbered;
 *    - its row id is greater than the previous event's (ids are drawn under
 *      the chain's lock, so they grow with seq): otherwise events were
 *      reordered;
 *    - its prev_hash is the previous event's hash (genesis: 64 zeros);
 *    - its hash is the SHA-256 of its canonical form (audit.h).
 *  A chain whose last events were deleted still verifies: compare head_hash
 *  with a head recorded earlier (docs/audit.md, "What verify cannot see").
 *
 *  Reads a page of events at a time, so a long chain costs little memory.
 */
#ifndef KP_AUDIT_VERIFY_H
#define KP_AUDIT_VERIFY_H

#include <stdint.h>

#include "arena.h"
#include "db.h"

typedef struct {
    int64_t evaluation_id; /* the chain */
    int ok;                /* 1: every event matched */
    int64_t events;        /* events checked, the failing one included */
    int64_t head_seq;      /* the last event that matched (0: none) */
    char head_hash[65];    /* its hash (genesis when none) */
    /* The first event that does not match, when !ok: */
    int64_t bad_id;
    int64_t bad_seq;
    int64_t bad_at_us;
    const char *problem; /* what differs, for a person (in the arena) */
} kp_audit_chain_report;

extern const kp_stmt kp_audit_verify_stmts[];

/* Verifies chain evaluation_id (0: global) into *out. KP_OK (whether or not
 * the chain matched: see out->ok) or the database's failure status. */
int kp_audit_verify_chain(kp_db *db, kp_arena *arena, int64_t evaluation_id,
                          kp_audit_chain_report *out);

/* Every chain that has events, ascending, into *ids (arena) and *n. */
int kp_audit_chains(kp_db *db, kp_arena *arena, int64_t **ids, size_t *n);

#endif
