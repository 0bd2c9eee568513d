/*  cmd_admin: operations for administrators (the server decides who).
 *
 *  kompass admin health           is the answering kompassd fit to serve?
 *  kompass admin stats            its request counters since it started
 *  kompass admin backup FILE      a pg_dump of its database, into FILE
 *
 *  health exits 0 when healthy, 6 when the database is unreachable or not
 *  writable, 1 when the schema is not this kompassd's (behind or ahead).
 */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "cli.h"
#include "util.h"

/* "3 d 4 h", "2 h 5 min", "4 min 10 s", "12 s" */
static const char *s_duration(kp_cli *cli, int64_t us)
{
    int64_t s = us / 1000000;
    if (s < 0) s = 0;
    if (s >= 86400)
        return kp_arena_printf(cli->arena, "%lld d %lld h", (long long)(s / 86400),
                               (long long)(s % 86400 / 3600));
    if (s >= 3600)
        return kp_arena_printf(cli->arena, "%lld h %lld min", (long long)(s / 3600),
                               (long long)(s % 3600 / 60));
    if (s >= 60)
        return kp_arena_printf(cli->arena, "%lld min %lld s", (long long)(s / 60),
                               (long long)(s % 60));
    return kp_arena_printf(cli->arena, "%lld s", (long long)s);
}

/* "0.25 ms", "2.5 s" */
static const char *s_latency(kp_cli *cli, uint64_t us)
{
    if (us >= 1000000) return kp_arena_printf(cli->arena, "%g s", (double)us / 1e6);
    return kp_arena_printf(cli->arena, "%g ms", (double)us / 1e3);
}

static json_t *s_strings(char **v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

static int s_no_args(kp_cli *cli, int argc, char **argv)
{
    if (argc > 2)
        return kp_cli_usage(cli, &kp_admin_command, "admin %s: unexpected argument '%s'", argv[1],
                            argv[2]);
    return KP_EXIT_OK;
}

static int s_health(kp_cli *cli, int argc, char **argv)
{
    int rc = s_no_args(cli, argc, argv);
    if (rc != KP_EXIT_OK) return rc;
    kp_request *req = kp_cli_request(cli);
    Kompass__V1__HealthRequest *in = kp_arena_zalloc(cli->arena, sizeof *in);
    kompass__v1__health_request__init(in);
    req->body_case = KOMPASS__V1__REQUEST__BODY_HEALTH;
    req->health = in;
    kp_response *resp;
    rc = kp_cli_call(cli, req, &resp);
    if (rc != KP_EXIT_OK) return rc;
    const Kompass__V1__HealthResponse *h = resp->health;
    if (!h) return kp_cli_error(cli, KP_INTERNAL, "server answered health without its body");
    int exit_code = h->healthy                                         ? KP_EXIT_OK
                    : (!h->database_reachable || !h->database_primary) ? KP_EXIT_UNAVAILABLE
                                                                       : KP_EXIT_ERROR;
    if (cli->settings.json) {
        json_t *doc = json_pack(
            "{s:b,s:s,s:s,s:s,s:s,s:I,s:s,s:{s:b,s:s,s:s,s:s,s:b,s:i,s:i},"
            "s:{s:s,s:s,s:s,s:o,s:o},s:i,s:i,s:i,s:i,s:i,s:{s:i,s:i,s:f}}",
            "healthy", h->healthy, "server", kp_conn_endpoint(cli->conn), "instance", h->instance,
            "server_version", h->server_version, "started", kp_cli_time(cli, h->started_us),
            "uptime_s", (json_int_t)((h->server_time_us - h->started_us) / 1000000), "server_time",
            kp_cli_time(cli, h->server_time_us), "database", "reachable", h->database_reachable,
            "error", h->database_error, "host", h->database_host, "version", h->database_version,
            "primary", h->database_primary, "standbys", (int)h->standbys, "sync_standbys",
            (int)h->sync_standbys, "schema", "state", h->schema_state, "latest", h->schema_latest,
            "applied", h->schema_applied, "pending",
            s_strings(h->schema_pending, h->n_schema_pending), "unknown",
            s_strings(h->schema_unknown, h->n_schema_unknown), "workers", (int)h->workers,
            "workers_connected", (int)h->workers_connected, "queued", (int)h->queued, "clients",
            (int)h->clients, "subscribers", (int)h->subscribers, "locks", "held",
            (int)h->locks_held, "waiting", (int)h->locks_waiting, "longest_wait_s",
            (double)h->longest_lock_wait_us / 1e6);
        json_object_set_new(doc, "section_locks", json_integer(h->section_locks));
        kp_cli_json(cli, doc);
        return exit_code;
    }
    printf("kompassd %s at %s (instance %s), up %s since %s\n", h->server_version,
           kp_conn_endpoint(cli->conn), h->instance,
           s_duration(cli, h->server_time_us - h->started_us), kp_cli_time(cli, h->started_us));
    printf("healthy      %s\n", h->healthy ? "yes" : "NO");
    if (h->database_reachable)
        printf("database     reachable at %s, PostgreSQL %s, %s; %u standby%s (%u synchronous)\n",
               h->database_host, h->database_version,
               h->database_primary ? "primary (writable)" : "NOT writable (a standby)", h->standbys,
               h->standbys == 1 ? "" : "s", h->sync_standbys);
    else
        printf("database     NOT reachable: %s\n", h->database_error);
    if (!*h->schema_state)
        printf("schema       unknown (database not reachable)\n");
    else if (strcmp(h->schema_state, "current") == 0)
        printf("schema       current at %s\n", h->schema_applied);
    else if (strcmp(h->schema_state, "behind") == 0)
        printf("schema       BEHIND: %zu migration%s not applied, first %s (a restart of "
               "kompassd applies them)\n",
               h->n_schema_pending, h->n_schema_pending == 1 ? "" : "s", h->schema_pending[0]);
    else
        printf("schema       AHEAD: the database has %s, unknown to this kompassd (a newer one "
               "migrated it: upgrade this one)\n",
               h->schema_unknown[0]);
    printf("workers      %u of %u connected to the database; %u request%s queued\n",
           h->workers_connected, h->workers, h->queued, h->queued == 1 ? "" : "s");
    printf("connections  %u on the request socket, %u on the update socket\n", h->clients,
           h->subscribers);
    printf("section locks %u held (text editing)\n", h->section_locks);
    printf("locks        %u held, %u waiting", h->locks_held, h->locks_waiting);
    if (h->locks_waiting)
        printf(" (longest wait %s)", s_latency(cli, (uint64_t)h->longest_lock_wait_us));
    printf("\n");
    return exit_code;
}

static int s_stats(kp_cli *cli, int argc, char **argv)
{
    int rc = s_no_args(cli, argc, argv);
    if (rc != KP_EXIT_OK) return rc;
    kp_request *req = kp_cli_request(cli);
    Kompass__V1__StatsRequest *in = kp_arena_zalloc(cli->arena, sizeof *in);
    kompass__v1__stats_request__init(in);
    req->body_case = KOMPASS__V1__REQUEST__BODY_STATS;
    req->stats = in;
    kp_response *resp;
    rc = kp_cli_call(cli, req, &resp);
    if (rc != KP_EXIT_OK) return rc;
    const Kompass__V1__StatsResponse *st = resp->stats;
    if (!st) return kp_cli_error(cli, KP_INTERNAL, "server answered stats without its body");
    if (cli->settings.json) {
        json_t *rpcs = json_array();
        for (size_t i = 0; i < st->n_rpcs; i++) {
            const Kompass__V1__RpcStats *rs = st->rpcs[i];
            json_t *outcomes = json_object(), *buckets = json_array();
            for (size_t k = 0; k < rs->n_outcomes; k++)
                json_object_set_new(outcomes, kp_status_name((int)rs->outcomes[k]->status),
                                    json_integer((json_int_t)rs->outcomes[k]->count));
            for (size_t b = 0; b < rs->n_latency_buckets; b++)
                json_array_append_new(
                    buckets, json_pack("{s:o,s:I}", "le_us",
                                       b < st->n_bucket_bounds_us
                                           ? json_integer((json_int_t)st->bucket_bounds_us[b])
                                           : json_null(),
                                       "count", (json_int_t)rs->latency_buckets[b]));
            json_array_append_new(
                rpcs, json_pack("{s:s,s:I,s:o,s:I,s:I,s:I,s:I,s:o}", "rpc", rs->rpc, "requests",
                                (json_int_t)rs->requests, "outcomes", outcomes, "total_us",
                                (json_int_t)rs->total_us, "p50_us", (json_int_t)rs->p50_us,
                                "p95_us", (json_int_t)rs->p95_us, "p99_us", (json_int_t)rs->p99_us,
                                "latency", buckets));
        }
        kp_cli_json(cli,
                    json_pack("{s:s,s:s,s:s,s:s,s:i,s:i,s:i,s:i,s:i,s:I,s:I,s:I,s:o}", "server",
                              kp_conn_endpoint(cli->conn), "instance", st->instance, "since",
                              kp_cli_time(cli, st->started_us), "server_time",
                              kp_cli_time(cli, st->server_time_us), "clients", (int)st->clients,
                              "subscribers", (int)st->subscribers, "queued", (int)st->queued,
                              "workers", (int)st->workers, "workers_connected",
                              (int)st->workers_connected, "malformed_frames",
                              (json_int_t)st->malformed_frames, "refused_busy",
                              (json_int_t)st->refused_busy, "log_lines_suppressed",
                              (json_int_t)st->log_lines_suppressed, "rpcs", rpcs));
        return KP_EXIT_OK;
    }
    printf("kompassd at %s (instance %s), counting since %s (%s)\n", kp_conn_endpoint(cli->conn),
           st->instance, kp_cli_time(cli, st->started_us),
           s_duration(cli, st->server_time_us - st->started_us));
    printf("connections %u on requests, %u on updates; %u queued; workers %u of %u connected\n",
           st->clients, st->subscribers, st->queued, st->workers_connected, st->workers);
    /* What hostile or greedy clients caused, and what the log left out
     * (issue 16, "Bounded logging"). */
    printf("malformed frames %llu; refused busy %llu; log lines suppressed %llu\n\n",
           (unsigned long long)st->malformed_frames, (unsigned long long)st->refused_busy,
           (unsigned long long)st->log_lines_suppressed);
    printf("%-22s %9s %7s %10s %10s %10s  %s\n", "RPC", "REQUESTS", "ERRORS",
           "p50 <=", "p95 <=", "p99 <=", "OUTCOMES");
    for (size_t i = 0; i < st->n_rpcs; i++) {
        const Kompass__V1__RpcStats *rs = st->rpcs[i];
        uint64_t errors = 0;
        const char *outcomes = "";
        for (size_t k = 0; k < rs->n_outcomes; k++) {
            if (rs->outcomes[k]->status != KOMPASS__V1__STATUS__OK)
                errors += rs->outcomes[k]->count;
            outcomes = kp_arena_printf(cli->arena, "%s%s%s %llu", outcomes, *outcomes ? ", " : "",
                                       kp_status_name((int)rs->outcomes[k]->status),
                                       (unsigned long long)rs->outcomes[k]->count);
        }
        printf("%-22s %9llu %7llu %10s %10s %10s  %s\n", rs->rpc, (unsigned long long)rs->requests,
               (unsigned long long)errors, s_latency(cli, rs->p50_us), s_latency(cli, rs->p95_us),
               s_latency(cli, rs->p99_us), outcomes);
    }
    if (st->n_rpcs == 0) printf("(no requests yet)\n");
    return KP_EXIT_OK;
}

/* One Backup call for (id, offset), in the current arena. */
static int s_backup_piece(kp_cli *cli, const char *id, uint64_t offset,
                          const Kompass__V1__BackupResponse **out)
{
    kp_request *req = kp_cli_request(cli);
    Kompass__V1__BackupRequest *in = kp_arena_zalloc(cli->arena, sizeof *in);
    kompass__v1__backup_request__init(in);
    in->backup_id = kp_arena_strdup(cli->arena, id);
    in->offset = offset;
    req->body_case = KOMPASS__V1__REQUEST__BODY_BACKUP;
    req->backup = in;
    kp_response *resp;
    int rc = kp_cli_call(cli, req, &resp);
    if (rc != KP_EXIT_OK) return rc;
    if (!resp->backup || (*id && strcmp(resp->backup->backup_id, id) != 0) ||
        resp->backup->offset != offset)
        return kp_cli_error(cli, KP_INTERNAL, "server answered backup with another piece");
    *out = resp->backup;
    return KP_EXIT_OK;
}

/* Writes all of data to fd; 0 or -1 (errno). */
static int s_write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

static int s_backup(kp_cli *cli, int argc, char **argv)
{
    kp_opt opts[] = {{"force", 0, NULL}, {NULL, 0, NULL}};
    const char *pos[1];
    int n_pos;
    int rc = kp_args_parse(cli, &kp_admin_command, argc, argv, 2, opts, pos, 0, 1, &n_pos);
    if (rc != 0) return rc;
    const char *file = n_pos ? pos[0] : NULL;
    int force = kp_args_get(opts, "force") != NULL;
    if (!file) return kp_cli_usage(cli, &kp_admin_command, "admin backup: into which FILE?");
    if (!force && access(file, F_OK) == 0)
        return kp_cli_usage(cli, NULL,
                            "admin backup: %s exists; choose another name, or --force to "
                            "replace it",
                            file);
    /* The dump is made during the first call: give it minutes, not seconds. */
    if (!cli->conn && cli->settings.timeout < 600) cli->settings.timeout = 600;
    char part[4200];
    snprintf(part, sizeof part, "%s.part", file);
    int fd = open(part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return kp_cli_error(cli, KP_BAD_REQUEST, "cannot write %s: %s", part, strerror(errno));

    /* Pieces of up to 1 MiB each: one arena per piece, not the whole dump
     * in memory. */
    kp_arena *invocation = cli->arena, *piece = kp_arena_new();
    cli->arena = piece;
    char id[64] = "", sha256[65] = "", version[64] = "", schema[128] = "";
    uint64_t offset = 0, total = 0;
    int64_t created_us = 0;
    crypto_hash_sha256_state hash;
    crypto_hash_sha256_init(&hash);
    rc = KP_EXIT_OK;
    for (;;) {
        const Kompass__V1__BackupResponse *b;
        rc = s_backup_piece(cli, id, offset, &b);
        if (rc != KP_EXIT_OK) break;
        if (!*id) {
            kp_strlcpy(id, b->backup_id, sizeof id);
            kp_strlcpy(sha256, b->sha256, sizeof sha256);
            kp_strlcpy(version, b->database_version, sizeof version);
            kp_strlcpy(schema, b->schema_applied, sizeof schema);
            total = b->total_bytes;
            created_us = b->created_us;
        }
        if (b->data.len == 0 && offset < total) {
            rc = kp_cli_error(cli, KP_INTERNAL, "server sent an empty piece at %llu of %llu",
                              (unsigned long long)offset, (unsigned long long)total);
            break;
        }
        if (s_write_all(fd, b->data.data, b->data.len) != 0) {
            rc = kp_cli_error(cli, KP_BAD_REQUEST, "cannot write %s: %s", part, strerror(errno));
            break;
        }
        crypto_hash_sha256_update(&hash, b->data.data, b->data.len);
        offset += b->data.len;
        kp_arena_reset(piece);
        if (offset >= total) break;
    }
    if (rc == KP_EXIT_OK) {
        /* Tell the server we have it all (it removes its copy). */
        const Kompass__V1__BackupResponse *b;
        if (s_backup_piece(cli, id, offset, &b) != KP_EXIT_OK)
            fprintf(stderr, "kompass: (the server keeps its copy for an hour)\n");
    }
    cli->arena = invocation;
    kp_arena_destroy(&piece);
    unsigned char h[crypto_hash_sha256_BYTES];
    char got[65];
    crypto_hash_sha256_final(&hash, h);
    kp_hex(h, sizeof h, got);
    if (rc == KP_EXIT_OK && strcmp(got, sha256) != 0)
        rc = kp_cli_error(cli, KP_INTERNAL,
                          "the backup arrived damaged: SHA-256 %s, the server's %s; run again", got,
                          sha256);
    if (rc == KP_EXIT_OK && (fsync(fd) != 0 || close(fd) != 0)) {
        fd = -1;
        rc = kp_cli_error(cli, KP_BAD_REQUEST, "cannot write %s: %s", part, strerror(errno));
    } else if (rc == KP_EXIT_OK) {
        fd = -1;
    }
    if (fd >= 0) close(fd);
    if (rc == KP_EXIT_OK && rename(part, file) != 0)
        rc = kp_cli_error(cli, KP_BAD_REQUEST, "cannot rename %s to %s: %s", part, file,
                          strerror(errno));
    if (rc != KP_EXIT_OK) {
        unlink(part);
        return rc;
    }
    if (cli->settings.json) {
        kp_cli_json(cli,
                    json_pack("{s:s,s:s,s:I,s:s,s:s,s:s,s:s,s:s}", "file", file, "server",
                              kp_conn_endpoint(cli->conn), "bytes", (json_int_t)total, "sha256",
                              sha256, "created", kp_cli_time(cli, created_us), "database_version",
                              version, "schema", schema, "format", "pg_dump custom"));
    } else {
        printf("backup of the database behind %s, made %s\n", kp_conn_endpoint(cli->conn),
               kp_cli_time(cli, created_us));
        printf("file       %s (%llu bytes, pg_dump custom format)\n", file,
               (unsigned long long)total);
        printf("sha256     %s\n", sha256);
        printf("database   PostgreSQL %s, schema at %s\n", version, schema);
        printf("restore    into a new, empty database: pg_restore --no-owner --exit-on-error "
               "--single-transaction --dbname NEWDB %s (docs/deploy.md, \"Backups\")\n",
               file);
    }
    return KP_EXIT_OK;
}

int kp_cmd_admin(kp_cli *cli, int argc, char **argv)
{
    if (argc < 2) return kp_cli_usage(cli, &kp_admin_command, "admin: which sub-command?");
    const char *sub = argv[1];
    if (strcmp(sub, "health") == 0) return s_health(cli, argc, argv);
    if (strcmp(sub, "stats") == 0) return s_stats(cli, argc, argv);
    if (strcmp(sub, "backup") == 0) return s_backup(cli, argc, argv);
    return kp_cli_usage(cli, &kp_admin_command, "admin: unknown sub-command '%s'", sub);
}

/* ---------------------------------------------------------------- the command */

const kp_command kp_admin_command = {
    "admin", kp_cmd_admin, "operate the server: health, stats, backup (administrators)",
    "usage: kompass admin health\n"
    "       kompass admin stats\n"
    "       kompass admin backup FILE [--force]\n\n"
    "health: whether the kompassd that answers is fit to serve: its database\n"
    "(reachable, writable, which node, standbys), whether its schema is current,\n"
    "uptime, connections, workers, PostgreSQL locks held and awaited. Exit 0 when\n"
    "healthy, 6 when the database is unreachable or not writable, 1 when the\n"
    "schema is behind or ahead of this kompassd.\n\n"
    "stats: requests per RPC since kompassd started, their outcomes by status,\n"
    "latency quantiles (upper bounds of fixed buckets; --json gives the buckets),\n"
    "connections on the request and update sockets.\n\n"
    "backup FILE: kompassd makes a pg_dump of its database (custom format) and\n"
    "sends it here in pieces; FILE is written only once all of it arrived and its\n"
    "SHA-256 matched (FILE.part meanwhile). FILE must not exist, unless --force.\n"
    "The dump holds every password hash: keep it as safe as the database. The\n"
    "CLI waits up to 10 minutes (or --timeout, if longer) for the dump to be made.\n"
    "Restore with pg_restore (docs/deploy.md, \"Backups\").\n\n"
    "With several servers (--server a,b), each answer is about the one that\n"
    "answered: ask each with --server.\n"};
