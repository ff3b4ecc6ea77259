#pragma once
// The decode of the cursor z as a texture, following the explorer's model and z (the Decoder's
// picture, the Codes panel's decode). Decoded in the same frame while one decode is cheap (the
// MLP: well under a millisecond); once it is not, on the cursor worker, at most a frame behind,
// so dragging stays at the frame rate.
#include <cstdint>
#include <string>

#include "app/gui/gl_util.h"

namespace vae::gui {

class DecodeWorker;
class Explorer;
class MessageLog;

class CursorImage {
 public:
  CursorImage(DecodeWorker& worker, MessageLog& messages);
  // Takes a finished decode and asks for a new one when the model or z changed; once a frame.
  void refresh(const Explorer& explorer);
  const Texture& texture() const { return texture_; }

 private:
  DecodeWorker& worker_;
  MessageLog& messages_;
  int slot_;
  Texture texture_;
  std::uint64_t key_ = 0;      // (model, z) last asked for
  double decode_seconds_ = 0;  // how long the last decode of one image took
  std::string last_error_;
};

}  // namespace vae::gui
