/*  keys: kompassd's long-term CURVE key pair (see keys.h). */
#include "keys.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "util.h"

/* Reads a one-line key file into out (KP_CURVE_KEY_LEN + 1). 0, 1 when the
 * file does not exist, -1 with err. */
static int s_read_key(const char *path, char *out, char *err, size_t errlen)
{
    size_t len = 0;
    char *text = kp_read_file(path, 4096, &len);
    if (!text) {
        if (errno == ENOENT) return 1;
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    kp_trim(text);
    int ok = kp_curve_key_valid(text);
    if (ok) kp_strlcpy(out, text, KP_CURVE_KEY_LEN + 1);
    sodium_memzero(text, len);
    free(text);
    if (!ok) {
        snprintf(err, errlen, "%s does not hold a CURVE key (one line of 40 Z85 characters)", path);
        return -1;
    }
    return 0;
}

static int s_write_key(const char *path, const char *key, mode_t mode, char *err, size_t errlen)
{
    char line[KP_CURVE_KEY_LEN + 2];
    snprintf(line, sizeof line, "%s\n", key);
    int rc = kp_write_file(path, line, strlen(line), mode);
    sodium_memzero(line, sizeof line);
    if (rc != 0) snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
    return rc;
}

int kp_keys_load(const char *data_dir, kp_server_keys *keys, int *created, char *err, size_t errlen)
{
    memset(keys, 0, sizeof *keys);
    if (created) *created = 0;
    char dir[1100], key_path[1200], pub_path[1200], lock_path[1200];
    snprintf(dir, sizeof dir, "%s/curve", data_dir);
    snprintf(key_path, sizeof key_path, "%s/server.key", dir);
    snprintf(pub_path, sizeof pub_path, "%s/server.pub", dir);
    snprintf(lock_path, sizeof lock_path, "%s/.lock", dir);
    if (kp_mkdir_p(dir, 0755) != 0) {
        snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
        return -1;
    }
    int lock = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock < 0 || flock(lock, LOCK_EX) != 0) {
        snprintf(err, errlen, "cannot lock %s: %s", lock_path, strerror(errno));
        if (lock >= 0) close(lock);
        return -1;
    }
    int rc = -1;
    struct stat st;
    int have = s_read_key(key_path, keys->secret_key, err, errlen);
    if (have < 0) goto out;
    if (have == 1) {
        /* First start: a new pair. */
        if (zmq_curve_keypair(keys->public_key, keys->secret_key) != 0) {
            snprintf(err, errlen, "cannot make a CURVE key pair: %s", zmq_strerror(errno));
            goto out;
        }
        if (s_write_key(key_path, keys->secret_key, 0600, err, errlen) != 0 ||
            s_write_key(pub_path, keys->public_key, 0644, err, errlen) != 0)
            goto out;
        if (created) *created = 1;
        rc = 0;
        goto out;
    }
    if (stat(key_path, &st) != 0 || (st.st_mode & 077) != 0) {
        snprintf(err, errlen,
                 "%s is readable by others (mode %04o): the secret key must be mode 0600 "
                 "(chmod 600 it, and consider making a new key pair)",
                 key_path, (unsigned)(st.st_mode & 07777));
        goto out;
    }
    char derived[KP_CURVE_KEY_LEN + 1];
    if (zmq_curve_public(derived, keys->secret_key) != 0) {
        snprintf(err, errlen, "%s: cannot derive the public key: %s", key_path,
                 zmq_strerror(errno));
        goto out;
    }
    int have_pub = s_read_key(pub_path, keys->public_key, err, errlen);
    if (have_pub < 0) goto out;
    if (have_pub == 1) {
        /* The public half is derived from the secret one: restore it. */
        kp_strlcpy(keys->public_key, derived, sizeof keys->public_key);
        if (s_write_key(pub_path, keys->public_key, 0644, err, errlen) != 0) goto out;
    } else if (strcmp(derived, keys->public_key) != 0) {
        snprintf(err, errlen,
                 "%s does not belong to %s: remove %s to have it made again from the secret key",
                 pub_path, key_path, pub_path);
        goto out;
    }
    rc = 0;
out:
    if (rc != 0) kp_keys_wipe(keys);
    close(lock); /* releases the flock */
    return rc;
}

int kp_keys_check(const char *data_dir, char *public_key, char *err, size_t errlen)
{
    char key_path[1200], pub_path[1200];
    snprintf(key_path, sizeof key_path, "%s/curve/server.key", data_dir);
    snprintf(pub_path, sizeof pub_path, "%s/curve/server.pub", data_dir);
    kp_server_keys keys;
    memset(&keys, 0, sizeof keys);
    int have = s_read_key(key_path, keys.secret_key, err, errlen);
    if (have != 0) return have;
    int rc = -1;
    struct stat st;
    char derived[KP_CURVE_KEY_LEN + 1];
    if (stat(key_path, &st) != 0 || (st.st_mode & 077) != 0) {
        snprintf(err, errlen, "%s is readable by others (mode %04o): chmod 600 it", key_path,
                 (unsigned)(st.st_mode & 07777));
        goto out;
    }
    if (zmq_curve_public(derived, keys.secret_key) != 0) {
        snprintf(err, errlen, "%s: cannot derive the public key: %s", key_path,
                 zmq_strerror(errno));
        goto out;
    }
    int have_pub = s_read_key(pub_path, keys.public_key, err, errlen);
    if (have_pub < 0) goto out;
    if (have_pub == 0 && strcmp(derived, keys.public_key) != 0) {
        snprintf(err, errlen, "%s does not belong to %s: remove %s to have it made again", pub_path,
                 key_path, pub_path);
        goto out;
    }
    kp_strlcpy(public_key, derived, KP_CURVE_KEY_LEN + 1);
    rc = 0;
out:
    kp_keys_wipe(&keys);
    return rc;
}

void kp_keys_wipe(kp_server_keys *keys)
{
    sodium_memzero(keys->secret_key, sizeof keys->secret_key);
}
