#pragma once
// `train --nproc N`: runs N copies of this very command on this machine as the ranks of one
// data-parallel run (core/train/distributed.h) and supervises them.

namespace vae::cli {

// Re-executes this process's own command line N times with --world-size N --rank R --master
// 127.0.0.1:PORT (a free port) instead of --nproc, splits the cores between them, and waits. When
// one rank fails, the others notice at once (their connections close); any still running after a
// grace period are terminated. Returns 0 when every rank succeeded, else the first failure's code.
int launch_local_ranks(int nproc);

}  // namespace vae::cli
