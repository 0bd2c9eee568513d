/*  helpdoc: the man page and the shell completion, made from the commands'
 *  own help texts (kp_commands), so that there is no second copy to keep in
 *  step: `kompass help --man` prints kompass(1) in roff (the build makes
 *  kompass.1 with it), `kompass __complete CWORD WORD...` prints the
 *  candidates for bash (client/kompass.bash): commands, subcommands and
 *  options as the usage lines name them, the alternatives a usage line
 *  spells `a|b|c`, and for an ID the evaluations the caller can see.
 */
#ifndef KP_HELPDOC_H
#define KP_HELPDOC_H

#include <stdio.h>

#include "cli.h"

/* Prints the man page; overview is the text of `kompass --help` before its
 * command list. */
void kp_helpdoc_man(FILE *out, const char *overview);

/* Prints one candidate a line for word cword of words (words[0] is
 * "kompass"); returns 0. */
int kp_helpdoc_complete(kp_cli *cli, int cword, int nwords, char **words);

#endif
