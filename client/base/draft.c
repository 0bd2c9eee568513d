/*  draft: what a user typed, kept on disk until the server has it. */
#include "draft.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "util.h"

#define DRAFT_MAX (4u << 20) /* larger than any text or sheet the server takes */

struct kp_draft {
    char dir[PATH_MAX];
    char text[PATH_MAX + 256];   /* NAME.txt */
    char record[PATH_MAX + 256]; /* NAME.json */
    char lock[PATH_MAX + 256];   /* NAME.lock */
    int lock_fd;
    json_t *rec;
};

int kp_draft_dir(const kp_settings *s, const char *login, char *out, size_t len, char *err,
                 size_t errlen)
{
    char base[PATH_MAX];
    const char *xdg = getenv("XDG_STATE_HOME");
    const char *home = getenv("HOME");
    /* the XDG spec: a relative XDG_STATE_HOME is invalid and ignored */
    if (xdg && xdg[0] == '/')
        snprintf(base, sizeof base, "%s/kompass/drafts", xdg);
    else if (home && *home)
        snprintf(base, sizeof base, "%s/.local/state/kompass/drafts", home);
    else {
        snprintf(err, errlen, "neither XDG_STATE_HOME nor HOME is set: nowhere to keep drafts");
        return -1;
    }
    /* Which server: its key when there is one (several endpoints of one
     * installation share it), else the endpoints as given. */
    const char *id = *s->server_key ? s->server_key : s->server;
    unsigned char h[8];
    crypto_generichash(h, sizeof h, (const unsigned char *)id, strlen(id), NULL, 0);
    char hex[17];
    kp_hex(h, sizeof h, hex);
    int n = snprintf(out, len, "%s/%s@%s", base, login, hex);
    if (n < 0 || (size_t)n >= len) {
        snprintf(err, errlen, "the drafts directory's path is too long");
        return -1;
    }
    return 0;
}

static int s_name_ok(const char *name)
{
    if (!*name || strlen(name) > 200 || name[0] == '.') return 0;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '_' || *p == '-'))
            return 0;
    return 1;
}

/* fsync of a directory: a rename in it is durable only then. */
static int s_sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

int kp_draft_open(const kp_settings *s, const char *login, const char *name, kp_draft **out,
                  int *busy, char *err, size_t errlen)
{
    *out = NULL;
    *busy = 0;
    if (!s_name_ok(name) || !s_name_ok(login)) {
        snprintf(err, errlen, "'%s' is not a draft name", name);
        return -1;
    }
    kp_draft *d = calloc(1, sizeof *d);
    if (!d) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    d->lock_fd = -1;
    if (kp_draft_dir(s, login, d->dir, sizeof d->dir, err, errlen) != 0) goto fail;
    if (kp_mkdir_p(d->dir, 0700) != 0) {
        snprintf(err, errlen, "cannot make the drafts directory %s: %s", d->dir, strerror(errno));
        goto fail;
    }
    snprintf(d->text, sizeof d->text, "%s/%s.txt", d->dir, name);
    snprintf(d->record, sizeof d->record, "%s/%s.json", d->dir, name);
    snprintf(d->lock, sizeof d->lock, "%s/%s.lock", d->dir, name);
    /* A lock file is unlinked by the last holder when its draft is gone
     * (kp_draft_close): a lock taken on a file that is no longer the one at
     * the path guards nothing, so it is taken again on the new one. */
    for (int tries = 0;; tries++) {
        d->lock_fd = open(d->lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (d->lock_fd < 0) {
            snprintf(err, errlen, "cannot open %s: %s", d->lock, strerror(errno));
            goto fail;
        }
        if (flock(d->lock_fd, LOCK_EX | LOCK_NB) != 0) {
            *busy = errno == EWOULDBLOCK;
            snprintf(err, errlen, "%s",
                     *busy ? "another kompass on this machine is working on it" : strerror(errno));
            goto fail;
        }
        struct stat held, named;
        if (fstat(d->lock_fd, &held) == 0 && stat(d->lock, &named) == 0 &&
            held.st_dev == named.st_dev && held.st_ino == named.st_ino)
            break;
        close(d->lock_fd);
        d->lock_fd = -1;
        if (tries == 10) {
            *busy = 1;
            snprintf(err, errlen, "another kompass on this machine is working on it");
            goto fail;
        }
    }
    char *rec = kp_read_file(d->record, DRAFT_MAX, NULL);
    if (rec) {
        d->rec = json_loads(rec, 0, NULL);
        free(rec);
    }
    /* A record that cannot be read (a disk that lost it) still leaves the
     * text: the caller sees a draft without its facts and says so. */
    if (!json_is_object(d->rec)) {
        json_decref(d->rec);
        d->rec = json_object();
    }
    *out = d;
    return 0;
fail:
    kp_draft_close(&d);
    return -1;
}

int kp_draft_exists(const kp_draft *d)
{
    return access(d->text, F_OK) == 0;
}

const char *kp_draft_path(const kp_draft *d)
{
    return d->text;
}

json_t *kp_draft_record(kp_draft *d)
{
    return d->rec;
}

static int s_write(kp_draft *d, const char *path, const char *data, size_t len, char *err,
                   size_t errlen)
{
    if (kp_write_file(path, data, len, 0600) != 0 || s_sync_dir(d->dir) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

int kp_draft_save_record(kp_draft *d, char *err, size_t errlen)
{
    json_object_set_new(d->rec, "updated_at_us", json_integer((json_int_t)kp_now_us()));
    char *text = json_dumps(d->rec, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (!text) {
        snprintf(err, errlen, "cannot encode the draft's record");
        return -1;
    }
    int rc = s_write(d, d->record, text, strlen(text), err, errlen);
    free(text);
    return rc;
}

int kp_draft_write(kp_draft *d, const char *text, char *err, size_t errlen)
{
    if (s_write(d, d->text, text, strlen(text), err, errlen) != 0) return -1;
    return kp_draft_save_record(d, err, errlen);
}

int kp_draft_sync(kp_draft *d, char *err, size_t errlen)
{
    int fd = open(d->text, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0 || s_sync_dir(d->dir) != 0) {
        snprintf(err, errlen, "cannot make %s durable: %s", d->text, strerror(errno));
        if (fd >= 0) close(fd);
        return -1;
    }
    close(fd);
    /* an editor that wrote a new file may have given it its own mode */
    chmod(d->text, 0600);
    return 0;
}

char *kp_draft_read(const kp_draft *d)
{
    return kp_read_file(d->text, DRAFT_MAX, NULL);
}

int kp_draft_remove(kp_draft *d, char *err, size_t errlen)
{
    const char *paths[2] = {d->text, d->record};
    for (int i = 0; i < 2; i++)
        if (unlink(paths[i]) != 0 && errno != ENOENT) {
            snprintf(err, errlen, "cannot remove %s: %s", paths[i], strerror(errno));
            return -1;
        }
    s_sync_dir(d->dir);
    return 0;
}

void kp_draft_close(kp_draft **d_p)
{
    kp_draft *d = *d_p;
    if (!d) return;
    /* A draft gone needs no lock file; unlinked while still held, so that
     * whoever opens the name next makes a new one and locks that. */
    if (d->lock_fd >= 0 && !kp_draft_exists(d)) unlink(d->lock);
    if (d->lock_fd >= 0) close(d->lock_fd); /* closing lets go of the flock */
    json_decref(d->rec);
    free(d);
    *d_p = NULL;
}
