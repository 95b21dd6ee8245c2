/* udp_gso: the pieces of a UDP GSO send (UDP_SEGMENT, Linux 4.18) that every sender needs:
 * the control message that says the segment size, and which errors mean the kernel or the
 * route cannot segment (the caller then sends datagram by datagram, and should stop trying).
 * Who groups datagrams into runs is the caller's business (media/worker_tx.c, the load
 * generator's tests/load/peer_tx.c). */
#ifndef BASE_UDP_GSO_H
#define BASE_UDP_GSO_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#define UDP_GSO_MAX_SEGS 64          /* the kernel's UDP_MAX_SEGMENTS since 4.18 */

union udp_gso_cmsg {                 /* room for one UDP_SEGMENT control message */
	char buf[CMSG_SPACE(sizeof(uint16_t))];
	struct cmsghdr align;
};

/* m's control data becomes cm, holding UDP_SEGMENT = seg (the size of every datagram of the
 * send but the last, which may be shorter) */
void udp_gso_set(struct msghdr *m, union udp_gso_cmsg *cm, uint16_t seg);
/* err (from sendmsg/sendmmsg of a GSO send) says GSO does not work on this socket or route */
bool udp_gso_refused(int err);

#endif
