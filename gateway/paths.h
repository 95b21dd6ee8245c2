/* paths: where rapportd is and what is around it, so it runs from any working directory. */
#ifndef GATEWAY_PATHS_H
#define GATEWAY_PATHS_H
#include <stdbool.h>
#include <stddef.h>

int path_self_dir(char *out, size_t outlen);   /* directory of the running binary */
/* out = rel if absolute, else base/rel. 0 or ENAMETOOLONG. */
int path_join(char *out, size_t outlen, const char *base, const char *rel);
int path_dirname(char *out, size_t outlen, const char *path); /* absolute directory of a file */
int path_mkdirs(const char *path);             /* mkdir -p, mode 0750 */
bool path_is_dir(const char *path);
bool path_is_file(const char *path);

#endif
