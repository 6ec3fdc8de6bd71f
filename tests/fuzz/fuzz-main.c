/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Replay driver: runs a fuzz target's LLVMFuzzerTestOneInput over files,
 * without libFuzzer, so that the seed corpus and the kept crashers run in
 * every build (gcc included) under `make check`.
 *
 *   replay-<name> [FILE | DIR]...
 *
 * Without arguments it reads FUZZ_DEFAULT_DIRS (set at build time to the
 * target's tests/fuzz/corpus/<name> and tests/fuzz/regress/<name>).
 * Directories are read in name order; files whose names start with '.' or
 * "README" are skipped. Exit 0 when every input ran (a broken invariant
 * aborts), 77 when there was no input at all, 99 on a read error.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

#ifndef FUZZ_DEFAULT_DIRS
#define FUZZ_DEFAULT_DIRS ""
#endif
#ifndef FUZZ_NAME
#define FUZZ_NAME "fuzz"
#endif

#define FUZZ_MAX_INPUT (1u << 20)

int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static unsigned long inputs;

static int run_file(const char *path)
{
	static uint8_t buf[FUZZ_MAX_INPUT];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f) {
		fprintf(stderr, "replay-%s: %s: %s\n", FUZZ_NAME, path,
			strerror(errno));
		return -1;
	}
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	if (getenv("FUZZ_VERBOSE"))
		fprintf(stderr, "replay-%s: %s (%zu bytes)\n", FUZZ_NAME, path, n);
	/* a copy of exactly n bytes, so that ASan sees reads past the end */
	{
		uint8_t *copy = malloc(n ? n : 1);

		if (!copy)
			return -1;
		memcpy(copy, buf, n);
		LLVMFuzzerTestOneInput(copy, n);
		free(copy);
	}
	inputs++;
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_path(const char *path, int missing_ok)
{
	struct dirent *de;
	char **names = NULL, full[4096];
	size_t n = 0, cap = 0, i;
	struct stat st;
	int rc = 0;
	DIR *d;

	if (stat(path, &st) < 0)
		return missing_ok && errno == ENOENT ? 0 : run_file(path);
	if (!S_ISDIR(st.st_mode))
		return run_file(path);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || !strncmp(de->d_name, "README", 6))
			continue;
		if (n == cap) {
			char **nn = realloc(names, (cap = cap ? 2 * cap : 64) *
						   sizeof(*names));
			if (!nn)
				break;
			names = nn;
		}
		names[n] = strdup(de->d_name);
		if (names[n])
			n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), name_cmp);
	for (i = 0; i < n; i++) {
		snprintf(full, sizeof(full), "%s/%s", path, names[i]);
		if (rc == 0 && run_file(full) < 0)
			rc = -1;
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	char dirs[] = FUZZ_DEFAULT_DIRS, *tok, *save = NULL;
	int i, rc = 0;

	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	if (argc > 1) {
		for (i = 1; i < argc; i++)
			if (run_path(argv[i], 0) < 0)
				rc = 99;
	} else {
		for (tok = strtok_r(dirs, ":", &save); tok;
		     tok = strtok_r(NULL, ":", &save))
			if (run_path(tok, 1) < 0)
				rc = 99;
	}
	printf("replay-%s: %lu inputs%s\n", FUZZ_NAME, inputs,
	       rc ? " (read errors)" : "");
	if (rc)
		return rc;
	return inputs ? 0 : 77;
}
