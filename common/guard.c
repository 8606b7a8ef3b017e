/*
 * guard.c -- fault and stop handlers around index access (see guard.h).
 */
#include "guard.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

/* The state the handlers need ("State" in guard.h).  Strings are written
 * only outside handlers; the handlers only read them. */
static const char *g_prog = "fangzhi";
static char g_what[1024];
static volatile sig_atomic_t g_fd = -1;      /* the writer's data file */
static volatile off_t g_restore;              /* its length to restore */
static const char *volatile g_map;           /* the writer's map */
static volatile size_t g_maplen;
static volatile sig_atomic_t g_hold, g_pending; /* a commit is under way; a stop waited */
static _Alignas(16) char g_altstack[65536];   /* the handlers' stack */

static const int stop_signals[] = {SIGINT, SIGTERM, SIGHUP};

static void put(const char *s) {
    size_t n = strlen(s);
    while (n) {
        ssize_t w = write(STDERR_FILENO, s, n);
        if (w <= 0) {
            if (w < 0 && errno == EINTR)
                continue;
            return;
        }
        s += w;
        n -= (size_t)w;
    }
}

/* Cuts the writer's file back (async-signal-safe). */
static void restore_file(void)
{
    int fd = g_fd;
    if (fd >= 0 && ftruncate(fd, g_restore) != 0) {
        /* nothing more can be done from here */
    }
}

/* Cuts the writer's file back, writes "PROG: CONTEXT: WHY" and exits 2. */
static void die(const char *why)
{
    restore_file();
    put(g_prog);
    put(": ");
    if (g_what[0]) {
        put(g_what);
        put(": ");
    }
    put(why);
    put("\n");
    _exit(2);
}

void guard_fail(const char *why) { die(why); }

static void on_fault(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    const char *addr = si ? (const char *)si->si_addr : NULL;
    const char *map = g_map;
    int in_map = map && addr >= map && addr < map + g_maplen;
    const char *why;
    if (g_fd >= 0 && in_map && sig == SIGBUS) {
        struct statvfs vs;
        /* the kernel could not back a page of the writable map */
        if (fstatvfs(g_fd, &vs) == 0 && (uint64_t)vs.f_bavail * vs.f_frsize < ((uint64_t)1 << 20))
            why = "writing the index: No space left on device; the index is unchanged";
        else
            why = "writing the index: Input/output error (or disk quota exceeded); the index is unchanged";
    } else {
        why = sig == SIGBUS ? "the index is damaged (a read beyond its pages, SIGBUS); re-index its sources"
                            : "the index is damaged (a read outside its pages, SIGSEGV); re-index its sources";
    }
    die(why);
}

static void on_stop(int sig)
{
    if (g_hold) {
        g_pending = sig;
        return;
    }
    restore_file();
    signal(sig, SIG_DFL);
    raise(sig);
}

int guard_install(const char *prog)
{
    g_prog = prog;
    /* an alternate stack, so that a fault from a stack overflow is
     * reported too (the main thread's; other threads' faults run on their
     * own stacks) */
    stack_t ss = {0};
    ss.ss_sp = g_altstack;
    ss.ss_size = sizeof g_altstack;
    if (sigaltstack(&ss, NULL) != 0) {
        /* without one, the handler runs on the faulting stack */
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSEGV, &sa, NULL) || sigaction(SIGBUS, &sa, NULL))
        return -1;
    return 0;
}

void guard_context(const char *what)
{
    size_t n = what ? strlen(what) : 0;
    if (n > sizeof g_what - 1)
        n = sizeof g_what - 1;
    g_what[0] = 0; /* a handler running meanwhile sees no context, not half of one */
    if (n) {
        memcpy(g_what + 1, what + 1, n - 1);
        g_what[n] = 0;
        g_what[0] = what[0];
    }
}

void guard_writer_set(int fd, off_t restore_len, const void *map, size_t maplen)
{
    g_restore = restore_len;
    g_map = map;
    g_maplen = maplen;
    g_fd = fd;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof stop_signals / sizeof *stop_signals; i++) {
        struct sigaction old;
        /* a signal ignored when the program started (nohup) stays ignored */
        if (sigaction(stop_signals[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
            sigaction(stop_signals[i], &sa, NULL);
    }
}

void guard_writer_restore_len(off_t restore_len) { g_restore = restore_len; }

void guard_writer_clear(void)
{
    g_fd = -1;
    g_map = NULL;
    g_maplen = 0;
    for (size_t i = 0; i < sizeof stop_signals / sizeof *stop_signals; i++) {
        struct sigaction old;
        if (sigaction(stop_signals[i], NULL, &old) == 0 && old.sa_handler == on_stop)
            signal(stop_signals[i], SIG_DFL);
    }
}

void guard_hold(void) { g_hold = 1; }

void guard_release(void)
{
    g_hold = 0;
    int sig = g_pending;
    if (sig) {
        g_pending = 0;
        on_stop(sig);
    }
}
