/*  publisher: the live-update thread.
 *
 *  Owns a database connection of its own that LISTENs on `kompass_updates`,
 *  and the table of subscriptions (server/subscriptions.h). Each event
 *  appended to an evaluation's audit chain NOTIFYs (trigger in
 *  sql/006_editing.sql), and so does each change of a section lock
 *  (sql/012_lock_updates.sql), in whichever kompassd made the change; every
 *  kompassd's publisher wakes up, reads the chain's new events itself and
 *  pushes one Update per event to the connections subscribed to that
 *  evaluation that may see it. So several kompassd on one database deliver
 *  every change, in chain order, whichever of them made it; NOTIFY carries
 *  only "evaluation:seq" (or a lock's key, holder id and times).
 *
 *  The PUB socket is still bound (for old clients' connections) but carries
 *  nothing: updates go only to sessions that may see them.
 *
 *  After losing the database it reconnects (every second at most) and
 *  publishes what it missed of the evaluations it knew. A subscriber that
 *  still misses something sees a jump in versions and takes a snapshot.
 */
#ifndef KP_PUBLISHER_H
#define KP_PUBLISHER_H

#include <stddef.h>

#include "stats.h"

typedef struct kp_publisher kp_publisher;

/* Sets up a socket before it is bound (CURVE server options); 0 or -1. */
typedef int (*kp_socket_setup)(void *sock, void *arg);

/* Binds the PUB socket on endpoint (after setup(sock, arg), if given) and
 * starts the thread, which keeps stats' subscriber gauge (stats may be
 * NULL). NULL with a sentence in err on failure. */
kp_publisher *kp_publisher_start(void *zctx, const char *endpoint, kp_socket_setup setup,
                                 void *setup_arg, const char *conninfo, const char *instance,
                                 kp_stats *stats, char *err, size_t errlen);

/* The endpoint actually bound. */
const char *kp_publisher_endpoint(const kp_publisher *self);

/* The inproc ROUTER where workers register subscriptions (kp_subs_register_call). */
const char *kp_publisher_subscribe_endpoint(const kp_publisher *self);

/* The inproc PAIR the broker connects to: pushes to send (kp_subs_forward). */
const char *kp_publisher_pushes_endpoint(const kp_publisher *self);

/* Waits (at most timeout_ms) until the thread LISTENs for changes, so that
 * none made after it returns goes unpublished; 0, or -1 on timeout (it goes
 * on trying: updates start once the database answers). */
int kp_publisher_wait_listening(kp_publisher *self, int timeout_ms);

/* Stops the thread, closes the socket, frees; sets *self_p to NULL. */
void kp_publisher_stop(kp_publisher **self_p);

#endif
