/* replay — main() for a fuzz target built without libFuzzer: runs every file
 * of the directories or files named on its command line through
 * LLVMFuzzerTestOneInput and prints TAP, so `meson test` exercises each
 * corpus with any compiler. A finding aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


static int replay_file(const char *path, int *count)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		printf("not ok %d - cannot open '%s'\n", ++*count, path);
		return 1;
	}
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	size_t got;
	while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap)
			buf = realloc(buf, cap *= 2);
	}
	fclose(f);
	if (!buf) {
		printf("not ok %d - out of memory reading '%s'\n", ++*count, path);
		return 1;
	}
	/* An exact-size copy, as libFuzzer gives, so a sanitizer sees overreads. */
	uint8_t *exact = malloc(n ? n : 1);
	memcpy(exact, buf, n);
	free(buf);
	LLVMFuzzerTestOneInput(exact, n);
	free(exact);
	printf("ok %d - %s (%zu bytes)\n", ++*count, path, n);
	fflush(stdout);
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	int count = 0, failed = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			DIR *d = opendir(argv[i]);
			struct dirent *e;
			char **names = NULL;
			size_t nnames = 0;
			while (d && (e = readdir(d))) {
				if (e->d_name[0] == '.')
					continue;
				names = realloc(names, (nnames + 1) * sizeof *names);
				if (asprintf(&names[nnames], "%s/%s", argv[i], e->d_name) < 0)
					abort();
				nnames++;
			}
			if (d)
				closedir(d);
			else
				failed += printf("not ok %d - cannot open '%s'\n", ++count, argv[i]) > 0;
			qsort(names, nnames, sizeof *names, cmp_names);
			for (size_t k = 0; k < nnames; k++) {
				failed += replay_file(names[k], &count);
				free(names[k]);
			}
			free(names);
		} else {
			failed += replay_file(argv[i], &count);
		}
	}
	if (count == 0)
		printf("not ok %d - no input given\n", ++count), failed++;
	printf("1..%d\n", count);
	return failed ? 1 : 0;
}
