#include "oracle/glibc/runner_channel.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "oracle/glibc/runner_handoff.h"

namespace heaptwin {

static_assert(static_cast<int>(OpKind::kTrim) == RUNNER_TRIM, "op numbering");
static_assert(static_cast<int>(OpKind::kRead8) == RUNNER_READ8, "op numbering");
static_assert(static_cast<int>(Value::Kind::kProtect) == RUNNER_VALUE_PROTECT, "value numbering");
// RunnerOp's slot fields hold every SlotId (16 or 32 bits).
static_assert(std::numeric_limits<SlotId>::max() <=
                      std::numeric_limits<decltype(RunnerOp::dst)>::max() &&
                  std::numeric_limits<SlotId>::max() <=
                      std::numeric_limits<decltype(RunnerOp::value_slot)>::max() &&
                  std::numeric_limits<SlotId>::max() <=
                      std::numeric_limits<decltype(RunnerOp::value_target_slot)>::max(),
              "RunnerOp's slot ids must hold SlotId");

RunnerOp encode_op(const Op& op) {
  RunnerOp r;
  std::memset(&r, 0, sizeof r);
  r.kind = static_cast<uint8_t>(op.kind);
  r.thread = op.thread;
  r.dst = op.dst;
  r.src = op.src;
  r.a = op.a;
  r.b = op.b;
  r.param = op.param;
  r.offset = op.offset;
  r.value_kind = static_cast<uint8_t>(op.value.kind);
  r.value_literal = op.value.literal;
  r.value_slot = op.value.slot;
  r.value_pos_is_heap = op.value.pos_is_heap;
  r.value_delta = op.value.delta;
  r.value_target_kind = static_cast<uint8_t>(op.value.target_kind);
  r.value_target_literal = op.value.target_literal;
  r.value_target_slot = op.value.target_slot;
  r.value_target_delta = op.value.target_delta;
  return r;
}

// How long a side spins before it sleeps: 2 us covers a peer that answers at once (the last
// records of a short Program) and wastes nothing else. Longer spins did not pay on this 2-core
// machine shared with other work: two harness+runner pairs measured 6k Programs/s each with
// 5 us and 100 us, 23k with none (runner_throughput run twice at once); a single pair showed no
// clear difference between 0, 5 and 20 us. With the executor overlapping the sides, the parent
// rarely waits for the runner anyway, and the runner's wait for the next Program spans the
// twin's whole run, far longer than any useful spin. HEAPTWIN_RUNNER_SPIN_US overrides it.
uint64_t runner_spin_cycles() {
  static const uint64_t cycles = [] {
    double us = 2;
    if (const char* env = std::getenv("HEAPTWIN_RUNNER_SPIN_US"); env && *env) us = std::atof(env);
    // TSC ticks per microsecond, measured once against the steady clock.
    using Clock = std::chrono::steady_clock;
    auto t0 = Clock::now();
    uint64_t c0 = __rdtsc();
    while (Clock::now() - t0 < std::chrono::microseconds(2000)) {
    }
    uint64_t c1 = __rdtsc();
    double per_us = static_cast<double>(c1 - c0) /
                    std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
    return static_cast<uint64_t>(std::max(0.0, us * per_us));
  }();
  return cycles;
}

RunnerChannel::~RunnerChannel() {
  if (shared_) ::munmap(shared_, sizeof(RunnerShared));
  if (fd_ >= 0) ::close(fd_);
}

bool RunnerChannel::create(uint64_t spin_cycles, std::string* error) {
  if (shared_) ::munmap(shared_, sizeof(RunnerShared));
  if (fd_ >= 0) ::close(fd_);
  shared_ = nullptr;
  fd_ = ::memfd_create("heaptwin-runner", MFD_CLOEXEC);
  if (fd_ < 0 || ::ftruncate(fd_, sizeof(RunnerShared)) != 0) {
    *error = std::string("cannot create the runner's shared memory: ") + std::strerror(errno);
    return false;
  }
  void* map = ::mmap(nullptr, sizeof(RunnerShared), PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
  if (map == MAP_FAILED) {
    *error = std::string("cannot map the runner's shared memory: ") + std::strerror(errno);
    return false;
  }
  shared_ = static_cast<RunnerShared*>(map);
  shared_->control.spin_cycles = spin_cycles;
  program_ = nullptr;
  ops_sent_ = op_pos_ = record_pos_ = records_shown_ = 0;
  return true;
}

void RunnerChannel::send(RunnerRequest request, const Program& program) {
  program_ = &program;
  ops_sent_ = 0;
  request.first_op = op_pos_;
  request.op_count = program.ops.size();
  std::memcpy(&shared_->request, &request, sizeof request);
  write_ops();
  RunnerControl& c = shared_->control;
  __atomic_store_n(&c.request_seq, c.request_seq + 1, __ATOMIC_RELEASE);
  runner_ring(&c.child_bell);
}

// As many ops as the ring has room for.
void RunnerChannel::write_ops() {
  if (!program_ || ops_sent_ == program_->ops.size()) return;
  const uint64_t read = __atomic_load_n(&shared_->control.ops_read, __ATOMIC_ACQUIRE);
  const uint64_t room = RUNNER_OP_RING - (op_pos_ - read);
  const uint64_t n = std::min<uint64_t>(room, program_->ops.size() - ops_sent_);
  if (n == 0) return;
  for (uint64_t i = 0; i < n; ++i) {
    shared_->ops[(op_pos_ + i) % RUNNER_OP_RING] = encode_op(program_->ops[ops_sent_ + i]);
  }
  ops_sent_ += n;
  op_pos_ += n;
  __atomic_store_n(&shared_->control.ops_written, op_pos_, __ATOMIC_RELEASE);
  runner_ring(&shared_->control.child_bell);
}

bool RunnerChannel::ready() const {
  const RunnerControl& c = shared_->control;
  if (__atomic_load_n(&c.records_published, __ATOMIC_ACQUIRE) > record_pos_) return true;
  return program_ && ops_sent_ < program_->ops.size() &&
         op_pos_ - __atomic_load_n(&c.ops_read, __ATOMIC_ACQUIRE) < RUNNER_OP_RING;
}

bool RunnerChannel::next(const RunnerRecord** out, int wait_ms) {
  RunnerControl& c = shared_->control;
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
  while (record_pos_ == records_shown_) {
    release_records();  // the child may wait for room
    write_ops();
    records_shown_ = __atomic_load_n(&c.records_published, __ATOMIC_ACQUIRE);
    if (record_pos_ != records_shown_) break;
    int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                    until - std::chrono::steady_clock::now())
                                    .count());
    if (left <= 0) return false;
    runner_wait(
        &c.parent_bell,
        [](void* self) { return static_cast<RunnerChannel*>(self)->ready() ? 1 : 0; }, this,
        c.spin_cycles, left);
  }
  *out = &shared_->records[record_pos_ % RUNNER_RECORD_RING];
  ++record_pos_;
  if ((*out)->kind == RUNNER_END) program_ = nullptr;
  return true;
}

void RunnerChannel::release_records() {
  RunnerControl& c = shared_->control;
  if (c.records_read == record_pos_) return;
  __atomic_store_n(&c.records_read, record_pos_, __ATOMIC_RELEASE);
  runner_ring(&c.child_bell);
}

const RunnerState* RunnerChannel::state(uint64_t position) const {
  return reinterpret_cast<const RunnerState*>(shared_->state + position % RUNNER_STATE_BYTES);
}

void RunnerChannel::release_state(const RunnerState* state, uint64_t position) {
  __atomic_store_n(&shared_->control.state_released, position + state->bytes, __ATOMIC_RELEASE);
  runner_ring(&shared_->control.child_bell);
}

std::string RunnerChannel::message(uint64_t length) const {
  return std::string(shared_->control.message, std::min<uint64_t>(length, RUNNER_MAX_MESSAGE));
}

pid_t RunnerChannel::child_pid() const {
  return __atomic_load_n(&shared_->control.child_pid, __ATOMIC_ACQUIRE);
}

uint64_t RunnerChannel::heap_base() const { return shared_->control.heap_base; }

void RunnerChannel::paused_thread_tcaches(HeapLocation* loc) const {
  const RunnerControl& c = shared_->control;
  loc->threads = c.threads;
  std::copy(std::begin(c.thread_tcaches), std::end(c.thread_tcaches), loc->thread_tcaches.begin());
}

}  // namespace heaptwin
