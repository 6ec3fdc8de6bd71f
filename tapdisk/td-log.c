/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "td-log.h"

#define TD_RL_WINDOW_MS 5000
#define TD_RL_BURST 10

static enum td_log_level max_level = TD_LOG_INFO;
static int use_syslog;
static char ident[32] = "tapdisk";

void td_log_set_level(enum td_log_level lvl)
{
	max_level = lvl;
}

void td_log_set_ident(const char *id)
{
	snprintf(ident, sizeof(ident), "%s", id);
}

void td_log_open_syslog(const char *id)
{
	td_log_set_ident(id);
	openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	use_syslog = 1;
}

void td_log_close(void)
{
	if (use_syslog)
		closelog();
	use_syslog = 0;
}

static const char *level_name(enum td_log_level lvl)
{
	switch (lvl) {
	case TD_LOG_ERR:
		return "error";
	case TD_LOG_WARN:
		return "warning";
	case TD_LOG_INFO:
		return "info";
	default:
		return "debug";
	}
}

static void vlog(enum td_log_level lvl, const char *prefix, const char *fmt,
		 va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (use_syslog) {
		syslog((int)lvl, "%s%s%s", prefix ? prefix : "",
		       prefix ? ": " : "", msg);
		return;
	}
	fprintf(stderr, "%s: %s: %s%s%s\n", ident, level_name(lvl),
		prefix ? prefix : "", prefix ? ": " : "", msg);
}

void td_log(enum td_log_level lvl, const char *prefix, const char *fmt, ...)
{
	va_list ap;

	if (lvl > max_level)
		return;
	va_start(ap, fmt);
	vlog(lvl, prefix, fmt, ap);
	va_end(ap);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int td_log_rl(struct td_ratelimit *rl, enum td_log_level lvl,
	      const char *prefix, const char *fmt, ...)
{
	uint64_t now = now_ms();
	va_list ap;

	if (lvl > max_level)
		return 0;
	if (now - rl->window_start_ms >= TD_RL_WINDOW_MS) {
		if (rl->suppressed)
			td_log(lvl, prefix, "%u similar messages suppressed",
			       rl->suppressed);
		rl->window_start_ms = now;
		rl->printed = 0;
		rl->suppressed = 0;
	}
	if (rl->printed >= TD_RL_BURST) {
		rl->suppressed++;
		return 0;
	}
	rl->printed++;
	va_start(ap, fmt);
	vlog(lvl, prefix, fmt, ap);
	va_end(ap);
	return 1;
}
