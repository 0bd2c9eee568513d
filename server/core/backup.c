/*  backup: dumps of the database, made by kompassd with pg_dump (see
 *  backup.h). */
#include "backup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <sodium.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

extern char **environ;

int kp_backup_id_valid(const char *id)
{
    if (!id || strlen(id) != 32) return 0;
    for (const char *p = id; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) return 0;
    return 1;
}

/* DIR/backups/<id><suffix> into out. */
static void s_path(const char *data_dir, const char *id, const char *suffix, char *out, size_t len)
{
    snprintf(out, len, "%s/backups/%s%s", data_dir, id, suffix);
}

int kp_backup_split_password(const char *conninfo, char *out, size_t outlen, char *password,
                             size_t pwlen, char *err, size_t errlen)
{
    char *perr = NULL;
    PQconninfoOption *opts = PQconninfoParse(conninfo, &perr);
    if (!opts) {
        snprintf(err, errlen, "the database connection string cannot be read: %s",
                 perr ? perr : "out of memory");
        PQfreemem(perr);
        return -1;
    }
    size_t used = 0;
    int rc = 0;
    out[0] = '\0';
    password[0] = '\0';
    for (PQconninfoOption *o = opts; o->keyword; o++) {
        if (!o->val) continue;
        if (strcmp(o->keyword, "password") == 0) {
            if (strlen(o->val) >= pwlen) rc = -1;
            kp_strlcpy(password, o->val, pwlen);
            continue;
        }
        /* keyword='value' with \ and ' escaped, as libpq reads it */
        char quoted[2100];
        size_t q = 0;
        for (const char *p = o->val; *p && q < sizeof quoted - 2; p++) {
            if (*p == '\'' || *p == '\\') quoted[q++] = '\\';
            quoted[q++] = *p;
        }
        quoted[q] = '\0';
        int n =
            snprintf(out + used, outlen - used, "%s%s='%s'", used ? " " : "", o->keyword, quoted);
        if (n < 0 || (size_t)n >= outlen - used) {
            rc = -1;
            break;
        }
        used += (size_t)n;
    }
    PQconninfoFree(opts);
    if (rc != 0) snprintf(err, errlen, "the database connection string is too long");
    return rc;
}

/* Removes dumps (and their sidecars and leftovers) older than max_age. */
static void s_prune(const char *dir, int max_age)
{
    DIR *d = opendir(dir);
    if (!d) return;
    time_t now = time(NULL);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char path[2200];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && now - st.st_mtime > max_age) {
            if (unlink(path) == 0) kp_info("backup", "removed %s (older than an hour)", path);
        }
    }
    closedir(d);
}

/* SHA-256 and size of the file at path. 0 or -1 (errno). */
static int s_hash_file(const char *path, char sha256[65], uint64_t *size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    unsigned char buf[65536];
    *size = 0;
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            int e = errno;
            close(fd);
            errno = e;
            return -1;
        }
        if (n == 0) break;
        crypto_hash_sha256_update(&st, buf, (unsigned long long)n);
        *size += (uint64_t)n;
    }
    close(fd);
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&st, h);
    kp_hex(h, sizeof h, sha256);
    return 0;
}

/* Runs pg_dump into path; 0, or -1 with err (its stderr when it failed). */
static int s_pg_dump(const char *conninfo, const char *path, const char *errpath, char *err,
                     size_t errlen)
{
    char safe[4096], password[1100];
    if (kp_backup_split_password(conninfo, safe, sizeof safe, password, sizeof password, err,
                                 errlen) != 0)
        return -1;
    const char *bindir = getenv("KOMPASS_PG_BINDIR");
    char prog[600];
    snprintf(prog, sizeof prog, "%s/pg_dump", bindir && *bindir ? bindir : KOMPASS_PG_BINDIR);
    if (access(prog, X_OK) != 0) {
        snprintf(err, errlen,
                 "cannot run %s: %s (install the PostgreSQL client programs of the database's "
                 "major version, or set KOMPASS_PG_BINDIR)",
                 prog, strerror(errno));
        sodium_memzero(password, sizeof password);
        return -1;
    }
    const char *argv[] = {prog,
                          "--format=custom",
                          "--no-password",
                          "--lock-wait-timeout=60s",
                          "--file",
                          path,
                          "--dbname",
                          safe,
                          NULL};
    /* The environment, with PGPASSWORD set (or removed: not inherited). */
    size_t n_env = 0;
    while (environ[n_env])
        n_env++;
    char **envp = calloc(n_env + 2, sizeof *envp);
    char *pw_var = NULL;
    if (!envp) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t k = 0;
    for (size_t i = 0; i < n_env; i++)
        if (strncmp(environ[i], "PGPASSWORD=", 11) != 0) envp[k++] = environ[i];
    if (password[0]) {
        size_t len = strlen(password) + 12;
        pw_var = malloc(len);
        if (pw_var) {
            snprintf(pw_var, len, "PGPASSWORD=%s", password);
            envp[k++] = pw_var;
        }
    }
    envp[k] = NULL;
    sodium_memzero(password, sizeof password);

    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    pid_t pid;
    int rc = posix_spawn(&pid, prog, &fa, NULL, (char *const *)argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    if (pw_var) {
        sodium_memzero(pw_var, strlen(pw_var));
        free(pw_var);
    }
    free(envp);
    if (rc != 0) {
        snprintf(err, errlen, "cannot start %s: %s", prog, strerror(rc));
        return -1;
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            snprintf(err, errlen, "waiting for pg_dump: %s", strerror(errno));
            return -1;
        }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return 0;
    char *said = kp_read_file(errpath, 64 * 1024, NULL);
    if (said) {
        for (char *p = said; *p; p++)
            if (*p == '\n') *p = ' ';
        kp_trim(said);
    }
    if (WIFEXITED(status))
        snprintf(err, errlen, "pg_dump failed (exit %d): %.600s", WEXITSTATUS(status),
                 said && *said ? said : "(it said nothing)");
    else
        snprintf(err, errlen, "pg_dump was killed by signal %d", WTERMSIG(status));
    free(said);
    return -1;
}

static int s_write_meta(const char *data_dir, const kp_backup_info *info)
{
    char path[1200], text[600];
    s_path(data_dir, info->id, ".meta", path, sizeof path);
    int n = snprintf(text, sizeof text,
                     "size = %llu\nsha256 = %s\ncreated_us = %lld\ndatabase_version = %s\n"
                     "schema_applied = %s\n",
                     (unsigned long long)info->size, info->sha256, (long long)info->created_us,
                     info->database_version, info->schema_applied);
    return kp_write_file(path, text, (size_t)n, 0600);
}

int kp_backup_make(const char *data_dir, const char *conninfo, const char *database_version,
                   const char *schema_applied, kp_backup_info *info, char *err, size_t errlen)
{
    memset(info, 0, sizeof *info);
    char dir[1100], part[1200], final[1200], errpath[1200];
    snprintf(dir, sizeof dir, "%s/backups", data_dir);
    if (kp_mkdir_p(dir, 0700) != 0) {
        snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
        return -1;
    }
    chmod(dir, 0700); /* dumps hold every password hash: owner only */
    s_prune(dir, KP_BACKUP_MAX_AGE);
    kp_random_id(info->id);
    s_path(data_dir, info->id, ".part", part, sizeof part);
    s_path(data_dir, info->id, ".dump", final, sizeof final);
    s_path(data_dir, info->id, ".err", errpath, sizeof errpath);
    int rc = s_pg_dump(conninfo, part, errpath, err, errlen);
    unlink(errpath);
    if (rc == 0 && s_hash_file(part, info->sha256, &info->size) != 0) {
        snprintf(err, errlen, "cannot read the dump %s: %s", part, strerror(errno));
        rc = -1;
    }
    if (rc == 0) {
        info->created_us = kp_now_us();
        kp_strlcpy(info->database_version, database_version ? database_version : "",
                   sizeof info->database_version);
        kp_strlcpy(info->schema_applied, schema_applied ? schema_applied : "",
                   sizeof info->schema_applied);
        if (s_write_meta(data_dir, info) != 0 || rename(part, final) != 0) {
            snprintf(err, errlen, "cannot keep the dump in %s: %s", dir, strerror(errno));
            rc = -1;
        }
    }
    if (rc != 0) kp_backup_remove(data_dir, info->id);
    unlink(part);
    return rc;
}

int kp_backup_find(const char *data_dir, const char *id, kp_backup_info *info, char *err,
                   size_t errlen)
{
    memset(info, 0, sizeof *info);
    if (!kp_backup_id_valid(id)) {
        snprintf(err, errlen, "'%.40s' is not a backup id (32 hex characters)", id ? id : "");
        return -1;
    }
    char path[1200];
    s_path(data_dir, id, ".meta", path, sizeof path);
    char *text = kp_read_file(path, 4096, NULL);
    if (!text) {
        if (errno == ENOENT) return 1;
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    kp_strlcpy(info->id, id, sizeof info->id);
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *eq = strchr(line, '=');
        if (!eq) continue;
        *eq = '\0';
        char *key = kp_trim(line), *value = kp_trim(eq + 1);
        if (strcmp(key, "size") == 0) info->size = strtoull(value, NULL, 10);
        if (strcmp(key, "sha256") == 0) kp_strlcpy(info->sha256, value, sizeof info->sha256);
        if (strcmp(key, "created_us") == 0) info->created_us = atoll(value);
        if (strcmp(key, "database_version") == 0)
            kp_strlcpy(info->database_version, value, sizeof info->database_version);
        if (strcmp(key, "schema_applied") == 0)
            kp_strlcpy(info->schema_applied, value, sizeof info->schema_applied);
    }
    free(text);
    return 0;
}

int kp_backup_read(const char *data_dir, const char *id, uint64_t offset, void *buf, size_t max,
                   size_t *n, char *err, size_t errlen)
{
    *n = 0;
    char path[1200];
    s_path(data_dir, id, ".dump", path, sizeof path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    while (*n < max) {
        ssize_t r = pread(fd, (char *)buf + *n, max - *n, (off_t)(offset + *n));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
            close(fd);
            return -1;
        }
        if (r == 0) break;
        *n += (size_t)r;
    }
    close(fd);
    return 0;
}

void kp_backup_remove(const char *data_dir, const char *id)
{
    if (!kp_backup_id_valid(id)) return;
    const char *suffixes[] = {".dump", ".meta", ".part", ".err"};
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        char path[1200];
        s_path(data_dir, id, suffixes[i], path, sizeof path);
        unlink(path);
    }
}
