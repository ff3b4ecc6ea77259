#pragma once
// The one mechanism behind every picture panel (manifold, samples, reconstructions,
// interpolation): a texture and the image it shows, keyed by everything the picture depends on.
// When the key changes the panel hands a job to the background decode worker (latest request
// wins; superseded work is cancelled); meanwhile the last finished picture stays on screen with a
// subtle "updating" mark. Errors are reported once, not every frame.
#include <cstdint>
#include <string>

#include "app/gui/gl_util.h"
#include "app/gui/logic/decode_worker.h"
#include "app/gui/logic/tiling.h"

namespace vae::gui {

class MessageLog;

class CachedGrid {
 public:
  // `what` names the picture in error messages ("Manifold").
  CachedGrid(DecodeWorker& worker, MessageLog& messages, std::string what);

  // Takes a finished picture, if any, and uploads it. Once a frame, before wanted()/draw().
  void poll();
  // True when the picture for `key` is neither shown nor on its way: then call request().
  bool wanted(std::uint64_t key) const { return key != requested_key_; }
  void request(std::uint64_t key, DecodeWorker::Job job);

  bool updating() const { return requested_key_ != shown_key_ && has_request_; }
  std::uint64_t shown_key() const { return shown_key_; }
  const Image& image() const { return image_; }
  const Texture& texture() const { return texture_; }

  // Shows the picture scaled to fit the space left in the window (less `reserve_below` pixels),
  // nearest-neighbour, centred horizontally; returns its screen rectangle (w = 0 when empty).
  Box draw(float reserve_below = 0.f, float max_scale = 16.f) const;

 private:
  DecodeWorker& worker_;
  MessageLog& messages_;
  std::string what_;
  int slot_;
  std::uint64_t requested_key_ = 0, shown_key_ = 0;
  bool has_request_ = false;
  std::string last_error_;
  Image image_;
  Texture texture_;
};

}  // namespace vae::gui

namespace vae {
class Inference;
}

namespace vae::gui {

// Decodes `count` latent codes in small batches, checking `cancel` between them, so superseded
// work stops early. For jobs run by the decode worker. Conditional models: `labels` has one
// class per code (empty: the Inference's default class, the window's chosen class).
std::vector<Image> decode_cancellable(const Inference& inference, const std::vector<float>& z, std::size_t count,
                                      const CancelToken& cancel, const std::vector<int>& labels = {});

}  // namespace vae::gui
