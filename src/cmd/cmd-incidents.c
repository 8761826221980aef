/* SPDX-License-Identifier: Apache-2.0 */
/* stockade incidents list|show: the agent's incident records, read offline from STATE/incidents.db. */

#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <string.h>

#include "cmd.h"
#include "runtime/alerts.h"
#include "runtime/incidents.h"

static void help(void) {
        printf("Usage: %s incidents list [OPTIONS]\n"
               "       %s incidents show ID [OPTIONS]\n"
               "\n"
               "Show the incidents `stockade agent --state DIR` recorded: what was detected (rule, "
               "severity,\n"
               "container, process), how often, what was done, and the forensic evidence taken at the time\n"
               "(process tree with command lines and executable hashes, open files, connections, the\n"
               "container's last events). Reads the store directly; the agent need not run.\n"
               "\n"
               "Options:\n"
               "      --state DIR       the agent's state directory (default /var/lib/stockade)\n"
               "  -f, --format FORMAT   table (default) or json\n"
               "  -n, --limit N         list: the newest N incidents only\n"
               "  -h, --help            show this help\n"
               "\n"
               "Examples:\n"
               "  %s incidents list\n"
               "  %s incidents list --state /tmp/agent-state --format json | jq '.[].rule_id'\n"
               "  %s incidents show 12\n"
               "\n"
               "Exit status: 0, or 2 on a usage or runtime error (no such incident). See "
               "stockade-incidents(1).\n",
               program_name, program_name, program_name, program_name, program_name);
}

static json_t *record_json(const struct incident_record *r, bool full) {
        char f[40], l[40];
        alerts_format_time(r->first_ns, f);
        alerts_format_time(r->last_ns, l);
        json_t *o = json_pack("{s:I, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:I, s:s, s:s}", "id",
                              (json_int_t) r->id, "rule_id", r->rule_id, "rule_title", r->rule_title,
                              "severity", r->severity, "container_id", r->container_id, "container_name",
                              r->container_name, "image", r->image, "subject", r->subject, "action",
                              r->action, "count", (json_int_t) r->count, "first", f, "last", l);
        if (!o)
                return NULL;
        if (full) {
                json_t *a = r->alert ? json_loads(r->alert, 0, NULL) : NULL;
                json_t *fo = r->forensics ? json_loads(r->forensics, 0, NULL) : NULL;
                json_object_set_new(o, "alert", a ? a : json_null());
                json_object_set_new(o, "forensics", fo ? fo : json_null());
        }
        return o;
}

struct list_ctx {
        bool json;
        json_t *arr;
};

static const char *s_or(const char *s, const char *d) {
        return s && *s ? s : d;
}

static int on_list(void *userdata, const struct incident_record *r) {
        struct list_ctx *c = userdata;
        if (c->json) {
                json_t *o = record_json(r, false);
                if (o)
                        json_array_append_new(c->arr, o);
                return 0;
        }
        char t[40];
        alerts_format_time(r->last_ns, t);
        t[19] = 0; /* seconds are enough in a table */
        printf("%6" PRIu64 "  %-19s  %-8s  %-22.22s  %-20.20s  %-7s  %5" PRIu64 "  %s\n", r->id, t,
               s_or(r->severity, "-"), s_or(r->rule_id, "-"),
               s_or(r->container_name, s_or(r->container_id, "(host)")), s_or(r->action, "-"), r->count,
               s_or(r->subject, ""));
        return 0;
}

static void print_tree(const json_t *f) {
        json_t *tree = json_object_get(f, "process_tree"), *p;
        size_t i;
        json_array_foreach(tree, i, p) {
                printf("  %*s%" JSON_INTEGER_FORMAT "  %s", (int) (2 * i), "",
                       json_integer_value(json_object_get(p, "pid")),
                       s_or(json_string_value(json_object_get(p, "exe")), "?"));
                json_t *argv = json_object_get(p, "cmdline"), *arg;
                size_t k;
                printf("  [");
                json_array_foreach(argv, k, arg) printf("%s%s", k ? " " : "", json_string_value(arg));
                printf("]");
                const char *h = json_string_value(json_object_get(p, "sha256"));
                if (h)
                        printf("  sha256:%.16s…", h);
                printf("\n");
        }
}

static int on_show(void *userdata, const struct incident_record *r) {
        struct list_ctx *c = userdata;
        if (c->json) {
                json_t *o = record_json(r, true);
                if (!o)
                        return -ENOMEM;
                json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
                printf("\n");
                json_decref(o);
                return 0;
        }
        char f[40], l[40];
        alerts_format_time(r->first_ns, f);
        alerts_format_time(r->last_ns, l);
        printf("incident %" PRIu64 ": %s (%s)\n", r->id, s_or(r->rule_title, "?"), s_or(r->rule_id, "?"));
        printf("severity:  %s\naction:    %s\ncount:     %" PRIu64 " (first %s, last %s)\n",
               s_or(r->severity, "-"), s_or(r->action, "-"), r->count, f, l);
        printf("container: %s (%s)\nimage:     %s\nsubject:   %s\n", s_or(r->container_name, "-"),
               s_or(r->container_id, "host"), s_or(r->image, "-"), s_or(r->subject, "-"));
        json_t *a = r->alert ? json_loads(r->alert, 0, NULL) : NULL;
        if (a) {
                printf("observed:  %s\n", s_or(json_string_value(json_object_get(a, "observed")), "-"));
                const char *e = json_string_value(json_object_get(a, "expected"));
                if (e)
                        printf("expected:  %s\n", e);
                json_decref(a);
        }
        json_t *fo = r->forensics ? json_loads(r->forensics, 0, NULL) : NULL;
        if (!fo) {
                printf("forensics: not collected\n");
                return 0;
        }
        printf("process tree:\n");
        print_tree(fo);
        json_t *arr, *x;
        size_t i;
        arr = json_object_get(fo, "open_files");
        printf("open files (%zu):\n", json_array_size(arr));
        json_array_foreach(arr, i, x)
                printf("  %3" JSON_INTEGER_FORMAT " %s\n", json_integer_value(json_object_get(x, "fd")),
                       s_or(json_string_value(json_object_get(x, "target")), "?"));
        arr = json_object_get(fo, "connections");
        printf("connections (%zu):\n", json_array_size(arr));
        json_array_foreach(arr, i, x)
                printf("  %-5s %-24s %-24s %s\n", json_string_value(json_object_get(x, "proto")),
                       json_string_value(json_object_get(x, "local")),
                       json_string_value(json_object_get(x, "remote")),
                       json_string_value(json_object_get(x, "state")));
        arr = json_object_get(fo, "events");
        printf("recent events of the container (%zu):\n", json_array_size(arr));
        json_array_foreach(arr, i, x) printf(
                "  %s %-7s %6" JSON_INTEGER_FORMAT " %s %s\n", json_string_value(json_object_get(x, "time")),
                json_string_value(json_object_get(x, "type")), json_integer_value(json_object_get(x, "pid")),
                s_or(json_string_value(json_object_get(x, "exe")), ""),
                s_or(json_string_value(json_object_get(x, "detail")), ""));
        arr = json_object_get(fo, "errors");
        json_array_foreach(arr, i, x) printf("note: %s\n", json_string_value(x));
        json_decref(fo);
        return 0;
}

int cmd_incidents(int argc, char **argv) {
        static const struct option options[] = {
                {"state", required_argument, NULL, 's'},
                {"format", required_argument, NULL, 'f'},
                {"limit", required_argument, NULL, 'n'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        const char *state = "/var/lib/stockade", *format = "table";
        unsigned long limit = 0;
        char *end;
        int c;

        optind = 0;
        while ((c = getopt_long(argc, argv, "f:n:h", options, NULL)) >= 0) {
                switch (c) {
                case 'h': help(); return EXIT_OK;
                case 's': state = optarg; break;
                case 'f': format = optarg; break;
                case 'n':
                        errno = 0;
                        limit = strtoul(optarg, &end, 10);
                        if (errno || end == optarg || *end || limit == 0) {
                                log_error("invalid --limit '%s': a positive number", optarg);
                                return EXIT_ERROR;
                        }
                        break;
                default: fprintf(stderr, "Try '%s incidents --help'.\n", program_name); return EXIT_ERROR;
                }
        }
        if (!streq(format, "table") && !streq(format, "json")) {
                log_error("invalid --format '%s': table or json", format);
                return EXIT_ERROR;
        }
        const char *verb = optind < argc ? argv[optind] : NULL;
        if (!verb || (!streq(verb, "list") && !streq(verb, "show"))) {
                log_error("incidents needs 'list' or 'show ID' (see '%s incidents --help')", program_name);
                return EXIT_ERROR;
        }
        uint64_t id = 0;
        if (streq(verb, "show")) {
                if (optind + 2 != argc) {
                        log_error("incidents show takes one incident id");
                        return EXIT_ERROR;
                }
                errno = 0;
                id = strtoull(argv[optind + 1], &end, 10);
                if (errno || end == argv[optind + 1] || *end || id == 0) {
                        log_error("invalid incident id '%s'", argv[optind + 1]);
                        return EXIT_ERROR;
                }
        } else if (optind + 1 != argc) {
                log_error("incidents list takes no arguments");
                return EXIT_ERROR;
        }

        struct diag d;
        diag_init(&d);
        _cleanup_(incidents_reader_closep) struct incident_reader *rd = NULL;
        int r = incidents_reader_open(state, &d, &rd);
        if (r < 0) {
                log_error("%s", d.error[0] ? d.error : strerror(-r));
                diag_done(&d);
                return EXIT_ERROR;
        }
        diag_done(&d);
        struct list_ctx ctx = {.json = streq(format, "json")};
        if (streq(verb, "list")) {
                if (ctx.json)
                        ctx.arr = json_array();
                else
                        printf("%6s  %-19s  %-8s  %-22s  %-20s  %-7s  %5s  %s\n", "ID", "LAST (UTC)",
                               "SEVERITY", "RULE", "CONTAINER", "ACTION", "COUNT", "SUBJECT");
                r = incidents_list(rd, limit, on_list, &ctx);
                if (ctx.json) {
                        json_dumpf(ctx.arr, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
                        printf("\n");
                        json_decref(ctx.arr);
                }
        } else {
                r = incidents_get(rd, id, on_show, &ctx);
                if (r == -ENOENT) {
                        log_error("no incident %" PRIu64 " in '%s'", id, state);
                        return EXIT_ERROR;
                }
        }
        if (r < 0) {
                log_error("cannot read the incidents in '%s': %s", state, strerror(-r));
                return EXIT_ERROR;
        }
        return EXIT_OK;
}
