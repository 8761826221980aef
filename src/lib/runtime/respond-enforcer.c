/* SPDX-License-Identifier: Apache-2.0 */
/* The enforcer's loader: loads src/bpf/enforce.bpf.c (skeleton), attaches the exec hook at once and the
 * connect programs per cgroup on demand (one bpf_link per cgroup and program), and keeps the maps. */

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "respond.h"
#include "runtime-internal.h"
#include "../../bpf/enforce.h"
#include "enforce.skel.h"

struct cgroup_links {
        struct bpf_link *l4, *l6;
};

struct enforcer {
        struct enforce_bpf *skel;
        struct bpf_link *exec_link;
        struct ring_buffer *rb;
        pthread_mutex_t lock; /* links (the maps are safe to touch from any thread) */
        struct u64map links;  /* cgroup id → struct cgroup_links */
        respond_event_fn cb;
        void *userdata;
        int ncpus;
};

bool enforcer_supported(void) {
        return true;
}

static uint64_t kdev_of(uint64_t dev) {
        return ((uint64_t) major(dev) << 20) | minor(dev);
}

static uint64_t udev_of(uint64_t kdev) {
        return makedev((unsigned) (kdev >> 20), (unsigned) (kdev & 0xfffff));
}

static int handle_event(void *ctx, void *data, size_t len) {
        struct enforcer *e = ctx;
        const struct enf_event *k = data;
        if (len < sizeof(*k) || !e->cb)
                return 0;
        struct respond_event ev = {
                .kind = k->kind == ENF_EV_EXEC_KILLED ? RESPOND_EV_EXEC_KILLED : RESPOND_EV_CONNECT_DENIED,
                .cgroup_id = k->cgid,
                .time_ns = k->time_ns,
                .pid = k->pid,
                .tid = k->tid,
                .dev = k->kind == ENF_EV_EXEC_KILLED ? udev_of(k->dev) : 0,
                .ino = k->ino,
                .family = k->family == 4   ? AF_INET
                          : k->family == 6 ? AF_INET6
                                           : 0,
                .port = k->port,
        };
        memcpy(ev.comm, k->comm, sizeof(ev.comm));
        ev.comm[sizeof(ev.comm) - 1] = 0;
        memcpy(ev.addr, k->addr, sizeof(ev.addr));
        e->cb(e->userdata, &ev);
        return 0;
}

static int quiet_print(enum libbpf_print_level level, const char *fmt, va_list ap) {
        return 0;
}

int enforcer_open(const struct enforcer_options *o, struct diag *d, struct enforcer **ret) {
        size_t rb_bytes = o && o->ringbuf_bytes ? o->ringbuf_bytes : 256u << 10;
        if (rb_bytes < 4096 || (rb_bytes & (rb_bytes - 1)))
                return diag_error(d, -EINVAL,
                                  "enforcer ring buffer of %zu bytes: a power of two ≥ 4096 needed",
                                  rb_bytes);

        struct enforcer *e = calloc(1, sizeof(*e));
        if (!e)
                return -ENOMEM;
        pthread_mutex_init(&e->lock, NULL);
        e->ncpus = libbpf_num_possible_cpus();

        /* kernels before 5.11 charge BPF memory to RLIMIT_MEMLOCK */
        struct rlimit rl = {RLIM_INFINITY, RLIM_INFINITY};
        (void) setrlimit(RLIMIT_MEMLOCK, &rl);

        libbpf_print_fn_t old = libbpf_set_print(quiet_print);
        int r = 0;
        e->skel = enforce_bpf__open();
        if (!e->skel) {
                r = diag_error(d, negative_errno(), "cannot open the enforcer's BPF object: %m");
                goto fail;
        }
        (void) bpf_map__set_max_entries(e->skel->maps.enf_events, (uint32_t) rb_bytes);
        r = enforce_bpf__load(e->skel);
        if (r < 0) {
                errno = -r;
                r = diag_error(d, r, "cannot load the enforcer's BPF programs: %m%s",
                               r == -EPERM ? " (root needed)" : "");
                goto fail;
        }
        e->exec_link = bpf_program__attach_raw_tracepoint(e->skel->progs.enf_exec, "sched_process_exec");
        if (!e->exec_link) {
                r = diag_error(d, negative_errno(), "cannot attach the enforcer to sched_process_exec: %m");
                goto fail;
        }
        e->rb = ring_buffer__new(bpf_map__fd(e->skel->maps.enf_events), handle_event, e, NULL);
        if (!e->rb) {
                r = diag_error(d, negative_errno(), "cannot map the enforcer's ring buffer: %m");
                goto fail;
        }
        libbpf_set_print(old);
        *ret = e;
        return 0;
fail:
        libbpf_set_print(old);
        enforcer_free(e);
        return r;
}

void enforcer_free(struct enforcer *e) {
        if (!e)
                return;
        uint64_t k;
        void *v;
        for (size_t i = 0; u64map_next(&e->links, &i, &k, &v);) {
                struct cgroup_links *cl = v;
                bpf_link__destroy(cl->l4);
                bpf_link__destroy(cl->l6);
                free(cl);
        }
        u64map_free(&e->links);
        ring_buffer__free(e->rb);
        bpf_link__destroy(e->exec_link);
        enforce_bpf__destroy(e->skel);
        pthread_mutex_destroy(&e->lock);
        free(e);
}

/* ---- kill on exec ---- */

int enforcer_kill_exec_add(struct enforcer *e, uint64_t cgroup_id, uint64_t dev, uint64_t ino) {
        struct enf_kill_key k = {.cgid = cgroup_id, .dev = kdev_of(dev), .ino = ino};
        uint32_t one = 1;
        if (bpf_map_update_elem(bpf_map__fd(e->skel->maps.kill_map), &k, &one, BPF_ANY) < 0)
                return negative_errno();
        return 0;
}

int enforcer_kill_exec_remove(struct enforcer *e, uint64_t cgroup_id, uint64_t dev, uint64_t ino) {
        struct enf_kill_key k = {.cgid = cgroup_id, .dev = kdev_of(dev), .ino = ino};
        if (bpf_map_delete_elem(bpf_map__fd(e->skel->maps.kill_map), &k) < 0)
                return negative_errno();
        return 0;
}

int enforcer_kill_exec_add_path(struct enforcer *e, uint64_t cgroup_id, const char *path) {
        struct stat st;
        if (stat(path, &st) < 0)
                return negative_errno();
        if (!S_ISREG(st.st_mode))
                return -EINVAL;
        return enforcer_kill_exec_add(e, cgroup_id, st.st_dev, st.st_ino);
}

int enforcer_kill_exec_clear(struct enforcer *e, uint64_t cgroup_id) {
        int fd = bpf_map__fd(e->skel->maps.kill_map);
        struct enf_kill_key cur, next, *prev = NULL;
        int n = 0;
        /* collect first: deleting while iterating restarts the walk */
        struct enf_kill_key *del = NULL;
        size_t n_del = 0, cap = 0;
        while (bpf_map_get_next_key(fd, prev, &next) == 0) {
                if (next.cgid == cgroup_id) {
                        if (n_del == cap) {
                                size_t nc = cap ? cap * 2 : 16;
                                struct enf_kill_key *nd = realloc(del, nc * sizeof(*nd));
                                if (!nd) {
                                        free(del);
                                        return -ENOMEM;
                                }
                                del = nd;
                                cap = nc;
                        }
                        del[n_del++] = next;
                }
                cur = next;
                prev = &cur;
        }
        for (size_t i = 0; i < n_del; i++)
                if (bpf_map_delete_elem(fd, &del[i]) == 0)
                        n++;
        free(del);
        return n;
}

/* ---- connect ---- */

static int set_cfg(struct enforcer *e, uint64_t cgroup_id, enum respond_verdict def) {
        if (def != RESPOND_ALLOW && def != RESPOND_DENY)
                return -EINVAL;
        struct enf_cgroup_cfg cfg = {.def = def == RESPOND_DENY ? ENF_DENY : ENF_ALLOW};
        if (bpf_map_update_elem(bpf_map__fd(e->skel->maps.cgroup_cfg), &cgroup_id, &cfg, BPF_ANY) < 0)
                return negative_errno();
        return 0;
}

int enforcer_connect_attach(struct enforcer *e, const char *cgroup_path, enum respond_verdict def,
                            uint64_t *ret_cgroup_id) {
        struct stat st;
        _cleanup_close_ int fd = open(cgroup_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) < 0)
                return negative_errno();
        uint64_t id = st.st_ino; /* a cgroup v2 directory's inode is its cgroup id */

        /* the configuration first: the programs must find it from their first run */
        int r = set_cfg(e, id, def);
        if (r < 0)
                return r;

        pthread_mutex_lock(&e->lock);
        if (!u64map_get(&e->links, id)) {
                struct cgroup_links *cl = calloc(1, sizeof(*cl));
                if (!cl)
                        r = -ENOMEM;
                if (cl) {
                        cl->l4 = bpf_program__attach_cgroup(e->skel->progs.enf_connect4, fd);
                        if (!cl->l4)
                                r = negative_errno();
                }
                if (cl && cl->l4) {
                        cl->l6 = bpf_program__attach_cgroup(e->skel->progs.enf_connect6, fd);
                        if (!cl->l6)
                                r = negative_errno();
                }
                if (r == 0)
                        r = u64map_put(&e->links, id, cl);
                if (r < 0 && cl) {
                        bpf_link__destroy(cl->l4);
                        bpf_link__destroy(cl->l6);
                        free(cl);
                }
        }
        pthread_mutex_unlock(&e->lock);
        if (r < 0) {
                (void) bpf_map_delete_elem(bpf_map__fd(e->skel->maps.cgroup_cfg), &id);
                return r;
        }
        if (ret_cgroup_id)
                *ret_cgroup_id = id;
        return 0;
}

int enforcer_connect_set_default(struct enforcer *e, uint64_t cgroup_id, enum respond_verdict def) {
        pthread_mutex_lock(&e->lock);
        bool attached = u64map_get(&e->links, cgroup_id);
        pthread_mutex_unlock(&e->lock);
        if (!attached)
                return -ENOENT;
        return set_cfg(e, cgroup_id, def);
}

static void rule_key(uint64_t cgroup_id, const struct respond_rule *r, struct enf_rule_key *k) {
        memset(k, 0, sizeof(*k));
        k->cgid_hi = (uint32_t) (cgroup_id >> 32);
        k->cgid_lo = (uint32_t) cgroup_id;
        k->port = htons(r->port);
        k->family = r->family == AF_INET ? 4 : 6;
        unsigned bytes = r->family == AF_INET ? 4 : 16;
        memcpy(k->addr, r->addr, bytes);
        /* clear the bits beyond the prefix (the trie ignores them, but equal keys make removal work) */
        for (unsigned i = 0; i < 16; i++) {
                unsigned lo = i * 8;
                if (lo >= r->prefix_len)
                        k->addr[i] = 0;
                else if (r->prefix_len - lo < 8)
                        k->addr[i] &= (uint8_t) (0xff00u >> (r->prefix_len - lo));
        }
        k->prefixlen = ENF_RULE_FIXED_BITS + r->prefix_len;
}

static int rule_check(const struct respond_rule *r) {
        if (r->family != AF_INET && r->family != AF_INET6)
                return -EAFNOSUPPORT;
        if (r->prefix_len > (r->family == AF_INET ? 32u : 128u))
                return -EINVAL;
        if (r->verdict != RESPOND_ALLOW && r->verdict != RESPOND_DENY)
                return -EINVAL;
        return 0;
}

static int rules_clear(struct enforcer *e, uint64_t cgroup_id) {
        int fd = bpf_map__fd(e->skel->maps.rules);
        struct enf_rule_key cur, next, *prev = NULL;
        struct enf_rule_key *del = NULL;
        size_t n_del = 0, cap = 0;
        while (bpf_map_get_next_key(fd, prev, &next) == 0) {
                if (next.cgid_hi == (uint32_t) (cgroup_id >> 32) && next.cgid_lo == (uint32_t) cgroup_id) {
                        if (n_del == cap) {
                                size_t nc = cap ? cap * 2 : 16;
                                struct enf_rule_key *nd = realloc(del, nc * sizeof(*nd));
                                if (!nd) {
                                        free(del);
                                        return -ENOMEM;
                                }
                                del = nd;
                                cap = nc;
                        }
                        del[n_del++] = next;
                }
                cur = next;
                prev = &cur;
        }
        for (size_t i = 0; i < n_del; i++)
                (void) bpf_map_delete_elem(fd, &del[i]);
        free(del);
        return (int) n_del;
}

int enforcer_connect_detach(struct enforcer *e, uint64_t cgroup_id) {
        pthread_mutex_lock(&e->lock);
        struct cgroup_links *cl = u64map_remove(&e->links, cgroup_id);
        pthread_mutex_unlock(&e->lock);
        if (!cl)
                return -ENOENT;
        bpf_link__destroy(cl->l4);
        bpf_link__destroy(cl->l6);
        free(cl);
        (void) bpf_map_delete_elem(bpf_map__fd(e->skel->maps.cgroup_cfg), &cgroup_id);
        (void) rules_clear(e, cgroup_id);
        return 0;
}

int enforcer_connect_rule_add(struct enforcer *e, uint64_t cgroup_id, const struct respond_rule *r) {
        int err = rule_check(r);
        if (err < 0)
                return err;
        struct enf_rule_key k;
        struct enf_rule_val v = {.verdict = r->verdict == RESPOND_DENY ? ENF_DENY : ENF_ALLOW};
        rule_key(cgroup_id, r, &k);
        if (bpf_map_update_elem(bpf_map__fd(e->skel->maps.rules), &k, &v, BPF_ANY) < 0)
                return negative_errno();
        return 0;
}

int enforcer_connect_rule_remove(struct enforcer *e, uint64_t cgroup_id, const struct respond_rule *r) {
        int err = rule_check(r);
        if (err < 0)
                return err;
        struct enf_rule_key k;
        rule_key(cgroup_id, r, &k);
        if (bpf_map_delete_elem(bpf_map__fd(e->skel->maps.rules), &k) < 0)
                return negative_errno();
        return 0;
}

/* ---- reports ---- */

int enforcer_fd(const struct enforcer *e) {
        return ring_buffer__epoll_fd(e->rb);
}

int enforcer_consume(struct enforcer *e, respond_event_fn cb, void *userdata) {
        e->cb = cb;
        e->userdata = userdata;
        int n = ring_buffer__consume(e->rb);
        e->cb = NULL;
        return n;
}

int enforcer_read_counters(struct enforcer *e, struct respond_counters *ret) {
        memset(ret, 0, sizeof(*ret));
        if (e->ncpus <= 0)
                return -EIO;
        struct enf_counters *per = calloc((size_t) e->ncpus, sizeof(*per));
        if (!per)
                return -ENOMEM;
        uint32_t zero = 0;
        if (bpf_map_lookup_elem(bpf_map__fd(e->skel->maps.enf_counters), &zero, per) < 0) {
                int r = negative_errno();
                free(per);
                return r;
        }
        for (int i = 0; i < e->ncpus; i++) {
                ret->exec_kills += per[i].c[ENF_C_EXEC_KILLS];
                ret->kill_failures += per[i].c[ENF_C_KILL_FAILURES];
                ret->connect_denied += per[i].c[ENF_C_CONNECT_DENIED];
                ret->connect_checked += per[i].c[ENF_C_CONNECT_CHECKED];
                ret->events_dropped += per[i].c[ENF_C_DROPPED];
        }
        free(per);
        return 0;
}
