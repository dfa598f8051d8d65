#ifndef RESUME_INGEST_CSPAWN_H
#define RESUME_INGEST_CSPAWN_H
#include <stdint.h>
#include <sys/types.h>

/// Resource limits applied in the child before it executes the converter; 0 leaves a limit unchanged.
struct cspawn_limits {
    uint64_t address_space_bytes; /* RLIMIT_AS */
    uint64_t cpu_seconds;         /* RLIMIT_CPU (soft; hard = soft + 1 so SIGXCPU comes first) */
    uint64_t file_size_bytes;     /* RLIMIT_FSIZE */
    uint64_t open_files;          /* RLIMIT_NOFILE */
    int nice;                     /* added to the child's nice value (batch work yields to the loop) */
};

/// Starts `path` with `argv` and `envp` in a new process group, with `stdin_fd`, `stdout_fd` and
/// `stderr_fd` as its fds 0, 1 and 2, every other descriptor closed, default signal dispositions, an empty
/// signal mask, `cwd` as its working directory and `limits` applied before `execve`.
///
/// Returns the child's pid, or -1 with `*error_out` set to the errno of the step that failed (in the
/// parent, or in the child before exec — `*stage_out` then names it). On success `*pidfd_out` is a
/// close-on-exec pidfd for the child (readable once it exits).
pid_t cspawn_start(const char *path, char *const argv[], char *const envp[], const char *cwd,
                   int stdin_fd, int stdout_fd, int stderr_fd, const struct cspawn_limits *limits,
                   int *pidfd_out, int *error_out, const char **stage_out);

/// `waitid(P_PIDFD)` without blocking: returns 1 and fills the outcome once the child has exited (and reaps
/// it), 0 while it runs, -1 with errno on error. `*exited` is 1 for a normal exit (`*status` = code) and
/// 0 for a signal (`*status` = signal number).
int cspawn_reap(int pidfd, int *exited, int *status);

/// Signals the whole process group `pgid` (the child's pid), then the child itself through its pidfd
/// (in case it left the group). Returns 0 when either signal was delivered.
int cspawn_kill_group(pid_t pgid, int pidfd, int signal);

/// `pipe2(fds, O_CLOEXEC)` (a GNU extension Swift does not see).
int cspawn_pipe(int fds[2]);

/// Peak resident set size of reaped children, in KiB (`getrusage(RUSAGE_CHILDREN)`).
long cspawn_children_maxrss_kib(void);

#endif
