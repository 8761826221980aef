/* SPDX-License-Identifier: Apache-2.0 */
/* The enforcer in a build without eBPF support: enforcer_open() fails and says why; nothing else can be
 * reached without an enforcer. */

#include "respond.h"

bool enforcer_supported(void) {
        return false;
}

int enforcer_open(const struct enforcer_options *o, struct diag *d, struct enforcer **ret) {
        return diag_error(
                d, -EOPNOTSUPP,
                "this stockade was built without the eBPF enforcer (libbpf-dev, bpftool, clang and "
                "/sys/kernel/btf/vmlinux are needed at build time)");
}

void enforcer_free(struct enforcer *e) {
}

int enforcer_kill_exec_add(struct enforcer *e, uint64_t cgroup_id, uint64_t dev, uint64_t ino) {
        return -EOPNOTSUPP;
}

int enforcer_kill_exec_remove(struct enforcer *e, uint64_t cgroup_id, uint64_t dev, uint64_t ino) {
        return -EOPNOTSUPP;
}

int enforcer_kill_exec_add_path(struct enforcer *e, uint64_t cgroup_id, const char *path) {
        return -EOPNOTSUPP;
}

int enforcer_kill_exec_clear(struct enforcer *e, uint64_t cgroup_id) {
        return -EOPNOTSUPP;
}

int enforcer_connect_attach(struct enforcer *e, const char *cgroup_path, enum respond_verdict def,
                            uint64_t *ret_cgroup_id) {
        return -EOPNOTSUPP;
}

int enforcer_connect_detach(struct enforcer *e, uint64_t cgroup_id) {
        return -EOPNOTSUPP;
}

int enforcer_connect_set_default(struct enforcer *e, uint64_t cgroup_id, enum respond_verdict def) {
        return -EOPNOTSUPP;
}

int enforcer_connect_rule_add(struct enforcer *e, uint64_t cgroup_id, const struct respond_rule *r) {
        return -EOPNOTSUPP;
}

int enforcer_connect_rule_remove(struct enforcer *e, uint64_t cgroup_id, const struct respond_rule *r) {
        return -EOPNOTSUPP;
}

int enforcer_fd(const struct enforcer *e) {
        return -EOPNOTSUPP;
}

int enforcer_consume(struct enforcer *e, respond_event_fn cb, void *userdata) {
        return -EOPNOTSUPP;
}

int enforcer_read_counters(struct enforcer *e, struct respond_counters *ret) {
        return -EOPNOTSUPP;
}
