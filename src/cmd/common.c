/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"

struct global_opts arg_global = { .color = -1 };

static void vlog(const char *level, const char *fmt, va_list ap) _printf_(2, 0);
static void vlog(const char *level, const char *fmt, va_list ap) {
        fprintf(stderr, "%s: %s", program_name, level);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
}

void log_error(const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        vlog("error: ", fmt, ap);
        va_end(ap);
}

void log_warning(const char *fmt, ...) {
        va_list ap;
        if (arg_global.quiet)
                return;
        va_start(ap, fmt);
        vlog("warning: ", fmt, ap);
        va_end(ap);
}

void log_info(const char *fmt, ...) {
        va_list ap;
        if (arg_global.quiet)
                return;
        va_start(ap, fmt);
        vlog("", fmt, ap);
        va_end(ap);
}

int parse_size(const char *s, uint64_t *ret) {
        char *end;
        errno = 0;
        double v = strtod(s, &end);
        if (errno || end == s || v < 0)
                return -EINVAL;
        uint64_t mult = 1;
        switch (*end) {
        case 0: break;
        case 'k': case 'K': mult = KiB; end++; break;
        case 'm': case 'M': mult = MiB; end++; break;
        case 'g': case 'G': mult = GiB; end++; break;
        case 't': case 'T': mult = 1024 * GiB; end++; break;
        default: return -EINVAL;
        }
        if (*end == 'i')
                end++;
        if (*end == 'B' || *end == 'b')
                end++;
        if (*end)
                return -EINVAL;
        if (v * (double) mult > 1.8e19)
                return -ERANGE;
        *ret = (uint64_t) (v * (double) mult);
        return 0;
}

/* ---- progress ---- */

struct progress {
        bool enabled;
        int n_layers;
        int done, cached;
        uint64_t *tar_bytes; /* per layer, latest */
        size_t n_slots;
        struct timespec last;
        bool drawn;
};

static double now_s(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void draw(struct progress *p, bool force) {
        static double last;
        double t = now_s();
        if (!force && t - last < 0.1)
                return;
        last = t;
        uint64_t total = 0;
        for (size_t i = 0; i < p->n_slots; i++)
                total += p->tar_bytes[i];
        fprintf(stderr, "\r\033[Kreading layers: %d/%d done%s, %.1f MiB unpacked", p->done, p->n_layers,
                p->cached ? " (some cached)" : "", (double) total / (double) MiB);
        p->drawn = true;
}

static void ensure_slots(struct progress *p, int index) {
        if (index < 0 || (size_t) index < p->n_slots)
                return;
        size_t n = (size_t) index + 16;
        uint64_t *b = realloc(p->tar_bytes, n * sizeof *b);
        if (!b)
                return;
        memset(b + p->n_slots, 0, (n - p->n_slots) * sizeof *b);
        p->tar_bytes = b;
        p->n_slots = n;
}

static void pg_begin(void *userdata, int index, int n_layers, const char *diff_id, uint64_t size) {
        struct progress *p = userdata;
        p->n_layers = MAX(n_layers, index + 1);
        ensure_slots(p, index);
        draw(p, false);
}

static void pg_bytes(void *userdata, int index, uint64_t stored, uint64_t tar) {
        struct progress *p = userdata;
        ensure_slots(p, index);
        if (index >= 0 && (size_t) index < p->n_slots)
                p->tar_bytes[index] = tar;
        draw(p, false);
}

static void pg_end(void *userdata, int index, bool from_cache) {
        struct progress *p = userdata;
        p->done++;
        p->cached += from_cache;
        draw(p, false);
}

static void progress_finish(struct progress *p) {
        if (p->drawn)
                fputs("\r\033[K", stderr);
        free(p->tar_bytes);
        p->tar_bytes = NULL;
}

/* ---- image options ---- */

void image_opts_init(struct image_opts *o) {
        memset(o, 0, sizeof *o);
        scan_options_default(&o->scan);
}

int parse_image_option(struct image_opts *o, int opt, const char *arg) {
        switch (opt) {
        case OPT_PLATFORM: {
                if (!strchr(arg, '/')) {
                        log_error("invalid --platform '%s': expected OS/ARCH[/VARIANT], e.g. linux/arm64", arg);
                        return -1;
                }
                o->scan.source.platform = arg;
                return 1;
        }
        case OPT_INSECURE: o->scan.source.insecure = true; return 1;
        case OPT_USERNAME: o->scan.source.username = arg; return 1;
        case OPT_PASSWORD_STDIN: o->password_stdin = true; return 1;
        case OPT_DOCKER_HOST: o->scan.source.docker_host = arg; return 1;
        case OPT_CACHE_DIR: o->scan.cache_dir = arg; return 1;
        case OPT_NO_CACHE: o->scan.no_cache = true; return 1;
        case OPT_THREADS: {
                char *end;
                long n = strtol(arg, &end, 10);
                if (*end || n < 1 || n > 64) {
                        log_error("invalid --threads '%s': expected a number from 1 to 64", arg);
                        return -1;
                }
                o->scan.threads = (unsigned) n;
                return 1;
        }
        case 'o': o->output = arg; return 1;
        case 'f': o->format = arg; return 1;
        case OPT_REPRODUCIBLE: o->reproducible = true; return 1;
        case 'q': arg_global.quiet = true; return 1;
        case 'v': arg_global.verbose = true; return 1;
        case OPT_MAX_LAYER_SIZE: {
                uint64_t v;
                if (parse_size(arg, &v) < 0 || v == 0) {
                        log_error("invalid --max-layer-size '%s': expected a size such as 20G", arg);
                        return -1;
                }
                o->scan.limits.max_tar_bytes = v;
                return 1;
        }
        }
        return 0;
}

static char *read_password_stdin(void) {
        char buf[4096];
        size_t n = fread(buf, 1, sizeof buf - 1, stdin);
        buf[n] = 0;
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
                buf[--n] = 0;
        return strdup(buf);
}

struct scan_result *run_scan(const char *target, struct image_opts *o) {
        struct diag d;
        struct scan_result *res = NULL;
        struct progress pg = { 0 };
        struct scan_progress sp = { pg_begin, pg_bytes, pg_end, &pg };
        _cleanup_free_ char *password = NULL;

        if (o->password_stdin) {
                password = read_password_stdin();
                if (!password) {
                        log_error("out of memory");
                        return NULL;
                }
                o->scan.source.password = password;
        }
        pg.enabled = !arg_global.quiet && isatty(STDERR_FILENO);
        if (pg.enabled)
                o->scan.progress = &sp;

        diag_init(&d);
        int r = scan_run(target, &o->scan, &d, &res);
        progress_finish(&pg);
        o->scan.progress = NULL;

        size_t shown = arg_global.verbose ? d.n_warnings : MIN(d.n_warnings, (size_t) 10);
        for (size_t i = 0; i < shown; i++)
                log_warning("%s", d.warnings[i]);
        size_t hidden = d.n_warnings - shown + d.n_dropped;
        if (hidden > 0 && !arg_global.quiet)
                log_warning("%zu more warnings (use --verbose to see them)", hidden);
        if (r < 0)
                log_error("%s", d.error[0] ? d.error : strerror(-r));
        diag_done(&d);
        o->scan.source.password = NULL;
        return r < 0 ? NULL : res;
}

int write_report(struct image_opts *o, enum report_format fmt, const struct scan_result *r,
                 const struct report_options *ro) {
        if (!o->output || streq(o->output, "-")) {
                int k = report_write(stdout, fmt, r, ro);
                if (k >= 0 && fflush(stdout) != 0)
                        k = -EIO;
                if (k < 0) {
                        log_error("cannot write the report to standard output: %s", strerror(-k));
                        return EXIT_ERROR;
                }
                return EXIT_OK;
        }
        /* Atomic replacement (temp file + rename) is for regular files only: renaming over /dev/null,
         * a FIFO or a terminal would replace it. Those are written to directly. */
        struct stat st;
        if (stat(o->output, &st) == 0 && !S_ISREG(st.st_mode)) {
                FILE *f = fopen(o->output, "we");
                if (!f) {
                        log_error("cannot write '%s': %s", o->output, strerror(errno));
                        return EXIT_ERROR;
                }
                int k = report_write(f, fmt, r, ro);
                if (fclose(f) != 0 && k >= 0)
                        k = -EIO;
                if (k < 0) {
                        log_error("cannot write '%s': %s", o->output, strerror(-k));
                        return EXIT_ERROR;
                }
                return EXIT_OK;
        }
        _cleanup_free_ char *tmp = NULL;
        if (asprintf(&tmp, "%s.XXXXXX", o->output) < 0) {
                log_error("out of memory");
                return EXIT_ERROR;
        }
        int fd = mkstemp(tmp);
        if (fd < 0) {
                log_error("cannot create '%s': %s", o->output, strerror(errno));
                return EXIT_ERROR;
        }
        (void) fchmod(fd, 0644);
        FILE *f = fdopen(fd, "w");
        if (!f) {
                close(fd);
                unlink(tmp);
                log_error("cannot write '%s': %s", o->output, strerror(errno));
                return EXIT_ERROR;
        }
        int k = report_write(f, fmt, r, ro);
        if (fflush(f) != 0 || fsync(fileno(f)) != 0)
                k = k < 0 ? k : -EIO;
        if (fclose(f) != 0)
                k = k < 0 ? k : -EIO;
        if (k >= 0 && rename(tmp, o->output) < 0)
                k = negative_errno();
        if (k < 0) {
                unlink(tmp);
                log_error("cannot write '%s': %s", o->output, strerror(-k));
                return EXIT_ERROR;
        }
        return EXIT_OK;
}
