/*
 * test_guard.c -- the fault and stop handlers (common/guard.h), each in a
 * child process: a fault ends it with exit status 2 and one line naming
 * the program, the context and the cause; a writer's file is cut back to
 * its restore length on a fault and on a stop, which then ends the process
 * by the signal; a stop during guard_hold waits for guard_release and cuts
 * the file to the length set in between.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guard.h"
#include "t.h"

static char tmpdir[] = "/tmp/fz-test-guard-XXXXXX";

/* Runs fn in a child with stderr on a pipe; returns its wait status and
 * what it wrote in out. */
static int in_child(void (*fn)(void), char *out, size_t n)
{
    int p[2];
    if (pipe(p))
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        dup2(p[1], STDERR_FILENO);
        fn();
        _exit(0);
    }
    close(p[1]);
    size_t got = 0;
    ssize_t r;
    while (got + 1 < n && (r = read(p[0], out + got, n - 1 - got)) > 0)
        got += (size_t)r;
    out[got] = 0;
    close(p[0]);
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    return st;
}

/* a write to a page that may not be touched: SIGSEGV (not through NULL,
 * which UBSan would catch first) */
static void segv(void)
{
    volatile char *p = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        _exit(9);
    p[100] = 1;
}

static void fault_segv(void)
{
    guard_install("prog");
    guard_context("/some/index");
    segv();
}

/* a read beyond the end of a mapped file: SIGBUS, as from a damaged index */
static void fault_bus(void)
{
    guard_install("prog");
    char p[300];
    snprintf(p, sizeof p, "%s/short", tmpdir);
    int fd = open(p, O_RDWR | O_CREAT, 0600);
    if (fd < 0 || ftruncate(fd, 100))
        _exit(9);
    volatile char *m = mmap(NULL, 65536, PROT_READ, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED)
        _exit(9);
    (void)m[40000];
}

static int wfd = -1;

static void open_writer_file(off_t len)
{
    char p[300];
    snprintf(p, sizeof p, "%s/data", tmpdir);
    wfd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (wfd < 0 || ftruncate(wfd, len))
        _exit(9);
}

static off_t writer_len(void)
{
    char p[300];
    struct stat st;
    snprintf(p, sizeof p, "%s/data", tmpdir);
    return stat(p, &st) ? -1 : st.st_size;
}

/* a writer faults (a map write the disk cannot back looks the same to the
 * handler as any fault outside its map): the file is cut back */
static void writer_fault(void)
{
    guard_install("fzindex");
    open_writer_file((off_t)1 << 30);
    guard_writer_set(wfd, 8192, NULL, 0);
    guard_context("/idx");
    segv();
}

/* a SIGBUS inside the writer's map: a page the file system cannot back */
static void writer_map_bus(void)
{
    guard_install("fzindex");
    open_writer_file(4096);
    char *m = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_SHARED, wfd, 0);
    if (m == MAP_FAILED)
        _exit(9);
    guard_writer_set(wfd, 4096, m, 65536);
    m[40000] = 1; /* past the file's end: SIGBUS, as from a full disk */
}

/* guard_fail, as LMDB's assertion callback calls it */
static void writer_fail(void)
{
    guard_install("fzindex");
    open_writer_file((off_t)1 << 30);
    guard_writer_set(wfd, 16384, NULL, 0);
    guard_context("/idx");
    guard_fail("the index is damaged (LMDB: an assertion); re-index its sources");
}

static void writer_stop(void)
{
    guard_install("fzindex");
    open_writer_file((off_t)1 << 30);
    guard_writer_set(wfd, 8192, NULL, 0);
    raise(SIGTERM);
    _exit(7); /* not reached */
}

static void writer_hold(void)
{
    guard_install("fzindex");
    open_writer_file((off_t)1 << 30);
    guard_writer_set(wfd, 8192, NULL, 0);
    guard_hold();
    raise(SIGTERM);
    if (writer_len() != (off_t)1 << 30) /* it waited: nothing cut yet */
        _exit(8);
    guard_writer_restore_len(12288); /* "committed" meanwhile */
    guard_release();
    _exit(7); /* not reached */
}

static void writer_cleared(void)
{
    guard_install("fzindex");
    open_writer_file(20000);
    guard_writer_set(wfd, 8192, NULL, 0);
    guard_writer_clear();
    raise(SIGTERM);
    _exit(7);
}

TEST(test_faults)
{
    char out[2048];
    int st = in_child(fault_segv, out, sizeof out);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 2);
    CHECK(strncmp(out, "prog: /some/index: the index is damaged", 39) == 0);
    CHECK(strstr(out, "re-index") != NULL);
    CHECK(strchr(out, '\n') == out + strlen(out) - 1); /* one line */
    st = in_child(fault_bus, out, sizeof out);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 2);
    CHECK(strstr(out, "prog: the index is damaged (a read beyond its pages, SIGBUS)") == out);
}

TEST(test_writer)
{
    char out[2048];
    int st = in_child(writer_fault, out, sizeof out);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 2);
    CHECK_EQ_INT(writer_len(), 8192);
    st = in_child(writer_map_bus, out, sizeof out);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 2);
    CHECK(strstr(out, "fzindex: writing the index:") == out); /* not "damaged" */
    CHECK(strstr(out, "the index is unchanged") != NULL);
    CHECK_EQ_INT(writer_len(), 4096);
    st = in_child(writer_fail, out, sizeof out);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 2);
    CHECK_EQ_STR(out, "fzindex: /idx: the index is damaged (LMDB: an assertion); re-index its sources\n");
    CHECK_EQ_INT(writer_len(), 16384);
    st = in_child(writer_stop, out, sizeof out);
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
    CHECK_EQ_INT(writer_len(), 8192);
    st = in_child(writer_hold, out, sizeof out);
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
    CHECK_EQ_INT(writer_len(), 12288);
    st = in_child(writer_cleared, out, sizeof out);
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
    CHECK_EQ_INT(writer_len(), 20000); /* no writer: left alone */
}

int main(void)
{
    if (!mkdtemp(tmpdir))
        return 1;
    t_run(test_faults);
    t_run(test_writer);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        t_fail++;
    return t_done("guard");
}
