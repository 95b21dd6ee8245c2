/* table: a string-keyed hash table (sessions by id and by token, agents by name, calls by id).
 *
 * The table copies keys and stores values as plain pointers: it takes no reference. Whoever
 * adds a value decides what the entry means (docs/ownership.md: the owning tables hold one
 * mem reference per value and drop it on removal). Iteration must not add or remove entries;
 * collect first, then act. */
#ifndef SIGNALING_TABLE_H
#define SIGNALING_TABLE_H
#include <stddef.h>

struct table;
struct table_iter {
	size_t bucket;
	const void *entry;
};

int table_alloc(struct table **tp, size_t nbuckets);   /* mem object */
int table_add(struct table *t, const char *key, void *value); /* EEXIST, ENOMEM */
void *table_find(const struct table *t, const char *key);
void *table_remove(struct table *t, const char *key);  /* the value, or NULL */
size_t table_count(const struct table *t);
/* Start with it = {0}; returns the next value (and its key in *key) or NULL at the end. */
void *table_next(const struct table *t, struct table_iter *it, const char **key);
void *table_first(const struct table *t);              /* any value, or NULL when empty */

#endif
