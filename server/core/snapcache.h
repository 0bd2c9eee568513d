/*  snapcache: evaluation snapshots kept in memory, shared by the workers.
 *
 *  EvalSnapshot (rpc_eval_watch.c) reads nine statements' worth of an
 *  evaluation; most reads find it unchanged. This module keeps the full
 *  snapshot of each recently read evaluation (every evaluator's scores,
 *  texts, locks), so that a read can be answered from memory; the caller's
 *  visibility (blind scoring) is applied when answering, by copying only the
 *  scores the caller may see into the request's arena.
 *
 *  An entry is used only while all of this holds:
 *  - the evaluation's stamp (version, status, blind phase, a digest of its
 *    locks), as the request's authorisation check has just read it from
 *    the database with the caller's relation, is the entry's (so every
 *    audited change, a reopen, the end of blind scoring and a lock taken,
 *    renewed or released are seen by the next read on any kompassd, at
 *    once, whether or not a notification has arrived);
 *  - the publisher is LISTENing (kp_snapcache_listening) and no change
 *    notification of the evaluation arrived since the entry was read
 *    (kp_snapcache_invalidate: audit events and lock changes, from any
 *    kompassd on the database; the publisher calls it on each);
 *  - it is younger than the time to live (what neither the stamp nor a
 *    notification tells: a team member's new full name), and no lock it
 *    shows has expired (locks end by time, and the table keeps the row).
 *  Losing the LISTEN connection empties the cache and stops its use until
 *  the publisher listens again: notifications missed meanwhile cannot leave
 *  stale entries. A fill that a notification overtook (it arrived while the
 *  snapshot was being read) is answered but not kept (the ticket).
 *
 *  Bounded in memory: entries past the byte limit are evicted, least
 *  recently used first. Thread-safe (one mutex; answers are copied outside
 *  it, entries are reference counted).
 */
#ifndef KP_SNAPCACHE_H
#define KP_SNAPCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "wire.h"

/* What a snapshot of an evaluation depends on, read with it: its version,
 * status, blind phase and a digest of its locks (KP_EVAL_STAMP_COLUMNS in
 * authz.h). Two reads with equal stamps read the same snapshot. */
typedef struct {
    int64_t version;
    const char *status;
    int blind;
    const char *locks;
} kp_snap_stamp;

/* A full snapshot: scores[i] is evaluator evaluators[i]'s. */
typedef struct {
    const Kompass__V1__EvalSnapshotResponse *snap;
    const int64_t *evaluators;
    kp_snap_stamp stamp; /* as read in the snapshot's own transaction */
} kp_snapshot;

/* What the evaluation looked like when a fill began: see kp_snapcache_put. */
typedef struct {
    uint64_t epoch, gen;
    int64_t started_ms;
} kp_snap_ticket;

/* How long an entry lives at most: the bound on what no notification and
 * no version tells (a user's new full name, a lost notification). */
#define KP_SNAPCACHE_TTL_MS 1000

/* Turns the cache on with a bound of max_bytes and entries living at most
 * ttl_ms (max_bytes 0: off, every read goes to the database). Before the
 * workers start; the cache starts unused until the publisher listens. */
void kp_snapcache_init(size_t max_bytes, int ttl_ms);

/* Frees every entry (after the workers and the publisher have stopped). */
void kp_snapcache_shutdown(void);

/* The publisher listens (on 1, after LISTEN succeeded) or lost its
 * connection (0): either way every entry is dropped. */
void kp_snapcache_listening(int on);

/* A change notification about eval_id arrived: its entry is dropped, and
 * fills that began before are not kept. */
void kp_snapcache_invalidate(int64_t eval_id);

/* Answers from the cache: when an entry for eval_id has this stamp and may
 * be used, copies it into arena (its scores only those of evaluator
 * only_evaluator, when not 0) and returns 1; else 0. */
int kp_snapcache_get(int64_t eval_id, const kp_snap_stamp *stamp, int64_t only_evaluator,
                     kp_arena *arena, Kompass__V1__EvalSnapshotResponse **out);

/* Taken before a fill reads the database. */
kp_snap_ticket kp_snapcache_ticket(int64_t eval_id);

/* Keeps snap (copied) as eval_id's entry, unless a notification about it
 * (or a change of the publisher's connection) came after ticket was taken;
 * valid_ms: how long from the ticket the snapshot stays true without a
 * notification (the earliest lock's end), the time to live at most. */
void kp_snapcache_put(int64_t eval_id, const kp_snap_ticket *ticket, const kp_snapshot *snap,
                      int64_t valid_ms);

/* Counters for tests and logs: answers from memory, fills kept. */
void kp_snapcache_counts(int64_t *hits, int64_t *fills, size_t *bytes);

#endif
