/*  comment: a thread per question of an evaluation (the consensus meeting).
 *
 *  The handlers (CommentAdd, CommentList, CommentResolve, CommentReopen)
 *  and kp_comment_thread are in rpc_comment.c, kp_comment_open and
 *  kp_comment_summaries in comment.c (below the handlers: the lifecycle
 *  reads the open threads). What the other modules share:
 *
 *    - a thread is open from its first comment until someone resolves it; a
 *      comment on a resolved thread, or `comment reopen`, opens it again;
 *    - while any thread is open the evaluation does not leave consensus
 *      (kp_comment_open, read where that move is decided: kp_eval_advance,
 *      lifecycle.c);
 *    - no thread is written while scoring is blind (a comment could carry a
 *      score), in a signed evaluation, or in a calibration exercise;
 *    - per user and thread, a read marker: the comments by others after it
 *      are new to them. Listing a thread (CommentList, ConsensusQuestion)
 *      moves the marker; it is the reader's view, not content, so it is
 *      neither versioned nor audited.
 *
 *  Every change to a thread is one audit event (comment.add,
 *  comment.resolve, comment.reopen) in the evaluation's chain: `watch` shows
 *  them as they happen.
 */
#ifndef KP_COMMENT_H
#define KP_COMMENT_H

#include <stdint.h>

#include "evaluation.h"
#include "req.h"

/* The questions of evaluation eval_id with an open thread, in framework
 * order: *codes (n of them) in r's arena. */
int kp_comment_open(kp_req *r, int64_t eval_id, char ***codes, size_t *n);

/* One question's thread summary for r's user. */
typedef struct {
    int64_t question_id;
    const char *status; /* open, resolved */
    int comments;       /* comments in it */
    int unread;         /* of those, by others and not shown to r's user */
} kp_comment_summary;

/* The summary of every thread of evaluation eval_id (*n of them). */
int kp_comment_summaries(kp_req *r, int64_t eval_id, kp_comment_summary **out, size_t *n);

/* The thread of question_id in ev, whole, as r's user sees it (*out NULL
 * when the question has none); moves their read marker to its end. */
int kp_comment_thread(kp_req *r, const kp_eval *ev, int64_t question_id,
                      Kompass__V1__CommentThread **out);

extern const kp_stmt kp_comment_stmts[];     /* comment.c */
extern const kp_stmt kp_rpc_comment_stmts[]; /* rpc_comment.c */

#endif
