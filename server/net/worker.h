/*  worker: a thread that answers requests, with its own database connection.
 *
 *  Each worker owns one DEALER socket connected to the broker's backend and
 *  one kp_db. It tells the broker it is ready, then takes one request at a
 *  time: [client envelope][meta][request frame] in, [client envelope][meta]
 *  [response frame] out. All memory of a request comes from one arena that is
 *  reset after the reply is sent.
 */
#ifndef KP_WORKER_H
#define KP_WORKER_H

#include "req.h"

typedef struct {
    void *zctx;                 /* the process's ZeroMQ context */
    const char *backend;        /* the broker's inproc endpoint */
    const char *conninfo;       /* libpq connection string */
    const kp_server_info *info; /* facts about this process */
    int id;                     /* 0..workers-1, for logs */
} kp_worker_args;

/* Thread body: runs until the ZeroMQ context is shut down. */
void *kp_worker_main(void *args);

/* Handles one request frame (decode, dispatch, encode): the reply bytes in
 * the arena. Shared by the worker loop and by tests and the fuzzer. */
void *kp_worker_handle(kp_req *r, const void *frame, size_t len, size_t *reply_len);

#endif
