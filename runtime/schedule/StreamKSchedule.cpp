#include "runtime/schedule/StreamKSchedule.h"

#include "runtime/abi/AttentionABI.h"

#include <algorithm>
#include <sstream>
#include <stdexcept>

namespace tessel::schedule {

TileSpace buildTileSpace(const std::vector<int64_t> &lens, int64_t tile, int64_t kvHeads,
                         int64_t headPad) {
  if (tile <= 0)
    throw std::invalid_argument("stream-K tile must be positive, got " +
                                std::to_string(tile));
  if (kvHeads <= 0)
    throw std::invalid_argument("KV head count must be positive, got " +
                                std::to_string(kvHeads));
  if (headPad != 0 && headPad != 1)
    throw std::invalid_argument("head pad must be 0 or 1, got " +
                                std::to_string(headPad));
  TileSpace space;
  space.tile = tile;
  space.kvHeads = kvHeads;
  space.headPad = headPad;
  space.lens = lens;
  space.offsets.reserve(lens.size() + 1);
  space.offsets.push_back(0);
  for (size_t b = 0; b < lens.size(); ++b) {
    if (lens[b] < 0)
      throw std::invalid_argument("context length of sequence " + std::to_string(b) +
                                  " is negative (" + std::to_string(lens[b]) + ")");
    space.offsets.push_back(space.offsets[b] + kvHeads * space.headSpan(b));
  }
  return space;
}

int64_t effectiveWorkers(int64_t total, int64_t requested) {
  return std::max<int64_t>(1, std::min(requested, std::max<int64_t>(total, 1)));
}

TileCoord locateTile(const TileSpace &space, int64_t t) {
  // The sequence is the last b with offsets[b] <= t (skipping empty sequences).
  auto it = std::upper_bound(space.offsets.begin(), space.offsets.end(), t);
  int64_t b = (it - space.offsets.begin()) - 1;
  int64_t span = space.headSpan(b);
  int64_t local = t - space.offsets[b];
  return {b, local / span, local % span};
}

std::vector<Segment> workerSegments(const TileSpace &space, int64_t workers, int64_t w) {
  std::vector<Segment> segments;
  int64_t total = space.total();
  int64_t t = workerBegin(total, workers, w);
  int64_t end = workerBegin(total, workers, w + 1);
  while (t < end) {
    TileCoord c = locateTile(space, t);
    int64_t headBegin = t - c.tile;
    int64_t tiles = space.headTiles(c.batch);
    int64_t segEnd = std::min(end, headBegin + space.headSpan(c.batch));
    if (c.tile < tiles) { // else the range starts in the head's pad: nothing to do
      int64_t endTile = std::min(segEnd - headBegin, tiles);
      segments.push_back(
          {w, c.batch, c.kvHead, c.tile, endTile, c.tile == 0, endTile == tiles});
    }
    t = segEnd;
  }
  return segments;
}

Contributors headContributors(const TileSpace &space, int64_t workers, int64_t b,
                              int64_t g) {
  int64_t perHead = space.headTiles(b);
  if (perHead == 0)
    return {-1, -2};
  int64_t begin = space.headBegin(b, g);
  int64_t total = space.total();
  return {workerOfTile(total, workers, begin),
          workerOfTile(total, workers, begin + perHead - 1)};
}

int64_t partialSlots(Fixup, int64_t workers) { return 2 * workers; }

int64_t workspaceBytes(Fixup fixup, int64_t workers, int64_t group, int64_t vDim) {
  return abi::counterBytes(fixup == Fixup::InKernel, workers) +
         partialSlots(fixup, workers) * abi::slotFloats(group, vDim) * 4;
}

std::string checkInvariants(const TileSpace &space, int64_t workers) {
  std::ostringstream err;
  int64_t total = space.total();
  if (workers < 1) {
    err << "worker count " << workers << " < 1";
    return err.str();
  }
  // Shares: contiguous, covering [0, T), sizes differ by at most one.
  int64_t minShare = total, maxShare = 0;
  for (int64_t w = 0; w < workers; ++w) {
    int64_t share = workerBegin(total, workers, w + 1) - workerBegin(total, workers, w);
    minShare = std::min(minShare, share);
    maxShare = std::max(maxShare, share);
  }
  if (workerBegin(total, workers, 0) != 0 || workerBegin(total, workers, workers) != total) {
    err << "worker ranges do not span [0, " << total << ")";
    return err.str();
  }
  if (maxShare - minShare > 1) {
    err << "shares differ by " << maxShare - minShare;
    return err.str();
  }
  // Coverage through segments: every tile of every head exactly once, no pad unit; at
  // most one non-host segment per worker (its first); a non-finishing host is a
  // worker's last.
  std::vector<int> seen(total, 0);
  for (int64_t w = 0; w < workers; ++w) {
    auto segs = workerSegments(space, workers, w);
    for (size_t i = 0; i < segs.size(); ++i) {
      const Segment &s = segs[i];
      if (!s.host && i != 0) {
        err << "worker " << w << " has a non-host segment that is not its first";
        return err.str();
      }
      if (s.host && !s.finishing && i + 1 != segs.size()) {
        err << "worker " << w << " has an unfinished host segment that is not its last";
        return err.str();
      }
      int64_t base = space.headBegin(s.batch, s.kvHead);
      for (int64_t k = s.firstTile; k < s.endTile; ++k) {
        if (workerOfTile(total, workers, base + k) != w) {
          err << "workerOfTile disagrees with workerBegin at tile " << base + k;
          return err.str();
        }
        ++seen[base + k];
      }
    }
  }
  for (int64_t b = 0; b < space.batch(); ++b)
    for (int64_t g = 0; g < space.kvHeads; ++g)
      for (int64_t u = 0; u < space.headSpan(b); ++u) {
        int64_t t = space.headBegin(b, g) + u;
        int expected = u < space.headTiles(b) ? 1 : 0;
        if (seen[t] != expected) {
          err << (expected ? "tile " : "pad unit ") << t << " covered " << seen[t]
              << " times";
          return err.str();
        }
      }
  // Contributors: exactly the workers whose ranges touch the head; the host is the
  // first of them and waits only on higher-numbered workers (no cycle is possible).
  for (int64_t b = 0; b < space.batch(); ++b)
    for (int64_t g = 0; g < space.kvHeads; ++g) {
      Contributors c = headContributors(space, workers, b, g);
      int64_t begin = space.headBegin(b, g), end = begin + space.headTiles(b);
      for (int64_t w = 0; w < workers; ++w) {
        bool touches = workerBegin(total, workers, w) < end &&
                       workerBegin(total, workers, w + 1) > begin && begin < end;
        bool listed = w >= c.first && w <= c.last;
        if (touches != listed) {
          err << "head (" << b << ", " << g << "): worker " << w
              << (touches ? " touches it but is not a contributor"
                          : " is a contributor but does not touch it");
          return err.str();
        }
      }
      if (begin < end && workerOfTile(total, workers, begin) != c.first) {
        err << "head (" << b << ", " << g << "): host is not the first contributor";
        return err.str();
      }
    }
  return {};
}

} // namespace tessel::schedule
