// The MQTT publisher against a real mosquitto broker on 127.0.0.1: topics and payloads arrive,
// retained messages come back after the broker restarts, the queue drops its oldest when the
// broker is away, and the broker sends the last will when the publisher's process dies; the
// subscriber says each change of its connection once.
#include "io/mqtt_publisher.h"

#include <mutex>

#include <gtest/gtest.h>

#include "io/mqtt_subscriber.h"
#include "io/mqtt_test_broker.h"

namespace linesight::io {
namespace {

using testing::MqttMessage;
using testing::MqttTestBroker;
using testing::MqttTestSubscriber;

#define SKIP_WITHOUT_MOSQUITTO()                                                        \
  if (testing::MosquittoBinary().empty())                                               \
  GTEST_SKIP() << "the mosquitto broker is not installed (apt-get install mosquitto); " \
                  "the MQTT tests need a real broker"

bool WaitConnected(const MqttPublisher& p, int connects = 1) {
  for (int i = 0; i < 1000; ++i) {
    if (p.connected() && p.counters().connects >= static_cast<uint64_t>(connects)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

MqttOptions OptionsFor(int port) {
  MqttOptions o;
  o.port = port;
  o.client_id = "test-" + std::to_string(getpid()) + "-" + std::to_string(port);
  o.reconnect_max_s = 1;
  return o;
}

TEST(MqttPublisher, PublishesTopicAndPayload) {
  SKIP_WITHOUT_MOSQUITTO();
  MqttTestBroker broker;
  MqttTestSubscriber sub(broker.port(), "t/#");
  MqttPublisher pub(OptionsFor(broker.port()));
  pub.Publish("t/part", R"({"part_id":"M1-7"})");
  const MqttMessage m = sub.WaitFor("t/part");
  EXPECT_EQ(m.payload, R"({"part_id":"M1-7"})");
  EXPECT_FALSE(m.retain);
  EXPECT_EQ(pub.counters().sent, 1u);
}

TEST(MqttPublisher, RetainedMessageIsBackAfterTheBrokerRestarts) {
  SKIP_WITHOUT_MOSQUITTO();
  MqttTestBroker broker;
  MqttPublisher pub(OptionsFor(broker.port()));
  ASSERT_TRUE(WaitConnected(pub));
  MqttTestSubscriber early(broker.port(), "t/#");
  pub.SetRetained("t/status", "up");
  ASSERT_EQ(early.WaitFor("t/status").payload, "up");  // the broker has it now
  {
    MqttTestSubscriber late(broker.port(), "t/#");  // subscribes after: gets it retained
    const MqttMessage m = late.WaitFor("t/status");
    EXPECT_EQ(m.payload, "up");
    EXPECT_TRUE(m.retain);
  }
  broker.Kill();  // the broker keeps nothing (persistence false)
  for (int i = 0; i < 50 && pub.connected(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(pub.connected());
  pub.Publish("t/part", "while down");  // queued, not blocking
  broker.Start();
  ASSERT_TRUE(WaitConnected(pub, 2)) << "no reconnect after the broker came back";
  MqttTestSubscriber after(broker.port(), "t/#");
  EXPECT_EQ(after.WaitFor("t/status").payload, "up");
  pub.Publish("t/part", "after");
  EXPECT_EQ(
      after.WaitFor("t/part", [](const MqttMessage& m) { return m.payload == "after"; }).payload,
      "after");
}

TEST(MqttPublisher, FullQueueDropsTheOldestAndCountsThem) {
  SKIP_WITHOUT_MOSQUITTO();
  MqttTestBroker broker;
  broker.Kill();
  MqttOptions o = OptionsFor(broker.port());
  o.queue_max = 3;
  MqttPublisher pub(o);
  for (int i = 0; i < 10; ++i) pub.Publish("t/n", std::to_string(i));
  EXPECT_EQ(pub.counters().queued, 10u);
  EXPECT_EQ(pub.counters().dropped, 7u);
  EXPECT_EQ(pub.counters().sent, 0u);
  broker.Start();
  MqttTestSubscriber sub(broker.port(), "t/#");
  ASSERT_TRUE(WaitConnected(pub)) << "no connection to a broker that came up late";
  // The queue's three may reach the broker before the subscriber subscribes; the counters say
  // that exactly those three went, and a message after them shows the subscriber is listening.
  pub.Publish("t/n", "10");
  ASSERT_EQ(sub.WaitFor("t/n", [](const MqttMessage& m) { return m.payload == "10"; }).payload,
            "10");
  // The subscriber can hear "10" before the publisher has counted it sent (its broker's
  // acknowledgement comes back on another thread): wait for the count, then compare.
  for (int i = 0; i < 500 && pub.counters().sent < 4u; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(pub.counters().sent, 4u);
  std::vector<std::string> got;
  for (const auto& m : sub.messages()) got.push_back(m.payload);
  // The subscriber may have missed the first ones if the publisher reconnected first; never
  // does a dropped message appear.
  for (const auto& p : got) EXPECT_GE(std::stoi(p), 7) << "dropped message " << p << " was sent";
}

TEST(MqttPublisher, BrokerSendsTheLastWillWhenTheProcessDies) {
  SKIP_WITHOUT_MOSQUITTO();
  MqttTestBroker broker;
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  const pid_t child = fork();
  if (child == 0) {
    MqttOptions o = OptionsFor(broker.port());
    o.will_topic = "t/status";
    o.will_payload = R"({"state":"offline"})";
    auto* pub = new MqttPublisher(o);  // never destroyed: the process is killed
    pub->SetRetained("t/status", R"({"state":"running"})");
    for (int i = 0; i < 500 && pub->counters().sent == 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    const char c = pub->counters().sent ? 'y' : 'n';
    (void)!write(ready[1], &c, 1);
    pause();
    _exit(0);
  }
  testing::KilledAtExit guard(child);
  char c = 0;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  close(ready[0]);
  close(ready[1]);
  ASSERT_EQ(c, 'y') << "the child never connected";
  MqttTestSubscriber sub(broker.port(), "t/#");
  EXPECT_EQ(sub.WaitFor("t/status").payload, R"({"state":"running"})");
  guard.Kill();
  const MqttMessage will = sub.WaitFor(
      "t/status", [](const MqttMessage& m) { return m.payload == R"({"state":"offline"})"; });
  EXPECT_EQ(will.payload, R"({"state":"offline"})") << "no last will after the kill";
  MqttTestSubscriber later(broker.port(), "t/#");
  const MqttMessage retained = later.WaitFor("t/status");
  EXPECT_EQ(retained.payload, R"({"state":"offline"})");
  EXPECT_TRUE(retained.retain);
}

TEST(MqttPublisher, StopsWithTheBrokerGoneOrNeverThere) {
  SKIP_WITHOUT_MOSQUITTO();
  MqttTestBroker broker;
  {
    MqttPublisher pub(OptionsFor(broker.port()));
    ASSERT_TRUE(WaitConnected(pub));
    broker.Kill();
    pub.Publish("t/x", "never sent");
  }  // must return: the network thread is in its reconnect wait
  {
    MqttPublisher never(OptionsFor(broker.port()));
    never.Publish("t/x", "never sent");
    EXPECT_FALSE(never.connected());
  }
}

// Idle, the network thread keeps the connection alive with pings: the broker drops a client that
// is silent for 1.5 keepalives (5 s is the least libmosquitto takes).
TEST(MqttPublisher, StaysConnectedWhileIdle) {
  SKIP_WITHOUT_MOSQUITTO();
  MqttTestBroker broker;
  MqttOptions o = OptionsFor(broker.port());
  o.keepalive_s = 5;
  MqttPublisher pub(o);
  ASSERT_TRUE(WaitConnected(pub));
  std::this_thread::sleep_for(std::chrono::milliseconds(8500));
  EXPECT_TRUE(pub.connected());
  EXPECT_EQ(pub.counters().connects, 1u) << "the broker dropped the idle client";
}

// Stopped at any moment after the broker went away: before, during and after the attempts to
// reconnect (1 s apart at first). libmosquitto's own network thread could miss a DISCONNECT that
// came while it reconnected, and the destructor then waited for it forever (a CI hang). That
// window is too narrow to hit on demand (these rounds pass with that code too): io/mqtt_loop.h
// closes it by construction, and these rounds check that stopping works in every phase.
TEST(MqttPublisher, StopsAtAnyMomentWhileItReconnects) {
  SKIP_WITHOUT_MOSQUITTO();
  MqttTestBroker broker;
  for (int i = 0; i < 6; ++i) {
    if (i > 0) broker.Start();
    auto pub = std::make_unique<MqttPublisher>(OptionsFor(broker.port()));
    ASSERT_TRUE(WaitConnected(*pub)) << "round " << i;
    broker.Kill();
    std::this_thread::sleep_for(std::chrono::milliseconds(230 * i));
    pub->Publish("t/x", "never sent");
    pub.reset();  // must return
  }
}

// A subscriber stopped while it retries a broker that is gone, or one never there.
TEST(MqttSubscriber, StopsWithTheBrokerGoneOrNeverThere) {
  SKIP_WITHOUT_MOSQUITTO();
  MqttTestBroker broker;
  MqttSubscribeOptions o;
  o.port = broker.port();
  o.topic = "t/#";
  for (int i = 0; i < 4; ++i) {
    if (i > 0) broker.Start();
    auto sub = std::make_unique<MqttSubscriber>(o, [](const std::string&, const std::string&) {});
    for (int t = 0; t < 100 && !sub->connected(); ++t)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ASSERT_TRUE(sub->connected()) << "round " << i;
    broker.Kill();
    std::this_thread::sleep_for(std::chrono::milliseconds(400 * i));
    sub.reset();  // must return
  }
  MqttSubscriber never(o, [](const std::string&, const std::string&) {});
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_FALSE(never.connected());
}

// The subscriber says each change of its connection once (never once per retry): a broker it
// cannot reach, the connection, and a broker lost.
TEST(MqttSubscriber, SaysOnceWhenItCannotReachConnectsAndLosesTheBroker) {
  SKIP_WITHOUT_MOSQUITTO();
  MqttTestBroker broker;
  broker.Kill();
  std::mutex mu;
  std::vector<std::string> lines;
  MqttSubscribeOptions o;
  o.port = broker.port();
  o.topic = "t/#";
  o.reconnect_max_s = 1;
  o.log = [&](const std::string& line) {
    std::lock_guard lock(mu);
    lines.push_back(line);
  };
  const auto said = [&](const std::string& what) {
    std::lock_guard lock(mu);
    return std::count_if(lines.begin(), lines.end(),
                         [&](const std::string& l) { return l.find(what) != std::string::npos; });
  };
  MqttSubscriber sub(o, [](const std::string&, const std::string&) {});
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // two retries or more
  EXPECT_EQ(said("cannot reach the broker 127.0.0.1:" + std::to_string(broker.port())), 1);
  broker.Start();
  for (int i = 0; i < 1000 && !sub.subscribed(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_TRUE(sub.subscribed());
  EXPECT_EQ(said("connected to"), 1);
  broker.Kill();
  for (int i = 0; i < 1000 && sub.connected(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // retries while it is away
  EXPECT_EQ(said("lost the broker"), 1);
}

TEST(MqttPublisher, RefusesABadQos) {
  MqttOptions o;
  o.qos = 3;
  const Error e = testing::Caught([&] { MqttPublisher p(o); });
  EXPECT_EQ(e.category(), ErrorCategory::kInput);
}

}  // namespace
}  // namespace linesight::io
