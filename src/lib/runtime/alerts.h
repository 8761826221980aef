/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Alerts: one JSON line per incident (stockade-alerts(5)), to a file, standard output and syslog.
 *
 * Aggregation: an alert whose (rule, container, subject) matches an incident still open — its last
 * occurrence less than the window ago — does not add a line; it adds to the incident's count and moves
 * its "last". An incident closes when the window passes without a repeat; if it repeated, its line is
 * written once more then, with the same incident id and the final count (so a reader taking the last
 * line per incident id has the totals). A repeat whose response differs (the first occurrence was only
 * alerted, a repeat was killed) is written at once with the new action. alerts_close() closes every open
 * incident.
 *
 * Not thread-safe: one owner (the pipeline thread). */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "core/diag.h"
#include "runtime/events.h"
#include "runtime/rules.h"

struct alert {
        const char *kind;       /* NULL: "detection"; "deviation" (models), "sensor-drops" */
        const char *rule_id;    /* required */
        const char *rule_title; /* required */
        const char *severity;   /* low, medium, high, critical */
        const char *technique, *tactic;
        const char *subject;       /* the aggregation subject (also in the line as "subject") */
        const char *expected;      /* may be NULL */
        const char *observed;      /* required */
        const char *action;        /* alert, killed, denied, paused, stopped */
        const struct rt_event *ev; /* the process and container; NULL for agent alerts */
        const char *user;          /* the process's user name, NULL when unknown */
        uint64_t time_ns;
};

/* Fills the rule's fields of a (id, title, severity, MITRE). */
void alert_from_rule(struct alert *a, const struct rt_rule *r);

struct alerts_options {
        const char *path;  /* JSON lines appended to this file; "-" for standard output; NULL: none */
        bool syslog;       /* also syslog(3), facility daemon, priority by severity */
        unsigned window_s; /* aggregation window; 0: 60 */
        const char *host;  /* the host's name in every alert */
        FILE *out;         /* tests: write here instead of path */
};

struct alerts;

int alerts_new(const struct alerts_options *o, struct diag *d, struct alerts **ret);
/* Closes every open incident (writing the final counts) and frees. */
void alerts_close(struct alerts *al);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct alerts *, alerts_close);

/* Is (rule, container, subject) an open incident? container_id may be NULL (agent alerts). */
bool alerts_is_open(struct alerts *al, const char *rule_id, const char *container_id, const char *subject,
                    uint64_t now_ns);
/* If (rule, container, subject) is an open incident, counts the repeat (last = now) and returns 1 with its
 * id and new count; else 0. action (may be NULL) is what was done this time: when it is not "alert" and
 * differs from what the incident says, the incident takes it and its line is written again at once (a
 * repeat that was blocked is news). */
int alerts_repeat(struct alerts *al, const char *rule_id, const char *container_id, const char *subject,
                  uint64_t now_ns, const char *action, uint64_t *ret_incident, uint64_t *ret_count);

/* Opens incident `incident` with a: writes its line (count 1) everywhere and starts its window. */
int alerts_emit(struct alerts *al, const struct alert *a, uint64_t incident);

/* Closes the incidents whose window passed (writing final counts where they repeated). Returns how many
 * closed. Call it about once a second. */
size_t alerts_tick(struct alerts *al, uint64_t now_ns);

/* One alert as its JSON line (with the newline). Pure. */
int alerts_render(const struct alert *a, const char *host, uint64_t incident, uint64_t count,
                  uint64_t first_ns, uint64_t last_ns, struct buf *out);

struct alerts_stats {
        uint64_t incidents, repeats, lines, write_errors;
        size_t open;
};
void alerts_get_stats(const struct alerts *al, struct alerts_stats *ret);

/* RFC 3339 UTC with nanoseconds. */
void alerts_format_time(uint64_t ns, char out[static 40]);
