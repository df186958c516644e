// Log lines go to stderr, tagged with their component ("[loader] ...",
// "[kube-apiserver/http] ..."), so output on stdout stays machine-readable.
#pragma once

#include <string>
#include <string_view>

namespace kinspect::log {

enum class Level { Error = 0, Warning = 1, Info = 2, Debug = 3 };

// Lines above this level are dropped. Default: Warning (Info with -v,
// Debug with -vv, Error with --quiet).
void set_level(Level l);
Level level();
bool enabled(Level l);

// Plugin workers are child processes of the same executable: the level
// reaches them through the environment (KINSPECT_LOG_LEVEL), so -v and -q
// govern their lines too.
void export_level();
void import_level();

void write(Level l, std::string_view component, std::string_view message);
inline void error(std::string_view c, std::string_view m) { write(Level::Error, c, m); }
inline void warn(std::string_view c, std::string_view m) { write(Level::Warning, c, m); }
inline void info(std::string_view c, std::string_view m) { write(Level::Info, c, m); }
inline void debug(std::string_view c, std::string_view m) { write(Level::Debug, c, m); }

}  // namespace kinspect::log
