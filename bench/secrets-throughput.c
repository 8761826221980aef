/* SPDX-License-Identifier: Apache-2.0 */
/* Secret scanning throughput: the full default rule set against a single rule, on realistic text (the
 * text files of this machine's /usr/share and Python standard library, gathered at run time), scanned
 * file by file as the layer walker does. The ratio full/single shows whether cost grows with the number
 * of rules. A naive baseline (each rule's PCRE2 regex run over every file in turn) is measured in the
 * same run, on the same bytes.
 *
 * Usage: secrets-throughput [MiB of text, default 64] [repetitions, default 3] */

#define _GNU_SOURCE
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "secrets/secrets-internal.h"
#include "secrets/secrets.h"

struct file {
        char *data;
        size_t n;
};

static struct file *files;
static size_t n_files, alloc_files, total, want;

static int add_file(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        (void) ftw;
        if (total >= want)
                return 1;
        if (flag != FTW_F || !S_ISREG(st->st_mode) || st->st_size < 64 || st->st_size > 4 * 1024 * 1024)
                return 0;
        FILE *f = fopen(path, "rb");
        if (!f)
                return 0;
        char *p = malloc((size_t) st->st_size);
        size_t n = p ? fread(p, 1, (size_t) st->st_size, f) : 0;
        fclose(f);
        /* text only: what the scanner would not skip as binary */
        if (!p || n == 0 || memchr(p, 0, n < 8192 ? n : 8192)) {
                free(p);
                return 0;
        }
        if (n_files == alloc_files) {
                alloc_files = alloc_files ? alloc_files * 2 : 1024;
                files = realloc(files, alloc_files * sizeof *files);
        }
        files[n_files++] = (struct file){p, n};
        total += n;
        return 0;
}

static double now(void) {
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        return (double) t.tv_sec + (double) t.tv_nsec / 1e9;
}

static int count(void *userdata, const struct secret_match *m) {
        (void) m;
        (*(size_t *) userdata)++;
        return 0;
}

/* Best of reps: MB/s of scanning every file with engine e. */
static double measure(struct secrets_engine *e, int reps, size_t *ret_findings) {
        struct secrets_scratch *s = NULL;
        double best = 1e99;
        if (secrets_scratch_new(e, &s) < 0)
                abort();
        for (int r = 0; r < reps; r++) {
                size_t findings = 0;
                double t0 = now();
                for (size_t i = 0; i < n_files; i++)
                        (void) secrets_scan(e, s, files[i].data, files[i].n, count, &findings);
                double t = now() - t0;
                if (t < best)
                        best = t;
                *ret_findings = findings;
        }
        secrets_scratch_free(s);
        return (double) total / 1e6 / best;
}

/* The naive way: every rule's regex over every file, one after another (PCRE2 JIT). */
static double measure_naive(struct secrets_engine *e) {
        pcre2_match_data *md = pcre2_match_data_create(64, NULL);
        double t0 = now();
        size_t hits = 0;
        for (size_t i = 0; i < n_files; i++)
                for (size_t k = 0; k < e->rules.n; k++) {
                        PCRE2_SIZE start = 0;
                        while (start < files[i].n &&
                               pcre2_match(e->rules.items[k].re, (PCRE2_SPTR) files[i].data, files[i].n,
                                           start, 0, md, NULL) >= 0) {
                                PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
                                hits++;
                                start = ov[1] > start ? ov[1] : start + 1;
                        }
                }
        double t = now() - t0;
        pcre2_match_data_free(md);
        (void) hits;
        return (double) total / 1e6 / t;
}

static struct secrets_engine *load(const char *name, const char *text) {
        struct diag d;
        struct secrets_engine *e = NULL;
        diag_init(&d);
        int r = text ? secrets_engine_load_data(name, text, strlen(text), &d, &e)
                     : secrets_engine_load(NULL, &d, &e);
        if (r < 0) {
                fprintf(stderr, "cannot load %s: %s\n", name, d.error);
                exit(2);
        }
        diag_done(&d);
        return e;
}

int main(int argc, char **argv) {
        want = (size_t) (argc > 1 ? atof(argv[1]) : 64) * 1024 * 1024;
        int reps = argc > 2 ? atoi(argv[2]) : 3;
        const char *roots[] = {"/usr/share", "/usr/lib/python3", "/usr/lib/python3.11", "/usr/lib"};

        for (size_t i = 0; i < sizeof roots / sizeof *roots && total < want; i++)
                nftw(roots[i], add_file, 64, FTW_PHYS);
        printf("corpus: %zu text files, %.1f MB (from /usr/share, /usr/lib)\n", n_files,
               (double) total / 1e6);

        /* The rule sets compared: one cheap literal rule, one generic rule, the default set, and the
         * default set with a copy of every specific rule under another id, and the default set twice over.
         */
        const char *one_literal =
                "version: 1\nrules:\n"
                "  - id: github-pat\n    title: GitHub token\n    category: GitHub\n"
                "    severity: CRITICAL\n    regex: '\\bghp_(?<secret>[A-Za-z0-9]{36})\\b'\n";
        char *one_generic = NULL, *doubled = NULL, *doubled_specific = NULL;
        {
                const char *text = (const char *) secrets_default_rules;
                const char *g = strstr(text, "\n  - id: generic-secret\n");
                const char *list = strstr(text, "\nrules:\n");
                if (!g || !list)
                        abort();
                if (asprintf(&one_generic, "version: 1\nrules:%s", g) < 0)
                        abort();
                /* the list again, each "- id: X" renamed "- id: X-copy"; the generic rules (keyword
                 * prefilters) are left out of the copy when only_specific is set */
                size_t cap = 2 * secrets_default_rules_len + 4096, o = 0;
                doubled = malloc(cap);
                doubled_specific = malloc(cap);
                for (int pass = 0; pass < 2; pass++) {
                        char *out = pass ? doubled_specific : doubled;
                        bool skip = false;
                        memcpy(out, text, secrets_default_rules_len);
                        o = secrets_default_rules_len;
                        for (const char *p = list + 8; *p;) {
                                const char *eol = strchr(p, '\n');
                                size_t len = eol ? (size_t) (eol - p) + 1 : strlen(p);
                                bool start = strncmp(p, "  - id: ", 8) == 0;
                                if (start)
                                        skip = pass && strncmp(p + 8, "generic-", 8) == 0;
                                if (skip || (!start && strncmp(p, "    ", 4) != 0 && *p != '\n')) {
                                        p += len;
                                        continue;
                                }
                                memcpy(out + o, p, len);
                                o += len;
                                if (start && eol) {
                                        memcpy(out + o - 1, "-copy\n", 6);
                                        o += 5;
                                }
                                p += len;
                        }
                        out[o] = 0;
                }
        }

        struct {
                const char *name, *text;
                struct secrets_engine *e;
                double load_ms, mbs;
                size_t findings;
        } sets[] = {
                {"one literal rule (github-pat)", one_literal},
                {"one generic rule (generic-secret)", one_generic},
                {"default rules", NULL},
                {"default + copies of specific rules", doubled_specific},
                {"default rules twice over", doubled},
        };
        for (size_t i = 0; i < sizeof sets / sizeof *sets; i++) {
                double t0 = now();
                sets[i].e = load(sets[i].name, sets[i].text);
                sets[i].load_ms = (now() - t0) * 1e3;
        }
        /* Interleaved, best of reps: a busy machine slows every set alike. */
        for (int r = 0; r < reps; r++)
                for (size_t i = 0; i < sizeof sets / sizeof *sets; i++) {
                        double mbs = measure(sets[i].e, 1, &sets[i].findings);
                        if (mbs > sets[i].mbs)
                                sets[i].mbs = mbs;
                }
        printf("%-36s %6s %9s %9s %9s %9s\n", "rule set", "rules", "load ms", "MB/s", "vs one", "findings");
        for (size_t i = 0; i < sizeof sets / sizeof *sets; i++)
                printf("%-36s %6zu %9.0f %9.1f %9.2f %9zu\n", sets[i].name,
                       secrets_engine_rule_count(sets[i].e), sets[i].load_ms, sets[i].mbs,
                       sets[i].mbs / sets[1].mbs, sets[i].findings);
        printf("time(default set) / time(one generic rule) = %.2f for %zux the rules\n",
               sets[1].mbs / sets[2].mbs, secrets_engine_rule_count(sets[2].e));
        printf("time(default + %zu specific copies) / time(default) = %.2f\n",
               secrets_engine_rule_count(sets[3].e) - secrets_engine_rule_count(sets[2].e),
               sets[2].mbs / sets[3].mbs);
        printf("time(default x2) / time(default) = %.2f (the generic rules verify every line their keywords "
               "hit, so their copies cost again)\n",
               sets[2].mbs / sets[4].mbs);
        struct secrets_engine *full = sets[2].e;
        if (!getenv("BENCH_NO_NAIVE")) {
                double mbs_naive = measure_naive(full);
                printf("naive baseline, each rule's PCRE2 regex in turn over every file: %.1f MB/s "
                       "(the database is %.1fx faster)\n",
                       mbs_naive, sets[2].mbs / mbs_naive);
        }
        for (size_t i = 0; i < sizeof sets / sizeof *sets; i++)
                secrets_engine_free(sets[i].e);
        free(one_generic);
        free(doubled);
        free(doubled_specific);
        for (size_t i = 0; i < n_files; i++)
                free(files[i].data);
        free(files);
        return 0;
}
