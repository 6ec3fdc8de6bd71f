/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Minimal unit-test helpers: CHECK(cond) records a failure with its
 * location and goes on; check_exit() returns 0 (all passed) or 1.
 * Exit 77 means skipped (say why on stderr first), 99 a hard error.
 */
#ifndef XENTAP_CHECK_H
#define XENTAP_CHECK_H

#include <stdio.h>
#include <stdlib.h>

static int check_failures;
static int check_count;

#define CHECK(cond)                                                           \
	do {                                                                  \
		check_count++;                                                \
		if (!(cond)) {                                                \
			check_failures++;                                     \
			fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__,          \
				__LINE__, #cond);                             \
		}                                                             \
	} while (0)

#define CHECK_EQ(a, b)                                                        \
	do {                                                                  \
		long long check_a_ = (long long)(a), check_b_ = (long long)(b); \
		check_count++;                                                \
		if (check_a_ != check_b_) {                                   \
			check_failures++;                                     \
			fprintf(stderr, "FAIL %s:%d: %s == %s (%lld != %lld)\n", \
				__FILE__, __LINE__, #a, #b, check_a_, check_b_); \
		}                                                             \
	} while (0)

static inline int check_exit(const char *name)
{
	printf("%s: %d checks, %d failed\n", name, check_count, check_failures);
	return check_failures ? 1 : (check_count ? 0 : 99);
}

#endif
