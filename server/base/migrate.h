/*  migrate: moves the database schema forward at start-up.
 *
 *  Migrations are the files sql/NNN_name.sql, compiled into kompassd in
 *  order (cmake/embed_sql.cmake). Each runs once, in its own transaction, and
 *  is recorded in schema_migrations with its checksum. Several kompassd
 *  processes starting together serialise on an advisory lock. A failed
 *  migration rolls back and stops start-up, naming the file and the error.
 */
#ifndef KP_MIGRATE_H
#define KP_MIGRATE_H

#include <libpq-fe.h>
#include <stddef.h>

typedef struct {
    const char *name; /* "001_foundation.sql"; NULL ends the table */
    const char *sql;
} kp_migration;

/* Every migration, in order (generated). */
extern const kp_migration kp_migrations[];

/* Applies the pending migrations of table on conn. Returns the number
 * applied (0 when current), or -1 with a sentence in err. */
int kp_migrate(PGconn *conn, const kp_migration *table, char *err, size_t errlen);

/* The checksum recorded for a migration's text (BLAKE2b-256, hex). */
void kp_migrate_checksum(const char *sql, char hex[65]);

/* The name of the newest migration in table. */
const char *kp_migrate_latest(const kp_migration *table);

#endif
