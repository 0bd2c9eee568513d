/*  password: what a password must be, and its argon2id hash.
 *
 *  Passwords are at least KP_PASSWORD_MIN_CHARS Unicode characters (code
 *  points, so "lösenord" counts 8) and at most KP_PASSWORD_MAX_BYTES bytes.
 *  They are stored only as libsodium crypto_pwhash_str strings (argon2id,
 *  "interactive" limits: about 64 MiB and a tenth of a second per hash), are
 *  never logged, and are wiped from request memory once used.
 */
#ifndef KP_PASSWORD_H
#define KP_PASSWORD_H

#include <sodium.h>

#define KP_PASSWORD_MIN_CHARS 12
#define KP_PASSWORD_MAX_BYTES 1024
#define KP_PASSWORD_HASH_MAX  crypto_pwhash_STRBYTES

/* NULL when password may be used, else a sentence saying why not. */
const char *kp_password_problem(const char *password);

/* Hashes password into out. KP_OK, or KP_INTERNAL when the hash cannot be
 * computed (out of memory). */
int kp_password_hash(const char *password, char out[KP_PASSWORD_HASH_MAX]);

/* Whether password matches hash. */
int kp_password_verify(const char *hash, const char *password);

/* Spends the time of a verification without a hash to verify against, so
 * that an unknown login answers as slowly as a wrong password. */
void kp_password_verify_nothing(const char *password);

/* Whether hash was made with weaker limits than today's. */
int kp_password_needs_rehash(const char *hash);

/* Overwrites a password in place (NULL is fine). */
void kp_password_wipe(char *password);

#endif
