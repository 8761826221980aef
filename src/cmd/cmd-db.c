/* SPDX-License-Identifier: Apache-2.0 */
/* stockade db build|info|update|lookup: the local vulnerability database. */
#include <getopt.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "core/json-util.h"
#include "vulndb/vulndb.h"

#define STALE_DAYS 7

enum {
        OPT_DB = 0x200,
        OPT_OUT,
        OPT_BUILT_AT,
        OPT_MAX_RECORD,
        OPT_MAX_FILE,
        OPT_MAX_MEMORY,
        OPT_JSON,
        OPT_VERIFY,
        OPT_ONLINE,
        OPT_OFFLINE,
        OPT_MIRROR,
        OPT_CONFIG,
        OPT_DOWNLOAD_DIR,
        OPT_FEED,
        OPT_FORCE,
        OPT_RAW,
        OPT_MAX_SIZE,
};

static void help(void) {
        printf("Usage: %s db COMMAND [OPTIONS]\n"
               "\n"
               "The local vulnerability database that 'stockade scan' matches packages against:\n"
               "advisories from OSV (every ecosystem), the Debian security tracker, Alpine and\n"
               "Wolfi secdb, NVD (CVSS, CWE) and CISA KEV, in one SQLite file.\n"
               "\n"
               "Commands:\n"
               "  build SOURCE...   build the database from feed files or directories\n"
               "  info              show what the database holds and how old it is\n"
               "  update            refresh it from the network (offline by default)\n"
               "  lookup ECO NAME   show what the database says about one package\n"
               "\n"
               "Examples:\n"
               "  %s db build ../shared/data/feeds\n"
               "  %s db build go=vulndb/data/osv pypa-osv/ kev.json --out /tmp/vuln.db\n"
               "  %s db info --verify\n"
               "  %s db update --online\n"
               "  %s db lookup PyPI Django\n"
               "\n"
               "The database is $STOCKADE_DB, else ~/.cache/stockade/vuln.db. Run\n"
               "'%s db COMMAND --help' for a command's options; see stockade-db(1).\n",
               program_name, program_name, program_name, program_name, program_name, program_name,
               program_name);
}

static char *db_path_default(void) {
        const char *e = getenv("STOCKADE_DB");
        return e && *e ? strdup(e) : vulndb_default_path();
}

static void print_warnings(struct diag *d, size_t max) {
        size_t shown = arg_global.verbose ? d->n_warnings : MIN(d->n_warnings, max);
        for (size_t i = 0; i < shown; i++)
                log_warning("%s", d->warnings[i]);
        size_t hidden = d->n_warnings - shown + d->n_dropped;
        if (hidden > 0 && !arg_global.quiet)
                log_warning("%zu more warnings (use --verbose to see them)", hidden);
}

static int parse_size_opt(const char *opt, const char *arg, size_t *ret) {
        uint64_t v;
        if (parse_size(arg, &v) < 0 || v == 0 || v > SIZE_MAX) {
                log_error("invalid %s '%s': expected a size such as 4M or 2G", opt, arg);
                return -1;
        }
        *ret = (size_t) v;
        return 0;
}

static int mkdir_parents(const char *path) {
        _cleanup_free_ char *p = strdup(path);
        if (!p)
                return -ENOMEM;
        for (char *s = p + 1; *s; s++) {
                if (*s != '/')
                        continue;
                *s = 0;
                if (mkdir(p, 0700) < 0 && errno != EEXIST)
                        return negative_errno();
                *s = '/';
        }
        return 0;
}

/* ---- build ---- */

static void build_help(void) {
        printf("Usage: %s db build [OPTIONS] SOURCE...\n"
               "\n"
               "Build the vulnerability database from feed files and directories (walked\n"
               "recursively; .json .yaml .yml .zip .gz .xz .bz2 .zst files are read, the format\n"
               "is recognized from the content): OSV JSON/YAML records of any ecosystem, OSV\n"
               "all.zip exports, the Debian security tracker JSON, Alpine/Wolfi secdb JSON or\n"
               "YAML, NVD CVE JSON 2.0 (CVSS and CWE enrichment) and the CISA KEV catalog.\n"
               "A SOURCE written NAME=PATH gets that name in 'db info'. The database is written\n"
               "to a temporary file and renamed into place: a failed build leaves the old one.\n"
               "\n"
               "Options:\n"
               "  -o, --out DB             where to write it (default $STOCKADE_DB or\n"
               "                           ~/.cache/stockade/vuln.db)\n"
               "      --built-at TIME      record TIME (RFC 3339) as the build time, for\n"
               "                           reproducible builds\n"
               "      --max-record-size S  skip advisory records larger than S (default 4M)\n"
               "      --max-file-size S    skip feed files larger than S (default 512M)\n"
               "      --max-memory S       fail beyond S of feed data in memory (default 4G)\n"
               "  -q, --quiet              no progress, no warnings\n"
               "  -v, --verbose            show every warning\n"
               "  -h, --help               show this help\n"
               "\n"
               "Examples:\n"
               "  %s db build ../shared/data/feeds\n"
               "  %s db build feeds/go-osv feeds/pypa-osv feeds/kev -o /tmp/vuln.db\n"
               "  %s db build debian=debian-tracker.json nvdcve-2.0-2024.json.gz Go.zip\n"
               "\n"
               "Malformed records are skipped with a warning naming the file and the record.\n"
               "Exit status: 0 when built, 2 on an error (the previous database is kept).\n",
               program_name, program_name, program_name, program_name);
}

struct build_progress {
        bool enabled, drawn;
        double last;
};

static double now_s(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void build_progress_cb(void *userdata, const char *source, size_t done, size_t total) {
        struct build_progress *p = userdata;
        double t = now_s();
        if (!p->enabled || (done < total && t - p->last < 0.1))
                return;
        p->last = t;
        fprintf(stderr, "\r\033[Kreading feeds: %zu/%zu files", done, total);
        p->drawn = true;
}

static int cmd_db_build(int argc, char **argv) {
        static const struct option options[] = {
                {"out", required_argument, NULL, 'o'},
                {"built-at", required_argument, NULL, OPT_BUILT_AT},
                {"max-record-size", required_argument, NULL, OPT_MAX_RECORD},
                {"max-file-size", required_argument, NULL, OPT_MAX_FILE},
                {"max-memory", required_argument, NULL, OPT_MAX_MEMORY},
                {"quiet", no_argument, NULL, 'q'},
                {"verbose", no_argument, NULL, 'v'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        struct vulndb_build_options o = {.tool_version = STOCKADE_VERSION};
        _cleanup_free_ char *def = NULL;
        const char *out = NULL;
        int c;

        optind = 0;
        while ((c = getopt_long(argc, argv, "o:qvh", options, NULL)) >= 0) {
                switch (c) {
                case 'h': build_help(); return EXIT_OK;
                case 'o': out = optarg; break;
                case 'q': arg_global.quiet = true; break;
                case 'v': arg_global.verbose = true; break;
                case OPT_BUILT_AT:
                        if (strlen(optarg) < 10 || strlen(optarg) > 40 || optarg[4] != '-') {
                                log_error("invalid --built-at '%s': expected an RFC 3339 time", optarg);
                                return EXIT_ERROR;
                        }
                        o.built_at = optarg;
                        break;
                case OPT_MAX_RECORD:
                        if (parse_size_opt("--max-record-size", optarg, &o.max_record_bytes) < 0)
                                return EXIT_ERROR;
                        break;
                case OPT_MAX_FILE:
                        if (parse_size_opt("--max-file-size", optarg, &o.max_file_bytes) < 0)
                                return EXIT_ERROR;
                        break;
                case OPT_MAX_MEMORY:
                        if (parse_size_opt("--max-memory", optarg, &o.max_memory) < 0)
                                return EXIT_ERROR;
                        break;
                default: fprintf(stderr, "Try '%s db build --help'.\n", program_name); return EXIT_ERROR;
                }
        }
        if (optind >= argc) {
                log_error("db build needs a SOURCE: feed files or directories (see '%s db build --help')",
                          program_name);
                return EXIT_ERROR;
        }
        if (!out) {
                if (!(def = db_path_default())) {
                        log_error("out of memory");
                        return EXIT_ERROR;
                }
                out = def;
                if (mkdir_parents(out) < 0) {
                        log_error("cannot create the directory of '%s': %s", out, strerror(errno));
                        return EXIT_ERROR;
                }
        }
        struct build_progress pg = {.enabled = !arg_global.quiet && isatty(STDERR_FILENO)};
        o.progress = build_progress_cb;
        o.progress_userdata = &pg;
        struct vulndb_build_stats st;
        struct diag d;
        diag_init(&d);
        double t0 = now_s();
        int r = vulndb_build((const char *const *) argv + optind, (size_t) (argc - optind), out, &o, &d,
                             &st);
        if (pg.drawn)
                fputs("\r\033[K", stderr);
        print_warnings(&d, 20);
        if (r < 0) {
                log_error("%s", d.error[0] ? d.error : strerror(-r));
                diag_done(&d);
                return EXIT_ERROR;
        }
        diag_done(&d);
        if (!arg_global.quiet)
                printf("built %s: %zu vulnerabilities, %zu statements about %zu packages from %zu files "
                       "(%zu records, %zu withdrawn, %zu skipped) in %.1f s, %.1f MiB\n",
                       out, st.vulns, st.affected, st.packages, st.files, st.records, st.withdrawn,
                       st.skipped, now_s() - t0, (double) st.db_bytes / (double) MiB);
        return EXIT_OK;
}

/* ---- info ---- */

static void info_help(void) {
        printf("Usage: %s db info [OPTIONS]\n"
               "\n"
               "Show the database's sources (kind, location, snapshot date, records), the\n"
               "statements per ecosystem, the schema version and its age. Warns when the\n"
               "database or a source is older than %d days.\n"
               "\n"
               "Options:\n"
               "      --db DB     the database (default $STOCKADE_DB or ~/.cache/stockade/vuln.db)\n"
               "      --json      print JSON\n"
               "      --verify    also check every page, record and the content checksum (slow)\n"
               "  -q, --quiet     no warnings\n"
               "  -h, --help      show this help\n"
               "\n"
               "Examples:\n"
               "  %s db info\n"
               "  %s db info --db /tmp/vuln.db --json | jq '.sources[].snapshot'\n"
               "  %s db info --verify\n"
               "\n"
               "Opening checks the file's size against its header, the SQLite and stockade\n"
               "markers, the schema version and the build's completion record; --verify checks\n"
               "everything else. Exit status: 0, or 2 when the database is missing or damaged.\n",
               program_name, STALE_DAYS, program_name, program_name, program_name);
}

static double age_days(const char *rfc3339, time_t now) {
        struct tm tm = {0};
        if (!rfc3339 || !strptime(rfc3339, "%Y-%m-%dT%H:%M:%S", &tm)) {
                if (!rfc3339 || !strptime(rfc3339, "%Y-%m-%d", &tm))
                        return -1;
        }
        time_t t = timegm(&tm);
        return difftime(now, t) / 86400.0;
}

static json_t *info_json(const struct vulndb_info *in, time_t now, bool verified) {
        json_t *j = json_object(), *srcs = json_array(), *ecos = json_array();
        if (!j || !srcs || !ecos)
                return NULL;
        double age = age_days(in->built_at, now);
        json_object_set_new(j, "path", json_string(in->path));
        json_object_set_new(j, "size", json_integer((json_int_t) in->file_size));
        json_object_set_new(j, "schema_version", json_integer(in->schema_version));
        json_object_set_new(j, "built_at", json_string(in->built_at));
        json_object_set_new(j, "builder", json_string(in->tool_version));
        json_object_set_new(j, "age_days", json_real(floor(age * 10) / 10));
        json_object_set_new(j, "checksum", json_string(in->checksum));
        json_object_set_new(j, "vulnerabilities", json_integer((json_int_t) in->n_vulns));
        json_object_set_new(j, "statements", json_integer((json_int_t) in->n_affected));
        json_object_set_new(j, "packages", json_integer((json_int_t) in->n_packages));
        bool stale = age > STALE_DAYS;
        for (size_t i = 0; i < in->n_sources; i++) {
                const struct vulndb_source_info *s = &in->sources[i];
                double sage = age_days(s->snapshot, now);
                stale |= sage > STALE_DAYS;
                json_array_append_new(
                        srcs, json_pack("{s:s?, s:s?, s:s?, s:s?, s:f, s:I, s:I, s:s?, s:b}", "name",
                                        s->name, "kind", s->kind, "location", s->location, "snapshot",
                                        s->snapshot, "age_days", floor(sage * 10) / 10, "records",
                                        (json_int_t) s->records, "skipped", (json_int_t) s->skipped,
                                        "sha256", s->sha256, "stale", sage > STALE_DAYS));
        }
        for (size_t i = 0; i < in->n_ecosystems; i++)
                json_array_append_new(
                        ecos, json_pack("{s:s, s:I, s:I}", "name", in->ecosystem_counts[i].name, "packages",
                                        (json_int_t) in->ecosystem_counts[i].packages, "statements",
                                        (json_int_t) in->ecosystem_counts[i].statements));
        json_object_set_new(j, "sources", srcs);
        json_object_set_new(j, "ecosystems", ecos);
        json_object_set_new(j, "stale", json_boolean(stale));
        if (verified)
                json_object_set_new(j, "verified", json_true());
        return j;
}

static void warn_staleness(const struct vulndb_info *in, time_t now) {
        double age = age_days(in->built_at, now);
        if (age > STALE_DAYS)
                log_warning("the vulnerability database was built %.0f days ago (%s); refresh it with "
                            "'%s db update --online'",
                            age, in->built_at, program_name);
        for (size_t i = 0; i < in->n_sources; i++) {
                double sage = age_days(in->sources[i].snapshot, now);
                if (sage > STALE_DAYS)
                        log_warning("source '%s' is %.0f days old (snapshot %s)", in->sources[i].name, sage,
                                    in->sources[i].snapshot);
        }
}

static int open_db(const char *path, struct diag *d, struct vulndb **ret) {
        int r = vulndb_open(path, d, ret);
        if (r < 0)
                log_error("%s", d->error[0] ? d->error : strerror(-r));
        return r;
}

static int cmd_db_info(int argc, char **argv) {
        static const struct option options[] = {
                {"db", required_argument, NULL, OPT_DB},   {"json", no_argument, NULL, OPT_JSON},
                {"verify", no_argument, NULL, OPT_VERIFY}, {"quiet", no_argument, NULL, 'q'},
                {"help", no_argument, NULL, 'h'},          {},
        };
        _cleanup_free_ char *def = NULL;
        const char *path = NULL;
        bool json = false, verify = false;
        int c;

        optind = 0;
        while ((c = getopt_long(argc, argv, "qh", options, NULL)) >= 0) {
                switch (c) {
                case 'h': info_help(); return EXIT_OK;
                case OPT_DB: path = optarg; break;
                case OPT_JSON: json = true; break;
                case OPT_VERIFY: verify = true; break;
                case 'q': arg_global.quiet = true; break;
                default: fprintf(stderr, "Try '%s db info --help'.\n", program_name); return EXIT_ERROR;
                }
        }
        if (optind < argc) {
                log_error("db info takes no arguments (see '%s db info --help')", program_name);
                return EXIT_ERROR;
        }
        if (!path && !(path = def = db_path_default()))
                return EXIT_ERROR;

        struct diag d;
        diag_init(&d);
        _cleanup_(vulndb_closep) struct vulndb *db = NULL;
        _cleanup_(arena_freep) struct arena *a = arena_new(0);
        struct vulndb_info in;
        int r = a ? open_db(path, &d, &db) : -ENOMEM;
        if (r >= 0 && (r = vulndb_get_info(db, a, &in)) < 0)
                log_error("%s", d.error[0] ? d.error : strerror(-r));
        if (r >= 0 && verify && (r = vulndb_verify(db, &d)) < 0)
                log_error("%s", d.error[0] ? d.error : strerror(-r));
        diag_done(&d);
        if (r < 0)
                return EXIT_ERROR;

        time_t now = time(NULL);
        if (json) {
                json_t *j = info_json(&in, now, verify);
                char *s = j ? json_dump_pretty(j) : NULL;
                json_decref(j);
                if (!s) {
                        log_error("out of memory");
                        return EXIT_ERROR;
                }
                fputs(s, stdout);
                free(s);
        } else {
                printf("database    %s (%.1f MiB)\n", in.path, (double) in.file_size / (double) MiB);
                printf("schema      %d, built %s by stockade %s (%.0f days ago)\n", in.schema_version,
                       in.built_at, in.tool_version, floor(age_days(in.built_at, now)));
                printf("checksum    %s%s\n", in.checksum, verify ? " (verified)" : "");
                printf("content     %zu vulnerabilities, %zu statements about %zu packages\n\n", in.n_vulns,
                       in.n_affected, in.n_packages);
                printf("%-22s %-15s %-26s %6s %8s %8s  %s\n", "SOURCE", "KIND", "SNAPSHOT", "AGE", "RECORDS",
                       "SKIPPED", "LOCATION");
                for (size_t i = 0; i < in.n_sources; i++) {
                        const struct vulndb_source_info *s = &in.sources[i];
                        printf("%-22s %-15s %-26s %5.0fd %8zu %8zu  %s\n", s->name, s->kind,
                               s->snapshot ? s->snapshot : "-", floor(age_days(s->snapshot, now)),
                               s->records, s->skipped, s->location);
                }
                printf("\n%-40s %9s %11s\n", "ECOSYSTEM", "PACKAGES", "STATEMENTS");
                for (size_t i = 0; i < in.n_ecosystems; i++)
                        printf("%-40s %9zu %11zu\n", in.ecosystem_counts[i].name,
                               in.ecosystem_counts[i].packages, in.ecosystem_counts[i].statements);
        }
        if (!arg_global.quiet)
                warn_staleness(&in, now);
        return EXIT_OK;
}

/* ---- update ---- */

static void update_help(void) {
        printf("Usage: %s db update [OPTIONS]\n"
               "\n"
               "Refresh the database from the public feeds. Offline by default: without\n"
               "--online (or 'online yes' in the configuration, or STOCKADE_DB_ONLINE=1) it only\n"
               "reports how old the database is. Online, every feed is fetched with a\n"
               "conditional request (unchanged feeds cost one round trip), broken transfers are\n"
               "resumed, downloads are size-capped, checked against published checksums and\n"
               "validated, and the database is rebuilt atomically when something changed. If a\n"
               "feed fails, its previous copy and the database are kept and the exit status is 2.\n"
               "\n"
               "Options:\n"
               "      --db DB               the database (default $STOCKADE_DB or\n"
               "                            ~/.cache/stockade/vuln.db)\n"
               "      --online              fetch the feeds\n"
               "      --offline             do not (the default)\n"
               "      --mirror [PREFIX=]URL fetch URLs starting with PREFIX from URL instead; without\n"
               "                            PREFIX, every feed from URL/HOST/PATH (repeatable)\n"
               "      --feed NAME           only the feeds named NAME (repeatable; see --list-feeds)\n"
               "      --list-feeds          print the feeds and exit\n"
               "      --config FILE         configuration (default $STOCKADE_DB_CONFIG or\n"
               "                            ~/.config/stockade/db.conf)\n"
               "      --download-dir DIR    where feeds are kept (default ~/.cache/stockade/feeds)\n"
               "      --max-size S          refuse downloads larger than S (default 4G)\n"
               "      --force               rebuild even when no feed changed\n"
               "  -q, --quiet               no progress, no warnings\n"
               "  -v, --verbose             show every warning\n"
               "  -h, --help                show this help\n"
               "\n"
               "Examples:\n"
               "  %s db update                      # offline: how old is it?\n"
               "  %s db update --online\n"
               "  %s db update --online --feed osv-go --feed kev\n"
               "  %s db update --online --mirror http://mirror.internal/feeds\n"
               "  %s db update --online \\\n"
               "      --mirror https://osv-vulnerabilities.storage.googleapis.com=http://m/osv\n"
               "\n"
               "Configuration lines: 'online yes|no', 'mirror [PREFIX] URL', 'max-size SIZE',\n"
               "'feed NAME URL [sha256:HEX] [meta:URL]' (feed lines replace the built-in list).\n"
               "Exit status: 0 when up to date or updated, 2 on an error. See stockade-db(1).\n",
               program_name, program_name, program_name, program_name, program_name, program_name);
}

struct update_progress {
        bool enabled, drawn;
        double last;
};

static void update_progress_cb(void *userdata, const char *feed, uint64_t bytes, uint64_t total) {
        struct update_progress *p = userdata;
        double t = now_s();
        if (!p->enabled || t - p->last < 0.1)
                return;
        p->last = t;
        if (total)
                fprintf(stderr, "\r\033[K%s: %.1f/%.1f MiB", feed, (double) bytes / (double) MiB,
                        (double) total / (double) MiB);
        else
                fprintf(stderr, "\r\033[K%s: %.1f MiB", feed, (double) bytes / (double) MiB);
        p->drawn = true;
}

static int report_offline(const char *path) {
        struct diag d;
        diag_init(&d);
        _cleanup_(vulndb_closep) struct vulndb *db = NULL;
        _cleanup_(arena_freep) struct arena *a = arena_new(0);
        struct vulndb_info in;
        int r = a ? open_db(path, &d, &db) : -ENOMEM;
        if (r >= 0 && (r = vulndb_get_info(db, a, &in)) < 0)
                log_error("%s", d.error[0] ? d.error : strerror(-r));
        diag_done(&d);
        if (r < 0)
                return EXIT_ERROR;
        time_t now = time(NULL);
        double age = age_days(in.built_at, now);
        if (!arg_global.quiet)
                printf("offline: not fetching feeds; %s was built %.0f days ago (%s)\n", path, floor(age),
                       in.built_at);
        if (!arg_global.quiet) {
                warn_staleness(&in, now);
                bool stale = age > STALE_DAYS;
                for (size_t i = 0; i < in.n_sources; i++)
                        stale |= age_days(in.sources[i].snapshot, now) > STALE_DAYS;
                if (stale)
                        log_warning("run '%s db update --online' where the network is available",
                                    program_name);
        }
        return EXIT_OK;
}

static int cmd_db_update(int argc, char **argv) {
        static const struct option options[] = {
                {"db", required_argument, NULL, OPT_DB},
                {"online", no_argument, NULL, OPT_ONLINE},
                {"offline", no_argument, NULL, OPT_OFFLINE},
                {"mirror", required_argument, NULL, OPT_MIRROR},
                {"feed", required_argument, NULL, OPT_FEED},
                {"list-feeds", no_argument, NULL, OPT_RAW},
                {"config", required_argument, NULL, OPT_CONFIG},
                {"download-dir", required_argument, NULL, OPT_DOWNLOAD_DIR},
                {"max-size", required_argument, NULL, OPT_MAX_SIZE},
                {"force", no_argument, NULL, OPT_FORCE},
                {"quiet", no_argument, NULL, 'q'},
                {"verbose", no_argument, NULL, 'v'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        _cleanup_free_ char *def = NULL, *config_def = NULL;
        _cleanup_(arena_freep) struct arena *a = arena_new(0);
        VEC(struct vulndb_mirror) mirrors = {0};
        VEC(const char *) only = {0};
        struct vulndb_update_options o = {.tool_version = STOCKADE_VERSION};
        const char *path = NULL, *config = NULL;
        int online = -1, c, ret = EXIT_ERROR;
        bool list = false;
        size_t max_size = 0;

        if (!a)
                return EXIT_ERROR;
        optind = 0;
        while ((c = getopt_long(argc, argv, "qvh", options, NULL)) >= 0) {
                switch (c) {
                case 'h':
                        update_help();
                        ret = EXIT_OK;
                        goto out;
                case OPT_DB: path = optarg; break;
                case OPT_ONLINE: online = 1; break;
                case OPT_OFFLINE: online = 0; break;
                case OPT_MIRROR: {
                        struct vulndb_mirror *m = VEC_NEW(&mirrors);
                        char *eq = strstr(optarg, "=http");
                        if (!m)
                                goto out;
                        if (eq) {
                                m->prefix = arena_strndup(a, optarg, (size_t) (eq - optarg));
                                m->replacement = eq + 1;
                        } else
                                m->replacement = optarg;
                        if ((!strneq(m->replacement, "http://", 7) &&
                             !strneq(m->replacement, "https://", 8)) ||
                            (m->prefix && !strneq(m->prefix, "http", 4))) {
                                log_error("invalid --mirror '%s': expected [PREFIX=]URL with http(s) URLs",
                                          optarg);
                                goto out;
                        }
                        break;
                }
                case OPT_FEED:
                        if (VEC_PUSH(&only, optarg) < 0)
                                goto out;
                        break;
                case OPT_RAW: list = true; break;
                case OPT_CONFIG: config = optarg; break;
                case OPT_DOWNLOAD_DIR: o.download_dir = optarg; break;
                case OPT_MAX_SIZE:
                        if (parse_size_opt("--max-size", optarg, &max_size) < 0)
                                goto out;
                        break;
                case OPT_FORCE: o.force = true; break;
                case 'q': arg_global.quiet = true; break;
                case 'v': arg_global.verbose = true; break;
                default: fprintf(stderr, "Try '%s db update --help'.\n", program_name); goto out;
                }
        }
        if (optind < argc) {
                log_error("db update takes no arguments (see '%s db update --help')", program_name);
                goto out;
        }
        if (!path && !(path = def = db_path_default()))
                goto out;

        /* configuration: the file, then the environment, then the command line */
        struct vulndb_config cfg = {.online = -1};
        struct diag d;
        diag_init(&d);
        bool explicit_config = config != NULL;
        if (!config)
                config = config_def = vulndb_default_config_path();
        if (config) {
                int r = vulndb_config_load(config, a, &d, &cfg);
                if (r < 0 && (r != -ENOENT || explicit_config)) {
                        log_error("%s", d.error[0]     ? d.error
                                        : r == -ENOENT ? "configuration file not found"
                                                       : strerror(-r));
                        diag_done(&d);
                        goto out;
                }
        }
        const char *env = getenv("STOCKADE_DB_ONLINE");
        if (online < 0 && env && *env)
                online = streq(env, "1") || streq(env, "yes") || streq(env, "true");
        if (online < 0)
                online = cfg.online > 0;

        struct vulndb_feed *feeds = cfg.feeds;
        size_t n_feeds = cfg.n_feeds;
        if (!feeds && vulndb_default_feeds(a, &feeds, &n_feeds) < 0) {
                diag_done(&d);
                goto out;
        }
        if (only.n) {
                size_t k = 0;
                for (size_t i = 0; i < n_feeds; i++) {
                        bool keep = false;
                        for (size_t j = 0; j < only.n; j++)
                                keep |= streq(feeds[i].name, only.items[j]);
                        if (keep)
                                feeds[k++] = feeds[i];
                }
                for (size_t j = 0; j < only.n; j++) {
                        bool found = false;
                        for (size_t i = 0; i < k; i++)
                                found |= streq(feeds[i].name, only.items[j]);
                        if (!found) {
                                log_error("no feed named '%s' (see '%s db update --list-feeds')",
                                          only.items[j], program_name);
                                diag_done(&d);
                                goto out;
                        }
                }
                n_feeds = k;
        }
        if (list) {
                for (size_t i = 0; i < n_feeds; i++)
                        printf("%-22s %s\n", feeds[i].name, feeds[i].url);
                diag_done(&d);
                ret = EXIT_OK;
                goto out;
        }
        if (!online) {
                diag_done(&d);
                ret = report_offline(path);
                goto out;
        }
        /* command-line mirrors take precedence over the configuration's */
        for (size_t i = 0; i < cfg.n_mirrors; i++)
                if (VEC_PUSH(&mirrors, cfg.mirrors[i]) < 0) {
                        diag_done(&d);
                        goto out;
                }
        o.db_path = path;
        o.feeds = feeds;
        o.n_feeds = n_feeds;
        o.mirrors = mirrors.items;
        o.n_mirrors = mirrors.n;
        o.max_download_bytes = max_size ? max_size : cfg.max_download_bytes;
        if (mkdir_parents(path) < 0) {
                log_error("cannot create the directory of '%s': %s", path, strerror(errno));
                diag_done(&d);
                goto out;
        }
        struct update_progress pg = {.enabled = !arg_global.quiet && isatty(STDERR_FILENO)};
        o.progress = update_progress_cb;
        o.progress_userdata = &pg;
        struct vulndb_update_report rep = {0};
        int r = vulndb_update(&o, &d, &rep);
        if (pg.drawn)
                fputs("\r\033[K", stderr);
        print_warnings(&d, 20);
        if (r < 0) {
                log_error("%s", d.error[0] ? d.error : strerror(-r));
                if (rep.failed)
                        log_error("%zu of %zu feeds failed; the database '%s' was not changed", rep.failed,
                                  rep.n_feeds, path);
                diag_done(&d);
                goto out;
        }
        diag_done(&d);
        if (!arg_global.quiet) {
                printf("%zu feeds: %zu downloaded (%.1f MiB%s), %zu unchanged\n", rep.n_feeds,
                       rep.downloaded, (double) rep.bytes / (double) MiB, rep.resumed ? ", resumed" : "",
                       rep.unchanged);
                if (rep.rebuilt)
                        printf("rebuilt %s: %zu vulnerabilities, %zu statements about %zu packages\n", path,
                               rep.build.vulns, rep.build.affected, rep.build.packages);
                else
                        printf("%s is up to date\n", path);
        }
        ret = EXIT_OK;
out:
        VEC_FREE(&mirrors);
        VEC_FREE(&only);
        return ret;
}

/* ---- lookup ---- */

static void lookup_help(void) {
        printf("Usage: %s db lookup [OPTIONS] ECOSYSTEM PACKAGE\n"
               "\n"
               "Print what the database says about one package: every advisory's statement\n"
               "(status, ranges or fixed version, severity, KEV). ECOSYSTEM is spelled as OSV\n"
               "spells it (Go, PyPI, npm, crates.io, Debian:12, Alpine:v3.18, Ubuntu:22.04:LTS…);\n"
               "PyPI names are normalized (PEP 503). Distro packages are source packages.\n"
               "\n"
               "Options:\n"
               "      --db DB    the database (default $STOCKADE_DB or ~/.cache/stockade/vuln.db)\n"
               "      --json     print JSON\n"
               "      --raw      show statements as stored, without merging aliases\n"
               "  -h, --help     show this help\n"
               "\n"
               "Examples:\n"
               "  %s db lookup Go stdlib\n"
               "  %s db lookup PyPI Django --json\n"
               "  %s db lookup Debian:12 openssl\n"
               "\n"
               "Exit status: 0 (also when nothing is known), 2 on an error.\n",
               program_name, program_name, program_name, program_name);
}

static json_t *strv_json(const char *const *v) {
        json_t *a = json_array();
        for (size_t i = 0; a && v && v[i]; i++)
                json_array_append_new(a, json_string(v[i]));
        return a;
}

static const char *const event_names[] = {"introduced", "fixed", "last_affected", "limit"};

static json_t *affected_json(const struct vuln_affected *a) {
        json_t *j = json_object(), *ranges = json_array();
        if (!j || !ranges)
                return NULL;
        for (size_t i = 0; i < a->n_ranges; i++) {
                json_t *evs = json_array();
                for (size_t k = 0; k < a->ranges[i].n_events; k++)
                        json_array_append_new(evs,
                                              json_pack("{s:s}", event_names[a->ranges[i].events[k].kind],
                                                        a->ranges[i].events[k].version));
                json_array_append_new(ranges,
                                      json_pack("{s:s, s:o}", "type",
                                                a->ranges[i].type == VR_SEMVER ? "SEMVER" : "ECOSYSTEM",
                                                "events", evs));
        }
        json_object_set_new(j, "id", json_string(a->id));
        json_object_set_new(j, "aliases", strv_json(a->aliases));
        json_object_set_new(j, "upstream", strv_json(a->upstream));
        json_object_set_new(j, "related", strv_json(a->related));
        json_object_set_new(j, "ecosystem", json_string(a->ecosystem));
        json_object_set_new(j, "package", json_string(a->package));
        json_object_set_new(j, "status", json_string(vuln_status_to_string(a->status)));
        json_object_set_new(j, "fixed_version",
                            a->fixed_version ? json_string(a->fixed_version) : json_null());
        json_object_set_new(j, "ranges", ranges);
        json_object_set_new(j, "versions", strv_json(a->versions));
        json_object_set_new(j, "severity", json_string(severity_to_string(a->severity)));
        json_object_set_new(j, "severity_source",
                            a->severity_source ? json_string(a->severity_source) : json_null());
        json_object_set_new(j, "cvss_score", json_real(a->cvss_score));
        json_object_set_new(j, "cvss_vector", a->cvss_vector ? json_string(a->cvss_vector) : json_null());
        json_object_set_new(j, "cwes", strv_json(a->cwes));
        json_object_set_new(j, "summary", a->summary ? json_string(a->summary) : json_null());
        json_object_set_new(j, "published", a->published ? json_string(a->published) : json_null());
        json_object_set_new(j, "modified", a->modified ? json_string(a->modified) : json_null());
        json_object_set_new(j, "kev", json_boolean(a->kev));
        json_object_set_new(j, "kev_date_added",
                            a->kev_date_added ? json_string(a->kev_date_added) : json_null());
        json_object_set_new(j, "note", a->note ? json_string(a->note) : json_null());
        json_object_set_new(j, "source", json_string(a->source));
        json_t *es = a->ecosystem_specific ? json_loads(a->ecosystem_specific, 0, NULL) : NULL;
        json_object_set_new(j, "ecosystem_specific", es ? es : json_null());
        return j;
}

struct lookup_ctx {
        bool json;
        json_t *list;
        size_t n;
};

static int lookup_cb(void *userdata, const struct vuln_affected *a) {
        struct lookup_ctx *c = userdata;
        c->n++;
        if (c->json) {
                json_t *j = affected_json(a);
                return j && json_array_append_new(c->list, j) == 0 ? 0 : -ENOMEM;
        }
        char what[256] = "";
        if (a->status == VS_AFFECTED) {
                size_t k = 0;
                for (size_t i = 0; i < a->n_ranges && k < sizeof what - 64; i++)
                        for (size_t e = 0; e < a->ranges[i].n_events && k < sizeof what - 64; e++)
                                k += (size_t) snprintf(what + k, sizeof what - k, "%s%s %s", k ? ", " : "",
                                                       event_names[a->ranges[i].events[e].kind],
                                                       a->ranges[i].events[e].version);
                size_t nv = 0;
                while (a->versions && a->versions[nv])
                        nv++;
                if (nv && k < sizeof what - 32)
                        snprintf(what + k, sizeof what - k, "%s%zu listed versions", k ? "; " : "", nv);
        } else if (a->fixed_version)
                snprintf(what, sizeof what, "%s", a->fixed_version);
        printf("%-24s %-13s %-9s %4.1f %-4s %-16s %s\n", a->id, vuln_status_to_string(a->status),
               severity_to_string(a->severity), a->cvss_score, a->kev ? "KEV" : "-", a->source, what);
        return 0;
}

static int cmd_db_lookup(int argc, char **argv) {
        static const struct option options[] = {
                {"db", required_argument, NULL, OPT_DB},
                {"json", no_argument, NULL, OPT_JSON},
                {"raw", no_argument, NULL, OPT_RAW},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        _cleanup_free_ char *def = NULL;
        const char *path = NULL;
        struct lookup_ctx ctx = {0};
        unsigned flags = 0;
        int c;

        optind = 0;
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                switch (c) {
                case 'h': lookup_help(); return EXIT_OK;
                case OPT_DB: path = optarg; break;
                case OPT_JSON: ctx.json = true; break;
                case OPT_RAW: flags |= VULNDB_LOOKUP_RAW; break;
                default: fprintf(stderr, "Try '%s db lookup --help'.\n", program_name); return EXIT_ERROR;
                }
        }
        if (argc - optind != 2) {
                log_error("db lookup needs an ECOSYSTEM and a PACKAGE (see '%s db lookup --help')",
                          program_name);
                return EXIT_ERROR;
        }
        if (!path && !(path = def = db_path_default()))
                return EXIT_ERROR;
        struct diag d;
        diag_init(&d);
        _cleanup_(vulndb_closep) struct vulndb *db = NULL;
        int r = open_db(path, &d, &db);
        if (r >= 0) {
                if (ctx.json && !(ctx.list = json_array()))
                        r = -ENOMEM;
                else if (!ctx.json)
                        printf("%-24s %-13s %-9s %4s %-4s %-16s %s\n", "ID", "STATUS", "SEVERITY", "CVSS",
                               "KEV", "SOURCE", "VERSIONS");
                if (r >= 0 &&
                    (r = vulndb_lookup_ex(db, argv[optind], argv[optind + 1], flags, lookup_cb, &ctx)) < 0)
                        log_error("%s", d.error[0] ? d.error : strerror(-r));
        }
        diag_done(&d);
        if (r >= 0 && ctx.json) {
                char *s = json_dump_pretty(ctx.list);
                if (s)
                        fputs(s, stdout);
                free(s);
        }
        json_decref(ctx.list);
        return r < 0 ? EXIT_ERROR : EXIT_OK;
}

int cmd_db(int argc, char **argv) {
        if (argc < 2) {
                help();
                return EXIT_ERROR;
        }
        const char *sub = argv[1];
        if (streq(sub, "--help") || streq(sub, "-h") || streq(sub, "help")) {
                help();
                return EXIT_OK;
        }
        if (streq(sub, "build"))
                return cmd_db_build(argc - 1, argv + 1);
        if (streq(sub, "info"))
                return cmd_db_info(argc - 1, argv + 1);
        if (streq(sub, "update"))
                return cmd_db_update(argc - 1, argv + 1);
        if (streq(sub, "lookup"))
                return cmd_db_lookup(argc - 1, argv + 1);
        log_error("unknown db command '%s': use build, info, update or lookup (see '%s db --help')", sub,
                  program_name);
        return EXIT_ERROR;
}
