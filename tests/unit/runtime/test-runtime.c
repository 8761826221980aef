/* SPDX-License-Identifier: Apache-2.0 */
/* The runtime module's pure parts: cgroup paths and layouts, the engine's JSON, record decoding, the
 * JSON-lines encoder, the u64 map. (The sensor, the resolver and the agent are tested against the real
 * kernel and engine by tests/integration/t7xxx.) */

#include <arpa/inet.h>
#include <jansson.h>
#include <sys/socket.h>
#include <stddef.h>

#include "../../../src/bpf/sensor.h"
#include "runtime/runtime-internal.h"
#include "tests.h"

#define ID64  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define ID64B "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

TEST(cgroup_container_id) {
        static const struct {
                const char *path, *id;
        } cases[] = {
                {"/docker/" ID64, ID64},
                {"/system.slice/docker-" ID64 ".scope", ID64},
                {"/kubepods/burstable/pod1b2c3d4e-aaaa-bbbb-cccc-0123456789ab/cri-containerd-" ID64 ".scope",
                 ID64},
                {"/kubepods/besteffort/pod123/" ID64, ID64},
                {"/machine.slice/libpod-" ID64 ".scope/container", ID64},
                {"/docker/" ID64 "/nested/" ID64B, ID64},
                {"/stockade-t7002-42/" ID64, ID64},
                {ID64, ID64},
                {"/docker/" ID64 "0", NULL}, /* 65 digits */
                {"/docker/123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", NULL}, /* 63 */
                {"/docker/0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", NULL},
                {"/system.slice/ssh.service", NULL},
                {"/", NULL},
                {"", NULL},
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char id[65];
                int r = rt_cgroup_container_id(cases[i].path, id);
                if (cases[i].id) {
                        CHECK_INT(r, 0);
                        CHECK_STR(id, cases[i].id);
                } else {
                        CHECK_INT(r, -ENOENT);
                }
        }
        CHECK(rt_is_container_id(ID64));
        CHECK(!rt_is_container_id(ID64 "0"));
        CHECK(!rt_is_container_id("abc"));
        CHECK(!rt_is_container_id(NULL));
}

static const char proc_cgroups_v1[] =
        "#subsys_name\thierarchy\tnum_cgroups\tenabled\n"
        "cpuset\t3\t3\t1\ncpu\t1\t3\t1\ncpuacct\t2\t3\t1\nblkio\t7\t3\t1\n"
        "memory\t4\t95\t1\ndevices\t5\t3\t1\nfreezer\t6\t3\t1\nnet_cls\t0\t3\t1\n"
        "pids\t8\t3\t1\n";

TEST(cgroup_layout_v1) {
        const char *mi =
                "25 30 0:23 / /sys rw,nosuid - sysfs sysfs rw\n"
                "26 25 0:24 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
                "27 26 0:25 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
                "31 26 0:29 / /sys/fs/cgroup/memory rw,relatime shared:9 - cgroup cgroup rw,memory\n"
                "35 26 0:33 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n";
        struct rt_cgroup_layout l;
        CHECK_INT(rt_cgroup_layout_parse(mi, proc_cgroups_v1, &l), 0);
        CHECK(!l.v2);
        CHECK_STR(l.controller, "memory");
        CHECK_INT(l.hierarchy, 4);
        CHECK_STR(l.mount, "/sys/fs/cgroup/memory");

        /* memory disabled: the next preference that is mounted */
        const char *pc = "#subsys_name\thierarchy\tnum_cgroups\tenabled\nmemory\t4\t1\t0\npids\t8\t3\t1\n";
        CHECK_INT(rt_cgroup_layout_parse(mi, pc, &l), 0);
        CHECK_STR(l.controller, "pids");
        CHECK_INT(l.hierarchy, 8);

        /* combined controllers and an escaped mount point */
        const char *mi2 = "40 26 0:40 / /sys/fs/cgroup/cpu\\040acct rw - cgroup cgroup rw,cpu,cpuacct\n";
        const char *pc2 = "#x\ncpu\t2\t1\t1\ncpuacct\t2\t1\t1\n";
        CHECK_INT(rt_cgroup_layout_parse(mi2, pc2, &l), 0);
        CHECK_STR(l.controller, "cpu");
        CHECK_STR(l.mount, "/sys/fs/cgroup/cpu acct");
}

TEST(cgroup_layout_v2_and_hybrid) {
        struct rt_cgroup_layout l;
        const char *v2 =
                "30 25 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 "
                "rw,nsdelegate,memory_recursiveprot\n";
        CHECK_INT(rt_cgroup_layout_parse(v2, "", &l), 0);
        CHECK(l.v2);
        CHECK_STR(l.mount, "/sys/fs/cgroup");
        CHECK_INT(l.hierarchy, 0);

        /* hybrid: containers live in the v1 controllers, not in the unified tree */
        const char *hy = "26 25 0:24 / /sys/fs/cgroup ro - tmpfs tmpfs ro,mode=755\n"
                         "27 26 0:25 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw,nsdelegate\n"
                         "31 26 0:29 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n";
        CHECK_INT(rt_cgroup_layout_parse(hy, proc_cgroups_v1, &l), 0);
        CHECK(!l.v2);
        CHECK_STR(l.controller, "memory");

        /* only a unified hierarchy somewhere else */
        const char *el = "27 26 0:25 / /run/cg2 rw - cgroup2 none rw\n";
        CHECK_INT(rt_cgroup_layout_parse(el, "", &l), 0);
        CHECK(l.v2);
        CHECK_STR(l.mount, "/run/cg2");

        CHECK_INT(rt_cgroup_layout_parse("garbage\n\n - - -\n", "nonsense", &l), -ENOENT);
        CHECK_INT(rt_cgroup_layout_parse("", "", &l), -ENOENT);
}

/* ---- engine JSON ---- */

TEST(engine_list) {
        struct diag d;
        char(*ids)[65] = NULL;
        size_t n = 0;
        const char *body = "[{\"Id\":\"" ID64 "\",\"Names\":[\"/a\"]},{\"Id\":\"short\"},{\"Id\":7},{},"
                           "{\"Id\":\"" ID64B "\"}]";
        diag_init(&d);
        CHECK_INT(engine_parse_list(body, strlen(body), 100, &ids, &n, &d), 0);
        CHECK_INT(n, 2);
        if (n == 2) {
                CHECK_STR(ids[0], ID64);
                CHECK_STR(ids[1], ID64B);
        }
        free(ids);
        ids = NULL;
        CHECK_INT(engine_parse_list(body, strlen(body), 1, &ids, &n, &d), 0);
        CHECK_INT(n, 1);
        free(ids);
        CHECK_INT(engine_parse_list("{}", 2, 10, &ids, &n, &d), -EBADMSG);
        CHECK_INT(engine_parse_list("[", 1, 10, &ids, &n, &d), -EBADMSG);
        CHECK_INT(engine_parse_list("[]", ENGINE_BODY_MAX + 1, 10, &ids, &n, &d), -E2BIG);
        diag_done(&d);
}

TEST(engine_inspect) {
        struct diag d;
        struct rt_container *c = NULL;
        const char *body = "{\"Id\":\"" ID64 "\",\"Name\":\"/web-1\",\"Image\":\"sha256:" ID64B "\","
                           "\"State\":{\"Running\":true,\"Pid\":4242},"
                           "\"Config\":{\"Image\":\"nginx:1.25\",\"Labels\":{\"com.example.team\":\"blue\","
                           "\"bad\":7,\"empty\":\"\"}}}";
        diag_init(&d);
        CHECK_INT(engine_parse_inspect(body, strlen(body), &c, &d), 0);
        REQUIRE(c);
        CHECK_STR(c->id, ID64);
        CHECK_STR(c->name, "web-1");
        CHECK_STR(c->image, "nginx:1.25");
        CHECK_STR(c->image_id, "sha256:" ID64B);
        CHECK_INT(c->pid, 4242);
        CHECK(!c->incomplete);
        CHECK_INT(c->n_labels, 2);
        CHECK_STR(rt_container_label(c, "com.example.team"), "blue");
        CHECK_STR(rt_container_label(c, "empty"), "");
        CHECK(rt_container_label(c, "bad") == NULL);
        struct rt_container *ref = rt_container_ref(c);
        rt_container_unref(c);
        CHECK_STR(ref->name, "web-1"); /* still alive through the second reference */
        rt_container_unref(ref);

        const char *noid = "{\"Id\":\"nothex\",\"Name\":\"/x\"}";
        CHECK_INT(engine_parse_inspect(noid, strlen(noid), &c, &d), -EBADMSG);
        const char *types =
                "{\"Id\":\"" ID64 "\",\"Name\":5,\"Config\":[],\"State\":{\"Pid\":-3},\"Image\":{}}";
        c = NULL;
        CHECK_INT(engine_parse_inspect(types, strlen(types), &c, &d), 0);
        REQUIRE(c);
        CHECK(c->name == NULL && c->image == NULL && c->image_id == NULL && c->pid == 0 && c->n_labels == 0);
        rt_container_unref(c);
        const char *dup = "{\"Id\":\"" ID64 "\",\"Id\":\"" ID64B "\"}";
        CHECK_INT(engine_parse_inspect(dup, strlen(dup), &c, &d), -EBADMSG);
        diag_done(&d);
}

TEST(engine_inspect_label_cap) {
        struct diag d;
        struct rt_container *c = NULL;
        struct buf b = BUF_INIT(0);
        buf_append_str(&b, "{\"Id\":\"" ID64 "\",\"Config\":{\"Labels\":{");
        for (int i = 0; i < ENGINE_LABELS_MAX + 50; i++)
                buf_printf(&b, "%s\"k%d\":\"v\"", i ? "," : "", i);
        buf_append_str(&b, "}}}");
        diag_init(&d);
        CHECK_INT(engine_parse_inspect(b.data, b.len, &c, &d), 0);
        REQUIRE(c);
        CHECK_INT(c->n_labels, ENGINE_LABELS_MAX);
        rt_container_unref(c);
        buf_free(&b);
        diag_done(&d);
}

TEST(engine_image) {
        struct diag d;
        char *digest = NULL;
        const char *body =
                "{\"Id\":\"sha256:" ID64 "\",\"RepoDigests\":[7,\"nodigest\",\"busybox@sha256:" ID64B
                "\",\"other@sha256:" ID64 "\"]}";
        diag_init(&d);
        CHECK_INT(engine_parse_image(body, strlen(body), &digest, &d), 0);
        CHECK_STR(digest, "busybox@sha256:" ID64B);
        free(digest);
        CHECK_INT(engine_parse_image("{\"RepoDigests\":[]}", 18, &digest, &d), 0);
        CHECK(digest == NULL);
        CHECK_INT(engine_parse_image("{}", 2, &digest, &d), 0);
        CHECK(digest == NULL);
        CHECK_INT(engine_parse_image("[]", 2, &digest, &d), -EBADMSG);
        diag_done(&d);
}

TEST(engine_event) {
        struct diag d;
        struct engine_event ev;
        const char *line =
                "{\"status\":\"start\",\"id\":\"" ID64 "\",\"from\":\"busybox\",\"Type\":\"container\","
                "\"Action\":\"start\",\"Actor\":{\"ID\":\"" ID64 "\",\"Attributes\":{\"name\":\"x\"}},"
                "\"scope\":\"local\",\"time\":1700000000,\"timeNano\":1700000000000000000}";
        diag_init(&d);
        CHECK_INT(engine_parse_event(line, strlen(line), &ev, &d), 0);
        CHECK_STR(ev.type, "container");
        CHECK_STR(ev.action, "start");
        CHECK_STR(ev.id, ID64);

        const char *old = "{\"status\":\"die\",\"id\":\"" ID64B "\",\"Type\":\"container\"}";
        CHECK_INT(engine_parse_event(old, strlen(old), &ev, &d), 0);
        CHECK_STR(ev.action, "die");
        CHECK_STR(ev.id, ID64B);

        const char *net = "{\"Type\":\"network\",\"Action\":\"connect\",\"Actor\":{\"ID\":\"abc\"}}";
        CHECK_INT(engine_parse_event(net, strlen(net), &ev, &d), 0);
        CHECK_STR(ev.type, "network");
        CHECK_STR(ev.id, "");

        const char *exec =
                "{\"Type\":\"container\",\"Action\":\"exec_start: sh -c 'a very long command line "
                "that goes on and on and on'\",\"Actor\":{\"ID\":\"" ID64 "\"}}";
        CHECK_INT(engine_parse_event(exec, strlen(exec), &ev, &d), 0);
        CHECK(strlen(ev.action) < sizeof(ev.action));

        CHECK_INT(engine_parse_event("{\"Type\":\"container\"}", 20, &ev, &d), -EBADMSG);
        CHECK_INT(engine_parse_event("[1]", 3, &ev, &d), -EBADMSG);
        CHECK_INT(engine_parse_event("{", 1, &ev, &d), -EBADMSG);
        diag_done(&d);
}

/* ---- record decoding ---- */

struct rec {
        uint8_t b[STK_EVENT_MAX];
        size_t len;
};

static void *rec_begin(struct rec *r, uint16_t type, uint16_t syscall, size_t payload) {
        memset(r, 0, sizeof(*r));
        struct stk_event_header *h = (void *) r->b;
        h->type = type;
        h->syscall = syscall;
        h->ts = 123456789;
        h->cgroup_id = 4242;
        h->pid = 101;
        h->tgid = 100;
        h->ppid = 1;
        h->uid = 1000;
        h->gid = 1001;
        h->mnt_ns = 4026531840u;
        memcpy(h->comm, "cat", 4);
        r->len = sizeof(*h) + payload;
        return r->b + sizeof(*h);
}

static struct stk_str rec_str(struct rec *r, const char *s, size_t n) {
        struct stk_str out = {.off = (uint16_t) r->len, .len = (uint16_t) n};
        memcpy(r->b + r->len, s, n);
        r->b[r->len + n] = 0;
        r->len += n + 1;
        return out;
}

static void rec_end(struct rec *r) {
        ((struct stk_event_header *) r->b)->size = (uint16_t) r->len;
}

TEST(decode_open) {
        struct rec r;
        struct rt_event ev;
        struct rt_decode_scratch sc;
        struct stk_open *p = rec_begin(&r, STK_EV_OPEN, 257, sizeof(*p));
        p->result = 3;
        p->dirfd = -100;
        p->flags = 01 | 0100 | 01000; /* O_WRONLY|O_CREAT|O_TRUNC */
        p->mode = 0644;
        p->path = rec_str(&r, "out.txt", 7);
        p->full = rec_str(&r, "/work/out.txt", 13);
        rec_end(&r);
        CHECK_INT(rt_event_decode(r.b, r.len, &ev, &sc), 0);
        CHECK_INT(ev.type, RT_EV_OPEN);
        CHECK_STR(ev.syscall_name, "openat");
        CHECK_INT(ev.result, 3);
        CHECK_INT(ev.proc.pid, 100);
        CHECK_INT(ev.proc.tid, 101);
        CHECK_INT(ev.proc.uid, 1000);
        CHECK_STR(ev.proc.comm, "cat");
        CHECK_INT(ev.cgroup_id, 4242);
        CHECK_STR(ev.u.file.path, "out.txt");
        CHECK_STR(ev.u.file.full_path, "/work/out.txt");
        CHECK_INT(ev.u.file.access, RT_ACCESS_WRITE | RT_ACCESS_CREATE | RT_ACCESS_TRUNC);
        CHECK_INT(ev.u.file.mode, 0644);

        /* every way a record can be wrong */
        CHECK_INT(rt_event_decode(r.b, r.len - 1, &ev, &sc), -EBADMSG); /* size mismatch */
        CHECK_INT(rt_event_decode(r.b, 10, &ev, &sc), -EBADMSG);        /* no header */
        p->path.off = (uint16_t) (r.len + 10);
        CHECK_INT(rt_event_decode(r.b, r.len, &ev, &sc), -EBADMSG); /* outside */
        p->path.off = 4;
        CHECK_INT(rt_event_decode(r.b, r.len, &ev, &sc), -EBADMSG); /* in the header */
        p->path =
                (struct stk_str){.off = (uint16_t) (sizeof(struct stk_event_header) + sizeof(*p)), .len = 3};
        CHECK_INT(rt_event_decode(r.b, r.len, &ev, &sc), -EBADMSG); /* no NUL at len */
        p->path.len = 7;
        CHECK_INT(rt_event_decode(r.b, r.len, &ev, &sc), 0);
        ((struct stk_event_header *) r.b)->type = STK_EV_MAX;
        CHECK_INT(rt_event_decode(r.b, r.len, &ev, &sc), -EBADMSG); /* type */
        ((struct stk_event_header *) r.b)->type = STK_EV_OPEN;
        memset(((struct stk_event_header *) r.b)->comm, 'x', STK_COMM_LEN);
        CHECK_INT(rt_event_decode(r.b, r.len, &ev, &sc), -EBADMSG); /* comm unterminated */

        /* a payload shorter than its type's */
        struct stk_exit *e = rec_begin(&r, STK_EV_EXEC, STK_NO_SYSCALL, sizeof(*e));
        (void) e;
        rec_end(&r);
        CHECK_INT(rt_event_decode(r.b, r.len, &ev, &sc), -EBADMSG);
}

TEST(decode_exec) {
        struct rec r;
        struct rt_event ev;
        struct rt_decode_scratch sc;
        struct stk_exec *p = rec_begin(&r, STK_EV_EXEC, STK_NO_SYSCALL, sizeof(*p));
        p->euid = 0;
        p->ns_tgid = 1;
        p->cap_effective = 0xa80425fb;
        p->filename = rec_str(&r, "/bin/sh", 7);
        p->exe = rec_str(&r, "/bin/busybox", 12);
        p->cwd = rec_str(&r, "/", 1);
        p->args = rec_str(&r, "sh\0-c\0echo hi", 13);
        rec_end(&r);
        CHECK_INT(rt_event_decode(r.b, r.len, &ev, &sc), 0);
        CHECK_INT(ev.syscall, -1);
        CHECK(ev.syscall_name == NULL);
        CHECK_STR(ev.u.exec.filename, "/bin/sh");
        CHECK_STR(ev.u.exec.exe, "/bin/busybox");
        CHECK(ev.u.exec.interp == NULL);
        CHECK_INT(ev.u.exec.argc, 3);
        CHECK_STR(ev.u.exec.argv[0], "sh");
        CHECK_STR(ev.u.exec.argv[1], "-c");
        CHECK_STR(ev.u.exec.argv[2], "echo hi");
        CHECK(ev.u.exec.argv[3] == NULL);
        CHECK_INT(ev.u.exec.ns_pid, 1);

        /* more arguments than the decoder keeps: cut, flagged */
        char many[1200];
        memset(many, 0, sizeof(many));
        for (size_t i = 0; i < sizeof(many); i += 2)
                many[i] = 'a';
        p = rec_begin(&r, STK_EV_EXEC, STK_NO_SYSCALL, sizeof(*p));
        p->args = rec_str(&r, many, sizeof(many) - 1);
        rec_end(&r);
        CHECK_INT(rt_event_decode(r.b, r.len, &ev, &sc), 0);
        CHECK_INT(ev.u.exec.argc, RT_ARGV_MAX);
        CHECK(ev.truncated);
}

TEST(decode_exit_setid_net) {
        struct rec r;
        struct rt_event ev;
        struct rt_decode_scratch sc;
        struct stk_exit *x = rec_begin(&r, STK_EV_EXIT, STK_NO_SYSCALL, sizeof(*x));
        x->code = 3 << 8;
        rec_end(&r);
        CHECK_INT(rt_event_decode(r.b, r.len, &ev, &sc), 0);
        CHECK_INT(ev.u.exit.code, 3);
        CHECK_INT(ev.u.exit.signal, 0);
        x->code = 9 | 0x80;
        CHECK_INT(rt_event_decode(r.b, r.len, &ev, &sc), 0);
        CHECK_INT(ev.u.exit.code, -1);
        CHECK_INT(ev.u.exit.signal, 9);
        CHECK(ev.u.exit.core_dumped);

        struct stk_setid *s = rec_begin(&r, STK_EV_SETID, 117 /* setresuid */, sizeof(*s));
        s->id[0] = 1;
        s->id[1] = -1;
        s->id[2] = 3;
        rec_end(&r);
        CHECK_INT(rt_event_decode(r.b, r.len, &ev, &sc), 0);
        CHECK_INT(ev.u.setid.n, 3);
        CHECK(!ev.u.setid.gid);
        CHECK_INT(ev.u.setid.id[1], -1);
        /* ia32 setuid (16-bit): 0xffff is -1 */
        s = rec_begin(&r, STK_EV_SETID, 23, sizeof(*s));
        s->id[0] = 0xffff;
        rec_end(&r);
        ((struct stk_event_header *) r.b)->flags = STK_F_COMPAT;
        CHECK_INT(rt_event_decode(r.b, r.len, &ev, &sc), 0);
        CHECK(ev.compat);
        CHECK_STR(ev.syscall_name, "setuid");
        CHECK_INT(ev.u.setid.n, 1);
        CHECK_INT(ev.u.setid.id[0], -1);

        struct stk_net *n = rec_begin(&r, STK_EV_CONNECT, 42, sizeof(*n));
        n->remote.family = STK_AF_INET;
        n->remote.port = htons(8080);
        memcpy(n->remote.addr, "\x0a\x00\x00\x02", 4);
        n->local.family = STK_AF_INET;
        n->local.port = htons(40000);
        n->sock_type = 1;
        n->protocol = 6;
        rec_end(&r);
        CHECK_INT(rt_event_decode(r.b, r.len, &ev, &sc), 0);
        CHECK_INT(ev.u.net.remote.family, AF_INET);
        CHECK_INT(ev.u.net.remote.port, 8080);
        CHECK_INT(ev.u.net.local.port, 40000);
}

/* ---- JSON ---- */

static json_t *to_json(const struct rt_event *ev) {
        struct buf b = BUF_INIT(0);
        json_error_t err;
        CHECK_INT(rt_event_to_json(ev, "host1", &b), 0);
        CHECK(b.len > 0 && b.data[b.len - 1] == '\n');
        json_t *j = json_loadb(b.data, b.len, JSON_REJECT_DUPLICATES, &err);
        if (!j)
                fprintf(stderr, "not JSON (%s): %s\n", err.text, b.data);
        buf_free(&b);
        return j;
}

TEST(json_event) {
        struct rec r;
        struct rt_event ev;
        struct rt_decode_scratch sc;
        struct stk_net *n = rec_begin(&r, STK_EV_CONNECT, 42, sizeof(*n));
        n->result = -111;
        n->remote.family = STK_AF_INET6;
        n->remote.port = htons(443);
        n->remote.addr[15] = 1;
        n->sock_type = 1;
        n->protocol = 6;
        rec_end(&r);
        CHECK_INT(rt_event_decode(r.b, r.len, &ev, &sc), 0);
        struct rt_container *c = rt_container_new_bare(ID64);
        c->incomplete = false;
        c->name = strdup("web");
        c->image = strdup("nginx:1");
        ev.container = c;
        ev.time_ns = 1700000000123456789ull;
        const char *argv[] = {"curl", "https://[::1]/", NULL};
        ev.proc.argv = argv;
        ev.proc.exe = "/usr/bin/curl";
        json_t *j = to_json(&ev);
        REQUIRE(j);
        CHECK_STR(json_string_value(json_object_get(j, "time")), "2023-11-14T22:13:20.123456789Z");
        CHECK_STR(json_string_value(json_object_get(j, "host")), "host1");
        CHECK_STR(json_string_value(json_object_get(j, "type")), "connect");
        CHECK_STR(json_string_value(json_object_get(j, "syscall")), "connect");
        CHECK_INT(json_integer_value(json_object_get(j, "result")), -111);
        CHECK_STR(json_string_value(json_object_get(j, "error")), "ECONNREFUSED");
        json_t *jc = json_object_get(j, "container");
        CHECK_STR(json_string_value(json_object_get(jc, "id")), ID64);
        CHECK_STR(json_string_value(json_object_get(jc, "name")), "web");
        CHECK(json_object_get(jc, "incomplete") == NULL);
        json_t *jp = json_object_get(j, "process");
        CHECK_INT(json_integer_value(json_object_get(jp, "pid")), 100);
        CHECK_STR(json_string_value(json_object_get(jp, "exe")), "/usr/bin/curl");
        CHECK_STR(json_string_value(json_array_get(json_object_get(jp, "cmdline"), 1)), "https://[::1]/");
        CHECK_INT(json_integer_value(json_object_get(jp, "uid")), 1000);
        CHECK_STR(json_string_value(json_object_get(json_object_get(j, "image"), "name")), "nginx:1");
        json_t *jn = json_object_get(j, "network");
        CHECK_STR(json_string_value(json_object_get(jn, "family")), "ipv6");
        CHECK_STR(json_string_value(json_object_get(jn, "protocol")), "tcp");
        CHECK_STR(json_string_value(json_object_get(json_object_get(jn, "remote"), "address")), "::1");
        CHECK_INT(json_integer_value(json_object_get(json_object_get(jn, "remote"), "port")), 443);
        json_decref(j);
        rt_container_unref(c);
}

TEST(json_strings) {
        struct buf b = BUF_INIT(0);
        CHECK_INT(rt_json_string(&b, "a\"b\\c\n\x01", 7), 0);
        CHECK_STR(b.data, "\"a\\\"b\\\\c\\n\\u0001\"");
        buf_reset(&b);
        CHECK_INT(rt_json_string(&b, "caf\xc3\xa9 \xff \xe2\x82", 10), 0); /* valid é, then junk */
        CHECK_STR(b.data, "\"caf\xc3\xa9 \\ufffd \\ufffd\\ufffd\"");
        buf_reset(&b);
        CHECK_INT(rt_json_string(&b, "\xed\xa0\x80", 3), 0); /* a surrogate is not UTF-8 */
        CHECK_STR(b.data, "\"\\ufffd\\ufffd\\ufffd\"");
        buf_free(&b);

        /* a hostile path in every string field still makes one valid JSON line */
        struct rec r;
        struct rt_event ev;
        struct rt_decode_scratch sc;
        struct stk_rename *p = rec_begin(&r, STK_EV_RENAME, 316, sizeof(*p));
        p->oldpath = rec_str(&r, "/tmp/\n\"}{\xff", 10);
        p->newpath = rec_str(&r, "/tmp/\t\\", 7);
        rec_end(&r);
        CHECK_INT(rt_event_decode(r.b, r.len, &ev, &sc), 0);
        json_t *j = to_json(&ev);
        REQUIRE(j);
        json_t *f = json_object_get(j, "file");
        CHECK_STR(json_string_value(json_object_get(f, "path")), "/tmp/\n\"}{\xef\xbf\xbd");
        CHECK_STR(json_string_value(json_object_get(f, "new_path")), "/tmp/\t\\");
        CHECK(json_object_get(j, "container") == NULL);
        json_decref(j);
}

TEST(json_every_type) {
        /* each type with an all-zero payload encodes to valid JSON */
        for (int t = 1; t < STK_EV_MAX; t++) {
                struct rec r;
                struct rt_event ev;
                struct rt_decode_scratch sc;
                static const uint16_t sizes[] = {
                        [STK_EV_EXEC] = sizeof(struct stk_exec),
                        [STK_EV_FORK] = sizeof(struct stk_fork),
                        [STK_EV_EXIT] = sizeof(struct stk_exit),
                        [STK_EV_SETID] = sizeof(struct stk_setid),
                        [STK_EV_CAPSET] = sizeof(struct stk_capset),
                        [STK_EV_OPEN] = sizeof(struct stk_open),
                        [STK_EV_UNLINK] = sizeof(struct stk_unlink),
                        [STK_EV_RENAME] = sizeof(struct stk_rename),
                        [STK_EV_CHMOD] = sizeof(struct stk_chmod),
                        [STK_EV_CONNECT] = sizeof(struct stk_net),
                        [STK_EV_ACCEPT] = sizeof(struct stk_net),
                        [STK_EV_BIND] = sizeof(struct stk_net),
                        [STK_EV_LISTEN] = sizeof(struct stk_net),
                        [STK_EV_PTRACE] = sizeof(struct stk_ptrace),
                        [STK_EV_MOUNT] = sizeof(struct stk_mount),
                        [STK_EV_UMOUNT] = sizeof(struct stk_mount),
                        [STK_EV_UNSHARE] = sizeof(struct stk_ns),
                        [STK_EV_SETNS] = sizeof(struct stk_ns),
                        [STK_EV_MODULE] = sizeof(struct stk_module),
                        [STK_EV_MEMFD] = sizeof(struct stk_memfd),
                        [STK_EV_BPF] = sizeof(struct stk_bpf),
                        [STK_EV_CGROUP_MKDIR] = sizeof(struct stk_cgroup),
                        [STK_EV_CGROUP_RMDIR] = sizeof(struct stk_cgroup),
                };
                rec_begin(&r, (uint16_t) t, 0, sizes[t]);
                rec_end(&r);
                CHECK_INT(rt_event_decode(r.b, r.len, &ev, &sc), 0);
                CHECK(rt_event_type_name(ev.type) != NULL);
                json_t *j = to_json(&ev);
                CHECK(j != NULL);
                json_decref(j);
        }
}

/* ---- u64map ---- */

TEST(u64map) {
        struct u64map m = {};
        enum { N = 5000 };
        static uint64_t present[N];
        for (uint64_t i = 0; i < N; i++) {
                CHECK_INT(u64map_put(&m, i * 7919 + 1, (void *) (uintptr_t) (i + 1)), 0);
                present[i] = 1;
        }
        CHECK_INT(m.n, N);
        CHECK_INT(u64map_put(&m, 1, (void *) 42), 1);
        CHECK(u64map_get(&m, 1) == (void *) 42);
        /* remove every third, then check all */
        for (uint64_t i = 0; i < N; i += 3) {
                CHECK(u64map_remove(&m, i * 7919 + 1) != NULL);
                present[i] = 0;
        }
        CHECK(u64map_remove(&m, 999999999) == NULL);
        size_t n = 0;
        for (uint64_t i = 0; i < N; i++) {
                void *v = u64map_get(&m, i * 7919 + 1);
                CHECK((v != NULL) == (present[i] != 0));
                n += v != NULL;
        }
        CHECK_INT(n, m.n);
        size_t it = 0, seen = 0;
        uint64_t k;
        void *v;
        for (size_t i = 0; u64map_next(&m, &i, &k, &v);)
                seen++;
        CHECK_INT(seen, m.n);
        (void) it;
        u64map_free(&m);
        CHECK(u64map_get(&m, 1) == NULL);
}
