/* SPDX-License-Identifier: Apache-2.0 */
/* The sensor in a build without eBPF support (libbpf, bpftool, clang or kernel BTF were missing when
 * it was configured): everything fails with -EOPNOTSUPP and says why. */

#include "sensor.h"

bool sensor_supported(void) {
        return false;
}

int sensor_open(const struct sensor_options *o, struct diag *d, struct sensor **ret) {
        return diag_error(d, -EOPNOTSUPP,
                          "this stockade was built without the eBPF sensor (libbpf-dev, bpftool, clang and "
                          "/sys/kernel/btf/vmlinux are needed at build time)");
}

bool sensor_direct_loads(const struct sensor *s) {
        return false;
}

void sensor_free(struct sensor *s) {
}

size_t sensor_hooks(const struct sensor *s, const struct sensor_hook **ret) {
        *ret = NULL;
        return 0;
}

size_t sensor_hooks_active(const struct sensor *s) {
        return 0;
}

int sensor_fd(const struct sensor *s) {
        return -1;
}

int sensor_consume(struct sensor *s, sensor_record_fn cb, void *userdata) {
        return -EOPNOTSUPP;
}

int sensor_watch_cgroup(struct sensor *s, uint64_t cgroup_id) {
        return -EOPNOTSUPP;
}

int sensor_unwatch_cgroup(struct sensor *s, uint64_t cgroup_id) {
        return -EOPNOTSUPP;
}

size_t sensor_watched_cgroups(struct sensor *s) {
        return 0;
}

int sensor_read_counters(struct sensor *s, struct sensor_counters *ret) {
        return -EOPNOTSUPP;
}
