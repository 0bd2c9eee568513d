/*  lifecycle: the states of an evaluation and the one table of moves
 *  between them (docs/signoff.md draws it).
 *
 *   draft ──eval start──▶ scoring ──last submit──▶ consensus ◀──▶ review ──last signature──▶ signed
 *                                                      ▲                                       │
 *                                                      └──────────── reopened ◀──eval reopen───┘
 *
 *  An evaluation is created in draft (EvalCreate), a calibration exercise in
 *  scoring (CalibrationCreate), an imported one in review and signed in the
 *  same transaction (EvalImport). From then on its status changes only
 *  through kp_eval_transition(), which checks kp_eval_moves and is the one
 *  writer of evaluations.status. The schema holds the same table
 *  (evaluation_transitions, sql/005_evaluations.sql) and the rule that a
 *  calibration exercise is never reviewed, signed or reopened
 *  (sql/013_meeting.sql); its triggers refuse any other move, whoever
 *  connects. test_eval_lifecycle checks that the two tables agree.
 *
 *  Which way an evaluation in consensus, review or reopened goes is decided
 *  in one place, kp_eval_advance(), after every change to what is signed:
 *  to review once it is complete (every question has a consensus score,
 *  every area's texts are approved, no thread is open), back to consensus
 *  from review when it no longer is.
 *
 *  The status names are those of the schema and the protocol; they are
 *  parsed once, when an evaluation is read, and compared as kp_eval_state.
 */
#ifndef KP_LIFECYCLE_H
#define KP_LIFECYCLE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "req.h"

typedef enum {
    KP_EVAL_DRAFT,     /* the team is put together */
    KP_EVAL_SCORING,   /* every evaluator scores, blind */
    KP_EVAL_CONSENSUS, /* the team agrees on scores and texts */
    KP_EVAL_REVIEW,    /* complete: checked and signed */
    KP_EVAL_SIGNED,    /* nothing changes */
    KP_EVAL_REOPENED,  /* like consensus, on a new revision */
} kp_eval_state;

#define KP_EVAL_STATES 6

/* One legal move. */
typedef struct {
    kp_eval_state from, to;
    int practice;     /* a calibration exercise may make it too */
    const char *step; /* what makes it, as docs/signoff.md says */
} kp_eval_move;

/* Every legal move, and how many there are. */
extern const kp_eval_move kp_eval_moves[];
extern const size_t kp_eval_n_moves;

/* The state's name ("draft" ... "reopened"), as the schema and the protocol
 * spell it. */
const char *kp_eval_state_name(kp_eval_state s);

/* The state named name: 0 with *out, or -1 for no state of that name. */
int kp_eval_state_parse(const char *name, kp_eval_state *out);

/* The move from -> to, or NULL when the table has none (for a calibration
 * exercise, when practice and the move is not one it makes). */
const kp_eval_move *kp_eval_move_find(kp_eval_state from, kp_eval_state to, int practice);

/* An evaluation's progress towards sign-off (EvalStatus, and what
 * kp_eval_advance decides on). */
typedef struct {
    int64_t evaluators, submitted, questions, resolved, areas, approved;
    char **open; /* questions whose thread is open */
    size_t n_open;
} kp_eval_progress;

/* Whether p is complete: every question agreed, every area's texts
 * approved, nothing left open in the meeting. */
int kp_eval_complete(const kp_eval_progress *p);

/* Where an evaluation in state s goes after a change, complete or not: 1
 * with *to (review from consensus or reopened when complete, consensus from
 * review when not), or 0 when it stays. */
int kp_eval_advance_to(kp_eval_state s, int complete, kp_eval_state *to);

typedef struct kp_eval kp_eval; /* evaluation.h */

/* Moves ev (locked by kp_eval_begin_change, in the caller's transaction) to
 * state to: INVALID_STATE when kp_eval_moves has no such move, else the
 * status is written (to reopened: with the next revision, ev->revision
 * becomes it) and ev->state becomes to. why names what the caller was doing
 * for a database failure ("signing the evaluation"). KP_OK, or r is failed. */
int kp_eval_transition(kp_req *r, kp_eval *ev, kp_eval_state to, const char *why);

/* Reads ev's progress; KP_OK, or r is failed. */
int kp_eval_progress_read(kp_req *r, const kp_eval *ev, kp_eval_progress *p);

/* After a change to what is signed (scores, texts, approvals, threads) in
 * ev's transaction: cancels the current revision's signatures, and moves ev
 * as kp_eval_advance_to says. Adds what happened ("status",
 * "signatures_cancelled") to after (an object) for the change's audit
 * event; ev->state is updated; the progress read is left in *p when p is
 * not NULL. KP_OK, or r is failed. */
int kp_eval_advance(kp_req *r, kp_eval *ev, json_t *after, kp_eval_progress *p);

extern const kp_stmt kp_lifecycle_stmts[];

#endif
