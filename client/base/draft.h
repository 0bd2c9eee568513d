/*  draft: what a user typed, kept on disk until the server has it.
 *
 *  A draft is two files in $XDG_STATE_HOME/kompass/drafts/LOGIN@SERVER/
 *  (else ~/.local/state/kompass/...; directories 0700, files 0600): NAME.txt,
 *  the text itself (the very file the editor edits, so that whatever the
 *  editor has written is already kept), and NAME.json, its record (what it
 *  was based on, what happened to it), which the caller fills. SERVER is a
 *  short hash of the server's key (else its endpoints), so that drafts for
 *  two servers, or two users of one machine, never meet.
 *
 *  Every write is durable before the call returns (temporary file, fsync,
 *  rename, fsync of the directory): a process killed at any moment leaves
 *  either the old or the new file, whole. While a process works on a draft it
 *  holds NAME.lock (flock): a second kompass on the same draft is refused, and
 *  the kernel lets go of a killed process's lock by itself.
 *
 *  A draft is removed only by kp_draft_remove, which callers use once the
 *  server confirmed the save (or the user said to discard it).
 */
#ifndef KP_DRAFT_H
#define KP_DRAFT_H

#include <jansson.h>
#include <stddef.h>

#include "settings.h"

typedef struct kp_draft kp_draft;

/* The drafts directory of login at the server of s into out (not created).
 * 0, or -1 with err (no HOME and no XDG_STATE_HOME). */
int kp_draft_dir(const kp_settings *s, const char *login, char *out, size_t len, char *err,
                 size_t errlen);

/* Opens the draft called name (letters, digits, . _ -) of login at the server
 * of s, creating its directory, and takes its lock. 0 with *out; -1 with err
 * when the directory cannot be made or another kompass holds the draft
 * (*busy set to 1 then). */
int kp_draft_open(const kp_settings *s, const char *login, const char *name, kp_draft **out,
                  int *busy, char *err, size_t errlen);

/* Whether a kept draft exists (its text file). */
int kp_draft_exists(const kp_draft *d);

/* The text file's path: what the editor opens and what messages name. */
const char *kp_draft_path(const kp_draft *d);

/* The record (borrowed; an empty object for a new draft). Change it, then
 * kp_draft_save_record() or kp_draft_write(). */
json_t *kp_draft_record(kp_draft *d);

/* Writes the text and then the record, each durably. 0, or -1 with err. */
int kp_draft_write(kp_draft *d, const char *text, char *err, size_t errlen);

/* Writes the record durably. 0, or -1 with err. */
int kp_draft_save_record(kp_draft *d, char *err, size_t errlen);

/* Makes the text file as the editor left it durable (fsync it and its
 * directory). 0, or -1 with err. */
int kp_draft_sync(kp_draft *d, char *err, size_t errlen);

/* The text file's contents (malloc'd), or NULL (errno). */
char *kp_draft_read(const kp_draft *d);

/* Removes the draft's text and record (the lock goes at kp_draft_close).
 * 0, or -1 with err. */
int kp_draft_remove(kp_draft *d, char *err, size_t errlen);

/* Lets go of the lock and frees d; the files stay. */
void kp_draft_close(kp_draft **d_p);

#endif
