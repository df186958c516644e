// SHA-256 of a stream of bytes, as lowercase hex: what a snapshot's manifest
// records per file so a reader can tell a changed or damaged file from a good
// one (see docs/kube-apiserver.md, "Snapshot integrity").
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace kinspect {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(std::string_view bytes);
  // The digest of everything given so far; the object is spent afterwards.
  std::string hex();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// The SHA-256 of a whole file, or "" when it cannot be read.
std::string sha256_of_file(const std::string& path);

}  // namespace kinspect
