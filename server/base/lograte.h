/*  lograte: a log that a hostile peer cannot fill (issue 16).
 *
 *  Events a peer can cause at will (a frame the server cannot read, a
 *  request refused because its client has its share in hand) are logged
 *  once per peer (its CURVE key, else its address), then counted; every
 *  10 s at most, each peer that caused more gets one summary line
 *  ("suppressed 4,812 malformed frames from KEY in the last 10 s"). At most
 *  KP_LOGRATE_NEW_PEERS new peers per kind are named per 10 s and at most
 *  KP_LOGRATE_PEERS are followed at once; the rest are summed into one line
 *  per kind ("... from other peers"). So the log grows by a bounded number
 *  of lines per 10 s whatever arrives.
 *
 *  One instance per process (like the log itself), safe from any thread (a
 *  mutex; events are rare on a healthy server). kp_lograte_flush writes the
 *  summaries that are due: the broker calls it about once a second.
 *  Counters (events and suppressed lines, since start) go to the Stats RPC.
 */
#ifndef KP_LOGRATE_H
#define KP_LOGRATE_H

#include <stdint.h>

typedef enum {
    KP_LOGRATE_MALFORMED = 0, /* a frame that is not a readable request */
    KP_LOGRATE_REFUSED,       /* a request refused: its client had its share in hand */
    KP_LOGRATE_KINDS
} kp_lograte_kind;

#define KP_LOGRATE_WINDOW_MS 10000 /* summaries at most this often per peer */
#define KP_LOGRATE_PEERS     64    /* peers followed by name at once */
#define KP_LOGRATE_NEW_PEERS 16    /* new peers named per kind per window */

/* One event of kind from peer ("" or NULL: unknown), at now_ms (a
 * monotonic clock); the line (info) is written if this peer is not being
 * summarised, else it is counted. module and fmt as for kp_log. */
void kp_lograte_event(kp_lograte_kind kind, const char *peer, int64_t now_ms, const char *module,
                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Writes the summaries due at now_ms and forgets peers quiet for a window. */
void kp_lograte_flush(int64_t now_ms);

/* Since start: events of kind, and event lines not written (summarised). */
uint64_t kp_lograte_events(kp_lograte_kind kind);
uint64_t kp_lograte_suppressed(kp_lograte_kind kind);

/* Forgets everything (counters too): for tests. */
void kp_lograte_reset(void);

#endif
