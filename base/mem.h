/* mem: refcounted memory with destructors (libre style).
 *
 * Ownership: mem_alloc() returns one reference owned by the caller. mem_ref() adds one,
 * mem_deref() drops one and always returns NULL so callers write `x = mem_deref(x);`.
 * The destructor runs once, when the last reference goes, before the memory is freed.
 * Reference counts are atomic, so an object may be handed between threads through a queue. */
#ifndef BASE_MEM_H
#define BASE_MEM_H
#include <stddef.h>

typedef void (mem_destroy_h)(void *data);

void *mem_alloc(size_t size, mem_destroy_h *dh);   /* zeroed; NULL when out of memory */
void *mem_ref(void *data);
void *mem_deref(void *data);
unsigned mem_nrefs(const void *data);
char *mem_strdup(const char *s);                   /* refcounted copy of s, or NULL */
char *mem_strndup(const char *s, size_t n);

#endif
