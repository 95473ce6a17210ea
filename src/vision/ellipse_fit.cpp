#include "vision/ellipse_fit.h"

#include <algorithm>
#include <cfloat>
#include <cmath>

namespace linesight {
namespace {

// Solves the symmetric positive definite system a x = b by Cholesky, in place on the stack.
// Fails when a pivot is negligible against the largest diagonal entry: the points do not fix
// the unknowns (OpenCV's SVD would then see a condition number beyond 1/FLT_EPSILON).
template <int N>
bool SolveSpd(cv::Matx<double, N, N> a, cv::Vec<double, N> b, cv::Vec<double, N>& x) {
  double largest = 0;
  for (int i = 0; i < N; ++i) largest = std::max(largest, a(i, i));
  if (!(largest > 0)) return false;
  const double tiny = largest * 1e-13;
  for (int j = 0; j < N; ++j) {
    double d = a(j, j);
    for (int k = 0; k < j; ++k) d -= a(j, k) * a(j, k);
    if (!(d > tiny)) return false;
    a(j, j) = std::sqrt(d);
    for (int i = j + 1; i < N; ++i) {
      double v = a(i, j);
      for (int k = 0; k < j; ++k) v -= a(i, k) * a(j, k);
      a(i, j) = v / a(j, j);
    }
  }
  for (int i = 0; i < N; ++i) {  // L y = b
    double v = b[i];
    for (int k = 0; k < i; ++k) v -= a(i, k) * b[k];
    b[i] = v / a(i, i);
  }
  for (int i = N - 1; i >= 0; --i) {  // L^T x = y
    double v = b[i];
    for (int k = i + 1; k < N; ++k) v -= a(k, i) * x[k];
    x[i] = v / a(i, i);
  }
  return true;
}

}  // namespace

bool FitEllipse(std::span<const cv::Point2f> points, cv::RotatedRect& out) {
  const int n = static_cast<int>(points.size());
  if (n < 5) return false;
  // Centre and scale the points as OpenCV does (float centroid, mean L1 spread to 100).
  cv::Point2f c(0, 0);
  for (const auto& p : points) c += p;
  c.x /= n;
  c.y /= n;
  double s = 0;
  for (const auto& p : points) {
    const cv::Point2f q = p - c;
    s += std::fabs(q.x) + std::fabs(q.y);
  }
  const double scale = 100. / (s > FLT_EPSILON ? s : FLT_EPSILON);

  // 1) The conic -A x^2 - B y^2 - C xy + D x + E y = 10000 in least squares: normal equations of
  // the n x 5 system OpenCV solves by SVD.
  cv::Matx<double, 5, 5> ata = cv::Matx<double, 5, 5>::zeros();
  cv::Vec<double, 5> atb = cv::Vec<double, 5>::all(0), gfp;
  for (const auto& p : points) {
    const cv::Point2f q = p - c;
    const double px = q.x * scale, py = q.y * scale;
    const double row[5] = {-px * px, -py * py, -px * py, px, py};
    for (int i = 0; i < 5; ++i) {
      for (int j = 0; j <= i; ++j) ata(i, j) += row[i] * row[j];
      atb[i] += row[i] * 10000.0;
    }
  }
  for (int i = 0; i < 5; ++i)
    for (int j = i + 1; j < 5; ++j) ata(i, j) = ata(j, i);
  if (!SolveSpd<5>(ata, atb, gfp)) return false;

  // 2) The centre: where the conic's gradient vanishes.
  const double a00 = 2 * gfp[0], a01 = gfp[2], a11 = 2 * gfp[1];
  const double det = a00 * a11 - a01 * a01;
  if (!(std::fabs(det) > 1e-300) || !std::isfinite(det)) return false;
  const double cx = (gfp[3] * a11 - a01 * gfp[4]) / det;
  const double cy = (a00 * gfp[4] - a01 * gfp[3]) / det;

  // 3) The axes: A x^2 + B y^2 + C xy = 1 about that centre, in least squares.
  cv::Matx33d m = cv::Matx33d::zeros();
  cv::Vec3d mb(0, 0, 0), abc;
  for (const auto& p : points) {
    const cv::Point2f q = p - c;
    const double dx = q.x * scale - cx, dy = q.y * scale - cy;
    const double row[3] = {dx * dx, dy * dy, dx * dy};
    for (int i = 0; i < 3; ++i) {
      for (int j = 0; j <= i; ++j) m(i, j) += row[i] * row[j];
      mb[i] += row[i];
    }
  }
  for (int i = 0; i < 3; ++i)
    for (int j = i + 1; j < 3; ++j) m(i, j) = m(j, i);
  if (!SolveSpd<3>(m, mb, abc)) return false;

  // Angle and semi-axes, as OpenCV derives them.
  const double min_eps = 1e-8;
  const double angle = -0.5 * std::atan2(abc[2], abc[1] - abc[0]);
  const double t = std::fabs(abc[2]) > min_eps ? abc[2] / std::sin(-2.0 * angle) : abc[1] - abc[0];
  double r0 = std::fabs(abc[0] + abc[1] - t), r1 = std::fabs(abc[0] + abc[1] + t);
  if (r0 > min_eps) r0 = std::sqrt(2.0 / r0);
  if (r1 > min_eps) r1 = std::sqrt(2.0 / r1);

  cv::RotatedRect box;
  box.center.x = static_cast<float>(cx / scale) + c.x;
  box.center.y = static_cast<float>(cy / scale) + c.y;
  box.size.width = static_cast<float>(r0 * 2 / scale);
  box.size.height = static_cast<float>(r1 * 2 / scale);
  box.angle = static_cast<float>(angle * 180 / CV_PI);
  if (box.size.width > box.size.height) {
    std::swap(box.size.width, box.size.height);
    box.angle = static_cast<float>(90 + angle * 180 / CV_PI);
  }
  if (box.angle < -180) box.angle += 360;
  if (box.angle > 360) box.angle -= 360;
  if (!std::isfinite(box.center.x) || !std::isfinite(box.center.y) ||
      !std::isfinite(box.size.width) || !std::isfinite(box.size.height) ||
      !std::isfinite(box.angle))
    return false;
  out = box;
  return true;
}

}  // namespace linesight
