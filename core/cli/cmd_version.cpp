// kinspect version
#include <boost/program_options.hpp>
#include <boost/version.hpp>
#include <kinspect/abi.h>

#include <iostream>

#include "core/cli/cli.h"

#ifndef KINSPECT_VERSION
#define KINSPECT_VERSION "0.0.0"
#endif

namespace kinspect::cli {

std::vector<Command> version_commands() {
  Command c;
  c.name = "version";
  c.summary = "Print kinspect's version and the plugin ABI it speaks";
  c.examples = "  kinspect version\n  kinspect version --format json";
  c.options = [](po::options_description& d, po::positional_options_description&) {
    d.add_options()("format,o", po::value<std::string>()->default_value("text"), "text or json");
  };
  c.run = [](const po::variables_map& vm) {
    if (vm["format"].as<std::string>() == "json") {
      std::cout << "{\"version\":\"" KINSPECT_VERSION "\",\"abi\":\"" << KI_ABI_MAJOR << '.' << KI_ABI_MINOR
                << "\",\"boost\":\"" << BOOST_LIB_VERSION << "\"}\n";
    } else {
      std::cout << "kinspect " KINSPECT_VERSION "\nplugin ABI " << KI_ABI_MAJOR << '.' << KI_ABI_MINOR
                << " (loads plugins built for " << KI_ABI_MAJOR << ".0 to " << KI_ABI_MAJOR << '.' << KI_ABI_MINOR
                << ")\n";
    }
    return kExitOk;
  };
  return {c};
}

}  // namespace kinspect::cli
