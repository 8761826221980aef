/* SPDX-License-Identifier: Apache-2.0 */
/* The agent's control socket (control.h): a thread that accepts one client at a time, reads bounded
 * JSON lines and answers each with one JSON line. */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>

#include "core/json-util.h"
#include "runtime/control.h"

struct handler {
        char name[CONTROL_MAX_CMD + 1];
        control_fn fn;
        void *userdata;
};

struct control {
        pthread_mutex_t lock; /* serializes dispatch */
        struct handler handlers[CONTROL_MAX_HANDLERS];
        size_t n_handlers;
        int listen_fd, stop_fd;
        char *path;
        pthread_t thread;
        bool started;
};

int control_new(struct control **ret) {
        struct control *c = calloc(1, sizeof *c);
        if (!c)
                return -ENOMEM;
        pthread_mutex_init(&c->lock, NULL);
        c->listen_fd = c->stop_fd = -1;
        *ret = c;
        return 0;
}

void control_free(struct control *c) {
        if (!c)
                return;
        if (c->started) {
                uint64_t one = 1;
                if (write(c->stop_fd, &one, sizeof one) < 0) {
                        /* the thread then ends at its next timeout */
                }
                pthread_join(c->thread, NULL);
        }
        if (c->listen_fd >= 0) {
                close(c->listen_fd);
                if (c->path)
                        unlink(c->path);
        }
        if (c->stop_fd >= 0)
                close(c->stop_fd);
        free(c->path);
        pthread_mutex_destroy(&c->lock);
        free(c);
}

static bool valid_name(const char *s) {
        size_t n = strlen(s);
        return n > 0 && n <= CONTROL_MAX_CMD && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

int control_register(struct control *c, const char *name, control_fn fn, void *userdata) {
        if (!valid_name(name) || !fn)
                return -EINVAL;
        for (size_t i = 0; i < c->n_handlers; i++)
                if (streq(c->handlers[i].name, name))
                        return -EEXIST;
        if (c->n_handlers >= CONTROL_MAX_HANDLERS)
                return -E2BIG;
        struct handler *h = &c->handlers[c->n_handlers++];
        snprintf(h->name, sizeof h->name, "%s", name);
        h->fn = fn;
        h->userdata = userdata;
        return 0;
}

static int respond_error(struct buf *out, const char *msg) {
        _cleanup_(json_decrefp) json_t *o = json_pack("{s:b,s:s}", "ok", 0, "error", msg);
        _cleanup_free_ char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
        if (!s)
                return -ENOMEM;
        int r = buf_append_str(out, s);
        return r < 0 ? r : buf_append_char(out, '\n');
}

int control_dispatch(struct control *c, const char *line, size_t len, struct buf *out) {
        struct diag d;
        _cleanup_(json_decrefp) json_t *req = NULL, *result = NULL, *empty = NULL;
        int r;

        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
                len--;
        diag_init(&d);
        if (json_parse_capped(line, len, CONTROL_MAX_REQUEST, "request", &d, &req) < 0) {
                r = respond_error(out, d.error[0] ? d.error : "invalid request");
                diag_done(&d);
                return r;
        }
        const char *cmd = json_is_object(req) ? json_get_str(req, "cmd") : NULL;
        json_t *args = json_is_object(req) ? json_object_get(req, "args") : NULL;
        if (json_is_null(args))
                args = NULL;
        if (!cmd) {
                diag_done(&d);
                return respond_error(out, "request: 'cmd' (a string) is required");
        }
        if (args && !json_is_object(args)) {
                diag_done(&d);
                return respond_error(out, "request: 'args' must be an object");
        }
        if (!args) {
                args = empty = json_object();
                if (!args) {
                        diag_done(&d);
                        return -ENOMEM;
                }
        }
        const struct handler *h = NULL;
        for (size_t i = 0; i < c->n_handlers && !h; i++)
                if (streq(c->handlers[i].name, cmd))
                        h = &c->handlers[i];
        if (!h) {
                char msg[160];
                snprintf(msg, sizeof msg, "unknown command '%.64s'", cmd);
                diag_done(&d);
                return respond_error(out, msg);
        }
        pthread_mutex_lock(&c->lock);
        r = h->fn(h->userdata, args, &result, &d);
        pthread_mutex_unlock(&c->lock);
        if (r < 0) {
                r = respond_error(out, d.error[0] ? d.error : strerror(-r));
                diag_done(&d);
                return r;
        }
        diag_done(&d);
        _cleanup_(json_decrefp) json_t *resp = json_pack("{s:b,s:O?}", "ok", 1, "result", result);
        _cleanup_free_ char *s = resp ? json_dumps(resp, JSON_COMPACT) : NULL;
        if (!s)
                return -ENOMEM;
        if (strlen(s) + 1 > CONTROL_MAX_RESPONSE)
                return respond_error(out, "the response is too large");
        r = buf_append_str(out, s);
        return r < 0 ? r : buf_append_char(out, '\n');
}

static bool peer_allowed(int fd) {
        struct ucred cred;
        socklen_t l = sizeof cred;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &l) < 0)
                return false;
        return cred.uid == 0 || cred.uid == geteuid();
}

static int write_all(int fd, const char *p, size_t n) {
        while (n > 0) {
                ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
                if (w < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += w;
                n -= (size_t) w;
        }
        return 0;
}

static uint64_t mono_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

/* Serves one client: reads lines (each at most CONTROL_MAX_REQUEST) until EOF, an error, the stop
 * event, or CONTROL_TIMEOUT_MS without a complete request. */
static void serve_client(struct control *c, int fd) {
        _cleanup_(buf_free) struct buf in = BUF_INIT(CONTROL_MAX_REQUEST + 1);
        _cleanup_(buf_free) struct buf out = BUF_INIT(0);
        size_t requests = 0;
        char chunk[65536];

        if (!peer_allowed(fd)) {
                (void) respond_error(&out, "permission denied: the control socket serves root only");
                (void) write_all(fd, out.data, out.len);
                return;
        }
        uint64_t deadline = mono_ms() + CONTROL_TIMEOUT_MS;
        for (;;) {
                char *nl;
                while ((nl = in.len ? memchr(in.data, '\n', in.len) : NULL)) {
                        size_t l = (size_t) (nl - in.data) + 1;
                        buf_reset(&out);
                        if (control_dispatch(c, in.data, l, &out) < 0)
                                return;
                        if (write_all(fd, out.data, out.len) < 0)
                                return;
                        memmove(in.data, in.data + l, in.len - l);
                        in.len -= l;
                        in.data[in.len] = 0;
                        deadline = mono_ms() + CONTROL_TIMEOUT_MS;
                        if (++requests >= CONTROL_MAX_REQUESTS)
                                return;
                }
                uint64_t now = mono_ms();
                if (now >= deadline)
                        return;
                struct pollfd p[2] = {{.fd = fd, .events = POLLIN}, {.fd = c->stop_fd, .events = POLLIN}};
                int n = poll(p, 2, (int) (deadline - now));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0 || (p[1].revents & POLLIN))
                        return;
                ssize_t got = recv(fd, chunk, sizeof chunk, MSG_DONTWAIT);
                if (got < 0 && (errno == EAGAIN || errno == EINTR))
                        continue;
                if (got <= 0) {
                        /* a last request without its newline */
                        if (got == 0 && in.len && requests < CONTROL_MAX_REQUESTS) {
                                buf_reset(&out);
                                if (control_dispatch(c, in.data, in.len, &out) >= 0)
                                        (void) write_all(fd, out.data, out.len);
                        }
                        return;
                }
                if (buf_append(&in, chunk, (size_t) got) < 0) {
                        buf_reset(&out);
                        char msg[96];
                        snprintf(msg, sizeof msg, "request larger than %d bytes", CONTROL_MAX_REQUEST);
                        (void) respond_error(&out, msg);
                        (void) write_all(fd, out.data, out.len);
                        return;
                }
        }
}

static void *control_thread(void *userdata) {
        struct control *c = userdata;
        for (;;) {
                struct pollfd p[2] = {{.fd = c->listen_fd, .events = POLLIN},
                                      {.fd = c->stop_fd, .events = POLLIN}};
                if (poll(p, 2, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        break;
                }
                if (p[1].revents & POLLIN)
                        break;
                int fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC);
                if (fd < 0)
                        continue;
                serve_client(c, fd);
                close(fd);
        }
        return NULL;
}

static int mkdir_parent(const char *path) {
        char dir[sizeof(((struct sockaddr_un *) 0)->sun_path)];
        const char *slash = strrchr(path, '/');
        if (!slash || slash == path)
                return 0;
        snprintf(dir, sizeof dir, "%.*s", (int) (slash - path), path);
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

int control_start(struct control *c, const char *path, struct diag *d) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        if (strlen(path) >= sizeof sa.sun_path)
                return diag_error(d, -ENAMETOOLONG, "control socket path '%s' is too long", path);
        memcpy(sa.sun_path, path, strlen(path) + 1);
        int r = mkdir_parent(path);
        if (r < 0)
                return diag_error(d, r, "cannot create the directory of control socket '%s': %s", path,
                                  strerror(-r));

        /* a live agent answers on the path: refuse; a stale socket file is replaced */
        _cleanup_close_ int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (probe >= 0 && connect(probe, (struct sockaddr *) &sa, sizeof sa) == 0)
                return diag_error(d, -EADDRINUSE, "control socket '%s' is in use (another agent running?)",
                                  path);
        struct stat st;
        if (lstat(path, &st) == 0) {
                if (!S_ISSOCK(st.st_mode))
                        return diag_error(d, -EEXIST, "control socket path '%s' exists and is not a socket",
                                          path);
                unlink(path);
        }
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return diag_error(d, negative_errno(), "cannot create control socket: %s", strerror(errno));
        mode_t old = umask(0177);
        r = bind(fd, (struct sockaddr *) &sa, sizeof sa);
        umask(old);
        if (r < 0)
                return diag_error(d, negative_errno(), "cannot bind control socket '%s': %s", path,
                                  strerror(errno));
        if (chmod(path, 0600) < 0 || listen(fd, 16) < 0) {
                r = diag_error(d, negative_errno(), "cannot listen on control socket '%s': %s", path,
                               strerror(errno));
                unlink(path);
                return r;
        }
        c->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        c->path = strdup(path);
        if (c->stop_fd < 0 || !c->path) {
                unlink(path);
                return -ENOMEM;
        }
        c->listen_fd = TAKE_FD(fd);
        r = -pthread_create(&c->thread, NULL, control_thread, c);
        if (r < 0)
                return diag_error(d, r, "cannot start the control socket's thread: %s", strerror(-r));
        c->started = true;
        return 0;
}

int control_call(const char *path, const char *cmd, json_t *args, unsigned timeout_ms, json_t **ret_result,
                 struct diag *d) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        _cleanup_(buf_free) struct buf resp = BUF_INIT(CONTROL_MAX_RESPONSE);
        char chunk[65536];

        if (strlen(path) >= sizeof sa.sun_path)
                return diag_error(d, -ENAMETOOLONG, "control socket path '%s' is too long", path);
        memcpy(sa.sun_path, path, strlen(path) + 1);
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return diag_error(d, negative_errno(), "cannot create a socket: %s", strerror(errno));
        if (connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0)
                return diag_error(d, negative_errno(), "cannot reach the agent at '%s': %s", path,
                                  strerror(errno));

        _cleanup_(json_decrefp) json_t *req = json_pack("{s:s,s:O?}", "cmd", cmd, "args", args);
        _cleanup_free_ char *s = req ? json_dumps(req, JSON_COMPACT) : NULL;
        if (!s)
                return -ENOMEM;
        size_t sl = strlen(s);
        if (sl + 1 > CONTROL_MAX_REQUEST)
                return diag_error(d, -E2BIG, "request larger than %d bytes", CONTROL_MAX_REQUEST);
        s[sl] = '\n'; /* json_dumps leaves room for its NUL: the newline takes it */
        int r = write_all(fd, s, sl + 1);
        s[sl] = 0;
        /* the agent may have refused and closed before reading (a peer it does not serve): its answer
         * is still readable, so a failed send is reported only when there is none */
        int send_err = r;

        uint64_t deadline = mono_ms() + (timeout_ms ? timeout_ms : 30000);
        while (!resp.len || resp.data[resp.len - 1] != '\n') {
                uint64_t now = mono_ms();
                if (now >= deadline)
                        return diag_error(d, -ETIMEDOUT, "the agent at '%s' did not answer", path);
                struct pollfd p = {.fd = fd, .events = POLLIN};
                int n = poll(&p, 1, (int) (deadline - now));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return diag_error(d, negative_errno(), "cannot wait for the agent: %s",
                                          strerror(errno));
                if (n == 0)
                        continue;
                ssize_t got = recv(fd, chunk, sizeof chunk, 0);
                if (got < 0 && errno == EINTR)
                        continue;
                if (got < 0 && send_err < 0)
                        break;
                if (got < 0)
                        return diag_error(d, negative_errno(), "cannot read from the agent: %s",
                                          strerror(errno));
                if (got == 0)
                        break;
                if (buf_append(&resp, chunk, (size_t) got) < 0)
                        return diag_error(d, -E2BIG, "the agent's answer is larger than %d bytes",
                                          CONTROL_MAX_RESPONSE);
        }
        _cleanup_(json_decrefp) json_t *o = NULL;
        if (!resp.len && send_err < 0)
                return diag_error(d, send_err, "cannot send to the agent at '%s': %s", path,
                                  strerror(-send_err));
        if (!resp.len)
                return diag_error(d, -EPROTO, "the agent at '%s' closed the connection without answering",
                                  path);
        r = json_parse_capped(resp.data, resp.len, CONTROL_MAX_RESPONSE, "the agent's answer", d, &o);
        if (r < 0)
                return r;
        if (!json_get_bool(o, "ok", false)) {
                const char *e = json_get_str(o, "error");
                return diag_error(d, -EREMOTEIO, "%s", e ? e : "the agent refused the request");
        }
        json_t *res = json_object_get(o, "result");
        *ret_result = res && !json_is_null(res) ? json_incref(res) : NULL;
        return 0;
}
