#include "base/mem.h"

#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct mem_hdr {
	alignas(max_align_t) atomic_uint nrefs;
	mem_destroy_h *dh;
};

static struct mem_hdr *mem_hdr(const void *data)
{
	return (struct mem_hdr *)((char *)(uintptr_t)data - sizeof(struct mem_hdr));
}

void *mem_alloc(size_t size, mem_destroy_h *dh)
{
	struct mem_hdr *h = calloc(1, sizeof(*h) + size);
	if (!h)
		return NULL;
	atomic_init(&h->nrefs, 1);
	h->dh = dh;
	return h + 1;
}

void *mem_ref(void *data)
{
	if (data)
		atomic_fetch_add_explicit(&mem_hdr(data)->nrefs, 1, memory_order_relaxed);
	return data;
}

void *mem_deref(void *data)
{
	if (!data)
		return NULL;
	struct mem_hdr *h = mem_hdr(data);
	if (atomic_fetch_sub_explicit(&h->nrefs, 1, memory_order_acq_rel) != 1)
		return NULL;
	if (h->dh)
		h->dh(data);
	free(h);
	return NULL;
}

unsigned mem_nrefs(const void *data)
{
	return data ? atomic_load(&mem_hdr(data)->nrefs) : 0;
}

char *mem_strndup(const char *s, size_t n)
{
	if (!s)
		return NULL;
	size_t len = strnlen(s, n);
	char *d = mem_alloc(len + 1, NULL);
	if (d)
		memcpy(d, s, len);
	return d;
}

char *mem_strdup(const char *s)
{
	return s ? mem_strndup(s, strlen(s)) : NULL;
}
