/*  arena: per-request memory. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "arena.h"

Test(arena, allocations_are_aligned_and_distinct)
{
    kp_arena *a = kp_arena_new();
    char *p = kp_arena_alloc(a, 3), *q = kp_arena_alloc(a, 5);
    cr_assert_eq((uintptr_t)p % 16, 0);
    cr_assert_eq((uintptr_t)q % 16, 0);
    cr_assert(q >= p + 3);
    kp_arena_destroy(&a);
    cr_assert_null(a, "destroy sets the caller's pointer to NULL");
}

Test(arena, large_allocations_and_reset_return_to_one_block)
{
    kp_arena *a = kp_arena_new();
    size_t base = kp_arena_footprint(a);
    for (int i = 0; i < 100; i++)
        memset(kp_arena_alloc(a, 10000), i, 10000);
    char *big = kp_arena_alloc(a, 5 * 1024 * 1024);
    memset(big, 1, 5 * 1024 * 1024);
    cr_assert_gt(kp_arena_footprint(a), base + 5 * 1024 * 1024);
    kp_arena_reset(a);
    cr_assert_eq(kp_arena_footprint(a), base);
    kp_arena_destroy(&a);
}

Test(arena, strings_and_printf)
{
    kp_arena *a = kp_arena_new();
    cr_assert_str_eq(kp_arena_strdup(a, "Västerås"), "Västerås");
    cr_assert_str_eq(kp_arena_strndup(a, "abcdef", 3), "abc");
    cr_assert_null(kp_arena_strdup(a, NULL));
    cr_assert_str_eq(kp_arena_printf(a, "%d of %d", 616, 800), "616 of 800");
    kp_arena_destroy(&a);
}

Test(arena, zalloc_zeroes)
{
    kp_arena *a = kp_arena_new();
    memset(kp_arena_alloc(a, 64), 0xff, 64);
    kp_arena_reset(a);
    unsigned char *z = kp_arena_zalloc(a, 64);
    for (int i = 0; i < 64; i++)
        cr_assert_eq(z[i], 0);
    kp_arena_destroy(&a);
}

/* A log of callback calls: each appends its own number. */
typedef struct {
    int calls[16];
    int n;
    kp_arena *arena;
} cb_log;

typedef struct {
    cb_log *log;
    int id;
} cb_arg;

static void s_record(void *p)
{
    cb_arg *a = p;
    a->log->calls[a->log->n++] = a->id;
}

static cb_arg *s_arg(kp_arena *arena, cb_log *log, int id)
{
    cb_arg *a = kp_arena_alloc(arena, sizeof *a); /* read by the callback: still there */
    a->log = log;
    a->id = id;
    return a;
}

Test(arena, reset_callbacks_run_newest_first_once)
{
    kp_arena *a = kp_arena_new();
    cb_log log = {0};
    for (int i = 1; i <= 3; i++)
        kp_arena_on_reset(a, s_record, s_arg(a, &log, i));
    kp_arena_reset(a);
    cr_assert_eq(log.n, 3);
    cr_assert_eq(log.calls[0], 3);
    cr_assert_eq(log.calls[1], 2);
    cr_assert_eq(log.calls[2], 1);
    kp_arena_reset(a);
    cr_assert_eq(log.n, 3, "a callback runs at one reset only");
    kp_arena_destroy(&a);
    cr_assert_eq(log.n, 3);
}

Test(arena, destroy_runs_the_callbacks)
{
    kp_arena *a = kp_arena_new();
    cb_log log = {0};
    kp_arena_on_reset(a, s_record, s_arg(a, &log, 7));
    kp_arena_destroy(&a);
    cr_assert_eq(log.n, 1);
    cr_assert_eq(log.calls[0], 7);
}

/* Registers another callback (id + 10) while the reset runs. */
static void s_register_more(void *p)
{
    cb_arg *a = p;
    a->log->calls[a->log->n++] = a->id;
    if (a->id < 10) {
        kp_arena *arena = a->log->arena;
        kp_arena_on_reset(arena, s_register_more, s_arg(arena, a->log, a->id + 10));
    }
}

Test(arena, callbacks_registered_during_a_reset_run_in_it)
{
    kp_arena *a = kp_arena_new();
    cb_log log = {0};
    log.arena = a;
    kp_arena_on_reset(a, s_register_more, s_arg(a, &log, 1));
    kp_arena_on_reset(a, s_record, s_arg(a, &log, 2));
    kp_arena_reset(a);
    cr_assert_eq(log.n, 3);
    cr_assert_eq(log.calls[0], 2);
    cr_assert_eq(log.calls[1], 1);
    cr_assert_eq(log.calls[2], 11, "the late one runs in the same reset");
    kp_arena_reset(a);
    cr_assert_eq(log.n, 3, "and is not left for the next");
    kp_arena_destroy(&a);
}

static void s_count(void *p)
{
    (*(int *)p)++;
}

Test(arena, callbacks_spanning_many_blocks_all_run)
{
    kp_arena *a = kp_arena_new();
    size_t base = kp_arena_footprint(a);
    int count = 0;
    for (int i = 0; i < 20000; i++)
        kp_arena_on_reset(a, s_count, &count);
    cr_assert_gt(kp_arena_footprint(a), base);
    kp_arena_reset(a);
    cr_assert_eq(count, 20000);
    cr_assert_eq(kp_arena_footprint(a), base);
    kp_arena_destroy(&a);
    cr_assert_eq(count, 20000);
}
