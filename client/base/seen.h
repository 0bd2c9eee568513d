/*  seen: the versions this client has shown its user.
 *
 *  A write must carry the version its writer last saw, not whatever is on
 *  the server when the command runs. `score show` and `text show` record the
 *  versions they print in $XDG_CONFIG_HOME/kompass/seen.json; `score set`
 *  sends the recorded version, so a change made meanwhile elsewhere (another
 *  laptop, an admin) comes back as CONFLICT instead of being overwritten.
 */
#ifndef KP_SEEN_H
#define KP_SEEN_H

#include <stdint.h>

#include "cli.h"

/* The version recorded for key ("12/score/3.2/ewa"); -1 if none. */
int64_t kp_seen_get(kp_cli *cli, const char *key);

/* Records version for key (written when the command ends). */
void kp_seen_put(kp_cli *cli, const char *key, int64_t version);

/* Writes the recorded versions back (0600); called by main. */
void kp_seen_save(kp_cli *cli);

#endif
