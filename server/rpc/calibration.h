/*  calibration: exercises for new peer evaluators against a signed
 *  evaluation (the Baldrige/EFQM practice of calibrating examiners on a
 *  training case).
 *
 *  An admin makes a practice copy of a signed evaluation for a trainee
 *  (CalibrationCreate): a new evaluation marked `practice` ("övning") of
 *  the same municipality and framework, holding a copy of the evidence log
 *  and nothing of the team's judgement (no scores, no texts), in scoring,
 *  with the trainee as its only evaluator. The trainee scores it blind with
 *  the ordinary commands; their submission ends the exercise, and the
 *  results compare their scores with the consensus of the signed revision
 *  the copy was made of (stored content, so a later reopening of the source
 *  changes nothing): per question, the questions furthest off with the
 *  team's rationales, and the agreement figures of docs/agreement.md
 *  (common/agreement.c) with the trainee and the consensus as the two
 *  raters. Nothing of the consensus is shown before the submission.
 *
 *  A practice evaluation never counts: averages, agreement statistics,
 *  history, reports and search leave out every evaluation with `practice`
 *  set (sql/013_meeting.sql), and it is never reviewed or signed.
 */
#ifndef KP_CALIBRATION_H
#define KP_CALIBRATION_H

#include <stdint.h>

#include "req.h"

/* The results of the exercise whose practice evaluation is practice_id,
 * into *out: with every question's comparison when with_questions; the
 * comparison, the questions furthest off and the agreement only once the
 * trainee has submitted. NOT_FOUND (r failed) when it is not an exercise. */
int kp_calibration_result(kp_req *r, int64_t practice_id, int with_questions,
                          Kompass__V1__CalibrationResult **out);

extern const kp_stmt kp_calibration_stmts[];

#endif
