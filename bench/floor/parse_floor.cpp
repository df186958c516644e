// kinspect-parse-floor FILE...: parses each file with Boost.JSON's SAX parser
// and a handler that keeps nothing, and prints the bytes and values seen.
// bench/run compares kinspect against this: no JSON reader can do less.
#include <boost/json/basic_parser_impl.hpp>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

namespace {

struct Counting {
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);
  unsigned long long values = 0;
  using ec = boost::json::error_code;
  bool on_document_begin(ec&) { return true; }
  bool on_document_end(ec&) { return true; }
  bool on_object_begin(ec&) { return true; }
  bool on_object_end(std::size_t, ec&) { return ++values, true; }
  bool on_array_begin(ec&) { return true; }
  bool on_array_end(std::size_t, ec&) { return ++values, true; }
  bool on_key_part(boost::json::string_view, std::size_t, ec&) { return true; }
  bool on_key(boost::json::string_view, std::size_t, ec&) { return true; }
  bool on_string_part(boost::json::string_view, std::size_t, ec&) { return true; }
  bool on_string(boost::json::string_view, std::size_t, ec&) { return ++values, true; }
  bool on_number_part(boost::json::string_view, ec&) { return true; }
  bool on_int64(std::int64_t, boost::json::string_view, ec&) { return ++values, true; }
  bool on_uint64(std::uint64_t, boost::json::string_view, ec&) { return ++values, true; }
  bool on_double(double, boost::json::string_view, ec&) { return ++values, true; }
  bool on_bool(bool, ec&) { return ++values, true; }
  bool on_null(ec&) { return ++values, true; }
  bool on_comment_part(boost::json::string_view, ec&) { return true; }
  bool on_comment(boost::json::string_view, ec&) { return true; }
};

}  // namespace

int main(int argc, char** argv) {
  unsigned long long bytes = 0, values = 0;
  boost::json::parse_options opts;
  opts.max_depth = 1024;
  for (int i = 1; i < argc; ++i) {
    int fd = open(argv[i], O_RDONLY);
    struct stat st {};
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      std::fprintf(stderr, "%s: cannot open as a file (give the snapshot's .json files, not its folder)\n", argv[i]);
      return 2;
    }
    if (st.st_size == 0) {
      close(fd);
      continue;
    }
    void* p = mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (p == MAP_FAILED) {
      std::fprintf(stderr, "%s: cannot map\n", argv[i]);
      return 2;
    }
    boost::json::basic_parser<Counting> parser(opts);
    boost::json::error_code ec;
    parser.write_some(false, static_cast<const char*>(p), static_cast<size_t>(st.st_size), ec);
    munmap(p, static_cast<size_t>(st.st_size));
    if (ec) {
      std::fprintf(stderr, "%s: %s\n", argv[i], ec.message().c_str());
      return 1;
    }
    bytes += static_cast<unsigned long long>(st.st_size);
    values += parser.handler().values;
  }
  std::printf("%llu bytes, %llu values\n", bytes, values);
  return 0;
}
