/* SPDX-License-Identifier: GPL-2.0-only OR Apache-2.0 */
#pragma once

/* The network capture's records (netcap.bpf.c → src/lib/netpol/netpol-capture.c): the first payload of
 * each direction of a TCP connection, and the DNS datagrams (port 53, a few per socket and direction)
 * of the container cgroups it is attached to. Addresses in network order, ports in host order. */

#define NC_PAYLOAD_MAX 1024 /* payload kept: at most NC_PAYLOAD_MAX - 1 bytes (a power of two) */
#define NC_DNS_MAX     8    /* DNS datagrams kept per socket and direction */

struct nc_event {
        __u64 cgroup_id;
        __u64 time_ns;
        __u8 family; /* 4 or 6 (from the packet: a dual-stack socket can carry IPv4) */
        __u8 proto;  /* IPPROTO_TCP or IPPROTO_UDP */
        __u8 egress; /* 1: leaving the container, 0: arriving */
        __u8 pad;
        __u16 sport, dport;
        __u8 saddr[16], daddr[16];
        __u32 len;      /* bytes in data */
        __u32 wire_len; /* payload bytes in the packet */
        __u8 data[NC_PAYLOAD_MAX];
};

struct nc_counters {
        __u64 captured;  /* records written */
        __u64 ring_full; /* records lost: the ring buffer was full */
};
