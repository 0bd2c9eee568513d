/*  roles: the global roles' names, one table for server and CLI.
 *
 *  A user's global role is the protocol's Role (proto/kompass.proto): admin
 *  (SKL administration), evaluator, observer. The server stores and checks
 *  it by name (users.role, sql/), the CLI reads and prints it by name; both
 *  translate here.
 */
#ifndef KP_ROLES_H
#define KP_ROLES_H

/* "admin", "evaluator", "observer" for a protocol role; NULL otherwise. */
const char *kp_role_name(int role);

/* The protocol role of a name (0, unspecified, if unknown or NULL). */
int kp_role_value(const char *name);

#endif
