#include "media/addrmap.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

void addrmap_key_from(struct addrmap_key *k, const struct sockaddr *sa)
{
	memset(k, 0, sizeof(*k));
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
		k->ip[10] = k->ip[11] = 0xff;
		memcpy(&k->ip[12], &s4->sin_addr, 4);
		k->port = s4->sin_port;
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		memcpy(k->ip, &s6->sin6_addr, 16);
		k->port = s6->sin6_port;
	}
}

static size_t addrmap_hash(const struct addrmap_key *k)
{
	/* FNV-1a over the 18 key bytes: cheap and spreads ports well */
	uint64_t h = 1469598103934665603ull;
	const uint8_t *p = (const uint8_t *)k;
	for (size_t i = 0; i < sizeof(k->ip) + sizeof(k->port); i++) {
		h ^= p[i];
		h *= 1099511628211ull;
	}
	return (size_t)(h ^ (h >> 29));
}

int addrmap_init(struct addrmap *m, size_t cap)
{
	size_t c = 16;
	while (c < cap)
		c <<= 1;
	m->slots = calloc(c, sizeof(*m->slots));
	if (!m->slots)
		return ENOMEM;
	m->cap = c;
	m->used = 0;
	return 0;
}

void addrmap_free(struct addrmap *m)
{
	free(m->slots);
	m->slots = NULL;
	m->cap = m->used = 0;
}

static struct addrmap_slot *addrmap_find(const struct addrmap *m, const struct addrmap_key *k)
{
	size_t mask = m->cap - 1;
	for (size_t i = addrmap_hash(k) & mask, n = 0; n < m->cap; i = (i + 1) & mask, n++) {
		struct addrmap_slot *s = &m->slots[i];
		if (!s->val && !s->tomb)
			return NULL;
		if (s->val && memcmp(&s->key, k, sizeof(*k)) == 0)
			return s;
	}
	return NULL;
}

static int addrmap_grow(struct addrmap *m)
{
	struct addrmap old = *m;
	int err = addrmap_init(m, old.cap * 2);
	if (err) {
		*m = old;
		return err;
	}
	for (size_t i = 0; i < old.cap; i++) {
		struct addrmap_slot *s = &old.slots[i];
		if (!s->val)
			continue;
		size_t mask = m->cap - 1, j = addrmap_hash(&s->key) & mask;
		while (m->slots[j].val)
			j = (j + 1) & mask;
		m->slots[j] = *s;
		m->used++;
	}
	free(old.slots);
	return 0;
}

int addrmap_put(struct addrmap *m, const struct sockaddr *sa, void *val)
{
	struct addrmap_key k;
	addrmap_key_from(&k, sa);
	struct addrmap_slot *s = addrmap_find(m, &k);
	if (s) {
		s->val = val;
		return 0;
	}
	if ((m->used + 1) * 4 > m->cap * 3) {
		int err = addrmap_grow(m);
		if (err)
			return err;
	}
	size_t mask = m->cap - 1, i = addrmap_hash(&k) & mask;
	while (m->slots[i].val)
		i = (i + 1) & mask;
	if (!m->slots[i].tomb)
		m->used++;
	m->slots[i] = (struct addrmap_slot){.key = k, .val = val};
	return 0;
}

void *addrmap_get(const struct addrmap *m, const struct sockaddr *sa)
{
	struct addrmap_key k;
	addrmap_key_from(&k, sa);
	struct addrmap_slot *s = addrmap_find(m, &k);
	return s ? s->val : NULL;
}

void addrmap_del(struct addrmap *m, const struct sockaddr *sa)
{
	struct addrmap_key k;
	addrmap_key_from(&k, sa);
	struct addrmap_slot *s = addrmap_find(m, &k);
	if (s) {
		s->val = NULL;
		s->tomb = 1;
	}
}

void addrmap_del_val(struct addrmap *m, const void *val)
{
	for (size_t i = 0; i < m->cap; i++) {
		if (m->slots[i].val == val) {
			m->slots[i].val = NULL;
			m->slots[i].tomb = 1;
		}
	}
}
