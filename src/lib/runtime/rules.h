/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The runtime rules (rules/runtime.yaml, format in stockade-alerts(5) "RULES"): the built-in detectors'
 * identities (id, title, severity, MITRE ATT&CK), their data (names, paths, ports, addresses) and the
 * action per mode. The shipped file is compiled in (rt_rules_load_default); a user's file replaces it.
 *
 * A rules file may come from anyone who can write the agent's configuration, so it is parsed like any
 * input: libyaml's event parser (aliases refused), limits on every count and length, and the first error
 * as one line "FILE:LINE:COLUMN: message". Nothing is returned on error.
 *
 * A loaded rule set is immutable and may be read from several threads at once. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/diag.h"

#define RT_RULES_MAX       256
#define RT_RULE_ITEMS_MAX  256  /* names, paths, ports, addresses per rule */
#define RT_RULE_TEXT_MAX   4096 /* description */
#define RT_RULE_STRING_MAX 512  /* any other string */
#define RT_RULES_FILE_MAX  (4u << 20)

enum rt_detector {
        RT_DET_EXEC_NAME = 1,
        RT_DET_SHELL_FROM_SERVER,
        RT_DET_REVERSE_SHELL,
        RT_DET_EXEC_PATH,
        RT_DET_DRIFT,
        RT_DET_FILE_OPEN,
        RT_DET_CONNECT,
        RT_DET_EVENT,
        _RT_DET_MAX,
};

/* Modes of an image's behaviour model (docs/runtime.md). */
enum rt_mode {
        RT_MODE_LEARN = 0,
        RT_MODE_MONITOR,
        RT_MODE_PROTECT,
        _RT_MODE_MAX,
};

enum rt_action {
        RT_ACTION_ALERT = 0,
        RT_ACTION_KILL,
        RT_ACTION_DENY,
        RT_ACTION_QUARANTINE,
        _RT_ACTION_MAX,
};

enum rt_severity {
        RT_SEV_LOW = 0,
        RT_SEV_MEDIUM,
        RT_SEV_HIGH,
        RT_SEV_CRITICAL,
        _RT_SEV_MAX,
};

enum {
        RT_RULE_ACCESS_READ = 1 << 0,
        RT_RULE_ACCESS_WRITE = 1 << 1,
};

/* An exec-name entry: the program's name, and a word that must be among its arguments (or NULL). */
struct rt_rule_name {
        char *name;
        char *arg;
};

struct rt_rule_addr {
        int family; /* AF_INET or AF_INET6 */
        uint8_t addr[16];
};

struct rt_rule {
        char *id, *title, *description, *technique, *tactic;
        enum rt_severity severity;
        enum rt_detector detector;
        enum rt_action action[_RT_MODE_MAX];
        struct rt_rule_name *names;
        size_t n_names;
        char **paths, **except;
        size_t n_paths, n_except;
        unsigned access; /* RT_RULE_ACCESS_* (file-open) */
        uint32_t events; /* 1 << enum rt_event_type (event) */
        uint16_t *ports;
        size_t n_ports;
        struct rt_rule_addr *addresses;
        size_t n_addresses;
        unsigned line; /* where the rule starts, for messages */
};

struct rt_rules {
        struct rt_rule *rules;
        size_t n;
        char *source; /* file name, or "(built-in)" */
};

/* Parses a rules document of len bytes; name is used in messages. */
int rt_rules_load_data(const char *name, const void *data, size_t len, struct diag *d,
                       struct rt_rules **ret);
/* Reads and parses a file (at most RT_RULES_FILE_MAX bytes). */
int rt_rules_load_file(const char *path, struct diag *d, struct rt_rules **ret);
/* The rules shipped in rules/runtime.yaml, compiled in. */
int rt_rules_load_default(struct diag *d, struct rt_rules **ret);
void rt_rules_free(struct rt_rules *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct rt_rules *, rt_rules_free);

const struct rt_rule *rt_rules_find(const struct rt_rules *r, const char *id);

/* Names in the file format and in alerts ("high", "kill", "protect", "exec-name"); NULL out of range. */
const char *rt_severity_name(enum rt_severity s);
const char *rt_action_name(enum rt_action a);
const char *rt_mode_name(enum rt_mode m);
const char *rt_detector_name(enum rt_detector d);
/* -EINVAL for an unknown name. */
int rt_mode_from_name(const char *s, enum rt_mode *ret);
