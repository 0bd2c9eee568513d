/*  subscriptions: who receives which live updates, on their request connection.
 *
 *  A client subscribes with the Subscribe RPC on its one authenticated
 *  DEALER connection; the worker that handles it registers the connection's
 *  routing id, session and filter (exact evaluation ids, or "all I may
 *  see") with the publisher thread, which owns the table, and waits for the
 *  publisher's answer, so a subscription is in force before its reply goes
 *  out. The publisher hands each Update for evaluation E to the broker
 *  (through an inproc PAIR) for exactly the subscribers whose filter names E
 *  and whose session is live and may see E now: admins every evaluation,
 *  others those whose team they are on (evaluation_members), read from the
 *  database at each delivery, so a team change counts from the next update.
 *  The broker, sole owner of the front ROUTER, sends them on without
 *  blocking; a client that has gone is reported back and forgotten.
 *
 *  A subscription ends, with a pushed Update `subscription.end`, when its
 *  session ends (logout, password change or reset, user disabled, expiry:
 *  checked every second and before every delivery) or, for one exact
 *  evaluation, when its team no longer includes the caller. Nothing is ever
 *  sent to a connection without a live session.
 *
 *  Threads: kp_subs_* run in the publisher thread, kp_subs_register_call in
 *  a worker, kp_subs_forward in the broker; each with its own sockets.
 */
#ifndef KP_SUBSCRIPTIONS_H
#define KP_SUBSCRIPTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "db.h"
#include "wire.h"

#define KP_SUBS_MAX_IDS 1000 /* evaluation ids in one subscription */

typedef struct kp_subs kp_subs;

/* What a worker registers for a connection. */
typedef struct {
    int64_t session_id; /* sessions.id */
    int64_t user_id;
    int32_t all; /* every evaluation the session may see */
    int32_t n_ids;
} kp_sub_reg;

/* A table that pushes through out (the publisher's PAIR to the broker). */
kp_subs *kp_subs_new(void *out, const char *instance);

void kp_subs_destroy(kp_subs **self_p);

/* How many connections are subscribed. */
size_t kp_subs_count(const kp_subs *self);

/* What is wrong with a Subscribe request before any database (a sentence,
 * or NULL); its evaluation ids sorted, without repeats, into *ids (arena). */
const char *kp_subs_request_problem(kp_arena *arena, const Kompass__V1__SubscribeRequest *in,
                                    int64_t **ids, size_t *n);

/* Registers (or, without ids and all, unregisters) connection rid with reg
 * and its ids (ids_len bytes); 1 when it was subscribed, 0 when not, -1
 * when the registration is malformed (nothing changed). */
int kp_subs_apply(kp_subs *self, const void *rid, size_t rlen, const kp_sub_reg *reg,
                  const void *ids, size_t ids_len);

/* Reads one registration from sock (the publisher's ROUTER) and answers it:
 * [worker][seq][routing id][kp_sub_reg][ids] -> [worker][seq][0|1: it was
 * subscribed]. No ids and not all: unsubscribes. */
void kp_subs_on_register(kp_subs *self, void *sock);

/* Forgets the connection whose routing id the broker reports gone (one
 * frame read from out). */
void kp_subs_on_gone(kp_subs *self);

/* Whether any subscription could want updates of eval_id. */
int kp_subs_wants(const kp_subs *self, int64_t eval_id);

/* Pushes updates u[0..n) (all of eval_id) to every subscriber that may see
 * eval_id now; ends the subscriptions of ended sessions, and exact ones to
 * eval_id whose caller left its team. A database failure delivers nothing
 * (the clients' catch-up covers it). */
void kp_subs_deliver(kp_subs *self, kp_db *db, kp_arena *arena, int64_t eval_id,
                     Kompass__V1__Update **u, size_t n);

/* Ends the subscriptions whose session has ended (each with a pushed
 * subscription.end). Cheap to call every second. */
void kp_subs_check_sessions(kp_subs *self, kp_db *db, kp_arena *arena);

/* In a worker: registers the connection rid (rlen bytes) with reg and ids
 * through sock (the worker's DEALER to the publisher) and waits for the
 * answer, at most timeout_ms. KP_OK with *was_subscribed, or KP_UNAVAILABLE. */
int kp_subs_register_call(void *sock, const void *rid, size_t rlen, const kp_sub_reg *reg,
                          const int64_t *ids, int *was_subscribed, int timeout_ms);

/* In the broker: sends one push read from pushes ([routing id][Response])
 * to front without blocking; reports a vanished client back on pushes. */
void kp_subs_forward(void *pushes, void *front);

extern const kp_stmt kp_subscriptions_stmts[];

#endif
