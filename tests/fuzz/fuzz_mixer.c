// fuzz-sources: media/mixer.c media/duck.c
/* mixer: any bytes as Opus payloads, losses with any "next packet", rules from any bytes, and
 * ticks, in any order. The input is a list of operations:
 *   op (1 byte: low 3 bits the operation, the rest the source/output), len (1 byte), len bytes
 * 0 put, 1 put_missing, 2 put_fec, 3 tick, 4 set_rule (gains, key, ducked from the bytes),
 * 5 set_interpretation, 6 set_loss. Checks that outputs stay well-formed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "media/mixer.h"

#define NSRC 3
#define NOUT 5
#define MAX_TICKS 12

static void fuzz_rule(struct mixer *mx, unsigned out, const uint8_t *b, size_t n)
{
	struct mixer_rule r = {.key = -1};
	for (unsigned j = 0; j < MIXER_MAX_SRC && j < n; j++)
		r.gain[j] = (float)b[j] / 50.0f;          /* 0..5.1: some out of range */
	if (n > 4)
		r.key = (int)(b[4] % 5) - 1;
	if (n > 5)
		r.ducked = b[5] & 0x1f;
	mixer_set_rule(mx, out, &r);
}

static void fuzz_tick(struct mixer *mx)
{
	const uint8_t *out[MIXER_MAX_OUT];
	size_t lens[MIXER_MAX_OUT];
	mixer_tick(mx, out, lens);
	for (unsigned i = 0; i < NOUT; i++) {
		if (!out[i] || lens[i] > MIXER_MAX_PAYLOAD || !mixer_pcm(mx, i))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mixer_config cfg;
	struct mixer *mx = NULL;
	unsigned ticks = 0;

	mixer_config_default(&cfg, NSRC);
	cfg.nout = NOUT;
	cfg.complexity = 0;     /* the encoder is not under test: keep iterations fast */
	if (mixer_alloc(&mx, &cfg))
		abort();
	while (size >= 2 && ticks < MAX_TICKS) {
		unsigned op = data[0] & 7, idx = data[0] >> 3;
		size_t len = data[1] < size - 2 ? data[1] : size - 2;
		const uint8_t *b = data + 2;
		switch (op) {
		case 0: mixer_put(mx, idx % 4, b, len); break;      /* index 3 is out of range */
		case 1: mixer_put_missing(mx, idx % 4); break;
		case 2: mixer_put_fec(mx, idx % 4, len ? b : NULL, len); break;
		case 3: fuzz_tick(mx); ticks++; break;
		case 4: fuzz_rule(mx, idx % (NOUT + 1), b, len); break;
		case 5: mixer_set_interpretation(mx, idx % 3, (idx / 3) % 3, (idx / 9) % 4); break;
		case 6: mixer_set_loss(mx, idx % NOUT, len ? b[0] : 0); break;
		default: break;
		}
		data += 2 + len;
		size -= 2 + len;
	}
	fuzz_tick(mx);
	mem_deref(mx);
	return 0;
}
