/* SPDX-License-Identifier: Apache-2.0 */
/* stockade netpol: the network micro-perimeters' offline front end. Reads and writes the agent's netpol
 * state directory (the graph it learned, the policy it enforces); the agent picks a new policy up within
 * a second. (When the agent's control socket lands, `stockade policy` gains the same verbs.) */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "netpol/netpol.h"

#define DEFAULT_DIR "/var/lib/stockade/netpol"

static void help(void) {
        printf("Usage: %s netpol COMMAND [OPTIONS]\n"
               "\n"
               "Network micro-perimeters: the connection graph `stockade agent --netpol DIR` learns,\n"
               "and the policy it enforces with nftables in every container's network namespace.\n"
               "\n"
               "Commands:\n"
               "  graph [--format text|dot|json]      print the learned connection graph\n"
               "  generate [--mode MODE] [-o FILE] [WORKLOAD…]\n"
               "                                      a policy allowing exactly the learned flows\n"
               "  check FILE                          validate a policy (errors name FILE:LINE:COLUMN)\n"
               "  apply FILE                          validate, then install as the enforced policy\n"
               "  mode (--all | WORKLOAD…) MODE        switch modes: learn, monitor, protect\n"
               "  export-k8s [FILE] [--namespace NS]  Kubernetes NetworkPolicy YAML\n"
               "\n"
               "Options:\n"
               "  -d, --dir DIR        the agent's netpol directory (default " DEFAULT_DIR ")\n"
               "  -o, --output FILE    write to FILE instead of standard output\n"
               "  -h, --help           show this help\n"
               "\n"
               "Examples:\n"
               "  %s netpol graph --format dot | dot -Tsvg > graph.svg\n"
               "  %s netpol generate --mode monitor -o policy.yaml && %s netpol apply policy.yaml\n"
               "  %s netpol generate client api db --mode protect -o shop.yaml\n"
               "  %s netpol mode --all protect\n"
               "  %s netpol export-k8s --namespace shop > networkpolicy.yaml\n"
               "\n"
               "Exit status: 0 on success, 2 on a usage or runtime error (an invalid policy included).\n"
               "See stockade-netpol(1) and the policy format in stockade-netpol(5).\n",
               program_name, program_name, program_name, program_name, program_name, program_name,
               program_name);
}

static int read_all(const char *path, size_t cap, char **ret, size_t *ret_len) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        struct buf b = BUF_INIT(cap);
        char chunk[65536];
        for (;;) {
                ssize_t n = read(fd, chunk, sizeof(chunk));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        buf_free(&b);
                        return negative_errno();
                }
                if (n == 0)
                        break;
                int r = buf_append(&b, chunk, (size_t) n);
                if (r < 0) {
                        buf_free(&b);
                        return r;
                }
        }
        *ret_len = b.len;
        *ret = buf_steal(&b);
        return 0;
}

static int write_out(const char *output, const struct buf *b) {
        if (!output) {
                if (fwrite(b->data, 1, b->len, stdout) != b->len || fflush(stdout) != 0) {
                        log_error("cannot write to standard output");
                        return EXIT_ERROR;
                }
                return EXIT_OK;
        }
        char tmp[4200];
        snprintf(tmp, sizeof(tmp), "%s.tmp.%d", output, (int) getpid());
        _cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || write(fd, b->data, b->len) != (ssize_t) b->len || rename(tmp, output) < 0) {
                log_error("cannot write '%s': %m", output);
                unlink(tmp);
                return EXIT_ERROR;
        }
        return EXIT_OK;
}

static int load_graph(const char *dir, struct np_graph *g) {
        char path[4096];
        _cleanup_free_ char *data = NULL;
        size_t len;
        snprintf(path, sizeof(path), "%s/graph.json", dir);
        int r = read_all(path, NP_GRAPH_MAX_BYTES, &data, &len);
        if (r < 0) {
                log_error("cannot read the connection graph '%s': %s (is `stockade agent --netpol %s` "
                          "running?)",
                          path, strerror(-r), dir);
                return r;
        }
        struct diag d;
        diag_init(&d);
        r = np_graph_from_json(data, len, path, g, &d);
        if (r < 0)
                log_error("%s", d.error);
        diag_done(&d);
        return r;
}

static int load_policy(const char *path, struct np_policy **p) {
        struct diag d;
        diag_init(&d);
        int r = np_policy_load(path, p, &d);
        if (r < 0)
                log_error("%s", d.error[0] ? d.error : strerror(-r));
        diag_done(&d);
        return r;
}

static int install_policy(const char *dir, const struct np_policy *p) {
        _cleanup_(buf_free) struct buf b = BUF_INIT(0);
        char path[4096];
        if (np_policy_to_yaml(p, &b) < 0) {
                log_error("out of memory");
                return EXIT_ERROR;
        }
        if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
                log_error("cannot create '%s': %m", dir);
                return EXIT_ERROR;
        }
        snprintf(path, sizeof(path), "%s/policy.yaml", dir);
        return write_out(path, &b);
}

int cmd_netpol(int argc, char **argv) {
        static const struct option options[] = {
                {"dir", required_argument, NULL, 'd'},
                {"output", required_argument, NULL, 'o'},
                {"format", required_argument, NULL, 'f'},
                {"mode", required_argument, NULL, 'm'},
                {"namespace", required_argument, NULL, 'n'},
                {"all", no_argument, NULL, 'a'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        const char *dir = DEFAULT_DIR, *output = NULL, *format = "text", *mode = NULL, *ns = NULL;
        bool all = false;
        int c;

        optind = 0;
        while ((c = getopt_long(argc, argv, "d:o:f:h", options, NULL)) >= 0) {
                switch (c) {
                case 'h': help(); return EXIT_OK;
                case 'd': dir = optarg; break;
                case 'o': output = optarg; break;
                case 'f': format = optarg; break;
                case 'm': mode = optarg; break;
                case 'n': ns = optarg; break;
                case 'a': all = true; break;
                default: fprintf(stderr, "Try '%s netpol --help'.\n", program_name); return EXIT_ERROR;
                }
        }
        if (optind >= argc) {
                log_error("netpol needs a command (see '%s netpol --help')", program_name);
                return EXIT_ERROR;
        }
        const char *verb = argv[optind++];
        char **args = argv + optind;
        int nargs = argc - optind;
        _cleanup_(buf_free) struct buf out = BUF_INIT(0);

        if (streq(verb, "graph") || streq(verb, "generate")) {
                if (nargs && streq(verb, "graph")) {
                        log_error("netpol %s takes no arguments", verb);
                        return EXIT_ERROR;
                }
                struct np_graph g;
                if (load_graph(dir, &g) < 0)
                        return EXIT_ERROR;
                int r;
                if (streq(verb, "graph")) {
                        if (streq(format, "text"))
                                r = np_graph_to_text(&g, &out);
                        else if (streq(format, "dot"))
                                r = np_graph_to_dot(&g, &out);
                        else if (streq(format, "json"))
                                r = np_graph_to_json(&g, &out);
                        else {
                                np_graph_done(&g);
                                log_error("unknown --format '%s' (text, dot or json)", format);
                                return EXIT_ERROR;
                        }
                } else {
                        int m = np_mode_from_name(mode ? mode : "monitor");
                        if (m < 0) {
                                np_graph_done(&g);
                                log_error("unknown --mode '%s' (learn, monitor or protect)", mode);
                                return EXIT_ERROR;
                        }
                        _cleanup_(np_policy_freep) struct np_policy *p = NULL;
                        r = np_policy_from_graph(&g, (enum np_mode) m, (const char *const *) args,
                                                 (size_t) nargs, &p);
                        if (r >= 0)
                                r = buf_printf(
                                        &out, "# generated by stockade netpol generate from %s/graph.json\n",
                                        dir);
                        if (r >= 0)
                                r = np_policy_to_yaml(p, &out);
                }
                np_graph_done(&g);
                if (r < 0) {
                        log_error("out of memory");
                        return EXIT_ERROR;
                }
                return write_out(output, &out);
        }
        if (streq(verb, "check") || streq(verb, "apply")) {
                if (nargs != 1) {
                        log_error("netpol %s takes one policy file", verb);
                        return EXIT_ERROR;
                }
                _cleanup_(np_policy_freep) struct np_policy *p = NULL;
                if (load_policy(args[0], &p) < 0)
                        return EXIT_ERROR;
                if (streq(verb, "check")) {
                        if (!arg_global.quiet)
                                printf("%s: valid, %zu workloads, mode %s\n", args[0], p->n_workloads,
                                       np_mode_name(p->mode));
                        return EXIT_OK;
                }
                return install_policy(dir, p);
        }
        if (streq(verb, "mode")) {
                if (nargs < 1 || (all && nargs != 1) || (!all && nargs < 2)) {
                        log_error("usage: netpol mode (--all | WORKLOAD…) MODE");
                        return EXIT_ERROR;
                }
                int m = np_mode_from_name(args[nargs - 1]);
                if (m < 0) {
                        log_error("unknown mode '%s' (learn, monitor or protect)", args[nargs - 1]);
                        return EXIT_ERROR;
                }
                char path[4096];
                snprintf(path, sizeof(path), "%s/policy.yaml", dir);
                _cleanup_(np_policy_freep) struct np_policy *p = NULL;
                if (load_policy(path, &p) < 0)
                        return EXIT_ERROR;
                if (all) {
                        p->mode = (enum np_mode) m;
                        for (size_t i = 0; i < p->n_workloads; i++)
                                p->workloads[i].has_mode = false;
                } else
                        for (int i = 0; i < nargs - 1; i++) {
                                bool found = false;
                                for (size_t k = 0; k < p->n_workloads; k++)
                                        if (streq(p->workloads[k].name, args[i])) {
                                                p->workloads[k].has_mode = true;
                                                p->workloads[k].mode = (enum np_mode) m;
                                                found = true;
                                        }
                                if (!found) {
                                        log_error("the policy '%s' has no workload '%s'", path, args[i]);
                                        return EXIT_ERROR;
                                }
                        }
                return install_policy(dir, p);
        }
        if (streq(verb, "export-k8s")) {
                char path[4096];
                if (nargs > 1) {
                        log_error("netpol export-k8s takes at most one policy file");
                        return EXIT_ERROR;
                }
                if (nargs)
                        snprintf(path, sizeof(path), "%s", args[0]);
                else
                        snprintf(path, sizeof(path), "%s/policy.yaml", dir);
                _cleanup_(np_policy_freep) struct np_policy *p = NULL;
                if (load_policy(path, &p) < 0)
                        return EXIT_ERROR;
                if (np_policy_to_k8s(p, ns, &out) < 0) {
                        log_error("out of memory");
                        return EXIT_ERROR;
                }
                return write_out(output, &out);
        }
        log_error("unknown netpol command '%s' (see '%s netpol --help')", verb, program_name);
        return EXIT_ERROR;
}
