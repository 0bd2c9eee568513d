/*  arena: per-request memory, freed all at once.
 *
 *  A list of blocks; allocation bumps a pointer in the newest block, and a
 *  request larger than a block gets a block of its own. Reset frees every
 *  block but the first, so a worker's steady state allocates nothing.
 *  Reset callbacks are a list in the arena's own memory, newest first.
 */
#include "arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK_SIZE (64 * 1024)
#define ALIGN      16

typedef struct block {
    struct block *next; /* the previously filled block */
    size_t size;        /* usable bytes in data */
    size_t used;        /* bytes handed out */
    _Alignas(ALIGN) unsigned char data[];
} block;

typedef struct cleanup {
    struct cleanup *next; /* the one registered before */
    void (*fn)(void *);
    void *arg;
} cleanup;

struct kp_arena {
    block *head;       /* the block allocations come from */
    size_t footprint;  /* bytes obtained from malloc */
    cleanup *cleanups; /* kp_arena_on_reset, newest first */
};

static block *s_block_new(size_t size)
{
    block *b = malloc(sizeof(block) + size);
    if (!b) {
        fputs("kompass: out of memory\n", stderr);
        abort();
    }
    b->next = NULL;
    b->size = size;
    b->used = 0;
    return b;
}

kp_arena *kp_arena_new(void)
{
    kp_arena *self = calloc(1, sizeof(*self));
    if (!self) return NULL;
    self->head = s_block_new(BLOCK_SIZE);
    self->footprint = sizeof(block) + BLOCK_SIZE;
    return self;
}

/* Runs the reset callbacks, newest first, until none is left: one that a
 * callback registers goes on a fresh list, run in the next round. */
static void s_run_cleanups(kp_arena *self)
{
    while (self->cleanups) {
        cleanup *c = self->cleanups;
        self->cleanups = NULL;
        for (; c; c = c->next)
            c->fn(c->arg);
    }
}

void kp_arena_on_reset(kp_arena *self, void (*fn)(void *), void *arg)
{
    cleanup *c = kp_arena_alloc(self, sizeof *c);
    c->fn = fn;
    c->arg = arg;
    c->next = self->cleanups;
    self->cleanups = c;
}

void kp_arena_destroy(kp_arena **self_p)
{
    if (!self_p || !*self_p) return;
    kp_arena *self = *self_p;
    s_run_cleanups(self);
    block *b = self->head;
    while (b) {
        block *next = b->next;
        free(b);
        b = next;
    }
    free(self);
    *self_p = NULL;
}

void kp_arena_reset(kp_arena *self)
{
    s_run_cleanups(self);
    block *b = self->head;
    while (b->next) {
        block *next = b->next;
        self->footprint -= sizeof(block) + b->size;
        free(b);
        b = next;
    }
    b->used = 0;
    self->head = b;
}

void *kp_arena_alloc(kp_arena *self, size_t size)
{
    size_t need = (size + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    if (need == 0) need = ALIGN;
    block *b = self->head;
    if (b->size - b->used < need) {
        size_t bsize = need > BLOCK_SIZE / 4 ? need : BLOCK_SIZE;
        block *nb = s_block_new(bsize);
        self->footprint += sizeof(block) + bsize;
        nb->next = b;
        self->head = nb;
        b = nb;
    }
    void *p = b->data + b->used;
    b->used += need;
    return p;
}

void *kp_arena_zalloc(kp_arena *self, size_t size)
{
    void *p = kp_arena_alloc(self, size);
    memset(p, 0, size);
    return p;
}

char *kp_arena_strndup(kp_arena *self, const char *s, size_t n)
{
    if (!s) return NULL;
    char *p = kp_arena_alloc(self, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *kp_arena_strdup(kp_arena *self, const char *s)
{
    if (!s) return NULL;
    return kp_arena_strndup(self, s, strlen(s));
}

char *kp_arena_vprintf(kp_arena *self, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0) return kp_arena_strdup(self, "");
    char *p = kp_arena_alloc(self, (size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    return p;
}

char *kp_arena_printf(kp_arena *self, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = kp_arena_vprintf(self, fmt, ap);
    va_end(ap);
    return p;
}

size_t kp_arena_footprint(const kp_arena *self)
{
    return self->footprint;
}

static void *s_pb_alloc(void *data, size_t size)
{
    return kp_arena_alloc(data, size);
}

static void s_pb_free(void *data, void *ptr)
{
    (void)data;
    (void)ptr;
}

ProtobufCAllocator kp_arena_allocator(kp_arena *self)
{
    ProtobufCAllocator a = {s_pb_alloc, s_pb_free, self};
    return a;
}

char *kp_arena_join(kp_arena *self, char *const *items, size_t n, const char *sep, size_t max)
{
    size_t shown = n < max ? n : max, len = 1;
    for (size_t i = 0; i < shown; i++)
        len += strlen(items[i]) + strlen(sep);
    len += strlen(sep) + 3;
    char *out = kp_arena_alloc(self, len), *p = out;
    *p = 0;
    for (size_t i = 0; i < shown; i++)
        p += sprintf(p, "%s%s", i ? sep : "", items[i]);
    if (n > shown) sprintf(p, "%s...", sep);
    return out;
}
