/*  check: `kompassd --check-config`, the configuration checked without
 *  starting anything.
 *
 *  Reads what kompassd would use and says, one line each, whether it is
 *  fit: the settings, the data directory, the CURVE key pair, the request
 *  and update endpoints, the database (reachable, writable, which node,
 *  room for the workers' connections) and its schema against this build's
 *  migrations, the embedded cluster's programs, pg_dump for backups. It
 *  binds no socket, takes no lock, makes no key and starts no cluster: it
 *  can run beside the kompassd it checks (e.g. before a restart, or as
 *  systemd's ExecStartPre). Lines start with "ok", "warn" or "FAIL".
 */
#ifndef KP_CHECK_H
#define KP_CHECK_H

#include <stdio.h>

#include "config.h"

/* Checks cfg, writing one line per check to out. 0 when nothing failed
 * (warnings allowed), 1 otherwise. */
int kp_check_config(const kp_config *cfg, FILE *out);

#endif
