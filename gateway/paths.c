#include "gateway/paths.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int path_self_dir(char *out, size_t outlen)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return errno;
	exe[n] = '\0';
	return path_dirname(out, outlen, exe);
}

int path_join(char *out, size_t outlen, const char *base, const char *rel)
{
	int n = rel[0] == '/' || !base || !*base ? snprintf(out, outlen, "%s", rel)
						: snprintf(out, outlen, "%s/%s", base, rel);
	return n < 0 || (size_t)n >= outlen ? ENAMETOOLONG : 0;
}

int path_dirname(char *out, size_t outlen, const char *path)
{
	char abs[PATH_MAX];
	if (!realpath(path, abs))
		return errno;
	char *slash = strrchr(abs, '/');
	if (slash == abs)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	int n = snprintf(out, outlen, "%s", abs);
	return n < 0 || (size_t)n >= outlen ? ENAMETOOLONG : 0;
}

int path_mkdirs(const char *path)
{
	char buf[PATH_MAX];
	int n = snprintf(buf, sizeof(buf), "%s", path);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return ENAMETOOLONG;
	for (char *p = buf + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(buf, 0750) && errno != EEXIST)
			return errno;
		*p = c;
		if (!c)
			break;
	}
	return path_is_dir(path) ? 0 : ENOTDIR;
}

bool path_is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

bool path_is_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}
