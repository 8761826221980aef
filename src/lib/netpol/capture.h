/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The capture that feeds protocol identification (docs/network.md): src/bpf/netcap.bpf.c attached to
 * each container's cgroup (cgroup v2, egress and ingress) hands out the first payload of each direction
 * of every TCP connection and the DNS datagrams. One owner thread (the netpol engine's). */

#include <stdbool.h>
#include <stdint.h>

#include "core/diag.h"

struct bpf_link;
struct nc_event;
struct np_capture;

/* What a container's attachment holds; np_capture_detach() releases it. */
struct np_capture_att {
        struct bpf_link *egress, *ingress;
        uint64_t cgroup_id;
};

bool np_capture_supported(void);
int np_capture_open(struct diag *d, struct np_capture **ret);
void np_capture_free(struct np_capture *c);

/* Attaches to the cgroup (v2) of process pid. */
int np_capture_attach(struct np_capture *c, uint32_t pid, struct np_capture_att *ret);
void np_capture_detach(struct np_capture_att *a);

/* Hands every waiting record to fn; returns how many, or a negative errno. */
typedef void (*np_capture_fn)(void *userdata, const struct nc_event *ev);
int np_capture_drain(struct np_capture *c, np_capture_fn fn, void *userdata);
/* Records written and records lost (ring full) so far. */
void np_capture_counters(struct np_capture *c, uint64_t *captured, uint64_t *lost);
