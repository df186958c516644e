#include "core/plugin/isolated.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_to.hpp>
#include <boost/json/value.hpp>

#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <cstring>
#include <filesystem>
#include <thread>

#include "core/plugin/image.h"
#include "core/table/row_parser.h"
#include "core/util/huge_pages.h"
#include "core/util/log.h"

extern char** environ;

namespace kinspect {

namespace json = boost::json;

namespace {

// ---------------------------------------------------------------- framing
// Each message: one type byte, a 4-byte little-endian length, the payload.
// Parent to worker: 'L' load, 'S' scan, 'C' check, 'A' a shared slot is
// free again, and replies to table reads ('B', 'E', 'X'). Worker to parent:
// 'D' description, 'B' batch, 'M' batch in a shared slot (slot byte, u32
// length), 'E' end, 'X' error, 'T' a native check asks for a table.
// 'H' asks the plugin what it shares (ABI 1.2), and the worker answers 'H'
// with it; 'O' hands a new worker's plugin what another one shared. 'P'
// asks a publisher (ABI 1.3) to write findings back; its outcomes come as
// batches, like a check's findings.

enum : char { kLoad = 'L', kScan = 'S', kCheck = 'C', kDescription = 'D', kBatch = 'B', kEnd = 'E', kFail = 'X',
              kTable = 'T', kShared = 'M', kAck = 'A', kUnavailable = 'U', kShare = 'H', kAdopt = 'O',
              kPublish = 'P' };

// Two batch slots in memory both processes map. The worker fills a slot
// only after the parent said it is done with it ('A'), so neither side ever
// reads what the other is writing.
class SharedSlots {
 public:
  static constexpr int kSlots = 2;

  // Parent: a new region of two slots of `slot_bytes`; null if the system has none to give.
  static std::unique_ptr<SharedSlots> create(size_t slot_bytes) {
    if (slot_bytes == 0) return nullptr;
    int fd = ::memfd_create("kinspect-batches", MFD_CLOEXEC);
    if (fd < 0) return nullptr;
    if (::ftruncate(fd, off_t(slot_bytes * kSlots)) != 0) {
      ::close(fd);
      return nullptr;
    }
    return map(fd, slot_bytes);
  }
  // Worker: the region the parent passed as `fd`, if it passed one.
  static std::unique_ptr<SharedSlots> attach(int fd) {
    struct stat st {};
    if (::fcntl(fd, F_GETFD) < 0 || ::fstat(fd, &st) != 0 || st.st_size <= 0) return nullptr;
    return map(fd, size_t(st.st_size) / kSlots);
  }
  ~SharedSlots() {
    if (base_ != MAP_FAILED) ::munmap(base_, slot_bytes_ * kSlots);
    ::close(fd_);
  }

  int fd() const { return fd_; }
  size_t slot_bytes() const { return slot_bytes_; }
  char* slot(int i) { return static_cast<char*>(base_) + size_t(i) * slot_bytes_; }

  // Maps the first `len` bytes of slot `i` in one call (MADV_POPULATE_*,
  // Linux 5.14) instead of one page fault per 4 KiB: a 100,000-row table
  // crosses both slots of both processes, and on a virtual machine each fault
  // costs about 10 us. Only a hint: on an older kernel the faults happen as before.
  void populate(int i, size_t len, bool write) {
    len = std::min(len, slot_bytes_);
    if (len == 0 || populated_[i] >= len) return;
    size_t page = size_t(::sysconf(_SC_PAGESIZE));
    size_t from = populated_[i] / page * page, to = (len + page - 1) / page * page;
    ::madvise(slot(i) + from, std::min(to, slot_bytes_) - from, write ? MADV_POPULATE_WRITE : MADV_POPULATE_READ);
    populated_[i] = to;
  }

  // Between requests the slots hold nothing: their pages go back to the
  // system (a run's checks would otherwise keep 16 MiB per worker, in both
  // processes, after the last table came in). The next batch faults them in
  // again. Either side calls it once the other is done with the slots.
  void release() {
    ::fallocate(fd_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, off_t(slot_bytes_ * kSlots));
    for (auto& p : populated_) p = 0;
  }

 private:
  static std::unique_ptr<SharedSlots> map(int fd, size_t slot_bytes) {
    void* base = ::mmap(nullptr, slot_bytes * kSlots, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (base == MAP_FAILED) {
      ::close(fd);
      return nullptr;
    }
    auto s = std::unique_ptr<SharedSlots>(new SharedSlots());
    s->fd_ = fd;
    s->base_ = base;
    s->slot_bytes_ = slot_bytes;
    return s;
  }
  SharedSlots() = default;
  int fd_ = -1;
  void* base_ = MAP_FAILED;
  size_t slot_bytes_ = 0;
  size_t populated_[kSlots] = {};  // bytes of each slot already mapped here
};

bool write_all(int fd, const char* p, size_t n) {
  while (n) {
    ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

bool send_frame(int fd, char type, std::string_view payload) {
  char head[5];
  head[0] = type;
  uint32_t len = static_cast<uint32_t>(payload.size());
  for (int i = 0; i < 4; ++i) head[1 + i] = static_cast<char>((len >> (8 * i)) & 0xff);
  return write_all(fd, head, 5) && write_all(fd, payload.data(), payload.size());
}

enum class ReadResult { Ok, Closed, TimedOut, Failed };

// Reads exactly n bytes; waits at most until `deadline` (if cancel given).
ReadResult read_all(int fd, char* p, size_t n, const CancelToken* cancel) {
  while (n) {
    if (cancel) {
      int wait_ms = 200;  // wake up to notice a cancel flag too
      auto now = std::chrono::steady_clock::now();
      if (cancel->should_stop()) return ReadResult::TimedOut;
      if (cancel->deadline != std::chrono::steady_clock::time_point::max()) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(cancel->deadline - now).count();
        wait_ms = static_cast<int>(std::max<int64_t>(0, std::min<int64_t>(left, wait_ms)));
      }
      pollfd pfd{fd, POLLIN, 0};
      int r = ::poll(&pfd, 1, wait_ms);
      if (r < 0 && errno != EINTR) return ReadResult::Failed;
      if (r <= 0) continue;
    }
    ssize_t got = ::recv(fd, p, n, 0);
    if (got == 0) return ReadResult::Closed;
    if (got < 0) {
      if (errno == EINTR) continue;
      return ReadResult::Failed;
    }
    p += got;
    n -= static_cast<size_t>(got);
  }
  return ReadResult::Ok;
}

ReadResult read_frame(int fd, char& type, std::string& payload, const CancelToken* cancel) {
  char head[5];
  ReadResult r = read_all(fd, head, 5, cancel);
  if (r != ReadResult::Ok) return r;
  type = head[0];
  uint32_t len = 0;
  for (int i = 0; i < 4; ++i) len |= static_cast<uint32_t>(static_cast<unsigned char>(head[1 + i])) << (8 * i);
  payload.resize(len);
  return len ? read_all(fd, payload.data(), len, cancel) : ReadResult::Ok;
}

// The frame that ends a request: 'E', or the error as 'X' (a failure) or
// 'U' (the data is unavailable: "cause\nmessage"), so the parent rebuilds
// the same kind of error the plugin reported.
bool send_status(int fd, const Status& st) {
  if (st.ok()) return send_frame(fd, kEnd, "");
  const Error& e = st.error();
  if (e.is_unavailable()) return send_frame(fd, kUnavailable, e.cause() + "\n" + e.message());
  return send_frame(fd, kFail, e.message());
}

Error unavailable_from_frame(const std::string& payload) {
  size_t nl = payload.find('\n');
  if (nl == std::string::npos) return Error::unavailable("unavailable", payload);
  return Error::unavailable(payload.substr(0, nl), payload.substr(nl + 1));
}

json::object spec_to_json(const ScanSpec& spec) {
  json::array args(spec.args.begin(), spec.args.end());
  json::array paths;
  for (const auto& p : spec.paths) paths.emplace_back(p);
  json::array constraints;
  for (const auto& c : spec.constraints)
    constraints.push_back(json::object{{"path", c.path}, {"values", json::array(c.values.begin(), c.values.end())}});
  return json::object{{"table", spec.table}, {"args", std::move(args)}, {"paths", std::move(paths)},
                      {"constraints", std::move(constraints)}};
}

ScanSpec spec_from_json(const json::value& v) {
  ScanSpec s;
  s.table = json::value_to<std::string>(v.at("table"));
  for (const auto& a : v.at("args").as_array()) s.args.push_back(a);
  for (const auto& p : v.at("paths").as_array()) s.paths.emplace_back(p.as_string());
  for (const auto& c : v.at("constraints").as_array()) {
    ScanConstraint sc;
    sc.path = json::value_to<std::string>(c.at("path"));
    for (const auto& x : c.at("values").as_array()) sc.values.emplace_back(x.as_string());
    s.constraints.push_back(std::move(sc));
  }
  return s;
}

std::string describe_exit(int status) {
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    return "crashed (signal " + std::to_string(sig) + ": " + strsignal(sig) + ")";
  }
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  return "stopped";
}

// ---------------------------------------------------------------- worker side

// The worker's end of the connection: frames, and the shared slots the
// parent may still be reading.
class WorkerChannel {
 public:
  explicit WorkerChannel(int fd) : fd_(fd), shared_(SharedSlots::attach(kWorkerSharedFd)) {}
  int fd() const { return fd_; }

  // One batch to the parent: through a free shared slot when it fits. A
  // batch sent while a native check reads a table (nested) takes the socket,
  // so waiting for a slot never meets the table's own reply frames.
  bool send_batch(std::string_view batch) {
    if (!shared_ || nested_ > 0 || batch.size() > shared_->slot_bytes()) return send_frame(fd_, kBatch, batch);
    int slot = next_;
    next_ = (next_ + 1) % SharedSlots::kSlots;
    while (busy_[slot])
      if (!read_ack()) return false;
    shared_->populate(slot, batch.size(), true);
    std::memcpy(shared_->slot(slot), batch.data(), batch.size());
    busy_[slot] = true;
    char msg[5];
    msg[0] = static_cast<char>(slot);
    uint32_t len = static_cast<uint32_t>(batch.size());
    for (int i = 0; i < 4; ++i) msg[1 + i] = static_cast<char>((len >> (8 * i)) & 0xff);
    return send_frame(fd_, kShared, std::string_view(msg, sizeof msg));
  }
  // Before 'E' or 'X': the parent is done with every slot, so no
  // acknowledgement is left over for the next request.
  bool drain() {
    for (int i = 0; i < SharedSlots::kSlots; ++i)
      while (busy_[i])
        if (!read_ack()) return false;
    if (shared_) shared_->release();
    return true;
  }
  // A frame the worker asked for (a table's rows); acknowledgements on the
  // way are taken in.
  ReadResult read(char& type, std::string& payload) {
    while (true) {
      ReadResult r = read_frame(fd_, type, payload, nullptr);
      if (r != ReadResult::Ok || type != kAck) return r;
      free_slot(payload);
    }
  }
  struct Nested {
    WorkerChannel& c;
    explicit Nested(WorkerChannel& ch) : c(ch) { ++c.nested_; }
    ~Nested() { --c.nested_; }
  };

 private:
  bool read_ack() {
    char type;
    std::string payload;
    if (read_frame(fd_, type, payload, nullptr) != ReadResult::Ok || type != kAck) return false;
    free_slot(payload);
    return true;
  }
  void free_slot(const std::string& payload) {
    if (payload.size() == 1 && static_cast<unsigned char>(payload[0]) < SharedSlots::kSlots)
      busy_[static_cast<unsigned char>(payload[0])] = false;
  }
  int fd_;
  std::unique_ptr<SharedSlots> shared_;
  bool busy_[SharedSlots::kSlots] = {};
  int next_ = 0;
  int nested_ = 0;
};

// Inside the worker: a native check's table reads go back to the parent.
class WorkerServices final : public HostServices {
 public:
  explicit WorkerServices(WorkerChannel& channel) : channel_(channel) {}
  Status scan_table(const ScanSpec& spec, const BatchSink& sink, const CancelToken*) override {
    WorkerChannel::Nested nested(channel_);
    if (!send_frame(channel_.fd(), kTable, json::serialize(spec_to_json(spec)))) return Error("lost the parent process");
    char type;
    std::string payload;
    while (true) {
      if (channel_.read(type, payload) != ReadResult::Ok) return Error("lost the parent process");
      if (type == kBatch) {
        Status st = sink(payload);
        if (!st.ok()) return st;  // the parent still sends the rest; drain it
      } else if (type == kEnd) {
        return {};
      } else if (type == kFail) {
        return Error(payload);
      } else if (type == kUnavailable) {
        return unavailable_from_frame(payload);
      }
    }
  }

 private:
  WorkerChannel& channel_;
};

// A worker must not outlive the run, even in the middle of a long parse
// that reads nothing from the parent. The parent's end of the socket closes
// when it exits or is killed; a thread waiting for that hang-up ends the
// worker at once. (PR_SET_PDEATHSIG would not do: it fires when the parent
// *thread* that spawned the worker ends, and workers are spawned from
// short-lived threads and then reused.)
void exit_with_parent(int fd) {
  std::thread([fd] {
    pollfd p{fd, POLLRDHUP, 0};
    for (;;) {
      int n = ::poll(&p, 1, -1);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return;
      if (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) ::_exit(0);
    }
  }).detach();
}

}  // namespace

int run_plugin_worker(int fd) {
  // A plugin that prints to stdout must not corrupt anything: stdout joins
  // stderr, and the protocol has its own descriptor.
  ::dup2(STDERR_FILENO, STDOUT_FILENO);
  log::import_level();
  exit_with_parent(fd);
  WorkerChannel channel(fd);
  WorkerServices services(channel);
  std::unique_ptr<InProcessPlugin> plugin;
  char type;
  std::string payload;
  while (channel.read(type, payload) == ReadResult::Ok) {
    try {
      json::value req = json::parse(payload);
      if (type == kLoad) {
        // A loading worker may be asked to load one plugin after another
        // (describing them all at start-up); the previous one goes first.
        plugin.reset();
        std::string path = json::value_to<std::string>(req.at("path"));
        std::string shown = json::value_to<std::string>(req.at("shown"));
        std::string config = json::value_to<std::string>(req.at("config"));
        auto loaded = InProcessPlugin::load(path, [&](std::string_view) { return config; }, shown);
        if (!loaded) {
          send_frame(fd, kFail, loaded.error().message());
          return 1;
        }
        plugin = std::move(loaded.value());
        json::object d{{"name", plugin->name()},
                       {"version", plugin->version()},
                       {"description", plugin->description_text()},
                       {"abi_major", plugin->abi_major()},
                       {"abi_minor", plugin->abi_minor()},
                       {"kinds", plugin->kinds()},
                       {"describe", plugin->description_json()}};
        send_frame(fd, kDescription, json::serialize(d));
        continue;
      }
      if (!plugin) {
        send_frame(fd, kFail, "no plugin loaded");
        continue;
      }
      if (type == kShare) {
        auto shared = plugin->share();
        json::object reply;
        if (shared) reply["shared"] = *shared;
        if (!send_frame(fd, kShare, json::serialize(reply))) return 1;
        continue;
      }
      if (type == kAdopt) {
        if (!send_status(fd, plugin->adopt(json::value_to<std::string>(req.at("shared"))))) return 1;
        continue;
      }
      auto sink = [&](std::string_view batch) {
        return channel.send_batch(batch) ? Status::Ok() : Status(Error("lost the parent process"));
      };
      Status st;
      if (type == kScan) {
        st = plugin->scan(spec_from_json(req), sink, nullptr, &services);
      } else if (type == kCheck) {
        st = plugin->run_check(json::value_to<std::string>(req.at("id")), json::value_to<std::string>(req.at("params")),
                               sink, nullptr, &services);
      } else if (type == kPublish) {
        st = plugin->publish(json::value_to<std::string>(req.at("request")), sink, nullptr);
      } else {
        st = Error(std::string("unknown request '") + type + "'");
      }
      if (!channel.drain()) return 1;
      if (!send_status(fd, st)) return 1;
      // What the request's reading freed (a table's file buffers, its
      // splitter's) goes back to the system rather than waiting, resident,
      // for a next request that may never come while the run's checks go on.
      ::malloc_trim(0);
    } catch (const std::exception& e) {
      if (!channel.drain() || !send_frame(fd, kFail, std::string("worker: ") + e.what())) return 1;
    }
  }
  return 0;
}

// ---------------------------------------------------------------- parent side

std::vector<std::string> worker_environment(char** parent) {
  std::vector<std::string> env;
  bool tunables = false;
  for (char** e = parent; e && *e; ++e) {
    std::string var = *e;
    if (var.rfind("GLIBC_TUNABLES=", 0) == 0) {
      tunables = true;
      var = "GLIBC_TUNABLES=" + tunables_with_huge_pages(var.c_str() + 15);
    }
    env.push_back(std::move(var));
  }
  if (!tunables) env.push_back("GLIBC_TUNABLES=" + tunables_with_huge_pages(nullptr));
  env.push_back(std::string(kWorkerMarker) + "=1");
  return env;
}

namespace {

class Worker {
 public:
  ~Worker() { stop(true); }

  // A worker that sees `images` as descriptors kWorkerImageFd, +1, ...
  static Expected<std::unique_ptr<Worker>> spawn(const std::string& exe, size_t shared_batch_bytes,
                                                 const std::vector<const PluginImage*>& images) {
    // A worker never starts workers. One that tries is a program other than
    // `kinspect __plugin-worker` started as a worker (a test binary whose
    // worker_exe defaulted to itself), and going on would start it again and
    // again until the machine runs out of memory.
    if (std::getenv(kWorkerMarker))
      return Error("a plugin worker cannot start plugin workers: " + exe +
                   " did not run as `kinspect " + kWorkerCommand + "` (set IsolationOptions::worker_exe to the kinspect executable)");
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
      return Error(std::string("socketpair: ") + std::strerror(errno));
    // Without shared memory (none to be had, or turned off) batches take the socket.
    std::unique_ptr<SharedSlots> shared = SharedSlots::create(shared_batch_bytes);
    // Sources above every target, so no dup2 below overwrites a source
    // before it is copied.
    std::vector<int> sources{::fcntl(sv[1], F_DUPFD_CLOEXEC, kFirstSpareFd)};
    if (shared) sources.push_back(::fcntl(shared->fd(), F_DUPFD_CLOEXEC, kFirstSpareFd));
    for (const PluginImage* image : images) sources.push_back(::fcntl(image->fd(), F_DUPFD_CLOEXEC, kFirstSpareFd));
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    // dup2 onto the agreed descriptor clears close-on-exec for the child only.
    posix_spawn_file_actions_adddup2(&fa, sources[0], kWorkerFd);
    if (shared) posix_spawn_file_actions_adddup2(&fa, sources[1], kWorkerSharedFd);
    for (size_t i = 0; i < images.size(); ++i)
      posix_spawn_file_actions_adddup2(&fa, sources[(shared ? 2 : 1) + i], kWorkerImageFd + int(i));
    std::string arg0 = exe, arg1 = kWorkerCommand;
    char* argv[] = {arg0.data(), arg1.data(), nullptr};
    std::vector<std::string> env = worker_environment(environ);
    std::vector<char*> envp;
    for (std::string& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    pid_t pid = -1;
    int rc = ::posix_spawn(&pid, exe.c_str(), &fa, nullptr, argv, envp.data());
    posix_spawn_file_actions_destroy(&fa);
    for (int fd : sources) ::close(fd);
    ::close(sv[1]);
    if (rc != 0) {
      ::close(sv[0]);
      return Error("cannot start plugin worker " + exe + ": " + std::strerror(rc));
    }
    auto w = std::make_unique<Worker>();
    w->fd_ = sv[0];
    w->pid_ = pid;
    w->shared_ = std::move(shared);
    return w;
  }

  int fd() const { return fd_; }
  // The batch in shared slot `slot`, `len` bytes; empty if the worker named
  // a slot or a length it does not have.
  std::optional<std::string_view> shared_batch(unsigned slot, size_t len) {
    if (!shared_ || slot >= SharedSlots::kSlots || len > shared_->slot_bytes()) return std::nullopt;
    shared_->populate(int(slot), len, false);
    return std::string_view(shared_->slot(int(slot)), len);
  }
  size_t slot_bytes() const { return shared_ ? shared_->slot_bytes() : 0; }
  // After a request: the worker gave the slots' pages back (drain); they
  // are faulted in again here when the next batch comes.
  void release_slots() {
    if (shared_) shared_->release();
  }
  bool alive() const { return pid_ > 0; }

  // Ends the worker. kill: SIGKILL first (a hung or misbehaving worker).
  // Returns how it ended, for messages.
  std::string stop(bool kill) {
    std::string how;
    if (fd_ >= 0) ::close(fd_), fd_ = -1;
    if (pid_ > 0) {
      if (kill) ::kill(pid_, SIGKILL);
      int status = 0;
      while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
      how = describe_exit(status);
      pid_ = -1;
    }
    return how;
  }

  // After the connection broke: reap without killing and say what happened.
  std::string reap() {
    if (fd_ >= 0) ::close(fd_), fd_ = -1;
    if (pid_ <= 0) return "stopped";
    int status = 0;
    // It closed its end, so it is exiting or dead; don't wait forever.
    for (int i = 0; i < 200; ++i) {
      pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        pid_ = -1;
        return describe_exit(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return stop(true);
  }

 private:
  int fd_ = -1;
  pid_t pid_ = -1;
  std::unique_ptr<SharedSlots> shared_;
};

std::string worker_exe(const IsolationOptions& opts) {
  if (!opts.worker_exe.empty()) return opts.worker_exe;
  std::error_code ec;
  return std::filesystem::read_symlink("/proc/self/exe", ec).string();
}

// What a worker said about the plugin it loaded ('D').
struct Identity {
  std::string name, version, text, describe;
  uint16_t abi_major = 0, abi_minor = 0;
  uint32_t kinds = 0;

  static Identity from_frame(const std::string& payload) {
    json::value d = json::parse(payload);
    Identity id;
    id.name = json::value_to<std::string>(d.at("name"));
    id.version = json::value_to<std::string>(d.at("version"));
    id.text = json::value_to<std::string>(d.at("description"));
    id.describe = json::value_to<std::string>(d.at("describe"));
    id.abi_major = static_cast<uint16_t>(d.at("abi_major").to_number<int>());
    id.abi_minor = static_cast<uint16_t>(d.at("abi_minor").to_number<int>());
    id.kinds = static_cast<uint32_t>(d.at("kinds").to_number<int64_t>());
    return id;
  }
};

// Asks `worker` to load the image it sees as descriptor `fd` with `config`;
// the plugin's identity, or why it did not load.
Expected<Identity> load_in_worker(Worker& worker, int fd, const std::string& shown, const std::string& config,
                                  const CancelToken* cancel) {
  json::object req{{"path", PluginImage::fd_path(fd)}, {"shown", shown}, {"config", config}};
  if (!send_frame(worker.fd(), kLoad, json::serialize(req))) return Error("plugin worker " + worker.reap() + " before loading");
  char type;
  std::string payload;
  CancelToken load_deadline;
  load_deadline.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  ReadResult r = read_frame(worker.fd(), type, payload, cancel ? cancel : &load_deadline);
  if (r == ReadResult::TimedOut) return Error("plugin did not finish loading in time; " + worker.stop(true));
  if (r != ReadResult::Ok) return Error("plugin " + worker.reap() + " while loading");
  if (type == kFail) return Error(payload);
  if (type != kDescription) return Error("plugin worker sent an unexpected reply while loading");
  return Identity::from_frame(payload);
}

// Waits for a worker's answer to a request that has no batches, within the
// run's deadline or, outside a run, `bound`.
ReadResult await_reply(Worker& worker, char& type, std::string& payload, const CancelToken* cancel,
                       std::chrono::seconds bound) {
  CancelToken deadline;
  deadline.deadline = std::chrono::steady_clock::now() + bound;
  return read_frame(worker.fd(), type, payload, cancel ? cancel : &deadline);
}

// Asks `worker`'s plugin what it shares with its other instances (ABI 1.2):
// the text, nullopt for nothing, or why the worker could not answer. The
// plugin may do costly set-up now (a large kubeconfig, an exec plugin).
Expected<std::optional<std::string>> share_from_worker(Worker& worker, const CancelToken* cancel) {
  if (!send_frame(worker.fd(), kShare, "{}")) return Error("plugin worker " + worker.reap() + " before its set-up");
  char type;
  std::string payload;
  ReadResult r = await_reply(worker, type, payload, cancel, std::chrono::seconds(120));
  if (r == ReadResult::TimedOut) return Error("plugin did not finish its set-up in time; " + worker.stop(true));
  if (r != ReadResult::Ok) return Error("plugin " + worker.reap() + " during its set-up");
  boost::system::error_code ec;
  json::value reply = json::parse(payload, ec);
  if (type != kShare || ec || !reply.is_object()) return Error("plugin worker sent an unexpected reply to 'share'");
  const json::value* shared = reply.as_object().if_contains("shared");
  if (!shared || !shared->is_string()) return std::optional<std::string>();
  return std::optional<std::string>(std::string(shared->get_string()));
}

// Hands a new worker's plugin what the first one shared. A plugin that
// refuses it works from its settings alone (said at debug level); only a
// worker that broke is an error.
Status adopt_in_worker(Worker& worker, const std::string& shared, const CancelToken* cancel) {
  if (!send_frame(worker.fd(), kAdopt, json::serialize(json::object{{"shared", shared}})))
    return Error("plugin worker " + worker.reap() + " before its set-up");
  char type;
  std::string payload;
  ReadResult r = await_reply(worker, type, payload, cancel, std::chrono::seconds(60));
  if (r == ReadResult::TimedOut) return Error("plugin did not finish its set-up in time; " + worker.stop(true));
  if (r != ReadResult::Ok) return Error("plugin " + worker.reap() + " during its set-up");
  if (type == kFail) log::debug("plugin", payload);
  else if (type != kEnd) return Error("plugin worker sent an unexpected reply to 'adopt'");
  return {};
}

// The name the loader guesses from a file name before the plugin says its
// own (file kube_apiserver.so is plugin kube-apiserver).
std::string guessed_name(const std::string& path) {
  std::string stem = std::filesystem::path(path).stem().string();
  std::replace(stem.begin(), stem.end(), '_', '-');
  return stem;
}

class IsolatedPlugin final : public LoadedPlugin {
 public:
  IsolatedPlugin(std::shared_ptr<const PluginImage> image, std::string config, IsolationOptions opts)
      : image_(std::move(image)), config_(std::move(config)), opts_(std::move(opts)) {
    if (opts_.max_workers_per_plugin == 0) opts_.max_workers_per_plugin = std::max(1u, std::thread::hardware_concurrency());
  }

  // The worker that loaded this plugin alone, kept as the pool's first
  // worker: a run that reads one plugin (the node or network profile) then
  // starts one process for it instead of two. It joins the pool at the
  // first scan, where it is the first asked what to share.
  void keep_loader(std::unique_ptr<Worker> w) {
    std::lock_guard<std::mutex> lock(mutex_);
    loader_ = std::move(w);
  }

  // Takes the identity a loading worker reported; no worker runs yet.
  Status adopt(Identity id) {
    auto desc = parse_description(id.describe, id.name);
    if (!desc) return desc.error();
    description_ = std::move(desc.value());
    for (auto& t : description_.tables) t.plugin = id.name;
    for (auto& c : description_.checks) c.plugin = id.name;
    id_ = std::move(id);
    return {};
  }

  const std::string& path() const override { return image_->path(); }
  std::string_view name() const override { return id_.name; }
  std::string_view version() const override { return id_.version; }
  std::string_view description_text() const override { return id_.text; }
  uint16_t abi_major() const override { return id_.abi_major; }
  uint16_t abi_minor() const override { return id_.abi_minor; }
  uint32_t kinds() const override { return id_.kinds; }
  const PluginDescription& description() const override { return description_; }

  Status scan(const ScanSpec& spec, const BatchSink& sink, const CancelToken* cancel,
              HostServices* services) override {
    return request(kScan, json::serialize(spec_to_json(spec)), "table " + spec.table, sink, cancel, services);
  }
  Status run_check(const std::string& id, const std::string& params, const BatchSink& sink, const CancelToken* cancel,
                   HostServices* services) override {
    return request(kCheck, json::serialize(json::object{{"id", id}, {"params", params}}), "check " + id, sink, cancel,
                   services);
  }
  Status publish(const std::string& request_json, const BatchSink& sink, const CancelToken* cancel) override {
    return request(kPublish, json::serialize(json::object{{"request", request_json}}), "publish", sink, cancel,
                   nullptr);
  }

 private:
  // A new worker of the pool, loaded from the pinned image. Its describe()
  // must be the first one's: a worker serving another schema (a plugin that
  // describes itself differently from run to run) would answer for tables
  // the run bound against something else.
  Expected<std::unique_ptr<Worker>> spawn_loaded(const CancelToken* cancel) {
    auto w = Worker::spawn(worker_exe(opts_), opts_.shared_batch_bytes, {image_.get()});
    if (!w) return w.error();
    auto id = load_in_worker(*w.value(), kWorkerImageFd, image_->path(), config_, cancel);
    if (!id) return id.error();
    if (id->describe != id_.describe || id->name != id_.name || id->version != id_.version) {
      w.value()->stop(true);
      return Error("a new worker of the plugin described itself differently from the first one (" + id->name + " " +
                   id->version + " vs " + id_.name + " " + id_.version + "); it is refused");
    }
    if (Status st = start_from_shared(*w.value(), cancel); !st.ok()) return st.error();
    return w;
  }

  // The pool's first worker does the plugin's costly set-up (a kubeconfig
  // parsed, a connection resolved) and says what it learnt; every later
  // worker adopts that instead of redoing it, so the set-up happens once per
  // run whatever the number of workers. Later workers wait for the answer.
  Status start_from_shared(Worker& w, const CancelToken* cancel) {
    if (id_.abi_minor < 2) return {};
    std::unique_lock<std::mutex> lock(share_mutex_);
    while (sharing_ == Sharing::kAsking) {
      if (cancel && cancel->should_stop()) return Error("cancelled while the plugin's first worker was starting");
      share_cv_.wait_for(lock, std::chrono::milliseconds(50));
    }
    if (sharing_ == Sharing::kKnown) {
      std::optional<std::string> shared = shared_;
      lock.unlock();
      return shared ? adopt_in_worker(w, *shared, cancel) : Status();
    }
    sharing_ = Sharing::kAsking;
    lock.unlock();
    auto shared = share_from_worker(w, cancel);
    lock.lock();
    // A worker that broke while asked leaves the asking to the next one.
    sharing_ = shared ? Sharing::kKnown : Sharing::kNotAsked;
    if (shared) shared_ = std::move(shared.value());
    share_cv_.notify_all();
    return shared ? Status() : Status(shared.error());
  }

  Expected<std::unique_ptr<Worker>> acquire(const CancelToken* cancel) {
    std::unique_ptr<Worker> loader;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      while (idle_.empty() && busy_ >= opts_.max_workers_per_plugin) cv_.wait(lock);
      ++busy_;
      if (!idle_.empty()) {
        auto w = std::move(idle_.back());
        idle_.pop_back();
        return w;
      }
      loader = std::move(loader_);
    }
    Expected<std::unique_ptr<Worker>> w = loader && loader->alive() ? start_loader(std::move(loader), cancel)
                                                                    : spawn_loaded(cancel);
    if (!w) release(nullptr);
    return w;
  }

  Expected<std::unique_ptr<Worker>> start_loader(std::unique_ptr<Worker> loader, const CancelToken* cancel) {
    if (Status st = start_from_shared(*loader, cancel); !st.ok()) return st.error();
    return loader;
  }

  void release(std::unique_ptr<Worker> w) {
    std::lock_guard<std::mutex> lock(mutex_);
    --busy_;
    if (w && w->alive()) idle_.push_back(std::move(w));
    cv_.notify_one();
  }

  Status request(char type, const std::string& body, const std::string& what, const BatchSink& sink,
                 const CancelToken* cancel, HostServices* services) {
    const std::string prefix = "plugin '" + id_.name + "', " + what;
    auto acquired = acquire(cancel);
    if (!acquired) return Error(prefix + ": " + acquired.error().message());
    std::unique_ptr<Worker> w = std::move(acquired.value());
    if (!send_frame(w->fd(), type, body)) {
      std::string how = w->reap();
      release(nullptr);
      return Error(prefix + ": plugin worker " + how);
    }
    char t;
    std::string payload;
    Status result;
    bool healthy = true;
    while (true) {
      ReadResult r = read_frame(w->fd(), t, payload, cancel);
      if (r == ReadResult::TimedOut) {
        // A hung plugin is killed: nothing else can stop code in it.
        w->stop(true);
        healthy = false;
        bool flag = cancel && cancel->cancelled.load();
        result = Error(prefix + (flag ? ": cancelled" : ": timed out; the plugin worker was killed"));
        break;
      }
      if (r != ReadResult::Ok) {
        result = Error(prefix + ": plugin " + w->reap());
        healthy = false;
        break;
      }
      if (t == kBatch || t == kShared) {
        std::optional<std::string_view> batch = payload;
        if (t == kShared) {
          uint32_t len = 0;
          for (int i = 0; i < 4 && payload.size() == 5; ++i)
            len |= static_cast<uint32_t>(static_cast<unsigned char>(payload[size_t(1 + i)])) << (8 * i);
          batch = payload.size() == 5 ? w->shared_batch(static_cast<unsigned char>(payload[0]), len) : std::nullopt;
          if (!batch) {
            w->stop(true);
            healthy = false;
            result = Error(prefix + ": plugin worker broke the protocol (bad shared batch)");
            break;
          }
        }
        // A batch in a slot has the rest of the slot after it, and both
        // hold still while they are parsed: the worker writes a slot only
        // after its ack (not the other slot: it may be filling that one).
        BatchTail tail(*batch, t == kShared ? w->slot_bytes() - batch->size() : 0);
        Status st = sink(*batch);
        if (!st.ok()) {
          // The worker would keep sending; stopping it is the clean way out.
          w->stop(true);
          healthy = false;
          result = st;
          break;
        }
        // The slot is the worker's again.
        if (t == kShared && !send_frame(w->fd(), kAck, payload.substr(0, 1))) {
          result = Error(prefix + ": plugin " + w->reap());
          healthy = false;
          break;
        }
      } else if (t == kEnd) {
        break;
      } else if (t == kFail) {
        // The worker's own plugin layer already named the plugin and table.
        result = Error(payload.rfind(prefix, 0) == 0 ? payload : prefix + ": " + payload);
        break;
      } else if (t == kUnavailable) {
        result = unavailable_from_frame(payload);
        break;
      } else if (t == kTable) {
        // A native check reads a table: serve it from the parent's registry.
        ScanSpec spec = spec_from_json(json::parse(payload));
        bool ok = true;
        Status st = services ? services->scan_table(spec, [&](std::string_view b) {
          ok = ok && send_frame(w->fd(), kBatch, b);
          return Status::Ok();
        }, cancel) : Status(Error("tables cannot be read here"));
        ok = ok && send_status(w->fd(), st);
        if (!ok) {
          result = Error(prefix + ": plugin " + w->reap());
          healthy = false;
          break;
        }
      } else {
        w->stop(true);
        healthy = false;
        result = Error(prefix + ": plugin worker broke the protocol");
        break;
      }
    }
    if (healthy) w->release_slots();
    release(healthy ? std::move(w) : nullptr);
    return result;
  }

  std::shared_ptr<const PluginImage> image_;
  std::string config_;
  IsolationOptions opts_;
  Identity id_;
  PluginDescription description_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Worker>> idle_;
  std::unique_ptr<Worker> loader_;  // see keep_loader()
  unsigned busy_ = 0;
  // What the plugin's workers share (ABI 1.2). It may hold credentials: it
  // stays in this process's memory, never logged.
  enum class Sharing { kNotAsked, kAsking, kKnown };
  std::mutex share_mutex_;
  std::condition_variable share_cv_;
  Sharing sharing_ = Sharing::kNotAsked;
  std::optional<std::string> shared_;
};

using LoadResult = Expected<std::unique_ptr<LoadedPlugin>>;

// Loads images[from..] one after another in one worker, filling `out`,
// until one ends the worker (a load that fails ends it on purpose: the
// process may hold half of a library). Returns the index to go on from.
size_t load_some(const std::vector<std::shared_ptr<const PluginImage>>& images, size_t from,
                 const ConfigLookup& config, const IsolationOptions& options, std::vector<LoadResult>& out) {
  const size_t count = std::min(images.size() - from, kMaxImagesPerWorker);
  std::vector<const PluginImage*> mine;
  for (size_t i = from; i < from + count; ++i) mine.push_back(images[i].get());
  // A worker that loads one plugin alone is set up as that plugin's pool
  // workers are (shared batch slots, its image at the first descriptor), so
  // it can stay on as the pool's first worker (keep_loading_worker).
  const bool alone = images.size() == 1 && options.keep_loading_worker;
  auto w = Worker::spawn(worker_exe(options), alone ? options.shared_batch_bytes : 0, mine);
  if (!w) {
    out[from] = w.error();
    return from + 1;
  }
  Worker& worker = *w.value();
  for (size_t i = 0; i < count; ++i) {
    const PluginImage& image = *images[from + i];
    const int fd = kWorkerImageFd + int(i);
    // The settings depend on the plugin's name, which only the plugin knows:
    // load with the file name's guess, and again if the real name's differ.
    std::string settings = config(guessed_name(image.path()));
    auto id = load_in_worker(worker, fd, image.path(), settings, nullptr);
    if (id && config(id->name) != settings) {
      settings = config(id->name);
      id = load_in_worker(worker, fd, image.path(), settings, nullptr);
    }
    if (!id) {
      out[from + i] = id.error();
      return from + i + 1;
    }
    IsolationOptions pool = options;
    if (auto it = options.max_workers_for.find(id->name); it != options.max_workers_for.end())
      pool.max_workers_per_plugin = it->second;
    auto p = std::make_unique<IsolatedPlugin>(images[from + i], settings, pool);
    Status st = p->adopt(std::move(id.value()));
    if (st.ok() && alone) p->keep_loader(std::move(w.value()));
    if (st.ok()) out[from + i] = std::unique_ptr<LoadedPlugin>(std::move(p));
    else out[from + i] = st.error();
  }
  return from + count;
}

}  // namespace

std::vector<LoadResult> load_isolated(const std::vector<std::shared_ptr<const PluginImage>>& images,
                                      const ConfigLookup& config, const IsolationOptions& options) {
  std::vector<LoadResult> out;
  for (size_t i = 0; i < images.size(); ++i) out.emplace_back(Error("not loaded"));
  for (size_t next = 0; next < images.size();) next = load_some(images, next, config, options, out);
  return out;
}

}  // namespace kinspect
