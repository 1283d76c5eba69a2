#include "controller/kube/api_error.h"

#include <gtest/gtest.h>

#include "controller/kube/scripted_transport.h"

namespace prebell::kube {
namespace {

Status StatusFor(int code, const std::string& reason, const std::string& message = "m") {
  return ErrorFromResponse(StatusResponse(code, reason, message)).ToStatus("get /x");
}

TEST(ApiError, CodesSayWhetherRetryingHelps) {
  EXPECT_EQ(StatusFor(404, "NotFound").code(), StatusCode::kNotFound);
  EXPECT_FALSE(StatusFor(404, "NotFound").IsRetryable());
  EXPECT_EQ(StatusFor(409, "Conflict").code(), StatusCode::kAborted);
  EXPECT_TRUE(StatusFor(409, "Conflict").IsRetryable());
  EXPECT_TRUE(IsConflict(StatusFor(409, "Conflict")));
  EXPECT_EQ(StatusFor(409, "AlreadyExists").code(), StatusCode::kAlreadyExists);
  EXPECT_TRUE(IsResourceExpired(StatusFor(410, "Expired")));
  EXPECT_TRUE(IsResourceExpired(StatusFor(410, "Gone")));
  EXPECT_FALSE(StatusFor(410, "Gone").IsRetryable());  // relist, do not repeat
  EXPECT_EQ(StatusFor(429, "TooManyRequests").code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(StatusFor(429, "TooManyRequests").IsRetryable());
  EXPECT_EQ(StatusFor(500, "InternalError").code(), StatusCode::kUnavailable);
  EXPECT_EQ(StatusFor(503, "ServiceUnavailable").code(), StatusCode::kUnavailable);
  EXPECT_TRUE(StatusFor(503, "ServiceUnavailable").IsRetryable());
  EXPECT_EQ(StatusFor(504, "Timeout").code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(StatusFor(500, "Timeout").code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(StatusFor(401, "Unauthorized").code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(StatusFor(403, "Forbidden").code(), StatusCode::kPermissionDenied);
  EXPECT_FALSE(StatusFor(403, "Forbidden").IsRetryable());
  EXPECT_EQ(StatusFor(422, "Invalid").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(StatusFor(400, "BadRequest").code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(IsResourceExpired(StatusFor(404, "NotFound")));
}

TEST(ApiError, MessageNamesRequestAndKeepsServerText) {
  Status s = StatusFor(409, "Conflict",
                       "Operation cannot be fulfilled on configmaps \"cm\": the object has been "
                       "modified");
  EXPECT_EQ(s.message(),
            "get /x: HTTP 409 Conflict: Operation cannot be fulfilled on configmaps \"cm\": the "
            "object has been modified");
}

TEST(ApiError, RetryAfterFromHeaderOrDetails) {
  HttpResponse r = StatusResponse(429, "TooManyRequests", "slow down");
  r.headers["retry-after"] = "3";
  ApiError e = ErrorFromResponse(r);
  ASSERT_TRUE(e.retry_after);
  EXPECT_EQ(*e.retry_after, std::chrono::seconds(3));
  EXPECT_NE(e.ToStatus("list /y").message().find("retry after 3s"), std::string::npos);

  HttpResponse d = JsonResponse(503, {{"kind", "Status"},
                                      {"code", 503},
                                      {"reason", "ServiceUnavailable"},
                                      {"message", "busy"},
                                      {"details", {{"retryAfterSeconds", 7}}}});
  ASSERT_TRUE(ErrorFromResponse(d).retry_after);
  EXPECT_EQ(*ErrorFromResponse(d).retry_after, std::chrono::seconds(7));
}

TEST(ApiError, ParseRetryAfter) {
  EXPECT_EQ(ParseRetryAfter("1"), std::chrono::seconds(1));
  EXPECT_EQ(ParseRetryAfter(" 12 "), std::chrono::seconds(12));
  EXPECT_EQ(ParseRetryAfter("99999"), std::chrono::seconds(3600));
  EXPECT_FALSE(ParseRetryAfter(""));
  EXPECT_FALSE(ParseRetryAfter("-1"));
  EXPECT_FALSE(ParseRetryAfter("Fri, 31 Dec 1999 23:59:59 GMT"));
  EXPECT_FALSE(ParseRetryAfter("2s"));
}

TEST(ApiError, BodyThatIsNotAStatus) {
  ApiError e = ErrorFromResponse(502, "<html>\nbad gateway</html>", std::nullopt);
  EXPECT_EQ(e.message, "<html> bad gateway</html>");
  EXPECT_EQ(e.ToStatus("get /z").code(), StatusCode::kUnavailable);
  EXPECT_EQ(ErrorFromResponse(500, "", std::nullopt).message, "(empty body)");
}

TEST(ApiError, ParseApiStatus) {
  EXPECT_FALSE(ParseApiStatus(nlohmann::json{{"kind", "ConfigMap"}}));
  auto s = ParseApiStatus({{"kind", "Status"},
                           {"status", "Failure"},
                           {"code", 410},
                           {"reason", "Expired"},
                           {"message", "too old resource version: 1 (5)"}});
  ASSERT_TRUE(s);
  EXPECT_EQ(s->code, 410);
  EXPECT_EQ(s->reason, "Expired");
}

}  // namespace
}  // namespace prebell::kube
