/*
 * pager.h -- pipes the program's standard output through a pager, as git
 * does, when standard output is a terminal.
 *
 * Callers: fzsearch.
 *
 * The pager command is $FANGZHI_PAGER, else $PAGER, else "less -FRX"
 * (-F: quit when the text fits on one screen, -R: keep colours, -X: leave
 * the text on the screen); it runs through /bin/sh -c with LESS=FRX in its
 * environment when LESS is unset, so that a plain PAGER=less keeps colours
 * too.  An empty command means no pager.
 *
 * pager_start forks the pager with its standard input on a pipe and puts
 * the write end of the pipe on file descriptor 1, so everything written to
 * stdout afterwards goes to the pager.  While the pager runs, SIGPIPE is
 * ignored (a write after the reader quit fails with EPIPE instead of
 * killing the program: the caller stops writing quietly and keeps its exit
 * status), and SIGINT, SIGTERM and SIGHUP close the pipe and wait for the
 * pager before the program dies of the signal, so that the shell gets the
 * terminal back only after the pager let go of it.  pager_finish (also run
 * at exit) flushes stdout, closes the pipe and waits for the pager.
 *
 * State.  The pager's process id lives in a static variable, because the
 * signal handlers need it and cannot be given a handle, and so does a flag
 * saying the exit handler is registered.  They are the only mutable static
 * state of the searcher; there is at most one pager per process.
 */
#ifndef PAGER_H
#define PAGER_H

/* The pager command from the environment as described above; NULL when it
 * is empty (no pager).  Points into the environment or static storage. */
const char *pager_command(void);

/* Starts cmd as the pager of stdout.  Flushes stdout first.  Returns 0, or
 * -1 when the pipe or fork failed (stdout is then left as it was and the
 * caller simply writes to the terminal).  Calling it again while a pager
 * runs does nothing and returns 0. */
int pager_start(const char *cmd);

/* Whether a pager is running. */
int pager_active(void);

/* Flushes stdout, closes the pipe (stdout then writes to /dev/null) and
 * waits for the pager.  Safe to call when no pager runs, and twice.
 * Returns the pager's exit status (128 + N when signal N ended it; 127
 * when its command was not found), 0 when no pager was running: a pager
 * the user quits early exits 0, one that failed does not, and the caller
 * must then say that the output was lost. */
int pager_finish(void);

#endif
