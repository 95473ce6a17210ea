// fuzz/model_loader_fuzz.cpp: libFuzzer target for the model loaders. Each input is a model file:
// it goes to ParseModelFile and, if the container is sound, to LoadInspectionModel through a temp
// file, so the real loader runs unchanged. Both may only throw linesight::Error. A model that
// loads must also survive SaveInspectionModel + LoadInspectionModel with the same identity.
//
// The container is sealed by a CRC-32 and exact section lengths, which random mutations almost
// never keep. A custom mutator therefore repairs the lengths and CRC of most mutants (see
// RepairContainer), so the fuzzer reaches the JSON header and payload checks; the rest stay raw
// so the container checks are fuzzed too. Every saved input is a complete model file, which
// reproduces with `linesight inspect --model <file>` as well as with this fuzzer.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "core/checksum.h"
#include "core/error.h"
#include "core/model_file.h"
#include "inspect/inspection_model.h"

namespace {

constexpr char kMagic[8] = {'L', 'S', 'M', 'O', 'D', 'E', 'L', '\x1a'};
constexpr size_t kFixedHeader = 24;  // magic, version u32, header_len u32, payload_len u64
constexpr size_t kCrcBytes = 4;

[[noreturn]] void Violation(const char* what) {
  std::fprintf(stderr, "model_loader_fuzz: contract violated: %s\n", what);
  std::abort();
}

uint64_t GetLe(const uint8_t* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= uint64_t(p[i]) << (8 * i);
  return v;
}
void PutLe(uint8_t* p, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

// Makes a mutant with the right magic a well-formed container again: keeps the declared payload
// length (clamped to what is there), gives the header the rest of the bytes, and reseals the CRC.
void RepairContainer(uint8_t* data, size_t size) {
  if (size < kFixedHeader + kCrcBytes || std::memcmp(data, kMagic, 8) != 0) return;
  const uint64_t room = size - kFixedHeader - kCrcBytes;
  uint64_t payload_len = std::min<uint64_t>(GetLe(data + 16, 8), room);
  uint64_t header_len = room - payload_len;
  if (header_len > 0xFFFFFFFFu) return;
  PutLe(data + 12, header_len, 4);
  PutLe(data + 16, payload_len, 8);
  const uint32_t crc = linesight::Crc32(std::span<const uint8_t>(data, size - kCrcBytes));
  PutLe(data + size - kCrcBytes, crc, 4);
}

// One file per fuzzing process, overwritten on every run and removed at exit.
struct TempModelPaths {
  std::filesystem::path input, resaved;
  TempModelPaths() {
    const std::string base = "/tmp/linesight_fuzz_" + std::to_string(::getpid());
    input = base + ".lsm";
    resaved = base + "_resaved.lsm";
  }
  ~TempModelPaths() {
    std::error_code ec;
    std::filesystem::remove(input, ec);
    std::filesystem::remove(resaved, ec);
  }
};

const TempModelPaths& Paths() {
  static const TempModelPaths paths;
  return paths;
}

void WriteAll(const std::filesystem::path& path, const uint8_t* data, size_t size) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  if (!out.flush()) {
    std::fprintf(stderr, "model_loader_fuzz: cannot write %s\n", path.c_str());
    std::exit(2);  // a harness problem, not a finding
  }
}

}  // namespace

extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t max_size);

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size,
                                          unsigned int seed) {
  size = LLVMFuzzerMutate(data, size, max_size);
  if (seed % 8 != 0) RepairContainer(data, size);  // 1 in 8 mutants keep their raw container
  return size;
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  cv::setNumThreads(1);
  Paths();
  return 0;
}

// Other exception types are deliberately not caught: they reach std::terminate while the
// throwing frame is still on the stack, so the crash report shows where they came from.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<uint8_t> bytes(data, data + size);
  try {
    linesight::ModelFile file = linesight::ParseModelFile(bytes, "fuzz-input");
    if (!file.header.is_object())
      Violation("ParseModelFile accepted a header that is not an object");
  } catch (const linesight::Error&) {
    return 0;  // refused cleanly
  }

  const TempModelPaths& paths = Paths();
  WriteAll(paths.input, data, size);
  std::optional<linesight::InspectionModel> loaded;
  try {
    loaded.emplace(linesight::LoadInspectionModel(paths.input));
  } catch (const linesight::Error&) {
    return 0;
  }
  const linesight::InspectionModel& model = *loaded;

  // Accepted: saving it again must give a file that loads to the same model identity.
  try {
    linesight::SaveInspectionModel(model, paths.resaved);
    linesight::InspectionModel again = linesight::LoadInspectionModel(paths.resaved);
    if (again.Id() != model.Id() || again.threshold != model.threshold ||
        again.anomaly.options().canvas != model.anomaly.options().canvas)
      Violation("a loaded model does not survive save + load unchanged");
  } catch (const linesight::Error& e) {
    std::fprintf(stderr, "model_loader_fuzz: re-saved model is refused: %s\n", e.what());
    Violation("a loaded model does not survive save + load");
  }
  return 0;
}
