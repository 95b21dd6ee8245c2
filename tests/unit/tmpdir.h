/* tmpdir: a fresh temporary directory per test, removed with everything in it afterwards.
 * Header-only helper for the unit tests (static functions). */
#ifndef TESTS_UNIT_TMPDIR_H
#define TESTS_UNIT_TMPDIR_H
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* fills buf with a new directory's path; returns buf or NULL */
static inline char *tmpdir_make(char *buf, size_t n)
{
	const char *base = getenv("TMPDIR");
	snprintf(buf, n, "%s/rapport-test-XXXXXX", base && *base ? base : "/tmp");
	return mkdtemp(buf);
}

static inline int tmpdir_rm_one(const char *path, const struct stat *sb, int flag,
				struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	return remove(path);
}

static inline void tmpdir_remove(const char *dir)
{
	nftw(dir, tmpdir_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
