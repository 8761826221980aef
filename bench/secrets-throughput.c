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

static int add_file(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
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

static double now(void)
{
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        return (double) t.tv_sec + (double) t.tv_nsec / 1e9;
}

static int count(void *userdata, const struct secret_match *m)
{
        (void) m;
        (*(size_t *) userdata)++;
        return 0;
}

/* Best of reps: MB/s of scanning every file with engine e. */
static double measure(struct secrets_engine *e, int reps, size_t *ret_findings)
{
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
static double measure_naive(struct secrets_engine *e)
{
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

static struct secrets_engine *load(const char *name, const char *text)
{
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

int main(int argc, char **argv)
{
        want = (size_t) (argc > 1 ? atof(argv[1]) : 64) * 1024 * 1024;
        int reps = argc > 2 ? atoi(argv[2]) : 3;
        const char *roots[] = {"/usr/share", "/usr/lib/python3", "/usr/lib/python3.11", "/usr/lib"};

        for (size_t i = 0; i < sizeof roots / sizeof *roots && total < want; i++)
                nftw(roots[i], add_file, 64, FTW_PHYS);
        printf("corpus: %zu text files, %.1f MB (from /usr/share, /usr/lib)\n", n_files,
               (double) total / 1e6);

        double t0 = now();
        struct secrets_engine *full = load("default", NULL);
        double load_full = now() - t0;
        t0 = now();
        struct secrets_engine *one = load(
                "single", "version: 1\nrules:\n"
                          "  - id: github-pat\n    title: GitHub token\n    category: GitHub\n"
                          "    severity: CRITICAL\n    regex: '\\bghp_(?<secret>[A-Za-z0-9]{36})\\b'\n");
        double load_one = now() - t0;

        size_t f_full = 0, f_one = 0;
        double mbs_one = measure(one, reps, &f_one);
        double mbs_full = measure(full, reps, &f_full);
        printf("rules  load(ms)  MB/s     findings\n");
        printf("%5zu  %8.0f  %7.1f  %zu\n", secrets_engine_rule_count(one), load_one * 1e3, mbs_one, f_one);
        printf("%5zu  %8.0f  %7.1f  %zu\n", secrets_engine_rule_count(full), load_full * 1e3, mbs_full,
               f_full);
        printf("full/single time ratio: %.2f (%zux the rules)\n", mbs_one / mbs_full,
               secrets_engine_rule_count(full));
        if (!getenv("BENCH_NO_NAIVE")) {
                double mbs_naive = measure_naive(full);
                printf("naive baseline (each rule's PCRE2 regex in turn): %.1f MB/s, %.1fx slower than the "
                       "single database\n",
                       mbs_naive, mbs_full / mbs_naive);
        }
        secrets_engine_free(full);
        secrets_engine_free(one);
        for (size_t i = 0; i < n_files; i++)
                free(files[i].data);
        free(files);
        return 0;
}
