#include "policies/common/status.h"

#include <gtest/gtest.h>

namespace prebell {
namespace {

TEST(StatusTest, OkByDefault) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.ToString(), "OK");
}

TEST(StatusTest, CarriesCodeAndMessage) {
  Status s = InvalidArgumentError("bad duration");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.ToString(), "INVALID_ARGUMENT: bad duration");
  EXPECT_EQ(s.WithContext("a.yaml:3").message(), "a.yaml:3: bad duration");
  EXPECT_FALSE(s.IsRetryable());
  EXPECT_TRUE(UnavailableError("x").IsRetryable());
  EXPECT_TRUE(AbortedError("conflict").IsRetryable());
}

StatusOr<int> Half(int x) {
  if (x % 2 != 0) return InvalidArgumentError("odd");
  return x / 2;
}

Status UsesMacro(int x, int& out) {
  auto r = Half(x);
  PREBELL_RETURN_IF_ERROR(r.status());
  out = *r;
  return OkStatus();
}

TEST(StatusOrTest, ValueOrError) {
  auto a = Half(4);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a, 2);
  auto b = Half(3);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().message(), "odd");
  int out = 0;
  EXPECT_TRUE(UsesMacro(8, out).ok());
  EXPECT_EQ(out, 4);
  EXPECT_EQ(UsesMacro(7, out).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace prebell
