/* SPDX-License-Identifier: Apache-2.0 */
/* Response primitives that need no BPF and no fanotify: kill through a pidfd, connect rule parsing,
 * pause/stop through the engine API, the cgroup v2 freezer. */

#include <arpa/inet.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "resolver.h"
#include "respond.h"
#include "runtime-internal.h"

/* ---- kill ---- */

static int pidfd_open_(pid_t pid) {
        return (int) syscall(SYS_pidfd_open, pid, 0);
}

static int pidfd_send_signal_(int fd, int sig) {
        return (int) syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0);
}

/* Field 22 (starttime) of a /proc/PID/stat line; comm (field 2) may hold spaces and parentheses, so
 * fields are counted from its last ')'. */
static int stat_start_time(const char *line, uint64_t *ret) {
        const char *p = strrchr(line, ')');
        if (!p)
                return -EBADMSG;
        p++;
        /* after ")": " state ppid …": starttime is the 20th field from state */
        for (int field = 3; field < 22; field++) {
                p = strchr(p + 1, ' ');
                if (!p)
                        return -EBADMSG;
        }
        char *end;
        errno = 0;
        unsigned long long v = strtoull(p + 1, &end, 10);
        if (errno || end == p + 1)
                return -EBADMSG;
        *ret = v;
        return 0;
}

static int read_proc_start_time(int dirfd, uint64_t *ret) {
        _cleanup_close_ int fd = openat(dirfd, "stat", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? -ESRCH : negative_errno();
        char buf[1024];
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        if (n < 0)
                return errno == ESRCH ? -ESRCH : negative_errno();
        buf[n] = 0;
        return stat_start_time(buf, ret);
}

int respond_proc_start_time(pid_t pid, uint64_t *ret) {
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d", (int) pid);
        _cleanup_close_ int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return errno == ENOENT ? -ESRCH : negative_errno();
        return read_proc_start_time(dfd, ret);
}

static uint64_t now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

int respond_kill(pid_t pid, uint64_t start_time, int sig, int wait_ms) {
        if (pid <= 1)
                return -EINVAL;
        _cleanup_close_ int fd = pidfd_open_(pid);
        if (fd < 0)
                return errno == ESRCH ? -ESRCH : negative_errno();
        if (start_time) {
                /* the pidfd pins the process: if /proc/PID is still the same start time now, the pidfd
                 * is that process (a reused pid would have another start time) */
                uint64_t st;
                int r = respond_proc_start_time(pid, &st);
                if (r < 0)
                        return r;
                if (st != start_time)
                        return -ESRCH;
        }
        if (pidfd_send_signal_(fd, sig ? sig : SIGKILL) < 0)
                return errno == ESRCH ? -ESRCH : negative_errno();
        if (wait_ms <= 0)
                return 0;
        uint64_t deadline = now_ms() + (uint64_t) wait_ms;
        for (;;) {
                /* a pidfd polls readable once the process has exited */
                uint64_t now = now_ms();
                if (now >= deadline)
                        return -ETIMEDOUT;
                struct pollfd p = {.fd = fd, .events = POLLIN};
                int r = poll(&p, 1, (int) (deadline - now));
                if (r > 0)
                        return 0;
                if (r < 0 && errno != EINTR)
                        return negative_errno();
        }
}

/* ---- cgroups ---- */

int respond_cgroup2_path(pid_t pid, char *ret, size_t retlen) {
        char mount[PATH_MAX] = "", rel[PATH_MAX] = "", line[4096], path[64];

        _cleanup_fclose_ FILE *mi = fopen("/proc/self/mountinfo", "re");
        if (!mi)
                return negative_errno();
        while (fgets(line, sizeof(line), mi)) {
                /* "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS… - FSTYPE SOURCE SUPEROPTIONS" */
                const char *sep = strstr(line, " - ");
                if (!sep || strncmp(sep + 3, "cgroup2 ", 8) != 0)
                        continue;
                char mp[PATH_MAX];
                if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) == 1 && strlen(mp) < sizeof(mount)) {
                        /* the first one: a container's own cgroup namespace mounts come later */
                        snprintf(mount, sizeof(mount), "%s", mp);
                        break;
                }
        }
        if (!mount[0])
                return -ENOENT;

        snprintf(path, sizeof(path), "/proc/%d/cgroup", (int) pid);
        _cleanup_fclose_ FILE *cg = fopen(path, "re");
        if (!cg)
                return errno == ENOENT ? -ESRCH : negative_errno();
        while (fgets(line, sizeof(line), cg))
                if (strncmp(line, "0::", 3) == 0) {
                        line[strcspn(line, "\n")] = 0;
                        snprintf(rel, sizeof(rel), "%s", line + 3);
                        break;
                }
        if (!rel[0] || strstr(rel, "/.."))
                return -ENOENT;
        if ((size_t) snprintf(ret, retlen, "%s%s", mount, streq(rel, "/") ? "" : rel) >= retlen)
                return -ENAMETOOLONG;
        return 0;
}

/* ---- connect rules ---- */

int respond_rule_parse(const char *s, enum respond_verdict verdict, struct respond_rule ret[static 2],
                       struct diag *d) {
        char addr[INET6_ADDRSTRLEN + 8] = "";
        const char *port_s = NULL, *prefix_s = NULL;
        size_t len = strlen(s);

        if (len == 0 || len > 80)
                return diag_error(d, -EINVAL, "bad connect rule '%.80s': empty or too long", s);
        if (verdict != RESPOND_ALLOW && verdict != RESPOND_DENY)
                return diag_error(d, -EINVAL, "bad connect rule '%s': no verdict", s);
        memset(ret, 0, 2 * sizeof(*ret));

        const char *rest;
        if (s[0] == '[') {
                const char *e = strchr(s, ']');
                if (!e || (size_t) (e - s - 1) >= sizeof(addr))
                        return diag_error(d, -EINVAL, "bad connect rule '%s': unterminated [address]", s);
                memcpy(addr, s + 1, (size_t) (e - s - 1));
                addr[e - s - 1] = 0;
                rest = e + 1;
                if (*rest == '/') {
                        prefix_s = rest + 1;
                        rest = strchr(rest, ':');
                        if (!rest)
                                rest = s + len;
                }
                if (*rest == ':')
                        port_s = rest + 1;
                else if (*rest)
                        return diag_error(d, -EINVAL, "bad connect rule '%s': junk after the address", s);
        } else {
                const char *colon = strchr(s, ':');
                if (colon && strchr(colon + 1, ':'))
                        return diag_error(d, -EINVAL,
                                          "bad connect rule '%s': write IPv6 addresses in brackets, "
                                          "[ADDR]:PORT",
                                          s);
                size_t alen = colon ? (size_t) (colon - s) : len;
                const char *slash = memchr(s, '/', alen);
                if (slash) {
                        prefix_s = slash + 1;
                        alen = (size_t) (slash - s);
                }
                if (alen >= sizeof(addr))
                        return diag_error(d, -EINVAL, "bad connect rule '%s': address too long", s);
                memcpy(addr, s, alen);
                addr[alen] = 0;
                if (colon)
                        port_s = colon + 1;
        }

        unsigned long port = 0;
        if (port_s) {
                char *end;
                errno = 0;
                port = strtoul(port_s, &end, 10);
                if (errno || end == port_s || *end || port == 0 || port > 65535)
                        return diag_error(d, -EINVAL, "bad connect rule '%s': port must be 1…65535", s);
        }

        if (!addr[0]) {
                if (prefix_s || !port_s)
                        return diag_error(d, -EINVAL, "bad connect rule '%s': no address and no port", s);
                /* ":PORT": any peer of either family */
                ret[0] = (struct respond_rule){
                        .family = AF_INET, .port = (uint16_t) port, .verdict = verdict};
                ret[1] = (struct respond_rule){
                        .family = AF_INET6, .port = (uint16_t) port, .verdict = verdict};
                return 2;
        }

        struct respond_rule *r = &ret[0];
        r->verdict = verdict;
        r->port = (uint16_t) port;
        unsigned max;
        if (inet_pton(AF_INET, addr, r->addr) == 1) {
                r->family = AF_INET;
                max = 32;
        } else if (inet_pton(AF_INET6, addr, r->addr) == 1) {
                r->family = AF_INET6;
                max = 128;
        } else
                return diag_error(d, -EINVAL, "bad connect rule '%s': '%s' is not an IP address", s, addr);

        r->prefix_len = max;
        if (prefix_s) {
                char *end;
                errno = 0;
                unsigned long p = strtoul(prefix_s, &end, 10);
                if (errno || end == prefix_s || (*end && *end != ':') || p > max)
                        return diag_error(d, -EINVAL, "bad connect rule '%s': prefix must be 0…%u", s, max);
                r->prefix_len = (unsigned) p;
        }
        /* clear the host bits so equal networks make equal keys */
        for (unsigned i = 0; i < 16; i++) {
                unsigned lo = i * 8;
                if (lo >= r->prefix_len)
                        r->addr[i] = 0;
                else if (r->prefix_len - lo < 8)
                        r->addr[i] &= (uint8_t) (0xff00u >> (r->prefix_len - lo));
        }
        return 1;
}

/* ---- pause / stop through the engine ---- */

static size_t discard_cb(char *p, size_t size, size_t n, void *userdata) {
        struct buf *b = userdata;
        size_t len = size * n;
        /* keep the start of the body for the error message */
        if (b->len < 512)
                (void) buf_append(b, p, len < 512 - b->len ? len : 512 - b->len);
        return len;
}

int respond_container(const char *docker_host, const char *container_id, enum respond_container_op op,
                      unsigned stop_timeout_s, struct diag *d) {
        char sock[256], url[256];
        const char *verb;

        if (!rt_is_container_id(container_id))
                return diag_error(d, -EINVAL, "bad container id '%.80s': 64 hex digits expected",
                                  container_id);
        int r = resolver_socket_path(docker_host, sock, sizeof(sock));
        if (r < 0)
                return diag_error(d, r, "cannot reach the engine at '%s': only unix sockets are supported",
                                  docker_host ? docker_host : "$DOCKER_HOST");
        switch (op) {
        case RESPOND_PAUSE: verb = "pause"; break;
        case RESPOND_UNPAUSE: verb = "unpause"; break;
        case RESPOND_STOP: verb = "stop"; break;
        case RESPOND_KILL: verb = "kill"; break;
        default: return -EINVAL;
        }
        if (op == RESPOND_STOP)
                snprintf(url, sizeof(url), "http://localhost/containers/%s/stop?t=%u", container_id,
                         stop_timeout_s);
        else if (op == RESPOND_KILL)
                snprintf(url, sizeof(url), "http://localhost/containers/%s/kill?signal=KILL", container_id);
        else
                snprintf(url, sizeof(url), "http://localhost/containers/%s/%s", container_id, verb);

        CURL *h = curl_easy_init();
        if (!h)
                return diag_error(d, -ENOMEM, "cannot %s container %.12s: out of memory", verb,
                                  container_id);
        struct buf body = BUF_INIT(4096);
        long timeout_ms = 10000 + (op == RESPOND_STOP ? (long) stop_timeout_s * 1000 : 0);
        bool ok = curl_easy_setopt(h, CURLOPT_URL, url) == CURLE_OK &&
                  curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, sock) == CURLE_OK &&
                  curl_easy_setopt(h, CURLOPT_PROXY, "") == CURLE_OK &&
                  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
                  curl_easy_setopt(h, CURLOPT_POST, 1L) == CURLE_OK &&
                  curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L) == CURLE_OK &&
                  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard_cb) == CURLE_OK &&
                  curl_easy_setopt(h, CURLOPT_WRITEDATA, &body) == CURLE_OK &&
                  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms) == CURLE_OK &&
                  curl_easy_setopt(h, CURLOPT_USERAGENT, "stockade-agent/" STOCKADE_VERSION) == CURLE_OK;
        CURLcode cr = ok ? curl_easy_perform(h) : CURLE_FAILED_INIT;
        long status = 0;
        if (cr == CURLE_OK)
                curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_cleanup(h);

        if (cr != CURLE_OK)
                r = diag_error(d, -EIO, "cannot %s container %.12s: %s (%s)", verb, container_id,
                               curl_easy_strerror(cr), sock);
        else if (status == 204 || status == 304 || status == 200)
                r = 0; /* 304: already stopped */
        else if (status == 404)
                r = diag_error(d, -ENOENT, "cannot %s container %.12s: no such container", verb,
                               container_id);
        else {
                /* 409: paused already / not running; the engine says which in its message */
                const char *m = body.data ? strstr(body.data, "\"message\":\"") : NULL;
                int mlen = 0;
                if (m) {
                        m += 11;
                        while (m[mlen] && m[mlen] != '"' && mlen < 200)
                                mlen++;
                }
                r = diag_error(d, status == 409 ? -EBUSY : -EIO,
                               "cannot %s container %.12s: engine said %ld%s%.*s", verb, container_id,
                               status, m ? ": " : "", mlen, m ? m : "");
        }
        buf_free(&body);
        return r;
}

/* ---- cgroup freezer ---- */

static int freeze_v1(int dfd, const char *cgroup_path, bool freeze, int wait_ms, struct diag *d) {
        _cleanup_close_ int fd = openat(dfd, "freezer.state", O_RDWR | O_CLOEXEC);
        if (fd < 0)
                return diag_error(d, negative_errno(), "cannot open %s/cgroup.freeze or freezer.state: %m",
                                  cgroup_path);
        const char *want = freeze ? "FROZEN" : "THAWED";
        if (write(fd, want, strlen(want)) < 0)
                return diag_error(d, negative_errno(), "cannot write %s/freezer.state: %m", cgroup_path);
        uint64_t deadline = now_ms() + (uint64_t) (wait_ms > 0 ? wait_ms : 0);
        for (;;) {
                char buf[32];
                ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
                if (n < 0)
                        return diag_error(d, negative_errno(), "cannot read %s/freezer.state: %m",
                                          cgroup_path);
                buf[n] = 0;
                if (strncmp(buf, want, strlen(want)) == 0 || now_ms() >= deadline)
                        break;
                struct timespec ts = {0, 5000000};
                nanosleep(&ts, NULL);
        }
        char buf[32];
        ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
        buf[n > 0 ? n : 0] = 0;
        if (wait_ms > 0 && strncmp(buf, want, strlen(want)) != 0)
                return diag_error(d, -ETIMEDOUT, "cgroup %s not %s after %d ms", cgroup_path,
                                  freeze ? "frozen" : "thawed", wait_ms);
        return 0;
}

int respond_cgroup_freeze(const char *cgroup_path, bool freeze, int wait_ms, struct diag *d) {
        _cleanup_close_ int dfd = open(cgroup_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return diag_error(d, negative_errno(), "cannot open cgroup %s: %m", cgroup_path);
        _cleanup_close_ int ffd = openat(dfd, "cgroup.freeze", O_WRONLY | O_CLOEXEC);
        if (ffd < 0 && errno == ENOENT)
                return freeze_v1(dfd, cgroup_path, freeze, wait_ms, d);
        if (ffd < 0)
                return diag_error(d, negative_errno(), "cannot open %s/cgroup.freeze: %m", cgroup_path);
        if (write(ffd, freeze ? "1" : "0", 1) != 1)
                return diag_error(d, negative_errno(), "cannot write %s/cgroup.freeze: %m", cgroup_path);

        /* cgroup.events says "frozen 1" once every task is stopped; it is a file that polls POLLPRI
         * (and POLLERR) when it changes */
        _cleanup_close_ int efd = openat(dfd, "cgroup.events", O_RDONLY | O_CLOEXEC);
        if (efd < 0)
                return diag_error(d, negative_errno(), "cannot open %s/cgroup.events: %m", cgroup_path);
        uint64_t deadline = now_ms() + (uint64_t) (wait_ms > 0 ? wait_ms : 0);
        for (;;) {
                char buf[256];
                ssize_t n = pread(efd, buf, sizeof(buf) - 1, 0);
                if (n < 0)
                        return diag_error(d, negative_errno(), "cannot read %s/cgroup.events: %m",
                                          cgroup_path);
                buf[n] = 0;
                const char *f = strstr(buf, "frozen ");
                if (f && f[7] == (freeze ? '1' : '0'))
                        return 0;
                uint64_t now = now_ms();
                if (now >= deadline)
                        return wait_ms > 0 ? diag_error(d, -ETIMEDOUT, "cgroup %s not %s after %d ms",
                                                        cgroup_path, freeze ? "frozen" : "thawed", wait_ms)
                                           : 0;
                struct pollfd p = {.fd = efd, .events = POLLPRI};
                (void) poll(&p, 1, (int) (deadline - now));
        }
}
