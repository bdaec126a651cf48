// The registry of sides: one line per side, each implemented in its own library.
#include "oracle/side.h"

#include "oracle/glibc/glibc_side.h"
#include "oracle/model/model_side.h"
#include "oracle/twin_side.h"

namespace heaptwin {

namespace {

struct SideEntry {
  const char* name;
  std::unique_ptr<Side> (*make)(const std::string& name, std::string* error);
};

const std::vector<SideEntry>& entries() {
  static const std::vector<SideEntry> kEntries = {
      // Each side adds itself here, e.g. {"twin", make_twin_side}.
      {"glibc", make_glibc_side},      {"glibc-2.31", make_glibc_side},
      {"glibc-2.41", make_glibc_side}, {"glibc-2.43", make_glibc_side},
      {"glibc-2.44", make_glibc_side}, {"model", make_model_side},
      {"twin", make_twin_side},        {"twin-2.23", make_twin_side},
      {"twin-2.27", make_twin_side},   {"twin-2.31", make_twin_side},
      {"twin-2.35", make_twin_side},   {"twin-2.36", make_twin_side},
      {"twin-2.39", make_twin_side},   {"twin-2.41", make_twin_side},
      {"twin-2.43", make_twin_side},   {"twin-2.44", make_twin_side},
  };
  return kEntries;
}

}  // namespace

std::vector<std::string> side_names() {
  std::vector<std::string> names;
  for (const auto& e : entries()) names.push_back(e.name);
  return names;
}

std::unique_ptr<Side> make_side(const std::string& name, std::string* error) {
  for (const auto& e : entries()) {
    if (name == e.name) return e.make(name, error);
  }
  // Other releases: the side itself says whether it knows that one.
  if (name.rfind("twin-", 0) == 0) return make_twin_side(name, error);
  if (name.rfind("glibc-", 0) == 0) return make_glibc_side(name, error);
  std::string known;
  for (const auto& n : side_names()) known += (known.empty() ? "" : ", ") + n;
  *error = "unknown side '" + name + "' (known: " + (known.empty() ? "none yet" : known) + ")";
  return nullptr;
}

}  // namespace heaptwin
