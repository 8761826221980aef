/* SPDX-License-Identifier: Apache-2.0 */
/* What a container does in the runtime tests (t7xxx), one action per call, built static so the test
 * image needs nothing but busybox beside it. Prints "ACTION result errno" so a test can see an
 * attempt that the container's confinement refused (it is still an event).
 *
 *   actions listen PORT            bind, listen, accept one connection, close
 *   actions connect IP PORT        connect (retrying for 10 s until something listens), send, close
 *   actions unix PATH              bind and listen on a unix socket, connect to it
 *   actions unshare                unshare(CLONE_NEWNS | CLONE_NEWNET)
 *   actions mount                  mount("none", "/mnt", "tmpfs")
 *   actions ptrace                 fork a child that PTRACE_TRACEMEs; attach-style round trip
 *   actions memfd NAME             memfd_create(NAME)
 *   actions setuid UID             setuid(UID)
 *   actions exec PATH              execve(PATH) (expected to fail)
 *   actions ia32-open PATH         open(PATH, O_RDONLY) through the ia32 entry (`int 0x80`, x86-64
 *                                  only): what a 64-bit process does to slip past hooks that only
 *                                  see 64-bit syscalls. Prints "ia32-open unsupported" elsewhere. */

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__)
/* The ia32 ABI takes 32-bit pointers: the path is copied to a static buffer, which a static
 * non-PIE executable keeps below 4 GiB. Returns the raw result (-errno). */
static char ia32_path[4096];
static long ia32_open(const char *path) {
        long r = 5; /* __NR_open in the ia32 table */
        snprintf(ia32_path, sizeof(ia32_path), "%s", path);
        if ((unsigned long) ia32_path > 0xffffffffUL)
                return -EFAULT;
        __asm__ volatile("int $0x80" : "+a"(r) : "b"(ia32_path), "c"(0), "d"(0) : "memory");
        return r;
}
#endif

static int report(const char *what, long r) {
        printf("%s %ld %d\n", what, r, r < 0 ? errno : 0);
        fflush(stdout);
        return r < 0 ? 1 : 0;
}

int main(int argc, char **argv) {
        if (argc < 2)
                return 2;
        const char *a = argv[1];
        if (!strcmp(a, "listen") && argc > 2) {
                int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
                struct sockaddr_in sin = {.sin_family = AF_INET,
                                          .sin_port = htons((uint16_t) atoi(argv[2]))};
                setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
                report("bind", bind(s, (struct sockaddr *) &sin, sizeof(sin)));
                report("listen", listen(s, 5));
                int c = accept(s, NULL, NULL);
                report("accept", c);
                char buf[64];
                if (c >= 0) {
                        (void) !read(c, buf, sizeof(buf));
                        close(c);
                }
                close(s);
                return 0;
        }
        /* A small server with a remote-code-execution hole (t7010): every connection gets one line back;
         * a line "exec CMD" makes it run CMD with /bin/sh -c, the way a vulnerable service would. */
        if (!strcmp(a, "serve") && argc > 2) {
                int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
                struct sockaddr_in sin = {.sin_family = AF_INET,
                                          .sin_port = htons((uint16_t) atoi(argv[2]))};
                setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
                if (bind(s, (struct sockaddr *) &sin, sizeof(sin)) < 0 || listen(s, 16) < 0)
                        return report("serve", -1);
                signal(SIGCHLD, SIG_IGN);
                for (;;) {
                        int c = accept(s, NULL, NULL);
                        if (c < 0)
                                continue;
                        char buf[512];
                        ssize_t n = read(c, buf, sizeof(buf) - 1);
                        buf[n > 0 ? n : 0] = 0;
                        buf[strcspn(buf, "\r\n")] = 0;
                        if (!strncmp(buf, "exec ", 5) && fork() == 0) {
                                execl("/bin/sh", "sh", "-c", buf + 5, (char *) NULL);
                                _exit(127);
                        }
                        (void) !write(c, "ok\n", 3);
                        close(c);
                }
        }
        if (!strcmp(a, "connect-once") && argc > 3) {
                struct sockaddr_in sin = {.sin_family = AF_INET,
                                          .sin_port = htons((uint16_t) atoi(argv[3]))};
                inet_pton(AF_INET, argv[2], &sin.sin_addr);
                int s = socket(AF_INET, SOCK_STREAM, 0);
                return report("connect", connect(s, (struct sockaddr *) &sin, sizeof(sin)));
        }
        if (!strcmp(a, "connect") && argc > 3) {
                struct sockaddr_in sin = {.sin_family = AF_INET,
                                          .sin_port = htons((uint16_t) atoi(argv[3]))};
                inet_pton(AF_INET, argv[2], &sin.sin_addr);
                for (int i = 0; i < 100; i++) {
                        int s = socket(AF_INET, SOCK_STREAM, 0);
                        if (connect(s, (struct sockaddr *) &sin, sizeof(sin)) == 0) {
                                const char *msg = argc > 4 ? argv[4] : "hello";
                                (void) !write(s, msg, strlen(msg));
                                (void) !write(s, "\n", 1);
                                close(s);
                                return report("connect", 0);
                        }
                        close(s);
                        struct timespec ts = {0, 100000000};
                        nanosleep(&ts, NULL);
                }
                return report("connect", -1);
        }
        if (!strcmp(a, "unix") && argc > 2) {
                struct sockaddr_un sun = {.sun_family = AF_UNIX};
                snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", argv[2]);
                unlink(argv[2]);
                int s = socket(AF_UNIX, SOCK_STREAM, 0), c = socket(AF_UNIX, SOCK_STREAM, 0);
                report("bind", bind(s, (struct sockaddr *) &sun, sizeof(sun)));
                report("listen", listen(s, 1));
                return report("connect", connect(c, (struct sockaddr *) &sun, sizeof(sun)));
        }
        if (!strcmp(a, "unshare"))
                return report("unshare", unshare(CLONE_NEWNS | CLONE_NEWNET)), 0;
        if (!strcmp(a, "mount"))
                return report("mount", mount("none", "/mnt", "tmpfs", 0, NULL)), 0;
        if (!strcmp(a, "ptrace")) {
                pid_t child = fork();
                if (child == 0) {
                        ptrace(PTRACE_TRACEME, 0, NULL, NULL);
                        raise(SIGSTOP);
                        _exit(0);
                }
                int st;
                waitpid(child, &st, 0);
                report("ptrace", ptrace(PTRACE_CONT, child, NULL, NULL));
                waitpid(child, &st, 0);
                return 0;
        }
        if (!strcmp(a, "memfd") && argc > 2) {
                int fd = memfd_create(argv[2], MFD_CLOEXEC);
                return report("memfd", fd), 0;
        }
        if (!strcmp(a, "setuid") && argc > 2)
                return report("setuid", setuid((uid_t) atoi(argv[2]))), 0;
        if (!strcmp(a, "exec") && argc > 2) {
                char *args[] = {argv[2], NULL};
                return report("exec", execve(argv[2], args, NULL)), 0;
        }
        if (!strcmp(a, "ia32-open") && argc > 2) {
#if defined(__x86_64__)
                long r = ia32_open(argv[2]);
                if (r < 0)
                        errno = (int) -r;
                return report("ia32-open", r < 0 ? -1 : r), 0;
#else
                return puts("ia32-open unsupported"), 0;
#endif
        }
        fprintf(stderr, "actions: unknown action '%s'\n", a);
        return 2;
}
