/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The agent's network side (docs/network.md): learns the connection graph from the runtime events,
 * keeps one nftables perimeter per container in its network namespace (from DIR/policy.yaml, reloaded
 * when it changes), keeps the peer sets current as replicas start and stop, re-asserts perimeters that
 * were flushed, and raises an alert for every connection outside the policy.
 *
 * State directory (created 0700):
 *   graph.json       the learned graph (np_graph_to_json), written within a second of a change
 *   policy.yaml      the policy to enforce (stockade-netpol(5)); absent: learn only
 *   containers.json  the containers with a perimeter (so a restarted agent re-asserts them at once)
 *   alerts.jsonl     alerts, one JSON line per incident (the runtime alert format, stockade-alerts(5))
 *
 * Threads: everything on the caller's thread (the monitor's). np_engine_event() and np_engine_tick()
 * enter containers' network namespaces with setns() on that thread and always come back. */

#include "netpol/netpol.h"

/* A flow outside the policy, as handed to np_engine_options.on_alert (valid during the call). */
struct np_alert {
        const struct rt_event *ev; /* the connect/accept, with its process and container */
        const char *rule_id, *rule_title, *technique, *tactic;
        const char *expected, *observed;
        const char *action; /* "denied" (protect) or "alert" (monitor) */
};

struct np_engine_options {
        const char *dir;    /* state directory (required) */
        const char *host;   /* host name for alerts */
        bool alerts_stdout; /* also print alerts on standard output */
        /* Also hands every flow outside the policy (repeats included) to the agent's alert writer, so
         * network alerts join the runtime alert stream (its file, syslog, aggregation, incidents).
         * DIR/alerts.jsonl is written either way. */
        void (*on_alert)(void *userdata, const struct np_alert *a);
        void *userdata;
};

struct np_engine_stats {
        size_t containers, enforced, workloads, edges;
        uint64_t applies, set_updates, reasserts, alerts, apply_errors, policy_loads, policy_errors;
        uint64_t last_apply_us; /* duration of the last perimeter change (all namespaces touched) */
        bool capture;           /* protocol identification is on (the capture loaded) */
        uint64_t captured, capture_lost, identified; /* first payloads seen, lost, identified */
};

struct np_engine;

int np_engine_new(const struct np_engine_options *o, struct diag *d, struct np_engine **ret);
void np_engine_free(struct np_engine *e);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct np_engine *, np_engine_free);

void np_engine_event(struct np_engine *e, const struct rt_event *ev);
/* Once a second: policy reload, container liveness, re-assertion, graph save. */
void np_engine_tick(struct np_engine *e);
void np_engine_get_stats(const struct np_engine *e, struct np_engine_stats *ret);
/* Registers "network.dir" (the state directory, so `stockade policy network …` finds it) and
 * "network.graph" (the graph as last written, at most a second old) on the agent's control socket.
 * Both handlers read only what is immutable or on disk: safe on the control thread. */
struct control;
int np_engine_control_register(struct np_engine *e, struct control *ctl);

/* The last problem worth telling the operator (a policy that did not load, an apply that failed), once:
 * returns NULL when there is nothing new. */
const char *np_engine_take_message(struct np_engine *e);
