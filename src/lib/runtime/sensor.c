/* SPDX-License-Identifier: Apache-2.0 */
/* Loads the eBPF sensor, one hook at a time if it must: a program the verifier refuses is left out
 * (and reported) and the rest loaded again, so one syscall's handler cannot take the whole sensor down.
 * Then attaches the raw tracepoints and the syscall handlers: each to its own classic tracepoint
 * (syscalls:sys_exit_<name>) where the kernel allows it, so that the syscalls nobody watches run no
 * program; or registered in the tables of one raw sys_exit dispatcher, which runs on every syscall of
 * the host. The tracepoints skip ia32 (`int 0x80`) syscalls, which any x86-64 process (a 64-bit one as
 * well) can make, so there the dispatcher is the default and the tracepoints are for --no-ia32. (A
 * compat-only dispatcher beside the tracepoints was tried: it costs every syscall the raw tracepoint's
 * dispatch plus the tracepoints' own, more than the dispatcher alone; bench/results-sensor.md.) */

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <pthread.h>
#include <stdarg.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "runtime-internal.h"
#include "sensor.h"
#include "../../bpf/sensor.h"
#include "sensor.skel.h"

#define MAX_PROGS 128
#define MAX_HOOKS 64

struct sensor {
        struct sensor_bpf *skel;
        struct ring_buffer *rb;
        struct bpf_link *links[MAX_PROGS];
        size_t n_links;
        struct sensor_hook hooks[MAX_HOOKS];
        size_t n_hooks;
        int ncpus;
        sensor_record_fn cb;
        void *userdata;
        int cb_error;
        bool btf_ptrs;
        bool tp_syscalls;    /* handlers on per-syscall tracepoints, not behind the raw dispatcher */
        char tp_whynot[256]; /* why not, when they are not */
        char dispatch_what[384];
};

bool sensor_supported(void) {
        return true;
}

bool sensor_direct_loads(const struct sensor *s) {
        return s->btf_ptrs;
}

bool sensor_syscall_tracepoints(const struct sensor *s) {
        return s->tp_syscalls;
}

/* ---- libbpf's log, captured while loading (libbpf has one global print hook) ---- */

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static struct buf log_buf = BUF_INIT(256 * 1024);

static int capture_print(enum libbpf_print_level level, const char *fmt, va_list ap) _printf_(2, 0);
static int capture_print(enum libbpf_print_level level, const char *fmt, va_list ap) {
        if (level == LIBBPF_DEBUG)
                return 0;
        va_list copy;
        va_copy(copy, ap);
        if (buf_vprintf(&log_buf, fmt, copy) == -E2BIG) {
                /* a refused program's verifier log can be huge: keep the tail, where the verdict is */
                va_end(copy);
                va_copy(copy, ap);
                buf_reset(&log_buf);
                (void) buf_vprintf(&log_buf, fmt, copy);
        }
        va_end(copy);
        return 0;
}

/* The program libbpf names in its last "prog 'NAME': failed to load" line, and the verifier's last
 * words before it ("R2 min value is negative…", "BPF program is too large…"). */
static bool failed_prog(const char *log, char *name, size_t namelen, char *why, size_t whylen) {
        const char *p = NULL, *q = log;
        while ((q = strstr(q, "prog '"))) {
                const char *e = strchr(q + 6, '\'');
                if (e && strncmp(e, "': failed to load", 17) == 0)
                        p = q;
                q += 6;
        }
        if (!p)
                return false;
        const char *e = strchr(p + 6, '\'');
        snprintf(name, namelen, "%.*s", (int) (e - p - 6), p + 6);

        /* the log of that program: "-- BEGIN PROG LOAD LOG --" … "-- END PROG LOAD LOG --" */
        char key[96];
        snprintf(key, sizeof(key), "prog '%.60s': -- BEGIN PROG LOAD LOG --", name);
        const char *b = strstr(log, key), *end = b ? strstr(b, "-- END PROG LOAD LOG --") : NULL;
        why[0] = 0;
        if (b && end) {
                /* the last line that is not the "processed N insns" summary or a verifier state dump */
                const char *line_end = end, *best = NULL, *best_end = NULL;
                while (line_end > b) {
                        const char *ls = line_end - 1;
                        while (ls > b && ls[-1] != '\n')
                                ls--;
                        size_t n = (size_t) (line_end - ls);
                        if (n > 1 && strncmp(ls, "processed ", 10) != 0 && strncmp(ls, "libbpf:", 7) != 0 &&
                            !(ls[0] >= '0' && ls[0] <= '9')) {
                                best = ls;
                                best_end = line_end;
                                break;
                        }
                        line_end = ls;
                }
                if (best) {
                        size_t n = (size_t) (best_end - best);
                        while (n > 0 && (best[n - 1] == '\n' || best[n - 1] == ' '))
                                n--;
                        snprintf(why, whylen, "refused by the verifier: %.*s", (int) n, best);
                }
        }
        if (!why[0]) {
                const char *m = strstr(p, "failed to load: ");
                int err = m ? atoi(m + 16) : 0;
                snprintf(why, whylen, "refused by the kernel: %s", err ? strerror(-err) : "unknown error");
        }
        return true;
}

/* ---- hooks ---- */

struct fixed_hook {
        const char *prog;
        const char *tp;
        const char *what;
};

static const struct fixed_hook fixed_hooks[] = {
        {"stk_exec", "sched_process_exec", "process exec"},
        {"stk_fork", "sched_process_fork", "process fork/clone"},
        {"stk_exit", "sched_process_exit", "process exit"},
        {"stk_cgroup_mkdir", "cgroup_mkdir", "container cgroups (the kernel filter)"},
        {"stk_cgroup_rmdir", "cgroup_rmdir", "container cgroups removed"},
        {"stk_sys_exit", "sys_exit", "syscall results (dispatch to the handlers below)"},
};

static const char *what_of(enum rt_event_type t) {
        switch (t) {
        case RT_EV_EXEC: return "failed exec attempts";
        case RT_EV_SETID: return "identity change";
        case RT_EV_CAPSET: return "capability change";
        case RT_EV_OPEN: return "file open";
        case RT_EV_UNLINK: return "file removal";
        case RT_EV_RENAME: return "file rename";
        case RT_EV_CHMOD: return "file mode change";
        case RT_EV_CONNECT: return "network connect";
        case RT_EV_ACCEPT: return "network accept";
        case RT_EV_BIND: return "network bind";
        case RT_EV_LISTEN: return "network listen";
        case RT_EV_PTRACE: return "ptrace";
        case RT_EV_MOUNT: return "mount";
        case RT_EV_UMOUNT: return "umount";
        case RT_EV_UNSHARE: return "namespace unshare";
        case RT_EV_SETNS: return "namespace enter";
        case RT_EV_MODULE: return "kernel module load";
        case RT_EV_MEMFD: return "memfd_create";
        case RT_EV_BPF: return "bpf()";
        default: return "";
        }
}

static struct sensor_hook *hook_add(struct sensor *s, const char *name, const char *what) {
        for (size_t i = 0; i < s->n_hooks; i++)
                if (streq(s->hooks[i].name, name))
                        return &s->hooks[i];
        if (s->n_hooks == MAX_HOOKS)
                return NULL;
        struct sensor_hook *h = &s->hooks[s->n_hooks++];
        snprintf(h->name, sizeof(h->name), "%s", name);
        h->what = what;
        h->state = SENSOR_HOOK_ACTIVE;
        return h;
}

static void hook_fail(struct sensor_hook *h, enum sensor_hook_state st, const char *fmt, ...) _printf_(3, 4);
static void hook_fail(struct sensor_hook *h, enum sensor_hook_state st, const char *fmt, ...) {
        va_list ap;
        if (!h || h->state != SENSOR_HOOK_ACTIVE)
                return;
        h->state = st;
        va_start(ap, fmt);
        vsnprintf(h->reason, sizeof(h->reason), fmt, ap);
        va_end(ap);
}

/* ---- loading ---- */

struct refused {
        char prog[64];
        char why[256];
};

/* A syscall handler or the dispatcher in its raw tracepoint form. */
static bool raw_syscall_prog(struct bpf_program *p) {
        return bpf_program__type(p) == BPF_PROG_TYPE_RAW_TRACEPOINT &&
               (streq(bpf_program__section_name(p), "raw_tp") ||
                streq(bpf_program__name(p), "stk_sys_exit"));
}

/* Whether this architecture has a second syscall ABI the per-syscall tracepoints skip and the sensor
 * decodes (x86-64: ia32, `int 0x80`, which any 64-bit process can use too). */
static bool has_compat_abi(void) {
#if defined(__x86_64__)
        return true;
#else
        return false;
#endif
}


static int open_skel(const struct sensor_options *o, bool btf_ptrs, bool tp, const struct refused *refused,
                     size_t n_refused, struct sensor_bpf **ret) {
        struct sensor_bpf *skel = sensor_bpf__open();
        if (!skel)
                return negative_errno();
        const struct rt_cgroup_layout *l = o->layout;
        skel->rodata->cfg_include_host = o->include_host;
        skel->rodata->cfg_cgroup_v2 = l->v2;
        skel->rodata->cfg_hierarchy = l->hierarchy;
        skel->rodata->cfg_self_tgid = (uint32_t) getpid();
        skel->rodata->cfg_btf = btf_ptrs;
        skel->rodata->cfg_wakeup_bytes = o->ringbuf_bytes / 8;
        skel->rodata->cfg_repeat_ns = o->open_repeat_ns;
        if (!l->v2) {
                /* the controller's index in the kernel's css_set.subsys[], from its BTF */
                struct btf *btf = btf__load_vmlinux_btf();
                int id = -1;
                if (btf) {
                        char want[48];
                        snprintf(want, sizeof(want), "%s_cgrp_id", l->controller);
                        int tid = btf__find_by_name_kind(btf, "cgroup_subsys_id", BTF_KIND_ENUM);
                        const struct btf_type *t = tid > 0 ? btf__type_by_id(btf, tid) : NULL;
                        for (int i = 0; t && i < btf_vlen(t); i++) {
                                const struct btf_enum *e = btf_enum(t) + i;
                                if (streq(btf__name_by_offset(btf, e->name_off), want))
                                        id = e->val;
                        }
                        btf__free(btf);
                }
                if (id < 0) {
                        sensor_bpf__destroy(skel);
                        return -ENOENT;
                }
                skel->rodata->cfg_v1_subsys = (uint32_t) id;
        }
        int r = bpf_map__set_max_entries(skel->maps.events, (uint32_t) o->ringbuf_bytes);
        if (r < 0) {
                sensor_bpf__destroy(skel);
                return r;
        }
        struct bpf_program *p;
        bpf_object__for_each_program(p, skel->obj) {
                bpf_program__set_autoattach(p, false);
                if (bpf_program__type(p) == BPF_PROG_TYPE_TRACEPOINT)
                        bpf_program__set_autoload(p, tp);
                else if (raw_syscall_prog(p))
                        bpf_program__set_autoload(p, !tp);
                for (size_t i = 0; i < n_refused; i++)
                        if (streq(bpf_program__name(p), refused[i].prog))
                                bpf_program__set_autoload(p, false);
        }
        *ret = skel;
        return 0;
}

static int load(struct sensor *s, const struct sensor_options *o, struct refused *refused, size_t *n_refused,
                struct diag *d) {
        pthread_mutex_lock(&log_lock);
        libbpf_print_fn_t old = libbpf_set_print(capture_print);
        int r = 0;
        /* direct BTF loads when the kernel gives raw tracepoints the helpers for them */
        bool btf_ptrs =
                libbpf_probe_bpf_helper(BPF_PROG_TYPE_RAW_TRACEPOINT, BPF_FUNC_get_current_task_btf, NULL) >
                        0 &&
                libbpf_probe_bpf_helper(BPF_PROG_TYPE_RAW_TRACEPOINT, BPF_FUNC_task_pt_regs, NULL) > 0;
        /* per-syscall tracepoints read the arguments through bpf_task_pt_regs: direct loads only; and
         * they skip ia32 syscalls, so they are for --no-ia32 where there is such an ABI */
        bool tp = !o->raw_syscalls && (o->no_ia32 || !has_compat_abi());
        if (o->raw_syscalls)
                snprintf(s->tp_whynot, sizeof(s->tp_whynot), "asked for the raw sys_exit hook");
        else if (!tp)
                snprintf(s->tp_whynot, sizeof(s->tp_whynot),
                         "they skip 32-bit (int 0x80) syscalls, which this hook sees too (--no-ia32: the "
                         "tracepoints, cheaper for the syscalls nobody watches)");
        else if (!btf_ptrs ||
                 libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT, BPF_FUNC_get_current_task_btf, NULL) <=
                         0 ||
                 libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT, BPF_FUNC_task_pt_regs, NULL) <= 0) {
                tp = false;
                snprintf(s->tp_whynot, sizeof(s->tp_whynot),
                         "per-syscall tracepoints need bpf_get_current_task_btf and bpf_task_pt_regs, "
                         "which this kernel does not give tracepoint programs");
        }

        for (int attempt = 0; attempt < MAX_PROGS; attempt++) {
                struct sensor_bpf *skel = NULL;
                buf_reset(&log_buf);
                r = open_skel(o, btf_ptrs, tp, refused, *n_refused, &skel);
                if (r == -ENOENT) {
                        r = diag_error(d, r, "the kernel's BTF names no cgroup controller '%s'",
                                       o->layout->controller);
                        break;
                }
                if (r < 0) {
                        r = diag_error(d, r, "cannot open the eBPF sensor: %s", strerror(-r));
                        break;
                }
                r = sensor_bpf__load(skel);
                if (r == 0) {
                        s->skel = skel;
                        s->btf_ptrs = btf_ptrs;
                        s->tp_syscalls = tp;
                        break;
                }
                sensor_bpf__destroy(skel);
                if (tp) { /* refused as tracepoint programs: the raw dispatcher, and say why */
                        char name[64], why[256];
                        if (failed_prog(log_buf.data ? log_buf.data : "", name, sizeof(name), why,
                                        sizeof(why)))
                                snprintf(s->tp_whynot, sizeof(s->tp_whynot),
                                         "tracepoint program %.40s %.190s", name, why);
                        else
                                snprintf(s->tp_whynot, sizeof(s->tp_whynot),
                                         "the tracepoint programs were refused: %s", strerror(-r));
                        tp = false;
                        attempt--;
                        continue;
                }
                if (btf_ptrs) { /* refused with direct loads: everything again with probe reads */
                        btf_ptrs = false;
                        attempt--;
                        continue;
                }
                struct refused *f = &refused[*n_refused];
                if (*n_refused == MAX_PROGS || !failed_prog(log_buf.data ? log_buf.data : "", f->prog,
                                                            sizeof(f->prog), f->why, sizeof(f->why))) {
                        r = diag_error(d, r, "cannot load the eBPF sensor: %s%s", strerror(-r),
                                       r == -EPERM ? " (needs root: CAP_BPF, CAP_PERFMON)" : "");
                        break;
                }
                if (streq(f->prog, "stk_sys_exit") || streq(f->prog, "stk_cgroup_mkdir")) {
                        r = diag_error(d, -EOPNOTSUPP, "the kernel refuses the sensor's %s program: %s",
                                       f->prog, f->why);
                        break;
                }
                (*n_refused)++;
        }
        libbpf_set_print(old);
        buf_free(&log_buf);
        pthread_mutex_unlock(&log_lock);
        return r;
}

static const char *refused_why(const struct refused *refused, size_t n, const char *prog) {
        for (size_t i = 0; i < n; i++)
                if (streq(refused[i].prog, prog))
                        return refused[i].why;
        return NULL;
}

/* The tracepoint of a syscall is named after the kernel's SYSCALL_DEFINE, not always the syscall. */
static const char *tracepoint_name(const char *syscall) {
        if (streq(syscall, "umount2"))
                return "umount";
        return syscall;
}

static bool tracepoint_exists(const char *tp) {
        char path[128];
        snprintf(path, sizeof(path), "/sys/kernel/tracing/events/syscalls/%s", tp);
        if (access(path, F_OK) == 0)
                return true;
        snprintf(path, sizeof(path), "/sys/kernel/debug/tracing/events/syscalls/%s", tp);
        return access(path, F_OK) == 0;
}

/* The per-syscall tracepoints: each handler attached to syscalls:sys_exit_<name>. */
static void attach_tracepoints(struct sensor *s, const struct refused *refused, size_t n_refused) {
        for (size_t i = 0; i < rt_n_syscalls; i++) {
                const struct rt_syscall_def *sc = &rt_syscalls[i];
                char name[48], prog[64], tp[64];
                snprintf(name, sizeof(name), "sys_exit:%s", sc->name);
                snprintf(prog, sizeof(prog), "%s_tp", sc->prog);
                snprintf(tp, sizeof(tp), "sys_exit_%s", tracepoint_name(sc->name));
                if (sc->native < 0) {
                        /* an ia32-only variant (16-bit setuid …) of a syscall listed natively too, an
                         * ia32-only syscall, or one this architecture lacks (aarch64: open, rename …) */
                        bool native_too = false;
                        for (size_t k = 0; k < rt_n_syscalls && !native_too; k++)
                                native_too =
                                        rt_syscalls[k].native >= 0 && streq(rt_syscalls[k].name, sc->name);
                        if (native_too)
                                continue;
                        struct sensor_hook *h = hook_add(s, name, what_of(sc->type));
                        if (sc->compat < 0)
                                hook_fail(h, SENSOR_HOOK_UNAVAILABLE, "no such syscall on this architecture");
                        else
                                hook_fail(h, SENSOR_HOOK_UNAVAILABLE,
                                          "an ia32 syscall only, and the per-syscall tracepoints skip those");
                        continue;
                }
                struct sensor_hook *h = hook_add(s, name, what_of(sc->type));
                struct bpf_program *p = bpf_object__find_program_by_name(s->skel->obj, prog);
                const char *why = refused_why(refused, n_refused, prog);
                if (why || !p || bpf_program__fd(p) < 0) {
                        hook_fail(h, SENSOR_HOOK_FAILED, "%s", why ? why : "not loaded");
                        continue;
                }
                if (!tracepoint_exists(tp)) {
                        hook_fail(h, SENSOR_HOOK_UNAVAILABLE,
                                  "no tracepoint syscalls:%s: this kernel is built without the syscall "
                                  "(it fails with ENOSYS)",
                                  tp);
                        continue;
                }
                if (s->n_links == MAX_PROGS) {
                        hook_fail(h, SENSOR_HOOK_FAILED, "too many links");
                        continue;
                }
                struct bpf_link *l = bpf_program__attach_tracepoint(p, "syscalls", tp);
                if (!l) {
                        int r = negative_errno();
                        hook_fail(h, r == -ENOENT ? SENSOR_HOOK_UNAVAILABLE : SENSOR_HOOK_FAILED,
                                  "cannot attach to tracepoint 'syscalls:%s': %s", tp, strerror(-r));
                        continue;
                }
                s->links[s->n_links++] = l;
        }
}

/* The raw sys_exit dispatcher's tables: each handler registered under its syscall numbers. */
static void register_handlers(struct sensor *s, const struct refused *refused, size_t n_refused) {
        int native_fd = bpf_map__fd(s->skel->maps.sys_native),
            compat_fd = bpf_map__fd(s->skel->maps.sys_compat);
        for (size_t i = 0; i < rt_n_syscalls; i++) {
                const struct rt_syscall_def *sc = &rt_syscalls[i];
                char name[48];
                snprintf(name, sizeof(name), "sys_exit:%s", sc->name);
                struct sensor_hook *h = hook_add(s, name, what_of(sc->type));
                struct bpf_program *p = bpf_object__find_program_by_name(s->skel->obj, sc->prog);
                const char *why = refused_why(refused, n_refused, sc->prog);
                if (why || !p || bpf_program__fd(p) < 0) {
                        hook_fail(h, SENSOR_HOOK_FAILED, "%s", why ? why : "not loaded");
                        continue;
                }
                int fd = bpf_program__fd(p);
                if (sc->native < 0 && sc->compat < 0)
                        continue;
                if (sc->native >= 0 && sc->native < STK_SYSCALL_TABLE_MAX) {
                        uint32_t k = (uint32_t) sc->native;
                        if (bpf_map_update_elem(native_fd, &k, &fd, BPF_ANY) < 0) {
                                hook_fail(h, SENSOR_HOOK_FAILED, "cannot register the handler: %s",
                                          strerror(errno));
                                continue;
                        }
                }
                if (sc->compat >= 0 && sc->compat < STK_SYSCALL_TABLE_MAX) {
                        uint32_t k = (uint32_t) sc->compat;
                        (void) bpf_map_update_elem(compat_fd, &k, &fd, BPF_ANY); /* best effort: ia32 */
                }
        }
        /* syscalls this architecture lacks (aarch64: open, rename …) are simply not in the table */
}

static int attach_and_register(struct sensor *s, const struct refused *refused, size_t n_refused,
                               struct diag *d) {
        struct sensor_hook *dispatcher = NULL;

        for (size_t i = 0; i < ELEMENTSOF(fixed_hooks); i++) {
                const struct fixed_hook *fh = &fixed_hooks[i];
                bool is_dispatcher = streq(fh->prog, "stk_sys_exit");
                const char *name = fh->tp, *what = fh->what;
                if (is_dispatcher && s->tp_syscalls) {
                        hook_add(
                                s, "syscalls:sys_exit_*",
                                "syscall results: one tracepoint per handler below, none on other syscalls");
                        if (has_compat_abi())
                                hook_fail(hook_add(s, "sys_exit (ia32)", "32-bit syscalls (int 0x80)"),
                                          SENSOR_HOOK_UNAVAILABLE,
                                          "not watched: the per-syscall tracepoints skip them (the raw "
                                          "sys_exit hook, the default without --no-ia32, sees them)");
                        continue;
                }
                if (is_dispatcher && s->tp_whynot[0]) {
                        snprintf(s->dispatch_what, sizeof(s->dispatch_what),
                                 "%s; not per-syscall tracepoints: %s", fh->what, s->tp_whynot);
                        what = s->dispatch_what;
                }
                struct sensor_hook *h = hook_add(s, name, what);
                struct bpf_program *p = bpf_object__find_program_by_name(s->skel->obj, fh->prog);
                const char *why = refused_why(refused, n_refused, fh->prog);
                if (is_dispatcher)
                        dispatcher = h;
                if (why || !p || bpf_program__fd(p) < 0) {
                        hook_fail(h, SENSOR_HOOK_FAILED, "%s", why ? why : "not loaded");
                        continue;
                }
                struct bpf_link *l = bpf_program__attach_raw_tracepoint(p, fh->tp);
                if (!l) {
                        int r = negative_errno();
                        hook_fail(h, r == -ENOENT ? SENSOR_HOOK_UNAVAILABLE : SENSOR_HOOK_FAILED,
                                  "cannot attach to raw tracepoint '%s': %s", fh->tp, strerror(-r));
                        continue;
                }
                s->links[s->n_links++] = l;
        }
        if (dispatcher && dispatcher->state != SENSOR_HOOK_ACTIVE)
                return diag_error(d, -EOPNOTSUPP, "cannot attach the sensor's sys_exit dispatcher: %s",
                                  dispatcher->reason);
        if (s->hooks[3].state != SENSOR_HOOK_ACTIVE)
                return diag_error(d, -EOPNOTSUPP, "cannot follow cgroup creation: %s", s->hooks[3].reason);
        if (!s->tp_syscalls && has_compat_abi())
                hook_add(s, "sys_exit (ia32)", "32-bit syscalls (int 0x80), through the dispatcher's ia32 table");

        if (s->tp_syscalls)
                attach_tracepoints(s, refused, n_refused);
        else
                register_handlers(s, refused, n_refused);
        return 0;
}

static int on_sample(void *ctx, void *data, size_t size) {
        struct sensor *s = ctx;
        int r = s->cb(s->userdata, data, size);
        if (r < 0) {
                s->cb_error = r;
                return r;
        }
        return 0;
}

int sensor_open(const struct sensor_options *o, struct diag *d, struct sensor **ret) {
        _cleanup_(sensor_freep) struct sensor *s = NULL;
        struct sensor_options opts = *o;
        struct refused refused[MAX_PROGS];
        size_t n_refused = 0;
        int r;

        if (!o->layout)
                return diag_error(d, -EINVAL, "the sensor needs the cgroup layout");
        if (opts.ringbuf_bytes == 0)
                opts.ringbuf_bytes = SENSOR_RINGBUF_DEFAULT;
        const char *mode = getenv("STOCKADE_SENSOR_SYSCALLS");
        if (mode && streq(mode, "raw"))
                opts.raw_syscalls = true;
        else if (mode && streq(mode, "tracepoints")) /* as with --no-ia32 */
                opts.no_ia32 = true;
        else if (mode && *mode)
                return diag_error(d, -EINVAL, "STOCKADE_SENSOR_SYSCALLS is '%s', not 'raw' or 'tracepoints'",
                                  mode);
        if (opts.ringbuf_bytes < (64u << 10) || (opts.ringbuf_bytes & (opts.ringbuf_bytes - 1)) ||
            opts.ringbuf_bytes > (1u << 30))
                return diag_error(d, -EINVAL,
                                  "ring buffer size %zu is not a power of two between 64K and 1G",
                                  opts.ringbuf_bytes);
        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->ncpus = libbpf_num_possible_cpus();
        if (s->ncpus <= 0)
                return diag_error(d, -EIO, "cannot count the possible CPUs");
        /* kernels before 5.11 charge BPF memory to RLIMIT_MEMLOCK */
        struct rlimit rl = {RLIM_INFINITY, RLIM_INFINITY};
        (void) setrlimit(RLIMIT_MEMLOCK, &rl);

        if ((r = load(s, &opts, refused, &n_refused, d)) < 0)
                return r;
        if ((r = attach_and_register(s, refused, n_refused, d)) < 0)
                return r;
        s->rb = ring_buffer__new(bpf_map__fd(s->skel->maps.events), on_sample, s, NULL);
        if (!s->rb)
                return diag_error(d, negative_errno(), "cannot map the sensor's ring buffer: %s",
                                  strerror(errno));
        *ret = TAKE_PTR(s);
        return 0;
}

void sensor_free(struct sensor *s) {
        if (!s)
                return;
        ring_buffer__free(s->rb);
        for (size_t i = 0; i < s->n_links; i++)
                bpf_link__destroy(s->links[i]);
        sensor_bpf__destroy(s->skel);
        free(s);
}

size_t sensor_hooks(const struct sensor *s, const struct sensor_hook **ret) {
        *ret = s->hooks;
        return s->n_hooks;
}

size_t sensor_hooks_active(const struct sensor *s) {
        size_t n = 0;
        for (size_t i = 0; i < s->n_hooks; i++)
                n += s->hooks[i].state == SENSOR_HOOK_ACTIVE;
        return n;
}

int sensor_fd(const struct sensor *s) {
        return ring_buffer__epoll_fd(s->rb);
}

int sensor_consume(struct sensor *s, sensor_record_fn cb, void *userdata) {
        s->cb = cb;
        s->userdata = userdata;
        s->cb_error = 0;
        int n = ring_buffer__consume(s->rb);
        if (s->cb_error < 0)
                return s->cb_error;
        return n;
}

int sensor_watch_cgroup(struct sensor *s, uint64_t cgroup_id) {
        struct stk_cgroup_info info = {.flags = STK_CG_CONTAINER | STK_CG_USER};
        if (bpf_map_update_elem(bpf_map__fd(s->skel->maps.watched_cgroups), &cgroup_id, &info, BPF_ANY) < 0)
                return negative_errno();
        return 0;
}

int sensor_unwatch_cgroup(struct sensor *s, uint64_t cgroup_id) {
        if (bpf_map_delete_elem(bpf_map__fd(s->skel->maps.watched_cgroups), &cgroup_id) < 0)
                return negative_errno();
        return 0;
}

size_t sensor_watched_cgroups(struct sensor *s) {
        int fd = bpf_map__fd(s->skel->maps.watched_cgroups);
        uint64_t key, next;
        size_t n = 0;
        void *prev = NULL;
        while (n <= STK_WATCHED_CGROUPS_MAX && bpf_map_get_next_key(fd, prev, &next) == 0) {
                key = next;
                prev = &key;
                n++;
        }
        return n;
}

int sensor_read_counters(struct sensor *s, struct sensor_counters *ret) {
        _cleanup_free_ struct stk_counters *per = calloc((size_t) s->ncpus, sizeof(*per));
        uint32_t zero = 0;
        if (!per)
                return -ENOMEM;
        if (bpf_map_lookup_elem(bpf_map__fd(s->skel->maps.counters), &zero, per) < 0)
                return negative_errno();
        memset(ret, 0, sizeof(*ret));
        for (int c = 0; c < s->ncpus; c++) {
                for (int t = 0; t < STK_EV_MAX; t++) {
                        ret->events[t] += per[c].events[t];
                        ret->drops[t] += per[c].drops[t];
                }
                ret->errors += per[c].errors;
                ret->cgroup_full += per[c].cgroup_full;
                ret->open_repeats += per[c].open_repeats;
        }
        for (int t = 0; t < STK_EV_MAX; t++) {
                ret->events_total += ret->events[t];
                ret->drops_total += ret->drops[t];
        }
        uint32_t seen[MAX_PROGS];
        size_t n_seen = 0;
        for (size_t i = 0; i < s->n_links; i++) {
                struct bpf_prog_info info = {};
                uint32_t len = sizeof(info);
                int fd = bpf_link__fd(s->links[i]);
                struct bpf_link_info li = {};
                uint32_t lilen = sizeof(li);
                if (bpf_obj_get_info_by_fd(fd, &li, &lilen) < 0)
                        continue;
                bool dup = false;
                for (size_t k = 0; k < n_seen && !dup; k++)
                        dup = seen[k] == li.prog_id;
                if (dup)
                        continue;
                seen[n_seen++] = li.prog_id;
                int pfd = bpf_prog_get_fd_by_id(li.prog_id);
                if (pfd < 0)
                        continue;
                if (bpf_obj_get_info_by_fd(pfd, &info, &len) == 0)
                        ret->missed += info.recursion_misses;
                close(pfd);
        }
        return 0;
}
