/* SPDX-License-Identifier: Apache-2.0 */
/* Built without BPF (libbpf, bpftool or clang missing at build time): no capture. */

#include <errno.h>

#include "netpol/capture.h"

bool np_capture_supported(void) {
        return false;
}

int np_capture_open(struct diag *d, struct np_capture **ret) {
        return diag_error(d, -EOPNOTSUPP, "this stockade was built without eBPF support");
}

void np_capture_free(struct np_capture *c) {
}

int np_capture_attach(struct np_capture *c, uint32_t pid, struct np_capture_att *ret) {
        return -EOPNOTSUPP;
}

void np_capture_detach(struct np_capture_att *a) {
}

int np_capture_drain(struct np_capture *c, np_capture_fn fn, void *userdata) {
        return 0;
}

void np_capture_counters(struct np_capture *c, uint64_t *captured, uint64_t *lost) {
        *captured = *lost = 0;
}
