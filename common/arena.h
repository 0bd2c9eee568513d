/*  arena: per-request memory, freed all at once.
 *
 *  PostgreSQL's memory contexts, reduced to what a request needs: every
 *  allocation made while handling one request (decoded protobuf, strings,
 *  result rows copied out of libpq) comes from the request's arena, and
 *  kp_arena_reset() frees it all when the reply has been sent. Memory that is
 *  not the arena's (a libpq result, a jansson value) joins it through a reset
 *  callback (kp_arena_on_reset), as PostgreSQL's memory context callbacks do:
 *  handlers cannot leak, and need no free() calls.
 *
 *  Not thread-safe: an arena belongs to one worker thread.
 */
#ifndef KP_ARENA_H
#define KP_ARENA_H

#include <stdarg.h>
#include <stddef.h>
#include <protobuf-c/protobuf-c.h>

typedef struct kp_arena kp_arena;

/* A new, empty arena; NULL when out of memory. */
kp_arena *kp_arena_new(void);

/* Frees the arena and everything allocated from it; sets *self_p to NULL. */
void kp_arena_destroy(kp_arena **self_p);

/* Frees everything allocated from the arena, keeping its first block. */
void kp_arena_reset(kp_arena *self);

/* Calls fn(arg) at the next kp_arena_reset or kp_arena_destroy, before the
 * arena's memory goes (fn may still read it): callbacks run newest first.
 * One registered while callbacks run (by one of them) runs in the same
 * reset, after those. The registration lives in the arena: no failure. */
void kp_arena_on_reset(kp_arena *self, void (*fn)(void *), void *arg);

/* size bytes, aligned for any type; aborts when out of memory. */
void *kp_arena_alloc(kp_arena *self, size_t size);

/* size zeroed bytes. */
void *kp_arena_zalloc(kp_arena *self, size_t size);

/* A copy of s (NULL gives NULL). */
char *kp_arena_strdup(kp_arena *self, const char *s);

/* A copy of the first n bytes of s, NUL-terminated. */
char *kp_arena_strndup(kp_arena *self, const char *s, size_t n);

/* printf into the arena. */
char *kp_arena_printf(kp_arena *self, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *kp_arena_vprintf(kp_arena *self, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* Bytes currently allocated from the system for this arena. */
size_t kp_arena_footprint(const kp_arena *self);

/* items[0..n) joined by sep, at most max of them ("..." after), in the arena. */
char *kp_arena_join(kp_arena *self, char *const *items, size_t n, const char *sep, size_t max);

/* A protobuf-c allocator drawing from the arena (its free is a no-op). */
ProtobufCAllocator kp_arena_allocator(kp_arena *self);

#endif
