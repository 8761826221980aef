/* SPDX-License-Identifier: Apache-2.0 */
/* The human report: aligned columns whose widths follow the content up to a cap per column, longer
 * cells cut with "…" (paths from the left, since their end says most). Every string from the image is
 * passed through report_term() first, so nothing in a file name or an excerpt can drive the terminal.
 * Colors (severities, headings) only when o->color. Findings below o->min_severity are hidden and
 * counted as hidden. */

#include <string.h>

#include "core/digest.h"
#include "match/ignore.h"
#include "report-internal.h"
#include "version/version.h"

#define MAX_COLS 8

#define ANSI_RESET "\033[0m"
#define ANSI_BOLD  "\033[1m"

static const char *severity_color(enum severity s) {
        switch (s) {
        case SEV_CRITICAL: return "\033[1;31m";
        case SEV_HIGH: return "\033[31m";
        case SEV_MEDIUM: return "\033[33m";
        case SEV_LOW: return "\033[36m";
        case SEV_UNKNOWN:
        case _SEV_MAX: break;
        }
        return "\033[2m";
}

struct row {
        const char *cell[MAX_COLS];
        int severity; /* colors column 0; -1 for none */
        bool gap;     /* an empty line instead of a row */
};

struct table {
        struct arena *arena;
        size_t n_cols;
        const char *head[MAX_COLS];
        size_t cap[MAX_COLS];
        bool from_left[MAX_COLS];
        VEC(struct row) rows;
};

/* Adds a row; cells are raw strings from the scan (NULL prints as "-"), made safe and cut here. */
static int table_add(struct table *t, int severity, const char *const cells[]) {
        struct row *row = VEC_NEW(&t->rows);
        if (!row)
                return -ENOMEM;
        row->severity = severity;
        for (size_t i = 0; i < t->n_cols; i++) {
                const char *c = report_term(t->arena, cells[i] && *cells[i] ? cells[i] : "-");
                c = c ? report_truncate(t->arena, c, t->cap[i], t->from_left[i]) : NULL;
                if (!c)
                        return -ENOMEM;
                row->cell[i] = c;
        }
        return 0;
}

static int table_gap(struct table *t) {
        struct row *row = VEC_NEW(&t->rows);
        if (!row)
                return -ENOMEM;
        row->gap = true;
        return 0;
}

static void print_cell(FILE *f, const char *s, size_t width, bool last, const char *color) {
        size_t w = report_text_width(s);
        if (color)
                fprintf(f, "%s%s%s", color, s, ANSI_RESET);
        else
                fputs(s, f);
        if (!last)
                fprintf(f, "%*s", (int) (width - w + 2), "");
}

static void table_print(FILE *f, const struct table *t, bool color) {
        size_t width[MAX_COLS];

        for (size_t i = 0; i < t->n_cols; i++)
                width[i] = report_text_width(t->head[i]);
        VEC_FOREACH (row, &t->rows)
                for (size_t i = 0; !row->gap && i < t->n_cols; i++)
                        width[i] = MAX(width[i], report_text_width(row->cell[i]));

        for (size_t i = 0; i < t->n_cols; i++)
                print_cell(f, t->head[i], width[i], i + 1 == t->n_cols, color ? ANSI_BOLD : NULL);
        fputc('\n', f);
        VEC_FOREACH (row, &t->rows) {
                for (size_t i = 0; !row->gap && i < t->n_cols; i++)
                        print_cell(f, row->cell[i], width[i], i + 1 == t->n_cols,
                                   color && i == 0 && row->severity >= 0 ? severity_color(row->severity)
                                                                         : NULL);
                fputc('\n', f);
        }
}

static void table_done(struct table *t) {
        VEC_FREE(&t->rows);
}

static void heading(FILE *f, const char *s, bool color) {
        fprintf(f, "\n%s%s%s\n", color ? ANSI_BOLD : "", s, color ? ANSI_RESET : "");
}

/* "Image: NAME (sha256:0123456789ab)  OS: Debian GNU/Linux 12 (bookworm)"; for an SBOM target, what
 * it held and that it has no layers. */
static int print_header(FILE *f, struct arena *a, const struct scan_result *r) {
        char id[20];
        const char *name = report_term(a, report_image_name(r));
        const char *os = r->os.pretty_name ? r->os.pretty_name : r->os.id;
        const char *os_s = os ? report_term(a, os) : "unknown";
        const char *ver = !r->os.pretty_name && r->os.version_id ? report_term(a, r->os.version_id) : NULL;

        if (!name || !os_s)
                return -ENOMEM;
        if (r->from_sbom) {
                const char *target = report_term(a, r->image->target);
                const char *fmt = report_term(a, r->sbom.format ? r->sbom.format : "unknown format");
                if (!target || !fmt)
                        return -ENOMEM;
                fprintf(f, "SBOM: %s (%s, %zu component%s, %zu package%s from purls)  OS: %s%s%s\n", target, fmt,
                        r->sbom.components, r->sbom.components == 1 ? "" : "s", r->sbom.packages,
                        r->sbom.packages == 1 ? "" : "s", os_s, ver ? " " : "", ver ? ver : "");
                fputs("No layers: the packages are the SBOM's, found nowhere else; findings name no layer.\n", f);
                return 0;
        }
        fprintf(f, "Image: %s", name);
        if (r->image->id)
                fprintf(f, " (%s)", digest_short(r->image->id, id));
        fprintf(f, "  OS: %s%s%s\n", os_s, ver ? " " : "", ver ? ver : "");
        return 0;
}

static int write_sbom(FILE *f, struct arena *a, const struct scan_result *r,
                      const struct report_options *o) {
        size_t by_type[_PKG_TYPE_MAX] = {};
        int e = print_header(f, a, r);

        if (e < 0)
                return e;
        VEC_FOREACH (p, &r->pkgs)
                if (p->type >= 0 && p->type < _PKG_TYPE_MAX)
                        by_type[p->type]++;
        fprintf(f, "Packages: %zu", r->pkgs.n);
        for (int t = 0, k = 0; t < _PKG_TYPE_MAX; t++)
                if (by_type[t])
                        fprintf(f, "%s%s %zu", k++ ? ", " : " (", pkg_type_to_string(t), by_type[t]);
        fprintf(f, "%s in %zu layer%s, %zu files\n", r->pkgs.n ? ")" : "", r->n_layers,
                r->n_layers == 1 ? "" : "s", r->n_files);
        if (r->pkgs.n == 0) {
                fputs("\nNo packages found.\n", f);
                return 0;
        }

        struct table t = { .arena = a,
                           .n_cols = 5,
                           .head = { "TYPE", "NAME", "VERSION", "LAYER", "PATH" },
                           .cap = { 8, 48, 32, 5, 64 },
                           .from_left = { [4] = true } };
        VEC_FOREACH (p, &r->pkgs) {
                const char *name = p->type == PKG_MAVEN && p->namespace_
                                           ? arena_printf(a, "%s:%s", p->namespace_, p->name ? p->name : "")
                                           : p->name;
                const char *path = p->record_path && p->inner_path
                                           ? arena_printf(a, "%s!/%s", p->record_path, p->inner_path)
                                           : p->record_path;
                const char *layer = p->layer >= 0 ? arena_printf(a, "%d", p->layer) : NULL;
                const char *cells[] = { pkg_type_to_string(p->type), name, report_pkg_full_version(a, p),
                                        layer, path };
                e = table_add(&t, -1, cells);
                if (e < 0)
                        break;
        }
        if (e >= 0) {
                fputc('\n', f);
                table_print(f, &t, o->color);
        }
        table_done(&t);
        return e;
}

/* "3 (CRITICAL 1, HIGH 1, MEDIUM 1)", or "none" */
static void print_counts(FILE *f, const size_t counts[static _SEV_MAX], size_t total, bool color) {
        if (total == 0) {
                fputs("none", f);
                return;
        }
        fprintf(f, "%zu", total);
        for (int s = _SEV_MAX - 1, k = 0; s >= 0; s--)
                if (counts[s])
                        fprintf(f, "%s%s%s%s %zu", k++ ? ", " : " (", color ? severity_color(s) : "",
                                severity_to_string(s), color ? ANSI_RESET : "", counts[s]);
        fputc(')', f);
}

static size_t sev_index(enum severity s) {
        return s >= 0 && s < _SEV_MAX ? (size_t) s : SEV_UNKNOWN;
}

static int write_secrets(FILE *f, struct arena *a, const struct scan_result *r,
                         const struct report_options *o) {
        struct table t = { .arena = a,
                           .n_cols = 6,
                           .head = { "SEVERITY", "RULE", "PATH:LINE", "LAYER", "STATE", "EXCERPT" },
                           .cap = { 8, 32, 56, 5, 11, 64 },
                           .from_left = { [2] = true } };
        int e = 0, last = -1;

        heading(f, "Secrets", o->color);
        VEC_FOREACH (s, &r->secrets) {
                if (s->severity < o->min_severity)
                        continue;
                if (last >= 0 && (int) s->severity != last && (e = table_gap(&t)) < 0)
                        break;
                last = (int) s->severity;
                bool file = s->where == LOC_FILE;
                const char *where =
                        file ? (s->line > 0 ? arena_printf(a, "%s:%u", s->path ? s->path : "", s->line)
                                            : s->path)
                             : arena_printf(a, "config:%s", s->path ? s->path : "");
                const char *cells[] = { severity_to_string(s->severity),
                                        s->rule_id,
                                        where,
                                        file && s->layer >= 0 ? arena_printf(a, "%d", s->layer) : NULL,
                                        file ? file_state_to_string(s->state) : NULL,
                                        s->excerpt };
                if ((e = table_add(&t, (int) s->severity, cells)) < 0)
                        break;
        }
        if (e >= 0) {
                if (t.rows.n)
                        table_print(f, &t, o->color);
                else
                        fputs(r->secrets.n ? "No secrets at or above the shown severity.\n"
                                           : "No secrets found.\n",
                              f);
        }
        table_done(&t);
        return e;
}

static int write_misconfigs(FILE *f, struct arena *a, const struct scan_result *r,
                            const struct report_options *o) {
        struct table t = { .arena = a,
                           .n_cols = 5,
                           .head = { "SEVERITY", "ID", "CIS", "TITLE", "MESSAGE" },
                           .cap = { 8, 16, 8, 48, 80 } };
        struct table rem = { .arena = a, .n_cols = 2, .head = { "ID", "REMEDIATION" }, .cap = { 16, 120 } };
        int e = 0;

        heading(f, "Misconfigurations", o->color);
        VEC_FOREACH (m, &r->misconfigs) {
                if (m->severity < o->min_severity)
                        continue;
                const char *cells[] = { severity_to_string(m->severity), m->id, m->cis, m->title,
                                        m->message };
                if ((e = table_add(&t, (int) m->severity, cells)) < 0)
                        break;
                /* One remediation per check, in the order the checks first appear. */
                bool seen = false;
                VEC_FOREACH (prev, &r->misconfigs) {
                        if (prev == m)
                                break;
                        if (prev->severity >= o->min_severity && streq_ptr(prev->id, m->id)) {
                                seen = true;
                                break;
                        }
                }
                const char *rcells[] = { m->id, m->remediation };
                if (!seen && m->remediation && (e = table_add(&rem, -1, rcells)) < 0)
                        break;
        }
        if (e >= 0) {
                if (t.rows.n) {
                        table_print(f, &t, o->color);
                        if (rem.rows.n) {
                                heading(f, "Remediation", o->color);
                                table_print(f, &rem, o->color);
                        }
                } else
                        fputs(r->misconfigs.n ? "No misconfigurations at or above the shown severity.\n"
                                              : "No misconfigurations found.\n",
                              f);
        }
        table_done(&t);
        table_done(&rem);
        return e;
}

/* ---- vulnerabilities ---- */

static const char *vuln_pkg_name(struct arena *a, const struct vuln_finding *v) {
        const struct pkg *p = v->pkg;
        const char *name = p->type == PKG_MAVEN && p->namespace_
                                   ? arena_printf(a, "%s:%s", p->namespace_, p->name ? p->name : "")
                                   : p->name;
        return p->owner ? arena_printf(a, "%s (%s)", name ? name : "", p->owner) : name;
}

static const char *vuln_path(struct arena *a, const struct pkg *p) {
        return p->record_path && p->inner_path ? arena_printf(a, "%s!/%s", p->record_path, p->inner_path)
                                               : p->record_path;
}

/* "CVE-2023-29403 KEV (GO-2023-1840, GHSA-…)": the primary id, the KEV mark, the other ids. */
static const char *vuln_ids(struct arena *a, const struct vuln_finding *v) {
        struct buf b = BUF_INIT(0);
        int e = buf_printf(&b, "%s%s", v->id ? v->id : "?", v->kev ? " KEV" : "");
        size_t k = 0;
        for (const char *const *x = v->ids; e >= 0 && x && *x; x++) {
                if (streq_ptr(*x, v->id))
                        continue;
                e = buf_printf(&b, "%s%s", k++ ? ", " : " (", *x);
        }
        if (e >= 0 && k)
                e = buf_append_char(&b, ')');
        const char *out = e >= 0 ? arena_strndup(a, b.data ? b.data : "", b.len) : NULL;
        buf_free(&b);
        return out;
}

static bool vuln_shown(const struct vuln_finding *v, const struct report_options *o) {
        return !v->excepted_by && v->severity >= o->min_severity;
}

static int write_vuln_table(FILE *f, struct arena *a, const struct scan_result *r, const struct report_options *o) {
        bool layers = !r->from_sbom;
        struct table t = { .arena = a,
                           .n_cols = layers ? 8 : 7,
                           .head = { "SEVERITY", "ID", "PACKAGE", "INSTALLED", "FIXED IN", "STATUS", "PATH", "LAYER" },
                           .cap = { 8, 48, 40, 24, 24, 12, 48, 5 },
                           .from_left = { [6] = true } };
        int e = 0, last = -1;

        heading(f, "Vulnerabilities", o->color);
        VEC_FOREACH (v, &r->vulns) {
                if (!vuln_shown(v, o))
                        continue;
                if (last >= 0 && (int) v->severity != last && (e = table_gap(&t)) < 0)
                        break;
                last = (int) v->severity;
                const struct pkg *p = v->pkg;
                const char *cells[] = { severity_to_string(v->severity),
                                        vuln_ids(a, v),
                                        vuln_pkg_name(a, v),
                                        v->installed_version,
                                        v->fixed_version,
                                        finding_status_to_string(v->status),
                                        vuln_path(a, p),
                                        p->layer >= 0 ? arena_printf(a, "%d", p->layer) : NULL };
                if ((e = table_add(&t, (int) v->severity, cells)) < 0)
                        break;
        }
        if (e >= 0) {
                if (t.rows.n)
                        table_print(f, &t, o->color);
                else
                        fputs(r->vulns.n ? "No vulnerabilities at or above the shown severity that are not excepted.\n"
                                         : "No known vulnerabilities found.\n",
                              f);
        }
        table_done(&t);
        return e;
}

/* One line per package with a fix: the version that clears every shown finding of it. */
struct upgrade {
        const struct vuln_finding *first; /* the package's first finding: package, installed version */
        const char *to;
        size_t n;
        enum severity worst;
};

static int upgrade_cmp(const void *x, const void *y) {
        const struct upgrade *a = x, *b = y;
        if (a->worst != b->worst)
                return a->worst > b->worst ? -1 : 1;
        if (a->n != b->n)
                return a->n > b->n ? -1 : 1;
        return pkg_compare(a->first->pkg, b->first->pkg);
}

static int by_pkg(const void *x, const void *y) {
        const struct vuln_finding *a = *(const struct vuln_finding *const *) x, *b = *(const struct vuln_finding *const *) y;
        if (a->pkg != b->pkg) {
                int c = pkg_compare(a->pkg, b->pkg);
                return c ? c : (uintptr_t) a->pkg < (uintptr_t) b->pkg ? -1 : 1;
        }
        return (uintptr_t) a < (uintptr_t) b ? -1 : (uintptr_t) a > (uintptr_t) b;
}

static int write_upgrades(FILE *f, struct arena *a, const struct scan_result *r, const struct report_options *o) {
        VEC(const struct vuln_finding *) fixed = {};
        VEC(struct upgrade) ups = {};
        int e = 0;

        VEC_FOREACH (v, &r->vulns)
                if (vuln_shown(v, o) && v->fixed_version && (e = VEC_PUSH(&fixed, v)) < 0)
                        goto out;
        qsort_safe(fixed.items, fixed.n, sizeof *fixed.items, by_pkg);
        for (size_t i = 0; i < fixed.n; i++) {
                const struct vuln_finding *v = fixed.items[i];
                struct upgrade *u = ups.n ? &ups.items[ups.n - 1] : NULL;
                if (!u || u->first->pkg != v->pkg) {
                        if (!(u = VEC_NEW(&ups))) {
                                e = -ENOMEM;
                                goto out;
                        }
                        *u = (struct upgrade){ .first = v, .to = v->fixed_version, .worst = v->severity };
                }
                u->n++;
                u->worst = MAX(u->worst, v->severity);
                int s = version_scheme_for_ecosystem(v->ecosystem), cmp = 0;
                if (version_compare(s < 0 ? VS_GENERIC : (enum version_scheme) s, v->fixed_version, u->to, &cmp) == 0 &&
                    cmp > 0)
                        u->to = v->fixed_version;
        }
        if (ups.n == 0)
                goto out;
        qsort_safe(ups.items, ups.n, sizeof *ups.items, upgrade_cmp);
        struct table t = { .arena = a,
                           .n_cols = 5,
                           .head = { "PACKAGE", "INSTALLED", "UPGRADE TO", "FIXES", "PATH" },
                           .cap = { 40, 24, 24, 32, 56 },
                           .from_left = { [4] = true } };
        VEC_FOREACH (u, &ups) {
                const char *cells[] = { vuln_pkg_name(a, u->first), u->first->installed_version, u->to,
                                        arena_printf(a, "%zu (worst %s)", u->n, severity_to_string(u->worst)),
                                        vuln_path(a, u->first->pkg) };
                if ((e = table_add(&t, -1, cells)) < 0)
                        break;
        }
        if (e >= 0) {
                heading(f, "Upgrades", o->color);
                table_print(f, &t, o->color);
        }
        table_done(&t);
out:
        VEC_FREE(&fixed);
        VEC_FREE(&ups);
        return e;
}

/* Findings a VEX statement or the ignore file excepts, and ignore entries that expired. */
static int write_exceptions(FILE *f, struct arena *a, const struct scan_result *r, const struct report_options *o) {
        struct table t = { .arena = a,
                           .n_cols = 5,
                           .head = { "ID", "PACKAGE", "BY", "SOURCE", "REASON" },
                           .cap = { 24, 40, 11, 40, 80 },
                           .from_left = { [3] = true } };
        int e = 0;
        VEC_FOREACH (v, &r->vulns) {
                if (!v->excepted_by || streq(v->excepted_by, "ignore-unfixed"))
                        continue;
                const char *cells[] = { v->id, vuln_pkg_name(a, v), v->excepted_by, v->exception_source,
                                        v->exception_reason };
                if ((e = table_add(&t, -1, cells)) < 0)
                        break;
        }
        if (e >= 0 && t.rows.n) {
                heading(f, "Excepted (not counted for --fail-on)", o->color);
                table_print(f, &t, o->color);
        }
        table_done(&t);
        if (e < 0)
                return e;

        const struct ignore_list *il = r->exceptions ? r->exceptions->ignore : NULL;
        struct table x = { .arena = a,
                           .n_cols = 4,
                           .head = { "ID", "PACKAGE", "EXPIRED", "SOURCE" },
                           .cap = { 24, 40, 10, 56 },
                           .from_left = { [3] = true } };
        for (size_t i = 0; il && i < il->n && e >= 0; i++) {
                const struct ignore_rule *ru = &il->rules[i];
                if (!ru->expired)
                        continue;
                const char *cells[] = { ru->id, ru->package, ru->expires, ru->source };
                e = table_add(&x, -1, cells);
        }
        if (e >= 0 && x.rows.n) {
                heading(f, "Expired ignore entries (no longer applied)", o->color);
                table_print(f, &x, o->color);
        }
        table_done(&x);
        return e;
}

static int write_vulns(FILE *f, struct arena *a, const struct scan_result *r, const struct report_options *o) {
        int e = write_vuln_table(f, a, r, o);
        if (e >= 0)
                e = write_upgrades(f, a, r, o);
        if (e >= 0)
                e = write_exceptions(f, a, r, o);
        return e;
}

/* "  (excepted: 2 by VEX, 1 by the ignore file, 7 unfixed)" */
static void print_excepted(FILE *f, const struct scan_result *r) {
        size_t n[3] = {};
        VEC_FOREACH (v, &r->vulns) {
                if (!v->excepted_by)
                        continue;
                n[streq(v->excepted_by, "vex") ? 0 : streq(v->excepted_by, "ignore-file") ? 1 : 2]++;
        }
        if (!n[0] && !n[1] && !n[2])
                return;
        static const char *const what[] = { "by VEX", "by the ignore file", "unfixed (--ignore-unfixed)" };
        fputs("; excepted:", f);
        for (int i = 0, k = 0; i < 3; i++)
                if (n[i])
                        fprintf(f, "%s %zu %s", k++ ? "," : "", n[i], what[i]);
}

static int write_scan(FILE *f, struct arena *a, const struct scan_result *r,
                      const struct report_options *o) {
        size_t n_sec[_SEV_MAX] = {}, n_mis[_SEV_MAX] = {}, n_vul[_SEV_MAX] = {}, n_vul_all = 0, hidden = 0;
        int e = print_header(f, a, r);

        if (e < 0)
                return e;
        VEC_FOREACH (v, &r->vulns) {
                if (v->excepted_by)
                        continue;
                n_vul[sev_index(v->severity)]++;
                n_vul_all++;
                hidden += v->severity < o->min_severity;
        }
        fputs("Vulnerabilities: ", f);
        if (r->vulns_scanned) {
                print_counts(f, n_vul, n_vul_all, o->color);
                print_excepted(f, r);
        } else
                fputs("not scanned", f);
        fputc('\n', f);
        VEC_FOREACH (s, &r->secrets) {
                n_sec[sev_index(s->severity)]++;
                hidden += s->severity < o->min_severity;
        }
        VEC_FOREACH (m, &r->misconfigs) {
                n_mis[sev_index(m->severity)]++;
                hidden += m->severity < o->min_severity;
        }
        fputs("Secrets: ", f);
        if (r->secrets_scanned)
                print_counts(f, n_sec, r->secrets.n, o->color);
        else
                fputs("not scanned", f);
        fputs("  Misconfigurations: ", f);
        if (r->misconfig_scanned)
                print_counts(f, n_mis, r->misconfigs.n, o->color);
        else
                fputs("not scanned", f);
        fputc('\n', f);
        if (hidden)
                fprintf(f, "%zu finding%s below %s not shown.\n", hidden, hidden == 1 ? "" : "s",
                        severity_to_string(o->min_severity));

        if (r->vulns_scanned && (e = write_vulns(f, a, r, o)) < 0)
                return e;
        if (r->secrets_scanned && (e = write_secrets(f, a, r, o)) < 0)
                return e;
        if (r->misconfig_scanned && (e = write_misconfigs(f, a, r, o)) < 0)
                return e;
        return 0;
}

int report_write_table(FILE *f, const struct scan_result *r, const struct report_options *o) {
        _cleanup_(arena_freep) struct arena *a = arena_new(0);
        int e;

        if (!a)
                return -ENOMEM;
        e = o->kind == REPORT_KIND_SCAN ? write_scan(f, a, r, o) : write_sbom(f, a, r, o);
        if (fflush(f) != 0 || ferror(f))
                return -EIO;
        return e;
}
