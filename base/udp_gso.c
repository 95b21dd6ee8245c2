/* udp_gso: see base/udp_gso.h. */
#include "base/udp_gso.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <string.h>

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

void udp_gso_set(struct msghdr *m, union udp_gso_cmsg *cm, uint16_t seg)
{
	memset(cm, 0, sizeof(*cm));
	m->msg_control = cm->buf;
	m->msg_controllen = sizeof(cm->buf);
	struct cmsghdr *c = CMSG_FIRSTHDR(m);
	c->cmsg_level = SOL_UDP;
	c->cmsg_type = UDP_SEGMENT;
	c->cmsg_len = CMSG_LEN(sizeof(seg));
	memcpy(CMSG_DATA(c), &seg, sizeof(seg));
}

/* EIO: a device without checksum offload; EINVAL: SO_NO_CHECK, a segment over the MTU;
 * ENOPROTOOPT/EOPNOTSUPP: a kernel without UDP_SEGMENT */
bool udp_gso_refused(int err)
{
	return err == EIO || err == EINVAL || err == ENOPROTOOPT || err == EOPNOTSUPP;
}
