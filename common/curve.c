/*  curve: ZeroMQ CURVE, as the server, the CLI and the tests use it. */
#include "curve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <zmq.h>

int kp_curve_key_valid(const char *text)
{
    if (!text || strlen(text) != KP_CURVE_KEY_LEN) return 0;
    uint8_t raw[32];
    return zmq_z85_decode(raw, text) != NULL;
}

int kp_curve_client_apply(void *sock, const char *server_key, char *err, size_t errlen)
{
    if (!kp_curve_key_valid(server_key)) {
        snprintf(err, errlen,
                 "server key '%s' is not a CURVE public key (40 characters of Z85, as "
                 "`kompassd --print-public-key` prints it)",
                 server_key ? server_key : "");
        return -1;
    }
    char pub[KP_CURVE_KEY_LEN + 1], sec[KP_CURVE_KEY_LEN + 1];
    if (zmq_curve_keypair(pub, sec) != 0) {
        snprintf(err, errlen, "cannot make a CURVE key pair: %s", zmq_strerror(errno));
        return -1;
    }
    int rc = 0;
    if (zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, server_key, KP_CURVE_KEY_LEN) != 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, pub, KP_CURVE_KEY_LEN) != 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, sec, KP_CURVE_KEY_LEN) != 0) {
        snprintf(err, errlen, "cannot set up CURVE on the socket: %s", zmq_strerror(errno));
        rc = -1;
    }
    memset(sec, 0, sizeof sec);
    return rc;
}

int kp_curve_server_apply(void *sock, const char *secret_key, char *err, size_t errlen)
{
    int one = 1;
    if (zmq_setsockopt(sock, ZMQ_CURVE_SERVER, &one, sizeof one) != 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, secret_key, KP_CURVE_KEY_LEN) != 0 ||
        zmq_setsockopt(sock, ZMQ_ZAP_DOMAIN, KP_ZAP_DOMAIN, strlen(KP_ZAP_DOMAIN)) != 0) {
        snprintf(err, errlen, "cannot set up CURVE on the socket: %s", zmq_strerror(errno));
        return -1;
    }
    return 0;
}

int kp_endpoint_is_local(const char *endpoint)
{
    if (strncmp(endpoint, "ipc://", 6) == 0 || strncmp(endpoint, "inproc://", 9) == 0) return 1;
    if (strncmp(endpoint, "tcp://", 6) != 0) return 0;
    const char *addr = endpoint + 6;
    const char *semi = strchr(addr, ';'); /* tcp://source;destination */
    if (semi) addr = semi + 1;
    const char *colon = strrchr(addr, ':');
    if (!colon || colon == addr) return 0;
    char host[256];
    size_t n = (size_t)(colon - addr);
    if (n >= sizeof host) return 0;
    memcpy(host, addr, n);
    host[n] = '\0';
    if (host[0] == '[' && n >= 2 && host[n - 1] == ']') {
        memmove(host, host + 1, n - 2);
        host[n - 2] = '\0';
    }
    if (strcmp(host, "localhost") == 0) return 1;
    struct in_addr v4;
    if (inet_pton(AF_INET, host, &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
    struct in6_addr v6;
    if (inet_pton(AF_INET6, host, &v6) == 1) return memcmp(&v6, &in6addr_loopback, sizeof v6) == 0;
    return 0;
}
