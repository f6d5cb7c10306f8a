#include "sluice/base/error.h"

#include <gtest/gtest.h>

#include <cerrno>

#include "sluice/base/check.h"
#include "sluice/base/system_failure.h"

namespace sluice {
namespace {

TEST(ErrorTest, CarriesKindMessageAndContextInOrder) {
  Error e =
      InvalidData("unterminated quote at byte {}", 17).With("file", "a.csv").With("line", "3");
  EXPECT_EQ(e.kind(), ErrorKind::kInvalidData);
  EXPECT_EQ(e.message(), "unterminated quote at byte 17");
  EXPECT_EQ(e.ContextValue("line"), "3");
  EXPECT_STREQ(e.what(), "invalid data: unterminated quote at byte 17 (file a.csv, line 3)");
}

TEST(ErrorTest, InnermostContextWins) {
  Error e = IoError("disk on fire").With("stage", "write");
  e.With("stage", "outer");
  EXPECT_EQ(e.ContextValue("stage"), "write");
  EXPECT_EQ(e.context().size(), 1u);
}

TEST(ErrorTest, ErrnoMapsToKinds) {
  EXPECT_EQ(IoErrorFromErrno(ENOENT, "open", "/x").kind(), ErrorKind::kNotFound);
  EXPECT_EQ(IoErrorFromErrno(ENOSPC, "write", "/x").kind(), ErrorKind::kResourceExhausted);
  Error e = IoErrorFromErrno(EACCES, "open", "/secret");
  EXPECT_EQ(e.kind(), ErrorKind::kIo);
  EXPECT_EQ(e.ContextValue("file"), "/secret");
  EXPECT_NE(e.ContextValue("what to do").find("access"), std::string_view::npos) << e.what();
  // A full disk says to free space; a missing file needs no advice beyond its name.
  EXPECT_NE(IoErrorFromErrno(ENOSPC, "write", "/x").ContextValue("what to do").find("free space"),
            std::string_view::npos);
  EXPECT_EQ(IoErrorFromErrno(ENOENT, "open", "/x").ContextValue("what to do"), "");
  EXPECT_NE(IoErrorFromErrno(EROFS, "create", "/x").ContextValue("what to do").find("read-only"),
            std::string_view::npos);
}

TEST(ErrorTest, SystemFailureIsReadBackFromTheErrnosAdvice) {
  EXPECT_EQ(SystemFailureOf(IoErrorFromErrno(ENOSPC, "write", "/x")), SystemFailure::kNoSpace);
  EXPECT_EQ(SystemFailureOf(IoErrorFromErrno(EDQUOT, "write", "/x")), SystemFailure::kNoSpace);
  EXPECT_EQ(SystemFailureOf(IoErrorFromErrno(EPERM, "open", "/x")), SystemFailure::kNoAccess);
  EXPECT_EQ(SystemFailureOf(IoErrorFromErrno(EROFS, "open", "/x")), SystemFailure::kReadOnly);
  // Context added further out keeps the failure.
  EXPECT_EQ(SystemFailureOf(IoErrorFromErrno(EIO, "read", "/x").With("stage", "footer")),
            SystemFailure::kDevice);
  EXPECT_EQ(SystemFailureOf(IoErrorFromErrno(ENOENT, "open", "/x")), SystemFailure::kOther);
  // Words of a message are not a failure of this process's system calls.
  EXPECT_EQ(SystemFailureOf(IoError("command failed with exit 1: x: Permission denied")),
            SystemFailure::kOther);
}

TEST(CheckDeathTest, PrintsBothOperands) {
  int a = 3, b = 4;
  EXPECT_DEATH(SLUICE_CHECK_EQ(a, b), "check failed .*a == b \\(3 vs 4\\)");
}

}  // namespace
}  // namespace sluice
