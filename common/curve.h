/*  curve: ZeroMQ CURVE, as the server, the CLI and the tests use it.
 *
 *  Every TCP endpoint of kompassd speaks CURVE: the server has a long-term
 *  key pair (server/keys.c), clients know its public key and make a key pair
 *  of their own (ephemeral: identity comes from the session, not the key).
 *  Keys travel as Z85 text, 40 characters for 32 bytes. Plain text is only
 *  for endpoints that never leave the machine (loopback TCP, ipc, inproc),
 *  and only when asked for with --insecure.
 */
#ifndef KP_CURVE_H
#define KP_CURVE_H

#include <stddef.h>

/* Characters of a key in Z85 (without the terminating NUL). */
#define KP_CURVE_KEY_LEN 40

/* The ZAP domain kompassd's CURVE sockets use. */
#define KP_ZAP_DOMAIN "kompass"

/* Whether text is a CURVE key: exactly 40 characters of Z85. */
int kp_curve_key_valid(const char *text);

/* Makes sock a CURVE client of the server with public key server_key, with a
 * fresh key pair of its own. Call before connecting. 0, or -1 with err. */
int kp_curve_client_apply(void *sock, const char *server_key, char *err, size_t errlen);

/* Makes sock a CURVE server with secret_key, in kompassd's ZAP domain. Call
 * before binding. 0, or -1 with err. */
int kp_curve_server_apply(void *sock, const char *secret_key, char *err, size_t errlen);

/* Whether endpoint stays on this machine: tcp:// on a loopback address
 * (127.0.0.0/8, ::1, localhost), ipc:// or inproc://. A wildcard or an
 * interface name is not local. */
int kp_endpoint_is_local(const char *endpoint);

#endif
