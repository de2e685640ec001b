/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * corpus_main.c - replay every file of the fuzz corpus through the fuzz
 * target (fuzz_config.c), one TAP result per file, so inputs the fuzzer
 * found stay regression tests under `make check` (and its sanitizer run).
 */
#include <config.h>

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int main(void)
{
	const char *top = getenv("MGMT_TOP_SRCDIR");
	char dir[4096], path[8192];
	struct dirent **ents;
	int n, t = 0;

	snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus", top ? top : ".");
	n = scandir(dir, &ents, NULL, by_name);
	if (n < 0) {
		printf("Bail out! cannot read %s\n", dir);
		return 1;
	}
	for (int i = 0; i < n; i++) {
		FILE *f;
		char *buf;
		long len;

		if (ents[i]->d_name[0] == '.') {
			free(ents[i]);
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name);
		f = fopen(path, "rb");
		if (!f || fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 ||
		    fseek(f, 0, SEEK_SET) || !(buf = malloc((size_t)len + 1)) ||
		    fread(buf, 1, (size_t)len, f) != (size_t)len) {
			printf("not ok %d - %s: cannot read\n", ++t,
			       ents[i]->d_name);
			if (f)
				fclose(f);
			free(ents[i]);
			continue;
		}
		fclose(f);
		/* a crash or abort fails the whole run, as it should */
		LLVMFuzzerTestOneInput((const uint8_t *)buf, (size_t)len);
		printf("ok %d - corpus %s\n", ++t, ents[i]->d_name);
		free(buf);
		free(ents[i]);
	}
	free(ents);
	printf("1..%d\n", t);
	return 0;
}
