/* SPDX-License-Identifier: Apache-2.0 */
/* The exec guard: a fanotify group of class FAN_CLASS_CONTENT holding a FAN_OPEN_EXEC_PERM mark on each
 * guarded container's root filesystem. The kernel holds every exec of a file on those filesystems until
 * we answer. One reader thread takes the events off the group and queues them; worker threads ask the
 * decision callback and answer; the reader answers, with the fail policy, every request whose deadline
 * passes first. A request's file descriptor is closed by whoever answers last.
 *
 * Why FAN_MARK_FILESYSTEM on /proc/PID/root: the container's root is an overlay mount in the
 * container's own mount namespace, a different vfsmount from the one the engine mounted at MergedDir,
 * so a mount mark on MergedDir would never see the container's execs, and a mount mark on
 * /proc/PID/root would miss the same filesystem reached through other mounts. The overlay superblock is
 * the container's alone (one overlay mount per container), so a filesystem mark covers exactly its
 * image and writable layer, wherever mounted. Volumes and bind mounts are other filesystems (often the
 * host's): they are not marked (marking them would hold every exec on the host). */

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "respond.h"
#include "runtime-internal.h"

#define QUEUE_MAX 4096 /* requests waiting for a worker; beyond, the fail policy answers at once */

struct guarded {
        struct guarded *next;
        char id[80];
        void *data;
        int root_fd; /* O_PATH on the container's root: keeps the mark removable after its processes die */
        dev_t dev;
};

enum job_state {
        JOB_QUEUED,
        JOB_DECIDING,
        JOB_ANSWERED, /* by the reader (timeout); the worker frees it */
};

struct job {
        struct job *next, *prev; /* the pending list (queued and deciding) */
        enum job_state state;
        int fd; /* the event's file: the key of the answer */
        pid_t pid;
        uint64_t deadline_ns;
        char id[80]; /* copied: the container may be removed meanwhile */
        void *data;
        dev_t dev;
        ino_t ino;
        char path[PATH_MAX];
};

struct exec_guard {
        struct exec_guard_options o;
        int fan_fd, stop_fd;
        pthread_t reader;
        pthread_t *workers;
        unsigned n_workers;
        bool reader_started;

        pthread_mutex_t lock;
        pthread_cond_t cond;
        bool stopping;
        struct guarded *guarded;
        struct job *pending; /* queued and deciding requests, newest first */
        size_t n_queued;     /* of which queued */
        struct exec_guard_stats st;
};

static uint64_t mono_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

/* answers the kernel; lock held or not (the write is atomic per response) */
static void answer(struct exec_guard *g, int fd, bool allow) {
        struct fanotify_response resp = {.fd = fd, .response = allow ? FAN_ALLOW : FAN_DENY};
        (void) !write(g->fan_fd, &resp, sizeof(resp));
}

static void pending_unlink(struct exec_guard *g, struct job *j) {
        if (j->prev)
                j->prev->next = j->next;
        else
                g->pending = j->next;
        if (j->next)
                j->next->prev = j->prev;
        j->next = j->prev = NULL;
}

static void *worker_main(void *arg);
static void *reader_main(void *arg);

/* The queue is kept in the pending list itself: queued jobs are found by state. With at most a few
 * dozen execs in flight a walk is cheaper than the bookkeeping. */
static struct job *take_queued(struct exec_guard *g) {
        struct job *oldest = NULL;
        for (struct job *j = g->pending; j; j = j->next)
                if (j->state == JOB_QUEUED)
                        oldest = j; /* new jobs are pushed at the head: the last queued one is oldest */
        return oldest;
}

static void *worker_main(void *arg) {
        struct exec_guard *g = arg;
        pthread_mutex_lock(&g->lock);
        for (;;) {
                struct job *j = NULL;
                while (!g->stopping && !(j = take_queued(g)))
                        pthread_cond_wait(&g->cond, &g->lock);
                if (g->stopping)
                        break;
                j->state = JOB_DECIDING;
                g->n_queued--;
                pthread_mutex_unlock(&g->lock);

                struct exec_request req = {
                        .container_id = j->id,
                        .container_data = j->data,
                        .path = j->path,
                        .pid = j->pid,
                        .dev = j->dev,
                        .ino = j->ino,
                };
                uint64_t t0 = mono_ns();
                enum respond_verdict v = g->o.decide(g->o.userdata, &req);
                uint64_t dt = mono_ns() - t0;

                pthread_mutex_lock(&g->lock);
                g->st.decide_ns_total += dt;
                if (dt > g->st.decide_ns_max)
                        g->st.decide_ns_max = dt;
                if (j->state == JOB_ANSWERED) {
                        /* too late: the reader answered with the fail policy and unlinked it */
                        free(j);
                        continue;
                }
                pending_unlink(g, j);
                bool allow = v != RESPOND_DENY;
                answer(g, j->fd, allow);
                if (allow)
                        g->st.allowed++;
                else
                        g->st.denied++;
                close(j->fd);
                free(j);
        }
        pthread_mutex_unlock(&g->lock);
        return NULL;
}

/* Answers, with the fail policy, every pending request whose deadline passed; returns the nearest
 * deadline left (0: none). Lock held. */
static uint64_t expire(struct exec_guard *g, uint64_t now) {
        uint64_t next = 0;
        for (struct job *j = g->pending, *n; j; j = n) {
                n = j->next;
                if (j->deadline_ns > now) {
                        if (!next || j->deadline_ns < next)
                                next = j->deadline_ns;
                        continue;
                }
                bool allow = g->o.fail == EXEC_FAIL_OPEN;
                answer(g, j->fd, allow);
                close(j->fd);
                g->st.timeouts++;
                if (allow)
                        g->st.allowed++;
                else
                        g->st.denied++;
                pending_unlink(g, j);
                if (j->state == JOB_QUEUED) {
                        g->n_queued--;
                        free(j);
                } else
                        j->state = JOB_ANSWERED; /* the worker deciding it frees it */
        }
        return next;
}

static struct guarded *find_dev(struct exec_guard *g, dev_t dev) {
        for (struct guarded *x = g->guarded; x; x = x->next)
                if (x->dev == dev)
                        return x;
        return NULL;
}

static void handle(struct exec_guard *g, const struct fanotify_event_metadata *m) {
        if (m->fd < 0)
                return; /* FAN_NOFD: queue overflow, nothing to answer */
        if (!(m->mask & FAN_OPEN_EXEC_PERM)) {
                close(m->fd);
                return;
        }
        struct stat st;
        if (fstat(m->fd, &st) < 0) {
                pthread_mutex_lock(&g->lock);
                g->st.requests++;
                g->st.errors++;
                g->st.allowed++;
                pthread_mutex_unlock(&g->lock);
                answer(g, m->fd, true);
                close(m->fd);
                return;
        }

        struct job *j = calloc(1, sizeof(*j));
        if (j) {
                char link[64];
                snprintf(link, sizeof(link), "/proc/self/fd/%d", m->fd);
                ssize_t n = readlink(link, j->path, sizeof(j->path) - 1);
                j->path[n > 0 ? n : 0] = 0;
                j->fd = m->fd;
                j->pid = m->pid;
                j->dev = st.st_dev;
                j->ino = st.st_ino;
                j->deadline_ns = mono_ns() + (uint64_t) g->o.timeout_ms * 1000000u;
        }

        pthread_mutex_lock(&g->lock);
        g->st.requests++;
        struct guarded *c = find_dev(g, st.st_dev);
        if (!j || !c || g->n_queued >= QUEUE_MAX) {
                /* out of memory, a filesystem no longer guarded (removed while the event was on its way),
                 * or flooded: answered at once — allowed when not guarded, else by the fail policy */
                bool allow = !c || g->o.fail == EXEC_FAIL_OPEN;
                if (c)
                        g->st.errors++;
                if (allow)
                        g->st.allowed++;
                else
                        g->st.denied++;
                pthread_mutex_unlock(&g->lock);
                answer(g, m->fd, allow);
                close(m->fd);
                free(j);
                return;
        }
        snprintf(j->id, sizeof(j->id), "%s", c->id);
        j->data = c->data;
        j->state = JOB_QUEUED;
        j->next = g->pending;
        if (g->pending)
                g->pending->prev = j;
        g->pending = j;
        g->n_queued++;
        pthread_cond_signal(&g->cond);
        pthread_mutex_unlock(&g->lock);
}

static void *reader_main(void *arg) {
        struct exec_guard *g = arg;
        char buf[8192] __attribute__((aligned(__alignof__(struct fanotify_event_metadata))));
        for (;;) {
                pthread_mutex_lock(&g->lock);
                uint64_t now = mono_ns(), next = expire(g, now);
                pthread_mutex_unlock(&g->lock);
                int timeout = -1;
                if (next)
                        timeout = (int) ((next - now + 999999) / 1000000);

                struct pollfd p[2] = {{.fd = g->fan_fd, .events = POLLIN},
                                      {.fd = g->stop_fd, .events = POLLIN}};
                int r = poll(p, 2, timeout);
                if (r < 0 && errno != EINTR)
                        break;
                if (p[1].revents)
                        break;
                if (!(p[0].revents & POLLIN))
                        continue;
                for (;;) {
                        ssize_t n = read(g->fan_fd, buf, sizeof(buf));
                        if (n <= 0)
                                break;
                        const struct fanotify_event_metadata *m = (const void *) buf;
                        for (; FAN_EVENT_OK(m, n); m = FAN_EVENT_NEXT(m, n))
                                if (m->vers == FANOTIFY_METADATA_VERSION)
                                        handle(g, m);
                                else if (m->fd >= 0)
                                        close(m->fd);
                }
        }
        return NULL;
}

int exec_guard_new(const struct exec_guard_options *o, struct diag *d, struct exec_guard **ret) {
        if (!o || !o->decide)
                return diag_error(d, -EINVAL, "exec guard: no decision callback");
        struct exec_guard *g = calloc(1, sizeof(*g));
        if (!g)
                return -ENOMEM;
        g->o = *o;
        if (!g->o.timeout_ms)
                g->o.timeout_ms = 200;
        if (!g->o.workers)
                g->o.workers = 2;
        if (g->o.workers > 64)
                g->o.workers = 64;
        g->stop_fd = -1;
        pthread_mutex_init(&g->lock, NULL);
        pthread_cond_init(&g->cond, NULL);

        g->fan_fd = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC | FAN_NONBLOCK,
                                  O_RDONLY | O_LARGEFILE | O_CLOEXEC);
        if (g->fan_fd < 0) {
                int r = diag_error(d, negative_errno(),
                                   "cannot create the exec guard's fanotify group: %m%s",
                                   errno == EPERM ? " (root needed)" : "");
                exec_guard_free(g);
                return r;
        }
        g->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        g->workers = calloc(g->o.workers, sizeof(pthread_t));
        if (g->stop_fd < 0 || !g->workers) {
                exec_guard_free(g);
                return -ENOMEM;
        }
        for (; g->n_workers < g->o.workers; g->n_workers++)
                if (pthread_create(&g->workers[g->n_workers], NULL, worker_main, g) != 0) {
                        exec_guard_free(g);
                        return diag_error(d, -EAGAIN, "cannot start the exec guard's threads");
                }
        if (pthread_create(&g->reader, NULL, reader_main, g) != 0) {
                exec_guard_free(g);
                return diag_error(d, -EAGAIN, "cannot start the exec guard's threads");
        }
        g->reader_started = true;
        *ret = g;
        return 0;
}

void exec_guard_free(struct exec_guard *g) {
        if (!g)
                return;
        if (g->reader_started) {
                uint64_t one = 1;
                (void) !write(g->stop_fd, &one, sizeof(one));
                pthread_join(g->reader, NULL);
        }
        pthread_mutex_lock(&g->lock);
        g->stopping = true;
        pthread_cond_broadcast(&g->cond);
        pthread_mutex_unlock(&g->lock);
        for (unsigned i = 0; i < g->n_workers; i++)
                pthread_join(g->workers[i], NULL);
        free(g->workers);

        /* whatever is still pending: allowed (the same as the kernel does when the group closes) */
        for (struct job *j = g->pending, *n; j; j = n) {
                n = j->next;
                if (g->fan_fd >= 0)
                        answer(g, j->fd, true);
                close(j->fd);
                free(j);
        }
        for (struct guarded *x = g->guarded, *n; x; x = n) {
                n = x->next;
                close(x->root_fd);
                free(x);
        }
        if (g->fan_fd >= 0)
                close(g->fan_fd);
        if (g->stop_fd >= 0)
                close(g->stop_fd);
        pthread_cond_destroy(&g->cond);
        pthread_mutex_destroy(&g->lock);
        free(g);
}

int exec_guard_add(struct exec_guard *g, const char *container_id, pid_t pid, void *data, struct diag *d) {
        char path[64];
        if (!container_id || strlen(container_id) >= sizeof(((struct guarded *) 0)->id))
                return diag_error(d, -EINVAL, "exec guard: bad container id");
        if (pid <= 0)
                return diag_error(d, -EINVAL, "exec guard: container %.12s has no process", container_id);
        snprintf(path, sizeof(path), "/proc/%d/root", (int) pid);
        int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0) {
                int r = diag_error(d, negative_errno(), "cannot open the root of container %.12s (%s): %m",
                                   container_id, path);
                if (fd >= 0)
                        close(fd);
                return r;
        }
        struct guarded *x = calloc(1, sizeof(*x));
        if (!x) {
                close(fd);
                return -ENOMEM;
        }
        snprintf(x->id, sizeof(x->id), "%s", container_id);
        x->data = data;
        x->root_fd = fd;
        x->dev = st.st_dev;

        pthread_mutex_lock(&g->lock);
        struct guarded *old = find_dev(g, st.st_dev);
        if (old) {
                pthread_mutex_unlock(&g->lock);
                close(fd);
                free(x);
                if (!streq(old->id, container_id))
                        return diag_error(d, -EEXIST,
                                          "cannot guard container %.12s: its root filesystem is container "
                                          "%.12s's",
                                          container_id, old->id);
                return 0;
        }
        /* listed before the mark, so the first event finds it */
        x->next = g->guarded;
        g->guarded = x;
        g->st.containers++;
        pthread_mutex_unlock(&g->lock);

        if (fanotify_mark(g->fan_fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, FAN_OPEN_EXEC_PERM, fd, ".") < 0) {
                int r = diag_error(d, negative_errno(),
                                   "cannot mark the root filesystem of container %.12s: %m", container_id);
                (void) exec_guard_remove(g, container_id);
                return r;
        }
        return 0;
}

int exec_guard_remove(struct exec_guard *g, const char *container_id) {
        pthread_mutex_lock(&g->lock);
        struct guarded **p = &g->guarded, *x = NULL;
        for (; *p; p = &(*p)->next)
                if (streq((*p)->id, container_id)) {
                        x = *p;
                        *p = x->next;
                        g->st.containers--;
                        break;
                }
        pthread_mutex_unlock(&g->lock);
        if (!x)
                return -ENOENT;
        /* may fail when the mark was never set; the filesystem's end drops it anyway */
        (void) fanotify_mark(g->fan_fd, FAN_MARK_REMOVE | FAN_MARK_FILESYSTEM, FAN_OPEN_EXEC_PERM,
                             x->root_fd, ".");
        close(x->root_fd);
        free(x);
        return 0;
}

void exec_guard_get_stats(struct exec_guard *g, struct exec_guard_stats *ret) {
        pthread_mutex_lock(&g->lock);
        *ret = g->st;
        pthread_mutex_unlock(&g->lock);
}
