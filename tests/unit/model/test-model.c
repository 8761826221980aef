/* SPDX-License-Identifier: Apache-2.0 */
/* Behaviour models (runtime/model.h) and the control socket (runtime/control.h): path collapsing,
 * pattern matching, learning and the learn → monitor transition, scoring (novelty, rarity, replica
 * disagreement), protect-mode verdicts and the exec/connect checks, persistence across reopen, atomic
 * apply of ImageProfile YAML, and the socket's limits. */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "core/json-util.h"
#include "runtime/control.h"
#include "runtime/model.h"
#include "tests.h"

#define IMG "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define T0  1800000000000ULL /* ms */

static char *tmpdir(void) {
        char t[] = "/tmp/stockade-model-XXXXXX";
        char *d = mkdtemp(t);
        return d ? strdup(d) : NULL;
}

static void rmrf(const char *d) {
        char cmd[512];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
        if (system(cmd) != 0)
                fprintf(stderr, "cannot remove %s\n", d);
}

static struct rt_container ctr_a = {.id = "aaaaaaaaaaaa0000000000000000000000000000000000000000000000000000",
                                    .image = (char *) "demo:1",
                                    .image_id = (char *) IMG};
static struct rt_container ctr_b = {.id = "bbbbbbbbbbbb0000000000000000000000000000000000000000000000000000",
                                    .image = (char *) "demo:1",
                                    .image_id = (char *) IMG};

static struct rt_event exec_ev(struct rt_container *c, uint64_t ms, uint32_t pid, uint32_t ppid,
                               const char *exe, const char *parent) {
        struct rt_event e = {.type = RT_EV_EXEC, .time_ns = ms * 1000000, .container = c};
        e.proc.pid = pid;
        e.proc.ppid = ppid;
        e.u.exec.exe = exe;
        e.u.exec.filename = exe;
        e.u.exec.parent_exe = parent;
        return e;
}

static struct rt_event open_ev(struct rt_container *c, uint64_t ms, const char *path, unsigned access) {
        struct rt_event e = {.type = RT_EV_OPEN, .time_ns = ms * 1000000, .container = c};
        e.u.file.path = path;
        e.u.file.access = access;
        return e;
}

static struct rt_event connect_ev(struct rt_container *c, uint64_t ms, const char *ip, uint16_t port) {
        struct rt_event e = {.type = RT_EV_CONNECT, .time_ns = ms * 1000000, .container = c};
        e.u.net.protocol = IPPROTO_TCP;
        e.u.net.sock_type = SOCK_STREAM;
        e.u.net.remote.family = AF_INET;
        e.u.net.remote.port = port;
        inet_pton(AF_INET, ip, e.u.net.remote.addr);
        return e;
}

TEST(collapse_path) {
        static const struct {
                const char *in, *out;
        } cases[] = {
                {"/proc/1234/status", "/proc/*/status"},
                {"/proc/self/fd/7", "/proc/*/fd/*"},
                {"/proc/thread-self/attr/current", "/proc/*/attr/current"},
                {"/proc/sys/kernel/hostname", "/proc/sys/kernel/hostname"},
                {"/tmp/tmp.aB3dE9", "/tmp/tmp.*"},
                {"/tmp/tmp.XyzQwe", "/tmp/tmp.*"},
                {"/var/log/app.2024-01-15.log", "/var/log/app.*-*-*.log"},
                {"/data/cache/deadbeef12345678.bin", "/data/cache/*.bin"},
                {"/run/secrets/aGVsbG8gd29ybGQ9PQx1", "/run/secrets/*"},
                {"/etc/nginx/nginx.conf", "/etc/nginx/nginx.conf"},
                {"/usr/lib/libc.so.6", "/usr/lib/libc.so.*"},
                {"/usr/bin/python3", "/usr/bin/python3"},
                {"/dev/pts/3", "/dev/pts/*"},
                {"//etc///passwd", "/etc/passwd"},
                {"/home/deadbeef/x", "/home/deadbeef/x"}, /* 8 hex letters without a digit: a word */
        };
        char out[4096];
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                model_collapse_path(cases[i].in, out, sizeof out);
                CHECK_STR(out, cases[i].out);
        }
        char small[8];
        model_collapse_path("/very/long/path", small, sizeof small);
        CHECK_INT(strlen(small), 7);
}

TEST(pattern_match) {
        CHECK(model_pattern_match("/tmp/*", "/tmp/x"));
        CHECK(!model_pattern_match("/tmp/*", "/tmp/x/y"));
        CHECK(model_pattern_match("/proc/*/status", "/proc/42/status"));
        CHECK(model_pattern_match("/var/log/app.*.log", "/var/log/app.1.log"));
        CHECK(!model_pattern_match("/var/log/app.*.log", "/var/log/app.1.txt"));
        CHECK(model_pattern_match("/etc/hostname", "/etc/hostname"));
        CHECK(!model_pattern_match("/etc/hostname", "/etc/hostnames"));
        CHECK(model_pattern_match("*", "abc"));
        CHECK(!model_pattern_match("*", "a/b"));
}

static struct model_registry *open_reg(const char *dir) {
        struct model_options o = {.learn_for_ms = 10000, .stability_ms = 5000};
        struct diag d;
        struct model_registry *reg = NULL;
        diag_init(&d);
        int r = model_registry_open(dir, &o, &d, &reg);
        if (r < 0)
                fprintf(stderr, "open: %s\n", d.error);
        diag_done(&d);
        return reg;
}

/* Learns: sh → app, app reads its config, connects to 10.0.0.7:5432. */
static void learn_workload(struct model_registry *reg, struct rt_container *c, uint64_t t) {
        struct rt_event e;
        e = exec_ev(c, t, 100, 1, "/bin/sh", "/usr/bin/containerd-shim");
        model_observe(reg, &e, NULL);
        e = exec_ev(c, t, 101, 100, "/usr/bin/app", "/bin/sh");
        model_observe(reg, &e, NULL);
        e = open_ev(c, t, "/etc/app.conf", RT_ACCESS_READ);
        model_observe(reg, &e, NULL);
        e = connect_ev(c, t, "10.0.0.7", 5432);
        model_observe(reg, &e, NULL);
}

TEST(learn_then_monitor) {
        _cleanup_free_ char *dir = tmpdir();
        REQUIRE(dir);
        struct model_registry *reg = open_reg(dir);
        REQUIRE(reg);
        struct model_verdict v;
        enum model_mode mode;

        learn_workload(reg, &ctr_a, T0);
        CHECK_INT(model_get_mode(reg, IMG, &mode), 0);
        CHECK_INT(mode, MODEL_LEARN);
        /* during learning nothing deviates */
        struct rt_event e = exec_ev(&ctr_a, T0 + 100, 102, 100, "/usr/bin/nc", "/bin/sh");
        CHECK_INT(model_observe(reg, &e, &v), 0);
        CHECK(!v.deviation);
        CHECK(model_exec_allowed(reg, IMG, "/usr/bin/nc"));

        /* the model grew at T0+100: not before learn_for (10 s), and not before 5 s without growth */
        CHECK_INT(model_tick(reg, T0 + 4000, false), 0);
        learn_workload(reg, &ctr_a, T0 + 9000); /* repeats: no growth */
        CHECK_INT(model_tick(reg, T0 + 9500, false), 0);
        CHECK_INT(model_tick(reg, T0 + 10000, false), 1);
        CHECK_INT(model_get_mode(reg, IMG, &mode), 0);
        CHECK_INT(mode, MODEL_MONITOR);

        /* known behaviour: quiet */
        e = exec_ev(&ctr_a, T0 + 20000, 200, 100, "/usr/bin/app", "/bin/sh");
        model_observe(reg, &e, &v);
        CHECK(!v.deviation);
        e = open_ev(&ctr_a, T0 + 20000, "/etc/app.conf", RT_ACCESS_READ);
        model_observe(reg, &e, &v);
        CHECK(!v.deviation);

        /* the container runtime's own work is not the image's: runc's opens, the shim as a parent */
        e = open_ev(&ctr_a, T0 + 20000, "/var/lib/docker/overlay2/x/merged/dev", RT_ACCESS_READ);
        e.proc.exe = "/usr/sbin/runc";
        model_observe(reg, &e, &v);
        CHECK(!v.deviation);
        e = exec_ev(&ctr_a, T0 + 20000, 202, 1, "/bin/sh", "/usr/bin/containerd-shim-runc-v2");
        model_observe(reg, &e, &v);
        CHECK(!v.deviation); /* learned under "/usr/bin/containerd-shim": both are "started from outside" */

        /* a new executable: a process deviation, alerted, not blocked in monitor */
        e = exec_ev(&ctr_a, T0 + 20000, 201, 101, "/usr/bin/curl", "/usr/bin/app");
        model_observe(reg, &e, &v);
        CHECK(v.deviation);
        CHECK_INT(v.kind, MODEL_KIND_PROCESS);
        CHECK_STR(v.rule_id, "model.process");
        CHECK_INT(v.mode, MODEL_MONITOR);
        CHECK(!v.block);
        CHECK(v.score >= MODEL_THRESHOLD_DEFAULT && v.score <= 1.0);
        CHECK(v.novelty == 1.0);
        CHECK_STR(v.image, IMG);
        CHECK(strstr(v.observed, "/usr/bin/curl") != NULL);
        CHECK(strstr(v.expected, "children of /usr/bin/app") != NULL);
        CHECK(model_exec_allowed(reg, IMG, "/usr/bin/curl"));

        /* a write to a file only read: a file deviation; a new network: a network deviation */
        e = open_ev(&ctr_a, T0 + 20000, "/etc/app.conf", RT_ACCESS_WRITE);
        model_observe(reg, &e, &v);
        CHECK(v.deviation);
        CHECK_STR(v.rule_id, "model.file");
        CHECK(v.novelty == 0.5);
        CHECK(strstr(v.observed, "write /etc/app.conf") != NULL);
        e = connect_ev(&ctr_a, T0 + 20000, "203.0.113.9", 4444);
        model_observe(reg, &e, &v);
        CHECK(v.deviation);
        CHECK_STR(v.rule_id, "model.network");
        CHECK(v.novelty == 1.0);
        e = connect_ev(&ctr_a, T0 + 20000, "10.0.0.99", 5432); /* same /24, same port: inside the model */
        model_observe(reg, &e, &v);
        CHECK(!v.deviation);

        /* protect: exec and connect outside the model are to be blocked */
        CHECK_INT(model_set_mode(reg, IMG, MODEL_PROTECT), 0);
        CHECK(!model_exec_allowed(reg, IMG, "/usr/bin/curl"));
        CHECK(model_exec_allowed(reg, IMG, "/usr/bin/app"));
        CHECK(model_exec_allowed(reg, "sha256:unknown", "/usr/bin/curl"));
        uint8_t a[16] = {0};
        inet_pton(AF_INET, "10.0.0.8", a);
        CHECK(model_connect_allowed(reg, IMG, AF_INET, a, 5432, IPPROTO_TCP));
        CHECK(!model_connect_allowed(reg, IMG, AF_INET, a, 22, IPPROTO_TCP));
        e = exec_ev(&ctr_a, T0 + 30000, 300, 101, "/usr/bin/wget", "/usr/bin/app");
        model_observe(reg, &e, &v);
        CHECK(v.deviation && v.block && v.mode == MODEL_PROTECT);
        e = connect_ev(&ctr_a, T0 + 30000, "198.51.100.1", 3333);
        model_observe(reg, &e, &v);
        CHECK(v.deviation && v.block);

        /* events without a container, or of an incomplete one, are ignored */
        e = exec_ev(NULL, T0, 5, 1, "/bin/x", "/bin/y");
        model_observe(reg, &e, &v);
        CHECK(!v.deviation);
        model_registry_free(reg);
        rmrf(dir);
}

TEST(auto_protect) {
        _cleanup_free_ char *dir = tmpdir();
        REQUIRE(dir);
        struct model_options o = {.learn_for_ms = 1000, .stability_ms = 1000, .auto_protect = true};
        struct diag d;
        struct model_registry *reg = NULL;
        diag_init(&d);
        REQUIRE(model_registry_open(dir, &o, &d, &reg) >= 0);
        diag_done(&d);
        learn_workload(reg, &ctr_a, T0);
        CHECK_INT(model_tick(reg, T0 + 2000, false), 1);
        enum model_mode mode;
        CHECK_INT(model_get_mode(reg, IMG, &mode), 0);
        CHECK_INT(mode, MODEL_PROTECT);
        model_registry_free(reg);
        rmrf(dir);
}

TEST(scoring) {
        _cleanup_free_ char *dir = tmpdir();
        REQUIRE(dir);
        struct model_registry *reg = open_reg(dir);
        REQUIRE(reg);
        struct model_verdict v1, v2, v3;
        learn_workload(reg, &ctr_a, T0);
        CHECK_INT(model_set_mode(reg, IMG, MODEL_MONITOR), 0);

        /* replica disagreement: the first replica doing something new scores full, a sibling doing the
         * same within the window less */
        struct rt_event e = exec_ev(&ctr_a, T0 + 1000, 400, 101, "/usr/bin/curl", "/usr/bin/app");
        model_observe(reg, &e, &v1);
        e = exec_ev(&ctr_b, T0 + 1500, 500, 501, "/usr/bin/curl", "/usr/bin/app");
        model_observe(reg, &e, &v2);
        CHECK(v1.deviation);
        CHECK(v1.disagreement == 1.0);
        CHECK(v2.disagreement == 0.5);
        CHECK(v2.score < v1.score);
        /* the same replica again: still no sibling did it besides b */
        e = exec_ev(&ctr_b, T0 + 200000, 501, 501, "/usr/bin/curl", "/usr/bin/app");
        model_observe(reg, &e, &v3);
        CHECK(v3.disagreement == 1.0); /* outside the window */
        CHECK_INT(v3.repeats, 0);
        e = exec_ev(&ctr_b, T0 + 200500, 501, 501, "/usr/bin/curl", "/usr/bin/app");
        model_observe(reg, &e, &v3);
        CHECK_INT(v3.repeats, 1); /* the same container again within the window */
        e = exec_ev(&ctr_b, T0 + 201000, 501, 501, "/usr/bin/curl", "/usr/bin/app");
        model_observe(reg, &e, &v3);
        CHECK_INT(v3.repeats, 2);

        /* rarity: a known executable under a new parent is less novel than a new executable */
        e = exec_ev(&ctr_a, T0 + 300000, 600, 1, "/usr/bin/app", "/usr/bin/containerd-shim");
        model_observe(reg, &e, &v1);
        CHECK(v1.deviation);
        CHECK(v1.novelty == 0.6);
        CHECK(v1.rarity >= 0.5 && v1.rarity <= 1.0);

        /* rarity grows with what the model has seen: a model with many observations finds a new edge rarer
         */
        model_set_mode(reg, IMG, MODEL_LEARN);
        for (int i = 0; i < 500; i++) {
                e = exec_ev(&ctr_a, T0 + 400000, 700, 100, "/usr/bin/app", "/bin/sh");
                model_observe(reg, &e, NULL);
        }
        model_set_mode(reg, IMG, MODEL_MONITOR);
        e = exec_ev(&ctr_a, T0 + 500000, 800, 101, "/usr/bin/ssh", "/usr/bin/app");
        model_observe(reg, &e, &v2);
        CHECK(v2.rarity > v3.rarity);
        model_registry_free(reg);
        rmrf(dir);
}

TEST(directory_fanout) {
        _cleanup_free_ char *dir = tmpdir();
        REQUIRE(dir);
        struct model_registry *reg = open_reg(dir);
        REQUIRE(reg);
        char p[64];
        for (int i = 0; i < MODEL_DIR_FANOUT + 8; i++) {
                snprintf(p, sizeof p, "/srv/files/name-%c%c", 'a' + i % 26, 'a' + i / 26);
                struct rt_event e = open_ev(&ctr_a, T0, p, RT_ACCESS_READ);
                model_observe(reg, &e, NULL);
        }
        struct model_summary *s = NULL;
        CHECK_INT(model_list(reg, &s), 1);
        CHECK(s && s[0].files <= 8); /* merged into /srv/files/ * */
        free(s);
        model_set_mode(reg, IMG, MODEL_MONITOR);
        struct model_verdict v;
        struct rt_event e = open_ev(&ctr_a, T0 + 1, "/srv/files/never-seen", RT_ACCESS_READ);
        model_observe(reg, &e, &v);
        CHECK(!v.deviation);
        e = open_ev(&ctr_a, T0 + 1, "/srv/other", RT_ACCESS_READ);
        model_observe(reg, &e, &v);
        CHECK(v.deviation);
        _cleanup_(buf_free) struct buf y = BUF_INIT(0);
        CHECK_INT(model_export_yaml(reg, IMG, &y), 0);
        CHECK(y.data && strstr(y.data, "path: /srv/files/*") != NULL);
        model_registry_free(reg);
        rmrf(dir);
}

static char *export(struct model_registry *reg) {
        _cleanup_(buf_free) struct buf y = BUF_INIT(0);
        if (model_export_yaml(reg, IMG, &y) < 0)
                return NULL;
        return buf_steal(&y);
}

TEST(persistence) {
        _cleanup_free_ char *dir = tmpdir(), *before = NULL, *after = NULL;
        REQUIRE(dir);
        struct model_registry *reg = open_reg(dir);
        REQUIRE(reg);
        learn_workload(reg, &ctr_a, T0);
        CHECK_INT(model_set_mode(reg, IMG, MODEL_PROTECT), 0);
        learn_workload(reg, &ctr_a, T0 + 5); /* counts only, written by the flush at close */
        before = export(reg);
        model_registry_free(reg);

        reg = open_reg(dir);
        REQUIRE(reg);
        after = export(reg);
        REQUIRE(before && after);
        CHECK_STR(after, before);
        CHECK(strstr(after, "mode: protect") != NULL);
        CHECK(!model_exec_allowed(reg, IMG, "/usr/bin/curl"));
        char key[256];
        CHECK_INT(model_find(reg, "demo:1", key, sizeof key), 0);
        CHECK_STR(key, IMG);
        CHECK_INT(model_find(reg, "111111111111", key, sizeof key), 0);
        CHECK_INT(model_find(reg, "sha256:111111111111", key, sizeof key), 0);
        CHECK_INT(model_find(reg, "11111", key, sizeof key), -ENOENT); /* too short a prefix */
        CHECK_INT(model_find(reg, "other:1", key, sizeof key), -ENOENT);
        model_registry_free(reg);

        /* a database from a newer stockade is refused, not misread */
        char cmd[512];
        snprintf(cmd, sizeof cmd, "sqlite3 '%s/models.db' 'PRAGMA user_version=99' 2>/dev/null", dir);
        if (system(cmd) == 0) {
                struct diag d;
                struct model_registry *r2 = NULL;
                diag_init(&d);
                CHECK_INT(model_registry_open(dir, NULL, &d, &r2), -EPROTONOSUPPORT);
                CHECK(strstr(d.error, "schema version 99") != NULL);
                diag_done(&d);
        }
        rmrf(dir);
}

static int apply(struct model_registry *reg, const char *yaml, char *err, size_t errlen) {
        struct diag d;
        diag_init(&d);
        int r = model_apply_yaml(reg, yaml, strlen(yaml), "p.yaml", &d, NULL, 0);
        snprintf(err, errlen, "%s", d.error);
        diag_done(&d);
        return r;
}

TEST(apply_atomic) {
        _cleanup_free_ char *dir = tmpdir(), *before = NULL, *now = NULL;
        REQUIRE(dir);
        struct model_registry *reg = open_reg(dir);
        REQUIRE(reg);
        learn_workload(reg, &ctr_a, T0);
        before = export(reg);
        REQUIRE(before);
        char err[1024];
        static const struct {
                const char *yaml, *error;
        } bad[] = {
                {"apiVersion: stockade/v1\nkind: ImageProfile\nmetadata:\n  image: " IMG
                 "\nspec:\n  mode: monitor\n  processes:\n    - exe: /bin/sh\n      uid: -1\n",
                 "p.yaml:9:12: process: 'uid' must be a whole number"},
                {"apiVersion: stockade/v1\nkind: ImageProfile\nmetadata:\n  image: " IMG
                 "\nspec:\n  mode: protect\n  files:\n    - path: /etc/x\n      access: [read, fly]\n",
                 "p.yaml:9:22: file: access must be"},
                {"apiVersion: stockade/v1\nkind: ImageProfile\nmetadata:\n  image: " IMG
                 "\nspec:\n  modes: protect\n",
                 "p.yaml:6:3: spec: unknown key 'modes'"},
                {"apiVersion: stockade/v2\n", "p.yaml:1:13: apiVersion must be stockade/v1"},
                {"apiVersion: stockade/v1\nkind: ImageProfile\nmetadata: {image: " IMG
                 "}\nspec:\n  network:\n"
                 "    outbound:\n      - {protocol: tcp, peer: 10.0.0.1/24, port: 80}\n",
                 "p.yaml:7:31: outbound: peer must be"},
                {"apiVersion: stockade/v1\nkind: ImageProfile\nmetadata: {image: " IMG "}\nspec:\n  edges:\n"
                 "    - {parent: /a, exe: /b}\n    - {parent: /a, exe: /b}\n",
                 "p.yaml:7:7: edge: duplicate entry"},
                {"a: &x 1\nb: *x\n", "p.yaml:1:4: YAML anchors are not allowed"},
                {"apiVersion: stockade/v1\nkind: [\n", "p.yaml:3:1:"},
                {"", "p.yaml:1:1: empty document"},
                {"apiVersion: stockade/v1\napiVersion: stockade/v1\n",
                 "p.yaml:2:1: the document: duplicate key"},
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                CHECK(apply(reg, bad[i].yaml, err, sizeof err) < 0);
                if (!strneq(err, bad[i].error, strlen(bad[i].error))) {
                        fputs(err, stderr);
                        fputs(" <- got; want -> ", stderr);
                        fputs(bad[i].error, stderr);
                        fputc('\n', stderr);
                        tests_failed_checks++;
                }
                free(now);
                now = export(reg);
                CHECK_STR(now, before); /* nothing changed */
        }

        /* the export applies back unchanged (round trip), and an edited one replaces the model */
        CHECK_INT(apply(reg, before, err, sizeof err), 0);
        free(now);
        now = export(reg);
        REQUIRE(now);
        CHECK(strstr(now, "exe: /usr/bin/app") != NULL);
        CHECK(strstr(now, "peer: 10.0.0.0/24") != NULL);
        CHECK_INT(apply(reg,
                        "apiVersion: stockade/v1\nkind: ImageProfile\nmetadata: {image: " IMG "}\nspec:\n"
                        "  mode: protect\n  processes: [{exe: /bin/only}]\n",
                        err, sizeof err),
                  0);
        CHECK(model_exec_allowed(reg, IMG, "/bin/only"));
        CHECK(!model_exec_allowed(reg, IMG, "/usr/bin/app"));
        model_registry_free(reg);
        /* and it persisted */
        reg = open_reg(dir);
        REQUIRE(reg);
        CHECK(!model_exec_allowed(reg, IMG, "/usr/bin/app"));
        CHECK(model_exec_allowed(reg, IMG, "/bin/only"));
        model_registry_free(reg);
        rmrf(dir);
}

TEST(hostile_names) {
        _cleanup_free_ char *dir = tmpdir(), *y = NULL;
        REQUIRE(dir);
        struct model_registry *reg = open_reg(dir);
        REQUIRE(reg);
        struct rt_event e = exec_ev(&ctr_a, T0, 10, 1,
                                    "/tmp/\xff\xfe\x1f"
                                    "evil\n",
                                    "/bin/\xc0\xaf");
        model_observe(reg, &e, NULL);
        e = open_ev(&ctr_a, T0, "/tmp/a\tb\x1f\x80\xe2\x82\xac", RT_ACCESS_WRITE);
        model_observe(reg, &e, NULL);
        y = export(reg);
        REQUIRE(y);
        CHECK(strstr(y, "/tmp/???evil?") != NULL);
        CHECK(strstr(y, "/tmp/a?b??\xe2\x82\xac") !=
              NULL); /* tab, US, a lone continuation byte: ?; € kept */
        char err[1024];
        CHECK_INT(apply(reg, y, err, sizeof err), 0); /* exports apply back */
        CHECK(model_exec_allowed(reg, IMG,
                                 "/tmp/\xff\xfe\x1f"
                                 "evil\n")); /* learn mode */
        model_set_mode(reg, IMG, MODEL_PROTECT);
        CHECK(model_exec_allowed(reg, IMG,
                                 "/tmp/\xff\xfe\x1f"
                                 "evil\n")); /* the same raw name */
        CHECK(!model_exec_allowed(reg, IMG, "/tmp/other"));
        model_registry_free(reg);
        rmrf(dir);
}

static int echo_handler(void *userdata, json_t *args, json_t **ret, struct diag *d) {
        if (json_get_bool(args, "fail", false))
                return diag_error(d, -EINVAL, "asked to fail");
        *ret = json_incref(args);
        return 0;
}

static json_t *dispatch(struct control *c, const char *line) {
        _cleanup_(buf_free) struct buf out = BUF_INIT(0);
        json_t *j = NULL;
        if (control_dispatch(c, line, strlen(line), &out) < 0 || !out.len || out.data[out.len - 1] != '\n')
                return NULL;
        j = json_loadb(out.data, out.len, 0, NULL);
        return j;
}

TEST(control_dispatch) {
        struct control *c = NULL;
        REQUIRE(control_new(&c) >= 0);
        CHECK_INT(control_register(c, "test.echo", echo_handler, NULL), 0);
        CHECK_INT(control_register(c, "test.echo", echo_handler, NULL), -EEXIST);
        CHECK_INT(control_register(c, "Bad Name", echo_handler, NULL), -EINVAL);
        json_t *j = dispatch(c, "{\"cmd\":\"test.echo\",\"args\":{\"x\":1}}\n");
        CHECK(j && json_get_bool(j, "ok", false) &&
              json_integer_value(json_object_get(json_object_get(j, "result"), "x")) == 1);
        json_decref(j);
        static const struct {
                const char *req, *error;
        } bad[] = {
                {"{\"cmd\":\"nope\"}", "unknown command 'nope'"},
                {"not json", "request is not valid JSON"},
                {"[1,2]", "request: 'cmd'"},
                {"{\"cmd\":\"test.echo\",\"args\":[1]}", "request: 'args' must be an object"},
                {"{\"cmd\":\"test.echo\",\"args\":{\"fail\":true}}", "asked to fail"},
                {"{\"cmd\":\"test.echo\",\"cmd\":\"x\"}", "request is not valid JSON"},
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                j = dispatch(c, bad[i].req);
                CHECK(j && !json_get_bool(j, "ok", true));
                const char *e = json_get_str(j, "error");
                CHECK(e && strstr(e, bad[i].error));
                json_decref(j);
        }
        control_free(c);
}

TEST(control_socket) {
        _cleanup_free_ char *dir = tmpdir();
        REQUIRE(dir);
        char path[256];
        snprintf(path, sizeof path, "%s/run/agent.sock", dir);
        struct control *c = NULL, *c2 = NULL;
        struct diag d;
        REQUIRE(control_new(&c) >= 0);
        CHECK_INT(control_register(c, "test.echo", echo_handler, NULL), 0);
        diag_init(&d);
        REQUIRE(control_start(c, path, &d) >= 0);
        diag_done(&d);
        struct stat st;
        CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);

        /* a second server on the same path is refused while the first lives */
        REQUIRE(control_new(&c2) >= 0);
        diag_init(&d);
        CHECK_INT(control_start(c2, path, &d), -EADDRINUSE);
        diag_done(&d);
        control_free(c2);

        json_t *args = json_pack("{s:s}", "hello", "world"), *res = NULL;
        diag_init(&d);
        CHECK_INT(control_call(path, "test.echo", args, 5000, &res, &d), 0);
        CHECK_STR(json_get_str(res, "hello"), "world");
        json_decref(res);
        res = NULL;
        CHECK_INT(control_call(path, "test.nope", args, 5000, &res, &d), -EREMOTEIO);
        CHECK(strstr(d.error, "unknown command"));
        diag_done(&d);
        json_decref(args);

        /* the client refuses to send a request over the cap */
        size_t big = CONTROL_MAX_REQUEST + 100;
        char *s = malloc(big + 1);
        REQUIRE(s);
        memset(s, 'x', big);
        s[big] = 0;
        args = json_pack("{s:s}", "pad", s);
        diag_init(&d);
        CHECK_INT(control_call(path, "test.echo", args, 5000, &res, &d), -E2BIG);
        diag_done(&d);
        json_decref(args);

        /* the server answers a line over the cap with an error and closes the connection */
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        REQUIRE(strlen(path) < sizeof sa.sun_path);
        memcpy(sa.sun_path, path, strlen(path) + 1);
        REQUIRE(fd >= 0 && connect(fd, (struct sockaddr *) &sa, sizeof sa) == 0);
        size_t sent = 0;
        while (sent < big) {
                ssize_t w = send(fd, s + sent, big - sent, MSG_NOSIGNAL);
                if (w <= 0)
                        break; /* the server closed after answering */
                sent += (size_t) w;
        }
        char resp[512] = "";
        size_t got = 0;
        ssize_t n;
        while (got + 1 < sizeof resp && (n = recv(fd, resp + got, sizeof resp - 1 - got, 0)) > 0)
                got += (size_t) n;
        resp[got] = 0;
        CHECK(strstr(resp, "request larger than") != NULL);
        close(fd);
        free(s);

        /* several requests on one connection, the last without its newline */
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        REQUIRE(fd >= 0 && connect(fd, (struct sockaddr *) &sa, sizeof sa) == 0);
        const char *two =
                "{\"cmd\":\"test.echo\",\"args\":{\"n\":1}}\n{\"cmd\":\"test.echo\",\"args\":{\"n\":2}}";
        CHECK(send(fd, two, strlen(two), MSG_NOSIGNAL) == (ssize_t) strlen(two));
        shutdown(fd, SHUT_WR);
        got = 0;
        while (got + 1 < sizeof resp && (n = recv(fd, resp + got, sizeof resp - 1 - got, 0)) > 0)
                got += (size_t) n;
        resp[got] = 0;
        CHECK(strstr(resp, "\"n\":1") && strstr(resp, "\"n\":2"));
        close(fd);

        control_free(c);
        CHECK(stat(path, &st) < 0); /* removed at exit */
        diag_init(&d);
        CHECK_INT(control_call(path, "test.echo", NULL, 1000, &res, &d), -ENOENT);
        diag_done(&d);
        rmrf(dir);
}
