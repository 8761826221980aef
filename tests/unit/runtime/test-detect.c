/* SPDX-License-Identifier: Apache-2.0 */
/* The built-in detectors: rules loading (and its errors), each detector on synthetic events, alert
 * aggregation, the incident store across a reopen. */

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/runtime-internal.h"
#include "runtime/alerts.h"
#include "runtime/detect.h"
#include "runtime/incidents.h"
#include "runtime/rules.h"
#include "tests.h"

static struct rt_rules *load(const char *yaml, char *err, size_t errlen) {
        struct diag d;
        struct rt_rules *rs = NULL;
        diag_init(&d);
        int r = rt_rules_load_data("t.yaml", yaml, strlen(yaml), &d, &rs);
        if (err)
                snprintf(err, errlen, "%s", d.error);
        diag_done(&d);
        return r < 0 ? NULL : rs;
}

TEST(rules_default) {
        struct diag d;
        diag_init(&d);
        _cleanup_(rt_rules_freep) struct rt_rules *rs = NULL;
        CHECK_INT(rt_rules_load_default(&d, &rs), 0);
        diag_done(&d);
        REQUIRE(rs);
        CHECK(rs->n >= 14);
        static const char *const ids[] = {"shell-from-server",      "reverse-shell", "drift",
                                          "package-manager",        "fileless-exec", "sensitive-file-read",
                                          "write-system-dir",       "ptrace",        "kernel-module",
                                          "mount-namespace-escape", "escape-file",   "miner-pool-port",
                                          "cloud-metadata",         "netcat"};
        for (size_t i = 0; i < ELEMENTSOF(ids); i++) {
                const struct rt_rule *r = rt_rules_find(rs, ids[i]);
                CHECK(r != NULL);
                if (r) {
                        CHECK(r->technique && r->technique[0] == 'T');
                        CHECK(r->tactic && r->title && r->description);
                }
        }
        const struct rt_rule *r = rt_rules_find(rs, "drift");
        CHECK_INT(r->action[RT_MODE_MONITOR], RT_ACTION_ALERT);
        CHECK_INT(r->action[RT_MODE_PROTECT], RT_ACTION_DENY);
        r = rt_rules_find(rs, "package-manager");
        bool pip = false;
        for (size_t i = 0; i < r->n_names; i++)
                if (streq(r->names[i].name, "pip") && r->names[i].arg && streq(r->names[i].arg, "install"))
                        pip = true;
        CHECK(pip);
}

TEST(rules_errors) {
        char err[1024];
        static const struct {
                const char *yaml, *want;
        } cases[] = {
                {"version: 1\nrules:\n  - id: x\n", "t.yaml:3:5: rule 'x': no 'title'"},
                {"version: 2\nrules: []\n", "t.yaml:1:10: 'version: 1' is required"},
                {"version: 1\nrules:\n  - id: x\n    title: X\n    severity: huge\n",
                 "t.yaml:5:15: rule 'x': unknown severity 'huge'"},
                {"version: 1\nrules:\n  - id: x\n    title: X\n    severity: low\n    mitre: {technique: "
                 "T1, tactic: x}\n",
                 "invalid ATT&CK technique"},
                {"version: 1\nrules:\n  - id: x\n    title: X\n    severity: low\n    mitre: {technique: "
                 "T1059, tactic: execution}\n"
                 "    detector: connect\n",
                 "rule 'x': detector 'connect' needs 'ports' or 'addresses'"},
                {"version: 1\nrules:\n  - id: x\n    title: X\n    severity: low\n    mitre: {technique: "
                 "T1059, tactic: execution}\n"
                 "    detector: connect\n    ports: [70000]\n",
                 "t.yaml:8:13: rule 'x': invalid port '70000'"},
                {"version: 1\nrules:\n  - id: x\n    title: X\n    severity: low\n    mitre: {technique: "
                 "T1059, tactic: execution}\n"
                 "    detector: event\n    events: [ptrace]\n    action: {protect: explode}\n",
                 "unknown action"},
                {"version: 1\nrules:\n  - id: x\n    bogus: 1\n",
                 "t.yaml:4:5: rule #1: unknown key 'bogus'"},
                {"a: &x 1\nb: *x\n", "aliases are not supported"},
                {"version: 1\nrules: [\n", "invalid YAML"},
                {"", "empty rules file"},
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct rt_rules *rs = load(cases[i].yaml, err, sizeof err);
                CHECK(rs == NULL);
                rt_rules_free(rs);
                const char *want = cases[i].want ? cases[i].want : "";
                if (!strstr(err, want))
                        fprintf(stderr, "case %zu: got '%s', want '%s'\n", i, err, want);
                CHECK(strstr(err, want) != NULL);
        }
        /* duplicate ids name the first one's line */
        const char *dup = "version: 1\nrules:\n"
                          "  - {id: a, title: A, severity: low, mitre: {technique: T1611, tactic: x}, "
                          "detector: drift}\n"
                          "  - {id: a, title: A, severity: low, mitre: {technique: T1611, tactic: x}, "
                          "detector: drift}\n";
        CHECK(load(dup, err, sizeof err) == NULL);
        CHECK(strstr(err, "t.yaml:4:5: rule 'a': duplicate id (first at line 3)") != NULL);
}

/* ---- detectors on synthetic events ---- */

static const char *const sock_pids_env = "socket";
static int fake_fd(void *userdata, uint32_t pid, int fd) {
        (void) userdata;
        (void) fd;
        return pid == 4242 ? 1 : pid == 4343 ? -1 : 0;
}
static bool fake_upper(void *userdata, const struct rt_event *ev, const char *path) {
        (void) userdata;
        (void) ev;
        return streq(path, "/tmp/dropped");
}

struct fixture {
        struct rt_rules *rs;
        struct detector *d;
        struct rt_container *c;
};

static void fx_init(struct fixture *f) {
        struct diag d;
        diag_init(&d);
        REQUIRE(rt_rules_load_default(&d, &f->rs) == 0);
        diag_done(&d);
        struct detect_probe p = {.fd_is_socket = fake_fd, .in_writable_layer = fake_upper};
        REQUIRE(detect_new(f->rs, &p, &f->d) == 0);
        char id[65];
        memset(id, 'a', 64);
        id[64] = 0;
        f->c = rt_container_new_bare(id);
        REQUIRE(f->c);
}

static void fx_done(struct fixture *f) {
        detect_free(f->d);
        rt_rules_free(f->rs);
        rt_container_unref(f->c);
}

static struct rt_event ev_base(struct fixture *f, enum rt_event_type t, uint32_t pid, uint32_t ppid) {
        struct rt_event e = {
                .type = t, .proc = {.pid = pid, .tid = pid, .ppid = ppid, .comm = "x"}, .container = f->c};
        e.time_ns = 1700000000000000000ull;
        return e;
}

/* The rule ids an event fires, comma separated. */
static const char *fired(struct fixture *f, const struct rt_event *e) {
        static char out[512];
        struct detect_finding fs[DETECT_FINDINGS_MAX];
        size_t n = detect_event(f->d, e, fs, ELEMENTSOF(fs));
        out[0] = 0;
        for (size_t i = 0; i < n; i++)
                snprintf(out + strlen(out), sizeof out - strlen(out), "%s%s", i ? "," : "", fs[i].rule->id);
        return out;
}

static struct rt_event exec_ev(struct fixture *f, uint32_t pid, uint32_t ppid, const char *file,
                               const char *const *argv) {
        struct rt_event e = ev_base(f, RT_EV_EXEC, pid, ppid);
        e.u.exec.filename = file;
        e.u.exec.exe = file;
        e.u.exec.argv = argv;
        e.u.exec.parent_exe = "/srv/app";
        return e;
}

TEST(detect_shell_from_server) {
        struct fixture f = {};
        fx_init(&f);
        static const char *const sh[] = {"sh", "-c", "id", NULL};
        /* a shell from a process that never listened: nothing */
        struct rt_event e = exec_ev(&f, 200, 100, "/bin/sh", sh);
        CHECK_STR(fired(&f, &e), "");
        /* 100 accepts a connection, forks 201, which becomes a shell */
        struct rt_event acc = ev_base(&f, RT_EV_ACCEPT, 100, 1);
        CHECK_STR(fired(&f, &acc), "");
        struct rt_event fk = ev_base(&f, RT_EV_FORK, 100, 1);
        fk.u.fork.child_pid = 201;
        CHECK_STR(fired(&f, &fk), "");
        e = exec_ev(&f, 201, 100, "/bin/sh", sh);
        CHECK_STR(fired(&f, &e), "shell-from-server");
        /* after its exec, 201 is a shell, not a server: its own child shell is not flagged by 201 */
        e = exec_ev(&f, 202, 201, "/bin/sh", sh);
        CHECK_STR(fired(&f, &e), "");
        /* a non-shell child of the server: nothing */
        static const char *const ls[] = {"ls", NULL};
        e = exec_ev(&f, 203, 100, "/bin/ls", ls);
        CHECK_STR(fired(&f, &e), "");
        /* the server exits: its state goes */
        struct rt_event ex = ev_base(&f, RT_EV_EXIT, 100, 1);
        CHECK_STR(fired(&f, &ex), "");
        e = exec_ev(&f, 204, 100, "/bin/sh", sh);
        CHECK_STR(fired(&f, &e), "");
        fx_done(&f);
}

TEST(detect_reverse_shell) {
        struct fixture f = {};
        fx_init(&f);
        static const char *const sh[] = {"sh", NULL};
        struct rt_event e = exec_ev(&f, 4242, 1, "/bin/sh", sh); /* fd 0 is a socket */
        CHECK_STR(fired(&f, &e), "reverse-shell");
        e = exec_ev(&f, 4141, 1, "/bin/sh", sh); /* not a socket */
        CHECK_STR(fired(&f, &e), "");
        /* gone before the look: a process that connected, then became a shell */
        e = exec_ev(&f, 4343, 1, "/bin/sh", sh);
        CHECK_STR(fired(&f, &e), "");
        struct rt_event c = ev_base(&f, RT_EV_CONNECT, 4343, 1);
        c.u.net.remote.family = AF_INET;
        c.u.net.remote.port = 9001;
        CHECK_STR(fired(&f, &c), "");
        e = exec_ev(&f, 4343, 1, "/bin/sh", sh);
        CHECK_STR(fired(&f, &e), "reverse-shell");
        fx_done(&f);
}

TEST(detect_exec_rules) {
        struct fixture f = {};
        fx_init(&f);
        static const char *const apt[] = {"apt-get", "install", "curl", NULL};
        struct rt_event e = exec_ev(&f, 10, 1, "/usr/bin/apt-get", apt);
        CHECK_STR(fired(&f, &e), "package-manager");
        static const char *const pipi[] = {"pip", "install", "x", NULL}, *const pipl[] = {"pip", "list",
                                                                                          NULL};
        e = exec_ev(&f, 11, 1, "/usr/bin/pip", pipi);
        CHECK_STR(fired(&f, &e), "package-manager");
        e = exec_ev(&f, 12, 1, "/usr/bin/pip", pipl);
        CHECK_STR(fired(&f, &e), "");
        static const char *const nc[] = {"nc", "-e", "/bin/sh", "h", "1", NULL};
        e = exec_ev(&f, 13, 1, "/proc/self/exe", nc); /* busybox runs applets through /proc/self/exe */
        e.u.exec.exe = "/bin/busybox";
        CHECK_STR(fired(&f, &e), "netcat");
        static const char *const x[] = {"x", NULL};
        e = exec_ev(&f, 14, 1, "/tmp/dropped", x);
        CHECK_STR(fired(&f, &e), "drift");
        e = exec_ev(&f, 15, 1, "/dev/shm/payload", x);
        CHECK_STR(fired(&f, &e), "fileless-exec");
        e = exec_ev(&f, 16, 1, "/proc/self/fd/3", x);
        e.u.exec.exe = "/memfd:payload (deleted)";
        CHECK_STR(fired(&f, &e), "fileless-exec");
        e = exec_ev(&f, 17, 1, "/bin/ls", x);
        CHECK_STR(fired(&f, &e), "");
        /* a failed exec of a program named like a package manager is not one that ran */
        e = exec_ev(&f, 18, 1, "/usr/bin/apt-get", apt);
        e.result = -ENOENT;
        CHECK_STR(fired(&f, &e), "");
        fx_done(&f);
}

static struct rt_event open_ev(struct fixture *f, const char *path, unsigned access, int64_t result) {
        struct rt_event e = ev_base(f, RT_EV_OPEN, 30, 1);
        e.u.file.path = path;
        e.u.file.access = access;
        e.result = result;
        return e;
}

TEST(detect_file_rules) {
        struct fixture f = {};
        fx_init(&f);
        struct rt_event e = open_ev(&f, "/etc/shadow", RT_ACCESS_READ, 3);
        CHECK_STR(fired(&f, &e), "sensitive-file-read");
        e = open_ev(&f, "/root/.ssh/id_ed25519", RT_ACCESS_READ, 3);
        CHECK_STR(fired(&f, &e), "sensitive-file-read");
        e = open_ev(&f, "/root/.ssh/id_ed25519.pub", RT_ACCESS_READ, 3);
        CHECK_STR(fired(&f, &e), "");
        e = open_ev(&f, "/root/.ssh/id_rsa", RT_ACCESS_READ,
                    -ENOENT); /* ssh probing keys that are not there */
        CHECK_STR(fired(&f, &e), "");
        e = open_ev(&f, "/etc/passwd", RT_ACCESS_READ, 3);
        CHECK_STR(fired(&f, &e), "");
        e = open_ev(&f, "/bin/evil", RT_ACCESS_WRITE | RT_ACCESS_CREATE, 3);
        CHECK_STR(fired(&f, &e), "write-system-dir");
        e = open_ev(&f, "/etc/shadow", RT_ACCESS_READ | RT_ACCESS_WRITE, 3);
        CHECK_STR(fired(&f, &e), "sensitive-file-read,write-system-dir");
        e = open_ev(&f, "/etc/resolv.conf", RT_ACCESS_WRITE, 3);
        CHECK_STR(fired(&f, &e), "");
        e = open_ev(&f, "/usr/lib/x86_64-linux-gnu/libc.so.6", RT_ACCESS_READ, 3);
        CHECK_STR(fired(&f, &e), "");
        e = open_ev(&f, "/sys/fs/cgroup/rdma/release_agent", RT_ACCESS_WRITE, -EACCES);
        CHECK_STR(fired(&f, &e), "escape-file");
        e = open_ev(&f, "/dev/sda1", RT_ACCESS_READ, 3);
        CHECK_STR(fired(&f, &e), "escape-file");
        e = open_ev(&f, "/etc/shadow", RT_ACCESS_PATH, 3);
        CHECK_STR(fired(&f, &e), "");
        /* a relative open: the walked path decides */
        e = open_ev(&f, "shadow", RT_ACCESS_READ, 3);
        e.u.file.full_path = "/etc/shadow";
        CHECK_STR(fired(&f, &e), "sensitive-file-read");
        /* rename into /usr/bin; unlink below /sbin */
        struct rt_event r = ev_base(&f, RT_EV_RENAME, 31, 1);
        r.u.file.path = "/tmp/x";
        r.u.file.new_path = "/usr/bin/ls";
        CHECK_STR(fired(&f, &r), "write-system-dir");
        r = ev_base(&f, RT_EV_UNLINK, 31, 1);
        r.u.file.path = "/sbin/init";
        CHECK_STR(fired(&f, &r), "write-system-dir");
        fx_done(&f);
}

TEST(detect_net_and_events) {
        struct fixture f = {};
        fx_init(&f);
        struct rt_event e = ev_base(&f, RT_EV_CONNECT, 40, 1);
        e.u.net.remote.family = AF_INET;
        e.u.net.remote.port = 4444;
        memcpy(e.u.net.remote.addr, (uint8_t[]){10, 0, 0, 1}, 4);
        CHECK_STR(fired(&f, &e), "miner-pool-port");
        e.u.net.remote.port = 80;
        memcpy(e.u.net.remote.addr, (uint8_t[]){169, 254, 169, 254}, 4);
        CHECK_STR(fired(&f, &e), "cloud-metadata");
        /* the same address IPv4-mapped */
        e.u.net.remote.family = AF_INET6;
        memset(e.u.net.remote.addr, 0, 16);
        memcpy(e.u.net.remote.addr + 10, (uint8_t[]){0xff, 0xff, 169, 254, 169, 254}, 6);
        CHECK_STR(fired(&f, &e), "cloud-metadata");
        e.u.net.remote.family = AF_INET;
        memcpy(e.u.net.remote.addr, (uint8_t[]){10, 0, 0, 1}, 4);
        e.u.net.remote.port = 443;
        CHECK_STR(fired(&f, &e), "");
        e.u.net.remote.family = AF_UNIX;
        e.u.net.remote.port = 4444;
        CHECK_STR(fired(&f, &e), "");

        struct rt_event p = ev_base(&f, RT_EV_PTRACE, 41, 1);
        CHECK_STR(fired(&f, &p), "ptrace");
        p = ev_base(&f, RT_EV_MODULE, 41, 1);
        CHECK_STR(fired(&f, &p), "kernel-module");
        p = ev_base(&f, RT_EV_MOUNT, 41, 1);
        p.u.mount.target = "/mnt";
        CHECK_STR(fired(&f, &p), "mount-namespace-escape");
        p = ev_base(&f, RT_EV_UNSHARE, 41, 1);
        CHECK_STR(fired(&f, &p), "mount-namespace-escape");
        /* the container runtime setting the container up is not the workload */
        p.proc.comm = "runc:[2:INIT]";
        CHECK_STR(fired(&f, &p), "");
        p = ev_base(&f, RT_EV_MEMFD, 41, 1);
        CHECK_STR(fired(&f, &p), "");
        fx_done(&f);
}

TEST(detect_mountinfo) {
        char out[256];
        const char *mi =
                "22 1 0:21 / /proc rw - proc proc rw\n"
                "600 580 0:52 / / rw,relatime master:1 - overlay overlay rw,lowerdir=/var/lib/docker/"
                "overlay2/l/A:/var/lib/docker/overlay2/l/B,upperdir=/var/lib/docker/overlay2/abc/diff,"
                "workdir=/var/lib/docker/overlay2/abc/work\n";
        CHECK_INT(detect_mountinfo_upperdir(mi, out, sizeof out), 0);
        CHECK_STR(out, "/var/lib/docker/overlay2/abc/diff");
        CHECK_INT(detect_mountinfo_upperdir("22 1 0:21 / / rw - ext4 /dev/sda1 rw\n", out, sizeof out),
                  -ENOENT);
        const char *esc = "1 0 0:1 / / rw - overlay overlay rw,upperdir=/a\\040b/diff\n";
        CHECK_INT(detect_mountinfo_upperdir(esc, out, sizeof out), 0);
        CHECK_STR(out, "/a b/diff");
        CHECK(detect_glob("/etc/*", "/etc/ssh/sshd_config"));
        CHECK(!detect_glob("/etc/*", "/etcx"));
        (void) sock_pids_env;
}

/* ---- alerts ---- */

TEST(alerts_aggregate) {
        char *buf = NULL;
        size_t len = 0;
        FILE *out = open_memstream(&buf, &len);
        REQUIRE(out);
        struct alerts_options o = {.out = out, .window_s = 10, .host = "h1"};
        struct alerts *al = NULL;
        struct diag d;
        diag_init(&d);
        REQUIRE(alerts_new(&o, &d, &al) == 0);
        diag_done(&d);

        struct fixture f = {};
        fx_init(&f);
        static const char *const argv[] = {"cat", "/etc/shadow", NULL};
        struct rt_event e = ev_base(&f, RT_EV_OPEN, 77, 1);
        e.proc.exe = "/bin/cat";
        e.proc.argv = argv;
        struct alert a = {.subject = "/etc/shadow",
                          .observed = "read /etc/shadow",
                          .ev = &e,
                          .user = "root",
                          .time_ns = 1000000000000000000ull};
        alert_from_rule(&a, rt_rules_find(f.rs, "sensitive-file-read"));
        uint64_t s = 1000000000000000000ull, id, count;
        CHECK(!alerts_is_open(al, a.rule_id, f.c->id, a.subject, s));
        CHECK_INT(alerts_emit(al, &a, 7), 0);
        for (int i = 1; i <= 5; i++)
                CHECK_INT(alerts_repeat(al, a.rule_id, f.c->id, a.subject, s + (uint64_t) i * 1000000000ull,
                                        NULL, &id, &count),
                          1);
        CHECK_INT(id, 7);
        CHECK_INT(count, 6);
        /* another subject or container is another incident */
        CHECK_INT(alerts_repeat(al, a.rule_id, f.c->id, "/etc/gshadow", s, NULL, &id, &count), 0);
        CHECK_INT(alerts_repeat(al, a.rule_id, NULL, a.subject, s, NULL, &id, &count), 0);
        fflush(out);
        CHECK_INT(strchr(buf, '\n') == buf + len - 1, 1); /* still one line */
        /* the window passes: closed, with the final count */
        CHECK_INT(alerts_tick(al, s + 30000000000ull), 1);
        CHECK_INT(alerts_repeat(al, a.rule_id, f.c->id, a.subject, s + 31000000000ull, NULL, &id, &count),
                  0);
        alerts_close(al);
        fclose(out);

        /* two lines: the opening (count 1) and the close (count 6), the same incident */
        char *nl = strchr(buf, '\n');
        REQUIRE(nl && strchr(nl + 1, '\n') && !strchr(strchr(nl + 1, '\n') + 1, '\n'));
        *nl = 0;
        json_error_t je;
        json_t *first = json_loads(buf, 0, &je), *last = json_loads(nl + 1, 0, &je);
        REQUIRE(first && last);
        CHECK_INT(json_integer_value(json_object_get(first, "count")), 1);
        CHECK_INT(json_integer_value(json_object_get(last, "count")), 6);
        CHECK_INT(json_integer_value(json_object_get(last, "incident")), 7);
        CHECK_STR(json_string_value(json_object_get(last, "first")), "2001-09-09T01:46:40.000000000Z");
        CHECK_STR(json_string_value(json_object_get(last, "last")), "2001-09-09T01:46:45.000000000Z");
        /* the documented fields */
        CHECK_STR(json_string_value(json_object_get(first, "host")), "h1");
        CHECK_STR(json_string_value(json_object_get(json_object_get(first, "container"), "id")), f.c->id);
        CHECK_STR(json_string_value(json_object_get(json_object_get(first, "rule"), "id")),
                  "sensitive-file-read");
        CHECK_STR(json_string_value(json_object_get(first, "severity")), "high");
        CHECK_STR(json_string_value(json_object_get(json_object_get(first, "mitre"), "technique")),
                  "T1003.008");
        json_t *p = json_object_get(first, "process");
        CHECK_INT(json_integer_value(json_object_get(p, "pid")), 77);
        CHECK_STR(json_string_value(json_object_get(p, "exe")), "/bin/cat");
        CHECK_STR(json_string_value(json_array_get(json_object_get(p, "cmdline"), 1)), "/etc/shadow");
        CHECK_STR(json_string_value(json_object_get(p, "user")), "root");
        CHECK_STR(json_string_value(json_object_get(first, "action")), "alert");
        CHECK_STR(json_string_value(json_object_get(first, "observed")), "read /etc/shadow");
        json_decref(first);
        json_decref(last);
        free(buf);
        fx_done(&f);
}

TEST(alerts_action_change) {
        char *buf = NULL;
        size_t len = 0;
        FILE *out = open_memstream(&buf, &len);
        struct alerts_options o = {.out = out};
        struct alerts *al = NULL;
        REQUIRE(alerts_new(&o, NULL, &al) == 0);
        struct alert a = {.rule_id = "r",
                          .rule_title = "R",
                          .severity = "low",
                          .subject = "s",
                          .observed = "o",
                          .time_ns = 5};
        CHECK_INT(alerts_emit(al, &a, 1), 0);
        uint64_t id, n;
        CHECK_INT(alerts_repeat(al, "r", NULL, "s", 6, "alert", &id, &n), 1);
        CHECK_INT(alerts_repeat(al, "r", NULL, "s", 7, "killed", &id, &n), 1); /* news: written at once */
        fflush(out);
        CHECK(strstr(buf, "\"action\":\"killed\",\"count\":3") != NULL);
        alerts_close(al);
        fclose(out);
        free(buf);
}

/* ---- incidents ---- */

static int count_cb(void *userdata, const struct incident_record *r) {
        size_t *n = userdata;
        (*n)++;
        if (r->id == 1) {
                CHECK_STR(r->rule_id, "drift");
                CHECK_INT(r->count, 4);
                CHECK_STR(r->action, "killed");
                CHECK(r->forensics && strstr(r->forensics, "\"process_tree\""));
        }
        return 0;
}

TEST(incidents_reopen) {
        char dir[] = "/tmp/test-incidents.XXXXXX";
        REQUIRE(mkdtemp(dir));
        struct diag d;
        diag_init(&d);
        struct incident_store *s = NULL;
        REQUIRE(incidents_open(dir, &d, &s) == 0);
        CHECK_INT(incidents_next_id(s), 1);
        struct forensics *fo = NULL;
        REQUIRE(forensics_new(&fo) == 0);
        struct fixture f = {};
        fx_init(&f);
        struct rt_event e = ev_base(&f, RT_EV_EXEC, (uint32_t) getpid(), (uint32_t) getppid());
        forensics_note(fo, &e);
        struct forensics_capture *cap = NULL;
        CHECK_INT(forensics_capture_new(fo, &e, "/proc", &cap), 0);
        struct incident_record rec = {.id = 1,
                                      .first_ns = 1,
                                      .last_ns = 1,
                                      .count = 1,
                                      .rule_id = "drift",
                                      .rule_title = "Drift",
                                      .severity = "high",
                                      .container_id = f.c->id,
                                      .subject = "/tmp/x",
                                      .action = "alert",
                                      .alert = "{}"};
        CHECK_INT(incidents_submit(s, &rec, cap), 0);
        CHECK_INT(incidents_update(s, 1, 4, 9, "killed"), 0);
        rec.id = incidents_next_id(s);
        rec.rule_id = "ptrace";
        CHECK_INT(incidents_submit(s, &rec, NULL), 0);
        incidents_sync(s);
        incidents_close(s);

        /* a restart: ids continue, records are there */
        s = NULL;
        REQUIRE(incidents_open(dir, &d, &s) == 0);
        CHECK_INT(incidents_next_id(s), 3);
        incidents_close(s);
        struct incident_reader *rd = NULL;
        REQUIRE(incidents_reader_open(dir, &d, &rd) == 0);
        size_t n = 0;
        CHECK_INT(incidents_list(rd, 0, count_cb, &n), 0);
        CHECK_INT(n, 2);
        n = 0;
        CHECK_INT(incidents_get(rd, 1, count_cb, &n), 0);
        CHECK_INT(n, 1);
        CHECK_INT(incidents_get(rd, 99, count_cb, &n), -ENOENT);
        incidents_reader_close(rd);
        diag_done(&d);
        forensics_free(fo);
        fx_done(&f);
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        CHECK_INT(system(cmd), 0);
}

TEST(forensics_capture_self) {
        /* this very process: its tree, its fds, a hash of its executable */
        struct fixture f = {};
        fx_init(&f);
        struct forensics *fo = NULL;
        REQUIRE(forensics_new(&fo) == 0);
        for (int i = 0; i < INCIDENTS_RING + 5; i++) {
                struct rt_event e = ev_base(&f, RT_EV_FORK, (uint32_t) i, 1);
                forensics_note(fo, &e);
        }
        struct rt_event e = ev_base(&f, RT_EV_OPEN, (uint32_t) getpid(), (uint32_t) getppid());
        struct forensics_capture *cap = NULL;
        REQUIRE(forensics_capture_new(fo, &e, "/proc", &cap) == 0);
        char *doc = forensics_capture_finish(cap);
        forensics_capture_free(cap);
        REQUIRE(doc);
        json_t *j = json_loads(doc, 0, NULL);
        REQUIRE(j);
        json_t *tree = json_object_get(j, "process_tree");
        CHECK(json_array_size(tree) >= 1);
        CHECK_INT(json_integer_value(json_object_get(json_array_get(tree, 0), "pid")), getpid());
        const char *h = json_string_value(json_object_get(json_array_get(tree, 0), "sha256"));
        CHECK(h && strlen(h) == 64);
        CHECK(json_array_size(json_object_get(j, "open_files")) >= 3);
        CHECK_INT(json_array_size(json_object_get(j, "events")), INCIDENTS_RING); /* the ring's bound */
        /* oldest first: the first 5 were overwritten */
        CHECK_INT(
                json_integer_value(json_object_get(json_array_get(json_object_get(j, "events"), 0), "pid")),
                5);
        json_decref(j);
        free(doc);
        forensics_free(fo);
        fx_done(&f);
}
