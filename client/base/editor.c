/*  editor: running the user's editor on a file, the one place that does. */
#include "editor.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int kp_editor_run(const char *path, kp_editor_tick *tick, void *arg, const char **name, char *err,
                  size_t errlen)
{
    const char *editor = getenv("VISUAL");
    if (!editor || !*editor) editor = getenv("EDITOR");
    if (!editor || !*editor) editor = "vi";
    *name = editor;
    fflush(stdout);
    fflush(stderr);
    /* The terminal's Ctrl-C is for the editor; the CLI must live on to keep
     * (and save) what was written. */
    struct sigaction ign = {0}, old_int, old_quit;
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    sigaction(SIGINT, &ign, &old_int);
    sigaction(SIGQUIT, &ign, &old_quit);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "cannot start the editor (%s): %s", editor, strerror(errno));
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGQUIT, &old_quit, NULL);
        return -1;
    }
    if (pid == 0) {
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGQUIT, &old_quit, NULL);
        execlp("sh", "sh", "-c", "exec $0 \"$1\"", editor, path, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    for (;;) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid) break;
        if (w < 0 && errno != EINTR) {
            status = -1;
            break;
        }
        if (tick) tick(arg);
        usleep(200000);
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGQUIT, &old_quit, NULL);
    if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0) return 0;
    if (status == -1)
        snprintf(err, errlen, "lost track of the editor (%s)", editor);
    else if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
        snprintf(err, errlen, "the editor (%s) could not be started (set VISUAL or EDITOR)",
                 editor);
    else if (WIFEXITED(status))
        snprintf(err, errlen, "the editor (%s) exited with status %d", editor, WEXITSTATUS(status));
    else
        snprintf(err, errlen, "the editor (%s) was killed by signal %d", editor, WTERMSIG(status));
    return -1;
}

int kp_editor_can_ask(void)
{
    return isatty(STDIN_FILENO) && isatty(STDERR_FILENO);
}

int kp_editor_ask_yes(const char *question)
{
    fprintf(stderr, "%s ", question);
    fflush(stderr);
    char line[64];
    if (!fgets(line, sizeof line, stdin)) {
        fputc('\n', stderr);
        return 0;
    }
    return line[0] == 'y' || line[0] == 'Y';
}
