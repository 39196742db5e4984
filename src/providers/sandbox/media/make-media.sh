#!/bin/sh
# Regenerates the sandbox provider's media fixtures into this script's directory.
# Requires ffmpeg (Debian package "ffmpeg", built with libx264 and libwebp).
# Settings are fixed (single thread, bitexact flags, no metadata) so reruns with
# the same ffmpeg build produce the same bytes as far as practical.
set -eu

DIR=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
cd "$DIR"

SIZES="720x1280 1280x720 1024x1792 1792x1024 1920x1080 1080x1920"
FF="ffmpeg -hide_banner -loglevel error -nostdin -y"

SECONDS_LIST="4 8 12 16 20"

for s in $SIZES; do
  for secs in $SECONDS_LIST; do
    # $secs s of the testsrc pattern at 2 fps, H.264 at a low quality, plus a quiet 8 kHz sine AAC track:
    # a real, playable clip of the requested length, a few KB per second.
    $FF -threads 1 \
      -f lavfi -i "testsrc=size=$s:rate=2:duration=$secs" \
      -f lavfi -i "sine=frequency=440:sample_rate=8000:duration=$secs" \
      -map 0:v:0 -map 1:a:0 \
      -c:v libx264 -preset veryslow -crf 40 -tune stillimage -threads 1 \
      -x264-params "threads=1:lookahead-threads=1" \
      -pix_fmt yuv420p -g 40 \
      -c:a aac -b:a 8k -ac 1 \
      -map_metadata -1 -map_chapters -1 \
      -fflags +bitexact -flags:v +bitexact -flags:a +bitexact \
      -movflags +faststart \
      -shortest \
      "$s-${secs}s.mp4"
  done

  # Thumbnail: first frame of the 4 s clip, 360 px wide, WebP.
  $FF -threads 1 -i "$s-4s.mp4" -an -frames:v 1 \
    -vf "scale=360:-2:flags=bicubic" \
    -c:v libwebp -quality 60 -compression_level 6 \
    -map_metadata -1 -fflags +bitexact -flags:v +bitexact \
    "$s.webp"

  # Spritesheet: the 4 s clip's 8 frames (2 fps), each 160 px wide, 4x2 tile, JPEG.
  $FF -threads 1 -i "$s-4s.mp4" -an \
    -vf "fps=2,scale=160:-2:flags=bicubic,tile=4x2" \
    -frames:v 1 -q:v 8 \
    -map_metadata -1 -fflags +bitexact -flags:v +bitexact \
    "$s.jpg"
done
