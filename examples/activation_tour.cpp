// The activation tour: every activation's value and derivative from torchact's kernels beside
// autograd of the built-in op, the facts the README teaches (sigmoid's derivative peaks at 0.25,
// tanh's at 1; GELU and SiLU dip below zero), and a plot of all of them: activations.svg.
//
//   activation_tour [--device cuda] [--svg PATH]
#include <cstdio>
#include <fstream>
#include <sstream>

#include "activations.h"

namespace {

using examples::activations;
using examples::value_and_derivative;

void print_values_at(const torch::Device& device) {
  const torch::Tensor z = torch::tensor({-2.0, 0.0, 2.0}, torch::kDouble).to(device);
  std::printf("Value and derivative at z = -2, 0, 2: torchact's kernels | built-in op + autograd\n");
  std::printf("%-16s %-44s %-44s\n", "", "f(z)", "f'(z)");
  for (const auto& a : activations()) {
    const auto ours = value_and_derivative(a.torchact, z);
    const auto ref = value_and_derivative(a.builtin, z);
    const auto v = ours.value.cpu(), d = ours.derivative.cpu();
    const auto rv = ref.value.cpu(), rd = ref.derivative.cpu();
    std::printf("%-16s", a.name.c_str());
    for (int i = 0; i < 3; ++i) std::printf(" %7.4f|%-7.4f", v[i].item<double>(), rv[i].item<double>());
    std::printf("  ");
    for (int i = 0; i < 3; ++i) std::printf(" %7.4f|%-7.4f", d[i].item<double>(), rd[i].item<double>());
    std::printf("\n");
  }
}

void print_extrema(const torch::Device& device) {
  const torch::Tensor grid = torch::linspace(-6, 6, 120001, torch::kDouble).to(device);
  std::printf("\nLargest derivative on [-6, 6] (backprop multiplies by it once per layer):\n");
  for (const auto& a : activations()) {
    const auto vd = value_and_derivative(a.torchact, grid);
    const int64_t i = vd.derivative.argmax().item<int64_t>();
    std::printf("  %-16s max f' = %.4f at x = %+.3f\n", a.name.c_str(),
                vd.derivative[i].item<double>(), grid[i].item<double>());
  }
  std::printf("  sigmoid's 0.25 means a gradient shrinks at least 4x per sigmoid layer: 0.25^19 = %.2e\n",
              std::pow(0.25, 19));

  std::printf("\nSmooth gates dip below zero (ReLU's minimum is 0):\n");
  for (const char* name : {"gelu", "silu", "quick_gelu", "mish", "hardswish"}) {
    for (const auto& a : activations()) {
      if (a.name != name) continue;
      const auto vd = value_and_derivative(a.torchact, grid);
      const int64_t i = vd.value.argmin().item<int64_t>();
      std::printf("  %-10s min = %.4f at x = %+.3f\n", name, vd.value[i].item<double>(),
                  grid[i].item<double>());
    }
  }

  const torch::Tensor z = torch::tensor({-1.0, 0.0, 1.0}, torch::kDouble).to(device);
  const auto gelu = torchact::gelu(z).cpu(), silu = torchact::silu(z).cpu();
  std::printf("\nGELU vs SiLU:   x = -1      0       1\n");
  std::printf("  gelu        %8.4f %7.4f %7.4f\n", gelu[0].item<double>(), gelu[1].item<double>(),
              gelu[2].item<double>());
  std::printf("  silu        %8.4f %7.4f %7.4f\n", silu[0].item<double>(), silu[1].item<double>(),
              silu[2].item<double>());
}

// Small multiples over [-4, 4]: one row per family (examples::families), values on the left,
// derivatives on the right, each row with its legend; curves are clipped to the panel.
void write_svg(const std::string& path, const torch::Device& device) {
  struct Range {
    double f_min, f_max, d_min, d_max;
  };
  const std::vector<Range> ranges = {{-1.25, 1.25, -0.1, 1.1}, {-2.0, 4.0, -0.25, 2.0},
                                     {-0.5, 4.0, -0.25, 1.5}};
  const double width = 1100, margin = 55, gap = 55, legend_w = 170, row_h = 250, row_gap = 45;
  const double panel_w = (width - 2 * margin - gap - legend_w) / 2, panel_h = row_h - 40;
  const auto& families = examples::families();
  const double height = margin + families.size() * (row_h + row_gap);
  const torch::Tensor x = torch::linspace(-4, 4, 321, torch::kDouble).to(device);
  const torch::Tensor xs = x.cpu();
  std::ostringstream svg;
  svg << "<svg xmlns='http://www.w3.org/2000/svg' width='" << width << "' height='" << height
      << "' font-family='sans-serif' font-size='12'>\n<rect width='100%' height='100%' fill='white'/>\n";
  for (size_t row = 0; row < families.size(); ++row) {
    const double top = margin + row * (row_h + row_gap);
    for (int p = 0; p < 2; ++p) {
      const bool derivative = p == 1;
      const double y_min = derivative ? ranges[row].d_min : ranges[row].f_min;
      const double y_max = derivative ? ranges[row].d_max : ranges[row].f_max;
      const double left = margin + p * (panel_w + gap);
      auto px = [&](double v) { return left + (v + 4) / 8 * panel_w; };
      auto py = [&](double v) { return top + (y_max - v) / (y_max - y_min) * panel_h; };
      svg << "<text x='" << left + panel_w / 2 << "' y='" << top - 10
          << "' text-anchor='middle' font-size='14'>" << families[row] << ": "
          << (derivative ? "f'(x)" : "f(x)") << "</text>\n";
      svg << "<rect x='" << left << "' y='" << top << "' width='" << panel_w << "' height='"
          << panel_h << "' fill='none' stroke='#888'/>\n";
      for (int t = -4; t <= 4; ++t) {  // x ticks and grid
        svg << "<line x1='" << px(t) << "' y1='" << top << "' x2='" << px(t) << "' y2='"
            << top + panel_h << "' stroke='#eee'/><text x='" << px(t) << "' y='" << top + panel_h + 15
            << "' text-anchor='middle'>" << t << "</text>\n";
      }
      const double step = (y_max - y_min) > 3 ? 1.0 : 0.25;
      for (double t = std::ceil(y_min / step) * step; t <= y_max + 1e-9; t += step) {
        svg << "<line x1='" << left << "' y1='" << py(t) << "' x2='" << left + panel_w << "' y2='"
            << py(t) << "' stroke='#eee'/><text x='" << left - 6 << "' y='" << py(t) + 4
            << "' text-anchor='end'>" << t + 0.0 << "</text>\n";  // + 0.0: no "-0"
      }
      svg << "<line x1='" << px(0) << "' y1='" << top << "' x2='" << px(0) << "' y2='"
          << top + panel_h << "' stroke='#444'/><line x1='" << left << "' y1='" << py(0)
          << "' x2='" << left + panel_w << "' y2='" << py(0) << "' stroke='#444'/>\n";
      for (const auto& a : activations()) {
        if (a.family != families[row]) continue;
        const auto vd = value_and_derivative(a.torchact, x);
        const torch::Tensor ys = (derivative ? vd.derivative : vd.value).cpu();
        svg << "<polyline fill='none' stroke-width='2' stroke='" << a.color << "' points='";
        for (int64_t i = 0; i < xs.numel(); ++i) {
          const double yv = std::min(std::max(ys[i].item<double>(), y_min), y_max);
          svg << px(xs[i].item<double>()) << "," << py(yv) << " ";
        }
        svg << "'/>\n";
      }
    }
    // The row's legend, right of its panels.
    double ly = top + 12;
    const double lx = margin + 2 * panel_w + gap + 25;
    for (const auto& a : activations()) {
      if (a.family != families[row]) continue;
      svg << "<line x1='" << lx << "' y1='" << ly << "' x2='" << lx + 24 << "' y2='" << ly
          << "' stroke-width='3' stroke='" << a.color << "'/><text x='" << lx + 30 << "' y='"
          << ly + 4 << "'>" << a.name << "</text>\n";
      ly += 20;
    }
  }
  svg << "</svg>\n";
  std::ofstream(path) << svg.str();
  std::printf("\nWrote %s (every activation and its derivative on [-4, 4], one row per family)\n",
              path.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  const torch::Device device = examples::device_from_args(argc, argv);
  std::string svg_path = "activations.svg";
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == "--svg") svg_path = argv[i + 1];
  }
  std::printf("torchact activation tour (device %s, CPU kernels: %s)\n\n", device.str().c_str(),
              torchact::cpu_capability());
  print_values_at(device);
  print_extrema(device);
  write_svg(svg_path, device);
  return 0;
}
