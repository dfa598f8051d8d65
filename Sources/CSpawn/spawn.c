// Starting converter subprocesses, written by hand because nothing available does all of it:
//
// - posix_spawn (glibc) is vfork-fast and sets the process group, fds and signals, but has no way to set
//   resource limits before exec; prlimit(2) after it leaves the converter running unlimited for a moment.
// - swiftlang/swift-subprocess 1.0 forks (a page-table copy per spawn, growing with the engine's RSS),
//   runs its waiters on threads beside our libuv loop, and offers limits only through a Swift closure run
//   after fork, where only async-signal-safe calls are allowed.
// - libuv 1.44's uv_spawn forks too and has no limits either.
//
// So: vfork (clone(CLONE_VM|CLONE_VFORK): no page tables copied; only the calling thread waits, until
// the child calls execve) and, in the child, only async-signal-safe system calls. The engine calls this
// from a libuv pool thread, so even the exec time is not spent on the loop thread.
#define _GNU_SOURCE
#include "cspawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif

static int set_limit(int resource, uint64_t soft, uint64_t hard) {
    struct rlimit rl = {.rlim_cur = (rlim_t)soft, .rlim_max = (rlim_t)hard};
    return setrlimit(resource, &rl);
}

pid_t cspawn_start(const char *path, char *const argv[], char *const envp[], const char *cwd,
                   int stdin_fd, int stdout_fd, int stderr_fd, const struct cspawn_limits *limits,
                   int *pidfd_out, int *error_out, const char **stage_out) {
    // Written by the child before it gives up; the parent reads them once vfork returns (shared memory).
    volatile int child_errno = 0;
    const char *volatile child_stage = NULL;

    // With every signal blocked, no handler of the engine can run in the child while it shares our memory.
    sigset_t all, saved;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &saved);

    pid_t pid = vfork();
    if (pid == 0) {
        // The child. Its signal dispositions and fd table are its own copies (vfork shares only memory).
        for (int sig = 1; sig < NSIG; sig++) {
            if (sig == SIGKILL || sig == SIGSTOP) continue;
            struct sigaction dfl;
            memset(&dfl, 0, sizeof dfl);
            dfl.sa_handler = SIG_DFL;
            sigaction(sig, &dfl, NULL); // fails harmlessly for the few signals glibc reserves
        }
        const char *stage = "setpgid";
        if (setpgid(0, 0) != 0) goto fail;
        // Move the three descriptors above 2 first so that none is overwritten by another's dup2.
        stage = "dup";
        int in = fcntl(stdin_fd, F_DUPFD, 3), out = fcntl(stdout_fd, F_DUPFD, 3), err = fcntl(stderr_fd, F_DUPFD, 3);
        if (in < 0 || out < 0 || err < 0) goto fail;
        if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) goto fail;
        stage = "close_range";
        if (syscall(SYS_close_range, 3U, ~0U, 0U) != 0) {
            // Kernels before 5.9: close what could be open, one by one.
            for (int fd = 3; fd < 65536; fd++) close(fd);
        }
        stage = "chdir";
        if (cwd && chdir(cwd) != 0) goto fail;
        stage = "setrlimit";
        if (limits->address_space_bytes && set_limit(RLIMIT_AS, limits->address_space_bytes, limits->address_space_bytes) != 0) goto fail;
        if (limits->cpu_seconds && set_limit(RLIMIT_CPU, limits->cpu_seconds, limits->cpu_seconds + 1) != 0) goto fail;
        if (limits->file_size_bytes && set_limit(RLIMIT_FSIZE, limits->file_size_bytes, limits->file_size_bytes) != 0) goto fail;
        if (limits->open_files && set_limit(RLIMIT_NOFILE, limits->open_files, limits->open_files) != 0) goto fail;
        stage = "setpriority";
        if (limits->nice > 0 && setpriority(PRIO_PROCESS, 0, limits->nice) != 0) goto fail;
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        stage = "execve";
        execve(path, argv, envp);
    fail:
        child_errno = errno;
        child_stage = stage;
        _exit(127);
    }
    int vfork_errno = errno;
    pthread_sigmask(SIG_SETMASK, &saved, NULL);

    if (pid < 0) {
        *error_out = vfork_errno;
        *stage_out = "vfork";
        return -1;
    }
    if (child_stage != NULL) {
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
        *error_out = child_errno;
        *stage_out = child_stage;
        return -1;
    }
    // The child is not reaped by anyone else, so even if it has exited already the pid is still its own.
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (pidfd < 0) {
        int e = errno;
        kill(-pid, SIGKILL);
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
        *error_out = e;
        *stage_out = "pidfd_open";
        return -1;
    }
    fcntl(pidfd, F_SETFD, FD_CLOEXEC);
    *pidfd_out = pidfd;
    return pid;
}

int cspawn_reap(int pidfd, int *exited, int *status) {
    siginfo_t info;
    memset(&info, 0, sizeof info);
    if (waitid((idtype_t)P_PIDFD, (id_t)pidfd, &info, WEXITED | WNOHANG) != 0) return -1;
    if (info.si_pid == 0) return 0;
    *exited = info.si_code == CLD_EXITED;
    *status = info.si_status;
    return 1;
}

int cspawn_kill_group(pid_t pgid, int pidfd, int signal) {
    int group = kill(-pgid, signal);
    int child = (int)syscall(SYS_pidfd_send_signal, pidfd, signal, NULL, 0);
    return (group == 0 || child == 0) ? 0 : -1;
}

long cspawn_children_maxrss_kib(void) {
    struct rusage usage;
    if (getrusage(RUSAGE_CHILDREN, &usage) != 0) return -1;
    return usage.ru_maxrss;
}

int cspawn_pipe(int fds[2]) { return pipe2(fds, O_CLOEXEC); }
