/*  kompassd: the Kompass server.
 *
 *  Start-up, in order: settings; the data directory and its lock (one
 *  kompassd per data dir); the CURVE key pair (made on first start); the
 *  database (embedded cluster or --db) and its migrations; the first
 *  administrator if there is none; the ZAP handler, then the sockets; the
 *  workers; the endpoints file that says we are ready. Shutdown reverses it. Threads: this one runs
 * the broker; each worker has its own; SIGINT/SIGTERM arrive through a signalfd, blocked in every
 * thread, so no handler runs asynchronously anywhere.
 */
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include <zmq.h>

#include "bootstrap.h"
#include "broker.h"
#include "check.h"
#include "publisher.h"
#include "snapcache.h"
#include "rpcs.h"
#include "config.h"
#include "db.h"
#include "dispatch.h"
#include "curve.h"
#include "keys.h"
#include "log.h"
#include "migrate.h"
#include "pgcluster.h"
#include "statements.h"
#include "stats.h"
#include "util.h"
#include "worker.h"
#include "zap.h"

#define EMBEDDED_DB "kompass"

/* What the publisher's PUB socket needs before it is bound. */
typedef struct {
    const kp_server_keys *keys; /* NULL: --insecure */
} pub_setup;

/* The PUB socket (which carries nothing now: updates go on the request
 * connection) is a CURVE server like the front socket. */
static int s_pub_setup(void *sock, void *arg)
{
    const pub_setup *ps = arg;
    char err[256];
    if (ps->keys && kp_curve_server_apply(sock, ps->keys->secret_key, err, sizeof err) != 0) {
        kp_error("kompassd", "%s", err);
        return -1;
    }
    return 0;
}

/* Takes DATA-DIR/kompassd.lock; refuses if another kompassd holds it. */
static int s_lock_data_dir(const char *dir, int *fd_out)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/kompassd.lock", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        kp_error("kompassd", "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        char pid[32] = "";
        ssize_t n = read(fd, pid, sizeof pid - 1);
        pid[n > 0 ? n : 0] = '\0';
        kp_trim(pid);
        kp_error("kompassd",
                 "another kompassd (pid %s) is already running on data dir %s; stop it first or "
                 "use another --data-dir",
                 *pid ? pid : "?", dir);
        close(fd);
        return -1;
    }
    char pid[32];
    int len = snprintf(pid, sizeof pid, "%d\n", (int)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)len, 0) != len)
        kp_warn("kompassd", "cannot write pid to %s", path);
    *fd_out = fd;
    return 0;
}

/* Creates the embedded database if the cluster does not have it yet. */
static int s_ensure_database(const kp_pgcluster *pg)
{
    char conninfo[2400];
    kp_pgcluster_conninfo(pg, "postgres", conninfo, sizeof conninfo);
    PGconn *conn = PQconnectdb(conninfo);
    if (PQstatus(conn) != CONNECTION_OK) {
        kp_error("kompassd", "cannot connect to the embedded cluster: %s", PQerrorMessage(conn));
        PQfinish(conn);
        return -1;
    }
    const char *params[1] = {EMBEDDED_DB};
    PGresult *r = PQexecParams(conn, "SELECT 1 FROM pg_database WHERE datname = $1", 1, NULL,
                               params, NULL, NULL, 0);
    int exists = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0;
    PQclear(r);
    int rc = 0;
    if (!exists) {
        r = PQexec(conn, "CREATE DATABASE " EMBEDDED_DB " ENCODING 'UTF8' TEMPLATE template0");
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            kp_error("kompassd", "cannot create database %s: %s", EMBEDDED_DB,
                     PQresultErrorMessage(r));
            rc = -1;
        }
        PQclear(r);
    }
    PQfinish(conn);
    return rc;
}

static int s_write_endpoints(const char *dir, const char *listen, const char *publish)
{
    char path[1100], text[700];
    snprintf(path, sizeof path, "%s/kompassd.endpoints", dir);
    int n = snprintf(text, sizeof text, "listen=%s\npublish=%s\npid=%d\n", listen, publish,
                     (int)getpid());
    return kp_write_file(path, text, (size_t)n, 0644);
}

/* KOMPASS_ADMIN_PASSWORD, read once by s_start_up (and wiped after the
 * bootstrap). */
static char s_admin_password[1100];

/* What comes before the data dir is touched: the options, the checks that
 * need nothing else (--help, --version, the RPC tables, --check-config),
 * KOMPASS_ADMIN_PASSWORD out of the environment, --print-public-key. -1 to
 * go on and start, else main's exit code. */
static int s_start_up(int argc, char **argv, kp_config *cfg, char *err, size_t errlen)
{
    int checking = 0;
    for (int i = 1; i < argc; i++)
        checking |= strcmp(argv[i], "--check-config") == 0;
    if (kp_config_load(cfg, argc, argv, err, errlen) != 0) {
        if (checking) {
            printf("kompassd %s: checking the configuration (nothing is started)\n"
                   "FAIL  settings  %s\nconfiguration NOT usable: 1 problem\n",
                   KOMPASS_VERSION, err);
            return 1;
        }
        fprintf(stderr, "kompassd: %s\n", err);
        return 2;
    }
    if (cfg->print_help) {
        fputs(kp_config_usage, stdout);
        return 0;
    }
    if (cfg->print_version) {
        printf("kompassd %s (protocol %d)\n", KOMPASS_VERSION, KP_PROTOCOL_VERSION);
        return 0;
    }
    kp_log_set_level(cfg->log_level);
    if (sodium_init() < 0) {
        kp_error("kompassd", "libsodium failed to initialise");
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    if (kp_dispatch_verify(err, errlen) != 0) {
        kp_error("kompassd", "the RPC tables are inconsistent: %s", err);
        return 1;
    }
    if (cfg->check_config) return kp_check_config(cfg, stdout);
    /* Read once and taken out of the environment, which the embedded
     * PostgreSQL would otherwise inherit. */
    const char *ap = getenv("KOMPASS_ADMIN_PASSWORD");
    if (ap && strlen(ap) >= sizeof s_admin_password) {
        fprintf(stderr, "kompassd: KOMPASS_ADMIN_PASSWORD is longer than 1024 bytes\n");
        return 2;
    }
    if (ap) kp_strlcpy(s_admin_password, ap, sizeof s_admin_password);
    unsetenv("KOMPASS_ADMIN_PASSWORD");
    if (cfg->print_public_key) {
        /* Needs no database and no lock: the key files have their own. */
        kp_server_keys keys = {{0}, {0}};
        if (kp_mkdir_p(cfg->data_dir, 0755) != 0) {
            fprintf(stderr, "kompassd: cannot create data dir %s: %s\n", cfg->data_dir,
                    strerror(errno));
            return 1;
        }
        if (kp_keys_load(cfg->data_dir, &keys, NULL, err, errlen) != 0) {
            fprintf(stderr, "kompassd: %s\n", err);
            return 1;
        }
        printf("%s\n", keys.public_key);
        kp_keys_wipe(&keys);
        return 0;
    }
    kp_snapcache_init((size_t)cfg->snapshot_cache_mb << 20, KP_SNAPCACHE_TTL_MS);
    return -1;
}

/* Opens (creating it the first time) and starts the embedded cluster in
 * DATA-DIR/pg, with kompassd's database in it; *started once it runs (to be
 * stopped). 0, or -1 logged. */
static int s_embedded_start(const kp_config *cfg, kp_pgcluster *pg, int *started, char *conninfo,
                            size_t len)
{
    char pgdir[1100];
    snprintf(pgdir, sizeof pgdir, "%s/pg", cfg->data_dir);
    if (kp_pgcluster_open(pg, pgdir, cfg->pg_user) != 0) {
        kp_error("kompassd", "embedded PostgreSQL: %s", pg->error);
        return -1;
    }
    int created = kp_pgcluster_init(pg);
    if (created < 0) {
        kp_error("kompassd", "embedded PostgreSQL: %s", pg->error);
        return -1;
    }
    if (created) kp_info("kompassd", "created the embedded PostgreSQL cluster in %s", pg->dir);
    if (kp_pgcluster_start(pg) != 0) {
        kp_error("kompassd", "embedded PostgreSQL: %s", pg->error);
        return -1;
    }
    *started = 1;
    kp_info("kompassd", "embedded PostgreSQL running in %s as user %s (unix socket only)", pg->dir,
            pg->user);
    if (s_ensure_database(pg) != 0) return -1;
    kp_pgcluster_conninfo(pg, EMBEDDED_DB, conninfo, len);
    return 0;
}

/* Applies the embedded migrations (as the connecting role). 0, or -1 logged. */
static int s_migrate(const char *conninfo)
{
    char err[1200];
    PGconn *conn = kp_db_connect(conninfo);
    if (PQstatus(conn) != CONNECTION_OK) {
        kp_error("kompassd", "cannot connect to the database: %s", PQerrorMessage(conn));
        PQfinish(conn);
        return -1;
    }
    int applied = kp_migrate(conn, kp_migrations, err, sizeof err);
    PQfinish(conn);
    if (applied < 0) {
        kp_error("kompassd", "%s", err);
        return -1;
    }
    kp_info("kompassd", "schema current at %s (%d applied now)", kp_migrate_latest(kp_migrations),
            applied);
    return 0;
}

/* Creates admin if no active administrator exists (server/bootstrap.c),
 * then wipes the admin password. 0, or -1 logged. */
static int s_bootstrap(const char *conninfo, const char *data_dir)
{
    char err[1200];
    kp_db *db = kp_db_new(conninfo);
    int rc = kp_db_ensure(db);
    if (rc == KP_OK)
        rc = kp_bootstrap_admin(db, data_dir, s_admin_password, err, sizeof err) == 0 ? KP_OK
                                                                                      : KP_INTERNAL;
    else
        snprintf(err, sizeof err, "cannot connect to the database: %s", kp_db_error(db));
    kp_db_destroy(&db);
    sodium_memzero(s_admin_password, sizeof s_admin_password);
    if (rc != KP_OK) {
        kp_error("kompassd", "%s", err);
        return -1;
    }
    return 0;
}

/* Says kompassd is ready (the endpoints file the tests and deploy/run wait
 * for, and the log) once live updates flow too: a lock taken before the
 * publisher LISTENs would never reach a subscriber (locks are not in the
 * chain it catches up on). */
static void s_announce_ready(const kp_config *cfg, kp_broker *broker, kp_publisher *publisher,
                             const char *published)
{
    if (kp_publisher_wait_listening(publisher, 30000) != 0)
        kp_warn("kompassd", "live updates are not flowing yet (the publisher cannot LISTEN on the "
                            "database); they start once it can");
    if (s_write_endpoints(cfg->data_dir, kp_broker_listen_endpoint(broker), published) != 0)
        kp_warn("kompassd", "cannot write %s/kompassd.endpoints: %s", cfg->data_dir,
                strerror(errno));
    kp_info("kompassd", "kompassd %s ready: requests on %s, updates on %s, %d workers",
            KOMPASS_VERSION, kp_broker_listen_endpoint(broker), published, cfg->workers);
}

int main(int argc, char **argv)
{
    kp_config cfg;
    char err[1200];
    kp_db_use_statements(kp_statement_sets); /* every module's SQL, on every connection */
    int early = s_start_up(argc, argv, &cfg, err, sizeof err);
    if (early >= 0) return early;
    kp_server_keys keys = {{0}, {0}};

    int exit_code = 1, lock_fd = -1, pg_started = 0, n_threads = 0;
    kp_pgcluster pg;
    void *zctx = NULL;
    kp_zap *zap = NULL;
    kp_broker *broker = NULL;
    kp_stats *stats = NULL;
    kp_publisher *publisher = NULL;
    pthread_t threads[256];
    kp_worker_args wargs[256];
    char conninfo[2400];

    if (kp_mkdir_p(cfg.data_dir, 0755) != 0) {
        kp_error("kompassd", "cannot create data dir %s: %s", cfg.data_dir, strerror(errno));
        return 1;
    }
    if (s_lock_data_dir(cfg.data_dir, &lock_fd) != 0) return 1;

    /* ---------------------------------------------------------- keys */
    if (cfg.insecure) {
        kp_warn("kompassd", "--insecure: no CURVE, requests and updates travel in plain text "
                            "(loopback and ipc only)");
    } else {
        int created = 0;
        if (kp_keys_load(cfg.data_dir, &keys, &created, err, sizeof err) != 0) {
            kp_error("kompassd", "%s", err);
            close(lock_fd);
            return 1;
        }
        kp_info("kompassd", "%s CURVE key pair in %s/curve; public key %s",
                created ? "made a new" : "using the", cfg.data_dir, keys.public_key);
    }

    /* ---------------------------------------------------------- database */
    if (cfg.db[0])
        kp_strlcpy(conninfo, cfg.db, sizeof conninfo);
    else if (s_embedded_start(&cfg, &pg, &pg_started, conninfo, sizeof conninfo) != 0)
        goto out;
    if (s_migrate(conninfo) != 0 || s_bootstrap(conninfo, cfg.data_dir) != 0) goto out;

    /* ---------------------------------------------------------- sockets */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL); /* before any thread starts */
    int sfd = signalfd(-1, &sigs, SFD_CLOEXEC);

    zctx = zmq_ctx_new();
    if (!cfg.insecure) {
        /* Before any CURVE socket: without a handler libzmq lets anyone in. */
        zap = kp_zap_start(zctx, err, sizeof err);
        if (!zap) {
            kp_error("kompassd", "%s", err);
            goto out;
        }
    }
    broker = kp_broker_new(zctx, &cfg, cfg.insecure ? NULL : &keys, err, sizeof err);
    if (!broker) {
        kp_error("kompassd", "%s", err);
        goto out;
    }

    /* Shards: one per worker, then the broker's. */
    stats = kp_stats_new(cfg.workers + 1, (int)kp_rpc_count() + 1);
    if (!stats || kp_broker_set_stats(broker, zctx, stats, cfg.workers, err, sizeof err) != 0) {
        kp_error("kompassd", "%s", stats ? err : "out of memory");
        goto out;
    }

    char host[128] = "localhost";
    gethostname(host, sizeof host - 1);
    char instance[200];
    snprintf(instance, sizeof instance, "%s:%d", host, (int)getpid());
    pub_setup ps = {cfg.insecure ? NULL : &keys};
    publisher = kp_publisher_start(zctx, cfg.publish, s_pub_setup, &ps, conninfo, instance, stats,
                                   err, sizeof err);
    if (!publisher || kp_stats_watch_start(stats, err, sizeof err) != 0) {
        kp_error("kompassd", "%s", err);
        goto out;
    }
    const char *published = kp_publisher_endpoint(publisher);
    kp_server_info info = {.instance = instance,
                           .started_us = kp_now_us(),
                           .publish = published,
                           .session_idle_s = cfg.session_idle,
                           .session_max_s = cfg.session_max,
                           .stats = stats,
                           .workers = cfg.workers,
                           .conninfo = conninfo,
                           .data_dir = cfg.data_dir,
                           .subs = kp_publisher_subscribe_endpoint(publisher)};
    if (kp_broker_set_pushes(broker, zctx, kp_publisher_pushes_endpoint(publisher)) != 0) {
        kp_error("kompassd", "cannot connect the broker to the publisher's pushes");
        goto out;
    }

    for (int i = 0; i < cfg.workers; i++) {
        wargs[i] = (kp_worker_args){zctx, kp_broker_backend_endpoint(broker), conninfo, &info, i};
        if (pthread_create(&threads[i], NULL, kp_worker_main, &wargs[i]) != 0) {
            kp_error("kompassd", "cannot start worker %d", i);
            goto out;
        }
        n_threads++;
    }
    s_announce_ready(&cfg, broker, publisher, published);

    kp_broker_run(broker, sfd);
    exit_code = 0;
    close(sfd);

out:
    kp_publisher_stop(&publisher);
    if (zctx) zmq_ctx_shutdown(zctx);
    for (int i = 0; i < n_threads; i++)
        pthread_join(threads[i], NULL);
    kp_stats_watch_stop(stats);
    kp_snapcache_shutdown();
    kp_broker_destroy(&broker);
    kp_stats_destroy(&stats);
    kp_zap_destroy(&zap);
    if (zctx) zmq_ctx_term(zctx);
    if (!cfg.insecure) kp_keys_wipe(&keys);
    {
        char path[1100];
        snprintf(path, sizeof path, "%s/kompassd.endpoints", cfg.data_dir);
        unlink(path);
    }
    if (pg_started) {
        if (kp_pgcluster_stop(&pg) != 0)
            kp_warn("kompassd", "stopping embedded PostgreSQL: %s", pg.error);
        else
            kp_info("kompassd", "embedded PostgreSQL stopped");
    }
    if (lock_fd >= 0) close(lock_fd);
    if (exit_code == 0) kp_info("kompassd", "stopped");
    return exit_code;
}
