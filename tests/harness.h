/*  harness: real servers for integration tests.
 *
 *  Nothing is mocked. A PostgreSQL cluster for the whole test run is started
 *  by the ctest fixture (tests/pgfixture.c, directory in $KOMPASS_TEST_PGDIR);
 *  each test gets its own fresh database in it and its own kompassd process
 *  on free loopback ports, and talks to it either through the real `kompass`
 *  CLI (th_cli) or over the raw protocol (th_call, th_dealer).
 *
 *  Servers use CURVE as in production: the harness reads the public key the
 *  server made in DATA-DIR/curve/server.pub and gives it to the CLI
 *  (KOMPASS_SERVER_KEY) and to raw sockets (th_dealer). th_opts.insecure
 *  starts a plain-text server instead.
 *
 *  Usage in a test:
 *      th_server *s = th_server_start(NULL);
 *      char *out;
 *      cr_assert_eq(th_cli(s, &out, NULL, "ping", NULL), 0);
 *      th_server_stop(s);
 */
#ifndef KP_HARNESS_H
#define KP_HARNESS_H

#include <jansson.h>
#include <stddef.h>
#include <sys/types.h>

#include "arena.h"
#include "curve.h"
#include "wire.h"

typedef struct th_server {
    char dir[256];       /* the server's temporary data dir (and the CLI's config home) */
    char dbname[64];     /* its database in the shared cluster ("" when embedded) */
    char conninfo[1024]; /* libpq string for that database */
    char listen[256];    /* bound endpoints, from kompassd.endpoints */
    char publish[256];
    char log[300];                         /* kompassd's stderr */
    pid_t pid;                             /* 0 once stopped */
    int embedded;                          /* started without --db */
    int insecure;                          /* started with --insecure (no CURVE) */
    char server_key[KP_CURVE_KEY_LEN + 1]; /* its CURVE public key, "" when insecure */
    char admin_home[300]; /* config home where admin is logged in (th_admin), "" until then */
} th_server;

/* Options for th_server_start_opts. */
typedef struct {
    const char *data_dir;          /* reuse this data dir (else a new temp dir) */
    const char *dbname;            /* reuse this database (else a new one) */
    const char *conninfo;          /* --db this libpq string instead (a database of
                                      another cluster; nothing is dropped) */
    int embedded;                  /* no --db: kompassd's own cluster in DATA-DIR/pg */
    int workers;                   /* 0: default */
    const char *const *extra_args; /* more kompassd arguments, NULL-terminated */
    int expect_fail;               /* don't wait for readiness; th_server_wait_exit tells */
    int insecure;                  /* --insecure: plain text, no CURVE */
    const char *admin_password;    /* KOMPASS_ADMIN_PASSWORD (NULL: TH_ADMIN_PASSWORD;
                                      "": unset, kompassd generates one) */
} th_opts;

/* The first administrator's password in test servers. */
#define TH_ADMIN_PASSWORD "test-admin-password-4711"

/* Creates a new, empty database in the shared cluster; name and libpq string
 * into the out buffers. Asserts on failure. */
void th_db_create(char *dbname, size_t nlen, char *conninfo, size_t clen);

/* The libpq string for dbname in the shared cluster, as its superuser. */
void th_db_conninfo(const char *dbname, char *out, size_t len);

/* Starts kompassd on a new database and waits until it is ready. */
th_server *th_server_start(const char *const *extra_args);
th_server *th_server_start_opts(const th_opts *opts);

/* SIGTERM, wait for exit; returns kompassd's exit status (or 128+signal).
 * Frees nothing: see th_server_free. */
int th_server_stop(th_server *s);

/* Waits up to timeout_ms for kompassd to exit; its exit status or -1. */
int th_server_wait_exit(th_server *s, int timeout_ms);

/* Stops (if running), fails the test if kompassd's log has a sanitizer report,
 * drops its database, removes its dir, frees. */
void th_server_free(th_server **s_p);

/* kompassd's log so far (malloc'd). */
char *th_server_log(const th_server *s);

/* Runs `kompass --server <s> ARGS...` (NULL-terminated) with the server's dir
 * as config home; returns its exit code. *out and *err (if not NULL) get
 * stdout and stderr (malloc'd). stdin_text, when set via th_cli_input, is fed
 * to the command's standard input. */
int th_cli(th_server *s, char **out, char **err, const char *arg, ...);

/* Like th_cli, with text on standard input and an explicit config home. */
int th_cli_full(th_server *s, const char *config_home, const char *input, char **out, char **err,
                const char *const *args);

/* Like th_cli, as the user logged in at config home `home` (see th_home),
 * with input on standard input (may be NULL). */
int th_cli_as(th_server *s, const char *home, const char *input, char **out, char **err,
              const char *arg, ...);

/* ---------------------------------------------------------------- identity
 * Each user of a test gets a config home of their own, as two people on one
 * machine would: th_home(s, "ewa", buf) is DATA-DIR/home-ewa. */

/* The config home for name, created (0700), into out. */
void th_home(th_server *s, const char *name, char *out, size_t len);

/* `kompass login LOGIN --password-stdin` in home; asserts it succeeded. */
void th_login(th_server *s, const char *home, const char *login, const char *password);

/* A config home where the first administrator is logged in (made once). */
const char *th_admin(th_server *s);

/* Adds a user with role ("admin", "evaluator", "observer") and password
 * through `kompass user add` as the administrator; asserts it succeeded. */
void th_user_add(th_server *s, const char *login, const char *role, const char *password);

/* Logs in over the raw protocol on sock; the session token (in arena).
 * Asserts the login succeeded. */
const char *th_token(void *sock, kp_arena *arena, const char *login, const char *password);

/* A fingerprint of every table's contents except the volatile ones
 * (sessions, security_log), for "nothing was written" checks (malloc'd). */
char *th_db_fingerprint(th_server *s);

/* Runs a program (argv NULL-terminated), capturing output; its exit code. */
int th_run(const char *const *argv, const char *input, char **out, char **err, int timeout_ms);

/* A DEALER socket connected to the server's request endpoint, as a CURVE
 * client with the server's key (plain when the server is insecure). */
void *th_dealer(th_server *s);

/* A DEALER socket connected without CURVE, whatever the server runs. */
void *th_dealer_plain(th_server *s);

/* Makes sock a CURVE client of s with a fresh key pair (before connecting);
 * the pair's public key into public_key when not NULL. */
void th_curve_client(th_server *s, void *sock, char *public_key);

/* Sends req over sock and waits (timeout_ms) for the response; NULL on
 * timeout. Fills request_id and protocol_version unless already set. */
kp_response *th_call(void *sock, kp_arena *arena, kp_request *req, int timeout_ms);

/* Sends raw bytes as one frame and waits for a response; NULL on timeout. */
kp_response *th_call_raw(void *sock, kp_arena *arena, const void *data, size_t len, int timeout_ms);

/* Runs one SQL statement on the server's database; the first column of the
 * first row (malloc'd), or NULL. Asserts the statement succeeded. */
char *th_sql(th_server *s, const char *sql);

/* The shared ZeroMQ context of the test process. */
void *th_zctx(void);

/* The path of a built program: "kompassd", "kompass". */
const char *th_bin(const char *name);

/* ---------------------------------------------------------------- teams
 * People and evaluations made through the CLI, as they would make them:
 * each user logged in in a config home of their own, so that a test drives
 * several people at once (`th_cli_as(s, ewa, NULL, ...)` runs kompass as Ewa). */

/* The password th_user gives the users it adds. */
#define TH_PASSWORD "correct horse battery staple"

/* Logs the first admin in (a new session each call) in DATA-DIR/home-admin;
 * that path into home. */
void th_admin_login(th_server *s, char *home, size_t len);

/* Adds a user as admin_home's admin (password TH_PASSWORD) and logs them in;
 * their config home into home. role: admin, evaluator, observer. */
void th_user(th_server *s, const char *admin_home, const char *login, const char *name,
             const char *org, const char *role, char *home, size_t len);

/* Logs an existing user (password TH_PASSWORD, or the admin's) in to server s
 * in a new config home (into home): a session belongs to one server. */
void th_login_new(th_server *s, const char *login, char *home, size_t len);

/* Runs `kompass --json ARGS` (NULL-terminated) as home's user, asserts exit
 * code rc, returns the parsed document (caller's to json_decref). */
json_t *th_json(th_server *s, const char *home, int rc, const char *arg, ...);

/* The municipality (added if missing) and a new evaluation of it on KK2015,
 * labelled label, created by admin_home's admin; its id. */
long long th_eval(th_server *s, const char *admin_home, const char *municipality,
                  const char *label);

/* An evaluation with christine (SKL) as lead and ewa (Borås Stad) as peer,
 * started (scoring). Their config homes into the buffers (300 bytes). */
long long th_scoring_eval(th_server *s, const char *admin_home, char *lead, char *peer);

/* Runs sql on the server's database as its owner; 0, or -1 with *err
 * (malloc'd) when err is not NULL. */
int th_sql_try(th_server *s, const char *sql, char **err);

#endif
