// SPDX-License-Identifier: GPL-2.0-only OR Apache-2.0
/* The network capture for protocol identification (docs/network.md): cgroup_skb programs attached to
 * each container's cgroup (egress and ingress) that hand user space the first payload of each direction
 * of every TCP connection, and DNS datagrams, through a ring buffer. Per-socket state lives in socket
 * local storage, so after a connection's first bytes each further packet costs one lookup and a test.
 * The programs never drop anything: they return 1 (pass) on every path. */

#include "vmlinux.h"

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "netcap.h"

char LICENSE[] SEC("license") = "GPL";

#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17

struct nc_sock {
        __u8 out_done, in_done; /* TCP: the first payload of that direction was handed out */
        __u8 dns_out, dns_in;   /* UDP: DNS datagrams handed out */
};

struct {
        __uint(type, BPF_MAP_TYPE_SK_STORAGE);
        __uint(map_flags, BPF_F_NO_PREALLOC);
        __type(key, int);
        __type(value, struct nc_sock);
} nc_socks SEC(".maps");

struct {
        __uint(type, BPF_MAP_TYPE_RINGBUF);
        __uint(max_entries, 1 << 20);
} nc_events SEC(".maps");

struct {
        __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
        __uint(max_entries, 1);
        __type(key, __u32);
        __type(value, struct nc_counters);
} nc_counters SEC(".maps");

static __always_inline int handle(struct __sk_buff *skb, bool egress) {
        struct bpf_sock *sk = skb->sk;
        if (!sk)
                return 1;
        sk = bpf_sk_fullsock(sk);
        if (!sk || (sk->protocol != IPPROTO_TCP_ && sk->protocol != IPPROTO_UDP_))
                return 1;
        struct nc_sock *st = bpf_sk_storage_get(&nc_socks, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
        if (!st)
                return 1;
        bool tcp = sk->protocol == IPPROTO_TCP_;
        if (tcp && (egress ? st->out_done : st->in_done))
                return 1; /* the usual case: a connection already seen */

        /* the packet starts at its network header */
        __u8 vhl;
        if (bpf_skb_load_bytes(skb, 0, &vhl, 1) < 0)
                return 1;
        __u8 family = vhl >> 4, l4proto;
        __u32 l4;
        __u8 saddr[16] = {}, daddr[16] = {};
        if (family == 4) {
                __u16 frag;
                l4 = (vhl & 0xf) * 4;
                if (l4 < 20 || bpf_skb_load_bytes(skb, 9, &l4proto, 1) < 0 ||
                    bpf_skb_load_bytes(skb, 6, &frag, 2) < 0 || (bpf_ntohs(frag) & 0x1fff) ||
                    bpf_skb_load_bytes(skb, 12, saddr, 4) < 0 || bpf_skb_load_bytes(skb, 16, daddr, 4) < 0)
                        return 1;
        } else if (family == 6) {
                l4 = 40; /* extension headers are not followed */
                if (bpf_skb_load_bytes(skb, 6, &l4proto, 1) < 0 || bpf_skb_load_bytes(skb, 8, saddr, 16) < 0 ||
                    bpf_skb_load_bytes(skb, 24, daddr, 16) < 0)
                        return 1;
        } else
                return 1;
        if (l4proto != sk->protocol)
                return 1;
        __u16 ports[2];
        if (bpf_skb_load_bytes(skb, l4, ports, 4) < 0)
                return 1;
        __u16 sport = bpf_ntohs(ports[0]), dport = bpf_ntohs(ports[1]);
        __u32 off;
        if (tcp) {
                __u8 doff;
                if (bpf_skb_load_bytes(skb, l4 + 12, &doff, 1) < 0)
                        return 1;
                off = l4 + (doff >> 4) * 4;
        } else {
                if (sport != 53 && dport != 53)
                        return 1;
                __u8 *n = egress ? &st->dns_out : &st->dns_in;
                if (*n >= NC_DNS_MAX)
                        return 1;
                (*n)++;
                off = l4 + 8;
        }
        if (skb->len <= off)
                return 1; /* no payload (a SYN, an ACK) */
        __u32 wire = skb->len - off, n = wire;
        if (tcp) {
                if (egress)
                        st->out_done = 1;
                else
                        st->in_done = 1;
        }

        __u32 zero = 0;
        struct nc_counters *c = bpf_map_lookup_elem(&nc_counters, &zero);
        struct nc_event *ev = bpf_ringbuf_reserve(&nc_events, sizeof(*ev), 0);
        if (!ev) {
                if (c)
                        c->ring_full++;
                return 1;
        }
        ev->cgroup_id = bpf_skb_cgroup_id(skb);
        ev->time_ns = bpf_ktime_get_ns();
        ev->family = family;
        ev->proto = l4proto;
        ev->egress = egress;
        ev->pad = 0;
        ev->sport = sport;
        ev->dport = dport;
        __builtin_memcpy(ev->saddr, saddr, 16);
        __builtin_memcpy(ev->daddr, daddr, 16);
        ev->wire_len = wire;
        __u64 k = n < NC_PAYLOAD_MAX ? n : NC_PAYLOAD_MAX - 1;
        /* opaque to the compiler from here, so the mask is applied to the register that is passed (else
         * it drops it as redundant and passes a copy whose bounds the verifier does not know) */
        asm volatile("" : "+r"(k));
        k &= NC_PAYLOAD_MAX - 1;
        if (k == 0 || bpf_skb_load_bytes(skb, off, ev->data, k) < 0)
                k = 0;
        ev->len = k;
        bpf_ringbuf_submit(ev, 0);
        if (c)
                c->captured++;
        return 1;
}

int nc_egress(struct __sk_buff *skb);
int nc_ingress(struct __sk_buff *skb);

SEC("cgroup_skb/egress")
int nc_egress(struct __sk_buff *skb) {
        return handle(skb, true);
}

SEC("cgroup_skb/ingress")
int nc_ingress(struct __sk_buff *skb) {
        return handle(skb, false);
}
