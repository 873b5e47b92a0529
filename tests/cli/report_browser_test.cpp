// report.html in a real browser: `dae_mnist run` on the synthetic dataset, then headless Chromium
// (Debian's `chromium`; scripts/setup.sh --with-chromium) opens the page from the file system, as
// a user would. A checker page next to the run loads the report in an iframe and writes its
// verdict into its own DOM, which Chromium dumps: every <img> loaded with a non-zero width, every
// SVG chart laid out with a non-empty box and something drawn in it, the epoch slider swapping
// the picture. Chromium's log must show no console message at all from the page (an uncaught
// error lands there). A screenshot of the page is written for the test log.
//
// Everything stays in the build tree (tests/cli/report_browser/): the run, the checker page, the
// DOM dump, Chromium's log and report.png. Without chromium the test is skipped (exit 77).
// DAE_REPORT_DIR=<folder with a report.html> checks that report instead of making one (e.g. a
// real 48,000-code run, or a page broken on purpose to see the test fail).
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "cli/cli_harness.hpp"

namespace fs = std::filesystem;
using namespace dae_cli_test;

namespace {

// The checker: reads the report through the iframe (same origin under
// --allow-file-access-from-files) once the report and all its pictures have loaded.
constexpr const char* kChecker = R"(<!doctype html>
<html><head><meta charset="utf-8"><title>report check</title></head><body>
<pre id="verdict">pending: the report never finished loading</pre>
<iframe id="report" src="REPORT" style="width:1200px;height:3000px"></iframe>
<script>
const verdict = document.getElementById('verdict');
const frame = document.getElementById('report');
frame.addEventListener('load', () => {
  const doc = frame.contentDocument;
  if (!doc || !doc.body) { verdict.textContent = 'FAIL: the report cannot be read from the checker'; return; }
  const problems = [];
  const images = [...doc.images];
  for (const img of images)
    if (!img.complete || img.naturalWidth === 0) problems.push('image not shown: ' + img.getAttribute('src'));
  const charts = [...doc.querySelectorAll('svg')];
  for (const svg of charts) {
    const name = svg.getAttribute('aria-label') || '(unnamed svg)';
    const box = svg.getBoundingClientRect(), inner = svg.getBBox();
    if (!(box.width > 0 && box.height > 0 && inner.width > 0 && inner.height > 0)) problems.push('empty chart: ' + name);
    const marks = svg.querySelectorAll('path, circle, rect, polyline, line').length;
    const words = [...svg.querySelectorAll('text')].filter(t => t.getComputedTextLength() > 0).length;
    if (marks === 0 || words === 0) problems.push('chart with nothing drawn: ' + name);
  }
  if (images.length < 3) problems.push('only ' + images.length + ' images');
  if (charts.length < 4) problems.push('only ' + charts.length + ' charts');
  const slider = doc.getElementById('epoch'), shown = doc.getElementById('reconstructions');
  if (!slider || !shown) problems.push('no epoch slider');
  else {
    slider.value = '1';
    slider.dispatchEvent(new frame.contentWindow.Event('input'));
    if (!/epoch_001\.png$/.test(shown.getAttribute('src'))) problems.push('the slider does not change the picture');
  }
  verdict.textContent = problems.length ? 'FAIL: ' + problems.join('; ')
                                        : 'OK: ' + images.length + ' images, ' + charts.length + ' charts';
});
</script></body></html>
)";

bool have_chromium() {
  return std::system("command -v chromium > /dev/null 2>&1") == 0;
}

/// Headless Chromium on a file:// URL with `flags`; its stdout and stderr into files of `dir`.
void chromium(const std::string& flags, const fs::path& page, const fs::path& out,
              const fs::path& log) {
  // --no-sandbox: Chromium refuses to run as root otherwise (CI runs as root).
  const std::string command =
      "timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars "
      "--no-first-run --enable-logging=stderr --v=0 " +
      flags + " 'file://" + fs::absolute(page).string() + "' > '" + out.string() + "' 2> '" +
      log.string() + "'";
  INFO(command);
  REQUIRE(std::system(command.c_str()) == 0);
}

std::string between(const std::string& text, const std::string& open, const std::string& close) {
  const auto start = text.find(open);
  if (start == std::string::npos) return "";
  const auto end = text.find(close, start + open.size());
  return text.substr(start + open.size(),
                     end == std::string::npos ? std::string::npos : end - start - open.size());
}

}  // namespace

TEST_CASE(
    "report.html opens in headless Chromium: no console message, every picture and chart drawn",
    "[cli][browser]") {
  if (!have_chromium()) {
    std::printf(
        "skipped: no chromium on this machine (scripts/setup.sh --with-chromium installs it)\n");
    std::exit(77);
  }
  const fs::path dir = DAE_REPORT_BROWSER_DIR;
  fs::create_directories(dir);
  fs::path run = dir / "run";
  if (const char* given = std::getenv("DAE_REPORT_DIR")) {
    run = fs::absolute(given);
  } else {
    const auto data = work_dir() / "data";
    write_dataset(data, 1000, 200);
    fs::remove_all(run);
    const auto r = dae_mnist("run --data " + data.string() + " --out " + run.string() +
                             " --epochs 3 --batch 64 --threads 2 --seed 3 --n-init 2");
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
  }
  REQUIRE(fs::exists(run / "report.html"));

  // (1) The checker's verdict, and the console.
  std::string checker = kChecker;
  checker.replace(checker.find("REPORT"), 6, "file://" + (run / "report.html").string());
  const auto checker_page = dir / "check.html";
  std::ofstream(checker_page) << checker;
  chromium("--allow-file-access-from-files --virtual-time-budget=20000 --dump-dom", checker_page,
           dir / "dom.html", dir / "chromium_check.log");
  const std::string verdict =
      between(read_text(dir / "dom.html"), "<pre id=\"verdict\">", "</pre>");
  std::printf("checker: %s\n", verdict.c_str());
  CHECK(verdict.starts_with("OK: "));
  std::istringstream log(read_text(dir / "chromium_check.log"));
  std::string console;
  for (std::string line; std::getline(log, line);)
    if (line.find(":CONSOLE") != std::string::npos) console += line + "\n";
  INFO("Chromium's log, " << (dir / "chromium_check.log").string());
  CHECK(console == "");

  // (2) A screenshot of the page itself, for whoever reads the test log.
  const auto shot = dir / "report.png";
  fs::remove(shot);
  chromium("--virtual-time-budget=20000 --window-size=1200,4400 --screenshot=" + shot.string(),
           run / "report.html", dir / "chromium_shot.out", dir / "chromium_shot.log");
  REQUIRE(fs::exists(shot));
  CHECK(fs::file_size(shot) > 20000);
  std::printf("screenshot: %s\n", shot.c_str());
}
