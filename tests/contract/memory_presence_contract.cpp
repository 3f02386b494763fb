// The all-in-one presence adapter on the presence contract.
#include "chat/memory_presence.hpp"
#include "presence_contract.hpp"

namespace parley::contract {
namespace {

INSTANTIATE_TEST_SUITE_P(
    memory, presence_contract,
    ::testing::Values(presence_adapter{
        "memory", [] { return std::unique_ptr<chat::presence>(new chat::memory_presence()); }}),
    [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace parley::contract
