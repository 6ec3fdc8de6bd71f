/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * td-log: the one logging module of xentap.
 *
 * Every message has a level and a prefix (the caller passes a per-VBD or
 * per-ring prefix such as "d1/51712" or NULL). Output goes to stderr (the
 * default, used in the foreground and in tests) or to syslog once
 * td_log_open_syslog() was called. Anything a guest or a client can trigger
 * must go through td_log_rl(), which rate-limits per call site.
 */
#ifndef XENTAP_TD_LOG_H
#define XENTAP_TD_LOG_H

#include <stdint.h>

enum td_log_level {
	TD_LOG_ERR = 3,
	TD_LOG_WARN = 4,
	TD_LOG_INFO = 6,
	TD_LOG_DEBUG = 7,
};

/* Rate-limit state for one call site: at most `burst` lines per 5 s window. */
struct td_ratelimit {
	uint64_t window_start_ms;
	unsigned printed;
	unsigned suppressed;
};

void td_log_set_level(enum td_log_level max_level);
void td_log_set_ident(const char *ident);
void td_log_open_syslog(const char *ident);
void td_log_close(void);

void td_log(enum td_log_level lvl, const char *prefix, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Returns 1 if printed, 0 if suppressed. */
int td_log_rl(struct td_ratelimit *rl, enum td_log_level lvl,
	      const char *prefix, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#define TD_ERR(pfx, ...) td_log(TD_LOG_ERR, pfx, __VA_ARGS__)
#define TD_WARN(pfx, ...) td_log(TD_LOG_WARN, pfx, __VA_ARGS__)
#define TD_INFO(pfx, ...) td_log(TD_LOG_INFO, pfx, __VA_ARGS__)
#define TD_DBG(pfx, ...) td_log(TD_LOG_DEBUG, pfx, __VA_ARGS__)

/* Guest-triggerable: one static rate-limit state per call site. */
#define TD_RL(lvl, pfx, ...)                                                  \
	do {                                                                  \
		static struct td_ratelimit td_rl_site_;                       \
		td_log_rl(&td_rl_site_, lvl, pfx, __VA_ARGS__);               \
	} while (0)

#endif
