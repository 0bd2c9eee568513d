/*  fairq: the broker's waiting room, fair across clients (issue 16).
 *
 *  Every request in hand (waiting for a worker, or with one) belongs to one
 *  client: its session, once the session is known to be live, else the
 *  connection it came on (the ZeroMQ routing id). A client may have at most
 *  a bounded number of requests in hand (kp_fairq_limits); beyond that
 *  kp_fairq_admit refuses, for that client alone. Waiting requests sit in
 *  one queue per client, and kp_fairq_pop takes turns over the clients that
 *  have some (round robin, one request per turn), so a client with a
 *  thousand requests waiting makes another wait for one of them per worker,
 *  not for all of them.
 *
 *  Which token is a live session is learnt from the workers, never guessed:
 *  a request's token is only its session's key after a worker said so in
 *  kp_fairq_done (SESSION_LIVE); until then, and for a token a worker found
 *  dead (SESSION_DEAD), the request counts for its connection. So a client
 *  inventing tokens gets no more than its connections' shares.
 *
 *  Knows nothing of ZeroMQ: an item carries the caller's pointer (user).
 *  One thread (the broker's) uses a kp_fairq; nothing here locks.
 */
#ifndef KP_FAIRQ_H
#define KP_FAIRQ_H

#include <stddef.h>
#include <stdint.h>

typedef struct kp_fairq kp_fairq;
typedef struct kp_fair_item kp_fair_item;

typedef struct {
    int per_session;    /* requests in hand per live session */
    int per_connection; /* requests in hand per connection, for what has no live session */
    int total_queued;   /* requests waiting, all clients together */
} kp_fairq_limits;

/* The defaults: 64 per session, 16 per connection, 10,000 waiting. */
#define KP_FAIRQ_PER_SESSION    64
#define KP_FAIRQ_PER_CONNECTION 16
#define KP_FAIRQ_TOTAL_QUEUED   10000

/* Why kp_fairq_admit refused. */
typedef enum {
    KP_FAIRQ_ADMITTED = 0,
    KP_FAIRQ_CLIENT_FULL, /* this client has its share in hand */
    KP_FAIRQ_SERVER_FULL  /* total_queued requests wait already */
} kp_fairq_verdict;

/* What a worker found about a request's session token. */
typedef enum {
    KP_FAIRQ_SESSION_UNKNOWN = 0, /* no token, or not looked at */
    KP_FAIRQ_SESSION_LIVE,        /* the token is a live session */
    KP_FAIRQ_SESSION_DEAD         /* the token is no (longer a) session */
} kp_fairq_session;

/* NULL when out of memory. */
kp_fairq *kp_fairq_new(const kp_fairq_limits *limits);

/* Frees every item (not their user pointers: pop the waiting ones first to
 * free those) and sets *self_p to NULL. */
void kp_fairq_destroy(kp_fairq **self_p);

/* Takes a request in for its client: conn is the connection's id, frame the
 * serialized kompass.v1.Request (only its session_token is read, and a frame
 * that does not parse simply has none). *out is the new item, neither
 * waiting nor started (kp_fairq_push or kp_fairq_start it); or, refused,
 * NULL and the reason. */
kp_fairq_verdict kp_fairq_admit(kp_fairq *self, const void *conn, size_t conn_len,
                                const void *frame, size_t frame_len, void *user,
                                kp_fair_item **out);

/* Queues an admitted item behind its client's other waiting requests. */
void kp_fairq_push(kp_fairq *self, kp_fair_item *item);

/* The next waiting item, taking turns over clients; NULL when none waits.
 * The caller starts it (kp_fairq_start) or drops it (kp_fairq_done). */
kp_fair_item *kp_fairq_pop(kp_fairq *self);

/* Marks an admitted (or popped) item as handed to a worker. */
void kp_fairq_start(kp_fairq *self, kp_fair_item *item);

/* The item is answered: its client has one fewer in hand; what the worker
 * learnt about its session token. Frees the item. */
void kp_fairq_done(kp_fairq *self, kp_fair_item *item, kp_fairq_session session);

/* The caller's pointer given to kp_fairq_admit. */
void *kp_fairq_user(const kp_fair_item *item);

/* A stable number for an item in hand (to travel with it to a worker), and
 * the item it names; NULL for a number that names no item in hand. */
uint64_t kp_fairq_ticket(const kp_fair_item *item);
kp_fair_item *kp_fairq_find(kp_fairq *self, uint64_t ticket);

/* Requests waiting / handed to workers, all clients together. */
int kp_fairq_queued(const kp_fairq *self);
int kp_fairq_in_flight(const kp_fairq *self);

/* Clients known (with requests in hand, or live sessions remembered). */
int kp_fairq_clients(const kp_fairq *self);

/* Forgets live sessions with nothing in hand that were not seen for
 * idle_ms (they are learnt again from their next request). now_ms is any
 * monotonic clock, the same on every call. */
void kp_fairq_expire(kp_fairq *self, int64_t now_ms, int64_t idle_ms);

/* A length-delimited field (a string) of a serialized message, without
 * unpacking it: the last occurrence of field number `field` (as unpacking
 * takes it). 0 with *out and *out_len pointing into frame, -1 when the frame
 * holds none, an empty one, or does not parse. */
int kp_fairq_field(const void *frame, size_t len, unsigned field, const uint8_t **out,
                   size_t *out_len);

/* The session_token (field 3) of a serialized Request (kp_fairq_field). */
int kp_fairq_token(const void *frame, size_t len, const uint8_t **token, size_t *token_len);

#endif
