/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The agent's control socket: a unix stream socket (default CONTROL_SOCKET_DEFAULT, mode 0600) that
 * `stockade policy …` and other front ends talk to. Line-delimited JSON, one request per line:
 *
 *   request   {"cmd": "policy.mode", "args": {"image": "nginx:1.25", "mode": "protect"}}
 *   response  {"ok": true, "result": …}        or   {"ok": false, "error": "one line"}
 *
 * Limits: a request line is at most CONTROL_MAX_REQUEST bytes (longer: an error, then the connection is
 * closed), a response at most CONTROL_MAX_RESPONSE; a client that sends nothing for CONTROL_TIMEOUT_MS
 * is dropped; at most CONTROL_MAX_REQUESTS requests per connection. Only peers whose SO_PEERCRED uid is
 * 0 or the server's own uid are served.
 *
 * Threads: the server runs on its own thread (control_start()); handlers run on that thread, one
 * request at a time, so they must be thread-safe with respect to the agent's main thread (the model
 * registry is). control_register() must be called before control_start(). control_dispatch() runs a
 * request in the caller's thread (used by the offline `stockade policy --state DIR` path and by fuzzing).
 *
 * Other modules register their own commands (e.g. "incidents.list", "network.graph") with
 * control_register(); names are "area.verb". */

#include <jansson.h>

#include "buf.h"
#include "core/diag.h"

#define CONTROL_SOCKET_DEFAULT "/run/stockade/agent.sock"
#define CONTROL_MAX_REQUEST    (4 * 1024 * 1024)
#define CONTROL_MAX_RESPONSE   (64 * 1024 * 1024)
#define CONTROL_TIMEOUT_MS     5000
#define CONTROL_MAX_REQUESTS   64
#define CONTROL_MAX_HANDLERS   64
#define CONTROL_MAX_CMD        64

/* A command's handler: args is the request's "args" object (an empty object when absent; borrowed).
 * On success, return 0 and set *ret_result (a new reference; NULL means JSON null). On failure, return a
 * negative errno with the one-line cause in d (else strerror() is sent). */
typedef int (*control_fn)(void *userdata, json_t *args, json_t **ret_result, struct diag *d);

struct control;

int control_new(struct control **ret);
/* Stops the thread (if started), closes and removes the socket. NULL is fine. */
void control_free(struct control *ctl);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct control *, control_free);

/* name: "area.verb", [a-z0-9._-], at most CONTROL_MAX_CMD bytes. -EEXIST, -E2BIG (too many), -EINVAL. */
int control_register(struct control *ctl, const char *name, control_fn fn, void *userdata);

/* Binds path (its directory created 0700 when missing; a stale socket replaced, a live one refused with
 * -EADDRINUSE), chmod 0600, and starts the serving thread. */
int control_start(struct control *ctl, const char *path, struct diag *d);

/* Handles one request line (without or with its newline) and appends the response line to out. Returns
 * 0 (also when the response is an error) or -ENOMEM. Thread-safe with respect to the server thread
 * (requests are serialized). */
int control_dispatch(struct control *ctl, const char *line, size_t len, struct buf *out);

/* Client side: connects to path, sends {"cmd": cmd, "args": args} and waits for the response (at most
 * timeout_ms; 0: 30 s). Returns 0 with *ret_result (a new reference, may be NULL for null), a negative
 * errno with the error in d: -ENOENT/-ECONNREFUSED when no agent listens, -EREMOTEIO for an error the
 * agent answered (its message in d). */
int control_call(const char *path, const char *cmd, json_t *args, unsigned timeout_ms, json_t **ret_result,
                 struct diag *d);
