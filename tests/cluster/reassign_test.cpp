// Tests of <dae/cluster/reassign.hpp>: the reference's greedy example, one-to-one on adversarial
// distance matrices, the Hungarian algorithm against scipy's linear_sum_assignment and against
// brute force, majority vote, class means, and invariance to permuted labels.
#include <catch2/catch.hpp>

#include <algorithm>
#include <numeric>
#include <set>
#include <vector>

#include "cluster/fixture.hpp"
#include "dae/cluster/evaluate.hpp"
#include "dae/cluster/reassign.hpp"
#include "dae/rng.hpp"

namespace {

using dae::cluster::Mapping;

bool one_to_one(const Mapping& m, int n_classes) {
  std::set<int> seen;
  for (const int y : m)
    if (y < 0 || y >= n_classes || !seen.insert(y).second) return false;
  return true;
}

}  // namespace

TEST_CASE("greedy reassignment resolves the reference's collision", "[cluster][reassign]") {
  // Class means on a line, 10 apart; centre c sits 1 from the mean of initial[c], so each centre
  // first claims initial[c]: {0:2, 1:1, 2:9, 3:2, 4:7, 5:6, 6:0, 7:4, 8:5, 9:3}. Class 8 is
  // unclaimed; centres 0 and 3 both claim 2.
  const std::vector<int> initial{2, 1, 9, 2, 7, 6, 0, 4, 5, 3};
  std::vector<double> means(10 * 2), centres(10 * 2);
  for (int y = 0; y < 10; ++y) {
    means[2 * y] = 10.0 * y;
    means[2 * y + 1] = 0.0;
  }
  for (int closer : {0, 3}) {  // which claimant of 2 lies nearer to class 8
    for (int c = 0; c < 10; ++c) {
      centres[2 * c] = 10.0 * initial[c];
      centres[2 * c + 1] = 1.0;
    }
    centres[2 * closer] += 1.0;  // towards 8 (at x = 80): nearer than the other claimant
    const Mapping m = dae::cluster::greedy_mapping(centres, means, 2);
    INFO("closer claimant " << closer);
    REQUIRE(one_to_one(m, 10));
    Mapping expected = initial;
    expected[static_cast<std::size_t>(closer)] = 8;
    CHECK(m == expected);
  }
}

TEST_CASE("greedy reassignment always ends one-to-one", "[cluster][reassign]") {
  dae::Rng rng(11);
  for (int trial = 0; trial < 2000; ++trial) {
    const int n_classes = 1 + static_cast<int>(rng.below(12));
    const int k = 1 + static_cast<int>(rng.below(static_cast<std::uint64_t>(n_classes)));
    std::vector<double> d(static_cast<std::size_t>(k * n_classes));
    const int kind = trial % 4;
    for (int c = 0; c < k; ++c)
      for (int y = 0; y < n_classes; ++y) {
        double v = rng.uniform_double();
        if (kind == 1) v = static_cast<double>(rng.below(3));  // many ties
        if (kind == 2) v = y == 0 ? 0.0 : 1.0 + v;             // every centre claims class 0
        if (kind == 3) v = 1.0;                                // all equal
        d[static_cast<std::size_t>(c * n_classes + y)] = v;
      }
    const Mapping m = dae::cluster::greedy_mapping_from_distances(d, k, n_classes);
    INFO("trial " << trial << ", k " << k << ", n_classes " << n_classes);
    REQUIRE(static_cast<int>(m.size()) == k);
    REQUIRE(one_to_one(m, n_classes));
  }
  // All claim class 0 with increasing distance to the others: the chain resolves in k - 1 steps.
  std::vector<double> d(100);
  for (int c = 0; c < 10; ++c)
    for (int y = 0; y < 10; ++y) d[static_cast<std::size_t>(c * 10 + y)] = y == 0 ? 0.0 : 1.0 + c + 0.1 * y;
  const Mapping m = dae::cluster::greedy_mapping_from_distances(d, 10, 10);
  CHECK(one_to_one(m, 10));
  CHECK(m[9] == 0);  // the farthest from everything else keeps the contested class
  CHECK_THROWS_AS(dae::cluster::greedy_mapping_from_distances(d, 10, 9), dae::Error);
  CHECK_THROWS_AS(dae::cluster::greedy_mapping_from_distances(std::vector<double>(11, 1.0), 3, 4), dae::Error);
  CHECK_THROWS_AS(dae::cluster::greedy_mapping_from_distances(std::vector<double>{1.0, std::nan("")}, 1, 2),
                  dae::Error);
}

TEST_CASE("Hungarian totals equal scipy's linear_sum_assignment", "[cluster][reassign][parity]") {
  const auto fixture = dae::test::read_json(dae::test::cluster_fixture("hungarian.json"));
  for (const auto& c : fixture["cases"]) {
    const int rows = c["rows"], cols = c["cols"];
    const std::vector<double> cost = c["cost"];
    INFO(rows << " x " << cols);
    for (const bool maximize : {false, true}) {
      const auto a = dae::cluster::linear_sum_assignment(cost, rows, cols, maximize);
      const double expected = maximize ? c["total_max"].get<double>() : c["total"].get<double>();
      CHECK(a.total == Approx(expected).epsilon(1e-12).margin(1e-12));
      std::set<int> used;
      int assigned = 0;
      for (const int col : a.col_of_row)
        if (col >= 0) {
          CHECK(used.insert(col).second);
          ++assigned;
        }
      CHECK(assigned == std::min(rows, cols));
    }
  }
}

TEST_CASE("Hungarian agrees with brute force on small matrices", "[cluster][reassign]") {
  dae::Rng rng(5);
  for (int trial = 0; trial < 200; ++trial) {
    const int n = 1 + static_cast<int>(rng.below(6));
    std::vector<double> cost(static_cast<std::size_t>(n * n));
    for (double& v : cost) v = trial % 2 ? static_cast<double>(rng.below(4)) : rng.uniform_double() * 10 - 5;
    std::vector<int> perm(static_cast<std::size_t>(n));
    std::iota(perm.begin(), perm.end(), 0);
    double best = std::numeric_limits<double>::infinity();
    do {
      double total = 0;
      for (int r = 0; r < n; ++r) total += cost[static_cast<std::size_t>(r * n + perm[static_cast<std::size_t>(r)])];
      best = std::min(best, total);
    } while (std::next_permutation(perm.begin(), perm.end()));
    CHECK(dae::cluster::linear_sum_assignment(cost, n, n).total == Approx(best).margin(1e-12));
  }
  CHECK_THROWS_AS(dae::cluster::linear_sum_assignment(std::vector<double>(3, 1.0), 2, 2), dae::Error);
  CHECK_THROWS_AS(dae::cluster::linear_sum_assignment(std::vector<double>{}, 0, 0), dae::Error);
  CHECK_THROWS_AS(dae::cluster::linear_sum_assignment(std::vector<double>{1.0, std::nan("")}, 1, 2), dae::Error);
}

TEST_CASE("majority vote and the Hungarian mapping on a contingency table", "[cluster][reassign]") {
  // 3 clusters, 3 classes; clusters 0 and 1 are both mostly class 2.
  const std::vector<int> clusters{0, 0, 0, 1, 1, 1, 2, 2, 2, 2};
  const std::vector<int> classes{2, 2, 1, 2, 2, 0, 1, 1, 0, 1};
  const auto table = dae::cluster::contingency(clusters, 3, classes, 3);
  CHECK(dae::cluster::majority_mapping(table) == Mapping{2, 2, 1});
  const Mapping h = dae::cluster::hungarian_mapping(table);
  CHECK(one_to_one(h, 3));
  CHECK(dae::cluster::accuracy(table, h) == Approx(0.6));  // e.g. {2, 0, 1}: 2 + 1 + 3 of 10
  CHECK(dae::cluster::accuracy(table, dae::cluster::majority_mapping(table)) == Approx(0.7));
}

TEST_CASE("class means", "[cluster][reassign]") {
  const std::vector<float> points{0, 0, 2, 2, 10, 10, 1, 1};
  const std::vector<int> classes{0, 0, 1, 0};
  CHECK(dae::cluster::class_means(points, 2, classes, 2) == std::vector<double>{1, 1, 10, 10});
  CHECK_THROWS_AS(dae::cluster::class_means(points, 2, classes, 3), dae::Error);  // class 2 empty
  CHECK_THROWS_AS(dae::cluster::class_means(points, 2, std::vector<int>{0, 1}, 2), dae::Error);
  CHECK_THROWS_AS(dae::cluster::class_means(points, 2, std::vector<int>{0, 1, 2, 0}, 2), dae::Error);
}

TEST_CASE("mappings follow permuted cluster and class labels", "[cluster][reassign]") {
  // Three blobs in 2-D whose classes are known; rename clusters and classes by permutations.
  dae::Rng rng(3);
  std::vector<float> points;
  std::vector<int> classes;
  const double where[4][2] = {{0, 0}, {8, 0}, {0, 8}, {8, 8}};
  for (int i = 0; i < 400; ++i) {
    const int y = i % 4;
    classes.push_back(y);
    points.push_back(static_cast<float>(where[y][0] + 3.0 * rng.normal()));  // overlapping
    points.push_back(static_cast<float>(where[y][1] + 3.0 * rng.normal()));
  }
  dae::cluster::KMeansOptions o;
  o.k = 4;
  o.n_init = 3;
  const auto report = dae::cluster::cluster_and_score(points, 2, classes, 4, o);
  const std::vector<int> cluster_perm{2, 0, 3, 1}, class_perm{3, 1, 0, 2};
  // Renamed clusters: centres reordered so that new cluster cluster_perm[c] is old cluster c.
  std::vector<double> centres(report.kmeans.centres.size());
  std::vector<int> labels(report.kmeans.labels.size());
  for (int c = 0; c < 4; ++c)
    for (int d = 0; d < 2; ++d) centres[static_cast<std::size_t>(2 * cluster_perm[c] + d)] = report.kmeans.centre(c, d);
  for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = cluster_perm[static_cast<std::size_t>(report.kmeans.labels[i])];
  std::vector<int> renamed_classes(classes.size());
  for (std::size_t i = 0; i < classes.size(); ++i) renamed_classes[i] = class_perm[static_cast<std::size_t>(classes[i])];
  std::vector<double> means(report.class_means.size());
  for (int y = 0; y < 4; ++y)
    for (int d = 0; d < 2; ++d)
      means[static_cast<std::size_t>(2 * class_perm[y] + d)] = report.class_means[static_cast<std::size_t>(2 * y + d)];

  const Mapping greedy = dae::cluster::greedy_mapping(centres, means, 2);
  for (int c = 0; c < 4; ++c)
    CHECK(greedy[static_cast<std::size_t>(cluster_perm[c])] == class_perm[report.greedy[static_cast<std::size_t>(c)]]);
  const auto table = dae::cluster::contingency(labels, 4, renamed_classes, 4);
  CHECK(dae::cluster::accuracy(table, dae::cluster::hungarian_mapping(table)) == Approx(report.accuracy_hungarian).epsilon(0));
  CHECK(dae::cluster::accuracy(table, greedy) == Approx(report.accuracy_greedy).epsilon(0));
  CHECK(dae::cluster::accuracy(table, dae::cluster::majority_mapping(table)) == Approx(report.accuracy_majority).epsilon(0));
  CHECK(dae::cluster::normalized_mutual_info(renamed_classes, labels) == Approx(report.nmi).epsilon(1e-14));
  CHECK(dae::cluster::adjusted_rand_index(renamed_classes, labels) == Approx(report.ari).epsilon(1e-14));
  CHECK(report.accuracy_hungarian >= report.accuracy_greedy);
  CHECK(report.accuracy_hungarian >= report.accuracy_raw);
}
