/*  backup: dumps of the database, made by kompassd with pg_dump.
 *
 *  kompassd has the database's connection string; the CLI normally has no
 *  database access at all. So the Backup RPC (server/rpc_backup.c) has
 *  kompassd run pg_dump (custom format, restorable with pg_restore) into
 *  DATA-DIR/backups/<id>.dump, and the client reads the file back in
 *  pieces. Each dump has a sidecar <id>.meta: size, SHA-256, when it was
 *  made, the PostgreSQL version and the newest migration in it.
 *
 *  The directory is a staging area, not an archive: a dump is removed once
 *  the client said it has all of it, and any dump older than an hour when
 *  the next one is made. Ids are 32 hex characters: nothing else names a file here.
 *
 *  pg_dump runs as a child process (posix_spawn: safe in a threaded
 *  process) from KOMPASS_PG_BINDIR (at run time, else the build's). A
 *  password in the connection string reaches it through PGPASSWORD in its
 *  environment, never on its command line (which others can read in
 *  /proc). It waits at most 60 s for a lock (--lock-wait-timeout).
 */
#ifndef KP_BACKUP_H
#define KP_BACKUP_H

#include <stddef.h>
#include <stdint.h>

/* A piece is at most this many bytes. */
#define KP_BACKUP_PIECE (1024 * 1024)

/* Dumps older than this are removed when a new one is made (seconds). */
#define KP_BACKUP_MAX_AGE 3600

typedef struct {
    char id[33];               /* 32 hex characters */
    uint64_t size;             /* bytes */
    char sha256[65];           /* lower-case hex */
    int64_t created_us;        /* when the dump finished */
    char database_version[64]; /* PostgreSQL's server_version */
    char schema_applied[128];  /* the newest migration in the dump */
} kp_backup_info;

/* Makes a dump of the database at conninfo in data_dir/backups. The caller
 * passes what it knows of the database (version, newest migration) for the
 * sidecar. 0 with *info, or -1 with a sentence in err (pg_dump's own words
 * when it failed). */
int kp_backup_make(const char *data_dir, const char *conninfo, const char *database_version,
                   const char *schema_applied, kp_backup_info *info, char *err, size_t errlen);

/* Reads the sidecar of dump id: 0, 1 when there is no such dump, -1 with
 * err (a malformed id included). */
int kp_backup_find(const char *data_dir, const char *id, kp_backup_info *info, char *err,
                   size_t errlen);

/* Reads at most max bytes of dump id from offset into buf; *n bytes read.
 * 0, or -1 with err. */
int kp_backup_read(const char *data_dir, const char *id, uint64_t offset, void *buf, size_t max,
                   size_t *n, char *err, size_t errlen);

/* Removes dump id and its sidecar. */
void kp_backup_remove(const char *data_dir, const char *id);

/* Whether id is 32 lower-case hex characters. */
int kp_backup_id_valid(const char *id);

/* conninfo (keywords or URI) rewritten as keyword='value' pairs without the
 * password, into out; the password, if any, into password (both may be
 * truncated to their sizes: then -1 with err). 0 or -1. */
int kp_backup_split_password(const char *conninfo, char *out, size_t outlen, char *password,
                             size_t pwlen, char *err, size_t errlen);

#endif
