/*  rpc_backup: Backup, a dump of the database read back in pieces.
 *
 *  Without a backup_id: kompassd runs pg_dump now (server/backup.c; the
 *  answering worker waits for it) and answers with the dump's facts and its
 *  first piece. With one: the piece at offset. Asking for the piece at the
 *  end (offset = total_bytes, no data) says the client has it all, and
 *  removes the dump. Admins only (server/authz.c): a dump holds every password
 *  hash. Who made a backup is recorded in the security log (kind backup: its
 *  id, size and SHA-256); a backup that cannot be recorded is not handed
 *  out.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "backup.h"
#include "log.h"
#include "rpc.h"
#include "seclog.h"
#include "util.h"

const kp_stmt kp_rpc_backup_stmts[] = {
    {"backup_facts", "SELECT current_setting('server_version'), "
                     "  coalesce((SELECT max(name) FROM schema_migrations), '')"},
    {NULL, NULL},
};

int kp_rpc_backup(kp_req *r)
{
    const Kompass__V1__BackupRequest *in = r->msg->backup;
    const char *data_dir = r->server->data_dir;
    char err[1200];
    kp_backup_info info;
    uint64_t offset = in->offset;
    if (!in->backup_id || !*in->backup_id) {
        if (offset)
            return kp_req_fail(r, KP_BAD_REQUEST,
                               "a new backup starts at offset 0 (give backup_id to continue one)");
        PGresult *res;
        int rc = kp_req_call(r, "backup_facts", 0, NULL, &res);
        if (rc != KP_OK) return kp_req_db_fail(r, rc, "asking the database before the backup");
        char version[64], schema[128];
        kp_strlcpy(version, PQgetvalue(res, 0, 0), sizeof version);
        kp_strlcpy(schema, PQgetvalue(res, 0, 1), sizeof schema);
        int64_t t0 = kp_mono_ms();
        if (kp_backup_make(data_dir, r->server->conninfo, version, schema, &info, err,
                           sizeof err) != 0) {
            kp_error("backup", "backup for %s failed: %s", r->login, err);
            return kp_req_fail(r, KP_INTERNAL, "the backup failed: %s", err);
        }
        kp_info("backup", "backup %s made for %s from %s: %" PRIu64 " bytes in %lld ms, sha256 %s",
                info.id, r->login, r->peer_addr, info.size, (long long)(kp_mono_ms() - t0),
                info.sha256);
        const char *detail = kp_arena_printf(
            r->arena,
            "backup %s: %" PRIu64 " bytes, PostgreSQL %s, schema %s, "
            "sha256 %s",
            info.id, info.size, info.database_version, info.schema_applied, info.sha256);
        rc = kp_seclog_write(r, KP_SEC_BACKUP, r->login, r->user_id, detail);
        if (rc != KP_OK) {
            kp_backup_remove(data_dir, info.id);
            return kp_req_db_fail(r, rc, "recording the backup in the security log");
        }
    } else {
        int found = kp_backup_find(data_dir, in->backup_id, &info, err, sizeof err);
        if (found < 0) return kp_req_fail(r, KP_BAD_REQUEST, "%s", err);
        if (found > 0)
            return kp_req_fail(r, KP_NOT_FOUND,
                               "no backup %s on this kompassd (%s): it was read to the end, is "
                               "older than an hour, or was made by another kompassd; start a "
                               "new one",
                               in->backup_id, r->server->instance);
        if (offset > info.size)
            return kp_req_fail(r, KP_BAD_REQUEST,
                               "offset %" PRIu64 " is beyond the end of backup %s (%" PRIu64
                               " bytes)",
                               offset, info.id, info.size);
    }
    Kompass__V1__BackupResponse *out = kp_arena_zalloc(r->arena, sizeof *out);
    kompass__v1__backup_response__init(out);
    out->backup_id = kp_arena_strdup(r->arena, info.id);
    out->total_bytes = info.size;
    out->sha256 = kp_arena_strdup(r->arena, info.sha256);
    out->offset = offset;
    out->created_us = info.created_us;
    out->database_version = kp_arena_strdup(r->arena, info.database_version);
    out->schema_applied = kp_arena_strdup(r->arena, info.schema_applied);
    uint64_t left = info.size - offset;
    size_t want = left < KP_BACKUP_PIECE ? (size_t)left : KP_BACKUP_PIECE;
    size_t n = 0;
    out->data.data = kp_arena_alloc(r->arena, want ? want : 1);
    if (kp_backup_read(data_dir, info.id, offset, out->data.data, want, &n, err, sizeof err) != 0 ||
        n != want) {
        kp_error("backup", "reading backup %s: %s", info.id, n != want ? "short read" : err);
        return kp_req_fail(r, KP_INTERNAL, "cannot read backup %s (logged on the server)", info.id);
    }
    out->data.len = n;
    /* Asked for the end: the client has it all (a lost last piece can still
     * be asked for again until then). */
    if (offset == info.size) kp_backup_remove(data_dir, info.id);
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_BACKUP;
    r->resp->backup = out;
    return KP_OK;
}
