/* SPDX-License-Identifier: Apache-2.0 */
/* A syscall load for bench/sensor-overhead.sh, built static so it runs in an image with nothing else.
 *   sensor-load open N [RATE]     N open()+close() of a file (one sensor event each)
 *   sensor-load getppid N         N getppid() (no event: the cost of the syscall hooks alone)
 *   sensor-load files N           N passes of a small static file server's work over a tree of 64 files
 *                                 of 4 KiB it creates in /tmp: per file openat(dirfd, relative name),
 *                                 fstat, read all, lseek, getppid, close (one sensor event per file, with
 *                                 the path walked in the kernel since the name is relative; four
 *                                 unwatched syscalls and the copying of the data besides)
 *   sensor-load cmd N PROG ARG…   runs PROG ARG… N times, one after the other (fork, exec, wait)
 * With RATE (operations per second), paces itself in 1 ms slices.
 * Prints "ops ns_per_op ops_per_s cpu_ns_per_op": wall time, and the CPU time (user + system) of the
 * load and its children per operation. The CPU time is what the sensor adds to the workload's own
 * work; unlike the wall time it does not count the time the load waited for a CPU that another
 * process (the agent, the engine, a build) held on a busy machine. */

#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static double cpu(void) {
        struct rusage self, kids;
        getrusage(RUSAGE_SELF, &self);
        getrusage(RUSAGE_CHILDREN, &kids);
        return (double) (self.ru_utime.tv_sec + self.ru_stime.tv_sec + kids.ru_utime.tv_sec +
                         kids.ru_stime.tv_sec) +
               (double) (self.ru_utime.tv_usec + self.ru_stime.tv_usec + kids.ru_utime.tv_usec +
                         kids.ru_stime.tv_usec) /
                       1e6;
}

#define NFILES 64

static int make_tree(void) {
        char dir[] = "/tmp/sensor-load.XXXXXX", name[32], block[4096];
        if (!mkdtemp(dir))
                return -1;
        int dfd = open(dir, O_RDONLY | O_DIRECTORY);
        memset(block, 'x', sizeof(block));
        for (int i = 0; dfd >= 0 && i < NFILES; i++) {
                snprintf(name, sizeof(name), "f%02d.html", i);
                int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
                if (fd < 0 || write(fd, block, sizeof(block)) != (ssize_t) sizeof(block))
                        return -1;
                close(fd);
        }
        return dfd;
}

static void serve_tree(int dfd) {
        char name[32], buf[8192];
        struct stat st;
        for (int i = 0; i < NFILES; i++) {
                snprintf(name, sizeof(name), "f%02d.html", i);
                int fd = openat(dfd, name, O_RDONLY);
                if (fd < 0)
                        continue;
                (void) fstat(fd, &st);
                while (read(fd, buf, sizeof(buf)) > 0)
                        ;
                (void) lseek(fd, 0, SEEK_SET);
                (void) getppid();
                close(fd);
        }
}

int main(int argc, char **argv) {
        if (argc < 3) {
                fprintf(stderr, "usage: %s open|getppid|files N [RATE] | cmd N PROG ARG…\n", argv[0]);
                return 2;
        }
        const char *mode = argv[1];
        long n = atol(argv[2]);
        double rate = 0;
        int dfd = -1;
        if (strcmp(mode, "cmd") == 0) {
                if (argc < 4) {
                        fprintf(stderr, "%s: cmd needs a program\n", argv[0]);
                        return 2;
                }
        } else if (argc > 3)
                rate = atof(argv[3]);
        if (strcmp(mode, "files") == 0 && (dfd = make_tree()) < 0) {
                perror("sensor-load: cannot create the file tree");
                return 1;
        }
        double t0 = now(), c0 = cpu();
        for (long i = 0; i < n; i++) {
                if (strcmp(mode, "open") == 0) {
                        int fd = open("/etc/hostname", O_RDONLY);
                        if (fd >= 0)
                                close(fd);
                } else if (strcmp(mode, "files") == 0) {
                        serve_tree(dfd);
                } else if (strcmp(mode, "cmd") == 0) {
                        pid_t pid = fork();
                        if (pid == 0) {
                                execvp(argv[3], argv + 3);
                                _exit(127);
                        }
                        int st = 0;
                        if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
                                fprintf(stderr, "sensor-load: %s failed (status 0x%x)\n", argv[3],
                                        (unsigned) st);
                                return 1;
                        }
                } else {
                        (void) getppid();
                }
                if (rate > 0 && (i & 63) == 0) {
                        double due = t0 + (double) i / rate;
                        while (now() < due)
                                ;
                }
        }
        double dt = now() - t0, dc = cpu() - c0;
        printf("%ld %.1f %.0f %.1f\n", n, dt * 1e9 / (double) n, (double) n / dt, dc * 1e9 / (double) n);
        return 0;
}
