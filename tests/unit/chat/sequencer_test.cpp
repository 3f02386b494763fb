// The ordering point's rules (chat::room_sequencer), which every message log runs inside its
// commit: dense seq, numbers given back on rollback, ids increasing with seq whatever the clock.
#include "chat/sequencer.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace parley::chat {
namespace {

using namespace std::chrono_literals;

chat::new_message draft(std::int64_t chat_id, std::string text = "hi") {
  return {.chat_id = chat_id, .user_id = "u", .content = std::move(text)};
}

core::time_point at(std::int64_t ms) { return core::from_epoch_ms(ms); }

std::vector<room_sequencer::moved> settle(room_sequencer& s) {
  std::vector<room_sequencer::moved> out;
  s.settle([&](const room_sequencer::moved& m) { out.push_back(m); });
  return out;
}

TEST(room_sequencer, numbers_a_room_densely_after_its_stored_position) {
  room_sequencer s;
  s.start(7, 41);
  auto a = s.place(draft(7, "a"), at(1'000));
  auto b = s.place(draft(7, "b"), at(1'000));
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->seq, 42);
  EXPECT_EQ(b->seq, 43);
  EXPECT_LT(a->message_id, b->message_id);  // same millisecond, still increasing
  EXPECT_EQ(a->content, "a");
  EXPECT_EQ(a->status, chat::message_status::sent);
  EXPECT_EQ(core::epoch_ms(a->timestamp), 1'000);
}

TEST(room_sequencer, refuses_a_room_that_was_not_started) {
  room_sequencer s;
  EXPECT_FALSE(s.place(draft(1), at(1)));
  s.start(2, 0);
  EXPECT_FALSE(s.place(draft(1), at(1)));
  EXPECT_EQ(s.place(draft(2), at(1))->seq, 1);
}

TEST(room_sequencer, settle_reports_only_rooms_placed_into_and_forgets_every_room) {
  room_sequencer s;
  s.start(1, 5);
  s.start(2, 9);  // locked, nothing placed: not written back
  s.place(draft(1), at(2'000));
  s.place(draft(1), at(2'500));
  auto moved = settle(s);
  ASSERT_EQ(moved.size(), 1u);
  EXPECT_EQ(moved[0].chat_id, 1);
  EXPECT_EQ(moved[0].last_seq, 7);
  EXPECT_EQ(moved[0].last_activity_ms, 2'500);
  EXPECT_FALSE(s.started(1));
  EXPECT_FALSE(s.started(2));
}

TEST(room_sequencer, abandon_gives_the_numbers_back) {
  room_sequencer s;
  s.start(1, 3);
  auto lost = s.place(draft(1), at(10));
  EXPECT_EQ(lost->seq, 4);
  s.abandon();  // the commit rolled back: seq 4 was never stored
  EXPECT_FALSE(s.place(draft(1), at(11)));
  s.start(1, 3);  // the adapter re-reads the stored position
  auto again = s.place(draft(1), at(12));
  EXPECT_EQ(again->seq, 4);
  EXPECT_GT(again->message_id, lost->message_id);  // ids are never reused
}

TEST(room_sequencer, ids_continue_after_another_writers_newer_id_and_a_clock_that_went_back) {
  room_sequencer other;  // another node, whose clock is an hour ahead
  other.start(1, 0);
  auto theirs = other.place(draft(1), at(3'600'000 + 5'000));
  room_sequencer ours;
  ours.start(1, theirs->seq, theirs->message_id);
  auto mine = ours.place(draft(1), at(5'000));
  EXPECT_EQ(mine->seq, 2);
  EXPECT_GT(mine->message_id, theirs->message_id);

  room_sequencer restarted;
  restarted.continue_after(mine->message_id);  // the newest stored id, at open
  restarted.start(1, mine->seq);
  EXPECT_GT(restarted.place(draft(1), at(1))->message_id, mine->message_id);
}

}  // namespace
}  // namespace parley::chat
