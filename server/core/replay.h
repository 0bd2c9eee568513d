/*  replay: a retried write gets its first answer, not a second effect.
 *
 *  A client that got no answer cannot know whether its write was done: the
 *  reply may have been lost after the commit (a dropped link, a kompassd or
 *  a database failing over). It sends the same request again with the same
 *  request_id, to this kompassd or another. For RPCs that write and need a
 *  session (server/authz.c), the dispatcher asks kp_replay_find() first: a
 *  request this user already made with this id is answered from
 *  request_log (sql/009_operations.sql) and not handled again.
 *
 *  For the answer to be there exactly when the write is, the dispatcher
 *  holds the handler's COMMIT back (kp_db_hold_commits): the handler runs
 *  as usual and thinks it committed; kp_replay_finish() then inserts the
 *  answer in the same transaction and commits both. If that COMMIT fails,
 *  the client gets the failure, not the handler's answer, and nothing was
 *  written. A handler that fails after its commit (a read for its answer)
 *  has its write rolled back: a failure always means nothing was written,
 *  and failures are never recorded. If the same request was meanwhile done elsewhere (the insert
 *  meets the primary key), ours is rolled back and the other's answer is
 *  sent. A write without a transaction (a single autocommit statement) is
 *  recorded after the fact: a race there is logged, not prevented.
 *
 *  Answers are kept a day (pruned by each worker at most every ten
 *  minutes). They are stored as sent, so a write's answer must never hold a
 *  secret (Login, which returns a token, needs no session and is not
 *  recorded). A request_id reused for another RPC is BAD_REQUEST.
 */
#ifndef KP_REPLAY_H
#define KP_REPLAY_H

#include "req.h"

/* Whether this request of rpc is answered from request_log: KP_OK with
 * r->resp replaced by the first answer; KP_NOT_FOUND when it is new; or a
 * failure already set in r->resp (BAD_REQUEST for an id used for another
 * RPC, or a database status). Needs r->user_id. */
int kp_replay_find(kp_req *r, const char *rpc);

/* After the handler ran with commits held: records its answer with its
 * write and commits both; may replace r->resp (see above). */
void kp_replay_finish(kp_req *r, const char *rpc);

#endif
