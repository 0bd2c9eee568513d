/*  editor: running the user's editor on a file, the one place that does.
 *
 *  $VISUAL, else $EDITOR, else vi, run through sh (so "code --wait" or
 *  "emacs -nw" work), on the terminal the CLI has. While it runs, Ctrl-C and
 *  Ctrl-\ go to the editor alone (the CLI ignores them, as git does), and a
 *  callback is called about five times a second (to renew a lease).
 */
#ifndef KP_EDITOR_H
#define KP_EDITOR_H

#include <stddef.h>

/* Called while the editor runs. */
typedef void kp_editor_tick(void *arg);

/* Opens the editor on path and waits for it. 0 when it exited with status 0;
 * otherwise -1 with a sentence in err ("the editor (vim) exited with status
 * 1"). *name gets the editor's command (static or from the environment). */
int kp_editor_run(const char *path, kp_editor_tick *tick, void *arg, const char **name, char *err,
                  size_t errlen);

/* Whether the user can be asked a question: standard input and standard
 * error are terminals. */
int kp_editor_can_ask(void);

/* Asks question on stderr and reads a line from standard input: 1 for an
 * answer starting with y or Y, 0 otherwise (also at end of input). */
int kp_editor_ask_yes(const char *question);

#endif
