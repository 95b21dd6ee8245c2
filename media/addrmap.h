/* addrmap: a worker's table from a peer's transport address (IP + port) to its leg.
 *
 * Open addressing with linear probing, sized at creation and grown only on insert (never on
 * the packet path). Lookups hash the address and compare at most a few slots. Keys are copied;
 * values are borrowed pointers (the leg removes its entries before it dies). */
#ifndef MEDIA_ADDRMAP_H
#define MEDIA_ADDRMAP_H
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct addrmap_key {
	uint8_t ip[16];      /* IPv4 as v4-mapped IPv6 */
	uint16_t port;
};

struct addrmap_slot {
	struct addrmap_key key;
	void *val;           /* NULL = empty */
	uint8_t tomb;        /* deleted marker */
};

struct addrmap {
	struct addrmap_slot *slots;
	size_t cap, used;    /* used counts live + tombstones */
};

void addrmap_key_from(struct addrmap_key *k, const struct sockaddr *sa);
int addrmap_init(struct addrmap *m, size_t cap);  /* cap rounded up to a power of two */
void addrmap_free(struct addrmap *m);
int addrmap_put(struct addrmap *m, const struct sockaddr *sa, void *val); /* replaces */
void *addrmap_get(const struct addrmap *m, const struct sockaddr *sa);
void addrmap_del(struct addrmap *m, const struct sockaddr *sa);
/* delete every entry whose value is val */
void addrmap_del_val(struct addrmap *m, const void *val);

#endif
