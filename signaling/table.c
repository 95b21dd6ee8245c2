#include "signaling/table.h"
#include "base/mem.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct table_entry {
	struct table_entry *next;
	void *value;
	char key[];
};

struct table {
	struct table_entry **buckets;
	size_t nbuckets, count;
};

static void table_destroy(void *data)
{
	struct table *t = data;
	for (size_t i = 0; i < t->nbuckets; i++) {
		for (struct table_entry *e = t->buckets[i], *next; e; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(t->buckets);
}

/* FNV-1a: keys are short and mostly random already. */
static size_t table_hash(const struct table *t, const char *key)
{
	uint64_t h = 1469598103934665603ull;
	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		h = (h ^ *p) * 1099511628211ull;
	return (size_t)(h % t->nbuckets);
}

int table_alloc(struct table **tp, size_t nbuckets)
{
	struct table *t = mem_alloc(sizeof(*t), table_destroy);
	if (!t)
		return ENOMEM;
	t->nbuckets = nbuckets ? nbuckets : 64;
	t->buckets = calloc(t->nbuckets, sizeof(*t->buckets));
	if (!t->buckets) {
		mem_deref(t);
		return ENOMEM;
	}
	*tp = t;
	return 0;
}

static struct table_entry **table_slot(const struct table *t, const char *key)
{
	struct table_entry **pp = &t->buckets[table_hash(t, key)];
	while (*pp && strcmp((*pp)->key, key) != 0)
		pp = &(*pp)->next;
	return pp;
}

int table_add(struct table *t, const char *key, void *value)
{
	struct table_entry **pp = table_slot(t, key);
	if (*pp)
		return EEXIST;
	size_t len = strlen(key);
	struct table_entry *e = malloc(sizeof(*e) + len + 1);
	if (!e)
		return ENOMEM;
	memcpy(e->key, key, len + 1);
	e->value = value;
	e->next = NULL;
	*pp = e;
	t->count++;
	return 0;
}

void *table_find(const struct table *t, const char *key)
{
	struct table_entry *e = *table_slot(t, key);
	return e ? e->value : NULL;
}

void *table_remove(struct table *t, const char *key)
{
	struct table_entry **pp = table_slot(t, key), *e = *pp;
	if (!e)
		return NULL;
	void *value = e->value;
	*pp = e->next;
	free(e);
	t->count--;
	return value;
}

size_t table_count(const struct table *t)
{
	return t->count;
}

void *table_next(const struct table *t, struct table_iter *it, const char **key)
{
	const struct table_entry *e = it->entry ? ((const struct table_entry *)it->entry)->next : NULL;
	while (!e && it->bucket < t->nbuckets)
		e = t->buckets[it->bucket++];
	it->entry = e;
	if (!e)
		return NULL;
	if (key)
		*key = e->key;
	return e->value;
}

void *table_first(const struct table *t)
{
	struct table_iter it = {0};
	return table_next(t, &it, NULL);
}
