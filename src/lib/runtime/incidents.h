/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Incidents and their forensic evidence, in STATE_DIR/incidents.db (SQLite, WAL; every write one
 * transaction, so a crash leaves the last committed state). One row per incident (what the alert says,
 * its count and last time) with its forensics as one JSON document:
 *   {"process_tree": [{pid, ppid, exe, cmdline, sha256}…]   the process and its ancestors (≤ 16)
 *    "open_files": [{fd, target}…]                           the process's fds (≤ 256)
 *    "connections": [{proto, local, remote, state}…]          its network namespace's TCP sockets (≤ 256)
 *    "events": [{time, type, pid, exe, detail}…]              the container's last events (≤ 32)
 *    "errors": ["…"]}                                         what could not be read (the process was gone)
 *
 * Collection is split so the pipeline thread does only bounded reads of /proc while the process still
 * exists (forensics_capture: a few small files and readlinks, and an fd on each executable), and a
 * worker thread does the rest (the sha256 of each executable, the database write). The queue between
 * them is bounded: when it is full the incident is stored without hashes and the drop is counted.
 *
 * incidents_* reading functions are for `stockade incidents` (another process, read-only). */

#include <stdbool.h>
#include <stdint.h>

#include "core/diag.h"
#include "runtime/events.h"

#define INCIDENTS_RING       32 /* events kept per container */
#define INCIDENTS_TREE_MAX   16
#define INCIDENTS_FDS_MAX    256
#define INCIDENTS_CONNS_MAX  256
#define INCIDENTS_QUEUE_MAX  256
#define INCIDENTS_HASH_LIMIT (256u << 20) /* executables larger than this are not hashed */

struct incident_record {
        uint64_t id;
        uint64_t first_ns, last_ns, count;
        const char *rule_id, *rule_title, *severity;
        const char *container_id, *container_name, *image; /* may be NULL */
        const char *subject, *action;
        const char *alert;     /* the alert's JSON line (no newline) */
        const char *forensics; /* JSON document (above); NULL while not collected */
};

/* ---- the store (the agent's writer) ---- */

struct incident_store;

/* Opens (creating) DIR/incidents.db and starts the writer thread. */
int incidents_open(const char *state_dir, struct diag *d, struct incident_store **ret);
/* Finishes the queued work and closes. */
void incidents_close(struct incident_store *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct incident_store *, incidents_close);

/* The next incident id (persistent: continues after a restart). */
uint64_t incidents_next_id(struct incident_store *s);

struct forensics_capture;

/* Queues the record (copied) with its capture (taken over; may be NULL) for the writer thread. */
int incidents_submit(struct incident_store *s, const struct incident_record *rec,
                     struct forensics_capture *cap);
/* Queues a count/last/action update of an incident. */
int incidents_update(struct incident_store *s, uint64_t id, uint64_t count, uint64_t last_ns,
                     const char *action);
/* Waits until the queue is empty (tests, shutdown). */
void incidents_sync(struct incident_store *s);

struct incidents_stats {
        uint64_t stored, updates, queue_full, write_errors;
};
void incidents_get_stats(struct incident_store *s, struct incidents_stats *ret);

/* ---- forensics ---- */

struct forensics; /* the per-container event rings */

int forensics_new(struct forensics **ret);
void forensics_free(struct forensics *f);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct forensics *, forensics_free);
/* Records ev in its container's ring (cheap: a few bounded copies). */
void forensics_note(struct forensics *f, const struct rt_event *ev);
/* Drops a container's ring (it stopped). */
void forensics_forget(struct forensics *f, const char *container_id);

/* The bounded /proc reads for ev's process, and the container's ring. Never fails for a process that
 * is gone: what could not be read is listed in "errors". proc_root: "/proc" (tests may point elsewhere). */
int forensics_capture_new(struct forensics *f, const struct rt_event *ev, const char *proc_root,
                          struct forensics_capture **ret);
void forensics_capture_free(struct forensics_capture *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct forensics_capture *, forensics_capture_free);
/* Completes the capture (hashes) into the JSON document; malloc'd. (The writer thread does this.) */
char *forensics_capture_finish(struct forensics_capture *c);

/* ---- reading (stockade incidents) ---- */

struct incident_reader;
/* Opens DIR/incidents.db read-only. -ENOENT when there is none. */
int incidents_reader_open(const char *state_dir, struct diag *d, struct incident_reader **ret);
void incidents_reader_close(struct incident_reader *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct incident_reader *, incidents_reader_close);
typedef int (*incident_fn)(void *userdata, const struct incident_record *rec);
/* Newest first, at most limit (0: all). cb returning < 0 stops. */
int incidents_list(struct incident_reader *r, size_t limit, incident_fn cb, void *userdata);
/* -ENOENT when there is no such incident. */
int incidents_get(struct incident_reader *r, uint64_t id, incident_fn cb, void *userdata);
