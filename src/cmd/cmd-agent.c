/* SPDX-License-Identifier: Apache-2.0 */
/* stockade agent: the host defender. The runtime sensor and the container resolver feed the pipeline:
 *   event → built-in detectors (rules/runtime.yaml) → incident (aggregated alert, forensics) → response
 * per rule and mode (kill, deny exec through the fanotify exec guard, deny connect through the cgroup
 * connect hook, pause). Events as JSON lines (--events), alerts as JSON lines (--alerts, --syslog),
 * incidents in STATE/incidents.db; the sensor's hooks and drop counters on stderr. */

#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "hashmap.h"
#include "runtime/alerts.h"
#include "runtime/control.h"
#include "runtime/detect.h"
#include "runtime/incidents.h"
#include "runtime/model.h"
#include "runtime/monitor.h"
#include "netpol/engine.h" /* netpol: network micro-perimeters */
#include "runtime/respond.h"
#include "runtime/rules.h"

/* --open-repeat-window's default: a process re-reading a file it read a second ago tells nothing new */
#define AGENT_OPEN_REPEAT_NS (1000u * 1000000u)

struct agent {
        struct monitor *m;
        bool events;
        bool quiet;
        const char *stats_file;
        char host[256];
        struct buf line;
        bool out_failed;
        uint64_t last_drops;
        unsigned stats_interval; /* seconds, 0: only at exit */
        unsigned ticks;

        /* detection and response (active with --alerts, --syslog or --state) */
        bool detecting;
        enum rt_mode default_mode;
        const char *docker_host;
        struct rt_rules *rules;
        struct detector *det;
        struct alerts *alerts;
        struct incident_store *incidents;
        struct forensics *forensics;
        uint64_t next_incident; /* without a store */
        struct exec_guard *guard;
        struct enforcer *enforcer;
        struct hashmap *protected_containers; /* id → struct guarded (exec guard, connect deny set up) */
        uint64_t alerted_drops;
        uint64_t kills, kill_misses, pauses;
        uint64_t kill_ns[4096]; /* detection → kill sent: from the kernel's event time (ring) */
        size_t n_kill_ns;
        uint64_t seen_ns[4096]; /* kernel event → finding in the pipeline (ring) */
        size_t n_seen_ns;
        struct guarded *retired;
        bool stopped_now;
        /* the current finding's process was stopped before its evidence was taken */ /* of
                                                                                         containers
                                                                                         that ended:
                                                                                         freed once
                                                                                         no exec
                                                                                         request can
                                                                                         hold them */
        struct model_registry *models; /* behaviour models (model.h) */
        struct control *ctl;           /* the control socket (control.h) */
        struct np_engine *netpol;      /* netpol: --netpol DIR */
};

/* What the exec guard's threads see of a protected container. */
struct guarded {
        char id[65];
        char model[256];  /* its image's model key ("" when unknown) */
        char upper[4096]; /* its writable layer ("" when unknown) */
        struct model_registry *models;
        uint64_t cgroup_id; /* where the connect hook is attached, 0: not */
        struct guarded *next_retired;
        uint64_t retired_ms;
};

static struct monitor *volatile signal_monitor;

static void on_signal(int sig) {
        struct monitor *m = signal_monitor;
        if (m)
                monitor_stop(m); /* an eventfd write: async-signal-safe */
}

static void help(void) {
        printf("Usage: %s agent [OPTIONS]\n"
               "\n"
               "Watch what every container on this host does, from the kernel (eBPF): process\n"
               "exec/fork/exit, identity changes, file opens/renames/removals/mode changes, network\n"
               "connect/accept/bind/listen, and sensitive calls (ptrace, mount, unshare, setns,\n"
               "module loading, memfd_create, bpf). Events are attributed to their container\n"
               "(id, name, image, image digest) through the Docker engine. Needs root.\n"
               "\n"
               "Options:\n"
               "      --events            print every event as a JSON line on standard output\n"
               "      --host              include host (non-container) activity\n"
               "      --duration SECONDS  stop after this long (default: until SIGINT/SIGTERM)\n"
               "      --docker-host URL   engine socket (default $DOCKER_HOST or /var/run/docker.sock)\n"
               "      --ringbuf-size SIZE kernel ring buffer, a power of two (default 8M)\n"
               "      --open-repeat-window DURATION\n"
               "                          an open that repeats one the same process image made of\n"
               "                          the same file with the same flags within DURATION is\n"
               "                          counted (open_repeats), not recorded (default 1s; 0: record\n"
               "                          every open)\n"
               "      --no-ia32           per-syscall tracepoints instead of the raw sys_exit hook:\n"
               "                          cheaper for every syscall nobody watches, blind to 32-bit\n"
               "                          (int 0x80) syscalls\n"
               "      --stats-interval S  print counters every S seconds (default 10; 0: only at exit)\n"
               "      --stats-file FILE   also write the counters as JSON to FILE (replaced atomically)\n"
               "      --state DIR         behaviour models (models.db) and incidents (incidents.db) in DIR\n"
               "                          (default /var/lib/stockade)\n"
               "      --learn-for DURATION  learn each image at least this long (default 30m),\n"
               "      --stability DURATION  and until its model did not grow for this long (10m)\n"
               "      --auto-protect      learning ends in protect mode (default: monitor)\n"
               "      --socket PATH       control socket for 'stockade policy' (default\n"
               "                          /run/stockade/agent.sock)\n"
               "      --alerts FILE       detect: alerts as JSON lines to FILE ('-': standard output);\n"
               "                          see stockade-alerts(5)\n"
               "      --syslog            detect: alerts to syslog too (facility daemon)\n"
               "      --rules FILE        detect with these rules instead of the built-in runtime.yaml\n"
               "      --default-mode MODE learn, monitor (default) or protect: the least mode the built-in\n"
               "                          rules act in (an image's model may be stricter)\n"
               "      --alert-window S    repeats within S seconds add to one incident (default 60)\n"
               "      --no-response       detect and alert, never kill, deny or pause\n"
               "      --netpol DIR        learn the connection graph and enforce DIR/policy.yaml in\n"
               "                          every container's network namespace (stockade-netpol(5))\n"
               "  -q, --quiet             no hook listing and no periodic counters\n"
               "  -h, --help              show this help\n"
               "\n"
               "Examples:\n"
               "  %s agent --events\n"
               "  %s agent --events --duration 60 > events.jsonl\n"
               "  %s agent --events --host | jq 'select(.type == \"exec\")'\n"
               "  %s agent --alerts /var/log/stockade/alerts.jsonl --syslog\n"
               "  %s agent --alerts - --default-mode protect --state /var/lib/stockade\n"
               "  %s agent --learn-for 1h --stability 15m --auto-protect --alerts alerts.jsonl\n"
               "  %s agent --netpol /var/lib/stockade/netpol\n"
               "\n"
               "Exit status: 0 after a clean stop, 2 on a usage or runtime error. See stockade-agent(1).\n",
               program_name, program_name, program_name, program_name, program_name, program_name,
               program_name, program_name);
}

static void pipeline(struct agent *a, const struct rt_event *ev);

static void log_deviation(const struct rt_event *ev, const struct model_verdict *v) {
        log_warning("%s (%s, score %.2f%s) in %.12s: %s; expected %s", v->rule_id, model_mode_name(v->mode),
                    v->score, v->block ? ", blocking" : "", ev->container ? ev->container->id : "host",
                    v->observed, v->expected);
}
static void drops_text(const struct sensor_counters *c, char *out, size_t outlen);

static void on_event(void *userdata, const struct rt_event *ev) {
        struct agent *a = userdata;
        if (a->detecting)
                pipeline(a, ev);
        else if (a->models) {
                /* learning goes on without detection; deviations are only logged */
                struct model_verdict v;
                if (model_observe(a->models, ev, &v) >= 0 && v.deviation && !v.repeats)
                        log_deviation(ev, &v);
        }
        if (a->netpol)
                np_engine_event(a->netpol, ev);
        if (!a->events || a->out_failed)
                return;
        buf_reset(&a->line);
        if (rt_event_to_json(ev, a->host, &a->line) < 0)
                return;
        if (fwrite(a->line.data, 1, a->line.len, stdout) != a->line.len) {
                a->out_failed = true; /* stdout closed: stop rather than spin */
                monitor_stop(a->m);
        }
}

/* ---- detection and response ---- */

/* The mode of the container's image. Behaviour models set it per image once they are wired in; until
 * then every image is in --default-mode. */
static enum rt_mode container_mode(struct agent *a, const struct rt_container *c) {
        enum model_mode m;
        const char *key = a->models && c ? model_image_key(c) : NULL;
        if (key && model_get_mode(a->models, key, &m) >= 0) {
                enum rt_mode mm = m == MODEL_PROTECT   ? RT_MODE_PROTECT
                                  : m == MODEL_MONITOR ? RT_MODE_MONITOR
                                                       : RT_MODE_LEARN;
                return mm > a->default_mode ? mm : a->default_mode;
        }
        return a->default_mode;
}

static bool file_in_upper(const char *upper, const char *path) {
        char full[8192];
        struct stat st;
        if (!upper[0] || !path || path[0] != '/' ||
            (size_t) snprintf(full, sizeof full, "%s%s", upper, path) >= sizeof full)
                return false;
        return lstat(full, &st) == 0 && S_ISREG(st.st_mode);
}

/* The exec guard's decision (its worker threads): a protected container may not run a file of its
 * writable layer (drift). Reads only the immutable struct guarded. */
static enum respond_verdict decide_exec(void *userdata, const struct exec_request *req) {
        const struct guarded *g = req->container_data;
        (void) userdata;
        if (g && file_in_upper(g->upper, req->path))
                return RESPOND_DENY;
        /* anything outside a protect-mode model */
        if (g && g->models && g->model[0] && !model_exec_allowed(g->models, g->model, req->path))
                return RESPOND_DENY;
        return RESPOND_ALLOW;
}

/* Sets up the blocking of a protect-mode container the first time one of its events is seen: its root
 * filesystem under the exec guard, its cgroup under the connect hook with the rules' deny list. */
static void protect_container(struct agent *a, const struct rt_event *ev) {
        const struct rt_container *c = ev->container;
        if (!c || c->incomplete || hashmap_get(a->protected_containers, c->id))
                return;
        struct guarded *g = calloc(1, sizeof *g);
        if (!g)
                return;
        snprintf(g->id, sizeof g->id, "%s", c->id);
        const char *key = a->models ? model_image_key(c) : NULL;
        if (key) {
                snprintf(g->model, sizeof g->model, "%s", key);
                g->models = a->models;
        }
        uint32_t pid = c->pid ? c->pid : ev->proc.pid;
        char path[64];
        snprintf(path, sizeof path, "/proc/%u/mountinfo", pid);
        FILE *f = fopen(path, "re");
        if (f) {
                struct buf b = BUF_INIT(1 << 20);
                char chunk[8192];
                size_t n;
                while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && buf_append(&b, chunk, n) >= 0)
                        ;
                fclose(f);
                if (b.data)
                        (void) detect_mountinfo_upperdir(b.data, g->upper, sizeof g->upper);
                buf_free(&b);
        }
        if (hashmap_put(a->protected_containers, g->id, g, NULL) < 0) {
                free(g);
                return;
        }
        struct diag d;
        diag_init(&d);
        if (a->guard && exec_guard_add(a->guard, c->id, (pid_t) pid, g, &d) < 0)
                log_warning("cannot guard the execs of container %.12s: %s", c->id, d.error);
        diag_done(&d);
        if (a->enforcer) {
                char cg[4096];
                uint64_t cgid;
                if (respond_cgroup2_path((pid_t) pid, cg, sizeof cg) < 0 ||
                    enforcer_connect_attach(a->enforcer, cg, RESPOND_ALLOW, &cgid) < 0) {
                        log_warning("cannot attach the connect hook to container %.12s", c->id);
                        return;
                }
                g->cgroup_id = cgid;
                for (size_t i = 0; i < a->rules->n; i++) {
                        const struct rt_rule *r = &a->rules->rules[i];
                        if (r->detector != RT_DET_CONNECT || r->action[RT_MODE_PROTECT] != RT_ACTION_DENY)
                                continue;
                        for (size_t k = 0; k < r->n_ports; k++) {
                                char spec[16];
                                struct respond_rule rr[2];
                                snprintf(spec, sizeof spec, ":%u", r->ports[k]);
                                int nr = respond_rule_parse(spec, RESPOND_DENY, rr, NULL);
                                for (int j = 0; j < nr; j++)
                                        (void) enforcer_connect_rule_add(a->enforcer, cgid, &rr[j]);
                        }
                        for (size_t k = 0; k < r->n_addresses; k++) {
                                struct respond_rule rr = {
                                        .family = r->addresses[k].family,
                                        .prefix_len = r->addresses[k].family == AF_INET ? 32 : 128,
                                        .verdict = RESPOND_DENY};
                                memcpy(rr.addr, r->addresses[k].addr, 16);
                                (void) enforcer_connect_rule_add(a->enforcer, cgid, &rr);
                        }
                }
        }
}

/* The user name of uid inside the process's root (its /etc/passwd), bounded; NULL when unknown. */
static const char *user_name(uint32_t pid, uint32_t uid, char *out, size_t outlen) {
        char path[64], line[1024];
        snprintf(path, sizeof path, "/proc/%u/root/etc/passwd", pid);
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        for (unsigned n = 0; f && n < 10000 && fgets(line, sizeof line, f); n++) {
                char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
                if (c2 && strtoul(c2 + 1, NULL, 10) == uid && c2[1] >= '0' && c2[1] <= '9') {
                        *c1 = 0;
                        snprintf(out, outlen, "%.*s", (int) MIN(strlen(line), outlen - 1), line);
                        return out;
                }
        }
        if (uid == 0) {
                snprintf(out, outlen, "root");
                return out;
        }
        return NULL;
}

/* Carries out the rule's action; returns what the alert says was done. */
static uint64_t realtime_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

/* Detection → the process stopped running (SIGSTOP or SIGKILL sent), from the kernel's event time. */
static void note_stop_latency(struct agent *a, const struct rt_event *ev) {
        uint64_t now = realtime_ns();
        a->kill_ns[a->n_kill_ns++ % ELEMENTSOF(a->kill_ns)] = now > ev->time_ns ? now - ev->time_ns : 0;
}

static const char *respond_to(struct agent *a, const struct rt_event *ev, enum rt_action act) {
        if (act == RT_ACTION_ALERT || !ev->container)
                return "alert";
        /* blocked before it happened: the exec guard or the connect hook answered EPERM */
        if (act == RT_ACTION_DENY && ev->result == -EPERM &&
            (ev->type == RT_EV_EXEC || ev->type == RT_EV_CONNECT))
                return "denied";
        if (act == RT_ACTION_QUARANTINE) {
                struct diag d;
                diag_init(&d);
                int r = respond_container(a->docker_host, ev->container->id, RESPOND_PAUSE, 0, &d);
                if (r < 0)
                        log_warning("cannot pause container %.12s: %s", ev->container->id, d.error);
                diag_done(&d);
                if (r >= 0) {
                        a->pauses++;
                        return "paused";
                }
                return "alert";
        }
        /* kill, and deny where the operation could not be refused in advance */
        int r = respond_kill((pid_t) ev->proc.pid, 0, SIGKILL, 0);
        if (r < 0) {
                a->kill_misses++;
                return "alert"; /* it was gone already */
        }
        if (!a->stopped_now)
                note_stop_latency(a, ev);
        a->kills++;
        return "killed";
}

/* Will respond_to() kill the process? Then it is stopped first (SIGSTOP: it runs no further
 * instruction), its evidence is taken from /proc, and then it is killed. */
static bool stop_first(struct agent *a, const struct rt_event *ev, enum rt_action act) {
        a->stopped_now = false;
        if (!ev->container || !(act == RT_ACTION_KILL || act == RT_ACTION_DENY))
                return false;
        if (act == RT_ACTION_DENY && ev->result == -EPERM &&
            (ev->type == RT_EV_EXEC || ev->type == RT_EV_CONNECT))
                return false; /* refused already */
        if (respond_kill((pid_t) ev->proc.pid, 0, SIGSTOP, 0) < 0)
                return false;
        note_stop_latency(a, ev);
        a->stopped_now = true;
        return true;
}

/* Opens an incident for al: a new id (persistent with a store), the alert line, and the record with
 * its evidence (cap, taken over; may be NULL) queued for the store's writer. */
static void open_incident(struct agent *a, const struct alert *al, const struct rt_event *ev, uint64_t now,
                          struct forensics_capture *cap) {
        uint64_t id = a->incidents ? incidents_next_id(a->incidents) : ++a->next_incident;
        (void) alerts_emit(a->alerts, al, id);
        if (!a->incidents) {
                forensics_capture_free(cap);
                return;
        }
        _cleanup_(buf_free) struct buf line = BUF_INIT(0);
        (void) alerts_render(al, a->host, id, 1, now, now, &line);
        if (line.len && line.data[line.len - 1] == '\n')
                line.data[--line.len] = 0;
        struct incident_record rec = {
                .id = id,
                .first_ns = now,
                .last_ns = now,
                .count = 1,
                .rule_id = al->rule_id,
                .rule_title = al->rule_title,
                .severity = al->severity,
                .container_id = ev->container ? ev->container->id : NULL,
                .container_name = ev->container ? ev->container->name : NULL,
                .image = ev->container ? ev->container->image : NULL,
                .subject = al->subject,
                .action = al->action,
                .alert = line.data,
        };
        (void) incidents_submit(a->incidents, &rec, cap);
}

static void raise_finding(struct agent *a, const struct rt_event *ev, const struct detect_finding *f) {
        uint64_t seen = realtime_ns();
        a->seen_ns[a->n_seen_ns++ % ELEMENTSOF(a->seen_ns)] = seen > ev->time_ns ? seen - ev->time_ns : 0;
        const struct rt_rule *rule = f->rule;
        enum rt_mode mode = container_mode(a, ev->container);
        enum rt_action act = rule->action[mode];
        const char *cid = ev->container ? ev->container->id : NULL;
        uint64_t id, count;
        uint64_t now = ev->time_ns;

        if (alerts_is_open(a->alerts, rule->id, cid, f->subject, now)) {
                const char *done = respond_to(a, ev, act);
                (void) alerts_repeat(a->alerts, rule->id, cid, f->subject, now, done, &id, &count);
                if (a->incidents)
                        (void) incidents_update(a->incidents, id, count, now,
                                                streq(done, "alert") ? NULL : done);
                return;
        }
        /* evidence first, while the process still exists (stopped, when it is to be killed); then the
         * response */
        bool stopped = stop_first(a, ev, act);
        struct forensics_capture *cap = NULL;
        if (a->incidents)
                (void) forensics_capture_new(a->forensics, ev, "/proc", &cap);
        char user[256];
        struct alert al = {
                .subject = f->subject,
                .expected = f->expected,
                .observed = f->observed,
                .ev = ev,
                .user = user_name(ev->proc.pid, ev->proc.uid, user, sizeof user),
                .time_ns = now,
        };
        alert_from_rule(&al, rule);
        al.action = respond_to(a, ev, act);
        if (stopped && streq(al.action, "alert"))
                (void) respond_kill((pid_t) ev->proc.pid, 0, SIGCONT, 0); /* never leave it stopped */
        a->stopped_now = false;
        open_incident(a, &al, ev, now, cap);
}

/* netpol: a flow outside the network policy joins the runtime alert stream and the incident store. */
static void raise_network(void *userdata, const struct np_alert *n) {
        struct agent *a = userdata;
        const struct rt_event *ev = n->ev;
        if (!a->alerts)
                return;
        const char *cid = ev->container ? ev->container->id : NULL;
        uint64_t id, count, now = ev->time_ns ? ev->time_ns : realtime_ns();
        if (alerts_repeat(a->alerts, n->rule_id, cid, n->observed, now, n->action, &id, &count) == 1) {
                if (a->incidents)
                        (void) incidents_update(a->incidents, id, count, now, NULL);
                return;
        }
        char user[256];
        struct alert al = {
                .kind = "network",
                .rule_id = n->rule_id,
                .rule_title = n->rule_title,
                .severity = "high",
                .technique = n->technique,
                .tactic = n->tactic,
                .subject = n->observed,
                .expected = n->expected,
                .observed = n->observed,
                .action = n->action,
                .ev = ev,
                .user = user_name(ev->proc.pid, ev->proc.uid, user, sizeof user),
                .time_ns = now,
        };
        open_incident(a, &al, ev, now, NULL);
}

/* A model deviation: an incident like a rule's, with the model's expected and observed. */
static void raise_deviation(struct agent *a, const struct rt_event *ev, const struct model_verdict *v) {
        const char *cid = ev->container ? ev->container->id : NULL;
        uint64_t id, count, now = ev->time_ns;
        char subject[600];
        snprintf(subject, sizeof subject, "%s", v->observed);
        /* protect mode blocks exec and network deviations: an exec the guard refused (or a connect the
         * hook refused) is reported denied; otherwise the process is killed (a connect the hook could
         * not refuse in advance, an exec the guard let through) */
        bool refused = ev->result == -EPERM && (ev->type == RT_EV_EXEC || ev->type == RT_EV_CONNECT);
        enum rt_action act = !v->block ? RT_ACTION_ALERT : refused ? RT_ACTION_DENY : RT_ACTION_KILL;
        if (alerts_is_open(a->alerts, v->rule_id, cid, subject, now)) {
                const char *done = respond_to(a, ev, act);
                (void) alerts_repeat(a->alerts, v->rule_id, cid, subject, now, done, &id, &count);
                if (a->incidents)
                        (void) incidents_update(a->incidents, id, count, now,
                                                streq(done, "alert") ? NULL : done);
                return;
        }
        bool stopped = stop_first(a, ev, act);
        struct forensics_capture *cap = NULL;
        if (a->incidents)
                (void) forensics_capture_new(a->forensics, ev, "/proc", &cap);
        char user[256], title[128];
        snprintf(title, sizeof title, "Behaviour outside the image's model (%s, score %.2f)",
                 model_kind_name(v->kind), v->score);
        struct alert al = {
                .kind = "deviation",
                .rule_id = v->rule_id,
                .rule_title = title,
                .severity = v->score >= 0.75 ? "high" : "medium",
                .subject = subject,
                .expected = v->expected,
                .observed = v->observed,
                .ev = ev,
                .user = user_name(ev->proc.pid, ev->proc.uid, user, sizeof user),
                .time_ns = now,
        };
        al.action = respond_to(a, ev, act);
        if (stopped && streq(al.action, "alert"))
                (void) respond_kill((pid_t) ev->proc.pid, 0, SIGCONT, 0);
        a->stopped_now = false;
        open_incident(a, &al, ev, now, cap);
}

static void forget_container(struct agent *a, const char *id) {
        detect_forget_container(a->det, id);
        if (a->forensics)
                forensics_forget(a->forensics, id);
        struct guarded *g = hashmap_get(a->protected_containers, id);
        if (!g)
                return;
        if (a->guard)
                (void) exec_guard_remove(a->guard, id); /* no request can see g after this */
        if (a->enforcer && g->cgroup_id)
                (void) enforcer_connect_detach(a->enforcer, g->cgroup_id);
        hashmap_remove(a->protected_containers, id);
        /* a guard worker may still be deciding a request that carries g: free it a few seconds later,
         * long after any request timed out */
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        g->retired_ms = (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
        g->next_retired = a->retired;
        a->retired = g;
}

static void free_retired(struct agent *a, bool all) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        uint64_t now = (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
        for (struct guarded **p = &a->retired; *p;) {
                struct guarded *g = *p;
                if (all || now - g->retired_ms > 5000) {
                        *p = g->next_retired;
                        free(g);
                } else
                        p = &g->next_retired;
        }
}

static int cmp_u64(const void *x, const void *y) {
        uint64_t a = *(const uint64_t *) x, b = *(const uint64_t *) y;
        return a < b ? -1 : a > b;
}

static void pipeline(struct agent *a, const struct rt_event *ev) {
        struct detect_finding found[DETECT_FINDINGS_MAX];
        struct model_verdict v;

        if (a->models && model_observe(a->models, ev, &v) >= 0 && v.deviation && ev->container) {
                if (!v.repeats)
                        log_deviation(ev, &v);
                raise_deviation(a, ev, &v);
        }

        if (ev->type == RT_EV_EXIT && ev->container && ev->container->pid &&
            ev->proc.pid == ev->container->pid) {
                /* the container's first process ended: the container is gone, and so is what we kept */
                forget_container(a, ev->container->id);
                return;
        }
        if (ev->container && (a->guard || a->enforcer) &&
            container_mode(a, ev->container) == RT_MODE_PROTECT)
                protect_container(a, ev);
        if (a->forensics)
                forensics_note(a->forensics, ev);
        size_t n = detect_event(a->det, ev, found, ELEMENTSOF(found));
        for (size_t i = 0; i < n; i++)
                raise_finding(a, ev, &found[i]);
}

/* Sensor drops are never silent: each growth of the counter is an alert of kind sensor-drops. */
static void alert_drops(struct agent *a, const struct monitor_stats *s) {
        if (!a->alerts || s->sensor.drops_total <= a->alerted_drops)
                return;
        char observed[600], drops[512];
        drops_text(&s->sensor, drops, sizeof drops);
        snprintf(observed, sizeof observed, "%" PRIu64 " events dropped by the kernel (%s)",
                 s->sensor.drops_total - a->alerted_drops, drops);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t now = (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
        struct alert al = {
                .kind = "sensor-drops",
                .rule_id = "sensor-drops",
                .rule_title = "Sensor dropped events (ring buffer full)",
                .severity = "medium",
                .subject = "sensor",
                .observed = observed,
                .action = "alert",
                .time_ns = now,
        };
        uint64_t id, count;
        if (alerts_repeat(a->alerts, al.rule_id, NULL, al.subject, now, NULL, &id, &count) != 1)
                (void) alerts_emit(a->alerts, &al,
                                   a->incidents ? incidents_next_id(a->incidents) : ++a->next_incident);
        a->alerted_drops = s->sensor.drops_total;
}

static const char *const state_names[] = {
        [SENSOR_HOOK_ACTIVE] = "active",
        [SENSOR_HOOK_UNAVAILABLE] = "unavailable",
        [SENSOR_HOOK_FAILED] = "failed",
};

static void print_hooks(struct agent *a) {
        const struct sensor_hook *hooks;
        size_t n = sensor_hooks(monitor_sensor(a->m), &hooks);
        const struct rt_cgroup_layout *l = monitor_layout(a->m);

        if (l->v2)
                log_info("agent: cgroup v2 at %s", l->mount);
        else
                log_info("agent: cgroup v1, following the %s hierarchy (id %d) at %s", l->controller,
                         l->hierarchy, l->mount);
        log_info("agent: %zu of %zu hooks active (%s); %zu container cgroups found running",
                 sensor_hooks_active(monitor_sensor(a->m)), n,
                 sensor_direct_loads(monitor_sensor(a->m)) ? "direct BTF loads" : "probe reads",
                 monitor_initial_cgroups(a->m));
        for (size_t i = 0; i < n; i++) {
                const struct sensor_hook *h = &hooks[i];
                if (h->state == SENSOR_HOOK_ACTIVE && a->quiet)
                        continue;
                if (h->state == SENSOR_HOOK_ACTIVE)
                        fprintf(stderr, "  %-11s %-26s %s\n", state_names[h->state], h->name, h->what);
                else
                        fprintf(stderr, "  %-11s %-26s %s: %s\n", state_names[h->state], h->name, h->what,
                                h->reason);
        }
}

static void drops_text(const struct sensor_counters *c, char *out, size_t outlen) {
        size_t k = 0;
        out[0] = 0;
        for (int t = 1; t < _RT_EV_MAX && k + 1 < outlen; t++)
                if (c->drops[t])
                        k += (size_t) snprintf(out + k, outlen - k, "%s%s %" PRIu64, k ? ", " : "",
                                               rt_event_type_name((enum rt_event_type) t), c->drops[t]);
}

static int write_stats_file(struct agent *a, const struct monitor_stats *s) {
        _cleanup_(buf_free) struct buf b = BUF_INIT(0);
        char tmp[4096];
        int r = buf_printf(
                &b,
                "{\"events\":%" PRIu64 ",\"drops\":%" PRIu64 ",\"missed\":%" PRIu64
                ",\"kernel_errors\":%" PRIu64 ",\"cgroup_map_full\":%" PRIu64 ",\"open_repeats\":%" PRIu64
                ",\"delivered\":%" PRIu64
                ",\"decode_errors\":%" PRIu64 ",\"held\":%" PRIu64 ",\"released_incomplete\":%" PRIu64
                ",\"held_now\":%zu,\"processes\":%zu"
                ",\"watched_cgroups\":%zu,\"containers\":%zu,\"cgroups\":%zu,\"images\":%zu"
                ",\"resolving\":%zu,\"recently_gone\":%zu,\"engine_connected\":%s,\"engine_reconnects\":"
                "%" PRIu64 ",\"engine_lists\":%" PRIu64 ",\"inspects\":%" PRIu64
                ",\"inspect_failures\":%" PRIu64 ",\"engine_events\":%" PRIu64 ",\"drops_by_type\":{",
                s->sensor.events_total, s->sensor.drops_total, s->sensor.missed, s->sensor.errors,
                s->sensor.cgroup_full, s->sensor.open_repeats, s->delivered, s->decode_errors, s->held, s->released_incomplete,
                s->held_now, s->processes, s->watched_cgroups, s->resolver.containers, s->resolver.cgroups,
                s->resolver.images, s->resolver.resolving, s->resolver.gone,
                s->resolver.connected ? "true" : "false", s->resolver.reconnects, s->resolver.lists,
                s->resolver.inspects, s->resolver.inspect_failures, s->resolver.engine_events);
        bool first = true;
        for (int t = 1; r >= 0 && t < _RT_EV_MAX; t++)
                if (s->sensor.drops[t]) {
                        r = buf_printf(&b, "%s\"%s\":%" PRIu64, first ? "" : ",",
                                       rt_event_type_name((enum rt_event_type) t), s->sensor.drops[t]);
                        first = false;
                }
        if (r >= 0)
                r = buf_append_char(&b, '}');
        if (r >= 0 && a->netpol) {
                struct np_engine_stats ns;
                np_engine_get_stats(a->netpol, &ns);
                r = buf_printf(&b,
                               ",\"netpol\":{\"containers\":%zu,\"enforced\":%zu,\"edges\":%zu,\"alerts\":%" PRIu64
                               ",\"capture\":%s,\"captured\":%" PRIu64 ",\"capture_lost\":%" PRIu64
                               ",\"identified\":%" PRIu64 "}",
                               ns.containers, ns.enforced, ns.edges, ns.alerts, ns.capture ? "true" : "false",
                               ns.captured, ns.capture_lost, ns.identified);
        }
        if (r >= 0)
                r = buf_append_str(&b, "}\n");
        if (r < 0)
                return r;
        snprintf(tmp, sizeof(tmp), "%s.tmp", a->stats_file);
        _cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || write(fd, b.data, b.len) != (ssize_t) b.len || rename(tmp, a->stats_file) < 0)
                return negative_errno();
        return 0;
}

/* Counters on stderr (at the interval, at exit, and whenever drops grew: never silent) and in the
 * stats file (every second). */
static void report(struct agent *a, bool final, bool periodic) {
        struct monitor_stats s;
        char drops[512];

        monitor_get_stats(a->m, a->stats_file != NULL, &s);
        drops_text(&s.sensor, drops, sizeof(drops));
        if ((periodic && !a->quiet) || final || s.sensor.drops_total != a->last_drops)
                fprintf(stderr,
                        "%s: agent: %s%" PRIu64 " events, %" PRIu64 " delivered, %" PRIu64 " dropped%s%s%s"
                        ", %" PRIu64 " missed, %" PRIu64 " repeated opens counted; %zu containers, engine %s\n",
                        program_name, final ? "at exit: " : "", s.sensor.events_total, s.delivered,
                        s.sensor.drops_total, drops[0] ? " (" : "", drops, drops[0] ? ")" : "",
                        s.sensor.missed, s.sensor.open_repeats, s.resolver.containers,
                        s.resolver.connected ? "connected" : "disconnected");
        a->last_drops = s.sensor.drops_total;
        alert_drops(a, &s);
        if (a->stats_file) {
                int r = write_stats_file(a, &s);
                if (r < 0)
                        log_warning("cannot write '%s': %s", a->stats_file, strerror(-r));
        }
}

static void on_tick(void *userdata) {
        struct agent *a = userdata;
        free_retired(a, false);
        if (a->models) {
                struct timespec ts;
                clock_gettime(CLOCK_REALTIME, &ts);
                int n = model_tick(a->models, (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000,
                                   false);
                if (n > 0)
                        log_info("agent: %d image model(s) finished learning", n);
                else if (n < 0)
                        log_warning("cannot write the behaviour models: %s", strerror(-n));
        }
        if (a->alerts) {
                struct timespec ts;
                clock_gettime(CLOCK_REALTIME, &ts);
                (void) alerts_tick(a->alerts, (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec);
        }
        if (a->netpol) {
                np_engine_tick(a->netpol);
                for (const char *m; (m = np_engine_take_message(a->netpol));)
                        fprintf(stderr, "%s: warning: netpol: %s\n", program_name, m); /* even with -q */
        }
        fflush(stdout);
        a->ticks++;
        report(a, false, a->stats_interval && a->ticks % a->stats_interval == 0);
}

enum {
        OPT_EVENTS = _OPT_COMMON_MAX,
        OPT_HOST,
        OPT_DURATION,
        OPT_RINGBUF,
        OPT_STATS_INTERVAL,
        OPT_STATS_FILE,
        OPT_ALERTS,
        OPT_SYSLOG,
        OPT_STATE,
        OPT_RULES,
        OPT_DEFAULT_MODE,
        OPT_ALERT_WINDOW,
        OPT_NO_RESPONSE,
        OPT_LEARN_FOR,
        OPT_STABILITY,
        OPT_AUTO_PROTECT,
        OPT_SOCKET,
        OPT_NETPOL,
        OPT_OPEN_REPEAT,
        OPT_NO_IA32,
};

/* "90", "90s", "5m", "2h", "1d", "1.5h" → ms. */
static int parse_duration(const char *s, uint64_t *ret) {
        char *end;
        errno = 0;
        double v = strtod(s, &end);
        if (errno || end == s || v <= 0)
                return -EINVAL;
        double mul = streq(end, "") || streq(end, "s") ? 1e3
                     : streq(end, "ms")                ? 1
                     : streq(end, "m")                 ? 60e3
                     : streq(end, "h")                 ? 3600e3
                     : streq(end, "d")                 ? 86400e3
                                                       : -1;
        if (mul < 0 || v * mul > 1e13 || v * mul < 1)
                return -EINVAL;
        *ret = (uint64_t) (v * mul);
        return 0;
}

int cmd_agent(int argc, char **argv) {
        static const struct option options[] = {
                {"events", no_argument, NULL, OPT_EVENTS},
                {"host", no_argument, NULL, OPT_HOST},
                {"duration", required_argument, NULL, OPT_DURATION},
                {"docker-host", required_argument, NULL, OPT_DOCKER_HOST},
                {"ringbuf-size", required_argument, NULL, OPT_RINGBUF},
                {"open-repeat-window", required_argument, NULL, OPT_OPEN_REPEAT},
                {"no-ia32", no_argument, NULL, OPT_NO_IA32},
                {"stats-interval", required_argument, NULL, OPT_STATS_INTERVAL},
                {"stats-file", required_argument, NULL, OPT_STATS_FILE},
                {"alerts", required_argument, NULL, OPT_ALERTS},
                {"syslog", no_argument, NULL, OPT_SYSLOG},
                {"state", required_argument, NULL, OPT_STATE},
                {"rules", required_argument, NULL, OPT_RULES},
                {"default-mode", required_argument, NULL, OPT_DEFAULT_MODE},
                {"alert-window", required_argument, NULL, OPT_ALERT_WINDOW},
                {"no-response", no_argument, NULL, OPT_NO_RESPONSE},
                {"learn-for", required_argument, NULL, OPT_LEARN_FOR},
                {"stability", required_argument, NULL, OPT_STABILITY},
                {"auto-protect", no_argument, NULL, OPT_AUTO_PROTECT},
                {"socket", required_argument, NULL, OPT_SOCKET},
                {"netpol", required_argument, NULL, OPT_NETPOL},
                {"quiet", no_argument, NULL, 'q'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        struct agent a = {.line = BUF_INIT(0), .stats_interval = 10};
        struct monitor_options mo = {.open_repeat_ns = AGENT_OPEN_REPEAT_NS};
        struct alerts_options ao = {};
        const char *state_dir = NULL, *rules_file = NULL, *socket_path = CONTROL_SOCKET_DEFAULT;
        const char *netpol_dir = NULL;
        struct model_options mopt = {};
        bool no_response = false;
        double duration = 0;
        uint64_t size;
        char *end;
        int c;

        optind = 0;
        while ((c = getopt_long(argc, argv, "qh", options, NULL)) >= 0) {
                switch (c) {
                case 'h': help(); return EXIT_OK;
                case 'q': a.quiet = arg_global.quiet = true; break;
                case OPT_EVENTS: a.events = true; break;
                case OPT_HOST: mo.include_host = true; break;
                case OPT_DOCKER_HOST: mo.docker_host = a.docker_host = optarg; break;
                case OPT_ALERTS: ao.path = optarg; break;
                case OPT_SYSLOG: ao.syslog = true; break;
                case OPT_STATE: state_dir = optarg; break;
                case OPT_RULES: rules_file = optarg; break;
                case OPT_NO_RESPONSE: no_response = true; break;
                case OPT_SOCKET: socket_path = optarg; break;
                case OPT_NETPOL: netpol_dir = optarg; break;
                case OPT_AUTO_PROTECT: mopt.auto_protect = true; break;
                case OPT_LEARN_FOR:
                case OPT_STABILITY:
                        if (parse_duration(optarg, c == OPT_LEARN_FOR ? &mopt.learn_for_ms
                                                                      : &mopt.stability_ms) < 0) {
                                log_error("invalid --%s '%s': a duration such as 90s, 30m, 2h",
                                          c == OPT_LEARN_FOR ? "learn-for" : "stability", optarg);
                                return EXIT_ERROR;
                        }
                        break;
                case OPT_DEFAULT_MODE:
                        if (rt_mode_from_name(optarg, &a.default_mode) < 0) {
                                log_error("invalid --default-mode '%s': learn, monitor or protect", optarg);
                                return EXIT_ERROR;
                        }
                        break;
                case OPT_ALERT_WINDOW: {
                        errno = 0;
                        unsigned long v = strtoul(optarg, &end, 10);
                        if (errno || end == optarg || *end || v < 1 || v > 86400) {
                                log_error("invalid --alert-window '%s': seconds, 1 to 86400", optarg);
                                return EXIT_ERROR;
                        }
                        ao.window_s = (unsigned) v;
                        break;
                }
                case OPT_STATS_FILE: a.stats_file = optarg; break;
                case OPT_DURATION:
                        errno = 0;
                        duration = strtod(optarg, &end);
                        if (errno || end == optarg || *end || duration <= 0 || duration > 1e9) {
                                log_error("invalid --duration '%s': a positive number of seconds", optarg);
                                return EXIT_ERROR;
                        }
                        break;
                case OPT_STATS_INTERVAL: {
                        errno = 0;
                        unsigned long v = strtoul(optarg, &end, 10);
                        if (errno || end == optarg || *end || v > 86400) {
                                log_error("invalid --stats-interval '%s': seconds, 0 to 86400", optarg);
                                return EXIT_ERROR;
                        }
                        a.stats_interval = (unsigned) v;
                        break;
                }
                case OPT_RINGBUF:
                        if (parse_size(optarg, &size) < 0 || size < 65536 || size > (1u << 30) ||
                            (size & (size - 1))) {
                                log_error("invalid --ringbuf-size '%s': a power of two from 64K to 1G",
                                          optarg);
                                return EXIT_ERROR;
                        }
                        mo.ringbuf_bytes = (size_t) size;
                        break;
                case OPT_OPEN_REPEAT: {
                        uint64_t ms = 0;
                        if (!streq(optarg, "0") && (parse_duration(optarg, &ms) < 0 || ms > 3600 * 1000)) {
                                log_error("invalid --open-repeat-window '%s': a duration up to 1h (\"500ms\", "
                                          "\"2s\") or 0",
                                          optarg);
                                return EXIT_ERROR;
                        }
                        mo.open_repeat_ns = ms * 1000000;
                        break;
                }
                case OPT_NO_IA32: mo.no_ia32 = true; break;
                default: fprintf(stderr, "Try '%s agent --help'.\n", program_name); return EXIT_ERROR;
                }
        }
        if (optind != argc) {
                log_error("agent takes no arguments (see '%s agent --help')", program_name);
                return EXIT_ERROR;
        }
        if (geteuid() != 0)
                log_warning("not running as root: loading the eBPF sensor will likely fail");
        if (gethostname(a.host, sizeof(a.host)) < 0)
                snprintf(a.host, sizeof(a.host), "localhost");
        if (ao.path && streq(ao.path, "-") && a.events) {
                log_error("--alerts - and --events both write to standard output: send one to a file");
                return EXIT_ERROR;
        }

        struct diag d;
        diag_init(&d);
        int r = 0;
        a.detecting = ao.path || ao.syslog || state_dir || rules_file;
        if (!state_dir)
                state_dir = "/var/lib/stockade";
        if (netpol_dir) { /* netpol: before the control socket starts, so it can register */
                struct np_engine_options no = {
                        .dir = netpol_dir, .host = a.host, .on_alert = raise_network, .userdata = &a};
                r = np_engine_new(&no, &d, &a.netpol);
                if (r < 0) {
                        log_error("%s", d.error[0] ? d.error : strerror(-r));
                        diag_done(&d);
                        goto out;
                }
                for (const char *m; (m = np_engine_take_message(a.netpol));)
                        fprintf(stderr, "%s: warning: netpol: %s\n", program_name, m); /* even with -q */
        }
        r = model_registry_open(state_dir, &mopt, &d, &a.models);
        if (r >= 0 && (r = control_new(&a.ctl)) >= 0 && (r = model_control_register(a.models, a.ctl)) >= 0 &&
            (!a.netpol || (r = np_engine_control_register(a.netpol, a.ctl)) >= 0) &&
            control_start(a.ctl, socket_path, &d) < 0) {
                log_warning("%s; 'stockade policy' cannot reach this agent", d.error);
                d.error[0] = 0;
        }
        for (size_t i = 0; i < d.n_warnings; i++)
                log_warning("%s", d.warnings[i]);
        if (r < 0) {
                log_error("%s", d.error[0] ? d.error : strerror(-r));
                diag_done(&d);
                goto out;
        }
        if (a.detecting) {
                ao.host = a.host;
                r = rules_file ? rt_rules_load_file(rules_file, &d, &a.rules)
                               : rt_rules_load_default(&d, &a.rules);
                if (r >= 0)
                        r = detect_new(a.rules, NULL, &a.det);
                if (r >= 0)
                        r = alerts_new(&ao, &d, &a.alerts);
                if (r >= 0 && (r = incidents_open(state_dir, &d, &a.incidents)) >= 0)
                        r = forensics_new(&a.forensics);
                if (r >= 0 && !(a.protected_containers = hashmap_new()))
                        r = -ENOMEM;
                if (r < 0) {
                        log_error("%s", d.error[0] ? d.error : strerror(-r));
                        diag_done(&d);
                        goto out;
                }
                if (!no_response) {
                        /* only containers in protect mode are put under them (protect_container) */
                        struct exec_guard_options go = {.decide = decide_exec, .userdata = &a};
                        if (exec_guard_new(&go, &d, &a.guard) < 0)
                                log_warning("exec guard unavailable, drift is killed after the exec: %s",
                                            d.error);
                        diag_done(&d);
                        diag_init(&d);
                        if (enforcer_open(NULL, &d, &a.enforcer) < 0)
                                log_warning(
                                        "connect hook unavailable, connects are killed after the fact: %s",
                                        d.error);
                        diag_done(&d);
                        diag_init(&d);
                }
                log_info("agent: %zu detection rules from %s, default mode %s, state in %s", a.rules->n,
                         a.rules->source, rt_mode_name(a.default_mode), state_dir);
        }
        r = monitor_new(&mo, &d, &a.m);
        if (r < 0) {
                log_error("%s", d.error[0] ? d.error : strerror(-r));
                diag_done(&d);
                goto out;
        }
        diag_done(&d);
        print_hooks(&a);

        struct sigaction sa = {.sa_handler = on_signal};
        sigemptyset(&sa.sa_mask);
        signal_monitor = a.m;
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        signal(SIGPIPE, SIG_IGN);

        /* events go out in large writes; the tick flushes at least once a second */
        static char outbuf[1 << 16];
        setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
        r = monitor_run(a.m, (uint64_t) (duration * 1000), on_event, on_tick, 1000, &a);
        fflush(stdout);
        if (r < 0)
                log_error("the sensor failed: %s", strerror(-r));
        report(&a, true, false);
        if (a.detecting) {
                struct detect_stats ds;
                struct alerts_stats as;
                detect_get_stats(a.det, &ds);
                alerts_get_stats(a.alerts, &as);
                fprintf(stderr,
                        "%s: agent: %" PRIu64 " findings, %" PRIu64 " incidents (%" PRIu64
                        " repeats), %" PRIu64 " killed, %" PRIu64 " gone before the kill, %" PRIu64
                        " paused\n",
                        program_name, ds.findings, as.incidents, as.repeats, a.kills, a.kill_misses,
                        a.pauses);
                size_t ns = MIN(a.n_seen_ns, ELEMENTSOF(a.seen_ns));
                if (ns) {
                        qsort(a.seen_ns, ns, sizeof a.seen_ns[0], cmp_u64);
                        fprintf(stderr,
                                "%s: agent: event to detection (from the kernel's event time): p50 %.2f ms, "
                                "p99 "
                                "%.2f ms, max %.2f ms over %zu findings\n",
                                program_name, a.seen_ns[ns / 2] / 1e6, a.seen_ns[(ns * 99) / 100] / 1e6,
                                a.seen_ns[ns - 1] / 1e6, ns);
                }
                size_t n = MIN(a.n_kill_ns, ELEMENTSOF(a.kill_ns));
                if (n) {
                        qsort(a.kill_ns, n, sizeof a.kill_ns[0], cmp_u64);
                        fprintf(stderr,
                                "%s: agent: detection to stop/kill (from the kernel's event time): p50 %.2f "
                                "ms, "
                                "p99 %.2f ms, "
                                "max %.2f ms over %zu kills\n",
                                program_name, a.kill_ns[n / 2] / 1e6, a.kill_ns[(n * 99) / 100] / 1e6,
                                a.kill_ns[n - 1] / 1e6, n);
                }
        }
        signal_monitor = NULL;
out:
        /* responders first: nothing may wait on a decider that is going away */
        exec_guard_free(a.guard);
        enforcer_free(a.enforcer);
        free_retired(&a, true);
        monitor_free(a.m);
        control_free(a.ctl);      /* before the models and the engine its handlers use */
        np_engine_free(a.netpol); /* saves the graph; perimeters stay in force */
        model_registry_free(a.models);
        alerts_close(a.alerts);
        incidents_close(a.incidents);
        forensics_free(a.forensics);
        detect_free(a.det);
        rt_rules_free(a.rules);
        if (a.protected_containers) {
                size_t i = 0;
                const char *k;
                void *v;
                while (hashmap_next(a.protected_containers, &i, &k, &v))
                        free(v);
                hashmap_free(a.protected_containers);
        }
        buf_free(&a.line);
        return r < 0 ? EXIT_ERROR : EXIT_OK;
}
