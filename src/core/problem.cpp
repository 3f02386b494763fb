#include "core/problem.hpp"

#include <stdexcept>

namespace parley::core {

namespace {
struct row {
  int status;
  std::string_view name;
};
// Indexed by errc. docs/error-handling.md shows the same table; keep them together.
constexpr row table[] = {
    {400, "INVALID_BODY"},        {401, "UNAUTHORIZED"},       {403, "FORBIDDEN"},
    {403, "FORBIDDEN_STATUS"},    {404, "NOT_FOUND"},          {404, "NOT_MEMBER"},
    {404, "UNKNOWN_DESTINATION"}, {405, "METHOD_NOT_ALLOWED"}, {409, "CONFLICT"},
    {413, "TOO_LARGE"},           {429, "RATE_LIMITED"},       {500, "INTERNAL"},
    {501, "NOT_IMPLEMENTED"},     {503, "UNAVAILABLE"},
};
static_assert(std::size(table) == static_cast<std::size_t>(errc::unavailable) + 1,
              "one row per errc, in declaration order");

const row& lookup(errc c) { return table[static_cast<std::size_t>(c)]; }
}  // namespace

int http_status(errc c) { return lookup(c).status; }
std::string_view code_name(errc c) { return lookup(c).name; }

void throw_exception_from_error(problem const& p, boost::source_location const&) {
  throw std::logic_error("outcome holds a problem: " + p.message);
}

}  // namespace parley::core
