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
