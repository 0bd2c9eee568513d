/*  password: what a password must be, and its argon2id hash. */
#include "password.h"

#include <pthread.h>
#include <string.h>

#include "status.h"

#define OPS crypto_pwhash_OPSLIMIT_INTERACTIVE
#define MEM crypto_pwhash_MEMLIMIT_INTERACTIVE

/* Unicode code points in s (valid UTF-8: the wire layer checked it). */
static size_t s_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80) n++;
    return n;
}

const char *kp_password_problem(const char *password)
{
    if (!password || !*password) return "the password is empty";
    if (strlen(password) > KP_PASSWORD_MAX_BYTES) return "the password is longer than 1024 bytes";
    if (s_chars(password) < KP_PASSWORD_MIN_CHARS)
        return "the password is shorter than 12 characters";
    return NULL;
}

int kp_password_hash(const char *password, char out[KP_PASSWORD_HASH_MAX])
{
    if (crypto_pwhash_str(out, password, strlen(password), OPS, MEM) != 0) return KP_INTERNAL;
    return KP_OK;
}

int kp_password_verify(const char *hash, const char *password)
{
    return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

static char s_nothing[KP_PASSWORD_HASH_MAX];
static pthread_once_t s_nothing_once = PTHREAD_ONCE_INIT;

/* A hash of a random password nobody knows, made once per process. */
static void s_make_nothing(void)
{
    char random[33];
    unsigned char b[16];
    randombytes_buf(b, sizeof b);
    for (size_t i = 0; i < sizeof b; i++)
        random[i] = (char)('a' + b[i] % 26);
    random[sizeof b] = '\0';
    if (crypto_pwhash_str(s_nothing, random, strlen(random), OPS, MEM) != 0) s_nothing[0] = '\0';
    sodium_memzero(random, sizeof random);
}

void kp_password_verify_nothing(const char *password)
{
    pthread_once(&s_nothing_once, s_make_nothing);
    if (s_nothing[0]) (void)kp_password_verify(s_nothing, password);
}

int kp_password_needs_rehash(const char *hash)
{
    return crypto_pwhash_str_needs_rehash(hash, OPS, MEM) != 0;
}

void kp_password_wipe(char *password)
{
    if (password) sodium_memzero(password, strlen(password));
}
