/*  bootstrap: the first administrator.
 *
 *  At every start, after the migrations: if no active administrator exists
 *  (a new installation), kompassd makes the account `admin` (role admin,
 *  "Administrator", organisation SKL), or restores it as an active admin if
 *  the login exists, with the password from KOMPASS_ADMIN_PASSWORD, or else
 *  a generated one, printed once on standard output (never in the log) and
 *  written to DATA-DIR/admin-password, mode 0600. The creation (user.add)
 *  or restoration (user.restore) is recorded in the global audit chain, in
 *  the same transaction, as done by kompassd itself (actor 0).
 *
 *  DATA-DIR/admin-password is removed at a later start once it no longer
 *  opens the admin account (the password was changed), so that a stale
 *  secret does not linger on disk.
 */
#ifndef KP_BOOTSTRAP_H
#define KP_BOOTSTRAP_H

#include <stddef.h>

#include "db.h"

#define KP_ADMIN_LOGIN "admin"

/* Makes sure there is an active administrator (see above). env_password is
 * KOMPASS_ADMIN_PASSWORD or NULL. 0, or -1 with a sentence in err. */
int kp_bootstrap_admin(kp_db *db, const char *data_dir, const char *env_password, char *err,
                       size_t errlen);

#endif
