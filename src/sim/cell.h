// sim/cell.h: the simulated die-casting cell: N machines (MachineSim), each with its die, process
// and events, and the rendering of a shot's part with its defects where the truth puts them.
// Machines are independent: each may be stepped on its own thread with the same results.
#pragma once

#include <vector>

#include "sim/cell_options.h"
#include "sim/machine_sim.h"
#include "sim/part_renderer.h"

namespace linesight::sim {

class Cell {
 public:
  // Throws Error{kInput} naming the field if `options` is out of range.
  explicit Cell(const CellOptions& options);

  // REQUIRES: 0 <= i < size(). The reference lives as long as the Cell.
  MachineSim& machine(int i) { return machines_[static_cast<size_t>(i)]; }
  const MachineSim& machine(int i) const { return machines_[static_cast<size_t>(i)]; }
  int size() const { return static_cast<int>(machines_.size()); }
  const CellOptions& options() const { return options_; }

 private:
  CellOptions options_;
  std::vector<MachineSim> machines_;
};

// Renders the part `shot` made: its random-placed defects from the truth, and its die's vein at
// the die's place (the same on every part of that die, turning with the part). part.defects and
// part.mask cover them all. Const and thread-safe.
RenderedPart RenderShot(const PartRenderer& renderer, const CellShot& shot);

}  // namespace linesight::sim
