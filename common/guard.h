/*
 * guard.h -- turns a fault while an index is read or written into a
 * one-line message and exit status 2, and keeps a writer's data file from
 * being left long when the process is stopped.
 *
 * Callers: fzindex and fzsearch (guard_install, guard_context, once per
 * phase); common/store.c (guard_writer_set, guard_writer_clear,
 * guard_hold, guard_release around a writer's commit, guard_fail from
 * LMDB's assertions).
 *
 * Why.  LMDB trusts its file: a damaged or crafted index (a flipped byte
 * in a page header, an overflow page count pointing past the map) makes it
 * read outside the map, which ends the process with SIGSEGV or SIGBUS, and
 * it has no defensive mode.  A writer maps its data file writable over a
 * sparse file (store.c, WRITERS): when the disk fills up, the kernel cannot
 * back a page the writer touches and sends SIGBUS.  Neither may end in a
 * signal.  So both programs install handlers for SIGSEGV and SIGBUS that
 *   - in a writer, cut the data file back to its length before the write
 *     transaction (its committed pages: the index is unchanged, and no
 *     sparse file of a gigabyte is left),
 *   - write one line, "PROG: CONTEXT: WHY", with write(2), and
 *   - end the process with _exit(2).
 * WHY is "No space left on device" for a SIGBUS in a writer's map on a
 * file system with no room left, an I/O error for other faults there, and
 * otherwise "the index is damaged (...); re-index its sources".  A fault
 * in fangzhi's own code would be reported the same way: every read of an
 * index goes through pointers into its pages, so a fault cannot be told
 * apart from damage.  The handlers run on an alternate signal stack where
 * one can be had, in whichever thread faulted (a server's worker threads
 * too).
 *
 * A writer also catches SIGINT, SIGTERM and SIGHUP: it cuts the data file
 * back the same way and then dies of the signal, as it would have.  While
 * a commit is under way (guard_hold .. guard_release) those signals wait,
 * so that the file is never cut below pages just committed.
 *
 * State.  Signal handlers cannot be given a handle, so what they need
 * lives in static variables of guard.c: the program name, the context
 * string, the writer's file descriptor, its length to restore and its map,
 * and the alternate stack the handlers run on.
 * They are the only mutable static state of the module; there is one
 * process-wide set, as there is one set of signal handlers.
 */
#ifndef GUARD_H
#define GUARD_H

#include <stddef.h>
#include <sys/types.h>

/* Installs the SIGSEGV and SIGBUS handlers; prog names the program in the
 * message ("fzindex").  prog must outlive the process (a literal).  Returns
 * 0, or -1 when sigaction failed (the program then runs unguarded). */
int guard_install(const char *prog);

/* Ends the process as a fault would, with why as the cause: the writer's
 * file cut back, "PROG: CONTEXT: WHY" on stderr, exit status 2.  For
 * failures that would otherwise abort(), such as LMDB's assertions on a
 * damaged page (store.c installs it as LMDB's assert callback). */
void guard_fail(const char *why);

/* Sets what the message names as the failing object, e.g. the index
 * path, or "--merge: /mnt/other.fz".  The text is copied (cut at 1000
 * bytes); NULL clears it.  Not to be called from a signal handler. */
void guard_context(const char *what);

/* A writer registers its data file: fd (open, flocked), the length to cut
 * it back to on a fault or a stop, and the writable map [map, map+len)
 * (NULL, 0 when it has none).  Installs the SIGINT/SIGTERM/SIGHUP
 * handlers.  One writer per process. */
void guard_writer_set(int fd, off_t restore_len, const void *map, size_t maplen);
/* The length to cut back to after a commit (the pages now committed). */
void guard_writer_restore_len(off_t restore_len);
/* Forgets the writer (before its map goes); restores the default action of
 * SIGINT, SIGTERM and SIGHUP. */
void guard_writer_clear(void);

/* Defers SIGINT, SIGTERM and SIGHUP (guard_hold) until guard_release, for
 * a commit: the writer's restore length is then updated in between. */
void guard_hold(void);
void guard_release(void);

#endif
