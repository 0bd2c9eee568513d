/*  password: asking for passwords.
 *
 *  From the terminal (/dev/tty), with echo off, restored even on Ctrl-C; or,
 *  with --password-stdin, one line of standard input per password, for
 *  scripts. Never echoed, never printed, wiped after use.
 */
#ifndef KP_CLIENT_PASSWORD_H
#define KP_CLIENT_PASSWORD_H

#include <stddef.h>

/* Longest password accepted (the server's limit is 1024 bytes). */
#define KP_CLI_PASSWORD_MAX 1100

/* Reads one password into out (KP_CLI_PASSWORD_MAX bytes): from standard
 * input when from_stdin, else from the terminal after prompt. 0, or -1 with
 * a sentence in err (no terminal, end of input, too long). */
int kp_cli_password_read(int from_stdin, const char *prompt, char *out, char *err, size_t errlen);

/* A new password: like kp_cli_password_read, but asked twice on a terminal,
 * and refused if the two differ. */
int kp_cli_password_read_new(int from_stdin, const char *prompt, char *out, char *err,
                             size_t errlen);

/* Overwrites a password buffer. */
void kp_cli_password_wipe(char *buf);

#endif
