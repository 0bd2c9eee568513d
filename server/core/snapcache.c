/*  snapcache: evaluation snapshots kept in memory (see snapcache.h). */
#include "snapcache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

#define N_BUCKETS 1024 /* hash chains; also the invalidation counters */

typedef struct entry {
    int64_t eval_id;
    char status[32], locks[40]; /* the stamp's (s.stamp points here) */
    int64_t deadline_ms;        /* monotonic: not used from then on */
    kp_arena *arena;            /* the copy lives here */
    kp_snapshot s;
    size_t bytes;
    int refs;                    /* readers copying from it */
    int dead;                    /* unlinked: freed when refs reach 0 */
    struct entry *next;          /* its bucket's chain */
    struct entry *newer, *older; /* recency list */
} entry;

static struct {
    pthread_mutex_t mu;
    int on, listening;
    size_t max_bytes, bytes;
    int ttl_ms;
    uint64_t epoch;
    uint64_t gens[N_BUCKETS];
    entry *buckets[N_BUCKETS];
    entry *newest, *oldest;
    int64_t hits, fills;
} S = {.mu = PTHREAD_MUTEX_INITIALIZER};

static size_t s_bucket(int64_t eval_id)
{
    return (size_t)((uint64_t)eval_id * 11400714819323198485ull >> 54) % N_BUCKETS;
}

static void s_free(entry *e)
{
    kp_arena_destroy(&e->arena);
    free(e);
}

/* Unlinks e from its chain and the recency list (under the mutex). */
static void s_unlink(entry *e)
{
    entry **p = &S.buckets[s_bucket(e->eval_id)];
    while (*p && *p != e)
        p = &(*p)->next;
    if (*p) *p = e->next;
    if (e->newer)
        e->newer->older = e->older;
    else
        S.newest = e->older;
    if (e->older)
        e->older->newer = e->newer;
    else
        S.oldest = e->newer;
    S.bytes -= e->bytes;
    e->dead = 1;
    if (e->refs == 0) s_free(e);
}

static entry *s_find(int64_t eval_id)
{
    entry *e = S.buckets[s_bucket(eval_id)];
    while (e && e->eval_id != eval_id)
        e = e->next;
    return e;
}

static void s_drop_all(void)
{
    while (S.oldest)
        s_unlink(S.oldest);
}

void kp_snapcache_init(size_t max_bytes, int ttl_ms)
{
    pthread_mutex_lock(&S.mu);
    s_drop_all();
    S.on = max_bytes > 0;
    S.max_bytes = max_bytes;
    S.ttl_ms = ttl_ms;
    S.epoch++;
    pthread_mutex_unlock(&S.mu);
}

void kp_snapcache_shutdown(void)
{
    pthread_mutex_lock(&S.mu);
    if (S.on)
        kp_info("snapcache", "%lld snapshots answered from memory, %lld read and kept",
                (long long)S.hits, (long long)S.fills);
    s_drop_all();
    S.on = 0;
    S.listening = 0;
    S.epoch++;
    pthread_mutex_unlock(&S.mu);
}

void kp_snapcache_listening(int on)
{
    pthread_mutex_lock(&S.mu);
    s_drop_all();
    S.listening = on;
    S.epoch++;
    pthread_mutex_unlock(&S.mu);
}

void kp_snapcache_invalidate(int64_t eval_id)
{
    pthread_mutex_lock(&S.mu);
    S.gens[s_bucket(eval_id)]++;
    entry *e = s_find(eval_id);
    if (e) s_unlink(e);
    pthread_mutex_unlock(&S.mu);
}

static char *s_dup(kp_arena *a, const char *s)
{
    return kp_arena_strdup(a, s ? s : "");
}

static Kompass__V1__Score *s_copy_score(kp_arena *a, const Kompass__V1__Score *x)
{
    Kompass__V1__Score *s = kp_arena_alloc(a, sizeof *s);
    kompass__v1__score__init(s);
    s->question = s_dup(a, x->question);
    s->evaluator = s_dup(a, x->evaluator);
    s->evaluator_name = s_dup(a, x->evaluator_name);
    s->points_centi = x->points_centi;
    s->rationale = s_dup(a, x->rationale);
    s->version = x->version;
    s->written_by = s_dup(a, x->written_by);
    s->written_at_us = x->written_at_us;
    return s;
}

static Kompass__V1__AreaText *s_copy_text(kp_arena *a, const Kompass__V1__AreaText *x)
{
    Kompass__V1__AreaText *t = kp_arena_alloc(a, sizeof *t);
    kompass__v1__area_text__init(t);
    t->area = x->area;
    t->title = s_dup(a, x->title);
    t->section = s_dup(a, x->section);
    t->summary = s_dup(a, x->summary);
    t->n_items = x->n_items;
    t->items = kp_arena_alloc(a, sizeof(char *) * (x->n_items + 1));
    for (size_t k = 0; k < x->n_items; k++)
        t->items[k] = s_dup(a, x->items[k]);
    t->version = x->version;
    t->written_by = s_dup(a, x->written_by);
    t->written_at_us = x->written_at_us;
    t->approved = x->approved;
    return t;
}

static Kompass__V1__LockInfo *s_copy_lock(kp_arena *a, const Kompass__V1__LockInfo *x)
{
    Kompass__V1__LockInfo *l = kp_arena_alloc(a, sizeof *l);
    kompass__v1__lock_info__init(l);
    l->area = x->area;
    l->section = s_dup(a, x->section);
    l->holder = s_dup(a, x->holder);
    l->holder_name = s_dup(a, x->holder_name);
    l->acquired_at_us = x->acquired_at_us;
    l->expires_at_us = x->expires_at_us;
    return l;
}

/* A deep copy of s into a, its scores only only's (when not 0); their
 * evaluators into *evaluators when asked. */
static Kompass__V1__EvalSnapshotResponse *s_copy(kp_arena *a, const kp_snapshot *s, int64_t only,
                                                 int64_t **evaluators)
{
    const Kompass__V1__EvalSnapshotResponse *x = s->snap;
    Kompass__V1__EvalSnapshotResponse *o = kp_arena_alloc(a, sizeof *o);
    kompass__v1__eval_snapshot_response__init(o);
    o->version = x->version;
    o->status = s_dup(a, x->status);
    o->scores = kp_arena_alloc(a, sizeof(void *) * (x->n_scores + 1));
    if (evaluators) *evaluators = kp_arena_alloc(a, sizeof(int64_t) * (x->n_scores + 1));
    for (size_t i = 0; i < x->n_scores; i++) {
        if (only && s->evaluators[i] != only) continue;
        if (evaluators) (*evaluators)[o->n_scores] = s->evaluators[i];
        o->scores[o->n_scores++] = s_copy_score(a, x->scores[i]);
    }
    o->n_texts = x->n_texts;
    o->texts = kp_arena_alloc(a, sizeof(void *) * (x->n_texts + 1));
    for (size_t i = 0; i < x->n_texts; i++)
        o->texts[i] = s_copy_text(a, x->texts[i]);
    o->n_locks = x->n_locks;
    o->locks = kp_arena_alloc(a, sizeof(void *) * (x->n_locks + 1));
    for (size_t i = 0; i < x->n_locks; i++)
        o->locks[i] = s_copy_lock(a, x->locks[i]);
    return o;
}

/* The entry to answer from, with a reference taken; NULL: none. */
static entry *s_take(int64_t eval_id, const kp_snap_stamp *stamp)
{
    if (!S.on || !S.listening) return NULL;
    entry *e = s_find(eval_id);
    if (!e) return NULL;
    if (kp_mono_ms() >= e->deadline_ms) {
        s_unlink(e);
        return NULL;
    }
    const kp_snap_stamp *t = &e->s.stamp;
    if (t->version != stamp->version || t->blind != stamp->blind ||
        strcmp(t->status, stamp->status) != 0 || strcmp(t->locks, stamp->locks) != 0)
        return NULL;
    if (e != S.newest) { /* to the front of the recency list */
        e->newer->older = e->older;
        if (e->older)
            e->older->newer = e->newer;
        else
            S.oldest = e->newer;
        e->older = S.newest;
        e->newer = NULL;
        S.newest->newer = e;
        S.newest = e;
    }
    e->refs++;
    S.hits++;
    return e;
}

int kp_snapcache_get(int64_t eval_id, const kp_snap_stamp *stamp, int64_t only_evaluator,
                     kp_arena *arena, Kompass__V1__EvalSnapshotResponse **out)
{
    if (!stamp->status || !stamp->locks) return 0;
    pthread_mutex_lock(&S.mu);
    entry *e = s_take(eval_id, stamp);
    pthread_mutex_unlock(&S.mu);
    if (!e) return 0;
    *out = s_copy(arena, &e->s, only_evaluator, NULL);
    pthread_mutex_lock(&S.mu);
    if (--e->refs == 0 && e->dead) s_free(e);
    pthread_mutex_unlock(&S.mu);
    return 1;
}

kp_snap_ticket kp_snapcache_ticket(int64_t eval_id)
{
    kp_snap_ticket t;
    t.started_ms = kp_mono_ms();
    pthread_mutex_lock(&S.mu);
    t.epoch = S.listening ? S.epoch : 0; /* 0: never kept */
    t.gen = S.gens[s_bucket(eval_id)];
    pthread_mutex_unlock(&S.mu);
    return t;
}

void kp_snapcache_put(int64_t eval_id, const kp_snap_ticket *ticket, const kp_snapshot *snap,
                      int64_t valid_ms)
{
    pthread_mutex_lock(&S.mu);
    int on = S.on && ticket->epoch;
    int ttl = S.ttl_ms;
    pthread_mutex_unlock(&S.mu);
    const kp_snap_stamp *t = &snap->stamp;
    if (!on || !t->status || !t->locks || strlen(t->status) >= sizeof((entry *)0)->status ||
        strlen(t->locks) >= sizeof((entry *)0)->locks)
        return;
    if (valid_ms > ttl) valid_ms = ttl;
    if (valid_ms <= 0) return;
    entry *e = calloc(1, sizeof *e);
    e->eval_id = eval_id;
    kp_strlcpy(e->status, t->status, sizeof e->status);
    kp_strlcpy(e->locks, t->locks, sizeof e->locks);
    e->s.stamp = (kp_snap_stamp){t->version, e->status, t->blind, e->locks};
    e->deadline_ms = ticket->started_ms + valid_ms;
    e->arena = kp_arena_new();
    int64_t *evaluators = NULL;
    e->s.snap = s_copy(e->arena, snap, 0, &evaluators);
    e->s.evaluators = evaluators;
    e->bytes = kp_arena_footprint(e->arena) + sizeof *e;
    pthread_mutex_lock(&S.mu);
    if (!S.on || ticket->epoch != S.epoch || !S.listening ||
        ticket->gen != S.gens[s_bucket(eval_id)] || e->bytes > S.max_bytes) {
        pthread_mutex_unlock(&S.mu);
        s_free(e);
        return;
    }
    entry *old = s_find(eval_id);
    if (old) s_unlink(old);
    size_t b = s_bucket(eval_id);
    e->next = S.buckets[b];
    S.buckets[b] = e;
    e->older = S.newest;
    if (S.newest)
        S.newest->newer = e;
    else
        S.oldest = e;
    S.newest = e;
    S.bytes += e->bytes;
    S.fills++;
    while (S.bytes > S.max_bytes && S.oldest != e)
        s_unlink(S.oldest);
    pthread_mutex_unlock(&S.mu);
}

void kp_snapcache_counts(int64_t *hits, int64_t *fills, size_t *bytes)
{
    pthread_mutex_lock(&S.mu);
    if (hits) *hits = S.hits;
    if (fills) *fills = S.fills;
    if (bytes) *bytes = S.bytes;
    pthread_mutex_unlock(&S.mu);
}
