#pragma once
// Background work below the window's priority. With the window open, the UI thread, Mesa's
// llvmpipe threads, the trainer and the picture decoders share two cores; under the default
// fair scheduling a frame waits behind a training step whenever both want the same core, and
// the frame time's tail follows the step time. Running the background threads at a higher nice
// value lets the UI thread preempt them on wake-up, while they still take every cycle the UI
// leaves idle (the window redraws only what changed, at most 60 times a second).
// Linux applies nice values per thread; elsewhere this is a no-op. Torch-free.
namespace vae {

// Process-wide: the nice increment background threads take (0, the CLI's default: none).
// Set once, before the threads start (configure_threads does it for the window's profile).
void set_background_niceness(int increment);
int background_niceness();

// Called first thing on a background thread (trainer, decode workers, encoders): lowers the
// calling thread's priority by background_niceness(). Returns false when that failed.
bool enter_background_priority();

// For threads that work for a background thread whichever thread started them (the training
// step's helpers, work_pool.h): sets the calling thread's nice value to background_niceness().
bool match_background_priority();

// Names the calling thread (at most 15 characters show) so `top -H`, perf and /proc tell the
// trainer from the decoders and the UI. No-op off Linux.
void name_this_thread(const char* name);

// Lowers every other thread the process has right now (the worker pools libraries such as
// OpenBLAS started when they loaded) by background_niceness(); call on the UI thread before it
// starts threads of its own (GL). Returns how many threads were lowered.
int lower_existing_threads();

}  // namespace vae
