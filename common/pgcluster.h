/*  pgcluster: a private PostgreSQL cluster in a directory.
 *
 *  kompassd's embedded default and the tests' throw-away databases both use
 *  this: initdb on first use, start with pg_ctl, stop cleanly. The cluster
 *  listens on a unix socket only (no TCP port), in DIR itself, and trusts
 *  local connections: DIR is mode 0700, so only its owner (and root) can reach
 *  the socket.
 *
 *  PostgreSQL refuses to run as root. When the caller is root, the server
 *  programs run as an unprivileged user: the one named, else `kompass` if it
 *  exists, else `postgres`. Layout:
 *      DIR/            owned by that user, 0700; holds the socket
 *      DIR/data/       PGDATA
 *      DIR/server.log  the server's log (initdb's and pg_ctl's output too)
 */
#ifndef KP_PGCLUSTER_H
#define KP_PGCLUSTER_H

#include <stddef.h>
#include <sys/types.h>

#define KP_PG_SUPERUSER "kompass"

typedef struct {
    char dir[1024];   /* absolute path of DIR */
    char bindir[512]; /* where initdb and pg_ctl are */
    char user[64];    /* the OS user the server runs as */
    uid_t uid;        /* its uid and gid */
    gid_t gid;
    int drop;         /* 1 when we are root and switch to uid/gid */
    char error[1024]; /* the last error, for a person */
} kp_pgcluster;

/* Prepares c for the cluster in dir (created if missing), to run as run_as
 * (NULL: the default above). 0, or -1 with c->error set. */
int kp_pgcluster_open(kp_pgcluster *c, const char *dir, const char *run_as);

/* Runs initdb unless DIR/data already holds a cluster. Returns 1 when it
 * created one, 0 when one was there, -1 on error (c->error). */
int kp_pgcluster_init(kp_pgcluster *c);

/* Starts the server (waits until it accepts connections); a server already
 * running on this directory is reused. 0 or -1 (c->error). */
int kp_pgcluster_start(kp_pgcluster *c);

/* Stops the server (fast shutdown: sessions end, nothing is lost). */
int kp_pgcluster_stop(kp_pgcluster *c);

/* Stops the server at once, as a crash would (immediate shutdown: no
 * checkpoint; the next start recovers from the WAL). */
int kp_pgcluster_crash(kp_pgcluster *c);

/* Makes c (opened, without a cluster yet) a streaming standby of primary
 * (running): pg_basebackup with -R (standby.signal and primary_conninfo over
 * primary's unix socket, as the superuser). Start it with
 * kp_pgcluster_start. 0 or -1 (c->error). */
int kp_pgcluster_init_standby(kp_pgcluster *c, const kp_pgcluster *primary);

/* Promotes a running standby to a primary and waits until it is one. */
int kp_pgcluster_promote(kp_pgcluster *c);

/* Whether the server is running (pg_ctl status). */
int kp_pgcluster_running(kp_pgcluster *c);

/* A libpq connection string for database dbname as the superuser. */
void kp_pgcluster_conninfo(const kp_pgcluster *c, const char *dbname, char *out, size_t len);

#endif
