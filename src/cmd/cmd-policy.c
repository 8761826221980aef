/* SPDX-License-Identifier: Apache-2.0 */
/* stockade policy: show, export, apply and switch the learned behaviour models of the running agent
 * (through its control socket), or of a state directory when no agent runs (--state DIR).
 *
 * Subcommands are a table (policy_commands[]): other areas (network policy, the graph) add a line and a
 * function taking (struct policy_ctx *, argc, argv) and talking through policy_call(). */

#include <getopt.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "core/json-util.h"
#include "runtime/control.h"
#include "runtime/model.h"

struct policy_ctx {
        const char *socket;
        const char *state; /* offline: read and write DIR/models.db directly */
        struct model_registry *reg;
        struct control *local;
        bool json;
};

/* Sends one command to the agent (or handles it offline); prints the error and returns EXIT_ERROR on
 * failure. */
static int policy_call(struct policy_ctx *p, const char *cmd, json_t *args, json_t **ret) {
        struct diag d;
        int r;
        diag_init(&d);
        if (p->state) {
                if (!p->reg) {
                        struct model_options o = {};
                        r = model_registry_open(p->state, &o, &d, &p->reg);
                        if (r >= 0 && (r = control_new(&p->local)) >= 0)
                                r = model_control_register(p->reg, p->local);
                        if (r < 0) {
                                log_error("%s", d.error[0] ? d.error : strerror(-r));
                                diag_done(&d);
                                return EXIT_ERROR;
                        }
                }
                _cleanup_(json_decrefp) json_t *req = json_pack("{s:s,s:O?}", "cmd", cmd, "args", args);
                _cleanup_free_ char *line = req ? json_dumps(req, JSON_COMPACT) : NULL;
                _cleanup_(buf_free) struct buf out = BUF_INIT(0);
                _cleanup_(json_decrefp) json_t *resp = NULL;
                if (!line || control_dispatch(p->local, line, strlen(line), &out) < 0 ||
                    json_parse_capped(out.data, out.len, CONTROL_MAX_RESPONSE, "response", &d, &resp) < 0) {
                        log_error("%s", d.error[0] ? d.error : "out of memory");
                        diag_done(&d);
                        return EXIT_ERROR;
                }
                diag_done(&d);
                if (!json_get_bool(resp, "ok", false)) {
                        log_error("%s",
                                  json_get_str(resp, "error") ? json_get_str(resp, "error") : "failed");
                        return EXIT_ERROR;
                }
                json_t *res = json_object_get(resp, "result");
                *ret = res && !json_is_null(res) ? json_incref(res) : NULL;
                return EXIT_OK;
        }
        r = control_call(p->socket, cmd, args, 0, ret, &d);
        if (r < 0) {
                if (r == -ENOENT || r == -ECONNREFUSED)
                        log_error("%s (is 'stockade agent' running? --state DIR works without it)", d.error);
                else
                        log_error("%s", d.error[0] ? d.error : strerror(-r));
                diag_done(&d);
                return EXIT_ERROR;
        }
        diag_done(&d);
        return EXIT_OK;
}

static void print_time(const char *label, json_t *o, const char *key) {
        long long ms = json_get_int(o, key, 0);
        char b[32] = "never";
        if (ms > 0) {
                time_t t = (time_t) (ms / 1000);
                struct tm tm;
                gmtime_r(&t, &tm);
                strftime(b, sizeof b, "%Y-%m-%d %H:%M:%SZ", &tm);
        }
        printf("%-16s %s\n", label, b);
}

static void print_access(json_t *e) {
        json_t *acc = json_get_arr(e, "access"), *x;
        size_t i;
        json_array_foreach(acc, i, x)
                printf("%s%s", i ? "," : "", json_string_value(x) ? json_string_value(x) : "?");
}

static void print_model(json_t *m) {
        json_t *e;
        size_t i;
        const char *name = json_get_str(m, "name");
        printf("%-16s %s\n", "image", json_get_str(m, "image"));
        if (name && name[0])
                printf("%-16s %s\n", "name", name);
        printf("%-16s %s\n", "mode", json_get_str(m, "mode"));
        print_time("learning since", m, "learn_start");
        print_time("last growth", m, "last_growth");
        print_time("last seen", m, "last_seen");
        printf("%-16s %lld\n", "observations", json_get_int(m, "observations", 0));
        if (json_get_int(m, "overflow", 0))
                printf("%-16s %lld (entries not learned: the model is full)\n", "overflow",
                       json_get_int(m, "overflow", 0));

        json_t *procs = json_get_arr(m, "processes");
        printf("\nprocesses (%zu):\n", json_array_size(procs));
        json_array_foreach(procs, i, e) {
                const char *parent = json_get_str(e, "parent");
                printf("  %s  parent %s  uid %lld  x%lld\n", json_get_str(e, "exe"),
                       parent && parent[0] ? parent : "(outside)", json_get_int(e, "uid", 0),
                       json_get_int(e, "count", 0));
        }
        json_t *seqs = json_get_arr(m, "sequences");
        printf("\nexec sequences (%zu):\n", json_array_size(seqs));
        json_array_foreach(seqs, i, e) {
                json_t *exes = json_get_arr(e, "exes"), *x;
                size_t j;
                printf(" ");
                json_array_foreach(exes, j, x) {
                        const char *xs = json_string_value(x);
                        printf(" %s%s", j ? "→ " : "", xs && xs[0] ? xs : "(outside)");
                }
                printf("  x%lld\n", json_get_int(e, "count", 0));
        }
        json_t *files = json_get_arr(m, "files");
        printf("\nfiles (%zu):\n", json_array_size(files));
        json_array_foreach(files, i, e) {
                printf("  %s  ", json_get_str(e, "path"));
                print_access(e);
                printf("  x%lld\n", json_get_int(e, "count", 0));
        }
        json_t *net = json_get_obj(m, "network");
        static const char *const which[] = {"listen", "outbound", "inbound"};
        printf("\nnetwork:\n");
        for (int w = 0; w < 3; w++) {
                json_t *l = json_get_arr(net, which[w]);
                json_array_foreach(l, i, e) {
                        if (w == 0)
                                printf("  listen    %s port %lld\n", json_get_str(e, "protocol"),
                                       json_get_int(e, "port", 0));
                        else
                                printf("  %-9s %s %s port %lld  x%lld\n", which[w],
                                       json_get_str(e, "protocol"), json_get_str(e, "peer"),
                                       json_get_int(e, "port", 0), json_get_int(e, "count", 0));
                }
        }
}

static void print_json(json_t *j) {
        _cleanup_free_ char *s = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
        if (s)
                printf("%s\n", s);
}

static int p_list(struct policy_ctx *p, int argc, char **argv) {
        _cleanup_(json_decrefp) json_t *res = NULL;
        int r = policy_call(p, "policy.list", NULL, &res);
        if (r != EXIT_OK)
                return r;
        if (p->json) {
                print_json(res);
                return EXIT_OK;
        }
        json_t *e;
        size_t i;
        printf("%-24s %-30s %-8s %6s %6s %6s\n", "IMAGE", "NAME", "MODE", "PROCS", "FILES", "NET");
        json_array_foreach(res, i, e) {
                const char *img = json_get_str(e, "image");
                const char *h = img ? strstr(img, "sha256:") : NULL;
                printf("%-24.24s %-30.30s %-8s %6lld %6lld %6lld\n",
                       h     ? h
                       : img ? img
                             : "?",
                       json_get_str(e, "name"), json_get_str(e, "mode"), json_get_int(e, "processes", 0),
                       json_get_int(e, "files", 0),
                       json_get_int(e, "listen", 0) + json_get_int(e, "outbound", 0) +
                               json_get_int(e, "inbound", 0));
        }
        return EXIT_OK;
}

static int p_show(struct policy_ctx *p, int argc, char **argv) {
        if (argc == 0)
                return p_list(p, argc, argv);
        for (int i = 0; i < argc; i++) {
                _cleanup_(json_decrefp) json_t *args = json_pack("{s:s}", "image", argv[i]), *res = NULL;
                int r = policy_call(p, "policy.show", args, &res);
                if (r != EXIT_OK)
                        return r;
                if (i)
                        printf("\n");
                if (p->json)
                        print_json(res);
                else
                        print_model(res);
        }
        return EXIT_OK;
}

static int p_export(struct policy_ctx *p, int argc, char **argv) {
        if (argc == 0) {
                log_error("policy export needs an IMAGE (see '%s policy --help')", program_name);
                return EXIT_ERROR;
        }
        for (int i = 0; i < argc; i++) {
                _cleanup_(json_decrefp) json_t *args = json_pack("{s:s}", "image", argv[i]), *res = NULL;
                int r = policy_call(p, "policy.export", args, &res);
                if (r != EXIT_OK)
                        return r;
                const char *y = json_get_str(res, "yaml");
                /* several images: one YAML stream, "---" starts each document */
                if (argc > 1)
                        fputs("---\n", stdout);
                fputs(y ? y : "", stdout);
        }
        return EXIT_OK;
}

static int p_apply(struct policy_ctx *p, int argc, char **argv) {
        if (argc == 0) {
                log_error("policy apply needs a FILE (see '%s policy --help')", program_name);
                return EXIT_ERROR;
        }
        for (int i = 0; i < argc; i++) {
                _cleanup_fclose_ FILE *f = streq(argv[i], "-") ? NULL : fopen(argv[i], "re");
                if (!f && !streq(argv[i], "-")) {
                        log_error("cannot open '%s': %s", argv[i], strerror(errno));
                        return EXIT_ERROR;
                }
                _cleanup_(buf_free) struct buf b = BUF_INIT(CONTROL_MAX_REQUEST / 2);
                char chunk[65536];
                size_t n;
                while ((n = fread(chunk, 1, sizeof chunk, f ? f : stdin)) > 0)
                        if (buf_append(&b, chunk, n) < 0) {
                                log_error("'%s' is larger than %d bytes", argv[i], CONTROL_MAX_REQUEST / 2);
                                return EXIT_ERROR;
                        }
                if (ferror(f ? f : stdin)) {
                        log_error("cannot read '%s'", argv[i]);
                        return EXIT_ERROR;
                }
                _cleanup_(json_decrefp)
                        json_t *args = json_pack("{s:s%,s:s}", "yaml", b.data ? b.data : "", b.len, "name",
                                                 streq(argv[i], "-") ? "<stdin>" : argv[i]),
                               *res = NULL;
                if (!args) {
                        log_error("'%s' is not UTF-8 text", argv[i]);
                        return EXIT_ERROR;
                }
                int r = policy_call(p, "policy.apply", args, &res);
                if (r != EXIT_OK)
                        return r;
                if (!arg_global.quiet)
                        printf("applied %s to %s\n", argv[i], json_get_str(res, "image"));
        }
        return EXIT_OK;
}

static int p_network_run(struct policy_ctx *p, const char *verb, int argc, char **argv);
static bool network_dir(struct policy_ctx *p, char *dir, size_t dirlen, char *why, size_t whylen);

/* `mode --all MODE` switches the network perimeters too, when the agent enforces a network policy. */
static int p_mode_network_all(struct policy_ctx *p, const char *mode) {
        char dir[4096], why[1024], path[4200];
        if (!network_dir(p, dir, sizeof(dir), why, sizeof(why)))
                return EXIT_OK; /* no --netpol: models only */
        snprintf(path, sizeof(path), "%s/policy.yaml", dir);
        if (access(path, F_OK) < 0) {
                if (!arg_global.quiet)
                        printf("network perimeters: no policy applied yet in %s (see 'stockade policy "
                               "network generate')\n",
                               dir);
                return EXIT_OK;
        }
        char *av[] = {(char *) "--all", (char *) mode};
        int r = p_network_run(p, "mode", 2, av);
        if (r == EXIT_OK && !arg_global.quiet)
                printf("network perimeters now in %s mode\n", mode);
        return r;
}

static int p_mode(struct policy_ctx *p, int argc, char **argv, bool all) {
        enum model_mode m;
        if (argc < 1 || model_mode_from_string(argv[argc - 1], &m) < 0) {
                log_error("policy mode needs IMAGE… MODE (learn, monitor or protect) or --all MODE");
                return EXIT_ERROR;
        }
        if (all != (argc == 1)) {
                log_error(all ? "policy mode --all takes only the MODE"
                              : "policy mode needs an IMAGE (or --all)");
                return EXIT_ERROR;
        }
        const char *mode = argv[argc - 1];
        if (all) {
                _cleanup_(json_decrefp) json_t *args = json_pack("{s:b,s:s}", "all", 1, "mode", mode),
                                               *res = NULL;
                int r = policy_call(p, "policy.mode", args, &res);
                if (r == EXIT_OK && !arg_global.quiet)
                        printf("%lld model(s) now in %s mode\n", json_get_int(res, "changed", 0), mode);
                if (r == EXIT_OK)
                        r = p_mode_network_all(p, mode);
                return r;
        }
        for (int i = 0; i < argc - 1; i++) {
                _cleanup_(json_decrefp)
                        json_t *args = json_pack("{s:s,s:s}", "image", argv[i], "mode", mode),
                               *res = NULL;
                int r = policy_call(p, "policy.mode", args, &res);
                if (r != EXIT_OK)
                        return r;
                json_t *imgs = json_get_arr(res, "images");
                if (!arg_global.quiet)
                        printf("%s now in %s mode\n", json_string_value(json_array_get(imgs, 0)), mode);
        }
        return EXIT_OK;
}

static int p_mode_cmd(struct policy_ctx *p, int argc, char **argv) {
        bool all = false;
        int k = 0;
        for (int i = 0; i < argc; i++) {
                if (streq(argv[i], "--all"))
                        all = true;
                else
                        argv[k++] = argv[i];
        }
        return p_mode(p, k, argv, all);
}

/* netpol: the network side (stockade-netpol(1)). The running agent names its --netpol directory
 * ("network.dir"); offline (--state DIR) it is DIR/netpol. Then the same code as `stockade netpol`.
 * Returns false (with the reason in why) when there is none. */
static bool network_dir(struct policy_ctx *p, char *dir, size_t dirlen, char *why, size_t whylen) {
        if (p->state) {
                snprintf(dir, dirlen, "%s/netpol", p->state);
                return true;
        }
        struct diag d;
        json_t *res = NULL;
        diag_init(&d);
        int r = control_call(p->socket, "network.dir", NULL, 0, &res, &d);
        bool ok = r >= 0 && json_is_string(res);
        if (ok)
                snprintf(dir, dirlen, "%s", json_string_value(res));
        else
                snprintf(why, whylen, "%.*s", (int) (whylen > 1 ? whylen - 1 : 0),
                         d.error[0] ? d.error : "the agent does not enforce network policy");
        json_decref(res);
        diag_done(&d);
        return ok;
}

static int p_network_run(struct policy_ctx *p, const char *verb, int argc, char **argv) {
        char dir[4096], why[1024];
        if (!network_dir(p, dir, sizeof(dir), why, sizeof(why))) {
                log_error("%s (is 'stockade agent --netpol DIR' running? 'stockade netpol -d DIR' works "
                          "without it)",
                          why);
                return EXIT_ERROR;
        }
        _cleanup_free_ char **av = calloc((size_t) argc + 5, sizeof(char *));
        if (!av)
                return EXIT_ERROR;
        int n = 0;
        av[n++] = (char *) "netpol";
        av[n++] = (char *) "-d";
        av[n++] = dir;
        av[n++] = (char *) verb;
        for (int i = 0; i < argc; i++)
                av[n++] = argv[i];
        return cmd_netpol(n, av);
}

static int p_graph(struct policy_ctx *p, int argc, char **argv) {
        return p_network_run(p, "graph", argc, argv);
}

static int p_network(struct policy_ctx *p, int argc, char **argv) {
        if (argc < 1) {
                log_error("policy network needs a command: generate, check, apply, mode, export-k8s");
                return EXIT_ERROR;
        }
        return p_network_run(p, argv[0], argc - 1, argv + 1);
}

/* The subcommands. Add a line here (and a section in stockade-policy(1)) for a new one. */
static const struct {
        const char *name;
        int (*fn)(struct policy_ctx *p, int argc, char **argv);
        const char *summary;
} policy_commands[] = {
        {"list", p_list, "list the learned image models"},
        {"show", p_show, "show an image's model (or list them all)"},
        {"export", p_export, "print an image's model as an ImageProfile YAML document"},
        {"apply", p_apply, "replace models from ImageProfile YAML files (validated first)"},
        {"mode", p_mode_cmd, "switch models (--all: and network perimeters) between modes"},
        {"graph", p_graph, "the network connection graph (--format text|dot|json)"},             /* netpol */
        {"network", p_network, "network policy: generate|check|apply|mode|export-k8s (netpol)"}, /* netpol */
};

static void help(void) {
        printf("Usage: %s policy [OPTIONS] COMMAND [ARGS…]\n"
               "\n"
               "Show, export, apply and switch the behaviour models the agent learns for every\n"
               "image (one model per image digest, shared by all its containers). Talks to the\n"
               "running 'stockade agent' over its control socket (root only).\n"
               "\n"
               "Commands:\n",
               program_name);
        for (size_t i = 0; i < ELEMENTSOF(policy_commands); i++)
                printf("  %-8s %s\n", policy_commands[i].name, policy_commands[i].summary);
        printf("\n"
               "IMAGE is the image name a container was started with (busybox:1.36), its id or\n"
               "digest (sha256:…), or a unique prefix of at least 12 characters of it.\n"
               "\n"
               "Options:\n"
               "      --socket PATH   the agent's control socket (default %s)\n"
               "      --state DIR     work on DIR/models.db directly, without an agent (only\n"
               "                      while no agent uses DIR)\n"
               "      --json          show/list as JSON\n"
               "  -q, --quiet         no confirmation lines\n"
               "  -h, --help          show this help\n"
               "\n"
               "Examples:\n"
               "  %s policy list\n"
               "  %s policy show nginx:1.25\n"
               "  %s policy export nginx:1.25 > nginx.profile.yaml\n"
               "  %s policy apply nginx.profile.yaml\n"
               "  %s policy mode nginx:1.25 protect\n"
               "  %s policy mode --all monitor\n"
               "  %s policy --state /var/lib/stockade show nginx:1.25\n"
               "  %s policy graph --format dot\n"
               "  %s policy network mode --all protect\n"
               "\n"
               "Exit status: 0 on success, 2 on a usage error, a validation error or when the agent\n"
               "cannot be reached. See stockade-policy(1) and stockade-policy(5).\n",
               CONTROL_SOCKET_DEFAULT, program_name, program_name, program_name, program_name, program_name,
               program_name, program_name, program_name, program_name);
}

enum {
        OPT_SOCKET = _OPT_COMMON_MAX,
        OPT_STATE,
        OPT_JSON,
};

int cmd_policy(int argc, char **argv) {
        static const struct option options[] = {
                {"socket", required_argument, NULL, OPT_SOCKET},
                {"state", required_argument, NULL, OPT_STATE},
                {"json", no_argument, NULL, OPT_JSON},
                {"quiet", no_argument, NULL, 'q'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        struct policy_ctx p = {.socket = CONTROL_SOCKET_DEFAULT};
        int c;

        /* options before and after the subcommand ("policy mode --all protect" keeps its --all) */
        optind = 0;
        while ((c = getopt_long(argc, argv, "+qh", options, NULL)) >= 0) {
                switch (c) {
                case 'h': help(); return EXIT_OK;
                case 'q': arg_global.quiet = true; break;
                case OPT_SOCKET: p.socket = optarg; break;
                case OPT_STATE: p.state = optarg; break;
                case OPT_JSON: p.json = true; break;
                default: fprintf(stderr, "Try '%s policy --help'.\n", program_name); return EXIT_ERROR;
                }
        }
        if (optind >= argc) {
                help();
                return EXIT_ERROR;
        }
        const char *sub = argv[optind];
        int k = 0;
        char **rest = argv + optind + 1;
        int nrest = argc - optind - 1;
        /* the common options may follow the subcommand too */
        for (int i = 0; i < nrest; i++) {
                if ((streq(rest[i], "--socket") || streq(rest[i], "--state")) && i + 1 < nrest) {
                        if (streq(rest[i], "--socket"))
                                p.socket = rest[i + 1];
                        else
                                p.state = rest[i + 1];
                        i++;
                } else if (strneq(rest[i], "--socket=", 9))
                        p.socket = rest[i] + 9;
                else if (strneq(rest[i], "--state=", 8))
                        p.state = rest[i] + 8;
                else if (streq(rest[i], "--json"))
                        p.json = true;
                else if (streq(rest[i], "-q") || streq(rest[i], "--quiet"))
                        arg_global.quiet = true;
                else if (streq(rest[i], "-h") || streq(rest[i], "--help")) {
                        help();
                        return EXIT_OK;
                } else
                        rest[k++] = rest[i];
        }
        int r = -1;
        for (size_t i = 0; i < ELEMENTSOF(policy_commands); i++)
                if (streq(sub, policy_commands[i].name))
                        r = policy_commands[i].fn(&p, k, rest);
        if (r < 0) {
                log_error("unknown policy command '%s' (see '%s policy --help')", sub, program_name);
                r = EXIT_ERROR;
        }
        control_free(p.local);
        model_registry_free(p.reg);
        return r;
}
