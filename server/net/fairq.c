/*  fairq: the broker's waiting room, fair across clients (see fairq.h).
 *
 *  A client is a connection or a live session, found by its key in a hash
 *  table (SipHash with a key of this process: a peer choosing its routing
 *  id cannot make the chains long). Clients with requests waiting form a
 *  ring; kp_fairq_pop serves the client at the ring's cursor and moves the
 *  cursor on, and a client whose queue fills again joins just behind the
 *  cursor, that is, at the end of the current round. Items in hand are also
 *  indexed by ticket, so that a worker's answer finds its item by number.
 *
 *  A connection's client is freed as soon as it has nothing in hand; a
 *  live session's is kept (so that its next request counts for it at once)
 *  until kp_fairq_expire finds it idle.
 */
#include "fairq.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define TABLE_SIZE    4096 /* hash chains, clients and tickets alike (a power of two) */
#define MAX_TOKEN_LEN 256  /* a longer token is no session's: it counts as none */

enum { KIND_CONNECTION = 'c', KIND_SESSION = 's' };

typedef struct client client;

struct kp_fair_item {
    client *c;            /* whose it is */
    void *user;           /* the caller's */
    uint64_t ticket;      /* its number while in hand */
    uint8_t *token;       /* the request's token, when it counts for its connection */
    size_t token_len;     /* (so that a worker's SESSION_LIVE can make it a session's) */
    int waiting, started; /* in its client's queue / with a worker */
    kp_fair_item *next;   /* in its client's queue */
    kp_fair_item *tnext;  /* in its ticket chain */
};

struct client {
    int kind;              /* KIND_CONNECTION or KIND_SESSION */
    uint8_t *key;          /* routing id or token */
    size_t key_len;        /*  */
    client *hnext;         /* in its hash chain */
    kp_fair_item *head;    /* waiting requests, oldest first */
    kp_fair_item *tail;    /*  */
    int queued;            /* waiting */
    int in_hand;           /* admitted and not yet done (waiting, started or neither) */
    client *rnext, *rprev; /* in the ring while queued > 0 */
    int live;              /* a session a worker found live */
    int64_t seen_ms;       /* when a worker last found it live */
};

struct kp_fairq {
    kp_fairq_limits limits;
    unsigned char hash_key[crypto_shorthash_KEYBYTES];
    client *clients[TABLE_SIZE];
    kp_fair_item *tickets[TABLE_SIZE];
    client *ring; /* the client served next; NULL when nothing waits */
    int n_clients, queued, in_flight;
    uint64_t next_ticket;
    int64_t now_ms; /* the clock as kp_fairq_expire last gave it */
};

kp_fairq *kp_fairq_new(const kp_fairq_limits *limits)
{
    if (sodium_init() < 0) return NULL;
    kp_fairq *self = calloc(1, sizeof *self);
    if (!self) return NULL;
    self->limits = *limits;
    randombytes_buf(self->hash_key, sizeof self->hash_key);
    self->next_ticket = 1;
    return self;
}

static void s_client_free(client *c)
{
    free(c->key);
    free(c);
}

void kp_fairq_destroy(kp_fairq **self_p)
{
    if (!self_p || !*self_p) return;
    kp_fairq *self = *self_p;
    for (int i = 0; i < TABLE_SIZE; i++) {
        for (kp_fair_item *it = self->tickets[i], *next; it; it = next) {
            next = it->tnext;
            free(it->token);
            free(it);
        }
        for (client *c = self->clients[i], *next; c; c = next) {
            next = c->hnext;
            s_client_free(c);
        }
    }
    free(self);
    *self_p = NULL;
}

static size_t s_chain(const kp_fairq *self, int kind, const void *key, size_t len)
{
    unsigned char h[crypto_shorthash_BYTES];
    /* libsodium has no incremental shorthash: hash kind and key as one. */
    unsigned char buf[MAX_TOKEN_LEN + 1];
    buf[0] = (unsigned char)kind;
    memcpy(buf + 1, key, len);
    crypto_shorthash(h, buf, len + 1, self->hash_key);
    uint64_t v;
    memcpy(&v, h, sizeof v);
    return (size_t)(v & (TABLE_SIZE - 1));
}

static client *s_find(kp_fairq *self, int kind, const void *key, size_t len, size_t *chain)
{
    *chain = s_chain(self, kind, key, len);
    for (client *c = self->clients[*chain]; c; c = c->hnext)
        if (c->kind == kind && c->key_len == len && memcmp(c->key, key, len) == 0) return c;
    return NULL;
}

static client *s_find_or_add(kp_fairq *self, int kind, const void *key, size_t len)
{
    size_t chain;
    client *c = s_find(self, kind, key, len, &chain);
    if (c) return c;
    c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->key = malloc(len ? len : 1);
    if (!c->key) {
        free(c);
        return NULL;
    }
    memcpy(c->key, key, len);
    c->key_len = len;
    c->kind = kind;
    c->hnext = self->clients[chain];
    self->clients[chain] = c;
    self->n_clients++;
    return c;
}

/* Frees c when nothing keeps it: nothing in hand, and no live session. */
static void s_maybe_free(kp_fairq *self, client *c)
{
    if (c->in_hand > 0 || c->live) return;
    size_t chain = s_chain(self, c->kind, c->key, c->key_len);
    for (client **p = &self->clients[chain]; *p; p = &(*p)->hnext)
        if (*p == c) {
            *p = c->hnext;
            break;
        }
    self->n_clients--;
    s_client_free(c);
}

static int s_varint(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64 && *p < end; shift += 7) {
        uint8_t b = *(*p)++;
        v |= (uint64_t)(b & 0x7F) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return -1;
}

int kp_fairq_field(const void *frame, size_t len, unsigned field, const uint8_t **out,
                   size_t *out_len)
{
    const uint8_t *p = frame, *end = p + len;
    int found = -1;
    while (p < end) {
        uint64_t tag, v;
        if (s_varint(&p, end, &tag) != 0) return -1;
        switch (tag & 7) {
        case 0:
            if (s_varint(&p, end, &v) != 0) return -1;
            break;
        case 1:
            if ((size_t)(end - p) < 8) return -1;
            p += 8;
            break;
        case 2:
            if (s_varint(&p, end, &v) != 0 || v > (uint64_t)(end - p)) return -1;
            if (tag >> 3 == field) { /* the last one counts, as when unpacking */
                *out = p;
                *out_len = (size_t)v;
                found = v > 0 ? 0 : -1;
            }
            p += v;
            break;
        case 5:
            if ((size_t)(end - p) < 4) return -1;
            p += 4;
            break;
        default:
            return -1;
        }
    }
    return found;
}

int kp_fairq_token(const void *frame, size_t len, const uint8_t **token, size_t *token_len)
{
    return kp_fairq_field(frame, len, 3, token, token_len);
}

kp_fairq_verdict kp_fairq_admit(kp_fairq *self, const void *conn, size_t conn_len,
                                const void *frame, size_t frame_len, void *user, kp_fair_item **out)
{
    *out = NULL;
    const uint8_t *token = NULL;
    size_t token_len = 0;
    if (kp_fairq_token(frame, frame_len, &token, &token_len) != 0 || token_len > MAX_TOKEN_LEN)
        token = NULL;
    if (conn_len > MAX_TOKEN_LEN) conn_len = MAX_TOKEN_LEN; /* routing ids are at most 255 */
    client *c = NULL;
    size_t chain;
    if (token) {
        c = s_find(self, KIND_SESSION, token, token_len, &chain);
        if (c && !c->live) c = NULL;
    }
    int for_session = c != NULL;
    if (!c) c = s_find_or_add(self, KIND_CONNECTION, conn, conn_len);
    if (!c) return KP_FAIRQ_SERVER_FULL;
    int limit = for_session ? self->limits.per_session : self->limits.per_connection;
    kp_fairq_verdict verdict = KP_FAIRQ_ADMITTED;
    if (c->in_hand >= limit)
        verdict = KP_FAIRQ_CLIENT_FULL;
    else if (self->queued >= self->limits.total_queued)
        verdict = KP_FAIRQ_SERVER_FULL;
    kp_fair_item *it = verdict == KP_FAIRQ_ADMITTED ? calloc(1, sizeof *it) : NULL;
    if (it && token && !for_session) {
        it->token = malloc(token_len);
        if (it->token) {
            memcpy(it->token, token, token_len);
            it->token_len = token_len;
        }
    }
    if (!it) {
        s_maybe_free(self, c);
        return verdict == KP_FAIRQ_ADMITTED ? KP_FAIRQ_SERVER_FULL : verdict;
    }
    it->c = c;
    it->user = user;
    it->ticket = self->next_ticket++;
    size_t t = (size_t)(it->ticket & (TABLE_SIZE - 1));
    it->tnext = self->tickets[t];
    self->tickets[t] = it;
    c->in_hand++;
    *out = it;
    return KP_FAIRQ_ADMITTED;
}

/* Puts c into the ring just behind the cursor: last of the current round. */
static void s_ring_add(kp_fairq *self, client *c)
{
    if (!self->ring) {
        c->rnext = c->rprev = c;
        self->ring = c;
        return;
    }
    client *cur = self->ring;
    c->rnext = cur;
    c->rprev = cur->rprev;
    cur->rprev->rnext = c;
    cur->rprev = c;
}

static void s_ring_remove(kp_fairq *self, client *c)
{
    if (c->rnext == c) {
        self->ring = NULL;
    } else {
        c->rprev->rnext = c->rnext;
        c->rnext->rprev = c->rprev;
        if (self->ring == c) self->ring = c->rnext;
    }
    c->rnext = c->rprev = NULL;
}

void kp_fairq_push(kp_fairq *self, kp_fair_item *item)
{
    client *c = item->c;
    item->next = NULL;
    item->waiting = 1;
    if (c->tail)
        c->tail->next = item;
    else
        c->head = item;
    c->tail = item;
    if (c->queued++ == 0) s_ring_add(self, c);
    self->queued++;
}

kp_fair_item *kp_fairq_pop(kp_fairq *self)
{
    client *c = self->ring;
    if (!c) return NULL;
    kp_fair_item *it = c->head;
    c->head = it->next;
    if (!c->head) c->tail = NULL;
    it->next = NULL;
    it->waiting = 0;
    self->queued--;
    if (--c->queued == 0)
        s_ring_remove(self, c);
    else
        self->ring = c->rnext; /* its next request waits for the next round */
    return it;
}

void kp_fairq_start(kp_fairq *self, kp_fair_item *item)
{
    if (item->started) return;
    item->started = 1;
    self->in_flight++;
}

/* Learns what a worker found about token. */
static void s_learn(kp_fairq *self, client *c, const uint8_t *token, size_t len,
                    kp_fairq_session session)
{
    size_t chain;
    client *sc = c->kind == KIND_SESSION ? c
                 : token                 ? s_find(self, KIND_SESSION, token, len, &chain)
                                         : NULL;
    if (session == KP_FAIRQ_SESSION_LIVE) {
        if (!sc && token) sc = s_find_or_add(self, KIND_SESSION, token, len);
        if (!sc) return;
        sc->live = 1;
        sc->seen_ms = self->now_ms;
    } else if (session == KP_FAIRQ_SESSION_DEAD && sc) {
        sc->live = 0;
        if (sc != c) s_maybe_free(self, sc); /* c is freed by the caller if it may be */
    }
}

void kp_fairq_done(kp_fairq *self, kp_fair_item *item, kp_fairq_session session)
{
    client *c = item->c;
    size_t t = (size_t)(item->ticket & (TABLE_SIZE - 1));
    for (kp_fair_item **p = &self->tickets[t]; *p; p = &(*p)->tnext)
        if (*p == item) {
            *p = item->tnext;
            break;
        }
    if (item->waiting) { /* dropped while waiting: out of its queue */
        kp_fair_item **p = &c->head, *prev = NULL;
        while (*p && *p != item) {
            prev = *p;
            p = &(*p)->next;
        }
        if (*p) {
            *p = item->next;
            if (c->tail == item) c->tail = prev;
            self->queued--;
            if (--c->queued == 0) s_ring_remove(self, c);
        }
    }
    if (item->started) self->in_flight--;
    c->in_hand--;
    if (session != KP_FAIRQ_SESSION_UNKNOWN)
        s_learn(self, c, item->token, item->token_len, session);
    free(item->token);
    free(item);
    s_maybe_free(self, c);
}

void *kp_fairq_user(const kp_fair_item *item)
{
    return item->user;
}

uint64_t kp_fairq_ticket(const kp_fair_item *item)
{
    return item->ticket;
}

kp_fair_item *kp_fairq_find(kp_fairq *self, uint64_t ticket)
{
    for (kp_fair_item *it = self->tickets[ticket & (TABLE_SIZE - 1)]; it; it = it->tnext)
        if (it->ticket == ticket) return it;
    return NULL;
}

int kp_fairq_queued(const kp_fairq *self)
{
    return self->queued;
}

int kp_fairq_in_flight(const kp_fairq *self)
{
    return self->in_flight;
}

int kp_fairq_clients(const kp_fairq *self)
{
    return self->n_clients;
}

void kp_fairq_expire(kp_fairq *self, int64_t now_ms, int64_t idle_ms)
{
    self->now_ms = now_ms;
    for (int i = 0; i < TABLE_SIZE; i++)
        for (client *c = self->clients[i], *next; c; c = next) {
            next = c->hnext;
            if (c->live && c->in_hand == 0 && now_ms - c->seen_ms > idle_ms) {
                c->live = 0;
                s_maybe_free(self, c);
            }
        }
}
