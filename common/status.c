/*  status: names and exit codes of kp_status. */
#include "status.h"

static const char *s_names[KP_STATUS_COUNT] = {
    "OK",     "BAD_REQUEST",   "UNAUTHENTICATED", "DENIED",   "NOT_FOUND",   "CONFLICT",
    "LOCKED", "INVALID_STATE", "UNAVAILABLE",     "INTERNAL", "RATE_LIMITED"};

const char *kp_status_name(int status)
{
    if (status < 0 || status >= KP_STATUS_COUNT) return "UNKNOWN";
    return s_names[status];
}

int kp_status_exit_code(int status)
{
    switch (status) {
    case KP_OK:
        return 0;
    case KP_CONFLICT:
    case KP_LOCKED:
        return 3;
    case KP_DENIED:
    case KP_UNAUTHENTICATED:
        return 4;
    case KP_NOT_FOUND:
        return 5;
    case KP_UNAVAILABLE:
    case KP_RATE_LIMITED:
        return 6;
    default:
        return 1;
    }
}
