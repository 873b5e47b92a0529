// Tests of <dae/cluster/metrics.hpp>: accuracy, NMI and ARI equal to scikit-learn's (1e-9) on the
// fixture labelings, invariance to renamed labels, the confusion matrix, and the errors.
#include <catch2/catch.hpp>

#include <vector>

#include "cluster/fixture.hpp"
#include "dae/cluster/evaluate.hpp"
#include "dae/cluster/metrics.hpp"
#include "dae/cluster/reassign.hpp"

TEST_CASE("accuracy, NMI and ARI equal scikit-learn's", "[cluster][metrics][parity]") {
  const auto fixture = dae::test::read_json(dae::test::cluster_fixture("metrics.json"));
  int index = 0;
  for (const auto& c : fixture["cases"]) {
    const std::vector<int> classes = c["classes"], clusters = c["clusters"], mapping = c["mapping"];
    const int k = c["k"], n_classes = c["n_classes"];
    INFO("case " << index++ << ": k " << k << ", classes " << n_classes);
    CHECK(dae::cluster::accuracy(clusters, classes, mapping) == Approx(c["accuracy"].get<double>()).epsilon(0).margin(1e-9));
    const auto table = dae::cluster::contingency(clusters, k, classes, n_classes);
    CHECK(dae::cluster::accuracy(table, mapping) == Approx(c["accuracy"].get<double>()).epsilon(0).margin(1e-9));
    CHECK(dae::cluster::accuracy(table, dae::cluster::hungarian_mapping(table)) ==
          Approx(c["accuracy_hungarian"].get<double>()).epsilon(0).margin(1e-9));
    CHECK(dae::cluster::normalized_mutual_info(classes, clusters) == Approx(c["nmi"].get<double>()).epsilon(0).margin(1e-9));
    CHECK(dae::cluster::normalized_mutual_info(clusters, classes) == Approx(c["nmi"].get<double>()).epsilon(0).margin(1e-9));
    CHECK(dae::cluster::adjusted_rand_index(classes, clusters) == Approx(c["ari"].get<double>()).epsilon(0).margin(1e-9));
    CHECK(dae::cluster::adjusted_rand_index(clusters, classes) == Approx(c["ari"].get<double>()).epsilon(0).margin(1e-9));
  }
  CHECK(index >= 5);
}

TEST_CASE("NMI and ARI ignore how the labels are named", "[cluster][metrics]") {
  const std::vector<int> a{0, 0, 1, 1, 2, 2, 2, 3, 3, 0, 1, 2};
  const std::vector<int> b{1, 1, 0, 0, 0, 2, 2, 2, 3, 1, 0, 3};
  std::vector<int> a2, b2;
  for (const int v : a) a2.push_back((v * 3 + 2) % 4 + 7);  // a bijection onto other ids
  for (const int v : b) b2.push_back(3 - v);
  CHECK(dae::cluster::normalized_mutual_info(a2, b2) == Approx(dae::cluster::normalized_mutual_info(a, b)).epsilon(1e-14));
  CHECK(dae::cluster::adjusted_rand_index(a2, b2) == Approx(dae::cluster::adjusted_rand_index(a, b)).epsilon(1e-14));
  CHECK(dae::cluster::normalized_mutual_info(a, a2) == Approx(1.0).epsilon(1e-14));
  CHECK(dae::cluster::adjusted_rand_index(a, a2) == 1.0);
  const std::vector<int> one(12, 4);
  CHECK(dae::cluster::normalized_mutual_info(one, std::vector<int>(12, 0)) == 1.0);
  CHECK(dae::cluster::normalized_mutual_info(one, a) == 0.0);
  CHECK(dae::cluster::adjusted_rand_index(one, std::vector<int>(12, 0)) == 1.0);
}

TEST_CASE("confusion matrix under a mapping", "[cluster][metrics]") {
  const std::vector<int> clusters{0, 0, 1, 1, 2};
  const std::vector<int> classes{1, 1, 0, 1, 0};
  const auto table = dae::cluster::contingency(clusters, 3, classes, 2);
  CHECK(table.counts == std::vector<std::int64_t>{0, 2, 1, 1, 1, 0});
  const auto confusion = dae::cluster::confusion_matrix(table, {1, 0, -1});
  // rows true classes, columns predicted: class 0 -> predicted 0 once (cluster 1), unmapped once.
  CHECK(confusion.counts == std::vector<std::int64_t>{1, 0, 1, 2});
  CHECK(dae::cluster::accuracy(table, {1, 0, -1}) == Approx(3.0 / 5.0));
  CHECK(dae::cluster::accuracy(table, dae::cluster::identity_mapping(3)) == Approx(1.0 / 5.0));
  CHECK_THROWS_AS(dae::cluster::confusion_matrix(table, {1, 0}), dae::Error);
  CHECK_THROWS_AS(dae::cluster::confusion_matrix(table, {1, 0, 2}), dae::Error);
}

TEST_CASE("metrics reject bad labelings", "[cluster][metrics][errors]") {
  const std::vector<int> a{0, 1, 2}, b{0, 1};
  CHECK_THROWS_AS(dae::cluster::normalized_mutual_info(a, b), dae::Error);
  CHECK_THROWS_AS(dae::cluster::adjusted_rand_index(a, b), dae::Error);
  CHECK_THROWS_AS(dae::cluster::accuracy(a, b, {0, 1, 2}), dae::Error);
  CHECK_THROWS_AS(dae::cluster::normalized_mutual_info(std::vector<int>{}, std::vector<int>{}), dae::Error);
  CHECK_THROWS_AS(dae::cluster::adjusted_rand_index(std::vector<int>{0, -1}, std::vector<int>{0, 0}), dae::Error);
  CHECK_THROWS_AS(dae::cluster::contingency(a, 2, a, 3), dae::Error);  // cluster 2 out of range
  CHECK_THROWS_AS(dae::cluster::accuracy(std::vector<int>{0, 3}, std::vector<int>{0, 0}, {0, 1}), dae::Error);
}

TEST_CASE("cluster_and_score on separated blobs is perfect", "[cluster][metrics]") {
  std::vector<float> points;
  std::vector<int> classes;
  for (int i = 0; i < 300; ++i) {
    const int y = (i * 7) % 3;
    classes.push_back(y);
    points.push_back(static_cast<float>(20 * y + (i % 5) * 0.1));
    points.push_back(static_cast<float>(-15 * y + (i % 3) * 0.1));
  }
  dae::cluster::KMeansOptions o;
  o.k = 3;
  o.n_init = 2;
  const auto r = dae::cluster::cluster_and_score(points, 2, classes, 3, o);
  CHECK(r.accuracy_greedy == 1.0);
  CHECK(r.accuracy_hungarian == 1.0);
  CHECK(r.accuracy_majority == 1.0);
  CHECK(r.greedy == r.hungarian);
  CHECK(r.nmi == Approx(1.0).epsilon(1e-14));
  CHECK(r.ari == 1.0);
  CHECK(r.confusion_greedy().counts == std::vector<std::int64_t>{100, 0, 0, 0, 100, 0, 0, 0, 100});
}
