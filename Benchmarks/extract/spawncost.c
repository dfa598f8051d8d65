/*
 * How long the calling thread is held by one process start, with a heap of a given size:
 * libuv's uv_spawn (fork + exec in libuv 1.44 on Linux) against glibc's posix_spawn (clone with
 * CLONE_VM | CLONE_VFORK, so no page tables are copied). An event loop that starts converters with
 * uv_spawn stalls for the whole fork; that is why the engine does not use it.
 *
 *   spawncost HEAP_MIB [COUNT]
 *
 * Allocates HEAP_MIB MiB with malloc and writes every page of it (a resident heap, as a long-running
 * engine has), then starts /bin/true COUNT times each way, one at a time (each child is reaped before the
 * next start), timing only the call itself. Prints one line per method:
 *   method=uv_spawn heap_mib=64 n=200 p50_us=... p99_us=... max_us=... mean_us=...
 * Build: gcc -O2 -o spawncost spawncost.c -luv
 */
#define _GNU_SOURCE
#include <errno.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

extern char **environ;

static const char *child_path = "/bin/true";

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int compare_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static void report(const char *method, long heap_mib, uint64_t *ns, int n) {
    double sum = 0;
    for (int i = 0; i < n; i++) sum += (double)ns[i];
    qsort(ns, (size_t)n, sizeof ns[0], compare_u64);
    /* Nearest-rank percentiles. */
    int p50 = (n * 50 + 99) / 100 - 1, p99 = (n * 99 + 99) / 100 - 1;
    printf("method=%s heap_mib=%ld n=%d p50_us=%.1f p99_us=%.1f max_us=%.1f mean_us=%.1f\n", method, heap_mib, n,
           ns[p50 < 0 ? 0 : p50] / 1e3, ns[p99 < 0 ? 0 : p99] / 1e3, ns[n - 1] / 1e3, sum / n / 1e3);
}

/* --- uv_spawn ------------------------------------------------------------------------------------------- */

static int child_exited;

static void on_child_exit(uv_process_t *process, int64_t status, int term_signal) {
    (void)status;
    (void)term_signal;
    child_exited = 1;
    uv_close((uv_handle_t *)process, NULL);
}

static int time_uv_spawn(uint64_t *ns, int n) {
    uv_loop_t loop;
    int rc = uv_loop_init(&loop);
    if (rc != 0) {
        fprintf(stderr, "uv_loop_init: %s\n", uv_strerror(rc));
        return -1;
    }
    char *args[] = {(char *)child_path, NULL};
    uv_stdio_container_t stdio[3];
    for (int i = 0; i < 3; i++) stdio[i].flags = UV_IGNORE;
    for (int i = 0; i < n; i++) {
        uv_process_t process;
        uv_process_options_t options;
        memset(&options, 0, sizeof options);
        options.file = child_path;
        options.args = args;
        options.exit_cb = on_child_exit;
        options.stdio = stdio;
        options.stdio_count = 3;
        child_exited = 0;
        uint64_t began = now_ns();
        rc = uv_spawn(&loop, &process, &options);
        ns[i] = now_ns() - began;
        if (rc != 0) {
            fprintf(stderr, "uv_spawn: %s\n", uv_strerror(rc));
            return -1;
        }
        while (!child_exited) uv_run(&loop, UV_RUN_ONCE);
        uv_run(&loop, UV_RUN_NOWAIT); /* runs the close callback */
    }
    rc = uv_loop_close(&loop);
    if (rc != 0) {
        fprintf(stderr, "uv_loop_close: %s\n", uv_strerror(rc));
        return -1;
    }
    return 0;
}

/* --- posix_spawn ---------------------------------------------------------------------------------------- */

static int time_posix_spawn(uint64_t *ns, int n) {
    char *args[] = {(char *)child_path, NULL};
    for (int i = 0; i < n; i++) {
        pid_t pid;
        uint64_t began = now_ns();
        int rc = posix_spawn(&pid, child_path, NULL, NULL, args, environ);
        ns[i] = now_ns() - began;
        if (rc != 0) {
            fprintf(stderr, "posix_spawn: %s\n", strerror(rc));
            return -1;
        }
        int status;
        while (waitpid(pid, &status, 0) < 0) {
            if (errno != EINTR) {
                perror("waitpid");
                return -1;
            }
        }
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s HEAP_MIB [COUNT]\n", argv[0]);
        return 2;
    }
    long heap_mib = strtol(argv[1], NULL, 10);
    int n = argc == 3 ? atoi(argv[2]) : 200;
    if (heap_mib < 0 || n <= 0) {
        fprintf(stderr, "HEAP_MIB must be >= 0 and COUNT > 0\n");
        return 2;
    }
    size_t bytes = (size_t)heap_mib << 20;
    volatile char *heap = bytes ? malloc(bytes) : NULL;
    if (bytes && heap == NULL) {
        perror("malloc");
        return 1;
    }
    long page = sysconf(_SC_PAGESIZE);
    for (size_t off = 0; off < bytes; off += (size_t)page) heap[off] = (char)off;

    uint64_t *ns = calloc((size_t)n, sizeof *ns);
    if (ns == NULL) {
        perror("calloc");
        return 1;
    }
    if (time_uv_spawn(ns, n) != 0) return 1;
    report("uv_spawn", heap_mib, ns, n);
    if (time_posix_spawn(ns, n) != 0) return 1;
    report("posix_spawn", heap_mib, ns, n);

    /* Keep the heap alive (and resident) until both measurements are done. */
    long check = 0;
    for (size_t off = 0; off < bytes; off += (size_t)page) check += heap[off];
    fprintf(stderr, "heap checksum %ld, VmRSS at end: ", check);
    FILE *status = fopen("/proc/self/status", "r");
    char line[256];
    while (status && fgets(line, sizeof line, status))
        if (strncmp(line, "VmRSS:", 6) == 0) fputs(line + 6, stderr);
    if (status) fclose(status);
    free((void *)heap);
    free(ns);
    return 0;
}
