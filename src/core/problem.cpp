#include "core/problem.hpp"

#include <stdexcept>

namespace parley::core {

void throw_exception_from_error(problem const& p, boost::source_location const&) {
  throw std::logic_error("outcome holds a problem: " + p.message);
}

}  // namespace parley::core
