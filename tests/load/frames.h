/* frames: the media the load generator sends, encoded once at start and replayed by every leg
 * with fresh RTP headers: Opus (libopus) from a tone, 20 ms per packet, and VP8 (libvpx,
 * realtime, CBR at the asked bitrate) from a synthetic moving picture, already split into RTP
 * payloads (RFC 7741 descriptor with a 15-bit picture id). Video frame 0 is the only keyframe,
 * so a sender that gets a PLI jumps back to frame 0 and goes on from there, which a decoder
 * follows. Read-only after frames_make(); shared by all legs. */
#ifndef TESTS_LOAD_FRAMES_H
#define TESTS_LOAD_FRAMES_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct frames_config {
	unsigned audio_ms;        /* length of the audio loop (default 2000) */
	unsigned video_ms;        /* length of the video loop (default 10000); 0 = no video */
	unsigned width, height;   /* default 640x480 */
	unsigned fps;             /* default 30 */
	unsigned video_kbps;      /* CBR target (default 1000) */
	unsigned max_payload;     /* RTP payload bytes per video packet (default 1200) */
};

struct frames_pkt {
	const uint8_t *data;
	uint16_t len;
};

struct frames_video {
	const struct frames_pkt *pkts;  /* RTP payloads; the last one carries the marker */
	unsigned npkts;
	bool key;
};

struct frames {
	struct frames_pkt *audio;       /* one Opus packet per 20 ms */
	unsigned naudio;
	struct frames_video *video;
	unsigned nvideo, fps;
	uint64_t video_bytes, audio_bytes;   /* payload totals of one loop */
	unsigned video_packets;
	uint8_t *store;                 /* every payload, one allocation */
	size_t store_len, store_cap;
	struct frames_pkt *pkt_store;
	size_t npkt_store, pkt_cap;
};

int frames_make(struct frames **fp, const struct frames_config *cfg);
void frames_free(struct frames *f);
/* average bitrates of the loops, bits per second of payload */
double frames_video_bps(const struct frames *f);
double frames_audio_bps(const struct frames *f);

#endif
