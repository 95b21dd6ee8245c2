// fuzz-sources: media/dtls.c
/* One datagram from the network to a fresh server-side dtls_conn (a=setup:passive), as a
 * browser's first packet reaches rapportd. The certificate is made once. Seeds: ClientHellos
 * captured by tests/unit/test_dtls.c (RAPPORT_DTLS_CAPTURE). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/log.h"
#include "base/mem.h"
#include "media/dtls.h"

static struct dtls_cert *fuzz_cert;
static size_t fuzz_sent;

static void fuzz_send(const uint8_t *data, size_t len, void *arg)
{
	(void)arg;
	if (len > 0)
		fuzz_sent += data[0] + len;  /* touch what we were given */
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_set_level(LOG_ERROR);  /* a failed handshake per input is the normal case */
	return dtls_cert_create(&fuzz_cert) ? -1 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t fp[DTLS_FP_LEN];
	struct dtls_conn *c = NULL;
	struct srtp_keys keys;
	if (dtls_conn_alloc(&c, fuzz_cert, true, fp, fuzz_send, NULL) != 0)
		return 0;
	if (size > 0)
		(void)dtls_conn_recv(c, data, size);
	(void)dtls_conn_deadline(c, 1);
	dtls_conn_timeout(c);
	(void)dtls_conn_keys(c, &keys);
	(void)strlen(dtls_conn_error(c));
	mem_deref(c);
	return 0;
}
