/*  curve and keys: which endpoints count as local, what a key looks like,
 *  and the server's key files. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zmq.h>

#include "curve.h"
#include "keys.h"
#include "util.h"

Test(curve, loopback_and_ipc_are_local)
{
    const char *local[] = {"tcp://127.0.0.1:5555", "tcp://127.8.9.10:1",
                           "tcp://localhost:5555", "tcp://[::1]:5555",
                           "tcp://127.0.0.1:*",    "ipc:///tmp/kompass.sock",
                           "inproc://x",           "tcp://10.0.0.1;127.0.0.1:5555"};
    for (size_t i = 0; i < sizeof local / sizeof *local; i++)
        cr_assert(kp_endpoint_is_local(local[i]), "%s should be local", local[i]);
}

Test(curve, everything_else_is_not_local)
{
    const char *remote[] = {"tcp://0.0.0.0:5555",        "tcp://*:5555",
                            "tcp://eth0:5555",           "tcp://[::]:5555",
                            "tcp://192.0.2.1:5555",      "tcp://kompass.example:1",
                            "tcp://128.0.0.1:1",         "tcp://127.0.0.1",
                            "udp://127.0.0.1:1",         "tcp://:5555",
                            "tcp://[::ffff:127.0.0.1]:1"};
    for (size_t i = 0; i < sizeof remote / sizeof *remote; i++)
        cr_assert(!kp_endpoint_is_local(remote[i]), "%s should not be local", remote[i]);
}

Test(curve, key_validity)
{
    char pub[41], sec[41];
    cr_assert_eq(zmq_curve_keypair(pub, sec), 0);
    cr_assert(kp_curve_key_valid(pub));
    cr_assert(!kp_curve_key_valid(""));
    cr_assert(!kp_curve_key_valid(NULL));
    pub[39] = '\0';
    cr_assert(!kp_curve_key_valid(pub), "39 characters");
    cr_assert(!kp_curve_key_valid("~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~"), "not Z85");
}

static char dir[64];

static void setup(void)
{
    kp_strlcpy(dir, "/tmp/kompass-keys-XXXXXX", sizeof dir);
    cr_assert(mkdtemp(dir));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    (void)!system(cmd);
}

Test(keys, made_once_then_loaded, .init = setup, .fini = teardown)
{
    kp_server_keys k1, k2;
    char err[512];
    int created = 0;
    cr_assert_eq(kp_keys_load(dir, &k1, &created, err, sizeof err), 0, "%s", err);
    cr_assert_eq(created, 1);
    cr_assert_eq(kp_keys_load(dir, &k2, &created, err, sizeof err), 0, "%s", err);
    cr_assert_eq(created, 0);
    cr_assert_str_eq(k1.public_key, k2.public_key);
    cr_assert_str_eq(k1.secret_key, k2.secret_key);
    char derived[41];
    cr_assert_eq(zmq_curve_public(derived, k1.secret_key), 0);
    cr_assert_str_eq(derived, k1.public_key);
    char path[200];
    struct stat st;
    snprintf(path, sizeof path, "%s/curve/server.key", dir);
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0600);
    kp_keys_wipe(&k1);
    cr_assert_eq(k1.secret_key[0], '\0');
}

Test(keys, garbage_key_file_is_named, .init = setup, .fini = teardown)
{
    char path[200];
    snprintf(path, sizeof path, "%s/curve", dir);
    cr_assert_eq(kp_mkdir_p(path, 0755), 0);
    snprintf(path, sizeof path, "%s/curve/server.key", dir);
    cr_assert_eq(kp_write_file(path, "hello\n", 6, 0600), 0);
    kp_server_keys k;
    char err[512];
    cr_assert_eq(kp_keys_load(dir, &k, NULL, err, sizeof err), -1);
    cr_assert(strstr(err, "server.key does not hold a CURVE key"), "%s", err);
}
