/*  stats: counters that are exact with one writer per shard and readers at
 *  any time, buckets where the bounds say, quantiles from the buckets, and a
 *  cost per request small enough to leave on. */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <pthread.h>

#include "stats.h"
#include "util.h"

Test(stats, a_latency_lands_in_the_bucket_its_bound_says)
{
    kp_stats *st = kp_stats_new(1, 2);
    kp_stats_record(st, 0, 1, KP_OK, 100);      /* <= 100 us: bucket 0 */
    kp_stats_record(st, 0, 1, KP_OK, 101);      /* bucket 1 (<= 250) */
    kp_stats_record(st, 0, 1, KP_OK, 10000000); /* <= 10 s: the last bounded bucket */
    kp_stats_record(st, 0, 1, KP_OK, 10000001); /* above: the open bucket */
    kp_stats_rpc c;
    kp_stats_read(st, 1, &c);
    cr_assert_eq(c.latency[0], 1);
    cr_assert_eq(c.latency[1], 1);
    cr_assert_eq(c.latency[KP_STATS_BUCKETS - 2], 1);
    cr_assert_eq(c.latency[KP_STATS_BUCKETS - 1], 1);
    cr_assert_eq(c.requests, 4);
    cr_assert_eq(c.total_us, 100 + 101 + 10000000 + 10000001);
    kp_stats_destroy(&st);
    cr_assert_null(st);
}

Test(stats, outcomes_by_status_and_out_of_range_input_is_not_lost)
{
    kp_stats *st = kp_stats_new(2, 3);
    kp_stats_record(st, 0, 2, KP_CONFLICT, 5);
    kp_stats_record(st, 1, 2, KP_CONFLICT, 5);
    kp_stats_record(st, 1, 2, KP_OK, 5);
    kp_stats_record(st, 0, 99, KP_OK, 5); /* unknown slot: counted in slot 0 */
    kp_stats_record(st, 0, 1, 12345, 5);  /* unknown status: INTERNAL */
    kp_stats_record(st, 7, 1, KP_OK, 5);  /* no such shard: ignored, not a crash */
    kp_stats_rpc c;
    kp_stats_read(st, 2, &c);
    cr_assert_eq(c.by_status[KP_CONFLICT], 2);
    cr_assert_eq(c.by_status[KP_OK], 1);
    cr_assert_eq(c.requests, 3);
    kp_stats_read(st, 0, &c);
    cr_assert_eq(c.requests, 1);
    kp_stats_read(st, 1, &c);
    cr_assert_eq(c.by_status[KP_INTERNAL], 1);
    cr_assert_eq(c.requests, 1);
    kp_stats_destroy(&st);
}

Test(stats, quantiles_are_bucket_upper_bounds)
{
    uint64_t h[KP_STATS_BUCKETS] = {0};
    cr_assert_eq(kp_stats_quantile_us(h, 0.5), 0, "empty");
    h[0] = 50; /* <= 100 us */
    h[3] = 45; /* <= 1 ms */
    h[9] = 5;  /* <= 100 ms */
    cr_assert_eq(kp_stats_quantile_us(h, 0.50), 100);
    cr_assert_eq(kp_stats_quantile_us(h, 0.51), 1000);
    cr_assert_eq(kp_stats_quantile_us(h, 0.95), 1000);
    cr_assert_eq(kp_stats_quantile_us(h, 0.96), 100000);
    cr_assert_eq(kp_stats_quantile_us(h, 1.0), 100000);
    uint64_t open[KP_STATS_BUCKETS] = {0};
    open[KP_STATS_BUCKETS - 1] = 1;
    cr_assert_eq(kp_stats_quantile_us(open, 0.99), 10000000, "the open bucket's lower bound");
}

Test(stats, gauges_and_database_connections)
{
    kp_stats *st = kp_stats_new(3, 1);
    kp_stats_gauge_add(st, KP_GAUGE_CLIENTS, 2);
    kp_stats_gauge_add(st, KP_GAUGE_CLIENTS, -1);
    kp_stats_gauge_set(st, KP_GAUGE_QUEUED, 7);
    cr_assert_eq(kp_stats_gauge(st, KP_GAUGE_CLIENTS), 1);
    cr_assert_eq(kp_stats_gauge(st, KP_GAUGE_QUEUED), 7);
    kp_stats_gauge_add(st, KP_GAUGE_SUBSCRIBERS, -1);
    cr_assert_eq(kp_stats_gauge(st, KP_GAUGE_SUBSCRIBERS), 0, "never negative");
    kp_stats_set_db_up(st, 0, 1);
    kp_stats_set_db_up(st, 2, 1);
    cr_assert_eq(kp_stats_db_up(st), 2);
    kp_stats_set_db_up(st, 0, 0);
    cr_assert_eq(kp_stats_db_up(st), 1);
    kp_stats_destroy(&st);
}

#define WRITERS    4
#define PER_WRITER 200000

typedef struct {
    kp_stats *st;
    int shard;
} writer_arg;

static void *s_writer(void *p)
{
    writer_arg *w = p;
    for (int i = 0; i < PER_WRITER; i++)
        kp_stats_record(w->st, w->shard, 1 + i % 2, i % 10 ? KP_OK : KP_NOT_FOUND, i % 3000);
    return NULL;
}

/* Writers in their own shards, a reader summing meanwhile: the final sums
 * are exact, and what the reader saw never went down. */
Test(stats, concurrent_writers_and_a_reader_agree, .timeout = 120)
{
    kp_stats *st = kp_stats_new(WRITERS, 3);
    pthread_t t[WRITERS];
    writer_arg args[WRITERS];
    for (int i = 0; i < WRITERS; i++) {
        args[i] = (writer_arg){st, i};
        pthread_create(&t[i], NULL, s_writer, &args[i]);
    }
    uint64_t last = 0;
    for (int i = 0; i < 200; i++) {
        kp_stats_rpc c;
        kp_stats_read(st, 1, &c);
        cr_assert_geq(c.requests, last, "a count went down");
        last = c.requests;
    }
    for (int i = 0; i < WRITERS; i++)
        pthread_join(t[i], NULL);
    kp_stats_rpc a, b;
    kp_stats_read(st, 1, &a);
    kp_stats_read(st, 2, &b);
    cr_assert_eq(a.requests + b.requests, (uint64_t)WRITERS * PER_WRITER);
    cr_assert_eq(a.by_status[KP_NOT_FOUND] + b.by_status[KP_NOT_FOUND],
                 (uint64_t)WRITERS * PER_WRITER / 10);
    uint64_t in_buckets = 0;
    for (int k = 0; k < KP_STATS_BUCKETS; k++)
        in_buckets += a.latency[k];
    cr_assert_eq(in_buckets, a.requests);
    kp_stats_destroy(&st);
}

/* What counting costs per request, against the cheapest request (a ping,
 * about 100 us end to end). The bound is loose on purpose: it fails on a
 * lock or a syscall on the hot path, not on a slow machine. */
Test(stats, recording_costs_well_under_a_microsecond_per_request, .timeout = 120)
{
    kp_stats *st = kp_stats_new(1, 16);
    enum { N = 2000000 };
    int64_t t0 = kp_mono_us();
    for (int i = 0; i < N; i++)
        kp_stats_record(st, 0, i % 16, KP_OK, i % 5000);
    double ns = (double)(kp_mono_us() - t0) * 1000.0 / N;
    cr_log_info("kp_stats_record: %.1f ns per request", ns);
    cr_assert_lt(ns, 1000.0, "%.1f ns per request", ns);
    kp_stats_rpc c;
    uint64_t total = 0;
    for (int s = 0; s < 16; s++) {
        kp_stats_read(st, s, &c);
        total += c.requests;
    }
    cr_assert_eq(total, N);
    kp_stats_destroy(&st);
}
