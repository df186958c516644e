#include "splitter.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
// AVX2 and AVX-512BW scans are built into functions of their own, chosen
// at run time; the rest of the file keeps the baseline instruction set.
#define KAPI_WIDE_BLOCK_SCANS 1
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace kapi {

namespace {
constexpr uint8_t kObj = 1, kKey = 2;

// Captured keys and values are compared with string_view literals: lengths
// first, so most of the millions of keys a List holds are told apart
// without a strlen or memcmp (std::string == const char* does both).
using namespace std::string_view_literals;

// The first '"' or '\\' in [p, end), or end. With SSE2 (every x86-64) it
// compares 16 bytes at once; most Kubernetes strings end within one block.
const char* quote_or_backslash(const char* p, const char* end) {
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
  while (end - p >= 16) {
    __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    int hits = _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(block, quote), _mm_cmpeq_epi8(block, backslash)));
    if (hits) return p + __builtin_ctz(static_cast<unsigned>(hits));
    p += 16;
  }
#endif
  while (p < end && *p != '"' && *p != '\\') ++p;
  return p;
}

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

// One block of 64 bytes, a bit per byte (bit k for byte k).
struct Block {
  uint64_t quote = 0, backslash = 0;
  uint64_t bracket = 0;     // { } [ ]
  uint64_t structural = 0;  // { } [ ] : ,
  uint64_t low = 0;         // bytes up to 0x20: whitespace, or a control byte
};

// The bytes that a backslash escapes: a run of backslashes escapes the byte
// after it when the run is odd ("\\\\" is one escaped backslash, "\\\\\"" a
// quote). `carry` is 1 when the previous block's last run escapes this
// block's first byte, and becomes the same for the next block; `len` is how
// many of the 64 bytes are real.
uint64_t escaped_bytes(uint64_t backslash, uint64_t& carry, size_t len) {
  // Most blocks have no backslash: nothing is escaped and nothing carries.
  if ((backslash | carry) == 0) return 0;
  constexpr uint64_t kEven = 0x5555555555555555ull;
  backslash &= ~carry;  // an escaped backslash escapes nothing
  const uint64_t starts = backslash & ~(backslash << 1);
  // Adding a run's first bit to the run carries to the byte after it.
  const uint64_t after_even_runs = (backslash + (starts & kEven)) & ~backslash;
  uint64_t sum = 0;
  const bool odd_run_at_end = __builtin_add_overflow(backslash, starts & ~kEven, &sum);
  const uint64_t after_odd_runs = sum & ~backslash;
  // A run is odd when it starts and ends on bytes of different parity.
  const uint64_t escaped = (after_even_runs & ~kEven) | (after_odd_runs & kEven) | carry;
  carry = len == 64 ? uint64_t{odd_run_at_end} : (escaped >> len) & 1;
  return escaped;
}

// The block scans of BlockScan. Each gives the same Block for the same 64
// bytes, and prefix_xor: bit k set when an odd number of bits 0..k are (from
// each quote up to the next, the bytes of a string with its opening quote).
struct GenericBlocks {
  static Block classify(const char* p) {
    Block b;
#if defined(__SSE2__)
    for (int k = 0; k < 4; ++k) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * k));
      auto bits = [k](__m128i m) {
        return static_cast<uint64_t>(static_cast<uint16_t>(_mm_movemask_epi8(m))) << (16 * k);
      };
      // Setting bit 5 folds '[' onto '{' and ']' onto '}'.
      const __m128i folded = _mm_or_si128(v, _mm_set1_epi8(0x20));
      const __m128i bracket = _mm_or_si128(_mm_cmpeq_epi8(folded, _mm_set1_epi8('{')),
                                           _mm_cmpeq_epi8(folded, _mm_set1_epi8('}')));
      const __m128i separator =
          _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(':')), _mm_cmpeq_epi8(v, _mm_set1_epi8(',')));
      b.quote |= bits(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')));
      b.backslash |= bits(_mm_cmpeq_epi8(v, _mm_set1_epi8('\\')));
      b.bracket |= bits(bracket);
      b.structural |= bits(_mm_or_si128(bracket, separator));
      b.low |= bits(_mm_cmpeq_epi8(_mm_max_epu8(v, _mm_set1_epi8(' ')), _mm_set1_epi8(' ')));
    }
#else
    for (int k = 0; k < 64; ++k) {
      const uint64_t bit = uint64_t{1} << k;
      const unsigned char c = static_cast<unsigned char>(p[k]);
      if (c == '"') b.quote |= bit;
      if (c == '\\') b.backslash |= bit;
      if ((c | 0x20) == '{' || (c | 0x20) == '}') b.bracket |= bit;
      if ((c | 0x20) == '{' || (c | 0x20) == '}' || c == ':' || c == ',') b.structural |= bit;
      if (c <= 0x20) b.low |= bit;
    }
#endif
    return b;
  }
  static uint64_t prefix_xor(uint64_t x) {
    // Written out: shifts by constants, which a loop (not unrolled at -O2) did not get.
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    return x;
  }
};

#if defined(KAPI_WIDE_BLOCK_SCANS)
// A carry-less multiplication by all ones is the prefix xor in one instruction.
[[gnu::target("pclmul")]] inline uint64_t clmul_prefix_xor(uint64_t x) {
  const __m128i product = _mm_clmulepi64_si128(_mm_set_epi64x(0, static_cast<long long>(x)), _mm_set1_epi8(-1), 0);
  return static_cast<uint64_t>(_mm_cvtsi128_si64(product));
}

struct Avx2Blocks {
  [[gnu::target("avx2,pclmul")]] static Block classify(const char* p) {
    Block b;
    for (int k = 0; k < 2; ++k) {
      const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32 * k));
      const __m256i folded = _mm256_or_si256(v, _mm256_set1_epi8(0x20));
      const __m256i bracket = _mm256_or_si256(_mm256_cmpeq_epi8(folded, _mm256_set1_epi8('{')),
                                              _mm256_cmpeq_epi8(folded, _mm256_set1_epi8('}')));
      const __m256i separator =
          _mm256_or_si256(_mm256_cmpeq_epi8(v, _mm256_set1_epi8(':')), _mm256_cmpeq_epi8(v, _mm256_set1_epi8(',')));
      const __m256i low = _mm256_cmpeq_epi8(_mm256_max_epu8(v, _mm256_set1_epi8(' ')), _mm256_set1_epi8(' '));
      // (No lambda for the masks: a lambda would not inherit this function's target.)
      const int shift = 32 * k;
      b.quote |= uint64_t(uint32_t(_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, _mm256_set1_epi8('"'))))) << shift;
      b.backslash |= uint64_t(uint32_t(_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, _mm256_set1_epi8('\\'))))) << shift;
      b.bracket |= uint64_t(uint32_t(_mm256_movemask_epi8(bracket))) << shift;
      b.structural |= uint64_t(uint32_t(_mm256_movemask_epi8(_mm256_or_si256(bracket, separator)))) << shift;
      b.low |= uint64_t(uint32_t(_mm256_movemask_epi8(low))) << shift;
    }
    return b;
  }
  [[gnu::target("avx2,pclmul")]] static uint64_t prefix_xor(uint64_t x) { return clmul_prefix_xor(x); }
};

struct Avx512Blocks {
  [[gnu::target("avx512bw,pclmul")]] static Block classify(const char* p) {
    Block b;
    const __m512i v = _mm512_loadu_si512(p);
    const __m512i folded = _mm512_or_si512(v, _mm512_set1_epi8(0x20));
    b.quote = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('"'));
    b.backslash = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\\'));
    b.bracket = _mm512_cmpeq_epi8_mask(folded, _mm512_set1_epi8('{')) | _mm512_cmpeq_epi8_mask(folded, _mm512_set1_epi8('}'));
    b.structural = b.bracket | _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(':')) | _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(','));
    b.low = _mm512_cmple_epu8_mask(v, _mm512_set1_epi8(' '));
    return b;
  }
  [[gnu::target("avx512bw,pclmul")]] static uint64_t prefix_xor(uint64_t x) { return clmul_prefix_xor(x); }
};
#endif

bool cpu_runs(BlockScan scan) {
#if defined(KAPI_WIDE_BLOCK_SCANS)
  __builtin_cpu_init();  // idempotent; needed if a splitter is ever made before libgcc's constructor ran
#endif
  switch (scan) {
    case BlockScan::Generic:
      return true;
#if defined(KAPI_WIDE_BLOCK_SCANS)
    case BlockScan::Avx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("pclmul");
    case BlockScan::Avx512:
      return __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("pclmul");
#endif
    default:
      return false;
  }
}

int highest_bit(uint64_t x) { return 63 - __builtin_clzll(x); }
}  // namespace

void ListSplitter::fail(const char* what) const {
  throw std::runtime_error(std::string(what) + " in " + name_ + " at byte " + std::to_string(total_));
}

// Past a limit the document is refused; the limit is named so that a user
// with a real reason can raise it.
void ListSplitter::check_held() {
  size_t held_object = std::max({item_.buf.size(), root_.buf.size(), meta_.buf.size(), str_.size()});
  if (held_object > limits_.max_object_bytes) {
    total_ = offset_;
    throw std::runtime_error("an object larger than " + std::to_string(limits_.max_object_bytes >> 20) +
                             " MiB (the kube-apiserver driver's limit per object) in " + name_ + " before byte " +
                             std::to_string(total_) + ": refusing it");
  }
}

size_t ListSplitter::skip_whitespace(const char* p, size_t i, size_t n) {
  size_t j = i;
  while (j < n && (p[j] == ' ' || p[j] == '\n' || p[j] == '\r' || p[j] == '\t')) ++j;
  ws_run_ += j - i;
  if (ws_run_ > limits_.max_whitespace_run) {
    total_ = offset_ + j;
    fail(("more than " + std::to_string(limits_.max_whitespace_run >> 20) +
          " MiB of whitespace in a row (the kube-apiserver driver's limit)").c_str());
  }
  return j;
}

// Below an item's members (and below its metadata's members) the byte loop
// reads nothing but the nesting, yet that is most of a List's bytes:
// scan_nested reads it 64 bytes at a time, with a bit per byte for quotes,
// backslashes and brackets, and visits only the brackets outside strings.
bool ListSplitter::nested_scan_applies() const {
  return in_items_ && item_.active && stack_.size() > (in_metadata_ ? 4u : 3u);
}

// Reads from p[i] (outside a string) up to the bracket that closes the level
// the byte loop reads again, or to the end of the chunk; returns where it
// stopped. Keys are not told from values on the way (no bit 1 in stack_):
// only a string left open at the end of the chunk asks, and the last
// structural character before it answers.
template <class Blocks>
[[gnu::always_inline]] inline size_t ListSplitter::scan_nested_with(const char* p, size_t i, size_t n) {
  const size_t read_again = in_metadata_ ? 4 : 3;
  size_t entry = i;            // whitespace before here is counted in entry_ws
  uint64_t entry_ws = ws_run_;
  uint64_t escape_carry = 0, in_string_carry = 0;
  size_t open_quote = npos;
  size_t last_structural_at = npos;  // in p; last_structural_ is set from it on the way out
  char tail[64];
  // The whitespace run that ends at `at`, as the byte loop would count it.
  auto whitespace_before = [&](size_t at) {
    size_t j = at;
    while (j > entry && is_space(p[j - 1])) --j;
    return (at - j) + (j == entry ? entry_ws : 0);
  };
  while (i < n) {
    const size_t len = std::min<size_t>(64, n - i);
    const char* block = p + i;
    if (len < 64) {
      std::memset(tail, ' ', sizeof tail);
      std::memcpy(tail, block, len);
      block = tail;
    }
    const Block b = Blocks::classify(block);
    const uint64_t real = len == 64 ? ~uint64_t{0} : (uint64_t{1} << len) - 1;
    if (!in_string_carry && (b.low | ~real) == ~uint64_t{0}) {
      // Only whitespace (or a control byte): counted and bounded as the
      // byte loop does.
      ws_run_ = whitespace_before(i);
      size_t j = skip_whitespace(p, i, n);
      if (j == i) {
        ws_run_ = 0;
        ++j;
      }
      i = entry = j;
      entry_ws = ws_run_;
      escape_carry = 0;
      continue;
    }
    const uint64_t quotes = b.quote & real & ~escaped_bytes(b.backslash & real, escape_carry, len);
    const uint64_t in_string = Blocks::prefix_xor(quotes) ^ (0 - in_string_carry);
    const uint64_t outside = ~in_string & real;
    if (const uint64_t s = b.structural & outside) last_structural_at = i + highest_bit(s);
    for (uint64_t e = b.bracket & outside; e; e &= e - 1) {
      const int k = __builtin_ctzll(e);
      const char c = block[k];
      if (c == '{' || c == '[') {
        stack_.push_back(c == '{' ? kObj : 0);
        continue;
      }
      if (((stack_.back() & kObj) != 0) != (c == '}')) {
        total_ = offset_ + i + k;
        fail("malformed JSON (mismatched bracket)");
      }
      stack_.pop_back();
      if (stack_.size() == read_again) {
        last_structural_ = c;
        ws_run_ = 0;
        return i + k + 1;
      }
    }
    if (const uint64_t opening = quotes & in_string) open_quote = i + highest_bit(opening);
    in_string_carry = (in_string >> (len - 1)) & 1;
    i += len;
  }
  if (last_structural_at != npos) last_structural_ = p[last_structural_at];
  if (in_string_carry) {
    end_nested_scan_in_string(open_quote, escape_carry != 0);
  } else {
    ws_run_ = whitespace_before(n);
  }
  return n;
}

size_t ListSplitter::scan_nested(const char* p, size_t i, size_t n) {
  switch (scan_) {
    case BlockScan::Avx512:
      return scan_nested_avx512(p, i, n);
    case BlockScan::Avx2:
      return scan_nested_avx2(p, i, n);
    default:
      return scan_nested_with<GenericBlocks>(p, i, n);
  }
}

// The loop is inlined into a function per instruction set, whose target
// lets the wide classify be inlined in turn: one loop, built three ways.
#if defined(KAPI_WIDE_BLOCK_SCANS)
[[gnu::target("avx2,pclmul")]] size_t ListSplitter::scan_nested_avx2(const char* p, size_t i, size_t n) {
  return scan_nested_with<Avx2Blocks>(p, i, n);
}
[[gnu::target("avx512bw,pclmul")]] size_t ListSplitter::scan_nested_avx512(const char* p, size_t i, size_t n) {
  return scan_nested_with<Avx512Blocks>(p, i, n);
}
#else
size_t ListSplitter::scan_nested_avx2(const char* p, size_t i, size_t n) { return scan_nested_with<GenericBlocks>(p, i, n); }
size_t ListSplitter::scan_nested_avx512(const char* p, size_t i, size_t n) { return scan_nested_with<GenericBlocks>(p, i, n); }
#endif

BlockScan ListSplitter::best_block_scan() {
  static const BlockScan best = cpu_runs(BlockScan::Avx512) ? BlockScan::Avx512
                                : cpu_runs(BlockScan::Avx2) ? BlockScan::Avx2
                                                            : BlockScan::Generic;
  return best;
}

bool ListSplitter::use_block_scan(BlockScan scan) {
  if (!cpu_runs(scan)) return false;
  scan_ = scan;
  return true;
}

// The chunk ended inside a string that scan_nested read: the state the byte
// loop would have at this point.
void ListSplitter::end_nested_scan_in_string(size_t open_quote, bool escaped) {
  in_str_ = true;
  esc_ = escaped;
  str_capture_ = false;
  str_is_key_ = (stack_.back() & kObj) && (last_structural_ == '{' || last_structural_ == ',');
  ws_run_ = 0;
  if (!str_is_key_) {
    value_quote_pos_ = item_pos(open_quote);
    value_quote_at_ = offset_ + open_quote;
  }
}

void ListSplitter::end_string(const char* p, size_t i) {
  // The string just ended at p[i] (the closing quote).
  str_.append(p + str_start_, i - str_start_);
  size_t depth = stack_.size();
  if (depth == 4) {
    if (str_is_key_) {
      meta_key_ = str_;
      if (!meta_members_.empty()) {
        meta_members_.back().read = metadata_member_read(str_);
        meta_members_.back().managed_fields = str_ == "managedFields"sv;
      }
    }
    else if (meta_key_ == "uid"sv) item_uid_ = str_;
    return;
  }
  if (str_is_key_) {
    if (depth == 1) root_key_ = str_;
    else {
      item_key_ = str_;
      in_metadata_ = item_key_ == "metadata"sv;
      if (!members_.empty()) members_.back().key = str_;
      if (str_ == "kind"sv) item_has_kind_ = true;
      else if (str_ == "apiVersion"sv) item_has_api_ = true;
    }
  } else if (depth == 1) {
    if (root_key_ == "kind"sv) root_kind_ = str_;
    else if (root_key_ == "apiVersion"sv) root_api_ = str_;
  } else {
    if (item_key_ == "kind"sv) item_kind_ = str_;
    else if (item_key_ == "apiVersion"sv) item_api_ = str_;
  }
}

void ListSplitter::emit_item(std::string_view json, const Sink& sink) {
  SplitItem it;
  it.json = json;
  it.has_kind = item_has_kind_;
  it.has_api_version = item_has_api_;
  it.kind = item_kind_;
  it.api_version = item_api_;
  it.uid = item_uid_;
  it.list_kind = root_kind_;
  it.list_api_version = root_api_;
  bool ok = !members_.empty();
  for (const auto& m : members_) ok = ok && m.end != npos && m.end <= json.size();
  if (ok) it.members = &members_;
  if (!meta_twice_ && meta_open_ != npos && meta_close_ != npos && meta_close_ < json.size()) {
    bool whole = true;
    for (const auto& m : meta_members_) whole = whole && m.start > meta_open_ && m.end <= meta_close_;
    if (whole) {
      it.metadata = &meta_members_;
      it.metadata_open = meta_open_;
      it.metadata_close = meta_close_;
    }
  }
  ++items_;
  sink(it);
  // Keep memory bounded: do not keep a huge buffer after one huge item.
  if (item_.buf.capacity() > (8u << 20)) std::string().swap(item_.buf);
  else item_.buf.clear();
}

void ListSplitter::end_root(const Sink& sink) {
  if (!saw_items_ && !root_.buf.empty()) {
    // A single object: it is its own item.
    SplitItem it;
    it.json = root_.buf;
    it.has_kind = !root_kind_.empty();
    it.kind = root_kind_;
    it.has_api_version = !root_api_.empty();
    it.api_version = root_api_;
    ++items_;
    sink(it);
  }
  std::string().swap(root_.buf);
}

void ListSplitter::feed(const char* p, size_t n, const Sink& sink) {
  offset_ = total_;
  item_.start = meta_.start = root_.start = 0;
  size_t i = 0;
  // A UTF-8 byte order mark at the very start (some editors write one).
  if (total_ == 0 && n >= 3 && static_cast<unsigned char>(p[0]) == 0xEF && static_cast<unsigned char>(p[1]) == 0xBB &&
      static_cast<unsigned char>(p[2]) == 0xBF)
    i = 3;
  while (i < n) {
    if (in_str_) {
      if (esc_) {
        esc_ = false;
        ++i;
        continue;
      }
      // Strings are most of a List's bytes: find the next quote or backslash
      // 16 bytes at a time.
      const char* q = quote_or_backslash(p + i, p + n);
      i = static_cast<size_t>(q - p);
      if (i >= n) break;
      if (*q == '\\') {
        esc_ = true;
        ++i;
        continue;
      }
      in_str_ = false;
      if (str_capture_) end_string(p, i);
      if (skipping_) {
        // The skipped string ends here: null stands for it in the item.
        item_.buf.append("null");
        item_.start = i + 1;
        skipping_ = false;
      }
      ++i;
      continue;
    }
    if (nested_scan_applies()) {
      i = scan_nested(p, i, n);
      continue;
    }
    char c = p[i];
    if (is_space(c)) {
      i = skip_whitespace(p, i, n);
      continue;
    }
    ws_run_ = 0;
    if (c == '{' || c == '}' || c == '[' || c == ']' || c == ':' || c == ',') last_structural_ = c;
    switch (c) {
      case '"': {
        if (stack_.empty()) { total_ = offset_ + i; fail("malformed JSON"); }
        in_str_ = true;
        uint8_t& top = stack_.back();
        str_is_key_ = (top & kObj) && (top & kKey);
        size_t depth = stack_.size();
        str_capture_ = depth == 1 || (in_items_ && depth == 3) || (in_items_ && depth == 4 && in_metadata_);
        if (str_capture_) {
          str_.clear();
          str_start_ = i + 1;
        } else if (!str_is_key_ && item_.active) {
          value_quote_pos_ = item_pos(i);
          value_quote_at_ = offset_ + i;
        }
        if (str_is_key_ && in_items_ && item_.active) {
          if (depth == 3) {
            members_.push_back(SplitMember{std::string(), item_pos(i), npos});
          } else if (depth == 4 && in_metadata_) {
            meta_members_.push_back(MetadataMember{item_pos(i), npos});
          }
        }
        break;
      }
      case '{':
      case '[': {
        size_t depth = stack_.size();
        if (depth == 0) {
          // A new top-level document.
          if (c != '{') { total_ = offset_ + i; fail("malformed JSON (expected an object)"); }
          saw_items_ = false;
          in_items_ = false;
          root_kind_.clear();
          root_api_.clear();
          root_key_.clear();
          meta_.buf.clear();
          root_.active = true;
          root_.buf.clear();
          root_.start = i;
        } else if (depth == 1 && c == '[' && root_key_ == "items"sv) {
          in_items_ = true;
          saw_items_ = true;
          if (root_.active) {
            root_.active = false;
            std::string().swap(root_.buf);
          }
        } else if (depth == 1 && c == '{' && root_key_ == "metadata"sv) {
          meta_.active = true;
          meta_.buf.clear();
          meta_.start = i;
        } else if (depth == 2 && in_items_ && c == '{') {
          item_.active = true;
          item_.buf.clear();
          item_.start = i;
          item_has_kind_ = item_has_api_ = false;
          item_kind_.clear();
          item_api_.clear();
          item_key_.clear();
          in_metadata_ = false;
          item_uid_.clear();
          meta_key_.clear();
          members_.clear();
          meta_members_.clear();
          meta_open_ = meta_close_ = npos;
          meta_twice_ = false;
        } else if (depth == 3 && in_metadata_ && item_.active && c == '{') {
          meta_twice_ = meta_twice_ || meta_open_ != npos;
          meta_open_ = item_pos(i);
        }
        stack_.push_back(c == '{' ? (kObj | kKey) : 0);
        break;
      }
      case '}':
      case ']': {
        if (stack_.empty() || ((stack_.back() & kObj) != 0) != (c == '}')) {
          total_ = offset_ + i;
          fail("malformed JSON (mismatched bracket)");
        }
        if (in_items_ && item_.active) {
          if (stack_.size() == 3 && !members_.empty() && members_.back().end == npos) members_.back().end = item_pos(i);
          else if (stack_.size() == 4 && in_metadata_ && c == '}') {
            if (!meta_members_.empty() && meta_members_.back().end == npos) meta_members_.back().end = item_pos(i);
            meta_close_ = item_pos(i);
          }
        }
        stack_.pop_back();
        size_t depth = stack_.size();
        if (depth == 2 && item_.active) {
          item_.active = false;
          if (item_.buf.empty()) {
            // The whole item is in this chunk (most are): it is passed in place.
            emit_item(std::string_view(p + item_.start, i + 1 - item_.start), sink);
          } else {
            item_.buf.append(p + item_.start, i + 1 - item_.start);
            emit_item(item_.buf, sink);
          }
        } else if (depth == 1 && meta_.active) {
          meta_.buf.append(p + meta_.start, i + 1 - meta_.start);
          meta_.active = false;
        } else if (depth == 1 && in_items_ && c == ']') {
          in_items_ = false;
        } else if (depth == 0) {
          if (root_.active) {
            root_.buf.append(p + root_.start, i + 1 - root_.start);
            root_.active = false;
          }
          end_root(sink);
        }
        break;
      }
      case ':':
        if (!stack_.empty()) stack_.back() &= static_cast<uint8_t>(~kKey);
        break;
      case ',':
        if (!stack_.empty() && (stack_.back() & kObj)) stack_.back() |= kKey;
        if (in_items_ && item_.active) {
          if (stack_.size() == 3 && !members_.empty() && members_.back().end == npos) {
            members_.back().end = item_pos(i);
          } else if (stack_.size() == 4 && in_metadata_) {
            if (!meta_members_.empty() && meta_members_.back().end == npos) meta_members_.back().end = item_pos(i);
          }
        }
        break;
      default:
        if (stack_.empty()) {
          total_ = offset_ + i;
          fail("malformed JSON (expected an object)");
        }
        break;
    }
    ++i;
  }
  // Carry the open captures over to the next chunk.
  if (in_str_ && str_capture_) {
    str_.append(p + str_start_, n - str_start_);
    str_start_ = 0;
  }
  for (Capture* c : {&item_, &meta_, &root_})
    if (c->active && !(c == &item_ && skipping_)) c->buf.append(p + c->start, n - c->start);
  total_ = offset_ + n;
  maybe_skip_string();
  check_held();
}

namespace {

// The keys leading to the end of `prefix`, a JSON object cut anywhere
// outside a string (array levels add no key). Run once per long string.
std::vector<std::string> keys_at_end(std::string_view prefix) {
  struct Frame {
    bool object;
    std::string key;
  };
  std::vector<Frame> stack;
  std::string last;
  bool expect_key = false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    char c = prefix[i];
    if (c == '"') {
      size_t end = i + 1;
      while (end < prefix.size() && prefix[end] != '"') end += prefix[end] == '\\' ? 2 : 1;
      if (expect_key) last.assign(prefix.substr(i + 1, end - i - 1));
      i = end;
    } else if (c == '{' || c == '[') {
      if (!stack.empty() && stack.back().object) stack.back().key = last;
      stack.push_back({c == '{', {}});
      expect_key = c == '{';
    } else if (c == '}' || c == ']') {
      if (!stack.empty()) stack.pop_back();
      expect_key = false;
    } else if (c == ',') {
      expect_key = !stack.empty() && stack.back().object;
    } else if (c == ':') {
      expect_key = false;
      if (!stack.empty()) stack.back().key = last;
    }
  }
  std::vector<std::string> keys;
  for (const auto& f : stack)
    if (f.object) keys.push_back(f.key);
  return keys;
}

}  // namespace

void ListSplitter::skip_unread_strings(std::vector<std::string> read_paths) {
  read_paths_ = std::move(read_paths);
  metadata_read_.clear();
  metadata_read_whole_ = read_paths_.empty();
  for (const auto& rp : read_paths_) {
    std::string_view p = rp;
    if (!p.starts_with("metadata")) continue;
    p.remove_prefix(8);
    if (p.empty() || p[0] != '.') {
      metadata_read_whole_ = metadata_read_whole_ || p.empty() || p[0] == '[';
      continue;
    }
    // The member's name: up to the next unescaped '.' or an index ("a\.b" is "a.b").
    std::string key;
    for (size_t i = 1; i < p.size() && p[i] != '.' && p[i] != '['; ++i) key += p[i] == '\\' && i + 1 < p.size() ? p[++i] : p[i];
    if (std::find(metadata_read_.begin(), metadata_read_.end(), key) == metadata_read_.end()) metadata_read_.push_back(key);
  }
}

bool ListSplitter::metadata_member_read(std::string_view key) const {
  return metadata_read_whole_ || std::find(metadata_read_.begin(), metadata_read_.end(), key) != metadata_read_.end();
}

// A path is read when a read path leads to it or through it ("metadata"
// reads metadata.annotations.x; "spec.containers.image" reads through
// spec). Components are compared up to any index ("containers[0]").
bool ListSplitter::path_is_read(const std::vector<std::string>& path) const {
  for (const auto& rp : read_paths_) {
    size_t k = 0, start = 0;
    bool same = true;
    while (same && k < path.size() && start <= rp.size()) {
      size_t dot = rp.find('.', start);
      std::string_view part(rp.data() + start, (dot == std::string::npos ? rp.size() : dot) - start);
      part = part.substr(0, part.find('['));
      same = part == path[k];
      ++k;
      if (dot == std::string::npos) break;  // the read path ends here or above
      start = dot + 1;
    }
    if (same) return true;  // a match so far: the read path ends at or above the string, or goes on
  }
  return false;
}

// Called at the end of each chunk: a string value that has grown past the
// bound at a path nothing reads stops being held.
void ListSplitter::maybe_skip_string() {
  if (!in_str_ || str_is_key_ || str_capture_ || skipping_ || !item_.active || read_paths_.empty()) return;
  if (total_ - value_quote_at_ <= limits_.skip_string_over) return;
  // item_.buf holds the item up to the quote: enough to know the path.
  std::vector<std::string> keys = keys_at_end(std::string_view(item_.buf).substr(0, value_quote_pos_));
  if (path_is_read(keys)) return;
  item_.buf.resize(value_quote_pos_);
  skipping_ = true;
  ++skipped_;
}

void ListSplitter::finish(const Sink& sink) {
  if (in_str_ || !stack_.empty()) fail("truncated JSON");
}

}  // namespace kapi
