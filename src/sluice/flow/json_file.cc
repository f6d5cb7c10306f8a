#include "sluice/flow/json_file.h"

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "sluice/base/error.h"
#include "sluice/base/temp_path.h"

namespace sluice {

void WriteJsonFile(const nlohmann::json& document, const std::string& path) {
  const std::string temp = TemporaryPathFor(path);
  {
    std::ofstream out(temp, std::ios::trunc);
    if (!out) throw IoErrorFromErrno(errno, "create", temp);
    out << document.dump(2) << '\n';
    out.close();
    if (!out) {
      const int error = errno;
      std::remove(temp.c_str());
      throw IoErrorFromErrno(error, "write", temp);
    }
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    const int error = errno;
    std::remove(temp.c_str());
    throw IoErrorFromErrno(error, "rename", path);
  }
}

}  // namespace sluice
