/* SPDX-License-Identifier: Apache-2.0 */
/* stockade agent: the host defender. For now: the runtime sensor and the container resolver, events
 * as JSON lines (--events), the sensor's hooks and drop counters on stderr. */

#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "runtime/control.h"
#include "runtime/model.h"
#include "netpol/engine.h" /* netpol: network micro-perimeters */
#include "runtime/monitor.h"

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
        struct model_registry *models; /* behaviour models (model.h) */
        struct control *ctl;           /* the control socket (control.h) */
        struct np_engine *netpol;      /* netpol: --netpol DIR */
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
               "      --stats-interval S  print counters every S seconds (default 10; 0: only at exit)\n"
               "      --stats-file FILE   also write the counters as JSON to FILE (replaced atomically)\n"
               "      --state DIR         behaviour models in DIR/models.db (default /var/lib/stockade)\n"
               "      --learn-for DURATION  learn each image at least this long (default 30m),\n"
               "      --stability DURATION  and until its model did not grow for this long (10m)\n"
               "      --auto-protect      learning ends in protect mode (default: monitor)\n"
               "      --socket PATH       control socket for 'stockade policy' (default\n"
               "                          /run/stockade/agent.sock)\n"
               "      --netpol DIR        learn the connection graph and enforce DIR/policy.yaml in\n"
               "                          every container's network namespace (stockade-netpol(5))\n"
               "  -q, --quiet             no hook listing and no periodic counters\n"
               "  -h, --help              show this help\n"
               "\n"
               "Examples:\n"
               "  %s agent --events\n"
               "  %s agent --events --duration 60 > events.jsonl\n"
               "  %s agent --events --host | jq 'select(.type == \"exec\")'\n"
               "  %s agent --learn-for 1h --stability 15m --auto-protect\n"
               "  %s agent --netpol /var/lib/stockade/netpol\n"
               "\n"
               "Exit status: 0 after a clean stop, 2 on a usage or runtime error. See stockade-agent(1).\n",
               program_name, program_name, program_name, program_name, program_name, program_name);
}

static void on_event(void *userdata, const struct rt_event *ev) {
        struct agent *a = userdata;
        struct model_verdict v;
        if (a->models && model_observe(a->models, ev, &v) >= 0 && v.deviation && !v.repeats)
                log_warning("%s (%s, score %.2f%s) in %.12s: %s; expected %s", v.rule_id,
                            model_mode_name(v.mode), v.score, v.block ? ", blocking" : "", ev->container->id,
                            v.observed, v.expected);
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
                ",\"kernel_errors\":%" PRIu64 ",\"cgroup_map_full\":%" PRIu64 ",\"delivered\":%" PRIu64
                ",\"decode_errors\":%" PRIu64 ",\"held\":%" PRIu64 ",\"released_incomplete\":%" PRIu64
                ",\"held_now\":%zu,\"processes\":%zu"
                ",\"watched_cgroups\":%zu,\"containers\":%zu,\"cgroups\":%zu,\"images\":%zu"
                ",\"resolving\":%zu,\"recently_gone\":%zu,\"engine_connected\":%s,\"engine_reconnects\":"
                "%" PRIu64 ",\"engine_lists\":%" PRIu64 ",\"inspects\":%" PRIu64
                ",\"inspect_failures\":%" PRIu64 ",\"engine_events\":%" PRIu64 ",\"drops_by_type\":{",
                s->sensor.events_total, s->sensor.drops_total, s->sensor.missed, s->sensor.errors,
                s->sensor.cgroup_full, s->delivered, s->decode_errors, s->held, s->released_incomplete,
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
                r = buf_append_str(&b, "}}\n");
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
                        ", %" PRIu64 " missed; %zu containers, engine %s\n",
                        program_name, final ? "at exit: " : "", s.sensor.events_total, s.delivered,
                        s.sensor.drops_total, drops[0] ? " (" : "", drops, drops[0] ? ")" : "",
                        s.sensor.missed, s.resolver.containers,
                        s.resolver.connected ? "connected" : "disconnected");
        a->last_drops = s.sensor.drops_total;
        if (a->stats_file) {
                int r = write_stats_file(a, &s);
                if (r < 0)
                        log_warning("cannot write '%s': %s", a->stats_file, strerror(-r));
        }
}

static void on_tick(void *userdata) {
        struct agent *a = userdata;
        fflush(stdout);
        a->ticks++;
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
        if (a->netpol) {
                np_engine_tick(a->netpol);
                for (const char *m; (m = np_engine_take_message(a->netpol));)
                        fprintf(stderr, "%s: warning: netpol: %s\n", program_name, m); /* even with -q */
        }
        report(a, false, a->stats_interval && a->ticks % a->stats_interval == 0);
}

enum {
        OPT_EVENTS = _OPT_COMMON_MAX,
        OPT_HOST,
        OPT_DURATION,
        OPT_RINGBUF,
        OPT_STATS_INTERVAL,
        OPT_STATS_FILE,
        OPT_STATE,
        OPT_LEARN_FOR,
        OPT_STABILITY,
        OPT_AUTO_PROTECT,
        OPT_SOCKET,
        OPT_NETPOL,
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
                {"stats-interval", required_argument, NULL, OPT_STATS_INTERVAL},
                {"stats-file", required_argument, NULL, OPT_STATS_FILE},
                {"state", required_argument, NULL, OPT_STATE},
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
        struct monitor_options mo = {};
        struct model_options mopt = {};
        const char *state_dir = "/var/lib/stockade", *socket_path = CONTROL_SOCKET_DEFAULT;
        const char *netpol_dir = NULL;
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
                case OPT_DOCKER_HOST: mo.docker_host = optarg; break;
                case OPT_STATS_FILE: a.stats_file = optarg; break;
                case OPT_STATE: state_dir = optarg; break;
                case OPT_SOCKET: socket_path = optarg; break;
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
                case OPT_NETPOL: netpol_dir = optarg; break;
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

        struct diag d;
        int r;
        if (netpol_dir) { /* netpol: before the control socket starts, so it can register */
                struct np_engine_options no = {.dir = netpol_dir, .host = a.host};
                diag_init(&d);
                r = np_engine_new(&no, &d, &a.netpol);
                if (r < 0) {
                        log_error("%s", d.error[0] ? d.error : strerror(-r));
                        diag_done(&d);
                        return EXIT_ERROR;
                }
                diag_done(&d);
                for (const char *m; (m = np_engine_take_message(a.netpol));)
                        fprintf(stderr, "%s: warning: netpol: %s\n", program_name, m); /* even with -q */
        }
        diag_init(&d);
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
                control_free(a.ctl);
                model_registry_free(a.models);
                np_engine_free(a.netpol);
                return EXIT_ERROR;
        }
        r = monitor_new(&mo, &d, &a.m);
        if (r < 0) {
                log_error("%s", d.error[0] ? d.error : strerror(-r));
                diag_done(&d);
                control_free(a.ctl);
                model_registry_free(a.models);
                np_engine_free(a.netpol);
                return EXIT_ERROR;
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
        signal_monitor = NULL;
        monitor_free(a.m);
        control_free(a.ctl);      /* before the models and the engine its handlers use */
        np_engine_free(a.netpol); /* saves the graph; perimeters stay in force */
        model_registry_free(a.models);
        buf_free(&a.line);
        return r < 0 ? EXIT_ERROR : EXIT_OK;
}
