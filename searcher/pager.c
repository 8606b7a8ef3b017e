/*
 * pager.c -- the output pager (see pager.h).
 */
#include "pager.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define DEFAULT_PAGER "less -FRX"

/* The running pager, 0 when none (see "State" in pager.h). */
static volatile pid_t pager_pid;

const char *pager_command(void)
{
    const char *c = getenv("FANGZHI_PAGER");
    if (!c)
        c = getenv("PAGER");
    if (!c)
        c = DEFAULT_PAGER;
    for (const char *p = c; *p; p++)
        if (*p != ' ' && *p != '\t')
            return c;
    return NULL;
}

int pager_active(void) { return pager_pid != 0; }

/* Closes our end of the pipe and waits for the pager; returns its exit
 * status (128 + N when signal N ended it), 0 when none ran.  Only
 * async-signal-safe calls: it also runs from the signal handler. */
static int close_and_wait(void)
{
    pid_t pid = pager_pid;
    if (!pid)
        return 0;
    int fd = open("/dev/null", O_WRONLY);
    if (fd >= 0) {
        dup2(fd, STDOUT_FILENO);
        close(fd);
    } else {
        close(STDOUT_FILENO);
    }
    int st = 0;
    pid_t r;
    while ((r = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
        ;
    pager_pid = 0;
    if (r != pid)
        return 0;
    return WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 0;
}

static void on_signal(int sig)
{
    int saved = errno;
    close_and_wait();
    signal(sig, SIG_DFL);
    errno = saved;
    raise(sig);
}

int pager_finish(void)
{
    if (!pager_pid)
        return 0;
    fflush(stdout);
    return close_and_wait();
}

static void at_exit(void) { pager_finish(); }

int pager_start(const char *cmd)
{
    if (pager_pid || !cmd)
        return 0;
    fflush(stdout);
    int fd[2];
    if (pipe(fd) < 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0) {
        close(fd[0]);
        close(fd[1]);
        return -1;
    }
    if (pid == 0) {
        /* the pager: reads the pipe, writes to the terminal we had */
        dup2(fd[0], STDIN_FILENO);
        close(fd[0]);
        close(fd[1]);
        setenv("LESS", "FRX", 0);
        setenv("LV", "-c", 0);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    close(fd[0]);
    if (dup2(fd[1], STDOUT_FILENO) < 0) {
        close(fd[1]);
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
        return -1;
    }
    close(fd[1]);
    pager_pid = pid;
    static int registered;
    if (!registered && atexit(at_exit) == 0)
        registered = 1;
    struct sigaction sa = {0};
    sa.sa_handler = SIG_IGN;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGPIPE, &sa, NULL);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    return 0;
}
