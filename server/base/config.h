/*  config: kompassd's settings.
 *
 *  Each setting comes, lowest precedence first, from its default, from
 *  DATA-DIR/kompassd.conf (`key = value` lines, # comments), from the
 *  environment (KOMPASS_<KEY>) and from the command line (--key value).
 *  The data directory itself comes from the command line, the environment or
 *  its default, since the file lives in it.
 */
#ifndef KP_CONFIG_H
#define KP_CONFIG_H

#include <stddef.h>

#include "log.h"

typedef struct {
    char data_dir[1024]; /* --data-dir: state, keys, embedded cluster */
    char db[2048];       /* --db: libpq conninfo; empty = embedded cluster */
    char listen[256];    /* --listen: ROUTER endpoint for requests */
    char publish[256];   /* --publish: PUB endpoint for live updates */
    int workers;         /* --workers: worker threads = database connections */

    int snapshot_cache_mb; /* --snapshot-cache: MB for kept snapshots (0: none) */
    kp_log_level log_level;
    char pg_user[64]; /* --pg-user: OS user of the embedded cluster when root */
    int insecure;     /* --insecure: plain text, only on loopback TCP or ipc:// */
    int session_idle; /* --session-idle: seconds a session lives without use */
    int session_max;  /* --session-max: seconds a session lives at most */
    int print_help;
    int print_version;
    int print_public_key; /* --print-public-key: print it (making keys if needed), exit */
    int check_config;     /* --check-config: check everything, start nothing, exit 0/1 */
} kp_config;

/* Fills cfg from defaults, file, environment and argv. 0 on success, or -1
 * with a sentence in err naming the bad option and why (also: --insecure with
 * an endpoint that leaves the machine, an idle time above the maximum). */
int kp_config_load(kp_config *cfg, int argc, char **argv, char *err, size_t errlen);

/* kompassd's --help text. */
extern const char kp_config_usage[];

#endif
