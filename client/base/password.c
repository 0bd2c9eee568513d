/*  password: asking for passwords (see password.h). */
#include "password.h"

#include <fcntl.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

static int s_tty = -1;
static struct termios s_saved;

/* Ctrl-C while echo is off: give the terminal back, then die as usual. */
static void s_restore_and_reraise(int sig)
{
    if (s_tty >= 0) tcsetattr(s_tty, TCSAFLUSH, &s_saved);
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Strips the line end; 0, or -1 when the line did not fit. */
static int s_chomp(char *line)
{
    size_t n = strlen(line);
    if (n == 0 || line[n - 1] != '\n') return n + 1 >= KP_CLI_PASSWORD_MAX ? -1 : 0;
    line[--n] = '\0';
    if (n > 0 && line[n - 1] == '\r') line[--n] = '\0';
    return 0;
}

static int s_from_stdin(char *out, char *err, size_t errlen)
{
    if (!fgets(out, KP_CLI_PASSWORD_MAX, stdin)) {
        snprintf(err, errlen, "--password-stdin: no password on standard input");
        return -1;
    }
    if (s_chomp(out) != 0) {
        kp_cli_password_wipe(out);
        snprintf(err, errlen, "--password-stdin: the password is longer than %d bytes",
                 KP_CLI_PASSWORD_MAX - 2);
        return -1;
    }
    return 0;
}

static int s_from_tty(const char *prompt, char *out, char *err, size_t errlen)
{
    int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "no terminal to ask for the password: use --password-stdin");
        return -1;
    }
    struct termios quiet;
    if (tcgetattr(fd, &s_saved) != 0) {
        close(fd);
        snprintf(err, errlen, "no terminal to ask for the password: use --password-stdin");
        return -1;
    }
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = s_restore_and_reraise;
    s_tty = fd;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    quiet = s_saved;
    quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
    quiet.c_lflag |= ICANON;
    tcsetattr(fd, TCSAFLUSH, &quiet);
    ssize_t w = write(fd, prompt, strlen(prompt));
    (void)w;
    size_t n = 0;
    int rc = 0;
    for (;;) {
        char c;
        ssize_t r = read(fd, &c, 1);
        if (r <= 0 || c == '\n') break;
        if (n + 1 >= KP_CLI_PASSWORD_MAX) {
            rc = -1;
            continue; /* read the rest of the line away */
        }
        out[n++] = c;
    }
    out[n] = '\0';
    w = write(fd, "\n", 1);
    tcsetattr(fd, TCSAFLUSH, &s_saved);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    s_tty = -1;
    close(fd);
    if (rc != 0) {
        kp_cli_password_wipe(out);
        snprintf(err, errlen, "the password is longer than %d bytes", KP_CLI_PASSWORD_MAX - 2);
    }
    return rc;
}

int kp_cli_password_read(int from_stdin, const char *prompt, char *out, char *err, size_t errlen)
{
    out[0] = '\0';
    return from_stdin ? s_from_stdin(out, err, errlen) : s_from_tty(prompt, out, err, errlen);
}

int kp_cli_password_read_new(int from_stdin, const char *prompt, char *out, char *err,
                             size_t errlen)
{
    if (kp_cli_password_read(from_stdin, prompt, out, err, errlen) != 0) return -1;
    if (from_stdin) return 0;
    char again[KP_CLI_PASSWORD_MAX];
    char prompt2[256];
    snprintf(prompt2, sizeof prompt2, "%s (again): ", prompt);
    /* "New password: " -> "New password (again): " */
    size_t pl = strlen(prompt);
    if (pl >= 2 && strcmp(prompt + pl - 2, ": ") == 0)
        snprintf(prompt2, sizeof prompt2, "%.*s (again): ", (int)(pl - 2), prompt);
    int rc = kp_cli_password_read(0, prompt2, again, err, errlen);
    if (rc == 0 && strcmp(out, again) != 0) {
        snprintf(err, errlen, "the two passwords differ; nothing was changed");
        rc = -1;
    }
    kp_cli_password_wipe(again);
    if (rc != 0) kp_cli_password_wipe(out);
    return rc;
}

void kp_cli_password_wipe(char *buf)
{
    sodium_memzero(buf, KP_CLI_PASSWORD_MAX);
}
