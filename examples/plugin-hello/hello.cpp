// The smallest useful kinspect data driver: one table, and one table function
// with an argument. See sdk/include/kinspect/sdk.hpp for the API.
#include <kinspect/sdk.hpp>

namespace ks = kinspect::sdk;

class Hello : public ks::Plugin {
 public:
  Hello(const ks::Host& host, std::string_view /*config_json*/) : host_(host) {}

  std::vector<ks::TableSpec> tables() const override {
    return {
        {"hello.greetings", "One greeting per known name.",
         {{"name", ks::Type::Text, "Who is greeted"}, {"count", ks::Type::Integer, "How often"}},
         {},
         {"SELECT name FROM hello.greetings WHERE count > 1"}},
        {"hello.repeat", "A table function: `times` rows for one name.",
         {{"name", ks::Type::Text, "The name given"}, {"n", ks::Type::Integer, "Row number, from 1"}},
         {{"who", ks::Type::Text, "Name to repeat"}, {"times", ks::Type::Integer, "How many rows", false}}},
    };
  }

  std::unique_ptr<ks::Scan> scan(const ks::ScanContext& ctx) override {
    if (ctx.table() == "hello.greetings") {
      return ks::rows([](ks::BatchWriter& out) {
        out.row().field("name", "world").field("count", 2);
        out.row().field("name", "kinspect").field("count", 1);
      });
    }
    // hello.repeat(who, times): arguments arrive typed, in declaration order.
    std::string who(ctx.arg(0).text());
    int64_t times = ctx.arg_count() > 1 && !ctx.arg(1).is_null() ? ctx.arg(1).integer() : 3;
    if (times < 0 || times > 1000000) throw std::runtime_error("times must be between 0 and 1000000");
    return ks::rows([who, times](ks::BatchWriter& out) {
      for (int64_t i = 1; i <= times; ++i) out.row().field("name", who).field("n", i);
    });
  }

 private:
  ks::Host host_;
};

KINSPECT_PLUGIN(Hello, "hello", "1.0.0", "Says hello: an example of a kinspect data driver", KI_KIND_DRIVER)
