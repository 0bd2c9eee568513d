/*  keys: kompassd's long-term CURVE key pair, in DATA-DIR/curve/.
 *
 *      DATA-DIR/curve/server.key   the secret key, Z85, one line; mode 0600
 *      DATA-DIR/curve/server.pub   the public key, Z85, one line; mode 0644
 *
 *  Made with zmq_curve_keypair on first use, under a lock so that two
 *  processes starting together cannot write halves of different pairs. A
 *  secret key readable by anyone but its owner is refused (as ssh does), and
 *  a public key that does not belong to the secret one is an error, never
 *  silently replaced. Clients get the public key from `kompassd
 *  --print-public-key`; the secret key never leaves this module's caller.
 */
#ifndef KP_KEYS_H
#define KP_KEYS_H

#include <stddef.h>

#include "curve.h"

typedef struct {
    char public_key[KP_CURVE_KEY_LEN + 1]; /* Z85 */
    char secret_key[KP_CURVE_KEY_LEN + 1]; /* Z85; never logged */
} kp_server_keys;

/* Loads the key pair of data_dir, making it first if there is none. *created
 * (may be NULL) tells whether it was made now. 0, or -1 with a sentence in
 * err naming the file and the problem. */
int kp_keys_load(const char *data_dir, kp_server_keys *keys, int *created, char *err,
                 size_t errlen);

/* Checks the key pair of data_dir without making or changing anything:
 * 0 with the public key in public_key (KP_CURVE_KEY_LEN + 1) when the pair
 * is there, readable, private and matching; 1 when there is none yet; -1
 * with err naming the file and the problem. */
int kp_keys_check(const char *data_dir, char *public_key, char *err, size_t errlen);

/* Overwrites the secret key in memory. */
void kp_keys_wipe(kp_server_keys *keys);

#endif
