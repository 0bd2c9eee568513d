/*  zap: kompassd's ZeroMQ authentication handler (ZAP, RFC 27).
 *
 *  Without a ZAP handler libzmq lets any client through, so one is bound to
 *  inproc://zeromq.zap.01 before any CURVE socket. It accepts CURVE clients
 *  of kompassd's domain (who they are is settled by password and session;
 *  CURVE gives encryption and proves the server's identity) and sets the
 *  connection's User-Id to the client's public key in Z85, which the broker
 *  passes on with each request (kp_req.peer_key, the security log). Anything
 *  else, NULL or PLAIN mechanisms or another domain, is refused.
 *
 *  The handler runs in its own thread and owns its socket; it stops when the
 *  context is shut down.
 */
#ifndef KP_ZAP_H
#define KP_ZAP_H

#include <stddef.h>

typedef struct kp_zap kp_zap;

/* Binds the ZAP endpoint in zctx and starts the handler. NULL with a sentence
 * in err on failure (e.g. another handler is already bound). */
kp_zap *kp_zap_start(void *zctx, char *err, size_t errlen);

/* Waits for the handler to finish (after zmq_ctx_shutdown) and frees it;
 * sets *self_p to NULL. */
void kp_zap_destroy(kp_zap **self_p);

#endif
