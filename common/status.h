/*  status: the one status enum of Kompass.
 *
 *  The values are the protocol's kompass.v1.Status (proto/kompass.proto), so a
 *  status travels from a database error to the CLI's exit code unchanged.
 *  Functions that can fail for reasons outside the program return one of these
 *  (KP_OK is 0) and give their results through out-parameters.
 */
#ifndef KP_STATUS_H
#define KP_STATUS_H

typedef enum {
    KP_OK = 0,
    KP_BAD_REQUEST = 1,
    KP_UNAUTHENTICATED = 2,
    KP_DENIED = 3,
    KP_NOT_FOUND = 4,
    KP_CONFLICT = 5,
    KP_LOCKED = 6,
    KP_INVALID_STATE = 7,
    KP_UNAVAILABLE = 8,
    KP_INTERNAL = 9,
    KP_RATE_LIMITED = 10,
} kp_status;

#define KP_STATUS_COUNT 11

/* The protocol name of a status ("NOT_FOUND"); "UNKNOWN" outside the enum. */
const char *kp_status_name(int status);

/* The CLI exit code for a status: 0 ok, 1 error, 3 conflict, 4 denied or
 * unauthenticated, 5 not found, 6 unavailable (2, usage, is the CLI's own). */
int kp_status_exit_code(int status);

#endif
