/* SPDX-License-Identifier: Apache-2.0 */
/* The capture's loader (capture.h): loads src/bpf/netcap.bpf.c, attaches its two cgroup_skb programs to
 * a container's cgroup, and drains the ring buffer. */

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "netpol/capture.h"
#include "runtime/respond.h"
#include "../../bpf/netcap.h"
#include "netcap.skel.h"

struct np_capture {
        struct netcap_bpf *skel;
        struct ring_buffer *rb;
        np_capture_fn fn;
        void *userdata;
        int ncpus;
};

bool np_capture_supported(void) {
        return true;
}

static int on_record(void *ctx, void *data, size_t len) {
        struct np_capture *c = ctx;
        if (len >= sizeof(struct nc_event) && c->fn)
                c->fn(c->userdata, data);
        return 0;
}

static int quiet_print(enum libbpf_print_level level, const char *fmt, va_list ap) {
        return 0;
}

int np_capture_open(struct diag *d, struct np_capture **ret) {
        _cleanup_free_ struct np_capture *c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->ncpus = libbpf_num_possible_cpus();
        libbpf_print_fn_t old = libbpf_set_print(quiet_print);
        int r = 0;
        c->skel = netcap_bpf__open_and_load();
        if (!c->skel)
                r = diag_error(d, negative_errno(), "cannot load the network capture's BPF programs: %m");
        else if (!(c->rb = ring_buffer__new(bpf_map__fd(c->skel->maps.nc_events), on_record, c, NULL)))
                r = diag_error(d, negative_errno(), "cannot map the network capture's ring buffer: %m");
        libbpf_set_print(old);
        if (r < 0) {
                ring_buffer__free(c->rb);
                netcap_bpf__destroy(c->skel);
                return r;
        }
        *ret = TAKE_PTR(c);
        return 0;
}

void np_capture_free(struct np_capture *c) {
        if (!c)
                return;
        ring_buffer__free(c->rb);
        netcap_bpf__destroy(c->skel);
        free(c);
}

int np_capture_attach(struct np_capture *c, uint32_t pid, struct np_capture_att *ret) {
        char dir[4200];
        struct stat st;
        *ret = (struct np_capture_att){};
        int r = respond_cgroup2_path((pid_t) pid, dir, sizeof(dir)); /* also on a hybrid v1/v2 host */
        if (r < 0)
                return r;
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) < 0)
                return negative_errno();
        ret->cgroup_id = st.st_ino; /* a cgroup v2 directory's inode is its id */
        ret->egress = bpf_program__attach_cgroup(c->skel->progs.nc_egress, fd);
        if (!ret->egress)
                return negative_errno();
        ret->ingress = bpf_program__attach_cgroup(c->skel->progs.nc_ingress, fd);
        if (!ret->ingress) {
                r = negative_errno();
                np_capture_detach(ret);
                return r;
        }
        return 0;
}

void np_capture_detach(struct np_capture_att *a) {
        bpf_link__destroy(a->egress);
        bpf_link__destroy(a->ingress);
        *a = (struct np_capture_att){};
}

int np_capture_drain(struct np_capture *c, np_capture_fn fn, void *userdata) {
        c->fn = fn;
        c->userdata = userdata;
        int r = ring_buffer__consume(c->rb);
        c->fn = NULL;
        return r;
}

void np_capture_counters(struct np_capture *c, uint64_t *captured, uint64_t *lost) {
        _cleanup_free_ struct nc_counters *per = calloc((size_t) MAX(c->ncpus, 1), sizeof(*per));
        uint32_t zero = 0;
        *captured = *lost = 0;
        if (!per || bpf_map_lookup_elem(bpf_map__fd(c->skel->maps.nc_counters), &zero, per) < 0)
                return;
        for (int i = 0; i < c->ncpus; i++) {
                *captured += per[i].captured;
                *lost += per[i].ring_full;
        }
}
