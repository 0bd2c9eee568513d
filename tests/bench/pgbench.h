/*  pgbench: kompass-bench's measure of the database's own limit.
 *
 *  Runs PostgreSQL's pgbench on kompassd's database with one of the scripts
 *  kept beside this file (pgbench-write.sql, pgbench-read.sql), the same
 *  number of clients as kompass-bench's own, for a given time, and reads
 *  back what it did: transactions, failures, and every transaction's
 *  latency (from pgbench's per-transaction log), so that kompassd and the
 *  database itself are reported the same way, side by side.
 *
 *  The write script works on scratch tables (schema kompass_bench) that
 *  kb_pgbench_prepare makes and kb_pgbench_cleanup drops: kompassd's own
 *  scores and audit chains are never touched by pgbench.
 */
#ifndef KB_PGBENCH_H
#define KB_PGBENCH_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int64_t transactions; /* done, over every run */
    int64_t failed;       /* pgbench's "number of failed transactions" */
    double seconds;       /* transactions / pgbench's tps, summed over runs */
    int64_t *lat_us;      /* every transaction's latency, microseconds */
    size_t n_lat, cap_lat;
    char error[512]; /* the first problem, "" when none */
} kb_pgbench_result;

/* Makes the write script's scratch tables for clients x questions score
 * rows (dropping any left by an earlier run). 0, or -1 with err. */
int kb_pgbench_prepare(const char *conninfo, int clients, int questions, char *err, size_t errlen);

/* Runs pgbench: script (a path), clients, seconds, and the variables defs
 * ("name=value", NULL-terminated) with -M prepared, adding its figures to
 * *out. 0, or -1 with out->error set (pgbench not found, exited non-zero). */
int kb_pgbench_run(const char *conninfo, const char *script, int clients, double seconds,
                   const char *const *defs, kb_pgbench_result *out);

/* Drops the scratch tables. */
void kb_pgbench_cleanup(const char *conninfo);

/* The pgbench program: $KOMPASS_PGBENCH, else pgbench on PATH, else
 * PostgreSQL 15's. */
const char *kb_pgbench_program(void);

#endif
