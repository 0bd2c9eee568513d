/*  rpc_ops: Health and Stats, for administrators watching a kompassd.
 *
 *  Both describe the instance that answers. Health asks the database (through
 *  the answering worker's connection) whether it is reachable and writable,
 *  which migrations it has, and which locks are held or awaited; the rest
 *  comes from the process's counters (server/stats.c), which cost nothing to
 *  read. Neither writes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpcs.h"
#include "lograte.h"
#include "migrate.h"
#include "rpc.h"
#include "stats.h"
#include "util.h"

const kp_stmt kp_rpc_ops_stmts[] = {
    /* Standbys of this node: pg_stat_replication shows rows to everyone, the
     * sync_state only to pg_monitor (or a superuser). */
    {"ops_health_db", "SELECT current_setting('server_version'), NOT pg_is_in_recovery(), "
                      "  (SELECT count(*) FROM pg_stat_replication), "
                      "  (SELECT count(*) FROM pg_stat_replication "
                      "     WHERE sync_state IN ('sync', 'quorum'))"},
    {"ops_migrations", "SELECT name FROM schema_migrations ORDER BY name"},
    /* Locks of other sessions on this database; virtualxid locks are every
     * transaction's own and say nothing. */
    {"ops_section_locks", "SELECT count(*) FROM section_locks WHERE expires_at > now()"},
    {"ops_locks",
     "SELECT count(*) FILTER (WHERE l.granted), count(*) FILTER (WHERE NOT l.granted), "
     "  coalesce((extract(epoch FROM max(clock_timestamp() - l.waitstart)) * 1000000)::bigint, 0) "
     "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
     "WHERE a.datname = current_database() AND l.pid <> pg_backend_pid() "
     "  AND l.locktype <> 'virtualxid'"},
    {NULL, NULL},
};

/* Compares the migrations compiled in with those applied: fills the
 * schema_* fields of h. KP_OK or a database status. */
static int s_schema(kp_req *r, Kompass__V1__HealthResponse *h)
{
    PGresult *res;
    int rc = kp_req_call(r, "ops_migrations", 0, NULL, &res);
    if (rc != KP_OK) return rc;
    int n_known = 0, n_applied = PQntuples(res);
    for (const kp_migration *m = kp_migrations; m->name; m++)
        n_known++;
    h->schema_latest = (char *)kp_migrate_latest(kp_migrations);
    h->schema_applied =
        n_applied ? kp_arena_strdup(r->arena, PQgetvalue(res, n_applied - 1, 0)) : "";
    h->schema_pending = kp_arena_alloc(r->arena, sizeof(char *) * (size_t)(n_known + 1));
    h->schema_unknown = kp_arena_alloc(r->arena, sizeof(char *) * (size_t)(n_applied + 1));
    for (const kp_migration *m = kp_migrations; m->name; m++) {
        int found = 0;
        for (int i = 0; i < n_applied && !found; i++)
            found = strcmp(PQgetvalue(res, i, 0), m->name) == 0;
        if (!found) h->schema_pending[h->n_schema_pending++] = (char *)m->name;
    }
    for (int i = 0; i < n_applied; i++) {
        int found = 0;
        for (const kp_migration *m = kp_migrations; m->name && !found; m++)
            found = strcmp(PQgetvalue(res, i, 0), m->name) == 0;
        if (!found)
            h->schema_unknown[h->n_schema_unknown++] =
                kp_arena_strdup(r->arena, PQgetvalue(res, i, 0));
    }
    h->schema_state = h->n_schema_unknown ? "ahead" : h->n_schema_pending ? "behind" : "current";
    return KP_OK;
}

/* Fills the database fields of h; a failure is reported in h, not as the
 * RPC's status (health describes a sick database rather than failing). */
static void s_database(kp_req *r, Kompass__V1__HealthResponse *h)
{
    PGresult *res;
    int rc = kp_req_call(r, "ops_health_db", 0, NULL, &res);
    if (rc == KP_OK) {
        h->database_reachable = 1;
        h->database_version = kp_arena_strdup(r->arena, PQgetvalue(res, 0, 0));
        h->database_primary = strcmp(PQgetvalue(res, 0, 1), "t") == 0;
        h->standbys = (uint32_t)atoi(PQgetvalue(res, 0, 2));
        h->sync_standbys = (uint32_t)atoi(PQgetvalue(res, 0, 3));
        PGconn *conn = kp_db_conn(r->db);
        const char *host = conn ? PQhost(conn) : NULL, *port = conn ? PQport(conn) : NULL;
        h->database_host = kp_arena_printf(r->arena, "%s:%s", host ? host : "?", port ? port : "?");
        rc = s_schema(r, h);
    }
    if (rc == KP_OK) rc = kp_req_call(r, "ops_locks", 0, NULL, &res);
    if (rc == KP_OK) {
        h->locks_held = (uint32_t)atoi(PQgetvalue(res, 0, 0));
        h->locks_waiting = (uint32_t)atoi(PQgetvalue(res, 0, 1));
        h->longest_lock_wait_us = atoll(PQgetvalue(res, 0, 2));
        rc = kp_req_call(r, "ops_section_locks", 0, NULL, &res);
    }
    if (rc == KP_OK) h->section_locks = (uint32_t)atoi(PQgetvalue(res, 0, 0));
    if (rc != KP_OK) {
        h->database_reachable = rc != KP_UNAVAILABLE && h->database_reachable;
        h->database_error = kp_arena_strdup(r->arena, kp_db_error(r->db));
    }
}

int kp_rpc_health(kp_req *r)
{
    Kompass__V1__HealthResponse *h = kp_arena_zalloc(r->arena, sizeof *h);
    kompass__v1__health_response__init(h);
    h->instance = (char *)r->server->instance;
    h->server_version = KOMPASS_VERSION;
    h->server_time_us = kp_now_us();
    h->started_us = r->server->started_us;
    h->database_error = "";
    h->database_host = "";
    h->database_version = "";
    h->schema_state = "";
    h->schema_latest = (char *)kp_migrate_latest(kp_migrations);
    h->schema_applied = "";
    s_database(r, h);
    const kp_stats *st = r->server->stats;
    h->clients = (uint32_t)kp_stats_gauge(st, KP_GAUGE_CLIENTS);
    h->subscribers = (uint32_t)kp_stats_gauge(st, KP_GAUGE_SUBSCRIBERS);
    h->queued = (uint32_t)kp_stats_gauge(st, KP_GAUGE_QUEUED);
    h->workers = (uint32_t)r->server->workers;
    h->workers_connected = (uint32_t)kp_stats_db_up(st);
    h->healthy =
        h->database_reachable && h->database_primary && strcmp(h->schema_state, "current") == 0;
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_HEALTH;
    r->resp->health = h;
    return KP_OK;
}

int kp_rpc_stats(kp_req *r)
{
    const kp_stats *st = r->server->stats;
    Kompass__V1__StatsResponse *out = kp_arena_zalloc(r->arena, sizeof *out);
    kompass__v1__stats_response__init(out);
    out->instance = (char *)r->server->instance;
    out->started_us = r->server->started_us;
    out->server_time_us = kp_now_us();
    out->n_bucket_bounds_us = KP_STATS_BUCKETS - 1;
    out->bucket_bounds_us = (uint64_t *)kp_stats_bounds_us;
    out->clients = (uint32_t)kp_stats_gauge(st, KP_GAUGE_CLIENTS);
    out->subscribers = (uint32_t)kp_stats_gauge(st, KP_GAUGE_SUBSCRIBERS);
    out->queued = (uint32_t)kp_stats_gauge(st, KP_GAUGE_QUEUED);
    out->workers = (uint32_t)r->server->workers;
    out->workers_connected = (uint32_t)kp_stats_db_up(st);
    out->malformed_frames = kp_lograte_events(KP_LOGRATE_MALFORMED);
    out->refused_busy = kp_lograte_events(KP_LOGRATE_REFUSED);
    out->log_lines_suppressed =
        kp_lograte_suppressed(KP_LOGRATE_MALFORMED) + kp_lograte_suppressed(KP_LOGRATE_REFUSED);

    int slots = kp_stats_slots(st);
    out->rpcs = kp_arena_alloc(r->arena, sizeof *out->rpcs * (size_t)(slots + 1));
    for (int slot = 0; slot < slots; slot++) {
        kp_stats_rpc c;
        kp_stats_read(st, slot, &c);
        if (c.requests == 0) continue;
        Kompass__V1__RpcStats *rs = kp_arena_zalloc(r->arena, sizeof *rs);
        kompass__v1__rpc_stats__init(rs);
        const char *name = kp_rpc_name(slot); /* NULL for slot 0 */
        rs->rpc = name ? (char *)name : "(not dispatched)";
        rs->requests = c.requests;
        rs->total_us = c.total_us;
        rs->p50_us = kp_stats_quantile_us(c.latency, 0.50);
        rs->p95_us = kp_stats_quantile_us(c.latency, 0.95);
        rs->p99_us = kp_stats_quantile_us(c.latency, 0.99);
        rs->n_latency_buckets = KP_STATS_BUCKETS;
        rs->latency_buckets = kp_arena_alloc(r->arena, sizeof(uint64_t) * KP_STATS_BUCKETS);
        memcpy(rs->latency_buckets, c.latency, sizeof(uint64_t) * KP_STATS_BUCKETS);
        rs->outcomes = kp_arena_alloc(r->arena, sizeof *rs->outcomes * KP_STATUS_COUNT);
        for (int s = 0; s < KP_STATUS_COUNT; s++) {
            if (!c.by_status[s]) continue;
            Kompass__V1__StatusCount *sc = kp_arena_zalloc(r->arena, sizeof *sc);
            kompass__v1__status_count__init(sc);
            sc->status = (Kompass__V1__Status)s;
            sc->count = c.by_status[s];
            rs->outcomes[rs->n_outcomes++] = sc;
        }
        out->rpcs[out->n_rpcs++] = rs;
    }
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_STATS;
    r->resp->stats = out;
    return KP_OK;
}
