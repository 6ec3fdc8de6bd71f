/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz targets (tests/fuzz/): each fuzz-<name>.c defines
 * LLVMFuzzerTestOneInput (and may define LLVMFuzzerInitialize). Built two
 * ways from the same source:
 *
 *   fuzz-<name>     with libFuzzer (./configure --enable-fuzzing CC=clang;
 *                   `make fuzz` runs each for FUZZ_SECONDS)
 *   replay-<name>   with fuzz-main.c instead of libFuzzer, in every build:
 *                   `make check` feeds it the seed corpus and every crasher
 *                   kept in tests/fuzz/regress/<name>/
 *
 * A target checks invariants with FUZZ_CHECK, which reports and aborts:
 * libFuzzer then saves the input, and the replay run fails.
 */
#ifndef XENTAP_FUZZ_H
#define XENTAP_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_CHECK(cond)                                                      \
	do {                                                                  \
		if (!(cond)) {                                                \
			fprintf(stderr, "%s:%d: invariant broken: %s\n",       \
				__FILE__, __LINE__, #cond);                   \
			abort();                                              \
		}                                                             \
	} while (0)

/* A cursor over the fuzz input: reads past the end give zeros. */
struct fuzz_in {
	const uint8_t *p;
	size_t n;
};

static inline uint8_t fuzz_u8(struct fuzz_in *in)
{
	uint8_t v = 0;

	if (in->n) {
		v = *in->p++;
		in->n--;
	}
	return v;
}

static inline uint64_t fuzz_le(struct fuzz_in *in, unsigned bytes)
{
	uint64_t v = 0;
	unsigned i;

	for (i = 0; i < bytes; i++)
		v |= (uint64_t)fuzz_u8(in) << (8 * i);
	return v;
}

/* Copy up to len bytes into buf, zero-filling what the input lacks. */
static inline void fuzz_bytes(struct fuzz_in *in, void *buf, size_t len)
{
	uint8_t *b = buf;
	size_t i;

	for (i = 0; i < len; i++)
		b[i] = fuzz_u8(in);
}

#endif
