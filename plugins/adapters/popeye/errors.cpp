#include "errors.h"

#include <boost/json/basic_parser_impl.hpp>

namespace kinspect::adapters::popeye {

namespace {

namespace json = boost::json;

// A basic_parser handler that follows the path of keys to the current value
// and keeps each value whose container is popeye.errors: a string, or an
// object (an old-form error without a message).
class ErrorsHandler {
 public:
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  std::vector<std::string> errors;

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }
  bool on_object_begin(json::error_code&) { return open(); }
  bool on_object_end(std::size_t, json::error_code&) { return close(); }
  bool on_array_begin(json::error_code&) { return open(); }
  bool on_array_end(std::size_t, json::error_code&) { return close(); }
  bool on_key_part(json::string_view s, std::size_t, json::error_code&) { return key_.append(s.data(), s.size()), true; }
  bool on_key(json::string_view s, std::size_t, json::error_code&) {
    key_.append(s.data(), s.size());
    keys_.back() = std::move(key_);
    key_.clear();
    return true;
  }
  bool on_string_part(json::string_view s, std::size_t, json::error_code&) {
    if (in_errors()) text_.append(s.data(), s.size());
    return true;
  }
  bool on_string(json::string_view s, std::size_t, json::error_code&) {
    if (in_errors()) errors.push_back(text_.append(s.data(), s.size()));
    text_.clear();
    return true;
  }
  bool on_number_part(json::string_view, json::error_code&) { return true; }
  bool on_int64(std::int64_t, json::string_view, json::error_code&) { return true; }
  bool on_uint64(std::uint64_t, json::string_view, json::error_code&) { return true; }
  bool on_double(double, json::string_view, json::error_code&) { return true; }
  bool on_bool(bool, json::error_code&) { return true; }
  bool on_null(json::error_code&) { return true; }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }

 private:
  // keys_[i] is the key of the value open at depth i+1 ("" in an array).
  std::vector<std::string> keys_;
  std::string key_, text_;

  bool in_errors() const { return keys_.size() == 3 && keys_[0] == "popeye" && keys_[1] == "errors"; }
  bool open() {
    if (in_errors()) errors.emplace_back();  // {} or [] inside popeye.errors: an error with no message
    keys_.emplace_back();
    return true;
  }
  bool close() {
    keys_.pop_back();
    return true;
  }
};

}  // namespace

std::vector<std::string> report_errors(std::string_view text) {
  json::basic_parser<ErrorsHandler> p(json::parse_options{});
  json::error_code ec;
  p.write_some(false, text.data(), text.size(), ec);
  return ec ? std::vector<std::string>{} : std::move(p.handler().errors);
}

}  // namespace kinspect::adapters::popeye
